//! The Verilated core of the RTL test configuration against the model: a
//! few hundred rounds of random traffic, request by request. (The
//! differential suite over every preset lives in `testbench/`.)

use tidekv_cosim::verilator::{build, VCore};
use tidekv_defs::hash::splitmix64;
use tidekv_defs::{Op, Request};
use tidekv_sim::Model;

/// `TK_KEYS` (key mask), `TK_SPEC` (configuration), `TK_ROUNDS`,
/// `TK_VCD` (waveform file) and `TK_DEBUG` (print the requests) steer it.
#[test]
fn verilated_core_answers_like_the_model() {
    let default = concat!(env!("CARGO_MANIFEST_DIR"), "/../rtl/test.toml").to_string();
    let spec = &std::env::var("TK_SPEC").unwrap_or(default);
    let vcd = std::env::var("TK_VCD").ok();
    let (so, cfg) = build(spec, vcd.is_some()).expect("verilate the RTL test configuration");
    let mut core = VCore::open(&so, vcd.as_deref().map(std::path::Path::new)).expect("load it");
    let mut m = Model::new(&cfg);
    let c = core.clients;
    assert_eq!(c, cfg.build.clients as usize);
    let mut rng = 3u64;
    let mut compared = 0;
    for u in 0..std::env::var("TK_ROUNDS")
        .ok()
        .and_then(|k| k.parse().ok())
        .unwrap_or(400u64)
    {
        let reqs: Vec<Option<Request>> = (0..c)
            .map(|_| {
                let r = splitmix64(&mut rng);
                (u < 390 && !r.is_multiple_of(4)).then(|| {
                    let op = Op::ALL[(r % 5) as usize];
                    Request {
                        op,
                        key: r >> 8
                            & std::env::var("TK_KEYS")
                                .ok()
                                .and_then(|k| k.parse().ok())
                                .unwrap_or(63u64),
                        value: if op.takes_value() { r >> 32 & 0xff } else { 0 },
                    }
                })
            })
            .collect();
        let want: Vec<_> = match m.step(&reqs) {
            Some(d) => {
                let r = d.issue_round;
                d.slots
                    .iter()
                    .map(|s| s.map(|(_, resp)| (r, resp)))
                    .collect()
            }
            None => vec![None; c],
        };
        let got = core.round(&reqs).expect("a round");
        if std::env::var("TK_DEBUG").is_ok() {
            eprintln!("{u}: {reqs:?}");
        }
        assert_eq!(got, want, "round {u}");
        compared += want.iter().flatten().count();
    }
    assert!(compared > 800, "{compared} responses compared");
}
