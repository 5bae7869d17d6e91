//! The shared conformance corpus (`../shared/conformance/*.json`, owned by its authors
//! and read from there). Not in this repository, so the tests are `#[ignore]`d:
//! `cargo test --test conformance -- --ignored` runs them (.ci/run does), and fails
//! without the corpus.
//!
//! Every case runs through the CLI with `--cli-input-json` (default encoding) and must
//! agree with its label, except the disagreements listed, with the reasoning, in
//! `tests/data/conformance-disagreements.json` (their result is pinned too). The strings
//! encoding must give the same answer on every case.

mod common;

use std::collections::BTreeMap;

use hornbeam::checks::SolverChoice;
use hornbeam::checks::{Encoding, Options};
use hornbeam::policy::{self, PolicyType};
use serde_json::Value;

/// All cases of every corpus file, with the file name. The tests are `#[ignore]`d
/// (the corpus is not in this repository); asked for without it, they fail.
fn corpus() -> Vec<(String, Value)> {
    let dir = common::conformance_dir();
    let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| {
        panic!(
            "conformance corpus missing at {} ({e}); it is the shared corpus next to the checkout",
            dir.display()
        )
    });
    let mut files: Vec<_> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    let mut cases = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).expect("readable corpus file");
        let list: Vec<Value> = serde_json::from_str(&text).expect("corpus file is a JSON array");
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        cases.extend(list.into_iter().map(|c| (name.clone(), c)));
    }
    assert!(
        !cases.is_empty(),
        "conformance corpus at {} is empty",
        dir.display()
    );
    cases
}

/// id → result hornbeam gives where it disagrees with the label.
fn disagreements() -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(common::repo_path(
        "tests/data/conformance-disagreements.json",
    ))
    .unwrap();
    let list: Vec<Value> = serde_json::from_str(&text).unwrap();
    list.iter()
        .map(|d| {
            (
                d["id"].as_str().unwrap().to_string(),
                d["hornbeam"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// What hornbeam should answer for a case.
fn wanted(case: &Value, known: &BTreeMap<String, String>) -> String {
    let id = case["id"].as_str().unwrap_or_default();
    known
        .get(id)
        .cloned()
        .unwrap_or_else(|| case["expected"].as_str().unwrap().to_string())
}

#[test]
#[ignore = "needs the shared conformance corpus at ../shared/conformance, which is not in this repository; run: cargo test --test conformance -- --ignored (.ci/run does)"]
fn every_corpus_policy_parses() {
    let cases = corpus();
    let mut failures = Vec::new();
    for (file, case) in &cases {
        let req = &case["request"];
        let policy_type = req
            .get("policyType")
            .and_then(Value::as_str)
            .map(|t| t.parse().expect("corpus policy type"))
            .unwrap_or(PolicyType::Resource);
        for field in [
            "newPolicyDocument",
            "existingPolicyDocument",
            "policyDocument",
        ] {
            let Some(text) = req.get(field).and_then(Value::as_str) else {
                continue;
            };
            if let Err(e) = policy::parse(text, policy_type) {
                failures.push(format!("{file} {} {field}: {e}", case["id"]));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
#[ignore = "needs the shared conformance corpus at ../shared/conformance, which is not in this repository; run: cargo test --test conformance -- --ignored (.ci/run does)"]
fn every_case_agrees_through_the_cli() {
    let cases = corpus();
    let known = disagreements();
    let dir = std::env::temp_dir().join(format!("hornbeam-conformance-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cases: Vec<(usize, &Value)> = cases.iter().map(|(_, c)| c).enumerate().collect();
    let results = common::parallel(&cases, 2, |(i, case)| {
        let path = dir.join(format!("{i}.json"));
        std::fs::write(&path, serde_json::to_string(&case["request"]).unwrap()).unwrap();
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_hornbeam"))
            .arg(case["check"].as_str().unwrap())
            .arg("--cli-input-json")
            .arg(format!("file://{}", path.display()))
            .output()
            .unwrap();
        let got = match out.status.code() {
            Some(0) => "PASS".to_string(),
            Some(1) => "FAIL".to_string(),
            other => format!("exit {other:?}: {}", String::from_utf8_lossy(&out.stderr)),
        };
        if got == "FAIL" {
            let v: Value = serde_json::from_slice(&out.stdout).expect("JSON output");
            assert!(
                v["counterexample"].is_object(),
                "{}: FAIL without counterexample",
                case["id"]
            );
            assert!(
                !v["reasons"].as_array().unwrap().is_empty(),
                "{}: FAIL without reasons",
                case["id"]
            );
        }
        (
            case["id"].as_str().unwrap_or_default().to_string(),
            wanted(case, &known),
            got,
        )
    });
    std::fs::remove_dir_all(&dir).ok();
    let failures: Vec<String> = results
        .iter()
        .filter(|(_, want, got)| want != got)
        .map(|(id, want, got)| format!("{id}: expected {want}, got {got}"))
        .collect();
    let agree = results.len() - failures.len();
    println!(
        "conformance: {} cases, {agree} agree ({} listed disagreements with the labels), {} failures",
        results.len(),
        known.len(),
        failures.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(
        known.len() <= 1,
        "the list of disagreements grew; each needs a written proof"
    );
}

#[test]
#[ignore = "needs the shared conformance corpus at ../shared/conformance, which is not in this repository; run: cargo test --test conformance -- --ignored (.ci/run does)"]
fn the_strings_encoding_agrees_on_every_case() {
    agrees_in_process(
        "strings encoding",
        &Options {
            encoding: Encoding::Strings,
            timeout_ms: 60_000,
            ..Options::default()
        },
        true,
    );
}

/// The CLI decides finitized scripts natively; Z3 must give the same answers on them.
#[test]
#[ignore = "needs the shared conformance corpus at ../shared/conformance, which is not in this repository; run: cargo test --test conformance -- --ignored (.ci/run does)"]
fn z3_agrees_with_the_native_solver_on_every_case() {
    agrees_in_process(
        "finitized encoding, z3",
        &Options {
            solver: SolverChoice::Z3,
            ..Options::default()
        },
        false,
    );
}

/// Every case gets the expected answer. With `undecided_ok`, a time-out (the strings
/// encoding on a loaded machine) is no answer rather than a wrong one: decided answers
/// must all agree, and at most 5% of the cases may be undecided.
fn agrees_in_process(what: &str, opts: &Options, undecided_ok: bool) {
    let cases = corpus();
    let known = disagreements();
    let results = common::parallel(&cases, 2, |(_, case)| {
        let (r, _) = common::run_check_with(case, opts);
        let got = match r.inconclusive() {
            Some(why) => format!("INCONCLUSIVE ({why})"),
            None => common::verdict(&r).to_string(),
        };
        (
            case["id"].as_str().unwrap_or_default().to_string(),
            wanted(case, &known),
            got,
        )
    });
    let undecided = |got: &String| undecided_ok && got.starts_with("INCONCLUSIVE");
    let skipped: Vec<&String> = results
        .iter()
        .filter(|(_, _, got)| undecided(got))
        .map(|(id, _, _)| id)
        .collect();
    if !skipped.is_empty() {
        println!("conformance ({what}): undecided within the time limit: {skipped:?}");
    }
    assert!(
        skipped.len() * 20 <= results.len(),
        "more than 5% of the cases undecided: {skipped:?}"
    );
    let failures: Vec<String> = results
        .iter()
        .filter(|(_, want, got)| want != got && !undecided(got))
        .map(|(id, want, got)| format!("{id}: expected {want}, got {got}"))
        .collect();
    println!(
        "conformance ({what}): {} cases, {} differ",
        results.len(),
        failures.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// External access (issue 28): on every resource policy of the corpus, some finding is
/// public exactly when `check-no-public-access` FAILs, and the analysis is complete.
#[test]
#[ignore = "needs the shared conformance corpus at ../shared/conformance, which is not in this repository; run: cargo test --test conformance -- --ignored (.ci/run does)"]
fn external_access_is_public_exactly_when_check_no_public_access_fails() {
    use hornbeam::external::{self, Analysis, Input, Zone};
    let cases: Vec<Value> = corpus().into_iter().map(|(_, c)| c).collect();
    let policies = common::corpus_resource_policies(&cases);
    assert!(policies.len() >= 20, "{} resource policies", policies.len());
    let zone = Zone::parse("111122223333", &[]).unwrap();
    for text in &policies {
        let t = common::resource_type_of(text);
        let p = hornbeam::policy::parse(text, hornbeam::policy::PolicyType::Resource).unwrap();
        let public = hornbeam::run(
            &hornbeam::Check::NoPublicAccess {
                policy: &p,
                resource_type: t,
            },
            &Options::default(),
        )
        .unwrap()
        .verdict()
            == hornbeam::checks::Verdict::Fail;
        let a = external::analyze(
            &Input {
                policy: text,
                resource_type: t,
                zone: &zone,
                existing: None,
            },
            &Options::default(),
        )
        .unwrap();
        assert!(matches!(a, Analysis::Complete { .. }), "{text}");
        assert_eq!(
            a.findings().iter().any(|f| f.is_public),
            public,
            "{t}: {text}"
        );
    }
}
