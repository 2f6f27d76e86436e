//! The round-accurate reference model of SPEC sections 1-7.
//!
//! Every node fires once per round, reading what its input links carried in
//! the previous round and writing its output links; links are double
//! buffers (`*_prev` written last round, `*_cur` written this round) and the
//! pure-forwarding FE levels are delay rings. Per round `u`:
//!
//! 1. the events of the round boundary: failures, staged schedules;
//! 2. the clients issue (gated by the calendar);
//! 3. every live replica applies the updates its shard's other replicas sent
//!    in `u-1` (last-writer-wins by client), rejoining replicas copy a live
//!    replica's contents, then every live replica serves the requests
//!    forwarded in `u-1` in client order and sends its writes;
//! 4. the leaf FE (next to the shards) routes the requests issued in `u-H`
//!    and collects the responses to what it forwarded in `u-2`, detecting a
//!    failed replica by an empty response slot; H = 0 wires clients to the
//!    server instead;
//! 5. the clients receive the responses to what they issued in `u-2(H+1)`;
//!    an empty slot there is `unavailable`.

mod queue;

use queue::QueuedFe;
pub use queue::{replay_service, QueueCounters, Service, MAX_QUEUE};

use crate::table::{apply, serve, Owned, Slot, Table};
use std::rc::Rc;
use tidekv_defs::gen::{DigestBuilder, GenConfig, GenReport, Generator};
use tidekv_defs::hash::{owner_rotation, AFFINE_SHIFT, H3};
use tidekv_defs::layout::Update;
use tidekv_defs::prng::{scale_byte, ByteTable, ReplicaLfsr};
pub use tidekv_defs::record::{Answer, Counters, SwapRecord};
use tidekv_defs::trace::{EventKind, Trace, TraceEvent};
use tidekv_defs::{BuildConfig, Config, Op, ReplicaPolicy, Request, Response, Schedule, Status};

/// A bundle of links of one kind: per node, one slot per client with a
/// valid bit, as the hardware carries them. Only valid slots are visited.
#[derive(Debug, Clone)]
struct Links<T: Copy> {
    c: usize,
    slots: Vec<T>,
    valid: Vec<u64>,
}

impl<T: Copy> Links<T> {
    fn new(nodes: usize, c: usize, fill: T) -> Links<T> {
        Links {
            c,
            slots: vec![fill; nodes * c],
            valid: vec![0; nodes],
        }
    }
    #[inline]
    fn get(&self, node: usize, client: usize) -> Option<T> {
        (self.valid[node] >> client & 1 == 1).then(|| self.slots[node * self.c + client])
    }
    #[inline]
    fn set(&mut self, node: usize, client: usize, v: T) {
        self.slots[node * self.c + client] = v;
        self.valid[node] |= 1 << client;
    }
    /// The valid slots of a node, in client order.
    #[inline]
    fn iter(&self, node: usize) -> impl Iterator<Item = (usize, T)> + '_ {
        let base = node * self.c;
        BitIter(self.valid[node]).map(move |ci| (ci, self.slots[base + ci]))
    }
    fn clear(&mut self) {
        self.valid.fill(0);
    }
}

/// The set bits of a mask, lowest first.
struct BitIter(u64);

impl Iterator for BitIter {
    type Item = usize;
    #[inline]
    fn next(&mut self) -> Option<usize> {
        (self.0 != 0).then(|| {
            let i = self.0.trailing_zeros() as usize;
            self.0 &= self.0 - 1;
            i
        })
    }
}

/// A position in a ring of `len` round buffers, advanced once per round.
#[derive(Debug, Clone, Copy)]
struct Ring {
    at: usize,
    len: usize,
}

impl Ring {
    fn new(len: usize) -> Ring {
        Ring { at: 0, len }
    }
    /// The entry of this round.
    #[inline]
    fn now(self) -> usize {
        self.at
    }
    /// The entry of `len - 1` rounds ago (the next to be overwritten).
    #[inline]
    fn oldest(self) -> usize {
        if self.at + 1 == self.len {
            0
        } else {
            self.at + 1
        }
    }
    fn advance(&mut self) {
        self.at = self.oldest();
    }
}

/// What the leaf FE expects back for one client slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pending {
    Empty,
    Forwarded(u32),
    Answered(Response),
}

#[derive(Debug, Clone)]
struct Batch {
    round: Option<u64>,
    slots: Vec<Option<Request>>,
    schedule: Rc<Schedule>,
    epoch: u64,
}

#[derive(Debug, Clone)]
struct Replica {
    table: Table,
    alive: bool,
}

/// The leaf FE's state: the FE keeps no key state, only its detections and
/// the replica policy's position.
#[derive(Debug, Clone)]
struct LeafFe {
    /// Per shard, replicas found failed by a missing response.
    detected: Vec<u8>,
    lfsr: ReplicaLfsr,
    lfsr_table: ByteTable,
    /// Per shard, the round-robin pointer.
    rr: Vec<u8>,
    /// Per replica node, the round it last rejoined: a missing response to a
    /// request that reached it before then was lost while it was down and
    /// says nothing new.
    rejoined: Vec<u64>,
    epoch: u64,
}

/// One served request, kept for the anomaly counters.
#[derive(Debug, Clone, Copy)]
struct Served {
    replica: u32,
    op: Op,
    key: u64,
    ok: bool,
}

const NO_REQUEST: Request = Request {
    op: Op::Get,
    key: 0,
    value: 0,
};
const NO_RESPONSE: Response = Response {
    status: Status::Ok,
    value: None,
};
const NO_UPDATE: Update = Update {
    client: 0,
    key: 0,
    set: None,
};

pub struct Model {
    b: BuildConfig,
    c: usize,
    h: usize,
    r: usize,
    lat: u64,
    fe_hash: H3,
    table_hash: H3,
    round: u64,

    schedule: Rc<Schedule>,
    epoch: u64,
    staged: Vec<(u64, Schedule)>,
    swaps: Vec<SwapRecord>,

    replicas: Vec<Replica>,
    recovering: Vec<usize>,
    /// FE -> replica requests, per replica node `shard * R + replica`.
    fwd_prev: Links<Request>,
    fwd_cur: Links<Request>,
    /// replica -> FE responses, per replica node.
    resp_prev: Links<Response>,
    resp_cur: Links<Response>,
    /// replica -> replica updates, per shard: a client's request reaches one
    /// replica, so a shard's updates of a round are indexed by client;
    /// each carries the replica it came from.
    upd_prev: Links<(u32, Update)>,
    upd_cur: Links<(u32, Update)>,
    served: Links<Served>,
    /// Ring positions: client outstanding (2(H+1)+1), FE delay lines (H+1),
    /// FE pending (3).
    ring_out: Ring,
    ring_h: Ring,
    ring_pend: Ring,

    /// `owned[rotation * R + replica]`: the slots a replica may fill in a
    /// round with that ownership rotation.
    owned: Vec<Owned>,
    fe: LeafFe,
    down: Vec<Batch>,
    pending: Vec<Vec<Pending>>,
    up: Vec<Vec<Option<Response>>>,
    outstanding: Vec<(Option<u64>, Vec<Option<Request>>)>,
    out: Vec<Option<(Request, Response)>>,
    /// `out` as answers, for `step_answers`.
    answers: Vec<Answer>,
    /// Per client, the leaf FE's routing decision this round (`route_batch`).
    routed: Vec<Option<(Request, Result<u32, Response>)>>,
    /// The FE queues of a service rate below C (`queue.rs`); `None` is
    /// SPEC's fixed-latency FE.
    queued: Option<Box<QueuedFe>>,

    counters: Counters,
}

/// The responses the clients received in one round.
#[derive(Debug)]
pub struct Completed<'a> {
    /// The round the requests were issued in; they are done in `round + latency`.
    pub issue_round: u64,
    /// Per client: the request it issued and the response it got.
    pub slots: &'a [Option<(Request, Response)>],
}

impl Model {
    pub fn new(cfg: &Config) -> Model {
        let b = cfg.build.clone();
        let (c, h, s, r) = (
            b.clients as usize,
            b.fe_levels as usize,
            b.shards as usize,
            b.replicas as usize,
        );
        let schedule = Rc::new(cfg.schedule.clone());
        let empty_batch = Batch {
            round: None,
            slots: vec![None; c],
            schedule: schedule.clone(),
            epoch: 0,
        };
        Model {
            c,
            h,
            r,
            lat: b.latency(),
            fe_hash: H3::fe(),
            table_hash: H3::table(),
            round: 0,
            epoch: 0,
            staged: Vec::new(),
            swaps: Vec::new(),
            replicas: vec![
                Replica {
                    table: Table::new(&b),
                    alive: true
                };
                s * r
            ],
            recovering: Vec::new(),
            fwd_prev: Links::new(s * r, c, NO_REQUEST),
            fwd_cur: Links::new(s * r, c, NO_REQUEST),
            resp_prev: Links::new(s * r, c, NO_RESPONSE),
            resp_cur: Links::new(s * r, c, NO_RESPONSE),
            upd_prev: Links::new(s, c, (0, NO_UPDATE)),
            upd_cur: Links::new(s, c, (0, NO_UPDATE)),
            served: Links::new(
                s,
                c,
                Served {
                    replica: 0,
                    op: Op::Get,
                    key: 0,
                    ok: false,
                },
            ),
            ring_out: Ring::new(b.latency() as usize + 1),
            ring_h: Ring::new(h + 1),
            ring_pend: Ring::new(3),
            owned: (0..r as u32)
                .flat_map(|rot| (0..r as u32).map(move |rep| (rot, rep)))
                .map(|(rot, rep)| Owned::new(&b, rep, rot))
                .collect(),
            fe: LeafFe {
                detected: vec![0; s],
                lfsr: ReplicaLfsr::new(schedule.seed),
                lfsr_table: ReplicaLfsr::byte_table(),
                rr: vec![0; s],
                rejoined: vec![0; s * r],
                epoch: 0,
            },
            down: vec![empty_batch; h + 1],
            pending: vec![vec![Pending::Empty; c]; 3],
            up: vec![vec![None; c]; h + 1],
            outstanding: vec![(None, vec![None; c]); b.latency() as usize + 1],
            out: vec![None; c],
            answers: Vec::new(),
            routed: vec![None; c],
            queued: None,
            counters: Counters::default(),
            schedule,
            b,
        }
    }

    pub fn build(&self) -> &BuildConfig {
        &self.b
    }
    /// The next round to execute.
    pub fn round(&self) -> u64 {
        self.round
    }
    pub fn latency(&self) -> u64 {
        self.lat
    }
    pub fn counters(&self) -> &Counters {
        &self.counters
    }
    pub fn swaps(&self) -> &[SwapRecord] {
        &self.swaps
    }
    /// The schedule governing requests issued now.
    pub fn schedule(&self) -> &Schedule {
        &self.schedule
    }
    pub fn is_alive(&self, shard: u32, replica: u32) -> bool {
        self.replicas[self.node(shard, replica)].alive
    }
    /// Has the FE found this replica failed?
    pub fn is_detected(&self, shard: u32, replica: u32) -> bool {
        self.fe.detected[shard as usize] >> replica & 1 == 1
    }
    /// A replica's entries `(key, value, slot)`, sorted.
    pub fn contents(&self, shard: u32, replica: u32) -> Vec<(u64, u64, Slot)> {
        self.replicas[self.node(shard, replica)].table.entries()
    }
    /// The shard a key maps to under the current schedule.
    pub fn shard_of(&self, key: u64) -> u32 {
        self.schedule.shard_for_hash(self.fe_hash.hash(key)) as u32
    }

    fn node(&self, shard: u32, replica: u32) -> usize {
        shard as usize * self.r + replica as usize
    }

    /// Crash-stop a replica from the next round to execute on.
    pub fn fail(&mut self, shard: u32, replica: u32) {
        let n = self.node(shard, replica);
        self.replicas[n].alive = false;
    }
    /// Bring a replica back in the next round to execute: it copies a live
    /// replica's contents (after that one applied its updates) before it
    /// serves, and the FE forgets its detection.
    pub fn recover(&mut self, shard: u32, replica: u32) {
        let n = self.node(shard, replica);
        if !self.replicas[n].alive && !self.recovering.contains(&n) {
            self.recovering.push(n);
        }
        self.fe.detected[shard as usize] &= !(1 << replica);
        self.fe.rejoined[n] = self.round;
    }
    /// Apply a trace event at its round; call it before stepping that round.
    pub fn apply_event(&mut self, e: &TraceEvent) {
        match &e.kind {
            EventKind::Fail(n) => self.fail(n.shard, n.replica),
            EventKind::Recover(n) => self.recover(n.shard, n.replica),
            EventKind::Schedule(s) => self.stage_schedule(e.round, s.clone()),
        }
    }

    /// Stage a schedule to govern requests issued from `round` on.
    pub fn stage_schedule(&mut self, round: u64, schedule: Schedule) {
        self.staged.push((round, schedule));
    }

    /// The device-side check of a staged schedule (SPEC section 6).
    fn verify(&self, s: &Schedule) -> Result<(), String> {
        if self.h == 0 {
            return Ok(());
        }
        let all = ((1u32 << self.r) - 1) as u8;
        for (bucket, &shard) in s.shard_map.iter().enumerate() {
            let down = s.failed[shard as usize] | self.fe.detected[shard as usize];
            if down & all == all {
                return Err(format!(
                    "bucket {bucket} maps to shard {shard}, whose replicas have all failed"
                ));
            }
        }
        Ok(())
    }

    /// Execute one round: the clients issue `issued` (one optional request per
    /// client); returns the responses the clients receive this round.
    ///
    /// # Panics
    /// On a model with a service rate (`with_service`), whose answers do not
    /// share an issue round: use `step_answers` there.
    pub fn step(&mut self, issued: &[Option<Request>]) -> Option<Completed<'_>> {
        assert!(
            self.queued.is_none(),
            "a model with a service rate answers through step_answers"
        );
        self.advance(issued).then(|| Completed {
            issue_round: self.round - 1 - self.lat,
            slots: &self.out,
        })
    }

    /// Execute one round as `step` does; returns the answers the clients
    /// receive this round in (issue round, client) order. Works with and
    /// without a service rate.
    pub fn step_answers(&mut self, issued: &[Option<Request>]) -> &[Answer] {
        let got = self.advance(issued);
        if self.queued.is_none() {
            let issue = self.round.wrapping_sub(1 + self.lat);
            let answers = &mut self.answers;
            answers.clear();
            if got {
                for (ci, slot) in self.out.iter().enumerate() {
                    if let Some((request, response)) = slot {
                        answers.push(Answer {
                            round: issue,
                            client: ci as u32,
                            request: *request,
                            response: *response,
                            done_round: issue + self.lat,
                        });
                    }
                }
            }
            &self.answers
        } else {
            self.queued.as_ref().map_or(&[], |q| q.answers())
        }
    }

    /// One round; true if the requests issued `latency` rounds ago were
    /// answered into `out` (always false with a service rate: its answers
    /// are in the queued FE's list).
    fn advance(&mut self, issued: &[Option<Request>]) -> bool {
        assert_eq!(issued.len(), self.c, "one slot per client");
        let u = self.round;

        // 1. Round boundary: staged schedules take effect for requests issued now.
        if !self.staged.is_empty() {
            let (due, later): (Vec<_>, Vec<_>) = std::mem::take(&mut self.staged)
                .into_iter()
                .partition(|(r, _)| *r <= u);
            self.staged = later;
            for (_, s) in due {
                let result = self.verify(&s);
                if result.is_ok() {
                    self.schedule = Rc::new(s);
                    self.epoch += 1;
                }
                self.swaps.push(SwapRecord { round: u, result });
            }
        }

        // 2. Clients issue, gated by the calendar.
        let oi = self.ring_out.now();
        self.outstanding[oi].0 = Some(u);
        self.outstanding[oi].1.copy_from_slice(issued);
        let di = self.ring_h.now();
        {
            let batch = &mut self.down[di];
            batch.round = Some(u);
            batch.schedule = self.schedule.clone();
            batch.epoch = self.epoch;
            let open = self.schedule.open_ports(u);
            let mut blocked = 0u64;
            for (c, slot) in issued.iter().enumerate() {
                batch.slots[c] = match slot {
                    Some(req) if open >> c & 1 == 1 => {
                        self.counters.issued += 1;
                        Some(*req)
                    }
                    Some(_) => {
                        self.counters.calendar_blocked += 1;
                        blocked |= 1 << c;
                        None
                    }
                    None => None,
                };
            }
            if let Some(q) = self.queued.as_mut() {
                q.blocked[oi] = blocked;
            }
        }

        // 3. Replicas.
        self.replicas_fire(u);

        // 4. The leaf FE, or the wire to the single server.
        let client_in: usize; // index into `up` of what the clients read
        if self.h == 0 {
            for (ci, slot) in self.down[di].slots.iter().enumerate() {
                if let Some(req) = slot {
                    self.fwd_cur.set(0, ci, *req);
                }
            }
            // The server wrote resp_prev in u-1 for requests issued in u-2.
            for ci in 0..self.c {
                self.up[0][ci] = self.resp_prev.get(0, ci);
            }
            client_in = 0;
        } else if self.queued.is_some() {
            self.fe_route_queued(u, self.ring_h.oldest());
            self.fe_collect_queued(u, self.ring_h.now());
            client_in = self.ring_h.oldest();
        } else {
            self.fe_route(u, self.ring_h.oldest()); // the batch issued in u-H
            self.fe_collect(u, self.ring_h.now());
            client_in = self.ring_h.oldest(); // written in u-H
        }

        // 5. Clients receive.
        let done = u.checked_sub(self.lat);
        let ri = self.ring_out.oldest(); // issued in u - lat
        let got_any = done.is_some() && self.outstanding[ri].0 == done && self.queued.is_none();
        if self.queued.is_some() {
            self.receive_queued(u, client_in, ri);
        }
        if got_any {
            for c in 0..self.c {
                self.out[c] = self.outstanding[ri].1[c].map(|req| {
                    let resp =
                        self.up[client_in][c].unwrap_or(Response::status(Status::Unavailable));
                    self.counters.status[resp.status.code() as usize] += 1;
                    (req, resp)
                });
            }
        }

        std::mem::swap(&mut self.fwd_prev, &mut self.fwd_cur);
        std::mem::swap(&mut self.resp_prev, &mut self.resp_cur);
        std::mem::swap(&mut self.upd_prev, &mut self.upd_cur);
        self.fwd_cur.clear();
        self.resp_cur.clear();
        self.upd_cur.clear();
        self.round += 1;
        self.ring_out.advance();
        self.ring_h.advance();
        self.ring_pend.advance();
        got_any
    }

    fn replicas_fire(&mut self, u: u64) {
        let r = self.r;
        let rotation = if r > 1 {
            owner_rotation(&self.fe_hash, u, r as u32) as usize
        } else {
            0
        };
        for shard in 0..self.b.shards as usize {
            // a. apply the other replicas' updates of round u-1, client order.
            let upd = &self.upd_prev;
            if r > 1 && upd.valid[shard] != 0 {
                for rep in 0..r {
                    let n = shard * r + rep;
                    if !self.replicas[n].alive {
                        continue;
                    }
                    for (ci, (origin, up)) in upd.iter(shard) {
                        if origin == rep as u32 {
                            continue;
                        }
                        // Last writer wins: a later client's own write of the key stands.
                        let later = upd.valid[shard] & !((2u64 << ci) - 1);
                        if BitIter(later).any(|cj| matches!(upd.get(shard, cj), Some((o, u2)) if o == rep as u32 && u2.key == up.key)) {
                            continue;
                        }
                        apply(&mut self.replicas[n].table, &self.table_hash, &up);
                    }
                }
            }
            // b. rejoining replicas copy a live one's contents.
            if !self.recovering.is_empty() {
                let mut i = 0;
                while i < self.recovering.len() {
                    let n = self.recovering[i];
                    if n / r != shard {
                        i += 1;
                        continue;
                    }
                    self.recovering.swap_remove(i);
                    let source =
                        (shard * r..(shard + 1) * r).find(|&m| m != n && self.replicas[m].alive);
                    self.replicas[n].table = match source {
                        Some(m) => self.replicas[m].table.clone(),
                        None => Table::new(&self.b),
                    };
                    self.replicas[n].alive = true;
                }
            }
            // c. serve in client order; send the writes.
            if r > 1 {
                self.served.valid[shard] = 0;
            }
            for rep in 0..r {
                let n = shard * r + rep;
                if !self.replicas[n].alive || self.fwd_prev.valid[n] == 0 {
                    continue;
                }
                let owned = self.owned[rotation * r + rep];
                if r > 1 {
                    self.replicas[n].table.begin_serve();
                }
                let mut pending = self.fwd_prev.valid[n];
                while pending != 0 {
                    let ci = pending.trailing_zeros() as usize;
                    pending &= pending - 1;
                    let req = self.fwd_prev.slots[n * self.c + ci];
                    let (resp, update) = serve(
                        &mut self.replicas[n].table,
                        &self.table_hash,
                        owned,
                        r > 1,
                        ci as u32,
                        &req,
                    );
                    self.resp_cur.set(n, ci, resp);
                    if let Some(up) = update {
                        self.upd_cur.set(shard, ci, (rep as u32, up));
                    }
                    if r > 1 {
                        let ok = resp.status == Status::Ok;
                        self.served.set(
                            shard,
                            ci,
                            Served {
                                replica: rep as u32,
                                op: req.op,
                                key: req.key,
                                ok,
                            },
                        );
                    }
                }
            }
            if r > 1 {
                self.count_anomalies(shard);
            }
        }
    }

    fn count_anomalies(&mut self, shard: usize) {
        let (served, upd) = (&self.served, &self.upd_cur);
        for (i, s) in served.iter(shard) {
            if s.op == Op::Get
                && upd
                    .iter(shard)
                    .any(|(_, (o, up))| o != s.replica && up.key == s.key)
            {
                self.counters.stale_reads += 1;
            }
            if s.ok && matches!(s.op, Op::Insert | Op::Modify) {
                for (_, t) in served.iter(shard).filter(|&(j, _)| j > i) {
                    if t.ok
                        && t.key == s.key
                        && t.replica != s.replica
                        && matches!(t.op, Op::Insert | Op::Modify)
                    {
                        self.counters.conditional_conflicts += 1;
                    }
                }
            }
        }
    }

    /// Route the batch issued in `u - H` (at `down[route_i]`).
    fn fe_route(&mut self, u: u64, route_i: usize) {
        let pi = self.ring_pend.now();
        if !self.route_batch(u, route_i) {
            self.pending[pi].fill(Pending::Empty);
            return;
        }
        for (ci, routed) in self.routed.iter().enumerate() {
            self.pending[pi][ci] = match *routed {
                None => Pending::Empty,
                Some((_, Err(resp))) => Pending::Answered(resp),
                Some((req, Ok(n))) => {
                    self.fwd_cur.set(n as usize, ci, req);
                    Pending::Forwarded(n)
                }
            };
        }
    }

    /// The leaf FE's routing decision for each slot of the batch issued in
    /// `u - H` into `routed`: the replica node a request goes to, or the
    /// answer it gets at once (its shard has no live replica). False if no
    /// batch was issued then.
    #[allow(clippy::needless_range_loop)] // `ci` indexes the batch's slots and `routed` alike
    fn route_batch(&mut self, u: u64, route_i: usize) -> bool {
        let batch = &self.down[route_i];
        if batch.round.is_none_or(|t| t + self.h as u64 != u) {
            return false;
        }
        if batch.epoch != self.fe.epoch {
            self.fe.epoch = batch.epoch;
            self.fe.lfsr = ReplicaLfsr::new(batch.schedule.seed);
            self.fe.rr.fill(0);
        }
        let sched = &batch.schedule;
        let all = ((1u32 << self.r) - 1) as u8;
        for ci in 0..self.c {
            let x = self.fe.lfsr.next_byte_fast(&self.fe.lfsr_table);
            let Some(req) = batch.slots[ci] else {
                self.routed[ci] = None;
                continue;
            };
            let fh = self.fe_hash.hash(req.key);
            let shard = sched.shard_for_hash(fh);
            let live = !(sched.failed[shard] | self.fe.detected[shard]) & all;
            if live == 0 {
                self.routed[ci] = Some((req, Err(Response::status(Status::Unavailable))));
                continue;
            }
            let rep = match sched.replica_policy {
                ReplicaPolicy::Random => nth_set_bit(live, scale_byte(x, live.count_ones())),
                ReplicaPolicy::KeyAffine => nth_set_bit(
                    live,
                    scale_byte((fh >> AFFINE_SHIFT) as u8, live.count_ones()),
                ),
                ReplicaPolicy::RoundRobin => {
                    // The first live replica at or after the pointer, cyclically.
                    let at_or_after = live & !((1u8 << self.fe.rr[shard]) - 1);
                    let rep = if at_or_after != 0 { at_or_after } else { live }.trailing_zeros();
                    self.fe.rr[shard] = if rep + 1 == self.r as u32 {
                        0
                    } else {
                        rep as u8 + 1
                    };
                    rep
                }
            };
            self.routed[ci] = Some((req, Ok((shard * self.r + rep as usize) as u32)));
        }
        true
    }

    /// Collect the responses to what was forwarded in `u - 2`; write them to `up[ui]`.
    fn fe_collect(&mut self, u: u64, ui: usize) {
        let pi = self.ring_pend.oldest(); // forwarded in u-2
        for ci in 0..self.c {
            self.up[ui][ci] = match self.pending[pi][ci] {
                Pending::Empty => None,
                Pending::Answered(r) => Some(r),
                Pending::Forwarded(n) => {
                    Some(self.resp_prev.get(n as usize, ci).unwrap_or_else(|| {
                        missing_response(&mut self.fe, &mut self.counters, self.r, u, n)
                    }))
                }
            };
            if u < 2 {
                self.up[ui][ci] = None;
            }
        }
    }

    /// Run `rounds` empty rounds, e.g. to drain the pipeline.
    pub fn idle(&mut self, rounds: u64, mut on_done: impl FnMut(&Completed<'_>)) {
        let none = vec![None; self.c];
        for _ in 0..rounds {
            if let Some(d) = self.step(&none) {
                on_done(&d);
            }
        }
    }

    /// Generator mode (SPEC section 7): every client issues every round for
    /// `g.rounds` rounds, then the pipeline drains; the digest covers every
    /// generated request's response in (issue round, client) order.
    pub fn run_generator(&mut self, g: &GenConfig) -> GenReport {
        let b = self.b.clone();
        let mut gen = Generator::new(g, &b);
        let mut digest = DigestBuilder::new(&b);
        let first = self.round;
        let mut slots = vec![None; self.c];
        let mut take = |d: &Completed<'_>| {
            if d.issue_round >= first {
                for (req, resp) in d.slots.iter().flatten() {
                    digest.add(req, resp);
                }
            }
        };
        for _ in 0..g.rounds {
            for s in slots.iter_mut() {
                *s = Some(gen.next_request());
            }
            if let Some(d) = self.step(&slots) {
                take(&d);
            }
        }
        let lat = self.lat;
        self.idle(lat, take);
        digest.finish()
    }
}

/// A request forwarded to replica node `n` in `u - 2` got no response: the
/// leaf FE answers `unavailable` and marks the replica failed, unless it
/// rejoined since (the request reached it in `u - 1`).
fn missing_response(
    fe: &mut LeafFe,
    counters: &mut Counters,
    r: usize,
    u: u64,
    n: u32,
) -> Response {
    let (shard, rep) = (n as usize / r, n as usize % r);
    let current = u > fe.rejoined[n as usize];
    if current && fe.detected[shard] >> rep & 1 == 0 {
        fe.detected[shard] |= 1 << rep;
        counters.detections += 1;
    }
    Response::status(Status::Unavailable)
}

/// The k-th (from 0) set bit of `mask`.
fn nth_set_bit(mask: u8, k: u32) -> u32 {
    let mut m = mask;
    for _ in 0..k {
        m &= m - 1;
    }
    m.trailing_zeros()
}

/// Replay a validated trace on a fresh model (SPEC section 8), calling
/// `emit` for every request in (issue round, client) order.
pub fn replay(cfg: &Config, trace: &Trace, mut emit: impl FnMut(&Answer)) -> Model {
    let mut m = Model::new(cfg);
    let (c, lat) = (m.c, m.lat);
    let done: Result<(), std::convert::Infallible> =
        trace.for_each_round(c, lat, |_, events, slots| {
            for e in events {
                m.apply_event(e);
            }
            if let Some(d) = m.step(slots) {
                for (client, s) in d.slots.iter().enumerate() {
                    if let Some((request, response)) = s {
                        emit(&Answer {
                            round: d.issue_round,
                            client: client as u32,
                            request: *request,
                            response: *response,
                            done_round: d.issue_round + lat,
                        });
                    }
                }
            }
            Ok(())
        });
    let Ok(()) = done;
    m
}
