//! Steps a preset under full load for a profiler (callgrind, perf):
//! `cargo run --release -p tidekv-sim --example profile_step -- sharded-c10-s4`
use tidekv_defs::gen::{GenConfig, Generator, OpMix};
use tidekv_defs::Config;
use tidekv_sim::Model;

fn main() {
    let name = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "sharded-c10-s4".into());
    let cfg = Config::preset(&name).unwrap_or_else(|e| panic!("{e}"));
    let c = cfg.build.clients as usize;
    let g = GenConfig {
        seed: 42,
        rounds: 0,
        key_range_bits: 11,
        mix: OpMix::default(),
    };
    let mut gen = Generator::new(&g, &cfg.build);
    let rounds: Vec<Vec<_>> = (0..20_000)
        .map(|_| (0..c).map(|_| Some(gen.next_request())).collect())
        .collect();
    let mut m = Model::new(&cfg);
    let t = std::time::Instant::now();
    let mut n = 0;
    for r in &rounds {
        if let Some(d) = m.step(r) {
            n += d.slots.iter().flatten().count();
        }
    }
    let s = t.elapsed().as_secs_f64();
    println!(
        "{name}: {n} responses in {s:.4} s: {:.1} M requests/s",
        (rounds.len() * c) as f64 / s / 1e6
    );
}
