//! The three check commands: arguments (and `--cli-input-json` request bodies) → checks
//! → report → exit code.

use std::time::Instant;

use anyhow::{Context as _, Result, anyhow, bail};
use clap::ValueEnum;
use tracing::info;

use super::account::{self, AccountArgs};
use super::template::{self as tmpl, TemplateArgs};
use super::{OutputFormat, batch, exit, input};
use crate::checks::{self, Access, Check, CheckError, Encoding, Kind, Options, Outcome};
use crate::json;
use crate::policy::{self, ControlKind, Policy, PolicyType};
use crate::proof::{self, Recipe};
use crate::report;
use crate::request;
use crate::smt::SolverChoice;

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum EncodingArg {
    /// Finitized regions; falls back to strings where they do not apply.
    Finite,
    /// Plain SMT strings and regular expressions.
    Strings,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum SolverArg {
    /// The native SAT solver for finitized queries, Z3 for the rest.
    Auto,
    /// Z3 for every query (a cross-check of the native solver).
    Z3,
}

#[derive(clap::Args, Debug)]
pub struct CommonArgs {
    /// The AWS request body as JSON (`file://path`, path or inline); flags override it.
    #[arg(long)]
    pub cli_input_json: Option<String>,
    /// How the answer is printed.
    #[arg(long, value_enum, default_value = "json")]
    pub output: OutputFormat,
    /// How policies become formulas (both are exact; `strings` is the cross-check).
    #[arg(long, value_enum, default_value = "finite")]
    pub encoding: EncodingArg,
    /// Which solver decides the formulas.
    #[arg(long, value_enum, default_value = "auto")]
    pub solver: SolverArg,
    /// Solving time limit per check, in milliseconds: the verdict, reasons, realistic
    /// values and expanded actions share one deadline; reaching it is inconclusive.
    #[arg(long, default_value_t = 10_000)]
    pub timeout_ms: u32,
    /// Z3's memory limit in MB (at least 64); reaching it makes the result inconclusive.
    #[arg(long, default_value_t = 2_048, value_parser = clap::value_parser!(u32).range(64..))]
    pub max_memory_mb: u32,
    /// On FAIL, list the known IAM actions the failure is about (each confirmed by the
    /// evaluator), e.g. every action that gains access.
    #[arg(long)]
    pub expand_actions: bool,
    /// Encode the whole policies: do not first leave out the statements and action
    /// patterns that cannot change the answer (for comparing encodings).
    #[arg(long)]
    pub no_slice: bool,
    /// Worker threads in batch mode (a directory or glob of documents); default: one
    /// per core.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub jobs: Option<u32>,
    /// Write a re-checkable proof bundle (inputs, SHA-256, SMT-LIB query, report) here.
    #[arg(long, value_name = "DIR")]
    pub emit_proof: Option<std::path::PathBuf>,
}

#[derive(clap::Args, Debug)]
pub struct NoNewAccessArgs {
    /// The candidate policy (a file, a directory or glob of files, or inline JSON).
    #[arg(long)]
    pub new_policy_document: Option<String>,
    /// The reference policy; `builtin:NAME` for one of `hornbeam reference-policies list`.
    #[arg(long, visible_alias = "reference-policy")]
    pub existing_policy_document: Option<String>,
    /// IDENTITY_POLICY or RESOURCE_POLICY (also `identity` / `resource`).
    #[arg(long, visible_alias = "reference-policy-type")]
    pub policy_type: Option<String>,
    /// The candidate side as a principal's authorization context: a policy-set document
    /// (identity policies, permissions boundary, SCP levels, session policies; README).
    #[arg(long, conflicts_with = "new_policy_document")]
    pub new_policy_set: Option<String>,
    /// The reference side as a policy-set document.
    #[arg(long, conflicts_with = "existing_policy_document")]
    pub existing_policy_set: Option<String>,
    /// The approved snapshot of the account given with --authorization-details (an
    /// earlier `aws iam get-account-authorization-details`): each principal is compared
    /// with itself there.
    #[arg(long, value_name = "FILE", requires = "authorization_details")]
    pub existing_authorization_details: Option<std::path::PathBuf>,
    #[command(flatten)]
    pub account: AccountArgs,
    #[command(flatten)]
    pub template: TemplateArgs,
    #[command(flatten)]
    pub common: CommonArgs,
}

#[derive(clap::Args, Debug)]
pub struct AccessNotGrantedArgs {
    /// The policy: `file://path`, a path, a directory or glob of files (batch mode), `-`
    /// for stdin, inline JSON, `aws-managed:NAME` or `builtin:NAME`.
    #[arg(long)]
    pub policy_document: Option<String>,
    /// The analysed principal's authorization context: a policy-set document (README).
    #[arg(long, conflicts_with = "policy_document")]
    pub policy_set: Option<String>,
    /// One access entry: `actions=a,b`, `resources=r1,r2`, both (`actions=a,resources=r`),
    /// or JSON (`[{"actions":[...],"resources":[...]}]`, inline or file://). Repeatable;
    /// entries are alternatives.
    #[arg(long, value_name = "ACCESS")]
    pub access: Vec<String>,
    /// Listed actions, comma-separated (one access entry, with --resources if given).
    #[arg(long, value_delimiter = ',')]
    pub actions: Vec<String>,
    /// Listed resource ARNs, comma-separated (one access entry, with --actions if given).
    #[arg(long, value_delimiter = ',')]
    pub resources: Vec<String>,
    /// Accept listed actions that are not in hornbeam's list of known IAM actions
    /// (actions newer than the list); without it such an action is an error, since no
    /// policy grants a misspelt action and the check would pass.
    #[arg(long)]
    pub allow_unknown_actions: bool,
    /// IDENTITY_POLICY or RESOURCE_POLICY (also `identity` / `resource`).
    #[arg(long)]
    pub policy_type: Option<String>,
    #[command(flatten)]
    pub account: AccountArgs,
    #[command(flatten)]
    pub template: TemplateArgs,
    #[command(flatten)]
    pub common: CommonArgs,
}

#[derive(clap::Args, Debug)]
pub struct NoPublicAccessArgs {
    /// The resource policy: `file://path`, a path, a directory or glob of files (batch
    /// mode), `-` for stdin or inline JSON.
    #[arg(long)]
    pub policy_document: Option<String>,
    /// The resource type the policy is attached to, one of the 26 of the AWS API.
    #[arg(long, long_help = resource_types_help())]
    pub resource_type: Option<String>,
    #[command(flatten)]
    pub template: TemplateArgs,
    #[command(flatten)]
    pub common: CommonArgs,
}

/// `--resource-type`'s long help: the types, one per line.
fn resource_types_help() -> String {
    let types = checks::RESOURCE_TYPES;
    format!(
        "The resource type the policy is attached to, one of the {} of the AWS API:\n{}",
        types.len(),
        types.join("\n")
    )
}

/// A request body from `--cli-input-json`, read by the one reader of AWS's bodies
/// (src/request.rs).
struct Body(request::Body);

impl Body {
    fn read(arg: Option<&str>, kind: Kind) -> Result<Body> {
        let Some(arg) = arg else {
            return Ok(Body(request::Body::default()));
        };
        let text = input::read_bounded(arg, "--cli-input-json", input::MAX_REQUEST_BYTES)?;
        request::Body::parse(text, request::Operation::Check(kind))
            .map(Body)
            .map_err(|e| anyhow!("--cli-input-json: {e}"))
    }

    fn string(&self, name: &str) -> Result<Option<String>> {
        self.0
            .string(name)
            .map(|s| s.map(str::to_string))
            .map_err(|e| anyhow!("--cli-input-json: {e}"))
    }
}

/// A policy type as the API spells it, or `identity` / `resource`.
fn policy_type_of(s: &str) -> Result<PolicyType> {
    match s {
        "identity" | "IDENTITY" => Ok(PolicyType::Identity),
        "resource" | "RESOURCE" => Ok(PolicyType::Resource),
        other => other.parse().map_err(|e: String| {
            anyhow!("{e}, `SERVICE_CONTROL_POLICY` or `RESOURCE_CONTROL_POLICY`")
        }),
    }
}

/// A policy type as documents are read: the base grammar, and the organization policy
/// rules on top of it for `SERVICE_CONTROL_POLICY` / `RESOURCE_CONTROL_POLICY`.
type DocumentType = (PolicyType, Option<ControlKind>);

fn document_type_of(s: &str) -> Result<DocumentType> {
    Ok(match s {
        "SERVICE_CONTROL_POLICY" => (PolicyType::Identity, Some(ControlKind::ServiceControl)),
        "RESOURCE_CONTROL_POLICY" => (PolicyType::Resource, Some(ControlKind::ResourceControl)),
        other => (policy_type_of(other)?, None),
    })
}

/// `--policy-type`, else the body's `policyType`.
fn policy_type_in(flag: Option<String>, body: &Body) -> Result<DocumentType> {
    document_type_of(&pick(flag, body, "policyType", "--policy-type")?)
}

/// Parses a document with its type's rules.
fn parse_as(
    text: &str,
    (policy_type, control): DocumentType,
) -> Result<Policy, policy::PolicyError> {
    match control {
        Some(kind) => policy::parse_control(text, kind),
        None => policy::parse(text, policy_type),
    }
}

/// A flag's value, else the request body's, else an error naming both.
fn pick(flag: Option<String>, body: &Body, field: &str, flag_name: &str) -> Result<String> {
    match flag {
        Some(v) => Ok(v),
        None => body
            .string(field)?
            .ok_or_else(|| anyhow!("{flag_name} is required (or `{field}` in --cli-input-json)")),
    }
}

/// A policy from a flag (a document reference) or the body (the document text itself).
fn policy_from(
    flag: Option<&str>,
    body: &Body,
    field: &str,
    flag_name: &str,
    policy_type: impl Into<DocumentTypeArg>,
) -> Result<(Policy, String)> {
    let document_type = policy_type.into().0;
    let text = match flag {
        Some(arg) => input::read_document(arg, flag_name)?,
        None => body
            .string(field)?
            .ok_or_else(|| anyhow!("{flag_name} is required (or `{field}` in --cli-input-json)"))?,
    };
    let label = if flag.is_some() {
        flag_name.to_string()
    } else {
        field.to_string()
    };
    let start = Instant::now();
    let p = parse_as(&text, document_type).with_context(|| label)?;
    info!(
        elapsed_us = start.elapsed().as_micros() as u64,
        field, "parsed policy"
    );
    Ok((p, text))
}

/// The files of a batch, when the document argument names a directory or a glob.
fn batch_of(arg: Option<&str>, flag: &str) -> Result<Option<Vec<std::path::PathBuf>>> {
    match arg {
        Some(a) => batch::files(a, flag),
        None => Ok(None),
    }
}

/// One batch file's policy and text; errors name the file.
fn policy_in(file: &std::path::Path, document_type: DocumentType) -> Result<(Policy, String)> {
    let text = input::read_file(file, "document")?;
    let p = parse_as(&text, document_type)?;
    Ok((p, text))
}

/// A document type, or a plain policy type (no organization rules).
struct DocumentTypeArg(DocumentType);

impl From<DocumentType> for DocumentTypeArg {
    fn from(t: DocumentType) -> Self {
        DocumentTypeArg(t)
    }
}

impl From<PolicyType> for DocumentTypeArg {
    fn from(t: PolicyType) -> Self {
        DocumentTypeArg((t, None))
    }
}

fn options(common: &CommonArgs) -> Options {
    Options {
        encoding: match common.encoding {
            EncodingArg::Finite => Encoding::Finite,
            EncodingArg::Strings => Encoding::Strings,
        },
        timeout_ms: common.timeout_ms,
        max_memory_mb: common.max_memory_mb,
        expand_actions: common.expand_actions,
        slice: !common.no_slice,
        solver: match common.solver {
            SolverArg::Auto => SolverChoice::Auto,
            SolverArg::Z3 => SolverChoice::Z3,
        },
        ..Options::default()
    }
}

/// Leaves a command's inputs to the operating system: the process ends right after, and
/// freeing a 20,000-action policy piece by piece took longer than the kernel's
/// reclaiming its pages.
fn exiting<T>(inputs: T) {
    std::mem::forget(inputs);
}

/// What a SARIF log names as the checked file: the document's path, or the request
/// field it came from when it was inline or on stdin.
fn artifact_of(arg: Option<&str>, field: &str) -> String {
    match arg {
        Some(a) if a != "-" && !a.trim_start().starts_with(['{', '[']) => {
            a.strip_prefix("file://").unwrap_or(a).to_string()
        }
        _ => field.to_string(),
    }
}

/// Runs a check through the library's one entry; an input error names its flag.
pub(super) fn decide(check: &Check, opts: &Options) -> Result<Outcome> {
    checks::run(check, opts).map_err(|e| match e {
        CheckError::Access(_) => anyhow!("--access: {e}"),
        CheckError::ResourceType(_) => anyhow!("--resource-type: {e}"),
        other => other.into(),
    })
}

fn finish(
    result: Outcome,
    common: &CommonArgs,
    policies: &[(&str, &Policy)],
    proof: Option<(Recipe, Instant)>,
    artifact: &str,
) -> Result<u8> {
    let proof_kind = proof.as_ref().map(|(r, _)| (r.check, artifact));
    if let (Some(dir), Some((recipe, start))) = (&common.emit_proof, proof) {
        let elapsed = start.elapsed().as_secs_f64() * 1000.0;
        proof::write_bundle(dir, &recipe, &result, elapsed).context("--emit-proof")?;
        info!(dir = %dir.display(), "wrote proof bundle");
    }
    if let Some(why) = result.fallback() {
        info!(reason = %why, "answered with the strings encoding");
    }
    let out = match (common.output, &proof_kind) {
        (OutputFormat::Sarif, Some((kind, artifact))) => {
            let found: Vec<_> = batch::result_finding(&result, *kind, artifact)
                .into_iter()
                .collect();
            report::findings::to_sarif(&found, artifact)
        }
        (OutputFormat::Json | OutputFormat::Sarif, _) => report::check_json(&result),
        (OutputFormat::Text, _) => report::check_text(&result, policies),
    };
    super::print(&out);
    Ok(exit::of(&result))
}

/// Reads the policy references of a set (or organization) document: `file://` paths
/// relative to `base` (the document's folder), AWS managed policies, built-in
/// references; the error names `flag` and the entry's JSON pointer.
pub fn reference_reader(
    base: Option<std::path::PathBuf>,
    flag: &str,
) -> impl Fn(&str, &str) -> std::result::Result<String, String> {
    let flag = flag.to_string();
    move |reference: &str, pointer: &str| {
        let resolved = match (reference.strip_prefix("file://"), &base) {
            (Some(path), Some(dir)) if std::path::Path::new(path).is_relative() => {
                format!("file://{}", dir.join(path).display())
            }
            _ => reference.to_string(),
        };
        if !(resolved.starts_with("file://")
            || resolved.starts_with("builtin:")
            || crate::managed::reference_name(&resolved).is_some())
        {
            return Err(format!(
                "`{reference}` is not a policy reference; use `aws-managed:NAME`, an AWS managed policy ARN, `builtin:NAME`, `file://path` or an inline document"
            ));
        }
        input::read_document(&resolved, &format!("{flag}{pointer}")).map_err(|e| format!("{e:#}"))
    }
}

/// Reads a policy-set document (`file://path`, a path or inline JSON); references in it
/// to `file://` paths are read relative to the set's own file.
pub fn read_policy_set(arg: &str, flag: &str) -> Result<crate::context::PolicySet> {
    Ok(read_policy_set_inline(arg, flag, false)?.0)
}

/// The same and, when `inline`, the set as a self-contained document (every reference
/// read and put inline), as a proof bundle records it.
fn read_policy_set_inline(
    arg: &str,
    flag: &str,
    inline: bool,
) -> Result<(crate::context::PolicySet, String)> {
    let text = input::read_document(arg, flag)?;
    let base = arg
        .strip_prefix("file://")
        .or((!arg.trim_start().starts_with('{')).then_some(arg))
        .and_then(|p| {
            std::path::Path::new(p)
                .parent()
                .map(std::path::Path::to_path_buf)
        });
    let read = reference_reader(base, flag);
    let set = crate::context::parse_set(&text, &read).map_err(|e| anyhow!("{flag}: {e}"))?;
    if !inline {
        return Ok((set, String::new()));
    }
    let value: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| anyhow!("{flag}: {e}"))?;
    let inline =
        crate::context::inline_policies(&value, &read).map_err(|e| anyhow!("{flag}: {e}"))?;
    Ok((set, inline.to_string()))
}

/// A side of a context check: a policy-set document, or one document as a context of
/// one identity policy; with the side as a self-contained set document when `inline`
/// (proof bundles).
fn context_side(
    set: Option<&str>,
    document: Option<&str>,
    body: &Body,
    (field, flag, set_flag): (&str, &str, &str),
    inline: bool,
) -> Result<(crate::context::PolicySet, String)> {
    match set {
        Some(arg) => read_policy_set_inline(arg, set_flag, inline),
        None => {
            let (policy, text) = policy_from(document, body, field, flag, PolicyType::Identity)?;
            let name = document.unwrap_or(field).trim_start_matches("file://");
            let name = if name.trim_start().starts_with('{') {
                field
            } else {
                name
            };
            let doc: serde_json::Value =
                serde_json::from_str(&text).map_err(|e| anyhow!("{flag}: {e}"))?;
            let inline = serde_json::json!({"identityPolicies": [doc]}).to_string();
            Ok((crate::context::PolicySet::single(name, policy), inline))
        }
    }
}

/// The policies a context check's text output explains a counterexample with.
fn context_policies<'a>(tag: &str, c: &'a crate::context::Combined) -> Vec<(String, &'a Policy)> {
    let mut out = vec![(format!("{tag} identity"), &c.policy)];
    out.extend(
        c.limits
            .iter()
            .map(|(what, p)| (format!("{tag} {what}"), p)),
    );
    out
}

/// Refuses another input beside --authorization-details.
fn no_other_input(given: &[(bool, &str)]) -> Result<()> {
    if let Some((_, flag)) = given.iter().find(|(g, _)| *g) {
        bail!("give either --authorization-details or {flag}, not both");
    }
    Ok(())
}

/// Refuses a policy type a policy set cannot have, with the reason.
fn sets_allow(policy_type: Option<&str>) -> Result<()> {
    let policy_type = policy_type
        .map(|t| t.parse::<PolicyType>().map_err(anyhow::Error::msg))
        .transpose()?;
    if policy_type == Some(PolicyType::Resource) {
        bail!(
            "a policy set is a principal's identity-side context: use --policy-type IDENTITY_POLICY (or leave it out)"
        );
    }
    Ok(())
}

fn no_new_access_contexts(args: &NoNewAccessArgs, body: &Body) -> Result<u8> {
    sets_allow(args.policy_type.as_deref())?;
    if args.template.template_path.is_some() {
        bail!("give either --template-path or policy sets, not both");
    }
    let start = Instant::now();
    let inline = args.common.emit_proof.is_some();
    let (new, new_text) = context_side(
        args.new_policy_set.as_deref(),
        args.new_policy_document.as_deref(),
        body,
        (
            "newPolicyDocument",
            "--new-policy-document",
            "--new-policy-set",
        ),
        inline,
    )?;
    let (existing, existing_text) = context_side(
        args.existing_policy_set.as_deref(),
        args.existing_policy_document.as_deref(),
        body,
        (
            "existingPolicyDocument",
            "--existing-policy-document",
            "--existing-policy-set",
        ),
        inline,
    )?;
    let (new, existing) = (new.combined(), existing.combined());
    let opts = options(&args.common);
    let check = Check::NoNewAccessContexts {
        new: &new,
        existing: &existing,
    };
    let result = decide(&check, &opts)?;
    let mut explained = context_policies("new", &new);
    explained.extend(context_policies("existing", &existing));
    let named: Vec<(&str, &Policy)> = explained.iter().map(|(n, p)| (n.as_str(), *p)).collect();
    let recipe = Recipe::of(&check, vec![new_text, existing_text]);
    let artifact = artifact_of(
        args.new_policy_set
            .as_deref()
            .or(args.new_policy_document.as_deref()),
        "newPolicyDocument",
    );
    finish(
        result,
        &args.common,
        &named,
        Some((recipe, start)),
        &artifact,
    )
}

pub fn no_new_access(args: NoNewAccessArgs) -> Result<u8> {
    if args.account.authorization_details.is_some() {
        let Some(existing) = &args.existing_authorization_details else {
            bail!(
                "--authorization-details needs --existing-authorization-details FILE, the approved snapshot each principal is compared with"
            );
        };
        no_other_input(&[
            (args.new_policy_document.is_some(), "--new-policy-document"),
            (
                args.existing_policy_document.is_some(),
                "--existing-policy-document",
            ),
            (args.new_policy_set.is_some(), "--new-policy-set"),
            (args.existing_policy_set.is_some(), "--existing-policy-set"),
            (args.template.template_path.is_some(), "--template-path"),
            (args.common.cli_input_json.is_some(), "--cli-input-json"),
        ])?;
        sets_allow(args.policy_type.as_deref())?;
        let opts = options(&args.common);
        let question = account::Question::NoNewAccess { existing };
        return account::run(&args.account, &args.common, &opts, question);
    }
    if args.new_policy_set.is_some() || args.existing_policy_set.is_some() {
        let body = Body::read(args.common.cli_input_json.as_deref(), Kind::NoNewAccess)?;
        return no_new_access_contexts(&args, &body);
    }
    let body = Body::read(args.common.cli_input_json.as_deref(), Kind::NoNewAccess)?;
    let document_type = policy_type_in(args.policy_type, &body)?;
    let policy_type = document_type.0;
    let batch_files = batch_of(args.new_policy_document.as_deref(), "--new-policy-document")?;
    let start = Instant::now();
    let (existing, existing_text) = policy_from(
        args.existing_policy_document.as_deref(),
        &body,
        "existingPolicyDocument",
        "--existing-policy-document",
        document_type,
    )?;
    let opts = options(&args.common);
    if args.template.template_path.is_some() {
        if args.new_policy_document.is_some() {
            bail!("give either --template-path or --new-policy-document, not both");
        }
        let question = tmpl::Question::NoNewAccess {
            reference: &existing,
            reference_text: &existing_text,
            policy_type,
        };
        return tmpl::run(&args.template, &args.common, &opts, question);
    }
    let check = |new: &Policy, new_text: String| -> batch::One {
        let check = Check::NoNewAccess {
            new,
            existing: &existing,
        };
        let texts = vec![new_text, existing_text.clone()];
        Ok((decide(&check, &opts)?, Recipe::of(&check, texts)))
    };
    if let Some(files) = batch_files {
        return batch::run(&files, &args.common, |file| {
            let (new, new_text) = policy_in(file, document_type)?;
            check(&new, new_text)
        });
    }
    let (new, new_text) = policy_from(
        args.new_policy_document.as_deref(),
        &body,
        "newPolicyDocument",
        "--new-policy-document",
        document_type,
    )?;
    let (result, recipe) = check(&new, new_text)?;
    let code = finish(
        result,
        &args.common,
        &[("new", &new), ("existing", &existing)],
        Some((recipe, start)),
        &artifact_of(args.new_policy_document.as_deref(), "newPolicyDocument"),
    );
    exiting((new, existing, body));
    code
}

/// Parses one `--access` value (shorthand or JSON) into entries.
pub fn parse_access(arg: &str) -> Result<Vec<Access>> {
    let trimmed = arg.trim_start();
    if trimmed.starts_with('[')
        || trimmed.starts_with('{')
        || arg.starts_with("file://")
        || arg.starts_with("builtin:")
    {
        let text = input::read_document(arg, "--access")?;
        let root = json::parse(&text).map_err(|e| {
            anyhow!(
                "--access: line {}, column {}: invalid JSON: {}",
                e.line,
                e.column,
                e.message
            )
        })?;
        return request::access_list(&root, &text, "").map_err(|e| anyhow!("--access: {e}"));
    }
    let mut entry = Access::default();
    let mut current: Option<&str> = None;
    for raw in arg.split([',', ' ']).filter(|s| !s.is_empty()) {
        let item = if let Some(v) = raw.strip_prefix("actions=") {
            current = Some("actions");
            v
        } else if let Some(v) = raw.strip_prefix("resources=") {
            current = Some("resources");
            v
        } else {
            raw
        };
        let item = item.trim_matches(|c| c == '[' || c == ']');
        if item.is_empty() {
            continue;
        }
        match current {
            Some("actions") => entry.actions.push(item.to_string()),
            Some(_) => entry.resources.push(item.to_string()),
            None => {
                bail!("--access `{arg}`: expected `actions=a,b` and/or `resources=r1,r2`, or JSON")
            }
        }
    }
    Ok(vec![entry])
}

/// The tail of the one-document checks: `--policy-document` (or the body's
/// `policyDocument`) as a batch of files or as one document, checked and reported.
fn one_document(
    arg: Option<&str>,
    body: &Body,
    policy_type: impl Into<DocumentTypeArg>,
    common: &CommonArgs,
    label: &str,
    check: impl Fn(&Policy, String) -> batch::One + Sync,
) -> Result<u8> {
    let policy_type = policy_type.into().0;
    if let Some(files) = batch_of(arg, "--policy-document")? {
        return batch::run(&files, common, |file| {
            let (policy, text) = policy_in(file, policy_type)?;
            check(&policy, text)
        });
    }
    let start = Instant::now();
    let (policy, text) = policy_from(
        arg,
        body,
        "policyDocument",
        "--policy-document",
        policy_type,
    )?;
    let (result, recipe) = check(&policy, text)?;
    let artifact = artifact_of(arg, "policyDocument");
    let code = finish(
        result,
        common,
        &[(label, &policy)],
        Some((recipe, start)),
        &artifact,
    );
    exiting(policy);
    code
}

pub fn access_not_granted(args: AccessNotGrantedArgs) -> Result<u8> {
    let body = Body::read(
        args.common.cli_input_json.as_deref(),
        Kind::AccessNotGranted,
    )?;
    let mut access = Vec::new();
    for a in &args.access {
        access.extend(parse_access(a)?);
    }
    if !args.actions.is_empty() || !args.resources.is_empty() {
        access.push(Access {
            actions: args.actions.clone(),
            resources: args.resources.clone(),
        });
    }
    if access.is_empty() {
        match body
            .0
            .access()
            .map_err(|e| anyhow!("--cli-input-json: {e}"))?
        {
            Some(a) => access = a,
            None => bail!(
                "--access (or --actions / --resources, or `access` in --cli-input-json) is required, e.g. `--actions iam:PassRole`"
            ),
        }
    }
    checks::validate_access(&access).map_err(|e| anyhow!("--access: {e}"))?;
    if !args.allow_unknown_actions {
        checks::validate_known(&access).map_err(|e| anyhow!("--access: {e}"))?;
    }
    let opts = options(&args.common);
    if args.account.authorization_details.is_some() {
        no_other_input(&[
            (args.policy_document.is_some(), "--policy-document"),
            (args.policy_set.is_some(), "--policy-set"),
            (args.template.template_path.is_some(), "--template-path"),
        ])?;
        sets_allow(args.policy_type.as_deref())?;
        let question = account::Question::AccessNotGranted { access: &access };
        return account::run(&args.account, &args.common, &opts, question);
    }
    if args.template.template_path.is_some() {
        if args.policy_document.is_some() {
            bail!("give either --template-path or --policy-document, not both");
        }
        let question = tmpl::Question::AccessNotGranted { access: &access };
        return tmpl::run(&args.template, &args.common, &opts, question);
    }
    if let Some(set) = &args.policy_set {
        sets_allow(args.policy_type.as_deref())?;
        let start = Instant::now();
        let (set, inline) =
            read_policy_set_inline(set, "--policy-set", args.common.emit_proof.is_some())?;
        let context = set.combined();
        let check = Check::AccessNotGrantedContext {
            context: &context,
            access: &access,
        };
        let result = decide(&check, &opts)?;
        let explained = context_policies("analysed", &context);
        let named: Vec<(&str, &Policy)> = explained.iter().map(|(n, p)| (n.as_str(), *p)).collect();
        let recipe = Recipe::of(&check, vec![inline]);
        let artifact = artifact_of(args.policy_set.as_deref(), "policySet");
        return finish(
            result,
            &args.common,
            &named,
            Some((recipe, start)),
            &artifact,
        );
    }
    let document_type = policy_type_in(args.policy_type, &body)?;
    let check = |policy: &Policy, text: String| -> batch::One {
        let check = Check::AccessNotGranted {
            policy,
            access: &access,
        };
        Ok((decide(&check, &opts)?, Recipe::of(&check, vec![text])))
    };
    one_document(
        args.policy_document.as_deref(),
        &body,
        document_type,
        &args.common,
        "analysed",
        check,
    )
}

pub fn no_public_access(args: NoPublicAccessArgs) -> Result<u8> {
    let body = Body::read(args.common.cli_input_json.as_deref(), Kind::NoPublicAccess)?;
    let opts = options(&args.common);
    if args.template.template_path.is_some() {
        if args.policy_document.is_some() || args.resource_type.is_some() {
            bail!(
                "with --template-path each policy's resource type comes from the template; drop --policy-document and --resource-type"
            );
        }
        return tmpl::run(
            &args.template,
            &args.common,
            &opts,
            tmpl::Question::NoPublicAccess,
        );
    }
    let resource_type = pick(args.resource_type, &body, "resourceType", "--resource-type")?;
    checks::validate_resource_type(&resource_type).context("--resource-type")?;
    let check = |policy: &Policy, text: String| -> batch::One {
        let check = Check::NoPublicAccess {
            policy,
            resource_type: &resource_type,
        };
        Ok((decide(&check, &opts)?, Recipe::of(&check, vec![text])))
    };
    one_document(
        args.policy_document.as_deref(),
        &body,
        PolicyType::Resource,
        &args.common,
        "resource",
        check,
    )
}

#[derive(clap::Args, Debug)]
pub struct VerifyProofArgs {
    /// A bundle written by `--emit-proof`.
    pub dir: std::path::PathBuf,
    /// Time limit for each solver, in milliseconds.
    #[arg(long, default_value_t = 60_000)]
    pub timeout_ms: u32,
}

/// Re-checks a proof bundle: 0 everything agrees, 1 tampered or contradicted,
/// 3 a solver could not decide, 2 not a bundle.
pub fn verify_proof(args: VerifyProofArgs) -> Result<u8> {
    let findings = proof::verify(&args.dir, args.timeout_ms).context("verify-proof")?;
    let mut code = exit::OK;
    for f in &findings {
        let (tag, line) = match f {
            proof::Finding::Ok(l) => ("ok  ", l),
            proof::Finding::Skipped(l) => ("skip", l),
            proof::Finding::Undecided(l) => {
                if code == exit::OK {
                    code = exit::INCONCLUSIVE;
                }
                ("????", l)
            }
            proof::Finding::Mismatch(l) => {
                code = exit::NEGATIVE;
                ("FAIL", l)
            }
        };
        super::print(&format!("{tag} {line}"));
    }
    super::print(match code {
        exit::OK => "the bundle is intact and every solver agrees with the recorded verdict",
        exit::NEGATIVE => "the bundle was altered or a solver contradicts the recorded verdict",
        _ => "no contradiction found, but a solver could not decide",
    });
    Ok(code)
}
