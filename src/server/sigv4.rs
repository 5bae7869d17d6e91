//! AWS Signature Version 4, as the server reads it: the credential scope names the
//! service a request is for (Access Analyzer, STS and IAM share one endpoint), and
//! with a credentials file every signature is recomputed and compared.
//!
//! The canonical request follows the SigV4 specification for services other than S3:
//! the path percent-encoded once more than on the wire, the query parameters encoded
//! with the unreserved set and sorted, the signed headers lowercased with their values
//! trimmed and inner spaces collapsed, and the SHA-256 of the payload.

use std::collections::HashMap;

use hmac::{KeyInit as _, Mac as _};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use sha2::{Digest as _, Sha256};
use thiserror::Error;

const ALGORITHM: &str = "AWS4-HMAC-SHA256";

/// How far a request's `X-Amz-Date` may be from the server's clock (AWS: 15 minutes).
pub const MAX_SKEW_SECONDS: i64 = 15 * 60;

/// Everything but the unreserved characters of RFC 3986.
const STRICT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');
/// The same, keeping `/` (path segments).
const PATH: &AsciiSet = &STRICT.remove(b'/');

/// The parts of an `Authorization: AWS4-HMAC-SHA256 ...` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorization {
    pub access_key: String,
    /// `yyyymmdd`.
    pub date: String,
    pub region: String,
    /// The signing name: `access-analyzer`, `sts`, `iam`, ...
    pub service: String,
    /// Lowercase header names, as signed.
    pub signed_headers: Vec<String>,
    /// Lowercase hex.
    pub signature: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SignatureError {
    #[error("the request is not signed; sign it with AWS Signature Version 4")]
    Missing,
    #[error("malformed `Authorization` header: {0}")]
    Malformed(String),
    #[error("unknown access key `{0}`; use one from the server's credentials file")]
    UnknownKey(String),
    #[error("the request has no valid `X-Amz-Date` header (`yyyymmddThhmmssZ`)")]
    Date,
    #[error("the request was signed at {0}, more than 15 minutes from the server's clock")]
    Skew(String),
    #[error("the signature does not match; check the secret access key")]
    Mismatch,
}

impl SignatureError {
    /// The error code STS and IAM give for it (query protocol).
    pub fn query_code(&self) -> &'static str {
        match self {
            SignatureError::Missing => "MissingAuthenticationToken",
            SignatureError::Malformed(_) | SignatureError::Date => "IncompleteSignature",
            SignatureError::UnknownKey(_) => "InvalidClientTokenId",
            SignatureError::Skew(_) | SignatureError::Mismatch => "SignatureDoesNotMatch",
        }
    }
}

impl Authorization {
    /// Reads the header value; the scope must end in `aws4_request`.
    pub fn parse(value: &str) -> Result<Authorization, SignatureError> {
        let bad = |why: &str| SignatureError::Malformed(why.to_string());
        let rest = value
            .strip_prefix(ALGORITHM)
            .ok_or_else(|| bad("expected the `AWS4-HMAC-SHA256` algorithm"))?;
        let mut credential = None;
        let mut signed = None;
        let mut signature = None;
        for part in rest.split(',') {
            let part = part.trim();
            if let Some(v) = part.strip_prefix("Credential=") {
                credential = Some(v);
            } else if let Some(v) = part.strip_prefix("SignedHeaders=") {
                signed = Some(v);
            } else if let Some(v) = part.strip_prefix("Signature=") {
                signature = Some(v);
            }
        }
        let credential = credential.ok_or_else(|| bad("no `Credential=`"))?;
        let scope: Vec<&str> = credential.split('/').collect();
        let [access_key, date, region, service, terminator] = scope[..] else {
            return Err(bad(
                "`Credential=` must be `KEY/yyyymmdd/region/service/aws4_request`",
            ));
        };
        if terminator != "aws4_request" || access_key.is_empty() || service.is_empty() {
            return Err(bad(
                "`Credential=` must be `KEY/yyyymmdd/region/service/aws4_request`",
            ));
        }
        let signed_headers: Vec<String> = signed
            .ok_or_else(|| bad("no `SignedHeaders=`"))?
            .split(';')
            .map(str::to_ascii_lowercase)
            .collect();
        let signature = signature.ok_or_else(|| bad("no `Signature=`"))?;
        if signature.len() != 64 || !signature.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(bad("`Signature=` must be 64 hex digits"));
        }
        Ok(Authorization {
            access_key: access_key.to_string(),
            date: date.to_string(),
            region: region.to_string(),
            service: service.to_string(),
            signed_headers,
            signature: signature.to_ascii_lowercase(),
        })
    }

    fn scope(&self) -> String {
        format!(
            "{}/{}/{}/aws4_request",
            self.date, self.region, self.service
        )
    }
}

/// The parts of a request a signature covers.
pub struct Signed<'a> {
    pub method: &'a str,
    /// The path as it came on the wire (still percent-encoded).
    pub path: &'a str,
    pub query: &'a str,
    /// Every header, names in any case.
    pub headers: &'a [(String, String)],
    pub body: &'a [u8],
}

/// The canonical request of SigV4.
pub fn canonical_request(r: &Signed, signed_headers: &[String]) -> String {
    let path = if r.path.is_empty() { "/" } else { r.path };
    let uri = utf8_percent_encode(path, PATH).to_string();
    let mut params: Vec<(String, String)> = form_urlencoded::parse(r.query.as_bytes())
        .map(|(k, v)| {
            (
                utf8_percent_encode(&k, STRICT).to_string(),
                utf8_percent_encode(&v, STRICT).to_string(),
            )
        })
        .collect();
    params.sort();
    let query: Vec<String> = params.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let mut headers = String::new();
    for name in signed_headers {
        let values: Vec<String> = r
            .headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.split_whitespace().collect::<Vec<_>>().join(" "))
            .collect();
        headers += &format!("{name}:{}\n", values.join(","));
    }
    let payload = r
        .headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("x-amz-content-sha256"))
        .map(|(_, v)| v.clone())
        .unwrap_or_else(|| hex(&Sha256::digest(r.body)));
    format!(
        "{}\n{uri}\n{}\n{headers}\n{}\n{payload}",
        r.method,
        query.join("&"),
        signed_headers.join(";")
    )
}

/// The signature SigV4 gives `request` with `secret`, at `amz_date` (`yyyymmddThhmmssZ`).
pub fn signature(auth: &Authorization, secret: &str, amz_date: &str, request: &Signed) -> String {
    hex(&signing_mac(auth, secret, amz_date, request)
        .finalize()
        .into_bytes())
}

/// The MAC of the string to sign under the derived signing key, not yet finalized
/// (so that [`verify`] compares it in constant time).
fn signing_mac(auth: &Authorization, secret: &str, amz_date: &str, request: &Signed) -> Hmac {
    let canonical = canonical_request(request, &auth.signed_headers);
    let to_sign = format!(
        "{ALGORITHM}\n{amz_date}\n{}\n{}",
        auth.scope(),
        hex(&Sha256::digest(canonical.as_bytes()))
    );
    let mut key = hmac(format!("AWS4{secret}").as_bytes(), auth.date.as_bytes());
    for part in [auth.region.as_str(), auth.service.as_str(), "aws4_request"] {
        key = hmac(&key, part.as_bytes());
    }
    let mut mac = new_mac(&key);
    mac.update(to_sign.as_bytes());
    mac
}

/// Verifies a request's signature against the known access keys and the clock.
pub fn verify(
    auth: &Authorization,
    secrets: &HashMap<String, String>,
    request: &Signed,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), SignatureError> {
    let secret = secrets
        .get(&auth.access_key)
        .ok_or_else(|| SignatureError::UnknownKey(auth.access_key.clone()))?;
    let amz_date = request
        .headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("x-amz-date"))
        .map(|(_, v)| v.as_str())
        .ok_or(SignatureError::Date)?;
    let at = chrono::NaiveDateTime::parse_from_str(amz_date, "%Y%m%dT%H%M%SZ")
        .map_err(|_| SignatureError::Date)?
        .and_utc();
    if !amz_date.starts_with(&auth.date) {
        return Err(SignatureError::Malformed(
            "the scope's date is not the `X-Amz-Date` day".to_string(),
        ));
    }
    if (now - at).num_seconds().abs() > MAX_SKEW_SECONDS {
        return Err(SignatureError::Skew(amz_date.to_string()));
    }
    if !auth.signed_headers.iter().any(|h| h == "host") {
        return Err(SignatureError::Malformed(
            "`host` must be a signed header".to_string(),
        ));
    }
    // `parse` took 64 hex digits; the MAC's own comparison is constant-time.
    let claimed: Vec<u8> = (0..auth.signature.len())
        .step_by(2)
        .filter_map(|i| u8::from_str_radix(&auth.signature[i..i + 2], 16).ok())
        .collect();
    signing_mac(auth, secret, amz_date, request)
        .verify_slice(&claimed)
        .map_err(|_| SignatureError::Mismatch)
}

type Hmac = hmac::Hmac<Sha256>;

fn new_mac(key: &[u8]) -> Hmac {
    // HMAC takes keys of any length.
    Hmac::new_from_slice(key).unwrap_or_else(|_| unreachable!())
}

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut mac = new_mac(key);
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A percent-decoded path, for routing.
pub fn decoded_path(path: &str) -> String {
    percent_decode_str(path).decode_utf8_lossy().into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The "get-vanilla" example of AWS's SigV4 test suite (credentials
    /// `AKIDEXAMPLE` / `wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY`).
    #[test]
    fn the_specification_example_verifies() {
        let header = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31";
        let auth = Authorization::parse(header).unwrap();
        assert_eq!(auth.service, "service");
        let headers = vec![
            ("Host".to_string(), "example.amazonaws.com".to_string()),
            ("X-Amz-Date".to_string(), "20150830T123600Z".to_string()),
        ];
        let request = Signed {
            method: "GET",
            path: "/",
            query: "",
            headers: &headers,
            body: b"",
        };
        let secrets = HashMap::from([(
            "AKIDEXAMPLE".to_string(),
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".to_string(),
        )]);
        let at = chrono::DateTime::parse_from_rfc3339("2015-08-30T12:40:00Z")
            .unwrap()
            .to_utc();
        assert_eq!(verify(&auth, &secrets, &request, at), Ok(()));
        let wrong = HashMap::from([("AKIDEXAMPLE".to_string(), "other".to_string())]);
        assert_eq!(
            verify(&auth, &wrong, &request, at),
            Err(SignatureError::Mismatch)
        );
        let late = at + chrono::Duration::hours(1);
        assert!(matches!(
            verify(&auth, &secrets, &request, late),
            Err(SignatureError::Skew(_))
        ));
        let tampered = Signed {
            query: "a=b",
            ..request
        };
        assert_eq!(
            verify(&auth, &secrets, &tampered, at),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn malformed_headers_are_named() {
        for bad in [
            "Basic abc",
            "AWS4-HMAC-SHA256 Credential=A/20150830/us-east-1/sts, SignedHeaders=host, Signature=00",
            "AWS4-HMAC-SHA256 SignedHeaders=host",
        ] {
            assert!(
                matches!(Authorization::parse(bad), Err(SignatureError::Malformed(_))),
                "{bad}"
            );
        }
    }
}
