//! A resource policy within the caller's own account grants by the ARN it names (IAM User
//! Guide, "Policy evaluation logic", resource-based policies within one account):
//! - the caller's user ARN or role session ARN: past every implicit deny (identity
//!   policies, permissions boundary, session policies);
//! - the role's ARN: past the identity policies, not the boundary or session policies;
//! - the account (`"111122223333"`, its `:root` ARN): it delegates to the account, and
//!   the caller still needs an identity-policy Allow;
//! - a KMS key policy or a role trust policy must allow the caller itself: an identity
//!   policy grants only where the key or trust policy delegates to it.
//!
//! The cases below follow those sentences; a property holds the policy-set reading
//! (`Combined`) and the check against a reference written straight from them.

mod common;

use hornbeam::checks::{Encoding, Options, Verdict};
use hornbeam::context::{PolicySet, parse_set};
use hornbeam::eval::{self, Context, Principal, Request};
use hornbeam::policy::{self, Effect, PolicyType, PrincipalKind, PrincipalPattern};
use proptest::prelude::*;
use serde_json::{Value, json};

const ACCOUNT: &str = "111122223333";
const ROLE: &str = "arn:aws:iam::111122223333:role/App";
const USER: &str = "arn:aws:iam::111122223333:user/alice";
const SESSION: &str = "arn:aws:sts::111122223333:assumed-role/App/s1";
const OTHER_SESSION: &str = "arn:aws:sts::111122223333:assumed-role/App/s2";
const ROOT: &str = "arn:aws:iam::111122223333:root";

fn doc(statements: Value) -> Value {
    json!({"Version": "2012-10-17", "Statement": statements})
}

fn allow(action: &str) -> Value {
    json!({"Effect": "Allow", "Action": action, "Resource": "*"})
}

fn grant(principal: Value, action: &str) -> Value {
    json!({"Effect": "Allow", "Principal": principal, "Action": action, "Resource": "*"})
}

fn parsed(d: &Value) -> PolicySet {
    let none = |r: &str, _: &str| Err(format!("no references here: `{r}`"));
    parse_set(&d.to_string(), &none).expect("a valid set")
}

/// A same-account set of `principal` with the given parts.
fn set(principal: &str, identity: Value, resource: Value, extra: Value) -> Value {
    let mut d = json!({"principal": principal, "identityPolicies": [identity],
        "resourcePolicy": resource, "resourceAccount": "same"});
    if let (Some(d), Some(extra)) = (d.as_object_mut(), extra.as_object()) {
        d.extend(extra.clone());
    }
    d
}

fn request(caller: &str, action: &str) -> Request {
    let mut context = Context::default();
    context.add("aws:ResourceAccount", [ACCOUNT.to_string()]);
    // An IAM user's requests carry its name.
    if let Some(name) = caller.strip_prefix("arn:aws:iam::111122223333:user/") {
        context.add("aws:username", [name.to_string()]);
    }
    let mut r = Request {
        principal: Some(caller.parse().expect("a principal")),
        action: action.into(),
        resource: "arn:aws:s3:::app-bucket/k".into(),
        context,
    };
    r.link_principal_keys().expect("consistent keys");
    r
}

fn granted(set: &PolicySet, action: &str) -> (Verdict, Option<Request>) {
    common::context_grants(set, action)
}

#[test]
fn naming_the_account_delegates_to_the_identity_policies() {
    let sqs = doc(json!([allow("sqs:SendMessage")]));
    for account in [json!({"AWS": ROOT}), json!({"AWS": ACCOUNT})] {
        let bucket = doc(json!([grant(account.clone(), "s3:GetObject")]));
        let s = parsed(&set(ROLE, sqs.clone(), bucket.clone(), json!({})));
        assert!(
            !s.combined().allows(&request(SESSION, "s3:GetObject")),
            "{account}: no identity-policy Allow"
        );
        assert_eq!(granted(&s, "s3:GetObject").0, Verdict::Pass, "{account}");
        let with_s3 = doc(json!([allow("sqs:SendMessage"), allow("s3:GetObject")]));
        let s = parsed(&set(ROLE, with_s3, bucket, json!({})));
        assert_eq!(granted(&s, "s3:GetObject").0, Verdict::Fail, "{account}");
    }
}

/// The false PASS of issue 25: adding `s3:GetObject` to the role's identity policy is
/// new access when the bucket policy names only the account.
#[test]
fn an_identity_grant_beside_an_account_grant_is_new_access() {
    let bucket = doc(json!([grant(json!({"AWS": ROOT}), "s3:GetObject")]));
    let existing = parsed(&set(
        ROLE,
        doc(json!([allow("sqs:SendMessage")])),
        bucket.clone(),
        json!({}),
    ))
    .combined();
    let new = parsed(&set(
        ROLE,
        doc(json!([allow("sqs:SendMessage"), allow("s3:GetObject")])),
        bucket,
        json!({}),
    ))
    .combined();
    for encoding in [Encoding::Finite, Encoding::Strings] {
        let opts = Options {
            encoding,
            ..Options::default()
        };
        let r = hornbeam::run(
            &hornbeam::Check::NoNewAccessContexts {
                new: &new,
                existing: &existing,
            },
            &opts,
        )
        .expect("no internal error");
        assert_eq!(
            (r.verdict(), r.inconclusive()),
            (Verdict::Fail, None),
            "{encoding:?}"
        );
        let cx = r.counterexample().expect("a counterexample");
        assert!(new.allows(cx) && !existing.allows(cx), "{cx:?}");
        assert_eq!(cx.action, "s3:GetObject");
    }
}

#[test]
fn a_boundary_limits_a_grant_to_the_role_but_not_to_a_user_or_a_session() {
    let nothing = doc(json!([allow("sqs:SendMessage")]));
    let boundary = json!({"permissionsBoundary": doc(json!([allow("sqs:*")]))});
    // The user's own ARN: the boundary's implicit deny does not limit it.
    let user = parsed(&set(
        USER,
        nothing.clone(),
        doc(json!([grant(json!({"AWS": USER}), "s3:GetObject")])),
        boundary.clone(),
    ));
    assert_eq!(granted(&user, "s3:GetObject").0, Verdict::Fail);
    // The role's ARN: the boundary limits; a boundary that allows lets it grant without
    // any identity-policy Allow.
    let by_role = doc(json!([grant(json!({"AWS": ROLE}), "s3:GetObject")]));
    let role = parsed(&set(
        ROLE,
        nothing.clone(),
        by_role.clone(),
        boundary.clone(),
    ));
    assert_eq!(granted(&role, "s3:GetObject").0, Verdict::Pass);
    let open = json!({"permissionsBoundary": doc(json!([allow("s3:*")]))});
    let role = parsed(&set(ROLE, nothing.clone(), by_role.clone(), open));
    assert_eq!(granted(&role, "s3:GetObject").0, Verdict::Fail);
    // Session policies limit a grant to the role the same way.
    let session = json!({"sessionPolicies": [doc(json!([allow("sqs:*")]))]});
    let role = parsed(&set(ROLE, nothing.clone(), by_role, session.clone()));
    assert_eq!(granted(&role, "s3:GetObject").0, Verdict::Pass);
    // A role session's ARN: neither limits it, and it grants that session only.
    let by_session = doc(json!([grant(json!({"AWS": SESSION}), "s3:GetObject")]));
    for extra in [boundary, session] {
        let s = parsed(&set(
            ROLE,
            nothing.clone(),
            by_session.clone(),
            extra.clone(),
        ));
        let (verdict, cx) = granted(&s, "s3:GetObject");
        assert_eq!(verdict, Verdict::Fail, "{extra}");
        let c = s.combined();
        assert!(c.allows(&request(SESSION, "s3:GetObject")), "{extra}");
        assert!(
            !c.allows(&request(OTHER_SESSION, "s3:GetObject")),
            "{extra}"
        );
        let cx = cx.expect("a counterexample");
        assert!(
            format!("{:?}", cx.principal).contains("s1"),
            "the counterexample is the named session: {cx:?}"
        );
    }
}

#[test]
fn a_key_policy_must_allow_the_caller_itself() {
    let decrypt = doc(json!([allow("kms:Decrypt")]));
    // The default key policy's "Enable IAM policies" statement: identity policies grant.
    let enable_iam = doc(json!([grant(json!({"AWS": ROOT}), "kms:*")]));
    let s = parsed(&set(ROLE, decrypt.clone(), enable_iam, json!({})));
    assert_eq!(granted(&s, "kms:Decrypt").0, Verdict::Fail);
    // A key policy that names another role only: the identity policy grants nothing.
    let other = doc(json!([grant(
        json!({"AWS": "arn:aws:iam::111122223333:role/Admin"}),
        "kms:*"
    )]));
    let s = parsed(&set(ROLE, decrypt.clone(), other, json!({})));
    assert_eq!(granted(&s, "kms:Decrypt").0, Verdict::Pass);
    // Naming the role grants without an identity policy.
    let own = doc(json!([grant(json!({"AWS": ROLE}), "kms:Decrypt")]));
    let s = parsed(&set(ROLE, doc(json!([allow("sqs:*")])), own, json!({})));
    assert_eq!(granted(&s, "kms:Decrypt").0, Verdict::Fail);
    // A role trust policy alike, for sts:AssumeRole.
    let trust_account = doc(json!([{"Effect": "Allow", "Principal": {"AWS": ACCOUNT},
        "Action": "sts:AssumeRole"}]));
    let assume = doc(json!([allow("sts:AssumeRole")]));
    let s = parsed(&set(ROLE, assume.clone(), trust_account, json!({})));
    assert_eq!(granted(&s, "sts:AssumeRole").0, Verdict::Fail);
    let trust_other = doc(
        json!([{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
        "Action": "sts:AssumeRole"}]),
    );
    let s = parsed(&set(ROLE, assume, trust_other, json!({})));
    assert_eq!(granted(&s, "sts:AssumeRole").0, Verdict::Pass);
}

#[test]
fn everyone_beside_a_boundary_is_refused_with_its_place() {
    let none = |r: &str, _: &str| Err(format!("no references here: `{r}`"));
    let public = doc(json!([grant(json!("*"), "s3:GetObject")]));
    let d = set(
        ROLE,
        doc(json!([allow("sqs:*")])),
        public.clone(),
        json!({"permissionsBoundary": doc(json!([allow("sqs:*")]))}),
    );
    let e = parse_set(&d.to_string(), &none)
        .expect_err("refused")
        .to_string();
    assert!(e.starts_with("/resourcePolicy:"), "{e}");
    assert!(!e.contains('\n'), "{e}");
    // Without a boundary or session policies `*` grants within the account.
    let s = parsed(&set(ROLE, doc(json!([allow("sqs:*")])), public, json!({})));
    assert_eq!(granted(&s, "s3:GetObject").0, Verdict::Fail);
}

// ---- the property ----------------------------------------------------------------

/// What AWS's sentences decide for a same-account request of the set's principal,
/// written from them directly.
fn reference(
    identity: &policy::Policy,
    boundary: Option<&policy::Policy>,
    session: Option<&policy::Policy>,
    resource: &policy::Policy,
    r: &Request,
) -> bool {
    let all = [Some(identity), boundary, session, Some(resource)];
    let denied = all
        .iter()
        .flatten()
        .any(|p| !eval::evaluate(p, r).denying.is_empty());
    if denied {
        return false;
    }
    let b = boundary.is_none_or(|p| eval::allows(p, r));
    let s = session.is_none_or(|p| eval::allows(p, r));
    let key_or_trust = resource.statements.iter().all(|st| {
        st.actions.items.iter().all(|a| {
            let t = a.text.to_lowercase();
            t.starts_with("kms:") || t.starts_with("sts:")
        })
    });
    let Some(caller) = &r.principal else {
        return false;
    };
    let mut resource_allows = false;
    let mut direct = false;
    let mut as_role = false;
    for st in &resource.statements {
        if st.effect != Effect::Allow || eval::statement_outcome(st, r) != eval::Outcome::Applies {
            continue;
        }
        resource_allows = true;
        let Some(principals) = &st.principals else {
            continue;
        };
        let principal_arn = r.principal_arn();
        for p in principals
            .items
            .iter()
            .filter(|p| eval::principal_matches(p, caller, principal_arn.as_deref()))
        {
            match p {
                PrincipalPattern::Account(_) => {}
                PrincipalPattern::Exact(PrincipalKind::Aws, arn) if arn.contains(":role/") => {
                    as_role = true
                }
                _ => direct = true,
            }
        }
    }
    let id = eval::allows(identity, r) && (!key_or_trust || resource_allows);
    direct || ((id || as_role) && b && s)
}

fn statement() -> impl Strategy<Value = Value> {
    let principal = prop::sample::select(vec![
        json!({"AWS": ROOT}),
        json!({"AWS": ACCOUNT}),
        json!({"AWS": ROLE}),
        json!({"AWS": USER}),
        json!({"AWS": SESSION}),
        json!({"AWS": "arn:aws:iam::111122223333:role/Other"}),
        json!({"AWS": [ROLE, ROOT]}),
        json!({"AWS": [SESSION, USER, ACCOUNT]}),
    ]);
    let action = prop::sample::select(vec!["s3:GetObject", "s3:*", "kms:Decrypt", "kms:*"]);
    (principal, action, prop::bool::weighted(0.85)).prop_map(|(p, a, allow)| {
        json!({"Effect": if allow {"Allow"} else {"Deny"}, "Principal": p, "Action": a, "Resource": "*"})
    })
}

fn identity_doc() -> impl Strategy<Value = Value> {
    prop::collection::vec(
        prop::sample::select(vec!["s3:GetObject", "s3:PutObject", "kms:Decrypt", "sqs:*"]),
        0..3,
    )
    .prop_map(|actions| {
        let mut statements: Vec<Value> = actions.into_iter().map(allow).collect();
        statements.push(allow("sqs:SendMessage"));
        doc(json!(statements))
    })
}

fn limit_doc() -> impl Strategy<Value = Option<Value>> {
    prop::option::weighted(
        0.5,
        prop::sample::select(vec!["s3:*", "kms:*", "sqs:*", "s3:GetObject"])
            .prop_map(|a| doc(json!([allow(a)]))),
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(64)
    ))]

    #[test]
    fn sets_decide_as_the_documented_rules_do(
        is_role in any::<bool>(),
        identity in identity_doc(),
        statements in prop::collection::vec(statement(), 1..4),
        boundary in limit_doc(),
        session in limit_doc(),
    ) {
        let principal = if is_role { ROLE } else { USER };
        let session = session.filter(|_| is_role);
        let resource = doc(json!(statements));
        let mut extra = json!({});
        if let Some(b) = &boundary {
            extra["permissionsBoundary"] = b.clone();
        }
        if let Some(s) = &session {
            extra["sessionPolicies"] = json!([s]);
        }
        let set = parsed(&set(principal, identity.clone(), resource.clone(), extra));
        let combined = set.combined();
        let p = |v: &Value, t: PolicyType| policy::parse(&v.to_string(), t).expect("parses");
        let (identity, resource) = (p(&identity, PolicyType::Identity), p(&resource, PolicyType::Resource));
        let boundary = boundary.map(|b| p(&b, PolicyType::Identity));
        let session = session.map(|s| p(&s, PolicyType::Identity));
        let callers: &[&str] = if is_role { &[SESSION, OTHER_SESSION] } else { &[USER] };
        for action in ["s3:GetObject", "s3:PutObject", "kms:Decrypt"] {
            let mut any = None;
            for caller in callers {
                let r = request(caller, action);
                let expected = reference(&identity, boundary.as_ref(), session.as_ref(), &resource, &r);
                prop_assert_eq!(combined.allows(&r), expected, "{} {}", caller, action);
                if expected {
                    any = Some(r);
                }
            }
            let (verdict, cx) = granted(&set, action);
            if let Some(r) = any {
                prop_assert_eq!(verdict, Verdict::Fail, "the check misses {:?}", r);
            }
            if let Some(cx) = cx {
                // The counterexample is a request of the set's principal: the
                // reference decides it too.
                let own = matches!(&cx.principal, Some(Principal::Aws(a))
                    if a == principal || a.starts_with("arn:aws:sts::111122223333:assumed-role/App/"));
                if own {
                    prop_assert!(
                        reference(&identity, boundary.as_ref(), session.as_ref(), &resource, &cx),
                        "{:?}", cx
                    );
                }
            }
        }
    }
}
