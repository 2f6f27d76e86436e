//! `tidekv bench`: an open-loop benchmark (YCSB A/B/C/F, ETC) on a device.

use super::Global;
use indicatif::{ProgressBar, ProgressStyle};
use tidekv_host::bench::{self, BenchParams};
use tidekv_host::workload::{KeyDist, Mix};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The operation mix.
    #[arg(long, value_enum, default_value_t = Mix::A)]
    pub workload: Mix,
    /// Key popularity: uniform, zipf (0.99) or zipf:THETA.
    #[arg(long, default_value = "zipf")]
    pub keys: KeyDist,
    /// Records loaded first and drawn from (default: half of one replica's capacity per shard).
    #[arg(long, value_name = "N")]
    pub records: Option<u64>,
    /// Rounds measured; every client issues in each.
    #[arg(long, default_value_t = 2000)]
    pub rounds: u64,
    /// Step frames in flight (default: as many as the device's receive FIFO holds).
    #[arg(long, value_name = "FRAMES", conflicts_with = "stop_and_wait")]
    pub window: Option<usize>,
    /// One frame at a time: send a round, wait for its answer.
    #[arg(long)]
    pub stop_and_wait: bool,
    /// Seed of the workload's random numbers.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Skip loading the records (the device holds them already).
    #[arg(long)]
    pub no_load: bool,
}

pub fn run(a: Args, g: &Global) -> tidekv_host::Result<()> {
    let mut d = g.open()?;
    let b = &d.info.build;
    let records = a
        .records
        .unwrap_or((u64::from(b.capacity) * u64::from(b.shards) / 2).max(1));
    let p = BenchParams {
        mix: a.workload,
        dist: a.keys,
        records,
        rounds: a.rounds,
        window_frames: if a.stop_and_wait { Some(0) } else { a.window },
        seed: a.seed,
        load: !a.no_load,
    };
    let total = a.rounds * u64::from(d.clients());
    let bar = ProgressBar::new(total).with_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} requests {per_sec}").expect("template"),
    );
    let r = bench::run(&mut d, &p, |n| bar.set_position(n))?;
    bar.finish_and_clear();
    if g.json {
        println!(
            "{}",
            serde_json::to_string(&r).expect("a report serialises")
        );
    } else {
        println!("{}", r.to_text());
    }
    Ok(())
}
