//! One replica's KV table in block RAM, and the engine that applies and
//! serves one operation per clock (docs/DESIGN.md, "KV table" and "Table
//! engine"); the model is `tidekv_sim::table` (`serve`, `apply`).
//!
//! The engine is a six-stage pipeline, one operation a clock, every stage's
//! result registered:
//!
//! | stage | what |
//! |---|---|
//! | A  | the key's set in each bank (H3), registered |
//! | B  | the way memories read the sets (`Bank`) |
//! | C  | what they answered, registered (`Bank`) |
//! | D1 | per bank and stash: where the key is, the free ways, the load; the last writes forwarded |
//! | D2 | the writes of the operation two before taken in; the slot a new key takes, and the slot it would take after each write the operation before might make |
//! | E  | the operation before's write taken in; the decision, the writes, the response and the update |
//!
//! An operation's read misses the writes of the five before it: the banks
//! forward the fifth, fourth and third (`Bank`'s `lw`, the last writes,
//! and the write being made), stage D2 takes in the second (`fx` as it was
//! a clock ago) and stage E the first (`fx`).
//! Those two are folded in by effect, not by recomputing: a write of a new
//! key fills the lowest usable free way of the bank it chose (which, for an
//! operation sharing that set in the same serve step, is that operation's
//! lowest usable free way too), a delete frees one way (barred in a
//! replicated shard), and a write or delete of the same key moves or
//! removes it. Stage D2 prepares the choice for each such write in each
//! bank; stage E picks one. This needs the serve steps of a replicated
//! shard to be apart from its apply steps by two clocks (`links::SERVE_GAP`):
//! an apply's write may land anywhere.
//!
//! The values are in one memory (`vram`: set, then main slot), not in the
//! banks: stage D2 reads the one slot that holds the key, stage E uses it.
//! Its write is registered a clock after E, so the read misses the writes
//! of the two operations before, which are the key's own (a slot holding
//! a key was last written with that key) and forwarded by their effects.

pub mod bank;
pub mod bars;
pub mod stash;

use crate::delay::{ring_bits, Delay};
use crate::params::*;
use crate::util::{k, vec_of};
use bank::Bank;
use bars::{Bars, SLOT_MASK_BITS};
use rust_hdl::prelude::*;
use stash::Stash;
use tidekv_defs::hash::TABLE_BANK_STRIDE;
use tidekv_defs::{Op, Status};

/// Bits of a way count 0..=WAYS (the choices add or take at most two).
pub const LOAD_BITS: usize = {
    let mut b = 1;
    while (1usize << b) <= WAYS + 2 {
        b += 1;
    }
    b
};
pub type Load = Bits<LOAD_BITS>;
/// A mask of banks (at least two bits wide, as every mask).
pub const BANK_MASK_BITS: usize = if BANKS < 2 { 2 } else { BANKS };
pub type BankMask = Bits<BANK_MASK_BITS>;
/// The choices stage D2 prepares: as the table stands, and after a write of
/// a new key into each bank, and after a delete from each bank.
pub const ALTS: usize = 1 + 2 * BANKS;
/// The width of the word of all banks' sets.
const HASH_W: usize = BANKS * SET_ADDR_BITS;
/// Bits of a main slot's number (`bank * WAYS + way`), at least one.
pub const MS_BITS: usize = {
    let mut b = 1;
    while (1usize << b) < MAIN_WAYS {
        b += 1;
    }
    b
};
/// The value memory's address: a main slot's set in its bank, then its
/// number.
pub const VADDR_BITS: usize = SET_ADDR_BITS + MS_BITS;
pub type VAddr = Bits<VADDR_BITS>;
/// A main slot's number, as the value memory's address holds it.
pub type MainSlot = Bits<MS_BITS>;

/// A write to the value memory, registered after stage E.
#[derive(Clone, Copy, Debug, PartialEq, Default, LogicStruct)]
pub struct ValueWrite {
    pub en: bool,
    pub addr: VAddr,
    pub value: Value,
}

/// Write controls into every bank and the stash, stage E's registered
/// (`PendWrite`): each acts only on the slot numbers it holds. (The value
/// goes to the stash beside these, and to the engine's value memory.)
#[derive(LogicInterface, Default)]
pub struct TableWrite {
    pub set_en: Signal<In, bool>,
    pub set_slot: Signal<In, SlotNo>,
    pub key: Signal<In, Key>,
    pub clear_en: Signal<In, bool>,
    pub clear_slot: Signal<In, SlotNo>,
}

/// Stage E's writes, registered: the banks and the stash make them a clock
/// after E (the E -> memory write enable path is cut there), and their
/// stage D1 forwards the one being made.
#[derive(Clone, Copy, Debug, PartialEq, Default, LogicStruct)]
pub struct PendWrite {
    pub set_en: bool,
    pub set_slot: SlotNo,
    pub clear_en: bool,
    pub clear_slot: SlotNo,
    pub key: Key,
    pub value: Value,
    pub bar: bool,
    /// A serve slot (valid or not) of client `client`: it rewrites the
    /// client's bars.
    pub serve: bool,
    pub client: Client,
}

/// One slot of a table as the memory holds it (a maintenance read-out).
#[derive(LogicInterface, Default)]
pub struct SlotOut {
    pub used: Signal<Out, bool>,
    pub key: Signal<Out, Key>,
    pub value: Signal<Out, Value>,
}

/// One table operation, as the engine takes it in stage A.
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
    /// The slot `slot` of the set read in the clock before appears on
    /// `sweep_out` a clock later (registered: the block RAMs' clock-to-out
    /// ends in a flip-flop).
    pub slot: Signal<In, SlotNo>,
    /// With `read`: the slot `slot` will be next clock, its low bits (the
    /// value memory is read by main slot, a clock ahead; a stash slot's
    /// value is the stash's).
    pub next_slot: Signal<In, MainSlot>,
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

/// An operation in the pipeline (its value goes beside, in `vline`).
#[derive(Clone, Copy, Debug, PartialEq, Default, LogicStruct)]
pub struct OpWord {
    pub slot: bool,
    pub apply: bool,
    pub client: Client,
    pub valid: bool,
    pub op: OpCode,
    pub key: Key,
    pub delete: bool,
    pub uslot: SlotNo,
    pub owned_ways: WayMask,
    pub owned_stash: StashMask,
}

/// What an operation's writes did, as the next two operations take it in.
#[derive(Clone, Copy, Debug, PartialEq, Default, LogicStruct)]
pub struct Effect {
    /// A serve wrote a new key into a free way (the lowest usable one of its
    /// bank's set), or deleted one; in a bank of `bank` (one-hot) at way
    /// `way` (one-hot), or in the stash at `sway`.
    pub fill: bool,
    pub clr: bool,
    pub stash: bool,
    pub bank: BankMask,
    pub slot: SlotNo,
    pub sway: StashMask,
    /// The key now is at `kslot` with `kval`, or is gone.
    pub kset: bool,
    pub kgone: bool,
    pub kslot: SlotNo,
    pub kval: Value,
}

#[derive(LogicBlock)]
pub struct TableEngine {
    pub clock: Signal<In, Clock>,
    pub run: Signal<In, bool>,
    pub op: TableOp,
    pub resp: RespOut,
    pub upd: UpdOut,
    pub sweep: TableSweep,
    /// The slot `sweep.slot` was a clock ago, of the set read two clocks ago.
    pub sweep_out: SlotOut,
    banks: Vec<Bank>,
    stash: Stash,
    bars: Bars,
    // ---- the read-out, registered
    so_used: DFF<bool>,
    so_key: DFF<Key>,
    so_value: DFF<Value>,
    // ---- every main slot's value: read in stage D2 at the slot that holds
    // the key (`e_vaddr` while stalled), written a clock after stage E
    vram: RAM<Value, VADDR_BITS>,
    vw: DFF<ValueWrite>,
    e_vaddr: DFF<VAddr>,
    /// The value is the memory's (else `e_fval`: the stash's, or forwarded).
    e_fram: DFF<bool>,
    // ---- stage A: the H3 hash of every bank's set, one column mask a bit
    masks: Vec<Constant<Key>>,
    c_set_at: Vec<Constant<Bits<8>>>,
    hword: Signal<Local, Bits<HASH_W>>,
    // ---- the operation in each stage, and its sets
    pb: DFF<OpWord>,
    pb_set: Vec<DFF<SetAddr>>,
    pc: DFF<OpWord>,
    pc_set: Vec<DFF<SetAddr>>,
    pd1: DFF<OpWord>,
    pd1_set: Vec<DFF<SetAddr>>,
    pd2: DFF<OpWord>,
    pd2_set: Vec<DFF<SetAddr>>,
    pe: DFF<OpWord>,
    pe_set: Vec<DFF<SetAddr>>,
    /// The operation's value, wanted only in stage E: a delay line of the
    /// five run clocks from stage A to E (a ring in block RAM on an iCE40,
    /// whose logic cells run out first; flip-flops elsewhere).
    vline: Delay<Value, { ring_bits(5) }>,
    // ---- D1 -> D2 (the banks and the stash register their own)
    d2_skip: DFF<bool>,
    d2_eq2: DFF<BankMask>,
    d2_keq2: DFF<bool>,
    // ---- D2 -> E
    e_found: DFF<bool>,
    e_fslot: DFF<SlotNo>,
    e_fval: DFF<Value>,
    e_skip: DFF<bool>,
    e_eq1: DFF<BankMask>,
    e_keq1: DFF<bool>,
    e_alt_has: Vec<DFF<bool>>,
    e_alt_slot: Vec<DFF<SlotNo>>,
    /// The choice after a delete from bank b took bank b: stage E picks the
    /// way (the freed one or the lowest free).
    e_alt_pick: Vec<DFF<bool>>,
    /// Per bank after the operation two before: a usable free way, the lowest.
    e_a_hf: Vec<DFF<bool>>,
    e_a_sl: Vec<DFF<SlotNo>>,
    /// The usable free stash entries after the operation two before: any,
    /// at least two, the lowest and the next (one-hot), and the entries
    /// below the lowest (stage E picks among them by the operation before).
    e_s_any: DFF<bool>,
    e_s_two: DFF<bool>,
    e_s_l0: DFF<StashMask>,
    e_s_l1: DFF<StashMask>,
    e_s_below: DFF<StashMask>,
    // ---- E: its effect, the clients' own writes of the last serve step
    // (last writer wins), the response and the update
    fx: DFF<Effect>,
    /// The writes, made a clock later (and their set in each bank).
    pw: DFF<PendWrite>,
    pw_set: Vec<DFF<SetAddr>>,
    lww_valid: Vec<DFF<bool>>,
    lww_key: Vec<DFF<Key>>,
    r_valid: DFF<bool>,
    r_status: DFF<StatusCode>,
    r_has_value: DFF<bool>,
    r_value: DFF<Value>,
    u_valid: DFF<bool>,
    u_delete: DFF<bool>,
    u_slot: DFF<SlotNo>,
    u_key: DFF<Key>,
    u_value: DFF<Value>,
    // ---- constants
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
    c_alt_kind: Vec<Constant<Bits<2>>>,
    c_alt_bank: Vec<Constant<Bits<8>>>,
    c_stash_no: Vec<Constant<SlotNo>>,
    c_bw_slot: Vec<Constant<SlotNo>>,
    c_bw_bank: Vec<Constant<BankMask>>,
    c_bank_bit: Vec<Constant<BankMask>>,
    c_stash_bit: Vec<Constant<StashMask>>,
    c_ms_at: Constant<Bits<8>>,
    /// Where each bank's and the stash's slots start in a `SlotMask`, and
    /// the ways a bank has.
    c_bank_at: Vec<Constant<Bits<8>>>,
    c_stash_at: Constant<Bits<8>>,
    c_way_all: Constant<WayMask>,
    bk_bars: Signal<Local, bars::SlotMask>,
    c_main_ways: Constant<SlotNo>,
    // ---- locals: D2
    a_hf: Vec<Signal<Local, bool>>,
    a_sl: Vec<Signal<Local, SlotNo>>,
    a_ld: Vec<Signal<Local, Load>>,
    p_hf: Vec<Signal<Local, bool>>,
    p_sl: Vec<Signal<Local, SlotNo>>,
    p_ld: Vec<Signal<Local, Load>>,
    m_hf: Vec<Signal<Local, bool>>,
    m_ld: Vec<Signal<Local, Load>>,
    cur_hf: Vec<Signal<Local, bool>>,
    cur_ld: Vec<Signal<Local, Load>>,
    cur_sl: Vec<Signal<Local, SlotNo>>,
    win: Vec<Signal<Local, bool>>,
    s_free: Signal<Local, StashMask>,
    f2: Signal<Local, BankMask>,
    eqm: Signal<Local, BankMask>,
    c2: Signal<Local, BankMask>,
    got: Signal<Local, bool>,
    bs: Signal<Local, SlotNo>,
    pk: Signal<Local, bool>,
    found: Signal<Local, bool>,
    fslot: Signal<Local, SlotNo>,
    fval: Signal<Local, Value>,
    fram: Signal<Local, bool>,
    vaddr: Signal<Local, VAddr>,
    // ---- locals: E
    f1: Signal<Local, BankMask>,
    c1: Signal<Local, BankMask>,
    sel: Signal<Local, bool>,
    cfree: Signal<Local, bool>,
    cslot: Signal<Local, SlotNo>,
    pick: Signal<Local, bool>,
    s_low: Signal<Local, StashMask>,
    s_rest: Signal<Local, StashMask>,
    s_l0: Signal<Local, StashMask>,
    skip: Signal<Local, bool>,
    do_set: Signal<Local, bool>,
    set_slot: Signal<Local, SlotNo>,
    do_clear: Signal<Local, bool>,
    clear_slot: Signal<Local, SlotNo>,
    fx_slot: Signal<Local, SlotNo>,
    rv: Signal<Local, bool>,
    rs: Signal<Local, StatusCode>,
    rhv: Signal<Local, bool>,
    rval: Signal<Local, Value>,
    uv: Signal<Local, bool>,
    udel: Signal<Local, bool>,
    wset: Signal<Local, SetAddr>,
    wbank: Signal<Local, BankMask>,
}

impl Default for TableEngine {
    fn default() -> Self {
        Self::new()
    }
}

impl TableEngine {
    /// The engine of this build (replicated if R > 1).
    pub fn new() -> TableEngine {
        TableEngine::with_replicas(R > 1)
    }

    /// An engine that bars the slots its serves delete (`replicated`), or
    /// not: the tests run both kinds in one build.
    pub fn with_replicas(replicated: bool) -> TableEngine {
        let cols = tidekv_defs::hash::columns(tidekv_defs::hash::TABLE_HASH_SEED);
        let code = |op: Op| k(u64::from(op.code()));
        let st = |s: Status| k(u64::from(s.code()));
        // Bank b's set: table-hash bits 16b .. 16b + SET_BITS (none if one set).
        let masks = (0..BANKS)
            .flat_map(|b| (0..SET_ADDR_BITS).map(move |i| (b, i)))
            .map(|(b, i)| {
                let j = TABLE_BANK_STRIDE as usize * b + i;
                let m = if i < SET_BITS {
                    (0..KEY_BITS)
                        .filter(|&x| cols[x] >> j & 1 == 1)
                        .fold(0u64, |m, x| m | 1 << x)
                } else {
                    0
                };
                k(m)
            })
            .collect();
        let kinds: Vec<(u64, u64)> = std::iter::once((0, 0))
            .chain((0..BANKS).map(|b| (1, b as u64)))
            .chain((0..BANKS).map(|b| (2, b as u64)))
            .collect();
        TableEngine {
            clock: Default::default(),
            run: Default::default(),
            op: Default::default(),
            resp: Default::default(),
            upd: Default::default(),
            sweep: Default::default(),
            sweep_out: Default::default(),
            banks: (0..BANKS).map(Bank::new).collect(),
            stash: Stash::new(),
            bars: Bars::new(),
            vram: Default::default(),
            vw: Default::default(),
            e_vaddr: Default::default(),
            so_used: Default::default(),
            so_key: Default::default(),
            so_value: Default::default(),
            e_fram: Default::default(),
            masks,
            c_set_at: (0..BANKS).map(|b| k((b * SET_ADDR_BITS) as u64)).collect(),
            hword: Default::default(),
            pb: Default::default(),
            pb_set: vec_of(BANKS),
            pc: Default::default(),
            pc_set: vec_of(BANKS),
            pd1: Default::default(),
            pd1_set: vec_of(BANKS),
            pd2: Default::default(),
            pd2_set: vec_of(BANKS),
            pe: Default::default(),
            pe_set: vec_of(BANKS),
            vline: Delay::new(5),
            d2_skip: Default::default(),
            d2_eq2: Default::default(),
            d2_keq2: Default::default(),
            e_found: Default::default(),
            e_fslot: Default::default(),
            e_fval: Default::default(),
            e_skip: Default::default(),
            e_eq1: Default::default(),
            e_keq1: Default::default(),
            e_alt_has: vec_of(ALTS),
            e_alt_slot: vec_of(ALTS),
            e_alt_pick: vec_of(ALTS),
            e_a_hf: vec_of(BANKS),
            e_a_sl: vec_of(BANKS),
            e_s_any: Default::default(),
            e_s_two: Default::default(),
            e_s_l0: Default::default(),
            e_s_l1: Default::default(),
            e_s_below: Default::default(),
            fx: Default::default(),
            pw: Default::default(),
            pw_set: vec_of(BANKS),
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
            replicated: Constant::new(replicated),
            op_get: code(Op::Get),
            op_insert: code(Op::Insert),
            op_modify: code(Op::Modify),
            op_put: code(Op::Put),
            op_delete: code(Op::Delete),
            st_ok: st(Status::Ok),
            st_not_found: st(Status::NotFound),
            st_exists: st(Status::Exists),
            st_full: st(Status::Full),
            c_alt_kind: kinds.iter().map(|&(kind, _)| k(kind)).collect(),
            c_alt_bank: kinds.iter().map(|&(_, b)| k(b)).collect(),
            c_stash_no: (0..STASH_W).map(|i| k((MAIN_WAYS + i) as u64)).collect(),
            c_bw_slot: (0..MAIN_WAYS).map(|s| k(s as u64)).collect(),
            c_bw_bank: (0..MAIN_WAYS).map(|s| k(1 << (s / WAYS))).collect(),
            c_bank_bit: (0..BANKS).map(|b| k(1 << b)).collect(),
            c_stash_bit: (0..STASH_W).map(|i| k(1 << i)).collect(),
            c_ms_at: k(MS_BITS as u64),
            c_bank_at: (0..BANKS).map(|b| k((b * WAYS) as u64)).collect(),
            c_stash_at: k(MAIN_WAYS as u64),
            c_way_all: k((1 << WAYS) - 1),
            bk_bars: Default::default(),
            c_main_ways: k(MAIN_WAYS as u64),
            a_hf: vec_of(BANKS),
            a_sl: vec_of(BANKS),
            a_ld: vec_of(BANKS),
            p_hf: vec_of(BANKS),
            p_sl: vec_of(BANKS),
            p_ld: vec_of(BANKS),
            m_hf: vec_of(BANKS),
            m_ld: vec_of(BANKS),
            cur_hf: vec_of(BANKS),
            cur_ld: vec_of(BANKS),
            cur_sl: vec_of(BANKS),
            win: vec_of(BANKS),
            s_free: Default::default(),
            f2: Default::default(),
            eqm: Default::default(),
            c2: Default::default(),
            got: Default::default(),
            bs: Default::default(),
            pk: Default::default(),
            found: Default::default(),
            fslot: Default::default(),
            fval: Default::default(),
            fram: Default::default(),
            vaddr: Default::default(),
            f1: Default::default(),
            c1: Default::default(),
            sel: Default::default(),
            cfree: Default::default(),
            cslot: Default::default(),
            pick: Default::default(),
            s_low: Default::default(),
            s_rest: Default::default(),
            s_l0: Default::default(),
            skip: Default::default(),
            do_set: Default::default(),
            set_slot: Default::default(),
            do_clear: Default::default(),
            clear_slot: Default::default(),
            fx_slot: Default::default(),
            rv: Default::default(),
            rs: Default::default(),
            rhv: Default::default(),
            rval: Default::default(),
            uv: Default::default(),
            udel: Default::default(),
            wset: Default::default(),
            wbank: Default::default(),
        }
    }
}

impl Logic for TableEngine {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self,
            clock,
            pb,
            pc,
            pd1,
            pd2,
            pe,
            d2_skip,
            d2_eq2,
            d2_keq2,
            e_found,
            e_fslot,
            e_fval,
            e_fram,
            e_vaddr,
            so_used,
            so_key,
            so_value,
            vw,
            e_skip,
            e_eq1,
            e_keq1,
            e_s_any,
            e_s_two,
            e_s_l0,
            e_s_l1,
            e_s_below,
            fx,
            pw,
            r_valid,
            r_status,
            r_has_value,
            r_value,
            u_valid,
            u_delete,
            u_slot,
            u_key,
            u_value
        );
        for b in 0..BANKS {
            self.pb_set[b].clock.next = self.clock.val();
            self.pc_set[b].clock.next = self.clock.val();
            self.pd1_set[b].clock.next = self.clock.val();
            self.pd2_set[b].clock.next = self.clock.val();
            self.pe_set[b].clock.next = self.clock.val();
            self.pw_set[b].clock.next = self.clock.val();
            self.pw_set[b].d.next = self.pe_set[b].q.val();
            self.e_a_hf[b].clock.next = self.clock.val();
            self.e_a_sl[b].clock.next = self.clock.val();
            self.pb_set[b].d.next = self.pb_set[b].q.val();
            self.pc_set[b].d.next = self.pc_set[b].q.val();
            self.pd1_set[b].d.next = self.pd1_set[b].q.val();
            self.pd2_set[b].d.next = self.pd2_set[b].q.val();
            self.pe_set[b].d.next = self.pe_set[b].q.val();
            self.e_a_hf[b].d.next = self.e_a_hf[b].q.val();
            self.e_a_sl[b].d.next = self.e_a_sl[b].q.val();
        }
        for a in 0..ALTS {
            self.e_alt_has[a].clock.next = self.clock.val();
            self.e_alt_slot[a].clock.next = self.clock.val();
            self.e_alt_pick[a].clock.next = self.clock.val();
            self.e_alt_has[a].d.next = self.e_alt_has[a].q.val();
            self.e_alt_slot[a].d.next = self.e_alt_slot[a].q.val();
            self.e_alt_pick[a].d.next = self.e_alt_pick[a].q.val();
        }
        for j in 0..C {
            self.lww_valid[j].clock.next = self.clock.val();
            self.lww_key[j].clock.next = self.clock.val();
            self.lww_valid[j].d.next = self.lww_valid[j].q.val();
            self.lww_key[j].d.next = self.lww_key[j].q.val();
        }

        // (Locals assigned under conditions get a value first: no latches.
        // Stages D1, D2 and E compute only for a valid operation: a hardware
        // no-op, as the registers of the others are never used, which lets
        // Verilator skip the logic.)
        self.s_low.next = 0.into();
        self.s_rest.next = 0.into();
        self.s_l0.next = 0.into();
        self.eqm.next = 0.into();
        self.f2.next = 0.into();
        self.c2.next = 0.into();
        self.s_free.next = 0.into();
        self.got.next = false;
        self.bs.next = 0.into();
        self.pk.next = false;
        self.found.next = false;
        self.fslot.next = 0.into();
        self.fval.next = 0.into();
        self.fram.next = false;
        self.vaddr.next = 0.into();
        self.wset.next = 0.into();
        self.vw.d.next.en = false;
        self.f1.next = 0.into();
        self.c1.next = 0.into();
        self.sel.next = false;
        self.cfree.next = false;
        self.cslot.next = 0.into();
        self.pick.next = false;
        self.skip.next = false;
        for b in 0..BANKS {
            self.a_hf[b].next = false;
            self.a_sl[b].next = 0.into();
            self.a_ld[b].next = 0.into();
            self.p_hf[b].next = false;
            self.p_sl[b].next = 0.into();
            self.p_ld[b].next = 0.into();
            self.m_hf[b].next = false;
            self.m_ld[b].next = 0.into();
            self.cur_hf[b].next = false;
            self.cur_ld[b].next = 0.into();
            self.cur_sl[b].next = 0.into();
            self.win[b].next = false;
        }

        // Stage A: every bank's set, then the operation moves down a stage.
        self.hword.next = 0.into();
        for i in 0..HASH_W {
            self.hword.next = self
                .hword
                .val()
                .replace_bit(i, (self.op.key.val() & self.masks[i].val()).xor());
        }
        self.vline.clock.next = self.clock.val();
        self.vline.run.next = self.run.val();
        self.vline.clear.next = false;
        self.vline.d.next = self.op.value.val();
        if self.run.val() {
            for b in 0..BANKS {
                self.pb_set[b].d.next = self
                    .hword
                    .val()
                    .get_bits::<SET_ADDR_BITS>(self.c_set_at[b].val().index());
                self.pc_set[b].d.next = self.pb_set[b].q.val();
                self.pd1_set[b].d.next = self.pc_set[b].q.val();
                self.pd2_set[b].d.next = self.pd1_set[b].q.val();
                self.pe_set[b].d.next = self.pd2_set[b].q.val();
            }
            self.pb.d.next.slot = self.op.slot.val();
            self.pb.d.next.apply = self.op.apply.val();
            self.pb.d.next.client = self.op.client.val();
            self.pb.d.next.valid = self.op.valid.val() & self.op.slot.val();
            self.pb.d.next.op = self.op.op.val();
            self.pb.d.next.key = self.op.key.val();
            self.pb.d.next.delete = self.op.delete.val();
            self.pb.d.next.uslot = self.op.uslot.val();
            self.pb.d.next.owned_ways = self.op.owned_ways.val();
            self.pb.d.next.owned_stash = self.op.owned_stash.val();
            self.pc.d.next = self.pb.q.val();
            self.pd1.d.next = self.pc.q.val();
            self.pd2.d.next = self.pd1.q.val();
            self.pe.d.next = self.pd2.q.val();
        }

        // Stages B, C and D1 in the banks and the stash: a stalled pipeline
        // reads the set of the operation it holds in stage C again.
        for b in 0..BANKS {
            self.banks[b].clock.next = self.clock.val();
            self.banks[b].run.next = self.run.val();
            if self.run.val() {
                self.banks[b].rd_set.next = self.pb_set[b].q.val();
            } else {
                self.banks[b].rd_set.next = self.pc_set[b].q.val();
            }
            if self.sweep.read.val() | self.sweep.wipe.val() {
                self.banks[b].rd_set.next = self.sweep.set.val();
            }
            self.banks[b].set.next = self.pd1_set[b].q.val();
            self.banks[b].key.next = self.pd1.q.val().key;
            self.banks[b].owned.next = self.pd1.q.val().owned_ways;
            self.banks[b].valid.next = self.pd1.q.val().valid;
            self.banks[b].c_valid.next = self.pc.q.val().valid;
            self.banks[b].c_key_in.next = self.pc.q.val().key;
            self.banks[b].clear.next = self.sweep.clear.val();
            self.banks[b].wipe.next = self.sweep.wipe.val();
            self.banks[b].sw_slot.next = self.sweep.slot.val();
        }
        self.stash.clock.next = self.clock.val();
        self.stash.run.next = self.run.val();
        self.stash.key.next = self.pd1.q.val().key;
        self.stash.owned.next = self.pd1.q.val().owned_stash;
        self.stash.valid.next = self.pd1.q.val().valid;
        self.stash.wipe.next = self.sweep.wipe.val();
        self.stash.sw_slot.next = self.sweep.slot.val();
        self.so_used.d.next = self.stash.sw.used.val();
        self.so_key.d.next = self.stash.sw.key.val();
        self.so_value.d.next = self.stash.sw.value.val();
        for b in 0..BANKS {
            if self.banks[b].sw_used.val() {
                self.so_used.d.next = true;
                self.so_key.d.next = self.banks[b].sw_key.val();
                self.so_value.d.next = self.vram.read_data.val();
            }
        }
        self.sweep_out.used.next = self.so_used.q.val();
        self.sweep_out.key.next = self.so_key.q.val();
        self.sweep_out.value.next = self.so_value.q.val();
        // D1, the engine's part: an apply of a key a later client of the
        // last serve step wrote is skipped (last writer wins; client 0's own
        // write never outranks another's); the sets and key compared with
        // the operation two ahead (in stage E now).
        if self.run.val() & self.pd1.q.val().valid {
            self.d2_skip.d.next = false;
            if self.replicated.val() {
                for j in 1..C {
                    if (self.pd1.q.val().client.index() < j)
                        & self.lww_valid[j].q.val()
                        & (self.lww_key[j].q.val() == self.pd1.q.val().key)
                    {
                        self.d2_skip.d.next = true;
                    }
                }
            }
            self.eqm.next = 0.into();
            for b in 0..BANKS {
                if self.pd1_set[b].q.val() == self.pe_set[b].q.val() {
                    self.eqm.next = self.eqm.val() | self.c_bank_bit[b].val();
                }
            }
            self.d2_eq2.d.next = self.eqm.val();
            self.d2_keq2.d.next = self.pd1.q.val().key == self.pe.q.val().key;
        }

        if self.run.val() & self.pd2.q.val().valid {
            // Stage D2. The operation two before (its effect `fx` now) on the
            // banks' results: a new key took the lowest usable free way of a set
            // this operation shares, or a delete freed one.
            self.f2.next = 0.into();
            self.c2.next = 0.into();
            if self.fx.q.val().fill & !self.fx.q.val().stash {
                self.f2.next = self.fx.q.val().bank & self.d2_eq2.q.val();
            }
            if self.fx.q.val().clr & !self.fx.q.val().stash {
                self.c2.next = self.fx.q.val().bank & self.d2_eq2.q.val();
            }
            // Per bank: the usable free ways and the load after the
            // operation two before (`a_*`), and after it and one more new
            // key (`p_*`) or one more delete (`m_*`) in this set. A fill
            // takes the lowest free way; a delete frees a way, which a
            // replicated shard bars (only the load drops).
            for b in 0..BANKS {
                self.a_hf[b].next = self.banks[b].free_1.val();
                self.a_sl[b].next = self.banks[b].free_s0.val();
                self.a_ld[b].next = self.banks[b].load.val();
                self.p_hf[b].next = self.banks[b].free_2.val();
                self.p_sl[b].next = self.banks[b].free_s1.val();
                self.p_ld[b].next = self.banks[b].load.val() + 1;
                self.m_ld[b].next = self.banks[b].load.val() - 1;
                if self.f2.val().get_bit(b) {
                    self.a_hf[b].next = self.banks[b].free_2.val();
                    self.a_sl[b].next = self.banks[b].free_s1.val();
                    self.a_ld[b].next = self.banks[b].load.val() + 1;
                    self.p_hf[b].next = self.banks[b].free_3.val();
                    self.p_sl[b].next = self.banks[b].free_s2.val();
                    self.p_ld[b].next = self.banks[b].load.val() + 2;
                    self.m_ld[b].next = self.banks[b].load.val();
                }
                if self.c2.val().get_bit(b) {
                    self.a_ld[b].next = self.banks[b].load.val() - 1;
                    self.p_ld[b].next = self.banks[b].load.val();
                    self.m_ld[b].next = self.banks[b].load.val() - 2;
                    if !self.replicated.val() {
                        // The freed way joins the free ones.
                        self.a_hf[b].next = true;
                        self.p_hf[b].next = true;
                        if self.banks[b].free_1.val()
                            & (self.banks[b].free_s0.val() < self.fx.q.val().slot)
                        {
                            self.a_sl[b].next = self.banks[b].free_s0.val();
                            self.p_sl[b].next = self.fx.q.val().slot;
                            if self.banks[b].free_2.val()
                                & (self.banks[b].free_s1.val() < self.fx.q.val().slot)
                            {
                                self.p_sl[b].next = self.banks[b].free_s1.val();
                            }
                        } else {
                            self.a_sl[b].next = self.fx.q.val().slot;
                            self.p_hf[b].next = self.banks[b].free_1.val();
                            self.p_sl[b].next = self.banks[b].free_s0.val();
                        }
                    }
                }
                // (After a delete a shard without replicas has a free way; which
                // one, stage E tells.)
                self.m_hf[b].next = self.a_hf[b].val() | !self.replicated.val();
            }
            self.s_free.next = self.stash.free.val();
            if self.fx.q.val().fill & self.fx.q.val().stash {
                self.s_free.next =
                    self.stash.free.val() & !(self.stash.free.val() & (!self.stash.free.val() + 1));
            }
            if self.fx.q.val().clr & self.fx.q.val().stash & !self.replicated.val() {
                self.s_free.next = self.stash.free.val() | self.fx.q.val().sway;
            }
            // Where the key is (the lowest bank, then the stash), and after the
            // operation two before. A bank's slot has its value read from
            // the value memory now, for stage E; the memory has every write
            // but those of the two operations before (`vw` writes a clock
            // after stage E), which are this key's only writers: the
            // operation two before's is taken in here, the one before's in E.
            self.found.next = false;
            self.fslot.next = 0.into();
            self.fval.next = 0.into();
            self.fram.next = false;
            for b in 0..BANKS {
                if !self.found.val() & self.banks[b].hit.val() {
                    self.found.next = true;
                    self.fslot.next = self.banks[b].hit_slot.val();
                    self.fram.next = true;
                    self.wset.next = self.pd2_set[b].q.val();
                }
            }
            // (A loop's index cannot reach inside `bit_cast`: through a local.)
            self.vaddr.next = (bit_cast::<VADDR_BITS, SET_ADDR_BITS>(self.wset.val())
                << self.c_ms_at.val())
                | bit_cast::<VADDR_BITS, MS_BITS>(self.fslot.val().get_bits::<MS_BITS>(0));
            if !self.found.val() & self.stash.hit.val() {
                self.found.next = true;
                self.fslot.next = self.stash.hit_slot.val();
                self.fval.next = self.stash.hit_value.val();
            }
            if self.d2_keq2.q.val() & self.fx.q.val().kset {
                self.found.next = true;
                self.fslot.next = self.fx.q.val().kslot;
                self.fval.next = self.fx.q.val().kval;
                self.fram.next = false;
            }
            if self.d2_keq2.q.val() & self.fx.q.val().kgone {
                self.found.next = false;
            }
            // The bank a new key takes: the fewest used ways among banks with a
            // usable free way, ties to the lowest; as the table stands, and
            // after each write the operation before might make. All pairs
            // of banks compare at once.
            for a in 0..ALTS {
                for b in 0..BANKS {
                    self.cur_hf[b].next = self.a_hf[b].val();
                    self.cur_ld[b].next = self.a_ld[b].val();
                    self.cur_sl[b].next = self.a_sl[b].val();
                    if (self.c_alt_kind[a].val() == 1) & (self.c_alt_bank[a].val().index() == b) {
                        self.cur_hf[b].next = self.p_hf[b].val();
                        self.cur_ld[b].next = self.p_ld[b].val();
                        self.cur_sl[b].next = self.p_sl[b].val();
                    }
                    if (self.c_alt_kind[a].val() == 2) & (self.c_alt_bank[a].val().index() == b) {
                        self.cur_hf[b].next = self.m_hf[b].val();
                        self.cur_ld[b].next = self.m_ld[b].val();
                    }
                }
                self.got.next = false;
                self.bs.next = 0.into();
                self.pk.next = false;
                for b in 0..BANKS {
                    self.win[b].next = self.cur_hf[b].val();
                    for b2 in 0..BANKS {
                        if b2 < b {
                            self.win[b].next = self.win[b].val()
                                & (!self.cur_hf[b2].val()
                                    | (self.cur_ld[b].val() < self.cur_ld[b2].val()));
                        }
                        if b2 > b {
                            self.win[b].next = self.win[b].val()
                                & (!self.cur_hf[b2].val()
                                    | (self.cur_ld[b].val() <= self.cur_ld[b2].val()));
                        }
                    }
                    if self.win[b].val() {
                        self.got.next = true;
                        self.bs.next = self.cur_sl[b].val();
                        self.pk.next = (self.c_alt_kind[a].val() == 2)
                            & (self.c_alt_bank[a].val().index() == b);
                    }
                }
                self.e_alt_has[a].d.next = self.got.val();
                self.e_alt_slot[a].d.next = self.bs.val();
                self.e_alt_pick[a].d.next = self.pk.val();
            }
            self.e_found.d.next = self.found.val();
            self.e_fslot.d.next = self.fslot.val();
            self.e_fval.d.next = self.fval.val();
            self.e_fram.d.next = self.fram.val();
            self.e_vaddr.d.next = self.vaddr.val();
            self.e_skip.d.next = self.d2_skip.q.val();
            // (`s_l0` is the lowest free entry, `s_rest` the others.)
            self.s_l0.next = self.s_free.val() & (!self.s_free.val() + 1);
            self.s_rest.next = self.s_free.val() & !self.s_l0.val();
            self.e_s_any.d.next = self.s_free.val().any();
            self.e_s_two.d.next = self.s_rest.val().any();
            self.e_s_l0.d.next = self.s_l0.val();
            self.e_s_l1.d.next = self.s_rest.val() & (!self.s_rest.val() + 1);
            self.e_s_below.d.next = self.s_l0.val() - 1;
            for b in 0..BANKS {
                self.e_a_hf[b].d.next = self.a_hf[b].val();
                self.e_a_sl[b].d.next = self.a_sl[b].val();
            }
            self.eqm.next = 0.into();
            for b in 0..BANKS {
                if self.pd2_set[b].q.val() == self.pe_set[b].q.val() {
                    self.eqm.next = self.eqm.val() | self.c_bank_bit[b].val();
                }
            }
            self.e_eq1.d.next = self.eqm.val();
            self.e_keq1.d.next = self.pd2.q.val().key == self.pe.q.val().key;
        }

        // The value memory reads the slot stage D2 found, or stage E's again
        // while stalled, or the sweep's next slot.
        self.vram.read_clock.next = self.clock.val();
        self.vram.write_clock.next = self.clock.val();
        self.vram.read_address.next = self.e_vaddr.q.val();
        if self.run.val() {
            self.vram.read_address.next = self.vaddr.val();
        }
        if self.sweep.read.val() {
            self.vram.read_address.next =
                (bit_cast::<VADDR_BITS, SET_ADDR_BITS>(self.sweep.set.val()) << self.c_ms_at.val())
                    | bit_cast::<VADDR_BITS, MS_BITS>(self.sweep.next_slot.val());
        }
        self.vram.write_address.next = self.vw.q.val().addr;
        self.vram.write_data.next = self.vw.q.val().value;
        self.vram.write_enable.next = self.vw.q.val().en;

        if self.pe.q.val().valid {
            // Stage E. The operation before (its effect `fx`) picks the choice.
            self.f1.next = 0.into();
            self.c1.next = 0.into();
            if self.fx.q.val().fill & !self.fx.q.val().stash {
                self.f1.next = self.fx.q.val().bank & self.e_eq1.q.val();
            }
            if self.fx.q.val().clr & !self.fx.q.val().stash {
                self.c1.next = self.fx.q.val().bank & self.e_eq1.q.val();
            }
            self.cfree.next = false;
            self.cslot.next = 0.into();
            self.pick.next = false;
            for a in 0..ALTS {
                self.sel.next = ((self.c_alt_kind[a].val() == 0)
                    & !(self.f1.val() | self.c1.val()).any())
                    | ((self.c_alt_kind[a].val() == 1)
                        & self.f1.val().get_bit(self.c_alt_bank[a].val().index()))
                    | ((self.c_alt_kind[a].val() == 2)
                        & self.c1.val().get_bit(self.c_alt_bank[a].val().index()));
                // (One choice is selected: the operation before's effect is
                // one bank's fill or clear, or none. An OR, not a chain.)
                if self.sel.val() {
                    self.cfree.next = self.cfree.val() | self.e_alt_has[a].q.val();
                    self.cslot.next = self.cslot.val() | self.e_alt_slot[a].q.val();
                    self.pick.next = self.pick.val() | self.e_alt_pick[a].q.val();
                }
            }
            // (A delete's bank took the new key: without replicas, the freed
            // way or a lower free one; a replicated shard bars the freed way.)
            if self.pick.val() & !self.replicated.val() {
                for b in 0..BANKS {
                    if self.c1.val().get_bit(b) {
                        self.cslot.next = self.fx.q.val().slot;
                        if self.e_a_hf[b].q.val() & (self.e_a_sl[b].q.val() < self.fx.q.val().slot)
                        {
                            self.cslot.next = self.e_a_sl[b].q.val();
                        }
                    }
                }
            }
            // No bank: the lowest usable free stash entry.
            if !self.cfree.val() {
                // (D2 prepared the lowest free entry as the stash stands,
                // after a fill of it, and the entries below it for a freed
                // one: no carry chain here.)
                self.cfree.next = self.e_s_any.q.val();
                self.s_low.next = self.e_s_l0.q.val();
                if self.fx.q.val().fill & self.fx.q.val().stash {
                    self.cfree.next = self.e_s_two.q.val();
                    self.s_low.next = self.e_s_l1.q.val();
                }
                if self.fx.q.val().clr & self.fx.q.val().stash & !self.replicated.val() {
                    self.cfree.next = true;
                    if (self.fx.q.val().sway & self.e_s_below.q.val()).any() {
                        self.s_low.next = self.fx.q.val().sway;
                    }
                }
                // (`cslot` is 0 here: no bank had a free way. `s_low` is
                // one-hot: an OR of its entry's number.)
                for i in 0..STASH_W {
                    if self.s_low.val().get_bit(i) {
                        self.cslot.next = self.cslot.val() | self.c_stash_no[i].val();
                    }
                }
            }
            // Where the key is, after the operation before.
            self.found.next = self.e_found.q.val();
            self.fslot.next = self.e_fslot.q.val();
            self.fval.next = self.e_fval.q.val();
            if self.e_fram.q.val() {
                self.fval.next = self.vram.read_data.val();
            }
            if self.e_keq1.q.val() & self.fx.q.val().kset {
                self.found.next = true;
                self.fslot.next = self.fx.q.val().kslot;
                self.fval.next = self.fx.q.val().kval;
            }
            if self.e_keq1.q.val() & self.fx.q.val().kgone {
                self.found.next = false;
            }
            self.skip.next = self.e_skip.q.val() & self.pe.q.val().apply;
        }

        // The decision: the model's `apply` or `serve`.
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
        if self.pe.q.val().valid & self.pe.q.val().apply & !self.skip.val() {
            // Apply another replica's update.
            if self.pe.q.val().delete {
                self.do_clear.next = self.found.val();
            } else {
                self.do_set.next = true;
                self.set_slot.next = self.pe.q.val().uslot;
                self.do_clear.next = self.found.val() & (self.fslot.val() != self.pe.q.val().uslot);
            }
        }
        if self.pe.q.val().valid & !self.pe.q.val().apply {
            self.rv.next = true;
            if self.found.val() {
                if self.pe.q.val().op == self.op_get.val() {
                    self.rhv.next = true;
                    self.rval.next = self.fval.val();
                } else if self.pe.q.val().op == self.op_insert.val() {
                    self.rs.next = self.st_exists.val();
                } else if (self.pe.q.val().op == self.op_modify.val())
                    | (self.pe.q.val().op == self.op_put.val())
                {
                    self.rhv.next = true;
                    self.rval.next = self.fval.val();
                    self.do_set.next = true;
                    self.uv.next = true;
                } else if self.pe.q.val().op == self.op_delete.val() {
                    self.rhv.next = true;
                    self.rval.next = self.fval.val();
                    self.do_clear.next = true;
                    self.uv.next = true;
                    self.udel.next = true;
                } else {
                    self.rs.next = self.st_not_found.val();
                }
            } else if (self.pe.q.val().op == self.op_insert.val())
                | (self.pe.q.val().op == self.op_put.val())
            {
                if self.cfree.val() {
                    self.do_set.next = true;
                    self.set_slot.next = self.cslot.val();
                    self.uv.next = true;
                    if self.pe.q.val().op == self.op_insert.val() {
                        self.rhv.next = true;
                        self.rval.next = self.vline.q.val();
                    }
                } else {
                    self.rs.next = self.st_full.val();
                }
            } else {
                self.rs.next = self.st_not_found.val();
            }
        }
        // The writes, registered: the banks and the stash make them next
        // clock (a stalled or cleared pipeline makes none).
        self.pw.d.next.set_en = self.run.val() & self.do_set.val() & !self.sweep.clear.val();
        self.pw.d.next.set_slot = self.set_slot.val();
        self.pw.d.next.clear_en = self.run.val() & self.do_clear.val() & !self.sweep.clear.val();
        self.pw.d.next.clear_slot = self.clear_slot.val();
        self.pw.d.next.key = self.pe.q.val().key;
        self.pw.d.next.value = self.vline.q.val();
        self.pw.d.next.bar = self.replicated.val() & !self.pe.q.val().apply;
        self.pw.d.next.serve = self.run.val()
            & self.pe.q.val().slot
            & !self.pe.q.val().apply
            & !self.sweep.clear.val();
        self.pw.d.next.client = self.pe.q.val().client;
        for b in 0..BANKS {
            self.banks[b].wr_set.next = self.pw_set[b].q.val();
            self.banks[b].wr.set_en.next = self.pw.q.val().set_en;
            self.banks[b].wr.set_slot.next = self.pw.q.val().set_slot;
            self.banks[b].wr.key.next = self.pw.q.val().key;
            self.banks[b].wr.clear_en.next = self.pw.q.val().clear_en;
            self.banks[b].wr.clear_slot.next = self.pw.q.val().clear_slot;
        }
        // A main slot's value, a clock later (its set is that of its bank).
        self.wset.next = 0.into();
        self.wbank.next = 0.into();
        for s in 0..MAIN_WAYS {
            if self.set_slot.val() == self.c_bw_slot[s].val() {
                self.wbank.next = self.c_bw_bank[s].val();
            }
        }
        for b in 0..BANKS {
            if self.wbank.val().get_bit(b) {
                self.wset.next = self.pe_set[b].q.val();
            }
        }
        self.vw.d.next.en =
            self.run.val() & self.do_set.val() & (self.set_slot.val() < self.c_main_ways.val());
        self.vw.d.next.addr = (bit_cast::<VADDR_BITS, SET_ADDR_BITS>(self.wset.val())
            << self.c_ms_at.val())
            | bit_cast::<VADDR_BITS, MS_BITS>(self.set_slot.val().get_bits::<MS_BITS>(0));
        self.vw.d.next.value = self.vline.q.val();
        self.stash.wr.set_en.next = self.pw.q.val().set_en;
        self.stash.wr.set_slot.next = self.pw.q.val().set_slot;
        self.stash.wr.key.next = self.pw.q.val().key;
        self.stash.wr_value.next = self.pw.q.val().value;
        self.stash.wr.clear_en.next = self.pw.q.val().clear_en;
        self.stash.wr.clear_slot.next = self.pw.q.val().clear_slot;
        // The bars: the write rewrites its client's entry, and stage D1
        // asks what the clients before its operation's barred.
        self.bars.clock.next = self.clock.val();
        self.bars.valid.next = self.run.val() & self.pd1.q.val().valid;
        self.bars.client.next = self.pd1.q.val().client;
        self.bars.wr_serve.next = self.pw.q.val().serve;
        self.bars.wr_client.next = self.pw.q.val().client;
        self.bars.wr_bar.next = self.pw.q.val().bar;
        self.bars.wr_clear_en.next = self.pw.q.val().clear_en;
        self.bars.wr_clear_slot.next = self.pw.q.val().clear_slot;
        self.bars.clear.next = self.sweep.clear.val();
        for b in 0..BANKS {
            self.bars.sets[b].next = self.pd1_set[b].q.val();
            self.bars.wr_sets[b].next = self.pw_set[b].q.val();
            // (`bit_cast`'s argument cannot name a loop index: a local.)
            self.bk_bars.next = self.bars.barred.val() >> self.c_bank_at[b].val();
            self.banks[b].barred.next =
                bit_cast::<WAY_MASK_BITS, SLOT_MASK_BITS>(self.bk_bars.val())
                    & self.c_way_all.val();
        }
        self.stash.barred.next =
            bit_cast::<STASH_W, SLOT_MASK_BITS>(self.bars.barred.val() >> self.c_stash_at.val());

        // The effect, for the next two operations: a serve's new key or
        // delete (where), and where this operation's key is now.
        self.fx_slot.next = self.clear_slot.val();
        if self.do_set.val() {
            self.fx_slot.next = self.set_slot.val();
        }
        if self.run.val() {
            self.fx.d.next.fill = self.pe.q.val().valid
                & !self.pe.q.val().apply
                & self.do_set.val()
                & !self.found.val();
            self.fx.d.next.clr =
                self.pe.q.val().valid & !self.pe.q.val().apply & self.do_clear.val();
            self.fx.d.next.stash = true;
            self.fx.d.next.bank = 0.into();
            self.fx.d.next.slot = self.fx_slot.val();
            self.fx.d.next.sway = 0.into();
            for s in 0..MAIN_WAYS {
                if self.fx_slot.val() == self.c_bw_slot[s].val() {
                    self.fx.d.next.stash = false;
                    self.fx.d.next.bank = self.c_bw_bank[s].val();
                }
            }
            for i in 0..STASH_W {
                if self.fx_slot.val() == self.c_stash_no[i].val() {
                    self.fx.d.next.sway = self.c_stash_bit[i].val();
                }
            }
            self.fx.d.next.kset = self.do_set.val();
            self.fx.d.next.kgone = self.do_clear.val() & !self.do_set.val();
            self.fx.d.next.kslot = self.set_slot.val();
            self.fx.d.next.kval = self.vline.q.val();
        }

        // The clients' own writes of this serve step, for the next apply step.
        for j in 0..C {
            if self.run.val()
                & self.replicated.val()
                & self.pe.q.val().slot
                & !self.pe.q.val().apply
                & (self.pe.q.val().client.index() == j)
            {
                self.lww_valid[j].d.next = self.uv.val();
                self.lww_key[j].d.next = self.pe.q.val().key;
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
                self.u_value.d.next = self.vline.q.val();
            }
            self.u_key.d.next = self.pe.q.val().key;
        }
        if self.sweep.clear.val() {
            self.pb.d.next.slot = false;
            self.pb.d.next.valid = false;
            self.pd1.d.next.slot = false;
            self.pd1.d.next.valid = false;
            self.pd2.d.next.slot = false;
            self.pd2.d.next.valid = false;
            self.pe.d.next.slot = false;
            self.pe.d.next.valid = false;
            self.fx.d.next.fill = false;
            self.fx.d.next.clr = false;
            self.fx.d.next.kset = false;
            self.fx.d.next.kgone = false;
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
        let resp = response_of(
            e.resp.status.val(),
            e.resp.has_value.val(),
            e.resp.value.val(),
        );
        let upd = e.upd.valid.val().then(|| Update {
            client,
            key: e.upd.key.val().to_u64(),
            set: (!e.upd.delete.val())
                .then(|| (e.upd.slot.val().to_u64() as u32, e.upd.value.val().to_u64())),
        });
        (resp, upd)
    }

    /// Back-to-back serve slots on few keys (so consecutive operations hit
    /// the same key and set, through the forwarding path and the stages that
    /// fold the two operations before in) until the table is full, compared
    /// with the model's `serve`, barred slots included; with random stalls.
    /// A replicated engine gets the core's gap after each serve step.
    #[test]
    fn table_engine_serves_like_the_model() {
        serves_like_the_model(true, 5);
        serves_like_the_model(false, 5);
        // Stalls every other clock or so: an operation held in stage D1
        // after the writes its read missed (the banks' oldest forwarding
        // register).
        serves_like_the_model(true, 2);
        serves_like_the_model(false, 2);
    }

    /// A stall before about one clock in `stall_every`.
    fn serves_like_the_model(replicated: bool, stall_every: u64) {
        let b = crate::params::config().build;
        let th = H3::table();
        let mut model = Table::new(&b);
        let owned = Owned::all(&b);
        let mut e = TableEngine::with_replicas(replicated);
        e.connect_all();
        e.run.next = true;
        e.op.owned_ways.next = Bits::from(tidekv_defs::config::mask(WAYS as u32));
        e.op.owned_stash.next = Bits::from(tidekv_defs::config::mask(STASH_N as u32));
        let mut rng = 7u64;
        let n = 800;
        let lat = tidekv_defs::config::TABLE_LATENCY_CLOCKS as usize;
        let gap = if replicated {
            tidekv_defs::config::SERVE_GAP_CLOCKS as usize
        } else {
            0
        };
        let mut want = Vec::new();
        let mut got = Vec::new();
        // The slots as the engine takes them: `Some(i)` operation i, `None` a gap.
        let mut slots = vec![];
        for i in 0..n {
            slots.push(Some(i));
            if i % C == C - 1 {
                slots.extend(std::iter::repeat_n(None, gap));
            }
        }
        slots.extend(std::iter::repeat_n(None, lat));
        let mut taken = std::collections::VecDeque::new();
        let mut stall = 0x1234_5678u64;
        for s in slots {
            // A stalled clock now and then: nothing moves.
            while splitmix64(&mut stall).is_multiple_of(stall_every) {
                e.run.next = false;
                clocks(&mut e, 1, |e| &mut e.clock);
                e.run.next = true;
            }
            if let Some(i) = s {
                let client = i % C;
                let r = splitmix64(&mut rng);
                // Few keys early (hazards: the same key and set back to
                // back), then one key written by nearly every operation (a
                // bank's set written clock after clock), then deletes each
                // followed by new keys on four keys (a freed way against the
                // lowest free one), then many keys (fill to full).
                let (op, key) = if i < 160 {
                    (
                        [
                            Op::Get,
                            Op::Insert,
                            Op::Modify,
                            Op::Put,
                            Op::Delete,
                            Op::Put,
                        ][(r % 6) as usize],
                        r >> 8 & 7,
                    )
                } else if i < 240 {
                    (
                        [Op::Delete, Op::Put, Op::Insert, Op::Delete, Op::Get][(r % 5) as usize],
                        9,
                    )
                } else if i < 480 {
                    (
                        [
                            Op::Delete,
                            Op::Put,
                            Op::Insert,
                            Op::Delete,
                            Op::Put,
                            Op::Get,
                        ][(r % 6) as usize],
                        r >> 8 & 3,
                    )
                } else {
                    (
                        [
                            Op::Get,
                            Op::Insert,
                            Op::Modify,
                            Op::Put,
                            Op::Delete,
                            Op::Put,
                        ][(r % 6) as usize],
                        r >> 8 & 0xfff,
                    )
                };
                let req = Request {
                    op,
                    key,
                    value: r >> 32 & 0xff,
                };
                if client == 0 {
                    model.begin_serve();
                }
                want.push(serve(
                    &mut model,
                    &th,
                    owned,
                    replicated,
                    client as u32,
                    &req,
                ));
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
            taken.push_back(s);
            clocks(&mut e, 1, |e| &mut e.clock);
            if taken.len() == lat {
                if let Some(i) = taken.pop_front().unwrap() {
                    assert!(
                        e.resp.valid.val(),
                        "operation {i} answered {lat} clocks after it entered"
                    );
                    got.push(observed(&e, (i % C) as u32));
                } else {
                    assert!(!e.resp.valid.val(), "a gap answers nothing");
                }
            }
        }
        assert_eq!(got.len(), n, "every operation answered");
        for (i, (w, g)) in want.iter().zip(&got).enumerate() {
            assert_eq!(w, g, "operation {i} (replicated: {replicated})");
        }
        assert!(
            want.iter().any(|(r, _)| r.status == Status::Full),
            "the run reaches full"
        );
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
            for slot in 0..(MAIN_WAYS + STASH_N) as u64 {
                e.sweep.read.next = true;
                e.sweep.set.next = set.into();
                // (Its low bits, as the core's counter gives them.)
                e.sweep.next_slot.next = (slot & ((1 << MS_BITS) - 1)).into();
                clocks(e, 1, |e| &mut e.clock);
                e.sweep.read.next = false;
                e.sweep.slot.next = slot.into();
                clocks(e, 1, |e| &mut e.clock);
                let main = (slot as usize) < MAIN_WAYS;
                if e.sweep_out.used.val() && (main || set == 0) {
                    out.push((
                        e.sweep_out.key.val().to_u64(),
                        e.sweep_out.value.val().to_u64(),
                        slot as u32,
                    ));
                }
            }
        }
        out.sort();
        out
    }
}
