//! `tidekv bench`: an open-loop benchmark of a device. Every client issues
//! a request every round (the load never waits for answers); rounds go out
//! as `Step` frames pipelined within a window. Latency is measured per
//! request from the moment its round's frame went on the link to the moment
//! the frame carrying its answer came off it, on the link's clock (a
//! simulated device's simulated time, else wall-clock time), and in rounds.
//!
//! Goodput: the request and response slot bytes of answered requests per
//! second in the busier direction, over the wire rate (bytes/s) of a serial
//! link. Framing (END, header, CRC, escapes), the round field of answers,
//! idle line and turnarounds are the overhead it leaves out; `link_ratio`
//! counts every byte that crossed the link in that direction instead.

use crate::client::{Device, RunStats};
use crate::workload::{KeyDist, Mix, Workload};
use crate::{Error, Result};
use serde::Serialize;
use std::collections::BTreeMap;
use tidekv_defs::layout::{request_layout, response_layout};
use tidekv_defs::{Request, Status};

/// What to run.
#[derive(Debug, Clone)]
pub struct BenchParams {
    pub mix: Mix,
    pub dist: KeyDist,
    /// Keys loaded before the run, and drawn from during it.
    pub records: u64,
    /// Rounds measured (every client issuing in each).
    pub rounds: u64,
    /// Step frames in flight (`None`: as many as the device's FIFO holds;
    /// `Some(0)` or `Some(1)`: stop-and-wait).
    pub window_frames: Option<usize>,
    pub seed: u64,
    /// Load the records first (skip for a device already loaded).
    pub load: bool,
}

/// What a run measured (`--json` prints it).
#[derive(Debug, Clone, Serialize)]
pub struct BenchReport {
    pub workload: String,
    pub distribution: String,
    pub records: u64,
    pub clients: u32,
    pub rounds: u64,
    pub window_bytes: usize,
    /// Requests answered in the measured rounds.
    pub ops: u64,
    /// Link-clock seconds from the first measured frame sent to the last answer.
    pub seconds: f64,
    /// `simulated` (an in-process Verilated device) or `wall`.
    pub clock: &'static str,
    pub ops_per_s: f64,
    pub p50_us: f64,
    pub p99_us: f64,
    pub p999_us: f64,
    pub max_us: f64,
    pub p50_rounds: u64,
    pub p99_rounds: u64,
    pub p999_rounds: u64,
    pub statuses: BTreeMap<String, u64>,
    /// Records the load phase wrote (`ok`).
    pub loaded: u64,
    /// Bytes per second the wire carries each way, if serial.
    pub wire_bytes_per_s: Option<f64>,
    pub goodput_ratio: Option<f64>,
    pub link_ratio: Option<f64>,
    /// Frames resent after `Nack`s.
    pub resent: u64,
}

impl BenchReport {
    pub fn to_text(&self) -> String {
        let ratio = |r: Option<f64>| {
            r.map_or_else(
                || "n/a (not a serial link)".to_string(),
                |r| format!("{r:.3}"),
            )
        };
        let st: Vec<String> = self
            .statuses
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect();
        format!(
            "{} ({}, {} records), {} clients x {} rounds, window {} bytes\n\
             {} requests in {:.4} s ({} clock): {:.0} requests/s\n\
             latency: p50 {:.1} us, p99 {:.1} us, p99.9 {:.1} us, max {:.1} us; in rounds: p50 {}, p99 {}, p99.9 {}\n\
             statuses: {}\n\
             goodput / wire rate: {}; link bytes / wire rate: {}; frames resent: {}",
            self.workload,
            self.distribution,
            self.records,
            self.clients,
            self.rounds,
            self.window_bytes,
            self.ops,
            self.seconds,
            self.clock,
            self.ops_per_s,
            self.p50_us,
            self.p99_us,
            self.p999_us,
            self.max_us,
            self.p50_rounds,
            self.p99_rounds,
            self.p999_rounds,
            st.join(", "),
            ratio(self.goodput_ratio),
            ratio(self.link_ratio),
            self.resent
        )
    }
}

/// Load the records, then run the measured rounds; `progress` gets the
/// number of measured requests answered so far.
pub fn run(d: &mut Device, p: &BenchParams, mut progress: impl FnMut(u64)) -> Result<BenchReport> {
    let b = d.info.build.clone();
    let c = d.clients() as usize;
    let mut w = Workload::new(&b, p.mix, p.dist, p.records, p.seed)
        .map_err(|e| Error::Usage(format!("--records: {e}")))?;
    let window = d.window_bytes(p.window_frames);
    let mut loaded = 0u64;
    if p.load {
        let loads: Vec<Option<Request>> = (0..p.records).map(|i| Some(w.load(i))).collect();
        let rounds = loads.chunks(c).map(|round| {
            let mut round = round.to_vec();
            round.resize(c, None);
            round
        });
        d.run_rounds(rounds, d.window_bytes(None), |t| {
            loaded += u64::from(t.answered.response.status == Status::Ok);
            Ok(())
        })?;
    }

    let (out0, in0, resent0) = (d.core.bytes_out, d.core.bytes_in, d.core.resent);
    let rounds = (0..p.rounds)
        .map(|_| (0..c).map(|_| Some(w.next_request())).collect::<Vec<_>>())
        .collect::<Vec<_>>();
    let mut st = RunStats::default();
    d.run_rounds(rounds, window, |t| {
        st.note(t)?;
        if st.ops % 1024 == 0 {
            progress(st.ops);
        }
        Ok(())
    })?;
    progress(st.ops);
    let ops = st.ops;
    let wire = d.core.link.wire_rate();
    let good = (ops * request_layout(&b).bytes() as u64)
        .max(ops * response_layout(&b).bytes() as u64) as f64;
    let on_link = (d.core.bytes_out - out0).max(d.core.bytes_in - in0) as f64;
    Ok(BenchReport {
        workload: p.mix.name().into(),
        distribution: p.dist.to_string(),
        records: p.records,
        clients: c as u32,
        rounds: p.rounds,
        window_bytes: window,
        ops,
        seconds: st.seconds(),
        clock: if d.core.link.elapsed().is_some() {
            "simulated"
        } else {
            "wall"
        },
        ops_per_s: st.per_s(ops as f64),
        p50_us: st.us(0.5),
        p99_us: st.us(0.99),
        p999_us: st.us(0.999),
        max_us: st.latency_ns.max() as f64 / 1000.0,
        p50_rounds: st.latency_rounds.value_at_quantile(0.5),
        p99_rounds: st.latency_rounds.value_at_quantile(0.99),
        p999_rounds: st.latency_rounds.value_at_quantile(0.999),
        statuses: st.statuses.clone(),
        loaded,
        wire_bytes_per_s: wire,
        goodput_ratio: wire.map(|r| st.per_s(good) / r),
        link_ratio: wire.map(|r| st.per_s(on_link) / r),
        resent: d.core.resent - resent0,
    })
}
