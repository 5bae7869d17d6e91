//! The end of a check command: the report in the asked format, a proof bundle on
//! request, and the exit status.

use std::time::Instant;

use anyhow::{Context as _, Result};
use tracing::info;

use crate::checks::Outcome;
use crate::cli::args::CommonArgs;
use crate::cli::{ExitStatus, OutputFormat, batch};
use crate::policy::Policy;
use crate::proof::{self, Recipe};
use crate::report;

/// Leaves a command's inputs to the operating system: the process ends right after, and
/// freeing a 20,000-action policy piece by piece took longer than the kernel's
/// reclaiming its pages.
pub(crate) fn exiting<T>(inputs: T) {
    std::mem::forget(inputs);
}

/// What a SARIF log names as the checked file: the document's path, or the request
/// field it came from when it was inline or on stdin.
pub(crate) fn artifact_of(arg: Option<&str>, field: &str) -> String {
    match arg {
        Some(a) if a != "-" && !a.trim_start().starts_with(['{', '[']) => {
            a.strip_prefix("file://").unwrap_or(a).to_string()
        }
        _ => field.to_string(),
    }
}

pub(crate) fn finish(
    result: Outcome,
    common: &CommonArgs,
    policies: &[(&str, &Policy)],
    proof: Option<(Recipe, Instant)>,
    artifact: &str,
) -> Result<ExitStatus> {
    let proof_kind = proof.as_ref().map(|(r, _)| (r.check, artifact));
    if let (Some(dir), Some((recipe, start))) = (&common.emit_proof, proof) {
        let elapsed = start.elapsed().as_secs_f64() * 1000.0;
        proof::write_bundle(dir, &recipe, &result, elapsed).context("--emit-proof")?;
        info!(dir = %dir.display(), "wrote proof bundle");
    }
    if let Some(why) = result.fallback() {
        info!(reason = %why, "answered with the strings encoding");
    }
    let out = match (common.output, &proof_kind) {
        (OutputFormat::Sarif, Some((kind, artifact))) => {
            let found: Vec<_> = batch::result_finding(&result, *kind, artifact)
                .into_iter()
                .collect();
            report::sarif::findings(&found, artifact)
        }
        (OutputFormat::Json | OutputFormat::Sarif, _) => report::json::check(&result),
        (OutputFormat::Text, _) => report::text::check(&result, policies),
    };
    super::print(&out);
    Ok(ExitStatus::of(&result))
}

/// The policies a context check's text output explains a counterexample with.
pub(crate) fn context_policies<'a>(
    tag: &str,
    c: &'a crate::context::Combined,
) -> Vec<(String, &'a Policy)> {
    let mut out = vec![(format!("{tag} identity"), &c.policy)];
    out.extend(
        c.limits
            .iter()
            .map(|(what, p)| (format!("{tag} {what}"), p)),
    );
    out
}
