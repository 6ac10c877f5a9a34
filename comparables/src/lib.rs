//! ron-comparables: one [`Contender`] adapter per channel, and workloads written once over it.
//!
//! ron-bus goes through the same adapter as tokio broadcast, flume, crossbeam-channel and the
//! `bus` crate, so the comparison is fair by construction. Topology differences are stated:
//! flume and crossbeam are work queues, so fanout N means N bounded channels, one per
//! subscriber, and the publisher sends N copies ([`Topology::QueuePerSubscriber`]).
//!
//! Dispatch is static: [`ContenderId::visit`] hands a [`Visit`] implementation the concrete
//! contender type, so no virtual call sits in any timed loop.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod adapters;
pub mod bench_knobs;
pub mod events;
pub mod inject;
pub mod knobs;
pub mod pin;
pub mod table;
pub mod workloads;

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The message every workload sends: a sequence number and a send timestamp
/// (nanoseconds since the workload's origin; 0 when latency is not measured).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Msg {
    /// Publisher-side sequence number.
    pub seq: u64,
    /// Send time in ns since the workload's origin instant.
    pub sent_ns: u64,
}

/// What one receive attempt produced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recv {
    /// A message.
    Msg(Msg),
    /// The subscriber lost this many messages (lossy contenders only).
    Lagged(u64),
    /// Nothing available right now (`try_recv` only).
    Empty,
    /// The publisher is gone and nothing is left.
    Closed,
}

/// How a contender delivers one message to N subscribers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Topology {
    /// One shared ring; every subscriber reads every message.
    Broadcast,
    /// One bounded queue per subscriber; the publisher sends N copies.
    QueuePerSubscriber,
}

/// The publishing half of a contender.
pub trait Publisher: Send + 'static {
    /// Sends one message the contender's natural way (lossy contenders overwrite, the others
    /// block while a queue is full). Returns how many subscribers it was sent to.
    fn publish(&mut self, msg: Msg) -> usize;
    /// Sends without ever blocking: a full queue drops the message for that subscriber.
    fn try_publish(&mut self, msg: Msg) -> usize {
        self.publish(msg)
    }
    /// Sends a batch. Contenders without a batch API loop over [`Publisher::publish`].
    fn publish_batch(&mut self, msgs: &[Msg]) -> usize {
        msgs.iter().map(|m| self.publish(*m)).sum()
    }
    /// Sends a message tagged with topic bits. Contenders without topic filtering send it
    /// to everyone (subscribers then filter in user code).
    fn publish_topic(&mut self, msg: Msg, topic: u64) -> usize {
        let _ = topic;
        self.publish(msg)
    }
}

/// The receiving half of a contender.
pub trait Subscriber: Send + 'static {
    /// Waits for the next message (OS-thread blocking).
    fn recv(&mut self) -> Recv;
    /// Takes the next message if there is one.
    fn try_recv(&mut self) -> Recv;
}

/// A channel under test.
pub trait Contender: 'static {
    /// Stable name used in cell ids and reports.
    const NAME: &'static str;
    /// How fanout is realised.
    const TOPOLOGY: Topology;
    /// Whether slow subscribers lose messages (instead of blocking the publisher).
    const LOSSY: bool;
    /// Whether [`Publisher::publish_batch`] is a real batch API (not a loop).
    const NATIVE_BATCH: bool = false;
    /// Publisher handle.
    type Tx: Publisher;
    /// Subscriber handle.
    type Rx: Subscriber;
    /// Whether subscribers can filter by topic inside the channel (ron-bus `bus_interest`).
    const NATIVE_TOPICS: bool = false;
    /// Builds a channel of capacity `cap` with `fanout` subscribers attached before any send.
    fn channel(cap: usize, fanout: usize) -> (Self::Tx, Vec<Self::Rx>);
    /// Like [`Contender::channel`], with every subscriber interested only in `mask`'s topics.
    /// Contenders without topic filtering ignore the mask.
    fn channel_with_interest(cap: usize, fanout: usize, mask: u64) -> (Self::Tx, Vec<Self::Rx>) {
        let _ = mask;
        Self::channel(cap, fanout)
    }
}

/// The ron-bus feature flags compiled into this build (every build that forwards features to
/// this crate, such as the ron-bench runner, sees the same set).
pub fn compiled_features() -> Vec<&'static str> {
    [
        ("bus_edge_notify", cfg!(feature = "bus_edge_notify")),
        ("bus_batch", cfg!(feature = "bus_batch")),
        ("bus_autotune_cap", cfg!(feature = "bus_autotune_cap")),
        ("metrics_buf", cfg!(feature = "metrics_buf")),
        ("bus_soa", cfg!(feature = "bus_soa")),
        ("bus_interest", cfg!(feature = "bus_interest")),
        ("bus_coalesce", cfg!(feature = "bus_coalesce")),
        ("local_dispatch", cfg!(feature = "local_dispatch")),
    ]
    .iter()
    .filter(|(_, on)| *on)
    .map(|(name, _)| *name)
    .collect()
}

/// [`compiled_features`] joined by `+` (`default` when none): benchmark ids carry it so runs
/// of different builds never collide.
pub fn features_label() -> String {
    let on = compiled_features();
    if on.is_empty() {
        "default".to_string()
    } else {
        on.join("+")
    }
}

/// Receives the concrete contender type from [`ContenderId::visit`].
pub trait Visit {
    /// Result of the visit.
    type Out;
    /// Called with the contender named by the id.
    fn visit<C: Contender>(self) -> Self::Out;
}

/// Every contender by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub enum ContenderId {
    /// This workspace's bus.
    #[serde(rename = "ron-bus")]
    RonBus,
    /// `tokio::sync::broadcast`.
    #[serde(rename = "tokio-broadcast")]
    TokioBroadcast,
    /// `flume`, one bounded channel per subscriber.
    #[serde(rename = "flume")]
    Flume,
    /// `crossbeam-channel`, one bounded channel per subscriber.
    #[serde(rename = "crossbeam")]
    Crossbeam,
    /// jonhoo's `bus` crate (broadcast, blocking when full).
    #[serde(rename = "bus-crate")]
    BusCrate,
    /// ron-bus plus a calibrated extra cost per publish, for the gate's power check.
    /// The extra cost lives here, never in ron-bus.
    #[serde(rename = "throttled")]
    Throttled,
}

impl ContenderId {
    /// The real contenders, in report order (the calibration-only `throttled` is excluded).
    pub const ALL: [ContenderId; 5] = [
        ContenderId::RonBus,
        ContenderId::TokioBroadcast,
        ContenderId::Flume,
        ContenderId::Crossbeam,
        ContenderId::BusCrate,
    ];

    /// Calls `v.visit::<C>()` with this id's contender type.
    pub fn visit<V: Visit>(self, v: V) -> V::Out {
        use adapters::*;
        match self {
            ContenderId::RonBus => v.visit::<RonBus>(),
            ContenderId::TokioBroadcast => v.visit::<TokioBroadcast>(),
            ContenderId::Flume => v.visit::<FlumeQueues>(),
            ContenderId::Crossbeam => v.visit::<CrossbeamQueues>(),
            ContenderId::BusCrate => v.visit::<BusCrate>(),
            ContenderId::Throttled => v.visit::<Throttled>(),
        }
    }

    /// The contender's static description (name, lossiness, topology, native APIs).
    pub fn info(self) -> ContenderInfo {
        struct Info;
        impl Visit for Info {
            type Out = ContenderInfo;
            fn visit<C: Contender>(self) -> ContenderInfo {
                ContenderInfo {
                    name: C::NAME,
                    lossy: C::LOSSY,
                    topology: C::TOPOLOGY,
                    native_batch: C::NATIVE_BATCH,
                    native_topics: C::NATIVE_TOPICS,
                }
            }
        }
        self.visit(Info)
    }

    /// The contender's stable name.
    pub fn name(self) -> &'static str {
        self.info().name
    }

    /// Whether the contender loses messages instead of blocking.
    pub fn lossy(self) -> bool {
        self.info().lossy
    }

    /// How the contender realises fanout.
    pub fn topology(self) -> Topology {
        self.info().topology
    }
}

/// A contender's constants, as data (see [`ContenderId::info`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContenderInfo {
    /// [`Contender::NAME`]
    pub name: &'static str,
    /// [`Contender::LOSSY`]
    pub lossy: bool,
    /// [`Contender::TOPOLOGY`]
    pub topology: Topology,
    /// [`Contender::NATIVE_BATCH`]
    pub native_batch: bool,
    /// [`Contender::NATIVE_TOPICS`]
    pub native_topics: bool,
}

impl fmt::Display for ContenderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An unknown contender name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownContender(pub String);

impl fmt::Display for UnknownContender {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown contender `{}` (expected one of: ron-bus, tokio-broadcast, flume, crossbeam, bus-crate, throttled)",
            self.0
        )
    }
}

impl std::error::Error for UnknownContender {}

impl FromStr for ContenderId {
    type Err = UnknownContender;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ContenderId::ALL
            .iter()
            .chain(std::iter::once(&ContenderId::Throttled))
            .copied()
            .find(|c| c.name() == s.trim())
            .ok_or_else(|| UnknownContender(s.to_string()))
    }
}
