//! Resource ARNs as written (`Resource` / `NotResource`):
//!
//! - `INVALID_ARN_PREFIX`: neither `*` nor an ARN (the parser's error, as AWS names it);
//! - `MISSING_ARN_FIELD`: fewer than the six fields of
//!   `arn:partition:service:region:account:resource`;
//! - `INVALID_ARN_SERVICE_CASE`: a service field with upper-case letters;
//! - `INVALID_ARN_ACCOUNT`: an account field that is not 12 digits (nor `aws`, a
//!   wildcard or a policy variable);
//! - `INVALID_PARTITION`: a partition that is not one of AWS's (`aws`, `aws-cn`,
//!   `aws-us-gov`, ..., from botocore's partitions table, src/regions);
//! - `ARN_REGION_NOT_ALLOWED` / `ARN_ACCOUNT_NOT_ALLOWED`: a region (an account) in an
//!   ARN none of whose possible resource types has one in the action data (the
//!   service's types whose resource part, `${…}` as a wildcard, matches:
//!   `arn:aws:s3:us-east-1::b` can only be a bucket), naming the data version;
//! - `MISSING_ARN_REGION`: no region where every possible resource type has one;
//! - `INVALID_ARN_REGION`: a region that is not one of the partition's;
//! - `INVALID_ARN_RESOURCE`: a literal resource part whose type (`instances` of
//!   `instances/i-1`) is none of the service's resource types (services the action
//!   data lists); a known type with an odd name is not judged.
//!
//! Each is an error at the resource string. Fields with wildcards or `${…}` variables
//! are not judged.

use super::location::{Location, PathElement};
use super::{Document, Finding, FindingType, strings};

pub(super) fn findings(doc: &Document) -> Vec<Finding> {
    let mut out = Vec::new();
    for s in doc.statements() {
        for name in ["Resource", "NotResource"] {
            let Some(resources) = super::member(s.node, name) else {
                continue;
            };
            for (i, node, r) in strings(resources) {
                let Some(problem) = problem(r) else {
                    continue;
                };
                let mut path = doc.path(&s, name);
                if let Some(i) = i {
                    path.push(PathElement::Index(i));
                }
                out.push(Finding::new(
                    FindingType::Error,
                    problem.0,
                    problem.1,
                    vec![Location::of(doc.text, path, node)],
                ));
            }
        }
    }
    out
}

/// Whether a field is judged: no wildcard, no variable.
fn literal(field: &str) -> bool {
    !field.contains(['*', '?']) && !field.contains("${")
}

/// What is wrong with resource `r`, if anything: (code, details).
fn problem(r: &str) -> Option<(&'static str, String)> {
    if r == "*" || !r.starts_with("arn:") {
        // Not an ARN: the grammar reports it (INVALID_ARN_PREFIX).
        return None;
    }
    let fields: Vec<&str> = r.splitn(6, ':').collect();
    let [_, partition, service, region, account, resource_part] = fields.as_slice() else {
        return Some((
            "MISSING_ARN_FIELD",
            format!(
                "`{r}` has {} of the six fields of `arn:partition:service:region:account:resource`; add the missing ones (an empty field is `::`)",
                fields.len()
            ),
        ));
    };
    if literal(service) && service.chars().any(|c| c.is_ascii_uppercase()) {
        return Some((
            "INVALID_ARN_SERVICE_CASE",
            format!(
                "the service `{service}` of `{r}` has upper-case letters; service prefixes are lower case: `{}`",
                service.to_ascii_lowercase()
            ),
        ));
    }
    if literal(account)
        && !account.is_empty()
        && *account != "aws"
        && !(account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit()))
    {
        return Some((
            "INVALID_ARN_ACCOUNT",
            format!("the account `{account}` of `{r}` is not a 12-digit account id"),
        ));
    }
    if literal(partition) && !crate::regions::is_partition(partition) {
        return Some((
            "INVALID_PARTITION",
            format!(
                "`{partition}` in `{r}` is not an AWS partition; use `aws` (or `aws-cn`, `aws-us-gov`, ... per {})",
                crate::regions::source()
            ),
        ));
    }
    // The service's resource types whose resource part matches this one's
    // (`${Name}` as a wildcard): the region and account rules are theirs.
    let all = crate::actions::service_arn_formats(service);
    let resource = resource_part.to_ascii_lowercase();
    let formats: Vec<&str> = all
        .iter()
        .copied()
        .filter(|f| {
            let Some(part) = f.splitn(6, ':').nth(5) else {
                return false;
            };
            let mut pattern = String::new();
            let mut rest = part;
            while let Some(open) = rest.find("${") {
                pattern.push_str(&rest[..open]);
                pattern.push('*');
                rest = rest[open..]
                    .find('}')
                    .map_or("", |close| &rest[open + close + 1..]);
            }
            pattern.push_str(rest);
            !literal(resource_part) || crate::pattern::Glob::action(&pattern).matches(&resource)
        })
        .collect();
    if !literal(service) || all.is_empty() {
        return None;
    }
    let data = crate::actions::source();
    // The resource part's type: its text up to the first `/` or `:` (with a leading
    // `/`, up to the second). Only a type no resource type of the service has is
    // judged: a name that does not fit the rest of a format is left alone.
    let type_of = |part: &str| -> String {
        let body = part.strip_prefix('/').unwrap_or(part);
        let end = body.find(['/', ':']).unwrap_or(body.len());
        let lead = if part.starts_with('/') { "/" } else { "" };
        format!("{lead}{}", &body[..end]).to_ascii_lowercase()
    };
    let ty = type_of(resource_part);
    let typed = resource_part.contains(['/', ':']) && literal(&ty);
    let known_type = all.iter().any(|f| {
        f.splitn(6, ':').nth(5).is_some_and(|part| {
            let t = type_of(part);
            t.contains("${") || t == ty
        })
    });
    if formats.is_empty() && typed && !known_type {
        return Some((
            "INVALID_ARN_RESOURCE",
            format!(
                "`{resource_part}` in `{r}` matches none of the resource types of `{service}` (per {data}), e.g. `{}`; fix the resource part",
                all[0]
            ),
        ));
    }
    if formats.is_empty() {
        return None;
    }
    let field_of = |f: &str, n: usize| f.split(':').nth(n).map(str::to_string);
    let none_has = |n: usize| {
        formats
            .iter()
            .all(|f| field_of(f, n).is_some_and(|x| x.is_empty()))
    };
    if literal(region) && !region.is_empty() && none_has(3) {
        return Some((
            "ARN_REGION_NOT_ALLOWED",
            format!(
                "`{service}` resource ARNs have no region (`{}`, per {data}); remove `{region}` from `{r}`",
                formats[0]
            ),
        ));
    }
    let all_have = |n: usize| {
        formats
            .iter()
            .all(|f| field_of(f, n).is_some_and(|x| !x.is_empty()))
    };
    if region.is_empty() && all_have(3) {
        return Some((
            "MISSING_ARN_REGION",
            format!(
                "`{r}` has no region, and `{service}` resource ARNs have one (`{}`, per {data}); add the region, or `*`",
                formats[0]
            ),
        ));
    }
    let known_partition = literal(partition).then_some(*partition);
    if literal(region) && !region.is_empty() && !crate::regions::is_region(known_partition, region)
    {
        return Some((
            "INVALID_ARN_REGION",
            format!(
                "`{region}` in `{r}` is not a region{} (per {}); use one such as `{}`",
                known_partition
                    .map(|p| format!(" of `{p}`"))
                    .unwrap_or_default(),
                crate::regions::source(),
                crate::regions::regions(known_partition)
                    .first()
                    .copied()
                    .unwrap_or("us-east-1")
            ),
        ));
    }
    if literal(account) && !account.is_empty() && none_has(4) {
        return Some((
            "ARN_ACCOUNT_NOT_ALLOWED",
            format!(
                "`{service}` resource ARNs have no account (`{}`, per {data}); remove `{account}` from `{r}`",
                formats[0]
            ),
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::super::{ValidateType, validate};

    fn codes(resource: &str) -> Vec<String> {
        let text = format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"s3:GetObject","Resource":["arn:aws:s3:::ok/*","{resource}"]}}]}}"#
        );
        validate(&text, ValidateType::Identity)
            .into_iter()
            .map(|f| {
                let l = &f.locations[0];
                assert_eq!(
                    &text[l.start..l.end],
                    format!("\"{resource}\""),
                    "{}",
                    f.issue_code
                );
                f.issue_code
            })
            .collect()
    }

    #[test]
    fn arn_shapes() {
        for (r, code) in [
            ("s3:::bucket", "INVALID_ARN_PREFIX"),
            ("arn:aws:s3", "MISSING_ARN_FIELD"),
            ("arn:aws:S3:::b", "INVALID_ARN_SERVICE_CASE"),
            ("arn:aws:iam::12345:role/x", "INVALID_ARN_ACCOUNT"),
            ("arn:aws:s3:us-east-1::b", "ARN_REGION_NOT_ALLOWED"),
            ("arn:aws:s3::111122223333:b", "ARN_ACCOUNT_NOT_ALLOWED"),
            (
                "arn:aws:iam:us-east-1:123456789012:role/x",
                "ARN_REGION_NOT_ALLOWED",
            ),
            ("arn:amazon:s3:::b", "INVALID_PARTITION"),
            ("arn:aws:sqs::123456789012:q", "MISSING_ARN_REGION"),
            ("arn:aws:sqs:us-east-7:123456789012:q", "INVALID_ARN_REGION"),
            (
                "arn:aws-cn:sqs:us-east-1:123456789012:q",
                "INVALID_ARN_REGION",
            ),
            (
                "arn:aws:ec2:us-east-1:123456789012:instances/i-1",
                "INVALID_ARN_RESOURCE",
            ),
        ] {
            assert_eq!(codes(r), [code], "{r}");
        }
        // Near misses: well-formed ARNs, wildcards and variables, AWS's own account.
        for r in [
            "arn:aws:iam::123456789012:role/x",
            "arn:aws:iam::aws:policy/ReadOnlyAccess",
            "arn:aws:iam::*:role/x",
            "arn:aws:s3:::${aws:username}/*",
            "arn:aws:sqs:us-east-1:123456789012:q",
            "arn:aws:s3:*:*:b",
            "arn:aws-us-gov:sqs:us-gov-west-1:123456789012:q",
            "arn:aws:ec2:us-east-1:123456789012:instance/i-1",
            "arn:aws:ec2:*:123456789012:instance/*",
            "arn:*:sqs:cn-north-1:123456789012:q",
        ] {
            assert!(codes(r).is_empty(), "{r}: {:?}", codes(r));
        }
    }
}
