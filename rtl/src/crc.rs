//! CRC-32/ISO-HDLC (the `crc` crate's `CRC_32_ISO_HDLC`, reflected) of `N`
//! input bits per clock, least significant first: the digest of generator
//! mode and the schedule check (`tidekv_defs::regs::schedule_crc`).
//! Combinational: `out` is `crc` advanced over `data`; the register, its
//! initial value (all ones) and the final inversion belong to the user.

use rust_hdl::prelude::*;

/// The reflected polynomial of CRC-32/ISO-HDLC.
pub const CRC32_REFLECTED: u64 = 0xEDB8_8320;

#[derive(LogicBlock)]
pub struct Crc32<const N: usize> {
    pub crc: Signal<In, Bits<32>>,
    pub data: Signal<In, Bits<N>>,
    pub out: Signal<Out, Bits<32>>,
    poly: Constant<Bits<32>>,
    acc: Signal<Local, Bits<32>>,
}

impl<const N: usize> Default for Crc32<N> {
    fn default() -> Self {
        Crc32 {
            crc: Default::default(),
            data: Default::default(),
            out: Default::default(),
            poly: Constant::new(CRC32_REFLECTED.into()),
            acc: Default::default(),
        }
    }
}

impl<const N: usize> Logic for Crc32<N> {
    #[hdl_gen]
    fn update(&mut self) {
        self.acc.next = self.crc.val();
        for i in 0..N {
            if self.acc.val().get_bit(0) ^ self.data.val().get_bit(i) {
                self.acc.next = (self.acc.val() >> 1) ^ self.poly.val();
            } else {
                self.acc.next = self.acc.val() >> 1;
            }
        }
        self.out.next = self.acc.val();
    }
}

/// The same CRC with its register: `crc` is the register; a clock with
/// `step` advances it over `data`, one with `init` sets it to all ones. Its
/// output is a register, so a block that feeds `data` from logic that reads
/// `crc` forms no loop through it.
#[derive(LogicBlock)]
pub struct CrcReg<const N: usize> {
    pub clock: Signal<In, Clock>,
    pub data: Signal<In, Bits<N>>,
    pub step: Signal<In, bool>,
    pub init: Signal<In, bool>,
    pub crc: Signal<Out, Bits<32>>,
    r: DFF<Bits<32>>,
    poly: Constant<Bits<32>>,
    acc: Signal<Local, Bits<32>>,
}

impl<const N: usize> Default for CrcReg<N> {
    fn default() -> Self {
        CrcReg {
            clock: Default::default(),
            data: Default::default(),
            step: Default::default(),
            init: Default::default(),
            crc: Default::default(),
            r: Default::default(),
            poly: Constant::new(CRC32_REFLECTED.into()),
            acc: Default::default(),
        }
    }
}

impl<const N: usize> Logic for CrcReg<N> {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, r);
        self.acc.next = self.r.q.val();
        for i in 0..N {
            if self.acc.val().get_bit(0) ^ self.data.val().get_bit(i) {
                self.acc.next = (self.acc.val() >> 1) ^ self.poly.val();
            } else {
                self.acc.next = self.acc.val() >> 1;
            }
        }
        if self.step.val() {
            self.r.d.next = self.acc.val();
        }
        if self.init.val() {
            self.r.d.next = 0xffff_ffff_u64.into();
        }
        self.crc.next = self.r.q.val();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{settle, yosys_check};
    use tidekv_defs::gen::DIGEST_CRC;

    #[test]
    fn crc32_generates_and_synthesizes() {
        let mut c = Crc32::<16>::default();
        c.connect_all();
        yosys_check("crc32", &generate_verilog(&c));
    }

    /// Two bytes per step over a message equals the `crc` crate's checksum.
    #[test]
    fn crc32_equals_the_crc_crate() {
        let msg: Vec<u8> = (0..40u32).map(|i| (i * 37 + 11) as u8).collect();
        let mut c = Crc32::<16>::default();
        c.connect_all();
        let mut crc = 0xffff_ffffu64;
        for pair in msg.chunks(2) {
            c.crc.next = crc.into();
            c.data.next = u64::from(u16::from_le_bytes([pair[0], pair[1]])).into();
            settle(&mut c);
            crc = c.out.val().to_u64();
        }
        assert_eq!(crc ^ 0xffff_ffff, u64::from(DIGEST_CRC.checksum(&msg)));
    }
}
