//! The core's body: the round sequencer, schedules, the leaf FE, every
//! shard replica, failures, counters, the generator and the command port,
//! behind `CorePort`'s registered inputs (`super::Core` wires the two). The
//! model it equals is `tidekv_sim::model::Model`.

use super::links::{self, ReqLink, RespLink};
use crate::crc::CrcReg;
use crate::delay::Delay;
use crate::gen::LoadGen;
use crate::hash::H3Hash;
use crate::params::*;
use crate::replica::{ReplicaNo, ShardGroup};
use crate::table::MS_BITS;
use crate::util::{k, vec_of};
use rust_hdl::prelude::*;
use tidekv_defs::config::mask;
use tidekv_defs::hash::{columns, AFFINE_SHIFT, FE_HASH_SEED};
use tidekv_defs::layout::response_layout;
use tidekv_defs::regs::{Cmd, CmdStatus, Counter, COUNTERS};
use tidekv_defs::{ReplicaPolicy, Status};

pub type PolicyCode = Bits<2>;

#[derive(LogicBlock)]
pub struct CoreBody {
    pub clock: Signal<In, Clock>,
    /// The round in progress.
    pub round: Signal<Out, Round>,
    /// The clock within the round, 0..T.
    pub phase: Signal<Out, Phase>,
    pub issue_strobe: Signal<Out, bool>,
    pub issue_client: Signal<Out, Client>,
    /// `issue_client` of the next clock (the batch queues read that
    /// client's head a clock ahead).
    pub issue_next: Signal<Out, Client>,
    pub resp_strobe: Signal<Out, bool>,
    pub resp_client: Signal<Out, Client>,
    pub resp_round: Signal<Out, Round>,
    pub resp_issued: Signal<Out, bool>,
    pub resp_status: Signal<Out, StatusCode>,
    pub resp_has_value: Signal<Out, bool>,
    pub resp_value: Signal<Out, Value>,
    pub resp_slot: Signal<Out, Bits<RESP_PAD_BITS>>,
    pub cmd_done: Signal<Out, bool>,
    pub cmd_status: Signal<Out, Bits<3>>,
    pub cmd_rdata: Signal<Out, Bits<64>>,
    pub busy: Signal<Out, bool>,
    pub issue_open: Signal<Out, bool>,
    pub is_paused: Signal<Out, bool>,
    pub going: Signal<Out, bool>,
    // ---- from `CorePort`: the inputs, registered
    pub in_run: Signal<In, bool>,
    /// `go_r`, kept by `Core` (whose `run` input it is computed from a
    /// clock ahead: so that no part of this block reads a top-level input,
    /// which would make Verilator evaluate all of it, and all it drives, on
    /// every `eval()`).
    pub go_r: Signal<In, bool>,
    /// `go_r`'s terms from this block for the next clock: idle, a round
    /// under way, and a generator run that goes on.
    pub go_idle_next: Signal<Out, bool>,
    pub go_phase_next: Signal<Out, bool>,
    pub go_gen_next: Signal<Out, bool>,
    pub in_reset: Signal<In, bool>,
    pub in_cmd_valid: Signal<In, bool>,
    pub in_cmd_code: Signal<In, CmdCode>,
    pub in_cmd_addr: Signal<In, CmdAddr>,
    pub in_cmd_data: Signal<In, Bits<64>>,
    /// The request taken at the last issue strobe (`CorePort`).
    pub i_valid: Signal<In, bool>,
    pub i_requested: Signal<In, bool>,
    /// A request was taken last clock (it is counted by op now).
    pub i_new: Signal<In, bool>,
    pub i_client: Signal<In, Client>,
    pub i_sel: Signal<In, Copy>,
    pub i_op: Signal<In, OpCode>,
    pub i_key: Signal<In, Key>,
    pub i_value: Signal<In, Value>,
    // ---- to `CorePort`: what its registers take
    pub p_idle: Signal<Out, bool>,
    pub p_go: Signal<Out, bool>,
    pub p_slot_now: Signal<Out, bool>,
    pub p_do_reset: Signal<Out, bool>,
    pub p_sel: Signal<Out, Copy>,
    /// A generator run feeds the clients' ports: its request, or none.
    pub p_gen: Signal<Out, bool>,
    pub p_gen_valid: Signal<Out, bool>,
    pub p_gen_op: Signal<Out, OpCode>,
    pub p_gen_key: Signal<Out, Key>,
    pub p_gen_value: Signal<Out, Value>,
    r_phase: DFF<Phase>,
    r_round: DFF<Round>,
    c_last_phase: Constant<Phase>,
    c_clients: Constant<Phase>,
    c_serve_at: Constant<Phase>,
    c_lat: Constant<Round>,
    c_lat_m1: Constant<Round>,
    c_h: Constant<Round>,
    c_h_zero: Constant<bool>,
    c_gap: Constant<Bits<8>>,
    /// The leaf FE has begun to route (round >= H).
    fe_started: DFF<bool>,
    c_replicated: Constant<bool>,
    c_single: Constant<bool>,
    go: Signal<Local, bool>,
    /// A recovery copies into `m_dst` of shard `m_shard` (the copy, and
    /// the flush after it while `m_cnt < c_flush_clocks`): as `go_r`, a
    /// register computed from the next state, so that the target's table
    /// engine's run enable (`run | cp_dst`) does not start at `m_state`'s
    /// decode.
    cp_on: DFF<bool>,
    /// The round is the generator run's stop (`r_round == gen_last + 1`),
    /// and the round before it (`nx_stop`, `r_round == gen_last`). No
    /// 48-bit compare is on `go`'s paths (the ECP5's critical path at
    /// abba1d2, and at f6fb0dd through `at_stop`'s next value): `nx_stop`
    /// is a compare of next values into a register, and `at_stop` follows
    /// it as the round advances (a run's start clears it: its stop is at
    /// least two rounds on).
    at_stop: DFF<bool>,
    nx_stop: DFF<bool>,
    /// A generator run starts this clock.
    gen_starting: Signal<Local, bool>,
    /// A generator run issues this round (`r_round < gen_end`): a compare
    /// of their next values into a register.
    gen_live: DFF<bool>,
    /// Rounds begun since the generator run started, up to LAT: its
    /// responses come back once it is LAT (the run's first round + LAT,
    /// without a 48-bit subtract and compare ahead of the digest).
    gen_age: DFF<Bits<8>>,
    c_lat8: Constant<Bits<8>>,
    boundary: Signal<Local, bool>,
    slot_now: Signal<Local, bool>,
    serve_now: Signal<Local, bool>,
    // ---- schedules: copy 0 is the build's, 1 and 2 are staged in turn
    sel: DFF<Copy>,
    shadow: Signal<Local, Copy>,
    sel_eff: Signal<Local, Copy>,
    c_copy: Vec<Constant<Copy>>,
    policy1: DFF<PolicyCode>,
    policy2: DFF<PolicyCode>,
    seed1: DFF<Bits<32>>,
    seed2: DFF<Bits<32>>,
    period1: DFF<Bits<CNT_BITS>>,
    period2: DFF<Bits<CNT_BITS>>,
    sh_period: Signal<Local, Bits<CNT_BITS>>,
    failed1: Vec<DFF<ReplicaMask>>,
    failed2: Vec<DFF<ReplicaMask>>,
    c_policy: Constant<PolicyCode>,
    c_seed: Constant<Bits<32>>,
    c_period: Constant<Bits<CNT_BITS>>,
    c_failed: Vec<Constant<ReplicaMask>>,
    calendar: RAM<ClientMask, CAL_ADDR_BITS>,
    cal_pos: DFF<Bits<CNT_BITS>>,
    /// The calendar read address of the last running clock, held while the
    /// core is paused: the last client's gate (phase 0 of the next round
    /// when T = C) reads the row its own round read.
    cal_addr: Signal<Local, Bits<CAL_ADDR_BITS>>,
    cal_addr_held: DFF<Bits<CAL_ADDR_BITS>>,
    cur_period: Signal<Local, Bits<CNT_BITS>>,
    open: Signal<Local, bool>,
    verified: DFF<bool>,
    used_shards: DFF<ShardMask>,
    armed: DFF<bool>,
    swap_round: DFF<Round>,
    swap_pos: DFF<Bits<CNT_BITS>>,
    swap_done: DFF<bool>,
    swap_ok: DFF<bool>,
    swap_at: DFF<Round>,
    /// Rounds left in which the copy swapped out is still read (the
    /// schedule gap after a swap): a count down, not a round to compare
    /// with (no 48-bit adder and comparator).
    settle_left: DFF<Bits<8>>,
    swap_now: Signal<Local, bool>,
    /// The swap command's round has no bits above the round's 48 (checked
    /// as the command arrives; whether it is still ahead is `swap_late`).
    swap_fits: Signal<Local, bool>,
    /// `swap_round` is behind the round: set the clock after the swap
    /// command writes `swap_round` and read the clock after that, the
    /// division's second step, which ends the command `bad` instead (a
    /// compare of two registers into a register: the 48-bit compare is not
    /// on the path from the command's data to its status).
    swap_late: DFF<bool>,
    sh_failed: Signal<Local, ReplicaMask>,
    // ---- clients
    /// The clients' requests, tagged with their schedule copy.
    to_first: ReqLink<{ links::ISSUE_TO_FIRST_A }>,
    outstanding: Delay<bool, { links::OUTSTANDING_A }>,
    // ---- leaf FE
    fe_hash: H3Hash<KEY_BITS, FE_HASH_OUT>,
    shard_map: RAM<Shard, MAP_ADDR_BITS>,
    a_slot: DFF<bool>,
    a_valid: DFF<bool>,
    a_sel: DFF<Copy>,
    a_op: DFF<OpCode>,
    a_key: DFF<Key>,
    a_value: DFF<Value>,
    a_affine: DFF<Bits<8>>,
    a_bucket: DFF<Bits<BUCKET_ADDR_BITS>>,
    fe_sel: DFF<Copy>,
    new_epoch: Signal<Local, bool>,
    lfsr: DFF<Bits<32>>,
    c_taps: Constant<Bits<32>>,
    c_random: Constant<PolicyCode>,
    c_round_robin: Constant<PolicyCode>,
    detected: Vec<DFF<ReplicaMask>>,
    /// Detections of the round in progress: the FE routes by them from the
    /// next round on, as the model's FE (routes, then collects).
    det_new: Vec<DFF<ReplicaMask>>,
    /// What routes of the previous round saw (a slot routed past the round's
    /// end, at phase 0, belongs to it).
    det_prev: Vec<DFF<ReplicaMask>>,
    det_found: Signal<Local, ReplicaMask>,
    /// The final CRCs, complemented at their own width: inside a widening
    /// `bit_cast` the complement would be taken after Verilog widens the
    /// operand, setting the upper bits (rust-hdl's simulator does not).
    digest_out: Signal<Local, Bits<32>>,
    crc_out: Signal<Local, Bits<32>>,
    det_route: Signal<Local, ReplicaMask>,
    crashed: Vec<DFF<ReplicaMask>>,
    fresh: Vec<DFF<ReplicaMask>>,
    guard: Vec<DFF<ReplicaMask>>,
    rr: Vec<DFF<ReplicaNo>>,
    c_rep_no: Vec<Constant<ReplicaNo>>,
    c_rep_next: Vec<Constant<ReplicaNo>>,
    c_shard_no: Vec<Constant<Shard>>,
    c_all: Constant<ReplicaMask>,
    b_fwd: DFF<bool>,
    b_answered: DFF<bool>,
    b_shard: DFF<Shard>,
    b_rep: DFF<ReplicaNo>,
    b_op: DFF<OpCode>,
    b_key: DFF<Key>,
    b_value: DFF<Value>,
    a_policy: Signal<Local, PolicyCode>,
    lf_state: Signal<Local, Bits<32>>,
    lf_byte: Signal<Local, Bits<8>>,
    shard_now: Signal<Local, Shard>,
    live: Signal<Local, ReplicaMask>,
    live_n: Signal<Local, Bits<4>>,
    pick_byte: Signal<Local, Bits<12>>,
    scaled: Signal<Local, Bits<12>>,
    kth: Signal<Local, Bits<4>>,
    seen: Signal<Local, Bits<4>>,
    rr_ptr: Signal<Local, ReplicaNo>,
    got: Signal<Local, bool>,
    passed: Signal<Local, bool>,
    pick: Signal<Local, ReplicaNo>,
    pick_next: Signal<Local, ReplicaNo>,
    /// Routed requests, tagged with their shard and replica.
    to_serve: ReqLink<{ links::ROUTE_TO_SERVE_A }>,
    /// What was routed, for the collect: forwarded, answered, shard, replica.
    pend: Delay<Bits<PEND_BITS>, { links::PENDING_A }>,
    pend_word: Signal<Local, Bits<PEND_BITS>>,
    p_fwd: Signal<Local, bool>,
    p_answered: Signal<Local, bool>,
    p_shard: Signal<Local, Shard>,
    p_rep: Signal<Local, ReplicaNo>,
    c_rep_at: Constant<Bits<8>>,
    c_pend_shard_at: Constant<Bits<8>>,
    c_pend_rep_at: Constant<Bits<8>>,
    // ---- shards
    shards: Vec<ShardGroup>,
    round_hash: H3Hash<ROUND_BITS, 8>,
    rot_byte: Signal<Local, Bits<12>>,
    rot_scaled: Signal<Local, Bits<12>>,
    served: RespLink<{ links::SERVED_TO_NEXT_A }>,
    u_valid: DFF<bool>,
    u_status: DFF<StatusCode>,
    u_has_value: DFF<bool>,
    u_value: DFF<Value>,
    c_unavailable: Constant<StatusCode>,
    to_client: RespLink<{ links::COLLECT_TO_CLIENT_A }>,
    // ---- counters
    n_issued: DFF<Count>,
    n_blocked: DFF<Count>,
    n_status: Vec<DFF<Count>>,
    n_op: Vec<DFF<Count>>,
    n_detect: DFF<Count>,
    n_rounds: DFF<Count>,
    n_gen: DFF<Count>,
    cnt_val: Signal<Local, Count>,
    word: Signal<Local, Bits<64>>,
    zero_counters: Signal<Local, bool>,
    c_ix_issued: Constant<CmdAddr>,
    c_ix_blocked: Constant<CmdAddr>,
    c_ix_status: Vec<Constant<CmdAddr>>,
    c_ix_op: Vec<Constant<CmdAddr>>,
    c_ix_detect: Constant<CmdAddr>,
    c_ix_rounds: Constant<CmdAddr>,
    c_ix_digest: Constant<CmdAddr>,
    c_ix_gen: Constant<CmdAddr>,
    // ---- generator mode
    gen: LoadGen,
    gen_end: DFF<Round>,
    /// The round before the run's stop round.
    gen_last: DFF<Round>,
    gen_issue: Signal<Local, bool>,
    /// The generator digest: CRC-32 of each generated request's response slot.
    digest: CrcReg<RESP_PAD_BITS>,
    resp_word: Signal<Local, Bits<RESP_PAD_BITS>>,
    c_rw_valid: Constant<Bits<RESP_PAD_BITS>>,
    c_rw_has_value: Constant<Bits<RESP_PAD_BITS>>,
    // ---- command port and maintenance sweeps
    m_state: DFF<Bits<4>>,
    m_cnt: DFF<Bits<CNT_BITS>>,
    /// `m_cnt - 1`, kept beside it (every write of `m_cnt` writes it): the
    /// slot a sweep shows, without a subtractor ahead of the read-out (the
    /// ULX3S's critical path in session 39). It is 0, not `m_cnt - 1`, at
    /// power-up: nothing reads it before a command starts a sweep, which
    /// sets both.
    m_slot: DFF<Bits<CNT_BITS>>,
    m_set: DFF<SetAddr>,
    m_shard: DFF<Shard>,
    m_dst: DFF<ReplicaMask>,
    m_src: DFF<ReplicaNo>,
    m_copy: DFF<bool>,
    m_all: DFF<bool>,
    m_bad: DFF<bool>,
    /// `ReadSlot`: the word to answer (0 used, 1 key, 2 value) and the
    /// clocks since it began: the set is read in the first, the slot shows
    /// in the third (the engines' read-out is registered).
    m_word: DFF<Bits<2>>,
    m_phase: DFF<Bits<2>>,
    pk_used: Signal<Local, bool>,
    pk_key: Signal<Local, Key>,
    pk_value: Signal<Local, Value>,
    v_map: DFF<bool>,
    /// The verify's last clock reading a row (`v_end`, buckets + the
    /// shadow's period) and its stop (`v_stop`, two more: the last row
    /// steps the CRC through `v_row` the clock before), registered a
    /// clock ahead of the verify (a command that sets the period or swaps
    /// the copies is over by then): no adder ahead of its compares.
    v_end: DFF<Bits<CNT_BITS>>,
    v_stop: DFF<Bits<CNT_BITS>>,
    v_cal: DFF<bool>,
    v_used: DFF<ShardMask>,
    /// The row read last clock (`v_item`) and whether it is one, registered
    /// on its way into the CRC: the RAMs' outputs end at a register, not
    /// in the CRC step (the sharded builds' critical path was shard map
    /// RAM -> row mux -> CRC step).
    v_row: DFF<Bits<ITEM_BITS>>,
    v_step: DFF<bool>,
    /// The schedule check's CRC over the shadow map and calendar rows.
    item_crc: CrcReg<ITEM_BITS>,
    /// Restoring division of `swap_round` by the shadow's period: `div_q`
    /// is `swap_round` shifted up a bit a clock, its top bit the next one
    /// (no variable shift after `m_cnt`: the single-c10 core's critical
    /// path in session 41).
    div_q: DFF<Bits<ROUND_BITS>>,
    c_round_msb: Constant<Bits<8>>,
    div_bit: Signal<Local, Bits<1>>,
    div_r: DFF<Bits<CNT_BITS>>,
    div_t: Signal<Local, Bits<CNT_BITS>>,
    r_done: DFF<bool>,
    r_status: DFF<Bits<3>>,
    r_rdata: DFF<Bits<64>>,
    c_idle: Constant<Bits<4>>,
    c_wipe: Constant<Bits<4>>,
    c_copying: Constant<Bits<4>>,
    c_flush: Constant<Bits<4>>,
    c_verify: Constant<Bits<4>>,
    c_div: Constant<Bits<4>>,
    c_read: Constant<Bits<4>>,
    c_gen: Constant<Bits<4>>,
    c_peek: Constant<Bits<4>>,
    /// `ReadSlot`'s argument limits: sets, slots a set sweeps, words.
    c_peek_sets: Constant<Bits<16>>,
    c_peek_slots: Constant<Bits<8>>,
    c_cmd_info: Constant<CmdCode>,
    c_cmd_stage_map: Constant<CmdCode>,
    c_cmd_stage_policy: Constant<CmdCode>,
    c_cmd_stage_failed: Constant<CmdCode>,
    c_cmd_stage_calendar: Constant<CmdCode>,
    c_cmd_stage_period: Constant<CmdCode>,
    c_cmd_verify: Constant<CmdCode>,
    c_cmd_swap: Constant<CmdCode>,
    c_cmd_read_map: Constant<CmdCode>,
    c_cmd_read_slot: Constant<CmdCode>,
    c_cmd_read_swap: Constant<CmdCode>,
    c_cmd_fail: Constant<CmdCode>,
    c_cmd_recover: Constant<CmdCode>,
    c_cmd_read_counter: Constant<CmdCode>,
    c_cmd_clear_counters: Constant<CmdCode>,
    c_cmd_gen_seed: Constant<CmdCode>,
    c_cmd_gen_mix: Constant<CmdCode>,
    c_cmd_gen_keys: Constant<CmdCode>,
    c_cmd_gen_run: Constant<CmdCode>,
    c_cmd_reset: Constant<CmdCode>,
    c_ok: Constant<Bits<3>>,
    c_bad: Constant<Bits<3>>,
    c_running: Constant<Bits<3>>,
    c_unverified: Constant<Bits<3>>,
    c_shadow_in_use: Constant<Bits<3>>,
    c_unknown: Constant<Bits<3>>,
    c_unsupported: Constant<Bits<3>>,
    /// The build has the load generator (`GENERATOR`); without it the
    /// `gen_*` commands answer `unsupported` and the generator's logic is
    /// gated off by this constant (yosys removes it).
    c_gen_on: Constant<bool>,
    /// The build reads tables by command (`TABLE_READ`).
    c_peek_on: Constant<bool>,
    c_node_state: Constant<Bits<3>>,
    idle: Signal<Local, bool>,
    paused: Signal<Local, bool>,
    do_reset: Signal<Local, bool>,
    shadow_busy: Signal<Local, bool>,
    n_hit: Signal<Local, bool>,
    n_shard: Signal<Local, Shard>,
    n_rep: Signal<Local, ReplicaNo>,
    n_mask: Signal<Local, ReplicaMask>,
    n_crashed: Signal<Local, bool>,
    n_fresh: Signal<Local, bool>,
    n_others: Signal<Local, ReplicaMask>,
    src_got: Signal<Local, bool>,
    src: Signal<Local, ReplicaNo>,
    c_node_no: Vec<Constant<CmdAddr>>,
    c_node_shard: Vec<Constant<Shard>>,
    c_node_rep: Vec<Constant<ReplicaNo>>,
    c_buckets: Constant<Bits<CNT_BITS>>,
    c_bucket_lim: Constant<CmdAddr>,
    c_shards64: Constant<Bits<64>>,
    c_shard_lim: Constant<CmdAddr>,
    c_not_rmask: Constant<Bits<64>>,
    c_not_cmask: Constant<Bits<64>>,
    c_cal_max: Constant<Bits<64>>,
    c_cal_lim: Constant<CmdAddr>,
    c_policies: Constant<Bits<64>>,
    c_counters: Constant<CmdAddr>,
    c_key_mask: Constant<Bits<64>>,
    c_last_set: Constant<SetAddr>,
    c_sweep_slots: Constant<Bits<CNT_BITS>>,
    c_flush_clocks: Constant<Bits<CNT_BITS>>,
    c_flush_last: Constant<Bits<CNT_BITS>>,
    c_one64: Constant<Bits<64>>,
    v_item: Signal<Local, Bits<ITEM_BITS>>,
    v_used_next: Signal<Local, ShardMask>,
    v_ok: Signal<Local, bool>,
    v_hit: Signal<Local, bool>,
    c_round_bits_last: Constant<Bits<CNT_BITS>>,
    c_one_cnt: Constant<Bits<CNT_BITS>>,
    /// `0 - 1` in `CNT_BITS`: `m_slot` when `m_cnt` is 0.
    c_cnt_ones: Constant<Bits<CNT_BITS>>,
    cal_wr_addr: Signal<Local, Bits<CAL_ADDR_BITS>>,
    map_wr_addr: Signal<Local, Bits<MAP_ADDR_BITS>>,
}

/// FE hash bits the leaf FE uses: the key-affine byte, then the bucket.
pub const FE_HASH_OUT: usize = 8 + BUCKET_ADDR_BITS;

/// Command-port states.
const ST_IDLE: u64 = 0;
const ST_WIPE: u64 = 1;
const ST_COPY: u64 = 2;
const ST_FLUSH: u64 = 3;
const ST_VERIFY: u64 = 4;
const ST_DIV: u64 = 5;
const ST_READ: u64 = 6;
const ST_GEN: u64 = 7;
const ST_PEEK: u64 = 8;

impl Default for CoreBody {
    fn default() -> Self {
        Self::new()
    }
}

impl CoreBody {
    pub fn new() -> CoreBody {
        use links::*;
        let cfg = config();
        let sched = &cfg.schedule;
        let fe_cols = columns(FE_HASH_SEED);
        let mut fe_bits: Vec<usize> = (0..8).map(|i| AFFINE_SHIFT as usize + i).collect();
        fe_bits.extend((0..BUCKET_ADDR_BITS).map(|i| if i < BUCKET_BITS { i } else { 64 }));
        let policy = |p: ReplicaPolicy| k::<PolicyCode>(u64::from(p.code()));
        let ix = |c: Counter| k::<CmdAddr>(u64::from(c.code()));
        let cmd = |c: Cmd| k::<CmdCode>(u64::from(c.code()));
        let st = |c: CmdStatus| k::<Bits<3>>(u64::from(c.code()));
        // Copy 0 of the shard map and the calendar is the build's schedule.
        let shard_map = RAM::new(
            (0..1u64 << MAP_ADDR_BITS)
                .map(|a| {
                    let (bucket, copy) = ((a >> COPY_BITS) as usize, a & mask(COPY_BITS as u32));
                    let shard = if copy == 0 {
                        sched.shard_map[bucket % sched.shard_map.len()]
                    } else {
                        0
                    };
                    (Bits::from(a), Bits::from(u64::from(shard)))
                })
                .collect(),
        );
        let calendar = RAM::new(
            (0..1u64 << CAL_ADDR_BITS)
                .map(|a| {
                    let (row, copy) = ((a >> COPY_BITS) as usize, a & mask(COPY_BITS as u32));
                    let open = if copy == 0 && row < sched.calendar.len() {
                        sched.calendar[row]
                    } else {
                        0
                    };
                    (Bits::from(a), Bits::from(open))
                })
                .collect(),
        );
        // The digest packs response slots as the layout says (`update` shifts by these).
        let layout = response_layout(&cfg.build);
        let (valid_at, has_value_at) = (
            layout.field("valid").offset,
            layout.field("has_value").offset,
        );
        assert_eq!(
            (layout.field("status").offset, layout.field("value").offset),
            (1, 5),
            "response layout moved"
        );
        CoreBody {
            clock: Default::default(),
            round: Default::default(),
            phase: Default::default(),
            issue_strobe: Default::default(),
            issue_client: Default::default(),
            issue_next: Default::default(),
            resp_strobe: Default::default(),
            resp_client: Default::default(),
            resp_round: Default::default(),
            resp_issued: Default::default(),
            resp_status: Default::default(),
            resp_has_value: Default::default(),
            resp_value: Default::default(),
            resp_slot: Default::default(),
            cmd_done: Default::default(),
            cmd_status: Default::default(),
            cmd_rdata: Default::default(),
            busy: Default::default(),
            issue_open: Default::default(),
            is_paused: Default::default(),
            going: Default::default(),
            in_run: Default::default(),
            go_r: Default::default(),
            go_idle_next: Default::default(),
            go_phase_next: Default::default(),
            go_gen_next: Default::default(),
            in_reset: Default::default(),
            in_cmd_valid: Default::default(),
            in_cmd_code: Default::default(),
            in_cmd_addr: Default::default(),
            in_cmd_data: Default::default(),
            i_valid: Default::default(),
            i_requested: Default::default(),
            i_new: Default::default(),
            i_client: Default::default(),
            i_sel: Default::default(),
            i_op: Default::default(),
            i_key: Default::default(),
            i_value: Default::default(),
            p_idle: Default::default(),
            p_go: Default::default(),
            p_slot_now: Default::default(),
            p_do_reset: Default::default(),
            p_sel: Default::default(),
            p_gen: Default::default(),
            p_gen_valid: Default::default(),
            p_gen_op: Default::default(),
            p_gen_key: Default::default(),
            p_gen_value: Default::default(),
            r_phase: Default::default(),
            r_round: Default::default(),
            c_last_phase: k((T - 1) as u64),
            c_clients: k(C as u64),
            c_serve_at: k(SERVE_AT as u64),
            c_lat: k(LAT as u64),
            c_lat_m1: k(LAT as u64 - 1),
            c_h: k(H as u64),
            c_h_zero: Constant::new(H == 0),
            c_gap: k({
                assert!(
                    cfg.build.schedule_gap() < 256,
                    "the schedule gap fits settle_left"
                );
                cfg.build.schedule_gap()
            }),
            fe_started: Default::default(),
            c_replicated: Constant::new(R > 1),
            c_single: Constant::new(H == 0),
            go: Default::default(),
            cp_on: Default::default(),
            at_stop: Default::default(),
            nx_stop: Default::default(),
            gen_starting: Default::default(),
            gen_live: Default::default(),
            gen_age: Default::default(),
            c_lat8: k(LAT as u64),
            boundary: Default::default(),
            slot_now: Default::default(),
            serve_now: Default::default(),
            sel: Default::default(),
            shadow: Default::default(),
            sel_eff: Default::default(),
            c_copy: (0..3).map(k).collect(),
            policy1: Default::default(),
            policy2: Default::default(),
            seed1: Default::default(),
            seed2: Default::default(),
            period1: Default::default(),
            period2: Default::default(),
            sh_period: Default::default(),
            failed1: vec_of(S),
            failed2: vec_of(S),
            c_policy: policy(sched.replica_policy),
            c_seed: k(u64::from(sched.seed)),
            c_period: k(sched.calendar.len() as u64),
            c_failed: (0..S).map(|s| k(u64::from(sched.failed[s]))).collect(),
            calendar,
            cal_pos: Default::default(),
            cal_addr: Default::default(),
            cal_addr_held: Default::default(),
            cur_period: Default::default(),
            open: Default::default(),
            verified: Default::default(),
            used_shards: Default::default(),
            armed: Default::default(),
            swap_round: Default::default(),
            swap_pos: Default::default(),
            swap_done: Default::default(),
            swap_ok: Default::default(),
            swap_at: Default::default(),
            settle_left: Default::default(),
            swap_now: Default::default(),
            swap_fits: Default::default(),
            swap_late: Default::default(),
            sh_failed: Default::default(),
            to_first: ReqLink::new(ISSUE_TO_FIRST),
            outstanding: Delay::new(OUTSTANDING),
            fe_hash: H3Hash::new(&fe_cols, &fe_bits),
            shard_map,
            a_slot: Default::default(),
            a_valid: Default::default(),
            a_sel: Default::default(),
            a_op: Default::default(),
            a_key: Default::default(),
            a_value: Default::default(),
            a_affine: Default::default(),
            a_bucket: Default::default(),
            fe_sel: Default::default(),
            new_epoch: Default::default(),
            lfsr: Default::default(),
            c_taps: k(u64::from(tidekv_defs::prng::REPLICA_LFSR_TAPS)),
            c_random: policy(ReplicaPolicy::Random),
            c_round_robin: policy(ReplicaPolicy::RoundRobin),
            detected: vec_of(S),
            crashed: vec_of(S),
            fresh: vec_of(S),
            guard: vec_of(S),
            det_new: vec_of(S),
            det_prev: vec_of(S),
            det_found: Default::default(),
            digest_out: Default::default(),
            crc_out: Default::default(),
            det_route: Default::default(),
            rr: vec_of(S),
            c_rep_no: (0..R).map(|r| k(r as u64)).collect(),
            c_rep_next: (0..R).map(|r| k(((r + 1) % R) as u64)).collect(),
            c_shard_no: (0..S).map(|s| k(s as u64)).collect(),
            c_all: k(mask(R as u32)),
            b_fwd: Default::default(),
            b_answered: Default::default(),
            b_shard: Default::default(),
            b_rep: Default::default(),
            b_op: Default::default(),
            b_key: Default::default(),
            b_value: Default::default(),
            a_policy: Default::default(),
            lf_state: Default::default(),
            lf_byte: Default::default(),
            shard_now: Default::default(),
            live: Default::default(),
            live_n: Default::default(),
            pick_byte: Default::default(),
            scaled: Default::default(),
            kth: Default::default(),
            seen: Default::default(),
            rr_ptr: Default::default(),
            got: Default::default(),
            passed: Default::default(),
            pick: Default::default(),
            pick_next: Default::default(),
            to_serve: ReqLink::new(ROUTE_TO_SERVE),
            pend: Delay::new(PENDING),
            pend_word: Default::default(),
            p_fwd: Default::default(),
            p_answered: Default::default(),
            p_shard: Default::default(),
            p_rep: Default::default(),
            c_rep_at: k(SHARD_BITS as u64),
            c_pend_shard_at: k(2),
            c_pend_rep_at: k((2 + SHARD_BITS) as u64),
            shards: (0..S).map(ShardGroup::new).collect(),
            round_hash: H3Hash::new(&fe_cols, &(56..64).collect::<Vec<_>>()),
            rot_byte: Default::default(),
            rot_scaled: Default::default(),
            served: RespLink::new(SERVED_TO_NEXT),
            u_valid: Default::default(),
            u_status: Default::default(),
            u_has_value: Default::default(),
            u_value: Default::default(),
            c_unavailable: k(u64::from(Status::Unavailable.code())),
            to_client: RespLink::new(COLLECT_TO_CLIENT),
            n_issued: Default::default(),
            n_blocked: Default::default(),
            n_status: vec_of(5),
            n_op: vec_of(5),
            n_detect: Default::default(),
            n_rounds: Default::default(),
            n_gen: Default::default(),
            cnt_val: Default::default(),
            word: Default::default(),
            zero_counters: Default::default(),
            c_ix_issued: ix(Counter::Issued),
            c_ix_blocked: ix(Counter::CalendarBlocked),
            c_ix_status: (0..5).map(|i| ix(Counter::status(i))).collect(),
            c_ix_op: (0..5).map(|i| ix(Counter::op(i))).collect(),
            c_ix_detect: ix(Counter::Detections),
            c_ix_rounds: ix(Counter::Rounds),
            c_ix_digest: ix(Counter::GenDigest),
            c_ix_gen: ix(Counter::GenRequests),
            gen: LoadGen::default(),
            gen_end: Default::default(),
            gen_last: Default::default(),
            gen_issue: Default::default(),
            digest: CrcReg::default(),
            resp_word: Default::default(),
            c_rw_valid: k(1 << valid_at),
            c_rw_has_value: k(1 << has_value_at),
            m_state: Default::default(),
            m_cnt: Default::default(),
            m_slot: Default::default(),
            m_set: Default::default(),
            m_shard: Default::default(),
            m_dst: Default::default(),
            m_src: Default::default(),
            m_copy: Default::default(),
            m_all: Default::default(),
            m_bad: Default::default(),
            m_word: Default::default(),
            m_phase: Default::default(),
            pk_used: Default::default(),
            pk_key: Default::default(),
            pk_value: Default::default(),
            v_map: Default::default(),
            v_end: Default::default(),
            v_stop: Default::default(),
            v_cal: Default::default(),
            v_row: Default::default(),
            v_step: Default::default(),
            v_used: Default::default(),
            item_crc: CrcReg::default(),
            div_q: Default::default(),
            c_round_msb: k((ROUND_BITS - 1) as u64),
            div_bit: Default::default(),
            div_r: Default::default(),
            div_t: Default::default(),
            r_done: Default::default(),
            r_status: Default::default(),
            r_rdata: Default::default(),
            c_idle: k(ST_IDLE),
            c_wipe: k(ST_WIPE),
            c_copying: k(ST_COPY),
            c_flush: k(ST_FLUSH),
            c_verify: k(ST_VERIFY),
            c_div: k(ST_DIV),
            c_read: k(ST_READ),
            c_gen: k(ST_GEN),
            c_peek: k(ST_PEEK),
            c_peek_sets: k(1 << SET_BITS),
            c_peek_slots: k(SWEEP_SLOTS as u64),
            c_cmd_info: cmd(Cmd::Info),
            c_cmd_stage_map: cmd(Cmd::StageMap),
            c_cmd_stage_policy: cmd(Cmd::StagePolicy),
            c_cmd_stage_failed: cmd(Cmd::StageFailed),
            c_cmd_stage_calendar: cmd(Cmd::StageCalendar),
            c_cmd_stage_period: cmd(Cmd::StagePeriod),
            c_cmd_verify: cmd(Cmd::Verify),
            c_cmd_swap: cmd(Cmd::Swap),
            c_cmd_read_map: cmd(Cmd::ReadMap),
            c_cmd_read_slot: cmd(Cmd::ReadSlot),
            c_cmd_read_swap: cmd(Cmd::ReadSwap),
            c_cmd_fail: cmd(Cmd::Fail),
            c_cmd_recover: cmd(Cmd::Recover),
            c_cmd_read_counter: cmd(Cmd::ReadCounter),
            c_cmd_clear_counters: cmd(Cmd::ClearCounters),
            c_cmd_gen_seed: cmd(Cmd::GenSeed),
            c_cmd_gen_mix: cmd(Cmd::GenMix),
            c_cmd_gen_keys: cmd(Cmd::GenKeys),
            c_cmd_gen_run: cmd(Cmd::GenRun),
            c_cmd_reset: cmd(Cmd::Reset),
            c_ok: st(CmdStatus::Ok),
            c_bad: st(CmdStatus::BadArgument),
            c_running: st(CmdStatus::Running),
            c_unverified: st(CmdStatus::Unverified),
            c_shadow_in_use: st(CmdStatus::ShadowInUse),
            c_unknown: st(CmdStatus::Unknown),
            c_unsupported: st(CmdStatus::Unsupported),
            c_gen_on: Constant::new(GENERATOR != 0),
            c_peek_on: Constant::new(TABLE_READ != 0),
            c_node_state: st(CmdStatus::NodeState),
            idle: Default::default(),
            paused: Default::default(),
            do_reset: Default::default(),
            shadow_busy: Default::default(),
            n_hit: Default::default(),
            n_shard: Default::default(),
            n_rep: Default::default(),
            n_mask: Default::default(),
            n_crashed: Default::default(),
            n_fresh: Default::default(),
            n_others: Default::default(),
            src_got: Default::default(),
            src: Default::default(),
            c_node_no: (0..NODES).map(|n| k(n as u64)).collect(),
            c_node_shard: (0..NODES).map(|n| k((n / R) as u64)).collect(),
            c_node_rep: (0..NODES).map(|n| k((n % R) as u64)).collect(),
            c_buckets: k(cfg.build.buckets as u64),
            c_bucket_lim: k(cfg.build.buckets as u64),
            c_shards64: k(S as u64),
            c_shard_lim: k(S as u64),
            c_not_rmask: k(!mask(R as u32)),
            c_not_cmask: k(!mask(C as u32)),
            c_cal_max: k(CAL_MAX as u64),
            c_cal_lim: k(CAL_MAX as u64),
            c_policies: k(ReplicaPolicy::ALL.len() as u64),
            c_counters: k(COUNTERS as u64),
            c_key_mask: k(mask(KEY_BITS.min(56) as u32)),
            c_last_set: k(mask(SET_ADDR_BITS as u32)),
            c_sweep_slots: k(SWEEP_SLOTS as u64),
            // (The copy bus's last slot reaches the target a clock after the
            // copy ends: the engines' read-out is registered.)
            c_flush_clocks: k(u64::from(tidekv_defs::config::TABLE_LATENCY_CLOCKS) + 1),
            c_flush_last: k(u64::from(tidekv_defs::config::TABLE_LATENCY_CLOCKS)),
            c_one64: k(1),
            v_item: Default::default(),
            v_used_next: Default::default(),
            v_ok: Default::default(),
            v_hit: Default::default(),
            c_round_bits_last: k((ROUND_BITS - 1) as u64),
            c_one_cnt: k(1),
            c_cnt_ones: k(tidekv_defs::config::mask(CNT_BITS as u32)),
            cal_wr_addr: Default::default(),
            map_wr_addr: Default::default(),
        }
    }
}

impl Logic for CoreBody {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self,
            clock,
            r_phase,
            r_round,
            fe_started,
            sel,
            cal_pos,
            cal_addr_held,
            verified,
            used_shards,
            armed,
            swap_round,
            swap_late,
            cp_on,
            at_stop,
            nx_stop,
            gen_live,
            gen_age,
            swap_pos,
            swap_done,
            swap_ok,
            swap_at,
            settle_left,
            a_slot,
            a_valid,
            a_sel,
            a_op,
            a_key,
            a_value,
            a_affine,
            a_bucket,
            fe_sel,
            lfsr,
            b_fwd,
            b_answered,
            b_shard,
            b_rep,
            b_op,
            b_key,
            b_value,
            u_valid,
            u_status,
            u_has_value,
            u_value,
            n_issued,
            n_blocked,
            n_detect,
            n_rounds,
            n_gen,
            gen_end,
            gen_last,
            m_state,
            m_cnt,
            m_slot,
            m_set,
            m_shard,
            m_dst,
            m_src,
            m_copy,
            m_all,
            m_bad,
            m_word,
            m_phase,
            v_map,
            v_end,
            v_stop,
            v_cal,
            v_row,
            v_step,
            v_used,
            div_r,
            div_q,
            r_done,
            r_status,
            r_rdata,
            policy1,
            policy2,
            seed1,
            seed2,
            period1,
            period2
        );
        self.zero_counters.next = false;
        for i in 0..5 {
            self.n_status[i].clock.next = self.clock.val();
            self.n_op[i].clock.next = self.clock.val();
            self.n_status[i].d.next = self.n_status[i].q.val();
            self.n_op[i].d.next = self.n_op[i].q.val();
        }
        for s in 0..S {
            self.failed1[s].clock.next = self.clock.val();
            self.failed2[s].clock.next = self.clock.val();
            self.detected[s].clock.next = self.clock.val();
            self.crashed[s].clock.next = self.clock.val();
            self.fresh[s].clock.next = self.clock.val();
            self.guard[s].clock.next = self.clock.val();
            self.det_new[s].clock.next = self.clock.val();
            self.det_prev[s].clock.next = self.clock.val();
            self.rr[s].clock.next = self.clock.val();
            self.failed1[s].d.next = self.failed1[s].q.val();
            self.failed2[s].d.next = self.failed2[s].q.val();
            self.detected[s].d.next = self.detected[s].q.val();
            self.crashed[s].d.next = self.crashed[s].q.val();
            self.fresh[s].d.next = self.fresh[s].q.val();
            self.guard[s].d.next = self.guard[s].q.val();
            self.det_new[s].d.next = self.det_new[s].q.val();
            self.det_prev[s].d.next = self.det_prev[s].q.val();
            self.rr[s].d.next = self.rr[s].q.val();
        }
        self.gen.clock.next = self.clock.val();
        self.gen.cfg_data.next = self.in_cmd_data.val();
        self.gen.set_seed.next = false;
        self.gen.set_mix.next = false;
        self.gen.set_keys.next = false;
        self.gen.start.next = false;
        self.gen.step.next = false;
        self.item_crc.init.next = false;
        self.gen_starting.next = false;
        self.r_done.d.next = false;

        // Who drives the round: the host while idle (`run` starts a round
        // at the boundary after it; a round once begun runs to its end), or
        // a generator run.
        self.idle.next = self.m_state.q.val() == self.c_idle.val();
        self.paused.next = self.idle.val() & !self.in_run.val() & !self.r_phase.q.val().any();
        self.go.next = self.go_r.val();
        self.is_paused.next = self.paused.val();
        self.going.next = self.go.val();
        self.busy.next = !self.idle.val();
        self.cmd_done.next = self.r_done.q.val();
        self.cmd_status.next = self.r_status.q.val();
        self.cmd_rdata.next = self.r_rdata.q.val();
        self.do_reset.next = self.in_reset.val();
        self.cnt_val.next = 0.into();
        self.word.next = 0.into();

        // Round sequencer.
        self.phase.next = self.r_phase.q.val();
        self.round.next = self.r_round.q.val();
        self.slot_now.next = self.r_phase.q.val() < self.c_clients.val();
        // (phase - SERVE_AT) wraps past C before SERVE_AT: T <= 2C < 2^PHASE_BITS + C.
        self.serve_now.next = (self.r_phase.q.val() - self.c_serve_at.val()) < self.c_clients.val();
        self.boundary.next = self.go.val() & (self.r_phase.q.val() == self.c_last_phase.val());
        if self.go.val() {
            if self.boundary.val() {
                self.r_phase.d.next = 0.into();
                self.r_round.d.next = self.r_round.q.val() + 1;
                if self.gen_age.q.val() != self.c_lat8.val() {
                    self.gen_age.d.next = self.gen_age.q.val() + 1;
                }
                if self.settle_left.q.val().any() {
                    self.settle_left.d.next = self.settle_left.q.val() - 1;
                }
                self.n_rounds.d.next = self.n_rounds.q.val() + 1;
                if self.r_round.q.val() + 1 == self.c_h.val() {
                    self.fe_started.d.next = true;
                }
                for s in 0..S {
                    self.fresh[s].d.next = 0.into();
                    self.guard[s].d.next = 0.into();
                }
            } else {
                self.r_phase.d.next = self.r_phase.q.val() + 1;
            }
        }

        // Schedules: the shadow copy, and the swap at the start of its round
        // if no bucket then maps to a shard with every replica failed.
        if self.sel.q.val() == self.c_copy[1].val() {
            self.shadow.next = self.c_copy[2].val();
        } else {
            self.shadow.next = self.c_copy[1].val();
        }
        self.v_ok.next = true;
        for s in 0..S {
            if self.shadow.val() == self.c_copy[1].val() {
                self.sh_failed.next = self.failed1[s].q.val();
            } else {
                self.sh_failed.next = self.failed2[s].q.val();
            }
            if self.used_shards.q.val().get_bit(s)
                & (((self.sh_failed.val() | self.detected[s].q.val()) & self.c_all.val())
                    == self.c_all.val())
            {
                self.v_ok.next = false;
            }
        }
        if self.c_single.val() {
            self.v_ok.next = true;
        }
        self.swap_now.next = self.go.val()
            & !self.r_phase.q.val().any()
            & self.armed.q.val()
            & (self.r_round.q.val() == self.swap_round.q.val());
        self.sel_eff.next = self.sel.q.val();
        if self.swap_now.val() {
            self.armed.d.next = false;
            self.swap_done.d.next = true;
            self.swap_ok.d.next = self.v_ok.val();
            self.swap_at.d.next = self.r_round.q.val();
            if self.v_ok.val() {
                self.sel_eff.next = self.shadow.val();
                self.sel.d.next = self.shadow.val();
                self.verified.d.next = false;
                self.settle_left.d.next = self.c_gap.val();
                if self.boundary.val() {
                    // (T = 1: this round ends this clock.)
                    self.settle_left.d.next = self.c_gap.val() - 1;
                }
            }
        }
        self.shadow_busy.next = self.armed.q.val() | self.settle_left.q.val().any();

        // The calendar row of this round: its memory is read with the
        // address of the clock before, so the row is there from phase 1.
        self.cur_period.next = self.c_period.val();
        if self.sel_eff.val() == self.c_copy[1].val() {
            self.cur_period.next = self.period1.q.val();
        } else if self.sel_eff.val() == self.c_copy[2].val() {
            self.cur_period.next = self.period2.q.val();
        }
        if self.shadow.val() == self.c_copy[1].val() {
            self.sh_period.next = self.period1.q.val();
        } else {
            self.sh_period.next = self.period2.q.val();
        }
        self.calendar.read_clock.next = self.clock.val();
        self.calendar.write_clock.next = self.clock.val();
        self.calendar.write_enable.next = false;
        self.calendar.write_data.next = bit_cast::<CLIENT_MASK_BITS, 64>(self.in_cmd_data.val());
        self.cal_wr_addr.next = (bit_cast::<CAL_ADDR_BITS, CMD_ADDR_BITS>(self.in_cmd_addr.val())
            << 2)
            | bit_cast::<CAL_ADDR_BITS, COPY_BITS>(self.shadow.val());
        self.calendar.write_address.next = self.cal_wr_addr.val();
        if self.swap_now.val() & self.v_ok.val() {
            self.cal_addr.next = (bit_cast::<CAL_ADDR_BITS, CNT_BITS>(self.swap_pos.q.val()) << 2)
                | bit_cast::<CAL_ADDR_BITS, COPY_BITS>(self.shadow.val());
            self.cal_pos.d.next = self.swap_pos.q.val();
        } else {
            self.cal_addr.next = (bit_cast::<CAL_ADDR_BITS, CNT_BITS>(self.cal_pos.q.val()) << 2)
                | bit_cast::<CAL_ADDR_BITS, COPY_BITS>(self.sel.q.val());
        }
        self.cal_addr_held.d.next = self.cal_addr_held.q.val();
        if self.go.val() {
            self.calendar.read_address.next = self.cal_addr.val();
            self.cal_addr_held.d.next = self.cal_addr.val();
        } else {
            self.calendar.read_address.next = self.cal_addr_held.q.val();
        }
        if self.boundary.val() {
            if self.cal_pos.q.val() + 1 == self.cur_period.val() {
                self.cal_pos.d.next = 0.into();
            } else {
                self.cal_pos.d.next = self.cal_pos.q.val() + 1;
            }
        }

        // Clients issue: slot k at phase k (the generator's in a generator run).
        self.gen_issue.next = self.c_gen_on.val()
            & (self.m_state.q.val() == self.c_gen.val())
            & self.gen_live.q.val();
        // (`CorePort` takes the request, or the generator's, into `i_*`.)
        self.p_gen.next = self.c_gen_on.val() & (self.m_state.q.val() == self.c_gen.val());
        self.p_gen_valid.next = self.gen_issue.val();
        self.p_gen_op.next = self.gen.op.val();
        self.p_gen_key.next = self.gen.key.val();
        self.p_gen_value.next = self.gen.value.val();
        if self.p_gen.val() {
            self.gen.step.next = self.go.val() & self.slot_now.val() & self.gen_issue.val();
        }
        self.issue_strobe.next = self.go.val() & self.slot_now.val();
        self.issue_client.next = bit_cast::<CLIENT_BITS, PHASE_BITS>(self.r_phase.q.val());
        // Requests per op, counted the clock after they are taken.
        for i in 0..5 {
            if self.i_new.val() & (self.i_op.val().index() == i) {
                self.n_op[i].d.next = self.n_op[i].q.val() + 1;
            }
        }
        // The calendar lets the request in (phase k + 1), or it is answered `unavailable`.
        self.open.next = false;
        for c in 0..C {
            if self.i_client.val().index() == c {
                self.open.next = self.calendar.read_data.val().get_bit(c);
            }
        }
        self.issue_open.next = self.open.val();
        if self.go.val() & self.i_valid.val() {
            if self.open.val() {
                self.n_issued.d.next = self.n_issued.q.val() + 1;
            } else {
                self.n_blocked.d.next = self.n_blocked.q.val() + 1;
            }
        }
        self.to_first.d_valid.next = self.i_valid.val() & self.open.val();
        self.to_first.d_op.next = self.i_op.val();
        self.to_first.d_key.next = self.i_key.val();
        self.to_first.d_value.next = self.i_value.val();
        self.to_first.d_x.next = bit_cast::<LINK_X_BITS, COPY_BITS>(self.i_sel.val());
        self.outstanding.d.next = self.i_requested.val();

        // Leaf FE, stage A (phase k): FE hash, shard-map read.
        self.fe_hash.key.next = self.to_first.q_key.val();
        self.shard_map.read_clock.next = self.clock.val();
        self.shard_map.write_clock.next = self.clock.val();
        self.shard_map.write_enable.next = false;
        self.map_wr_addr.next = (bit_cast::<MAP_ADDR_BITS, CMD_ADDR_BITS>(self.in_cmd_addr.val())
            << 2)
            | bit_cast::<MAP_ADDR_BITS, COPY_BITS>(self.shadow.val());
        self.shard_map.write_address.next = self.map_wr_addr.val();
        self.shard_map.write_data.next = bit_cast::<SHARD_BITS, 64>(self.in_cmd_data.val());
        if self.go.val() {
            self.shard_map.read_address.next = (bit_cast::<MAP_ADDR_BITS, BUCKET_ADDR_BITS>(
                self.fe_hash.hash.val().get_bits::<BUCKET_ADDR_BITS>(8),
            ) << 2)
                | bit_cast::<MAP_ADDR_BITS, LINK_X_BITS>(self.to_first.q_x.val());
            // The model's leaf FE first routes in round H: its LFSR draws from then on.
            self.a_slot.d.next = self.slot_now.val() & self.fe_started.q.val();
            self.a_valid.d.next = self.slot_now.val() & self.to_first.q_valid.val();
            self.a_sel.d.next = bit_cast::<COPY_BITS, LINK_X_BITS>(self.to_first.q_x.val());
            self.a_op.d.next = self.to_first.q_op.val();
            self.a_key.d.next = self.to_first.q_key.val();
            self.a_value.d.next = self.to_first.q_value.val();
            self.a_affine.d.next = self.fe_hash.hash.val().get_bits::<8>(0);
            self.a_bucket.d.next = self.fe_hash.hash.val().get_bits::<BUCKET_ADDR_BITS>(8);
        } else {
            // Paused: keep stage B's read (commands that read the map restore it).
            self.shard_map.read_address.next =
                (bit_cast::<MAP_ADDR_BITS, BUCKET_ADDR_BITS>(self.a_bucket.q.val()) << 2)
                    | bit_cast::<MAP_ADDR_BITS, COPY_BITS>(self.a_sel.q.val());
        }
        // Stage B (phase k+1): the shard, its live replicas, the policy's pick.
        // A batch of a new schedule restarts the LFSR from its seed and the
        // round-robin pointers, as the model's FE does.
        self.new_epoch.next = self.a_slot.q.val() & (self.a_sel.q.val() != self.fe_sel.q.val());
        self.a_policy.next = self.c_policy.val();
        self.lf_state.next = self.lfsr.q.val();
        if self.new_epoch.val() {
            self.lf_state.next = self.c_seed.val();
        }
        if self.a_sel.q.val() == self.c_copy[1].val() {
            self.a_policy.next = self.policy1.q.val();
            if self.new_epoch.val() {
                self.lf_state.next = self.seed1.q.val();
            }
        } else if self.a_sel.q.val() == self.c_copy[2].val() {
            self.a_policy.next = self.policy2.q.val();
            if self.new_epoch.val() {
                self.lf_state.next = self.seed2.q.val();
            }
        }
        if self.go.val() & self.a_slot.q.val() {
            self.fe_sel.d.next = self.a_sel.q.val();
        }
        self.lf_byte.next = 0.into();
        for i in 0..8 {
            self.lf_byte.next = self
                .lf_byte
                .val()
                .replace_bit(i, self.lf_state.val().get_bit(0));
            if self.lf_state.val().get_bit(0) {
                self.lf_state.next = (self.lf_state.val() >> 1) ^ self.c_taps.val();
            } else {
                self.lf_state.next = self.lf_state.val() >> 1;
            }
        }
        if self.go.val() & self.a_slot.q.val() {
            self.lfsr.d.next = self.lf_state.val();
        }
        self.shard_now.next = self.shard_map.read_data.val();
        self.live.next = 0.into();
        self.rr_ptr.next = 0.into();
        for s in 0..S {
            self.det_route.next = self.detected[s].q.val();
            if !self.r_phase.q.val().any() {
                self.det_route.next = self.det_prev[s].q.val();
            }
            if self.shard_now.val() == self.c_shard_no[s].val() {
                if self.a_sel.q.val() == self.c_copy[1].val() {
                    self.live.next =
                        !(self.failed1[s].q.val() | self.det_route.val()) & self.c_all.val();
                } else if self.a_sel.q.val() == self.c_copy[2].val() {
                    self.live.next =
                        !(self.failed2[s].q.val() | self.det_route.val()) & self.c_all.val();
                } else {
                    self.live.next =
                        !(self.c_failed[s].val() | self.det_route.val()) & self.c_all.val();
                }
                if !self.new_epoch.val() {
                    self.rr_ptr.next = self.rr[s].q.val();
                }
            }
            if self.go.val() & self.new_epoch.val() {
                self.rr[s].d.next = 0.into();
            }
        }
        self.live_n.next = 0.into();
        for r in 0..R {
            if self.live.val().get_bit(r) {
                self.live_n.next = self.live_n.val() + 1;
            }
        }
        if self.a_policy.val() == self.c_random.val() {
            self.pick_byte.next = bit_cast::<12, 8>(self.lf_byte.val());
        } else {
            self.pick_byte.next = bit_cast::<12, 8>(self.a_affine.q.val());
        }
        // k = (byte x live) >> 8
        self.scaled.next = 0.into();
        for r in 0..R {
            if self.live_n.val().index() > r {
                self.scaled.next = self.scaled.val() + self.pick_byte.val();
            }
        }
        self.kth.next = self.scaled.val().get_bits::<4>(8);
        self.got.next = false;
        self.pick.next = 0.into();
        self.seen.next = 0.into();
        for r in 0..R {
            if self.live.val().get_bit(r) {
                if !self.got.val() & (self.seen.val() == self.kth.val()) {
                    self.got.next = true;
                    self.pick.next = self.c_rep_no[r].val();
                }
                self.seen.next = self.seen.val() + 1;
            }
        }
        self.pick_next.next = 0.into();
        self.passed.next = false;
        if self.a_policy.val() == self.c_round_robin.val() {
            // The first live replica at or after the pointer, cyclically.
            self.got.next = false;
            self.pick.next = 0.into();
            for r in 0..R {
                if self.c_rep_no[r].val() == self.rr_ptr.val() {
                    self.passed.next = true;
                }
                if !self.got.val() & self.passed.val() & self.live.val().get_bit(r) {
                    self.got.next = true;
                    self.pick.next = self.c_rep_no[r].val();
                }
            }
            for r in 0..R {
                if !self.got.val() & self.live.val().get_bit(r) {
                    self.got.next = true;
                    self.pick.next = self.c_rep_no[r].val();
                }
            }
            for r in 0..R {
                if self.pick.val() == self.c_rep_no[r].val() {
                    self.pick_next.next = self.c_rep_next[r].val();
                }
            }
            for s in 0..S {
                if self.go.val()
                    & self.a_valid.q.val()
                    & self.live.val().any()
                    & (self.shard_now.val() == self.c_shard_no[s].val())
                {
                    self.rr[s].d.next = self.pick_next.val();
                }
            }
        }
        if self.go.val() {
            self.b_fwd.d.next = self.a_valid.q.val() & self.live.val().any();
            self.b_answered.d.next = self.a_valid.q.val() & !self.live.val().any();
            self.b_shard.d.next = self.shard_now.val();
            self.b_rep.d.next = self.pick.val();
            self.b_op.d.next = self.a_op.q.val();
            self.b_key.d.next = self.a_key.q.val();
            self.b_value.d.next = self.a_value.q.val();
        }
        self.to_serve.d_valid.next = self.b_fwd.q.val();
        self.to_serve.d_op.next = self.b_op.q.val();
        self.to_serve.d_key.next = self.b_key.q.val();
        self.to_serve.d_value.next = self.b_value.q.val();
        self.to_serve.d_x.next = bit_cast::<LINK_X_BITS, SHARD_BITS>(self.b_shard.q.val())
            | (bit_cast::<LINK_X_BITS, REPLICA_BITS>(self.b_rep.q.val()) << self.c_rep_at.val());
        self.pend_word.next = (bit_cast::<PEND_BITS, SHARD_BITS>(self.b_shard.q.val())
            << self.c_pend_shard_at.val())
            | (bit_cast::<PEND_BITS, REPLICA_BITS>(self.b_rep.q.val()) << self.c_pend_rep_at.val());
        self.pend_word.next = self.pend_word.val().replace_bit(0, self.b_fwd.q.val());
        self.pend_word.next = self.pend_word.val().replace_bit(1, self.b_answered.q.val());
        self.pend.d.next = self.pend_word.val();
        self.p_fwd.next = self.pend.q.val().get_bit(0);
        self.p_answered.next = self.pend.q.val().get_bit(1);
        self.p_shard.next =
            bit_cast::<SHARD_BITS, PEND_BITS>(self.pend.q.val() >> self.c_pend_shard_at.val());
        self.p_rep.next =
            bit_cast::<REPLICA_BITS, PEND_BITS>(self.pend.q.val() >> self.c_pend_rep_at.val());

        // Replicas: apply pass at phase k, serve pass at SERVE_AT + k.
        self.round_hash.key.next = self.r_round.q.val();
        self.rot_byte.next = bit_cast::<12, 8>(self.round_hash.hash.val());
        self.rot_scaled.next = 0.into();
        for _r in 0..R {
            self.rot_scaled.next = self.rot_scaled.val() + self.rot_byte.val();
        }
        self.served.d_valid.next = false;
        self.served.d_status.next = 0.into();
        self.served.d_has_value.next = false;
        self.served.d_value.next = 0.into();
        for s in 0..S {
            self.shards[s].clock.next = self.clock.val();
            self.shards[s].run.next = self.go.val();
            self.shards[s].clear.next = self.do_reset.val();
            self.shards[s].apply_slot.next = self.c_replicated.val() & self.slot_now.val();
            self.shards[s].serve_slot.next = self.serve_now.val();
            if self.serve_now.val() {
                self.shards[s].client.next = bit_cast::<CLIENT_BITS, PHASE_BITS>(
                    self.r_phase.q.val() - self.c_serve_at.val(),
                );
            } else {
                self.shards[s].client.next =
                    bit_cast::<CLIENT_BITS, PHASE_BITS>(self.r_phase.q.val());
            }
            self.shards[s].rot.next = self.rot_scaled.val().get_bits::<REPLICA_BITS>(8);
            self.shards[s].failed.next = self.crashed[s].q.val();
            if self.c_single.val() {
                self.shards[s].fwd_valid.next = self.to_first.q_valid.val();
                self.shards[s].fwd_shard.next = 0.into();
                self.shards[s].fwd_rep.next = 0.into();
                self.shards[s].fwd_op.next = self.to_first.q_op.val();
                self.shards[s].fwd_key.next = self.to_first.q_key.val();
                self.shards[s].fwd_value.next = self.to_first.q_value.val();
            } else {
                self.shards[s].fwd_valid.next = self.to_serve.q_valid.val();
                self.shards[s].fwd_shard.next =
                    bit_cast::<SHARD_BITS, LINK_X_BITS>(self.to_serve.q_x.val());
                self.shards[s].fwd_rep.next = bit_cast::<REPLICA_BITS, LINK_X_BITS>(
                    self.to_serve.q_x.val() >> self.c_rep_at.val(),
                );
                self.shards[s].fwd_op.next = self.to_serve.q_op.val();
                self.shards[s].fwd_key.next = self.to_serve.q_key.val();
                self.shards[s].fwd_value.next = self.to_serve.q_value.val();
            }
            if self.shards[s].resp_valid.val() {
                self.served.d_valid.next = true;
                self.served.d_status.next = self.shards[s].resp_status.val();
                self.served.d_has_value.next = self.shards[s].resp_has_value.val();
                self.served.d_value.next = self.shards[s].resp_value.val();
            }
            // Maintenance sweeps (set below).
            self.shards[s].wipe.next = 0.into();
            self.shards[s].sw_read.next = false;
            self.shards[s].sw_set.next = self.m_set.q.val();
            self.shards[s].sw_slot.next = bit_cast::<SLOT_BITS, CNT_BITS>(self.m_slot.q.val());
            // (A read shows the slot a clock later: the same one for
            // ReadSlot, the next for a copy, below.)
            self.shards[s].sw_next.next = bit_cast::<MS_BITS, CNT_BITS>(self.m_slot.q.val());
            self.shards[s].cp_go.next = false;
            self.shards[s].cp_src.next = self.m_src.q.val();
            self.shards[s].cp_dst.next = 0.into();
        }

        // Leaf FE, collect (phase k): the response to what it routed two
        // rounds ago; a missing one marks that replica failed, unless the
        // request reached it before it rejoined.
        self.digest_out.next = !self.digest.crc.val();
        self.crc_out.next = !self.item_crc.crc.val();
        self.det_found.next = 0.into();
        if self.go.val() {
            self.u_valid.d.next = self.p_fwd.val() | self.p_answered.val();
            self.u_status.d.next = self.c_unavailable.val();
            self.u_has_value.d.next = false;
            self.u_value.d.next = 0.into();
            if self.p_fwd.val() & self.served.q_valid.val() {
                self.u_status.d.next = self.served.q_status.val();
                self.u_has_value.d.next = self.served.q_has_value.val();
                self.u_value.d.next = self.served.q_value.val();
            }
            // (The single server has no FE: nothing detects there.)
            for s in 0..S {
                self.det_found.next = 0.into();
                if self.slot_now.val()
                    & self.p_fwd.val()
                    & !self.served.q_valid.val()
                    & !self.c_single.val()
                    & (self.p_shard.val() == self.c_shard_no[s].val())
                {
                    for r in 0..R {
                        if (self.p_rep.val() == self.c_rep_no[r].val())
                            & !self.guard[s].q.val().get_bit(r)
                            & !self.detected[s].q.val().get_bit(r)
                            & !self.det_new[s].q.val().get_bit(r)
                        {
                            self.det_found.next = self.det_found.val().replace_bit(r, true);
                            self.n_detect.d.next = self.n_detect.q.val() + 1;
                        }
                    }
                }
                if self.boundary.val() {
                    self.detected[s].d.next =
                        self.detected[s].q.val() | self.det_new[s].q.val() | self.det_found.val();
                    self.det_new[s].d.next = 0.into();
                    self.det_prev[s].d.next = self.detected[s].q.val();
                } else {
                    self.det_new[s].d.next = self.det_new[s].q.val() | self.det_found.val();
                }
            }
        }
        self.to_client.d_valid.next = self.u_valid.q.val();
        self.to_client.d_status.next = self.u_status.q.val();
        self.to_client.d_has_value.next = self.u_has_value.q.val();
        self.to_client.d_value.next = self.u_value.q.val();

        // Clients receive (phase k); an empty slot is `unavailable`.
        self.resp_strobe.next = self.go.val() & self.slot_now.val();
        self.resp_client.next = bit_cast::<CLIENT_BITS, PHASE_BITS>(self.r_phase.q.val());
        self.resp_round.next = self.r_round.q.val() - self.c_lat.val();
        self.resp_issued.next = self.outstanding.q.val();
        self.resp_status.next = self.c_unavailable.val();
        self.resp_has_value.next = false;
        self.resp_value.next = 0.into();
        if self.c_single.val() {
            if self.served.q_valid.val() {
                self.resp_status.next = self.served.q_status.val();
                self.resp_has_value.next = self.served.q_has_value.val();
                self.resp_value.next = self.served.q_value.val();
            }
        } else if self.to_client.q_valid.val() {
            self.resp_status.next = self.to_client.q_status.val();
            self.resp_has_value.next = self.to_client.q_has_value.val();
            self.resp_value.next = self.to_client.q_value.val();
        }
        if self.go.val() & self.slot_now.val() & self.outstanding.q.val() {
            for i in 0..5 {
                if self.resp_status.val().index() == i {
                    self.n_status[i].d.next = self.n_status[i].q.val() + 1;
                }
            }
        }
        // The digest: CRC-32 of each generated request's packed response slot.
        // (The shifts are the response layout's field offsets; `new` checks them.)
        self.resp_word.next = self.c_rw_valid.val()
            | (bit_cast::<RESP_PAD_BITS, STATUS_BITS>(self.resp_status.val()) << 1)
            | (bit_cast::<RESP_PAD_BITS, VALUE_BITS>(self.resp_value.val()) << 5);
        if self.resp_has_value.val() {
            self.resp_word.next = self.resp_word.val() | self.c_rw_has_value.val();
        }
        self.resp_slot.next = 0.into();
        if self.resp_issued.val() {
            self.resp_slot.next = self.resp_word.val();
        }
        self.digest.clock.next = self.clock.val();
        self.digest.data.next = self.resp_word.val();
        self.digest.step.next = false;
        self.digest.init.next = false;
        if self.c_gen_on.val()
            & (self.m_state.q.val() == self.c_gen.val())
            & self.go.val()
            & self.slot_now.val()
            & self.outstanding.q.val()
            & (self.gen_age.q.val() == self.c_lat8.val())
        {
            self.digest.step.next = true;
            self.n_gen.d.next = self.n_gen.q.val() + 1;
        }

        // ---- Command port. Decode a node number `shard * R + replica`.
        self.n_hit.next = false;
        self.n_shard.next = 0.into();
        self.n_rep.next = 0.into();
        self.n_mask.next = 0.into();
        for n in 0..NODES {
            if self.in_cmd_addr.val() == self.c_node_no[n].val() {
                self.n_hit.next = true;
                self.n_shard.next = self.c_node_shard[n].val();
                self.n_rep.next = self.c_node_rep[n].val();
            }
        }
        for r in 0..R {
            if self.n_rep.val() == self.c_rep_no[r].val() {
                self.n_mask.next = self.n_mask.val().replace_bit(r, true);
            }
        }
        self.n_crashed.next = false;
        self.n_fresh.next = false;
        self.n_others.next = 0.into();
        for s in 0..S {
            if self.n_shard.val() == self.c_shard_no[s].val() {
                self.n_crashed.next = (self.crashed[s].q.val() & self.n_mask.val()).any();
                self.n_fresh.next = (self.fresh[s].q.val() & self.n_mask.val()).any();
                self.n_others.next =
                    !self.crashed[s].q.val() & !self.n_mask.val() & self.c_all.val();
            }
        }
        // A recovering replica copies the first live other replica of its shard.
        self.src_got.next = false;
        self.src.next = 0.into();
        for r in 0..R {
            if !self.src_got.val() & self.n_others.val().get_bit(r) {
                self.src_got.next = true;
                self.src.next = self.c_rep_no[r].val();
            }
        }
        self.swap_fits.next = !self.in_cmd_data.val().get_bits::<16>(48).any();
        self.swap_late.d.next = self.swap_round.q.val() < self.r_round.q.val();

        if self.idle.val() & self.in_cmd_valid.val() & !self.do_reset.val() {
            self.r_done.d.next = true;
            self.r_status.d.next = self.c_ok.val();
            self.r_rdata.d.next = 0.into();
            if self.in_cmd_code.val() == self.c_cmd_info.val() {
                self.r_rdata.d.next = bit_cast::<64, ROUND_BITS>(self.r_round.q.val())
                    | (bit_cast::<64, PHASE_BITS>(self.r_phase.q.val()) << 48);
            } else if self.in_cmd_code.val() == self.c_cmd_read_counter.val() {
                if self.in_cmd_addr.val() >= self.c_counters.val() {
                    self.r_status.d.next = self.c_bad.val();
                }
                self.cnt_val.next = 0.into();
                if self.in_cmd_addr.val() == self.c_ix_issued.val() {
                    self.cnt_val.next = self.n_issued.q.val();
                }
                if self.in_cmd_addr.val() == self.c_ix_blocked.val() {
                    self.cnt_val.next = self.n_blocked.q.val();
                }
                for i in 0..5 {
                    if self.in_cmd_addr.val() == self.c_ix_status[i].val() {
                        self.cnt_val.next = self.n_status[i].q.val();
                    }
                    if self.in_cmd_addr.val() == self.c_ix_op[i].val() {
                        self.cnt_val.next = self.n_op[i].q.val();
                    }
                }
                if self.in_cmd_addr.val() == self.c_ix_detect.val() {
                    self.cnt_val.next = self.n_detect.q.val();
                }
                if self.in_cmd_addr.val() == self.c_ix_rounds.val() {
                    self.cnt_val.next = self.n_rounds.q.val();
                }
                if self.in_cmd_addr.val() == self.c_ix_gen.val() {
                    self.cnt_val.next = self.n_gen.q.val();
                }
                self.r_rdata.d.next = bit_cast::<64, COUNTER_BITS>(self.cnt_val.val());
                if self.c_gen_on.val() & (self.in_cmd_addr.val() == self.c_ix_digest.val()) {
                    self.r_rdata.d.next = bit_cast::<64, 32>(self.digest_out.val());
                }
            } else if self.in_cmd_code.val() == self.c_cmd_read_swap.val() {
                self.word.next = bit_cast::<64, ROUND_BITS>(self.swap_at.q.val());
                if self.armed.q.val() {
                    self.word.next = bit_cast::<64, ROUND_BITS>(self.swap_round.q.val());
                }
                self.word.next = self.word.val().replace_bit(63, self.swap_done.q.val());
                self.word.next = self.word.val().replace_bit(62, self.swap_ok.q.val());
                self.word.next = self.word.val().replace_bit(61, self.armed.q.val());
                self.r_rdata.d.next = self.word.val();
            } else if self.in_cmd_code.val() == self.c_cmd_clear_counters.val() {
                self.zero_counters.next = true;
            } else if !self.c_gen_on.val()
                & ((self.in_cmd_code.val() == self.c_cmd_gen_seed.val())
                    | (self.in_cmd_code.val() == self.c_cmd_gen_mix.val())
                    | (self.in_cmd_code.val() == self.c_cmd_gen_keys.val())
                    | (self.in_cmd_code.val() == self.c_cmd_gen_run.val()))
            {
                self.r_status.d.next = self.c_unsupported.val();
            } else if self.in_cmd_code.val() == self.c_cmd_gen_seed.val() {
                if self.in_cmd_data.val().any() {
                    self.gen.set_seed.next = self.c_gen_on.val();
                } else {
                    self.r_status.d.next = self.c_bad.val();
                }
            } else if self.in_cmd_code.val() == self.c_cmd_gen_mix.val() {
                self.gen.set_mix.next = self.c_gen_on.val();
            } else if self.in_cmd_code.val() == self.c_cmd_gen_keys.val() {
                // 2^n - 1 with 1 <= n <= min(key_bits, 56).
                if self.c_gen_on.val()
                    & self.in_cmd_data.val().get_bit(0)
                    & !(self.in_cmd_data.val() & (self.in_cmd_data.val() + self.c_one64.val()))
                        .any()
                    & !(self.in_cmd_data.val() & !self.c_key_mask.val()).any()
                {
                    self.gen.set_keys.next = self.c_gen_on.val();
                } else {
                    self.r_status.d.next = self.c_bad.val();
                }
            } else if (self.in_cmd_code.val() == self.c_cmd_stage_map.val())
                | (self.in_cmd_code.val() == self.c_cmd_stage_policy.val())
                | (self.in_cmd_code.val() == self.c_cmd_stage_failed.val())
                | (self.in_cmd_code.val() == self.c_cmd_stage_calendar.val())
                | (self.in_cmd_code.val() == self.c_cmd_stage_period.val())
            {
                // Shadow writes: refused while the shadow still serves.
                if self.shadow_busy.val() {
                    self.r_status.d.next = self.c_shadow_in_use.val();
                } else if self.in_cmd_code.val() == self.c_cmd_stage_map.val() {
                    if (self.in_cmd_addr.val() < self.c_bucket_lim.val())
                        & (self.in_cmd_data.val().get_bits::<16>(0)
                            < self.c_shards64.val().get_bits::<16>(0))
                        & !self.in_cmd_data.val().get_bits::<48>(16).any()
                    {
                        self.shard_map.write_enable.next = true;
                        self.verified.d.next = false;
                    } else {
                        self.r_status.d.next = self.c_bad.val();
                    }
                } else if self.in_cmd_code.val() == self.c_cmd_stage_policy.val() {
                    if (self.in_cmd_data.val().get_bits::<32>(0)
                        < self.c_policies.val().get_bits::<32>(0))
                        & self.in_cmd_data.val().get_bits::<32>(32).any()
                    {
                        if self.shadow.val() == self.c_copy[1].val() {
                            self.policy1.d.next = self.in_cmd_data.val().get_bits::<2>(0);
                            self.seed1.d.next = self.in_cmd_data.val().get_bits::<32>(32);
                        } else {
                            self.policy2.d.next = self.in_cmd_data.val().get_bits::<2>(0);
                            self.seed2.d.next = self.in_cmd_data.val().get_bits::<32>(32);
                        }
                        self.verified.d.next = false;
                    } else {
                        self.r_status.d.next = self.c_bad.val();
                    }
                } else if self.in_cmd_code.val() == self.c_cmd_stage_failed.val() {
                    if (self.in_cmd_addr.val() < self.c_shard_lim.val())
                        & !(self.in_cmd_data.val() & self.c_not_rmask.val()).any()
                    {
                        for s in 0..S {
                            if self.in_cmd_addr.val().index() == s {
                                if self.shadow.val() == self.c_copy[1].val() {
                                    self.failed1[s].d.next =
                                        bit_cast::<REPLICA_MASK_BITS, 64>(self.in_cmd_data.val());
                                } else {
                                    self.failed2[s].d.next =
                                        bit_cast::<REPLICA_MASK_BITS, 64>(self.in_cmd_data.val());
                                }
                            }
                        }
                        self.verified.d.next = false;
                    } else {
                        self.r_status.d.next = self.c_bad.val();
                    }
                } else if self.in_cmd_code.val() == self.c_cmd_stage_calendar.val() {
                    if (self.in_cmd_addr.val() < self.c_cal_lim.val())
                        & !(self.in_cmd_data.val() & self.c_not_cmask.val()).any()
                    {
                        self.calendar.write_enable.next = true;
                        self.verified.d.next = false;
                    } else {
                        self.r_status.d.next = self.c_bad.val();
                    }
                } else if self.in_cmd_data.val().any()
                    & (self.in_cmd_data.val().get_bits::<16>(0)
                        <= self.c_cal_max.val().get_bits::<16>(0))
                    & !self.in_cmd_data.val().get_bits::<48>(16).any()
                {
                    if self.shadow.val() == self.c_copy[1].val() {
                        self.period1.d.next = bit_cast::<CNT_BITS, 64>(self.in_cmd_data.val());
                    } else {
                        self.period2.d.next = bit_cast::<CNT_BITS, 64>(self.in_cmd_data.val());
                    }
                    self.verified.d.next = false;
                } else {
                    self.r_status.d.next = self.c_bad.val();
                }
            } else if !self.paused.val() {
                // Everything below acts on the round structure: pause first.
                if (self.in_cmd_code.val() == self.c_cmd_verify.val())
                    | (self.in_cmd_code.val() == self.c_cmd_swap.val())
                    | (self.in_cmd_code.val() == self.c_cmd_read_map.val())
                    | (self.in_cmd_code.val() == self.c_cmd_read_slot.val())
                    | (self.in_cmd_code.val() == self.c_cmd_fail.val())
                    | (self.in_cmd_code.val() == self.c_cmd_recover.val())
                    | (self.in_cmd_code.val() == self.c_cmd_gen_run.val())
                    | (self.in_cmd_code.val() == self.c_cmd_reset.val())
                {
                    self.r_status.d.next = self.c_running.val();
                } else {
                    self.r_status.d.next = self.c_unknown.val();
                }
            } else if self.in_cmd_code.val() == self.c_cmd_verify.val() {
                if self.armed.q.val() {
                    self.r_status.d.next = self.c_shadow_in_use.val();
                } else {
                    self.r_done.d.next = false;
                    self.m_state.d.next = self.c_verify.val();
                    self.m_cnt.d.next = 0.into();
                    self.m_slot.d.next = self.c_cnt_ones.val();
                    self.m_bad.d.next = false;
                    self.v_map.d.next = false;
                    self.v_cal.d.next = false;
                    self.item_crc.init.next = true;
                    self.v_used.d.next = 0.into();
                }
            } else if self.in_cmd_code.val() == self.c_cmd_swap.val() {
                if !self.verified.q.val() {
                    self.r_status.d.next = self.c_unverified.val();
                } else if self.armed.q.val() {
                    self.r_status.d.next = self.c_shadow_in_use.val();
                } else if !self.swap_fits.val() {
                    self.r_status.d.next = self.c_bad.val();
                } else {
                    // swap_pos = round mod the shadow's period, a bit per clock.
                    self.r_done.d.next = false;
                    self.m_state.d.next = self.c_div.val();
                    self.m_cnt.d.next = 0.into();
                    self.m_slot.d.next = self.c_cnt_ones.val();
                    self.swap_round.d.next = bit_cast::<ROUND_BITS, 64>(self.in_cmd_data.val());
                    self.div_q.d.next = bit_cast::<ROUND_BITS, 64>(self.in_cmd_data.val());
                    self.div_r.d.next = 0.into();
                }
            } else if self.in_cmd_code.val() == self.c_cmd_read_map.val() {
                if self.in_cmd_addr.val() < self.c_bucket_lim.val() {
                    self.r_done.d.next = false;
                    self.m_state.d.next = self.c_read.val();
                    if self.in_cmd_data.val().get_bit(0) {
                        self.shard_map.read_address.next =
                            (bit_cast::<MAP_ADDR_BITS, CMD_ADDR_BITS>(self.in_cmd_addr.val()) << 2)
                                | bit_cast::<MAP_ADDR_BITS, COPY_BITS>(self.sel.q.val());
                    } else {
                        self.shard_map.read_address.next = self.map_wr_addr.val();
                    }
                } else {
                    self.r_status.d.next = self.c_bad.val();
                }
            } else if self.in_cmd_code.val() == self.c_cmd_fail.val() {
                if self.n_hit.val() {
                    for s in 0..S {
                        if self.n_shard.val() == self.c_shard_no[s].val() {
                            if !self.n_crashed.val() {
                                self.fresh[s].d.next = self.fresh[s].q.val() | self.n_mask.val();
                            }
                            self.crashed[s].d.next = self.crashed[s].q.val() | self.n_mask.val();
                        }
                    }
                } else {
                    self.r_status.d.next = self.c_bad.val();
                }
            } else if self.in_cmd_code.val() == self.c_cmd_recover.val() {
                if !self.n_hit.val() {
                    self.r_status.d.next = self.c_bad.val();
                } else if self.n_fresh.val() {
                    self.r_status.d.next = self.c_node_state.val();
                } else {
                    for s in 0..S {
                        if self.n_shard.val() == self.c_shard_no[s].val() {
                            self.detected[s].d.next = self.detected[s].q.val() & !self.n_mask.val();
                            self.guard[s].d.next = self.guard[s].q.val() | self.n_mask.val();
                        }
                    }
                    if self.n_crashed.val() {
                        // Wipe it, copy a live replica into it, flush, then it is up.
                        self.r_done.d.next = false;
                        self.m_state.d.next = self.c_wipe.val();
                        self.m_set.d.next = 0.into();
                        self.m_shard.d.next = self.n_shard.val();
                        self.m_dst.d.next = self.n_mask.val();
                        self.m_src.d.next = self.src.val();
                        self.m_copy.d.next = self.src_got.val();
                        self.m_all.d.next = false;
                    }
                }
            } else if self.in_cmd_code.val() == self.c_cmd_gen_run.val() {
                if self.c_gen_on.val()
                    & self.in_cmd_data.val().any()
                    & !self.in_cmd_data.val().get_bits::<24>(40).any()
                {
                    self.r_done.d.next = false;
                    self.m_state.d.next = self.c_gen.val();
                    self.gen.start.next = true;
                    // (A round that begins this clock counts.)
                    self.gen_age.d.next = 0.into();
                    if self.boundary.val() {
                        self.gen_age.d.next = 1.into();
                    }
                    self.gen_end.d.next =
                        self.r_round.q.val() + bit_cast::<ROUND_BITS, 64>(self.in_cmd_data.val());
                    self.gen_last.d.next = self.r_round.q.val()
                        + bit_cast::<ROUND_BITS, 64>(self.in_cmd_data.val())
                        + self.c_lat_m1.val();
                    self.gen_starting.next = true;
                    self.digest.init.next = true;
                    self.n_gen.d.next = 0.into();
                } else {
                    self.r_status.d.next = self.c_bad.val();
                }
            } else if self.in_cmd_code.val() == self.c_cmd_read_slot.val() {
                // data = set | slot << 16 | word << 32 (see `Cmd::ReadSlot`).
                if !self.c_peek_on.val() {
                    self.r_status.d.next = self.c_unsupported.val();
                } else if self.n_hit.val()
                    & (self.in_cmd_data.val().get_bits::<16>(0) < self.c_peek_sets.val())
                    & (self.in_cmd_data.val().get_bits::<8>(16) < self.c_peek_slots.val())
                    & !self.in_cmd_data.val().get_bits::<8>(24).any()
                    & !self.in_cmd_data.val().get_bits::<30>(34).any()
                {
                    self.r_done.d.next = false;
                    self.m_state.d.next = self.c_peek.val();
                    self.m_phase.d.next = 0.into();
                    self.m_shard.d.next = self.n_shard.val();
                    self.m_src.d.next = self.n_rep.val();
                    self.m_set.d.next = bit_cast::<SET_ADDR_BITS, 64>(self.in_cmd_data.val());
                    // (the sweep shows slot m_cnt - 1)
                    self.m_cnt.d.next =
                        bit_cast::<CNT_BITS, 8>(self.in_cmd_data.val().get_bits::<8>(16)) + 1;
                    self.m_slot.d.next =
                        bit_cast::<CNT_BITS, 8>(self.in_cmd_data.val().get_bits::<8>(16));
                    self.m_word.d.next = self.in_cmd_data.val().get_bits::<2>(32);
                } else {
                    self.r_status.d.next = self.c_bad.val();
                }
            } else if self.in_cmd_code.val() == self.c_cmd_reset.val() {
                self.do_reset.next = true;
            } else {
                self.r_status.d.next = self.c_unknown.val();
            }
        }

        // Verify: the shadow map then the shadow calendar rows, one a clock,
        // into the CRC; every shard must exist; note the shards it uses.
        self.v_end.d.next = self.c_buckets.val() + self.sh_period.val();
        self.v_stop.d.next = self.c_buckets.val() + self.sh_period.val() + 2;
        self.v_item.next = bit_cast::<ITEM_BITS, SHARD_BITS>(self.shard_map.read_data.val());
        if self.v_cal.q.val() {
            self.v_item.next =
                bit_cast::<ITEM_BITS, CLIENT_MASK_BITS>(self.calendar.read_data.val());
        }
        self.v_row.d.next = self.v_item.val();
        self.v_step.d.next = false;
        self.item_crc.clock.next = self.clock.val();
        self.item_crc.data.next = self.v_row.q.val();
        self.item_crc.step.next = self.v_step.q.val();
        self.v_used_next.next = self.v_used.q.val();
        self.v_hit.next = false;
        if self.v_map.q.val() {
            for s in 0..S {
                if self.shard_map.read_data.val() == self.c_shard_no[s].val() {
                    self.v_hit.next = true;
                    self.v_used_next.next = self.v_used_next.val().replace_bit(s, true);
                }
            }
            if !self.v_hit.val() {
                self.m_bad.d.next = true;
            }
        }
        if self.m_state.q.val() == self.c_verify.val() {
            self.v_step.d.next = self.v_map.q.val() | self.v_cal.q.val();
            self.v_used.d.next = self.v_used_next.val();
            self.v_map.d.next = self.m_cnt.q.val() < self.c_buckets.val();
            self.v_cal.d.next = (self.m_cnt.q.val() >= self.c_buckets.val())
                & (self.m_cnt.q.val() < self.v_end.q.val());
            if self.m_cnt.q.val() < self.c_buckets.val() {
                self.shard_map.read_address.next =
                    (bit_cast::<MAP_ADDR_BITS, CNT_BITS>(self.m_cnt.q.val()) << 2)
                        | bit_cast::<MAP_ADDR_BITS, COPY_BITS>(self.shadow.val());
            } else if self.m_cnt.q.val() < self.v_end.q.val() {
                self.calendar.read_address.next = (bit_cast::<CAL_ADDR_BITS, CNT_BITS>(
                    self.m_cnt.q.val() - self.c_buckets.val(),
                ) << 2)
                    | bit_cast::<CAL_ADDR_BITS, COPY_BITS>(self.shadow.val());
            }
            self.m_cnt.d.next = self.m_cnt.q.val() + 1;
            self.m_slot.d.next = self.m_cnt.q.val();
            if self.m_cnt.q.val() == self.v_stop.q.val() {
                // The last row went into the CRC the clock before; the read
                // ports are back on the round's addresses.
                self.m_state.d.next = self.c_idle.val();
                self.r_done.d.next = true;
                self.r_rdata.d.next = bit_cast::<64, 32>(self.crc_out.val());
                if self.m_bad.q.val() {
                    self.r_status.d.next = self.c_bad.val();
                } else {
                    self.r_status.d.next = self.c_ok.val();
                    self.verified.d.next = true;
                    self.used_shards.d.next = self.v_used_next.val();
                }
            }
        }

        // Swap: the calendar position of the swap round, restoring division.
        self.div_bit.next = 0.into();
        if self.div_q.q.val().get_bit(self.c_round_msb.val().index()) {
            self.div_bit.next = 1.into();
        }
        self.div_t.next = (self.div_r.q.val() << 1) | bit_cast::<CNT_BITS, 1>(self.div_bit.val());
        if self.div_t.val() >= self.sh_period.val() {
            self.div_t.next = self.div_t.val() - self.sh_period.val();
        }
        if self.m_state.q.val() == self.c_div.val() {
            self.div_r.d.next = self.div_t.val();
            self.div_q.d.next = self.div_q.q.val() << 1;
            self.m_cnt.d.next = self.m_cnt.q.val() + 1;
            self.m_slot.d.next = self.m_cnt.q.val();
            if (self.m_cnt.q.val() == self.c_one_cnt.val()) & self.swap_late.q.val() {
                // The swap round has passed: nothing armed (`swap_round` is
                // read only while armed).
                self.m_state.d.next = self.c_idle.val();
                self.r_done.d.next = true;
                self.r_status.d.next = self.c_bad.val();
            }
            if self.m_cnt.q.val() == self.c_round_bits_last.val() {
                self.swap_pos.d.next = self.div_t.val();
                self.armed.d.next = true;
                self.swap_done.d.next = false;
                self.m_state.d.next = self.c_idle.val();
                self.r_done.d.next = true;
                self.r_status.d.next = self.c_ok.val();
                self.r_rdata.d.next = 0.into();
            }
        }

        // ReadMap: the memory answered.
        // ReadSlot: read the set, then take the slot's word from the sweep.
        self.pk_used.next = false;
        self.pk_key.next = 0.into();
        self.pk_value.next = 0.into();
        for s in 0..S {
            if self.m_shard.q.val() == self.c_shard_no[s].val() {
                self.pk_used.next = self.shards[s].rd.used.val();
                self.pk_key.next = self.shards[s].rd.key.val();
                self.pk_value.next = self.shards[s].rd.value.val();
            }
        }
        if self.c_peek_on.val() & (self.m_state.q.val() == self.c_peek.val()) {
            self.m_phase.d.next = self.m_phase.q.val() + 1;
            for s in 0..S {
                if self.m_shard.q.val() == self.c_shard_no[s].val() {
                    self.shards[s].sw_read.next = !self.m_phase.q.val().any();
                }
            }
            if self.m_phase.q.val().get_bit(1) {
                self.r_done.d.next = true;
                self.m_state.d.next = self.c_idle.val();
                self.r_rdata.d.next = 0.into();
                if (self.m_word.q.val().index() == 0) & self.pk_used.val() {
                    self.r_rdata.d.next = 1.into();
                }
                if self.m_word.q.val().index() == 1 {
                    self.r_rdata.d.next = bit_cast::<64, KEY_BITS>(self.pk_key.val());
                }
                if self.m_word.q.val().index() == 2 {
                    self.r_rdata.d.next = bit_cast::<64, VALUE_BITS>(self.pk_value.val());
                }
                if self.m_word.q.val().index() == 3 {
                    for s in 0..S {
                        for r in 0..R {
                            if (self.m_shard.q.val() == self.c_shard_no[s].val())
                                & (self.m_src.q.val() == self.c_rep_no[r].val())
                                & self.crashed[s].q.val().get_bit(r)
                            {
                                self.r_rdata.d.next = 1.into();
                            }
                        }
                    }
                }
            }
        }
        if self.m_state.q.val() == self.c_read.val() {
            self.m_state.d.next = self.c_idle.val();
            self.r_done.d.next = true;
            self.r_status.d.next = self.c_ok.val();
            self.r_rdata.d.next = bit_cast::<64, SHARD_BITS>(self.shard_map.read_data.val());
        }

        // Wipe: one set a clock, every way of the target (every replica on reset).
        if self.m_state.q.val() == self.c_wipe.val() {
            for s in 0..S {
                if self.m_all.q.val() {
                    self.shards[s].wipe.next = self.c_all.val();
                } else if self.m_shard.q.val() == self.c_shard_no[s].val() {
                    self.shards[s].wipe.next = self.m_dst.q.val();
                }
            }
            self.m_set.d.next = self.m_set.q.val() + 1;
            self.m_cnt.d.next = 0.into();
            self.m_slot.d.next = self.c_cnt_ones.val();
            if self.m_set.q.val() == self.c_last_set.val() {
                if self.m_copy.q.val() {
                    self.m_state.d.next = self.c_copying.val();
                } else {
                    self.m_state.d.next = self.c_flush.val();
                }
            }
        }
        // Copy: per set, a read clock, then one slot a clock into the target.
        if self.m_state.q.val() == self.c_copying.val() {
            for s in 0..S {
                if self.m_shard.q.val() == self.c_shard_no[s].val() {
                    self.shards[s].sw_read.next = true;
                    self.shards[s].sw_next.next = bit_cast::<MS_BITS, CNT_BITS>(self.m_cnt.q.val());
                    self.shards[s].cp_go.next = self.m_cnt.q.val().any();
                }
            }
            self.m_cnt.d.next = self.m_cnt.q.val() + 1;
            self.m_slot.d.next = self.m_cnt.q.val();
            if self.m_cnt.q.val() == self.c_sweep_slots.val() {
                self.m_cnt.d.next = 0.into();
                self.m_slot.d.next = self.c_cnt_ones.val();
                self.m_set.d.next = self.m_set.q.val() + 1;
                if self.m_set.q.val() == self.c_last_set.val() {
                    self.m_state.d.next = self.c_flush.val();
                }
            }
        }
        // Flush: the target writes its last copied slot; the sources' memories
        // read their pipelines' sets again.
        if self.m_state.q.val() == self.c_flush.val() {
            self.m_cnt.d.next = self.m_cnt.q.val() + 1;
            self.m_slot.d.next = self.m_cnt.q.val();
            // (Until then the target's table engine runs empty slots, so
            // that the last copied slot is through its pipeline: `cp_on`.)
            if self.m_cnt.q.val() >= self.c_flush_clocks.val() {
                self.m_state.d.next = self.c_idle.val();
                self.r_done.d.next = true;
                self.r_status.d.next = self.c_ok.val();
                self.r_rdata.d.next = 0.into();
                if !self.m_all.q.val() {
                    for s in 0..S {
                        if self.m_shard.q.val() == self.c_shard_no[s].val() {
                            self.crashed[s].d.next = self.crashed[s].q.val() & !self.m_dst.q.val();
                        }
                    }
                }
            }
        }
        // A generator run ends at the start of round first + N + latency.
        if self.c_gen_on.val() & (self.m_state.q.val() == self.c_gen.val()) & !self.go.val() {
            self.m_state.d.next = self.c_idle.val();
            self.r_done.d.next = true;
            self.r_status.d.next = self.c_ok.val();
            self.r_rdata.d.next = bit_cast::<64, 32>(self.digest_out.val());
        }

        // Links and pipelines empty on reset.
        self.to_first.clear.next = self.do_reset.val();
        self.to_serve.clear.next = self.do_reset.val();
        self.pend.clear.next = self.do_reset.val();
        self.served.clear.next = self.do_reset.val();
        self.to_client.clear.next = self.do_reset.val();
        self.outstanding.clear.next = self.do_reset.val();
        self.to_first.clock.next = self.clock.val();
        self.to_serve.clock.next = self.clock.val();
        self.pend.clock.next = self.clock.val();
        self.served.clock.next = self.clock.val();
        self.to_client.clock.next = self.clock.val();
        self.outstanding.clock.next = self.clock.val();
        self.to_first.run.next = self.go.val();
        self.to_serve.run.next = self.go.val();
        self.pend.run.next = self.go.val();
        self.served.run.next = self.go.val();
        self.to_client.run.next = self.go.val();
        self.outstanding.run.next = self.go.val();

        if self.do_reset.val() {
            // Round 0, the build's schedule (copy 0), nothing failed or
            // counted; then every table is wiped.
            self.r_phase.d.next = 0.into();
            self.r_round.d.next = 0.into();
            self.fe_started.d.next = self.c_h_zero.val();
            self.sel.d.next = self.c_copy[0].val();
            self.fe_sel.d.next = self.c_copy[0].val();
            self.cal_pos.d.next = 0.into();
            self.cal_addr_held.d.next = 0.into();
            self.lfsr.d.next = self.c_seed.val();
            self.verified.d.next = false;
            self.armed.d.next = false;
            self.swap_done.d.next = false;
            self.swap_ok.d.next = false;
            self.swap_at.d.next = 0.into();
            self.settle_left.d.next = 0.into();
            self.a_slot.d.next = false;
            self.a_valid.d.next = false;
            self.b_fwd.d.next = false;
            self.b_answered.d.next = false;
            self.u_valid.d.next = false;
            self.zero_counters.next = true;
            self.period1.d.next = self.c_period.val();
            self.period2.d.next = self.c_period.val();
            for s in 0..S {
                self.detected[s].d.next = 0.into();
                self.det_new[s].d.next = 0.into();
                self.det_prev[s].d.next = 0.into();
                self.crashed[s].d.next = 0.into();
                self.fresh[s].d.next = 0.into();
                self.guard[s].d.next = 0.into();
                self.rr[s].d.next = 0.into();
            }
            self.m_state.d.next = self.c_wipe.val();
            self.m_set.d.next = 0.into();
            self.m_all.d.next = true;
            self.m_copy.d.next = false;
            self.r_done.d.next = false;
        }
        // `ClearCounters` or a reset.
        if self.zero_counters.val() {
            self.n_issued.d.next = 0.into();
            self.n_blocked.d.next = 0.into();
            self.n_detect.d.next = 0.into();
            self.n_rounds.d.next = 0.into();
            self.n_gen.d.next = 0.into();
            for i in 0..5 {
                self.n_status[i].d.next = 0.into();
                self.n_op[i].d.next = 0.into();
            }
        }
        // What `CorePort`'s registers take next.
        self.p_idle.next = self.idle.val();
        self.p_go.next = self.go.val();
        self.p_slot_now.next = self.slot_now.val();
        self.p_do_reset.next = self.do_reset.val();
        self.p_sel.next = self.sel_eff.val();
        // The copy's target, from `cp_on` (below).
        for s in 0..S {
            if self.cp_on.q.val() & (self.m_shard.q.val() == self.c_shard_no[s].val()) {
                self.shards[s].cp_dst.next = self.m_dst.q.val();
            }
        }
        // (In the flush `m_cnt` counts up from 0, so next clock's
        // `m_cnt < c_flush_clocks` is "entering the flush, or `m_cnt <
        // c_flush_clocks - 1` now": no compare after `m_cnt`'s next value.
        // `m_copy` changes only with a recovery's start, never into a flush.)
        self.cp_on.d.next = (self.m_state.d.val() == self.c_copying.val())
            | ((self.m_state.d.val() == self.c_flush.val())
                & self.m_copy.q.val()
                & ((self.m_state.q.val() != self.c_flush.val())
                    | (self.m_cnt.q.val() < self.c_flush_last.val())));
        // `go`'s main term for the next clock, from the next state (after
        // every assignment to `m_state` and `r_phase` above).
        self.go_idle_next.next = self.m_state.d.val() == self.c_idle.val();
        self.go_phase_next.next = self.r_phase.d.val().any();
        self.nx_stop.d.next = self.r_round.d.val() == self.gen_last.d.val();
        self.at_stop.d.next = self.at_stop.q.val();
        if self.boundary.val() {
            self.at_stop.d.next = self.nx_stop.q.val();
        }
        if self.gen_starting.val() {
            self.at_stop.d.next = false;
        }
        self.gen_live.d.next = self.r_round.d.val() < self.gen_end.d.val();
        self.issue_next.next = bit_cast::<CLIENT_BITS, PHASE_BITS>(self.r_phase.d.val());
        // A generator run goes on but at its stop round's start, from the
        // same next values (after `at_stop`'s).
        self.go_gen_next.next = self.c_gen_on.val()
            & (self.m_state.d.val() == self.c_gen.val())
            & !(!self.r_phase.d.val().any() & self.at_stop.d.val());
    }
}
