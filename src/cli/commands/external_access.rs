//! `check-external-access`: who outside a zone of trust can reach a resource through its
//! policy, as IAM Access Analyzer's external access findings, with a proof that the
//! findings are complete. Exit 1 when a finding's principal is not one of
//! `--allow-external-principals` (cfn-policy-validator's flag), 3 when the analysis could
//! not decide.

use std::time::Instant;

use anyhow::{Context as _, Result, anyhow};
use serde_json::{Value, json};

use crate::checks::{Check, Options};
use crate::cli::args::{CommonArgs, options};
use crate::cli::input::read_document;
use crate::cli::{ExitStatus, OutputFormat, print};
use crate::external::{self, Analysis, ExternalError, ExternalFinding, Input, Zone};
use crate::policy::PolicyType;
use crate::proof::Recipe;

#[derive(clap::Args, Debug)]
pub(crate) struct ExternalAccessArgs {
    /// The resource policy (or role trust policy): `file://path`, a path, `-` for stdin
    /// or inline JSON.
    #[arg(long)]
    pub policy_document: String,
    /// The resource type: AWS::S3::Bucket, AWS::S3::AccessPoint,
    /// AWS::IAM::AssumeRolePolicyDocument, AWS::KMS::Key, AWS::SQS::Queue,
    /// AWS::SNS::Topic, AWS::SecretsManager::Secret, AWS::Lambda::Function,
    /// AWS::ECR::Repository, ...
    #[arg(long)]
    pub resource_type: String,
    /// The resource's ARN, shown with the findings.
    #[arg(long)]
    pub resource_arn: Option<String>,
    /// The zone of trust: an account id, or an organization id (`o-...`).
    #[arg(long)]
    pub zone_of_trust: String,
    /// More accounts of the zone (the organization's member accounts, or accounts the
    /// account zone trusts too); repeat or comma-separate.
    #[arg(long, value_delimiter = ',')]
    pub zone_account: Vec<String>,
    /// The policy in place now: each finding gets AWS's changeType (NEW, CHANGED,
    /// UNCHANGED) against it.
    #[arg(long)]
    pub existing_policy_document: Option<String>,
    /// Principals whose external access does not block (account ids, ARNs, service or
    /// provider names), comma-separated; a public finding always blocks.
    #[arg(long, value_delimiter = ',')]
    pub allow_external_principals: Vec<String>,
    #[command(flatten)]
    pub common: CommonArgs,
}

pub(crate) fn external_access(args: ExternalAccessArgs) -> Result<ExitStatus> {
    let start = Instant::now();
    let zone = Zone::parse(&args.zone_of_trust, &args.zone_account).map_err(|e| match e {
        ExternalError::Zone(_) => anyhow!("--zone-of-trust: {e}"),
        other => anyhow!(other),
    })?;
    let text = read_document(&args.policy_document, "--policy-document")?;
    let existing = args
        .existing_policy_document
        .as_deref()
        .map(|d| read_document(d, "--existing-policy-document"))
        .transpose()?;
    let opts = options(&args.common);
    let input = Input {
        policy: &text,
        resource_type: &args.resource_type,
        zone: &zone,
        existing: existing.as_deref(),
    };
    let analysis = external::analyze(&input, &opts).map_err(|e| match e {
        ExternalError::Check(c) => anyhow!(c),
        ExternalError::ResourceType(_) => anyhow!("--resource-type: {e}"),
        other => anyhow!(other),
    })?;
    let elapsed = start.elapsed().as_secs_f64() * 1000.0;
    if let (Some(dir), Analysis::Complete { proof, .. }) = (&args.common.emit_proof, &analysis) {
        write_proof(dir, proof, &opts)?;
    }
    let blocking: Vec<&ExternalFinding> = analysis
        .findings()
        .iter()
        .filter(|f| !f.allowed_by(&args.allow_external_principals))
        .collect();
    let status = match (&analysis, blocking.is_empty()) {
        (Analysis::Inconclusive { .. }, _) => ExitStatus::Inconclusive,
        (_, false) => ExitStatus::Negative,
        (_, true) => ExitStatus::Ok,
    };
    let out = match args.common.output {
        OutputFormat::Json => serde_json::to_string_pretty(&report(&args, &analysis, elapsed))?,
        OutputFormat::Text => text_report(&args, &analysis),
        OutputFormat::Sarif => crate::report::sarif::external_access(
            analysis.findings(),
            &args.policy_document,
            &args.allow_external_principals,
        ),
    };
    print(&out);
    Ok(status)
}

/// The proving check as a bundle `verify-proof` re-checks: `check-no-new-access` of the
/// external policy against the findings' policy, run again for its report.
fn write_proof(dir: &std::path::Path, proof: &(String, String), opts: &Options) -> Result<()> {
    let parse = |t: &str| crate::policy::parse(t, PolicyType::Resource);
    let (new, existing) = (
        parse(&proof.0).context("--emit-proof")?,
        parse(&proof.1).context("--emit-proof")?,
    );
    let check = Check::NoNewAccess {
        new: &new,
        existing: &existing,
    };
    let start = Instant::now();
    let outcome = crate::checks::run(&check, opts)?;
    let recipe = Recipe::of(&check, vec![proof.0.clone(), proof.1.clone()]);
    crate::proof::write_bundle(
        dir,
        &recipe,
        &outcome,
        start.elapsed().as_secs_f64() * 1000.0,
    )
    .context("--emit-proof")
}

fn report(args: &ExternalAccessArgs, analysis: &Analysis, elapsed_ms: f64) -> Value {
    let (result, why, checks) = match analysis {
        Analysis::Complete { checks, .. } => ("COMPLETE", None, *checks),
        Analysis::Inconclusive { why, checks, .. } => ("INCONCLUSIVE", Some(why), *checks),
    };
    let mut out = json!({
        "resourceType": args.resource_type,
        "zoneOfTrust": args.zone_of_trust,
        "result": result,
        "message": match analysis {
            Analysis::Complete { findings, .. } => format!(
                "{} external access finding(s); proved complete: check-no-new-access of the policy outside the zone against them passes",
                findings.len()
            ),
            Analysis::Inconclusive { .. } => "the analysis could not decide; the findings listed may not be all".to_string(),
        },
        "findings": analysis.findings().iter().map(|f| {
            let mut j = f.to_json();
            j["blocking"] = json!(!f.allowed_by(&args.allow_external_principals));
            if let Some(arn) = &args.resource_arn {
                j["resource"] = json!(arn);
            }
            j
        }).collect::<Vec<_>>(),
        "checks": checks,
        "elapsedMs": (elapsed_ms * 10.0).round() / 10.0,
    });
    if let Some(why) = why {
        out["why"] = json!(why);
    }
    out
}

fn text_report(args: &ExternalAccessArgs, analysis: &Analysis) -> String {
    let mut lines = Vec::new();
    let findings = analysis.findings();
    match analysis {
        Analysis::Complete { .. } if findings.is_empty() => lines.push(format!(
            "no external access from outside {} (proved)",
            args.zone_of_trust
        )),
        Analysis::Complete { .. } => lines.push(format!(
            "{} external access finding(s) from outside {} (complete, proved)",
            findings.len(),
            args.zone_of_trust
        )),
        Analysis::Inconclusive { why, .. } => lines.push(format!(
            "INCONCLUSIVE: {why}; the findings below may not be all"
        )),
    }
    for f in findings {
        let mut line = format!(
            "  {} {}{}: {}",
            f.principal_text(),
            if f.is_public { "(public) " } else { "" },
            f.statement_id.as_ref().map_or_else(
                || format!("statement {}", f.statement_index),
                |s| format!("statement {s}")
            ),
            f.action.join(", ")
        );
        if !f.excluded_actions.is_empty() {
            line.push_str(&format!(" except {}", f.excluded_actions.join(", ")));
        }
        if !f.condition.is_empty() {
            let c: Vec<String> = f
                .condition
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            line.push_str(&format!(" when {}", c.join(" and ")));
        }
        if let Some(change) = f.change_type {
            line.push_str(&format!(" [{}]", change.name()));
        }
        if f.allowed_by(&args.allow_external_principals) {
            line.push_str(" (allowed)");
        }
        lines.push(line);
        lines.push(format!("    e.g. {}", f.witness.to_json()));
    }
    lines.join("\n")
}
