//! Strict JSON with source positions.
//!
//! Policy errors must name a place (JSON pointer and line:column), and duplicate keys
//! must be rejected; `serde_json::Value` keeps neither positions nor duplicates. This
//! module parses with `jsonc-parser` in strict mode (no comments, no trailing commas,
//! no JSON5 extensions) and converts the tree into an owned [`Json`] whose nodes carry
//! their byte offset, so later layers can turn any node into `line:column`.

use jsonc_parser::ast;
use jsonc_parser::{CollectOptions, ParseOptions};

/// Deepest nesting accepted. IAM documents nest at most five levels
/// (policy → Statement → statement → Condition → operator → key → list); anything far
/// deeper is hostile input, and the recursive parser must not exhaust the stack on it.
pub const MAX_DEPTH: usize = 64;

/// One JSON value with the byte offset where it starts.
#[derive(Debug, Clone, PartialEq)]
pub struct Json {
    pub offset: usize,
    pub kind: JsonKind,
}

#[derive(Debug, Clone, PartialEq)]
pub enum JsonKind {
    Null,
    Bool(bool),
    /// The number exactly as written, so decimals keep their precision.
    Number(String),
    String(String),
    Array(Vec<Json>),
    /// Members in document order; the parser rejects duplicate names.
    Object(Vec<Member>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Member {
    pub name: String,
    pub name_offset: usize,
    pub value: Json,
}

/// A syntax error in the JSON text itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl Json {
    pub fn type_name(&self) -> &'static str {
        match self.kind {
            JsonKind::Null => "null",
            JsonKind::Bool(_) => "a boolean",
            JsonKind::Number(_) => "a number",
            JsonKind::String(_) => "a string",
            JsonKind::Array(_) => "an array",
            JsonKind::Object(_) => "an object",
        }
    }
}

/// How error messages name the kind of a `serde_json` value ("a list", "an object").
pub fn value_kind(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "a list",
        serde_json::Value::Object(_) => "an object",
    }
}

/// 1-based line and column (in characters) of a byte offset.
pub fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let mut line = 1;
    let mut column = 1;
    for (i, c) in text.char_indices() {
        if i >= offset {
            break;
        }
        if c == '\n' {
            line += 1;
            column = 1;
        } else {
            column += 1;
        }
    }
    (line, column)
}

/// Parses strict JSON text.
pub fn parse(text: &str) -> Result<Json, SyntaxError> {
    check_depth(text)?;
    let options = ParseOptions {
        allow_comments: false,
        allow_loose_object_property_names: false,
        allow_trailing_commas: false,
        allow_missing_commas: false,
        allow_single_quoted_strings: false,
        allow_hexadecimal_numbers: false,
        allow_unary_plus_numbers: false,
        allow_bare_decimal_point_numbers: false,
        allow_non_finite_numbers: false,
        allow_extended_string_escapes: false,
    };
    let parsed =
        jsonc_parser::parse_to_ast(text, &CollectOptions::default(), &options).map_err(|e| {
            SyntaxError {
                line: e.line_display(),
                column: e.column_display(),
                message: e.kind().to_string().to_lowercase(),
            }
        })?;
    let Some(value) = parsed.value else {
        return Err(SyntaxError {
            line: 1,
            column: 1,
            message: "the document is empty".into(),
        });
    };
    convert(text, value)
}

/// Rejects nesting deeper than [`MAX_DEPTH`] before the recursive parser sees it.
fn check_depth(text: &str) -> Result<(), SyntaxError> {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for (i, b) in text.bytes().enumerate() {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > MAX_DEPTH {
                    let (line, column) = line_column(text, i);
                    return Err(SyntaxError {
                        line,
                        column,
                        message: format!(
                            "nesting deeper than {MAX_DEPTH} levels; an IAM policy needs at most 6"
                        ),
                    });
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}

fn convert(text: &str, value: ast::Value<'_>) -> Result<Json, SyntaxError> {
    Ok(match value {
        ast::Value::NullKeyword(n) => Json {
            offset: n.range.start,
            kind: JsonKind::Null,
        },
        ast::Value::BooleanLit(b) => Json {
            offset: b.range.start,
            kind: JsonKind::Bool(b.value),
        },
        ast::Value::NumberLit(n) => Json {
            offset: n.range.start,
            kind: JsonKind::Number(n.value.to_string()),
        },
        ast::Value::StringLit(s) => Json {
            offset: s.range.start,
            kind: JsonKind::String(s.value.into_owned()),
        },
        ast::Value::Array(a) => {
            let offset = a.range.start;
            let mut items = Vec::with_capacity(a.elements.len());
            for e in a.elements {
                items.push(convert(text, e)?);
            }
            Json {
                offset,
                kind: JsonKind::Array(items),
            }
        }
        ast::Value::Object(o) => {
            let offset = o.range.start;
            let mut members: Vec<Member> = Vec::with_capacity(o.properties.len());
            for p in o.properties {
                let (name, name_offset) = match p.name {
                    ast::ObjectPropName::String(s) => (s.value.into_owned(), s.range.start),
                    ast::ObjectPropName::Word(w) => (w.value.to_string(), w.range.start),
                };
                if members.iter().any(|m| m.name == name) {
                    let (line, column) = line_column(text, name_offset);
                    return Err(SyntaxError {
                        line,
                        column,
                        message: format!(
                            "duplicate key `{name}`; JSON parsers disagree on which copy wins, so merge the two into one"
                        ),
                    });
                }
                members.push(Member {
                    name,
                    name_offset,
                    value: convert(text, p.value)?,
                });
            }
            Json {
                offset,
                kind: JsonKind::Object(members),
            }
        }
    })
}

/// Escapes one JSON pointer reference token (RFC 6901).
pub fn pointer_token(s: &str) -> String {
    s.replace('~', "~0").replace('/', "~1")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_offsets_and_numbers_verbatim() {
        let j = parse("{\n  \"a\": [1.50, true]\n}").unwrap();
        let JsonKind::Object(m) = &j.kind else {
            panic!()
        };
        assert_eq!(m[0].name, "a");
        let JsonKind::Array(items) = &m[0].value.kind else {
            panic!()
        };
        assert_eq!(items[0].kind, JsonKind::Number("1.50".into()));
        assert_eq!(line_column("{\n  \"a\"", m[0].name_offset), (2, 3));
    }

    #[test]
    fn rejects_duplicates_comments_and_trailing_commas() {
        let e = parse("{\"a\":1,\n \"a\":2}").unwrap_err();
        assert_eq!((e.line, e.column), (2, 2));
        assert!(e.message.contains("duplicate key `a`"));
        assert!(parse("{\"a\":1,}").is_err());
        assert!(parse("{\"a\":1 // c\n}").is_err());
        assert!(parse("{'a':1}").is_err());
        assert!(parse("").is_err());
    }

    #[test]
    fn rejects_deep_nesting_without_overflowing_the_stack() {
        let deep = "[".repeat(100_000);
        let e = parse(&deep).unwrap_err();
        assert!(e.message.contains("nesting deeper"));
    }

    #[test]
    fn pointer_tokens_are_escaped() {
        assert_eq!(pointer_token("aws:RequestTag/a~b"), "aws:RequestTag~1a~0b");
    }
}
