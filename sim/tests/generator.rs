//! Generator mode (SPEC section 7): reproducible digests, every client every
//! round, and the digest defined over responses in (issue round, client) order.

mod common;
use common::*;
use tidekv_defs::gen::{DigestBuilder, GenConfig, Generator, OpMix};
use tidekv_defs::Status;
use tidekv_sim::Model;

fn gen(seed: u64, rounds: u64) -> GenConfig {
    GenConfig {
        seed,
        rounds,
        key_range_bits: 8,
        mix: OpMix::default(),
    }
}

#[test]
fn digest_is_reproducible_and_seed_dependent() {
    for &name in PRESETS.iter() {
        let cfg = preset(name);
        let a = Model::new(&cfg).run_generator(&gen(5, 300));
        let b = Model::new(&cfg).run_generator(&gen(5, 300));
        let c = Model::new(&cfg).run_generator(&gen(6, 300));
        assert_eq!(a, b, "{name}");
        assert_ne!(a.digest, c.digest, "{name}");
        assert_eq!(
            a.requests,
            300 * u64::from(cfg.build.clients),
            "{name}: every client every round"
        );
        assert_eq!(a.status_counts.iter().sum::<u64>(), a.requests);
        assert_eq!(a.count(Status::Unavailable), 0, "{name}");
        assert!(
            a.count(Status::Ok) > 0 && a.count(Status::NotFound) > 0,
            "{name}: {a:?}"
        );
    }
}

#[test]
fn digest_covers_responses_in_issue_order() {
    let cfg = preset("sharded-c10-s4");
    let g = gen(11, 50);
    let report = Model::new(&cfg).run_generator(&g);
    // The same stream stepped by hand.
    let mut m = Model::new(&cfg);
    let mut stream = Generator::new(&g, &cfg.build);
    let mut d = DigestBuilder::new(&cfg.build);
    let mut issued = Vec::new();
    for round in 0..g.rounds + m.latency() {
        let slots: Vec<_> = (0..10)
            .map(|_| (round < g.rounds).then(|| stream.next_request()))
            .collect();
        issued.extend(slots.iter().flatten().copied());
        if let Some(done) = m.step(&slots) {
            for (req, resp) in done.slots.iter().flatten() {
                d.add(req, resp);
            }
        }
    }
    assert_eq!(d.finish(), report);
    assert_eq!(issued.len() as u64, report.requests);
    // The op counters follow the mix.
    assert_eq!(report.op_counts.iter().sum::<u64>(), report.requests);
    assert!(
        report.op_counts.iter().all(|&n| n > 0),
        "{:?}",
        report.op_counts
    );
}

#[test]
fn a_run_continues_from_the_current_state() {
    let cfg = preset("single-c10");
    let mut m = Model::new(&cfg);
    let first = m.run_generator(&gen(3, 100));
    let second = m.run_generator(&gen(3, 100));
    // Same requests, but the table is no longer empty: different answers.
    assert_eq!(first.op_counts, second.op_counts);
    assert_ne!(first.digest, second.digest);
}
