//! Resolved template values: a string is literal parts and unknown parts (a value no
//! offline reader can know, with the reason), and a document is a tree of them.

use std::fmt;

/// One piece of a resolved string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    Lit(String),
    /// A value the tool cannot know, and why.
    Unknown(String),
}

/// A resolved template value.
#[derive(Debug, Clone, PartialEq)]
pub enum Val {
    Null,
    Bool(bool),
    Num(String),
    Str(Vec<Part>),
    List(Vec<Val>),
    Map(Vec<(String, Val)>),
    /// A whole value (a list, a document) the tool cannot know, and why.
    Unknown(String),
    /// `AWS::NoValue`: the member or item is removed.
    NoValue,
}

impl Val {
    pub fn lit(s: impl Into<String>) -> Val {
        Val::Str(vec![Part::Lit(s.into())])
    }

    /// The string when it is fully known.
    pub fn known_str(&self) -> Option<String> {
        match self {
            Val::Str(parts) => {
                let mut out = String::new();
                for p in parts {
                    match p {
                        Part::Lit(s) => out.push_str(s),
                        Part::Unknown(_) => return None,
                    }
                }
                Some(out)
            }
            Val::Num(n) => Some(n.clone()),
            Val::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }

    /// The first reason a value inside is unknown.
    pub fn first_unknown(&self) -> Option<&str> {
        match self {
            Val::Unknown(why) => Some(why),
            Val::Str(parts) => parts.iter().find_map(|p| match p {
                Part::Unknown(w) => Some(w.as_str()),
                Part::Lit(_) => None,
            }),
            Val::List(items) => items.iter().find_map(Val::first_unknown),
            Val::Map(members) => members.iter().find_map(|(_, v)| v.first_unknown()),
            _ => None,
        }
    }

    pub fn get(&self, name: &str) -> Option<&Val> {
        match self {
            Val::Map(members) => members.iter().find(|(n, _)| n == name).map(|(_, v)| v),
            _ => None,
        }
    }

    /// Reads a serde JSON value (e.g. a policy given as a JSON string).
    pub fn from_json(v: &serde_json::Value) -> Val {
        match v {
            serde_json::Value::Null => Val::Null,
            serde_json::Value::Bool(b) => Val::Bool(*b),
            serde_json::Value::Number(n) => Val::Num(n.to_string()),
            serde_json::Value::String(s) => Val::lit(s.clone()),
            serde_json::Value::Array(items) => {
                Val::List(items.iter().map(Val::from_json).collect())
            }
            serde_json::Value::Object(m) => Val::Map(
                m.iter()
                    .map(|(k, v)| (k.clone(), Val::from_json(v)))
                    .collect(),
            ),
        }
    }
}

impl fmt::Display for Val {
    /// Template-like text, unknowns shown as `{{unknown}}` (the reasons are reported apart).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Val::Null | Val::NoValue => f.write_str("null"),
            Val::Bool(b) => write!(f, "{b}"),
            Val::Num(n) => f.write_str(n),
            Val::Str(parts) => {
                for p in parts {
                    match p {
                        Part::Lit(s) => f.write_str(s)?,
                        Part::Unknown(_) => f.write_str("{{unknown}}")?,
                    }
                }
                Ok(())
            }
            Val::List(items) => {
                f.write_str("[")?;
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{v}")?;
                }
                f.write_str("]")
            }
            Val::Map(_) => f.write_str("{...}"),
            Val::Unknown(_) => f.write_str("{{unknown}}"),
        }
    }
}

/// Joins adjacent literal parts and drops empty ones.
pub(crate) fn merge(parts: Vec<Part>) -> Vec<Part> {
    let mut out: Vec<Part> = Vec::new();
    for p in parts {
        match (out.last_mut(), p) {
            (_, Part::Lit(s)) if s.is_empty() => {}
            (Some(Part::Lit(prev)), Part::Lit(s)) => prev.push_str(&s),
            (_, p) => out.push(p),
        }
    }
    if out.is_empty() {
        out.push(Part::Lit(String::new()));
    }
    out
}

/// A policy given as JSON text that may contain unknown parts (e.g. an `Fn::Sub` over
/// the whole document): each unknown must sit inside a JSON string.
pub fn json_with_unknowns(parts: &[Part]) -> Result<Val, String> {
    const OPEN: char = '\u{E000}';
    const CLOSE: char = '\u{E001}';
    let mut text = String::new();
    let mut reasons = Vec::new();
    for p in parts {
        match p {
            Part::Lit(s) => text.push_str(s),
            Part::Unknown(why) => {
                text.push(OPEN);
                text.push_str(&reasons.len().to_string());
                text.push(CLOSE);
                reasons.push(why.clone());
            }
        }
    }
    let value: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
        if reasons.is_empty() {
            format!("the policy text is not valid JSON: {e}")
        } else {
            format!("the policy text is not valid JSON, or an unknown value ({}) sits outside a JSON string: {e}", reasons[0])
        }
    })?;
    fn back(v: &serde_json::Value, reasons: &[String]) -> Val {
        match v {
            serde_json::Value::String(s) if s.contains(OPEN) => {
                let mut parts = Vec::new();
                let mut rest = s.as_str();
                while let Some(i) = rest.find(OPEN) {
                    parts.push(Part::Lit(rest[..i].to_string()));
                    let after = &rest[i + OPEN.len_utf8()..];
                    let end = after.find(CLOSE).unwrap_or(after.len());
                    let n: usize = after[..end].parse().unwrap_or(0);
                    parts.push(Part::Unknown(reasons.get(n).cloned().unwrap_or_default()));
                    rest = after.get(end + CLOSE.len_utf8()..).unwrap_or("");
                }
                parts.push(Part::Lit(rest.to_string()));
                Val::Str(merge(parts))
            }
            serde_json::Value::Array(items) => {
                Val::List(items.iter().map(|i| back(i, reasons)).collect())
            }
            serde_json::Value::Object(m) => Val::Map(
                m.iter()
                    .map(|(k, v)| (k.clone(), back(v, reasons)))
                    .collect(),
            ),
            other => Val::from_json(other),
        }
    }
    Ok(back(&value, &reasons))
}
