//! Batch mode: a document argument naming a directory or a glob checks every file
//! against the same reference, in parallel (one solver per worker thread), printing one
//! line per file in file order, whatever the number of threads.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;

use anyhow::{Result, anyhow, bail};
use serde_json::{Map, Value, json};
use tracing::info;

use super::args::CommonArgs;
use super::{ExitStatus, OutputFormat};
use crate::checks::{Kind, Outcome};
use crate::findings::{self, Code, Finding};
use crate::proof::{self, Recipe};
use crate::report;

/// The files a document argument names when it is a directory (every `*.json` below
/// it) or a glob; `None` for a single document (a file, `-` or inline JSON).
pub(crate) fn files(arg: &str, flag: &str) -> Result<Option<Vec<PathBuf>>> {
    let trimmed = arg.trim_start();
    if arg == "-" || trimmed.starts_with('{') || trimmed.starts_with('[') {
        return Ok(None);
    }
    let path = arg.strip_prefix("file://").unwrap_or(arg);
    let p = Path::new(path);
    let mut out = Vec::new();
    if p.is_dir() {
        walk(p, &mut out).map_err(|e| anyhow!("{flag}: cannot list `{path}`: {e}"))?;
        if out.is_empty() {
            bail!("{flag}: the directory `{path}` holds no `.json` files");
        }
    } else if !p.exists() && path.contains(['*', '?', '[']) {
        let entries = glob::glob(path).map_err(|e| {
            anyhow!(
                "{flag}: invalid glob `{path}` at character {}: {}; quote it so the shell does not expand it",
                e.pos + 1,
                e.msg
            )
        })?;
        for entry in entries {
            let entry = entry.map_err(|e| anyhow!("{flag}: {e}"))?;
            if entry.is_file() {
                out.push(entry);
            }
        }
        if out.is_empty() {
            bail!("{flag}: the glob `{path}` matches no files");
        }
    } else {
        return Ok(None);
    }
    out.sort();
    Ok(Some(out))
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            walk(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "json") {
            out.push(path);
        }
    }
    Ok(())
}

/// Worker threads for `work` items: --jobs, else one per core, never more than items.
pub(crate) fn jobs(common: &CommonArgs, work: usize) -> usize {
    common
        .jobs
        .map(|n| n as usize)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .clamp(1, work.max(1))
}

/// What one file's check gives.
pub(crate) type One = Result<(Outcome, Recipe)>;

/// A check's result as a finding about the document `artifact` (for SARIF): none for a
/// PASS.
pub(crate) fn result_finding(r: &Outcome, check: Kind, artifact: &str) -> Option<Finding> {
    let code = Code::of(r, check)?;
    Some(Finding {
        code,
        message: findings::outcome_message(r, ""),
        resource_name: artifact.to_string(),
        resource_type: "PolicyDocument".into(),
        policy_name: "PolicyDocument".into(),
        line: 1,
        details: r.to_json(),
        blocking: true,
        validation: None,
    })
}

/// Checks every file with `check` on `jobs` threads and prints a line per file in file
/// order; returns the worst exit code.
pub(crate) fn run(
    files: &[PathBuf],
    common: &CommonArgs,
    check: impl Fn(&Path) -> One + Sync,
) -> Result<ExitStatus> {
    let jobs = jobs(common, files.len());
    info!(files = files.len(), jobs, "batch");
    let start = std::time::Instant::now();
    let next = AtomicUsize::new(0);
    let (tx, rx) = mpsc::channel::<(usize, ExitStatus, String)>();
    let mut worst = ExitStatus::Ok;
    // A progress bar on stderr when a person watches it (indicatif draws nothing when
    // stderr is not a terminal).
    let bar = indicatif::ProgressBar::with_draw_target(
        Some(files.len() as u64),
        indicatif::ProgressDrawTarget::stderr(),
    );
    let mut tally = Tally::default();
    let sarif = common.output == OutputFormat::Sarif;
    let found = std::sync::Mutex::new(Vec::<(usize, Finding)>::new());
    let found_ref = &found;
    std::thread::scope(|scope| {
        for _ in 0..jobs {
            let tx = tx.clone();
            let (next, check) = (&next, &check);
            scope.spawn(move || {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(file) = files.get(i) else { break };
                    let start = std::time::Instant::now();
                    let one = check(file);
                    let ms = start.elapsed().as_secs_f64() * 1000.0;
                    if sarif {
                        let name = file.display().to_string();
                        let f = match &one {
                            Ok((r, recipe)) => result_finding(r, recipe.check, &name),
                            Err(e) => Some(Finding {
                                code: Code::NotChecked,
                                message: format!("The policy was not checked: {e:#}."),
                                resource_name: name.clone(),
                                resource_type: "PolicyDocument".into(),
                                policy_name: "PolicyDocument".into(),
                                line: 1,
                                details: json!({}),
                                blocking: true,
                                validation: None,
                            }),
                        };
                        if let (Some(f), Ok(mut all)) = (f, found_ref.lock()) {
                            all.push((i, f));
                        }
                    }
                    let (code, line) = line(file, i, one, ms, common);
                    if tx.send((i, code, line)).is_err() {
                        break;
                    }
                }
            });
        }
        drop(tx);
        // Print in file order as soon as each prefix is complete.
        let mut pending = BTreeMap::new();
        let mut printed = 0;
        for (i, code, line) in rx {
            pending.insert(i, (code, line));
            while let Some((code, line)) = pending.remove(&printed) {
                if !sarif {
                    bar.suspend(|| super::print(&line));
                }
                bar.inc(1);
                tally.add(code);
                worst = worst.worst(code);
                printed += 1;
            }
        }
    });
    bar.finish_and_clear();
    if sarif {
        // One SARIF log for the run, findings in file order.
        let mut all = found.into_inner().unwrap_or_default();
        all.sort_by_key(|(i, _)| *i);
        let all: Vec<Finding> = all.into_iter().map(|(_, f)| f).collect();
        super::print(&report::sarif::findings(&all, ""));
    }
    let line = tally.line(start.elapsed());
    match common.output {
        // JSON lines stay JSON: the tally goes to stderr.
        OutputFormat::Json | OutputFormat::Sarif => eprintln!("{line}"),
        OutputFormat::Text => super::print(&line),
    }
    Ok(worst)
}

/// How a batch went, by exit code.
#[derive(Default)]
struct Tally {
    pass: usize,
    fail: usize,
    inconclusive: usize,
    errors: usize,
}

impl Tally {
    fn add(&mut self, code: ExitStatus) {
        match code {
            ExitStatus::Ok => self.pass += 1,
            ExitStatus::Negative => self.fail += 1,
            ExitStatus::Inconclusive => self.inconclusive += 1,
            _ => self.errors += 1,
        }
    }

    fn line(&self, elapsed: std::time::Duration) -> String {
        let checked = self.pass + self.fail + self.inconclusive + self.errors;
        let secs = elapsed.as_secs_f64();
        format!(
            "{checked} {} checked: {} pass, {} fail, {} inconclusive, {} {} in {secs:.1} s ({:.0} checks/s)",
            if checked == 1 { "file" } else { "files" },
            self.pass,
            self.fail,
            self.inconclusive,
            self.errors,
            if self.errors == 1 { "error" } else { "errors" },
            checked as f64 / secs.max(1e-9),
        )
    }
}

/// One file's exit code and output line.
fn line(file: &Path, index: usize, one: One, ms: f64, common: &CommonArgs) -> (ExitStatus, String) {
    let name = file.display().to_string();
    let (code, value, text) = match one {
        Ok((result, recipe)) => {
            let code = ExitStatus::of(&result);
            let mut value = result.to_json();
            if let Some(dir) = &common.emit_proof {
                let sub = dir.join(bundle_name(index, &file.display().to_string()));
                if let Err(e) = proof::write_bundle(&sub, &recipe, &result, ms) {
                    let why = format!("--emit-proof: {e}");
                    return (
                        ExitStatus::Invalid,
                        render(&name, &json!({ "error": why }), &why, common),
                    );
                }
                value["proof"] = json!(sub.display().to_string());
            }
            let summary = summary(&result);
            (code, value, summary)
        }
        Err(e) => {
            let internal = e.downcast_ref::<crate::checks::CheckError>().is_some();
            let why = format!("{e:#}");
            let code = if internal {
                ExitStatus::Internal
            } else {
                ExitStatus::Invalid
            };
            (code, json!({ "error": why }), format!("ERROR {why}"))
        }
    };
    (code, render(&name, &value, &text, common))
}

fn render(name: &str, value: &Value, text: &str, common: &CommonArgs) -> String {
    match common.output {
        OutputFormat::Json | OutputFormat::Sarif => {
            let mut obj = Map::new();
            obj.insert("file".into(), json!(name));
            if let Value::Object(fields) = value {
                obj.extend(fields.clone());
            }
            Value::Object(obj).to_string()
        }
        OutputFormat::Text => format!("{name}: {text}"),
    }
}

fn summary(r: &Outcome) -> String {
    let verdict = match r {
        Outcome::Pass { .. } => "PASS".to_string(),
        Outcome::Inconclusive { why, .. } => format!("INCONCLUSIVE ({why})"),
        Outcome::Fail(_) => "FAIL".to_string(),
    };
    let mut out = verdict;
    if !r.reasons().is_empty() {
        let reasons: Vec<&str> = r.reasons().iter().map(|x| x.description.as_str()).collect();
        out += &format!(" — {}", reasons.join(" "));
    }
    if let Some(c) = r.counterexample() {
        out += &format!(" (e.g. {} on {})", c.action, c.resource);
    }
    out
}

/// A proof sub-folder per file (or policy): its index and a file-system-safe form of its
/// path (or name).
pub(crate) fn bundle_name(index: usize, label: &str) -> String {
    let safe: String = label
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("{:04}-{}", index + 1, safe.trim_start_matches(['.', '_']))
}
