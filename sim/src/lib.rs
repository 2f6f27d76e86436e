//! tidekv's reference model: plain, round-accurate, and the oracle the RTL
//! and every backend are checked against. See `model` for the round
//! structure and docs/DESIGN.md for every rule it follows.

pub mod model;
pub mod table;

pub use model::{
    replay, replay_service, Answer, Completed, Counters, Model, QueueCounters, Service, SwapRecord,
};
pub use table::{Owned, Slot, Table};
