//! ValidatePolicy: findings about a policy document in AWS's shape (`findingType`,
//! `issueCode`, `learnMoreLink`, `findingDetails`, `locations`), for the server's
//! `POST /policy/validation` and the `validate-policy` command.
//!
//! All findings of a document, not the first only: the parser's error (grammar.rs), and
//! the checks that read the document as written (general.rs, security.rs), which run
//! whenever its JSON can be read. Issue codes and link anchors follow AWS's "IAM policy
//! validation check reference"; encodings/validate.md lists which checks are implemented.

mod actions;
mod arns;
mod conditions;
mod general;
pub mod grammar;
mod location;
mod principals;
mod resource_types;
mod security;
mod suggestions;
mod tags;
mod values;

use serde_json::{Value, json};

pub use general::over_request_maximum;
pub use location::{Location, PathElement, line_column};
pub use resource_types::ResourceType;

use crate::json::{self, Json, JsonKind};
use crate::policy::{self, ControlKind, PolicyType};

const CHECKS_PAGE: &str =
    "https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-reference-policy-checks.html";
const GRAMMAR_PAGE: &str =
    "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html";

/// AWS's finding types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum FindingType {
    Error,
    SecurityWarning,
    Suggestion,
    Warning,
}

impl FindingType {
    pub const ALL: [FindingType; 4] = [
        FindingType::Error,
        FindingType::SecurityWarning,
        FindingType::Suggestion,
        FindingType::Warning,
    ];

    pub fn name(self) -> &'static str {
        match self {
            FindingType::Error => "ERROR",
            FindingType::SecurityWarning => "SECURITY_WARNING",
            FindingType::Suggestion => "SUGGESTION",
            FindingType::Warning => "WARNING",
        }
    }

    pub fn parse(name: &str) -> Option<FindingType> {
        FindingType::ALL.into_iter().find(|t| t.name() == name)
    }

    /// The prefix of the check's anchor in AWS's reference.
    fn anchor_prefix(self) -> &'static str {
        match self {
            FindingType::Error => "error",
            FindingType::SecurityWarning => "security-warning",
            FindingType::Suggestion => "suggestion",
            FindingType::Warning => "general-warning",
        }
    }
}

/// The policy types ValidatePolicy takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValidateType {
    Identity,
    Resource,
    ServiceControl,
    ResourceControl,
}

impl ValidateType {
    pub const NAMES: [&'static str; 4] = [
        "IDENTITY_POLICY",
        "RESOURCE_POLICY",
        "SERVICE_CONTROL_POLICY",
        "RESOURCE_CONTROL_POLICY",
    ];

    pub fn parse(name: &str) -> Option<ValidateType> {
        Some(match name {
            "IDENTITY_POLICY" => ValidateType::Identity,
            "RESOURCE_POLICY" => ValidateType::Resource,
            "SERVICE_CONTROL_POLICY" => ValidateType::ServiceControl,
            "RESOURCE_CONTROL_POLICY" => ValidateType::ResourceControl,
            _ => return None,
        })
    }
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub finding_type: FindingType,
    pub issue_code: String,
    /// What is wrong and how to fix it.
    pub details: String,
    pub locations: Vec<Location>,
    /// A link other than the check's anchor in AWS's reference (hornbeam's own codes).
    pub link: Option<String>,
}

impl Finding {
    fn new(
        finding_type: FindingType,
        code: &str,
        details: String,
        locations: Vec<Location>,
    ) -> Finding {
        Finding {
            finding_type,
            issue_code: code.to_string(),
            details,
            locations,
            link: None,
        }
    }

    /// AWS's `learnMoreLink`: the check's anchor in the reference, which is the issue
    /// code in lower case with `-`, after the finding type's prefix.
    pub fn learn_more_link(&self) -> String {
        self.link.clone().unwrap_or_else(|| {
            format!(
                "{CHECKS_PAGE}#access-analyzer-reference-policy-checks-{}-{}",
                self.finding_type.anchor_prefix(),
                self.issue_code.to_ascii_lowercase().replace('_', "-")
            )
        })
    }

    /// AWS's `ValidatePolicyFinding` shape, positions counted in `text`.
    pub fn to_json(&self, text: &str) -> Value {
        json!({
            "findingDetails": self.details,
            "findingType": self.finding_type.name(),
            "issueCode": self.issue_code,
            "learnMoreLink": self.learn_more_link(),
            "locations": self.locations.iter().map(|l| l.to_json(text)).collect::<Vec<_>>(),
        })
    }
}

/// Every finding for `text` as a policy of type `ty`: the grammar error, if any, then
/// the checks on the document as written, in document order.
pub fn validate(text: &str, ty: ValidateType) -> Vec<Finding> {
    validate_for(text, ty, None)
}

/// [`validate`] for a resource policy of a given resource type
/// (`validatePolicyResourceType`), which adds that type's checks. A resource type is
/// read only with `RESOURCE_POLICY`, as AWS takes it.
pub fn validate_for(text: &str, ty: ValidateType, resource: Option<ResourceType>) -> Vec<Finding> {
    let resource = resource.filter(|_| ty == ValidateType::Resource);
    let parsed = match ty {
        ValidateType::Identity => policy::parse(text, PolicyType::Identity).map(|_| ()),
        ValidateType::Resource => policy::parse(text, PolicyType::Resource).map(|_| ()),
        ValidateType::ServiceControl => {
            policy::parse_control(text, ControlKind::ServiceControl).map(|_| ())
        }
        ValidateType::ResourceControl => {
            policy::parse_control(text, ControlKind::ResourceControl).map(|_| ())
        }
    };
    let root = json::parse(text.strip_prefix('\u{feff}').unwrap_or(text)).ok();
    let mut out = grammar::findings(text, root.as_ref(), parsed);
    let Some(root) = &root else {
        return out;
    };
    let doc = Document { text, root };
    out.extend(general::findings(&doc, ty, resource));
    out.extend(actions::findings(&doc));
    out.extend(conditions::findings(&doc));
    out.extend(values::findings(&doc));
    out.extend(arns::findings(&doc));
    out.extend(principals::findings(&doc, ty));
    out.extend(security::findings(&doc, ty));
    out.extend(tags::findings(&doc));
    out.extend(suggestions::findings(&doc));
    if let Some(rt) = resource {
        // A trust policy's `NotPrincipal` is an error there; the security warning about
        // allowing with it says less.
        if rt == ResourceType::RoleTrust {
            out.retain(|f| f.issue_code != "ALLOW_WITH_NOT_PRINCIPAL");
        }
        out.extend(resource_types::findings(&doc, rt));
    }
    out
}

/// A document as written, for the checks.
struct Document<'a> {
    text: &'a str,
    root: &'a Json,
}

/// One statement as written: its index in `Statement` (`None` when `Statement` is a
/// single object) and its members.
struct Statement<'a> {
    index: Option<usize>,
    node: &'a Json,
}

impl<'a> Document<'a> {
    fn member(&self, name: &str) -> Option<&'a Json> {
        member(self.root, name)
    }

    /// The statements, as written.
    fn statements(&self) -> Vec<Statement<'a>> {
        match self.member("Statement").map(|s| (s, &s.kind)) {
            Some((_, JsonKind::Array(items))) => items
                .iter()
                .enumerate()
                .filter(|(_, s)| matches!(s.kind, JsonKind::Object(_)))
                .map(|(i, node)| Statement {
                    index: Some(i),
                    node,
                })
                .collect(),
            Some((node, JsonKind::Object(_))) => vec![Statement { index: None, node }],
            _ => Vec::new(),
        }
    }

    /// The path of a statement's member: `Statement`, its index, the member.
    fn path(&self, s: &Statement, member: &str) -> Vec<PathElement> {
        let mut path = vec![PathElement::Value("Statement".into())];
        if let Some(i) = s.index {
            path.push(PathElement::Index(i));
        }
        path.push(PathElement::Value(member.into()));
        path
    }
}

/// One principal as written: its type (`AWS`, `Service`, `Federated`, `CanonicalUser`,
/// or `*` for `"Principal": "*"`), its path and node, and the value.
struct PrincipalEntry<'a> {
    kind: &'a str,
    path: Vec<PathElement>,
    node: &'a Json,
    value: &'a str,
}

impl PrincipalEntry<'_> {
    fn location(&self, doc: &Document) -> Location {
        Location::of(doc.text, self.path.clone(), self.node)
    }
}

impl<'a> Document<'a> {
    /// The principals of a statement's `Principal` or `NotPrincipal`, as written.
    fn principals(&self, s: &Statement<'a>, member_name: &str) -> Vec<PrincipalEntry<'a>> {
        let Some(node) = member(s.node, member_name) else {
            return Vec::new();
        };
        match &node.kind {
            JsonKind::String(v) => vec![PrincipalEntry {
                kind: "*",
                path: self.path(s, member_name),
                node,
                value: v,
            }],
            JsonKind::Object(kinds) => kinds
                .iter()
                .flat_map(|k| {
                    strings(&k.value).into_iter().map(move |(i, node, value)| {
                        let mut path = self.path(s, member_name);
                        path.push(PathElement::Value(k.name.clone()));
                        path.extend(i.map(PathElement::Index));
                        PrincipalEntry {
                            kind: &k.name,
                            path,
                            node,
                            value,
                        }
                    })
                })
                .collect(),
            _ => Vec::new(),
        }
    }
}

/// One condition key as written: its statement, operator (with its qualifier and base
/// name, `ForAllValues:StringEqualsIfExists` → `ForAllValues`, `StringEquals`), the key
/// and its value.
struct ConditionKey<'a> {
    statement: Statement<'a>,
    operator: &'a str,
    qualifier: Option<&'a str>,
    base: &'a str,
    key: &'a json::Member,
}

impl ConditionKey<'_> {
    /// The path to the key's value (`{"value": key}`), or to the key itself (`{"key":
    /// key}`) with `as_key`.
    fn path(&self, doc: &Document, as_key: bool) -> Vec<PathElement> {
        let mut path = doc.path(&self.statement, "Condition");
        path.push(PathElement::Value(self.operator.to_string()));
        path.push(if as_key {
            PathElement::Key(self.key.name.clone())
        } else {
            PathElement::Value(self.key.name.clone())
        });
        path
    }

    /// The key itself (`{"key": key}`), its span covering the quoted key.
    fn key_location(&self, doc: &Document) -> Location {
        let start = location::chars_before(doc.text, self.key.name_offset);
        Location {
            path: self.path(doc, true),
            start,
            end: location::value_end(doc.text, start).unwrap_or(start),
        }
    }

    /// The key's value (`{"value": key}`), its span covering the value as written.
    fn value_location(&self, doc: &Document) -> Location {
        Location::of(doc.text, self.path(doc, false), &self.key.value)
    }
}

impl<'a> Document<'a> {
    /// Every condition key of every statement, in document order.
    fn condition_keys(&self) -> Vec<ConditionKey<'a>> {
        let mut out = Vec::new();
        for s in self.statements() {
            let Some(JsonKind::Object(ops)) = member(s.node, "Condition").map(|c| &c.kind) else {
                continue;
            };
            for op in ops {
                let JsonKind::Object(keys) = &op.value.kind else {
                    continue;
                };
                let (qualifier, rest) = match op.name.split_once(':') {
                    Some((q, r)) => (Some(q), r),
                    None => (None, op.name.as_str()),
                };
                let base = rest.strip_suffix("IfExists").unwrap_or(rest);
                for key in keys {
                    out.push(ConditionKey {
                        statement: Statement {
                            index: s.index,
                            node: s.node,
                        },
                        operator: &op.name,
                        qualifier,
                        base,
                        key,
                    });
                }
            }
        }
        out
    }
}

fn member<'a>(node: &'a Json, name: &str) -> Option<&'a Json> {
    match &node.kind {
        JsonKind::Object(members) => members.iter().find(|m| m.name == name).map(|m| &m.value),
        _ => None,
    }
}

/// A string or a list of strings, as written: (index in the list, node, string).
fn strings(node: &Json) -> Vec<(Option<usize>, &Json, &str)> {
    match &node.kind {
        JsonKind::String(s) => vec![(None, node, s.as_str())],
        JsonKind::Array(items) => items
            .iter()
            .enumerate()
            .filter_map(|(i, n)| match &n.kind {
                JsonKind::String(s) => Some((Some(i), n, s.as_str())),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// Helpers the checks' tests share.
#[cfg(test)]
mod test_support {
    use super::{Finding, ValidateType, validate};

    /// (code, the text its first location spans) of each finding.
    pub fn located(text: &str, findings: Vec<Finding>) -> Vec<(String, String)> {
        findings
            .into_iter()
            .map(|f| {
                let l = &f.locations[0];
                (
                    f.issue_code,
                    text.chars().skip(l.start).take(l.end - l.start).collect(),
                )
            })
            .collect()
    }

    /// The findings of an identity policy reading `s3:GetObject` on `arn:aws:s3:::b/*`
    /// under `condition`, located.
    pub fn under_condition(condition: &str) -> Vec<(String, String)> {
        let text = format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{condition}}}]}}"#
        );
        located(&text, validate(&text, ValidateType::Identity))
    }
}
