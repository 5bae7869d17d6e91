//! IAM policy documents: JSON text → typed, validated AST.
//!
//! Every rejection names the place (JSON pointer and line:column) and says how to fix
//! it. Nothing here panics on input.

pub mod condition;

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use thiserror::Error;

use crate::json::{self, Json, JsonKind};
use crate::pattern::{self, ActionKey, Glob, Syntax, Template};
pub use condition::{BaseOp, Cmp, CondValue, Family, Operator, SetQualifier};

/// Largest policy document accepted, in bytes. AWS's own limits are far lower (6,144
/// characters for managed policies, 20 KB for bucket policies); this bound only keeps
/// hostile input from exhausting memory.
pub const MAX_DOCUMENT_BYTES: usize = 1 << 20;

/// Most statements in one policy.
pub const MAX_STATEMENTS: usize = 5_000;

/// Most values in one element (Action, Resource, Principal kind, one condition key).
pub const MAX_VALUES: usize = 50_000;

/// Longest string value (pattern, ARN, condition value) in characters; IAM's own ARN
/// limit is 2,048.
pub const MAX_STRING_CHARS: usize = 4_096;

/// Most condition keys in one statement (over all operators).
pub const MAX_CONDITIONS: usize = 1_000;

/// Which kind of policy a document is; it decides whether Principal is required.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PolicyType {
    Identity,
    Resource,
}

impl FromStr for PolicyType {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "IDENTITY_POLICY" => Ok(PolicyType::Identity),
            "RESOURCE_POLICY" => Ok(PolicyType::Resource),
            other => Err(format!(
                "unknown policy type `{other}`; use `IDENTITY_POLICY` or `RESOURCE_POLICY`"
            )),
        }
    }
}

impl fmt::Display for PolicyType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PolicyType::Identity => "IDENTITY_POLICY",
            PolicyType::Resource => "RESOURCE_POLICY",
        })
    }
}

#[derive(Debug, Clone)]
pub struct Policy {
    pub version: Option<String>,
    pub id: Option<String>,
    pub policy_type: PolicyType,
    /// Policy variables are only interpreted in `2012-10-17` documents.
    pub variables: bool,
    pub statements: Vec<Statement>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Effect {
    Allow,
    Deny,
}

/// An element that is either a positive list (`Action`) or its complement (`NotAction`).
#[derive(Debug, Clone)]
pub struct ElementSet<T> {
    pub negated: bool,
    pub items: Vec<T>,
}

#[derive(Debug, Clone)]
pub struct ActionPattern {
    pub text: String,
    /// Case-folded glob; match it against `pattern::fold(action)`.
    pub glob: Glob,
    /// The same glob as a folded template, shared with the encoder's atoms.
    pub template: Arc<Template>,
    pub key: ActionKey,
}

#[derive(Debug, Clone)]
pub struct ResourcePattern {
    pub text: String,
    pub template: Arc<Template>,
}

/// The kinds of principal a resource policy can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PrincipalKind {
    Aws,
    Service,
    Federated,
    CanonicalUser,
}

impl PrincipalKind {
    pub fn name(self) -> &'static str {
        match self {
            PrincipalKind::Aws => "AWS",
            PrincipalKind::Service => "Service",
            PrincipalKind::Federated => "Federated",
            PrincipalKind::CanonicalUser => "CanonicalUser",
        }
    }

    pub fn from_name(s: &str) -> Option<PrincipalKind> {
        [
            PrincipalKind::Aws,
            PrincipalKind::Service,
            PrincipalKind::Federated,
            PrincipalKind::CanonicalUser,
        ]
        .into_iter()
        .find(|k| k.name() == s)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PrincipalPattern {
    /// `"*"` or `{"AWS": "*"}`: everyone, anonymous callers included.
    Everyone,
    /// `{"Service": "*"}` and the like: every principal of that kind.
    AnyOfKind(PrincipalKind),
    /// `{"AWS": "123456789012"}` or `...:root`: every principal of the account.
    Account(String),
    /// One named principal.
    Exact(PrincipalKind, String),
}

#[derive(Debug, Clone)]
pub struct Condition {
    pub operator: Operator,
    /// Lower-cased key name (keys are case-insensitive).
    pub key: String,
    /// The key as written.
    pub key_text: String,
    pub values: Vec<CondValue>,
    pub pointer: String,
}

#[derive(Debug, Clone)]
pub struct Statement {
    pub index: usize,
    pub sid: Option<String>,
    pub effect: Effect,
    pub actions: ElementSet<ActionPattern>,
    /// `None`: no Resource element (trust policies); the statement covers every resource.
    pub resources: Option<ElementSet<ResourcePattern>>,
    /// `None` in identity policies.
    pub principals: Option<ElementSet<PrincipalPattern>>,
    pub conditions: Vec<Condition>,
    pub pointer: String,
}

impl Policy {
    /// Whether two policies state the same rules: statement by statement, the same
    /// effect, element texts, principals and conditions, read the same way (type and
    /// policy variables). Positions, Sids and pointers may differ. Equal rules allow
    /// the same requests.
    pub fn same_rules(&self, other: &Policy) -> bool {
        fn texts<T>(e: &ElementSet<T>, text: impl Fn(&T) -> &str) -> (bool, Vec<&str>) {
            (e.negated, e.items.iter().map(text).collect())
        }
        let statement = |a: &Statement, b: &Statement| {
            a.effect == b.effect
                && texts(&a.actions, |x| &x.text) == texts(&b.actions, |x| &x.text)
                && a.resources.as_ref().map(|r| texts(r, |x| &x.text))
                    == b.resources.as_ref().map(|r| texts(r, |x| &x.text))
                && a.principals.as_ref().map(|p| (p.negated, &p.items))
                    == b.principals.as_ref().map(|p| (p.negated, &p.items))
                && a.conditions.len() == b.conditions.len()
                && a.conditions.iter().zip(&b.conditions).all(|(x, y)| {
                    x.operator == y.operator && x.key == y.key && x.values == y.values
                })
        };
        self.policy_type == other.policy_type
            && self.variables == other.variables
            && self.statements.len() == other.statements.len()
            && self
                .statements
                .iter()
                .zip(&other.statements)
                .all(|(a, b)| statement(a, b))
    }
}

impl Statement {
    /// How AWS names a statement in reasons: by Sid when it has one, else by index.
    pub fn label(&self) -> String {
        match &self.sid {
            Some(sid) => format!("sid: {sid}"),
            None => format!("index: {}", self.index),
        }
    }
}

/// A policy document that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PolicyError {
    #[error("line {line}, column {column}: invalid JSON: {message}")]
    Syntax {
        line: usize,
        column: usize,
        message: String,
    },
    #[error(
        "{} (line {line}, column {column}): {message}",
        display_pointer(pointer)
    )]
    Invalid {
        pointer: String,
        line: usize,
        column: usize,
        message: String,
    },
}

fn display_pointer(p: &str) -> &str {
    if p.is_empty() { "/" } else { p }
}

/// Parses and validates a policy document.
pub fn parse(text: &str, policy_type: PolicyType) -> Result<Policy, PolicyError> {
    if text.len() > MAX_DOCUMENT_BYTES {
        return Err(PolicyError::Syntax {
            line: 1,
            column: 1,
            message: format!(
                "the document is {} bytes, more than the {MAX_DOCUMENT_BYTES}-byte limit; split it into several policies",
                text.len()
            ),
        });
    }
    let text_no_bom = text.strip_prefix('\u{feff}').unwrap_or(text);
    let root = json::parse(text_no_bom).map_err(|e| PolicyError::Syntax {
        line: e.line,
        column: e.column,
        message: e.message,
    })?;
    Parser {
        text: text_no_bom,
        policy_type,
        variables: false,
    }
    .policy(&root)
}

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

struct Parser<'t> {
    text: &'t str,
    policy_type: PolicyType,
    variables: bool,
}

const STATEMENT_FIELDS: &[&str] = &[
    "Sid",
    "Effect",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Principal",
    "NotPrincipal",
    "Condition",
];

fn child(pointer: &str, token: &str) -> String {
    format!("{pointer}/{}", json::pointer_token(token))
}

fn members(j: &Json) -> Option<&[json::Member]> {
    match &j.kind {
        JsonKind::Object(m) => Some(m),
        _ => None,
    }
}

impl Parser<'_> {
    fn err(&self, offset: usize, pointer: &str, message: impl Into<String>) -> PolicyError {
        let (line, column) = json::line_column(self.text, offset);
        PolicyError::Invalid {
            pointer: pointer.to_string(),
            line,
            column,
            message: message.into(),
        }
    }

    fn policy(mut self, root: &Json) -> Result<Policy, PolicyError> {
        let Some(top) = members(root) else {
            return Err(self.err(
                root.offset,
                "",
                format!(
                    "a policy document must be a JSON object, found {}",
                    root.type_name()
                ),
            ));
        };
        let mut version = None;
        let mut id = None;
        let mut statement = None;
        for m in top {
            let p = child("", &m.name);
            match m.name.as_str() {
                "Version" => {
                    let v = self.string(&m.value, &p)?;
                    if v != "2012-10-17" && v != "2008-10-17" {
                        return Err(self.err(
                            m.value.offset,
                            &p,
                            format!(
                                "unknown policy version `{v}`; use `2012-10-17` (the current version)"
                            ),
                        ));
                    }
                    version = Some(v);
                }
                "Id" => id = Some(self.string(&m.value, &p)?),
                "Statement" => statement = Some(m),
                other => {
                    return Err(self.err(
                        m.name_offset,
                        &p,
                        unknown_field(other, &["Version", "Id", "Statement"], "policy"),
                    ));
                }
            }
        }
        self.variables = version.as_deref() == Some("2012-10-17");
        let Some(statement) = statement else {
            return Err(self.err(
                root.offset,
                "",
                "the policy has no `Statement`; add `\"Statement\": [ ... ]`",
            ));
        };
        let mut statements = Vec::new();
        match &statement.value.kind {
            JsonKind::Array(items) if items.len() > MAX_STATEMENTS => {
                return Err(self.err(
                    statement.value.offset,
                    "/Statement",
                    format!(
                        "{} statements, more than the limit of {MAX_STATEMENTS}; split the policy",
                        items.len()
                    ),
                ));
            }
            JsonKind::Array(items) => {
                for (i, s) in items.iter().enumerate() {
                    statements.push(self.statement(s, i, &format!("/Statement/{i}"))?);
                }
            }
            JsonKind::Object(_) => {
                statements.push(self.statement(&statement.value, 0, "/Statement")?)
            }
            _ => {
                return Err(self.err(
                    statement.value.offset,
                    "/Statement",
                    format!(
                        "`Statement` must be an object or an array of objects, found {}",
                        statement.value.type_name()
                    ),
                ));
            }
        }
        let mut seen: Vec<(&str, &str)> = Vec::new();
        for s in &statements {
            if let Some(sid) = &s.sid {
                if let Some((_, first)) = seen.iter().find(|(x, _)| *x == sid) {
                    let offset = self.offset_of_sid(statement, s.index);
                    return Err(self.err(
                        offset,
                        &child(&s.pointer, "Sid"),
                        format!(
                            "duplicate Sid `{sid}` (also at `{first}`); statement ids must be unique within a policy"
                        ),
                    ));
                }
                seen.push((sid, &s.pointer));
            }
        }
        Ok(Policy {
            version,
            id,
            policy_type: self.policy_type,
            variables: self.variables,
            statements,
        })
    }

    fn offset_of_sid(&self, statement: &json::Member, index: usize) -> usize {
        let s = match &statement.value.kind {
            JsonKind::Array(items) => items.get(index),
            _ => Some(&statement.value),
        };
        s.and_then(members)
            .and_then(|ms| ms.iter().find(|m| m.name == "Sid"))
            .map(|m| m.value.offset)
            .unwrap_or(statement.value.offset)
    }

    fn string(&self, j: &Json, pointer: &str) -> Result<String, PolicyError> {
        match &j.kind {
            JsonKind::String(s) if s.chars().count() > MAX_STRING_CHARS => Err(self.err(
                j.offset,
                pointer,
                format!(
                    "a string of {} characters, more than the limit of {MAX_STRING_CHARS}; shorten it",
                    s.chars().count()
                ),
            )),
            JsonKind::String(s) => Ok(s.clone()),
            _ => Err(self.err(
                j.offset,
                pointer,
                format!("expected a string, found {}", j.type_name()),
            )),
        }
    }

    /// A string or a non-empty array of strings, with each item's pointer and offset.
    fn strings(
        &self,
        j: &Json,
        pointer: &str,
    ) -> Result<Vec<(String, String, usize)>, PolicyError> {
        match &j.kind {
            JsonKind::String(_) => Ok(vec![(
                self.string(j, pointer)?,
                pointer.to_string(),
                j.offset,
            )]),
            JsonKind::Array(items) if items.len() > MAX_VALUES => Err(self.err(
                j.offset,
                pointer,
                format!(
                    "{} values, more than the limit of {MAX_VALUES}; split the statement",
                    items.len()
                ),
            )),
            JsonKind::Array(items) if items.is_empty() => Err(self.err(
                j.offset,
                pointer,
                "the list is empty; give at least one value or remove the element",
            )),
            JsonKind::Array(items) => items
                .iter()
                .enumerate()
                .map(|(i, item)| {
                    let p = format!("{pointer}/{i}");
                    self.string(item, &p).map(|s| (s, p, item.offset))
                })
                .collect(),
            _ => Err(self.err(
                j.offset,
                pointer,
                format!(
                    "expected a string or an array of strings, found {}",
                    j.type_name()
                ),
            )),
        }
    }

    fn statement(&self, j: &Json, index: usize, pointer: &str) -> Result<Statement, PolicyError> {
        let Some(ms) = members(j) else {
            return Err(self.err(
                j.offset,
                pointer,
                format!("a statement must be a JSON object, found {}", j.type_name()),
            ));
        };
        for m in ms {
            if !STATEMENT_FIELDS.contains(&m.name.as_str()) {
                return Err(self.err(
                    m.name_offset,
                    &child(pointer, &m.name),
                    unknown_field(&m.name, STATEMENT_FIELDS, "statement"),
                ));
            }
        }
        let get = |name: &str| ms.iter().find(|m| m.name == name);
        let both = |a: &str, b: &str| -> Result<(), PolicyError> {
            if let (Some(_), Some(mb)) = (get(a), get(b)) {
                return Err(self.err(
                    mb.name_offset,
                    &child(pointer, b),
                    format!("a statement cannot have both `{a}` and `{b}`; keep one"),
                ));
            }
            Ok(())
        };
        both("Action", "NotAction")?;
        both("Resource", "NotResource")?;
        both("Principal", "NotPrincipal")?;

        // An empty Sid is no Sid: AWS's reasons then name the statement by index
        // (recorded answers in tf-policy-validator's test data).
        let sid = get("Sid")
            .map(|m| self.string(&m.value, &child(pointer, "Sid")))
            .transpose()?
            .filter(|sid| !sid.is_empty());
        let effect = match get("Effect") {
            None => {
                return Err(self.err(
                    j.offset,
                    pointer,
                    "the statement has no `Effect`; add `\"Effect\": \"Allow\"` or `\"Effect\": \"Deny\"`",
                ));
            }
            Some(m) => {
                let p = child(pointer, "Effect");
                match self.string(&m.value, &p)?.as_str() {
                    "Allow" => Effect::Allow,
                    "Deny" => Effect::Deny,
                    other => {
                        return Err(self.err(
                            m.value.offset,
                            &p,
                            format!("unknown effect `{other}`; use `Allow` or `Deny`"),
                        ));
                    }
                }
            }
        };

        let actions = match (get("Action"), get("NotAction")) {
            (Some(m), _) => self.actions(&m.value, &child(pointer, "Action"), false)?,
            (None, Some(m)) => self.actions(&m.value, &child(pointer, "NotAction"), true)?,
            (None, None) => {
                return Err(self.err(
                    j.offset,
                    pointer,
                    "the statement has neither `Action` nor `NotAction`; add one",
                ));
            }
        };

        let resources = match (get("Resource"), get("NotResource")) {
            (Some(m), _) => Some(self.resources(&m.value, &child(pointer, "Resource"), false)?),
            (None, Some(m)) => {
                Some(self.resources(&m.value, &child(pointer, "NotResource"), true)?)
            }
            (None, None) if self.policy_type == PolicyType::Identity => {
                return Err(self.err(
                    j.offset,
                    pointer,
                    "the statement has neither `Resource` nor `NotResource`; identity policies need one (use `\"Resource\": \"*\"` for all)",
                ));
            }
            (None, None) => None,
        };

        let principals = match (self.policy_type, get("Principal").or(get("NotPrincipal"))) {
            (PolicyType::Identity, Some(m)) => {
                return Err(self.err(
                    m.name_offset,
                    &child(pointer, &m.name),
                    format!(
                        "`{}` is not allowed in an identity policy (the principal is the identity it is attached to); remove it, or check the document as `RESOURCE_POLICY`",
                        m.name
                    ),
                ));
            }
            (PolicyType::Identity, None) => None,
            (PolicyType::Resource, None) => {
                return Err(self.err(
                    j.offset,
                    pointer,
                    "the statement has neither `Principal` nor `NotPrincipal`; resource policies need one (use `\"Principal\": {\"AWS\": \"111122223333\"}` for an account)",
                ));
            }
            (PolicyType::Resource, Some(m)) => Some(ElementSet {
                negated: m.name == "NotPrincipal",
                items: self.principals(&m.value, &child(pointer, &m.name))?,
            }),
        };

        let conditions = match get("Condition") {
            Some(m) => {
                let cs = self.conditions(&m.value, &child(pointer, "Condition"))?;
                if cs.len() > MAX_CONDITIONS {
                    return Err(self.err(
                        m.value.offset,
                        &child(pointer, "Condition"),
                        format!(
                            "{} condition keys, more than the limit of {MAX_CONDITIONS}; split the statement",
                            cs.len()
                        ),
                    ));
                }
                cs
            }
            None => Vec::new(),
        };

        Ok(Statement {
            index,
            sid,
            effect,
            actions,
            resources,
            principals,
            conditions,
            pointer: pointer.to_string(),
        })
    }

    fn actions(
        &self,
        j: &Json,
        pointer: &str,
        negated: bool,
    ) -> Result<ElementSet<ActionPattern>, PolicyError> {
        let mut items = Vec::new();
        for (text, p, offset) in self.strings(j, pointer)? {
            if self.variables && text.contains("${") {
                return Err(self.err(
                    offset,
                    &p,
                    format!("policy variables are not allowed in actions (`{text}`); list the actions explicitly"),
                ));
            }
            let well_formed = text == "*"
                || text.split_once(':').is_some_and(|(svc, name)| {
                    !svc.is_empty() && !name.is_empty() && !name.contains(':')
                });
            if !well_formed {
                return Err(self.err(
                    offset,
                    &p,
                    format!("action `{text}` is not of the form `service:action` (for example `s3:GetObject`) or `*`"),
                ));
            }
            let glob = Glob::action(&text);
            let template = Arc::new(Template::of_glob(&glob, true));
            items.push(ActionPattern {
                text,
                key: glob.action_key(),
                glob,
                template,
            });
        }
        Ok(ElementSet { negated, items })
    }

    fn resources(
        &self,
        j: &Json,
        pointer: &str,
        negated: bool,
    ) -> Result<ElementSet<ResourcePattern>, PolicyError> {
        let mut items = Vec::new();
        for (text, p, offset) in self.strings(j, pointer)? {
            let arn_like =
                text.starts_with("arn:") || text.starts_with('*') || text.starts_with('?');
            if !arn_like {
                return Err(self.err(
                    offset,
                    &p,
                    format!("resource `{text}` is neither `*` nor an ARN; write `arn:partition:service:region:account:resource`"),
                ));
            }
            let template = Template::parse(&text, Syntax::Arn, false, self.variables)
                .map_err(|e| self.err(offset, &p, format!("in `{text}`: {e}")))?;
            items.push(ResourcePattern {
                text,
                template: Arc::new(template),
            });
        }
        Ok(ElementSet { negated, items })
    }

    fn principals(&self, j: &Json, pointer: &str) -> Result<Vec<PrincipalPattern>, PolicyError> {
        match &j.kind {
            JsonKind::String(s) if s == "*" => Ok(vec![PrincipalPattern::Everyone]),
            JsonKind::String(s) => Err(self.err(
                j.offset,
                pointer,
                format!("principal `{s}` must be `\"*\"` or an object such as `{{\"AWS\": \"{s}\"}}`"),
            )),
            JsonKind::Object(ms) if ms.is_empty() => Err(self.err(
                j.offset,
                pointer,
                "the principal object is empty; name at least one `AWS`, `Service`, `Federated` or `CanonicalUser` principal",
            )),
            JsonKind::Object(ms) => {
                let mut out = Vec::new();
                for m in ms {
                    let kp = child(pointer, &m.name);
                    let Some(kind) = PrincipalKind::from_name(&m.name) else {
                        return Err(self.err(
                            m.name_offset,
                            &kp,
                            unknown_field(&m.name, &["AWS", "Service", "Federated", "CanonicalUser"], "principal"),
                        ));
                    };
                    for (text, p, offset) in self.strings(&m.value, &kp)? {
                        out.push(self.principal(kind, &text, &p, offset)?);
                    }
                }
                Ok(out)
            }
            _ => Err(self.err(
                j.offset,
                pointer,
                format!("a principal must be `\"*\"` or an object, found {}", j.type_name()),
            )),
        }
    }

    fn principal(
        &self,
        kind: PrincipalKind,
        text: &str,
        pointer: &str,
        offset: usize,
    ) -> Result<PrincipalPattern, PolicyError> {
        if text == "*" {
            return Ok(match kind {
                PrincipalKind::Aws => PrincipalPattern::Everyone,
                other => PrincipalPattern::AnyOfKind(other),
            });
        }
        if text.is_empty() {
            return Err(self.err(
                offset,
                pointer,
                "the principal is an empty string; name a principal or remove the entry",
            ));
        }
        if text.contains(['*', '?']) {
            return Err(self.err(
                offset,
                pointer,
                format!("principal `{text}` contains a wildcard; IAM only accepts `*` alone there. Use `\"*\"` with an `ArnLike` condition on `aws:PrincipalArn`"),
            ));
        }
        if kind == PrincipalKind::Aws {
            if is_account_id(text) {
                return Ok(PrincipalPattern::Account(text.to_string()));
            }
            if text.starts_with("arn:") {
                let f = pattern::arn_fields(text);
                if f.len() < 6 || f[5].is_empty() {
                    return Err(self.err(
                        offset,
                        pointer,
                        format!("principal `{text}` is not a complete ARN; write `arn:aws:iam::111122223333:role/NAME` or an account id"),
                    ));
                }
                if f[5] == "root" && is_account_id(f[4]) {
                    return Ok(PrincipalPattern::Account(f[4].to_string()));
                }
            } else if !text.chars().all(|c| c.is_ascii_alphanumeric()) {
                return Err(self.err(
                    offset,
                    pointer,
                    format!("AWS principal `{text}` is neither an ARN, a 12-digit account id nor a unique id"),
                ));
            }
        }
        Ok(PrincipalPattern::Exact(kind, text.to_string()))
    }

    fn conditions(&self, j: &Json, pointer: &str) -> Result<Vec<Condition>, PolicyError> {
        let Some(ops) = members(j) else {
            return Err(self.err(
                j.offset,
                pointer,
                format!(
                    "`Condition` must be an object of operators, found {}",
                    j.type_name()
                ),
            ));
        };
        let mut out = Vec::new();
        for op_member in ops {
            let op_pointer = child(pointer, &op_member.name);
            let operator = Operator::parse(&op_member.name)
                .map_err(|msg| self.err(op_member.name_offset, &op_pointer, msg))?;
            let keys = match &op_member.value.kind {
                JsonKind::Object(keys) if !keys.is_empty() => keys,
                _ => {
                    return Err(self.err(
                        op_member.value.offset,
                        &op_pointer,
                        format!(
                            "`{}` must map condition keys to values, e.g. `{{\"aws:SourceAccount\": \"111122223333\"}}`",
                            op_member.name
                        ),
                    ));
                }
            };
            for key_member in keys {
                let key_pointer = child(&op_pointer, &key_member.name);
                if key_member.name.trim().is_empty() {
                    return Err(self.err(
                        key_member.name_offset,
                        &key_pointer,
                        "the condition key is empty; name a key such as `aws:SourceIp`",
                    ));
                }
                let values = self.condition_values(&operator, &key_member.value, &key_pointer)?;
                out.push(Condition {
                    operator: operator.clone(),
                    key: pattern::fold(&key_member.name),
                    key_text: key_member.name.clone(),
                    values,
                    pointer: key_pointer,
                });
            }
        }
        Ok(out)
    }

    fn condition_values(
        &self,
        op: &Operator,
        j: &Json,
        pointer: &str,
    ) -> Result<Vec<CondValue>, PolicyError> {
        let scalars: Vec<(&Json, String)> = match &j.kind {
            JsonKind::Array(items) if items.len() > MAX_VALUES => {
                return Err(self.err(
                    j.offset,
                    pointer,
                    format!(
                        "{} values, more than the limit of {MAX_VALUES}",
                        items.len()
                    ),
                ));
            }
            JsonKind::Array(items) if items.is_empty() => {
                return Err(self.err(
                    j.offset,
                    pointer,
                    "the list of values is empty; give at least one value",
                ));
            }
            JsonKind::Array(items) => items
                .iter()
                .enumerate()
                .map(|(i, item)| (item, format!("{pointer}/{i}")))
                .collect(),
            _ => vec![(j, pointer.to_string())],
        };
        scalars
            .into_iter()
            .map(|(item, p)| {
                let text = match &item.kind {
                    JsonKind::String(_) => self.string(item, &p)?,
                    JsonKind::Number(n) => n.clone(),
                    JsonKind::Bool(b) => b.to_string(),
                    _ => {
                        return Err(self.err(
                            item.offset,
                            &p,
                            format!(
                                "a condition value must be a string, number or boolean, found {}",
                                item.type_name()
                            ),
                        ));
                    }
                };
                self.condition_value(op, &text, &p, item.offset)
            })
            .collect()
    }

    fn condition_value(
        &self,
        op: &Operator,
        text: &str,
        pointer: &str,
        offset: usize,
    ) -> Result<CondValue, PolicyError> {
        let family = op.base.family();
        let has_variable = self.variables && text.contains("${");
        let no_variables = |what: &str| -> Result<(), PolicyError> {
            if has_variable {
                return Err(self.err(
                    offset,
                    pointer,
                    format!("policy variables are not allowed in {what} conditions (`{text}`); write a literal value"),
                ));
            }
            Ok(())
        };
        let bad = |what: &str, example: &str| {
            self.err(
                offset,
                pointer,
                format!("`{text}` is not a valid {what} for `{op}`; write e.g. `{example}`"),
            )
        };
        match family {
            Family::String | Family::Arn | Family::Bool => {
                let template = Template::parse(
                    text,
                    op.base.syntax(),
                    op.base.ignores_case(),
                    self.variables,
                )
                .map_err(|e| self.err(offset, pointer, format!("in `{text}`: {e}")))?;
                if family == Family::Bool
                    && !has_variable
                    && !matches!(pattern::fold(text).as_str(), "true" | "false")
                {
                    return Err(bad("boolean", "true"));
                }
                Ok(CondValue::Pattern(Arc::new(template)))
            }
            Family::Numeric => {
                no_variables("numeric")?;
                condition::parse_number(text)
                    .map(CondValue::Number)
                    .ok_or_else(|| bad("number", "10 or 2.5"))
            }
            Family::Date => {
                no_variables("date")?;
                condition::parse_date(text)
                    .map(CondValue::Date)
                    .ok_or_else(|| bad("date", "2026-01-31T12:00:00Z or 1769860800"))
            }
            Family::Binary => {
                no_variables("binary")?;
                if condition::is_base64(text) {
                    Ok(CondValue::Binary(text.to_string()))
                } else {
                    Err(bad("base64 value", "QmluYXJ5VmFsdWU="))
                }
            }
            Family::Ip => {
                no_variables("IP address")?;
                condition::parse_ip_net(text)
                    .map(CondValue::Ip)
                    .ok_or_else(|| {
                        bad(
                            "IP address or CIDR block",
                            "203.0.113.0/24 or 2001:db8::/32",
                        )
                    })
            }
            Family::Null => {
                no_variables("Null")?;
                match pattern::fold(text).as_str() {
                    "true" => Ok(CondValue::Null(true)),
                    "false" => Ok(CondValue::Null(false)),
                    _ => Err(bad(
                        "`Null` value (true = key absent, false = key present)",
                        "true",
                    )),
                }
            }
        }
    }
}

/// A 12-digit AWS account id.
pub fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

fn unknown_field(name: &str, known: &[&str], place: &str) -> String {
    match known.iter().find(|k| k.eq_ignore_ascii_case(name)) {
        Some(k) => format!(
            "unknown {place} field `{name}`; field names are case-sensitive: did you mean `{k}`?"
        ),
        None => format!(
            "unknown {place} field `{name}`; allowed: {}",
            known
                .iter()
                .map(|k| format!("`{k}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn identity(text: &str) -> Result<Policy, PolicyError> {
        parse(text, PolicyType::Identity)
    }

    fn invalid(text: &str, policy_type: PolicyType) -> (String, String) {
        match parse(text, policy_type) {
            Err(PolicyError::Invalid {
                pointer, message, ..
            }) => (pointer, message),
            other => panic!("expected an invalid-policy error, got {other:?}"),
        }
    }

    #[test]
    fn parses_a_typical_policy() {
        let p = identity(
            r#"{"Version":"2012-10-17","Statement":[{"Sid":"A","Effect":"Allow","Action":["s3:Get*"],"Resource":"arn:aws:s3:::b/${aws:username}/*","Condition":{"ForAnyValue:StringLike":{"aws:TagKeys":["a*","b"]},"NumericLessThan":{"s3:max-keys":10}}}]}"#,
        )
        .unwrap();
        assert!(p.variables);
        let s = &p.statements[0];
        assert_eq!(s.label(), "sid: A");
        assert_eq!(s.conditions.len(), 2);
        assert_eq!(s.conditions[0].key, "aws:tagkeys");
        assert_eq!(s.conditions[0].values.len(), 2);
        assert!(
            s.resources.as_ref().unwrap().items[0]
                .template
                .has_variables()
        );
    }

    #[test]
    fn an_empty_sid_is_no_sid() {
        let p = parse(
            r#"{"Statement":[{"Sid":"","Effect":"Allow","Action":"s3:*","Resource":"*"},{"Sid":"","Effect":"Deny","Action":"s3:*","Resource":"*"}]}"#,
            PolicyType::Identity,
        )
        .unwrap();
        assert_eq!(p.statements[0].sid, None);
        assert_eq!(p.statements[1].label(), "index: 1");
    }

    #[test]
    fn single_statement_object_is_accepted() {
        let p =
            identity(r#"{"Statement":{"Effect":"Deny","NotAction":"iam:*","NotResource":"*"}}"#)
                .unwrap();
        assert!(!p.variables);
        assert!(p.statements[0].actions.negated);
        assert_eq!(p.statements[0].label(), "index: 0");
    }

    #[test]
    fn errors_name_the_place() {
        let (p, m) = invalid(
            r#"{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"},{"Effect":"Alow","Action":"s3:*","Resource":"*"}]}"#,
            PolicyType::Identity,
        );
        assert_eq!(p, "/Statement/1/Effect");
        assert!(m.contains("unknown effect `Alow`"), "{m}");
        let (p, _) = invalid(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/33"}}}]}"#,
            PolicyType::Identity,
        );
        assert_eq!(p, "/Statement/0/Condition/IpAddress/aws:SourceIp");
        let (p, _) = invalid(
            r#"{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEquals":{"aws:RequestTag/a":["x", {}]}}}]}"#,
            PolicyType::Identity,
        );
        assert_eq!(p, "/Statement/0/Condition/StringEquals/aws:RequestTag~1a/1");
    }

    #[test]
    fn line_and_column_point_at_the_value() {
        let text = "{\n  \"Statement\": {\n    \"Effect\": \"Maybe\",\n    \"Action\": \"*\", \"Resource\": \"*\"}}";
        match identity(text) {
            Err(PolicyError::Invalid { line, column, .. }) => assert_eq!((line, column), (3, 15)),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn rejects_each_invalid_class() {
        let cases: &[(&str, PolicyType, &str)] = &[
            (
                r#"{"Statement":[{"Effect":"Allow","Action":"s3:*","NotAction":"s3:Get*","Resource":"*"}]}"#,
                PolicyType::Identity,
                "both `Action` and `NotAction`",
            ),
            (
                r#"{"Statement":[{"Action":"s3:*","Resource":"*"}]}"#,
                PolicyType::Identity,
                "no `Effect`",
            ),
            (
                r#"{"Statement":[{"Effect":"Allow","Resource":"*"}]}"#,
                PolicyType::Identity,
                "neither `Action` nor `NotAction`",
            ),
            (
                r#"{"Statement":[{"Effect":"Allow","Action":"s3:*"}]}"#,
                PolicyType::Identity,
                "neither `Resource`",
            ),
            (
                r#"{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Principal":"*"}]}"#,
                PolicyType::Identity,
                "not allowed in an identity policy",
            ),
            (
                r#"{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#,
                PolicyType::Resource,
                "neither `Principal`",
            ),
            (
                r#"{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEqualz":{"a:b":"c"}}}]}"#,
                PolicyType::Identity,
                "unknown condition operator",
            ),
            (
                r#"{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"ForEach:StringEquals":{"a:b":"c"}}}]}"#,
                PolicyType::Identity,
                "unknown set qualifier",
            ),
            (
                r#"{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"NullIfExists":{"a:b":"true"}}}]}"#,
                PolicyType::Identity,
                "NullIfExists",
            ),
            (
                r#"{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"NumericLessThan":{"a:b":"ten"}}}]}"#,
                PolicyType::Identity,
                "not a valid number",
            ),
            (
                r#"{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"DateLessThan":{"aws:CurrentTime":"soon"}}}]}"#,
                PolicyType::Identity,
                "not a valid date",
            ),
            (
                r#"{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"yes"}}}]}"#,
                PolicyType::Identity,
                "not a valid boolean",
            ),
            (
                r#"{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"BinaryEquals":{"a:b":"%%%"}}}]}"#,
                PolicyType::Identity,
                "base64",
            ),
            (
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"NumericEquals":{"a:b":"${aws:username}"}}}]}"#,
                PolicyType::Identity,
                "policy variables are not allowed in numeric",
            ),
            (
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:${aws:username}","Resource":"*"}]}"#,
                PolicyType::Identity,
                "not allowed in actions",
            ),
            (
                r#"{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Extra":1}]}"#,
                PolicyType::Identity,
                "unknown statement field `Extra`",
            ),
            (
                r#"{"Statement":[{"Effect":"Allow","action":"s3:*","Resource":"*"}]}"#,
                PolicyType::Identity,
                "did you mean `Action`",
            ),
            (
                r#"{"Statements":[]}"#,
                PolicyType::Identity,
                "unknown policy field",
            ),
            (
                r#"{"Version":"2020-01-01","Statement":[]}"#,
                PolicyType::Identity,
                "unknown policy version",
            ),
            (
                r#"{"Statement":[{"Effect":"Allow","Action":"getobject","Resource":"*"}]}"#,
                PolicyType::Identity,
                "not of the form",
            ),
            (
                r#"{"Statement":[{"Effect":"Allow","Action":[],"Resource":"*"}]}"#,
                PolicyType::Identity,
                "list is empty",
            ),
            (
                r#"{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"bucket"}]}"#,
                PolicyType::Identity,
                "neither `*` nor an ARN",
            ),
            (
                r#"{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Principal":{"AWS":"arn:aws:iam::1:role/*"}}]}"#,
                PolicyType::Resource,
                "contains a wildcard",
            ),
            (
                r#"{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Principal":{"Aws":"*"}}]}"#,
                PolicyType::Resource,
                "did you mean `AWS`",
            ),
            (
                r#"{"Statement":[{"Sid":"A","Effect":"Allow","Action":"s3:*","Resource":"*"},{"Sid":"A","Effect":"Deny","Action":"s3:*","Resource":"*"}]}"#,
                PolicyType::Identity,
                "duplicate Sid",
            ),
            (r#"[]"#, PolicyType::Identity, "must be a JSON object"),
        ];
        for (text, policy_type, expected) in cases {
            let (_, message) = invalid(text, *policy_type);
            assert!(message.contains(expected), "{text}: {message}");
        }
    }

    #[test]
    fn syntax_errors_have_line_and_column() {
        match identity("{\n  \"Statement\": [,]\n}") {
            Err(PolicyError::Syntax { line, .. }) => assert_eq!(line, 2),
            other => panic!("{other:?}"),
        }
        match identity("{\"Statement\":[],\n\"Statement\":[]}") {
            Err(PolicyError::Syntax { line, message, .. }) => {
                assert_eq!(line, 2);
                assert!(message.contains("duplicate key"));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn principals() {
        let p = parse(
            r#"{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Principal":{"AWS":["111122223333","arn:aws:iam::222233334444:root","arn:aws:iam::1:role/r","*"],"Service":"s3.amazonaws.com","Federated":"*"}}]}"#,
            PolicyType::Resource,
        )
        .unwrap();
        let items = &p.statements[0].principals.as_ref().unwrap().items;
        assert_eq!(items[0], PrincipalPattern::Account("111122223333".into()));
        assert_eq!(items[1], PrincipalPattern::Account("222233334444".into()));
        assert_eq!(
            items[2],
            PrincipalPattern::Exact(PrincipalKind::Aws, "arn:aws:iam::1:role/r".into())
        );
        assert_eq!(items[3], PrincipalPattern::Everyone);
        assert_eq!(
            items[4],
            PrincipalPattern::Exact(PrincipalKind::Service, "s3.amazonaws.com".into())
        );
        assert_eq!(
            items[5],
            PrincipalPattern::AnyOfKind(PrincipalKind::Federated)
        );
    }
}
