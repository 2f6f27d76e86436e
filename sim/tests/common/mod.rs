//! Helpers shared by the model's integration tests.
#![allow(dead_code)]

use tidekv_defs::trace::{self, Trace};
use tidekv_defs::{Config, Op, Request, Response, Status};
use tidekv_sim::{replay, replay_service, Answer, Model, Service};

/// The presets the model's tests run (the `model` check of targets.toml).
pub static PRESETS: std::sync::LazyLock<Vec<&'static str>> = std::sync::LazyLock::new(|| {
    tidekv_defs::targets::with_check(tidekv_defs::targets::Check::Model)
        .map(|t| t.name.as_str())
        .collect()
});
pub fn preset(name: &str) -> Config {
    Config::preset(name).unwrap()
}

pub fn parse(cfg: &Config, text: &str) -> Trace {
    trace::parse(text, &cfg.build, &cfg.schedule).unwrap_or_else(|e| panic!("{e}"))
}

/// Replay trace text; returns the answers and the final model. Every
/// replay is also run through the FE with queues at service rate C
/// (docs/SERVICE.md), which must answer, count and store exactly the same.
pub fn run(cfg: &Config, text: &str) -> (Vec<Answer>, Model) {
    let t = parse(cfg, text);
    let mut out = Vec::new();
    let m = replay(cfg, &t, |a| out.push(*a));
    assert_same_as_full_service(cfg, &t, &out, &m);
    (out, m)
}

/// The queued FE at service rate C answers `want` and ends as `m` did.
pub fn assert_same_as_full_service(cfg: &Config, t: &Trace, want: &[Answer], m: &Model) {
    let mut got = Vec::new();
    let q = replay_service(cfg, Service::full(&cfg.build), t, |a| got.push(*a)).unwrap();
    assert_eq!(got.len(), want.len(), "service rate C: as many answers");
    for (g, w) in got.iter().zip(want) {
        assert_eq!(g, w, "service rate C answers as SPEC's FE");
    }
    assert_eq!(q.counters(), m.counters(), "service rate C: counters");
    assert_eq!(q.swaps(), m.swaps(), "service rate C: swaps");
    let b = &cfg.build;
    for s in 0..b.shards {
        for r in 0..b.replicas {
            assert_eq!(
                q.contents(s, r),
                m.contents(s, r),
                "service rate C: shard {s} replica {r}"
            );
        }
    }
    let qc = q.queue_counters();
    assert_eq!(
        (qc.queued, qc.refused, qc.depth_max),
        (0, 0, 0),
        "service rate C: nothing waits"
    );
}

pub fn req(op: Op, key: u64, value: Option<u64>) -> Request {
    Request::new(op, key, value)
}

pub fn ok(v: Option<u64>) -> Response {
    Response::ok(v)
}

pub fn st(s: Status) -> Response {
    Response::status(s)
}

/// Every live replica of every shard holds the same entries (placement included).
pub fn assert_converged(m: &Model) {
    let b = m.build().clone();
    for s in 0..b.shards {
        let live: Vec<u32> = (0..b.replicas).filter(|&r| m.is_alive(s, r)).collect();
        if let Some(&first) = live.first() {
            let want = m.contents(s, first);
            for &r in &live[1..] {
                assert_eq!(
                    m.contents(s, r),
                    want,
                    "shard {s}: replica {r} differs from replica {first}"
                );
            }
        }
    }
}

/// `n` cases (PROPTEST_CASES overrides it for a longer soak), no
/// regression files written into the tree.
pub fn cases(n: u32) -> proptest::prelude::ProptestConfig {
    let n = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(n);
    proptest::prelude::ProptestConfig {
        cases: n,
        failure_persistence: None,
        ..proptest::prelude::ProptestConfig::default()
    }
}

/// The one correct answer to `r` on a key holding `state`, and the state after.
pub fn sequential(state: Option<u64>, r: &Request) -> (Response, Option<u64>) {
    match (r.op, state) {
        (Op::Get, Some(v)) => (ok(Some(v)), state),
        (Op::Get | Op::Modify | Op::Delete, None) => (st(Status::NotFound), None),
        (Op::Insert, Some(_)) => (st(Status::Exists), state),
        (Op::Insert, None) => (ok(Some(r.value)), Some(r.value)),
        (Op::Modify | Op::Put, Some(old)) => (ok(Some(old)), Some(r.value)),
        (Op::Put, None) => (ok(None), Some(r.value)),
        (Op::Delete, Some(old)) => (ok(Some(old)), None),
    }
}
