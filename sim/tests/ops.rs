//! SPEC section 2, op by op: the full response matrix of every operation on
//! every topology (the four presets, and replicated configs under every
//! replica policy), `full` on tiny tables (and room again after a delete),
//! and same-round service in ascending client order on one server.

mod common;
use common::*;
use std::collections::BTreeMap;
use tidekv_defs::trace::format_request;
use tidekv_defs::{Config, Op, ReplicaPolicy, Request, Response, Status};
use tidekv_sim::Model;

/// A config from TOML text, with the schedule's replica policy set.
fn custom(build: &str, policy: ReplicaPolicy) -> Config {
    let text = format!("[build]\n{build}\n[schedule]\nreplica_policy = \"{policy}\"\nseed = 7\n");
    Config::parse(&text, "custom").unwrap_or_else(|e| panic!("{e}"))
}

fn with_policy(name: &str, policy: ReplicaPolicy) -> Config {
    let mut cfg = preset(name);
    cfg.schedule.replica_policy = policy;
    cfg
}

/// A trace being written together with the answer every request must get.
#[derive(Default)]
struct Plan {
    lines: Vec<String>,
    expect: BTreeMap<(u64, u32), (Request, Response)>,
}

impl Plan {
    fn push(
        &mut self,
        round: u64,
        client: u32,
        op: Op,
        key: u64,
        value: Option<u64>,
        want: Response,
    ) {
        let r = req(op, key, value);
        self.lines.push(format_request(round, client, &r));
        assert!(
            self.expect.insert((round, client), (r, want)).is_none(),
            "two requests of client {client} in round {round}"
        );
    }
    fn text(&self) -> String {
        self.lines.join("\n")
    }
    /// Replay and check every answer: its response, its client, its round.
    fn check(&self, cfg: &Config) -> Model {
        let (out, m) = run(cfg, &self.text());
        let lat = cfg.build.latency();
        assert_eq!(
            out.len(),
            self.expect.len(),
            "{}: one answer per request",
            cfg.name
        );
        for (a, (&(round, client), (r, want))) in out.iter().zip(&self.expect) {
            assert_eq!(
                (a.round, a.client),
                (round, client),
                "{}: answers in (round, client) order",
                cfg.name
            );
            assert_eq!(a.request, *r, "{}: round {round} client {client}", cfg.name);
            assert_eq!(
                a.done_round,
                round + lat,
                "{}: round {round} client {client}",
                cfg.name
            );
            assert_eq!(
                a.response, *want,
                "{}: round {round} client {client}: {:?} key {}",
                cfg.name, r.op, r.key
            );
        }
        m
    }
}

/// One key per client, spread so that every shard gets some; client 0 and
/// client 1 take the extreme keys 0 and 2^32-1.
fn client_keys(cfg: &Config) -> Vec<u64> {
    let m = Model::new(cfg);
    let s = cfg.build.shards;
    let keys: Vec<u64> = (0..cfg.build.clients)
        .map(|c| match c {
            0 => 0,
            1 => u64::from(u32::MAX),
            _ => (1000 * u64::from(c)..)
                .find(|&k| m.shard_of(k) == c % s)
                .unwrap(),
        })
        .collect();
    for shard in 0..s {
        assert!(
            keys.iter().any(|&k| m.shard_of(k) == shard),
            "{}: no test key on shard {shard}",
            cfg.name
        );
    }
    keys
}

/// The response matrix of SPEC section 2, as one script per client on its
/// own key; client `c` starts in round `c`, so different ops of different
/// clients share rounds. Values 0 and 2^32-1 are used on purpose: `ok` with
/// value 0 is not `ok` with no value.
fn matrix(cfg: &Config) {
    let keys = client_keys(cfg);
    let mut plan = Plan::default();
    let mut last_value = Vec::new();
    for c in 0..cfg.build.clients {
        let key = keys[c as usize];
        let base = 1000 * u64::from(c) + 1;
        let [a, mut b, c3, mut d, mut e, f] =
            [base, base + 1, base + 2, base + 3, base + 4, base + 5];
        match c {
            0 => b = 0,                   // insert of value 0 answers ok + 0
            1 => e = 0,                   // put of a new key with value 0 answers ok, no value
            2 => d = u64::from(u32::MAX), // widest value
            _ => {}
        }
        use Op::*;
        let nf = st(Status::NotFound);
        let script: [(Op, Option<u64>, Response); 19] = [
            (Get, None, nf),
            (Delete, None, nf),
            (Modify, Some(a), nf),
            (Insert, Some(b), ok(Some(b))),
            (Insert, Some(a), st(Status::Exists)),
            (Get, None, ok(Some(b))),
            (Modify, Some(c3), ok(Some(b))),
            (Get, None, ok(Some(c3))),
            (Put, Some(d), ok(Some(c3))),
            (Get, None, ok(Some(d))),
            (Delete, None, ok(Some(d))),
            (Get, None, nf),
            (Modify, Some(a), nf),
            (Put, Some(e), ok(None)),
            (Get, None, ok(Some(e))),
            (Insert, Some(a), st(Status::Exists)),
            (Delete, None, ok(Some(e))),
            (Insert, Some(f), ok(Some(f))),
            (Get, None, ok(Some(f))),
        ];
        for (i, (op, v, want)) in script.into_iter().enumerate() {
            plan.push(u64::from(c) + i as u64, c, op, key, v, want);
        }
        last_value.push((key, f));
    }
    let m = plan.check(cfg);
    assert_converged(&m);
    for (key, value) in last_value {
        let shard = m.shard_of(key);
        for r in 0..cfg.build.replicas {
            assert!(
                m.contents(shard, r)
                    .iter()
                    .any(|&(k, v, _)| (k, v) == (key, value)),
                "{}: shard {shard} replica {r} lacks key {key} = {value}",
                cfg.name
            );
        }
    }
    let c = m.counters();
    assert_eq!(
        c.status[Status::Unavailable.code() as usize] + c.status[Status::Full.code() as usize],
        0,
        "{}",
        cfg.name
    );
}

#[test]
fn response_matrix_single_server() {
    matrix(&preset("single-c10"));
}

#[test]
fn response_matrix_sharded() {
    matrix(&preset("sharded-c10-s4"));
}

#[test]
fn response_matrix_replicated_preset() {
    matrix(&preset("replicated-c10-s2-r3"));
}

#[test]
fn response_matrix_hierarchical() {
    matrix(&preset("hier-c10-h2-s4"));
}

#[test]
fn response_matrix_replicated_every_policy() {
    for policy in ReplicaPolicy::ALL {
        matrix(&with_policy("replicated-c10-s2-r3", policy));
    }
}

#[test]
fn response_matrix_hierarchical_replicated_every_policy() {
    let build =
        "clients = 10\nfe_levels = 2\nshards = 2\nreplicas = 2\ncapacity = 256\nbuckets = 64";
    for policy in ReplicaPolicy::ALL {
        matrix(&custom(build, policy));
    }
}

#[test]
fn response_matrix_one_shard_of_two_replicas_every_policy() {
    let build = "clients = 4\nfe_levels = 1\nshards = 1\nreplicas = 2\ncapacity = 64\nbuckets = 4";
    for policy in ReplicaPolicy::ALL {
        matrix(&custom(build, policy));
    }
}

/// A model driven one request at a time: each call issues from client 0 and
/// runs the rounds until its answer arrives.
struct Seq {
    m: Model,
}

impl Seq {
    fn new(cfg: &Config) -> Seq {
        Seq { m: Model::new(cfg) }
    }
    fn call(&mut self, op: Op, key: u64, value: Option<u64>) -> Response {
        let c = self.m.build().clients as usize;
        let issued = self.m.round();
        let mut slots = vec![None; c];
        slots[0] = Some(req(op, key, value));
        let mut got = None;
        let mut take = |m: &mut Model, slots: &[Option<Request>]| {
            if let Some(d) = m.step(slots) {
                if d.issue_round == issued {
                    got = d.slots[0].map(|(_, resp)| resp);
                }
            }
        };
        take(&mut self.m, &slots);
        slots[0] = None;
        for _ in 0..self.m.latency() {
            take(&mut self.m, &slots);
        }
        got.expect("the answer arrives exactly at issue + latency")
    }
    fn idle(&mut self, n: u64) {
        self.m.idle(n, |_| {});
    }
}

/// `n` distinct keys on `shard`.
fn keys_on(cfg: &Config, shard: u32, n: usize) -> Vec<u64> {
    let m = Model::new(cfg);
    (1u64..)
        .filter(|&k| m.shard_of(k) == shard)
        .take(n)
        .collect()
}

/// A table of `total_slots` keys, filled exactly: every new key up to the
/// capacity is stored, the next answers `full` (insert and put), reads and
/// conditional writes of absent keys still answer `not_found`, existing keys
/// are still written, and a delete makes room for exactly one new key.
fn full_exact(s: &mut Seq, shard: u32) {
    let cfg = Config {
        name: format!("{} shard {shard}", s.m.build().topology()),
        build: s.m.build().clone(),
        schedule: s.m.schedule().clone(),
    };
    let n = cfg.build.total_slots() as usize;
    let k = keys_on(&cfg, shard, n + 2);
    let (new, newer) = (k[n], k[n + 1]);
    let name = cfg.name.clone();
    for (i, &key) in k[..n].iter().enumerate() {
        assert_eq!(
            s.call(Op::Insert, key, Some(10 + i as u64)),
            ok(Some(10 + i as u64)),
            "{name}: key {i} of {n}"
        );
    }
    assert_eq!(s.call(Op::Insert, new, Some(1)), st(Status::Full), "{name}");
    assert_eq!(s.call(Op::Put, new, Some(1)), st(Status::Full), "{name}");
    assert_eq!(s.call(Op::Get, new, None), st(Status::NotFound), "{name}");
    assert_eq!(
        s.call(Op::Modify, new, Some(1)),
        st(Status::NotFound),
        "{name}"
    );
    assert_eq!(
        s.call(Op::Delete, new, None),
        st(Status::NotFound),
        "{name}"
    );
    assert_eq!(
        s.call(Op::Insert, k[0], Some(1)),
        st(Status::Exists),
        "{name}: exists, not full, for a present key"
    );
    assert_eq!(
        s.call(Op::Put, k[0], Some(99)),
        ok(Some(10)),
        "{name}: put of a present key in a full table"
    );
    assert_eq!(s.call(Op::Modify, k[1], Some(98)), ok(Some(11)), "{name}");
    assert_eq!(s.call(Op::Get, k[0], None), ok(Some(99)), "{name}");
    assert_eq!(s.call(Op::Get, k[1], None), ok(Some(98)), "{name}");
    assert_eq!(s.call(Op::Delete, k[2], None), ok(Some(12)), "{name}");
    assert_eq!(
        s.call(Op::Put, new, Some(50)),
        ok(None),
        "{name}: room again after a delete"
    );
    assert_eq!(
        s.call(Op::Insert, newer, Some(51)),
        st(Status::Full),
        "{name}: the freed slot is taken again"
    );
    assert_eq!(s.call(Op::Delete, new, None), ok(Some(50)), "{name}");
    assert_eq!(s.call(Op::Insert, newer, Some(51)), ok(Some(51)), "{name}");
    assert_eq!(s.call(Op::Get, newer, None), ok(Some(51)), "{name}");
    assert_eq!(s.call(Op::Get, k[2], None), st(Status::NotFound), "{name}");
    for (i, &key) in k[3..n].iter().enumerate() {
        assert_eq!(
            s.call(Op::Get, key, None),
            ok(Some(13 + i as u64)),
            "{name}"
        );
    }
    s.idle(4);
    assert_converged(&s.m);
    assert_eq!(s.m.contents(shard, 0).len(), n, "{name}");
}

fn full_fresh(cfg: &Config, shard: u32) {
    full_exact(&mut Seq::new(cfg), shard);
}

const TINY: &str = "capacity = 4\ntable_banks = 1\ntable_ways = 4";

#[test]
fn full_on_a_tiny_single_server() {
    let cfg = custom(
        &format!("clients = 4\nfe_levels = 0\n{TINY}\ntable_stash = 0"),
        ReplicaPolicy::RoundRobin,
    );
    assert_eq!(cfg.build.total_slots(), 4);
    full_fresh(&cfg, 0);
}

#[test]
fn full_on_a_tiny_single_server_with_a_stash() {
    let cfg = custom(
        &format!("clients = 4\nfe_levels = 0\n{TINY}\ntable_stash = 2"),
        ReplicaPolicy::RoundRobin,
    );
    assert_eq!(cfg.build.total_slots(), 6);
    full_fresh(&cfg, 0);
}

#[test]
fn full_on_a_tiny_sharded_table_leaves_the_other_shard_alone() {
    let cfg = custom(
        &format!("clients = 4\nfe_levels = 1\nshards = 2\nbuckets = 8\n{TINY}\ntable_stash = 1"),
        ReplicaPolicy::RoundRobin,
    );
    let mut s = Seq::new(&cfg);
    full_exact(&mut s, 1);
    let shard1 = s.m.contents(1, 0);
    // Shard 0 is untouched and has room: it fills exactly too.
    assert!(s.m.contents(0, 0).is_empty());
    full_exact(&mut s, 0);
    assert_eq!(s.m.contents(1, 0), shard1);
}

#[test]
fn full_on_a_tiny_hierarchical_table() {
    let cfg = custom(
        &format!("clients = 4\nfe_levels = 2\nshards = 2\nbuckets = 2\n{TINY}\ntable_stash = 0"),
        ReplicaPolicy::RoundRobin,
    );
    full_fresh(&cfg, 0);
}

/// Replicated tiny tables: a replica fills only the free slots it owns this
/// round (docs/DESIGN.md, "Placement converges too"), so a write may answer
/// `full` while another replica's slot is free and succeed on a retry in
/// another round. Once every slot is used, new keys answer `full` whatever
/// replica and round; a delete makes room again.
#[test]
fn full_on_tiny_replicated_tables_every_policy() {
    for policy in ReplicaPolicy::ALL {
        for (replicas, stash) in [(2, 0), (2, 2), (3, 1)] {
            let cfg = custom(&format!("clients = 4\nfe_levels = 1\nshards = 1\nreplicas = {replicas}\nbuckets = 1\n{TINY}\ntable_stash = {stash}"), policy);
            let name = format!("{policy} R={replicas} stash={stash}");
            let n = cfg.build.total_slots() as usize;
            let k = keys_on(&cfg, 0, n + 2);
            let mut s = Seq::new(&cfg);
            // Retry a new key's write after pseudo-random gaps, so that the
            // ownership phase ((slot + round) mod R against the replica the
            // policy picks) takes every value: fixed gaps can lock a
            // round_robin or key_affine stream into one phase.
            let mut gaps = 0x5eed_u64 + u64::from(replicas);
            let mut write_new = |s: &mut Seq, op: Op, key: u64, v: u64, want: Response| -> usize {
                for attempt in 0..32 {
                    let got = s.call(op, key, Some(v));
                    if got == want {
                        return attempt;
                    }
                    assert_eq!(got, st(Status::Full), "{name}: {op} of new key {key}");
                    s.idle(tidekv_defs::hash::splitmix64(&mut gaps) % 6);
                }
                panic!("{name}: {op} of key {key} never succeeded while a slot was free");
            };
            for (i, &key) in k[..n].iter().enumerate() {
                write_new(
                    &mut s,
                    Op::Insert,
                    key,
                    10 + i as u64,
                    ok(Some(10 + i as u64)),
                );
            }
            assert_eq!(s.m.contents(0, 0).len(), n, "{name}");
            for attempt in 0..(2 * replicas) {
                assert_eq!(
                    s.call(Op::Insert, k[n], Some(1)),
                    st(Status::Full),
                    "{name}: attempt {attempt}"
                );
                assert_eq!(
                    s.call(Op::Put, k[n], Some(1)),
                    st(Status::Full),
                    "{name}: attempt {attempt}"
                );
                s.idle(1);
            }
            assert_eq!(s.call(Op::Get, k[n], None), st(Status::NotFound), "{name}");
            assert_eq!(
                s.call(Op::Insert, k[0], Some(1)),
                st(Status::Exists),
                "{name}"
            );
            assert_eq!(s.call(Op::Put, k[0], Some(99)), ok(Some(10)), "{name}");
            assert_eq!(s.call(Op::Delete, k[1], None), ok(Some(11)), "{name}");
            write_new(&mut s, Op::Put, k[n], 50, ok(None));
            assert_eq!(
                s.call(Op::Insert, k[n + 1], Some(1)),
                st(Status::Full),
                "{name}"
            );
            assert_eq!(s.call(Op::Get, k[n], None), ok(Some(50)), "{name}");
            s.idle(4);
            assert_converged(&s.m);
            for r in 0..replicas {
                assert_eq!(s.m.contents(0, r).len(), n, "{name}: replica {r}");
            }
        }
    }
}

/// Same-round service on one server, in ascending client order (SPEC 2):
/// the lowest client's insert wins, a chain of modifies or puts each returns
/// the value the one before left, and a mixed round sees each earlier
/// client's effect.
fn same_round(cfg: &Config) {
    assert_eq!(cfg.build.clients, 10);
    let key = 7;
    let mut p = Plan::default();
    for c in 0..10u32 {
        let c64 = u64::from(c);
        // Round 0: ten inserts of one absent key.
        p.push(
            0,
            c,
            Op::Insert,
            key,
            Some(100 + c64),
            if c == 0 {
                ok(Some(100))
            } else {
                st(Status::Exists)
            },
        );
        // Round 1: a chain of modifies.
        p.push(
            1,
            c,
            Op::Modify,
            key,
            Some(200 + c64),
            ok(Some(if c == 0 { 100 } else { 200 + c64 - 1 })),
        );
        // Round 2: a chain of puts.
        p.push(
            2,
            c,
            Op::Put,
            key,
            Some(300 + c64),
            ok(Some(if c == 0 { 209 } else { 300 + c64 - 1 })),
        );
        // Round 4: everyone reads the round-3 result.
        p.push(4, c, Op::Get, key, None, ok(Some(403)));
        // Round 5: distinct keys in one round do not interfere.
        p.push(5, c, Op::Insert, 1000 + c64, Some(c64), ok(Some(c64)));
        // Round 6: ten deletes of one key: only the first finds it.
        p.push(
            6,
            c,
            Op::Delete,
            key,
            None,
            if c == 0 {
                ok(Some(403))
            } else {
                st(Status::NotFound)
            },
        );
        // Round 7: ten puts of an absent key: the first creates it.
        p.push(
            7,
            c,
            Op::Put,
            key,
            Some(700 + c64),
            if c == 0 {
                ok(None)
            } else {
                ok(Some(700 + c64 - 1))
            },
        );
        p.push(8, c, Op::Get, 1000 + c64, None, ok(Some(c64)));
    }
    // Round 3: one of every op, each after the previous client's.
    let mixed: [(Op, Option<u64>, Response); 10] = [
        (Op::Delete, None, ok(Some(309))),
        (Op::Get, None, st(Status::NotFound)),
        (Op::Modify, Some(1), st(Status::NotFound)),
        (Op::Insert, Some(400), ok(Some(400))),
        (Op::Insert, Some(401), st(Status::Exists)),
        (Op::Get, None, ok(Some(400))),
        (Op::Put, Some(402), ok(Some(400))),
        (Op::Delete, None, ok(Some(402))),
        (Op::Put, Some(403), ok(None)),
        (Op::Get, None, ok(Some(403))),
    ];
    for (c, (op, v, want)) in mixed.into_iter().enumerate() {
        p.push(3, c as u32, op, key, v, want);
    }
    let m = p.check(cfg);
    assert_converged(&m);
}

#[test]
fn same_round_client_order_on_the_single_server() {
    same_round(&preset("single-c10"));
}

#[test]
fn same_round_client_order_on_one_shard_server() {
    same_round(&preset("sharded-c10-s4"));
    same_round(&preset("hier-c10-h2-s4"));
}

/// With `key_affine` every key has one writer replica, so the single-server
/// rules hold on a replicated shard too.
#[test]
fn same_round_client_order_on_a_key_affine_replicated_shard() {
    same_round(&with_policy(
        "replicated-c10-s2-r3",
        ReplicaPolicy::KeyAffine,
    ));
}

/// `full` means "no room for a new key" (SPEC 2). A stream of distinct new
/// keys, one per round from one client, fills an unreplicated table
/// completely; on a replicated one each write may only use the slots its
/// replica owns in that round, but a later round's writes should reach the
/// rest. Returns the keys stored at the end, and the table's slots.
fn fill_by_stream(replicas: u32, policy: ReplicaPolicy) -> (usize, usize) {
    let cfg = custom(
        &format!("clients = 1\nfe_levels = 1\nshards = 1\nreplicas = {replicas}\nbuckets = 1\ncapacity = 64\ntable_stash = 8"),
        policy,
    );
    let total = cfg.build.total_slots() as usize;
    let mut m = Model::new(&cfg);
    for i in 0..8 * total as u64 {
        m.step(&[Some(req(Op::Insert, 1 + i * 7919, Some(i)))]);
    }
    m.idle(4, |_| {});
    assert_converged(&m);
    (m.contents(0, 0).len(), total)
}

#[test]
fn a_stream_of_new_keys_fills_an_unreplicated_table() {
    let (n, total) = fill_by_stream(1, ReplicaPolicy::RoundRobin);
    assert_eq!(n, total);
}

#[test]
fn a_stream_of_new_keys_fills_a_replicated_table_random_and_key_affine() {
    for policy in [ReplicaPolicy::Random, ReplicaPolicy::KeyAffine] {
        for r in [2, 3] {
            let (n, total) = fill_by_stream(r, policy);
            assert_eq!(n, total, "{policy} R={r}");
        }
    }
}

/// With `round_robin` and one request per round to a shard, the replica
/// alternates 0, 1, 0, 1 while the round's ownership phase alternates too,
/// so `(way + round) mod R == replica` picks the same ways every time: the
/// writes only ever reach 1/R of the ways (plus 1/R of the stash) and answer
/// `full` forever with the rest of the table free. Measured (capacity 64 +
/// stash 8, 576 distinct new keys): R = 2 stores 36 of 72 keys, R = 3 19 of
/// 72 (with the shipped capacity 1024 + 8: 516 and 259 of 1032).
#[test]
fn a_stream_of_new_keys_fills_a_replicated_table_round_robin() {
    for r in [2, 3] {
        let (n, total) = fill_by_stream(r, ReplicaPolicy::RoundRobin);
        assert_eq!(n, total, "round_robin R={r}");
    }
}
