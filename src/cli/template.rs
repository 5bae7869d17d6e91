//! `--template-path`: check every policy of a CloudFormation template or Terraform plan
//! (findings::template) and report findings (cfn-policy-validator JSON, SARIF or text).

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context as _, Result, anyhow, bail};
use tracing::info;

use super::args::{CommonArgs, flagged};
use super::{ExitStatus, OutputFormat, batch, input};
use crate::checks::Options;
use crate::context::NamedPolicy;
use crate::findings;
pub(crate) use crate::findings::template::Question;
use crate::findings::template::{TemplateCheck, TemplateCheckError, context_member};
use crate::proof;
use crate::report;
use crate::template::{self, Settings};

/// Templates may be larger than one policy document (CloudFormation accepts 1 MB
/// templates; Terraform plans of large stacks run to megabytes).
const MAX_TEMPLATE_BYTES: usize = 64 << 20;

#[derive(clap::Args, Debug)]
pub(crate) struct TemplateSource {
    /// A CloudFormation template (YAML or JSON) or a Terraform plan
    /// (`terraform show -json PLAN`): every policy in it is checked.
    #[arg(long, value_name = "FILE")]
    pub template_path: Option<PathBuf>,
    /// Template parameter values, `KEY=VALUE` (several after one flag, or repeat it).
    #[arg(long, value_name = "KEY=VALUE", num_args = 1..)]
    pub parameters: Vec<String>,
    /// The account id `AWS::AccountId` and generated ARNs stand for.
    #[arg(long, default_value = "123456789012")]
    pub account_id: String,
    /// The region `AWS::Region` and generated ARNs stand for.
    #[arg(long, default_value = "us-east-1")]
    pub region: String,
    /// The partition `AWS::Partition` stands for: aws, aws-cn or aws-us-gov.
    #[arg(long, default_value = "aws")]
    pub partition: String,
    /// The stack name `AWS::StackName` and generated names stand for.
    #[arg(long, default_value = "hornbeam-stack")]
    pub stack_name: String,
}

#[derive(clap::Args, Debug)]
pub(crate) struct TemplateArgs {
    #[command(flatten)]
    pub source: TemplateSource,
    /// Drop findings about a resource (`MyRole`), one policy (`MyRole.TrustPolicy`) or a
    /// code (`UNRESOLVED_VALUES`); comma-separated or repeated.
    #[arg(long, value_name = "RESOURCE[.POLICY]", value_delimiter = ',')]
    pub ignore_finding: Vec<String>,
    /// Report every finding as non-blocking (exit 0 unless the input is invalid).
    #[arg(long)]
    pub treat_findings_as_non_blocking: bool,
    /// Check each identity policy document alone instead of each principal's whole
    /// context (its inline, attached and group policies within its permissions boundary).
    #[arg(long)]
    pub per_document: bool,
    /// The document of a customer managed policy the template attaches but does not
    /// define, `ARN=FILE` (repeatable); without it such a principal is not checked.
    #[arg(long = "policy", value_name = "ARN=FILE")]
    pub policies: Vec<String>,
}

impl TemplateSource {
    pub(crate) fn settings(&self) -> Result<Settings> {
        if self.account_id.len() != 12 || !self.account_id.bytes().all(|b| b.is_ascii_digit()) {
            bail!(
                "--account-id `{}`: an account id is 12 digits, e.g. `123456789012`",
                self.account_id
            );
        }
        if !matches!(
            self.partition.as_str(),
            "aws" | "aws-cn" | "aws-us-gov" | "aws-iso" | "aws-iso-b" | "aws-eusc"
        ) {
            bail!(
                "--partition `{}`: use `aws`, `aws-cn`, `aws-us-gov`, `aws-iso`, `aws-iso-b` or `aws-eusc`",
                self.partition
            );
        }
        let region_ok = self.region.split('-').count() >= 3
            && self
                .region
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !region_ok {
            bail!(
                "--region `{}`: expected a region such as `us-east-1`",
                self.region
            );
        }
        let mut parameters = Vec::new();
        for p in &self.parameters {
            let Some((k, v)) = p.split_once('=') else {
                bail!("--parameters `{p}`: expected KEY=VALUE, e.g. `Environment=prod`");
            };
            if k.trim().is_empty() {
                bail!("--parameters `{p}`: the key is empty; write KEY=VALUE");
            }
            parameters.push((k.trim().to_string(), v.to_string()));
        }
        Ok(Settings {
            account_id: self.account_id.clone(),
            region: self.region.clone(),
            partition: self.partition.clone(),
            stack_name: self.stack_name.clone(),
            parameters,
        })
    }
}

impl TemplateSource {
    /// The template's path as shown and what it holds.
    pub(crate) fn extract(&self) -> Result<(String, template::Extraction)> {
        let Some(path) = &self.template_path else {
            bail!("--template-path is required here");
        };
        let settings = self.settings()?;
        let shown = path.display().to_string();
        let text = input::read_file_limited(path, "--template-path", MAX_TEMPLATE_BYTES)?;
        let start = Instant::now();
        let extraction = template::extract(&text, &settings)
            .map_err(|e| anyhow!("--template-path `{shown}`: {e}"))?;
        info!(
            elapsed_us = start.elapsed().as_micros() as u64,
            policies = extraction.policies.len(),
            format = extraction.format.name(),
            "extracted policies"
        );
        Ok((shown, extraction))
    }
}

/// Checks every policy of the template; exit 0 when nothing blocks, 1 when something does.
pub(crate) fn run(
    targs: &TemplateArgs,
    common: &CommonArgs,
    opts: &Options,
    question: Question,
) -> Result<ExitStatus> {
    let (shown, extraction) = targs.source.extract()?;
    let (format, extracted) = (extraction.format, &extraction.policies);
    let mut supplied: Vec<(String, NamedPolicy, String)> = Vec::new();
    for p in &targs.policies {
        let Some((arn, file)) = p.split_once('=') else {
            bail!(
                "--policy `{p}`: expected ARN=FILE, e.g. `arn:aws:iam::111122223333:policy/Team=team.json`"
            );
        };
        if !arn.starts_with("arn:") || !arn.contains(":policy/") {
            bail!(
                "--policy `{p}`: `{arn}` is not a managed policy ARN (`arn:aws:iam::ACCOUNT:policy/NAME`)"
            );
        }
        let text = input::read_document(file, &format!("--policy {arn}"))?;
        let member = context_member(arn.to_string(), &text)
            .map_err(|why| anyhow!("--policy {arn}: {why}"))?;
        supplied.push((arn.to_string(), member, text));
    }
    let job = TemplateCheck {
        question,
        options: opts,
        per_document: targs.per_document,
        supplied: &supplied,
        keep_proofs: common.emit_proof.is_some(),
    };
    let checked = findings::template::check(&extraction, &job).map_err(|e| match e {
        TemplateCheckError::InvalidPolicy { .. } => anyhow!("--template-path `{shown}`, {e}"),
        TemplateCheckError::Check(e) => flagged(e),
    })?;
    if let Some(dir) = &common.emit_proof {
        for c in &checked.proofs {
            let sub = dir.join(batch::bundle_name(c.index, &c.label));
            proof::write_bundle(&sub, &c.recipe, &c.outcome, c.ms).context("--emit-proof")?;
        }
    }
    let mut found = checked.findings;
    let total = found.len();
    found.retain(|f| !targs.ignore_finding.iter().any(|p| f.matches(p)));
    let ignored = total - found.len();
    if targs.treat_findings_as_non_blocking {
        for f in &mut found {
            f.blocking = false;
        }
    }
    let blocking = found.iter().filter(|f| f.blocking).count();
    let mut summary = format!(
        "{} {} {} in {shown}: {} checked, {blocking} blocking, {} non-blocking, {ignored} ignored",
        extracted.len(),
        format.name(),
        if extracted.len() == 1 {
            "policy"
        } else {
            "policies"
        },
        checked.checked,
        found.len() - blocking,
    );
    let other_type = checked.other_type;
    if other_type > 0
        && let Question::NoNewAccess { policy_type, .. } = &job.question
    {
        summary.push_str(&format!(
            "; {other_type} {} of the other type not compared (the reference is {policy_type})",
            if other_type == 1 {
                "policy"
            } else {
                "policies"
            }
        ));
    }
    if checked.organization > 0 {
        summary.push_str(&format!(
            "; {} SCPs / RCPs read and valid, not applied to the template's principals (state them in a policy set)",
            checked.organization
        ));
    }
    let out = match common.output {
        OutputFormat::Json => report::json::findings(&found),
        OutputFormat::Sarif => report::sarif::findings(&found, &shown),
        OutputFormat::Text => report::text::findings(&found, &shown, &summary),
    };
    super::print(&out);
    info!("{summary}");
    Ok(if blocking > 0 {
        ExitStatus::Negative
    } else {
        ExitStatus::Ok
    })
}
