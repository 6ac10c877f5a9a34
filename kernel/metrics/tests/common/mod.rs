//! A raw HTTP/1.1 client over real sockets, so the tests see exactly what the wire carries.
#![allow(dead_code)] // each test binary uses a different subset

use ron_metrics::{BaseLabels, ExposerConfig, HealthState, Metrics, DEFAULT_ADDR};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::task::JoinHandle;

/// Upper bound for any single network step in these tests (never reached when passing).
pub const STEP: Duration = Duration::from_secs(10);

/// One parsed response.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The hygiene headers every response must carry.
    pub fn assert_hygiene(&self) {
        assert_eq!(self.header("cache-control"), Some("no-store"), "{self:?}");
        assert_eq!(
            self.header("x-content-type-options"),
            Some("nosniff"),
            "{self:?}"
        );
    }
}

/// Parses the status line and headers of a response (no body: e.g. the answer to `HEAD`).
pub fn parse_head(text: &str) -> Option<Reply> {
    let head_end = text.find("\r\n\r\n")?;
    let mut lines = text[..head_end].split("\r\n");
    let status = lines.next()?.split(' ').nth(1)?.parse().ok()?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
        .collect();
    Some(Reply {
        status,
        headers,
        body: String::new(),
    })
}

/// Parses one response from `raw` (head + `Content-Length` body); returns it and the rest.
pub fn parse(raw: &[u8]) -> Option<(Reply, &[u8])> {
    let text = std::str::from_utf8(raw).ok()?;
    let head_end = text.find("\r\n\r\n")?;
    let Reply {
        status, headers, ..
    } = parse_head(text)?;
    let len: usize = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let body_start = head_end + 4;
    let body = text.get(body_start..body_start + len)?.to_owned();
    Some((
        Reply {
            status,
            headers,
            body,
        },
        &raw[body_start + len..],
    ))
}

/// Sends `request` verbatim and reads until the server closes; parses the first response.
pub async fn raw(addr: SocketAddr, request: &[u8]) -> Reply {
    let mut s = TcpStream::connect(addr).await.expect("connect");
    s.write_all(request).await.expect("send");
    let mut buf = Vec::new();
    tokio::time::timeout(STEP, s.read_to_end(&mut buf))
        .await
        .expect("server answered in time")
        .expect("read");
    parse(&buf)
        .unwrap_or_else(|| panic!("unparsable response {:?}", String::from_utf8_lossy(&buf)))
        .0
}

/// `METHOD path` with `Connection: close`.
pub async fn request(addr: SocketAddr, method: &str, path: &str) -> Reply {
    let req = format!("{method} {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n");
    raw(addr, req.as_bytes()).await
}

/// A server with the given config on 127.0.0.1:0.
pub async fn start(
    config: ExposerConfig,
    health: Arc<HealthState>,
) -> (Arc<Metrics>, JoinHandle<()>, SocketAddr) {
    let metrics = Metrics::with_config(BaseLabels::new("svc-test", "test-1", "v9.9.9"), config);
    let (task, addr) = metrics
        .clone()
        .serve(DEFAULT_ADDR, health)
        .await
        .expect("serve");
    (metrics, task, addr)
}

/// Polls `cond` until it holds or `STEP` passes; returns whether it held.
pub async fn eventually(mut cond: impl FnMut() -> bool) -> bool {
    let deadline = tokio::time::Instant::now() + STEP;
    while tokio::time::Instant::now() < deadline {
        if cond() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    cond()
}

/// Reads until the server closes (EOF or a reset), within `STEP`; returns what arrived.
pub async fn read_until_closed(s: &mut TcpStream) -> Vec<u8> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let deadline = tokio::time::Instant::now() + STEP;
    loop {
        match tokio::time::timeout_at(deadline, s.read(&mut chunk)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return buf,
            Ok(Ok(n)) => buf.extend_from_slice(&chunk[..n]),
            Err(_) => panic!("the server kept the connection open past {STEP:?}"),
        }
    }
}
