//! Fuzz-style robustness: truncated and mutated documents never panic the parser or the
//! evaluator. (Coverage-guided fuzzing lives outside the default test path.)

mod common;

use hornbeam::eval::{Context, Request, evaluate};
use hornbeam::policy::{self, PolicyType};

/// A small deterministic PRNG (xorshift64*), so failures reproduce.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Bytes that make interesting JSON and IAM mutations.
const ALPHABET: &[u8] = b"{}[]\",:*?$ \\/0123456789aAbZ-._\n\ttrue";
const SPLICES: &[&str] = &[
    "\"Effect\":\"Allow\"",
    "\"Action\":\"*\"",
    "\"NotResource\":[]",
    "${aws:username}",
    "${",
    "\"Condition\":{\"ForAllValues:StringLike\":{\"k\":[]}}",
    "\"Principal\":{\"AWS\":\"*\"}",
    "\"IpAddress\":{\"aws:SourceIp\":\"::/0\"}",
    "1e999",
    "\u{feff}",
    "\u{1F600}",
    "[[[[[[[[",
];

fn seeds() -> Vec<String> {
    common::eval_cases()
        .iter()
        .map(|c| serde_json::to_string_pretty(&c["policy"]).unwrap())
        .collect()
}

fn exercise(text: &str) {
    for policy_type in [PolicyType::Identity, PolicyType::Resource] {
        if let Ok(p) = policy::parse(text, policy_type) {
            let mut context = Context::default();
            context.add("aws:username", ["alice".to_string()]);
            context.add("aws:SourceIp", ["10.0.0.1".to_string()]);
            context.add("aws:TagKeys", ["a".to_string(), "b".to_string()]);
            let request = Request {
                principal: Some("arn:aws:iam::111122223333:role/r".parse().unwrap()),
                action: "s3:GetObject".into(),
                resource: "arn:aws:s3:::b/alice/x".into(),
                context,
            };
            let _ = evaluate(&p, &request);
        }
    }
}

fn mutate(rng: &mut Rng, seed: &str) -> String {
    let mut bytes = seed.as_bytes().to_vec();
    for _ in 0..1 + rng.below(4) {
        let at = rng.below(bytes.len() + 1);
        match rng.below(4) {
            0 if !bytes.is_empty() => {
                let at = at.min(bytes.len() - 1);
                bytes[at] = ALPHABET[rng.below(ALPHABET.len())];
            }
            1 => bytes.insert(at, ALPHABET[rng.below(ALPHABET.len())]),
            2 if !bytes.is_empty() => {
                let end = (at + rng.below(8)).min(bytes.len());
                bytes.drain(at.min(end)..end);
            }
            _ => {
                let s = SPLICES[rng.below(SPLICES.len())].as_bytes();
                bytes.splice(at..at, s.iter().copied());
            }
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

#[test]
fn truncated_documents_never_panic() {
    for seed in seeds().iter().take(40) {
        let mut cut = String::new();
        for c in seed.chars() {
            cut.push(c);
            exercise(&cut);
        }
    }
}

#[test]
fn mutated_documents_never_panic() {
    let seeds = seeds();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut parsed = 0usize;
    const RUNS: usize = 30_000;
    for _ in 0..RUNS {
        let seed = &seeds[rng.below(seeds.len())];
        let text = mutate(&mut rng, seed);
        if policy::parse(&text, PolicyType::Identity).is_ok() {
            parsed += 1;
        }
        exercise(&text);
    }
    // The mutations must sometimes produce valid policies, or the evaluator went untested.
    assert!(parsed > RUNS / 50, "only {parsed} of {RUNS} mutants parsed");
}

#[test]
fn pathological_documents_are_rejected_cleanly() {
    for text in [
        "[".repeat(1_000_000),
        "{\"Statement\":".repeat(10_000),
        format!("{{\"Statement\":[{}]}}", "{},".repeat(50_000)),
        "\"".to_string(),
        "\u{0}".to_string(),
        " ".repeat(2_000_000),
    ] {
        exercise(&text);
    }
}
