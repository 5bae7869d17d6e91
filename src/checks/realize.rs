//! Realistic counterexamples. A region's witness is its shortest string, so a confirmed
//! counterexample may name the action `s3:`, the caller `arn:aws:iam:::role/Admin` (no
//! account), the resource `""` or `aws:PrincipalOrgID = o-`: values no AWS request
//! carries. Here each such field is rewritten into one that AWS could receive — a known
//! action that the policies' patterns cover, a 12-digit account, an ARN filled in from
//! the policy's own pattern — and a rewrite is kept only when the check confirms the
//! rewritten request again (eval/ on the policies as written, and the check's own
//! condition). Nothing here can turn a PASS into a FAIL or make a finding unconfirmed:
//! when no realistic value confirms, the witness stays as it was.

use crate::actions;
use crate::eval::{Principal, Request};
use crate::pattern::{self, Part, Tok, fold};
use crate::policy::{CondValue, Policy, is_account_id};
use crate::smt::encode;

use super::Spec;

/// Accounts a rewritten caller may come from, in order; one the policies name
/// (`no_public_access::named_accounts`) is skipped: it could be a trusted one.
const FRESH_ACCOUNTS: &[&str] = &[
    "444455556666",
    "777788889999",
    "210987654321",
    "135792468024",
];

/// How many rewrites of one field are tried at most (each is one replay).
const MAX_TRIES: usize = 48;

/// The counterexample with every field that can be made realistic made so.
pub(crate) fn realize(r: Request, spec: &impl Spec) -> Request {
    realize_in(r, spec, None)
}

/// Whether a known action lies in the witness's region of the query's own encoding:
/// then it replays for certain.
pub(crate) type SameRegion<'a> = &'a dyn Fn(&str) -> bool;

/// [`realize`], with the encoding's own test of "in the witness's region" for actions
/// when there is one (exact and cheap however many patterns the policies have).
pub(crate) fn realize_in(r: Request, spec: &impl Spec, same: Option<SameRegion<'_>>) -> Request {
    let policies = spec.policies();
    let r = complete(r, spec, &policies);
    let principal_ok = match &r.principal {
        Some(Principal::Aws(arn)) => well_formed_arn(arn, true),
        Some(Principal::Federated(v)) => !v.is_empty(),
        Some(Principal::Service(v)) => v.ends_with(".amazonaws.com"),
        Some(Principal::CanonicalUser(v)) => v.len() == 64,
        Some(Principal::Anonymous) => !r
            .context
            .iter()
            .any(|(k, _)| super::no_public_access::anonymous_lacks(&fold(k))),
        _ => true,
    };
    if principal_ok
        && spelled(&fold(&r.action)).as_deref() == Some(r.action.as_str())
        && well_formed_arn(&r.resource, false)
        && in_action_format(&r.action, &r.resource)
        && r.context
            .iter()
            .all(|(k, vs)| vs.iter().all(|v| realistic(&fold(k), v)))
    {
        return r;
    }
    let named: std::collections::BTreeSet<String> = policies
        .iter()
        .flat_map(|p| super::no_public_access::named_accounts(p))
        .collect();
    let fresh: Vec<&str> = FRESH_ACCOUNTS
        .iter()
        .copied()
        .filter(|a| !named.contains(*a))
        .collect();
    let r = principal(r, spec, &fresh);
    let r = match &r.principal {
        Some(Principal::Aws(arn)) if !well_formed_arn(arn, true) => {
            principal_with_resource(r, spec, &policies, &fresh)
        }
        _ => r,
    };
    let r = action(r, spec, &policies, same);
    let r = resource(r, spec, &policies, &fresh);
    context(r, spec, &policies, &fresh)
}

/// The request with every key that AWS always sends and the policies read: a query
/// whose slice left out the statements reading a key does not mention it, and any
/// value of the key keeps the answer (slice.rs keeps each request's answer).
fn complete(r: Request, spec: &impl Spec, policies: &[&Policy]) -> Request {
    let iam = matches!(r.principal, Some(Principal::Aws(_)))
        || policies
            .iter()
            .any(|p| p.policy_type == crate::policy::PolicyType::Identity);
    let mut out = r.clone();
    for c in super::missing_keys(policies, &r) {
        if out.context.get(&c.key).is_some() {
            continue;
        }
        let value = match c.key.as_str() {
            "aws:securetransport" => "true",
            "aws:currenttime" => "2026-01-01T00:00:00Z",
            "aws:epochtime" => "1767225600",
            "aws:principalisawsservice" => "false",
            "aws:userid" => "AIDAEXAMPLEUSERID00001",
            "aws:principaltype" => match &r.principal {
                None | Some(Principal::Anonymous) if !iam => "Anonymous",
                Some(Principal::Aws(arn)) if arn.ends_with(":root") => "Account",
                Some(Principal::Aws(arn)) if arn.contains(":user/") => "User",
                _ => "AssumedRole",
            },
            _ => continue,
        };
        let name = encode::GLOBAL_KEY_SPELLINGS
            .iter()
            .find(|k| fold(k) == c.key)
            .map_or(c.key_text.as_str(), |k| k);
        out.context.add(name, [value.to_string()]);
    }
    if out == r || !confirmed(spec, &out) {
        return r;
    }
    out
}

/// The first candidate the check confirms, else the request unchanged.
fn first_confirmed(
    r: Request,
    spec: &impl Spec,
    candidates: impl IntoIterator<Item = Request>,
) -> Request {
    candidates
        .into_iter()
        .take(MAX_TRIES)
        .find(|c| confirmed(spec, c))
        .unwrap_or(r)
}

/// Whether a rewritten request is still a counterexample and still one AWS could send:
/// a value filled into a pattern (`arn:aws:ec2:us-east-1:111*` as
/// `arn:aws:ec2:us-east-1:111example`) must keep its key's documented type.
fn confirmed(spec: &impl Spec, c: &Request) -> bool {
    spec.confirm(c).is_ok() && super::within_model(&spec.policies(), c)
}

/// The request with another caller, its derived keys (`aws:PrincipalArn`,
/// `aws:PrincipalAccount`) linked anew.
pub(crate) fn with_principal(r: &Request, principal: Principal) -> Option<Request> {
    let mut out = r.clone();
    out.principal = Some(principal);
    out.context.remove(encode::PRINCIPAL_ARN);
    out.context.remove(encode::PRINCIPAL_ACCOUNT);
    out.link_principal_keys().ok()?;
    Some(out)
}

/// Whether an ARN has six fields, a partition, a service, a 12-digit (or no) account
/// and a resource part.
fn well_formed_arn(arn: &str, account_required: bool) -> bool {
    let f: Vec<&str> = arn.splitn(6, ':').collect();
    f.len() == 6
        && f[0] == "arn"
        && !f[1].is_empty()
        && !f[2].is_empty()
        // IAM and STS ARNs always name their account (`aws` for AWS managed policies).
        && (is_account_id(f[4])
            || (!account_required && f[4].is_empty() && !["iam", "sts"].contains(&f[2]))
            || (f[2] == "iam" && f[4] == "aws"))
        && !f[5].is_empty()
        && !f[5].ends_with(['/', ':'])
        // An empty path segment is what a policy variable filled with "" leaves
        // (`b/${aws:username}/*` as `b//`).
        && !f[5].contains("//")
}

/// Realistic callers to try in place of the witness's, best first (none when it is
/// realistic already).
fn principal_candidates(r: &Request, fresh: &[&str]) -> Vec<Principal> {
    match &r.principal {
        Some(Principal::Aws(arn)) if !well_formed_arn(arn, true) => {
            let f: Vec<&str> = arn.splitn(6, ':').collect();
            let field = |i: usize, default: &str| -> String {
                f.get(i)
                    .filter(|v| !v.is_empty())
                    .map_or(default.to_string(), |v| v.to_string())
            };
            let resource = match f.get(5) {
                Some(v) if !v.is_empty() && !v.ends_with(['/', ':']) => v.to_string(),
                Some(v) if !v.is_empty() => format!("{v}example"),
                _ => "root".to_string(),
            };
            let accounts: Vec<String> = match f.get(4) {
                Some(a) if is_account_id(a) => vec![a.to_string()],
                _ => fresh.iter().map(|a| a.to_string()).collect(),
            };
            accounts
                .iter()
                .map(|account| {
                    Principal::Aws(format!(
                        "arn:{}:{}:{}:{account}:{resource}",
                        field(1, "aws"),
                        field(2, "iam"),
                        f.get(3).copied().unwrap_or_default(),
                    ))
                })
                .collect()
        }
        Some(Principal::Federated(v)) if v.is_empty() => {
            let mut out = vec![
                Principal::Federated("cognito-identity.amazonaws.com".into()),
                Principal::Federated("accounts.google.com".into()),
            ];
            out.extend(fresh.iter().map(|a| {
                Principal::Federated(format!("arn:aws:iam::{a}:oidc-provider/example.com"))
            }));
            out
        }
        Some(Principal::Service(v)) if !v.ends_with(".amazonaws.com") => {
            vec![Principal::Service("example.amazonaws.com".into())]
        }
        Some(Principal::CanonicalUser(v)) if v.len() != 64 => {
            vec![Principal::CanonicalUser("7".repeat(64))]
        }
        // An anonymous caller carries no key of an IAM identity: a request with one is
        // an IAM principal's (the root of an account the policies do not name).
        Some(Principal::Anonymous)
            if r.context
                .iter()
                .any(|(k, _)| super::no_public_access::anonymous_lacks(&fold(k))) =>
        {
            fresh
                .iter()
                .map(|a| Principal::Aws(format!("arn:aws:iam::{a}:root")))
                .collect()
        }
        _ => Vec::new(),
    }
}

fn principal(r: Request, spec: &impl Spec, fresh: &[&str]) -> Request {
    let tries: Vec<Request> = principal_candidates(&r, fresh)
        .into_iter()
        .filter_map(|p| with_principal(&r, p))
        .collect();
    first_confirmed(r, spec, tries)
}

/// A caller and a resource rewritten together: where a policy variable ties the
/// resource to the caller (`arn:*:kms:*:${aws:PrincipalAccount}:key/*`), neither
/// rewrite replays alone.
fn principal_with_resource(
    r: Request,
    spec: &impl Spec,
    policies: &[&Policy],
    fresh: &[&str],
) -> Request {
    for p in principal_candidates(&r, fresh).into_iter().take(4) {
        let Some(moved) = with_principal(&r, p) else {
            continue;
        };
        let out = resource_candidates(&moved, policies, fresh, &action_formats(&moved.action))
            .into_iter()
            .map(|resource| Request {
                resource,
                ..moved.clone()
            })
            .take(MAX_TRIES)
            .find(|c| confirmed(spec, c));
        if let Some(out) = out {
            return out;
        }
    }
    r
}

/// Whether AWS's action list has the action (case-insensitively).
pub fn is_known_action(action: &str) -> bool {
    actions::lookup(action).is_some()
}

/// How many action patterns a known action is compared with, at most, to find one
/// that every pattern treats as the witness (beyond that, only the replay decides).
const MAX_PATTERNS_COMPARED: usize = 1_000;

/// How many known actions are scanned for one in the witness's region.
const MAX_SCANNED: usize = 1_024;

fn action(
    r: Request,
    spec: &impl Spec,
    policies: &[&Policy],
    same: Option<SameRegion<'_>>,
) -> Request {
    if let Some(own) = spelled(&fold(&r.action)) {
        // A known action as AWS spells it (actions are case-insensitive).
        let respelled = Request {
            action: own,
            ..r.clone()
        };
        return first_confirmed(r, spec, [respelled]);
    }
    let folded = fold(&r.action);
    // Every action pattern, and the Allow patterns that cover the witness.
    let mut all: Vec<&pattern::Glob> = Vec::new();
    let mut allowing: Vec<&pattern::Glob> = Vec::new();
    for p in policies {
        for s in &p.statements {
            for a in &s.actions.items {
                all.push(&a.glob);
                let allows = s.effect == crate::policy::Effect::Allow && !s.actions.negated;
                if allows && a.glob.matches(&folded) && !allowing.contains(&&a.glob) {
                    allowing.push(&a.glob);
                }
            }
        }
    }
    // A known action that every pattern matches exactly when it matches the witness
    // lies in the witness's region: the replay confirms it. Others are tried after.
    let same_region = |name: &String| match same {
        Some(in_region) => in_region(name),
        None => {
            all.len() <= MAX_PATTERNS_COMPARED
                && all.iter().all(|g| g.matches(name) == g.matches(&folded))
        }
    };
    // The witness's own service first (`s3:` is most likely an `s3` action).
    let service = folded.split_once(':').map_or("", |(s, _)| s);
    let covered = || {
        let all = actions::all();
        let own = all.iter().filter(|k| k.service == service);
        own.chain(all.iter().filter(|k| k.service != service))
            .map(|k| fold(&k.to_string()))
            .filter(|name| allowing.is_empty() || allowing.iter().any(|g| g.matches(name)))
            .take(MAX_SCANNED)
    };
    let request = |name: String| {
        spelled(&name).map(|action| Request {
            action,
            ..r.clone()
        })
    };
    // With the encoding's exact test, every known action may share the witness's
    // region (a merged region holds the actions of a whole list, across services).
    let every = || {
        let all = actions::all();
        let own = all.iter().filter(|k| k.service == service);
        own.chain(all.iter().filter(|k| k.service != service))
            .map(|k| fold(&k.to_string()))
    };
    let r = match same {
        Some(_) => first_confirmed(
            r.clone(),
            spec,
            every().filter(same_region).filter_map(request),
        ),
        None => first_confirmed(
            r.clone(),
            spec,
            covered().filter(same_region).filter_map(request),
        ),
    };
    if is_known_action(&r.action) || same.is_some() {
        // With the encoding's exact test, no known action shares the witness's region;
        // the caller's search over every region (one solver call for all of them)
        // finds a known action elsewhere, without replaying guesses here.
        return r;
    }
    // Then the actions under every Allow pattern that covers the witness (the most
    // specific ones), then under any.
    let under_all = covered()
        .filter(|name| allowing.iter().all(|g| g.matches(name)))
        .filter_map(request);
    let r = first_confirmed(r.clone(), spec, under_all);
    if is_known_action(&r.action) {
        return r;
    }
    first_confirmed(r.clone(), spec, covered().filter_map(request))
}

/// A known action's own spelling, from its folded name.
fn spelled(folded: &str) -> Option<String> {
    actions::lookup(folded).map(|a| a.to_string())
}

/// A pattern's text with its wildcards filled in (`None` with a policy variable).
fn filled(parts: &[Part], filler: &str) -> Option<String> {
    let mut out = String::new();
    for p in parts {
        match p {
            Part::Tok(Tok::Lit(c)) => out.push(*c),
            Part::Tok(Tok::Any | Tok::AnyNoColon) => out.push('x'),
            Part::Tok(Tok::Star | Tok::StarNoColon) => out.push_str(filler),
            Part::Var(_) => return None,
        }
    }
    Some(out)
}

/// An ARN pattern filled field by field: a wildcard partition becomes `aws`, a region
/// `us-east-1`, an account a fresh 12-digit one, the resource part `example`.
fn filled_arn(text: &str, account: &str, partition: &str) -> Option<String> {
    if text.contains("${") {
        return None;
    }
    let f: Vec<&str> = text.splitn(6, ':').collect();
    if f.len() != 6 || f[0] != "arn" {
        return None;
    }
    let wild = |v: &str| v.contains(['*', '?']);
    let fill = |v: &str, default: &str| {
        if wild(v) {
            default.to_string()
        } else {
            v.to_string()
        }
    };
    let resource = if f[5].is_empty() {
        "example".to_string()
    } else {
        f[5].replace('*', "example").replace('?', "x")
    };
    Some(format!(
        "arn:{}:{}:{}:{}:{resource}",
        fill(f[1], partition),
        fill(f[2], "s3"),
        if wild(f[3]) { "us-east-1" } else { f[3] },
        if wild(f[4]) { account } else { f[4] },
    ))
}

/// The ARN formats of the resource types an action applies to, as globs (`${...}` read
/// as `*`); empty when the data gives it none.
fn action_formats(action: &str) -> Vec<pattern::Glob> {
    actions::resource_arn_formats(action)
        .iter()
        .map(|f| pattern::Glob::action(&filled_format_with(f, "*", "*", "*")))
        .collect()
}

/// Whether a resource is in one of the formats (any, when there are none).
fn in_formats(formats: &[pattern::Glob], resource: &str) -> bool {
    formats.is_empty() || formats.iter().any(|g| g.matches(&fold(resource)))
}

/// Whether a resource is an ARN of a resource type the action applies to.
fn in_action_format(action: &str, resource: &str) -> bool {
    in_formats(&action_formats(action), resource)
}

/// At most this many rewrites of a well-formed resource into the action's formats:
/// each is a replay, and the witness is a valid request already.
const MAX_FORMAT_TRIES: usize = 3;

fn resource(r: Request, spec: &impl Spec, policies: &[&Policy], fresh: &[&str]) -> Request {
    let formats = action_formats(&r.action);
    let well_formed = well_formed_arn(&r.resource, false);
    if well_formed && in_formats(&formats, &r.resource) {
        return r;
    }
    // A well-formed witness in no format of the action: only the action's formats
    // filled in (reading every pattern of a large policy for candidates cost more than
    // the check).
    let candidates = if well_formed {
        let account = resource_account(&r, fresh);
        actions::resource_arn_formats(&r.action)
            .into_iter()
            .map(|f| filled_format(f, account))
            .take(MAX_FORMAT_TRIES)
            .collect()
    } else {
        resource_candidates(&r, policies, fresh, &formats)
    };
    let tries = candidates.into_iter().map(|resource| Request {
        resource,
        ..r.clone()
    });
    first_confirmed(r.clone(), spec, tries)
}

/// The account a rewritten resource is in: the request's `aws:ResourceAccount` (a
/// policy set fixes it), else a fresh one.
fn resource_account<'a>(r: &'a Request, fresh: &[&'a str]) -> &'a str {
    r.context
        .single("aws:ResourceAccount")
        .filter(|a| is_account_id(a))
        .or(fresh.first().copied())
        .unwrap_or("444455556666")
}

/// Realistic resources for a request, best first: the policies' own patterns filled in
/// (their policy variables with the request's values), in each partition, then an ARN
/// of the action's service.
fn resource_candidates(
    r: &Request,
    policies: &[&Policy],
    fresh: &[&str],
    formats: &[pattern::Glob],
) -> Vec<String> {
    // The resource's owner when the request says it, so that the ARN and the key agree.
    let account = resource_account(r, fresh);
    let mut candidates: Vec<String> = Vec::new();
    for partition in ["aws", "aws-cn", "aws-us-gov"] {
        for p in policies {
            for s in &p.statements {
                for res in s
                    .resources
                    .iter()
                    .filter(|e| !e.negated)
                    .flat_map(|e| &e.items)
                {
                    // Policy variables filled with the request's values, as the
                    // evaluator resolves them. The pattern as read, not as written: a
                    // variable a check widened to `*` is `*` here.
                    let text = res
                        .template
                        .resolve(|k| r.context.single(k))
                        .map(|g| g.to_string());
                    if let Some(arn) = text.and_then(|t| filled_arn(&t, account, partition))
                        && !candidates.contains(&arn)
                    {
                        candidates.push(arn);
                    }
                }
            }
        }
    }
    // A policy without a Resource element (a trust policy) is about the role it is
    // attached to, in the account of the provider it trusts when it names one.
    let no_resource_element = policies
        .iter()
        .all(|p| p.statements.iter().all(|s| s.resources.is_none()));
    if no_resource_element {
        let owner = match &r.principal {
            Some(Principal::Federated(v) | Principal::Aws(v)) => pattern::arn_account(v)
                .filter(|a| is_account_id(a))
                .unwrap_or(account),
            _ => account,
        };
        candidates.insert(0, format!("arn:aws:iam::{owner}:role/example-role"));
    }
    // ARNs of the resource types the action applies to (the Service Authorization
    // Reference's formats, src/actions), and any candidate in one of those formats
    // before the others: `security-group/example` for ec2:CreateSecurityGroup, not
    // `security-groupexample/example` from a policy's `security-group*/*`.
    // The policies' own patterns in a format come first; the action's formats filled
    // in only when none is (an action like ec2:CreateTags has dozens, and each failed
    // try is a replay of both policies); the patterns in no format after them.
    if !formats.is_empty() {
        let (mut ordered, others): (Vec<String>, Vec<String>) =
            candidates.into_iter().partition(|c| in_formats(formats, c));
        if ordered.is_empty() {
            for f in actions::resource_arn_formats(&r.action)
                .into_iter()
                .take(MAX_FORMAT_TRIES)
            {
                let arn = filled_format(f, account);
                if !ordered.contains(&arn) {
                    ordered.push(arn);
                }
            }
        }
        ordered.extend(others);
        candidates = ordered;
    }
    // An ARN of the action's service.
    if let Some((service, _)) = r.action.split_once(':') {
        let service = fold(service);
        candidates.push(match service.as_str() {
            "s3" => "arn:aws:s3:::example-bucket/example-object".to_string(),
            "iam" => format!("arn:aws:iam::{account}:role/example-role"),
            _ => format!("arn:aws:{service}:us-east-1:{account}:example"),
        });
    }
    candidates
}

/// An ARN format of the Service Authorization Reference with its placeholders filled:
/// the partition `aws`, region `us-east-1`, the account, `example` for the rest.
pub fn filled_format(format: &str, account: &str) -> String {
    filled_format_with(format, "us-east-1", account, "example")
}

fn filled_format_with(format: &str, region: &str, account: &str, other: &str) -> String {
    let mut out = String::with_capacity(format.len());
    let mut rest = format;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let Some(end) = rest[start..].find('}') else {
            break;
        };
        out.push_str(match &rest[start + 2..start + end] {
            "Partition" if other != "*" => "aws",
            "Region" => region,
            "Account" => account,
            _ => other,
        });
        rest = &rest[start + end + 1..];
    }
    out.push_str(rest);
    out
}

/// What stands for a wildcard in a value of `key`.
fn filler(key: &str) -> &'static str {
    match key {
        "aws:principalorgid" | "aws:resourceorgid" | "aws:sourceorgid" => "a1b2c3d4e5",
        "aws:sourcevpc" | "aws:sourcevpce" => "0a1b2c3d4e5f67890",
        _ => "example",
    }
}

/// Whether a context value looks cut short: empty, or ending where a name would go on.
fn truncated(value: &str) -> bool {
    value.is_empty() || value.ends_with([':', '/', '-'])
}

/// Whether a value of a global key has the format AWS gives it (IAM User Guide, "AWS
/// global condition context keys"): organization IDs `o-` and 10 to 32 lowercase
/// letters or digits, organization paths of such IDs, user IDs with their prefixes, VPC
/// and VPC endpoint IDs. Other keys: any value that is not cut short.
fn realistic(key: &str, value: &str) -> bool {
    let org = |v: &str| {
        v.strip_prefix("o-").is_some_and(|rest| {
            (10..=32).contains(&rest.len())
                && rest
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
    };
    let hex_id = |v: &str, prefix: &str| {
        v.strip_prefix(prefix).is_some_and(|rest| {
            (8..=17).contains(&rest.len()) && rest.bytes().all(|b| b.is_ascii_hexdigit())
        })
    };
    !truncated(value)
        && match key {
            "aws:principalorgid" | "aws:resourceorgid" | "aws:sourceorgid" => org(value),
            "aws:principalorgpaths" | "aws:resourceorgpaths" | "aws:sourceorgpaths" => {
                value.split('/').next().is_some_and(org)
            }
            "aws:userid" => {
                value.len() >= 16 && value.bytes().take(4).all(|b| b.is_ascii_uppercase())
            }
            "aws:sourcevpc" => hex_id(value, "vpc-"),
            "aws:sourcevpce" => hex_id(value, "vpce-"),
            _ => true,
        }
}

/// A value in AWS's format for a key whose format does not depend on the caller.
pub(crate) fn example_for(key: &str) -> Option<&'static str> {
    Some(match key {
        "aws:principalorgid" | "aws:resourceorgid" | "aws:sourceorgid" => "o-a1b2c3d4e5",
        "aws:principalorgpaths" | "aws:resourceorgpaths" | "aws:sourceorgpaths" => {
            "o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/"
        }
        "aws:sourcevpc" => "vpc-0a1b2c3d4e5f67890",
        "aws:sourcevpce" => "vpce-0a1b2c3d4e5f67890",
        _ => return None,
    })
}

/// A value of the key in AWS's format, tried after the policies' own patterns.
fn example_value(key: &str, r: &Request) -> Option<String> {
    if let Some(e) = example_for(key) {
        return Some(e.to_string());
    }
    Some(match key {
        "aws:userid" => match &r.principal {
            Some(Principal::Aws(arn)) if arn.contains(":assumed-role/") => {
                let session = arn.rsplit('/').next().unwrap_or("session");
                format!("AROAEXAMPLEROLEID0001:{session}")
            }
            _ => "AIDAEXAMPLEUSERID00001".into(),
        },
        "aws:username" => match &r.principal {
            Some(Principal::Aws(arn)) if arn.contains(":user/") => {
                arn.rsplit('/').next().unwrap_or("example-user").to_string()
            }
            _ => "example-user".into(),
        },
        _ => return None,
    })
}

fn context(r: Request, spec: &impl Spec, policies: &[&Policy], fresh: &[&str]) -> Request {
    let mut r = r;
    let keys: Vec<String> = r.context.iter().map(|(k, _)| k.to_string()).collect();
    for key in keys {
        let folded = fold(&key);
        if [encode::PRINCIPAL_ARN, encode::PRINCIPAL_ACCOUNT].contains(&folded.as_str()) {
            continue;
        }
        let Some(values) = r.context.get(&key).map(<[String]>::to_vec) else {
            continue;
        };
        if values.iter().all(|v| realistic(&folded, v)) {
            continue;
        }
        let mut fills: Vec<String> = Vec::new();
        for p in policies {
            for s in &p.statements {
                for c in s.conditions.iter().filter(|c| c.key == folded) {
                    for v in &c.values {
                        if let CondValue::Pattern(t) = v
                            && let Some(f) = filled(&t.parts, filler(&folded))
                            && !f.is_empty()
                            && !fills.contains(&f)
                        {
                            fills.push(f);
                        }
                    }
                }
            }
        }
        fills.retain(|f| realistic(&folded, f));
        if let Some(e) = example_value(&folded, &r)
            && !fills.contains(&e)
        {
            fills.push(e);
        }
        let tries = fills.into_iter().map(|fill| {
            let mut c = r.clone();
            let replaced: Vec<String> = values
                .iter()
                .map(|v| {
                    if realistic(&folded, v) {
                        v.clone()
                    } else {
                        fill.clone()
                    }
                })
                .collect();
            c.context.remove(&key);
            c.context.add(&key, replaced);
            c
        });
        // A resource built from the key (`b/${aws:username}/*`) is built again with the
        // new value; only then (each candidate is a replay of the whole policies).
        let formats = action_formats(&r.action);
        let in_resources = policies.iter().flat_map(|p| &p.statements).any(|s| {
            s.resources
                .iter()
                .flat_map(|e| &e.items)
                .any(|p| p.template.vars.iter().any(|v| v.key == folded))
        });
        let tries = tries.flat_map(|c| {
            let again: Vec<Request> = if in_resources {
                resource_candidates(&c, policies, fresh, &formats)
                    .into_iter()
                    .take(MAX_FORMAT_TRIES)
                    .map(|resource| Request {
                        resource,
                        ..c.clone()
                    })
                    .collect()
            } else {
                Vec::new()
            };
            std::iter::once(c).chain(again)
        });
        r = first_confirmed(r.clone(), spec, tries);
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_actions_are_found_case_insensitively() {
        assert!(is_known_action("s3:GetObject"));
        assert!(is_known_action("S3:getobject"));
        assert!(!is_known_action("s3:"));
        assert!(!is_known_action("s3:Get?bject"));
        assert!(!is_known_action("GetObject"));
    }

    #[test]
    fn arns_are_filled_field_by_field() {
        assert_eq!(
            filled_arn("arn:aws:s3:::b/*", "444455556666", "aws").as_deref(),
            Some("arn:aws:s3:::b/example")
        );
        assert_eq!(
            filled_arn("arn:*:sqs:*:*:queue-*", "444455556666", "aws").as_deref(),
            Some("arn:aws:sqs:us-east-1:444455556666:queue-example")
        );
        assert_eq!(filled_arn("*", "444455556666", "aws"), None);
        assert_eq!(
            filled_arn("arn:aws:s3:::${aws:username}/*", "1", "aws"),
            None
        );
    }

    #[test]
    fn well_formed_arns() {
        assert!(well_formed_arn("arn:aws:iam::111122223333:role/r", true));
        assert!(!well_formed_arn("arn:aws:iam:::role/r", true));
        assert!(well_formed_arn("arn:aws:s3:::b/k", false));
        assert!(!well_formed_arn("arn:aws:s3:::b/", false));
        assert!(!well_formed_arn("arn:::::", false));
        assert!(!well_formed_arn("", false));
    }
}
