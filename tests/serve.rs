//! `hornbeam serve` over raw HTTP: the four operations in AWS's shapes, STS and IAM,
//! every kind of bad input answered with an AWS-shaped 4xx (never a 5xx, which the
//! validators retry for minutes), signatures when the server has credentials, and
//! graceful shutdown. The real AWS clients are in tests/serve_clients.rs.

#[path = "serve/harness.rs"]
mod harness;

use std::io::Write;
use std::time::Duration;

use harness::{Server, connect, post_json, read_answer, request};
use serde_json::{Value, json};

const ADMIN: &str =
    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;
const READ: &str = r#"{"Version":"2012-10-17","Statement":[{"Sid":"Read","Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::reports/*"}]}"#;
const PUBLIC: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::reports/*"}]}"#;
const ACCOUNT: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::reports/*"}]}"#;

/// Asserts an AWS-shaped error: the status, the code in both carriers, and the reason.
fn assert_error(a: &harness::Answer, status: u16, code: &str, reason: Option<&str>) -> Value {
    assert_eq!(a.status, status, "{}", a.text());
    assert_eq!(a.header("x-amzn-errortype"), Some(code), "{:?}", a.headers);
    let body = a.json();
    assert_eq!(body["__type"], code, "{body}");
    assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()));
    if let Some(r) = reason {
        assert_eq!(body["reason"], r, "{body}");
    }
    body
}

#[test]
fn the_checks_answer_as_the_cli_does() {
    let s = Server::start(&[]);
    let fail = post_json(
        s.addr,
        "/policy/check-no-new-access",
        &json!({"newPolicyDocument": ADMIN, "existingPolicyDocument": READ, "policyType": "IDENTITY_POLICY"}),
    );
    assert_eq!(fail.status, 200);
    assert!(fail.header("x-amzn-requestid").is_some());
    assert!(
        fail.header("server-timing")
            .is_some_and(|t| t.starts_with("queue;dur=") && t.contains(", total;dur=")),
        "{:?}",
        fail.headers
    );
    let v = fail.json();
    assert_eq!(v["result"], "FAIL");
    assert_eq!(
        v["message"],
        "The modified permissions grant new access compared to your existing policy."
    );
    assert_eq!(
        v["reasons"],
        json!([{"description": "New access in the statement with index: 0.", "statementIndex": 0}])
    );
    assert!(v["counterexample"]["action"].is_string(), "{v}");

    let pass = post_json(
        s.addr,
        "/policy/check-no-new-access",
        &json!({"newPolicyDocument": READ, "existingPolicyDocument": ADMIN, "policyType": "IDENTITY_POLICY"}),
    )
    .json();
    assert_eq!(pass["result"], "PASS");
    assert_eq!(pass["reasons"], json!([]));
    assert!(pass.get("counterexample").is_none());

    let granted = post_json(
        s.addr,
        "/policy/check-access-not-granted",
        &json!({"policyDocument": READ, "policyType": "IDENTITY_POLICY", "access": [{"actions": ["s3:GetObject"]}]}),
    )
    .json();
    assert_eq!(granted["result"], "FAIL");
    assert_eq!(granted["reasons"][0]["statementId"], "Read");
    let not_granted = post_json(
        s.addr,
        "/policy/check-access-not-granted",
        &json!({"policyDocument": READ, "policyType": "IDENTITY_POLICY", "access": [{"actions": ["s3:PutObject"], "resources": ["arn:aws:s3:::reports/x"]}]}),
    )
    .json();
    assert_eq!(not_granted["result"], "PASS");

    for (policy, expected) in [(PUBLIC, "FAIL"), (ACCOUNT, "PASS")] {
        let v = post_json(
            s.addr,
            "/policy/check-no-public-access",
            &json!({"policyDocument": policy, "resourceType": "AWS::S3::Bucket"}),
        )
        .json();
        assert_eq!(v["result"], expected, "{v}");
    }
}

#[test]
fn validation_locates_the_error() {
    let s = Server::start(&[]);
    let text = "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": {\"Effect\": \"Allow\", \"Action\": \"s3\", \"Resource\": \"*\"}\n}";
    let v = post_json(
        s.addr,
        "/policy/validation",
        &json!({"policyDocument": text, "policyType": "IDENTITY_POLICY"}),
    )
    .json();
    let f = &v["findings"][0];
    assert_eq!(f["findingType"], "ERROR");
    assert_eq!(f["issueCode"], "INVALID_ACTION");
    assert_eq!(
        f["locations"][0]["path"],
        json!([{"value": "Statement"}, {"value": "Action"}])
    );
    let span = &f["locations"][0]["span"];
    assert_eq!(span["start"]["line"], 3);
    let (start, end) = (
        span["start"]["offset"].as_u64().unwrap() as usize,
        span["end"]["offset"].as_u64().unwrap() as usize,
    );
    assert_eq!(&text[start..end], "\"s3\"");
    assert!(v.get("nextToken").is_none());
    for t in [
        "IDENTITY_POLICY",
        "RESOURCE_POLICY",
        "SERVICE_CONTROL_POLICY",
        "RESOURCE_CONTROL_POLICY",
    ] {
        let doc = if t == "RESOURCE_POLICY" { PUBLIC } else { READ };
        let doc = if t == "RESOURCE_CONTROL_POLICY" {
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}"#
        } else {
            doc
        };
        let v = post_json(
            s.addr,
            "/policy/validation",
            &json!({"policyDocument": doc, "policyType": t, "locale": "EN"}),
        )
        .json();
        assert_eq!(v, json!({"findings": []}), "{t}");
    }
}

/// `validatePolicyResourceType` adds the type's checks (issue 27).
#[test]
fn validation_reads_the_resource_type() {
    let s = Server::start(&[]);
    let bucket = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"sqs:SendMessage","Resource":"arn:aws:s3:::b/*"}]}"#;
    let codes = |body: Value| -> Vec<String> {
        post_json(s.addr, "/policy/validation", &body).json()["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["issueCode"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        codes(
            json!({"policyDocument": bucket, "policyType": "RESOURCE_POLICY", "validatePolicyResourceType": "AWS::S3::Bucket"})
        ),
        ["UNSUPPORTED_ACTION_IN_POLICY"]
    );
    assert!(codes(json!({"policyDocument": bucket, "policyType": "RESOURCE_POLICY"})).is_empty());
    // A document over ValidatePolicy's maximum is AWS's 400, not findings.
    let statements: Vec<Value> = (0..400)
        .map(|i| {
            json!({"Sid": format!("S{i}"), "Effect": "Allow", "Action": "s3:GetObject",
            "Resource": format!("arn:aws:s3:::a-bucket-with-a-long-name/prefix-{i:04}/*")})
        })
        .collect();
    let big = json!({"Version": "2012-10-17", "Statement": statements}).to_string();
    let a = post_json(
        s.addr,
        "/policy/validation",
        &json!({"policyDocument": big, "policyType": "IDENTITY_POLICY"}),
    );
    assert_eq!(a.status, 400);
    assert_eq!(a.json()["fieldList"][0]["name"], "policyDocument");
}

#[test]
fn bad_input_gets_an_aws_shaped_client_error() {
    let s = Server::start(&["--max-body-bytes", "20000", "--read-timeout-ms", "400"]);
    let nna = "/policy/check-no-new-access";
    let json_type = [("content-type", "application/json")];

    let a = request(s.addr, "POST", nna, &json_type, b"{\"newPolicyDocument\": ");
    let body = assert_error(&a, 400, "ValidationException", Some("cannotParse"));
    assert!(
        body["message"].as_str().unwrap().contains("line 1"),
        "{body}"
    );
    let a = request(s.addr, "POST", nna, &json_type, b"[]");
    assert_error(&a, 400, "ValidationException", Some("cannotParse"));

    // Each a 400 `fieldValidationFailed` naming the field.
    let bad_policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/33"}}}]}"#;
    let cases = [
        (
            nna,
            json!({"newPolicyDocument": READ, "policyType": "IDENTITY_POLICY"}),
            "existingPolicyDocument",
        ),
        (
            nna,
            json!({"newPolicyDocument": READ, "existingPolicyDocument": READ, "policyType": "SERVICE_CONTROL_POLICY"}),
            "policyType",
        ),
        (
            nna,
            json!({"newPolicyDocument": bad_policy, "existingPolicyDocument": READ, "policyType": "IDENTITY_POLICY"}),
            "newPolicyDocument",
        ),
        (
            "/policy/check-access-not-granted",
            json!({"policyDocument": READ, "policyType": "IDENTITY_POLICY", "access": [{"resources": ["example"]}]}),
            "access",
        ),
        (
            "/policy/check-no-public-access",
            json!({"policyDocument": PUBLIC, "resourceType": "AWS::EC2::Instance"}),
            "resourceType",
        ),
    ];
    for (path, request_body, field) in cases {
        let a = post_json(s.addr, path, &request_body);
        let body = assert_error(
            &a,
            400,
            "ValidationException",
            Some("fieldValidationFailed"),
        );
        assert_eq!(body["fieldList"][0]["name"], field, "{request_body}");
        if field == "newPolicyDocument" {
            let message = body["message"].as_str().unwrap();
            assert!(message.contains("/Statement/0/Condition"), "{message}");
            assert!(message.contains("10.0.0.0/33"), "{message}");
        }
    }

    // Wrong content type.
    let a = request(
        s.addr,
        "POST",
        nna,
        &[("content-type", "text/plain")],
        b"{}",
    );
    let body = assert_error(&a, 400, "ValidationException", Some("cannotParse"));
    assert!(body["message"].as_str().unwrap().contains("text/plain"));

    // Operations this server leaves out, and paths no API has.
    let a = request(s.addr, "GET", "/analyzer/hornbeam", &[], b"");
    let body = assert_error(&a, 400, "ValidationException", Some("unknownOperation"));
    assert!(body["message"].as_str().unwrap().contains("GetAnalyzer"));
    let a = request(s.addr, "DELETE", "/policy/validation", &[], b"");
    assert_error(&a, 400, "ValidationException", Some("unknownOperation"));

    // A body larger than the limit, declared: answered without reading it.
    let huge = vec![b' '; 30_000];
    let a = request(s.addr, "POST", nna, &json_type, &huge);
    let body = assert_error(&a, 400, "ValidationException", Some("other"));
    assert!(
        body["message"].as_str().unwrap().contains("20000"),
        "{body}"
    );
    assert_eq!(a.header("connection"), Some("close"));

    // Chunked, with no length declared: cut at the limit.
    let mut c = connect(s.addr);
    let chunk = vec![b' '; 8_000];
    let mut raw = format!("POST {nna} HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n").into_bytes();
    for _ in 0..4 {
        raw.extend(format!("{:x}\r\n", chunk.len()).as_bytes());
        raw.extend(&chunk);
        raw.extend(b"\r\n");
    }
    raw.extend(b"0\r\n\r\n");
    c.write_all(&raw).unwrap();
    let a = read_answer(&mut c);
    assert_error(&a, 400, "ValidationException", Some("other"));

    // A truncated body: the client stops sending and closes its side.
    let mut c = connect(s.addr);
    c.write_all(format!("POST {nna} HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 500\r\n\r\n{{\"newPolicy").as_bytes()).unwrap();
    c.shutdown(std::net::Shutdown::Write).unwrap();
    let a = read_answer(&mut c);
    assert_error(&a, 400, "ValidationException", Some("cannotParse"));

    // A slow client: half a body, then nothing for longer than --read-timeout-ms.
    let mut c = connect(s.addr);
    c.write_all(format!("POST {nna} HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 500\r\n\r\n{{\"newPolicy").as_bytes()).unwrap();
    let a = read_answer(&mut c);
    let body = assert_error(&a, 400, "ValidationException", Some("other"));
    assert!(
        body["message"].as_str().unwrap().contains("400 ms"),
        "{body}"
    );

    // The server is still well after all of that.
    let a = request(s.addr, "GET", "/health", &[], b"");
    assert_eq!((a.status, a.json()), (200, json!({"status": "ok"})));
}

/// A misspelt action is granted by no policy: answering PASS would be a false PASS
/// (issue 24). It is a 400 naming `access`, unless the server accepts unknown actions.
#[test]
fn an_unknown_action_is_a_validation_error() {
    let body = json!({"policyDocument": r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:PassRole","Resource":"*"}]}"#,
        "policyType": "IDENTITY_POLICY", "access": [{"actions": ["iam:PasRole"]}]});
    let path = "/policy/check-access-not-granted";
    let s = Server::start(&[]);
    let a = post_json(s.addr, path, &body);
    let e = assert_error(
        &a,
        400,
        "ValidationException",
        Some("fieldValidationFailed"),
    );
    assert_eq!(e["fieldList"][0]["name"], "access", "{e}");
    assert!(
        e["message"]
            .as_str()
            .unwrap_or_default()
            .contains("did you mean `iam:PassRole`"),
        "{e}"
    );
    let s = Server::start(&["--allow-unknown-actions"]);
    let a = post_json(s.addr, path, &body);
    assert_eq!(a.status, 200);
    assert_eq!(a.json()["result"], "PASS");
}

#[test]
fn keep_alive_connections_carry_many_requests() {
    let s = Server::start(&[]);
    let mut c = connect(s.addr);
    let body = json!({"policyDocument": PUBLIC, "resourceType": "AWS::S3::Bucket"}).to_string();
    for _ in 0..50 {
        let raw = format!(
            "POST /policy/check-no-public-access HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        );
        c.write_all(raw.as_bytes()).unwrap();
        let a = read_answer(&mut c);
        assert_eq!(a.status, 200);
        assert_eq!(a.json()["result"], "FAIL");
    }
}

#[test]
fn sts_and_iam_answer_the_validators() {
    let s = Server::start(&["--account-id", "444455556666"]);
    let form = [(
        "content-type",
        "application/x-www-form-urlencoded; charset=utf-8",
    )];
    // A query-protocol call, routed by its scope (the signature is not checked here).
    let call = |scope: &str, body: &str| {
        let auth = format!(
            "AWS4-HMAC-SHA256 Credential=AKIDLOCAL/20261130/{scope}/aws4_request, SignedHeaders=host, Signature={}",
            "0".repeat(64)
        );
        request(
            s.addr,
            "POST",
            "/",
            &[form[0], ("authorization", &auth)],
            body.as_bytes(),
        )
    };
    let sts = |body: &str| call("us-gov-west-1/sts", body);
    let iam = |body: &str| call("us-east-1/iam", body);
    let a = sts("Action=GetCallerIdentity&Version=2011-06-15");
    assert_eq!(a.status, 200);
    let xml = a.text();
    assert!(xml.contains("<Account>444455556666</Account>"), "{xml}");
    assert!(
        xml.contains("<Arn>arn:aws-us-gov:iam::444455556666:user/hornbeam</Arn>"),
        "{xml}"
    );
    let a = sts("Action=AssumeRole&Version=2011-06-15");
    assert_eq!(a.status, 400);
    assert!(a.text().contains("<Code>InvalidAction</Code>"));

    let a = iam(
        "Action=GetPolicy&Version=2010-05-08&PolicyArn=arn%3Aaws%3Aiam%3A%3Aaws%3Apolicy%2FAdministratorAccess",
    );
    assert_eq!(a.status, 200, "{}", a.text());
    assert!(
        a.text()
            .contains("<PolicyName>AdministratorAccess</PolicyName>")
    );
    let a = iam(
        "Action=GetPolicy&Version=2010-05-08&PolicyArn=arn%3Aaws%3Aiam%3A%3A111122223333%3Apolicy%2FMine",
    );
    assert_eq!(a.status, 404);
    assert!(a.text().contains("<Code>NoSuchEntity</Code>"));
}

#[test]
fn with_credentials_every_request_is_signed() {
    let dir = std::env::temp_dir().join(format!("hornbeam-serve-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("credentials");
    std::fs::write(
        &file,
        "# test key\nAKIDTEST wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY\n",
    )
    .unwrap();
    let s = Server::start(&["--credentials", file.to_str().unwrap()]);
    let body = json!({"policyDocument": PUBLIC, "resourceType": "AWS::S3::Bucket"}).to_string();
    let path = "/policy/check-no-public-access";

    let unsigned = request(
        s.addr,
        "POST",
        path,
        &[("content-type", "application/json")],
        body.as_bytes(),
    );
    assert_error(&unsigned, 403, "AccessDeniedException", None);

    // (Authorization, X-Amz-Date) for `body`, signed now with `secret`.
    let signed = |secret: &str, body: &str| -> (String, String) {
        use hornbeam::server::sigv4::{Authorization, Signed, signature};
        let now = chrono::Utc::now().format("%Y%m%dT%H%M%SZ").to_string();
        let headers = vec![
            ("content-type".to_string(), "application/json".to_string()),
            ("host".to_string(), s.addr.to_string()),
            ("x-amz-date".to_string(), now.clone()),
        ];
        let auth = Authorization {
            access_key: "AKIDTEST".into(),
            date: now[..8].to_string(),
            region: "us-east-1".into(),
            service: "access-analyzer".into(),
            signed_headers: vec!["content-type".into(), "host".into(), "x-amz-date".into()],
            signature: String::new(),
        };
        let parts = Signed {
            method: "POST",
            path,
            query: "",
            headers: &headers,
            body: body.as_bytes(),
        };
        let sig = signature(&auth, secret, &now, &parts);
        (
            format!(
                "AWS4-HMAC-SHA256 Credential=AKIDTEST/{}/us-east-1/access-analyzer/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature={sig}",
                &now[..8]
            ),
            now,
        )
    };
    let send = |(auth, date): (String, String), body: &str| {
        let mut c = connect(s.addr);
        let raw = format!(
            "POST {path} HTTP/1.1\r\nhost: {}\r\ncontent-type: application/json\r\nx-amz-date: {date}\r\nauthorization: {auth}\r\ncontent-length: {}\r\n\r\n{body}",
            s.addr,
            body.len()
        );
        c.write_all(raw.as_bytes()).unwrap();
        read_answer(&mut c)
    };
    let good = send(
        signed("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", &body),
        &body,
    );
    assert_eq!(good.status, 200, "{}", good.text());
    assert_eq!(good.json()["result"], "FAIL");
    let wrong_key = send(signed("not-the-secret", &body), &body);
    assert_error(&wrong_key, 403, "AccessDeniedException", None);
    // A body changed after signing.
    let other = json!({"policyDocument": ACCOUNT, "resourceType": "AWS::S3::Bucket"}).to_string();
    let tampered = send(
        signed("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", &body),
        &other,
    );
    assert_error(&tampered, 403, "AccessDeniedException", None);
    // Health needs no signature (load balancers).
    assert_eq!(request(s.addr, "GET", "/health", &[], b"").status, 200);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn other_addresses_need_credentials() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_hornbeam"))
        .args(["serve", "--listen", "0.0.0.0:0", "--max-lifetime", "5"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("refusing to listen on `0.0.0.0:0` without --credentials"),
        "{err}"
    );
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_hornbeam"))
        .args(["serve", "--account-id", "12345"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn sigterm_lets_the_request_in_flight_finish() {
    let mut s = Server::start(&[]);
    let body = json!({"policyDocument": PUBLIC, "resourceType": "AWS::S3::Bucket"}).to_string();
    let mut c = connect(s.addr);
    let head = format!(
        "POST /policy/check-no-public-access HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
        body.len()
    );
    c.write_all(head.as_bytes()).unwrap();
    c.write_all(&body.as_bytes()[..10]).unwrap();
    std::thread::sleep(Duration::from_millis(200));
    s.terminate();
    std::thread::sleep(Duration::from_millis(200));
    // No new connections once shutting down.
    assert!(std::net::TcpStream::connect(s.addr).is_err());
    c.write_all(&body.as_bytes()[10..]).unwrap();
    let a = read_answer(&mut c);
    assert_eq!(a.status, 200);
    assert_eq!(a.json()["result"], "FAIL");
    assert_eq!(s.wait_exit(Duration::from_secs(10)), Some(0));
}

/// The per-request deadline is the engine's `--timeout-ms`: reaching it answers FAIL
/// with an inconclusive reason, never PASS and never an error status.
#[test]
fn a_check_past_its_deadline_fails_undecided() {
    let s = Server::start(&["--timeout-ms", "0"]);
    let a = post_json(
        s.addr,
        "/policy/check-access-not-granted",
        // `s3:Put*` shares its service with the policy's action, so slicing leaves a
        // query to solve (a disjoint list is a PASS before any solving).
        &json!({"policyDocument": READ, "policyType": "IDENTITY_POLICY", "access": [{"actions": ["s3:Put*"]}]}),
    );
    assert_eq!(a.status, 200);
    let v = a.json();
    assert_eq!(v["result"], "FAIL", "{v}");
    let reasons = v["reasons"].as_array().unwrap();
    assert!(
        reasons.iter().any(|r| r["description"]
            .as_str()
            .is_some_and(|d| d.contains("inconclusive") && d.contains("deadline"))),
        "{v}"
    );
}

/// `-v` logs one line per request with its operation, status and timings, and never
/// the policies: not from a check, not from an invalid document whose error message
/// quotes it.
#[test]
fn logs_carry_no_policy_text() {
    let dir = std::env::temp_dir().join(format!("hornbeam-serve-log-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let log = dir.join("serve.log");
    let mut s = Server::start_logging(
        &["-vv"],
        std::process::Stdio::from(std::fs::File::create(&log).unwrap()),
    );
    let marker = "arn:aws:s3:::bucket-named-confidential-7f3a";
    let policy = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"s3:GetObject","Resource":"{marker}/*"}}]}}"#
    );
    let invalid = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"s3","Resource":"{marker}"}}]}}"#
    );
    for body in [
        json!({"newPolicyDocument": policy, "existingPolicyDocument": READ, "policyType": "IDENTITY_POLICY"}),
        json!({"newPolicyDocument": invalid, "existingPolicyDocument": READ, "policyType": "IDENTITY_POLICY"}),
    ] {
        post_json(s.addr, "/policy/check-no-new-access", &body);
    }
    post_json(
        s.addr,
        "/policy/validation",
        &json!({"policyDocument": invalid, "policyType": "IDENTITY_POLICY"}),
    );
    s.terminate();
    assert_eq!(s.wait_exit(Duration::from_secs(10)), Some(0));
    let text = std::fs::read_to_string(&log).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(
        text.lines()
            .filter(|l| l.contains("operation=\"CheckNoNewAccess\""))
            .count(),
        2,
        "{text}"
    );
    assert!(text.contains("status=400"), "{text}");
    assert!(!text.contains("confidential"), "{text}");
}

/// `--max-connections`: a connection beyond the bound waits to be accepted, and is
/// served once another closes.
#[test]
fn connections_beyond_the_bound_wait() {
    use std::io::Read;
    let s = Server::start(&["--max-connections", "1"]);
    let first = connect(s.addr);
    // The first connection is being served (idle, kept alive); give it time to be accepted.
    std::thread::sleep(Duration::from_millis(200));
    let mut second = connect(s.addr);
    second
        .write_all(b"GET /health HTTP/1.1\r\nhost: x\r\n\r\n")
        .unwrap();
    second
        .set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    let mut byte = [0u8; 1];
    let waited = second.read(&mut byte);
    assert!(
        waited.as_ref().is_err_and(|e| matches!(
            e.kind(),
            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
        )),
        "{waited:?}"
    );
    drop(first);
    second
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let a = read_answer(&mut second);
    assert_eq!(a.status, 200);
}

/// The analyzer and access-preview operations (issue 28): the organization analyzer
/// with --organization-id, previews of every supported configuration, paging and
/// filters, and AWS's errors for unknown previews, analyzers and configurations.
#[test]
fn access_previews() {
    let s = Server::start(&["--organization-id", "o-a1b2c3d4e5"]);
    let json_put = |path: &str, body: &Value| {
        request(
            s.addr,
            "PUT",
            path,
            &[("content-type", "application/json")],
            body.to_string().as_bytes(),
        )
    };
    let analyzers = request(s.addr, "GET", "/analyzer", &[], b"").json()["analyzers"].clone();
    let types: Vec<&str> = analyzers
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["type"].as_str().unwrap())
        .collect();
    assert_eq!(types, ["ACCOUNT", "ORGANIZATION"]);
    let account = analyzers[0]["arn"].as_str().unwrap().to_string();
    let organization = analyzers[1]["arn"].as_str().unwrap().to_string();
    assert_eq!(
        request(s.addr, "GET", "/analyzer?type=ORGANIZATION", &[], b"").json()["analyzers"][0]["arn"],
        organization.as_str()
    );
    // A queue the organization's accounts may use, and one other account.
    let queue = json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": "sqs:SendMessage", "Resource": "*",
         "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}},
        {"Effect": "Allow", "Principal": {"AWS": "444455556666"}, "Action": "sqs:ReceiveMessage", "Resource": "*"}]})
    .to_string();
    let preview = |analyzer: &str| -> String {
        let a = json_put(
            "/access-preview",
            &json!({"analyzerArn": analyzer, "configurations": {
                "arn:aws:sqs:us-east-1:111122223333:orders": {"sqsQueue": {"queuePolicy": queue}}}}),
        );
        assert_eq!(a.status, 200, "{}", a.text());
        a.json()["id"].as_str().unwrap().to_string()
    };
    let principals = |analyzer: &str, id: &str, body: Value| -> Vec<Value> {
        let mut body = body;
        body["analyzerArn"] = json!(analyzer);
        post_json(s.addr, &format!("/access-preview/{id}"), &body).json()["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["principal"].clone())
            .collect()
    };
    // Under the account's zone both are external; under the organization's, one.
    let id = preview(&account);
    let got = request(
        s.addr,
        "GET",
        &format!("/access-preview/{id}?analyzerArn={account}"),
        &[],
        b"",
    )
    .json();
    assert_eq!(got["accessPreview"]["status"], "COMPLETED", "{got}");
    assert_eq!(
        principals(&account, &id, json!({})),
        [json!({"AWS": "*"}), json!({"AWS": "444455556666"})]
    );
    let id_org = preview(&organization);
    assert_eq!(
        principals(&organization, &id_org, json!({})),
        [json!({"AWS": "444455556666"})]
    );
    // Filters and pages.
    assert_eq!(
        principals(
            &account,
            &id,
            json!({"filter": {"principal.AWS": {"eq": ["444455556666"]}}})
        ),
        [json!({"AWS": "444455556666"})]
    );
    let page = post_json(
        s.addr,
        &format!("/access-preview/{id}"),
        &json!({"analyzerArn": account, "maxResults": 1}),
    )
    .json();
    assert_eq!(page["findings"].as_array().unwrap().len(), 1);
    assert_eq!(page["nextToken"], "1");
    assert_eq!(
        principals(&account, &id, json!({"nextToken": "1"})),
        [json!({"AWS": "444455556666"})]
    );
    // Unsupported configurations fail with AWS's reason; unknown previews and analyzers
    // are 404s; never a 5xx.
    let a = json_put(
        "/access-preview",
        &json!({"analyzerArn": account, "configurations": {
            "arn:aws:rds:us-east-1:111122223333:snapshot:s": {"rdsDbSnapshot": {"attributes": {}}}}}),
    );
    let failed = a.json()["id"].as_str().unwrap().to_string();
    let got = request(
        s.addr,
        "GET",
        &format!("/access-preview/{failed}?analyzerArn={account}"),
        &[],
        b"",
    )
    .json();
    assert_eq!(got["accessPreview"]["status"], "FAILED");
    assert_eq!(
        got["accessPreview"]["statusReason"]["code"],
        "INVALID_CONFIGURATION"
    );
    let a = request(
        s.addr,
        "GET",
        &format!("/access-preview/nope?analyzerArn={account}"),
        &[],
        b"",
    );
    assert_eq!(a.status, 404);
    assert_eq!(a.json()["__type"], "ResourceNotFoundException");
    let a = json_put(
        "/access-preview",
        &json!({"analyzerArn": "arn:aws:access-analyzer:us-east-1:111122223333:analyzer/other", "configurations": {}}),
    );
    assert_eq!(a.status, 404, "{}", a.text());
    let a = json_put(
        "/analyzer",
        &json!({"analyzerName": "x", "type": "ACCOUNT_UNUSED_ACCESS"}),
    );
    assert_eq!(a.status, 400);
}
