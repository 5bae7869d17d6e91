//! The grammar errors hornbeam's policy parser finds, as ValidatePolicy `ERROR`
//! findings with AWS's issue codes (IAM User Guide, "IAM policy validation check
//! reference") and locations.
//!
//! The parser stops at the first error, so there is at most one. Where AWS has no code
//! for the same error, the code is hornbeam's own, prefixed `HORNBEAM_` so that no one
//! mistakes it for AWS's, and the link goes to the policy grammar.

use super::location::{Location, char_offset, node_at, path_of_pointer, value_end};
use super::{Finding, FindingType, GRAMMAR_PAGE};
use crate::json::{Json, JsonKind};
use crate::policy::PolicyError;

/// The parser's error, when there is one, as a finding.
/// `root`: the document's JSON, when it could be read (for paths).
pub fn findings(text: &str, root: Option<&Json>, result: Result<(), PolicyError>) -> Vec<Finding> {
    match result {
        Err(PolicyError::Invalid {
            pointer, message, ..
        }) if is_empty_element(root, &pointer, &message) || is_suggestion(&message) => Vec::new(),
        Ok(()) => Vec::new(),
        Err(e) => vec![finding(text, root, &e)],
    }
}

fn finding(text: &str, root: Option<&Json>, e: &PolicyError) -> Finding {
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
    let start = char_offset(text, line, column);
    let end = value_end(text, start).unwrap_or(start);
    // A value the operator cannot read is a warning in AWS's reference ("General
    // Warning – Type mismatch number", ...); the rest are errors.
    let finding_type = if code.starts_with("TYPE_MISMATCH") {
        FindingType::Warning
    } else {
        FindingType::Error
    };
    Finding {
        finding_type,
        issue_code: code.to_string(),
        details: message.to_string(),
        locations: vec![Location {
            path: path_of_pointer(root, pointer),
            start,
            end,
        }],
        link: code
            .starts_with("HORNBEAM_")
            .then(|| GRAMMAR_PAGE.to_string()),
    }
}

/// The statement member a pointer is in (`/Statement/0/Condition/...` → `Condition`;
/// `/Statement/Action` for a single statement object).
fn element(pointer: &str) -> &str {
    let mut parts = pointer.split('/').skip(1);
    match (parts.next(), parts.next(), parts.next()) {
        (Some("Statement"), Some(i), Some(member)) if i.parse::<usize>().is_ok() => member,
        (Some("Statement"), Some(member), _) => member,
        (Some(top), _, _) => top,
        _ => "",
    }
}

/// Whether the parser's error is a construct AWS's reference takes as valid with a
/// suggestion found by the conditions' own checks: `Null` under a set qualifier
/// (`NULL_WITH_QUALIFIER`).
fn is_suggestion(message: &str) -> bool {
    message.contains("a set qualifier cannot be combined with `Null`")
}

/// Whether the parser's error is an empty list or object, which AWS's reference takes
/// as valid with a suggestion (`EMPTY_ARRAY_ACTION`, `EMPTY_OBJECT_PRINCIPAL`, ...,
/// found by the suggestions' own checks) rather than an error.
fn is_empty_element(root: Option<&Json>, pointer: &str, message: &str) -> bool {
    if message.contains("the list is empty")
        || message.contains("the list of values is empty")
        || message.contains("the principal object is empty")
    {
        return true;
    }
    // A condition operator mapped to `{}` (not one mapped to a string or a list).
    message.contains("must map condition keys to values")
        && root
            .and_then(|r| node_at(r, pointer))
            .is_some_and(|n| matches!(&n.kind, JsonKind::Object(m) if m.is_empty()))
}

/// Whether the malformed variable the parser quotes (`${aws: username}`) has a space.
fn variable_has_space(message: &str) -> bool {
    message
        .split("malformed policy variable `${")
        .nth(1)
        .and_then(|rest| rest.split('}').next())
        .is_some_and(|v| v.contains(' ') && !v.contains(','))
}

/// Whether the malformed variable the parser quotes has a default value without its
/// single quotes (`${aws:username, anonymous}`).
fn variable_default_unquoted(message: &str) -> bool {
    message
        .split("malformed policy variable `${")
        .nth(1)
        .and_then(|rest| rest.split('}').next())
        .and_then(|v| v.split_once(','))
        .is_some_and(|(_, d)| {
            let d = d.trim();
            !(d.len() >= 2 && d.starts_with('\'') && d.ends_with('\''))
        })
}

/// AWS's issue code for a parser message, where AWS has one.
fn issue_code(pointer: &str, message: &str) -> &'static str {
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
    } else if has("`NullIfExists` is not an operator") {
        "NULL_WITH_IF_EXISTS"
    } else if has("a statement cannot have both") {
        "UNSUPPORTED_ELEMENT_COMBINATION"
    } else if has("an SCP applies to every principal") {
        "SCP_SYNTAX_ERROR_PRINCIPAL"
    } else if has("an RCP has no `NotAction`") {
        "RCP_SYNTAX_ERROR_NOTACTION"
    } else if has("unknown condition operator") {
        "INVALID_CONDITION_OPERATOR"
    } else if has("unknown policy field") || has("unknown statement field") {
        "INVALID_POLICY_ELEMENT"
    } else if has("duplicate Sid") {
        // The parser refuses repeated Sids only where the policy type requires unique
        // ones (IAM: "the Sid value must be unique within a JSON policy").
        "UNIQUE_SIDS_REQUIRED"
    } else if has("starts a policy variable that is never closed") {
        "MISSING_BRACE_IN_VARIABLE"
    } else if has("malformed policy variable `${}`") {
        "EMPTY_VARIABLE"
    } else if has("malformed policy variable") && variable_has_space(message) {
        "UNSUPPORTED_SPACE_IN_VARIABLE"
    } else if has("malformed policy variable") && variable_default_unquoted(message) {
        "MISSING_QUOTE_IN_VARIABLE"
    } else if has("malformed policy variable") {
        "UNSUPPORTED_SYMBOL_IN_VARIABLE"
    } else if has("policy variables are not allowed in actions") {
        "VARIABLE_UNSUPPORTED_IN_ELEMENT"
    } else if has("policy variables are not allowed in") {
        "INVALID_VARIABLE_FOR_OPERATOR"
    } else if has("IAM only accepts `*` alone there") {
        "UNSUPPORTED_WILDCARD_IN_PRINCIPAL"
    } else if has("unknown principal field") {
        "INVALID_PRINCIPAL_KEY"
    } else if has("is neither `*` nor an ARN") {
        "INVALID_ARN_PREFIX"
    } else if has("is not a valid number for") {
        "TYPE_MISMATCH_NUMBER"
    } else if has("is not a valid date for") {
        "TYPE_MISMATCH_DATE"
    } else if has("is not a valid boolean for") {
        "TYPE_MISMATCH_BOOLEAN"
    } else if has("is not a valid base64 value for") {
        "TYPE_MISMATCH_STRING"
    } else if has("is not a valid IP address or CIDR block for") {
        "TYPE_MISMATCH_IP_RANGE"
    } else if has("expected a string, found")
        || has("must be a JSON object, found")
        || has("must map condition keys to values")
    {
        "DATA_TYPE_MISMATCH"
    } else {
        match element(pointer) {
            "Action" | "NotAction" => "INVALID_ACTION",
            "Resource" | "NotResource" => "INVALID_ARN_RESOURCE",
            "Principal" | "NotPrincipal" => "INVALID_PRINCIPAL_FORMAT",
            _ => "HORNBEAM_INVALID_POLICY",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::{self, PolicyType};
    use serde_json::{Value, json};

    fn one(text: &str, t: PolicyType) -> Value {
        let root = crate::json::parse(text).ok();
        let f = findings(text, root.as_ref(), policy::parse(text, t).map(|_| ()));
        assert_eq!(f.len(), 1, "{f:?}");
        f[0].to_json(text)
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
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"NumericLessThan":{"aws:MultiFactorAuthAge":"abc"}}}]}"#,
                PolicyType::Identity,
                "TYPE_MISMATCH_NUMBER",
            ),
            (
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"yes"}}}]}"#,
                PolicyType::Identity,
                "TYPE_MISMATCH_BOOLEAN",
            ),
            (
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/${aws:username"}]}"#,
                PolicyType::Identity,
                "MISSING_BRACE_IN_VARIABLE",
            ),
            (
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/${}"}]}"#,
                PolicyType::Identity,
                "EMPTY_VARIABLE",
            ),
            (
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/${aws: username}"}]}"#,
                PolicyType::Identity,
                "UNSUPPORTED_SPACE_IN_VARIABLE",
            ),
            (
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"BinaryEquals":{"s3:x-amz-content-sha256":"@@@"}}}]}"#,
                PolicyType::Identity,
                "TYPE_MISMATCH_STRING",
            ),
            (
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/${aws:username, anonymous}"}]}"#,
                PolicyType::Identity,
                "MISSING_QUOTE_IN_VARIABLE",
            ),
            (
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/${aws:user#name}"}]}"#,
                PolicyType::Identity,
                "UNSUPPORTED_SYMBOL_IN_VARIABLE",
            ),
            (
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:${aws:username}","Resource":"*"}]}"#,
                PolicyType::Identity,
                "VARIABLE_UNSUPPORTED_IN_ELEMENT",
            ),
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
            (
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","NotAction":"s3:Get*","Resource":"*"}]}"#,
                PolicyType::Identity,
                "UNSUPPORTED_ELEMENT_COMBINATION",
            ),
        ] {
            assert_eq!(one(text, t)["issueCode"], code, "{text}");
        }
    }

    #[test]
    fn control_policy_codes() {
        use crate::validate::{ValidateType, validate};
        for (text, t, code) in [
            (
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*"}]}"#,
                ValidateType::ServiceControl,
                "SCP_SYNTAX_ERROR_PRINCIPAL",
            ),
            (
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","NotAction":"s3:Get*","Resource":"*"}]}"#,
                ValidateType::ResourceControl,
                "RCP_SYNTAX_ERROR_NOTACTION",
            ),
        ] {
            let f = validate(text, t);
            assert_eq!(f[0].issue_code, code, "{text}: {f:?}");
            assert_eq!(f[0].finding_type, crate::validate::FindingType::Error);
        }
    }

    #[test]
    fn a_valid_policy_has_no_findings() {
        let text = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}"#;
        let parsed = policy::parse(text, PolicyType::Identity).map(|_| ());
        let root = crate::json::parse(text).ok();
        assert!(findings(text, root.as_ref(), parsed).is_empty());
    }
}
