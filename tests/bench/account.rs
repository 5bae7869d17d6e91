//! Whole-context and whole-account workloads (issue 25), `--account-only`:
//!
//! * one principal with 10 attached AWS managed policies, a permissions boundary and 3
//!   SCP levels, `check-access-not-granted --policy-set` against 25 action lists (200
//!   runs after one warm-up), one process each, two at a time: median, p99, worst;
//! * a generated 5,000-principal `get-account-authorization-details` file (users in
//!   groups, roles with paths, boundaries, service-linked roles, AWS managed policies by
//!   ARN only, customer managed policies with versions, URL-encoded documents),
//!   `check-access-not-granted --authorization-details --actions iam:PassRole` and
//!   `check-no-new-access` against a snapshot with 1% of the principals changed, each
//!   one process with `--jobs 2`: wall time and peak memory.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// Real AWS managed policies (hornbeam embeds their documents), by ARN.
const MANAGED: &[&str] = &[
    "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess",
    "arn:aws:iam::aws:policy/AmazonDynamoDBReadOnlyAccess",
    "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
    "arn:aws:iam::aws:policy/CloudWatchReadOnlyAccess",
    "arn:aws:iam::aws:policy/AmazonSQSFullAccess",
    "arn:aws:iam::aws:policy/AmazonSNSReadOnlyAccess",
    "arn:aws:iam::aws:policy/AmazonEC2ReadOnlyAccess",
    "arn:aws:iam::aws:policy/SecurityAudit",
    "arn:aws:iam::aws:policy/AWSCloudFormationReadOnlyAccess",
    "arn:aws:iam::aws:policy/AmazonRDSReadOnlyAccess",
    "arn:aws:iam::aws:policy/ReadOnlyAccess",
    "arn:aws:iam::aws:policy/PowerUserAccess",
    "arn:aws:iam::aws:policy/AdministratorAccess",
    "arn:aws:iam::aws:policy/IAMReadOnlyAccess",
    "arn:aws:iam::aws:policy/AWSCodeCommitPowerUser",
];

const ACCOUNT: &str = "111122223333";

fn doc(statements: Value) -> Value {
    json!({"Version": "2012-10-17", "Statement": statements})
}

/// Action lists a security team asks about.
const ACTION_LISTS: &[&str] = &[
    "iam:PassRole",
    "iam:CreateAccessKey",
    "iam:AttachRolePolicy,iam:PutRolePolicy",
    "s3:DeleteBucket",
    "s3:PutBucketPolicy",
    "kms:ScheduleKeyDeletion",
    "cloudtrail:StopLogging,cloudtrail:DeleteTrail",
    "ec2:TerminateInstances",
    "sqs:DeleteQueue",
    "sns:Publish",
    "dynamodb:DeleteTable",
    "lambda:UpdateFunctionCode",
    "rds:DeleteDBInstance",
    "organizations:LeaveOrganization",
    "sts:AssumeRole",
    "secretsmanager:GetSecretValue",
    "ssm:GetParameter",
    "logs:DeleteLogGroup",
    "codecommit:GitPush",
    "cloudformation:CreateStack",
    "ec2:RunInstances",
    "s3:GetObject",
    "iam:CreateUser",
    "guardduty:DeleteDetector",
    "config:StopConfigurationRecorder",
];

fn scps() -> Value {
    json!([
        [doc(
            json!([{"Effect": "Allow", "Action": "*", "Resource": "*"}])
        )],
        [doc(
            json!([{"Effect": "Allow", "Action": "*", "Resource": "*"},
            {"Effect": "Deny", "Action": ["organizations:LeaveOrganization", "account:*"], "Resource": "*"}])
        )],
        [doc(
            json!([{"Effect": "Allow", "Action": "*", "Resource": "*"},
            {"Effect": "Deny", "Action": ["cloudtrail:StopLogging", "cloudtrail:DeleteTrail", "guardduty:Delete*", "config:Stop*"], "Resource": "*"},
            {"Effect": "Deny", "Action": "iam:PassRole", "Resource": "*",
             "Condition": {"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/automation/*"}}}])
        )],
    ])
}

/// The 5,000-principal file; `changed` principals get one more AWS managed policy.
fn details(principals: usize, changed: usize) -> Value {
    let customer = |i: usize| format!("arn:aws:iam::{ACCOUNT}:policy/team-{i}");
    let mut policies = Vec::new();
    for i in 0..50 {
        let v1 = doc(
            json!([{"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"],
            "Resource": format!("arn:aws:s3:::team-{i}-*/*")}]),
        );
        let v2 = doc(json!([
            {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject", "s3:ListBucket"],
             "Resource": [format!("arn:aws:s3:::team-{i}-*"), format!("arn:aws:s3:::team-{i}-*/*")]},
            {"Effect": "Allow", "Action": ["dynamodb:*"], "Resource": format!("arn:aws:dynamodb:*:{ACCOUNT}:table/team-{i}-*")},
            {"Effect": "Allow", "Action": "iam:PassRole", "Resource": format!("arn:aws:iam::{ACCOUNT}:role/app/team-{i}-*"),
             "Condition": {"StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}}}]));
        let encoded = |d: &Value| {
            percent_encoding::utf8_percent_encode(
                &d.to_string(),
                percent_encoding::NON_ALPHANUMERIC,
            )
            .to_string()
        };
        policies.push(json!({
            "PolicyName": format!("team-{i}"), "Arn": customer(i), "Path": "/",
            "DefaultVersionId": "v2",
            "PolicyVersionList": [
                {"Document": encoded(&v1), "VersionId": "v1", "IsDefaultVersion": false},
                {"Document": if i % 2 == 0 { json!(encoded(&v2)) } else { v2 }, "VersionId": "v2", "IsDefaultVersion": true},
            ]}));
    }
    let boundary_arn = format!("arn:aws:iam::{ACCOUNT}:policy/boundary");
    policies.push(json!({"PolicyName": "boundary", "Arn": boundary_arn, "Path": "/", "DefaultVersionId": "v1",
        "PolicyVersionList": [{"VersionId": "v1", "IsDefaultVersion": true,
            "Document": doc(json!([{"Effect": "Allow", "Action": "*", "Resource": "*"},
                                   {"Effect": "Deny", "Action": ["iam:*", "organizations:*"], "Resource": "*"}]))}]}));
    let groups: Vec<Value> = (0..20)
        .map(|g| {
            json!({"GroupName": format!("group-{g}"), "Arn": format!("arn:aws:iam::{ACCOUNT}:group/group-{g}"),
                "GroupPolicyList": [{"PolicyName": "inline", "PolicyDocument": doc(json!([
                    {"Effect": "Allow", "Action": ["sqs:SendMessage", "sns:Publish"], "Resource": format!("arn:aws:*:*:{ACCOUNT}:group-{g}-*")}]))}],
                "AttachedManagedPolicies": [
                    {"PolicyName": "m", "PolicyArn": MANAGED[g % 10]},
                    {"PolicyName": "c", "PolicyArn": customer(g)}]})
        })
        .collect();
    let attached = |i: usize, n: usize| -> Vec<Value> {
        let mut out: Vec<Value> = (0..n)
            .map(|k| json!({"PolicyName": "m", "PolicyArn": MANAGED[(i + k) % MANAGED.len()]}))
            .collect();
        out.push(json!({"PolicyName": "c", "PolicyArn": customer(i % 50)}));
        out
    };
    let mut users = Vec::new();
    let mut roles = Vec::new();
    for i in 0..principals {
        let mut managed = attached(i, i % 4);
        if i < changed {
            managed.push(json!({"PolicyName": "IAMFullAccess", "PolicyArn": "arn:aws:iam::aws:policy/IAMFullAccess"}));
        }
        let inline = json!([{"PolicyName": "own", "PolicyDocument": doc(json!([
            {"Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
             "Resource": format!("arn:aws:logs:*:{ACCOUNT}:log-group:/p/{i}:*")}]))}]);
        let mut e = json!({"Path": "/", "Arn": "", "AttachedManagedPolicies": managed});
        if i % 3 == 0 {
            e["UserName"] = json!(format!("user-{i}"));
            e["Arn"] = json!(format!("arn:aws:iam::{ACCOUNT}:user/user-{i}"));
            e["UserPolicyList"] = inline;
            e["GroupList"] = json!([
                format!("group-{}", i % 20),
                format!("group-{}", (i + 7) % 20)
            ]);
            if i % 2 == 0 {
                e["PermissionsBoundary"] = json!({"PermissionsBoundaryType": "PermissionsBoundaryPolicy", "PermissionsBoundaryArn": boundary_arn});
            }
            users.push(e);
        } else {
            let path = match i % 5 {
                0 => "/automation/".to_string(),
                1 => format!("/app/team-{}/", i % 50),
                2 => "/aws-service-role/ops.amazonaws.com/".to_string(),
                _ => "/".to_string(),
            };
            e["RoleName"] = json!(format!("role-{i}"));
            e["Path"] = json!(path);
            e["Arn"] = json!(format!("arn:aws:iam::{ACCOUNT}:role{path}role-{i}"));
            e["RolePolicyList"] = inline;
            e["AssumeRolePolicyDocument"] = doc(json!([{"Effect": "Allow",
                "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]));
            if i % 4 == 1 {
                e["PermissionsBoundary"] = json!({"PermissionsBoundaryType": "PermissionsBoundaryPolicy", "PermissionsBoundaryArn": boundary_arn});
            }
            roles.push(e);
        }
    }
    json!({"UserDetailList": users, "GroupDetailList": groups, "RoleDetailList": roles,
           "Policies": policies, "IsTruncated": false})
}

/// Runs one `hornbeam` process under `/usr/bin/time` when it exists: wall time, exit
/// code, peak resident memory in MB.
fn timed(bin: &Path, args: &[String]) -> (Duration, i32, u64) {
    let time = Path::new("/usr/bin/time");
    let mut cmd = if time.exists() {
        let mut c = Command::new(time);
        c.args(["-f", "%M"]).arg(bin);
        c
    } else {
        Command::new(bin)
    };
    let start = Instant::now();
    let o = cmd.args(args).output().expect("run hornbeam");
    let elapsed = start.elapsed();
    let peak = String::from_utf8_lossy(&o.stderr)
        .lines()
        .last()
        .and_then(|l| l.trim().parse::<u64>().ok())
        .unwrap_or(0);
    (elapsed, o.status.code().unwrap_or(-1), peak / 1024)
}

pub fn bench(bin: &Path, dir: &Path) {
    // One principal, its whole context.
    let identity: Vec<Value> = MANAGED[..10].iter().map(|a| json!(a)).collect();
    let set = json!({
        "principal": format!("arn:aws:iam::{ACCOUNT}:role/team/App"),
        "identityPolicies": identity,
        "permissionsBoundary": "arn:aws:iam::aws:policy/PowerUserAccess",
        "serviceControlPolicies": scps(),
    });
    let set_file = dir.join("context-set.json");
    std::fs::write(&set_file, set.to_string()).expect("write the set");
    let runs: Vec<Vec<String>> = ACTION_LISTS
        .iter()
        .cycle()
        .take(200)
        .map(|actions| {
            vec![
                "check-access-not-granted".into(),
                "--policy-set".into(),
                set_file.display().to_string(),
                "--actions".into(),
                actions.to_string(),
            ]
        })
        .collect();
    // One untimed run first: the binary and the set in the page cache, as in a CI
    // job's second check.
    timed(bin, &runs[0]);
    let results = std::sync::Mutex::new(Vec::new());
    let next = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(args) = runs.get(i) else { break };
                    let r = timed(bin, args);
                    results.lock().expect("lock").push(r);
                }
            });
        }
    });
    let results = results.into_inner().expect("lock");
    let mut times: Vec<Duration> = results.iter().map(|r| r.0).collect();
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let at = |q: f64| times[((times.len() as f64 * q) as usize).min(times.len() - 1)];
    let codes = |c: i32| results.iter().filter(|r| r.1 == c).count();
    println!(
        "{:<60} n={} median {:.1} ms  p99 {:.1} ms  worst {:.1} ms  PASS {} FAIL {} inconclusive {} error {}  peak {} MB",
        "one principal: 10 managed + boundary + 3 SCP levels",
        times.len(),
        ms(at(0.5)),
        ms(at(0.99)),
        ms(times[times.len() - 1]),
        codes(0),
        codes(1),
        codes(3),
        codes(2) + codes(4),
        results.iter().map(|r| r.2).max().unwrap_or(0),
    );

    // A whole account.
    let principals = 5_000;
    let current = dir.join("account-current.json");
    let approved = dir.join("account-approved.json");
    std::fs::write(&current, details(principals, principals / 100).to_string()).expect("write");
    std::fs::write(&approved, details(principals, 0).to_string()).expect("write");
    let org = dir.join("organization.json");
    std::fs::write(&org, json!({"serviceControlPolicies": scps()}).to_string()).expect("write");
    let size = std::fs::metadata(&current).map_or(0, |m| m.len()) / (1 << 20);
    for (what, args) in [
        (
            "iam:PassRole over 5,000 principals (+3 SCP levels)",
            vec![
                "check-access-not-granted",
                "--authorization-details",
                &current.display().to_string(),
                "--organization",
                &org.display().to_string(),
                "--actions",
                "iam:PassRole",
                "--jobs",
                "2",
                "--output",
                "text",
            ]
            .into_iter()
            .map(String::from)
            .collect::<Vec<_>>(),
        ),
        (
            "iam:PassRole over 5,000 principals",
            vec![
                "check-access-not-granted",
                "--authorization-details",
                &current.display().to_string(),
                "--actions",
                "iam:PassRole",
                "--jobs",
                "2",
                "--output",
                "text",
            ]
            .into_iter()
            .map(String::from)
            .collect(),
        ),
        (
            "no new access since a snapshot (50 changed)",
            vec![
                "check-no-new-access",
                "--authorization-details",
                &current.display().to_string(),
                "--existing-authorization-details",
                &approved.display().to_string(),
                "--jobs",
                "2",
                "--output",
                "text",
            ]
            .into_iter()
            .map(String::from)
            .collect(),
        ),
    ] {
        let (t, code, peak) = timed(bin, &args);
        let tally = Command::new(bin)
            .args(&args)
            .output()
            .ok()
            .and_then(|o| {
                String::from_utf8_lossy(&o.stdout)
                    .lines()
                    .last()
                    .map(|l| l.split(':').nth(2).unwrap_or(l).to_string())
            })
            .unwrap_or_default();
        println!(
            "{what:<60} {:.1} s  exit {code}  peak {peak} MB  ({size} MB file;{tally})",
            t.as_secs_f64()
        );
    }
}
