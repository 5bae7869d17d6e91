//! The steps every check takes before the runner, written once:
//! 1. policy variables that only widen what the subject's Allow statements allow are
//!    read as `*` (exact when a counterexample replays on the policies as written);
//! 2. other policy variables are decided case by case on the finitized path
//!    (variables.rs);
//! 3. what is left is one query for the runner.

use super::variables::{self, Case};
use super::{CheckError, CheckResult, Run};
use crate::eval::Request;
use crate::policy::{Policy, PolicyType};

/// A check's query as the ladder sees it.
pub(crate) struct Ladder<'a> {
    /// Every policy the query reads: their variables are split into cases.
    pub policies: Vec<&'a Policy>,
    pub policy_type: PolicyType,
    /// The evaluator's reading of the query on the policies as written.
    pub replay: &'a dyn Fn(&Request) -> bool,
}

/// Step 1: the subject whose widening variables are read as `*`, the other policies of
/// the query (a key they read is kept), and the check run on the widened subject.
pub(crate) type Widen<'a, 'r> = (
    &'a Policy,
    &'a [&'a Policy],
    &'a mut dyn FnMut(&Policy, Run<'r>) -> Result<CheckResult, CheckError>,
);

impl Ladder<'_> {
    /// Climbs the steps: the first that decides answers; `whole` runs the query as it is.
    pub(crate) fn climb<'r>(
        &self,
        run: Run<'r>,
        widen: Option<Widen<'_, 'r>>,
        case: &mut Case<'_, 'r>,
        whole: impl FnOnce(Run<'r>) -> Result<CheckResult, CheckError>,
    ) -> Result<CheckResult, CheckError> {
        if let Some((subject, others, check)) = widen
            && let Some(wider) = variables::eliminate(subject, others)
        {
            let r = check(&wider, run)?;
            if let Some(r) = variables::widened(r, subject, self.replay) {
                return Ok(r);
            }
        }
        if let Some(r) =
            variables::by_cases(&self.policies, self.policy_type, run, case, self.replay)
        {
            return r;
        }
        whole(run)
    }
}
