//! A whole account → findings: every user and role of a
//! `get-account-authorization-details` file checked with its whole context (src/context/account.rs),
//! in parallel, one finding per principal that fails or could not be decided.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use serde_json::json;

use super::template::PRINCIPAL_POLICY_NAME;
use super::{Code, Finding, outcome_message};
use crate::checks::{self, Access, Check, CheckError, Kind, Options, Outcome};
use crate::context::PolicySet;
use crate::context::account::{Account, Member};
use crate::proof::Recipe;

/// Which check runs on each principal.
pub enum Question<'a> {
    AccessNotGranted {
        access: &'a [Access],
    },
    /// Against the same principal (by ARN) in an approved snapshot; a principal the
    /// snapshot does not hold had no access.
    NoNewAccess {
        existing: &'a Account,
    },
}

/// How an account is checked.
pub struct AccountCheck<'a> {
    pub question: Question<'a>,
    pub options: &'a Options,
    /// Worker threads (one solver each).
    pub jobs: usize,
    /// Keep each principal's recipe (for proof bundles).
    pub keep_proofs: bool,
}

/// One principal's check.
pub struct Checked {
    pub outcome: Outcome,
    /// With `keep_proofs`.
    pub recipe: Option<Recipe>,
    pub ms: f64,
    /// The names of its identity policies and boundary.
    pub identity: Vec<String>,
    pub boundary: Option<String>,
}

/// What checking an account found.
pub struct AccountFindings {
    /// One per principal that does not pass, in the file's order.
    pub findings: Vec<Finding>,
    /// Every principal's check, in the file's order (proof bundles).
    pub checked: Vec<Checked>,
    pub failed: usize,
    pub inconclusive: usize,
}

/// Checks every principal of `account`. `text` is the file it was read from (findings
/// give the line of each principal's `Arn`).
pub fn check(
    account: &Account,
    text: &str,
    job: &AccountCheck,
) -> Result<AccountFindings, CheckError> {
    let snapshot: HashMap<&str, &Member> = match &job.question {
        Question::NoNewAccess { existing } => existing
            .members
            .iter()
            .map(|m| (m.arn.as_str(), m))
            .collect(),
        Question::AccessNotGranted { .. } => HashMap::new(),
    };
    let one = |m: &Member| -> Result<Checked, CheckError> {
        let t0 = Instant::now();
        let set = account.set(m);
        let context = set.combined();
        let (outcome, recipe) = match &job.question {
            Question::AccessNotGranted { access } => {
                let check = Check::AccessNotGrantedContext {
                    context: &context,
                    access,
                };
                let document = || vec![account.document(m).to_string()];
                (
                    checks::run(&check, job.options)?,
                    job.keep_proofs.then(|| Recipe::of(&check, document())),
                )
            }
            Question::NoNewAccess { existing } => {
                let before = snapshot
                    .get(m.arn.as_str())
                    .map(|o| (existing.set(o), existing.document(o)));
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
                    checks::run(&check, job.options)?,
                    job.keep_proofs.then(|| Recipe::of(&check, documents())),
                )
            }
        };
        Ok(Checked {
            outcome,
            recipe,
            ms: t0.elapsed().as_secs_f64() * 1000.0,
            identity: set.identity.iter().map(|p| p.name.clone()).collect(),
            boundary: set.boundary.as_ref().map(|b| b.name.clone()),
        })
    };
    let members = &account.members;
    let next = AtomicUsize::new(0);
    let mut done: Vec<Option<Result<Checked, CheckError>>> =
        (0..members.len()).map(|_| None).collect();
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..job.jobs.max(1))
            .map(|_| {
                scope.spawn(|| {
                    let mut out = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(m) = members.get(i) else { break };
                        out.push((i, one(m)));
                    }
                    out
                })
            })
            .collect();
        for w in workers {
            for (i, r) in w.join().unwrap_or_default() {
                done[i] = Some(r);
            }
        }
    });
    let kind = match job.question {
        Question::AccessNotGranted { .. } => Kind::AccessNotGranted,
        Question::NoNewAccess { .. } => Kind::NoNewAccess,
    };
    let lines = arn_lines(text);
    let mut out = AccountFindings {
        findings: Vec::new(),
        checked: Vec::with_capacity(members.len()),
        failed: 0,
        inconclusive: 0,
    };
    for (m, result) in members.iter().zip(done) {
        let Some(result) = result else {
            return Err(CheckError::Internal(format!(
                "the check of `{}` did not finish",
                m.arn
            )));
        };
        let c = result?;
        if let Some(code) = Code::of(&c.outcome, kind) {
            match code {
                Code::Inconclusive => out.inconclusive += 1,
                _ => out.failed += 1,
            }
            let mut details = c.outcome.to_json();
            details["principalArn"] = json!(m.arn);
            details["pointer"] = json!(m.pointer);
            details["identityPolicies"] = json!(c.identity);
            if let Some(b) = &c.boundary {
                details["permissionsBoundary"] = json!(b);
            }
            out.findings.push(Finding {
                code,
                message: outcome_message(&c.outcome, ""),
                resource_name: m.name.clone(),
                resource_type: m.kind.resource_type().into(),
                policy_name: PRINCIPAL_POLICY_NAME.into(),
                line: lines.get(m.arn.as_str()).copied().unwrap_or(1),
                details,
                blocking: code.blocks(),
                validation: None,
            });
        }
        out.checked.push(c);
    }
    Ok(out)
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
