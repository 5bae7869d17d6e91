//! Batch mode: a directory or glob of documents, one JSON line per file in file order,
//! the same output for any number of threads, exit code the worst result.

mod common;

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

fn hornbeam(args: &[&str]) -> common::Run {
    common::hornbeam_with_stdin(env!("CARGO_BIN_EXE_hornbeam"), args, None)
}

fn policy(actions: &[&str]) -> String {
    json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}]})
        .to_string()
}

/// A fresh directory of candidates: 30 passing, 10 failing, one in a sub-folder.
fn candidates(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("hornbeam-batch-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("team")).unwrap();
    for i in 0..40 {
        let body = if i % 4 == 3 {
            policy(&["s3:GetObject", "s3:PutObject"])
        } else {
            policy(&["s3:GetObject"])
        };
        std::fs::write(dir.join(format!("p{i:02}.json")), body).unwrap();
    }
    std::fs::write(dir.join("team/nested.json"), policy(&["s3:Get*"])).unwrap();
    std::fs::write(dir.join("notes.txt"), "not a policy").unwrap();
    dir
}

fn run_batch(target: &str, jobs: &str, extra: &[&str]) -> common::Run {
    let reference = policy(&["s3:Get*", "s3:List*"]);
    let mut args = vec![
        "check-no-new-access",
        "--new-policy-document",
        target,
        "--existing-policy-document",
        &reference,
        "--policy-type",
        "IDENTITY_POLICY",
        "--jobs",
        jobs,
    ];
    args.extend_from_slice(extra);
    hornbeam(&args)
}

fn lines(out: &str) -> Vec<Value> {
    out.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

#[test]
fn a_directory_gives_one_line_per_json_file_in_order_whatever_the_threads() {
    let dir = candidates("dir");
    let target = dir.display().to_string();
    let one = run_batch(&target, "1", &[]);
    let four = run_batch(&target, "4", &[]);
    assert_eq!(
        one.stdout, four.stdout,
        "output depends on the thread count"
    );
    assert_eq!((one.code, four.code), (1, 1), "{}", one.stderr);
    let rows = lines(&one.stdout);
    assert_eq!(
        rows.len(),
        41,
        "every .json file below the directory, nothing else"
    );
    let files: Vec<&str> = rows.iter().map(|r| r["file"].as_str().unwrap()).collect();
    let mut sorted = files.clone();
    sorted.sort();
    assert_eq!(files, sorted);
    assert!(files.last().unwrap().ends_with("team/nested.json"));
    for r in &rows {
        let file = r["file"].as_str().unwrap();
        let stem = Path::new(file).file_stem().unwrap().to_str().unwrap();
        let failing = stem
            .strip_prefix('p')
            .and_then(|n| n.parse::<u32>().ok())
            .is_some_and(|n| n % 4 == 3);
        assert_eq!(r["result"], if failing { "FAIL" } else { "PASS" }, "{file}");
        if failing {
            assert_eq!(r["counterexample"]["action"], "s3:PutObject");
        }
    }
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn a_glob_selects_files_and_an_invalid_file_is_a_line_not_an_abort() {
    let dir = candidates("glob");
    std::fs::write(
        dir.join("p99.json"),
        "{\"Version\": \"2012-10-17\", \"Statement\": [",
    )
    .unwrap();
    let pattern = format!("{}/p9*.json", dir.display());
    let out = run_batch(&pattern, "2", &[]);
    let rows = lines(&out.stdout);
    assert_eq!(rows.len(), 1, "{}", out.stdout);
    assert!(
        rows[0]["error"].as_str().unwrap().contains("line 1"),
        "{rows:?}"
    );
    assert_eq!(out.code, 2, "an invalid file is the worst result here");
    let pattern = format!("{}/p*.json", dir.display());
    let out = run_batch(&pattern, "2", &["--output", "text"]);
    assert_eq!(out.code, 2);
    // A line per file, then the tally (issue 24).
    assert_eq!(out.stdout.lines().count(), 42);
    let tally = out.stdout.lines().last().unwrap_or_default();
    assert!(
        tally.starts_with("41 files checked: ")
            && tally.contains(" fail, 0 inconclusive, 1 error in ")
            && tally.ends_with(" checks/s)"),
        "{tally}"
    );
    assert!(
        out.stdout.lines().any(|l| l.contains("p03.json: FAIL")),
        "{}",
        out.stdout
    );
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn empty_matches_are_invalid_input() {
    let dir = candidates("empty");
    let none = format!("{}/nothing-*.json", dir.display());
    let out = run_batch(&none, "1", &[]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("matches no files"), "{}", out.stderr);
    let empty = dir.join("team-empty");
    std::fs::create_dir_all(&empty).unwrap();
    let out = run_batch(&empty.display().to_string(), "1", &[]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("holds no `.json` files"),
        "{}",
        out.stderr
    );
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn proofs_go_to_one_sub_folder_per_file_and_verify() {
    let dir = candidates("proof");
    let proofs = dir.join("proofs");
    let pattern = format!("{}/p0*.json", dir.display());
    let out = run_batch(
        &pattern,
        "2",
        &["--emit-proof", &proofs.display().to_string()],
    );
    assert_eq!(out.code, 1, "{}", out.stderr);
    let rows = lines(&out.stdout);
    assert_eq!(rows.len(), 10);
    for r in &rows {
        let bundle = Path::new(r["proof"].as_str().unwrap());
        assert!(bundle.join("query.smt2").is_file(), "{bundle:?}");
    }
    let first = rows[0]["proof"].as_str().unwrap();
    let verify = hornbeam(&["verify-proof", first, "--timeout-ms", "20000"]);
    assert_eq!(verify.code, 0, "{}", verify.stdout);
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn access_and_public_checks_take_batches_too() {
    let dir = std::env::temp_dir().join(format!("hornbeam-batch-res-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let bucket = |principal: Value| {
        json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": principal, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}]})
            .to_string()
    };
    std::fs::write(dir.join("a-public.json"), bucket(json!("*"))).unwrap();
    std::fs::write(
        dir.join("b-account.json"),
        bucket(json!({"AWS": "111122223333"})),
    )
    .unwrap();
    let target = dir.display().to_string();
    let out = hornbeam(&[
        "check-no-public-access",
        "--policy-document",
        &target,
        "--resource-type",
        "AWS::S3::Bucket",
    ]);
    let results: Vec<Value> = lines(&out.stdout)
        .iter()
        .map(|r| r["result"].clone())
        .collect();
    assert_eq!(results, vec![json!("FAIL"), json!("PASS")]);
    assert_eq!(out.code, 1);
    let out = hornbeam(&[
        "check-access-not-granted",
        "--policy-document",
        &target,
        "--policy-type",
        "RESOURCE_POLICY",
        "--access",
        "actions=s3:PutObject",
    ]);
    let results: Vec<Value> = lines(&out.stdout)
        .iter()
        .map(|r| r["result"].clone())
        .collect();
    assert_eq!(
        results,
        vec![json!("PASS"), json!("PASS")],
        "{}",
        out.stderr
    );
    assert_eq!(out.code, 0);
    std::fs::remove_dir_all(dir).ok();
}
