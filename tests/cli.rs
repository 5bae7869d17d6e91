//! The command line: exit codes, located errors, document sources and output shape.

mod common;

use common::Run;

fn hornbeam(args: &[&str], stdin: Option<&str>) -> Run {
    common::hornbeam_with_stdin(env!("CARGO_BIN_EXE_hornbeam"), args, stdin)
}

const HOME: &str = "file://reference-policies/s3-home-folder/policy.json";

fn simulate_home(extra: &[&str]) -> Run {
    let mut args = vec![
        "simulate",
        "--policy-document",
        HOME,
        "--policy-type",
        "IDENTITY_POLICY",
        "--action",
        "s3:GetObject",
        "--resource",
        "arn:aws:s3:::example-bucket/home/alice/notes.txt",
    ];
    args.extend_from_slice(extra);
    hornbeam(&args, None)
}

fn golden(name: &str, actual: &str) {
    common::golden(&format!("tests/golden/{name}"), actual);
}

#[test]
fn simulate_allowed_exits_0_with_golden_text() {
    let r = simulate_home(&[
        "--context",
        "aws:username=alice",
        "--context",
        "aws:SecureTransport=true",
        "--output",
        "text",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    golden("simulate-allowed.txt", &r.stdout);
}

#[test]
fn simulate_denied_exits_1_with_golden_json() {
    let r = simulate_home(&[
        "--context",
        "aws:username=alice",
        "--context",
        "aws:SecureTransport=false",
    ]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    golden("simulate-explicit-deny.json", &r.stdout);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["decision"], "EXPLICIT_DENY");
    assert_eq!(v["denyingStatements"], serde_json::json!([2]));
}

#[test]
fn simulate_other_users_folder_is_implicitly_denied() {
    let r = simulate_home(&["--context", "aws:username=bob"]);
    assert_eq!(r.code, 1);
    assert!(r.stdout.contains("IMPLICIT_DENY"));
}

#[test]
fn resource_policy_needs_and_uses_the_principal() {
    let base = [
        "simulate",
        "--policy-document",
        "reference-policies/bucket-from-one-account/policy.json",
        "--policy-type",
        "RESOURCE_POLICY",
        "--action",
        "s3:GetObject",
        "--resource",
        "arn:aws:s3:::example-bucket/x",
        "--context",
        "aws:SourceIp=203.0.113.9",
    ];
    let missing = hornbeam(&base, None);
    assert_eq!(missing.code, 2);
    assert!(missing.stderr.contains("--principal is required"));
    let mut ok = base.to_vec();
    ok.extend(["--principal", "arn:aws:iam::111122223333:role/app"]);
    assert_eq!(hornbeam(&ok, None).code, 0);
    let mut other = base.to_vec();
    other.extend(["--principal", "444455556666"]);
    assert_eq!(hornbeam(&other, None).code, 1);
}

#[test]
fn documents_from_stdin_inline_and_context_json() {
    let policy = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"ForAllValues:StringEquals":{"aws:TagKeys":["a","b"]}}}}"#;
    let args = |doc: &'static str, ctx: &'static str| {
        vec![
            "simulate",
            "--policy-document",
            doc,
            "--policy-type",
            "IDENTITY_POLICY",
            "--action",
            "s3:PutObject",
            "--resource",
            "arn:aws:s3:::b/k",
            "--context-json",
            ctx,
        ]
    };
    let r = hornbeam(&args("-", r#"{"aws:TagKeys":["a","b"]}"#), Some(policy));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let leaked: &'static str = Box::leak(policy.to_string().into_boxed_str());
    let r = hornbeam(&args(leaked, r#"{"aws:TagKeys":["a","c"]}"#), None);
    assert_eq!(r.code, 1, "{}", r.stderr);
}

/// One-line error, exit 2, naming the place.
fn assert_invalid(r: &Run, place: &str, what: &str) {
    assert_eq!(r.code, 2, "stdout: {} stderr: {}", r.stdout, r.stderr);
    let line = r.stderr.trim_end();
    assert!(!line.contains('\n'), "error is not one line: {line}");
    assert!(line.starts_with("hornbeam: error: "), "{line}");
    assert!(line.contains(place), "`{place}` not in: {line}");
    assert!(line.contains(what), "`{what}` not in: {line}");
    assert!(!line.contains("panicked"), "{line}");
}

fn simulate_inline(policy: &str, policy_type: &str) -> Run {
    hornbeam(
        &[
            "simulate",
            "--policy-document",
            policy,
            "--policy-type",
            policy_type,
            "--action",
            "s3:GetObject",
            "--resource",
            "*",
            "--principal",
            "111122223333",
        ],
        None,
    )
}

#[test]
fn every_invalid_policy_class_exits_2_naming_the_place() {
    let st = |body: &str| format!(r#"{{"Version":"2012-10-17","Statement":[{{{body}}}]}}"#);
    let ok = r#""Effect":"Allow","Action":"s3:*","Resource":"*""#;
    let cases: Vec<(String, &str, &str, &str)> = vec![
        (
            st(r#""Effect":"Allow","Action":"s3:*","NotAction":"s3:Get*","Resource":"*""#),
            "IDENTITY_POLICY",
            "/Statement/0/NotAction (line 1",
            "both `Action` and `NotAction`",
        ),
        (
            st(r#""Action":"s3:*","Resource":"*""#),
            "IDENTITY_POLICY",
            "/Statement/0 (line 1",
            "no `Effect`",
        ),
        (
            st(&format!(
                r#"{ok},"Condition":{{"StringEqualz":{{"aws:SourceVpc":"v"}}}}"#
            )),
            "IDENTITY_POLICY",
            "/Statement/0/Condition/StringEqualz",
            "unknown condition operator",
        ),
        (
            st(&format!(
                r#"{ok},"Condition":{{"ForOneValue:StringEquals":{{"aws:TagKeys":"v"}}}}"#
            )),
            "IDENTITY_POLICY",
            "/Statement/0/Condition/ForOneValue:StringEquals",
            "unknown set qualifier",
        ),
        (
            st(&format!(
                r#"{ok},"Condition":{{"NullIfExists":{{"aws:SourceVpc":"true"}}}}"#
            )),
            "IDENTITY_POLICY",
            "/Statement/0/Condition/NullIfExists",
            "`Null` already tests",
        ),
        (
            st(&format!(
                r#"{ok},"Condition":{{"IpAddress":{{"aws:SourceIp":"10.0.0.0/40"}}}}"#
            )),
            "IDENTITY_POLICY",
            "/Statement/0/Condition/IpAddress/aws:SourceIp",
            "not a valid IP address",
        ),
        (
            st(&format!(
                r#"{ok},"Condition":{{"NumericLessThan":{{"s3:max-keys":"ten"}}}}"#
            )),
            "IDENTITY_POLICY",
            "/Statement/0/Condition/NumericLessThan/s3:max-keys",
            "not a valid number",
        ),
        (
            st(&format!(
                r#"{ok},"Condition":{{"DateGreaterThan":{{"aws:CurrentTime":"2020-02-30"}}}}"#
            )),
            "IDENTITY_POLICY",
            "/Statement/0/Condition/DateGreaterThan/aws:CurrentTime",
            "not a valid date",
        ),
        (
            st(&format!(
                r#"{ok},"Condition":{{"Bool":{{"aws:SecureTransport":"maybe"}}}}"#
            )),
            "IDENTITY_POLICY",
            "/Statement/0/Condition/Bool/aws:SecureTransport",
            "not a valid boolean",
        ),
        (
            st(&format!(
                r#"{ok},"Condition":{{"DateLessThan":{{"aws:CurrentTime":"${{aws:username}}"}}}}"#
            )),
            "IDENTITY_POLICY",
            "/Statement/0/Condition/DateLessThan/aws:CurrentTime",
            "policy variables are not allowed",
        ),
        (
            st(&format!(r#"{ok},"Principal":"*""#)),
            "IDENTITY_POLICY",
            "/Statement/0/Principal",
            "not allowed in an identity policy",
        ),
        (
            st(ok),
            "RESOURCE_POLICY",
            "/Statement/0 (line 1",
            "neither `Principal` nor `NotPrincipal`",
        ),
        (
            r#"{"Version":"2012-10-17","Version":"2012-10-17","Statement":[]}"#.to_string(),
            "IDENTITY_POLICY",
            "line 1, column 25",
            "duplicate key `Version`",
        ),
        (
            r#"{"Version":"2012-10-17","Statement":[],"Extra":true}"#.to_string(),
            "IDENTITY_POLICY",
            "/Extra (line 1",
            "unknown policy field `Extra`",
        ),
        (
            st(&format!(r#"{ok},"Effects":"Allow""#)),
            "IDENTITY_POLICY",
            "/Statement/0/Effects",
            "unknown statement field",
        ),
        (
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow",}]}"#.to_string(),
            "IDENTITY_POLICY",
            "line 1, column",
            "invalid JSON",
        ),
        (
            st(r#""Effect":"Permit","Action":"s3:*","Resource":"*""#),
            "IDENTITY_POLICY",
            "/Statement/0/Effect",
            "use `Allow` or `Deny`",
        ),
    ];
    for (policy, policy_type, place, what) in &cases {
        let r = simulate_inline(policy, policy_type);
        assert_invalid(&r, place, what);
    }
}

#[test]
fn multi_line_documents_report_line_and_column() {
    let dir = std::env::temp_dir().join(format!("hornbeam-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("p.json");
    std::fs::write(
        &path,
        "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [{\n    \"Effect\": \"Allow\",\n    \"Action\": \"s3:*\",\n    \"Resource\": \"*\",\n    \"Condition\": {\"IpAddress\": {\"aws:SourceIp\": \"300.1.2.3\"}}\n  }]\n}\n",
    )
    .unwrap();
    let r = simulate_inline(&format!("file://{}", path.display()), "IDENTITY_POLICY");
    assert_invalid(
        &r,
        "/Statement/0/Condition/IpAddress/aws:SourceIp (line 7, column 49)",
        "`300.1.2.3`",
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn bad_arguments_exit_2() {
    let r = simulate_inline(r#"{"Statement":[]}"#, "SERVICE_CONTROL_POLICY");
    assert_invalid(
        &r,
        "`SERVICE_CONTROL_POLICY`",
        "use `IDENTITY_POLICY` or `RESOURCE_POLICY`",
    );
    let r = simulate_inline("file://does/not/exist.json", "IDENTITY_POLICY");
    assert_invalid(&r, "--policy-document", "cannot read `does/not/exist.json`");
    let r = hornbeam(
        &[
            "simulate",
            "--policy-document",
            HOME,
            "--policy-type",
            "IDENTITY_POLICY",
            "--action",
            "s3:GetObject",
            "--resource",
            "*",
            "--context",
            "novalue",
        ],
        None,
    );
    assert_invalid(&r, "--context `novalue`", "KEY=VALUE");
    let r = hornbeam(
        &[
            "simulate",
            "--policy-document",
            HOME,
            "--policy-type",
            "IDENTITY_POLICY",
            "--action",
            "s3:GetObject",
            "--resource",
            "*",
            "--principal",
            "s3 bucket owner",
        ],
        None,
    );
    assert_invalid(&r, "--principal", "`Service:NAME`");
    let r = hornbeam(
        &[
            "simulate",
            "--policy-document",
            HOME,
            "--policy-type",
            "IDENTITY_POLICY",
            "--action",
            "s3:GetObject",
            "--resource",
            "*",
            "--context-json",
            r#"{"k":{"nested":1}}"#,
        ],
        None,
    );
    assert_invalid(
        &r,
        "--context-json: /k (line 1, column 6)",
        "found an object",
    );
    let r = hornbeam(
        &[
            "simulate",
            "--policy-document",
            HOME,
            "--policy-type",
            "IDENTITY_POLICY",
            "--action",
            "s3:GetObject",
            "--resource",
            "*",
            "--principal",
            "111122223333",
            "--context",
            "aws:PrincipalAccount=999999999999",
        ],
        None,
    );
    assert_invalid(
        &r,
        "`aws:PrincipalAccount`",
        "drop the key or change the principal",
    );
    let r = hornbeam(&["simulate"], None);
    assert_eq!(r.code, 2);
}

#[test]
fn verbose_shows_phase_timings_on_stderr() {
    let r = simulate_home(&["--context", "aws:username=alice", "-v"]);
    assert!(r.stderr.contains("parsed policy"), "{}", r.stderr);
    assert!(r.stderr.contains("evaluated request"), "{}", r.stderr);
    assert!(!r.stdout.contains("parsed policy"));
}

/// `validate-policy` (issue 27): AWS's findings offline, exit 1 on a blocking type,
/// `--treat-finding-type-as-blocking` changes which, a directory is a batch, bad input
/// is exit 2.
#[test]
fn validate_policy_finds_blocks_and_batches() {
    let pass_role = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:PassRole","Resource":"*"}]}"#;
    let r = hornbeam(
        &[
            "validate-policy",
            "--policy-type",
            "IDENTITY_POLICY",
            "--policy-document",
            pass_role,
        ],
        None,
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(
        v["findings"][0]["issueCode"],
        "PASS_ROLE_WITH_STAR_IN_RESOURCE"
    );
    let r = hornbeam(
        &[
            "validate-policy",
            "--policy-type",
            "IDENTITY_POLICY",
            "--treat-finding-type-as-blocking",
            "ERROR",
            "--policy-document",
            pass_role,
        ],
        None,
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let fine = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#;
    let r = hornbeam(
        &[
            "validate-policy",
            "--policy-type",
            "IDENTITY_POLICY",
            "--policy-document",
            fine,
            "--output",
            "text",
        ],
        None,
    );
    assert_eq!(
        (r.code, r.stdout.trim()),
        (0, "policy: no findings"),
        "{}",
        r.stderr
    );
    let dir = std::env::temp_dir().join(format!("hornbeam-validate-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("a.json"), fine).unwrap();
    std::fs::write(dir.join("b.json"), pass_role).unwrap();
    let r = hornbeam(
        &[
            "validate-policy",
            "--policy-type",
            "IDENTITY_POLICY",
            "--policy-document",
            dir.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    let lines: Vec<serde_json::Value> = r
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["findings"], serde_json::json!([]));
    assert_eq!(
        lines[1]["findings"][0]["issueCode"],
        "PASS_ROLE_WITH_STAR_IN_RESOURCE"
    );
    let _ = std::fs::remove_dir_all(&dir);
    for (args, expected) in [
        (
            ["--policy-type", "USER_POLICY"],
            "--policy-type: `USER_POLICY` is not one of",
        ),
        (
            ["--treat-finding-type-as-blocking", "FATAL"],
            "`FATAL` is not ERROR",
        ),
        (
            ["--validate-policy-resource-type", "AWS::SQS::Queue"],
            "`AWS::SQS::Queue` is not one of AWS::S3::Bucket",
        ),
        (
            [
                "--validate-policy-resource-type",
                "AWS::IAM::AssumeRolePolicyDocument",
            ],
            "goes with --policy-type RESOURCE_POLICY",
        ),
    ] {
        let mut all = vec!["validate-policy", "--policy-document", fine];
        all.extend(args);
        if !all.contains(&"--policy-type") {
            all.extend(["--policy-type", "IDENTITY_POLICY"]);
        }
        let r = hornbeam(&all, None);
        assert_eq!(r.code, 2, "{}", r.stderr);
        assert!(r.stderr.contains(expected), "{}", r.stderr);
    }
}

/// `validate-policy --validate-policy-resource-type` adds the resource type's checks
/// (issue 27): a trust policy's GitHub federation without a repository condition is a
/// security warning there, and nothing without the type.
#[test]
fn validate_policy_reads_the_resource_type() {
    let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"token.actions.githubusercontent.com:aud":"sts.amazonaws.com"}}}]}"#;
    let run = |extra: &[&str]| {
        let mut args = vec![
            "validate-policy",
            "--policy-type",
            "RESOURCE_POLICY",
            "--policy-document",
            trust,
            "--output",
            "text",
        ];
        args.extend(extra);
        hornbeam(&args, None)
    };
    let r = run(&[
        "--validate-policy-resource-type",
        "AWS::IAM::AssumeRolePolicyDocument",
    ]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stdout
            .contains("SECURITY_WARNING MISSING_GITHUB_REPO_CONDITION_KEY"),
        "{}",
        r.stdout
    );
    let r = run(&[]);
    assert_eq!((r.code, r.stdout.trim()), (0, "policy: no findings"));
}

/// `validate-policy --output sarif`: a rule per issue code with AWS's link, a result
/// per finding at its span (SARIF counts lines and columns from 1).
#[test]
fn validate_policy_writes_sarif_at_the_span() {
    let doc = "{\"Version\":\"2012-10-17\",\n\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"iam:PassRole\",\"Resource\":\"*\"}]}";
    let r = hornbeam(
        &[
            "validate-policy",
            "--policy-type",
            "IDENTITY_POLICY",
            "--policy-document",
            doc,
            "--output",
            "sarif",
        ],
        None,
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    let s: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let result = &s["runs"][0]["results"][0];
    assert_eq!(result["ruleId"], "PASS_ROLE_WITH_STAR_IN_RESOURCE");
    assert_eq!(result["level"], "error");
    let region = &result["locations"][0]["physicalLocation"]["region"];
    let line = doc.lines().nth(1).unwrap();
    let column = line.find("\"*\"").unwrap() + 1;
    assert_eq!(
        (region["startLine"].as_u64(), region["startColumn"].as_u64()),
        (Some(2), Some(column as u64))
    );
    assert_eq!(region["endColumn"].as_u64(), Some(column as u64 + 3));
    assert!(
        s["runs"][0]["tool"]["driver"]["rules"][0]["helpUri"]
            .as_str()
            .unwrap()
            .ends_with("security-warning-pass-role-with-star-in-resource")
    );
}
