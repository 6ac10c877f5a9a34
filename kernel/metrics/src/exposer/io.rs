//! Per-connection deadlines: an I/O wrapper that fails reads and writes that take too long.
//!
//! hyper's HTTP/1 server has no write or keep-alive idle timeout of its own (and its
//! header timeout needs a timer and varies by version), so the exposer wraps each socket:
//!
//! * **read timeout**: a request head must arrive completely within `read_timeout` of its
//!   first byte (for a fresh connection: of the accept). The deadline is absolute, so a
//!   client that dribbles one byte at a time is cut off too (slow loris).
//! * **idle timeout**: between keep-alive requests the client may stay silent for
//!   `idle_timeout`; then the connection is closed (not counted as a rejection).
//! * **write timeout**: a write that stays blocked (the client does not read) for
//!   `write_timeout` fails.
//!
//! A deadline that fires returns `io::ErrorKind::TimedOut`; hyper then drops the connection.
//! Read and write timeouts count into `rejected_total{reason}`.

use super::admit::Activity;
use prometheus::IntCounter;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{sleep_until, Instant, Sleep};

/// The three deadlines of a connection.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Deadlines {
    pub read: Duration,
    pub write: Duration,
    pub idle: Duration,
}

/// Where the connection is in its request cycle; decides which read deadline applies.
#[derive(Debug, Clone, Copy)]
enum Phase {
    /// Waiting for the first byte of a request. `fresh` is true before the first request
    /// (read deadline from the accept); false between keep-alive requests (idle deadline).
    Awaiting { since: Instant, fresh: bool },
    /// Bytes of a request head have arrived; it must complete by `started + read`.
    Reading { started: Instant },
}

/// An `AsyncRead + AsyncWrite` with the deadlines above.
#[derive(Debug)]
pub(crate) struct TimedIo<T> {
    inner: T,
    deadlines: Deadlines,
    phase: Phase,
    read_timer: Pin<Box<Sleep>>,
    /// When the current stretch of blocked writes began (None: last write progressed).
    write_blocked_since: Option<Instant>,
    write_timer: Pin<Box<Sleep>>,
    read_timeouts: IntCounter,
    write_timeouts: IntCounter,
    /// Idle/busy hints for eviction of idle keep-alives (full connections only).
    activity: Option<Arc<Activity>>,
}

impl<T> TimedIo<T> {
    pub(crate) fn new(
        inner: T,
        deadlines: Deadlines,
        read_timeouts: IntCounter,
        write_timeouts: IntCounter,
    ) -> Self {
        let now = Instant::now();
        TimedIo {
            inner,
            deadlines,
            phase: Phase::Awaiting {
                since: now,
                fresh: true,
            },
            read_timer: Box::pin(sleep_until(now + deadlines.read)),
            write_blocked_since: None,
            write_timer: Box::pin(sleep_until(now + deadlines.write)),
            read_timeouts,
            write_timeouts,
            activity: None,
        }
    }

    /// Reports idle/busy transitions to `activity`.
    pub(crate) fn with_activity(mut self, activity: Arc<Activity>) -> Self {
        self.activity = Some(activity);
        self
    }

    fn read_deadline(&self) -> Instant {
        match self.phase {
            Phase::Awaiting { since, fresh: true } => since + self.deadlines.read,
            Phase::Awaiting {
                since,
                fresh: false,
            } => since + self.deadlines.idle,
            Phase::Reading { started } => started + self.deadlines.read,
        }
    }

    /// Bytes arrived: an awaiting connection starts reading a request.
    fn on_read_progress(&mut self) {
        if let Phase::Awaiting { since, fresh } = self.phase {
            let started = if fresh { since } else { Instant::now() };
            self.phase = Phase::Reading { started };
            if let Some(activity) = &self.activity {
                activity.busy();
            }
        }
    }

    /// A response is going out: the request is done; the idle clock restarts.
    fn on_write_progress(&mut self) {
        self.write_blocked_since = None;
        self.phase = Phase::Awaiting {
            since: Instant::now(),
            fresh: false,
        };
        if let Some(activity) = &self.activity {
            activity.idle();
        }
    }

    /// The read is pending: fail it if its deadline passed.
    fn poll_read_deadline(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let deadline = self.read_deadline();
        if self.read_timer.deadline() != deadline {
            self.read_timer.as_mut().reset(deadline);
        }
        match self.read_timer.as_mut().poll(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(()) => {
                let idle = matches!(self.phase, Phase::Awaiting { fresh: false, .. });
                if !idle {
                    self.read_timeouts.inc();
                }
                let what = if idle { "idle" } else { "read" };
                Poll::Ready(Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!("{what} timeout"),
                )))
            }
        }
    }

    /// The write is blocked: fail it once it has been blocked for the write timeout.
    fn poll_write_deadline(&mut self, cx: &mut Context<'_>) -> Poll<io::Error> {
        let since = *self.write_blocked_since.get_or_insert_with(Instant::now);
        let deadline = since + self.deadlines.write;
        if self.write_timer.deadline() != deadline {
            self.write_timer.as_mut().reset(deadline);
        }
        match self.write_timer.as_mut().poll(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(()) => {
                self.write_timeouts.inc();
                Poll::Ready(io::Error::new(io::ErrorKind::TimedOut, "write timeout"))
            }
        }
    }
}

use std::future::Future;

impl<T: AsyncRead + Unpin> AsyncRead for TimedIo<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        match Pin::new(&mut this.inner).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                if buf.filled().len() > before {
                    this.on_read_progress();
                }
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => this.poll_read_deadline(cx),
        }
    }
}

impl<T: AsyncWrite + Unpin> TimedIo<T> {
    fn finish_write(
        &mut self,
        cx: &mut Context<'_>,
        polled: Poll<io::Result<usize>>,
    ) -> Poll<io::Result<usize>> {
        match polled {
            Poll::Ready(Ok(n)) => {
                if n > 0 {
                    self.on_write_progress();
                }
                Poll::Ready(Ok(n))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => self.poll_write_deadline(cx).map(Err),
        }
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for TimedIo<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_write(cx, buf);
        this.finish_write(cx, polled)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_write_vectored(cx, bufs);
        this.finish_write(cx, polled)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        match Pin::new(&mut this.inner).poll_flush(cx) {
            Poll::Pending => this.poll_write_deadline(cx).map(Err),
            ready => ready,
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        match Pin::new(&mut this.inner).poll_shutdown(cx) {
            Poll::Pending => this.poll_write_deadline(cx).map(Err),
            ready => ready,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    fn deadlines(ms: u64) -> Deadlines {
        Deadlines {
            read: Duration::from_millis(ms),
            write: Duration::from_millis(ms),
            idle: Duration::from_millis(ms * 4),
        }
    }

    fn counters() -> (IntCounter, IntCounter) {
        (
            IntCounter::new("r_total", "r").unwrap(),
            IntCounter::new("w_total", "w").unwrap(),
        )
    }

    #[tokio::test]
    async fn silent_peer_hits_the_read_deadline() {
        let (client, server) = tokio::io::duplex(64);
        let (r, w) = counters();
        let mut io = TimedIo::new(server, deadlines(30), r.clone(), w.clone());
        let mut buf = [0u8; 16];
        let err = io.read(&mut buf).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
        assert_eq!((r.get(), w.get()), (1, 0));
        drop(client);
    }

    #[tokio::test]
    async fn dribbling_peer_is_cut_off_by_the_absolute_deadline() {
        let (mut client, server) = tokio::io::duplex(64);
        let (r, w) = counters();
        let mut io = TimedIo::new(server, deadlines(60), r.clone(), w);
        let dribbler = tokio::spawn(async move {
            // 100 bytes, one every 10 ms: each read completes quickly, the head never does
            // within 60 ms.
            for _ in 0..100 {
                if client.write_all(b"x").await.is_err() {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        });
        let mut received = 0;
        let mut buf = [0u8; 16];
        let err = loop {
            match io.read(&mut buf).await {
                Ok(n) => received += n,
                Err(e) => break e,
            }
        };
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
        assert!(received < 100, "the dribbler was never cut off");
        assert_eq!(r.get(), 1);
        dribbler.abort();
    }

    #[tokio::test]
    async fn blocked_writer_hits_the_write_deadline() {
        let (_client, server) = tokio::io::duplex(64);
        let (r, w) = counters();
        let mut io = TimedIo::new(server, deadlines(30), r.clone(), w.clone());
        // The client never reads: the 64-byte pipe fills and the write blocks.
        let err = io.write_all(&[0u8; 1024]).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
        assert_eq!((r.get(), w.get()), (0, 1));
    }

    #[tokio::test]
    async fn idle_keep_alive_expiry_is_not_a_rejection() {
        let (mut client, server) = tokio::io::duplex(64);
        let (r, w) = counters();
        let mut io = TimedIo::new(server, deadlines(20), r.clone(), w.clone());
        client.write_all(b"req").await.unwrap();
        let mut buf = [0u8; 3];
        io.read_exact(&mut buf).await.unwrap();
        io.write_all(b"resp").await.unwrap(); // response sent: now idle
        let err = io.read(&mut buf).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
        assert_eq!(err.to_string(), "idle timeout");
        assert_eq!((r.get(), w.get()), (0, 0));
    }
}
