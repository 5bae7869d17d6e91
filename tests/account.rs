//! A whole account (`--authorization-details`, src/context/account.rs) on the account of
//! tests/data/account (generate.py says what it holds and what changed since the
//! approved snapshot). The expected principals below are read off the policies by hand,
//! not from hornbeam.

mod common;

use std::collections::BTreeSet;

use hornbeam::context::account::{self, Organization};
use hornbeam::context::parse_bundle_set;
use hornbeam::eval::{Context, Request};
use serde_json::{Value, json};

const CURRENT: &str = "tests/data/account/current.json";
const APPROVED: &str = "tests/data/account/approved.json";
const ORGANIZATION: &str = "tests/data/account/organization.json";

fn cli(args: &[&str]) -> common::Run {
    common::hornbeam_with_stdin(env!("CARGO_BIN_EXE_hornbeam"), args, None)
}

fn json_out(run: &common::Run) -> Value {
    serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("JSON output ({e}): {}\n{}", run.stdout, run.stderr))
}

/// The names of the principals with a blocking finding, and the findings.
fn flagged(run: &common::Run) -> (BTreeSet<String>, Vec<Value>) {
    let out = json_out(run);
    let findings: Vec<Value> = out["BlockingFindings"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let names = findings
        .iter()
        .map(|f| f["resourceName"].as_str().unwrap_or_default().to_string())
        .collect();
    (names, findings)
}

fn names(list: &[&str]) -> BTreeSet<String> {
    list.iter().map(|s| s.to_string()).collect()
}

fn read(path: &str) -> String {
    std::fs::read_to_string(common::repo_path(path)).expect("test data")
}

/// Who can pass a role: administrators (group Admins, AdministratorAccess roles), the
/// DeveloperAccess v3 statement where no boundary denies `iam:*` (fatima, not chen, dara,
/// emeka, priya, mateo or the Developer role), CiDeployer, DataPipeline v2 without a
/// boundary, the `iam:*` inline role, the ECS runner, omar through CloudFormation. Not:
/// PowerUserAccess (NotAction iam), SecurityAudit, ReadOnlyAccess, backup-restore (its
/// Allow and Deny cover the same requests), the service-linked role.
const PASS_ROLE: &[&str] = &[
    "alice",
    "bruno",
    "fatima",
    "omar",
    "deploy-bot",
    "sam",
    "OrganizationAccountAccessRole",
    "BreakGlass",
    "ci-deployer",
    "DataEngineer",
    "IamAdmin",
    "ecs-task-runner",
    "vendor-integration",
];

#[test]
fn who_can_pass_a_role() {
    let run = cli(&[
        "check-access-not-granted",
        "--authorization-details",
        CURRENT,
        "--actions",
        "iam:PassRole",
    ]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let (who, findings) = flagged(&run);
    assert_eq!(who, names(PASS_ROLE));
    for f in &findings {
        assert_eq!(f["code"], "ACCESS_GRANTED", "{f}");
        let c = &f["details"]["counterexample"];
        let arn = f["details"]["principalArn"].as_str().expect("an ARN");
        assert_eq!(c["principal"], format!("AWS:{arn}"), "{f}");
        assert_eq!(c["action"], "iam:PassRole", "{f}");
        assert_eq!(c["context"]["aws:ResourceAccount"], "111122223333", "{f}");
        if arn.contains(":user/") {
            let name = arn.rsplit('/').next().unwrap_or_default();
            assert_eq!(c["context"]["aws:username"], name, "{f}");
        }
    }
    // The SCP lets only automation roles (and the organization's own role) pass roles;
    // a user under /automation/ is not one.
    let run = cli(&[
        "check-access-not-granted",
        "--authorization-details",
        CURRENT,
        "--organization",
        ORGANIZATION,
        "--actions",
        "iam:PassRole",
    ]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(
        flagged(&run).0,
        names(&["OrganizationAccountAccessRole", "ci-deployer"])
    );
    // Nobody can leave the organization once the SCP says so... but no SCP says so here,
    // and AdministratorAccess can: the same holders of `*` as above.
    let run = cli(&[
        "check-access-not-granted",
        "--authorization-details",
        CURRENT,
        "--actions",
        "sts:GetFederationToken",
        "--resources",
        "arn:aws:sts::111122223333:federated-user/x",
        "--output",
        "text",
    ]);
    let tally = run.stdout.lines().last().unwrap_or_default().to_string();
    assert!(
        tally.starts_with("45 principals in tests/data/account/current.json (21 users, 24 roles; 5 groups, 7 managed policies): 45 checked, "),
        "{tally}"
    );
    assert!(tally.contains("no organization policies given"), "{tally}");
}

/// Three changes add access (DeveloperAccess v3 for the unbounded developer, sam joins
/// the admins, a new administrator role); kofi's ReadOnlyAccess became the Auditors
/// group, whose SecurityAudit holds actions ReadOnlyAccess does not (AWS's own data:
/// e.g. `airflow:GetEnvironment`), which is new access too. Nobody else gains.
#[test]
fn who_gained_access_since_the_snapshot() {
    let run = cli(&[
        "check-no-new-access",
        "--authorization-details",
        CURRENT,
        "--existing-authorization-details",
        APPROVED,
    ]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let (who, findings) = flagged(&run);
    assert_eq!(who, names(&["fatima", "kofi", "sam", "vendor-integration"]));
    assert!(findings.iter().all(|f| f["code"] == "NEW_ACCESS"));
    // Against itself nothing is new.
    let run = cli(&[
        "check-no-new-access",
        "--authorization-details",
        CURRENT,
        "--existing-authorization-details",
        CURRENT,
        "--output",
        "text",
    ]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout
            .contains("45 checked, 0 with new access, 0 inconclusive"),
        "{}",
        run.stdout
    );
}

/// Every finding's counterexample is allowed by the principal's context as the library
/// reads it; each principal's self-contained document (what a proof bundle records)
/// reads back to a context that decides the same requests.
#[test]
fn contexts_and_their_documents_agree() {
    let text = read(CURRENT);
    let org_text = read(ORGANIZATION);
    let org = Organization::parse(&org_text, &|r, _| Err(format!("no reference `{r}`")))
        .expect("the organization reads");
    let account = account::parse_details(&text, &org).expect("the file reads");
    assert_eq!(account.members.len(), 45);
    let mut requests = Vec::new();
    for action in [
        "iam:PassRole",
        "s3:GetObject",
        "s3:DeleteBucket",
        "dynamodb:PutItem",
    ] {
        for resource in [
            "arn:aws:iam::111122223333:role/app/orders-api",
            "arn:aws:s3:::dev-data/k",
            "arn:aws:dynamodb:us-east-1:111122223333:table/orders",
        ] {
            requests.push((action, resource));
        }
    }
    for m in &account.members {
        let again = parse_bundle_set(&account.document(m).to_string())
            .unwrap_or_else(|e| panic!("{}: {e}", m.arn))
            .combined();
        let c = account.set(m).combined();
        for (action, resource) in &requests {
            let mut r = Request {
                principal: Some(m.arn.parse().expect("an ARN")),
                action: action.to_string(),
                resource: resource.to_string(),
                context: Context::default(),
            };
            r.context
                .add("aws:ResourceAccount", ["111122223333".to_string()]);
            if let Some(name) = m.arn.strip_prefix("arn:aws:iam::111122223333:user/") {
                let name = name.rsplit('/').next().unwrap_or_default();
                r.context.add("aws:username", [name.to_string()]);
            }
            r.link_principal_keys().expect("consistent");
            assert_eq!(
                c.allows(&r),
                again.allows(&r),
                "{} {action} {resource}",
                m.arn
            );
        }
    }
    // Spot checks of the rules the contexts carry.
    let allows = |name: &str, action: &str, resource: &str| {
        let m = account
            .members
            .iter()
            .find(|m| m.name == name)
            .expect("a member");
        let mut r = Request {
            principal: Some(m.arn.parse().expect("an ARN")),
            action: action.into(),
            resource: resource.into(),
            context: Context::default(),
        };
        r.context
            .add("aws:ResourceAccount", ["111122223333".to_string()]);
        r.context
            .add("iam:PassedToService", ["lambda.amazonaws.com".to_string()]);
        if m.kind == account::MemberKind::User {
            r.context.add("aws:username", [m.name.clone()]);
        }
        r.link_principal_keys().expect("consistent");
        account.set(m).combined().allows(&r)
    };
    let app_role = "arn:aws:iam::111122223333:role/app/orders-api";
    assert!(allows("ci-deployer", "iam:PassRole", app_role));
    assert!(!allows("fatima", "iam:PassRole", app_role), "the SCP");
    assert!(allows(
        "fatima",
        "dynamodb:PutItem",
        "arn:aws:dynamodb:us-east-1:111122223333:table/dev-x"
    ));
    assert!(!allows("chen", "iam:PassRole", app_role), "the boundary");
    assert!(
        !allows("BreakGlass", "s3:GetObject", "arn:aws:s3:::b/k"),
        "without MFA"
    );
}

/// The API returns documents URL-encoded; the CLI prints them as JSON. Both read alike.
#[test]
fn url_encoded_documents_read_as_json_ones() {
    let mut v: Value = serde_json::from_str(&read(CURRENT)).expect("JSON");
    fn encode_all(v: &mut Value) {
        match v {
            Value::Object(m) => {
                for (k, x) in m.iter_mut() {
                    if (k == "PolicyDocument" || k == "Document" || k == "AssumeRolePolicyDocument")
                        && x.is_object()
                    {
                        *x = json!(
                            percent_encoding::utf8_percent_encode(
                                &x.to_string(),
                                percent_encoding::NON_ALPHANUMERIC
                            )
                            .to_string()
                        );
                    } else {
                        encode_all(x);
                    }
                }
            }
            Value::Array(items) => items.iter_mut().for_each(encode_all),
            _ => {}
        }
    }
    encode_all(&mut v);
    let dir = std::env::temp_dir().join(format!("hornbeam-account-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temp dir");
    let file = dir.join("encoded.json");
    std::fs::write(&file, v.to_string()).expect("write");
    let run = cli(&[
        "check-access-not-granted",
        "--authorization-details",
        file.to_str().expect("a path"),
        "--actions",
        "iam:PassRole",
    ]);
    assert_eq!(flagged(&run).0, names(PASS_ROLE), "{}", run.stderr);
    std::fs::remove_dir_all(&dir).ok();
}

/// One bundle per principal; a PASS and a FAIL bundle verify.
#[test]
fn a_proof_per_principal() {
    let dir = std::env::temp_dir().join(format!("hornbeam-account-proofs-{}", std::process::id()));
    let run = cli(&[
        "check-access-not-granted",
        "--authorization-details",
        CURRENT,
        "--organization",
        ORGANIZATION,
        "--actions",
        "iam:PassRole",
        "--emit-proof",
        dir.to_str().expect("a path"),
        "--output",
        "sarif",
    ]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let sarif = json_out(&run);
    let results = sarif["runs"][0]["results"].as_array().expect("results");
    assert_eq!(results.len(), 2);
    assert!(results.iter().all(|r| r["ruleId"] == "ACCESS_GRANTED"
        && r["locations"][0]["physicalLocation"]["region"]["startLine"].as_u64() > Some(1)));
    let bundles: Vec<_> = std::fs::read_dir(&dir).expect("bundles").collect();
    assert_eq!(bundles.len(), 45);
    for who in ["alice", "ci-deployer"] {
        let sub = std::fs::read_dir(&dir)
            .expect("bundles")
            .filter_map(Result::ok)
            .map(|e| e.path())
            .find(|p| p.to_string_lossy().ends_with(&format!("_{who}")))
            .unwrap_or_else(|| panic!("a bundle of {who}"));
        let run = cli(&["verify-proof", sub.to_str().expect("a path")]);
        assert_eq!(run.code, 0, "{who}: {}{}", run.stdout, run.stderr);
    }
    std::fs::remove_dir_all(&dir).ok();
}

/// Malformed or partial files are exit 2 with the JSON pointer of the place.
#[test]
fn bad_files_name_the_place() {
    let dir = std::env::temp_dir().join(format!("hornbeam-account-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temp dir");
    let base: Value = serde_json::from_str(&read(CURRENT)).expect("JSON");
    let with = |edit: &dyn Fn(&mut Value)| {
        let mut v = base.clone();
        edit(&mut v);
        v.to_string()
    };
    let cases: Vec<(String, &str)> = vec![
        (
            "{\"UserDetailList\": [".into(),
            "/: not JSON (line 1, column",
        ),
        ("[]".into(), "/: an authorization-details file"),
        ("{\"Users\": []}".into(), "/: none of UserDetailList"),
        (
            with(&|v| v["UserDetailList"][2]["GroupList"][0] = json!("Nobody")),
            "/UserDetailList/2/GroupList/0: the user is in group `Nobody`",
        ),
        (
            with(&|v| {
                if let Some(p) = v["Policies"].as_array_mut() {
                    p.remove(1);
                }
            }),
            "/UserDetailList/18/AttachedManagedPolicies/0/PolicyArn: `arn:aws:iam::111122223333:policy/CiDeployer` is not in the file's `Policies`",
        ),
        (
            with(&|v| {
                v["RoleDetailList"][0]["RolePolicyList"][0]["PolicyDocument"]["Statement"][0]["Effect"] =
                    json!("Permit")
            }),
            "/RoleDetailList/0/RolePolicyList/0/PolicyDocument: /Statement/0/Effect",
        ),
        (
            with(&|v| {
                v["RoleDetailList"][1]["RolePolicyList"][0]["PolicyDocument"] =
                    json!("%7B%22Version")
            }),
            "/RoleDetailList/1/RolePolicyList/0/PolicyDocument: the URL-decoded policy document is not JSON",
        ),
        (
            with(&|v| v["RoleDetailList"][1]["RolePolicyList"][0]["PolicyDocument"] = json!(7)),
            "/RoleDetailList/1/RolePolicyList/0/PolicyDocument: a policy document is a JSON object or a URL-encoded string, found a number",
        ),
        (
            with(&|v| v["RoleDetailList"][3]["Arn"] = json!("arn:aws:iam::1111:role/x")),
            "/RoleDetailList/3/Arn: `arn:aws:iam::1111:role/x` is not an IAM user or role ARN",
        ),
        (
            with(&|v| {
                v["Policies"][0]["DefaultVersionId"] = json!("v9");
                v["Policies"][0]["PolicyVersionList"][2]["IsDefaultVersion"] = json!(false)
            }),
            "/Policies/0/PolicyVersionList: no default version",
        ),
        (
            with(&|v| v["RoleDetailList"][2]["AttachedManagedPolicies"] = json!({})),
            "/RoleDetailList/2/AttachedManagedPolicies: `AttachedManagedPolicies` is a list, found an object",
        ),
        (
            with(&|v| {
                v["RoleDetailList"][2]["AttachedManagedPolicies"][0]["PolicyArn"] =
                    json!("arn:aws:iam::aws:policy/NoSuchPolicy")
            }),
            "/RoleDetailList/2/AttachedManagedPolicies/0/PolicyArn: `arn:aws:iam::aws:policy/NoSuchPolicy` is not in the file's `Policies`, and there is no AWS managed policy",
        ),
    ];
    for (i, (text, expected)) in cases.iter().enumerate() {
        let file = dir.join(format!("bad-{i}.json"));
        std::fs::write(&file, text).expect("write");
        let shown = file.display().to_string();
        let run = cli(&[
            "check-access-not-granted",
            "--authorization-details",
            &shown,
            "--actions",
            "iam:PassRole",
        ]);
        assert_eq!(run.code, 2, "{expected}: {}{}", run.stdout, run.stderr);
        let want = format!("hornbeam: error: --authorization-details `{shown}`: {expected}");
        assert!(
            run.stderr.starts_with(&want),
            "want {want}\ngot  {}",
            run.stderr
        );
        assert_eq!(run.stderr.trim_end().lines().count(), 1, "{}", run.stderr);
    }
    // The organization file and the flags.
    let org = dir.join("org.json");
    std::fs::write(&org, r#"{"scps": []}"#).expect("write");
    let run = cli(&[
        "check-access-not-granted",
        "--authorization-details",
        CURRENT,
        "--organization",
        org.to_str().expect("a path"),
        "--actions",
        "iam:PassRole",
    ]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("/scps: unknown field `scps`"),
        "{}",
        run.stderr
    );
    std::fs::write(
        &org,
        r#"{"resourceControlPolicies": [{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": "*"}]}]}"#,
    )
    .expect("write");
    let run = cli(&[
        "check-access-not-granted",
        "--authorization-details",
        CURRENT,
        "--organization",
        org.to_str().expect("a path"),
        "--actions",
        "iam:PassRole",
    ]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("/resourceControlPolicies/0:"),
        "{}",
        run.stderr
    );
    let run = cli(&["check-no-new-access", "--authorization-details", CURRENT]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("needs --existing-authorization-details"),
        "{}",
        run.stderr
    );
    let run = cli(&[
        "check-access-not-granted",
        "--authorization-details",
        CURRENT,
        "--policy-document",
        "{}",
        "--actions",
        "iam:PassRole",
    ]);
    assert_eq!(run.code, 2);
    std::fs::remove_dir_all(&dir).ok();
}
