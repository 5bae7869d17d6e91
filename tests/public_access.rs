//! check-no-public-access: what names a caller (src/checks/callers.rs,
//! encodings/callers.md), on every resource type each case applies to, with an
//! independent property: callers built outside every set a policy names are never
//! allowed on a PASS, and a FAIL's counterexample names none of those sets.

mod common;

use hornbeam::checks::{Options, Outcome, Verdict};
use hornbeam::eval::{self, Context, Principal, Request};
use hornbeam::policy::{self, Policy, PolicyType};
use proptest::prelude::*;
use serde_json::{Value, json};

fn parse(statements: Value) -> Policy {
    let text = json!({"Version": "2012-10-17", "Statement": statements}).to_string();
    policy::parse(&text, PolicyType::Resource).expect("test policy parses")
}

fn check(p: &Policy, resource_type: &str) -> Outcome {
    hornbeam::run(
        &hornbeam::Check::NoPublicAccess {
            policy: p,
            resource_type,
        },
        &Options::default(),
    )
    .expect("no internal error")
}

/// The decided verdict (an inconclusive result counts as neither).
fn verdict(p: &Policy, resource_type: &str) -> Option<Verdict> {
    let r = check(p, resource_type);
    r.inconclusive().is_none().then_some(r.verdict())
}

const TRUST: &str = "AWS::IAM::AssumeRolePolicyDocument";
const RESOURCE_TYPES: &[&str] = &[
    "AWS::S3::Bucket",
    "AWS::SQS::Queue",
    "AWS::KMS::Key",
    "AWS::SNS::Topic",
];

/// A statement for a trust policy (no Resource) or a resource policy.
fn statement(resource_type: &str, principal: Value, action: &str, condition: Value) -> Value {
    let mut s = json!({"Effect": "Allow", "Principal": principal, "Action": action, "Condition": condition});
    if resource_type != TRUST {
        s["Resource"] = json!("*");
    }
    s
}

/// Every type a federated caller's statement applies to: the trust policy, and resource
/// policies that name the identity provider.
fn federated_types() -> impl Iterator<Item = &'static str> {
    std::iter::once(TRUST).chain(RESOURCE_TYPES.iter().copied())
}

/// A statement for a federated principal: assuming the role (trust policy) or anything
/// (resource policies).
fn federated(provider: &str, condition: Value, t: &str) -> Policy {
    let action = if t == TRUST {
        "sts:AssumeRoleWithWebIdentity"
    } else {
        "*"
    };
    parse(json!([statement(
        t,
        json!({"Federated": provider}),
        action,
        condition
    )]))
}

fn cognito(condition: Value, t: &str) -> Policy {
    federated("cognito-identity.amazonaws.com", condition, t)
}

#[test]
fn a_cognito_amr_names_nobody_and_its_identity_pool_does() {
    let pool = "us-east-1:12345678-abcd-abcd-abcd-123456789012";
    for t in federated_types() {
        for amr in ["unauthenticated", "authenticated"] {
            let amr_only =
                json!({"ForAnyValue:StringLike": {"cognito-identity.amazonaws.com:amr": amr}});
            assert_eq!(
                verdict(&cognito(amr_only, t), t),
                Some(Verdict::Fail),
                "{t} {amr}"
            );
            let with_pool = json!({
                "StringEquals": {"cognito-identity.amazonaws.com:aud": pool},
                "ForAnyValue:StringLike": {"cognito-identity.amazonaws.com:amr": amr}
            });
            assert_eq!(
                verdict(&cognito(with_pool, t), t),
                Some(Verdict::Pass),
                "{t} {amr}"
            );
        }
        let any_pool = json!({"StringLike": {"cognito-identity.amazonaws.com:aud": "us-east-1:*"}});
        assert_eq!(
            verdict(&cognito(any_pool, t), t),
            Some(Verdict::Fail),
            "{t}"
        );
    }
}

/// A trust policy for a multi-tenant OIDC issuer's provider in account 111122223333.
fn oidc(host: &str, condition: Value, t: &str) -> Policy {
    federated(
        &format!("arn:aws:iam::111122223333:oidc-provider/{host}"),
        condition,
        t,
    )
}

#[test]
fn a_github_audience_names_nobody_and_its_subject_names_the_repository_owner() {
    let gh = "token.actions.githubusercontent.com";
    let aud = format!("{gh}:aud");
    let sub = format!("{gh}:sub");
    let cases = [
        (
            json!({"StringEquals": {&aud: "sts.amazonaws.com"}}),
            Verdict::Fail,
        ),
        (
            json!({"StringEquals": {&aud: "sts.amazonaws.com"}, "StringLike": {&sub: "repo:*"}}),
            Verdict::Fail,
        ),
        (json!({"StringLike": {&sub: "repo:octo-*"}}), Verdict::Fail),
        (json!({"StringLike": {&sub: "*"}}), Verdict::Fail),
        (
            json!({"StringNotLike": {&sub: "repo:octo-org/*"}}),
            Verdict::Fail,
        ),
        (
            json!({"StringLike": {&sub: "repo:octo-org/*"}}),
            Verdict::Pass,
        ),
        (
            json!({"StringEquals": {&aud: "sts.amazonaws.com", &sub: "repo:octo-org/app:ref:refs/heads/main"}}),
            Verdict::Pass,
        ),
        (
            json!({"StringLike": {&sub: "repo:octo-org/app:environment:*"}}),
            Verdict::Pass,
        ),
        (
            json!({"StringEquals": {format!("{gh}:repository_owner"): "octo-org"}}),
            Verdict::Pass,
        ),
        (
            json!({"StringLike": {format!("{gh}:repository"): "octo-org/*"}}),
            Verdict::Pass,
        ),
        (
            json!({"StringEquals": {format!("{gh}:workflow"): "deploy"}}),
            Verdict::Fail,
        ),
    ];
    for t in federated_types() {
        for (condition, expected) in &cases {
            let p = oidc(gh, condition.clone(), t);
            assert_eq!(verdict(&p, t), Some(*expected), "{t}: {condition}");
        }
    }
    // GitLab, Terraform Cloud and Buildkite: the same shape, their own tenant forms.
    let others = [
        ("gitlab.com", "project_path:my-group/*", "project_path:*"),
        (
            "app.terraform.io",
            "organization:my-org:*",
            "organization:*",
        ),
        ("agent.buildkite.com", "organization:my-org:*", "*"),
    ];
    for (host, pinned, open) in others {
        let key = format!("{host}:sub");
        let p = oidc(host, json!({"StringLike": {&key: pinned}}), TRUST);
        assert_eq!(verdict(&p, TRUST), Some(Verdict::Pass), "{host} {pinned}");
        let p = oidc(host, json!({"StringLike": {&key: open}}), TRUST);
        assert_eq!(verdict(&p, TRUST), Some(Verdict::Fail), "{host} {open}");
        let p = oidc(
            host,
            json!({"StringEquals": {format!("{host}:aud"): "sts.amazonaws.com"}}),
            TRUST,
        );
        assert_eq!(verdict(&p, TRUST), Some(Verdict::Fail), "{host} aud");
    }
    // The provider-specific claims that name a tenant (iam-data's `sts` keys), and one
    // that every tenant's jobs present.
    let tenant_claims = [
        (
            "gitlab.com",
            json!({"StringEquals": {"gitlab.com:namespace_id": "1234"}}),
            Verdict::Pass,
        ),
        (
            "gitlab.com",
            json!({"StringEquals": {"gitlab.com:pipeline_source": "push"}}),
            Verdict::Fail,
        ),
        (
            "agent.buildkite.com",
            json!({"StringEquals": {"agent.buildkite.com:organization_slug": "my-org"}}),
            Verdict::Pass,
        ),
        (
            "agent.buildkite.com",
            json!({"StringEquals": {"agent.buildkite.com:build_branch": "main"}}),
            Verdict::Fail,
        ),
    ];
    for (host, condition, expected) in tenant_claims {
        let p = oidc(host, condition.clone(), TRUST);
        assert_eq!(verdict(&p, TRUST), Some(expected), "{host}: {condition}");
    }
    let google = |condition: Value| federated("accounts.google.com", condition, TRUST);
    let org = google(
        json!({"NumericEquals": {"accounts.google.com:google/organization_number": "123456789"}}),
    );
    assert_eq!(verdict(&org, TRUST), Some(Verdict::Pass));
    let any_org = google(
        json!({"NumericGreaterThan": {"accounts.google.com:google/organization_number": "0"}}),
    );
    assert_eq!(verdict(&any_org, TRUST), Some(Verdict::Fail));
    // An issuer whose URL holds the tenant names its callers by itself.
    let tenant = oidc("oidc.circleci.com/org/1234", json!({}), TRUST);
    assert_eq!(verdict(&tenant, TRUST), Some(Verdict::Pass));
}

#[test]
fn numeric_account_conditions_name_the_account() {
    for t in RESOURCE_TYPES {
        let one = |condition: Value| parse(json!([statement(t, json!("*"), "*", condition)]));
        let pinned = [
            json!({"NumericEquals": {"aws:SourceAccount": "111122223333"}}),
            json!({"NumericEquals": {"aws:SourceAccount": "111122223333"}, "NumericLessThan": {"aws:SourceAccount": "999999999999"}}),
            json!({"NumericEquals": {"aws:SourceAccount": "111122223333"}, "StringEquals": {"aws:SourceArn": "arn:aws:sns:us-east-1:111122223333:t"}}),
            json!({"NumericEquals": {"aws:SourceOwner": 111122223333_u64}}),
        ];
        for c in pinned {
            assert_eq!(verdict(&one(c.clone()), t), Some(Verdict::Pass), "{t}: {c}");
        }
        let open = [
            json!({"NumericNotEquals": {"aws:SourceAccount": "111122223333"}}),
            json!({"NumericLessThan": {"aws:SourceAccount": "999999999999"}}),
        ];
        for c in open {
            assert_eq!(verdict(&one(c.clone()), t), Some(Verdict::Fail), "{t}: {c}");
        }
    }
}

/// An organization path under a fixed organization names that organization's callers
/// (AWS's data-perimeter examples: `"aws:PrincipalOrgPaths": "o-a1b2c3d4e5/r-ab12/*"`);
/// a path that leaves the organization open names nobody (found by the external-access
/// analysis, issue 28).
#[test]
fn an_organization_path_names_the_organization() {
    for t in RESOURCE_TYPES {
        let one = |condition: Value| parse(json!([statement(t, json!("*"), "*", condition)]));
        for key in ["aws:PrincipalOrgPaths", "aws:SourceOrgPaths"] {
            for path in ["o-a1b2c3d4e5/*", "o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/*"] {
                let c = json!({"ForAnyValue:StringLike": {key: path}});
                assert_eq!(verdict(&one(c.clone()), t), Some(Verdict::Pass), "{t}: {c}");
            }
            for path in ["o-*", "*/r-ab12/*", "o-a1b2c3d4e5*"] {
                let c = json!({"ForAnyValue:StringLike": {key: path}});
                assert_eq!(verdict(&one(c.clone()), t), Some(Verdict::Fail), "{t}: {c}");
            }
        }
    }
}

#[test]
fn the_resource_owner_variables_name_the_owner() {
    for t in RESOURCE_TYPES {
        let one = |condition: Value| parse(json!([statement(t, json!("*"), "*", condition)]));
        for (key, variable) in [
            ("aws:PrincipalAccount", "${aws:ResourceAccount}"),
            ("aws:SourceAccount", "${aws:ResourceAccount}"),
            ("aws:PrincipalOrgID", "${aws:ResourceOrgID}"),
        ] {
            let same = one(json!({"StringEquals": {key: variable}}));
            let r = check(&same, t);
            assert!(
                r.inconclusive().is_none(),
                "{t} {key}: {:?}",
                r.inconclusive()
            );
            assert_eq!(r.verdict(), Verdict::Pass, "{t} {key}");
            let other = one(json!({"StringNotEquals": {key: variable}}));
            let r = check(&other, t);
            assert_eq!(r.verdict(), Verdict::Fail, "{t} {key}");
            let c = r
                .counterexample()
                .cloned()
                .expect("a decided FAIL has a counterexample");
            assert!(eval::allows(&other, &c));
        }
    }
}

#[test]
fn an_anonymous_counterexample_carries_no_identity_of_its_own() {
    let p = parse(json!([
        {"Effect": "Allow", "Principal": "*", "Action": ["s3:*", "sqs:Send*"], "Resource": "*",
         "Condition": {"StringLike": {"aws:PrincipalOrgID": "o-*"}}}
    ]));
    let r = check(&p, "AWS::S3::Bucket");
    let c = r.counterexample().expect("FAIL with a counterexample");
    // A key AWS sets only for organization members: the caller is an IAM principal.
    let Some(Principal::Aws(arn)) = &c.principal else {
        panic!("an organization member is an IAM principal: {c:?}");
    };
    assert_realistic(c);
    assert!(arn.starts_with("arn:aws:iam::"), "{arn}");
    let org = c.context.get("aws:PrincipalOrgID").expect("the key is set");
    assert!(
        org[0].len() > "o-".len() && org[0].starts_with("o-"),
        "{org:?}"
    );
}

#[test]
fn counterexamples_name_an_account_a_known_action_and_a_resource() {
    let cases = [
        json!([{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "s3:*", "Resource": "arn:aws:s3:::b/*",
                "Condition": {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/Admin"}}}]),
        json!([{"Effect": "Allow", "Principal": "*", "Action": "s3:Get*", "Resource": "*"}]),
        json!([{"Effect": "Allow", "Principal": "*", "NotAction": "iam:*", "Resource": "*"}]),
    ];
    for statements in cases {
        let p = parse(statements.clone());
        let c = check(&p, "AWS::S3::Bucket")
            .counterexample()
            .cloned()
            .expect("FAIL with a counterexample");
        assert_realistic(&c);
        assert!(eval::allows(&p, &c), "{statements}");
    }
}

/// The fields a reviewer reads are values an AWS request carries.
fn assert_realistic(c: &Request) {
    assert!(hornbeam::checks::is_known_action(&c.action), "action {c:?}");
    if let Some(Principal::Aws(arn)) = &c.principal {
        let fields: Vec<&str> = arn.splitn(6, ':').collect();
        assert_eq!(fields.len(), 6, "{arn}");
        assert!(policy::is_account_id(fields[4]), "{arn}");
        assert!(!fields[5].is_empty(), "{arn}");
    }
    assert!(c.resource.starts_with("arn:aws:"), "resource {c:?}");
    for (k, values) in c.context.iter() {
        assert!(values.iter().all(|v| !v.is_empty()), "{k} in {c:?}");
    }
}

// The independent property. The generator names only these callers; the sampled
// callers below lie outside every one of them.
const NAMED_ACCOUNT: &str = "111122223333";
const NAMED_ORG: &str = "o-named00000";
const NAMED_POOL: &str = "us-east-1:named-pool";
const NAMED_REPO_OWNER: &str = "named-org";
const NAMED_NET: &str = "10.1.0.0/16";
const GITHUB: &str = "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com";

fn principal_strategy() -> impl Strategy<Value = Value> {
    prop::sample::select(vec![
        json!("*"),
        json!({"AWS": "*"}),
        json!({"AWS": NAMED_ACCOUNT}),
        json!({"AWS": format!("arn:aws:iam::{NAMED_ACCOUNT}:role/r")}),
        json!({"Federated": "cognito-identity.amazonaws.com"}),
        json!({"Federated": GITHUB}),
        json!({"Service": "sns.amazonaws.com"}),
    ])
}

fn condition_strategy() -> impl Strategy<Value = Value> {
    let gh = "token.actions.githubusercontent.com";
    prop::sample::select(vec![
        json!({}),
        json!({"StringEquals": {"aws:PrincipalAccount": NAMED_ACCOUNT}}),
        json!({"StringNotEquals": {"aws:PrincipalAccount": NAMED_ACCOUNT}}),
        json!({"StringEquals": {"aws:SourceAccount": NAMED_ACCOUNT}}),
        json!({"NumericEquals": {"aws:SourceAccount": NAMED_ACCOUNT}}),
        json!({"StringEquals": {"aws:PrincipalOrgID": NAMED_ORG}}),
        json!({"StringLike": {"aws:PrincipalOrgID": "o-*"}}),
        json!({"StringEqualsIfExists": {"aws:PrincipalOrgID": NAMED_ORG}}),
        json!({"IpAddress": {"aws:SourceIp": NAMED_NET}}),
        json!({"IpAddress": {"aws:SourceIp": "0.0.0.0/1"}}),
        json!({"NotIpAddress": {"aws:SourceIp": NAMED_NET}}),
        json!({"StringEquals": {"cognito-identity.amazonaws.com:aud": NAMED_POOL}}),
        json!({"ForAnyValue:StringLike": {"cognito-identity.amazonaws.com:amr": "unauthenticated"}}),
        json!({"StringLike": {format!("{gh}:sub"): format!("repo:{NAMED_REPO_OWNER}/*")}}),
        json!({"StringLike": {format!("{gh}:sub"): "repo:*"}}),
        json!({"StringEquals": {format!("{gh}:aud"): "sts.amazonaws.com"}}),
        json!({"StringEquals": {"aws:PrincipalAccount": "${aws:ResourceAccount}"}}),
        json!({"StringEquals": {"aws:PrincipalOrgID": "${aws:ResourceOrgID}"}}),
        json!({"Null": {"aws:PrincipalOrgID": "false"}}),
        json!({"Bool": {"aws:SecureTransport": "true"}}),
    ])
}

prop_compose! {
    fn statement_strategy()(
        deny in prop::bool::weighted(0.2),
        principal in principal_strategy(),
        action in prop::sample::select(vec!["*", "s3:GetObject", "sts:AssumeRoleWithWebIdentity"]),
        a in condition_strategy(),
        b in condition_strategy(),
    ) -> Value {
        let mut condition = serde_json::Map::new();
        for c in [a, b] {
            for (op, keys) in c.as_object().into_iter().flatten() {
                let entry = condition.entry(op.clone()).or_insert_with(|| json!({}));
                for (k, v) in keys.as_object().into_iter().flatten() {
                    entry[k] = v.clone();
                }
            }
        }
        json!({"Effect": if deny { "Deny" } else { "Allow" }, "Principal": principal,
               "Action": action, "Resource": "*", "Condition": condition})
    }
}

/// Callers outside every set the generator names, each with the keys AWS gives it.
fn strangers() -> Vec<Request> {
    let owner = [
        ("aws:ResourceAccount", "123123123123"),
        ("aws:ResourceOrgID", "o-owner11111"),
    ];
    let mut base = Context::default();
    base.add("aws:SecureTransport", ["true".to_string()]);
    base.add("aws:SourceIp", ["198.51.100.7".to_string()]);
    for (k, v) in owner {
        base.add(k, [v.to_string()]);
    }
    let with = |principal: Principal, extra: &[(&str, &[&str])]| {
        let mut context = base.clone();
        for (k, vs) in extra {
            context.add(k, vs.iter().map(|v| v.to_string()).collect::<Vec<_>>());
        }
        let mut r = Request {
            principal: Some(principal),
            action: "s3:GetObject".into(),
            resource: "arn:aws:s3:::b/k".into(),
            context,
        };
        r.link_principal_keys().expect("consistent");
        r
    };
    let mut out = vec![
        with(Principal::Anonymous, &[]),
        with(
            Principal::Aws("arn:aws:iam::999900001111:role/x".into()),
            &[],
        ),
        with(
            Principal::Aws("arn:aws:iam::999900001111:role/x".into()),
            &[("aws:PrincipalOrgID", &["o-stranger00"])],
        ),
        with(
            Principal::Federated("cognito-identity.amazonaws.com".into()),
            &[
                (
                    "cognito-identity.amazonaws.com:aud",
                    &["us-east-1:stranger-pool"],
                ),
                ("cognito-identity.amazonaws.com:amr", &["unauthenticated"]),
            ],
        ),
        with(
            Principal::Federated(GITHUB.into()),
            &[
                (
                    "token.actions.githubusercontent.com:aud",
                    &["sts.amazonaws.com"],
                ),
                (
                    "token.actions.githubusercontent.com:sub",
                    &["repo:stranger-org/app:ref:refs/heads/main"],
                ),
            ],
        ),
        with(
            Principal::Service("stranger.amazonaws.com".into()),
            &[("aws:SourceAccount", &["999900001111"])],
        ),
    ];
    // The same callers on the other actions the generator uses.
    let more: Vec<Request> = out
        .iter()
        .flat_map(|r| {
            ["sts:AssumeRoleWithWebIdentity", "s3:PutObject"].map(|a| Request {
                action: a.into(),
                ..r.clone()
            })
        })
        .collect();
    out.extend(more);
    out
}

/// Whether a counterexample's caller lies outside every set the generator names.
fn names_none(c: &Request) -> bool {
    let key = |k: &str| c.context.get(k).map(<[String]>::to_vec).unwrap_or_default();
    let account_named = match &c.principal {
        Some(Principal::Aws(arn)) => arn.contains(NAMED_ACCOUNT),
        _ => false,
    };
    let in_named_net = key("aws:SourceIp").iter().any(|ip| ip.starts_with("10.1."));
    !account_named
        && !key("aws:SourceAccount").iter().any(|v| v == NAMED_ACCOUNT)
        && !key("aws:PrincipalOrgID").iter().any(|v| v == NAMED_ORG)
        && !key("cognito-identity.amazonaws.com:aud")
            .iter()
            .any(|v| v == NAMED_POOL)
        && !key("token.actions.githubusercontent.com:sub")
            .iter()
            .any(|v| v.starts_with(&format!("repo:{NAMED_REPO_OWNER}/")))
        && !in_named_net
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn strangers_are_never_allowed_on_a_pass_and_a_fail_names_a_stranger(
        statements in prop::collection::vec(statement_strategy(), 1..4),
    ) {
        let p = parse(Value::Array(statements));
        let r = check(&p, "AWS::S3::Bucket");
        match (r.verdict(), r.inconclusive().is_some()) {
            (Verdict::Pass, _) => {
                for s in strangers() {
                    prop_assert!(!eval::allows(&p, &s), "PASS, yet a stranger is allowed: {:?}", s);
                }
            }
            (Verdict::Fail, false) => {
                let c = r.counterexample().expect("a decided FAIL has a counterexample");
                prop_assert!(eval::allows(&p, c));
                prop_assert!(names_none(c), "the counterexample's caller is a named one: {:?}", c);
            }
            (Verdict::Fail, true) => prop_assert!(false, "inconclusive: {:?}", r.inconclusive()),
        }
    }
}
