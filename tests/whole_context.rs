//! Regression tests for the whole-context defects of issue 25, each through the CLI as a
//! user meets it, and each with the AWS rule it breaks (encodings/context.md):
//! - `aws:ResourceAccount` comes from the set: without a resource policy the resource is
//!   in the principal's account (across accounts the resource's side must allow too);
//! - an RCP Deny with a wildcard service (`*:Delete*`) reads like any other;
//! - a role with a path: its sessions' `aws:PrincipalArn` is the role's ARN with the
//!   path, which the session ARN does not show;
//! - `simulate` explains a same-account resource policy and takes the set's principal.

mod common;

use serde_json::{Value, json};

const APP: &str = "arn:aws:iam::111122223333:role/App";
const TEAM_APP: &str = "arn:aws:iam::111122223333:role/team/App";
const SESSION: &str = "arn:aws:sts::111122223333:assumed-role/App/s";

fn cli(args: &[&str]) -> common::Run {
    common::hornbeam_with_stdin(env!("CARGO_BIN_EXE_hornbeam"), args, None)
}

fn doc(statements: Value) -> Value {
    json!({"Version": "2012-10-17", "Statement": statements})
}

fn json_out(run: &common::Run) -> Value {
    serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("JSON output ({e}): {}\n{}", run.stdout, run.stderr))
}

/// `check-access-not-granted --policy-set SET --actions ACTIONS --encoding E`.
fn granted(set: &str, actions: &str, encoding: &str) -> common::Run {
    cli(&[
        "check-access-not-granted",
        "--policy-set",
        set,
        "--actions",
        actions,
        "--encoding",
        encoding,
    ])
}

fn encodings() -> [&'static str; 2] {
    ["finite", "strings"]
}

/// Before: a counterexample in another account (or with no account), which AWS denies
/// for want of a resource policy; after: the set's requests stay in the principal's
/// account, so the identity policy's cross-account-only Allow grants nothing.
#[test]
fn without_a_resource_policy_the_resource_is_in_the_principals_account() {
    let set = json!({"principal": APP, "identityPolicies": [doc(json!([{
        "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
        "Condition": {"StringNotEquals": {"aws:ResourceAccount": "111122223333"}}}]))]})
    .to_string();
    for e in encodings() {
        let run = granted(&set, "s3:GetObject", e);
        assert_eq!(run.code, 0, "{e}: {}{}", run.stdout, run.stderr);
    }
    // A same-account grant still fails, and its counterexample says where the resource is.
    let set = json!({"principal": APP, "identityPolicies": [doc(json!([{
        "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]))]})
    .to_string();
    for e in encodings() {
        let run = granted(&set, "s3:GetObject", e);
        assert_eq!(run.code, 1, "{e}: {}{}", run.stdout, run.stderr);
        let c = &json_out(&run)["counterexample"];
        assert_eq!(
            c["context"]["aws:ResourceAccount"], "111122223333",
            "{e}: {c}"
        );
    }
    // simulate fills the account the set implies.
    let run = cli(&[
        "simulate",
        "--policy-set",
        &set,
        "--action",
        "s3:GetObject",
        "--resource",
        "arn:aws:s3:::b/k",
    ]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
}

/// Before: exit 2, "action `aoss:*:Delete*` is not of the form `service:action`".
#[test]
fn an_rcp_with_a_wildcard_service_reads() {
    let set = json!({"identityPolicies": [doc(json!([{"Effect": "Allow", "Action": "*", "Resource": "*"}]))],
        "resourceControlPolicies": [doc(json!([{"Effect": "Deny", "Principal": "*",
            "Action": "*:Delete*", "Resource": "*"}]))]})
    .to_string();
    let sim = |action: &str| {
        cli(&[
            "simulate",
            "--policy-set",
            &set,
            "--action",
            action,
            "--resource",
            "arn:aws:s3:::b",
        ])
    };
    let run = sim("s3:DeleteBucket");
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert_eq!(json_out(&run)["decision"], "EXPLICIT_DENY");
    let run = sim("ec2:DeleteVolume");
    assert_eq!(
        run.code, 0,
        "RCPs do not apply to EC2: {}{}",
        run.stdout, run.stderr
    );
    for e in encodings() {
        let run = granted(&set, "s3:DeleteBucket,dynamodb:DeleteTable", e);
        assert_eq!(run.code, 0, "{e}: {}{}", run.stdout, run.stderr);
    }
}

/// Before: `aws:PrincipalArn` derived as `role/App` (denied), and the right value
/// `role/team/App` rejected with exit 2; a resource policy naming the session was a false
/// PASS for the role with a path.
#[test]
fn sessions_of_a_role_with_a_path() {
    let set = json!({"principal": TEAM_APP, "identityPolicies": [doc(json!([{
        "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]))]})
    .to_string();
    let sim = |extra: &[&str]| {
        let mut args = vec![
            "simulate",
            "--policy-set",
            &set,
            "--action",
            "s3:GetObject",
            "--resource",
            "arn:aws:s3:::b/k",
        ];
        args.extend(extra);
        cli(&args)
    };
    let run = sim(&["--principal", SESSION]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let given = format!("aws:PrincipalArn={TEAM_APP}");
    let run = sim(&["--principal", SESSION, "--context", &given]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    // Another role's session is not the set's principal; a path that does not end in
    // the session's role name is no role of it.
    let run = sim(&[
        "--principal",
        "arn:aws:sts::111122223333:assumed-role/Other/s",
    ]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    let run = sim(&[
        "--principal",
        SESSION,
        "--context",
        "aws:PrincipalArn=arn:aws:iam::111122223333:role/team/Other",
    ]);
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);

    // A same-account resource policy naming the session grants to the role with a path.
    let set = json!({"principal": TEAM_APP, "resourceAccount": "same",
        "identityPolicies": [doc(json!([{"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "*"}]))],
        "resourcePolicy": doc(json!([{"Effect": "Allow", "Principal": {"AWS": SESSION},
            "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}]))})
    .to_string();
    for e in encodings() {
        let run = granted(&set, "s3:GetObject", e);
        assert_eq!(run.code, 1, "{e}: {}{}", run.stdout, run.stderr);
        let c = &json_out(&run)["counterexample"];
        assert_eq!(c["principal"], format!("AWS:{SESSION}"), "{e}: {c}");
        assert_eq!(c["context"]["aws:PrincipalArn"], TEAM_APP, "{e}: {c}");
    }
}

/// Before: the resource policy's Deny was labelled IMPLICIT_DENY with every listed part
/// ALLOWED; and without `--principal` every request was denied.
#[test]
fn simulate_explains_the_whole_set() {
    let set = json!({"principal": APP, "resourceAccount": "same",
        "identityPolicies": [doc(json!([{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]))],
        "resourcePolicy": doc(json!([{"Effect": "Deny", "Principal": "*",
            "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/secret/*"}]))})
    .to_string();
    let sim = |resource: &str| {
        cli(&[
            "simulate",
            "--policy-set",
            &set,
            "--action",
            "s3:GetObject",
            "--resource",
            resource,
        ])
    };
    let run = sim("arn:aws:s3:::b/secret/k");
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    let out = json_out(&run);
    assert_eq!(out["decision"], "EXPLICIT_DENY", "{out}");
    let parts = out["policies"].as_array().expect("policies");
    assert!(
        parts.iter().any(|p| p["policy"]
            .as_str()
            .is_some_and(|s| s.starts_with("resource policy"))
            && p["decision"] == "EXPLICIT_DENY"),
        "{out}"
    );
    // No --principal: the set's own principal is the caller.
    let run = sim("arn:aws:s3:::b/public/k");
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert_eq!(json_out(&run)["decision"], "ALLOWED");
}

// ---- the property ----------------------------------------------------------------

use hornbeam::checks::Access;
use hornbeam::checks::{Options, Verdict};
use hornbeam::context::parse_set;
use hornbeam::eval::{self, Context, Principal, Request};
use hornbeam::policy::{self, Effect, Policy, PolicyType};
use proptest::prelude::*;

const ACCOUNT: &str = "111122223333";
const OTHER_ACCOUNT: &str = "444455556666";
/// The services of the drawn actions that RCPs apply to (AWS Organizations user guide,
/// "Resource control policies": S3, STS, KMS, SQS, Secrets Manager, ...); EC2 is not one.
const RCP_SERVICES: &[&str] = &["s3", "kms", "sqs"];
const ACTIONS: &[&str] = &[
    "s3:GetObject",
    "kms:Decrypt",
    "ec2:RunInstances",
    "sqs:SendMessage",
];

/// A drawn set, as documents.
#[derive(Debug, Clone)]
struct Drawn {
    principal: &'static str,
    identity: Vec<Value>,
    boundary: Option<Value>,
    session: Option<Value>,
    scps: Vec<Vec<Value>>,
    rcp: Option<Value>,
    resource: Option<(Value, bool)>,
}

impl Drawn {
    fn set_document(&self) -> Value {
        let mut d = json!({"principal": self.principal, "identityPolicies": self.identity});
        if let Some(b) = &self.boundary {
            d["permissionsBoundary"] = b.clone();
        }
        if let Some(s) = &self.session {
            d["sessionPolicies"] = json!([s]);
        }
        if !self.scps.is_empty() {
            d["serviceControlPolicies"] = json!(self.scps);
        }
        if let Some(r) = &self.rcp {
            d["resourceControlPolicies"] = json!([r]);
        }
        if let Some((r, same)) = &self.resource {
            d["resourcePolicy"] = r.clone();
            d["resourceAccount"] = json!(if *same { "same" } else { "cross" });
        }
        d
    }
}

fn statements(actions: &'static [&'static str]) -> impl Strategy<Value = Value> {
    prop::collection::vec((prop::sample::select(actions), prop::bool::weighted(0.8)), 1..3)
        .prop_map(|s| {
            doc(json!(s
                .into_iter()
                .map(|(a, allow)| json!({"Effect": if allow {"Allow"} else {"Deny"}, "Action": a, "Resource": "*"}))
                .collect::<Vec<_>>()))
        })
}

fn drawn() -> impl Strategy<Value = Drawn> {
    const PATTERNS: &[&str] = &["s3:*", "kms:Decrypt", "ec2:*", "*", "sqs:*", "s3:GetObject"];
    let principal = prop::sample::select(vec![
        APP,
        TEAM_APP,
        "arn:aws:iam::111122223333:user/alice",
        "arn:aws:iam::111122223333:role/aws-service-role/ops.amazonaws.com/App",
    ]);
    let scp_level = prop::collection::vec(statements(PATTERNS), 1..3);
    let rcp = prop::sample::select(vec!["*:Get*", "s3:*", "*", "ec2:*", "kms:*", "*:Decrypt"])
        .prop_map(|a| {
            doc(
                json!([{"Effect": "Deny", "Principal": "*", "Action": a, "Resource": "*",
            "Condition": {"StringNotEquals": {"aws:PrincipalTag/team": "core"}}}]),
            )
        });
    (
        principal,
        prop::collection::vec(statements(PATTERNS), 1..3),
        prop::option::weighted(0.4, statements(PATTERNS)),
        prop::option::weighted(0.3, statements(PATTERNS)),
        prop::collection::vec(scp_level, 0..4),
        prop::option::weighted(0.4, rcp),
        prop::option::weighted(0.6, (0usize..5, prop::sample::select(PATTERNS), any::<bool>(), any::<bool>())),
    )
        .prop_map(|(principal, identity, boundary, session, scps, rcp, resource)| {
            let role = principal.contains(":role/");
            let session = session.filter(|_| role);
            let resource = resource.map(|(who, action, allow, same)| {
                let named = match who {
                    0 => json!(ACCOUNT),
                    1 => json!(principal),
                    2 if role => json!(SESSION.replace("/s", "/s1")),
                    2 => json!(principal),
                    3 => json!("arn:aws:iam::111122223333:role/Other"),
                    _ => json!([format!("arn:aws:iam::{ACCOUNT}:root"), principal]),
                };
                (
                    doc(json!([{"Effect": if allow {"Allow"} else {"Deny"}, "Principal": {"AWS": named},
                        "Action": action, "Resource": "*"}])),
                    same,
                )
            });
            Drawn { principal, identity, boundary, session, scps, rcp, resource }
        })
}

fn parse(v: &Value, t: PolicyType) -> Policy {
    policy::parse(&v.to_string(), t).expect("a drawn policy parses")
}

fn applies(p: &Policy, r: &Request, effect: Effect) -> bool {
    let e = eval::evaluate(p, r);
    match effect {
        Effect::Allow => !e.allowing.is_empty(),
        Effect::Deny => !e.denying.is_empty(),
    }
}

/// AWS's documented evaluation for a request, from the sentences of the IAM User Guide
/// ("Policy evaluation logic", "Cross-account policy evaluation logic", "Permissions
/// boundaries", "Session policies"), AWS Organizations ("SCPs", "RCPs": not on
/// service-linked roles; RCPs only on their services) and the role-path rule, written
/// without src/context.
fn reference(d: &Drawn, r: &Request) -> bool {
    // The set is of its principal: the principal itself or a session of the role.
    if r.principal_arn().as_deref() != Some(d.principal) {
        return false;
    }
    let same = d.resource.as_ref().is_none_or(|(_, same)| *same);
    let resource_account = r.context.single("aws:ResourceAccount");
    if (resource_account == Some(ACCOUNT)) != same {
        return false;
    }
    if resource_account.is_none() {
        return false;
    }
    let identity: Vec<Policy> = d
        .identity
        .iter()
        .map(|v| parse(v, PolicyType::Identity))
        .collect();
    let boundary = d.boundary.as_ref().map(|v| parse(v, PolicyType::Identity));
    let session = d.session.as_ref().map(|v| parse(v, PolicyType::Identity));
    let slr = d.principal.contains(":role/aws-service-role/");
    let scps: Vec<Vec<Policy>> = if slr {
        Vec::new()
    } else {
        d.scps
            .iter()
            .map(|l| l.iter().map(|v| parse(v, PolicyType::Identity)).collect())
            .collect()
    };
    let service = r.action.split(':').next().unwrap_or_default();
    let rcp = d
        .rcp
        .as_ref()
        .filter(|_| !slr && RCP_SERVICES.contains(&service))
        .map(|v| parse(v, PolicyType::Resource));
    let resource = d
        .resource
        .as_ref()
        .map(|(v, _)| parse(v, PolicyType::Resource));
    let everything = identity
        .iter()
        .chain(&boundary)
        .chain(&session)
        .chain(scps.iter().flatten())
        .chain(&rcp)
        .chain(&resource);
    if everything.clone().any(|p| applies(p, r, Effect::Deny)) {
        return false;
    }
    let i = identity.iter().any(|p| applies(p, r, Effect::Allow));
    let b = boundary
        .as_ref()
        .is_none_or(|p| applies(p, r, Effect::Allow));
    let s = session
        .as_ref()
        .is_none_or(|p| applies(p, r, Effect::Allow));
    let o = scps
        .iter()
        .all(|level| level.iter().any(|p| applies(p, r, Effect::Allow)));
    let Some(q) = &resource else {
        return i && b && s && o;
    };
    if !same {
        return i && b && s && o && applies(q, r, Effect::Allow);
    }
    // Within the account, by the ARN the resource policy's Allow names.
    let caller = r.principal.as_ref().expect("a caller");
    let arn = r.principal_arn();
    let mut direct = false;
    let mut as_role = false;
    for st in q.statements.iter().filter(|st| st.effect == Effect::Allow) {
        if eval::statement_outcome(st, r) != eval::Outcome::Applies {
            continue;
        }
        for p in st.principals.iter().flat_map(|e| &e.items) {
            if !eval::principal_matches(p, caller, arn.as_deref()) {
                continue;
            }
            match p {
                policy::PrincipalPattern::Account(_) => {}
                policy::PrincipalPattern::Exact(_, v) if v.contains(":role/") => as_role = true,
                _ => direct = true,
            }
        }
    }
    // A KMS key policy or a role trust policy must allow the caller itself ("must
    // explicitly allow access for principals"): a resource policy whose every action is
    // `kms:` or `sts:` is read as one.
    let key_or_trust = ["kms:", "sts:"].iter().any(|prefix| {
        q.statements.iter().all(|st| {
            st.actions
                .items
                .iter()
                .all(|a| a.text.to_lowercase().starts_with(prefix))
        })
    });
    let i = i && (!key_or_trust || applies(q, r, Effect::Allow));
    o && (direct || ((i || as_role) && b && s))
}

/// The drawn set's own callers, and one that is not its principal.
fn callers(d: &Drawn) -> Vec<Request> {
    let mut out = Vec::new();
    let role_name = d.principal.rsplit('/').next().unwrap_or_default();
    let own: Vec<(String, Option<&str>)> = if d.principal.contains(":user/") {
        vec![(d.principal.to_string(), None)]
    } else {
        vec![
            (d.principal.to_string(), None),
            (
                format!("arn:aws:sts::{ACCOUNT}:assumed-role/{role_name}/s1"),
                Some(d.principal),
            ),
        ]
    };
    let other = (
        "arn:aws:sts::111122223333:assumed-role/Other/s1".to_string(),
        None,
    );
    for account in [ACCOUNT, OTHER_ACCOUNT] {
        for (caller, principal_arn) in own.iter().chain([&other]) {
            for action in ACTIONS {
                let mut context = Context::default();
                context.add("aws:ResourceAccount", [account.to_string()]);
                if let Some(arn) = principal_arn {
                    context.add("aws:PrincipalArn", [arn.to_string()]);
                }
                if let Some(name) = caller.strip_prefix("arn:aws:iam::111122223333:user/") {
                    context.add("aws:username", [name.to_string()]);
                }
                let mut r = Request {
                    principal: Some(caller.parse().expect("a caller")),
                    action: action.to_string(),
                    resource: "arn:aws:s3:::b/k".into(),
                    context,
                };
                r.link_principal_keys().expect("consistent keys");
                out.push(r);
            }
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(128)
    ))]

    /// Every documented rule at once: the evaluator reads a set as AWS's sentences do,
    /// and the check finds every listed action a sampled request shows, with
    /// counterexamples the sentences allow too.
    #[test]
    fn whole_contexts_decide_as_documented(d in drawn()) {
        let refuse = |r: &str, _: &str| Err(format!("no reference `{r}`"));
        let set = match parse_set(&d.set_document().to_string(), &refuse) {
            Ok(set) => set,
            // The one refusal: `*`-like grants beside a boundary or session policies
            // (none is drawn), so none here.
            Err(e) => return Err(TestCaseError::fail(format!("{e}"))),
        };
        let combined = set.combined();
        let requests = callers(&d);
        for r in &requests {
            prop_assert_eq!(combined.allows(r), reference(&d, r), "{:?}", r);
        }
        for action in ACTIONS {
            let access = [Access { actions: vec![action.to_string()], resources: Vec::new() }];
            let result = hornbeam::run(&hornbeam::Check::AccessNotGrantedContext { context: &combined, access: &access }, &Options::default())
                .expect("no internal error");
            prop_assert!(result.inconclusive().is_none(), "{:?}", result.inconclusive());
            let shown = requests.iter().find(|r| r.action == *action && reference(&d, r));
            if let Some(r) = shown {
                prop_assert_eq!(result.verdict(), Verdict::Fail, "missed {:?}", r);
            }
            if let Some(c) = result.counterexample() {
                prop_assert!(combined.allows(c), "{:?}", c);
                prop_assert!(reference(&d, c), "the sentences deny {:?}", c);
                prop_assert!(matches!(&c.principal, Some(Principal::Aws(_))), "{:?}", c);
            }
        }
    }
}
