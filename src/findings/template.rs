//! A template's policies → findings: each principal's whole context (its inline,
//! attached and group policies within its permissions boundary), each resource policy
//! and trust policy on its own, and a `POLICY_NOT_CHECKED` finding for everything that
//! could not be read (a gap the template leaves, a document unknown offline, a resource
//! type a check has no model of).

use std::time::Instant;

use serde_json::{Value, json};
use thiserror::Error;

use super::{Code, Finding, outcome_message};
use crate::checks::{self, Access, Check, CheckError, Options, Outcome};
use crate::context::{NamedPolicy, PolicySet};
use crate::policy::{self, Policy, PolicyType};
use crate::proof::Recipe;
use crate::template::{self, Extracted, Extraction, Kind};

/// Which check runs on each extracted policy.
pub enum Question<'a> {
    NoNewAccess {
        reference: &'a Policy,
        reference_text: &'a str,
        policy_type: PolicyType,
    },
    AccessNotGranted {
        access: &'a [Access],
    },
    NoPublicAccess,
}

impl Question<'_> {
    fn kind(&self) -> checks::Kind {
        match self {
            Question::NoNewAccess { .. } => checks::Kind::NoNewAccess,
            Question::AccessNotGranted { .. } => checks::Kind::AccessNotGranted,
            Question::NoPublicAccess => checks::Kind::NoPublicAccess,
        }
    }
}

/// How a template is checked.
pub struct TemplateCheck<'a> {
    pub question: Question<'a>,
    pub options: &'a Options,
    /// Check each identity document alone instead of each principal's whole context.
    pub per_document: bool,
    /// Customer managed policies the template attaches but does not define:
    /// (ARN, policy, document).
    pub supplied: &'a [(String, NamedPolicy, String)],
    /// Keep each check's recipe and outcome (for proof bundles).
    pub keep_proofs: bool,
}

/// One check a template run made, kept for its proof bundle.
pub struct Checked {
    /// `RESOURCE.POLICY` (or `RESOURCE.EffectivePermissions` for a principal).
    pub label: String,
    /// Its place among the template's checks (names the bundle).
    pub index: usize,
    pub recipe: Recipe,
    pub outcome: Outcome,
    pub ms: f64,
}

/// What checking a template found.
pub struct TemplateFindings {
    pub findings: Vec<Finding>,
    /// Policies and principals checked.
    pub checked: usize,
    /// Policies of the other type than `check-no-new-access`'s reference, not compared.
    pub other_type: usize,
    /// SCPs and RCPs read (valid) but not applied to the template's principals.
    pub organization: usize,
    /// With `keep_proofs`: every check made.
    pub proofs: Vec<Checked>,
}

/// Why a template could not be checked.
#[derive(Debug, Error)]
pub enum TemplateCheckError {
    /// A policy of the template does not parse.
    #[error("line {line}: {resource}.{policy}: the policy is invalid: {message}")]
    InvalidPolicy {
        line: usize,
        resource: String,
        policy: String,
        message: String,
    },
    #[error(transparent)]
    Check(#[from] CheckError),
}

/// Checks every policy of an extracted template: each principal's whole context (or,
/// with `per_document`, each identity document alone, attached ones included), and each
/// other policy on its own. Gaps, unknown documents and policy types a check has no
/// model of are findings too (`POLICY_NOT_CHECKED`), never silent passes.
pub fn check(
    extraction: &Extraction,
    job: &TemplateCheck,
) -> Result<TemplateFindings, TemplateCheckError> {
    let (question, opts, supplied) = (&job.question, job.options, job.supplied);
    let extracted = &extraction.policies;
    let mut proofs = Vec::new();
    let mut found = gap_findings(extraction);
    let mut checked = 0usize;
    let mut other_type = 0usize;
    let mut organization = 0usize;
    // The identity checks read each principal's whole context; the documents attached
    // to a principal are covered by it.
    let by_principal = !job.per_document
        && match &question {
            Question::NoNewAccess { policy_type, .. } => *policy_type == PolicyType::Identity,
            Question::AccessNotGranted { .. } => true,
            Question::NoPublicAccess => false,
        };
    let mut covered = std::collections::BTreeSet::new();
    if by_principal && !extraction.principals.is_empty() {
        for (n, p) in extraction.principals.iter().enumerate() {
            covered.extend(p.policies.iter().copied());
            if let Some(template::Boundary::Policy(i)) = &p.boundary {
                covered.insert(*i);
            }
            let (f, checked_one) = principal_finding(p, n, extracted, supplied, question, opts)?;
            found.extend(f);
            proofs.extend(checked_one.filter(|_| job.keep_proofs));
            checked += 1;
        }
    }
    // Document by document, the policies a principal has by attachment are documents
    // too: each AWS managed policy, each customer managed policy given with --policy;
    // one the template does not define and nobody gave is not checked, and says so.
    let identity_check = match &question {
        Question::NoNewAccess { policy_type, .. } => *policy_type == PolicyType::Identity,
        Question::AccessNotGranted { .. } => true,
        Question::NoPublicAccess => false,
    };
    if !by_principal && identity_check {
        let mut seen = std::collections::BTreeSet::new();
        for p in &extraction.principals {
            let unit = |name: &str, text: &str| Extracted {
                resource: p.resource.clone(),
                resource_type: p.resource_type.clone(),
                policy_name: name.to_string(),
                kind: Kind::Identity,
                line: p.line,
                assumptions: Vec::new(),
                policy: Ok(text.to_string()),
                notes: Vec::new(),
            };
            // (ARN, its name and document or why it is unknown)
            let mut attached: Vec<(String, Attached)> = Vec::new();
            for arn in &p.managed {
                attached.push((arn.clone(), managed_member(arn)));
            }
            for arn in &p.customer {
                attached.push((arn.clone(), customer_member(supplied, arn)));
            }
            for (arn, doc) in attached {
                if !seen.insert((p.resource.clone(), arn.clone())) {
                    continue;
                }
                let (member, text) = match doc {
                    Ok(d) => d,
                    Err(why) => {
                        let name = arn.rsplit('/').next().unwrap_or(&arn).to_string();
                        found.push(finding(
                            &unit(&name, ""),
                            Code::NotChecked,
                            format!(
                                "The policy attached to `{}` was not checked: {why}.",
                                p.resource
                            ),
                            json!({"policyArn": arn}),
                        ));
                        continue;
                    }
                };
                // Read once, by the lookup (an embedded or --policy document).
                let name = &member.name;
                let e = unit(name, &text);
                let t0 = Instant::now();
                let (result, recipe) = one(question, &member.policy, &text, None, opts)?;
                checked += 1;
                if let Some(mut f) = result_finding(&e, question.kind(), &result, "") {
                    f.details["policyArn"] = json!(arn);
                    found.push(f);
                }
                if job.keep_proofs {
                    proofs.push(Checked {
                        label: format!("{}.{name}", p.resource),
                        index: extracted.len() + checked,
                        recipe,
                        outcome: result,
                        ms: t0.elapsed().as_secs_f64() * 1000.0,
                    });
                }
            }
            for (what, why) in &p.unknown {
                found.push(finding(
                    &unit(what, ""),
                    Code::NotChecked,
                    format!("{what} of `{}` was not checked: it is {why}.", p.resource),
                    json!({}),
                ));
            }
        }
    }
    for (index, e) in extracted.iter().enumerate() {
        if covered.contains(&index) {
            continue;
        }
        if let Kind::Organization(control) = e.kind {
            // Read with its own rules; not applied to the template's principals
            // (encodings/context.md, "Templates").
            if let Ok(text) = &e.policy {
                policy::parse_control(text, control).map_err(|err| invalid_in_template(e, err))?;
            }
            organization += 1;
            continue;
        }
        let policy_type = e.kind.policy_type();
        if let Question::NoNewAccess { policy_type: t, .. } = &question
            && *t != policy_type
        {
            other_type += 1;
            continue;
        }
        if matches!(question, Question::NoPublicAccess) && e.kind == Kind::Identity {
            continue;
        }
        let policy_text = match &e.policy {
            Ok(t) => t,
            Err(why) => {
                found.push(finding(
                    e,
                    Code::NotChecked,
                    format!("The policy was not checked: {why}."),
                    json!({}),
                ));
                continue;
            }
        };
        let public_type = match (&question, &e.kind) {
            (Question::NoPublicAccess, Kind::Resource { public_type: None }) => {
                found.push(finding(
                    e,
                    Code::NotChecked,
                    format!(
                        "The public-access check has no model of `{}` resource policies, so this policy was not checked.",
                        e.resource_type
                    ),
                    json!({}),
                ));
                continue;
            }
            (_, Kind::Resource { public_type }) => *public_type,
            _ => None,
        };
        let policy =
            policy::parse(policy_text, policy_type).map_err(|err| invalid_in_template(e, err))?;
        let t0 = Instant::now();
        let (result, recipe) = one(question, &policy, policy_text, public_type, opts)?;
        checked += 1;
        if let Some(f) = result_finding(e, question.kind(), &result, policy_text) {
            found.push(f);
        }
        if job.keep_proofs {
            proofs.push(Checked {
                label: format!("{}.{}", e.resource, e.policy_name),
                index,
                recipe,
                outcome: result,
                ms: t0.elapsed().as_secs_f64() * 1000.0,
            });
        }
    }
    Ok(TemplateFindings {
        findings: found,
        checked,
        other_type,
        organization,
        proofs,
    })
}

/// A policy document of a principal's context, parsed as an identity policy; `Err`
/// says why it cannot be read.
pub fn context_member(name: String, text: &str) -> std::result::Result<NamedPolicy, String> {
    policy::parse(text, PolicyType::Identity)
        .map(|policy| NamedPolicy { name, policy })
        .map_err(|e| e.to_string())
}

/// An AWS managed policy of a principal's context, and its document.
fn managed_member(arn: &str) -> Attached {
    match crate::managed::get(arn) {
        Some(Ok(m)) => context_member(m.name.clone(), &m.document).map(|p| (p, m.document.clone())),
        Some(Err(e)) => Err(e.to_string()),
        None => Err(format!("`{arn}` is not an AWS managed policy ARN")),
    }
}

/// The check of one principal's whole context, as a finding (or none for a PASS).
fn principal_finding(
    p: &template::Principal,
    index: usize,
    extracted: &[Extracted],
    supplied: &[(String, NamedPolicy, String)],
    question: &Question,
    opts: &Options,
) -> Result<(Option<Finding>, Option<Checked>), TemplateCheckError> {
    let customer = |arn: &str| customer_member(supplied, arn);
    let mut notes = Vec::new();
    let mut assumptions = Vec::new();
    let mut problems: Vec<String> = p
        .unknown
        .iter()
        .map(|(what, why)| format!("{what} is {why}"))
        .collect();
    let mut member = |i: usize| -> Option<(NamedPolicy, String)> {
        let e = extracted.get(i)?;
        notes.extend(e.notes.iter().cloned());
        for a in &e.assumptions {
            if !assumptions.contains(a) {
                assumptions.push(a.clone());
            }
        }
        let name = format!("{}.{}", e.resource, e.policy_name);
        match &e.policy {
            Ok(text) => match context_member(name.clone(), text) {
                Ok(m) => Some((m, text.clone())),
                Err(why) => {
                    problems.push(format!("`{name}` is invalid: {why}"));
                    None
                }
            },
            Err(why) => {
                problems.push(format!("`{name}` is unknown: {why}"));
                None
            }
        }
    };
    // The context, and the same as a self-contained policy-set document (proofs).
    let mut set = PolicySet::default();
    let mut documents: Vec<String> = Vec::new();
    for &i in &p.policies {
        if let Some((m, text)) = member(i) {
            set.identity.push(m);
            documents.push(text);
        }
    }
    let boundary = match &p.boundary {
        Some(template::Boundary::Policy(i)) => member(*i),
        Some(template::Boundary::Managed(arn)) => match managed_member(arn) {
            Ok(m) => Some(m),
            Err(why) => {
                problems.push(format!("permissions boundary {why}"));
                None
            }
        },
        Some(template::Boundary::Customer(arn)) => match customer(arn) {
            Ok(m) => Some(m),
            Err(why) => {
                problems.push(format!("permissions boundary {why}"));
                None
            }
        },
        None => None,
    };
    let boundary_document = boundary.as_ref().map(|(_, text)| text.clone());
    set.boundary = boundary.map(|(m, _)| m);
    for arn in &p.managed {
        match managed_member(arn) {
            Ok((m, text)) => {
                set.identity.push(m);
                documents.push(text);
            }
            Err(why) => problems.push(why),
        }
    }
    for arn in &p.customer {
        match customer(arn) {
            Ok((m, text)) => {
                set.identity.push(m);
                documents.push(text);
            }
            Err(why) => problems.push(why),
        }
    }
    let unit = Extracted {
        resource: p.resource.clone(),
        resource_type: p.resource_type.clone(),
        policy_name: PRINCIPAL_POLICY_NAME.into(),
        kind: Kind::Identity,
        line: p.line,
        assumptions,
        policy: Ok(String::new()),
        notes,
    };
    let names: Vec<String> = set.identity.iter().map(|m| m.name.clone()).collect();
    let mut details = json!({"identityPolicies": names});
    if let Some(b) = &set.boundary {
        details["permissionsBoundary"] = json!(b.name);
    }
    if !problems.is_empty() {
        let f = finding(
            &unit,
            Code::NotChecked,
            format!(
                "The permissions of `{}` were not checked: {}.",
                p.resource,
                problems.join("; ")
            ),
            details,
        );
        return Ok((Some(f), None));
    }
    if set.identity.is_empty() {
        // A principal without identity policies is allowed nothing.
        return Ok((None, None));
    }
    let context = set.combined();
    let t0 = Instant::now();
    let as_json = |text: &str| serde_json::from_str::<Value>(text).unwrap_or(Value::Null);
    let mut document =
        json!({"identityPolicies": documents.iter().map(|t| as_json(t)).collect::<Vec<_>>()});
    if let Some(b) = &boundary_document {
        document["permissionsBoundary"] = as_json(b);
    }
    let existing;
    let (check, texts) = match question {
        Question::NoNewAccess {
            reference,
            reference_text,
            ..
        } => {
            existing = PolicySet::single("reference", (*reference).clone()).combined();
            let existing_document = json!({"identityPolicies": [as_json(reference_text)]});
            (
                Check::NoNewAccessContexts {
                    new: &context,
                    existing: &existing,
                },
                vec![document.to_string(), existing_document.to_string()],
            )
        }
        Question::AccessNotGranted { access } => (
            Check::AccessNotGrantedContext {
                context: &context,
                access,
            },
            vec![document.to_string()],
        ),
        Question::NoPublicAccess => return Ok((None, None)),
    };
    let result = checks::run(&check, opts)?;
    let recipe = Recipe::of(&check, texts);
    let ms = t0.elapsed().as_secs_f64() * 1000.0;
    let f = result_finding(&unit, check.kind(), &result, "").map(|mut f| {
        if let Value::Object(m) = &mut f.details
            && let Value::Object(extra) = details
        {
            m.extend(extra);
        }
        f
    });
    let checked = Checked {
        label: format!("{}.{PRINCIPAL_POLICY_NAME}", p.resource),
        index,
        recipe,
        outcome: result,
        ms,
    };
    Ok((f, Some(checked)))
}

/// A policy attached to a principal, parsed, and its document; or why it is unknown.
type Attached = std::result::Result<(NamedPolicy, String), String>;

/// A customer managed policy the template does not define, as given with --policy.
fn customer_member(supplied: &[(String, NamedPolicy, String)], arn: &str) -> Attached {
    supplied
        .iter()
        .find(|(a, _, _)| a == arn)
        .map(|(_, m, text)| (m.clone(), text.clone()))
        .ok_or_else(|| {
            format!(
                "`{arn}` is a customer managed policy the template does not define, so its document is unknown offline (give it with --policy {arn}=FILE)"
            )
        })
}

/// The policy name of a finding about a principal's whole context.
pub const PRINCIPAL_POLICY_NAME: &str = "EffectivePermissions";

/// Runs the check on one policy.
fn one(
    question: &Question,
    policy: &Policy,
    text: &str,
    public_type: Option<&'static str>,
    opts: &Options,
) -> Result<(Outcome, Recipe), TemplateCheckError> {
    let (check, texts) = match question {
        Question::NoNewAccess {
            reference,
            reference_text,
            ..
        } => (
            Check::NoNewAccess {
                new: policy,
                existing: reference,
            },
            vec![text.to_string(), reference_text.to_string()],
        ),
        Question::AccessNotGranted { access } => (
            Check::AccessNotGranted { policy, access },
            vec![text.to_string()],
        ),
        Question::NoPublicAccess => {
            // The caller reports a policy without a type as not checked; reaching here
            // without one is a bug (exit 4), never a guessed type.
            let resource_type = public_type.ok_or_else(|| {
                checks::CheckError::Internal(
                    "a resource policy without a public-access type reached the check".into(),
                )
            })?;
            (
                Check::NoPublicAccess {
                    policy,
                    resource_type,
                },
                vec![text.to_string()],
            )
        }
    };
    Ok((checks::run(&check, opts)?, Recipe::of(&check, texts)))
}

/// The parts of a template that could not be read: a `POLICY_NOT_CHECKED` finding each.
fn gap_findings(extraction: &Extraction) -> Vec<Finding> {
    extraction
        .gaps
        .iter()
        .map(|g| Finding {
            code: Code::NotChecked,
            message: format!("Part of the template was not checked: {}.", g.why),
            resource_name: g.what.clone(),
            resource_type: g.what.clone(),
            policy_name: "*".into(),
            line: g.line,
            details: json!({"line": g.line}),
            blocking: Code::NotChecked.blocks(),
            validation: None,
        })
        .collect()
}

/// ValidatePolicy over every policy of a template (`hornbeam validate`): AWS's findings
/// for each document, as the policy type it is in the template (an identity policy,
/// a resource policy with its type, an SCP or RCP), blocking when their type is in
/// `blocking`. What could not be read, or a document that could not be built, is a
/// blocking `POLICY_NOT_CHECKED`: it was not validated.
pub fn validate(
    extraction: &Extraction,
    blocking: &[crate::validate::FindingType],
) -> Vec<Finding> {
    use crate::validate::{ResourceType, ValidateType, validate_for};
    let mut found = gap_findings(extraction);
    for e in &extraction.policies {
        let text = match &e.policy {
            Ok(text) => text,
            Err(why) => {
                found.push(finding(
                    e,
                    Code::NotChecked,
                    format!("The policy was not validated: {why}."),
                    json!({}),
                ));
                continue;
            }
        };
        let ty = match &e.kind {
            Kind::Identity => ValidateType::Identity,
            Kind::Resource { .. } => ValidateType::Resource,
            Kind::Organization(crate::policy::ControlKind::ServiceControl) => {
                ValidateType::ServiceControl
            }
            Kind::Organization(_) => ValidateType::ResourceControl,
        };
        // The resource type, where ValidatePolicy takes it (role trust policies, S3
        // buckets and access points, DynamoDB tables), as cfn-policy-validator sends it.
        let resource_type = match &e.kind {
            Kind::Resource {
                public_type: Some(t),
            } => ResourceType::parse(t),
            _ => None,
        };
        let document: Value = serde_json::from_str(text).unwrap_or(Value::Null);
        for v in validate_for(text, ty, resource_type) {
            let mut f = finding(
                e,
                Code::Validation,
                v.details.clone(),
                json!({"finding": v.to_json(text), "policyDocument": document}),
            );
            f.blocking = blocking.contains(&v.finding_type);
            f.validation = Some(crate::findings::Validation {
                finding_type: v.finding_type.name(),
                issue_code: v.issue_code.clone(),
                learn_more_link: v.learn_more_link(),
            });
            found.push(f);
        }
    }
    found
}

/// External access over every resource and role trust policy of a template (`hornbeam
/// validate`, as cfn-policy-validator's access previews): an `EXTERNAL_PRINCIPAL`
/// security warning per finding, blocking when SECURITY_WARNING blocks; a finding whose
/// principal is one of `allowed` is left out, as the validator leaves it out (the count
/// of those is returned beside the findings); an undecided analysis is a blocking
/// `CHECK_INCONCLUSIVE`.
pub fn external_access(
    extraction: &Extraction,
    zone: &crate::external::Zone,
    allowed: &[String],
    blocking: &[crate::validate::FindingType],
    opts: &crate::checks::Options,
) -> Result<(Vec<Finding>, usize), crate::checks::CheckError> {
    use crate::external::{self, Analysis, ExternalError, Input};
    let warns = blocking.contains(&crate::validate::FindingType::SecurityWarning);
    let mut found = Vec::new();
    let mut left_out = 0;
    for e in &extraction.policies {
        let (
            Kind::Resource {
                public_type: Some(t),
            },
            Ok(text),
        ) = (&e.kind, &e.policy)
        else {
            continue;
        };
        if !external::RESOURCE_TYPES.contains(t) {
            continue;
        }
        let analysis = match external::analyze(
            &Input {
                policy: text,
                resource_type: t,
                zone,
                existing: None,
            },
            opts,
        ) {
            Ok(a) => a,
            // The document does not parse: ValidatePolicy reports why.
            Err(ExternalError::Policy { .. } | ExternalError::ResourceType(_)) => continue,
            Err(ExternalError::Check(c)) => return Err(c),
            Err(ExternalError::Zone(z)) => {
                return Err(crate::checks::CheckError::Internal(format!("zone {z}")));
            }
        };
        let trust = *t == "AWS::IAM::AssumeRolePolicyDocument";
        if let Analysis::Inconclusive { why, .. } = &analysis {
            found.push(finding(
                e,
                Code::Inconclusive,
                format!("The external access analysis could not decide: {why}."),
                json!({}),
            ));
        }
        for f in analysis.findings() {
            if f.allowed_by(allowed) {
                left_out += 1;
                continue;
            }
            let mut x = finding(
                e,
                Code::ExternalPrincipal,
                if trust {
                    "Trust policy allows access from external principals.".into()
                } else {
                    "Resource policy allows access from external principals.".into()
                },
                f.to_json(),
            );
            x.blocking = warns;
            found.push(x);
        }
    }
    Ok((found, left_out))
}

fn finding(e: &Extracted, code: Code, message: String, details: Value) -> Finding {
    let mut details = details;
    if let Value::Object(m) = &mut details {
        m.insert("resourceType".into(), json!(e.resource_type));
        m.insert("line".into(), json!(e.line));
        if !e.notes.is_empty() {
            m.insert("unresolvedValues".into(), json!(e.notes));
        }
        if !e.assumptions.is_empty() {
            let assumed: serde_json::Map<String, Value> = e
                .assumptions
                .iter()
                .map(|(c, b)| (c.clone(), json!(b)))
                .collect();
            m.insert("assumedConditions".into(), Value::Object(assumed));
        }
    }
    Finding {
        code,
        message,
        resource_name: e.resource.clone(),
        resource_type: e.resource_type.clone(),
        policy_name: e.policy_name.clone(),
        line: e.line,
        details,
        blocking: code.blocks(),
        validation: None,
    }
}

/// The finding a check result gives, if any.
fn result_finding(e: &Extracted, kind: checks::Kind, r: &Outcome, text: &str) -> Option<Finding> {
    let mut details = r.to_json();
    if let Ok(doc) = serde_json::from_str::<Value>(text) {
        details["policyDocument"] = doc;
    }
    let conditions = if e.assumptions.is_empty() {
        String::new()
    } else {
        format!(
            " (when {})",
            e.assumptions
                .iter()
                .map(|(c, b)| format!("condition {c} is {b}"))
                .collect::<Vec<_>>()
                .join(" and ")
        )
    };
    match Code::of(r, kind) {
        None if e.notes.is_empty() => None,
        None => Some(finding(
            e,
            Code::UnresolvedValues,
            format!(
                "{} The policy has {} value(s) unknown offline; the check covered every value they could take{conditions}.",
                r.message(),
                e.notes.len()
            ),
            details,
        )),
        Some(code) => {
            let mut message = outcome_message(r, &conditions);
            if code != Code::Inconclusive && !e.notes.is_empty() {
                message.push_str(" Some values are unknown offline and were taken at their most permissive; see details.unresolvedValues.");
            }
            Some(finding(e, code, message, details))
        }
    }
}

/// A template policy that does not parse, named by template line and resource.
fn invalid_in_template(e: &template::Extracted, err: policy::PolicyError) -> TemplateCheckError {
    // Positions inside the rendered text mean nothing to the user; the pointer does.
    let message = match err {
        policy::PolicyError::Invalid {
            pointer, message, ..
        } => format!("{pointer}: {message}"),
        other => other.to_string(),
    };
    TemplateCheckError::InvalidPolicy {
        line: e.line,
        resource: e.resource.clone(),
        policy: e.policy_name.clone(),
        message,
    }
}
