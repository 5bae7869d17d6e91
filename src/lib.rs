//! hornbeam: offline proofs about AWS IAM policies.
//!
//! Layers, top to bottom: [`policy`] (JSON → AST), [`pattern`] (wildcards, ARNs,
//! variables), [`eval`] (the concrete evaluator), [`report`] (output), [`cli`] and
//! [`server`] (the same checks over AWS's HTTP API).

pub use checks::{Check, CheckError, Encoding, Options, Outcome, run};

pub mod actions;
pub mod checks;
pub mod cli;
pub mod context;
pub mod eval;
pub mod findings;
pub mod json;
pub mod keys;
pub mod managed;
pub mod pattern;
pub mod policy;
pub mod proof;
pub mod references;
pub mod report;
pub mod request;
pub mod server;
pub mod smt;
pub mod template;
