//! The encoder's formulas (which both SMT lowerings consume), evaluated on a concrete
//! request, decide exactly as the evaluator does.
#![no_main]

#[path = "request.rs"]
mod request;

use hornbeam::checks::encoded_allows;
use hornbeam::eval;
use hornbeam::policy::{self, PolicyType};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let (doc, mut r) = request::split(text);
    if r.link_principal_keys().is_err() {
        return;
    }
    for t in [PolicyType::Identity, PolicyType::Resource] {
        if let Ok(p) = policy::parse(doc, t) {
            assert_eq!(
                encoded_allows(&p, &r),
                eval::allows(&p, &r),
                "encoder and evaluator disagree on {r:?} for {doc}"
            );
        }
    }
});
