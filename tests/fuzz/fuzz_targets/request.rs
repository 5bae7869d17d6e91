//! The request both request-taking targets build from the input: the policy document,
//! then (NUL-separated) principal, action, resource and context values.

use hornbeam::eval::{Context, Request};

/// Splits the input into the document and a request built from the other fields.
pub fn split(text: &str) -> (&str, Request) {
    let mut parts = text.split('\0');
    let doc = parts.next().unwrap_or_default();
    let fields: Vec<&str> = parts.collect();
    let mut context = Context::default();
    for (i, v) in fields.iter().skip(3).enumerate() {
        let key = ["aws:username", "aws:SourceIp", "aws:TagKeys", "s3:max-keys", "aws:CurrentTime", "aws:PrincipalTag/team"][i % 6];
        context.add(key, [v.to_string()]);
    }
    let request = Request {
        principal: fields.first().and_then(|p| p.parse().ok()),
        action: fields.get(1).copied().unwrap_or("s3:GetObject").to_string(),
        resource: fields.get(2).copied().unwrap_or("arn:aws:s3:::b/k").to_string(),
        context,
    };
    (doc, request)
}
