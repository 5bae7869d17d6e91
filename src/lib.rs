#![cfg_attr(
    not(test),
    warn(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]
//! hornbeam: offline proofs about AWS IAM policies.
//!
//! The surface is one call: a [`Check`] names one of Access Analyzer's three custom
//! policy checks with its inputs, [`run`] decides it under [`Options`], and the
//! [`Outcome`] is a PASS (a proof), a FAIL with a counterexample the concrete evaluator
//! confirmed, or inconclusive (never a PASS). Around it:
//!
//! - inputs: [`policy`] parses documents, [`context`] a principal's whole
//!   authorization context (or a whole account), [`template`] CloudFormation templates
//!   and Terraform plans, [`request`] AWS's request bodies;
//! - [`eval`], the concrete evaluator every counterexample is replayed through;
//! - [`findings`] turns a template into findings; [`proof`] writes and verifies proof
//!   bundles;
//! - [`server`] answers the Access Analyzer API over HTTP, [`cli`] the command line.
//!
//! The stages in between (patterns, the encoders, the solvers, the report emitters)
//! are private: `checks` is their only way in, as the one module that runs them.

pub use checks::{Check, CheckError, Encoding, Options, Outcome, run};

pub mod actions;
pub mod checks;
pub mod cli;
pub mod context;
pub mod eval;
pub mod external;
pub mod findings;
mod json;
pub mod keys;
mod managed;
mod pattern;
pub mod policy;
pub mod proof;
pub mod references;
pub mod regions;
mod report;
pub mod request;
pub mod server;
mod smt;
pub mod template;
pub mod validate;
