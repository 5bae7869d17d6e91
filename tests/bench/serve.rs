//! `cargo bench --bench serve`: a bounded load test of `hornbeam serve`. The workload
//! is the shared conformance corpus (../shared/conformance: CheckNoNewAccess request
//! bodies from AWS's samples, exactly as the clients send them), else the repo's
//! reference-policy candidates. `--connections` keep-alive connections (default 32)
//! send `--requests` requests (default 20,000) between them.
//!
//! Reported: latency at the server (its `server-timing` header: from the request's
//! head to its answer) on one connection, one request at a time; then under load
//! throughput, latency at the server and at the client (p50, p99, max), the server's peak
//! resident memory, and its growth from the first tenth of the run to the end. Every
//! answer must be a 200 with the same result as the same body's first answer.

#[path = "../serve/harness.rs"]
mod harness;

use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// (path, body) pairs.
fn workload() -> (String, Vec<(String, String)>) {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let corpus = root.join("../shared/conformance/aws-samples.json");
    if let Some(cases) = std::fs::read_to_string(&corpus)
        .ok()
        .and_then(|t| serde_json::from_str::<Vec<Value>>(&t).ok())
    {
        let bodies = cases
            .iter()
            .filter(|c| c["check"] == "check-no-new-access")
            .map(|c| {
                (
                    "/policy/check-no-new-access".to_string(),
                    c["request"].to_string(),
                )
            })
            .collect();
        return ("the conformance corpus".into(), bodies);
    }
    let mut bodies = Vec::new();
    let refs = root.join("reference-policies");
    for dir in std::fs::read_dir(&refs).into_iter().flatten().flatten() {
        let Ok(existing) = std::fs::read_to_string(dir.path().join("policy.json")) else {
            continue;
        };
        let policy_type = if existing.contains("\"Principal\"") {
            "RESOURCE_POLICY"
        } else {
            "IDENTITY_POLICY"
        };
        for c in std::fs::read_dir(dir.path().join("candidates"))
            .into_iter()
            .flatten()
            .flatten()
        {
            if let Ok(new) = std::fs::read_to_string(c.path()) {
                let body = serde_json::json!({"newPolicyDocument": new, "existingPolicyDocument": existing, "policyType": policy_type});
                bodies.push(("/policy/check-no-new-access".into(), body.to_string()));
            }
        }
    }
    ("the reference-policy candidates".into(), bodies)
}

fn rss_kb(pid: u32, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

/// One metric of the answer's `server-timing` header, in ms.
fn server_timing(a: &harness::Answer, metric: &str) -> Option<f64> {
    a.header("server-timing")?
        .split(',')
        .find_map(|m| m.trim().strip_prefix(metric)?.strip_prefix(";dur="))
        .and_then(|v| v.parse().ok())
}

fn send(stream: &mut std::net::TcpStream, path: &str, body: &str) -> harness::Answer {
    let raw = format!(
        "POST {path} HTTP/1.1\r\nhost: bench\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(raw.as_bytes()).expect("send");
    harness::read_answer(stream)
}

fn main() {
    let requests = arg("--requests", 20_000);
    let connections = arg("--connections", 32);
    let (source, bodies) = workload();
    assert!(!bodies.is_empty(), "no workload");
    let server = harness::Server::start(&[]);
    let pid = server.child.id();
    println!(
        "hornbeam serve load test: {requests} requests over {connections} keep-alive connections, {} distinct bodies from {source}",
        bodies.len()
    );

    // Each body's first answer is the one every later answer must equal.
    let mut warm = harness::connect(server.addr);
    let expected: Vec<(u16, Value)> = bodies
        .iter()
        .map(|(path, body)| {
            let a = send(&mut warm, path, body);
            let result = if a.status == 200 {
                a.json()["result"].clone()
            } else {
                Value::Null
            };
            (a.status, result)
        })
        .collect();
    drop(warm);
    let answered_200 = expected.iter().filter(|(s, _)| *s == 200).count();
    println!(
        "warm-up: {answered_200} of {} bodies answered 200",
        bodies.len()
    );

    // Latency without queueing: one connection, one request at a time.
    let sequential = requests.min(2_000);
    let mut one = harness::connect(server.addr);
    let mut alone: Vec<f64> = (0..sequential)
        .filter_map(|i| {
            let (path, body) = &bodies[i % bodies.len()];
            server_timing(&send(&mut one, path, body), "total")
        })
        .collect();
    drop(one);
    alone.sort_by(f64::total_cmp);
    println!(
        "one connection, {sequential} requests: latency at the server p50 {:.2} ms, p99 {:.2} ms, max {:.1} ms",
        percentile(&alone, 0.5),
        percentile(&alone, 0.99),
        alone.last().copied().unwrap_or(0.0)
    );
    let rss_after_warmup = rss_kb(pid, "VmRSS:");

    let next = Arc::new(AtomicUsize::new(0));
    let errors = Arc::new(AtomicUsize::new(0));
    let server_ms = Arc::new(Mutex::new(Vec::with_capacity(requests)));
    let client_ms = Arc::new(Mutex::new(Vec::with_capacity(requests)));
    let done = Arc::new(AtomicBool::new(false));
    let peak = Arc::new(AtomicUsize::new(0));
    let tenth_rss = Arc::new(AtomicUsize::new(0));
    let monitor = {
        let (done, peak, next, tenth_rss) =
            (done.clone(), peak.clone(), next.clone(), tenth_rss.clone());
        std::thread::spawn(move || {
            while !done.load(Ordering::Relaxed) {
                let rss = rss_kb(pid, "VmRSS:") as usize;
                peak.fetch_max(rss, Ordering::Relaxed);
                if tenth_rss.load(Ordering::Relaxed) == 0
                    && next.load(Ordering::Relaxed) >= requests / 10
                {
                    tenth_rss.store(rss, Ordering::Relaxed);
                }
                std::thread::sleep(Duration::from_millis(10));
            }
        })
    };
    let bodies = Arc::new(bodies);
    let expected = Arc::new(expected);
    let start = Instant::now();
    let workers: Vec<_> = (0..connections)
        .map(|_| {
            let (next, errors, server_ms, client_ms, bodies, expected) = (
                next.clone(),
                errors.clone(),
                server_ms.clone(),
                client_ms.clone(),
                bodies.clone(),
                expected.clone(),
            );
            let addr = server.addr;
            std::thread::spawn(move || {
                let mut stream = harness::connect(addr);
                let (mut s_ms, mut c_ms) = (Vec::new(), Vec::new());
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= requests {
                        break;
                    }
                    let k = i % bodies.len();
                    let (path, body) = &bodies[k];
                    let t = Instant::now();
                    let a = send(&mut stream, path, body);
                    c_ms.push(t.elapsed().as_secs_f64() * 1e3);
                    if let Some(d) = server_timing(&a, "total") {
                        s_ms.push(d);
                    }
                    let result = if a.status == 200 {
                        a.json()["result"].clone()
                    } else {
                        Value::Null
                    };
                    if (a.status, result) != expected[k] {
                        errors.fetch_add(1, Ordering::Relaxed);
                    }
                }
                server_ms.lock().unwrap().extend(s_ms);
                client_ms.lock().unwrap().extend(c_ms);
            })
        })
        .collect();
    for w in workers {
        w.join().expect("worker");
    }
    let elapsed = start.elapsed();
    done.store(true, Ordering::Relaxed);
    monitor.join().ok();
    let end_rss = rss_kb(pid, "VmRSS:");
    let hwm = rss_kb(pid, "VmHWM:");

    let mut s = server_ms.lock().unwrap().clone();
    let mut c = client_ms.lock().unwrap().clone();
    s.sort_by(f64::total_cmp);
    c.sort_by(f64::total_cmp);
    println!(
        "throughput: {:.0} requests/s ({requests} in {:.2} s)",
        requests as f64 / elapsed.as_secs_f64(),
        elapsed.as_secs_f64()
    );
    println!(
        "{connections} connections: latency at the server (queueing for a check slot included): p50 {:.2} ms, p99 {:.2} ms, max {:.1} ms",
        percentile(&s, 0.5),
        percentile(&s, 0.99),
        s.last().copied().unwrap_or(0.0)
    );
    println!(
        "{connections} connections: latency at the client: p50 {:.2} ms, p99 {:.2} ms, max {:.1} ms",
        percentile(&c, 0.5),
        percentile(&c, 0.99),
        c.last().copied().unwrap_or(0.0)
    );
    println!(
        "server memory: peak {} MB (VmHWM), after warm-up {} MB, at a tenth of the run {} MB, at the end {} MB",
        hwm.max(peak.load(Ordering::Relaxed) as u64) / 1024,
        rss_after_warmup / 1024,
        tenth_rss.load(Ordering::Relaxed) / 1024,
        end_rss / 1024
    );
    let errors = errors.load(Ordering::Relaxed);
    println!("errors (status or result differing from the body's first answer): {errors}");
    assert_eq!(errors, 0);
}
