//! `check-no-public-access`: can an unknown caller be allowed by this resource policy?
//!
//! "Unknown" is modelled as fresh values (DESIGN.md §3): the caller is anonymous, or an
//! IAM principal whose account the policy never names and whose ARN it never lists, or
//! a service / federated / canonical-user principal the policy does not name; and every
//! identity- or network-bearing key is absent or holds a value no literal in the policy
//! names (an ARN-valued key also has a fresh account; an IP address lies in no range of
//! /8 (IPv4) or /32 (IPv6) or narrower). A key pinned only by a wildcard or a policy
//! variable is not pinned. FAIL iff such a caller is allowed.

use std::collections::{BTreeMap, BTreeSet};

use std::borrow::Cow;

use crate::eval::{self, Request};
use crate::pattern::{Part, Tok};
use crate::policy::{
    BaseOp, Cmp, CondValue, Policy, PolicyType, PrincipalKind, PrincipalPattern, is_account_id,
};

use super::callers::{self, KeyRule, Values};
use crate::smt::encode::{Atom, Pred, Sink, Slot, Var, key_slot, literal_atom};
use crate::smt::term::{F, and, not, or};

use super::{
    Built, CheckError, CheckResult, Concrete, Options, Run, Spec, concrete_truth, decide,
    has_allow, policy_allows, request_domain, slice, sliced,
};

/// The resource types of the AWS API.
pub const RESOURCE_TYPES: &[&str] = &[
    "AWS::DynamoDB::Table",
    "AWS::DynamoDB::Stream",
    "AWS::EFS::FileSystem",
    "AWS::OpenSearchService::Domain",
    "AWS::Kinesis::Stream",
    "AWS::Kinesis::StreamConsumer",
    "AWS::KMS::Key",
    "AWS::Lambda::Function",
    "AWS::S3::Bucket",
    "AWS::S3::AccessPoint",
    "AWS::S3Express::DirectoryBucket",
    "AWS::S3::Glacier",
    "AWS::S3Outposts::Bucket",
    "AWS::S3Outposts::AccessPoint",
    "AWS::SecretsManager::Secret",
    "AWS::SNS::Topic",
    "AWS::SQS::Queue",
    "AWS::IAM::AssumeRolePolicyDocument",
    "AWS::S3Tables::TableBucket",
    "AWS::ApiGateway::RestApi",
    "AWS::CodeArtifact::Domain",
    "AWS::Backup::BackupVault",
    "AWS::CloudTrail::Dashboard",
    "AWS::CloudTrail::EventDataStore",
    "AWS::S3Tables::Table",
    "AWS::S3Express::AccessPoint",
];

/// Keys about the caller's own AWS identity that an anonymous request does not carry:
/// AWS adds them only for a signed request from an IAM principal (or an organization
/// member). Tag keys `aws:principaltag/...` are matched by prefix.
const NOT_ANONYMOUS: &[&str] = &[
    "aws:principalorgid",
    "aws:principalorgpaths",
    "aws:username",
    "aws:principalservicename",
    "aws:principalservicenameslist",
    "aws:principaltag/",
];

/// Whether an anonymous request never carries (lower-cased) key `key`.
pub fn anonymous_lacks(key: &str) -> bool {
    NOT_ANONYMOUS
        .iter()
        .any(|k| key == *k || (k.ends_with('/') && key.starts_with(k)))
}

/// Resource-side variables: the resource's own account and organization. A policy that
/// compares a caller-naming key with one (`"aws:PrincipalAccount":
/// "${aws:ResourceAccount}"`: same account only) names the owner, a trusted caller.
/// Each is given a fixed value no literal of the policy names (the first candidate
/// that is free), and the query states that the request carries it.
const OWNER_VARIABLES: &[(&str, &[&str])] = &[
    (
        "aws:resourceaccount",
        &["999988887777", "999988887776", "999988887775"],
    ),
    (
        "aws:resourceorgid",
        &["o-ownerorg000", "o-ownerorg001", "o-ownerorg002"],
    ),
];

fn twelve_digit_runs(text: &str, out: &mut BTreeSet<String>) {
    for run in text.split(|c: char| !c.is_ascii_digit()) {
        if is_account_id(run) {
            out.insert(run.to_string());
        }
    }
}

fn literal_text(parts: &[Part]) -> String {
    parts
        .iter()
        .map(|p| match p {
            Part::Tok(Tok::Lit(c)) => *c,
            _ => ' ',
        })
        .collect()
}

/// The 12-digit account a number names, when it is a whole number of at most 12 digits
/// (`NumericEquals aws:SourceAccount 111122223333`).
fn numeric_account(n: &rust_decimal::Decimal) -> Option<String> {
    let whole = n.fract().is_zero() && !n.is_sign_negative();
    let text = n.trunc().normalize().to_string();
    (whole && text.len() <= 12).then(|| format!("{text:0>12}"))
}

/// Whether a condition key holds account ids.
fn holds_accounts(key: &str) -> bool {
    key == crate::smt::encode::PRINCIPAL_ACCOUNT
        || callers::key_rule(key).is_some_and(|r| r.values == Values::Account)
}

/// Every 12-digit account id the policy names anywhere.
pub(crate) fn named_accounts(policy: &Policy) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for s in &policy.statements {
        for p in s.principals.iter().flat_map(|p| &p.items) {
            match p {
                PrincipalPattern::Account(a) => {
                    out.insert(a.clone());
                }
                PrincipalPattern::Exact(_, v) => twelve_digit_runs(v, &mut out),
                _ => {}
            }
        }
        for r in s.resources.iter().flat_map(|r| &r.items) {
            twelve_digit_runs(&literal_text(&r.template.parts), &mut out);
        }
        for c in &s.conditions {
            for v in &c.values {
                match v {
                    CondValue::Pattern(t) => twelve_digit_runs(&literal_text(&t.parts), &mut out),
                    CondValue::Number(n) if holds_accounts(&c.key) => {
                        out.extend(numeric_account(n));
                    }
                    _ => {}
                }
            }
        }
    }
    out
}

pub(super) struct NoPublicAccess<'a> {
    /// The policy as written: counterexamples replay through it.
    policy: &'a Policy,
    /// What the query states: the policy with its owner variables given their values
    /// (`owner`), or the slice of that (slice.rs).
    query: Cow<'a, Policy>,
    /// Atoms a fresh IAM caller's ARN satisfies none of.
    aws_named: Vec<Atom>,
    /// Atoms a fresh caller of another kind satisfies none of.
    other_named: BTreeMap<PrincipalKind, Vec<Atom>>,
    /// Caller-naming keys and the atoms a fresh value satisfies none of.
    keys: BTreeMap<String, Vec<Atom>>,
    /// Keys the policy reads that an anonymous request lacks.
    not_anonymous: Vec<String>,
    /// Owner variables (key, value) the query resolved: the request carries them.
    owner: Vec<(String, String)>,
}

/// The atom a fresh value of a key satisfies none of, from one condition value: a
/// literal (or tenant-fixing pattern, callers.rs), one number, or a named network.
fn pinning_atom(rule: &KeyRule, op: BaseOp, value: &CondValue) -> Option<Atom> {
    let pins = match value {
        CondValue::Pattern(t) => callers::pins_text(rule, op, t),
        CondValue::Binary(_) => true,
        CondValue::Ip(net) => callers::pins_network(net),
        CondValue::Number(_) => op == BaseOp::Numeric(Cmp::Eq),
        _ => false,
    };
    pins.then(|| Atom {
        op,
        value: value.clone(),
        account: false,
    })
}

/// The owner variables a policy uses, each with the value the query gives it; empty
/// when it uses none, or uses one where its value could matter: anywhere but as the
/// whole value of a string condition on a caller-naming key, or beside a condition that
/// reads the key itself. Only there is the value immaterial to an unknown caller (a
/// fresh value differs from the owner's as from every named one), so one value
/// decides for all; elsewhere the variable stays and the encodings say what they can.
fn owner_values(policy: &Policy) -> Vec<(String, String)> {
    let mut used = BTreeSet::new();
    let named = policy_literals(policy);
    for s in &policy.statements {
        let in_resources = s
            .resources
            .iter()
            .flat_map(|r| &r.items)
            .flat_map(|r| &r.template.vars)
            .any(|v| is_owner_variable(&v.key));
        if in_resources {
            return Vec::new();
        }
        for c in &s.conditions {
            if is_owner_variable(&c.key) {
                return Vec::new();
            }
            let names_caller = holds_accounts(&c.key) || callers::key_rule(&c.key).is_some();
            let string_op = matches!(
                c.operator.base.positive(),
                BaseOp::StringEquals | BaseOp::StringEqualsIgnoreCase | BaseOp::StringLike
            );
            for v in &c.values {
                let CondValue::Pattern(t) = v else { continue };
                for var in &t.vars {
                    if !is_owner_variable(&var.key) {
                        continue;
                    }
                    let whole = t.parts.len() == 1;
                    if !(whole && names_caller && string_op) {
                        return Vec::new();
                    }
                    used.insert(var.key.clone());
                }
            }
        }
    }
    OWNER_VARIABLES
        .iter()
        .filter(|(key, _)| used.contains(*key))
        .filter_map(|(key, candidates)| {
            let value = candidates.iter().find(|c| !named.contains(**c))?;
            Some((key.to_string(), value.to_string()))
        })
        .collect()
}

fn is_owner_variable(key: &str) -> bool {
    OWNER_VARIABLES.iter().any(|(k, _)| *k == key)
}

/// Every literal text of the policy's conditions, and the accounts it names.
fn policy_literals(policy: &Policy) -> BTreeSet<String> {
    let mut out = named_accounts(policy);
    for s in &policy.statements {
        for c in &s.conditions {
            for v in &c.values {
                if let CondValue::Pattern(t) = v {
                    out.insert(literal_text(&t.parts));
                }
            }
        }
    }
    out
}

/// The policy with each owner variable that stands as a whole condition value replaced
/// by its value.
fn with_owner_values(policy: &Policy, owner: &[(String, String)]) -> Policy {
    let mut out = policy.clone();
    for s in &mut out.statements {
        for c in &mut s.conditions {
            for v in &mut c.values {
                let CondValue::Pattern(t) = v else { continue };
                let [Part::Var(i)] = t.parts.as_slice() else {
                    continue;
                };
                let key = &t.var(*i).key;
                if let Some((_, value)) = owner.iter().find(|(k, _)| k == key) {
                    let text = if t.folded {
                        crate::pattern::fold(value)
                    } else {
                        value.clone()
                    };
                    let parts = text.chars().map(|ch| Part::Tok(Tok::Lit(ch))).collect();
                    *v = CondValue::Pattern(std::sync::Arc::new(
                        crate::pattern::Template::of_parts(parts, t.folded),
                    ));
                }
            }
        }
    }
    out
}

impl<'a> NoPublicAccess<'a> {
    /// The query over `policy`, sliced when `opts` asks for it; what "unknown" means
    /// always comes from the whole policy (with its owner variables resolved).
    fn prepare(policy: &'a Policy, opts: Option<&Options>) -> Self {
        let owner = owner_values(policy);
        let resolved = if owner.is_empty() {
            Cow::Borrowed(policy)
        } else {
            Cow::Owned(with_owner_values(policy, &owner))
        };
        let mut me = Self::naming(policy, &resolved, owner);
        let query = opts.and_then(|o| sliced(o, || slice::no_public_access(&resolved)));
        me.query = match query {
            Some(q) => Cow::Owned(q),
            None => resolved,
        };
        me
    }

    pub fn new(policy: &'a Policy) -> Self {
        Self::prepare(policy, None)
    }

    /// What names a caller in `naming` (the policy with its owner values).
    fn naming(policy: &'a Policy, naming: &Policy, owner: Vec<(String, String)>) -> Self {
        let accounts = named_accounts(naming);
        let mut aws_named: Vec<Atom> = accounts.iter().map(|a| literal_atom(a, true)).collect();
        let mut other_named: BTreeMap<PrincipalKind, Vec<Atom>> = BTreeMap::new();
        let mut keys: BTreeMap<String, Vec<Atom>> = BTreeMap::new();
        let mut not_anonymous = BTreeSet::new();
        for s in &naming.statements {
            for p in s.principals.iter().flat_map(|p| &p.items) {
                let PrincipalPattern::Exact(kind, v) = p else {
                    continue;
                };
                let atom = literal_atom(v, false);
                match kind {
                    PrincipalKind::Aws => aws_named.push(atom),
                    PrincipalKind::Federated if callers::is_open_provider(v) => {}
                    other => other_named.entry(*other).or_default().push(atom),
                }
            }
            for c in &s.conditions {
                if anonymous_lacks(&c.key) {
                    not_anonymous.insert(c.key.clone());
                }
                let Some(rule) = callers::key_rule(&c.key) else {
                    continue;
                };
                if key_slot(&c.key).0.var == Var::Principal {
                    continue;
                }
                let atoms = keys
                    .entry(c.key.clone())
                    .or_insert_with(|| match rule.values {
                        Values::Arn => accounts.iter().map(|a| literal_atom(a, true)).collect(),
                        Values::Account => {
                            accounts.iter().map(|a| literal_atom(a, false)).collect()
                        }
                        Values::Plain => Vec::new(),
                    });
                for v in &c.values {
                    match pinning_atom(&rule, c.operator.base.positive(), v) {
                        Some(a) if !atoms.contains(&a) => atoms.push(a),
                        _ => {}
                    }
                }
            }
        }
        NoPublicAccess {
            policy,
            query: Cow::Borrowed(policy),
            aws_named,
            other_named,
            keys,
            not_anonymous: not_anonymous.into_iter().collect(),
            owner,
        }
    }

    /// The caller and every caller-naming key are fresh; the request carries the owner
    /// values the query resolved.
    fn untrusted<K: Sink>(&self, sink: &mut K) -> F {
        let principal = Slot::of(Var::Principal);
        let fresh = |sink: &mut K, atoms: &[Atom]| {
            sink.forall(
                &principal,
                &Pred {
                    atoms: atoms.to_vec(),
                    negated: true,
                },
            )
        };
        let mut anonymous = vec![sink.kind_is(None)];
        for key in &self.not_anonymous {
            let present = sink.present(&Slot::of(Var::Key(key.clone())));
            anonymous.push(not(present));
        }
        let mut callers = vec![and(anonymous)];
        let aws = sink.kind_is(Some(PrincipalKind::Aws));
        callers.push(and([aws, fresh(sink, &self.aws_named)]));
        for kind in [
            PrincipalKind::Service,
            PrincipalKind::Federated,
            PrincipalKind::CanonicalUser,
        ] {
            let is_kind = sink.kind_is(Some(kind));
            let named = self.other_named.get(&kind).cloned().unwrap_or_default();
            callers.push(and([is_kind, fresh(sink, &named)]));
        }
        let mut parts = vec![or(callers)];
        for (key, atoms) in &self.keys {
            if atoms.is_empty() {
                continue;
            }
            let pred = Pred {
                atoms: atoms.clone(),
                negated: true,
            };
            parts.push(sink.forall(&Slot::of(Var::Key(key.clone())), &pred));
        }
        for (key, value) in &self.owner {
            let pred = Pred {
                atoms: vec![literal_atom(value, false)],
                negated: false,
            };
            parts.push(sink.exists(&Slot::of(Var::Key(key.clone())), &pred));
        }
        and(parts)
    }
}

impl Spec for NoPublicAccess<'_> {
    fn policies(&self) -> Vec<&Policy> {
        vec![self.policy]
    }
    fn policy_type(&self) -> PolicyType {
        PolicyType::Resource
    }
    fn build<K: Sink>(&self, sink: &mut K) -> Built {
        let domain = request_domain(sink, PolicyType::Resource, &[&self.query]);
        let (allows, candidates) = policy_allows(sink, &self.query, "policy");
        let untrusted = self.untrusted(sink);
        let untrusted = sink.define(
            "untrusted",
            "the caller is unknown: anonymous or unnamed, every identity/network key fresh",
            untrusted,
        );
        Built {
            goal: and([domain, allows, untrusted]),
            candidates,
        }
    }
    fn confirm(&self, r: &Request) -> Result<(), String> {
        if !eval::allows(self.policy, r) {
            return Err("the policy does not allow it".into());
        }
        if !concrete_truth(&self.untrusted(&mut Concrete { request: r })) {
            return Err("its caller is not an unknown one".into());
        }
        Ok(())
    }
    fn reason(&self, label: &str) -> String {
        format!("Public access granted in the following statement with {label}.")
    }
    fn messages(&self) -> (&'static str, &'static str) {
        (
            "The resource policy grants public access for the given resource type.",
            "The resource policy does not grant public access for the given resource type.",
        )
    }
    fn subject(&self) -> &Policy {
        self.policy
    }
    fn vacuous(&self) -> bool {
        !has_allow(&self.query)
    }
}

/// An unknown resource type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceTypeError(pub String);

impl std::fmt::Display for ResourceTypeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "unknown resource type `{}`; use one of the {} types of the AWS API: {}",
            self.0,
            RESOURCE_TYPES.len(),
            RESOURCE_TYPES.join(", ")
        )
    }
}

impl std::error::Error for ResourceTypeError {}

pub fn validate_resource_type(t: &str) -> Result<(), ResourceTypeError> {
    if RESOURCE_TYPES.contains(&t) {
        Ok(())
    } else {
        Err(ResourceTypeError(t.to_string()))
    }
}

/// Runs the check on a resource policy (parsed as `RESOURCE_POLICY`).
pub(super) fn check(policy: &Policy, run: Run) -> Result<CheckResult, CheckError> {
    decide(&NoPublicAccess::prepare(policy, Some(run.opts)), run)
}

/// Whether a concrete request's caller is unknown in this check's sense (the caller and
/// every identity key fresh): the concrete reading of the query's `untrusted` part.
pub fn is_untrusted(policy: &Policy, request: &Request) -> bool {
    concrete_truth(&NoPublicAccess::new(policy).untrusted(&mut Concrete { request }))
}
