//! External access: who outside a zone of trust (an account, or an organization) can
//! reach a resource through its policy, as IAM Access Analyzer's external access
//! findings say it, with a proof that the findings are all of it
//! (encodings/external.md):
//!
//! 1. The policy, with the zone's callers denied (`zone_denies`), is the *external*
//!    policy: it allows exactly the requests the policy allows from outside the zone.
//! 2. Each grant (an Allow statement narrowed to one of its principals) that reaches
//!    outside the zone is a finding, with a witness request: one built from the grant
//!    and confirmed by the evaluator, else the counterexample of one check of the grant
//!    with the Deny statements.
//! 3. `check-no-new-access` of the external policy against the findings' grants: a PASS
//!    is the proof that the findings cover every external access. A FAIL (a request
//!    from outside that no finding covers, confirmed by the evaluator) makes the grant
//!    that allows it the next finding and asks again: the loop of find, generalise,
//!    block. Each round adds a (statement, principal) pair that cannot come back, so it
//!    ends. An inconclusive check is an inconclusive analysis, never "no findings".

use std::collections::BTreeMap;

use serde_json::{Value, json};
use thiserror::Error;

use crate::checks::{self, Check, CheckError, Options, Outcome};
use crate::eval::{self, Request};
use crate::policy::{self, Effect, Policy, PolicyError, PolicyType, PrincipalPattern};

/// The resource types the analysis takes.
pub const RESOURCE_TYPES: &[&str] = &[
    "AWS::S3::Bucket",
    "AWS::S3::AccessPoint",
    "AWS::S3::MultiRegionAccessPoint",
    "AWS::S3Express::DirectoryBucket",
    "AWS::IAM::AssumeRolePolicyDocument",
    "AWS::KMS::Key",
    "AWS::SQS::Queue",
    "AWS::SNS::Topic",
    "AWS::SecretsManager::Secret",
    "AWS::Lambda::Function",
    "AWS::ECR::Repository",
    "AWS::EFS::FileSystem",
    "AWS::DynamoDB::Table",
    "AWS::DynamoDB::Stream",
];

/// Who is trusted: the callers of these accounts, or of this organization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Zone {
    /// One account (the analyzer's own), and any others the caller names.
    Accounts(Vec<String>),
    /// An organization, with the member accounts the caller knows of.
    Organization { id: String, accounts: Vec<String> },
}

impl Zone {
    /// `111122223333`, or `o-exampleorgid` with member accounts.
    pub fn parse(zone: &str, accounts: &[String]) -> Result<Zone, ExternalError> {
        let bad = |what: &str| ExternalError::Zone(format!("`{what}`"));
        for a in accounts {
            if !policy::is_account_id(a) {
                return Err(bad(a));
            }
        }
        if policy::is_account_id(zone) {
            let mut all = vec![zone.to_string()];
            all.extend(accounts.iter().filter(|a| *a != zone).cloned());
            return Ok(Zone::Accounts(all));
        }
        let org = zone.strip_prefix("o-").is_some_and(|rest| {
            (10..=32).contains(&rest.len())
                && rest
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        });
        if org {
            return Ok(Zone::Organization {
                id: zone.to_string(),
                accounts: accounts.to_vec(),
            });
        }
        Err(bad(zone))
    }

    fn accounts(&self) -> &[String] {
        match self {
            Zone::Accounts(a) => a,
            Zone::Organization { accounts, .. } => accounts,
        }
    }

    /// The account a resource of the zone belongs to, for the resource-side keys.
    pub fn home_account(&self) -> Option<&str> {
        self.accounts().first().map(String::as_str)
    }
}

impl From<CheckError> for ExternalError {
    fn from(e: CheckError) -> Self {
        ExternalError::Check(e)
    }
}

#[derive(Debug, Error)]
pub enum ExternalError {
    #[error("{input}: {error}")]
    Policy { input: String, error: PolicyError },
    #[error(
        "unknown resource type `{0}`; external access is analysed for {types}",
        types = RESOURCE_TYPES.join(", ")
    )]
    ResourceType(String),
    #[error(
        "zone of trust {0} is neither a 12-digit account id nor an organization id (`o-` and 10 to 32 lower-case letters or digits)"
    )]
    Zone(String),
    #[error(transparent)]
    Check(CheckError),
}

/// How an analysed policy's findings compare with the existing policy's (AWS's
/// `changeType` of an access preview finding).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeType {
    New,
    Changed,
    Unchanged,
}

impl ChangeType {
    pub fn name(self) -> &'static str {
        match self {
            ChangeType::New => "NEW",
            ChangeType::Changed => "CHANGED",
            ChangeType::Unchanged => "UNCHANGED",
        }
    }
}

/// One external access: a principal outside the zone, the actions it may call and the
/// conditions that limit it (AWS's `ExternalAccessDetails`), the statement that grants
/// it, and a request from outside the zone it allows, confirmed by the evaluator.
#[derive(Debug, Clone)]
pub struct ExternalFinding {
    /// `{"AWS": "444455556666"}`, `{"AWS": "*"}`, `{"Service": ...}`, `{"Federated": ...}`.
    pub principal: BTreeMap<String, String>,
    /// The principals a `NotPrincipal` leaves out (the finding's principal is then `*`).
    pub excluded_principals: Vec<String>,
    /// The actions as the statement writes them (`["*"]` for a `NotAction` statement).
    pub action: Vec<String>,
    /// The actions a `NotAction` leaves out.
    pub excluded_actions: Vec<String>,
    /// Each condition key of the statement and its values (comma-separated).
    pub condition: BTreeMap<String, String>,
    /// Whether an unknown caller has this access (`check-no-public-access` on the
    /// statement's grant with the policy's Deny statements).
    pub is_public: bool,
    pub statement_index: usize,
    pub statement_id: Option<String>,
    /// A request from outside the zone that the policy allows.
    pub witness: Request,
    /// Against `--existing-policy-document`.
    pub change_type: Option<ChangeType>,
    /// The grant as a statement (the one that grants it, narrowed to its principal).
    grant: Value,
    /// The grant as a policy document (the analysed document's `Version` kept).
    grant_document: String,
}

impl ExternalFinding {
    /// AWS's `ExternalAccessDetails`, with hornbeam's fields beside them.
    pub fn to_json(&self) -> Value {
        let mut out = json!({
            "principal": self.principal,
            "action": self.action,
            "condition": self.condition,
            "isPublic": self.is_public,
            "statementIndex": self.statement_index,
            "witness": self.witness.to_json(),
        });
        if let Some(sid) = &self.statement_id {
            out["statementId"] = json!(sid);
        }
        if !self.excluded_actions.is_empty() {
            out["excludedActions"] = json!(self.excluded_actions);
        }
        if !self.excluded_principals.is_empty() {
            out["excludedPrincipals"] = json!(self.excluded_principals);
        }
        if let Some(c) = self.change_type {
            out["changeType"] = json!(c.name());
        }
        out
    }

    /// Whether the finding's grant (its statement, narrowed to its principal) allows `r`:
    /// every request from outside the zone the policy allows is allowed by some
    /// finding's grant (the analysis's proof).
    pub fn covers(&self, r: &Request) -> bool {
        policy::parse(&self.grant_document, PolicyType::Resource).is_ok_and(|p| eval::allows(&p, r))
    }

    /// The principal as one line: `AWS:444455556666`.
    pub fn principal_text(&self) -> String {
        self.principal
            .iter()
            .map(|(k, v)| format!("{k}:{v}"))
            .collect::<Vec<_>>()
            .join(",")
    }

    /// Whether this finding's principal is one of `allowed` (account ids, ARNs, service
    /// or provider names: cfn-policy-validator's `--allow-external-principals`). A
    /// public finding is never covered.
    pub fn allowed_by(&self, allowed: &[String]) -> bool {
        if self.is_public {
            return false;
        }
        self.principal.values().all(|v| {
            allowed.iter().any(|a| {
                a == v
                    || policy::is_account_id(a)
                        && crate::pattern::arn_account(v) == Some(a.as_str())
            })
        })
    }
}

/// The analysis's answer.
#[derive(Debug, Clone)]
pub enum Analysis {
    /// Every external access is one of `findings`: the last check proved it.
    Complete {
        findings: Vec<ExternalFinding>,
        /// The proving check's inputs: the external policy and the findings' policy
        /// (`check-no-new-access`, RESOURCE_POLICY), for a proof bundle.
        proof: (String, String),
        checks: usize,
    },
    /// The engine could not decide: the findings found so far, which may not be all.
    Inconclusive {
        findings: Vec<ExternalFinding>,
        why: String,
        checks: usize,
    },
}

impl Analysis {
    pub fn findings(&self) -> &[ExternalFinding] {
        match self {
            Analysis::Complete { findings, .. } | Analysis::Inconclusive { findings, .. } => {
                findings
            }
        }
    }
}

/// What to analyse.
pub struct Input<'a> {
    pub policy: &'a str,
    pub resource_type: &'a str,
    pub zone: &'a Zone,
    /// The policy in place now, for each finding's `changeType`.
    pub existing: Option<&'a str>,
}

/// The statements that deny the zone's callers: in a role trust policy, AWS services
/// (they assume a role only when its own account passes it); its accounts' principals (by
/// `aws:PrincipalAccount`, and `kms:CallerAccount`, which AWS sets to the same account),
/// services acting for its accounts (`aws:SourceAccount`, `aws:SourceOwner`, the account
/// of `aws:SourceArn`), access points of its accounts (`s3:DataAccessPointAccount`), and
/// for an organization its principals and sources (`aws:PrincipalOrgID`,
/// `aws:SourceOrgID`, and the paths under it).
fn zone_denies(zone: &Zone, resource_type: &str) -> Vec<Value> {
    let deny = |sid: &str, condition: Value| json!({"Sid": sid, "Effect": "Deny", "Principal": "*", "Action": "*", "Resource": "*", "Condition": condition});
    let mut out = Vec::new();
    if resource_type == "AWS::IAM::AssumeRolePolicyDocument" {
        // An AWS service assumes a role only when a principal of the role's own account
        // passes it the role (`iam:PassRole`, which works only within an account): a
        // service principal of a trust policy acts inside the zone.
        out.push(json!({"Sid": "HornbeamZoneServices", "Effect": "Deny", "Principal": {"Service": "*"}, "Action": "*"}));
    }
    let accounts = zone.accounts();
    if !accounts.is_empty() {
        for (i, key) in [
            "aws:PrincipalAccount",
            "kms:CallerAccount",
            "aws:SourceAccount",
            "aws:SourceOwner",
            "s3:DataAccessPointAccount",
        ]
        .into_iter()
        .enumerate()
        {
            out.push(deny(
                &format!("HornbeamZoneAccounts{i}"),
                json!({"StringEquals": {key: accounts}}),
            ));
        }
        let arns: Vec<String> = accounts
            .iter()
            .map(|a| format!("arn:*:*:*:{a}:*"))
            .collect();
        for (i, key) in ["aws:SourceArn", "s3:DataAccessPointArn"]
            .into_iter()
            .enumerate()
        {
            out.push(deny(
                &format!("HornbeamZoneArns{i}"),
                json!({"ArnLike": {key: arns}}),
            ));
        }
    }
    if let Zone::Organization { id, .. } = zone {
        for (i, key) in ["aws:PrincipalOrgID", "aws:SourceOrgID"]
            .into_iter()
            .enumerate()
        {
            out.push(deny(
                &format!("HornbeamZoneOrganization{i}"),
                json!({"StringEquals": {key: id}}),
            ));
        }
        for (i, key) in ["aws:PrincipalOrgPaths", "aws:SourceOrgPaths"]
            .into_iter()
            .enumerate()
        {
            out.push(deny(
                &format!("HornbeamZoneOrganizationPaths{i}"),
                json!({"ForAnyValue:StringLike": {key: format!("{id}/*")}}),
            ));
        }
    }
    out
}

/// A parsed input with its JSON: the document's members and its statements as a list.
struct Document {
    policy: Policy,
    members: serde_json::Map<String, Value>,
    statements: Vec<Value>,
}

impl Document {
    fn read(text: &str, input: &str) -> Result<Document, ExternalError> {
        let policy =
            policy::parse(text, PolicyType::Resource).map_err(|error| ExternalError::Policy {
                input: input.to_string(),
                error,
            })?;
        // The parser took it, so it is a JSON object with a statement or a list of them.
        let value: Value =
            serde_json::from_str(text.trim_start_matches('\u{feff}')).unwrap_or(Value::Null);
        let mut members = value.as_object().cloned().unwrap_or_default();
        let statements = match members.remove("Statement") {
            Some(Value::Array(items)) => items,
            Some(one) => vec![one],
            None => Vec::new(),
        };
        Ok(Document {
            policy,
            members,
            statements,
        })
    }

    /// The document with these statements (its `Version` and `Id` kept, so that policy
    /// variables are read as the original reads them).
    fn with(&self, statements: Vec<Value>) -> String {
        let mut members = self.members.clone();
        members.insert("Statement".into(), Value::Array(statements));
        Value::Object(members).to_string()
    }

    fn parse_own(&self, text: &str) -> Result<Policy, ExternalError> {
        policy::parse(text, PolicyType::Resource).map_err(|e| {
            CheckError::Internal(format!("an external-access policy does not parse: {e}")).into()
        })
    }
}

/// The principal an Allow statement's principal item names, for a finding.
fn principal_json(item: &PrincipalPattern) -> (Value, BTreeMap<String, String>) {
    match item {
        PrincipalPattern::Everyone => (json!("*"), BTreeMap::from([("AWS".into(), "*".into())])),
        PrincipalPattern::AnyOfKind(k) => (
            json!({k.name(): "*"}),
            BTreeMap::from([(k.name().to_string(), "*".to_string())]),
        ),
        PrincipalPattern::Account(a) => (
            json!({"AWS": a}),
            BTreeMap::from([("AWS".into(), a.clone())]),
        ),
        PrincipalPattern::Exact(k, v) => (
            json!({k.name(): v}),
            BTreeMap::from([(k.name().to_string(), v.clone())]),
        ),
    }
}

fn strings_of(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(items)) => items
            .iter()
            .map(|i| match i {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .collect(),
        Some(other) => vec![other.to_string()],
        None => Vec::new(),
    }
}

/// Statement `index` as written, narrowed to its principal item `item` (`None`: as it
/// is, for a `NotPrincipal`).
fn narrowed(doc: &Document, index: usize, item: Option<usize>) -> Value {
    let mut grant = doc.statements.get(index).cloned().unwrap_or(Value::Null);
    let set = doc.policy.statements[index].principals.as_ref();
    if let (Some(i), Some(set), Some(obj)) = (item, set, grant.as_object_mut()) {
        obj.insert("Principal".into(), principal_json(&set.items[i]).0);
    }
    grant
}

/// The finding for the principal item `item` (`None`: the statement's `NotPrincipal`) of
/// Allow statement `index`, with the request that showed it.
fn finding(doc: &Document, index: usize, item: Option<usize>, witness: Request) -> ExternalFinding {
    let s = &doc.policy.statements[index];
    let written = doc.statements.get(index).cloned().unwrap_or(Value::Null);
    let grant = narrowed(doc, index, item);
    let (principal, excluded_principals) = match (item, &s.principals) {
        (Some(i), Some(set)) => (principal_json(&set.items[i]).1, Vec::new()),
        (_, set) => {
            let excluded = set
                .iter()
                .flat_map(|s| &s.items)
                .map(|p| principal_json(p).1)
                .flat_map(|m| m.into_iter().map(|(k, v)| format!("{k}:{v}")))
                .collect();
            (BTreeMap::from([("AWS".into(), "*".into())]), excluded)
        }
    };
    let (action, excluded_actions) = match written.get("Action") {
        Some(a) => (strings_of(Some(a)), Vec::new()),
        None => (vec!["*".to_string()], strings_of(written.get("NotAction"))),
    };
    let mut condition = BTreeMap::new();
    if let Some(Value::Object(ops)) = written.get("Condition") {
        for keys in ops.values() {
            if let Value::Object(keys) = keys {
                for (k, v) in keys {
                    let values = strings_of(Some(v)).join(",");
                    condition
                        .entry(k.clone())
                        .and_modify(|e: &mut String| {
                            e.push(',');
                            e.push_str(&values);
                        })
                        .or_insert(values);
                }
            }
        }
    }
    ExternalFinding {
        principal,
        excluded_principals,
        action,
        excluded_actions,
        condition,
        is_public: false,
        statement_index: index,
        statement_id: s.sid.clone(),
        witness,
        change_type: None,
        grant_document: doc.with(vec![grant.clone()]),
        grant,
    }
}

/// The analysis of one policy; `Input::existing` is analysed too, for `changeType`.
pub fn analyze(input: &Input, opts: &Options) -> Result<Analysis, ExternalError> {
    if !RESOURCE_TYPES.contains(&input.resource_type) {
        return Err(ExternalError::ResourceType(input.resource_type.to_string()));
    }
    let mut analysis = analyze_one(input.policy, "--policy-document", input, opts)?;
    if let Some(existing) = input.existing {
        let before = analyze_one(existing, "--existing-policy-document", input, opts)?;
        let old = before.findings();
        let findings = match &mut analysis {
            Analysis::Complete { findings, .. } | Analysis::Inconclusive { findings, .. } => {
                findings
            }
        };
        for f in findings.iter_mut() {
            let same =
                |o: &&ExternalFinding| o.principal == f.principal && o.condition == f.condition;
            f.change_type = Some(match old.iter().find(same) {
                None => ChangeType::New,
                Some(o)
                    if o.action == f.action
                        && o.excluded_actions == f.excluded_actions
                        && o.is_public == f.is_public =>
                {
                    ChangeType::Unchanged
                }
                Some(_) => ChangeType::Changed,
            });
        }
    }
    Ok(analysis)
}

fn analyze_one(
    text: &str,
    input_name: &str,
    input: &Input,
    opts: &Options,
) -> Result<Analysis, ExternalError> {
    let doc = Document::read(text, input_name)?;
    let mut external = doc.statements.clone();
    external.extend(zone_denies(input.zone, input.resource_type));
    let external_text = doc.with(external);
    let external_policy = doc.parse_own(&external_text)?;
    let denies: Vec<Value> = doc
        .policy
        .statements
        .iter()
        .filter(|s| s.effect == Effect::Deny)
        .filter_map(|s| doc.statements.get(s.index).cloned())
        .collect();
    // At most one finding per principal of each Allow statement, and the proof.
    let bound: usize = doc
        .policy
        .statements
        .iter()
        .filter(|s| s.effect == Effect::Allow)
        .map(|s| s.principals.as_ref().map_or(1, |p| p.items.len().max(1)))
        .sum::<usize>()
        + 1;
    let mut findings: Vec<ExternalFinding> = Vec::new();
    let mut seen: Vec<(usize, Option<usize>)> = Vec::new();
    // Each grant first: a request built from it that the evaluator confirms, or else
    // one check of the grant alone with the Denies. Then the proof.
    let mut checks = 0;
    if let Some(why) = grants(
        &doc,
        &external_policy,
        &denies,
        &mut findings,
        &mut seen,
        input.zone,
        input.resource_type,
        opts,
        &mut checks,
    )? {
        return Ok(Analysis::Inconclusive {
            findings,
            why,
            checks,
        });
    }
    for _ in 0..bound {
        let grants: Vec<Value> = findings.iter().map(|f| f.grant.clone()).collect();
        let covered_text = if grants.is_empty() {
            // Nothing found: a policy that allows nothing.
            doc.with(vec![
                json!({"Effect": "Deny", "Principal": "*", "Action": "*", "Resource": "*"}),
            ])
        } else {
            doc.with(grants)
        };
        let covered = doc.parse_own(&covered_text)?;
        let check = Check::NoNewAccess {
            new: &external_policy,
            existing: &covered,
        };
        let mut check_opts = opts.clone();
        check_opts.reasons = false;
        check_opts.expand_actions = false;
        checks += 1;
        match checks::run(&check, &check_opts)? {
            Outcome::Pass { .. } => {
                findings.sort_by_key(|f| f.statement_index);
                if let Some(why) =
                    mark_public(&doc, &denies, &mut findings, input.resource_type, opts)?
                {
                    return Ok(Analysis::Inconclusive {
                        findings,
                        why,
                        checks,
                    });
                }
                return Ok(Analysis::Complete {
                    findings,
                    proof: (external_text, covered_text),
                    checks,
                });
            }
            Outcome::Inconclusive { why, .. } => {
                return Ok(Analysis::Inconclusive {
                    findings,
                    why,
                    checks,
                });
            }
            // A request from outside no finding covers: its grant is the next finding
            // (the loop of DESIGN §10; each grant was looked at already, so this is a
            // disagreement between the grant checks and the whole one, kept sound).
            Outcome::Fail(f) => {
                let r = f.counterexample;
                let (index, item) = grant_of(&doc.policy, &r).ok_or_else(|| {
                    CheckError::Internal(format!(
                        "the external request {} is allowed by no statement of the policy",
                        r.to_json()
                    ))
                })?;
                if seen.contains(&(index, item)) {
                    return Err(CheckError::Internal(format!(
                        "statement {index} was found twice for {}",
                        r.to_json()
                    ))
                    .into());
                }
                seen.push((index, item));
                findings.push(finding(&doc, index, item, r));
            }
        }
    }
    Ok(Analysis::Inconclusive {
        findings,
        why: format!("more than {bound} rounds without a proof"),
        checks,
    })
}

/// Adds a finding for each (Allow statement, principal) that allows a request from
/// outside the zone despite the policy's Deny statements (AWS gives a finding per grant,
/// not a smallest cover); `Some(why)` when one could not be decided.
#[allow(clippy::too_many_arguments)]
fn grants(
    doc: &Document,
    external: &Policy,
    denies: &[Value],
    findings: &mut Vec<ExternalFinding>,
    seen: &mut Vec<(usize, Option<usize>)>,
    zone: &Zone,
    resource_type: &str,
    opts: &Options,
    checks: &mut usize,
) -> Result<Option<String>, ExternalError> {
    let nothing = doc.parse_own(&doc.with(vec![
        json!({"Effect": "Deny", "Principal": "*", "Action": "*", "Resource": "*"}),
    ]))?;
    let mut check_opts = opts.clone();
    check_opts.reasons = false;
    let zone_deny = zone_denies(zone, resource_type);
    for s in doc
        .policy
        .statements
        .iter()
        .filter(|s| s.effect == Effect::Allow)
    {
        let items: Vec<Option<usize>> = match &s.principals {
            Some(set) if !set.negated => (0..set.items.len()).map(Some).collect(),
            _ => vec![None],
        };
        for item in items {
            if seen.contains(&(s.index, item)) {
                continue;
            }
            let grant = narrowed(doc, s.index, item);
            let grant_policy = doc.parse_own(&doc.with(vec![grant.clone()]))?;
            if let Some(w) = witness(doc, external, &grant_policy, s.index, item, zone) {
                seen.push((s.index, item));
                findings.push(finding(doc, s.index, item, w));
                continue;
            }
            let mut statements = denies.to_vec();
            statements.extend(zone_deny.iter().cloned());
            statements.push(grant);
            let alone = doc.parse_own(&doc.with(statements))?;
            let check = Check::NoNewAccess {
                new: &alone,
                existing: &nothing,
            };
            *checks += 1;
            match checks::run(&check, &check_opts)? {
                Outcome::Pass { .. } => {}
                Outcome::Fail(f) => {
                    seen.push((s.index, item));
                    findings.push(finding(doc, s.index, item, f.counterexample));
                }
                Outcome::Inconclusive { why, .. } => return Ok(Some(why)),
            }
        }
    }
    Ok(None)
}

/// Accounts a witness caller may come from: outside any zone the tests and examples use.
const OUTSIDE_ACCOUNTS: [&str; 3] = ["210987654321", "135792468024", "864297531086"];

/// A request from outside the zone built from grant (`index`, `item`) without the
/// solver: its principal, its first action and resource with wildcards filled in, and a
/// value satisfying each condition, kept only if the evaluator confirms that the
/// external policy and the grant both allow it. `None` when the grant is not that
/// simple (a `NotPrincipal`, a negated element, a condition it cannot satisfy
/// directly); the solver then decides.
fn witness(
    doc: &Document,
    external: &Policy,
    grant: &Policy,
    index: usize,
    item: Option<usize>,
    zone: &Zone,
) -> Option<Request> {
    use crate::pattern::Tok;
    use crate::policy::{BaseOp, CondValue, PrincipalKind};
    let s = &doc.policy.statements[index];
    let fill = |toks: &[Tok]| -> String {
        toks.iter()
            .map(|t| match t {
                Tok::Lit(c) => c.to_string(),
                Tok::Any | Tok::AnyNoColon => "x".to_string(),
                Tok::Star | Tok::StarNoColon => "example".to_string(),
            })
            .collect()
    };
    let outside = OUTSIDE_ACCOUNTS
        .iter()
        .find(|a| !zone.accounts().iter().any(|z| z == *a))?;
    let principal = match &s.principals.as_ref()?.items[item?] {
        PrincipalPattern::Everyone => eval::Principal::Anonymous,
        PrincipalPattern::AnyOfKind(PrincipalKind::Aws) => {
            eval::Principal::Aws(format!("arn:aws:iam::{outside}:root"))
        }
        PrincipalPattern::AnyOfKind(_) => return None,
        PrincipalPattern::Account(a) => eval::Principal::Aws(format!("arn:aws:iam::{a}:root")),
        PrincipalPattern::Exact(_, v) if v.contains(['*', '?']) => return None,
        PrincipalPattern::Exact(PrincipalKind::Aws, v) => eval::Principal::Aws(v.clone()),
        PrincipalPattern::Exact(PrincipalKind::Service, v) => eval::Principal::Service(v.clone()),
        PrincipalPattern::Exact(PrincipalKind::Federated, v) => {
            eval::Principal::Federated(v.clone())
        }
        PrincipalPattern::Exact(PrincipalKind::CanonicalUser, v) => {
            eval::Principal::CanonicalUser(v.clone())
        }
    };
    if s.actions.negated || s.resources.as_ref().is_some_and(|r| r.negated) {
        return None;
    }
    let pattern = s.actions.items.first()?;
    let action = if pattern.glob.is_literal() {
        crate::actions::lookup(&pattern.text)?.to_string()
    } else {
        let service = pattern.text.split_once(':')?.0.to_ascii_lowercase();
        crate::actions::of_service(&service)
            .iter()
            .find(|k| pattern.glob.matches(&k.to_string().to_ascii_lowercase()))?
            .to_string()
    };
    let resource = match &s.resources {
        None => format!(
            "arn:aws:iam::{}:role/example",
            zone.home_account().unwrap_or(outside)
        ),
        Some(set) => {
            let glob = set.items.first()?.template.glob()?;
            let text = fill(&glob.toks);
            if text == "example" {
                // `*`: a resource of the action's type.
                crate::actions::resource_arn_formats(&action)
                    .first()
                    .map(|f| checks::filled_format(f, zone.home_account().unwrap_or(outside)))?
            } else {
                text
            }
        }
    };
    let mut context = eval::Context::default();
    context.add("aws:SecureTransport", ["true".to_string()]);
    for c in &s.conditions {
        let value = match (c.operator.base, c.values.first()?) {
            (
                BaseOp::StringEquals
                | BaseOp::StringEqualsIgnoreCase
                | BaseOp::StringLike
                | BaseOp::ArnEquals
                | BaseOp::ArnLike
                | BaseOp::Bool,
                CondValue::Pattern(t),
            ) => fill(&t.glob()?.toks),
            (BaseOp::IpAddress, CondValue::Ip(net)) => net.network().to_string(),
            (BaseOp::Numeric(crate::policy::Cmp::Eq), CondValue::Number(n)) => n.to_string(),
            _ => return None,
        };
        if c.operator.if_exists {
            continue;
        }
        context.remove(&c.key_text);
        context.add(&c.key_text, [value]);
    }
    let anonymous_cannot = context
        .iter()
        .any(|(k, _)| checks::anonymous_lacks(&k.to_ascii_lowercase()));
    let principal = match principal {
        eval::Principal::Anonymous if anonymous_cannot => {
            eval::Principal::Aws(format!("arn:aws:iam::{outside}:root"))
        }
        p => p,
    };
    let mut r = Request {
        principal: Some(principal),
        action,
        resource,
        context,
    };
    r.link_principal_keys().ok()?;
    r.check_types().ok()?;
    (eval::allows(external, &r) && eval::allows(grant, &r)).then_some(r)
}

/// The Allow statement that allows `r` and the principal item of it that names the
/// caller (`None` for a `NotPrincipal`).
fn grant_of(policy: &Policy, r: &Request) -> Option<(usize, Option<usize>)> {
    let e = eval::evaluate(policy, r);
    let index = *e.allowing.first()?;
    let s = &policy.statements[index];
    let Some(set) = &s.principals else {
        return Some((index, None));
    };
    if set.negated {
        return Some((index, None));
    }
    let arn = r.principal_arn();
    let item = match &r.principal {
        Some(p) => set
            .items
            .iter()
            .position(|pp| eval::principal_matches(pp, p, arn.as_deref())),
        None => set
            .items
            .iter()
            .position(|p| *p == PrincipalPattern::Everyone),
    }?;
    Some((index, Some(item)))
}

/// Sets `is_public` on each finding: `check-no-public-access` of its grant with the
/// policy's Deny statements. (Its semantics do not depend on the resource type; a type
/// that check does not list is read as a generic resource.) `Some(why)` when one could
/// not be decided.
fn mark_public(
    doc: &Document,
    denies: &[Value],
    findings: &mut [ExternalFinding],
    resource_type: &str,
    opts: &Options,
) -> Result<Option<String>, ExternalError> {
    let public_type = if checks::validate_resource_type(resource_type).is_ok() {
        resource_type
    } else {
        "AWS::SQS::Queue"
    };
    let mut check_opts = opts.clone();
    check_opts.reasons = false;
    for f in findings.iter_mut() {
        let mut statements = denies.to_vec();
        statements.push(f.grant.clone());
        let policy = doc.parse_own(&doc.with(statements))?;
        let check = Check::NoPublicAccess {
            policy: &policy,
            resource_type: public_type,
        };
        f.is_public = match checks::run(&check, &check_opts)? {
            Outcome::Pass { .. } => false,
            Outcome::Fail(_) => true,
            Outcome::Inconclusive { why, .. } => {
                return Ok(Some(format!(
                    "whether statement {} grants public access could not be decided: {why}",
                    f.statement_index
                )));
            }
        };
    }
    Ok(None)
}

#[cfg(test)]
mod tests;
