//! Command line: clap arguments → library calls → report → exit status.
//!
//! `commands/` has one module per subcommand; `args` the options checks share and the
//! one call that runs a check; `input` reads documents and request bodies as the AWS CLI
//! does; `output` reports a check; `batch`, `template` and `account` run a check over
//! many files, a template's policies or an account's principals.

pub(crate) mod account;
pub(crate) mod args;
pub(crate) mod batch;
pub(crate) mod commands;
pub(crate) mod input;
pub(crate) mod output;
pub(crate) mod template;

use std::process::ExitCode;

use anyhow::Result;
use clap::{Parser, Subcommand, ValueEnum};

use crate::checks::Outcome;

/// What a command's exit code says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ExitStatus {
    /// Allowed (simulate) / PASS (checks).
    Ok = 0,
    /// Denied (simulate) / FAIL (checks).
    Negative = 1,
    /// Invalid input: bad arguments, unreadable or invalid documents.
    Invalid = 2,
    /// The analysis could not decide (timeout, unsupported construct).
    Inconclusive = 3,
    /// A bug in hornbeam, e.g. a counterexample the evaluator does not confirm.
    Internal = 4,
}

impl ExitStatus {
    /// A check's status: PASS, FAIL or inconclusive.
    pub fn of(outcome: &Outcome) -> ExitStatus {
        match outcome {
            Outcome::Pass { .. } => ExitStatus::Ok,
            Outcome::Fail(_) => ExitStatus::Negative,
            Outcome::Inconclusive { .. } => ExitStatus::Inconclusive,
        }
    }

    /// How bad it is, for "the exit code is the worst result": internal > invalid >
    /// inconclusive > FAIL > PASS.
    pub fn severity(self) -> u8 {
        match self {
            ExitStatus::Ok => 0,
            ExitStatus::Negative => 1,
            ExitStatus::Inconclusive => 2,
            ExitStatus::Invalid => 3,
            ExitStatus::Internal => 4,
        }
    }

    /// The worse of two statuses.
    pub fn worst(self, other: ExitStatus) -> ExitStatus {
        if other.severity() > self.severity() {
            other
        } else {
            self
        }
    }
}

impl From<ExitStatus> for ExitCode {
    fn from(s: ExitStatus) -> ExitCode {
        ExitCode::from(s as u8)
    }
}

#[derive(Parser, Debug)]
#[command(
    name = "hornbeam",
    version,
    about = "Offline proofs about AWS IAM policies"
)]
struct Cli {
    /// Log phase timings to stderr (-vv for more detail, -vvv adds the SMT-LIB script).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Evaluate one concrete request against a policy, offline.
    Simulate(commands::simulate::SimulateArgs),
    /// Does the new policy grant any access the existing policy does not?
    CheckNoNewAccess(commands::no_new_access::NoNewAccessArgs),
    /// Does the policy grant any of the listed actions and/or resources?
    CheckAccessNotGranted(commands::access_not_granted::AccessNotGrantedArgs),
    /// Can an unknown caller be allowed by this resource policy?
    CheckNoPublicAccess(commands::no_public_access::NoPublicAccessArgs),
    /// Who outside a zone of trust can reach this resource: every external access, with
    /// a proof that the list is complete.
    CheckExternalAccess(commands::external_access::ExternalAccessArgs),
    /// ValidatePolicy findings (AWS's codes, locations and links), offline.
    ValidatePolicy(commands::validate_policy::ValidatePolicyArgs),
    /// ValidatePolicy over every policy of a CloudFormation template or Terraform plan.
    Validate(commands::validate::ValidateArgs),
    /// Re-check a proof bundle written by --emit-proof.
    VerifyProof(commands::verify_proof::VerifyProofArgs),
    /// The reference-policy library, usable as `builtin:NAME`.
    #[command(subcommand)]
    ReferencePolicies(commands::reference_policies::ReferencePoliciesCommand),
    /// AWS's managed policies, known offline: usable as `aws-managed:NAME` or their ARN.
    #[command(subcommand)]
    ManagedPolicies(commands::managed_policies::ManagedPoliciesCommand),
    /// Answer IAM Access Analyzer's policy-check API over HTTP, offline, for the AWS
    /// CLI, the SDKs and the policy validators (AWS_ENDPOINT_URL=http://127.0.0.1:8383).
    Serve(commands::serve::ServeArgs),
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OutputFormat {
    /// AWS's response shape plus the counterexample (findings for templates/accounts).
    Json,
    /// For people: the verdict, the counterexample and why each statement applies.
    Text,
    /// SARIF 2.1.0, for code-scanning upload: a result per finding or FAIL.
    Sarif,
}

/// Prints to standard output; a closed pipe (`hornbeam ... | head`) ends the output
/// quietly instead of panicking.
pub(crate) fn print(text: &str) {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    if writeln!(out, "{text}").and_then(|_| out.flush()).is_err() {
        // Nobody reads any more; the exit code still tells the result.
    }
}

/// Runs the command line; returns the process exit code.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() {
                ExitStatus::Invalid
            } else {
                ExitStatus::Ok
            });
        }
    };
    init_tracing(cli.verbose, matches!(cli.command, Command::Serve(_)));
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("hornbeam: error: {e:#}");
            let internal = e.downcast_ref::<crate::checks::CheckError>().is_some();
            ExitCode::from(if internal {
                ExitStatus::Internal
            } else {
                ExitStatus::Invalid
            })
        }
    }
}

/// `serve` logs its own events only (requests, timings, never policy contents): the
/// engine's detail logs quote policy values and the SMT script, so they stay at
/// warnings there; the server's log lines carry timestamps.
fn init_tracing(verbose: u8, serve: bool) {
    use tracing_subscriber::prelude::*;
    let level = match verbose {
        0 => tracing::Level::WARN,
        1 => tracing::Level::INFO,
        2 => tracing::Level::DEBUG,
        _ => tracing::Level::TRACE,
    };
    let layer = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false);
    let _ = if serve {
        let filter = tracing_subscriber::filter::Targets::new()
            .with_default(tracing::Level::WARN)
            .with_target("hornbeam::server", level);
        tracing_subscriber::registry()
            .with(layer.with_filter(filter))
            .try_init()
    } else {
        let filter = tracing_subscriber::filter::LevelFilter::from_level(level);
        tracing_subscriber::registry()
            .with(layer.without_time().with_filter(filter))
            .try_init()
    };
}

fn run(cli: Cli) -> Result<ExitStatus> {
    match cli.command {
        Command::Simulate(args) => commands::simulate::simulate(args),
        Command::CheckNoNewAccess(args) => commands::no_new_access::no_new_access(args),
        Command::CheckAccessNotGranted(args) => {
            commands::access_not_granted::access_not_granted(args)
        }
        Command::CheckNoPublicAccess(args) => commands::no_public_access::no_public_access(args),
        Command::CheckExternalAccess(args) => commands::external_access::external_access(args),
        Command::VerifyProof(args) => commands::verify_proof::verify_proof(args),
        Command::ReferencePolicies(c) => commands::reference_policies::reference_policies(c),
        Command::ManagedPolicies(c) => commands::managed_policies::managed_policies(c),
        Command::Serve(args) => commands::serve::serve(args),
        Command::ValidatePolicy(args) => commands::validate_policy::validate_policy(args),
        Command::Validate(args) => commands::validate::validate(args),
    }
}
