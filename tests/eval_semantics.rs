//! The evaluator against the semantics table `tests/data/eval_cases.json`: at least one
//! case per rule of DESIGN.md §2, each written so that breaking the rule flips it.

mod common;

use std::collections::BTreeSet;

use hornbeam::eval::evaluate;
use hornbeam::policy::{self, PolicyType};

#[test]
fn every_case_of_the_semantics_table_holds() {
    let cases = common::eval_cases();
    let mut failures = Vec::new();
    for case in &cases {
        let name = case["name"].as_str().unwrap_or("?");
        let policy_type: PolicyType = case["type"].as_str().unwrap().parse().unwrap();
        let text = serde_json::to_string(&case["policy"]).unwrap();
        let policy = match policy::parse(&text, policy_type) {
            Ok(p) => p,
            Err(e) => {
                failures.push(format!("{name}: policy rejected: {e}"));
                continue;
            }
        };
        let request = common::request_from_json(&case["request"]);
        let got = evaluate(&policy, &request).decision.to_string();
        if got != case["expect"].as_str().unwrap() {
            failures.push(format!("{name}: expected {}, got {got}", case["expect"]));
        }
    }
    assert!(
        failures.is_empty(),
        "{} failing cases:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn the_table_covers_every_rule_with_both_outcomes() {
    let cases = common::eval_cases();
    let rules: BTreeSet<&str> = cases.iter().filter_map(|c| c["rule"].as_str()).collect();
    for rule in common::RULES.iter().copied() {
        assert!(rules.contains(rule), "no case for rule `{rule}`");
        let outcomes: BTreeSet<&str> = cases
            .iter()
            .filter(|c| c["rule"] == rule)
            .filter_map(|c| c["expect"].as_str())
            .collect();
        assert!(
            outcomes.contains("ALLOWED") && outcomes.len() > 1,
            "rule `{rule}` needs an allowed and a denied case, has {outcomes:?}"
        );
    }
}
