//! `hornbeam serve`: IAM Access Analyzer's policy-check API over HTTP/1.1, offline, so
//! that the AWS CLI, the SDKs and awslabs' policy validators run unmodified against it
//! (tests/serve_clients.rs runs them). Access Analyzer, STS and IAM share one endpoint and are told
//! apart by the SigV4 credential scope. The server is stateless but for access
//! previews (previews.rs), kept in memory, bounded in number and age.
//!
//! Layers: [`wire`] (requests, answers, AWS's error shapes), [`sigv4`], the operations
//! ([`access_analyzer`], [`query`]), and here the routing and the
//! async plumbing (tokio + hyper): body limit, body deadline, a bound on concurrent
//! checks (each runs on a blocking thread), graceful shutdown.

pub mod access_analyzer;
pub mod previews;
pub mod query;
pub mod sigv4;
pub mod wire;

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use http_body_util::{BodyExt as _, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper_util::rt::{TokioIo, TokioTimer};
use thiserror::Error;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tracing::{info, warn};

use crate::checks::Options;
use access_analyzer::Operation;
use sigv4::{Authorization, SignatureError, Signed};
use wire::{ApiError, Reason, Request, Response};

/// What the server needs to know; everything else is per request.
#[derive(Debug, Clone)]
pub struct Config {
    pub listen: SocketAddr,
    /// The account STS reports: the validators build their ARNs in it.
    pub account_id: String,
    /// Access key → secret. With keys, every request's signature is verified.
    pub credentials: Option<HashMap<String, String>>,
    /// The engine's options; `timeout_ms` is each check's deadline.
    pub options: Options,
    pub max_body_bytes: usize,
    /// Checks solved at once; more wait for a slot.
    pub max_concurrent_checks: usize,
    /// Connections served at once; more wait to be accepted.
    pub max_connections: usize,
    /// How long a client may take to send a request's headers, and its body.
    pub read_timeout: Duration,
    /// How long in-flight requests may take to finish after SIGTERM/SIGINT.
    pub shutdown_grace: Duration,
    /// Stop after this long (tests and CI: a server that outlives its test stops).
    pub max_lifetime: Option<Duration>,
    /// Accept CheckAccessNotGranted actions hornbeam does not know (`serve
    /// --allow-unknown-actions`); otherwise such a request is a ValidationException.
    pub allow_unknown_actions: bool,
    /// The organization of the organization analyzer (`serve --organization-id`).
    pub organization_id: Option<String>,
    /// The access previews: the server's only state (bounded in number and age).
    pub previews: Arc<previews::Previews>,
}

impl Config {
    pub fn new(listen: SocketAddr) -> Config {
        Config {
            listen,
            account_id: DEFAULT_ACCOUNT.to_string(),
            credentials: None,
            options: Options::default(),
            max_body_bytes: DEFAULT_MAX_BODY,
            max_concurrent_checks: std::thread::available_parallelism().map_or(2, |n| n.get()),
            max_connections: 256,
            read_timeout: Duration::from_secs(10),
            shutdown_grace: Duration::from_secs(30),
            max_lifetime: None,
            allow_unknown_actions: false,
            organization_id: None,
            previews: Arc::default(),
        }
    }
}

/// The account STS reports unless `--account-id` says otherwise (AWS's documentation
/// example account).
pub const DEFAULT_ACCOUNT: &str = "111122223333";
/// Two policy documents of the largest size IAM accepts, with room for JSON escaping.
pub const DEFAULT_MAX_BODY: usize = 4 << 20;

#[derive(Debug, Error)]
pub enum ServeError {
    #[error(
        "refusing to listen on `{0}` without --credentials: on an address other than loopback every request must be signed by a known key; pass --credentials FILE or listen on 127.0.0.1"
    )]
    Unsafe(SocketAddr),
    #[error("cannot listen on `{0}`: {1}")]
    Bind(SocketAddr, std::io::Error),
    #[error("cannot start the server: {0}")]
    Runtime(std::io::Error),
}

/// Answers one request, whole. Pure apart from the clock: the async layer calls it on
/// a blocking thread.
pub fn route(config: &Config, req: &Request) -> (Response, &'static str) {
    let path = sigv4::decoded_path(&req.path);
    if req.method == "GET" && path == "/health" {
        return (
            Response::json(200, &serde_json::json!({"status": "ok"})),
            "Health",
        );
    }
    let form = query::params(&req.query, if is_form(req) { &req.body } else { &[] });
    // The service the request is for, as its scope claims (verified below when the
    // server has credentials), else as its path and parameters say.
    let claimed = req.header("authorization").map(Authorization::parse);
    let service = match &claimed {
        Some(Ok(a)) => a.service.clone(),
        _ => infer_service(&path, &form).to_string(),
    };
    let auth = match authorize(config, req, claimed) {
        Ok(auth) => auth,
        Err(e) => {
            let response = match service.as_str() {
                "sts" | "iam" => wire::query_error(
                    403,
                    query::namespace(&service),
                    e.query_code(),
                    &e.to_string(),
                    &req.request_id,
                ),
                _ => ApiError::AccessDenied(e.to_string()).response(),
            };
            return (response, "AccessDenied");
        }
    };
    let region = auth.as_ref().map_or("us-east-1", |a| a.region.as_str());
    match service.as_str() {
        "access-analyzer" => {
            if let Some(op) = previews::Op::route(&req.method, &path) {
                if let Err(e) = json_content(req) {
                    return (e.response(), op.name());
                }
                let response = match previews::call(config, &op, &req.body, &req.query, region) {
                    Ok(v) => Response::json(200, &v),
                    Err(e) => e.response(),
                };
                return (response, op.name());
            }
            let op = match Operation::route(&req.method, &path) {
                Ok(op) => op,
                Err(e) => return (e.response(), "Unknown"),
            };
            if let Err(e) = json_content(req) {
                return (e.response(), op.name());
            }
            let answer = access_analyzer::call(
                op,
                &req.body,
                &req.query,
                &config.options,
                config.allow_unknown_actions,
            );
            let response = match answer {
                Ok(v) => Response::json(200, &v),
                Err(e) => e.response(),
            };
            (response, op.name())
        }
        "sts" => (
            query::sts(&form, &config.account_id, region, &req.request_id),
            "STS",
        ),
        "iam" => (query::iam(&form, &req.request_id), "IAM"),
        other => (
            wire::query_error(
                400,
                "https://hornbeam.invalid/",
                "InvalidAction",
                &format!(
                    "hornbeam serve answers Access Analyzer, STS and IAM, not `{other}`; point only those services at it (AWS_ENDPOINT_URL_ACCESSANALYZER, AWS_ENDPOINT_URL_STS, AWS_ENDPOINT_URL_IAM)"
                ),
                &req.request_id,
            ),
            "Unknown",
        ),
    }
}

/// Without a signature (loopback only), the service a request is for.
fn infer_service(path: &str, form: &[(String, String)]) -> &'static str {
    if path.starts_with("/policy/")
        || path.starts_with("/analyzer")
        || path.starts_with("/access-preview")
    {
        return "access-analyzer";
    }
    match form
        .iter()
        .find(|(k, _)| k == "Action")
        .map(|(_, v)| v.as_str())
    {
        Some("GetPolicy" | "GetPolicyVersion") => "iam",
        _ => "sts",
    }
}

fn is_form(req: &Request) -> bool {
    req.header("content-type")
        .is_some_and(|t| t.starts_with("application/x-www-form-urlencoded"))
}

/// rest-json bodies are `application/json` (any parameters); a body without a type is
/// read as JSON too.
fn json_content(req: &Request) -> Result<(), ApiError> {
    let Some(t) = req.header("content-type") else {
        return Ok(());
    };
    let media = t.split(';').next().unwrap_or("").trim();
    if media.eq_ignore_ascii_case("application/json")
        || media.eq_ignore_ascii_case("application/x-amz-json-1.1")
    {
        Ok(())
    } else {
        Err(ApiError::validation(
            Reason::CannotParse,
            format!("unsupported content type `{t}`; send `application/json`"),
        ))
    }
}

/// The request's SigV4 authorization (its `Authorization` header, parsed): verified
/// against the credentials when the server has some, else read for its scope only (any
/// key is accepted on loopback).
fn authorize(
    config: &Config,
    req: &Request,
    claimed: Option<Result<Authorization, SignatureError>>,
) -> Result<Option<Authorization>, SignatureError> {
    let auth = claimed.transpose()?;
    let Some(secrets) = &config.credentials else {
        return Ok(auth);
    };
    let auth = auth.ok_or(SignatureError::Missing)?;
    let signed = Signed {
        method: &req.method,
        path: &req.path,
        query: &req.query,
        headers: &req.headers,
        body: &req.body,
    };
    sigv4::verify(&auth, secrets, &signed, chrono::Utc::now())?;
    Ok(Some(auth))
}

/// Runs the server until SIGTERM/SIGINT (or `max_lifetime`); `listening` gets the bound
/// address once it accepts connections (the CLI prints it).
pub fn run(config: Config, listening: impl FnOnce(SocketAddr)) -> Result<(), ServeError> {
    if !config.listen.ip().is_loopback() && config.credentials.is_none() {
        return Err(ServeError::Unsafe(config.listen));
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .max_blocking_threads(config.max_concurrent_checks.max(1) + 4)
        .build()
        .map_err(ServeError::Runtime)?;
    runtime.block_on(async move {
        let listener = TcpListener::bind(config.listen)
            .await
            .map_err(|e| ServeError::Bind(config.listen, e))?;
        let addr = listener.local_addr().map_err(ServeError::Runtime)?;
        // The managed policies (IAM GetPolicy) are decompressed on first use: do it now,
        // beside the first requests rather than in one.
        std::thread::spawn(|| crate::managed::names().len());
        listening(addr);
        info!(%addr, account = %config.account_id, signed = config.credentials.is_some(), "listening");
        let lifetime = config.max_lifetime;
        serve(Arc::new(config), listener, async move {
            match lifetime {
                Some(d) => {
                    tokio::select! {
                        _ = shutdown_signal() => {}
                        _ = tokio::time::sleep(d) => info!("the maximum lifetime is over"),
                    }
                }
                None => shutdown_signal().await,
            }
        })
        .await;
        Ok(())
    })
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => info!("SIGTERM: finishing in-flight requests"),
                    _ = tokio::signal::ctrl_c() => info!("SIGINT: finishing in-flight requests"),
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

struct Shared {
    config: Arc<Config>,
    checks: Semaphore,
    next_id: AtomicU64,
    epoch: u64,
}

/// Accepts connections on `listener` until `shutdown` completes, then lets in-flight
/// requests finish (up to the grace period).
pub async fn serve(
    config: Arc<Config>,
    listener: TcpListener,
    shutdown: impl std::future::Future<Output = ()>,
) {
    let shared = Arc::new(Shared {
        checks: Semaphore::new(config.max_concurrent_checks.max(1)),
        next_id: AtomicU64::new(0),
        epoch: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64),
        config: config.clone(),
    });
    let connections = Arc::new(Semaphore::new(config.max_connections.max(1)));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            p = connections.clone().acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => break,
            },
            _ = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let shared = shared.clone();
        let service = hyper::service::service_fn(move |req| {
            let shared = shared.clone();
            async move { Ok::<_, Infallible>(handle(shared, req).await) }
        });
        let conn = hyper::server::conn::http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(config.read_timeout)
            .keep_alive(true)
            .serve_connection(TokioIo::new(stream), service);
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!(%peer, error = %e, "connection closed with an error");
            }
            drop(permit);
        });
    }
    drop(listener);
    if tokio::time::timeout(config.shutdown_grace, graceful.shutdown())
        .await
        .is_err()
    {
        warn!("in-flight requests did not finish within the grace period");
    }
    info!("stopped");
}

async fn handle(
    shared: Arc<Shared>,
    req: hyper::Request<Incoming>,
) -> hyper::Response<Full<Bytes>> {
    let start = Instant::now();
    let n = shared.next_id.fetch_add(1, Ordering::Relaxed);
    let request_id = format!(
        "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
        (shared.epoch >> 32) as u32,
        (shared.epoch >> 16) as u16,
        (shared.epoch & 0xfff) as u16,
        (n >> 48) & 0xfff,
        n & 0xffff_ffff_ffff
    );
    let config = &shared.config;
    let method = req.method().as_str().to_string();
    let path = req.uri().path().to_string();
    let query = req.uri().query().unwrap_or("").to_string();
    let headers: Vec<(String, String)> = req
        .headers()
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let declared = req
        .headers()
        .get(hyper::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    let too_large = || {
        ApiError::validation(
            Reason::Other,
            format!(
                "the request body is more than {} bytes, the server's limit (--max-body-bytes)",
                config.max_body_bytes
            ),
        )
    };
    let body = if declared.is_some_and(|n| n > config.max_body_bytes) {
        Err((too_large(), true))
    } else {
        let limited = Limited::new(req.into_body(), config.max_body_bytes);
        match tokio::time::timeout(config.read_timeout, limited.collect()).await {
            Ok(Ok(b)) => Ok(b.to_bytes().to_vec()),
            Ok(Err(e)) if e.is::<http_body_util::LengthLimitError>() => Err((too_large(), true)),
            Ok(Err(e)) => Err((
                ApiError::validation(
                    Reason::CannotParse,
                    format!("the request body could not be read: {e}"),
                ),
                true,
            )),
            Err(_) => Err((
                ApiError::validation(
                    Reason::Other,
                    format!(
                        "the request body did not arrive within {} ms (--read-timeout-ms)",
                        config.read_timeout.as_millis()
                    ),
                ),
                true,
            )),
        }
    };
    let mut queued = Duration::ZERO;
    let (response, operation, close) = match body {
        Err((e, close)) => (e.response(), "Rejected", close),
        Ok(body) => {
            let request = Request {
                method: method.clone(),
                path: path.clone(),
                query,
                headers,
                body,
                request_id: request_id.clone(),
            };
            let waiting = Instant::now();
            match shared.checks.acquire().await {
                Ok(_permit) => {
                    queued = waiting.elapsed();
                    let shared2 = shared.clone();
                    let done =
                        tokio::task::spawn_blocking(move || route(&shared2.config, &request)).await;
                    match done {
                        Ok((r, op)) => (r, op, false),
                        Err(e) => {
                            tracing::error!(error = %e, "a request handler panicked");
                            (
                                internal_error("the request handler failed; please report it"),
                                "Panicked",
                                true,
                            )
                        }
                    }
                }
                Err(_) => (
                    internal_error("the server is shutting down"),
                    "ShuttingDown",
                    true,
                ),
            }
        }
    };
    info!(
        request_id = %request_id,
        method = %method,
        path = %path,
        operation,
        status = response.status,
        queued_us = queued.as_micros() as u64,
        elapsed_us = start.elapsed().as_micros() as u64,
        "request"
    );
    let elapsed = start.elapsed();
    let mut builder = hyper::Response::builder()
        .status(response.status)
        .header("x-amzn-requestid", request_id)
        .header(
            "server-timing",
            format!(
                "queue;dur={:.3}, total;dur={:.3}",
                queued.as_secs_f64() * 1e3,
                elapsed.as_secs_f64() * 1e3
            ),
        );
    for (k, v) in &response.headers {
        builder = builder.header(*k, v);
    }
    if close {
        builder = builder.header("connection", "close");
    }
    builder
        .body(Full::new(Bytes::from(response.body)))
        .unwrap_or_else(|_| hyper::Response::new(Full::new(Bytes::new())))
}

fn internal_error(message: &str) -> Response {
    let mut r = Response::json(
        500,
        &serde_json::json!({"__type": "InternalServerException", "message": message}),
    );
    r.headers
        .push(("x-amzn-errortype", "InternalServerException".to_string()));
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn request(method: &str, path: &str, headers: Vec<(String, String)>, body: Vec<u8>) -> Request {
        Request {
            method: method.to_string(),
            path: path.to_string(),
            query: String::new(),
            headers,
            body,
            request_id: "test".to_string(),
        }
    }

    /// Fields a request body may have, with values of every JSON type.
    fn body() -> impl Strategy<Value = Vec<u8>> {
        let value = prop_oneof![
            Just(serde_json::json!(null)),
            any::<bool>().prop_map(serde_json::Value::from),
            any::<i64>().prop_map(serde_json::Value::from),
            ".{0,40}".prop_map(serde_json::Value::from),
            Just(serde_json::json!(
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#
            )),
            Just(serde_json::json!("IDENTITY_POLICY")),
            Just(serde_json::json!("AWS::S3::Bucket")),
            Just(serde_json::json!([{"actions": ["s3:GetObject"]}])),
            Just(serde_json::json!([{"resources": [1]}, "x"])),
            Just(serde_json::json!({"Statement": []})),
        ];
        let names = prop::sample::select(vec![
            "newPolicyDocument",
            "existingPolicyDocument",
            "policyDocument",
            "policyType",
            "access",
            "resourceType",
            "validatePolicyResourceType",
            "locale",
            "other",
        ]);
        prop_oneof![
            prop::collection::vec(any::<u8>(), 0..200),
            prop::collection::btree_map(names, value, 0..6).prop_map(|m| {
                serde_json::to_vec(
                    &m.into_iter()
                        .map(|(k, v)| (k.to_string(), v))
                        .collect::<serde_json::Map<_, _>>(),
                )
                .unwrap_or_default()
            }),
        ]
    }

    proptest! {
        /// Whatever arrives, the answer is a 200 or an AWS-shaped 4xx: never a panic and
        /// never a 5xx, which the validators would retry for minutes.
        #[test]
        fn any_request_gets_a_client_answer(
            method in prop::sample::select(vec!["GET", "POST", "PUT", "DELETE"]),
            path in prop_oneof![
                prop::sample::select(vec![
                    "/policy/check-no-new-access",
                    "/policy/check-access-not-granted",
                    "/policy/check-no-public-access",
                    "/policy/validation",
                    "/",
                    "/analyzer",
                ]).prop_map(String::from),
                "/[a-z%/]{0,20}",
            ],
            service in prop::sample::select(vec!["access-analyzer", "sts", "iam", "s3", ""]),
            content_type in prop::sample::select(vec!["application/json", "text/plain", "application/x-www-form-urlencoded", ""]),
            body in body(),
        ) {
            let mut headers = Vec::new();
            if !content_type.is_empty() {
                headers.push(("content-type".to_string(), content_type.to_string()));
            }
            if !service.is_empty() {
                headers.push((
                    "authorization".to_string(),
                    format!("AWS4-HMAC-SHA256 Credential=AKID/20261130/us-east-1/{service}/aws4_request, SignedHeaders=host, Signature={}", "0".repeat(64)),
                ));
            }
            let config = Config::new(SocketAddr::from(([127, 0, 0, 1], 0)));
            let (response, _) = route(&config, &request(method, &path, headers, body));
            prop_assert!(response.status == 200 || (400..500).contains(&response.status), "{}", response.status);
            if response.status != 200 {
                let is_json = response.headers.iter().any(|(k, v)| *k == "content-type" && v == "application/json");
                if is_json {
                    prop_assert!(response.headers.iter().any(|(k, _)| *k == "x-amzn-errortype"));
                }
            }
        }
    }
}
