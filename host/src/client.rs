//! A connected device: its `Info`, single requests, counters, failures,
//! over any transport. Rounds and commands go through
//! `tidekv_driver::link::LinkCore` (stop-and-wait, or pipelined `Step`s within
//! the device's receive FIFO).

use crate::transport::{DeviceSpec, Transport};
use crate::{Error, Result};
use hdrhistogram::Histogram;
use std::collections::{BTreeMap, HashMap};
use std::time::Duration;
use tidekv_defs::link::{self, DeviceInfo};
use tidekv_defs::regs::{round_field, Cmd, CmdStatus, Counter};
use tidekv_defs::{Request, Response, Schedule, Status};
use tidekv_driver::drive::Core;
use tidekv_driver::link::{LinkCore, StepAnswer};

/// The wait for one answer when none is given (`--timeout`).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_millis(1000);

/// A device, connected and identified.
pub struct Device {
    pub core: LinkCore<Box<dyn Transport>>,
    pub info: DeviceInfo,
}

/// An answer and when, on the link's clock (`LinkCore::now`), the Step
/// that issued it was sent and the one that answered it came back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timed {
    pub answered: Answered,
    /// The device round whose `Step` answer carried the response.
    pub done_round: u64,
    pub sent: Duration,
    pub at: Duration,
}

/// What runs of rounds measured, answer by answer (`Device::run_rounds`'s
/// `Timed`s): the link-clock time they spanned, each request's latency in
/// ns and in rounds, and the statuses. `bench` and `stream` both report
/// from one of these.
pub struct RunStats {
    /// Answers noted.
    pub ops: u64,
    pub latency_ns: Histogram<u64>,
    pub latency_rounds: Histogram<u64>,
    /// Answers per status, every status listed.
    pub statuses: BTreeMap<String, u64>,
    span: Option<(Duration, Duration)>,
    closed: f64,
}

impl Default for RunStats {
    fn default() -> RunStats {
        RunStats {
            ops: 0,
            latency_ns: Histogram::new_with_bounds(1, 3_600_000_000_000, 3)
                .expect("histogram bounds"),
            latency_rounds: Histogram::new(3).expect("histogram"),
            statuses: Status::ALL.iter().map(|s| (s.to_string(), 0)).collect(),
            span: None,
            closed: 0.0,
        }
    }
}

impl RunStats {
    pub fn note(&mut self, t: &Timed) -> Result<()> {
        let (first, last) = self.span.get_or_insert((t.sent, t.at));
        *first = (*first).min(t.sent);
        *last = (*last).max(t.at);
        let ns = t.at.saturating_sub(t.sent).as_nanos().max(1) as u64;
        self.latency_ns
            .record(ns)
            .map_err(|e| Error::Device(format!("latency {ns} ns out of range: {e}")))?;
        let rounds = t.done_round - t.answered.round;
        self.latency_rounds
            .record(rounds)
            .map_err(|e| Error::Device(format!("latency {rounds} rounds out of range: {e}")))?;
        *self
            .statuses
            .entry(t.answered.response.status.to_string())
            .or_default() += 1;
        self.ops += 1;
        Ok(())
    }

    /// End a span: the time until the next answer noted (commands, events) is not counted.
    pub fn close_span(&mut self) {
        if let Some((first, last)) = self.span.take() {
            self.closed += last.saturating_sub(first).as_secs_f64();
        }
    }

    /// Link-clock seconds of the spans: from the first request's frame
    /// sent to the last answer taken.
    pub fn seconds(&self) -> f64 {
        self.closed
            + self.span.map_or(0.0, |(first, last)| {
                last.saturating_sub(first).as_secs_f64()
            })
    }

    /// `n` per second of `seconds` (0 for no time).
    pub fn per_s(&self, n: f64) -> f64 {
        let s = self.seconds();
        if s > 0.0 {
            n / s
        } else {
            0.0
        }
    }

    /// The latency at quantile `q`, in µs.
    pub fn us(&self, q: f64) -> f64 {
        self.latency_ns.value_at_quantile(q) as f64 / 1000.0
    }
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
            return Err(Error::Usage(format!(
                "client {client}: the device has clients 0..{c}"
            )));
        }
        let b = &self.info.build;
        if request.key > b.key_mask() || request.value > b.value_mask() {
            return Err(Error::Usage(format!(
                "key {} / value {}: the device takes {}-bit keys and {}-bit values",
                request.key, request.value, b.key_bits, b.value_bits
            )));
        }
        let mut round = vec![None; c as usize];
        round[client as usize] = Some(request);
        let mut got = None;
        self.run_rounds([round], usize::MAX, |t| {
            got = Some(t.answered);
            Ok(())
        })?;
        got.ok_or_else(|| {
            Error::Device(format!(
                "no response to {} key {} within {} rounds of its issue",
                request.op, request.key, self.info.latency
            ))
        })
    }

    /// Run `rounds` (client k issues `round[k]`) pipelined within `window`
    /// bytes (capped at the device's receive FIFO; 0: stop-and-wait), then
    /// the empty rounds that bring in the last answers. `on` gets every
    /// answer in (issue round, client) order with its link times. A
    /// request with no response is an error.
    pub fn run_rounds(
        &mut self,
        rounds: impl IntoIterator<Item = Vec<Option<Request>>>,
        window: usize,
        mut on: impl FnMut(&Timed) -> Result<()>,
    ) -> Result<()> {
        let c = self.clients() as usize;
        let lat = u64::from(self.info.latency);
        let drain = |n: u64| (0..n).map(move |_| vec![None; c]);
        // Device round -> when its Step was sent and what it carried.
        // (shared with the checks between passes)
        let issued: std::cell::RefCell<Issued> = Default::default();
        let mut answer = |_: usize, reqs: &[Option<Request>], a: StepAnswer| -> Result<()> {
            let mut issued = issued.borrow_mut();
            issued.insert(a.round, (a.sent, reqs.to_vec()));
            let Some(t) = a.round.checked_sub(lat) else {
                return Ok(());
            };
            let (sent, was) = issued.remove(&t).unwrap_or_default();
            for (client, r) in a.responses.iter().enumerate() {
                let asked = was.get(client).copied().flatten();
                match (r, asked) {
                    (Some((_, response)), Some(request)) => {
                        on(&Timed { answered: Answered { round: t, client: client as u32, request, response: *response }, done_round: a.round, sent, at: a.answered })?
                    }
                    (None, None) => {}
                    (Some(_), None) => return Err(Error::Device(format!("round {}: client {client} got an answer for round {t}, when it issued nothing then", a.round))),
                    (None, Some(q)) => {
                        return Err(Error::Device(format!("round {}: client {client}'s {} of key {} issued in round {t} got no response", a.round, q.op, q.key)))
                    }
                }
            }
            Ok(())
        };
        self.core
            .steps(rounds.into_iter().chain(drain(lat)), window, &mut answer)?;
        // A frame the device refused is resent at the end of the window:
        // if that was among the last, its rounds ran after some of the
        // empty ones, and their answers are still to come. Bring them in
        // (each pass ends with `lat` empty rounds after every round sent).
        for _ in 0..=self.core.retries {
            if !pending(&issued.borrow()) {
                return Ok(());
            }
            self.core.steps(drain(lat), window, &mut answer)?;
        }
        if pending(&issued.borrow()) {
            return Err(Error::Device(format!(
                "requests of rounds {:?} got no response after {} passes of {lat} empty rounds",
                issued
                    .borrow()
                    .iter()
                    .filter(|(_, (_, r))| r.iter().any(Option::is_some))
                    .map(|(t, _)| t)
                    .collect::<Vec<_>>(),
                self.core.retries + 1
            )));
        }
        Ok(())
    }

    /// The `window` for `run_rounds` that keeps `frames` `Step` frames in
    /// flight (`None`: as many as the device's receive FIFO holds).
    pub fn window_bytes(&self, frames: Option<usize>) -> usize {
        let fifo = self.info.rx_fifo_bytes as usize;
        match frames {
            None => fifo,
            // (frames with escaped bytes are longer: then fewer fit)
            Some(n) => {
                (n * link::step_frame_bytes(&self.info.build, link::MAX_STEP_ROUNDS)).min(fifo)
            }
        }
    }

    /// Reset the device (empty tables, round 0, cleared counters) and put
    /// `s` in force from round 0, as a fresh model starts.
    pub fn reset(&mut self, s: &Schedule) -> Result<()> {
        self.core.ok(Cmd::Reset, 0, 0)?;
        let b = self.info.build.clone();
        tidekv_driver::drive::load_schedule(&mut self.core, &b, s, 0)?;
        Ok(())
    }

    /// `info --json`'s object: the device's description, every `Info`
    /// field by name, and the round it is in.
    pub fn info_json(&mut self) -> Result<serde_json::Value> {
        let round = self.round()?;
        let mut o = serde_json::Map::new();
        o.insert("device".into(), self.core.link.describe().into());
        for (name, w) in link::INFO_FIELDS.iter().zip(self.info.words()) {
            o.insert((*name).into(), w.into());
        }
        o.insert("round".into(), round.into());
        Ok(serde_json::Value::Object(o))
    }

    /// `stats --json`'s object: `{"core": {name: n}, "link": {name: n}}`
    /// (`clear`: clear the link counters after reading them).
    pub fn stats_json(&mut self, clear: bool) -> Result<serde_json::Value> {
        let core: serde_json::Map<_, _> = self
            .counters()?
            .into_iter()
            .map(|(n, v)| (n.to_string(), v.into()))
            .collect();
        let link: serde_json::Map<_, _> = self
            .link_counters(clear)?
            .into_iter()
            .map(|(n, v)| (n.to_string(), v.into()))
            .collect();
        Ok(serde_json::json!({"core": core, "link": link}))
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
        Ok(v.into_iter()
            .enumerate()
            .map(|(i, n)| (link::link_counter_name(i), n))
            .collect())
    }

    /// Replica `replica` of shard `shard`'s table as the device holds it
    /// (`Cmd::ReadSlot`, slot by slot): `(key, value, slot)`, sorted.
    pub fn table(&mut self, shard: u32, replica: u32) -> Result<Vec<(u64, u64, u32)>> {
        let b = self.info.build.clone();
        if shard >= b.shards || replica >= b.replicas {
            return Err(Error::Usage(format!(
                "node {shard}/{replica}: the device has shards 0..{} with replicas 0..{}",
                b.shards, b.replicas
            )));
        }
        Ok(tidekv_driver::drive::read_table(
            &mut self.core,
            &b,
            shard,
            replica,
        )?)
    }

    /// Whether replica `replica` of `shard` is up (not crash-stopped, or
    /// back after `recover`), as the device says (`ReadSlot`'s node word).
    pub fn is_up(&mut self, shard: u32, replica: u32) -> Result<bool> {
        Ok(!tidekv_driver::drive::node_down(
            &mut self.core,
            &self.info.build,
            shard,
            replica,
        )?)
    }

    /// The build the device reports.
    pub fn build(&self) -> &tidekv_defs::BuildConfig {
        &self.info.build
    }

    /// Crash-stop (`fail`) or bring back (`recover`) replica `replica` of `shard`.
    pub fn set_failed(&mut self, shard: u32, replica: u32, failed: bool) -> Result<()> {
        let b = &self.info.build;
        if shard >= b.shards || replica >= b.replicas {
            return Err(Error::Usage(format!(
                "node {shard}/{replica}: the device has shards 0..{} with replicas 0..{}",
                b.shards, b.replicas
            )));
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

    /// `set_failed`, then `fail|recover --json`'s object: the node, its
    /// new state and the round it takes effect before.
    pub fn set_failed_json(
        &mut self,
        shard: u32,
        replica: u32,
        failed: bool,
    ) -> Result<serde_json::Value> {
        self.set_failed(shard, replica, failed)?;
        let round = self.round()?;
        Ok(
            serde_json::json!({"shard": shard, "replica": replica, "state": if failed { "failed" } else { "recovered" }, "round": round}),
        )
    }
}

/// The JSON line of an answer (the trace output format of SPEC section 8,
/// without `done_round`'s wait: it is `round + latency`).
/// A table's digest: CRC-64 (ECMA-182, as the explorer's cache key) over
/// its sorted entries, each key, value and slot little-endian (8, 8, 4
/// bytes). Equal tables, equal digests; replicas of a shard place every
/// entry in the same slot.
pub fn table_digest(entries: &[(u64, u64, u32)]) -> u64 {
    let crc = crc::Crc::<u64>::new(&crc::CRC_64_ECMA_182);
    let mut d = crc.digest();
    for (k, v, s) in entries {
        d.update(&k.to_le_bytes());
        d.update(&v.to_le_bytes());
        d.update(&s.to_le_bytes());
    }
    d.finalize()
}

/// `run_rounds`' rounds sent and not yet answered: device round -> when its
/// `Step` was sent and what it carried.
type Issued = HashMap<u64, (Duration, Vec<Option<Request>>)>;

/// Whether a round sent by `run_rounds` still waits for its answers.
fn pending(issued: &Issued) -> bool {
    issued.values().any(|(_, r)| r.iter().any(Option::is_some))
}

pub fn answer_json(a: &Answered, latency: u64) -> String {
    tidekv_defs::trace::format_output(
        a.round,
        a.client,
        &a.request,
        &a.response,
        a.round + latency,
    )
}
