//! SAM (`Transform: AWS::Serverless-2016-10-31`), expanded offline into the CloudFormation
//! resources AWS's translator (aws-sam-translator) makes of it, as far as they carry IAM:
//! execution roles and their policies, Lambda permissions, function URLs, event and
//! CodeDeploy roles (encodings/templates.md, "SAM"). Generated resources keep the
//! logical IDs the translator gives them (`MyFunctionRole`, `MyFunctionMyEventPermission`),
//! so findings name what the processed template shows.
//!
//! What is not expanded (an API's `Auth.ResourcePolicy`, connectors, event types that
//! create queues or roles hornbeam does not model) is returned as [`Unexpanded`], naming
//! the resource and property; the caller reports it as not checked. What the translator
//! itself rejects is a template error.

use std::collections::HashMap;

use super::super::node::{Kind, Node};
use super::super::{Settings, TemplateError, Val};

mod api;
mod connectors;
mod events;
mod function;
pub mod templates;

/// The transform's name.
pub const TRANSFORM: &str = "AWS::Serverless-2016-10-31";

const PREFIX: &str = "AWS::Serverless::";

/// A SAM construct left unexpanded: the resource and property, line and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unexpanded {
    pub what: String,
    pub line: usize,
    pub why: String,
}

/// The properties `Globals` may set per resource type (the translator's list, as far as
/// hornbeam reads them; others are accepted and ignored like any non-IAM property).
const GLOBAL_TYPES: &[&str] = &[
    "Function",
    "Api",
    "HttpApi",
    "SimpleTable",
    "StateMachine",
    "LayerVersion",
    "CapacityProvider",
    "MicroVMImage",
];

/// Function properties `Globals` may not set (the translator refuses them).
const NOT_GLOBAL_FUNCTION: &[&str] = &["Role", "Policies", "FunctionName", "Events"];

/// Attributes the translator copies from a SAM resource onto what it generates.
const PASSTHROUGH: &[&str] = &["Condition", "DeletionPolicy", "UpdateReplacePolicy"];

fn invalid(path: &str, node: &Node, message: impl Into<String>) -> TemplateError {
    super::invalid(path, node, message)
}

/// One SAM resource being expanded: its id, merged properties and attributes.
pub(super) struct Source<'n> {
    pub id: String,
    pub node: &'n Node,
    pub props: Node,
    /// `Resources/ID/Properties`
    pub path: String,
}

impl Source<'_> {
    /// The resource's `Condition`, copied onto what it generates.
    pub fn attributes(&self) -> Vec<(&'static str, Node)> {
        PASSTHROUGH
            .iter()
            .filter_map(|a| self.node.get(a).map(|v| (*a, v.clone())))
            .collect()
    }

    pub fn prop(&self, name: &str) -> Option<&Node> {
        self.props.get(name).filter(|n| !is_no_value(n))
    }
}

/// The expansion under way.
pub(super) struct Sam<'a> {
    settings: &'a Settings,
    params: HashMap<&'a str, Val>,
    globals: HashMap<String, &'a Node>,
    /// Generated resources, in order.
    pub out: Vec<(String, Node)>,
    /// Conditions the translator adds (`NOT{Condition}` for a conditional role).
    pub conditions: Vec<(String, Node)>,
    pub unexpanded: Vec<Unexpanded>,
    /// The implicit APIs the functions' events need (`ServerlessRestApi`, ...): line.
    implicit_rest: Option<usize>,
    implicit_http: Option<usize>,
    /// Functions with an enabled `DeploymentPreference` without its own role: their
    /// `Condition`, when they have one.
    codedeploy: Vec<Option<Node>>,
    /// Explicit REST APIs' literal `StageName`s, by id.
    stage_names: HashMap<String, String>,
    /// The routes functions' and state machines' events add to each REST API, by id.
    routes: HashMap<String, Vec<api::Route>>,
    /// Connectors, expanded after everything else (connectors.rs).
    connectors: Vec<connectors::Pending>,
}

/// The template with its SAM resources expanded, `Globals` removed and the transform
/// taken out of `Transform`, and what was left unexpanded.
pub fn expand(root: &Node, settings: &Settings) -> Result<(Node, Vec<Unexpanded>), TemplateError> {
    let Kind::Map(sections) = &root.kind else {
        return Ok((root.clone(), Vec::new()));
    };
    let mut sam = Sam {
        settings,
        params: super::parameters(root, settings)?,
        globals: globals(root)?,
        out: Vec::new(),
        conditions: Vec::new(),
        unexpanded: Vec::new(),
        implicit_rest: None,
        implicit_http: None,
        codedeploy: Vec::new(),
        stage_names: HashMap::new(),
        routes: HashMap::new(),
        connectors: Vec::new(),
    };
    if let Some(resources) = root.get("Resources") {
        let Kind::Map(members) = &resources.kind else {
            return Err(invalid("Resources", resources, "expected a mapping"));
        };
        // The translator's first check (a loop of the language extensions listed after
        // SAM in `Transform` is still a list here).
        if let Some((id, r)) = members
            .iter()
            .find(|(_, r)| !matches!(r.kind, Kind::Map(_)))
        {
            return Err(invalid(
                &format!("Resources/{id}"),
                r,
                format!(
                    "SAM requires every resource to be a mapping; `{id}` is {} (list `AWS::LanguageExtensions` before `{TRANSFORM}` in `Transform` when it is a loop)",
                    r.type_name()
                ),
            ));
        }
        let mut apis = vec!["ServerlessRestApi".to_string()];
        for (id, res) in members {
            if res.get("Type").and_then(Node::as_str) == Some("AWS::Serverless::Api") {
                apis.push(id.clone());
            }
        }
        for api in apis {
            let routes = Sam::event_routes(members, &api);
            sam.routes.insert(api, routes);
        }
        for (id, res) in members {
            if res.get("Type").and_then(Node::as_str) == Some("AWS::Serverless::Api")
                && let Some(stage) = res
                    .get("Properties")
                    .and_then(|p| p.get("StageName"))
                    .and_then(|s| sam.literal(s))
            {
                sam.stage_names.insert(id.clone(), stage);
            }
        }
        for (id, res) in members {
            sam.resource(id, res)?;
        }
    }
    sam.implicit_apis();
    sam.codedeploy_role();
    sam.expand_connectors()?;
    let mut out: Vec<(String, Node)> = Vec::with_capacity(sections.len());
    for (name, section) in sections {
        match name.as_str() {
            "Globals" => {}
            "Transform" => {
                if let Some(rest) = without_transform(section) {
                    out.push((name.clone(), rest));
                }
            }
            "Resources" => out.push((
                name.clone(),
                Node {
                    line: section.line,
                    kind: Kind::Map(std::mem::take(&mut sam.out)),
                },
            )),
            "Conditions" => {
                let mut section = section.clone();
                if let Kind::Map(m) = &mut section.kind {
                    m.append(&mut sam.conditions);
                }
                out.push((name.clone(), section));
            }
            _ => out.push((name.clone(), section.clone())),
        }
    }
    if !sam.conditions.is_empty() {
        out.push((
            "Conditions".into(),
            Node {
                line: root.line,
                kind: Kind::Map(std::mem::take(&mut sam.conditions)),
            },
        ));
    }
    Ok((
        Node {
            line: root.line,
            kind: Kind::Map(out),
        },
        sam.unexpanded,
    ))
}

/// `Transform` without SAM: `None` when nothing else is left.
fn without_transform(t: &Node) -> Option<Node> {
    match &t.kind {
        Kind::Str(s) if s == TRANSFORM => None,
        Kind::Seq(items) => {
            let rest: Vec<Node> = items
                .iter()
                .filter(|i| i.as_str() != Some(TRANSFORM))
                .cloned()
                .collect();
            (!rest.is_empty()).then(|| Node::seq(t.line, rest))
        }
        _ => Some(t.clone()),
    }
}

/// `Globals`, by resource type (`Function`, `Api`, ...), checked as the translator does.
fn globals(root: &Node) -> Result<HashMap<String, &Node>, TemplateError> {
    let mut out = HashMap::new();
    let Some(g) = root.get("Globals") else {
        return Ok(out);
    };
    let Kind::Map(types) = &g.kind else {
        return Err(invalid("Globals", g, "`Globals` must be a mapping"));
    };
    for (ty, props) in types {
        let path = format!("Globals/{ty}");
        if !GLOBAL_TYPES.contains(&ty.as_str()) {
            return Err(invalid(
                &path,
                props,
                format!(
                    "`{ty}` is not a resource type `Globals` supports; it supports {}",
                    GLOBAL_TYPES.join(", ")
                ),
            ));
        }
        let Kind::Map(members) = &props.kind else {
            return Err(invalid(&path, props, "expected a mapping of properties"));
        };
        if ty == "Function"
            && let Some((name, n)) = members
                .iter()
                .find(|(n, _)| NOT_GLOBAL_FUNCTION.contains(&n.as_str()))
        {
            return Err(invalid(
                &format!("{path}/{name}"),
                n,
                format!("`{name}` cannot be set in `Globals`; set it on each function"),
            ));
        }
        out.insert(ty.clone(), props);
    }
    Ok(out)
}

/// The translator's merge of a global value into a local one: mappings merge key by
/// key, lists concatenate (global first), anything else (an intrinsic function
/// included) takes the local value.
fn merge(global: &Node, local: &Node, path: &str) -> Node {
    match (&global.kind, &local.kind) {
        (Kind::Map(g), Kind::Map(l)) if !is_intrinsic(global) && !is_intrinsic(local) => {
            let mut out = g.clone();
            for (k, v) in l {
                match out.iter_mut().find(|(n, _)| n == k) {
                    Some((_, existing)) => *existing = merge(existing, v, &format!("{path}.{k}")),
                    None => out.push((k.clone(), v.clone())),
                }
            }
            Node {
                line: local.line,
                kind: Kind::Map(out),
            }
        }
        (Kind::Seq(g), Kind::Seq(l)) if path != "Function.Architectures" => Node {
            line: local.line,
            kind: Kind::Seq(g.iter().chain(l).cloned().collect()),
        },
        _ => local.clone(),
    }
}

/// A mapping of one key that is `Ref`, `Condition` or `Fn::*`.
pub(super) fn is_intrinsic(n: &Node) -> bool {
    matches!(&n.kind, Kind::Map(m) if m.len() == 1 && (m[0].0 == "Ref" || m[0].0 == "Condition" || m[0].0.starts_with("Fn::")))
}

pub(super) fn is_no_value(n: &Node) -> bool {
    matches!(&n.kind, Kind::Map(m) if m.len() == 1 && m[0].0 == "Ref" && m[0].1.as_str() == Some("AWS::NoValue"))
}

/// A CloudFormation resource: `Type`, the attributes given (`Condition`, ...) and
/// `Properties`.
pub(super) fn resource_node(
    line: usize,
    ty: &str,
    attributes: Vec<(&str, Node)>,
    props: Vec<(&str, Node)>,
) -> Node {
    let mut members = vec![("Type", Node::str(line, ty))];
    members.extend(attributes);
    members.push(("Properties", Node::map(line, props)));
    Node::map(line, members)
}

/// `{"Ref": id}`
pub(super) fn reference(line: usize, id: &str) -> Node {
    Node::map(line, vec![("Ref", Node::str(line, id))])
}

/// `{"Fn::GetAtt": [id, attribute]}`
pub(super) fn get_att(line: usize, id: &str, attribute: &str) -> Node {
    Node::map(
        line,
        vec![(
            "Fn::GetAtt",
            Node::seq(line, vec![Node::str(line, id), Node::str(line, attribute)]),
        )],
    )
}

/// `{"Fn::Sub": text}` or `{"Fn::Sub": [text, {vars}]}`
pub(super) fn sub(line: usize, text: &str, vars: Vec<(&str, Node)>) -> Node {
    let arg = if vars.is_empty() {
        Node::str(line, text)
    } else {
        Node::seq(line, vec![Node::str(line, text), Node::map(line, vars)])
    };
    Node::map(line, vec![("Fn::Sub", arg)])
}

/// A policy document of `statements`, with `Version` 2012-10-17 or (as the translator
/// writes its event and destination policies) without.
pub(super) fn document(line: usize, version: bool, statements: Vec<Node>) -> Node {
    let mut members = Vec::new();
    if version {
        members.push(("Version", Node::str(line, "2012-10-17")));
    }
    members.push(("Statement", Node::seq(line, statements)));
    Node::map(line, members)
}

/// A policy document of one Allow statement, without `Version`.
pub(super) fn allow(line: usize, actions: Node, resource: Node) -> Node {
    let statement = Node::map(
        line,
        vec![
            ("Action", actions),
            ("Effect", Node::str(line, "Allow")),
            ("Resource", resource),
        ],
    );
    document(line, false, vec![statement])
}

/// A trust policy letting `service` assume the role.
pub(super) fn service_trust(line: usize, service: &str) -> Node {
    let principal = Node::map(
        line,
        vec![("Service", Node::seq(line, vec![Node::str(line, service)]))],
    );
    let statement = Node::map(
        line,
        vec![
            (
                "Action",
                Node::seq(line, vec![Node::str(line, "sts:AssumeRole")]),
            ),
            ("Effect", Node::str(line, "Allow")),
            ("Principal", principal),
        ],
    );
    document(line, true, vec![statement])
}

impl<'a> Sam<'a> {
    /// The ARN of AWS managed policy `path_name` (`service-role/AWSLambdaBasicExecutionRole`).
    pub fn managed_arn(&self, path_name: &str) -> String {
        format!(
            "arn:{}:iam::aws:policy/{path_name}",
            self.settings.partition
        )
    }

    /// What the translator reads as a literal: a string, or a `Ref` to a parameter with
    /// a value (`--parameters` or its default). `None` otherwise.
    pub fn literal(&self, n: &Node) -> Option<String> {
        if let Some(s) = n.as_str() {
            return Some(s.to_string());
        }
        match &n.kind {
            Kind::Bool(b) => Some(b.to_string()),
            Kind::Map(m) if m.len() == 1 && m[0].0 == "Ref" => {
                let name = m[0].1.as_str()?;
                self.params.get(name).and_then(Val::known_str)
            }
            _ => None,
        }
    }

    pub fn push(&mut self, id: String, resource: Node) {
        self.out.push((id, resource));
    }

    pub fn unexpanded(&mut self, what: String, line: usize, why: impl Into<String>) {
        self.unexpanded.push(Unexpanded {
            what,
            line,
            why: why.into(),
        });
    }

    /// A CloudFormation resource node of type `ty` with `props` and the source's
    /// passthrough attributes.
    pub fn cfn_resource(
        &self,
        src: &Source,
        line: usize,
        ty: &str,
        props: Vec<(&str, Node)>,
    ) -> Node {
        resource_node(line, ty, src.attributes(), props)
    }

    /// Expand one resource of the template (others pass through unchanged).
    fn resource(&mut self, id: &str, res: &'a Node) -> Result<(), TemplateError> {
        self.embedded_connectors(id, res)?;
        let ty = res.get("Type").and_then(Node::as_str);
        let Some(short) = ty.and_then(|t| t.strip_prefix(PREFIX)) else {
            // The translator removes the `Connectors` attribute it expanded.
            let mut res = res.clone();
            if let Kind::Map(m) = &mut res.kind {
                m.retain(|(k, _)| k != "Connectors");
            }
            self.out.push((id.to_string(), res));
            return Ok(());
        };
        let path = format!("Resources/{id}/Properties");
        let empty = Node::map(res.line, Vec::new());
        let local = match res.get("Properties") {
            Some(
                p @ Node {
                    kind: Kind::Map(_), ..
                },
            ) => p,
            Some(p) => return Err(invalid(&path, p, "expected a mapping of properties")),
            None => &empty,
        };
        let props = self.with_globals(short, local, res, &path)?;
        let src = Source {
            id: id.to_string(),
            node: res,
            props,
            path,
        };
        let line = res.line;
        match short {
            "Function" => self.function(&src)?,
            "StateMachine" => self.state_machine(&src)?,
            "Api" => self.api(&src, "AWS::ApiGateway::RestApi", "Name"),
            "HttpApi" => self.api(&src, "AWS::ApiGatewayV2::Api", "Name"),
            "SimpleTable" => {
                let name = src.prop("TableName").cloned();
                let props = name.map(|n| vec![("TableName", n)]).unwrap_or_default();
                let r = self.cfn_resource(&src, line, "AWS::DynamoDB::Table", props);
                self.push(src.id.clone(), r);
            }
            "LayerVersion" => {
                let name = src.prop("LayerName").cloned();
                let props = name.map(|n| vec![("LayerName", n)]).unwrap_or_default();
                let r = self.cfn_resource(&src, line, "AWS::Lambda::LayerVersion", props);
                self.push(src.id.clone(), r);
            }
            "Connector" => self.connectors.push(connectors::Pending {
                id: src.id.clone(),
                node: res.clone(),
                props: src.props.clone(),
                path: src.path.clone(),
            }),
            // A nested stack: the template reader reports it as not checked, by its type.
            "Application" => self.push(src.id.clone(), res.clone()),
            _ => self.unexpanded(
                format!("Resources/{id}"),
                line,
                format!(
                    "the SAM resource type `{}` is not expanded offline; the roles and policies it creates are not checked",
                    ty.unwrap_or_default()
                ),
            ),
        }
        Ok(())
    }

    /// The resource's properties with `Globals` merged in (minus `IgnoreGlobals`).
    fn with_globals(
        &self,
        short: &str,
        local: &Node,
        res: &Node,
        path: &str,
    ) -> Result<Node, TemplateError> {
        let Some(global) = self.globals.get(short) else {
            return Ok(local.clone());
        };
        let ignored: Vec<String> = match res.get("IgnoreGlobals") {
            None => Vec::new(),
            Some(n) => match &n.kind {
                Kind::Str(s) if s == "*" => return Ok(local.clone()),
                Kind::Seq(items) => items
                    .iter()
                    .filter_map(|i| i.as_str().map(str::to_string))
                    .collect(),
                _ => {
                    return Err(invalid(
                        &path.replace("/Properties", "/IgnoreGlobals"),
                        n,
                        "`IgnoreGlobals` is `'*'` or a list of property names",
                    ));
                }
            },
        };
        let Kind::Map(g) = &global.kind else {
            return Ok(local.clone());
        };
        let kept = Node {
            line: global.line,
            kind: Kind::Map(
                g.iter()
                    .filter(|(k, _)| !ignored.contains(k))
                    .cloned()
                    .collect(),
            ),
        };
        Ok(merge(&kept, local, short))
    }

    /// An API: its CloudFormation resource, with the resource policy a REST API's
    /// definition or `Auth.ResourcePolicy` gives it (api.rs), and its authorizers'
    /// permissions.
    fn api(&mut self, src: &Source, ty: &str, name_property: &str) {
        let line = src.node.line;
        let mut props = src
            .prop(name_property)
            .map(|n| vec![(name_property, n.clone())])
            .unwrap_or_default();
        if ty == "AWS::ApiGateway::RestApi" {
            let stage = src
                .prop("StageName")
                .cloned()
                .unwrap_or_else(|| Node::str(line, "Prod"));
            self.rest_api_policy(&src.id, &src.props, stage, &src.path, &mut props);
        }
        let r = self.cfn_resource(src, line, ty, props);
        self.push(src.id.clone(), r);
        let http = ty == "AWS::ApiGatewayV2::Api";
        self.api_auth(
            &src.id,
            src.props.get("Auth"),
            http,
            src.node.get("Condition"),
        );
    }

    /// A REST API's resource policy into `props` (as `Body`), or reported as not
    /// expanded.
    fn rest_api_policy(
        &mut self,
        id: &str,
        api: &Node,
        stage: Node,
        path: &str,
        props: &mut Vec<(&str, Node)>,
    ) {
        let routes = self.routes.get(id).cloned().unwrap_or_default();
        match self.api_policy(api, &routes, stage) {
            Ok(Some(body)) => props.push(("Body", body)),
            Ok(None) => {}
            Err(why) => {
                let at = api
                    .get("Auth")
                    .and_then(|a| a.get("ResourcePolicy"))
                    .map_or(api.line, |n| n.line);
                self.unexpanded(
                    format!("{path}/Auth/ResourcePolicy"),
                    at,
                    format!("the API's resource policy is not expanded offline: {why}; who may call the API is not checked"),
                );
            }
        }
    }

    /// An API's `Auth`: Lambda authorizers get their invoke permissions
    /// (`{Api}{Authorizer}AuthorizerPermission`), with the API's `Condition`. A REST
    /// API's unless `DisableFunctionDefaultPermissions`; an HTTP API's only with
    /// `EnableFunctionDefaultPermissions: true`, as the translator does.
    fn api_auth(&mut self, api: &str, auth: Option<&Node>, http: bool, condition: Option<&Node>) {
        let Some(Node {
            kind: Kind::Map(authorizers),
            ..
        }) = auth.and_then(|a| a.get("Authorizers"))
        else {
            return;
        };
        let is_true = |n: Option<&Node>| n.is_some_and(|n| matches!(n.kind, Kind::Bool(true)));
        for (name, a) in authorizers {
            let Some(function) = a.get("FunctionArn") else {
                continue;
            };
            let enabled = if http {
                is_true(a.get("EnableFunctionDefaultPermissions"))
            } else {
                !is_true(a.get("DisableFunctionDefaultPermissions"))
            };
            if !enabled {
                continue;
            }
            let line = a.line;
            let partition = if http {
                "${AWS::Partition}".to_string()
            } else {
                self.settings.partition.clone()
            };
            let source = sub(
                line,
                &format!(
                    "arn:{partition}:execute-api:${{AWS::Region}}:${{AWS::AccountId}}:${{__ApiId__}}/authorizers/*"
                ),
                vec![("__ApiId__", reference(line, api))],
            );
            let attributes = condition
                .map(|c| vec![("Condition", c.clone())])
                .unwrap_or_default();
            let r = resource_node(
                line,
                "AWS::Lambda::Permission",
                attributes,
                vec![
                    ("Action", Node::str(line, "lambda:InvokeFunction")),
                    ("FunctionName", function.clone()),
                    ("Principal", Node::str(line, "apigateway.amazonaws.com")),
                    ("SourceArn", source),
                ],
            );
            self.push(format!("{api}{name}AuthorizerPermission"), r);
        }
    }

    /// The implicit APIs (`ServerlessRestApi`, `ServerlessHttpApi`) the functions' API
    /// events need, with the `Globals` of their type.
    fn implicit_apis(&mut self) {
        for (line, id, ty, short) in [
            (
                self.implicit_rest,
                "ServerlessRestApi",
                "AWS::ApiGateway::RestApi",
                "Api",
            ),
            (
                self.implicit_http,
                "ServerlessHttpApi",
                "AWS::ApiGatewayV2::Api",
                "HttpApi",
            ),
        ] {
            let Some(line) = line else { continue };
            if self.out.iter().any(|(i, _)| i == id) {
                continue;
            }
            let global = self.globals.get(short).copied();
            let mut props = Vec::new();
            if short == "Api" {
                let empty = Node::map(line, Vec::new());
                let api = global.unwrap_or(&empty);
                let stage = Node::str(line, "Prod");
                self.rest_api_policy(id, api, stage, &format!("Globals/{short}"), &mut props);
            }
            self.push(id.to_string(), resource_node(line, ty, Vec::new(), props));
            self.api_auth(
                id,
                global.and_then(|g| g.get("Auth")),
                short == "HttpApi",
                None,
            );
        }
    }

    /// `CodeDeployServiceRole`, shared by every function deployed through CodeDeploy.
    fn codedeploy_role(&mut self) {
        if self.codedeploy.is_empty() {
            return;
        }
        let line = 1;
        // One condition when every such function has the same one; otherwise the role
        // is taken as always deployed (wider, see encodings/templates.md).
        let first = self.codedeploy[0].clone();
        let attributes = first
            .filter(|c| self.codedeploy.iter().all(|o| o.as_ref() == Some(c)))
            .map(|c| vec![("Condition", c)])
            .unwrap_or_default();
        let policy = self.managed_arn("service-role/AWSCodeDeployRoleForLambda");
        let role = resource_node(
            line,
            "AWS::IAM::Role",
            attributes,
            vec![
                (
                    "AssumeRolePolicyDocument",
                    service_trust(line, "codedeploy.amazonaws.com"),
                ),
                (
                    "ManagedPolicyArns",
                    Node::seq(line, vec![Node::str(line, policy)]),
                ),
            ],
        );
        self.push("CodeDeployServiceRole".into(), role);
    }
}
