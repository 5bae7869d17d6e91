//! `check-no-new-access`: of two documents, of two policy sets (principals' whole
//! contexts), of every policy of a template, of a batch of files, or of every principal
//! of an account against an approved snapshot.

use std::time::Instant;

use anyhow::{Result, bail};

use crate::checks::{Check, Kind};
use crate::cli::account::{self, AccountArgs};
use crate::cli::args::{CommonArgs, decide, options};
use crate::cli::input::{
    Body, batch_of, context_side, no_other_input, policy_from, policy_in, policy_type_in,
    sets_allow,
};
use crate::cli::output::{artifact_of, context_policies, exiting, finish};
use crate::cli::template::{self as tmpl, TemplateArgs};
use crate::cli::{ExitStatus, batch};
use crate::policy::Policy;
use crate::proof::Recipe;

#[derive(clap::Args, Debug)]
pub(crate) struct NoNewAccessArgs {
    /// The candidate policy (a file, a directory or glob of files, or inline JSON).
    #[arg(long)]
    pub new_policy_document: Option<String>,
    /// The reference policy; `builtin:NAME` for one of `hornbeam reference-policies list`.
    #[arg(long, visible_alias = "reference-policy")]
    pub existing_policy_document: Option<String>,
    /// IDENTITY_POLICY or RESOURCE_POLICY (also `identity` / `resource`).
    #[arg(long, visible_alias = "reference-policy-type")]
    pub policy_type: Option<String>,
    /// The candidate side as a principal's authorization context: a policy-set document
    /// (identity policies, permissions boundary, SCP levels, session policies; README).
    #[arg(long, conflicts_with = "new_policy_document")]
    pub new_policy_set: Option<String>,
    /// The reference side as a policy-set document.
    #[arg(long, conflicts_with = "existing_policy_document")]
    pub existing_policy_set: Option<String>,
    /// The approved snapshot of the account given with --authorization-details (an
    /// earlier `aws iam get-account-authorization-details`): each principal is compared
    /// with itself there.
    #[arg(long, value_name = "FILE", requires = "authorization_details")]
    pub existing_authorization_details: Option<std::path::PathBuf>,
    #[command(flatten)]
    pub account: AccountArgs,
    #[command(flatten)]
    pub template: TemplateArgs,
    #[command(flatten)]
    pub common: CommonArgs,
}

pub(crate) fn no_new_access_contexts(args: &NoNewAccessArgs, body: &Body) -> Result<ExitStatus> {
    sets_allow(args.policy_type.as_deref())?;
    if args.template.source.template_path.is_some() {
        bail!("give either --template-path or policy sets, not both");
    }
    let start = Instant::now();
    let inline = args.common.emit_proof.is_some();
    let (new, new_text) = context_side(
        args.new_policy_set.as_deref(),
        args.new_policy_document.as_deref(),
        body,
        (
            "newPolicyDocument",
            "--new-policy-document",
            "--new-policy-set",
        ),
        inline,
    )?;
    let (existing, existing_text) = context_side(
        args.existing_policy_set.as_deref(),
        args.existing_policy_document.as_deref(),
        body,
        (
            "existingPolicyDocument",
            "--existing-policy-document",
            "--existing-policy-set",
        ),
        inline,
    )?;
    let (new, existing) = (new.combined(), existing.combined());
    let opts = options(&args.common);
    let check = Check::NoNewAccessContexts {
        new: &new,
        existing: &existing,
    };
    let result = decide(&check, &opts)?;
    let mut explained = context_policies("new", &new);
    explained.extend(context_policies("existing", &existing));
    let named: Vec<(&str, &Policy)> = explained.iter().map(|(n, p)| (n.as_str(), *p)).collect();
    let recipe = Recipe::of(&check, vec![new_text, existing_text]);
    let artifact = artifact_of(
        args.new_policy_set
            .as_deref()
            .or(args.new_policy_document.as_deref()),
        "newPolicyDocument",
    );
    finish(
        result,
        &args.common,
        &named,
        Some((recipe, start)),
        &artifact,
    )
}

pub(crate) fn no_new_access(args: NoNewAccessArgs) -> Result<ExitStatus> {
    if args.account.authorization_details.is_some() {
        let Some(existing) = &args.existing_authorization_details else {
            bail!(
                "--authorization-details needs --existing-authorization-details FILE, the approved snapshot each principal is compared with"
            );
        };
        no_other_input(&[
            (args.new_policy_document.is_some(), "--new-policy-document"),
            (
                args.existing_policy_document.is_some(),
                "--existing-policy-document",
            ),
            (args.new_policy_set.is_some(), "--new-policy-set"),
            (args.existing_policy_set.is_some(), "--existing-policy-set"),
            (
                args.template.source.template_path.is_some(),
                "--template-path",
            ),
            (args.common.cli_input_json.is_some(), "--cli-input-json"),
        ])?;
        sets_allow(args.policy_type.as_deref())?;
        let opts = options(&args.common);
        let question = account::Question::NoNewAccess { existing };
        return account::run(&args.account, &args.common, &opts, question);
    }
    if args.new_policy_set.is_some() || args.existing_policy_set.is_some() {
        let body = Body::read(args.common.cli_input_json.as_deref(), Kind::NoNewAccess)?;
        return no_new_access_contexts(&args, &body);
    }
    let body = Body::read(args.common.cli_input_json.as_deref(), Kind::NoNewAccess)?;
    let document_type = policy_type_in(args.policy_type, &body)?;
    let policy_type = document_type.0;
    let batch_files = batch_of(args.new_policy_document.as_deref(), "--new-policy-document")?;
    let start = Instant::now();
    let (existing, existing_text) = policy_from(
        args.existing_policy_document.as_deref(),
        &body,
        "existingPolicyDocument",
        "--existing-policy-document",
        document_type,
    )?;
    let opts = options(&args.common);
    if args.template.source.template_path.is_some() {
        if args.new_policy_document.is_some() {
            bail!("give either --template-path or --new-policy-document, not both");
        }
        let question = tmpl::Question::NoNewAccess {
            reference: &existing,
            reference_text: &existing_text,
            policy_type,
        };
        return tmpl::run(&args.template, &args.common, &opts, question);
    }
    let check = |new: &Policy, new_text: String| -> batch::One {
        let check = Check::NoNewAccess {
            new,
            existing: &existing,
        };
        let texts = vec![new_text, existing_text.clone()];
        Ok((decide(&check, &opts)?, Recipe::of(&check, texts)))
    };
    if let Some(files) = batch_files {
        return batch::run(&files, &args.common, |file| {
            let (new, new_text) = policy_in(file, document_type)?;
            check(&new, new_text)
        });
    }
    let (new, new_text) = policy_from(
        args.new_policy_document.as_deref(),
        &body,
        "newPolicyDocument",
        "--new-policy-document",
        document_type,
    )?;
    let (result, recipe) = check(&new, new_text)?;
    let code = finish(
        result,
        &args.common,
        &[("new", &new), ("existing", &existing)],
        Some((recipe, start)),
        &artifact_of(args.new_policy_document.as_deref(), "newPolicyDocument"),
    );
    exiting((new, existing, body));
    code
}
