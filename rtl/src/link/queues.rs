//! The clients' batch queues (docs/DESIGN.md, "Free-running batches"):
//! one block RAM, a region of `2^QUEUE_BITS` entries a client, in place of
//! a rust-hdl FIFO a client.
//!
//! - One write a clock (`push`, a `Submit`'s window) and one read (the
//!   head of the client the core shows next, `next_client`): the RAM's one
//!   write port and its one registered read port.
//! - Every flag the link decides on is a register: `full` per client (for
//!   the `Submit` windows), `any` (the free-running rounds' `pending`), and
//!   `head_valid` beside `head`. Ten FIFOs compared their address registers
//!   combinationally, and that compare sat on the device's critical path.
//! - Their timing is rust-hdl's `SynchronousFIFO`'s, clock for clock: an
//!   entry pushed at clock t counts in `full` from t + 1 and is visible to
//!   the head (and `any`) from t + 2; a pop at t shows the next entry at
//!   t + 1. `clear` empties every queue at once.

use crate::params::*;
use crate::ring_ram::RingRam;
use rust_hdl::prelude::*;

/// A queue's read and write counters: one bit wider than its region.
pub type QPtr = Bits<QPTR_BITS>;

#[derive(LogicBlock)]
pub struct BatchQueues {
    pub clock: Signal<In, Clock>,
    /// Empty every queue (the device's reset).
    pub clear: Signal<In, bool>,
    // ---- a `Submit`'s window
    pub push: Signal<In, bool>,
    pub push_client: Signal<In, Client>,
    pub push_data: Signal<In, Bits<QE_BITS>>,
    /// Client k's queue holds `2^QUEUE_BITS` entries (bit k).
    pub full: Signal<Out, ClientMask>,
    // ---- the free-running rounds
    /// The client whose head `head` shows next clock.
    pub next_client: Signal<In, Client>,
    pub head: Signal<Out, Bits<QE_BITS>>,
    pub head_valid: Signal<Out, bool>,
    pub pop: Signal<In, bool>,
    pub pop_client: Signal<In, Client>,
    /// Some queue has a visible entry.
    pub any: Signal<Out, bool>,
    // ---- state
    ram: RingRam<Bits<QE_BITS>, QRAM_BITS>,
    wp: Vec<DFF<QPtr>>,
    rp: Vec<DFF<QPtr>>,
    full_r: DFF<ClientMask>,
    any_r: DFF<bool>,
    hv: DFF<bool>,
    // ---- locals
    nrp: Signal<Local, QPtr>,
    nwp: Signal<Local, QPtr>,
    wa: Signal<Local, QPtr>,
    fm: Signal<Local, ClientMask>,
    an: Signal<Local, bool>,
    /// A queue's entries before this clock's push and pop, and whether it
    /// pushes and pops now.
    qd: Signal<Local, QPtr>,
    pu: Signal<Local, bool>,
    po: Signal<Local, bool>,
    c_size: Constant<QPtr>,
    c_size_m1: Constant<QPtr>,
    c_qb: Constant<Bits<8>>,
}

impl Default for BatchQueues {
    fn default() -> Self {
        const { assert!(C <= CLIENT_MASK_BITS && QRAM_BITS == QUEUE_BITS + CLIENT_BITS) };
        Self {
            clock: Default::default(),
            clear: Default::default(),
            push: Default::default(),
            push_client: Default::default(),
            push_data: Default::default(),
            full: Default::default(),
            next_client: Default::default(),
            head: Default::default(),
            head_valid: Default::default(),
            pop: Default::default(),
            pop_client: Default::default(),
            any: Default::default(),
            ram: Default::default(),
            wp: (0..C).map(|_| Default::default()).collect(),
            rp: (0..C).map(|_| Default::default()).collect(),
            full_r: Default::default(),
            any_r: Default::default(),
            hv: Default::default(),
            nrp: Default::default(),
            nwp: Default::default(),
            wa: Default::default(),
            fm: Default::default(),
            an: Default::default(),
            qd: Default::default(),
            pu: Default::default(),
            po: Default::default(),
            c_size: Constant::new((1u64 << QUEUE_BITS).to_bits()),
            c_size_m1: Constant::new(((1u64 << QUEUE_BITS) - 1).to_bits()),
            c_qb: Constant::new((QUEUE_BITS as u64).to_bits()),
        }
    }
}

impl Logic for BatchQueues {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, full_r, any_r, hv);
        for c in 0..C {
            self.wp[c].clock.next = self.clock.val();
            self.rp[c].clock.next = self.clock.val();
            self.wp[c].d.next = self.wp[c].q.val();
            self.rp[c].d.next = self.rp[c].q.val();
        }
        self.ram.write_clock.next = self.clock.val();
        self.ram.read_clock.next = self.clock.val();
        self.ram.write_enable.next = self.push.val();
        self.ram.write_data.next = self.push_data.val();
        self.wa.next = self.wp[0].q.val();
        self.nrp.next = self.rp[0].q.val();
        self.nwp.next = self.wp[0].q.val();
        for c in 0..C {
            if self.push.val() & (self.push_client.val().index() == c) {
                self.wa.next = self.wp[c].q.val();
                self.wp[c].d.next = self.wp[c].q.val() + 1;
            }
            if self.pop.val() & (self.pop_client.val().index() == c) {
                self.rp[c].d.next = self.rp[c].q.val() + 1;
            }
        }
        self.ram.write_address.next = (bit_cast::<QRAM_BITS, CLIENT_BITS>(self.push_client.val())
            << self.c_qb.val())
            | bit_cast::<QRAM_BITS, QPTR_BITS>(self.wa.val() & (self.c_size.val() - 1));
        // The head: next clock's client at its read counter after this
        // clock's pop; valid if an entry pushed before this clock is there.
        for c in 0..C {
            if self.next_client.val().index() == c {
                self.nrp.next = self.rp[c].d.val();
                self.nwp.next = self.wp[c].q.val();
            }
        }
        self.ram.read_address.next = (bit_cast::<QRAM_BITS, CLIENT_BITS>(self.next_client.val())
            << self.c_qb.val())
            | bit_cast::<QRAM_BITS, QPTR_BITS>(self.nrp.val() & (self.c_size.val() - 1));
        self.hv.d.next = self.nwp.val() != self.nrp.val();
        // `full` counts this clock's push and pop; `any` (as the head)
        // only the entries pushed before this clock. (The counts compare
        // registers only; the push and pop, which come late in the clock
        // (a `Submit` window's client is the slot RAM's output), choose
        // between the compares.)
        self.fm.next = 0.into();
        self.an.next = false;
        for c in 0..C {
            self.qd.next = self.wp[c].q.val() - self.rp[c].q.val();
            self.pu.next = self.push.val() & (self.push_client.val().index() == c);
            self.po.next = self.pop.val() & (self.pop_client.val().index() == c);
            if ((self.qd.val() == self.c_size.val()) & !(self.po.val() & !self.pu.val()))
                | ((self.qd.val() == self.c_size_m1.val()) & self.pu.val() & !self.po.val())
            {
                self.fm.next = self.fm.val().replace_bit(c, true);
            }
            if self.wp[c].q.val() != self.rp[c].d.val() {
                self.an.next = true;
            }
        }
        self.full_r.d.next = self.fm.val();
        self.any_r.d.next = self.an.val();
        if self.clear.val() {
            for c in 0..C {
                self.wp[c].d.next = 0.into();
                self.rp[c].d.next = 0.into();
            }
            self.full_r.d.next = 0.into();
            self.any_r.d.next = false;
            self.hv.d.next = false;
        }
        self.head.next = self.ram.read_data.val();
        self.head_valid.next = self.hv.q.val();
        self.full.next = self.full_r.q.val();
        self.any.next = self.any_r.q.val();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{settle, yosys_check};

    type Fifo = SynchronousFIFO<Bits<QE_BITS>, QUEUE_BITS, QPTR_BITS, 1>;

    /// A small generator of test inputs (xorshift).
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }
    }

    /// The block against what it replaces, a rust-hdl FIFO a client, clock
    /// for clock: every flag and (where valid) the head, under random
    /// pushes, pops and clients, with spells that fill one queue.
    #[test]
    fn batch_queues_equal_a_fifo_a_client() {
        let mut q = BatchQueues::default();
        q.connect_all();
        let mut f: Vec<Fifo> = (0..C).map(|_| Fifo::default()).collect();
        for x in f.iter_mut() {
            x.connect_all();
        }
        let mut r = Rng(0x2545_f491_4f6c_dd1d);
        let mut last_next = 0usize;
        let (mut fulls, mut heads) = (0, 0);
        for t in 0..5000u64 {
            settle(&mut q);
            for x in f.iter_mut() {
                settle(x);
            }
            // Compare (every output is a function of the state alone).
            for (c, x) in f.iter().enumerate() {
                assert_eq!(
                    q.full.val().get_bit(c),
                    x.full.val(),
                    "full of {c}, clock {t}"
                );
                fulls += usize::from(x.full.val());
            }
            let any = f.iter().any(|x| !x.empty.val());
            assert_eq!(q.any.val(), any, "any, clock {t}");
            let hf = &f[last_next];
            assert_eq!(q.head_valid.val(), !hf.empty.val(), "head_valid, clock {t}");
            if !hf.empty.val() {
                assert_eq!(
                    q.head.val(),
                    hf.data_out.val(),
                    "head of {last_next}, clock {t}"
                );
                heads += 1;
            }
            // This clock's inputs: one push (not into a full queue), one
            // pop (of a visible entry), a next client; now and then a clear.
            let spell = (t / 700) % 2 == 1;
            let pc = if spell && r.below(8) != 0 {
                0
            } else {
                r.below(C as u64) as usize
            };
            let push = r.below(3) != 0 && !f[pc].full.val();
            let oc = r.below(C as u64) as usize;
            let pop = !f[oc].empty.val() && r.below(if spell { 9 } else { 2 }) == 0;
            let nc = r.below(C as u64) as usize;
            let clear = r.below(1500) == 0;
            let data = Bits::<QE_BITS>::from(r.next()) ^ (Bits::<QE_BITS>::from(t) << 40);
            q.push.next = push;
            q.push_client.next = (pc as u64).to_bits();
            q.push_data.next = data;
            q.pop.next = pop;
            q.pop_client.next = (oc as u64).to_bits();
            q.next_client.next = (nc as u64).to_bits();
            q.clear.next = clear;
            for (c, x) in f.iter_mut().enumerate() {
                x.data_in.next = data;
                x.write.next = push && c == pc && !clear;
                x.read.next = if clear {
                    !x.empty.val()
                } else {
                    pop && c == oc
                };
            }
            if clear {
                // (The FIFOs drain one entry a clock: let them empty.)
                // (An entry pushed the clock before shows a clock late.)
                for x in f.iter_mut() {
                    x.write.next = false;
                    for _ in 0..2 {
                        settle(x);
                        x.clock.next = Clock::from(true);
                        settle(x);
                        x.clock.next = Clock::from(false);
                        settle(x);
                    }
                    while !x.empty.val() {
                        x.read.next = true;
                        x.write.next = false;
                        settle(x);
                        x.clock.next = Clock::from(true);
                        settle(x);
                        x.clock.next = Clock::from(false);
                        settle(x);
                    }
                    x.read.next = false;
                }
            }
            last_next = nc;
            settle(&mut q);
            for x in f.iter_mut() {
                settle(x);
            }
            q.clock.next = Clock::from(true);
            for x in f.iter_mut() {
                x.clock.next = Clock::from(true);
            }
            settle(&mut q);
            for x in f.iter_mut() {
                settle(x);
            }
            q.clock.next = Clock::from(false);
            for x in f.iter_mut() {
                x.clock.next = Clock::from(false);
            }
        }
        assert!(
            fulls > 0 && heads > 1000,
            "the test fills a queue ({fulls}) and reads heads ({heads})"
        );
    }

    #[test]
    fn batch_queues_verilog_passes_yosys() {
        let mut q = BatchQueues::default();
        q.connect_all();
        yosys_check("batch_queues", &generate_verilog(&q));
    }
}
