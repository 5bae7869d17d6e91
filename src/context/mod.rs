//! A principal's authorization context (DESIGN.md §7): the policies AWS decides one
//! principal's requests with, and their combination (IAM User Guide, "Policy evaluation
//! logic"): a request is allowed when some identity policy allows it, the permissions
//! boundary (when set) allows it, every SCP level in force (when given) allows it, the
//! session policies (when given) allow it, and no policy of the context denies it.
//! A boundary, an SCP or a session policy limits and never grants.
//!
//! The identity policies combine into one policy, their statements side by side: some
//! identity policy allows and none denies exactly when that policy allows. Each limit
//! is one more policy that must allow; the statements of one SCP level combine the same
//! way (some SCP at the level allows, none denies). So the checks and the evaluator
//! read a context as (one policy, the limits), both through [`PolicySet::combined`].

mod org;

use thiserror::Error;

use crate::eval::{self, Request};
use crate::policy::{self, Policy, PolicyError, PolicyType};

/// A policy of a context with the name it is reported by.
#[derive(Debug, Clone)]
pub struct NamedPolicy {
    /// `AdministratorAccess`, `identityPolicies[1]`, a file name, ...
    pub name: String,
    pub policy: Policy,
}

/// One principal's policies.
#[derive(Debug, Clone, Default)]
pub struct PolicySet {
    /// Inline, attached managed and group policies: their union grants.
    pub identity: Vec<NamedPolicy>,
    pub boundary: Option<NamedPolicy>,
    /// Service control policies by organization level (root, each OU, the account):
    /// at every level some SCP must allow.
    pub scps: Vec<Vec<NamedPolicy>>,
    /// Session policies passed when the session was created: they must allow too.
    pub session: Vec<NamedPolicy>,
    /// Resource control policies in force where the resources live, and the limit they
    /// make together (`rcp::limit`): RCPFullAWSAccess beside their Denies as they apply.
    pub rcps: Vec<NamedPolicy>,
    pub rcp_limit: Option<Policy>,
    /// The principal the set is of (an IAM role or user ARN), and the policy that holds
    /// requests to it and to the account relation (`principal_pin`).
    pub principal: Option<(String, Policy)>,
    /// The policy of the resource requested, and whether it is in the principal's
    /// account.
    pub resource: Option<(NamedPolicy, AccountRelation)>,
}

/// Where the requested resource is, seen from the principal (IAM User Guide, "Cross-account
/// policy evaluation logic").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountRelation {
    /// In the principal's account: an Allow in the identity policies or in the resource
    /// policy suffices.
    Same,
    /// In another account: both the identity policies and the resource policy must allow.
    Cross,
}

/// Where a statement of the combined identity policy comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// The identity policy's name.
    pub policy: String,
    pub index: usize,
    pub sid: Option<String>,
}

/// A context as the checks read it: one policy that grants, and the policies that must
/// allow as well.
#[derive(Debug, Clone)]
pub struct Combined {
    pub policy: Policy,
    /// Statement `i` of `policy` is `origins[i]` of the identity policies.
    pub origins: Vec<Origin>,
    /// (what it is, e.g. `permissions boundary AppBoundary`, the policy).
    pub limits: Vec<(String, Policy)>,
}

impl Combined {
    /// Whether the context allows a request: the evaluator's reading.
    pub fn allows(&self, r: &Request) -> bool {
        eval::allows(&self.policy, r) && self.limits.iter().all(|(_, l)| eval::allows(l, r))
    }

    /// How AWS would name statement `i` of the combined policy in a reason.
    pub fn label(&self, i: usize) -> Option<String> {
        let o = self.origins.get(i)?;
        let own = match &o.sid {
            Some(sid) => format!("sid: {sid}"),
            None => format!("index: {}", o.index),
        };
        Some(format!("{own} of `{}`", o.policy))
    }
}

/// Statements of several policies as one policy, numbered anew (Sids dropped, so a
/// reason names the position; [`Combined::label`] names the origin).
fn merge(policies: &[&NamedPolicy]) -> (Policy, Vec<Origin>) {
    let mut statements = Vec::new();
    let mut origins = Vec::new();
    for p in policies {
        for s in &p.policy.statements {
            origins.push(Origin {
                policy: p.name.clone(),
                index: s.index,
                sid: s.sid.clone(),
            });
            let mut s = s.clone();
            s.index = statements.len();
            s.sid = None;
            s.pointer = format!("{} {}", p.name, s.pointer);
            statements.push(s);
        }
    }
    let policy = Policy {
        version: Some("2012-10-17".into()),
        id: None,
        policy_type: PolicyType::Identity,
        variables: true,
        statements,
    };
    (policy, origins)
}

impl PolicySet {
    /// A context of one identity policy and nothing else.
    pub fn single(name: &str, policy: Policy) -> PolicySet {
        PolicySet {
            identity: vec![NamedPolicy {
                name: name.to_string(),
                policy,
            }],
            ..PolicySet::default()
        }
    }

    /// Whether anything beyond identity policies takes part.
    pub fn has_limits(&self) -> bool {
        self.boundary.is_some()
            || !self.scps.is_empty()
            || !self.session.is_empty()
            || self.rcp_limit.is_some()
            || self.principal.is_some()
            || self.resource.is_some()
    }

    /// The context as one granting policy and its limits.
    pub fn combined(&self) -> Combined {
        let mut granting: Vec<&NamedPolicy> = self.identity.iter().collect();
        if let Some((r, AccountRelation::Same)) = &self.resource {
            // Within one account either side's Allow grants, and a Deny anywhere wins:
            // exactly one policy of both sides' statements (its statements keep their
            // Principal element, so they grant only to the callers they name).
            granting.push(r);
        }
        let (policy, origins) = merge(&granting);
        let mut limits = Vec::new();
        if let Some(b) = &self.boundary {
            limits.push((format!("permissions boundary `{}`", b.name), merge(&[b]).0));
        }
        // SCPs and RCPs do not affect service-linked roles (AWS Organizations user guide).
        let organization = !self
            .principal
            .as_ref()
            .is_some_and(|(arn, _)| org::service_linked(arn));
        for (level, scps) in self.scps.iter().enumerate().filter(|_| organization) {
            let names: Vec<&str> = scps.iter().map(|p| p.name.as_str()).collect();
            let refs: Vec<&NamedPolicy> = scps.iter().collect();
            limits.push((
                format!("SCP level {level} ({})", names.join(", ")),
                merge(&refs).0,
            ));
        }
        if !self.session.is_empty() {
            let refs: Vec<&NamedPolicy> = self.session.iter().collect();
            let names: Vec<&str> = refs.iter().map(|p| p.name.as_str()).collect();
            limits.push((
                format!("session policies ({})", names.join(", ")),
                merge(&refs).0,
            ));
        }
        if let Some(l) = self.rcp_limit.as_ref().filter(|_| organization) {
            let names: Vec<&str> = self.rcps.iter().map(|p| p.name.as_str()).collect();
            limits.push((format!("RCPs ({})", names.join(", ")), l.clone()));
        }
        if let Some((r, AccountRelation::Cross)) = &self.resource {
            limits.push((format!("resource policy `{}`", r.name), r.policy.clone()));
        }
        if let Some((arn, pin)) = &self.principal {
            limits.push((format!("principal `{arn}`"), pin.clone()));
        }
        Combined {
            policy,
            origins,
            limits,
        }
    }
}

/// Why a policy-set document cannot be read.
#[derive(Debug, Error)]
pub enum SetError {
    #[error("{pointer}: {message}")]
    Shape { pointer: String, message: String },
    #[error("{pointer}: {source}")]
    Policy {
        pointer: String,
        #[source]
        source: PolicyError,
    },
}

/// The fields of a policy-set document.
const FIELDS: &[&str] = &[
    "principal",
    "identityPolicies",
    "permissionsBoundary",
    "serviceControlPolicies",
    "resourceControlPolicies",
    "sessionPolicies",
    "resourcePolicy",
    "resourceAccount",
];

/// The account of an IAM role or user ARN, `None` for anything else.
fn principal_account(arn: &str) -> Option<&str> {
    let f: Vec<&str> = arn.splitn(6, ':').collect();
    let ok = f.len() == 6
        && f[0] == "arn"
        && !f[1].is_empty()
        && f[2] == "iam"
        && f[3].is_empty()
        && f[4].len() == 12
        && f[4].bytes().all(|b| b.is_ascii_digit())
        && (f[5].starts_with("role/") || f[5].starts_with("user/"))
        && f[5].len() > 5
        && !arn.contains(['*', '?', '$']);
    ok.then_some(f[4])
}

/// The policy that holds a set's requests to its principal (a role's ARN also names
/// its sessions) and, with a resource policy, to the account relation:
/// `aws:ResourceAccount` is the principal's account, or another one.
fn principal_pin(
    arn: &str,
    account: &str,
    relation: Option<AccountRelation>,
) -> Result<Policy, PolicyError> {
    let mut statement = serde_json::json!({
        "Effect": "Allow",
        "Principal": {"AWS": arn},
        "Action": "*",
        "Resource": "*"
    });
    let op = match relation {
        Some(AccountRelation::Same) => Some("StringEquals"),
        Some(AccountRelation::Cross) => Some("StringNotEquals"),
        None => None,
    };
    if let Some(op) = op {
        statement["Condition"] = serde_json::json!({op: {"aws:ResourceAccount": account}});
    }
    let doc = serde_json::json!({"Version": "2012-10-17", "Statement": [statement]});
    policy::parse(&doc.to_string(), PolicyType::Resource)
}

/// Reads a policy-set document: `{"identityPolicies": [P, ...], "permissionsBoundary": P,
/// "serviceControlPolicies": [[P, ...], ...], "sessionPolicies": [P, ...]}`, each `P` a
/// policy document (an object) or a reference that `read` turns into document text
/// (`aws-managed:NAME`, an AWS managed policy ARN, `builtin:NAME`, `file://path`).
/// Errors name the place by JSON pointer.
pub fn parse_set(
    text: &str,
    read: &dyn Fn(&str, &str) -> Result<String, String>,
) -> Result<PolicySet, SetError> {
    let shape = |pointer: &str, message: String| SetError::Shape {
        pointer: if pointer.is_empty() {
            "/".into()
        } else {
            pointer.into()
        },
        message,
    };
    let v: serde_json::Value = serde_json::from_str(text).map_err(|e| {
        shape(
            "",
            format!(
                "not JSON (line {}, column {}): {e}; a policy set is an object with `identityPolicies`",
                e.line(),
                e.column()
            ),
        )
    })?;
    let Some(obj) = v.as_object() else {
        return Err(shape(
            "",
            "a policy set is a JSON object with `identityPolicies`".into(),
        ));
    };
    for k in obj.keys() {
        if !FIELDS.contains(&k.as_str()) {
            return Err(shape(
                &format!("/{k}"),
                format!(
                    "unknown field `{k}`; a policy set has {}",
                    FIELDS.join(", ")
                ),
            ));
        }
    }
    let one_of = |value: &serde_json::Value,
                  pointer: &str,
                  kind: Option<Kind>|
     -> Result<(NamedPolicy, String), SetError> {
        let (name, text) = match value {
            serde_json::Value::String(r) => {
                let text = read(r, pointer).map_err(|m| shape(pointer, m))?;
                let name = crate::managed::reference_name(r)
                    .or_else(|| r.strip_prefix("builtin:"))
                    .map(str::to_string)
                    .unwrap_or_else(|| r.trim_start_matches("file://").to_string());
                (name, text)
            }
            serde_json::Value::Object(_) => (
                pointer.trim_start_matches('/').to_string(),
                value.to_string(),
            ),
            other => {
                return Err(shape(
                    pointer,
                    format!(
                        "expected a policy document or a reference such as `aws-managed:NAME`, found {other}"
                    ),
                ));
            }
        };
        let parsed = match kind {
            Some(Kind::Control(k)) => policy::parse_control(&text, k),
            Some(Kind::Resource) => policy::parse(&text, PolicyType::Resource),
            None => policy::parse(&text, PolicyType::Identity),
        };
        let policy = parsed.map_err(|source| SetError::Policy {
            pointer: pointer.to_string(),
            source,
        })?;
        Ok((NamedPolicy { name, policy }, text))
    };
    let one = |value: &serde_json::Value, pointer: &str| Ok(one_of(value, pointer, None)?.0);
    let scp = |value: &serde_json::Value, pointer: &str| {
        Ok(one_of(
            value,
            pointer,
            Some(Kind::Control(policy::ControlKind::ServiceControl)),
        )?
        .0)
    };
    let list_of = |key: &str, kind: Option<Kind>| -> Result<Vec<(NamedPolicy, String)>, SetError> {
        match obj.get(key) {
            None => Ok(Vec::new()),
            Some(serde_json::Value::Array(items)) => items
                .iter()
                .enumerate()
                .map(|(i, p)| one_of(p, &format!("/{key}/{i}"), kind))
                .collect(),
            Some(_) => Err(shape(
                &format!("/{key}"),
                format!("`{key}` is a list of policies"),
            )),
        }
    };
    let list = |key: &str| -> Result<Vec<NamedPolicy>, SetError> {
        Ok(list_of(key, None)?.into_iter().map(|(p, _)| p).collect())
    };
    let identity = list("identityPolicies")?;
    if identity.is_empty() {
        return Err(shape(
            "/identityPolicies",
            "a policy set needs at least one identity policy (a principal without one is allowed nothing)".into(),
        ));
    }
    let boundary = obj
        .get("permissionsBoundary")
        .map(|b| one(b, "/permissionsBoundary"))
        .transpose()?;
    let mut scps = Vec::new();
    match obj.get("serviceControlPolicies") {
        None => {}
        Some(serde_json::Value::Array(levels)) => {
            for (l, level) in levels.iter().enumerate() {
                let serde_json::Value::Array(items) = level else {
                    return Err(shape(
                        &format!("/serviceControlPolicies/{l}"),
                        "each organization level is a list of the SCPs attached there, e.g. `[[\"aws-managed:...\"], [...]]`".into(),
                    ));
                };
                if items.is_empty() {
                    return Err(shape(
                        &format!("/serviceControlPolicies/{l}"),
                        "a level without SCPs allows nothing (AWS requires at least one); leave the level out or attach FullAWSAccess".into(),
                    ));
                }
                scps.push(
                    items
                        .iter()
                        .enumerate()
                        .map(|(i, p)| scp(p, &format!("/serviceControlPolicies/{l}/{i}")))
                        .collect::<Result<Vec<_>, _>>()?,
                );
            }
        }
        Some(_) => {
            return Err(shape(
                "/serviceControlPolicies",
                "`serviceControlPolicies` is a list of organization levels, each a list of SCPs"
                    .into(),
            ));
        }
    }
    let session = list("sessionPolicies")?;
    let rcp_list = list_of(
        "resourceControlPolicies",
        Some(Kind::Control(policy::ControlKind::ResourceControl)),
    )?;
    let rcp_limit = if rcp_list.is_empty() {
        None
    } else {
        let texts: Vec<&str> = rcp_list.iter().map(|(_, t)| t.as_str()).collect();
        Some(org::limit(&texts).map_err(|m| shape("/resourceControlPolicies", m))?)
    };
    let rcps = rcp_list.into_iter().map(|(p, _)| p).collect();
    let relation = match obj.get("resourceAccount") {
        None => None,
        Some(serde_json::Value::String(r)) if r == "same" => Some(AccountRelation::Same),
        Some(serde_json::Value::String(r)) if r == "cross" => Some(AccountRelation::Cross),
        Some(other) => {
            return Err(shape(
                "/resourceAccount",
                format!(
                    "`resourceAccount` is `\"same\"` or `\"cross\"` (the resource's account seen from the principal), found {other}"
                ),
            ));
        }
    };
    let resource = match (obj.get("resourcePolicy"), relation) {
        (None, None) => None,
        (None, Some(_)) => {
            return Err(shape(
                "/resourceAccount",
                "`resourceAccount` goes with a `resourcePolicy`; add the policy or drop the field"
                    .into(),
            ));
        }
        (Some(_), None) => {
            return Err(shape(
                "/resourcePolicy",
                "a resource policy needs `resourceAccount`: `\"same\"` when the resource is in the principal's account, `\"cross\"` otherwise".into(),
            ));
        }
        (Some(p), Some(r)) => Some((one_of(p, "/resourcePolicy", Some(Kind::Resource))?.0, r)),
    };
    let principal = match obj.get("principal") {
        None if resource.is_some() => {
            return Err(shape(
                "/principal",
                "a set with a `resourcePolicy` names its `principal` (a role or user ARN): the resource policy grants to callers by name".into(),
            ));
        }
        None => None,
        Some(serde_json::Value::String(arn)) => {
            let Some(account) = principal_account(arn) else {
                return Err(shape(
                    "/principal",
                    format!(
                        "`{arn}` is not an IAM role or user ARN; write e.g. `arn:aws:iam::111122223333:role/App`"
                    ),
                ));
            };
            let pin = principal_pin(arn, account, relation).map_err(|source| SetError::Policy {
                pointer: "/principal".into(),
                source,
            })?;
            Some((arn.clone(), pin))
        }
        Some(other) => {
            return Err(shape(
                "/principal",
                format!("`principal` is a role or user ARN, found {other}"),
            ));
        }
    };
    if relation == Some(AccountRelation::Same) && (boundary.is_some() || !session.is_empty()) {
        return Err(shape(
            "/resourceAccount",
            "within one account, whether a permissions boundary or session policy limits a resource policy's grant depends on the ARN the grant names (IAM User Guide, \"Policy evaluation logic\"), which hornbeam does not model; check the resource policy in a set without them".into(),
        ));
    }
    Ok(PolicySet {
        identity,
        boundary,
        scps,
        session,
        rcps,
        rcp_limit,
        principal,
        resource,
    })
}

/// How an entry of a set parses.
#[derive(Clone, Copy)]
enum Kind {
    Control(policy::ControlKind),
    Resource,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(r: &str, _: &str) -> Result<String, String> {
        match r {
            "file://allow-s3.json" => Ok(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#.into()),
            other => Err(format!("cannot read `{other}`")),
        }
    }

    #[test]
    fn a_set_reads_and_combines() {
        let set = parse_set(
            r#"{"identityPolicies": ["file://allow-s3.json",
                  {"Version":"2012-10-17","Statement":[{"Sid":"Ec2","Effect":"Allow","Action":"ec2:*","Resource":"*"}]}],
                "permissionsBoundary": {"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}}"#,
            &read,
        )
        .expect("a valid set");
        let c = set.combined();
        assert_eq!(c.policy.statements.len(), 2);
        assert_eq!(
            c.label(1).as_deref(),
            Some("sid: Ec2 of `identityPolicies/1`")
        );
        assert_eq!(c.limits.len(), 1);
        let r = |action: &str| Request {
            principal: None,
            action: action.into(),
            resource: "arn:aws:s3:::b/k".into(),
            context: eval::Context::default(),
        };
        assert!(c.allows(&r("s3:GetObject")));
        assert!(!c.allows(&r("s3:PutObject")), "the boundary limits");
        assert!(
            !c.allows(&r("ec2:RunInstances")),
            "the boundary never grants"
        );
    }

    #[test]
    fn bad_sets_name_the_place() {
        let e = |text: &str| parse_set(text, &read).unwrap_err().to_string();
        assert!(e("{}").starts_with("/identityPolicies:"), "{}", e("{}"));
        assert!(
            e(r#"{"identityPolicies": ["file://x"]}"#)
                .starts_with("/identityPolicies/0: cannot read")
        );
        assert!(
            e(r#"{"identityPolicies": ["file://allow-s3.json"], "scps": []}"#)
                .starts_with("/scps: unknown field")
        );
        assert!(
            e(r#"{"identityPolicies": ["file://allow-s3.json"], "serviceControlPolicies": [[]]}"#)
                .starts_with("/serviceControlPolicies/0:")
        );
        assert!(
            e(r#"{"identityPolicies": [{"Statement": [{"Effect": "Maybe"}]}]}"#)
                .starts_with("/identityPolicies/0:")
        );
    }
}
