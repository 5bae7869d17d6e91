//! Condition operators and typed condition values.

use std::fmt;
use std::str::FromStr;

use ipnet::IpNet;
use rust_decimal::Decimal;

use std::sync::Arc;

use crate::pattern::{Syntax, Template};

/// The family of an operator decides how its values are parsed and compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Family {
    String,
    Numeric,
    Date,
    Bool,
    Binary,
    Ip,
    Arn,
    Null,
}

/// Comparison of an ordered family (numbers and dates).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Cmp {
    Eq,
    Lt,
    Le,
    Gt,
    Ge,
}

/// A condition operator without set qualifier and `IfExists`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BaseOp {
    StringEquals,
    StringNotEquals,
    StringEqualsIgnoreCase,
    StringNotEqualsIgnoreCase,
    StringLike,
    StringNotLike,
    Numeric(Cmp),
    NumericNotEquals,
    Date(Cmp),
    DateNotEquals,
    Bool,
    BinaryEquals,
    IpAddress,
    NotIpAddress,
    ArnEquals,
    ArnLike,
    ArnNotEquals,
    ArnNotLike,
    Null,
}

const NAMES: &[(&str, BaseOp)] = &[
    ("StringEquals", BaseOp::StringEquals),
    ("StringNotEquals", BaseOp::StringNotEquals),
    ("StringEqualsIgnoreCase", BaseOp::StringEqualsIgnoreCase),
    (
        "StringNotEqualsIgnoreCase",
        BaseOp::StringNotEqualsIgnoreCase,
    ),
    ("StringLike", BaseOp::StringLike),
    ("StringNotLike", BaseOp::StringNotLike),
    ("NumericEquals", BaseOp::Numeric(Cmp::Eq)),
    ("NumericNotEquals", BaseOp::NumericNotEquals),
    ("NumericLessThan", BaseOp::Numeric(Cmp::Lt)),
    ("NumericLessThanEquals", BaseOp::Numeric(Cmp::Le)),
    ("NumericGreaterThan", BaseOp::Numeric(Cmp::Gt)),
    ("NumericGreaterThanEquals", BaseOp::Numeric(Cmp::Ge)),
    ("DateEquals", BaseOp::Date(Cmp::Eq)),
    ("DateNotEquals", BaseOp::DateNotEquals),
    ("DateLessThan", BaseOp::Date(Cmp::Lt)),
    ("DateLessThanEquals", BaseOp::Date(Cmp::Le)),
    ("DateGreaterThan", BaseOp::Date(Cmp::Gt)),
    ("DateGreaterThanEquals", BaseOp::Date(Cmp::Ge)),
    ("Bool", BaseOp::Bool),
    ("BinaryEquals", BaseOp::BinaryEquals),
    ("IpAddress", BaseOp::IpAddress),
    ("NotIpAddress", BaseOp::NotIpAddress),
    ("ArnEquals", BaseOp::ArnEquals),
    ("ArnLike", BaseOp::ArnLike),
    ("ArnNotEquals", BaseOp::ArnNotEquals),
    ("ArnNotLike", BaseOp::ArnNotLike),
    ("Null", BaseOp::Null),
];

impl BaseOp {
    pub fn name(self) -> &'static str {
        NAMES
            .iter()
            .find(|(_, op)| *op == self)
            .map(|(n, _)| *n)
            .unwrap_or("?")
    }

    pub fn family(self) -> Family {
        use BaseOp::*;
        match self {
            StringEquals
            | StringNotEquals
            | StringEqualsIgnoreCase
            | StringNotEqualsIgnoreCase
            | StringLike
            | StringNotLike => Family::String,
            Numeric(_) | NumericNotEquals => Family::Numeric,
            Date(_) | DateNotEquals => Family::Date,
            Bool => Family::Bool,
            BinaryEquals => Family::Binary,
            IpAddress | NotIpAddress => Family::Ip,
            ArnEquals | ArnLike | ArnNotEquals | ArnNotLike => Family::Arn,
            Null => Family::Null,
        }
    }

    /// Negated operators are true when the request value matches none of the values.
    pub fn is_negated(self) -> bool {
        use BaseOp::*;
        matches!(
            self,
            StringNotEquals
                | StringNotEqualsIgnoreCase
                | StringNotLike
                | NumericNotEquals
                | DateNotEquals
                | NotIpAddress
                | ArnNotEquals
                | ArnNotLike
        )
    }

    /// The positive operator whose per-value test a negated operator negates.
    pub fn positive(self) -> BaseOp {
        use BaseOp::*;
        match self {
            StringNotEquals => StringEquals,
            StringNotEqualsIgnoreCase => StringEqualsIgnoreCase,
            StringNotLike => StringLike,
            NumericNotEquals => Numeric(Cmp::Eq),
            DateNotEquals => Date(Cmp::Eq),
            NotIpAddress => IpAddress,
            ArnNotEquals => ArnEquals,
            ArnNotLike => ArnLike,
            other => other,
        }
    }

    /// How the values of a string-like operator are read.
    pub fn syntax(self) -> Syntax {
        use BaseOp::*;
        match self.positive() {
            StringLike => Syntax::Wildcard,
            ArnEquals | ArnLike => Syntax::Arn,
            _ => Syntax::Literal,
        }
    }

    pub fn ignores_case(self) -> bool {
        matches!(
            self.positive(),
            BaseOp::StringEqualsIgnoreCase | BaseOp::Bool
        )
    }
}

impl FromStr for BaseOp {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        NAMES
            .iter()
            .find(|(n, _)| *n == s)
            .map(|(_, op)| *op)
            .ok_or(())
    }
}

/// Suggests the operator a misspelt name probably meant.
pub fn suggest_operator(name: &str) -> Option<&'static str> {
    let lower = name.to_ascii_lowercase();
    NAMES
        .iter()
        .map(|(n, _)| *n)
        .find(|n| n.to_ascii_lowercase() == lower)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SetQualifier {
    ForAllValues,
    ForAnyValue,
}

/// A full operator as written: `[ForAllValues:|ForAnyValue:]Base[IfExists]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Operator {
    pub qualifier: Option<SetQualifier>,
    pub base: BaseOp,
    pub if_exists: bool,
}

impl fmt::Display for Operator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.qualifier {
            Some(SetQualifier::ForAllValues) => write!(f, "ForAllValues:")?,
            Some(SetQualifier::ForAnyValue) => write!(f, "ForAnyValue:")?,
            None => {}
        }
        write!(f, "{}", self.base.name())?;
        if self.if_exists {
            write!(f, "IfExists")?;
        }
        Ok(())
    }
}

impl Operator {
    /// Parses an operator name; the error is a complete lowercase message with the fix.
    pub fn parse(name: &str) -> Result<Operator, String> {
        let (qualifier, rest) = if let Some(r) = name.strip_prefix("ForAllValues:") {
            (Some(SetQualifier::ForAllValues), r)
        } else if let Some(r) = name.strip_prefix("ForAnyValue:") {
            (Some(SetQualifier::ForAnyValue), r)
        } else if let Some((q, _)) = name.split_once(':') {
            return Err(format!(
                "unknown set qualifier `{q}` in `{name}`; use `ForAllValues:` or `ForAnyValue:`"
            ));
        } else {
            (None, name)
        };
        let (base_name, if_exists) = match rest.strip_suffix("IfExists") {
            Some(b) => (b, true),
            None => (rest, false),
        };
        let base = BaseOp::from_str(base_name).map_err(|()| match suggest_operator(base_name) {
            Some(s) => format!(
                "unknown condition operator `{name}`; operator names are case-sensitive: did you mean `{s}`?"
            ),
            None => format!(
                "unknown condition operator `{name}`; use one of the IAM operators such as `StringEquals`, `ArnLike`, `IpAddress`, `Null`"
            ),
        })?;
        if base == BaseOp::Null && if_exists {
            return Err(
                "`NullIfExists` is not an operator: `Null` already tests whether the key exists; use `Null`"
                    .into(),
            );
        }
        if base == BaseOp::Null && qualifier.is_some() {
            return Err(format!(
                "`{name}`: a set qualifier cannot be combined with `Null`; use `Null` alone"
            ));
        }
        Ok(Operator {
            qualifier,
            base,
            if_exists,
        })
    }
}

/// One policy value of a condition, parsed for its operator's family.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum CondValue {
    /// String, Arn and Bool operators (may hold policy variables).
    /// Shared: the encoder's atoms point at the policy's templates instead of copying
    /// them (a 20,000-action policy would otherwise copy its text twice per walk).
    Pattern(Arc<Template>),
    Number(Decimal),
    /// Milliseconds since the Unix epoch.
    Date(i64),
    /// Base64 text as written.
    Binary(String),
    Ip(IpNet),
    /// `Null`: `true` = the key must be absent, `false` = present.
    Null(bool),
}

/// Parses a number as IAM writes it (decimals allowed, no exponent).
pub fn parse_number(text: &str) -> Option<Decimal> {
    let t = text.trim();
    if t.is_empty() || t.contains(['e', 'E']) {
        return None;
    }
    Decimal::from_str(t).ok()
}

/// Parses an IAM date: ISO 8601 (date, date-time with optional fraction and zone) or
/// Unix epoch seconds. Returns milliseconds since the epoch.
pub fn parse_date(text: &str) -> Option<i64> {
    use chrono::{DateTime, NaiveDate, NaiveDateTime};
    let t = text.trim();
    if !t.is_empty() && t.chars().all(|c| c.is_ascii_digit()) {
        return t.parse::<i64>().ok()?.checked_mul(1000);
    }
    if let Ok(d) = DateTime::parse_from_rfc3339(t) {
        return Some(d.timestamp_millis());
    }
    for fmt in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
    ] {
        let trimmed = t.strip_suffix('Z').unwrap_or(t);
        if let Ok(d) = NaiveDateTime::parse_from_str(trimmed, fmt) {
            return Some(d.and_utc().timestamp_millis());
        }
    }
    if let Ok(d) = NaiveDate::parse_from_str(t, "%Y-%m-%d") {
        return Some(d.and_hms_opt(0, 0, 0)?.and_utc().timestamp_millis());
    }
    None
}

/// Parses an IP address or CIDR block (IPv4 or IPv6); a bare address is a /32 or /128.
pub fn parse_ip_net(text: &str) -> Option<IpNet> {
    let t = text.trim();
    if t.contains('/') {
        IpNet::from_str(t).ok()
    } else {
        t.parse::<std::net::IpAddr>().ok().map(IpNet::from)
    }
}

/// Whether text is valid base64 (standard alphabet, padded).
pub fn is_base64(text: &str) -> bool {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operator_names() {
        let op = Operator::parse("ForAllValues:StringLikeIfExists").unwrap();
        assert_eq!(op.qualifier, Some(SetQualifier::ForAllValues));
        assert_eq!(op.base, BaseOp::StringLike);
        assert!(op.if_exists);
        assert_eq!(op.to_string(), "ForAllValues:StringLikeIfExists");
        assert!(Operator::parse("NullIfExists").is_err());
        assert!(Operator::parse("ForAnyValue:Null").is_err());
        let e = Operator::parse("stringequals").unwrap_err();
        assert!(e.contains("did you mean `StringEquals`"), "{e}");
        assert!(
            Operator::parse("ForSomeValues:StringEquals")
                .unwrap_err()
                .contains("unknown set qualifier")
        );
        for (name, op) in NAMES {
            assert_eq!(Operator::parse(name).unwrap().base, *op);
            assert_eq!(op.name(), *name);
        }
    }

    #[test]
    fn negation() {
        for (_, op) in NAMES {
            assert_eq!(op.is_negated(), op.positive() != *op, "{op:?}");
            assert!(!op.positive().is_negated());
        }
    }

    #[test]
    fn values() {
        assert_eq!(parse_number("1.50"), Some(Decimal::new(150, 2)));
        assert_eq!(parse_number("-3"), Some(Decimal::new(-3, 0)));
        assert_eq!(parse_number("1e3"), None);
        assert_eq!(parse_number("abc"), None);
        assert_eq!(parse_date("1577836800"), Some(1_577_836_800_000));
        assert_eq!(parse_date("2020-01-01T00:00:00Z"), Some(1_577_836_800_000));
        assert_eq!(parse_date("2020-01-01"), Some(1_577_836_800_000));
        assert_eq!(
            parse_date("2020-01-01T01:00:00+01:00"),
            Some(1_577_836_800_000)
        );
        assert_eq!(
            parse_date("2020-01-01T00:00:00.5Z"),
            Some(1_577_836_800_500)
        );
        assert_eq!(parse_date("2020-13-01"), None);
        assert_eq!(parse_date("yesterday"), None);
        assert!(parse_ip_net("10.0.0.0/8").is_some());
        assert!(parse_ip_net("2001:db8::/32").is_some());
        assert!(parse_ip_net("10.0.0.1").is_some());
        assert!(parse_ip_net("10.0.0.0/33").is_none());
        assert!(parse_ip_net("10.0.0").is_none());
        assert!(is_base64("QmluYXJ5VmFsdWU="));
        assert!(!is_base64("not base64!"));
    }
}
