//! A whole account from the file auditors already have: the output of `aws iam
//! get-account-authorization-details` (IAM API reference,
//! "GetAccountAuthorizationDetails"), read as one context per user and per role
//! (encodings/context.md, "A whole account").
//!
//! A user's context holds its inline policies, its attached managed policies, the inline
//! and attached policies of each group it is in, and its permissions boundary; a role's
//! the same without groups. A managed policy's document is the default version the file
//! lists under `Policies`; an AWS managed policy the file leaves out (exported with
//! `--filter` without `AWSManagedPolicy`) is hornbeam's embedded copy. Anything else the
//! file names but does not hold (a customer managed policy, a group) makes the file
//! unreadable: a context with a policy missing would answer for less than the principal
//! has. Documents are JSON objects, as the AWS CLI prints them, or URL-encoded strings,
//! as the API returns them.
//!
//! Organization policies are not in the file: the caller gives them (`Organization`),
//! and they apply to every principal the file holds except service-linked roles
//! (`PolicySet::combined`).

use std::collections::HashMap;

use serde_json::{Map, Value, json};

use super::{AccountRelation, NamedPolicy, PolicySet, SetError};
use crate::policy::{self, PolicyType};

/// One user or role of the file; its context is [`Account::set`].
#[derive(Debug, Clone)]
pub struct Member {
    pub kind: MemberKind,
    pub name: String,
    pub arn: String,
    /// Its entry in the file, e.g. `/RoleDetailList/3`.
    pub pointer: String,
    /// Its identity policies and boundary, as indices into the account's policies: a
    /// managed policy attached to thousands of principals is parsed and held once.
    identity: Vec<usize>,
    boundary: Option<usize>,
    pin: policy::Policy,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberKind {
    User,
    Role,
}

impl MemberKind {
    /// The CloudFormation type findings name it by.
    pub fn resource_type(self) -> &'static str {
        match self {
            MemberKind::User => "AWS::IAM::User",
            MemberKind::Role => "AWS::IAM::Role",
        }
    }
}

/// What a file holds.
#[derive(Debug, Clone, Default)]
pub struct Account {
    pub members: Vec<Member>,
    pub groups: usize,
    /// Managed policies listed under `Policies`.
    pub policies: usize,
    /// Every policy a member's context holds, once.
    pool: Vec<Part>,
    organization: Organization,
}

impl Account {
    /// A member's context.
    pub fn set(&self, m: &Member) -> PolicySet {
        let org = &self.organization.parsed;
        PolicySet {
            identity: m
                .identity
                .iter()
                .map(|&i| self.pool[i].policy.clone())
                .collect(),
            boundary: m.boundary.map(|i| self.pool[i].policy.clone()),
            scps: org.scps.clone(),
            session: Vec::new(),
            rcps: org.rcps.clone(),
            rcp_limit: org.rcp_limit.clone(),
            principal: Some((m.arn.clone(), m.pin.clone())),
            resource: None,
        }
    }

    /// A member's context as a self-contained policy-set document, every policy inline:
    /// what a proof bundle records (`parse_bundle_set` reads it back to [`Account::set`]).
    pub fn document(&self, m: &Member) -> Value {
        let mut document = Map::new();
        document.insert("principal".into(), json!(m.arn));
        document.insert(
            "identityPolicies".into(),
            Value::Array(
                m.identity
                    .iter()
                    .map(|&i| self.pool[i].document.clone())
                    .collect(),
            ),
        );
        if let Some(b) = m.boundary {
            document.insert("permissionsBoundary".into(), self.pool[b].document.clone());
        }
        let org = &self.organization;
        if !org.scps.is_empty() {
            let levels: Vec<Value> = org
                .scps
                .iter()
                .map(|l| Value::Array(l.iter().map(|(_, d)| d.clone()).collect()))
                .collect();
            document.insert("serviceControlPolicies".into(), Value::Array(levels));
        }
        if !org.rcps.is_empty() {
            let rcps: Vec<Value> = org.rcps.iter().map(|(_, d)| d.clone()).collect();
            document.insert("resourceControlPolicies".into(), Value::Array(rcps));
        }
        Value::Object(document)
    }
}

/// Organization policies applied to every principal of a file: SCP levels and RCPs, as
/// inline documents (references already read).
#[derive(Debug, Clone, Default)]
pub struct Organization {
    scps: Vec<Vec<(String, Value)>>,
    rcps: Vec<(String, Value)>,
    parsed: PolicySet,
}

/// The fields of an organization document.
const ORGANIZATION_FIELDS: &[&str] = &["serviceControlPolicies", "resourceControlPolicies"];

impl Organization {
    /// Reads `{"serviceControlPolicies": [[P, ...], ...], "resourceControlPolicies": [P,
    /// ...]}`, each `P` a document or a reference `read` turns into document text, with
    /// the rules of a policy set (an SCP level needs at least one SCP, an RCP holds only
    /// Deny statements, ...). Errors name the place by JSON pointer.
    pub fn parse(
        text: &str,
        read: &dyn Fn(&str, &str) -> Result<String, String>,
    ) -> Result<Organization, SetError> {
        let shape = SetError::at;
        let obj = super::json_object(
            text,
            "an organization document is a JSON object with `serviceControlPolicies` and/or `resourceControlPolicies`",
        )?;
        if let Some(k) = obj
            .keys()
            .find(|k| !ORGANIZATION_FIELDS.contains(&k.as_str()))
        {
            return Err(shape(
                &format!("/{k}"),
                format!(
                    "unknown field `{k}`; an organization document has {}",
                    ORGANIZATION_FIELDS.join(", ")
                ),
            ));
        }
        let inline = super::inline_policies(&Value::Object(obj), read)?;
        let mut as_set = inline.clone();
        // Read with a set's rules; the identity policy only makes it a set.
        as_set["identityPolicies"] = json!([super::allows_nothing()]);
        let parsed = super::parse_set(&as_set.to_string(), &|r, _| {
            Err(format!("`{r}` was not read"))
        })?;
        let named = |p: &str, d: &Value| (p.trim_start_matches('/').to_string(), d.clone());
        let scps = inline["serviceControlPolicies"]
            .as_array()
            .into_iter()
            .flatten()
            .enumerate()
            .map(|(l, level)| {
                level
                    .as_array()
                    .into_iter()
                    .flatten()
                    .enumerate()
                    .map(|(i, d)| named(&format!("/serviceControlPolicies/{l}/{i}"), d))
                    .collect()
            })
            .collect();
        let rcps = inline["resourceControlPolicies"]
            .as_array()
            .into_iter()
            .flatten()
            .enumerate()
            .map(|(i, d)| named(&format!("/resourceControlPolicies/{i}"), d))
            .collect();
        Ok(Organization { scps, rcps, parsed })
    }

    /// Whether it holds any policy.
    pub fn is_empty(&self) -> bool {
        self.scps.is_empty() && self.rcps.is_empty()
    }
}

/// Reads an authorization-details file; `org` applies to every principal.
pub fn parse_details(text: &str, org: &Organization) -> Result<Account, SetError> {
    let shape = SetError::at;
    let root = &super::json_object(
        text,
        "an authorization-details file is the JSON object `aws iam get-account-authorization-details` prints",
    )?;
    const LISTS: &[&str] = &[
        "UserDetailList",
        "GroupDetailList",
        "RoleDetailList",
        "Policies",
    ];
    if !LISTS.iter().any(|k| root.contains_key(*k)) {
        return Err(shape(
            "",
            format!(
                "none of {} is here: not the output of `aws iam get-account-authorization-details`",
                LISTS.join(", ")
            ),
        ));
    }
    let list = |key: &str| -> Result<&[Value], SetError> {
        match root.get(key) {
            None => Ok(&[]),
            Some(Value::Array(items)) => Ok(items),
            Some(other) => Err(shape(
                &format!("/{key}"),
                format!(
                    "`{key}` is a list, found {}",
                    crate::json::value_kind(other)
                ),
            )),
        }
    };
    let mut reader = Reader {
        policies: HashMap::new(),
        cache: HashMap::new(),
        pool: Vec::new(),
    };
    let policies = list("Policies")?;
    for (i, p) in policies.iter().enumerate() {
        let pointer = format!("/Policies/{i}");
        let arn = string(p, "Arn", &pointer)?;
        reader.policies.insert(arn.to_string(), (pointer, p));
    }
    let mut groups: HashMap<&str, Vec<usize>> = HashMap::new();
    let group_list = list("GroupDetailList")?;
    for (i, g) in group_list.iter().enumerate() {
        let pointer = format!("/GroupDetailList/{i}");
        let name = string(g, "GroupName", &pointer)?;
        let parts = reader.parts(g, "GroupPolicyList", &pointer, &format!("group {name}"))?;
        groups.insert(name, parts);
    }
    let mut members = Vec::new();
    for (kind, key, inline, name_key) in [
        (
            MemberKind::User,
            "UserDetailList",
            "UserPolicyList",
            "UserName",
        ),
        (
            MemberKind::Role,
            "RoleDetailList",
            "RolePolicyList",
            "RoleName",
        ),
    ] {
        for (i, entry) in list(key)?.iter().enumerate() {
            let pointer = format!("/{key}/{i}");
            let name = string(entry, name_key, &pointer)?.to_string();
            let arn = string(entry, "Arn", &pointer)?.to_string();
            let Some(account) = super::principal_account(&arn) else {
                return Err(shape(
                    &format!("{pointer}/Arn"),
                    format!("`{arn}` is not an IAM user or role ARN"),
                ));
            };
            let mut parts = reader.parts(entry, inline, &pointer, &name)?;
            if kind == MemberKind::User {
                for (j, g) in array(entry, "GroupList", &pointer)?.iter().enumerate() {
                    let at = format!("{pointer}/GroupList/{j}");
                    let Some(g) = g.as_str() else {
                        return Err(shape(&at, "a group name is a string".into()));
                    };
                    let Some(of_group) = groups.get(g) else {
                        return Err(shape(
                            &at,
                            format!(
                                "the user is in group `{g}`, which the file's `GroupDetailList` does not hold; export the whole account (no `--filter`, or `--filter User Group ...`)"
                            ),
                        ));
                    };
                    parts.extend(of_group.iter().copied());
                }
            }
            // A managed policy attached twice (to the user and a group) counts once.
            let mut seen = std::collections::HashSet::new();
            parts.retain(|&i| reader.pool[i].managed.is_none() || seen.insert(i));
            let boundary = match entry.get("PermissionsBoundary") {
                None | Some(Value::Null) => None,
                Some(b) => {
                    let at = format!("{pointer}/PermissionsBoundary");
                    let arn = string(b, "PermissionsBoundaryArn", &at)?;
                    Some(reader.managed(arn, &format!("{at}/PermissionsBoundaryArn"))?)
                }
            };
            let pin =
                super::principal_pin(&arn, account, AccountRelation::Same).map_err(|source| {
                    SetError::Policy {
                        pointer: format!("{pointer}/Arn"),
                        source,
                    }
                })?;
            members.push(Member {
                kind,
                name,
                arn,
                pointer,
                identity: parts,
                boundary,
                pin,
            });
        }
    }
    Ok(Account {
        members,
        groups: group_list.len(),
        policies: policies.len(),
        pool: reader.pool,
        organization: org.clone(),
    })
}

/// One identity policy of a context, parsed and as an inline document.
#[derive(Debug, Clone)]
struct Part {
    policy: NamedPolicy,
    document: Value,
    /// A managed policy's ARN (attached twice, through a group say, it counts once).
    managed: Option<String>,
}

/// Reads the policies of a file into one pool, each managed policy once.
struct Reader<'a> {
    /// `Policies` by ARN: pointer and entry.
    policies: HashMap<String, (String, &'a Value)>,
    /// Managed policies read, by ARN: their index in `pool`.
    cache: HashMap<String, usize>,
    pool: Vec<Part>,
}

impl Reader<'_> {
    /// A principal's (or group's) inline policies, in `key`, and its attached managed
    /// policies.
    fn parts(
        &mut self,
        entry: &Value,
        key: &str,
        pointer: &str,
        owner: &str,
    ) -> Result<Vec<usize>, SetError> {
        let mut out = Vec::new();
        for (j, p) in array(entry, key, pointer)?.iter().enumerate() {
            let at = format!("{pointer}/{key}/{j}");
            let name = string(p, "PolicyName", &at)?;
            let Some(doc) = p.get("PolicyDocument") else {
                return Err(SetError::Shape {
                    pointer: at,
                    message: "an inline policy has `PolicyDocument`".into(),
                });
            };
            self.pool.push(part(
                format!("{owner}/{name}"),
                doc,
                &format!("{at}/PolicyDocument"),
                None,
            )?);
            out.push(self.pool.len() - 1);
        }
        for (j, a) in array(entry, "AttachedManagedPolicies", pointer)?
            .iter()
            .enumerate()
        {
            let at = format!("{pointer}/AttachedManagedPolicies/{j}");
            let arn = string(a, "PolicyArn", &at)?;
            out.push(self.managed(arn, &format!("{at}/PolicyArn"))?);
        }
        Ok(out)
    }

    /// A managed policy by ARN: the default version in the file, else (an AWS managed
    /// policy) the embedded copy.
    fn managed(&mut self, arn: &str, at: &str) -> Result<usize, SetError> {
        if let Some(&i) = self.cache.get(arn) {
            return Ok(i);
        }
        let part = match self.policies.get(arn) {
            Some((pointer, entry)) => {
                let name = string(entry, "PolicyName", pointer)?;
                let default = entry.get("DefaultVersionId").and_then(Value::as_str);
                let versions = array(entry, "PolicyVersionList", pointer)?;
                let found = versions.iter().enumerate().find(|(_, v)| {
                    v.get("IsDefaultVersion").and_then(Value::as_bool) == Some(true)
                        || (default.is_some()
                            && v.get("VersionId").and_then(Value::as_str) == default)
                });
                let Some((k, version)) = found else {
                    return Err(SetError::Shape {
                        pointer: format!("{pointer}/PolicyVersionList"),
                        message: format!(
                            "no default version of `{arn}` is listed (`IsDefaultVersion: true` or the `DefaultVersionId`)"
                        ),
                    });
                };
                let doc_at = format!("{pointer}/PolicyVersionList/{k}/Document");
                let Some(doc) = version.get("Document") else {
                    return Err(SetError::Shape {
                        pointer: doc_at,
                        message: format!("the default version of `{arn}` has no `Document`"),
                    });
                };
                part(name.to_string(), doc, &doc_at, Some(arn.to_string()))?
            }
            None => match crate::managed::get(arn) {
                Some(Ok(m)) => {
                    let doc: Value =
                        serde_json::from_str(&m.document).map_err(|e| SetError::Shape {
                            pointer: at.into(),
                            message: format!("hornbeam's copy of `{arn}` is not JSON: {e}"),
                        })?;
                    part(m.name.clone(), &doc, at, Some(arn.to_string()))?
                }
                Some(Err(e)) => {
                    return Err(SetError::Shape {
                        pointer: at.into(),
                        message: format!(
                            "`{arn}` is not in the file's `Policies`, and {e}; export it too (`--filter AWSManagedPolicy`)"
                        ),
                    });
                }
                None => {
                    return Err(SetError::Shape {
                        pointer: at.into(),
                        message: format!(
                            "`{arn}` is not in the file's `Policies`, so its document is unknown; export the account's customer managed policies too (no `--filter`, or `--filter LocalManagedPolicy ...`)"
                        ),
                    });
                }
            },
        };
        self.pool.push(part);
        self.cache.insert(arn.to_string(), self.pool.len() - 1);
        Ok(self.pool.len() - 1)
    }
}

/// A policy document as the file holds it: a JSON object (the AWS CLI) or the same
/// URL-encoded (the API).
fn part(name: String, doc: &Value, at: &str, managed: Option<String>) -> Result<Part, SetError> {
    let document = match doc {
        Value::Object(_) => doc.clone(),
        Value::String(s) => {
            let decoded = percent_encoding::percent_decode_str(s)
                .decode_utf8()
                .map_err(|e| SetError::Shape {
                    pointer: at.into(),
                    message: format!("a URL-encoded policy document that is not UTF-8: {e}"),
                })?;
            serde_json::from_str(&decoded).map_err(|e| SetError::Shape {
                pointer: at.into(),
                message: format!(
                    "the URL-decoded policy document is not JSON (line {}, column {}): {e}",
                    e.line(),
                    e.column()
                ),
            })?
        }
        other => {
            return Err(SetError::Shape {
                pointer: at.into(),
                message: format!(
                    "a policy document is a JSON object or a URL-encoded string, found {}",
                    crate::json::value_kind(other)
                ),
            });
        }
    };
    let policy = policy::parse(&document.to_string(), PolicyType::Identity).map_err(|source| {
        SetError::Policy {
            pointer: at.into(),
            source,
        }
    })?;
    Ok(Part {
        policy: NamedPolicy { name, policy },
        document,
        managed,
    })
}

/// `entry[key]` as a string.
fn string<'v>(entry: &'v Value, key: &str, pointer: &str) -> Result<&'v str, SetError> {
    match entry.get(key) {
        Some(Value::String(s)) => Ok(s),
        Some(other) => Err(SetError::Shape {
            pointer: format!("{pointer}/{key}"),
            message: format!(
                "`{key}` is a string, found {}",
                crate::json::value_kind(other)
            ),
        }),
        None => Err(SetError::Shape {
            pointer: pointer.into(),
            message: format!("`{key}` is missing"),
        }),
    }
}

/// `entry[key]` as a list; absent is empty.
fn array<'v>(entry: &'v Value, key: &str, pointer: &str) -> Result<&'v [Value], SetError> {
    match entry.get(key) {
        None | Some(Value::Null) => Ok(&[]),
        Some(Value::Array(items)) => Ok(items),
        Some(other) => Err(SetError::Shape {
            pointer: format!("{pointer}/{key}"),
            message: format!(
                "`{key}` is a list, found {}",
                crate::json::value_kind(other)
            ),
        }),
    }
}
