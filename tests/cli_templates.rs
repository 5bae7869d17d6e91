//! `--template-path` from the command line: finding shapes (cfn-policy-validator JSON,
//! SARIF validated against the SARIF 2.1.0 schema, text), exit codes, ignore flags,
//! errors and proof bundles.

mod common;

use common::{Run, stdout_json as json, template_file};
use serde_json::Value;

fn hornbeam(args: &[&str]) -> Run {
    common::hornbeam_with_stdin(env!("CARGO_BIN_EXE_hornbeam"), args, None)
}

const APP: &str = "tests/templates/app-stack.yaml";
const PLAN: &str = "tests/templates/plan.json";

fn public(extra: &[&str]) -> Run {
    let mut args = vec!["check-no-public-access", "--template-path", APP];
    args.extend_from_slice(extra);
    hornbeam(&args)
}

#[test]
fn findings_have_the_cfn_policy_validator_shape() {
    let r = public(&[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let v = json(&r);
    let keys: Vec<&String> = v
        .as_object()
        .map(|o| o.keys().collect())
        .unwrap_or_default();
    assert_eq!(keys, ["BlockingFindings", "NonBlockingFindings"]);
    let blocking = v["BlockingFindings"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(blocking.len(), 1);
    let f = &blocking[0];
    let keys: Vec<&String> = f
        .as_object()
        .map(|o| o.keys().collect())
        .unwrap_or_default();
    assert_eq!(
        keys,
        [
            "findingType",
            "code",
            "message",
            "resourceName",
            "policyName",
            "details"
        ]
    );
    assert_eq!(f["code"], "PUBLIC_ACCESS");
    assert_eq!(f["resourceName"], "ReportsBucketPolicy");
    assert_eq!(f["policyName"], "BucketPolicy");
    assert_eq!(f["details"]["result"], "FAIL");
    assert_eq!(f["details"]["line"], 29);
    assert_eq!(f["details"]["counterexample"]["principal"], "anonymous");
    assert!(
        f["details"]["unresolvedValues"][0]
            .as_str()
            .is_some_and(|n| n.contains("PartnerAccount")),
        "{f}"
    );
    assert_eq!(v["NonBlockingFindings"][0]["code"], "UNRESOLVED_VALUES");
    common::golden("tests/golden/template-public.json", &r.stdout);
    let r = public(&["--output", "text"]);
    assert_eq!(r.code, 1);
    common::golden("tests/golden/template-public.txt", &r.stdout);
}

#[test]
fn sarif_output_validates_against_the_sarif_2_1_0_schema() {
    let schema_text =
        std::fs::read_to_string(common::repo_path("tests/data/sarif-schema-2.1.0.json"))
            .unwrap_or_default();
    // The OASIS schema (tests/data, as published in the serde-sarif 0.8.0 crate) has a
    // stray `]` in the `language` pattern (`...-[a-zA-Z]{2}]?$`). ECMA-262 reads it as a
    // literal `]`; the validator's regex check rejects it, so escape it: same meaning.
    let schema_text = schema_text.replace(r#"[a-zA-Z]{2}]?$"#, r#"[a-zA-Z]{2}\\]?$"#);
    let schema: Value = serde_json::from_str(&schema_text).unwrap_or(Value::Null);
    assert!(
        schema.is_object(),
        "tests/data/sarif-schema-2.1.0.json did not load"
    );
    let validator = jsonschema::options()
        .build(&schema)
        .unwrap_or_else(|e| panic!("schema: {e}"));
    for args in [
        vec![
            "check-no-public-access",
            "--template-path",
            APP,
            "--output",
            "sarif",
        ],
        vec![
            "check-no-public-access",
            "--template-path",
            PLAN,
            "--output",
            "sarif",
        ],
        vec![
            "check-access-not-granted",
            "--actions",
            "iam:PassRole",
            "--template-path",
            APP,
            "--parameters",
            "Environment=prod",
            "PartnerAccount=111122223333",
            "--output",
            "sarif",
        ],
    ] {
        let r = hornbeam(&args);
        assert_eq!(r.code, 1, "{args:?}: {}", r.stderr);
        let v = json(&r);
        let errors: Vec<String> = validator
            .iter_errors(&v)
            .map(|e| format!("{e} at {}", e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{args:?}: {errors:?}");
        let results = v["runs"][0]["results"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert!(!results.is_empty());
        for res in &results {
            let rule = res["ruleId"].as_str().unwrap_or_default();
            let index = res["ruleIndex"].as_u64().unwrap_or(99) as usize;
            assert_eq!(v["runs"][0]["tool"]["driver"]["rules"][index]["id"], rule);
            assert!(
                res["locations"][0]["physicalLocation"]["region"]["startLine"]
                    .as_u64()
                    .unwrap_or(0)
                    > 0
            );
        }
    }
    // The validator does reject what the schema forbids.
    let mut broken = json(&public(&["--output", "sarif"]));
    broken["runs"][0]["results"][0]["level"] = Value::from("fatal");
    assert!(validator.iter_errors(&broken).next().is_some());
    // The counterexample is in the message of a FAIL.
    let r = public(&["--output", "sarif"]);
    let v = json(&r);
    let msg = v["runs"][0]["results"][0]["message"]["text"]
        .as_str()
        .unwrap_or_default();
    assert!(
        msg.starts_with("ReportsBucketPolicy.BucketPolicy: ")
            && msg.contains("Counterexample: principal anonymous"),
        "{msg}"
    );
    assert_eq!(
        v["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        APP
    );
}

#[test]
fn ignore_finding_and_non_blocking_change_the_exit_code() {
    for ignore in [
        "ReportsBucketPolicy",
        "ReportsBucketPolicy.BucketPolicy",
        "PUBLIC_ACCESS",
    ] {
        let r = public(&["--ignore-finding", ignore]);
        assert_eq!(r.code, 0, "{ignore}: {}", r.stdout);
        assert_eq!(
            json(&r)["BlockingFindings"].as_array().map(Vec::len),
            Some(0)
        );
    }
    let r = public(&["--ignore-finding", "ReportsBucketPolicy.OtherPolicy,Nope"]);
    assert_eq!(r.code, 1);
    let r = public(&[
        "--ignore-finding",
        "ReportsBucketPolicy,UNRESOLVED_VALUES",
        "--output",
        "text",
    ]);
    assert_eq!(r.code, 0);
    assert!(
        r.stdout.contains("0 blocking, 0 non-blocking, 2 ignored"),
        "{}",
        r.stdout
    );
    let r = public(&["--treat-findings-as-non-blocking"]);
    assert_eq!(r.code, 0);
    let v = json(&r);
    assert_eq!(v["BlockingFindings"].as_array().map(Vec::len), Some(0));
    assert_eq!(v["NonBlockingFindings"].as_array().map(Vec::len), Some(2));
    // A parameter that resolves the unknown principal to a trusted account.
    let r = public(&["--parameters", "PartnerAccount=111122223333"]);
    assert_eq!(r.code, 0, "{}", r.stdout);
}

#[test]
fn no_new_access_compares_each_policy_with_a_reference_of_its_type() {
    let escalation = |extra: &[&str]| {
        let mut args = vec![
            "check-no-new-access",
            "--template-path",
            APP,
            "--reference-policy",
            "builtin:no-privilege-escalation",
            "--reference-policy-type",
            "identity",
            "--parameters",
            "Environment=prod",
            "--output",
            "text",
        ];
        args.extend_from_slice(extra);
        hornbeam(&args)
    };
    let r = escalation(&[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    // The role's whole context is checked; the reason names its inline policy.
    assert!(
        r.stdout
            .contains("BLOCKING     NEW_ACCESS AppRole.EffectivePermissions")
            && r.stdout.contains("of `AppRole.prod-extra`"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("1 checked")
            && r.stdout
                .contains("3 policies of the other type not compared"),
        "{}",
        r.stdout
    );
    // Document by document, each inline policy is its own finding.
    let r = escalation(&["--per-document"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stdout
            .contains("BLOCKING     NEW_ACCESS AppRole.prod-extra")
            && r.stdout.contains("2 checked"),
        "{}",
        r.stdout
    );
    let r = hornbeam(&[
        "check-no-new-access",
        "--template-path",
        APP,
        "--reference-policy",
        "builtin:trust-aws-services",
        "--reference-policy-type",
        "RESOURCE_POLICY",
        "--parameters",
        "PartnerAccount=111122223333",
        "--output",
        "json",
    ]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let v = json(&r);
    let blocked: Vec<String> = v["BlockingFindings"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|f| {
            format!(
                "{}.{}",
                f["resourceName"].as_str().unwrap_or(""),
                f["policyName"].as_str().unwrap_or("")
            )
        })
        .collect();
    // The trust policy stays within the services; the bucket and queue policies do not.
    assert_eq!(
        blocked,
        [
            "ReportsBucketPolicy.BucketPolicy",
            "JobsQueuePolicy.QueuePolicy"
        ]
    );
}

#[test]
fn a_terraform_plan_through_the_cli() {
    let r = hornbeam(&["check-no-public-access", "--template-path", PLAN]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let v = json(&r);
    let codes: Vec<(String, String)> = v["BlockingFindings"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|f| {
            (
                f["resourceName"].as_str().unwrap_or("").into(),
                f["code"].as_str().unwrap_or("").into(),
            )
        })
        .collect();
    assert_eq!(
        codes,
        [
            (
                "module.storage.aws_s3_bucket_policy.this".to_string(),
                "PUBLIC_ACCESS".to_string()
            ),
            (
                "module.storage.aws_sqs_queue_policy.events".to_string(),
                "POLICY_NOT_CHECKED".to_string()
            ),
        ]
    );
}

#[test]
fn bad_template_input_exits_2_with_the_place() {
    let dir = std::env::temp_dir().join(format!("hornbeam-tmpl-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap_or_default();
    let write = |name: &str, text: &str| {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap_or_default();
        p.display().to_string()
    };
    let bad_yaml = write("bad.yaml", "Resources:\n  A: [1,\n");
    let bad_policy = write(
        "bad-policy.yaml",
        "Resources:\n  P:\n    Type: AWS::IAM::ManagedPolicy\n    Properties:\n      PolicyDocument:\n        Version: '2012-10-17'\n        Statement:\n          - Effect: Maybe\n            Action: s3:*\n            Resource: '*'\n",
    );
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["check-no-public-access", "--template-path", &bad_yaml],
            "invalid YAML",
        ),
        (
            vec![
                "check-access-not-granted",
                "--actions",
                "s3:GetObject",
                "--template-path",
                &bad_policy,
            ],
            "line 6: P.PolicyDocument: the policy is invalid: /Statement/0/Effect: unknown effect `Maybe`",
        ),
        (
            vec![
                "check-no-public-access",
                "--template-path",
                "/nonexistent/t.yaml",
            ],
            "cannot read",
        ),
        (
            vec![
                "check-no-public-access",
                "--template-path",
                APP,
                "--account-id",
                "12",
            ],
            "--account-id `12`",
        ),
        (
            vec![
                "check-no-public-access",
                "--template-path",
                APP,
                "--parameters",
                "NoEquals",
            ],
            "expected KEY=VALUE",
        ),
        (
            vec![
                "check-no-public-access",
                "--template-path",
                APP,
                "--parameters",
                "Unknown=1",
            ],
            "no parameter `Unknown`",
        ),
        (
            vec![
                "check-no-new-access",
                "--template-path",
                APP,
                "--new-policy-document",
                "{}",
                "--existing-policy-document",
                "builtin:read-only",
                "--policy-type",
                "identity",
            ],
            "either --template-path or --new-policy-document",
        ),
        (
            vec![
                "check-no-new-access",
                "--template-path",
                APP,
                "--reference-policy",
                "builtin:nope",
                "--reference-policy-type",
                "identity",
            ],
            "there is no built-in `nope`",
        ),
    ];
    for (args, want) in cases {
        let r = hornbeam(&args);
        assert_eq!(r.code, 2, "{args:?}: {} {}", r.stdout, r.stderr);
        assert!(
            r.stderr.starts_with("hornbeam: error: ") && r.stderr.contains(want),
            "{args:?}: {}",
            r.stderr
        );
        assert_eq!(r.stderr.trim_end().lines().count(), 1, "{}", r.stderr);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn each_checked_policy_gets_a_proof_bundle() {
    let dir = std::env::temp_dir().join(format!("hornbeam-tmpl-proof-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let d = dir.display().to_string();
    let r = hornbeam(&[
        "check-no-public-access",
        "--template-path",
        PLAN,
        "--emit-proof",
        &d,
    ]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let mut bundles: Vec<String> = std::fs::read_dir(&dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    bundles.sort();
    // The public-access check reads the four resource policies it can decide.
    assert_eq!(bundles.len(), 4, "{bundles:?}");
    assert!(
        bundles[0].starts_with("0001-aws_iam_role.deployer.TrustPolicy"),
        "{bundles:?}"
    );
    for b in &bundles {
        let r = hornbeam(&["verify-proof", &dir.join(b).display().to_string()]);
        assert_eq!(r.code, 0, "{b}: {}", r.stdout);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Regression: writing to a closed pipe (`hornbeam ... | head -1`) panicked.
#[test]
fn a_closed_stdout_ends_quietly() {
    use std::io::Read;
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_hornbeam"))
        .args([
            "check-no-new-access", "--new-policy-document",
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#,
            "--existing-policy-document", r#"{"Version":"2012-10-17","Statement":[]}"#,
            "--policy-type", "IDENTITY_POLICY", "--expand-actions",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    let mut first = [0u8; 1];
    if let Some(mut out) = child.stdout.take() {
        let _ = out.read(&mut first);
    }
    let mut err = String::new();
    if let Some(mut e) = child.stderr.take() {
        let _ = e.read_to_string(&mut err);
    }
    let status = child.wait().unwrap_or_else(|e| panic!("{e}"));
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(status.code(), Some(1), "{err}");
}

/// SAM is expanded offline (issue 29): the function's generated role `FnRole` carries
/// the managed policy its `Policies` names, so the gate sees `iam:PassRole`. Before, the
/// template ended in a blocking POLICY_NOT_CHECKED naming the transform.
#[test]
fn a_sam_function_role_is_checked_under_the_id_sam_gives_it() {
    let (dir, sam) = template_file(
        "sam-admin",
        "Transform: AWS::Serverless-2016-10-31\nResources:\n  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n      Policies: [AdministratorAccess]\n",
    );
    let r = hornbeam(&[
        "check-access-not-granted",
        "--actions",
        "iam:PassRole",
        "--template-path",
        &sam,
    ]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let v = json(&r);
    assert_eq!(v["BlockingFindings"][0]["code"], "ACCESS_GRANTED", "{v}");
    assert_eq!(v["BlockingFindings"][0]["resourceName"], "FnRole", "{v}");
    assert_eq!(
        v["BlockingFindings"].as_array().map(Vec::len),
        Some(1),
        "{v}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_transform_blocks_until_the_processed_template_is_checked() {
    let dir = std::env::temp_dir().join(format!("hornbeam-macro-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap_or_default();
    let path = dir.join("macro.yaml");
    std::fs::write(
        &path,
        "Transform: AcmeMacro\nResources:\n  Fn:\n    Type: AWS::IAM::ManagedPolicy\n    Properties:\n      PolicyDocument: {Statement: [{Effect: Allow, Action: 's3:GetObject', Resource: '*'}]}\n",
    )
    .unwrap_or_default();
    let p = path.display().to_string();
    let check = |extra: &[&str]| {
        let mut args = vec![
            "check-access-not-granted",
            "--actions",
            "iam:PassRole",
            "--template-path",
            &p,
        ];
        args.extend_from_slice(extra);
        hornbeam(&args)
    };
    let r = check(&[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let v = json(&r);
    assert_eq!(v["BlockingFindings"][0]["code"], "POLICY_NOT_CHECKED");
    assert_eq!(v["BlockingFindings"][0]["resourceName"], "Transform");
    let r = check(&["--ignore-finding", "Transform"]);
    assert_eq!(r.code, 0);
    let _ = std::fs::remove_dir_all(&dir);
}

/// A resource of a type hornbeam does not read, holding a policy that makes it public,
/// got no finding and exit 0 (issue 24). Every check now reports it as not checked.
#[test]
fn a_policy_hornbeam_does_not_read_blocks() {
    let dir = std::env::temp_dir().join(format!("hornbeam-unread-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temp dir");
    let file = dir.join("acme.yaml");
    std::fs::write(
        &file,
        "Resources:\n  Feed:\n    Type: AWS::Acme::FeedPolicy\n    Properties:\n      Policy:\n        Version: '2012-10-17'\n        Statement:\n          - Effect: Allow\n            Principal: '*'\n            Action: acme:Read\n            Resource: '*'\n  Bucket:\n    Type: AWS::S3::Bucket\n",
    )
    .expect("write");
    let path = file.to_str().expect("a path");
    for check in [
        vec!["check-no-public-access"],
        vec!["check-access-not-granted", "--actions", "iam:PassRole"],
    ] {
        let mut args = check.clone();
        args.extend(["--template-path", path, "--output", "text"]);
        let r = hornbeam(&args);
        assert_eq!(r.code, 1, "{check:?}: {}{}", r.stdout, r.stderr);
        assert!(
            r.stdout.contains("BLOCKING     POLICY_NOT_CHECKED Feed")
                && r.stdout.contains("`AWS::Acme::FeedPolicy`")
                && r.stdout.contains("`Properties.Policy`"),
            "{}",
            r.stdout
        );
    }
    // The same in a Terraform plan; a data source building a document is not one.
    let plan = serde_json::json!({"format_version": "1.2", "planned_values": {"root_module": {"resources": [
        {"address": "aws_acme_feed.f", "mode": "managed", "type": "aws_acme_feed", "name": "f",
         "values": {"policy": r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"acme:Read","Resource":"*"}]}"#}},
        {"address": "data.aws_iam_policy_document.d", "mode": "data", "type": "aws_iam_policy_document", "name": "d",
         "values": {"json": r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#}}
    ]}}});
    let file = dir.join("plan.json");
    std::fs::write(&file, plan.to_string()).expect("write");
    let r = hornbeam(&[
        "check-no-public-access",
        "--template-path",
        file.to_str().expect("a path"),
        "--output",
        "text",
    ]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains("POLICY_NOT_CHECKED aws_acme_feed.f")
            && !r.stdout.contains("aws_iam_policy_document.d"),
        "{}",
        r.stdout
    );
    std::fs::remove_dir_all(&dir).ok();
}

/// `--output sarif` is offered by every check, so it works for single documents and
/// batches too (it was refused outside templates; issue 24): a FAIL is one result
/// located at the document, a batch is one log with a result per failing file.
#[test]
fn sarif_for_documents_and_batches() {
    let fail = "reference-policies/bucket-from-one-account/candidates/fail-other-account.json";
    let r = hornbeam(&[
        "check-no-new-access",
        "--new-policy-document",
        &format!("file://{fail}"),
        "--existing-policy-document",
        "file://reference-policies/bucket-from-one-account/policy.json",
        "--policy-type",
        "RESOURCE_POLICY",
        "--output",
        "sarif",
    ]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let v = json(&r);
    let results = v["runs"][0]["results"].as_array().expect("results");
    assert_eq!(results.len(), 1, "{v}");
    assert_eq!(results[0]["ruleId"], "NEW_ACCESS");
    assert_eq!(
        results[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        fail
    );
    let r = hornbeam(&[
        "check-access-not-granted",
        "--policy-document",
        "reference-policies/*/policy.json",
        "--policy-type",
        "IDENTITY_POLICY",
        "--actions",
        "iam:PassRole",
        "--output",
        "sarif",
    ]);
    let v = json(&r);
    let results = v["runs"][0]["results"].as_array().expect("results");
    assert!(!results.is_empty(), "{v}");
    for x in results {
        let uri = x["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            .as_str()
            .unwrap_or_default();
        assert!(
            uri.starts_with("reference-policies/") && uri.ends_with("policy.json"),
            "{x}"
        );
    }
    assert!(r.stderr.contains("files checked:"), "{}", r.stderr);
}

/// CloudFormation rejects a template whose `Ref` / `Fn::GetAtt` / `Fn::Sub` names
/// nothing it defines, wherever the reference is; hornbeam accepted one outside a
/// policy (issue 24). A template with a Transform may refer to what the transform
/// creates, so it is not judged.
#[test]
fn undefined_references_anywhere_are_errors() {
    let dir = std::env::temp_dir().join(format!("hornbeam-refs-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temp dir");
    let file = dir.join("t.yaml");
    let body = "  Fn:\n    Type: AWS::Lambda::Function\n    Properties:\n      Runtime: python3.12\n      Handler: x.y\n      Role: !GetAtt Missing.Arn\n      Code: {ZipFile: pass}\n";
    std::fs::write(&file, format!("Resources:\n{body}")).expect("write");
    let path = file.to_str().expect("a path");
    let r = hornbeam(&["check-no-public-access", "--template-path", path]);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stderr
            .contains("Resources/Fn/Properties/Role/Fn::GetAtt (line 7): `Fn::GetAtt Missing`: no resource is named `Missing`"),
        "{}",
        r.stderr
    );
    assert_eq!(r.stderr.trim_end().lines().count(), 1, "{}", r.stderr);
    std::fs::write(&file, format!("Transform: AcmeMacro\nResources:\n{body}")).expect("write");
    let r = hornbeam(&["check-no-public-access", "--template-path", path]);
    assert_eq!(
        r.code, 1,
        "a Transform is a blocking gap, not an error: {}",
        r.stderr
    );
    std::fs::remove_dir_all(&dir).ok();
}

/// `AWS::LanguageExtensions` (issue 29): the loops are expanded offline, so every bucket
/// policy they make is checked under the name CloudFormation gives it; the `Rules`
/// section's functions are read and left alone; a repeated Sid in a bucket policy is
/// accepted, as S3 accepts it.
#[test]
fn language_extensions_are_expanded_and_checked() {
    let path = "tests/templates/language-extensions.yaml";
    let r = hornbeam(&["check-no-public-access", "--template-path", path]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let v = json(&r);
    let all: Vec<&Value> = v["BlockingFindings"]
        .as_array()
        .into_iter()
        .chain(v["NonBlockingFindings"].as_array())
        .flatten()
        .collect();
    let named: Vec<(&str, &str)> = all
        .iter()
        .map(|f| {
            (
                f["code"].as_str().unwrap_or_default(),
                f["resourceName"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(named, [("PUBLIC_ACCESS", "PublicBucketPolicy")], "{v}");
    // Both loop-made policies were read and checked (and pass).
    let r = hornbeam(&[
        "check-no-public-access",
        "--template-path",
        path,
        "--output",
        "text",
    ]);
    assert!(
        r.stdout.contains("3 CloudFormation template policies") && r.stdout.contains("3 checked"),
        "{}",
        r.stdout
    );
    // Where a Sid is repeated, the reason names the statement by index.
    let doc = r#"{"Statement":[{"Sid":"Open","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"},{"Sid":"Open","Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"s3:PutObject","Resource":"*"}]}"#;
    let r = hornbeam(&[
        "check-no-public-access",
        "--policy-document",
        doc,
        "--resource-type",
        "AWS::S3::Bucket",
    ]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let v = json(&r);
    assert_eq!(
        v["reasons"][0]["description"],
        "Public access granted in the following statement with index: 0.",
        "{v}"
    );
}

/// A loop whose collection is unknown offline is not expanded, and says so; with the
/// parameter given, it is.
#[test]
fn a_loop_over_an_unknown_collection_is_not_checked_and_says_so() {
    let (dir, shown) = template_file(
        "foreach",
        "Transform: AWS::LanguageExtensions\nParameters:\n  Names: {Type: CommaDelimitedList}\nResources:\n  'Fn::ForEach::Q':\n    - N\n    - !Ref Names\n    - 'Queue${N}Policy':\n        Type: AWS::SQS::QueuePolicy\n        Properties:\n          Queues: [q]\n          PolicyDocument:\n            Statement: [{Effect: Allow, Principal: '*', Action: 'sqs:SendMessage', Resource: '*'}]\n",
    );
    let r = hornbeam(&["check-no-public-access", "--template-path", &shown]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let v = json(&r);
    let f = &v["BlockingFindings"][0];
    assert_eq!(f["code"], "POLICY_NOT_CHECKED", "{v}");
    assert_eq!(f["resourceName"], "Fn::ForEach::Q", "{v}");
    assert!(
        f["message"]
            .as_str()
            .unwrap_or_default()
            .contains("--parameters Names="),
        "{v}"
    );
    let r = hornbeam(&[
        "check-no-public-access",
        "--template-path",
        &shown,
        "--parameters",
        "Names=a,b",
    ]);
    let v = json(&r);
    let names: Vec<&str> = v["BlockingFindings"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|f| f["resourceName"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(names, ["QueueaPolicy", "QueuebPolicy"], "{v}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A nested stack's policies are another template's: before, a parent template whose
/// nested stack creates an admin role passed the gate without a word about it.
#[test]
fn a_nested_stack_is_not_checked_and_says_so() {
    let (dir, shown) = template_file(
        "nested",
        r#"{"Resources": {
  "Child": {"Type": "AWS::CloudFormation::Stack",
            "Properties": {"TemplateURL": "https://example.s3.amazonaws.com/child.template.json"}},
  "Queue": {"Type": "AWS::SQS::Queue"}
}}"#,
    );
    let r = hornbeam(&[
        "check-access-not-granted",
        "--template-path",
        &shown,
        "--actions",
        "iam:PassRole",
    ]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let v = json(&r);
    let f = &v["BlockingFindings"][0];
    assert_eq!(f["code"], "POLICY_NOT_CHECKED", "{v}");
    assert_eq!(f["resourceName"], "Child", "{v}");
    let message = f["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("nested stack") && message.contains("child.template.json"),
        "{message}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// `cdk synth` output as CDK writes it (tests/templates/cdk, aws-cdk-lib 2.278.0): asset
/// references, the bootstrap-version rule and parameter, and a nested stack. The parent
/// template's policies are checked and its nested stack is reported as not checked; the
/// nested template is gated on its own.
#[test]
fn cdk_synth_output_is_gated() {
    let parent = "tests/templates/cdk/HornbeamExample.template.json";
    let r = hornbeam(&[
        "check-access-not-granted",
        "--template-path",
        parent,
        "--actions",
        "iam:PassRole",
    ]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let v = json(&r);
    let found: Vec<(&str, &str)> = v["BlockingFindings"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|f| {
            (
                f["code"].as_str().unwrap_or_default(),
                f["resourceName"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert!(
        found.contains(&("ACCESS_GRANTED", "WorkerServiceRole8543584E")),
        "{found:?}"
    );
    assert!(
        found
            .iter()
            .any(|(code, name)| *code == "POLICY_NOT_CHECKED"
                && name.starts_with("AuditNestedStack")),
        "{found:?}"
    );
    let nested = "tests/templates/cdk/HornbeamExampleAudit93E82B7E.nested.template.json";
    let r = hornbeam(&[
        "check-access-not-granted",
        "--template-path",
        nested,
        "--actions",
        "iam:PassRole",
    ]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
}

/// Conditions over many unknown parameters (issue 29): 2^7 combinations for the whole
/// template was exit 2; each policy depends on its own condition only, so each is
/// checked under it.
#[test]
fn many_unknown_conditions_are_checked_policy_by_policy() {
    let mut text = String::from("Parameters:\n");
    for i in 0..7 {
        text += &format!("  P{i}: {{Type: String}}\n");
    }
    text += "Conditions:\n";
    for i in 0..7 {
        text += &format!("  C{i}: !Equals [!Ref P{i}, public]\n");
    }
    text += "Resources:\n";
    for i in 0..7 {
        text += &format!(
            "  Q{i}Policy:\n    Type: AWS::SQS::QueuePolicy\n    Condition: C{i}\n    Properties:\n      Queues: [q]\n      PolicyDocument:\n        Statement: [{{Effect: Allow, Principal: '*', Action: 'sqs:SendMessage', Resource: '*'}}]\n"
        );
    }
    let (dir, shown) = template_file("conds", &text);
    let r = hornbeam(&["check-no-public-access", "--template-path", &shown]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let v = json(&r);
    let findings = v["BlockingFindings"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(findings.len(), 7, "{v}");
    for (i, f) in findings.iter().enumerate() {
        assert_eq!(f["code"], "PUBLIC_ACCESS");
        assert_eq!(f["resourceName"], format!("Q{i}Policy"));
        assert_eq!(
            f["details"]["assumedConditions"][format!("C{i}")],
            true,
            "{f}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// What a transform or a module creates, a template refers to before it exists in it:
/// such a template is incomplete, so an undefined name is an unknown value and the
/// transform or module a POLICY_NOT_CHECKED finding, not exit 2 (found on cfn-lint's
/// fixture templates: a SAM policy attached to `!Ref myFunctionRole`, an output of a
/// module's resource).
#[test]
fn references_to_what_a_transform_or_module_creates_are_unknown() {
    let (dir, sam) = template_file(
        "sam-ref",
        "Transform: AcmeMacro\nResources:\n  Fn:\n    Type: Acme::Serverless::Function\n    Properties: {Handler: index.handler, Runtime: nodejs20.x, InlineCode: x}\n  Extra:\n    Type: AWS::IAM::Policy\n    Properties:\n      PolicyName: extra\n      Roles: [!Ref FnRole]\n      PolicyDocument: {Statement: [{Effect: Allow, Action: 's3:GetObject', Resource: '*'}]}\n",
    );
    let r = hornbeam(&["check-no-public-access", "--template-path", &sam]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let v = json(&r);
    assert_eq!(
        v["BlockingFindings"][0]["code"], "POLICY_NOT_CHECKED",
        "{v}"
    );
    assert_eq!(v["BlockingFindings"][0]["resourceName"], "Transform", "{v}");
    let _ = std::fs::remove_dir_all(&dir);
    let (dir, module) = template_file(
        "module",
        "Resources:\n  Storage:\n    Type: My::S3::Bucket::MODULE\n    Properties: {BucketName: b}\nOutputs:\n  Name:\n    Value: !Ref StorageBucket\n",
    );
    let r = hornbeam(&["check-no-public-access", "--template-path", &module]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let v = json(&r);
    let f = &v["BlockingFindings"][0];
    assert_eq!(
        (f["code"].as_str(), f["resourceName"].as_str()),
        (Some("POLICY_NOT_CHECKED"), Some("Storage")),
        "{v}"
    );
    assert!(
        f["message"].as_str().unwrap_or_default().contains("module"),
        "{v}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// A role whose `Condition` is false for every parameter value holds a trust policy that
/// is never created; it was reported as a policy hornbeam does not read (a blocking
/// POLICY_NOT_CHECKED), found on the SAM tests (a function deployed only when a
/// parameter says so). A resource of a type hornbeam does not read still is.
#[test]
fn a_resource_never_deployed_is_not_an_unread_policy() {
    let body = "Parameters:\n  On: {Type: String, Default: 'no', AllowedValues: ['yes', 'no']}\nConditions:\n  Enabled: !Equals [!Ref On, 'yes']\nResources:\n  R:\n    Type: AWS::IAM::Role\n    Condition: Enabled\n    Properties:\n      AssumeRolePolicyDocument: {Statement: [{Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: 'sts:AssumeRole'}]}\n";
    let (dir, path) = template_file("never", body);
    let r = hornbeam(&["check-no-public-access", "--template-path", &path]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let (dir2, unread) = template_file(
        "never-acme",
        &body
            .replace(
                "AWS::IAM::Role\n    Condition: Enabled",
                "Acme::Auth::Role\n    Condition: Enabled",
            )
            .replace("'no', AllowedValues", "'yes', AllowedValues"),
    );
    let r = hornbeam(&["check-no-public-access", "--template-path", &unread]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert_eq!(
        json(&r)["BlockingFindings"][0]["code"],
        "POLICY_NOT_CHECKED"
    );
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_dir_all(&dir2);
}

/// `validate --template-path` (issue 27): ValidatePolicy over every policy of a
/// template, in cfn-policy-validator's shape, blocking by finding type, at the policy's
/// template line in SARIF; `--ignore-finding` takes AWS's codes.
#[test]
fn validate_runs_validate_policy_over_a_template() {
    let (dir, path) = template_file(
        "validate",
        "Resources:\n  R:\n    Type: AWS::IAM::Role\n    Properties:\n      AssumeRolePolicyDocument:\n        Version: '2012-10-17'\n        Statement: [{Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: 'sts:AssumeRole'}]\n      Policies:\n        - PolicyName: deploy\n          PolicyDocument:\n            Version: '2012-10-17'\n            Statement: [{Effect: Allow, Action: ['iam:PassRole', 'ec2:Describe*', 'ec2:DescribeImages'], Resource: '*'}]\n",
    );
    let r = hornbeam(&["validate", "--template-path", &path]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let v = json(&r);
    assert_eq!(
        v["BlockingFindings"][0]["code"], "PASS_ROLE_WITH_STAR_IN_RESOURCE",
        "{v}"
    );
    assert_eq!(v["BlockingFindings"][0]["findingType"], "SECURITY_WARNING");
    assert_eq!(v["BlockingFindings"][0]["resourceName"], "R");
    assert_eq!(v["BlockingFindings"][0]["policyName"], "deploy");
    assert_eq!(
        v["BlockingFindings"][0]["details"]["finding"]["locations"][0]["path"],
        serde_json::json!([{"value":"Statement"},{"index":0},{"value":"Resource"}])
    );
    assert_eq!(
        v["NonBlockingFindings"][0]["code"], "REDUNDANT_ACTION",
        "{v}"
    );
    let r = hornbeam(&[
        "validate",
        "--template-path",
        &path,
        "--ignore-finding",
        "PASS_ROLE_WITH_STAR_IN_RESOURCE",
    ]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let r = hornbeam(&["validate", "--template-path", &path, "--output", "sarif"]);
    let s: Value = serde_json::from_str(&r.stdout).unwrap();
    let result = &s["runs"][0]["results"][0];
    assert_eq!(result["ruleId"], "PASS_ROLE_WITH_STAR_IN_RESOURCE");
    assert_eq!(
        result["locations"][0]["physicalLocation"]["region"]["startLine"],
        11
    );
    let rules = s["runs"][0]["tool"]["driver"]["rules"].as_array().unwrap();
    let index = result["ruleIndex"].as_u64().unwrap() as usize;
    assert_eq!(rules[index]["id"], "PASS_ROLE_WITH_STAR_IN_RESOURCE");
    assert!(
        rules[index]["helpUri"]
            .as_str()
            .unwrap()
            .ends_with("security-warning-pass-role-with-star-in-resource")
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// `validate` sends a role's trust policy as AWS::IAM::AssumeRolePolicyDocument, as
/// cfn-policy-validator does, so the trust-policy checks run on it (issue 27).
#[test]
fn validate_checks_trust_policies_as_trust_policies() {
    let (dir, path) = template_file(
        "validate-trust",
        "Resources:\n  Deploy:\n    Type: AWS::IAM::Role\n    Properties:\n      AssumeRolePolicyDocument:\n        Version: '2012-10-17'\n        Statement:\n          - Effect: Allow\n            Principal: {Federated: !Sub 'arn:aws:iam::${AWS::AccountId}:oidc-provider/token.actions.githubusercontent.com'}\n            Action: 'sts:AssumeRoleWithWebIdentity'\n            Condition: {StringLike: {'token.actions.githubusercontent.com:aud': sts.amazonaws.com}}\n",
    );
    let r = hornbeam(&["validate", "--template-path", &path]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let v = json(&r);
    assert_eq!(
        v["BlockingFindings"][0]["code"], "MISSING_GITHUB_REPO_CONDITION_KEY",
        "{v}"
    );
    assert_eq!(v["BlockingFindings"][0]["policyName"], "TrustPolicy");
    let _ = std::fs::remove_dir_all(&dir);
}

/// `validate` also analyses external access of every resource and role trust policy
/// (issue 28), with the template's account as the zone of trust unless
/// `--zone-of-trust` says otherwise; `--allow-external-principals` leaves a partner's
/// findings out, as cfn-policy-validator does.
#[test]
fn validate_reports_external_principals() {
    let path = common::repo_path("tests/serve/shared.yaml");
    let path = path.to_str().unwrap();
    let base = [
        "validate",
        "--template-path",
        path,
        "--account-id",
        "111122223333",
    ];
    let r = hornbeam(&base);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let v = json(&r);
    let found: Vec<(&str, &str, &Value)> = v["BlockingFindings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["code"].as_str().unwrap(),
                f["resourceName"].as_str().unwrap(),
                &f["details"]["principal"],
            )
        })
        .collect();
    assert_eq!(
        found,
        [
            (
                "EXTERNAL_PRINCIPAL",
                "PartnerRole",
                &serde_json::json!({"AWS": "444455556666"})
            ),
            (
                "EXTERNAL_PRINCIPAL",
                "SharedKey",
                &serde_json::json!({"AWS": "444455556666"})
            ),
            (
                "EXTERNAL_PRINCIPAL",
                "OrdersPolicy",
                &serde_json::json!({"AWS": "arn:aws:iam::444455556666:role/producer"})
            ),
        ]
    );
    assert_eq!(v["BlockingFindings"][0]["findingType"], "SECURITY_WARNING");
    let mut allowed = base.to_vec();
    allowed.extend(["--allow-external-principals", "444455556666"]);
    assert_eq!(hornbeam(&allowed).code, 0);
    // The partner inside an organization zone with both accounts: nothing external.
    let mut org = base.to_vec();
    org.extend([
        "--zone-of-trust",
        "o-a1b2c3d4e5",
        "--zone-account",
        "111122223333,444455556666",
    ]);
    assert_eq!(hornbeam(&org).code, 0, "{}", hornbeam(&org).stdout);
    let mut off = base.to_vec();
    off.push("--no-external-access");
    assert_eq!(hornbeam(&off).code, 0);
    let mut bad = base.to_vec();
    bad.extend(["--zone-of-trust", "nobody"]);
    let r = hornbeam(&bad);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("--zone-of-trust"), "{}", r.stderr);
}
