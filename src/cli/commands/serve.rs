//! `hornbeam serve`: flags → [`crate::server::Config`].

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{Result, anyhow, bail};

use crate::cli::ExitStatus;
use crate::server::{self, Config};

#[derive(clap::Args, Debug)]
pub(crate) struct ServeArgs {
    /// Address to listen on. Anything but loopback needs --credentials.
    #[arg(long, default_value = "127.0.0.1:8383")]
    pub listen: SocketAddr,
    /// The 12-digit account STS reports (the validators build their ARNs in it).
    #[arg(long, default_value = server::DEFAULT_ACCOUNT)]
    pub account_id: String,
    /// A file of `ACCESS_KEY_ID SECRET_ACCESS_KEY` lines (`#` starts a comment); every
    /// request must then carry a valid SigV4 signature by one of these keys.
    #[arg(long, value_name = "FILE")]
    pub credentials: Option<std::path::PathBuf>,
    /// Accept CheckAccessNotGranted actions that are not in hornbeam's list of known IAM
    /// actions; without it such a request is a 400 ValidationException (a misspelt
    /// action is granted by no policy, and the check would pass).
    #[arg(long)]
    pub allow_unknown_actions: bool,
    /// The organization of the organization analyzer (`o-...`): with it, ListAnalyzers
    /// also lists an ORGANIZATION analyzer, whose access previews take the organization
    /// (and --account-id) as the zone of trust.
    #[arg(long)]
    pub organization_id: Option<String>,
    /// Each check's deadline; reaching it answers FAIL with an inconclusive reason.
    #[arg(long, default_value_t = 10_000)]
    pub timeout_ms: u32,
    /// Z3's memory limit per check, in MB.
    #[arg(long, default_value_t = 2_048, value_parser = clap::value_parser!(u32).range(64..))]
    pub max_memory_mb: u32,
    /// Checks solved at once (default: the number of CPUs); more requests wait.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub max_concurrent_checks: Option<u32>,
    /// Connections served at once; more wait to be accepted. With the body limit, this
    /// bounds the memory requests can hold.
    #[arg(long, default_value_t = 256, value_parser = clap::value_parser!(u32).range(1..=65_536))]
    pub max_connections: u32,
    /// Largest request body accepted, in bytes.
    #[arg(long, default_value_t = server::DEFAULT_MAX_BODY)]
    pub max_body_bytes: usize,
    /// How long a client may take to send a request's headers, and then its body.
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..))]
    pub read_timeout_ms: u64,
    /// Stop by itself after this many seconds (for tests and CI jobs).
    #[arg(long, value_name = "SECONDS")]
    pub max_lifetime: Option<u64>,
}

pub(crate) fn serve(args: ServeArgs) -> Result<ExitStatus> {
    if !crate::policy::is_account_id(&args.account_id) {
        bail!(
            "--account-id `{}`: an account id is 12 digits, e.g. `111122223333`",
            args.account_id
        );
    }
    let mut config = Config::new(args.listen);
    config.account_id = args.account_id;
    config.allow_unknown_actions = args.allow_unknown_actions;
    if let Some(org) = &args.organization_id {
        crate::external::Zone::parse(org, &[])
            .ok()
            .filter(|z| matches!(z, crate::external::Zone::Organization { .. }))
            .ok_or_else(|| {
                anyhow::anyhow!(
                    "--organization-id `{org}`: an organization id is `o-` and 10 to 32 lower-case letters or digits"
                )
            })?;
    }
    config.organization_id = args.organization_id;
    config.options.timeout_ms = args.timeout_ms;
    config.options.max_memory_mb = args.max_memory_mb;
    config.max_body_bytes = args.max_body_bytes;
    config.max_connections = args.max_connections as usize;
    if let Some(n) = args.max_concurrent_checks {
        config.max_concurrent_checks = n as usize;
    }
    config.max_lifetime = args.max_lifetime.map(Duration::from_secs);
    config.read_timeout = Duration::from_millis(args.read_timeout_ms);
    if let Some(file) = &args.credentials {
        let text = std::fs::read_to_string(file)
            .map_err(|e| anyhow!("--credentials `{}`: {e}", file.display()))?;
        config.credentials = Some(
            credentials(&text).map_err(|e| anyhow!("--credentials `{}`: {e}", file.display()))?,
        );
    }
    server::run(config, |addr| {
        crate::cli::print(&format!("hornbeam serve: listening on http://{addr}"));
    })?;
    Ok(ExitStatus::Ok)
}

/// `ACCESS_KEY_ID SECRET_ACCESS_KEY` per line.
fn credentials(text: &str) -> Result<HashMap<String, String>> {
    let mut out = HashMap::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let parts: Vec<&str> = line.split_whitespace().collect();
        let [key, secret] = parts[..] else {
            bail!(
                "line {}: expected `ACCESS_KEY_ID SECRET_ACCESS_KEY`, found {} words",
                i + 1,
                parts.len()
            );
        };
        if out.insert(key.to_string(), secret.to_string()).is_some() {
            bail!("line {}: access key `{key}` is listed twice", i + 1);
        }
    }
    if out.is_empty() {
        bail!("no access keys; add `ACCESS_KEY_ID SECRET_ACCESS_KEY` lines");
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_files_are_read_line_by_line() {
        let keys = credentials("# keys\nAKIA1 secret1\n\nAKIA2 secret2 # ci\n").unwrap();
        assert_eq!(keys.len(), 2);
        assert_eq!(keys["AKIA2"], "secret2");
        let e = credentials("AKIA1\n").unwrap_err().to_string();
        assert!(e.starts_with("line 1:"), "{e}");
        assert!(credentials("AKIA1 a\nAKIA1 b\n").is_err());
        assert!(credentials("# nothing\n").is_err());
    }
}
