//! Tag condition keys on actions that cannot carry them (AWS's reference: "If you use
//! the aws:ResourceTag condition key and it's not supported by a service action, then
//! the key is not included in the request context"): for `aws:ResourceTag/…`,
//! `aws:RequestTag/…` and `aws:TagKeys`, by the actions each one's data lists
//! (`src/actions/tag_keys.txt`, from the Service Authorization Reference).
//!
//! - `ALLOW_WITH_UNSUPPORTED_TAG_CONDITION_KEY_FOR_SERVICE` (SUGGESTION): an Allow
//!   whose actions include some that cannot carry the key, so the statement never
//!   allows them; `DENY_WITH_UNSUPPORTED_TAG_CONDITION_KEY_FOR_SERVICE`
//!   (SECURITY_WARNING): the same in a Deny, which then never denies them. The finding
//!   names the services of those actions.
//! - `ALLOW_NOTACTION_WITH_UNSUPPORTED_TAG_CONDITION_KEY_FOR_SERVICE` (SUGGESTION),
//!   `DENY_NOTACTION_WITH_UNSUPPORTED_TAG_CONDITION_KEY_FOR_SERVICE`
//!   (SECURITY_WARNING): the key with `NotAction`, which always reaches actions that
//!   cannot carry it.
//!
//! Only a test that is false when the key is absent is judged: a positive operator
//! without `IfExists` or `ForAllValues:` (a negated operator, `…IfExists`,
//! `ForAllValues:` and `Null` are true, or test presence, when the key is absent).
//! Located at the condition key.

use std::collections::BTreeSet;

use super::{Document, Finding, FindingType, JsonKind, member, strings};
use crate::actions::{self, TagKey};
use crate::pattern::Glob;

pub(super) fn findings(doc: &Document) -> Vec<Finding> {
    let mut out = Vec::new();
    for ck in doc.condition_keys() {
        let name = ck.key.name.to_ascii_lowercase();
        let Some(tag) = TagKey::of(&name) else {
            continue;
        };
        let absent_is_false = !ck.operator.ends_with("IfExists")
            && !ck.base.contains("Not")
            && ck.base != "Null"
            && ck.qualifier != Some("ForAllValues");
        if !absent_is_false {
            continue;
        }
        let s = &ck.statement;
        let effect = match member(s.node, "Effect").map(|e| &e.kind) {
            Some(JsonKind::String(e)) if e == "Allow" || e == "Deny" => e.as_str(),
            _ => continue,
        };
        let (finding_type, what) = if effect == "Allow" {
            (
                FindingType::Suggestion,
                "this Allow never allows them: their requests do not carry the key",
            )
        } else {
            (
                FindingType::SecurityWarning,
                "this Deny never denies them: their requests do not carry the key",
            )
        };
        let prefix = effect.to_ascii_uppercase();
        if member(s.node, "NotAction").is_some() {
            out.push(Finding::new(
                finding_type,
                &format!("{prefix}_NOTACTION_WITH_UNSUPPORTED_TAG_CONDITION_KEY_FOR_SERVICE"),
                format!(
                    "`NotAction` reaches actions that cannot carry `{}`, and {what}. List the actions with `Action` instead ({}).",
                    ck.key.name,
                    actions::source()
                ),
                vec![ck.key_location(doc)],
            ));
            continue;
        }
        let services = unsupported_services(
            member(s.node, "Action").map(strings).unwrap_or_default(),
            tag,
        );
        if services.is_empty() {
            continue;
        }
        let list = services
            .iter()
            .map(|s| format!("`{s}`"))
            .collect::<Vec<_>>()
            .join(", ");
        out.push(Finding::new(
            finding_type,
            &format!("{prefix}_WITH_UNSUPPORTED_TAG_CONDITION_KEY_FOR_SERVICE"),
            format!(
                "Actions of {list} in this statement cannot carry `{}`, so {what}. Move them to a statement without the key, limited by resource names instead ({}).",
                ck.key.name,
                actions::source()
            ),
            vec![ck.key_location(doc)],
        ));
    }
    out
}

/// The services of the actions an `Action` list names (patterns expanded over the known
/// actions) that cannot carry `tag`.
fn unsupported_services(
    items: Vec<(Option<usize>, &crate::json::Json, &str)>,
    tag: TagKey,
) -> BTreeSet<&'static str> {
    let mut out = BTreeSet::new();
    for (_, _, a) in items {
        let glob = Glob::action(a);
        let service = a.split_once(':').map(|(s, _)| s.to_ascii_lowercase());
        let candidates = match &service {
            Some(s) if !s.contains(['*', '?']) => actions::of_service(s),
            _ => actions::all(),
        };
        for k in candidates {
            if out.contains(k.service) {
                continue;
            }
            if glob.matches(&k.to_string().to_ascii_lowercase())
                && !actions::supports_tag_key(k, tag)
            {
                out.insert(k.service);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::{ValidateType, validate};

    fn codes(statement: &str) -> Vec<(String, String)> {
        let text = format!(r#"{{"Version":"2012-10-17","Statement":[{statement}]}}"#);
        validate(&text, ValidateType::Identity)
            .into_iter()
            .map(|f| (f.issue_code, f.details))
            .collect()
    }

    #[test]
    fn tag_keys_on_actions_that_cannot_carry_them() {
        let tag = r#""Condition":{"StringEquals":{"aws:ResourceTag/team":"ops"}}"#;
        let f = codes(&format!(
            r#"{{"Effect":"Allow","Action":["ec2:TerminateInstances","lambda:AddLayerVersionPermission"],"Resource":"*",{tag}}}"#
        ));
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(
            f[0].0,
            "ALLOW_WITH_UNSUPPORTED_TAG_CONDITION_KEY_FOR_SERVICE"
        );
        assert!(
            f[0].1.contains("`lambda`") && !f[0].1.contains("`ec2`"),
            "{}",
            f[0].1
        );
        let f = codes(&format!(
            r#"{{"Effect":"Deny","Action":"sts:GetCallerIdentity","Resource":"*",{tag}}}"#
        ));
        assert_eq!(
            f[0].0,
            "DENY_WITH_UNSUPPORTED_TAG_CONDITION_KEY_FOR_SERVICE"
        );
        let f = codes(&format!(
            r#"{{"Effect":"Deny","NotAction":"iam:*","Resource":"*",{tag}}}"#
        ));
        assert_eq!(
            f[0].0,
            "DENY_NOTACTION_WITH_UNSUPPORTED_TAG_CONDITION_KEY_FOR_SERVICE"
        );
        let f = codes(&format!(
            r#"{{"Effect":"Allow","NotAction":"iam:*","Resource":"*",{tag}}}"#
        ));
        assert_eq!(
            f[0].0,
            "ALLOW_NOTACTION_WITH_UNSUPPORTED_TAG_CONDITION_KEY_FOR_SERVICE"
        );
        // Near misses: actions that carry the key; operators true when it is absent;
        // a key that is not a tag key.
        for statement in [
            format!(r#"{{"Effect":"Allow","Action":"ec2:TerminateInstances","Resource":"*",{tag}}}"#),
            r#"{"Effect":"Allow","Action":"lambda:AddLayerVersionPermission","Resource":"*","Condition":{"StringEqualsIfExists":{"aws:ResourceTag/team":"ops"}}}"#.to_string(),
            r#"{"Effect":"Deny","Action":"sts:GetCallerIdentity","Resource":"*","Condition":{"StringNotEquals":{"aws:ResourceTag/team":"ops"}}}"#.to_string(),
            r#"{"Effect":"Allow","Action":"sts:GetCallerIdentity","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalTag/team":"ops"}}}"#.to_string(),
        ] {
            assert!(codes(&statement).is_empty(), "{statement}: {:?}", codes(&statement));
        }
    }
}
