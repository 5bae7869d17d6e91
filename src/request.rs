//! AWS's request bodies for the policy operations, read one way wherever they arrive:
//! `--cli-input-json`, `hornbeam serve` and the arguments of a proof bundle. A body is a
//! JSON object whose fields are the operation's members (AWS's service model). A field
//! the operation does not take is an error (a misspelt optional field would otherwise
//! be ignored without a word), and so is a field of the wrong type; each error names
//! the field's JSON pointer and its line and column in the body.

use std::fmt;

use crate::checks::{Access, Kind};
use crate::json::{self, Json, JsonKind};

/// The members of each operation's request, as AWS's service model names them.
pub fn members(operation: Operation) -> &'static [&'static str] {
    match operation {
        Operation::Check(Kind::NoNewAccess) => {
            &["newPolicyDocument", "existingPolicyDocument", "policyType"]
        }
        Operation::Check(Kind::AccessNotGranted) => &["policyDocument", "access", "policyType"],
        Operation::Check(Kind::NoPublicAccess) => &["policyDocument", "resourceType"],
        Operation::ValidatePolicy => &[
            "policyDocument",
            "policyType",
            "validatePolicyResourceType",
            "locale",
        ],
    }
}

/// An operation whose request body this module reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    Check(Kind),
    ValidatePolicy,
}

/// A request body that cannot be read: where (the field, its JSON pointer and position
/// in the body) and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestError {
    /// The top-level field the error is in (empty for the body itself).
    pub field: String,
    pub pointer: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl fmt::Display for RequestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.pointer.is_empty() {
            write!(
                f,
                "line {}, column {}: {}",
                self.line, self.column, self.message
            )
        } else {
            write!(
                f,
                "{} (line {}, column {}): {}",
                self.pointer, self.line, self.column, self.message
            )
        }
    }
}

impl std::error::Error for RequestError {}

impl RequestError {
    /// The body is not JSON.
    fn syntax(e: json::SyntaxError) -> RequestError {
        RequestError {
            field: String::new(),
            pointer: String::new(),
            line: e.line,
            column: e.column,
            message: format!("invalid JSON: {}", e.message),
        }
    }
}

/// A request body: its text and its fields by name.
#[derive(Debug, Clone, Default)]
pub struct Body {
    text: String,
    fields: Vec<(String, Json)>,
}

impl Body {
    /// Reads a body for `operation`. An empty body (whitespace only) has no fields.
    pub fn parse(text: String, operation: Operation) -> Result<Body, RequestError> {
        if text.trim().is_empty() {
            return Ok(Body::default());
        }
        let root = json::parse(&text).map_err(RequestError::syntax)?;
        let JsonKind::Object(members) = root.kind else {
            return Err(RequestError {
                field: String::new(),
                pointer: String::new(),
                line: 1,
                column: 1,
                message: format!(
                    "the request body must be a JSON object, found {}",
                    root.type_name()
                ),
            });
        };
        let allowed = self::members(operation);
        for m in &members {
            if !allowed.contains(&m.name.as_str()) {
                let (line, column) = json::line_column(&text, m.name_offset);
                return Err(RequestError {
                    field: m.name.clone(),
                    pointer: format!("/{}", json::pointer_token(&m.name)),
                    line,
                    column,
                    message: format!(
                        "unknown request field `{}`; this operation takes {}",
                        m.name,
                        quoted(allowed)
                    ),
                });
            }
        }
        Ok(Body {
            fields: members.into_iter().map(|m| (m.name, m.value)).collect(),
            text,
        })
    }

    /// The body's text as given.
    pub fn text(&self) -> &str {
        &self.text
    }

    fn get(&self, name: &str) -> Option<&Json> {
        self.fields
            .iter()
            .find(|(n, j)| n == name && !matches!(j.kind, JsonKind::Null))
            .map(|(_, v)| v)
    }

    /// Whether the body has a (non-null) field.
    pub fn has(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    fn error(&self, field: &str, pointer: String, at: &Json, message: String) -> RequestError {
        let (line, column) = json::line_column(&self.text, at.offset);
        RequestError {
            field: field.to_string(),
            pointer,
            line,
            column,
            message,
        }
    }

    /// A string field, when present.
    pub fn string(&self, name: &str) -> Result<Option<&str>, RequestError> {
        match self.get(name) {
            None => Ok(None),
            Some(Json {
                kind: JsonKind::String(s),
                ..
            }) => Ok(Some(s)),
            Some(other) => Err(self.error(
                name,
                format!("/{}", json::pointer_token(name)),
                other,
                format!("`{name}` must be a string, found {}", other.type_name()),
            )),
        }
    }

    /// A string field that must be one of `allowed`, when present.
    pub fn one_of(
        &self,
        name: &str,
        allowed: &[&'static str],
    ) -> Result<Option<&'static str>, RequestError> {
        let (Some(v), Some(at)) = (self.string(name)?, self.get(name)) else {
            return Ok(None);
        };
        match allowed.iter().find(|a| **a == v) {
            Some(a) => Ok(Some(a)),
            None => Err(self.error(
                name,
                format!("/{}", json::pointer_token(name)),
                at,
                format!("`{name}` `{v}` is not one of {}", quoted(allowed)),
            )),
        }
    }

    /// The `access` field, when present: a list of `{actions?, resources?}` objects of
    /// strings (a single object is read as a list of one).
    pub fn access(&self) -> Result<Option<Vec<Access>>, RequestError> {
        let Some(root) = self.get("access") else {
            return Ok(None);
        };
        access_list(root, &self.text, "/access")
            .map(Some)
            .map_err(|mut e| {
                e.field = "access".into();
                e
            })
    }
}

/// `` `a`, `b`, `c` ``: the names a field may take, for messages.
fn quoted(names: &[&str]) -> String {
    names
        .iter()
        .map(|a| format!("`{a}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// An access list given as its own JSON text (`--access`, the reference library).
pub fn parse_access_list(text: &str) -> Result<Vec<Access>, RequestError> {
    let root = json::parse(text).map_err(RequestError::syntax)?;
    access_list(&root, text, "")
}

/// An access list (`[{"actions": [...], "resources": [...]}, ...]`, or one such object)
/// at `pointer` in `text`.
pub fn access_list(root: &Json, text: &str, pointer: &str) -> Result<Vec<Access>, RequestError> {
    let at = |j: &Json, pointer: String, message: String| {
        let (line, column) = json::line_column(text, j.offset);
        RequestError {
            field: String::new(),
            pointer,
            line,
            column,
            message,
        }
    };
    let items: Vec<(&Json, String)> = match &root.kind {
        JsonKind::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, j)| (j, format!("{pointer}/{i}")))
            .collect(),
        JsonKind::Object(_) => vec![(root, pointer.to_string())],
        _ => {
            return Err(at(
                root,
                pointer.to_string(),
                format!(
                    "expected an array of access entries, found {}",
                    root.type_name()
                ),
            ));
        }
    };
    let mut out = Vec::new();
    for (item, pointer) in items {
        let JsonKind::Object(members) = &item.kind else {
            return Err(at(
                item,
                pointer,
                format!(
                    "an access entry must be an object, found {}",
                    item.type_name()
                ),
            ));
        };
        let mut entry = Access::default();
        for m in members {
            let p = format!("{pointer}/{}", json::pointer_token(&m.name));
            let list = match m.name.as_str() {
                "actions" => &mut entry.actions,
                "resources" => &mut entry.resources,
                other => {
                    return Err(at(
                        &m.value,
                        p,
                        format!("unknown access field `{other}`; use `actions` and/or `resources`"),
                    ));
                }
            };
            let JsonKind::Array(values) = &m.value.kind else {
                return Err(at(
                    &m.value,
                    p,
                    format!(
                        "expected an array of strings, found {}",
                        m.value.type_name()
                    ),
                ));
            };
            for (i, v) in values.iter().enumerate() {
                match &v.kind {
                    JsonKind::String(s) => list.push(s.clone()),
                    _ => {
                        return Err(at(
                            v,
                            format!("{p}/{i}"),
                            format!("expected a string, found {}", v.type_name()),
                        ));
                    }
                }
            }
        }
        out.push(entry);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(text: &str, kind: Kind) -> Result<Body, RequestError> {
        Body::parse(text.to_string(), Operation::Check(kind))
    }

    #[test]
    fn an_unknown_field_is_named_with_its_place() {
        let e = body(
            "{\n  \"policyDocument\": \"{}\",\n  \"acess\": []\n}",
            Kind::AccessNotGranted,
        )
        .unwrap_err();
        assert_eq!((e.pointer.as_str(), e.line, e.column), ("/acess", 3, 3));
        assert!(e.message.contains("`access`"), "{e}");
    }

    #[test]
    fn a_field_of_the_wrong_type_is_an_error() {
        let b = body(r#"{"policyDocument": 3}"#, Kind::NoPublicAccess).unwrap();
        let e = b.string("policyDocument").unwrap_err();
        assert_eq!(e.pointer, "/policyDocument");
        assert!(e.message.contains("found a number"), "{e}");
        let b = body(
            r#"{"access": [{"actions": ["s3:GetObject", 1]}]}"#,
            Kind::AccessNotGranted,
        )
        .unwrap();
        let e = b.access().unwrap_err();
        assert_eq!(
            (e.field.as_str(), e.pointer.as_str()),
            ("access", "/access/0/actions/1")
        );
    }

    #[test]
    fn access_entries_read_as_aws_writes_them() {
        let b = body(
            r#"{"access": [{"actions": ["iam:PassRole"]}, {"resources": ["arn:aws:s3:::b/*"]}]}"#,
            Kind::AccessNotGranted,
        )
        .unwrap();
        let access = b.access().unwrap().unwrap();
        assert_eq!(access.len(), 2);
        assert_eq!(access[0].actions, ["iam:PassRole"]);
        assert_eq!(access[1].resources, ["arn:aws:s3:::b/*"]);
    }

    #[test]
    fn null_is_absent_and_an_empty_body_has_no_fields() {
        let b = body(r#"{"resourceType": null}"#, Kind::NoPublicAccess).unwrap();
        assert_eq!(b.string("resourceType").unwrap(), None);
        assert!(
            !body("  ", Kind::NoPublicAccess)
                .unwrap()
                .has("policyDocument")
        );
    }
}
