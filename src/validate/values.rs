//! Condition values against what their key holds:
//!
//! - `aws:SourceIp` is the public address a request came from; AWS: "aws:SourceIp works
//!   only for public IP address ranges". Under `IpAddress`, only private ranges is
//!   `PRIVATE_IP_ADDRESS` (ERROR: the condition never matches), a mix is
//!   `PRIVATE_IP_ADDRESS_SUBSET` (SUGGESTION); under `NotIpAddress` the same are
//!   `PRIVATE_NOT_IP_ADDRESS` (ERROR: it always matches) and
//!   `PRIVATE_NOT_IP_ADDRESS_SUBSET`. Private is RFC 1918 (`10/8`, `172.16/12`,
//!   `192.168/16`) and IPv6 unique local addresses (`fc00::/7`).
//! - `IMPROVE_IP_RANGE` (SUGGESTION): a CIDR block with bits set after its mask, which
//!   AWS ignores (`203.0.113.7/24` is `203.0.113.0/24`).
//! - `INVALID_VPC_FORMAT` / `INVALID_VPCE_FORMAT` (ERROR): an `aws:SourceVpc` value that
//!   is not a VPC id (`vpc-` and 8 or 17 hexadecimal digits), an `aws:SourceVpce` value
//!   that is not an endpoint id (`vpce-` and the same), compared as text (a pattern or a
//!   policy variable is not judged).
//! - `INVALID_REGION` (ERROR): an `aws:RequestedRegion` value that is no region of any
//!   partition (botocore's table, src/regions), compared as text;
//! - `REDUNDANT_CONDITION_VALUE_NUM` (SUGGESTION): several values under a numeric
//!   bound (`NumericLessThan` ...), where the widest one alone says the same.
//!
//! Whole-key findings are located at the key's value, one-value findings at the value.

use ipnet::IpNet;

use super::location::{Location, PathElement};
use super::{ConditionKey, Document, Finding, FindingType, strings};

pub(super) fn findings(doc: &Document) -> Vec<Finding> {
    let mut out = Vec::new();
    for ck in doc.condition_keys() {
        let key = ck.key.name.to_ascii_lowercase();
        match (key.as_str(), ck.base) {
            ("aws:sourceip", "IpAddress" | "NotIpAddress") => out.extend(source_ip(doc, &ck)),
            (_, "IpAddress" | "NotIpAddress") => {}
            ("aws:sourcevpc", base) if base.starts_with("String") => {
                out.extend(ids(doc, &ck, "vpc-", "INVALID_VPC_FORMAT", "a VPC"))
            }
            ("aws:requestedregion", base) if base.starts_with("String") => {
                out.extend(regions(doc, &ck))
            }
            ("aws:sourcevpce", base) if base.starts_with("String") => out.extend(ids(
                doc,
                &ck,
                "vpce-",
                "INVALID_VPCE_FORMAT",
                "a VPC endpoint",
            )),
            _ => {}
        }
        if matches!(ck.base, "IpAddress" | "NotIpAddress") {
            out.extend(host_bits(doc, &ck));
        }
        out.extend(numeric_bounds(doc, &ck));
    }
    out
}

/// The location of one value of a key: the item of its list, or the value itself.
fn value_at(
    doc: &Document,
    ck: &ConditionKey,
    index: Option<usize>,
    node: &crate::json::Json,
) -> Location {
    let mut path = ck.path(doc, false);
    if let Some(i) = index {
        path.push(PathElement::Index(i));
    }
    Location::of(doc.text, path, node)
}

/// An address or CIDR block as IAM reads it (a bare address is one host).
fn network(value: &str) -> Option<IpNet> {
    value
        .parse::<IpNet>()
        .ok()
        .or_else(|| value.parse::<std::net::IpAddr>().ok().map(IpNet::from))
}

fn is_private(net: &IpNet) -> bool {
    const PRIVATE: [&str; 4] = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"];
    PRIVATE
        .iter()
        .filter_map(|p| p.parse::<IpNet>().ok())
        .any(|p| p.contains(net))
}

fn source_ip(doc: &Document, ck: &ConditionKey) -> Option<Finding> {
    let nets: Vec<IpNet> = strings(&ck.key.value)
        .into_iter()
        .filter_map(|(_, _, v)| network(v))
        .collect();
    let private = nets.iter().filter(|n| is_private(n)).count();
    if private == 0 {
        return None;
    }
    let not = ck.base == "NotIpAddress";
    let (finding_type, code, what) = match (private == nets.len(), not) {
        (true, false) => (
            FindingType::Error,
            "PRIVATE_IP_ADDRESS",
            "lists only private addresses, so the condition never matches",
        ),
        (true, true) => (
            FindingType::Error,
            "PRIVATE_NOT_IP_ADDRESS",
            "lists only private addresses, so the condition always matches",
        ),
        (false, false) => (
            FindingType::Suggestion,
            "PRIVATE_IP_ADDRESS_SUBSET",
            "mixes private and public addresses; the private ones never match",
        ),
        (false, true) => (
            FindingType::Suggestion,
            "PRIVATE_NOT_IP_ADDRESS_SUBSET",
            "mixes private and public addresses; the private ones exclude nothing",
        ),
    };
    Some(Finding::new(
        finding_type,
        code,
        format!(
            "`{}` on `{}` {what}: a request's `aws:SourceIp` is its public address. To name addresses inside a VPC, use `aws:VpcSourceIp`.",
            ck.operator, ck.key.name
        ),
        vec![ck.value_location(doc)],
    ))
}

fn host_bits(doc: &Document, ck: &ConditionKey) -> Vec<Finding> {
    strings(&ck.key.value)
        .into_iter()
        .filter_map(|(i, node, v)| {
            let net = v.parse::<IpNet>().ok()?;
            (net.trunc() != net).then(|| {
                Finding::new(
                    FindingType::Suggestion,
                    "IMPROVE_IP_RANGE",
                    format!(
                        "`{v}` has bits set after its mask, which AWS ignores; write `{}`.",
                        net.trunc()
                    ),
                    vec![value_at(doc, ck, i, node)],
                )
            })
        })
        .collect()
}

fn ids(doc: &Document, ck: &ConditionKey, prefix: &str, code: &str, what: &str) -> Vec<Finding> {
    let well_formed = |v: &str| {
        v.strip_prefix(prefix).is_some_and(|hex| {
            matches!(hex.len(), 8 | 17) && hex.chars().all(|c| c.is_ascii_hexdigit())
        })
    };
    strings(&ck.key.value)
        .into_iter()
        .filter(|(_, _, v)| !v.contains(['*', '?']) && !v.contains("${"))
        .filter(|(_, _, v)| !well_formed(v))
        .map(|(i, node, v)| {
            Finding::new(
                FindingType::Error,
                code,
                format!(
                    "`{v}` is not {what} id, so `{}` never equals it: ids are `{prefix}` and 8 or 17 hexadecimal digits.",
                    ck.key.name
                ),
                vec![value_at(doc, ck, i, node)],
            )
        })
        .collect()
}

fn regions(doc: &Document, ck: &ConditionKey) -> Vec<Finding> {
    strings(&ck.key.value)
        .into_iter()
        .filter(|(_, _, v)| !v.contains(['*', '?']) && !v.contains("${"))
        .filter(|(_, _, v)| !crate::regions::is_region(None, v))
        .map(|(i, node, v)| {
            Finding::new(
                FindingType::Error,
                "INVALID_REGION",
                format!(
                    "`{v}` is not an AWS region (per {}), so no request names it; use a region code such as `us-east-1`.",
                    crate::regions::source()
                ),
                vec![value_at(doc, ck, i, node)],
            )
        })
        .collect()
}

fn numeric_bounds(doc: &Document, ck: &ConditionKey) -> Option<Finding> {
    let upper = match ck.base {
        "NumericLessThan" | "NumericLessThanEquals" => true,
        "NumericGreaterThan" | "NumericGreaterThanEquals" => false,
        _ => return None,
    };
    let values: Vec<(f64, &str)> = strings(&ck.key.value)
        .into_iter()
        .filter_map(|(_, _, v)| Some((v.parse::<f64>().ok()?, v)))
        .collect();
    if values.len() < 2 {
        return None;
    }
    let widest = values
        .iter()
        .copied()
        .reduce(|a, b| if (b.0 > a.0) == upper { b } else { a })?;
    Some(Finding::new(
        FindingType::Suggestion,
        "REDUNDANT_CONDITION_VALUE_NUM",
        format!(
            "`{}` on `{}` matches when any one value does, so the {} `{}` alone says the same; keep only it.",
            ck.operator,
            ck.key.name,
            if upper { "greatest" } else { "least" },
            widest.1
        ),
        vec![ck.value_location(doc)],
    ))
}

#[cfg(test)]
mod tests {
    use super::super::{ValidateType, validate};

    use super::super::test_support::under_condition as found;

    #[test]
    fn values_against_their_keys() {
        for (condition, code, at) in [
            (
                r#"{"IpAddress":{"aws:SourceIp":["10.0.0.0/8","192.168.1.0/24"]}}"#,
                "PRIVATE_IP_ADDRESS",
                r#"["10.0.0.0/8","192.168.1.0/24"]"#,
            ),
            (
                r#"{"NotIpAddress":{"aws:SourceIp":"172.16.0.0/16"}}"#,
                "PRIVATE_NOT_IP_ADDRESS",
                r#""172.16.0.0/16""#,
            ),
            (
                r#"{"IpAddress":{"aws:SourceIp":["10.0.0.0/8","203.0.113.0/24"]}}"#,
                "PRIVATE_IP_ADDRESS_SUBSET",
                r#"["10.0.0.0/8","203.0.113.0/24"]"#,
            ),
            (
                r#"{"NotIpAddress":{"aws:SourceIp":["fd00::/8","2001:db8::/32"]}}"#,
                "PRIVATE_NOT_IP_ADDRESS_SUBSET",
                r#"["fd00::/8","2001:db8::/32"]"#,
            ),
            (
                r#"{"IpAddress":{"aws:SourceIp":["198.51.100.0/24","203.0.113.7/24"]}}"#,
                "IMPROVE_IP_RANGE",
                r#""203.0.113.7/24""#,
            ),
            (
                r#"{"StringEquals":{"aws:SourceVpc":["vpc-1a2b3c4d","vpc-main"]}}"#,
                "INVALID_VPC_FORMAT",
                r#""vpc-main""#,
            ),
            (
                r#"{"StringNotEquals":{"aws:SourceVpce":"vpc-1a2b3c4d"}}"#,
                "INVALID_VPCE_FORMAT",
                r#""vpc-1a2b3c4d""#,
            ),
            (
                r#"{"StringEquals":{"aws:RequestedRegion":["eu-west-1","eu-west"]}}"#,
                "INVALID_REGION",
                r#""eu-west""#,
            ),
            (
                r#"{"NumericLessThan":{"aws:MultiFactorAuthAge":["2700","3600"]}}"#,
                "REDUNDANT_CONDITION_VALUE_NUM",
                r#"["2700","3600"]"#,
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
        let text = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"NumericGreaterThan":{"s3:max-keys":["10","5"]}}}]}"#;
        assert!(
            validate(text, ValidateType::Identity)[0]
                .details
                .contains("least `5`")
        );
        // Near misses: public ranges, private ranges of aws:VpcSourceIp, masked
        // blocks, well-formed ids, patterns and variables, one numeric bound, two
        // values of an equality.
        for condition in [
            r#"{"IpAddress":{"aws:SourceIp":["203.0.113.0/24","2001:db8::/32"]}}"#,
            r#"{"IpAddress":{"aws:VpcSourceIp":"10.0.0.0/8"},"StringEquals":{"aws:SourceVpc":"vpc-1a2b3c4d"}}"#,
            r#"{"NotIpAddress":{"aws:SourceIp":"0.0.0.0/0"}}"#,
            r#"{"IpAddress":{"aws:SourceIp":"203.0.113.7"}}"#,
            r#"{"StringEquals":{"aws:SourceVpc":["vpc-1a2b3c4d","vpc-0123456789abcdef0"]}}"#,
            r#"{"StringLike":{"aws:SourceVpc":"vpc-*"}}"#,
            r#"{"StringEquals":{"aws:SourceVpce":"${aws:SourceVpce}"}}"#,
            r#"{"NumericLessThan":{"aws:MultiFactorAuthAge":"3600"}}"#,
            r#"{"StringLike":{"aws:RequestedRegion":"eu-*"}}"#,
            r#"{"StringNotEquals":{"aws:RequestedRegion":["us-gov-west-1","cn-north-1"]}}"#,
            r#"{"NumericEquals":{"s3:max-keys":["10","20"]}}"#,
        ] {
            assert!(
                found(condition).is_empty(),
                "{condition}: {:?}",
                found(condition)
            );
        }
    }
}
