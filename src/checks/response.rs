//! A check's outcome in AWS's response shape (`result`, `message`, `reasons`), plus
//! the counterexample and the expanded actions hornbeam adds: what the server answers,
//! what `--output json` prints, and the `details` of every finding.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::{Expansion, Outcome, Verdict};
use crate::actions::AccessLevel;

impl Outcome {
    /// AWS's response shape: an inconclusive analysis is a FAIL whose last reason says
    /// why.
    pub fn to_json(&self) -> Value {
        let mut reasons: Vec<Value> = self
            .reasons()
            .iter()
            .map(|x| {
                let mut v =
                    json!({"description": x.description, "statementIndex": x.statement_index});
                if let Some(sid) = &x.statement_id {
                    v["statementId"] = json!(sid);
                }
                v
            })
            .collect();
        if let Some(why) = self.inconclusive() {
            reasons.push(json!({"description": why}));
        }
        let mut out = json!({
            "result": match self.verdict() { Verdict::Pass => "PASS", Verdict::Fail => "FAIL" },
            "message": self.message(),
            "reasons": reasons,
        });
        if let Some(c) = self.counterexample() {
            out["counterexample"] = c.to_json();
        }
        if let Some(e) = self.expanded_actions() {
            out["expandedActions"] = e.to_json();
        }
        out
    }
}

impl Expansion {
    /// `{"source", "count", "byAccessLevel", "actions", "incomplete"?}`.
    pub fn to_json(&self) -> Value {
        let mut out = json!({
            "source": crate::actions::source(),
            "count": self.actions.len(),
            "byAccessLevel": self.by_level()
                .into_iter()
                .map(|(l, n)| (l.to_string(), json!(n)))
                .collect::<serde_json::Map<_, _>>(),
            "actions": self.actions.iter().map(|a| a.to_string()).collect::<Vec<_>>(),
        });
        if let Some(why) = &self.incomplete {
            out["incomplete"] = json!(why);
        }
        out
    }

    /// How many of the actions each access level has.
    pub fn by_level(&self) -> BTreeMap<AccessLevel, usize> {
        let mut m = BTreeMap::new();
        for a in &self.actions {
            *m.entry(a.level).or_insert(0) += 1;
        }
        m
    }
}
