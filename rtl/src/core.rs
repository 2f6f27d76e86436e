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

use crate::delay::Delay;
use crate::hash::H3Hash;
use crate::params::*;
use crate::replica::{ReplicaNo, ShardGroup};
use crate::util::{k, vec_of};
use rust_hdl::prelude::*;
use tidekv_defs::hash::{columns, AFFINE_SHIFT, FE_HASH_SEED};
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
    /// Synchronous reset to power-up state: round 0, the build's schedule.
    pub reset: Signal<In, bool>,
    /// The core advances only while `run` is high; a round is T run clocks.
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
    r_phase: DFF<Phase>,
    r_round: DFF<Round>,
    c_last_phase: Constant<Phase>,
    c_clients: Constant<Phase>,
    c_serve_at: Constant<Phase>,
    c_lat: Constant<Round>,
    c_h: Constant<Round>,
    c_h_zero: Constant<bool>,
    /// The leaf FE has begun to route (round >= H).
    fe_started: DFF<bool>,
    c_replicated: Constant<bool>,
    c_single: Constant<bool>,
    slot_now: Signal<Local, bool>,
    serve_now: Signal<Local, bool>,
    i_valid: DFF<bool>,
    i_requested: DFF<bool>,
    i_op: DFF<OpCode>,
    i_key: DFF<Key>,
    i_value: DFF<Value>,
    to_first: ReqLink,
    outstanding: Delay<bool>,
    fe_hash: H3Hash<KEY_BITS, FE_HASH_OUT>,
    shard_map: RAM<Shard, BUCKET_ADDR_BITS>,
    a_slot: DFF<bool>,
    a_valid: DFF<bool>,
    a_op: DFF<OpCode>,
    a_key: DFF<Key>,
    a_value: DFF<Value>,
    a_affine: DFF<Bits<8>>,
    a_bucket: DFF<Bits<BUCKET_ADDR_BITS>>,
    lfsr: DFF<Bits<32>>,
    c_seed: Constant<Bits<32>>,
    c_taps: Constant<Bits<32>>,
    policy: DFF<PolicyCode>,
    c_policy: Constant<PolicyCode>,
    c_random: Constant<PolicyCode>,
    c_round_robin: Constant<PolicyCode>,
    failed_sched: Vec<DFF<ReplicaMask>>,
    c_failed: Vec<Constant<ReplicaMask>>,
    detected: Vec<DFF<ReplicaMask>>,
    crashed: Vec<DFF<ReplicaMask>>,
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
}

/// FE hash bits the leaf FE uses: the key-affine byte, then the bucket.
pub const FE_HASH_OUT: usize = 8 + BUCKET_ADDR_BITS;

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
        let shard_map = RAM::new(
            (0..1u64 << BUCKET_ADDR_BITS)
                .map(|b| (Bits::from(b), Bits::from(u64::from(sched.shard_map[(b as usize) % sched.shard_map.len()]))))
                .collect(),
        );
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
            r_phase: Default::default(),
            r_round: Default::default(),
            c_last_phase: k((T - 1) as u64),
            c_clients: k(C as u64),
            c_serve_at: k(SERVE_AT as u64),
            c_lat: k(LAT as u64),
            c_h: k(H as u64),
            c_h_zero: Constant::new(H == 0),
            fe_started: Default::default(),
            c_replicated: Constant::new(R > 1),
            c_single: Constant::new(H == 0),
            slot_now: Default::default(),
            serve_now: Default::default(),
            i_valid: Default::default(),
            i_requested: Default::default(),
            i_op: Default::default(),
            i_key: Default::default(),
            i_value: Default::default(),
            to_first: ReqLink::new(ISSUE_TO_FIRST),
            outstanding: Delay::new(OUTSTANDING),
            fe_hash: H3Hash::new(&fe_cols, &fe_bits),
            shard_map,
            a_slot: Default::default(),
            a_valid: Default::default(),
            a_op: Default::default(),
            a_key: Default::default(),
            a_value: Default::default(),
            a_affine: Default::default(),
            a_bucket: Default::default(),
            lfsr: Default::default(),
            c_seed: k(u64::from(sched.seed)),
            c_taps: k(u64::from(tidekv_defs::prng::REPLICA_LFSR_TAPS)),
            policy: Default::default(),
            c_policy: policy(sched.replica_policy),
            c_random: policy(ReplicaPolicy::Random),
            c_round_robin: policy(ReplicaPolicy::RoundRobin),
            failed_sched: vec_of(S),
            c_failed: (0..S).map(|s| k(u64::from(sched.failed[s]))).collect(),
            detected: vec_of(S),
            crashed: vec_of(S),
            rr: vec_of(S),
            c_rep_no: (0..R).map(|r| k(r as u64)).collect(),
            c_rep_next: (0..R).map(|r| k(((r + 1) % R) as u64)).collect(),
            c_shard_no: (0..S).map(|s| k(s as u64)).collect(),
            c_all: k(tidekv_defs::config::mask(R as u32)),
            b_fwd: Default::default(),
            b_answered: Default::default(),
            b_shard: Default::default(),
            b_rep: Default::default(),
            b_op: Default::default(),
            b_key: Default::default(),
            b_value: Default::default(),
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
        }
    }
}

impl Logic for Core {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clock, r_phase, r_round, fe_started, i_valid, i_requested, i_op, i_key, i_value, a_slot, a_valid, a_op, a_key,
            a_value, a_affine, a_bucket, lfsr, policy, b_fwd, b_answered, b_shard, b_rep, b_op, b_key, b_value,
            u_valid, u_status, u_has_value, u_value
        );
        for s in 0..S {
            self.failed_sched[s].clock.next = self.clock.val();
            self.detected[s].clock.next = self.clock.val();
            self.crashed[s].clock.next = self.clock.val();
            self.rr[s].clock.next = self.clock.val();
            self.failed_sched[s].d.next = self.failed_sched[s].q.val();
            self.detected[s].d.next = self.detected[s].q.val();
            self.crashed[s].d.next = self.crashed[s].q.val();
            self.rr[s].d.next = self.rr[s].q.val();
        }
        self.to_first.clock.next = self.clock.val();
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
        self.shard_map.read_clock.next = self.clock.val();
        self.shard_map.write_clock.next = self.clock.val();
        self.to_first.run.next = self.run.val();
        self.to_serve.run.next = self.run.val();
        self.to_serve_shard.run.next = self.run.val();
        self.to_serve_rep.run.next = self.run.val();
        self.pend_fwd.run.next = self.run.val();
        self.pend_answered.run.next = self.run.val();
        self.pend_shard.run.next = self.run.val();
        self.pend_rep.run.next = self.run.val();
        self.served.run.next = self.run.val();
        self.to_client.run.next = self.run.val();
        self.outstanding.run.next = self.run.val();
        self.shard_map.write_enable.next = false;
        self.shard_map.write_address.next = 0.into();
        self.shard_map.write_data.next = 0.into();

        // Round sequencer.
        self.phase.next = self.r_phase.q.val();
        self.round.next = self.r_round.q.val();
        self.slot_now.next = self.r_phase.q.val() < self.c_clients.val();
        // (phase - SERVE_AT) wraps past C before SERVE_AT: T <= 2C < 2^PHASE_BITS + C.
        self.serve_now.next = (self.r_phase.q.val() - self.c_serve_at.val()) < self.c_clients.val();
        if self.run.val() {
            if self.r_phase.q.val() == self.c_last_phase.val() {
                self.r_phase.d.next = 0.into();
                self.r_round.d.next = self.r_round.q.val() + 1;
                if self.r_round.q.val() + 1 == self.c_h.val() {
                    self.fe_started.d.next = true;
                }
            } else {
                self.r_phase.d.next = self.r_phase.q.val() + 1;
            }
        }

        // Clients issue: slot k at phase k.
        self.issue_strobe.next = self.run.val() & self.slot_now.val();
        self.issue_client.next = bit_cast::<CLIENT_BITS, PHASE_BITS>(self.r_phase.q.val());
        if self.run.val() {
            self.i_requested.d.next = self.slot_now.val() & self.issue_valid.val();
            self.i_valid.d.next = self.slot_now.val() & self.issue_valid.val();
            self.i_op.d.next = self.issue_op.val();
            self.i_key.d.next = self.issue_key.val();
            self.i_value.d.next = self.issue_value.val();
        }
        self.to_first.d_valid.next = self.i_valid.q.val();
        self.to_first.d_op.next = self.i_op.q.val();
        self.to_first.d_key.next = self.i_key.q.val();
        self.to_first.d_value.next = self.i_value.q.val();
        self.outstanding.d.next = self.i_requested.q.val();

        // Leaf FE, stage A (phase k): FE hash, shard-map read.
        self.fe_hash.key.next = self.to_first.q_key.val();
        if self.run.val() {
            self.shard_map.read_address.next = self.fe_hash.hash.val().get_bits::<BUCKET_ADDR_BITS>(8);
            // The model's leaf FE first routes in round H: its LFSR draws from then on.
            self.a_slot.d.next = self.slot_now.val() & self.fe_started.q.val();
            self.a_valid.d.next = self.slot_now.val() & self.to_first.q_valid.val();
            self.a_op.d.next = self.to_first.q_op.val();
            self.a_key.d.next = self.to_first.q_key.val();
            self.a_value.d.next = self.to_first.q_value.val();
            self.a_affine.d.next = self.fe_hash.hash.val().get_bits::<8>(0);
            self.a_bucket.d.next = self.fe_hash.hash.val().get_bits::<BUCKET_ADDR_BITS>(8);
        } else {
            self.shard_map.read_address.next = self.a_bucket.q.val();
        }
        // Stage B (phase k+1): the shard, its live replicas, the policy's pick.
        self.lf_state.next = self.lfsr.q.val();
        self.lf_byte.next = 0.into();
        for i in 0..8 {
            self.lf_byte.next = self.lf_byte.val().replace_bit(i, self.lf_state.val().get_bit(0));
            if self.lf_state.val().get_bit(0) {
                self.lf_state.next = (self.lf_state.val() >> 1) ^ self.c_taps.val();
            } else {
                self.lf_state.next = self.lf_state.val() >> 1;
            }
        }
        if self.run.val() & self.a_slot.q.val() {
            self.lfsr.d.next = self.lf_state.val();
        }
        self.shard_now.next = self.shard_map.read_data.val();
        self.live.next = 0.into();
        self.rr_ptr.next = 0.into();
        for s in 0..S {
            if self.shard_now.val() == self.c_shard_no[s].val() {
                self.live.next = !(self.failed_sched[s].q.val() | self.detected[s].q.val()) & self.c_all.val();
                self.rr_ptr.next = self.rr[s].q.val();
            }
        }
        self.live_n.next = 0.into();
        for r in 0..R {
            if self.live.val().get_bit(r) {
                self.live_n.next = self.live_n.val() + 1;
            }
        }
        if self.policy.q.val() == self.c_random.val() {
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
        if self.policy.q.val() == self.c_round_robin.val() {
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
                if self.run.val() & self.a_valid.q.val() & self.live.val().any() & (self.shard_now.val() == self.c_shard_no[s].val()) {
                    self.rr[s].d.next = self.pick_next.val();
                }
            }
        }
        if self.run.val() {
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
            self.shards[s].run.next = self.run.val();
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
        }

        // Leaf FE, collect (phase k): the response to what it routed two
        // rounds ago; a missing one marks that replica failed.
        if self.run.val() {
            self.u_valid.d.next = self.pend_fwd.q.val() | self.pend_answered.q.val();
            self.u_status.d.next = self.c_unavailable.val();
            self.u_has_value.d.next = false;
            self.u_value.d.next = 0.into();
            if self.pend_fwd.q.val() & self.served.q_valid.val() {
                self.u_status.d.next = self.served.q_status.val();
                self.u_has_value.d.next = self.served.q_has_value.val();
                self.u_value.d.next = self.served.q_value.val();
            }
            if self.slot_now.val() & self.pend_fwd.q.val() & !self.served.q_valid.val() {
                for s in 0..S {
                    if self.pend_shard.q.val() == self.c_shard_no[s].val() {
                        for r in 0..R {
                            if self.pend_rep.q.val() == self.c_rep_no[r].val() {
                                self.detected[s].d.next = self.detected[s].q.val().replace_bit(r, true);
                            }
                        }
                    }
                }
            }
        }
        self.to_client.d_valid.next = self.u_valid.q.val();
        self.to_client.d_status.next = self.u_status.q.val();
        self.to_client.d_has_value.next = self.u_has_value.q.val();
        self.to_client.d_value.next = self.u_value.q.val();

        // Clients receive (phase k); an empty slot is `unavailable`.
        self.resp_strobe.next = self.run.val() & self.slot_now.val();
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

        if self.reset.val() {
            self.r_phase.d.next = 0.into();
            self.r_round.d.next = 0.into();
            self.fe_started.d.next = self.c_h_zero.val();
            self.lfsr.d.next = self.c_seed.val();
            self.policy.d.next = self.c_policy.val();
            for s in 0..S {
                self.failed_sched[s].d.next = self.c_failed[s].val();
                self.detected[s].d.next = 0.into();
                self.crashed[s].d.next = 0.into();
                self.rr[s].d.next = 0.into();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{clocks, response_of, settle, yosys_check};
    use tidekv_defs::hash::splitmix64;
    use tidekv_defs::{Op, Request, Response};
    use tidekv_sim::model::Model;

    #[test]
    fn core_generates_and_synthesizes() {
        let mut c = Core::new();
        c.connect_all();
        yosys_check("core", &generate_verilog(&c));
    }

    /// Drive the core and the model with the same requests, round by round,
    /// and compare what every client receives.
    pub(crate) fn run_against_model(rounds: u64, mut issue: impl FnMut(u64, usize) -> Option<Request>) -> u64 {
        let cfg = config();
        let mut m = Model::new(&cfg);
        let mut c = Core::new();
        c.connect_all();
        c.reset.next = true;
        clocks(&mut c, 1, |c| &mut c.clock);
        c.reset.next = false;
        c.run.next = true;
        let mut answered = 0;
        for u in 0..rounds {
            let reqs: Vec<Option<Request>> = (0..C).map(|ci| issue(u, ci)).collect();
            let want: Vec<Option<Response>> = match m.step(&reqs) {
                Some(d) => d.slots.iter().map(|s| s.map(|(_, r)| r)).collect(),
                None => vec![None; C],
            };
            let mut got = vec![None; C];
            for ph in 0..T {
                if ph < C {
                    let r = reqs[ph];
                    c.issue_valid.next = r.is_some();
                    let r = r.unwrap_or(Request { op: Op::Get, key: 0, value: 0 });
                    c.issue_op.next = u64::from(r.op.code()).into();
                    c.issue_key.next = r.key.into();
                    c.issue_value.next = r.value.into();
                }
                settle(&mut c);
                assert_eq!(c.phase.val().to_u64(), ph as u64);
                if ph < C {
                    assert!(c.issue_strobe.val() && c.resp_strobe.val());
                    assert_eq!(c.resp_client.val().to_u64(), ph as u64);
                    if c.resp_issued.val() {
                        assert_eq!(c.resp_round.val().to_u64(), u - LAT as u64);
                        got[ph] = Some(response_of(c.resp_status.val(), c.resp_has_value.val(), c.resp_value.val()));
                    }
                }
                clocks(&mut c, 1, |c| &mut c.clock);
            }
            assert_eq!(c.round.val().to_u64(), u + 1);
            assert_eq!(got, want, "round {u}: what the clients receive");
            answered += want.iter().flatten().count() as u64;
        }
        answered
    }

    #[test]
    fn core_answers_like_the_model() {
        let mut rng = 11u64;
        let n = run_against_model(36, |u, _| {
            let r = splitmix64(&mut rng);
            if u >= 30 || r % 5 == 0 {
                return None;
            }
            let op = [Op::Get, Op::Insert, Op::Modify, Op::Put, Op::Delete, Op::Put, Op::Get][(r % 7) as usize];
            Some(Request { op, key: r >> 8 & 15, value: r >> 32 & 0xff })
        });
        assert!(n > 50, "{n} answers compared");
    }
}
