//! IAM policy documents: JSON text → typed, validated AST.
//!
//! Every rejection names the place (JSON pointer and line:column) and says how to fix
//! it. Nothing here panics on input.

pub mod condition;
mod control;
mod parse;
#[cfg(test)]
mod tests;

pub use control::{ControlKind, parse_control};
use parse::Parser;

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use thiserror::Error;

use crate::json::{self};
use crate::pattern::{ActionKey, Glob, Template};
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
    /// Another statement of the policy has the same Sid (resource policies allow it;
    /// IAM does not): the statement is then named by its index.
    pub shared_sid: bool,
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
            Some(sid) if !self.shared_sid => format!("sid: {sid}"),
            _ => format!("index: {}", self.index),
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

/// A 12-digit AWS account id.
pub fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}
