//! `check-no-public-access`: of a resource policy, a template's resource policies, or a
//! batch of files.

use anyhow::{Context as _, Result, bail};

use crate::checks::{self, Check, Kind};
use crate::cli::args::{CommonArgs, decide, options};
use crate::cli::input::{Body, one_document, pick};
use crate::cli::template::{self as tmpl, TemplateArgs};
use crate::cli::{ExitStatus, batch};
use crate::policy::{Policy, PolicyType};
use crate::proof::Recipe;

#[derive(clap::Args, Debug)]
pub(crate) struct NoPublicAccessArgs {
    /// The resource policy: `file://path`, a path, a directory or glob of files (batch
    /// mode), `-` for stdin or inline JSON.
    #[arg(long)]
    pub policy_document: Option<String>,
    /// The resource type the policy is attached to, one of the 26 of the AWS API.
    #[arg(long, long_help = resource_types_help())]
    pub resource_type: Option<String>,
    #[command(flatten)]
    pub template: TemplateArgs,
    #[command(flatten)]
    pub common: CommonArgs,
}

/// `--resource-type`'s long help: the types, one per line.
pub(crate) fn resource_types_help() -> String {
    let types = checks::RESOURCE_TYPES;
    format!(
        "The resource type the policy is attached to, one of the {} of the AWS API:\n{}",
        types.len(),
        types.join("\n")
    )
}

pub(crate) fn no_public_access(args: NoPublicAccessArgs) -> Result<ExitStatus> {
    let body = Body::read(args.common.cli_input_json.as_deref(), Kind::NoPublicAccess)?;
    let opts = options(&args.common);
    if args.template.source.template_path.is_some() {
        if args.policy_document.is_some() || args.resource_type.is_some() {
            bail!(
                "with --template-path each policy's resource type comes from the template; drop --policy-document and --resource-type"
            );
        }
        return tmpl::run(
            &args.template,
            &args.common,
            &opts,
            tmpl::Question::NoPublicAccess,
        );
    }
    let resource_type = pick(args.resource_type, &body, "resourceType", "--resource-type")?;
    checks::validate_resource_type(&resource_type).context("--resource-type")?;
    let check = |policy: &Policy, text: String| -> batch::One {
        let check = Check::NoPublicAccess {
            policy,
            resource_type: &resource_type,
        };
        Ok((decide(&check, &opts)?, Recipe::of(&check, vec![text])))
    };
    one_document(
        args.policy_document.as_deref(),
        &body,
        PolicyType::Resource,
        &args.common,
        "resource",
        check,
    )
}
