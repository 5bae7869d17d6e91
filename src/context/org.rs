//! Organization policies in a context (encodings/context.md): what SCPs and RCPs take
//! away, where they apply.
//!
//! AWS attaches RCPFullAWSAccess (`Allow *` on `*`) at every level and it cannot be
//! detached, and an RCP's own statements are all `Deny` (policy::parse_control), so the
//! RCPs in force allow a request unless one of their Deny statements applies. A Deny
//! applies only where RCPs do (AWS Organizations user guide, "Resource control
//! policies"): to actions of the services that support RCPs. The limit is therefore
//! `Allow *` beside each Deny statement with its actions cut to those services. (Nor
//! do RCPs or SCPs affect service-linked roles: a set of one leaves both out, in
//! `PolicySet::combined`.)

use serde_json::{Map, Value, json};

use crate::policy::{self, Policy, PolicyType};

/// The IAM service prefixes RCPs apply to (generated, see the file's header).
const SERVICES: &str = include_str!("rcp_services.txt");

fn services() -> impl Iterator<Item = &'static str> {
    SERVICES
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
}

/// Whether an IAM role ARN is a service-linked role's: its path is `/aws-service-role/`
/// (IAM User Guide, "Using service-linked roles").
pub fn service_linked(arn: &str) -> bool {
    arn.splitn(6, ':')
        .nth(5)
        .is_some_and(|r| r.starts_with("role/aws-service-role/"))
}

/// The patterns that match exactly the strings `pattern` matches that begin with
/// `prefix` (an IAM wildcard pattern: `*` any run, `?` one character; case-insensitive).
fn restrict(pattern: &str, prefix: &str) -> Vec<String> {
    fn go(p: &[char], pre: &[char], out: &mut Vec<String>) {
        let Some(&c) = pre.first() else {
            let rest: String = p.iter().collect();
            if !out.contains(&rest) {
                out.push(rest);
            }
            return;
        };
        match p.first() {
            None => {}
            Some('*') => {
                go(&p[1..], pre, out);
                go(p, &pre[1..], out);
            }
            Some('?') => go(&p[1..], &pre[1..], out),
            Some(&q) if q.eq_ignore_ascii_case(&c) => go(&p[1..], &pre[1..], out),
            Some(_) => {}
        }
    }
    let p: Vec<char> = pattern.chars().collect();
    let pre: Vec<char> = prefix.chars().collect();
    let mut rests = Vec::new();
    go(&p, &pre, &mut rests);
    rests.into_iter().map(|r| format!("{prefix}{r}")).collect()
}

/// `actions` (an `Action` element's patterns) cut to the services RCPs apply to. An
/// action name has one colon, so a cut whose rest after `svc:` holds a literal `:`
/// (`*:Delete*` cut to `s3:` gives `s3:*:Delete*` besides `s3:Delete*`) matches no
/// action and is left out.
fn supported_actions(actions: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    for a in actions {
        for s in services() {
            let prefix = format!("{s}:");
            for r in restrict(a, &prefix) {
                if r[prefix.len()..].contains(':') {
                    continue;
                }
                if !out.contains(&r) {
                    out.push(r);
                }
            }
        }
    }
    out
}

fn strings(v: &Value) -> Vec<String> {
    match v {
        Value::String(s) => vec![s.clone()],
        Value::Array(items) => items
            .iter()
            .filter_map(|i| i.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    }
}

/// A Deny statement as it applies: actions of supported services only. `None` when it
/// applies to no supported action.
fn applied(statement: &Map<String, Value>) -> Option<Value> {
    let mut s = statement.clone();
    s.remove("Sid");
    let actions = supported_actions(&strings(s.get("Action")?));
    if actions.is_empty() {
        return None;
    }
    s.insert("Action".into(), json!(actions));
    Some(Value::Object(s))
}

/// The RCPs in force (statements already checked by `policy::parse_control`) as one
/// policy that allows exactly the requests none of their Denies takes away.
pub fn limit(texts: &[&str]) -> Result<Policy, String> {
    let mut statements = vec![json!({
        "Sid": "RCPFullAWSAccess",
        "Effect": "Allow",
        "Principal": "*",
        "Action": "*",
        "Resource": "*"
    })];
    for text in texts {
        let v: Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
        let list = match v.get("Statement") {
            Some(Value::Array(items)) => items.clone(),
            Some(one) => vec![one.clone()],
            None => Vec::new(),
        };
        for s in list {
            let Value::Object(s) = s else { continue };
            if s.get("Effect").and_then(Value::as_str) != Some("Deny") {
                continue;
            }
            statements.extend(applied(&s));
        }
    }
    let doc = json!({"Version": "2012-10-17", "Statement": statements});
    policy::parse(&doc.to_string(), PolicyType::Resource).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::{self, Request};

    #[test]
    fn restriction_keeps_exactly_the_prefixed_strings() {
        assert_eq!(restrict("*", "s3:"), vec!["s3:*"]);
        assert_eq!(restrict("s3:Get*", "s3:"), vec!["s3:Get*"]);
        assert!(restrict("ec2:*", "s3:").is_empty());
        // `*` may run past the prefix's colon too.
        assert_eq!(
            restrict("*:GetObject", "s3:"),
            vec!["s3:GetObject", "s3:*:GetObject"]
        );
        assert_eq!(restrict("S?:*", "s3:"), vec!["s3:*"]);
        // `s*` may end inside the prefix or run past it.
        let r = restrict("s*Get*", "s3:");
        assert!(r.contains(&"s3:*Get*".to_string()), "{r:?}");
    }

    const APP_ROLE: &str = "arn:aws:iam::111122223333:role/App";

    fn req(principal: &str, action: &str) -> Request {
        let mut r = Request {
            principal: Some(principal.parse().expect("a principal")),
            action: action.into(),
            resource: "*".into(),
            context: eval::Context::default(),
        };
        r.link_principal_keys().expect("consistent keys");
        r
    }

    #[test]
    fn a_deny_spares_other_services() {
        let rcp = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"*","Resource":"*",
            "Condition":{"ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/Admin"}}}]}"#;
        let l = limit(&[rcp]).expect("a limit");
        let app = APP_ROLE;
        assert!(!eval::allows(&l, &req(app, "s3:GetObject")));
        assert!(!eval::allows(&l, &req(app, "sts:AssumeRole")));
        assert!(
            eval::allows(&l, &req(app, "ec2:RunInstances")),
            "RCPs do not apply to EC2"
        );
        assert!(eval::allows(
            &l,
            &req("arn:aws:iam::111122223333:role/Admin", "s3:GetObject")
        ));
        // A wildcard service (issue 25): every cut is an action pattern the policy
        // parser reads, and the Deny still takes `s3:DeleteBucket`.
        let rcp = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"*:Delete*","Resource":"*"}]}"#;
        let l = limit(&[rcp]).expect("the cut of `*:Delete*` parses");
        assert!(!eval::allows(&l, &req(app, "s3:DeleteBucket")));
        assert!(eval::allows(&l, &req(app, "s3:GetObject")));
        assert!(eval::allows(&l, &req(app, "ec2:DeleteVolume")));
        assert_eq!(
            supported_actions(&["*:GetObject".into()])
                .iter()
                .filter(|a| a.starts_with("s3:"))
                .collect::<Vec<_>>(),
            vec!["s3:GetObject"]
        );
        assert!(service_linked(
            "arn:aws:iam::111122223333:role/aws-service-role/ops.amazonaws.com/R"
        ));
        assert!(!service_linked(APP_ROLE));
    }
}
