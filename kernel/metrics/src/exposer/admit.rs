//! Admission: which accepted connection gets which kind of service.
//!
//! A client that holds every connection slot must not take liveness down with it, so a new
//! connection is admitted in this order:
//!
//! 1. a free slot of [`max_connections`](super::ExposerConfig::max_connections): every
//!    route, keep-alive;
//! 2. no free slot, but a keep-alive connection sits idle between requests: the longest-idle
//!    one is asked to close (hyper finishes any response in flight first; nginx drains
//!    reusable connections the same way) and the newcomer waits up to the read timeout for
//!    the freed slot;
//! 3. one of [`health_reserve`](super::ExposerConfig::health_reserve) extra slots: one
//!    request, then closed; only `/healthz` and `/readyz` are answered, other routes get 503;
//! 4. otherwise 503 without reading the request.
//!
//! Connections that never finish a request head are not evicted: the read deadline ends
//! them, and the reserve keeps the health routes reachable meanwhile.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore};

/// The activity of one full connection, shared between its I/O wrapper and the table.
#[derive(Debug)]
pub(crate) struct Activity {
    /// Nanoseconds since the table's epoch when the connection last went idle, plus one;
    /// 0 while it has not yet answered a request or is reading the next one.
    idle_since: AtomicU64,
    /// Set once the connection was chosen for eviction (so it is chosen only once).
    evicting: AtomicBool,
    evict: Notify,
    epoch: Instant,
}

impl Activity {
    /// A request started arriving: not idle.
    pub(crate) fn busy(&self) {
        self.idle_since.store(0, Ordering::Relaxed);
    }

    /// A response went out: idle from now until the next request arrives.
    pub(crate) fn idle(&self) {
        let nanos = u64::try_from(self.epoch.elapsed().as_nanos()).unwrap_or(u64::MAX - 1);
        self.idle_since.store(nanos + 1, Ordering::Relaxed);
    }

    /// Resolves once the connection has been asked to close.
    pub(crate) async fn evicted(&self) {
        self.evict.notified().await;
    }
}

/// The full connections, for picking the longest-idle one.
#[derive(Debug)]
struct Table {
    next_id: AtomicU64,
    live: Mutex<HashMap<u64, Arc<Activity>>>,
    epoch: Instant,
}

impl Table {
    fn lock(&self) -> MutexGuard<'_, HashMap<u64, Arc<Activity>>> {
        // Plain inserts and removes: a panic elsewhere cannot leave the map half-updated.
        self.live.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Asks the longest-idle keep-alive connection to close; false when none is idle.
    fn evict_longest_idle(&self) -> bool {
        let live = self.lock();
        let oldest = live
            .values()
            .filter(|a| !a.evicting.load(Ordering::Relaxed))
            .filter_map(|a| match a.idle_since.load(Ordering::Relaxed) {
                0 => None,
                since => Some((since, a)),
            })
            .min_by_key(|(since, _)| *since);
        match oldest {
            Some((_, activity)) => {
                activity.evicting.store(true, Ordering::Relaxed);
                activity.evict.notify_one();
                true
            }
            None => false,
        }
    }
}

/// What a connection may do; holding it keeps its slot taken.
#[derive(Debug)]
pub(crate) enum Ticket {
    /// Every route, keep-alive; evictable while idle.
    Full {
        _permit: OwnedSemaphorePermit,
        slot: Slot,
    },
    /// `/healthz` and `/readyz` only, one request.
    HealthOnly { _permit: OwnedSemaphorePermit },
}

/// A full connection's entry in the table, removed on drop.
#[derive(Debug)]
pub(crate) struct Slot {
    id: u64,
    table: Arc<Table>,
    pub(crate) activity: Arc<Activity>,
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.table.lock().remove(&self.id);
    }
}

/// The outcome of [`Admission::admit`].
#[derive(Debug)]
pub(crate) enum Decision {
    Admitted(Ticket),
    /// An idle keep-alive was asked to close: wait for its slot with
    /// [`Admission::after_eviction`].
    Evicting,
    Refused,
}

/// The connection slots of one server.
#[derive(Debug, Clone)]
pub(crate) struct Admission {
    full: Arc<Semaphore>,
    reserve: Arc<Semaphore>,
    table: Arc<Table>,
}

impl Admission {
    pub(crate) fn new(max_connections: usize, health_reserve: usize) -> Self {
        let epoch = Instant::now();
        Admission {
            full: Arc::new(Semaphore::new(max_connections)),
            reserve: Arc::new(Semaphore::new(health_reserve)),
            table: Arc::new(Table {
                next_id: AtomicU64::new(0),
                live: Mutex::new(HashMap::new()),
                epoch,
            }),
        }
    }

    /// Decides without waiting (called from the accept loop).
    pub(crate) fn admit(&self) -> Decision {
        if let Ok(permit) = Arc::clone(&self.full).try_acquire_owned() {
            return Decision::Admitted(self.full_ticket(permit));
        }
        if self.table.evict_longest_idle() {
            return Decision::Evicting;
        }
        self.try_reserve()
            .map_or(Decision::Refused, Decision::Admitted)
    }

    /// After [`Decision::Evicting`]: the freed full slot, else a reserve slot, else `None`.
    pub(crate) async fn after_eviction(&self, wait: Duration) -> Option<Ticket> {
        match tokio::time::timeout(wait, Arc::clone(&self.full).acquire_owned()).await {
            Ok(Ok(permit)) => Some(self.full_ticket(permit)),
            _ => self.try_reserve(),
        }
    }

    fn try_reserve(&self) -> Option<Ticket> {
        let permit = Arc::clone(&self.reserve).try_acquire_owned().ok()?;
        Some(Ticket::HealthOnly { _permit: permit })
    }

    fn full_ticket(&self, permit: OwnedSemaphorePermit) -> Ticket {
        let activity = Arc::new(Activity {
            idle_since: AtomicU64::new(0),
            evicting: AtomicBool::new(false),
            evict: Notify::new(),
            epoch: self.table.epoch,
        });
        let id = self.table.next_id.fetch_add(1, Ordering::Relaxed);
        self.table.lock().insert(id, Arc::clone(&activity));
        Ticket::Full {
            _permit: permit,
            slot: Slot {
                id,
                table: Arc::clone(&self.table),
                activity,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn activity(ticket: &Ticket) -> Arc<Activity> {
        match ticket {
            Ticket::Full { slot, .. } => Arc::clone(&slot.activity),
            Ticket::HealthOnly { .. } => panic!("expected a full ticket"),
        }
    }

    #[tokio::test]
    async fn full_then_eviction_of_the_longest_idle_then_reserve_then_refusal() {
        let admission = Admission::new(2, 1);
        let a = match admission.admit() {
            Decision::Admitted(t) => t,
            other => panic!("{other:?}"),
        };
        let b = match admission.admit() {
            Decision::Admitted(t) => t,
            other => panic!("{other:?}"),
        };
        // Neither has answered a request yet: nothing to evict, so the reserve is used.
        let reserve = admission.admit();
        assert!(matches!(
            reserve,
            Decision::Admitted(Ticket::HealthOnly { .. })
        ));
        assert!(matches!(admission.admit(), Decision::Refused));
        // b went idle first, then a: b is the longest idle and is the one asked to close.
        activity(&b).idle();
        tokio::time::sleep(Duration::from_millis(2)).await;
        activity(&a).idle();
        assert!(matches!(admission.admit(), Decision::Evicting));
        tokio::time::timeout(Duration::from_secs(5), activity(&b).evicted())
            .await
            .expect("b was asked to close");
        assert!(activity(&b).evicting.load(Ordering::Relaxed));
        assert!(!activity(&a).evicting.load(Ordering::Relaxed));
        // b's connection ends: its slot goes to the waiting newcomer.
        drop(b);
        let next = admission.after_eviction(Duration::from_secs(5)).await;
        assert!(matches!(next, Some(Ticket::Full { .. })));
        // a is the only idle one left; a busy connection is never chosen.
        activity(&a).busy();
        drop(reserve);
        assert!(matches!(
            admission.admit(),
            Decision::Admitted(Ticket::HealthOnly { .. })
        ));
    }
}
