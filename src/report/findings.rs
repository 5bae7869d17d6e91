//! Findings about the policies of a template: the JSON shape of cfn-policy-validator
//! (`{"BlockingFindings": [...], "NonBlockingFindings": [...]}`), SARIF 2.1.0 for code
//! scanning, and text.

use serde_json::{Value, json};

use crate::findings::{Code, Finding};

/// One finding in cfn-policy-validator's shape.
fn finding_json(f: &Finding) -> Value {
    json!({
        "findingType": f.code.finding_type(),
        "code": f.code.name(),
        "message": f.message,
        "resourceName": f.resource_name,
        "policyName": f.policy_name,
        "details": f.details,
    })
}

/// cfn-policy-validator's shape.
pub fn to_json(findings: &[Finding]) -> String {
    let (blocking, non): (Vec<&Finding>, Vec<&Finding>) = findings.iter().partition(|f| f.blocking);
    let out = json!({
        "BlockingFindings": blocking.iter().map(|f| finding_json(f)).collect::<Vec<_>>(),
        "NonBlockingFindings": non.iter().map(|f| finding_json(f)).collect::<Vec<_>>(),
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
