//! One bank of a replica's table: `WAYS` way memories (used bit, key) of
//! `2^SET_BITS` sets, and the bank's part of the engine's stages (`super`,
//! docs/DESIGN.md "Table engine"). The values are not here: the engine
//! keeps every main slot's value in one memory and reads only the value of
//! the way that holds the key, a stage later:
//!
//! - stage B: the memories are read at `rd_set`;
//! - stage D1: each way's entry is what the memory answered unless the
//!   bank's last write (`lw`, one a bank: an operation writes each bank
//!   once, at most a way set and a way cleared) or the write being made
//!   now (`wr`) went to it after the read, and the bank's results are
//!   registered: where the key is
//!   (`hit`), the ways it may fill (unused, owned, not barred by an earlier
//!   client's delete in this serve step: `barred`, from the engine's
//!   `Bars`) and how many are used;
//! - a clock after stage E (the engine's decision, registered) a way is
//!   written through `wr`.
//!
//! Every output is a register but the maintenance read-out (`sw_used`,
//! `sw_key`).

use super::{Load, TableWrite};
use crate::params::*;
use crate::util::{k, vec_of};
use rust_hdl::prelude::*;

#[derive(LogicBlock)]
pub struct Bank {
    pub clock: Signal<In, Clock>,
    pub run: Signal<In, bool>,
    /// The set the memories read this clock.
    pub rd_set: Signal<In, SetAddr>,
    // ---- the operation in stage D1
    pub set: Signal<In, SetAddr>,
    pub key: Signal<In, Key>,
    pub owned: Signal<In, WayMask>,
    /// The ways earlier clients' deletes barred in this serve step.
    pub barred: Signal<In, WayMask>,
    /// It is a valid operation: only then is stage D1 computed (a hardware
    /// no-op, the registers hold for the others; Verilator skips the logic).
    pub valid: Signal<In, bool>,
    // ---- the write (stage E's, registered): its set in this bank
    pub wr_set: Signal<In, SetAddr>,
    pub wr: TableWrite,
    // ---- stage D1's results, registered
    pub hit: Signal<Out, bool>,
    pub hit_slot: Signal<Out, SlotNo>,
    /// The usable free ways: how many there are (at least one, two,
    /// three) and the slots of the lowest three, which a new key takes
    /// before, after one more, after two more new keys in this set.
    pub free_1: Signal<Out, bool>,
    pub free_2: Signal<Out, bool>,
    pub free_3: Signal<Out, bool>,
    pub free_s0: Signal<Out, SlotNo>,
    pub free_s1: Signal<Out, SlotNo>,
    pub free_s2: Signal<Out, SlotNo>,
    pub load: Signal<Out, Load>,
    // ---- maintenance
    /// Empty the forwarding register.
    pub clear: Signal<In, bool>,
    /// Mark every way of set `rd_set` unused.
    pub wipe: Signal<In, bool>,
    /// Show slot `sw_slot` of the set read in the clock before (raw memory).
    pub sw_slot: Signal<In, SlotNo>,
    pub sw_used: Signal<Out, bool>,
    pub sw_key: Signal<Out, Key>,
    // ---- memories
    used_ram: Vec<RAM<bool, SET_ADDR_BITS>>,
    key_ram: Vec<RAM<Key, SET_ADDR_BITS>>,
    // ---- the bank's last write
    lw: DFF<BankWrite>,
    // ---- stage D1's result registers
    r_hit: DFF<bool>,
    r_hit_slot: DFF<SlotNo>,
    r_free_1: DFF<bool>,
    r_free_2: DFF<bool>,
    r_free_3: DFF<bool>,
    r_free_s0: DFF<SlotNo>,
    r_free_s1: DFF<SlotNo>,
    r_free_s2: DFF<SlotNo>,
    r_load: DFF<Load>,
    // ---- locals
    w_used: Vec<Signal<Local, bool>>,
    /// The way holds the operation's key (as the writes since the read
    /// left it): the memory's key compared, or the write's.
    w_eq: Vec<Signal<Local, bool>>,
    lw_eq: Signal<Local, bool>,
    wr_eq: Signal<Local, bool>,
    used: Signal<Local, WayMask>,
    got: Signal<Local, bool>,
    n_used: Signal<Local, Load>,
    set_here: Signal<Local, WayMask>,
    clear_here: Signal<Local, WayMask>,
    slot_no: Vec<Constant<SlotNo>>,
    lw_here: Signal<Local, bool>,
    lw_filled: Signal<Local, WayMask>,
    lw_cleared: Signal<Local, WayMask>,
    wr_here: Signal<Local, bool>,
    fr: Signal<Local, WayMask>,
    fr_low: Signal<Local, WayMask>,
}

/// A write to a bank, as its forwarding register keeps it: the ways of
/// set `set` it filled with `key`, and the ways it cleared.
#[derive(Clone, Copy, Debug, PartialEq, Default, LogicStruct)]
pub struct BankWrite {
    pub valid: bool,
    pub set: SetAddr,
    pub filled: WayMask,
    pub cleared: WayMask,
    pub key: Key,
}

/// An empty table: every used bit starts at zero (FPGA and Verilator alike).
fn empty_used() -> RAM<bool, SET_ADDR_BITS> {
    RAM::new(
        (0..1u64 << SET_ADDR_BITS)
            .map(|a| (Bits::from(a), false))
            .collect(),
    )
}

impl Bank {
    pub fn new(bank: usize) -> Bank {
        Bank {
            clock: Default::default(),
            run: Default::default(),
            rd_set: Default::default(),
            set: Default::default(),
            key: Default::default(),
            owned: Default::default(),
            barred: Default::default(),
            valid: Default::default(),
            wr_set: Default::default(),
            wr: Default::default(),
            hit: Default::default(),
            hit_slot: Default::default(),
            free_1: Default::default(),
            free_2: Default::default(),
            free_3: Default::default(),
            free_s0: Default::default(),
            free_s1: Default::default(),
            free_s2: Default::default(),
            load: Default::default(),
            clear: Default::default(),
            wipe: Default::default(),
            sw_slot: Default::default(),
            sw_used: Default::default(),
            sw_key: Default::default(),
            used_ram: (0..WAYS).map(|_| empty_used()).collect(),
            key_ram: vec_of(WAYS),
            lw: Default::default(),
            r_hit: Default::default(),
            r_hit_slot: Default::default(),
            r_free_1: Default::default(),
            r_free_2: Default::default(),
            r_free_3: Default::default(),
            r_free_s0: Default::default(),
            r_free_s1: Default::default(),
            r_free_s2: Default::default(),
            r_load: Default::default(),
            w_used: vec_of(WAYS),
            w_eq: vec_of(WAYS),
            lw_eq: Default::default(),
            wr_eq: Default::default(),
            used: Default::default(),
            got: Default::default(),
            n_used: Default::default(),
            set_here: Default::default(),
            clear_here: Default::default(),
            slot_no: (0..WAYS).map(|w| k((bank * WAYS + w) as u64)).collect(),
            lw_here: Default::default(),
            lw_filled: Default::default(),
            lw_cleared: Default::default(),
            wr_here: Default::default(),
            fr: Default::default(),
            fr_low: Default::default(),
        }
    }
}

impl Logic for Bank {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clock, lw, r_hit, r_hit_slot, r_free_1, r_free_2, r_free_3, r_free_s0, r_free_s1,
            r_free_s2, r_load
        );
        // Stage B: read.
        for w in 0..WAYS {
            self.used_ram[w].read_clock.next = self.clock.val();
            self.key_ram[w].read_clock.next = self.clock.val();
            self.used_ram[w].write_clock.next = self.clock.val();
            self.key_ram[w].write_clock.next = self.clock.val();
            self.used_ram[w].read_address.next = self.rd_set.val();
            self.key_ram[w].read_address.next = self.rd_set.val();
        }
        // (Locals get a value on every path: no latches.)
        self.used.next = 0.into();
        self.got.next = false;
        self.n_used.next = 0.into();
        self.lw_here.next = false;
        self.lw_filled.next = 0.into();
        self.lw_cleared.next = 0.into();
        self.fr.next = 0.into();
        self.fr_low.next = 0.into();
        // The ways the write being made sets and clears (decoded only
        // when it makes one: most clocks it does not).
        self.set_here.next = 0.into();
        self.clear_here.next = 0.into();
        if self.wr.set_en.val() {
            for w in 0..WAYS {
                if self.wr.set_slot.val() == self.slot_no[w].val() {
                    self.set_here.next = self.set_here.val().replace_bit(w, true);
                }
            }
        }
        if self.wr.clear_en.val() {
            for w in 0..WAYS {
                if self.wr.clear_slot.val() == self.slot_no[w].val() {
                    self.clear_here.next = self.clear_here.val().replace_bit(w, true);
                }
            }
        }
        self.wr_here.next = false;
        self.lw_eq.next = false;
        self.wr_eq.next = false;
        for w in 0..WAYS {
            self.w_used[w].next = false;
            self.w_eq[w].next = false;
        }
        if self.run.val() & self.valid.val() {
            // Stage D1: each way as the writes since the read left it: the
            // last one made (`lw`), then the one being made.
            self.lw_here.next = self.lw.q.val().valid & (self.lw.q.val().set == self.set.val());
            self.wr_here.next = self.wr_set.val() == self.set.val();
            // (One compare per write, not a key mux per way.)
            self.lw_eq.next = self.lw.q.val().key == self.key.val();
            self.wr_eq.next = self.wr.key.val() == self.key.val();
            // (A bit of a struct's field: through a local.)
            self.lw_filled.next = self.lw.q.val().filled;
            self.lw_cleared.next = self.lw.q.val().cleared;
            self.used.next = 0.into();
            for w in 0..WAYS {
                self.w_used[w].next = self.used_ram[w].read_data.val();
                self.w_eq[w].next = self.key_ram[w].read_data.val() == self.key.val();
                if self.lw_here.val()
                    & (self.lw_filled.val().get_bit(w) | self.lw_cleared.val().get_bit(w))
                {
                    self.w_used[w].next = self.lw_filled.val().get_bit(w);
                    self.w_eq[w].next = self.lw_eq.val();
                }
                if self.wr_here.val()
                    & (self.set_here.val().get_bit(w) | self.clear_here.val().get_bit(w))
                {
                    self.w_used[w].next = self.set_here.val().get_bit(w);
                    self.w_eq[w].next = self.wr_eq.val();
                }
                self.used.next = self.used.val().replace_bit(w, self.w_used[w].val());
            }
            // Where the key is (the lowest way: a key is in at most one).
            self.got.next = false;
            for w in 0..WAYS {
                if !self.got.val() & self.w_used[w].val() & self.w_eq[w].val() {
                    self.got.next = true;
                    self.r_hit_slot.d.next = self.slot_no[w].val();
                }
            }
            self.n_used.next = 0.into();
            for w in 0..WAYS {
                if self.w_used[w].val() {
                    self.n_used.next = self.n_used.val() + 1;
                }
            }
            self.r_hit.d.next = self.got.val();
            // The lowest three usable free ways (a small table per bit for
            // four ways).
            self.fr.next = !self.used.val() & self.owned.val() & !self.barred.val();
            self.r_free_1.d.next = self.fr.val().any();
            self.fr_low.next = self.fr.val() & (!self.fr.val() + 1);
            for w in 0..WAYS {
                if self.fr_low.val().get_bit(w) {
                    self.r_free_s0.d.next = self.slot_no[w].val();
                }
            }
            self.fr.next = self.fr.val() & !self.fr_low.val();
            self.r_free_2.d.next = self.fr.val().any();
            self.fr_low.next = self.fr.val() & (!self.fr.val() + 1);
            for w in 0..WAYS {
                if self.fr_low.val().get_bit(w) {
                    self.r_free_s1.d.next = self.slot_no[w].val();
                }
            }
            self.fr.next = self.fr.val() & !self.fr_low.val();
            self.r_free_3.d.next = self.fr.val().any();
            self.fr_low.next = self.fr.val() & (!self.fr.val() + 1);
            for w in 0..WAYS {
                if self.fr_low.val().get_bit(w) {
                    self.r_free_s2.d.next = self.slot_no[w].val();
                }
            }
            self.r_load.d.next = self.n_used.val();
        }
        self.hit.next = self.r_hit.q.val();
        self.hit_slot.next = self.r_hit_slot.q.val();
        self.free_1.next = self.r_free_1.q.val();
        self.free_2.next = self.r_free_2.q.val();
        self.free_3.next = self.r_free_3.q.val();
        self.free_s0.next = self.r_free_s0.q.val();
        self.free_s1.next = self.r_free_s1.q.val();
        self.free_s2.next = self.r_free_s2.q.val();
        self.load.next = self.r_load.q.val();

        // The write (registered in the engine: it is not gated by `run`).
        for w in 0..WAYS {
            self.used_ram[w].write_address.next = self.wr_set.val();
            self.key_ram[w].write_address.next = self.wr_set.val();
            self.used_ram[w].write_data.next = self.set_here.val().get_bit(w);
            self.key_ram[w].write_data.next = self.wr.key.val();
            self.used_ram[w].write_enable.next =
                self.set_here.val().get_bit(w) | self.clear_here.val().get_bit(w);
            self.key_ram[w].write_enable.next = self.set_here.val().get_bit(w);
        }
        // The forwarding register keeps the bank's last write.
        if (self.set_here.val() | self.clear_here.val()).any() {
            self.lw.d.next.valid = true;
            self.lw.d.next.set = self.wr_set.val();
            self.lw.d.next.filled = self.set_here.val();
            self.lw.d.next.cleared = self.clear_here.val();
            self.lw.d.next.key = self.wr.key.val();
        }
        if self.wipe.val() | self.clear.val() {
            self.lw.d.next.valid = false;
        }

        // Maintenance: read-out, wipe, clear.
        self.sw_used.next = false;
        self.sw_key.next = 0.into();
        for w in 0..WAYS {
            if self.sw_slot.val() == self.slot_no[w].val() {
                self.sw_used.next = self.used_ram[w].read_data.val();
                self.sw_key.next = self.key_ram[w].read_data.val();
            }
            if self.wipe.val() {
                self.used_ram[w].write_address.next = self.rd_set.val();
                self.used_ram[w].write_data.next = false;
                self.used_ram[w].write_enable.next = true;
            }
        }
    }
}
