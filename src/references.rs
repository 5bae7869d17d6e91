//! The reference-policy library shipped in `reference-policies/`, usable by name as
//! `builtin:NAME` wherever a document or an access list is read.

use crate::policy::PolicyType;

/// What a library entry is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Use {
    /// A reference policy for check-no-new-access, of this type.
    Reference(PolicyType),
    /// An access list for check-access-not-granted.
    Access,
}

/// One entry of the library.
#[derive(Debug, Clone, Copy)]
pub struct Builtin {
    pub name: &'static str,
    pub kind: Use,
    pub summary: &'static str,
    pub text: &'static str,
}

macro_rules! entry {
    ($name:literal, $kind:expr, $file:literal, $summary:literal) => {
        Builtin {
            name: $name,
            kind: $kind,
            summary: $summary,
            text: include_str!(concat!("../reference-policies/", $name, "/", $file)),
        }
    };
}

/// Every entry, in the order `reference-policies list` shows them.
pub const ALL: &[Builtin] = &[
    entry!(
        "s3-home-folder",
        Use::Reference(PolicyType::Identity),
        "policy.json",
        "each user reads and writes only their own `home/<user name>/` prefix of `example-bucket`, over TLS"
    ),
    entry!(
        "bucket-from-one-account",
        Use::Reference(PolicyType::Resource),
        "policy.json",
        "principals of account 111122223333 may read `example-bucket`, only from the corporate network ranges (an example to adapt)"
    ),
    entry!(
        "no-privilege-escalation",
        Use::Reference(PolicyType::Identity),
        "policy.json",
        "everything except passing or assuming roles and changing IAM policies, permissions boundaries or group membership"
    ),
    entry!(
        "protect-security-services",
        Use::Reference(PolicyType::Identity),
        "policy.json",
        "everything except stopping, deleting or reconfiguring CloudTrail, Config, GuardDuty, Security Hub and Access Analyzer"
    ),
    entry!(
        "no-kms-key-deletion",
        Use::Reference(PolicyType::Identity),
        "policy.json",
        "everything except scheduling KMS key deletion, disabling keys and deleting key material or custom key stores"
    ),
    entry!(
        "no-s3-public-access-changes",
        Use::Reference(PolicyType::Identity),
        "policy.json",
        "everything except changing bucket, access-point and object policies or ACLs and Block Public Access settings"
    ),
    entry!(
        "no-organizations-account-changes",
        Use::Reference(PolicyType::Identity),
        "policy.json",
        "everything except changing AWS Organizations (leave, create, invite, policies, ...) and account settings; reads stay allowed"
    ),
    entry!(
        "no-iam-users-or-access-keys",
        Use::Reference(PolicyType::Identity),
        "policy.json",
        "everything except creating IAM users, access keys, login profiles and other long-term credentials"
    ),
    entry!(
        "region-restriction",
        Use::Reference(PolicyType::Identity),
        "policy.json",
        "global services anywhere, everything else only in us-east-1, us-west-2 and eu-west-1 (edit the list)"
    ),
    entry!(
        "abac-project-tag",
        Use::Reference(PolicyType::Identity),
        "policy.json",
        "everything, but only on resources whose `project` tag equals the caller's `project` tag"
    ),
    entry!(
        "read-only",
        Use::Reference(PolicyType::Identity),
        "policy.json",
        "only Get*, List*, Describe*, BatchGet*, Head*, Lookup* and View* actions"
    ),
    entry!(
        "no-secrets-read",
        Use::Reference(PolicyType::Identity),
        "policy.json",
        "everything except reading Secrets Manager secret values and SSM parameter values"
    ),
    entry!(
        "trust-aws-services",
        Use::Reference(PolicyType::Resource),
        "policy.json",
        "a trust policy: only common AWS compute and orchestration services may assume the role"
    ),
    entry!(
        "trust-account-allowlist",
        Use::Reference(PolicyType::Resource),
        "policy.json",
        "a trust policy: only account 111122223333 (replace it with yours) and common AWS services may assume the role"
    ),
    entry!(
        "data-perimeter",
        Use::Reference(PolicyType::Resource),
        "policy.json",
        "a resource policy: only principals of organization o-exampleorgid (replace it with yours) get access"
    ),
    entry!(
        "sensitive-iam-actions",
        Use::Access,
        "access.json",
        "for check-access-not-granted: iam:PassRole, access-key and user creation, policy attachment and trust changes"
    ),
    entry!(
        "sensitive-destructive-actions",
        Use::Access,
        "access.json",
        "for check-access-not-granted: deleting buckets, tables, databases, backups, log groups, secrets, snapshots and keys"
    ),
    entry!(
        "sensitive-logging-actions",
        Use::Access,
        "access.json",
        "for check-access-not-granted: stopping or deleting CloudTrail, Config, GuardDuty, Security Hub and log groups"
    ),
];

/// The entry of a name.
pub fn get(name: &str) -> Option<&'static Builtin> {
    ALL.iter().find(|b| b.name == name)
}

/// The names, for error messages.
pub fn names() -> String {
    ALL.iter().map(|b| b.name).collect::<Vec<_>>().join(", ")
}
