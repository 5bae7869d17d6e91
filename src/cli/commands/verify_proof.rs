//! `verify-proof`: re-checks a proof bundle.

use anyhow::{Context as _, Result};

use crate::cli::ExitStatus;
use crate::proof::{self};

#[derive(clap::Args, Debug)]
pub(crate) struct VerifyProofArgs {
    /// A bundle written by `--emit-proof`.
    pub dir: std::path::PathBuf,
    /// Time limit for each solver, in milliseconds.
    #[arg(long, default_value_t = 60_000)]
    pub timeout_ms: u32,
}

/// Re-checks a proof bundle: 0 everything agrees, 1 tampered or contradicted,
/// 3 a solver could not decide, 2 not a bundle.
pub(crate) fn verify_proof(args: VerifyProofArgs) -> Result<ExitStatus> {
    let findings = proof::verify(&args.dir, args.timeout_ms).context("verify-proof")?;
    let mut code = ExitStatus::Ok;
    for f in &findings {
        let (tag, line) = match f {
            proof::Finding::Ok(l) => ("ok  ", l),
            proof::Finding::Skipped(l) => ("skip", l),
            proof::Finding::Undecided(l) => {
                if code == ExitStatus::Ok {
                    code = ExitStatus::Inconclusive;
                }
                ("????", l)
            }
            proof::Finding::Mismatch(l) => {
                code = ExitStatus::Negative;
                ("FAIL", l)
            }
        };
        crate::cli::print(&format!("{tag} {line}"));
    }
    crate::cli::print(match code {
        ExitStatus::Ok => "the bundle is intact and every solver agrees with the recorded verdict",
        ExitStatus::Negative => {
            "the bundle was altered or a solver contradicts the recorded verdict"
        }
        _ => "no contradiction found, but a solver could not decide",
    });
    Ok(code)
}
