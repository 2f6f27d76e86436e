//! The differential testbench: traffic (`traffic`) replayed on the model and
//! on the Verilated core of the same configuration, compared request by
//! request (`compare`).

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
    let mut got: Vec<Answer> = Vec::with_capacity(want.len());
    let r = drive::replay(core, &cfg.build, trace, |a| got.push(*a))
        .unwrap_or_else(|e| panic!("{name}: the core: {e}"));
    for (i, (w, g)) in want.iter().zip(&got).enumerate() {
        assert_eq!(g, w, "{name}: answer {i} (round {}, client {}): the core (left) differs from the model (right)", w.round, w.client);
    }
    assert_eq!(
        got.len(),
        want.len(),
        "{name}: the core gave {} answers, the model {}",
        got.len(),
        want.len()
    );
    let mc = m.counters();
    assert_eq!(r.counters.status, mc.status, "{name}: responses per status");
    assert_eq!(r.counters.issued, mc.issued, "{name}: issued");
    assert_eq!(
        r.counters.calendar_blocked, mc.calendar_blocked,
        "{name}: calendar_blocked"
    );
    assert_eq!(r.counters.detections, mc.detections, "{name}: detections");
    let outcome = |s: &[tidekv_sim::SwapRecord]| {
        s.iter()
            .map(|s| (s.round, s.result.is_ok()))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        outcome(&r.swaps),
        outcome(m.swaps()),
        "{name}: schedule swaps (round, took effect)"
    );
    assert_eq!(r.rounds, m.round(), "{name}: rounds run");
    want.len()
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
