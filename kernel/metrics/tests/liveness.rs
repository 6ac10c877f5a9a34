//! Liveness under a connection flood, over real sockets: a client holding every connection
//! slot must not make `/healthz` and `/readyz` fail for everyone else.

mod common;

use common::{read_until_closed, request, start, STEP};
use ron_metrics::{ExposerConfig, HealthState, GATE_CONFIG_LOADED};
use std::net::SocketAddr;
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

/// Opens a keep-alive connection, completes one request on it and leaves it open (idle).
async fn idle_keep_alive(addr: SocketAddr) -> TcpStream {
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: hog\r\n\r\n")
        .await
        .unwrap();
    let mut buf = [0u8; 512];
    let n = tokio::time::timeout(STEP, s.read(&mut buf))
        .await
        .unwrap()
        .unwrap();
    assert!(
        buf[..n].starts_with(b"HTTP/1.1 200"),
        "the hog was not served"
    );
    s
}

/// Whether the server has closed `s` (EOF or reset); call after giving it time to.
fn closed(s: &TcpStream) -> bool {
    let mut buf = [0u8; 64];
    match s.try_read(&mut buf) {
        Ok(0) => true,
        Ok(_) => false,
        Err(e) => e.kind() != std::io::ErrorKind::WouldBlock,
    }
}

/// The defect: one client holding the default 256 keep-alive connections made every probe
/// 503. Now the longest-idle keep-alives give way, so probes and scrapes are served.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_holding_every_keep_alive_does_not_starve_probes() {
    let config = ExposerConfig {
        health_reserve: 0, // eviction alone must do it
        ..ExposerConfig::default()
    };
    let cap = config.max_connections;
    let (_m, task, addr) = start(config, ready_health()).await;
    let mut hog = Vec::new();
    for _ in 0..cap {
        hog.push(idle_keep_alive(addr).await);
    }
    for path in ["/healthz", "/readyz", "/metrics", "/healthz"] {
        let r = request(addr, "GET", path).await;
        assert_eq!(
            r.status, 200,
            "{path} while {cap} keep-alives are held: {r:?}"
        );
    }
    // Newcomers that stay (idle keep-alives themselves) push out more of the hog.
    let mut newcomers = Vec::new();
    for _ in 0..3 {
        newcomers.push(idle_keep_alive(addr).await);
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    // The hog lost the slots, oldest idle first; the newcomers, idle more recently, kept
    // theirs. (A probe that closed may hand its slot to the next without an eviction.)
    let lost: Vec<usize> = (0..cap).filter(|&i| closed(&hog[i])).collect();
    assert!(!lost.is_empty() && lost.len() <= 7, "evicted: {lost:?}");
    assert_eq!(
        lost,
        (0..lost.len()).collect::<Vec<_>>(),
        "not oldest first"
    );
    assert!(newcomers.iter().all(|s| !closed(s)));
    task.abort();
}

/// When every slot is held by connections that are not idle (here: opened and silent), the
/// health reserve answers probes; `/metrics` on a reserve slot is 503. When the reserve is
/// held too, by connections that dribble a request head and never finish it, a probe takes
/// the slot of the oldest of them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_health_reserve_answers_probes_while_every_slot_is_busy() {
    const CAP: usize = 8;
    const RESERVE: usize = 3;
    let config = ExposerConfig {
        max_connections: CAP,
        health_reserve: RESERVE,
        read_timeout: Duration::from_secs(30), // the hog stays
        ..ExposerConfig::default()
    };
    let (_m, task, addr) = start(config, ready_health()).await;
    let mut hog = Vec::new();
    for _ in 0..CAP {
        hog.push(TcpStream::connect(addr).await.unwrap());
    }
    // Reserve connections serve one request and close, so probes can repeat.
    for path in ["/healthz", "/readyz", "/healthz"] {
        let r = request(addr, "GET", path).await;
        assert_eq!(r.status, 200, "{path}: {r:?}");
        r.assert_hygiene();
    }
    let r = request(addr, "GET", "/metrics").await;
    assert_eq!(r.status, 503, "{r:?}");
    assert_eq!(r.header("retry-after"), Some("1"));
    // A keep-alive request on a reserve slot is answered, then the connection closes.
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
        .await
        .unwrap();
    let text = String::from_utf8(read_until_closed(&mut s).await).unwrap();
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");
    assert!(text
        .to_ascii_lowercase()
        .contains("\r\nconnection: close\r\n"));
    // The reserve held too, by slow-loris heads.
    let mut loris = Vec::new();
    for _ in 0..RESERVE {
        let mut s = TcpStream::connect(addr).await.unwrap();
        s.write_all(b"GET /healthz HTTP/1.1\r\nX-Slow: ")
            .await
            .unwrap();
        loris.push(s);
    }
    for round in 0..RESERVE {
        let r = request(addr, "GET", "/healthz").await;
        assert_eq!(r.status, 200, "probe {round} with the reserve held: {r:?}");
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    // The oldest slow-loris gave way first. (A probe that closed may hand its slot to the
    // next without an eviction, so later ones may survive.)
    let lost: Vec<usize> = (0..RESERVE).filter(|&i| closed(&loris[i])).collect();
    assert!(!lost.is_empty(), "no held reserve slot was taken");
    assert_eq!(
        lost,
        (0..lost.len()).collect::<Vec<_>>(),
        "not oldest first"
    );
    // The hog's full slots are real: it is served when it finally speaks.
    hog[0]
        .write_all(b"GET /metrics HTTP/1.1\r\nHost: t\r\n\r\n")
        .await
        .unwrap();
    let mut buf = [0u8; 64];
    let n = tokio::time::timeout(STEP, hog[0].read(&mut buf))
        .await
        .unwrap()
        .unwrap();
    assert!(buf[..n].starts_with(b"HTTP/1.1 200"));
    task.abort();
}
