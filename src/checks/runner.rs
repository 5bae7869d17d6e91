//! The runner: lowers a check's query (finitized by default, strings where that does
//! not apply), solves it under the run's deadline, decodes and confirms a
//! counterexample, and computes reasons and expanded actions.

use std::time::Instant;

use tracing::info;

use super::counterexample::{
    KnownAction, action_flags, concrete, expand, known_action_counterexample, readable_principal,
};
use super::realize::{self, is_known_action};
use super::{Built, CheckError, CheckResult, Encoding, Expansion, Options, Reason, Spec, Verdict};
use crate::eval::Request;
use crate::smt::finite::{Fallback, Finite};
use crate::smt::model::{Collector, Var};
use crate::smt::strings::Strings;
use crate::smt::{Answer, DecodeError, Engine, ModelView, Unsupported};

/// One check's run, passed down explicitly to every step: its options, the deadline all
/// of its solving shares, the encoding this attempt uses, and the two switches the
/// runner's own retries and the case splits of policy variables set.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Run<'o> {
    pub opts: &'o Options,
    /// The encoding of this attempt (the strings encoding after a sampled `unsat`).
    pub encoding: Encoding,
    /// When every solver call of the check gives up: `timeout_ms` from its start.
    pub deadline: Instant,
    /// Whether the action's regions may be sampled from the known actions first; off
    /// while a query is decided again after a sampled `unsat`, and for scripts.
    pub sampling: bool,
    /// A probe (variables.rs): the finitized encoding only; where it does not apply, the
    /// answer is inconclusive instead of the strings encoding's.
    pub finite_only: bool,
}

impl<'o> Run<'o> {
    /// A run that starts now.
    pub fn start(opts: &'o Options) -> Run<'o> {
        Run {
            opts,
            encoding: opts.encoding,
            deadline: Instant::now() + std::time::Duration::from_millis(u64::from(opts.timeout_ms)),
            sampling: true,
            finite_only: false,
        }
    }

    /// The same run without sampled action regions.
    pub fn exact(self) -> Run<'o> {
        Run {
            sampling: false,
            ..self
        }
    }

    /// The same run as a probe: the finitized encoding only.
    pub fn probe(self) -> Run<'o> {
        Run {
            finite_only: true,
            ..self
        }
    }

    /// Whether the deadline has passed.
    pub fn expired(&self) -> bool {
        Instant::now() >= self.deadline
    }
}

pub(super) enum Lowered {
    Finite(Box<Finite>),
    Strings(Box<Strings>),
}

impl Lowered {
    pub(super) fn decode(&self, m: &dyn ModelView) -> Result<Request, DecodeError> {
        match self {
            Lowered::Finite(f) => f.decode(m),
            Lowered::Strings(s) => s.decode(m),
        }
    }

    pub(super) fn script(&self) -> &crate::smt::term::Script {
        match self {
            Lowered::Finite(f) => &f.script,
            Lowered::Strings(s) => &s.script,
        }
    }
}

/// How every script states its goal.
const QUERY_COMMENT: &str = "the query: satisfiable exactly when the check fails";

/// What the query says about each variable (the first pass over the spec).
fn collect(spec: &impl Spec) -> Collector {
    let mut collector = Collector::default();
    for p in spec.policies() {
        collector.note_policy(p);
    }
    spec.build(&mut collector);
    collector
}

/// The strings lowering; `plain` for proof files (nothing finitized taken on trust).
fn lower_strings(
    spec: &impl Spec,
    collector: &Collector,
    plain: bool,
) -> Result<(Lowered, Built), Unsupported> {
    let mut s = if plain {
        Strings::plain(collector, spec.policy_type())
    } else {
        Strings::new(collector, spec.policy_type())
    };
    let built = spec.build(&mut s);
    if let Some(e) = s.take_error() {
        return Err(e);
    }
    s.script.assert(QUERY_COMMENT, built.goal.clone());
    Ok((Lowered::Strings(Box::new(s)), built))
}

/// Lowers a query with the chosen encoding.
pub(super) fn lower(
    spec: &impl Spec,
    run: Run,
) -> Result<(Lowered, Built, Option<String>), Unsupported> {
    let start = Instant::now();
    let collector = collect(spec);
    tracing::debug!(
        elapsed_us = start.elapsed().as_micros() as u64,
        "collected atoms"
    );
    let opts = run.opts;
    if run.encoding == Encoding::Strings {
        if run.finite_only {
            // A probe is a shortcut of the finitized path; the strings encoding decides
            // the whole query at once instead.
            return Err(Unsupported(
                "the strings encoding (a probe: the finitized encoding only)".into(),
            ));
        }
        let (l, b) = lower_strings(spec, &collector, false)?;
        return Ok((l, b, None));
    }
    let sampling = run.sampling && !opts.expand_actions;
    if sampling && infix_heavy(&collector) {
        // Such patterns make the action's automaton grow with every subset of their
        // words: look among the known actions first; without a counterexample there,
        // `decide` builds the exact encoding.
        let why = SAMPLED_FIRST.to_string();
        return sampled(spec, run, collector, why);
    }
    let start = Instant::now();
    match Finite::new(collector, spec.policy_type(), opts.max_states) {
        Ok(mut fin) => {
            tracing::debug!(
                elapsed_us = start.elapsed().as_micros() as u64,
                "built regions"
            );
            let built = spec.build(&mut fin);
            if let Some(e) = fin.take_error() {
                return Err(e);
            }
            fin.script.assert(QUERY_COMMENT, built.goal.clone());
            Ok((Lowered::Finite(Box::new(fin)), built, None))
        }
        Err(Fallback(why)) if why.ends_with(crate::smt::finite::ACTION_REGIONS) && sampling => {
            // Too many action regions to build: first look for a counterexample among
            // the known actions (only a model counts; see `decide`).
            sampled(spec, run, collect(spec), why)
        }
        Err(Fallback(why)) => strings_instead(spec, run, why),
    }
}

/// The reason a query's actions were sampled before any exact encoding was tried.
const SAMPLED_FIRST: &str =
    "many infix action patterns: a counterexample among the known actions first";

/// Infix action patterns (`svc:*word*`) from which the known actions are tried first:
/// with k of them the action's automaton tracks every subset of their words (6 in
/// AWS's AmazonConnectSynchronizationServiceRolePolicy took 1.4 s to build; 25 in the
/// SageMakerStudio policies pass 200,000 states). A sampled attempt costs ~30 ms.
const INFIX_FIRST: usize = 6;

/// Whether the query's action patterns hold at least [`INFIX_FIRST`] infix words.
fn infix_heavy(collector: &Collector) -> bool {
    use crate::pattern::Tok;
    let infix = |toks: &[Tok]| {
        let first = toks.iter().position(|t| *t == Tok::Star);
        let last = toks.iter().rposition(|t| *t == Tok::Star);
        matches!((first, last), (Some(a), Some(b)) if b > a + 1
            && toks[a + 1..b].iter().all(|t| matches!(t, Tok::Lit(_))))
    };
    collector.atoms.get(&Var::Action).is_some_and(|atoms| {
        atoms
            .iter()
            .filter_map(|a| a.glob())
            .filter(|g| infix(&g.toks))
            .count()
            >= INFIX_FIRST
    })
}

/// The finitized encoding with the action's regions sampled from the known actions
/// (`Finite::sampled`): only a model counts (`decide`).
fn sampled(
    spec: &impl Spec,
    run: Run,
    collector: Collector,
    why: String,
) -> Result<(Lowered, Built, Option<String>), Unsupported> {
    let start = Instant::now();
    let samples: Vec<String> = crate::actions::all()
        .iter()
        .map(|a| a.to_string())
        .collect();
    match Finite::sampled(collector, spec.policy_type(), run.opts.max_states, &samples) {
        Ok(mut fin) => {
            info!(
                elapsed_us = start.elapsed().as_micros() as u64,
                reason = %why,
                "action regions from the known actions: a counterexample first"
            );
            let built = spec.build(&mut fin);
            if let Some(e) = fin.take_error() {
                return Err(e);
            }
            fin.script.assert(QUERY_COMMENT, built.goal.clone());
            Ok((Lowered::Finite(Box::new(fin)), built, Some(why)))
        }
        // Another variable's regions could not be built: the usual path decides.
        Err(_) if why == SAMPLED_FIRST => lower(spec, run.exact()),
        Err(Fallback(other)) => strings_instead(spec, run, other),
    }
}

/// The strings encoding where the finitized one does not apply (inside a probe,
/// [`Run::probe`], an inconclusive answer instead).
fn strings_instead(
    spec: &impl Spec,
    run: Run,
    why: String,
) -> Result<(Lowered, Built, Option<String>), Unsupported> {
    if run.finite_only {
        return Err(Unsupported(format!(
            "{why} (a probe: the finitized encoding only)"
        )));
    }
    info!(reason = %why, "finitized encoding does not apply; using strings");
    // Finite::new took the atoms; collect them again (rare, and the strings encoding
    // costs far more than a walk).
    let (l, b) = lower_strings(spec, &collect(spec), false)?;
    Ok((l, b, Some(why)))
}

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

/// A solver for a lowered query, with the check's limits and deadline.
pub(super) fn engine(lowered: &Lowered, run: Run) -> Engine {
    Engine::load(
        lowered.script(),
        run.opts.solver,
        run.opts.timeout_ms,
        run.opts.max_memory_mb,
        Some(run.deadline),
    )
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
                "raise --max-memory-mb or simplify the policy"
            } else {
                "raise --timeout-ms or simplify the policy"
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
