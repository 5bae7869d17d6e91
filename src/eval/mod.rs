//! The concrete evaluator: one request against one policy.
//!
//! This is the oracle: every counterexample the solver produces is replayed here
//! before it is printed. It implements DESIGN.md §2 directly, without shortcuts.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use thiserror::Error;

use crate::pattern::{self, arn_account};
use crate::policy::condition::{parse_date, parse_ip_net, parse_number};
use crate::policy::{
    BaseOp, Cmp, CondValue, Condition, Effect, Policy, PrincipalKind, PrincipalPattern,
    SetQualifier, Statement, is_account_id,
};

/// The caller of a request.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Principal {
    /// An unauthenticated caller.
    Anonymous,
    /// An IAM principal by its `aws:PrincipalArn` (for a role session: the role's ARN).
    Aws(String),
    Service(String),
    Federated(String),
    CanonicalUser(String),
}

impl Principal {
    pub fn kind(&self) -> Option<PrincipalKind> {
        match self {
            Principal::Anonymous => None,
            Principal::Aws(_) => Some(PrincipalKind::Aws),
            Principal::Service(_) => Some(PrincipalKind::Service),
            Principal::Federated(_) => Some(PrincipalKind::Federated),
            Principal::CanonicalUser(_) => Some(PrincipalKind::CanonicalUser),
        }
    }

    pub fn value(&self) -> Option<&str> {
        match self {
            Principal::Anonymous => None,
            Principal::Aws(v)
            | Principal::Service(v)
            | Principal::Federated(v)
            | Principal::CanonicalUser(v) => Some(v),
        }
    }

    /// An IAM caller's `aws:PrincipalArn`: for a role session
    /// (`arn:aws:sts::A:assumed-role/R/S`) the role's ARN (`arn:aws:iam::A:role/R`), as
    /// the IAM User Guide says; for any other caller its own ARN.
    pub fn principal_arn(&self) -> Option<String> {
        match self {
            Principal::Aws(arn) => {
                Some(role_session(arn).map_or_else(|| arn.clone(), |(role, _)| role))
            }
            _ => None,
        }
    }

    /// The account of an IAM principal.
    pub fn account(&self) -> Option<&str> {
        match self {
            Principal::Aws(arn) => arn_account(arn),
            _ => None,
        }
    }
}

impl FromStr for Principal {
    type Err = RequestError;

    /// `anonymous`, `AWS:<arn or account>`, `Service:<name>`, `Federated:<name>`,
    /// `CanonicalUser:<id>`, or a bare ARN / 12-digit account id (an AWS principal).
    fn from_str(s: &str) -> Result<Self, RequestError> {
        if s.eq_ignore_ascii_case("anonymous") {
            return Ok(Principal::Anonymous);
        }
        let (kind, value) = match s.split_once(':') {
            Some((k, v)) if PrincipalKind::from_name(k).is_some() => {
                (PrincipalKind::from_name(k), v)
            }
            _ => (None, s),
        };
        if value.is_empty() {
            return Err(RequestError::BadPrincipal(s.to_string()));
        }
        let aws = |v: &str| -> Result<Principal, RequestError> {
            if is_account_id(v) {
                Ok(Principal::Aws(format!("arn:aws:iam::{v}:root")))
            } else if arn_account(v).is_some() {
                Ok(Principal::Aws(v.to_string()))
            } else {
                Err(RequestError::BadPrincipal(s.to_string()))
            }
        };
        match kind {
            Some(PrincipalKind::Aws) => aws(value),
            Some(PrincipalKind::Service) => Ok(Principal::Service(value.to_string())),
            Some(PrincipalKind::Federated) => Ok(Principal::Federated(value.to_string())),
            Some(PrincipalKind::CanonicalUser) => Ok(Principal::CanonicalUser(value.to_string())),
            // The bare forms policies write: web identity providers and IAM identity
            // provider ARNs are federated, `NAME.amazonaws.com` is a service.
            None if is_federated_name(value) => Ok(Principal::Federated(value.to_string())),
            None if is_service_name(value) => Ok(Principal::Service(value.to_string())),
            None => aws(value),
        }
    }
}

/// A role session's role ARN and session name: `arn:P:sts::A:assumed-role/R/S` gives
/// (`arn:P:iam::A:role/R`, `S`). The session ARN does not carry the role's path, so a
/// role with a path is named without it.
pub fn role_session(arn: &str) -> Option<(String, &str)> {
    let f: Vec<&str> = arn.splitn(6, ':').collect();
    let [_, partition, "sts", "", account, resource] = f.as_slice() else {
        return None;
    };
    let (role, session) = resource.strip_prefix("assumed-role/")?.split_once('/')?;
    if role.is_empty() || session.is_empty() {
        return None;
    }
    Some((
        format!("arn:{partition}:iam::{account}:role/{role}"),
        session,
    ))
}

/// The web identity providers a `Federated` principal names by host.
const WEB_IDENTITY_PROVIDERS: &[&str] = &[
    "cognito-identity.amazonaws.com",
    "accounts.google.com",
    "graph.facebook.com",
    "www.amazon.com",
];

/// A web identity provider or an IAM OIDC / SAML provider ARN.
fn is_federated_name(v: &str) -> bool {
    WEB_IDENTITY_PROVIDERS.contains(&v)
        || (v.starts_with("arn:")
            && (v.contains(":oidc-provider/") || v.contains(":saml-provider/")))
}

/// A service principal: `NAME.amazonaws.com` (and the China partition's
/// `NAME.amazonaws.com.cn`), no ARN.
fn is_service_name(v: &str) -> bool {
    !v.starts_with("arn:")
        && !v.contains(':')
        && (v.ends_with(".amazonaws.com") || v.ends_with(".amazonaws.com.cn"))
}

impl fmt::Display for Principal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.kind(), self.value()) {
            (Some(k), Some(v)) => write!(f, "{}:{v}", k.name()),
            _ => f.write_str("anonymous"),
        }
    }
}

/// Request-context keys and their values. Keys are case-insensitive; a key given with
/// no values is treated exactly like an absent key.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Context {
    entries: BTreeMap<String, (String, Vec<String>)>,
}

impl Context {
    /// Adds values to a key (repeating a key makes it multi-valued).
    pub fn add(&mut self, key: &str, values: impl IntoIterator<Item = String>) {
        let entry = self
            .entries
            .entry(pattern::fold(key))
            .or_insert_with(|| (key.to_string(), Vec::new()));
        entry.1.extend(values);
    }

    /// Removes a key and its values.
    pub fn remove(&mut self, key: &str) {
        self.entries.remove(&pattern::fold(key));
    }

    /// The values of a key; `None` when it is absent or has no values.
    pub fn get(&self, key: &str) -> Option<&[String]> {
        self.entries
            .get(&pattern::fold(key))
            .map(|(_, v)| v.as_slice())
            .filter(|v| !v.is_empty())
    }

    /// The value of a single-valued key (what a policy variable substitutes).
    pub fn single(&self, key: &str) -> Option<&str> {
        match self.get(key) {
            Some([v]) => Some(v),
            _ => None,
        }
    }

    /// (key as given, values) in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &[String])> {
        self.entries
            .values()
            .map(|(k, v)| (k.as_str(), v.as_slice()))
    }

    pub fn is_empty(&self) -> bool {
        self.entries.values().all(|(_, v)| v.is_empty())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RequestError {
    #[error(
        "principal `{0}` is not understood; write an ARN, a 12-digit account id, `Service:NAME`, `Federated:NAME`, `CanonicalUser:ID` or `anonymous`"
    )]
    BadPrincipal(String),
    #[error(
        "context key `{key}` is `{given}` but the principal implies `{implied}`; drop the key or change the principal"
    )]
    Conflict {
        key: String,
        given: String,
        implied: String,
    },
    /// A value no request carries for a key of a documented type (src/keys).
    #[error("{0}")]
    Mistyped(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// Required for resource policies; ignored by identity policies.
    pub principal: Option<Principal>,
    pub action: String,
    pub resource: String,
    pub context: Context,
}

impl Request {
    /// Rejects a context value that AWS never sends for its key: a key whose type AWS
    /// documents (Bool, Numeric, Date, IPAddress, ARN) takes only values of that type.
    pub fn check_types(&self) -> Result<(), RequestError> {
        for (key, values) in self.context.iter() {
            for v in values {
                crate::keys::check_value(key, v).map_err(RequestError::Mistyped)?;
            }
        }
        Ok(())
    }

    /// Fills `aws:PrincipalArn` and `aws:PrincipalAccount` from an IAM principal (the
    /// Principal element and these keys describe the same caller), rejecting given
    /// values that contradict it.
    pub fn link_principal_keys(&mut self) -> Result<(), RequestError> {
        let Some(Principal::Aws(arn)) = &self.principal else {
            return Ok(());
        };
        let principal_arn = role_session(arn).map_or_else(|| arn.clone(), |(role, _)| role);
        let mut implied = vec![("aws:PrincipalArn", principal_arn)];
        if let Some(account) = arn_account(arn) {
            implied.push(("aws:PrincipalAccount", account.to_string()));
        }
        for (key, value) in implied {
            match self.context.get(key) {
                None => self.context.add(key, [value]),
                Some([given]) if *given == value => {}
                // A session of a role with a path: the session ARN does not show it.
                Some([given]) if key == "aws:PrincipalArn" && is_session_role(arn, given) => {}
                Some(given) => {
                    return Err(RequestError::Conflict {
                        key: key.to_string(),
                        given: given.join(","),
                        implied: value,
                    });
                }
            }
        }
        Ok(())
    }
}

impl Request {
    /// The caller's `aws:PrincipalArn`: the context's value (a role with a path, for a
    /// session of one, is given there: `link_principal_keys`), else the one the
    /// principal implies.
    pub fn principal_arn(&self) -> Option<String> {
        let implied = self.principal.as_ref()?.principal_arn()?;
        match (&self.principal, self.context.single("aws:PrincipalArn")) {
            (Some(Principal::Aws(arn)), Some(given)) if is_session_role(arn, given) => {
                Some(given.to_string())
            }
            _ => Some(implied),
        }
    }
}

/// Whether `role` (`arn:P:iam::A:role/PATH/R`) is the role of the session `session`
/// (`arn:P:sts::A:assumed-role/R/S`) with a path: the session's ARN names the role
/// without its path (IAM User Guide, "IAM identifiers": role session ARNs).
pub fn is_session_role(session: &str, role: &str) -> bool {
    let Some((bare, _)) = role_session(session) else {
        return false;
    };
    let Some((base, name)) = bare.rsplit_once('/') else {
        return false;
    };
    // `arn:P:iam::A:role` + `/PATH/` + `R`, PATH one or more segments.
    role.strip_prefix(base)
        .and_then(|rest| rest.strip_suffix(name))
        .is_some_and(|path| {
            path.len() > 2
                && path.starts_with('/')
                && path.ends_with('/')
                && !path[1..path.len() - 1].split('/').any(str::is_empty)
        })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allowed,
    ExplicitDeny,
    ImplicitDeny,
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Decision::Allowed => "ALLOWED",
            Decision::ExplicitDeny => "EXPLICIT_DENY",
            Decision::ImplicitDeny => "IMPLICIT_DENY",
        })
    }
}

/// Why a statement does or does not apply to a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Applies,
    PrincipalDiffers,
    ActionDiffers,
    ResourceDiffers,
    /// The condition at this index of `Statement::conditions` is false.
    ConditionFalse(usize),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evaluation {
    pub decision: Decision,
    /// Indices of the Allow statements that apply.
    pub allowing: Vec<usize>,
    /// Indices of the Deny statements that apply.
    pub denying: Vec<usize>,
    /// One outcome per statement, in order.
    pub outcomes: Vec<Outcome>,
}

/// Evaluates a request against a policy: explicit Deny beats Allow; otherwise an
/// applicable Allow allows; otherwise the request is implicitly denied.
pub fn evaluate(policy: &Policy, request: &Request) -> Evaluation {
    let outcomes: Vec<Outcome> = policy
        .statements
        .iter()
        .map(|s| statement_outcome(s, request))
        .collect();
    let applying = |effect: Effect| -> Vec<usize> {
        policy
            .statements
            .iter()
            .zip(&outcomes)
            .filter(|(s, o)| s.effect == effect && **o == Outcome::Applies)
            .map(|(s, _)| s.index)
            .collect()
    };
    let allowing = applying(Effect::Allow);
    let denying = applying(Effect::Deny);
    let decision = if !denying.is_empty() {
        Decision::ExplicitDeny
    } else if !allowing.is_empty() {
        Decision::Allowed
    } else {
        Decision::ImplicitDeny
    };
    Evaluation {
        decision,
        allowing,
        denying,
        outcomes,
    }
}

impl Request {
    /// The request as JSON: principal (when set), action, resource and the context
    /// keys (single values as strings, multi-valued keys as arrays); the shape
    /// `--request` reads and every counterexample is printed in.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::{Value, json};
        let mut out = serde_json::Map::new();
        if let Some(p) = &self.principal {
            out.insert("principal".into(), json!(p.to_string()));
        }
        out.insert("action".into(), json!(self.action));
        out.insert("resource".into(), json!(self.resource));
        let mut ctx = serde_json::Map::new();
        for (k, v) in self.context.iter() {
            match v {
                [single] => ctx.insert(k.to_string(), json!(single)),
                many => ctx.insert(k.to_string(), json!(many)),
            };
        }
        if !ctx.is_empty() {
            out.insert("context".into(), Value::Object(ctx));
        }
        Value::Object(out)
    }
}

pub fn allows(policy: &Policy, request: &Request) -> bool {
    evaluate(policy, request).decision == Decision::Allowed
}

/// Whether a policy allows a request within its limits (a permissions boundary, each
/// SCP or RCP level, the session policies): it allows, and so does every limit. The one
/// statement of this rule: authorization contexts and the checks' replays use it.
pub fn allows_within<'a>(
    policy: &Policy,
    limits: impl IntoIterator<Item = &'a Policy>,
    request: &Request,
) -> bool {
    allows(policy, request) && limits.into_iter().all(|l| allows(l, request))
}

/// Whether, and if not why not, one statement applies to a request.
pub fn statement_outcome(s: &Statement, r: &Request) -> Outcome {
    // A statement with a Principal element: a resource policy's, also where a context
    // merges one beside identity policies (src/context).
    if let Some(principals) = &s.principals {
        // A request that names no caller (library use; the CLI requires one) is an
        // unknown caller: only `*` names it.
        let hit = match &r.principal {
            Some(p) => {
                let arn = r.principal_arn();
                principals
                    .items
                    .iter()
                    .any(|pp| principal_matches(pp, p, arn.as_deref()))
            }
            None => principals.items.contains(&PrincipalPattern::Everyone),
        };
        if hit == principals.negated {
            return Outcome::PrincipalDiffers;
        }
    }
    let action = pattern::fold(&r.action);
    // Keys first: a 20,000-action statement is then scanned without reading its tokens.
    let key = pattern::ActionKey::of_text(&action);
    let hit = s
        .actions
        .items
        .iter()
        .any(|a| a.key.may_match(&key) && a.glob.matches(&action));
    if hit == s.actions.negated {
        return Outcome::ActionDiffers;
    }
    if let Some(resources) = &s.resources {
        let lookup = |k: &str| r.context.single(k);
        let hit = resources.items.iter().any(|p| {
            p.template
                .resolve(lookup)
                .is_some_and(|g| g.matches(&r.resource))
        });
        if hit == resources.negated {
            return Outcome::ResourceDiffers;
        }
    }
    for (i, c) in s.conditions.iter().enumerate() {
        if !condition_holds(c, &r.context) {
            return Outcome::ConditionFalse(i);
        }
    }
    Outcome::Applies
}

/// Whether a policy principal names the request's caller, whose `aws:PrincipalArn` is
/// `principal_arn` (`Request::principal_arn`).
pub fn principal_matches(
    p: &PrincipalPattern,
    caller: &Principal,
    principal_arn: Option<&str>,
) -> bool {
    match p {
        PrincipalPattern::Everyone => true,
        PrincipalPattern::AnyOfKind(k) => caller.kind() == Some(*k),
        PrincipalPattern::Account(a) => caller.account() == Some(a.as_str()),
        // A role's ARN names each of its sessions; a session ARN names that session.
        PrincipalPattern::Exact(PrincipalKind::Aws, v) => {
            caller.kind() == Some(PrincipalKind::Aws)
                && (caller.value() == Some(v) || principal_arn == Some(v))
        }
        PrincipalPattern::Exact(k, v) => caller.kind() == Some(*k) && caller.value() == Some(v),
    }
}

/// Evaluates one condition (one operator, one key) against the request context.
pub fn condition_holds(c: &Condition, ctx: &Context) -> bool {
    let op = &c.operator;
    let values = ctx.get(&c.key);
    if op.base == BaseOp::Null {
        let present = values.is_some();
        return c
            .values
            .iter()
            .any(|v| matches!(v, CondValue::Null(absent) if *absent != present));
    }
    let Some(values) = values else {
        return op.if_exists
            || match op.qualifier {
                Some(SetQualifier::ForAllValues) => true,
                Some(SetQualifier::ForAnyValue) => false,
                None => op.base.is_negated(),
            };
    };
    let negated = op.base.is_negated();
    let positive = op.base.positive();
    let value_ok = |rv: &String| {
        let hit = c
            .values
            .iter()
            .any(|pv| value_matches(positive, pv, rv, ctx));
        hit != negated
    };
    match op.qualifier {
        Some(SetQualifier::ForAllValues) => values.iter().all(value_ok),
        Some(SetQualifier::ForAnyValue) => values.iter().any(value_ok),
        // Without a qualifier a positive operator needs some request value to match;
        // a negated operator needs every request value to match none.
        None if negated => values.iter().all(value_ok),
        None => values.iter().any(value_ok),
    }
}

/// The per-value test of a positive operator: does request value `rv` match `pv`?
/// A request value that cannot be read as the operator's type matches nothing.
pub fn value_matches(op: BaseOp, pv: &CondValue, rv: &str, ctx: &Context) -> bool {
    match pv {
        CondValue::Pattern(t) => {
            let Some(glob) = t.resolve(|k| ctx.single(k)) else {
                return false;
            };
            if t.folded {
                glob.matches(&pattern::fold(rv))
            } else {
                glob.matches(rv)
            }
        }
        CondValue::Number(n) => parse_number(rv).is_some_and(|x| compare(op, x.cmp(n))),
        CondValue::Date(d) => parse_date(rv).is_some_and(|x| compare(op, x.cmp(d))),
        CondValue::Binary(b) => rv == b,
        CondValue::Ip(net) => rv
            .trim()
            .parse::<std::net::IpAddr>()
            .ok()
            .or_else(|| {
                parse_ip_net(rv)
                    .filter(|n| n.prefix_len() == n.max_prefix_len())
                    .map(|n| n.addr())
            })
            .is_some_and(|addr| net.contains(&addr)),
        CondValue::Null(_) => false,
    }
}

fn compare(op: BaseOp, ord: std::cmp::Ordering) -> bool {
    use std::cmp::Ordering::*;
    let cmp = match op {
        BaseOp::Numeric(c) | BaseOp::Date(c) => c,
        _ => return false,
    };
    match cmp {
        Cmp::Eq => ord == Equal,
        Cmp::Lt => ord == Less,
        Cmp::Le => ord != Greater,
        Cmp::Gt => ord == Greater,
        Cmp::Ge => ord != Less,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn principal_parsing() {
        assert_eq!(
            "111122223333".parse::<Principal>().unwrap(),
            Principal::Aws("arn:aws:iam::111122223333:root".into())
        );
        assert_eq!(
            "Service:s3.amazonaws.com".parse::<Principal>().unwrap(),
            Principal::Service("s3.amazonaws.com".into())
        );
        assert_eq!(
            "AWS:arn:aws:iam::1:role/r".parse::<Principal>().unwrap(),
            Principal::Aws("arn:aws:iam::1:role/r".into())
        );
        assert_eq!(
            "anonymous".parse::<Principal>().unwrap(),
            Principal::Anonymous
        );
        assert!("s3 bucket owner".parse::<Principal>().is_err());
        assert_eq!(
            "s3.amazonaws.com".parse::<Principal>().unwrap(),
            Principal::Service("s3.amazonaws.com".into())
        );
        assert!("Service:".parse::<Principal>().is_err());
    }

    #[test]
    fn context_keys_are_case_insensitive_and_empty_means_absent() {
        let mut c = Context::default();
        c.add("aws:TagKeys", ["a".to_string()]);
        c.add("AWS:tagkeys", ["b".to_string()]);
        assert_eq!(c.get("aws:tagkeys").unwrap().len(), 2);
        assert_eq!(c.single("aws:tagkeys"), None);
        c.add("aws:Empty", []);
        assert_eq!(c.get("aws:empty"), None);
    }

    #[test]
    fn an_unnamed_caller_matches_only_principal_star() {
        // Found by the differential fuzz target: the encoder and the evaluator disagreed.
        let parse = |p: &str| crate::policy::parse(p, crate::policy::PolicyType::Resource).unwrap();
        let request = Request {
            principal: None,
            action: "s3:GetObject".into(),
            resource: "arn:aws:s3:::b/k".into(),
            context: Context::default(),
        };
        let star = parse(
            r#"{"Statement":{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}}"#,
        );
        assert!(allows(&star, &request));
        let account = parse(
            r#"{"Statement":{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"s3:*","Resource":"*"}}"#,
        );
        assert!(!allows(&account, &request));
        let not_account = parse(
            r#"{"Statement":{"Effect":"Allow","NotPrincipal":{"AWS":"111122223333"},"Action":"s3:*","Resource":"*"}}"#,
        );
        assert!(allows(&not_account, &request));
    }

    #[test]
    fn linking_principal_keys() {
        let mut r = Request {
            principal: Some("arn:aws:iam::111122223333:role/r".parse().unwrap()),
            action: "s3:GetObject".into(),
            resource: "*".into(),
            context: Context::default(),
        };
        r.link_principal_keys().unwrap();
        assert_eq!(
            r.context.single("aws:principalaccount"),
            Some("111122223333")
        );
        assert_eq!(
            r.context.single("aws:PrincipalArn"),
            Some("arn:aws:iam::111122223333:role/r")
        );
        let mut bad = r.clone();
        bad.context = Context::default();
        bad.context
            .add("aws:PrincipalAccount", ["999999999999".to_string()]);
        assert!(matches!(
            bad.link_principal_keys(),
            Err(RequestError::Conflict { .. })
        ));
    }
}
