//! Findings about the policies of a template: the JSON shape of cfn-policy-validator
//! (`{"BlockingFindings": [...], "NonBlockingFindings": [...]}`), SARIF 2.1.0 for code
//! scanning, and text.

use serde_json::{Value, json};

use crate::checks::{Kind, Outcome};

/// What a finding is about; each code is one SARIF rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    NewAccess,
    AccessGranted,
    PublicAccess,
    Inconclusive,
    NotChecked,
    UnresolvedValues,
}

impl Code {
    pub const ALL: [Code; 6] = [
        Code::NewAccess,
        Code::AccessGranted,
        Code::PublicAccess,
        Code::Inconclusive,
        Code::NotChecked,
        Code::UnresolvedValues,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Code::NewAccess => "NEW_ACCESS",
            Code::AccessGranted => "ACCESS_GRANTED",
            Code::PublicAccess => "PUBLIC_ACCESS",
            Code::Inconclusive => "CHECK_INCONCLUSIVE",
            Code::NotChecked => "POLICY_NOT_CHECKED",
            Code::UnresolvedValues => "UNRESOLVED_VALUES",
        }
    }

    /// The finding a check's outcome is: none for a PASS.
    pub fn of(outcome: &Outcome, kind: Kind) -> Option<Code> {
        Some(match (outcome, kind) {
            (Outcome::Pass { .. }, _) => return None,
            (Outcome::Inconclusive { .. }, _) => Code::Inconclusive,
            (Outcome::Fail(_), Kind::NoNewAccess) => Code::NewAccess,
            (Outcome::Fail(_), Kind::AccessNotGranted) => Code::AccessGranted,
            (Outcome::Fail(_), Kind::NoPublicAccess) => Code::PublicAccess,
        })
    }

    /// cfn-policy-validator's finding type.
    pub fn finding_type(self) -> &'static str {
        match self {
            Code::NewAccess | Code::AccessGranted | Code::PublicAccess => "SECURITY_WARNING",
            Code::Inconclusive | Code::NotChecked => "ERROR",
            Code::UnresolvedValues => "WARNING",
        }
    }

    /// Whether the finding blocks unless told otherwise.
    pub fn blocks(self) -> bool {
        !matches!(self, Code::UnresolvedValues)
    }

    fn description(self) -> &'static str {
        match self {
            Code::NewAccess => "The policy grants access that the reference policy does not grant.",
            Code::AccessGranted => {
                "The policy grants at least one of the listed actions or resources."
            }
            Code::PublicAccess => {
                "The resource policy allows access by callers outside any trusted account."
            }
            Code::Inconclusive => {
                "The analysis could not decide the check (a time limit or an unsupported construct); it is not a pass."
            }
            Code::NotChecked => {
                "The policy could not be checked (its document is unknown offline, or the check has no model of its resource type); it is not a pass."
            }
            Code::UnresolvedValues => {
                "Some values of the policy are unknown offline; the check covered every value they could take, so a pass still holds."
            }
        }
    }
}

/// A finding's message for a check's outcome: why it could not decide, or AWS's
/// message followed by the reasons (`qualifier`, e.g. the template conditions assumed,
/// follows the message).
pub fn outcome_message(o: &Outcome, qualifier: &str) -> String {
    if let Some(why) = o.inconclusive() {
        return format!("The check could not decide{qualifier}: {why}");
    }
    let mut message = format!("{}{qualifier}", o.message());
    for reason in o.reasons() {
        message.push(' ');
        message.push_str(&reason.description);
    }
    message
}

/// One finding about one policy of a template.
#[derive(Debug, Clone)]
pub struct Finding {
    pub code: Code,
    pub message: String,
    /// The logical id or Terraform address.
    pub resource_name: String,
    pub resource_type: String,
    pub policy_name: String,
    /// Line of the policy in the template.
    pub line: usize,
    /// The check's JSON result and the notes on unknown values.
    pub details: Value,
    pub blocking: bool,
}

impl Finding {
    /// `--ignore-finding` matches a resource, `RESOURCE.POLICY`, or a code.
    pub fn matches(&self, pattern: &str) -> bool {
        pattern == self.resource_name
            || pattern == format!("{}.{}", self.resource_name, self.policy_name)
            || pattern == self.code.name()
    }

    fn json(&self) -> Value {
        json!({
            "findingType": self.code.finding_type(),
            "code": self.code.name(),
            "message": self.message,
            "resourceName": self.resource_name,
            "policyName": self.policy_name,
            "details": self.details,
        })
    }
}

/// cfn-policy-validator's shape.
pub fn to_json(findings: &[Finding]) -> String {
    let (blocking, non): (Vec<&Finding>, Vec<&Finding>) = findings.iter().partition(|f| f.blocking);
    let out = json!({
        "BlockingFindings": blocking.iter().map(|f| f.json()).collect::<Vec<_>>(),
        "NonBlockingFindings": non.iter().map(|f| f.json()).collect::<Vec<_>>(),
    });
    serde_json::to_string_pretty(&out).unwrap_or_default()
}

/// A one-line summary of a counterexample, for messages.
pub fn counterexample_line(details: &Value) -> Option<String> {
    let c = details.get("counterexample")?;
    let mut parts = Vec::new();
    for key in ["principal", "action", "resource"] {
        if let Some(v) = c.get(key) {
            let shown = match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            parts.push(format!("{key} {shown}"));
        }
    }
    if let Some(Value::Object(ctx)) = c.get("context")
        && !ctx.is_empty()
    {
        parts.push(format!("context {}", Value::Object(ctx.clone())));
    }
    Some(parts.join(", "))
}

/// SARIF 2.1.0: one rule per code, one result per finding with the template as location
/// (an empty `artifact`: each finding's own file, its resource name, as in batch mode).
pub fn to_sarif(findings: &[Finding], artifact: &str) -> String {
    let mut files: Vec<&str> = if artifact.is_empty() {
        findings.iter().map(|f| f.resource_name.as_str()).collect()
    } else {
        vec![artifact]
    };
    files.dedup();
    let artifacts: Vec<Value> = files
        .iter()
        .map(|f| json!({"location": {"uri": f}}))
        .collect();
    let rules: Vec<Value> = Code::ALL
        .iter()
        .map(|c| {
            json!({
                "id": c.name(),
                "name": c.name(),
                "shortDescription": {"text": c.description()},
                "fullDescription": {"text": c.description()},
                "defaultConfiguration": {"level": if c.blocks() { "error" } else { "warning" }},
                "properties": {"tags": ["security", "iam"]},
            })
        })
        .collect();
    let results: Vec<Value> = findings
        .iter()
        .map(|f| {
            let mut text = format!("{}.{}: {}", f.resource_name, f.policy_name, f.message);
            if let Some(c) = counterexample_line(&f.details) {
                text.push_str(&format!(" Counterexample: {c}."));
            }
            json!({
                "ruleId": f.code.name(),
                "ruleIndex": Code::ALL.iter().position(|c| *c == f.code).unwrap_or(0),
                "level": if f.blocking { "error" } else { "warning" },
                "message": {"text": text},
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": {"uri": if artifact.is_empty() { &f.resource_name } else { artifact }},
                        "region": {"startLine": f.line.max(1)},
                    },
                    "logicalLocations": [{
                        "name": f.policy_name,
                        "fullyQualifiedName": format!("{}.{}", f.resource_name, f.policy_name),
                        "kind": "resource",
                    }],
                }],
                "properties": {
                    "resourceType": f.resource_type,
                    "blocking": f.blocking,
                    "details": f.details,
                },
            })
        })
        .collect();
    let out = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "hornbeam",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            "artifacts": artifacts,
            "results": results,
        }],
    });
    serde_json::to_string_pretty(&out).unwrap_or_default()
}

/// One line per finding, details indented, and a summary.
pub fn to_text(findings: &[Finding], artifact: &str, summary: &str) -> String {
    let mut out = String::new();
    for f in findings {
        out.push_str(&format!(
            "{} {} {}.{} ({}, {}:{}): {}\n",
            if f.blocking {
                "BLOCKING    "
            } else {
                "NON-BLOCKING"
            },
            f.code.name(),
            f.resource_name,
            f.policy_name,
            f.resource_type,
            artifact,
            f.line,
            f.message
        ));
        if let Some(c) = counterexample_line(&f.details) {
            out.push_str(&format!("    counterexample: {c}\n"));
        }
        if let Some(Value::Array(notes)) = f.details.get("unresolvedValues") {
            for n in notes {
                out.push_str(&format!(
                    "    unknown: {}\n",
                    n.as_str().unwrap_or_default()
                ));
            }
        }
    }
    out.push_str(summary);
    out
}
