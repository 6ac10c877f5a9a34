//! The hardened HTTP exposer: `GET /metrics`, `GET /healthz`, `GET /readyz`.
//!
//! [`Metrics::serve`] binds a TCP listener (use [`DEFAULT_ADDR`], loopback, unless you mean
//! otherwise) and serves HTTP/1.1 with these rules:
//!
//! | request | response |
//! |---|---|
//! | `GET /metrics` | 200, Prometheus text format 0.0.4, base labels on every series |
//! | `GET /healthz` | 200 `ok` while the process runs |
//! | `GET /readyz`, ready | 200 `{"degraded":false,"missing":[],"retry_after":0,"since":"<RFC3339>"}` |
//! | `GET /readyz`, not ready | 503, `Retry-After: N`, `{"degraded":true,"missing":[..],"retry_after":N,"since":..}` |
//! | other method on those paths | 405 with `Allow: GET` |
//! | request with a body | 413, connection closed |
//! | any other path | 404 |
//! | connection beyond [`ExposerConfig::max_connections`] | 503 `Retry-After: 1`, closed |
//!
//! Concurrent `/metrics` requests are coalesced: renders run one at a time and a waiting
//! request reuses a render that started after it arrived (never an older one).
//!
//! Every response carries `Cache-Control: no-store` and `X-Content-Type-Options: nosniff`
//! (except the 400/431 that hyper itself writes for unparsable or oversized heads). Slow
//! clients are dropped by the read, write and idle deadlines (see [`ExposerConfig`]).
//! Every refusal is counted in `rejected_total{reason}` (see
//! [`RejectReason`]).

mod io;
mod routes;

use crate::encode::{encode_text, BaseLabels, EncodeError};
use crate::golden::{golden, GoldenMetrics, RejectReason};
use crate::health::HealthState;
use crate::{bus, registry, BusMetrics};
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::task::{JoinHandle, JoinSet};

/// Loopback with an OS-chosen port: the default bind address.
pub const DEFAULT_ADDR: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0);

/// Exposer limits. `Default` gives the documented defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExposerConfig {
    /// A request head must arrive within this time of its first byte (of the accept for a
    /// new connection). Default 2 s.
    pub read_timeout: Duration,
    /// A response write may stay blocked this long. Default 2 s.
    pub write_timeout: Duration,
    /// A keep-alive connection may stay silent this long between requests. Default 15 s.
    pub idle_timeout: Duration,
    /// Connections served at once; more are answered 503 and closed. Default 256.
    pub max_connections: usize,
    /// `Retry-After` seconds of a not-ready `/readyz`. Default 5.
    pub retry_after_secs: u32,
    /// Largest request head accepted (hyper answers 431 beyond it; values below 8 KiB are
    /// raised to 8 KiB). Default 16 KiB.
    pub max_header_bytes: usize,
}

impl Default for ExposerConfig {
    fn default() -> Self {
        ExposerConfig {
            read_timeout: Duration::from_secs(2),
            write_timeout: Duration::from_secs(2),
            idle_timeout: Duration::from_secs(15),
            max_connections: 256,
            retry_after_secs: 5,
            max_header_bytes: 16 * 1024,
        }
    }
}

impl ExposerConfig {
    fn validate(&self) -> Result<(), ServeError> {
        let zero = |d: Duration| d.is_zero();
        if zero(self.read_timeout) || zero(self.write_timeout) || zero(self.idle_timeout) {
            return Err(ServeError::InvalidConfig(
                "read, write and idle timeouts must be greater than zero",
            ));
        }
        if self.max_connections == 0 {
            return Err(ServeError::InvalidConfig(
                "max_connections must be at least 1",
            ));
        }
        Ok(())
    }
}

/// The exposer could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// Binding the listener failed (address in use, no permission, ...).
    #[error("cannot bind the metrics exposer to {addr}: {source}; pick another address or port 0")]
    Bind {
        /// The requested address.
        addr: SocketAddr,
        /// The OS error.
        source: std::io::Error,
    },
    /// An [`ExposerConfig`] value is out of range.
    #[error("invalid exposer configuration: {0}")]
    InvalidConfig(&'static str),
}

/// The metrics facade: golden and bus families, base labels and the exposer.
///
/// Families live in the process registry and are registered once; any number of
/// `Metrics` values share them.
#[derive(Debug)]
pub struct Metrics {
    /// The golden families.
    pub golden: &'static GoldenMetrics,
    /// The bus families.
    pub bus: &'static BusMetrics,
    labels: BaseLabels,
    config: ExposerConfig,
    /// Size of the last exposition, to pre-size the next buffer.
    last_len: AtomicUsize,
}

impl Metrics {
    /// Metrics with these base labels and the default [`ExposerConfig`].
    pub fn new(labels: BaseLabels) -> Arc<Self> {
        Self::with_config(labels, ExposerConfig::default())
    }

    /// Metrics with these base labels and exposer limits.
    ///
    /// Pre-creates `service_restarts_total{service=<labels.service>}` at zero.
    pub fn with_config(labels: BaseLabels, config: ExposerConfig) -> Arc<Self> {
        let golden = golden();
        golden
            .service_restarts_total
            .with_label_values(&[labels.service.as_str()])
            .inc_by(0);
        Arc::new(Metrics {
            golden,
            bus: bus(),
            labels,
            config,
            last_len: AtomicUsize::new(4096),
        })
    }

    /// The base labels.
    pub fn labels(&self) -> &BaseLabels {
        &self.labels
    }

    /// The exposer limits.
    pub fn config(&self) -> &ExposerConfig {
        &self.config
    }

    /// Sets amnesia mode: `amnesia_mode` and the `amnesia` label of every series follow.
    pub fn set_amnesia(&self, on: bool) {
        self.golden.set_amnesia(on);
    }

    /// Whether amnesia mode is on.
    pub fn amnesia(&self) -> bool {
        self.golden.amnesia()
    }

    /// The text exposition of the process registry, timed into
    /// `exposition_latency_seconds{endpoint="/metrics"}`.
    pub fn render(&self) -> Result<String, EncodeError> {
        let started = Instant::now();
        let mut out = String::with_capacity(self.last_len.load(Ordering::Relaxed) + 1024);
        encode_text(registry(), &self.labels, self.amnesia(), &mut out)?;
        self.last_len.store(out.len(), Ordering::Relaxed);
        self.golden
            .exposition_latency_seconds
            .with_label_values(&[crate::golden::METRICS_ENDPOINT])
            .observe(started.elapsed().as_secs_f64());
        Ok(out)
    }

    /// Serves `/metrics`, `/healthz` and `/readyz` on `addr` until the returned task is
    /// aborted (which also ends every open connection). Port 0 picks a free port; the
    /// bound address is returned. Must be called inside a tokio runtime.
    pub async fn serve(
        self: Arc<Self>,
        addr: SocketAddr,
        health: Arc<HealthState>,
    ) -> Result<(JoinHandle<()>, SocketAddr), ServeError> {
        self.config.validate()?;
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| ServeError::Bind { addr, source })?;
        let local = listener
            .local_addr()
            .map_err(|source| ServeError::Bind { addr, source })?;
        let limit = Arc::new(Semaphore::new(self.config.max_connections));
        let shared = Arc::new(routes::Shared::new(self, health));
        let task = tokio::spawn(accept_loop(listener, shared, limit));
        Ok((task, local))
    }
}

/// Accepts until aborted; connection tasks live in a `JoinSet`, so aborting this task
/// aborts them too (no task outlives the server).
async fn accept_loop(listener: TcpListener, shared: Arc<routes::Shared>, limit: Arc<Semaphore>) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) => match Arc::clone(&limit).try_acquire_owned() {
                    Ok(permit) => {
                        connections.spawn(serve_connection(stream, Arc::clone(&shared), permit));
                    }
                    Err(_) => refuse_over_capacity(stream, shared.metrics.golden),
                },
                // Out of file descriptors or a connection reset before accept: back off
                // briefly instead of spinning.
                Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

/// Answers 503 without reading the request, and closes.
fn refuse_over_capacity(stream: TcpStream, golden: &GoldenMetrics) {
    golden.rejected(RejectReason::ConnectionLimit).inc();
    const RESPONSE: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\n\
        Retry-After: 1\r\n\
        Connection: close\r\n\
        Cache-Control: no-store\r\n\
        X-Content-Type-Options: nosniff\r\n\
        Content-Type: text/plain; charset=utf-8\r\n\
        Content-Length: 22\r\n\r\n\
        too many connections\r\n";
    // A new socket's send buffer is empty, so this non-blocking write completes; if it
    // does not, the client just sees the connection close.
    let _ = stream.try_write(RESPONSE);
    drop(stream);
}

async fn serve_connection(
    stream: TcpStream,
    shared: Arc<routes::Shared>,
    _permit: OwnedSemaphorePermit,
) {
    let _ = stream.set_nodelay(true);
    let config = &shared.metrics.config;
    let golden = shared.metrics.golden;
    let io = io::TimedIo::new(
        stream,
        io::Deadlines {
            read: config.read_timeout,
            write: config.write_timeout,
            idle: config.idle_timeout,
        },
        golden.rejected(RejectReason::ReadTimeout).clone(),
        golden.rejected(RejectReason::WriteTimeout).clone(),
    );
    let service_shared = Arc::clone(&shared);
    let service = hyper::service::service_fn(move |req| {
        let shared = Arc::clone(&service_shared);
        async move { Ok::<_, std::convert::Infallible>(routes::handle(req, &shared).await) }
    });
    let result = http1::Builder::new()
        .keep_alive(true)
        .max_buf_size(config.max_header_bytes.max(8 * 1024))
        .serve_connection(TokioIo::new(io), service)
        .await;
    if let Err(e) = result {
        if e.is_parse() || e.is_parse_too_large() {
            golden.rejected(RejectReason::BadRequest).inc();
        }
    }
}
