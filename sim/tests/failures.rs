//! SPEC section 5 (failures) and the failure side of section 6 (schedules):
//! (a) R-1 replicas of a shard killed mid-traffic lose no acknowledged write;
//! (b) an unreplicated shard killed: its keys answer `unavailable` (exactly
//!     from the requests that reach it after the failure), the other shards
//!     keep working, and a new shard map brings its keys back, empty;
//! (c) recovery with state transfer: a recovered replica gets its shard's
//!     current contents and the FE uses it again;
//! (d) a schedule mapping buckets to a dead shard is refused and the old
//!     schedule stays in force;
//! (e) the single server's failure: everything answers `unavailable`.
//!
//! The traffic is single-writer per key (each client writes only its own
//! keys, one request per round), so every answer has exactly one correct
//! value: a sequential oracle per key checks every response, and a request
//! answered `unavailable` must have had no effect anywhere.

mod common;
use common::*;
use std::collections::{BTreeMap, BTreeSet};
use tidekv_defs::hash::splitmix64;
use tidekv_defs::{Config, Op, ReplicaPolicy, Request, Schedule, Status};
use tidekv_sim::{Answer, Model, Service};

/// A model driven round by round, every answer checked against the
/// sequential oracle as it arrives (in (issue round, client) order).
struct Drive {
    m: Model,
    /// The same rounds through the queued FE at service rate C, which must
    /// answer exactly as `m` (docs/SERVICE.md).
    q: Model,
    c: usize,
    /// The state every key holds after the acknowledged (non-`unavailable`)
    /// requests answered so far.
    oracle: BTreeMap<u64, Option<u64>>,
    answers: Vec<Answer>,
    /// Keys whose data is gone for requests issued from a round on.
    resets: Vec<(u64, Vec<u64>)>,
    rng: u64,
}

impl Drive {
    fn new(cfg: &Config, seed: u64) -> Drive {
        let m = Model::new(cfg);
        Drive {
            c: cfg.build.clients as usize,
            m,
            q: Model::with_service(cfg, Service::full(&cfg.build)).unwrap(),
            oracle: BTreeMap::new(),
            answers: Vec::new(),
            resets: Vec::new(),
            rng: seed,
        }
    }

    fn fail(&mut self, shard: u32, replica: u32) {
        self.m.fail(shard, replica);
        self.q.fail(shard, replica);
    }
    fn recover(&mut self, shard: u32, replica: u32) {
        self.m.recover(shard, replica);
        self.q.recover(shard, replica);
    }
    fn stage_schedule(&mut self, round: u64, s: Schedule) {
        self.m.stage_schedule(round, s.clone());
        self.q.stage_schedule(round, s);
    }

    fn step(&mut self, slots: &[Option<Request>]) {
        let u = self.m.round();
        let lat = self.m.latency();
        let full_service = self.q.step_answers(slots).to_vec();
        let got: Vec<Answer> = match self.m.step(slots) {
            None => {
                assert!(
                    full_service.is_empty(),
                    "service rate C answers as SPEC's FE"
                );
                return;
            }
            Some(d) => {
                assert_eq!(d.issue_round + lat, u);
                d.slots
                    .iter()
                    .enumerate()
                    .filter_map(|(c, s)| {
                        s.map(|(request, response)| Answer {
                            round: d.issue_round,
                            client: c as u32,
                            request,
                            response,
                            done_round: u,
                        })
                    })
                    .collect()
            }
        };
        assert_eq!(full_service, got, "service rate C answers as SPEC's FE");
        assert_eq!(
            self.q.counters(),
            self.m.counters(),
            "service rate C: counters"
        );
        let issue = u - lat;
        for (from, keys) in &self.resets {
            if *from == issue {
                for k in keys {
                    self.oracle.insert(*k, None);
                }
            }
        }
        for a in got {
            if a.response.status != Status::Unavailable {
                let state = self.oracle.get(&a.request.key).copied().flatten();
                let (want, next) = sequential(state, &a.request);
                assert_eq!(
                    a.response, want,
                    "round {} client {} {:?} key {}: key held {state:?} by the acknowledged history",
                    a.round, a.client, a.request.op, a.request.key
                );
                self.oracle.insert(a.request.key, next);
            }
            self.answers.push(a);
        }
    }

    fn idle(&mut self, n: u64) {
        let none = vec![None; self.c];
        for _ in 0..n {
            self.step(&none);
        }
    }

    /// One round of random traffic: every client one request on one of its
    /// own keys.
    fn traffic(&mut self, keys: &[Vec<u64>]) {
        let slots: Vec<Option<Request>> = keys
            .iter()
            .map(|own| {
                let w = splitmix64(&mut self.rng);
                let key = own[(w % own.len() as u64) as usize];
                let op = match (w >> 16) % 20 {
                    0..=5 => Op::Get,
                    6..=8 => Op::Insert,
                    9..=11 => Op::Modify,
                    12..=16 => Op::Put,
                    _ => Op::Delete,
                };
                let value = (w >> 32) & 0xffff_ffff;
                Some(req(op, key, op.takes_value().then_some(value)))
            })
            .collect();
        self.step(&slots);
    }

    /// Read every key back (one get per client per round), after the
    /// pipeline drained; every answer is checked against the oracle.
    fn read_back(&mut self, keys: &[Vec<u64>]) -> usize {
        let lat = self.m.latency();
        self.idle(lat);
        let before = self.answers.len();
        let most = keys.iter().map(Vec::len).max().unwrap_or(0);
        for j in 0..most {
            let slots: Vec<Option<Request>> = keys
                .iter()
                .map(|own| own.get(j).map(|&k| req(Op::Get, k, None)))
                .collect();
            self.step(&slots);
        }
        self.idle(lat);
        let reads = &self.answers[before..];
        assert!(reads.iter().all(|a| a.request.op == Op::Get));
        reads
            .iter()
            .filter(|a| a.response.status == Status::Unavailable)
            .count()
    }

    fn unavailable(&self) -> Vec<&Answer> {
        self.answers
            .iter()
            .filter(|a| a.response.status == Status::Unavailable)
            .collect()
    }
}

/// `per_client` keys of its own for each client, spread over the shards.
fn own_keys(c: u32, per_client: u64) -> Vec<Vec<u64>> {
    (0..u64::from(c))
        .map(|cl| {
            (0..per_client)
                .map(|j| 1 + cl * 100_003 + j * 7_919)
                .collect()
        })
        .collect()
}

fn with_policy(name: &str, policy: ReplicaPolicy) -> Config {
    let mut cfg = preset(name);
    cfg.schedule.replica_policy = policy;
    cfg
}

// ------------------------------------------------ (a) R-1 replicas killed

/// Kill replicas of shard 0 at the given rounds while every client writes
/// its own keys every round; every answer is checked against the oracle
/// (so no acknowledged write is lost, and no `unavailable` write had an
/// effect); at the end every key reads back as its last acknowledged write.
fn kill_replicas(policy: ReplicaPolicy, kills: &[(u64, u32)]) {
    let cfg = with_policy("replicated-c10-s2-r3", policy);
    let keys = own_keys(cfg.build.clients, 6);
    let mut d = Drive::new(&cfg, 0xfeed ^ kills.len() as u64);
    for u in 0..60u64 {
        for &(f, rep) in kills {
            if f == u {
                d.fail(0, rep);
            }
        }
        d.traffic(&keys);
    }
    assert_eq!(
        d.read_back(&keys),
        0,
        "{policy}: with a live replica left, every key reads back"
    );
    // The failures were seen, and only on shard 0, and only for requests
    // that could have reached a dead replica (issued at most H+1 rounds
    // before its failure, and before its detection took effect).
    let un = d.unavailable();
    assert!(!un.is_empty(), "{policy}: the failures were exercised");
    let first_fail = kills.iter().map(|k| k.0).min().unwrap();
    for a in &un {
        assert_eq!(d.m.shard_of(a.request.key), 0, "{policy}: {a:?}");
        assert!(
            a.round + 2 >= first_fail,
            "{policy}: answered unavailable before any failure could reach it: {a:?}"
        );
    }
    for &(_, rep) in kills {
        assert!(d.m.is_detected(0, rep), "{policy}: replica {rep} detected");
        assert!(!d.m.is_alive(0, rep));
    }
    let last_unavailable = un.iter().map(|a| a.round).max().unwrap();
    let last_fail = kills.iter().map(|k| k.0).max().unwrap();
    assert!(
        last_unavailable <= last_fail + 10,
        "{policy}: unavailable answers stop once the failures are detected"
    );
    assert_converged(&d.m);
    // The survivor holds exactly the oracle's view of shard 0.
    let survivor = (0..3).find(|&r| d.m.is_alive(0, r)).unwrap();
    let held: BTreeMap<u64, u64> =
        d.m.contents(0, survivor)
            .into_iter()
            .map(|(k, v, _)| (k, v))
            .collect();
    let want: BTreeMap<u64, u64> = d
        .oracle
        .iter()
        .filter(|(&k, _)| d.m.shard_of(k) == 0)
        .filter_map(|(&k, v)| v.map(|v| (k, v)))
        .collect();
    assert_eq!(held, want, "{policy}");
}

#[test]
fn two_of_three_replicas_killed_in_one_round_lose_no_acknowledged_write() {
    for policy in ReplicaPolicy::ALL {
        kill_replicas(policy, &[(12, 0), (12, 1)]);
        kill_replicas(policy, &[(20, 2), (20, 1)]);
    }
}

#[test]
fn two_of_three_replicas_killed_one_after_the_other_lose_no_acknowledged_write() {
    for policy in ReplicaPolicy::ALL {
        kill_replicas(policy, &[(10, 2), (25, 0)]);
        kill_replicas(policy, &[(10, 1), (11, 0)]);
    }
}

// ---------------------------------------------- (b) an unreplicated shard

/// A shard map moving `dead`'s buckets round-robin to the other shards and
/// leaving every other bucket where it is.
fn remap_away(s: &Schedule, shards: u16, dead: u16) -> Schedule {
    let others: Vec<u16> = (0..shards).filter(|&x| x != dead).collect();
    let mut n = s.clone();
    for (b, sh) in n.shard_map.iter_mut().enumerate() {
        if *sh == dead {
            *sh = others[b % others.len()];
        }
    }
    n
}

/// Kill shard `dead` of an unreplicated build at round `f`, remap its
/// buckets from round `remap`: the answers are exact round by round.
fn kill_unreplicated_shard(name: &str) {
    let cfg = preset(name);
    let h = u64::from(cfg.build.fe_levels);
    let (dead, f, remap) = (2u32, 12u64, 30u64);
    let keys = own_keys(cfg.build.clients, 8);
    let mut d = Drive::new(&cfg, 0xdead);
    let on_dead: Vec<u64> = keys
        .iter()
        .flatten()
        .copied()
        .filter(|&k| d.m.shard_of(k) == dead)
        .collect();
    assert!(
        on_dead.len() >= 8,
        "{name}: enough test keys on shard {dead}"
    );
    // Requests issued from `remap` on see the moved keys empty.
    d.resets.push((remap, on_dead.clone()));
    for u in 0..50u64 {
        if u == f {
            d.fail(dead, 0);
        }
        if u == remap - 3 {
            let s = remap_away(d.m.schedule(), cfg.build.shards as u16, dead as u16);
            d.stage_schedule(remap, s);
        }
        d.traffic(&keys);
    }
    assert_eq!(d.read_back(&keys), 0, "{name}");
    assert_eq!(d.m.swaps().len(), 1);
    assert_eq!(d.m.swaps()[0].round, remap);
    assert_eq!(
        d.m.swaps()[0].result,
        Ok(()),
        "{name}: a remap away from the dead shard is accepted"
    );
    assert!(d.m.is_detected(dead, 0), "{name}");
    for &k in &on_dead {
        assert_ne!(d.m.shard_of(k), dead, "{name}: key {k} moved");
    }
    // Exactly the requests on the dead shard's keys that reached it in round
    // f or later (issued in f-H-1 or later), up to the remap, answer
    // unavailable; nothing else does.
    let dead_keys: BTreeSet<u64> = on_dead.iter().copied().collect();
    let mut seen_before_detection = false;
    for a in &d.answers {
        let expect_unavailable =
            dead_keys.contains(&a.request.key) && a.round + h + 1 >= f && a.round < remap;
        assert_eq!(
            a.response.status == Status::Unavailable,
            expect_unavailable,
            "{name}: {a:?}"
        );
        seen_before_detection |= expect_unavailable && a.round + h < f + 1;
    }
    assert!(
        seen_before_detection,
        "{name}: requests in flight at the failure answered unavailable too"
    );
    // The moved keys were written after the remap and live on the new shards.
    let moved_written = d
        .oracle
        .iter()
        .filter(|(k, v)| dead_keys.contains(k) && v.is_some())
        .count();
    assert!(moved_written > 0, "{name}: moved keys were written again");
}

#[test]
fn a_dead_unreplicated_shard_answers_unavailable_until_its_buckets_move() {
    kill_unreplicated_shard("sharded-c10-s4");
}

#[test]
fn a_dead_shard_behind_two_fe_levels_answers_unavailable_until_its_buckets_move() {
    kill_unreplicated_shard("hier-c10-h2-s4");
}

/// An unreplicated shard brought back is empty (its data is lost) and
/// serves again: requests routed after the recovery (issued in g-H or
/// later) are answered, on an empty table.
#[test]
fn a_recovered_unreplicated_shard_serves_again_empty() {
    let cfg = preset("sharded-c10-s4");
    let h = u64::from(cfg.build.fe_levels);
    let (dead, f, g) = (1u32, 10u64, 25u64);
    let keys = own_keys(cfg.build.clients, 8);
    let mut d = Drive::new(&cfg, 0xbeef);
    let on_dead: BTreeSet<u64> = keys
        .iter()
        .flatten()
        .copied()
        .filter(|&k| d.m.shard_of(k) == dead)
        .collect();
    d.resets.push((g - h, on_dead.iter().copied().collect()));
    for u in 0..45u64 {
        if u == f {
            d.fail(dead, 0);
        }
        if u == g {
            d.recover(dead, 0);
        }
        d.traffic(&keys);
    }
    assert_eq!(d.read_back(&keys), 0);
    for a in &d.answers {
        let expect_unavailable =
            on_dead.contains(&a.request.key) && a.round + h + 1 >= f && a.round + h < g;
        assert_eq!(
            a.response.status == Status::Unavailable,
            expect_unavailable,
            "{a:?}"
        );
    }
    assert!(!d.m.is_detected(dead, 0));
}

// --------------------------------------------- (c) recovery, state transfer

/// Replica 1 of shard 0 fails, misses writes, comes back with the shard's
/// contents, and is used again: then the other two fail, and replica 1
/// alone serves shard 0 with every acknowledged write.
fn recover_then_lose_the_others(policy: ReplicaPolicy, f: u64, g: u64) {
    let cfg = with_policy("replicated-c10-s2-r3", policy);
    let keys = own_keys(cfg.build.clients, 6);
    let mut d = Drive::new(&cfg, 0x5eed + g);
    let k2 = g + 20;
    for u in 0..k2 {
        if u == f {
            d.fail(0, 1);
        }
        if u == g {
            d.recover(0, 1);
        }
        d.traffic(&keys);
        if u == g {
            assert!(d.m.is_alive(0, 1));
            assert!(
                !d.m.is_detected(0, 1),
                "{policy}: the FE forgets the detection at recovery"
            );
        }
    }
    d.idle(d.m.latency());
    assert_converged(&d.m);
    assert_eq!(
        d.m.contents(0, 1),
        d.m.contents(0, 0),
        "{policy}: the rejoined replica holds the shard's contents"
    );
    // Lose the two others: replica 1 must serve alone, with every write.
    let kill = d.m.round();
    d.fail(0, 0);
    d.fail(0, 2);
    for _ in 0..20 {
        d.traffic(&keys);
    }
    assert_eq!(
        d.read_back(&keys),
        0,
        "{policy}: the recovered replica serves shard 0 alone"
    );
    let held: BTreeMap<u64, u64> =
        d.m.contents(0, 1)
            .into_iter()
            .map(|(k, v, _)| (k, v))
            .collect();
    let want: BTreeMap<u64, u64> = d
        .oracle
        .iter()
        .filter(|(&k, _)| d.m.shard_of(k) == 0)
        .filter_map(|(&k, v)| v.map(|v| (k, v)))
        .collect();
    assert_eq!(held, want, "{policy}");
    // Once the others' failure was detected (the first requests reach them
    // in kill + 2, are missed in kill + 3 and avoided from kill + 4 on; a
    // few rounds of margin for the policy to pick them), nothing more was
    // unavailable.
    let late: Vec<&Answer> = d
        .answers
        .iter()
        .filter(|a| a.round >= kill + 6 && a.response.status == Status::Unavailable)
        .collect();
    assert!(late.is_empty(), "{policy}: {late:?}");
}

#[test]
fn a_recovered_replica_gets_the_current_contents_and_is_used_again() {
    for policy in ReplicaPolicy::ALL {
        recover_then_lose_the_others(policy, 8, 20);
    }
}

/// With round_robin the FE spreads requests over all live replicas, so a
/// recovered replica receives requests: failing it again makes some of
/// them answer `unavailable`, which only happens if the FE routes to it.
#[test]
fn round_robin_routes_to_a_recovered_replica() {
    let cfg = with_policy("replicated-c10-s2-r3", ReplicaPolicy::RoundRobin);
    let keys = own_keys(cfg.build.clients, 6);
    let mut d = Drive::new(&cfg, 77);
    let (f, g, f2) = (6u64, 16u64, 30u64);
    for u in 0..45u64 {
        if u == f || u == f2 {
            d.fail(0, 1);
        }
        if u == g {
            d.recover(0, 1);
        }
        d.traffic(&keys);
    }
    d.read_back(&keys);
    // Requests issued between its detection and the recovery never reach
    // it; requests issued after the recovery and in flight at the second
    // failure do.
    let un: Vec<u64> = d.unavailable().iter().map(|a| a.round).collect();
    assert!(
        un.iter().any(|&t| t + 2 >= f && t < g),
        "first failure seen: {un:?}"
    );
    assert!(
        un.iter().any(|&t| t + 2 >= f2),
        "the FE routed to the recovered replica: {un:?}"
    );
    assert!(
        !un.iter().any(|&t| t > f + 4 && t + 2 < f2),
        "no unavailable between detection and the second failure: {un:?}"
    );
    assert_converged(&d.m);
}

/// SPEC 5: "A failed node can be brought back". A replica recovered within
/// two rounds of its detection (or before it) must be used again too.
///
/// Repro: replicated-c10-s2-r3, round_robin, three clients get one shard-0
/// key every round; fail (0, 1) at round 5, recover it at round 6. The
/// request forwarded to it in round 4 was dropped in round 5; the FE sees
/// the empty slot in round 6, *after* `recover` cleared the detection at the
/// start of round 6, and marks it failed again. Expected: `is_detected(0, 1)`
/// false after round 6 and the replica serving (here: after replicas 0 and 2
/// fail at round 20, shard 0 keeps answering). Actual: replica 1 stays
/// detected forever (recovering at g = 6, 7 or 8 all stick; g >= 9 works),
/// and once 0 and 2 fail every shard-0 request answers `unavailable` though
/// replica 1 is alive with the full contents.
#[test]
fn a_replica_recovered_right_after_failing_is_used_again() {
    let cfg = with_policy("replicated-c10-s2-r3", ReplicaPolicy::RoundRobin);
    let keys = own_keys(cfg.build.clients, 6);
    let mut d = Drive::new(&cfg, 99);
    for u in 0..20u64 {
        if u == 5 {
            d.fail(0, 1);
        }
        if u == 6 {
            d.recover(0, 1);
        }
        d.traffic(&keys);
    }
    assert!(d.m.is_alive(0, 1));
    assert!(
        !d.m.is_detected(0, 1),
        "replica 1 was recovered at round 6 and has not failed since"
    );
    d.fail(0, 0);
    d.fail(0, 2);
    for _ in 0..20 {
        d.traffic(&keys);
    }
    assert_eq!(
        d.read_back(&keys),
        0,
        "replica 1 is alive and holds shard 0's contents"
    );
}

// ---------------------------------------------------- (d) refused swaps

#[test]
fn a_schedule_mapping_buckets_to_a_dead_shard_is_refused_and_the_old_one_stays() {
    let cfg = preset("sharded-c10-s4");
    let keys = own_keys(cfg.build.clients, 8);
    let mut d = Drive::new(&cfg, 4);
    let original = d.m.schedule().clone();
    let on3: Vec<u64> = keys
        .iter()
        .flatten()
        .copied()
        .filter(|&k| d.m.shard_of(k) == 3)
        .collect();
    // Refused: moves shard 3's buckets to shard 0 and switches the policy,
    // but still maps buckets to the dead (detected) shard 1.
    let mut bad = original.clone();
    for sh in bad.shard_map.iter_mut() {
        if *sh == 3 {
            *sh = 0;
        }
    }
    bad.replica_policy = ReplicaPolicy::KeyAffine;
    bad.seed = 99;
    // Refused too: no bucket on the dead shard 1 any more, but a failure
    // mask that takes the mapped shard 2 down entirely.
    let mut masked = remap_away(&original, 4, 1);
    masked.failed[2] = 1;
    // Accepted: shard 1's buckets moved away; its keys are empty from then on.
    let good = remap_away(&original, 4, 1);
    let on1: BTreeSet<u64> = keys
        .iter()
        .flatten()
        .copied()
        .filter(|&k| d.m.shard_of(k) == 1)
        .collect();
    d.resets.push((35, on1.iter().copied().collect()));
    for u in 0..60u64 {
        match u {
            5 => d.fail(1, 0),
            15 => d.stage_schedule(20, bad.clone()),
            22 => d.stage_schedule(25, masked.clone()),
            30 => {
                assert_eq!(
                    d.m.schedule(),
                    &original,
                    "refused schedules leave the old one in force"
                );
                for &k in &on3 {
                    assert_eq!(d.m.shard_of(k), 3);
                }
                d.stage_schedule(35, good.clone());
            }
            _ => {}
        }
        d.traffic(&keys);
    }
    let swaps = d.m.swaps();
    assert_eq!(swaps.len(), 3, "{swaps:?}");
    assert_eq!(swaps[0].round, 20);
    assert!(
        swaps[0]
            .result
            .as_ref()
            .is_err_and(|e| e.contains("shard 1")),
        "{swaps:?}"
    );
    assert_eq!(swaps[1].round, 25);
    assert!(
        swaps[1]
            .result
            .as_ref()
            .is_err_and(|e| e.contains("shard 2")),
        "{swaps:?}"
    );
    assert_eq!((swaps[2].round, &swaps[2].result), (35, &Ok(())));
    assert_eq!(d.m.schedule(), &good);
    // Shard 3's keys never moved and never lost data: the oracle checked
    // every answer; shard 2 was never treated as failed.
    for a in d.unavailable() {
        assert!(
            on1.contains(&a.request.key),
            "only the dead shard's keys: {a:?}"
        );
    }
    assert!(!d
        .answers
        .iter()
        .any(|a| a.response.status == Status::Unavailable && a.round >= 35));
}

#[test]
fn replicated_swaps_are_refused_only_when_every_replica_of_a_mapped_shard_is_down() {
    let cfg = preset("replicated-c10-s2-r3");
    let keys = own_keys(cfg.build.clients, 6);
    let mut d = Drive::new(&cfg, 5);
    let original = d.m.schedule().clone();
    // Two of three replicas of shard 0 masked: accepted, shard 0 keeps
    // serving through replica 2.
    let mut two = original.clone();
    two.failed[0] = 0b011;
    two.replica_policy = ReplicaPolicy::RoundRobin;
    // Replica 2 then fails too and is detected: a schedule still mapping
    // buckets to shard 0 is refused.
    let mut again = two.clone();
    again.seed = 1234;
    for u in 0..50u64 {
        match u {
            2 => d.stage_schedule(5, two.clone()),
            20 => d.fail(0, 2),
            28 => d.stage_schedule(30, again.clone()),
            _ => {}
        }
        d.traffic(&keys);
    }
    let swaps = d.m.swaps();
    assert_eq!(swaps.len(), 2, "{swaps:?}");
    assert_eq!((swaps[0].round, &swaps[0].result), (5, &Ok(())));
    assert_eq!(swaps[1].round, 30);
    assert!(swaps[1].result.is_err(), "{swaps:?}");
    assert_eq!(d.m.schedule(), &two);
    // Between the swap and the last replica's failure, shard 0 answered
    // everything (only replica 2 was used).
    let un: Vec<&Answer> = d.unavailable();
    assert!(un.iter().all(|a| a.round + 2 >= 20), "{un:?}");
    assert!(un.iter().any(|a| d.m.shard_of(a.request.key) == 0));
    assert!(
        un.iter().all(|a| d.m.shard_of(a.request.key) == 0),
        "shard 1 unaffected"
    );
}

// ---------------------------------------------------- (e) single server

#[test]
fn the_single_servers_failure_is_fatal() {
    let cfg = preset("single-c10");
    let keys = own_keys(cfg.build.clients, 5);
    let mut d = Drive::new(&cfg, 6);
    let f = 8u64;
    for u in 0..30u64 {
        if u == f {
            d.fail(0, 0);
        }
        d.traffic(&keys);
    }
    assert_eq!(
        d.read_back(&keys),
        keys.iter().map(Vec::len).sum::<usize>(),
        "every read after the failure is unavailable"
    );
    // H = 0: a request issued in t reaches the server in t + 1.
    for a in &d.answers {
        assert_eq!(
            a.response.status == Status::Unavailable,
            a.round + 1 >= f,
            "{a:?}"
        );
        assert_eq!(a.done_round, a.round + 2);
    }
}
