//! The four Access Analyzer policy operations over rest-json: the request body read as
//! AWS's service model says (policy documents are strings holding JSON), the same
//! engine as the CLI, and the CLI's JSON answer (AWS's `result`, `message`, `reasons`
//! plus `counterexample`).

use serde_json::{Value, json};

use super::wire::{ApiError, Reason};
use crate::checks::{self, Access, Check, CheckError, How, Kind, Options, Outcome};
use crate::policy::{self, Policy, PolicyType};
use crate::request::{self, Body, RequestError};

/// The operations this server answers, by method and path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    CheckNoNewAccess,
    CheckAccessNotGranted,
    CheckNoPublicAccess,
    ValidatePolicy,
}

impl Operation {
    pub fn route(method: &str, path: &str) -> Result<Operation, ApiError> {
        match (method, path) {
            ("POST", "/policy/check-no-new-access") => Ok(Operation::CheckNoNewAccess),
            ("POST", "/policy/check-access-not-granted") => Ok(Operation::CheckAccessNotGranted),
            ("POST", "/policy/check-no-public-access") => Ok(Operation::CheckNoPublicAccess),
            ("POST", "/policy/validation") => Ok(Operation::ValidatePolicy),
            _ => Err(ApiError::validation(
                Reason::UnknownOperation,
                match known_elsewhere(method, path) {
                    Some(name) => format!(
                        "hornbeam serve does not implement {name} (`{method} {path}`); it answers CheckNoNewAccess, CheckAccessNotGranted, CheckNoPublicAccess, ValidatePolicy, ListAnalyzers, CreateAnalyzer and the access-preview operations"
                    ),
                    None => format!(
                        "unknown operation `{method} {path}`; hornbeam serve answers POST /policy/check-no-new-access, /policy/check-access-not-granted, /policy/check-no-public-access and /policy/validation"
                    ),
                },
            )),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Operation::CheckNoNewAccess => "CheckNoNewAccess",
            Operation::CheckAccessNotGranted => "CheckAccessNotGranted",
            Operation::CheckNoPublicAccess => "CheckNoPublicAccess",
            Operation::ValidatePolicy => "ValidatePolicy",
        }
    }
}

/// Access Analyzer operations a client may call that this server leaves out.
fn known_elsewhere(method: &str, path: &str) -> Option<&'static str> {
    Some(match (method, path) {
        ("GET", "/finding") | ("POST", "/finding") => "ListFindings",
        ("GET", p) if p.starts_with("/analyzer/") => "GetAnalyzer",
        _ => return None,
    })
}

const ACCESS_CHECK_TYPES: &[&str] = &["IDENTITY_POLICY", "RESOURCE_POLICY"];
const VALIDATE_TYPES: &[&str] = &crate::validate::ValidateType::NAMES;
const VALIDATE_RESOURCE_TYPES: &[&str] = &crate::validate::ResourceType::NAMES;
const LOCALES: &[&str] = &[
    "DE", "EN", "ES", "FR", "IT", "JA", "KO", "PT_BR", "ZH_CN", "ZH_TW",
];

/// Runs one operation on a request body and query string.
/// `allow_unknown`: accept access lists naming actions hornbeam does not know.
pub fn call(
    op: Operation,
    body: &[u8],
    query: &str,
    opts: &Options,
    allow_unknown: bool,
) -> Result<Value, ApiError> {
    let fields = Fields::read(body, op)?;
    match op {
        Operation::CheckNoNewAccess => {
            let policy_type = fields.one_of("policyType", ACCESS_CHECK_TYPES)?;
            let policy_type = access_type(policy_type);
            let new = fields.policy("newPolicyDocument", policy_type)?;
            let existing = fields.policy("existingPolicyDocument", policy_type)?;
            answer(
                &Check::NoNewAccess {
                    new: &new,
                    existing: &existing,
                },
                opts,
            )
        }
        Operation::CheckAccessNotGranted => {
            let policy_type = access_type(fields.one_of("policyType", ACCESS_CHECK_TYPES)?);
            let access = fields.access()?;
            if !allow_unknown {
                checks::validate_known(&access).map_err(|e| ApiError::field("access", e.0))?;
            }
            let policy = fields.policy("policyDocument", policy_type)?;
            answer(
                &Check::AccessNotGranted {
                    policy: &policy,
                    access: &access,
                },
                opts,
            )
        }
        Operation::CheckNoPublicAccess => {
            let resource_type = fields.string("resourceType")?;
            checks::validate_resource_type(&resource_type)
                .map_err(|e| ApiError::field("resourceType", e.to_string()))?;
            let policy = fields.policy("policyDocument", PolicyType::Resource)?;
            answer(
                &Check::NoPublicAccess {
                    policy: &policy,
                    resource_type: &resource_type,
                },
                opts,
            )
        }
        Operation::ValidatePolicy => validate(&fields, query),
    }
}

fn access_type(name: &str) -> PolicyType {
    if name == "RESOURCE_POLICY" {
        PolicyType::Resource
    } else {
        PolicyType::Identity
    }
}

/// A check's answer; an internal error (a counterexample the evaluator rejects) is
/// reported as an undecided FAIL rather than a 5xx, which the validators would retry
/// for minutes.
fn answer(check: &Check, opts: &Options) -> Result<Value, ApiError> {
    let outcome = match checks::run(check, opts) {
        Ok(o) => o,
        Err(e @ CheckError::Access(_)) => return Err(ApiError::field("access", e.to_string())),
        Err(e @ CheckError::ResourceType(_)) => {
            return Err(ApiError::field("resourceType", e.to_string()));
        }
        Err(e) => {
            tracing::error!(error = %e, "internal error in a check");
            Outcome::Inconclusive {
                message: "hornbeam could not decide this check.".to_string(),
                why: format!("{e}; please report it"),
                how: How {
                    encoding: "none",
                    fallback: None,
                },
            }
        }
    };
    Ok(outcome.to_json())
}

/// ValidatePolicy, one page: `maxResults` findings from `nextToken` (the index of the
/// next finding, as this server gives it), with a `nextToken` while more remain.
fn validate(fields: &Fields, query: &str) -> Result<Value, ApiError> {
    let mut from = 0usize;
    let mut max: Option<usize> = None;
    for (k, v) in form_urlencoded::parse(query.as_bytes()) {
        match k.as_ref() {
            "nextToken" => {
                from = v.parse::<usize>().map_err(|_| {
                    ApiError::field(
                        "nextToken",
                        format!("invalid nextToken `{v}`: give the nextToken of the previous page"),
                    )
                })?;
            }
            "maxResults" => match v.parse::<usize>() {
                Ok(n) if n >= 1 => max = Some(n),
                _ => {
                    return Err(ApiError::field(
                        "maxResults",
                        format!("maxResults `{v}` must be a positive integer"),
                    ));
                }
            },
            _ => {}
        }
    }
    let policy_type = fields.one_of("policyType", VALIDATE_TYPES)?;
    let resource_type = fields
        .optional_one_of("validatePolicyResourceType", VALIDATE_RESOURCE_TYPES)?
        .and_then(crate::validate::ResourceType::parse);
    fields.optional_one_of("locale", LOCALES)?;
    let text = fields.string("policyDocument")?;
    let ty = crate::validate::ValidateType::parse(policy_type).ok_or_else(|| {
        ApiError::field("policyType", format!("unknown policyType `{policy_type}`"))
    })?;
    if let Some(why) = crate::validate::over_request_maximum(&text) {
        return Err(ApiError::field("policyDocument", why));
    }
    let all = crate::validate::validate_for(&text, ty, resource_type);
    if from > all.len() {
        return Err(ApiError::field(
            "nextToken",
            format!("invalid nextToken `{from}`: give the nextToken of the previous page"),
        ));
    }
    let to = max.map_or(all.len(), |m| all.len().min(from + m));
    let page: Vec<Value> = all[from..to].iter().map(|f| f.to_json(&text)).collect();
    let mut out = json!({ "findings": page });
    if to < all.len() {
        out["nextToken"] = json!(to.to_string());
    }
    Ok(out)
}

/// A request body read by the one reader of AWS's bodies (src/request.rs), with its
/// errors in AWS's shape.
struct Fields(Body);

impl Fields {
    fn read(body: &[u8], op: Operation) -> Result<Fields, ApiError> {
        let text = String::from_utf8(body.to_vec()).map_err(|e| {
            ApiError::validation(
                Reason::CannotParse,
                format!("the request body is not UTF-8: {e}"),
            )
        })?;
        let operation = match op {
            Operation::CheckNoNewAccess => request::Operation::Check(Kind::NoNewAccess),
            Operation::CheckAccessNotGranted => request::Operation::Check(Kind::AccessNotGranted),
            Operation::CheckNoPublicAccess => request::Operation::Check(Kind::NoPublicAccess),
            Operation::ValidatePolicy => request::Operation::ValidatePolicy,
        };
        Body::parse(text, operation).map(Fields).map_err(api_error)
    }

    fn string(&self, name: &str) -> Result<String, ApiError> {
        self.0
            .string(name)
            .map_err(api_error)?
            .map(str::to_string)
            .ok_or_else(|| missing(name))
    }

    fn one_of(&self, name: &str, allowed: &[&'static str]) -> Result<&'static str, ApiError> {
        self.optional_one_of(name, allowed)?
            .ok_or_else(|| missing(name))
    }

    fn optional_one_of(
        &self,
        name: &str,
        allowed: &[&'static str],
    ) -> Result<Option<&'static str>, ApiError> {
        self.0.one_of(name, allowed).map_err(api_error)
    }

    /// A policy document field: a string holding the policy's JSON.
    fn policy(&self, name: &str, policy_type: PolicyType) -> Result<Policy, ApiError> {
        let text = self.string(name)?;
        policy::parse(&text, policy_type).map_err(|e| ApiError::field(name, format!("{name}: {e}")))
    }

    /// `access`: a list of `{actions?, resources?}` objects.
    fn access(&self) -> Result<Vec<Access>, ApiError> {
        let access = self
            .0
            .access()
            .map_err(api_error)?
            .ok_or_else(|| missing("access"))?;
        checks::validate_access(&access).map_err(|e| ApiError::field("access", e.0))?;
        Ok(access)
    }
}

fn missing(name: &str) -> ApiError {
    ApiError::field(name, format!("missing required field `{name}`"))
}

/// A body error: the body itself cannot be parsed, or a field is not valid.
fn api_error(e: RequestError) -> ApiError {
    if e.field.is_empty() {
        ApiError::validation(Reason::CannotParse, e.to_string())
    } else {
        ApiError::field(&e.field.clone(), e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call_json(op: Operation, body: Value) -> Result<Value, ApiError> {
        call(
            op,
            body.to_string().as_bytes(),
            "",
            &Options::default(),
            false,
        )
    }

    const ADMIN: &str =
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;
    const READ: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#;

    #[test]
    fn a_check_answers_in_aws_shape() {
        let r = call_json(
            Operation::CheckNoNewAccess,
            json!({"newPolicyDocument": ADMIN, "existingPolicyDocument": READ, "policyType": "IDENTITY_POLICY"}),
        )
        .unwrap();
        assert_eq!(r["result"], "FAIL");
        assert_eq!(r["reasons"][0]["statementIndex"], 0);
        assert!(r["counterexample"]["action"].is_string());
        let r = call_json(
            Operation::CheckNoNewAccess,
            json!({"newPolicyDocument": READ, "existingPolicyDocument": ADMIN, "policyType": "IDENTITY_POLICY"}),
        )
        .unwrap();
        assert_eq!(r["result"], "PASS");
    }

    #[test]
    fn bad_fields_are_named() {
        let cases = [
            (
                json!({"existingPolicyDocument": READ, "policyType": "IDENTITY_POLICY"}),
                "newPolicyDocument",
            ),
            (
                json!({"newPolicyDocument": READ, "existingPolicyDocument": READ, "policyType": "SERVICE_CONTROL_POLICY"}),
                "policyType",
            ),
            (
                json!({"newPolicyDocument": {"Statement": []}, "existingPolicyDocument": READ, "policyType": "IDENTITY_POLICY"}),
                "newPolicyDocument",
            ),
            (
                json!({"newPolicyDocument": "{", "existingPolicyDocument": READ, "policyType": "IDENTITY_POLICY"}),
                "newPolicyDocument",
            ),
        ];
        for (body, field) in cases {
            match call_json(Operation::CheckNoNewAccess, body.clone()) {
                Err(ApiError::Validation {
                    reason: Reason::FieldValidationFailed,
                    field: Some(f),
                    ..
                }) => assert_eq!(f, field, "{body}"),
                other => panic!("{body}: {other:?}"),
            }
        }
        let e = call_json(
            Operation::CheckAccessNotGranted,
            json!({"policyDocument": READ, "policyType": "IDENTITY_POLICY", "access": [{"resources": ["example"]}]}),
        )
        .unwrap_err();
        assert!(
            matches!(e, ApiError::Validation { field: Some(ref f), .. } if f == "access"),
            "{e:?}"
        );
        let e = call(
            Operation::CheckNoNewAccess,
            b"[1]",
            "",
            &Options::default(),
            false,
        )
        .unwrap_err();
        assert!(matches!(
            e,
            ApiError::Validation {
                reason: Reason::CannotParse,
                ..
            }
        ));
    }

    #[test]
    fn validation_pages_by_max_results_and_next_token() {
        let doc = r#"{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;
        let body = json!({"policyDocument": doc, "policyType": "IDENTITY_POLICY"}).to_string();
        let page = |query: &str| {
            call(
                Operation::ValidatePolicy,
                body.as_bytes(),
                query,
                &Options::default(),
                false,
            )
            .map(|v| {
                let codes: Vec<String> = v["findings"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|f| f["issueCode"].as_str().unwrap_or_default().to_string())
                    .collect();
                (codes, v.get("nextToken").cloned())
            })
        };
        let (all, next) = page("").unwrap();
        assert_eq!(all.len(), 3, "{all:?}");
        assert_eq!(next, None);
        let (first, next) = page("maxResults=2").unwrap();
        assert_eq!(first, all[..2]);
        assert_eq!(next, Some(json!("2")));
        let (rest, next) = page("maxResults=2&nextToken=2").unwrap();
        assert_eq!(rest, all[2..]);
        assert_eq!(next, None);
        assert!(page("nextToken=9").is_err());
        assert!(page("maxResults=0").is_err());
    }

    #[test]
    fn validation_has_one_page() {
        let r = call_json(
            Operation::ValidatePolicy,
            json!({"policyDocument": READ, "policyType": "SERVICE_CONTROL_POLICY"}),
        )
        .unwrap();
        assert_eq!(r, json!({"findings": []}));
        let e = call(
            Operation::ValidatePolicy,
            json!({"policyDocument": READ, "policyType": "IDENTITY_POLICY"})
                .to_string()
                .as_bytes(),
            "nextToken=abc",
            &Options::default(),
            false,
        )
        .unwrap_err();
        assert!(matches!(e, ApiError::Validation { field: Some(ref f), .. } if f == "nextToken"));
    }

    #[test]
    fn other_operations_are_named() {
        let e = Operation::route("GET", "/finding").unwrap_err();
        let ApiError::Validation {
            reason, message, ..
        } = e
        else {
            panic!()
        };
        assert_eq!(reason, Reason::UnknownOperation);
        assert!(message.contains("ListFindings"), "{message}");
    }
}
