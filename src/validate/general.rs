//! General warnings on the document as written:
//! - `MISSING_VERSION`: a policy without `Version` is read with the 2008-10-17 language,
//!   where policy variables are literal text;
//! - `UNIQUE_SIDS_RECOMMENDED`: a repeated `Sid` where the policy type accepts one
//!   (resource policies; identity policies refuse it, `UNIQUE_SIDS_REQUIRED`, and so do
//!   role trust policies); `UNSUPPORTED_SID` (ERROR): a Sid of an identity or role trust
//!   policy with other characters than letters and digits;
//! - `MISSING_PAIRED_CONDITION_KEYS` (SECURITY_WARNING): `aws:VpcSourceIp` allowed
//!   without `aws:SourceVpc`;
//! - `VARIABLE_UNSUPPORTED_IN_VERSION`: a `${…}` policy variable in a resource or a
//!   condition value of a policy read with the 2008-10-17 language (that `Version`, or
//!   none), where it is literal text;
//! - `WILDCARD_WITHOUT_LIKE_OPERATOR`: `*` or `?` in a value of a `StringEquals`-family
//!   operator, where it is a literal character, not a wildcard;
//! - the size quotas: `POLICY_SIZE_EXCEEDS_IDENTITY_POLICY_QUOTA` (a warning, over
//!   10,240 characters) and `POLICY_SIZE_EXCEEDS_SCP_QUOTA` (an error, over 5,120),
//!   counted without white space outside strings, as IAM counts policy size; and a
//!   resource policy's quota for its resource type (resource_types.rs);
//! - `POLICY_SIZE_EXCEEDS_VALIDATE_POLICY_MAXIMUM` (ERROR; cfn-policy-validator's code):
//!   a document of 32,768 characters or more, which AWS's ValidatePolicy refuses (the
//!   server answers it with AWS's 400; offline the other checks still run).

use super::location::{Location, PathElement};
use super::{Document, Finding, FindingType, JsonKind, ValidateType, strings};

/// IAM's identity policy size the warning is about, and the SCP quota.
const IDENTITY_QUOTA: usize = 10_240;
const SCP_QUOTA: usize = 5_120;
/// The largest document the ValidatePolicy API takes, in characters without white space
/// (awslabs' cfn-policy-validator: "the character maximum for the ValidatePolicy API").
pub const REQUEST_MAXIMUM: usize = 32_768;

/// Why AWS's ValidatePolicy would refuse `text` (too long), if it would.
pub fn over_request_maximum(text: &str) -> Option<String> {
    let size = policy_size(text);
    (size >= REQUEST_MAXIMUM).then(|| {
        format!(
            "The policy is {size} characters long without white space; the ValidatePolicy API takes fewer than {REQUEST_MAXIMUM}. Split it into several policies."
        )
    })
}

pub(super) fn findings(
    doc: &Document,
    ty: ValidateType,
    resource: Option<super::ResourceType>,
) -> Vec<Finding> {
    let mut out = Vec::new();
    if matches!(doc.root.kind, JsonKind::Object(_)) && doc.member("Version").is_none() {
        out.push(Finding::new(
            FindingType::Warning,
            "MISSING_VERSION",
            "The policy has no `Version`, so it is read with the 2008-10-17 policy language, in which `${...}` policy variables are literal text. Add `\"Version\": \"2012-10-17\"`.".into(),
            vec![Location::document(doc.text)],
        ));
    }
    let size = policy_size(doc.text);
    let quota = match ty {
        ValidateType::Identity => Some((
            IDENTITY_QUOTA,
            FindingType::Warning,
            "POLICY_SIZE_EXCEEDS_IDENTITY_POLICY_QUOTA",
        )),
        ValidateType::ServiceControl => Some((
            SCP_QUOTA,
            FindingType::Error,
            "POLICY_SIZE_EXCEEDS_SCP_QUOTA",
        )),
        ValidateType::Resource => resource
            .and_then(|rt| rt.quota())
            .map(|(limit, code)| (limit, FindingType::Warning, code)),
        _ => None,
    };
    if let Some((limit, finding_type, code)) = quota
        && size > limit
    {
        out.push(Finding::new(
            finding_type,
            code,
            format!(
                "The policy is {size} characters long without white space, over the quota of {limit}; split it into several policies or use wildcards."
            ),
            vec![Location::document(doc.text)],
        ));
    }
    // AWS refuses the request; offline the checks still run, and the refusal is an
    // error finding (cfn-policy-validator's code for it).
    if let Some(why) = over_request_maximum(doc.text) {
        let mut f = Finding::new(
            FindingType::Error,
            "POLICY_SIZE_EXCEEDS_VALIDATE_POLICY_MAXIMUM",
            why,
            vec![Location::document(doc.text)],
        );
        f.link = Some(
            "https://docs.aws.amazon.com/access-analyzer/latest/APIReference/API_ValidatePolicy.html"
                .into(),
        );
        out.push(f);
    }
    out.extend(wildcards_without_like(doc));
    out.extend(variables_in_old_version(doc));
    // IAM's own policies (identity policies and role trust policies) take only letters
    // and digits in a Sid, and unique Sids (IAM: "the Sid value must be unique within a
    // JSON policy"); the parser refuses repeats in identity policies already.
    let iam = ty == ValidateType::Identity || resource == Some(super::ResourceType::RoleTrust);
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
        let at = || vec![Location::of(doc.text, doc.path(&s, "Sid"), sid)];
        if iam && !text.chars().all(|c| c.is_ascii_alphanumeric()) {
            out.push(Finding::new(
                FindingType::Error,
                "UNSUPPORTED_SID",
                format!(
                    "The Sid `{text}` has characters IAM does not take in a Sid; use only letters and digits."
                ),
                at(),
            ));
        }
        if ty != ValidateType::Resource {
            continue;
        }
        match seen.iter().find(|(t, _)| t == text) {
            Some((_, first)) => out.push(if iam {
                Finding::new(
                    FindingType::Error,
                    "UNIQUE_SIDS_REQUIRED",
                    format!(
                        "The Sid `{text}` is also the Sid of statement {first}; a role trust policy needs a different Sid for each statement."
                    ),
                    at(),
                )
            } else {
                Finding::new(
                    FindingType::Warning,
                    "UNIQUE_SIDS_RECOMMENDED",
                    format!(
                        "The Sid `{text}` is also the Sid of statement {first}; give each statement its own Sid so that findings and reviews can name it."
                    ),
                    at(),
                )
            }),
            None => seen.push((text.clone(), s.index.unwrap_or(0))),
        }
    }
    out.extend(paired_keys(doc));
    out
}

/// `MISSING_PAIRED_CONDITION_KEYS` (SECURITY_WARNING): an Allow statement that tests
/// `aws:VpcSourceIp` without `aws:SourceVpc`. AWS: the address alone "compares the IP
/// address from which a request was made", in any VPC; paired with the VPC it names
/// one network. (The reference's one documented pair.)
fn paired_keys(doc: &Document) -> Vec<Finding> {
    let keys = doc.condition_keys();
    keys.iter()
        .filter(|ck| ck.key.name.eq_ignore_ascii_case("aws:VpcSourceIp"))
        .filter(|ck| {
            matches!(super::member(ck.statement.node, "Effect").map(|e| &e.kind), Some(JsonKind::String(e)) if e == "Allow")
        })
        .filter(|ck| {
            !keys.iter().any(|o| {
                std::ptr::eq(o.statement.node, ck.statement.node)
                    && o.key.name.eq_ignore_ascii_case("aws:SourceVpc")
            })
        })
        .map(|ck| {
            Finding::new(
                FindingType::SecurityWarning,
                "MISSING_PAIRED_CONDITION_KEYS",
                format!(
                    "`{}` matches the address in any VPC; add `aws:SourceVpc` to the same condition so that it names one network.",
                    ck.key.name
                ),
                vec![ck.key_location(doc)],
            )
        })
        .collect()
}

/// A policy's size as IAM counts it: characters, without white space outside strings.
fn policy_size(text: &str) -> usize {
    let mut in_string = false;
    let mut escaped = false;
    let mut n = 0;
    for c in text.chars() {
        if in_string {
            n += 1;
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
        } else if !c.is_whitespace() {
            n += 1;
            in_string = c == '"';
        }
    }
    n
}

/// `WILDCARD_WITHOUT_LIKE_OPERATOR` for every `StringEquals`-family value with `*` or
/// `?` outside a `${...}` variable (where `${*}` and `${?}` write the characters).
fn wildcards_without_like(doc: &Document) -> Vec<Finding> {
    let mut out = Vec::new();
    for ck in doc.condition_keys() {
        if !matches!(
            ck.base,
            "StringEquals"
                | "StringNotEquals"
                | "StringEqualsIgnoreCase"
                | "StringNotEqualsIgnoreCase"
        ) {
            continue;
        }
        for (i, node, v) in strings(&ck.key.value) {
            if !has_wildcard(v) {
                continue;
            }
            let mut path = ck.path(doc, false);
            if let Some(i) = i {
                path.push(PathElement::Index(i));
            }
            let like = ck
                .operator
                .replace("Equals", "Like")
                .replace("IgnoreCase", "");
            out.push(Finding::new(
                FindingType::Warning,
                "WILDCARD_WITHOUT_LIKE_OPERATOR",
                format!(
                    "`{v}` of `{}` is compared with `{}`, where `*` and `?` are literal characters; use `{like}` to match a pattern.",
                    ck.key.name, ck.operator
                ),
                vec![Location::of(doc.text, path, node)],
            ));
        }
    }
    out
}

/// `VARIABLE_UNSUPPORTED_IN_VERSION` for each resource or condition value with `${` in
/// a policy without `"Version": "2012-10-17"`.
fn variables_in_old_version(doc: &Document) -> Vec<Finding> {
    let version = doc.member("Version").and_then(|v| match &v.kind {
        JsonKind::String(s) => Some(s.as_str()),
        _ => None,
    });
    if !matches!(doc.root.kind, JsonKind::Object(_))
        || !matches!(version, None | Some("2008-10-17"))
    {
        return Vec::new();
    }
    let mut out = Vec::new();
    let mut flag = |path: Vec<PathElement>, node: &super::Json, v: &str| {
        out.push(Finding::new(
            FindingType::Error,
            "VARIABLE_UNSUPPORTED_IN_VERSION",
            format!(
                "`{v}` uses a policy variable, which the 2008-10-17 policy language reads as literal text; add `\"Version\": \"2012-10-17\"`."
            ),
            vec![Location::of(doc.text, path, node)],
        ));
    };
    for s in doc.statements() {
        for name in ["Resource", "NotResource"] {
            let Some(r) = super::member(s.node, name) else {
                continue;
            };
            for (i, node, v) in strings(r) {
                if v.contains("${") {
                    let mut path = doc.path(&s, name);
                    if let Some(i) = i {
                        path.push(PathElement::Index(i));
                    }
                    flag(path, node, v);
                }
            }
        }
    }
    for ck in doc.condition_keys() {
        for (i, node, v) in strings(&ck.key.value) {
            if v.contains("${") {
                let mut path = ck.path(doc, false);
                if let Some(i) = i {
                    path.push(PathElement::Index(i));
                }
                flag(path, node, v);
            }
        }
    }
    out
}

/// Whether `v` has `*` or `?` outside `${...}` variables.
fn has_wildcard(v: &str) -> bool {
    let mut rest = v;
    loop {
        match (rest.find("${"), rest.find(['*', '?'])) {
            (_, None) => return false,
            (Some(open), Some(w)) if open < w => match rest[open..].find('}') {
                Some(close) => rest = &rest[open + close + 1..],
                None => return true,
            },
            (_, Some(_)) => return true,
        }
    }
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
    fn a_wildcard_in_an_equals_operator_is_a_warning_at_the_value() {
        let text = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalTag/team":["ops","dev*"]}}}]}"#;
        let f = validate(text, ValidateType::Identity);
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].issue_code, "WILDCARD_WITHOUT_LIKE_OPERATOR");
        let l = &f[0].locations[0];
        assert_eq!(&text[l.start..l.end], "\"dev*\"");
        assert!(f[0].details.contains("StringLike"), "{}", f[0].details);
        // Near misses: a Like operator; `${*}` writes a literal star.
        assert!(
            codes(
                &text.replace("StringEquals", "StringLike"),
                ValidateType::Identity
            )
            .is_empty()
        );
        assert!(codes(&text.replace("dev*", "dev${*}"), ValidateType::Identity).is_empty());
    }

    #[test]
    fn sizes_over_the_quotas() {
        // Distinct statements (repeats would be REDUNDANT_STATEMENT).
        let statement = |i: usize| {
            format!(
                r#"{{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::a-bucket-with-a-long-name/prefix-{i:04}/*"}}"#
            )
        };
        let doc = |n: usize| {
            format!(
                r#"{{"Version":"2012-10-17","Statement":[{}]}}"#,
                (0..n).map(statement).collect::<Vec<_>>().join(",\n  ")
            )
        };
        let small = doc(20);
        assert!(codes(&small, ValidateType::Identity).is_empty());
        let big = doc(120);
        assert!(super::policy_size(&big) > 10_240 && big.len() > super::policy_size(&big));
        let f = validate(&big, ValidateType::Identity);
        let size: Vec<&str> = f
            .iter()
            .map(|f| f.issue_code.as_str())
            .filter(|c| c.starts_with("POLICY_SIZE"))
            .collect();
        assert_eq!(size, ["POLICY_SIZE_EXCEEDS_IDENTITY_POLICY_QUOTA"]);
        let scp = validate(&doc(60), ValidateType::ServiceControl);
        assert!(
            scp.iter()
                .any(|f| f.issue_code == "POLICY_SIZE_EXCEEDS_SCP_QUOTA"
                    && f.finding_type.name() == "ERROR"),
            "{scp:?}"
        );
        // White space outside strings does not count.
        assert_eq!(super::policy_size("{ \"a b\" :\n 1 }"), 9);
    }

    #[test]
    fn variables_need_the_2012_version() {
        let text = r#"{"Version":"2008-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/${aws:username}/*"}]}"#;
        let f = validate(text, ValidateType::Identity);
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].issue_code, "VARIABLE_UNSUPPORTED_IN_VERSION");
        let l = &f[0].locations[0];
        assert_eq!(
            &text[l.start..l.end],
            "\"arn:aws:s3:::b/${aws:username}/*\""
        );
        // No Version is the 2008 language too (with its own warning).
        let none = text.replace(r#""Version":"2008-10-17","#, "");
        assert_eq!(
            codes(&none, ValidateType::Identity),
            ["MISSING_VERSION", "VARIABLE_UNSUPPORTED_IN_VERSION"]
        );
        // Near miss: the 2012 language.
        assert!(
            codes(
                &text.replace("2008-10-17", "2012-10-17"),
                ValidateType::Identity
            )
            .is_empty()
        );
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

    #[test]
    fn sids_of_iam_policies_and_paired_keys() {
        let one = |sid: &str| {
            format!(
                r#"{{"Version":"2012-10-17","Statement":[{{"Sid":"{sid}","Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}]}}"#
            )
        };
        assert_eq!(
            codes(&one("Read objects"), ValidateType::Identity),
            ["UNSUPPORTED_SID"]
        );
        // Near misses: letters and digits; a resource policy's Sid (S3 takes spaces).
        assert!(codes(&one("ReadObjects2"), ValidateType::Identity).is_empty());
        let bucket = r#"{"Version":"2012-10-17","Statement":[{"Sid":"Read objects","Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}"#;
        assert!(codes(bucket, ValidateType::Resource).is_empty());
        // A trust policy takes IAM's rules: the Sid's characters, and unique Sids.
        let trust = r#"{"Version":"2012-10-17","Statement":[{"Sid":"a-b","Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"},{"Sid":"a-b","Effect":"Allow","Principal":{"Service":"ecs.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
        let found: Vec<String> = super::super::validate_for(
            trust,
            ValidateType::Resource,
            Some(super::super::ResourceType::RoleTrust),
        )
        .into_iter()
        .map(|f| f.issue_code)
        .collect();
        assert_eq!(
            found,
            ["UNSUPPORTED_SID", "UNSUPPORTED_SID", "UNIQUE_SIDS_REQUIRED"]
        );
        assert_eq!(
            codes(trust, ValidateType::Resource),
            ["UNIQUE_SIDS_RECOMMENDED"]
        );

        let vpc = |condition: &str, effect: &str| {
            format!(
                r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"{effect}","Action":"s3:GetObject","Resource":"*","Condition":{condition}}}]}}"#
            )
        };
        let lone = r#"{"IpAddress":{"aws:VpcSourceIp":"10.0.0.0/16"}}"#;
        assert_eq!(
            codes(&vpc(lone, "Allow"), ValidateType::Identity),
            ["MISSING_PAIRED_CONDITION_KEYS"]
        );
        // Near misses: paired (under another operator too); a Deny.
        let paired = r#"{"IpAddress":{"aws:VpcSourceIp":"10.0.0.0/16"},"StringEquals":{"aws:SourceVpc":"vpc-1a2b3c4d"}}"#;
        assert!(codes(&vpc(paired, "Allow"), ValidateType::Identity).is_empty());
        assert!(codes(&vpc(lone, "Deny"), ValidateType::Identity).is_empty());
    }

    #[test]
    fn documents_over_the_request_maximum() {
        let statements: Vec<String> = (0..400)
            .map(|i| {
                format!(
                    r#"{{"Sid":"S{i}","Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::a-bucket-with-a-long-name/prefix-{i:04}/*"}}"#
                )
            })
            .collect();
        let big = format!(
            r#"{{"Version":"2012-10-17","Statement":[{}]}}"#,
            statements.join(",")
        );
        assert!(super::policy_size(&big) >= super::REQUEST_MAXIMUM);
        let codes = codes(&big, ValidateType::Identity);
        assert_eq!(
            codes,
            [
                "POLICY_SIZE_EXCEEDS_IDENTITY_POLICY_QUOTA",
                "POLICY_SIZE_EXCEEDS_VALIDATE_POLICY_MAXIMUM"
            ]
        );
        // Near miss: under the maximum.
        assert!(super::over_request_maximum(&statements[..100].join(",")).is_none());
    }
}
