//! The three custom policy checks behind one facade: a [`Check`] names a check with its
//! inputs, [`run`] decides it under [`Options`], and the [`Outcome`] is a PASS (a
//! proof), a FAIL with a counterexample the evaluator confirmed, or inconclusive.
//!
//! Inside, each check is a `Spec` (its query, its concrete reading, its reasons); the
//! ladder (ladder.rs) reads policy variables away or splits them into cases; lowering.rs
//! states each query in SMT (finitized by default, strings where that does not apply);
//! the runner (runner.rs) solves it, turns an assignment into a concrete counterexample
//! (counterexample.rs, realize.rs), replays that through the evaluator, and computes
//! AWS-style reasons. A `Run` (lowering.rs) carries the deadline and the runner's
//! switches down explicitly.

mod access_not_granted;
pub mod callers;
mod concrete;
mod counterexample;
mod ladder;
mod lowering;
mod no_new_access;
mod no_public_access;
mod query;
mod realize;
mod response;
mod runner;
mod slice;
mod variables;

pub use crate::smt::SolverChoice;
pub use access_not_granted::{
    Access, AccessError, is_listed, validate as validate_access, validate_known,
};
pub use concrete::{encoded_allows, within_model};
pub use no_public_access::{
    RESOURCE_TYPES, ResourceTypeError, anonymous_lacks, is_untrusted, validate_resource_type,
};
pub use realize::{filled_format, is_known_action};

pub(crate) use concrete::{Concrete, concrete_truth, missing_keys};
pub(crate) use lowering::Run;
pub(crate) use query::{
    Built, has_allow, limited_allows, policy_allows, relabel, request_domain, sliced,
};
pub(crate) use runner::{decide, proof_script_of, script_of};

use std::time::Instant;

use thiserror::Error;
use tracing::info;

use crate::context::Combined;
use crate::eval::Request;
use crate::policy::{Policy, PolicyType};
use crate::smt::Unsupported;
use crate::smt::encode::Sink;

/// A check with its inputs: what the CLI, batch runs, templates, account runs, the
/// server and proof bundles ask.
#[derive(Debug, Clone, Copy)]
pub enum Check<'a> {
    /// `check-no-new-access` of two policies parsed as the same policy type.
    NoNewAccess {
        new: &'a Policy,
        existing: &'a Policy,
    },
    /// `check-no-new-access` of two principals' authorization contexts (src/context);
    /// reasons name the new context's identity policy and statement.
    NoNewAccessContexts {
        new: &'a Combined,
        existing: &'a Combined,
    },
    /// `check-access-not-granted` of a policy for an access list.
    AccessNotGranted {
        policy: &'a Policy,
        access: &'a [Access],
    },
    /// `check-access-not-granted` of an authorization context.
    AccessNotGrantedContext {
        context: &'a Combined,
        access: &'a [Access],
    },
    /// `check-no-public-access` of a resource policy of one of AWS's resource types.
    NoPublicAccess {
        policy: &'a Policy,
        resource_type: &'a str,
    },
}

/// The three checks, without their inputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    NoNewAccess,
    AccessNotGranted,
    NoPublicAccess,
}

impl Kind {
    /// The check's name as AWS's CLI spells it.
    pub fn name(self) -> &'static str {
        match self {
            Kind::NoNewAccess => "check-no-new-access",
            Kind::AccessNotGranted => "check-access-not-granted",
            Kind::NoPublicAccess => "check-no-public-access",
        }
    }

    pub fn from_name(s: &str) -> Option<Kind> {
        [
            Kind::NoNewAccess,
            Kind::AccessNotGranted,
            Kind::NoPublicAccess,
        ]
        .into_iter()
        .find(|k| k.name() == s)
    }
}

impl Check<'_> {
    pub fn kind(&self) -> Kind {
        match self {
            Check::NoNewAccess { .. } | Check::NoNewAccessContexts { .. } => Kind::NoNewAccess,
            Check::AccessNotGranted { .. } | Check::AccessNotGrantedContext { .. } => {
                Kind::AccessNotGranted
            }
            Check::NoPublicAccess { .. } => Kind::NoPublicAccess,
        }
    }

    /// The check's inputs as AWS's request names them (policy sets: hornbeam's names).
    pub fn input_names(&self) -> &'static [&'static str] {
        match self {
            Check::NoNewAccess { .. } => &["newPolicyDocument", "existingPolicyDocument"],
            Check::NoNewAccessContexts { .. } => &["newPolicySet", "existingPolicySet"],
            Check::AccessNotGranted { .. } | Check::NoPublicAccess { .. } => &["policyDocument"],
            Check::AccessNotGrantedContext { .. } => &["policySet"],
        }
    }

    /// The SMT-LIB script the check solves first (never one whose action regions are
    /// sampled).
    pub fn script(&self, opts: &Options) -> Result<String, CheckError> {
        self.whole_query(Some(opts))
    }

    /// The self-contained proof script: the plain strings encoding ending in
    /// `(check-sat)`, which answers `unsat` exactly when the check passes.
    pub fn proof_script(&self) -> Result<String, CheckError> {
        self.whole_query(None)
    }

    /// The whole query (no slicing, no case split) as a script: the lowering `opts`
    /// asks for, or the proof script without them.
    fn whole_query(&self, opts: Option<&Options>) -> Result<String, CheckError> {
        fn emit(spec: &impl Spec, opts: Option<&Options>) -> Result<String, CheckError> {
            Ok(match opts {
                Some(opts) => script_of(spec, opts)?,
                None => proof_script_of(spec)?,
            })
        }
        match *self {
            Check::NoNewAccess { new, existing } => emit(
                &no_new_access::whole(new, existing, Vec::new(), Vec::new()),
                opts,
            ),
            Check::NoNewAccessContexts { new, existing } => {
                let spec = no_new_access::whole(
                    &new.policy,
                    &existing.policy,
                    new.limits.iter().map(|(_, p)| p).collect(),
                    existing.limits.iter().map(|(_, p)| p).collect(),
                );
                emit(&spec, opts)
            }
            Check::AccessNotGranted { policy, access } => {
                emit(&access_not_granted::whole(policy, &[], access)?, opts)
            }
            Check::AccessNotGrantedContext { context, access } => {
                let limits: Vec<&Policy> = context.limits.iter().map(|(_, p)| p).collect();
                emit(
                    &access_not_granted::whole(&context.policy, &limits, access)?,
                    opts,
                )
            }
            Check::NoPublicAccess {
                policy,
                resource_type,
            } => {
                validate_resource_type(resource_type)?;
                emit(&no_public_access::NoPublicAccess::new(policy), opts)
            }
        }
    }
}

/// Decides a check. Its solving (the verdict, reasons, realistic values, expanded
/// actions) shares one deadline, `opts.timeout_ms` from now; the whole time is logged
/// (the benchmark compares encodings by this line).
pub fn run(check: &Check, opts: &Options) -> Result<Outcome, CheckError> {
    let start = Instant::now();
    let run = Run::start(opts);
    let result = match *check {
        Check::NoNewAccess { new, existing } => no_new_access::check(new, existing, run),
        Check::NoNewAccessContexts { new, existing } => {
            no_new_access::check_contexts(new, existing, run)
        }
        Check::AccessNotGranted { policy, access } => {
            access_not_granted::check(policy, access, run)
        }
        Check::AccessNotGrantedContext { context, access } => {
            access_not_granted::check_context(context, access, run)
        }
        Check::NoPublicAccess {
            policy,
            resource_type,
        } => {
            validate_resource_type(resource_type)?;
            no_public_access::check(policy, run)
        }
    };
    info!(
        elapsed_us = start.elapsed().as_micros() as u64,
        encoding = ?opts.encoding,
        "checked"
    );
    result?.outcome()
}

/// What a check found.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// No request has the property: a proof.
    Pass { message: String, how: How },
    /// A request has it; the evaluator confirmed the counterexample.
    Fail(Box<Failure>),
    /// The analysis could not decide (a timeout, a construct no encoding takes): never
    /// a PASS, and reported as AWS's FAIL.
    Inconclusive {
        message: String,
        why: String,
        how: How,
    },
}

/// A decided FAIL.
#[derive(Debug, Clone)]
pub struct Failure {
    pub message: String,
    /// AWS-style reasons: the statements that grant what the check is about.
    pub reasons: Vec<Reason>,
    /// A concrete request AWS could receive, confirmed by the evaluator.
    pub counterexample: Request,
    /// With `expand_actions`: the known actions the FAIL is about.
    pub expanded_actions: Option<Expansion>,
    pub how: How,
}

/// How a check was decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct How {
    /// `finite` or `strings`: the encoding that answered; `none` when no encoding did
    /// (slicing left no Allow statement in the query, or the policy uses a construct no
    /// encoding takes).
    pub encoding: &'static str,
    /// Why the finitized encoding was not used, when it was asked for.
    pub fallback: Option<String>,
}

impl Outcome {
    /// AWS's two-valued result: an inconclusive analysis is a FAIL.
    pub fn verdict(&self) -> Verdict {
        match self {
            Outcome::Pass { .. } => Verdict::Pass,
            Outcome::Fail(_) | Outcome::Inconclusive { .. } => Verdict::Fail,
        }
    }

    pub fn is_pass(&self) -> bool {
        matches!(self, Outcome::Pass { .. })
    }

    /// AWS's message for the result.
    pub fn message(&self) -> &str {
        match self {
            Outcome::Pass { message, .. } | Outcome::Inconclusive { message, .. } => message,
            Outcome::Fail(f) => &f.message,
        }
    }

    /// Why the analysis could not decide, when it could not.
    pub fn inconclusive(&self) -> Option<&str> {
        match self {
            Outcome::Inconclusive { why, .. } => Some(why),
            _ => None,
        }
    }

    pub fn counterexample(&self) -> Option<&Request> {
        match self {
            Outcome::Fail(f) => Some(&f.counterexample),
            _ => None,
        }
    }

    pub fn reasons(&self) -> &[Reason] {
        match self {
            Outcome::Fail(f) => &f.reasons,
            _ => &[],
        }
    }

    pub fn expanded_actions(&self) -> Option<&Expansion> {
        match self {
            Outcome::Fail(f) => f.expanded_actions.as_ref(),
            _ => None,
        }
    }

    pub fn how(&self) -> &How {
        match self {
            Outcome::Pass { how, .. } | Outcome::Inconclusive { how, .. } => how,
            Outcome::Fail(f) => &f.how,
        }
    }

    /// The encoding that answered (`finite`, `strings` or `none`).
    pub fn encoding(&self) -> &'static str {
        self.how().encoding
    }

    /// Why the finitized encoding was not used, when it was asked for.
    pub fn fallback(&self) -> Option<&str> {
        self.how().fallback.as_deref()
    }
}

/// Which string encoding to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// Finitized regions (DESIGN.md §4); the strings encoding takes over where it does
    /// not apply (policy variables, exploration budget).
    Finite,
    /// Plain SMT strings and regular expressions.
    Strings,
}

#[derive(Debug, Clone)]
pub struct Options {
    pub encoding: Encoding,
    /// All of a check's solving (the verdict, reasons, realistic values, expanded
    /// actions): one deadline from the check's start; reaching it is inconclusive.
    pub timeout_ms: u32,
    /// Product-automaton states explored per variable before falling back to strings.
    pub max_states: usize,
    /// Z3's memory limit in MB; exceeding it makes the result inconclusive.
    pub max_memory_mb: u32,
    /// Compute AWS-style reasons for a FAIL (up to one solver call per Allow statement).
    pub reasons: bool,
    /// Native SAT for finitized scripts (`Auto`), or Z3 for everything.
    pub solver: SolverChoice,
    /// On FAIL, list the known actions (src/actions) for which the check fails.
    pub expand_actions: bool,
    /// Leave out of the query the statements and action patterns that cannot change its
    /// answer (slice.rs); off, the whole policies are encoded.
    pub slice: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            encoding: Encoding::Finite,
            timeout_ms: 10_000,
            max_states: 200_000,
            max_memory_mb: 2_048,
            reasons: true,
            solver: SolverChoice::Auto,
            expand_actions: false,
            slice: true,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Pass,
    Fail,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reason {
    pub description: String,
    pub statement_index: usize,
    pub statement_id: Option<String>,
}

/// The runner's record of one decided query, before it is an [`Outcome`]: the steps
/// in between (variables, contexts) rewrite its counterexample and reasons.
#[derive(Debug, Clone)]
pub(crate) struct CheckResult {
    pub result: Verdict,
    pub message: String,
    pub reasons: Vec<Reason>,
    /// A concrete request, confirmed by the evaluator, for every decided FAIL.
    pub counterexample: Option<Request>,
    /// Set when the analysis could not decide (the result is then FAIL, never PASS).
    pub inconclusive: Option<String>,
    /// `finite` or `strings`: the encoding that answered; `none` when no encoding did
    /// (slicing left no Allow statement in the query, or the policy uses a construct no
    /// encoding takes).
    pub encoding: &'static str,
    /// Why the finitized encoding was not used, when it was asked for.
    pub fallback: Option<String>,
    /// With `expand_actions`, on a decided FAIL: the known actions it is about.
    pub expanded_actions: Option<Expansion>,
}

/// The known actions for which a check fails, each confirmed by the evaluator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expansion {
    pub actions: Vec<crate::actions::KnownAction>,
    /// Why the list may be missing actions (a region the solver could not decide).
    pub incomplete: Option<String>,
}

impl CheckResult {
    /// The record as an outcome; a decided FAIL always has its counterexample.
    fn outcome(self) -> Result<Outcome, CheckError> {
        let how = How {
            encoding: self.encoding,
            fallback: self.fallback,
        };
        Ok(
            match (self.result, self.inconclusive, self.counterexample) {
                (Verdict::Pass, None, _) => Outcome::Pass {
                    message: self.message,
                    how,
                },
                (_, Some(why), _) => Outcome::Inconclusive {
                    message: self.message,
                    why,
                    how,
                },
                (Verdict::Fail, None, Some(counterexample)) => Outcome::Fail(Box::new(Failure {
                    message: self.message,
                    reasons: self.reasons,
                    counterexample,
                    expanded_actions: self.expanded_actions,
                    how,
                })),
                (Verdict::Fail, None, None) => {
                    return Err(CheckError::Internal(
                        "a FAIL without a counterexample".into(),
                    ));
                }
            },
        )
    }
}

/// Why a check could not be run: its inputs are not ones it takes, or a bug.
#[derive(Debug, Error)]
pub enum CheckError {
    /// The access list of `check-access-not-granted` cannot be checked.
    #[error(transparent)]
    Access(#[from] AccessError),
    /// Not one of AWS's resource types.
    #[error(transparent)]
    ResourceType(#[from] ResourceTypeError),
    /// A script was asked of a query no encoding states.
    #[error("the policy uses a construct no encoding states: {0}")]
    Unsupported(#[from] Unsupported),
    /// A bug: the solver's counterexample is not one for the evaluator.
    #[error("internal error: {0}")]
    Internal(String),
}

/// What each check supplies to the runner.
pub(crate) trait Spec {
    fn policies(&self) -> Vec<&Policy>;
    fn policy_type(&self) -> PolicyType;
    /// Asserts the query in `sink` and returns the goal with the candidate reason
    /// statements (index in the analysed policy, defined name).
    fn build<K: Sink>(&self, sink: &mut K) -> Built;
    /// Confirms a counterexample independently of the encoding.
    fn confirm(&self, r: &Request) -> Result<(), String>;
    /// The reason description for one statement label (`index: 3` / `sid: X`).
    fn reason(&self, label: &str) -> String;
    fn messages(&self) -> (&'static str, &'static str);
    /// The analysed policy whose statements are reasons.
    fn subject(&self) -> &Policy;
    /// Whether the query is unsatisfiable before it is encoded: no Allow statement is
    /// left in it, so it allows nothing.
    fn vacuous(&self) -> bool {
        false
    }
}
