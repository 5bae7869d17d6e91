//! SMT: solver-agnostic terms, the encoder, two lowerings and the Z3 backend.
//!
//! `encode` turns policies into formulas over an abstract symbolic request; `finite`
//! (default) and `strings` lower them to SMT-LIB; `backend` alone talks to Z3, and `sat`
//! decides finitized scripts natively. `Engine` picks between the two.

pub mod backend;
pub mod encode;
pub mod finite;
pub mod regions;
pub mod sat;
pub mod strings;
pub mod term;

use std::fmt;
use std::time::Instant;

use crate::policy::PrincipalKind;

/// A satisfying assignment (the solver's model) read back by constant name.
pub trait Assignment {
    fn int(&self, name: &str) -> Option<i64>;
    fn bool(&self, name: &str) -> Option<bool>;
    fn string(&self, name: &str) -> Option<String>;
    /// A real as numerator / denominator.
    fn real(&self, name: &str) -> Option<(i64, i64)>;
    /// A bit-vector constant of the given width (the width is part of its identity).
    fn bv(&self, name: &str, width: u32) -> Option<u128>;
}

/// A solver's answer.
pub enum Answer {
    Sat(Box<dyn Assignment>),
    Unsat,
    /// Timeout, resource limit or incompleteness: never a proof.
    Unknown(String),
}

/// Which solver decides a script.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SolverChoice {
    /// The native SAT backend when the script is in its fragment, Z3 otherwise.
    Auto,
    Z3,
}

/// A loaded script, ready for satisfiability checks under assumptions. Each check
/// gets the per-call timeout, cut to what is left before the deadline (one deadline
/// for all of a check's solving); past it, a check answers unknown at once.
pub struct Engine {
    solver: Solver,
    timeout_ms: u32,
    deadline: Option<Instant>,
}

enum Solver {
    Native(Box<sat::Solver>),
    Z3(backend::Solver),
}

impl Engine {
    pub fn load(
        script: &term::Script,
        choice: SolverChoice,
        timeout_ms: u32,
        max_memory_mb: u32,
        deadline: Option<Instant>,
    ) -> Engine {
        let budget = budget(timeout_ms, deadline).max(1);
        let solver = 'solver: {
            if choice == SolverChoice::Auto {
                match sat::Solver::load(script, budget) {
                    Ok(s) => break 'solver Solver::Native(Box::new(s)),
                    Err(sat::NotNative(why)) => {
                        tracing::debug!(%why, "not in the native fragment; using z3");
                    }
                }
            }
            backend::limit_memory(max_memory_mb);
            Solver::Z3(backend::Solver::load(&script.text(), script.logic, budget))
        };
        Engine {
            solver,
            timeout_ms,
            deadline,
        }
    }

    pub fn name(&self) -> &'static str {
        match self.solver {
            Solver::Native(_) => "native",
            Solver::Z3(_) => "z3",
        }
    }

    pub fn check(&mut self, assumptions: &[&str]) -> Answer {
        let ms = budget(self.timeout_ms, self.deadline);
        if ms == 0 {
            return Answer::Unknown("timeout: the check's deadline passed".into());
        }
        match &mut self.solver {
            Solver::Native(s) => {
                s.set_timeout(ms);
                s.check(assumptions)
            }
            Solver::Z3(s) => {
                s.set_timeout(ms);
                s.check(assumptions)
            }
        }
    }
}

/// Milliseconds a solver call may take: the per-call timeout, cut to the time left
/// before the deadline (0 when it has passed).
fn budget(timeout_ms: u32, deadline: Option<Instant>) -> u32 {
    match deadline {
        None => timeout_ms,
        Some(d) => {
            let left = d.saturating_duration_since(Instant::now()).as_millis();
            timeout_ms.min(u32::try_from(left).unwrap_or(u32::MAX))
        }
    }
}

/// A construct an encoding cannot express exactly; the check is then inconclusive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unsupported(pub String);

impl fmt::Display for Unsupported {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unsupported: {}", self.0)
    }
}

impl std::error::Error for Unsupported {}

/// A model that could not be turned into a concrete request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeError {
    /// The model combines facts no single concrete value has (typed views).
    Unrealizable(String),
    Internal(String),
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::Unrealizable(s) => {
                write!(f, "no concrete request realizes the model: {s}")
            }
            DecodeError::Internal(s) => write!(f, "internal: {s}"),
        }
    }
}

/// Declares the caller's kind `pkind` (shared by both lowerings).
pub fn declare_principal_kind(script: &mut term::Script) {
    script.declare("pkind", term::Sort::Int);
    script.assert(
        "principal kind: 0 anonymous, 1 AWS, 2 Service, 3 Federated, 4 CanonicalUser",
        term::int_range("pkind", 0, 4),
    );
}

/// The integer code of a principal kind (`None`: anonymous).
pub fn kind_code(kind: Option<PrincipalKind>) -> i64 {
    match kind {
        None => 0,
        Some(PrincipalKind::Aws) => 1,
        Some(PrincipalKind::Service) => 2,
        Some(PrincipalKind::Federated) => 3,
        Some(PrincipalKind::CanonicalUser) => 4,
    }
}

pub fn kind_from_code(code: i64) -> Option<PrincipalKind> {
    match code {
        1 => Some(PrincipalKind::Aws),
        2 => Some(PrincipalKind::Service),
        3 => Some(PrincipalKind::Federated),
        4 => Some(PrincipalKind::CanonicalUser),
        _ => None,
    }
}

#[cfg(test)]
mod deadline_tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_call_gets_what_is_left_of_the_deadline() {
        let now = Instant::now();
        assert_eq!(budget(10_000, None), 10_000);
        assert_eq!(budget(10, Some(now + Duration::from_secs(60))), 10);
        assert!(budget(10_000, Some(now + Duration::from_millis(50))) <= 50);
        assert_eq!(budget(10_000, now.checked_sub(Duration::from_millis(1))), 0);
    }
}
