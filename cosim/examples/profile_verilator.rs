//! Runs a configuration's Verilated core idle (every block clocking, no
//! requests) or under the on-chip generator's load, or its device top with
//! nothing on the link (the core paused between rounds, as it is while a
//! frame goes in or out), for a profiler (perf, callgrind):
//! `cargo run --release -p tidekv-cosim --example profile_verilator -- single-c10 [SECONDS] [load|device]`
use tidekv_cosim::verilator::{build, build_top, Top, VCore, VDevice};
use tidekv_defs::gen::{GenConfig, OpMix};
use tidekv_driver::drive;

fn main() {
    let mut args = std::env::args().skip(1);
    let spec = args.next().unwrap_or_else(|| "single-c10".into());
    let secs: f64 = args
        .next()
        .map_or(3.0, |s| s.parse().expect("SECONDS is a number"));
    let mode = args.next().unwrap_or_default();
    let load = mode == "load";
    if mode == "device" {
        let (so, cfg) = build_top(&spec, Top::Device, false).unwrap_or_else(|e| panic!("{e}"));
        let mut d = VDevice::open(&so, None, false).unwrap_or_else(|e| panic!("{e}"));
        let (k0, t0) = (d.clocks(), std::time::Instant::now());
        while t0.elapsed().as_secs_f64() < secs {
            d.run_bytes(&[], 0, 10_000);
        }
        let rate = (d.clocks() - k0) as f64 / t0.elapsed().as_secs_f64();
        println!(
            "{} device top: {:.3} M clocks/s with the link idle",
            cfg.name,
            rate / 1e6
        );
        return;
    }
    let (so, cfg) = build(&spec, false).unwrap_or_else(|e| panic!("{e}"));
    let mut v = VCore::open(&so, None).unwrap_or_else(|e| panic!("{e}"));
    let (k0, t0) = (v.clocks(), std::time::Instant::now());
    while t0.elapsed().as_secs_f64() < secs {
        if load {
            let g = GenConfig {
                seed: 5,
                rounds: 1000,
                key_range_bits: 12,
                mix: OpMix::default(),
            };
            drive::run_generator(&mut v, &g).unwrap_or_else(|e| panic!("{e}"));
        } else {
            v.idle(1000);
        }
    }
    let rate = (v.clocks() - k0) as f64 / t0.elapsed().as_secs_f64();
    println!(
        "{}: {:.3} M clocks/s {}",
        cfg.name,
        rate / 1e6,
        if load { "under the generator" } else { "idle" }
    );
}
