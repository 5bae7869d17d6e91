//! Reading documents the way the AWS CLI does: `file://path`, `-` (stdin), inline JSON
//! or a plain path.

use std::io::Read;

use anyhow::{Context as _, Result, bail};

use crate::eval::Context;
use crate::json::{self, JsonKind};
use crate::policy::MAX_DOCUMENT_BYTES;
use std::time::Instant;

use anyhow::anyhow;
use tracing::info;

use crate::checks::{Access, Kind};
use crate::cli::args::CommonArgs;
use crate::cli::output::{artifact_of, exiting, finish};
use crate::cli::{ExitStatus, batch};
use crate::policy::{self, ControlKind, Policy, PolicyType};
use crate::request;

/// Reads a document argument (`builtin:NAME` names a reference-policy library entry,
/// `aws-managed:NAME` or an AWS managed policy's ARN one of AWS's managed policies);
/// returns its text.
pub(crate) fn read_document(arg: &str, what: &str) -> Result<String> {
    read_bounded(arg, what, MAX_DOCUMENT_BYTES)
}

/// The largest `--cli-input-json` request: it carries up to two policy documents, each
/// JSON-escaped inside a string.
pub(crate) const MAX_REQUEST_BYTES: usize = 3 * MAX_DOCUMENT_BYTES;

/// Reads a document argument of at most `limit` bytes.
pub(crate) fn read_bounded(arg: &str, what: &str, limit: usize) -> Result<String> {
    if let Some(found) = crate::managed::get(arg) {
        return found
            .map(|p| p.document.clone())
            .with_context(|| what.to_string());
    }
    if let Some(name) = arg.strip_prefix("builtin:") {
        return match crate::references::get(name) {
            Some(b) => Ok(b.text.to_string()),
            None => bail!(
                "{what}: there is no built-in `{name}`; `hornbeam reference-policies list` shows them: {}",
                crate::references::names()
            ),
        };
    }
    if arg == "-" {
        let mut text = String::new();
        std::io::stdin()
            .take(limit as u64 + 1)
            .read_to_string(&mut text)
            .with_context(|| format!("{what}: cannot read standard input"))?;
        return Ok(text);
    }
    let trimmed = arg.trim_start();
    if trimmed.is_empty() {
        bail!(
            "{what}: the argument is empty; give a file path, `file://path`, `-` for stdin, or inline JSON"
        );
    }
    if trimmed.starts_with('{') || trimmed.starts_with('[') {
        return Ok(arg.to_string());
    }
    read_file_bounded(
        std::path::Path::new(arg.strip_prefix("file://").unwrap_or(arg)),
        what,
        limit,
    )
}

/// Reads a document file, within the document size limit.
pub(crate) fn read_file(path: &std::path::Path, what: &str) -> Result<String> {
    read_file_bounded(path, what, MAX_DOCUMENT_BYTES)
}

/// Reads a file of at most `limit` bytes.
pub(crate) fn read_file_limited(
    path: &std::path::Path,
    what: &str,
    limit: usize,
) -> Result<String> {
    read_file_bounded(path, what, limit)
}

fn read_file_bounded(path: &std::path::Path, what: &str, limit: usize) -> Result<String> {
    let shown = path.display();
    let meta = std::fs::metadata(path).with_context(|| {
        format!("{what}: cannot read `{shown}`; give a file path, `file://path`, `-` for stdin, or inline JSON")
    })?;
    if meta.len() > limit as u64 {
        bail!(
            "{what}: `{shown}` is {} bytes, more than the {limit}-byte limit",
            meta.len()
        );
    }
    std::fs::read_to_string(path)
        .with_context(|| format!("{what}: cannot read `{shown}` as UTF-8 text"))
}

/// Parses `KEY=VALUE` pairs (a repeated key becomes multi-valued) into a context.
pub(crate) fn context_from_pairs(ctx: &mut Context, pairs: &[String]) -> Result<()> {
    for pair in pairs {
        let Some((key, value)) = pair.split_once('=') else {
            bail!("--context `{pair}`: expected KEY=VALUE, e.g. `aws:SourceIp=203.0.113.7`");
        };
        if key.trim().is_empty() {
            bail!("--context `{pair}`: the key is empty; write KEY=VALUE");
        }
        ctx.add(key.trim(), [value.to_string()]);
    }
    Ok(())
}

/// Reads a context document: an object mapping each key to a string, number, boolean
/// or an array of those (`[]` is a present-but-empty multi-valued key, i.e. absent).
pub(crate) fn context_from_json(ctx: &mut Context, text: &str, what: &str) -> Result<()> {
    let root = json::parse(text).map_err(|e| {
        anyhow::anyhow!(
            "{what}: line {}, column {}: invalid JSON: {}",
            e.line,
            e.column,
            e.message
        )
    })?;
    let JsonKind::Object(members) = &root.kind else {
        bail!(
            "{what}: the context must be a JSON object of key → value(s), found {}",
            root.type_name()
        );
    };
    for m in members {
        let scalar = |j: &json::Json| -> Result<String> {
            match &j.kind {
                JsonKind::String(s) => Ok(s.clone()),
                JsonKind::Number(n) => Ok(n.clone()),
                JsonKind::Bool(b) => Ok(b.to_string()),
                _ => {
                    let (line, column) = json::line_column(text, j.offset);
                    bail!(
                        "{what}: /{} (line {line}, column {column}): a context value must be a string, number, boolean or an array of those, found {}",
                        json::pointer_token(&m.name),
                        j.type_name()
                    )
                }
            }
        };
        let values = match &m.value.kind {
            JsonKind::Array(items) => items.iter().map(scalar).collect::<Result<Vec<_>>>()?,
            _ => vec![scalar(&m.value)?],
        };
        ctx.add(&m.name, values);
    }
    Ok(())
}

/// A request body from `--cli-input-json`, read by the one reader of AWS's bodies
/// (src/request.rs).
pub(crate) struct Body(pub request::Body);

impl Body {
    pub(crate) fn read(arg: Option<&str>, kind: Kind) -> Result<Body> {
        let Some(arg) = arg else {
            return Ok(Body(request::Body::default()));
        };
        let text = read_bounded(arg, "--cli-input-json", MAX_REQUEST_BYTES)?;
        request::Body::parse(text, request::Operation::Check(kind))
            .map(Body)
            .map_err(|e| anyhow!("--cli-input-json: {e}"))
    }

    pub(crate) fn string(&self, name: &str) -> Result<Option<String>> {
        self.0
            .string(name)
            .map(|s| s.map(str::to_string))
            .map_err(|e| anyhow!("--cli-input-json: {e}"))
    }
}

/// A policy type as the API spells it, or `identity` / `resource`.
pub(crate) fn policy_type_of(s: &str) -> Result<PolicyType> {
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
pub(crate) type DocumentType = (PolicyType, Option<ControlKind>);

pub(crate) fn document_type_of(s: &str) -> Result<DocumentType> {
    Ok(match s {
        "SERVICE_CONTROL_POLICY" => (PolicyType::Identity, Some(ControlKind::ServiceControl)),
        "RESOURCE_CONTROL_POLICY" => (PolicyType::Resource, Some(ControlKind::ResourceControl)),
        other => (policy_type_of(other)?, None),
    })
}

/// `--policy-type`, else the body's `policyType`.
pub(crate) fn policy_type_in(flag: Option<String>, body: &Body) -> Result<DocumentType> {
    document_type_of(&pick(flag, body, "policyType", "--policy-type")?)
}

/// Parses a document with its type's rules.
pub(crate) fn parse_as(
    text: &str,
    (policy_type, control): DocumentType,
) -> Result<Policy, policy::PolicyError> {
    match control {
        Some(kind) => policy::parse_control(text, kind),
        None => policy::parse(text, policy_type),
    }
}

/// A flag's value, else the request body's, else an error naming both.
pub(crate) fn pick(
    flag: Option<String>,
    body: &Body,
    field: &str,
    flag_name: &str,
) -> Result<String> {
    match flag {
        Some(v) => Ok(v),
        None => body
            .string(field)?
            .ok_or_else(|| anyhow!("{flag_name} is required (or `{field}` in --cli-input-json)")),
    }
}

/// A policy from a flag (a document reference) or the body (the document text itself).
pub(crate) fn policy_from(
    flag: Option<&str>,
    body: &Body,
    field: &str,
    flag_name: &str,
    policy_type: impl Into<DocumentTypeArg>,
) -> Result<(Policy, String)> {
    let document_type = policy_type.into().0;
    let text = match flag {
        Some(arg) => read_document(arg, flag_name)?,
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
pub(crate) fn batch_of(arg: Option<&str>, flag: &str) -> Result<Option<Vec<std::path::PathBuf>>> {
    match arg {
        Some(a) => batch::files(a, flag),
        None => Ok(None),
    }
}

/// One batch file's policy and text; errors name the file.
pub(crate) fn policy_in(
    file: &std::path::Path,
    document_type: DocumentType,
) -> Result<(Policy, String)> {
    let text = read_file(file, "document")?;
    let p = parse_as(&text, document_type)?;
    Ok((p, text))
}

/// A document type, or a plain policy type (no organization rules).
pub(crate) struct DocumentTypeArg(DocumentType);

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

/// Reads the policy references of a set (or organization) document: `file://` paths
/// relative to `base` (the document's folder), AWS managed policies, built-in
/// references; the error names `flag` and the entry's JSON pointer.
pub(crate) fn reference_reader(
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
        read_document(&resolved, &format!("{flag}{pointer}")).map_err(|e| format!("{e:#}"))
    }
}

/// Reads a policy-set document (`file://path`, a path or inline JSON); references in it
/// to `file://` paths are read relative to the set's own file.
pub(crate) fn read_policy_set(arg: &str, flag: &str) -> Result<crate::context::PolicySet> {
    Ok(read_policy_set_inline(arg, flag, false)?.0)
}

/// The same and, when `inline`, the set as a self-contained document (every reference
/// read and put inline), as a proof bundle records it.
pub(crate) fn read_policy_set_inline(
    arg: &str,
    flag: &str,
    inline: bool,
) -> Result<(crate::context::PolicySet, String)> {
    let text = read_document(arg, flag)?;
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
pub(crate) fn context_side(
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

/// Parses one `--access` value (shorthand or JSON) into entries.
pub(crate) fn parse_access(arg: &str) -> Result<Vec<Access>> {
    let trimmed = arg.trim_start();
    if trimmed.starts_with('[')
        || trimmed.starts_with('{')
        || arg.starts_with("file://")
        || arg.starts_with("builtin:")
    {
        let text = read_document(arg, "--access")?;
        return request::parse_access_list(&text).map_err(|e| anyhow!("--access: {e}"));
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

/// Refuses another input beside --authorization-details.
pub(crate) fn no_other_input(given: &[(bool, &str)]) -> Result<()> {
    if let Some((_, flag)) = given.iter().find(|(g, _)| *g) {
        bail!("give either --authorization-details or {flag}, not both");
    }
    Ok(())
}

/// Refuses a policy type a policy set cannot have, with the reason.
pub(crate) fn sets_allow(policy_type: Option<&str>) -> Result<()> {
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

/// The tail of the one-document checks: `--policy-document` (or the body's
/// `policyDocument`) as a batch of files or as one document, checked and reported.
pub(crate) fn one_document(
    arg: Option<&str>,
    body: &Body,
    policy_type: impl Into<DocumentTypeArg>,
    common: &CommonArgs,
    label: &str,
    check: impl Fn(&Policy, String) -> batch::One + Sync,
) -> Result<ExitStatus> {
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
