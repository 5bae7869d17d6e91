//! Locations as ValidatePolicy gives them: a path of `index` / `key` / `value` elements
//! into the document and a span of positions `{line from 1, column from 0, offset from
//! 0}`, in characters of the document as sent (Access Analyzer API reference:
//! Location, PathElement, Span, Position).

use serde_json::{Value, json};

use crate::json::{self, Json, JsonKind};

/// One element of a location's path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathElement {
    /// An array item.
    Index(usize),
    /// An object key itself (a condition key).
    Key(String),
    /// The value of the named member.
    Value(String),
}

/// Where a finding is: a path, and the span `[start, end)` in characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub path: Vec<PathElement>,
    pub start: usize,
    pub end: usize,
}

impl Location {
    pub fn to_json(&self, text: &str) -> Value {
        let path: Vec<Value> = self
            .path
            .iter()
            .map(|e| match e {
                PathElement::Index(i) => json!({"index": i}),
                PathElement::Key(k) => json!({"key": k}),
                PathElement::Value(v) => json!({"value": v}),
            })
            .collect();
        json!({
            "path": path,
            "span": {"start": position(text, self.start), "end": position(text, self.end)},
        })
    }

    /// The location of JSON value `node` at `path`: its span covers the value as
    /// written (a string with its quotes).
    pub fn of(text: &str, path: Vec<PathElement>, node: &Json) -> Location {
        let start = chars_before(text, node.offset);
        Location {
            path,
            start,
            end: value_end(text, start).unwrap_or(start),
        }
    }

    /// The whole document, with an empty path (size findings).
    pub fn document(text: &str) -> Location {
        Location {
            path: Vec::new(),
            start: 0,
            end: text.chars().count(),
        }
    }
}

/// The number of characters of `text` before byte offset `byte` of its JSON, which is
/// parsed without a leading byte-order mark: the mark counts as one character of the
/// document as sent.
pub fn chars_before(text: &str, byte: usize) -> usize {
    match text.strip_prefix('\u{feff}') {
        Some(body) => 1 + body.get(..byte).map_or(0, |s| s.chars().count()),
        None => text.get(..byte).map_or(0, |s| s.chars().count()),
    }
}

/// The 0-based character offset of a 1-based line and 1-based character column.
pub fn char_offset(text: &str, line: usize, column: usize) -> usize {
    let mut offset = 0;
    let mut at_line = 1;
    for c in text.chars() {
        if at_line == line {
            break;
        }
        if c == '\n' {
            at_line += 1;
        }
        offset += 1;
    }
    offset + column.saturating_sub(1)
}

/// The character offset just past the JSON value starting at character `start`.
pub fn value_end(text: &str, start: usize) -> Option<usize> {
    let byte = text.char_indices().nth(start).map(|(b, _)| b)?;
    let rest = &text[byte..];
    let mut values = serde_json::Deserializer::from_str(rest).into_iter::<serde_json::Value>();
    values.next()?.ok()?;
    let len = values.byte_offset();
    Some(start + rest[..len].chars().count())
}

/// The 1-based line and 1-based column of character offset `offset` in `text`.
pub fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let byte = text
        .char_indices()
        .nth(offset)
        .map_or(text.len(), |(b, _)| b);
    json::line_column(text, byte)
}

/// `{line (from 1), column (from 0), offset (from 0)}` of a character offset.
fn position(text: &str, offset: usize) -> Value {
    let (line, column) = line_column(text, offset);
    json!({"line": line, "column": column - 1, "offset": offset})
}

/// A JSON pointer's reference tokens, unescaped (RFC 6901).
fn tokens(pointer: &str) -> impl Iterator<Item = String> + '_ {
    pointer
        .split('/')
        .skip(1)
        .map(|raw| raw.replace("~1", "/").replace("~0", "~"))
}

/// The value a JSON pointer names in `root`, if any.
pub fn node_at<'a>(root: &'a Json, pointer: &str) -> Option<&'a Json> {
    let mut node = root;
    for token in tokens(pointer) {
        node = match &node.kind {
            JsonKind::Object(members) => &members.iter().find(|m| m.name == token)?.value,
            JsonKind::Array(items) => items.get(token.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(node)
}

/// A JSON pointer as path elements: `value` for an object member, `index` for an array
/// item (`root`: the document, when its JSON could be read).
pub fn path_of_pointer(root: Option<&Json>, pointer: &str) -> Vec<PathElement> {
    let Some(root) = root else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut node: Option<&Json> = Some(root);
    for token in tokens(pointer) {
        match node.map(|n| &n.kind) {
            Some(JsonKind::Array(items)) => {
                let i = token.parse::<usize>().ok();
                node = i.and_then(|i| items.get(i));
                out.push(match i {
                    Some(i) => PathElement::Index(i),
                    None => PathElement::Value(token),
                });
            }
            Some(JsonKind::Object(members)) => {
                node = members.iter().find(|m| m.name == token).map(|m| &m.value);
                out.push(PathElement::Value(token));
            }
            _ => {
                out.push(PathElement::Value(token));
                node = None;
            }
        }
    }
    out
}
