//! `tidekv hwbench`: generator mode (SPEC section 7) on the device, its
//! digest compared with the model's.

use super::{print, Global};
use serde_json::json;
use std::path::PathBuf;
use std::time::Instant;
use tidekv_defs::gen::{GenConfig, OpMix};
use tidekv_defs::{Config, Schedule};
use tidekv_driver::drive::{self, Core};
use tidekv_host::Error;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Rounds the generator runs (every client issues in each).
    #[arg(long, default_value_t = 10_000)]
    pub rounds: u64,
    /// The generator's xorshift64 seed (non-zero).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Op weights, e.g. get=50,insert=15,modify=10,put=15,delete=10 (the default).
    #[arg(long)]
    pub mix: Option<String>,
    /// Keys are drawn from 0..2^BITS.
    #[arg(long, value_name = "BITS", default_value_t = 10)]
    pub key_bits: u32,
    /// The schedule to run under (a schedule file; default: the build's default schedule).
    #[arg(long, value_name = "FILE")]
    pub schedule: Option<PathBuf>,
}

pub fn run(a: Args, g: &Global) -> tidekv_host::Result<()> {
    let mut d = g.open()?;
    let b = d.info.build.clone();
    let mix = match &a.mix {
        Some(m) => OpMix::parse(m).map_err(|e| Error::Usage(format!("--mix: {e}")))?,
        None => OpMix::default(),
    };
    let gc = GenConfig {
        seed: a.seed,
        rounds: a.rounds,
        key_range_bits: a.key_bits,
        mix,
    };
    gc.validate(&b)
        .map_err(|e| Error::Usage(format!("hwbench: {e}")))?;
    let schedule = match &a.schedule {
        Some(f) => tidekv_host::schedule::read_schedule_file(f, &d)?,
        None => Schedule::default_for(&b),
    };
    // From round 0 with empty tables, as the model starts.
    d.reset(&schedule)?;
    let (wall, link) = (Instant::now(), d.core.now());
    let got = drive::run_generator(&mut d.core, &gc)?;
    let (wall, link) = (
        wall.elapsed().as_secs_f64(),
        (d.core.now() - link).as_secs_f64(),
    );
    let cfg = Config {
        name: "device".into(),
        build: b.clone(),
        schedule,
    };
    let want = tidekv_sim::Model::new(&cfg).run_generator(&gc);
    // The device's own rate: rounds of T clocks at its clock.
    let device_s = (a.rounds + d.core.latency()) as f64 * f64::from(d.info.clocks_per_round)
        / f64::from(d.info.link.clock_hz);
    let rate = got.requests as f64 / device_s;
    let same = got == want;
    print(
        g,
        || {
            format!(
                "{} requests over {} rounds: digest {:08x} (model {:08x}) {}\ndevice time {:.6} s at {} Hz, T = {}: {:.0} requests/s; the run took {:.6} s on the link ({:.3} s wall)",
                got.requests,
                a.rounds,
                got.digest,
                want.digest,
                if same { "equal, and so are the status and op counts" } else { "DIFFERENT" },
                device_s,
                d.info.link.clock_hz,
                d.info.clocks_per_round,
                rate,
                link,
                wall
            )
        },
        || {
            json!({
                "requests": got.requests, "rounds": a.rounds, "digest": got.digest, "model_digest": want.digest, "equal": same,
                "status_counts": got.status_counts, "model_status_counts": want.status_counts,
                "device_seconds": device_s, "requests_per_s": rate, "link_seconds": link, "wall_seconds": wall,
            })
        },
    );
    if !same {
        return Err(Error::Device(format!(
            "the device's generator report {got:?} differs from the model's {want:?}"
        )));
    }
    Ok(())
}
