//! The differential testbench: traffic (`traffic`) replayed on the model and
//! on the Verilated core of the same configuration, compared request by
//! request (`compare`).

pub mod campaign;
pub mod hostile;
pub mod traffic;

use std::sync::Mutex;
use tidekv_cosim::verilator::{self, VCore};
use tidekv_defs::gen::GenConfig;
use tidekv_defs::trace::Trace;
use tidekv_defs::Config;
use tidekv_driver::drive;
use tidekv_sim::{Answer, Model};

/// Verilating one configuration at a time: `scripts/rtl.sh` rebuilds the
/// generator for each configuration in one target directory, and the
/// machine has two cores.
static BUILD: Mutex<()> = Mutex::new(());

/// A configuration's Verilated core library, built or taken from the cache.
pub fn build(spec: &str) -> (std::path::PathBuf, Config) {
    build_top(spec, verilator::Top::Core)
}

/// `build` for either top.
pub fn build_top(spec: &str, top: verilator::Top) -> (std::path::PathBuf, Config) {
    let _g = BUILD.lock().unwrap_or_else(|e| e.into_inner());
    verilator::build_top(spec, top, false)
        .unwrap_or_else(|e| panic!("verilating {spec} ({top:?}): {e}"))
}

/// Replay `trace` on the model and on a fresh core from `so`; panic at the
/// first answer, counter or swap outcome that differs. Returns the number of
/// requests compared.
pub fn compare(name: &str, so: &std::path::Path, cfg: &Config, trace: &Trace) -> usize {
    let mut core = VCore::open(so, None).unwrap_or_else(|e| panic!("{name}: {e}"));
    compare_on(name, &mut core, cfg, trace)
}

/// `compare` on any core at round 0 with the build's schedule (the
/// Verilated core, or a device top behind its link).
pub fn compare_on<C: drive::Core>(name: &str, core: &mut C, cfg: &Config, trace: &Trace) -> usize
where
    C::Error: std::fmt::Display,
{
    let mut want = Vec::new();
    let m = tidekv_sim::replay(cfg, trace, |a| want.push(*a));
    // The model's queued FE at service rate C (docs/SERVICE.md) answers as
    // SPEC's on every trace the suite drives.
    let mut queued = Vec::with_capacity(want.len());
    let full = tidekv_sim::Service::full(&cfg.build);
    tidekv_sim::replay_service(cfg, full, trace, |a| queued.push(*a))
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    assert!(
        queued == want,
        "{name}: the model's queued FE at service rate C differs from SPEC's FE"
    );
    diff_on(core, cfg, trace, &want, &m).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// Replay `trace` on `core` and compare with the model's answers `want`
/// and final state `m`: every answer, the counters the hardware keeps, the
/// swaps' outcomes, the rounds run. The first difference, said, or the
/// number of requests compared.
pub fn diff_on<C: drive::Core>(
    core: &mut C,
    cfg: &Config,
    trace: &Trace,
    want: &[Answer],
    m: &Model,
) -> Result<usize, String>
where
    C::Error: std::fmt::Display,
{
    let mut got: Vec<Answer> = Vec::with_capacity(want.len());
    let r = drive::replay(core, &cfg.build, trace, |a| got.push(*a))
        .map_err(|e| format!("the core: {e}"))?;
    for (i, (w, g)) in want.iter().zip(&got).enumerate() {
        if g != w {
            return Err(format!(
                "answer {i} (round {}, client {}): the core gave {g:?}, the model {w:?}",
                w.round, w.client
            ));
        }
    }
    let same = |what: &str, a: String, b: String| {
        if a == b {
            Ok(())
        } else {
            Err(format!("{what}: the core {a}, the model {b}"))
        }
    };
    same("answers", got.len().to_string(), want.len().to_string())?;
    let mc = m.counters();
    let c = &r.counters;
    same(
        "responses per status",
        format!("{:?}", c.status),
        format!("{:?}", mc.status),
    )?;
    same("issued", c.issued.to_string(), mc.issued.to_string())?;
    same(
        "calendar_blocked",
        c.calendar_blocked.to_string(),
        mc.calendar_blocked.to_string(),
    )?;
    same(
        "detections",
        c.detections.to_string(),
        mc.detections.to_string(),
    )?;
    let outcome = |s: &[tidekv_sim::SwapRecord]| {
        format!(
            "{:?}",
            s.iter()
                .map(|s| (s.round, s.result.is_ok()))
                .collect::<Vec<_>>()
        )
    };
    same(
        "schedule swaps (round, took effect)",
        outcome(&r.swaps),
        outcome(m.swaps()),
    )?;
    same("rounds run", r.rounds.to_string(), m.round().to_string())?;
    check_tables(core, cfg, m)?;
    Ok(want.len())
}

/// Every live replica's table on `core` (read with `ReadSlot`) equals the
/// model's, entry by entry and slot by slot; so the live replicas of each
/// shard hold identical contents on the hardware too. The number of
/// tables compared.
pub fn check_tables<C: drive::Core>(core: &mut C, cfg: &Config, m: &Model) -> Result<usize, String>
where
    C::Error: std::fmt::Display,
{
    let b = &cfg.build;
    let mut n = 0;
    if !b.device.table_read {
        return Ok(0);
    }
    for shard in 0..b.shards {
        for replica in 0..b.replicas {
            let down = drive::node_down(core, b, shard, replica)
                .map_err(|e| format!("reading node {shard}/{replica}'s state: {e}"))?;
            if down == m.is_alive(shard, replica) {
                return Err(format!(
                    "node {shard}/{replica}: the core says {}, the model {}",
                    if down { "down" } else { "up" },
                    if m.is_alive(shard, replica) {
                        "up"
                    } else {
                        "down"
                    }
                ));
            }
            if !m.is_alive(shard, replica) {
                continue;
            }
            let got = drive::read_table(core, b, shard, replica)
                .map_err(|e| format!("reading shard {shard} replica {replica}'s table: {e}"))?;
            let want = m.contents(shard, replica);
            if got != want {
                let only_core: Vec<_> = got.iter().filter(|e| !want.contains(e)).take(4).collect();
                let only_model: Vec<_> = want.iter().filter(|e| !got.contains(e)).take(4).collect();
                return Err(format!(
                    "shard {shard} replica {replica}'s table: {} entries on the core, {} in the model; (key, value, slot) only on the core {only_core:?}, only in the model {only_model:?}",
                    got.len(),
                    want.len()
                ));
            }
            n += 1;
        }
    }
    Ok(n)
}

/// Generator mode on a fresh core and on the model: digest, request count,
/// responses per status and requests per op must agree.
pub fn compare_generator(name: &str, so: &std::path::Path, cfg: &Config, g: &GenConfig) -> u64 {
    let mut core = VCore::open(so, None).unwrap_or_else(|e| panic!("{name}: {e}"));
    compare_generator_on(name, &mut core, cfg, g)
}

/// `compare_generator` on any core.
pub fn compare_generator_on<C: drive::Core>(
    name: &str,
    core: &mut C,
    cfg: &Config,
    g: &GenConfig,
) -> u64
where
    C::Error: std::fmt::Display,
{
    let want = Model::new(cfg).run_generator(g);
    let got = drive::run_generator(core, g).unwrap_or_else(|e| panic!("{name}: the core: {e}"));
    assert_eq!(
        got, want,
        "{name}: generator report of the core (left) and the model (right)"
    );
    want.requests
}
