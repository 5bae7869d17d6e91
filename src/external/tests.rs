//! The zone-of-trust cases of each kind of principal, on the resource types' own
//! policies.

use super::*;

const ZONE: &str = "111122223333";

fn run(policy: &str, resource_type: &str, zone: &str) -> Analysis {
    let zone = Zone::parse(zone, &[]).unwrap();
    analyze(
        &Input {
            policy,
            resource_type,
            zone: &zone,
            existing: None,
        },
        &Options::default(),
    )
    .unwrap()
}

/// (principal, isPublic) of each finding of a complete analysis.
fn found(policy: &str, resource_type: &str, zone: &str) -> Vec<(String, bool)> {
    match run(policy, resource_type, zone) {
        Analysis::Complete { findings, .. } => findings
            .iter()
            .map(|f| (f.principal_text(), f.is_public))
            .collect(),
        Analysis::Inconclusive { why, .. } => panic!("inconclusive: {why}"),
    }
}

fn doc(statements: &str) -> String {
    format!(r#"{{"Version":"2012-10-17","Statement":[{statements}]}}"#)
}

const BUCKET: &str = "AWS::S3::Bucket";

#[test]
fn accounts_inside_and_outside_the_zone() {
    let p = |who: &str| {
        doc(&format!(
            r#"{{"Effect":"Allow","Principal":{{"AWS":"{who}"}},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}}"#
        ))
    };
    assert!(found(&p("arn:aws:iam::111122223333:root"), BUCKET, ZONE).is_empty());
    assert!(found(&p("arn:aws:iam::111122223333:role/reader"), BUCKET, ZONE).is_empty());
    assert_eq!(
        found(&p("444455556666"), BUCKET, ZONE),
        [("AWS:444455556666".to_string(), false)]
    );
    assert_eq!(
        found(&p("arn:aws:iam::444455556666:role/reader"), BUCKET, ZONE),
        [(
            "AWS:arn:aws:iam::444455556666:role/reader".to_string(),
            false
        )]
    );
}

#[test]
fn public_access_is_public() {
    let p = doc(
        r#"{"Effect":"Allow","Principal":"*","Action":["s3:GetObject","s3:ListBucket"],"Resource":["arn:aws:s3:::b","arn:aws:s3:::b/*"]}"#,
    );
    let a = run(&p, BUCKET, ZONE);
    let f = &a.findings()[0];
    assert_eq!((f.principal_text().as_str(), f.is_public), ("AWS:*", true));
    assert_eq!(f.action, ["s3:GetObject", "s3:ListBucket"]);
    // The witness is a request from outside the zone the policy allows.
    assert!(eval::allows(
        &policy::parse(&p, PolicyType::Resource).unwrap(),
        &f.witness
    ));
    assert_ne!(
        f.witness.principal.as_ref().and_then(|p| p.account()),
        Some(ZONE)
    );
}

#[test]
fn organization_conditions_under_each_zone() {
    let p = doc(
        r#"{"Effect":"Allow","Principal":"*","Action":"sqs:SendMessage","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-a1b2c3d4e5"}}}"#,
    );
    // Under an account zone the organization's other accounts are outside: not public.
    let f = found(&p, "AWS::SQS::Queue", ZONE);
    assert_eq!(f, [("AWS:*".to_string(), false)]);
    let a = run(&p, "AWS::SQS::Queue", ZONE);
    assert_eq!(
        a.findings()[0]
            .condition
            .get("aws:PrincipalOrgID")
            .map(String::as_str),
        Some("o-a1b2c3d4e5")
    );
    // Under the organization's zone, nobody outside.
    assert!(found(&p, "AWS::SQS::Queue", "o-a1b2c3d4e5").is_empty());
    // Under another organization's zone, outside again.
    assert_eq!(found(&p, "AWS::SQS::Queue", "o-zzzzzzzzzz").len(), 1);
}

#[test]
fn service_principals_by_their_source() {
    let p = |condition: &str| {
        doc(&format!(
            r#"{{"Effect":"Allow","Principal":{{"Service":"cloudtrail.amazonaws.com"}},"Action":"s3:PutObject","Resource":"arn:aws:s3:::logs/*"{condition}}}"#
        ))
    };
    // A service acting for the zone's account is inside.
    assert!(
        found(
            &p(r#","Condition":{"StringEquals":{"aws:SourceAccount":"111122223333"}}"#),
            BUCKET,
            ZONE
        )
        .is_empty()
    );
    assert!(found(
        &p(r#","Condition":{"ArnLike":{"aws:SourceArn":"arn:aws:cloudtrail:*:111122223333:trail/*"}}"#),
        BUCKET,
        ZONE
    )
    .is_empty());
    // Acting for anyone, or for another account: outside.
    assert_eq!(
        found(&p(""), BUCKET, ZONE),
        [("Service:cloudtrail.amazonaws.com".to_string(), false)]
    );
    assert_eq!(
        found(
            &p(r#","Condition":{"StringEquals":{"aws:SourceAccount":"444455556666"}}"#),
            BUCKET,
            ZONE
        )
        .len(),
        1
    );
}

#[test]
fn federated_principals_of_trust_policies() {
    let trust = doc(
        r#"{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"token.actions.githubusercontent.com:sub":"repo:octo-org/app:ref:refs/heads/main"}}}"#,
    );
    let f = found(&trust, "AWS::IAM::AssumeRolePolicyDocument", ZONE);
    assert_eq!(f.len(), 1, "{f:?}");
    assert!(f[0].0.starts_with("Federated:"), "{f:?}");
    let a = run(&trust, "AWS::IAM::AssumeRolePolicyDocument", ZONE);
    assert!(
        a.findings()[0]
            .condition
            .contains_key("token.actions.githubusercontent.com:sub")
    );
    // A service assuming the role: only when the account passes it the role
    // (iam:PassRole), so inside.
    let service = doc(
        r#"{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}"#,
    );
    assert!(found(&service, "AWS::IAM::AssumeRolePolicyDocument", ZONE).is_empty());
    // The same service principal on a bucket: any account's service can act.
    let bucket = doc(
        r#"{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"s3:GetObject","Resource":"*"}"#,
    );
    assert_eq!(found(&bucket, BUCKET, ZONE).len(), 1);
    // A role of the account assuming it: inside.
    let own = doc(
        r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/deployer"},"Action":"sts:AssumeRole"}"#,
    );
    assert!(found(&own, "AWS::IAM::AssumeRolePolicyDocument", ZONE).is_empty());
}

#[test]
fn deny_carve_outs_and_kms_caller_accounts() {
    // Allow everyone, deny everyone outside the account: nothing external.
    let carved = doc(
        r#"{"Effect":"Allow","Principal":"*","Action":"secretsmanager:GetSecretValue","Resource":"*"},{"Effect":"Deny","Principal":"*","Action":"*","Resource":"*","Condition":{"StringNotEquals":{"aws:PrincipalAccount":"111122223333"}}}"#,
    );
    assert!(found(&carved, "AWS::SecretsManager::Secret", ZONE).is_empty());
    // A key policy for the account's callers through a service.
    let key = doc(
        r#"{"Effect":"Allow","Principal":{"AWS":"*"},"Action":["kms:Decrypt","kms:GenerateDataKey*"],"Resource":"*","Condition":{"StringEquals":{"kms:CallerAccount":"111122223333","kms:ViaService":"s3.us-east-1.amazonaws.com"}}}"#,
    );
    assert!(found(&key, "AWS::KMS::Key", ZONE).is_empty());
    // The same key policy for another account's callers: outside.
    let shared = key.replace(
        "\"kms:CallerAccount\":\"111122223333\"",
        "\"kms:CallerAccount\":\"444455556666\"",
    );
    assert_eq!(
        found(&shared, "AWS::KMS::Key", ZONE),
        [("AWS:*".to_string(), false)]
    );
}

#[test]
fn every_kind_of_resource_policy() {
    for (t, action) in [
        ("AWS::SNS::Topic", "sns:Publish"),
        ("AWS::Lambda::Function", "lambda:InvokeFunction"),
        ("AWS::ECR::Repository", "ecr:BatchGetImage"),
        ("AWS::S3::AccessPoint", "s3:GetObject"),
    ] {
        let p = doc(&format!(
            r#"{{"Effect":"Allow","Principal":{{"AWS":["444455556666","111122223333"]}},"Action":"{action}","Resource":"*"}},{{"Effect":"Allow","Principal":"*","Action":"{action}","Resource":"*"}}"#
        ));
        let f = found(&p, t, ZONE);
        assert_eq!(
            f,
            [
                ("AWS:444455556666".to_string(), false),
                ("AWS:*".to_string(), true)
            ],
            "{t}"
        );
    }
}

#[test]
fn change_types_against_the_existing_policy() {
    let zone = Zone::parse(ZONE, &[]).unwrap();
    let existing = doc(
        r#"{"Effect":"Allow","Principal":{"AWS":"444455556666"},"Action":"s3:GetObject","Resource":"*"}"#,
    );
    let new = doc(
        r#"{"Effect":"Allow","Principal":{"AWS":"444455556666"},"Action":"s3:GetObject","Resource":"*"},{"Effect":"Allow","Principal":{"AWS":"777788889999"},"Action":"s3:GetObject","Resource":"*"}"#,
    );
    let a = analyze(
        &Input {
            policy: &new,
            resource_type: BUCKET,
            zone: &zone,
            existing: Some(&existing),
        },
        &Options::default(),
    )
    .unwrap();
    let changes: Vec<_> = a
        .findings()
        .iter()
        .map(|f| (f.principal_text(), f.change_type.map(ChangeType::name)))
        .collect();
    assert_eq!(
        changes,
        [
            ("AWS:444455556666".to_string(), Some("UNCHANGED")),
            ("AWS:777788889999".to_string(), Some("NEW"))
        ]
    );
}

#[test]
fn bad_input_is_an_error() {
    assert!(matches!(
        Zone::parse("12345", &[]),
        Err(ExternalError::Zone(_))
    ));
    assert!(Zone::parse("o-a1b2c3d4e5", &["111122223333".into()]).is_ok());
    let zone = Zone::parse(ZONE, &[]).unwrap();
    let e = analyze(
        &Input {
            policy: "{}",
            resource_type: "AWS::Nope::Thing",
            zone: &zone,
            existing: None,
        },
        &Options::default(),
    );
    assert!(matches!(e, Err(ExternalError::ResourceType(_))));
    let e = analyze(
        &Input {
            policy: r#"{"Statement":[{"Effect":"Allow","Action":"s3:*"}]}"#,
            resource_type: BUCKET,
            zone: &zone,
            existing: None,
        },
        &Options::default(),
    );
    assert!(matches!(e, Err(ExternalError::Policy { .. })), "{e:?}");
}
