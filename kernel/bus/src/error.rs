//! Receive errors. Hand-written and dependency-free, like crossbeam-channel's `err.rs`.

use std::fmt;

/// Error from [`Receiver::recv`](crate::Receiver::recv) and
/// [`Receiver::blocking_recv`](crate::Receiver::blocking_recv).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecvError {
    /// The receiver fell more than `capacity` messages behind and lost this many messages.
    /// The next receive continues from the oldest message still retained.
    Lagged(u64),
    /// Every [`Bus`](crate::Bus) handle was dropped and everything retained was read.
    Closed,
}

/// Error from [`Receiver::try_recv`](crate::Receiver::try_recv).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TryRecvError {
    /// Nothing new has been published yet.
    Empty,
    /// The receiver lost this many messages to overwrite (see [`RecvError::Lagged`]).
    Lagged(u64),
    /// Every [`Bus`](crate::Bus) handle was dropped and everything retained was read.
    Closed,
}

impl fmt::Display for RecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RecvError::Lagged(n) => write!(f, "receiver lagged and lost {n} messages"),
            RecvError::Closed => f.write_str("bus closed: every publisher was dropped"),
        }
    }
}

impl fmt::Display for TryRecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TryRecvError::Empty => f.write_str("no message available yet"),
            TryRecvError::Lagged(n) => write!(f, "receiver lagged and lost {n} messages"),
            TryRecvError::Closed => f.write_str("bus closed: every publisher was dropped"),
        }
    }
}

impl std::error::Error for RecvError {}
impl std::error::Error for TryRecvError {}
