//! A connected device: its `Info`, single requests, counters, failures,
//! over any transport. Rounds and commands go through
//! `tidekv_sim::link::LinkCore` (stop-and-wait, or pipelined `Step`s within
//! the device's receive FIFO).

use crate::transport::{DeviceSpec, Transport};
use crate::{Error, Result};
use std::time::Duration;
use tidekv_defs::link::{self, DeviceInfo};
use tidekv_defs::regs::{round_field, Cmd, CmdStatus, Counter};
use tidekv_defs::{Request, Response};
use tidekv_sim::drive::Core;
use tidekv_sim::link::LinkCore;

/// The wait for one answer when none is given (`--timeout`).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_millis(1000);

/// A device, connected and identified.
pub struct Device {
    pub core: LinkCore<Box<dyn Transport>>,
    pub info: DeviceInfo,
}

/// One request's answer: the round it was issued in and its response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Answered {
    pub round: u64,
    pub client: u32,
    pub request: Request,
    pub response: Response,
}

impl Device {
    /// Open `spec` and ask the device who it is.
    pub fn open(spec: &DeviceSpec, timeout: Duration) -> Result<Device> {
        Device::on(spec.open()?, timeout)
    }

    /// A device at the end of a transport already open.
    pub fn on(t: Box<dyn Transport>, timeout: Duration) -> Result<Device> {
        let (core, info) = LinkCore::connect(t, timeout)?;
        Ok(Device { core, info })
    }

    /// Client ports.
    pub fn clients(&self) -> u32 {
        self.info.build.clients
    }

    /// The round the device is in (the next round a `Step` runs).
    pub fn round(&mut self) -> Result<u64> {
        Ok(round_field(self.core.ok(Cmd::Info, 0, 0)?))
    }

    /// One request from `client`, run to its answer (the rounds after it
    /// carry nothing).
    pub fn request(&mut self, client: u32, request: Request) -> Result<Answered> {
        let c = self.clients();
        if client >= c {
            return Err(Error::Usage(format!("--client {client}: the device has clients 0..{c}")));
        }
        let lat = self.core.latency() as usize;
        let mut rounds = vec![vec![None; c as usize]; lat + 1];
        rounds[0][client as usize] = Some(request);
        let mut issued = None;
        let mut got = None;
        self.core.steps(rounds, usize::MAX, |i, _, a| {
            if i == 0 {
                issued = Some(a.round);
            }
            if let Some(Some((t, r))) = a.responses.get(client as usize) {
                if Some(*t) == issued {
                    got = Some(*r);
                }
            }
            Ok(())
        })?;
        match (issued, got) {
            (Some(round), Some(response)) => Ok(Answered { round, client, request, response }),
            _ => Err(Error::Device(format!("no response to {} key {} within {lat} rounds of its issue", request.op, request.key))),
        }
    }

    /// Every counter of the core (`Counter`), by name.
    pub fn counters(&mut self) -> Result<Vec<(&'static str, u64)>> {
        let mut out = Vec::new();
        for c in Counter::ALL {
            out.push((c.name(), self.core.counter(*c)?));
        }
        Ok(out)
    }

    /// The link counters, by name.
    pub fn link_counters(&mut self, clear: bool) -> Result<Vec<(&'static str, u32)>> {
        let v = self.core.link_stats(clear)?;
        Ok(v.into_iter().enumerate().map(|(i, n)| (link::link_counter_name(i), n)).collect())
    }

    /// Crash-stop (`fail`) or bring back (`recover`) replica `replica` of `shard`.
    pub fn set_failed(&mut self, shard: u32, replica: u32, failed: bool) -> Result<()> {
        let b = &self.info.build;
        if shard >= b.shards || replica >= b.replicas {
            return Err(Error::Usage(format!("node {shard}/{replica}: the device has shards 0..{} with replicas 0..{}", b.shards, b.replicas)));
        }
        let node = shard * b.replicas + replica;
        let cmd = if failed { Cmd::Fail } else { Cmd::Recover };
        match self.core.cmd(cmd, node, 0)? {
            (CmdStatus::Ok, _) => Ok(()),
            (CmdStatus::NodeState, _) => Err(Error::Device(format!(
                "node {shard}/{replica} failed in this same round: it can recover from the next round on (run a request first)"
            ))),
            (st, _) => Err(Error::Device(format!("{cmd} of node {shard}/{replica} answered {st}"))),
        }
    }
}

/// The JSON line of an answer (the trace output format of SPEC section 8,
/// without `done_round`'s wait: it is `round + latency`).
pub fn answer_json(a: &Answered, latency: u64) -> String {
    tidekv_defs::trace::format_output(a.round, a.client, &a.request, &a.response, a.round + latency)
}
