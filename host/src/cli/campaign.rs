//! `tidekv campaign`: the fault campaign (`tidekv_testbench::campaign`):
//! seeded runs under full load with up to R - 1 replica crashes per shard,
//! rejoins and schedule swaps, on the model and the Verilated core; a
//! summary (and JSON), failing runs kept with the line that replays them.
//! With `--link-frames N`, the hostile link campaign too
//! (`tidekv_testbench::hostile`): N bad frames against the Verilated device
//! top, between good rounds checked against the model.

use super::{print, Global};
use indicatif::{ProgressBar, ProgressStyle};
use std::path::PathBuf;
use tidekv_defs::targets::{with_check, Check};
use tidekv_host::Error;
use tidekv_testbench::campaign::{run_campaign, Plan};
use tidekv_testbench::hostile::{run_link_campaign, LinkPlan};

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
    /// Bad frames of the hostile link campaign against the Verilated
    /// device top (0: no link campaign; `make campaign` sends 10^6).
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub link_frames: u64,
    /// The preset whose device top the link campaign runs.
    #[arg(long, default_value = "single-c10", value_name = "NAME")]
    pub link_preset: String,
    /// No fault campaign, only the link campaign.
    #[arg(long)]
    pub link_only: bool,
    /// No progress bar.
    #[arg(long)]
    pub quiet: bool,
}

fn bar(quiet: bool, len: u64, unit: &str) -> ProgressBar {
    if quiet {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(len).with_style(
            ProgressStyle::with_template(&format!(
                "{{bar:40}} {{pos}}/{{len}} {unit}, {{elapsed}} {{msg}}"
            ))
            .expect("template"),
        )
    }
}

pub fn run(a: Args, g: &Global) -> tidekv_host::Result<()> {
    if a.runs == 0 || a.rounds < 8 || a.keys == 0 {
        return Err(Error::Usage(
            "campaign: --runs and --keys at least 1, --rounds at least 8".into(),
        ));
    }
    if a.link_only && a.link_frames == 0 {
        return Err(Error::Usage(
            "campaign: --link-only needs --link-frames N (N >= 1)".into(),
        ));
    }
    let names: Vec<String> = if a.link_only {
        vec![]
    } else if a.presets.is_empty() {
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
    let link_cfg = (a.link_frames > 0)
        .then(|| tidekv_defs::Config::preset(&a.link_preset))
        .transpose()?;
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
        let bar = bar(a.quiet, a.runs, "runs");
        bar.set_message(name.clone());
        let s = run_campaign(name, cfg, &plan, so.as_deref(), |i| bar.set_position(i))
            .map_err(Error::Output)?;
        bar.finish_and_clear();
        rows.push(s);
    }
    let link = match &link_cfg {
        Some(cfg) => {
            let name = &a.link_preset;
            let so = tidekv_cosim::verilator::build_top(
                name,
                tidekv_cosim::verilator::Top::Device,
                false,
            )?
            .0;
            let bar = bar(a.quiet, a.link_frames, "bad frames");
            bar.set_message(format!("{name}'s device top"));
            let s = run_link_campaign(name, cfg, &so, &LinkPlan::new(a.link_frames, a.seed), |i| {
                bar.set_position(i)
            })
            .map_err(Error::Device)?;
            bar.finish_and_clear();
            Some(s)
        }
        None => None,
    };
    std::fs::create_dir_all(&a.out).map_err(Error::Output)?;
    let json = a.out.join("summary.json");
    std::fs::write(
        &json,
        serde_json::to_string_pretty(&serde_json::json!({ "targets": rows, "link": link }))
            .expect("serializes"),
    )
    .map_err(Error::Output)?;
    let mut failures: Vec<String> = rows.iter().flat_map(|s| s.failures.clone()).collect();
    if let Some(l) = &link {
        failures.extend(
            l.failures
                .iter()
                .map(|f| {
                    format!(
                        "link campaign on {} (seed {:#x}): {f}; reproduce: tidekv campaign --link-only --link-preset {} --link-frames {} --seed {}",
                        l.target, a.seed, l.target, a.link_frames, a.seed
                    )
                }),
        );
    }
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
            if let Some(l) = &link {
                let nacks: Vec<String> = l.nacks.iter().map(|(k, v)| format!("{v} {k}")).collect();
                t += &format!(
                    "link campaign on {}'s device top: {} bad frames of {} kinds and {} replayed or out-of-order probes, {} bursts ({} overruns), {} half frames, {} good requests; Nacks: {}; {} hangs, {} corrupt frames accepted, {} mismatches; {:.0} bad frames/s, {} clocks in {:.0} s\n",
                    l.target, l.frames, l.kinds.len(), l.probes, l.bursts, l.burst_overruns,
                    l.timeouts, l.good_requests, nacks.join(", "), l.hangs, l.accepted_corrupt,
                    l.mismatches, l.frames_per_s, l.clocks, l.seconds
                );
            }
            for f in &failures {
                t += &format!("FAILED {f}\n");
            }
            t + &format!("wrote {}", json.display())
        },
        || serde_json::json!({ "targets": rows, "link": link, "summary": json }),
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
