//! External access (issue 28), `--external-only`: the analysis of every resource policy
//! of the shared conformance corpus (each document of its RESOURCE_POLICY cases, zone
//! of trust 111122223333), and of generated policies of 10 to 1,000 statements, timed
//! in-process (the analysis alone: its checks, the findings, isPublic).

use std::time::{Duration, Instant};

use hornbeam::checks::Options;
use hornbeam::external::{self, Analysis, Input, Zone};
use serde_json::{Value, json};

use super::common::{corpus_resource_policies, resource_type_of};

const ZONE: &str = "111122223333";

fn analyse(policy: &str, zone: &Zone) -> (Duration, Analysis) {
    let start = Instant::now();
    let a = external::analyze(
        &Input {
            policy,
            resource_type: resource_type_of(policy),
            zone,
            existing: None,
        },
        &Options::default(),
    )
    .expect("the policy is analysed");
    (start.elapsed(), a)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// A policy of `n` statements: each grants one other account a prefix of a bucket, every
/// tenth under a network condition, every tenth (another) until a date (a condition the
/// analysis leaves to the solver), every fiftieth to the organization, with a TLS Deny.
pub fn generated(n: usize) -> String {
    let mut statements = vec![
        json!({"Sid": "TlsOnly", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
        "Resource": "arn:aws:s3:::big/*", "Condition": {"Bool": {"aws:SecureTransport": "false"}}}),
    ];
    for i in 0..n {
        let account = format!("{:012}", 200_000_000_000u64 + i as u64);
        let mut s = json!({"Sid": format!("Partner{i}"), "Effect": "Allow",
            "Principal": {"AWS": format!("arn:aws:iam::{account}:root")},
            "Action": ["s3:GetObject", "s3:PutObject"],
            "Resource": format!("arn:aws:s3:::big/partners/{i}/*")});
        if i % 10 == 0 {
            s["Condition"] =
                json!({"IpAddress": {"aws:SourceIp": format!("203.0.{}.0/24", i % 250)}});
        }
        if i % 10 == 5 {
            s["Condition"] = json!({"DateLessThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"}});
        }
        if i % 50 == 0 {
            s["Principal"] = json!("*");
            s["Condition"] = json!({"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}});
        }
        statements.push(s);
    }
    json!({"Version": "2012-10-17", "Statement": statements}).to_string()
}

pub fn bench(corpus: &[Value]) {
    let zone = Zone::parse(ZONE, &[]).expect("a zone");
    let policies = corpus_resource_policies(corpus);
    if policies.is_empty() {
        println!("external access: conformance corpus not found; corpus run skipped");
    } else {
        let mut times = Vec::new();
        let (mut findings, mut public, mut inconclusive, mut checks) = (0, 0, 0, 0);
        for p in &policies {
            let (t, a) = analyse(p, &zone);
            times.push(t);
            findings += a.findings().len();
            public += a.findings().iter().filter(|f| f.is_public).count();
            match a {
                Analysis::Complete { checks: c, .. } => checks += c,
                Analysis::Inconclusive { .. } => inconclusive += 1,
            }
        }
        times.sort();
        let at = |q: f64| {
            ms(times[((times.len() as f64 * q).ceil() as usize).clamp(1, times.len()) - 1])
        };
        println!(
            "external access, corpus resource policies   n={:<4} median {:>7.1} ms  p90 {:>7.1} ms  p99 {:>7.1} ms  worst {:>7.1} ms  findings {findings} (public {public})  solver checks {checks}  inconclusive {inconclusive}",
            times.len(),
            at(0.5),
            at(0.9),
            at(0.99),
            ms(*times.last().unwrap_or(&Duration::ZERO))
        );
    }
    for n in [10, 100, 1_000] {
        let p = generated(n);
        let mut times = Vec::new();
        let mut last = None;
        for _ in 0..3 {
            let (t, a) = analyse(&p, &zone);
            times.push(t);
            last = Some(a);
        }
        times.sort();
        let a = last.expect("three runs");
        let (state, checks) = match &a {
            Analysis::Complete { checks, .. } => ("complete", *checks),
            Analysis::Inconclusive { checks, .. } => ("INCONCLUSIVE", *checks),
        };
        println!(
            "external access, {n:>5} statements           median {:>8.1} ms  findings {:<5} {state} (solver checks {checks}, besides isPublic)",
            ms(times[1]),
            a.findings().len()
        );
    }
}
