//! Helpers shared by the model's integration tests.
#![allow(dead_code)]

use tidekv_defs::trace::{self, Trace};
use tidekv_defs::{Config, Op, Request, Response, Status};
use tidekv_sim::{replay, Answer, Model};

pub const PRESETS: [&str; 4] = [
    "single-c10",
    "sharded-c10-s4",
    "replicated-c10-s2-r3",
    "hier-c10-h2-s4",
];

pub fn preset(name: &str) -> Config {
    Config::preset(name).unwrap()
}

pub fn parse(cfg: &Config, text: &str) -> Trace {
    trace::parse(text, &cfg.build, &cfg.schedule).unwrap_or_else(|e| panic!("{e}"))
}

/// Replay trace text; returns the answers and the final model.
pub fn run(cfg: &Config, text: &str) -> (Vec<Answer>, Model) {
    let t = parse(cfg, text);
    let mut out = Vec::new();
    let m = replay(cfg, &t, |a| out.push(*a));
    (out, m)
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
