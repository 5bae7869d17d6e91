//! JSON: a check's outcome as AWS answers it, a simulation, and findings in
//! cfn-policy-validator's shape.

use serde_json::{Value, json};

use super::effect_name;
use super::text::outcome_text;
use crate::checks::Outcome;
use crate::eval::{Evaluation, Request};
use crate::findings::Finding;
use crate::policy::{Policy, Statement};

/// A check's outcome, pretty-printed ([`Outcome::to_json`]).
pub fn check(o: &Outcome) -> String {
    serde_json::to_string_pretty(&o.to_json()).unwrap_or_default()
}

/// A statement reference in AWS's shape: index, plus Sid when present.
pub fn statement_ref(s: &Statement) -> Value {
    let mut v = json!({"statementIndex": s.index, "effect": effect_name(s.effect)});
    if let Some(sid) = &s.sid {
        v["statementId"] = json!(sid);
    }
    v
}

pub fn simulation(policy: &Policy, r: &Request, e: &Evaluation) -> Value {
    let statements: Vec<Value> = policy
        .statements
        .iter()
        .zip(&e.outcomes)
        .map(|(s, o)| {
            let mut v = statement_ref(s);
            v["outcome"] = json!(outcome_text(s, o));
            v
        })
        .collect();
    json!({
        "decision": e.decision.to_string(),
        "policyType": policy.policy_type.to_string(),
        "request": r.to_json(),
        "allowingStatements": e.allowing,
        "denyingStatements": e.denying,
        "statements": statements,
    })
}

/// One finding in cfn-policy-validator's shape.
fn finding_json(f: &Finding) -> Value {
    json!({
        "findingType": f.finding_type(),
        "code": f.code_name(),
        "message": f.message,
        "resourceName": f.resource_name,
        "policyName": f.policy_name,
        "details": f.details,
    })
}

/// cfn-policy-validator's shape.
pub fn findings(findings: &[Finding]) -> String {
    let (blocking, non): (Vec<&Finding>, Vec<&Finding>) = findings.iter().partition(|f| f.blocking);
    let out = json!({
        "BlockingFindings": blocking.iter().map(|f| finding_json(f)).collect::<Vec<_>>(),
        "NonBlockingFindings": non.iter().map(|f| finding_json(f)).collect::<Vec<_>>(),
    });
    serde_json::to_string_pretty(&out).unwrap_or_default()
}
