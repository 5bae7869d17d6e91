//! Whatever policy parses, evaluating requests built from the input never panics.
#![no_main]

use hornbeam::eval::{self, Context, Request};
use hornbeam::policy::{self, PolicyType};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    // The document, then (after a NUL) up to three request strings and context values.
    let mut parts = text.split('\0');
    let doc = parts.next().unwrap_or_default();
    let fields: Vec<&str> = parts.collect();
    for t in [PolicyType::Identity, PolicyType::Resource] {
        let Ok(p) = policy::parse(doc, t) else { continue };
        let mut context = Context::default();
        for (i, v) in fields.iter().skip(3).enumerate() {
            let key = ["aws:username", "aws:SourceIp", "aws:TagKeys", "s3:max-keys", "aws:CurrentTime"][i % 5];
            context.add(key, [v.to_string()]);
        }
        let mut r = Request {
            principal: fields.first().and_then(|p| p.parse().ok()),
            action: fields.get(1).copied().unwrap_or("s3:GetObject").to_string(),
            resource: fields.get(2).copied().unwrap_or("arn:aws:s3:::b/k").to_string(),
            context,
        };
        let _ = r.link_principal_keys();
        let _ = eval::evaluate(&p, &r);
    }
});
