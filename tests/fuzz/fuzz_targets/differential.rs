//! The encoder's formulas (which both SMT lowerings consume), evaluated on a concrete
//! request, decide exactly as the evaluator does.
#![no_main]

use hornbeam::checks::encoded_allows;
use hornbeam::eval::{self, Context, Request};
use hornbeam::policy::{self, PolicyType};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let mut parts = text.split('\0');
    let doc = parts.next().unwrap_or_default();
    let fields: Vec<&str> = parts.collect();
    for t in [PolicyType::Identity, PolicyType::Resource] {
        let Ok(p) = policy::parse(doc, t) else { continue };
        let mut context = Context::default();
        for (i, v) in fields.iter().skip(3).enumerate() {
            let key = ["aws:username", "aws:SourceIp", "aws:TagKeys", "s3:max-keys", "aws:CurrentTime", "aws:PrincipalTag/team"][i % 6];
            context.add(key, [v.to_string()]);
        }
        let mut r = Request {
            principal: fields.first().and_then(|p| p.parse().ok()),
            action: fields.get(1).copied().unwrap_or("s3:GetObject").to_string(),
            resource: fields.get(2).copied().unwrap_or("arn:aws:s3:::b/k").to_string(),
            context,
        };
        if r.link_principal_keys().is_err() {
            return;
        }
        assert_eq!(
            encoded_allows(&p, &r),
            eval::allows(&p, &r),
            "encoder and evaluator disagree on {r:?} for {doc}"
        );
    }
});
