//! `check-access-not-granted`: does the policy allow any listed action on any listed
//! resource? FAIL iff ∃r. allows(p, r) ∧ (no actions listed ∨ action(r) matches one) ∧
//! (no resources listed ∨ resource(r) matches one), for some entry of the access list.

use std::fmt;

use crate::eval::Request;
use crate::pattern::{Glob, Syntax, Template};
use crate::policy::{BaseOp, CondValue};
use crate::policy::{Policy, PolicyType};
use crate::smt::encode::{self, Atom, Pred, Sink, Var};
use crate::smt::term::{F, and, or};

use super::ladder::Ladder;
use super::{
    Built, CheckError, CheckResult, Concrete, Options, Run, Spec, concrete_truth, decide,
    has_allow, limited_allows, relabel, request_domain, slice, sliced,
};
use crate::context::Combined;

/// One entry of the `access` list: actions and/or resources.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Access {
    pub actions: Vec<String>,
    pub resources: Vec<String>,
}

/// An access list that cannot be checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessError(pub String);

impl fmt::Display for AccessError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for AccessError {}

struct Entry {
    actions: Vec<Atom>,
    resources: Vec<Atom>,
}

pub(super) struct AccessNotGranted<'a> {
    policy: &'a Policy,
    /// The policies that limit it in an authorization context (src/context).
    limits: Vec<&'a Policy>,
    entries: Vec<Entry>,
    any_actions: bool,
    any_resources: bool,
    /// The keys of every listed action pattern when every entry lists actions (what
    /// slicing needs, slice.rs).
    listed_keys: Option<Vec<crate::pattern::ActionKey>>,
    /// The slice of the policy and of each limit, in that order: `None` where nothing
    /// went (or slicing is off).
    query: Vec<Option<Policy>>,
}

impl<'a> AccessNotGranted<'a> {
    /// Validates the access list (each entry names actions and/or resources; actions are
    /// `service:action` patterns, resources ARN patterns or `*`).
    pub fn new(policy: &'a Policy, access: &[Access]) -> Result<Self, AccessError> {
        if access.is_empty() {
            return Err(AccessError(
                "the access list is empty; give at least one action or resource".into(),
            ));
        }
        let mut entries = Vec::new();
        let mut listed_keys = Some(Vec::new());
        for (i, a) in access.iter().enumerate() {
            if a.actions.is_empty() {
                listed_keys = None;
            }
            if let Some(keys) = &mut listed_keys {
                keys.extend(a.actions.iter().map(|t| Glob::action(t).action_key()));
            }
            if a.actions.is_empty() && a.resources.is_empty() {
                return Err(AccessError(format!(
                    "access entry {i} lists neither actions nor resources"
                )));
            }
            let mut actions = Vec::new();
            for text in &a.actions {
                let ok = text == "*"
                    || text
                        .split_once(':')
                        .is_some_and(|(s, n)| !s.is_empty() && !n.is_empty() && !n.contains(':'));
                let glob = Template::parse(text, Syntax::Wildcard, true, false)
                    .ok()
                    .and_then(|t| t.glob());
                match (ok, glob) {
                    (true, Some(g)) => actions.push(encode::action_atom(&g)),
                    _ => {
                        return Err(AccessError(format!(
                            "access entry {i}: action `{text}` is not of the form `service:action` (e.g. `s3:GetObject`) or `*`"
                        )));
                    }
                }
            }
            let mut resources = Vec::new();
            for text in &a.resources {
                if !(text.starts_with("arn:") || text.starts_with('*')) {
                    return Err(AccessError(format!(
                        "access entry {i}: resource `{text}` is neither `*` nor an ARN"
                    )));
                }
                let template = Template::parse(text, Syntax::Arn, false, false).map_err(|e| {
                    AccessError(format!("access entry {i}: resource `{text}`: {e}"))
                })?;
                resources.push(Atom {
                    op: BaseOp::ArnLike,
                    value: CondValue::Pattern(std::sync::Arc::new(template)),
                    account: false,
                });
            }
            entries.push(Entry { actions, resources });
        }
        Ok(AccessNotGranted {
            policy,
            limits: Vec::new(),
            any_actions: access.iter().any(|a| !a.actions.is_empty()),
            any_resources: access.iter().any(|a| !a.resources.is_empty()),
            entries,
            listed_keys,
            query: Vec::new(),
        })
    }

    /// Slices the query (the policy and its limits) when `opts` asks for it.
    fn slice(&mut self, opts: &Options) {
        let Some(keys) = &self.listed_keys else {
            return;
        };
        let mut all = vec![self.policy];
        all.extend(&self.limits);
        if let Some(query) = sliced(opts, || slice::access_not_granted(&all, keys)) {
            self.query = query;
        }
    }

    /// What the query states of the policy, and of each limit.
    fn query(&self) -> (&Policy, Vec<&Policy>) {
        let at = |i: usize, whole: &'a Policy| -> &Policy {
            self.query.get(i).and_then(Option::as_ref).unwrap_or(whole)
        };
        let limits = self
            .limits
            .iter()
            .enumerate()
            .map(|(i, l)| at(i + 1, l))
            .collect();
        (at(0, self.policy), limits)
    }

    fn listed<K: Sink>(&self, sink: &mut K) -> F {
        let mut alternatives = Vec::new();
        for e in &self.entries {
            let mut parts = Vec::new();
            if !e.actions.is_empty() {
                parts.push(encode::var_matches(
                    sink,
                    Var::Action,
                    &Pred {
                        atoms: e.actions.clone(),
                        negated: false,
                    },
                ));
            }
            if !e.resources.is_empty() {
                parts.push(encode::var_matches(
                    sink,
                    Var::Resource,
                    &Pred {
                        atoms: e.resources.clone(),
                        negated: false,
                    },
                ));
            }
            alternatives.push(and(parts));
        }
        or(alternatives)
    }
}

impl Spec for AccessNotGranted<'_> {
    fn policies(&self) -> Vec<&Policy> {
        let mut out = vec![self.policy];
        out.extend(&self.limits);
        out
    }
    fn policy_type(&self) -> PolicyType {
        self.policy.policy_type
    }
    fn build<K: Sink>(&self, sink: &mut K) -> Built {
        let (policy, limits) = self.query();
        let mut read = vec![policy];
        read.extend(&limits);
        let domain = request_domain(sink, self.policy_type(), &read);
        let (allows, candidates) = limited_allows(sink, policy, &limits, "policy");
        let listed = self.listed(sink);
        let listed = sink.define(
            "listed",
            "the request has a listed action and/or resource",
            listed,
        );
        Built {
            goal: and([domain, allows, listed]),
            candidates,
        }
    }
    fn confirm(&self, r: &Request) -> Result<(), String> {
        if !crate::eval::allows_within(self.policy, self.limits.iter().copied(), r) {
            return Err("the policy does not allow it".into());
        }
        if !concrete_truth(&self.listed(&mut Concrete { request: r })) {
            return Err("it has no listed action/resource".into());
        }
        Ok(())
    }
    fn reason(&self, label: &str) -> String {
        match (self.any_actions, self.any_resources) {
            (true, false) => {
                format!("One or more of the listed actions in the statement with {label}.")
            }
            (false, true) => {
                format!("One or more of the listed resources in the statement with {label}.")
            }
            _ => format!(
                "One or more of the listed actions and/or resources in the statement with {label}."
            ),
        }
    }
    fn messages(&self) -> (&'static str, &'static str) {
        let fail = match (self.any_actions, self.any_resources) {
            (true, false) => {
                "The policy document grants access to perform one or more of the listed actions."
            }
            (false, true) => {
                "The policy document grants access to one or more of the listed resources."
            }
            _ => {
                "The policy document grants access to one or more listed resources to perform one or more listed actions."
            }
        };
        (
            fail,
            "The policy document does not grant access to perform the listed actions or resources.",
        )
    }
    fn subject(&self) -> &Policy {
        self.policy
    }
    fn vacuous(&self) -> bool {
        !has_allow(self.query().0)
    }
}

/// Validates an access list on its own (the errors `check` would give for it).
/// Refuses an access list naming an action that is not a known IAM action (or a
/// pattern matching none): a misspelt action is granted by no policy, so the check
/// would pass whatever the policy (`actions::unknown`).
pub fn validate_known(access: &[Access]) -> Result<(), AccessError> {
    for (i, a) in access.iter().enumerate() {
        for action in &a.actions {
            if let Some(why) = crate::actions::unknown(action) {
                let at = if access.len() > 1 {
                    format!("access entry {}: ", i + 1)
                } else {
                    String::new()
                };
                return Err(AccessError(format!("{at}{why}")));
            }
        }
    }
    Ok(())
}

pub fn validate(access: &[Access]) -> Result<(), AccessError> {
    let empty = Policy {
        version: None,
        id: None,
        policy_type: crate::policy::PolicyType::Identity,
        variables: true,
        statements: Vec::new(),
    };
    AccessNotGranted::new(&empty, access).map(|_| ())
}

/// Runs the check on a policy.
pub(super) fn check(
    policy: &Policy,
    access: &[Access],
    run: Run,
) -> Result<CheckResult, CheckError> {
    limited(policy, &[], access, run, true)
}

/// Runs the check over an authorization context (src/context); reasons name the
/// identity policy and statement.
pub(super) fn check_context(
    context: &Combined,
    access: &[Access],
    run: Run,
) -> Result<CheckResult, CheckError> {
    let limits: Vec<&Policy> = context.limits.iter().map(|(_, p)| p).collect();
    let mut result = limited(&context.policy, &limits, access, run, false)?;
    relabel(&mut result, context);
    Ok(result)
}

/// The check of `policy` under `limits`; `widen`: read the policy's widening variables
/// as `*` first (ladder.rs).
fn limited(
    policy: &Policy,
    limits: &[&Policy],
    access: &[Access],
    run: Run,
    widen: bool,
) -> Result<CheckResult, CheckError> {
    let mut spec = whole(policy, limits, access)?;
    spec.slice(run.opts);
    let listed = |r: &Request| concrete_truth(&spec.listed(&mut Concrete { request: r }));
    let replay =
        |r: &Request| crate::eval::allows_within(policy, limits.iter().copied(), r) && listed(r);
    let mut all = vec![policy];
    all.extend(limits.iter().copied());
    let ladder = Ladder {
        policies: all,
        policy_type: policy.policy_type,
        replay: &replay,
    };
    let mut wider = |wider: &Policy, run| check(wider, access, run);
    ladder.climb(
        run,
        widen.then_some((policy, &[][..], &mut wider as _)),
        &mut |sub, pin, run| {
            let p = sub(policy);
            let subbed: Vec<Policy> = limits.iter().map(|l| sub(l)).collect();
            let mut s = AccessNotGranted::new(&p, access)?;
            s.limits = subbed.iter().collect();
            s.limits.push(pin);
            s.slice(run.opts);
            decide(&s, run)
        },
        |run| decide(&spec, run),
    )
}

/// The whole query under `limits` (scripts and proof bundles).
pub(super) fn whole<'a>(
    policy: &'a Policy,
    limits: &[&'a Policy],
    access: &[Access],
) -> Result<AccessNotGranted<'a>, AccessError> {
    let mut spec = AccessNotGranted::new(policy, access)?;
    spec.limits = limits.to_vec();
    Ok(spec)
}

/// Whether a concrete request has a listed action and/or resource.
pub fn is_listed(
    policy: &Policy,
    access: &[Access],
    request: &Request,
) -> Result<bool, AccessError> {
    let spec = AccessNotGranted::new(policy, access)?;
    Ok(concrete_truth(&spec.listed(&mut Concrete { request })))
}
