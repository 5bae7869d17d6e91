//! Proof bundles for auditors: the exact inputs with their SHA-256, a self-contained
//! SMT-LIB query in the plain strings encoding (`unsat` exactly when the check passes),
//! and a report; `verify` recomputes the hashes, regenerates the query, and re-solves it
//! with libz3 (loaded in-process) and with any `z3` / `cvc5` binary on PATH.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use thiserror::Error;

use crate::checks::{Access, Check, Kind, Outcome};
use crate::context::Combined;
use crate::policy::{self, PolicyType};
use crate::request::{self, Body};
use crate::smt::Answer;
use crate::smt::backend::{self, Solver};

#[derive(Debug, Error)]
pub enum ProofError {
    // The I/O error is part of the message, not a source: the CLI prints a chain of
    // sources, which said "No such file or directory" twice.
    #[error("cannot write `{path}`: {error}")]
    Write { path: String, error: std::io::Error },
    #[error("cannot read `{path}`: {error}")]
    Read { path: String, error: std::io::Error },
    #[error("`{path}` is not a proof bundle report: {why}")]
    BadReport { path: String, why: String },
    #[error("the inputs of the bundle cannot be analysed: {0}")]
    Inputs(String),
}

/// Everything needed to state a check again: the check, its arguments and the input
/// documents exactly as given (field name as in the AWS request, text).
#[derive(Debug, Clone)]
pub struct Recipe {
    pub check: Kind,
    pub policy_type: Option<PolicyType>,
    pub resource_type: Option<String>,
    pub access: Vec<Access>,
    pub inputs: Vec<(String, String)>,
}

fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .fold(String::with_capacity(64), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

impl Recipe {
    /// The recipe of `check`, whose inputs were given as `texts` (in the order of
    /// [`Check::input_names`]: policy documents, or self-contained policy-set documents
    /// (`context::parse_bundle_set`) for the context checks).
    pub fn of(check: &Check, texts: Vec<String>) -> Recipe {
        let (policy_type, resource_type, access) = match *check {
            Check::NoNewAccess { new, .. } => (Some(new.policy_type), None, Vec::new()),
            Check::NoNewAccessContexts { .. } => (Some(PolicyType::Identity), None, Vec::new()),
            Check::AccessNotGranted { policy, access } => {
                (Some(policy.policy_type), None, access.to_vec())
            }
            Check::AccessNotGrantedContext { access, .. } => {
                (Some(PolicyType::Identity), None, access.to_vec())
            }
            Check::NoPublicAccess { resource_type, .. } => {
                (None, Some(resource_type.to_string()), Vec::new())
            }
        };
        Recipe {
            check: check.kind(),
            policy_type,
            resource_type,
            access,
            inputs: check
                .input_names()
                .iter()
                .map(|n| n.to_string())
                .zip(texts)
                .collect(),
        }
    }

    fn input(&self, name: &str) -> Result<&str, ProofError> {
        self.inputs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, t)| t.as_str())
            .ok_or_else(|| ProofError::Inputs(format!("the input `{name}` is missing")))
    }

    fn set(&self, name: &str) -> Result<Combined, ProofError> {
        crate::context::parse_bundle_set(self.input(name)?)
            .map(|s| s.combined())
            .map_err(|e| ProofError::Inputs(format!("{name}: {e}")))
    }

    fn parse(&self, name: &str, t: PolicyType) -> Result<policy::Policy, ProofError> {
        policy::parse(self.input(name)?, t).map_err(|e| ProofError::Inputs(format!("{name}: {e}")))
    }

    fn has(&self, name: &str) -> bool {
        self.inputs.iter().any(|(n, _)| n == name)
    }

    /// The proof query of this check.
    pub fn proof_script(&self) -> Result<String, ProofError> {
        let policy_type = || {
            self.policy_type
                .ok_or_else(|| ProofError::Inputs("the policy type is missing".into()))
        };
        let script = |check: Check| {
            check
                .proof_script()
                .map_err(|e| ProofError::Inputs(e.to_string()))
        };
        match self.check {
            Kind::NoNewAccess if self.has("newPolicySet") => {
                let (new, existing) = (self.set("newPolicySet")?, self.set("existingPolicySet")?);
                script(Check::NoNewAccessContexts {
                    new: &new,
                    existing: &existing,
                })
            }
            Kind::AccessNotGranted if self.has("policySet") => {
                let context = self.set("policySet")?;
                script(Check::AccessNotGrantedContext {
                    context: &context,
                    access: &self.access,
                })
            }
            Kind::NoNewAccess => {
                let t = policy_type()?;
                let new = self.parse("newPolicyDocument", t)?;
                let existing = self.parse("existingPolicyDocument", t)?;
                script(Check::NoNewAccess {
                    new: &new,
                    existing: &existing,
                })
            }
            Kind::AccessNotGranted => {
                let policy = self.parse("policyDocument", policy_type()?)?;
                script(Check::AccessNotGranted {
                    policy: &policy,
                    access: &self.access,
                })
            }
            Kind::NoPublicAccess => {
                let policy = self.parse("policyDocument", PolicyType::Resource)?;
                let resource_type = self
                    .resource_type
                    .as_deref()
                    .ok_or_else(|| ProofError::Inputs("the resource type is missing".into()))?;
                script(Check::NoPublicAccess {
                    policy: &policy,
                    resource_type,
                })
            }
        }
    }

    fn arguments(&self) -> Value {
        let mut a = json!({});
        if let Some(t) = self.policy_type {
            a["policyType"] = json!(t.to_string());
        }
        if let Some(r) = &self.resource_type {
            a["resourceType"] = json!(r);
        }
        if self.check == Kind::AccessNotGranted {
            a["access"] = self
                .access
                .iter()
                .map(|x| json!({"actions": x.actions, "resources": x.resources}))
                .collect();
        }
        a
    }
}

/// What the query must answer for a result.
fn expected_answer(o: &Outcome) -> &'static str {
    match o {
        Outcome::Pass { .. } => "unsat",
        Outcome::Fail(_) => "sat",
        Outcome::Inconclusive { .. } => "unknown",
    }
}

/// The semantics the query assumes (DESIGN.md §2) and where hornbeam knowingly reads
/// IAM in one particular way.
const SEMANTICS: &[&str] = &[
    "An explicit Deny overrides any Allow; otherwise an Allow is needed; statement order does not matter.",
    "Actions compare case-insensitively; `*` and `?` match any characters.",
    "ARNs compare field by field on the first five `:`; wildcards stay inside fields 1-5 and match anything in the sixth; `*` alone matches everything; a shorter pattern ending in `*` covers every continuation.",
    "Principal `*` includes anonymous callers; an account id (or its :root ARN) covers every principal of the account; aws:PrincipalArn and aws:PrincipalAccount describe the caller named by Principal.",
    "Condition operators AND together, keys within an operator AND, values of one key OR (a negated operator needs the value to match none).",
    "A key may be absent: positive operators are then false, negated ones true, ...IfExists true; Null:true means absent; ForAnyValue is false and ForAllValues true on an absent or empty set.",
    "Keys are single-valued unless used with a set qualifier or documented as multivalued (aws:TagKeys, aws:PrincipalOrgPaths, ...).",
    "Policy variables (Version 2012-10-17) substitute the key's single value literally; an absent variable without default makes its pattern match nothing.",
    "A request value that does not read as the operator's type (number, date, address) matches nothing.",
];

const DIVERGENCES: &[&str] = &[
    "A `*` that ends one of ARN fields 1-5 stays inside that field (the six-field model), although a literal reading of the IAM User Guide would let it cross the colon.",
    "A role session is identified by its role's ARN (its aws:PrincipalArn).",
    "Where a variable meets both case-sensitive and case-insensitive patterns, values containing U+0130 are excluded (it lower-cases to two characters).",
    "A single policy document is checked alone; a policy-set input (`policySet`, `newPolicySet`) holds a principal's whole context: identity policies, permissions boundary, SCP levels, RCPs, session policies, resource policy. Service-specific authorization (S3 ACLs, KMS grants) is not modelled.",
];

fn write(path: &Path, bytes: &[u8]) -> Result<(), ProofError> {
    std::fs::write(path, bytes).map_err(|source| ProofError::Write {
        path: path.display().to_string(),
        error: source,
    })
}

/// Writes a bundle for one check result into `dir` (created if missing).
pub fn write_bundle(
    dir: &Path,
    recipe: &Recipe,
    result: &Outcome,
    elapsed_ms: f64,
) -> Result<(), ProofError> {
    let policies = dir.join("policies");
    std::fs::create_dir_all(&policies).map_err(|source| ProofError::Write {
        path: policies.display().to_string(),
        error: source,
    })?;
    let mut inputs = Vec::new();
    for (name, text) in &recipe.inputs {
        let file = format!("policies/{name}.json");
        write(&dir.join(&file), text.as_bytes())?;
        inputs.push(json!({"name": name, "file": file, "sha256": sha256(text.as_bytes())}));
    }
    let expect = expected_answer(result);
    let body = recipe.proof_script()?;
    let query = format!(
        "; hornbeam {} proof query for {}\n; inputs: {}\n; (check-sat) is unsat exactly when the check passes; recorded verdict: {} (expect {expect})\n; re-check: z3 query.smt2 | cvc5 --strings-exp query.smt2 | hornbeam verify-proof DIR\n{body}",
        env!("CARGO_PKG_VERSION"),
        recipe.check.name(),
        recipe
            .inputs
            .iter()
            .map(|(n, t)| format!("{n} sha256 {}", sha256(t.as_bytes())))
            .collect::<Vec<_>>()
            .join(", "),
        verdict_word(result),
    );
    write(&dir.join("query.smt2"), query.as_bytes())?;
    let result_json: Value = result.to_json();
    let report = json!({
        "hornbeam": env!("CARGO_PKG_VERSION"),
        "z3": backend::version(),
        "check": recipe.check.name(),
        "arguments": recipe.arguments(),
        "inputs": inputs,
        "query": {
            "file": "query.smt2",
            "sha256": sha256(query.as_bytes()),
            "encoding": "strings (plain: strings and regular expressions only)",
            "expect": expect,
        },
        "verdict": verdict_word(result),
        "answer": result_json,
        "decidedBy": result.encoding(),
        "timingsMs": {"check": (elapsed_ms * 1000.0).round() / 1000.0},
        "semantics": SEMANTICS,
        "divergences": DIVERGENCES,
        "recheck": ["z3 query.smt2", "cvc5 --strings-exp query.smt2", "hornbeam verify-proof DIR"],
    });
    let text = serde_json::to_string_pretty(&report).unwrap_or_default();
    write(&dir.join("report.json"), text.as_bytes())?;
    write(&dir.join("report.md"), markdown(&report, result).as_bytes())
}

fn verdict_word(o: &Outcome) -> &'static str {
    match o {
        Outcome::Pass { .. } => "PASS",
        Outcome::Fail(_) => "FAIL",
        Outcome::Inconclusive { .. } => "INCONCLUSIVE",
    }
}

fn markdown(report: &Value, result: &Outcome) -> String {
    let mut md = format!(
        "# hornbeam proof bundle: {}\n\n**Verdict: {}** — {}\n\n",
        report["check"].as_str().unwrap_or_default(),
        report["verdict"].as_str().unwrap_or_default(),
        result.message()
    );
    for r in result.reasons() {
        md += &format!("- {}\n", r.description);
    }
    if let Some(why) = result.inconclusive() {
        md += &format!("- {why}\n");
    }
    md += "\n## Inputs\n\n| input | file | SHA-256 |\n|---|---|---|\n";
    for i in report["inputs"].as_array().into_iter().flatten() {
        md += &format!(
            "| {} | `{}` | `{}` |\n",
            i["name"].as_str().unwrap_or_default(),
            i["file"].as_str().unwrap_or_default(),
            i["sha256"].as_str().unwrap_or_default()
        );
    }
    md += &format!(
        "\nArguments: `{}`\n\n## The query\n\n`query.smt2` (SHA-256 `{}`) states the check in SMT-LIB 2.6 with strings and regular expressions only; comments map every assertion to a statement (index, Sid, JSON pointer). Its `(check-sat)` is **{}**: `unsat` means no request has the property, i.e. the check passes; `sat` means one does.\n\n",
        report["arguments"],
        report["query"]["sha256"].as_str().unwrap_or_default(),
        report["query"]["expect"].as_str().unwrap_or_default()
    );
    if let Some(c) = result.counterexample() {
        md += &format!(
            "## Counterexample (confirmed by hornbeam's evaluator)\n\n```json\n{}\n```\n\n",
            serde_json::to_string_pretty(&c.to_json()).unwrap_or_default()
        );
    }
    md += "## Re-check\n\n```sh\nz3 query.smt2\ncvc5 --strings-exp query.smt2\nhornbeam verify-proof .\n```\n\n## Semantics assumed\n\n";
    for s in SEMANTICS {
        md += &format!("- {s}\n");
    }
    md += "\n## Known divergences and limits\n\n";
    for s in DIVERGENCES {
        md += &format!("- {s}\n");
    }
    let decided_by = match result.encoding() {
        "none" => "before any encoding".to_string(),
        e => format!("by the {e} encoding"),
    };
    md += &format!(
        "\n## Versions and timing\n\nhornbeam {}, Z3 {}; decided {decided_by} in {} ms.\n",
        report["hornbeam"].as_str().unwrap_or_default(),
        report["z3"].as_str().unwrap_or_default(),
        report["timingsMs"]["check"]
    );
    md
}

/// One line of a verification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finding {
    Ok(String),
    /// The bundle was altered or a solver contradicts the recorded verdict.
    Mismatch(String),
    /// A solver could not decide (no contradiction found).
    Undecided(String),
    /// Something was not checked (a binary missing, another hornbeam version).
    Skipped(String),
}

fn read(path: &Path) -> Result<String, ProofError> {
    std::fs::read_to_string(path).map_err(|source| ProofError::Read {
        path: path.display().to_string(),
        error: source,
    })
}

fn bad(path: &Path, why: impl Into<String>) -> ProofError {
    ProofError::BadReport {
        path: path.display().to_string(),
        why: why.into(),
    }
}

/// Rebuilds the recipe recorded in a report.
fn recipe_of(dir: &Path, report: &Value, report_path: &Path) -> Result<Recipe, ProofError> {
    let check = report["check"]
        .as_str()
        .and_then(Kind::from_name)
        .ok_or_else(|| bad(report_path, "no known `check`"))?;
    // The arguments are an AWS request body without its documents: read by the one
    // reader of such bodies, as strictly as a request.
    let args = serde_json::to_string(&report["arguments"]).unwrap_or_default();
    let args = Body::parse(args, request::Operation::Check(check))
        .map_err(|e| bad(report_path, format!("arguments: {e}")))?;
    let argument = |name: &str| {
        args.string(name)
            .map(|s| s.map(str::to_string))
            .map_err(|e| bad(report_path, format!("arguments: {e}")))
    };
    let policy_type = match argument("policyType")? {
        Some(t) => Some(t.parse().map_err(|e: String| bad(report_path, e))?),
        None => None,
    };
    let resource_type = argument("resourceType")?;
    let access = args
        .access()
        .map_err(|e| bad(report_path, format!("arguments: {e}")))?
        .unwrap_or_default();
    let mut inputs = Vec::new();
    for i in report["inputs"]
        .as_array()
        .ok_or_else(|| bad(report_path, "no `inputs`"))?
    {
        let (Some(name), Some(file)) = (i["name"].as_str(), i["file"].as_str()) else {
            return Err(bad(report_path, "an input without name or file"));
        };
        inputs.push((name.to_string(), read(&dir.join(file))?));
    }
    Ok(Recipe {
        check,
        policy_type,
        resource_type,
        access,
        inputs,
    })
}

/// The answer of an external solver binary, if it is on PATH.
fn run_binary(program: &str, args: &[&str], query: &Path) -> Option<String> {
    let out = Command::new(program).args(args).arg(query).output().ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    Some(
        text.lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("no output")
            .trim()
            .to_string(),
    )
}

fn judge(findings: &mut Vec<Finding>, who: &str, answer: &str, expect: &str) {
    let line = format!("{who}: {answer} (recorded: {expect})");
    findings.push(match (answer, expect) {
        (a, e) if a == e => Finding::Ok(line),
        (_, "unknown") => Finding::Ok(format!("{line}; the recorded result was inconclusive")),
        ("sat" | "unsat", _) => Finding::Mismatch(line),
        _ => Finding::Undecided(line),
    });
}

/// Verifies a bundle: hashes, the regenerated query, and the answers of libz3
/// and of `z3` / `cvc5` binaries on PATH.
pub fn verify(dir: &Path, timeout_ms: u32) -> Result<Vec<Finding>, ProofError> {
    let report_path = dir.join("report.json");
    let report: Value = serde_json::from_str(&read(&report_path)?)
        .map_err(|e| bad(&report_path, e.to_string().to_lowercase()))?;
    let mut findings = Vec::new();
    for i in report["inputs"].as_array().into_iter().flatten() {
        let file = i["file"].as_str().unwrap_or_default();
        let actual = sha256(read(&dir.join(file))?.as_bytes());
        let recorded = i["sha256"].as_str().unwrap_or_default();
        findings.push(if actual == recorded {
            Finding::Ok(format!("{file}: SHA-256 matches"))
        } else {
            Finding::Mismatch(format!(
                "{file}: SHA-256 is {actual}, recorded {recorded}: the input was changed"
            ))
        });
    }
    let query_path: PathBuf = dir.join("query.smt2");
    let query = read(&query_path)?;
    let recorded = report["query"]["sha256"].as_str().unwrap_or_default();
    findings.push(if sha256(query.as_bytes()) == recorded {
        Finding::Ok("query.smt2: SHA-256 matches".into())
    } else {
        Finding::Mismatch(
            "query.smt2: SHA-256 differs from the report: the query was changed".into(),
        )
    });
    let recipe = recipe_of(dir, &report, &report_path)?;
    if report["hornbeam"].as_str() == Some(env!("CARGO_PKG_VERSION")) {
        findings.push(match recipe.proof_script() {
            Ok(regenerated) => {
                let header_only_comments =
                    query
                        .strip_suffix(regenerated.as_str())
                        .is_some_and(|head| {
                            head.lines()
                                .all(|l| l.trim().is_empty() || l.starts_with(';'))
                        });
                if header_only_comments {
                    Finding::Ok("query.smt2: regenerated from the inputs, identical".into())
                } else {
                    Finding::Mismatch("query.smt2: differs from the query these inputs give".into())
                }
            }
            Err(e) => Finding::Mismatch(format!("the inputs no longer give a query: {e}")),
        });
    } else {
        findings.push(Finding::Skipped(format!(
            "query.smt2 not regenerated: written by hornbeam {}, this is {}",
            report["hornbeam"].as_str().unwrap_or("?"),
            env!("CARGO_PKG_VERSION")
        )));
    }
    let expect = report["query"]["expect"].as_str().unwrap_or("unknown");
    let body: String = query
        .lines()
        .filter(|l| l.trim() != "(check-sat)")
        .collect::<Vec<_>>()
        .join("\n");
    let answer = match Solver::load(&body, "ALL", timeout_ms).check(&[]) {
        Answer::Sat(_) => "sat".to_string(),
        Answer::Unsat => "unsat".to_string(),
        Answer::Unknown(why) => format!("unknown ({why})"),
    };
    judge(
        &mut findings,
        &format!("libz3 {}", backend::version()),
        &answer,
        expect,
    );
    let seconds = (timeout_ms / 1000).max(1).to_string();
    let external: [(&str, Vec<String>); 2] = [
        ("z3", vec![format!("-T:{seconds}")]),
        (
            "cvc5",
            vec!["--strings-exp".into(), format!("--tlimit={timeout_ms}")],
        ),
    ];
    for (program, args) in external {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        match run_binary(program, &args, &query_path) {
            Some(answer) => judge(
                &mut findings,
                &format!("`{program}` binary"),
                &answer,
                expect,
            ),
            None => findings.push(Finding::Skipped(format!("`{program}` is not on PATH"))),
        }
    }
    Ok(findings)
}
