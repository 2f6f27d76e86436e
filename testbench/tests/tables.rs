//! Replica tables read from the hardware (`Cmd::ReadSlot`,
//! `drive::read_table`): after traffic with a crash and a rejoin, every
//! live replica of the Verilated core holds the model's table entry by
//! entry and slot by slot (so the live replicas agree), the node states
//! agree, and the check fails on a model that saw one more write or one
//! more crash. (Every differential and campaign run checks the tables the
//! same way, through `diff_on`.)

use tidekv_cosim::verilator::VCore;
use tidekv_defs::Op;
use tidekv_driver::drive;
use tidekv_testbench::traffic::{self, Traffic};
use tidekv_testbench::{build, check_tables};

#[test]
fn hardware_tables_equal_the_model_and_a_difference_is_caught() {
    let name = "replicated-c10-s2-r3";
    let (so, cfg) = build(name);
    let b = cfg.build.clone();
    let script = |extra: u8| {
        let mut t = Traffic::new(&cfg, 11);
        traffic::mixed(&mut t, 0, 40, 0.9, 6);
        t.fail(20, 1, 2);
        t.fail(25, 0, 0);
        t.recover(32, 0, 0);
        if extra == 1 {
            t.req(40, 3, Op::Put, 4242);
        }
        if extra == 2 {
            t.fail(40, 1, 0);
        }
        t.trace()
    };
    let trace = script(0);
    let mut core = VCore::open(&so, None).unwrap();
    let mut want = vec![];
    let m = tidekv_sim::replay(&cfg, &trace, |a| want.push(*a));
    tidekv_testbench::diff_on(&mut core, &cfg, &trace, &want, &m).unwrap();
    assert_eq!(check_tables(&mut core, &cfg, &m), Ok(5), "5 live replicas");
    let entries: usize = (0..2)
        .map(|s| drive::read_table(&mut core, &b, s, 1).unwrap().len())
        .sum();
    assert!(entries > 20, "{entries} entries");
    // Shard 1's crashed replica 2 kept its table as it was: not the model's now.
    assert_ne!(
        drive::read_table(&mut core, &b, 1, 2).unwrap(),
        m.contents(1, 0),
        "the down replica missed the later writes"
    );
    for extra in [1, 2] {
        let m2 = tidekv_sim::replay(&cfg, &script(extra), |_| {});
        let e = check_tables(&mut core, &cfg, &m2).unwrap_err();
        println!(
            "a model with one more {}: {e}",
            ["", "write", "crash"][extra as usize]
        );
    }
}
