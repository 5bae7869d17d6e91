//! The real AWS clients against `hornbeam serve`: the AWS CLI v1, boto3,
//! cfn-policy-validator and tf-policy-validator, pinned in tests/serve/requirements.txt
//! and installed by .ci/run into `target/clients-venv` (or `HORNBEAM_CLIENTS_VENV`).
//! Each test asserts the client's exit code and its parsed answer. tf-policy-validator
//! brings its own test plans with AWS's recorded answers; its own test suite runs
//! against the server unchanged.
//!
//! Without the clients the tests say so and pass, except in CI (`CI=true`), where the
//! clients are required.

#[path = "serve/harness.rs"]
mod harness;

use std::path::{Path, PathBuf};
use std::process::Command;

use harness::Server;
use serde_json::Value;

/// The clients' virtual environment; these tests are `#[ignore]`d, so asking for them
/// without it is an error that says how to make it.
fn venv() -> PathBuf {
    let dir = std::env::var_os("HORNBEAM_CLIENTS_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target/clients-venv"));
    assert!(
        dir.join("bin/aws").exists(),
        "the AWS clients are not installed at {0}; create them with: python3 -m venv {0} && {0}/bin/pip install -r tests/serve/requirements.txt",
        dir.display()
    );
    dir
}

/// The installed package directory of a Python module in the venv.
fn site_package(venv: &Path, module: &str) -> PathBuf {
    let lib = venv.join("lib");
    std::fs::read_dir(&lib)
        .expect("venv lib")
        .filter_map(|e| e.ok())
        .map(|e| e.path().join("site-packages").join(module))
        .find(|p| p.exists())
        .unwrap_or_else(|| panic!("{module} is not installed in {}", venv.display()))
}

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Run {
    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("{e}: stdout {} stderr {}", self.stdout, self.stderr))
    }
}

/// Runs a client with dummy credentials, no profile, and `env` (endpoints).
fn run(program: &Path, args: &[&str], env: &[(&str, &str)], cwd: Option<&Path>) -> Run {
    let mut c = Command::new(program);
    c.args(args)
        .env("AWS_ACCESS_KEY_ID", "AKIDLOCAL")
        .env("AWS_SECRET_ACCESS_KEY", "local")
        .env("AWS_DEFAULT_REGION", "us-east-1")
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_ENDPOINT_URL")
        .env_remove("AWS_ENDPOINT_URL_ACCESSANALYZER")
        .env_remove("AWS_ENDPOINT_URL_STS");
    for (k, v) in env {
        c.env(k, v);
    }
    if let Some(dir) = cwd {
        c.current_dir(dir);
    }
    let out = c
        .output()
        .unwrap_or_else(|e| panic!("{}: {e}", program.display()));
    Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn doc(statements: &str) -> String {
    format!(r#"{{"Version":"2012-10-17","Statement":[{statements}]}}"#)
}

const READ: &str = r#"{"Sid":"Read","Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::reports/*"}"#;
const ADMIN: &str = r#"{"Effect":"Allow","Action":"*","Resource":"*"}"#;
const PUBLIC: &str = r#"{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::reports/*"}"#;
const ACCOUNT: &str = r#"{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::reports/*"}"#;

#[test]
#[ignore = "needs the pinned AWS clients: python3 -m venv target/clients-venv && target/clients-venv/bin/pip install -r tests/serve/requirements.txt, then cargo test --test serve_clients -- --ignored (.ci/run does both)"]
fn aws_cli() {
    let venv = venv();
    let s = Server::start(&[]);
    let url = s.url();
    let aws = venv.join("bin/aws");
    let aa = |args: &[&str]| {
        let mut all = vec!["accessanalyzer"];
        all.extend_from_slice(args);
        all.extend_from_slice(&["--endpoint-url", &url]);
        run(&aws, &all, &[], None)
    };
    let (read, admin, public, account) = (doc(READ), doc(ADMIN), doc(PUBLIC), doc(ACCOUNT));
    let nna = |new: &str, existing: &str| -> Vec<String> {
        [
            "check-no-new-access",
            "--policy-type",
            "IDENTITY_POLICY",
            "--new-policy-document",
            new,
            "--existing-policy-document",
            existing,
        ]
        .map(String::from)
        .to_vec()
    };
    let anga = |actions: &str| -> Vec<String> {
        let access = format!(r#"[{{"actions":["{actions}"]}}]"#);
        [
            "check-access-not-granted",
            "--policy-type",
            "IDENTITY_POLICY",
            "--policy-document",
            &read,
            "--access",
            &access,
        ]
        .map(String::from)
        .to_vec()
    };
    let npa = |policy: &str| -> Vec<String> {
        [
            "check-no-public-access",
            "--resource-type",
            "AWS::S3::Bucket",
            "--policy-document",
            policy,
        ]
        .map(String::from)
        .to_vec()
    };
    for (args, expected) in [
        (nna(&admin, &read), "FAIL"),
        (nna(&read, &admin), "PASS"),
        (anga("s3:GetObject"), "FAIL"),
        (anga("s3:PutObject"), "PASS"),
        (npa(&public), "FAIL"),
        (npa(&account), "PASS"),
    ] {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let r = aa(&args);
        assert_eq!(r.code, Some(0), "{}", r.stderr);
        assert_eq!(r.json()["result"], expected, "{}", args[0]);
    }
    let r = aa(&[
        "validate-policy",
        "--policy-type",
        "IDENTITY_POLICY",
        "--policy-document",
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Alow","Action":"s3:*","Resource":"*"}}"#,
    ]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert_eq!(r.json()["findings"][0]["issueCode"], "INVALID_EFFECT");
    // iam:PassRole on every resource: the CLI follows nextToken page by page.
    let r = aa(&[
        "validate-policy",
        "--policy-type",
        "IDENTITY_POLICY",
        "--page-size",
        "1",
        "--policy-document",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:PassRole","Resource":"*"},{"Effect":"Allow","Action":"*","Resource":"*"}]}"#,
    ]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let codes: Vec<String> = r.json()["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|f| f["issueCode"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(
        codes,
        [
            "PASS_ROLE_WITH_STAR_IN_RESOURCE",
            "PASS_ROLE_WITH_STAR_IN_ACTION_AND_RESOURCE",
            "CREATE_SLR_WITH_STAR_IN_ACTION_AND_RESOURCE"
        ]
    );
    assert_eq!(r.json()["findings"][0]["findingType"], "SECURITY_WARNING");
    // Bad input: the CLI's error line and exit code 255.
    let r = aa(&[
        "check-access-not-granted",
        "--policy-type",
        "IDENTITY_POLICY",
        "--policy-document",
        &read,
        "--access",
        r#"[{"resources":["example"]}]"#,
    ]);
    assert_eq!(r.code, Some(255));
    assert!(
        r.stderr.contains(
            "An error occurred (ValidationException) when calling the CheckAccessNotGranted operation: "
        ),
        "{}",
        r.stderr
    );
    // The per-service variable, and STS through the all-services one.
    let r = run(
        &aws,
        &[
            "accessanalyzer",
            "check-no-public-access",
            "--resource-type",
            "AWS::SQS::Queue",
            "--policy-document",
            &public,
        ],
        &[("AWS_ENDPOINT_URL_ACCESSANALYZER", &url)],
        None,
    );
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let r = run(
        &aws,
        &["sts", "get-caller-identity"],
        &[("AWS_ENDPOINT_URL", &url)],
        None,
    );
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert_eq!(r.json()["Account"], "111122223333");
}

#[test]
#[ignore = "needs the pinned AWS clients: python3 -m venv target/clients-venv && target/clients-venv/bin/pip install -r tests/serve/requirements.txt, then cargo test --test serve_clients -- --ignored (.ci/run does both)"]
fn boto3() {
    let venv = venv();
    let plain = Server::start(&[]);
    let dir = std::env::temp_dir().join(format!("hornbeam-boto3-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let secret = "boto3-test-secret/with+signs";
    let file = dir.join("credentials");
    std::fs::write(&file, format!("AKIDTEST {secret}\n")).unwrap();
    let signed = Server::start(&["--credentials", file.to_str().unwrap()]);
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/serve/boto3_client.py");
    let r = run(
        &venv.join("bin/python"),
        &[script.to_str().unwrap()],
        &[
            ("HORNBEAM_URL", &plain.url()),
            ("HORNBEAM_SIGNED_URL", &signed.url()),
            ("HORNBEAM_SECRET", secret),
        ],
        None,
    );
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(r.code, Some(0), "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("every call answered as expected"));
}

/// awslabs' own integration tests for tf-policy-validator compare its reports with
/// answers recorded from AWS; pointed at hornbeam, every one must still hold.
#[test]
#[ignore = "needs the pinned AWS clients: python3 -m venv target/clients-venv && target/clients-venv/bin/pip install -r tests/serve/requirements.txt, then cargo test --test serve_clients -- --ignored (.ci/run does both)"]
fn tf_policy_validator_own_suite() {
    let venv = venv();
    let s = Server::start(&[]);
    let package = site_package(&venv, "iam_check");
    let r = run(
        &venv.join("bin/python"),
        &[
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "test/test_accessAnalyzer.py",
        ],
        &[("AWS_ENDPOINT_URL", &s.url())],
        Some(&package),
    );
    assert_eq!(r.code, Some(0), "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("8 passed"), "{}", r.stdout);
}

#[test]
#[ignore = "needs the pinned AWS clients: python3 -m venv target/clients-venv && target/clients-venv/bin/pip install -r tests/serve/requirements.txt, then cargo test --test serve_clients -- --ignored (.ci/run does both)"]
fn tf_policy_validator_commands() {
    let venv = venv();
    let s = Server::start(&[]);
    let url = s.url();
    let package = site_package(&venv, "iam_check");
    let config = package.join("config/default.yaml");
    let tf = venv.join("bin/tf-policy-validator");
    let plan = |dir: &str| package.join("test").join(dir).join("test_plan.json");
    let common = |cmd: &'static str, dir: &str| -> Vec<String> {
        vec![
            cmd.to_string(),
            "--template-path".into(),
            plan(dir).display().to_string(),
            "--region".into(),
            "us-west-2".into(),
            "--config".into(),
            config.display().to_string(),
        ]
    };
    let tf_run = |args: Vec<String>| {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        run(&tf, &args, &[("AWS_ENDPOINT_URL", &url)], None)
    };
    // Public access: the same blocking findings as AWS's recorded answer.
    let r = tf_run(common("check-no-public-access", "public_access"));
    assert_eq!(r.code, Some(2), "{}", r.stderr);
    let recorded: Value = serde_json::from_str(
        &std::fs::read_to_string(package.join("test/public_access/public_access_findings.json"))
            .unwrap(),
    )
    .unwrap();
    assert_eq!(r.json()["BlockingFindings"], recorded["BlockingFindings"]);
    // No new access against the recorded reference policy.
    let mut args = common("check-no-new-access", "identity_policies");
    args.extend([
        "--reference-policy".into(),
        package
            .join("test/identity_policies/identity_reference_policy.json")
            .display()
            .to_string(),
        "--reference-policy-type".into(),
        "identity".into(),
    ]);
    let r = tf_run(args);
    assert_eq!(r.code, Some(2), "{}", r.stderr);
    assert!(!r.json()["BlockingFindings"].as_array().unwrap().is_empty());
    // Access not granted: a PASS for every policy exits 0.
    let mut args = common("check-access-not-granted", "no_access_granted");
    args.extend([
        "--actions".into(),
        "s3:PutObject".into(),
        "--resources".into(),
        "arn:aws:s3:::example".into(),
    ]);
    let r = tf_run(args);
    assert_eq!(r.code, Some(0), "{}{}", r.stdout, r.stderr);
    assert_eq!(r.json()["BlockingFindings"], Value::Array(Vec::new()));
    // Validate: ValidatePolicy only, pretty-printed documents with bare statements.
    let r = tf_run(common("validate", "iam_policy"));
    assert_eq!(r.code, Some(0), "{}{}", r.stdout, r.stderr);
    // Validate: iam:PassRole on every resource is a blocking security warning.
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/serve/pass-role-plan.json");
    let mut args = common("validate", "iam_policy");
    args[2] = fixture.display().to_string();
    let r = tf_run(args);
    assert_eq!(r.code, Some(2), "{}{}", r.stdout, r.stderr);
    let blocking = &r.json()["BlockingFindings"];
    assert_eq!(
        blocking[0]["code"], "PASS_ROLE_WITH_STAR_IN_RESOURCE",
        "{}",
        r.stdout
    );
    assert_eq!(
        blocking[0]["findingType"], "SECURITY_WARNING",
        "{}",
        r.stdout
    );
}

/// A cfn-policy-validator run: command, flags, exit code, the blocking findings as
/// (policy name, code).
type CfnCase = (
    &'static str,
    Vec<String>,
    i32,
    Vec<(&'static str, &'static str)>,
);

#[test]
#[ignore = "needs the pinned AWS clients: python3 -m venv target/clients-venv && target/clients-venv/bin/pip install -r tests/serve/requirements.txt, then cargo test --test serve_clients -- --ignored (.ci/run does both)"]
fn cfn_policy_validator() {
    let venv = venv();
    let s = Server::start(&[]);
    let url = s.url();
    let cfn = venv.join("bin/cfn-policy-validator");
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/serve");
    let template = fixtures.join("stack.yaml");
    let cfn_run = |cmd: &str, extra: &[&str]| {
        let mut args = vec![
            cmd,
            "--template-path",
            template.to_str().unwrap(),
            "--region",
            "us-east-1",
        ];
        args.extend_from_slice(extra);
        run(&cfn, &args, &[("AWS_ENDPOINT_URL", &url)], None)
    };
    let names = |r: &Run| -> Vec<(String, String)> {
        r.json()["BlockingFindings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f["policyName"].as_str().unwrap_or_default().to_string(),
                    f["code"].as_str().unwrap_or_default().to_string(),
                )
            })
            .collect()
    };
    // The inline policy writes; the AWS managed AmazonS3ReadOnlyAccess (fetched through
    // IAM GetPolicy/GetPolicyVersion) only reads. (command, flags, exit code, the
    // blocking findings as (policy, code)).
    let read_ref = fixtures
        .join("reference-s3-read.json")
        .display()
        .to_string();
    let all_ref = fixtures.join("reference-s3-all.json").display().to_string();
    let reference = |file: &str| -> Vec<String> {
        [
            "--reference-policy",
            file,
            "--reference-policy-type",
            "identity",
        ]
        .map(String::from)
        .to_vec()
    };
    let actions = |a: &str| vec!["--actions".to_string(), a.to_string()];
    let cases: Vec<CfnCase> = vec![
        (
            "check-no-new-access",
            reference(&read_ref),
            2,
            vec![("write-reports", "policy-analysis-CheckNoNewAccess")],
        ),
        ("check-no-new-access", reference(&all_ref), 0, vec![]),
        (
            "check-access-not-granted",
            actions("s3:PutObject"),
            2,
            vec![("write-reports", "policy-analysis-CheckAccessNotGranted")],
        ),
        (
            "check-access-not-granted",
            actions("iam:PassRole"),
            0,
            vec![],
        ),
        (
            "check-no-public-access",
            vec![],
            2,
            vec![("BucketPolicy", "policy-analysis-CheckNoPublicAccess")],
        ),
    ];
    for (command, flags, code, findings) in cases {
        let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
        let r = cfn_run(command, &flags);
        assert_eq!(
            r.code,
            Some(code),
            "{command} {flags:?}: {}{}",
            r.stdout,
            r.stderr
        );
        let expected: Vec<(String, String)> = findings
            .iter()
            .map(|(p, c)| (p.to_string(), c.to_string()))
            .collect();
        assert_eq!(names(&r), expected, "{command} {flags:?}");
    }
    // `validate` end to end offline (issue 28): ValidatePolicy for every policy, then an
    // access preview for every role and resource, analysed for external access with
    // STS's account as the zone of trust. The public bucket prefix blocks; the Lambda
    // role's service principal is inside the account.
    let r = cfn_run("validate", &[]);
    assert_eq!(r.code, Some(2), "{}{}", r.stdout, r.stderr);
    assert_eq!(
        names(&r),
        [("BucketPolicy".to_string(), "EXTERNAL_PRINCIPAL".to_string())]
    );
    let details = &r.json()["BlockingFindings"][0]["details"];
    assert_eq!(details["isPublic"], true, "{details}");
    assert_eq!(details["status"], "ACTIVE", "{details}");
    // A role, a key and a queue shared with a partner account; a secret kept inside.
    let shared = fixtures.join("shared.yaml");
    let validate_shared = |extra: &[&str]| {
        let mut args = vec![
            "validate",
            "--template-path",
            shared.to_str().unwrap(),
            "--region",
            "us-east-1",
        ];
        args.extend_from_slice(extra);
        run(&cfn, &args, &[("AWS_ENDPOINT_URL", &url)], None)
    };
    let r = validate_shared(&[]);
    assert_eq!(r.code, Some(2), "{}{}", r.stdout, r.stderr);
    // cfn-policy-validator's order of resources varies from run to run: compare sorted.
    let mut found: Vec<(String, String, Value)> = r.json()["BlockingFindings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["resourceName"].as_str().unwrap_or_default().to_string(),
                f["code"].as_str().unwrap_or_default().to_string(),
                f["details"]["principal"].clone(),
            )
        })
        .collect();
    found.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        found,
        [
            (
                "Orders".to_string(),
                "EXTERNAL_PRINCIPAL".to_string(),
                serde_json::json!({"AWS": "arn:aws:iam::444455556666:role/producer"})
            ),
            (
                "SharedKey".to_string(),
                "EXTERNAL_PRINCIPAL".to_string(),
                serde_json::json!({"AWS": "444455556666"})
            ),
            (
                "partner-reader".to_string(),
                "EXTERNAL_PRINCIPAL".to_string(),
                serde_json::json!({"AWS": "444455556666"})
            ),
        ],
        "{}",
        r.stdout
    );
    // The partner allowed: nothing blocks.
    let r = validate_shared(&["--allow-external-principals", "444455556666"]);
    assert_eq!(r.code, Some(0), "{}{}", r.stdout, r.stderr);
}
