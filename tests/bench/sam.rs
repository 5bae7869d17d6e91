//! SAM expansion (issue 29), `--sam-only`: a generated 50-function SAM application (each
//! function with policy templates, an inline policy, API, queue and bucket events, and a
//! public URL on every tenth), read and checked from its SAM source and from AWS's
//! translation of it (aws-sam-translator, when the clients venv of .ci/run exists). The
//! difference is what expanding SAM costs.

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use hornbeam::template::{Settings, extract};

/// A SAM application of `n` functions.
pub fn application(n: usize) -> String {
    let mut t = String::from(
        "AWSTemplateFormatVersion: '2010-09-09'\nTransform: AWS::Serverless-2016-10-31\nGlobals:\n  Function:\n    Runtime: python3.12\n    Handler: app.handler\n    CodeUri: src/\n    Tracing: Active\nResources:\n  Table:\n    Type: AWS::DynamoDB::Table\n    Properties:\n      AttributeDefinitions: [{AttributeName: id, AttributeType: S}]\n      KeySchema: [{AttributeName: id, KeyType: HASH}]\n      BillingMode: PAY_PER_REQUEST\n  Uploads:\n    Type: AWS::S3::Bucket\n",
    );
    for i in 0..n {
        let _ = write!(
            t,
            "  Queue{i}:\n    Type: AWS::SQS::Queue\n  Fn{i}:\n    Type: AWS::Serverless::Function\n    Properties:\n      Policies:\n        - DynamoDBCrudPolicy: {{TableName: !Ref Table}}\n        - S3ReadPolicy: {{BucketName: !Ref Uploads}}\n        - SQSSendMessagePolicy: {{QueueName: !GetAtt Queue{i}.QueueName}}\n        - Statement:\n            - Effect: Allow\n              Action: ssm:GetParameter\n              Resource: !Sub arn:${{AWS::Partition}}:ssm:${{AWS::Region}}:${{AWS::AccountId}}:parameter/app/{i}/*\n      Events:\n        Get:\n          Type: Api\n          Properties: {{Path: '/items{i}/{{id}}', Method: get}}\n        Work:\n          Type: SQS\n          Properties: {{Queue: !GetAtt Queue{i}.Arn}}\n"
        );
        if i % 10 == 0 {
            t.push_str("      FunctionUrlConfig: {AuthType: NONE}\n");
        }
    }
    t
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn time_extract(text: &str, runs: usize) -> (Duration, usize) {
    let settings = Settings::default();
    let mut times = Vec::with_capacity(runs);
    let mut policies = 0;
    for _ in 0..runs {
        let start = Instant::now();
        let x = extract(text, &settings).expect("the generated template reads");
        times.push(start.elapsed());
        policies = x.policies.len();
    }
    (median(times), policies)
}

fn time_check(bin: &Path, file: &Path, runs: usize) -> (Duration, Option<i32>) {
    let mut times = Vec::with_capacity(runs);
    let mut code = None;
    for _ in 0..runs {
        let start = Instant::now();
        let out = Command::new(bin)
            .args(["check-no-public-access", "--template-path"])
            .arg(file)
            .output()
            .expect("hornbeam runs");
        times.push(start.elapsed());
        code = out.status.code();
    }
    (median(times), code)
}

pub fn bench(bin: &Path, dir: &Path) {
    let n = 50;
    let text = application(n);
    let sam = dir.join("sam-50.yaml");
    std::fs::write(&sam, &text).unwrap();
    println!(
        "\nSAM expansion: {n} functions, {} bytes of SAM",
        text.len()
    );
    let (t, policies) = time_extract(&text, 21);
    println!(
        "  read SAM source (expand + resolve + render), median of 21: {t:?}, {policies} policies"
    );
    let (c, code) = time_check(bin, &sam, 5);
    println!("  check-no-public-access on the SAM source, median of 5: {c:?} (exit {code:?})");
    let venv = std::env::var_os("HORNBEAM_CLIENTS_VENV")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target/clients-venv"));
    let python = venv.join("bin/python");
    if !python.exists() {
        println!(
            "  (no aws-sam-translator at {}: translation not compared)",
            venv.display()
        );
        return;
    }
    let translated = dir.join("sam-50.json");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sam/translate.py");
    let ok = Command::new(&python)
        .arg(&script)
        .arg(&sam)
        .arg(&translated)
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        println!("  the translator refused the generated template");
        return;
    }
    let cfn = std::fs::read_to_string(&translated).unwrap();
    let (tt, tpolicies) = time_extract(&cfn, 21);
    println!(
        "  read the translation ({} bytes), median of 21: {tt:?}, {tpolicies} policies",
        cfn.len()
    );
    let (tc, tcode) = time_check(bin, &translated, 5);
    println!("  check-no-public-access on the translation, median of 5: {tc:?} (exit {tcode:?})");
    let ms = |a: Duration, b: Duration| (a.as_secs_f64() - b.as_secs_f64()) * 1000.0;
    println!(
        "  SAM source minus translation: {:+.2} ms reading, {:+.2} ms the whole check (the expansion's cost; negative: reading the smaller SAM text is faster than reading the expanded one)",
        ms(t, tt),
        ms(c, tc)
    );
}
