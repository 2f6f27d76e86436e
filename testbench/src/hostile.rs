//! The hostile link campaign (SPEC's link promises at volume): bad frames of
//! every kind against the Verilated device top, interleaved with good
//! traffic, each group of frames checked against what the link's software
//! model (`link::expected_answers`) says the device answers:
//!
//! - no hang: every frame is answered within a bound of clocks;
//! - nothing corrupt accepted: a frame the model drops is answered with the
//!   `Nack` of the model's reason and sequence number, never served;
//! - every drop counted: the device's `LinkStats` equal the drops the model
//!   predicts, reason by reason, at every check;
//! - no state change: good rounds between the groups answer exactly as the
//!   reference model that saw only the good rounds, and so do the device's
//!   counters at the end;
//! - read-only frames with replayed and out-of-order sequence numbers are
//!   answered, their number echoed, their answer what it was;
//! - bursts that overrun the receive FIFO and half frames the watchdog drops
//!   leave the device serving.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::BTreeMap;
use tidekv_cosim::verilator::VDevice;
use tidekv_defs::link::{
    self, cmd_payload, expected_answers, Deframer, Drop, Frame, FrameType, LINK_COUNTERS, SLIP_END,
    SLIP_ESC,
};
use tidekv_defs::regs::{Cmd, Counter};
use tidekv_defs::{BuildConfig, Config, Op, Request};
use tidekv_driver::drive::Core;
use tidekv_driver::link::LinkCore;
use tidekv_sim::Model;

/// The kinds of bad frame, by name (the summary counts each).
pub const KINDS: &[&str] = &[
    "bit_flips",
    "truncated",
    "garbage",
    "bad_escape",
    "unknown_type",
    "host_nack",
    "length_field",
    "payload_size",
    "bad_op",
    "step_rounds",
    "cmd_code",
    "stats_flags",
    "over_long",
    "wrong_crc",
];

/// Read-only frames sent among the bad ones with replayed (the previous
/// probe's) or out-of-order sequence numbers: answered, never dropped.
pub const PROBES: &[&str] = &["info", "read_counter", "link_stats"];

/// How much a link campaign runs.
#[derive(Debug, Clone)]
pub struct LinkPlan {
    /// Bad frames to send.
    pub frames: u64,
    pub seed: u64,
    /// Good rounds (every client issuing) after every this many groups.
    pub traffic_every: u64,
    pub traffic_rounds: u64,
    /// A FIFO-overrunning burst after every this many groups (0: none).
    pub burst_every: u64,
    /// A half frame left to the watchdog after every this many groups (0: none).
    pub timeout_every: u64,
}

impl LinkPlan {
    /// A plan of `frames` bad frames with the default mix of the rest.
    pub fn new(frames: u64, seed: u64) -> LinkPlan {
        LinkPlan {
            frames,
            seed,
            traffic_every: 200,
            traffic_rounds: 4,
            burst_every: 5_000,
            timeout_every: 5_000,
        }
    }
}

/// A link campaign's figures (the JSON summary's row).
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct LinkSummary {
    pub target: String,
    /// Bad frames sent, and of them per kind.
    pub frames: u64,
    pub kinds: BTreeMap<String, u64>,
    /// Answers the device gave with a `Nack`, per reason (as the model said).
    pub nacks: BTreeMap<String, u64>,
    /// Read-only probes sent (replayed or out-of-order sequence numbers), answered.
    pub probes: u64,
    /// Bad frames the device served (0 or the campaign fails).
    pub accepted_corrupt: u64,
    /// Groups the device did not finish answering within their bound.
    pub hangs: u64,
    /// Answers, counters or link counters that differ from the model's.
    pub mismatches: u64,
    /// Good requests served between the groups, checked against the model.
    pub good_requests: u64,
    pub bursts: u64,
    pub burst_overruns: u64,
    pub timeouts: u64,
    pub clocks: u64,
    pub seconds: f64,
    pub frames_per_s: f64,
    /// What failed (the first few), with the seed and group.
    pub failures: Vec<String>,
}

/// The wire form of a frame body: `END body END`.
fn wire(body: &[u8]) -> Vec<u8> {
    let mut w = vec![SLIP_END];
    link::slip_escape(body, &mut w);
    w.push(SLIP_END);
    w
}

/// A body with a correct CRC over whatever header and payload it is given.
fn with_crc(ty: u8, seq: u8, len: u16, payload: &[u8]) -> Vec<u8> {
    let mut b = vec![ty, seq];
    b.extend_from_slice(&len.to_le_bytes());
    b.extend_from_slice(payload);
    let crc = link::FRAME_CRC.checksum(&b);
    b.extend_from_slice(&crc.to_le_bytes());
    b
}

/// One bad frame of kind `k` (an index of `KINDS`), as wire bytes.
pub fn bad_frame(rng: &mut StdRng, b: &BuildConfig, k: usize, seq: u8) -> Vec<u8> {
    let cmd = Frame::new(
        FrameType::Cmd,
        seq,
        cmd_payload(Cmd::ReadCounter.code(), Counter::Issued.code().into(), 0),
    );
    let step_len = link::step_bytes(b);
    let mut step_payload = vec![0u8; step_len];
    rng.fill(&mut step_payload[..]);
    let step = Frame::new(FrameType::Step, seq, step_payload);
    match KINDS[k] {
        // One to four bits flipped anywhere on the wire (framing included).
        "bit_flips" => {
            let mut w = if rng.gen_bool(0.5) { step } else { cmd }.encode();
            for _ in 0..rng.gen_range(1..=4) {
                let i = rng.gen_range(1..w.len() - 1);
                w[i] ^= 1 << rng.gen_range(0..8);
            }
            w
        }
        "truncated" => {
            let body = if rng.gen_bool(0.5) { step } else { cmd }.body();
            wire(&body[..rng.gen_range(1..body.len())])
        }
        "garbage" => {
            let n = rng.gen_range(1..300);
            let mut g = vec![SLIP_END];
            g.extend((0..n).map(|_| rng.gen::<u8>()));
            g.push(SLIP_END);
            g
        }
        "bad_escape" => {
            let mut w = cmd.encode();
            let i = rng.gen_range(1..w.len() - 1);
            w.insert(i, SLIP_ESC);
            if rng.gen_bool(0.5) {
                // ESC then END: the escape is cut off.
                let n = w.len();
                w.truncate(i + 1);
                w.push(SLIP_END);
                debug_assert!(w.len() <= n);
            }
            w
        }
        "unknown_type" => wire(&with_crc(rng.gen_range(6..=14), seq, 0, &[])),
        "host_nack" => wire(&with_crc(FrameType::Nack.code(), seq, 2, &[1, 1])),
        // The length field disagrees with the body, the CRC right.
        "length_field" => {
            let p = cmd.payload.clone();
            let len = (p.len() as u16).wrapping_add(rng.gen_range(1..100));
            wire(&with_crc(FrameType::Cmd.code(), seq, len, &p))
        }
        // A payload of the wrong size for its type.
        "payload_size" => {
            let (ty, good) = match rng.gen_range(0..4) {
                0 => (FrameType::Cmd, link::CMD_BYTES),
                1 => (FrameType::Info, 0),
                2 => (FrameType::LinkStats, link::STATS_BYTES),
                _ => (FrameType::Collect, 0),
            };
            let mut n = rng.gen_range(0..40);
            if n == good {
                n += 1;
            }
            let p: Vec<u8> = (0..n).map(|_| rng.gen()).collect();
            wire(&with_crc(ty.code(), seq, n as u16, &p))
        }
        // A valid request slot with an op code past the last.
        "bad_op" => {
            let slot = step_len / b.clients as usize;
            let mut p = vec![0u8; step_len];
            p[slot * rng.gen_range(0..b.clients as usize)] = 1 | (rng.gen_range(5..8) << 1);
            Frame::new(FrameType::Step, seq, p).encode()
        }
        // More rounds than a frame may carry, or part of a round.
        "step_rounds" => {
            let n = if rng.gen_bool(0.5) {
                (link::MAX_STEP_ROUNDS + 1) * step_len
            } else {
                step_len + rng.gen_range(1..step_len)
            };
            Frame::new(FrameType::Step, seq, vec![0; n]).encode()
        }
        "cmd_code" => Frame::new(
            FrameType::Cmd,
            seq,
            cmd_payload(rng.gen_range(32..=255), 0, 0),
        )
        .encode(),
        "stats_flags" => {
            Frame::new(FrameType::LinkStats, seq, vec![rng.gen_range(2..=255)]).encode()
        }
        // Longer than the largest frame the device takes.
        "over_long" => {
            let n = link::max_payload(b) + rng.gen_range(1..300);
            let p: Vec<u8> = (0..n).map(|_| rng.gen()).collect();
            wire(&with_crc(FrameType::Step.code(), seq, n as u16, &p))
        }
        "wrong_crc" => {
            let mut body = if rng.gen_bool(0.5) { step } else { cmd }.body();
            let n = body.len();
            let x: u32 = rng.gen_range(1..=u32::MAX);
            for (i, byte) in x.to_le_bytes().iter().enumerate() {
                body[n - 4 + i] ^= byte;
            }
            wire(&body)
        }
        other => unreachable!("kind {other}"),
    }
}

/// A read-only frame (`PROBES[k]`), as the host would send it.
fn probe(k: usize, seq: u8) -> Frame {
    match PROBES[k] {
        "info" => Frame::new(FrameType::Info, seq, vec![]),
        "read_counter" => Frame::new(
            FrameType::Cmd,
            seq,
            cmd_payload(Cmd::ReadCounter.code(), Counter::Issued.code().into(), 0),
        ),
        _ => Frame::new(FrameType::LinkStats, seq, vec![0]),
    }
}

/// The campaign's state between groups.
struct Run<'a> {
    c: LinkCore<VDevice>,
    model: Model,
    b: BuildConfig,
    rng: StdRng,
    s: &'a mut LinkSummary,
    /// The `Info` answer, which never changes.
    info: Vec<u8>,
    /// Clocks of silence after which the device drops a half frame.
    watchdog: u64,
    /// Link counters the device should show since they were last cleared.
    stats: [u64; LINK_COUNTERS],
    /// The device's `issued` counter, read after the last good rounds: bad
    /// frames leave it as it is.
    issued: u64,
    group: u64,
    seq: u8,
    round: u64,
}

impl Run<'_> {
    fn fail(&mut self, what: String) {
        self.s.mismatches += 1;
        if self.s.failures.len() < 10 {
            self.s
                .failures
                .push(format!("group {}: {what}", self.group));
        }
    }

    fn next_seq(&mut self) -> u8 {
        self.seq = self.seq.wrapping_add(1);
        self.seq
    }

    /// Send `bytes`, clock until `ends` END bytes came out or `limit`
    /// clocks; the frames that came back.
    fn exchange(&mut self, bytes: &[u8], ends: u64, limit: u64) -> Vec<Frame> {
        let out = self.c.link.run_bytes(bytes, ends, limit);
        let mut d = Deframer::new(link::max_answer(&self.b));
        let mut got = vec![];
        d.push_all(&out, |r| got.push(r));
        got.into_iter()
            .map(|r| r.map_err(|e| format!("the device sent a bad frame: {e:?}")))
            .collect::<Result<Vec<_>, _>>()
            .unwrap_or_else(|e| {
                self.fail(e);
                vec![]
            })
    }

    /// One group of bad frames and probes, small enough that their answers
    /// cannot overrun the receive FIFO; checked answer by answer.
    fn group(&mut self, left: u64) -> u64 {
        let mut bytes = vec![];
        let mut sent = 0;
        let mut budget = 0usize;
        let mut probes = 0;
        while budget < 260 && sent < left {
            if self.rng.gen_bool(0.15) {
                // A probe: the previous frame's sequence number again, or an
                // earlier one.
                let seq = if self.rng.gen_bool(0.5) {
                    self.seq
                } else {
                    self.seq.wrapping_sub(self.rng.gen_range(1..100))
                };
                let k = self.rng.gen_range(0..PROBES.len());
                probe(k, seq).encode_into(&mut bytes);
                budget += if k == 0 { self.info.len() + 30 } else { 60 };
                probes += 1;
            } else {
                let k = self.rng.gen_range(0..KINDS.len());
                let seq = self.next_seq();
                let f = bad_frame(&mut self.rng, &self.b, k, seq);
                bytes.extend_from_slice(&f);
                *self.s.kinds.entry(KINDS[k].to_string()).or_default() += 1;
                budget += 30;
                sent += 1;
            }
        }
        let want = expected_answers(&self.b, &bytes);
        let limit = 20_000 + 8 * bytes.len() as u64 + 200 * want.len() as u64;
        let got = self.exchange(&bytes, 2 * want.len() as u64, limit);
        if got.len() != want.len() {
            self.s.hangs += 1;
            self.fail(format!(
                "{} answers to {} frames within {limit} clocks (a hang); bytes {bytes:02x?}",
                got.len(),
                want.len()
            ));
            return sent;
        }
        for (w, g) in want.iter().zip(&got) {
            match w {
                Err(d) => {
                    if g.ty != FrameType::Nack.code() {
                        self.s.accepted_corrupt += 1;
                        self.fail(format!(
                            "a frame the model drops ({}) was served: {g:?}",
                            d.reason
                        ));
                    } else if (g.seq, &g.payload) != (d.seq, &link::nack_payload(d)) {
                        self.fail(format!("Nack {g:?}, the model's {d:?}"));
                    }
                    self.stats[d.reason.code() as usize] += 1;
                    *self.s.nacks.entry(d.reason.to_string()).or_default() += 1;
                }
                Ok(f) => {
                    let want_payload = match f.frame_type() {
                        Some(FrameType::Info) => Some(self.info.clone()),
                        Some(FrameType::Cmd) => {
                            let mut p = vec![0u8];
                            p.extend_from_slice(&self.issued.to_le_bytes());
                            Some(p)
                        }
                        Some(FrameType::LinkStats) => Some(
                            self.stats
                                .iter()
                                .flat_map(|&x| (x as u32).to_le_bytes())
                                .collect(),
                        ),
                        _ => None,
                    };
                    if g.ty != f.ty || g.seq != f.seq || Some(&g.payload) != want_payload.as_ref() {
                        self.fail(format!(
                            "probe {f:?} answered {g:?}, the model's payload {want_payload:02x?}"
                        ));
                    }
                    self.stats[0] += 1;
                }
            }
        }
        self.s.probes += probes;
        sent
    }

    /// The link counters equal the model's since the last clear; then clear.
    fn check_stats(&mut self, what: &str) {
        match self.c.link_stats(true) {
            Ok(st) => {
                let want: Vec<u32> = self.stats.iter().map(|&x| x as u32).collect();
                if st != want {
                    self.fail(format!(
                        "link counters after {what}: the device {st:?}, the model {want:?}"
                    ));
                }
            }
            Err(e) => self.fail(format!("LinkStats after {what}: {e}")),
        }
        self.stats = [0; LINK_COUNTERS];
    }

    /// Good rounds, every client issuing, on the device and the model.
    fn traffic(&mut self, rounds: u64) {
        let keys = 64;
        for _ in 0..rounds {
            let reqs: Vec<Option<Request>> = (0..self.b.clients)
                .map(|_| {
                    let op = Op::ALL[self.rng.gen_range(0..Op::ALL.len())];
                    let key = self.rng.gen_range(0..keys);
                    let value =
                        self.rng.gen::<u64>() & tidekv_defs::config::mask(self.b.value_bits);
                    Some(Request::new(op, key, op.takes_value().then_some(value)))
                })
                .collect();
            self.s.good_requests += reqs.len() as u64;
            self.round_both(&reqs);
        }
        // A node's work for a round's last slots runs into the next round
        // (docs/DESIGN.md, "RTL timing"): read between rounds, `issued`
        // lags the model by at most the last round's requests.
        let model = self.model.counters().issued;
        match self.c.counter(Counter::Issued) {
            Ok(n) if n <= model && n + u64::from(self.b.clients) >= model => self.issued = n,
            Ok(n) => self.fail(format!(
                "issued after good rounds: the device {n}, the model {model}"
            )),
            Err(e) => self.fail(format!("reading issued: {e}")),
        }
        self.stats[0] += 1;
    }

    fn round_both(&mut self, reqs: &[Option<Request>]) {
        let want: Vec<Option<(u64, tidekv_defs::Response)>> = {
            let a = self.model.step_answers(reqs);
            let mut v = vec![None; self.b.clients as usize];
            for x in a {
                v[x.client as usize] = Some((x.round, x.response));
            }
            v
        };
        self.round += 1;
        self.stats[0] += 1;
        match self.c.round(reqs) {
            Ok(got) if got == want => {}
            Ok(got) => self.fail(format!(
                "good round {}: the device answered {got:?}, the model {want:?}",
                self.round
            )),
            Err(e) => self.fail(format!("good round {}: {e}", self.round)),
        }
    }

    /// Back-to-back `Info` frames whose answers outgrow the receive FIFO:
    /// every frame is answered, served or dropped as an overrun (the last
    /// maybe as a timeout), and the overruns are counted.
    fn burst(&mut self) {
        self.check_stats("the groups before a burst");
        let n = self.rng.gen_range(60..200);
        let mut bytes = vec![];
        for _ in 0..n {
            let seq = self.next_seq();
            Frame::new(FrameType::Info, seq, vec![]).encode_into(&mut bytes);
        }
        let mut got = self.exchange(&bytes, 0, 200 * n + 2 * self.watchdog);
        // If the burst's last bytes were lost, the next byte the device
        // takes carries the mark: one END (an empty frame is nothing, so a
        // host may always send one) closes the frame that lost them, with
        // an overrun `Nack`. If its last END alone was lost, the watchdog
        // has dropped the frame already and the END only ends the skipping
        // (before 2026-12-06 it opened a phantom frame that timed out and
        // swallowed the next frame: the regression this checks).
        let more = self.exchange(&[SLIP_END], 0, 2 * self.watchdog);
        if more.len() > 1
            || more.iter().any(|g| {
                (g.ty, g.payload.first()) != (FrameType::Nack.code(), Some(&Drop::Overrun.code()))
            })
        {
            self.fail(format!("burst: the END after it answered {more:?}"));
        }
        got.extend(more);
        let nacks = |r: Drop| {
            got.iter()
                .filter(|g| g.ty == FrameType::Nack.code() && g.payload[0] == r.code())
                .count() as u64
        };
        let (overruns, timeouts) = (nacks(Drop::Overrun), nacks(Drop::Timeout));
        let infos = got
            .iter()
            .filter(|g| g.ty == FrameType::Info.code() && g.payload == self.info)
            .count() as u64;
        if infos + overruns + timeouts != got.len() as u64 || timeouts > 1 || infos == 0 {
            self.fail(format!(
                "burst of {n}: {infos} answered, {overruns} overruns, {timeouts} timeouts, {} frames back",
                got.len()
            ));
        }
        self.s.bursts += 1;
        self.s.burst_overruns += overruns;
        match self.c.link_stats(true) {
            Ok(st) => {
                let want = [
                    (0, infos),
                    (Drop::Overrun.code(), overruns),
                    (Drop::Timeout.code(), timeouts),
                ];
                if want.iter().any(|&(i, n)| u64::from(st[i as usize]) != n)
                    || st.iter().sum::<u32>() as u64 != infos + overruns + timeouts
                {
                    self.fail(format!(
                        "burst: link counters {st:?}, {infos} served, {overruns} overruns and {timeouts} timeouts answered"
                    ));
                }
            }
            Err(e) => self.fail(format!("LinkStats after a burst: {e}")),
        }
    }

    /// Half a frame, then silence past the watchdog: a `timeout` Nack.
    fn half_frame(&mut self) {
        let seq = self.next_seq();
        let f = probe(1, seq).encode();
        let cut = self.rng.gen_range(3..f.len() - 1);
        let got = self.exchange(&f[..cut], 2, 2 * self.watchdog + 1_000);
        // The device now skips to the next `END`: a host resynchronises.
        let more = self.exchange(&[SLIP_END], 0, 4);
        if !more.is_empty() {
            self.fail(format!(
                "half frame: a resynchronising END answered {more:?}"
            ));
        }
        let want = vec![Drop::Timeout.code(), FrameType::Cmd.code()];
        match got.first() {
            Some(g) if g.ty == FrameType::Nack.code() && g.payload == want => {}
            other => self.fail(format!(
                "half frame: answered {other:?}, want a timeout Nack"
            )),
        }
        self.stats[Drop::Timeout.code() as usize] += 1;
        *self.s.nacks.entry(Drop::Timeout.to_string()).or_default() += 1;
        self.s.timeouts += 1;
    }
}

/// Run `plan` on a fresh Verilated device top from `so` (the preset `name`
/// of configuration `cfg`). `progress(frames sent)` after each group.
pub fn run_link_campaign(
    name: &str,
    cfg: &Config,
    so: &std::path::Path,
    plan: &LinkPlan,
    mut progress: impl FnMut(u64),
) -> Result<LinkSummary, String> {
    let t0 = std::time::Instant::now();
    let d = VDevice::open(so, None, false).map_err(|e| e.to_string())?;
    let mut c = LinkCore::new(d, cfg.build.clone());
    let info = c.info().map_err(|e| e.to_string())?;
    let watchdog = u64::from(info.link.watchdog_clocks);
    let info = info.encode();
    c.link_stats(true).map_err(|e| e.to_string())?;
    let mut s = LinkSummary {
        target: name.to_string(),
        ..LinkSummary::default()
    };
    let mut r = Run {
        c,
        model: Model::new(cfg),
        b: cfg.build.clone(),
        rng: StdRng::seed_from_u64(plan.seed),
        s: &mut s,
        info,
        watchdog,
        stats: [0; LINK_COUNTERS],
        issued: 0,
        group: 0,
        seq: 0,
        round: 0,
    };
    let mut sent = 0;
    while sent < plan.frames {
        sent += r.group(plan.frames - sent);
        r.group += 1;
        if r.s.hangs > 0 {
            break;
        }
        let g = r.group;
        let every = |n: u64| n > 0 && g.is_multiple_of(n);
        if every(plan.timeout_every) {
            r.half_frame();
        }
        if every(plan.traffic_every) {
            r.check_stats("the groups");
            r.traffic(plan.traffic_rounds);
            r.check_stats("good rounds");
        }
        if every(plan.burst_every) {
            r.burst();
        }
        progress(sent);
    }
    r.check_stats("the last groups");
    // Drain the pipeline, then the device's counters equal the model's.
    for _ in 0..r.model.latency() {
        r.round_both(&vec![None; cfg.build.clients as usize]);
    }
    let m = r.model.counters().clone();
    let mask = tidekv_defs::config::mask(cfg.build.device.counter_bits);
    let mut want = vec![
        (Counter::Issued, m.issued),
        (Counter::CalendarBlocked, m.calendar_blocked),
        (Counter::Detections, m.detections),
    ];
    for (i, k) in [
        Counter::StatusOk,
        Counter::StatusNotFound,
        Counter::StatusExists,
        Counter::StatusFull,
        Counter::StatusUnavailable,
    ]
    .into_iter()
    .enumerate()
    {
        want.push((k, m.status[i]));
    }
    for (k, w) in want {
        match r.c.counter(k) {
            Ok(g) if g != w & mask => r.fail(format!("counter {k}: the device {g}, the model {w}")),
            Ok(_) => {}
            Err(e) => r.fail(format!("counter {k}: {e}")),
        }
    }
    let clocks = r.c.link.clocks();
    drop(r);
    s.frames = sent;
    s.clocks = clocks;
    s.seconds = t0.elapsed().as_secs_f64();
    s.frames_per_s = s.frames as f64 / s.seconds.max(1e-9);
    Ok(s)
}
