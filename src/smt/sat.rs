//! A native backend for the finitized encoding: its scripts are Booleans plus integers
//! with asserted bounds, which this module turns into CNF (order encoding for the
//! integers, Tseitin for the connectives) and hands to the pure-Rust CDCL solver
//! `batsat`. It answers in microseconds where a Z3 process needs ~13 ms just to create
//! its first context. Scripts outside that fragment are refused and go to Z3.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use batsat::{BasicCallbacks, BasicSolver, Lit, SolverInterface, SolverOpts, lbool};

use super::term::{F, Script, Sort};
use super::{Answer, Assignment};
use crate::policy::Cmp;

/// The largest integer domain translated (larger ones go to Z3).
const MAX_DOMAIN: i64 = 1 << 20;

/// An integer `lo..=hi` in order encoding: `ge[i]` is `x >= lo + 1 + i`.
struct IntVar {
    lo: i64,
    hi: i64,
    ge: Vec<Lit>,
}

pub struct Solver {
    sat: BasicSolver,
    truth: Lit,
    bools: HashMap<String, Lit>,
    ints: HashMap<String, IntVar>,
    eqs: HashMap<(String, i64), Lit>,
    timeout: Duration,
    /// Unsatisfiable already while clauses were added.
    trivially_unsat: bool,
}

/// Why a script is not in the native fragment.
#[derive(Debug)]
pub struct NotNative(pub String);

impl Solver {
    /// Translates a script; `Err` when it uses anything but Booleans and bounded integers.
    pub fn load(script: &Script, timeout_ms: u32) -> Result<Solver, NotNative> {
        let begin = Instant::now();
        let bounds = int_bounds(script)?;
        // Basic conflict minimization and no phase saving: the order encoding's long
        // chains of binary clauses make deep minimization walk them on every conflict,
        // and saved phases keep re-entering the region just refuted. On the
        // 200-statement benchmark the searches took 10-12 ms with minisat's defaults and
        // 0.8-5 ms with these; no generated case got slower (bench: sum of searches).
        let opts = SolverOpts {
            ccmin_mode: 1,
            phase_saving: 0,
            ..SolverOpts::default()
        };
        let mut sat = BasicSolver::new(opts, BasicCallbacks::new());
        let truth = Lit::new(sat.new_var_default(), true);
        let mut me = Solver {
            truth,
            sat,
            bools: HashMap::new(),
            ints: HashMap::new(),
            eqs: HashMap::new(),
            timeout: Duration::from_millis(u64::from(timeout_ms.max(1))),
            trivially_unsat: false,
        };
        me.clause(vec![truth]);
        // Booleans a top-level `(= name term)` defines (statement flags, `domain`, region
        // flags) are gates too: never decided on. The 200-statement case made 37,014
        // decisions for 168 conflicts when every defined name was a decision.
        let defined: std::collections::HashSet<&str> = script
            .assertions()
            .iter()
            .filter_map(|(_, t)| match t {
                F::Iff(a, _) => match a.as_ref() {
                    F::Var(n) => Some(n.as_str()),
                    _ => None,
                },
                _ => None,
            })
            .collect();
        for (name, sort) in script.decls() {
            match sort {
                Sort::Bool => {
                    let l = if defined.contains(name.as_str()) {
                        me.gate()
                    } else {
                        me.fresh()
                    };
                    me.bools.insert(name.clone(), l);
                }
                Sort::Int => {
                    let (lo, hi) = bounds[name.as_str()];
                    let ge: Vec<Lit> = (lo..hi).map(|_| me.fresh()).collect();
                    for w in ge.windows(2) {
                        // x >= v+1 implies x >= v
                        me.clause(vec![!w[1], w[0]]);
                    }
                    me.ints.insert(name.clone(), IntVar { lo, hi, ge });
                }
                other => return Err(NotNative(format!("a {other:?} constant `{name}`"))),
            }
        }
        let start = Instant::now();
        for (_, term) in script.assertions() {
            me.assert(term)?;
        }
        tracing::debug!(
            elapsed_us = start.elapsed().as_micros() as u64,
            vars = me.sat.num_vars(),
            clauses = me.sat.num_clauses(),
            total_us = begin.elapsed().as_micros() as u64,
            "translated to CNF"
        );
        Ok(me)
    }

    fn fresh(&mut self) -> Lit {
        Lit::new(self.sat.new_var_default(), true)
    }

    /// The output of a Tseitin gate: never decided on, since its clauses define it in
    /// both directions and propagation sets it once its inputs are set.
    fn gate(&mut self) -> Lit {
        Lit::new(self.sat.new_var(lbool::UNDEF, false), true)
    }

    fn clause(&mut self, mut lits: Vec<Lit>) {
        if !self.sat.add_clause_reuse(&mut lits) {
            self.trivially_unsat = true;
        }
    }

    /// Asserts a top-level term: conjunctions become several clauses, a disjunction one.
    fn assert(&mut self, term: &F) -> Result<(), NotNative> {
        match term {
            F::And(items) => items.iter().try_for_each(|i| self.assert(i)),
            F::Or(items) => {
                let lits = items
                    .iter()
                    .map(|i| self.lit(i))
                    .collect::<Result<_, _>>()?;
                self.clause(lits);
                Ok(())
            }
            other => {
                let l = self.lit(other)?;
                self.clause(vec![l]);
                Ok(())
            }
        }
    }

    fn lit_of_bool(&self, name: &str) -> Result<Lit, NotNative> {
        self.bools
            .get(name)
            .copied()
            .ok_or_else(|| NotNative(format!("an undeclared Boolean `{name}`")))
    }

    /// The literal `x >= v`.
    fn ge(&self, name: &str, v: i64) -> Result<Lit, NotNative> {
        let x = self
            .ints
            .get(name)
            .ok_or_else(|| NotNative(format!("an undeclared integer `{name}`")))?;
        Ok(if v <= x.lo {
            self.truth
        } else if v > x.hi {
            !self.truth
        } else {
            x.ge[(v - x.lo - 1) as usize]
        })
    }

    /// The literal `x = v`, shared between its uses.
    fn eq(&mut self, name: &str, v: i64) -> Result<Lit, NotNative> {
        if let Some(l) = self.eqs.get(&(name.to_string(), v)) {
            return Ok(*l);
        }
        let (a, b) = (self.ge(name, v)?, !self.ge(name, v.saturating_add(1))?);
        let l = self.and_lits(&[a, b]);
        self.eqs.insert((name.to_string(), v), l);
        Ok(l)
    }

    fn and_lits(&mut self, lits: &[Lit]) -> Lit {
        let out = self.gate();
        let mut back = vec![out];
        for &l in lits {
            self.clause(vec![!out, l]);
            back.push(!l);
        }
        self.clause(back);
        out
    }

    /// A literal equivalent to the term (Tseitin).
    fn lit(&mut self, term: &F) -> Result<Lit, NotNative> {
        Ok(match term {
            F::Const(true) => self.truth,
            F::Const(false) => !self.truth,
            F::Var(name) => self.lit_of_bool(name)?,
            F::Not(inner) => !self.lit(inner)?,
            F::And(items) => {
                let lits: Vec<Lit> = items
                    .iter()
                    .map(|i| self.lit(i))
                    .collect::<Result<_, _>>()?;
                self.and_lits(&lits)
            }
            F::Or(items) => {
                let lits: Vec<Lit> = items
                    .iter()
                    .map(|i| self.lit(i).map(|l| !l))
                    .collect::<Result<_, _>>()?;
                !self.and_lits(&lits)
            }
            F::Iff(a, b) => {
                let (a, b) = (self.lit(a)?, self.lit(b)?);
                let out = self.gate();
                self.clause(vec![!out, !a, b]);
                self.clause(vec![!out, a, !b]);
                self.clause(vec![out, a, b]);
                self.clause(vec![out, !a, !b]);
                out
            }
            F::IntCmp(name, cmp, v) => match cmp {
                Cmp::Ge => self.ge(name, *v)?,
                Cmp::Gt => self.ge(name, v.saturating_add(1))?,
                Cmp::Lt => !self.ge(name, *v)?,
                Cmp::Le => !self.ge(name, v.saturating_add(1))?,
                Cmp::Eq => self.eq(name, *v)?,
            },
            other => {
                let text = other.smt();
                let shown: String = text.chars().take(60).collect();
                return Err(NotNative(format!("the term `{shown}`")));
            }
        })
    }

    /// Satisfiability of the assertions plus the named Boolean assumptions.
    /// The timeout of the next checks.
    pub fn set_timeout(&mut self, timeout_ms: u32) {
        self.timeout = Duration::from_millis(u64::from(timeout_ms.max(1)));
    }

    pub fn check(&mut self, assumptions: &[&str]) -> Answer {
        if self.trivially_unsat {
            return Answer::Unsat;
        }
        let mut lits = Vec::with_capacity(assumptions.len());
        for a in assumptions {
            match self.bools.get(*a) {
                Some(l) => lits.push(*l),
                None => return Answer::Unknown(format!("unknown assumption `{a}`")),
            }
        }
        let deadline = Instant::now() + self.timeout;
        self.sat
            .cb_mut()
            .set_stop(move || Instant::now() > deadline);
        let start = Instant::now();
        let result = self.sat.solve_limited(&lits);
        tracing::debug!(
            elapsed_us = start.elapsed().as_micros() as u64,
            conflicts = self.sat.num_conflicts(),
            decisions = self.sat.num_decisions(),
            "sat search"
        );
        if result == lbool::FALSE {
            Answer::Unsat
        } else if result == lbool::TRUE {
            let model = self.sat.get_model().to_vec();
            // Gates are never decided on; propagation must have set every one.
            debug_assert!(
                self.bools.values().all(|l| model
                    .get(l.var().idx() as usize)
                    .is_some_and(|v| *v != lbool::UNDEF)),
                "a Boolean left unassigned in a model"
            );
            let value = |l: Lit| {
                model
                    .get(l.var().idx() as usize)
                    .is_some_and(|v| (*v == lbool::TRUE) == l.sign())
            };
            Answer::Sat(Box::new(Model {
                bools: self
                    .bools
                    .iter()
                    .map(|(n, l)| (n.clone(), value(*l)))
                    .collect(),
                ints: self
                    .ints
                    .iter()
                    .map(|(n, x)| {
                        let above = x.ge.iter().take_while(|l| value(**l)).count() as i64;
                        (n.clone(), x.lo + above)
                    })
                    .collect(),
            }))
        } else {
            Answer::Unknown("timeout".into())
        }
    }
}

/// The bounds of every integer constant, from top-level assertions of the script.
fn int_bounds(script: &Script) -> Result<HashMap<&str, (i64, i64)>, NotNative> {
    let mut bounds: HashMap<&str, (Option<i64>, Option<i64>)> = HashMap::new();
    for (name, sort) in script.decls() {
        if *sort == Sort::Int {
            bounds.insert(name, (None, None));
        }
    }
    fn walk<'a>(term: &'a F, bounds: &mut HashMap<&'a str, (Option<i64>, Option<i64>)>) {
        match term {
            F::And(items) => items.iter().for_each(|i| walk(i, bounds)),
            F::IntCmp(name, cmp, v) => {
                let Some((lo, hi)) = bounds.get_mut(name.as_str()) else {
                    return;
                };
                let (l, h) = match cmp {
                    Cmp::Ge => (Some(*v), None),
                    Cmp::Gt => (v.checked_add(1), None),
                    Cmp::Le => (None, Some(*v)),
                    Cmp::Lt => (None, v.checked_sub(1)),
                    Cmp::Eq => (Some(*v), Some(*v)),
                };
                if let Some(l) = l {
                    *lo = Some(lo.map_or(l, |x: i64| x.max(l)));
                }
                if let Some(h) = h {
                    *hi = Some(hi.map_or(h, |x: i64| x.min(h)));
                }
            }
            _ => {}
        }
    }
    for (_, term) in script.assertions() {
        walk(term, &mut bounds);
    }
    bounds
        .into_iter()
        .map(|(name, b)| match b {
            // An empty range: its own assertion is false in the one-value domain.
            (Some(lo), Some(hi)) if hi < lo => Ok((name, (lo, lo))),
            (Some(lo), Some(hi)) if hi.checked_sub(lo).is_some_and(|d| d < MAX_DOMAIN) => {
                Ok((name, (lo, hi)))
            }
            _ => Err(NotNative(format!("the unbounded integer `{name}`"))),
        })
        .collect()
}

struct Model {
    bools: HashMap<String, bool>,
    ints: HashMap<String, i64>,
}

impl Assignment for Model {
    fn int(&self, name: &str) -> Option<i64> {
        self.ints.get(name).copied()
    }
    fn bool(&self, name: &str) -> Option<bool> {
        self.bools.get(name).copied()
    }
    fn string(&self, _: &str) -> Option<String> {
        None
    }
    fn real(&self, _: &str) -> Option<(i64, i64)> {
        None
    }
    fn bv(&self, _: &str, _: u32) -> Option<u128> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::smt::term::{and, iff, int_eq, int_range, not, or, var};

    fn script(build: impl FnOnce(&mut Script)) -> Script {
        let mut s = Script::new("QF_LIA");
        build(&mut s);
        s
    }

    #[test]
    fn integers_in_order_encoding() {
        let s = script(|s| {
            s.declare("x", Sort::Int);
            s.assert("", int_range("x", -1, 5));
            s.assert("", or([int_eq("x", 3), int_eq("x", 7)]));
        });
        let mut solver = Solver::load(&s, 1000).map_err(|e| e.0).unwrap();
        match solver.check(&[]) {
            Answer::Sat(m) => assert_eq!(m.int("x"), Some(3)),
            _ => panic!("expected sat"),
        }
        let s = script(|s| {
            s.declare("x", Sort::Int);
            s.assert("", int_range("x", 0, 2));
            s.assert("", not(int_eq("x", 0)));
            s.assert("", not(int_eq("x", 1)));
            s.assert("", F::IntCmp("x".into(), Cmp::Lt, 2));
        });
        let mut solver = Solver::load(&s, 1000).map_err(|e| e.0).unwrap();
        assert!(matches!(solver.check(&[]), Answer::Unsat));
    }

    #[test]
    fn defined_booleans_are_set_in_every_model_though_never_decided() {
        let s = script(|s| {
            s.declare("a", Sort::Bool);
            s.declare("x", Sort::Int);
            s.assert("", int_range("x", 0, 3));
            let d1 = s.define("d1", "", and([var("a"), F::IntCmp("x".into(), Cmp::Ge, 2)]));
            s.define("d2", "", or([d1, int_eq("x", 0)]));
        });
        let mut solver = Solver::load(&s, 1000).map_err(|e| e.0).unwrap();
        for assumptions in [vec![], vec!["a"], vec!["d1"], vec!["d2"], vec!["a", "d2"]] {
            let Answer::Sat(m) = solver.check(&assumptions) else {
                panic!("expected sat under {assumptions:?}");
            };
            let (a, x) = (m.bool("a").unwrap(), m.int("x").unwrap());
            let d1 = a && x >= 2;
            assert_eq!(m.bool("d1"), Some(d1), "{assumptions:?}");
            assert_eq!(m.bool("d2"), Some(d1 || x == 0), "{assumptions:?}");
            for name in &assumptions {
                assert_eq!(m.bool(name), Some(true), "{assumptions:?}");
            }
        }
    }

    #[test]
    fn assumptions_and_definitions() {
        let s = script(|s| {
            s.declare("a", Sort::Bool);
            s.declare("b", Sort::Bool);
            s.declare("x", Sort::Int);
            s.assert("", int_range("x", 0, 1));
            let d = s.define("d", "", and([var("a"), int_eq("x", 1)]));
            s.assert("", iff(var("b"), not(d)));
            s.assert("", var("b"));
        });
        let mut solver = Solver::load(&s, 1000).map_err(|e| e.0).unwrap();
        assert!(matches!(solver.check(&["d"]), Answer::Unsat));
        match solver.check(&["a"]) {
            Answer::Sat(m) => assert_eq!(m.int("x"), Some(0)),
            _ => panic!("expected sat"),
        }
    }

    #[test]
    fn refuses_what_it_cannot_translate() {
        let unbounded = script(|s| {
            s.declare("x", Sort::Int);
            s.assert("", F::IntCmp("x".into(), Cmp::Ge, 0));
        });
        assert!(Solver::load(&unbounded, 1000).is_err());
        let string = script(|s| s.declare("s", Sort::Str));
        assert!(Solver::load(&string, 1000).is_err());
    }
}
