//! The shared conformance corpus (`../shared/conformance/*.json`, owned by its authors
//! and read from there). Required when `CI=true`; elsewhere a missing corpus is skipped
//! with a visible notice.

mod common;

use hornbeam::policy::{self, PolicyType};
use serde_json::Value;

/// All cases of every corpus file, with the file name.
fn corpus() -> Option<Vec<(String, Value)>> {
    let dir = common::conformance_dir();
    let Ok(entries) = std::fs::read_dir(&dir) else {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "conformance corpus missing at {} (required in CI)",
            dir.display()
        );
        eprintln!(
            "NOTICE: conformance corpus not found at {}; skipped",
            dir.display()
        );
        return None;
    };
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
    Some(cases)
}

/// The policy documents of a case's request, with their policy type.
fn documents(request: &Value) -> Vec<(&'static str, String, PolicyType)> {
    let policy_type = request
        .get("policyType")
        .and_then(Value::as_str)
        .map(|t| t.parse().expect("corpus policy type"))
        .unwrap_or(PolicyType::Resource);
    [
        "newPolicyDocument",
        "existingPolicyDocument",
        "policyDocument",
    ]
    .into_iter()
    .filter_map(|k| {
        request
            .get(k)
            .and_then(Value::as_str)
            .map(|d| (k, d.to_string(), policy_type))
    })
    .collect()
}

#[test]
fn every_corpus_policy_parses() {
    let Some(cases) = corpus() else { return };
    let mut documents_seen = 0;
    let mut failures = Vec::new();
    for (file, case) in &cases {
        for (field, text, policy_type) in documents(&case["request"]) {
            documents_seen += 1;
            if let Err(e) = policy::parse(&text, policy_type) {
                failures.push(format!("{file} {} {field}: {e}", case["id"]));
            }
        }
    }
    println!(
        "conformance: {} cases, {documents_seen} policy documents parsed, {} failed",
        cases.len(),
        failures.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
