//! Driving a core through its command port and client ports, whatever runs
//! it: the Verilated core here, rust-hdl's simulator in the RTL tests, and
//! (through the device top) a board. One `Core` trait, and on top of it the
//! things every driver needs once: loading a schedule, applying a trace
//! event, and replaying a trace with SPEC section 8's answers.

use std::collections::VecDeque;
use tidekv_defs::config::{BuildConfig, Schedule};
use tidekv_defs::gen::{GenConfig, GenReport};
use tidekv_defs::record::{Answer, Counters, SwapRecord};
use tidekv_defs::regs::{
    gen_keys_mask, gen_mix_word, policy_word, read_slot_data, schedule_crc, Cmd, CmdStatus,
    Counter, SwapState, NODE_DOWN, SLOT_KEY, SLOT_USED, SLOT_VALUE,
};
use tidekv_defs::trace::{EventKind, Trace, TraceEvent};
use tidekv_defs::{Op, Request, Response, Status};

/// A command the core answered with something other than what a correct
/// driver expects.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{what}")]
pub struct Refusal {
    pub what: String,
}

impl Refusal {
    pub fn cmd(cmd: Cmd, addr: u32, data: u64, what: impl std::fmt::Display) -> Refusal {
        Refusal {
            what: format!("command {cmd} (addr {addr}, data {data:#x}): {what}"),
        }
    }
}

/// A core at a round boundary, ready for a command or a round.
pub trait Core {
    type Error: From<Refusal>;
    /// Client ports (C).
    fn clients(&self) -> usize;
    /// Rounds from issue to answer (2H + 2).
    fn latency(&self) -> u64;
    /// One command: its status and rdata.
    fn cmd(&mut self, cmd: Cmd, addr: u32, data: u64) -> Result<(CmdStatus, u64), Self::Error>;
    /// One round: client `k` issues `reqs[k]`; per client, the issue round
    /// of the request answered now and its response.
    fn round(
        &mut self,
        reqs: &[Option<Request>],
    ) -> Result<Vec<Option<(u64, Response)>>, Self::Error>;

    /// A command that must answer `ok`; its rdata.
    fn ok(&mut self, cmd: Cmd, addr: u32, data: u64) -> Result<u64, Self::Error> {
        match self.cmd(cmd, addr, data)? {
            (CmdStatus::Ok, rdata) => Ok(rdata),
            (st, _) => Err(Refusal::cmd(
                cmd,
                addr,
                data,
                format_args!("answered {st}: {}", st.advice()),
            )
            .into()),
        }
    }
    fn counter(&mut self, c: Counter) -> Result<u64, Self::Error> {
        self.ok(Cmd::ReadCounter, u32::from(c.code()), 0)
    }
}

/// Stage `s` in the shadow copy (shard map, policy, failure masks,
/// calendar and its period).
pub fn stage_schedule<C: Core>(core: &mut C, s: &Schedule) -> Result<(), C::Error> {
    for (bucket, &shard) in s.shard_map.iter().enumerate() {
        core.ok(Cmd::StageMap, bucket as u32, u64::from(shard))?;
    }
    core.ok(Cmd::StagePolicy, 0, policy_word(s))?;
    for (shard, &f) in s.failed.iter().enumerate() {
        core.ok(Cmd::StageFailed, shard as u32, u64::from(f))?;
    }
    for (row, &open) in s.calendar.iter().enumerate() {
        core.ok(Cmd::StageCalendar, row as u32, open)?;
    }
    core.ok(Cmd::StagePeriod, 0, s.calendar.len() as u64)?;
    Ok(())
}

/// `Verify` the staged shadow: the device's CRC must equal `schedule_crc`
/// of `s`. Returns the CRC.
pub fn verify_schedule<C: Core>(
    core: &mut C,
    b: &BuildConfig,
    s: &Schedule,
) -> Result<u32, C::Error> {
    let want = schedule_crc(b, s);
    let got = core.ok(Cmd::Verify, 0, 0)?;
    if got != u64::from(want) {
        return Err(Refusal::cmd(
            Cmd::Verify,
            0,
            0,
            format_args!("the device's schedule CRC is {got:#010x}, the host's {want:#010x}"),
        )
        .into());
    }
    Ok(want)
}

/// Stage `s` in the shadow copy, verify it (the device's CRC must equal
/// `schedule_crc`) and arm its swap for `round`.
pub fn load_schedule<C: Core>(
    core: &mut C,
    b: &BuildConfig,
    s: &Schedule,
    round: u64,
) -> Result<(), C::Error> {
    stage_schedule(core, s)?;
    verify_schedule(core, b, s)?;
    core.ok(Cmd::Swap, 0, round)?;
    Ok(())
}

/// Apply a trace event before the core runs the event's round.
pub fn apply_event<C: Core>(core: &mut C, b: &BuildConfig, e: &TraceEvent) -> Result<(), C::Error> {
    let node = |n: &tidekv_defs::trace::Node| n.shard * b.replicas + n.replica;
    match &e.kind {
        EventKind::Fail(n) => core.ok(Cmd::Fail, node(n), 0).map(drop),
        EventKind::Recover(n) => core.ok(Cmd::Recover, node(n), 0).map(drop),
        EventKind::Schedule(s) => load_schedule(core, b, s, e.round),
    }
}

/// What a replay on a core saw, read from its counters.
#[derive(Debug, Clone)]
pub struct CoreReplay {
    pub rounds: u64,
    /// The core's counters; the model's anomaly counts are not counted in
    /// hardware and stay 0 (docs/DESIGN.md, "Counters").
    pub counters: Counters,
    pub swaps: Vec<SwapRecord>,
}

/// The reason the core gives for a swap that did not take effect.
pub const SWAP_REFUSED: &str =
    "the device's check refused it (a bucket maps to a shard whose replicas have all failed)";

/// Replay a validated trace on a core fresh out of reset, calling `emit` for
/// every request in (issue round, client) order, as `tidekv_sim::replay` does on
/// the model.
pub fn replay<C: Core>(
    core: &mut C,
    b: &BuildConfig,
    trace: &Trace,
    mut emit: impl FnMut(&Answer),
) -> Result<CoreReplay, C::Error> {
    let c = core.clients();
    let lat = core.latency();
    let mut swaps = Vec::new();
    let mut armed: Option<u64> = None;
    let mut issued: VecDeque<Vec<Option<Request>>> = VecDeque::new();
    trace.for_each_round(c, lat, |u, events, slots| -> Result<(), C::Error> {
        if let Some(at) = armed.filter(|&at| at < u) {
            swaps.push(read_swap(core, at)?);
            armed = None;
        }
        for e in events {
            apply_event(core, b, e)?;
            if matches!(e.kind, EventKind::Schedule(_)) {
                armed = Some(u);
            }
        }
        issued.push_back(slots.to_vec());
        let got = core.round(slots)?;
        for (client, g) in got.iter().enumerate() {
            let Some((t, response)) = *g else { continue };
            let back = u.checked_sub(t).filter(|&d| (d as usize) < issued.len());
            let request = back.and_then(|d| issued[issued.len() - 1 - d as usize][client]);
            let Some(request) = request else {
                return Err(Refusal { what: format!("round {u}: client {client} got an answer for round {t}, when it issued nothing then") }.into());
            };
            emit(&Answer { round: t, client: client as u32, request, response, done_round: t + lat });
        }
        while issued.len() as u64 > lat + 1 {
            issued.pop_front();
        }
        Ok(())
    })?;
    if let Some(at) = armed {
        swaps.push(read_swap(core, at)?);
    }
    let rounds = trace.last_round().map_or(0, |last| last + lat + 1);
    let mut counters = Counters {
        issued: core.counter(Counter::Issued)?,
        calendar_blocked: core.counter(Counter::CalendarBlocked)?,
        detections: core.counter(Counter::Detections)?,
        ..Counters::default()
    };
    for st in Status::ALL {
        counters.status[st.code() as usize] = core.counter(Counter::status(st.code()))?;
    }
    Ok(CoreReplay {
        rounds,
        counters,
        swaps,
    })
}

/// Whether replica `replica` of shard `shard` is down (crash-stopped, not
/// yet back), as the core says (`ReadSlot`'s node word).
pub fn node_down<C: Core>(
    core: &mut C,
    b: &BuildConfig,
    shard: u32,
    replica: u32,
) -> Result<bool, C::Error> {
    let node = shard * b.replicas + replica;
    Ok(core.ok(Cmd::ReadSlot, node, read_slot_data(0, 0, NODE_DOWN))? & 1 == 1)
}

/// Replica `replica` of shard `shard`'s table, read slot by slot with
/// `ReadSlot` (the core paused between rounds): every used slot as
/// `(key, value, slot)`, sorted, as the model's `contents` lists it. The
/// stash, which every set shows, is read with set 0.
pub fn read_table<C: Core>(
    core: &mut C,
    b: &BuildConfig,
    shard: u32,
    replica: u32,
) -> Result<Vec<(u64, u64, u32)>, C::Error> {
    let node = shard * b.replicas + replica;
    let main = b.table_banks * b.table_ways;
    let mut out = vec![];
    for set in 0..b.sets_per_bank() {
        for slot in 0..main + b.table_stash {
            if slot >= main && set > 0 {
                break;
            }
            let word = |w| read_slot_data(set, slot, w);
            if core.ok(Cmd::ReadSlot, node, word(SLOT_USED))? & 1 == 1 {
                let key = core.ok(Cmd::ReadSlot, node, word(SLOT_KEY))?;
                let value = core.ok(Cmd::ReadSlot, node, word(SLOT_VALUE))?;
                out.push((key, value, slot));
            }
        }
    }
    out.sort_unstable();
    Ok(out)
}

/// The record of the swap armed for round `at`, which must be done.
pub fn read_swap<C: Core>(core: &mut C, at: u64) -> Result<SwapRecord, C::Error> {
    let w = core.ok(Cmd::ReadSwap, 0, 0)?;
    let SwapState {
        done,
        took_effect: took,
        round,
        ..
    } = SwapState::decode(w);
    if !done || round != at {
        return Err(Refusal::cmd(
            Cmd::ReadSwap,
            0,
            0,
            format_args!(
                "the swap armed for round {at} reads back as {w:#x} (done {done}, round {round})"
            ),
        )
        .into());
    }
    Ok(SwapRecord {
        round: at,
        result: if took {
            Ok(())
        } else {
            Err(SWAP_REFUSED.into())
        },
    })
}

/// Generator mode (SPEC section 7) on a core: configure, run `g.rounds`
/// rounds and drain; the core's digest and counters as a `GenReport`.
pub fn run_generator<C: Core>(core: &mut C, g: &GenConfig) -> Result<GenReport, C::Error> {
    core.ok(Cmd::GenSeed, 0, g.seed)?;
    core.ok(Cmd::GenMix, 0, gen_mix_word(g))?;
    core.ok(Cmd::GenKeys, 0, gen_keys_mask(g))?;
    let digest = core.ok(Cmd::GenRun, 0, g.rounds)?;
    let counted = core.counter(Counter::GenDigest)?;
    let digest = match u32::try_from(digest) {
        Ok(d) if counted == digest => d,
        _ => return Err(Refusal::cmd(Cmd::GenRun, 0, g.rounds, format_args!("digest {digest:#x} is not a CRC-32 or differs from the gen_digest counter {counted:#x}")).into()),
    };
    let mut r = GenReport {
        requests: core.counter(Counter::GenRequests)?,
        digest,
        status_counts: [0; 5],
        op_counts: [0; 5],
    };
    for st in Status::ALL {
        r.status_counts[st.code() as usize] = core.counter(Counter::status(st.code()))?;
    }
    for op in Op::ALL {
        r.op_counts[op.code() as usize] = core.counter(Counter::op(op.code()))?;
    }
    Ok(r)
}
