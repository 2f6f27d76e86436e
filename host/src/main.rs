//! `tidekv`: the command line. Each subcommand lives in `cli/<name>.rs`.

mod cli;

use clap::Parser;

fn main() {
    let args = cli::Cli::parse();
    if let Err(e) = cli::run(args) {
        eprintln!("tidekv: error: {e}");
        std::process::exit(e.exit_code());
    }
}
