//! The policy parser never panics, whatever the bytes.
#![no_main]

use hornbeam::policy::{self, PolicyType};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = policy::parse(text, PolicyType::Identity);
        let _ = policy::parse(text, PolicyType::Resource);
    }
});
