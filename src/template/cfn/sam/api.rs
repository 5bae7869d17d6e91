//! A SAM REST API's `Auth.ResourcePolicy`: the resource policy the translator writes
//! into the API's OpenAPI document (`x-amazon-apigateway-policy`), built as it builds
//! it. For every path of the API, with the methods at that path as resources
//! (`execute-api:/STAGE/METHOD/PATH`):
//! - `AwsAccountWhitelist` / `AwsAccountBlacklist`: Allow / Deny for those principals;
//! - `IpRangeWhitelist` / `IpRangeBlacklist`: Allow to all, Deny unless / if the source
//!   IP is in the ranges;
//! - `SourceVpcWhitelist` / `SourceVpcBlacklist` and the `Intrinsic*` lists: Allow to
//!   all, Deny unless / if the request comes from the VPCs or endpoints;
//!
//! then `CustomStatements` as written. The paths are those of the API's definition: its
//! `DefinitionBody`, or the routes its events add (with `OPTIONS` on each when `Cors` is
//! set). A definition in another file (`DefinitionUri`) cannot be read, so its policy is
//! reported as not expanded.

use super::super::super::node::{Kind, Node};
use super::{Sam, sub};

/// One route of an API: (path, method as the definition keys it).
pub(super) type Route = (String, String);

const ANY: &str = "x-amazon-apigateway-any-method";

impl Sam<'_> {
    /// The routes the events of every function and state machine add to REST API `api`
    /// (`ServerlessRestApi` for the implicit one), in template order.
    pub(super) fn event_routes(resources: &[(String, Node)], api: &str) -> Vec<Route> {
        let mut out: Vec<Route> = Vec::new();
        for (_, res) in resources {
            let ty = res.get("Type").and_then(Node::as_str).unwrap_or_default();
            if ty != "AWS::Serverless::Function" && ty != "AWS::Serverless::StateMachine" {
                continue;
            }
            let Some(Node {
                kind: Kind::Map(events),
                ..
            }) = res.get("Properties").and_then(|p| p.get("Events"))
            else {
                continue;
            };
            for (_, e) in events {
                if e.get("Type").and_then(Node::as_str) != Some("Api") {
                    continue;
                }
                let props = e.get("Properties");
                let target = match props.and_then(|p| p.get("RestApiId")) {
                    None => Some("ServerlessRestApi"),
                    Some(r) => r.get("Ref").and_then(Node::as_str),
                };
                if target != Some(api) {
                    continue;
                }
                let (Some(path), Some(method)) = (
                    props.and_then(|p| p.get("Path")).and_then(Node::as_str),
                    props.and_then(|p| p.get("Method")).and_then(Node::as_str),
                ) else {
                    continue;
                };
                let method = method.to_ascii_lowercase();
                let method = if method == "any" {
                    ANY.to_string()
                } else {
                    method
                };
                let route = (path.to_string(), method);
                if !out.contains(&route) {
                    out.push(route);
                }
            }
        }
        out
    }

    /// The API's OpenAPI `Body` holding the policy, when `ResourcePolicy` (or the
    /// definition itself) gives one; `Err(why)` when it cannot be built offline.
    pub(super) fn api_policy(
        &self,
        props: &Node,
        routes: &[Route],
        stage: Node,
    ) -> Result<Option<Node>, String> {
        let line = props.line;
        let body = props.get("DefinitionBody");
        let mut statements: Vec<Node> = match body
            .and_then(|b| b.get("x-amazon-apigateway-policy"))
            .and_then(|p| p.get("Statement"))
        {
            Some(Node {
                kind: Kind::Seq(s), ..
            }) => s.clone(),
            Some(s) => vec![s.clone()],
            None => Vec::new(),
        };
        let Some(rp) = props.get("Auth").and_then(|a| a.get("ResourcePolicy")) else {
            return Ok((!statements.is_empty()).then(|| policy_body(line, statements)));
        };
        if props.get("DefinitionUri").is_some() {
            return Err("the API's definition is in another file (`DefinitionUri`), so the paths its resource policy covers are not known offline".into());
        }
        let Kind::Map(_) = &rp.kind else {
            return Err("`ResourcePolicy` is not a literal mapping".into());
        };
        for (path, methods) in definition_paths(props, routes)? {
            let resources = path_resources(line, &path, &methods, &stage);
            self.path_statements(rp, &resources, line, &mut statements)?;
        }
        if let Some(custom) = rp.get("CustomStatements") {
            match &custom.kind {
                Kind::Seq(items) => {
                    for i in items {
                        push_new(&mut statements, i.clone());
                    }
                }
                _ => push_new(&mut statements, custom.clone()),
            }
        }
        Ok((!statements.is_empty()).then(|| policy_body(line, statements)))
    }

    /// The statements `ResourcePolicy`'s account, IP and VPC lists give one path.
    fn path_statements(
        &self,
        rp: &Node,
        resources: &Node,
        line: usize,
        statements: &mut Vec<Node>,
    ) -> Result<(), String> {
        for (key, effect) in [
            ("AwsAccountWhitelist", "Allow"),
            ("AwsAccountBlacklist", "Deny"),
        ] {
            if let Some(list) = rp.get(key).filter(|l| !is_empty(l)) {
                let principal = Node::map(line, vec![("AWS", as_list(list))]);
                push_new(
                    statements,
                    statement(line, effect, resources.clone(), principal, None),
                );
            }
        }
        for (key, operator) in [
            ("IpRangeWhitelist", "NotIpAddress"),
            ("IpRangeBlacklist", "IpAddress"),
        ] {
            if let Some(list) = rp.get(key).filter(|l| !is_empty(l)) {
                let condition = Node::map(
                    line,
                    vec![(
                        operator,
                        Node::map(line, vec![("aws:SourceIp", as_list(list))]),
                    )],
                );
                self.allow_and_deny(statements, line, resources, condition);
            }
        }
        for (lists, operator) in [
            (
                [
                    "SourceVpcBlacklist",
                    "IntrinsicVpcBlacklist",
                    "IntrinsicVpceBlacklist",
                ],
                "StringEquals",
            ),
            (
                [
                    "SourceVpcWhitelist",
                    "IntrinsicVpcWhitelist",
                    "IntrinsicVpceWhitelist",
                ],
                "StringNotEquals",
            ),
        ] {
            if let Some(keys) = vpc_keys(rp, lists, line)? {
                let condition = Node::map(line, vec![(operator, Node::map(line, keys))]);
                self.allow_and_deny(statements, line, resources, condition);
            }
        }
        Ok(())
    }

    /// An Allow to everyone and a Deny under `condition`, on `resources`.
    fn allow_and_deny(
        &self,
        statements: &mut Vec<Node>,
        line: usize,
        resources: &Node,
        condition: Node,
    ) {
        let everyone = Node::str(line, "*");
        push_new(
            statements,
            statement(line, "Allow", resources.clone(), everyone.clone(), None),
        );
        push_new(
            statements,
            statement(line, "Deny", resources.clone(), everyone, Some(condition)),
        );
    }
}

/// The definition's paths and their methods: its `DefinitionBody`'s, or the routes the
/// events add (with `OPTIONS` on each under `Cors`).
fn definition_paths(props: &Node, routes: &[Route]) -> Result<Vec<(String, Vec<String>)>, String> {
    if let Some(b) = props.get("DefinitionBody") {
        return match b.get("paths").map(|p| &p.kind) {
            Some(Kind::Map(ps)) => Ok(ps
                .iter()
                .map(|(p, item)| {
                    let methods = match &item.kind {
                        Kind::Map(ms) => ms.iter().map(|(m, _)| m.clone()).collect(),
                        _ => Vec::new(),
                    };
                    (p.clone(), methods)
                })
                .collect()),
            Some(_) => Err("the API's `DefinitionBody` paths are not a literal mapping".into()),
            None => Ok(Vec::new()),
        };
    }
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    for (path, method) in routes {
        match out.iter_mut().find(|(p, _)| p == path) {
            Some((_, ms)) => {
                if !ms.contains(method) {
                    ms.push(method.clone());
                }
            }
            None => out.push((path.clone(), vec![method.clone()])),
        }
    }
    if props.get("Cors").is_some() {
        for (_, ms) in &mut out {
            if !ms.iter().any(|m| m == "options") {
                ms.push("options".into());
            }
        }
    }
    Ok(out)
}

/// `execute-api:/STAGE/METHOD/PATH` for each method of a path, as the translator
/// writes them (`ANY` as `*`, path parameters as `*`).
fn path_resources(line: usize, path: &str, methods: &[String], stage: &Node) -> Node {
    let path = super::events::wildcard_parameters(super::events::trim_slash(path), true);
    Node::seq(
        line,
        methods
            .iter()
            .map(|m| {
                let method = if m.eq_ignore_ascii_case(ANY) || m.eq_ignore_ascii_case("any") {
                    "*".to_string()
                } else {
                    m.to_ascii_uppercase()
                };
                sub(
                    line,
                    &format!("execute-api:/${{__Stage__}}/{method}{path}"),
                    vec![("__Stage__", stage.clone())],
                )
            })
            .collect(),
    )
}

/// The `aws:SourceVpc` / `aws:SourceVpce` keys of one VPC list family (the string
/// list split by prefix, then the intrinsic lists); `None` when all are empty.
fn vpc_keys(
    rp: &Node,
    lists: [&str; 3],
    line: usize,
) -> Result<Option<Vec<(&'static str, Node)>>, String> {
    let items = |key: &str| match rp.get(key).map(|n| &n.kind) {
        Some(Kind::Seq(items)) => items.clone(),
        _ => Vec::new(),
    };
    let mut vpc: Vec<Node> = Vec::new();
    let mut vpce: Vec<Node> = Vec::new();
    for i in items(lists[0]) {
        match i.as_str() {
            Some(s) if s.starts_with("vpce-") => vpce.push(i.clone()),
            Some(s) if s.starts_with("vpc-") => vpc.push(i.clone()),
            Some(_) => {}
            None => {
                return Err(format!(
                    "`{}` must be a list of strings (use `{}` for values that use intrinsic functions)",
                    lists[0], lists[1]
                ));
            }
        }
    }
    vpc.extend(items(lists[1]));
    vpce.extend(items(lists[2]));
    let mut keys = Vec::new();
    if !vpc.is_empty() {
        keys.push(("aws:SourceVpc", Node::seq(line, vpc)));
    }
    if !vpce.is_empty() {
        keys.push(("aws:SourceVpce", Node::seq(line, vpce)));
    }
    Ok((!keys.is_empty()).then_some(keys))
}

fn is_empty(n: &Node) -> bool {
    matches!(&n.kind, Kind::Seq(items) if items.is_empty())
}

fn as_list(n: &Node) -> Node {
    match &n.kind {
        Kind::Seq(_) => n.clone(),
        _ => Node::seq(n.line, vec![n.clone()]),
    }
}

fn push_new(statements: &mut Vec<Node>, s: Node) {
    let new = s.to_json();
    if !statements.iter().any(|e| e.to_json() == new) {
        statements.push(s);
    }
}

fn statement(
    line: usize,
    effect: &str,
    resources: Node,
    principal: Node,
    condition: Option<Node>,
) -> Node {
    let mut members = vec![
        ("Effect", Node::str(line, effect)),
        ("Action", Node::str(line, "execute-api:Invoke")),
        ("Resource", resources),
        ("Principal", principal),
    ];
    if let Some(c) = condition {
        members.push(("Condition", c));
    }
    Node::map(line, members)
}

/// `{"x-amazon-apigateway-policy": {"Version": ..., "Statement": [...]}}`
fn policy_body(line: usize, statements: Vec<Node>) -> Node {
    Node::map(
        line,
        vec![(
            "x-amazon-apigateway-policy",
            super::document(line, true, statements),
        )],
    )
}
