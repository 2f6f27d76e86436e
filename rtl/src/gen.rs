//! Generator mode's request source (SPEC section 7): the xorshift64 stream
//! of `tidekv_defs::gen::Generator`, one request per clock. Two xorshift
//! steps per request: `w1` picks the op (`w1 >> 56` against the mix's
//! thresholds) and the key (`w1 & key_mask`), `w2` the value.

use crate::params::*;
use rust_hdl::prelude::*;

#[derive(LogicBlock)]
pub struct LoadGen {
    pub clock: Signal<In, Clock>,
    /// Configuration writes (the command port's data word).
    pub cfg_data: Signal<In, Bits<64>>,
    pub set_seed: Signal<In, bool>,
    /// Thresholds 0..4, 9 bits each (`tidekv_defs::regs::gen_mix_word`).
    pub set_mix: Signal<In, bool>,
    pub set_keys: Signal<In, bool>,
    /// Restart the stream from the seed.
    pub start: Signal<In, bool>,
    /// Take the request shown and advance.
    pub step: Signal<In, bool>,
    pub op: Signal<Out, OpCode>,
    pub key: Signal<Out, Key>,
    pub value: Signal<Out, Value>,
    seed: DFF<Bits<64>>,
    state: DFF<Bits<64>>,
    mix: DFF<Bits<36>>,
    key_mask: DFF<Bits<64>>,
    w1: Signal<Local, Bits<64>>,
    w2: Signal<Local, Bits<64>>,
    sel: Signal<Local, Bits<9>>,
    picked: Signal<Local, bool>,
    op_no: Vec<Constant<OpCode>>,
}

impl Default for LoadGen {
    fn default() -> Self {
        LoadGen {
            clock: Default::default(),
            cfg_data: Default::default(),
            set_seed: Default::default(),
            set_mix: Default::default(),
            set_keys: Default::default(),
            start: Default::default(),
            step: Default::default(),
            op: Default::default(),
            key: Default::default(),
            value: Default::default(),
            seed: Default::default(),
            state: Default::default(),
            mix: Default::default(),
            key_mask: Default::default(),
            w1: Default::default(),
            w2: Default::default(),
            sel: Default::default(),
            picked: Default::default(),
            op_no: (0..5).map(crate::util::k).collect(),
        }
    }
}

impl Logic for LoadGen {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, seed, state, mix, key_mask);
        // xorshift64: x ^= x << 13; x ^= x >> 7; x ^= x << 17.
        self.w1.next = self.state.q.val();
        self.w1.next = self.w1.val() ^ (self.w1.val() << 13);
        self.w1.next = self.w1.val() ^ (self.w1.val() >> 7);
        self.w1.next = self.w1.val() ^ (self.w1.val() << 17);
        self.w2.next = self.w1.val();
        self.w2.next = self.w2.val() ^ (self.w2.val() << 13);
        self.w2.next = self.w2.val() ^ (self.w2.val() >> 7);
        self.w2.next = self.w2.val() ^ (self.w2.val() << 17);
        // The first op whose threshold exceeds the top byte (delete if none).
        self.sel.next = bit_cast::<9, 8>(self.w1.val().get_bits::<8>(56));
        self.picked.next = false;
        self.op.next = self.op_no[4].val();
        for i in 0..4 {
            if !self.picked.val() & (self.sel.val() < self.mix.q.val().get_bits::<9>(9 * i)) {
                self.picked.next = true;
                self.op.next = self.op_no[i].val();
            }
        }
        self.key.next = bit_cast::<KEY_BITS, 64>(self.w1.val() & self.key_mask.q.val());
        self.value.next = bit_cast::<VALUE_BITS, 64>(self.w2.val());
        if self.step.val() {
            self.state.d.next = self.w2.val();
        }
        if self.start.val() {
            self.state.d.next = self.seed.q.val();
        }
        if self.set_seed.val() {
            self.seed.d.next = self.cfg_data.val();
        }
        if self.set_mix.val() {
            self.mix.d.next = self.cfg_data.val().get_bits::<36>(0);
        }
        if self.set_keys.val() {
            self.key_mask.d.next = self.cfg_data.val();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{clocks, settle, yosys_check};
    use tidekv_defs::gen::{GenConfig, Generator, OpMix};
    use tidekv_defs::regs::gen_mix_word;
    use tidekv_defs::Op;

    #[test]
    fn load_gen_generates_and_synthesizes() {
        let mut g = LoadGen::default();
        g.connect_all();
        yosys_check("load_gen", &generate_verilog(&g));
    }

    #[test]
    fn load_gen_equals_the_model_generator() {
        let b = config().build;
        let cfg = GenConfig {
            seed: 0x1234_5678_9abc,
            rounds: 0,
            key_range_bits: 5,
            mix: OpMix([3, 1, 1, 2, 1]),
        };
        let mut model = Generator::new(&cfg, &b);
        let mut g = LoadGen::default();
        g.connect_all();
        let write = |g: &mut LoadGen, which: usize, data: u64| {
            g.cfg_data.next = data.into();
            g.set_seed.next = which == 0;
            g.set_mix.next = which == 1;
            g.set_keys.next = which == 2;
            clocks(g, 1, |g| &mut g.clock);
            g.set_seed.next = false;
            g.set_mix.next = false;
            g.set_keys.next = false;
        };
        write(&mut g, 0, cfg.seed);
        write(&mut g, 1, gen_mix_word(&cfg));
        write(&mut g, 2, (1 << cfg.key_range_bits) - 1);
        g.start.next = true;
        clocks(&mut g, 1, |g| &mut g.clock);
        g.start.next = false;
        g.step.next = true;
        let mut ops = [0; 5];
        for i in 0..200 {
            settle(&mut g);
            let want = model.next_request();
            let op = Op::from_code(g.op.val().to_u64() as u8).unwrap();
            assert_eq!(
                (op, g.key.val().to_u64()),
                (want.op, want.key),
                "request {i}"
            );
            if op.takes_value() {
                assert_eq!(g.value.val().to_u64(), want.value, "request {i}");
            }
            ops[op.code() as usize] += 1;
            clocks(&mut g, 1, |g| &mut g.clock);
        }
        assert!(ops.iter().all(|&n| n > 0), "every op drawn: {ops:?}");
    }
}
