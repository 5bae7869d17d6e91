//! Whatever policy parses, evaluating requests built from the input never panics.
#![no_main]

#[path = "request.rs"]
mod request;

use hornbeam::eval;
use hornbeam::policy::{self, PolicyType};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let (doc, mut r) = request::split(text);
    let _ = r.link_principal_keys();
    for t in [PolicyType::Identity, PolicyType::Resource] {
        if let Ok(p) = policy::parse(doc, t) {
            let _ = eval::evaluate(&p, &r);
        }
    }
});
