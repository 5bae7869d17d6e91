//! The parts every check's query is built from: a policy's decision, a side limited
//! by its authorization context, the facts every request has, and slicing.

use std::time::Instant;

use super::{CheckResult, Options, slice};
use crate::policy::{Effect, Policy, PolicyType, PrincipalKind};
use crate::smt::encode::{self, Pred, Sink, Slot, Var};
use crate::smt::term::{self, F, and, not, or};

/// The slice of a query (slice.rs) when `opts.slice` asks for one and something goes;
/// logs what went and how long it took.
pub(crate) fn sliced<T>(
    opts: &Options,
    slice: impl FnOnce() -> Option<(T, slice::Dropped)>,
) -> Option<T> {
    if !opts.slice {
        return None;
    }
    let start = Instant::now();
    let out = slice();
    let (statements, patterns) = out
        .as_ref()
        .map_or((0, 0), |(_, d)| (d.statements, d.patterns));
    tracing::debug!(
        elapsed_us = start.elapsed().as_micros() as u64,
        statements,
        patterns,
        "sliced the query"
    );
    out.map(|(query, _)| query)
}

/// Whether a policy has an Allow statement.
pub(crate) fn has_allow(p: &Policy) -> bool {
    p.statements.iter().any(|s| s.effect == Effect::Allow)
}

pub(crate) struct Built {
    pub goal: F,
    /// (statement index, defined name) of the statements that may be reasons.
    pub candidates: Vec<(usize, String)>,
}

/// Defines each statement's applicability and the policy's decision; returns
/// (allows, the Allow statements' defined names by index).
pub(crate) fn policy_allows<K: Sink>(
    sink: &mut K,
    policy: &Policy,
    tag: &str,
) -> (F, Vec<(usize, String)>) {
    let mut allow = Vec::new();
    let mut deny = Vec::new();
    let mut names = Vec::new();
    for s in &policy.statements {
        let applies = encode::statement_applies(sink, s);
        let name = format!("{tag}_s{}", s.index);
        let effect = match s.effect {
            Effect::Allow => "Allow",
            Effect::Deny => "Deny",
        };
        let comment = format!(
            "{tag} policy, statement {} ({effect}) at {}: applies to the request",
            s.label(),
            s.pointer
        );
        let v = sink.define(&name, &comment, applies);
        match s.effect {
            Effect::Allow => {
                allow.push(v);
                names.push((s.index, name));
            }
            Effect::Deny => deny.push(v),
        }
    }
    let allows = and([or(allow), not(or(deny))]);
    let allows = sink.define(
        &format!("{tag}_allows"),
        &format!("{tag} policy allows the request: some Allow applies and no Deny does"),
        allows,
    );
    (allows, names)
}

/// A side of a check in an authorization context (src/context): `policy` allows and so
/// does every limit (a permissions boundary, each SCP level, the session policies); the
/// evaluator's reading is `eval::allows_within`.
/// Returns (allows, the Allow statements of `policy` by index and defined name).
pub(crate) fn limited_allows<K: Sink>(
    sink: &mut K,
    policy: &Policy,
    limits: &[&Policy],
    tag: &str,
) -> (F, Vec<(usize, String)>) {
    let (allows, candidates) = policy_allows(sink, policy, tag);
    if limits.is_empty() {
        return (allows, candidates);
    }
    let mut parts = vec![allows];
    for (i, l) in limits.iter().enumerate() {
        parts.push(policy_allows(sink, l, &format!("{tag}_limit{i}")).0);
    }
    let all = sink.define(
        &format!("{tag}_context_allows"),
        &format!("{tag}: the policy and every limit (boundary, SCP level, session policies) allow the request"),
        and(parts),
    );
    (all, candidates)
}

/// Reasons name the identity policy and statement a combined context's statement comes
/// from (`New access in the statement with sid: X of `AppPolicy`.`).
pub(crate) fn relabel(result: &mut CheckResult, combined: &crate::context::Combined) {
    for reason in &mut result.reasons {
        let i = reason.statement_index;
        let (Some(label), Some(origin)) = (combined.label(i), combined.origins.get(i)) else {
            continue;
        };
        reason.description = reason
            .description
            .replace(&format!("with index: {i}."), &format!("with {label}."));
        reason.statement_index = origin.index;
        reason.statement_id = origin.sid.clone();
    }
}

/// Facts every request has: identity policies are used by IAM principals, an IAM
/// principal's value is an ARN with an account field, a resource ARN's partition is not
/// empty, and every key the `policies` read
/// holds values of its documented type and is present where AWS documents it always is.
pub(crate) fn request_domain<K: Sink>(
    sink: &mut K,
    policy_type: PolicyType,
    policies: &[&Policy],
) -> F {
    let shape = Pred {
        atoms: vec![encode::arn_atom("arn:*:*:*:*:*")],
        negated: false,
    };
    let arn = sink.forall(
        &Slot {
            var: Var::Principal,
            aws_only: true,
        },
        &shape,
    );
    let caller = match policy_type {
        PolicyType::Identity => sink.kind_is(Some(PrincipalKind::Aws)),
        PolicyType::Resource => term::t(),
    };
    let keys = encode::key_facts(sink, policies);
    // Where a policy names a role session, the caller's value is its role's ARN and the
    // session's name is held apart: no `aws:PrincipalArn` is a session ARN.
    let sessions = if encode::names_sessions(policies) {
        let not_session = Pred {
            atoms: vec![encode::session_arn_atom()],
            negated: true,
        };
        sink.forall(
            &Slot {
                var: Var::Principal,
                aws_only: true,
            },
            &not_session,
        )
    } else {
        term::t()
    };
    // Every ARN names a partition (`aws`, `aws-cn`, ...): no request AWS receives is for
    // `arn::...`, which a pattern with an empty partition field names (the Terraform
    // validator writes `arn::lambda:::function:NAME` for a Lambda permission). Only such
    // a pattern can force a witness there; elsewhere the realistic-values step (realize.rs)
    // picks a partition, so other queries stay as they were.
    let empty_partition = policies.iter().flat_map(|p| &p.statements).any(|s| {
        s.resources
            .as_ref()
            .is_some_and(|r| r.items.iter().any(|x| x.text.starts_with("arn::")))
    });
    let partitioned = if empty_partition {
        sink.forall(
            &Slot::of(Var::Resource),
            &Pred {
                atoms: vec![encode::glob_atom("arn::*")],
                negated: true,
            },
        )
    } else {
        term::t()
    };
    let domain = and([arn, caller, keys, sessions, partitioned]);
    sink.define(
        "domain",
        "every request: an IAM caller's value is an ARN with an account field; identity policies serve IAM callers; each key read holds values of its documented type and is present where AWS documents it always is",
        domain,
    )
}
