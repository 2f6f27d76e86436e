//! Goodput of the pipelined client against a stop-and-wait client on the
//! same link (`cargo bench -p tidekv-host --bench goodput`): the Verilated
//! device top driven through its UART pins at 3 Mbaud (16 clocks per bit at
//! 48 MHz), timed in simulated time, so the figures are those of a serial
//! line, not of the simulator's speed. Prints one line per client and
//! preset; goal: pipelined goodput / wire rate >= 0.90.
//!
//! `GOODPUT_ROUNDS` (default 150) rounds per run; `GOODPUT_PRESETS`
//! (default single-c10) a comma-separated list.

use tidekv_host::bench::{run, BenchParams};
use tidekv_host::client::{Device, DEFAULT_TIMEOUT};
use tidekv_host::transport::open_sim;
use tidekv_host::workload::{KeyDist, Mix};

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let rounds: u64 = std::env::var("GOODPUT_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(150);
    let presets = std::env::var("GOODPUT_PRESETS").unwrap_or_else(|_| "single-c10".into());
    println!(
        "{:<22} {:<14} {:>9} {:>12} {:>9} {:>9} {:>10} {:>10}",
        "preset", "client", "window B", "requests/s", "p50 us", "p99 us", "goodput", "link"
    );
    for preset in presets.split(',') {
        for (name, window) in [("pipelined", None), ("stop-and-wait", Some(0))] {
            let dev = open_sim(preset, true).unwrap_or_else(|e| panic!("{preset}: {e}"));
            let mut d = Device::on(Box::new(dev), DEFAULT_TIMEOUT)
                .unwrap_or_else(|e| panic!("{preset}: {e}"));
            let p = BenchParams {
                mix: Mix::A,
                dist: KeyDist::Zipf(0.99),
                records: 100,
                rounds,
                window_frames: window,
                seed: 1,
                load: true,
            };
            let r = run(&mut d, &p, |_| {}).unwrap_or_else(|e| panic!("{preset} {name}: {e}"));
            println!(
                "{:<22} {:<14} {:>9} {:>12.0} {:>9.1} {:>9.1} {:>10.3} {:>10.3}",
                preset,
                name,
                r.window_bytes,
                r.ops_per_s,
                r.p50_us,
                r.p99_us,
                r.goodput_ratio.unwrap_or(f64::NAN),
                r.link_ratio.unwrap_or(f64::NAN)
            );
        }
    }
    println!("goodput: request or response slot bytes of answered requests per second, busier direction, over the wire's bytes/s; link: every byte on the wire that way");
}
