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

pub mod account;
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
        eval::allows_within(&self.policy, self.limits.iter().map(|(_, l)| l), r)
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

/// The evaluator's decision on a whole context, with each of its parts' own
/// evaluation: an explicit Deny in any part denies; otherwise the context allows when
/// [`Combined::allows`] does.
pub struct ContextEvaluation<'a> {
    pub decision: eval::Decision,
    /// (what it is, e.g. ``identity policy `App` ``, the policy, its evaluation).
    pub parts: Vec<(String, &'a Policy, eval::Evaluation)>,
}

impl PolicySet {
    /// Evaluates a request on the whole context (`combined` is [`PolicySet::combined`]).
    pub fn evaluate<'a>(
        &'a self,
        combined: &'a Combined,
        request: &Request,
    ) -> ContextEvaluation<'a> {
        let mut parts: Vec<(String, &Policy)> = self
            .identity
            .iter()
            .map(|p| (format!("identity policy `{}`", p.name), &p.policy))
            .collect();
        // A same-account resource policy grants beside the identity policies (a Deny in
        // it denies): it is a part of its own, whole.
        if let Some((r, AccountRelation::Same)) = &self.resource {
            parts.push((
                format!("resource policy `{}` (same account)", r.name),
                &r.policy,
            ));
        }
        parts.extend(combined.limits.iter().map(|(what, p)| (what.clone(), p)));
        let parts: Vec<(String, &Policy, eval::Evaluation)> = parts
            .into_iter()
            .map(|(what, p)| {
                let e = eval::evaluate(p, request);
                (what, p, e)
            })
            .collect();
        let decision = if parts
            .iter()
            .any(|(_, _, e)| e.decision == eval::Decision::ExplicitDeny)
        {
            eval::Decision::ExplicitDeny
        } else if combined.allows(request) {
            eval::Decision::Allowed
        } else {
            eval::Decision::ImplicitDeny
        };
        ContextEvaluation { decision, parts }
    }

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

    /// The context values a request of this set carries that a caller given alone does
    /// not show: for a session of the set's role with a path (`assumed-role/R/S` of
    /// `role/PATH/R`), `aws:PrincipalArn` with the path; for the set's user, its
    /// `aws:username`; and `aws:ResourceAccount`, the
    /// principal's account when the resource is in it (the relation `Same`, or no
    /// resource policy). A cross-account set leaves the resource's account to the
    /// request.
    pub fn implied_context(&self, caller: Option<&eval::Principal>) -> Vec<(&'static str, String)> {
        let Some((arn, _)) = &self.principal else {
            return Vec::new();
        };
        let mut out = Vec::new();
        if let Some(eval::Principal::Aws(caller)) = caller
            && eval::is_session_role(caller, arn)
        {
            out.push(("aws:PrincipalArn", arn.clone()));
        }
        if let Some(name) = user_name(arn)
            && caller.and_then(eval::Principal::principal_arn).as_deref() == Some(arn.as_str())
        {
            out.push(("aws:username", name.to_string()));
        }
        let cross = matches!(self.resource, Some((_, AccountRelation::Cross)));
        if let Some(account) = principal_account(arn).filter(|_| !cross) {
            out.push(("aws:ResourceAccount", account.to_string()));
        }
        out
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
    ///
    /// Within one account (encodings/context.md), the resource policy's Allow
    /// statements grant by the ARN they name: the caller's own user or session ARN
    /// grants past the identity policies, the boundary and the session policies; the
    /// role's ARN grants past the identity policies only; the account delegates to the
    /// identity policies. As formulas, with `Qd`, `Qr` the direct and role grants:
    /// `¬deny ∧ (Qd ∨ ((I ∨ Qr) ∧ B ∧ S))`, which is `(I ∪ Q') ∧ (B ∪ Qd) ∧ (S ∪ Qd)`
    /// for `Q'` the resource policy without its account entries: one granting policy
    /// and limits, as everywhere else.
    pub fn combined(&self) -> Combined {
        let same = match &self.resource {
            Some((r, AccountRelation::Same)) => Some((r, SameAccount::of(&r.policy))),
            _ => None,
        };
        let same_granting = same.as_ref().map(|(r, s)| NamedPolicy {
            name: r.name.clone(),
            policy: s.granting.clone(),
        });
        let direct = same.as_ref().map(|(r, s)| NamedPolicy {
            name: format!("{} (grants to the caller's own ARN)", r.name),
            policy: s.direct.clone(),
        });
        let mut granting: Vec<&NamedPolicy> = self.identity.iter().collect();
        granting.extend(same_granting.as_ref());
        let (policy, origins) = merge(&granting);
        // A limit that the resource policy's direct grants pass.
        let passed_by_direct = |own: Vec<&NamedPolicy>| -> Policy {
            let mut all = own;
            all.extend(direct.as_ref());
            merge(&all).0
        };
        let mut limits = Vec::new();
        if let Some(b) = &self.boundary {
            limits.push((
                format!("permissions boundary `{}`", b.name),
                passed_by_direct(vec![b]),
            ));
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
                passed_by_direct(refs),
            ));
        }
        if let Some((r, s)) = &same
            && s.must_allow
        {
            // A KMS key policy or a role trust policy: the identity policies grant only
            // where it allows too (its account entry delegates to them).
            limits.push((
                format!(
                    "resource policy `{}` (a key or trust policy must allow)",
                    r.name
                ),
                r.policy.clone(),
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

/// A same-account resource policy split by the ARNs its Allow statements name (IAM User
/// Guide, "Policy evaluation logic", resource-based policies within one account).
#[derive(Debug, Clone)]
pub struct SameAccount {
    /// Its statements as they grant: Allow statements without their account entries (an
    /// account principal delegates to the account's identity policies, which grant
    /// alone), Deny statements whole.
    pub granting: Policy,
    /// The Allow statements cut to the entries that grant directly: a user's ARN, a role
    /// session's ARN (a federated user session's too).
    pub direct: Policy,
    /// Whether an Allow statement names callers by no ARN (`"*"`, `{"AWS": "*"}`,
    /// `NotPrincipal`): AWS documents no rule for those beside a boundary or session
    /// policies.
    pub unnamed: bool,
    /// A KMS key policy or a role trust policy (every Action of it is `kms:` or `sts:`):
    /// AWS requires it to allow the caller itself, so an identity-policy Allow grants
    /// only where it allows too.
    pub must_allow: bool,
}

/// How an entry of a same-account Allow statement grants to an IAM caller.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Grant {
    /// The caller's own user or session ARN: past every implicit deny.
    Direct,
    /// The role's ARN: past the identity policies, not the boundary or session policies.
    Role,
    /// The account: delegates to the identity policies.
    Account,
    /// `*` and other entries that name no ARN.
    Unnamed,
}

fn grant_of(p: &policy::PrincipalPattern) -> Grant {
    use policy::{PrincipalKind, PrincipalPattern};
    match p {
        PrincipalPattern::Account(_) => Grant::Account,
        PrincipalPattern::Exact(PrincipalKind::Aws, arn) => {
            let resource = arn.splitn(6, ':').nth(5).unwrap_or("");
            if resource.starts_with("role/") {
                Grant::Role
            } else {
                Grant::Direct
            }
        }
        // Another kind's entry never names an IAM caller: it grants nothing here either
        // way.
        PrincipalPattern::Exact(..) => Grant::Direct,
        PrincipalPattern::Everyone | PrincipalPattern::AnyOfKind(_) => Grant::Unnamed,
    }
}

impl SameAccount {
    pub fn of(q: &Policy) -> SameAccount {
        // The resource policy's kind and version, none of its statements yet.
        let empty = || Policy {
            version: q.version.clone(),
            id: q.id.clone(),
            policy_type: q.policy_type,
            variables: q.variables,
            statements: Vec::new(),
        };
        let (mut granting, mut direct) = (empty(), empty());
        let mut unnamed = false;
        for s in &q.statements {
            let Some(principals) = s
                .principals
                .as_ref()
                .filter(|_| s.effect == policy::Effect::Allow)
            else {
                granting.statements.push(s.clone());
                continue;
            };
            if principals.negated {
                unnamed = true;
                granting.statements.push(s.clone());
                continue;
            }
            let keep = |wanted: &dyn Fn(Grant) -> bool| {
                let items: Vec<_> = principals
                    .items
                    .iter()
                    .filter(|p| wanted(grant_of(p)))
                    .cloned()
                    .collect();
                (!items.is_empty()).then(|| {
                    let mut t = s.clone();
                    t.principals = Some(policy::ElementSet {
                        negated: false,
                        items,
                    });
                    t
                })
            };
            unnamed |= principals
                .items
                .iter()
                .any(|p| grant_of(p) == Grant::Unnamed);
            granting.statements.extend(keep(&|g| g != Grant::Account));
            direct.statements.extend(keep(&|g| g == Grant::Direct));
        }
        let only = |prefix: &str| {
            q.statements.iter().all(|s| {
                !s.actions.negated
                    && s.actions
                        .items
                        .iter()
                        .all(|a| crate::pattern::fold(&a.text).starts_with(prefix))
            })
        };
        SameAccount {
            granting,
            direct,
            unnamed,
            must_allow: !q.statements.is_empty() && (only("kms:") || only("sts:")),
        }
    }
}

/// A document that must be a JSON object (a set, an organization document, an
/// authorization-details file): its members, or an error at `/` saying what it should
/// be (`what`, e.g. "a policy set is a JSON object with `identityPolicies`").
fn json_object(
    text: &str,
    what: &str,
) -> Result<serde_json::Map<String, serde_json::Value>, SetError> {
    let shape = |message: String| SetError::Shape {
        pointer: "/".into(),
        message,
    };
    match serde_json::from_str(text) {
        Ok(serde_json::Value::Object(members)) => Ok(members),
        Ok(_) => Err(shape(what.to_string())),
        Err(e) => Err(shape(format!(
            "not JSON (line {}, column {}): {e}; {what}",
            e.line(),
            e.column()
        ))),
    }
}

/// A document that allows nothing: the identity policy that makes a document with
/// none a set to read (organization documents; bundles of principals without
/// policies), never a grant.
fn allows_nothing() -> serde_json::Value {
    serde_json::json!({"Version": "2012-10-17",
        "Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*"}]})
}

impl SetError {
    /// A shape error at `pointer` (`/` for the whole document).
    fn at(pointer: &str, message: String) -> SetError {
        SetError::Shape {
            pointer: if pointer.is_empty() {
                "/".into()
            } else {
                pointer.into()
            },
            message,
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

/// The name of an IAM user ARN (`arn:P:iam::A:user/PATH/NAME`), `None` for a role.
fn user_name(arn: &str) -> Option<&str> {
    let resource = arn.splitn(6, ':').nth(5)?;
    resource.strip_prefix("user/")?.rsplit('/').next()
}

/// The policy that holds a set's requests to its principal (a role's ARN also names
/// its sessions) and to the account relation: `aws:ResourceAccount` is the principal's
/// account, or another one. Without a resource policy the relation is `Same`: across
/// accounts both sides must allow, and nothing on the resource's side does.
fn principal_pin(
    arn: &str,
    account: &str,
    relation: AccountRelation,
) -> Result<Policy, PolicyError> {
    let mut statement = serde_json::json!({
        "Effect": "Allow",
        "Principal": {"AWS": arn},
        "Action": "*",
        "Resource": "*"
    });
    let mut condition = serde_json::json!({"StringEquals": {}, "StringNotEquals": {}, "Null": {}});
    match relation {
        AccountRelation::Same => {
            condition["StringEquals"]["aws:ResourceAccount"] = serde_json::json!(account);
        }
        AccountRelation::Cross => {
            // Another account's resource: AWS sends its account.
            condition["StringNotEquals"]["aws:ResourceAccount"] = serde_json::json!(account);
            condition["Null"]["aws:ResourceAccount"] = serde_json::json!("false");
        }
    }
    // `aws:username` is the user's name for an IAM user and absent for a role (IAM User
    // Guide, "AWS global condition context keys").
    match user_name(arn) {
        Some(name) => condition["StringEquals"]["aws:username"] = serde_json::json!(name),
        None => condition["Null"]["aws:username"] = serde_json::json!("true"),
    }
    if let Some(c) = condition.as_object_mut() {
        c.retain(|_, v| v.as_object().is_none_or(|m| !m.is_empty()));
    }
    statement["Condition"] = condition;
    let doc = serde_json::json!({"Version": "2012-10-17", "Statement": [statement]});
    policy::parse(&doc.to_string(), PolicyType::Resource)
}

/// A set (or organization) document with every policy reference replaced by the
/// document it names (`read` gives its text), so that the result stands alone: what a
/// proof bundle records. The places are a set's (`identityPolicies/N`,
/// `permissionsBoundary`, `serviceControlPolicies/L/N`, `sessionPolicies/N`,
/// `resourceControlPolicies/N`, `resourcePolicy`); anything else stays as it is, for
/// `parse_set` to judge.
pub fn inline_policies(
    v: &serde_json::Value,
    read: &dyn Fn(&str, &str) -> Result<String, String>,
) -> Result<serde_json::Value, SetError> {
    use serde_json::Value;
    let one = |p: &mut Value, pointer: &str| -> Result<(), SetError> {
        if let Value::String(r) = p {
            let text = read(r, pointer).map_err(|message| SetError::Shape {
                pointer: pointer.into(),
                message,
            })?;
            *p = serde_json::from_str(&text).map_err(|e| SetError::Shape {
                pointer: pointer.into(),
                message: format!(
                    "`{r}` is not a JSON policy document (line {}, column {}): {e}",
                    e.line(),
                    e.column()
                ),
            })?;
        }
        Ok(())
    };
    let mut out = v.clone();
    let Some(obj) = out.as_object_mut() else {
        return Ok(out);
    };
    for (key, depth) in [
        ("identityPolicies", 1),
        ("permissionsBoundary", 0),
        ("serviceControlPolicies", 2),
        ("sessionPolicies", 1),
        ("resourceControlPolicies", 1),
        ("resourcePolicy", 0),
    ] {
        let Some(field) = obj.get_mut(key) else {
            continue;
        };
        match (depth, field) {
            (0, p) => one(p, &format!("/{key}"))?,
            (1, Value::Array(items)) => {
                for (i, p) in items.iter_mut().enumerate() {
                    one(p, &format!("/{key}/{i}"))?;
                }
            }
            (_, Value::Array(levels)) => {
                for (l, level) in levels.iter_mut().enumerate() {
                    if let Value::Array(items) = level {
                        for (i, p) in items.iter_mut().enumerate() {
                            one(p, &format!("/{key}/{l}/{i}"))?;
                        }
                    }
                }
            }
            _ => {}
        }
    }
    Ok(out)
}

/// Reads a self-contained policy-set document as a proof bundle records it: every policy
/// inline (a reference is an error), and an empty `identityPolicies` list stands for a
/// principal without identity policies, which is allowed nothing.
pub fn parse_bundle_set(text: &str) -> Result<PolicySet, SetError> {
    let refuse = |r: &str, _: &str| {
        Err(format!(
            "`{r}` is a reference; a bundle's policy set holds its policies inline"
        ))
    };
    let v: serde_json::Value = serde_json::from_str(text).map_err(|e| SetError::Shape {
        pointer: "/".into(),
        message: format!("not JSON: {e}"),
    })?;
    let empty = v
        .get("identityPolicies")
        .and_then(serde_json::Value::as_array)
        .is_some_and(Vec::is_empty);
    if !empty {
        return parse_set(text, &refuse);
    }
    let mut with_one = v.clone();
    with_one["identityPolicies"] = serde_json::json!([allows_nothing()]);
    let mut set = parse_set(&with_one.to_string(), &refuse)?;
    set.identity.clear();
    Ok(set)
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
    let shape = SetError::at;
    let obj = &json_object(
        text,
        "a policy set is a JSON object with `identityPolicies`",
    )?;
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
            let pin = principal_pin(arn, account, relation.unwrap_or(AccountRelation::Same))
                .map_err(|source| SetError::Policy {
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
    if let Some((r, AccountRelation::Same)) = &resource
        && (boundary.is_some() || !session.is_empty())
        && SameAccount::of(&r.policy).unnamed
    {
        return Err(shape(
            "/resourcePolicy",
            "within one account a resource policy's Allow limits by the ARN it names (IAM User Guide, \"Policy evaluation logic\"), and AWS documents no rule for `\"*\"`, `{\"AWS\": \"*\"}` or `NotPrincipal` beside a permissions boundary or session policies; name the user, role or role session ARN, or check the resource policy in a set without them".into(),
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
