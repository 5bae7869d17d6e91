//! Reading documents the way the AWS CLI does: `file://path`, `-` (stdin), inline JSON
//! or a plain path.

use std::io::Read;

use anyhow::{Context as _, Result, bail};

use crate::eval::Context;
use crate::json::{self, JsonKind};
use crate::policy::MAX_DOCUMENT_BYTES;

/// Reads a document argument (`builtin:NAME` names a reference-policy library entry,
/// `aws-managed:NAME` or an AWS managed policy's ARN one of AWS's managed policies);
/// returns its text.
pub fn read_document(arg: &str, what: &str) -> Result<String> {
    read_bounded(arg, what, MAX_DOCUMENT_BYTES)
}

/// The largest `--cli-input-json` request: it carries up to two policy documents, each
/// JSON-escaped inside a string.
pub const MAX_REQUEST_BYTES: usize = 3 * MAX_DOCUMENT_BYTES;

/// Reads a document argument of at most `limit` bytes.
pub fn read_bounded(arg: &str, what: &str, limit: usize) -> Result<String> {
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
pub fn read_file(path: &std::path::Path, what: &str) -> Result<String> {
    read_file_bounded(path, what, MAX_DOCUMENT_BYTES)
}

/// Reads a file of at most `limit` bytes.
pub fn read_file_limited(path: &std::path::Path, what: &str, limit: usize) -> Result<String> {
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
pub fn context_from_pairs(ctx: &mut Context, pairs: &[String]) -> Result<()> {
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
pub fn context_from_json(ctx: &mut Context, text: &str, what: &str) -> Result<()> {
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
