//! Atomics shim: std (or crossbeam) normally, loom's model types under `RUSTFLAGS="--cfg loom"`.
//! Everything in this crate that loom must see goes through here (tokio's `src/loom/` habit).

#[cfg(all(loom, feature = "bus_edge_notify"))]
pub(crate) use loom::sync::atomic::fence;
#[cfg(loom)]
pub(crate) use loom::sync::atomic::{AtomicBool, AtomicPtr, AtomicU64, AtomicUsize};
#[cfg(loom)]
pub(crate) use loom::sync::{Arc, Mutex};
#[cfg(loom)]
pub(crate) use loom::thread::yield_now;
#[cfg(loom)]
pub(crate) use loom::thread::{current as current_thread, park, Thread};

#[cfg(all(not(loom), feature = "bus_edge_notify"))]
pub(crate) use std::sync::atomic::fence;
#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicU64, AtomicUsize};
#[cfg(not(loom))]
pub(crate) use std::sync::{Arc, Mutex};
#[cfg(not(loom))]
pub(crate) use std::thread::yield_now;
#[cfg(not(loom))]
pub(crate) use std::thread::{current as current_thread, park, Thread};

pub(crate) use std::sync::atomic::Ordering;

/// Locks a mutex, ignoring poisoning: the data behind our mutexes (waker lists) stays valid
/// even if a waker panicked while the lock was held.
#[cfg(not(loom))]
pub(crate) fn lock<T: ?Sized>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Locks a loom mutex (loom never poisons inside a passing model).
#[cfg(loom)]
pub(crate) fn lock<T>(m: &Mutex<T>) -> loom::sync::MutexGuard<'_, T> {
    m.lock().expect("loom mutex poisoned")
}
