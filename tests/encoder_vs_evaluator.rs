//! The encoder's reading of every rule against the evaluator's: on each request of the
//! semantics table, the formulas the encoder builds (evaluated concretely) must decide
//! exactly as `eval::evaluate` does. Both SMT lowerings are built from these formulas.

mod common;

use hornbeam::checks::encoded_allows;
use hornbeam::eval::{self, Decision};
use hornbeam::policy::{self, PolicyType};

#[test]
fn encoder_and_evaluator_agree_on_every_table_case() {
    let mut failures = Vec::new();
    for case in common::eval_cases() {
        let policy_type: PolicyType = case["type"].as_str().unwrap().parse().unwrap();
        let policy = policy::parse(
            &serde_json::to_string(&case["policy"]).unwrap(),
            policy_type,
        )
        .unwrap();
        let request = common::request_from_json(&case["request"]);
        let evaluator = eval::evaluate(&policy, &request).decision == Decision::Allowed;
        if encoded_allows(&policy, &request) != evaluator {
            failures.push(format!("{}: evaluator says {evaluator}", case["name"]));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
