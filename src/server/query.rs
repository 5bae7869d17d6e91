//! The query-protocol calls the policy validators make besides Access Analyzer: STS
//! `GetCallerIdentity` (the account their ARNs are built in) and IAM `GetPolicy` /
//! `GetPolicyVersion` for AWS managed policies, answered from hornbeam's embedded copy
//! (src/managed). Parameters come as a form body (POST) or the query string (GET).

use super::wire::{Response, escape, query_error};

const STS_NS: &str = "https://sts.amazonaws.com/doc/2011-06-15/";
const IAM_NS: &str = "https://iam.amazonaws.com/doc/2010-05-08/";

/// The XML namespace of a query-protocol service's answers.
pub fn namespace(service: &str) -> &'static str {
    if service == "iam" { IAM_NS } else { STS_NS }
}

/// The form parameters of a query-protocol request.
pub fn params(query: &str, body: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(query.as_bytes())
        .chain(form_urlencoded::parse(body))
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// The partition of a region, for the ARNs STS answers with.
pub fn partition(region: &str) -> &'static str {
    for (prefix, partition) in [
        ("cn-", "aws-cn"),
        ("us-gov-", "aws-us-gov"),
        ("us-isob-", "aws-iso-b"),
        ("us-isof-", "aws-iso-f"),
        ("eu-isoe-", "aws-iso-e"),
        ("us-iso-", "aws-iso"),
    ] {
        if region.starts_with(prefix) {
            return partition;
        }
    }
    "aws"
}

/// STS: `GetCallerIdentity` only.
pub fn sts(params: &[(String, String)], account: &str, region: &str, id: &str) -> Response {
    match param(params, "Action") {
        Some("GetCallerIdentity") => Response::xml(
            200,
            format!(
                "<GetCallerIdentityResponse xmlns=\"{STS_NS}\"><GetCallerIdentityResult><Arn>arn:{}:iam::{account}:user/hornbeam</Arn><UserId>AIDAHORNBEAMLOCALUSER</UserId><Account>{account}</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>{id}</RequestId></ResponseMetadata></GetCallerIdentityResponse>",
                partition(region)
            ),
        ),
        other => unknown_action(STS_NS, "STS", other, "GetCallerIdentity", id),
    }
}

fn unknown_action(
    ns: &str,
    service: &str,
    action: Option<&str>,
    known: &str,
    id: &str,
) -> Response {
    let message = match action {
        Some(a) => format!("hornbeam serve does not implement {service} `{a}`; it answers {known}"),
        None => format!(
            "the request has no `Action` parameter; hornbeam serve answers {service} {known}"
        ),
    };
    query_error(400, ns, "InvalidAction", &message, id)
}

/// IAM: `GetPolicy` and `GetPolicyVersion` for AWS managed policies (default version).
pub fn iam(params: &[(String, String)], id: &str) -> Response {
    let action = param(params, "Action");
    if !matches!(action, Some("GetPolicy" | "GetPolicyVersion")) {
        return unknown_action(
            IAM_NS,
            "IAM",
            action,
            "GetPolicy and GetPolicyVersion (AWS managed policies)",
            id,
        );
    }
    let action = action.unwrap_or_default();
    let Some(arn) = param(params, "PolicyArn") else {
        return query_error(
            400,
            IAM_NS,
            "ValidationError",
            "missing required parameter `PolicyArn`",
            id,
        );
    };
    let policy = match crate::managed::get(arn) {
        Some(Ok(p)) if same_path(&p.arn, arn) => p,
        Some(Err(crate::managed::ManagedError::Data(e))) => {
            return query_error(400, IAM_NS, "ServiceFailure", &e, id);
        }
        _ => {
            return query_error(
                404,
                IAM_NS,
                "NoSuchEntity",
                &format!(
                    "Policy {arn} does not exist or is not attachable: hornbeam serve knows the AWS managed policies of {}",
                    crate::managed::source()
                ),
                id,
            );
        }
    };
    let name = escape(&policy.name);
    let arn = escape(arn);
    let version = escape(&policy.version);
    let path = policy.arn.split_once(":policy").map_or("/", |(_, p)| {
        p.strip_suffix(policy.name.as_str()).unwrap_or("/")
    });
    let result = if action == "GetPolicy" {
        format!(
            "<Policy><PolicyName>{name}</PolicyName><DefaultVersionId>{version}</DefaultVersionId><Path>{}</Path><Arn>{arn}</Arn><AttachmentCount>0</AttachmentCount><IsAttachable>true</IsAttachable></Policy>",
            escape(path)
        )
    } else {
        match param(params, "VersionId") {
            Some(v) if v == policy.version => {}
            Some(v) => {
                return query_error(
                    404,
                    IAM_NS,
                    "NoSuchEntity",
                    &format!(
                        "Policy {arn} version {v} does not exist: hornbeam serve knows the default version, {version}"
                    ),
                    id,
                );
            }
            None => {
                return query_error(
                    400,
                    IAM_NS,
                    "ValidationError",
                    "missing required parameter `VersionId`",
                    id,
                );
            }
        }
        // IAM sends documents URL-encoded (RFC 3986); botocore decodes them.
        let document: String = percent_encoding::utf8_percent_encode(
            &policy.document,
            percent_encoding::NON_ALPHANUMERIC,
        )
        .to_string();
        format!(
            "<PolicyVersion><Document>{document}</Document><VersionId>{version}</VersionId><IsDefaultVersion>true</IsDefaultVersion></PolicyVersion>"
        )
    };
    Response::xml(
        200,
        format!(
            "<{action}Response xmlns=\"{IAM_NS}\"><{action}Result>{result}</{action}Result><ResponseMetadata><RequestId>{}</RequestId></ResponseMetadata></{action}Response>",
            escape(id)
        ),
    )
}

/// Whether a requested ARN names the policy's path (any partition).
fn same_path(known: &str, requested: &str) -> bool {
    let tail = |a: &str| a.split_once(":iam::").map(|(_, t)| t.to_string());
    tail(known).is_some() && tail(known) == tail(requested)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(r: &Response) -> String {
        String::from_utf8(r.body.clone()).unwrap()
    }

    #[test]
    fn caller_identity_names_the_account_and_partition() {
        let p = params("", b"Action=GetCallerIdentity&Version=2011-06-15");
        let r = sts(&p, "111122223333", "cn-north-1", "id");
        assert_eq!(r.status, 200);
        assert!(text(&r).contains("<Arn>arn:aws-cn:iam::111122223333:user/hornbeam</Arn>"));
        assert!(text(&r).contains("<Account>111122223333</Account>"));
        let r = sts(
            &params("", b"Action=AssumeRole"),
            "111122223333",
            "us-east-1",
            "id",
        );
        assert_eq!(r.status, 400);
        assert!(text(&r).contains("InvalidAction"));
    }

    #[test]
    fn managed_policies_are_served() {
        let arn = "arn%3Aaws%3Aiam%3A%3Aaws%3Apolicy%2FReadOnlyAccess";
        let r = iam(
            &params("", format!("Action=GetPolicy&PolicyArn={arn}").as_bytes()),
            "id",
        );
        assert_eq!(r.status, 200, "{}", text(&r));
        let body = text(&r);
        let start = body.find("<DefaultVersionId>").unwrap() + "<DefaultVersionId>".len();
        let version = &body[start..body[start..].find('<').unwrap() + start];
        let r = iam(
            &params(
                "",
                format!("Action=GetPolicyVersion&PolicyArn={arn}&VersionId={version}").as_bytes(),
            ),
            "id",
        );
        assert_eq!(r.status, 200);
        assert!(text(&r).contains("<Document>%7B"));
        let r = iam(
            &params(
                "",
                b"Action=GetPolicy&PolicyArn=arn:aws:iam::aws:policy/service-role/ReadOnlyAccess",
            ),
            "id",
        );
        assert_eq!(r.status, 404, "a wrong path is another policy");
        let r = iam(
            &params(
                "",
                b"Action=GetPolicy&PolicyArn=arn:aws:iam::111122223333:policy/Mine",
            ),
            "id",
        );
        assert_eq!(r.status, 404);
        assert!(text(&r).contains("NoSuchEntity"));
    }
}
