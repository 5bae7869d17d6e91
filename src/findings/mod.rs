//! Findings: what a gate reports about each policy of a template or each principal of
//! an account, in cfn-policy-validator's vocabulary (a code, a finding type, blocking
//! or not). `template` turns an extracted template into findings; the report module
//! prints them as JSON, SARIF or text.

pub mod account;
pub mod template;

use serde_json::Value;

use crate::checks::{Kind, Outcome};

/// What a finding is about; each code is one SARIF rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    NewAccess,
    AccessGranted,
    PublicAccess,
    Inconclusive,
    NotChecked,
    UnresolvedValues,
    /// A ValidatePolicy finding (`hornbeam validate`); its AWS code and type are the
    /// finding's `validation`.
    Validation,
    /// External access (`hornbeam validate`): a principal outside the zone of trust can
    /// reach the resource, as cfn-policy-validator reports access-preview findings.
    ExternalPrincipal,
}

impl Code {
    pub const ALL: [Code; 7] = [
        Code::NewAccess,
        Code::AccessGranted,
        Code::PublicAccess,
        Code::Inconclusive,
        Code::NotChecked,
        Code::UnresolvedValues,
        Code::ExternalPrincipal,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Code::NewAccess => "NEW_ACCESS",
            Code::AccessGranted => "ACCESS_GRANTED",
            Code::PublicAccess => "PUBLIC_ACCESS",
            Code::Inconclusive => "CHECK_INCONCLUSIVE",
            Code::NotChecked => "POLICY_NOT_CHECKED",
            Code::UnresolvedValues => "UNRESOLVED_VALUES",
            Code::Validation => "VALIDATION",
            Code::ExternalPrincipal => "EXTERNAL_PRINCIPAL",
        }
    }

    /// The finding a check's outcome is: none for a PASS.
    pub fn of(outcome: &Outcome, kind: Kind) -> Option<Code> {
        Some(match (outcome, kind) {
            (Outcome::Pass { .. }, _) => return None,
            (Outcome::Inconclusive { .. }, _) => Code::Inconclusive,
            (Outcome::Fail(_), Kind::NoNewAccess) => Code::NewAccess,
            (Outcome::Fail(_), Kind::AccessNotGranted) => Code::AccessGranted,
            (Outcome::Fail(_), Kind::NoPublicAccess) => Code::PublicAccess,
        })
    }

    /// cfn-policy-validator's finding type.
    pub fn finding_type(self) -> &'static str {
        match self {
            Code::NewAccess
            | Code::AccessGranted
            | Code::PublicAccess
            | Code::ExternalPrincipal => "SECURITY_WARNING",
            Code::Inconclusive | Code::NotChecked => "ERROR",
            Code::UnresolvedValues => "WARNING",
            Code::Validation => "ERROR",
        }
    }

    /// Whether the finding blocks unless told otherwise.
    pub fn blocks(self) -> bool {
        !matches!(self, Code::UnresolvedValues)
    }

    pub fn description(self) -> &'static str {
        match self {
            Code::NewAccess => "The policy grants access that the reference policy does not grant.",
            Code::AccessGranted => {
                "The policy grants at least one of the listed actions or resources."
            }
            Code::PublicAccess => {
                "The resource policy allows access by callers outside any trusted account."
            }
            Code::Inconclusive => {
                "The analysis could not decide the check (a time limit or an unsupported construct); it is not a pass."
            }
            Code::NotChecked => {
                "The policy could not be checked (its document is unknown offline, or the check has no model of its resource type); it is not a pass."
            }
            Code::UnresolvedValues => {
                "Some values of the policy are unknown offline; the check covered every value they could take, so a pass still holds."
            }
            Code::Validation => {
                "An IAM Access Analyzer policy validation finding (ValidatePolicy)."
            }
            Code::ExternalPrincipal => {
                "The resource or trust policy allows access from a principal outside the zone of trust."
            }
        }
    }
}

/// A finding's message for a check's outcome: why it could not decide, or AWS's
/// message followed by the reasons (`qualifier`, e.g. the template conditions assumed,
/// follows the message).
pub fn outcome_message(o: &Outcome, qualifier: &str) -> String {
    if let Some(why) = o.inconclusive() {
        return format!("The check could not decide{qualifier}: {why}");
    }
    let mut message = format!("{}{qualifier}", o.message());
    for reason in o.reasons() {
        message.push(' ');
        message.push_str(&reason.description);
    }
    message
}

/// One finding about one policy of a template.
#[derive(Debug, Clone)]
pub struct Finding {
    pub code: Code,
    pub message: String,
    /// The logical id or Terraform address.
    pub resource_name: String,
    pub resource_type: String,
    pub policy_name: String,
    /// Line of the policy in the template.
    pub line: usize,
    /// The check's JSON result and the notes on unknown values.
    pub details: Value,
    pub blocking: bool,
    /// A ValidatePolicy finding (`hornbeam validate`): AWS's finding type, issue code
    /// and link, which take the place of `code`'s.
    pub validation: Option<Validation>,
}

/// AWS's classification of a ValidatePolicy finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Validation {
    pub finding_type: &'static str,
    pub issue_code: String,
    pub learn_more_link: String,
}

impl Finding {
    /// `--ignore-finding` matches a resource, `RESOURCE.POLICY`, or a code.
    pub fn matches(&self, pattern: &str) -> bool {
        pattern == self.resource_name
            || pattern == format!("{}.{}", self.resource_name, self.policy_name)
            || pattern == self.code_name()
    }

    /// The finding's code: AWS's issue code for a ValidatePolicy finding.
    pub fn code_name(&self) -> &str {
        match &self.validation {
            Some(v) => &v.issue_code,
            None => self.code.name(),
        }
    }

    /// cfn-policy-validator's finding type.
    pub fn finding_type(&self) -> &'static str {
        match &self.validation {
            Some(v) => v.finding_type,
            None => self.code.finding_type(),
        }
    }
}
