//! Simulation speed of the core of the configuration this crate is built
//! for (`TIDEKV_RTL_CONFIG`, default rtl/test.toml): clocks/s in rust-hdl's
//! own simulator and in Verilator on the same Verilog, idle rounds with the
//! core running (every block clocks, no requests), and Verilator under the
//! on-chip generator's full load. Prints figures and writes them as JSON to
//! `build/bench-sim/NAME.json`; asserts nothing about speed. `make
//! bench-sim` runs it for every preset and gathers the files into
//! `build/bench-sim.json`.

use rust_hdl::prelude::*;
use std::time::Instant;
use tidekv_cosim::verilator::{build, VCore};
use tidekv_defs::gen::{GenConfig, OpMix};
use tidekv_driver::drive;
use tidekv_rtl::core::Core;
use tidekv_rtl::params::T;
use tidekv_rtl::testutil::{clocks, settle};

fn main() {
    let spec = std::env::var("TIDEKV_RTL_CONFIG")
        .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/test.toml").into());
    let (so, cfg) = build(&spec, false).expect("verilate the configuration");
    let name = &cfg.name;

    // rust-hdl: reset, wait out the table wipe, then run.
    let mut c = Box::new(Core::new());
    c.connect_all();
    c.reset.next = true;
    clocks(&mut *c, 1, |c| &mut c.clock);
    c.reset.next = false;
    for _ in 0..1_000_000 {
        settle(&mut *c);
        if !c.busy.val() {
            break;
        }
        clocks(&mut *c, 1, |c| &mut c.clock);
    }
    c.run.next = true;
    let n = 20 * T;
    let t0 = Instant::now();
    clocks(&mut *c, n, |c| &mut c.clock);
    let rh = n as f64 / t0.elapsed().as_secs_f64();

    // Verilator: idle rounds for about 3 s, then the generator for about as long.
    let mut v = VCore::open(&so, None).expect("load the core");
    let (k0, t0) = (v.clocks(), Instant::now());
    let mut idle_rounds = 0;
    while t0.elapsed().as_secs_f64() < 3.0 {
        v.idle(1000);
        idle_rounds += 1000;
    }
    let dt = t0.elapsed().as_secs_f64();
    let vl = (v.clocks() - k0) as f64 / dt;
    let rounds = (idle_rounds as f64 / dt * 3.0) as u64 + 100;
    let g = GenConfig {
        seed: 5,
        rounds,
        key_range_bits: 12,
        mix: OpMix::default(),
    };
    let (k0, t0) = (v.clocks(), Instant::now());
    drive::run_generator(&mut v, &g).expect("a generator run");
    let dt_gen = t0.elapsed().as_secs_f64();
    let vg = (v.clocks() - k0) as f64 / dt_gen;
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../build/bench-sim");
    std::fs::create_dir_all(&root).expect("mkdir build/bench-sim");
    let json = serde_json::json!({
        "preset": name,
        "clocks_per_round": T,
        "clients": cfg.build.clients,
        "verilator": tidekv_cosim::verilator::version().unwrap_or_default(),
        "rust_hdl_clocks_per_s": rh,
        "verilator_idle_clocks_per_s": vl,
        "verilator_idle_rounds_per_s": vl / T as f64,
        "verilator_load_clocks_per_s": vg,
        "verilator_load_rounds_per_s": rounds as f64 / dt_gen,
        "verilator_load_requests_per_s": (rounds * u64::from(cfg.build.clients)) as f64 / dt_gen,
    });
    std::fs::write(root.join(format!("{name}.json")), format!("{json}\n"))
        .expect("write build/bench-sim/NAME.json");
    println!(
        "{name}: T = {T} clocks/round | rust-hdl {rh:.0} clocks/s | Verilator idle {:.2} M clocks/s ({:.0} rounds/s), ratio {:.0}x | Verilator generator load {:.2} M clocks/s ({:.0} rounds/s, {:.2} M requests/s)",
        vl / 1e6,
        vl / f64::from(T as u32),
        vl / rh,
        vg / 1e6,
        rounds as f64 / dt_gen,
        (rounds * u64::from(cfg.build.clients)) as f64 / dt_gen / 1e6,
    );
}
