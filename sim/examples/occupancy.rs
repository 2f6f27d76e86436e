//! A configuration's table occupancy at the first `full` (random keys, 20
//! seeds): `cargo run --release -p tidekv-sim --example occupancy -- SPEC`
use tidekv_defs::Config;
use tidekv_sim::table::Table;

fn main() {
    let spec = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "single-c10".into());
    let cfg = Config::from_spec(&spec).unwrap_or_else(|e| panic!("{e}"));
    let f: Vec<f64> = (0..20u64)
        .map(|seed| Table::first_full_occupancy(&cfg.build, seed))
        .collect();
    let worst = f.iter().copied().fold(1.0, f64::min);
    let mean = f.iter().sum::<f64>() / f.len() as f64;
    println!(
        "{}: {} slots, first full at {:.1} % worst, {:.1} % mean",
        cfg.name,
        cfg.build.total_slots(),
        100.0 * worst,
        100.0 * mean
    );
}
