//! Warnings about `iam:PassRole` and `iam:CreateServiceLinkedRole` granted on every
//! resource in identity policies (AWS's reference: "Security Warning – Pass role with
//! star in resource" and its five siblings; "General Warning – Create SLR with star in
//! resource" and its siblings):
//!
//! - an `Allow` statement whose `Action` matches the action (or whose `NotAction` does
//!   not exclude it),
//! - on `Resource: "*"` (an item `"*"`) or with `NotResource`,
//! - without the condition key that narrows it: `iam:PassedToService` for PassRole, a
//!   literal `iam:AWSServiceName` for CreateServiceLinkedRole.
//!
//! The code says which: `…_WITH_STAR_IN_RESOURCE` (the action named),
//! `…_WITH_STAR_IN_ACTION_AND_RESOURCE` (matched by a wildcard), `…_WITH_NOT_RESOURCE`,
//! `…_WITH_STAR_IN_ACTION_AND_NOT_RESOURCE`, `…_WITH_NOT_ACTION_AND_NOT_RESOURCE`,
//! `…_WITH_STAR_IN_RESOURCE_AND_NOT_ACTION`. The location is the resource element that
//! makes it every resource: the `"*"` of `Resource`, or `NotResource`.

use super::location::{Location, PathElement};
use super::{Document, Finding, FindingType, Json, JsonKind, Statement, ValidateType, strings};
use crate::pattern::Glob;

/// One family: the action, its code prefix, finding type, and the condition key that
/// narrows it (with whether its value must be literal).
struct Family {
    action: &'static str,
    prefix: &'static str,
    finding_type: FindingType,
    key: &'static str,
    literal_key: bool,
    advice: &'static str,
}

const FAMILIES: &[Family] = &[
    Family {
        action: "iam:PassRole",
        prefix: "PASS_ROLE",
        finding_type: FindingType::SecurityWarning,
        key: "iam:PassedToService",
        literal_key: false,
        advice: "name the roles that may be passed in `Resource`, or limit the services they may be passed to with the `iam:PassedToService` condition key",
    },
    Family {
        action: "iam:CreateServiceLinkedRole",
        prefix: "CREATE_SLR",
        finding_type: FindingType::Warning,
        key: "iam:AWSServiceName",
        literal_key: true,
        advice: "name the service-linked roles in `Resource`, or limit the services with a literal `iam:AWSServiceName` condition value",
    },
];

pub(super) fn findings(doc: &Document, ty: ValidateType) -> Vec<Finding> {
    if ty == ValidateType::Resource {
        return not_principal(doc);
    }
    if ty != ValidateType::Identity {
        return Vec::new();
    }
    let mut out = Vec::new();
    for s in doc.statements() {
        let member = |name: &str| super::member(s.node, name);
        if !matches!(member("Effect").map(|e| &e.kind), Some(JsonKind::String(e)) if e == "Allow") {
            continue;
        }
        for family in FAMILIES {
            if let Some(f) = finding(doc, &s, family) {
                out.push(f);
            }
        }
    }
    out
}

/// `ALLOW_WITH_NOT_PRINCIPAL`: an Allow to everyone but the listed principals (AWS's
/// reference: "Security Warning – Allow with NotPrincipal"), located at `NotPrincipal`.
fn not_principal(doc: &Document) -> Vec<Finding> {
    let mut out = Vec::new();
    for s in doc.statements() {
        let member = |name: &str| super::member(s.node, name);
        let allow =
            matches!(member("Effect").map(|e| &e.kind), Some(JsonKind::String(e)) if e == "Allow");
        if let (true, Some(np)) = (allow, member("NotPrincipal")) {
            out.push(Finding::new(
                FindingType::SecurityWarning,
                "ALLOW_WITH_NOT_PRINCIPAL",
                "An Allow with `NotPrincipal` grants access to every principal not listed, anonymous users included; name the principals in `Principal` instead.".into(),
                vec![Location::of(doc.text, doc.path(&s, "NotPrincipal"), np)],
            ));
        }
    }
    out
}

/// How a statement's actions reach the family's action.
enum Reach {
    /// Named (`iam:PassRole`, in any case).
    Named,
    /// Matched by a wildcard pattern (`*`, `iam:*`, `iam:Pass*`).
    Wildcard,
    /// Not excluded by `NotAction`.
    NotAction,
}

fn finding(doc: &Document, s: &Statement, family: &Family) -> Option<Finding> {
    let member = |name: &str| super::member(s.node, name);
    let action = family.action.to_ascii_lowercase();
    let reach = if let Some(actions) = member("Action") {
        let mut reach = None;
        for (_, _, a) in strings(actions) {
            let glob = Glob::action(a);
            if glob.matches(&action) {
                reach = match (&reach, glob.is_literal()) {
                    (_, true) => Some(Reach::Named),
                    (Some(Reach::Named), false) => reach,
                    (_, false) => Some(Reach::Wildcard),
                };
            }
        }
        reach?
    } else {
        let excluded = member("NotAction").map(|n| {
            strings(n)
                .iter()
                .any(|(_, _, a)| Glob::action(a).matches(&action))
        })?;
        if excluded {
            return None;
        }
        Reach::NotAction
    };
    if narrowed(member("Condition"), family) {
        return None;
    }
    // The element that makes it every resource.
    let (not_resource, location) = if let Some(r) = member("Resource") {
        let (i, node, _) = strings(r).into_iter().find(|(_, _, v)| *v == "*")?;
        let mut path = doc.path(s, "Resource");
        if let Some(i) = i {
            path.push(PathElement::Index(i));
        }
        (false, Location::of(doc.text, path, node))
    } else {
        let r = member("NotResource")?;
        (true, Location::of(doc.text, doc.path(s, "NotResource"), r))
    };
    let suffix = match (&reach, not_resource) {
        (Reach::Named, false) => "WITH_STAR_IN_RESOURCE",
        (Reach::Wildcard, false) => "WITH_STAR_IN_ACTION_AND_RESOURCE",
        (Reach::Named, true) => "WITH_NOT_RESOURCE",
        (Reach::Wildcard, true) => "WITH_STAR_IN_ACTION_AND_NOT_RESOURCE",
        (Reach::NotAction, true) => "WITH_NOT_ACTION_AND_NOT_RESOURCE",
        (Reach::NotAction, false) => "WITH_STAR_IN_RESOURCE_AND_NOT_ACTION",
    };
    let how = match (&reach, not_resource) {
        (Reach::Named, false) => format!("allows `{}` on every resource (`\"*\"`)", family.action),
        (Reach::Wildcard, false) => format!(
            "allows `{}` through a wildcard action on every resource (`\"*\"`)",
            family.action
        ),
        (Reach::Named | Reach::Wildcard, true) => format!(
            "allows `{}` on every resource outside its `NotResource`",
            family.action
        ),
        (Reach::NotAction, true) => format!(
            "allows `{}` (its `NotAction` does not exclude it) on every resource outside its `NotResource`",
            family.action
        ),
        (Reach::NotAction, false) => format!(
            "allows `{}` (its `NotAction` does not exclude it) on every resource (`\"*\"`)",
            family.action
        ),
    };
    let statement = match s.index {
        Some(i) => format!("Statement {i}"),
        None => "The statement".to_string(),
    };
    Some(Finding::new(
        family.finding_type,
        &format!("{}_{suffix}", family.prefix),
        format!("{statement} {how}: {}.", family.advice),
        vec![location],
    ))
}

/// Whether the statement's condition has the family's key (literal values when the
/// family needs them: an operator without `Like`, values without `*` or `?`).
fn narrowed(condition: Option<&Json>, family: &Family) -> bool {
    let Some(JsonKind::Object(operators)) = condition.map(|c| &c.kind) else {
        return false;
    };
    operators.iter().any(|op| {
        let JsonKind::Object(keys) = &op.value.kind else {
            return false;
        };
        keys.iter().any(|k| {
            k.name.eq_ignore_ascii_case(family.key)
                && (!family.literal_key
                    || (!op.name.contains("Like")
                        && strings(&k.value)
                            .iter()
                            .all(|(_, _, v)| !v.contains(['*', '?']))))
        })
    })
}

#[cfg(test)]
mod tests {
    use super::super::{ValidateType, validate};
    use serde_json::json;

    fn statement(s: &str) -> String {
        format!(r#"{{"Version":"2012-10-17","Statement":[{s}]}}"#)
    }

    fn codes(text: &str) -> Vec<String> {
        validate(text, ValidateType::Identity)
            .into_iter()
            .map(|f| f.issue_code)
            .collect()
    }

    #[test]
    fn pass_role_on_every_resource_is_a_security_warning_at_the_star() {
        let text = statement(
            r#"{"Effect":"Allow","Action":["s3:GetObject","iam:PassRole"],"Resource":["arn:aws:s3:::b/*","*"]}"#,
        );
        let f = validate(&text, ValidateType::Identity);
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].issue_code, "PASS_ROLE_WITH_STAR_IN_RESOURCE");
        let j = f[0].to_json(&text);
        assert_eq!(j["findingType"], "SECURITY_WARNING");
        assert_eq!(
            j["learnMoreLink"],
            "https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-reference-policy-checks.html#access-analyzer-reference-policy-checks-security-warning-pass-role-with-star-in-resource"
        );
        assert_eq!(
            j["locations"][0]["path"],
            json!([{"value":"Statement"},{"index":0},{"value":"Resource"},{"index":1}])
        );
        let (s, e) = (f[0].locations[0].start, f[0].locations[0].end);
        assert_eq!(&text[s..e], "\"*\"");
    }

    /// Regression: a document starting with a byte-order mark had its spans one mark
    /// short (JSON offsets are of the text after the mark) and empty.
    #[test]
    fn spans_count_a_byte_order_mark_as_one_character() {
        let text = format!(
            "\u{feff}{}",
            statement(r#"{"Effect":"Allow","Action":"iam:PassRole","Resource":"*"}"#)
        );
        let f = validate(&text, ValidateType::Identity);
        let l = &f[0].locations[0];
        let span: String = text.chars().skip(l.start).take(l.end - l.start).collect();
        assert_eq!(span, "\"*\"");
    }

    #[test]
    fn each_variant_has_its_code() {
        for (s, code) in [
            (
                r#"{"Effect":"Allow","Action":"*","Resource":"*"}"#,
                "PASS_ROLE_WITH_STAR_IN_ACTION_AND_RESOURCE",
            ),
            (
                r#"{"Effect":"Allow","Action":"iam:Pass*","Resource":"*"}"#,
                "PASS_ROLE_WITH_STAR_IN_ACTION_AND_RESOURCE",
            ),
            (
                r#"{"Effect":"Allow","Action":"IAM:passrole","NotResource":"arn:aws:iam::*:role/admin"}"#,
                "PASS_ROLE_WITH_NOT_RESOURCE",
            ),
            (
                r#"{"Effect":"Allow","Action":"iam:*","NotResource":"arn:aws:iam::*:role/admin"}"#,
                "PASS_ROLE_WITH_STAR_IN_ACTION_AND_NOT_RESOURCE",
            ),
            (
                r#"{"Effect":"Allow","NotAction":"s3:*","NotResource":"arn:aws:s3:::b"}"#,
                "PASS_ROLE_WITH_NOT_ACTION_AND_NOT_RESOURCE",
            ),
            (
                r#"{"Effect":"Allow","NotAction":"s3:*","Resource":"*"}"#,
                "PASS_ROLE_WITH_STAR_IN_RESOURCE_AND_NOT_ACTION",
            ),
            (
                r#"{"Effect":"Allow","Action":"iam:CreateServiceLinkedRole","Resource":"*"}"#,
                "CREATE_SLR_WITH_STAR_IN_RESOURCE",
            ),
        ] {
            let found = codes(&statement(s));
            assert!(found.iter().any(|c| c == code), "{s}: {found:?}");
        }
        // `*` on every resource reaches both families.
        assert_eq!(
            codes(&statement(
                r#"{"Effect":"Allow","Action":"*","Resource":"*"}"#
            )),
            [
                "PASS_ROLE_WITH_STAR_IN_ACTION_AND_RESOURCE",
                "CREATE_SLR_WITH_STAR_IN_ACTION_AND_RESOURCE"
            ]
        );
    }

    #[test]
    fn near_misses_have_no_finding() {
        for s in [
            // Named roles.
            r#"{"Effect":"Allow","Action":"iam:PassRole","Resource":"arn:aws:iam::111122223333:role/app-*"}"#,
            // Limited to a service.
            r#"{"Effect":"Allow","Action":"iam:PassRole","Resource":"*","Condition":{"StringEquals":{"iam:PassedToService":"lambda.amazonaws.com"}}}"#,
            // A Deny.
            r#"{"Effect":"Deny","Action":"iam:PassRole","Resource":"*"}"#,
            // NotAction excludes it.
            r#"{"Effect":"Allow","NotAction":"iam:*","Resource":"arn:aws:s3:::b"}"#,
            // Another action.
            r#"{"Effect":"Allow","Action":"iam:GetRole","Resource":"*"}"#,
            // A literal service name.
            r#"{"Effect":"Allow","Action":"iam:CreateServiceLinkedRole","Resource":"*","Condition":{"StringEquals":{"iam:AWSServiceName":"autoscaling.amazonaws.com"}}}"#,
        ] {
            assert!(codes(&statement(s)).is_empty(), "{s}");
        }
        // A wildcard service name does not narrow CreateServiceLinkedRole.
        assert_eq!(
            codes(&statement(
                r#"{"Effect":"Allow","Action":"iam:CreateServiceLinkedRole","Resource":"*","Condition":{"StringLike":{"iam:AWSServiceName":"*"}}}"#
            )),
            ["CREATE_SLR_WITH_STAR_IN_RESOURCE"]
        );
        // Resource policies are not checked for these.
        let text = statement(
            r#"{"Effect":"Allow","Principal":"*","Action":"iam:PassRole","Resource":"*"}"#,
        );
        assert!(validate(&text, ValidateType::Resource).is_empty());
    }

    #[test]
    fn allow_with_not_principal_is_a_security_warning_at_not_principal() {
        let text = statement(
            r#"{"Effect":"Allow","NotPrincipal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}"#,
        );
        let f = validate(&text, ValidateType::Resource);
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].issue_code, "ALLOW_WITH_NOT_PRINCIPAL");
        let l = &f[0].locations[0];
        assert_eq!(
            &text[l.start..l.end],
            r#"{"AWS":"arn:aws:iam::111122223333:root"}"#
        );
        // Near miss: a Deny with NotPrincipal is the usual, safe pattern.
        let deny = text.replace("Allow", "Deny");
        assert!(validate(&deny, ValidateType::Resource).is_empty());
    }
}
