//! One replica's KV table in block RAM, and the engine that applies and
//! serves one operation per clock (docs/DESIGN.md, "KV table" and "RTL
//! timing"); the model is `tidekv_sim::table` (`serve`, `apply`).
//!
//! A bank is `WAYS` way memories (used bit, key, value) addressed by the
//! key's set in that bank; the stash is registers. An operation is read in
//! one clock (stage 0: hash, RAM address) and decided and written in the
//! next (stage 1). Every way memory forwards its last write, so an operation
//! sees the one before it although that one's write lands in the same clock
//! as its read.

use crate::hash::H3Hash;
use crate::params::*;
use crate::util::{k, vec_of};
use rust_hdl::prelude::*;
use tidekv_defs::hash::TABLE_BANK_STRIDE;
use tidekv_defs::{Op, Status};

/// Bits of a way count 0..=16.
pub const LOAD_BITS: usize = 5;
pub type Load = Bits<LOAD_BITS>;

/// Write controls one stage-1 decision drives into every bank and the
/// stash; each acts only on the slot numbers it holds.
#[derive(LogicInterface, Default)]
pub struct TableWrite {
    pub set_en: Signal<In, bool>,
    pub set_slot: Signal<In, SlotNo>,
    pub key: Signal<In, Key>,
    pub value: Signal<In, Value>,
    pub clear_en: Signal<In, bool>,
    pub clear_slot: Signal<In, SlotNo>,
    /// The cleared slot stays barred for the rest of this serve step.
    pub bar: Signal<In, bool>,
    /// A serve slot: rewrite the barred entry of `client`.
    pub serve_slot: Signal<In, bool>,
}

/// One slot of a table as the memory holds it (a maintenance read-out).
#[derive(LogicInterface, Default)]
pub struct SlotOut {
    pub used: Signal<Out, bool>,
    pub key: Signal<Out, Key>,
    pub value: Signal<Out, Value>,
}

/// One bank: `WAYS` ways of `2^SET_BITS` sets.
#[derive(LogicBlock)]
pub struct Bank {
    pub clock: Signal<In, Clock>,
    pub run: Signal<In, bool>,
    /// Set to read this clock (the stage-0 operation's, or stage 1's when
    /// stalled).
    pub rd_set: Signal<In, SetAddr>,
    /// The stage-1 operation: its set in this bank, key and client.
    pub set: Signal<In, SetAddr>,
    pub key: Signal<In, Key>,
    pub client: Signal<In, Client>,
    /// Ways this replica may fill this round.
    pub owned: Signal<In, WayMask>,
    pub wr: TableWrite,
    pub hit: Signal<Out, bool>,
    pub hit_slot: Signal<Out, SlotNo>,
    pub hit_value: Signal<Out, Value>,
    pub has_free: Signal<Out, bool>,
    pub free_slot: Signal<Out, SlotNo>,
    pub load: Signal<Out, Load>,
    /// Empty the forwarding and bar registers.
    pub clear: Signal<In, bool>,
    /// Mark every way of set `rd_set` unused.
    pub wipe: Signal<In, bool>,
    /// Show slot `sw_slot` of the set read in the clock before (raw memory).
    pub sw_slot: Signal<In, SlotNo>,
    pub sw: SlotOut,
    used_ram: Vec<RAM<bool, SET_ADDR_BITS>>,
    key_ram: Vec<RAM<Key, SET_ADDR_BITS>>,
    val_ram: Vec<RAM<Value, SET_ADDR_BITS>>,
    lw_valid: Vec<DFF<bool>>,
    lw_set: Vec<DFF<SetAddr>>,
    lw_used: Vec<DFF<bool>>,
    lw_key: Vec<DFF<Key>>,
    lw_val: Vec<DFF<Value>>,
    bar_valid: Vec<DFF<bool>>,
    bar_set: Vec<DFF<SetAddr>>,
    bar_ways: Vec<DFF<WayMask>>,
    slot_no: Vec<Constant<SlotNo>>,
    w_used: Vec<Signal<Local, bool>>,
    w_key: Vec<Signal<Local, Key>>,
    w_val: Vec<Signal<Local, Value>>,
    used: Signal<Local, WayMask>,
    barred: Signal<Local, WayMask>,
    free: Signal<Local, WayMask>,
    got: Signal<Local, bool>,
    set_here: Signal<Local, WayMask>,
    clear_here: Signal<Local, WayMask>,
}

/// An empty table: every used bit starts at zero (FPGA and Verilator alike).
fn empty_used() -> RAM<bool, SET_ADDR_BITS> {
    RAM::new((0..1u64 << SET_ADDR_BITS).map(|a| (Bits::from(a), false)).collect())
}

impl Bank {
    pub fn new(bank: usize) -> Bank {
        Bank {
            clock: Default::default(),
            run: Default::default(),
            rd_set: Default::default(),
            set: Default::default(),
            key: Default::default(),
            client: Default::default(),
            owned: Default::default(),
            wr: Default::default(),
            hit: Default::default(),
            hit_slot: Default::default(),
            hit_value: Default::default(),
            has_free: Default::default(),
            free_slot: Default::default(),
            load: Default::default(),
            clear: Default::default(),
            wipe: Default::default(),
            sw_slot: Default::default(),
            sw: Default::default(),
            used_ram: (0..WAYS).map(|_| empty_used()).collect(),
            key_ram: vec_of(WAYS),
            val_ram: vec_of(WAYS),
            lw_valid: vec_of(WAYS),
            lw_set: vec_of(WAYS),
            lw_used: vec_of(WAYS),
            lw_key: vec_of(WAYS),
            lw_val: vec_of(WAYS),
            bar_valid: vec_of(C),
            bar_set: vec_of(C),
            bar_ways: vec_of(C),
            slot_no: (0..WAYS).map(|w| k((bank * WAYS + w) as u64)).collect(),
            w_used: vec_of(WAYS),
            w_key: vec_of(WAYS),
            w_val: vec_of(WAYS),
            used: Default::default(),
            barred: Default::default(),
            free: Default::default(),
            got: Default::default(),
            set_here: Default::default(),
            clear_here: Default::default(),
        }
    }
}

impl Logic for Bank {
    #[hdl_gen]
    fn update(&mut self) {
        // What the stage-1 operation sees: the RAM, or the write that
        // landed in the clock it was read.
        self.used.next = 0.into();
        self.hit.next = false;
        self.hit_slot.next = 0.into();
        self.hit_value.next = 0.into();
        for w in 0..WAYS {
            self.used_ram[w].read_clock.next = self.clock.val();
            self.key_ram[w].read_clock.next = self.clock.val();
            self.val_ram[w].read_clock.next = self.clock.val();
            self.used_ram[w].write_clock.next = self.clock.val();
            self.key_ram[w].write_clock.next = self.clock.val();
            self.val_ram[w].write_clock.next = self.clock.val();
            self.used_ram[w].read_address.next = self.rd_set.val();
            self.key_ram[w].read_address.next = self.rd_set.val();
            self.val_ram[w].read_address.next = self.rd_set.val();
            self.lw_valid[w].clock.next = self.clock.val();
            self.lw_set[w].clock.next = self.clock.val();
            self.lw_used[w].clock.next = self.clock.val();
            self.lw_key[w].clock.next = self.clock.val();
            self.lw_val[w].clock.next = self.clock.val();
            self.lw_valid[w].d.next = self.lw_valid[w].q.val();
            self.lw_set[w].d.next = self.lw_set[w].q.val();
            self.lw_used[w].d.next = self.lw_used[w].q.val();
            self.lw_key[w].d.next = self.lw_key[w].q.val();
            self.lw_val[w].d.next = self.lw_val[w].q.val();
            if self.lw_valid[w].q.val() & (self.lw_set[w].q.val() == self.set.val()) {
                self.w_used[w].next = self.lw_used[w].q.val();
                self.w_key[w].next = self.lw_key[w].q.val();
                self.w_val[w].next = self.lw_val[w].q.val();
            } else {
                self.w_used[w].next = self.used_ram[w].read_data.val();
                self.w_key[w].next = self.key_ram[w].read_data.val();
                self.w_val[w].next = self.val_ram[w].read_data.val();
            }
            self.used.next = self.used.val().replace_bit(w, self.w_used[w].val());
        }
        // Lowest hit way (a key is in at most one).
        for w in 0..WAYS {
            if !self.hit.val() & self.w_used[w].val() & (self.w_key[w].val() == self.key.val()) {
                self.hit.next = true;
                self.hit_slot.next = self.slot_no[w].val();
                self.hit_value.next = self.w_val[w].val();
            }
        }
        // Slots barred by this serve step's own deletes (clients before this one).
        self.barred.next = 0.into();
        for j in 0..C {
            self.bar_valid[j].clock.next = self.clock.val();
            self.bar_set[j].clock.next = self.clock.val();
            self.bar_ways[j].clock.next = self.clock.val();
            self.bar_valid[j].d.next = self.bar_valid[j].q.val();
            self.bar_set[j].d.next = self.bar_set[j].q.val();
            self.bar_ways[j].d.next = self.bar_ways[j].q.val();
        }
        // (The last client's delete bars nobody this round.)
        for j in 0..C_BEFORE_LAST {
            if (self.client.val().index() > j) & self.bar_valid[j].q.val() & (self.bar_set[j].q.val() == self.set.val()) {
                self.barred.next = self.barred.val() | self.bar_ways[j].q.val();
            }
        }
        self.free.next = !self.used.val() & self.owned.val() & !self.barred.val();
        self.has_free.next = self.free.val().any();
        self.free_slot.next = 0.into();
        self.load.next = 0.into();
        for w in 0..WAYS {
            if self.w_used[w].val() {
                self.load.next = self.load.val() + 1;
            }
        }
        self.got.next = false;
        for w in 0..WAYS {
            if !self.got.val() & self.free.val().get_bit(w) {
                self.got.next = true;
                self.free_slot.next = self.slot_no[w].val();
            }
        }
        // Writes of the stage-1 decision.
        self.set_here.next = 0.into();
        self.clear_here.next = 0.into();
        for w in 0..WAYS {
            if self.wr.set_en.val() & (self.wr.set_slot.val() == self.slot_no[w].val()) {
                self.set_here.next = self.set_here.val().replace_bit(w, true);
            }
            if self.wr.clear_en.val() & (self.wr.clear_slot.val() == self.slot_no[w].val()) {
                self.clear_here.next = self.clear_here.val().replace_bit(w, true);
            }
        }
        for w in 0..WAYS {
            self.used_ram[w].write_address.next = self.set.val();
            self.key_ram[w].write_address.next = self.set.val();
            self.val_ram[w].write_address.next = self.set.val();
            self.used_ram[w].write_data.next = self.set_here.val().get_bit(w);
            self.key_ram[w].write_data.next = self.wr.key.val();
            self.val_ram[w].write_data.next = self.wr.value.val();
            self.used_ram[w].write_enable.next = self.run.val() & (self.set_here.val().get_bit(w) | self.clear_here.val().get_bit(w));
            self.key_ram[w].write_enable.next = self.run.val() & self.set_here.val().get_bit(w);
            self.val_ram[w].write_enable.next = self.run.val() & self.set_here.val().get_bit(w);
            if self.run.val() {
                self.lw_valid[w].d.next = self.set_here.val().get_bit(w) | self.clear_here.val().get_bit(w);
                self.lw_set[w].d.next = self.set.val();
                self.lw_used[w].d.next = self.set_here.val().get_bit(w);
                if self.set_here.val().get_bit(w) {
                    self.lw_key[w].d.next = self.wr.key.val();
                    self.lw_val[w].d.next = self.wr.value.val();
                } else {
                    self.lw_key[w].d.next = self.w_key[w].val();
                    self.lw_val[w].d.next = self.w_val[w].val();
                }
            }
        }
        for j in 0..C {
            if self.run.val() & self.wr.serve_slot.val() & (self.client.val().index() == j) {
                self.bar_valid[j].d.next = self.wr.bar.val() & self.clear_here.val().any();
                self.bar_set[j].d.next = self.set.val();
                self.bar_ways[j].d.next = self.clear_here.val();
            }
        }
        // Maintenance: read-out, wipe, clear.
        self.sw.used.next = false;
        self.sw.key.next = 0.into();
        self.sw.value.next = 0.into();
        for w in 0..WAYS {
            if self.sw_slot.val() == self.slot_no[w].val() {
                self.sw.used.next = self.used_ram[w].read_data.val();
                self.sw.key.next = self.key_ram[w].read_data.val();
                self.sw.value.next = self.val_ram[w].read_data.val();
            }
            if self.wipe.val() {
                self.used_ram[w].write_address.next = self.rd_set.val();
                self.used_ram[w].write_data.next = false;
                self.used_ram[w].write_enable.next = true;
            }
            if self.wipe.val() | self.clear.val() {
                self.lw_valid[w].d.next = false;
            }
        }
        if self.clear.val() {
            for j in 0..C {
                self.bar_valid[j].d.next = false;
            }
        }
    }
}

/// The stash: `STASH_N` fully associative entries in registers.
#[derive(LogicBlock)]
pub struct Stash {
    pub clock: Signal<In, Clock>,
    pub run: Signal<In, bool>,
    pub key: Signal<In, Key>,
    pub client: Signal<In, Client>,
    pub owned: Signal<In, StashMask>,
    pub wr: TableWrite,
    pub hit: Signal<Out, bool>,
    pub hit_slot: Signal<Out, SlotNo>,
    pub hit_value: Signal<Out, Value>,
    pub has_free: Signal<Out, bool>,
    pub free_slot: Signal<Out, SlotNo>,
    /// Empty the bar registers.
    pub clear: Signal<In, bool>,
    /// Mark every entry unused.
    pub wipe: Signal<In, bool>,
    /// Show entry `sw_slot`.
    pub sw_slot: Signal<In, SlotNo>,
    pub sw: SlotOut,
    e_used: Vec<DFF<bool>>,
    e_key: Vec<DFF<Key>>,
    e_val: Vec<DFF<Value>>,
    bar: Vec<DFF<StashMask>>,
    slot_no: Vec<Constant<SlotNo>>,
    /// Entries that exist (STASH_N may be 0; the widths keep one).
    present: Constant<StashMask>,
    used: Signal<Local, StashMask>,
    barred: Signal<Local, StashMask>,
    free: Signal<Local, StashMask>,
    got: Signal<Local, bool>,
    cleared: Signal<Local, StashMask>,
}

impl Stash {
    pub fn new() -> Stash {
        Stash {
            clock: Default::default(),
            run: Default::default(),
            key: Default::default(),
            client: Default::default(),
            owned: Default::default(),
            wr: Default::default(),
            hit: Default::default(),
            hit_slot: Default::default(),
            hit_value: Default::default(),
            has_free: Default::default(),
            free_slot: Default::default(),
            clear: Default::default(),
            wipe: Default::default(),
            sw_slot: Default::default(),
            sw: Default::default(),
            e_used: vec_of(STASH_W),
            e_key: vec_of(STASH_W),
            e_val: vec_of(STASH_W),
            bar: vec_of(C),
            slot_no: (0..STASH_W).map(|i| k((MAIN_WAYS + i) as u64)).collect(),
            present: k(tidekv_defs::config::mask(STASH_N as u32)),
            used: Default::default(),
            barred: Default::default(),
            free: Default::default(),
            got: Default::default(),
            cleared: Default::default(),
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
        self.used.next = 0.into();
        self.hit.next = false;
        self.hit_slot.next = 0.into();
        self.hit_value.next = 0.into();
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
        for i in 0..STASH_W {
            if !self.hit.val() & self.used.val().get_bit(i) & (self.e_key[i].q.val() == self.key.val()) {
                self.hit.next = true;
                self.hit_slot.next = self.slot_no[i].val();
                self.hit_value.next = self.e_val[i].q.val();
            }
        }
        self.barred.next = 0.into();
        for j in 0..C {
            self.bar[j].clock.next = self.clock.val();
            self.bar[j].d.next = self.bar[j].q.val();
        }
        for j in 0..C_BEFORE_LAST {
            if self.client.val().index() > j {
                self.barred.next = self.barred.val() | self.bar[j].q.val();
            }
        }
        self.free.next = !self.used.val() & self.owned.val() & !self.barred.val() & self.present.val();
        self.has_free.next = self.free.val().any();
        self.free_slot.next = 0.into();
        self.got.next = false;
        for i in 0..STASH_W {
            if !self.got.val() & self.free.val().get_bit(i) {
                self.got.next = true;
                self.free_slot.next = self.slot_no[i].val();
            }
        }
        self.cleared.next = 0.into();
        for i in 0..STASH_W {
            if self.run.val() & self.wr.clear_en.val() & (self.wr.clear_slot.val() == self.slot_no[i].val()) {
                self.e_used[i].d.next = false;
                self.cleared.next = self.cleared.val().replace_bit(i, true);
            }
            if self.run.val() & self.wr.set_en.val() & (self.wr.set_slot.val() == self.slot_no[i].val()) {
                self.e_used[i].d.next = true;
                self.e_key[i].d.next = self.wr.key.val();
                self.e_val[i].d.next = self.wr.value.val();
            }
        }
        for j in 0..C {
            if self.run.val() & self.wr.serve_slot.val() & (self.client.val().index() == j) {
                if self.wr.bar.val() {
                    self.bar[j].d.next = self.cleared.val();
                } else {
                    self.bar[j].d.next = 0.into();
                }
            }
            if self.clear.val() {
                self.bar[j].d.next = 0.into();
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

/// One table operation, as the engine takes it in stage 0.
#[derive(LogicInterface, Default)]
pub struct TableOp {
    /// This clock carries a client slot (valid or not).
    pub slot: Signal<In, bool>,
    /// An apply slot (another replica's update), else a serve slot.
    pub apply: Signal<In, bool>,
    pub client: Signal<In, Client>,
    pub valid: Signal<In, bool>,
    pub op: Signal<In, OpCode>,
    pub key: Signal<In, Key>,
    pub value: Signal<In, Value>,
    /// Apply: the update deletes the key, else sets it at `uslot`.
    pub delete: Signal<In, bool>,
    pub uslot: Signal<In, SlotNo>,
    /// Serve: the slots this replica may fill this round.
    pub owned_ways: Signal<In, WayMask>,
    pub owned_stash: Signal<In, StashMask>,
}

/// Maintenance of a table while the core is paused (docs/DESIGN.md,
/// "Reset and recovery"): reset, wipe, read-out for a copy.
#[derive(LogicInterface, Default)]
pub struct TableSweep {
    /// Empty the pipeline and its per-round registers (reset).
    pub clear: Signal<In, bool>,
    /// Mark every slot of set `set` in every bank (and the whole stash) unused.
    pub wipe: Signal<In, bool>,
    /// Read set `set` this clock (the engine is stopped).
    pub read: Signal<In, bool>,
    pub set: Signal<In, SetAddr>,
    /// The slot `slot` of the set read in the clock before appears on `out`.
    pub slot: Signal<In, SlotNo>,
    /// Forget last round's own writes (a replica about to rejoin).
    pub forget: Signal<In, bool>,
}

/// What a serve slot answers, registered.
#[derive(LogicInterface, Default)]
pub struct RespOut {
    pub valid: Signal<Out, bool>,
    pub status: Signal<Out, StatusCode>,
    pub has_value: Signal<Out, bool>,
    pub value: Signal<Out, Value>,
}

/// The update a serve slot sends to the other replicas, registered.
#[derive(LogicInterface, Default)]
pub struct UpdOut {
    pub valid: Signal<Out, bool>,
    pub delete: Signal<Out, bool>,
    pub slot: Signal<Out, SlotNo>,
    pub key: Signal<Out, Key>,
    pub value: Signal<Out, Value>,
}

/// A replica's table and its operation pipeline: one operation per clock,
/// its response and update registered two clocks after it entered
/// (`TABLE_LATENCY_CLOCKS`).
#[derive(LogicBlock)]
pub struct TableEngine {
    pub clock: Signal<In, Clock>,
    pub run: Signal<In, bool>,
    pub op: TableOp,
    pub resp: RespOut,
    pub upd: UpdOut,
    pub sweep: TableSweep,
    /// The slot `sweep.slot` of the set read in the clock before.
    pub sweep_out: SlotOut,
    hash: Vec<H3Hash<KEY_BITS, SET_ADDR_BITS>>,
    banks: Vec<Bank>,
    stash: Stash,
    // stage-1 registers
    s_slot: DFF<bool>,
    s_apply: DFF<bool>,
    s_client: DFF<Client>,
    s_valid: DFF<bool>,
    s_op: DFF<OpCode>,
    s_key: DFF<Key>,
    s_value: DFF<Value>,
    s_delete: DFF<bool>,
    s_uslot: DFF<SlotNo>,
    s_owned_ways: DFF<WayMask>,
    s_owned_stash: DFF<StashMask>,
    s_set: Vec<DFF<SetAddr>>,
    // own writes of the last serve step, per client: last writer wins
    lww_valid: Vec<DFF<bool>>,
    lww_key: Vec<DFF<Key>>,
    // outputs
    r_valid: DFF<bool>,
    r_status: DFF<StatusCode>,
    r_has_value: DFF<bool>,
    r_value: DFF<Value>,
    u_valid: DFF<bool>,
    u_delete: DFF<bool>,
    u_slot: DFF<SlotNo>,
    u_key: DFF<Key>,
    u_value: DFF<Value>,
    replicated: Constant<bool>,
    op_get: Constant<OpCode>,
    op_insert: Constant<OpCode>,
    op_modify: Constant<OpCode>,
    op_put: Constant<OpCode>,
    op_delete: Constant<OpCode>,
    st_ok: Constant<StatusCode>,
    st_not_found: Constant<StatusCode>,
    st_exists: Constant<StatusCode>,
    st_full: Constant<StatusCode>,
    // stage-1 decision
    found: Signal<Local, bool>,
    fslot: Signal<Local, SlotNo>,
    fval: Signal<Local, Value>,
    cfree: Signal<Local, bool>,
    cslot: Signal<Local, SlotNo>,
    cload: Signal<Local, Load>,
    skip: Signal<Local, bool>,
    do_set: Signal<Local, bool>,
    set_slot: Signal<Local, SlotNo>,
    do_clear: Signal<Local, bool>,
    clear_slot: Signal<Local, SlotNo>,
    rv: Signal<Local, bool>,
    rs: Signal<Local, StatusCode>,
    rhv: Signal<Local, bool>,
    rval: Signal<Local, Value>,
    uv: Signal<Local, bool>,
    udel: Signal<Local, bool>,
}

impl Default for TableEngine {
    fn default() -> Self {
        Self::new()
    }
}

impl TableEngine {
    pub fn new() -> TableEngine {
        let cols = tidekv_defs::hash::columns(tidekv_defs::hash::TABLE_HASH_SEED);
        let code = |op: Op| k(u64::from(op.code()));
        let st = |s: Status| k(u64::from(s.code()));
        TableEngine {
            clock: Default::default(),
            run: Default::default(),
            op: Default::default(),
            resp: Default::default(),
            upd: Default::default(),
            sweep: Default::default(),
            sweep_out: Default::default(),
            hash: (0..BANKS)
                .map(|b| {
                    // Bank b's set: table-hash bits 16b .. 16b + SET_BITS (none if one set).
                    let bits: Vec<usize> = (0..SET_ADDR_BITS)
                        .map(|i| if i < SET_BITS { TABLE_BANK_STRIDE as usize * b + i } else { 64 })
                        .collect();
                    H3Hash::new(&cols, &bits)
                })
                .collect(),
            banks: (0..BANKS).map(Bank::new).collect(),
            stash: Stash::new(),
            s_slot: Default::default(),
            s_apply: Default::default(),
            s_client: Default::default(),
            s_valid: Default::default(),
            s_op: Default::default(),
            s_key: Default::default(),
            s_value: Default::default(),
            s_delete: Default::default(),
            s_uslot: Default::default(),
            s_owned_ways: Default::default(),
            s_owned_stash: Default::default(),
            s_set: vec_of(BANKS),
            lww_valid: vec_of(C),
            lww_key: vec_of(C),
            r_valid: Default::default(),
            r_status: Default::default(),
            r_has_value: Default::default(),
            r_value: Default::default(),
            u_valid: Default::default(),
            u_delete: Default::default(),
            u_slot: Default::default(),
            u_key: Default::default(),
            u_value: Default::default(),
            replicated: Constant::new(R > 1),
            op_get: code(Op::Get),
            op_insert: code(Op::Insert),
            op_modify: code(Op::Modify),
            op_put: code(Op::Put),
            op_delete: code(Op::Delete),
            st_ok: st(Status::Ok),
            st_not_found: st(Status::NotFound),
            st_exists: st(Status::Exists),
            st_full: st(Status::Full),
            found: Default::default(),
            fslot: Default::default(),
            fval: Default::default(),
            cfree: Default::default(),
            cslot: Default::default(),
            cload: Default::default(),
            skip: Default::default(),
            do_set: Default::default(),
            set_slot: Default::default(),
            do_clear: Default::default(),
            clear_slot: Default::default(),
            rv: Default::default(),
            rs: Default::default(),
            rhv: Default::default(),
            rval: Default::default(),
            uv: Default::default(),
            udel: Default::default(),
        }
    }
}

impl Logic for TableEngine {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clock, s_slot, s_apply, s_client, s_valid, s_op, s_key, s_value, s_delete, s_uslot, s_owned_ways,
            s_owned_stash, r_valid, r_status, r_has_value, r_value, u_valid, u_delete, u_slot,
            u_key, u_value
        );
        // Stage 0: hash, address the banks, register the operation.
        for b in 0..BANKS {
            self.s_set[b].clock.next = self.clock.val();
            self.s_set[b].d.next = self.s_set[b].q.val();
            self.hash[b].key.next = self.op.key.val();
            self.banks[b].clock.next = self.clock.val();
            self.banks[b].run.next = self.run.val();
            if self.run.val() {
                self.banks[b].rd_set.next = self.hash[b].hash.val();
                self.s_set[b].d.next = self.hash[b].hash.val();
            } else {
                self.banks[b].rd_set.next = self.s_set[b].q.val();
            }
            if self.sweep.read.val() | self.sweep.wipe.val() {
                self.banks[b].rd_set.next = self.sweep.set.val();
            }
            self.banks[b].clear.next = self.sweep.clear.val();
            self.banks[b].wipe.next = self.sweep.wipe.val();
            self.banks[b].sw_slot.next = self.sweep.slot.val();
            self.banks[b].set.next = self.s_set[b].q.val();
            self.banks[b].key.next = self.s_key.q.val();
            self.banks[b].client.next = self.s_client.q.val();
            self.banks[b].owned.next = self.s_owned_ways.q.val();
        }
        if self.run.val() {
            self.s_slot.d.next = self.op.slot.val();
            self.s_apply.d.next = self.op.apply.val();
            self.s_client.d.next = self.op.client.val();
            self.s_valid.d.next = self.op.valid.val() & self.op.slot.val();
            self.s_op.d.next = self.op.op.val();
            self.s_key.d.next = self.op.key.val();
            self.s_value.d.next = self.op.value.val();
            self.s_delete.d.next = self.op.delete.val();
            self.s_uslot.d.next = self.op.uslot.val();
            self.s_owned_ways.d.next = self.op.owned_ways.val();
            self.s_owned_stash.d.next = self.op.owned_stash.val();
        }
        self.stash.clock.next = self.clock.val();
        self.stash.run.next = self.run.val();
        self.stash.key.next = self.s_key.q.val();
        self.stash.client.next = self.s_client.q.val();
        self.stash.owned.next = self.s_owned_stash.q.val();
        self.stash.clear.next = self.sweep.clear.val();
        self.stash.wipe.next = self.sweep.wipe.val();
        self.stash.sw_slot.next = self.sweep.slot.val();
        self.sweep_out.used.next = self.stash.sw.used.val();
        self.sweep_out.key.next = self.stash.sw.key.val();
        self.sweep_out.value.next = self.stash.sw.value.val();
        for b in 0..BANKS {
            if self.banks[b].sw.used.val() {
                self.sweep_out.used.next = true;
                self.sweep_out.key.next = self.banks[b].sw.key.val();
                self.sweep_out.value.next = self.banks[b].sw.value.val();
            }
        }

        // Stage 1: where the key is, and where a new key would go.
        self.found.next = false;
        self.fslot.next = 0.into();
        self.fval.next = 0.into();
        self.cfree.next = false;
        self.cslot.next = 0.into();
        self.cload.next = 0.into();
        for b in 0..BANKS {
            if !self.found.val() & self.banks[b].hit.val() {
                self.found.next = true;
                self.fslot.next = self.banks[b].hit_slot.val();
                self.fval.next = self.banks[b].hit_value.val();
            }
            // Fewest used ways among banks with a usable free way; ties to the lowest bank.
            if self.banks[b].has_free.val() & (!self.cfree.val() | (self.banks[b].load.val() < self.cload.val())) {
                self.cfree.next = true;
                self.cslot.next = self.banks[b].free_slot.val();
                self.cload.next = self.banks[b].load.val();
            }
        }
        if !self.found.val() & self.stash.hit.val() {
            self.found.next = true;
            self.fslot.next = self.stash.hit_slot.val();
            self.fval.next = self.stash.hit_value.val();
        }
        if !self.cfree.val() & self.stash.has_free.val() {
            self.cfree.next = true;
            self.cslot.next = self.stash.free_slot.val();
        }
        // Last writer wins: a later client's own write of the key last round stands.
        self.skip.next = false;
        for j in 0..C {
            self.lww_valid[j].clock.next = self.clock.val();
            self.lww_key[j].clock.next = self.clock.val();
            self.lww_valid[j].d.next = self.lww_valid[j].q.val();
            self.lww_key[j].d.next = self.lww_key[j].q.val();
        }
        // (Client 0's own write never outranks another's.)
        for j in 1..C {
            if (self.s_client.q.val().index() < j) & self.lww_valid[j].q.val() & (self.lww_key[j].q.val() == self.s_key.q.val()) {
                self.skip.next = true;
            }
        }

        self.do_set.next = false;
        self.set_slot.next = self.fslot.val();
        self.do_clear.next = false;
        self.clear_slot.next = self.fslot.val();
        self.rv.next = false;
        self.rs.next = self.st_ok.val();
        self.rhv.next = false;
        self.rval.next = 0.into();
        self.uv.next = false;
        self.udel.next = false;
        if self.s_valid.q.val() & self.s_apply.q.val() & !self.skip.val() {
            // Apply another replica's update.
            if self.s_delete.q.val() {
                self.do_clear.next = self.found.val();
            } else {
                self.do_set.next = true;
                self.set_slot.next = self.s_uslot.q.val();
                self.do_clear.next = self.found.val() & (self.fslot.val() != self.s_uslot.q.val());
            }
        }
        if self.s_valid.q.val() & !self.s_apply.q.val() {
            self.rv.next = true;
            if self.found.val() {
                if self.s_op.q.val() == self.op_get.val() {
                    self.rhv.next = true;
                    self.rval.next = self.fval.val();
                } else if self.s_op.q.val() == self.op_insert.val() {
                    self.rs.next = self.st_exists.val();
                } else if (self.s_op.q.val() == self.op_modify.val()) | (self.s_op.q.val() == self.op_put.val()) {
                    self.rhv.next = true;
                    self.rval.next = self.fval.val();
                    self.do_set.next = true;
                    self.uv.next = true;
                } else if self.s_op.q.val() == self.op_delete.val() {
                    self.rhv.next = true;
                    self.rval.next = self.fval.val();
                    self.do_clear.next = true;
                    self.uv.next = true;
                    self.udel.next = true;
                } else {
                    self.rs.next = self.st_not_found.val();
                }
            } else if (self.s_op.q.val() == self.op_insert.val()) | (self.s_op.q.val() == self.op_put.val()) {
                if self.cfree.val() {
                    self.do_set.next = true;
                    self.set_slot.next = self.cslot.val();
                    self.uv.next = true;
                    if self.s_op.q.val() == self.op_insert.val() {
                        self.rhv.next = true;
                        self.rval.next = self.s_value.q.val();
                    }
                } else {
                    self.rs.next = self.st_full.val();
                }
            } else {
                self.rs.next = self.st_not_found.val();
            }
        }
        for b in 0..BANKS {
            self.banks[b].wr.set_en.next = self.do_set.val();
            self.banks[b].wr.set_slot.next = self.set_slot.val();
            self.banks[b].wr.key.next = self.s_key.q.val();
            self.banks[b].wr.value.next = self.s_value.q.val();
            self.banks[b].wr.clear_en.next = self.do_clear.val();
            self.banks[b].wr.clear_slot.next = self.clear_slot.val();
            self.banks[b].wr.bar.next = self.replicated.val() & !self.s_apply.q.val();
            self.banks[b].wr.serve_slot.next = self.s_slot.q.val() & !self.s_apply.q.val();
        }
        self.stash.wr.set_en.next = self.do_set.val();
        self.stash.wr.set_slot.next = self.set_slot.val();
        self.stash.wr.key.next = self.s_key.q.val();
        self.stash.wr.value.next = self.s_value.q.val();
        self.stash.wr.clear_en.next = self.do_clear.val();
        self.stash.wr.clear_slot.next = self.clear_slot.val();
        self.stash.wr.bar.next = self.replicated.val() & !self.s_apply.q.val();
        self.stash.wr.serve_slot.next = self.s_slot.q.val() & !self.s_apply.q.val();

        for j in 0..C {
            if self.run.val() & self.s_slot.q.val() & !self.s_apply.q.val() & (self.s_client.q.val().index() == j) {
                self.lww_valid[j].d.next = self.uv.val();
                self.lww_key[j].d.next = self.s_key.q.val();
            }
            if self.sweep.clear.val() | self.sweep.forget.val() {
                self.lww_valid[j].d.next = false;
            }
        }
        if self.run.val() {
            self.r_valid.d.next = self.rv.val();
            self.r_status.d.next = self.rs.val();
            self.r_has_value.d.next = self.rhv.val();
            self.r_value.d.next = self.rval.val();
            self.u_valid.d.next = self.uv.val();
            self.u_delete.d.next = self.udel.val();
            if self.udel.val() {
                self.u_slot.d.next = 0.into();
                self.u_value.d.next = 0.into();
            } else {
                self.u_slot.d.next = self.set_slot.val();
                self.u_value.d.next = self.s_value.q.val();
            }
            self.u_key.d.next = self.s_key.q.val();
        }
        if self.sweep.clear.val() {
            self.s_slot.d.next = false;
            self.s_valid.d.next = false;
            self.r_valid.d.next = false;
            self.u_valid.d.next = false;
        }
        self.resp.valid.next = self.r_valid.q.val();
        self.resp.status.next = self.r_status.q.val();
        self.resp.has_value.next = self.r_has_value.q.val();
        self.resp.value.next = self.r_value.q.val();
        self.upd.valid.next = self.u_valid.q.val();
        self.upd.delete.next = self.u_delete.q.val();
        self.upd.slot.next = self.u_slot.q.val();
        self.upd.key.next = self.u_key.q.val();
        self.upd.value.next = self.u_value.q.val();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{clocks, response_of, yosys_check};
    use tidekv_defs::hash::{splitmix64, H3};
    use tidekv_defs::layout::Update;
    use tidekv_defs::{Request, Response};
    use tidekv_sim::table::{serve, Owned, Table};

    #[test]
    fn table_engine_generates_and_synthesizes() {
        let mut e = TableEngine::new();
        e.connect_all();
        yosys_check("table_engine", &generate_verilog(&e));
    }

    fn observed(e: &TableEngine, client: u32) -> (Response, Option<Update>) {
        let resp = response_of(e.resp.status.val(), e.resp.has_value.val(), e.resp.value.val());
        let upd = e.upd.valid.val().then(|| Update {
            client,
            key: e.upd.key.val().to_u64(),
            set: (!e.upd.delete.val()).then(|| (e.upd.slot.val().to_u64() as u32, e.upd.value.val().to_u64())),
        });
        (resp, upd)
    }

    /// Back-to-back serve slots on few keys (so consecutive operations hit
    /// the same key and set, through the forwarding path) until the table
    /// is full, compared with the model's `serve`, barred slots included.
    #[test]
    fn table_engine_serves_like_the_model() {
        let b = crate::params::config().build;
        let th = H3::table();
        let mut model = Table::new(&b);
        let owned = Owned::all(&b);
        let mut e = TableEngine::new();
        e.connect_all();
        e.run.next = true;
        e.op.owned_ways.next = Bits::from(tidekv_defs::config::mask(WAYS as u32));
        e.op.owned_stash.next = Bits::from(tidekv_defs::config::mask(STASH_N as u32));
        let mut rng = 7u64;
        let n = 240;
        let mut want = Vec::new();
        let mut got = Vec::new();
        for i in 0..n + 1 {
            let client = i % C;
            if i < n {
                let r = splitmix64(&mut rng);
                let op = [Op::Get, Op::Insert, Op::Modify, Op::Put, Op::Delete, Op::Put][(r % 6) as usize];
                // Few keys early (hazards), many later (fill to full).
                let key = if i < 120 { r >> 8 & 7 } else { r >> 8 & 0xfff };
                let req = Request { op, key, value: r >> 32 & 0xff };
                if client == 0 {
                    model.begin_serve();
                }
                want.push(serve(&mut model, &th, owned, R > 1, client as u32, &req));
                e.op.slot.next = true;
                e.op.valid.next = true;
                e.op.client.next = (client as u64).into();
                e.op.op.next = u64::from(op.code()).into();
                e.op.key.next = key.into();
                e.op.value.next = req.value.into();
            } else {
                e.op.slot.next = false;
                e.op.valid.next = false;
            }
            clocks(&mut e, 1, |e| &mut e.clock);
            if i >= 1 && i <= n {
                assert!(e.resp.valid.val(), "operation {} answered two clocks after it entered", i - 1);
                got.push(observed(&e, ((i - 1) % C) as u32));
            }
        }
        got.truncate(n);
        for (i, (w, g)) in want.iter().zip(&got).enumerate() {
            assert_eq!(w, g, "operation {i}");
        }
        assert!(want.iter().any(|(r, _)| r.status == Status::Full), "the run reaches full");
        // The read-out shows what the model holds, slot for slot; a wipe empties it.
        e.run.next = false;
        e.op.slot.next = false;
        clocks(&mut e, 2, |e| &mut e.clock);
        assert_eq!(read_out(&mut e), model.entries(), "read-out after the run");
        e.sweep.wipe.next = true;
        for set in 0..1u64 << SET_ADDR_BITS {
            e.sweep.set.next = set.into();
            clocks(&mut e, 1, |e| &mut e.clock);
        }
        e.sweep.wipe.next = false;
        assert_eq!(read_out(&mut e), vec![], "read-out after the wipe");
    }

    /// Every used slot `(key, value, slot)` by the sweep port, sorted.
    fn read_out(e: &mut TableEngine) -> Vec<(u64, u64, u32)> {
        let mut out = vec![];
        for set in 0..1u64 << SET_ADDR_BITS {
            e.sweep.read.next = true;
            e.sweep.set.next = set.into();
            clocks(e, 1, |e| &mut e.clock);
            for slot in 0..(MAIN_WAYS + STASH_N) as u64 {
                e.sweep.slot.next = slot.into();
                crate::testutil::settle(e);
                let main = (slot as usize) < MAIN_WAYS;
                if e.sweep_out.used.val() && (main || set == 0) {
                    out.push((e.sweep_out.key.val().to_u64(), e.sweep_out.value.val().to_u64(), slot as u32));
                }
            }
        }
        e.sweep.read.next = false;
        out.sort();
        out
    }
}
