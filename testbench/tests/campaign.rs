//! The fault campaign (`testbench::campaign`): seeded runs under full load
//! with up to R - 1 replica crashes per shard, rejoins and schedule swaps,
//! on the model (durability, convergence) and on the Verilated core (equal
//! to the model, request by request).
//!
//! `make test` runs a small one; `make campaign` the full volume:
//! `TK_CAMPAIGN_RUNS` model runs and `TK_CAMPAIGN_CORE_RUNS` Verilated runs
//! per target with the `differential` check and replicas (default 40 and
//! 3), `TK_CAMPAIGN_ROUNDS` rounds each (default 200). It prints a summary
//! and writes `build/campaign/summary.json`; a failing run keeps its trace
//! under `build/campaign/` and prints the `tidekv replay` line that
//! reproduces it.

use std::path::PathBuf;
use std::time::Instant;
use tidekv_cosim::verilator::{build, VCore};
use tidekv_defs::targets::{with_check, Check};
use tidekv_defs::Config;
use tidekv_testbench::campaign::{check_model, generate};
use tidekv_testbench::diff_on;

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn out_dir() -> PathBuf {
    let d = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .join("build/campaign");
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn replicated_targets_survive_crashes_rejoins_and_swaps() {
    let (runs, core_runs, rounds) = (
        env("TK_CAMPAIGN_RUNS", 40),
        env("TK_CAMPAIGN_CORE_RUNS", 3),
        env("TK_CAMPAIGN_ROUNDS", 200),
    );
    let keys = 48;
    let dir = out_dir();
    let mut summary = vec![];
    let mut failures = vec![];
    for t in with_check(Check::Differential) {
        let cfg: Config = t.config().unwrap();
        if cfg.build.replicas < 2 {
            continue;
        }
        let start = Instant::now();
        let so = (core_runs > 0).then(|| build(&t.name, false).unwrap().0);
        let (mut kills, mut rejoins, mut swaps, mut acked, mut lost, mut diverged) =
            (0u64, 0u64, 0u64, 0u64, 0u64, 0u64);
        let (mut mismatches, mut requests, mut unread) = (0u64, 0u64, 0u64);
        let mut model_secs = 0.0;
        let mut core_secs = 0.0;
        for i in 0..runs {
            let seed = 0xC0FF_EE00 + i;
            let t0 = Instant::now();
            let run = generate(&cfg, seed, rounds, keys);
            let (v, want, m) = check_model(&cfg, &run);
            model_secs += t0.elapsed().as_secs_f64();
            kills += u64::from(run.kills);
            rejoins += u64::from(run.rejoins);
            swaps += u64::from(run.swaps);
            requests += run.requests as u64;
            acked += v.acked_writes;
            lost += v.lost.len() as u64;
            unread += v.unread;
            diverged += v.diverged.len() as u64;
            let mut why = (!v.ok()).then(|| format!("{v:?}"));
            if i < core_runs {
                let t1 = Instant::now();
                let trace =
                    tidekv_defs::trace::parse(&run.text, &cfg.build, &cfg.schedule).unwrap();
                let mut core = VCore::open(so.as_ref().unwrap(), None).unwrap();
                if let Err(e) = diff_on(&mut core, &cfg, &trace, &want, &m) {
                    mismatches += 1;
                    why.get_or_insert(format!("the Verilated core: {e}"));
                }
                core_secs += t1.elapsed().as_secs_f64();
            }
            if let Some(why) = why {
                let f = dir.join(format!("{}-{seed:x}.jsonl", t.name));
                std::fs::write(&f, &run.text).unwrap();
                failures.push(format!(
                    "{} seed {seed:#x}: {why}\n  reproduce: target/release/tidekv replay --preset {} {}",
                    t.name,
                    t.name,
                    f.display()
                ));
            }
        }
        let line = serde_json::json!({
            "target": t.name,
            "runs": runs,
            "core_runs": core_runs.min(runs),
            "rounds": rounds,
            "requests": requests,
            "kills": kills,
            "rejoins": rejoins,
            "swaps": swaps,
            "acked_writes": acked,
            "lost": lost,
            "unread": unread,
            "diverged": diverged,
            "mismatches": mismatches,
            "model_runs_per_hour": runs as f64 / model_secs.max(1e-9) * 3600.0,
            "core_runs_per_hour": if core_runs > 0 { core_runs.min(runs) as f64 / core_secs.max(1e-9) * 3600.0 } else { 0.0 },
            "seconds": start.elapsed().as_secs_f64(),
        });
        println!("campaign: {line}");
        summary.push(line);
    }
    std::fs::write(
        dir.join("summary.json"),
        serde_json::to_string_pretty(&summary).unwrap(),
    )
    .unwrap();
    assert!(!summary.is_empty(), "no replicated target to run");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
