//! A template document as a tree with line numbers: YAML (with CloudFormation's short
//! tags such as `!Sub`, turned into their long `Fn::Sub` form) or JSON.

use std::collections::HashMap;

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::{Marker, TScalarStyle};

use super::TemplateError;
use crate::json::{self, Json, JsonKind};

/// One value of the document and the 1-based line where it starts.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub line: usize,
    pub kind: Kind,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    Null,
    Bool(bool),
    /// A number as written.
    Number(String),
    Str(String),
    Seq(Vec<Node>),
    /// Members in document order; duplicate names are rejected when loading.
    Map(Vec<(String, Node)>),
}

impl Node {
    pub fn get(&self, name: &str) -> Option<&Node> {
        match &self.kind {
            Kind::Map(members) => members.iter().find(|(n, _)| n == name).map(|(_, v)| v),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            Kind::Str(s) => Some(s),
            _ => None,
        }
    }

    /// A string node.
    pub fn str(line: usize, s: impl Into<String>) -> Node {
        Node {
            line,
            kind: Kind::Str(s.into()),
        }
    }

    /// A mapping node of `members`, in order.
    pub fn map(line: usize, members: Vec<(&str, Node)>) -> Node {
        Node {
            line,
            kind: Kind::Map(
                members
                    .into_iter()
                    .map(|(k, v)| (k.to_string(), v))
                    .collect(),
            ),
        }
    }

    /// A list node.
    pub fn seq(line: usize, items: Vec<Node>) -> Node {
        Node {
            line,
            kind: Kind::Seq(items),
        }
    }

    /// The value as JSON (numbers as written, when they parse).
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match &self.kind {
            Kind::Null => J::Null,
            Kind::Bool(b) => J::Bool(*b),
            Kind::Number(n) => n
                .parse::<serde_json::Number>()
                .map_or_else(|_| J::String(n.clone()), J::Number),
            Kind::Str(s) => J::String(s.clone()),
            Kind::Seq(items) => J::Array(items.iter().map(Node::to_json).collect()),
            Kind::Map(members) => J::Object(
                members
                    .iter()
                    .map(|(k, v)| (k.clone(), v.to_json()))
                    .collect(),
            ),
        }
    }

    pub fn type_name(&self) -> &'static str {
        match self.kind {
            Kind::Null => "null",
            Kind::Bool(_) => "a boolean",
            Kind::Number(_) => "a number",
            Kind::Str(_) => "a string",
            Kind::Seq(_) => "a list",
            Kind::Map(_) => "a mapping",
        }
    }
}

/// Deepest nesting accepted; later layers recurse over the tree.
pub const MAX_DEPTH: usize = 128;

/// Most values a template may expand to. YAML aliases copy their anchor, so a few lines
/// can otherwise expand exponentially ("billion laughs").
pub const MAX_NODES: usize = 2_000_000;

/// The short-form tags of CloudFormation YAML; each becomes `Fn::NAME` (or `Ref`,
/// `Condition`).
const SHORT_TAGS: &[&str] = &[
    "Ref",
    "Condition",
    "Base64",
    "Cidr",
    "FindInMap",
    "GetAtt",
    "GetAZs",
    "ImportValue",
    "Join",
    "Select",
    "Split",
    "Sub",
    "Transform",
    "And",
    "Equals",
    "If",
    "Not",
    "Or",
    "Length",
    "ToJsonString",
    // The rule functions of the `Rules` section: they constrain parameter values, not
    // policies, and are read and left alone.
    "Contains",
    "EachMemberEquals",
    "EachMemberIn",
    "RefAll",
    "ValueOf",
    "ValueOfAll",
];

/// Loads a template: JSON when the first non-blank character is `{`, YAML otherwise.
pub fn load(text: &str) -> Result<Node, TemplateError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.trim_start().starts_with('{') {
        let root = json::parse(text).map_err(|e| TemplateError::Syntax {
            line: e.line,
            column: e.column,
            message: format!("invalid JSON: {}", e.message),
        })?;
        let lines = LineIndex::new(text);
        return Ok(from_json(&root, &lines));
    }
    load_yaml(text)
}

/// Byte offset → line, by binary search over the line starts.
pub struct LineIndex(Vec<usize>);

impl LineIndex {
    pub fn new(text: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex(starts)
    }

    pub fn line(&self, offset: usize) -> usize {
        self.0.partition_point(|&s| s <= offset)
    }
}

/// Converts a parsed JSON value into a node.
pub fn from_json(j: &Json, lines: &LineIndex) -> Node {
    let kind = match &j.kind {
        JsonKind::Null => Kind::Null,
        JsonKind::Bool(b) => Kind::Bool(*b),
        JsonKind::Number(n) => Kind::Number(n.clone()),
        JsonKind::String(s) => Kind::Str(s.clone()),
        JsonKind::Array(items) => Kind::Seq(items.iter().map(|i| from_json(i, lines)).collect()),
        JsonKind::Object(members) => Kind::Map(
            members
                .iter()
                .map(|m| (m.name.clone(), from_json(&m.value, lines)))
                .collect(),
        ),
    };
    Node {
        line: lines.line(j.offset),
        kind,
    }
}

fn load_yaml(text: &str) -> Result<Node, TemplateError> {
    let mut builder = Builder::default();
    let mut parser = Parser::new_from_str(text);
    parser
        .load(&mut builder, false)
        .map_err(|e| TemplateError::Syntax {
            line: e.marker().line(),
            column: e.marker().col() + 1,
            message: format!("invalid YAML: {}", e.info()),
        })?;
    if let Some(err) = builder.error {
        return Err(err);
    }
    builder.root.ok_or(TemplateError::Syntax {
        line: 1,
        column: 1,
        message: "the template is empty".into(),
    })
}

/// An open collection while events arrive.
enum Open {
    Seq {
        line: usize,
        tag: Option<String>,
        anchor: usize,
        items: Vec<Node>,
    },
    Map {
        line: usize,
        tag: Option<String>,
        anchor: usize,
        members: Vec<(String, Node)>,
        key: Option<(String, usize, usize)>,
    },
}

#[derive(Default)]
struct Builder {
    stack: Vec<Open>,
    /// Each anchor's value and how many values it holds.
    anchors: HashMap<usize, (Node, usize)>,
    /// Values built so far, aliases counted at their full size.
    nodes: usize,
    root: Option<Node>,
    error: Option<TemplateError>,
}

impl Builder {
    fn fail(&mut self, line: usize, column: usize, message: String) {
        if self.error.is_none() {
            self.error = Some(TemplateError::Syntax {
                line,
                column,
                message,
            });
        }
    }

    /// Adds a finished value to the collection on top of the stack (or as the root).
    fn push(&mut self, node: Node, anchor: usize, mark: Marker) {
        if anchor > 0 {
            let size = count(&node);
            self.anchors.insert(anchor, (node.clone(), size));
        }
        let mut duplicate = None;
        match self.stack.last_mut() {
            None => self.root = Some(node),
            Some(Open::Seq { items, .. }) => items.push(node),
            Some(Open::Map { members, key, .. }) => match key.take() {
                None => match node.kind {
                    Kind::Str(s) => *key = Some((s, node.line, mark.col() + 1)),
                    Kind::Number(s) => *key = Some((s, node.line, mark.col() + 1)),
                    Kind::Bool(b) => *key = Some((b.to_string(), node.line, mark.col() + 1)),
                    Kind::Null => *key = Some((String::new(), node.line, mark.col() + 1)),
                    _ => {
                        duplicate = Some((
                            node.line,
                            mark.col() + 1,
                            "a mapping key must be a plain value, not a list or mapping".into(),
                        ));
                    }
                },
                Some((name, line, column)) => {
                    if members.iter().any(|(n, _)| *n == name) {
                        duplicate = Some((
                            line,
                            column,
                            format!("duplicate key `{name}`; each key may appear once"),
                        ));
                    }
                    members.push((name, node));
                }
            },
        }
        if let Some((line, column, message)) = duplicate {
            self.fail(line, column, message);
        }
    }
}

fn count(node: &Node) -> usize {
    1 + match &node.kind {
        Kind::Seq(items) => items.iter().map(count).sum(),
        Kind::Map(members) => members.iter().map(|(_, v)| count(v)).sum(),
        _ => 0,
    }
}

fn tag_name(tag: Option<yaml_rust2::parser::Tag>) -> Option<String> {
    tag.map(|t| {
        if t.handle == "!" {
            format!("!{}", t.suffix)
        } else {
            format!("{}{}", t.handle, t.suffix)
        }
    })
}

/// Turns a value carrying a short-form tag into the long form.
fn apply_tag(tag: Option<String>, node: Node, column: usize) -> Result<Node, TemplateError> {
    let Some(tag) = tag else { return Ok(node) };
    let Some(name) = tag.strip_prefix('!') else {
        return Ok(node);
    };
    // `!` alone is YAML's non-specific tag (a quoted scalar stays a string); `!!str` and
    // the other standard tags were read as written.
    if name.is_empty() || name.starts_with('!') || name.starts_with("tag:yaml.org") {
        // Standard YAML tags (`!!str`): the scalar was already read as written.
        return Ok(node);
    }
    if let Some(directive) = name.strip_prefix("Rain::") {
        return Err(TemplateError::Syntax {
            line: node.line,
            column,
            message: format!(
                "`!Rain::{directive}` is Rain's pre-processor syntax, which CloudFormation does not accept; check the template `rain pkg` writes"
            ),
        });
    }
    if !SHORT_TAGS.contains(&name) {
        return Err(TemplateError::Syntax {
            line: node.line,
            column,
            message: format!(
                "unknown tag `!{name}`; CloudFormation's short forms are {}",
                SHORT_TAGS
                    .iter()
                    .map(|t| format!("`!{t}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        });
    }
    let line = node.line;
    let value = if name == "GetAtt" {
        match &node.kind {
            Kind::Str(s) => match s.split_once('.') {
                Some((res, attr)) => Node {
                    line,
                    kind: Kind::Seq(vec![
                        Node {
                            line,
                            kind: Kind::Str(res.into()),
                        },
                        Node {
                            line,
                            kind: Kind::Str(attr.into()),
                        },
                    ]),
                },
                None => {
                    return Err(TemplateError::Syntax {
                        line,
                        column,
                        message: format!(
                            "`!GetAtt {s}`: write `!GetAtt Resource.Attribute`, e.g. `!GetAtt MyRole.Arn`"
                        ),
                    });
                }
            },
            _ => node,
        }
    } else {
        node
    };
    let long = match name {
        "Ref" | "Condition" => name.to_string(),
        _ => format!("Fn::{name}"),
    };
    Ok(Node {
        line,
        kind: Kind::Map(vec![(long, value)]),
    })
}

/// YAML 1.2 core-schema reading of a plain scalar.
fn plain(value: String) -> Kind {
    match value.as_str() {
        "" | "~" | "null" | "Null" | "NULL" => Kind::Null,
        "true" | "True" | "TRUE" => Kind::Bool(true),
        "false" | "False" | "FALSE" => Kind::Bool(false),
        v if is_number(v) => Kind::Number(value),
        _ => Kind::Str(value),
    }
}

fn is_number(v: &str) -> bool {
    let digits = v.strip_prefix(['-', '+']).unwrap_or(v);
    if digits.is_empty() || !digits.starts_with(|c: char| c.is_ascii_digit()) {
        return false;
    }
    // Leading zeros (`0123`, an account id or a code) stay strings, as CloudFormation
    // passes them through unchanged.
    if digits.len() > 1 && digits.starts_with('0') && !digits.starts_with("0.") {
        return false;
    }
    digits.parse::<f64>().is_ok()
        && !digits.contains(|c: char| c.is_ascii_alphabetic() && c != 'e' && c != 'E')
}

impl MarkedEventReceiver for Builder {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        if self.error.is_some() {
            return;
        }
        let line = mark.line();
        let column = mark.col() + 1;
        self.nodes += 1;
        if self.stack.len() > MAX_DEPTH {
            self.fail(
                line,
                column,
                format!("nesting deeper than {MAX_DEPTH} levels"),
            );
            return;
        }
        match ev {
            Event::Scalar(value, style, anchor, tag) => {
                let tag = tag_name(tag);
                let kind = match (&style, tag.as_deref()) {
                    (_, Some("!!str")) => Kind::Str(value),
                    (TScalarStyle::Plain, _) => plain(value),
                    _ => Kind::Str(value),
                };
                // `!GetAZs ''` and `!Ref` on a plain empty scalar read as null: keep a string.
                let kind = match (&kind, &tag) {
                    (Kind::Null, Some(t)) if t.starts_with('!') && !t.starts_with("!!") => {
                        Kind::Str(String::new())
                    }
                    _ => kind,
                };
                match apply_tag(tag, Node { line, kind }, column) {
                    Ok(node) => self.push(node, anchor, mark),
                    Err(e) => self.error = Some(e),
                }
            }
            Event::SequenceStart(anchor, tag) => self.stack.push(Open::Seq {
                line,
                tag: tag_name(tag),
                anchor,
                items: Vec::new(),
            }),
            Event::MappingStart(anchor, tag) => self.stack.push(Open::Map {
                line,
                tag: tag_name(tag),
                anchor,
                members: Vec::new(),
                key: None,
            }),
            Event::SequenceEnd | Event::MappingEnd => {
                let Some(open) = self.stack.pop() else { return };
                let (node, tag, anchor) = match open {
                    Open::Seq {
                        line,
                        tag,
                        anchor,
                        items,
                    } => (
                        Node {
                            line,
                            kind: Kind::Seq(items),
                        },
                        tag,
                        anchor,
                    ),
                    Open::Map {
                        line,
                        tag,
                        anchor,
                        members,
                        ..
                    } => (
                        Node {
                            line,
                            kind: Kind::Map(members),
                        },
                        tag,
                        anchor,
                    ),
                };
                match apply_tag(tag, node, column) {
                    Ok(node) => self.push(node, anchor, mark),
                    Err(e) => self.error = Some(e),
                }
            }
            Event::Alias(id) => match self.anchors.get(&id) {
                Some((node, size)) => {
                    self.nodes += size;
                    if self.nodes > MAX_NODES {
                        self.fail(
                            line,
                            column,
                            format!("the template expands to more than {MAX_NODES} values through YAML aliases"),
                        );
                        return;
                    }
                    let node = node.clone();
                    self.push(node, 0, mark)
                }
                None => self.fail(line, column, "an alias names an unknown anchor".into()),
            },
            Event::Nothing
            | Event::StreamStart
            | Event::StreamEnd
            | Event::DocumentStart
            | Event::DocumentEnd => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn y(text: &str) -> Node {
        match load(text) {
            Ok(n) => n,
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn short_tags_become_long_forms() {
        let n = y("A: !Sub 'arn:${AWS::Partition}:s3:::b'\nB: !GetAtt Role.Arn\nC: !Ref P\n");
        assert_eq!(
            n.get("A")
                .and_then(|a| a.get("Fn::Sub"))
                .and_then(Node::as_str),
            Some("arn:${AWS::Partition}:s3:::b")
        );
        let b = n.get("B").and_then(|b| b.get("Fn::GetAtt"));
        assert!(matches!(b.map(|b| &b.kind), Some(Kind::Seq(v)) if v.len() == 2));
        assert_eq!(
            n.get("C").and_then(|c| c.get("Ref")).and_then(Node::as_str),
            Some("P")
        );
        assert_eq!(n.get("C").map(|c| c.line), Some(3));
    }

    #[test]
    fn tags_on_collections_and_scalars_keep_types() {
        let n = y("J: !Join ['', [a, !Ref B]]\nN: 012\nT: true\nV: 2012-10-17\n");
        assert!(matches!(
            n.get("J").and_then(|j| j.get("Fn::Join")).map(|j| &j.kind),
            Some(Kind::Seq(_))
        ));
        assert_eq!(n.get("N").and_then(Node::as_str), Some("012"));
        assert_eq!(n.get("T").map(|t| &t.kind), Some(&Kind::Bool(true)));
        assert_eq!(n.get("V").and_then(Node::as_str), Some("2012-10-17"));
    }

    #[test]
    fn errors_name_the_line() {
        let e = load("A: 1\nA: 2\n")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            e.contains("line 2") && e.contains("duplicate key `A`"),
            "{e}"
        );
        let e = load("A: !Bogus x\n")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.contains("unknown tag `!Bogus`"), "{e}");
        let e = load("A: !Rain::Embed file.txt\n")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.contains("line 1") && e.contains("rain pkg"), "{e}");
        // YAML's non-specific tag `!` leaves the value as written.
        let plain = load("A: [x, ! \"Ref\": y]\n").expect("the non-specific tag");
        assert!(format!("{plain:?}").contains("Ref"), "{plain:?}");
        // The rule functions of `Rules` are CloudFormation's own.
        let rules = load(
            "Rules:\n  R:\n    Assertions:\n      - Assert: !Contains [[a, b], !ValueOf [P, Tag]]\n",
        );
        assert!(rules.is_ok(), "{rules:?}");
        let e = load("A: [1,\n")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.contains("invalid YAML"), "{e}");
    }

    #[test]
    fn hostile_yaml_is_refused() {
        // Nine levels of ten aliases each: 10^9 values.
        let mut bomb = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..10 {
            let p = i - 1;
            bomb += &format!(
                "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
            );
        }
        let e = load(&bomb).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(e.contains("YAML aliases"), "{e}");
        let deep = format!("{}1{}", "[".repeat(10_000), "]".repeat(10_000));
        let e = load(&deep).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(
            e.contains("nesting deeper") || e.contains("invalid YAML"),
            "{e}"
        );
    }

    #[test]
    fn json_templates_carry_lines() {
        let n = y("{\n \"A\": {\n  \"Ref\": \"B\"\n }\n}");
        assert_eq!(n.get("A").map(|a| a.line), Some(2));
    }
}
