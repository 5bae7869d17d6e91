//! The grammar, one rule per test: a document that breaks it and where the error points.

use super::*;

fn identity(text: &str) -> Result<Policy, PolicyError> {
    parse(text, PolicyType::Identity)
}

fn invalid(text: &str, policy_type: PolicyType) -> (String, String) {
    match parse(text, policy_type) {
        Err(PolicyError::Invalid {
            pointer, message, ..
        }) => (pointer, message),
        other => panic!("expected an invalid-policy error, got {other:?}"),
    }
}

#[test]
fn parses_a_typical_policy() {
    let p = identity(
        r#"{"Version":"2012-10-17","Statement":[{"Sid":"A","Effect":"Allow","Action":["s3:Get*"],"Resource":"arn:aws:s3:::b/${aws:username}/*","Condition":{"ForAnyValue:StringLike":{"aws:TagKeys":["a*","b"]},"NumericLessThan":{"s3:max-keys":10}}}]}"#,
    )
    .unwrap();
    assert!(p.variables);
    let s = &p.statements[0];
    assert_eq!(s.label(), "sid: A");
    assert_eq!(s.conditions.len(), 2);
    assert_eq!(s.conditions[0].key, "aws:tagkeys");
    assert_eq!(s.conditions[0].values.len(), 2);
    assert!(
        s.resources.as_ref().unwrap().items[0]
            .template
            .has_variables()
    );
}

#[test]
fn an_empty_sid_is_no_sid() {
    let p = parse(
        r#"{"Statement":[{"Sid":"","Effect":"Allow","Action":"s3:*","Resource":"*"},{"Sid":"","Effect":"Deny","Action":"s3:*","Resource":"*"}]}"#,
        PolicyType::Identity,
    )
    .unwrap();
    assert_eq!(p.statements[0].sid, None);
    assert_eq!(p.statements[1].label(), "index: 1");
}

#[test]
fn single_statement_object_is_accepted() {
    let p = identity(r#"{"Statement":{"Effect":"Deny","NotAction":"iam:*","NotResource":"*"}}"#)
        .unwrap();
    assert!(!p.variables);
    assert!(p.statements[0].actions.negated);
    assert_eq!(p.statements[0].label(), "index: 0");
}

#[test]
fn errors_name_the_place() {
    let (p, m) = invalid(
        r#"{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"},{"Effect":"Alow","Action":"s3:*","Resource":"*"}]}"#,
        PolicyType::Identity,
    );
    assert_eq!(p, "/Statement/1/Effect");
    assert!(m.contains("unknown effect `Alow`"), "{m}");
    let (p, _) = invalid(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/33"}}}]}"#,
        PolicyType::Identity,
    );
    assert_eq!(p, "/Statement/0/Condition/IpAddress/aws:SourceIp");
    let (p, _) = invalid(
        r#"{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEquals":{"aws:RequestTag/a":["x", {}]}}}]}"#,
        PolicyType::Identity,
    );
    assert_eq!(p, "/Statement/0/Condition/StringEquals/aws:RequestTag~1a/1");
}

#[test]
fn line_and_column_point_at_the_value() {
    let text = "{\n  \"Statement\": {\n    \"Effect\": \"Maybe\",\n    \"Action\": \"*\", \"Resource\": \"*\"}}";
    match identity(text) {
        Err(PolicyError::Invalid { line, column, .. }) => assert_eq!((line, column), (3, 15)),
        other => panic!("{other:?}"),
    }
}

#[test]
fn rejects_each_invalid_class() {
    let cases: &[(&str, PolicyType, &str)] = &[
        (
            r#"{"Statement":[{"Effect":"Allow","Action":"s3:*","NotAction":"s3:Get*","Resource":"*"}]}"#,
            PolicyType::Identity,
            "both `Action` and `NotAction`",
        ),
        (
            r#"{"Statement":[{"Action":"s3:*","Resource":"*"}]}"#,
            PolicyType::Identity,
            "no `Effect`",
        ),
        (
            r#"{"Statement":[{"Effect":"Allow","Resource":"*"}]}"#,
            PolicyType::Identity,
            "neither `Action` nor `NotAction`",
        ),
        (
            r#"{"Statement":[{"Effect":"Allow","Action":"s3:*"}]}"#,
            PolicyType::Identity,
            "neither `Resource`",
        ),
        (
            r#"{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Principal":"*"}]}"#,
            PolicyType::Identity,
            "not allowed in an identity policy",
        ),
        (
            r#"{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#,
            PolicyType::Resource,
            "neither `Principal`",
        ),
        (
            r#"{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEqualz":{"a:b":"c"}}}]}"#,
            PolicyType::Identity,
            "unknown condition operator",
        ),
        (
            r#"{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"ForEach:StringEquals":{"a:b":"c"}}}]}"#,
            PolicyType::Identity,
            "unknown set qualifier",
        ),
        (
            r#"{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"NullIfExists":{"a:b":"true"}}}]}"#,
            PolicyType::Identity,
            "NullIfExists",
        ),
        (
            r#"{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"NumericLessThan":{"a:b":"ten"}}}]}"#,
            PolicyType::Identity,
            "not a valid number",
        ),
        (
            r#"{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"DateLessThan":{"aws:CurrentTime":"soon"}}}]}"#,
            PolicyType::Identity,
            "not a valid date",
        ),
        (
            r#"{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"yes"}}}]}"#,
            PolicyType::Identity,
            "not a valid boolean",
        ),
        (
            r#"{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"BinaryEquals":{"a:b":"%%%"}}}]}"#,
            PolicyType::Identity,
            "base64",
        ),
        (
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"NumericEquals":{"a:b":"${aws:username}"}}}]}"#,
            PolicyType::Identity,
            "policy variables are not allowed in numeric",
        ),
        (
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:${aws:username}","Resource":"*"}]}"#,
            PolicyType::Identity,
            "not allowed in actions",
        ),
        (
            r#"{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Extra":1}]}"#,
            PolicyType::Identity,
            "unknown statement field `Extra`",
        ),
        (
            r#"{"Statement":[{"Effect":"Allow","action":"s3:*","Resource":"*"}]}"#,
            PolicyType::Identity,
            "did you mean `Action`",
        ),
        (
            r#"{"Statements":[]}"#,
            PolicyType::Identity,
            "unknown policy field",
        ),
        (
            r#"{"Version":"2020-01-01","Statement":[]}"#,
            PolicyType::Identity,
            "unknown policy version",
        ),
        (
            r#"{"Statement":[{"Effect":"Allow","Action":"getobject","Resource":"*"}]}"#,
            PolicyType::Identity,
            "not of the form",
        ),
        (
            r#"{"Statement":[{"Effect":"Allow","Action":[],"Resource":"*"}]}"#,
            PolicyType::Identity,
            "list is empty",
        ),
        (
            r#"{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"bucket"}]}"#,
            PolicyType::Identity,
            "neither `*` nor an ARN",
        ),
        (
            r#"{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Principal":{"AWS":"arn:aws:iam::1:role/*"}}]}"#,
            PolicyType::Resource,
            "contains a wildcard",
        ),
        (
            r#"{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Principal":{"Aws":"*"}}]}"#,
            PolicyType::Resource,
            "did you mean `AWS`",
        ),
        (
            r#"{"Statement":[{"Sid":"A","Effect":"Allow","Action":"s3:*","Resource":"*"},{"Sid":"A","Effect":"Deny","Action":"s3:*","Resource":"*"}]}"#,
            PolicyType::Identity,
            "duplicate Sid",
        ),
        (r#"[]"#, PolicyType::Identity, "must be a JSON object"),
    ];
    // A resource policy may repeat a Sid (S3 accepts it); its statements are then named
    // by index.
    let p = parse(
        r#"{"Statement":[{"Sid":"A","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"},{"Sid":"A","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*"},{"Sid":"B","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*"}]}"#,
        PolicyType::Resource,
    )
    .unwrap();
    let labels: Vec<String> = p.statements.iter().map(|s| s.label()).collect();
    assert_eq!(labels, ["index: 0", "index: 1", "sid: B"]);
    for (text, policy_type, expected) in cases {
        let (_, message) = invalid(text, *policy_type);
        assert!(message.contains(expected), "{text}: {message}");
    }
}

#[test]
fn syntax_errors_have_line_and_column() {
    match identity("{\n  \"Statement\": [,]\n}") {
        Err(PolicyError::Syntax { line, .. }) => assert_eq!(line, 2),
        other => panic!("{other:?}"),
    }
    match identity("{\"Statement\":[],\n\"Statement\":[]}") {
        Err(PolicyError::Syntax { line, message, .. }) => {
            assert_eq!(line, 2);
            assert!(message.contains("duplicate key"));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn principals() {
    let p = parse(
        r#"{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Principal":{"AWS":["111122223333","arn:aws:iam::222233334444:root","arn:aws:iam::1:role/r","*"],"Service":"s3.amazonaws.com","Federated":"*"}}]}"#,
        PolicyType::Resource,
    )
    .unwrap();
    let items = &p.statements[0].principals.as_ref().unwrap().items;
    assert_eq!(items[0], PrincipalPattern::Account("111122223333".into()));
    assert_eq!(items[1], PrincipalPattern::Account("222233334444".into()));
    assert_eq!(
        items[2],
        PrincipalPattern::Exact(PrincipalKind::Aws, "arn:aws:iam::1:role/r".into())
    );
    assert_eq!(items[3], PrincipalPattern::Everyone);
    assert_eq!(
        items[4],
        PrincipalPattern::Exact(PrincipalKind::Service, "s3.amazonaws.com".into())
    );
    assert_eq!(
        items[5],
        PrincipalPattern::AnyOfKind(PrincipalKind::Federated)
    );
}
