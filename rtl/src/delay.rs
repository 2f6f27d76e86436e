//! A link of the round structure: every node handles client slot `k` at a
//! fixed clock of its round, so a link from one node to the next is a delay
//! line of fixed length (docs/DESIGN.md, "RTL timing"). It advances only
//! while the core runs.
//!
//! A short or narrow line is flip-flops; a line of more than `SHORT` clocks
//! holding at least `RING_BITS` bits is a ring buffer in a memory
//! (bittide's links are ring buffers too): one write and one read a clock,
//! `2^A` entries, so block RAM or distributed RAM instead of `clocks x
//! width` flip-flops. Built for an iCE40 (`LINES_IN_BRAM`), which has no
//! distributed RAM, free block RAM and few logic cells, every line of 2
//! clocks or more holding at least `BRAM_RING_BITS` bits is a ring in
//! block RAM (`crate::ring_ram`); elsewhere a small memory would cost more
//! than its flip-flops. The read is registered: the entry read in
//! a clock is addressed by the pointer the clock after will have, so the
//! output moves only on run clocks, as the flip-flops' does.
//!
//! `clear` empties the line at once. A memory cannot be emptied in a clock,
//! so the ring counts the run clocks since the last clear (`fill`) and shows
//! zero until `clocks` of them have passed: exactly what a line of
//! flip-flops full of zeros shows.

use crate::params::LINES_IN_BRAM;
use crate::ring_ram::RingRam;
use rust_hdl::prelude::*;

/// Lines of at most this many clocks are flip-flops.
pub const SHORT: usize = 3;
/// Lines holding fewer bits (clocks x width) are flip-flops.
pub const RING_BITS: usize = 256;
/// Built for an iCE40: lines holding fewer bits are flip-flops (a ring's
/// pointer and fill count cost about 15 logic cells).
pub const BRAM_RING_BITS: usize = 64;

/// A line of `clocks` of `width` bits is a ring buffer.
pub const fn is_ring(clocks: usize, width: usize) -> bool {
    if LINES_IN_BRAM {
        clocks >= 2 && clocks * width >= BRAM_RING_BITS
    } else {
        clocks > SHORT && clocks * width >= RING_BITS
    }
}

/// Address bits of the ring for a line of `clocks` (1 for a flip-flop line).
pub const fn ring_bits(clocks: usize) -> usize {
    let mut b = 1;
    while (1usize << b) < clocks {
        b += 1;
    }
    b
}

#[derive(LogicBlock)]
pub struct Delay<T: Synth, const A: usize> {
    pub clock: Signal<In, Clock>,
    pub run: Signal<In, bool>,
    /// Empty the line (reset).
    pub clear: Signal<In, bool>,
    pub d: Signal<In, T>,
    pub q: Signal<Out, T>,
    // ---- a short line: flip-flops
    line: Vec<DFF<T>>,
    // ---- a long line: the ring, its write pointer, run clocks since a clear
    ring: RingRam<T, A>,
    ptr: DFF<Bits<A>>,
    fill: DFF<Bits<9>>,
    full: DFF<bool>,
    ptr_next: Signal<Local, Bits<A>>,
    // ---- what this line is
    bypass: Constant<bool>,
    use_ring: Constant<bool>,
    c_len: Constant<Bits<A>>,
    c_last: Constant<Bits<9>>,
    zero: Constant<T>,
}

impl<T: Synth, const A: usize> Delay<T, A> {
    /// A delay of `clocks` run clocks (0: a wire).
    pub fn new(clocks: usize) -> Self {
        let use_ring = is_ring(clocks, T::BITS);
        assert!(
            !use_ring || (clocks <= 1 << A && clocks < 512),
            "a ring of 2^{A} entries cannot delay {clocks} clocks"
        );
        Delay {
            clock: Default::default(),
            run: Default::default(),
            clear: Default::default(),
            d: Default::default(),
            q: Default::default(),
            line: (0..if use_ring { 1 } else { clocks.max(1) })
                .map(|_| DFF::default())
                .collect(),
            ring: Default::default(),
            ptr: Default::default(),
            fill: Default::default(),
            full: Default::default(),
            ptr_next: Default::default(),
            bypass: Constant::new(clocks == 0),
            use_ring: Constant::new(use_ring),
            c_len: Constant::new(((clocks as u64) & ((1u64 << A) - 1)).into()),
            c_last: Constant::new((clocks.max(1) as u64 - 1).into()),
            zero: Constant::new(T::default()),
        }
    }
}

impl<T: Synth, const A: usize> Logic for Delay<T, A> {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, ptr, fill, full);
        self.q.next = self.d.val();
        // Flip-flops.
        for i in 0..self.line.len() {
            self.line[i].clock.next = self.clock.val();
            self.line[i].d.next = self.line[i].q.val();
        }
        if self.run.val() {
            self.line[0].d.next = self.d.val();
            for i in 1..self.line.len() {
                self.line[i].d.next = self.line[i - 1].q.val();
            }
        }
        if self.clear.val() {
            for i in 0..self.line.len() {
                self.line[i].d.next = self.zero.val();
            }
        }
        if !self.bypass.val() {
            for i in 0..self.line.len() {
                self.q.next = self.line[i].q.val();
            }
        }
        // The ring: write at `ptr`, read what was written `clocks` run clocks ago.
        self.ring.write_clock.next = self.clock.val();
        self.ring.read_clock.next = self.clock.val();
        self.ring.write_address.next = self.ptr.q.val();
        self.ring.write_data.next = self.d.val();
        self.ring.write_enable.next = self.use_ring.val() & self.run.val() & !self.clear.val();
        self.ptr_next.next = self.ptr.q.val();
        if self.run.val() & !self.clear.val() {
            self.ptr_next.next = self.ptr.q.val() + 1;
            if !self.full.q.val() {
                self.fill.d.next = self.fill.q.val() + 1;
                self.full.d.next = self.fill.q.val() == self.c_last.val();
            }
        }
        self.ptr.d.next = self.ptr_next.val();
        self.ring.read_address.next = self.ptr_next.val() - self.c_len.val();
        if self.clear.val() {
            self.fill.d.next = 0.into();
            self.full.d.next = false;
        }
        if self.use_ring.val() {
            self.q.next = self.zero.val();
            if self.full.q.val() {
                self.q.next = self.ring.read_data.val();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{clocks, yosys_check};

    #[test]
    fn delay_generates_and_synthesizes() {
        let mut d = Delay::<Bits<4>, 1>::new(3);
        d.connect_all();
        yosys_check("delay", &generate_verilog(&d));
        let mut d = Delay::<Bits<64>, 3>::new(6);
        d.connect_all();
        yosys_check("delay", &generate_verilog(&d));
    }

    /// A line of flip-flops of `l` clocks, as the ring must behave.
    fn reference(l: usize, script: &[(bool, bool, u64)]) -> Vec<u64> {
        let mut line = vec![0u64; l];
        let mut out = vec![];
        for &(run, clear, d) in script {
            if clear {
                line.iter_mut().for_each(|x| *x = 0);
            } else if run && l > 0 {
                line.rotate_right(1);
                line[0] = d;
            }
            out.push(if l == 0 { d } else { line[l - 1] });
        }
        out
    }

    fn run_line<const A: usize>(l: usize, script: &[(bool, bool, u64)]) -> Vec<u64> {
        // (64 bits wide: a line of more than three clocks is a ring.)
        let mut d = Delay::<Bits<64>, A>::new(l);
        d.connect_all();
        let mut seen = vec![];
        for &(run, clear, x) in script {
            d.d.next = x.into();
            d.run.next = run;
            d.clear.next = clear;
            clocks(&mut d, 1, |d| &mut d.clock);
            seen.push(d.q.val().to_u64());
        }
        seen
    }

    #[test]
    fn delay_holds_while_stopped() {
        let mut script: Vec<(bool, bool, u64)> = (1..=6).map(|i| (i != 3, false, i)).collect();
        script.push((false, true, 0));
        assert_eq!(run_line::<1>(2, &script), vec![0, 1, 1, 2, 4, 5, 0]);
    }

    #[test]
    fn ring_equals_flip_flops_with_stalls_and_clears() {
        // A pseudo-random script of runs, stalls and clears.
        let mut x = 0x2545_f491_4f6c_dd1du64;
        let mut script = vec![];
        for i in 0..600u64 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let clear = x.is_multiple_of(97);
            let run = !x.is_multiple_of(5);
            script.push((run, clear, (i * 7 + 3) & 0xff));
        }
        // (Four entries: a line of 2 or 3 clocks is a ring when built
        // for an iCE40.)
        for l in [0, 1, 2, 3] {
            assert_eq!(
                run_line::<2>(l, &script),
                reference(l, &script),
                "flip-flops, {l} clocks"
            );
        }
        for l in [4, 5, 7, 8] {
            assert_eq!(
                run_line::<3>(l, &script),
                reference(l, &script),
                "ring of 8, {l} clocks"
            );
        }
        for l in [9, 16, 19] {
            assert_eq!(
                run_line::<5>(l, &script),
                reference(l, &script),
                "ring of 32, {l} clocks"
            );
        }
    }
}
