//! The hardened HTTP exposer: `GET /metrics`, `GET /healthz`, `GET /readyz`.
//!
//! [`Metrics::serve`] binds a TCP listener (use [`DEFAULT_ADDR`], loopback, unless you mean
//! otherwise) and serves HTTP/1.1 with these rules:
//!
//! | request | response |
//! |---|---|
//! | `GET /metrics` | 200, Prometheus text format 0.0.4, base labels on every series |
//! | `HEAD` on any of the three | the `GET` response's status and headers (its `Content-Length`), no body |
//! | `GET /healthz` | 200 `ok` while the process runs |
//! | `GET /readyz`, ready | 200 `{"degraded":false,"missing":[],"retry_after":0,"since":"<RFC3339>"}` |
//! | `GET /readyz`, not ready | 503, `Retry-After: N`, `{"degraded":true,"missing":[..],"retry_after":N,"since":..}` |
//! | other method on those paths | 405 with `Allow: GET, HEAD` |
//! | request with a body | 413, connection closed |
//! | any other path | 404 |
//! | connection beyond [`ExposerConfig::max_connections`] | the longest-idle keep-alive is closed to make room; else a [`ExposerConfig::health_reserve`] slot (only `/healthz` and `/readyz`, one request; other routes 503), taken from the oldest unanswered reserve connection when all are held; else 503 `Retry-After: 1`, closed |
//!
//! So a client holding every connection cannot make liveness fail: idle keep-alives give way
//! to new connections, and the reserve answers health probes while the slots are busy.
//!
//! Concurrent `/metrics` requests are coalesced: renders run one at a time and a waiting
//! request reuses a render that started after it arrived (never an older one).
//!
//! Every response carries `Cache-Control: no-store` and `X-Content-Type-Options: nosniff`
//! (except the 400/431 that hyper itself writes for unparsable or oversized heads). Slow
//! clients are dropped by the read, write and idle deadlines (see [`ExposerConfig`]).
//! Every refusal is counted in `rejected_total{reason}` (see
//! [`RejectReason`]).

mod admit;
#[cfg(test)]
mod head_fuzz;
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
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
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
    /// Connections served at once on every route. When all are taken, the longest-idle
    /// keep-alive is closed to make room for a new one. Default 256.
    pub max_connections: usize,
    /// Extra connections admitted when `max_connections` are taken and none is idle: they
    /// get answers on `/healthz` and `/readyz` only (one request, then closed; other routes
    /// 503), so probes keep working under a connection flood. Beyond them a connection is
    /// answered 503 and closed. Default 16; 0 disables the reserve.
    pub health_reserve: usize,
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
            health_reserve: 16,
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
        let admission =
            admit::Admission::new(self.config.max_connections, self.config.health_reserve);
        let shared = Arc::new(routes::Shared::new(self, health));
        let task = tokio::spawn(accept_loop(listener, shared, admission));
        Ok((task, local))
    }
}

/// Accepts until aborted; connection tasks live in a `JoinSet`, so aborting this task
/// aborts them too (no task outlives the server).
async fn accept_loop(
    listener: TcpListener,
    shared: Arc<routes::Shared>,
    admission: admit::Admission,
) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) => {
                    let _ = stream.set_nodelay(true);
                    admit_connection(stream, &shared, &admission, &mut connections);
                }
                // Out of file descriptors or a connection reset before accept: back off
                // briefly instead of spinning.
                Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

/// Serves, queues behind an eviction, or refuses one accepted connection (see [`admit`]).
fn admit_connection(
    stream: TcpStream,
    shared: &Arc<routes::Shared>,
    admission: &admit::Admission,
    connections: &mut JoinSet<()>,
) {
    match admission.admit() {
        admit::Decision::Admitted(ticket) => {
            connections.spawn(serve_connection(stream, Arc::clone(shared), ticket));
        }
        admit::Decision::Evicting(pool) => {
            let (shared, admission) = (Arc::clone(shared), admission.clone());
            connections.spawn(async move {
                let wait = shared.metrics.config.read_timeout;
                match admission.after_eviction(pool, wait).await {
                    Some(ticket) => serve_connection(stream, shared, ticket).await,
                    None => refuse_over_capacity(stream, shared.metrics.golden),
                }
            });
        }
        admit::Decision::Refused => refuse_over_capacity(stream, shared.metrics.golden),
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
    // Closing with an unread request in the buffer sends a reset, which can make the client
    // lose the 503: discard what has already arrived first (a request head's worth at most).
    let mut sink = [0u8; 4096];
    for _ in 0..4 {
        if !matches!(stream.try_read(&mut sink), Ok(n) if n > 0) {
            break;
        }
    }
    drop(stream);
}

/// Serves one connection under its ticket's rules until it closes, times out or is evicted
/// (a full one while idle, a reserve one while unanswered).
async fn serve_connection<S>(stream: S, shared: Arc<routes::Shared>, ticket: admit::Ticket)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let config = &shared.metrics.config;
    let golden = shared.metrics.golden;
    let health_only = ticket.pool == admit::PoolKind::HealthOnly;
    let activity = Arc::clone(&ticket.slot.activity);
    let io = io::TimedIo::new(
        stream,
        io::Deadlines {
            read: config.read_timeout,
            write: config.write_timeout,
            idle: config.idle_timeout,
        },
        golden.rejected(RejectReason::ReadTimeout).clone(),
        golden.rejected(RejectReason::WriteTimeout).clone(),
    )
    .with_activity(Arc::clone(&activity));
    let service_shared = Arc::clone(&shared);
    let service = hyper::service::service_fn(move |req| {
        let shared = Arc::clone(&service_shared);
        async move { Ok::<_, std::convert::Infallible>(routes::handle(req, &shared, health_only).await) }
    });
    let conn = http1::Builder::new()
        .keep_alive(!health_only)
        // A client that shuts down its write side after the request (`nc -N`, scripts)
        // still gets its answer; deadlines bound the rest.
        .half_close(true)
        .max_buf_size(config.max_header_bytes.max(8 * 1024))
        .serve_connection(TokioIo::new(io), service);
    tokio::pin!(conn);
    let result = tokio::select! {
        result = conn.as_mut() => result,
        () = activity.evicted(), if !health_only => {
            // Finishes a response in flight, then closes; an idle one closes now.
            conn.as_mut().graceful_shutdown();
            conn.await
        }
        () = activity.evicted(), if health_only => {
            // Not answered yet and a newer connection needs the reserve slot: close.
            golden.rejected(RejectReason::ConnectionLimit).inc();
            Ok(())
        }
    };
    drop(ticket);
    if let Err(e) = result {
        if e.is_parse() || e.is_parse_too_large() {
            golden.rejected(RejectReason::BadRequest).inc();
        }
    }
}
