//! SARIF 2.1.0 for code scanning: one rule per finding code, one result per finding.

use serde_json::{Value, json};

use super::text::counterexample_line;
use crate::findings::{Code, Finding};

/// SARIF 2.1.0: one rule per code, one result per finding with the template as location
/// (an empty `artifact`: each finding's own file, its resource name, as in batch mode).
pub fn findings(findings: &[Finding], artifact: &str) -> String {
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
    let mut rules: Vec<Value> = Code::ALL
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
    // ValidatePolicy findings: a rule per AWS issue code present, linking AWS's
    // reference.
    let mut rule_ids: Vec<String> = Code::ALL.iter().map(|c| c.name().to_string()).collect();
    for v in findings.iter().filter_map(|f| f.validation.as_ref()) {
        if !rule_ids.contains(&v.issue_code) {
            rule_ids.push(v.issue_code.clone());
            rules.push(json!({
                "id": v.issue_code,
                "name": v.issue_code,
                "shortDescription": {"text": format!("IAM Access Analyzer policy check {} ({})", v.issue_code, v.finding_type)},
                "helpUri": v.learn_more_link,
                "defaultConfiguration": {"level": if matches!(v.finding_type, "ERROR" | "SECURITY_WARNING") { "error" } else { "warning" }},
                "properties": {"tags": ["security", "iam"]},
            }));
        }
    }
    let results: Vec<Value> = findings
        .iter()
        .map(|f| {
            let mut text = format!("{}.{}: {}", f.resource_name, f.policy_name, f.message);
            if let Some(c) = counterexample_line(&f.details) {
                text.push_str(&format!(" Counterexample: {c}."));
            }
            json!({
                "ruleId": f.code_name(),
                "ruleIndex": rule_ids.iter().position(|r| r == f.code_name()).unwrap_or(0),
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
    log(rules, artifacts, results)
}

/// One SARIF 2.1.0 run of hornbeam with these rules, artifacts and results.
fn log(rules: Vec<Value>, artifacts: Vec<Value>, results: Vec<Value>) -> String {
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

/// One validated document for [`validation`]: its name (file, or `policy` for inline
/// text), its text and its ValidatePolicy findings.
pub struct Validated<'a> {
    pub uri: &'a str,
    pub text: &'a str,
    pub findings: &'a [crate::validate::Finding],
}

/// SARIF 2.1.0 for `validate-policy`: a rule per AWS issue code present (linking AWS's
/// reference), a result per finding at its first location's span in the document
/// (SARIF's lines and columns count from 1), `error` for a blocking finding type.
pub fn validation(docs: &[Validated], blocking: &[crate::validate::FindingType]) -> String {
    let mut rule_ids: Vec<&str> = Vec::new();
    let mut rules: Vec<Value> = Vec::new();
    let mut results: Vec<Value> = Vec::new();
    for d in docs {
        for f in d.findings {
            if !rule_ids.contains(&f.issue_code.as_str()) {
                rule_ids.push(&f.issue_code);
                rules.push(json!({
                    "id": f.issue_code,
                    "name": f.issue_code,
                    "shortDescription": {"text": format!("IAM Access Analyzer policy check {} ({})", f.issue_code, f.finding_type.name())},
                    "helpUri": f.learn_more_link(),
                    "properties": {"tags": ["security", "iam"]},
                }));
            }
            let region = f.locations.first().map_or(json!({"startLine": 1}), |l| {
                let (start_line, start_column) = crate::validate::line_column(d.text, l.start);
                let (end_line, end_column) = crate::validate::line_column(d.text, l.end);
                json!({
                    "startLine": start_line,
                    "startColumn": start_column,
                    "endLine": end_line,
                    "endColumn": end_column,
                })
            });
            results.push(json!({
                "ruleId": f.issue_code,
                "ruleIndex": rule_ids.iter().position(|r| *r == f.issue_code).unwrap_or(0),
                "level": if blocking.contains(&f.finding_type) { "error" } else { "warning" },
                "message": {"text": f.details},
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": {"uri": d.uri},
                        "region": region,
                    },
                }],
                "properties": {"findingType": f.finding_type.name(), "finding": f.to_json(d.text)},
            }));
        }
    }
    let artifacts = docs
        .iter()
        .map(|d| json!({"location": {"uri": d.uri}}))
        .collect();
    log(rules, artifacts, results)
}

/// SARIF 2.1.0 for `check-external-access`: one rule, a result per finding at the
/// policy document, `error` for a finding whose principal is not allowed.
pub fn external_access(
    findings: &[crate::external::ExternalFinding],
    artifact: &str,
    allowed: &[String],
) -> String {
    let results: Vec<Value> = findings
        .iter()
        .map(|f| {
            let blocking = !f.allowed_by(allowed);
            json!({
                "ruleId": "EXTERNAL_ACCESS",
                "ruleIndex": 0,
                "level": if blocking { "error" } else { "warning" },
                "message": {"text": format!(
                    "{}{} can call {} (statement {})",
                    f.principal_text(),
                    if f.is_public { " (public)" } else { "" },
                    f.action.join(", "),
                    f.statement_index
                )},
                "locations": [{"physicalLocation": {"artifactLocation": {"uri": artifact}}}],
                "properties": f.to_json(),
            })
        })
        .collect();
    let rule = json!({
        "id": "EXTERNAL_ACCESS",
        "name": "EXTERNAL_ACCESS",
        "shortDescription": {"text": "A principal outside the zone of trust can reach the resource"},
        "helpUri": "https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-findings.html",
        "properties": {"tags": ["security", "iam"]},
    });
    log(
        vec![rule],
        vec![json!({"location": {"uri": artifact}})],
        results,
    )
}
