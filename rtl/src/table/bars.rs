//! The slots a replicated shard's serve step bars, once per engine
//! (docs/DESIGN.md, "Table engine"): a client's delete frees one slot, and
//! the model keeps that slot from every later new key of the same serve
//! step. Each client has one entry, rewritten at its serve slot: the slot
//! it cleared (one-hot over the main slots and the stash, zero if it
//! cleared none) and, for a main slot, the set it cleared it in (that of
//! the slot's bank).
//!
//! Stage D1 asks for the operation there: the slots barred by the clients
//! `j + 3 <= k` of its client `k` (the two right before it are in stages D2
//! and E, and the engine accounts for their deletes there), a main slot
//! only where the entry's set is the operation's set in that bank. The
//! write being made (`pw`, registered at E) is that client's newest entry
//! and stands in for its register. `barred` is combinational: the banks and
//! the stash register what they derive from it.
//!
//! Until session 39 each bank and the stash kept a copy of every client's
//! entry for its own slots (C x (banks + 1) entries an engine); a
//! delete clears one slot, so one entry a client says the same.

use crate::params::*;
use crate::util::{k, vec_of};
use rust_hdl::prelude::*;

/// A mask of every slot of a replica: the main slots `bank x WAYS + way`,
/// then the stash's.
pub const SLOT_MASK_BITS: usize = MAIN_WAYS + STASH_W;
pub type SlotMask = Bits<SLOT_MASK_BITS>;

#[derive(LogicBlock)]
pub struct Bars {
    pub clock: Signal<In, Clock>,
    // ---- the operation in stage D1 (valid and moving), its client and sets
    pub valid: Signal<In, bool>,
    pub client: Signal<In, Client>,
    pub sets: Vec<Signal<In, SetAddr>>,
    // ---- the write being made (stage E's, registered), and its sets
    /// A serve slot (valid or not) of client `wr_client`: it rewrites the
    /// client's entry.
    pub wr_serve: Signal<In, bool>,
    pub wr_client: Signal<In, Client>,
    /// It bars what it clears (a replicated shard's serve).
    pub wr_bar: Signal<In, bool>,
    pub wr_clear_en: Signal<In, bool>,
    pub wr_clear_slot: Signal<In, SlotNo>,
    pub wr_sets: Vec<Signal<In, SetAddr>>,
    /// Empty every entry.
    pub clear: Signal<In, bool>,
    // ---- stage D1's answer
    pub barred: Signal<Out, SlotMask>,
    // ---- one entry a client
    b_slot: Vec<DFF<SlotMask>>,
    b_set: Vec<DFF<SetAddr>>,
    // ---- locals and constants
    /// The write's slot, one-hot (zero unless it bars), and its set.
    w_hot: Signal<Local, SlotMask>,
    w_set: Signal<Local, SetAddr>,
    /// The write stands in for its client's entry (that client counts).
    w_on: Signal<Local, bool>,
    /// An entry's set in the operation's bank of the entry's slot.
    cur: Signal<Local, SetAddr>,
    on: Signal<Local, ClientMask>,
    acc: Signal<Local, SlotMask>,
    c_slot: Vec<Constant<SlotNo>>,
    c_bank_slots: Vec<Constant<SlotMask>>,
    /// For client k, the clients whose bars count (`j + 3 <= k`).
    c_from: Vec<Constant<ClientMask>>,
}

impl Bars {
    pub fn new() -> Bars {
        let bank_slots = |b: usize| ((1u64 << WAYS) - 1) << (b * WAYS);
        Bars {
            clock: Default::default(),
            valid: Default::default(),
            client: Default::default(),
            sets: vec_of(BANKS),
            wr_serve: Default::default(),
            wr_client: Default::default(),
            wr_bar: Default::default(),
            wr_clear_en: Default::default(),
            wr_clear_slot: Default::default(),
            wr_sets: vec_of(BANKS),
            clear: Default::default(),
            barred: Default::default(),
            b_slot: vec_of(C),
            b_set: vec_of(C),
            w_hot: Default::default(),
            w_set: Default::default(),
            w_on: Default::default(),
            cur: Default::default(),
            on: Default::default(),
            acc: Default::default(),
            c_slot: (0..SLOT_MASK_BITS).map(|s| k(s as u64)).collect(),
            c_bank_slots: (0..BANKS).map(|b| k(bank_slots(b))).collect(),
            c_from: (0..C)
                .map(|c| k((0..C).filter(|&j| j + 3 <= c).fold(0u64, |m, j| m | 1 << j)))
                .collect(),
        }
    }
}

impl Default for Bars {
    fn default() -> Self {
        Bars::new()
    }
}

impl Logic for Bars {
    #[hdl_gen]
    fn update(&mut self) {
        for j in 0..C {
            self.b_slot[j].clock.next = self.clock.val();
            self.b_set[j].clock.next = self.clock.val();
            self.b_slot[j].d.next = self.b_slot[j].q.val();
            self.b_set[j].d.next = self.b_set[j].q.val();
        }
        // (Locals get a value on every path: no latches.)
        self.w_hot.next = 0.into();
        self.w_set.next = 0.into();
        self.w_on.next = false;
        self.cur.next = 0.into();
        self.on.next = 0.into();
        self.acc.next = 0.into();
        // The write's slot and set, decoded only when it bars a slot.
        if self.wr_serve.val() & self.wr_bar.val() & self.wr_clear_en.val() {
            for s in 0..SLOT_MASK_BITS {
                if self.wr_clear_slot.val() == self.c_slot[s].val() {
                    self.w_hot.next = self.w_hot.val().replace_bit(s, true);
                }
            }
            for b in 0..BANKS {
                if (self.w_hot.val() & self.c_bank_slots[b].val()).any() {
                    self.w_set.next = self.wr_sets[b].val();
                }
            }
        }
        // Stage D1: the entries of the clients that count, a main slot
        // where its set is the operation's in the slot's bank.
        if self.valid.val() {
            for c in 0..C {
                if self.client.val().index() == c {
                    self.on.next = self.c_from[c].val();
                }
            }
            for j in 0..C {
                if self.on.val().get_bit(j) {
                    if self.wr_serve.val() & (self.wr_client.val().index() == j) {
                        self.w_on.next = true;
                    } else if self.b_slot[j].q.val().any() {
                        self.cur.next = 0.into();
                        for b in 0..BANKS {
                            if (self.b_slot[j].q.val() & self.c_bank_slots[b].val()).any() {
                                self.cur.next = self.sets[b].val();
                            }
                        }
                        // (A stash slot is in no bank: both sets are 0.)
                        if self.cur.val() == self.b_set[j].q.val() {
                            self.acc.next = self.acc.val() | self.b_slot[j].q.val();
                        }
                    }
                }
            }
            if self.w_on.val() {
                self.cur.next = 0.into();
                for b in 0..BANKS {
                    if (self.w_hot.val() & self.c_bank_slots[b].val()).any() {
                        self.cur.next = self.sets[b].val();
                    }
                }
                if self.cur.val() == self.w_set.val() {
                    self.acc.next = self.acc.val() | self.w_hot.val();
                }
            }
        }
        self.barred.next = self.acc.val();
        // The write rewrites its client's entry.
        for j in 0..C {
            if self.wr_serve.val() & (self.wr_client.val().index() == j) {
                self.b_slot[j].d.next = self.w_hot.val();
                self.b_set[j].d.next = self.w_set.val();
            }
            if self.clear.val() {
                self.b_slot[j].d.next = 0.into();
            }
        }
    }
}
