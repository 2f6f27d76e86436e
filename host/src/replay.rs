//! Replay a trace on a backend and write SPEC section 8's output.

use crate::client::Device;
use crate::transport::DeviceSpec;
use crate::ConfigSource;
use crate::{Error, Result};
use std::io::Write;
use std::path::PathBuf;
use tidekv_defs::record::{Counters, SwapRecord};
use tidekv_defs::trace::{format_output, Trace};
use tidekv_defs::{Config, Status};
use tidekv_driver::drive;
use tidekv_driver::drive::Core;

/// Which implementation answers the trace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Backend {
    /// The reference model (`tidekv-sim`).
    Model,
    /// The generated core in Verilator (verilated and cached on first use,
    /// `build/verilator/`), optionally writing a VCD waveform.
    Verilator {
        source: ConfigSource,
        vcd: Option<PathBuf>,
    },
    /// A device (a board or a virtual device) over its link, stepped one
    /// round per `Step` frame after a `Reset`.
    Device {
        spec: DeviceSpec,
        timeout: std::time::Duration,
    },
}

/// What a replay saw, beside its output lines.
#[derive(Debug, Clone)]
pub struct Summary {
    pub requests: u64,
    pub rounds: u64,
    pub latency: u64,
    pub counters: Counters,
    /// Whether `counters` holds the replication anomaly counts (the
    /// hardware does not count them).
    pub anomalies: bool,
    pub swaps: Vec<SwapRecord>,
}

impl Summary {
    pub fn to_text(&self) -> String {
        let c = &self.counters;
        let mut s = format!(
            "{} requests over {} rounds, each answered at +{} rounds\n",
            self.requests, self.rounds, self.latency
        );
        let statuses: Vec<String> = Status::ALL
            .iter()
            .map(|st| format!("{} {}", st, c.status[st.code() as usize]))
            .collect();
        s += &format!("statuses: {}\n", statuses.join(", "));
        if self.anomalies {
            s += &format!(
                "replication anomalies: {} stale reads, {} conflicting conditional writes; failures detected: {}\n",
                c.stale_reads, c.conditional_conflicts, c.detections
            );
        } else {
            s += &format!("replication anomalies: not counted by the hardware (replay on the model); failures detected: {}\n", c.detections);
        }
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
pub fn replay(
    backend: Backend,
    cfg: &Config,
    trace: &Trace,
    out: &mut dyn Write,
) -> Result<Summary> {
    match backend {
        Backend::Model => writing(out, |emit| {
            let m = tidekv_sim::replay(cfg, trace, emit);
            Ok(Summary {
                requests: 0,
                rounds: m.round(),
                latency: m.latency(),
                counters: m.counters().clone(),
                anomalies: true,
                swaps: m.swaps().to_vec(),
            })
        }),
        #[cfg(not(feature = "sim"))]
        Backend::Verilator { .. } => Err(crate::no_sim("--backend verilator")),
        #[cfg(feature = "sim")]
        Backend::Verilator { source, vcd } => writing(out, |emit| {
            use tidekv_cosim::verilator::{self, VCore};
            let (so, built) = verilator::build(&source.spec(), vcd.is_some())?;
            let mut core = VCore::open(&so, vcd.as_deref())?;
            // Command-line overrides of the schedule: staged and swapped in
            // at round 0, before any request (the build keeps its own).
            if built.schedule != cfg.schedule {
                drive::load_schedule(&mut core, &cfg.build, &cfg.schedule, 0)?;
            }
            let r = drive::replay(&mut core, &cfg.build, trace, emit)?;
            Ok(Summary {
                requests: 0,
                rounds: r.rounds,
                latency: core.latency,
                counters: r.counters,
                anomalies: false,
                swaps: r.swaps,
            })
        }),
        Backend::Device { spec, timeout } => {
            replay_device(&mut Device::open(&spec, timeout)?, cfg, trace, out)
        }
    }
}

/// Replay `trace` on a connected device, stepped one round per `Step`
/// frame after a `Reset` (its tables emptied, its round back to 0, `cfg`'s
/// schedule in force), as `replay` does with `Backend::Device`.
pub fn replay_device(
    dev: &mut Device,
    cfg: &Config,
    trace: &Trace,
    out: &mut dyn Write,
) -> Result<Summary> {
    if dev.info.build != cfg.build {
        return Err(Error::Usage(format!(
            "the device at {} is built for {}; the configuration is for {}: give the configuration the device was built with",
            dev.core.link.describe(),
            dev.info.build.summary(),
            cfg.build.summary()
        )));
    }
    writing(out, |emit| {
        dev.reset(&cfg.schedule)?;
        let r = drive::replay(&mut dev.core, &cfg.build, trace, emit)?;
        Ok(Summary {
            requests: 0,
            rounds: r.rounds,
            latency: dev.core.latency(),
            counters: r.counters,
            anomalies: false,
            swaps: r.swaps,
        })
    })
}

/// Run `f` with an emitter that writes each answer's output line to `out`;
/// the summary it returns, with the requests counted.
fn writing(
    out: &mut dyn Write,
    f: impl FnOnce(&mut dyn FnMut(&tidekv_sim::Answer)) -> Result<Summary>,
) -> Result<Summary> {
    let mut err = None;
    let mut n = 0u64;
    let mut emit = |a: &tidekv_sim::Answer| {
        n += 1;
        if err.is_none() {
            if let Err(e) = writeln!(
                out,
                "{}",
                format_output(a.round, a.client, &a.request, &a.response, a.done_round)
            ) {
                err = Some(e);
            }
        }
    };
    let summary = f(&mut emit)?;
    if let Some(e) = err {
        return Err(Error::Output(e));
    }
    out.flush().map_err(Error::Output)?;
    Ok(Summary {
        requests: n,
        ..summary
    })
}
