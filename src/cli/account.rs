//! `--authorization-details`: every user and role of an account, each with its whole
//! context, from `aws iam get-account-authorization-details` output (findings::account
//! checks them); the CLI reads the files, writes a proof bundle per principal on
//! request, and prints the findings with a tally line.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context as _, Result, anyhow, bail};
use serde_json::json;
use tracing::info;

use super::args::{CommonArgs, flagged};
use super::{ExitStatus, OutputFormat, batch, input};
use crate::checks::{Access, Options};
use crate::context::account::{self, Account, Organization};
use crate::findings::{self, account::AccountCheck};
use crate::proof;
use crate::report;

/// `get-account-authorization-details` of a large account runs to tens of megabytes.
const MAX_DETAILS_BYTES: usize = 512 << 20;

#[derive(clap::Args, Debug)]
pub(crate) struct AccountArgs {
    /// A whole account: the output of `aws iam get-account-authorization-details`
    /// (documents as JSON or URL-encoded). Every user and role is checked with its whole
    /// context: inline, attached and group policies within its permissions boundary.
    #[arg(long, value_name = "FILE")]
    pub authorization_details: Option<PathBuf>,
    /// The organization policies in force for that account, applied to every principal
    /// but service-linked roles: `{"serviceControlPolicies": [[P, ...], ...],
    /// "resourceControlPolicies": [P, ...]}`, each `P` a document or a reference
    /// (`file://` relative to this file, `aws-managed:NAME`).
    #[arg(long, value_name = "FILE", requires = "authorization_details")]
    pub organization: Option<PathBuf>,
}

/// Which check runs on each principal.
pub(crate) enum Question<'a> {
    AccessNotGranted {
        access: &'a [Access],
    },
    /// Against the same principal (by ARN) in an approved snapshot; a principal the
    /// snapshot does not hold had no access.
    NoNewAccess {
        existing: &'a Path,
    },
}

/// Reads an authorization-details file: its text (findings give lines in it) and the
/// account.
fn read_account(path: &Path, flag: &str, org: &Organization) -> Result<(String, Account)> {
    let shown = path.display();
    let text = input::read_file_limited(path, flag, MAX_DETAILS_BYTES)?;
    let account =
        account::parse_details(&text, org).map_err(|e| anyhow!("{flag} `{shown}`: {e}"))?;
    Ok((text, account))
}

fn read_organization(path: &Path) -> Result<Organization> {
    let flag = "--organization";
    let text = input::read_file_limited(path, flag, 64 << 20)?;
    let read = super::input::reference_reader(path.parent().map(Path::to_path_buf), flag);
    Organization::parse(&text, &read).map_err(|e| anyhow!("{flag} `{}`: {e}", path.display()))
}

/// Checks every principal of the file (findings::account); exit 0 when no finding
/// blocks, 1 when one does.
pub(crate) fn run(
    args: &AccountArgs,
    common: &CommonArgs,
    opts: &Options,
    question: Question,
) -> Result<ExitStatus> {
    let Some(path) = &args.authorization_details else {
        bail!("--authorization-details is required here");
    };
    let flag = "--authorization-details";
    let shown = path.display().to_string();
    let start = Instant::now();
    let org = match &args.organization {
        Some(p) => read_organization(p)?,
        None => Organization::default(),
    };
    let (text, account) = read_account(path, flag, &org)?;
    let approved;
    let asked = match &question {
        Question::AccessNotGranted { access } => {
            findings::account::Question::AccessNotGranted { access }
        }
        Question::NoNewAccess { existing } => {
            approved = read_account(existing, "--existing-authorization-details", &org)?.1;
            findings::account::Question::NoNewAccess {
                existing: &approved,
            }
        }
    };
    info!(
        elapsed_us = start.elapsed().as_micros() as u64,
        principals = account.members.len(),
        "read authorization details"
    );
    let members = &account.members;
    let job = AccountCheck {
        question: asked,
        options: opts,
        jobs: batch::jobs(common, members.len()),
        keep_proofs: common.emit_proof.is_some(),
    };
    let checked = findings::account::check(&account, &text, &job).map_err(flagged)?;
    let mut found = checked.findings;
    if let Some(dir) = &common.emit_proof {
        for (i, (m, c)) in members.iter().zip(&checked.checked).enumerate() {
            let Some(recipe) = &c.recipe else { continue };
            let sub = dir.join(batch::bundle_name(i, &m.arn.replace(':', "_")));
            proof::write_bundle(&sub, recipe, &c.outcome, c.ms).context("--emit-proof")?;
            if let Some(f) = found
                .iter_mut()
                .find(|f| f.details["principalArn"] == m.arn.as_str())
            {
                f.details["proof"] = json!(sub.display().to_string());
            }
        }
    }
    let (failed, inconclusive) = (checked.failed, checked.inconclusive);
    let users = members
        .iter()
        .filter(|m| m.kind == account::MemberKind::User)
        .count();
    let what = match question {
        Question::AccessNotGranted { .. } => "granted a listed action",
        Question::NoNewAccess { .. } => "with new access",
    };
    let mut summary = format!(
        "{} principals in {shown} ({users} users, {} roles; {} groups, {} managed policies): {} checked, {failed} {what}, {inconclusive} inconclusive",
        members.len(),
        members.len() - users,
        account.groups,
        account.policies,
        members.len(),
    );
    if org.is_empty() {
        summary.push_str("; no organization policies given (--organization)");
    }
    summary.push_str(
        "; resource policies, session policies and service-specific grants are not in the file",
    );
    let out = match common.output {
        OutputFormat::Json => report::json::findings(&found),
        OutputFormat::Sarif => report::sarif::findings(&found, &shown),
        OutputFormat::Text => report::text::findings(&found, &shown, &summary),
    };
    super::print(&out);
    info!(elapsed_us = start.elapsed().as_micros() as u64, "{summary}");
    found.retain(|f| f.blocking);
    Ok(if found.is_empty() {
        ExitStatus::Ok
    } else {
        ExitStatus::Negative
    })
}
