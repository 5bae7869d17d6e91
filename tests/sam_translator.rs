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

/// JSON with each object's keys sorted (key order means nothing to IAM).
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
        Value::Array(items) => format!(
            "[{}]",
            items.iter().map(canonical).collect::<Vec<_>>().join(",")
        ),
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

#[test]
#[ignore = "needs aws-sam-translator (tests/serve/requirements.txt); .ci/run runs it"]
fn hornbeam_expands_sam_as_aws_translator_does() {
    let python = venv_python();
    let out_dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("sam-translated");
    std::fs::create_dir_all(&out_dir).unwrap();
    let templates = sam_templates();
    assert!(templates.len() >= 3, "SAM test templates missing");
    let mut args = vec![
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/sam/translate.py")
            .display()
            .to_string(),
    ];
    let mut pairs = Vec::new();
    for t in &templates {
        let name = t.file_stem().unwrap().to_string_lossy().to_string();
        let dst = out_dir.join(format!("{name}.json"));
        args.push(t.display().to_string());
        args.push(dst.display().to_string());
        pairs.push((t.clone(), dst));
    }
    let run = Command::new(&python).args(&args).output().unwrap();
    assert!(
        run.status.success(),
        "the translator rejected a test template: {}",
        String::from_utf8_lossy(&run.stderr)
    );
    let settings = Settings::default();
    let mut same = 0;
    for (src, dst) in &pairs {
        let sam = extract(&std::fs::read_to_string(src).unwrap(), &settings)
            .unwrap_or_else(|e| panic!("{}: {e}", src.display()));
        let cfn = extract(&std::fs::read_to_string(dst).unwrap(), &settings)
            .unwrap_or_else(|e| panic!("{}: {e}", dst.display()));
        let unexpanded = src.to_string_lossy().ends_with(".unexpanded.yaml");
        if unexpanded {
            // What hornbeam does not expand is reported, and blocks.
            assert!(
                !sam.gaps.is_empty(),
                "{}: expected a construct reported as not expanded",
                src.display()
            );
            let lines = gate(src);
            assert!(
                lines
                    .iter()
                    .any(|l| l.starts_with("check-no-public-access B POLICY_NOT_CHECKED")),
                "{}: {lines:?}",
                src.display()
            );
            continue;
        }
        assert!(
            sam.gaps.is_empty(),
            "{}: unexpected gaps {:?}",
            src.display(),
            sam.gaps
        );
        let (sp, spr) = summary(&sam);
        let (cp, cpr) = summary(&cfn);
        for (k, v) in &cp {
            assert_eq!(
                sp.get(k),
                Some(v),
                "{}: policy `{k}` differs from the translation",
                src.display()
            );
        }
        assert_eq!(
            sp.keys().collect::<Vec<_>>(),
            cp.keys().collect::<Vec<_>>(),
            "{}: policies",
            src.display()
        );
        assert_eq!(spr, cpr, "{}: principals", src.display());
        assert_eq!(gate(src), gate(dst), "{}: gate answers", src.display());
        same += 1;
    }
    let unexpanded = pairs.len() - same;
    eprintln!(
        "{same} SAM test templates expand as aws-sam-translator {} translates them; {unexpanded} report what is not expanded as not checked",
        "1.115.0"
    );
}
