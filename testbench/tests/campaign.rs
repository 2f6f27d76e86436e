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
use tidekv_cosim::verilator::build;
use tidekv_defs::targets::{with_check, Check};
use tidekv_testbench::campaign::{run_campaign, Plan};

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[test]
fn replicated_targets_survive_crashes_rejoins_and_swaps() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf();
    let plan = Plan {
        runs: env("TK_CAMPAIGN_RUNS", 40),
        core_runs: env("TK_CAMPAIGN_CORE_RUNS", 3),
        rounds: env("TK_CAMPAIGN_ROUNDS", 200),
        keys: 48,
        seed: 0xC0FF_EE00,
        out: root.join("build/campaign"),
    };
    let mut summary = vec![];
    for t in with_check(Check::Differential) {
        let cfg = t.config().unwrap();
        if cfg.build.replicas < 2 {
            continue;
        }
        let so = (plan.core_runs > 0).then(|| build(&t.name, false).unwrap().0);
        let s = run_campaign(&t.name, &cfg, &plan, so.as_deref(), |_| {}).unwrap();
        println!("campaign: {}", serde_json::to_string(&s).unwrap());
        // The campaign crashed, rejoined and swapped, and wrote.
        assert!(
            s.kills > 0 && s.rejoins > 0 && s.swaps > 0 && s.acked_writes > 0,
            "{s:?}"
        );
        summary.push(s);
    }
    assert!(!summary.is_empty(), "no replicated target to run");
    std::fs::create_dir_all(&plan.out).unwrap();
    std::fs::write(
        plan.out.join("summary.json"),
        serde_json::to_string_pretty(&summary).unwrap(),
    )
    .unwrap();
    let failures: Vec<&String> = summary.iter().flat_map(|s| &s.failures).collect();
    assert!(failures.is_empty(), "{failures:#?}");
}
