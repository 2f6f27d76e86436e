//! The slides' future work: a fixed service rate per shard, with queues in
//! the leaf FE (docs/SERVICE.md).
//!
//! A shard serves at most `rate` requests a round (`k`; SPEC's FE is
//! `k = C`). The leaf FE routes every request when it arrives, exactly as
//! without queues (shard, replica, and the replica policy's draw), then
//! sends each shard at most `k` of them a round: first the waiting ones,
//! oldest first, then the new ones in client order. A request that does not
//! fit waits in its shard's queue (at most `queue` deep); one that finds the
//! queue full is answered `unavailable` at once (at the fixed latency) and
//! counted in `QueueCounters::refused`. A shard never receives two requests
//! of one client in one round, so a client's requests to a shard are served
//! in the order it issued them, and the link keeps one slot per client.
//!
//! An answer carries its issue round and its done round: a request that
//! waited `w` rounds is answered in `t + 2(H+1) + w`. With `k = C` nothing
//! ever waits and the model answers exactly as SPEC's (checked on every
//! trace of the model's and the differential suite's tests).

use super::{missing_response, Answer, BitIter, Model};
use std::collections::VecDeque;
use tidekv_defs::{BuildConfig, Request, Response, Status};

/// A per-shard service rate and the FE queue depth.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Service {
    /// Requests a shard serves per round, 1 to C.
    pub rate: u32,
    /// Requests the leaf FE holds per shard, waiting for the shard's budget.
    pub queue: u32,
}

/// Most requests one FE queue may hold.
pub const MAX_QUEUE: u32 = 1 << 16;

impl Service {
    /// SPEC's FE: every shard serves all C requests a round; nothing waits.
    pub fn full(b: &BuildConfig) -> Service {
        Service {
            rate: b.clients,
            queue: 0,
        }
    }

    /// Is this service possible for the build? Says why not.
    pub fn check(&self, b: &BuildConfig) -> Result<(), String> {
        if self.rate == 0 || self.rate > b.clients {
            return Err(format!(
                "service rate {}: give 1 to C = {} (requests a shard serves per round)",
                self.rate, b.clients
            ));
        }
        if self.rate < b.clients && b.fe_levels == 0 {
            return Err(format!(
                "service rate {} below C = {}: the single server has no FE to queue in (needs fe_levels >= 1)",
                self.rate, b.clients
            ));
        }
        if self.queue > MAX_QUEUE {
            return Err(format!(
                "FE queue {}: at most {MAX_QUEUE} per shard",
                self.queue
            ));
        }
        Ok(())
    }
}

/// What the FE queues did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueueCounters {
    /// Requests that waited in a queue (one round or more).
    pub queued: u64,
    /// Requests refused by a full queue (answered `unavailable`).
    pub refused: u64,
    /// The most requests one shard's queue held at the end of a round.
    pub depth_max: u64,
    /// The requests waiting in all queues at the end of each round, summed
    /// over the rounds (over `rounds`: the mean total depth).
    pub depth_sum: u64,
    /// Rounds the queued FE ran.
    pub rounds: u64,
}

/// A routed request waiting for its shard's budget.
#[derive(Debug, Clone, Copy)]
struct Waiting {
    client: u32,
    issued: u64,
    request: Request,
    node: u32,
}

/// What the leaf FE did with a request in a round: sent it to a replica
/// node, or answered it at once.
#[derive(Debug, Clone, Copy)]
struct Sent {
    client: u32,
    issued: u64,
    request: Request,
    to: Result<u32, Response>,
}

#[derive(Debug, Clone)]
pub(super) struct QueuedFe {
    rate: u32,
    depth: usize,
    /// Per shard, the waiting requests, oldest first.
    queues: Vec<VecDeque<Waiting>>,
    /// Per shard, this round: budget left and the clients already sent.
    budget: Vec<u32>,
    sent_clients: Vec<u64>,
    /// Ring of 3 (as the plain FE's pending): what was sent in a round.
    sent: Vec<Vec<Sent>>,
    /// Ring of H + 1 (as the plain FE's `up`): the answers collected in a
    /// round, travelling up the FE tree.
    up: Vec<Vec<Answer>>,
    /// Ring of `latency + 1` (as `outstanding`): the clients whose request
    /// the calendar kept from issuing in a round.
    pub(super) blocked: Vec<u64>,
    /// The answers the clients receive this round.
    out: Vec<Answer>,
    counters: QueueCounters,
}

impl QueuedFe {
    pub(super) fn answers(&self) -> &[Answer] {
        &self.out
    }
}

impl Model {
    /// A model whose shards serve `service.rate` requests a round, with FE
    /// queues of `service.queue` per shard. `Service::full` is SPEC's model,
    /// run through the queued FE (answer through `step_answers`); a
    /// single server (H = 0) at `rate = C` runs the plain one.
    pub fn with_service(cfg: &tidekv_defs::Config, service: Service) -> Result<Model, String> {
        service.check(&cfg.build)?;
        let mut m = Model::new(cfg);
        if m.h > 0 {
            let s = cfg.build.shards as usize;
            m.queued = Some(Box::new(QueuedFe {
                rate: service.rate,
                depth: service.queue as usize,
                queues: vec![VecDeque::new(); s],
                budget: vec![0; s],
                sent_clients: vec![0; s],
                sent: vec![Vec::new(); 3],
                up: vec![Vec::new(); m.h + 1],
                blocked: vec![0; m.lat as usize + 1],
                out: Vec::new(),
                counters: QueueCounters::default(),
            }));
        }
        Ok(m)
    }

    /// What the FE queues did (all zero without a service rate).
    pub fn queue_counters(&self) -> QueueCounters {
        self.queued
            .as_ref()
            .map_or_else(QueueCounters::default, |q| q.counters.clone())
    }

    /// Requests waiting in the FE queues now.
    pub fn waiting(&self) -> usize {
        self.queued
            .as_ref()
            .map_or(0, |q| q.queues.iter().map(VecDeque::len).sum())
    }

    /// Run empty rounds until every request issued so far is answered:
    /// at least `latency` rounds, and `latency` rounds past the last one in
    /// which a request still waited (the last one sent then is answered
    /// `2 + H <= latency` rounds later); `emit` gets every answer.
    pub fn drain(&mut self, mut emit: impl FnMut(&Answer)) {
        let none = vec![None; self.c];
        let (mut rounds, mut quiet) = (0, 0);
        while rounds < self.lat || quiet < self.lat {
            self.step_answers(&none).iter().for_each(&mut emit);
            rounds += 1;
            quiet = if self.waiting() == 0 { quiet + 1 } else { 0 };
        }
    }

    /// The leaf FE with queues: send the waiting requests, then route the
    /// batch issued in `u - H` and send, queue or refuse each request.
    pub(super) fn fe_route_queued(&mut self, u: u64, route_i: usize) {
        let pi = self.ring_pend.now();
        let fresh = self.route_batch(u, route_i);
        let r = self.r;
        let q = self.queued.as_mut().expect("a queued FE");
        q.sent[pi].clear();
        q.budget.fill(q.rate);
        q.sent_clients.fill(0);
        // Waiting requests first, oldest first; a client's second request to
        // a shard waits for the next round.
        for (shard, queue) in q.queues.iter_mut().enumerate() {
            let mut i = 0;
            while i < queue.len() && q.budget[shard] > 0 {
                let w = queue[i];
                if q.sent_clients[shard] >> w.client & 1 == 1 {
                    i += 1;
                    continue;
                }
                queue.remove(i);
                q.budget[shard] -= 1;
                q.sent_clients[shard] |= 1 << w.client;
                self.fwd_cur
                    .set(w.node as usize, w.client as usize, w.request);
                q.sent[pi].push(Sent {
                    client: w.client,
                    issued: w.issued,
                    request: w.request,
                    to: Ok(w.node),
                });
            }
        }
        if fresh {
            let issued = u - self.h as u64;
            for (ci, routed) in self.routed.iter().enumerate() {
                let Some((request, to)) = *routed else {
                    continue;
                };
                let client = ci as u32;
                let mut sent = Sent {
                    client,
                    issued,
                    request,
                    to,
                };
                if let Ok(node) = to {
                    let shard = node as usize / r;
                    let queue = &mut q.queues[shard];
                    if queue.is_empty()
                        && q.budget[shard] > 0
                        && q.sent_clients[shard] >> ci & 1 == 0
                    {
                        q.budget[shard] -= 1;
                        q.sent_clients[shard] |= 1 << ci;
                        self.fwd_cur.set(node as usize, ci, request);
                    } else if queue.len() < q.depth {
                        queue.push_back(Waiting {
                            client,
                            issued,
                            request,
                            node,
                        });
                        q.counters.queued += 1;
                        continue;
                    } else {
                        q.counters.refused += 1;
                        sent.to = Err(Response::status(Status::Unavailable));
                    }
                }
                q.sent[pi].push(sent);
            }
        }
        let mut total = 0;
        for queue in &q.queues {
            total += queue.len() as u64;
            q.counters.depth_max = q.counters.depth_max.max(queue.len() as u64);
        }
        q.counters.depth_sum += total;
        q.counters.rounds += 1;
    }

    /// Collect the responses to what was sent in `u - 2` into `up[ui]`, as
    /// `fe_collect` does: a missing response is `unavailable` and marks the
    /// replica failed.
    pub(super) fn fe_collect_queued(&mut self, u: u64, ui: usize) {
        let pi = self.ring_pend.oldest();
        let (h, r) = (self.h as u64, self.r);
        let q = self.queued.as_mut().expect("a queued FE");
        q.up[ui].clear();
        for s in &q.sent[pi] {
            let response = match s.to {
                Err(resp) => resp,
                Ok(n) => self
                    .resp_prev
                    .get(n as usize, s.client as usize)
                    .unwrap_or_else(|| missing_response(&mut self.fe, &mut self.counters, r, u, n)),
            };
            q.up[ui].push(Answer {
                round: s.issued,
                client: s.client,
                request: s.request,
                response,
                done_round: u + h,
            });
        }
    }

    /// The clients receive what the leaf FE collected in `u - H` (at
    /// `up[ui]`) and the calendar's refusals of the requests issued in
    /// `u - latency` (at ring position `ri`).
    pub(super) fn receive_queued(&mut self, u: u64, ui: usize, ri: usize) {
        let q = self.queued.as_mut().expect("a queued FE");
        let QueuedFe {
            out, up, blocked, ..
        } = &mut **q;
        out.clear();
        out.extend_from_slice(&up[ui]);
        let (issued, requests) = &self.outstanding[ri];
        if let (Some(t), Some(done)) = (*issued, u.checked_sub(self.lat)) {
            if t == done {
                for ci in BitIter(blocked[ri]) {
                    out.push(Answer {
                        round: t,
                        client: ci as u32,
                        request: requests[ci].expect("a blocked request"),
                        response: Response::status(Status::Unavailable),
                        done_round: u,
                    });
                }
            }
        }
        out.sort_unstable_by_key(|a| (a.round, a.client));
        for a in out.iter() {
            self.counters.status[a.response.status.code() as usize] += 1;
        }
    }
}

/// Replay a validated trace on a fresh model with `service`, then drain
/// the FE queues; `emit` gets every answer in (issue round, client) order,
/// as `replay`'s. With `Service::full` it equals `replay`.
pub fn replay_service(
    cfg: &tidekv_defs::Config,
    service: Service,
    trace: &tidekv_defs::trace::Trace,
    mut emit: impl FnMut(&Answer),
) -> Result<Model, String> {
    let mut m = Model::with_service(cfg, service)?;
    let (c, lat) = (m.c, m.lat);
    let mut all = Vec::with_capacity(trace.requests.len());
    let done: Result<(), std::convert::Infallible> =
        trace.for_each_round(c, lat, |_, events, slots| {
            for e in events {
                m.apply_event(e);
            }
            all.extend_from_slice(m.step_answers(slots));
            Ok(())
        });
    let Ok(()) = done;
    m.drain(|a| all.push(*a));
    all.sort_by_key(|a| (a.round, a.client));
    all.iter().for_each(&mut emit);
    Ok(m)
}
