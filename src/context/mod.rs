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
        self.boundary.is_some() || !self.scps.is_empty() || !self.session.is_empty()
    }

    /// The context as one granting policy and its limits.
    pub fn combined(&self) -> Combined {
        let identity: Vec<&NamedPolicy> = self.identity.iter().collect();
        let (policy, origins) = merge(&identity);
        let mut limits = Vec::new();
        if let Some(b) = &self.boundary {
            limits.push((format!("permissions boundary `{}`", b.name), merge(&[b]).0));
        }
        for (level, scps) in self.scps.iter().enumerate() {
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
    "identityPolicies",
    "permissionsBoundary",
    "serviceControlPolicies",
    "sessionPolicies",
];

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
                  kind: Option<policy::ControlKind>|
     -> Result<NamedPolicy, SetError> {
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
            Some(k) => policy::parse_control(&text, k),
            None => policy::parse(&text, PolicyType::Identity),
        };
        let policy = parsed.map_err(|source| SetError::Policy {
            pointer: pointer.to_string(),
            source,
        })?;
        Ok(NamedPolicy { name, policy })
    };
    let one = |value: &serde_json::Value, pointer: &str| one_of(value, pointer, None);
    let scp = |value: &serde_json::Value, pointer: &str| {
        one_of(value, pointer, Some(policy::ControlKind::ServiceControl))
    };
    let list = |key: &str| -> Result<Vec<NamedPolicy>, SetError> {
        match obj.get(key) {
            None => Ok(Vec::new()),
            Some(serde_json::Value::Array(items)) => items
                .iter()
                .enumerate()
                .map(|(i, p)| one(p, &format!("/{key}/{i}")))
                .collect(),
            Some(_) => Err(shape(
                &format!("/{key}"),
                format!("`{key}` is a list of policies"),
            )),
        }
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
    Ok(PolicySet {
        identity,
        boundary,
        scps,
        session,
    })
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
