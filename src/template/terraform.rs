//! Terraform plans (`terraform show -json plan.out`): the policies in
//! `planned_values`, root module and child modules alike. An attribute the plan marks
//! unknown (`after_unknown`, computed at apply time) is "any string"; a policy document
//! that is itself unknown cannot be checked and is reported so.

use std::collections::HashMap;

use super::node::{Kind as NKind, Node};
use super::{Found, Kind, Member, Part, PrincipalFound, Settings, TemplateError, Val};

/// Resource types with policy attributes: (type, attribute, policy name, kind).
const POLICIES: &[(&str, &str, &str, Option<Option<&str>>)] = &[
    // `None`: an identity policy; `Some(t)`: a resource policy with public type `t`.
    ("aws_iam_policy", "policy", "", None),
    ("aws_iam_role_policy", "policy", "", None),
    ("aws_iam_user_policy", "policy", "", None),
    ("aws_iam_group_policy", "policy", "", None),
    (
        "aws_ssoadmin_permission_set_inline_policy",
        "inline_policy",
        "InlinePolicy",
        None,
    ),
    (
        "aws_iam_role",
        "assume_role_policy",
        "TrustPolicy",
        Some(Some("AWS::IAM::AssumeRolePolicyDocument")),
    ),
    (
        "aws_s3_bucket_policy",
        "policy",
        "BucketPolicy",
        Some(Some("AWS::S3::Bucket")),
    ),
    (
        "aws_s3_bucket",
        "policy",
        "BucketPolicy",
        Some(Some("AWS::S3::Bucket")),
    ),
    (
        "aws_s3_access_point",
        "policy",
        "AccessPointPolicy",
        Some(Some("AWS::S3::AccessPoint")),
    ),
    (
        "aws_s3control_access_point_policy",
        "policy",
        "AccessPointPolicy",
        Some(Some("AWS::S3::AccessPoint")),
    ),
    (
        "aws_s3control_bucket_policy",
        "policy",
        "BucketPolicy",
        Some(Some("AWS::S3Outposts::Bucket")),
    ),
    (
        "aws_s3tables_table_bucket_policy",
        "resource_policy",
        "TableBucketPolicy",
        Some(Some("AWS::S3Tables::TableBucket")),
    ),
    (
        "aws_s3tables_table_policy",
        "resource_policy",
        "TablePolicy",
        Some(Some("AWS::S3Tables::Table")),
    ),
    (
        "aws_sqs_queue_policy",
        "policy",
        "QueuePolicy",
        Some(Some("AWS::SQS::Queue")),
    ),
    (
        "aws_sqs_queue",
        "policy",
        "QueuePolicy",
        Some(Some("AWS::SQS::Queue")),
    ),
    (
        "aws_sns_topic_policy",
        "policy",
        "TopicPolicy",
        Some(Some("AWS::SNS::Topic")),
    ),
    (
        "aws_sns_topic",
        "policy",
        "TopicPolicy",
        Some(Some("AWS::SNS::Topic")),
    ),
    (
        "aws_kms_key",
        "policy",
        "KeyPolicy",
        Some(Some("AWS::KMS::Key")),
    ),
    (
        "aws_kms_key_policy",
        "policy",
        "KeyPolicy",
        Some(Some("AWS::KMS::Key")),
    ),
    (
        "aws_secretsmanager_secret_policy",
        "policy",
        "ResourcePolicy",
        Some(Some("AWS::SecretsManager::Secret")),
    ),
    (
        "aws_secretsmanager_secret",
        "policy",
        "ResourcePolicy",
        Some(Some("AWS::SecretsManager::Secret")),
    ),
    (
        "aws_efs_file_system_policy",
        "policy",
        "FileSystemPolicy",
        Some(Some("AWS::EFS::FileSystem")),
    ),
    (
        "aws_opensearch_domain_policy",
        "access_policies",
        "AccessPolicies",
        Some(Some("AWS::OpenSearchService::Domain")),
    ),
    (
        "aws_opensearch_domain",
        "access_policies",
        "AccessPolicies",
        Some(Some("AWS::OpenSearchService::Domain")),
    ),
    (
        "aws_elasticsearch_domain_policy",
        "access_policies",
        "AccessPolicies",
        Some(Some("AWS::OpenSearchService::Domain")),
    ),
    (
        "aws_elasticsearch_domain",
        "access_policies",
        "AccessPolicies",
        Some(Some("AWS::OpenSearchService::Domain")),
    ),
    (
        "aws_glacier_vault",
        "access_policy",
        "AccessPolicy",
        Some(Some("AWS::S3::Glacier")),
    ),
    (
        "aws_backup_vault_policy",
        "policy",
        "AccessPolicy",
        Some(Some("AWS::Backup::BackupVault")),
    ),
    (
        "aws_api_gateway_rest_api_policy",
        "policy",
        "Policy",
        Some(Some("AWS::ApiGateway::RestApi")),
    ),
    (
        "aws_api_gateway_rest_api",
        "policy",
        "Policy",
        Some(Some("AWS::ApiGateway::RestApi")),
    ),
    (
        "aws_codeartifact_domain_permissions_policy",
        "policy_document",
        "PermissionsPolicy",
        Some(Some("AWS::CodeArtifact::Domain")),
    ),
    (
        "aws_codeartifact_repository_permissions_policy",
        "policy_document",
        "PermissionsPolicy",
        Some(None),
    ),
    (
        "aws_dynamodb_resource_policy",
        "policy",
        "ResourcePolicy",
        Some(Some("AWS::DynamoDB::Table")),
    ),
    (
        "aws_kinesis_resource_policy",
        "policy",
        "ResourcePolicy",
        Some(Some("AWS::Kinesis::Stream")),
    ),
    (
        "aws_ecr_repository_policy",
        "policy",
        "RepositoryPolicy",
        Some(None),
    ),
    (
        "aws_cloudtrail_event_data_store",
        "resource_policy",
        "ResourcePolicy",
        Some(Some("AWS::CloudTrail::EventDataStore")),
    ),
];

/// Whether a document is a Terraform plan in JSON.
pub fn is_plan(root: &Node) -> bool {
    root.get("planned_values").is_some()
        || (root.get("format_version").is_some() && root.get("terraform_version").is_some())
}

/// One resource of `planned_values` and what the plan does not know of it.
struct Resource<'a> {
    address: &'a str,
    ty: &'a str,
    values: &'a Node,
    unknown: Option<&'a Node>,
    /// The attributes its configuration sets (`configuration`'s `expressions`), when
    /// the plan has that section: an optional attribute that the configuration does not
    /// set but the provider marks unknown (a bucket's `policy`) holds no policy.
    configured: Option<&'a Node>,
}

/// A planned resource's address without its instance keys (`module.a[0].x.y["k"]` →
/// `module.a.x.y`): the configuration names each resource once.
fn config_address(address: &str) -> String {
    let mut out = String::with_capacity(address.len());
    let mut depth = 0usize;
    let mut quoted = false;
    for c in address.chars() {
        match c {
            '"' if depth > 0 => quoted = !quoted,
            '[' if !quoted => depth += 1,
            ']' if !quoted && depth > 0 => depth -= 1,
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

/// The `expressions` of every resource of the plan's `configuration`, by address
/// (`module.NAME.` before the resources of a module call).
fn configured<'a>(
    module: &'a Node,
    prefix: &str,
    out: &mut HashMap<String, &'a Node>,
    depth: usize,
) {
    if depth > 64 {
        return;
    }
    if let Some(NKind::Seq(resources)) = module.get("resources").map(|r| &r.kind) {
        for r in resources {
            if let (Some(address), Some(expressions)) = (
                r.get("address").and_then(Node::as_str),
                r.get("expressions"),
            ) {
                out.insert(format!("{prefix}{address}"), expressions);
            }
        }
    }
    if let Some(NKind::Map(calls)) = module.get("module_calls").map(|c| &c.kind) {
        for (name, call) in calls {
            if let Some(child) = call.get("module") {
                configured(child, &format!("{prefix}module.{name}."), out, depth + 1);
            }
        }
    }
}

/// Every policy of a plan, and its principals.
pub fn find(
    root: &Node,
    settings: &Settings,
) -> Result<(Vec<Found>, Vec<PrincipalFound>), TemplateError> {
    let Some(planned) = root.get("planned_values") else {
        return Err(TemplateError::Shape(
            "the Terraform plan has no `planned_values`; give the output of `terraform show -json PLANFILE`".into(),
        ));
    };
    let mut unknowns: HashMap<&str, &Node> = HashMap::new();
    if let Some(NKind::Seq(changes)) = root.get("resource_changes").map(|c| &c.kind) {
        for c in changes {
            if let (Some(addr), Some(u)) = (
                c.get("address").and_then(Node::as_str),
                c.get("change").and_then(|ch| ch.get("after_unknown")),
            ) {
                unknowns.insert(addr, u);
            }
        }
    }
    let mut expressions = HashMap::new();
    if let Some(module) = root.get("configuration").and_then(|c| c.get("root_module")) {
        configured(module, "", &mut expressions, 0);
    }
    let mut resources = Vec::new();
    if let Some(module) = planned.get("root_module") {
        collect(module, &unknowns, &mut resources, 0)?;
    }
    // A resource the configuration does not list keeps `None`: nothing is known of
    // which attributes it sets.
    for r in &mut resources {
        r.configured = expressions.get(&config_address(r.address)).copied();
    }
    let mut out = Vec::new();
    for r in &resources {
        policies_of(r, settings, &mut out)?;
    }
    Ok((out, principals(&resources)))
}

/// The addresses a resource's attribute refers to in the configuration
/// (`expressions.ATTR.references`), of resources of type `ty`, as planned addresses
/// without instance keys (`module.m.aws_iam_policy.p`).
fn references(r: &Resource, attr: &str, ty: &str) -> Vec<String> {
    let Some(refs) = r
        .configured
        .and_then(|e| e.get(attr))
        .and_then(|a| a.get("references"))
    else {
        return Vec::new();
    };
    let own = config_address(r.address);
    let prefix = own
        .strip_suffix(&format!(
            "{}.{}",
            r.ty,
            own.rsplit('.').next().unwrap_or_default()
        ))
        .unwrap_or("");
    let NKind::Seq(items) = &refs.kind else {
        return Vec::new();
    };
    let mut out: Vec<String> = Vec::new();
    for item in items.iter().filter_map(Node::as_str) {
        let mut parts = item.split('.');
        if let (Some(t), Some(name)) = (parts.next(), parts.next())
            && t == ty
        {
            let address = format!("{prefix}{t}.{name}");
            if !out.contains(&address) {
                out.push(address);
            }
        }
    }
    out
}

/// The strings of an attribute that is a string or a list of them.
fn strings(node: Option<&Node>) -> Vec<String> {
    match node.map(|n| &n.kind) {
        Some(NKind::Str(s)) if !s.is_empty() => vec![s.clone()],
        Some(NKind::Seq(items)) => items
            .iter()
            .filter_map(Node::as_str)
            .map(str::to_string)
            .collect(),
        _ => Vec::new(),
    }
}

/// The principals of a plan (`aws_iam_role`, `_user`, `_group`) and what their
/// permissions come from: inline policies, `managed_policy_arns`, the attachment and
/// policy resources that name them, group memberships, and `permissions_boundary`. An
/// attribute the plan does not know is read through the configuration's references.
fn principals(resources: &[Resource]) -> Vec<PrincipalFound> {
    const KINDS: &[&str] = &[
        "aws_iam_role",
        "aws_iam_user",
        "aws_iam_group",
        "aws_ssoadmin_permission_set",
    ];
    const SET: &str = "aws_ssoadmin_permission_set";
    // A customer managed policy reference of a permission set: each account holds its
    // own document under that name.
    let customer = |r: &Resource, block: Option<&Node>| -> Member {
        let first = match block.map(|b| &b.kind) {
            Some(NKind::Seq(items)) => items.first(),
            _ => block,
        };
        let field = |f: &str| {
            first
                .and_then(|b| b.get(f))
                .and_then(Node::as_str)
                .unwrap_or_default()
        };
        Member::Unknown(
            format!(
                "customer managed policy `{}{}` of `{}`",
                field("path"),
                field("name"),
                r.address
            ),
            "a policy each account provisions under that name, so its document is unknown offline"
                .into(),
        )
    };
    let planned = |address: &str, ty: &str| {
        resources
            .iter()
            .find(|r| r.ty == ty && config_address(r.address) == address)
    };
    // A policy ARN (known, or through references) as a member.
    let policy_member = |r: &Resource, attr: &str, value: Option<String>| -> Member {
        match value {
            Some(a) if crate::managed::reference_name(&a).is_some() => Member::Managed(a),
            Some(a) => match resources.iter().find(|p| {
                p.ty == "aws_iam_policy" && p.values.get("arn").and_then(Node::as_str) == Some(&a)
            }) {
                Some(p) => Member::Resource(p.address.to_string()),
                None => Member::Customer(a),
            },
            None => match references(r, attr, "aws_iam_policy")
                .first()
                .and_then(|a| planned(a, "aws_iam_policy"))
            {
                Some(p) => Member::Resource(p.address.to_string()),
                None => Member::Unknown(
                    format!("`{}.{attr}`", r.address),
                    "computed at apply time, and no policy of the plan is named by it".into(),
                ),
            },
        }
    };
    // The principals of `ty` a resource names through `attr` (names or references).
    let targets = |r: &Resource, attr: &str, ty: &str| -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for name in strings(r.values.get(attr)) {
            if let Some(p) = resources
                .iter()
                .find(|p| p.ty == ty && p.values.get("name").and_then(Node::as_str) == Some(&name))
            {
                out.push(p.address.to_string());
            }
        }
        if out.is_empty() {
            out.extend(
                references(r, attr, ty)
                    .iter()
                    .filter_map(|a| planned(a, ty))
                    .map(|p| p.address.to_string()),
            );
        }
        out
    };
    let mut out: Vec<PrincipalFound> = resources
        .iter()
        .filter(|r| KINDS.contains(&r.ty))
        .map(|r| {
            let mut p = PrincipalFound {
                resource: r.address.to_string(),
                resource_type: r.ty.to_string(),
                line: r.values.line,
                identity: vec![Member::Resource(r.address.to_string())],
                boundary: None,
            };
            if is_unknown(r.unknown, &["managed_policy_arns"])
                && r.configured
                    .is_none_or(|e| e.get("managed_policy_arns").is_some())
            {
                p.identity.push(Member::Unknown(
                    format!("`{}.managed_policy_arns`", r.address),
                    "computed at apply time".into(),
                ));
            }
            for arn in strings(r.values.get("managed_policy_arns")) {
                p.identity
                    .push(policy_member(r, "managed_policy_arns", Some(arn)));
            }
            let set = |attr: &str| {
                r.values
                    .get(attr)
                    .is_some_and(|n| !matches!(n.kind, NKind::Null))
                    || (is_unknown(r.unknown, &[attr])
                        && r.configured.is_none_or(|e| e.get(attr).is_some()))
            };
            if set("permissions_boundary") {
                let arn = r
                    .values
                    .get("permissions_boundary")
                    .and_then(Node::as_str)
                    .map(str::to_string);
                p.boundary = Some(policy_member(r, "permissions_boundary", arn));
            }
            p
        })
        .collect();
    let mut boundaries: Vec<(String, Member)> = Vec::new();
    let mut attach = |principal: &str, m: Member| {
        if let Some(p) = out.iter_mut().find(|p| p.resource == principal)
            && !p.identity.contains(&m)
        {
            p.identity.push(m);
        }
    };
    for r in resources {
        let arn = || {
            r.values
                .get("policy_arn")
                .and_then(Node::as_str)
                .map(str::to_string)
        };
        let own = || Member::Resource(r.address.to_string());
        let links: Vec<(&str, &str, Member)> = match r.ty {
            "aws_iam_role_policy" => vec![("role", "aws_iam_role", own())],
            "aws_iam_user_policy" => vec![("user", "aws_iam_user", own())],
            "aws_iam_group_policy" => vec![("group", "aws_iam_group", own())],
            "aws_iam_role_policy_attachment" => {
                vec![(
                    "role",
                    "aws_iam_role",
                    policy_member(r, "policy_arn", arn()),
                )]
            }
            "aws_iam_user_policy_attachment" => {
                vec![(
                    "user",
                    "aws_iam_user",
                    policy_member(r, "policy_arn", arn()),
                )]
            }
            "aws_iam_group_policy_attachment" => {
                vec![(
                    "group",
                    "aws_iam_group",
                    policy_member(r, "policy_arn", arn()),
                )]
            }
            "aws_iam_policy_attachment" => {
                let m = policy_member(r, "policy_arn", arn());
                vec![
                    ("roles", "aws_iam_role", m.clone()),
                    ("users", "aws_iam_user", m.clone()),
                    ("groups", "aws_iam_group", m),
                ]
            }
            "aws_iam_user_group_membership" => targets(r, "groups", "aws_iam_group")
                .into_iter()
                .map(|g| ("user", "aws_iam_user", Member::Group(g)))
                .collect(),
            "aws_iam_group_membership" => targets(r, "group", "aws_iam_group")
                .into_iter()
                .map(|g| ("users", "aws_iam_user", Member::Group(g)))
                .collect(),
            "aws_ssoadmin_permission_set_inline_policy" => {
                vec![("permission_set_arn", SET, own())]
            }
            "aws_ssoadmin_managed_policy_attachment" => {
                let arn = r
                    .values
                    .get("managed_policy_arn")
                    .and_then(Node::as_str)
                    .map(str::to_string);
                vec![(
                    "permission_set_arn",
                    SET,
                    policy_member(r, "managed_policy_arn", arn),
                )]
            }
            "aws_ssoadmin_customer_managed_policy_attachment" => vec![(
                "permission_set_arn",
                SET,
                customer(r, r.values.get("customer_managed_policy_reference")),
            )],
            "aws_ssoadmin_permissions_boundary_attachment" => {
                let block = match r.values.get("permissions_boundary").map(|b| &b.kind) {
                    Some(NKind::Seq(items)) => items.first(),
                    _ => r.values.get("permissions_boundary"),
                };
                let boundary = match block
                    .and_then(|b| b.get("managed_policy_arn"))
                    .and_then(Node::as_str)
                {
                    Some(arn) => policy_member(r, "permissions_boundary", Some(arn.to_string())),
                    None => customer(
                        r,
                        block.and_then(|b| b.get("customer_managed_policy_reference")),
                    ),
                };
                boundaries.extend(
                    targets(r, "permission_set_arn", SET)
                        .into_iter()
                        .map(|set| (set, boundary.clone())),
                );
                continue;
            }
            _ => continue,
        };
        for (attr, ty, member) in links {
            for principal in targets(r, attr, ty) {
                attach(&principal, member.clone());
            }
        }
    }
    for (set, boundary) in boundaries {
        if let Some(p) = out.iter_mut().find(|p| p.resource == set) {
            p.boundary = Some(boundary);
        }
    }
    out
}

fn collect<'a>(
    module: &'a Node,
    unknowns: &HashMap<&str, &'a Node>,
    out: &mut Vec<Resource<'a>>,
    depth: usize,
) -> Result<(), TemplateError> {
    if depth > 64 {
        return Err(TemplateError::Shape(
            "child modules nest more than 64 deep".into(),
        ));
    }
    if let Some(NKind::Seq(resources)) = module.get("resources").map(|r| &r.kind) {
        for r in resources {
            if r.get("mode").and_then(Node::as_str) == Some("data") {
                continue;
            }
            let (Some(address), Some(ty)) = (
                r.get("address").and_then(Node::as_str),
                r.get("type").and_then(Node::as_str),
            ) else {
                return Err(TemplateError::Invalid {
                    path: "planned_values".into(),
                    line: r.line,
                    message: "a resource without `address` or `type`".into(),
                });
            };
            let empty_values = r.get("values").unwrap_or(r);
            out.push(Resource {
                address,
                ty,
                values: empty_values,
                unknown: unknowns.get(address).copied(),
                configured: None,
            });
        }
    }
    if let Some(NKind::Seq(children)) = module.get("child_modules").map(|c| &c.kind) {
        for child in children {
            collect(child, unknowns, out, depth + 1)?;
        }
    }
    Ok(())
}

/// Whether the plan marks an attribute path unknown.
fn is_unknown(unknown: Option<&Node>, path: &[&str]) -> bool {
    let mut node = match unknown {
        Some(n) => n,
        None => return false,
    };
    for step in path {
        if let NKind::Bool(true) = node.kind {
            return true;
        }
        node = match (&node.kind, step.parse::<usize>()) {
            (NKind::Seq(items), Ok(i)) => match items.get(i) {
                Some(n) => n,
                None => return false,
            },
            _ => match node.get(step) {
                Some(n) => n,
                None => return false,
            },
        };
    }
    matches!(node.kind, NKind::Bool(true))
}

/// A policy attribute: JSON text (or unknown) → document.
fn document(r: &Resource, path: &[&str], node: Option<&Node>) -> Result<Val, String> {
    if is_unknown(r.unknown, path) {
        return Err(format!(
            "`{}` is computed at apply time, so the plan does not contain the policy",
            path.join(".")
        ));
    }
    match node.map(|n| &n.kind) {
        Some(NKind::Str(text)) => super::json_with_unknowns(&[Part::Lit(text.clone())]),
        Some(other) => Err(format!(
            "`{}` is not policy JSON text ({other:?})",
            path.join(".")
        )),
        None => Err(format!("`{}` is missing from the plan", path.join("."))),
    }
}

fn policies_of(
    r: &Resource,
    settings: &Settings,
    out: &mut Vec<Found>,
) -> Result<(), TemplateError> {
    let name_of = |fallback: &str| -> String {
        r.values
            .get("name")
            .and_then(Node::as_str)
            .map(str::to_string)
            .unwrap_or_else(|| fallback.to_string())
    };
    let mut push = |policy_name: String, kind: Kind, line: usize, document: Result<Val, String>| {
        out.push(Found {
            resource: r.address.to_string(),
            resource_type: r.ty.to_string(),
            policy_name,
            kind,
            line,
            document,
            assumptions: Vec::new(),
        })
    };
    for &(ty, attr, name, kind) in POLICIES {
        if ty != r.ty {
            continue;
        }
        let node = r.values.get(attr);
        // Optional attributes (a queue without a policy) are absent or empty; one the
        // provider marks unknown holds no policy when the configuration does not set it.
        let unset = r.configured.is_some_and(|e| e.get(attr).is_none());
        let absent = match node.map(|n| &n.kind) {
            None | Some(NKind::Null) => !is_unknown(r.unknown, &[attr]) || unset,
            Some(NKind::Str(s)) => s.trim().is_empty(),
            _ => false,
        };
        if absent {
            continue;
        }
        let kind = match kind {
            None => Kind::Identity,
            Some(public_type) => Kind::Resource {
                public_type: match r.ty {
                    "aws_kinesis_resource_policy" => r
                        .values
                        .get("resource_arn")
                        .and_then(Node::as_str)
                        .filter(|a| a.contains("/consumer/"))
                        .map(|_| "AWS::Kinesis::StreamConsumer")
                        .or(public_type),
                    _ => public_type,
                },
            },
        };
        let policy_name = if name.is_empty() {
            name_of(attr)
        } else {
            name.to_string()
        };
        push(
            policy_name,
            kind,
            node.map(|n| n.line).unwrap_or(r.values.line),
            document(r, &[attr], node),
        );
    }
    if r.ty == "aws_iam_role"
        && let Some(NKind::Seq(inline)) = r.values.get("inline_policy").map(|n| &n.kind)
    {
        for (i, p) in inline.iter().enumerate() {
            let idx = i.to_string();
            let policy = p.get("policy");
            if policy
                .and_then(Node::as_str)
                .is_none_or(|s| s.trim().is_empty())
                && !is_unknown(r.unknown, &["inline_policy", &idx, "policy"])
            {
                continue;
            }
            let name = p
                .get("name")
                .and_then(Node::as_str)
                .map(str::to_string)
                .unwrap_or_else(|| format!("inline_policy/{i}"));
            push(
                name,
                Kind::Identity,
                policy.map(|n| n.line).unwrap_or(p.line),
                document(r, &["inline_policy", &idx, "policy"], policy),
            );
        }
    }
    if r.ty == "aws_organizations_policy"
        && let Some(node) = r.values.get("content")
    {
        // `type` defaults to SERVICE_CONTROL_POLICY; tag, backup and other policy types
        // hold no IAM policy.
        let ty = match r.values.get("type").map(|n| &n.kind) {
            None | Some(NKind::Null) => Some("SERVICE_CONTROL_POLICY"),
            Some(NKind::Str(t)) => Some(t.as_str()),
            _ => None,
        };
        if let Some(kind) = ty.and_then(Kind::organization) {
            push(
                name_of("content"),
                kind,
                node.line,
                document(r, &["content"], Some(node)),
            );
        }
    }
    if r.ty == "aws_lambda_permission" {
        push(
            "LambdaPermission".into(),
            Kind::Resource {
                public_type: Some("AWS::Lambda::Function"),
            },
            r.values.line,
            Ok(lambda_permission(r, settings)),
        );
    }
    Ok(())
}

/// The resource policy statement an `aws_lambda_permission` adds to its function.
fn lambda_permission(r: &Resource, s: &Settings) -> Val {
    let field = |name: &str| -> Option<Val> {
        if is_unknown(r.unknown, &[name]) {
            return Some(Val::Str(vec![Part::Unknown(format!(
                "`{}.{name}` is computed at apply time",
                r.address
            ))]));
        }
        match r.values.get(name).map(|n| &n.kind) {
            Some(NKind::Str(v)) if !v.is_empty() => Some(Val::lit(v.clone())),
            _ => None,
        }
    };
    let function = field("function_name")
        .unwrap_or_else(|| Val::Str(vec![Part::Unknown("`function_name` is missing".into())]));
    let function = match (function, field("qualifier")) {
        // `name:qualifier` and `ARN:qualifier` both name the version or alias.
        (Val::Str(mut parts), Some(Val::Str(q))) => {
            parts.push(Part::Lit(":".into()));
            parts.extend(q);
            Val::Str(parts)
        }
        (f, _) => f,
    };
    let fields = [
        field("source_arn"),
        field("source_account"),
        field("principal_org_id"),
        field("function_url_auth_type"),
    ];
    super::lambda_policy(
        s,
        field("principal").unwrap_or_else(|| Val::lit("*")),
        field("action").unwrap_or_else(|| Val::lit("lambda:InvokeFunction")),
        function,
        fields,
    )
}
