//! Templates and plans checked per principal: every attachment form that gives a role,
//! user or group its permissions, in CloudFormation and in Terraform plans, and the
//! gates of issue 14 (a one-line AdministratorAccess attachment must not walk through).

mod common;

use hornbeam::template::{self, Boundary, Extraction, Principal, Settings};
use serde_json::{Value, json};

fn extract(text: &str) -> Extraction {
    template::extract(text, &Settings::default()).unwrap_or_else(|e| panic!("{e}"))
}

fn principal<'a>(x: &'a Extraction, resource: &str) -> &'a Principal {
    x.principals
        .iter()
        .find(|p| p.resource == resource)
        .unwrap_or_else(|| panic!("no principal `{resource}` in {:?}", x.principals))
}

/// The names of a principal's identity documents (`RESOURCE.POLICY`).
fn documents(x: &Extraction, p: &Principal) -> Vec<String> {
    let mut out: Vec<String> = p
        .policies
        .iter()
        .map(|&i| format!("{}.{}", x.policies[i].resource, x.policies[i].policy_name))
        .collect();
    out.sort();
    out
}

const DOC: &str = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}"#;

fn doc() -> Value {
    serde_json::from_str(DOC).unwrap()
}

fn cfn(resources: Value) -> String {
    json!({"Resources": resources}).to_string()
}

#[test]
fn every_cloudformation_attachment_form() {
    let x = extract(&cfn(json!({
        "App": {"Type": "AWS::IAM::Role", "Properties": {
            "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]},
            "ManagedPolicyArns": [
                "arn:aws:iam::aws:policy/ReadOnlyAccess",
                {"Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/AWSLambdaExecute"},
                {"Ref": "Shared"},
                "arn:aws:iam::111122223333:policy/Outside"
            ],
            "PermissionsBoundary": {"Ref": "Fence"},
            "Policies": [{"PolicyName": "inline", "PolicyDocument": doc()}]}},
        "Shared": {"Type": "AWS::IAM::ManagedPolicy", "Properties": {"PolicyDocument": doc(), "Groups": [{"Ref": "Devs"}]}},
        "Fence": {"Type": "AWS::IAM::ManagedPolicy", "Properties": {"PolicyDocument": doc()}},
        "ByName": {"Type": "AWS::IAM::Policy", "Properties": {"PolicyName": "by-name", "PolicyDocument": doc(), "Roles": [{"Ref": "App"}], "Users": [{"Ref": "Alice"}]}},
        "RoleInline": {"Type": "AWS::IAM::RolePolicy", "Properties": {"PolicyName": "role-inline", "PolicyDocument": doc(), "RoleName": {"Ref": "App"}}},
        "UserInline": {"Type": "AWS::IAM::UserPolicy", "Properties": {"PolicyName": "user-inline", "PolicyDocument": doc(), "UserName": {"Ref": "Bob"}}},
        "GroupInline": {"Type": "AWS::IAM::GroupPolicy", "Properties": {"PolicyName": "group-inline", "PolicyDocument": doc(), "GroupName": {"Ref": "Ops"}}},
        "Devs": {"Type": "AWS::IAM::Group", "Properties": {"ManagedPolicyArns": ["arn:aws:iam::aws:policy/PowerUserAccess"]}},
        "Ops": {"Type": "AWS::IAM::Group"},
        "Alice": {"Type": "AWS::IAM::User", "Properties": {"Groups": [{"Ref": "Devs"}]}},
        "Bob": {"Type": "AWS::IAM::User"},
        "BobToOps": {"Type": "AWS::IAM::UserToGroupAddition", "Properties": {"GroupName": {"Ref": "Ops"}, "Users": [{"Ref": "Bob"}]}}
    })));
    let app = principal(&x, "App");
    assert_eq!(
        documents(&x, app),
        [
            "App.inline",
            "ByName.by-name",
            "RoleInline.role-inline",
            "Shared.PolicyDocument"
        ]
    );
    assert_eq!(
        app.managed,
        [
            "arn:aws:iam::aws:policy/ReadOnlyAccess",
            "arn:aws:iam::aws:policy/AWSLambdaExecute"
        ]
    );
    let fence = x
        .policies
        .iter()
        .position(|e| e.resource == "Fence")
        .expect("the boundary document");
    assert_eq!(app.boundary, Some(Boundary::Policy(fence)));
    assert!(app.unknown.is_empty(), "{:?}", app.unknown);
    assert_eq!(app.customer, ["arn:aws:iam::111122223333:policy/Outside"]);
    let alice = principal(&x, "Alice");
    assert_eq!(
        documents(&x, alice),
        ["ByName.by-name", "Shared.PolicyDocument"]
    );
    assert_eq!(
        alice.managed,
        ["arn:aws:iam::aws:policy/PowerUserAccess"],
        "her group's"
    );
    let bob = principal(&x, "Bob");
    assert_eq!(
        documents(&x, bob),
        ["GroupInline.group-inline", "UserInline.user-inline"]
    );
}

/// One resource of a plan's `planned_values`.
fn planned(ty: &str, name: &str, values: Value) -> Value {
    json!({"address": format!("{ty}.{name}"), "mode": "managed", "type": ty, "name": name, "values": values})
}

fn configured(ty: &str, name: &str, expressions: Value) -> Value {
    json!({"address": format!("{ty}.{name}"), "type": ty, "name": name, "expressions": expressions})
}

fn plan(resources: Vec<Value>, unknown: Vec<(&str, Value)>, configuration: Vec<Value>) -> String {
    json!({
        "format_version": "1.2",
        "terraform_version": "1.9.5",
        "planned_values": {"root_module": {"resources": resources}},
        "resource_changes": unknown.into_iter().map(|(a, u)| json!({"address": a, "change": {"after_unknown": u}})).collect::<Vec<_>>(),
        "configuration": {"root_module": {"resources": configuration}}
    })
    .to_string()
}

#[test]
fn every_terraform_attachment_form() {
    let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
    let x = extract(&plan(
        vec![
            planned(
                "aws_iam_role",
                "app",
                json!({"name": "app", "assume_role_policy": trust,
                "managed_policy_arns": ["arn:aws:iam::aws:policy/ReadOnlyAccess"],
                "permissions_boundary": "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"}),
            ),
            planned(
                "aws_iam_policy",
                "custom",
                json!({"name": "custom", "policy": DOC}),
            ),
            planned(
                "aws_iam_role_policy_attachment",
                "admin",
                json!({"role": "app", "policy_arn": "arn:aws:iam::aws:policy/AdministratorAccess"}),
            ),
            planned(
                "aws_iam_role_policy_attachment",
                "custom",
                json!({"role": "app"}),
            ),
            planned(
                "aws_iam_role_policy",
                "inline",
                json!({"name": "inline", "role": "app", "policy": DOC}),
            ),
            planned("aws_iam_user", "alice", json!({"name": "alice"})),
            planned("aws_iam_group", "devs", json!({"name": "devs"})),
            planned(
                "aws_iam_group_policy_attachment",
                "devs",
                json!({"group": "devs", "policy_arn": "arn:aws:iam::aws:policy/PowerUserAccess"}),
            ),
            planned(
                "aws_iam_user_group_membership",
                "alice",
                json!({"user": "alice", "groups": ["devs"]}),
            ),
            planned(
                "aws_iam_user_policy_attachment",
                "alice",
                json!({"user": "alice", "policy_arn": "arn:aws:iam::111122223333:policy/Outside"}),
            ),
            planned("aws_iam_user", "bob", json!({"name": "bob"})),
            planned(
                "aws_iam_policy_attachment",
                "shared",
                json!({"name": "shared", "users": ["bob"], "roles": [], "groups": []}),
            ),
            planned(
                "aws_iam_group_membership",
                "ops",
                json!({"name": "ops", "group": "devs", "users": ["bob"]}),
            ),
        ],
        vec![
            ("aws_iam_policy.custom", json!({"arn": true})),
            (
                "aws_iam_role_policy_attachment.custom",
                json!({"policy_arn": true}),
            ),
            (
                "aws_iam_policy_attachment.shared",
                json!({"policy_arn": true}),
            ),
        ],
        vec![
            configured(
                "aws_iam_role_policy_attachment",
                "custom",
                json!({"role": {"references": ["aws_iam_role.app.name", "aws_iam_role.app"]},
                "policy_arn": {"references": ["aws_iam_policy.custom.arn", "aws_iam_policy.custom"]}}),
            ),
            configured(
                "aws_iam_policy_attachment",
                "shared",
                json!({"policy_arn": {"references": ["aws_iam_policy.custom.arn", "aws_iam_policy.custom"]}}),
            ),
        ],
    ));
    let app = principal(&x, "aws_iam_role.app");
    assert_eq!(
        documents(&x, app),
        [
            "aws_iam_policy.custom.custom",
            "aws_iam_role_policy.inline.inline"
        ]
    );
    assert_eq!(
        app.managed,
        [
            "arn:aws:iam::aws:policy/ReadOnlyAccess",
            "arn:aws:iam::aws:policy/AdministratorAccess"
        ]
    );
    assert_eq!(
        app.boundary,
        Some(Boundary::Managed(
            "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess".into()
        ))
    );
    assert!(app.unknown.is_empty(), "{:?}", app.unknown);
    let alice = principal(&x, "aws_iam_user.alice");
    assert_eq!(
        alice.managed,
        ["arn:aws:iam::aws:policy/PowerUserAccess"],
        "her group's"
    );
    assert_eq!(
        alice.customer,
        ["arn:aws:iam::111122223333:policy/Outside"],
        "from outside the plan"
    );
    let bob = principal(&x, "aws_iam_user.bob");
    assert_eq!(documents(&x, bob), ["aws_iam_policy.custom.custom"]);
    assert_eq!(
        bob.managed,
        ["arn:aws:iam::aws:policy/PowerUserAccess"],
        "his group's"
    );
}

fn hornbeam(args: &[&str], input: &str, name: &str) -> common::Run {
    let dir = std::env::temp_dir().join(format!("hornbeam-principals-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, input).unwrap();
    let path = path.display().to_string();
    let mut all = args.to_vec();
    all.extend(["--template-path", &path, "--output", "text"]);
    common::hornbeam_with_stdin(env!("CARGO_BIN_EXE_hornbeam"), &all, None)
}

const PASS_ROLE: &[&str] = &["check-access-not-granted", "--actions", "iam:PassRole"];
const NO_ESCALATION: &[&str] = &[
    "check-no-new-access",
    "--reference-policy",
    "builtin:no-privilege-escalation",
    "--reference-policy-type",
    "identity",
];

/// Issue 14's template: a role that attaches AdministratorAccess fails both gates,
/// naming the role and the policy; a boundary that allows only s3:GetObject passes.
#[test]
fn an_attached_administrator_policy_fails_both_gates() {
    let role = |boundary: bool| {
        let mut props = json!({
            "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]},
            "ManagedPolicyArns": ["arn:aws:iam::aws:policy/AdministratorAccess"],
            "Policies": [{"PolicyName": "read", "PolicyDocument": doc()}]
        });
        let mut resources = json!({"AppRole": {"Type": "AWS::IAM::Role", "Properties": {}}});
        if boundary {
            props["PermissionsBoundary"] = json!({"Ref": "Boundary"});
            resources["Boundary"] =
                json!({"Type": "AWS::IAM::ManagedPolicy", "Properties": {"PolicyDocument": doc()}});
        }
        resources["AppRole"]["Properties"] = props;
        cfn(resources)
    };
    gates(&role(false), &role(true), "t.json", "AppRole");
    // Document by document the attachment is a document of its own (it was dropped:
    // exit 0, issue 24), named with the principal it reaches.
    for gate in [PASS_ROLE, NO_ESCALATION] {
        let mut per_document = gate.to_vec();
        per_document.push("--per-document");
        let run = hornbeam(&per_document, &role(false), "t.json");
        assert_eq!(run.code, 1, "{}", run.stdout);
        assert!(
            run.stdout.contains("AppRole.AdministratorAccess"),
            "{}",
            run.stdout
        );
    }
    // The same in a Terraform plan.
    let tf = |boundary: bool| {
        let mut role = json!({"name": "app", "assume_role_policy": r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#});
        if boundary {
            role["permissions_boundary"] = json!("arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess");
        }
        plan(
            vec![
                planned("aws_iam_role", "app", role),
                planned(
                    "aws_iam_role_policy_attachment",
                    "admin",
                    json!({"role": "app", "policy_arn": "arn:aws:iam::aws:policy/AdministratorAccess"}),
                ),
            ],
            Vec::new(),
            Vec::new(),
        )
    };
    gates(&tf(false), &tf(true), "plan.json", "aws_iam_role.app");
}

/// Both gates fail on `open`, naming the principal and AdministratorAccess, and pass
/// on `bounded`.
fn gates(open: &str, bounded: &str, name: &str, principal: &str) {
    for gate in [PASS_ROLE, NO_ESCALATION] {
        let run = hornbeam(gate, open, name);
        assert_eq!(run.code, 1, "{gate:?}: {}{}", run.stdout, run.stderr);
        assert!(
            run.stdout
                .contains(&format!("{principal}.EffectivePermissions"))
                && run.stdout.contains("`AdministratorAccess`"),
            "{}",
            run.stdout
        );
        let run = hornbeam(gate, bounded, &format!("bounded-{name}"));
        assert_eq!(run.code, 0, "{gate:?}: {}{}", run.stdout, run.stderr);
    }
}

#[test]
fn an_unknown_customer_managed_policy_blocks_and_is_named() {
    let t = cfn(json!({"App": {"Type": "AWS::IAM::Role", "Properties": {
        "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]},
        "ManagedPolicyArns": ["arn:aws:iam::111122223333:policy/TeamPolicy"]}}}));
    let run = hornbeam(PASS_ROLE, &t, "unknown.json");
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("POLICY_NOT_CHECKED")
            && run
                .stdout
                .contains("arn:aws:iam::111122223333:policy/TeamPolicy"),
        "{}",
        run.stdout
    );
    // `--policy ARN=FILE` gives its document: then the role is checked with it.
    let dir = std::env::temp_dir().join(format!("hornbeam-principals-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for (actions, code) in [("s3:GetObject", 0), ("iam:*", 1)] {
        let file = dir.join("team.json");
        std::fs::write(&file, json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}]}).to_string()).unwrap();
        let supplied = format!(
            "arn:aws:iam::111122223333:policy/TeamPolicy={}",
            file.display()
        );
        let mut args = PASS_ROLE.to_vec();
        args.extend(["--policy", &supplied]);
        let run = hornbeam(&args, &t, "unknown.json");
        assert_eq!(run.code, code, "{actions}: {}{}", run.stdout, run.stderr);
        if code == 1 {
            assert!(
                run.stdout
                    .contains("of `arn:aws:iam::111122223333:policy/TeamPolicy`"),
                "{}",
                run.stdout
            );
        }
    }
    let mut args = PASS_ROLE.to_vec();
    args.extend(["--policy", "TeamPolicy"]);
    let run = hornbeam(&args, &t, "unknown.json");
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("expected ARN=FILE"), "{}", run.stderr);
}

#[test]
fn permission_sets_in_both_formats() {
    let x = extract(&cfn(json!({
        "Admins": {"Type": "AWS::SSO::PermissionSet", "Properties": {
            "Name": "Admins", "InstanceArn": "arn:aws:sso:::instance/ssoins-1",
            "InlinePolicy": doc(),
            "ManagedPolicies": ["arn:aws:iam::aws:policy/AdministratorAccess"],
            "PermissionsBoundary": {"ManagedPolicyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}}},
        "Team": {"Type": "AWS::SSO::PermissionSet", "Properties": {
            "Name": "Team", "InstanceArn": "arn:aws:sso:::instance/ssoins-1",
            "CustomerManagedPolicyReferences": [{"Name": "TeamPolicy", "Path": "/team/"}]}}
    })));
    let admins = principal(&x, "Admins");
    assert_eq!(documents(&x, admins), ["Admins.InlinePolicy"]);
    assert_eq!(
        admins.managed,
        ["arn:aws:iam::aws:policy/AdministratorAccess"]
    );
    assert_eq!(
        admins.boundary,
        Some(Boundary::Managed(
            "arn:aws:iam::aws:policy/ReadOnlyAccess".into()
        ))
    );
    let team = principal(&x, "Team");
    assert_eq!(team.unknown.len(), 1);
    assert!(
        team.unknown[0].0.contains("/team/TeamPolicy"),
        "{:?}",
        team.unknown
    );

    let set_ref = |attr: &str| json!({attr: {"references": ["aws_ssoadmin_permission_set.admins.arn", "aws_ssoadmin_permission_set.admins"]}});
    let x = extract(&plan(
        vec![
            planned(
                "aws_ssoadmin_permission_set",
                "admins",
                json!({"name": "Admins"}),
            ),
            planned(
                "aws_ssoadmin_permission_set_inline_policy",
                "admins",
                json!({"inline_policy": DOC}),
            ),
            planned(
                "aws_ssoadmin_managed_policy_attachment",
                "admin",
                json!({"managed_policy_arn": "arn:aws:iam::aws:policy/AdministratorAccess"}),
            ),
            planned(
                "aws_ssoadmin_customer_managed_policy_attachment",
                "team",
                json!({"customer_managed_policy_reference": [{"name": "TeamPolicy", "path": "/"}]}),
            ),
            planned(
                "aws_ssoadmin_permissions_boundary_attachment",
                "fence",
                json!({"permissions_boundary": [{"managed_policy_arn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}]}),
            ),
        ],
        vec![("aws_ssoadmin_permission_set.admins", json!({"arn": true}))],
        vec![
            configured(
                "aws_ssoadmin_permission_set_inline_policy",
                "admins",
                set_ref("permission_set_arn"),
            ),
            configured(
                "aws_ssoadmin_managed_policy_attachment",
                "admin",
                set_ref("permission_set_arn"),
            ),
            configured(
                "aws_ssoadmin_customer_managed_policy_attachment",
                "team",
                set_ref("permission_set_arn"),
            ),
            configured(
                "aws_ssoadmin_permissions_boundary_attachment",
                "fence",
                set_ref("permission_set_arn"),
            ),
        ],
    ));
    let admins = principal(&x, "aws_ssoadmin_permission_set.admins");
    assert_eq!(
        documents(&x, admins),
        ["aws_ssoadmin_permission_set_inline_policy.admins.InlinePolicy"]
    );
    assert_eq!(
        admins.managed,
        ["arn:aws:iam::aws:policy/AdministratorAccess"]
    );
    assert_eq!(
        admins.boundary,
        Some(Boundary::Managed(
            "arn:aws:iam::aws:policy/ReadOnlyAccess".into()
        ))
    );
    assert_eq!(admins.unknown.len(), 1, "{:?}", admins.unknown);
    assert!(admins.unknown[0].0.contains("TeamPolicy"));
}

/// `AWS::Organizations::Policy` and `aws_organizations_policy`: SCPs and RCPs are read
/// with their own rules (a violation is a located exit-2 error) and are not applied to
/// the template's principals (encodings/context.md, "Templates"): the gate still fails
/// on an administrator that a Deny-StopLogging SCP would cover in a member account.
#[test]
fn organization_policies_are_read_and_checked_not_applied() {
    let scp = |effect: &str| json!({"Version": "2012-10-17", "Statement": [{"Effect": effect, "Action": "cloudtrail:StopLogging", "Resource": "*"}]});
    let rcp = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*",
        "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]});
    let template = |ty: &str, content: Value| {
        cfn(json!({
            "Guard": {"Type": "AWS::Organizations::Policy",
                      "Properties": {"Name": "guard", "Type": ty, "TargetIds": ["111122223333"], "Content": content}},
            "Tags": {"Type": "AWS::Organizations::Policy",
                     "Properties": {"Name": "tags", "Type": "TAG_POLICY", "Content": {"tags": {}}}},
            "AppRole": {"Type": "AWS::IAM::Role", "Properties": {
                "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]},
                "ManagedPolicyArns": ["arn:aws:iam::aws:policy/AdministratorAccess"]}}
        }))
    };
    let gate = [
        "check-access-not-granted",
        "--actions",
        "cloudtrail:StopLogging",
    ];
    for (ty, content) in [
        ("SERVICE_CONTROL_POLICY", scp("Deny")),
        ("RESOURCE_CONTROL_POLICY", rcp.clone()),
    ] {
        let run = hornbeam(&gate, &template(ty, content), "org.json");
        assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
        assert!(
            run.stdout.contains("AppRole.EffectivePermissions"),
            "{}",
            run.stdout
        );
        assert!(
            run.stdout
                .contains("1 SCPs / RCPs read and valid, not applied"),
            "{}",
            run.stdout
        );
    }
    // An RCP may hold only Denies: a located exit-2 error.
    let run = hornbeam(
        &gate,
        &template("RESOURCE_CONTROL_POLICY", scp("Allow")),
        "bad-org.json",
    );
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stderr
            .contains("Guard.guard: the policy is invalid: /Statement/0"),
        "{}",
        run.stderr
    );
    // Terraform: `type` defaults to SERVICE_CONTROL_POLICY; an SCP has no Principal.
    let tf = |content: Value, ty: Option<&str>| {
        let mut values = json!({"name": "guard", "content": content.to_string()});
        if let Some(t) = ty {
            values["type"] = json!(t);
        }
        plan(
            vec![
                planned("aws_organizations_policy", "guard", values),
                planned(
                    "aws_organizations_policy_attachment",
                    "guard",
                    json!({"policy_id": "p-12345678", "target_id": "111122223333"}),
                ),
            ],
            Vec::new(),
            Vec::new(),
        )
    };
    let run = hornbeam(&gate, &tf(scp("Deny"), None), "org-plan.json");
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("1 SCPs / RCPs read and valid"),
        "{}",
        run.stdout
    );
    let with_principal = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*"}]});
    let run = hornbeam(
        &gate,
        &tf(with_principal.clone(), None),
        "bad-org-plan.json",
    );
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains("/Statement/0/Principal"),
        "{}",
        run.stderr
    );
    let run = hornbeam(
        &gate,
        &tf(with_principal, Some("RESOURCE_CONTROL_POLICY")),
        "rcp-plan.json",
    );
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
}

/// A proof about a role, not only about a file (issue 24): principal-level checks of a
/// template write a bundle per principal with every document of its context, and
/// verify-proof re-solves it. Document by document, a customer managed policy the
/// template does not define is a blocking POLICY_NOT_CHECKED, never silence.
#[test]
fn a_proof_per_principal_and_no_silent_attachment() {
    let template = cfn(json!({
        "AppRole": {"Type": "AWS::IAM::Role", "Properties": {
            "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]},
            "ManagedPolicyArns": ["arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"],
            "Policies": [{"PolicyName": "read", "PolicyDocument": doc()}]}},
        "AdminRole": {"Type": "AWS::IAM::Role", "Properties": {
            "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]},
            "ManagedPolicyArns": ["arn:aws:iam::aws:policy/AdministratorAccess"]}}
    }));
    let dir =
        std::env::temp_dir().join(format!("hornbeam-principal-proofs-{}", std::process::id()));
    let shown = dir.display().to_string();
    let mut args = PASS_ROLE.to_vec();
    args.extend(["--emit-proof", &shown]);
    let run = hornbeam(&args, &template, "proofs.json");
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    let mut bundles: Vec<_> = std::fs::read_dir(&dir)
        .expect("bundles")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .collect();
    bundles.sort();
    // Two principals, and their trust policies as documents of their own.
    let principals: Vec<_> = bundles
        .iter()
        .filter(|b| b.to_string_lossy().ends_with(".EffectivePermissions"))
        .collect();
    assert_eq!((principals.len(), bundles.len()), (2, 4), "{bundles:?}");
    for b in &principals {
        let set = std::fs::read_to_string(b.join("policies/policySet.json")).expect("the set");
        assert!(set.contains("identityPolicies"), "{set}");
    }
    for b in &bundles {
        let run = common::hornbeam_with_stdin(
            env!("CARGO_BIN_EXE_hornbeam"),
            &["verify-proof", b.to_str().expect("a path")],
            None,
        );
        assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    }
    std::fs::remove_dir_all(&dir).ok();

    let customer = cfn(json!({
        "AppRole": {"Type": "AWS::IAM::Role", "Properties": {
            "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]},
            "ManagedPolicyArns": ["arn:aws:iam::111122223333:policy/Team"]}}
    }));
    let mut args = PASS_ROLE.to_vec();
    args.push("--per-document");
    let run = hornbeam(&args, &customer, "customer.json");
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout
            .contains("BLOCKING     POLICY_NOT_CHECKED AppRole.Team")
            && run
                .stdout
                .contains("--policy arn:aws:iam::111122223333:policy/Team=FILE"),
        "{}",
        run.stdout
    );
}
