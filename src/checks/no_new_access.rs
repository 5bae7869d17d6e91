//! `check-no-new-access`: does the new policy allow any request the existing one does
//! not? FAIL iff ∃r. allows(new, r) ∧ ¬allows(existing, r) (DESIGN.md §3).

use super::ladder::Ladder;
use super::{
    Built, CheckError, CheckResult, Run, Spec, decide, has_allow, limited_allows, relabel,
    request_domain, slice, sliced,
};
use crate::context::Combined;
use crate::eval::Request;
use crate::policy::{Policy, PolicyType};
use crate::smt::encode::Sink;
use crate::smt::term::{and, not};

pub const FAIL_MESSAGE: &str =
    "The modified permissions grant new access compared to your existing policy.";
pub const PASS_MESSAGE: &str =
    "The modified permissions do not grant new access compared to your existing policy.";

pub(super) struct NoNewAccess<'a> {
    pub new: &'a Policy,
    pub existing: &'a Policy,
    /// What the query states: the policies themselves, or their slice (slice.rs).
    pub query: (&'a Policy, &'a Policy),
    /// The policies that limit each side in an authorization context (src/context).
    pub limits: (Vec<&'a Policy>, Vec<&'a Policy>),
}

impl Spec for NoNewAccess<'_> {
    fn policies(&self) -> Vec<&Policy> {
        let mut out = vec![self.new, self.existing];
        out.extend(self.limits.0.iter().chain(&self.limits.1));
        out
    }
    fn policy_type(&self) -> PolicyType {
        self.new.policy_type
    }
    fn build<K: Sink>(&self, sink: &mut K) -> Built {
        let mut read = vec![self.query.0, self.query.1];
        read.extend(self.limits.0.iter().chain(&self.limits.1));
        let domain = request_domain(sink, self.policy_type(), &read);
        let (new_allows, candidates) = limited_allows(sink, self.query.0, &self.limits.0, "new");
        let (existing_allows, _) = limited_allows(sink, self.query.1, &self.limits.1, "existing");
        Built {
            goal: and([domain, new_allows, not(existing_allows)]),
            candidates,
        }
    }
    fn confirm(&self, r: &Request) -> Result<(), String> {
        match (
            crate::eval::allows_within(self.new, self.limits.0.iter().copied(), r),
            crate::eval::allows_within(self.existing, self.limits.1.iter().copied(), r),
        ) {
            (true, false) => Ok(()),
            (false, _) => Err("the new policy does not allow it".into()),
            (true, true) => Err("the existing policy allows it too".into()),
        }
    }
    fn reason(&self, label: &str) -> String {
        format!("New access in the statement with {label}.")
    }
    fn messages(&self) -> (&'static str, &'static str) {
        (FAIL_MESSAGE, PASS_MESSAGE)
    }
    fn subject(&self) -> &Policy {
        self.new
    }
    fn vacuous(&self) -> bool {
        !has_allow(self.query.0)
    }
}

/// Runs the check. Both policies must have been parsed as the same policy type.
pub(super) fn check(new: &Policy, existing: &Policy, run: Run) -> Result<CheckResult, CheckError> {
    let replay = |r: &Request| crate::eval::allows(new, r) && !crate::eval::allows(existing, r);
    let ladder = Ladder {
        policies: vec![new, existing],
        policy_type: new.policy_type,
        replay: &replay,
    };
    ladder.climb(
        run,
        Some((new, &[existing], &mut |wider, run| {
            check(wider, existing, run)
        })),
        &mut |sub, pin, run| limited(&sub(new), &sub(existing), (vec![pin], Vec::new()), run),
        |run| limited(new, existing, (Vec::new(), Vec::new()), run),
    )
}

/// The check with limits on either side. Slicing keeps each request's answer, so it
/// applies whenever the existing side has no limits (a limit there can break what
/// makes a new statement "covered"; one on the new side only narrows the requests).
fn limited(
    new: &Policy,
    existing: &Policy,
    limits: (Vec<&Policy>, Vec<&Policy>),
    run: Run,
) -> Result<CheckResult, CheckError> {
    let sliced = sliced(run.opts, || {
        limits
            .1
            .is_empty()
            .then(|| slice::no_new_access(new, existing))
            .flatten()
            .map(|(n, e, dropped)| ((n, e), dropped))
    });
    let query = sliced.as_ref().map_or((new, existing), |(n, e)| (n, e));
    decide(
        &NoNewAccess {
            new,
            existing,
            query,
            limits,
        },
        run,
    )
}

/// The limits of two contexts as the check states them: a limit both sides share can
/// stay on the new side only (where the new side allows, it holds, so the existing
/// side's copy changes nothing). Without limits on the existing side, slicing applies
/// (`limited`); the same principal's context before and after a change shares its pin,
/// SCPs and often its boundary.
fn context_limits<'a>(
    new: &'a Combined,
    existing: &'a Combined,
) -> (Vec<&'a Policy>, Vec<&'a Policy>) {
    let new_limits: Vec<&Policy> = new.limits.iter().map(|(_, p)| p).collect();
    let existing_limits: Vec<&Policy> = existing
        .limits
        .iter()
        .map(|(_, p)| p)
        .filter(|p| !new_limits.iter().any(|n| n.same_rules(p)))
        .collect();
    (new_limits, existing_limits)
}

/// Runs the check over two authorization contexts (src/context): does the new context
/// allow any request the existing one does not? Reasons name the new context's identity
/// policy and statement.
pub(super) fn check_contexts(
    new: &Combined,
    existing: &Combined,
    run: Run,
) -> Result<CheckResult, CheckError> {
    let (new_limits, existing_limits) = context_limits(new, existing);
    let mut all = vec![&new.policy, &existing.policy];
    all.extend(new_limits.iter().chain(&existing_limits));
    let replay = |r: &Request| new.allows(r) && !existing.allows(r);
    let ladder = Ladder {
        policies: all,
        policy_type: new.policy.policy_type,
        replay: &replay,
    };
    let mut result = ladder.climb(
        run,
        None,
        &mut |sub, pin, run| {
            let n: Vec<Policy> = new_limits.iter().map(|p| sub(p)).collect();
            let e: Vec<Policy> = existing_limits.iter().map(|p| sub(p)).collect();
            let mut nl: Vec<&Policy> = n.iter().collect();
            nl.push(pin);
            limited(
                &sub(&new.policy),
                &sub(&existing.policy),
                (nl, e.iter().collect()),
                run,
            )
        },
        |run| {
            limited(
                &new.policy,
                &existing.policy,
                (new_limits.clone(), existing_limits.clone()),
                run,
            )
        },
    )?;
    relabel(&mut result, new);
    Ok(result)
}

/// The whole query, each side with all of its limits (scripts and proof bundles).
pub(super) fn whole<'a>(
    new: &'a Policy,
    existing: &'a Policy,
    new_limits: Vec<&'a Policy>,
    existing_limits: Vec<&'a Policy>,
) -> NoNewAccess<'a> {
    NoNewAccess {
        new,
        existing,
        query: (new, existing),
        limits: (new_limits, existing_limits),
    }
}
