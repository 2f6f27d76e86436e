//! The clap command line: one file per subcommand.

pub mod bench;
#[cfg(feature = "sim")]
pub mod campaign;
pub mod explore;
pub mod hwbench;
pub mod info;
pub mod kv;
pub mod node;
pub mod preset;
pub mod replay;
pub mod schedule;
#[cfg(feature = "sim")]
pub mod sim;
pub mod stats;
pub mod stream;
pub mod table;
pub mod workload;

use clap::{Parser, Subcommand};
use std::time::Duration;
use tidekv_host::client::{Device, DEFAULT_TIMEOUT};
use tidekv_host::transport::DeviceSpec;

/// tidekv: a statically scheduled key-value store for FPGAs.
///
/// Exit codes: 0 success (a request the device answered, whatever its
/// status); 2 bad command line; 3 bad input (configuration, trace or
/// schedule), nothing run; 4 cannot read a file; 5 cannot write the
/// output; 6 the Verilator backend failed; 7 the link failed (no answer,
/// corrupted frames, a port that cannot be opened); 8 the device refused
/// or answered wrongly.
#[derive(Debug, Parser)]
#[command(name = "tidekv", version, about, long_about)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

/// Options every command takes.
#[derive(Debug, clap::Args)]
pub struct Global {
    /// The device: serial:PATH[@BAUD] (a board, or `tidekv sim --pty`),
    /// tcp:HOST:PORT (`tidekv sim --tcp`), sim:PRESET (the Verilated
    /// device top in this process; sim-uart:PRESET through its UART pins),
    /// pcie:DOMAIN:BUS:DEV.FN or a BAR file's path, +OFFSET if the mailbox
    /// is not at the BAR's start (a card's mailbox),
    /// vfio-user:SOCKET (`tidekv sim --pcie --vfio-user`), or
    /// sim-pcie:PRESET (the Verilated mailbox gateware in this process).
    #[arg(long, global = true, value_name = "DEVICE")]
    pub device: Option<String>,
    /// How long to wait for one answer, in milliseconds.
    #[arg(long, global = true, value_name = "MS", default_value_t = DEFAULT_TIMEOUT.as_millis() as u64)]
    pub timeout_ms: u64,
    /// Print JSON (one object, or one per line) instead of text.
    #[arg(long, global = true)]
    pub json: bool,
}

impl Global {
    pub fn timeout(&self) -> Duration {
        Duration::from_millis(self.timeout_ms.max(1))
    }

    pub fn device_spec(&self) -> tidekv_host::Result<DeviceSpec> {
        self.device
            .as_deref()
            .ok_or_else(|| {
                tidekv_host::Error::Usage(
                    "this command needs --device (serial:PATH[@BAUD], tcp:HOST:PORT or sim:PRESET)"
                        .into(),
                )
            })?
            .parse()
    }

    /// Connect to `--device`.
    pub fn open(&self) -> tidekv_host::Result<Device> {
        Device::open(&self.device_spec()?, self.timeout())
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Replay a trace (SPEC section 8) and print one JSON line per request.
    Replay(replay::Args),
    /// Serve a virtual device (the Verilated device top) on a pty or TCP.
    #[cfg(feature = "sim")]
    Sim(sim::Args),
    /// The device's build and link: clients, T, clock, baud, build hash.
    Info,
    /// Read a key.
    Get(kv::Key),
    /// Write a key, inserting it if absent.
    Put(kv::KeyValue),
    /// Insert a key that must be absent.
    Insert(kv::KeyValue),
    /// Change a key that must be present.
    Modify(kv::KeyValue),
    /// Remove a key.
    Delete(kv::Key),
    /// Crash-stop a replica node.
    Fail(node::Args),
    /// Bring a failed replica node back (its table copied from a live replica).
    Recover(node::Args),
    /// A replica's table as the device holds it, or (--all) every
    /// replica's digest and whether each shard's live replicas agree.
    Table(table::Args),
    /// The device's counters and its link's counters.
    Stats(stats::Args),
    /// Load a schedule: validate, stage, read back, verify, swap at a round, confirm.
    LoadSchedule(schedule::LoadArgs),
    /// The device's shard map and its last schedule swap.
    ShowSchedule(schedule::ShowArgs),
    /// Stream requests (JSON lines, no rounds) through the device, free-running.
    Stream(stream::Args),
    /// An open-loop benchmark: YCSB A/B/C/F or ETC, latency and goodput.
    Bench(bench::Args),
    /// Generator mode on the device (resets it), its digest checked against the model's.
    Hwbench(hwbench::Args),
    /// Write a synthetic workload (YCSB, ETC) as `stream` input.
    Workload(workload::Args),
    /// Sweep a space of configurations on the model: link bits, latency,
    /// throughput, shard load, replication anomalies (Markdown and JSON Lines).
    Explore(explore::Args),
    /// The shipped configurations (targets.toml), or one's configuration text.
    Preset(preset::Args),
    /// The fault campaign: seeded runs with replica crashes, rejoins and
    /// swaps under load, on the model and the Verilated core.
    #[cfg(feature = "sim")]
    Campaign(campaign::Args),
}

pub fn run(cli: Cli) -> tidekv_host::Result<()> {
    let g = &cli.global;
    match cli.command {
        Command::Replay(a) => replay::run(a, g),
        #[cfg(feature = "sim")]
        Command::Sim(a) => sim::run(a, g),
        Command::Info => info::run(g),
        Command::Preset(a) => preset::run(a, g),
        #[cfg(feature = "sim")]
        Command::Campaign(a) => campaign::run(a, g),
        Command::Get(a) => kv::run(tidekv_defs::Op::Get, a.into(), g),
        Command::Put(a) => kv::run(tidekv_defs::Op::Put, a, g),
        Command::Insert(a) => kv::run(tidekv_defs::Op::Insert, a, g),
        Command::Modify(a) => kv::run(tidekv_defs::Op::Modify, a, g),
        Command::Delete(a) => kv::run(tidekv_defs::Op::Delete, a.into(), g),
        Command::Fail(a) => node::run(a, true, g),
        Command::Recover(a) => node::run(a, false, g),
        Command::Table(a) => table::run(a, g),
        Command::Stats(a) => stats::run(a, g),
        Command::LoadSchedule(a) => schedule::load(a, g),
        Command::ShowSchedule(a) => schedule::show(a, g),
        Command::Stream(a) => stream::run(a, g),
        Command::Bench(a) => bench::run(a, g),
        Command::Hwbench(a) => hwbench::run(a, g),
        Command::Workload(a) => workload::run(a),
        Command::Explore(a) => explore::run(a, g),
    }
}

/// Print a line, or JSON with `--json`.
pub fn print(g: &Global, text: impl FnOnce() -> String, json: impl FnOnce() -> serde_json::Value) {
    if g.json {
        println!("{}", json());
    } else {
        println!("{}", text());
    }
}
