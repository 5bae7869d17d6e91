//! `Fn::ForEach` of the `AWS::LanguageExtensions` transform, expanded offline before the
//! template is resolved (encodings/templates.md, "Language extensions"):
//!
//! ```yaml
//! 'Fn::ForEach::Topics':
//!   - Name                      # the identifier
//!   - [Success, Failure]        # the collection: a list, or a Ref to a CommaDelimitedList
//!   - 'Topic${Name}':           # the output key
//!       Type: AWS::SNS::Topic   # the output value
//!       Properties: {TopicName: !Ref Name}
//! ```
//!
//! AWS: "All instances of `${Identifier}` or `&{Identifier}` in the OutputKey and
//! OutputValue parameters are replaced with the values from the Collection parameter";
//! `&{}` keeps only a value's alphanumeric characters; `Ref` to the identifier is the
//! value. Loops nest, and may sit in `Conditions`, `Outputs` and `Resources` (resource
//! properties included). A collection that cannot be known offline (a parameter without
//! a value) leaves its loop unexpanded: the template's policies are then not all known,
//! and the caller reports it as not checked.

use std::collections::HashMap;

use super::super::node::{Kind, Node};
use super::super::{Settings, TemplateError, Val};

/// The sections a loop may sit in.
const SECTIONS: &[&str] = &["Conditions", "Outputs", "Resources"];

/// The most items all loops of a template may produce (the transform's output must stay
/// a template AWS accepts: at most 500 resources, 1 MB).
const MAX_EXPANDED: usize = 100_000;

const PREFIX: &str = "Fn::ForEach::";

/// A loop that could not be expanded offline: its name, line and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unexpanded {
    pub name: String,
    pub line: usize,
    pub why: String,
}

/// The template with every loop expanded, and the loops that could not be (their
/// collection is unknown offline; they are left out). A malformed loop is an error of
/// the template.
pub fn expand(root: &Node, settings: &Settings) -> Result<(Node, Vec<Unexpanded>), TemplateError> {
    let Kind::Map(sections) = &root.kind else {
        return Ok((root.clone(), Vec::new()));
    };
    let mut x = Expander {
        root,
        params: super::parameters(root, settings)?,
        produced: 0,
        unexpanded: Vec::new(),
    };
    let mut out = Vec::with_capacity(sections.len());
    for (name, section) in sections {
        let section = if SECTIONS.contains(&name.as_str()) {
            x.node(section, name, &[])?
        } else {
            section.clone()
        };
        out.push((name.clone(), section));
    }
    let expanded = Node {
        line: root.line,
        kind: Kind::Map(out),
    };
    Ok((expanded, x.unexpanded))
}

struct Expander<'a> {
    root: &'a Node,
    /// The template's parameter values (`--parameters`, else defaults).
    params: HashMap<&'a str, Val>,
    produced: usize,
    unexpanded: Vec<Unexpanded>,
}

impl Expander<'_> {
    /// A value with the identifiers bound so far substituted and its loops expanded.
    fn node(
        &mut self,
        n: &Node,
        path: &str,
        bound: &[(String, String)],
    ) -> Result<Node, TemplateError> {
        let kind = match &n.kind {
            Kind::Str(s) => Kind::Str(substitute(s, bound)),
            Kind::Seq(items) => Kind::Seq(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| self.node(item, &format!("{path}/{i}"), bound))
                    .collect::<Result<_, _>>()?,
            ),
            Kind::Map(members) => {
                // `{"Ref": Identifier}` is the identifier's value.
                if let [(k, v)] = members.as_slice()
                    && k == "Ref"
                    && let Some(value) = v
                        .as_str()
                        .and_then(|id| bound.iter().rev().find(|(b, _)| b == id))
                {
                    return Ok(Node {
                        line: n.line,
                        kind: Kind::Str(value.1.clone()),
                    });
                }
                let mut out = Vec::with_capacity(members.len());
                for (k, v) in members {
                    let at = format!("{path}/{k}");
                    if let Some(name) = k.strip_prefix(PREFIX) {
                        out.extend(self.expand_loop(name, v, &at, bound)?);
                    } else {
                        out.push((substitute(k, bound), self.node(v, &at, bound)?));
                    }
                }
                Kind::Map(out)
            }
            other => other.clone(),
        };
        Ok(Node { line: n.line, kind })
    }

    /// One loop's members, each output key and value for each item of its collection.
    fn expand_loop(
        &mut self,
        name: &str,
        loop_node: &Node,
        path: &str,
        bound: &[(String, String)],
    ) -> Result<Vec<(String, Node)>, TemplateError> {
        let bad = |message: String| TemplateError::Invalid {
            path: path.to_string(),
            line: loop_node.line,
            message,
        };
        let Kind::Seq(parts) = &loop_node.kind else {
            return Err(bad(format!(
                "`Fn::ForEach::{name}` takes [Identifier, Collection, {{OutputKey: OutputValue}}], found {}",
                loop_node.type_name()
            )));
        };
        let [id, collection, output] = parts.as_slice() else {
            return Err(bad(format!(
                "`Fn::ForEach::{name}` takes three items (Identifier, Collection, {{OutputKey: OutputValue}}), found {}",
                parts.len()
            )));
        };
        let Some(id) = id.as_str() else {
            return Err(bad(format!(
                "the identifier of `Fn::ForEach::{name}` must be a string, found {}",
                id.type_name()
            )));
        };
        let Kind::Map(outputs) = &output.kind else {
            return Err(bad(format!(
                "the output of `Fn::ForEach::{name}` must be a mapping {{OutputKey: OutputValue}}, found {}",
                output.type_name()
            )));
        };
        let items = match self.collection(collection, bound) {
            Ok(items) => items,
            Err(why) => {
                self.unexpanded.push(Unexpanded {
                    name: name.to_string(),
                    line: loop_node.line,
                    why,
                });
                return Ok(Vec::new());
            }
        };
        let mut out = Vec::new();
        for item in items {
            self.produced += outputs.len();
            if self.produced > MAX_EXPANDED {
                return Err(bad(format!(
                    "the loops expand to more than {MAX_EXPANDED} items; CloudFormation's quotas allow far fewer"
                )));
            }
            let mut inner = bound.to_vec();
            inner.push((id.to_string(), item));
            for (k, v) in outputs {
                if let Some(nested) = k.strip_prefix(PREFIX) {
                    out.extend(self.expand_loop(nested, v, &format!("{path}/{k}"), &inner)?);
                    continue;
                }
                let key = substitute(k, &inner);
                let value = self.node(v, &format!("{path}/{key}"), &inner)?;
                out.push((key, value));
            }
        }
        Ok(out)
    }

    /// A loop's collection: a list of strings, or a `Ref` to a list parameter with a
    /// value (`--parameters`, else its `Default`); `Err` says why it is unknown offline.
    fn collection(&self, c: &Node, bound: &[(String, String)]) -> Result<Vec<String>, String> {
        match &c.kind {
            Kind::Seq(items) => items
                .iter()
                .map(|i| match &i.kind {
                    Kind::Str(s) => Ok(substitute(s, bound)),
                    Kind::Number(s) => Ok(s.clone()),
                    Kind::Bool(b) => Ok(b.to_string()),
                    _ => Err(format!(
                        "its collection holds {}, which is not known offline",
                        i.type_name()
                    )),
                })
                .collect(),
            Kind::Map(members) => match members.as_slice() {
                [(k, v)] if k == "Ref" => {
                    let Some(param) = v.as_str() else {
                        return Err("its collection is a `Ref` to a non-string".into());
                    };
                    self.list_parameter(param)
                }
                [(k, v)] if k == "Fn::FindInMap" => self.find_in_map(v, bound),
                _ => Err(
                    "its collection is an intrinsic function hornbeam does not evaluate before the transform (give a list, a Ref to a CommaDelimitedList parameter or an Fn::FindInMap)"
                        .into(),
                ),
            },
            _ => Err(format!("its collection is {}", c.type_name())),
        }
    }

    /// A collection from `Fn::FindInMap [Map, TopKey, SecondKey, {DefaultValue}?]`,
    /// each key a string or a `Ref` to a parameter with a value.
    fn find_in_map(&self, args: &Node, bound: &[(String, String)]) -> Result<Vec<String>, String> {
        let Kind::Seq(args) = &args.kind else {
            return Err("its collection is an `Fn::FindInMap` without a list of arguments".into());
        };
        let key = |n: &Node| -> Result<String, String> {
            match &n.kind {
                Kind::Str(s) => Ok(substitute(s, bound)),
                Kind::Map(m) => match m.as_slice() {
                    [(k, v)] if k == "Ref" => {
                        let param = v.as_str().unwrap_or_default();
                        if let Some((_, value)) = bound.iter().rev().find(|(b, _)| b == param) {
                            return Ok(value.clone());
                        }
                        self.scalar_parameter(param)
                    }
                    _ => Err("a key of its `Fn::FindInMap` collection is not known offline".into()),
                },
                _ => Err(format!(
                    "a key of its `Fn::FindInMap` collection is {}",
                    n.type_name()
                )),
            }
        };
        let (map, top, second, default) = match args.as_slice() {
            [m, t, s] => (m, t, s, None),
            [m, t, s, d] => (m, t, s, d.get("DefaultValue")),
            _ => {
                return Err("its `Fn::FindInMap` collection does not have 3 or 4 arguments".into());
            }
        };
        let (map, top, second) = (key(map)?, key(top)?, key(second)?);
        let found = self
            .root
            .get("Mappings")
            .and_then(|m| m.get(&map))
            .and_then(|m| m.get(&top))
            .and_then(|m| m.get(&second))
            .or(default);
        match found.map(|n| &n.kind) {
            Some(Kind::Seq(items)) => items
                .iter()
                .map(|i| {
                    i.as_str().map(|s| substitute(s, bound)).ok_or_else(|| {
                        format!("its mapping `{map}` holds {} in the list", i.type_name())
                    })
                })
                .collect(),
            Some(Kind::Str(s)) => Ok(s.split(',').map(|x| x.trim().to_string()).collect()),
            _ => Err(format!(
                "its collection `Fn::FindInMap [{map}, {top}, {second}]` names no list of the template's mappings"
            )),
        }
    }

    /// A parameter's single value.
    fn scalar_parameter(&self, param: &str) -> Result<String, String> {
        self.params
            .get(param)
            .and_then(Val::known_str)
            .ok_or_else(|| {
                format!(
                    "its collection depends on parameter `{param}`, which has no value offline (give it with --parameters {param}=VALUE)"
                )
            })
    }

    /// A list parameter's values (a string parameter's, split at commas).
    fn list_parameter(&self, param: &str) -> Result<Vec<String>, String> {
        let unknown = || {
            format!(
                "its collection is parameter `{param}`, which has no value offline (give it with --parameters {param}=a,b)"
            )
        };
        match self.params.get(param) {
            None => Err(format!(
                "its collection is `Ref {param}`, which is not a parameter of the template"
            )),
            Some(Val::List(items)) => items
                .iter()
                .map(|i| i.known_str().ok_or_else(unknown))
                .collect(),
            Some(v) => v
                .known_str()
                .map(|s| {
                    s.split(',')
                        .map(|x| x.trim().to_string())
                        .filter(|x| !x.is_empty())
                        .collect()
                })
                .ok_or_else(unknown),
        }
    }
}

/// `${Identifier}` → the value, `&{Identifier}` → its alphanumeric characters, for every
/// bound identifier (the innermost first).
fn substitute(s: &str, bound: &[(String, String)]) -> String {
    if !s.contains("${") && !s.contains("&{") {
        return s.to_string();
    }
    let mut out = s.to_string();
    for (id, value) in bound.iter().rev() {
        out = out.replace(&format!("${{{id}}}"), value);
        let alnum: String = value
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .collect();
        out = out.replace(&format!("&{{{id}}}"), &alnum);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expanded(text: &str, settings: &Settings) -> Result<Node, Vec<Unexpanded>> {
        let root = crate::template::node::load(text).unwrap();
        match expand(&root, settings).unwrap() {
            (node, unexpanded) if unexpanded.is_empty() => Ok(node),
            (_, unexpanded) => Err(unexpanded),
        }
    }

    #[test]
    fn a_loop_makes_one_resource_per_item_with_its_values() {
        let root = expanded(
            r#"
Transform: AWS::LanguageExtensions
Resources:
  'Fn::ForEach::Topics':
    - Name
    - [Success, Failure]
    - 'Topic${Name}':
        Type: AWS::SNS::Topic
        Properties:
          TopicName: !Ref Name
          DisplayName: !Sub 'topic-${Name}'
"#,
            &Settings::default(),
        )
        .unwrap();
        let resources = root.get("Resources").unwrap();
        let success = resources.get("TopicSuccess").expect("TopicSuccess");
        let props = success.get("Properties").unwrap();
        assert_eq!(props.get("TopicName").unwrap().as_str(), Some("Success"));
        assert_eq!(
            props
                .get("DisplayName")
                .unwrap()
                .get("Fn::Sub")
                .unwrap()
                .as_str(),
            Some("topic-Success")
        );
        assert!(resources.get("TopicFailure").is_some());
        assert!(resources.get("Fn::ForEach::Topics").is_none());
    }

    #[test]
    fn nested_loops_and_the_alphanumeric_form() {
        let root = expanded(
            r#"
Resources:
  'Fn::ForEach::Outer':
    - Env
    - [dev, prod]
    - 'Fn::ForEach::Inner':
        - Cidr
        - ['10.0.0.0/16']
        - '${Env}Net&{Cidr}':
            Type: AWS::EC2::VPC
            Properties: {CidrBlock: !Ref Cidr, Tags: [{Key: env, Value: !Ref Env}]}
"#,
            &Settings::default(),
        )
        .unwrap();
        let resources = root.get("Resources").unwrap();
        let prod = resources.get("prodNet1000016").expect("prodNet1000016");
        assert_eq!(
            prod.get("Properties")
                .unwrap()
                .get("CidrBlock")
                .unwrap()
                .as_str(),
            Some("10.0.0.0/16")
        );
        assert!(resources.get("devNet1000016").is_some());
    }

    #[test]
    fn a_collection_from_a_parameter_and_one_unknown_offline() {
        let text = r#"
Parameters:
  Queues: {Type: CommaDelimitedList, Default: 'a,b'}
  Free: {Type: CommaDelimitedList}
Resources:
  'Fn::ForEach::Q':
    - N
    - !Ref Queues
    - 'Queue${N}': {Type: AWS::SQS::Queue}
  'Fn::ForEach::F':
    - N
    - !Ref Free
    - 'Free${N}': {Type: AWS::SQS::Queue}
"#;
        let unknown = expanded(text, &Settings::default()).unwrap_err();
        assert_eq!(unknown.len(), 1);
        assert_eq!(unknown[0].name, "F");
        assert!(
            unknown[0].why.contains("--parameters Free="),
            "{:?}",
            unknown[0]
        );
        let settings = Settings {
            parameters: vec![("Free".into(), "x".into()), ("Queues".into(), "c".into())],
            ..Settings::default()
        };
        let root = expanded(text, &settings).unwrap();
        let resources = root.get("Resources").unwrap();
        assert!(resources.get("Queuec").is_some() && resources.get("Freex").is_some());
        assert!(resources.get("Queuea").is_none());
        // The last value given for a name wins, as everywhere in the template.
        let settings = Settings {
            parameters: vec![
                ("Free".into(), "x".into()),
                ("Queues".into(), "c".into()),
                ("Queues".into(), "d".into()),
            ],
            ..Settings::default()
        };
        let root = expanded(text, &settings).unwrap();
        let resources = root.get("Resources").unwrap();
        assert!(resources.get("Queued").is_some() && resources.get("Queuec").is_none());
    }

    #[test]
    fn a_collection_from_a_mapping() {
        let text = r#"
Parameters:
  Environment: {Type: String}
Mappings:
  Buckets: {Production: {Ids: [A, B]}}
Resources:
  'Fn::ForEach::B':
    - Id
    - !FindInMap [Buckets, !Ref Environment, Ids]
    - 'Bucket${Id}': {Type: AWS::S3::Bucket}
"#;
        let unknown = expanded(text, &Settings::default()).unwrap_err();
        assert!(
            unknown[0].why.contains("--parameters Environment="),
            "{unknown:?}"
        );
        let settings = Settings {
            parameters: vec![("Environment".into(), "Production".into())],
            ..Settings::default()
        };
        let root = expanded(text, &settings).unwrap();
        let resources = root.get("Resources").unwrap();
        assert!(resources.get("BucketA").is_some() && resources.get("BucketB").is_some());
    }

    #[test]
    fn a_malformed_loop_is_a_located_error() {
        let root =
            crate::template::node::load("Resources:\n  'Fn::ForEach::X':\n    - N\n    - [a]\n")
                .unwrap();
        let e = expand(&root, &Settings::default()).unwrap_err().to_string();
        assert!(e.contains("three items"), "{e}");
    }
}
