//! SAM expansion against AWS's own translator: every SAM template of
//! tests/templates/sam is translated by aws-sam-translator (pinned in
//! tests/serve/requirements.txt, installed by .ci/run into `target/clients-venv`), and
//! hornbeam must find the same policies and principals in the SAM source as in the
//! translation, and give the same gate answers. A construct hornbeam does not expand
//! must be reported as not checked, never skipped: the templates that use one
//! (`*.unexpanded.yaml`) must give a blocking `POLICY_NOT_CHECKED` naming it.
//!
//! `#[ignore]`d: `cargo test` on a fresh clone lacks the translator; .ci/run runs it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use hornbeam::template::{Extraction, Settings, extract};
use serde_json::Value;

fn venv_python() -> PathBuf {
    let dir = std::env::var_os("HORNBEAM_CLIENTS_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target/clients-venv"));
    let python = dir.join("bin/python");
    assert!(
        python.exists(),
        "no Python venv at {0}; create it with: python3 -m venv {0} && {0}/bin/pip install -r tests/serve/requirements.txt",
        dir.display()
    );
    python
}

fn sam_templates() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/templates/sam");
    let mut out: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    out.sort();
    out
}

/// JSON with each object's keys and each list sorted.
fn canonical(v: &Value) -> String {
    match v {
        Value::Object(m) => {
            let sorted: BTreeMap<&String, String> =
                m.iter().map(|(k, v)| (k, canonical(v))).collect();
            let members: Vec<String> = sorted
                .into_iter()
                .map(|(k, v)| format!("{}:{v}", Value::String(k.clone())))
                .collect();
            format!("{{{}}}", members.join(","))
        }
        // Lists in a policy are sets (statements, actions, resources, values); only
        // the statement indexes in messages depend on their order.
        Value::Array(items) => {
            let mut items: Vec<String> = items.iter().map(canonical).collect();
            items.sort();
            format!("[{}]", items.join(","))
        }
        other => other.to_string(),
    }
}

/// What a template's extraction says, without lines and notes: each policy's document
/// (parsed), kind and type, and each principal's attachments.
fn summary(x: &Extraction) -> (BTreeMap<String, String>, BTreeMap<String, String>) {
    let mut policies = BTreeMap::new();
    for p in &x.policies {
        let doc = match &p.policy {
            Ok(text) => serde_json::from_str::<Value>(text)
                .map(|v| canonical(&v))
                .unwrap_or_else(|_| text.clone()),
            Err(_) => "(not checkable)".into(),
        };
        policies.insert(
            format!("{}.{}", p.resource, p.policy_name),
            format!("{} {:?} {doc}", p.resource_type, p.kind),
        );
    }
    let mut principals = BTreeMap::new();
    for pr in &x.principals {
        let mut own: Vec<String> = pr
            .policies
            .iter()
            .map(|&i| {
                let p = &x.policies[i];
                format!("{}.{}", p.resource, p.policy_name)
            })
            .collect();
        own.sort();
        let mut managed = pr.managed.clone();
        managed.sort();
        principals.insert(
            pr.resource.clone(),
            format!(
                "{} own={own:?} managed={managed:?} customer={:?} boundary={:?} unknown={}",
                pr.resource_type,
                pr.customer,
                pr.boundary.as_ref().map(|b| format!("{b:?}")),
                pr.unknown.len()
            ),
        );
    }
    (policies, principals)
}

/// The gate's answers for a template: public access, and the sensitive actions the
/// generated roles and permissions may grant; each finding's code and subject, blocking
/// or not, and the exit codes.
fn gate(path: &Path) -> Vec<String> {
    let checks: [&[&str]; 2] = [
        &["check-no-public-access"],
        &[
            "check-access-not-granted",
            "--actions",
            "s3:GetObject,s3:PutObject,dynamodb:PutItem,sqs:SendMessage,sns:Publish,lambda:InvokeFunction,states:StartExecution,iam:PassRole,ssm:GetParameter,kms:Decrypt",
        ],
    ];
    let mut lines = Vec::new();
    for args in checks {
        let out = Command::new(env!("CARGO_BIN_EXE_hornbeam"))
            .args(args)
            .args(["--output", "json", "--template-path"])
            .arg(path)
            .output()
            .unwrap();
        lines.push(format!("{} exit {:?}", args[0], out.status.code()));
        let v: Value = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
        for (group, label) in [("BlockingFindings", "B"), ("NonBlockingFindings", "N")] {
            for f in v[group].as_array().into_iter().flatten() {
                lines.push(format!(
                    "{} {label} {} {}.{}",
                    args[0],
                    f["code"].as_str().unwrap_or("?"),
                    f["resourceName"].as_str().unwrap_or("?"),
                    f["policyName"].as_str().unwrap_or("?")
                ));
            }
        }
    }
    lines.sort();
    lines
}

/// Translates `(source, destination)` pairs; the sources the translator rejects, with why.
fn translate(pairs: &[(PathBuf, PathBuf)]) -> Vec<String> {
    let mut args = vec![
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/sam/translate.py")
            .display()
            .to_string(),
    ];
    for (src, dst) in pairs {
        args.push(src.display().to_string());
        args.push(dst.display().to_string());
    }
    let run = Command::new(venv_python()).args(&args).output().unwrap();
    String::from_utf8_lossy(&run.stderr)
        .lines()
        .filter(|l| l.starts_with("REJECTED "))
        .map(str::to_string)
        .collect()
}

/// How hornbeam's reading of a SAM template compares with its reading of the translation.
#[derive(Debug, PartialEq)]
enum Compared {
    /// Same policies, principals and gate answers.
    Same,
    /// hornbeam reports constructs it did not expand (blocking POLICY_NOT_CHECKED).
    Unexpanded(Vec<String>),
    /// hornbeam refused the SAM source (exit 2), with why.
    Refused(String),
    /// Something differs: what.
    Differs(String),
}

fn compare(src: &Path, dst: &Path) -> Compared {
    let settings = Settings::default();
    let sam = match extract(&std::fs::read_to_string(src).unwrap(), &settings) {
        Ok(x) => x,
        Err(e) => return Compared::Refused(e.to_string()),
    };
    let cfn = match extract(&std::fs::read_to_string(dst).unwrap(), &settings) {
        Ok(x) => x,
        Err(e) => return Compared::Differs(format!("the translation is refused: {e}")),
    };
    // Gaps the translation has too (a nested application, a policy hornbeam does not
    // read) are not the expansion's.
    let own: Vec<String> = sam
        .gaps
        .iter()
        .filter(|g| !cfn.gaps.iter().any(|c| c.what == g.what))
        .map(|g| format!("{}: {}", g.what, g.why))
        .collect();
    if !own.is_empty() {
        let blocked = gate(src)
            .iter()
            .any(|l| l.starts_with("check-no-public-access B POLICY_NOT_CHECKED"));
        return if blocked {
            Compared::Unexpanded(own)
        } else {
            Compared::Differs(format!("unexpanded but not blocking: {own:?}"))
        };
    }
    let (sp, spr) = summary(&sam);
    let (cp, cpr) = summary(&cfn);
    for k in sp.keys().chain(cp.keys()) {
        if sp.get(k) != cp.get(k) {
            return Compared::Differs(format!(
                "policy `{k}`:\n  hornbeam:   {:?}\n  translator: {:?}",
                sp.get(k),
                cp.get(k)
            ));
        }
    }
    for k in spr.keys().chain(cpr.keys()) {
        if spr.get(k) != cpr.get(k) {
            return Compared::Differs(format!(
                "principal `{k}`:\n  hornbeam:   {:?}\n  translator: {:?}",
                spr.get(k),
                cpr.get(k)
            ));
        }
    }
    let (a, b) = (gate(src), gate(dst));
    if a != b {
        return Compared::Differs(format!(
            "gate answers:\n  hornbeam:   {a:?}\n  translator: {b:?}"
        ));
    }
    Compared::Same
}

#[test]
#[ignore = "needs aws-sam-translator (tests/serve/requirements.txt); .ci/run runs it"]
fn hornbeam_expands_sam_as_aws_translator_does() {
    let out_dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("sam-translated");
    std::fs::create_dir_all(&out_dir).unwrap();
    let templates = sam_templates();
    assert!(templates.len() >= 3, "SAM test templates missing");
    let pairs: Vec<(PathBuf, PathBuf)> = templates
        .iter()
        .map(|t| {
            let name = t.file_stem().unwrap().to_string_lossy().to_string();
            (t.clone(), out_dir.join(format!("{name}.json")))
        })
        .collect();
    let rejected = translate(&pairs);
    assert!(rejected.is_empty(), "{rejected:?}");
    let mut same = 0;
    for (src, dst) in &pairs {
        let got = compare(src, dst);
        if src.to_string_lossy().ends_with(".unexpanded.yaml") {
            assert!(
                matches!(got, Compared::Unexpanded(_)),
                "{}: {got:?}",
                src.display()
            );
        } else {
            assert_eq!(got, Compared::Same, "{}", src.display());
            same += 1;
        }
    }
    eprintln!(
        "{same} SAM test templates expand as aws-sam-translator 1.115.0 translates them; {} report what is not expanded as not checked",
        pairs.len() - same
    );
}

/// Figures on a collection of SAM templates no one here wrote (`HORNBEAM_SAM_CORPUS`, a
/// directory searched for `*.yaml`, `*.yml`, `*.json` with the SAM transform): how many
/// the translator accepts, and of those how many hornbeam reads the same, reports as not
/// expanded, refuses, or reads differently (each listed). Prints; asserts nothing about
/// the collection but that the run completes.
#[test]
#[ignore = "measurement: HORNBEAM_SAM_CORPUS=DIR cargo test --test sam_translator -- --ignored corpus --nocapture"]
fn corpus_figures() {
    let Some(dir) = std::env::var_os("HORNBEAM_SAM_CORPUS") else {
        eprintln!("HORNBEAM_SAM_CORPUS is not set; nothing to measure");
        return;
    };
    fn walk(d: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else if p
                .extension()
                .is_some_and(|x| x == "yaml" || x == "yml" || x == "json")
                && std::fs::read_to_string(&p)
                    .is_ok_and(|t| t.contains("AWS::Serverless-2016-10-31"))
            {
                out.push(p);
            }
        }
    }
    let mut files = Vec::new();
    walk(Path::new(&dir), &mut files);
    files.sort();
    let out_dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("sam-corpus");
    let _ = std::fs::remove_dir_all(&out_dir);
    std::fs::create_dir_all(&out_dir).unwrap();
    let pairs: Vec<(PathBuf, PathBuf)> = files
        .iter()
        .enumerate()
        .map(|(i, f)| (f.clone(), out_dir.join(format!("{i}.json"))))
        .collect();
    let rejected = translate(&pairs);
    let (mut same, mut unexpanded, mut refused, mut differs) = (0, 0, 0, 0);
    for (src, dst) in pairs.iter().filter(|(_, d)| d.exists()) {
        match compare(src, dst) {
            Compared::Same => same += 1,
            Compared::Unexpanded(what) => {
                unexpanded += 1;
                eprintln!("UNEXPANDED {}: {what:?}", src.display());
            }
            Compared::Refused(why) => {
                refused += 1;
                eprintln!("REFUSED {}: {why}", src.display());
            }
            Compared::Differs(what) => {
                differs += 1;
                eprintln!("DIFFERS {}: {what}", src.display());
            }
        }
    }
    let accepted = pairs.len() - rejected.len();
    eprintln!(
        "{} SAM templates; the translator accepts {accepted} (rejects {}); of those hornbeam reads {same} the same, reports {unexpanded} as not fully expanded, refuses {refused}, reads {differs} differently",
        pairs.len(),
        rejected.len()
    );
}
