//! `--authorization-details`: every user and role of an account, each with its whole
//! context, from `aws iam get-account-authorization-details` output (src/context/account.rs);
//! one finding per principal that fails, in parallel, with a tally line and a proof
//! bundle per principal on request.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use anyhow::{Context as _, Result, anyhow, bail};
use serde_json::json;
use tracing::info;

use super::args::{CommonArgs, decide};
use super::{ExitStatus, OutputFormat, batch, input};
use crate::checks::{Access, Check, Kind, Options, Outcome};
use crate::context::PolicySet;
use crate::context::account::{self, Account, Member, Organization};
use crate::findings::{self, Code, Finding};
use crate::proof::{self, Recipe};
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

/// One principal's check.
struct Checked {
    result: Outcome,
    /// The proof recipe, with --emit-proof.
    recipe: Option<Recipe>,
    ms: f64,
    /// The names of its identity policies and boundary, for the finding.
    identity: Vec<String>,
    boundary: Option<String>,
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

/// The line of every `"Arn": "..."` member of the file, by value (the first wins), in
/// one pass: where a principal's entry is.
fn arn_lines(text: &str) -> HashMap<&str, usize> {
    let mut out = HashMap::new();
    let (mut line, mut counted) = (1, 0);
    let mut from = 0;
    while let Some(i) = text[from..].find("\"Arn\"") {
        let at = from + i;
        from = at + 5;
        let rest = text[from..].trim_start();
        let Some(rest) = rest.strip_prefix(':') else {
            continue;
        };
        let Some(value) = rest.trim_start().strip_prefix('"') else {
            continue;
        };
        let Some(end) = value.find('"') else { continue };
        line += text[counted..at].bytes().filter(|&b| b == b'\n').count();
        counted = at;
        out.entry(&value[..end]).or_insert(line);
    }
    out
}

/// Checks every principal of the file; exit 0 when no finding blocks, 1 when one does.
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
    let existing = match &question {
        Question::NoNewAccess { existing } => {
            let (_, a) = read_account(existing, "--existing-authorization-details", &org)?;
            Some(a)
        }
        Question::AccessNotGranted { .. } => None,
    };
    let snapshot: HashMap<&str, &Member> = existing
        .iter()
        .flat_map(|a| &a.members)
        .map(|m| (m.arn.as_str(), m))
        .collect();
    info!(
        elapsed_us = start.elapsed().as_micros() as u64,
        principals = account.members.len(),
        "read authorization details"
    );
    let members = &account.members;
    let proofs = common.emit_proof.is_some();
    let one = |m: &Member| -> Result<Checked> {
        let t0 = Instant::now();
        let set = account.set(m);
        let context = set.combined();
        let (result, recipe) = match &question {
            Question::AccessNotGranted { access } => {
                let check = Check::AccessNotGrantedContext {
                    context: &context,
                    access,
                };
                let document = || vec![account.document(m).to_string()];
                (
                    decide(&check, opts)?,
                    proofs.then(|| Recipe::of(&check, document())),
                )
            }
            Question::NoNewAccess { .. } => {
                let before = existing
                    .as_ref()
                    .zip(snapshot.get(m.arn.as_str()))
                    .map(|(a, o)| (a.set(o), a.document(o)));
                let (old, old_document) = before.unwrap_or_else(|| {
                    (
                        PolicySet {
                            principal: set.principal.clone(),
                            ..PolicySet::default()
                        },
                        json!({"principal": m.arn, "identityPolicies": []}),
                    )
                });
                let old = old.combined();
                let check = Check::NoNewAccessContexts {
                    new: &context,
                    existing: &old,
                };
                let documents = || vec![account.document(m).to_string(), old_document.to_string()];
                (
                    decide(&check, opts)?,
                    proofs.then(|| Recipe::of(&check, documents())),
                )
            }
        };
        Ok(Checked {
            result,
            recipe,
            ms: t0.elapsed().as_secs_f64() * 1000.0,
            identity: set.identity.iter().map(|p| p.name.clone()).collect(),
            boundary: set.boundary.as_ref().map(|b| b.name.clone()),
        })
    };
    let jobs = batch::jobs(common, members.len());
    let next = AtomicUsize::new(0);
    let mut outcomes: Vec<Option<Result<Checked>>> = (0..members.len()).map(|_| None).collect();
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..jobs)
            .map(|_| {
                scope.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(m) = members.get(i) else { break };
                        done.push((i, one(m)));
                    }
                    done
                })
            })
            .collect();
        for w in workers {
            for (i, r) in w.join().unwrap_or_default() {
                outcomes[i] = Some(r);
            }
        }
    });
    let lines = arn_lines(&text);
    let mut found = Vec::new();
    let (mut failed, mut inconclusive) = (0usize, 0usize);
    for (i, (m, outcome)) in members.iter().zip(outcomes).enumerate() {
        let Some(outcome) = outcome else {
            bail!("internal error: the check of `{}` did not finish", m.arn);
        };
        let o = outcome?;
        let mut details = o.result.to_json();
        details["principalArn"] = json!(m.arn);
        details["pointer"] = json!(m.pointer);
        details["identityPolicies"] = json!(o.identity);
        if let Some(b) = &o.boundary {
            details["permissionsBoundary"] = json!(b);
        }
        if let (Some(dir), Some(recipe)) = (&common.emit_proof, &o.recipe) {
            let sub = dir.join(batch::bundle_name(i, &m.arn.replace(':', "_")));
            proof::write_bundle(&sub, recipe, &o.result, o.ms).context("--emit-proof")?;
            details["proof"] = json!(sub.display().to_string());
        }
        let kind = match question {
            Question::AccessNotGranted { .. } => Kind::AccessNotGranted,
            Question::NoNewAccess { .. } => Kind::NoNewAccess,
        };
        let Some(code) = Code::of(&o.result, kind) else {
            continue;
        };
        match code {
            Code::Inconclusive => inconclusive += 1,
            _ => failed += 1,
        }
        let message = findings::outcome_message(&o.result, "");
        found.push(Finding {
            code,
            message,
            resource_name: m.name.clone(),
            resource_type: m.kind.resource_type().into(),
            policy_name: crate::findings::template::PRINCIPAL_POLICY_NAME.into(),
            line: lines.get(m.arn.as_str()).copied().unwrap_or(1),
            details,
            blocking: code.blocks(),
        });
    }
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
    Ok(if found.iter().any(|f| f.blocking) {
        ExitStatus::Negative
    } else {
        ExitStatus::Ok
    })
}
