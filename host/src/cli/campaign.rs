//! `tidekv campaign`: the fault campaign (`tidekv_testbench::campaign`):
//! seeded runs under full load with up to R - 1 replica crashes per shard,
//! rejoins and schedule swaps, on the model and the Verilated core; a
//! summary (and JSON), failing runs kept with the line that replays them.

use super::{print, Global};
use indicatif::{ProgressBar, ProgressStyle};
use std::path::PathBuf;
use tidekv_defs::targets::{with_check, Check};
use tidekv_host::Error;
use tidekv_testbench::campaign::{run_campaign, Plan};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// A preset to run (repeat for several); default: every replicated
    /// target of targets.toml with the differential check.
    #[arg(long = "preset", value_name = "NAME")]
    pub presets: Vec<String>,
    /// Model runs per preset.
    #[arg(long, default_value_t = 100)]
    pub runs: u64,
    /// Of those, how many also run on the Verilated core (0: none).
    #[arg(long, default_value_t = 10)]
    pub core_runs: u64,
    /// Rounds of load per run.
    #[arg(long, default_value_t = 200)]
    pub rounds: u64,
    /// Keys the runs write (a small space: writes contend).
    #[arg(long, default_value_t = 48)]
    pub keys: u64,
    /// The first run's seed (run i has seed + i).
    #[arg(long, default_value_t = 0xC0FF_EE00)]
    pub seed: u64,
    /// Where failing runs' traces and summary.json go.
    #[arg(long, default_value = "build/campaign", value_name = "DIR")]
    pub out: PathBuf,
    /// No progress bar.
    #[arg(long)]
    pub quiet: bool,
}

pub fn run(a: Args, g: &Global) -> tidekv_host::Result<()> {
    if a.runs == 0 || a.rounds < 8 || a.keys == 0 {
        return Err(Error::Usage(
            "campaign: --runs and --keys at least 1, --rounds at least 8".into(),
        ));
    }
    let names: Vec<String> = if a.presets.is_empty() {
        with_check(Check::Differential)
            .filter(|t| t.config().is_ok_and(|c| c.build.replicas > 1))
            .map(|t| t.name.clone())
            .collect()
    } else {
        a.presets.clone()
    };
    // Check every preset before anything runs.
    let cfgs = names
        .iter()
        .map(|n| tidekv_defs::Config::preset(n).map(|c| (n.clone(), c)))
        .collect::<Result<Vec<_>, _>>()?;
    let plan = Plan {
        runs: a.runs,
        core_runs: a.core_runs,
        rounds: a.rounds,
        keys: a.keys,
        seed: a.seed,
        out: a.out.clone(),
    };
    let mut rows = vec![];
    for (name, cfg) in &cfgs {
        let so = if a.core_runs > 0 {
            Some(tidekv_cosim::verilator::build(name, false)?.0)
        } else {
            None
        };
        let bar = if a.quiet {
            ProgressBar::hidden()
        } else {
            ProgressBar::new(a.runs).with_style(
                ProgressStyle::with_template("{bar:40} {pos}/{len} runs, {elapsed} {msg}")
                    .expect("template"),
            )
        };
        bar.set_message(name.clone());
        let s = run_campaign(name, cfg, &plan, so.as_deref(), |i| bar.set_position(i))
            .map_err(Error::Output)?;
        bar.finish_and_clear();
        rows.push(s);
    }
    std::fs::create_dir_all(&a.out).map_err(Error::Output)?;
    let json = a.out.join("summary.json");
    std::fs::write(
        &json,
        serde_json::to_string_pretty(&rows).expect("serializes"),
    )
    .map_err(Error::Output)?;
    let failures: Vec<String> = rows.iter().flat_map(|s| s.failures.clone()).collect();
    print(
        g,
        || {
            let mut t = String::new();
            for s in &rows {
                t += &format!(
                    "{}: {} runs ({} on the Verilated core) of {} rounds: {} kills, {} rejoins, {} swaps, {} acknowledged writes; {} lost, {} diverged, {} mismatches; {:.0} model runs/h, {:.0} core runs/h\n",
                    s.target, s.runs, s.core_runs, s.rounds, s.kills, s.rejoins, s.swaps,
                    s.acked_writes, s.lost, s.diverged, s.mismatches,
                    s.model_runs_per_hour, s.core_runs_per_hour
                );
            }
            for f in &failures {
                t += &format!("FAILED {f}\n");
            }
            t + &format!("wrote {}", json.display())
        },
        || serde_json::json!({ "targets": rows, "summary": json }),
    );
    if failures.is_empty() {
        Ok(())
    } else {
        Err(Error::Device(format!(
            "campaign: {} failing runs (kept under {})",
            failures.len(),
            a.out.display()
        )))
    }
}
