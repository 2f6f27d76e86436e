//! Helpers for the blocks' own tests: rust-hdl's simulator driven clock by
//! clock, and yosys's check of generated Verilog.

use crate::params::{StatusCode, Value};
use rust_hdl::prelude::*;

/// Let the combinational logic settle; panics on an oscillation.
pub fn settle<B: Block>(u: &mut B) {
    assert!(simulate(u, 10_000), "the circuit did not settle");
}

/// Settle, then run `n` clock cycles, toggling the clock `clk` returns.
pub fn clocks<B: Block>(u: &mut B, n: usize, clk: impl Fn(&mut B) -> &mut Signal<In, Clock>) {
    settle(u);
    for _ in 0..n {
        clk(u).next = Clock::from(true);
        settle(u);
        clk(u).next = Clock::from(false);
        settle(u);
    }
}

/// A response as the RTL's status, has-value and value signals carry it.
pub fn response_of(status: StatusCode, has_value: bool, value: Value) -> tidekv_defs::Response {
    let status = tidekv_defs::Status::from_code(status.to_u64() as u8).expect("a status code");
    tidekv_defs::Response {
        status,
        value: has_value.then(|| value.to_u64()),
    }
}

/// rust-hdl's yosys check (read, hierarchy, proc: undriven nets, latches),
/// in a directory of its own per check.
pub fn yosys_check(name: &str, verilog: &str) {
    let prefix = format!("tidekv-rtl-{}-{}", std::process::id(), name);
    if let Err(e) = yosys_validate(&prefix, verilog) {
        panic!("yosys rejects the Verilog of {name}: {e:?}");
    }
}
