//! Checks that need the resource a resource policy is for (`validatePolicyResourceType`).
//!
//! Every type:
//! - `UNSUPPORTED_ACTION_IN_POLICY` (ERROR): an action (or pattern) that names no action
//!   this kind of policy can grant: the type's service (`s3` for buckets and access
//!   points, `s3-object-lambda`, `dynamodb`), and for a role trust policy the actions
//!   of assuming a role (`sts:AssumeRole`, `sts:AssumeRoleWithSAML`,
//!   `sts:AssumeRoleWithWebIdentity`, `sts:TagSession`, `sts:SetSourceIdentity`,
//!   `sts:SetContext`);
//! - `UNSUPPORTED_RESOURCE_ARN_IN_POLICY` (ERROR): a resource ARN of another service;
//! - `IRRELEVANT_CONDITION_KEY_IN_POLICY` (SUGGESTION): a key of another AWS service,
//!   which no request to this resource carries;
//! - the size quotas: `POLICY_SIZE_EXCEEDS_RESOURCE_POLICY_QUOTA` (WARNING; S3 bucket
//!   and DynamoDB policies, 20 KB) and `POLICY_SIZE_EXCEEDS_ROLE_TRUST_POLICY_QUOTA`
//!   (WARNING; 2,048 characters, IAM's default role trust policy length).
//!
//! Role trust policies (`AWS::IAM::AssumeRolePolicyDocument`):
//! - `ROLE_TRUST_POLICY_SYNTAX_ERROR_NOTPRINCIPAL`, `ROLE_TRUST_POLICY_SYNTAX_ERROR_RESOURCE`
//!   (ERROR): `NotPrincipal`; `Resource` or `NotResource` (the policy is about its own
//!   role);
//! - `ROLE_TRUST_POLICY_UNSUPPORTED_WILDCARD_IN_PRINCIPAL` (ERROR): `"Principal": "*"`;
//! - `INVALID_FEDERATED_PRINCIPAL_SYNTAX_IN_ROLE_TRUST_POLICY` (ERROR): a `Federated`
//!   principal that is neither a SAML or OIDC provider ARN nor a provider's domain name;
//! - `MISMATCHED_ACTION_FOR_PRINCIPAL` (ERROR): `sts:AssumeRoleWithSAML` without a SAML
//!   provider, `sts:AssumeRoleWithWebIdentity` without an OIDC provider, or
//!   `sts:AssumeRole` without an `AWS` or `Service` principal, in the statement;
//! - `MISSING_ACTION_FOR_ROLES_ANYWHERE_TRUST_POLICY` (ERROR): `rolesanywhere.amazonaws.com`
//!   allowed without all of `sts:AssumeRole`, `sts:SetSourceIdentity`, `sts:TagSession`;
//! - `MISSING_GITHUB_REPO_CONDITION_KEY` (SECURITY_WARNING): GitHub's OIDC provider
//!   allowed without `token.actions.githubusercontent.com:sub`;
//!   `MISSING_CONDITION_KEY_FOR_OIDC_PRINCIPAL` (SECURITY_WARNING): another OIDC
//!   provider allowed without a key of its own (`accounts.google.com:aud`, ...);
//! - `SPECIFIC_GITHUB_REPO_AND_BRANCH_RECOMMENDED` (WARNING): a wildcard in a
//!   `token.actions.githubusercontent.com:sub` value;
//! - `CONFIRM_AUDIENCE_CLAIM_TYPE` (SUGGESTION): a set qualifier on an OIDC `aud` key,
//!   which is right only when the provider sends several audiences;
//! - `REDUNDANT_PRINCIPAL_IN_ROLE_TRUST_POLICY` (SUGGESTION): an assumed-role session
//!   listed beside its own role;
//! - `MISSING_ACTION_FOR_CONDITION_KEY` (ERROR): an Allow that tests a key only the
//!   action setting it sends, without that action: `sts:SourceIdentity` needs
//!   `sts:SetSourceIdentity`; session tags (`aws:RequestTag/…`, `aws:TagKeys`,
//!   `sts:TransitiveTagKeys`) need `sts:TagSession`.
//!
//! Other resource types:
//! - `FEDERATED_PRINCIPAL_NOT_SUPPORTED` (ERROR): a `Federated` principal, which only a
//!   role trust policy takes.

use super::location::Location;
use super::{Document, Finding, FindingType, PrincipalEntry, Statement, member, strings};
use crate::pattern::Glob;

/// The resource types ValidatePolicy takes for a resource policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResourceType {
    S3Bucket,
    S3AccessPoint,
    S3MultiRegionAccessPoint,
    S3ObjectLambdaAccessPoint,
    RoleTrust,
    DynamoDbTable,
}

const TRUST_ACTIONS: [&str; 6] = [
    "sts:AssumeRole",
    "sts:AssumeRoleWithSAML",
    "sts:AssumeRoleWithWebIdentity",
    "sts:TagSession",
    "sts:SetSourceIdentity",
    "sts:SetContext",
];

const GITHUB: &str = "token.actions.githubusercontent.com";

impl ResourceType {
    pub const ALL: [ResourceType; 6] = [
        ResourceType::S3Bucket,
        ResourceType::S3AccessPoint,
        ResourceType::S3MultiRegionAccessPoint,
        ResourceType::S3ObjectLambdaAccessPoint,
        ResourceType::RoleTrust,
        ResourceType::DynamoDbTable,
    ];

    /// AWS's names, in the order of [`ResourceType::ALL`].
    pub const NAMES: [&'static str; 6] = [
        "AWS::S3::Bucket",
        "AWS::S3::AccessPoint",
        "AWS::S3::MultiRegionAccessPoint",
        "AWS::S3ObjectLambda::AccessPoint",
        "AWS::IAM::AssumeRolePolicyDocument",
        "AWS::DynamoDB::Table",
    ];

    pub fn name(self) -> &'static str {
        Self::NAMES[self as usize]
    }

    pub fn parse(name: &str) -> Option<ResourceType> {
        ResourceType::ALL.into_iter().find(|t| t.name() == name)
    }

    /// The service whose actions, resources and keys the policy is about.
    fn service(self) -> &'static str {
        match self {
            ResourceType::S3ObjectLambdaAccessPoint => "s3-object-lambda",
            ResourceType::RoleTrust => "sts",
            ResourceType::DynamoDbTable => "dynamodb",
            _ => "s3",
        }
    }

    /// The size quota AWS warns about: (characters, issue code).
    pub(super) fn quota(self) -> Option<(usize, &'static str)> {
        match self {
            ResourceType::RoleTrust => Some((2_048, "POLICY_SIZE_EXCEEDS_ROLE_TRUST_POLICY_QUOTA")),
            ResourceType::S3Bucket | ResourceType::DynamoDbTable => {
                Some((20_480, "POLICY_SIZE_EXCEEDS_RESOURCE_POLICY_QUOTA"))
            }
            _ => None,
        }
    }

    /// Whether action pattern `a` names an action this policy can grant.
    fn grants(self, a: &str) -> bool {
        let glob = Glob::action(a);
        if self == ResourceType::RoleTrust {
            return TRUST_ACTIONS
                .iter()
                .any(|t| glob.matches(&t.to_ascii_lowercase()));
        }
        crate::actions::of_service(self.service())
            .iter()
            .any(|k| glob.matches(&k.to_string().to_ascii_lowercase()))
    }
}

pub(super) fn findings(doc: &Document, rt: ResourceType) -> Vec<Finding> {
    let mut out = Vec::new();
    let keys = doc.condition_keys();
    for s in doc.statements() {
        out.extend(unsupported_actions(doc, &s, rt));
        out.extend(unsupported_resources(doc, &s, rt));
        if rt == ResourceType::RoleTrust {
            out.extend(trust_statement(doc, &s, &keys));
        } else {
            for p in doc.principals(&s, "Principal") {
                if p.kind == "Federated" {
                    out.push(Finding::new(
                        FindingType::Error,
                        "FEDERATED_PRINCIPAL_NOT_SUPPORTED",
                        format!(
                            "A policy of a {} does not take the federated principal `{}`; federated users reach it through a role they assume, so name that role.",
                            rt.name(),
                            p.value
                        ),
                        vec![p.location(doc)],
                    ));
                }
            }
        }
    }
    for ck in &keys {
        let name = ck.key.name.to_ascii_lowercase();
        let Some((prefix, _)) = name.split_once(':') else {
            continue;
        };
        if prefix != rt.service() && prefix != "aws" && crate::actions::is_service(prefix) {
            out.push(Finding::new(
                FindingType::Suggestion,
                "IRRELEVANT_CONDITION_KEY_IN_POLICY",
                format!(
                    "No request to a {} carries `{}`, a key of `{prefix}`; the condition never sees it. Use it in an identity policy of the callers instead.",
                    rt.name(),
                    ck.key.name
                ),
                vec![ck.key_location(doc)],
            ));
        }
        if rt == ResourceType::RoleTrust {
            if name == format!("{GITHUB}:sub")
                && strings(&ck.key.value)
                    .iter()
                    .any(|(_, _, v)| v.contains(['*', '?']))
            {
                out.push(Finding::new(
                    FindingType::Warning,
                    "SPECIFIC_GITHUB_REPO_AND_BRANCH_RECOMMENDED",
                    format!(
                        "A wildcard in `{}` lets more workflows assume the role than one repository and branch; name them, as `repo:ORG/REPO:ref:refs/heads/main`.",
                        ck.key.name
                    ),
                    vec![ck.value_location(doc)],
                ));
            }
            if ck.qualifier.is_some() && name.ends_with(":aud") && prefix != "aws" {
                out.push(Finding::new(
                    FindingType::Suggestion,
                    "CONFIRM_AUDIENCE_CLAIM_TYPE",
                    format!(
                        "`{}` treats `{}` as several values; that is right only if the provider sends a list of audiences. For a single audience use `{}` without the qualifier.",
                        ck.operator, ck.key.name, ck.base
                    ),
                    vec![ck.key_location(doc)],
                ));
            }
        }
    }
    out
}

fn unsupported_actions(doc: &Document, s: &Statement, rt: ResourceType) -> Vec<Finding> {
    let Some(actions) = member(s.node, "Action") else {
        return Vec::new();
    };
    strings(actions)
        .into_iter()
        .filter(|(_, _, a)| !rt.grants(a))
        .map(|(i, node, a)| {
            let mut path = doc.path(s, "Action");
            path.extend(i.map(super::PathElement::Index));
            Finding::new(
                FindingType::Error,
                "UNSUPPORTED_ACTION_IN_POLICY",
                format!(
                    "`{a}` is not an action a policy of a {} can grant; grant it in the policy of the resource it acts on, or in an identity policy.",
                    rt.name()
                ),
                vec![Location::of(doc.text, path, node)],
            )
        })
        .collect()
}

fn unsupported_resources(doc: &Document, s: &Statement, rt: ResourceType) -> Vec<Finding> {
    let mut out = Vec::new();
    for name in ["Resource", "NotResource"] {
        let Some(node) = member(s.node, name) else {
            continue;
        };
        if rt == ResourceType::RoleTrust {
            out.push(Finding::new(
                FindingType::Error,
                "ROLE_TRUST_POLICY_SYNTAX_ERROR_RESOURCE",
                format!(
                    "A role trust policy is about its own role, so it has no `{name}`; remove it."
                ),
                vec![Location::of(doc.text, doc.path(s, name), node)],
            ));
            continue;
        }
        for (i, item, r) in strings(node) {
            let service = r.split(':').nth(2);
            let matches = service
                .is_none_or(|sv| Glob::action(sv).matches(rt.service()) || sv.contains("${"));
            if r == "*" || matches {
                continue;
            }
            let mut path = doc.path(s, name);
            path.extend(i.map(super::PathElement::Index));
            out.push(Finding::new(
                FindingType::Error,
                "UNSUPPORTED_RESOURCE_ARN_IN_POLICY",
                format!(
                    "`{r}` is not a resource of `{}`, so a policy of a {} cannot grant it; name the resource the policy is attached to.",
                    rt.service(),
                    rt.name()
                ),
                vec![Location::of(doc.text, path, item)],
            ));
        }
    }
    out
}

/// Which provider a `Federated` principal names.
#[derive(PartialEq)]
enum Provider<'a> {
    Saml,
    /// An OIDC provider, by its URL without the scheme (`accounts.google.com`).
    Oidc(&'a str),
    Malformed,
}

fn provider(v: &str) -> Provider<'_> {
    let account = |a: &str| a.len() == 12 && a.bytes().all(|b| b.is_ascii_digit());
    if let Some(rest) = v.strip_prefix("arn:") {
        let fields: Vec<&str> = rest.splitn(5, ':').collect();
        return match fields.as_slice() {
            [_, "iam", "", a, res] if account(a) => {
                if res
                    .strip_prefix("saml-provider/")
                    .is_some_and(|n| !n.is_empty())
                {
                    Provider::Saml
                } else if let Some(url) =
                    res.strip_prefix("oidc-provider/").filter(|u| !u.is_empty())
                {
                    Provider::Oidc(url)
                } else {
                    Provider::Malformed
                }
            }
            _ => Provider::Malformed,
        };
    }
    let domain = v.contains('.')
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'/' | b'_'));
    if domain {
        Provider::Oidc(v)
    } else {
        Provider::Malformed
    }
}

fn trust_statement(doc: &Document, s: &Statement, keys: &[super::ConditionKey]) -> Vec<Finding> {
    let mut out = Vec::new();
    if let Some(np) = member(s.node, "NotPrincipal") {
        out.push(Finding::new(
            FindingType::Error,
            "ROLE_TRUST_POLICY_SYNTAX_ERROR_NOTPRINCIPAL",
            "A role trust policy names who may assume the role; it has no `NotPrincipal`. Use `Principal`.".into(),
            vec![Location::of(doc.text, doc.path(s, "NotPrincipal"), np)],
        ));
    }
    let principals = doc.principals(s, "Principal");
    let allow = matches!(member(s.node, "Effect").map(|e| &e.kind), Some(crate::json::JsonKind::String(e)) if e == "Allow");
    let statement_keys: Vec<String> = keys
        .iter()
        .filter(|k| std::ptr::eq(k.statement.node, s.node))
        .map(|k| k.key.name.to_ascii_lowercase())
        .collect();
    let actions: Vec<(Option<usize>, &crate::json::Json, &str)> =
        member(s.node, "Action").map(strings).unwrap_or_default();
    let covers = |name: &str| {
        actions
            .iter()
            .any(|(_, _, a)| Glob::action(a).matches(&name.to_ascii_lowercase()))
    };
    for p in &principals {
        if p.kind == "*" && p.value == "*" {
            out.push(Finding::new(
                FindingType::Error,
                "ROLE_TRUST_POLICY_UNSUPPORTED_WILDCARD_IN_PRINCIPAL",
                "A role trust policy does not take `\"Principal\": \"*\"`; name the principals that may assume the role (an account, a role, a service or an identity provider).".into(),
                vec![p.location(doc)],
            ));
        }
        if p.kind == "Service" && p.value == "rolesanywhere.amazonaws.com" && allow {
            let missing: Vec<&str> = ["sts:AssumeRole", "sts:SetSourceIdentity", "sts:TagSession"]
                .into_iter()
                .filter(|a| !covers(a))
                .collect();
            if !missing.is_empty() {
                out.push(Finding::new(
                    FindingType::Error,
                    "MISSING_ACTION_FOR_ROLES_ANYWHERE_TRUST_POLICY",
                    format!(
                        "IAM Roles Anywhere assumes a role with `sts:AssumeRole`, `sts:SetSourceIdentity` and `sts:TagSession`; add {}.",
                        missing.iter().map(|a| format!("`{a}`")).collect::<Vec<_>>().join(", ")
                    ),
                    vec![p.location(doc)],
                ));
            }
        }
        if p.kind != "Federated" {
            continue;
        }
        match provider(p.value) {
            Provider::Malformed => out.push(Finding::new(
                FindingType::Error,
                "INVALID_FEDERATED_PRINCIPAL_SYNTAX_IN_ROLE_TRUST_POLICY",
                format!(
                    "`{}` is not an identity provider: a federated principal is a SAML provider ARN (`arn:aws:iam::111122223333:saml-provider/NAME`), an OIDC provider ARN (`arn:aws:iam::111122223333:oidc-provider/URL`) or a provider's domain (`accounts.google.com`).",
                    p.value
                ),
                vec![p.location(doc)],
            )),
            Provider::Oidc(url) if allow => {
                let url = url.to_ascii_lowercase();
                let has = |key: &str| statement_keys.iter().any(|k| k == key);
                let own = statement_keys
                    .iter()
                    .any(|k| k.split_once(':').is_some_and(|(prefix, _)| prefix == url));
                if url == GITHUB && !has(&format!("{GITHUB}:sub")) {
                    out.push(Finding::new(
                        FindingType::SecurityWarning,
                        "MISSING_GITHUB_REPO_CONDITION_KEY",
                        format!(
                            "Any GitHub repository's workflow can assume the role: add a condition on `{GITHUB}:sub` naming yours, as `repo:ORG/REPO:ref:refs/heads/main`."
                        ),
                        vec![p.location(doc)],
                    ));
                } else if url != GITHUB && !own {
                    out.push(Finding::new(
                        FindingType::SecurityWarning,
                        "MISSING_CONDITION_KEY_FOR_OIDC_PRINCIPAL",
                        format!(
                            "Any identity `{url}` issues a token to can assume the role: add conditions on the provider's own keys (`{url}:aud`, `{url}:sub`)."
                        ),
                        vec![p.location(doc)],
                    ));
                }
            }
            _ => {}
        }
    }
    if allow {
        for k in keys
            .iter()
            .filter(|k| std::ptr::eq(k.statement.node, s.node))
        {
            let name = k.key.name.to_ascii_lowercase();
            let needs = if name == "sts:sourceidentity" {
                "sts:SetSourceIdentity"
            } else if name.starts_with("aws:requesttag/")
                || name == "aws:tagkeys"
                || name == "sts:transitivetagkeys"
            {
                "sts:TagSession"
            } else {
                continue;
            };
            if !covers(needs) {
                out.push(Finding::new(
                    FindingType::Error,
                    "MISSING_ACTION_FOR_CONDITION_KEY",
                    format!(
                        "Only `{needs}` sets `{}`; add `{needs}` to the statement's actions, or the condition never sees the key.",
                        k.key.name
                    ),
                    vec![k.key_location(doc)],
                ));
            }
        }
    }
    out.extend(mismatched_actions(doc, s, &principals, &actions));
    out.extend(redundant_sessions(doc, &principals));
    out
}

/// Literal assume-role actions that no principal of the statement can use.
fn mismatched_actions(
    doc: &Document,
    s: &Statement,
    principals: &[PrincipalEntry],
    actions: &[(Option<usize>, &crate::json::Json, &str)],
) -> Vec<Finding> {
    if principals.is_empty() || principals.iter().any(|p| p.kind == "*") {
        return Vec::new();
    }
    let mut out = Vec::new();
    for (i, node, a) in actions {
        // A malformed provider is reported as such, not as a mismatch.
        let fits = |p: &PrincipalEntry| match a.to_ascii_lowercase().as_str() {
            _ if p.kind == "Federated" && provider(p.value) == Provider::Malformed => true,
            "sts:assumerolewithsaml" => {
                p.kind == "Federated" && provider(p.value) == Provider::Saml
            }
            "sts:assumerolewithwebidentity" => {
                p.kind == "Federated" && matches!(provider(p.value), Provider::Oidc(_))
            }
            "sts:assumerole" => matches!(p.kind, "AWS" | "Service"),
            _ => true,
        };
        if principals.iter().any(fits) {
            continue;
        }
        let names: Vec<String> = principals
            .iter()
            .map(|p| format!("`{}`", p.value))
            .collect();
        let mut path = doc.path(s, "Action");
        path.extend(i.map(super::PathElement::Index));
        out.push(Finding::new(
            FindingType::Error,
            "MISMATCHED_ACTION_FOR_PRINCIPAL",
            format!(
                "`{a}` cannot be used by {}: a SAML provider assumes a role with `sts:AssumeRoleWithSAML`, an OIDC provider with `sts:AssumeRoleWithWebIdentity`, accounts, roles, users and services with `sts:AssumeRole`.",
                names.join(", ")
            ),
            vec![Location::of(doc.text, path, node)],
        ));
    }
    out
}

/// Assumed-role sessions (`arn:aws:sts::A:assumed-role/R/S`) listed beside role `R` of
/// account `A`, which already covers every session of it.
fn redundant_sessions(doc: &Document, principals: &[PrincipalEntry]) -> Vec<Finding> {
    let roles: Vec<(&str, &str, &str)> = principals
        .iter()
        .filter(|p| p.kind == "AWS")
        .filter_map(|p| {
            let f: Vec<&str> = p.value.splitn(6, ':').collect();
            match f.as_slice() {
                ["arn", partition, "iam", "", account, res] => {
                    Some((*partition, *account, res.strip_prefix("role/")?))
                }
                _ => None,
            }
        })
        .collect();
    let mut out = Vec::new();
    for p in principals.iter().filter(|p| p.kind == "AWS") {
        let f: Vec<&str> = p.value.splitn(6, ':').collect();
        let ["arn", partition, "sts", "", account, res] = f.as_slice() else {
            continue;
        };
        let Some(role) = res
            .strip_prefix("assumed-role/")
            .and_then(|r| r.rsplit_once('/'))
            .map(|(role, _)| role)
        else {
            continue;
        };
        // The role's ARN may carry a path: its name is the last segment.
        let parent = roles.iter().find(|(pt, a, r)| {
            pt == partition && a == account && r.rsplit('/').next() == Some(role)
        });
        if let Some((_, _, r)) = parent {
            out.push(Finding::new(
                FindingType::Suggestion,
                "REDUNDANT_PRINCIPAL_IN_ROLE_TRUST_POLICY",
                format!(
                    "`{}` is a session of role `{r}`, which the policy already trusts; remove the session.",
                    p.value
                ),
                vec![p.location(doc)],
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::ResourceType;
    use crate::validate::{ValidateType, validate_for};

    /// (code, the located text) of each finding of a one-statement policy.
    fn found(rt: ResourceType, statement: &str) -> Vec<(String, String)> {
        let text = format!(r#"{{"Version":"2012-10-17","Statement":[{statement}]}}"#);
        crate::validate::test_support::located(
            &text,
            validate_for(&text, ValidateType::Resource, Some(rt)),
        )
    }

    fn assert_one(rt: ResourceType, statement: &str, code: &str, at: &str) {
        let f = found(rt, statement);
        assert!(
            f.iter().any(|(c, a)| c == code && a == at),
            "{statement}: {f:?}"
        );
        assert_eq!(f.len(), 1, "{statement}: {f:?}");
    }

    fn assert_none(rt: ResourceType, statement: &str) {
        let f = found(rt, statement);
        assert!(f.is_empty(), "{statement}: {f:?}");
    }

    const TRUST: ResourceType = ResourceType::RoleTrust;

    #[test]
    fn role_trust_policy_grammar() {
        for (statement, code, at) in [
            (
                r#"{"Effect":"Allow","NotPrincipal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"sts:AssumeRole"}"#,
                "ROLE_TRUST_POLICY_SYNTAX_ERROR_NOTPRINCIPAL",
                r#"{"AWS":"arn:aws:iam::111122223333:root"}"#,
            ),
            (
                r#"{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"sts:AssumeRole","Resource":"arn:aws:iam::111122223333:role/r"}"#,
                "ROLE_TRUST_POLICY_SYNTAX_ERROR_RESOURCE",
                r#""arn:aws:iam::111122223333:role/r""#,
            ),
            (
                r#"{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-a1b2c3d4e5"}}}"#,
                "ROLE_TRUST_POLICY_UNSUPPORTED_WILDCARD_IN_PRINCIPAL",
                r#""*""#,
            ),
            (
                r#"{"Effect":"Allow","Principal":{"Federated":"my-idp"},"Action":"sts:AssumeRoleWithSAML"}"#,
                "INVALID_FEDERATED_PRINCIPAL_SYNTAX_IN_ROLE_TRUST_POLICY",
                r#""my-idp""#,
            ),
            (
                r#"{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::111122223333:saml-provider/Okta"},"Action":"sts:AssumeRole"}"#,
                "MISMATCHED_ACTION_FOR_PRINCIPAL",
                r#""sts:AssumeRole""#,
            ),
            (
                r#"{"Effect":"Allow","Principal":{"Service":"rolesanywhere.amazonaws.com"},"Action":["sts:AssumeRole","sts:TagSession"]}"#,
                "MISSING_ACTION_FOR_ROLES_ANYWHERE_TRUST_POLICY",
                r#""rolesanywhere.amazonaws.com""#,
            ),
            (
                r#"{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"s3:GetObject"}"#,
                "UNSUPPORTED_ACTION_IN_POLICY",
                r#""s3:GetObject""#,
            ),
            (
                r#"{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"ec2:Region":"us-east-1"}}}"#,
                "IRRELEVANT_CONDITION_KEY_IN_POLICY",
                r#""ec2:Region""#,
            ),
        ] {
            assert_one(TRUST, statement, code, at);
        }
        // Near misses: principals, actions and keys a trust policy takes; `AWS: *`
        // (narrowed by a condition) is taken, unlike `"Principal": "*"`.
        for statement in [
            r#"{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-a1b2c3d4e5"}}}"#,
            r#"{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::111122223333:saml-provider/Okta"},"Action":["sts:AssumeRoleWithSAML","sts:TagSession"],"Condition":{"StringEquals":{"SAML:aud":"https://signin.aws.amazon.com/saml"}}}"#,
            r#"{"Effect":"Allow","Principal":{"Service":"rolesanywhere.amazonaws.com"},"Action":["sts:AssumeRole","sts:TagSession","sts:SetSourceIdentity"]}"#,
            r#"{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:*"}"#,
            r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/a"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"x"}}}"#,
        ] {
            assert_none(TRUST, statement);
        }
    }

    #[test]
    fn role_trust_policy_federation() {
        for (statement, code, at) in [
            (
                r#"{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"token.actions.githubusercontent.com:aud":"sts.amazonaws.com"}}}"#,
                "MISSING_GITHUB_REPO_CONDITION_KEY",
                r#""arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com""#,
            ),
            (
                r#"{"Effect":"Allow","Principal":{"Federated":"accounts.google.com"},"Action":"sts:AssumeRoleWithWebIdentity"}"#,
                "MISSING_CONDITION_KEY_FOR_OIDC_PRINCIPAL",
                r#""accounts.google.com""#,
            ),
            (
                r#"{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringLike":{"token.actions.githubusercontent.com:sub":"repo:octo-org/*"}}}"#,
                "SPECIFIC_GITHUB_REPO_AND_BRANCH_RECOMMENDED",
                r#""repo:octo-org/*""#,
            ),
            (
                r#"{"Effect":"Allow","Principal":{"Federated":"accounts.google.com"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"ForAnyValue:StringEquals":{"accounts.google.com:aud":"app-1"}}}"#,
                "CONFIRM_AUDIENCE_CLAIM_TYPE",
                r#""accounts.google.com:aud""#,
            ),
            (
                r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/a"},"Action":"sts:AssumeRole","Condition":{"StringLike":{"sts:SourceIdentity":"alice*"}}}"#,
                "MISSING_ACTION_FOR_CONDITION_KEY",
                r#""sts:SourceIdentity""#,
            ),
            (
                r#"{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::111122223333:role/ops/Deploy","arn:aws:sts::111122223333:assumed-role/Deploy/alice"]},"Action":"sts:AssumeRole"}"#,
                "REDUNDANT_PRINCIPAL_IN_ROLE_TRUST_POLICY",
                r#""arn:aws:sts::111122223333:assumed-role/Deploy/alice""#,
            ),
        ] {
            assert_one(TRUST, statement, code, at);
        }
        for statement in [
            r#"{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"token.actions.githubusercontent.com:sub":"repo:octo-org/app:ref:refs/heads/main","token.actions.githubusercontent.com:aud":"sts.amazonaws.com"}}}"#,
            r#"{"Effect":"Allow","Principal":{"Federated":"accounts.google.com"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"accounts.google.com:aud":"app-1"}}}"#,
            r#"{"Effect":"Deny","Principal":{"Federated":"accounts.google.com"},"Action":"sts:AssumeRoleWithWebIdentity"}"#,
            r#"{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::111122223333:role/Deploy","arn:aws:sts::444455556666:assumed-role/Deploy/alice"]},"Action":"sts:AssumeRole"}"#,
            r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/a"},"Action":["sts:AssumeRole","sts:TagSession"],"Condition":{"StringEquals":{"aws:RequestTag/team":"ops"}}}"#,
        ] {
            assert_none(TRUST, statement);
        }
    }

    #[test]
    fn resource_policies_of_a_type() {
        let bucket = ResourceType::S3Bucket;
        let p = r#""Principal":{"AWS":"111122223333"}"#;
        for (statement, code, at) in [
            (
                format!(
                    r#"{{"Effect":"Allow",{p},"Action":"sqs:SendMessage","Resource":"arn:aws:s3:::b/*"}}"#
                ),
                "UNSUPPORTED_ACTION_IN_POLICY",
                r#""sqs:SendMessage""#,
            ),
            (
                format!(
                    r#"{{"Effect":"Allow",{p},"Action":"s3:GetObject","Resource":["arn:aws:s3:::b/*","arn:aws:sqs:us-east-1:111122223333:q"]}}"#
                ),
                "UNSUPPORTED_RESOURCE_ARN_IN_POLICY",
                r#""arn:aws:sqs:us-east-1:111122223333:q""#,
            ),
        ] {
            assert_one(bucket, &statement, code, at);
        }
        assert_one(
            bucket,
            r#"{"Effect":"Allow","Principal":{"Federated":"accounts.google.com"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}"#,
            "FEDERATED_PRINCIPAL_NOT_SUPPORTED",
            r#""accounts.google.com""#,
        );
        assert_one(
            ResourceType::DynamoDbTable,
            &format!(r#"{{"Effect":"Allow",{p},"Action":"s3:GetObject","Resource":"*"}}"#),
            "UNSUPPORTED_ACTION_IN_POLICY",
            r#""s3:GetObject""#,
        );
        for statement in [
            format!(
                r#"{{"Effect":"Allow",{p},"Action":["s3:Get*","*"],"Resource":["arn:aws:s3:::b/*","*","arn:aws:s3*:::x"]}}"#
            ),
            r#"{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::b/*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}"#.to_string(),
        ] {
            assert_none(bucket, &statement);
        }
        // Without a resource type, none of these checks runs.
        let text = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"sqs:SendMessage","Resource":"arn:aws:sqs:us-east-1:111122223333:q"}]}"#;
        assert!(validate_for(text, ValidateType::Resource, None).is_empty());
    }

    #[test]
    fn size_quotas_of_a_type() {
        let principals: Vec<String> = (0..120)
            .map(|i| format!(r#""arn:aws:iam::111122223333:role/role-{i:04}""#))
            .collect();
        let text = format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":[{}]}},"Action":"sts:AssumeRole"}}]}}"#,
            principals.join(",")
        );
        let codes: Vec<String> = validate_for(&text, ValidateType::Resource, Some(TRUST))
            .into_iter()
            .map(|f| f.issue_code)
            .collect();
        assert_eq!(codes, ["POLICY_SIZE_EXCEEDS_ROLE_TRUST_POLICY_QUOTA"]);
        assert!(
            validate_for(&text, ValidateType::Resource, Some(ResourceType::S3Bucket))
                .iter()
                .all(|f| !f.issue_code.starts_with("POLICY_SIZE"))
        );
    }
}
