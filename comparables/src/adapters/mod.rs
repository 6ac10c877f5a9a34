//! One adapter per channel. Each file maps the channel onto [`Publisher`]/[`Subscriber`].
//!
//! [`Publisher`]: crate::Publisher
//! [`Subscriber`]: crate::Subscriber

mod bus_crate;
mod queues;
mod ron;
mod tokio_broadcast;

pub use bus_crate::BusCrate;
pub use queues::{CrossbeamQueues, FlumeQueues};
pub use ron::{set_throttle_spins, throttle_spins, RonBus, Throttled};
pub use tokio_broadcast::TokioBroadcast;
