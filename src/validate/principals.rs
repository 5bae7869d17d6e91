//! Principals of resource policies as written (`Principal` / `NotPrincipal`):
//!
//! - `INVALID_SERVICE_PRINCIPAL_FORMAT` (ERROR): a `Service` principal that is not a
//!   service's domain name (`lambda` for `lambda.amazonaws.com`);
//! - `INVALID_ROLE_REFERENCE` / `INVALID_USER_REFERENCE` (WARNING): an `AWS` principal
//!   given as a role's or user's unique id (`AROA…`, `AIDA…`), which is what IAM stores
//!   when the role or user named was deleted: the policy names no one any more.
//!
//! The parser's principal errors are grammar.rs's (`UNSUPPORTED_WILDCARD_IN_PRINCIPAL`,
//! `INVALID_PRINCIPAL_KEY`, `INVALID_PRINCIPAL_FORMAT`).

use super::{Document, Finding, FindingType, ValidateType};

pub(super) fn findings(doc: &Document, ty: ValidateType) -> Vec<Finding> {
    let mut out = Vec::new();
    if ty != ValidateType::Resource {
        return out;
    }
    for s in doc.statements() {
        for name in ["Principal", "NotPrincipal"] {
            for p in doc.principals(&s, name) {
                if let Some((finding_type, code, what)) = problem(p.kind, p.value) {
                    out.push(Finding::new(
                        finding_type,
                        code,
                        what,
                        vec![p.location(doc)],
                    ));
                }
            }
        }
    }
    out
}

/// What is wrong with principal `v` of type `kind`, if anything.
fn problem(kind: &str, v: &str) -> Option<(FindingType, &'static str, String)> {
    let unique_id = |prefix: &str| {
        v.strip_prefix(prefix).is_some_and(|rest| {
            rest.len() >= 12
                && rest
                    .bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        })
    };
    match kind {
        "Service" if v != "*" && !v.contains('.') => Some((
            FindingType::Error,
            "INVALID_SERVICE_PRINCIPAL_FORMAT",
            format!(
                "`{v}` is not a service principal; service principals are domain names, e.g. `{v}.amazonaws.com`"
            ),
        )),
        "AWS" if unique_id("AROA") => Some((
            FindingType::Warning,
            "INVALID_ROLE_REFERENCE",
            format!(
                "`{v}` is a role's unique id, which IAM writes in place of a role that was deleted; the policy grants nothing to the role of that name now. Name the role by its ARN."
            ),
        )),
        "AWS" if unique_id("AIDA") => Some((
            FindingType::Warning,
            "INVALID_USER_REFERENCE",
            format!(
                "`{v}` is a user's unique id, which IAM writes in place of a user that was deleted; the policy grants nothing to the user of that name now. Name the user by its ARN."
            ),
        )),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::super::{ValidateType, validate};

    fn found(principal: &str) -> Vec<(String, String)> {
        let text = format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{principal},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}}]}}"#
        );
        validate(&text, ValidateType::Resource)
            .into_iter()
            .map(|f| {
                let l = &f.locations[0];
                (f.issue_code, text[l.start..l.end].to_string())
            })
            .collect()
    }

    #[test]
    fn principal_forms() {
        for (p, code, span) in [
            (
                r#"{"Service":"lambda"}"#,
                "INVALID_SERVICE_PRINCIPAL_FORMAT",
                "\"lambda\"",
            ),
            (
                r#"{"AWS":["arn:aws:iam::111122223333:root","AROAJQABLZS4A3QDU576Q"]}"#,
                "INVALID_ROLE_REFERENCE",
                "\"AROAJQABLZS4A3QDU576Q\"",
            ),
            (
                r#"{"AWS":"AIDAJQABLZS4A3QDU576Q"}"#,
                "INVALID_USER_REFERENCE",
                "\"AIDAJQABLZS4A3QDU576Q\"",
            ),
            (
                r#"{"AWS":"arn:aws:iam::111122223333:role/*"}"#,
                "UNSUPPORTED_WILDCARD_IN_PRINCIPAL",
                "\"arn:aws:iam::111122223333:role/*\"",
            ),
            (r#"{"Foo":"x"}"#, "INVALID_PRINCIPAL_KEY", "\"Foo\""),
        ] {
            assert_eq!(found(p), [(code.to_string(), span.to_string())], "{p}");
        }
        // Near misses.
        for p in [
            r#"{"Service":"lambda.amazonaws.com"}"#,
            r#"{"AWS":"111122223333"}"#,
            r#"{"AWS":"arn:aws:iam::111122223333:role/AROAJQABLZS4A3QDU576Q"}"#,
            r#""*""#,
        ] {
            assert!(found(p).is_empty(), "{p}: {:?}", found(p));
        }
    }
}
