//! Intrinsic functions resolved offline: `Ref`, `Fn::GetAtt`, `Fn::Sub`, `Fn::Join`,
//! `Fn::Select`, `Fn::Split`, `Fn::If`, `Fn::FindInMap`, `Fn::Base64`, `Fn::GetAZs`,
//! `Fn::ImportValue` (unknown) and the pseudo parameters; a value no offline reader can
//! know is an unknown part with its reason.

use base64::Engine as _;

use super::catalog::{ATTRIBUTES, NAME_SHAPES, NameShape, generated_id};
use super::{Resolver, invalid};
use crate::template::node::{Kind as NKind, Node};
use crate::template::value::merge;
use crate::template::{Part, TemplateError, Val};

impl Resolver<'_, '_> {
    /// Resolves every intrinsic function in a value.
    pub(super) fn resolve(&self, node: &Node, path: &str) -> Result<Val, TemplateError> {
        match &node.kind {
            NKind::Null => Ok(Val::Null),
            NKind::Bool(b) => Ok(Val::Bool(*b)),
            NKind::Number(n) => Ok(Val::Num(n.clone())),
            NKind::Str(s) => Ok(Val::lit(s.clone())),
            NKind::Seq(items) => {
                let mut out = Vec::new();
                for (i, item) in items.iter().enumerate() {
                    match self.resolve(item, &format!("{path}/{i}"))? {
                        Val::NoValue => {}
                        v => out.push(v),
                    }
                }
                Ok(Val::List(out))
            }
            NKind::Map(members) => {
                if let [(name, arg)] = members.as_slice()
                    && (name == "Ref" || name.starts_with("Fn::"))
                {
                    return self.intrinsic(name, arg, &format!("{path}/{name}"));
                }
                let mut out = Vec::new();
                for (name, v) in members {
                    match self.resolve(v, &format!("{path}/{name}"))? {
                        Val::NoValue => {}
                        v => out.push((name.clone(), v)),
                    }
                }
                Ok(Val::Map(out))
            }
        }
    }

    /// A resolved argument that must be a known string.
    pub(super) fn known_string(
        &self,
        node: &Node,
        path: &str,
        what: &str,
    ) -> Result<Result<String, String>, TemplateError> {
        let v = self.resolve(node, path)?;
        Ok(match v.known_str() {
            Some(s) => Ok(s),
            None => match v.first_unknown() {
                Some(why) => Err(why.to_string()),
                None => {
                    return Err(invalid(
                        path,
                        node,
                        format!("{what} must be a string, found `{v}`"),
                    ));
                }
            },
        })
    }

    pub(super) fn args<'n>(
        &self,
        arg: &'n Node,
        path: &str,
        f: &str,
        counts: &[usize],
    ) -> Result<&'n [Node], TemplateError> {
        match &arg.kind {
            NKind::Seq(items) if counts.contains(&items.len()) => Ok(items),
            _ => Err(invalid(
                path,
                arg,
                format!(
                    "`{f}` takes a list of {} arguments, found {}",
                    counts
                        .iter()
                        .map(|c| c.to_string())
                        .collect::<Vec<_>>()
                        .join(" or "),
                    match &arg.kind {
                        NKind::Seq(items) => format!("{} items", items.len()),
                        _ => arg.type_name().to_string(),
                    }
                ),
            )),
        }
    }

    pub(super) fn intrinsic(&self, f: &str, arg: &Node, path: &str) -> Result<Val, TemplateError> {
        let s = self.t.settings;
        match f {
            "Ref" => {
                let Some(name) = arg.as_str() else {
                    return Err(invalid(
                        path,
                        arg,
                        "`Ref` takes the name of a parameter, resource or pseudo parameter",
                    ));
                };
                self.reference(name, path, arg)
            }
            "Fn::GetAtt" => {
                let (res, attr) = match &arg.kind {
                    NKind::Str(s) => match s.split_once('.') {
                        Some((r, a)) => (r.to_string(), a.to_string()),
                        None => {
                            return Err(invalid(
                                path,
                                arg,
                                "write `Resource.Attribute` or `[Resource, Attribute]`",
                            ));
                        }
                    },
                    NKind::Seq(items) if items.len() == 2 => {
                        let res = items[0].as_str().map(str::to_string).ok_or_else(|| {
                            invalid(
                                path,
                                arg,
                                "the resource of `Fn::GetAtt` must be a logical id",
                            )
                        })?;
                        (
                            res,
                            known_or_return!(
                                self,
                                &items[1],
                                &format!("{path}/1"),
                                "the attribute"
                            ),
                        )
                    }
                    _ => {
                        return Err(invalid(
                            path,
                            arg,
                            "`Fn::GetAtt` takes `[Resource, Attribute]`",
                        ));
                    }
                };
                self.attribute(&res, &attr, path, arg)
            }
            "Fn::Join" => {
                let a = self.args(arg, path, f, &[2])?;
                let delim = known_or_return!(self, &a[0], &format!("{path}/0"), "the delimiter");
                match self.resolve(&a[1], &format!("{path}/1"))? {
                    Val::List(items) => {
                        let mut parts = Vec::new();
                        for (i, item) in items.into_iter().enumerate() {
                            if i > 0 {
                                parts.push(Part::Lit(delim.clone()));
                            }
                            match item {
                                Val::Str(p) => parts.extend(p),
                                Val::Unknown(why) => parts.push(Part::Unknown(why)),
                                other => match other.known_str() {
                                    Some(t) => parts.push(Part::Lit(t)),
                                    None => {
                                        return Err(invalid(
                                            path,
                                            arg,
                                            format!("`Fn::Join` joins strings, found `{other}`"),
                                        ));
                                    }
                                },
                            }
                        }
                        Ok(Val::Str(merge(parts)))
                    }
                    Val::Unknown(why) => Ok(Val::Str(vec![Part::Unknown(why)])),
                    other => Err(invalid(
                        path,
                        arg,
                        format!("`Fn::Join` needs a list to join, found `{other}`"),
                    )),
                }
            }
            "Fn::Sub" => {
                let (text, vars) = match &arg.kind {
                    NKind::Str(t) => (t.clone(), Vec::new()),
                    NKind::Seq(items) if items.len() == 2 => {
                        let Some(t) = items[0].as_str() else {
                            return Err(invalid(
                                path,
                                arg,
                                "the first argument of `Fn::Sub` must be a string",
                            ));
                        };
                        let NKind::Map(vars) = &items[1].kind else {
                            return Err(invalid(
                                path,
                                arg,
                                "the second argument of `Fn::Sub` must be a mapping of variables",
                            ));
                        };
                        let mut resolved = Vec::new();
                        for (n, v) in vars {
                            resolved.push((n.clone(), self.resolve(v, &format!("{path}/1/{n}"))?));
                        }
                        (t.to_string(), resolved)
                    }
                    _ => {
                        return Err(invalid(
                            path,
                            arg,
                            "`Fn::Sub` takes a string or `[string, {variables}]`",
                        ));
                    }
                };
                self.sub(&text, &vars, path, arg)
            }
            "Fn::Select" => {
                let a = self.args(arg, path, f, &[2])?;
                let index = known_or_return!(self, &a[0], &format!("{path}/0"), "the index");
                let Ok(index) = index.parse::<usize>() else {
                    return Err(invalid(
                        path,
                        arg,
                        format!("`Fn::Select` index `{index}` is not a non-negative integer"),
                    ));
                };
                match self.resolve(&a[1], &format!("{path}/1"))? {
                    Val::List(items) => items.into_iter().nth(index).ok_or_else(|| {
                        invalid(
                            path,
                            arg,
                            format!("`Fn::Select` index {index} is past the end of the list"),
                        )
                    }),
                    Val::Unknown(why) => Ok(Val::Str(vec![Part::Unknown(why)])),
                    other => Err(invalid(
                        path,
                        arg,
                        format!("`Fn::Select` needs a list, found `{other}`"),
                    )),
                }
            }
            "Fn::Split" => {
                let a = self.args(arg, path, f, &[2])?;
                let delim = match self.known_string(&a[0], &format!("{path}/0"), "the delimiter")? {
                    Ok(d) if !d.is_empty() => d,
                    Ok(_) => {
                        return Err(invalid(path, arg, "the delimiter of `Fn::Split` is empty"));
                    }
                    Err(why) => return Ok(Val::Unknown(why)),
                };
                match self.known_string(&a[1], &format!("{path}/1"), "the source string")? {
                    Ok(text) => Ok(Val::List(
                        text.split(delim.as_str()).map(Val::lit).collect(),
                    )),
                    Err(why) => Ok(Val::Unknown(format!(
                        "`Fn::Split` of a value with an unknown part ({why})"
                    ))),
                }
            }
            "Fn::FindInMap" => {
                let a = self.args(arg, path, f, &[3, 4])?;
                let mut keys = Vec::new();
                for (i, k) in a[..3].iter().enumerate() {
                    keys.push(known_or_return!(self, k, &format!("{path}/{i}"), "a key"));
                }
                let found = self
                    .t
                    .mappings
                    .and_then(|m| m.get(&keys[0]))
                    .and_then(|m| m.get(&keys[1]))
                    .and_then(|m| m.get(&keys[2]));
                match (found, a.get(3)) {
                    (Some(v), _) => {
                        self.resolve(v, &format!("Mappings/{}/{}/{}", keys[0], keys[1], keys[2]))
                    }
                    (None, Some(default)) => match default.get("DefaultValue") {
                        Some(d) => self.resolve(d, &format!("{path}/3/DefaultValue")),
                        None => Err(invalid(
                            path,
                            arg,
                            "the fourth argument of `Fn::FindInMap` is `{DefaultValue: ...}`",
                        )),
                    },
                    (None, None) => Err(invalid(
                        path,
                        arg,
                        format!(
                            "`Fn::FindInMap`: Mappings has no `{}` / `{}` / `{}`",
                            keys[0], keys[1], keys[2]
                        ),
                    )),
                }
            }
            "Fn::If" => {
                let a = self.args(arg, path, f, &[3])?;
                let Some(name) = a[0].as_str() else {
                    return Err(invalid(
                        path,
                        arg,
                        "the first argument of `Fn::If` is a condition name",
                    ));
                };
                if self.truth(name, path, arg)? {
                    self.resolve(&a[1], &format!("{path}/1"))
                } else {
                    self.resolve(&a[2], &format!("{path}/2"))
                }
            }
            "Fn::ImportValue" => {
                let name = self.resolve(arg, path)?;
                Ok(Val::Str(vec![Part::Unknown(format!(
                    "`Fn::ImportValue {name}` is another stack's export"
                ))]))
            }
            "Fn::GetAZs" => {
                let region = match self.known_string(arg, path, "the region")? {
                    Ok(r) if !r.is_empty() => r,
                    Ok(_) => s.region.clone(),
                    Err(why) => return Ok(Val::Unknown(why)),
                };
                Ok(Val::List(
                    ["a", "b", "c"]
                        .iter()
                        .map(|z| Val::lit(format!("{region}{z}")))
                        .collect(),
                ))
            }
            "Fn::Base64" => Ok(match self.known_string(arg, path, "the value")? {
                Ok(t) => Val::lit(base64::engine::general_purpose::STANDARD.encode(t)),
                Err(why) => Val::Str(vec![Part::Unknown(why)]),
            }),
            "Fn::Length" => Ok(match self.resolve(arg, path)? {
                Val::List(items) => Val::Num(items.len().to_string()),
                other => Val::Str(vec![Part::Unknown(format!("`Fn::Length` of `{other}`"))]),
            }),
            "Fn::ToJsonString" => {
                let v = self.resolve(arg, path)?;
                Ok(match v.first_unknown() {
                    None => Val::lit(crate::template::render::plain(&v).to_string()),
                    Some(why) => Val::Str(vec![Part::Unknown(why.to_string())]),
                })
            }
            "Fn::Cidr" => Ok(Val::Unknown("`Fn::Cidr` is not evaluated offline".into())),
            "Fn::Transform" => Ok(Val::Unknown(
                "`Fn::Transform` runs a macro at deploy time".into(),
            )),
            "Fn::Equals" | "Fn::And" | "Fn::Or" | "Fn::Not" => Err(invalid(
                path,
                arg,
                format!(
                    "`{f}` belongs in the Conditions section; use `Fn::If` with a condition name here"
                ),
            )),
            _ => Err(invalid(
                path,
                arg,
                format!("unknown intrinsic function `{f}`"),
            )),
        }
    }

    pub(super) fn reference(
        &self,
        name: &str,
        path: &str,
        at: &Node,
    ) -> Result<Val, TemplateError> {
        let s = self.t.settings;
        let suffix = if s.partition == "aws-cn" {
            "amazonaws.com.cn"
        } else {
            "amazonaws.com"
        };
        Ok(match name {
            "AWS::AccountId" => Val::lit(&s.account_id),
            "AWS::Region" => Val::lit(&s.region),
            "AWS::Partition" => Val::lit(&s.partition),
            "AWS::StackName" => Val::lit(&s.stack_name),
            "AWS::StackId" => Val::lit(format!(
                "arn:{}:cloudformation:{}:{}:stack/{}/00000000-0000-0000-0000-000000000000",
                s.partition, s.region, s.account_id, s.stack_name
            )),
            "AWS::URLSuffix" => Val::lit(suffix),
            "AWS::NoValue" => Val::NoValue,
            "AWS::NotificationARNs" => {
                Val::Unknown("`AWS::NotificationARNs` is known at deploy time".into())
            }
            _ => {
                if let Some(v) = self.t.params.get(name) {
                    return Ok(v.clone());
                }
                if let Some(res) = self.t.resource(name) {
                    return self.resource_value(name, res, "Ref", path);
                }
                if let Some(creator) = self.t.open {
                    return Ok(Val::Str(vec![Part::Unknown(format!(
                        "`{name}` is not defined in the template; {creator} may create it"
                    ))]));
                }
                return Err(invalid(
                    path,
                    at,
                    format!(
                        "`Ref {name}`: no parameter, resource or pseudo parameter is named `{name}`"
                    ),
                ));
            }
        })
    }

    pub(super) fn attribute(
        &self,
        id: &str,
        attr: &str,
        path: &str,
        at: &Node,
    ) -> Result<Val, TemplateError> {
        let Some(res) = self.t.resource(id) else {
            if let Some(creator) = self.t.open {
                return Ok(Val::Str(vec![Part::Unknown(format!(
                    "`{id}` is not defined in the template; {creator} may create it"
                ))]));
            }
            return Err(invalid(
                path,
                at,
                format!("`Fn::GetAtt {id}.{attr}`: the template has no resource `{id}`"),
            ));
        };
        self.resource_value(id, res, attr, path)
    }

    /// `Ref` (attr = "Ref") or an attribute of a resource.
    pub(super) fn resource_value(
        &self,
        id: &str,
        res: &Node,
        attr: &str,
        path: &str,
    ) -> Result<Val, TemplateError> {
        let ty = res.get("Type").and_then(Node::as_str).unwrap_or("");
        let Some(model) = NAME_SHAPES.iter().find(|m| m.ty == ty) else {
            return Ok(Val::Str(vec![Part::Unknown(format!(
                "`{attr}` of `{id}` (`{ty}`) is not modelled offline"
            ))]));
        };
        let what = match attr {
            "Ref" => model.reference,
            "Arn" => "arn",
            _ => match ATTRIBUTES.iter().find(|a| a.ty == ty && a.name == attr) {
                Some(a) => a.returns,
                None => {
                    return Ok(Val::Str(vec![Part::Unknown(format!(
                        "attribute `{attr}` of `{id}` (`{ty}`) is not modelled offline"
                    ))]));
                }
            },
        };
        let s = self.t.settings;
        let props = res.get("Properties");
        if self.naming.borrow().iter().any(|n| n == id) {
            return Err(TemplateError::Invalid {
                path: path.to_string(),
                line: res.line,
                message: format!("the name of `{id}` refers to itself (through `{attr}`)"),
            });
        }
        self.naming.borrow_mut().push(id.to_string());
        let name = self.resource_name(id, ty, model, props);
        self.naming.borrow_mut().pop();
        let name = name?;
        let name_parts = match name {
            Val::Str(p) => p,
            other => vec![Part::Lit(other.known_str().unwrap_or_default())],
        };
        let fill = |template: &str| -> Result<Val, TemplateError> {
            let iam_path = match props.and_then(|p| p.get("Path")) {
                Some(p) => match self.resolve(p, &format!("Resources/{id}/Properties/Path"))? {
                    Val::Str(parts) => parts,
                    _ => vec![Part::Lit("/".into())],
                },
                None => vec![Part::Lit("/".into())],
            };
            let mut parts = Vec::new();
            let mut rest = template;
            while let Some(start) = rest.find('{') {
                parts.push(Part::Lit(rest[..start].to_string()));
                let end = rest[start..]
                    .find('}')
                    .map(|e| start + e)
                    .unwrap_or(rest.len() - 1);
                match &rest[start + 1..end] {
                    "p" => parts.push(Part::Lit(s.partition.clone())),
                    "r" => parts.push(Part::Lit(s.region.clone())),
                    "a" => parts.push(Part::Lit(s.account_id.clone())),
                    "path" => parts.extend(iam_path.iter().cloned()),
                    _ => {
                        // An alias name already carries `alias/`.
                        let mut n = name_parts.clone();
                        if ty == "AWS::SSM::Parameter"
                            && let Some(Part::Lit(first)) = n.first_mut()
                        {
                            *first = first.trim_start_matches('/').to_string();
                        }
                        parts.extend(n);
                    }
                }
                rest = &rest[end + 1..];
            }
            parts.push(Part::Lit(rest.to_string()));
            Ok(Val::Str(merge(parts)))
        };
        match what {
            "name" => Ok(Val::Str(name_parts.clone())),
            "arn" => fill(model.arn),
            "url" => fill("https://sqs.{r}.amazonaws.com/{a}/{name}"),
            _ => Ok(Val::Str(vec![Part::Unknown(format!("`{attr}` of `{id}`"))])),
        }
    }

    /// A resource's physical name: its name property, else a generated one.
    pub(super) fn resource_name(
        &self,
        id: &str,
        ty: &str,
        model: &NameShape,
        props: Option<&Node>,
    ) -> Result<Val, TemplateError> {
        let s = self.t.settings;
        Ok(
            match props
                .and_then(|p| p.get(model.name_prop))
                .filter(|_| !model.name_prop.is_empty())
            {
                Some(n) => {
                    self.resolve(n, &format!("Resources/{id}/Properties/{}", model.name_prop))?
                }
                None => match generated_id(ty, id) {
                    Some(g) => Val::lit(g),
                    None if ty == "AWS::S3::Bucket" => {
                        Val::lit(format!("{}-{}", s.stack_name, id).to_lowercase())
                    }
                    None => Val::lit(format!("{}-{}", s.stack_name, id)),
                },
            },
        )
    }

    /// `Fn::Sub`: `${Name}`, `${Resource.Attribute}` and `${!Literal}`.
    pub(super) fn sub(
        &self,
        text: &str,
        vars: &[(String, Val)],
        path: &str,
        at: &Node,
    ) -> Result<Val, TemplateError> {
        let mut parts = Vec::new();
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            parts.push(Part::Lit(rest[..start].to_string()));
            let after = &rest[start + 2..];
            if let Some(lit) = after.strip_prefix('!') {
                parts.push(Part::Lit("${".into()));
                rest = lit;
                continue;
            }
            let Some(end) = after.find('}') else {
                return Err(invalid(
                    path,
                    at,
                    format!("`Fn::Sub`: `${{` without a closing `}}` in `{text}`"),
                ));
            };
            let var = after[..end].trim();
            let value = if let Some((_, v)) = vars.iter().find(|(n, _)| n == var) {
                v.clone()
            } else if let Some((res, attr)) = var
                .split_once('.')
                .filter(|(r, _)| self.t.resource(r).is_some())
            {
                self.attribute(res, attr, path, at)?
            } else if self.t.params.contains_key(var)
                || self.t.resource(var).is_some()
                || var.starts_with("AWS::")
            {
                self.reference(var, path, at)?
            } else {
                return Err(invalid(
                    path,
                    at,
                    format!(
                        "`Fn::Sub` variable `{var}` is not a parameter, resource or pseudo parameter; an IAM policy variable is written `${{!{var}}}`"
                    ),
                ));
            };
            match value {
                Val::Str(p) => parts.extend(p),
                Val::Unknown(why) => parts.push(Part::Unknown(why)),
                other => match other.known_str() {
                    Some(t) => parts.push(Part::Lit(t)),
                    None => {
                        return Err(invalid(
                            path,
                            at,
                            format!("`Fn::Sub` variable `{var}` is `{other}`, not a string"),
                        ));
                    }
                },
            }
            rest = &after[end + 1..];
        }
        parts.push(Part::Lit(rest.to_string()));
        Ok(Val::Str(merge(parts)))
    }
}

#[cfg(test)]
mod tests {
    use super::super::with_resolver;
    use super::*;

    const TEMPLATE: &str = r#"
Parameters:
  Name: {Type: String, Default: app}
  Free: {Type: String}
Mappings:
  Env: {prod: {Size: large}}
Resources:
  AppRole:
    Type: AWS::IAM::Role
    Properties: {RoleName: app-role, Path: /svc/}
  Queue:
    Type: AWS::SQS::Queue
"#;

    fn resolve(expr: &str) -> Val {
        with_resolver(TEMPLATE, |r| {
            let node = crate::template::node::load(expr).unwrap();
            r.resolve(&node, "test").unwrap()
        })
    }

    #[test]
    fn sub_join_select_split_and_find_in_map() {
        assert_eq!(
            resolve(r#"!Sub "arn:${AWS::Partition}:s3:::${Name}-${AWS::AccountId}/*""#),
            Val::lit("arn:aws:s3:::app-123456789012/*")
        );
        assert_eq!(resolve(r#"!Join ["-", [a, !Ref Name]]"#), Val::lit("a-app"));
        assert_eq!(
            resolve(r#"!Select [1, !Split [",", "x,y,z"]]"#),
            Val::lit("y")
        );
        assert_eq!(
            resolve(r#"!FindInMap [Env, prod, Size]"#),
            Val::lit("large")
        );
    }

    #[test]
    fn references_to_modelled_resources_have_aws_formats() {
        assert_eq!(
            resolve(r#"!GetAtt AppRole.Arn"#),
            Val::lit("arn:aws:iam::123456789012:role/svc/app-role")
        );
        assert_eq!(resolve(r#"!Ref AppRole"#), Val::lit("app-role"));
        assert_eq!(
            resolve(r#"!GetAtt Queue.Arn"#),
            Val::lit("arn:aws:sqs:us-east-1:123456789012:hornbeam-stack-Queue")
        );
    }

    #[test]
    fn what_is_unknown_offline_stays_unknown_with_its_reason() {
        let Val::Str(parts) = resolve(r#"!Sub "arn:aws:s3:::${Free}/*""#) else {
            panic!("a string");
        };
        assert!(
            parts
                .iter()
                .any(|p| matches!(p, Part::Unknown(why) if why.contains("Free"))),
            "{parts:?}"
        );
        assert!(matches!(
            resolve(r#"!ImportValue shared-key"#),
            Val::Str(ref p) if matches!(p.as_slice(), [Part::Unknown(_)])
        ));
    }
}
