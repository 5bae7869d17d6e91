//! General warnings on the document as written: `MISSING_VERSION` (a policy without
//! `Version` is read with the 2008-10-17 language, where policy variables are literal
//! text) and `UNIQUE_SIDS_RECOMMENDED` (a repeated `Sid` where the policy type accepts
//! one: resource policies; identity policies refuse it, `UNIQUE_SIDS_REQUIRED`).

use super::location::Location;
use super::{Document, Finding, FindingType, JsonKind, ValidateType};

pub(super) fn findings(doc: &Document, ty: ValidateType) -> Vec<Finding> {
    let mut out = Vec::new();
    if matches!(doc.root.kind, JsonKind::Object(_)) && doc.member("Version").is_none() {
        out.push(Finding::new(
            FindingType::Warning,
            "MISSING_VERSION",
            "The policy has no `Version`, so it is read with the 2008-10-17 policy language, in which `${...}` policy variables are literal text. Add `\"Version\": \"2012-10-17\"`.".into(),
            vec![Location::document(doc.text)],
        ));
    }
    if ty == ValidateType::Resource {
        let mut seen: Vec<(String, usize)> = Vec::new();
        for s in doc.statements() {
            let Some(sid) = super::member(s.node, "Sid") else {
                continue;
            };
            let JsonKind::String(text) = &sid.kind else {
                continue;
            };
            if text.is_empty() {
                continue;
            }
            match seen.iter().find(|(t, _)| t == text) {
                Some((_, first)) => out.push(Finding::new(
                    FindingType::Warning,
                    "UNIQUE_SIDS_RECOMMENDED",
                    format!(
                        "The Sid `{text}` is also the Sid of statement {first}; give each statement its own Sid so that findings and reviews can name it."
                    ),
                    vec![Location::of(doc.text, doc.path(&s, "Sid"), sid)],
                )),
                None => seen.push((text.clone(), s.index.unwrap_or(0))),
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::{ValidateType, validate};

    fn codes(text: &str, ty: ValidateType) -> Vec<String> {
        validate(text, ty)
            .into_iter()
            .map(|f| f.issue_code)
            .collect()
    }

    #[test]
    fn missing_version_is_a_warning_over_the_document() {
        let text = r#"{"Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}"#;
        let f = validate(text, ValidateType::Identity);
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].issue_code, "MISSING_VERSION");
        assert_eq!(
            (f[0].locations[0].start, f[0].locations[0].end),
            (0, text.chars().count())
        );
        assert!(
            f[0].learn_more_link().ends_with(
                "#access-analyzer-reference-policy-checks-general-warning-missing-version"
            )
        );
        // Near miss: any Version present.
        let text = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}"#;
        assert!(codes(text, ValidateType::Identity).is_empty());
    }

    #[test]
    fn a_repeated_sid_is_recommended_unique_in_resource_policies_and_required_in_identity_ones() {
        let text = r#"{"Version":"2012-10-17","Statement":[
 {"Sid":"Read","Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"},
 {"Sid":"Read","Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"s3:ListBucket","Resource":"arn:aws:s3:::b"}]}"#;
        let f = validate(text, ValidateType::Resource);
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].issue_code, "UNIQUE_SIDS_RECOMMENDED");
        let l = &f[0].locations[0];
        let s: String = text.chars().skip(l.start).take(l.end - l.start).collect();
        assert_eq!(s, "\"Read\"");
        assert!(
            l.start
                > text
                    .find("ListBucket")
                    .map_or(0, |_| text.rfind("\"Sid\"").unwrap_or(0))
        );
        let j = f[0].to_json(text);
        assert_eq!(
            j["locations"][0]["path"],
            serde_json::json!([{"value":"Statement"},{"index":1},{"value":"Sid"}])
        );
        assert_eq!(j["locations"][0]["span"]["start"]["line"], 3);
        let identity = text.replace(r#""Principal":{"AWS":"111122223333"},"#, "");
        assert_eq!(
            codes(&identity, ValidateType::Identity),
            ["UNIQUE_SIDS_REQUIRED"]
        );
        // Near miss: distinct Sids.
        assert!(
            codes(
                &text.replacen("\"Read\"", "\"ReadObjects\"", 1),
                ValidateType::Resource
            )
            .is_empty()
        );
    }
}
