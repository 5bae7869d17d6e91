//! `validate --template-path`: ValidatePolicy over every policy of a CloudFormation
//! template or Terraform plan, and external access over every resource and role trust
//! policy (as cfn-policy-validator's access previews), in cfn-policy-validator's shape
//! (`BlockingFindings`, `NonBlockingFindings`), SARIF at the template's lines, or text.
//! Exit 1 when a finding blocks.

use anyhow::Result;

use crate::cli::commands::validate_policy::blocking_types;
use crate::cli::template::TemplateSource;
use crate::cli::{ExitStatus, OutputFormat, print};
use crate::report;

#[derive(clap::Args, Debug)]
pub(crate) struct ValidateArgs {
    #[command(flatten)]
    pub source: TemplateSource,
    /// Drop findings about a resource (`MyRole`), one policy (`MyRole.TrustPolicy`) or a
    /// code (`REDUNDANT_ACTION`); comma-separated or repeated.
    #[arg(long, value_name = "RESOURCE[.POLICY]", value_delimiter = ',')]
    pub ignore_finding: Vec<String>,
    /// Finding types that block (exit 1), comma-separated: ERROR, SECURITY_WARNING,
    /// SUGGESTION, WARNING, or NONE.
    #[arg(long, default_value = "ERROR,SECURITY_WARNING")]
    pub treat_finding_type_as_blocking: String,
    /// `json` (cfn-policy-validator's shape), `sarif` or `text`.
    #[arg(long, value_enum, default_value = "json")]
    pub output: OutputFormat,
    /// The zone of trust of the external access analysis of every resource and role
    /// trust policy: an account id or an organization id (`o-...`); default: the
    /// template's --account-id.
    #[arg(long)]
    pub zone_of_trust: Option<String>,
    /// More accounts of the zone (an organization's member accounts); comma-separated.
    #[arg(long, value_delimiter = ',')]
    pub zone_account: Vec<String>,
    /// External principals whose access does not block (account ids, ARNs, service or
    /// provider names), comma-separated, as cfn-policy-validator takes them.
    #[arg(long, value_delimiter = ',')]
    pub allow_external_principals: Vec<String>,
    /// Leave out the external access analysis (ValidatePolicy findings only, as
    /// tf-policy-validator's validate gives).
    #[arg(long)]
    pub no_external_access: bool,
}

pub(crate) fn validate(args: ValidateArgs) -> Result<ExitStatus> {
    let blocking = blocking_types(&args.treat_finding_type_as_blocking)?;
    let (shown, extraction) = args.source.extract()?;
    let mut found = crate::findings::template::validate(&extraction, &blocking);
    let mut allowed = 0;
    if !args.no_external_access {
        let zone_id = args
            .zone_of_trust
            .clone()
            .unwrap_or_else(|| args.source.account_id.clone());
        let zone = crate::external::Zone::parse(&zone_id, &args.zone_account)
            .map_err(|e| anyhow::anyhow!("--zone-of-trust: {e}"))?;
        let (external, left_out) = crate::findings::template::external_access(
            &extraction,
            &zone,
            &args.allow_external_principals,
            &blocking,
            &crate::checks::Options::default(),
        )?;
        found.extend(external);
        allowed = left_out;
    }
    let total = found.len() + allowed;
    found.retain(|f| !args.ignore_finding.iter().any(|p| f.matches(p)));
    let blocks = found.iter().filter(|f| f.blocking).count();
    let summary = format!(
        "{} {} {} in {shown} validated: {blocks} blocking, {} non-blocking, {} ignored or allowed",
        extraction.policies.len(),
        extraction.format.name(),
        if extraction.policies.len() == 1 {
            "policy"
        } else {
            "policies"
        },
        found.len() - blocks,
        total - found.len()
    );
    print(&match args.output {
        OutputFormat::Json => report::json::findings(&found),
        OutputFormat::Sarif => report::sarif::findings(&found, &shown),
        OutputFormat::Text => report::text::findings(&found, &shown, &summary),
    });
    Ok(if blocks > 0 {
        ExitStatus::Negative
    } else {
        ExitStatus::Ok
    })
}
