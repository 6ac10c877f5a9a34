//! Property tests of the request-head handling: arbitrary bytes and generated requests run
//! through the real connection code (hyper's parser, the deadlines, the router) over an
//! in-memory pipe. `cargo test` runs a bounded number of cases; `fuzz/` has the cargo-fuzz
//! target for longer runs.

use super::{admit, routes, serve_connection, ExposerConfig, Metrics};
use crate::encode::BaseLabels;
use crate::health::{HealthState, GATE_CONFIG_LOADED};
use proptest::prelude::*;
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Every status the exposer (or hyper on its behalf) may answer with.
const STATUSES: [u16; 8] = [200, 400, 404, 405, 413, 431, 503, 505];

fn shared() -> Arc<routes::Shared> {
    static METRICS: OnceLock<Arc<Metrics>> = OnceLock::new();
    let metrics = METRICS.get_or_init(|| {
        let config = ExposerConfig {
            // Bounds a case that leaves a head unfinished (the client closes anyway).
            read_timeout: Duration::from_millis(500),
            ..ExposerConfig::default()
        };
        Metrics::with_config(BaseLabels::new("fuzz", "fuzz-1", "0"), config)
    });
    let health = Arc::new(HealthState::new());
    health.set_gate(GATE_CONFIG_LOADED, true).unwrap();
    health.set_service("fuzz", true);
    Arc::new(routes::Shared::new(Arc::clone(metrics), health))
}

/// Sends `input`, half-closes, and returns everything the server wrote before closing.
pub(super) fn exchange(input: &[u8]) -> Vec<u8> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let (mut client, server) = tokio::io::duplex(1 << 20);
        let ticket = match admit::Admission::new(1, 0).admit() {
            admit::Decision::Admitted(t) => t,
            other => panic!("{other:?}"),
        };
        let conn = tokio::spawn(serve_connection(server, shared(), ticket));
        let _ = client.write_all(input).await;
        let _ = client.shutdown().await;
        let mut out = Vec::new();
        let read = tokio::time::timeout(Duration::from_secs(10), client.read_to_end(&mut out));
        read.await
            .expect("the server neither answered nor closed")
            .ok();
        tokio::time::timeout(Duration::from_secs(10), conn)
            .await
            .expect("the connection task did not end")
            .expect("the connection task panicked");
        out
    })
}

/// Splits a wire answer into (status, lower-cased head, body) per response. (A HEAD
/// reply's Content-Length is not followed by a body; the cases send one request each.)
fn responses(mut wire: &[u8]) -> Vec<(u16, String, Vec<u8>)> {
    let mut out = Vec::new();
    while !wire.is_empty() {
        let text = String::from_utf8_lossy(wire);
        let head_end = text.find("\r\n\r\n").expect("a complete response head") + 4;
        let head = text[..head_end].to_ascii_lowercase();
        // hyper answers an HTTP/1.0 request (a corrupted version byte can make one) in 1.0.
        assert!(
            head.starts_with("http/1.1 ") || head.starts_with("http/1.0 "),
            "{head}"
        );
        let status: u16 = head[9..12].parse().expect("a 3-digit status");
        let len: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length: "))
            .map_or(0, |v| v.trim().parse().expect("a numeric Content-Length"));
        let body_end = (head_end + len).min(wire.len());
        out.push((status, head, wire[head_end..body_end].to_vec()));
        wire = &wire[body_end..];
    }
    out
}

/// A generated request and the status the exposer's rules give it.
#[derive(Debug, Clone)]
struct Case {
    method: &'static str,
    path: String,
    headers: Vec<(String, String)>,
    body: Option<Vec<u8>>,
}

impl Case {
    fn wire(&self) -> Vec<u8> {
        let mut w = format!("{} {} HTTP/1.1\r\nHost: t\r\n", self.method, self.path);
        for (n, v) in &self.headers {
            w.push_str(&format!("{n}: {v}\r\n"));
        }
        if let Some(body) = &self.body {
            w.push_str(&format!("Content-Length: {}\r\n", body.len()));
        }
        w.push_str("Connection: close\r\n\r\n");
        let mut w = w.into_bytes();
        w.extend(self.body.iter().flatten());
        w
    }

    fn expected_status(&self) -> u16 {
        let route = self.path.split('?').next().unwrap_or("");
        if !["/metrics", "/healthz", "/readyz"].contains(&route) {
            404
        } else if !["GET", "HEAD"].contains(&self.method) {
            405
        } else if self.body.as_ref().is_some_and(|b| !b.is_empty()) {
            413
        } else {
            200
        }
    }
}

fn arb_case() -> impl Strategy<Value = Case> {
    let method = prop::sample::select(vec![
        "GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH",
    ]);
    let path = prop_oneof![
        prop::sample::select(vec!["/metrics", "/healthz", "/readyz"]).prop_map(String::from),
        "/[a-z]{0,8}",
        "/(metrics|healthz|readyz)\\?[a-z=&]{0,12}",
    ];
    let headers = prop::collection::vec(("X-[a-z]{1,10}", "[!-~][ -~]{0,20}[!-~]"), 0..6);
    let body = prop::option::of(prop::collection::vec(any::<u8>(), 0..64));
    (method, path, headers, body).prop_map(|(method, path, headers, body)| Case {
        method,
        path,
        headers,
        body,
    })
}

proptest! {
    /// Arbitrary bytes: no panic, no hang; the server either closes silently or answers
    /// with well-formed HTTP/1.x responses of known statuses.
    #[test]
    fn arbitrary_bytes_get_a_known_answer_or_a_close(
        input in prop::collection::vec(any::<u8>(), 0..512)
    ) {
        for (status, head, _) in responses(&exchange(&input)) {
            prop_assert!(STATUSES.contains(&status), "{head}");
        }
    }

    /// Request-shaped bytes with one corrupted byte: the same property, but deep enough in
    /// the head to reach header parsing and routing.
    #[test]
    fn corrupted_requests_get_a_known_answer_or_a_close(
        case in arb_case(), at in any::<prop::sample::Index>(), byte in any::<u8>()
    ) {
        let mut wire = case.wire();
        let i = at.index(wire.len());
        wire[i] = byte;
        for (status, head, _) in responses(&exchange(&wire)) {
            prop_assert!(STATUSES.contains(&status), "{head}");
        }
    }

    /// Well-formed requests: exactly one response with the status the rules give, the
    /// hygiene headers, and for HEAD no body but the GET body's length.
    #[test]
    fn generated_requests_get_the_status_the_rules_give(case in arb_case()) {
        let wire = exchange(&case.wire());
        let answers = responses(&wire);
        prop_assert_eq!(answers.len(), 1, "{:?}", String::from_utf8_lossy(&wire));
        let (status, head, body) = &answers[0];
        prop_assert_eq!(*status, case.expected_status(), "{:?}\n{}", case, head);
        prop_assert!(head.contains("\r\ncache-control: no-store\r\n"), "{head}");
        prop_assert!(head.contains("\r\nx-content-type-options: nosniff\r\n"), "{head}");
        if case.method == "HEAD" {
            prop_assert!(body.is_empty());
            let head_end = wire.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
            prop_assert_eq!(head_end, wire.len(), "HEAD answered with body bytes");
        }
        if *status == 405 {
            prop_assert!(head.contains("\r\nallow: get, head\r\n"), "{head}");
        }
    }
}
