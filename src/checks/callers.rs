//! What names a caller: the one table that `check-no-public-access`, its slicer and its
//! reasons read (encodings/callers.md explains each row).
//!
//! A caller is *named* by a policy when a literal of the policy singles it out: its
//! account, its ARN, its organization, its network, the endpoint or VPC it comes through,
//! or — for a federated caller — the tenant of its identity provider and the audience or
//! subject that provider vouches for. A value that every caller of some kind can present
//! (`cognito-identity.amazonaws.com:amr = unauthenticated`, a GitHub token's audience
//! `sts.amazonaws.com`) names nobody, and neither does a wildcard or a policy variable,
//! except where the wildcard comes after a fixed tenant (`repo:octo-org/*`).

use ipnet::IpNet;

use crate::pattern::{Part, Template, Tok};
use crate::policy::BaseOp;

/// What kind of value a caller-naming key holds (for the account facts of §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Values {
    /// Any string: only the key's own literals name a caller.
    Plain,
    /// A 12-digit account id: every account the policy names is named here too.
    Account,
    /// An ARN: a fresh value also has a fresh account.
    Arn,
}

/// How a key's values name a caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyRule {
    pub values: Values,
    /// Wildcard patterns that still name one tenant: the pattern's text before its first
    /// wildcard starts with `prefix`, then a non-empty tenant name, then `delimiter`
    /// (`repo:` + `octo-org` + `/` for a GitHub subject).
    pub tenant: &'static [(&'static str, char)],
}

const PLAIN: KeyRule = KeyRule {
    values: Values::Plain,
    tenant: &[],
};

/// Global keys that identify the caller or its network (lower-case).
const GLOBAL_KEYS: &[(&str, Values)] = &[
    ("aws:sourceip", Values::Plain),
    ("aws:vpcsourceip", Values::Plain),
    ("aws:sourcevpc", Values::Plain),
    ("aws:sourcevpce", Values::Plain),
    ("aws:sourcearn", Values::Arn),
    ("aws:sourceaccount", Values::Account),
    ("aws:sourceowner", Values::Account),
    ("aws:sourceorgid", Values::Plain),
    ("aws:sourceorgpaths", Values::Plain),
    ("aws:principalorgid", Values::Plain),
    ("aws:principalorgpaths", Values::Plain),
    ("aws:userid", Values::Plain),
    ("aws:username", Values::Plain),
    ("kms:calleraccount", Values::Account),
    ("s3:dataaccesspointaccount", Values::Account),
    ("s3:dataaccesspointarn", Values::Arn),
];

/// Organization paths (`o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/`): a pattern with a wildcard
/// after a fixed organization id (`o-a1b2c3d4e5/*`) names that organization, as AWS's
/// data-perimeter policies use it.
const ORG_PATH_KEYS: &[&str] = &["aws:principalorgpaths", "aws:sourceorgpaths"];
const ORG_PATH_TENANT: &[(&str, char)] = &[("o-", '/')];

/// An identity provider whose tokens anyone can obtain: naming it (as `Federated`) names
/// no caller; only the listed claims with a literal (or tenant-fixing) value do.
struct OpenProvider {
    host: &'static str,
    /// (claim, tenant-fixing wildcard forms).
    claims: &'static [(&'static str, &'static [(&'static str, char)])],
}

/// The open providers. The first four are the web identity providers of the IAM User
/// Guide, where the audience is the identity pool or app (Access Analyzer calls a
/// Cognito trust policy with a fixed `aud` not public). The others are multi-tenant
/// OIDC issuers: every customer's workflows get tokens from the same issuer with an
/// audience the workflow chooses, so only the subject's tenant (organization, group,
/// repository) names a caller. Issuers whose URL already holds the tenant
/// (`oidc.circleci.com/org/ID`, Bitbucket's per-workspace issuer,
/// `token.actions.githubusercontent.com/ENTERPRISE`, EKS clusters) are not open.
const OPEN_PROVIDERS: &[OpenProvider] = &[
    OpenProvider {
        host: "cognito-identity.amazonaws.com",
        claims: &[("aud", &[]), ("sub", &[])],
    },
    OpenProvider {
        host: "accounts.google.com",
        claims: &[
            ("aud", &[]),
            ("oaud", &[]),
            ("sub", &[]),
            ("email", &[]),
            ("hd", &[]),
            // Numeric: a whole Google Cloud / Workspace organization.
            ("google/organization_number", &[]),
        ],
    },
    OpenProvider {
        host: "graph.facebook.com",
        claims: &[("app_id", &[]), ("id", &[])],
    },
    OpenProvider {
        host: "www.amazon.com",
        claims: &[("app_id", &[]), ("user_id", &[])],
    },
    OpenProvider {
        host: "token.actions.githubusercontent.com",
        claims: &[
            (
                "sub",
                &[
                    ("repo:", '/'),
                    ("repository_owner:", ':'),
                    ("repository_owner_id:", ':'),
                ],
            ),
            ("repository", &[("", '/')]),
            ("repository_id", &[]),
            ("repository_owner", &[]),
            ("repository_owner_id", &[]),
            ("enterprise_id", &[]),
        ],
    },
    OpenProvider {
        host: "gitlab.com",
        claims: &[
            ("sub", &[("project_path:", '/')]),
            ("namespace_id", &[]),
            ("project_id", &[]),
        ],
    },
    OpenProvider {
        host: "app.terraform.io",
        claims: &[("sub", &[("organization:", ':')])],
    },
    OpenProvider {
        host: "agent.buildkite.com",
        claims: &[
            ("sub", &[("organization:", ':')]),
            ("organization_id", &[]),
            ("organization_slug", &[]),
            ("pipeline_id", &[]),
        ],
    },
];

/// SAML keys that name a caller: both hold the account and provider name. Everything
/// else in an assertion (`saml:aud` is AWS's own sign-in URL, `saml:iss` and `saml:sub`
/// are what the provider — possibly one the caller registered — says) names nobody.
const SAML_KEYS: &[&str] = &["saml:doc", "saml:namequalifier"];

/// Claims of a tenant-specific OIDC provider that every caller presents alike.
const UNNAMING_CLAIMS: &[&str] = &["amr"];

fn open_provider(host: &str) -> Option<&'static OpenProvider> {
    OPEN_PROVIDERS.iter().find(|p| p.host == host)
}

/// The provider host of a `Federated` principal: the host itself, or the part after
/// `oidc-provider/` of an IAM OIDC provider ARN.
fn provider_host(federated: &str) -> &str {
    match federated.split_once(":oidc-provider/") {
        Some((arn, host)) if arn.starts_with("arn:") => host,
        _ => federated,
    }
}

/// Whether naming this `Federated` principal names no caller: anyone can obtain a token
/// from it (an open provider, by host or by IAM OIDC provider ARN).
pub fn is_open_provider(federated: &str) -> bool {
    open_provider(provider_host(federated)).is_some()
}

/// How a condition key names a caller, or `None` when it names nobody.
pub fn key_rule(key: &str) -> Option<KeyRule> {
    if let Some((_, values)) = GLOBAL_KEYS.iter().find(|(k, _)| *k == key) {
        return Some(KeyRule {
            values: *values,
            tenant: if ORG_PATH_KEYS.contains(&key) {
                ORG_PATH_TENANT
            } else {
                &[]
            },
        });
    }
    if key.starts_with("saml:") {
        return SAML_KEYS.contains(&key).then_some(PLAIN);
    }
    // A provider key `HOST[/path]:claim`.
    let (host, claim) = key.rsplit_once(':')?;
    if !host.contains('.') {
        return None;
    }
    match open_provider(host) {
        Some(p) => p
            .claims
            .iter()
            .find(|(c, _)| *c == claim)
            .map(|(_, tenant)| KeyRule {
                values: Values::Plain,
                tenant,
            }),
        None => (!UNNAMING_CLAIMS.contains(&claim)).then_some(PLAIN),
    }
}

/// Whether an IP range is narrow enough to name a network: /8 or narrower for IPv4,
/// /32 or narrower for IPv6.
pub fn pins_network(net: &IpNet) -> bool {
    match net {
        IpNet::V4(n) => n.prefix_len() >= 8,
        IpNet::V6(n) => n.prefix_len() >= 32,
    }
}

/// Whether a string pattern names a caller under `rule`: a literal does; a pattern with
/// wildcards does when the text before its first wildcard fixes a tenant; a policy
/// variable never does.
pub fn pins_text(rule: &KeyRule, op: BaseOp, t: &Template) -> bool {
    if t.has_variables() {
        return false;
    }
    let wildcard = |p: &Part| !matches!(p, Part::Tok(Tok::Lit(_)));
    let Some(first) = t.parts.iter().position(wildcard) else {
        return true;
    };
    // Only StringLike gives `*` and `?` their meaning; the other operators parse them
    // as literals, so reaching here means a real wildcard.
    if op != BaseOp::StringLike {
        return false;
    }
    let prefix: String = t.parts[..first]
        .iter()
        .filter_map(|p| match p {
            Part::Tok(Tok::Lit(c)) => Some(*c),
            _ => None,
        })
        .collect();
    rule.tenant.iter().any(|(start, delimiter)| {
        prefix
            .strip_prefix(start)
            .and_then(|rest| rest.find(*delimiter))
            .is_some_and(|at| at > 0)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pattern::Syntax;

    fn like(text: &str) -> Template {
        Template::parse(text, Syntax::Wildcard, false, true).expect("pattern parses")
    }

    #[test]
    fn provider_claims_that_every_caller_presents_name_nobody() {
        assert_eq!(key_rule("cognito-identity.amazonaws.com:amr"), None);
        assert!(key_rule("cognito-identity.amazonaws.com:aud").is_some());
        assert_eq!(key_rule("token.actions.githubusercontent.com:aud"), None);
        assert!(key_rule("token.actions.githubusercontent.com:sub").is_some());
        assert_eq!(key_rule("saml:aud"), None);
        assert!(key_rule("saml:namequalifier").is_some());
        assert_eq!(
            key_rule("oidc.eks.us-east-1.amazonaws.com/id/ABC:amr"),
            None
        );
        assert!(key_rule("oidc.eks.us-east-1.amazonaws.com/id/ABC:sub").is_some());
        assert_eq!(key_rule("s3:prefix"), None);
        assert_eq!(
            key_rule("aws:sourceaccount").map(|r| r.values),
            Some(Values::Account)
        );
    }

    #[test]
    fn open_providers_by_host_and_by_arn() {
        assert!(is_open_provider("cognito-identity.amazonaws.com"));
        assert!(is_open_provider(
            "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"
        ));
        assert!(!is_open_provider(
            "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com/octo-enterprise"
        ));
        assert!(!is_open_provider(
            "arn:aws:iam::111122223333:oidc-provider/oidc.circleci.com/org/1234"
        ));
        assert!(!is_open_provider(
            "arn:aws:iam::111122223333:saml-provider/Okta"
        ));
    }

    #[test]
    fn a_wildcard_after_a_fixed_tenant_names_it() {
        let sub = key_rule("token.actions.githubusercontent.com:sub").expect("a rule");
        let like_pins = |t: &str| pins_text(&sub, BaseOp::StringLike, &like(t));
        assert!(like_pins("repo:octo-org/app:ref:refs/heads/main"));
        assert!(like_pins("repo:octo-org/*"));
        assert!(like_pins("repo:octo-org/app:*"));
        assert!(like_pins("repository_owner:octo-org:*"));
        assert!(!like_pins("repo:*"));
        assert!(!like_pins("repo:octo*"));
        assert!(!like_pins("repo:/*"));
        assert!(!like_pins("*"));
        assert!(!like_pins("repo:*/app:*"));
        let aud = key_rule("cognito-identity.amazonaws.com:aud").expect("a rule");
        assert!(pins_text(&aud, BaseOp::StringLike, &like("us-east-1:abc")));
        assert!(!pins_text(&aud, BaseOp::StringLike, &like("us-east-1:*")));
        let vars = Template::parse("${aws:username}", Syntax::Wildcard, false, true)
            .expect("pattern parses");
        assert!(!pins_text(&aud, BaseOp::StringEquals, &vars));
    }
}
