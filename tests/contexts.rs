//! A principal's authorization context (src/context, encodings/context.md): AWS's
//! policy evaluation logic with the IAM User Guide's own rules as cases, the checks over
//! policy sets through the CLI, AWS managed policies by name, and a property that the
//! checks and the evaluator read a context alike.

mod common;

use hornbeam::checks::Access;
use hornbeam::checks::{Encoding, Options, Verdict};
use hornbeam::context::{NamedPolicy, PolicySet};
use hornbeam::eval::{Context, Request};
use hornbeam::policy::{self, PolicyType};
use proptest::prelude::*;
use serde_json::{Value, json};

fn named(name: &str, statements: Value) -> NamedPolicy {
    let text = json!({"Version": "2012-10-17", "Statement": statements}).to_string();
    NamedPolicy {
        name: name.into(),
        policy: policy::parse(&text, PolicyType::Identity).expect("test policy parses"),
    }
}

fn allow(action: &str) -> Value {
    json!({"Effect": "Allow", "Action": action, "Resource": "*"})
}

fn deny(action: &str) -> Value {
    json!({"Effect": "Deny", "Action": action, "Resource": "*"})
}

fn request(action: &str) -> Request {
    Request {
        principal: None,
        action: action.into(),
        resource: "arn:aws:s3:::b/k".into(),
        context: Context::default(),
    }
}

fn set(identity: Vec<NamedPolicy>) -> PolicySet {
    PolicySet {
        identity,
        ..PolicySet::default()
    }
}

/// The IAM User Guide's evaluation logic, rule by rule; each case would flip if the rule
/// were broken.
#[test]
fn aws_evaluation_logic() {
    let s3 = || named("S3", json!([allow("s3:*")]));
    // Identity policies: their union grants.
    let two = set(vec![s3(), named("Ec2", json!([allow("ec2:*")]))]).combined();
    assert!(two.allows(&request("s3:GetObject")) && two.allows(&request("ec2:RunInstances")));
    // An explicit Deny in any identity policy wins over an Allow in another.
    let denied = set(vec![
        s3(),
        named("NoDelete", json!([deny("s3:DeleteObject")])),
    ])
    .combined();
    assert!(!denied.allows(&request("s3:DeleteObject")));
    // The permissions boundary limits and never grants.
    let mut bounded = set(vec![s3()]);
    bounded.boundary = Some(named(
        "Boundary",
        json!([allow("s3:GetObject"), allow("ec2:*")]),
    ));
    let b = bounded.combined();
    assert!(b.allows(&request("s3:GetObject")));
    assert!(!b.allows(&request("s3:PutObject")), "outside the boundary");
    assert!(
        !b.allows(&request("ec2:RunInstances")),
        "the boundary grants nothing"
    );
    // A Deny in the boundary denies.
    bounded.boundary = Some(named("Boundary", json!([allow("*"), deny("s3:GetObject")])));
    assert!(!bounded.combined().allows(&request("s3:GetObject")));
    // Every SCP level must allow; an SCP never grants.
    let mut scps = set(vec![s3()]);
    scps.scps = vec![
        vec![named("FullAWSAccess", json!([allow("*")]))],
        vec![named("OnlyS3Reads", json!([allow("s3:Get*")]))],
    ];
    let c = scps.combined();
    assert!(c.allows(&request("s3:GetObject")));
    assert!(
        !c.allows(&request("s3:PutObject")),
        "the second level does not allow it"
    );
    scps.identity = vec![named("Nothing", json!([allow("iam:GetUser")]))];
    assert!(
        !scps.combined().allows(&request("s3:GetObject")),
        "an SCP never grants"
    );
    // Within one level, one SCP allowing suffices.
    let mut level = set(vec![s3()]);
    level.scps = vec![vec![
        named("Reads", json!([allow("s3:Get*")])),
        named("Writes", json!([allow("s3:Put*")])),
    ]];
    let l = level.combined();
    assert!(l.allows(&request("s3:GetObject")) && l.allows(&request("s3:PutObject")));
    assert!(!l.allows(&request("s3:DeleteObject")));
    // Session policies limit too.
    let mut session = set(vec![s3()]);
    session.session = vec![named("Session", json!([allow("s3:GetObject")]))];
    let sc = session.combined();
    assert!(sc.allows(&request("s3:GetObject")) && !sc.allows(&request("s3:PutObject")));
}

fn opts(encoding: Encoding) -> Options {
    Options {
        encoding,
        ..Options::default()
    }
}

/// The issue's SCP change: removing a Deny from an SCP opens new access for the role;
/// adding one does not. Both encodings; the counterexample replays through the context.
#[test]
fn an_scp_change_is_new_access_for_a_role() {
    let role = || named("AdministratorAccess", json!([allow("*")]));
    let with_scp = |statements: Value| {
        let mut s = set(vec![role()]);
        s.scps = vec![vec![named("Guardrails", statements)]];
        s.combined()
    };
    let old = with_scp(json!([
        allow("*"),
        deny("cloudtrail:StopLogging"),
        deny("organizations:LeaveOrganization")
    ]));
    let removed = with_scp(json!([allow("*"), deny("organizations:LeaveOrganization")]));
    let added = with_scp(json!([
        allow("*"),
        deny("cloudtrail:StopLogging"),
        deny("organizations:*"),
        deny("iam:CreateUser")
    ]));
    for encoding in [Encoding::Finite, Encoding::Strings] {
        let r = hornbeam::run(
            &hornbeam::Check::NoNewAccessContexts {
                new: &removed,
                existing: &old,
            },
            &opts(encoding),
        )
        .expect("no internal error");
        assert_eq!(
            (r.verdict(), r.inconclusive()),
            (Verdict::Fail, None),
            "{encoding:?}"
        );
        let c = r.counterexample().expect("a counterexample");
        assert!(removed.allows(c) && !old.allows(c), "{c:?}");
        assert_eq!(c.action, "cloudtrail:StopLogging");
        assert_eq!(
            r.reasons()[0].description,
            "New access in the statement with index: 0 of `AdministratorAccess`."
        );
        let r = hornbeam::run(
            &hornbeam::Check::NoNewAccessContexts {
                new: &added,
                existing: &old,
            },
            &opts(encoding),
        )
        .expect("no internal error");
        assert_eq!(
            (r.verdict(), r.inconclusive()),
            (Verdict::Pass, None),
            "{encoding:?}"
        );
    }
}

#[test]
fn a_boundary_keeps_an_administrator_from_a_sensitive_action() {
    let admin = || named("AdministratorAccess", json!([allow("*")]));
    let access = [Access {
        actions: vec!["iam:PassRole".into()],
        resources: Vec::new(),
    }];
    let open = set(vec![admin()]).combined();
    let r = hornbeam::run(
        &hornbeam::Check::AccessNotGrantedContext {
            context: &open,
            access: &access,
        },
        &Options::default(),
    )
    .unwrap();
    assert_eq!(r.verdict(), Verdict::Fail);
    let mut bounded = set(vec![admin()]);
    bounded.boundary = Some(named("S3ReadOnly", json!([allow("s3:GetObject")])));
    let r = hornbeam::run(
        &hornbeam::Check::AccessNotGrantedContext {
            context: &bounded.combined(),
            access: &access,
        },
        &Options::default(),
    )
    .unwrap();
    assert_eq!((r.verdict(), r.inconclusive()), (Verdict::Pass, None));
}

fn cli(args: &[&str]) -> common::Run {
    common::hornbeam_with_stdin(env!("CARGO_BIN_EXE_hornbeam"), args, None)
}

#[test]
fn the_cli_reads_policy_sets_and_managed_policies() {
    let dir = std::env::temp_dir().join(format!("hornbeam-sets-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let write = |name: &str, v: Value| std::fs::write(dir.join(name), v.to_string()).unwrap();
    write(
        "scp-old.json",
        json!({"Version": "2012-10-17", "Statement": [allow("*"), deny("cloudtrail:StopLogging")]}),
    );
    write(
        "scp-new.json",
        json!({"Version": "2012-10-17", "Statement": [allow("*")]}),
    );
    write(
        "old.json",
        json!({"identityPolicies": ["aws-managed:AdministratorAccess"], "serviceControlPolicies": [["file://scp-old.json"]]}),
    );
    write(
        "new.json",
        json!({"identityPolicies": ["arn:aws:iam::aws:policy/AdministratorAccess"], "serviceControlPolicies": [["file://scp-new.json"]]}),
    );
    let path = |n: &str| format!("file://{}", dir.join(n).display());
    let run = cli(&[
        "check-no-new-access",
        "--new-policy-set",
        &path("new.json"),
        "--existing-policy-set",
        &path("old.json"),
        "--output",
        "text",
    ]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("of `AdministratorAccess`")
            && run.stdout.contains("cloudtrail:StopLogging"),
        "{}",
        run.stdout
    );
    let run = cli(&[
        "check-no-new-access",
        "--new-policy-set",
        &path("old.json"),
        "--existing-policy-set",
        &path("new.json"),
    ]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    // A document on one side is a context of one identity policy.
    let run = cli(&[
        "check-no-new-access",
        "--new-policy-document",
        "aws-managed:ReadOnlyAccess",
        "--existing-policy-set",
        &path("old.json"),
    ]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let run = cli(&[
        "check-access-not-granted",
        "--policy-set",
        &path("old.json"),
        "--actions",
        "cloudtrail:StopLogging",
    ]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let run = cli(&[
        "simulate",
        "--policy-set",
        &path("old.json"),
        "--action",
        "cloudtrail:StopLogging",
        "--resource",
        "*",
        "--output",
        "text",
    ]);
    assert_eq!(run.code, 1);
    assert!(run.stdout.starts_with("EXPLICIT_DENY"), "{}", run.stdout);
    // Managed policies by name wherever a document is read.
    let run = cli(&[
        "check-access-not-granted",
        "--policy-document",
        "aws-managed:ReadOnlyAccess",
        "--policy-type",
        "IDENTITY_POLICY",
        "--actions",
        "iam:PassRole",
    ]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn bad_policy_sets_and_names_are_one_line_errors() {
    let cases: &[(&[&str], &str)] = &[
        (
            &[
                "check-no-new-access",
                "--new-policy-set",
                r#"{"identityPolicies": []}"#,
                "--existing-policy-document",
                "aws-managed:ReadOnlyAccess",
            ],
            "/identityPolicies",
        ),
        (
            &[
                "check-no-new-access",
                "--new-policy-set",
                r#"{"identityPolicies": ["aws-managed:NoSuchPolicy"]}"#,
                "--existing-policy-document",
                "aws-managed:ReadOnlyAccess",
            ],
            "`NoSuchPolicy`",
        ),
        (
            &[
                "check-no-new-access",
                "--new-policy-set",
                r#"{"identityPolicies": ["https://example.com/p.json"]}"#,
                "--existing-policy-document",
                "aws-managed:ReadOnlyAccess",
            ],
            "not a policy reference",
        ),
        (
            &[
                "check-no-new-access",
                "--new-policy-set",
                r#"{"identityPolicies": [{"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*", "Principal": "*"}]}]}"#,
                "--existing-policy-document",
                "aws-managed:ReadOnlyAccess",
            ],
            "/identityPolicies/0",
        ),
        (
            &[
                "check-no-new-access",
                "--new-policy-set",
                r#"{"identityPolicies": ["aws-managed:ReadOnlyAccess"], "boundary": {}}"#,
                "--existing-policy-document",
                "aws-managed:ReadOnlyAccess",
            ],
            "unknown field `boundary`",
        ),
        (
            &[
                "check-no-new-access",
                "--new-policy-set",
                r#"{"identityPolicies": ["aws-managed:ReadOnlyAccess"]}"#,
                "--existing-policy-document",
                "aws-managed:ReadOnlyAccess",
                "--policy-type",
                "RESOURCE_POLICY",
            ],
            "IDENTITY_POLICY",
        ),
        (
            &[
                "check-access-not-granted",
                "--policy-document",
                "aws-managed:readonlyaccess",
                "--policy-type",
                "IDENTITY_POLICY",
                "--actions",
                "s3:GetObject",
            ],
            "did you mean `ReadOnlyAccess`",
        ),
    ];
    for (args, want) in cases {
        let run = cli(args);
        assert_eq!(run.code, 2, "{args:?}: {}{}", run.stdout, run.stderr);
        assert!(run.stderr.contains(want), "{args:?}: {}", run.stderr);
        assert_eq!(run.stderr.trim().lines().count(), 1, "{}", run.stderr);
    }
}

const ACTIONS: &[&str] = &[
    "s3:GetObject",
    "s3:PutObject",
    "s3:*",
    "ec2:*",
    "*",
    "iam:PassRole",
];
const SAMPLED: &[&str] = &[
    "s3:GetObject",
    "s3:PutObject",
    "ec2:RunInstances",
    "iam:PassRole",
    "kms:Decrypt",
];

fn policy_strategy() -> impl Strategy<Value = Value> {
    prop::collection::vec(
        (
            prop::bool::weighted(0.75),
            prop::sample::select(ACTIONS.to_vec()),
        ),
        1..3,
    )
    .prop_map(|st| {
        Value::Array(
            st.into_iter()
                .map(|(a, action)| if a { allow(action) } else { deny(action) })
                .collect(),
        )
    })
}

fn set_strategy() -> impl Strategy<Value = PolicySet> {
    (
        prop::collection::vec(policy_strategy(), 1..3),
        prop::option::of(policy_strategy()),
        prop::collection::vec(prop::collection::vec(policy_strategy(), 1..3), 0..3),
    )
        .prop_map(|(identity, boundary, scps)| PolicySet {
            identity: identity
                .into_iter()
                .enumerate()
                .map(|(i, p)| named(&format!("identity{i}"), p))
                .collect(),
            boundary: boundary.map(|b| named("boundary", b)),
            scps: scps
                .into_iter()
                .map(|level| level.into_iter().map(|p| named("scp", p)).collect())
                .collect(),
            ..PolicySet::default()
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn contexts_are_read_alike_by_the_check_and_the_evaluator(new in set_strategy(), existing in set_strategy()) {
        let (n, e) = (new.combined(), existing.combined());
        let r = hornbeam::run(&hornbeam::Check::NoNewAccessContexts { new: &n, existing: &e }, &opts(Encoding::Finite)).expect("no internal error");
        let sampled = SAMPLED.iter().map(|a| request(a)).any(|r| n.allows(&r) && !e.allows(&r));
        if sampled {
            prop_assert_eq!(r.verdict(), Verdict::Fail);
        }
        if r.verdict() == Verdict::Fail && r.inconclusive().is_none() {
            let c = r.counterexample().expect("a counterexample");
            prop_assert!(n.allows(c) && !e.allows(c), "{:?}", c);
        }
    }
}

/// SERVICE_CONTROL_POLICY and RESOURCE_CONTROL_POLICY: AWS's own rules, each violation a
/// located error; the documented examples parse.
#[test]
fn organization_policy_types_have_their_own_rules() {
    use hornbeam::policy::{ControlKind, PolicyError, parse_control};
    let located = |text: Value, kind: ControlKind| match parse_control(&text.to_string(), kind) {
        Err(PolicyError::Invalid {
            pointer, message, ..
        }) => (pointer, message),
        other => panic!("expected a located error for {text}, got {other:?}"),
    };
    let scp = ControlKind::ServiceControl;
    let rcp = ControlKind::ResourceControl;
    // Valid: AWS's FullAWSAccess, a guardrail with conditions, RCPFullAWSAccess, a
    // data-perimeter RCP.
    for (doc, kind) in [
        (
            json!({"Version": "2012-10-17", "Statement": [allow("*")]}),
            scp,
        ),
        (
            json!({"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "NotAction": ["iam:*"], "Resource": "*",
            "Condition": {"StringNotEquals": {"aws:RequestedRegion": ["eu-west-1"]}}}]}),
            scp,
        ),
        (
            json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}]}),
            rcp,
        ),
        (
            json!({"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*",
            "Condition": {"StringNotEqualsIfExists": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}, "BoolIfExists": {"aws:PrincipalIsAWSService": "false"}}}]}),
            rcp,
        ),
    ] {
        assert!(parse_control(&doc.to_string(), kind).is_ok(), "{doc}");
    }
    let cases = [
        (
            json!({"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "*", "Resource": "*"}]}),
            scp,
            "/Statement/0/Principal",
            "no `Principal`",
        ),
        (
            json!({"Version": "2012-10-17", "Statement": {"Effect": "Deny", "NotPrincipal": {"AWS": "111122223333"}, "Action": "*", "Resource": "*"}}),
            scp,
            "/Statement/NotPrincipal",
            "no `NotPrincipal`",
        ),
        (
            json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": "*"}]}),
            rcp,
            "/Statement/0/Effect",
            "`Deny`",
        ),
        (
            json!({"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": {"AWS": "111122223333"}, "Action": "s3:*", "Resource": "*"}]}),
            rcp,
            "/Statement/0/Principal",
            "`Principal` is `\"*\"`",
        ),
        (
            json!({"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "s3:*", "Resource": "*"}]}),
            rcp,
            "/Statement/0",
            "needs `\"Principal\": \"*\"`",
        ),
        (
            json!({"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": "*", "NotAction": "s3:*", "Resource": "*"}]}),
            rcp,
            "/Statement/0/NotAction",
            "no `NotAction`",
        ),
        (
            json!({"Version": "2008-10-17", "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*"}]}),
            rcp,
            "/Version",
            "`2012-10-17`",
        ),
    ];
    for (doc, kind, pointer, want) in cases {
        let (at, message) = located(doc.clone(), kind);
        assert_eq!(at, pointer, "{doc}");
        assert!(message.contains(want), "{doc}: {message}");
    }
    // The CLI takes the types and gives the located error, exit 2.
    let run = cli(&[
        "check-no-new-access",
        "--policy-type",
        "RESOURCE_CONTROL_POLICY",
        "--new-policy-document",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}]}"#,
        "--existing-policy-document",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}"#,
    ]);
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains("/Statement/0/Effect")
            && run.stderr.contains("RESOURCE_CONTROL_POLICY"),
        "{}",
        run.stderr
    );
    assert_eq!(run.stderr.trim().lines().count(), 1);
    // A looser SCP is new access for the accounts under it.
    let run = cli(&[
        "check-no-new-access",
        "--policy-type",
        "SERVICE_CONTROL_POLICY",
        "--new-policy-document",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#,
        "--existing-policy-document",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","Action":"iam:*","Resource":"*"}]}"#,
    ]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    // An SCP in a policy set with a Principal is refused at its place.
    let run = cli(&[
        "check-no-new-access",
        "--new-policy-set",
        r#"{"identityPolicies": ["aws-managed:ReadOnlyAccess"], "serviceControlPolicies": [[{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}]]}"#,
        "--existing-policy-document",
        "aws-managed:ReadOnlyAccess",
    ]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("/serviceControlPolicies/0/0") && run.stderr.contains("no `Principal`"),
        "{}",
        run.stderr
    );
}

/// A set read from its document, every policy inline.
fn parsed(doc: Value) -> PolicySet {
    let none = |r: &str, _: &str| Err(format!("no references here: `{r}`"));
    hornbeam::context::parse_set(&doc.to_string(), &none).expect("a valid set")
}

fn doc(statements: Value) -> Value {
    json!({"Version": "2012-10-17", "Statement": statements})
}

const APP: &str = "arn:aws:iam::111122223333:role/App";
const BUCKET: &str = "arn:aws:s3:::app-bucket/*";

fn from(principal: &str, action: &str, resource: &str, resource_account: &str) -> Request {
    let mut context = Context::default();
    context.add("aws:ResourceAccount", [resource_account.to_string()]);
    let mut r = Request {
        principal: Some(principal.parse().expect("a principal")),
        action: action.into(),
        resource: resource.into(),
        context,
    };
    r.link_principal_keys().expect("consistent keys");
    r
}

fn granted(set: &PolicySet, action: &str) -> Verdict {
    common::context_grants(set, action).0
}

/// The IAM User Guide's cross-account rule: within one account a resource policy's
/// Allow for the principal suffices; across accounts the identity side must allow too.
/// A grant to another caller grants this principal nothing.
#[test]
fn a_resource_policy_grants_within_its_account_and_needs_both_sides_across() {
    let identity = json!([doc(json!([allow("ec2:DescribeInstances")]))]);
    let bucket_policy = |principal: &str| {
        doc(json!([{"Effect": "Allow", "Principal": {"AWS": principal},
                    "Action": "s3:PutObject", "Resource": BUCKET}]))
    };
    let with = |relation: &str, principal: &str| {
        parsed(json!({"principal": APP, "identityPolicies": identity,
                      "resourcePolicy": bucket_policy(principal), "resourceAccount": relation}))
    };
    let same = with("same", APP);
    assert_eq!(granted(&same, "s3:PutObject"), Verdict::Fail);
    let c = same.combined();
    assert!(c.allows(&from(
        APP,
        "s3:PutObject",
        "arn:aws:s3:::app-bucket/k",
        "111122223333"
    )));
    assert!(
        !c.allows(&from(
            APP,
            "s3:PutObject",
            "arn:aws:s3:::app-bucket/k",
            "999988887777"
        )),
        "a same-account set speaks of the principal's own account"
    );
    assert!(
        !c.allows(&from(
            "arn:aws:iam::111122223333:role/Other",
            "s3:PutObject",
            "arn:aws:s3:::app-bucket/k",
            "111122223333"
        )),
        "requests are the principal's own"
    );
    assert_eq!(
        granted(&with("cross", APP), "s3:PutObject"),
        Verdict::Pass,
        "across accounts the identity policies must allow as well"
    );
    assert_eq!(
        granted(
            &with("same", "arn:aws:iam::111122223333:role/Other"),
            "s3:PutObject"
        ),
        Verdict::Pass,
        "a grant to another role is not this role's"
    );
    // Both sides allow across accounts; a Deny in the resource policy wins.
    let both = parsed(json!({"principal": APP,
        "identityPolicies": [doc(json!([allow("s3:*")]))],
        "resourcePolicy": doc(json!([
            {"Effect": "Allow", "Principal": {"AWS": APP}, "Action": "s3:*", "Resource": BUCKET},
            {"Effect": "Deny", "Principal": "*", "Action": "s3:DeleteObject", "Resource": BUCKET}])),
        "resourceAccount": "cross"}));
    assert_eq!(granted(&both, "s3:PutObject"), Verdict::Fail);
    assert_eq!(granted(&both, "s3:DeleteObject"), Verdict::Pass);
}

/// RCPs: RCPFullAWSAccess is always there, so only their Denies take away, and only
/// for the services RCPs apply to and not from service-linked roles.
#[test]
fn rcps_deny_where_they_apply() {
    let rcp = doc(
        json!([{"Effect": "Deny", "Principal": "*", "Action": "*", "Resource": "*",
        "Condition": {"BoolIfExists": {"aws:SecureTransport": "false"}}},
        {"Effect": "Deny", "Principal": "*", "Action": ["s3:DeleteBucket", "ec2:TerminateInstances"], "Resource": "*"}]),
    );
    let with = |principal: &str| {
        parsed(json!({"principal": principal,
            "identityPolicies": [doc(json!([allow("*")]))],
            "resourceControlPolicies": [rcp.clone()]}))
    };
    let app = with(APP);
    assert_eq!(granted(&app, "s3:DeleteBucket"), Verdict::Pass);
    assert_eq!(
        granted(&app, "ec2:TerminateInstances"),
        Verdict::Fail,
        "RCPs do not apply to EC2"
    );
    assert_eq!(granted(&app, "s3:GetObject"), Verdict::Fail);
    let slr = with(
        "arn:aws:iam::111122223333:role/aws-service-role/ops.amazonaws.com/AWSServiceRoleForOps",
    );
    assert_eq!(
        granted(&slr, "s3:DeleteBucket"),
        Verdict::Fail,
        "RCPs do not apply to service-linked roles"
    );
    let scp = |principal: &str| {
        parsed(json!({"principal": principal,
            "identityPolicies": [doc(json!([allow("*")]))],
            "serviceControlPolicies": [[doc(json!([allow("*"), deny("cloudtrail:StopLogging")]))]]}))
    };
    assert_eq!(granted(&scp(APP), "cloudtrail:StopLogging"), Verdict::Pass);
    assert_eq!(
        granted(
            &scp("arn:aws:iam::111122223333:role/aws-service-role/ops.amazonaws.com/R"),
            "cloudtrail:StopLogging"
        ),
        Verdict::Fail,
        "nor do SCPs"
    );
    // An RCP change: dropping the Deny opens s3:DeleteBucket for the role.
    let old = app.combined();
    let new = parsed(json!({"principal": APP, "identityPolicies": [doc(json!([allow("*")]))],
        "resourceControlPolicies": [doc(json!([{"Effect": "Deny", "Principal": "*", "Action": "ec2:TerminateInstances", "Resource": "*"}]))]}))
    .combined();
    for encoding in [Encoding::Finite, Encoding::Strings] {
        let r = hornbeam::run(
            &hornbeam::Check::NoNewAccessContexts {
                new: &new,
                existing: &old,
            },
            &opts(encoding),
        )
        .expect("no internal error");
        assert_eq!(
            (r.verdict(), r.inconclusive()),
            (Verdict::Fail, None),
            "{encoding:?}"
        );
        let c = r.counterexample().expect("a counterexample");
        assert!(new.allows(c) && !old.allows(c), "{c:?}");
        let r = hornbeam::run(
            &hornbeam::Check::NoNewAccessContexts {
                new: &old,
                existing: &new,
            },
            &opts(encoding),
        )
        .expect("no internal error");
        assert_eq!(
            (r.verdict(), r.inconclusive()),
            (Verdict::Pass, None),
            "{encoding:?}"
        );
    }
}

#[test]
fn bad_resource_sets_name_the_field() {
    let none = |r: &str, _: &str| Err(format!("no references here: `{r}`"));
    let e = |d: Value| {
        hornbeam::context::parse_set(&d.to_string(), &none)
            .expect_err("an invalid set")
            .to_string()
    };
    let id = json!([doc(json!([allow("s3:*")]))]);
    let rp = doc(
        json!([{"Effect": "Allow", "Principal": {"AWS": APP}, "Action": "s3:*", "Resource": BUCKET}]),
    );
    for (d, start) in [
        (
            json!({"identityPolicies": id, "resourcePolicy": rp, "resourceAccount": "same"}),
            "/principal:",
        ),
        (
            json!({"principal": APP, "identityPolicies": id, "resourcePolicy": rp}),
            "/resourcePolicy:",
        ),
        (
            json!({"principal": APP, "identityPolicies": id, "resourceAccount": "same"}),
            "/resourceAccount:",
        ),
        (
            json!({"principal": APP, "identityPolicies": id, "resourcePolicy": rp, "resourceAccount": "mine"}),
            "/resourceAccount:",
        ),
        (
            json!({"principal": "arn:aws:iam::111122223333:role/*", "identityPolicies": id}),
            "/principal:",
        ),
        (
            json!({"principal": APP, "identityPolicies": id, "resourceAccount": "same",
                "resourcePolicy": doc(json!([{"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": BUCKET}])),
                "permissionsBoundary": doc(json!([allow("s3:*")]))}),
            "/resourcePolicy:",
        ),
        (
            json!({"identityPolicies": id, "resourceControlPolicies": [doc(json!([allow("s3:GetObject")]))]}),
            "/resourceControlPolicies/0:",
        ),
        (
            json!({"principal": APP, "identityPolicies": id, "resourceAccount": "cross",
                "resourcePolicy": doc(json!([{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]))}),
            "/resourcePolicy:",
        ),
    ] {
        let msg = e(d);
        assert!(msg.starts_with(start), "{msg}");
        assert!(!msg.contains('\n'), "{msg}");
    }
}
