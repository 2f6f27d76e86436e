//! Model throughput: requests per second on one core, every client issuing
//! every round (goal: >= 50 M requests/s for sharded-c10-s4).
//! `cargo bench -p tidekv-sim --bench model` prints the figures.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use tidekv_defs::gen::{GenConfig, Generator, OpMix};
use tidekv_defs::{Config, Request};
use tidekv_sim::Model;

const ROUNDS: usize = 20_000;

fn workload(cfg: &Config) -> Vec<Vec<Option<Request>>> {
    let g = GenConfig {
        seed: 42,
        rounds: 0,
        key_range_bits: 11,
        mix: OpMix::default(),
    };
    let mut gen = Generator::new(&g, &cfg.build);
    (0..ROUNDS)
        .map(|_| {
            (0..cfg.build.clients)
                .map(|_| Some(gen.next_request()))
                .collect()
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("model");
    group.sample_size(20);
    for preset in [
        "single-c10",
        "sharded-c10-s4",
        "replicated-c10-s2-r3",
        "hier-c10-h2-s4",
    ] {
        let cfg = Config::preset(preset).unwrap();
        let rounds = workload(&cfg);
        let requests = (ROUNDS * cfg.build.clients as usize) as u64;
        group.throughput(Throughput::Elements(requests));
        group.bench_with_input(BenchmarkId::new("step", preset), &rounds, |bch, rounds| {
            bch.iter_batched(
                || Model::new(&cfg),
                |mut m| {
                    let mut ok = 0u64;
                    for slots in rounds {
                        if let Some(d) = m.step(slots) {
                            ok += d.slots.iter().flatten().count() as u64;
                        }
                    }
                    ok
                },
                criterion::BatchSize::LargeInput,
            )
        });
    }
    let cfg = Config::preset("sharded-c10-s4").unwrap();
    let g = GenConfig {
        seed: 42,
        rounds: ROUNDS as u64,
        key_range_bits: 11,
        mix: OpMix::default(),
    };
    group.throughput(Throughput::Elements(ROUNDS as u64 * 10));
    group.bench_function("generator+digest/sharded-c10-s4", |bch| {
        bch.iter_batched(
            || Model::new(&cfg),
            |mut m| m.run_generator(&g).digest,
            criterion::BatchSize::LargeInput,
        )
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
