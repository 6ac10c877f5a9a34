//! The exposer's HTTP rules, each checked over a real socket.

mod common;

use common::{eventually, parse, parse_head, raw, read_until_closed, request, start, STEP};
use ron_metrics::{golden, ExposerConfig, HealthState, RejectReason, GATE_CONFIG_LOADED};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

fn ready_health() -> Arc<HealthState> {
    let h = Arc::new(HealthState::new());
    h.set_gate(GATE_CONFIG_LOADED, true).unwrap();
    h.set_service("test", true);
    h
}

fn rejected(reason: RejectReason) -> u64 {
    golden().rejected(reason).get()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healthz_is_ok_with_hygiene_headers() {
    let (_m, task, addr) = start(ExposerConfig::default(), Arc::new(HealthState::new())).await;
    assert!(addr.ip().is_loopback());
    let r = request(addr, "GET", "/healthz").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body, "ok\n");
    r.assert_hygiene();
    task.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readyz_is_503_with_retry_after_until_every_gate_holds() {
    let health = Arc::new(HealthState::new());
    let config = ExposerConfig {
        retry_after_secs: 7,
        ..ExposerConfig::default()
    };
    let (_m, task, addr) = start(config, Arc::clone(&health)).await;

    let r = request(addr, "GET", "/readyz").await;
    assert_eq!(r.status, 503);
    assert_eq!(r.header("retry-after"), Some("7"));
    assert_eq!(r.header("content-type"), Some("application/json"));
    r.assert_hygiene();
    let v: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(v["degraded"], true);
    assert_eq!(
        v["missing"],
        serde_json::json!(["config_loaded", "services_ok"])
    );
    assert_eq!(v["retry_after"], 7);

    health.set_gate(GATE_CONFIG_LOADED, true).unwrap();
    let r = request(addr, "GET", "/readyz").await;
    assert_eq!(r.status, 503, "no service has reported yet");
    let v: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(v["missing"], serde_json::json!(["services_ok"]));

    health.set_service("bus", true);
    let r = request(addr, "GET", "/readyz").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("retry-after"), None);
    r.assert_hygiene();
    let prefix = r#"{"degraded":false,"missing":[],"retry_after":0,"since":""#;
    assert!(r.body.starts_with(prefix), "{}", r.body);
    task.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_is_text_format_with_base_labels() {
    let (_m, task, addr) = start(ExposerConfig::default(), ready_health()).await;
    let r = request(addr, "GET", "/metrics").await;
    assert_eq!(r.status, 200);
    assert!(
        r.header("content-type")
            .unwrap()
            .starts_with("text/plain; version=0.0.4"),
        "{r:?}"
    );
    r.assert_hygiene();
    assert!(r.body.contains("# TYPE bus_published_total counter"));
    assert!(r.body.contains(
        "bus_published_total{service=\"svc-test\",instance=\"test-1\",build_version=\"v9.9.9\",amnesia="
    ));
    // A query string does not change the route.
    assert_eq!(request(addr, "GET", "/metrics?x=1").await.status, 200);
    task.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn other_methods_get_405_with_allow() {
    let (_m, task, addr) = start(ExposerConfig::default(), ready_health()).await;
    let before = rejected(RejectReason::MethodNotAllowed);
    for method in ["POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE"] {
        for path in ["/metrics", "/healthz", "/readyz"] {
            let req = format!("{method} {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
            let mut s = TcpStream::connect(addr).await.unwrap();
            s.write_all(req.as_bytes()).await.unwrap();
            let mut buf = Vec::new();
            tokio::time::timeout(STEP, s.read_to_end(&mut buf))
                .await
                .unwrap()
                .unwrap();
            let text = String::from_utf8_lossy(&buf);
            assert!(text.starts_with("HTTP/1.1 405"), "{method} {path}: {text}");
            let head = text.to_ascii_lowercase();
            assert!(
                head.contains("\r\nallow: get, head\r\n"),
                "{method} {path}: {text}"
            );
            assert!(head.contains("\r\ncache-control: no-store\r\n"), "{text}");
            assert!(
                head.contains("\r\nx-content-type-options: nosniff\r\n"),
                "{text}"
            );
        }
    }
    assert!(rejected(RejectReason::MethodNotAllowed) >= before + 18);
    task.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_bodies_are_rejected_and_the_connection_closed() {
    let (_m, task, addr) = start(ExposerConfig::default(), ready_health()).await;
    let before = rejected(RejectReason::Body);
    // Content-Length body; the extra request after it must not be served (connection
    // closes), and the server answers without waiting for the body.
    let r = raw(
        addr,
        b"GET /metrics HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello",
    )
    .await;
    assert_eq!(r.status, 413);
    assert_eq!(r.header("connection"), Some("close"));
    r.assert_hygiene();
    // Chunked body.
    let r = raw(
        addr,
        b"GET /healthz HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
    )
    .await;
    assert_eq!(r.status, 413);
    // POST with a body: the method rule answers first, and the connection still closes.
    let r = raw(
        addr,
        b"POST /readyz HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\n{}",
    )
    .await;
    assert_eq!(r.status, 405);
    assert_eq!(r.header("connection"), Some("close"));
    // An explicit empty body is fine.
    let r = raw(
        addr,
        b"GET /healthz HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert_eq!(r.status, 200);
    assert!(rejected(RejectReason::Body) >= before + 2);
    task.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_paths_are_404() {
    let (_m, task, addr) = start(ExposerConfig::default(), ready_health()).await;
    let before = rejected(RejectReason::NotFound);
    for path in ["/", "/metrics/", "/healthz/x", "/READYZ", "/favicon.ico"] {
        let r = request(addr, "GET", path).await;
        assert_eq!(r.status, 404, "{path}");
        r.assert_hygiene();
    }
    // Unknown path wins over the method rule.
    assert_eq!(request(addr, "POST", "/nope").await.status, 404);
    assert!(rejected(RejectReason::NotFound) >= before + 6);
    task.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keep_alive_serves_several_requests_on_one_connection() {
    let (_m, task, addr) = start(ExposerConfig::default(), ready_health()).await;
    let mut s = TcpStream::connect(addr).await.unwrap();
    // Pipelined: three requests in one write, the last closes.
    s.write_all(
        b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n\
          GET /readyz HTTP/1.1\r\nHost: t\r\n\r\n\
          GET /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
    )
    .await
    .unwrap();
    let mut buf = Vec::new();
    tokio::time::timeout(STEP, s.read_to_end(&mut buf))
        .await
        .unwrap()
        .unwrap();
    let (a, rest) = parse(&buf).unwrap();
    let (b, rest) = parse(rest).unwrap();
    let (c, rest) = parse(rest).unwrap();
    assert_eq!((a.status, b.status, c.status), (200, 200, 200));
    assert!(rest.is_empty());
    task.abort();
}

/// A slow-loris client: sends a request head one line every 100 ms, never finishing
/// within the read timeout. The server must drop it rather than wait.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dribbling_headers_are_dropped_at_the_read_timeout() {
    let config = ExposerConfig {
        read_timeout: Duration::from_millis(300),
        ..ExposerConfig::default()
    };
    let (_m, task, addr) = start(config, ready_health()).await;
    let before = rejected(RejectReason::ReadTimeout);
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(b"GET /metrics HTTP/1.1\r\n").await.unwrap();
    let mut sent_all = true;
    for i in 0..60 {
        // 60 lines over ~6 s; the server gives up after 0.3 s.
        tokio::time::sleep(Duration::from_millis(100)).await;
        if s.write_all(format!("X-Slow-{i}: 1\r\n").as_bytes())
            .await
            .is_err()
        {
            sent_all = false;
            break;
        }
        if i == 10 {
            // By now (~1 s) the server has closed; a read sees EOF or a reset.
            let mut buf = [0u8; 64];
            let n = tokio::time::timeout(STEP, s.read(&mut buf)).await.unwrap();
            assert!(
                matches!(n, Ok(0) | Err(_)),
                "server answered a slow loris: {n:?}"
            );
            sent_all = false;
            break;
        }
    }
    assert!(!sent_all);
    assert!(eventually(|| rejected(RejectReason::ReadTimeout) > before).await);
    // The server still serves others.
    assert_eq!(request(addr, "GET", "/healthz").await.status, 200);
    task.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_connections_are_dropped_at_the_read_timeout() {
    let config = ExposerConfig {
        read_timeout: Duration::from_millis(200),
        ..ExposerConfig::default()
    };
    let (_m, task, addr) = start(config, ready_health()).await;
    let mut s = TcpStream::connect(addr).await.unwrap();
    let mut buf = [0u8; 16];
    let n = tokio::time::timeout(STEP, s.read(&mut buf)).await.unwrap();
    assert!(matches!(n, Ok(0) | Err(_)), "{n:?}");
    task.abort();
}

/// 500 connections against a cap of 32 (no health reserve): the first 32 are held open
/// without a request (so none is idle and evictable), the other 468 ask for `/metrics` and
/// get an immediate 503 and are closed; once the held ones go, new clients are served again.
/// (`tests/liveness.rs` covers the reserve.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_cap_refuses_the_excess_of_500_connections() {
    const CAP: usize = 32;
    const TOTAL: usize = 500;
    let config = ExposerConfig {
        max_connections: CAP,
        health_reserve: 0,
        read_timeout: Duration::from_secs(30), // held connections must stay held
        ..ExposerConfig::default()
    };
    let (_m, task, addr) = start(config, ready_health()).await;
    let before = rejected(RejectReason::ConnectionLimit);

    let mut held = Vec::new();
    for _ in 0..CAP {
        held.push(TcpStream::connect(addr).await.unwrap());
    }
    // The listen backlog is FIFO, so the server accepts (and holds) these first.
    let mut refused = 0;
    let mut excess = Vec::new();
    for _ in CAP..TOTAL {
        let mut s = TcpStream::connect(addr).await.unwrap();
        // A refused connection may already be closed: the write may fail, the read not.
        let _ = s
            .write_all(b"GET /metrics HTTP/1.1\r\nHost: t\r\n\r\n")
            .await;
        excess.push(s);
    }
    for mut s in excess {
        let buf = read_until_closed(&mut s).await;
        let text = String::from_utf8_lossy(&buf);
        assert!(text.starts_with("HTTP/1.1 503"), "{text}");
        assert!(
            text.to_ascii_lowercase().contains("\r\nretry-after: 1\r\n"),
            "{text}"
        );
        refused += 1;
    }
    assert_eq!(refused, TOTAL - CAP);
    assert_eq!(
        rejected(RejectReason::ConnectionLimit) - before,
        (TOTAL - CAP) as u64
    );
    // The held connections are real, working connections.
    for s in held.iter_mut().take(3) {
        s.write_all(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
            .await
            .unwrap();
        let mut buf = vec![0u8; 512];
        let n = tokio::time::timeout(STEP, s.read(&mut buf))
            .await
            .unwrap()
            .unwrap();
        assert!(buf[..n].starts_with(b"HTTP/1.1 200"));
    }
    drop(held);
    // Permits come back once the server notices the closes.
    let mut served = false;
    for _ in 0..100 {
        let mut s = TcpStream::connect(addr).await.unwrap();
        s.write_all(b"GET /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
            .await
            .unwrap();
        let mut buf = Vec::new();
        let _ = tokio::time::timeout(STEP, s.read_to_end(&mut buf)).await;
        if buf.starts_with(b"HTTP/1.1 200") {
            served = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(served);
    task.abort();
}

/// A client that pipelines many scrapes but never reads: the server's writes block and the
/// write timeout drops the connection.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_never_reads_hits_the_write_timeout() {
    let config = ExposerConfig {
        write_timeout: Duration::from_millis(200),
        read_timeout: Duration::from_secs(30),
        ..ExposerConfig::default()
    };
    let (_m, task, addr) = start(config, ready_health()).await;
    let before = rejected(RejectReason::WriteTimeout);
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let s = socket.connect(addr).await.unwrap();
    let (_rd, mut wr) = s.into_split();
    let writer = tokio::spawn(async move {
        let req = b"GET /metrics HTTP/1.1\r\nHost: t\r\n\r\n";
        // Up to ~8 MB of responses requested; far beyond any socket buffer.
        for _ in 0..2_000 {
            if wr.write_all(req).await.is_err() {
                break;
            }
        }
        wr
    });
    assert!(
        eventually(|| rejected(RejectReason::WriteTimeout) > before).await,
        "the server kept a non-reading client"
    );
    writer.abort();
    task.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aborting_the_server_closes_its_connections() {
    let (_m, task, addr) = start(ExposerConfig::default(), ready_health()).await;
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
        .await
        .unwrap();
    let mut buf = vec![0u8; 512];
    let n = s.read(&mut buf).await.unwrap();
    assert!(buf[..n].starts_with(b"HTTP/1.1 200"));
    task.abort();
    // The keep-alive connection task was aborted with the server: EOF, not a hang.
    let n = tokio::time::timeout(STEP, s.read(&mut buf)).await.unwrap();
    assert!(matches!(n, Ok(0) | Err(_)), "{n:?}");
}

/// Concurrent scrapes are coalesced, but never served a page older than the request:
/// every response shows a counter value at least as high as it was when the request left.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn coalesced_scrapes_are_never_stale() {
    let (_m, task, addr) = start(ExposerConfig::default(), ready_health()).await;
    // bus_cap_selected is touched by no other test in this binary.
    let gauge = ron_metrics::bus().cap_selected.clone();
    let mut clients = Vec::new();
    for _ in 0..8 {
        let gauge = gauge.clone();
        clients.push(tokio::spawn(async move {
            for _ in 0..10 {
                gauge.inc();
                let seen_before = gauge.get();
                let r = request(addr, "GET", "/metrics").await;
                assert_eq!(r.status, 200);
                let line = r
                    .body
                    .lines()
                    .find(|l| l.starts_with("bus_cap_selected{"))
                    .expect("bus_cap_selected series");
                let value: i64 = line.rsplit(' ').next().unwrap().parse().unwrap();
                assert!(value >= seen_before, "stale page: {value} < {seen_before}");
            }
        }));
    }
    for c in clients {
        c.await.unwrap();
    }
    task.abort();
}

/// Sends `HEAD path`, reads until the server closes, and checks no body byte came.
async fn head_of(addr: std::net::SocketAddr, path: &str) -> common::Reply {
    let req = format!("HEAD {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(req.as_bytes()).await.unwrap();
    let text = String::from_utf8(read_until_closed(&mut s).await).unwrap();
    let reply = parse_head(&text).expect("a complete head");
    let head_len = text.find("\r\n\r\n").unwrap() + 4;
    assert_eq!(
        head_len,
        text.len(),
        "HEAD {path} sent body bytes: {text:?}"
    );
    reply
}

/// `HEAD` on a `GET` route: the `GET` status and headers, `Content-Length` of the body `GET`
/// sends, and no body bytes on the wire.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn head_answers_like_get_without_a_body() {
    let (_m, task, addr) = start(ExposerConfig::default(), ready_health()).await;
    for path in ["/healthz", "/readyz"] {
        let get = request(addr, "GET", path).await;
        let head = head_of(addr, path).await;
        assert_eq!(head.status, get.status, "{path}");
        assert_eq!(
            head.header("content-length"),
            Some(get.body.len().to_string().as_str()),
            "{path}: {head:?}"
        );
        assert_eq!(head.header("content-type"), get.header("content-type"));
        head.assert_hygiene();
    }
    // /metrics: the page changes between two renders (latency histograms), so check the
    // length is the page's, not zero, and the format header is there.
    let head = head_of(addr, "/metrics").await;
    assert_eq!(head.status, 200);
    let len: usize = head.header("content-length").unwrap().parse().unwrap();
    let get_len = request(addr, "GET", "/metrics").await.body.len();
    assert!(
        len > 1000 && len.abs_diff(get_len) < get_len / 10,
        "{len} vs {get_len}"
    );
    assert!(head
        .header("content-type")
        .unwrap()
        .starts_with("text/plain; version=0.0.4"));
    // The other rules still apply to HEAD.
    assert_eq!(head_of(addr, "/nope").await.status, 404);
    task.abort();
}
