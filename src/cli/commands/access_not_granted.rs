//! `check-access-not-granted`: of a document, a policy set, a template, a batch of
//! files, or every principal of an account.

use std::time::Instant;

use anyhow::{Result, anyhow, bail};

use crate::checks::{self, Access, Check, Kind};
use crate::cli::account::{self, AccountArgs};
use crate::cli::args::{CommonArgs, decide, options};
use crate::cli::input::{
    Body, no_other_input, one_document, parse_access, policy_type_in, read_policy_set_inline,
    sets_allow,
};
use crate::cli::output::{artifact_of, context_policies, finish};
use crate::cli::template::{self as tmpl, TemplateArgs};
use crate::cli::{ExitStatus, batch};
use crate::policy::Policy;
use crate::proof::Recipe;

#[derive(clap::Args, Debug)]
pub(crate) struct AccessNotGrantedArgs {
    /// The policy: `file://path`, a path, a directory or glob of files (batch mode), `-`
    /// for stdin, inline JSON, `aws-managed:NAME` or `builtin:NAME`.
    #[arg(long)]
    pub policy_document: Option<String>,
    /// The analysed principal's authorization context: a policy-set document (README).
    #[arg(long, conflicts_with = "policy_document")]
    pub policy_set: Option<String>,
    /// One access entry: `actions=a,b`, `resources=r1,r2`, both (`actions=a,resources=r`),
    /// or JSON (`[{"actions":[...],"resources":[...]}]`, inline or file://). Repeatable;
    /// entries are alternatives.
    #[arg(long, value_name = "ACCESS")]
    pub access: Vec<String>,
    /// Listed actions, comma-separated (one access entry, with --resources if given).
    #[arg(long, value_delimiter = ',')]
    pub actions: Vec<String>,
    /// Listed resource ARNs, comma-separated (one access entry, with --actions if given).
    #[arg(long, value_delimiter = ',')]
    pub resources: Vec<String>,
    /// Accept listed actions that are not in hornbeam's list of known IAM actions
    /// (actions newer than the list); without it such an action is an error, since no
    /// policy grants a misspelt action and the check would pass.
    #[arg(long)]
    pub allow_unknown_actions: bool,
    /// IDENTITY_POLICY or RESOURCE_POLICY (also `identity` / `resource`).
    #[arg(long)]
    pub policy_type: Option<String>,
    #[command(flatten)]
    pub account: AccountArgs,
    #[command(flatten)]
    pub template: TemplateArgs,
    #[command(flatten)]
    pub common: CommonArgs,
}

pub(crate) fn access_not_granted(args: AccessNotGrantedArgs) -> Result<ExitStatus> {
    let body = Body::read(
        args.common.cli_input_json.as_deref(),
        Kind::AccessNotGranted,
    )?;
    let mut access = Vec::new();
    for a in &args.access {
        access.extend(parse_access(a)?);
    }
    if !args.actions.is_empty() || !args.resources.is_empty() {
        access.push(Access {
            actions: args.actions.clone(),
            resources: args.resources.clone(),
        });
    }
    if access.is_empty() {
        match body
            .0
            .access()
            .map_err(|e| anyhow!("--cli-input-json: {e}"))?
        {
            Some(a) => access = a,
            None => bail!(
                "--access (or --actions / --resources, or `access` in --cli-input-json) is required, e.g. `--actions iam:PassRole`"
            ),
        }
    }
    checks::validate_access(&access).map_err(|e| anyhow!("--access: {e}"))?;
    if !args.allow_unknown_actions {
        checks::validate_known(&access).map_err(|e| anyhow!("--access: {e}"))?;
    }
    let opts = options(&args.common);
    if args.account.authorization_details.is_some() {
        no_other_input(&[
            (args.policy_document.is_some(), "--policy-document"),
            (args.policy_set.is_some(), "--policy-set"),
            (
                args.template.source.template_path.is_some(),
                "--template-path",
            ),
        ])?;
        sets_allow(args.policy_type.as_deref())?;
        let question = account::Question::AccessNotGranted { access: &access };
        return account::run(&args.account, &args.common, &opts, question);
    }
    if args.template.source.template_path.is_some() {
        if args.policy_document.is_some() {
            bail!("give either --template-path or --policy-document, not both");
        }
        let question = tmpl::Question::AccessNotGranted { access: &access };
        return tmpl::run(&args.template, &args.common, &opts, question);
    }
    if let Some(set) = &args.policy_set {
        sets_allow(args.policy_type.as_deref())?;
        let start = Instant::now();
        let (set, inline) =
            read_policy_set_inline(set, "--policy-set", args.common.emit_proof.is_some())?;
        let context = set.combined();
        let check = Check::AccessNotGrantedContext {
            context: &context,
            access: &access,
        };
        let result = decide(&check, &opts)?;
        let explained = context_policies("analysed", &context);
        let named: Vec<(&str, &Policy)> = explained.iter().map(|(n, p)| (n.as_str(), *p)).collect();
        let recipe = Recipe::of(&check, vec![inline]);
        let artifact = artifact_of(args.policy_set.as_deref(), "policySet");
        return finish(
            result,
            &args.common,
            &named,
            Some((recipe, start)),
            &artifact,
        );
    }
    let document_type = policy_type_in(args.policy_type, &body)?;
    let check = |policy: &Policy, text: String| -> batch::One {
        let check = Check::AccessNotGranted {
            policy,
            access: &access,
        };
        Ok((decide(&check, &opts)?, Recipe::of(&check, vec![text])))
    };
    one_document(
        args.policy_document.as_deref(),
        &body,
        document_type,
        &args.common,
        "analysed",
        check,
    )
}
