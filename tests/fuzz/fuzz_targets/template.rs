//! Template extraction never panics, whatever the bytes, and what it renders parses or
//! fails with an error, never a panic.
#![no_main]

use hornbeam::policy;
use hornbeam::template::{self, Settings};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let settings = Settings {
            parameters: vec![("Environment".into(), "prod".into())],
            ..Settings::default()
        };
        if let Ok(x) = template::extract(text, &settings) {
            for e in x.policies {
                if let Ok(p) = &e.policy {
                    let _ = policy::parse(p, e.kind.policy_type());
                }
            }
        }
    }
});
