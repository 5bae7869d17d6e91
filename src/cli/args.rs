//! The options every check command shares, and the one call that runs a check.

use anyhow::{Result, anyhow};
use clap::ValueEnum;

use crate::checks::{self, Check, CheckError, Encoding, Options, Outcome};
use crate::cli::OutputFormat;
use crate::smt::SolverChoice;

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EncodingArg {
    /// Finitized regions; falls back to strings where they do not apply.
    Finite,
    /// Plain SMT strings and regular expressions.
    Strings,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SolverArg {
    /// The native SAT solver for finitized queries, Z3 for the rest.
    Auto,
    /// Z3 for every query (a cross-check of the native solver).
    Z3,
}

#[derive(clap::Args, Debug)]
pub(crate) struct CommonArgs {
    /// The AWS request body as JSON (`file://path`, path or inline); flags override it.
    #[arg(long)]
    pub cli_input_json: Option<String>,
    /// How the answer is printed.
    #[arg(long, value_enum, default_value = "json")]
    pub output: OutputFormat,
    /// How policies become formulas (both are exact; `strings` is the cross-check).
    #[arg(long, value_enum, default_value = "finite")]
    pub encoding: EncodingArg,
    /// Which solver decides the formulas.
    #[arg(long, value_enum, default_value = "auto")]
    pub solver: SolverArg,
    /// Solving time limit per check, in milliseconds: the verdict, reasons, realistic
    /// values and expanded actions share one deadline; reaching it is inconclusive.
    #[arg(long, default_value_t = 10_000)]
    pub timeout_ms: u32,
    /// Z3's memory limit in MB (at least 64); reaching it makes the result inconclusive.
    #[arg(long, default_value_t = 2_048, value_parser = clap::value_parser!(u32).range(64..))]
    pub max_memory_mb: u32,
    /// On FAIL, list the known IAM actions the failure is about (each confirmed by the
    /// evaluator), e.g. every action that gains access.
    #[arg(long)]
    pub expand_actions: bool,
    /// Encode the whole policies: do not first leave out the statements and action
    /// patterns that cannot change the answer (for comparing encodings).
    #[arg(long)]
    pub no_slice: bool,
    /// Worker threads in batch mode (a directory or glob of documents); default: one
    /// per core.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub jobs: Option<u32>,
    /// Write a re-checkable proof bundle (inputs, SHA-256, SMT-LIB query, report) here.
    #[arg(long, value_name = "DIR")]
    pub emit_proof: Option<std::path::PathBuf>,
}

pub(crate) fn options(common: &CommonArgs) -> Options {
    Options {
        encoding: match common.encoding {
            EncodingArg::Finite => Encoding::Finite,
            EncodingArg::Strings => Encoding::Strings,
        },
        timeout_ms: common.timeout_ms,
        max_memory_mb: common.max_memory_mb,
        expand_actions: common.expand_actions,
        slice: !common.no_slice,
        solver: match common.solver {
            SolverArg::Auto => SolverChoice::Auto,
            SolverArg::Z3 => SolverChoice::Z3,
        },
        ..Options::default()
    }
}

/// Runs a check through the library's one entry; an input error names its flag.
pub(crate) fn decide(check: &Check, opts: &Options) -> Result<Outcome> {
    checks::run(check, opts).map_err(flagged)
}

/// A check's error for the command line: bad input names its flag (exit 2); anything
/// else stays a `CheckError`, which the CLI reports as internal (exit 4).
pub(crate) fn flagged(e: CheckError) -> anyhow::Error {
    match e {
        CheckError::Access(_) => anyhow!("--access: {e}"),
        CheckError::ResourceType(_) => anyhow!("--resource-type: {e}"),
        other => other.into(),
    }
}
