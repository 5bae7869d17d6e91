//! SAM policy templates (`Policies: [{S3ReadPolicy: {BucketName: !Ref Bucket}}]`): the
//! data generated from AWS's translator (policy_templates.json, generate.py beside it)
//! and their instantiation, as the translator does it: every `{"Ref": PARAMETER}` of the
//! template's definition becomes the value given for that parameter.

use std::sync::OnceLock;

use crate::template::node::{self, Kind, Node};

const DATA: &str = include_str!("policy_templates.json");

/// The embedded data, loaded once; `Err` only if it is broken.
fn data() -> Result<&'static Node, String> {
    static DATA_NODE: OnceLock<Result<Node, String>> = OnceLock::new();
    DATA_NODE
        .get_or_init(|| node::load(DATA).map_err(|e| e.to_string()))
        .as_ref()
        .map_err(Clone::clone)
}

/// The templates by name.
fn table() -> Result<&'static Node, String> {
    data()?
        .get("templates")
        .ok_or_else(|| "the embedded SAM policy templates have no `templates`".into())
}

/// Where the templates come from (package and version).
pub fn source() -> String {
    data()
        .ok()
        .and_then(|r| r.get("source").and_then(Node::as_str).map(str::to_string))
        .unwrap_or_else(|| "?".into())
}

/// Whether `name` is a SAM policy template.
pub fn is_template(name: &str) -> bool {
    table().is_ok_and(|t| t.get(name).is_some())
}

/// The policy document of template `name` with the parameter values `values` (a map);
/// `Err` with what is wrong (unknown template, values not a map, missing parameters).
pub fn instantiate(name: &str, values: &Node, line: usize) -> Result<Node, String> {
    let t = table()?;
    let Some(template) = t.get(name) else {
        return Err(format!("`{name}` is not a SAM policy template"));
    };
    let Kind::Map(given) = &values.kind else {
        return Err(format!(
            "the parameters of policy template `{name}` must be a mapping (`{{}}` when it has none), not {}",
            values.type_name()
        ));
    };
    let params: Vec<&str> = match template.get("parameters").map(|p| &p.kind) {
        Some(Kind::Seq(ps)) => ps.iter().filter_map(Node::as_str).collect(),
        _ => Vec::new(),
    };
    let missing: Vec<&str> = params
        .iter()
        .copied()
        .filter(|p| !given.iter().any(|(g, _)| g == p))
        .collect();
    if !missing.is_empty() {
        return Err(format!(
            "policy template `{name}` needs {}",
            missing
                .iter()
                .map(|m| format!("`{m}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    let Some(definition) = template.get("definition") else {
        return Err(format!("policy template `{name}` has no definition"));
    };
    let bind = |p: &str| {
        params
            .contains(&p)
            .then(|| given.iter().find(|(g, _)| g == p).map(|(_, v)| v.clone()))
            .flatten()
    };
    Ok(substitute(definition, &bind, line))
}

/// `definition` with each `{"Ref": P}` bound by `bind` replaced by its value; the
/// template's own nodes take `line` (the line of the `Policies` entry).
fn substitute(n: &Node, bind: &dyn Fn(&str) -> Option<Node>, line: usize) -> Node {
    let kind = match &n.kind {
        Kind::Map(members) => {
            if let [(k, v)] = members.as_slice()
                && k == "Ref"
                && let Some(value) = v.as_str().and_then(bind)
            {
                return value;
            }
            Kind::Map(
                members
                    .iter()
                    .map(|(k, v)| (k.clone(), substitute(v, bind, line)))
                    .collect(),
            )
        }
        Kind::Seq(items) => Kind::Seq(items.iter().map(|i| substitute(i, bind, line)).collect()),
        other => other.clone(),
    };
    Node { line, kind }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn yaml(text: &str) -> Node {
        node::load(text).unwrap()
    }

    #[test]
    fn the_generated_data_loads_and_names_its_source() {
        assert!(is_template("S3ReadPolicy"));
        assert!(is_template("DynamoDBCrudPolicy"));
        assert!(!is_template("S3ReadPolicyy"));
        assert!(source().starts_with("aws-sam-translator "));
    }

    #[test]
    fn parameters_are_bound_and_other_refs_kept() {
        let doc = instantiate("S3ReadPolicy", &yaml("BucketName: {Ref: Data}"), 7).unwrap();
        let text = doc.to_json().to_string();
        assert!(text.contains(r#"{"bucketName":{"Ref":"Data"}}"#), "{text}");
        assert!(text.contains("s3:GetObject"), "{text}");
        assert!(!text.contains(r#""Ref":"BucketName""#), "{text}");
    }

    #[test]
    fn missing_parameters_and_non_maps_are_refused() {
        let e = instantiate("S3ReadPolicy", &yaml("{}"), 1).unwrap_err();
        assert!(e.contains("`BucketName`"), "{e}");
        let e = instantiate("S3ReadPolicy", &yaml("- a"), 1).unwrap_err();
        assert!(e.contains("must be a mapping"), "{e}");
        assert!(instantiate("AMIDescribePolicy", &yaml("{}"), 1).is_ok());
    }
}
