//! tidekv's host library: what the `tidekv` command line is a thin layer
//! over. Errors are typed, and their messages say what to do.

use std::path::{Path, PathBuf};
use tidekv_defs::config::check_seed;
use tidekv_defs::trace::{self, Trace, TraceError};
use tidekv_defs::{Config, ConfigError, ReplicaPolicy};

pub mod bench;
pub mod client;
pub mod explore;
pub mod plot;
pub mod replay;
pub mod schedule;
pub mod stream;
pub mod synth;
pub mod transport;
#[cfg(feature = "sim")]
pub mod vdev;
pub mod workload;

/// Everything the host library can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("configuration: {0}")]
    Config(#[from] ConfigError),
    #[error("{path}: {source}; fix that line and run again (nothing was run)")]
    Trace { path: String, source: TraceError },
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{0}")]
    Usage(String),
    #[error("writing the output: {0}")]
    Output(std::io::Error),
    #[error("the Verilator backend: {0}")]
    Verilator(String),
    #[error("the link: {0}")]
    Link(tidekv_driver::link::LinkCoreError),
    #[error("the link: {0}")]
    Transport(#[from] tidekv_driver::link::TransportError),
    #[error("the device: {0}")]
    Device(String),
}

impl From<tidekv_driver::link::LinkCoreError> for Error {
    /// A command the device refused is the device's error (exit 8), not the link's.
    fn from(e: tidekv_driver::link::LinkCoreError) -> Error {
        match e {
            tidekv_driver::link::LinkCoreError::Refusal(r) => r.into(),
            e => Error::Link(e),
        }
    }
}

impl From<tidekv_driver::drive::Refusal> for Error {
    fn from(r: tidekv_driver::drive::Refusal) -> Error {
        Error::Device(r.to_string())
    }
}

#[cfg(feature = "sim")]
impl From<tidekv_cosim::verilator::VerilatorError> for Error {
    fn from(e: tidekv_cosim::verilator::VerilatorError) -> Error {
        Error::Verilator(e.to_string())
    }
}

/// The error of a `sim:` device or the Verilator backend in a build
/// without the `sim` feature (the Verilator co-simulation).
pub fn no_sim(what: &str) -> Error {
    Error::Usage(format!(
        "{what} needs the Verilator co-simulation: this tidekv was built without the `sim` feature (cargo build -p tidekv-host --features sim)"
    ))
}

impl Error {
    /// The process exit code for this error (documented in the README).
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Config(_) | Error::Trace { .. } | Error::Usage(_) => 3,
            Error::Read { .. } => 4,
            Error::Output(_) => 5,
            Error::Verilator(_) => 6,
            Error::Link(_) | Error::Transport(_) => 7,
            Error::Device(_) => 8,
        }
    }
}

pub type Result<T> = std::result::Result<T, Error>;

/// Where a configuration comes from: a shipped preset or a TOML file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigSource {
    Preset(String),
    File(PathBuf),
}

impl ConfigSource {
    /// How `tidekv_cosim::verilator::build` names it: a preset name or a path.
    pub fn spec(&self) -> String {
        match self {
            ConfigSource::Preset(name) => name.clone(),
            ConfigSource::File(path) => path.display().to_string(),
        }
    }
}

/// Load a configuration and apply command-line schedule overrides.
pub fn load_config(
    src: &ConfigSource,
    policy: Option<ReplicaPolicy>,
    seed: Option<u64>,
) -> Result<Config> {
    let mut cfg = match src {
        ConfigSource::Preset(name) => Config::preset(name)?,
        ConfigSource::File(path) => Config::load(path)?,
    };
    if let Some(p) = policy {
        cfg.schedule.replica_policy = p;
    }
    if let Some(s) = seed {
        cfg.schedule.seed = check_seed(s).map_err(|e| Error::Usage(format!("--seed: {e}")))?;
    }
    Ok(cfg)
}

/// A text file and how errors name it.
pub fn read_text(path: &Path) -> Result<(String, String)> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| Error::Read {
        path: shown.clone(),
        source,
    })?;
    Ok((shown, text))
}

/// Read and validate a trace file against a configuration.
pub fn load_trace(path: &Path, cfg: &Config) -> Result<Trace> {
    let (shown, text) = read_text(path)?;
    trace::parse(&text, &cfg.build, &cfg.schedule).map_err(|source| Error::Trace {
        path: shown,
        source,
    })
}
