//! Golden SMT-LIB snapshots of small examples, one per construct family, in both
//! encodings (`encodings/snapshots/`). The test regenerates each script and diffs it;
//! `UPDATE_GOLDEN=1` rewrites them after a deliberate change of the encoding.

mod common;

use hornbeam::checks::Access;
use hornbeam::checks::{Encoding, Options};
use hornbeam::policy::{self, PolicyType};

fn p(text: &str, t: PolicyType) -> policy::Policy {
    policy::parse(text, t).expect("example policy")
}

fn opts(encoding: Encoding) -> Options {
    Options {
        encoding,
        ..Options::default()
    }
}

fn check_snapshot(name: &str, actual: &str) {
    common::golden(&format!("encodings/snapshots/{name}.smt2"), actual);
}

const I: PolicyType = PolicyType::Identity;
const R: PolicyType = PolicyType::Resource;

fn no_new_access(name: &str, new: &str, existing: &str, t: PolicyType, encodings: &[Encoding]) {
    let (new, existing) = (p(new, t), p(existing, t));
    for &e in encodings {
        let text = hornbeam::Check::NoNewAccess {
            new: &new,
            existing: &existing,
        }
        .script(&opts(e))
        .expect("encodable");
        let suffix = if e == Encoding::Finite {
            "finite"
        } else {
            "strings"
        };
        check_snapshot(&format!("{name}.{suffix}"), &text);
    }
}

const BOTH: &[Encoding] = &[Encoding::Finite, Encoding::Strings];

#[test]
fn actions() {
    no_new_access(
        "actions",
        r#"{"Statement":{"Effect":"Allow","Action":"s3:Get*","Resource":"*"}}"#,
        r#"{"Statement":{"Effect":"Allow","Action":["s3:GetObject","S3:LIST*"],"Resource":"*"}}"#,
        I,
        BOTH,
    );
}

#[test]
fn resources() {
    no_new_access(
        "resources",
        r#"{"Statement":{"Effect":"Allow","Action":"iam:PassRole","Resource":"arn:aws:iam::*:role/app-*"}}"#,
        r#"{"Statement":{"Effect":"Allow","Action":"iam:PassRole","NotResource":["arn:aws:iam::111122223333:role/*","arn:aws:lambda:*"]}}"#,
        I,
        BOTH,
    );
}

#[test]
fn principals() {
    no_new_access(
        "principals",
        r#"{"Statement":{"Effect":"Allow","Principal":{"AWS":"111122223333","Service":"logs.amazonaws.com"},"Action":"s3:PutObject","Resource":"*"}}"#,
        r#"{"Statement":{"Effect":"Allow","Principal":"*","Action":"s3:PutObject","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalAccount":"111122223333"}}}}"#,
        R,
        BOTH,
    );
}

#[test]
fn conditions() {
    no_new_access(
        "conditions",
        r#"{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringLike":{"s3:prefix":"home/*"},"NumericLessThanEquals":{"s3:max-keys":"100"},"DateLessThan":{"aws:CurrentTime":"2030-01-01T00:00:00Z"},"IpAddress":{"aws:SourceIp":"10.0.0.0/8"},"Bool":{"aws:SecureTransport":"true"}}}}"#,
        r#"{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringNotEqualsIfExists":{"s3:prefix":"secret"},"NumericLessThan":{"s3:max-keys":"1000"},"NotIpAddress":{"aws:SourceIp":"10.9.0.0/16"},"Null":{"aws:SecureTransport":"false"}}}}"#,
        I,
        BOTH,
    );
}

#[test]
fn set_operators() {
    no_new_access(
        "set-operators",
        r#"{"Statement":{"Effect":"Allow","Action":"ec2:CreateTags","Resource":"*","Condition":{"ForAllValues:StringEquals":{"aws:TagKeys":["env","owner"]}}}}"#,
        r#"{"Statement":{"Effect":"Allow","Action":"ec2:CreateTags","Resource":"*","Condition":{"ForAnyValue:StringEquals":{"aws:TagKeys":"env"}}}}"#,
        I,
        BOTH,
    );
}

#[test]
fn policy_variables() {
    no_new_access(
        "policy-variables",
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/home/${aws:username}/*"}}"#,
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/home/*","Condition":{"StringEquals":{"aws:PrincipalTag/team":"${aws:username, 'none'}"}}}}"#,
        I,
        &[Encoding::Strings],
    );
}

#[test]
fn access_not_granted() {
    let policy = p(
        r#"{"Statement":{"Effect":"Allow","Action":"cloudtrail:*","Resource":"*"}}"#,
        I,
    );
    let access = [Access {
        actions: vec!["cloudtrail:StopLogging".into()],
        resources: vec![],
    }];
    for (e, suffix) in [(Encoding::Finite, "finite"), (Encoding::Strings, "strings")] {
        let text = hornbeam::Check::AccessNotGranted {
            policy: &policy,
            access: &access,
        }
        .script(&opts(e))
        .unwrap();
        check_snapshot(&format!("access-not-granted.{suffix}"), &text);
    }
}

#[test]
fn no_public_access() {
    let policy = p(
        r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"aws:SourceVpc":"vpc-1a2b"}}},{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"s3:PutObject","Resource":"*"}]}"#,
        R,
    );
    for (e, suffix) in [(Encoding::Finite, "finite"), (Encoding::Strings, "strings")] {
        let text = hornbeam::Check::NoPublicAccess {
            policy: &policy,
            resource_type: "AWS::S3::Bucket",
        }
        .script(&opts(e))
        .unwrap();
        check_snapshot(&format!("no-public-access.{suffix}"), &text);
    }
}
