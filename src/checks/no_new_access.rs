//! `check-no-new-access`: does the new policy allow any request the existing one does
//! not? FAIL iff ∃r. allows(new, r) ∧ ¬allows(existing, r) (DESIGN.md §3).

use crate::eval::Request;
use crate::policy::{Policy, PolicyType};
use crate::smt::model::Sink;
use crate::smt::term::{and, not};

use super::{
    Built, CheckError, CheckResult, Options, Spec, has_allow, limited_allows, limits_allow,
    relabel, request_domain, run, run_timed, slice, sliced,
};

pub const FAIL_MESSAGE: &str =
    "The modified permissions grant new access compared to your existing policy.";
pub const PASS_MESSAGE: &str =
    "The modified permissions do not grant new access compared to your existing policy.";

pub struct NoNewAccess<'a> {
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
            limits_allow(self.new, &self.limits.0, r),
            limits_allow(self.existing, &self.limits.1, r),
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
pub fn check(new: &Policy, existing: &Policy, opts: &Options) -> Result<CheckResult, CheckError> {
    run(opts, || {
        if let Some(wider) = super::cases::eliminate(new, &[existing]) {
            // Exact: the new policy allows the same requests for some value of them.
            let r = check(&wider, existing, opts)?;
            let replay = |x: &crate::eval::Request| {
                crate::eval::allows(new, x) && !crate::eval::allows(existing, x)
            };
            if let Some(r) = super::cases::widened(r, new, &replay) {
                return Ok(r);
            }
        }
        if let Some(r) = super::cases::by_cases(
            &[new, existing],
            new.policy_type,
            &mut |sub, pin| limited(&sub(new), &sub(existing), (vec![pin], Vec::new()), opts),
            &|r| crate::eval::allows(new, r) && !crate::eval::allows(existing, r),
        ) {
            return r;
        }
        limited(new, existing, (Vec::new(), Vec::new()), opts)
    })
}

/// The check with limits on either side. Slicing keeps each request's answer, so it
/// applies whenever the existing side has no limits (a limit there can break what
/// makes a new statement "covered"; one on the new side only narrows the requests).
fn limited(
    new: &Policy,
    existing: &Policy,
    limits: (Vec<&Policy>, Vec<&Policy>),
    opts: &Options,
) -> Result<CheckResult, CheckError> {
    let sliced = sliced(opts, || {
        limits
            .1
            .is_empty()
            .then(|| slice::no_new_access(new, existing))
            .flatten()
            .map(|(n, e, dropped)| ((n, e), dropped))
    });
    let query = sliced.as_ref().map_or((new, existing), |(n, e)| (n, e));
    run_timed(
        &NoNewAccess {
            new,
            existing,
            query,
            limits,
        },
        opts,
    )
}

/// Runs the check over two authorization contexts (src/context): does the new context
/// allow any request the existing one does not? Reasons name the new context's identity
/// policy and statement.
pub fn check_contexts(
    new: &crate::context::Combined,
    existing: &crate::context::Combined,
    opts: &Options,
) -> Result<CheckResult, CheckError> {
    let new_limits: Vec<&Policy> = new.limits.iter().map(|(_, p)| p).collect();
    // A limit both sides share can stay on the new side only: where the new side
    // allows, it holds, so the existing side's copy changes nothing. Without limits on
    // the existing side, slicing applies (`limited`); the same principal's context
    // before and after a change shares its pin, SCPs and often its boundary.
    let existing_limits: Vec<&Policy> = existing
        .limits
        .iter()
        .map(|(_, p)| p)
        .filter(|p| !new_limits.iter().any(|n| n.same_rules(p)))
        .collect();
    let mut all = vec![&new.policy, &existing.policy];
    all.extend(new_limits.iter().chain(&existing_limits));
    let mut result = run(opts, || {
        if let Some(r) = super::cases::by_cases(
            &all,
            new.policy.policy_type,
            &mut |sub, pin| {
                let n: Vec<Policy> = new_limits.iter().map(|p| sub(p)).collect();
                let e: Vec<Policy> = existing_limits.iter().map(|p| sub(p)).collect();
                let mut nl: Vec<&Policy> = n.iter().collect();
                nl.push(pin);
                limited(
                    &sub(&new.policy),
                    &sub(&existing.policy),
                    (nl, e.iter().collect()),
                    opts,
                )
            },
            &|r| new.allows(r) && !existing.allows(r),
        ) {
            return r;
        }
        limited(
            &new.policy,
            &existing.policy,
            (new_limits.clone(), existing_limits.clone()),
            opts,
        )
    })?;
    relabel(&mut result, new);
    Ok(result)
}

/// The SMT-LIB script the check solves.
pub fn script(
    new: &Policy,
    existing: &Policy,
    opts: &Options,
) -> Result<String, crate::smt::Unsupported> {
    super::script_of(
        &NoNewAccess {
            new,
            existing,
            query: (new, existing),
            limits: (Vec::new(), Vec::new()),
        },
        opts,
    )
}

/// The self-contained proof script of [`check_contexts`] (`unsat` exactly when it
/// passes).
pub fn proof_script_contexts(
    new: &crate::context::Combined,
    existing: &crate::context::Combined,
) -> Result<String, crate::smt::Unsupported> {
    super::proof_script_of(&NoNewAccess {
        new: &new.policy,
        existing: &existing.policy,
        query: (&new.policy, &existing.policy),
        limits: (
            new.limits.iter().map(|(_, p)| p).collect(),
            existing.limits.iter().map(|(_, p)| p).collect(),
        ),
    })
}

/// The self-contained proof script (`unsat` exactly when the check passes).
pub fn proof_script(new: &Policy, existing: &Policy) -> Result<String, crate::smt::Unsupported> {
    super::proof_script_of(&NoNewAccess {
        new,
        existing,
        query: (new, existing),
        limits: (Vec::new(), Vec::new()),
    })
}
