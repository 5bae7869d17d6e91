//! The three checks on `tests/data/check_cases.json`: one or more cases per rule of
//! DESIGN.md §2 (each would flip if the rule were broken), AWS's documented examples and
//! the public-access rules. Both encodings must give the expected answer, and every FAIL
//! must come with a counterexample the evaluator confirms.

mod common;

use hornbeam::checks::SolverChoice;
use hornbeam::checks::{Encoding, Options};
use hornbeam::eval;
use serde_json::Value;

fn cases() -> Vec<Value> {
    let text = std::fs::read_to_string(common::repo_path("tests/data/check_cases.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// The evaluator's own confirmation of a counterexample, independent of the runner.
fn confirmed(
    case: &Value,
    r: &hornbeam::checks::Outcome,
    policies: &[hornbeam::policy::Policy],
) -> Result<(), String> {
    let Some(c) = r.counterexample() else {
        return Err("FAIL without a counterexample".into());
    };
    let allows = |i: usize| eval::allows(&policies[i], c);
    let ok = match case["check"].as_str().unwrap() {
        "check-no-new-access" => allows(0) && !allows(1),
        _ => allows(0),
    };
    if ok {
        Ok(())
    } else {
        Err(format!("counterexample not confirmed: {c:?}"))
    }
}

fn run(encoding: Encoding, timeout_ms: u32) {
    run_with(&Options {
        encoding,
        timeout_ms,
        ..Options::default()
    });
}

fn run_with(opts: &Options) {
    let cases = cases();
    let outcomes = common::parallel(&cases, 2, |case| {
        let (r, policies) = common::run_check_with(case, opts);
        let got = common::verdict(&r);
        let mut problems = Vec::new();
        if got != case["expect"] {
            problems.push(format!(
                "expected {}, got {got} {:?}",
                case["expect"],
                r.inconclusive()
            ));
        }
        if got == "FAIL" {
            if let Err(e) = confirmed(case, &r, &policies) {
                problems.push(e);
            }
            if r.reasons().is_empty() {
                problems.push("FAIL without reasons".into());
            }
        }
        problems
            .into_iter()
            .map(|p| format!("{}: {p}", case["name"]))
            .collect::<Vec<_>>()
    });
    let failures: Vec<String> = outcomes.into_iter().flatten().collect();
    assert!(
        failures.is_empty(),
        "{} problems:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn finitized_encoding_answers_every_case() {
    run(Encoding::Finite, 10_000);
}

/// The finitized scripts decided by Z3 instead of the native SAT backend: the two
/// solvers must agree (a translation bug in either would flip a case).
#[test]
fn finitized_encoding_answers_every_case_with_z3_too() {
    run_with(&Options {
        solver: SolverChoice::Z3,
        ..Options::default()
    });
}

#[test]
fn strings_encoding_answers_every_case() {
    run(Encoding::Strings, 60_000);
}

/// Rules only the checks have.
const EXTRA_RULES: &[&str] = &["public"];

#[test]
fn every_rule_and_check_is_covered() {
    let cases = cases();
    for check in [
        "check-no-new-access",
        "check-access-not-granted",
        "check-no-public-access",
    ] {
        for want in ["PASS", "FAIL"] {
            assert!(
                cases
                    .iter()
                    .any(|c| c["check"] == check && c["expect"] == want),
                "no {want} case for {check}"
            );
        }
    }
    for rule in common::RULES
        .iter()
        .copied()
        .chain(EXTRA_RULES.iter().copied())
    {
        assert!(
            cases.iter().any(|c| c["rule"] == rule),
            "no check case for rule `{rule}`"
        );
    }
}
