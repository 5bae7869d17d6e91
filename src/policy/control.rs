//! The organization policy types: a service control policy is an identity-side limit
//! read with the identity grammar plus its own rules, a resource control policy a
//! resource-side one read with the resource-policy grammar plus its own (AWS
//! Organizations User Guide, "SCP syntax" and "RCP syntax").

use super::parse::{Parser, members};
use super::{MAX_DOCUMENT_BYTES, Policy, PolicyError, PolicyType, parse};
use crate::json::{self, Json, JsonKind};

/// The organization policy types, each read with its own rules on top of a base
/// grammar (AWS Organizations User Guide, "SCP syntax" and "RCP syntax").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ControlKind {
    /// A service control policy: an identity-side limit, so no `Principal` or
    /// `NotPrincipal`; otherwise the identity grammar.
    ServiceControl,
    /// A resource control policy: `Version` `2012-10-17`; every statement a `Deny`
    /// (AWS allows `Allow` only in its own `RCPFullAWSAccess`, whose one statement allows
    /// `*` to `*` on `*`); `Principal` required and `*`; no `NotPrincipal`, no
    /// `NotAction`; otherwise the resource-policy grammar.
    ResourceControl,
}

impl ControlKind {
    pub fn name(self) -> &'static str {
        match self {
            ControlKind::ServiceControl => "SERVICE_CONTROL_POLICY",
            ControlKind::ResourceControl => "RESOURCE_CONTROL_POLICY",
        }
    }
}

/// Parses a service or resource control policy: the kind's own rules, each violation
/// located, then the base grammar (identity for SCPs, resource policies for RCPs).
pub fn parse_control(text: &str, kind: ControlKind) -> Result<Policy, PolicyError> {
    let base = match kind {
        ControlKind::ServiceControl => PolicyType::Identity,
        ControlKind::ResourceControl => PolicyType::Resource,
    };
    let text_no_bom = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.len() <= MAX_DOCUMENT_BYTES
        && let Ok(root) = json::parse(text_no_bom)
    {
        let p = Parser {
            text: text_no_bom,
            policy_type: base,
            variables: false,
        };
        control_rules(&p, &root, kind)?;
    }
    parse(text, base)
}

/// A member of a JSON object by name.
fn field<'j>(fs: &'j [json::Member], name: &str) -> Option<&'j Json> {
    fs.iter().find(|m| m.name == name).map(|m| &m.value)
}

/// The rules an organization policy type adds to its base grammar.
fn control_rules(p: &Parser, root: &Json, kind: ControlKind) -> Result<(), PolicyError> {
    let Some(fields) = members(root) else {
        return Ok(());
    };
    let rcp = kind == ControlKind::ResourceControl;
    if rcp {
        match field(fields, "Version") {
            Some(Json {
                kind: JsonKind::String(v),
                ..
            }) if v == "2012-10-17" => {}
            Some(v) => {
                return Err(p.err(v.offset, "/Version", "an RCP's `Version` is `2012-10-17`"));
            }
            None => {
                return Err(p.err(
                    root.offset,
                    "",
                    "an RCP needs `\"Version\": \"2012-10-17\"`",
                ));
            }
        }
    }
    let statements: Vec<(String, &Json)> = match field(fields, "Statement") {
        Some(Json {
            kind: JsonKind::Array(items),
            ..
        }) => items
            .iter()
            .enumerate()
            .map(|(i, s)| (format!("/Statement/{i}"), s))
            .collect(),
        Some(one) => vec![("/Statement".to_string(), one)],
        None => Vec::new(),
    };
    for (pointer, s) in statements {
        let Some(fs) = members(s) else { continue };
        let name = kind.name();
        for m in fs {
            let forbidden = match (kind, m.name.as_str()) {
                (ControlKind::ServiceControl, "Principal" | "NotPrincipal") => Some(
                    "an SCP applies to every principal of the accounts it is attached to, so it has no `{}`; drop it (to exempt principals, use a condition on `aws:PrincipalArn`)",
                ),
                (ControlKind::ResourceControl, "NotPrincipal" | "NotAction") => {
                    Some("an RCP has no `{}`; use `Principal: \"*\"` with conditions, and `Action`")
                }
                _ => None,
            };
            if let Some(message) = forbidden {
                return Err(p.err(
                    m.name_offset,
                    &format!("{pointer}/{}", m.name),
                    format!("{} ({name})", message.replace("{}", &m.name)),
                ));
            }
        }
        if !rcp {
            continue;
        }
        let is_star = |j: Option<&Json>| match j.map(|j| &j.kind) {
            Some(JsonKind::String(v)) => v == "*",
            Some(JsonKind::Array(items)) => {
                items.len() == 1 && matches!(&items[0].kind, JsonKind::String(v) if v == "*")
            }
            _ => false,
        };
        match field(fs, "Principal") {
            None => {
                return Err(p.err(
                    s.offset,
                    &pointer,
                    "an RCP statement needs `\"Principal\": \"*\"` (narrow it with conditions such as `aws:PrincipalArn`) (RESOURCE_CONTROL_POLICY)",
                ));
            }
            Some(pr) if !is_star(Some(pr)) => {
                return Err(p.err(
                    pr.offset,
                    &format!("{pointer}/Principal"),
                    "an RCP's `Principal` is `\"*\"`; narrow it with conditions such as `aws:PrincipalArn` (RESOURCE_CONTROL_POLICY)",
                ));
            }
            Some(_) => {}
        }
        if let Some(effect) = field(fs, "Effect")
            && matches!(&effect.kind, JsonKind::String(e) if e == "Allow")
        {
            let full_access = is_star(field(fs, "Action"))
                && is_star(field(fs, "Resource"))
                && field(fs, "Condition").is_none();
            if !full_access {
                return Err(p.err(
                    effect.offset,
                    &format!("{pointer}/Effect"),
                    "an RCP statement is a `Deny`: AWS allows `Allow` only in its own RCPFullAWSAccess (`*` on `*`) (RESOURCE_CONTROL_POLICY)",
                ));
            }
        }
    }
    Ok(())
}
