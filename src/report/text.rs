//! Text for people: a check's verdict, reasons and counterexample with why each policy
//! decides as it does, a simulation, and findings with a summary line.

use serde_json::Value;

use super::effect_name;
use crate::checks::{Expansion, Outcome};
use crate::eval::{self, Evaluation, Request};
use crate::findings::Finding;
use crate::policy::{Policy, Statement};

/// A short human explanation: verdict, reasons, the request and why each policy decides
/// as it does.
pub fn check(o: &Outcome, policies: &[(&str, &Policy)]) -> String {
    let mut out = format!(
        "{}: {}\n",
        match o {
            Outcome::Pass { .. } => "PASS",
            Outcome::Inconclusive { .. } => "INCONCLUSIVE (reported as FAIL)",
            Outcome::Fail(_) => "FAIL",
        },
        o.message()
    );
    if let Some(why) = o.inconclusive() {
        out += &format!("  {why}\n");
    }
    for reason in o.reasons() {
        out += &format!("  reason: {}\n", reason.description);
    }
    if let Some(c) = o.counterexample() {
        out += "counterexample request:\n";
        if let Some(p) = &c.principal {
            out += &format!("  principal: {p}\n");
        }
        out += &format!("  action:    {}\n  resource:  {}\n", c.action, c.resource);
        for (k, v) in c.context.iter() {
            out += &format!("  context:   {k} = {}\n", v.join(", "));
        }
        for (name, p) in policies {
            out += &explain(p, c, name);
        }
    }
    if let Some(e) = o.expanded_actions() {
        out += &expansion_text(e);
    }
    out.trim_end().to_string()
}

pub fn simulation(policy: &Policy, r: &Request, e: &Evaluation) -> String {
    let mut out = format!("{}\n", e.decision);
    if let Some(p) = &r.principal {
        out += &format!("  principal: {p}\n");
    }
    out += &format!("  action:    {}\n  resource:  {}\n", r.action, r.resource);
    for (k, v) in r.context.iter() {
        out += &format!("  context:   {k} = {}\n", v.join(", "));
    }
    out += &statement_lines(policy, e, "  ");
    out.trim_end().to_string()
}

/// Words for why a statement does or does not apply.
pub fn outcome_text(s: &Statement, o: &eval::Outcome) -> String {
    match o {
        eval::Outcome::Applies => "applies".into(),
        eval::Outcome::PrincipalDiffers => "principal does not match".into(),
        eval::Outcome::ActionDiffers => "action does not match".into(),
        eval::Outcome::ResourceDiffers => "resource does not match".into(),
        eval::Outcome::ConditionFalse(i) => match s.conditions.get(*i) {
            Some(c) => format!("condition `{}` on `{}` is false", c.operator, c.key_text),
            None => "a condition is false".into(),
        },
    }
}

/// How many actions text output lists before summarizing the rest.
const TEXT_ACTIONS: usize = 40;

fn expansion_text(e: &Expansion) -> String {
    let levels: Vec<String> = e
        .by_level()
        .into_iter()
        .map(|(l, n)| format!("{l} {n}"))
        .collect();
    let mut out = format!(
        "known actions with this access: {}{}\n",
        e.actions.len(),
        if levels.is_empty() {
            String::new()
        } else {
            format!(" ({})", levels.join(", "))
        }
    );
    if !e.actions.is_empty() {
        let shown: Vec<String> = e
            .actions
            .iter()
            .take(TEXT_ACTIONS)
            .map(|a| a.to_string())
            .collect();
        out += &format!("  {}", shown.join(", "));
        if e.actions.len() > TEXT_ACTIONS {
            out += &format!(
                ", ... and {} more (all with --output json)",
                e.actions.len() - TEXT_ACTIONS
            );
        }
        out += "\n";
    }
    if let Some(why) = &e.incomplete {
        out += &format!("  incomplete: {why}\n");
    }
    out += &format!("  (action list: {})\n", crate::actions::source());
    out
}

/// Why each statement of a policy applies or not to a request, one line each.
fn explain(policy: &Policy, r: &Request, name: &str) -> String {
    let e = crate::eval::evaluate(policy, r);
    format!(
        "  {name} policy: {}\n{}",
        e.decision,
        statement_lines(policy, &e, "    ")
    )
}

/// One line per statement: which it is and why it does or does not apply.
pub fn statement_lines(policy: &Policy, e: &Evaluation, indent: &str) -> String {
    policy
        .statements
        .iter()
        .zip(&e.outcomes)
        .map(|(s, o)| {
            format!(
                "{indent}statement {} ({}, {}): {}\n",
                s.index,
                s.label(),
                effect_name(s.effect),
                outcome_text(s, o)
            )
        })
        .collect()
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

/// One line per finding, details indented, and a summary.
pub fn findings(findings: &[Finding], artifact: &str, summary: &str) -> String {
    let mut out = String::new();
    for f in findings {
        out.push_str(&format!(
            "{} {} {}.{} ({}, {}:{}): {}\n",
            if f.blocking {
                "BLOCKING    "
            } else {
                "NON-BLOCKING"
            },
            f.code_name(),
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
