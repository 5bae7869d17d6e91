//! `simulate`: one request through the concrete evaluator, for a policy or a policy
//! set.

use std::time::Instant;

use anyhow::{Context as _, Result};
use clap::ValueEnum;
use tracing::info;

use crate::cli::input::{self};
use crate::cli::{ExitStatus, print};
use crate::context;
use crate::eval::{self, Principal, Request};
use crate::policy::{self, PolicyType};
use crate::report;

#[derive(clap::Args, Debug)]
pub(crate) struct SimulateArgs {
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
pub(crate) enum SimulateOutput {
    Json,
    Text,
}

/// The request `simulate` evaluates, from its flags and, for `--policy-set`, the set:
/// its principal is the caller unless `--principal` names one (a session of it, say),
/// and what the set fixes fills the context where the flags leave it out.
pub(crate) fn simulated_request(
    args: &SimulateArgs,
    set: Option<&context::PolicySet>,
) -> Result<Request> {
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
pub(crate) fn simulate_context(args: &SimulateArgs, set: &str) -> Result<ExitStatus> {
    if args
        .policy_type
        .as_deref()
        .is_some_and(|t| t.parse::<PolicyType>().ok() != Some(PolicyType::Identity))
    {
        anyhow::bail!(
            "a policy set is a principal's identity-side context: use --policy-type IDENTITY_POLICY (or leave it out)"
        );
    }
    let set = input::read_policy_set(set, "--policy-set")?;
    let request = simulated_request(args, Some(&set))?;
    let combined = set.combined();
    let evaluated = set.evaluate(&combined, &request);
    let decision = evaluated.decision;
    let out = match args.output {
        SimulateOutput::Json => {
            let policies: Vec<serde_json::Value> = evaluated
                .parts
                .iter()
                .map(|(what, p, e)| {
                    let mut v: serde_json::Value = report::json::simulation(p, &request, e);
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
            for (what, p, e) in &evaluated.parts {
                out += &format!("{what}: {}\n", e.decision);
                out += &report::text::statement_lines(p, e, "  ");
            }
            out.trim_end().to_string()
        }
    };
    print(&out);
    Ok(match decision {
        eval::Decision::Allowed => ExitStatus::Ok,
        _ => ExitStatus::Negative,
    })
}

pub(crate) fn simulate(args: SimulateArgs) -> Result<ExitStatus> {
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
        SimulateOutput::Json => {
            serde_json::to_string_pretty(&report::json::simulation(&policy, &request, &evaluation))
                .unwrap_or_default()
        }
        SimulateOutput::Text => report::text::simulation(&policy, &request, &evaluation),
    };
    print(&out);
    Ok(match evaluation.decision {
        eval::Decision::Allowed => ExitStatus::Ok,
        _ => ExitStatus::Negative,
    })
}
