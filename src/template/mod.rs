//! Policies inside infrastructure code: CloudFormation templates (YAML or JSON, with
//! intrinsic functions resolved offline) and Terraform plans (`terraform show -json`).
//!
//! Layers: [`node`] loads the document with line numbers; [`cfn`] and [`terraform`]
//! find the policies and resolve their values into [`Val`]s, where a value the tool
//! cannot know (a parameter without a value, `Fn::ImportValue`, a computed attribute) is
//! an explicit unknown; [`render`] turns each into a policy document that grants at least
//! what the deployed policy could grant, whatever the unknown turns out to be.

pub mod cfn;
pub mod node;
pub mod render;
pub mod terraform;
mod value;

pub use value::{Part, Val, json_with_unknowns};

use thiserror::Error;

use crate::policy::PolicyType;

/// A template that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TemplateError {
    #[error("line {line}, column {column}: {message}")]
    Syntax {
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{path} (line {line}): {message}")]
    Invalid {
        path: String,
        line: usize,
        message: String,
    },
    #[error("{0}")]
    Shape(String),
}

/// The transform whose language extensions (`Fn::ForEach`, `Fn::Length`,
/// `Fn::ToJsonString`, `Fn::FindInMap` defaults) hornbeam expands itself.
const LANGUAGE_EXTENSIONS: &str = "AWS::LanguageExtensions";

/// The module resources of a template (id, type): CloudFormation expands each from the
/// registry into resources this file does not define.
fn modules(root: &node::Node) -> Vec<(&str, &str)> {
    let Some(node::Kind::Map(resources)) = root.get("Resources").map(|r| &r.kind) else {
        return Vec::new();
    };
    resources
        .iter()
        .filter_map(|(id, r)| {
            let ty = r.get("Type").and_then(|t| t.as_str())?;
            ty.ends_with("::MODULE").then_some((id.as_str(), ty))
        })
        .collect()
}

/// Resource types whose resources and policies are another template's.
const NESTED_STACKS: &[&str] = &[
    "AWS::CloudFormation::Stack",
    "AWS::CloudFormation::StackSet",
    "AWS::Serverless::Application",
];

/// Offline stand-ins for what CloudFormation knows at deploy time.
#[derive(Debug, Clone)]
pub struct Settings {
    pub account_id: String,
    pub region: String,
    pub partition: String,
    pub stack_name: String,
    /// `--parameters K=V`, overriding the template's defaults.
    pub parameters: Vec<(String, String)>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            account_id: "123456789012".into(),
            region: "us-east-1".into(),
            partition: "aws".into(),
            stack_name: "hornbeam-stack".into(),
            parameters: Vec::new(),
        }
    }
}

/// How a policy found in a template is checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    Identity,
    /// A resource policy; the resource type of the public-access check when it has one.
    Resource {
        public_type: Option<&'static str>,
    },
    /// An organization policy (`AWS::Organizations::Policy`, `aws_organizations_policy`):
    /// read with its own rules, not applied to the template's principals
    /// (encodings/context.md, "Templates").
    Organization(crate::policy::ControlKind),
}

impl Kind {
    pub fn policy_type(&self) -> PolicyType {
        match self {
            Kind::Identity | Kind::Organization(crate::policy::ControlKind::ServiceControl) => {
                PolicyType::Identity
            }
            Kind::Resource { .. } | Kind::Organization(_) => PolicyType::Resource,
        }
    }

    /// The organization policy kind of an `AWS::Organizations::Policy` `Type` /
    /// `aws_organizations_policy` `type`; `None` for the types that hold no IAM policy
    /// (tag, backup, AI opt-out, ... policies).
    pub fn organization(policy_type: &str) -> Option<Kind> {
        match policy_type {
            "SERVICE_CONTROL_POLICY" => Some(Kind::Organization(
                crate::policy::ControlKind::ServiceControl,
            )),
            "RESOURCE_CONTROL_POLICY" => Some(Kind::Organization(
                crate::policy::ControlKind::ResourceControl,
            )),
            _ => None,
        }
    }
}

/// One policy found in a template, before rendering.
#[derive(Debug, Clone)]
pub struct Found {
    /// The logical id (CloudFormation) or address (Terraform).
    pub resource: String,
    /// The resource type, e.g. `AWS::IAM::Role` or `aws_iam_role`.
    pub resource_type: String,
    /// `TrustPolicy`, `BucketPolicy`, an inline policy's name, ...
    pub policy_name: String,
    pub kind: Kind,
    /// Where the policy starts in the template.
    pub line: usize,
    /// The document, or why there is none to check.
    pub document: Result<Val, String>,
    /// The assumptions on undecidable template conditions this policy was built under.
    pub assumptions: Vec<(String, bool)>,
}

/// One policy ready for a check.
#[derive(Debug, Clone)]
pub struct Extracted {
    pub resource: String,
    pub resource_type: String,
    pub policy_name: String,
    pub kind: Kind,
    pub line: usize,
    pub assumptions: Vec<(String, bool)>,
    /// The policy text to check, or why the policy cannot be checked.
    pub policy: Result<String, String>,
    /// The values the tool could not know and what it did with each.
    pub notes: Vec<String>,
}

/// Something a principal's permissions come from, as a template or plan states it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Member {
    /// The identity policies of a resource of the template: a principal's own inline
    /// policies, an `AWS::IAM::Policy` / `ManagedPolicy`, an `aws_iam_policy`, ...
    Resource(String),
    /// An AWS managed policy, by ARN.
    Managed(String),
    /// A group of the template: a user has its group's policies.
    Group(String),
    /// A customer managed policy the template does not define, by ARN: its document
    /// comes from `--policy ARN=FILE` or is unknown.
    Customer(String),
    /// A policy whose contents are not known offline: (what, why).
    Unknown(String, String),
}

/// A principal a template defines and what its permissions come from, before the
/// members are matched with the extracted policies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrincipalFound {
    pub resource: String,
    pub resource_type: String,
    pub line: usize,
    pub identity: Vec<Member>,
    pub boundary: Option<Member>,
}

/// A permissions boundary of a principal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Boundary {
    /// An extracted policy (index into [`Extraction::policies`]).
    Policy(usize),
    /// An AWS managed policy, by ARN.
    Managed(String),
    /// A customer managed policy the template does not define, by ARN.
    Customer(String),
}

/// A principal ready for a check: its identity policies (its own inline ones, attached
/// managed ones, its groups'), and its permissions boundary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub resource: String,
    pub resource_type: String,
    pub line: usize,
    /// Indices into [`Extraction::policies`].
    pub policies: Vec<usize>,
    /// AWS managed policies, by ARN.
    pub managed: Vec<String>,
    /// Customer managed policies the template does not define, by ARN.
    pub customer: Vec<String>,
    pub boundary: Option<Boundary>,
    /// Members whose contents are unknown offline: (what, why). A principal with one is
    /// not checked as a whole: its permissions are not known.
    pub unknown: Vec<(String, String)>,
}

/// Matches principals' members with the extracted policies.
fn principals_of(found: &[PrincipalFound], policies: &[Extracted]) -> Vec<Principal> {
    fn expand(
        m: &Member,
        found: &[PrincipalFound],
        policies: &[Extracted],
        out: &mut Principal,
        depth: usize,
    ) {
        match m {
            Member::Resource(id) => {
                for (i, e) in policies.iter().enumerate() {
                    if e.resource == *id && e.kind == Kind::Identity && !out.policies.contains(&i) {
                        out.policies.push(i);
                    }
                }
            }
            Member::Managed(arn) => {
                if !out.managed.contains(arn) {
                    out.managed.push(arn.clone());
                }
            }
            Member::Customer(arn) => {
                if !out.customer.contains(arn) {
                    out.customer.push(arn.clone());
                }
            }
            Member::Group(id) if depth == 0 => {
                if let Some(g) = found.iter().find(|p| p.resource == *id) {
                    for gm in &g.identity {
                        expand(gm, found, policies, out, depth + 1);
                    }
                }
            }
            Member::Group(_) => {}
            Member::Unknown(what, why) => out.unknown.push((what.clone(), why.clone())),
        }
    }
    found
        .iter()
        .map(|p| {
            let mut out = Principal {
                resource: p.resource.clone(),
                resource_type: p.resource_type.clone(),
                line: p.line,
                policies: Vec::new(),
                managed: Vec::new(),
                customer: Vec::new(),
                boundary: None,
                unknown: Vec::new(),
            };
            for m in &p.identity {
                expand(m, found, policies, &mut out, 0);
            }
            out.boundary = match &p.boundary {
                Some(Member::Managed(arn)) => Some(Boundary::Managed(arn.clone())),
                Some(Member::Customer(arn)) => Some(Boundary::Customer(arn.clone())),
                Some(Member::Resource(id)) => {
                    match policies
                        .iter()
                        .position(|e| e.resource == *id && e.kind == Kind::Identity)
                    {
                        Some(i) => Some(Boundary::Policy(i)),
                        None => {
                            out.unknown.push((
                                format!("permissions boundary `{id}`"),
                                "the template defines no policy document for it".into(),
                            ));
                            None
                        }
                    }
                }
                Some(Member::Unknown(what, why)) => {
                    out.unknown
                        .push((format!("permissions boundary {what}"), why.clone()));
                    None
                }
                Some(Member::Group(_)) | None => None,
            };
            out
        })
        .collect()
}

/// Principals of several resolutions (template conditions), merged: a principal's
/// identity members are those of any resolution (more policies, more access: a gate is
/// never lenient for it); its boundary only where every resolution has the same one.
pub(crate) fn merge_principals(runs: Vec<Vec<PrincipalFound>>) -> Vec<PrincipalFound> {
    let total = runs.len();
    let mut out: Vec<(PrincipalFound, usize, bool)> = Vec::new();
    for run in runs {
        for p in run {
            match out.iter_mut().find(|(o, _, _)| o.resource == p.resource) {
                Some((o, n, same_boundary)) => {
                    *n += 1;
                    *same_boundary &= o.boundary == p.boundary;
                    for m in p.identity {
                        if !o.identity.contains(&m) {
                            o.identity.push(m);
                        }
                    }
                }
                None => out.push((p, 1, true)),
            }
        }
    }
    out.into_iter()
        .map(|(mut p, n, same)| {
            if n < total || !same {
                p.boundary = None;
            }
            p
        })
        .collect()
}

/// What kind of file a template is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    CloudFormation,
    TerraformPlan,
}

impl Format {
    pub fn name(self) -> &'static str {
        match self {
            Format::CloudFormation => "CloudFormation template",
            Format::TerraformPlan => "Terraform plan",
        }
    }
}

/// Part of a template the tool cannot see into, so its policies are not checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gap {
    /// What it is, e.g. `Transform`.
    pub what: String,
    pub line: usize,
    pub why: String,
}

/// What a template holds: its policies, its principals, and what could not be read.
#[derive(Debug, Clone)]
pub struct Extraction {
    pub format: Format,
    pub policies: Vec<Extracted>,
    pub principals: Vec<Principal>,
    pub gaps: Vec<Gap>,
}

/// Every policy in a template or plan, rendered for checking.
pub fn extract(text: &str, settings: &Settings) -> Result<Extraction, TemplateError> {
    let root = node::load(text)?;
    let mut gaps = Vec::new();
    let plan = terraform::is_plan(&root);
    // The transforms other than AWS::LanguageExtensions (SAM, macros), which hornbeam
    // does not run offline; the language extensions it expands itself.
    // What creates resources the template does not define (a transform hornbeam does
    // not run, a loop it could not expand, a module): the template is then incomplete.
    let mut creator: Option<String> = None;
    let root = match root.get("Transform").filter(|_| !plan) {
        None => root,
        Some(t) => {
            let names: Vec<String> = match &t.kind {
                node::Kind::Str(s) => vec![s.clone()],
                node::Kind::Seq(items) => items
                    .iter()
                    .map(|i| {
                        i.as_str()
                            .unwrap_or("(a macro with parameters)")
                            .to_string()
                    })
                    .collect(),
                _ => vec!["(a macro with parameters)".into()],
            };
            let others: Vec<&str> = names
                .iter()
                .map(String::as_str)
                .filter(|n| *n != LANGUAGE_EXTENSIONS && *n != cfn::sam::TRANSFORM)
                .collect();
            if !others.is_empty() {
                creator = Some(format!("the transform `{}`", others.join(", ")));
                gaps.push(Gap {
                    what: "Transform".into(),
                    line: t.line,
                    why: format!(
                        "the template declares Transform `{}`, whose resources and policies exist only after CloudFormation runs it; check the processed template (`aws cloudformation get-template --template-stage Processed`) to cover them",
                        others.join(", ")
                    ),
                });
            }
            // CloudFormation runs transforms in the order listed: SAM before the
            // language extensions sees their loops unexpanded (and refuses them).
            let mut root = root;
            for name in &names {
                if name == LANGUAGE_EXTENSIONS {
                    let (expanded, unexpanded) = cfn::foreach::expand(&root, settings)?;
                    for u in unexpanded {
                        creator
                            .get_or_insert_with(|| format!("the loop `Fn::ForEach::{}`", u.name));
                        gaps.push(Gap {
                            what: format!("Fn::ForEach::{}", u.name),
                            line: u.line,
                            why: format!(
                                "the loop `Fn::ForEach::{}` was not expanded: {}; what it makes is not checked",
                                u.name, u.why
                            ),
                        });
                    }
                    root = expanded;
                } else if name == cfn::sam::TRANSFORM {
                    let (expanded, unexpanded) = cfn::sam::expand(&root, settings)?;
                    // SAM makes resources hornbeam does not model (stages, deployments,
                    // versions); references to them are unknown values, not errors.
                    creator
                        .get_or_insert_with(|| format!("the transform `{}`", cfn::sam::TRANSFORM));
                    gaps.extend(unexpanded.into_iter().map(|u| Gap {
                        what: u.what,
                        line: u.line,
                        why: u.why,
                    }));
                    root = expanded;
                }
            }
            root
        }
    };
    if !plan && creator.is_none() {
        creator = modules(&root)
            .first()
            .map(|(_, ty)| format!("the module `{ty}`"));
    }
    // What a transform, a loop or a module creates, the template refers to before it
    // exists in it (`MyFunctionRole`): only a complete template's references are judged;
    // in an incomplete one an undefined name is an unknown value.
    if !plan && creator.is_none() {
        undefined_references(&root)?;
    }
    let (format, (found, principals), never_deployed) = if terraform::is_plan(&root) {
        let found = terraform::find(&root, settings)?;
        (Format::TerraformPlan, found, Default::default())
    } else {
        let read = cfn::find(&root, settings, creator.as_deref())?;
        (
            Format::CloudFormation,
            (read.found, read.principals),
            read.never_deployed,
        )
    };
    let out: Vec<Extracted> = found
        .into_iter()
        .map(|f| {
            let (policy, notes) = match f.document {
                Ok(doc) => match render::render(&doc) {
                    Ok((text, notes)) => (Ok(text), notes),
                    Err(why) => (Err(why), Vec::new()),
                },
                Err(why) => (Err(why), Vec::new()),
            };
            Extracted {
                resource: f.resource,
                resource_type: f.resource_type,
                policy_name: f.policy_name,
                kind: f.kind,
                line: f.line,
                assumptions: f.assumptions,
                policy,
                notes,
            }
        })
        .collect();
    let principals = principals_of(&principals, &out);
    match format {
        Format::CloudFormation => gaps.extend(unread_documents(&root, &out, &never_deployed)),
        Format::TerraformPlan => gaps.extend(unread_plan_documents(&root, &out)),
    }
    Ok(Extraction {
        format,
        policies: out,
        principals,
        gaps,
    })
}

/// The same for a Terraform plan: a planned resource with an attribute holding a policy
/// document (a JSON string or an object with `Statement`) of which nothing was extracted.
fn unread_plan_documents(root: &node::Node, extracted: &[Extracted]) -> Vec<Gap> {
    fn document_at(n: &node::Node, path: &str) -> Option<String> {
        match &n.kind {
            node::Kind::Str(text) => serde_json::from_str::<serde_json::Value>(text)
                .ok()
                .filter(|v| v.get("Statement").is_some())
                .map(|_| path.to_string()),
            node::Kind::Map(members) => {
                if members.iter().any(|(k, _)| k == "Statement") {
                    return Some(path.to_string());
                }
                members.iter().find_map(|(k, v)| {
                    let at = if path.is_empty() {
                        k.clone()
                    } else {
                        format!("{path}.{k}")
                    };
                    document_at(v, &at)
                })
            }
            node::Kind::Seq(items) => items
                .iter()
                .enumerate()
                .find_map(|(i, v)| document_at(v, &format!("{path}[{i}]"))),
            _ => None,
        }
    }
    fn walk(module: &node::Node, extracted: &[Extracted], out: &mut Vec<Gap>, depth: usize) {
        if depth > 64 {
            return;
        }
        if let Some(node::Kind::Seq(resources)) = module.get("resources").map(|r| &r.kind) {
            for r in resources {
                let address = r.get("address").and_then(|a| a.as_str()).unwrap_or("?");
                // A data source (`aws_iam_policy_document`) builds a document for a
                // resource that uses it; the resource is what is checked.
                let data = r.get("mode").and_then(|m| m.as_str()) == Some("data");
                if data || extracted.iter().any(|e| e.resource == address) {
                    continue;
                }
                let Some(at) = r.get("values").and_then(|v| document_at(v, "")) else {
                    continue;
                };
                let kind = r.get("type").and_then(|t| t.as_str()).unwrap_or("?");
                out.push(Gap {
                    what: address.to_string(),
                    line: r.line,
                    why: format!(
                        "`{address}` (`{kind}`) holds a policy document in `{at}` that hornbeam does not read, so it was not checked"
                    ),
                });
            }
        }
        if let Some(node::Kind::Seq(children)) = module.get("child_modules").map(|c| &c.kind) {
            for child in children {
                walk(child, extracted, out, depth + 1);
            }
        }
    }
    let mut out = Vec::new();
    if let Some(module) = root
        .get("planned_values")
        .and_then(|p| p.get("root_module"))
    {
        walk(module, extracted, &mut out, 0);
    }
    out
}

/// Judges one reference: (its path, `Ref` / `Fn::GetAtt` / `Fn::Sub`, the name, its
/// line, the names a `Fn::Sub` defines itself).
type Check<'a> = dyn Fn(&str, &str, &str, usize, &[String]) -> Result<(), TemplateError> + 'a;

/// CloudFormation rejects a template whose `Ref`, `Fn::GetAtt` or `Fn::Sub` names
/// something it does not define ("Unresolved resource dependencies"), wherever it is;
/// so does hornbeam, with the place, not only where a policy reads it.
fn undefined_references(root: &node::Node) -> Result<(), TemplateError> {
    let names = |section: &str| -> Vec<String> {
        match root.get(section).map(|s| &s.kind) {
            Some(node::Kind::Map(members)) => members.iter().map(|(k, _)| k.clone()).collect(),
            _ => Vec::new(),
        }
    };
    let (parameters, resources) = (names("Parameters"), names("Resources"));
    let defined = |name: &str, local: &[String]| {
        name.starts_with("AWS::")
            || parameters.iter().any(|p| p == name)
            || resources.iter().any(|r| r == name)
            || local.iter().any(|l| l == name)
    };
    let fail = |path: &str, line: usize, message: String| TemplateError::Invalid {
        path: path.to_string(),
        line,
        message,
    };
    fn walk(
        n: &node::Node,
        path: &str,
        check: &Check<'_>,
        depth: usize,
    ) -> Result<(), TemplateError> {
        if depth > 64 {
            return Ok(());
        }
        match &n.kind {
            node::Kind::Map(members) => {
                for (k, v) in members {
                    let at = format!("{path}/{k}");
                    match (k.as_str(), &v.kind) {
                        ("Ref", node::Kind::Str(name)) => check(&at, "Ref", name, v.line, &[])?,
                        ("Fn::GetAtt", node::Kind::Str(target)) => {
                            let name = target.split('.').next().unwrap_or(target);
                            check(&at, "Fn::GetAtt", name, v.line, &[])?;
                        }
                        ("Fn::GetAtt", node::Kind::Seq(items)) => {
                            if let Some(name) = items.first().and_then(|i| i.as_str()) {
                                check(&at, "Fn::GetAtt", name, v.line, &[])?;
                            }
                        }
                        ("Fn::Sub", node::Kind::Str(text)) => {
                            for name in sub_names(text) {
                                check(&at, "Fn::Sub", &name, v.line, &[])?;
                            }
                        }
                        ("Fn::Sub", node::Kind::Seq(items)) => {
                            let local: Vec<String> = match items.get(1).map(|m| &m.kind) {
                                Some(node::Kind::Map(vars)) => {
                                    vars.iter().map(|(k, _)| k.clone()).collect()
                                }
                                _ => Vec::new(),
                            };
                            if let Some(text) = items.first().and_then(|i| i.as_str()) {
                                for name in sub_names(text) {
                                    check(&at, "Fn::Sub", &name, v.line, &local)?;
                                }
                            }
                        }
                        _ => {}
                    }
                    walk(v, &at, check, depth + 1)?;
                }
            }
            node::Kind::Seq(items) => {
                for (i, v) in items.iter().enumerate() {
                    walk(v, &format!("{path}/{i}"), check, depth + 1)?;
                }
            }
            _ => {}
        }
        Ok(())
    }
    /// The names `${Name}` / `${Name.Attr}` of a `Fn::Sub` string (`${!x}` is literal).
    fn sub_names(text: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            let after = &rest[start + 2..];
            let Some(end) = after.find('}') else { break };
            let inner = &after[..end];
            if !inner.starts_with('!') {
                let name = inner.split('.').next().unwrap_or(inner).trim();
                out.push(name.to_string());
            }
            rest = &after[end + 1..];
        }
        out
    }
    for section in ["Resources", "Outputs"] {
        let Some(node) = root.get(section) else {
            continue;
        };
        let check = |path: &str, how: &str, name: &str, line: usize, local: &[String]| {
            if defined(name, local) {
                Ok(())
            } else {
                // The messages the policy renderer gives for the same mistakes.
                let message = match how {
                    "Ref" => format!(
                        "`Ref {name}`: no parameter, resource or pseudo parameter is named `{name}`"
                    ),
                    "Fn::GetAtt" => format!("`Fn::GetAtt {name}`: no resource is named `{name}`"),
                    _ if name.contains(':') => format!(
                        "`Fn::Sub` variable `{name}` is not a parameter, resource or pseudo parameter; an IAM policy variable is written `${{!{name}}}`"
                    ),
                    _ => format!(
                        "`Fn::Sub` variable `{name}` is not a parameter, resource or pseudo parameter"
                    ),
                };
                Err(fail(path, line, message))
            }
        };
        walk(node, section, &check, 0)?;
    }
    Ok(())
}

/// Resources that hold a policy document (an object with `Statement`, anywhere in their
/// properties) of which nothing was extracted: a type hornbeam does not read, or a
/// property it does not know. Each is a gap, a blocking POLICY_NOT_CHECKED finding,
/// never silence.
fn unread_documents(
    root: &node::Node,
    extracted: &[Extracted],
    never_deployed: &std::collections::BTreeSet<String>,
) -> Vec<Gap> {
    fn statement_at(n: &node::Node, path: &str) -> Option<(String, usize)> {
        match &n.kind {
            node::Kind::Map(members) => {
                if members.iter().any(|(k, _)| k == "Statement") {
                    return Some((path.to_string(), n.line));
                }
                members
                    .iter()
                    .find_map(|(k, v)| statement_at(v, &format!("{path}.{k}")))
            }
            node::Kind::Seq(items) => items
                .iter()
                .enumerate()
                .find_map(|(i, v)| statement_at(v, &format!("{path}[{i}]"))),
            _ => None,
        }
    }
    let Some(node::Kind::Map(resources)) = root.get("Resources").map(|r| &r.kind) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (name, resource) in resources {
        // Read, or never created (its `Condition` is false in every resolution).
        if extracted.iter().any(|e| e.resource == *name) || never_deployed.contains(name) {
            continue;
        }
        let kind = resource.get("Type").and_then(|t| t.as_str()).unwrap_or("?");
        // A module's resources are the module's (CloudFormation registry), not this
        // file's.
        if kind.ends_with("::MODULE") {
            out.push(Gap {
                what: name.clone(),
                line: resource.line,
                why: format!(
                    "`{name}` is a module (`{kind}`): the resources and policies it makes are defined in the CloudFormation registry, not in this file, and were not checked; check the processed template (`aws cloudformation get-template --template-stage Processed`)"
                ),
            });
            continue;
        }
        // A nested stack's resources and policies are another template's: a gate that
        // passes this one has not seen them.
        if NESTED_STACKS.contains(&kind) {
            let location = resource
                .get("Properties")
                .and_then(|p| p.get("TemplateURL").or_else(|| p.get("Location")))
                .and_then(|u| u.as_str())
                .map(|u| format!(", template `{u}`"))
                .unwrap_or_default();
            out.push(Gap {
                what: name.clone(),
                line: resource.line,
                why: format!(
                    "`{name}` is a nested stack (`{kind}`{location}): its resources and policies are in another template, which was not checked; gate that template too (`cdk synth` writes nested stacks as `*.nested.template.json`)"
                ),
            });
            continue;
        }
        let Some(properties) = resource.get("Properties") else {
            continue;
        };
        if let Some((path, line)) = statement_at(properties, "Properties") {
            out.push(Gap {
                what: name.clone(),
                line,
                why: format!(
                    "`{name}` (`{kind}`) holds a policy document at `{path}` that hornbeam does not read, so it was not checked"
                ),
            });
        }
    }
    out
}

/// The condition each Lambda permission field becomes, in [`lambda_policy`]'s order:
/// source ARN, source account, principal organization, function URL auth type.
const LAMBDA_CONDITIONS: [(&str, &str); 4] = [
    ("ArnLike", "aws:SourceArn"),
    ("StringEquals", "aws:SourceAccount"),
    ("StringEquals", "aws:PrincipalOrgID"),
    ("StringEquals", "lambda:FunctionUrlAuthType"),
];

/// The resource policy a Lambda permission adds to its function. `function` is a name
/// or an ARN; `fields` follow [`LAMBDA_CONDITIONS`].
pub(crate) fn lambda_policy(
    settings: &Settings,
    principal: Val,
    action: Val,
    function: Val,
    fields: [Option<Val>; 4],
) -> Val {
    let resource = match function.known_str() {
        Some(f) if f.starts_with("arn:") => function,
        _ => {
            let mut parts = vec![Part::Lit(format!(
                "arn:{}:lambda:{}:{}:function:",
                settings.partition, settings.region, settings.account_id
            ))];
            match function {
                Val::Str(p) => parts.extend(p),
                other => parts.push(Part::Unknown(format!("the function name is `{other}`"))),
            }
            Val::Str(parts)
        }
    };
    let principal = match principal.known_str().as_deref() {
        Some("*") => Val::lit("*"),
        Some(p) if p.ends_with(".amazonaws.com") || p.ends_with(".amazonaws.com.cn") => {
            Val::Map(vec![("Service".into(), principal)])
        }
        _ => Val::Map(vec![("AWS".into(), principal)]),
    };
    let mut conditions: Vec<(String, Val)> = Vec::new();
    for ((op, key), v) in LAMBDA_CONDITIONS.into_iter().zip(fields) {
        let Some(v) = v else { continue };
        match conditions.iter_mut().find(|(o, _)| o == op) {
            Some((_, Val::Map(keys))) => keys.push((key.into(), v)),
            _ => conditions.push((op.into(), Val::Map(vec![(key.into(), v)]))),
        }
    }
    let mut statement = vec![
        ("Effect".to_string(), Val::lit("Allow")),
        ("Principal".to_string(), principal),
        ("Action".to_string(), action),
        ("Resource".to_string(), resource),
    ];
    if !conditions.is_empty() {
        statement.push(("Condition".into(), Val::Map(conditions)));
    }
    Val::Map(vec![
        ("Version".into(), Val::lit("2012-10-17")),
        ("Statement".into(), Val::List(vec![Val::Map(statement)])),
    ])
}
