//! `check-no-new-access`: does the new policy allow any request the existing one does
//! not? FAIL iff ∃r. allows(new, r) ∧ ¬allows(existing, r) (DESIGN.md §3).

use crate::eval::{self, Request};
use crate::policy::{Policy, PolicyType};
use crate::smt::model::Sink;
use crate::smt::term::{and, not};

use super::{
    Built, CheckError, CheckResult, Options, Spec, has_allow, policy_allows, request_domain, run,
    run_timed, slice, sliced,
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
}

impl Spec for NoNewAccess<'_> {
    fn policies(&self) -> Vec<&Policy> {
        vec![self.new, self.existing]
    }
    fn policy_type(&self) -> PolicyType {
        self.new.policy_type
    }
    fn build<K: Sink>(&self, sink: &mut K) -> Built {
        let domain = request_domain(sink, self.policy_type(), &[self.query.0, self.query.1]);
        let (new_allows, candidates) = policy_allows(sink, self.query.0, "new");
        let (existing_allows, _) = policy_allows(sink, self.query.1, "existing");
        Built {
            goal: and([domain, new_allows, not(existing_allows)]),
            candidates,
        }
    }
    fn confirm(&self, r: &Request) -> Result<(), String> {
        match (eval::allows(self.new, r), eval::allows(self.existing, r)) {
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
        let sliced = sliced(opts, || {
            slice::no_new_access(new, existing).map(|(n, e, dropped)| ((n, e), dropped))
        });
        let query = sliced.as_ref().map_or((new, existing), |(n, e)| (n, e));
        run_timed(
            &NoNewAccess {
                new,
                existing,
                query,
            },
            opts,
        )
    })
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
        },
        opts,
    )
}

/// The self-contained proof script (`unsat` exactly when the check passes).
pub fn proof_script(new: &Policy, existing: &Policy) -> Result<String, crate::smt::Unsupported> {
    super::proof_script_of(&NoNewAccess {
        new,
        existing,
        query: (new, existing),
    })
}
