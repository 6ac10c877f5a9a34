//! Request routing: the method, body and path rules of the exposer (see the parent module).

use super::Metrics;
use crate::encode::EncodeError;
use crate::encode::TEXT_CONTENT_TYPE;
use crate::golden::RejectReason;
use crate::health::{HealthState, ReadinessResponse};
use bytes::Bytes;
use http_body_util::Full;
use hyper::body::{Body, Incoming};
use hyper::header::{
    HeaderValue, ALLOW, CACHE_CONTROL, CONNECTION, CONTENT_LENGTH, CONTENT_TYPE, RETRY_AFTER,
    TRANSFER_ENCODING, X_CONTENT_TYPE_OPTIONS,
};
use hyper::{Method, Request, Response, StatusCode};
use prometheus::Histogram;
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::Mutex;

const TEXT_PLAIN: &str = "text/plain; charset=utf-8";
const JSON: &str = "application/json";

/// The three routes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Route {
    Metrics,
    Healthz,
    Readyz,
}

impl Route {
    fn from_path(path: &str) -> Option<Route> {
        match path {
            "/metrics" => Some(Route::Metrics),
            "/healthz" => Some(Route::Healthz),
            "/readyz" => Some(Route::Readyz),
            _ => None,
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// State shared by every connection of one server.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) metrics: Arc<Metrics>,
    health: Arc<HealthState>,
    /// `request_latency_seconds{route,method="GET"}` children, indexed by `Route`.
    latency: [Histogram; 3],
    /// The last exposition and when its render *started* (see [`Shared::exposition`]).
    last_render: Mutex<Option<(Instant, Bytes)>>,
}

impl Shared {
    pub(crate) fn new(metrics: Arc<Metrics>, health: Arc<HealthState>) -> Self {
        let vec = &metrics.golden.request_latency_seconds;
        let latency = crate::golden::EXPOSER_ROUTES
            .map(|route| vec.with_label_values(&[route, Method::GET.as_str()]));
        Shared {
            metrics,
            health,
            latency,
            last_render: Mutex::new(None),
        }
    }

    /// The exposition for a request that arrived at `arrived`, coalescing concurrent scrapes.
    ///
    /// Renders run one at a time. A request waiting for the lock reuses the result of a
    /// render that *started after it arrived*, so every response is at least as fresh as
    /// its request, yet a burst of N concurrent scrapes costs about two renders, not N.
    async fn exposition(&self, arrived: Instant) -> Result<Bytes, EncodeError> {
        let mut last = self.last_render.lock().await;
        if let Some((started, body)) = last.as_ref() {
            if *started >= arrived {
                return Ok(body.clone());
            }
        }
        let started = Instant::now();
        let body = Bytes::from(self.metrics.render()?);
        *last = Some((started, body.clone()));
        Ok(body)
    }
}

type Resp = Response<Full<Bytes>>;

fn response(status: StatusCode, content_type: &'static str, body: impl Into<Bytes>) -> Resp {
    let mut resp = Response::new(Full::new(body.into()));
    *resp.status_mut() = status;
    resp.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    resp
}

/// Whether the request announces a body (any non-zero length, or chunked).
fn has_body(req: &Request<Incoming>) -> bool {
    let length = req
        .headers()
        .get(CONTENT_LENGTH)
        .is_some_and(|v| v.as_bytes() != b"0");
    length || req.headers().contains_key(TRANSFER_ENCODING) || !req.body().is_end_stream()
}

/// Routes one request. Never fails: every outcome is a response. `HEAD` is answered like
/// `GET` (hyper sends the head, with the body's `Content-Length`, and drops the body). On a
/// `health_only` (reserve) connection, `/metrics` gets 503.
pub(crate) async fn handle(req: Request<Incoming>, shared: &Shared, health_only: bool) -> Resp {
    let started = Instant::now();
    let route = Route::from_path(req.uri().path());
    let body = has_body(&req);
    let readable = req.method() == Method::GET || req.method() == Method::HEAD;
    let golden = shared.metrics.golden;
    let reject = |reason: RejectReason, status: StatusCode, text: &'static str| {
        golden.rejected(reason).inc();
        response(status, TEXT_PLAIN, text)
    };
    let mut resp = match route {
        None => reject(RejectReason::NotFound, StatusCode::NOT_FOUND, "not found\n"),
        Some(_) if !readable => {
            let mut r = reject(
                RejectReason::MethodNotAllowed,
                StatusCode::METHOD_NOT_ALLOWED,
                "method not allowed: use GET or HEAD\n",
            );
            r.headers_mut()
                .insert(ALLOW, HeaderValue::from_static("GET, HEAD"));
            r
        }
        Some(_) if body => reject(
            RejectReason::Body,
            StatusCode::PAYLOAD_TOO_LARGE,
            "request bodies are not accepted\n",
        ),
        Some(Route::Metrics) if health_only => {
            let mut r = reject(
                RejectReason::ConnectionLimit,
                StatusCode::SERVICE_UNAVAILABLE,
                "too many connections\n",
            );
            r.headers_mut()
                .insert(RETRY_AFTER, HeaderValue::from_static("1"));
            r
        }
        Some(Route::Metrics) => metrics(shared, started).await,
        Some(Route::Healthz) => response(StatusCode::OK, TEXT_PLAIN, "ok\n"),
        Some(Route::Readyz) => readyz(shared),
    };
    let headers = resp.headers_mut();
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    if body {
        // The body is never read; closing keeps it from being parsed as the next request.
        headers.insert(CONNECTION, HeaderValue::from_static("close"));
    }
    if let Some(route) = route {
        if req.method() == Method::GET && !body {
            shared.latency[route.index()].observe(started.elapsed().as_secs_f64());
        }
    }
    resp
}

/// `GET /metrics`. Encoding runs inline: it is CPU-only and short for first-party registries.
async fn metrics(shared: &Shared, arrived: Instant) -> Resp {
    match shared.exposition(arrived).await {
        Ok(text) => response(StatusCode::OK, TEXT_CONTENT_TYPE, text),
        // Only a malformed third-party collector can cause this; say so instead of
        // serving a truncated page.
        Err(e) => response(
            StatusCode::INTERNAL_SERVER_ERROR,
            TEXT_PLAIN,
            format!("{e}\n"),
        ),
    }
}

/// `GET /readyz`: 200 when ready, else 503 with `Retry-After`.
fn readyz(shared: &Shared) -> Resp {
    let snapshot = shared.health.snapshot();
    let retry = shared.metrics.config.retry_after_secs;
    let body = ReadinessResponse::from_snapshot(&snapshot, retry).to_json();
    if snapshot.ready {
        return response(StatusCode::OK, JSON, body);
    }
    let mut resp = response(StatusCode::SERVICE_UNAVAILABLE, JSON, body);
    resp.headers_mut()
        .insert(RETRY_AFTER, HeaderValue::from(retry));
    resp
}
