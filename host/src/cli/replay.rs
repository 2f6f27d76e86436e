//! `tidekv replay`: a trace in, SPEC section 8's output on stdout.

use clap::ValueEnum;
use std::io::Write;
use std::path::PathBuf;
use tidekv_defs::ReplicaPolicy;
use tidekv_host::replay::{replay, Backend};
use tidekv_host::{load_config, load_trace, ConfigSource};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BackendArg {
    /// The reference model.
    Model,
    /// The generated core in Verilator (verilated on first use, then cached).
    Verilator,
}

/// Spelled as in config files and SPEC: `round_robin`, `key_affine`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
#[value(rename_all = "snake_case")]
pub enum PolicyArg {
    Random,
    RoundRobin,
    KeyAffine,
}

impl From<PolicyArg> for ReplicaPolicy {
    fn from(p: PolicyArg) -> ReplicaPolicy {
        match p {
            PolicyArg::Random => ReplicaPolicy::Random,
            PolicyArg::RoundRobin => ReplicaPolicy::RoundRobin,
            PolicyArg::KeyAffine => ReplicaPolicy::KeyAffine,
        }
    }
}

#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("cfg").required(true).args(["preset", "config"])))]
pub struct Args {
    /// What answers the trace (with `--device`: that device).
    #[arg(long, value_enum, default_value_t = BackendArg::Model)]
    pub backend: BackendArg,
    /// A shipped configuration (targets.toml; `tidekv preset` lists them).
    #[arg(long, value_name = "NAME")]
    pub preset: Option<String>,
    /// A configuration file.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Override the schedule's replica policy.
    #[arg(long, value_enum, value_name = "POLICY")]
    pub replica_policy: Option<PolicyArg>,
    /// Override the replica LFSR seed (1..=4294967295).
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,
    /// Write a VCD waveform of the run (`--backend verilator` only).
    #[arg(long, value_name = "FILE")]
    pub vcd: Option<PathBuf>,
    /// Print a summary (statuses, anomalies, swaps) on stderr.
    #[arg(long)]
    pub summary: bool,
    /// The trace: JSON Lines, SPEC section 8.
    #[arg(value_name = "TRACE.jsonl")]
    pub trace: PathBuf,
}

pub fn run(a: Args, g: &super::Global) -> tidekv_host::Result<()> {
    let src = match (a.preset, a.config) {
        (Some(p), _) => ConfigSource::Preset(p),
        (None, Some(f)) => ConfigSource::File(f),
        (None, None) => unreachable!("clap requires one"),
    };
    let cfg = load_config(&src, a.replica_policy.map(Into::into), a.seed)?;
    let trace = load_trace(&a.trace, &cfg)?;
    let backend = match a.backend {
        BackendArg::Model if a.vcd.is_some() => {
            return Err(tidekv_host::Error::Usage(
                "--vcd needs --backend verilator (the model has no waveform)".into(),
            ))
        }
        BackendArg::Model if g.device.is_some() => {
            if a.vcd.is_some() {
                return Err(tidekv_host::Error::Usage(
                    "--vcd needs --backend verilator (a device has no waveform)".into(),
                ));
            }
            Backend::Device {
                spec: g.device_spec()?,
                timeout: g.timeout(),
            }
        }
        BackendArg::Model => Backend::Model,
        BackendArg::Verilator if g.device.is_some() => return Err(tidekv_host::Error::Usage(
            "--device and --backend verilator: pick one (sim:PRESET runs the Verilated device top)"
                .into(),
        )),
        BackendArg::Verilator => Backend::Verilator {
            source: src,
            vcd: a.vcd,
        },
    };
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let summary = replay(backend, &cfg, &trace, &mut out)?;
    if a.summary {
        let _ = std::io::stderr().write_all(summary.to_text().as_bytes());
    }
    Ok(())
}
