//! The core's links (docs/DESIGN.md, "RTL timing"): how long each is, and
//! the request and response slots they carry, packed into one word each so
//! that a long link is one ring buffer (`crate::delay`).

use crate::delay::{ring_bits, Delay};
use crate::params::*;
use rust_hdl::prelude::*;

// Link delays in clocks: from the clock a producer's output register holds
// slot `k` to the clock its consumer takes slot `k` one round later.
/// A replica's serve pass starts at this phase (after its apply pass and a
/// gap, `tidekv_defs::config::SERVE_GAP_CLOCKS`).
pub const SERVE_AT: usize = if R > 1 {
    C + tidekv_defs::config::SERVE_GAP_CLOCKS as usize
} else {
    0
};
/// The table engine's output register holds slot k at SERVED_AT + k.
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

// Each link's ring address bits (`crate::delay::ring_bits`).
pub const ISSUE_TO_FIRST_A: usize = ring_bits(ISSUE_TO_FIRST);
pub const ROUTE_TO_SERVE_A: usize = ring_bits(ROUTE_TO_SERVE);
pub const SERVED_TO_NEXT_A: usize = ring_bits(SERVED_TO_NEXT);
pub const PENDING_A: usize = ring_bits(PENDING);
pub const COLLECT_TO_CLIENT_A: usize = ring_bits(COLLECT_TO_CLIENT);
pub const UPDATE_A: usize = ring_bits(UPDATE);
pub const OUTSTANDING_A: usize = ring_bits(OUTSTANDING);

/// A request slot on a link: valid, op, key, value and a tag (`x`: the
/// schedule copy, or the shard and replica it goes to), packed into one word
/// (`ReqWord`) so that a long link is one ring buffer.
#[derive(LogicBlock)]
pub struct ReqLink<const A: usize> {
    pub clock: Signal<In, Clock>,
    pub run: Signal<In, bool>,
    pub clear: Signal<In, bool>,
    pub d_valid: Signal<In, bool>,
    pub d_op: Signal<In, OpCode>,
    pub d_key: Signal<In, Key>,
    pub d_value: Signal<In, Value>,
    pub d_x: Signal<In, LinkX>,
    pub q_valid: Signal<Out, bool>,
    pub q_op: Signal<Out, OpCode>,
    pub q_key: Signal<Out, Key>,
    pub q_value: Signal<Out, Value>,
    pub q_x: Signal<Out, LinkX>,
    line: Delay<ReqWord, A>,
}

impl<const A: usize> ReqLink<A> {
    pub fn new(l: usize) -> Self {
        ReqLink {
            clock: Default::default(),
            run: Default::default(),
            clear: Default::default(),
            d_valid: Default::default(),
            d_op: Default::default(),
            d_key: Default::default(),
            d_value: Default::default(),
            d_x: Default::default(),
            q_valid: Default::default(),
            q_op: Default::default(),
            q_key: Default::default(),
            q_value: Default::default(),
            q_x: Default::default(),
            line: Delay::new(l),
        }
    }
}

impl<const A: usize> Logic for ReqLink<A> {
    #[hdl_gen]
    fn update(&mut self) {
        self.line.clock.next = self.clock.val();
        self.line.run.next = self.run.val();
        self.line.clear.next = self.clear.val();
        self.line.d.next.valid = self.d_valid.val();
        self.line.d.next.op = self.d_op.val();
        self.line.d.next.key = self.d_key.val();
        self.line.d.next.value = self.d_value.val();
        self.line.d.next.x = self.d_x.val();
        self.q_valid.next = self.line.q.val().valid;
        self.q_op.next = self.line.q.val().op;
        self.q_key.next = self.line.q.val().key;
        self.q_value.next = self.line.q.val().value;
        self.q_x.next = self.line.q.val().x;
    }
}

/// A response slot on a link: valid, status, has_value, value, packed
/// (`RespWord`).
#[derive(LogicBlock)]
pub struct RespLink<const A: usize> {
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
    line: Delay<RespWord, A>,
}

impl<const A: usize> RespLink<A> {
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
            line: Delay::new(l),
        }
    }
}

impl<const A: usize> Logic for RespLink<A> {
    #[hdl_gen]
    fn update(&mut self) {
        self.line.clock.next = self.clock.val();
        self.line.run.next = self.run.val();
        self.line.clear.next = self.clear.val();
        self.line.d.next.valid = self.d_valid.val();
        self.line.d.next.status = self.d_status.val();
        self.line.d.next.has_value = self.d_has_value.val();
        self.line.d.next.value = self.d_value.val();
        self.q_valid.next = self.line.q.val().valid;
        self.q_status.next = self.line.q.val().status;
        self.q_has_value.next = self.line.q.val().has_value;
        self.q_value.next = self.line.q.val().value;
    }
}
