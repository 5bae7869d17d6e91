//! Output: JSON for machines, text for people.

pub mod findings;

use serde_json::{Value, json};

use crate::checks::{Outcome, Verdict};
use crate::eval::{self, Evaluation, Request};
use crate::policy::{Effect, Policy, Statement};

fn effect_name(e: Effect) -> &'static str {
    match e {
        Effect::Allow => "Allow",
        Effect::Deny => "Deny",
    }
}

/// A statement reference in AWS's shape: index, plus Sid when present.
pub fn statement_ref(s: &Statement) -> Value {
    let mut v = json!({"statementIndex": s.index, "effect": effect_name(s.effect)});
    if let Some(sid) = &s.sid {
        v["statementId"] = json!(sid);
    }
    v
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

pub fn simulation_json(policy: &Policy, r: &Request, e: &Evaluation) -> String {
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
    let out = json!({
        "decision": e.decision.to_string(),
        "policyType": policy.policy_type.to_string(),
        "request": r.to_json(),
        "allowingStatements": e.allowing,
        "denyingStatements": e.denying,
        "statements": statements,
    });
    serde_json::to_string_pretty(&out).unwrap_or_default()
}

pub fn simulation_text(policy: &Policy, r: &Request, e: &Evaluation) -> String {
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

/// A check's outcome in AWS's response shape plus the counterexample.
pub fn check_json(o: &Outcome) -> String {
    serde_json::to_string_pretty(&check_value(o)).unwrap_or_default()
}

/// The JSON value of a check's outcome: AWS's response shape (an inconclusive analysis
/// is a FAIL whose last reason says why) plus the counterexample.
pub fn check_value(o: &Outcome) -> Value {
    let mut reasons: Vec<Value> = o
        .reasons()
        .iter()
        .map(|x| {
            let mut v = json!({"description": x.description, "statementIndex": x.statement_index});
            if let Some(sid) = &x.statement_id {
                v["statementId"] = json!(sid);
            }
            v
        })
        .collect();
    if let Some(why) = o.inconclusive() {
        reasons.push(json!({"description": why}));
    }
    let mut out = json!({
        "result": match o.verdict() { Verdict::Pass => "PASS", Verdict::Fail => "FAIL" },
        "message": o.message(),
        "reasons": reasons,
    });
    if let Some(c) = o.counterexample() {
        out["counterexample"] = c.to_json();
    }
    if let Some(e) = o.expanded_actions() {
        out["expandedActions"] = expansion_json(e);
    }
    out
}

/// `{"source", "count", "byAccessLevel", "actions", "incomplete"?}`.
fn expansion_json(e: &crate::checks::Expansion) -> Value {
    let mut out = json!({
        "source": crate::actions::source(),
        "count": e.actions.len(),
        "byAccessLevel": by_level(e)
            .into_iter()
            .map(|(l, n)| (l.to_string(), json!(n)))
            .collect::<serde_json::Map<_, _>>(),
        "actions": e.actions.iter().map(|a| a.to_string()).collect::<Vec<_>>(),
    });
    if let Some(why) = &e.incomplete {
        out["incomplete"] = json!(why);
    }
    out
}

fn by_level(
    e: &crate::checks::Expansion,
) -> std::collections::BTreeMap<crate::actions::AccessLevel, usize> {
    let mut m = std::collections::BTreeMap::new();
    for a in &e.actions {
        *m.entry(a.level).or_insert(0) += 1;
    }
    m
}

/// How many actions text output lists before summarizing the rest.
const TEXT_ACTIONS: usize = 40;

fn expansion_text(e: &crate::checks::Expansion) -> String {
    let levels: Vec<String> = by_level(e)
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

/// A short human explanation: verdict, reasons, the request and why each policy decides
/// as it does.
pub fn check_text(o: &Outcome, policies: &[(&str, &Policy)]) -> String {
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
