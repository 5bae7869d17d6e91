//! The three custom policy checks. Each builds a query over the symbolic request; the
//! runner here lowers it (finitized by default, strings where that does not apply or
//! when asked), solves it, turns a model into a concrete counterexample, replays that
//! through the evaluator, and computes AWS-style reasons.

pub mod access_not_granted;
pub mod callers;
mod cases;
pub mod no_new_access;
pub mod no_public_access;
mod realize;
mod slice;

pub use realize::is_known_action;

use std::collections::BTreeMap;
use std::time::Instant;

use thiserror::Error;
use tracing::info;

use crate::eval::{Principal, Request};
use crate::policy::{Effect, Policy, PolicyType, PrincipalKind};
use crate::smt::finite::{Fallback, Finite};
use crate::smt::model::{self, Atom, Collector, Pred, Sink, Slot, Var};
use crate::smt::strings::Strings;
use crate::smt::term::{self, F, and, not, or};
use crate::smt::{Answer, Engine, SolverChoice};
use crate::smt::{DecodeError, ModelView, Unsupported};

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

#[derive(Debug, Clone)]
pub struct CheckResult {
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

#[derive(Debug, Error)]
pub enum CheckError {
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

/// The slice of a query (slice.rs) when `opts.slice` asks for one and something goes;
/// logs what went and how long it took.
pub(crate) fn sliced<T>(
    opts: &Options,
    slice: impl FnOnce() -> Option<(T, slice::Dropped)>,
) -> Option<T> {
    if !opts.slice {
        return None;
    }
    let start = Instant::now();
    let out = slice();
    let (statements, patterns) = out
        .as_ref()
        .map_or((0, 0), |(_, d)| (d.statements, d.patterns));
    tracing::debug!(
        elapsed_us = start.elapsed().as_micros() as u64,
        statements,
        patterns,
        "sliced the query"
    );
    out.map(|(query, _)| query)
}

/// Whether a policy has an Allow statement.
pub(crate) fn has_allow(p: &Policy) -> bool {
    p.statements.iter().any(|s| s.effect == Effect::Allow)
}

pub(crate) struct Built {
    pub goal: F,
    /// (statement index, defined name) of the statements that may be reasons.
    pub candidates: Vec<(usize, String)>,
}

/// Defines each statement's applicability and the policy's decision; returns
/// (allows, the Allow statements' defined names by index).
pub(crate) fn policy_allows<K: Sink>(
    sink: &mut K,
    policy: &Policy,
    tag: &str,
) -> (F, Vec<(usize, String)>) {
    let mut allow = Vec::new();
    let mut deny = Vec::new();
    let mut names = Vec::new();
    for s in &policy.statements {
        let applies = model::statement_applies(sink, s);
        let name = format!("{tag}_s{}", s.index);
        let effect = match s.effect {
            Effect::Allow => "Allow",
            Effect::Deny => "Deny",
        };
        let comment = format!(
            "{tag} policy, statement {} ({effect}) at {}: applies to the request",
            s.label(),
            s.pointer
        );
        let v = sink.define(&name, &comment, applies);
        match s.effect {
            Effect::Allow => {
                allow.push(v);
                names.push((s.index, name));
            }
            Effect::Deny => deny.push(v),
        }
    }
    let allows = and([or(allow), not(or(deny))]);
    let allows = sink.define(
        &format!("{tag}_allows"),
        &format!("{tag} policy allows the request: some Allow applies and no Deny does"),
        allows,
    );
    (allows, names)
}

/// A side of a check in an authorization context (src/context): `policy` allows and so
/// does every limit (a permissions boundary, each SCP level, the session policies).
/// Returns (allows, the Allow statements of `policy` by index and defined name).
pub(crate) fn limited_allows<K: Sink>(
    sink: &mut K,
    policy: &Policy,
    limits: &[&Policy],
    tag: &str,
) -> (F, Vec<(usize, String)>) {
    let (allows, candidates) = policy_allows(sink, policy, tag);
    if limits.is_empty() {
        return (allows, candidates);
    }
    let mut parts = vec![allows];
    for (i, l) in limits.iter().enumerate() {
        parts.push(policy_allows(sink, l, &format!("{tag}_limit{i}")).0);
    }
    let all = sink.define(
        &format!("{tag}_context_allows"),
        &format!("{tag}: the policy and every limit (boundary, SCP level, session policies) allow the request"),
        and(parts),
    );
    (all, candidates)
}

/// The evaluator's reading of [`limited_allows`].
pub(crate) fn limits_allow(policy: &Policy, limits: &[&Policy], r: &Request) -> bool {
    crate::eval::allows(policy, r) && limits.iter().all(|l| crate::eval::allows(l, r))
}

/// Reasons name the identity policy and statement a combined context's statement comes
/// from (`New access in the statement with sid: X of `AppPolicy`.`).
pub(crate) fn relabel(result: &mut CheckResult, combined: &crate::context::Combined) {
    for reason in &mut result.reasons {
        let i = reason.statement_index;
        let (Some(label), Some(origin)) = (combined.label(i), combined.origins.get(i)) else {
            continue;
        };
        reason.description = reason
            .description
            .replace(&format!("with index: {i}."), &format!("with {label}."));
        reason.statement_index = origin.index;
        reason.statement_id = origin.sid.clone();
    }
}

/// Facts every request has: identity policies are used by IAM principals, an IAM
/// principal's value is an ARN with an account field, a resource ARN's partition is not
/// empty, and every key the `policies` read
/// holds values of its documented type and is present where AWS documents it always is.
pub(crate) fn request_domain<K: Sink>(
    sink: &mut K,
    policy_type: PolicyType,
    policies: &[&Policy],
) -> F {
    let shape = Pred {
        atoms: vec![model::arn_atom("arn:*:*:*:*:*")],
        negated: false,
    };
    let arn = sink.forall(
        &Slot {
            var: Var::Principal,
            aws_only: true,
        },
        &shape,
    );
    let caller = match policy_type {
        PolicyType::Identity => sink.kind_is(Some(PrincipalKind::Aws)),
        PolicyType::Resource => term::t(),
    };
    let keys = model::key_facts(sink, policies);
    // Where a policy names a role session, the caller's value is its role's ARN and the
    // session's name is held apart: no `aws:PrincipalArn` is a session ARN.
    let sessions = if model::names_sessions(policies) {
        let not_session = Pred {
            atoms: vec![model::session_arn_atom()],
            negated: true,
        };
        sink.forall(
            &Slot {
                var: Var::Principal,
                aws_only: true,
            },
            &not_session,
        )
    } else {
        term::t()
    };
    // Every ARN names a partition (`aws`, `aws-cn`, ...): no request AWS receives is for
    // `arn::...`, which a pattern with an empty partition field names (the Terraform
    // validator writes `arn::lambda:::function:NAME` for a Lambda permission). Only such
    // a pattern can force a witness there; elsewhere the realistic-values step (realize.rs)
    // picks a partition, so other queries stay as they were.
    let empty_partition = policies.iter().flat_map(|p| &p.statements).any(|s| {
        s.resources
            .as_ref()
            .is_some_and(|r| r.items.iter().any(|x| x.text.starts_with("arn::")))
    });
    let partitioned = if empty_partition {
        sink.forall(
            &Slot::of(Var::Resource),
            &Pred {
                atoms: vec![model::glob_atom("arn::*")],
                negated: true,
            },
        )
    } else {
        term::t()
    };
    let domain = and([arn, caller, keys, sessions, partitioned]);
    sink.define(
        "domain",
        "every request: an IAM caller's value is an ARN with an account field; identity policies serve IAM callers; each key read holds values of its documented type and is present where AWS documents it always is",
        domain,
    )
}

enum Lowered {
    Finite(Box<Finite>),
    Strings(Box<Strings>),
}

impl Lowered {
    fn decode(&self, m: &dyn ModelView) -> Result<Request, DecodeError> {
        match self {
            Lowered::Finite(f) => f.decode(m),
            Lowered::Strings(s) => s.decode(m),
        }
    }

    fn script(&self) -> &crate::smt::term::Script {
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
fn lower(
    spec: &impl Spec,
    opts: &Options,
) -> Result<(Lowered, Built, Option<String>), Unsupported> {
    let start = Instant::now();
    let collector = collect(spec);
    tracing::debug!(
        elapsed_us = start.elapsed().as_micros() as u64,
        "collected atoms"
    );
    if opts.encoding == Encoding::Strings {
        if FINITE_ONLY.with(std::cell::Cell::get) {
            // A probe is a shortcut of the finitized path; the strings encoding decides
            // the whole query at once instead.
            return Err(Unsupported(
                "the strings encoding (a probe: the finitized encoding only)".into(),
            ));
        }
        let (l, b) = lower_strings(spec, &collector, false)?;
        return Ok((l, b, None));
    }
    let sampling = SAMPLING.with(std::cell::Cell::get) && !opts.expand_actions;
    if sampling && infix_heavy(&collector) {
        // Such patterns make the action's automaton grow with every subset of their
        // words: look among the known actions first; without a counterexample there,
        // run_timed builds the exact encoding.
        let why = SAMPLED_FIRST.to_string();
        return sampled(spec, opts, collector, why);
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
            // the known actions (only a model counts; see run_timed).
            sampled(spec, opts, collect(spec), why)
        }
        Err(Fallback(why)) => strings_instead(spec, why),
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
/// (`Finite::sampled`): only a model counts (run_timed).
fn sampled(
    spec: &impl Spec,
    opts: &Options,
    collector: Collector,
    why: String,
) -> Result<(Lowered, Built, Option<String>), Unsupported> {
    let start = Instant::now();
    let samples: Vec<String> = crate::actions::all()
        .iter()
        .map(|a| a.to_string())
        .collect();
    match Finite::sampled(collector, spec.policy_type(), opts.max_states, &samples) {
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
        Err(_) if why == SAMPLED_FIRST => without_sampling(|| lower(spec, opts)),
        Err(Fallback(other)) => strings_instead(spec, other),
    }
}

thread_local! {
    /// Whether a query may sample the action's regions ([`sampled`]); off while the
    /// query is decided again after a sampled `unsat`.
    static SAMPLING: std::cell::Cell<bool> = const { std::cell::Cell::new(true) };
}

/// Runs `f` without sampled action regions.
fn without_sampling<T>(f: impl FnOnce() -> T) -> T {
    let outer = SAMPLING.with(|c| c.replace(false));
    let out = f();
    SAMPLING.with(|c| c.set(outer));
    out
}

/// The strings encoding where the finitized one does not apply (inside a probe,
/// [`finite_only`], an inconclusive answer instead).
fn strings_instead(
    spec: &impl Spec,
    why: String,
) -> Result<(Lowered, Built, Option<String>), Unsupported> {
    if FINITE_ONLY.with(std::cell::Cell::get) {
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
    without_sampling(|| lower(spec, opts)).map(|(lowered, _, _)| lowered.script().text())
}

/// The self-contained proof script of a query: the plain strings encoding ending in
/// `(check-sat)`, which answers `unsat` exactly when the check passes.
pub(crate) fn proof_script_of(spec: &impl Spec) -> Result<String, Unsupported> {
    let (lowered, _) = lower_strings(spec, &collect(spec), true)?;
    Ok(format!("{}(check-sat)\n", lowered.script().text()))
}

thread_local! {
    /// The deadline of the check running on this thread ([`run`]).
    static DEADLINE: std::cell::Cell<Option<Instant>> = const { std::cell::Cell::new(None) };
}

thread_local! {
    /// Set while a probe runs ([`finite_only`]): no fallback to the strings encoding.
    static FINITE_ONLY: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `f` with the finitized encoding only: where it does not apply, the answer is
/// inconclusive instead of the strings encoding's (a probe for a FAIL that the strings
/// encoding decides anyway).
pub(crate) fn finite_only<T>(f: impl FnOnce() -> T) -> T {
    let outer = FINITE_ONLY.with(|c| c.replace(true));
    let out = f();
    FINITE_ONLY.with(|c| c.set(outer));
    out
}

/// A solver for a lowered query, with the check's limits and deadline.
fn engine(lowered: &Lowered, opts: &Options) -> Engine {
    Engine::load(
        lowered.script(),
        opts.solver,
        opts.timeout_ms,
        opts.max_memory_mb,
        deadline(),
    )
}

/// The deadline every solver call of the running check shares.
pub(crate) fn deadline() -> Option<Instant> {
    DEADLINE.with(std::cell::Cell::get)
}

/// One check, logged with its whole time (slicing, encoding, solving, replay,
/// reasons): the benchmark compares encodings by this line. Its solving shares one
/// deadline, `timeout_ms` from now (a check inside another keeps the outer one).
pub(crate) fn run(
    opts: &Options,
    check: impl FnOnce() -> Result<CheckResult, CheckError>,
) -> Result<CheckResult, CheckError> {
    let start = Instant::now();
    let outer = deadline();
    if outer.is_none() {
        let d = start + std::time::Duration::from_millis(u64::from(opts.timeout_ms));
        DEADLINE.with(|c| c.set(Some(d)));
    }
    let result = check();
    DEADLINE.with(|c| c.set(outer));
    info!(
        elapsed_us = start.elapsed().as_micros() as u64,
        encoding = ?opts.encoding,
        "checked"
    );
    result
}

pub(crate) fn run_timed(spec: &impl Spec, opts: &Options) -> Result<CheckResult, CheckError> {
    let (fail_message, pass_message) = spec.messages();
    let pass = |encoding: &'static str, fallback: Option<String>| CheckResult {
        result: Verdict::Pass,
        message: pass_message.to_string(),
        reasons: Vec::new(),
        counterexample: None,
        inconclusive: None,
        encoding,
        fallback,
        expanded_actions: None,
    };
    if spec.vacuous() {
        info!("no Allow statement is left in the query: it allows nothing");
        return Ok(pass("none", None));
    }
    let start = Instant::now();
    let lowered = lower(spec, opts);
    info!(
        elapsed_us = start.elapsed().as_micros() as u64,
        "encoded query"
    );
    let inconclusive =
        |why: String, encoding: &'static str, fallback: Option<String>| CheckResult {
            result: Verdict::Fail,
            message: fail_message.to_string(),
            reasons: Vec::new(),
            counterexample: None,
            inconclusive: Some(why),
            encoding,
            fallback,
            expanded_actions: None,
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
    let mut solver = engine(&lowered, opts);
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
            return without_sampling(|| run_timed(spec, opts));
        }
        if FINITE_ONLY.with(std::cell::Cell::get) {
            return Ok(inconclusive(
                format!(
                    "the analysis is inconclusive: {why} (a probe: the finitized encoding only)"
                ),
                "none",
                None,
            ));
        }
        info!("no counterexample among the known actions; using strings");
        let strings = Options {
            encoding: Encoding::Strings,
            ..opts.clone()
        };
        let mut r = run_timed(spec, &strings)?;
        r.fallback = Some(why);
        return Ok(r);
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
            crate::report::request_json(&linked)
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
        match known_action_counterexample(spec, opts)? {
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
    Ok(CheckResult {
        result: Verdict::Fail,
        message: fail_message.to_string(),
        reasons,
        counterexample: Some(linked),
        inconclusive: None,
        encoding,
        fallback,
        expanded_actions,
    })
}

/// A model's concrete request: decoded, spelled as the policies write it, with the
/// principal's derived keys linked.
fn concrete(
    lowered: &Lowered,
    model: &dyn ModelView,
    spec: &impl Spec,
) -> Result<Request, DecodeError> {
    let request = with_session(lowered.decode(model)?);
    let mut linked = spelled_as_written(request, &spec.policies());
    linked
        .link_principal_keys()
        .map_err(|e| DecodeError::Internal(format!("counterexample principal: {e}")))?;
    Ok(linked)
}

/// The action regions that hold known actions: each region's flag and its actions.
type ActionFlags = Vec<(String, Vec<crate::actions::KnownAction>)>;

fn action_flags(fin: &mut Finite) -> ActionFlags {
    let known = crate::actions::all();
    let names: Vec<String> = known.iter().map(|a| a.to_string()).collect();
    let Some(regions) = fin.regions_of_values(&Var::Action, &names) else {
        return Vec::new();
    };
    let mut by_region: BTreeMap<usize, Vec<crate::actions::KnownAction>> = BTreeMap::new();
    for (a, r) in known.iter().zip(regions) {
        if let Some(r) = r {
            by_region.entry(r).or_default().push(*a);
        }
    }
    by_region
        .into_iter()
        .filter_map(|(r, actions)| Some((fin.region_flag(&Var::Action, r)?, actions)))
        .collect()
}

/// For each action region: can the check fail there? Every action of a region that can
/// is put in a counterexample of the region and confirmed by the evaluator.
fn expand(
    lowered: &Lowered,
    solver: &mut Engine,
    flags: &ActionFlags,
    spec: &impl Spec,
) -> Result<Expansion, CheckError> {
    let mut actions = Vec::new();
    let mut undecided = 0;
    for (flag, members) in flags {
        let request = match in_region(lowered, solver, flag, spec)? {
            InRegion::Fails(r) => r,
            InRegion::Holds => continue,
            InRegion::Undecided => {
                undecided += members.len();
                continue;
            }
        };
        for a in members {
            let mut r = request.clone();
            r.action = a.to_string();
            spec.confirm(&r).map_err(|why| {
                CheckError::Internal(format!(
                    "the known action `{a}` lies in a failing region but does not replay: {why}"
                ))
            })?;
            actions.push(*a);
        }
    }
    Ok(Expansion {
        actions,
        incomplete: (undecided > 0).then(|| {
            format!("{undecided} known actions could not be decided (raise --timeout-ms)")
        }),
    })
}

/// What the check says when the action lies in one region.
enum InRegion {
    /// It fails there: a counterexample (not yet confirmed) with the region's witness.
    Fails(Request),
    /// It passes there.
    Holds,
    /// The solver gave no answer, or no single value realizes its model.
    Undecided,
}

/// Solves the query under a region flag (`action_flags`) and decodes the model.
fn in_region(
    lowered: &Lowered,
    solver: &mut Engine,
    flag: &str,
    spec: &impl Spec,
) -> Result<InRegion, CheckError> {
    let model = match solver.check(&[flag]) {
        Answer::Unsat => return Ok(InRegion::Holds),
        Answer::Unknown(_) => return Ok(InRegion::Undecided),
        Answer::Sat(m) => m,
    };
    match concrete(lowered, model.as_ref(), spec) {
        Ok(r) => Ok(InRegion::Fails(r)),
        Err(DecodeError::Unrealizable(_)) => Ok(InRegion::Undecided),
        Err(DecodeError::Internal(why)) => Err(CheckError::Internal(why)),
    }
}

/// What the solver says about known actions when a counterexample's action is none.
enum KnownAction {
    /// A confirmed, realistic counterexample whose action AWS defines.
    Found(Request),
    /// No known action fails the check: only names AWS does not define do.
    NoneExists,
    /// The question could not be answered (no finitized encoding, a timeout).
    Undecided,
}

/// How many known actions the strings encoding states as one disjunction, at most.
const MAX_KNOWN_LITERALS: usize = 512;

/// The known actions some Allow statement of `subject` covers (a counterexample's
/// action is always one of them), or `None` when an Allow uses `NotAction` or they are
/// too many to list.
fn covered_known_actions(subject: &Policy) -> Option<Vec<String>> {
    let mut globs = Vec::new();
    for s in subject
        .statements
        .iter()
        .filter(|s| s.effect == Effect::Allow)
    {
        if s.actions.negated {
            return None;
        }
        globs.extend(s.actions.items.iter().map(|a| &a.glob));
    }
    let names: Vec<String> = crate::actions::all()
        .iter()
        .map(|a| a.to_string())
        .filter(|n| {
            let folded = crate::pattern::fold(n);
            globs.iter().any(|g| g.matches(&folded))
        })
        .take(MAX_KNOWN_LITERALS + 1)
        .collect();
    (names.len() <= MAX_KNOWN_LITERALS).then_some(names)
}

/// Lowers the query again with one more definition, "the action is a known one", and
/// asks the solver under it. Finitized: the regions that hold AWS's actions (mapping
/// 22,000 actions costs milliseconds, so only a counterexample with an unknown action
/// pays it). Strings: the known actions the subject's Allow statements cover, as one
/// disjunction of literals.
fn known_action_counterexample(
    spec: &impl Spec,
    opts: &Options,
) -> Result<KnownAction, CheckError> {
    let Ok((mut lowered, _, _)) = lower(spec, opts) else {
        return Ok(KnownAction::Undecided);
    };
    let flags = match &mut lowered {
        Lowered::Finite(fin) => {
            let flags = action_flags(fin);
            let any = or(flags
                .iter()
                .map(|(flag, _)| term::var(flag))
                .collect::<Vec<_>>());
            fin.script.define(
                "action_is_known",
                "the action is one AWS defines".to_string(),
                any,
            );
            Some(flags)
        }
        Lowered::Strings(st) => {
            let Some(names) = covered_known_actions(spec.subject()) else {
                return Ok(KnownAction::Undecided);
            };
            let any = st.action_is_one_of(&names);
            st.script.define(
                "action_is_known",
                "the action is one AWS defines".to_string(),
                any,
            );
            None
        }
    };
    let mut solver = engine(&lowered, opts);
    let model = match solver.check(&["action_is_known"]) {
        Answer::Unsat => return Ok(KnownAction::NoneExists),
        Answer::Unknown(_) => return Ok(KnownAction::Undecided),
        Answer::Sat(m) => m,
    };
    let Some(flags) = flags else {
        // Strings: the model's action is a known one already (lower-cased, maybe).
        let request = match concrete(&lowered, model.as_ref(), spec) {
            Ok(r) => r,
            Err(DecodeError::Unrealizable(_)) => return Ok(KnownAction::Undecided),
            Err(DecodeError::Internal(why)) => return Err(CheckError::Internal(why)),
        };
        return Ok(match spec.confirm(&request) {
            Ok(()) => KnownAction::Found(realize::realize(request, spec)),
            Err(_) => KnownAction::Undecided,
        });
    };
    for (flag, members) in &flags {
        let InRegion::Fails(request) = in_region(&lowered, &mut solver, flag, spec)? else {
            continue;
        };
        // Every member of a failing region fails; the first one stands for them.
        let Some(a) = members.first() else { continue };
        let mut r = request;
        r.action = a.to_string();
        spec.confirm(&r).map_err(|why| {
            CheckError::Internal(format!(
                "the known action `{a}` lies in a failing region but does not replay: {why}"
            ))
        })?;
        return Ok(KnownAction::Found(realize::realize(r, spec)));
    }
    Ok(KnownAction::Undecided)
}

/// The same counterexample with the account's root ARN as its IAM principal, when the
/// witness is a bare shortest ARN and the evaluator still confirms the result.
fn readable_principal(r: &Request, spec: &impl Spec) -> Option<Request> {
    let Some(Principal::Aws(arn)) = &r.principal else {
        return None;
    };
    let account = crate::pattern::arn_account(arn)?;
    let root = format!("arn:aws:iam::{account}:root");
    if *arn == root || !crate::policy::is_account_id(account) {
        return None;
    }
    let candidate = realize::with_principal(r, Principal::Aws(root))?;
    spec.confirm(&candidate).ok().map(|()| candidate)
}

/// A model's role session name (model::ROLE_SESSION) made part of the caller: a role
/// `arn:P:iam::A:role/PATH/R` with session `S` is the caller
/// `arn:P:sts::A:assumed-role/R/S` (the session ARN drops the path; the context's
/// `aws:PrincipalArn` keeps it). The name never stays in the context; beside any other
/// caller (a user) no policy entry read it.
fn with_session(mut r: Request) -> Request {
    let Some(session) = r
        .context
        .get(model::ROLE_SESSION)
        .and_then(|v| v.first().cloned())
    else {
        return r;
    };
    r.context.remove(model::ROLE_SESSION);
    if let Some(Principal::Aws(arn)) = &r.principal {
        let f: Vec<&str> = arn.splitn(6, ':').collect();
        if let [_, partition, "iam", "", account, resource] = f.as_slice()
            && let Some(role) = resource
                .strip_prefix("role/")
                .and_then(|r| r.rsplit('/').next())
            && !role.is_empty()
            && !session.is_empty()
        {
            let caller = format!("arn:{partition}:sts::{account}:assumed-role/{role}/{session}");
            if crate::eval::is_session_role(&caller, arn) {
                let arn = arn.clone();
                r.context.remove("aws:PrincipalArn");
                r.context.add("aws:PrincipalArn", [arn]);
            }
            r.principal = Some(Principal::Aws(caller));
        }
    }
    r
}

/// Spells a counterexample's action and context keys as the policies write them (both
/// are case-insensitive, so the request means the same; it is replayed afterwards).
fn spelled_as_written(mut r: Request, policies: &[&Policy]) -> Request {
    let folded_action = crate::pattern::fold(&r.action);
    let mut keys: Vec<&str> = Vec::new();
    for p in policies {
        for s in &p.statements {
            // The literal action the evaluator matches it with (no copies: a 20,000-action
            // policy made 40,000 strings here).
            if let Some(a) = s
                .actions
                .items
                .iter()
                .find(|a| a.glob.is_literal() && a.glob.matches(&folded_action))
            {
                r.action = a.text.clone();
            }
            keys.extend(s.conditions.iter().map(|c| c.key_text.as_str()));
        }
    }
    let mut context = crate::eval::Context::default();
    for (k, values) in r.context.iter() {
        let name = keys
            .iter()
            .find(|w| crate::pattern::fold(w) == crate::pattern::fold(k))
            .copied()
            .or_else(|| {
                model::GLOBAL_KEY_SPELLINGS
                    .iter()
                    .find(|w| crate::pattern::fold(w) == crate::pattern::fold(k))
                    .copied()
            })
            .unwrap_or(k);
        context.add(name, values.to_vec());
    }
    r.context = context;
    r
}

/// Evaluates the encoder's formulas on one concrete request: the check-specific parts
/// of a counterexample are confirmed with it.
pub(crate) struct Concrete<'r> {
    pub request: &'r Request,
}

impl Concrete<'_> {
    fn values(&self, slot: &Slot) -> Vec<String> {
        let r = self.request;
        match &slot.var {
            Var::Action => vec![r.action.clone()],
            Var::Resource => vec![r.resource.clone()],
            Var::Principal => match &r.principal {
                // The caller's `aws:PrincipalArn`: a role session's role (principals.md).
                Some(Principal::Aws(_)) => r.principal_arn().into_iter().collect(),
                Some(p) if !slot.aws_only => p.value().map(str::to_string).into_iter().collect(),
                _ => Vec::new(),
            },
            Var::Key(k) if k == model::ROLE_SESSION => match &r.principal {
                Some(Principal::Aws(arn)) => crate::eval::role_session(arn)
                    .map(|(_, session)| vec![session.to_string()])
                    .unwrap_or_default(),
                _ => Vec::new(),
            },
            Var::Key(k) => r.context.get(k).map(<[String]>::to_vec).unwrap_or_default(),
        }
    }

    fn holds(&self, pred: &Pred, v: &str) -> bool {
        pred.atoms
            .iter()
            .any(|a: &Atom| a.holds_in(v, &self.request.context))
            != pred.negated
    }
}

impl Sink for Concrete<'_> {
    fn exists(&mut self, slot: &Slot, pred: &Pred) -> F {
        F::Const(self.values(slot).iter().any(|v| self.holds(pred, v)))
    }
    fn forall(&mut self, slot: &Slot, pred: &Pred) -> F {
        F::Const(self.values(slot).iter().all(|v| self.holds(pred, v)))
    }
    fn present(&mut self, slot: &Slot) -> F {
        F::Const(!self.values(slot).is_empty())
    }
    fn kind_is(&mut self, kind: Option<PrincipalKind>) -> F {
        // A request without a principal (identity policies) is an IAM caller.
        F::Const(match &self.request.principal {
            Some(p) => p.kind() == kind,
            None => kind == Some(PrincipalKind::Aws),
        })
    }
}

/// Whether a formula built by a concrete sink is true.
pub(crate) fn concrete_truth(f: &F) -> bool {
    matches!(f, F::Const(true))
}

/// Whether a request lies inside the model the checks reason about: a key that none
/// of `policies` reads with a set qualifier and that AWS does not document as
/// multivalued carries at most one distinct value (every proof states this
/// assumption). A request outside it cannot be sent to AWS for such a key.
///
/// The request's values also have their keys' documented types, and every key the
/// policies read that AWS documents as always present (for an IAM caller: every signed
/// request) is present (src/keys, encodings/request.md).
pub fn within_model(policies: &[&Policy], request: &Request) -> bool {
    use crate::keys;
    let mut collector = Collector::default();
    for p in policies {
        collector.note_policy(p);
    }
    let values_fit = request.context.iter().all(|(key, values)| {
        let key = crate::pattern::fold(key);
        let distinct: std::collections::BTreeSet<&String> = values.iter().collect();
        let scalar = keys::key_type(&key).scalar;
        (distinct.len() <= 1 || collector.is_multivalued(&key))
            && values.iter().all(|v| keys::is_value_of(scalar, v))
    });
    values_fit && missing_keys(policies, request).is_empty()
}

/// The conditions of `policies` whose key AWS would always send with this request (for
/// every request, or for every IAM caller's: an identity policy's caller is one) but
/// the request lacks (src/keys).
pub(crate) fn missing_keys<'p>(
    policies: &[&'p Policy],
    request: &Request,
) -> Vec<&'p crate::policy::Condition> {
    use crate::keys::{self, Availability};
    let iam_caller = matches!(request.principal, Some(Principal::Aws(_)))
        || policies
            .iter()
            .any(|p| p.policy_type == PolicyType::Identity);
    policies
        .iter()
        .flat_map(|p| &p.statements)
        .flat_map(|s| &s.conditions)
        .filter(|c| match keys::availability(&c.key) {
            Some(Availability::Always) => true,
            Some(Availability::IamCaller) => iam_caller,
            None => false,
        })
        .filter(|c| request.context.get(&c.key).is_none())
        .collect()
}

/// What the encoder's formulas say about one concrete request: whether the policy allows
/// it. Differential tests compare this with the evaluator.
pub fn encoded_allows(policy: &Policy, request: &Request) -> bool {
    let mut sink = Concrete { request };
    let (allows, _) = policy_allows(&mut sink, policy, "policy");
    concrete_truth(&allows)
}
