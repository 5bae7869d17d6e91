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

use ipnet::IpNet;

use crate::eval::{self, Request};
use crate::pattern::{Part, Tok};
use crate::policy::{
    CondValue, Policy, PolicyType, PrincipalKind, PrincipalPattern, is_account_id,
};
use crate::smt::model::{Atom, Pred, Sink, Slot, Var, key_slot, literal_atom};
use crate::smt::term::{F, and, or};

use super::{
    Built, CheckError, CheckResult, Concrete, Options, Spec, concrete_truth, has_allow,
    policy_allows, request_domain, run, run_timed, slice, sliced,
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

/// Keys that identify the caller or its network (lower-case).
const IDENTITY_KEYS: &[&str] = &[
    "aws:sourceip",
    "aws:vpcsourceip",
    "aws:sourcevpc",
    "aws:sourcevpce",
    "aws:sourcearn",
    "aws:sourceaccount",
    "aws:sourceowner",
    "aws:sourceorgid",
    "aws:sourceorgpaths",
    "aws:principalorgid",
    "aws:principalorgpaths",
    "aws:userid",
    "aws:username",
    "kms:calleraccount",
    "s3:dataaccesspointaccount",
    "s3:dataaccesspointarn",
];

/// Keys whose values are ARNs: a fresh value also has a fresh account.
const ARN_KEYS: &[&str] = &["aws:sourcearn", "s3:dataaccesspointarn"];

/// Keys whose values are account ids.
const ACCOUNT_KEYS: &[&str] = &[
    "aws:sourceaccount",
    "aws:sourceowner",
    "kms:calleraccount",
    "s3:dataaccesspointaccount",
];

/// Identity providers anyone can obtain an identity from: naming one does not pin the
/// caller (its audience keys do).
const PUBLIC_IDPS: &[&str] = &[
    "cognito-identity.amazonaws.com",
    "accounts.google.com",
    "graph.facebook.com",
    "www.amazon.com",
];

/// Whether a key identifies the caller: the listed keys, and the keys of identity
/// providers (`accounts.google.com:aud`, `saml:aud`, `token.actions.githubusercontent.com:sub`).
pub fn is_identity_key(key: &str) -> bool {
    if IDENTITY_KEYS.contains(&key) {
        return true;
    }
    match key.split_once(':') {
        Some((prefix, _)) => prefix.contains('.') || prefix == "saml",
        None => false,
    }
}

/// Whether an IP range is narrow enough to name a network: /8 or narrower for IPv4,
/// /32 or narrower for IPv6.
pub fn pins_network(net: &IpNet) -> bool {
    match net {
        IpNet::V4(n) => n.prefix_len() >= 8,
        IpNet::V6(n) => n.prefix_len() >= 32,
    }
}

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

/// Every 12-digit account id the policy names anywhere.
fn named_accounts(policy: &Policy) -> BTreeSet<String> {
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
                if let CondValue::Pattern(t) = v {
                    twelve_digit_runs(&literal_text(&t.parts), &mut out);
                }
            }
        }
    }
    out
}

pub struct NoPublicAccess<'a> {
    policy: &'a Policy,
    /// What the query states: the policy itself, or its slice (slice.rs).
    query: &'a Policy,
    /// Atoms a fresh IAM caller's ARN satisfies none of.
    aws_named: Vec<Atom>,
    /// Atoms a fresh caller of another kind satisfies none of.
    other_named: BTreeMap<PrincipalKind, Vec<Atom>>,
    /// Identity keys and the atoms a fresh value satisfies none of.
    keys: BTreeMap<String, Vec<Atom>>,
}

/// The atoms a fresh value of `key` satisfies none of, from one condition value.
fn pinning_atom(op: crate::policy::BaseOp, value: &CondValue) -> Option<Atom> {
    let pins = match value {
        CondValue::Pattern(t) => {
            !t.has_variables() && t.parts.iter().all(|p| matches!(p, Part::Tok(Tok::Lit(_))))
        }
        CondValue::Binary(_) => true,
        CondValue::Ip(net) => pins_network(net),
        _ => false,
    };
    pins.then(|| Atom {
        op,
        value: value.clone(),
        account: false,
    })
}

/// Whether naming this federated provider pins no caller: anyone can get an identity from it.
pub(crate) fn is_public_idp(provider: &str) -> bool {
    PUBLIC_IDPS.contains(&provider)
}

impl<'a> NoPublicAccess<'a> {
    /// The query over `policy`'s statements; what "unknown" means always comes from the
    /// policy as written.
    fn sliced(policy: &'a Policy, query: &'a Policy) -> Self {
        NoPublicAccess {
            query,
            ..Self::new(policy)
        }
    }

    pub fn new(policy: &'a Policy) -> Self {
        let accounts = named_accounts(policy);
        let mut aws_named: Vec<Atom> = accounts.iter().map(|a| literal_atom(a, true)).collect();
        let mut other_named: BTreeMap<PrincipalKind, Vec<Atom>> = BTreeMap::new();
        let mut keys: BTreeMap<String, Vec<Atom>> = BTreeMap::new();
        for s in &policy.statements {
            for p in s.principals.iter().flat_map(|p| &p.items) {
                let PrincipalPattern::Exact(kind, v) = p else {
                    continue;
                };
                let atom = literal_atom(v, false);
                match kind {
                    PrincipalKind::Aws => aws_named.push(atom),
                    PrincipalKind::Federated if PUBLIC_IDPS.contains(&v.as_str()) => {}
                    other => other_named.entry(*other).or_default().push(atom),
                }
            }
            for c in &s.conditions {
                if !is_identity_key(&c.key) || key_slot(&c.key).0.var == Var::Principal {
                    continue;
                }
                let atoms = keys.entry(c.key.clone()).or_insert_with(|| {
                    let mut atoms = Vec::new();
                    if ARN_KEYS.contains(&c.key.as_str()) {
                        atoms.extend(accounts.iter().map(|a| literal_atom(a, true)));
                    }
                    if ACCOUNT_KEYS.contains(&c.key.as_str()) {
                        atoms.extend(accounts.iter().map(|a| literal_atom(a, false)));
                    }
                    atoms
                });
                for v in &c.values {
                    match pinning_atom(c.operator.base.positive(), v) {
                        Some(a) if !atoms.contains(&a) => atoms.push(a),
                        _ => {}
                    }
                }
            }
        }
        NoPublicAccess {
            policy,
            query: policy,
            aws_named,
            other_named,
            keys,
        }
    }

    /// The caller and every identity key are fresh.
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
        let mut callers = vec![sink.kind_is(None)];
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
        let domain = request_domain(sink, PolicyType::Resource);
        let (allows, candidates) = policy_allows(sink, self.query, "policy");
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
        !has_allow(self.query)
    }
}

/// An unknown resource type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceTypeError(pub String);

impl std::fmt::Display for ResourceTypeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "unknown resource type `{}`; use one of the {} types of the AWS API, e.g. `AWS::S3::Bucket` (`hornbeam check-no-public-access --help` lists them)",
            self.0,
            RESOURCE_TYPES.len()
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
pub fn check(
    policy: &Policy,
    resource_type: &str,
    opts: &Options,
) -> Result<Result<CheckResult, CheckError>, ResourceTypeError> {
    validate_resource_type(resource_type)?;
    Ok(run(opts, || {
        let sliced = sliced(opts, || slice::no_public_access(policy));
        let spec = match &sliced {
            Some(query) => NoPublicAccess::sliced(policy, query),
            None => NoPublicAccess::new(policy),
        };
        run_timed(&spec, opts)
    }))
}

/// The SMT-LIB script the check solves.
pub fn script(policy: &Policy, opts: &Options) -> Result<String, crate::smt::Unsupported> {
    super::script_of(&NoPublicAccess::new(policy), opts)
}

/// The self-contained proof script (`unsat` exactly when the check passes).
pub fn proof_script(policy: &Policy) -> Result<String, crate::smt::Unsupported> {
    super::proof_script_of(&NoPublicAccess::new(policy))
}

/// Whether a concrete request's caller is unknown in this check's sense (the caller and
/// every identity key fresh): the concrete reading of the query's `untrusted` part.
pub fn is_untrusted(policy: &Policy, request: &Request) -> bool {
    concrete_truth(&NoPublicAccess::new(policy).untrusted(&mut Concrete { request }))
}
