//! Keys whose value the encoder derives from the caller (`aws:PrincipalAccount` is the
//! account field of the caller's ARN) under every operator form that compares text.
//! Regressions for a false PASS: case-insensitive operators on `aws:PrincipalAccount`
//! were decided on region witnesses that no glob split, so no witness had the account.

mod common;

use hornbeam::checks::{self, Encoding, Options, Verdict};
use hornbeam::eval;
use hornbeam::policy::{self, PolicyType};
use serde_json::json;

fn identity_policy(operator: &str) -> String {
    json!({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*",
        "Condition": {operator: {"aws:PrincipalAccount": ["111122223333"]}}
    }]})
    .to_string()
}

/// `check-access-not-granted` for `sts:AssumeRole` must FAIL with a counterexample the
/// evaluator allows, in both encodings.
fn assert_grants_assume_role(text: &str, policy_type: PolicyType) {
    let p = policy::parse(text, policy_type).expect("valid policy");
    let access = [checks::Access {
        actions: vec!["sts:AssumeRole".into()],
        resources: vec![],
    }];
    for encoding in [Encoding::Finite, Encoding::Strings] {
        let opts = Options {
            encoding,
            ..Options::default()
        };
        let r = hornbeam::run(
            &hornbeam::Check::AccessNotGranted {
                policy: &p,
                access: &access,
            },
            &opts,
        )
        .expect("no internal error");
        assert_eq!(r.verdict(), Verdict::Fail, "{encoding:?}: {text}");
        assert!(
            r.inconclusive().is_none(),
            "{encoding:?}: {:?}",
            r.inconclusive()
        );
        let cx = r.counterexample().expect("a counterexample");
        assert!(eval::allows(&p, cx), "{encoding:?}: replay of {cx:?}");
        assert_eq!(
            cx.principal.as_ref().and_then(|p| p.account()),
            Some("111122223333"),
            "{encoding:?}: {cx:?}"
        );
    }
}

#[test]
fn string_equals_ignore_case_on_the_principal_account_grants() {
    assert_grants_assume_role(
        &identity_policy("StringEqualsIgnoreCase"),
        PolicyType::Identity,
    );
}

#[test]
fn for_any_value_string_equals_ignore_case_on_the_principal_account_grants() {
    assert_grants_assume_role(
        &identity_policy("ForAnyValue:StringEqualsIgnoreCase"),
        PolicyType::Identity,
    );
}

#[test]
fn string_equals_ignore_case_if_exists_on_the_principal_account_grants() {
    assert_grants_assume_role(
        &identity_policy("StringEqualsIgnoreCaseIfExists"),
        PolicyType::Identity,
    );
}

#[test]
fn a_bucket_policy_with_the_condition_is_new_access_over_deny_all() {
    let new = json!({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
        "Resource": "arn:aws:s3:::bucket/*",
        "Condition": {"StringEqualsIgnoreCase": {"aws:PrincipalAccount": "111122223333"}}
    }]})
    .to_string();
    let existing = json!({"Version": "2012-10-17", "Statement": [{
        "Effect": "Deny", "Principal": "*", "Action": "*", "Resource": "*"
    }]})
    .to_string();
    let new = policy::parse(&new, PolicyType::Resource).expect("valid");
    let existing = policy::parse(&existing, PolicyType::Resource).expect("valid");
    for encoding in [Encoding::Finite, Encoding::Strings] {
        let opts = Options {
            encoding,
            ..Options::default()
        };
        let r = hornbeam::run(
            &hornbeam::Check::NoNewAccess {
                new: &new,
                existing: &existing,
            },
            &opts,
        )
        .expect("no internal error");
        assert_eq!(r.verdict(), Verdict::Fail, "{encoding:?}");
        assert!(
            r.inconclusive().is_none(),
            "{encoding:?}: {:?}",
            r.inconclusive()
        );
        let cx = r.counterexample().expect("a counterexample");
        assert!(eval::allows(&new, cx) && !eval::allows(&existing, cx));
        assert_eq!(
            cx.principal.as_ref().and_then(|p| p.account()),
            Some("111122223333")
        );
    }
}

#[test]
fn the_negated_case_insensitive_form_holds_for_every_other_caller() {
    for operator in [
        "StringNotEqualsIgnoreCase",
        "ForAllValues:StringNotEqualsIgnoreCase",
    ] {
        let text = json!({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*",
            "Condition": {operator: {"aws:PrincipalAccount": "111122223333"}}
        }]})
        .to_string();
        let p = policy::parse(&text, PolicyType::Identity).expect("valid");
        let r = common::run_check(
            &json!({"name": operator, "check": "check-access-not-granted", "request": {
                "policyType": "IDENTITY_POLICY", "policyDocument": text,
                "access": [{"actions": ["sts:AssumeRole"]}]}}),
            Encoding::Finite,
            10_000,
        )
        .0;
        assert_eq!(common::verdict(&r), "FAIL", "{operator}");
        let cx = r.counterexample().expect("counterexample");
        assert!(eval::allows(&p, cx));
        assert_ne!(
            cx.principal.as_ref().and_then(|p| p.account()),
            Some("111122223333")
        );
    }
}
