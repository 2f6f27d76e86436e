//! `tidekv`: the command line. Each subcommand lives in `cli/<name>.rs`.

mod cli;

use clap::Parser;

fn main() {
    // A closed pipe (`tidekv info | head`) ends the process quietly, as it
    // does other Unix tools, instead of a panic in `println!`.
    // SAFETY: setting a signal's disposition to its default before any
    // thread starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let args = cli::Cli::parse();
    if let Err(e) = cli::run(args) {
        eprintln!("tidekv: error: {e}");
        std::process::exit(e.exit_code());
    }
}
