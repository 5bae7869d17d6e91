//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::PathBuf;

use hornbeam::eval::{Context, Request};
use serde_json::Value;

pub fn repo_path(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// The shared conformance folder, `../shared/conformance/` next to the checkout.
pub fn conformance_dir() -> PathBuf {
    repo_path("../shared/conformance")
}

/// The rules of DESIGN.md §2 the test tables must each cover.
pub const RULES: &[&str] = &[
    "decision",
    "action",
    "resource",
    "principal",
    "condition block",
    "string",
    "numeric",
    "date",
    "bool",
    "binary",
    "ip",
    "arn",
    "null",
    "missing key",
    "set",
    "variables",
];

/// Compares output with a golden file; `UPDATE_GOLDEN=1` rewrites it.
pub fn golden(rel: &str, actual: &str) {
    let path = repo_path(rel);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, actual).unwrap();
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|_| panic!("missing golden file {rel}; run with UPDATE_GOLDEN=1"));
    assert_eq!(actual, expected, "output differs from {rel}");
}

/// One run of the `hornbeam` binary.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Runs the binary from the repository root, optionally feeding standard input.
pub fn hornbeam_with_stdin(bin: &str, args: &[&str], stdin: Option<&str>) -> Run {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut child = Command::new(bin)
        .args(args)
        .current_dir(repo_path(""))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn hornbeam");
    if let (Some(input), Some(mut pipe)) = (stdin, child.stdin.take()) {
        pipe.write_all(input.as_bytes()).unwrap();
    }
    let out = child.wait_with_output().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Reads the evaluator table.
pub fn eval_cases() -> Vec<Value> {
    let text = std::fs::read_to_string(repo_path("tests/data/eval_cases.json"))
        .expect("tests/data/eval_cases.json");
    serde_json::from_str(&text).expect("eval_cases.json is JSON")
}

/// Builds a request from `{"principal","action","resource","context"}`.
pub fn request_from_json(v: &Value) -> Request {
    let mut context = Context::default();
    if let Some(ctx) = v.get("context").and_then(Value::as_object) {
        for (k, val) in ctx {
            let values: Vec<String> = match val {
                Value::Array(items) => items
                    .iter()
                    .map(|i| i.as_str().expect("string context values").to_string())
                    .collect(),
                Value::String(s) => vec![s.clone()],
                other => vec![other.to_string()],
            };
            context.add(k, values);
        }
    }
    let mut r = Request {
        principal: v
            .get("principal")
            .and_then(Value::as_str)
            .map(|p| p.parse().expect("test principal")),
        action: v["action"].as_str().expect("action").to_string(),
        resource: v["resource"].as_str().expect("resource").to_string(),
        context,
    };
    r.link_principal_keys().expect("consistent test request");
    r
}

use hornbeam::checks::Access;
use hornbeam::checks::{self, Encoding, Options, Outcome};
use hornbeam::policy::{self, Policy, PolicyType};

/// Runs one check case (`{"check", "request": <AWS request body>}`) in-process.
pub fn run_check(case: &Value, encoding: Encoding, timeout_ms: u32) -> (Outcome, Vec<Policy>) {
    let opts = Options {
        encoding,
        timeout_ms,
        ..Options::default()
    };
    run_check_with(case, &opts)
}

/// Runs one check case with the given options.
pub fn run_check_with(case: &Value, opts: &Options) -> (Outcome, Vec<Policy>) {
    let req = &case["request"];
    let doc = |k: &str, t: PolicyType| {
        policy::parse(req[k].as_str().expect("policy document string"), t)
            .unwrap_or_else(|e| panic!("{}: {k}: {e}", case["name"]))
    };
    match case["check"].as_str().unwrap() {
        "check-no-new-access" => {
            let t: PolicyType = req["policyType"].as_str().unwrap().parse().unwrap();
            let (new, existing) = (
                doc("newPolicyDocument", t),
                doc("existingPolicyDocument", t),
            );
            let r = hornbeam::run(
                &hornbeam::Check::NoNewAccess {
                    new: &new,
                    existing: &existing,
                },
                opts,
            )
            .expect("no internal error");
            (r, vec![new, existing])
        }
        "check-access-not-granted" => {
            let t: PolicyType = req["policyType"].as_str().unwrap().parse().unwrap();
            let p = doc("policyDocument", t);
            let access: Vec<Access> = req["access"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| Access {
                    actions: strings(&a["actions"]),
                    resources: strings(&a["resources"]),
                })
                .collect();
            let r = hornbeam::run(
                &hornbeam::Check::AccessNotGranted {
                    policy: &p,
                    access: &access,
                },
                opts,
            )
            .expect("no internal error");
            (r, vec![p])
        }
        "check-no-public-access" => {
            let p = doc("policyDocument", PolicyType::Resource);
            let r = hornbeam::run(
                &hornbeam::Check::NoPublicAccess {
                    policy: &p,
                    resource_type: req["resourceType"].as_str().unwrap(),
                },
                opts,
            )
            .expect("no internal error");
            (r, vec![p])
        }
        other => panic!("unknown check {other}"),
    }
}

/// The strings of a JSON array (empty when absent).
pub fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

/// The verdict as AWS writes it, with inconclusive results kept apart.
pub fn verdict(r: &Outcome) -> &'static str {
    match (r.verdict(), r.inconclusive()) {
        (checks::Verdict::Pass, _) => "PASS",
        (_, Some(_)) => "INCONCLUSIVE",
        _ => "FAIL",
    }
}

/// Runs `f` over `items` on `threads` worker threads (each has its own Z3 context),
/// returning results in input order.
pub fn parallel<T: Sync, R: Send>(
    items: &[T],
    threads: usize,
    f: impl Fn(&T) -> R + Sync,
) -> Vec<R> {
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results: Vec<std::sync::Mutex<Option<R>>> =
        items.iter().map(|_| std::sync::Mutex::new(None)).collect();
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    if i >= items.len() {
                        break;
                    }
                    let r = f(&items[i]);
                    *results[i].lock().unwrap() = Some(r);
                }
            });
        }
    });
    results
        .into_iter()
        .map(|m| m.into_inner().unwrap().expect("every item ran"))
        .collect()
}

/// A template written to a fresh temporary folder named after `tag`: (the folder, the
/// file's path as shown in findings).
pub fn template_file(tag: &str, text: &str) -> (PathBuf, String) {
    let dir = std::env::temp_dir().join(format!("hornbeam-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("template.yaml");
    std::fs::write(&path, text).unwrap();
    let shown = path.display().to_string();
    (dir, shown)
}

/// A run's stdout as JSON.
pub fn stdout_json(r: &Run) -> Value {
    serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{e}: {}", r.stdout))
}

/// `check-access-not-granted` of `action` against a whole context: the verdict (never
/// inconclusive here) and its counterexample, which must replay in the evaluator.
pub fn context_grants(
    set: &hornbeam::context::PolicySet,
    action: &str,
) -> (checks::Verdict, Option<Request>) {
    let access = [Access {
        actions: vec![action.into()],
        resources: Vec::new(),
    }];
    let c = set.combined();
    let r = hornbeam::run(
        &hornbeam::Check::AccessNotGrantedContext {
            context: &c,
            access: &access,
        },
        &Options::default(),
    )
    .expect("a check");
    assert_eq!(r.inconclusive(), None);
    if let Some(cx) = r.counterexample() {
        assert!(c.allows(cx), "the counterexample replays: {cx:?}");
    }
    (r.verdict(), r.counterexample().cloned())
}

/// The resource type a corpus policy is for, by the service of its actions.
pub fn resource_type_of(policy: &str) -> &'static str {
    for (service, t) in [
        ("\"sts:", "AWS::IAM::AssumeRolePolicyDocument"),
        ("\"kms:", "AWS::KMS::Key"),
        ("\"sqs:", "AWS::SQS::Queue"),
        ("\"sns:", "AWS::SNS::Topic"),
        ("\"secretsmanager:", "AWS::SecretsManager::Secret"),
        ("\"lambda:", "AWS::Lambda::Function"),
        ("\"ecr:", "AWS::ECR::Repository"),
    ] {
        if policy.contains(service) {
            return t;
        }
    }
    "AWS::S3::Bucket"
}

/// Every resource policy document of the corpus's RESOURCE_POLICY cases (deduplicated).
pub fn corpus_resource_policies(corpus: &[Value]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for c in corpus {
        let r = &c["request"];
        if r["policyType"] != "RESOURCE_POLICY" {
            continue;
        }
        for field in ["newPolicyDocument", "existingPolicyDocument"] {
            if let Some(t) = r[field].as_str()
                && !out.iter().any(|o| o == t)
            {
                out.push(t.to_string());
            }
        }
    }
    out
}
