//! The records every way of running tidekv reports in, whatever runs it
//! (the model, the Verilated core, a device behind its link): the answer to
//! one request, the counters, the outcome of a staged schedule.

use crate::{Request, Response};

/// What a run counts, beyond the responses themselves (the model counts
/// them all; a core or a device reports what its hardware counts).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counters {
    /// Requests the clients issued (after the calendar).
    pub issued: u64,
    /// Responses per status code.
    pub status: [u64; 5],
    /// A read served in round t on one replica while another replica of the
    /// shard wrote the same key in round t (SPEC section 4).
    pub stale_reads: u64,
    /// Pairs of same-round conditional writes (insert, modify) to one key on
    /// different replicas that both succeeded.
    pub conditional_conflicts: u64,
    /// Replicas the FE found failed by a missing response.
    pub detections: u64,
    /// Requests the calendar kept from issuing.
    pub calendar_blocked: u64,
}

/// The outcome of a staged schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SwapRecord {
    pub round: u64,
    /// `Err(reason)` if the device-side check refused it.
    pub result: Result<(), String>,
}

/// One output record of a replay: a request and what answered it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Answer {
    pub round: u64,
    pub client: u32,
    pub request: Request,
    pub response: Response,
    pub done_round: u64,
}
