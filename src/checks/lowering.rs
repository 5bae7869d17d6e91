//! Lowering: a check's query as an SMT script, finitized by default (DESIGN.md §4),
//! with the action's regions sampled from the known actions first where their exact
//! automaton would be too large, and the strings encoding where the finitized one does
//! not apply. A [`Run`] carries one check's options, deadline and switches down.

use std::time::Instant;

use tracing::info;

use super::{Built, Encoding, Options, Spec};
use crate::eval::Request;
use crate::smt::encode::{Collector, Var};
use crate::smt::finite::{Fallback, Finite};
use crate::smt::strings::Strings;
use crate::smt::{Assignment, DecodeError, Engine, Unsupported};

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
    pub(super) fn decode(&self, m: &dyn Assignment) -> Result<Request, DecodeError> {
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
pub(super) const QUERY_COMMENT: &str = "the query: satisfiable exactly when the check fails";

/// What the query says about each variable (the first pass over the spec).
pub(super) fn collect(spec: &impl Spec) -> Collector {
    let mut collector = Collector::default();
    for p in spec.policies() {
        collector.note_policy(p);
    }
    spec.build(&mut collector);
    collector
}

/// The strings lowering; `plain` for proof files (nothing finitized taken on trust).
pub(super) fn lower_strings(
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
pub(super) const SAMPLED_FIRST: &str =
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
