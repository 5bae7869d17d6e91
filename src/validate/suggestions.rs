//! Suggestions on the document as written (AWS's reference, "Suggestion – …"):
//!
//! - empty elements, which match nothing and are likely a mistake: `EMPTY_ARRAY_ACTION`
//!   (`Action` / `NotAction`), `EMPTY_ARRAY_RESOURCE`, `EMPTY_ARRAY_PRINCIPAL` (a
//!   principal type mapped to `[]`), `EMPTY_OBJECT_PRINCIPAL`, `EMPTY_OBJECT_CONDITION`
//!   (`Condition` or an operator mapped to `{}`), `EMPTY_ARRAY_CONDITION` (a key mapped
//!   to `[]`; `_FORALLVALUES`, `_FORANYVALUE`, `_IFEXISTS` by the operator's qualifier),
//!   `EMPTY_SID_VALUE`;
//! - `WILDCARD_IN_SERVICE_NAME`: a wildcard in an action's service prefix (`s*:Get*`);
//! - `REDUNDANT_ACTION`: an action named in a statement that another of its action
//!   patterns already covers (a pattern that covers a named action, or the same pattern
//!   twice), located at both.
//!
//! AWS's parser accepts the empty elements; hornbeam's policy grammar refuses them for
//! the checks, so grammar.rs leaves them to these suggestions, as AWS does.

use super::location::{Location, PathElement};
use super::{Document, Finding, FindingType, Json, JsonKind, strings};
use crate::pattern::Glob;

pub(super) fn findings(doc: &Document) -> Vec<Finding> {
    let mut out = Vec::new();
    for s in doc.statements() {
        let member = |name: &str| super::member(s.node, name);
        let mut empty = |code: &str, what: String, path: Vec<PathElement>, node: &Json| {
            out.push(Finding::new(
                FindingType::Suggestion,
                code,
                format!("{what} matches nothing; remove it or give it values."),
                vec![Location::of(doc.text, path, node)],
            ));
        };
        if let Some(sid) = member("Sid")
            && matches!(&sid.kind, JsonKind::String(t) if t.is_empty())
        {
            empty(
                "EMPTY_SID_VALUE",
                "The empty `Sid`".into(),
                doc.path(&s, "Sid"),
                sid,
            );
        }
        for (name, code) in [
            ("Action", "EMPTY_ARRAY_ACTION"),
            ("NotAction", "EMPTY_ARRAY_ACTION"),
            ("Resource", "EMPTY_ARRAY_RESOURCE"),
            ("NotResource", "EMPTY_ARRAY_RESOURCE"),
        ] {
            if let Some(n) = member(name)
                && matches!(&n.kind, JsonKind::Array(items) if items.is_empty())
            {
                empty(
                    code,
                    format!("The empty `{name}` list"),
                    doc.path(&s, name),
                    n,
                );
            }
        }
        for name in ["Principal", "NotPrincipal"] {
            match member(name).map(|p| (p, &p.kind)) {
                Some((p, JsonKind::Object(m))) if m.is_empty() => empty(
                    "EMPTY_OBJECT_PRINCIPAL",
                    format!("The empty `{name}` object"),
                    doc.path(&s, name),
                    p,
                ),
                Some((_, JsonKind::Object(m))) => {
                    for kind in m {
                        if matches!(&kind.value.kind, JsonKind::Array(items) if items.is_empty()) {
                            let mut path = doc.path(&s, name);
                            path.push(PathElement::Value(kind.name.clone()));
                            empty(
                                "EMPTY_ARRAY_PRINCIPAL",
                                format!("The empty `{}` principal list", kind.name),
                                path,
                                &kind.value,
                            );
                        }
                    }
                }
                _ => {}
            }
        }
        if let Some(c) = member("Condition") {
            match &c.kind {
                JsonKind::Object(ops) if ops.is_empty() => empty(
                    "EMPTY_OBJECT_CONDITION",
                    "The empty `Condition`".into(),
                    doc.path(&s, "Condition"),
                    c,
                ),
                JsonKind::Object(ops) => {
                    for op in ops {
                        let mut op_path = doc.path(&s, "Condition");
                        op_path.push(PathElement::Value(op.name.clone()));
                        match &op.value.kind {
                            JsonKind::Object(keys) if keys.is_empty() => empty(
                                "EMPTY_OBJECT_CONDITION",
                                format!("The empty `{}` operator", op.name),
                                op_path,
                                &op.value,
                            ),
                            JsonKind::Object(keys) => {
                                for k in keys {
                                    if matches!(&k.value.kind, JsonKind::Array(v) if v.is_empty()) {
                                        let mut path = op_path.clone();
                                        path.push(PathElement::Value(k.name.clone()));
                                        empty(
                                            empty_condition_code(&op.name),
                                            format!("The empty list of `{}` values", k.name),
                                            path,
                                            &k.value,
                                        );
                                    }
                                }
                            }
                            _ => {}
                        }
                    }
                }
                _ => {}
            }
        }
        for name in ["Action", "NotAction"] {
            if let Some(actions) = member(name) {
                out.extend(action_suggestions(doc, &s, name, actions));
            }
        }
    }
    out
}

/// `EMPTY_ARRAY_CONDITION`, or its variant for the operator's qualifier.
fn empty_condition_code(operator: &str) -> &'static str {
    if operator.starts_with("ForAllValues:") {
        "EMPTY_ARRAY_CONDITION_FORALLVALUES"
    } else if operator.starts_with("ForAnyValue:") {
        "EMPTY_ARRAY_CONDITION_FORANYVALUE"
    } else if operator.ends_with("IfExists") {
        "EMPTY_ARRAY_CONDITION_IFEXISTS"
    } else {
        "EMPTY_ARRAY_CONDITION"
    }
}

/// `WILDCARD_IN_SERVICE_NAME` and `REDUNDANT_ACTION` for one `Action` / `NotAction`.
fn action_suggestions(
    doc: &Document,
    s: &super::Statement,
    name: &str,
    actions: &Json,
) -> Vec<Finding> {
    let mut out = Vec::new();
    let items = strings(actions);
    let at = |i: Option<usize>, node: &Json| {
        let mut path = doc.path(s, name);
        if let Some(i) = i {
            path.push(PathElement::Index(i));
        }
        Location::of(doc.text, path, node)
    };
    for (i, node, a) in &items {
        if let Some((service, _)) = a.split_once(':')
            && service.contains(['*', '?'])
        {
            out.push(Finding::new(
                FindingType::Suggestion,
                "WILDCARD_IN_SERVICE_NAME",
                format!(
                    "`{a}` has a wildcard in its service prefix, so it grants the actions of every matching service, including ones added later; name the service."
                ),
                vec![at(*i, node)],
            ));
        }
    }
    // A named action (or a repeated pattern) covered by another entry of the list:
    // each pattern compiled once; a named action is tested against the wildcard
    // patterns only, a repeat found by its folded text.
    let globs: Vec<Glob> = items.iter().map(|(_, _, a)| Glob::action(a)).collect();
    let wildcards: Vec<usize> = (0..items.len())
        .filter(|&k| !globs[k].is_literal())
        .collect();
    let mut first: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for (j, (jn, jnode, b)) in items.iter().enumerate() {
        let folded = b.to_ascii_lowercase();
        let cover = match first.get(&folded) {
            Some(&k) => Some(k),
            None => {
                first.insert(folded.clone(), j);
                if globs[j].is_literal() {
                    wildcards
                        .iter()
                        .copied()
                        .find(|&k| globs[k].matches(&folded))
                } else {
                    None
                }
            }
        };
        if let Some(k) = cover {
            let (ki, knode, a) = &items[k];
            out.push(Finding::new(
                FindingType::Suggestion,
                "REDUNDANT_ACTION",
                format!("`{b}` is already covered by `{a}` in the same statement; remove it."),
                vec![at(*ki, knode), at(*jn, jnode)],
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::{ValidateType, validate};
    use serde_json::json;

    fn statement(s: &str) -> String {
        format!(r#"{{"Version":"2012-10-17","Statement":[{s}]}}"#)
    }

    fn found(s: &str, ty: ValidateType) -> Vec<(String, String, serde_json::Value)> {
        let text = statement(s);
        validate(&text, ty)
            .into_iter()
            .map(|f| {
                let j = f.to_json(&text);
                let l = &f.locations[0];
                let span: String = text.chars().skip(l.start).take(l.end - l.start).collect();
                (f.issue_code, span, j["locations"][0]["path"].clone())
            })
            .collect()
    }

    #[test]
    fn empty_elements_are_suggestions_not_errors() {
        let id = ValidateType::Identity;
        for (s, code, span, path) in [
            (
                r#"{"Effect":"Allow","Action":[],"Resource":"*"}"#,
                "EMPTY_ARRAY_ACTION",
                "[]",
                json!([{"value":"Statement"},{"index":0},{"value":"Action"}]),
            ),
            (
                r#"{"Effect":"Allow","Action":"s3:GetObject","NotResource":[]}"#,
                "EMPTY_ARRAY_RESOURCE",
                "[]",
                json!([{"value":"Statement"},{"index":0},{"value":"NotResource"}]),
            ),
            (
                r#"{"Sid":"","Effect":"Allow","Action":"s3:GetObject","Resource":"*"}"#,
                "EMPTY_SID_VALUE",
                "\"\"",
                json!([{"value":"Statement"},{"index":0},{"value":"Sid"}]),
            ),
            (
                r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{}}"#,
                "EMPTY_OBJECT_CONDITION",
                "{}",
                json!([{"value":"Statement"},{"index":0},{"value":"Condition"}]),
            ),
            (
                r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{}}}"#,
                "EMPTY_OBJECT_CONDITION",
                "{}",
                json!([{"value":"Statement"},{"index":0},{"value":"Condition"},{"value":"StringEquals"}]),
            ),
            (
                r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalTag/team":[]}}}"#,
                "EMPTY_ARRAY_CONDITION",
                "[]",
                json!([{"value":"Statement"},{"index":0},{"value":"Condition"},{"value":"StringEquals"},{"value":"aws:PrincipalTag/team"}]),
            ),
            (
                r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"ForAllValues:StringEquals":{"aws:TagKeys":[]}}}"#,
                "EMPTY_ARRAY_CONDITION_FORALLVALUES",
                "[]",
                json!([{"value":"Statement"},{"index":0},{"value":"Condition"},{"value":"ForAllValues:StringEquals"},{"value":"aws:TagKeys"}]),
            ),
            (
                r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"StringEqualsIfExists":{"aws:PrincipalTag/team":[]}}}"#,
                "EMPTY_ARRAY_CONDITION_IFEXISTS",
                "[]",
                json!([{"value":"Statement"},{"index":0},{"value":"Condition"},{"value":"StringEqualsIfExists"},{"value":"aws:PrincipalTag/team"}]),
            ),
        ] {
            assert_eq!(
                found(s, id),
                [(code.to_string(), span.to_string(), path)],
                "{s}"
            );
        }
        let res = ValidateType::Resource;
        for (s, code, span) in [
            (
                r#"{"Effect":"Allow","Principal":{},"Action":"s3:GetObject","Resource":"*"}"#,
                "EMPTY_OBJECT_PRINCIPAL",
                "{}",
            ),
            (
                r#"{"Effect":"Allow","Principal":{"AWS":[]},"Action":"s3:GetObject","Resource":"*"}"#,
                "EMPTY_ARRAY_PRINCIPAL",
                "[]",
            ),
            // tf-policy-validator's trust policies: `"Resource": []`, sent as RESOURCE_POLICY.
            (
                r#"{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole","Resource":[]}"#,
                "EMPTY_ARRAY_RESOURCE",
                "[]",
            ),
        ] {
            let f = found(s, res);
            assert_eq!(
                (f[0].0.as_str(), f[0].1.as_str()),
                (code, span),
                "{s}: {f:?}"
            );
            assert_eq!(f.len(), 1, "{s}: {f:?}");
        }
        // Near misses: values present; a non-object operator stays an error.
        assert!(
            found(
                r#"{"Effect":"Allow","Action":["s3:GetObject"],"Resource":["*"]}"#,
                id
            )
            .is_empty()
        );
        let f = found(
            r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":"x"}}"#,
            id,
        );
        assert_eq!(f[0].0, "DATA_TYPE_MISMATCH", "{f:?}");
    }

    #[test]
    fn service_wildcards_and_redundant_actions() {
        let id = ValidateType::Identity;
        let f = found(
            r#"{"Effect":"Allow","Action":"s*:GetObject","Resource":"*"}"#,
            id,
        );
        assert_eq!(
            (f[0].0.as_str(), f[0].1.as_str()),
            ("WILDCARD_IN_SERVICE_NAME", "\"s*:GetObject\"")
        );
        let text = statement(
            r#"{"Effect":"Allow","Action":["s3:Get*","s3:GetObject","s3:PutObject","S3:get*"],"Resource":"*"}"#,
        );
        let f = validate(&text, id);
        let codes: Vec<&str> = f.iter().map(|f| f.issue_code.as_str()).collect();
        assert_eq!(codes, ["REDUNDANT_ACTION", "REDUNDANT_ACTION"], "{f:?}");
        // The covering entry first, then the covered one.
        let span = |l: &super::Location| {
            text.chars()
                .skip(l.start)
                .take(l.end - l.start)
                .collect::<String>()
        };
        assert_eq!(
            (span(&f[0].locations[0]), span(&f[0].locations[1])),
            ("\"s3:Get*\"".into(), "\"s3:GetObject\"".into())
        );
        assert_eq!(
            (span(&f[1].locations[0]), span(&f[1].locations[1])),
            ("\"s3:Get*\"".into(), "\"S3:get*\"".into())
        );
        // Near misses: distinct actions; a service wildcard after the colon.
        assert!(found(r#"{"Effect":"Allow","Action":["s3:GetObject","s3:PutObject","ec2:Describe*"],"Resource":"*"}"#, id).is_empty());
    }
}
