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
//! 4. no free reserve slot, but one holds a connection that has not been answered yet: the
//!    oldest such one is closed (counted as `conn_limit`) and the newcomer takes its slot, so
//!    the reserve goes to the newest arrivals and a flood of silent or dribbling
//!    connections cannot keep probes out (a probe sends its head at once and is answered
//!    in well under a millisecond);
//! 5. otherwise 503 without reading the request.
//!
//! Full connections that have not finished a request are never evicted (a slow scrape stays
//! safe): the read deadline ends silent ones, and the reserve answers probes meanwhile.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore};

/// The activity of one full connection, shared between its I/O wrapper and the table.
#[derive(Debug)]
pub(crate) struct Activity {
    /// Nanoseconds since the server's epoch when the connection last went idle, plus one;
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

    fn ask_to_close(&self) -> bool {
        self.evicting.store(true, Ordering::Relaxed);
        self.evict.notify_one();
        true
    }
}

/// The full connections, for picking the longest-idle one.
#[derive(Debug)]
struct Table {
    next_id: AtomicU64,
    live: Mutex<HashMap<u64, Arc<Activity>>>,
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
        oldest.is_some_and(|(_, activity)| activity.ask_to_close())
    }

    /// Asks the oldest connection that has not been answered yet to close; false when every
    /// one has been.
    fn evict_oldest_unanswered(&self) -> bool {
        let live = self.lock();
        let oldest = live
            .iter()
            .filter(|(_, a)| !a.evicting.load(Ordering::Relaxed))
            .filter(|(_, a)| a.idle_since.load(Ordering::Relaxed) == 0)
            .min_by_key(|(id, _)| **id);
        oldest.is_some_and(|(_, activity)| activity.ask_to_close())
    }
}

/// What a connection may do; holding it keeps its slot taken.
#[derive(Debug)]
pub(crate) struct Ticket {
    pub(crate) pool: PoolKind,
    _permit: OwnedSemaphorePermit,
    pub(crate) slot: Slot,
}

/// The two pools of slots.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PoolKind {
    /// Every route, keep-alive; evictable while idle between requests.
    Full,
    /// `/healthz` and `/readyz` only, one request; evictable until answered.
    HealthOnly,
}

/// One pool: its permits and its live connections.
#[derive(Debug, Clone)]
struct Pool {
    permits: Arc<Semaphore>,
    table: Arc<Table>,
}

/// A connection's entry in its pool's table, removed on drop.
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
    /// A connection of this pool was asked to close: wait for its slot with
    /// [`Admission::after_eviction`].
    Evicting(PoolKind),
    Refused,
}

/// The connection slots of one server.
#[derive(Debug, Clone)]
pub(crate) struct Admission {
    full: Pool,
    reserve: Pool,
    epoch: Instant,
}

impl Admission {
    pub(crate) fn new(max_connections: usize, health_reserve: usize) -> Self {
        let epoch = Instant::now();
        let pool = |permits| Pool {
            permits: Arc::new(Semaphore::new(permits)),
            table: Arc::new(Table {
                next_id: AtomicU64::new(0),
                live: Mutex::new(HashMap::new()),
            }),
        };
        Admission {
            full: pool(max_connections),
            reserve: pool(health_reserve),
            epoch,
        }
    }

    /// Decides without waiting (called from the accept loop).
    pub(crate) fn admit(&self) -> Decision {
        if let Some(ticket) = self.try_pool(PoolKind::Full) {
            return Decision::Admitted(ticket);
        }
        if self.full.table.evict_longest_idle() {
            return Decision::Evicting(PoolKind::Full);
        }
        if let Some(ticket) = self.try_pool(PoolKind::HealthOnly) {
            return Decision::Admitted(ticket);
        }
        if self.reserve.table.evict_oldest_unanswered() {
            return Decision::Evicting(PoolKind::HealthOnly);
        }
        Decision::Refused
    }

    /// After [`Decision::Evicting`]: the freed slot (waiting up to `wait`), else for the
    /// full pool a free reserve slot, else `None`.
    pub(crate) async fn after_eviction(&self, kind: PoolKind, wait: Duration) -> Option<Ticket> {
        let permits = Arc::clone(&self.pool(kind).permits);
        match tokio::time::timeout(wait, permits.acquire_owned()).await {
            Ok(Ok(permit)) => Some(self.ticket(kind, permit)),
            _ if kind == PoolKind::Full => self.try_pool(PoolKind::HealthOnly),
            _ => None,
        }
    }

    fn pool(&self, kind: PoolKind) -> &Pool {
        match kind {
            PoolKind::Full => &self.full,
            PoolKind::HealthOnly => &self.reserve,
        }
    }

    fn try_pool(&self, kind: PoolKind) -> Option<Ticket> {
        let permits = Arc::clone(&self.pool(kind).permits);
        let permit = permits.try_acquire_owned().ok()?;
        Some(self.ticket(kind, permit))
    }

    fn ticket(&self, kind: PoolKind, permit: OwnedSemaphorePermit) -> Ticket {
        let table = &self.pool(kind).table;
        let activity = Arc::new(Activity {
            idle_since: AtomicU64::new(0),
            evicting: AtomicBool::new(false),
            evict: Notify::new(),
            epoch: self.epoch,
        });
        let id = table.next_id.fetch_add(1, Ordering::Relaxed);
        table.lock().insert(id, Arc::clone(&activity));
        Ticket {
            pool: kind,
            _permit: permit,
            slot: Slot {
                id,
                table: Arc::clone(table),
                activity,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn admitted(d: Decision) -> Ticket {
        match d {
            Decision::Admitted(t) => t,
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test]
    async fn full_then_eviction_of_the_longest_idle_then_reserve_then_refusal() {
        let admission = Admission::new(2, 1);
        let a = admitted(admission.admit());
        let b = admitted(admission.admit());
        assert_eq!((a.pool, b.pool), (PoolKind::Full, PoolKind::Full));
        // Neither has answered a request yet: nothing to evict, so the reserve is used.
        let reserve = admitted(admission.admit());
        assert_eq!(reserve.pool, PoolKind::HealthOnly);
        // The reserve connection is answered: nothing left to evict anywhere.
        reserve.slot.activity.idle();
        assert!(matches!(admission.admit(), Decision::Refused));
        // b went idle first, then a: b is the longest idle and is the one asked to close.
        b.slot.activity.idle();
        tokio::time::sleep(Duration::from_millis(2)).await;
        a.slot.activity.idle();
        assert!(matches!(
            admission.admit(),
            Decision::Evicting(PoolKind::Full)
        ));
        tokio::time::timeout(Duration::from_secs(5), b.slot.activity.evicted())
            .await
            .expect("b was asked to close");
        assert!(!a.slot.activity.evicting.load(Ordering::Relaxed));
        // b's connection ends: its slot goes to the waiting newcomer.
        drop(b);
        let next = admission
            .after_eviction(PoolKind::Full, Duration::from_secs(5))
            .await;
        assert_eq!(next.as_ref().map(|t| t.pool), Some(PoolKind::Full));
        // A busy connection is never chosen; a freed reserve slot is used again.
        a.slot.activity.busy();
        drop(reserve);
        assert_eq!(admitted(admission.admit()).pool, PoolKind::HealthOnly);
    }

    #[tokio::test]
    async fn a_full_reserve_gives_way_to_newcomers_oldest_unanswered_first() {
        let admission = Admission::new(1, 2);
        let _full = admitted(admission.admit());
        let r1 = admitted(admission.admit());
        let r2 = admitted(admission.admit());
        assert!(matches!(
            admission.admit(),
            Decision::Evicting(PoolKind::HealthOnly)
        ));
        assert!(r1.slot.activity.evicting.load(Ordering::Relaxed));
        assert!(!r2.slot.activity.evicting.load(Ordering::Relaxed));
        drop(r1);
        let r3 = admission
            .after_eviction(PoolKind::HealthOnly, Duration::from_secs(5))
            .await
            .expect("the freed reserve slot");
        // r2 has been answered: only r3 is left to evict.
        r2.slot.activity.idle();
        assert!(matches!(
            admission.admit(),
            Decision::Evicting(PoolKind::HealthOnly)
        ));
        assert!(r3.slot.activity.evicting.load(Ordering::Relaxed));
        assert!(matches!(admission.admit(), Decision::Refused));
    }
}
