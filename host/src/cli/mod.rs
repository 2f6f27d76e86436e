//! The clap command line: one file per subcommand.

pub mod replay;

use clap::{Parser, Subcommand};

/// tidekv: a statically scheduled key-value store for FPGAs.
///
/// Exit codes: 0 success; 2 bad command line; 3 bad input (configuration,
/// trace or schedule), nothing run; 4 cannot read a file; 5 cannot write
/// the output.
#[derive(Debug, Parser)]
#[command(name = "tidekv", version, about, long_about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Replay a trace (SPEC section 8) and print one JSON line per request.
    Replay(replay::Args),
}

pub fn run(cli: Cli) -> tidekv_host::Result<()> {
    match cli.command {
        Command::Replay(a) => replay::run(a),
    }
}
