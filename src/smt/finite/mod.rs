//! The finitized lowering (DESIGN.md §4): every variable ranges over its regions.
//!
//! A single-valued variable is an integer choosing one region (`-1`: absent); a
//! multivalued key is one "some value lies in region r" bit per region, which makes
//! ForAllValues / ForAnyValue exact without bounding the number of values. Which atoms
//! hold in a region is computed by the evaluator's own per-value test on the region's
//! witness, so the solver and the evaluator cannot disagree about an atom.

use std::collections::BTreeMap;

use rustc_hash::FxHashMap;

use crate::eval::{Context, Principal, Request};
use crate::policy::{Cmp, PolicyType, PrincipalKind};

use super::encode::{Atom, Collector, Matcher, Pred, Sink, Slot, Var};
use super::term::{self, F, Script, Sort, and, int_eq, not, or};
use super::{Assignment, DecodeError, Unsupported, kind_code, kind_from_code};

mod domain;

pub use domain::{Classifier, value_candidates};
use domain::{Domain, literal_prefix, merge, regions_of, runs, typed_regions, without_dead_atoms};

/// Why the finitized encoding does not apply; the strings encoding takes over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fallback(pub String);

pub struct Finite {
    pub script: Script,
    vars: BTreeMap<Var, Domain>,
    policy_type: PolicyType,
    principal_used: bool,
    error: Option<Unsupported>,
    /// The action's regions come from sampled values ([`Finite::sampled`]).
    sampled: bool,
}

/// Ends the fallback reason when the action's regions are what could not be built (the
/// case [`Finite::sampled`] is for).
pub const ACTION_REGIONS: &str = "(the action's regions)";

impl Finite {
    /// Builds every variable's regions, or says why the strings encoding must be used.
    /// Takes the collector's atoms (a 20,000-action policy's would otherwise be copied).
    pub fn new(
        collector: Collector,
        policy_type: PolicyType,
        max_states: usize,
    ) -> Result<Finite, Fallback> {
        Finite::build(collector, policy_type, max_states, None)
    }

    /// The encoding with the action's regions taken from `samples` (the known actions)
    /// instead of its product automaton, for a query whose automaton is too large. It
    /// is an under-approximation: an action outside the samples may have a region of
    /// its own, so `unsat` proves nothing ([`Finite::is_sampled`]); a model is a
    /// request like any other, replayed through the evaluator before it counts.
    pub fn sampled(
        collector: Collector,
        policy_type: PolicyType,
        max_states: usize,
        samples: &[String],
    ) -> Result<Finite, Fallback> {
        Finite::build(collector, policy_type, max_states, Some(samples))
    }

    /// Whether the action's regions are sampled ([`Finite::sampled`]).
    pub fn is_sampled(&self) -> bool {
        self.sampled
    }

    fn build(
        mut collector: Collector,
        policy_type: PolicyType,
        max_states: usize,
        samples: Option<&[String]>,
    ) -> Result<Finite, Fallback> {
        let principal_used = collector.principal_relevant();
        if let Some(k) = collector.variable_keys.iter().next() {
            return Err(Fallback(format!(
                "policy variable `${{{k}}}` relates two values"
            )));
        }
        let mut vars = BTreeMap::new();
        let mut all: Vec<Var> = vec![Var::Action, Var::Resource, Var::Principal];
        all.extend(collector.atoms.keys().cloned());
        for (n, var) in all.into_iter().enumerate() {
            if vars.contains_key(&var) {
                continue;
            }
            let atoms: Vec<Atom> = collector.atoms.remove(&var).unwrap_or_default();
            let scalar = match &var {
                Var::Key(k) => Some(crate::keys::key_type(k).scalar),
                // Only `aws:PrincipalArn` compares the caller as a number, date or
                // address, and only an IAM caller's: its value is then an ARN. (An
                // account atom reads a field of it, which may be all digits: live.)
                Var::Principal => Some(crate::keys::Scalar::Arn),
                _ => None,
            };
            let regions = without_dead_atoms(&atoms, scalar, |live| {
                let typed = match &var {
                    Var::Key(_) => scalar.and_then(|s| typed_regions(live, s)),
                    _ => None,
                };
                match typed {
                    Some(regions) => Ok(regions),
                    None => regions_of(live, max_states, samples.filter(|_| var == Var::Action))
                        .map_err(|Fallback(why)| match var {
                            Var::Action => Fallback(format!("{why} {ACTION_REGIONS}")),
                            _ => Fallback(why),
                        }),
                }
            })?;
            let mut preds: Vec<Vec<u32>> = collector
                .preds
                .remove(&var)
                .unwrap_or_default()
                .into_iter()
                .collect();
            preds.sort_unstable();
            let domain = merge(regions, atoms.len(), &preds);
            let (name, multi, always_present) = match &var {
                Var::Action => ("action".to_string(), false, true),
                Var::Resource => ("resource".to_string(), false, true),
                Var::Principal => ("principal".to_string(), false, false),
                Var::Key(k) => (format!("key{n}"), collector.is_multivalued(k), false),
            };
            // The collector's own index of these atoms (hashing 20,000 atoms again, into
            // 20,000 fresh lists, was a tenth of a large encoding).
            let index = collector.known.remove(&var).unwrap_or_default();
            vars.insert(
                var,
                Domain {
                    name,
                    atoms,
                    index,
                    multi,
                    always_present,
                    ..domain
                },
            );
        }
        let mut me = Finite {
            script: Script::new("QF_LIA"),
            vars,
            policy_type,
            principal_used,
            error: None,
            sampled: samples.is_some(),
        };
        me.declare();
        Ok(me)
    }

    fn declare(&mut self) {
        let s = &mut self.script;
        super::declare_principal_kind(s);
        for (var, d) in &self.vars {
            let n = d.regions.len() as i64;
            let describe = match var {
                Var::Key(k) => format!("condition key `{k}`"),
                other => format!("{other:?}").to_lowercase(),
            };
            let witnesses = if d.regions.len() <= 64 {
                d.regions
                    .iter()
                    .enumerate()
                    .map(|(r, region)| match &region.witness {
                        Some(w) => format!("\n  region {r}: e.g. {w:?}"),
                        None => format!("\n  region {r}: (no single value)"),
                    })
                    .collect::<String>()
            } else {
                String::new()
            };
            if d.multi {
                for r in 0..d.regions.len() {
                    s.declare(&format!("{}_r{r}", d.name), Sort::Bool);
                }
                s.assert(
                    format!(
                        "{describe} = `{}_r*`: multivalued, bit r says some value lies in region r ({n} regions){witnesses}",
                        d.name
                    ),
                    term::t(),
                );
            } else {
                s.declare(&d.name, Sort::Int);
                let low = if d.always_present { 0 } else { -1 };
                let absent = if d.always_present { "" } else { ", -1: absent" };
                s.assert(
                    format!(
                        "{describe} = `{}`: one of {n} regions{absent}{witnesses}",
                        d.name
                    ),
                    and([
                        F::IntCmp(d.name.clone(), Cmp::Ge, low),
                        F::IntCmp(d.name.clone(), Cmp::Lt, n),
                    ]),
                );
            }
        }
        if let Some(p) = self.vars.get(&Var::Principal) {
            let absent = int_eq(&p.name, -1);
            s.assert(
                "the principal has a value unless the caller is anonymous",
                term::iff(absent, int_eq("pkind", 0)),
            );
        }
    }

    fn fail(&mut self, why: String) -> F {
        if self.error.is_none() {
            self.error = Some(Unsupported(why));
        }
        term::f()
    }

    pub fn take_error(&mut self) -> Option<Unsupported> {
        self.error.take()
    }

    /// Classes where the predicate holds, and where it does not; `None` for a
    /// predicate the collector did not see (the classes need not respect it).
    fn split(&mut self, var: &Var, pred: &Pred) -> Option<(Vec<usize>, Vec<usize>)> {
        let d = self.vars.get(var)?;
        let mut ids = Vec::with_capacity(pred.atoms.len());
        for a in &pred.atoms {
            ids.push(d.position(a)? as u32);
        }
        ids.sort_unstable();
        ids.dedup();
        let p = *d.pred_index.get(&ids)? as usize;
        let mut hit = vec![false; d.regions.len()];
        for &r in &d.holders[p] {
            hit[r as usize] = true;
        }
        let (mut yes, mut no) = (Vec::new(), Vec::new());
        for (r, h) in hit.into_iter().enumerate() {
            if h != pred.negated {
                yes.push(r);
            } else {
                no.push(r);
            }
        }
        Some((yes, no))
    }

    fn in_regions(d: &Domain, regions: &[usize]) -> F {
        if d.multi {
            or(regions
                .iter()
                .map(|r| term::var(&format!("{}_r{r}", d.name)))
                .collect::<Vec<_>>())
        } else {
            or(runs(regions)
                .into_iter()
                .map(|(a, b)| match a == b {
                    true => int_eq(&d.name, a as i64),
                    false => term::int_range(&d.name, a as i64, b as i64),
                })
                .collect::<Vec<_>>())
        }
    }

    fn aws_guard(&mut self, slot: &Slot, body: F, universal: bool) -> F {
        if !slot.aws_only {
            return body;
        }
        let aws = self.kind_is(Some(PrincipalKind::Aws));
        if universal {
            or([not(aws), body])
        } else {
            and([aws, body])
        }
    }
}

impl Sink for Finite {
    fn exists(&mut self, slot: &Slot, pred: &Pred) -> F {
        let Some((yes, no)) = self.split(&slot.var, pred) else {
            return self.fail(format!(
                "internal: unregistered predicate on {:?}",
                slot.var
            ));
        };
        let d = &self.vars[&slot.var];
        let body = if !d.multi && runs(&yes).len() > runs(&no).len() {
            // Cheaper as "present and not in the other regions".
            let present = if d.always_present {
                term::t()
            } else {
                F::IntCmp(d.name.clone(), Cmp::Ge, 0)
            };
            and([present, not(Self::in_regions(d, &no))])
        } else {
            Self::in_regions(d, &yes)
        };
        self.aws_guard(slot, body, false)
    }

    fn forall(&mut self, slot: &Slot, pred: &Pred) -> F {
        let Some((_, no)) = self.split(&slot.var, pred) else {
            return self.fail(format!(
                "internal: unregistered predicate on {:?}",
                slot.var
            ));
        };
        let d = &self.vars[&slot.var];
        let body = not(Self::in_regions(d, &no));
        self.aws_guard(slot, body, true)
    }

    fn present(&mut self, slot: &Slot) -> F {
        if slot.aws_only {
            return self.kind_is(Some(PrincipalKind::Aws));
        }
        let Some(d) = self.vars.get(&slot.var) else {
            return self.fail(format!("internal: undeclared variable {:?}", slot.var));
        };
        if d.always_present {
            term::t()
        } else if d.multi {
            let all: Vec<usize> = (0..d.regions.len()).collect();
            Self::in_regions(d, &all)
        } else {
            F::IntCmp(d.name.clone(), Cmp::Ge, 0)
        }
    }

    fn kind_is(&mut self, kind: Option<PrincipalKind>) -> F {
        int_eq("pkind", kind_code(kind))
    }

    fn define(&mut self, name: &str, comment: &str, term: F) -> F {
        self.script.define(name, comment, term)
    }
}

impl Finite {
    /// The region of each value of a single-valued variable: the merged region whose
    /// predicates hold on the value (`None` for a multivalued or unknown variable).
    pub fn regions_of_values(&self, var: &Var, values: &[String]) -> Option<Vec<Option<usize>>> {
        let c = self.classifier(var)?;
        Some(values.iter().map(|v| c.region(v)).collect())
    }

    /// What finds the region of a value of a single-valued variable, built once for
    /// many values.
    pub fn classifier(&self, var: &Var) -> Option<Classifier<'_>> {
        let d = self.vars.get(var).filter(|d| !d.multi)?;
        let mut literal: FxHashMap<(String, bool), Vec<usize>> = FxHashMap::default();
        let mut by_prefix: FxHashMap<(String, bool), Vec<(Matcher<'_>, usize)>> =
            FxHashMap::default();
        let mut others = Vec::new();
        for (a, i) in d.atoms.iter().zip(0..) {
            match a.matcher() {
                Matcher::Glob(g, folded) => match g.as_literal() {
                    Some(l) => literal.entry((l, folded)).or_default().push(i),
                    None => match literal_prefix(&g.toks) {
                        Some(prefix) => by_prefix
                            .entry((prefix, folded))
                            .or_default()
                            .push((Matcher::Glob(g, folded), i)),
                        None => others.push((Matcher::Glob(g, folded), i)),
                    },
                },
                m => others.push((m, i)),
            }
        }
        Some(Classifier {
            domain: d,
            literal,
            by_prefix,
            others,
        })
    }

    /// Declares a Boolean that holds exactly when the variable lies in region `r`, for
    /// use as an assumption; returns its name.
    pub fn region_flag(&mut self, var: &Var, r: usize) -> Option<String> {
        let d = self.vars.get(var).filter(|d| !d.multi)?;
        let name = format!("{}_is_r{r}", d.name);
        let term = int_eq(&d.name, r as i64);
        self.script
            .define(&name, format!("{var:?} lies in region {r}"), term);
        Some(name)
    }

    fn witness(&self, var: &Var, region: i64) -> Result<Option<String>, DecodeError> {
        let d = &self.vars[var];
        if region < 0 {
            return Ok(None);
        }
        let r = d
            .regions
            .get(region as usize)
            .ok_or_else(|| DecodeError::Internal(format!("region {region} out of range")))?;
        match &r.witness {
            Some(w) => Ok(Some(w.clone())),
            None => Err(DecodeError::Unrealizable(format!(
                "{var:?}: no single value is both a string and a number/date/address as the counterexample requires"
            ))),
        }
    }

    fn int(&self, m: &dyn Assignment, name: &str) -> Result<i64, DecodeError> {
        m.int(name)
            .ok_or_else(|| DecodeError::Internal(format!("no model value for `{name}`")))
    }

    /// The counterexample request of a model.
    pub fn decode(&self, m: &dyn Assignment) -> Result<Request, DecodeError> {
        let action = self
            .witness(&Var::Action, self.int(m, "action")?)?
            .unwrap_or_default();
        let resource = self
            .witness(&Var::Resource, self.int(m, "resource")?)?
            .unwrap_or_default();
        let kind = kind_from_code(self.int(m, "pkind")?);
        let value = self.witness(&Var::Principal, self.int(m, "principal")?)?;
        let principal = match (self.policy_type, self.principal_used) {
            (PolicyType::Identity, false) => None,
            _ => Some(make_principal(kind, value)?),
        };
        let mut context = Context::default();
        for (var, d) in &self.vars {
            let Var::Key(key) = var else { continue };
            let mut values = Vec::new();
            if d.multi {
                for r in 0..d.regions.len() {
                    if m.bool(&format!("{}_r{r}", d.name)).unwrap_or(false) {
                        values.extend(self.witness(var, r as i64)?);
                    }
                }
            } else {
                values.extend(self.witness(var, self.int(m, &d.name)?)?);
            }
            if !values.is_empty() {
                context.add(key, values);
            }
        }
        Ok(Request {
            principal,
            action,
            resource,
            context,
        })
    }
}

/// A principal from its kind and identifying value.
pub fn make_principal(
    kind: Option<PrincipalKind>,
    value: Option<String>,
) -> Result<Principal, DecodeError> {
    let v = || {
        value
            .clone()
            .ok_or_else(|| DecodeError::Internal("principal without a value".into()))
    };
    Ok(match kind {
        None => Principal::Anonymous,
        Some(PrincipalKind::Aws) => Principal::Aws(v()?),
        Some(PrincipalKind::Service) => Principal::Service(v()?),
        Some(PrincipalKind::Federated) => Principal::Federated(v()?),
        Some(PrincipalKind::CanonicalUser) => Principal::CanonicalUser(v()?),
    })
}
