//! One bank of a replica's table: `WAYS` way memories (used bit, key) of
//! `2^SET_BITS` sets, and the bank's part of the engine's stages (`super`,
//! docs/DESIGN.md "Table engine"). The values are not here: the engine
//! keeps every main slot's value in one memory and reads only the value of
//! the way that holds the key, a stage later:
//!
//! - stage B: the memories are read at `rd_set`;
//! - stage C: what they answer is registered (`c_used`, `c_keys`: the
//!   block RAM's clock-to-out ends in a flip-flop, not in the compares);
//! - stage D1: each way's entry is what the memory answered unless one of
//!   the bank's last `FWD` writes (`lw`, oldest first; an operation writes
//!   each bank once, at most a way set and a way cleared) or the write
//!   being made now (`wr`) went to it after the read, and the bank's
//!   results are registered: where the key is
//!   (`hit`), the ways it may fill (unused, owned, not barred by an earlier
//!   client's delete in this serve step: `barred`, from the engine's
//!   `Bars`) and how many are used;
//! - a clock after stage E (the engine's decision, registered) a way is
//!   written through `wr`.
//!
//! The read misses the write made in the clock it reads (the memory reads
//! before it writes), the one in the clock its answer is registered and
//! the one being made in D1: the last two and `wr`. An operation held in
//! D1 by a stall (`run` low) was read before it; a write is made only a
//! clock after a run clock, so the writes it missed are still the bank's
//! last three, and `FWD` is 3.
//!
//! Every output is a register but the maintenance read-out (`sw_used`,
//! `sw_key`).

use super::{Load, TableWrite};
use crate::params::*;
use crate::util::{k, vec_of};
use rust_hdl::prelude::*;

/// The bank's last writes forwarded to stage D1 (beside the one being made).
pub const FWD: usize = 3;
// (They are three named registers, `lw0` the oldest, written out: a
// register's struct field cannot be reached through a `Vec`.)
const _: () = assert!(FWD == 3);
/// Stage C's keys, one register: way `w`'s at bit `w * KEY_BITS`.
const CK_W: usize = WAYS * KEY_BITS;

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
    /// The operation in stage C is valid: only then is its read registered.
    pub c_valid: Signal<In, bool>,
    /// Its key (for `KEY_EQ_AT_C`).
    pub c_key_in: Signal<In, Key>,
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
    /// Empty the forwarding registers.
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
    // ---- stage C: what the memories answered
    // (Few registers, each wide: written out as three `Vec`s of one-field
    // registers, stage C and the forwarding ran Verilator slower, measured
    // in session 41; not from the clock each register's module takes from
    // its parent, which session 42 measured to cost nothing.)
    c_used: DFF<WayMask>,
    c_keys: DFF<Bits<CK_W>>,
    c_eq: DFF<WayMask>,
    c_ck_at: Vec<Constant<Bits<16>>>,
    cu_acc: Signal<Local, WayMask>,
    ck_acc: Signal<Local, Bits<CK_W>>,
    ck_one: Signal<Local, Key>,
    ce_acc: Signal<Local, WayMask>,
    eq_at_c: Constant<bool>,
    // ---- the bank's last writes, oldest first
    lw0: DFF<BankWrite>,
    lw1: DFF<BankWrite>,
    lw2: DFF<BankWrite>,
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
    lw_eq: Vec<Signal<Local, bool>>,
    wr_eq: Signal<Local, bool>,
    used: Signal<Local, WayMask>,
    got: Signal<Local, bool>,
    n_used: Signal<Local, Load>,
    set_here: Signal<Local, WayMask>,
    clear_here: Signal<Local, WayMask>,
    slot_no: Vec<Constant<SlotNo>>,
    lw_here: Vec<Signal<Local, bool>>,
    lw_filled: Vec<Signal<Local, WayMask>>,
    lw_cleared: Vec<Signal<Local, WayMask>>,
    wr_here: Signal<Local, bool>,
    fr: Signal<Local, WayMask>,
    fr_low: Signal<Local, WayMask>,
}

/// A write to a bank, as a forwarding register keeps it: the ways of set
/// `set` it filled with `key`, and the ways it cleared.
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
            c_valid: Default::default(),
            c_key_in: Default::default(),
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
            c_used: Default::default(),
            c_keys: Default::default(),
            c_eq: Default::default(),
            c_ck_at: (0..WAYS).map(|w| k((w * KEY_BITS) as u64)).collect(),
            cu_acc: Default::default(),
            ck_acc: Default::default(),
            ck_one: Default::default(),
            ce_acc: Default::default(),
            eq_at_c: Constant::new(KEY_EQ_AT_C),
            lw0: Default::default(),
            lw1: Default::default(),
            lw2: Default::default(),
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
            lw_eq: vec_of(FWD),
            wr_eq: Default::default(),
            used: Default::default(),
            got: Default::default(),
            n_used: Default::default(),
            set_here: Default::default(),
            clear_here: Default::default(),
            slot_no: (0..WAYS).map(|w| k((bank * WAYS + w) as u64)).collect(),
            lw_here: vec_of(FWD),
            lw_filled: vec_of(FWD),
            lw_cleared: vec_of(FWD),
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
            self, clock, c_used, c_keys, c_eq, lw0, lw1, lw2, r_hit, r_hit_slot, r_free_1,
            r_free_2, r_free_3, r_free_s0, r_free_s1, r_free_s2, r_load
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
        // Stage C: the answer registered. (Either `c_keys` or `c_eq` is
        // used, by `KEY_EQ_AT_C`: synthesis removes the other.)
        self.cu_acc.next = 0.into();
        self.ck_acc.next = 0.into();
        self.ck_one.next = 0.into();
        self.ce_acc.next = 0.into();
        if self.run.val() & self.c_valid.val() {
            for w in 0..WAYS {
                self.cu_acc.next = self
                    .cu_acc
                    .val()
                    .replace_bit(w, self.used_ram[w].read_data.val());
                // (A loop's index cannot reach inside `bit_cast`: a local.)
                self.ck_one.next = self.key_ram[w].read_data.val();
                self.ck_acc.next = self.ck_acc.val()
                    | (bit_cast::<CK_W, KEY_BITS>(self.ck_one.val()) << self.c_ck_at[w].val());
                self.ce_acc.next = self
                    .ce_acc
                    .val()
                    .replace_bit(w, self.key_ram[w].read_data.val() == self.c_key_in.val());
            }
            self.c_used.d.next = self.cu_acc.val();
            self.c_keys.d.next = self.ck_acc.val();
            self.c_eq.d.next = self.ce_acc.val();
        }
        for i in 0..FWD {
            self.lw_here[i].next = false;
            self.lw_eq[i].next = false;
            self.lw_filled[i].next = 0.into();
            self.lw_cleared[i].next = 0.into();
        }
        // (Locals get a value on every path: no latches.)
        self.used.next = 0.into();
        self.got.next = false;
        self.n_used.next = 0.into();
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
        self.wr_eq.next = false;
        for w in 0..WAYS {
            self.w_used[w].next = false;
            self.w_eq[w].next = false;
        }
        if self.run.val() & self.valid.val() {
            // Stage D1: each way as the writes since the read left it: the
            // last ones made (`lw`, oldest first), then the one being made.
            // (One compare per write, not a key mux per way.)
            self.lw_here[0].next =
                self.lw0.q.val().valid & (self.lw0.q.val().set == self.set.val());
            self.lw_here[1].next =
                self.lw1.q.val().valid & (self.lw1.q.val().set == self.set.val());
            self.lw_here[2].next =
                self.lw2.q.val().valid & (self.lw2.q.val().set == self.set.val());
            self.lw_eq[0].next = self.lw0.q.val().key == self.key.val();
            self.lw_eq[1].next = self.lw1.q.val().key == self.key.val();
            self.lw_eq[2].next = self.lw2.q.val().key == self.key.val();
            self.lw_filled[0].next = self.lw0.q.val().filled;
            self.lw_filled[1].next = self.lw1.q.val().filled;
            self.lw_filled[2].next = self.lw2.q.val().filled;
            self.lw_cleared[0].next = self.lw0.q.val().cleared;
            self.lw_cleared[1].next = self.lw1.q.val().cleared;
            self.lw_cleared[2].next = self.lw2.q.val().cleared;
            self.wr_here.next = self.wr_set.val() == self.set.val();
            self.wr_eq.next = self.wr.key.val() == self.key.val();
            self.used.next = 0.into();
            for w in 0..WAYS {
                self.w_used[w].next = self.c_used.q.val().get_bit(w);
                self.w_eq[w].next = self
                    .c_keys
                    .q
                    .val()
                    .get_bits::<KEY_BITS>(self.c_ck_at[w].val().index())
                    == self.key.val();
                if self.eq_at_c.val() {
                    self.w_eq[w].next = self.c_eq.q.val().get_bit(w);
                }
                for i in 0..FWD {
                    if self.lw_here[i].val()
                        & (self.lw_filled[i].val().get_bit(w) | self.lw_cleared[i].val().get_bit(w))
                    {
                        self.w_used[w].next = self.lw_filled[i].val().get_bit(w);
                        self.w_eq[w].next = self.lw_eq[i].val();
                    }
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
        // The forwarding registers keep the bank's last writes.
        if (self.set_here.val() | self.clear_here.val()).any() {
            self.lw0.d.next = self.lw1.q.val();
            self.lw1.d.next = self.lw2.q.val();
            self.lw2.d.next.valid = true;
            self.lw2.d.next.set = self.wr_set.val();
            self.lw2.d.next.filled = self.set_here.val();
            self.lw2.d.next.cleared = self.clear_here.val();
            self.lw2.d.next.key = self.wr.key.val();
        }
        if self.wipe.val() | self.clear.val() {
            self.lw0.d.next.valid = false;
            self.lw1.d.next.valid = false;
            self.lw2.d.next.valid = false;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::clocks;
    use tidekv_defs::hash::splitmix64;

    /// The bank against a table in software, on two sets and four keys so
    /// that writes and reads meet: random writes (one a clock, made only a
    /// clock after a run clock, as the engine makes them), random stalls,
    /// and an operation through stages B, C and D1 each run clock. Each
    /// stage D1 result is the table as the writes before it left it, with
    /// the write being made. Dropping any forwarding register fails it.
    #[test]
    fn bank_forwards_every_write_its_read_missed() {
        let mut bank = Bank::new(0);
        bank.connect_all();
        let sets = 2u64;
        let mut used = vec![vec![false; WAYS]; sets as usize];
        let mut keys = vec![vec![0u64; WAYS]; sets as usize];
        // (set, key) of the operation in stages B, C and D1.
        let mut pipe: [Option<(u64, u64)>; 3] = [None; 3];
        let mut rng = 0x5eed_u64;
        let mut ran = true;
        let mut checked = 0;
        bank.owned.next = Bits::from((1u64 << WAYS) - 1);
        bank.barred.next = 0.into();
        for _ in 0..20_000 {
            let r = splitmix64(&mut rng);
            let run = r.is_multiple_of(2);
            // The write being made (only after a run clock).
            let wr = (ran && !(r >> 1).is_multiple_of(3)).then(|| {
                let set = (r >> 3) % sets;
                let fill = (r >> 5)
                    .is_multiple_of(2)
                    .then_some(((r >> 6) % WAYS as u64, (r >> 10) % 4));
                let clear = (r >> 12)
                    .is_multiple_of(2)
                    .then_some((r >> 13) % WAYS as u64);
                (set, fill, clear.filter(|c| fill.map(|f| f.0) != Some(*c)))
            });
            let (b, c, d1) = (pipe[0], pipe[1], pipe[2]);
            bank.run.next = run;
            bank.rd_set.next = if run { b } else { c }.map_or(0, |o| o.0).into();
            bank.c_valid.next = c.is_some();
            bank.c_key_in.next = c.map_or(0, |o| o.1).into();
            bank.valid.next = d1.is_some();
            bank.set.next = d1.map_or(0, |o| o.0).into();
            bank.key.next = d1.map_or(0, |o| o.1).into();
            bank.wr_set.next = wr.map_or(0, |w| w.0).into();
            bank.wr.set_en.next = wr.is_some_and(|w| w.1.is_some());
            bank.wr.set_slot.next = wr.and_then(|w| w.1).map_or(0, |f| f.0).into();
            bank.wr.key.next = wr.and_then(|w| w.1).map_or(0, |f| f.1).into();
            bank.wr.clear_en.next = wr.is_some_and(|w| w.2.is_some());
            bank.wr.clear_slot.next = wr.and_then(|w| w.2).unwrap_or(0).into();
            // The table as the writes before this clock and this one leave it.
            if let Some((s, fill, clear)) = wr {
                if let Some((w, k)) = fill {
                    used[s as usize][w as usize] = true;
                    keys[s as usize][w as usize] = k;
                }
                if let Some(w) = clear {
                    used[s as usize][w as usize] = false;
                }
            }
            let want = d1.filter(|_| run).map(|(s, k)| {
                let (u, ks) = (&used[s as usize], &keys[s as usize]);
                let hit = (0..WAYS).find(|&w| u[w] && ks[w] == k);
                let free: Vec<usize> = (0..WAYS).filter(|&w| !u[w]).collect();
                (hit, u.iter().filter(|&&x| x).count() as u64, free)
            });
            clocks(&mut bank, 1, |b| &mut b.clock);
            if let Some((hit, load, free)) = want {
                assert_eq!(bank.hit.val(), hit.is_some(), "hit");
                if let Some(w) = hit {
                    assert_eq!(bank.hit_slot.val().to_u64(), w as u64, "hit slot");
                }
                assert_eq!(bank.load.val().to_u64(), load, "load");
                assert_eq!(bank.free_1.val(), !free.is_empty(), "a free way");
                if let Some(&w) = free.first() {
                    assert_eq!(bank.free_s0.val().to_u64(), w as u64, "lowest free way");
                }
                checked += 1;
            }
            if run {
                let op =
                    (!(r >> 20).is_multiple_of(5)).then_some(((r >> 23) % sets, (r >> 25) % 4));
                pipe = [op, b, c];
            }
            ran = run;
        }
        assert!(checked > 3_000, "{checked} operations checked");
    }
}
