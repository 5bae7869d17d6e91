//! External access (issue 28): the CLI, the proof bundle, and the completeness property
//! (every sampled request from outside the zone that a policy allows is covered by a
//! finding, every finding's witness is such a request, and isPublic agrees with
//! check-no-public-access).

mod common;

use hornbeam::checks::Options;
use hornbeam::eval::{self, Context, Principal, Request};
use hornbeam::external::{self, Analysis, Input, Zone};
use hornbeam::policy::{self, PolicyType};
use proptest::prelude::*;
use serde_json::{Value, json};

fn hornbeam(args: &[&str]) -> common::Run {
    common::hornbeam_with_stdin(env!("CARGO_BIN_EXE_hornbeam"), args, None)
}

const ZONE: &str = "111122223333";
const BUCKET_EXAMPLE: &str = "examples/external/shared-bucket.json";

#[test]
fn cli_lists_findings_blocks_and_proves() {
    let path = common::repo_path(BUCKET_EXAMPLE);
    let doc = path.to_str().unwrap();
    let base = [
        "check-external-access",
        "--resource-type",
        "AWS::S3::Bucket",
        "--zone-of-trust",
        ZONE,
        "--policy-document",
        doc,
    ];
    let r = hornbeam(&base);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["result"], "COMPLETE");
    let principals: Vec<&Value> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| &f["principal"])
        .collect();
    assert_eq!(
        principals,
        [
            &json!({"AWS": "arn:aws:iam::444455556666:role/ingest"}),
            &json!({"AWS": "*"})
        ]
    );
    assert_eq!(
        v["findings"][1]["condition"]["aws:PrincipalOrgID"],
        "o-a1b2c3d4e5"
    );
    assert_eq!(v["findings"][1]["isPublic"], false);
    // Allowing the partner leaves the organization's other accounts blocking.
    let mut allowed = base.to_vec();
    allowed.extend(["--allow-external-principals", "444455556666"]);
    let r = hornbeam(&allowed);
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(r.code, 1);
    assert_eq!(v["findings"][0]["blocking"], false);
    assert_eq!(v["findings"][1]["blocking"], true);
    // The organization as the zone: only the partner is outside.
    let r = hornbeam(&[
        "check-external-access",
        "--resource-type",
        "AWS::S3::Bucket",
        "--zone-of-trust",
        "o-a1b2c3d4e5",
        "--zone-account",
        ZONE,
        "--policy-document",
        doc,
        "--allow-external-principals",
        "arn:aws:iam::444455556666:role/ingest",
        "--output",
        "text",
    ]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout.starts_with("1 external access finding(s)"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("(allowed)"), "{}", r.stdout);
    // SARIF: a result per finding.
    let mut sarif = base.to_vec();
    sarif.extend(["--output", "sarif"]);
    let s: Value = serde_json::from_str(&hornbeam(&sarif).stdout).unwrap();
    assert_eq!(s["runs"][0]["results"].as_array().unwrap().len(), 2);
    assert_eq!(s["runs"][0]["results"][0]["ruleId"], "EXTERNAL_ACCESS");
}

#[test]
fn the_proof_bundle_re_checks() {
    let dir = std::env::temp_dir().join(format!("hornbeam-external-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let path = common::repo_path(BUCKET_EXAMPLE);
    let r = hornbeam(&[
        "check-external-access",
        "--resource-type",
        "AWS::S3::Bucket",
        "--zone-of-trust",
        ZONE,
        "--policy-document",
        path.to_str().unwrap(),
        "--emit-proof",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let v = hornbeam(&["verify-proof", dir.to_str().unwrap()]);
    assert_eq!(v.code, 0, "{}{}", v.stdout, v.stderr);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_input_exits_2_naming_the_flag() {
    let ok = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"}]}"#;
    for (args, expected) in [
        (
            [
                "--zone-of-trust",
                "12345",
                "--resource-type",
                "AWS::S3::Bucket",
            ],
            "--zone-of-trust",
        ),
        (
            [
                "--zone-of-trust",
                ZONE,
                "--resource-type",
                "AWS::Nope::Thing",
            ],
            "--resource-type: unknown resource type `AWS::Nope::Thing`",
        ),
    ] {
        let mut all = vec!["check-external-access", "--policy-document", ok];
        all.extend(args);
        let r = hornbeam(&all);
        assert_eq!(r.code, 2, "{}", r.stderr);
        assert!(r.stderr.contains(expected), "{}", r.stderr);
    }
    let r = hornbeam(&[
        "check-external-access",
        "--policy-document",
        r#"{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#,
        "--zone-of-trust",
        ZONE,
        "--resource-type",
        "AWS::S3::Bucket",
    ]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("/Statement/0"), "{}", r.stderr);
}

// The completeness property.

fn principal_item() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(json!("*")),
        Just(json!({"AWS": ZONE})),
        Just(json!({"AWS": "444455556666"})),
        Just(json!({"AWS": "arn:aws:iam::444455556666:role/app"})),
        Just(json!({"AWS": ["arn:aws:iam::111122223333:role/ops", "777788889999"]})),
        Just(json!({"Service": "sns.amazonaws.com"})),
        Just(json!({"Federated": "accounts.google.com"})),
    ]
}

fn condition() -> impl Strategy<Value = Option<Value>> {
    prop_oneof![
        Just(None),
        Just(Some(
            json!({"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}})
        )),
        Just(Some(json!({"StringEquals": {"aws:SourceAccount": ZONE}}))),
        Just(Some(
            json!({"StringEquals": {"aws:SourceAccount": "444455556666"}})
        )),
        Just(Some(
            json!({"StringNotEquals": {"aws:PrincipalAccount": ZONE}})
        )),
        Just(Some(
            json!({"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}})
        )),
    ]
}

fn statement() -> impl Strategy<Value = Value> {
    (
        prop_oneof![3 => Just("Allow"), 1 => Just("Deny")],
        principal_item(),
        prop_oneof![Just("s3:GetObject"), Just("s3:*"), Just("s3:List*")],
        condition(),
    )
        .prop_map(|(effect, principal, action, condition)| {
            let mut s = json!({"Effect": effect, "Principal": principal, "Action": action, "Resource": "*"});
            if let Some(c) = condition {
                s["Condition"] = c;
            }
            s
        })
}

fn policy_text() -> impl Strategy<Value = String> {
    prop::collection::vec(statement(), 1..4)
        .prop_map(|s| json!({"Version": "2012-10-17", "Statement": s}).to_string())
}

/// Requests from every kind of caller, inside and outside the zone.
fn requests() -> Vec<Request> {
    let callers = [
        Some(Principal::Aws(format!("arn:aws:iam::{ZONE}:role/ops"))),
        Some(Principal::Aws("arn:aws:iam::444455556666:role/app".into())),
        Some(Principal::Aws("arn:aws:iam::777788889999:root".into())),
        Some(Principal::Anonymous),
        Some(Principal::Service("sns.amazonaws.com".into())),
        Some(Principal::Federated("accounts.google.com".into())),
    ];
    let contexts: Vec<Vec<(&str, &str)>> = vec![
        vec![],
        vec![("aws:PrincipalOrgID", "o-a1b2c3d4e5")],
        vec![("aws:SourceAccount", ZONE)],
        vec![("aws:SourceAccount", "444455556666")],
        vec![("aws:SourceIp", "203.0.113.9")],
    ];
    let mut out = Vec::new();
    for caller in &callers {
        for ctx in &contexts {
            let iam = matches!(caller, Some(Principal::Aws(_)));
            // Keys only an IAM caller carries; keys only a service's request carries.
            if ctx.iter().any(|(k, _)| *k == "aws:PrincipalOrgID") && !iam {
                continue;
            }
            if ctx.iter().any(|(k, _)| *k == "aws:SourceAccount")
                && !matches!(caller, Some(Principal::Service(_)))
            {
                continue;
            }
            for action in ["s3:GetObject", "s3:ListBucket"] {
                let mut context = Context::default();
                for (k, v) in ctx {
                    context.add(k, [v.to_string()]);
                }
                let mut r = Request {
                    principal: caller.clone(),
                    action: action.into(),
                    resource: "arn:aws:s3:::b/k".into(),
                    context,
                };
                r.link_principal_keys().unwrap();
                out.push(r);
            }
        }
    }
    out
}

/// Outside an account zone: an IAM caller of another account, or any other caller that
/// does not act for the zone's account.
fn outside(r: &Request) -> bool {
    match &r.principal {
        Some(Principal::Aws(_)) => r.principal.as_ref().and_then(|p| p.account()) != Some(ZONE),
        _ => r.context.single("aws:SourceAccount") != Some(ZONE),
    }
}

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(48)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn findings_are_complete_and_each_is_real(text in policy_text()) {
        let zone = Zone::parse(ZONE, &[]).unwrap();
        let input = Input { policy: &text, resource_type: "AWS::S3::Bucket", zone: &zone, existing: None };
        let analysis = external::analyze(&input, &Options::default()).unwrap();
        let Analysis::Complete { findings, .. } = analysis else {
            panic!("inconclusive on {text}");
        };
        let p = policy::parse(&text, PolicyType::Resource).unwrap();
        for f in &findings {
            prop_assert!(eval::allows(&p, &f.witness), "{text}: witness {}", f.witness.to_json());
            prop_assert!(outside(&f.witness), "{text}: witness {} is inside", f.witness.to_json());
            prop_assert!(f.covers(&f.witness));
        }
        // isPublic agrees with check-no-public-access.
        let public = hornbeam::run(
            &hornbeam::Check::NoPublicAccess { policy: &p, resource_type: "AWS::S3::Bucket" },
            &Options::default(),
        )
        .unwrap()
        .verdict()
            == hornbeam::checks::Verdict::Fail;
        prop_assert_eq!(findings.iter().any(|f| f.is_public), public, "{}", text);
        for r in requests() {
            if eval::allows(&p, &r) && outside(&r) {
                prop_assert!(
                    findings.iter().any(|f| f.covers(&r)),
                    "{text}: {} is allowed from outside and no finding covers it",
                    r.to_json()
                );
            }
        }
    }
}
