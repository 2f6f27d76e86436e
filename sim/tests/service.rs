//! The FE with queues (docs/SERVICE.md): a shard serves at most `k`
//! requests a round, the rest wait in the leaf FE. (That `k = C` answers as
//! SPEC's FE is checked on every trace of the other tests: `common::run`.)
//!
//! Over random traffic, with and without failures:
//! - every request is answered exactly once, to its client, no earlier than
//!   `issue + 2(H+1)`, and `unavailable` only when its queue was full or a
//!   replica failed;
//! - a shard never serves more than `k` requests a round;
//! - a client's requests to one shard are served in the order it issued them;
//! - every answer is what a sequential store gives in the order the shards
//!   served the requests (one replica per shard);
//! - replicas still converge after the queues drain.

mod common;
use common::*;
use proptest::prelude::*;
use std::collections::BTreeMap;
use tidekv_defs::trace::{format_node_event, format_request, Node};
use tidekv_defs::{Config, Op, Request, Status};
use tidekv_sim::{replay_service, Answer, Model, Service};

/// The round a request was served in, from its answer: it is collected two
/// rounds after the FE sent it and travels H rounds up the tree.
fn served_round(cfg: &Config, a: &Answer) -> u64 {
    a.done_round - u64::from(cfg.build.fe_levels) - 1
}

#[derive(Debug, Clone)]
struct Case {
    preset: &'static str,
    rate: u32,
    queue: u32,
    /// (round, client, op, key, value)
    requests: Vec<(u64, u32, u8, u64, u64)>,
}

fn case() -> impl Strategy<Value = Case> {
    (
        prop_oneof![Just("sharded-c10-s4"), Just("hier-c10-h2-s4")],
        1u32..=10,
        0u32..12,
        prop::collection::vec((0u64..30, 0u32..10, 0u8..5, 0u64..40, 0u64..1000), 0..250),
    )
        .prop_map(|(preset, rate, queue, requests)| Case {
            preset,
            rate,
            queue,
            requests,
        })
}

fn trace_text(c: &Case) -> String {
    let mut seen = std::collections::BTreeSet::new();
    let mut lines = vec![];
    for &(round, client, op, key, value) in &c.requests {
        if seen.insert((round, client)) {
            let op = Op::ALL[op as usize];
            lines.push(format_request(
                round,
                client,
                &req(op, key, op.takes_value().then_some(value)),
            ));
        }
    }
    lines.join("\n")
}

/// Replay `text` at `service`; returns the answers and the model.
fn run_at(cfg: &Config, service: Service, text: &str) -> (Vec<Answer>, Model) {
    let t = parse(cfg, text);
    let mut out = vec![];
    let m = replay_service(cfg, service, &t, |a| out.push(*a)).unwrap();
    assert_eq!(out.len(), t.requests.len(), "one answer per request");
    for (a, r) in out.iter().zip(&t.requests) {
        assert_eq!(
            (a.round, a.client, a.request),
            (r.round, r.client, r.request)
        );
    }
    (out, m)
}

proptest! {
    #![proptest_config(cases(48))]

    #[test]
    fn queued_shards_serve_at_most_k_in_issue_order_and_answer_sequentially(c in case()) {
        let cfg = preset(c.preset);
        let service = Service { rate: c.rate, queue: c.queue };
        let (answers, m) = run_at(&cfg, service, &trace_text(&c));
        let lat = cfg.build.latency();
        let qc = m.queue_counters();
        let unavailable = answers.iter().filter(|a| a.response.status == Status::Unavailable).count();
        prop_assert_eq!(unavailable as u64, qc.refused, "unavailable only when refused");
        prop_assert!(qc.depth_max <= u64::from(c.queue));
        let mut per_shard_round: BTreeMap<(u32, u64), u32> = BTreeMap::new();
        let mut last: BTreeMap<(u32, u32), u64> = BTreeMap::new();
        let mut order: Vec<(u64, u32, &Answer)> = vec![];
        let mut waited = 0;
        for a in &answers {
            prop_assert!(a.done_round >= a.round + lat, "{a:?} early");
            if a.response.status == Status::Unavailable {
                prop_assert_eq!(a.done_round, a.round + lat, "a refusal answers at once");
                continue;
            }
            waited += u64::from(a.done_round > a.round + lat);
            let shard = m.shard_of(a.request.key);
            let served = served_round(&cfg, a);
            *per_shard_round.entry((shard, served)).or_default() += 1;
            // A client's requests to a shard are served in issue order.
            if let Some(&prev) = last.get(&(shard, a.client)) {
                prop_assert!(served > prev, "client {} shard {shard}: served in {served} after {prev}", a.client);
            }
            last.insert((shard, a.client), served);
            order.push((served, a.client, a));
        }
        prop_assert_eq!(waited, qc.queued, "an answer is late exactly when its request waited");
        for (&(shard, round), &n) in &per_shard_round {
            prop_assert!(n <= c.rate, "shard {shard} served {n} > k = {} in round {round}", c.rate);
        }
        // One replica a shard: the shards' serving order is a sequential history.
        order.sort_by_key(|&(served, client, _)| (served, client));
        let mut state: BTreeMap<u64, Option<u64>> = BTreeMap::new();
        for (_, _, a) in order {
            let s = state.get(&a.request.key).copied().flatten();
            let (want, next) = sequential(s, &a.request);
            prop_assert_eq!(a.response, want, "{:?} with the key holding {:?}", a, s);
            state.insert(a.request.key, next);
        }
    }

    #[test]
    fn queued_replicas_converge_with_a_failure(
        c in case(),
        node in 0u32..6,
        fail in 0u64..20,
        back in prop::option::of(1u64..15),
    ) {
        let cfg = preset("replicated-c10-s2-r3");
        let (shard, rep) = (node / 3, node % 3);
        let mut text = trace_text(&c);
        text += &format!("\n{}", format_node_event(Some(fail), true, Node { shard, replica: rep }));
        if let Some(d) = back {
            text += &format!("\n{}", format_node_event(Some(fail + d), false, Node { shard, replica: rep }));
        }
        let (answers, m) = run_at(&cfg, Service { rate: c.rate, queue: c.queue }, &text);
        prop_assert_eq!(answers.len(), trace_text(&c).lines().filter(|l| !l.is_empty()).count());
        assert_converged(&m);
        prop_assert_eq!(m.waiting(), 0);
    }
}

#[test]
fn a_hot_shard_queues_then_refuses_and_the_waits_grow_by_one_round_per_k() {
    // Ten clients, one key: all on one shard of four; k = 2, queue 6.
    let cfg = preset("sharded-c10-s4");
    let service = Service { rate: 2, queue: 6 };
    let mut m = Model::with_service(&cfg, service).unwrap();
    let lat = m.latency();
    let slots: Vec<Option<Request>> = (0..10).map(|c| Some(req(Op::Put, 7, Some(c)))).collect();
    let mut got = vec![];
    got.extend_from_slice(m.step_answers(&slots));
    let none = vec![None; 10];
    m.drain(|a| got.push(*a));
    assert_eq!(got.len(), 10);
    got.sort_by_key(|a| a.client);
    // Clients 0 and 1 go at once, 2..=7 wait (6 deep), 8 and 9 are refused.
    let waits: Vec<Option<u64>> = got
        .iter()
        .map(|a| (a.response.status != Status::Unavailable).then(|| a.done_round - a.round - lat))
        .collect();
    assert_eq!(
        waits,
        [
            Some(0),
            Some(0),
            Some(1),
            Some(1),
            Some(2),
            Some(2),
            Some(3),
            Some(3),
            None,
            None
        ]
    );
    let qc = m.queue_counters();
    assert_eq!((qc.queued, qc.refused, qc.depth_max), (6, 2, 6));
    // The puts were served in client order: each saw the one before.
    for a in &got[1..8] {
        assert_eq!(a.response, ok(Some(a.client as u64 - 1)), "{a:?}");
    }
    assert!(m.step_answers(&none).is_empty());
}

#[test]
fn services_the_topology_cannot_have_are_refused_with_the_reason() {
    let single = preset("single-c10");
    let e = Model::with_service(&single, Service { rate: 3, queue: 4 })
        .err()
        .unwrap();
    assert!(e.contains("no FE to queue in"), "{e}");
    assert!(Model::with_service(&single, Service::full(&single.build)).is_ok());
    let sharded = preset("sharded-c10-s4");
    for rate in [0, 11] {
        let e = Model::with_service(&sharded, Service { rate, queue: 4 })
            .err()
            .unwrap();
        assert!(e.contains("give 1 to C = 10"), "{e}");
    }
    let e = Model::with_service(
        &sharded,
        Service {
            rate: 1,
            queue: 1 << 20,
        },
    )
    .err()
    .unwrap();
    assert!(e.contains("at most"), "{e}");
}

#[test]
#[should_panic(expected = "step_answers")]
fn step_refuses_a_queued_model() {
    let cfg = preset("sharded-c10-s4");
    let mut m = Model::with_service(&cfg, Service { rate: 2, queue: 2 }).unwrap();
    m.step(&[None; 10]);
}

#[test]
fn a_new_request_waits_behind_the_queue_even_when_budget_is_left() {
    // k = 2. Round 0: clients 0, 1, 2 on one key; 2 waits. Round 1: 2's
    // waiting request goes; its new one may not go in the same round, so it
    // waits, and client 3's new one waits behind it although one request of
    // budget is left: the queue is first come, first served.
    let cfg = preset("sharded-c10-s4");
    let mut m = Model::with_service(&cfg, Service { rate: 2, queue: 8 }).unwrap();
    let lat = m.latency();
    let mut got = vec![];
    let round = |clients: &[u32], m: &mut Model, got: &mut Vec<Answer>| {
        let mut slots = vec![None; 10];
        for &c in clients {
            slots[c as usize] = Some(req(Op::Get, 7, None));
        }
        got.extend_from_slice(m.step_answers(&slots));
    };
    round(&[0, 1, 2], &mut m, &mut got);
    round(&[2, 3], &mut m, &mut got);
    m.drain(|a| got.push(*a));
    got.sort_by_key(|a| (a.round, a.client));
    let waits: Vec<(u64, u32, u64)> = got
        .iter()
        .map(|a| (a.round, a.client, a.done_round - a.round - lat))
        .collect();
    assert_eq!(
        waits,
        [(0, 0, 0), (0, 1, 0), (0, 2, 1), (1, 2, 1), (1, 3, 1)]
    );
}
