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
//!   twice): one finding per covering entry, located at it and at every entry it covers;
//! - `REDUNDANT_RESOURCE`: the same for the ARNs of `Resource` / `NotResource` (compared
//!   with their case; an ARN with a policy variable is left alone);
//! - `REDUNDANT_STATEMENT`: a statement written again, its `Sid` aside.
//!
//! AWS's parser accepts the empty elements; hornbeam's policy grammar refuses them for
//! the checks, so grammar.rs leaves them to these suggestions, as AWS does.

use super::location::{Location, PathElement};
use super::{Document, Finding, FindingType, Json, JsonKind, strings};
use crate::pattern::{Glob, Syntax, Template};

pub(super) fn findings(doc: &Document) -> Vec<Finding> {
    let mut out = redundant_statements(doc);
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
        for name in ["Resource", "NotResource"] {
            if let Some(resources) = member(name) {
                out.extend(resource_suggestions(doc, &s, name, resources));
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
    let globs: Vec<Option<Glob>> = items
        .iter()
        .map(|(_, _, a)| Some(Glob::action(a)))
        .collect();
    let folded: Vec<String> = items
        .iter()
        .map(|(_, _, a)| a.to_ascii_lowercase())
        .collect();
    out.extend(redundant(
        &items,
        &globs,
        &folded,
        |i, node| at(i, node),
        |covering, covered| {
            Finding::new(
                FindingType::Suggestion,
                "REDUNDANT_ACTION",
                format!(
                    "{} already covered by `{covering}` in the same statement; remove {}.",
                    quoted_list(covered),
                    if covered.len() == 1 { "it" } else { "them" }
                ),
                Vec::new(),
            )
        },
    ));
    out
}

/// `REDUNDANT_RESOURCE` for one `Resource` / `NotResource`: an ARN the list names that
/// another of its patterns already matches (or the same one twice). Resources with
/// policy variables are left alone: what they match depends on the request.
fn resource_suggestions(
    doc: &Document,
    s: &super::Statement,
    name: &str,
    resources: &Json,
) -> Vec<Finding> {
    let items = strings(resources);
    let at = |i: Option<usize>, node: &Json| {
        let mut path = doc.path(s, name);
        path.extend(i.map(PathElement::Index));
        Location::of(doc.text, path, node)
    };
    let globs: Vec<Option<Glob>> = items
        .iter()
        .map(|(_, _, r)| {
            if r.contains("${") {
                return None;
            }
            Template::parse(r, Syntax::Arn, false, false).ok()?.glob()
        })
        .collect();
    let texts: Vec<String> = items.iter().map(|(_, _, r)| r.to_string()).collect();
    redundant(&items, &globs, &texts, at, |covering, covered| {
        Finding::new(
            FindingType::Suggestion,
            "REDUNDANT_RESOURCE",
            format!(
                "{} already matched by `{covering}` in the same statement; remove {}, or name the resources one by one without the wildcard.",
                quoted_list(covered),
                if covered.len() == 1 { "it" } else { "them" }
            ),
            Vec::new(),
        )
    })
}

/// `REDUNDANT_STATEMENT`: a statement written again (its `Sid` aside; members in any
/// order), located at the first and at each repeat.
fn redundant_statements(doc: &Document) -> Vec<Finding> {
    fn canonical(node: &Json, skip_sid: bool, out: &mut String) {
        match &node.kind {
            JsonKind::Object(members) => {
                let mut sorted: Vec<_> = members
                    .iter()
                    .filter(|m| !(skip_sid && m.name == "Sid"))
                    .collect();
                sorted.sort_by(|a, b| a.name.cmp(&b.name));
                out.push('{');
                for m in sorted {
                    out.push_str(&serde_json::to_string(&m.name).unwrap_or_default());
                    out.push(':');
                    canonical(&m.value, false, out);
                    out.push(',');
                }
                out.push('}');
            }
            JsonKind::Array(items) => {
                out.push('[');
                for i in items {
                    canonical(i, false, out);
                    out.push(',');
                }
                out.push(']');
            }
            JsonKind::String(t) => out.push_str(&serde_json::to_string(t).unwrap_or_default()),
            JsonKind::Number(n) => out.push_str(n),
            JsonKind::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            JsonKind::Null => out.push_str("null"),
        }
    }
    let statements = doc.statements();
    let keys: Vec<String> = statements
        .iter()
        .map(|s| {
            let mut k = String::new();
            canonical(s.node, true, &mut k);
            k
        })
        .collect();
    let at = |s: &super::Statement| {
        let mut path = vec![PathElement::Value("Statement".into())];
        path.extend(s.index.map(PathElement::Index));
        Location::of(doc.text, path, s.node)
    };
    let mut out = Vec::new();
    for (i, key) in keys.iter().enumerate() {
        if keys[..i].contains(key) {
            continue;
        }
        let repeats: Vec<usize> = (i + 1..keys.len()).filter(|&j| &keys[j] == key).collect();
        if repeats.is_empty() {
            continue;
        }
        out.push(Finding::new(
            FindingType::Suggestion,
            "REDUNDANT_STATEMENT",
            format!(
                "Statement {i} is written again ({}); the copies grant nothing more, and a later edit to one of them would not reach the others. Remove the repeats.",
                repeats.iter().map(|j| format!("statement {j}")).collect::<Vec<_>>().join(", ")
            ),
            std::iter::once(i).chain(repeats).map(|j| at(&statements[j])).collect(),
        ));
    }
    out
}

/// `` `a` is`` / `` `a`, `b` are``.
fn quoted_list(items: &[&str]) -> String {
    let list = items
        .iter()
        .map(|a| format!("`{a}`"))
        .collect::<Vec<_>>()
        .join(", ");
    format!("{list} {}", if items.len() == 1 { "is" } else { "are" })
}

/// One finding per entry of a list that covers others: a literal entry matched by a
/// wildcard entry, or an entry repeated (`keys` equal). Its locations are the covering
/// entry, then every entry it covers, as AWS gives them. `globs[k]` is `None` for an
/// entry that neither covers nor is covered.
fn redundant<'a>(
    items: &[(Option<usize>, &'a Json, &'a str)],
    globs: &[Option<Glob>],
    keys: &[String],
    at: impl Fn(Option<usize>, &Json) -> Location,
    finding: impl Fn(&str, &[&str]) -> Finding,
) -> Vec<Finding> {
    let wildcards: Vec<usize> = (0..items.len())
        .filter(|&k| globs[k].as_ref().is_some_and(|g| !g.is_literal()))
        .collect();
    let mut first: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    let mut covered_by: Vec<(usize, usize)> = Vec::new();
    for j in 0..items.len() {
        let Some(g) = &globs[j] else { continue };
        let cover = match first.get(keys[j].as_str()) {
            Some(&k) => Some(k),
            None => {
                first.insert(&keys[j], j);
                if g.is_literal() {
                    wildcards
                        .iter()
                        .copied()
                        .find(|&k| globs[k].as_ref().is_some_and(|w| w.matches(&keys[j])))
                } else {
                    None
                }
            }
        };
        if let Some(k) = cover {
            covered_by.push((k, j));
        }
    }
    let mut covering: Vec<usize> = covered_by.iter().map(|&(k, _)| k).collect();
    covering.sort_unstable();
    covering.dedup();
    covering
        .into_iter()
        .map(|k| {
            let js: Vec<usize> = covered_by
                .iter()
                .filter(|c| c.0 == k)
                .map(|c| c.1)
                .collect();
            let names: Vec<&str> = js.iter().map(|&j| items[j].2).collect();
            let mut f = finding(items[k].2, &names);
            f.locations = std::iter::once(k)
                .chain(js)
                .map(|i| at(items[i].0, items[i].1))
                .collect();
            f
        })
        .collect()
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
        assert_eq!(codes, ["REDUNDANT_ACTION"], "{f:?}");
        // One finding per covering entry: it first, then every entry it covers.
        let span = |l: &super::Location| {
            text.chars()
                .skip(l.start)
                .take(l.end - l.start)
                .collect::<String>()
        };
        let spans: Vec<String> = f[0].locations.iter().map(span).collect();
        assert_eq!(spans, ["\"s3:Get*\"", "\"s3:GetObject\"", "\"S3:get*\""]);
        // Near misses: distinct actions; a service wildcard after the colon.
        assert!(found(r#"{"Effect":"Allow","Action":["s3:GetObject","s3:PutObject","ec2:Describe*"],"Resource":"*"}"#, id).is_empty());
    }

    #[test]
    fn redundant_statements() {
        let id = ValidateType::Identity;
        let text = statement(
            r#"{"Sid":"A","Effect":"Allow","Action":["s3:GetObject"],"Resource":"*"},{"Effect":"Deny","Action":"s3:*","Resource":"*"},{"Resource":"*","Sid":"B","Action":["s3:GetObject"],"Effect":"Allow"}"#,
        );
        let f = validate(&text, id);
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].issue_code, "REDUNDANT_STATEMENT");
        let paths: Vec<_> = f[0].locations.iter().map(|l| l.path.clone()).collect();
        assert_eq!(
            paths,
            [0, 2].map(|i| vec![
                super::PathElement::Value("Statement".into()),
                super::PathElement::Index(i)
            ])
        );
        // Near miss: the same actions with another effect or resource.
        let text = statement(
            r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"},{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}"#,
        );
        assert!(validate(&text, id).is_empty());
    }

    #[test]
    fn redundant_resources() {
        let id = ValidateType::Identity;
        let text = statement(
            r#"{"Effect":"Allow","Action":"iam:PassRole","Resource":["arn:aws:iam::111122223333:role/jane-admin","arn:aws:iam::111122223333:role/jane-s3only","arn:aws:iam::111122223333:role/jane*"]}"#,
        );
        let f: Vec<_> = validate(&text, id)
            .into_iter()
            .filter(|f| f.issue_code == "REDUNDANT_RESOURCE")
            .collect();
        assert_eq!(f.len(), 1, "{f:?}");
        let paths: Vec<_> = f[0]
            .locations
            .iter()
            .map(|l| l.path.last().cloned())
            .collect();
        assert_eq!(paths, [2, 0, 1].map(|i| Some(super::PathElement::Index(i))));
        // The same ARN twice is redundant too; ARNs are compared with their case.
        assert_eq!(
            found(r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":["arn:aws:s3:::b/k","arn:aws:s3:::b/k"]}"#, id)[0].0,
            "REDUNDANT_RESOURCE"
        );
        // Near misses: a case difference, a wildcard that does not cross into the
        // ARN's other fields, policy variables.
        for statement in [
            r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":["arn:aws:s3:::B/*","arn:aws:s3:::b/k"]}"#,
            r#"{"Effect":"Allow","Action":"sqs:SendMessage","Resource":["arn:aws:sqs:us-east-1:111122223333:*","arn:aws:sqs:us-west-2:111122223333:q"]}"#,
            r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":["arn:aws:s3:::b/${aws:username}/*","arn:aws:s3:::b/alice/k"]}"#,
        ] {
            assert!(
                found(statement, id).is_empty(),
                "{statement}: {:?}",
                found(statement, id)
            );
        }
    }
}
