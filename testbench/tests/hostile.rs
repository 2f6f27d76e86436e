//! The hostile link campaign (`testbench::hostile`) on the Verilated device
//! top: bad frames of every kind, read-only frames with replayed and
//! out-of-order sequence numbers, FIFO-overrunning bursts and half frames,
//! between good rounds checked against the model. No hang, nothing corrupt
//! accepted, every drop counted, no state change.
//!
//! `make test` sends `TK_LINK_FRAMES` bad frames (default 20,000);
//! `make campaign` a million (`tidekv campaign --link-frames`).

use tidekv_cosim::verilator::Top;
use tidekv_defs::Config;
use tidekv_testbench::build_top;
use tidekv_testbench::hostile::{run_link_campaign, LinkPlan, KINDS, PROBES};

#[test]
fn device_survives_hostile_frames_with_no_state_change() {
    let frames = std::env::var("TK_LINK_FRAMES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000);
    let name = "single-c10";
    let (so, _) = build_top(name, Top::Device);
    let cfg = Config::preset(name).unwrap();
    let plan = LinkPlan {
        traffic_every: 40,
        burst_every: 400,
        timeout_every: 300,
        ..LinkPlan::new(frames, 0x5EED)
    };
    let s = run_link_campaign(name, &cfg, &so, &plan, |_| {}).unwrap();
    println!("link campaign: {}", serde_json::to_string(&s).unwrap());
    assert!(s.failures.is_empty(), "{:#?}", s.failures);
    assert_eq!((s.hangs, s.accepted_corrupt, s.mismatches), (0, 0, 0));
    assert_eq!(s.frames, frames);
    // Every kind was sent, every probe answered, every drop reason but
    // `busy` (free-running batches are not in play) seen.
    assert_eq!(s.kinds.len(), KINDS.len(), "{:?}", s.kinds);
    assert!(s.probes > frames / 10 && PROBES.len() == 3);
    for r in [
        "overrun", "escape", "length", "crc", "type", "payload", "timeout",
    ] {
        assert!(
            s.nacks.get(r).copied().unwrap_or(0) > 0 || r == "overrun",
            "{r}: {:?}",
            s.nacks
        );
    }
    assert!(s.bursts > 0 && s.burst_overruns > 0, "{s:?}");
    assert!(s.good_requests > 0 && s.timeouts > 0, "{s:?}");
}
