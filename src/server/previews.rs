//! Access Analyzer's analyzer and access-preview operations (rest-json), the ones
//! cfn-policy-validator's `validate` calls: ListAnalyzers, CreateAnalyzer,
//! CreateAccessPreview, GetAccessPreview and ListAccessPreviewFindings.
//!
//! The analyzers are fixed by the server's configuration: an account analyzer for
//! `--account-id`, and an organization analyzer when `--organization-id` is given;
//! CreateAnalyzer names one of them. A preview is analysed when it is created (the
//! external-access analysis of src/external, with the analyzer's zone of trust), so it
//! is `COMPLETED` (or `FAILED` with AWS's reason) at once. Previews are the server's
//! only state: kept in memory, at most `MAX_PREVIEWS`, each for `MAX_AGE`.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use super::Config;
use super::wire::{ApiError, Reason};
use crate::external::{self, Analysis, Input, Zone};

/// How many previews are kept; the oldest goes first.
pub const MAX_PREVIEWS: usize = 1_000;
/// How long a preview is kept.
pub const MAX_AGE: Duration = Duration::from_secs(3_600);
const ANALYZER_NAME: &str = "hornbeam";
const ORGANIZATION_ANALYZER_NAME: &str = "hornbeam-organization";

/// The operations of this module, by method and path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    ListAnalyzers,
    CreateAnalyzer,
    CreateAccessPreview,
    GetAccessPreview(String),
    ListAccessPreviewFindings(String),
}

impl Op {
    pub fn route(method: &str, path: &str) -> Option<Op> {
        let preview = |p: &str| {
            p.strip_prefix("/access-preview/")
                .filter(|id| !id.is_empty() && !id.contains('/'))
                .map(str::to_string)
        };
        Some(match (method, path) {
            ("GET", "/analyzer") => Op::ListAnalyzers,
            ("PUT", "/analyzer") => Op::CreateAnalyzer,
            ("PUT", "/access-preview") => Op::CreateAccessPreview,
            ("GET", p) => Op::GetAccessPreview(preview(p)?),
            ("POST", p) => Op::ListAccessPreviewFindings(preview(p)?),
            _ => return None,
        })
    }

    pub fn name(&self) -> &'static str {
        match self {
            Op::ListAnalyzers => "ListAnalyzers",
            Op::CreateAnalyzer => "CreateAnalyzer",
            Op::CreateAccessPreview => "CreateAccessPreview",
            Op::GetAccessPreview(_) => "GetAccessPreview",
            Op::ListAccessPreviewFindings(_) => "ListAccessPreviewFindings",
        }
    }
}

struct Preview {
    id: String,
    analyzer_arn: String,
    configurations: Value,
    created_at: String,
    created: Instant,
    /// `None`: completed; else AWS's failure code.
    failure: Option<&'static str>,
    findings: Vec<Value>,
}

/// The previews, in creation order.
#[derive(Default)]
pub struct Previews {
    list: Mutex<VecDeque<Preview>>,
    counter: AtomicU64,
}

impl std::fmt::Debug for Previews {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Previews")
    }
}

impl Previews {
    /// Runs `f` on the list, without the previews that are too old or too many.
    fn with<T>(&self, f: impl FnOnce(&mut VecDeque<Preview>) -> T) -> T {
        let mut list = match self.list.lock() {
            Ok(l) => l,
            // A panic elsewhere while holding the lock: the list itself is still whole.
            Err(poisoned) => poisoned.into_inner(),
        };
        let trim = |list: &mut VecDeque<Preview>| {
            while list
                .front()
                .is_some_and(|p| p.created.elapsed() > MAX_AGE || list.len() > MAX_PREVIEWS)
            {
                list.pop_front();
            }
        };
        trim(&mut list);
        let out = f(&mut list);
        trim(&mut list);
        out
    }

    /// A fresh id in AWS's form (a UUID).
    fn next_id(&self) -> String {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let h = Sha256::digest(format!("{n}:{nanos}:{}", std::process::id()));
        let hex: String = h.iter().take(16).map(|b| format!("{b:02x}")).collect();
        format!(
            "{}-{}-4{}-a{}-{}",
            &hex[0..8],
            &hex[8..12],
            &hex[13..16],
            &hex[17..20],
            &hex[20..32]
        )
    }
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn analyzer_arn(config: &Config, region: &str, organization: bool) -> String {
    format!(
        "arn:aws:access-analyzer:{region}:{}:analyzer/{}",
        config.account_id,
        if organization {
            ORGANIZATION_ANALYZER_NAME
        } else {
            ANALYZER_NAME
        }
    )
}

/// The zone of trust of an analyzer of this server, by its ARN.
fn zone_of(config: &Config, arn: &str) -> Result<Zone, ApiError> {
    let name = arn.rsplit('/').next().unwrap_or_default();
    let not_found = || ApiError::NotFound {
        message: format!(
            "analyzer `{arn}` does not exist; hornbeam serve has `{ANALYZER_NAME}` (the account's){}",
            if config.organization_id.is_some() {
                format!(" and `{ORGANIZATION_ANALYZER_NAME}` (the organization's)")
            } else {
                String::new()
            }
        ),
        resource_id: arn.to_string(),
        resource_type: "AWS::AccessAnalyzer::Analyzer",
    };
    if !arn.starts_with("arn:") || !arn.contains(&format!(":{}:analyzer/", config.account_id)) {
        return Err(not_found());
    }
    let zone = match (name, &config.organization_id) {
        (ANALYZER_NAME, _) => Zone::parse(&config.account_id, &[]),
        (ORGANIZATION_ANALYZER_NAME, Some(org)) => {
            Zone::parse(org, std::slice::from_ref(&config.account_id))
        }
        _ => return Err(not_found()),
    };
    zone.map_err(|e| ApiError::validation(Reason::Other, e.to_string()))
}

fn body(bytes: &[u8]) -> Result<Map<String, Value>, ApiError> {
    if bytes.is_empty() {
        return Ok(Map::new());
    }
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(ApiError::validation(
            Reason::CannotParse,
            "the request body must be a JSON object",
        )),
        Err(e) => Err(ApiError::validation(
            Reason::CannotParse,
            format!("the request body is not JSON: {e}"),
        )),
    }
}

fn string_field<'a>(m: &'a Map<String, Value>, name: &str) -> Result<&'a str, ApiError> {
    match m.get(name) {
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err(ApiError::field(name, format!("`{name}` must be a string"))),
        None => Err(ApiError::field(name, format!("`{name}` is required"))),
    }
}

fn query_param(query: &str, name: &str) -> Option<String> {
    form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// Runs one operation.
pub fn call(
    config: &Config,
    op: &Op,
    body_bytes: &[u8],
    query: &str,
    region: &str,
) -> Result<Value, ApiError> {
    let fields = body(body_bytes)?;
    match op {
        Op::ListAnalyzers => {
            let wanted = query_param(query, "type");
            let mut analyzers = vec![(
                "ACCOUNT",
                analyzer_arn(config, region, false),
                ANALYZER_NAME,
            )];
            if config.organization_id.is_some() {
                analyzers.push((
                    "ORGANIZATION",
                    analyzer_arn(config, region, true),
                    ORGANIZATION_ANALYZER_NAME,
                ));
            }
            let list: Vec<Value> = analyzers
                .into_iter()
                .filter(|(t, _, _)| wanted.as_deref().is_none_or(|w| w == *t))
                .map(|(t, arn, name)| {
                    json!({"arn": arn, "name": name, "type": t, "status": "ACTIVE", "createdAt": "2026-01-01T00:00:00Z"})
                })
                .collect();
            Ok(json!({"analyzers": list}))
        }
        Op::CreateAnalyzer => {
            string_field(&fields, "analyzerName")?;
            let t = string_field(&fields, "type")?;
            match t {
                "ACCOUNT" => Ok(json!({"arn": analyzer_arn(config, region, false)})),
                "ORGANIZATION" if config.organization_id.is_some() => {
                    Ok(json!({"arn": analyzer_arn(config, region, true)}))
                }
                "ORGANIZATION" => Err(ApiError::field(
                    "type",
                    "an ORGANIZATION analyzer needs the organization: start hornbeam serve with --organization-id",
                )),
                other => Err(ApiError::field(
                    "type",
                    format!(
                        "type `{other}` is not analysed here; hornbeam serve has ACCOUNT and ORGANIZATION external-access analyzers"
                    ),
                )),
            }
        }
        Op::CreateAccessPreview => {
            let analyzer = string_field(&fields, "analyzerArn")?.to_string();
            let zone = zone_of(config, &analyzer)?;
            let Some(Value::Object(configurations)) = fields.get("configurations") else {
                return Err(ApiError::field(
                    "configurations",
                    "`configurations` must map resource ARNs to their configurations",
                ));
            };
            let created_at = now();
            let mut findings = Vec::new();
            let mut failure = None;
            for (arn, c) in configurations {
                match preview_findings(config, &zone, arn, c, &created_at) {
                    Ok(mut f) => findings.append(&mut f),
                    Err(code) => {
                        failure = Some(code);
                        findings.clear();
                        break;
                    }
                }
            }
            let id = config.previews.next_id();
            let preview = Preview {
                id: id.clone(),
                analyzer_arn: analyzer,
                configurations: Value::Object(configurations.clone()),
                created_at,
                created: Instant::now(),
                failure,
                findings,
            };
            config.previews.with(|list| list.push_back(preview));
            Ok(json!({"id": id}))
        }
        Op::GetAccessPreview(id) => {
            let analyzer = query_param(query, "analyzerArn")
                .ok_or_else(|| ApiError::field("analyzerArn", "`analyzerArn` is required"))?;
            config.previews.with(|list| {
                let p = find(list, id, &analyzer)?;
                let mut out = json!({
                    "id": p.id,
                    "analyzerArn": p.analyzer_arn,
                    "configurations": p.configurations,
                    "createdAt": p.created_at,
                    "status": if p.failure.is_some() { "FAILED" } else { "COMPLETED" },
                });
                if let Some(code) = p.failure {
                    out["statusReason"] = json!({"code": code});
                }
                Ok(json!({"accessPreview": out}))
            })
        }
        Op::ListAccessPreviewFindings(id) => {
            let analyzer = string_field(&fields, "analyzerArn")?.to_string();
            let from = match fields.get("nextToken") {
                None | Some(Value::Null) => 0,
                Some(Value::String(t)) => t.parse::<usize>().map_err(|_| {
                    ApiError::field("nextToken", format!("invalid nextToken `{t}`"))
                })?,
                Some(_) => {
                    return Err(ApiError::field("nextToken", "`nextToken` must be a string"));
                }
            };
            let max = match fields.get("maxResults") {
                None | Some(Value::Null) => usize::MAX,
                Some(v) => match v.as_u64() {
                    Some(n) if n >= 1 => n as usize,
                    _ => {
                        return Err(ApiError::field(
                            "maxResults",
                            "`maxResults` must be a positive integer",
                        ));
                    }
                },
            };
            let filter = fields.get("filter").cloned().unwrap_or(Value::Null);
            config.previews.with(|list| {
                let p = find(list, id, &analyzer)?;
                if p.failure.is_some() {
                    return Err(ApiError::validation(
                        Reason::Other,
                        format!("access preview `{id}` failed; it has no findings"),
                    ));
                }
                let matching: Vec<&Value> = p
                    .findings
                    .iter()
                    .filter(|f| matches_filter(f, &filter))
                    .collect();
                if from > matching.len() {
                    return Err(ApiError::field(
                        "nextToken",
                        format!("invalid nextToken `{from}`"),
                    ));
                }
                let to = matching.len().min(from.saturating_add(max));
                let mut out = json!({"findings": matching[from..to]});
                if to < matching.len() {
                    out["nextToken"] = json!(to.to_string());
                }
                Ok(out)
            })
        }
    }
}

fn find<'a>(
    list: &'a VecDeque<Preview>,
    id: &str,
    analyzer: &str,
) -> Result<&'a Preview, ApiError> {
    list.iter()
        .find(|p| p.id == id && p.analyzer_arn == analyzer)
        .ok_or_else(|| ApiError::NotFound {
            message: format!(
                "access preview `{id}` of analyzer `{analyzer}` does not exist (previews are kept for an hour, the last {MAX_PREVIEWS})"
            ),
            resource_id: id.to_string(),
            resource_type: "AWS::AccessAnalyzer::AccessPreview",
        })
}

/// AWS's finding filter: each field (`status`, `resourceType`, `isPublic`,
/// `changeType`, `principal.AWS`, ...) with `eq`, `neq`, `contains` or `exists`.
fn matches_filter(finding: &Value, filter: &Value) -> bool {
    let Value::Object(criteria) = filter else {
        return true;
    };
    criteria.iter().all(|(field, c)| {
        let value: Option<String> = match field.split_once('.') {
            Some((outer, inner)) => finding[outer][inner].as_str().map(str::to_string),
            None => match &finding[field] {
                Value::String(s) => Some(s.clone()),
                Value::Bool(b) => Some(b.to_string()),
                Value::Array(a) => Some(
                    a.iter()
                        .filter_map(Value::as_str)
                        .collect::<Vec<_>>()
                        .join(","),
                ),
                _ => None,
            },
        };
        let list = |name: &str| -> Vec<String> {
            c[name]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default()
        };
        let eq = list("eq");
        let neq = list("neq");
        let contains = list("contains");
        (eq.is_empty() || value.as_ref().is_some_and(|v| eq.contains(v)))
            && !value.as_ref().is_some_and(|v| neq.contains(v))
            && (contains.is_empty()
                || value
                    .as_ref()
                    .is_some_and(|v| contains.iter().any(|x| v.contains(x.as_str()))))
            && c["exists"].as_bool().is_none_or(|e| e == value.is_some())
    })
}

/// The policy of a preview configuration and the resource type it is analysed as, with
/// AWS's finding `resourceType`.
struct Policy<'a> {
    text: &'a str,
    analysed_as: &'static str,
    resource_type: &'static str,
}

/// The findings of one resource's configuration, or AWS's failure code.
fn preview_findings(
    config: &Config,
    zone: &Zone,
    arn: &str,
    configuration: &Value,
    created_at: &str,
) -> Result<Vec<Value>, &'static str> {
    let Value::Object(c) = configuration else {
        return Err("INVALID_CONFIGURATION");
    };
    let Some((kind, settings)) = c.iter().next() else {
        return Err("INVALID_CONFIGURATION");
    };
    let text = |field: &str| settings.get(field).and_then(Value::as_str);
    let one = |field: &str, analysed_as, resource_type| -> Vec<(String, Policy<'_>)> {
        text(field)
            .map(|t| {
                (
                    arn.to_string(),
                    Policy {
                        text: t,
                        analysed_as,
                        resource_type,
                    },
                )
            })
            .into_iter()
            .collect()
    };
    let mut acl_public = false;
    let policies: Vec<(String, Policy)> = match kind.as_str() {
        "s3Bucket" => {
            let mut out = one("bucketPolicy", "AWS::S3::Bucket", "AWS::S3::Bucket");
            if let Some(Value::Object(points)) = settings.get("accessPoints") {
                for (point, p) in points {
                    if let Some(t) = p.get("accessPointPolicy").and_then(Value::as_str) {
                        out.push((
                            point.clone(),
                            Policy {
                                text: t,
                                analysed_as: "AWS::S3::AccessPoint",
                                resource_type: "AWS::S3::Bucket",
                            },
                        ));
                    }
                }
            }
            // ACL grants: to everyone is public; to anyone else AWS cannot tell offline
            // whose canonical id it is, so the preview fails rather than guess.
            for g in settings
                .get("bucketAclGrants")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                match g["grantee"]["uri"].as_str() {
                    Some(u) if u.ends_with("/AllUsers") || u.ends_with("/AuthenticatedUsers") => {
                        acl_public = true;
                    }
                    Some(u) if u.ends_with("/LogDelivery") => {}
                    _ => return Err("INVALID_CONFIGURATION"),
                }
            }
            out
        }
        "s3ExpressDirectoryBucket" => one(
            "bucketPolicy",
            "AWS::S3Express::DirectoryBucket",
            "AWS::S3Express::DirectoryBucket",
        ),
        "iamRole" => one(
            "trustPolicy",
            "AWS::IAM::AssumeRolePolicyDocument",
            "AWS::IAM::Role",
        ),
        "kmsKey" => settings
            .get("keyPolicies")
            .and_then(|k| k.get("default"))
            .and_then(Value::as_str)
            .map(|t| {
                (
                    arn.to_string(),
                    Policy {
                        text: t,
                        analysed_as: "AWS::KMS::Key",
                        resource_type: "AWS::KMS::Key",
                    },
                )
            })
            .into_iter()
            .collect(),
        "sqsQueue" => one("queuePolicy", "AWS::SQS::Queue", "AWS::SQS::Queue"),
        "snsTopic" => one("topicPolicy", "AWS::SNS::Topic", "AWS::SNS::Topic"),
        "secretsManagerSecret" => one(
            "secretPolicy",
            "AWS::SecretsManager::Secret",
            "AWS::SecretsManager::Secret",
        ),
        "ecrRepository" => one(
            "repositoryPolicy",
            "AWS::ECR::Repository",
            "AWS::ECR::Repository",
        ),
        "efsFileSystem" => one(
            "fileSystemPolicy",
            "AWS::EFS::FileSystem",
            "AWS::EFS::FileSystem",
        ),
        "dynamodbTable" => one(
            "tablePolicy",
            "AWS::DynamoDB::Table",
            "AWS::DynamoDB::Table",
        ),
        "dynamodbStream" => one(
            "streamPolicy",
            "AWS::DynamoDB::Stream",
            "AWS::DynamoDB::Stream",
        ),
        // Snapshots are shared by attributes, not policies: not analysed here.
        _ => return Err("INVALID_CONFIGURATION"),
    };
    let mut out = Vec::new();
    let owner = zone_owner(config, arn);
    if acl_public {
        out.push(json!({
            "id": format!("{arn}#acl"),
            "principal": {"AWS": "*"},
            "action": ["s3:GetObject", "s3:ListBucket"],
            "condition": {},
            "resource": arn,
            "isPublic": true,
            "resourceType": "AWS::S3::Bucket",
            "createdAt": created_at,
            "changeType": "NEW",
            "status": "ACTIVE",
            "resourceOwnerAccount": owner,
            "sources": [{"type": "BUCKET_ACL"}],
        }));
    }
    for (resource, p) in policies {
        let analysis = external::analyze(
            &Input {
                policy: p.text,
                resource_type: p.analysed_as,
                zone,
                existing: None,
            },
            &config.options,
        )
        .map_err(|_| "INVALID_CONFIGURATION")?;
        let Analysis::Complete { findings, .. } = analysis else {
            return Err("INTERNAL_ERROR");
        };
        for (i, f) in findings.iter().enumerate() {
            let mut j = json!({
                "id": format!("{resource}#{}-{i}", f.statement_index),
                "principal": f.principal,
                "action": f.action,
                "condition": f.condition,
                "resource": resource,
                "isPublic": f.is_public,
                "resourceType": p.resource_type,
                "createdAt": created_at,
                "changeType": "NEW",
                "status": "ACTIVE",
                "resourceOwnerAccount": owner,
            });
            if p.analysed_as == "AWS::S3::AccessPoint" {
                j["sources"] =
                    json!([{"type": "S3_ACCESS_POINT", "detail": {"accessPointArn": resource}}]);
                j["resource"] = json!(arn);
            } else if p.resource_type == "AWS::S3::Bucket" {
                j["sources"] = json!([{"type": "POLICY"}]);
            }
            out.push(j);
        }
    }
    Ok(out)
}

/// The account that owns a previewed resource: the ARN's, else the server's.
fn zone_owner(config: &Config, arn: &str) -> String {
    crate::pattern::arn_account(arn)
        .filter(|a| crate::policy::is_account_id(a))
        .unwrap_or(&config.account_id)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn previews_are_bounded_in_number() {
        let store = Previews::default();
        for i in 0..MAX_PREVIEWS + 5 {
            store.with(|list| {
                list.push_back(Preview {
                    id: format!("p{i}"),
                    analyzer_arn: "a".into(),
                    configurations: Value::Null,
                    created_at: now(),
                    created: Instant::now(),
                    failure: None,
                    findings: Vec::new(),
                })
            });
        }
        store.with(|list| {
            assert_eq!(list.len(), MAX_PREVIEWS);
            assert_eq!(list.front().map(|p| p.id.as_str()), Some("p5"));
        });
        let ids: std::collections::HashSet<String> = (0..100).map(|_| store.next_id()).collect();
        assert_eq!(ids.len(), 100);
        assert!(
            ids.iter()
                .all(|id| id.len() == 36 && id.matches('-').count() == 4)
        );
    }
}
