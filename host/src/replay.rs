//! Replay a trace on a backend and write SPEC section 8's output.

use crate::{Error, Result};
use std::io::Write;
use tidekv_defs::trace::{format_output, Trace};
use tidekv_defs::{Config, Status};
use tidekv_sim::{Counters, SwapRecord};

/// Which implementation answers the trace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// The reference model (`tidekv-sim`).
    Model,
}

/// What a replay saw, beside its output lines.
#[derive(Debug, Clone)]
pub struct Summary {
    pub requests: u64,
    pub rounds: u64,
    pub latency: u64,
    pub counters: Counters,
    pub swaps: Vec<SwapRecord>,
}

impl Summary {
    pub fn to_text(&self) -> String {
        let c = &self.counters;
        let mut s = format!("{} requests over {} rounds, each answered at +{} rounds\n", self.requests, self.rounds, self.latency);
        let statuses: Vec<String> = Status::ALL.iter().map(|st| format!("{} {}", st, c.status[st.code() as usize])).collect();
        s += &format!("statuses: {}\n", statuses.join(", "));
        s += &format!(
            "replication anomalies: {} stale reads, {} conflicting conditional writes; failures detected: {}\n",
            c.stale_reads, c.conditional_conflicts, c.detections
        );
        for sw in &self.swaps {
            match &sw.result {
                Ok(()) => s += &format!("schedule swap took effect in round {}\n", sw.round),
                Err(e) => s += &format!("schedule swap in round {} refused: {e}\n", sw.round),
            }
        }
        s
    }
}

/// Replay `trace` on `backend`, writing one output line per request to `out`.
pub fn replay(backend: Backend, cfg: &Config, trace: &Trace, out: &mut dyn Write) -> Result<Summary> {
    match backend {
        Backend::Model => {
            let mut err = None;
            let mut n = 0u64;
            let m = tidekv_sim::replay(cfg, trace, |a| {
                n += 1;
                if err.is_none() {
                    if let Err(e) = writeln!(out, "{}", format_output(a.round, a.client, &a.request, &a.response, a.done_round)) {
                        err = Some(e);
                    }
                }
            });
            if let Some(e) = err {
                return Err(Error::Output(e));
            }
            out.flush().map_err(Error::Output)?;
            Ok(Summary { requests: n, rounds: m.round(), latency: m.latency(), counters: m.counters().clone(), swaps: m.swaps().to_vec() })
        }
    }
}
