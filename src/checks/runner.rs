//! The runner: lowers a check's query (lowering.rs), solves it under the run's
//! deadline, decodes and confirms a counterexample, and computes reasons and expanded
//! actions.

use std::time::Instant;

use tracing::info;

use super::counterexample::{
    KnownAction, action_flags, concrete, expand, known_action_counterexample, readable_principal,
};
use super::lowering::{Lowered, Run, SAMPLED_FIRST, collect, engine, lower, lower_strings};
use super::realize::{self, is_known_action};
use super::{CheckError, CheckResult, Encoding, Expansion, Options, Reason, Spec, Verdict};
use crate::smt::encode::Var;
use crate::smt::{Answer, DecodeError, Unsupported};
/// Only the SMT-LIB script of a query (for snapshots): the exact query, never one
/// whose action regions are sampled.
pub(crate) fn script_of(spec: &impl Spec, opts: &Options) -> Result<String, Unsupported> {
    lower(spec, Run::start(opts).exact()).map(|(lowered, _, _)| lowered.script().text())
}

/// The self-contained proof script of a query: the plain strings encoding ending in
/// `(check-sat)`, which answers `unsat` exactly when the check passes.
pub(crate) fn proof_script_of(spec: &impl Spec) -> Result<String, Unsupported> {
    let (lowered, _) = lower_strings(spec, &collect(spec), true)?;
    Ok(format!("{}(check-sat)\n", lowered.script().text()))
}

/// What one attempt at a query ends in.
enum Attempt<'o> {
    Decided(Box<CheckResult>),
    /// A sampled `unsat` proves nothing: decide again with this run, and report this
    /// fallback (when given) as the reason the finitized encoding was left.
    Again(Run<'o>, Option<String>),
}

/// Decides a check's query: lowers it, solves it, and on a FAIL confirms, realizes and
/// explains the counterexample. An attempt whose action regions were sampled from the
/// known actions counts only with a counterexample; otherwise the query is decided
/// again, exactly (at most twice more: the exact finitized encoding, then strings).
pub(crate) fn decide(spec: &impl Spec, run: Run) -> Result<CheckResult, CheckError> {
    let mut run = run;
    let mut note = None;
    loop {
        match attempt(spec, run)? {
            Attempt::Decided(mut r) => {
                if note.is_some() {
                    r.fallback = note;
                }
                return Ok(*r);
            }
            Attempt::Again(next, why) => {
                run = next;
                note = why;
            }
        }
    }
}

fn attempt<'o>(spec: &impl Spec, run: Run<'o>) -> Result<Attempt<'o>, CheckError> {
    let opts = run.opts;
    let (fail_message, pass_message) = spec.messages();
    let pass = |encoding: &'static str, fallback: Option<String>| {
        Attempt::Decided(Box::new(CheckResult {
            result: Verdict::Pass,
            message: pass_message.to_string(),
            reasons: Vec::new(),
            counterexample: None,
            inconclusive: None,
            encoding,
            fallback,
            expanded_actions: None,
        }))
    };
    if spec.vacuous() {
        info!("no Allow statement is left in the query: it allows nothing");
        return Ok(pass("none", None));
    }
    let start = Instant::now();
    let lowered = lower(spec, run);
    info!(
        elapsed_us = start.elapsed().as_micros() as u64,
        "encoded query"
    );
    let inconclusive = |why: String, encoding: &'static str, fallback: Option<String>| {
        Attempt::Decided(Box::new(CheckResult {
            result: Verdict::Fail,
            message: fail_message.to_string(),
            reasons: Vec::new(),
            counterexample: None,
            inconclusive: Some(why),
            encoding,
            fallback,
            expanded_actions: None,
        }))
    };
    let (lowered, built, fallback) = match lowered {
        Ok(x) => x,
        Err(u) => {
            return Ok(inconclusive(
                format!("the analysis is inconclusive: the policy uses {}", u.0),
                "none",
                None,
            ));
        }
    };
    let encoding = match lowered {
        Lowered::Finite(_) => "finite",
        Lowered::Strings(_) => "strings",
    };
    if tracing::enabled!(tracing::Level::TRACE) {
        tracing::trace!("smt script:\n{}", lowered.script().text());
    }
    let start = Instant::now();
    let mut lowered = lowered;
    let flags = match (&mut lowered, opts.expand_actions) {
        (Lowered::Finite(f), true) => {
            let flags = action_flags(f);
            info!(
                elapsed_us = start.elapsed().as_micros() as u64,
                regions = flags.len(),
                "mapped known actions to action regions"
            );
            Some(flags)
        }
        _ => None,
    };
    let start = Instant::now();
    let mut solver = engine(&lowered, run);
    let answer = solver.check(&[]);
    info!(
        elapsed_us = start.elapsed().as_micros() as u64,
        encoding,
        solver = solver.name(),
        "solved query"
    );
    let sampled = matches!(&lowered, Lowered::Finite(f) if f.is_sampled());
    if sampled && !matches!(answer, Answer::Sat(_)) {
        // No counterexample among the known actions proves nothing about the others:
        // the exact encoding decides if it was not tried yet, else the strings encoding
        // (inside a probe, the answer is undecided).
        let why = fallback.unwrap_or_default();
        if why == SAMPLED_FIRST {
            // Sampled before any exact encoding: now the usual path decides.
            info!("no counterexample among the known actions; the exact encoding decides");
            return Ok(Attempt::Again(run.exact(), None));
        }
        if run.finite_only {
            return Ok(inconclusive(
                format!(
                    "the analysis is inconclusive: {why} (a probe: the finitized encoding only)"
                ),
                "none",
                None,
            ));
        }
        info!("no counterexample among the known actions; using strings");
        let strings = Run {
            encoding: Encoding::Strings,
            ..run
        };
        return Ok(Attempt::Again(strings, Some(why)));
    }
    // A counterexample among the known actions: the finitized encoding answered.
    let fallback = if sampled { None } else { fallback };
    let model = match answer {
        Answer::Unsat => return Ok(pass(encoding, fallback)),
        Answer::Unknown(why) => {
            let hint = if why.contains("memory") {
                "raise the memory limit (`max_memory_mb`) or simplify the policy"
            } else {
                "raise the time limit (`timeout_ms`) or simplify the policy"
            };
            return Ok(inconclusive(
                format!("the analysis is inconclusive: the solver gave no answer ({why}); {hint}"),
                encoding,
                fallback,
            ));
        }
        Answer::Sat(m) => m,
    };
    let mut linked = match concrete(&lowered, model.as_ref(), spec) {
        Ok(r) => r,
        Err(DecodeError::Unrealizable(why)) => {
            return Ok(inconclusive(
                format!("the analysis is inconclusive: {why}"),
                encoding,
                fallback,
            ));
        }
        Err(DecodeError::Internal(why)) => return Err(CheckError::Internal(why)),
    };
    spec.confirm(&linked).map_err(|why| {
        CheckError::Internal(format!(
            "the {encoding} encoding's counterexample does not replay through the evaluator: {why}; request: {}",
            linked.to_json()
        ))
    })?;
    // Only a confirmed counterexample is made realistic and more readable (and each
    // rewrite confirmed again).
    let start = Instant::now();
    linked = match &lowered {
        Lowered::Finite(fin) => {
            let region = model.int("action");
            let classifier = fin.classifier(&Var::Action);
            let same = |name: &str| {
                classifier
                    .as_ref()
                    .is_some_and(|c| region.is_some_and(|r| c.region(name) == Some(r as usize)))
            };
            realize::realize_in(linked, spec, Some(&same))
        }
        Lowered::Strings(_) => realize::realize(linked, spec),
    };
    info!(
        elapsed_us = start.elapsed().as_micros() as u64,
        "made the counterexample realistic"
    );
    // A witness action outside AWS's action list: ask whether any known action fails
    // too (its counterexample replaces this one), or whether only such names do.
    let mut unknown_only = false;
    if !is_known_action(&linked.action) {
        let start = Instant::now();
        match known_action_counterexample(spec, run)? {
            KnownAction::Found(r) => linked = r,
            KnownAction::NoneExists => unknown_only = true,
            KnownAction::Undecided => {}
        }
        info!(
            elapsed_us = start.elapsed().as_micros() as u64,
            unknown_only, "looked for a known action"
        );
    }
    if let Some(readable) = readable_principal(&linked, spec) {
        linked = readable;
    }
    let start = Instant::now();
    let mut reasons = Vec::new();
    let subject = spec.subject();
    // A statement that applies to the confirmed counterexample is a reason (the request
    // satisfies the query and the statement); the others need a solver call each.
    let applying = crate::eval::evaluate(subject, &linked).outcomes;
    for (index, name) in built.candidates.iter().filter(|_| opts.reasons) {
        let applies = applying.get(*index) == Some(&crate::eval::Outcome::Applies);
        let is_reason = applies
            || match solver.check(&[name.as_str()]) {
                Answer::Sat(_) | Answer::Unknown(_) => true,
                Answer::Unsat => false,
            };
        if let (true, Some(s)) = (is_reason, subject.statements.get(*index)) {
            let mut description = spec.reason(&s.label());
            if unknown_only {
                description.push_str(&format!(
                    " No action AWS defines today gains this access: only names outside AWS's action list (such as `{}`) do, so it matters only if AWS adds such an action.",
                    linked.action
                ));
            }
            reasons.push(Reason {
                description,
                statement_index: *index,
                statement_id: s.sid.clone(),
            });
        }
    }
    info!(
        elapsed_us = start.elapsed().as_micros() as u64,
        "computed reasons"
    );
    let expanded_actions = match (opts.expand_actions, flags) {
        (false, _) => None,
        (true, None) => Some(Expansion {
            actions: Vec::new(),
            incomplete: Some(format!(
                "known actions are listed only with the finitized encoding; this check used {encoding}"
            )),
        }),
        (true, Some(flags)) => {
            let start = Instant::now();
            let e = expand(&lowered, &mut solver, &flags, spec)?;
            info!(
                elapsed_us = start.elapsed().as_micros() as u64,
                regions = flags.len(),
                actions = e.actions.len(),
                "expanded actions"
            );
            Some(e)
        }
    };
    Ok(Attempt::Decided(Box::new(CheckResult {
        result: Verdict::Fail,
        message: fail_message.to_string(),
        reasons,
        counterexample: Some(linked),
        inconclusive: None,
        encoding,
        fallback,
        expanded_actions,
    })))
}
