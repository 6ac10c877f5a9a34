//! The exposer on arbitrary request bytes, through its public API over loopback TCP: the
//! client sends the bytes and half-closes; the server must answer with well-formed HTTP/1.x
//! responses of known statuses, or close, within the read deadline, and never panic.
//! (No `forbid(unsafe_code)`: `fuzz_target!` expands to a `#[no_mangle]` entry point.)
#![no_main]

use libfuzzer_sys::fuzz_target;
use ron_metrics::{BaseLabels, ExposerConfig, HealthState, Metrics, DEFAULT_ADDR};
use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::runtime::Runtime;

const STATUSES: [&str; 8] = ["200", "400", "404", "405", "413", "431", "503", "505"];

/// One server for the whole run, on its own runtime's worker thread.
fn server() -> &'static (Runtime, SocketAddr) {
    static SERVER: OnceLock<(Runtime, SocketAddr)> = OnceLock::new();
    SERVER.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("runtime");
        let config = ExposerConfig {
            read_timeout: Duration::from_millis(200),
            ..ExposerConfig::default()
        };
        let metrics = Metrics::with_config(BaseLabels::new("fuzz", "fuzz-1", "0"), config);
        let health = Arc::new(HealthState::new());
        let (_task, addr) = runtime
            .block_on(metrics.serve(DEFAULT_ADDR, health))
            .expect("serve");
        (runtime, addr)
    })
}

fuzz_target!(|data: &[u8]| {
    let (runtime, addr) = server();
    let wire = runtime.block_on(async {
        let mut s = TcpStream::connect(*addr).await.expect("connect");
        let _ = s.write_all(data).await;
        let _ = s.shutdown().await;
        let mut out = Vec::new();
        let read = tokio::time::timeout(Duration::from_secs(10), s.read_to_end(&mut out));
        let _ = read.await.expect("the server neither answered nor closed");
        out
    });
    // Every response head is a known HTTP/1.x status line (hyper answers 1.0 in 1.0).
    let text = String::from_utf8_lossy(&wire);
    for (i, _) in text.match_indices("HTTP/1.") {
        if i == 0 || text[..i].ends_with('\n') {
            let status = text.get(i + 9..i + 12).unwrap_or("");
            assert!(STATUSES.contains(&status), "unexpected status in {text:?}");
        }
    }
    assert!(
        wire.is_empty() || wire.starts_with(b"HTTP/1.1 ") || wire.starts_with(b"HTTP/1.0 "),
        "{text:?}"
    );
});
