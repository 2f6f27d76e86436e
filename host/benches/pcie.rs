//! The PCIe mailbox next to the UART, in one run (`cargo bench -p
//! tidekv-host --bench pcie`, part of `make bench-host`): the same
//! benchmark (YCSB-A, Zipf 0.99, pipelined) on the Verilated device through
//! its UART pins at 3 Mbaud (`sim-uart:`), through the mailbox gateware's
//! Wishbone port with 1 us reads (`sim-pcie:`), and on its byte-stream
//! bypass, one byte a clock (`sim:`), all timed in the device's simulated
//! time. Prints a table and writes `build/bench-pcie.json`; asserts
//! nothing about speed.
//!
//! `PCIE_BENCH_ROUNDS` (default 300) rounds per run; `PCIE_BENCH_PRESET`
//! (default single-c10).

use tidekv_host::bench::{run, BenchParams};
use tidekv_host::client::{Device, DEFAULT_TIMEOUT};
use tidekv_host::transport::DeviceSpec;
use tidekv_host::workload::{KeyDist, Mix};

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let rounds: u64 = std::env::var("PCIE_BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300);
    let preset = std::env::var("PCIE_BENCH_PRESET").unwrap_or_else(|_| "single-c10".into());
    println!(
        "{:<24} {:>12} {:>10} {:>10} {:>10}  bounded by",
        "device", "requests/s", "p50 us", "p99 us", "max us"
    );
    let mut rows = vec![];
    for (kind, bound) in [
        ("sim-uart", "the wire: 10 bits a byte at 3 Mbaud"),
        (
            "sim-pcie",
            "the host's 1 us register reads (answers a word a read, D2H_TAIL polls)",
        ),
        ("sim", "one byte a clock each way"),
    ] {
        let spec: DeviceSpec = format!("{kind}:{preset}").parse().unwrap();
        let link = spec
            .open()
            .unwrap_or_else(|e| panic!("{kind}:{preset}: {e}"));
        let mut d = Device::on(link, DEFAULT_TIMEOUT).unwrap_or_else(|e| panic!("{kind}: {e}"));
        let p = BenchParams {
            mix: Mix::A,
            dist: KeyDist::Zipf(0.99),
            records: 100,
            rounds,
            window_frames: None,
            seed: 1,
            load: true,
        };
        let r = run(&mut d, &p, |_| {}).unwrap_or_else(|e| panic!("{kind}: {e}"));
        assert_eq!(r.clock, "simulated", "{kind}: timed in the device's time");
        println!(
            "{:<24} {:>12.0} {:>10.1} {:>10.1} {:>10.1}  {bound}",
            format!("{kind}:{preset}"),
            r.ops_per_s,
            r.p50_us,
            r.p99_us,
            r.max_us
        );
        rows.push(serde_json::json!({
            "device": format!("{kind}:{preset}"),
            "requests_per_s": r.ops_per_s,
            "p50_us": r.p50_us,
            "p99_us": r.p99_us,
            "max_us": r.max_us,
            "ops": r.ops,
            "rounds": r.rounds,
            "clock": r.clock,
            "bounded_by": bound,
        }));
    }
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the workspace")
        .to_path_buf();
    let out = root.join("build/bench-pcie.json");
    std::fs::create_dir_all(out.parent().unwrap()).unwrap();
    std::fs::write(&out, serde_json::to_string_pretty(&rows).unwrap() + "\n").unwrap();
    println!("wrote {}", out.display());
}
