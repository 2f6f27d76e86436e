//! A read-only memory with a registered read port, built (on an iCE40) in a
//! block RAM whose initial contents are the ROM's.
//!
//! Why not rust-hdl's `ROM`: its Verilog is a `case` on the address, which
//! yosys folds into the logic. The `Info` answer's bytes (`params::INFO`)
//! carry the build id (the commit's first 32 bits), so every commit changed
//! the logic netlist by a few constants, and yosys and abc answered that
//! with a different mapping of the whole device: up to about 110 iCE40
//! logic cells more or fewer for the same RTL (session 36). In a block RAM
//! the contents are a parameter of the RAM cell: the netlist around it is
//! the same whatever the commit.
//!
//! `ram_style`/`rom_style = "block"` when the build is for an iCE40
//! (`params::LINES_IN_BRAM`), as for the links' rings (`ring_ram`).
//! Elsewhere yosys chooses.

use crate::params::LINES_IN_BRAM;
use rust_hdl::core::timing::TimingInfo;
use rust_hdl::prelude::*;

#[derive(LogicBlock, Default)]
pub struct BlockRom<const W: usize, const N: usize> {
    pub clock: Signal<In, Clock>,
    pub address: Signal<In, Bits<N>>,
    /// The word at the address of the clock before.
    pub data: Signal<Out, Bits<W>>,
    _words: Vec<Bits<W>>,
}

impl<const W: usize, const N: usize> BlockRom<W, N> {
    /// A ROM of `words` (at most `2^N`; the rest read as the default).
    pub fn new(words: Vec<Bits<W>>) -> Self {
        assert!(words.len() <= 1 << N, "a BlockRom holds at most 2^N words");
        assert!(W <= 64, "a BlockRom word is at most 64 bits");
        BlockRom {
            _words: words,
            ..Default::default()
        }
    }
}

impl<const W: usize, const N: usize> Logic for BlockRom<W, N> {
    fn update(&mut self) {
        if self.clock.pos_edge() {
            self.data.next = self
                ._words
                .get(self.address.val().index())
                .copied()
                .unwrap_or_default();
        }
    }

    fn connect(&mut self) {
        self.data.connect();
    }

    fn hdl(&self) -> Verilog {
        let attr = if LINES_IN_BRAM {
            "(* ram_style = \"block\", rom_style = \"block\" *)\n"
        } else {
            ""
        };
        let mut init = String::new();
        for (i, w) in self._words.iter().enumerate() {
            init += &format!("   mem[{i}] = {b}'h{v:x};\n", b = W, v = w.to_u64());
        }
        Verilog::Custom(format!(
            "\
{attr}reg[{d}:0] mem[{last}:0];

initial begin
{init}end

always @(posedge clock) begin
   data <= mem[address];
end
",
            d = W - 1,
            last = (1usize << N) - 1,
        ))
    }

    fn timing(&self) -> Vec<TimingInfo> {
        vec![TimingInfo {
            name: "rom_read".into(),
            clock: "clock".into(),
            inputs: vec!["address".into()],
            outputs: vec!["data".into()],
        }]
    }
}
