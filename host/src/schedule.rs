//! Schedules on a device (SPEC section 6): load one from a TOML file
//! (validated against the device's build, staged in the shadow copy, read
//! back, verified by CRC, swapped in at a named round, confirmed), and show
//! what the device holds.

use crate::client::Device;
use crate::{Error, Result};
use std::path::Path;
use tidekv_defs::config::parse_schedule;
use tidekv_defs::regs::{Cmd, SwapState};
use tidekv_defs::Schedule;
use tidekv_driver::drive::{self, Core, SWAP_REFUSED};

/// Rounds `load` runs to reach a swap round at most; a later round is armed
/// and left for `show-schedule` to confirm.
pub const MAX_WAIT_ROUNDS: u64 = 1 << 20;

/// Read and validate a schedule file for the device's build.
pub fn read_schedule_file(path: &Path, d: &Device) -> Result<Schedule> {
    let (shown, text) = crate::read_text(path)?;
    Ok(parse_schedule(&text, &shown, &d.info.build)?)
}

/// What `load` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Loaded {
    /// The round the swap was armed for.
    pub round: u64,
    /// The schedule's CRC, as the device verified it.
    pub crc: u32,
    /// Whether the swap has happened and taken effect (`None`: armed, its
    /// round not reached, not waited for).
    pub confirmed: Option<bool>,
    /// The device's round when `load` returned.
    pub device_round: u64,
}

impl Loaded {
    /// `load-schedule --json`'s object (and the Python binding's dict).
    pub fn to_json(&self, file: &str) -> serde_json::Value {
        serde_json::json!({"file": file, "crc": self.crc, "round": self.round, "took_effect": self.confirmed, "device_round": self.device_round})
    }
}

/// Load `s` onto the device: stage it in the shadow copy, read the shard
/// map back, verify its CRC and arm the swap for round `at` (default: the
/// device's current round, so the next round runs it). With `wait`, run
/// empty rounds until that round has run and confirm the swap took effect.
/// Any failure before the swap leaves the active schedule untouched.
pub fn load(d: &mut Device, s: &Schedule, at: Option<u64>, wait: bool) -> Result<Loaded> {
    let now = d.round()?;
    let at = at.unwrap_or(now);
    if at < now {
        return Err(Error::Usage(format!(
            "--round {at}: the device is already in round {now}; give a round >= {now}"
        )));
    }
    drive::stage_schedule(&mut d.core, s)?;
    // Read back what can be read; the CRC covers the rest.
    for (bucket, &shard) in s.shard_map.iter().enumerate() {
        let got = d.core.ok(Cmd::ReadMap, bucket as u32, 0)?;
        if got != u64::from(shard) {
            return Err(Error::Device(format!("bucket {bucket} of the staged shard map reads back as shard {got}, not {shard}: the link or the device is corrupting commands")));
        }
    }
    let crc = drive::verify_schedule(&mut d.core, &d.info.build.clone(), s)?;
    d.core.ok(Cmd::Swap, 0, at)?;
    let mut loaded = Loaded {
        round: at,
        crc,
        confirmed: None,
        device_round: now,
    };
    if wait && at - now < MAX_WAIT_ROUNDS {
        let c = d.clients() as usize;
        let empty = (now..=at).map(|_| vec![None; c]);
        d.core
            .steps(empty, usize::MAX, |_, _, _| Ok::<(), Error>(()))?;
        let rec = drive::read_swap(&mut d.core, at)?;
        if let Err(e) = rec.result {
            return Err(Error::Device(format!(
                "the swap at round {at} did not take effect: {e}"
            )));
        }
        loaded.confirmed = Some(true);
        loaded.device_round = d.round()?;
    }
    Ok(loaded)
}

/// What the device holds: its round, a copy of the shard map, the last swap.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shown {
    pub round: u64,
    /// Whether `shard_map` is the active copy (else the shadow).
    pub active: bool,
    pub shard_map: Vec<u16>,
    pub swap: SwapState,
}

impl Shown {
    /// `show-schedule --json`'s object (and the Python binding's dict).
    pub fn to_json(&self) -> serde_json::Value {
        let sw = &self.swap;
        serde_json::json!({
            "round": self.round,
            "copy": if self.active { "active" } else { "shadow" },
            "shard_map": self.shard_map,
            "swap": {"round": sw.round, "armed": sw.armed, "done": sw.done, "took_effect": sw.took_effect},
        })
    }
}

/// Read the active (or shadow) shard map and the last swap's state.
pub fn show(d: &mut Device, active: bool) -> Result<Shown> {
    let round = d.round()?;
    let mut shard_map = Vec::with_capacity(d.info.build.buckets as usize);
    for bucket in 0..d.info.build.buckets {
        shard_map.push(d.core.ok(Cmd::ReadMap, bucket, u64::from(active))? as u16);
    }
    let swap = SwapState::decode(d.core.ok(Cmd::ReadSwap, 0, 0)?);
    Ok(Shown {
        round,
        active,
        shard_map,
        swap,
    })
}

/// A swap's state in words.
pub fn swap_words(s: &SwapState) -> String {
    if s.armed {
        format!("a swap is armed for round {}", s.round)
    } else if s.done && s.took_effect {
        format!("the last swap took effect in round {}", s.round)
    } else if s.done {
        format!(
            "the last swap, at round {}, was refused: {SWAP_REFUSED}",
            s.round
        )
    } else {
        "no swap since reset (the build's schedule)".into()
    }
}
