//! The differential suite (docs/DESIGN.md, "Verilator co-simulation"): per
//! preset, random and hostile traffic and generator runs on the Verilated
//! core and on the model, request by request. `TK_SCALE` multiplies every
//! trace's length (`make soak` sets it); `TK_ONLY=TEXT` runs only the
//! traffic whose name contains TEXT (and then checks no total); each preset
//! prints what it compared. A failing trace is kept in build/testbench/.

use tidekv_defs::gen::{GenConfig, OpMix};
use tidekv_testbench::traffic::{self, Traffic};
use tidekv_testbench::{build, compare, compare_generator};

fn scale() -> u64 {
    std::env::var("TK_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1)
}

fn suite(preset: &str) {
    let (so, cfg) = build(preset);
    let k = scale();
    let mut total = 0;
    let only = std::env::var("TK_ONLY").ok();
    let mut run = |what: &str, seed: u64, write: &dyn Fn(&mut Traffic)| {
        if only.as_ref().is_some_and(|o| !what.contains(o.as_str())) {
            return;
        }
        let mut t = Traffic::new(&cfg, seed);
        write(&mut t);
        // Kept only if the comparison fails: `tidekv replay` reproduces it.
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../build/testbench");
        std::fs::create_dir_all(dir).expect("mkdir build/testbench");
        let file = format!("{dir}/{preset}-seed{seed}.jsonl");
        std::fs::write(&file, t.text()).expect("write the trace");
        let n = compare(
            &format!("{preset}: {what} (seed {seed}, trace {file})"),
            &so,
            &cfg,
            &t.trace(),
        );
        assert_eq!(n, t.requests(), "{preset}: {what}: every request answered");
        std::fs::remove_file(&file).expect("remove the trace");
        total += n;
    };
    for i in 0..k {
        let s = 1000 * i;
        run("uniform mixed ops", s + 1, &|t| {
            traffic::mixed(t, 0, 3000, 0.9, 12)
        });
        run("every client every round", s + 2, &|t| {
            traffic::mixed(t, 0, 1000, 1.0, 10)
        });
        run("Zipf 0.99", s + 3, &|t| {
            traffic::zipf(t, 0, 2000, 1 << 16, 0.99)
        });
        run("hot keys", s + 4, &|t| traffic::hot_keys(t, 0, 1000, 8));
        run("burst onto one shard", s + 5, &|t| {
            traffic::burst_one_shard(t, 0, 1000)
        });
        run("one key per round", s + 6, &|t| {
            traffic::one_key_rounds(t, 0, 500)
        });
        run("fill to full", s + 7, &|t| {
            traffic::fill(t, 0);
        });
        run("delete/re-insert churn", s + 8, &|t| {
            traffic::churn(t, 0, 1000)
        });
        run("failures and recoveries", s + 9, &|t| {
            traffic::failures(t, 0, 2000)
        });
        run("schedule swaps", s + 10, &|t| {
            traffic::swaps(t, 0, 2000, 150)
        });
    }
    let mut gen = 0;
    for (i, mix) in [
        OpMix::default(),
        OpMix([0, 100, 0, 0, 0]),
        OpMix([10, 30, 20, 20, 20]),
    ]
    .into_iter()
    .enumerate()
    {
        let g = GenConfig {
            seed: 7 + i as u64,
            rounds: 500 * k,
            key_range_bits: [10, 16, 4][i],
            mix,
        };
        gen += compare_generator(&format!("{preset}: generator {i}"), &so, &cfg, &g);
    }
    println!("{preset}: {total} trace requests and {gen} generator requests equal to the model");
    assert!(
        only.is_some() || total >= 100_000,
        "{preset}: only {total} requests compared"
    );
}

#[test]
fn single_c10() {
    suite("single-c10");
}

#[test]
fn sharded_c10_s4() {
    suite("sharded-c10-s4");
}

#[test]
fn replicated_c10_s2_r3() {
    suite("replicated-c10-s2-r3");
}

#[test]
fn hier_c10_h2_s4() {
    suite("hier-c10-h2-s4");
}
