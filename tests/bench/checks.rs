//! `cargo bench --bench checks`: wall-clock time of whole `hornbeam` processes (start-up,
//! parsing, encoding, solving, replay, output) over the shared conformance corpus and
//! over generated pairs of ~1,000-pattern policies, for both encodings.
//!
//! Options (after `--`): `--encoding finite|strings|both` (default both),
//! `--timeout-ms N` (default 60000), `--skip-corpus`, `--skip-large`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

struct Stats {
    times: Vec<Duration>,
    outcomes: Vec<i32>,
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
        format!(
            "{what:<44} n={:<4} median {:>8.1} ms  p90 {:>8.1} ms  worst {:>9.1} ms  inconclusive {inconclusive}",
            t.len(),
            ms(median),
            ms(p90),
            ms(worst)
        )
    }
}

fn run(
    bin: &Path,
    check: &str,
    request: &Path,
    encoding: &str,
    timeout_ms: u32,
) -> (Duration, i32) {
    let start = Instant::now();
    let out = Command::new(bin)
        .arg(check)
        .arg("--cli-input-json")
        .arg(format!("file://{}", request.display()))
        .args([
            "--encoding",
            encoding,
            "--timeout-ms",
            &timeout_ms.to_string(),
        ])
        .output()
        .expect("run hornbeam");
    (start.elapsed(), out.status.code().unwrap_or(-1))
}

const SERVICES: &[&str] = &[
    "acm",
    "apigateway",
    "appsync",
    "athena",
    "autoscaling",
    "backup",
    "batch",
    "cloudformation",
    "cloudfront",
    "cloudtrail",
    "cloudwatch",
    "codebuild",
    "codecommit",
    "codedeploy",
    "codepipeline",
    "cognito-idp",
    "config",
    "dynamodb",
    "ec2",
    "ecr",
    "ecs",
    "eks",
    "elasticache",
    "elasticbeanstalk",
    "elasticloadbalancing",
    "elasticmapreduce",
    "es",
    "events",
    "firehose",
    "glue",
    "guardduty",
    "iam",
    "inspector",
    "iot",
    "kafka",
    "kinesis",
    "kms",
    "lambda",
    "logs",
    "organizations",
    "rds",
    "redshift",
    "route53",
    "s3",
    "sagemaker",
    "secretsmanager",
    "securityhub",
    "ses",
    "sns",
    "sqs",
    "ssm",
    "states",
    "sts",
    "waf",
    "xray",
];

const VERBS: &[&str] = &[
    "Get", "List", "Describe", "BatchGet", "Search", "Lookup", "Query", "Scan", "Check", "View",
    "Export", "Preview", "Estimate", "Validate", "Test", "Select", "Read", "Show",
];

const NOUNS: &[&str] = &[
    "Object", "Bucket", "Policy", "Role", "User", "Group", "Instance", "Volume", "Snapshot",
    "Table", "Stream", "Function", "Key", "Secret", "Topic", "Queue", "Trail", "Stack", "Cluster",
    "Service",
];

/// A ReadOnlyAccess-like policy of ~1,000 `svc:Verb*` patterns; ~1,000 literal
/// `svc:VerbNoun` actions it covers; the same literals plus one write action it does not.
fn large_policies() -> (Value, Value, Value) {
    let mut wildcards = Vec::new();
    let mut literals = Vec::new();
    for (i, svc) in SERVICES.iter().enumerate() {
        for (j, verb) in VERBS.iter().enumerate() {
            wildcards.push(format!("{svc}:{verb}*"));
            if (i + j) % 3 != 0 {
                literals.push(format!("{svc}:{verb}{}", NOUNS[(i * 7 + j) % NOUNS.len()]));
            }
        }
    }
    let mut with_write = literals.clone();
    with_write.push("s3:PutBucketPolicy".to_string());
    let policy = |actions: &[String]| json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}]});
    (policy(&wildcards), policy(&literals), policy(&with_write))
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let flag = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
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

    if !args.iter().any(|a| a == "--skip-corpus") {
        let corpus = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../shared/conformance/aws-samples.json");
        match std::fs::read_to_string(&corpus) {
            Err(_) => println!("corpus not found at {}; skipped", corpus.display()),
            Ok(text) => {
                let cases: Vec<Value> = serde_json::from_str(&text).unwrap();
                let mut files = Vec::new();
                for (i, c) in cases.iter().enumerate() {
                    let f = dir.join(format!("case{i}.json"));
                    std::fs::write(&f, c["request"].to_string()).unwrap();
                    files.push((c["check"].as_str().unwrap().to_string(), f));
                }
                for enc in &encodings {
                    let mut stats = Stats {
                        times: Vec::new(),
                        outcomes: Vec::new(),
                    };
                    for (check, f) in &files {
                        let (t, code) = run(&bin, check, f, enc, timeout_ms);
                        stats.times.push(t);
                        stats.outcomes.push(code);
                    }
                    println!(
                        "{}",
                        stats.line(&format!("corpus ({} cases), {enc}", files.len()))
                    );
                }
            }
        }
    }

    if !args.iter().any(|a| a == "--skip-large") {
        let (wild, lit, lit_write) = large_policies();
        let count = |p: &Value| p["Statement"][0]["Action"].as_array().map_or(0, Vec::len);
        let pairs = [
            ("literals vs wildcards, PASS", &lit, &wild),
            ("literals+write vs wildcards, FAIL", &lit_write, &wild),
            ("wildcards vs literals, FAIL", &wild, &lit),
        ];
        for (name, new, existing) in pairs {
            let f = dir.join(format!("{}.json", name.replace([' ', ',', '+'], "-")));
            let body = json!({"newPolicyDocument": new.to_string(), "existingPolicyDocument": existing.to_string(), "policyType": "IDENTITY_POLICY"});
            std::fs::write(&f, body.to_string()).unwrap();
            for enc in &encodings {
                let mut stats = Stats {
                    times: Vec::new(),
                    outcomes: Vec::new(),
                };
                let runs = if enc == "finite" { 5 } else { 1 };
                for _ in 0..runs {
                    let (t, code) = run(&bin, "check-no-new-access", &f, enc, timeout_ms);
                    stats.times.push(t);
                    stats.outcomes.push(code);
                }
                let what = format!(
                    "{name} ({} vs {} patterns), {enc}",
                    count(new),
                    count(existing)
                );
                println!("{}  exit {:?}", stats.line(&what), stats.outcomes.first());
            }
        }
    }
    std::fs::remove_dir_all(&dir).ok();
}
