//! The memory of a link's ring buffer (`crate::delay`): rust-hdl's `RAM`
//! (one write port, one registered read port) with two synthesis
//! attributes its Verilog cannot carry.
//!
//! - `no_rw_check`: a ring never reads the entry it writes in the same
//!   clock (it reads the entry written `clocks` >= 2 run clocks ago, and
//!   `clocks <= 2^A`), so yosys need not build the read-during-write bypass
//!   it otherwise adds around a block RAM (on an iCE40, a flip-flop a bit
//!   and a multiplexer: more than the memory saves). The link's memories
//!   use it on the same grounds: the batch queues read a head only once
//!   it was written two clocks before (`link::queues`), a `Collect`'s
//!   results are read after they are all written, and the slot RAM is
//!   written in one page and read in the other (`device`).
//! - `ram_style = "block"` when the build is for an iCE40
//!   (`params::LINES_IN_BRAM`, from `TIDEKV_FAMILY`): the iCE40 has no
//!   distributed RAM and its logic cells are what runs out first, while
//!   half its block RAMs are free; yosys would otherwise build a small
//!   memory from flip-flops and a read multiplexer. Elsewhere yosys chooses
//!   (the ECP5 puts a short ring in distributed RAM).

use crate::params::LINES_IN_BRAM;
use rust_hdl::core::timing::TimingInfo;
use rust_hdl::prelude::*;
use std::collections::BTreeMap;

#[derive(LogicBlock, Default)]
pub struct RingRam<D: Synth, const N: usize> {
    pub read_address: Signal<In, Bits<N>>,
    pub read_clock: Signal<In, Clock>,
    pub read_data: Signal<Out, D>,
    pub write_address: Signal<In, Bits<N>>,
    pub write_clock: Signal<In, Clock>,
    pub write_data: Signal<In, D>,
    pub write_enable: Signal<In, bool>,
    _sim: BTreeMap<Bits<N>, D>,
}

/// The attributes on the memory's declaration.
fn attributes() -> &'static str {
    if LINES_IN_BRAM {
        "(* ram_style = \"block\", no_rw_check *)"
    } else {
        "(* no_rw_check *)"
    }
}

impl<D: Synth, const N: usize> Logic for RingRam<D, N> {
    fn update(&mut self) {
        if self.read_clock.pos_edge() {
            self.read_data.next = *self
                ._sim
                .get(&self.read_address.val())
                .unwrap_or(&D::default());
        }
        if self.write_clock.pos_edge() && self.write_enable.val() {
            self._sim
                .insert(self.write_address.val(), self.write_data.val());
        }
    }

    fn connect(&mut self) {
        self.read_data.connect();
    }

    fn hdl(&self) -> Verilog {
        Verilog::Custom(format!(
            "\
{attr}
reg[{d}:0] mem[{last}:0];

always @(posedge read_clock) begin
   read_data <= mem[read_address];
end

always @(posedge write_clock) begin
   if (write_enable) begin
      mem[write_address] <= write_data;
   end
end
",
            attr = attributes(),
            d = D::BITS - 1,
            last = (1usize << N) - 1,
        ))
    }

    fn timing(&self) -> Vec<TimingInfo> {
        vec![
            TimingInfo {
                name: "ram_read".into(),
                clock: "read_clock".into(),
                inputs: vec!["read_address".into()],
                outputs: vec!["read_data".into()],
            },
            TimingInfo {
                name: "ram_write".into(),
                clock: "write_clock".into(),
                inputs: vec![
                    "write_address".into(),
                    "write_data".into(),
                    "write_enable".into(),
                ],
                outputs: vec![],
            },
        ]
    }
}
