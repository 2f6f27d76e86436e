//! `tidekv load-schedule` and `tidekv show-schedule`.

use super::{print, Global};
use std::path::PathBuf;
use tidekv_host::schedule::{self, swap_words};

#[derive(Debug, clap::Args)]
pub struct LoadArgs {
    /// A TOML file with a [schedule] table (SPEC section 6), or a whole
    /// configuration whose [build] is the device's.
    pub file: PathBuf,
    /// The round the new schedule takes effect in (default: the device's
    /// current round, so the next round runs it).
    #[arg(long, value_name = "N")]
    pub round: Option<u64>,
    /// Arm the swap and return without running rounds up to it (`show-schedule` confirms it later).
    #[arg(long)]
    pub no_wait: bool,
}

pub fn load(a: LoadArgs, g: &Global) -> tidekv_host::Result<()> {
    let mut d = g.open()?;
    let s = schedule::read_schedule_file(&a.file, &d)?;
    let l = schedule::load(&mut d, &s, a.round, !a.no_wait)?;
    print(
        g,
        || {
            match l.confirmed {
            Some(_) => format!("schedule {} (crc {:08x}) took effect in round {}; the device is in round {}", a.file.display(), l.crc, l.round, l.device_round),
            None => format!("schedule {} (crc {:08x}) verified and armed for round {}; the device is in round {}", a.file.display(), l.crc, l.round, l.device_round),
        }
        },
        || l.to_json(&a.file.display().to_string()),
    );
    Ok(())
}

#[derive(Debug, clap::Args)]
pub struct ShowArgs {
    /// Show the shadow copy's shard map (what the next swap installs) instead of the active one.
    #[arg(long)]
    pub shadow: bool,
}

pub fn show(a: ShowArgs, g: &Global) -> tidekv_host::Result<()> {
    let mut d = g.open()?;
    let s = schedule::show(&mut d, !a.shadow)?;
    print(
        g,
        || {
            let map: Vec<String> = s.shard_map.iter().map(u16::to_string).collect();
            format!(
                "round {}\n{}\n{} shard_map = [{}]\n(the replica policy, calendar and failure masks are write-only on the device: load-schedule checks them by CRC)",
                s.round,
                swap_words(&s.swap),
                if s.active { "active" } else { "shadow" },
                map.join(", ")
            )
        },
        || s.to_json(),
    );
    Ok(())
}
