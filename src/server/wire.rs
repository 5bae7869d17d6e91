//! Requests and answers as the server's handlers see them, and AWS's error shapes.
//!
//! rest-json errors carry the code twice, as the `x-amzn-ErrorType` header and as body
//! `__type`, because botocore accepts either one (its rest-json error parser reads both).
//! Query-protocol services (STS, IAM) answer errors in XML.

use serde_json::{Value, json};

/// A request, read whole.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    /// Raw (percent-encoded) path.
    pub path: String,
    pub query: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub request_id: String,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn json(status: u16, body: &Value) -> Response {
        Response {
            status,
            headers: vec![("content-type", "application/json".to_string())],
            body: serde_json::to_vec(body).unwrap_or_default(),
        }
    }

    pub fn xml(status: u16, body: String) -> Response {
        Response {
            status,
            headers: vec![("content-type", "text/xml".to_string())],
            body: body.into_bytes(),
        }
    }
}

/// `ValidationException.reason`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    UnknownOperation,
    CannotParse,
    FieldValidationFailed,
    Other,
    NotSupported,
}

impl Reason {
    fn name(self) -> &'static str {
        match self {
            Reason::UnknownOperation => "unknownOperation",
            Reason::CannotParse => "cannotParse",
            Reason::FieldValidationFailed => "fieldValidationFailed",
            Reason::Other => "other",
            Reason::NotSupported => "notSupported",
        }
    }
}

/// An Access Analyzer (rest-json) error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiError {
    /// 400, with the field that failed when there is one.
    Validation {
        reason: Reason,
        message: String,
        field: Option<String>,
    },
    /// 403: a missing or wrong signature.
    AccessDenied(String),
    /// 404: no such access preview or analyzer (`resourceId`, `resourceType`).
    NotFound {
        message: String,
        resource_id: String,
        resource_type: &'static str,
    },
}

impl ApiError {
    pub fn field(name: &str, message: impl Into<String>) -> ApiError {
        ApiError::Validation {
            reason: Reason::FieldValidationFailed,
            message: message.into(),
            field: Some(name.to_string()),
        }
    }

    pub fn validation(reason: Reason, message: impl Into<String>) -> ApiError {
        ApiError::Validation {
            reason,
            message: message.into(),
            field: None,
        }
    }

    /// The error code (`ValidationException`, ...).
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::Validation { .. } => "ValidationException",
            ApiError::AccessDenied(_) => "AccessDeniedException",
            ApiError::NotFound { .. } => "ResourceNotFoundException",
        }
    }

    pub fn response(&self) -> Response {
        let (status, body) = match self {
            ApiError::Validation {
                reason,
                message,
                field,
            } => {
                let mut body = json!({
                    "__type": self.code(),
                    "message": message,
                    "reason": reason.name(),
                });
                if let Some(name) = field {
                    body["fieldList"] = json!([{"name": name, "message": message}]);
                }
                (400, body)
            }
            ApiError::AccessDenied(message) => {
                (403, json!({"__type": self.code(), "message": message}))
            }
            ApiError::NotFound {
                message,
                resource_id,
                resource_type,
            } => (
                404,
                json!({"__type": self.code(), "message": message, "resourceId": resource_id, "resourceType": resource_type}),
            ),
        };
        let mut r = Response::json(status, &body);
        r.headers
            .push(("x-amzn-errortype", self.code().to_string()));
        r
    }
}

/// A query-protocol (STS, IAM) error in XML: `Sender` faults only, since every error
/// the server gives is about the request.
pub fn query_error(status: u16, namespace: &str, code: &str, message: &str, id: &str) -> Response {
    Response::xml(
        status,
        format!(
            "<ErrorResponse xmlns=\"{namespace}\"><Error><Type>Sender</Type><Code>{}</Code><Message>{}</Message></Error><RequestId>{}</RequestId></ErrorResponse>",
            escape(code),
            escape(message),
            escape(id)
        ),
    )
}

/// XML text escaping.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out += "&amp;",
            '<' => out += "&lt;",
            '>' => out += "&gt;",
            '"' => out += "&quot;",
            '\'' => out += "&apos;",
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_carry_the_code_twice() {
        let r = ApiError::field("policyType", "bad `X`").response();
        assert_eq!(r.status, 400);
        assert!(
            r.headers
                .contains(&("x-amzn-errortype", "ValidationException".to_string()))
        );
        let body: Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(body["__type"], "ValidationException");
        assert_eq!(body["reason"], "fieldValidationFailed");
        assert_eq!(body["fieldList"][0]["name"], "policyType");
    }

    #[test]
    fn xml_is_escaped() {
        assert_eq!(escape("<a & 'b'>"), "&lt;a &amp; &apos;b&apos;&gt;");
    }
}
