//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::PathBuf;

use hornbeam::eval::{Context, Request};
use serde_json::Value;

pub fn repo_path(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// The shared conformance folder, `../shared/conformance/` next to the checkout.
pub fn conformance_dir() -> PathBuf {
    repo_path("../shared/conformance")
}

/// Reads the evaluator table.
pub fn eval_cases() -> Vec<Value> {
    let text = std::fs::read_to_string(repo_path("tests/data/eval_cases.json"))
        .expect("tests/data/eval_cases.json");
    serde_json::from_str(&text).expect("eval_cases.json is JSON")
}

/// Builds a request from `{"principal","action","resource","context"}`.
pub fn request_from_json(v: &Value) -> Request {
    let mut context = Context::default();
    if let Some(ctx) = v.get("context").and_then(Value::as_object) {
        for (k, val) in ctx {
            let values: Vec<String> = match val {
                Value::Array(items) => items
                    .iter()
                    .map(|i| i.as_str().expect("string context values").to_string())
                    .collect(),
                Value::String(s) => vec![s.clone()],
                other => vec![other.to_string()],
            };
            context.add(k, values);
        }
    }
    let mut r = Request {
        principal: v
            .get("principal")
            .and_then(Value::as_str)
            .map(|p| p.parse().expect("test principal")),
        action: v["action"].as_str().expect("action").to_string(),
        resource: v["resource"].as_str().expect("resource").to_string(),
        context,
    };
    r.link_principal_keys().expect("consistent test request");
    r
}
