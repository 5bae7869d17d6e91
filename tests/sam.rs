//! SAM templates from the command line (issue 29): what the gate finds in the SAM
//! source itself, and the located one-line errors for what the translator would refuse.
//! The equivalence with AWS's translator is tests/sam_translator.rs.

mod common;

use common::{Run, stdout_json as json, template_file};

fn hornbeam(args: &[&str]) -> Run {
    common::hornbeam_with_stdin(env!("CARGO_BIN_EXE_hornbeam"), args, None)
}

fn blocking(r: &Run) -> Vec<(String, String)> {
    json(r)["BlockingFindings"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|f| {
            (
                f["code"].as_str().unwrap_or_default().to_string(),
                f["resourceName"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

/// The resources `check-access-not-granted --actions iam:PassRole` blocks on (exit 1).
fn pass_role_findings(path: &str) -> Vec<String> {
    let r = hornbeam(&[
        "check-access-not-granted",
        "--actions",
        "iam:PassRole",
        "--template-path",
        path,
    ]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    blocking(&r).into_iter().map(|(_, r)| r).collect()
}

const HEAD: &str = "Transform: AWS::Serverless-2016-10-31\nResources:\n";

/// A function URL with `AuthType: NONE` is public: SAM adds a permission for `*`.
#[test]
fn a_public_function_url_is_found_in_the_sam_source() {
    let r = hornbeam(&[
        "check-no-public-access",
        "--template-path",
        "tests/templates/sam/functions.yaml",
    ]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let found = blocking(&r);
    assert_eq!(
        found,
        [
            (
                "PUBLIC_ACCESS".into(),
                "WebhookFunctionUrlPublicPermissions".into()
            ),
            (
                "PUBLIC_ACCESS".into(),
                "WebhookFunctionURLInvokeAllowPublicAccess".into()
            ),
        ],
        "{}",
        r.stdout
    );
}

/// The generated roles carry what `Policies`, policy templates, the DLQ and the events
/// give them, under the ids SAM gives them.
#[test]
fn generated_roles_carry_policies_templates_and_event_policies() {
    let check = |extra: &[&str]| {
        let mut args = vec![
            "check-access-not-granted",
            "--actions",
            "dynamodb:PutItem,sqs:SendMessage,sqs:ReceiveMessage,s3:GetObject",
            "--template-path",
            "tests/templates/sam/functions.yaml",
        ];
        args.extend_from_slice(extra);
        hornbeam(&args)
    };
    // The global boundary is a customer managed policy the template does not define:
    // without its document no role is checked, and each says so.
    let r = check(&[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let found = blocking(&r);
    assert_eq!(found.len(), 3, "{}", r.stdout);
    assert!(
        found.iter().all(|(c, _)| c == "POLICY_NOT_CHECKED"),
        "{found:?}"
    );
    let (dir, boundary) = template_file(
        "boundary",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#,
    );
    let given = format!("arn:aws:iam::123456789012:policy/boundary={boundary}");
    let r = check(&["--policy", &given]);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let roles: Vec<String> = blocking(&r).into_iter().map(|(_, r)| r).collect();
    for role in ["ApiFunctionRole", "UploadFunctionRole"] {
        assert!(roles.iter().any(|r| r == role), "{role}: {roles:?}");
    }
    // The webhook's role has only the basic execution policy and X-Ray.
    assert!(
        !roles.iter().any(|r| r == "WebhookFunctionRole"),
        "{roles:?}"
    );
}

/// What the translator refuses is a located one-line error (exit 2), never a panic or a
/// silent pass.
#[test]
fn what_the_translator_refuses_is_a_located_error() {
    let cases: &[(&str, &str, &str)] = &[
        (
            "unknown-policy",
            "  F:\n    Type: AWS::Serverless::Function\n    Properties:\n      Policies:\n        - S3ReadPolicyy: {BucketName: b}\n",
            "Resources/F/Properties/Policies/0 (line 7): policy at index 0 in `Policies` is not valid",
        ),
        (
            "template-parameter",
            "  F:\n    Type: AWS::Serverless::Function\n    Properties:\n      Policies:\n        - S3ReadPolicy: {}\n",
            "Resources/F/Properties/Policies/0 (line 7): policy template `S3ReadPolicy` needs `BucketName` (aws-sam-translator 1.115.0",
        ),
        (
            "globals",
            "  F:\n    Type: AWS::Serverless::Function\nGlobals:\n  Function:\n    Policies: [AdministratorAccess]\n",
            "Globals/Function/Policies (line 7): `Policies` cannot be set in `Globals`",
        ),
        (
            "globals-type",
            "  F:\n    Type: AWS::Serverless::Function\nGlobals:\n  Functions:\n    Timeout: 3\n",
            "Globals/Functions (line 7): `Functions` is not a resource type `Globals` supports",
        ),
        (
            "dlq",
            "  F:\n    Type: AWS::Serverless::Function\n    Properties:\n      DeadLetterQueue: {Type: SES, TargetArn: x}\n",
            "Resources/F/Properties/DeadLetterQueue (line 6): `DeadLetterQueue` needs `Type` SQS or SNS",
        ),
        (
            "connector",
            "  Q:\n    Type: AWS::SQS::Queue\n  T:\n    Type: AWS::SNS::Topic\n  C:\n    Type: AWS::Serverless::Connector\n    Properties:\n      Source: {Id: Q}\n      Destination: {Id: T}\n      Permissions: [Write]\n",
            "a connector from `AWS::SQS::Queue` to `AWS::SNS::Topic` is not supported by SAM",
        ),
        (
            "connector-permission",
            "  F:\n    Type: AWS::Serverless::Function\n  Q:\n    Type: AWS::SQS::Queue\n  C:\n    Type: AWS::Serverless::Connector\n    Properties:\n      Source: {Id: F}\n      Destination: {Id: Q}\n      Permissions: [Delete]\n",
            "`Permissions` for a connector from `AWS::Lambda::Function` to `AWS::SQS::Queue` are some of: Read, Write",
        ),
        (
            "events",
            "  F:\n    Type: AWS::Serverless::Function\n    Properties:\n      Events: [a]\n",
            "Resources/F/Properties/Events (line 6): expected a mapping of events",
        ),
    ];
    for (tag, body, expected) in cases {
        let (dir, path) = template_file(tag, &format!("{HEAD}{body}"));
        let r = hornbeam(&["check-no-public-access", "--template-path", &path]);
        assert_eq!(r.code, 2, "{tag}: {}{}", r.stdout, r.stderr);
        assert!(r.stderr.contains(expected), "{tag}: {}", r.stderr);
        assert_eq!(
            r.stderr.trim_end().lines().count(),
            1,
            "{tag}: {}",
            r.stderr
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}

/// CloudFormation "executes macros in the order that they're specified" (the Transform
/// section's documentation): with SAM first, SAM meets the loops unexpanded and refuses
/// them (as aws-sam-translator does: "All 'Resources' must be Objects"). With the
/// language extensions first, a loop of functions gets a role each.
#[test]
fn language_extensions_run_before_sam() {
    let body = "Resources:\n  Fn::ForEach::Fns:\n    - Name\n    - [A, B]\n    - ${Name}Fn:\n        Type: AWS::Serverless::Function\n        Properties:\n          Policies: [AdministratorAccess]\n";
    let (dir, path) = template_file(
        "order",
        &format!("Transform: [AWS::Serverless-2016-10-31, AWS::LanguageExtensions]\n{body}"),
    );
    let r = hornbeam(&["check-no-public-access", "--template-path", &path]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("Resources/Fn::ForEach::Fns (line 4): SAM requires every resource to be a mapping; `Fn::ForEach::Fns` is a list"),
        "{}",
        r.stderr
    );
    std::fs::write(
        &path,
        format!("Transform: [AWS::LanguageExtensions, AWS::Serverless-2016-10-31]\n{body}"),
    )
    .unwrap();
    assert_eq!(pass_role_findings(&path), ["AFnRole", "BFnRole"]);
    let _ = std::fs::remove_dir_all(&dir);
}

/// `Globals` apply as SAM applies them: a boundary set globally reaches every generated
/// role, and `IgnoreGlobals` keeps it off one.
#[test]
fn globals_reach_generated_roles_unless_ignored() {
    let text = format!(
        "{HEAD}  Open:\n    Type: AWS::Serverless::Function\n    Properties:\n      Policies: [AdministratorAccess]\n  Bounded:\n    Type: AWS::Serverless::Function\n    IgnoreGlobals: [Tracing]\n    Properties:\n      Policies: [AdministratorAccess]\n  Free:\n    Type: AWS::Serverless::Function\n    IgnoreGlobals: '*'\n    Properties:\n      Policies: [AdministratorAccess]\nGlobals:\n  Function:\n    Tracing: Active\n    PermissionsBoundary: arn:aws:iam::aws:policy/ReadOnlyAccess\n"
    );
    let (dir, path) = template_file("globals-ok", &text);
    // ReadOnlyAccess as boundary keeps iam:PassRole from Open and Bounded; Free has no
    // boundary.
    assert_eq!(pass_role_findings(&path), ["FreeRole"]);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Every SAM test template, mutated line by line (the line dropped, or its value
/// replaced by a list, a mapping, a number, null, or a reference to nothing), is read
/// without a panic: an answer or a located error.
#[test]
fn mutated_sam_templates_never_panic() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/templates/sam");
    let settings = hornbeam::template::Settings::default();
    let mut runs = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        for i in 0..lines.len() {
            let mut variants = vec![None];
            if let Some((key, _)) = lines[i].split_once(": ") {
                for value in ["[]", "{}", "7", "null", "!Ref Nothing", "[a, {b: c}]"] {
                    variants.push(Some(format!("{key}: {value}")));
                }
            }
            for v in variants {
                let mut mutated: Vec<&str> = lines.clone();
                match &v {
                    None => {
                        mutated.remove(i);
                    }
                    Some(line) => mutated[i] = line,
                }
                let text = mutated.join("\n");
                let result = std::panic::catch_unwind(|| {
                    hornbeam::template::extract(&text, &settings).is_ok()
                });
                assert!(
                    result.is_ok(),
                    "panicked on line {i} mutated to {v:?}:\n{text}"
                );
                runs += 1;
            }
        }
    }
    assert!(runs > 500, "{runs}");
}
