//! ValidatePolicy: the parser's error as an `ERROR` finding in AWS's shape.
//!
//! hornbeam's parser stops at the first error, so a page holds at most one finding.
//! Issue codes are AWS's where AWS has one for the same error (IAM User Guide, "IAM
//! Access Analyzer policy check reference"); the rest are hornbeam's own, prefixed
//! `HORNBEAM_` so that no one mistakes them for AWS's.

use serde_json::{Value, json};

use crate::json::{self, Json, JsonKind};
use crate::policy::PolicyError;

const CHECKS_PAGE: &str =
    "https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-reference-policy-checks.html";
const GRAMMAR_PAGE: &str =
    "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html";

/// The findings for one document: none when it parses, else the error's.
pub fn findings(text: &str, result: Result<(), PolicyError>) -> Vec<Value> {
    match result {
        Ok(()) => Vec::new(),
        Err(e) => vec![finding(text, &e)],
    }
}

fn finding(text: &str, e: &PolicyError) -> Value {
    let (code, pointer, line, column, message) = match e {
        PolicyError::Syntax {
            line,
            column,
            message,
        } => ("JSON_SYNTAX_ERROR", "", *line, *column, message.as_str()),
        PolicyError::Invalid {
            pointer,
            line,
            column,
            message,
        } => (
            issue_code(pointer, message),
            pointer.as_str(),
            *line,
            *column,
            message.as_str(),
        ),
    };
    let link = match code.strip_prefix("HORNBEAM_") {
        Some(_) => GRAMMAR_PAGE.to_string(),
        None => format!(
            "{CHECKS_PAGE}#access-analyzer-reference-policy-checks-error-{}",
            code.to_ascii_lowercase().replace('_', "-")
        ),
    };
    let start = char_offset(text, line, column);
    let end = value_end(text, start).unwrap_or(start);
    json!({
        "findingDetails": message,
        "findingType": "ERROR",
        "issueCode": code,
        "learnMoreLink": link,
        "locations": [{
            "path": path(text, pointer),
            "span": {"start": position(text, start), "end": position(text, end)},
        }],
    })
}

/// AWS's issue code for a parser message, where AWS has one.
fn issue_code(pointer: &str, message: &str) -> &'static str {
    let last = pointer.rsplit('/').next().unwrap_or("");
    let has = |s: &str| message.contains(s);
    if has("unknown policy version") || has("RCP's `Version`") {
        "INVALID_VERSION"
    } else if has("unknown effect") {
        "INVALID_EFFECT"
    } else if has("has no `Effect`") {
        "MISSING_EFFECT"
    } else if has("neither `Action` nor `NotAction`") {
        "MISSING_ACTION"
    } else if has("neither `Resource` nor `NotResource`") {
        "MISSING_RESOURCE"
    } else if has("neither `Principal` nor `NotPrincipal`") {
        "MISSING_PRINCIPAL"
    } else if has("has no `Statement`") {
        "MISSING_STATEMENT"
    } else if has("is not allowed in an identity policy") {
        "UNSUPPORTED_PRINCIPAL"
    } else if has("unknown condition operator") {
        "INVALID_CONDITION_OPERATOR"
    } else if has("unknown policy field") || has("unknown statement field") {
        "INVALID_POLICY_ELEMENT"
    } else if has("duplicate Sid") {
        "DUPLICATE_SID"
    } else if has("expected a string, found") || has("must be a JSON object, found") {
        "DATA_TYPE_MISMATCH"
    } else if matches!(last, "Action" | "NotAction") || pointer.contains("/Action/") {
        "INVALID_ACTION"
    } else if matches!(last, "Resource" | "NotResource") || pointer.contains("Resource/") {
        "INVALID_ARN_RESOURCE"
    } else if pointer.contains("Principal") {
        "INVALID_PRINCIPAL_FORMAT"
    } else {
        "HORNBEAM_INVALID_POLICY"
    }
}

/// The 0-based character offset of a 1-based line and 1-based character column.
fn char_offset(text: &str, line: usize, column: usize) -> usize {
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
fn value_end(text: &str, start: usize) -> Option<usize> {
    let byte = text.char_indices().nth(start).map(|(b, _)| b)?;
    let rest = &text[byte..];
    let mut values = serde_json::Deserializer::from_str(rest).into_iter::<serde_json::Value>();
    values.next()?.ok()?;
    let len = values.byte_offset();
    Some(start + rest[..len].chars().count())
}

/// `{line (from 1), column (from 0), offset (from 0)}` of a character offset.
fn position(text: &str, offset: usize) -> Value {
    let mut line = 1;
    let mut column = 0;
    for c in text.chars().take(offset) {
        if c == '\n' {
            line += 1;
            column = 0;
        } else {
            column += 1;
        }
    }
    json!({"line": line, "column": column, "offset": offset})
}

/// A JSON pointer as AWS path elements: `{"value": name}` for an object member,
/// `{"index": i}` for an array item.
fn path(text: &str, pointer: &str) -> Vec<Value> {
    let Ok(root) = json::parse(text.strip_prefix('\u{feff}').unwrap_or(text)) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut node: Option<&Json> = Some(&root);
    for raw in pointer.split('/').skip(1) {
        let token = raw.replace("~1", "/").replace("~0", "~");
        match node.map(|n| &n.kind) {
            Some(JsonKind::Array(items)) => {
                let i = token.parse::<usize>().ok();
                out.push(match i {
                    Some(i) => json!({"index": i}),
                    None => json!({"value": token}),
                });
                node = i.and_then(|i| items.get(i));
            }
            Some(JsonKind::Object(members)) => {
                node = members.iter().find(|m| m.name == token).map(|m| &m.value);
                out.push(json!({"value": token}));
            }
            _ => {
                out.push(json!({"value": token}));
                node = None;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::{self, PolicyType};

    fn one(text: &str, t: PolicyType) -> Value {
        let f = findings(text, policy::parse(text, t).map(|_| ()));
        assert_eq!(f.len(), 1, "{f:?}");
        f[0].clone()
    }

    #[test]
    fn a_bad_effect_is_located() {
        let text = "{\"Version\":\"2012-10-17\",\n\"Statement\":[{\"Effect\":\"Alow\",\"Action\":\"s3:*\",\"Resource\":\"*\"}]}";
        let f = one(text, PolicyType::Identity);
        assert_eq!(f["issueCode"], "INVALID_EFFECT");
        assert_eq!(f["findingType"], "ERROR");
        assert_eq!(
            f["locations"][0]["path"],
            json!([{"value": "Statement"}, {"index": 0}, {"value": "Effect"}])
        );
        let start = &f["locations"][0]["span"]["start"];
        let end = &f["locations"][0]["span"]["end"];
        let s = start["offset"].as_u64().unwrap() as usize;
        let e = end["offset"].as_u64().unwrap() as usize;
        assert_eq!(&text[s..e], "\"Alow\"");
        assert_eq!(start["line"], 2);
        assert!(
            f["learnMoreLink"]
                .as_str()
                .unwrap()
                .ends_with("#access-analyzer-reference-policy-checks-error-invalid-effect")
        );
    }

    #[test]
    fn codes_follow_the_error() {
        for (text, t, code) in [
            ("{\"Statement\":", PolicyType::Identity, "JSON_SYNTAX_ERROR"),
            (
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Resource":"*"}]}"#,
                PolicyType::Identity,
                "MISSING_ACTION",
            ),
            (
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3","Resource":"*"}]}"#,
                PolicyType::Identity,
                "INVALID_ACTION",
            ),
            (
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#,
                PolicyType::Resource,
                "MISSING_PRINCIPAL",
            ),
            (
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}]}"#,
                PolicyType::Identity,
                "UNSUPPORTED_PRINCIPAL",
            ),
            (
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEqualz":{"a:b":"c"}}}]}"#,
                PolicyType::Identity,
                "INVALID_CONDITION_OPERATOR",
            ),
            (
                r#"{"Version":"2020-01-01","Statement":[]}"#,
                PolicyType::Identity,
                "INVALID_VERSION",
            ),
        ] {
            assert_eq!(one(text, t)["issueCode"], code, "{text}");
        }
    }

    #[test]
    fn a_valid_policy_has_no_findings() {
        let text = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}"#;
        let parsed = policy::parse(text, PolicyType::Identity).map(|_| ());
        assert!(findings(text, parsed).is_empty());
    }
}
