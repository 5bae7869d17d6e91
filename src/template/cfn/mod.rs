//! CloudFormation: the policies of a template, with intrinsic functions resolved offline.
//!
//! Pseudo parameters come from [`Settings`]; parameters from `--parameters`, else their
//! `Default`, else they are unknown. A `Ref`/`Fn::GetAtt` to a resource of a modelled type
//! gives a plausible name or ARN of that type (its name property when set, otherwise
//! `STACK-LogicalId`); other resource types and attributes are unknown. A template
//! condition that depends on an unknown value is tried both ways: the template is
//! resolved once per combination and each policy records the assumptions it needs.
//!
//! Here: the template's sections and the resolutions under condition assumptions. The
//! resource catalogue is catalog.rs, intrinsic functions intrinsics.rs, template
//! conditions conditions.rs, and the policies and principals a resolution finds
//! extract.rs.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::node::{Kind as NKind, Node};
use super::{Found, Part, PrincipalFound, Settings, TemplateError, Val};

/// The most template-condition combinations tried.
const MAX_VARIANTS: usize = 64;

/// A known string argument; an unknown one makes the whole value an unknown string.
macro_rules! known_or_return {
    ($run:expr, $node:expr, $path:expr, $what:expr) => {
        match $run.known_string($node, $path, $what)? {
            Ok(s) => s,
            Err(why) => return Ok(Val::Str(vec![Part::Unknown(why)])),
        }
    };
}

mod catalog;
mod conditions;
mod extract;
pub(crate) mod foreach;
mod intrinsics;
pub(crate) mod sam;

struct Template<'a> {
    settings: &'a Settings,
    /// What creates resources the template refers to but does not define (a transform
    /// hornbeam does not run, a module): a reference to an undefined name is then an
    /// unknown value, not an error.
    open: Option<&'a str>,
    params: HashMap<&'a str, Val>,
    mappings: Option<&'a Node>,
    conditions: HashMap<&'a str, &'a Node>,
    resources: Vec<(&'a str, &'a Node)>,
    /// The conditional resources some resolution deployed (their `Condition` held).
    deployed: RefCell<BTreeSet<String>>,
}

/// One resolution of the template under assumptions on undecidable conditions.
struct Resolver<'t, 'a> {
    t: &'t Template<'a>,
    /// The resources this resolution reads.
    focus: Focus<'a>,
    assume: &'t BTreeMap<String, bool>,
    /// Undecidable conditions read without an assumption (taken as false), in order.
    defaulted: RefCell<Vec<String>>,
    /// Conditions being evaluated (cycle detection).
    evaluating: RefCell<Vec<String>>,
    /// Resources whose name is being resolved (cycle detection).
    naming: RefCell<Vec<String>>,
}

fn invalid(path: &str, node: &Node, message: impl Into<String>) -> TemplateError {
    TemplateError::Invalid {
        path: path.to_string(),
        line: node.line,
        message: message.into(),
    }
}

/// One resolution: the condition values it assumed and the policies it found.
type Resolution = (Vec<(String, bool)>, Vec<Found>);

/// Which resources a resolution reads. A resolution reads a template condition only
/// when it needs it (lazily), so reading fewer resources branches on fewer conditions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Focus<'a> {
    /// Every resource: its policies and its principals.
    All,
    /// One resource's policies.
    Resource(&'a str),
    /// The principals: the IAM resources that make up their contexts.
    Principals,
}

/// The resource types the principals' contexts are made of (`Resolver::principals`).
const PRINCIPAL_PARTS: &[&str] = &[
    "AWS::IAM::Role",
    "AWS::IAM::User",
    "AWS::IAM::Group",
    "AWS::IAM::ManagedPolicy",
    "AWS::IAM::Policy",
    "AWS::IAM::RolePolicy",
    "AWS::IAM::UserPolicy",
    "AWS::IAM::GroupPolicy",
    "AWS::IAM::UserToGroupAddition",
    "AWS::SSO::PermissionSet",
];

impl Focus<'_> {
    fn reads(&self, id: &str, ty: &str) -> bool {
        match self {
            Focus::All => true,
            Focus::Resource(r) => *r == id,
            Focus::Principals => PRINCIPAL_PARTS.contains(&ty),
        }
    }
}

/// The resolutions of one focus: the policies of each, and the principals of each.
struct Resolutions {
    runs: Vec<Resolution>,
    principals: Vec<Vec<PrincipalFound>>,
}

/// Every resolution of what `focus` reads: one per combination of the undecidable
/// conditions it reads (each defaulted condition is tried true, the earlier ones false);
/// `None` when they are more than [`MAX_VARIANTS`].
fn resolve<'a>(t: &Template<'a>, focus: Focus<'a>) -> Result<Option<Resolutions>, TemplateError> {
    let mut runs: Vec<Resolution> = Vec::new();
    let mut principal_runs: Vec<Vec<PrincipalFound>> = Vec::new();
    let mut pending = vec![BTreeMap::new()];
    while let Some(assume) = pending.pop() {
        if runs.len() >= MAX_VARIANTS {
            return Ok(None);
        }
        let run = Resolver {
            t,
            focus,
            assume: &assume,
            defaulted: RefCell::new(Vec::new()),
            evaluating: RefCell::new(Vec::new()),
            naming: RefCell::new(Vec::new()),
        };
        let found = match focus {
            Focus::Principals => Vec::new(),
            _ => run.policies()?,
        };
        if !matches!(focus, Focus::Resource(_)) {
            principal_runs.push(run.principals()?);
        }
        let defaulted = run.defaulted.into_inner();
        for (i, c) in defaulted.iter().enumerate() {
            let mut next = assume.clone();
            for earlier in &defaulted[..i] {
                next.insert(earlier.clone(), false);
            }
            next.insert(c.clone(), true);
            pending.push(next);
        }
        let mut full: Vec<(String, bool)> = assume.into_iter().collect();
        full.extend(defaulted.into_iter().map(|c| (c, false)));
        full.sort();
        runs.push((full, found));
    }
    Ok(Some(Resolutions {
        runs,
        principals: principal_runs,
    }))
}

/// What [`find`] reads from a template.
#[derive(Debug)]
pub struct Reading {
    pub found: Vec<Found>,
    pub principals: Vec<PrincipalFound>,
    /// The resources with a `Condition` that no resolution deploys: what they hold is
    /// never created.
    pub never_deployed: BTreeSet<String>,
}

/// Every policy of a CloudFormation template, and its principals.
///
/// The whole template is resolved once per combination of the undecidable conditions
/// it reads. When those are more than [`MAX_VARIANTS`], each resource is resolved on its
/// own (its policies depend only on the conditions it reads), and the principals once
/// over the IAM resources their contexts are made of (encodings/templates.md).
pub fn find(
    root: &Node,
    settings: &Settings,
    open: Option<&str>,
) -> Result<Reading, TemplateError> {
    let mut t = Template::new(root, settings)?;
    t.open = open;
    let never_deployed = |t: &Template| -> BTreeSet<String> {
        let deployed = t.deployed.borrow();
        t.resources
            .iter()
            .filter(|(id, r)| r.get("Condition").is_some() && !deployed.contains(*id))
            .map(|(id, _)| id.to_string())
            .collect()
    };
    if let Some(all) = resolve(&t, Focus::All)? {
        return Ok(Reading {
            found: merge_runs(all.runs),
            principals: super::merge_principals(all.principals),
            never_deployed: never_deployed(&t),
        });
    }
    let too_many = |what: String| {
        TemplateError::Shape(format!(
            "{what} depend on unknown parameters in more than {MAX_VARIANTS} combinations; give their values with --parameters"
        ))
    };
    let mut found = Vec::new();
    for &(id, _) in &t.resources {
        let Some(one) = resolve(&t, Focus::Resource(id))? else {
            return Err(too_many(format!("the conditions of resource `{id}`")));
        };
        found.extend(merge_runs(one.runs));
    }
    let Some(iam) = resolve(&t, Focus::Principals)? else {
        return Err(too_many(
            "the conditions of the template's IAM roles, users, groups and policies".into(),
        ));
    };
    Ok(Reading {
        found,
        principals: super::merge_principals(iam.principals),
        never_deployed: never_deployed(&t),
    })
}

fn merge_runs(runs: Vec<Resolution>) -> Vec<Found> {
    let total = runs.len();
    let mut out: Vec<(Found, usize)> = Vec::new();
    for (assumptions, found) in runs {
        for mut f in found {
            let same = out.iter_mut().find(|(o, _)| {
                o.resource == f.resource
                    && o.policy_name == f.policy_name
                    && o.document == f.document
            });
            match same {
                Some((_, n)) => *n += 1,
                None => {
                    f.assumptions = assumptions.clone();
                    out.push((f, 1));
                }
            }
        }
    }
    out.into_iter()
        .map(|(mut f, n)| {
            if n == total {
                f.assumptions.clear();
            }
            f
        })
        .collect()
}

/// The value of every parameter the template declares: `--parameters` (the last one
/// given for a name wins), else its `Default`, else unknown; a `CommaDelimitedList` or
/// `List<...>` parameter is a list. A `--parameters` name the template does not declare,
/// or a value outside `AllowedValues`, is an error.
pub(super) fn parameters<'a>(
    root: &'a Node,
    settings: &Settings,
) -> Result<HashMap<&'a str, Val>, TemplateError> {
    let mut params = HashMap::new();
    let declared: Vec<(&str, &Node)> = match root.get("Parameters").map(|p| &p.kind) {
        Some(NKind::Map(ps)) => ps.iter().map(|(n, v)| (n.as_str(), v)).collect(),
        _ => Vec::new(),
    };
    for (given, _) in &settings.parameters {
        if !declared.iter().any(|(n, _)| n == given) {
            return Err(TemplateError::Shape(format!(
                "--parameters `{given}`: the template has no parameter `{given}`; it declares {}",
                if declared.is_empty() {
                    "none".to_string()
                } else {
                    declared
                        .iter()
                        .map(|(n, _)| format!("`{n}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                }
            )));
        }
    }
    for (name, spec) in declared {
        let ty = spec.get("Type").and_then(Node::as_str).unwrap_or("String");
        let list = ty == "CommaDelimitedList" || ty.starts_with("List<");
        let given = settings
            .parameters
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone());
        if let (Some(v), Some(NKind::Seq(allowed))) =
            (&given, spec.get("AllowedValues").map(|a| &a.kind))
        {
            let allowed: Vec<String> = allowed
                .iter()
                .filter_map(|a| match &a.kind {
                    NKind::Str(s) | NKind::Number(s) => Some(s.clone()),
                    NKind::Bool(b) => Some(b.to_string()),
                    _ => None,
                })
                .collect();
            let values: Vec<&str> = if list {
                v.split(',').map(str::trim).collect()
            } else {
                vec![v.as_str()]
            };
            if let Some(bad) = values.iter().find(|x| !allowed.iter().any(|a| a == *x)) {
                return Err(TemplateError::Shape(format!(
                    "--parameters `{name}={v}`: `{bad}` is not one of the parameter's AllowedValues {}",
                    allowed
                        .iter()
                        .map(|a| format!("`{a}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )));
            }
        }
        let default = spec.get("Default").and_then(|d| match &d.kind {
            NKind::Str(s) | NKind::Number(s) => Some(s.clone()),
            NKind::Bool(b) => Some(b.to_string()),
            NKind::Seq(items) if list => Some(
                items
                    .iter()
                    .filter_map(|i| match &i.kind {
                        NKind::Str(s) | NKind::Number(s) => Some(s.clone()),
                        _ => None,
                    })
                    .collect::<Vec<_>>()
                    .join(","),
            ),
            _ => None,
        });
        let value = match given.or(default) {
            Some(v) if list => Val::List(v.split(',').map(|s| Val::lit(s.trim())).collect()),
            Some(v) => Val::lit(v),
            None => {
                let why =
                    format!("parameter `{name}` has no value; give `--parameters {name}=VALUE`");
                if list {
                    Val::Unknown(why)
                } else {
                    Val::Str(vec![Part::Unknown(why)])
                }
            }
        };
        params.insert(name, value);
    }
    Ok(params)
}

impl<'a> Template<'a> {
    fn new(root: &'a Node, settings: &'a Settings) -> Result<Self, TemplateError> {
        let NKind::Map(_) = &root.kind else {
            return Err(TemplateError::Shape(format!(
                "a CloudFormation template is a mapping with `Resources`, found {}",
                root.type_name()
            )));
        };
        let Some(resources) = root.get("Resources") else {
            return Err(TemplateError::Shape(
                "the template has no `Resources` section; give a CloudFormation template or a Terraform plan (`terraform show -json`)".into(),
            ));
        };
        let NKind::Map(resource_list) = &resources.kind else {
            return Err(invalid(
                "Resources",
                resources,
                format!(
                    "expected a mapping of resources, found {}",
                    resources.type_name()
                ),
            ));
        };
        let params = parameters(root, settings)?;
        let conditions = match root.get("Conditions").map(|c| &c.kind) {
            Some(NKind::Map(cs)) => cs.iter().map(|(n, v)| (n.as_str(), v)).collect(),
            _ => HashMap::new(),
        };
        let resources = resource_list.iter().map(|(n, v)| (n.as_str(), v)).collect();
        Ok(Template {
            settings,
            open: None,
            params,
            mappings: root.get("Mappings"),
            conditions,
            resources,
            deployed: RefCell::new(BTreeSet::new()),
        })
    }

    fn resource(&self, id: &str) -> Option<&'a Node> {
        self.resources
            .iter()
            .find(|(n, _)| *n == id)
            .map(|(_, r)| *r)
    }
}

/// Runs `f` with a resolver over `template` (YAML or JSON) and no assumptions.
#[cfg(test)]
fn with_resolver<T>(template: &str, f: impl FnOnce(&Resolver) -> T) -> T {
    let root = super::node::load(template).expect("a test template");
    let settings = Settings::default();
    let t = Template::new(&root, &settings).expect("a valid test template");
    let assume = BTreeMap::new();
    let resolver = Resolver {
        t: &t,
        focus: Focus::All,
        assume: &assume,
        defaulted: RefCell::new(Vec::new()),
        evaluating: RefCell::new(Vec::new()),
        naming: RefCell::new(Vec::new()),
    };
    f(&resolver)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_condition_on_an_unknown_parameter_is_resolved_both_ways() {
        let root = super::super::node::load(
            r#"
Parameters:
  Stage: {Type: String}
Conditions:
  Prod: !Equals [!Ref Stage, prod]
Resources:
  Open:
    Type: AWS::S3::BucketPolicy
    Condition: Prod
    Properties:
      Bucket: b
      PolicyDocument:
        Statement: [{Effect: Allow, Principal: "*", Action: "s3:GetObject", Resource: "*"}]
"#,
        )
        .unwrap();
        let found = find(&root, &Settings::default(), None).unwrap().found;
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].assumptions, [("Prod".to_string(), true)]);
    }

    /// Seven resources, each with its own condition on an unknown parameter: 128
    /// combinations for the whole template, two for each resource (issue 29).
    fn seven_conditions(shared: bool) -> String {
        let mut text = String::from("Parameters:\n");
        for i in 0..7 {
            text += &format!("  P{i}: {{Type: String}}\n");
        }
        text += "Conditions:\n";
        for i in 0..7 {
            text += &format!("  C{i}: !Equals [!Ref P{i}, x]\n");
        }
        text += "Resources:\n";
        for i in 0..7 {
            // `shared`: every policy reads every condition, one statement each.
            let effects: Vec<String> = if shared {
                (0..7).map(|j| format!("!If [C{j}, Allow, Deny]")).collect()
            } else {
                vec!["Allow".into()]
            };
            let statements: Vec<String> = effects
                .iter()
                .map(|e| {
                    format!(
                        "{{Effect: {e}, Principal: '*', Action: 'sqs:SendMessage', Resource: '*'}}"
                    )
                })
                .collect();
            text += &format!(
                "  R{i}:\n    Type: AWS::SQS::QueuePolicy\n    Condition: C{i}\n    Properties:\n      Queues: [q]\n      PolicyDocument: {{Statement: [{}]}}\n",
                statements.join(", ")
            );
        }
        text
    }

    #[test]
    fn many_conditions_are_resolved_resource_by_resource() {
        let mut text = seven_conditions(false);
        text += "  Worker:\n    Type: AWS::IAM::Role\n    Properties:\n      AssumeRolePolicyDocument: {Statement: []}\n      Policies: [{PolicyName: inline, PolicyDocument: {Statement: []}}]\n";
        let root = super::super::node::load(&text).unwrap();
        let Reading {
            found, principals, ..
        } = find(&root, &Settings::default(), None).unwrap();
        assert_eq!(found.len(), 9);
        for (i, f) in found.iter().take(7).enumerate() {
            assert_eq!(f.resource, format!("R{i}"));
            assert_eq!(f.assumptions, [(format!("C{i}"), true)], "{f:?}");
        }
        // The principals are resolved over the IAM resources alone.
        let names: Vec<&str> = principals.iter().map(|p| p.resource.as_str()).collect();
        assert_eq!(names, ["Worker"]);
    }

    #[test]
    fn a_resource_that_reads_too_many_conditions_is_refused_by_name() {
        let root = super::super::node::load(&seven_conditions(true)).unwrap();
        let e = find(&root, &Settings::default(), None)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("resource `R0`") && e.contains("--parameters"),
            "{e}"
        );
    }
}
