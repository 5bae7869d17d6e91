//! The Z3 backend — the only module that imports `z3`. It loads an SMT-LIB script,
//! answers satisfiability under assumptions with a timeout, and reads model values.

use z3::ast::{BV, Bool, Int, Real, String as ZString};
use z3::{Params, SatResult};

use super::term::decode_model_string;
use super::{Answer, ModelView};

pub struct Solver {
    solver: z3::Solver,
}

impl Solver {
    /// Loads a script (declarations and assertions only) with a per-check timeout,
    /// into a solver tuned for the script's logic.
    pub fn load(script: &str, logic: &str, timeout_ms: u32) -> Solver {
        let solver = match logic {
            "ALL" => z3::Solver::new(),
            other => z3::Solver::new_for_logic(other).unwrap_or_default(),
        };
        let mut params = Params::new();
        params.set_u32("timeout", timeout_ms.max(1));
        solver.set_params(&params);
        solver.from_string(script.replace('\0', ""));
        Solver { solver }
    }

    /// Satisfiability of the loaded assertions plus the named Boolean assumptions.
    pub fn check(&self, assumptions: &[&str]) -> Answer {
        let lits: Vec<Bool> = assumptions.iter().map(|a| Bool::new_const(*a)).collect();
        match self.solver.check_assumptions(&lits) {
            SatResult::Sat => match self.solver.get_model() {
                Some(m) => Answer::Sat(Box::new(Model(m))),
                None => Answer::Unknown("the solver reported sat without a model".into()),
            },
            SatResult::Unsat => Answer::Unsat,
            SatResult::Unknown => Answer::Unknown(
                self.solver
                    .get_reason_unknown()
                    .unwrap_or_else(|| "unknown".into()),
            ),
        }
    }
}

/// The smallest memory limit accepted: below it Z3 cannot even create a context.
pub const MIN_MEMORY_MB: u32 = 64;

/// Caps Z3's memory (process-wide); a query that reaches it answers unknown. Z3's global
/// parameters are shared by every thread, so they change only under a lock and only when
/// the value differs (in practice once per process).
pub fn limit_memory(mb: u32) {
    static CURRENT: std::sync::Mutex<Option<u32>> = std::sync::Mutex::new(None);
    let mb = mb.max(MIN_MEMORY_MB);
    let mut current = CURRENT
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if *current != Some(mb) {
        z3::set_global_param("memory_max_size", &mb.to_string());
        *current = Some(mb);
    }
}

/// The Z3 library version, for reports.
pub fn version() -> String {
    z3::full_version().to_string()
}

pub struct Model(z3::Model);

impl ModelView for Model {
    fn int(&self, name: &str) -> Option<i64> {
        self.0.eval(&Int::new_const(name), true)?.as_i64()
    }
    fn bool(&self, name: &str) -> Option<bool> {
        self.0.eval(&Bool::new_const(name), true)?.as_bool()
    }
    fn string(&self, name: &str) -> Option<String> {
        let var = ZString::new_const(name);
        let raw = self.0.eval(&var, true)?.as_string()?;
        // Z3 escapes characters outside printable ASCII as `\u{..}` but leaves a
        // backslash raw; the length tells which reading is the value.
        let len = self.0.eval(&var.length(), true)?.as_u64()? as usize;
        let decoded = decode_model_string(&raw);
        if decoded.chars().count() == len {
            Some(decoded)
        } else if raw.chars().count() == len {
            Some(raw)
        } else {
            None
        }
    }
    fn real(&self, name: &str) -> Option<(i64, i64)> {
        self.0.eval(&Real::new_const(name), true)?.as_rational()
    }
    fn bv(&self, name: &str, width: u32) -> Option<u128> {
        let v = self.0.eval(&BV::new_const(name, width), true)?;
        if let Some(u) = v.as_u64() {
            return Some(u as u128);
        }
        let text = v.to_string();
        if let Some(hex) = text.strip_prefix("#x") {
            return u128::from_str_radix(hex, 16).ok();
        }
        text.strip_prefix("#b")
            .and_then(|bin| u128::from_str_radix(bin, 2).ok())
    }
}
