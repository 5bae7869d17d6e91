//! Only requests AWS could receive (src/keys, src/checks/realize.rs): typed condition
//! keys, documented availability, realistic counterexamples, and the regressions of
//! issue 15. Each typed domain and availability entry has a pair that was a false FAIL
//! (a value or an absence no request has) and is now a PASS, and its mirror that still
//! FAILs with a well-typed counterexample; both encodings must agree.

mod common;

use hornbeam::checks::{Encoding, Options, Outcome, Verdict};
use hornbeam::eval::{self, Principal};
use hornbeam::keys;
use hornbeam::policy::{self, Policy, PolicyType};
use serde_json::{Value, json};

fn parse(statements: Value, t: PolicyType) -> Policy {
    let text = json!({"Version": "2012-10-17", "Statement": statements}).to_string();
    policy::parse(&text, t).expect("test policy parses")
}

fn nna(new: &Policy, existing: &Policy, encoding: Encoding) -> Outcome {
    let opts = Options {
        encoding,
        ..Options::default()
    };
    hornbeam::run(&hornbeam::Check::NoNewAccess { new, existing }, &opts)
        .expect("no internal error")
}

/// Both encodings answer `expected`; a FAIL's counterexample replays and every value
/// in it has its key's type.
fn expect(new: Value, existing: Value, t: PolicyType, expected: Verdict) -> Vec<Outcome> {
    let (n, e) = (parse(new.clone(), t), parse(existing.clone(), t));
    [Encoding::Finite, Encoding::Strings]
        .into_iter()
        .map(|encoding| {
            let r = nna(&n, &e, encoding);
            assert!(
                r.inconclusive().is_none(),
                "{encoding:?}: {:?}",
                r.inconclusive()
            );
            assert_eq!(
                r.verdict(),
                expected,
                "{encoding:?}: new {new} existing {existing}"
            );
            if let Some(c) = r.counterexample() {
                assert!(eval::allows(&n, c) && !eval::allows(&e, c), "{c:?}");
                for (k, values) in c.context.iter() {
                    for v in values {
                        keys::check_value(k, v).unwrap_or_else(|why| panic!("{why} in {c:?}"));
                    }
                }
            }
            r
        })
        .collect()
}

fn allow(condition: Value) -> Value {
    json!({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::data/*", "Condition": condition})
}

fn deny(condition: Value) -> Value {
    json!({"Effect": "Deny", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::data/*", "Condition": condition})
}

fn plain() -> Value {
    json!({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::data/*"})
}

/// The value of `key` in the counterexample.
fn value(r: &Outcome, key: &str) -> Option<String> {
    let c = r.counterexample()?;
    c.context.get(key).and_then(|v| v.first().cloned())
}

const ID: PolicyType = PolicyType::Identity;

#[test]
fn bool_keys_are_true_or_false() {
    // The issue's pair: both allow exactly the requests made over TLS.
    expect(
        json!([
            plain(),
            deny(json!({"BoolIfExists": {"aws:SecureTransport": "false"}}))
        ]),
        json!([allow(json!({"Bool": {"aws:SecureTransport": "true"}}))]),
        ID,
        Verdict::Pass,
    );
    let rs = expect(
        json!([plain()]),
        json!([allow(json!({"Bool": {"aws:SecureTransport": "true"}}))]),
        ID,
        Verdict::Fail,
    );
    for r in &rs {
        assert_eq!(value(r, "aws:SecureTransport").as_deref(), Some("false"));
    }
}

#[test]
fn numeric_keys_are_numbers() {
    expect(
        json!([
            plain(),
            deny(json!({"NumericGreaterThanIfExists": {"s3:max-keys": "100"}}))
        ]),
        json!([
            allow(json!({"NumericLessThanEquals": {"s3:max-keys": "100"}})),
            allow(json!({"Null": {"s3:max-keys": "true"}}))
        ]),
        ID,
        Verdict::Pass,
    );
    let rs = expect(
        json!([plain()]),
        json!([
            allow(json!({"NumericLessThanEquals": {"s3:max-keys": "100"}})),
            allow(json!({"Null": {"s3:max-keys": "true"}}))
        ]),
        ID,
        Verdict::Fail,
    );
    for r in &rs {
        let v = value(r, "s3:max-keys").expect("the key is set");
        assert!(v.parse::<f64>().is_ok_and(|n| n > 100.0), "{v}");
    }
    // A string literal on a numeric key: its number is a candidate like any other
    // (finitized; the strings encoding says it cannot relate the two views).
    let (n, e) = (
        parse(
            json!([allow(json!({"StringEquals": {"s3:max-keys": "100"}}))]),
            ID,
        ),
        parse(
            json!([allow(json!({"NumericEquals": {"s3:max-keys": "100"}}))]),
            ID,
        ),
    );
    let r = nna(&n, &e, Encoding::Finite);
    assert_eq!((r.verdict(), r.inconclusive()), (Verdict::Pass, None));
    let r = nna(&n, &e, Encoding::Strings);
    assert_eq!(r.verdict(), Verdict::Fail);
    assert!(
        r.inconclusive()
            .is_some_and(|w| w.contains("`s3:max-keys`"))
    );
}

#[test]
fn date_keys_are_dates() {
    expect(
        json!([
            plain(),
            deny(json!({"DateGreaterThanEquals": {"aws:CurrentTime": "2030-01-01T00:00:00Z"}}))
        ]),
        json!([allow(
            json!({"DateLessThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"}})
        )]),
        ID,
        Verdict::Pass,
    );
    let rs = expect(
        json!([plain()]),
        json!([allow(
            json!({"DateLessThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"}})
        )]),
        ID,
        Verdict::Fail,
    );
    for r in &rs {
        let v = value(r, "aws:CurrentTime").expect("the key is set");
        assert!(v.as_str() >= "2030", "{v}");
    }
}

#[test]
fn address_keys_are_addresses() {
    let everywhere = json!({"IpAddressIfExists": {"aws:SourceIp": ["0.0.0.0/0", "::/0"]}});
    expect(
        json!([plain()]),
        json!([allow(everywhere)]),
        ID,
        Verdict::Pass,
    );
    let rs = expect(
        json!([plain()]),
        json!([allow(
            json!({"IpAddressIfExists": {"aws:SourceIp": "10.0.0.0/8"}})
        )]),
        ID,
        Verdict::Fail,
    );
    for r in &rs {
        let v = value(r, "aws:SourceIp").expect("the key is set");
        assert!(
            v.parse::<std::net::IpAddr>().is_ok() && !v.starts_with("10."),
            "{v}"
        );
    }
}

#[test]
fn arn_keys_are_arns() {
    let any_arn = json!({"ArnLikeIfExists": {"aws:SourceArn": "arn:*:*:*:*:*"}});
    expect(json!([plain()]), json!([allow(any_arn)]), ID, Verdict::Pass);
    let rs = expect(
        json!([plain()]),
        json!([allow(
            json!({"ArnLikeIfExists": {"aws:SourceArn": "arn:aws:sns:*:*:*"}})
        )]),
        ID,
        Verdict::Fail,
    );
    for r in &rs {
        let v = value(r, "aws:SourceArn").expect("the key is set");
        assert!(
            v.starts_with("arn:") && !v.starts_with("arn:aws:sns:"),
            "{v}"
        );
    }
}

#[test]
fn keys_every_request_carries_are_present() {
    for key in [
        "aws:SecureTransport",
        "aws:CurrentTime",
        "aws:EpochTime",
        "aws:PrincipalType",
    ] {
        // Was a FAIL with the key absent.
        expect(
            json!([plain()]),
            json!([allow(json!({"Null": {key: "false"}}))]),
            ID,
            Verdict::Pass,
        );
        // The mirror: the key's absence is what the existing policy allows; now nothing.
        expect(
            json!([allow(json!({"Null": {key: "true"}}))]),
            json!([]),
            ID,
            Verdict::Pass,
        );
        let rs = expect(
            json!([plain()]),
            json!([allow(json!({"Null": {key: "true"}}))]),
            ID,
            Verdict::Fail,
        );
        for r in &rs {
            assert!(value(r, key).is_some(), "{key} is present");
        }
    }
}

#[test]
fn keys_every_iam_caller_carries_are_present_for_iam_callers_only() {
    for key in ["aws:userid", "aws:PrincipalIsAWSService"] {
        expect(
            json!([plain()]),
            json!([allow(json!({"Null": {key: "false"}}))]),
            ID,
            Verdict::Pass,
        );
        // A resource policy's anonymous caller has none.
        let star = |condition: Value| {
            let mut s = allow(condition);
            s["Principal"] = json!("*");
            s
        };
        let rs = expect(
            json!([star(json!({}))]),
            json!([star(json!({"Null": {key: "false"}}))]),
            PolicyType::Resource,
            Verdict::Fail,
        );
        for r in &rs {
            let c = r.counterexample().expect("a FAIL has a counterexample");
            assert!(
                !matches!(c.principal, Some(Principal::Aws(_))),
                "{key}: only a non-IAM caller lacks it: {c:?}"
            );
        }
    }
}

/// Issue 15, bug a: `Null aws:PrincipalAccount false` in an identity policy gave exit 4
/// (the counterexample carried no principal, so its replay failed).
#[test]
fn a_null_test_on_the_principal_account_names_the_caller() {
    let new = json!([{"Effect": "Allow", "NotAction": ["s3:GetObjectTagging", "s3:*"],
        "Resource": "arn:aws:s3:::*/*", "Condition": {"Null": {"aws:PrincipalAccount": "false"}}}]);
    let existing = json!([{"Effect": "Allow", "Action": "kms:Encrypt", "Resource": "*"}]);
    for r in expect(new, existing, ID, Verdict::Fail) {
        let c = r.counterexample().expect("a counterexample");
        let Some(Principal::Aws(arn)) = &c.principal else {
            panic!("an IAM caller: {c:?}");
        };
        assert!(
            policy::is_account_id(arn.split(':').nth(4).unwrap_or_default()),
            "{arn}"
        );
        assert!(hornbeam::checks::is_known_action(&c.action), "{}", c.action);
    }
}

/// Issue 15, bug b: `{"Federated": "*"}` gave the caller `Federated:` with no name.
#[test]
fn a_federated_wildcard_gives_a_named_provider() {
    let trust = |principal: Value| json!([{"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRoleWithWebIdentity"}]);
    let rs = expect(
        trust(json!({"Federated": "*"})),
        trust(json!({"Federated": "arn:aws:iam::111122223333:oidc-provider/oidc.example.com"})),
        PolicyType::Resource,
        Verdict::Fail,
    );
    for r in rs {
        let c = r.counterexample().expect("a counterexample");
        let Some(Principal::Federated(name)) = &c.principal else {
            panic!("a federated caller: {c:?}");
        };
        assert!(!name.is_empty());
        // What hornbeam prints, `hornbeam simulate` reads back.
        let printed = c
            .principal
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default();
        assert_eq!(printed.parse::<Principal>().ok(), c.principal);
    }
}

/// Issue 15, bug c (first half): the bare service principal form policies use.
#[test]
fn bare_service_and_provider_principals_parse() {
    let p = |s: &str| s.parse::<Principal>().expect("parses");
    assert_eq!(
        p("lambda.amazonaws.com"),
        Principal::Service("lambda.amazonaws.com".into())
    );
    assert_eq!(
        p("ec2.amazonaws.com.cn"),
        Principal::Service("ec2.amazonaws.com.cn".into())
    );
    assert_eq!(
        p("cognito-identity.amazonaws.com"),
        Principal::Federated("cognito-identity.amazonaws.com".into())
    );
    assert_eq!(
        p("arn:aws:iam::111122223333:saml-provider/Okta"),
        Principal::Federated("arn:aws:iam::111122223333:saml-provider/Okta".into())
    );
    assert_eq!(
        p("arn:aws:iam::111122223333:role/r"),
        Principal::Aws("arn:aws:iam::111122223333:role/r".into())
    );
}

#[test]
fn simulate_rejects_a_value_no_request_carries_and_reads_bare_services() {
    let bin = env!("CARGO_BIN_EXE_hornbeam");
    let doc = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
    let base = [
        "simulate",
        "--policy-document",
        doc,
        "--policy-type",
        "RESOURCE_POLICY",
        "--action",
        "sts:AssumeRole",
        "--resource",
        "arn:aws:iam::111122223333:role/r",
        "--principal",
        "lambda.amazonaws.com",
        "--output",
        "text",
    ];
    let ok = common::hornbeam_with_stdin(bin, &base, None);
    assert_eq!(ok.code, 0, "{}", ok.stderr);
    assert!(ok.stdout.starts_with("ALLOWED"), "{}", ok.stdout);
    let mut bad = base.to_vec();
    bad.extend(["--context", "aws:SecureTransport=yes"]);
    let run = common::hornbeam_with_stdin(bin, &bad, None);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("`aws:SecureTransport`") && run.stderr.contains("Bool"),
        "{}",
        run.stderr
    );
    assert_eq!(run.stderr.trim().lines().count(), 1, "{}", run.stderr);
}

/// When only names AWS does not define gain access, the FAIL stays (a future action may
/// match) and the reasons say so — in both encodings.
#[test]
fn access_only_undefined_names_gain_is_reported_as_such() {
    let new = json!([{"Effect": "Allow", "Action": "s3:?etObject", "Resource": "*"}]);
    let existing = json!([{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]);
    // The variable sends the query to the strings encoding.
    let existing_variable = json!([
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"},
        {"Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::b/${aws:username}/*"}
    ]);
    for existing in [existing, existing_variable] {
        for r in expect(new.clone(), existing, ID, Verdict::Fail) {
            let c = r.counterexample().expect("a counterexample");
            assert!(
                !hornbeam::checks::is_known_action(&c.action),
                "{}",
                c.action
            );
            assert!(
                r.reasons()
                    .iter()
                    .all(|x| x.description.contains("No action AWS defines today")),
                "{:?}",
                r.reasons()
            );
        }
    }
    // A defined action that gains access is preferred to the shortest name.
    let broader =
        json!([{"Effect": "Allow", "Action": ["s3:?etObject", "s3:PutObject"], "Resource": "*"}]);
    let existing = json!([{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]);
    for r in expect(broader, existing, ID, Verdict::Fail) {
        let c = r.counterexample().expect("a counterexample");
        assert_eq!(c.action, "s3:PutObject");
        assert!(
            r.reasons()
                .iter()
                .all(|x| !x.description.contains("No action"))
        );
    }
}

/// Issue 15, bug c (second half): a role session's `aws:PrincipalArn` is its role's
/// ARN, while a Principal element naming the session ARN still names that session.
#[test]
fn a_role_session_is_its_role_with_a_session_name() {
    let session = "arn:aws:sts::111122223333:assumed-role/Deployer/ci-run";
    let role = "arn:aws:iam::111122223333:role/Deployer";
    let trust = |principal: &str| {
        json!([{"Effect": "Allow", "Principal": {"AWS": principal}, "Action": "s3:GetObject",
                "Resource": "arn:aws:s3:::b/*"}])
    };
    // The role names each of its sessions; but the session ARN drops the role's path,
    // so it also names the sessions of `role/PATH/Deployer` (one role per name in an
    // account, with or without a path), which `role/Deployer` does not: new access
    // exactly for a role with a path (issue 25).
    for r in expect(
        trust(session),
        trust(role),
        PolicyType::Resource,
        Verdict::Fail,
    ) {
        let c = r.counterexample().expect("a counterexample");
        assert_eq!(c.principal, Some(Principal::Aws(session.into())), "{c:?}");
        let arn = c
            .context
            .single("aws:PrincipalArn")
            .expect("a principal ARN");
        assert!(eval::is_session_role(session, arn), "{c:?}");
    }
    let with_paths = |principal: &str| {
        json!([{"Effect": "Allow", "Principal": {"AWS": principal}, "Action": "s3:GetObject",
                "Resource": "arn:aws:s3:::b/*"},
               {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                "Resource": "arn:aws:s3:::b/*",
                "Condition": {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::111122223333:role/*/Deployer"}}}])
    };
    expect(
        trust(session),
        with_paths(role),
        PolicyType::Resource,
        Verdict::Pass,
    );
    // One session names no other session of the role.
    for r in expect(
        trust(role),
        trust(session),
        PolicyType::Resource,
        Verdict::Fail,
    ) {
        let c = r.counterexample().expect("a counterexample");
        assert_ne!(c.principal, Some(Principal::Aws(session.into())), "{c:?}");
    }
    // The session's own key is its role's ARN: a policy reading it sees the role.
    let by_key = json!([{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
        "Resource": "arn:aws:s3:::b/*", "Condition": {"ArnEquals": {"aws:PrincipalArn": role}}}]);
    expect(
        trust(session),
        by_key.clone(),
        PolicyType::Resource,
        Verdict::Fail,
    );
    let mut r: eval::Request = eval::Request {
        principal: Some(session.parse().expect("a session ARN parses")),
        action: "s3:GetObject".into(),
        resource: "arn:aws:s3:::b/k".into(),
        context: eval::Context::default(),
    };
    r.link_principal_keys().expect("consistent");
    assert_eq!(
        r.context.get("aws:PrincipalArn"),
        Some(&[role.to_string()][..])
    );
    let p = parse(by_key, PolicyType::Resource);
    assert!(eval::allows(&p, &r));
    assert!(eval::allows(
        &parse(trust(session), PolicyType::Resource),
        &r
    ));
    let other: Principal = "arn:aws:sts::111122223333:assumed-role/Deployer/other"
        .parse()
        .expect("parses");
    r.principal = Some(other);
    assert!(!eval::allows(
        &parse(trust(session), PolicyType::Resource),
        &r
    ));
}

/// Found by running tf-policy-validator's own test plans against `hornbeam serve`: it
/// writes a Lambda permission's resource as `arn::lambda:::function:NAME`, and AWS
/// answers that `Principal: *` on it is not public. No request is for an ARN without a
/// partition, so the pattern matches nothing.
#[test]
fn an_arn_without_a_partition_names_no_resource() {
    let lambda = |resource: &str| {
        parse(
            json!([{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "lambda:InvokeFunction", "Resource": resource}]),
            PolicyType::Resource,
        )
    };
    for encoding in [Encoding::Finite, Encoding::Strings] {
        let opts = Options {
            encoding,
            ..Options::default()
        };
        let check = |p: &Policy| {
            hornbeam::run(
                &hornbeam::Check::NoPublicAccess {
                    policy: p,
                    resource_type: "AWS::Lambda::Function",
                },
                &opts,
            )
            .expect("no internal error")
        };
        let r = check(&lambda("arn::lambda:::function:called_from_sns"));
        assert_eq!(r.verdict(), Verdict::Pass, "{encoding:?}: {r:?}");
        let r = check(&lambda("arn:aws:lambda:us-east-1:111122223333:function:f"));
        assert_eq!(r.verdict(), Verdict::Fail, "{encoding:?}");
    }
    // A no-new-access check that only the empty partition separates passes too.
    expect(
        json!([{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn::s3:::data/*"}]),
        json!([{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::other/*"}]),
        PolicyType::Identity,
        Verdict::Pass,
    );
}

/// Action patterns with many infix wildcards (AWS's SageMakerStudio policies hold 25)
/// make the action's product automaton huge. The known actions are then tried first,
/// before the automaton (6 infix words or more) or after it gives up (its state budget):
/// a counterexample among them is a FAIL like any other (replayed), and none among them
/// proves nothing, so the exact encoding or the strings encoding decides.
#[test]
fn too_many_action_regions_try_the_known_actions_first() {
    let words = ["endpoint", "model", "context", "artifact", "action", "job"];
    let allow =
        |actions: Vec<String>| json!([{"Effect": "Allow", "Action": actions, "Resource": "*"}]);
    // (infix words, state budget, the encoding that decides when the known actions
    // show nothing): tried first with 6 words; with 3, only once the budget is spent.
    for (n, max_states, decides) in [(6, 200_000, "finite"), (3, 20, "strings")] {
        let infixes: Vec<String> = words[..n]
            .iter()
            .map(|w| format!("sagemaker:*{w}*"))
            .collect();
        let opts = Options {
            max_states,
            ..Options::default()
        };
        let check = |new: Vec<String>, existing: Vec<String>| {
            let (n, e) = (
                parse(allow(new), PolicyType::Identity),
                parse(allow(existing), PolicyType::Identity),
            );
            let r = hornbeam::run(
                &hornbeam::Check::NoNewAccess {
                    new: &n,
                    existing: &e,
                },
                &opts,
            )
            .expect("no internal error");
            if let Some(c) = r.counterexample() {
                assert!(eval::allows(&n, c) && !eval::allows(&e, c), "{c:?}");
            }
            r
        };
        let strings = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        // A known action fails: found on the finitized path.
        let r = check(
            infixes.clone(),
            strings(&["sagemaker:Describe*", "sagemaker:List*"]),
        );
        assert_eq!(r.verdict(), Verdict::Fail, "{n}");
        assert_eq!((r.encoding(), r.fallback()), ("finite", None), "{n}: {r:?}");
        let action = &r.counterexample().unwrap().action;
        assert!(hornbeam::checks::is_known_action(action), "{action}");
        // Only a name AWS does not define fails: no known action shows it (a sampled
        // `unsat` must not read as PASS).
        let mut unknown = infixes.clone();
        unknown.push("sagemaker:*zzqnotaword*".into());
        let r = check(unknown, infixes.clone());
        assert_eq!(r.verdict(), Verdict::Fail, "{n}: {r:?}");
        assert!(r.inconclusive().is_none(), "{n}: {r:?}");
        assert_eq!(r.encoding(), decides, "{n}: {r:?}");
        // Nothing new: PASS.
        let r = check(infixes.clone(), strings(&["sagemaker:*"]));
        assert_eq!(r.verdict(), Verdict::Pass, "{n}: {r:?}");
        assert_eq!(r.encoding(), decides, "{n}: {r:?}");
    }
}

/// The SMT-LIB script a check shows is the exact query, never one whose action regions
/// are sampled (the same script as with `--expand-actions`, which never samples).
#[test]
fn the_script_is_the_exact_query() {
    let actions: Vec<String> = ["endpoint", "model", "context", "artifact", "action", "job"]
        .iter()
        .map(|w| format!("sagemaker:*{w}*"))
        .collect();
    let new = parse(
        json!([{"Effect": "Allow", "Action": actions, "Resource": "*"}]),
        PolicyType::Identity,
    );
    let existing = parse(
        json!([{"Effect": "Allow", "Action": "sagemaker:Describe*", "Resource": "*"}]),
        PolicyType::Identity,
    );
    let script = |expand_actions: bool| {
        let opts = Options {
            expand_actions,
            ..Options::default()
        };
        hornbeam::Check::NoNewAccess {
            new: &new,
            existing: &existing,
        }
        .script(&opts)
        .expect("encodable")
    };
    assert_eq!(script(false), script(true));
}

/// Counterexample values no request carries (issue 24): a variable filled with `""`
/// (`b/${aws:username}/*` as `b//`), an organization ID that is not `o-` and 10 to 32
/// lowercase letters or digits, a VPC ID without `vpc-`, an IAM ARN without account.
#[test]
fn counterexample_values_have_aws_formats() {
    use hornbeam::checks::Access;
    let granted = |statements: Value, action: &str| {
        let p = parse(statements, PolicyType::Identity);
        let access = [Access {
            actions: vec![action.into()],
            resources: Vec::new(),
        }];
        [Encoding::Finite, Encoding::Strings].map(|encoding| {
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
            let c = r.counterexample().cloned().expect("a counterexample");
            assert!(eval::allows(&p, &c), "{c:?}");
            c
        })
    };
    for c in granted(
        json!([{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/${aws:username}/*"}]),
        "s3:GetObject",
    ) {
        let user = c.context.single("aws:username").expect("a user name");
        assert!(!user.is_empty() && !c.resource.contains("//"), "{c:?}");
    }
    for c in granted(
        json!([{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
            "Condition": {"StringLike": {"aws:PrincipalOrgID": "*"},
                          "StringEquals": {"aws:SourceVpc": "${aws:SourceVpc}"}}}]),
        "s3:GetObject",
    ) {
        let org = c
            .context
            .single("aws:PrincipalOrgID")
            .expect("an organization");
        assert!(
            org.starts_with("o-") && (12..=34).contains(&org.len()),
            "{c:?}"
        );
        if let Some(vpc) = c.context.single("aws:SourceVpc") {
            assert!(vpc.starts_with("vpc-"), "{c:?}");
        }
    }
    for c in granted(
        json!([{"Effect": "Allow", "Action": "iam:PassRole", "Resource": "arn:aws:iam::*:role/app-*"}]),
        "iam:PassRole",
    ) {
        let account = c.resource.split(':').nth(4).unwrap_or_default();
        assert!(
            account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit()),
            "{c:?}"
        );
    }
}

/// A resource in the format of a resource type the action applies to (issue 24): a
/// policy's `security-group*` pattern gave `security-groupexample/example`.
#[test]
fn resources_follow_the_actions_arn_formats() {
    use hornbeam::checks::Access;
    let p = parse(
        json!([{"Effect": "Allow", "Action": "ec2:CreateSecurityGroup",
            "Resource": "arn:aws:ec2:*:*:security-group*"}]),
        PolicyType::Identity,
    );
    let access = [Access {
        actions: vec!["ec2:CreateSecurityGroup".into()],
        resources: Vec::new(),
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
        let c = r.counterexample().expect("a counterexample");
        assert!(
            c.resource.starts_with("arn:aws:ec2:us-east-1:")
                && c.resource.contains(":security-group/"),
            "{encoding:?}: {c:?}"
        );
    }
}

/// IAM's `*`/`?` matching, for the formats a resource must be in (`${...}` read as `*`).
fn wildcard_match(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut i, mut j, mut star, mut mark) = (0, 0, None, 0);
    while j < t.len() {
        if i < p.len() && (p[i] == '?' || p[i] == t[j]) {
            i += 1;
            j += 1;
        } else if i < p.len() && p[i] == '*' {
            star = Some(i);
            mark = j;
            i += 1;
        } else if let Some(s) = star {
            i = s + 1;
            mark += 1;
            j = mark;
        } else {
            return false;
        }
    }
    p[i..].iter().all(|c| *c == '*')
}

fn in_a_format(action: &str, resource: &str) -> bool {
    let formats = hornbeam::actions::resource_arn_formats(action);
    formats.is_empty()
        || formats.iter().any(|f| {
            let mut glob = String::new();
            let mut rest = *f;
            while let Some(s) = rest.find("${") {
                glob.push_str(&rest[..s]);
                glob.push('*');
                rest = rest[s..].find('}').map_or("", |e| &rest[s + e + 1..]);
            }
            glob.push_str(rest);
            wildcard_match(&glob, resource)
        })
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(
        std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(64)
    ))]

    /// Every counterexample of policies for which realistic values exist has AWS's
    /// formats (issue 24): the resource in the format of a resource type the action
    /// applies to, no `//`, IAM ARNs with an account, organization IDs `o-` and 10 to 32
    /// lowercase letters or digits, VPC IDs `vpc-`, non-empty user names.
    #[test]
    fn counterexamples_of_realizable_policies_have_aws_formats(
        // Actions with resources they can have (an `s3:GetObject` on an EC2 ARN has no
        // realistic counterexample to give).
        (action, resource) in proptest::sample::select(vec![
            ("s3:GetObject", "*"),
            ("s3:GetObject", "arn:aws:s3:::b/*"),
            ("s3:GetObject", "arn:aws:s3:::b/${aws:username}/*"),
            ("ec2:CreateSecurityGroup", "*"),
            ("ec2:CreateSecurityGroup", "arn:aws:ec2:*:*:security-group*"),
            ("iam:PassRole", "*"),
            ("iam:PassRole", "arn:aws:iam::*:role/app-*"),
            ("sqs:SendMessage", "*"),
            ("sqs:SendMessage", "arn:*:sqs:*:*:q-*"),
        ]),
        condition in proptest::sample::select(vec![
            json!({}),
            json!({"StringLike": {"aws:PrincipalOrgID": "o-*"}}),
            json!({"StringLike": {"aws:PrincipalOrgID": "*"}}),
            json!({"StringEquals": {"aws:SourceVpc": "${aws:SourceVpc}"}}),
            json!({"StringNotEquals": {"aws:PrincipalOrgID": "o-abcdefghij"}, "Null": {"aws:PrincipalOrgID": "false"}}),
            json!({"StringLike": {"aws:SourceVpce": "*"}}),
        ]),
    ) {
        use hornbeam::checks::Access;
        let mut statement = json!({"Effect": "Allow", "Action": action, "Resource": resource});
        if condition.as_object().is_some_and(|c| !c.is_empty()) {
            statement["Condition"] = condition;
        }
        let p = parse(json!([statement]), PolicyType::Identity);
        let access = [Access { actions: vec![action.into()], resources: Vec::new() }];
        let r = hornbeam::run(&hornbeam::Check::AccessNotGranted { policy: &p, access: &access }, &Options::default())
            .expect("no internal error");
        if let Some(c) = r.counterexample() {
            proptest::prop_assert!(eval::allows(&p, c), "{:?}", c);
            proptest::prop_assert!(!c.resource.contains("//") && !c.resource.ends_with('/'), "{:?}", c);
            proptest::prop_assert!(in_a_format(&c.action, &c.resource), "{:?}", c);
            let f: Vec<&str> = c.resource.split(':').collect();
            if f.len() > 4 && (f[2] == "iam" || f[2] == "sqs" || f[2] == "ec2") {
                proptest::prop_assert!(f[4].len() == 12 && f[4].bytes().all(|b| b.is_ascii_digit()), "{:?}", c);
            }
            if let Some(org) = c.context.single("aws:PrincipalOrgID") {
                let rest = org.strip_prefix("o-").unwrap_or_default();
                proptest::prop_assert!(
                    (10..=32).contains(&rest.len())
                        && rest.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()),
                    "{:?}", c
                );
            }
            if let Some(vpc) = c.context.single("aws:SourceVpc") {
                proptest::prop_assert!(vpc.starts_with("vpc-"), "{:?}", c);
            }
            if let Some(vpce) = c.context.single("aws:SourceVpce") {
                proptest::prop_assert!(vpce.starts_with("vpce-"), "{:?}", c);
            }
            if let Some(user) = c.context.single("aws:username") {
                proptest::prop_assert!(!user.is_empty(), "{:?}", c);
            }
        }
    }
}

/// An anonymous caller carries no key of an IAM identity (`aws:PrincipalOrgID`, a
/// principal tag): a counterexample that needs one names an IAM principal of an
/// account the policies do not name (found by the external-access analysis, issue 28).
#[test]
fn a_caller_with_an_organization_is_an_iam_principal() {
    let new = json!([{"Effect": "Allow", "Principal": "*", "Action": "s3:ListBucket",
        "Resource": "arn:aws:s3:::b",
        "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}}]);
    let nothing = json!([{"Effect": "Deny", "Principal": "*", "Action": "*", "Resource": "*"}]);
    for r in expect(new, nothing, PolicyType::Resource, Verdict::Fail) {
        let c = r.counterexample().unwrap();
        assert!(
            matches!(&c.principal, Some(Principal::Aws(arn)) if arn.starts_with("arn:aws:iam::")),
            "{}",
            c.to_json()
        );
        assert_eq!(c.context.single("aws:PrincipalOrgID"), Some("o-a1b2c3d4e5"));
    }
}
