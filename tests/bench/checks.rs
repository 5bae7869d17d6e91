//! `cargo bench --bench checks`: wall-clock time and peak memory of whole `hornbeam`
//! processes (start-up, parsing, encoding, solving, replay, output) over the shared
//! conformance corpus, over real-size policies generated from the known-action data
//! (ReadOnly-, ViewOnly-, PowerUser- and Administrator-like, 20,000 literal actions,
//! 200 conditioned statements, 100 principals), for both encodings side by side, and
//! the throughput of batch mode.
//!
//! `finite` is hornbeam's default: slicing, then the finitized encoding. `strings` is
//! the plain string encoding of the whole policies (`--encoding strings --no-slice`),
//! the baseline of the 50× target. For generated pairs the check phase is also timed
//! as `finite --no-slice`, so the encoding's own share of the ratio shows.
//!
//! Options (after `--`): `--encoding finite|strings|both` (default both),
//! `--timeout-ms N` (strings encoding, default 60000), `--skip-corpus`,
//! `--skip-large`, `--skip-batch`, `--skip-managed`, `--managed-only` (AWS's managed
//! policies, managed.rs), `--account-only` (whole contexts and a 5,000-principal
//! account, account.rs), `--sam-only` (a 50-function SAM application from its source
//! and from AWS's translation, sam.rs), `--external-only` (external access of the
//! corpus's resource policies and of generated 10- to 1,000-statement policies,
//! external.rs), `--write-cases DIR` (write the generated cases as
//! `--cli-input-json` files and stop).

#[path = "account.rs"]
mod account;
#[path = "../common/mod.rs"]
mod common;
#[path = "external.rs"]
mod external;
#[path = "managed.rs"]
mod managed;
#[path = "sam.rs"]
mod sam;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

struct Stats {
    times: Vec<Duration>,
    outcomes: Vec<i32>,
    /// Peak resident memory of each run in KB (0 when `/usr/bin/time` is missing).
    peaks: Vec<u64>,
}

impl Stats {
    fn line(&self, what: &str) -> String {
        let mut t = self.times.clone();
        t.sort();
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        let median = t.get(t.len() / 2).copied().unwrap_or_default();
        let p90 = t.get(t.len() * 9 / 10).copied().unwrap_or_default();
        let worst = t.last().copied().unwrap_or_default();
        let inconclusive = self.outcomes.iter().filter(|c| **c == 3).count();
        let peak = self.peaks.iter().max().copied().unwrap_or(0);
        format!(
            "{what:<44} n={:<4} median {:>8.1} ms  p90 {:>8.1} ms  worst {:>9.1} ms  peak {:>4} MB  inconclusive {inconclusive}",
            t.len(),
            ms(median),
            ms(p90),
            ms(worst),
            peak / 1024
        )
    }
}

/// Adds a check, its request file and the encoding options to a `hornbeam` command:
/// `finite` (the default pipeline), `finite-whole` (the same without slicing) or
/// `strings` (the plain string encoding of the whole policies).
fn check_args<'c>(
    cmd: &'c mut Command,
    check: &str,
    request: &Path,
    encoding: &str,
    timeout_ms: u32,
) -> &'c mut Command {
    let (encoding, whole) = match encoding {
        "finite-whole" => ("finite", true),
        "strings" => ("strings", true),
        e => (e, false),
    };
    cmd.arg(check)
        .arg("--cli-input-json")
        .arg(format!("file://{}", request.display()))
        .args([
            "--encoding",
            encoding,
            "--timeout-ms",
            &timeout_ms.to_string(),
        ]);
    if whole {
        cmd.arg("--no-slice");
    }
    cmd
}

/// One whole process: (wall time, exit code, peak RSS in KB).
fn run(
    bin: &Path,
    check: &str,
    request: &Path,
    encoding: &str,
    timeout_ms: u32,
    memory: bool,
) -> (Duration, i32, u64) {
    let time = Path::new("/usr/bin/time");
    let mut cmd = if memory && time.exists() {
        let mut c = Command::new(time);
        c.args(["-f", "%M"]).arg(bin);
        c
    } else {
        Command::new(bin)
    };
    let start = Instant::now();
    let out = check_args(&mut cmd, check, request, encoding, timeout_ms)
        .output()
        .expect("run hornbeam");
    let elapsed = start.elapsed();
    let peak = String::from_utf8_lossy(&out.stderr)
        .lines()
        .last()
        .and_then(|l| l.trim().parse().ok())
        .unwrap_or(0);
    (elapsed, out.status.code().unwrap_or(-1), peak)
}

/// The check phase alone (encoding, solving, replay, reasons; after parsing) of one
/// whole `hornbeam -v` process, from its `checked elapsed_us=` line: comparing
/// encodings without the start-up and parsing both pay. Returns (time, inconclusive).
fn check_phase(
    bin: &Path,
    request: &Path,
    check: &str,
    encoding: &str,
    timeout_ms: u32,
) -> (Duration, bool) {
    let mut cmd = Command::new(bin);
    cmd.arg("-v");
    let out = check_args(&mut cmd, check, request, encoding, timeout_ms)
        .output()
        .expect("run hornbeam");
    let micros = String::from_utf8_lossy(&out.stderr)
        .lines()
        .filter_map(|l| l.split_once(" checked elapsed_us=").map(|(_, rest)| rest))
        .filter_map(|rest| rest.split_whitespace().next()?.parse::<u64>().ok())
        .next_back()
        .unwrap_or(0);
    (Duration::from_micros(micros), out.status.code() == Some(3))
}

fn policy(statements: Vec<Value>) -> Value {
    json!({"Version": "2012-10-17", "Statement": statements})
}

fn allow(actions: Value) -> Value {
    json!({"Effect": "Allow", "Action": actions, "Resource": "*"})
}

/// Every service prefix of the known-action data (the list is sorted by service).
fn services() -> Vec<&'static str> {
    let mut s: Vec<&str> = hornbeam::actions::all().iter().map(|a| a.service).collect();
    s.dedup();
    s
}

/// Real-size identity policies built from the known-action data.
fn generated() -> Vec<(&'static str, Value)> {
    let all = hornbeam::actions::all();
    let services = services();
    let read_only: Vec<String> = services
        .iter()
        .flat_map(|s| ["Get", "List", "Describe"].map(|v| format!("{s}:{v}*")))
        .collect();
    let view_only: Vec<String> = all
        .iter()
        .filter(|a| {
            a.level == hornbeam::actions::AccessLevel::List
                && ["List", "Describe", "Get"]
                    .iter()
                    .any(|p| a.name.starts_with(p))
        })
        .map(|a| a.to_string())
        .collect();
    let power_user = policy(vec![
        json!({"Effect": "Allow", "NotAction": ["iam:*", "organizations:*", "account:*"], "Resource": "*"}),
        allow(json!([
            "iam:CreateServiceLinkedRole",
            "iam:DeleteServiceLinkedRole",
            "iam:ListRoles",
            "organizations:DescribeOrganization",
            "account:ListRegions",
            "account:GetAccountInformation"
        ])),
    ]);
    let literals: Vec<String> = all.iter().take(20_000).map(|a| a.to_string()).collect();
    let mut one_more = literals.clone();
    one_more.push("sts:AssumeRole".into());
    vec![
        ("ReadOnly-like", policy(vec![allow(json!(read_only))])),
        ("ViewOnly-like", policy(vec![allow(json!(view_only))])),
        ("PowerUser-like", power_user),
        ("Administrator", policy(vec![allow(json!("*"))])),
        ("20k literals", policy(vec![allow(json!(literals))])),
        ("20k literals + 1", policy(vec![allow(json!(one_more))])),
    ]
}

/// 200 statements, each with five conditions; `wider` widens one statement's network.
fn conditioned(wider: bool) -> Value {
    let services = services();
    policy(
        (0..200)
            .map(|i| {
                let cidr = if wider && i == 100 {
                    "10.0.0.0/8".to_string()
                } else {
                    format!("10.{}.0.0/16", i % 250)
                };
                json!({
                    "Sid": format!("S{i}"),
                    "Effect": "Allow",
                    "Action": [format!("{}:Get*", services[i % services.len()]), format!("{}:List*", services[i % services.len()])],
                    "Resource": "*",
                    "Condition": {
                        "StringEquals": {"aws:RequestedRegion": ["eu-west-1", "eu-central-1"]},
                        "IpAddress": {"aws:SourceIp": cidr},
                        "DateLessThan": {"aws:CurrentTime": format!("2027-{:02}-01T00:00:00Z", i % 12 + 1)},
                        "Bool": {"aws:SecureTransport": "true"},
                        "StringLike": {"aws:PrincipalTag/team": format!("team-{i}-*")}
                    }
                })
            })
            .collect(),
    )
}

/// A bucket policy granting `n` roles of different accounts (plus `extra`).
fn principals(n: usize, extra: Option<&str>) -> Value {
    let mut arns: Vec<String> = (0..n)
        .map(|i| {
            format!(
                "arn:aws:iam::{:012}:role/app-{i}",
                111_122_220_000u64 + i as u64
            )
        })
        .collect();
    arns.extend(extra.map(str::to_string));
    policy(vec![
        json!({"Sid": "Apps", "Effect": "Allow", "Principal": {"AWS": arns}, "Action": ["s3:GetObject", "s3:PutObject"], "Resource": "arn:aws:s3:::shared-data/*"}),
        json!({"Sid": "OnlyTls", "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*", "Condition": {"Bool": {"aws:SecureTransport": "false"}}}),
    ])
}

struct Case {
    name: String,
    check: &'static str,
    body: Value,
}

fn nna(name: String, new: &Value, existing: &Value, t: &str) -> Case {
    Case {
        name,
        check: "check-no-new-access",
        body: json!({"newPolicyDocument": new.to_string(), "existingPolicyDocument": existing.to_string(), "policyType": t}),
    }
}

fn large_cases() -> Vec<Case> {
    let g = generated();
    let mut cases = Vec::new();
    let named = |n: &str| &g.iter().find(|(k, _)| *k == n).expect("generated").1;
    let four = [
        "ReadOnly-like",
        "ViewOnly-like",
        "PowerUser-like",
        "Administrator",
    ];
    for a in four {
        for b in four {
            if a != b {
                cases.push(nna(
                    format!("{a} vs {b}"),
                    named(a),
                    named(b),
                    "IDENTITY_POLICY",
                ));
            }
        }
    }
    for other in ["ReadOnly-like", "Administrator", "20k literals + 1"] {
        cases.push(nna(
            format!("20k literals vs {other}"),
            named("20k literals"),
            named(other),
            "IDENTITY_POLICY",
        ));
        cases.push(nna(
            format!("{other} vs 20k literals"),
            named(other),
            named("20k literals"),
            "IDENTITY_POLICY",
        ));
    }
    let (narrow, wide) = (conditioned(false), conditioned(true));
    cases.push(nna(
        "200 conditioned statements, one wider".into(),
        &wide,
        &narrow,
        "IDENTITY_POLICY",
    ));
    cases.push(nna(
        "200 conditioned statements, reversed".into(),
        &narrow,
        &wide,
        "IDENTITY_POLICY",
    ));
    let (hundred, more) = (
        principals(100, None),
        principals(100, Some("arn:aws:iam::999988887777:root")),
    );
    cases.push(nna(
        "100 principals + 1 vs 100".into(),
        &more,
        &hundred,
        "RESOURCE_POLICY",
    ));
    cases.push(nna(
        "50 principals vs 100".into(),
        &principals(50, None),
        &hundred,
        "RESOURCE_POLICY",
    ));
    cases.push(Case {
        name: "100 principals, public access".into(),
        check: "check-no-public-access",
        body: json!({"policyDocument": hundred.to_string(), "resourceType": "AWS::S3::Bucket"}),
    });
    cases
}

/// Throughput of batch mode: corpus-size identity candidates against one reference.
fn batch(bin: &Path, corpus: &[Value], dir: &Path) {
    let files = dir.join("batch");
    std::fs::create_dir_all(&files).unwrap();
    let identity: Vec<&Value> = corpus
        .iter()
        .filter(|c| c["request"]["policyType"] == "IDENTITY_POLICY")
        .collect();
    let Some(first) = identity.first() else {
        return;
    };
    let mut n = 0;
    for copy in 0..4 {
        for c in &identity {
            let doc = c["request"]["newPolicyDocument"].as_str().unwrap();
            std::fs::write(files.join(format!("{copy}-{n:04}.json")), doc).unwrap();
            n += 1;
        }
    }
    let reference = dir.join("reference.json");
    std::fs::write(
        &reference,
        first["request"]["existingPolicyDocument"].as_str().unwrap(),
    )
    .unwrap();
    for jobs in ["1", "2"] {
        let start = Instant::now();
        let out = Command::new(bin)
            .args([
                "check-no-new-access",
                "--policy-type",
                "IDENTITY_POLICY",
                "--jobs",
                jobs,
            ])
            .arg("--new-policy-document")
            .arg(&files)
            .arg("--existing-policy-document")
            .arg(&reference)
            .output()
            .expect("run hornbeam");
        let secs = start.elapsed().as_secs_f64();
        let lines = String::from_utf8_lossy(&out.stdout).lines().count();
        println!(
            "batch: {lines} corpus candidates vs one reference, --jobs {jobs}: {:.0} ms, {:.0} checks/s (exit {:?})",
            secs * 1000.0,
            lines as f64 / secs,
            out.status.code()
        );
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let flag = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let has = |name: &str| args.iter().any(|a| a == name);
    let encodings: Vec<String> = match flag("--encoding").as_deref() {
        Some("both") | None => vec!["finite".into(), "strings".into()],
        Some(e) => vec![e.to_string()],
    };
    let timeout_ms: u32 = flag("--timeout-ms")
        .and_then(|t| t.parse().ok())
        .unwrap_or(60_000);
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_hornbeam"));
    let dir = std::env::temp_dir().join(format!("hornbeam-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    println!(
        "hornbeam bench: {} on {} cores",
        bin.display(),
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    if has("--managed-only") {
        managed::bench(&bin, &dir);
        return;
    }
    if has("--account-only") {
        account::bench(&bin, &dir);
        return;
    }
    if has("--sam-only") {
        sam::bench(&bin, &dir);
        return;
    }
    if has("--external-only") {
        let corpus: Vec<Value> = std::fs::read_to_string(
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("../shared/conformance/aws-samples.json"),
        )
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default();
        external::bench(&corpus);
        return;
    }
    if let Some(out) = flag("--write-cases") {
        // The generated cases as `--cli-input-json` files, to rerun one with `-vv`.
        let out = PathBuf::from(out);
        std::fs::create_dir_all(&out).unwrap();
        for case in large_cases() {
            let name: String = case
                .name
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
                .collect();
            let file = out.join(format!("{}.{name}.json", case.check));
            std::fs::write(&file, case.body.to_string()).unwrap();
            println!("{}", file.display());
        }
        return;
    }

    let corpus: Vec<Value> = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/conformance/aws-samples.json"),
    )
    .ok()
    .and_then(|t| serde_json::from_str(&t).ok())
    .unwrap_or_default();
    if corpus.is_empty() {
        println!("conformance corpus not found; corpus and batch benchmarks skipped");
    }

    if !has("--skip-corpus") && !corpus.is_empty() {
        let mut files = Vec::new();
        for (i, c) in corpus.iter().enumerate() {
            let f = dir.join(format!("case{i}.json"));
            std::fs::write(&f, c["request"].to_string()).unwrap();
            files.push((c["check"].as_str().unwrap().to_string(), f));
        }
        for enc in &encodings {
            let mut stats = Stats {
                times: Vec::new(),
                outcomes: Vec::new(),
                peaks: Vec::new(),
            };
            for (check, f) in &files {
                let (t, code, _) = run(&bin, check, f, enc, timeout_ms, false);
                stats.times.push(t);
                stats.outcomes.push(code);
            }
            // Peak memory in a second pass, so /usr/bin/time does not add to the times.
            for (check, f) in files.iter().step_by(10) {
                stats
                    .peaks
                    .push(run(&bin, check, f, enc, timeout_ms, true).2);
            }
            println!(
                "{}",
                stats.line(&format!("corpus ({} cases), {enc}", files.len()))
            );
        }
    }

    if !has("--skip-large") {
        println!(
            "\n{:<44} {:>12} {:>9} {:>9} {:>12} {:>9} {:>9}",
            "generated pair", "finite ms", "worst ms", "MB", "strings ms", "MB", "ratio"
        );
        println!(
            "{:<44} {:>12} {:>9} {:>9} {:>12} {:>9} {:>9}",
            "  check phase only (after parsing)",
            "finite ms",
            "worst ms",
            "",
            "strings ms",
            "",
            "ratio"
        );
        for case in large_cases() {
            let f = dir.join("large.json");
            std::fs::write(&f, case.body.to_string()).unwrap();
            let mut cells = Vec::new();
            let mut worst: Option<Duration> = None;
            for enc in ["finite", "strings"] {
                if !encodings.iter().any(|e| e == enc) {
                    cells.push(None);
                    continue;
                }
                // Median of 7: single runs on a VM that reclaims memory vary up to 3×.
                let runs = if enc == "finite" { 7 } else { 1 };
                let mut times = Vec::new();
                let (mut code, mut peak) = (0, 0);
                for _ in 0..runs {
                    let (t, c, p) = run(&bin, case.check, &f, enc, timeout_ms, true);
                    times.push(t);
                    code = c;
                    peak = peak.max(p);
                }
                times.sort();
                cells.push(Some((times[times.len() / 2], code, peak)));
                if enc == "finite" {
                    worst = times.last().copied();
                }
            }
            let show = |c: &Option<(Duration, i32, u64)>| match c {
                None => ("-".to_string(), "-".to_string()),
                Some((t, code, p)) => (
                    if *code == 3 {
                        format!(">{:.0} (timeout)", t.as_secs_f64() * 1000.0)
                    } else {
                        format!("{:.1} (exit {code})", t.as_secs_f64() * 1000.0)
                    },
                    format!("{}", p / 1024),
                ),
            };
            let ratio = match (&cells[0], &cells[1]) {
                (Some((f, _, _)), Some((s, code, _))) => {
                    let r = s.as_secs_f64() / f.as_secs_f64();
                    if *code == 3 {
                        format!(">{r:.0}x")
                    } else {
                        format!("{r:.0}x")
                    }
                }
                _ => "-".into(),
            };
            let (ft, fm) = show(&cells[0]);
            let (st, sm) = show(&cells[1]);
            let wt = worst.map_or("-".into(), |w| format!("{:.1}", w.as_secs_f64() * 1000.0));
            println!(
                "{:<44} {ft:>12} {wt:>9} {fm:>9} {st:>12} {sm:>9} {ratio:>9}",
                case.name
            );
            // The same pair, timing only the check call of each encoding.
            let median_worst = |mode: &str| {
                let mut t: Vec<Duration> = (0..7)
                    .map(|_| check_phase(&bin, &f, case.check, mode, timeout_ms).0)
                    .collect();
                t.sort();
                (t[3], t[6])
            };
            let finite = encodings
                .iter()
                .any(|e| e == "finite")
                .then(|| median_worst("finite"));
            let whole = encodings
                .iter()
                .any(|e| e == "finite")
                .then(|| median_worst("finite-whole"));
            let strings = encodings
                .iter()
                .any(|e| e == "strings")
                .then(|| check_phase(&bin, &f, case.check, "strings", timeout_ms));
            let ms = |d: Duration| d.as_secs_f64() * 1000.0;
            let (pf, pw) = finite.map_or(("-".into(), "-".into()), |(m, w)| {
                (format!("{:.2}", ms(m)), format!("{:.2}", ms(w)))
            });
            let ps = strings.map_or("-".into(), |(t, timeout)| match timeout {
                true => format!(">{:.0} (timeout)", ms(t)),
                false => format!("{:.1}", ms(t)),
            });
            let ratio = |finite: Option<(Duration, Duration)>| match (finite, strings) {
                (Some((m, _)), Some((t, timeout))) => {
                    let r = t.as_secs_f64() / m.as_secs_f64().max(1e-6);
                    format!("{}{r:.0}x", if timeout { ">" } else { "" })
                }
                _ => "-".into(),
            };
            let pr = ratio(finite);
            println!(
                "{:<44} {pf:>12} {pw:>9} {:>9} {ps:>12} {:>9} {pr:>9}",
                "", "", ""
            );
            let (hf, hw) = whole.map_or(("-".into(), "-".into()), |(m, w)| {
                (format!("{:.2}", ms(m)), format!("{:.2}", ms(w)))
            });
            let hr = ratio(whole);
            println!(
                "{:<44} {hf:>12} {hw:>9} {:>9} {ps:>12} {:>9} {hr:>9}",
                "  (finite --no-slice)", "", ""
            );
        }
    }

    if !has("--skip-batch") && !corpus.is_empty() {
        println!();
        batch(&bin, &corpus, &dir);
    }
    if !has("--skip-managed") {
        println!();
        managed::bench(&bin, &dir);
    }
    std::fs::remove_dir_all(&dir).ok();
}
