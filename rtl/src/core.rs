//! The core: clients' ports, the FE tree, every shard replica and the round
//! sequencer, for the configuration this crate was built for (`params`).
//! The model it equals is `tidekv_sim::model::Model`.
//!
//! Timing (docs/DESIGN.md, "RTL timing"): a round is `T` clocks while `run`
//! is high; every node handles client slot `k` at a fixed clock of its round
//! (`k`, or `C + k` for a replica's serve pass), and every link is a delay
//! line from one node's output register to the next node's input.
//!
//! Ports, per round, one client slot per clock at phase `k < C`:
//! - `issue_*`: the core shows `issue_client = k` with `issue_strobe`; the
//!   wrapper answers in the same clock with that client's request.
//! - `resp_*`: at phase `k < C`, client `k`'s answer to what it issued in
//!   round `resp_round` (`resp_issued` says whether it issued one).
//! - `cmd_*`: the command port of `tidekv_defs::regs` (schedules, failures,
//!   counters, generator mode, reset); docs/DESIGN.md, "Command port".

use crate::delay::Delay;
use crate::hash::H3Hash;
use crate::params::*;
use crate::replica::{ReplicaNo, ShardGroup};
use crate::crc::Crc32;
use crate::gen::LoadGen;
use crate::util::{k, vec_of};
use rust_hdl::prelude::*;
use tidekv_defs::config::mask;
use tidekv_defs::hash::{columns, AFFINE_SHIFT, FE_HASH_SEED};
use tidekv_defs::layout::response_layout;
use tidekv_defs::regs::{Cmd, CmdStatus, Counter, COUNTERS};
use tidekv_defs::{ReplicaPolicy, Status};

pub type PolicyCode = Bits<2>;


/// Link delays in clocks: from the clock a producer's output register holds
/// slot `k` to the clock its consumer takes slot `k` one round later.
pub mod links {
    use crate::params::*;
    /// A replica's serve pass starts at this phase.
    pub const SERVE_AT: usize = if R > 1 { C } else { 0 };
    /// The table engine's output register holds slot k at SERVE_AT + k + 2.
    pub const SERVED_AT: usize = SERVE_AT + tidekv_defs::config::TABLE_LATENCY_CLOCKS as usize;
    /// Client issue register (phase k+1) to the leaf FE or server, H (or 1) rounds on.
    pub const ISSUE_TO_FIRST: usize = if H == 0 { T + SERVE_AT - 1 } else { H * T - 1 };
    /// Leaf FE route register (phase k+2) to the replica's serve pass.
    pub const ROUTE_TO_SERVE: usize = T + SERVE_AT - 2;
    /// Server response register to the leaf FE's collect (or, H = 0, the clients).
    pub const SERVED_TO_NEXT: usize = T - SERVED_AT;
    /// Route register (phase k+2) to collect, two rounds on.
    pub const PENDING: usize = 2 * T - 2;
    /// Collect register (phase k+1) to the clients, H rounds on.
    pub const COLLECT_TO_CLIENT: usize = if H == 0 { 0 } else { H * T - 1 };
    /// Replica update register to the apply pass (phase k) of the next round.
    pub const UPDATE: usize = SERVED_TO_NEXT;
    /// Issue register (phase k+1) to the client's receive, LAT rounds on.
    pub const OUTSTANDING: usize = LAT * T - 1;
}

/// A request slot on a link: valid, op, key, value.
#[derive(LogicBlock)]
pub struct ReqLink {
    pub clock: Signal<In, Clock>,
    pub run: Signal<In, bool>,
    pub clear: Signal<In, bool>,
    pub d_valid: Signal<In, bool>,
    pub d_op: Signal<In, OpCode>,
    pub d_key: Signal<In, Key>,
    pub d_value: Signal<In, Value>,
    pub q_valid: Signal<Out, bool>,
    pub q_op: Signal<Out, OpCode>,
    pub q_key: Signal<Out, Key>,
    pub q_value: Signal<Out, Value>,
    valid: Delay<bool>,
    op: Delay<OpCode>,
    key: Delay<Key>,
    value: Delay<Value>,
}

impl ReqLink {
    pub fn new(l: usize) -> Self {
        ReqLink {
            clock: Default::default(),
            run: Default::default(),
            clear: Default::default(),
            d_valid: Default::default(),
            d_op: Default::default(),
            d_key: Default::default(),
            d_value: Default::default(),
            q_valid: Default::default(),
            q_op: Default::default(),
            q_key: Default::default(),
            q_value: Default::default(),
            valid: Delay::new(l),
            op: Delay::new(l),
            key: Delay::new(l),
            value: Delay::new(l),
        }
    }
}

impl Logic for ReqLink {
    #[hdl_gen]
    fn update(&mut self) {
        self.valid.clock.next = self.clock.val();
        self.op.clock.next = self.clock.val();
        self.key.clock.next = self.clock.val();
        self.value.clock.next = self.clock.val();
        self.valid.run.next = self.run.val();
        self.valid.clear.next = self.clear.val();
        self.op.clear.next = self.clear.val();
        self.key.clear.next = self.clear.val();
        self.value.clear.next = self.clear.val();
        self.op.run.next = self.run.val();
        self.key.run.next = self.run.val();
        self.value.run.next = self.run.val();
        self.valid.d.next = self.d_valid.val();
        self.op.d.next = self.d_op.val();
        self.key.d.next = self.d_key.val();
        self.value.d.next = self.d_value.val();
        self.q_valid.next = self.valid.q.val();
        self.q_op.next = self.op.q.val();
        self.q_key.next = self.key.q.val();
        self.q_value.next = self.value.q.val();
    }
}

/// A response slot on a link: valid, status, has_value, value.
#[derive(LogicBlock)]
pub struct RespLink {
    pub clock: Signal<In, Clock>,
    pub run: Signal<In, bool>,
    pub clear: Signal<In, bool>,
    pub d_valid: Signal<In, bool>,
    pub d_status: Signal<In, StatusCode>,
    pub d_has_value: Signal<In, bool>,
    pub d_value: Signal<In, Value>,
    pub q_valid: Signal<Out, bool>,
    pub q_status: Signal<Out, StatusCode>,
    pub q_has_value: Signal<Out, bool>,
    pub q_value: Signal<Out, Value>,
    valid: Delay<bool>,
    status: Delay<StatusCode>,
    has_value: Delay<bool>,
    value: Delay<Value>,
}

impl RespLink {
    pub fn new(l: usize) -> Self {
        RespLink {
            clock: Default::default(),
            run: Default::default(),
            clear: Default::default(),
            d_valid: Default::default(),
            d_status: Default::default(),
            d_has_value: Default::default(),
            d_value: Default::default(),
            q_valid: Default::default(),
            q_status: Default::default(),
            q_has_value: Default::default(),
            q_value: Default::default(),
            valid: Delay::new(l),
            status: Delay::new(l),
            has_value: Delay::new(l),
            value: Delay::new(l),
        }
    }
}

impl Logic for RespLink {
    #[hdl_gen]
    fn update(&mut self) {
        self.valid.clock.next = self.clock.val();
        self.status.clock.next = self.clock.val();
        self.has_value.clock.next = self.clock.val();
        self.value.clock.next = self.clock.val();
        self.valid.run.next = self.run.val();
        self.valid.clear.next = self.clear.val();
        self.status.clear.next = self.clear.val();
        self.has_value.clear.next = self.clear.val();
        self.value.clear.next = self.clear.val();
        self.status.run.next = self.run.val();
        self.has_value.run.next = self.run.val();
        self.value.run.next = self.run.val();
        self.valid.d.next = self.d_valid.val();
        self.status.d.next = self.d_status.val();
        self.has_value.d.next = self.d_has_value.val();
        self.value.d.next = self.d_value.val();
        self.q_valid.next = self.valid.q.val();
        self.q_status.next = self.status.q.val();
        self.q_has_value.next = self.has_value.q.val();
        self.q_value.next = self.value.q.val();
    }
}

#[derive(LogicBlock)]
pub struct Core {
    /// The one clock.
    pub clock: Signal<In, Clock>,
    /// Synchronous reset, as the `Reset` command: empty every table and
    /// link, round 0, the build's schedule. Hold it one clock after power-up;
    /// the core is `busy` while it wipes the tables.
    pub reset: Signal<In, bool>,
    /// The core advances only while `run` is high and it is not busy; a
    /// round is T such clocks.
    pub run: Signal<In, bool>,
    /// The round in progress.
    pub round: Signal<Out, Round>,
    /// The clock within the round, 0..T.
    pub phase: Signal<Out, Phase>,
    pub issue_strobe: Signal<Out, bool>,
    pub issue_client: Signal<Out, Client>,
    pub issue_valid: Signal<In, bool>,
    pub issue_op: Signal<In, OpCode>,
    pub issue_key: Signal<In, Key>,
    pub issue_value: Signal<In, Value>,
    pub resp_strobe: Signal<Out, bool>,
    pub resp_client: Signal<Out, Client>,
    pub resp_round: Signal<Out, Round>,
    pub resp_issued: Signal<Out, bool>,
    pub resp_status: Signal<Out, StatusCode>,
    pub resp_has_value: Signal<Out, bool>,
    pub resp_value: Signal<Out, Value>,
    /// The same answer packed as a response slot (`tidekv_defs::layout`),
    /// all zeros when the client issued nothing.
    pub resp_slot: Signal<Out, Bits<RESP_PAD_BITS>>,
    /// Command port (`tidekv_defs::regs`): a command is taken in a clock
    /// with `cmd_valid` while `busy` is low; `cmd_done` pulses with its answer.
    pub cmd_valid: Signal<In, bool>,
    pub cmd_code: Signal<In, CmdCode>,
    pub cmd_addr: Signal<In, CmdAddr>,
    pub cmd_data: Signal<In, Bits<64>>,
    pub cmd_done: Signal<Out, bool>,
    pub cmd_status: Signal<Out, Bits<3>>,
    pub cmd_rdata: Signal<Out, Bits<64>>,
    /// A command is executing (a sweep or a generator run).
    pub busy: Signal<Out, bool>,
    /// The calendar lets the request issued at the last issue strobe in
    /// (shown from the clock after that strobe until the next run clock:
    /// the core's own decision, `issue_*` of a closed port is answered
    /// `unavailable`).
    pub issue_open: Signal<Out, bool>,
    r_phase: DFF<Phase>,
    r_round: DFF<Round>,
    c_last_phase: Constant<Phase>,
    c_clients: Constant<Phase>,
    c_serve_at: Constant<Phase>,
    c_lat: Constant<Round>,
    c_h: Constant<Round>,
    c_h_zero: Constant<bool>,
    c_gap: Constant<Bits<8>>,
    /// The leaf FE has begun to route (round >= H).
    fe_started: DFF<bool>,
    c_replicated: Constant<bool>,
    c_single: Constant<bool>,
    go: Signal<Local, bool>,
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
    swap_fits: Signal<Local, bool>,
    sh_failed: Signal<Local, ReplicaMask>,
    // ---- clients
    i_valid: DFF<bool>,
    i_requested: DFF<bool>,
    i_client: DFF<Client>,
    i_sel: DFF<Copy>,
    i_op: DFF<OpCode>,
    i_key: DFF<Key>,
    i_value: DFF<Value>,
    x_valid: Signal<Local, bool>,
    x_op: Signal<Local, OpCode>,
    x_key: Signal<Local, Key>,
    x_value: Signal<Local, Value>,
    to_first: ReqLink,
    to_first_sel: Delay<Copy>,
    outstanding: Delay<bool>,
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
    to_serve: ReqLink,
    to_serve_shard: Delay<Shard>,
    to_serve_rep: Delay<ReplicaNo>,
    pend_fwd: Delay<bool>,
    pend_answered: Delay<bool>,
    pend_shard: Delay<Shard>,
    pend_rep: Delay<ReplicaNo>,
    // ---- shards
    shards: Vec<ShardGroup>,
    round_hash: H3Hash<ROUND_BITS, 8>,
    rot_byte: Signal<Local, Bits<12>>,
    rot_scaled: Signal<Local, Bits<12>>,
    served: RespLink,
    u_valid: DFF<bool>,
    u_status: DFF<StatusCode>,
    u_has_value: DFF<bool>,
    u_value: DFF<Value>,
    c_unavailable: Constant<StatusCode>,
    to_client: RespLink,
    // ---- counters
    n_issued: DFF<Count>,
    n_blocked: DFF<Count>,
    n_status: Vec<DFF<Count>>,
    n_op: Vec<DFF<Count>>,
    n_detect: DFF<Count>,
    n_rounds: DFF<Count>,
    n_gen: DFF<Count>,
    digest: DFF<Bits<32>>,
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
    gen_first: DFF<Round>,
    gen_end: DFF<Round>,
    gen_stop: DFF<Round>,
    gen_issue: Signal<Local, bool>,
    digest_crc: Crc32<RESP_PAD_BITS>,
    resp_word: Signal<Local, Bits<RESP_PAD_BITS>>,
    c_rw_valid: Constant<Bits<RESP_PAD_BITS>>,
    c_rw_has_value: Constant<Bits<RESP_PAD_BITS>>,
    // ---- command port and maintenance sweeps
    m_state: DFF<Bits<4>>,
    m_cnt: DFF<Bits<CNT_BITS>>,
    m_set: DFF<SetAddr>,
    m_shard: DFF<Shard>,
    m_dst: DFF<ReplicaMask>,
    m_src: DFF<ReplicaNo>,
    m_copy: DFF<bool>,
    m_all: DFF<bool>,
    m_bad: DFF<bool>,
    v_map: DFF<bool>,
    v_cal: DFF<bool>,
    v_crc: DFF<Bits<32>>,
    v_used: DFF<ShardMask>,
    item_crc: Crc32<ITEM_BITS>,
    /// Restoring division of `swap_round` (its bits read in place, high
    /// first, by `div_sh`) by the shadow's period.
    div_sh: Signal<Local, Bits<8>>,
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
    c_cmd_info: Constant<CmdCode>,
    c_cmd_stage_map: Constant<CmdCode>,
    c_cmd_stage_policy: Constant<CmdCode>,
    c_cmd_stage_failed: Constant<CmdCode>,
    c_cmd_stage_calendar: Constant<CmdCode>,
    c_cmd_stage_period: Constant<CmdCode>,
    c_cmd_verify: Constant<CmdCode>,
    c_cmd_swap: Constant<CmdCode>,
    c_cmd_read_map: Constant<CmdCode>,
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
    c_one64: Constant<Bits<64>>,
    v_end: Signal<Local, Bits<CNT_BITS>>,
    v_item: Signal<Local, Bits<ITEM_BITS>>,
    v_used_next: Signal<Local, ShardMask>,
    v_ok: Signal<Local, bool>,
    v_hit: Signal<Local, bool>,
    c_round_bits_last: Constant<Bits<CNT_BITS>>,
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

impl Default for Core {
    fn default() -> Self {
        Self::new()
    }
}

impl Core {
    pub fn new() -> Core {
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
                    let shard = if copy == 0 { sched.shard_map[bucket % sched.shard_map.len()] } else { 0 };
                    (Bits::from(a), Bits::from(u64::from(shard)))
                })
                .collect(),
        );
        let calendar = RAM::new(
            (0..1u64 << CAL_ADDR_BITS)
                .map(|a| {
                    let (row, copy) = ((a >> COPY_BITS) as usize, a & mask(COPY_BITS as u32));
                    let open = if copy == 0 && row < sched.calendar.len() { sched.calendar[row] } else { 0 };
                    (Bits::from(a), Bits::from(open))
                })
                .collect(),
        );
        // The digest packs response slots as the layout says (`update` shifts by these).
        let layout = response_layout(&cfg.build);
        let (valid_at, has_value_at) = (layout.field("valid").offset, layout.field("has_value").offset);
        assert_eq!((layout.field("status").offset, layout.field("value").offset), (1, 5), "response layout moved");
        Core {
            clock: Default::default(),
            reset: Default::default(),
            run: Default::default(),
            round: Default::default(),
            phase: Default::default(),
            issue_strobe: Default::default(),
            issue_client: Default::default(),
            issue_valid: Default::default(),
            issue_op: Default::default(),
            issue_key: Default::default(),
            issue_value: Default::default(),
            resp_strobe: Default::default(),
            resp_client: Default::default(),
            resp_round: Default::default(),
            resp_issued: Default::default(),
            resp_status: Default::default(),
            resp_has_value: Default::default(),
            resp_value: Default::default(),
            resp_slot: Default::default(),
            cmd_valid: Default::default(),
            cmd_code: Default::default(),
            cmd_addr: Default::default(),
            cmd_data: Default::default(),
            cmd_done: Default::default(),
            cmd_status: Default::default(),
            cmd_rdata: Default::default(),
            busy: Default::default(),
            issue_open: Default::default(),
            r_phase: Default::default(),
            r_round: Default::default(),
            c_last_phase: k((T - 1) as u64),
            c_clients: k(C as u64),
            c_serve_at: k(SERVE_AT as u64),
            c_lat: k(LAT as u64),
            c_h: k(H as u64),
            c_h_zero: Constant::new(H == 0),
            c_gap: k({
                assert!(cfg.build.schedule_gap() < 256, "the schedule gap fits settle_left");
                cfg.build.schedule_gap()
            }),
            fe_started: Default::default(),
            c_replicated: Constant::new(R > 1),
            c_single: Constant::new(H == 0),
            go: Default::default(),
            boundary: Default::default(),
            slot_now: Default::default(),
            serve_now: Default::default(),
            sel: Default::default(),
            shadow: Default::default(),
            sel_eff: Default::default(),
            c_copy: (0..3).map(|i| k(i)).collect(),
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
            calendar: calendar,
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
            sh_failed: Default::default(),
            i_valid: Default::default(),
            i_requested: Default::default(),
            i_client: Default::default(),
            i_sel: Default::default(),
            i_op: Default::default(),
            i_key: Default::default(),
            i_value: Default::default(),
            x_valid: Default::default(),
            x_op: Default::default(),
            x_key: Default::default(),
            x_value: Default::default(),
            to_first: ReqLink::new(ISSUE_TO_FIRST),
            to_first_sel: Delay::new(ISSUE_TO_FIRST),
            outstanding: Delay::new(OUTSTANDING),
            fe_hash: H3Hash::new(&fe_cols, &fe_bits),
            shard_map: shard_map,
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
            to_serve_shard: Delay::new(ROUTE_TO_SERVE),
            to_serve_rep: Delay::new(ROUTE_TO_SERVE),
            pend_fwd: Delay::new(PENDING),
            pend_answered: Delay::new(PENDING),
            pend_shard: Delay::new(PENDING),
            pend_rep: Delay::new(PENDING),
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
            digest: Default::default(),
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
            gen_first: Default::default(),
            gen_end: Default::default(),
            gen_stop: Default::default(),
            gen_issue: Default::default(),
            digest_crc: Crc32::default(),
            resp_word: Default::default(),
            c_rw_valid: k(1 << valid_at),
            c_rw_has_value: k(1 << has_value_at),
            m_state: Default::default(),
            m_cnt: Default::default(),
            m_set: Default::default(),
            m_shard: Default::default(),
            m_dst: Default::default(),
            m_src: Default::default(),
            m_copy: Default::default(),
            m_all: Default::default(),
            m_bad: Default::default(),
            v_map: Default::default(),
            v_cal: Default::default(),
            v_crc: Default::default(),
            v_used: Default::default(),
            item_crc: Crc32::default(),
            div_sh: Default::default(),
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
            c_cmd_info: cmd(Cmd::Info),
            c_cmd_stage_map: cmd(Cmd::StageMap),
            c_cmd_stage_policy: cmd(Cmd::StagePolicy),
            c_cmd_stage_failed: cmd(Cmd::StageFailed),
            c_cmd_stage_calendar: cmd(Cmd::StageCalendar),
            c_cmd_stage_period: cmd(Cmd::StagePeriod),
            c_cmd_verify: cmd(Cmd::Verify),
            c_cmd_swap: cmd(Cmd::Swap),
            c_cmd_read_map: cmd(Cmd::ReadMap),
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
            c_one64: k(1),
            v_end: Default::default(),
            v_item: Default::default(),
            v_used_next: Default::default(),
            v_ok: Default::default(),
            v_hit: Default::default(),
            c_round_bits_last: k((ROUND_BITS - 1) as u64),
            cal_wr_addr: Default::default(),
            map_wr_addr: Default::default(),
        }
    }
}

impl Logic for Core {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clock, r_phase, r_round, fe_started, sel, cal_pos, cal_addr_held, verified, used_shards, armed, swap_round, swap_pos,
            swap_done, swap_ok, swap_at, settle_left, i_valid, i_requested, i_client, i_sel, i_op, i_key, i_value, a_slot,
            a_valid, a_sel, a_op, a_key, a_value, a_affine, a_bucket, fe_sel, lfsr, b_fwd, b_answered, b_shard, b_rep,
            b_op, b_key, b_value, u_valid, u_status, u_has_value, u_value, n_issued, n_blocked, n_detect, n_rounds, n_gen,
            digest, gen_first, gen_end, gen_stop, m_state, m_cnt, m_set, m_shard, m_dst, m_src, m_copy, m_all, m_bad,
            v_map, v_cal, v_crc, v_used, div_r, r_done, r_status, r_rdata, policy1, policy2, seed1, seed2, period1, period2
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
        self.gen.cfg_data.next = self.cmd_data.val();
        self.gen.set_seed.next = false;
        self.gen.set_mix.next = false;
        self.gen.set_keys.next = false;
        self.gen.start.next = false;
        self.gen.step.next = false;
        self.r_done.d.next = false;

        // Who drives the round: the host's `run` while idle, or a generator run.
        self.idle.next = self.m_state.q.val() == self.c_idle.val();
        self.paused.next = self.idle.val() & !self.run.val() & !self.r_phase.q.val().any();
        self.go.next = (self.run.val() & self.idle.val())
            | ((self.m_state.q.val() == self.c_gen.val())
                & !(!self.r_phase.q.val().any() & (self.r_round.q.val() == self.gen_stop.q.val())));
        self.busy.next = !self.idle.val();
        self.cmd_done.next = self.r_done.q.val();
        self.cmd_status.next = self.r_status.q.val();
        self.cmd_rdata.next = self.r_rdata.q.val();
        self.do_reset.next = self.reset.val();
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
                & (((self.sh_failed.val() | self.detected[s].q.val()) & self.c_all.val()) == self.c_all.val())
            {
                self.v_ok.next = false;
            }
        }
        if self.c_single.val() {
            self.v_ok.next = true;
        }
        self.swap_now.next =
            self.go.val() & !self.r_phase.q.val().any() & self.armed.q.val() & (self.r_round.q.val() == self.swap_round.q.val());
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
        self.calendar.write_data.next = bit_cast::<CLIENT_MASK_BITS, 64>(self.cmd_data.val());
        self.cal_wr_addr.next = (bit_cast::<CAL_ADDR_BITS, CMD_ADDR_BITS>(self.cmd_addr.val()) << 2)
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
        self.gen_issue.next = (self.m_state.q.val() == self.c_gen.val()) & (self.r_round.q.val() < self.gen_end.q.val());
        self.x_valid.next = self.issue_valid.val();
        self.x_op.next = self.issue_op.val();
        self.x_key.next = self.issue_key.val();
        self.x_value.next = self.issue_value.val();
        if self.c_gen_on.val() & (self.m_state.q.val() == self.c_gen.val()) {
            self.x_valid.next = self.gen_issue.val();
            self.x_op.next = self.gen.op.val();
            self.x_key.next = self.gen.key.val();
            self.x_value.next = self.gen.value.val();
            self.gen.step.next = self.go.val() & self.slot_now.val() & self.gen_issue.val();
        }
        self.issue_strobe.next = self.go.val() & self.slot_now.val();
        self.issue_client.next = bit_cast::<CLIENT_BITS, PHASE_BITS>(self.r_phase.q.val());
        if self.go.val() {
            self.i_requested.d.next = self.slot_now.val() & self.x_valid.val();
            self.i_valid.d.next = self.slot_now.val() & self.x_valid.val();
            self.i_client.d.next = bit_cast::<CLIENT_BITS, PHASE_BITS>(self.r_phase.q.val());
            self.i_sel.d.next = self.sel_eff.val();
            self.i_op.d.next = self.x_op.val();
            self.i_key.d.next = self.x_key.val();
            self.i_value.d.next = self.x_value.val();
            for i in 0..5 {
                if self.slot_now.val() & self.x_valid.val() & (self.x_op.val().index() == i) {
                    self.n_op[i].d.next = self.n_op[i].q.val() + 1;
                }
            }
        }
        // The calendar lets the request in (phase k + 1), or it is answered `unavailable`.
        self.open.next = false;
        for c in 0..C {
            if self.i_client.q.val().index() == c {
                self.open.next = self.calendar.read_data.val().get_bit(c);
            }
        }
        self.issue_open.next = self.open.val();
        if self.go.val() & self.i_valid.q.val() {
            if self.open.val() {
                self.n_issued.d.next = self.n_issued.q.val() + 1;
            } else {
                self.n_blocked.d.next = self.n_blocked.q.val() + 1;
            }
        }
        self.to_first.d_valid.next = self.i_valid.q.val() & self.open.val();
        self.to_first.d_op.next = self.i_op.q.val();
        self.to_first.d_key.next = self.i_key.q.val();
        self.to_first.d_value.next = self.i_value.q.val();
        self.to_first_sel.d.next = self.i_sel.q.val();
        self.outstanding.d.next = self.i_requested.q.val();

        // Leaf FE, stage A (phase k): FE hash, shard-map read.
        self.fe_hash.key.next = self.to_first.q_key.val();
        self.shard_map.read_clock.next = self.clock.val();
        self.shard_map.write_clock.next = self.clock.val();
        self.shard_map.write_enable.next = false;
        self.map_wr_addr.next = (bit_cast::<MAP_ADDR_BITS, CMD_ADDR_BITS>(self.cmd_addr.val()) << 2)
            | bit_cast::<MAP_ADDR_BITS, COPY_BITS>(self.shadow.val());
        self.shard_map.write_address.next = self.map_wr_addr.val();
        self.shard_map.write_data.next = bit_cast::<SHARD_BITS, 64>(self.cmd_data.val());
        if self.go.val() {
            self.shard_map.read_address.next = (bit_cast::<MAP_ADDR_BITS, BUCKET_ADDR_BITS>(
                self.fe_hash.hash.val().get_bits::<BUCKET_ADDR_BITS>(8),
            ) << 2)
                | bit_cast::<MAP_ADDR_BITS, COPY_BITS>(self.to_first_sel.q.val());
            // The model's leaf FE first routes in round H: its LFSR draws from then on.
            self.a_slot.d.next = self.slot_now.val() & self.fe_started.q.val();
            self.a_valid.d.next = self.slot_now.val() & self.to_first.q_valid.val();
            self.a_sel.d.next = self.to_first_sel.q.val();
            self.a_op.d.next = self.to_first.q_op.val();
            self.a_key.d.next = self.to_first.q_key.val();
            self.a_value.d.next = self.to_first.q_value.val();
            self.a_affine.d.next = self.fe_hash.hash.val().get_bits::<8>(0);
            self.a_bucket.d.next = self.fe_hash.hash.val().get_bits::<BUCKET_ADDR_BITS>(8);
        } else {
            // Paused: keep stage B's read (commands that read the map restore it).
            self.shard_map.read_address.next = (bit_cast::<MAP_ADDR_BITS, BUCKET_ADDR_BITS>(self.a_bucket.q.val()) << 2)
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
            self.lf_byte.next = self.lf_byte.val().replace_bit(i, self.lf_state.val().get_bit(0));
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
                    self.live.next = !(self.failed1[s].q.val() | self.det_route.val()) & self.c_all.val();
                } else if self.a_sel.q.val() == self.c_copy[2].val() {
                    self.live.next = !(self.failed2[s].q.val() | self.det_route.val()) & self.c_all.val();
                } else {
                    self.live.next = !(self.c_failed[s].val() | self.det_route.val()) & self.c_all.val();
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
                if self.go.val() & self.a_valid.q.val() & self.live.val().any() & (self.shard_now.val() == self.c_shard_no[s].val()) {
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
        self.to_serve_shard.d.next = self.b_shard.q.val();
        self.to_serve_rep.d.next = self.b_rep.q.val();
        self.pend_fwd.d.next = self.b_fwd.q.val();
        self.pend_answered.d.next = self.b_answered.q.val();
        self.pend_shard.d.next = self.b_shard.q.val();
        self.pend_rep.d.next = self.b_rep.q.val();

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
                self.shards[s].client.next = bit_cast::<CLIENT_BITS, PHASE_BITS>(self.r_phase.q.val() - self.c_serve_at.val());
            } else {
                self.shards[s].client.next = bit_cast::<CLIENT_BITS, PHASE_BITS>(self.r_phase.q.val());
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
                self.shards[s].fwd_shard.next = self.to_serve_shard.q.val();
                self.shards[s].fwd_rep.next = self.to_serve_rep.q.val();
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
            self.shards[s].sw_slot.next = bit_cast::<SLOT_BITS, CNT_BITS>(self.m_cnt.q.val() - 1);
            self.shards[s].cp_go.next = false;
            self.shards[s].cp_src.next = self.m_src.q.val();
            self.shards[s].cp_dst.next = 0.into();
        }

        // Leaf FE, collect (phase k): the response to what it routed two
        // rounds ago; a missing one marks that replica failed, unless the
        // request reached it before it rejoined.
        self.digest_out.next = !self.digest.q.val();
        self.crc_out.next = !self.item_crc.out.val();
        self.det_found.next = 0.into();
        if self.go.val() {
            self.u_valid.d.next = self.pend_fwd.q.val() | self.pend_answered.q.val();
            self.u_status.d.next = self.c_unavailable.val();
            self.u_has_value.d.next = false;
            self.u_value.d.next = 0.into();
            if self.pend_fwd.q.val() & self.served.q_valid.val() {
                self.u_status.d.next = self.served.q_status.val();
                self.u_has_value.d.next = self.served.q_has_value.val();
                self.u_value.d.next = self.served.q_value.val();
            }
            // (The single server has no FE: nothing detects there.)
            for s in 0..S {
                self.det_found.next = 0.into();
                if self.slot_now.val() & self.pend_fwd.q.val() & !self.served.q_valid.val() & !self.c_single.val()
                    & (self.pend_shard.q.val() == self.c_shard_no[s].val())
                {
                    for r in 0..R {
                        if (self.pend_rep.q.val() == self.c_rep_no[r].val())
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
                    self.detected[s].d.next = self.detected[s].q.val() | self.det_new[s].q.val() | self.det_found.val();
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
        self.digest_crc.crc.next = self.digest.q.val();
        self.digest_crc.data.next = self.resp_word.val();
        if self.c_gen_on.val()
            & (self.m_state.q.val() == self.c_gen.val())
            & self.go.val()
            & self.slot_now.val()
            & self.outstanding.q.val()
            & (self.resp_round.val() >= self.gen_first.q.val())
        {
            self.digest.d.next = self.digest_crc.out.val();
            self.n_gen.d.next = self.n_gen.q.val() + 1;
        }

        // ---- Command port. Decode a node number `shard * R + replica`.
        self.n_hit.next = false;
        self.n_shard.next = 0.into();
        self.n_rep.next = 0.into();
        self.n_mask.next = 0.into();
        for n in 0..NODES {
            if self.cmd_addr.val() == self.c_node_no[n].val() {
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
                self.n_others.next = !self.crashed[s].q.val() & !self.n_mask.val() & self.c_all.val();
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
        self.swap_fits.next = !self.cmd_data.val().get_bits::<16>(48).any()
            & (bit_cast::<ROUND_BITS, 64>(self.cmd_data.val()) >= self.r_round.q.val());

        if self.idle.val() & self.cmd_valid.val() & !self.do_reset.val() {
            self.r_done.d.next = true;
            self.r_status.d.next = self.c_ok.val();
            self.r_rdata.d.next = 0.into();
            if self.cmd_code.val() == self.c_cmd_info.val() {
                self.r_rdata.d.next =
                    bit_cast::<64, ROUND_BITS>(self.r_round.q.val()) | (bit_cast::<64, PHASE_BITS>(self.r_phase.q.val()) << 48);
            } else if self.cmd_code.val() == self.c_cmd_read_counter.val() {
                if self.cmd_addr.val() >= self.c_counters.val() {
                    self.r_status.d.next = self.c_bad.val();
                }
                self.cnt_val.next = 0.into();
                if self.cmd_addr.val() == self.c_ix_issued.val() {
                    self.cnt_val.next = self.n_issued.q.val();
                }
                if self.cmd_addr.val() == self.c_ix_blocked.val() {
                    self.cnt_val.next = self.n_blocked.q.val();
                }
                for i in 0..5 {
                    if self.cmd_addr.val() == self.c_ix_status[i].val() {
                        self.cnt_val.next = self.n_status[i].q.val();
                    }
                    if self.cmd_addr.val() == self.c_ix_op[i].val() {
                        self.cnt_val.next = self.n_op[i].q.val();
                    }
                }
                if self.cmd_addr.val() == self.c_ix_detect.val() {
                    self.cnt_val.next = self.n_detect.q.val();
                }
                if self.cmd_addr.val() == self.c_ix_rounds.val() {
                    self.cnt_val.next = self.n_rounds.q.val();
                }
                if self.cmd_addr.val() == self.c_ix_gen.val() {
                    self.cnt_val.next = self.n_gen.q.val();
                }
                self.r_rdata.d.next = bit_cast::<64, COUNTER_BITS>(self.cnt_val.val());
                if self.cmd_addr.val() == self.c_ix_digest.val() {
                    self.r_rdata.d.next = bit_cast::<64, 32>(self.digest_out.val());
                }
            } else if self.cmd_code.val() == self.c_cmd_read_swap.val() {
                self.word.next = bit_cast::<64, ROUND_BITS>(self.swap_at.q.val());
                if self.armed.q.val() {
                    self.word.next = bit_cast::<64, ROUND_BITS>(self.swap_round.q.val());
                }
                self.word.next = self.word.val().replace_bit(63, self.swap_done.q.val());
                self.word.next = self.word.val().replace_bit(62, self.swap_ok.q.val());
                self.word.next = self.word.val().replace_bit(61, self.armed.q.val());
                self.r_rdata.d.next = self.word.val();
            } else if self.cmd_code.val() == self.c_cmd_clear_counters.val() {
                self.zero_counters.next = true;
            } else if !self.c_gen_on.val()
                & ((self.cmd_code.val() == self.c_cmd_gen_seed.val())
                    | (self.cmd_code.val() == self.c_cmd_gen_mix.val())
                    | (self.cmd_code.val() == self.c_cmd_gen_keys.val())
                    | (self.cmd_code.val() == self.c_cmd_gen_run.val()))
            {
                self.r_status.d.next = self.c_unsupported.val();
            } else if self.cmd_code.val() == self.c_cmd_gen_seed.val() {
                if self.cmd_data.val().any() {
                    self.gen.set_seed.next = self.c_gen_on.val();
                } else {
                    self.r_status.d.next = self.c_bad.val();
                }
            } else if self.cmd_code.val() == self.c_cmd_gen_mix.val() {
                self.gen.set_mix.next = self.c_gen_on.val();
            } else if self.cmd_code.val() == self.c_cmd_gen_keys.val() {
                // 2^n - 1 with 1 <= n <= min(key_bits, 56).
                if self.cmd_data.val().get_bit(0)
                    & !(self.cmd_data.val() & (self.cmd_data.val() + self.c_one64.val())).any()
                    & !(self.cmd_data.val() & !self.c_key_mask.val()).any()
                {
                    self.gen.set_keys.next = self.c_gen_on.val();
                } else {
                    self.r_status.d.next = self.c_bad.val();
                }
            } else if (self.cmd_code.val() == self.c_cmd_stage_map.val())
                | (self.cmd_code.val() == self.c_cmd_stage_policy.val())
                | (self.cmd_code.val() == self.c_cmd_stage_failed.val())
                | (self.cmd_code.val() == self.c_cmd_stage_calendar.val())
                | (self.cmd_code.val() == self.c_cmd_stage_period.val())
            {
                // Shadow writes: refused while the shadow still serves.
                if self.shadow_busy.val() {
                    self.r_status.d.next = self.c_shadow_in_use.val();
                } else if self.cmd_code.val() == self.c_cmd_stage_map.val() {
                    if (self.cmd_addr.val() < self.c_bucket_lim.val()) & (self.cmd_data.val() < self.c_shards64.val()) {
                        self.shard_map.write_enable.next = true;
                        self.verified.d.next = false;
                    } else {
                        self.r_status.d.next = self.c_bad.val();
                    }
                } else if self.cmd_code.val() == self.c_cmd_stage_policy.val() {
                    if (self.cmd_data.val().get_bits::<32>(0) < self.c_policies.val().get_bits::<32>(0))
                        & self.cmd_data.val().get_bits::<32>(32).any()
                    {
                        if self.shadow.val() == self.c_copy[1].val() {
                            self.policy1.d.next = self.cmd_data.val().get_bits::<2>(0);
                            self.seed1.d.next = self.cmd_data.val().get_bits::<32>(32);
                        } else {
                            self.policy2.d.next = self.cmd_data.val().get_bits::<2>(0);
                            self.seed2.d.next = self.cmd_data.val().get_bits::<32>(32);
                        }
                        self.verified.d.next = false;
                    } else {
                        self.r_status.d.next = self.c_bad.val();
                    }
                } else if self.cmd_code.val() == self.c_cmd_stage_failed.val() {
                    if (self.cmd_addr.val() < self.c_shard_lim.val()) & !(self.cmd_data.val() & self.c_not_rmask.val()).any() {
                        for s in 0..S {
                            if self.cmd_addr.val().index() == s {
                                if self.shadow.val() == self.c_copy[1].val() {
                                    self.failed1[s].d.next = bit_cast::<REPLICA_MASK_BITS, 64>(self.cmd_data.val());
                                } else {
                                    self.failed2[s].d.next = bit_cast::<REPLICA_MASK_BITS, 64>(self.cmd_data.val());
                                }
                            }
                        }
                        self.verified.d.next = false;
                    } else {
                        self.r_status.d.next = self.c_bad.val();
                    }
                } else if self.cmd_code.val() == self.c_cmd_stage_calendar.val() {
                    if (self.cmd_addr.val() < self.c_cal_lim.val()) & !(self.cmd_data.val() & self.c_not_cmask.val()).any() {
                        self.calendar.write_enable.next = true;
                        self.verified.d.next = false;
                    } else {
                        self.r_status.d.next = self.c_bad.val();
                    }
                } else if self.cmd_data.val().any() & (self.cmd_data.val() <= self.c_cal_max.val()) {
                    if self.shadow.val() == self.c_copy[1].val() {
                        self.period1.d.next = bit_cast::<CNT_BITS, 64>(self.cmd_data.val());
                    } else {
                        self.period2.d.next = bit_cast::<CNT_BITS, 64>(self.cmd_data.val());
                    }
                    self.verified.d.next = false;
                } else {
                    self.r_status.d.next = self.c_bad.val();
                }
            } else if !self.paused.val() {
                // Everything below acts on the round structure: pause first.
                if (self.cmd_code.val() == self.c_cmd_verify.val())
                    | (self.cmd_code.val() == self.c_cmd_swap.val())
                    | (self.cmd_code.val() == self.c_cmd_read_map.val())
                    | (self.cmd_code.val() == self.c_cmd_fail.val())
                    | (self.cmd_code.val() == self.c_cmd_recover.val())
                    | (self.cmd_code.val() == self.c_cmd_gen_run.val())
                    | (self.cmd_code.val() == self.c_cmd_reset.val())
                {
                    self.r_status.d.next = self.c_running.val();
                } else {
                    self.r_status.d.next = self.c_unknown.val();
                }
            } else if self.cmd_code.val() == self.c_cmd_verify.val() {
                if self.armed.q.val() {
                    self.r_status.d.next = self.c_shadow_in_use.val();
                } else {
                    self.r_done.d.next = false;
                    self.m_state.d.next = self.c_verify.val();
                    self.m_cnt.d.next = 0.into();
                    self.m_bad.d.next = false;
                    self.v_map.d.next = false;
                    self.v_cal.d.next = false;
                    self.v_crc.d.next = 0xffff_ffff_u64.into();
                    self.v_used.d.next = 0.into();
                }
            } else if self.cmd_code.val() == self.c_cmd_swap.val() {
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
                    self.swap_round.d.next = bit_cast::<ROUND_BITS, 64>(self.cmd_data.val());
                    self.div_r.d.next = 0.into();
                }
            } else if self.cmd_code.val() == self.c_cmd_read_map.val() {
                if self.cmd_addr.val() < self.c_bucket_lim.val() {
                    self.r_done.d.next = false;
                    self.m_state.d.next = self.c_read.val();
                    if self.cmd_data.val().get_bit(0) {
                        self.shard_map.read_address.next = (bit_cast::<MAP_ADDR_BITS, CMD_ADDR_BITS>(self.cmd_addr.val()) << 2)
                            | bit_cast::<MAP_ADDR_BITS, COPY_BITS>(self.sel.q.val());
                    } else {
                        self.shard_map.read_address.next = self.map_wr_addr.val();
                    }
                } else {
                    self.r_status.d.next = self.c_bad.val();
                }
            } else if self.cmd_code.val() == self.c_cmd_fail.val() {
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
            } else if self.cmd_code.val() == self.c_cmd_recover.val() {
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
            } else if self.cmd_code.val() == self.c_cmd_gen_run.val() {
                if self.c_gen_on.val() & self.cmd_data.val().any() & !self.cmd_data.val().get_bits::<24>(40).any() {
                    self.r_done.d.next = false;
                    self.m_state.d.next = self.c_gen.val();
                    self.gen.start.next = true;
                    self.gen_first.d.next = self.r_round.q.val();
                    self.gen_end.d.next = self.r_round.q.val() + bit_cast::<ROUND_BITS, 64>(self.cmd_data.val());
                    self.gen_stop.d.next =
                        self.r_round.q.val() + bit_cast::<ROUND_BITS, 64>(self.cmd_data.val()) + self.c_lat.val();
                    self.digest.d.next = 0xffff_ffff_u64.into();
                    self.n_gen.d.next = 0.into();
                } else {
                    self.r_status.d.next = self.c_bad.val();
                }
            } else if self.cmd_code.val() == self.c_cmd_reset.val() {
                self.do_reset.next = true;
            } else {
                self.r_status.d.next = self.c_unknown.val();
            }
        }

        // Verify: the shadow map then the shadow calendar rows, one a clock,
        // into the CRC; every shard must exist; note the shards it uses.
        self.v_end.next = self.c_buckets.val() + self.sh_period.val();
        self.v_item.next = bit_cast::<ITEM_BITS, SHARD_BITS>(self.shard_map.read_data.val());
        if self.v_cal.q.val() {
            self.v_item.next = bit_cast::<ITEM_BITS, CLIENT_MASK_BITS>(self.calendar.read_data.val());
        }
        self.item_crc.crc.next = self.v_crc.q.val();
        self.item_crc.data.next = self.v_item.val();
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
            if self.v_map.q.val() | self.v_cal.q.val() {
                self.v_crc.d.next = self.item_crc.out.val();
            }
            self.v_used.d.next = self.v_used_next.val();
            self.v_map.d.next = self.m_cnt.q.val() < self.c_buckets.val();
            self.v_cal.d.next = (self.m_cnt.q.val() >= self.c_buckets.val()) & (self.m_cnt.q.val() < self.v_end.val());
            if self.m_cnt.q.val() < self.c_buckets.val() {
                self.shard_map.read_address.next = (bit_cast::<MAP_ADDR_BITS, CNT_BITS>(self.m_cnt.q.val()) << 2)
                    | bit_cast::<MAP_ADDR_BITS, COPY_BITS>(self.shadow.val());
            } else if self.m_cnt.q.val() < self.v_end.val() {
                self.calendar.read_address.next = (bit_cast::<CAL_ADDR_BITS, CNT_BITS>(self.m_cnt.q.val() - self.c_buckets.val()) << 2)
                    | bit_cast::<CAL_ADDR_BITS, COPY_BITS>(self.shadow.val());
            }
            self.m_cnt.d.next = self.m_cnt.q.val() + 1;
            if self.m_cnt.q.val() == self.v_end.val() {
                // The last row is in the CRC this clock; the read ports are
                // back on the round's addresses.
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
        self.div_sh.next = bit_cast::<8, CNT_BITS>(self.c_round_bits_last.val() - self.m_cnt.q.val());
        self.div_bit.next = bit_cast::<1, ROUND_BITS>(self.swap_round.q.val() >> self.div_sh.val());
        self.div_t.next = (self.div_r.q.val() << 1) | bit_cast::<CNT_BITS, 1>(self.div_bit.val());
        if self.div_t.val() >= self.sh_period.val() {
            self.div_t.next = self.div_t.val() - self.sh_period.val();
        }
        if self.m_state.q.val() == self.c_div.val() {
            self.div_r.d.next = self.div_t.val();
            self.m_cnt.d.next = self.m_cnt.q.val() + 1;
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
                    self.shards[s].cp_dst.next = self.m_dst.q.val();
                    self.shards[s].cp_go.next = self.m_cnt.q.val().any();
                }
            }
            self.m_cnt.d.next = self.m_cnt.q.val() + 1;
            if self.m_cnt.q.val() == self.c_sweep_slots.val() {
                self.m_cnt.d.next = 0.into();
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
            if !self.m_cnt.q.val().any() {
                for s in 0..S {
                    if self.m_copy.q.val() & (self.m_shard.q.val() == self.c_shard_no[s].val()) {
                        self.shards[s].cp_dst.next = self.m_dst.q.val();
                    }
                }
            } else {
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
        if (self.m_state.q.val() == self.c_gen.val()) & !self.go.val() {
            self.m_state.d.next = self.c_idle.val();
            self.r_done.d.next = true;
            self.r_status.d.next = self.c_ok.val();
            self.r_rdata.d.next = bit_cast::<64, 32>(self.digest_out.val());
        }

        // Links and pipelines empty on reset.
        self.to_first.clear.next = self.do_reset.val();
        self.to_first_sel.clear.next = self.do_reset.val();
        self.to_serve.clear.next = self.do_reset.val();
        self.to_serve_shard.clear.next = self.do_reset.val();
        self.to_serve_rep.clear.next = self.do_reset.val();
        self.pend_fwd.clear.next = self.do_reset.val();
        self.pend_answered.clear.next = self.do_reset.val();
        self.pend_shard.clear.next = self.do_reset.val();
        self.pend_rep.clear.next = self.do_reset.val();
        self.served.clear.next = self.do_reset.val();
        self.to_client.clear.next = self.do_reset.val();
        self.outstanding.clear.next = self.do_reset.val();
        self.to_first.clock.next = self.clock.val();
        self.to_first_sel.clock.next = self.clock.val();
        self.to_serve.clock.next = self.clock.val();
        self.to_serve_shard.clock.next = self.clock.val();
        self.to_serve_rep.clock.next = self.clock.val();
        self.pend_fwd.clock.next = self.clock.val();
        self.pend_answered.clock.next = self.clock.val();
        self.pend_shard.clock.next = self.clock.val();
        self.pend_rep.clock.next = self.clock.val();
        self.served.clock.next = self.clock.val();
        self.to_client.clock.next = self.clock.val();
        self.outstanding.clock.next = self.clock.val();
        self.to_first.run.next = self.go.val();
        self.to_first_sel.run.next = self.go.val();
        self.to_serve.run.next = self.go.val();
        self.to_serve_shard.run.next = self.go.val();
        self.to_serve_rep.run.next = self.go.val();
        self.pend_fwd.run.next = self.go.val();
        self.pend_answered.run.next = self.go.val();
        self.pend_shard.run.next = self.go.val();
        self.pend_rep.run.next = self.go.val();
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
            self.i_valid.d.next = false;
            self.i_requested.d.next = false;
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
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{clocks, response_of, settle, yosys_check};
    use tidekv_defs::gen::{GenConfig, OpMix};
    use tidekv_defs::hash::splitmix64;
    use tidekv_defs::regs::{gen_keys_mask, gen_mix_word};
    use tidekv_defs::{Op, Request, Response, Schedule};
    use tidekv_sim::drive;
    use tidekv_sim::model::Model;

    #[test]
    fn core_generates_and_synthesizes() {
        let mut c = Core::new();
        c.connect_all();
        yosys_check("core", &generate_verilog(&c));
    }

    /// The core under rust-hdl's simulator, driven a round or a command at a time.
    pub(crate) struct Driver {
        pub c: Box<Core>,
    }

    impl Driver {
        pub fn new() -> Driver {
            let mut c = Box::new(Core::new());
            c.connect_all();
            let mut d = Driver { c };
            d.c.reset.next = true;
            d.clock();
            d.c.reset.next = false;
            d.wait_idle();
            d
        }
        fn clock(&mut self) {
            clocks(&mut *self.c, 1, |c| &mut c.clock);
        }
        fn wait_idle(&mut self) {
            for _ in 0..100_000 {
                settle(&mut *self.c);
                if !self.c.busy.val() {
                    return;
                }
                self.clock();
            }
            panic!("the core stayed busy");
        }
        /// One command; its status and rdata.
        pub fn cmd(&mut self, code: Cmd, addr: u64, data: u64) -> (CmdStatus, u64) {
            self.cmd_raw(u64::from(code.code()), addr, data)
        }
        pub fn cmd_raw(&mut self, code: u64, addr: u64, data: u64) -> (CmdStatus, u64) {
            self.wait_idle();
            self.c.cmd_valid.next = true;
            self.c.cmd_code.next = code.into();
            self.c.cmd_addr.next = addr.into();
            self.c.cmd_data.next = data.into();
            self.clock();
            self.c.cmd_valid.next = false;
            for _ in 0..1_000_000 {
                settle(&mut *self.c);
                if self.c.cmd_done.val() {
                    let st = CmdStatus::from_code(self.c.cmd_status.val().to_u64() as u8).expect("a status code");
                    let rdata = self.c.cmd_rdata.val().to_u64();
                    self.clock();
                    return (st, rdata);
                }
                self.clock();
            }
            panic!("command {code} never answered");
        }
        pub fn ok(&mut self, code: Cmd, addr: u64, data: u64) -> u64 {
            let (st, rdata) = self.cmd(code, addr, data);
            assert_eq!(st, CmdStatus::Ok, "{code} {addr} {data}");
            rdata
        }
        pub fn counter(&mut self, c: Counter) -> u64 {
            self.ok(Cmd::ReadCounter, u64::from(c.code()), 0)
        }
        /// Stage, verify (checking the CRC) and arm a schedule for `round`.
        pub fn load_schedule(&mut self, s: &Schedule, round: u64) {
            drive::load_schedule(self, &config().build, s, round).unwrap_or_else(|e| panic!("{e}"));
        }
        /// Run one round with these requests; what the clients receive.
        pub fn round(&mut self, reqs: &[Option<Request>]) -> Vec<Option<Response>> {
            self.round_full(reqs).into_iter().map(|g| g.map(|(_, r)| r)).collect()
        }
        /// Run one round; per client, the issue round answered and the response.
        pub fn round_full(&mut self, reqs: &[Option<Request>]) -> Vec<Option<(u64, Response)>> {
            let u = self.c.round.val().to_u64();
            let mut got = vec![None; C];
            self.c.run.next = true;
            for ph in 0..T {
                if ph < C {
                    let r = reqs[ph];
                    self.c.issue_valid.next = r.is_some();
                    let r = r.unwrap_or(Request { op: Op::Get, key: 0, value: 0 });
                    self.c.issue_op.next = u64::from(r.op.code()).into();
                    self.c.issue_key.next = r.key.into();
                    self.c.issue_value.next = r.value.into();
                }
                settle(&mut *self.c);
                assert_eq!(self.c.phase.val().to_u64(), ph as u64);
                if ph < C {
                    assert!(self.c.issue_strobe.val() && self.c.resp_strobe.val());
                    assert_eq!(self.c.resp_client.val().to_u64(), ph as u64);
                    if self.c.resp_issued.val() {
                        assert_eq!(self.c.resp_round.val().to_u64(), u - LAT as u64);
                        got[ph] = Some((u - LAT as u64, response_of(self.c.resp_status.val(), self.c.resp_has_value.val(), self.c.resp_value.val())));
                    }
                }
                self.clock();
            }
            self.c.run.next = false;
            settle(&mut *self.c);
            assert_eq!(self.c.round.val().to_u64(), u + 1);
            got
        }
    }

    impl drive::Core for Driver {
        type Error = drive::Refusal;
        fn clients(&self) -> usize {
            C
        }
        fn latency(&self) -> u64 {
            LAT as u64
        }
        fn cmd(&mut self, cmd: Cmd, addr: u32, data: u64) -> Result<(CmdStatus, u64), drive::Refusal> {
            Ok(Driver::cmd(self, cmd, u64::from(addr), data))
        }
        fn round(&mut self, reqs: &[Option<Request>]) -> Result<Vec<Option<(u64, Response)>>, drive::Refusal> {
            Ok(self.round_full(reqs))
        }
    }

    /// Random mixed traffic on few keys.
    fn traffic(seed: u64, quiet_from: u64) -> impl FnMut(u64, usize) -> Option<Request> {
        let mut rng = seed;
        move |u, _| {
            let r = splitmix64(&mut rng);
            if u >= quiet_from || r % 5 == 0 {
                return None;
            }
            let op = [Op::Get, Op::Insert, Op::Modify, Op::Put, Op::Delete, Op::Put, Op::Get][(r % 7) as usize];
            Some(Request { op, key: r >> 8 & 15, value: r >> 32 & 0xff })
        }
    }

    /// Drive the core and the model round by round, with `before` run on
    /// both ahead of each round; compare what every client receives.
    fn against_model(
        rounds: u64,
        mut issue: impl FnMut(u64, usize) -> Option<Request>,
        mut before: impl FnMut(u64, &mut Driver, &mut Model),
    ) -> (Driver, Model, u64) {
        let mut m = Model::new(&config());
        let mut d = Driver::new();
        let mut answered = 0;
        for u in 0..rounds {
            before(u, &mut d, &mut m);
            let reqs: Vec<Option<Request>> = (0..C)
                .map(|ci| issue(u, ci).filter(|_| m.schedule().may_issue(u, ci as u32) || u % 2 == 0))
                .collect();
            let want: Vec<Option<Response>> = match m.step(&reqs) {
                Some(done) => done.slots.iter().map(|s| s.map(|(_, r)| r)).collect(),
                None => vec![None; C],
            };
            let got = d.round(&reqs);
            assert_eq!(got, want, "round {u}: what the clients receive");
            answered += want.iter().flatten().count() as u64;
        }
        (d, m, answered)
    }

    #[test]
    fn core_answers_like_the_model() {
        let (mut d, m, n) = against_model(36, traffic(11, 30), |_, _, _| {});
        assert!(n > 50, "{n} answers compared");
        let c = m.counters();
        assert_eq!(d.counter(Counter::Issued), c.issued);
        assert_eq!(d.counter(Counter::StatusOk), c.status[0]);
        assert_eq!(d.counter(Counter::StatusNotFound), c.status[1]);
        assert_eq!(d.counter(Counter::Rounds), 36);
    }

    /// A schedule swapped in mid-traffic: another map, policy and seed, a
    /// calendar that closes ports, a replica marked failed.
    #[test]
    fn core_swaps_schedules_like_the_model() {
        let b = config().build;
        let mut s2 = Schedule::default_for(&b);
        s2.shard_map = (0..b.buckets as u16).map(|i| (i + 1) % b.shards as u16).collect();
        s2.replica_policy = ReplicaPolicy::KeyAffine;
        s2.seed = 77;
        s2.calendar = vec![mask(C as u32), 0b101];
        s2.failed[1] = 0b10;
        let mut s3 = s2.clone();
        s3.replica_policy = ReplicaPolicy::Random;
        s3.seed = 12345;
        s3.failed[1] = 0;
        let (mut d, _, n) = against_model(34, traffic(5, 30), |u, d, m| {
            if u == 6 {
                d.load_schedule(&s2, 9);
                m.stage_schedule(9, s2.clone());
            }
            if u == 14 {
                let (st, _) = d.cmd(Cmd::StageMap, 0, 0);
                assert_eq!(st, CmdStatus::Ok, "the shadow is free again by now");
                d.load_schedule(&s3, 17);
                m.stage_schedule(17, s3.clone());
            }
            if u == 17 {
                let (st, _) = d.cmd(Cmd::StageMap, 0, 0);
                assert_eq!(st, CmdStatus::ShadowInUse, "the swapped-out copy still serves");
            }
        });
        assert!(n > 40, "{n} answers compared");
        let swap = d.ok(Cmd::ReadSwap, 0, 0);
        assert_eq!((swap >> 63, swap >> 62 & 1, swap & mask(48)), (1, 1, 17), "the last swap took effect in round 17");
        assert!(d.counter(Counter::CalendarBlocked) > 0, "the calendar closed ports");
    }

    /// A replica fails mid-traffic (the FE detects it), recovers by copying
    /// its live peer, and serves again.
    #[test]
    fn core_fails_and_recovers_like_the_model() {
        let (mut d, m, n) = against_model(40, traffic(23, 36), |u, d, m| {
            if u == 8 {
                d.ok(Cmd::Fail, 1, 0); // shard 0, replica 1
                m.fail(0, 1);
                let (st, _) = d.cmd(Cmd::Recover, 1, 0);
                assert_eq!(st, CmdStatus::NodeState, "no recovery in the round of the failure");
            }
            if u == 20 {
                d.ok(Cmd::Recover, 1, 0);
                m.recover(0, 1);
            }
        });
        assert!(n > 50, "{n} answers compared");
        assert_eq!(d.counter(Counter::Detections), m.counters().detections);
        assert!(m.counters().detections > 0, "the failure was detected");
    }

    #[test]
    fn core_generator_digest_equals_the_model() {
        let b = config().build;
        let g = GenConfig { seed: 99, rounds: 12, key_range_bits: 4, mix: OpMix::default() };
        let mut m = Model::new(&config());
        let want = m.run_generator(&g);
        let mut d = Driver::new();
        d.ok(Cmd::GenSeed, 0, g.seed);
        d.ok(Cmd::GenMix, 0, gen_mix_word(&g));
        d.ok(Cmd::GenKeys, 0, gen_keys_mask(&g));
        let digest = d.ok(Cmd::GenRun, 0, g.rounds);
        assert_eq!(digest, u64::from(want.digest), "digest");
        assert_eq!(d.counter(Counter::GenRequests), want.requests);
        assert_eq!(d.counter(Counter::GenDigest), u64::from(want.digest));
        for op in Op::ALL {
            assert_eq!(d.counter(Counter::op(op.code())), want.op_counts[op.code() as usize], "{op} requests");
        }
        assert_eq!(want.requests, g.rounds * u64::from(b.clients));
        // Reset empties the tables: the same run again gives the same digest.
        d.ok(Cmd::Reset, 0, 0);
        assert_eq!(d.ok(Cmd::GenRun, 0, g.rounds), u64::from(want.digest), "digest after reset");
    }

    #[test]
    fn core_refuses_bad_commands() {
        let b = config().build;
        let mut d = Driver::new();
        let bad = [
            (Cmd::StageMap, b.buckets as u64, 0),
            (Cmd::StageMap, 0, S as u64),
            (Cmd::StagePolicy, 0, 7 | 1 << 32),
            (Cmd::StagePolicy, 0, 0),
            (Cmd::StageFailed, S as u64, 0),
            (Cmd::StageFailed, 0, 1 << R),
            (Cmd::StageCalendar, CAL_MAX as u64, 0),
            (Cmd::StageCalendar, 0, 1 << C),
            (Cmd::StagePeriod, 0, 0),
            (Cmd::StagePeriod, 0, CAL_MAX as u64 + 1),
            (Cmd::Fail, NODES as u64, 0),
            (Cmd::ReadCounter, tidekv_defs::regs::COUNTERS as u64, 0),
            (Cmd::GenSeed, 0, 0),
            (Cmd::GenKeys, 0, 0b101),
            (Cmd::GenRun, 0, 0),
        ];
        for (code, addr, data) in bad {
            assert_eq!(d.cmd(code, addr, data).0, CmdStatus::BadArgument, "{code} {addr} {data}");
        }
        assert_eq!(d.cmd(Cmd::Swap, 0, 5).0, CmdStatus::Unverified);
        d.ok(Cmd::Verify, 0, 0);
        d.round(&vec![None; C]);
        assert_eq!(d.cmd(Cmd::Swap, 0, 0).0, CmdStatus::BadArgument, "round 0 has passed");
        // Mid-round, the round structure is off limits.
        d.c.run.next = true;
        clocks(&mut *d.c, 1, |c| &mut c.clock);
        d.c.run.next = false;
        assert_eq!(d.cmd(Cmd::Fail, 0, 0).0, CmdStatus::Running);
        assert_eq!(d.cmd(Cmd::Info, 0, 0), (CmdStatus::Ok, 1 | 1 << 48), "round 1, phase 1");
        let unknown = (0..1u64 << CMD_BITS).find(|&c| Cmd::from_code(c as u8).is_none()).expect("a free code");
        assert_eq!(d.cmd_raw(unknown, 0, 0).0, CmdStatus::Unknown);
    }
}
