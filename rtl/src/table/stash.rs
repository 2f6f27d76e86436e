//! The stash: `STASH_N` fully associative entries in registers, and its part
//! of the engine's stages (`super`): stage D1 compares the key with every
//! entry and registers where it is and which entries the operation may fill
//! (unused, owned, not barred: `barred`, from the engine's `Bars`); a
//! clock after stage E (the engine's
//! decision, registered) an entry is written through `wr`. The entries are
//! registers, and stage D1 sees them as the write being made leaves them:
//! every write up to the one three operations before (what the banks see
//! through their forwarding).
//!
//! Every output is a register but the maintenance read-out (`sw`).

use super::TableWrite;
use crate::params::*;
use crate::table::SlotOut;
use crate::util::{k, vec_of};
use rust_hdl::prelude::*;

#[derive(LogicBlock)]
pub struct Stash {
    pub clock: Signal<In, Clock>,
    pub run: Signal<In, bool>,
    // ---- the operation in stage D1
    pub key: Signal<In, Key>,
    pub owned: Signal<In, StashMask>,
    /// The entries earlier clients' deletes barred in this serve step.
    pub barred: Signal<In, StashMask>,
    /// It is a valid operation: only then is stage D1 computed (see `Bank`).
    pub valid: Signal<In, bool>,
    // ---- the write (stage E's, registered)
    pub wr: TableWrite,
    pub wr_value: Signal<In, Value>,
    // ---- stage D1's results, registered
    pub hit: Signal<Out, bool>,
    pub hit_slot: Signal<Out, SlotNo>,
    pub hit_value: Signal<Out, Value>,
    pub free: Signal<Out, StashMask>,
    // ---- maintenance
    /// Mark every entry unused.
    pub wipe: Signal<In, bool>,
    /// Show entry `sw_slot`.
    pub sw_slot: Signal<In, SlotNo>,
    pub sw: SlotOut,
    // ---- the entries
    e_used: Vec<DFF<bool>>,
    e_key: Vec<DFF<Key>>,
    e_val: Vec<DFF<Value>>,
    // ---- stage D1's result registers
    r_hit: DFF<bool>,
    r_hit_slot: DFF<SlotNo>,
    r_hit_value: DFF<Value>,
    r_free: DFF<StashMask>,
    // ---- locals and constants
    used: Signal<Local, StashMask>,
    /// The entries as the write being made leaves them.
    w_set: Signal<Local, StashMask>,
    w_clr: Signal<Local, StashMask>,
    f_used: Signal<Local, StashMask>,
    /// The write holds the operation's key; the entry holds it.
    wr_eq: Signal<Local, bool>,
    f_eq: Vec<Signal<Local, bool>>,
    /// The entries that hold the key (at most one), and its slot and
    /// value: an OR over the entries, not a priority chain.
    hm: Signal<Local, StashMask>,
    hs: Signal<Local, SlotNo>,
    hv: Signal<Local, Value>,
    slot_no: Vec<Constant<SlotNo>>,
    /// Entries that exist (STASH_N may be 0; the widths keep two).
    present: Constant<StashMask>,
}

impl Stash {
    pub fn new() -> Stash {
        Stash {
            clock: Default::default(),
            run: Default::default(),
            key: Default::default(),
            owned: Default::default(),
            barred: Default::default(),
            valid: Default::default(),
            wr: Default::default(),
            wr_value: Default::default(),
            hit: Default::default(),
            hit_slot: Default::default(),
            hit_value: Default::default(),
            free: Default::default(),
            wipe: Default::default(),
            sw_slot: Default::default(),
            sw: Default::default(),
            e_used: vec_of(STASH_W),
            e_key: vec_of(STASH_W),
            e_val: vec_of(STASH_W),
            r_hit: Default::default(),
            r_hit_slot: Default::default(),
            r_hit_value: Default::default(),
            r_free: Default::default(),
            used: Default::default(),
            w_set: Default::default(),
            w_clr: Default::default(),
            f_used: Default::default(),
            wr_eq: Default::default(),
            f_eq: vec_of(STASH_W),
            hm: Default::default(),
            hs: Default::default(),
            hv: Default::default(),
            slot_no: (0..STASH_W).map(|i| k((MAIN_WAYS + i) as u64)).collect(),
            present: k(tidekv_defs::config::mask(STASH_N as u32)),
        }
    }
}

impl Default for Stash {
    fn default() -> Self {
        Stash::new()
    }
}

impl Logic for Stash {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, r_hit, r_hit_slot, r_hit_value, r_free);
        // Stage D1.
        self.used.next = 0.into();
        for i in 0..STASH_W {
            self.e_used[i].clock.next = self.clock.val();
            self.e_key[i].clock.next = self.clock.val();
            self.e_val[i].clock.next = self.clock.val();
            self.e_used[i].d.next = self.e_used[i].q.val();
            self.e_key[i].d.next = self.e_key[i].q.val();
            self.e_val[i].d.next = self.e_val[i].q.val();
            self.used.next = self.used.val().replace_bit(i, self.e_used[i].q.val());
        }
        self.used.next = self.used.val() & self.present.val();
        // The entries the write being made sets and clears.
        self.w_set.next = 0.into();
        self.w_clr.next = 0.into();
        // (Decoded only when it makes one: most clocks it does not.)
        if self.wr.set_en.val() {
            for i in 0..STASH_W {
                if self.wr.set_slot.val() == self.slot_no[i].val() {
                    self.w_set.next = self.w_set.val().replace_bit(i, true);
                }
            }
        }
        if self.wr.clear_en.val() {
            for i in 0..STASH_W {
                if self.wr.clear_slot.val() == self.slot_no[i].val() {
                    self.w_clr.next = self.w_clr.val().replace_bit(i, true);
                }
            }
        }
        self.f_used.next = 0.into();
        self.wr_eq.next = false;
        for i in 0..STASH_W {
            self.f_eq[i].next = false;
        }
        self.hm.next = 0.into();
        self.hs.next = 0.into();
        self.hv.next = 0.into();
        if self.run.val() & self.valid.val() {
            self.f_used.next =
                (self.w_set.val() | (self.used.val() & !self.w_clr.val())) & self.present.val();
            // (One key compare for the write, and its value muxed in once
            // after the pick: the write leaves its key in one entry only.)
            self.wr_eq.next = self.wr.key.val() == self.key.val();
            for i in 0..STASH_W {
                self.f_eq[i].next = self.e_key[i].q.val() == self.key.val();
                if self.w_set.val().get_bit(i) {
                    self.f_eq[i].next = self.wr_eq.val();
                }
            }
            // (A key is in one entry at most: the entries' slots and values
            // are OR-ed under the hit mask, a tree, not a chain of eight.)
            for i in 0..STASH_W {
                if self.f_used.val().get_bit(i) & self.f_eq[i].val() {
                    self.hm.next = self.hm.val().replace_bit(i, true);
                    self.hs.next = self.hs.val() | self.slot_no[i].val();
                    self.hv.next = self.hv.val() | self.e_val[i].q.val();
                }
            }
            self.r_hit_slot.d.next = self.hs.val();
            self.r_hit_value.d.next = self.hv.val();
            if self.wr_eq.val() & self.w_set.val().any() {
                self.r_hit_value.d.next = self.wr_value.val();
            }
            self.r_hit.d.next = self.hm.val().any();
            self.r_free.d.next =
                !self.f_used.val() & self.owned.val() & !self.barred.val() & self.present.val();
        }
        self.hit.next = self.r_hit.q.val();
        self.hit_slot.next = self.r_hit_slot.q.val();
        self.hit_value.next = self.r_hit_value.q.val();
        self.free.next = self.r_free.q.val();

        // The write (registered in the engine: it is not gated by `run`).
        for i in 0..STASH_W {
            if self.w_clr.val().get_bit(i) {
                self.e_used[i].d.next = false;
            }
            if self.w_set.val().get_bit(i) {
                self.e_used[i].d.next = true;
                self.e_key[i].d.next = self.wr.key.val();
                self.e_val[i].d.next = self.wr_value.val();
            }
        }
        // Maintenance: read-out, wipe.
        self.sw.used.next = false;
        self.sw.key.next = 0.into();
        self.sw.value.next = 0.into();
        for i in 0..STASH_W {
            if self.sw_slot.val() == self.slot_no[i].val() {
                self.sw.used.next = self.used.val().get_bit(i);
                self.sw.key.next = self.e_key[i].q.val();
                self.sw.value.next = self.e_val[i].q.val();
            }
            if self.wipe.val() {
                self.e_used[i].d.next = false;
            }
        }
    }
}
