//! Command line: clap arguments → library calls → report → exit code.

pub mod account;
pub mod batch;
pub mod checks;
pub mod input;
pub mod serve;
pub mod template;

use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context as _, Result};
use clap::{Parser, Subcommand, ValueEnum};
use tracing::info;

use crate::context;
use crate::eval::{self, Principal, Request};
use crate::policy::{self, PolicyType};
use crate::report;

/// Exit codes shared by every command.
pub mod exit {
    /// Allowed (simulate) / PASS (checks).
    pub const OK: u8 = 0;
    /// Denied (simulate) / FAIL (checks).
    pub const NEGATIVE: u8 = 1;
    /// Invalid input: bad arguments, unreadable or invalid documents.
    pub const INVALID: u8 = 2;
    /// The analysis could not decide (timeout, unsupported construct).
    pub const INCONCLUSIVE: u8 = 3;
    /// A bug in hornbeam, e.g. a counterexample the evaluator does not confirm.
    pub const INTERNAL: u8 = 4;

    /// A check's exit code: PASS 0, FAIL 1, inconclusive 3.
    pub fn of(outcome: &crate::checks::Outcome) -> u8 {
        use crate::checks::Outcome;
        match outcome {
            Outcome::Pass { .. } => OK,
            Outcome::Fail(_) => NEGATIVE,
            Outcome::Inconclusive { .. } => INCONCLUSIVE,
        }
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
    Simulate(SimulateArgs),
    /// Does the new policy grant any access the existing policy does not?
    CheckNoNewAccess(checks::NoNewAccessArgs),
    /// Does the policy grant any of the listed actions and/or resources?
    CheckAccessNotGranted(checks::AccessNotGrantedArgs),
    /// Can an unknown caller be allowed by this resource policy?
    CheckNoPublicAccess(checks::NoPublicAccessArgs),
    /// Re-check a proof bundle written by --emit-proof.
    VerifyProof(checks::VerifyProofArgs),
    /// The reference-policy library, usable as `builtin:NAME`.
    #[command(subcommand)]
    ReferencePolicies(ReferencePoliciesCommand),
    /// AWS's managed policies, known offline: usable as `aws-managed:NAME` or their ARN.
    #[command(subcommand)]
    ManagedPolicies(ManagedPoliciesCommand),
    /// Answer IAM Access Analyzer's policy-check API over HTTP, offline, for the AWS
    /// CLI, the SDKs and the policy validators (AWS_ENDPOINT_URL=http://127.0.0.1:8383).
    Serve(serve::ServeArgs),
}

#[derive(Subcommand, Debug)]
enum ManagedPoliciesCommand {
    /// List the AWS managed policies hornbeam knows, with their ARNs and versions.
    List,
    /// Print one: `NAME`, `aws-managed:NAME` or its ARN.
    Show {
        /// The policy.
        name: String,
    },
}

#[derive(Subcommand, Debug)]
enum ReferencePoliciesCommand {
    /// List the built-in reference policies and access lists.
    List,
    /// Print one of them.
    Show {
        /// The name, as `list` shows it.
        name: String,
    },
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputFormat {
    /// AWS's response shape plus the counterexample (findings for templates/accounts).
    Json,
    /// For people: the verdict, the counterexample and why each statement applies.
    Text,
    /// SARIF 2.1.0, for code-scanning upload: a result per finding or FAIL.
    Sarif,
}

/// Prints to standard output; a closed pipe (`hornbeam ... | head`) ends the output
/// quietly instead of panicking.
pub fn print(text: &str) {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    if writeln!(out, "{text}").and_then(|_| out.flush()).is_err() {
        // Nobody reads any more; the exit code still tells the result.
    }
}

#[derive(clap::Args, Debug)]
struct SimulateArgs {
    /// The policy: `file://path`, a path, `-` for stdin, or inline JSON.
    #[arg(
        long,
        required_unless_present = "policy_set",
        conflicts_with = "policy_set"
    )]
    policy_document: Option<String>,
    /// A principal's authorization context instead: a policy-set document (README).
    #[arg(long)]
    policy_set: Option<String>,
    /// IDENTITY_POLICY or RESOURCE_POLICY.
    #[arg(long, required_unless_present = "policy_set")]
    policy_type: Option<String>,
    /// The action, e.g. `s3:GetObject`.
    #[arg(long)]
    action: String,
    /// The resource ARN, e.g. `arn:aws:s3:::bucket/key`.
    #[arg(long)]
    resource: String,
    /// The caller (required for resource policies): an ARN, a 12-digit account,
    /// `Service:NAME`, `Federated:NAME`, `CanonicalUser:ID` or `anonymous`.
    #[arg(long)]
    principal: Option<String>,
    /// A context key and value, `KEY=VALUE`; repeat a key for a multi-valued key.
    #[arg(long = "context", value_name = "KEY=VALUE")]
    context: Vec<String>,
    /// The whole context as a JSON object (`file://path`, path or inline).
    #[arg(long)]
    context_json: Option<String>,
    /// json (the decision and each statement's outcome) or text.
    #[arg(long, value_enum, default_value = "json")]
    output: SimulateOutput,
}

/// What simulate prints: a decision has no findings, so no SARIF.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum SimulateOutput {
    Json,
    Text,
}

/// Runs the command line; returns the process exit code.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() {
                exit::INVALID
            } else {
                exit::OK
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
                exit::INTERNAL
            } else {
                exit::INVALID
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

fn run(cli: Cli) -> Result<u8> {
    match cli.command {
        Command::Simulate(args) => simulate(args),
        Command::CheckNoNewAccess(args) => checks::no_new_access(args),
        Command::CheckAccessNotGranted(args) => checks::access_not_granted(args),
        Command::CheckNoPublicAccess(args) => checks::no_public_access(args),
        Command::VerifyProof(args) => checks::verify_proof(args),
        Command::ReferencePolicies(c) => reference_policies(c),
        Command::ManagedPolicies(c) => managed_policies(c),
        Command::Serve(args) => serve::serve(args),
    }
}

fn managed_policies(command: ManagedPoliciesCommand) -> Result<u8> {
    match command {
        ManagedPoliciesCommand::List => {
            let mut out = String::new();
            for name in crate::managed::names() {
                if let Some(Ok(p)) = crate::managed::get(&format!("aws-managed:{name}")) {
                    out += &format!("{}\t{}\t{}\n", p.name, p.version, p.arn);
                }
            }
            out += &format!(
                "\n{} policies from {}; use one as a policy document: aws-managed:NAME or its ARN.",
                crate::managed::names().len(),
                crate::managed::source()
            );
            print(&out);
            Ok(exit::OK)
        }
        ManagedPoliciesCommand::Show { name } => {
            let reference = if crate::managed::reference_name(&name).is_some() {
                name
            } else {
                format!("aws-managed:{name}")
            };
            match crate::managed::get(&reference) {
                Some(Ok(p)) => {
                    let pretty = serde_json::from_str::<serde_json::Value>(&p.document)
                        .ok()
                        .and_then(|v| serde_json::to_string_pretty(&v).ok())
                        .unwrap_or_else(|| p.document.clone());
                    print(&pretty);
                    Ok(exit::OK)
                }
                Some(Err(e)) => Err(anyhow::Error::new(e).context("managed-policies show")),
                None => anyhow::bail!(
                    "managed-policies show: `{reference}` names no AWS managed policy"
                ),
            }
        }
    }
}

fn reference_policies(command: ReferencePoliciesCommand) -> Result<u8> {
    use crate::references::{self, Use};
    match command {
        ReferencePoliciesCommand::List => {
            let width = references::ALL
                .iter()
                .map(|b| b.name.len())
                .max()
                .unwrap_or(0);
            let mut out = String::new();
            for b in references::ALL {
                let kind = match b.kind {
                    Use::Reference(t) => t.to_string(),
                    Use::Access => "ACCESS_LIST".to_string(),
                };
                out += &format!("builtin:{:width$}  {kind:15}  {}\n", b.name, b.summary);
            }
            out += "\nUse one as --existing-policy-document/--reference-policy builtin:NAME (reference policies)\nor --access builtin:NAME (access lists); `hornbeam reference-policies show NAME` prints it.";
            print(&out);
            Ok(exit::OK)
        }
        ReferencePoliciesCommand::Show { name } => match references::get(&name) {
            Some(b) => {
                print(b.text.trim_end());
                Ok(exit::OK)
            }
            None => anyhow::bail!(
                "reference-policies show: there is no built-in `{name}`; the names are {}",
                references::names()
            ),
        },
    }
}

/// The request `simulate` evaluates, from its flags and, for `--policy-set`, the set:
/// its principal is the caller unless `--principal` names one (a session of it, say),
/// and what the set fixes fills the context where the flags leave it out.
fn simulated_request(args: &SimulateArgs, set: Option<&context::PolicySet>) -> Result<Request> {
    let principal = args
        .principal
        .as_deref()
        .or_else(|| {
            set.and_then(|s| s.principal.as_ref())
                .map(|(arn, _)| arn.as_str())
        })
        .map(str::parse::<Principal>)
        .transpose()
        .context("--principal")?;
    let mut request = Request {
        principal,
        action: args.action.clone(),
        resource: args.resource.clone(),
        context: eval::Context::default(),
    };
    if let Some(doc) = &args.context_json {
        let text = input::read_document(doc, "--context-json")?;
        input::context_from_json(&mut request.context, &text, "--context-json")?;
    }
    input::context_from_pairs(&mut request.context, &args.context)?;
    if let Some(set) = set {
        for (key, value) in set.implied_context(request.principal.as_ref()) {
            if request.context.get(key).is_none() {
                request.context.add(key, [value]);
            }
        }
    }
    request.link_principal_keys()?;
    request.check_types().context("--context")?;
    Ok(request)
}

/// `simulate --policy-set`: the decision of a principal's whole context, then each of
/// its policies' own evaluation.
fn simulate_context(args: &SimulateArgs, set: &str) -> Result<u8> {
    if args
        .policy_type
        .as_deref()
        .is_some_and(|t| t.parse::<PolicyType>().ok() != Some(PolicyType::Identity))
    {
        anyhow::bail!(
            "a policy set is a principal's identity-side context: use --policy-type IDENTITY_POLICY (or leave it out)"
        );
    }
    let set = checks::read_policy_set(set, "--policy-set")?;
    let request = simulated_request(args, Some(&set))?;
    let combined = set.combined();
    let mut parts: Vec<(String, &crate::policy::Policy)> = set
        .identity
        .iter()
        .map(|p| (format!("identity policy `{}`", p.name), &p.policy))
        .collect();
    // A same-account resource policy grants beside the identity policies (a Deny in it
    // denies): it is a part of its own, whole.
    if let Some((r, context::AccountRelation::Same)) = &set.resource {
        parts.push((
            format!("resource policy `{}` (same account)", r.name),
            &r.policy,
        ));
    }
    parts.extend(combined.limits.iter().map(|(what, p)| (what.clone(), p)));
    let evaluations: Vec<eval::Evaluation> = parts
        .iter()
        .map(|(_, p)| eval::evaluate(p, &request))
        .collect();
    let denied = evaluations
        .iter()
        .any(|e| e.decision == eval::Decision::ExplicitDeny);
    let decision = if denied {
        eval::Decision::ExplicitDeny
    } else if combined.allows(&request) {
        eval::Decision::Allowed
    } else {
        eval::Decision::ImplicitDeny
    };
    let out = match args.output {
        SimulateOutput::Json => {
            let policies: Vec<serde_json::Value> = parts
                .iter()
                .zip(&evaluations)
                .map(|((what, p), e)| {
                    let mut v: serde_json::Value =
                        serde_json::from_str(&report::simulation_json(p, &request, e))
                            .unwrap_or_default();
                    v["policy"] = serde_json::json!(what);
                    v
                })
                .collect();
            serde_json::to_string_pretty(&serde_json::json!({
                "decision": decision.to_string(),
                "policies": policies,
            }))
            .unwrap_or_default()
        }
        SimulateOutput::Text => {
            let mut out = format!("{decision}\n");
            for ((what, p), e) in parts.iter().zip(&evaluations) {
                out += &format!("{what}: {}\n", e.decision);
                out += &report::statement_lines(p, e, "  ");
            }
            out.trim_end().to_string()
        }
    };
    print(&out);
    Ok(match decision {
        eval::Decision::Allowed => exit::OK,
        _ => exit::NEGATIVE,
    })
}

fn simulate(args: SimulateArgs) -> Result<u8> {
    if let Some(set) = &args.policy_set {
        return simulate_context(&args, set);
    }
    let policy_type: PolicyType = args
        .policy_type
        .as_deref()
        .unwrap_or_default()
        .parse()
        .map_err(anyhow::Error::msg)?;
    let start = Instant::now();
    let text = input::read_document(
        args.policy_document.as_deref().unwrap_or_default(),
        "--policy-document",
    )?;
    let policy = policy::parse(&text, policy_type).context("--policy-document")?;
    info!(
        elapsed_us = start.elapsed().as_micros() as u64,
        "parsed policy"
    );

    let request = simulated_request(&args, None)?;
    if policy_type == PolicyType::Resource && request.principal.is_none() {
        anyhow::bail!(
            "--principal is required for a RESOURCE_POLICY (the policy's Principal element is matched against it); e.g. `--principal arn:aws:iam::111122223333:role/app` or `--principal anonymous`"
        );
    }

    let start = Instant::now();
    let evaluation = eval::evaluate(&policy, &request);
    info!(
        elapsed_us = start.elapsed().as_micros() as u64,
        "evaluated request"
    );

    let out = match args.output {
        SimulateOutput::Json => report::simulation_json(&policy, &request, &evaluation),
        SimulateOutput::Text => report::simulation_text(&policy, &request, &evaluation),
    };
    print(&out);
    Ok(match evaluation.decision {
        eval::Decision::Allowed => exit::OK,
        _ => exit::NEGATIVE,
    })
}
