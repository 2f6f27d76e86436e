//! Fault campaigns (SPEC sections 4-5 at volume): seeded runs under full
//! load with crashes of up to R - 1 replicas per shard at random rounds,
//! rejoins at random later rounds, and schedule swaps, each checked for
//!
//! - durability: every key with an acknowledged write reads back the last
//!   acknowledged write's value (last by issue round, then client: SPEC's
//!   order, last writer wins), or not-found after an acknowledged delete;
//! - convergence: all live replicas of every shard hold identical contents;
//! - equality: the Verilated core answers as the model, request by request
//!   (`diff_on`), when a core is given.
//!
//! A run is a trace (SPEC section 8), so a failing one is kept as a file
//! and replayed with `tidekv replay`.

use crate::traffic::Traffic;
use rand::seq::SliceRandom;
use rand::Rng;
use std::collections::BTreeMap;
use tidekv_defs::trace::Trace;
use tidekv_defs::{Config, Op, Status};
use tidekv_sim::{replay, Answer, Model};

/// The ops of a campaign run: gets 30, inserts 15, modifies 15, puts 25,
/// deletes 15, on a small key space so that writes contend.
pub const MIX: [u32; 5] = [30, 15, 15, 25, 15];

/// One generated run.
pub struct Run {
    pub seed: u64,
    /// The trace, as JSON Lines.
    pub text: String,
    pub kills: u32,
    pub rejoins: u32,
    pub swaps: u32,
    pub requests: usize,
    /// Rounds of load before the read-back.
    pub rounds: u64,
}

/// Generate the run of `seed`: `rounds` rounds with every client issuing
/// every round over `keys` keys, crashes and rejoins (replicated builds),
/// swaps of the replica policy and seed, then every key read back twice.
pub fn generate(cfg: &Config, seed: u64, rounds: u64, keys: u64) -> Run {
    let b = &cfg.build;
    let (c, s, r) = (b.clients, b.shards, b.replicas);
    let mut t = Traffic::new(cfg, seed);
    for u in 0..rounds {
        for ci in 0..c {
            let op = t.op(MIX);
            let key = t.rng.gen_range(0..keys);
            t.req(u, ci, op, key);
        }
    }
    let (mut kills, mut rejoins, mut swaps) = (0, 0, 0);
    if r > 1 {
        for shard in 0..s {
            // Up to R - 1 replicas of the shard, each down once: never all.
            let mut reps: Vec<u32> = (0..r).collect();
            reps.shuffle(&mut t.rng);
            let n = t.rng.gen_range(0..r) as usize;
            for &rep in &reps[..n] {
                let kill = t.rng.gen_range(1..(rounds * 3 / 4).max(2));
                t.fail(kill, shard, rep);
                kills += 1;
                if t.rng.gen_bool(0.7) && kill + 1 < rounds {
                    let back = t.rng.gen_range(kill + 1..rounds);
                    t.recover(back, shard, rep);
                    rejoins += 1;
                }
            }
        }
    }
    // Swaps of the replica policy and seed (the shard map stays: moving a
    // bucket moves no data), at least the schedule gap apart.
    let gap = b.schedule_gap();
    let mut at = 1 + t.rng.gen_range(0..rounds / 2 + 1);
    while at < rounds && swaps < 2 {
        let policy = ["random", "round_robin", "key_affine"][t.rng.gen_range(0..3)];
        let s = t.rng.gen_range(1..=u32::MAX);
        t.schedule(
            at,
            &format!("\"replica_policy\": \"{policy}\", \"seed\": {s}"),
        );
        swaps += 1;
        at += gap + t.rng.gen_range(1..rounds / 2 + 2);
    }
    // Read back every key twice, after the last write has reached every
    // live replica: the first pass finds any crashed replica not yet
    // detected (its reads answer `unavailable`), the second reads the rest.
    let start = rounds + b.latency() + 1;
    for pass in 0..2 {
        for k in 0..keys {
            let i = pass * keys + k;
            t.req(
                start + i / u64::from(c),
                (i % u64::from(c)) as u32,
                Op::Get,
                k,
            );
        }
    }
    Run {
        seed,
        text: t.text(),
        kills,
        rejoins,
        swaps,
        requests: t.requests(),
        rounds,
    }
}

/// What a run's checks found.
#[derive(Debug, Default, Clone)]
pub struct Verdict {
    /// Writes answered `ok` during the load.
    pub acked_writes: u64,
    /// Keys whose read-back differs from their last acknowledged write:
    /// (key, wanted, read).
    pub lost: Vec<(u64, Option<u64>, Option<u64>)>,
    /// Keys no read-back could read (every read `unavailable`).
    pub unread: u64,
    /// Shards whose live replicas differ.
    pub diverged: Vec<u32>,
}

impl Verdict {
    pub fn ok(&self) -> bool {
        self.lost.is_empty() && self.diverged.is_empty()
    }
}

impl Run {
    /// The run's trace, parsed (a generated trace is always valid).
    pub fn trace(&self, cfg: &Config) -> Trace {
        tidekv_defs::trace::parse(&self.text, &cfg.build, &cfg.schedule)
            .unwrap_or_else(|e| panic!("seed {}: a generated trace is invalid: {e}", self.seed))
    }
}

/// Replay `run` (its trace `trace`) on the model and check durability and
/// convergence; the model's answers and final state are returned for a
/// core to be compared with.
pub fn check_model(cfg: &Config, run: &Run, trace: &Trace) -> (Verdict, Vec<Answer>, Model) {
    let mut answers = vec![];
    let m = replay(cfg, trace, |a| answers.push(*a));
    let mut v = Verdict::default();
    // The last acknowledged write per key, in (round, client) order.
    let mut want: BTreeMap<u64, Option<u64>> = BTreeMap::new();
    let mut read: BTreeMap<u64, Option<Option<u64>>> = BTreeMap::new();
    for a in &answers {
        let ok = a.response.status == Status::Ok;
        if a.round < run.rounds {
            if a.request.op != Op::Get && ok {
                v.acked_writes += 1;
                let value = (a.request.op != Op::Delete).then_some(a.request.value);
                want.insert(a.request.key, value);
            }
        } else {
            let got = match a.response.status {
                Status::Ok => Some(a.response.value),
                Status::NotFound => Some(None),
                _ => None,
            };
            let slot = read.entry(a.request.key).or_insert(None);
            if slot.is_none() {
                *slot = got;
            }
        }
    }
    for (&key, got) in &read {
        let w = want.get(&key).copied().flatten();
        match got {
            None => v.unread += 1,
            Some(g) if *g != w => v.lost.push((key, w, *g)),
            Some(_) => {}
        }
    }
    let b = &cfg.build;
    for s in 0..b.shards {
        let live: Vec<u32> = (0..b.replicas).filter(|&r| m.is_alive(s, r)).collect();
        if live
            .windows(2)
            .any(|w| m.contents(s, w[0]) != m.contents(s, w[1]))
        {
            v.diverged.push(s);
        }
    }
    (v, answers, m)
}

/// How much a campaign runs per target.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Model runs.
    pub runs: u64,
    /// Of those, the first `core_runs` also run on the Verilated core.
    pub core_runs: u64,
    pub rounds: u64,
    pub keys: u64,
    /// Run i's seed is `seed + i`.
    pub seed: u64,
    /// Where failing runs' traces go.
    pub out: std::path::PathBuf,
}

/// A campaign's figures for one target (the JSON summary's row).
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Summary {
    pub target: String,
    pub runs: u64,
    pub core_runs: u64,
    pub rounds: u64,
    pub requests: u64,
    pub kills: u64,
    pub rejoins: u64,
    pub swaps: u64,
    pub acked_writes: u64,
    pub lost: u64,
    pub unread: u64,
    pub diverged: u64,
    pub mismatches: u64,
    pub model_runs_per_hour: f64,
    pub core_runs_per_hour: f64,
    pub seconds: f64,
    /// Per failing run: what failed and the `tidekv replay` line.
    pub failures: Vec<String>,
}

/// Run `plan` on the target `name` (a preset): model runs, the first
/// `core_runs` of them on the Verilated core (`core`: its shared library,
/// built by the caller) too. `progress(done)` after each run.
pub fn run_campaign(
    name: &str,
    cfg: &Config,
    plan: &Plan,
    core: Option<&std::path::Path>,
    mut progress: impl FnMut(u64),
) -> std::io::Result<Summary> {
    let start = std::time::Instant::now();
    let mut s = Summary {
        target: name.to_string(),
        runs: plan.runs,
        core_runs: if core.is_some() {
            plan.core_runs.min(plan.runs)
        } else {
            0
        },
        rounds: plan.rounds,
        ..Summary::default()
    };
    let (mut model_secs, mut core_secs) = (0.0, 0.0);
    for i in 0..plan.runs {
        let seed = plan.seed.wrapping_add(i);
        let t0 = std::time::Instant::now();
        let run = generate(cfg, seed, plan.rounds, plan.keys);
        let trace = run.trace(cfg);
        let (v, want, m) = check_model(cfg, &run, &trace);
        model_secs += t0.elapsed().as_secs_f64();
        s.kills += u64::from(run.kills);
        s.rejoins += u64::from(run.rejoins);
        s.swaps += u64::from(run.swaps);
        s.requests += run.requests as u64;
        s.acked_writes += v.acked_writes;
        s.lost += v.lost.len() as u64;
        s.unread += v.unread;
        s.diverged += v.diverged.len() as u64;
        let mut why = (!v.ok()).then(|| format!("{v:?}"));
        if let (Some(so), true) = (core, i < s.core_runs) {
            let t1 = std::time::Instant::now();
            let diff = tidekv_cosim::verilator::VCore::open(so, None)
                .map_err(|e| e.to_string())
                .and_then(|mut c| crate::diff_on(&mut c, cfg, &trace, &want, &m));
            if let Err(e) = diff {
                s.mismatches += 1;
                why.get_or_insert(format!("the Verilated core: {e}"));
            }
            core_secs += t1.elapsed().as_secs_f64();
        }
        if let Some(why) = why {
            std::fs::create_dir_all(&plan.out)?;
            let f = plan.out.join(format!("{name}-{seed:x}.jsonl"));
            std::fs::write(&f, &run.text)?;
            s.failures.push(format!(
                "{name} seed {seed:#x}: {why}; reproduce: tidekv replay --preset {name} {}",
                f.display()
            ));
        }
        progress(i + 1);
    }
    s.model_runs_per_hour = plan.runs as f64 / f64::max(model_secs, 1e-9) * 3600.0;
    if s.core_runs > 0 {
        s.core_runs_per_hour = s.core_runs as f64 / f64::max(core_secs, 1e-9) * 3600.0;
    }
    s.seconds = start.elapsed().as_secs_f64();
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_are_deterministic_and_pass_on_the_model() {
        let cfg = Config::preset("replicated-c10-s2-r3").unwrap();
        let (a, b) = (generate(&cfg, 7, 120, 32), generate(&cfg, 7, 120, 32));
        assert_eq!(a.text, b.text);
        assert!(a.requests >= 1200);
        let mut kills = 0;
        for seed in 0..20 {
            let run = generate(&cfg, seed, 120, 32);
            kills += run.kills;
            let (v, _, _) = check_model(&cfg, &run, &run.trace(&cfg));
            assert!(v.ok(), "seed {seed}: {v:?}");
            assert!(v.acked_writes > 300, "seed {seed}: {v:?}");
            assert!(v.unread == 0, "seed {seed}: {v:?}");
        }
        assert!(kills >= 10, "the runs crash replicas: {kills}");
    }

    /// The checks can fail: a run whose trace crashes every replica of a
    /// shard loses its acknowledged writes, and the verdict says so.
    #[test]
    fn crashing_every_replica_is_caught() {
        let cfg = Config::preset("replicated-c10-s2-r3").unwrap();
        let mut run = generate(&cfg, 3, 120, 32);
        for replica in 0..3 {
            for (round, fail) in [(100, true), (110, false)] {
                let node = tidekv_defs::trace::Node { shard: 0, replica };
                run.text += &tidekv_defs::trace::format_node_event(Some(round), fail, node);
                run.text += "\n";
            }
        }
        let (v, _, _) = check_model(&cfg, &run, &run.trace(&cfg));
        assert!(!v.lost.is_empty(), "{v:?}");
    }
}
