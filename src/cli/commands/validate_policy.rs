//! `validate-policy`: ValidatePolicy findings offline, shaped like
//! `aws accessanalyzer validate-policy`, for one document or a batch (a directory or
//! glob of `.json` files). Exit 1 when a finding of a blocking type is present
//! (cfn-policy-validator's default: ERROR and SECURITY_WARNING).

use anyhow::{Result, bail};
use serde_json::json;

use crate::cli::input::read_document;
use crate::cli::{ExitStatus, OutputFormat, batch, print};
use crate::report::sarif::Validated;
use crate::validate::{Finding, FindingType, ResourceType, ValidateType, validate_for};

#[derive(clap::Args, Debug)]
pub(crate) struct ValidatePolicyArgs {
    /// The policy: `file://path`, a path, a directory or glob of `.json` files (batch
    /// mode), `-` for stdin, inline JSON, `aws-managed:NAME` or `builtin:NAME`.
    #[arg(long)]
    pub policy_document: String,
    /// IDENTITY_POLICY, RESOURCE_POLICY, SERVICE_CONTROL_POLICY or
    /// RESOURCE_CONTROL_POLICY.
    #[arg(long)]
    pub policy_type: String,
    /// The resource type of a resource policy, which adds its checks: AWS::S3::Bucket,
    /// AWS::S3::AccessPoint, AWS::S3::MultiRegionAccessPoint,
    /// AWS::S3ObjectLambda::AccessPoint, AWS::IAM::AssumeRolePolicyDocument or
    /// AWS::DynamoDB::Table.
    #[arg(long)]
    pub validate_policy_resource_type: Option<String>,
    /// Finding types that make the exit code 1, comma-separated: ERROR,
    /// SECURITY_WARNING, SUGGESTION, WARNING, or NONE.
    #[arg(long, default_value = "ERROR,SECURITY_WARNING")]
    pub treat_finding_type_as_blocking: String,
    /// `json` (AWS's response shape; a line per file in batch mode), `text`, or `sarif`
    /// (one log for all files, each finding at its span).
    #[arg(long, value_enum, default_value = "json")]
    pub output: OutputFormat,
}

pub(crate) fn validate_policy(args: ValidatePolicyArgs) -> Result<ExitStatus> {
    let Some(ty) = ValidateType::parse(&args.policy_type) else {
        bail!(
            "--policy-type: `{}` is not one of {}",
            args.policy_type,
            ValidateType::NAMES.join(", ")
        );
    };
    let resource_type = match &args.validate_policy_resource_type {
        None => None,
        Some(t) => {
            let Some(rt) = ResourceType::parse(t) else {
                bail!(
                    "--validate-policy-resource-type: `{t}` is not one of {}",
                    ResourceType::NAMES.join(", ")
                );
            };
            if ty != ValidateType::Resource {
                bail!(
                    "--validate-policy-resource-type: a resource type goes with --policy-type RESOURCE_POLICY, not `{}`",
                    args.policy_type
                );
            }
            Some(rt)
        }
    };
    let blocking = blocking_types(&args.treat_finding_type_as_blocking)?;
    let docs: Vec<(Option<String>, String)> =
        match batch::files(&args.policy_document, "--policy-document")? {
            Some(files) => files
                .iter()
                .map(|f| {
                    let shown = f.display().to_string();
                    read_document(&shown, &format!("--policy-document `{shown}`"))
                        .map(|t| (Some(shown), t))
                })
                .collect::<Result<_>>()?,
            None => vec![(
                None,
                read_document(&args.policy_document, "--policy-document")?,
            )],
        };
    let mut status = ExitStatus::Ok;
    let mut all = Vec::new();
    for (file, text) in &docs {
        let findings = validate_for(text, ty, resource_type);
        if findings.iter().any(|f| blocking.contains(&f.finding_type)) {
            status = ExitStatus::Negative;
        }
        if args.output == OutputFormat::Sarif {
            all.push((file.clone().unwrap_or_else(|| "policy".into()), findings));
        } else {
            print(&render(file.as_deref(), text, &findings, args.output));
        }
    }
    if args.output == OutputFormat::Sarif {
        let validated: Vec<Validated> = all
            .iter()
            .zip(&docs)
            .map(|((uri, findings), (_, text))| Validated {
                uri,
                text,
                findings,
            })
            .collect();
        print(&crate::report::sarif::validation(&validated, &blocking));
    }
    Ok(status)
}

/// `--treat-finding-type-as-blocking`: the types, or none for `NONE`.
pub(crate) fn blocking_types(arg: &str) -> Result<Vec<FindingType>> {
    if arg.eq_ignore_ascii_case("NONE") {
        return Ok(Vec::new());
    }
    arg.split(',')
        .map(|t| {
            let t = t.trim().to_ascii_uppercase();
            FindingType::parse(&t).ok_or_else(|| {
                anyhow::anyhow!(
                    "--treat-finding-type-as-blocking: `{t}` is not ERROR, SECURITY_WARNING, SUGGESTION, WARNING or NONE"
                )
            })
        })
        .collect()
}

fn render(file: Option<&str>, text: &str, findings: &[Finding], output: OutputFormat) -> String {
    match output {
        OutputFormat::Text => {
            let name = file.unwrap_or("policy");
            if findings.is_empty() {
                return format!("{name}: no findings");
            }
            findings
                .iter()
                .map(|f| {
                    let at = f
                        .locations
                        .first()
                        .map(|l| {
                            let (line, column) = crate::validate::line_column(text, l.start);
                            format!(":{line}:{column}")
                        })
                        .unwrap_or_default();
                    format!(
                        "{name}{at}: {} {}: {}",
                        f.finding_type.name(),
                        f.issue_code,
                        f.details
                    )
                })
                .collect::<Vec<_>>()
                .join("\n")
        }
        _ => {
            let findings: Vec<_> = findings.iter().map(|f| f.to_json(text)).collect();
            match file {
                Some(f) => json!({"file": f, "findings": findings}).to_string(),
                None => serde_json::to_string_pretty(&json!({ "findings": findings }))
                    .unwrap_or_default(),
            }
        }
    }
}
