//! `tidekv-board`: the typed boards (`tidekv_defs::board`) for the board
//! flow (`scripts/board.sh`):
//!
//!   tidekv-board env BOARD     its variables, as shell assignments
//!   tidekv-board top BOARD     its board top's Verilog
//!   tidekv-board check         every board in constraints/ loads and checks
//!   tidekv-board list          the boards' names
//!
//! Run from the repository's root. A bad board: its file, field and reason
//! on stderr, exit 2.

use std::path::Path;
use tidekv_defs::board::Board;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let root = Path::new(".");
    let load = |n: &str| {
        Board::load(root, n).unwrap_or_else(|e| {
            eprintln!("tidekv-board: {e}");
            std::process::exit(2)
        })
    };
    match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        ["env", b] => print!("{}", load(b).shell_env()),
        ["top", b] => print!("{}", load(b).top_verilog()),
        ["list"] => println!("{}", Board::names(root).join(" ")),
        ["check"] => {
            for n in Board::names(root) {
                load(&n);
                println!("{n}: ok");
            }
        }
        _ => {
            eprintln!("usage: tidekv-board env BOARD | top BOARD | check | list");
            std::process::exit(2)
        }
    }
}
