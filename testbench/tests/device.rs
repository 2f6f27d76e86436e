//! The device top (the core behind the framed link) in Verilator, its
//! bytes driven from Rust: rounds and commands over the link equal the
//! model; corrupt, truncated and garbage frames are dropped, counted and
//! answered with the right NACK, with no state change and no hang; a half
//! frame is dropped by the watchdog; bytes lost to a full FIFO are named;
//! and the same works through the UART pins.

use rand::{Rng, SeedableRng};
use tidekv_cosim::verilator::{Top, VDevice};
use tidekv_defs::gen::{GenConfig, OpMix};
use tidekv_defs::link::{
    self, cmd_payload, expected_answers, Deframer, Drop, Frame, FrameType, LinkParams, SLIP_END,
};
use tidekv_defs::regs::{Cmd, CmdStatus, Counter};
use tidekv_defs::Config;
use tidekv_driver::drive::Core;
use tidekv_driver::link::LinkCore;
use tidekv_testbench::hostile::{bad_frame, KINDS};
use tidekv_testbench::traffic::{self, Traffic};
use tidekv_testbench::{build_top, compare_generator_on, compare_on};

const PRESET: &str = "single-c10";

fn device(uart: bool) -> (LinkCore<VDevice>, Config) {
    let (so, cfg) = build_top(PRESET, Top::Device);
    let d = VDevice::open(&so, None, uart).unwrap_or_else(|e| panic!("{e}"));
    (LinkCore::new(d, cfg.build.clone()), cfg)
}

/// Send raw bytes and clock until `ends` END bytes came out (0: all of
/// `limit` clocks); the frames that came back, deframed.
fn raw_frames(c: &mut LinkCore<VDevice>, bytes: &[u8], ends: u64, limit: u64) -> Vec<Frame> {
    let out = c.link.run_bytes(bytes, ends, limit);
    let mut d = Deframer::new(link::max_answer(c.build()));
    out.iter()
        .filter_map(|&x| d.push(x))
        .map(|r| r.expect("the device's frames are well formed"))
        .collect()
}

/// The round the device is in.
fn device_round(c: &mut LinkCore<VDevice>) -> u64 {
    tidekv_defs::regs::round_field(c.ok(Cmd::Info, 0, 0).unwrap())
}

/// Send raw bytes; the `answers` frames that come back.
fn raw(c: &mut LinkCore<VDevice>, bytes: &[u8], answers: usize) -> Vec<Frame> {
    let got = raw_frames(
        c,
        bytes,
        2 * answers as u64,
        200_000 + 4 * bytes.len() as u64,
    );
    assert_eq!(got.len(), answers, "answers to {} bytes", bytes.len());
    got
}

#[test]
fn device_answers_info_and_replays_like_the_model() {
    let (mut c, cfg) = device(false);
    let info = c.check_info().unwrap();
    assert_eq!(info.link, LinkParams::default());
    assert_eq!(info.clocks_per_round, cfg.build.clocks_per_round());
    let mut t = Traffic::new(&cfg, 11);
    traffic::mixed(&mut t, 0, 400, 0.9, 8);
    traffic::one_key_rounds(&mut t, 400, 20);
    let n = compare_on("device (bypass)", &mut c, &cfg, &t.trace());
    assert!(n > 3000, "{n} requests compared");
    let g = GenConfig {
        seed: 77,
        rounds: 200,
        key_range_bits: 6,
        mix: OpMix::default(),
    };
    let (mut fresh, _) = device(false);
    assert!(compare_generator_on("device generator", &mut fresh, &cfg, &g) > 0);
    println!(
        "device over the byte stream: {n} requests equal to the model, {} clocks",
        c.link.clocks()
    );
}

/// Pipelined `Step` frames of `MAX_STEP_ROUNDS` rounds each, as
/// `LinkCore::steps` sends them, answer round for round as the model does.
#[test]
fn device_pipelined_steps_equal_the_model() {
    let (mut c, cfg) = device(false);
    let b = cfg.build.clone();
    let cl = b.clients as usize;
    let mut rng = rand::rngs::StdRng::seed_from_u64(31);
    // An odd count, so that with two rounds per frame the last carries one.
    let rounds: Vec<Vec<Option<tidekv_defs::Request>>> = (0..301)
        .map(|_| {
            (0..cl)
                .map(|_| {
                    rng.gen_bool(0.8).then(|| {
                        let op = tidekv_defs::Op::ALL[rng.gen_range(0..tidekv_defs::Op::ALL.len())];
                        tidekv_defs::Request {
                            op,
                            key: rng.gen_range(0..24),
                            value: if op.takes_value() {
                                rng.gen_range(0..1 << 20)
                            } else {
                                0
                            },
                        }
                    })
                })
                .collect()
        })
        .collect();
    let lat = b.latency() as usize;
    let all: Vec<_> = rounds
        .iter()
        .cloned()
        .chain((0..lat).map(|_| vec![None; cl]))
        .collect();
    let mut model = tidekv_sim::Model::new(&cfg);
    let mut want: Vec<Vec<Option<(u64, tidekv_defs::Response)>>> = Vec::new();
    for r in &all {
        let row = match model.step(r) {
            Some(done) => done
                .slots
                .iter()
                .map(|s| s.map(|(_, resp)| (done.issue_round, resp)))
                .collect(),
            None => vec![None; cl],
        };
        want.push(row);
    }
    let mut got = Vec::new();
    let window = link::RX_FIFO_BYTES as usize;
    c.link_stats(true).unwrap();
    c.steps(
        all.clone(),
        window,
        |i, _, a| -> Result<(), tidekv_driver::link::LinkCoreError> {
            assert_eq!(
                a.round, i as u64,
                "round {i}: the answer names round {}",
                a.round
            );
            got.push(a.responses);
            Ok(())
        },
    )
    .unwrap();
    let frames = c.link_stats(false).unwrap()[0] as usize;
    assert_eq!(got.len(), all.len());
    for (i, (g, w)) in got.iter().zip(&want).enumerate() {
        assert_eq!(
            g, w,
            "round {i}: the device (left) differs from the model (right)"
        );
    }
    let n = all.len();
    assert_eq!(
        frames,
        n.div_ceil(link::MAX_STEP_ROUNDS),
        "Step frames for {n} rounds"
    );
    assert_eq!(device_round(&mut c), n as u64);
    println!("{n} rounds in {frames} pipelined Step frames equal to the model");
}

/// With the `duplex` option (on in single-c10) the deframer takes the
/// next frame while a round runs and while the framer sends an answer. Two
/// `Step` frames back to back are answered in fewer clocks than their bytes
/// in and out take one after the other (a half-duplex link needs at least
/// that many, a byte a clock each way), and the second adds fewer clocks to
/// the first's alone than its bytes and a round (T clocks): the first
/// frame's round and answer are hidden behind the second's bytes.
#[test]
fn device_takes_the_next_frame_while_it_answers() {
    let (mut c, cfg) = device(false);
    let b = cfg.build.clone();
    assert!(b.device.duplex, "{PRESET} is built with duplex");
    let frame = |seq: u8| Frame::new(FrameType::Step, seq, vec![0; link::step_bytes(&b)]).encode();
    let mut run = |bytes: &[u8], answers: u64| {
        let t0 = c.link.clocks();
        let out = c.link.run_bytes(bytes, 2 * answers, 100_000);
        let clocks = c.link.clocks() - t0;
        let mut d = Deframer::new(link::max_answer(&b));
        let got: Vec<(u8, u8)> = out
            .iter()
            .filter_map(|&x| d.push(x))
            .map(|r| r.expect("the device's frames are well formed"))
            .map(|f| (f.ty, f.seq))
            .collect();
        (clocks, out.len(), got)
    };
    let step = FrameType::Step.code();
    let (one, _, got) = run(&frame(1), 1);
    assert_eq!(got, vec![(step, 1)]);
    let bytes = [frame(2), frame(3)].concat();
    let (two, out, got) = run(&bytes, 2);
    assert_eq!(got, vec![(step, 2), (step, 3)]);
    let serial = (bytes.len() + out) as u64;
    assert!(
        two < serial,
        "{two} clocks for {} bytes in and {out} out: no overlap",
        bytes.len()
    );
    let second = (frame(3).len() as u64) + u64::from(b.clocks_per_round());
    assert!(
        two - one < second,
        "the second frame added {} clocks to the first's {one}: not under its {} bytes and a round",
        two - one,
        frame(3).len()
    );
    println!(
        "one Step frame: {one} clocks; two: {two} clocks, {} bytes in and {out} out",
        bytes.len()
    );
}

/// A frame that follows another's closing `END` without an opening one
/// (as `LinkCore` sends while the line is in step) is taken whole.
#[test]
fn device_takes_frames_without_an_opening_end() {
    let (mut c, _) = device(false);
    let mut w = Frame::new(FrameType::Info, 1, vec![]).encode();
    for seq in 2..5 {
        Frame::new(FrameType::Info, seq, vec![]).encode_following(&mut w);
    }
    let got = raw(&mut c, &w, 4);
    assert_eq!(
        got.iter().map(|f| (f.ty, f.seq)).collect::<Vec<_>>(),
        (1..5)
            .map(|s| (FrameType::Info.code(), s))
            .collect::<Vec<_>>()
    );
}

#[test]
fn device_drops_bad_frames_with_the_right_nack_and_no_state_change() {
    let (mut c, cfg) = device(false);
    let b = cfg.build.clone();
    // Some state first: requests, so that the counters and table are not empty.
    let mut t = Traffic::new(&cfg, 5);
    traffic::mixed(&mut t, 0, 40, 0.9, 6);
    compare_on("before", &mut c, &cfg, &t.trace());
    let state = |c: &mut LinkCore<VDevice>| {
        let mut s: Vec<u64> = Counter::ALL
            .iter()
            .map(|&k| c.counter(k).unwrap())
            .collect();
        s.push(c.ok(Cmd::Info, 0, 0).unwrap());
        s
    };
    let before = state(&mut c);
    c.link_stats(true).unwrap();
    let mut rng = rand::rngs::StdRng::seed_from_u64(2026);
    let mut drops = [0u32; link::LINK_COUNTERS];
    let mut served = 0u32;
    for i in 0..400 {
        let seq = (i % 251) as u8;
        // One bad frame of a kind the hostile campaign names.
        let kind = rng.gen_range(0..KINDS.len());
        let bytes = bad_frame(&mut rng, &b, kind, seq);
        let want = expected_answers(&b, &bytes);
        let got = raw(&mut c, &bytes, want.len());
        for (w, g) in want.iter().zip(&got) {
            match w {
                Err(d) => {
                    assert_eq!(
                        g.ty,
                        FrameType::Nack.code(),
                        "case {i}: {bytes:02x?} should be dropped ({}), got {g:?}",
                        d.reason
                    );
                    assert_eq!(
                        (g.seq, g.payload.clone()),
                        (d.seq, link::nack_payload(d)),
                        "case {i}: {bytes:02x?}"
                    );
                    drops[d.reason.code() as usize] += 1;
                }
                Ok(f) => {
                    // A corruption that still makes a valid frame (a flipped
                    // bit in an empty step slot's padding cannot: the CRC
                    // catches every one-bit error): only commands that read.
                    assert_eq!(g.ty, f.ty, "case {i}");
                    served += 1;
                }
            }
        }
    }
    assert_eq!(served, 0, "no corrupted frame was served");
    let stats = c.link_stats(false).unwrap();
    assert_eq!(stats[0], 0, "no frame counted as good");
    assert_eq!(
        &stats[1..],
        &drops[1..],
        "drops per reason (overrun, escape, length, crc, type, payload, timeout)"
    );
    for d in [
        Drop::Escape,
        Drop::Length,
        Drop::Crc,
        Drop::Type,
        Drop::Payload,
    ] {
        assert!(
            drops[d.code() as usize] > 0,
            "the campaign produced {d} drops"
        );
    }
    assert_eq!(
        state(&mut c),
        before,
        "counters and round unchanged by the bad frames"
    );
    println!(
        "bad frames: {:?} dropped per reason ({})",
        &drops[1..],
        (1..link::LINK_COUNTERS)
            .map(link::link_counter_name)
            .collect::<Vec<_>>()
            .join(", ")
    );
}

#[test]
fn device_watchdog_drops_a_half_frame_and_a_full_fifo_is_named() {
    let (mut c, _) = device(false);
    let info = c.check_info().unwrap();
    let f = Frame::new(FrameType::Cmd, 42, cmd_payload(Cmd::Info.code(), 0, 0)).encode();
    // Half a frame, then silence past the watchdog: a timeout NACK.
    let got = raw(&mut c, &f[..6], 1);
    assert_eq!(got[0].ty, FrameType::Nack.code());
    assert_eq!(
        got[0].payload,
        vec![Drop::Timeout.code(), FrameType::Cmd.code()]
    );
    assert!(c.link.clocks() > u64::from(info.link.watchdog_clocks));
    // Its tail is skipped up to the END; the next frame is served.
    let mut tail_then_good = f[6..].to_vec();
    tail_then_good.extend(Frame::new(FrameType::Info, 43, vec![]).encode());
    let got = raw(&mut c, &tail_then_good, 1);
    assert_eq!((got[0].ty, got[0].seq), (FrameType::Info.code(), 43));
    // Info frames back to back: each answer is longer than its request, so
    // the receive FIFO fills, bytes are lost and the frames they belonged
    // to are dropped as overruns; every frame is still answered.
    let burst: Vec<u8> = (0..100)
        .flat_map(|i| Frame::new(FrameType::Info, i, vec![]).encode())
        .collect();
    let mut got = raw_frames(&mut c, &burst, 0, 400_000);
    // Bytes lost at the burst's very end mark the next byte the FIFO
    // takes: a lone END, once the line is quiet, closes that empty frame,
    // dropped (and answered) as an overrun; with no mark pending it is an
    // idle END and nothing answers.
    got.extend(raw_frames(&mut c, &[SLIP_END], 0, 100_000));
    let overruns = got
        .iter()
        .filter(|g| g.ty == FrameType::Nack.code() && g.payload[0] == Drop::Overrun.code())
        .count();
    let infos = got
        .iter()
        .filter(|g| g.ty == FrameType::Info.code())
        .count();
    assert!(
        overruns > 0 && infos > 0,
        "{infos} answered, {overruns} overruns"
    );
    // (If the burst's last END was among the lost bytes, its frame never
    // ends: the watchdog drops it once the line is quiet.)
    let timeouts = got
        .iter()
        .filter(|g| g.ty == FrameType::Nack.code() && g.payload[0] == Drop::Timeout.code())
        .count();
    let others: Vec<_> = got
        .iter()
        .filter(|g| g.ty == FrameType::Nack.code() && g.payload[0] != Drop::Overrun.code())
        .map(|g| g.payload.clone())
        .collect();
    assert!(
        timeouts <= 1,
        "at most the last frame times out: {others:?}"
    );
    assert_eq!(
        overruns + infos + timeouts,
        got.len(),
        "only answers, overrun NACKs and the last frame's timeout; others: {others:?}"
    );
    let stats = c.link_stats(false).unwrap();
    assert_eq!(stats[Drop::Overrun.code() as usize] as usize, overruns);
    // Every timeout counted was answered (the half frame above and the
    // burst's last frame). Until the deframer ignored a lost byte's mark
    // while skipping to an `END` (2026-12-06), this burst counted one
    // timeout more: the mark opened a phantom frame that timed out too.
    let counted = stats[Drop::Timeout.code() as usize] as usize;
    assert_eq!(counted, 1 + timeouts, "timeouts counted and answered");
}

#[test]
fn device_over_uart_pins() {
    let (mut c, cfg) = device(true);
    c.timeout = std::time::Duration::from_millis(25);
    let info = c.check_info().unwrap();
    assert_eq!(c.link.clocks_per_bit, info.link.clocks_per_bit());
    let mut t = Traffic::new(&cfg, 3);
    traffic::mixed(&mut t, 0, 12, 0.9, 4);
    let n = compare_on("device (UART)", &mut c, &cfg, &t.trace());
    assert!(n > 50);
    let (st, _) = c.cmd(Cmd::Info, 0, 0).unwrap();
    assert_eq!(st, CmdStatus::Ok);
    println!(
        "device over UART at {} clocks per bit: {n} requests equal to the model, {} clocks",
        c.link.clocks_per_bit,
        c.link.clocks()
    );
}

/// Free-running batches on the device: a calendar that closes half the
/// ports every other round, then 800 requests queued per client with
/// `Submit` and gathered with `Collect`. Every request is answered once,
/// `latency` rounds after the round it entered, each client's in order,
/// never in a round its port was closed (the trace parser checks that),
/// and the answers equal the model's for the same requests in the same
/// rounds.
#[test]
fn device_free_running_batches_equal_the_model() {
    use std::fmt::Write;
    use tidekv_defs::batch::Queued;
    use tidekv_defs::trace::format_request;
    use tidekv_defs::{Op, Request};
    let (mut c, cfg) = device(false);
    let b = cfg.build.clone();
    // The prefix: the half-closing calendar from round 3, a few writes.
    let mut text = String::from(
        "{\"round\": 3, \"schedule\": {\"calendar\": [\"1111111111\", \"1010101010\"]}}\n",
    );
    for k in 0..8u64 {
        writeln!(
            text,
            "{}",
            format_request(
                k / 5,
                (k % 5) as u32,
                &Request::new(Op::Put, k, Some(1000 + k))
            )
        )
        .unwrap();
    }
    let prefix = tidekv_defs::trace::parse(&text, &b, &cfg.schedule).unwrap();
    tidekv_driver::drive::replay(&mut c, &b, &prefix, |_| {}).unwrap();
    let start = device_round(&mut c);
    let mut rng = rand::rngs::StdRng::seed_from_u64(5);
    let qs: Vec<Queued> = (0..800)
        .map(|_| {
            // Clients 1 and 2 get most: their queues run deep.
            let client = if rng.gen_bool(0.5) {
                rng.gen_range(1..3)
            } else {
                rng.gen_range(0..10)
            };
            let op = Op::ALL[rng.gen_range(0..Op::ALL.len())];
            Queued {
                client,
                tag: 0,
                req: Request::new(
                    op,
                    rng.gen_range(0..16),
                    op.takes_value().then(|| rng.gen_range(0..1 << 20)),
                ),
            }
        })
        .collect();
    let mut got = vec![None; qs.len()];
    c.run_batch(&qs, std::time::Duration::from_secs(1), |i, r| {
        assert!(got[i].is_none(), "request {i} answered twice");
        got[i] = Some(*r);
    })
    .unwrap();
    let got: Vec<_> = got
        .into_iter()
        .map(|r| r.expect("every request answered"))
        .collect();
    let lat = b.latency();
    for (i, (q, r)) in qs.iter().zip(&got).enumerate() {
        assert_eq!(
            (r.client, r.done),
            (q.client, r.issued + lat),
            "request {i}: {r:?}"
        );
        assert!(
            r.issued >= start,
            "request {i} entered in round {} before the batch began ({start})",
            r.issued
        );
    }
    for cl in 0..10 {
        let rounds: Vec<u64> = got
            .iter()
            .filter(|r| r.client == cl)
            .map(|r| r.issued)
            .collect();
        assert!(
            rounds.windows(2).all(|w| w[0] < w[1]),
            "client {cl}'s requests enter in order, one a round: {rounds:?}"
        );
    }
    // The same requests in the rounds they entered, on the model.
    for (q, r) in qs.iter().zip(&got) {
        writeln!(text, "{}", format_request(r.issued, q.client, &q.req)).unwrap();
    }
    let full = tidekv_defs::trace::parse(&text, &b, &cfg.schedule)
        .unwrap_or_else(|e| panic!("the rounds the device chose: {e}"));
    let mut want = std::collections::HashMap::new();
    tidekv_sim::replay(&cfg, &full, |a| {
        want.insert((a.round, a.client), (a.response, a.done_round));
    });
    for (i, r) in got.iter().enumerate() {
        assert_eq!(
            Some(&(r.resp, r.done)),
            want.get(&(r.issued, r.client)),
            "request {i}: the device (left) and the model (right)"
        );
    }
    let blocked = c.counter(Counter::CalendarBlocked).unwrap();
    let end = device_round(&mut c);
    assert!(blocked > 0, "queued requests waited at closed ports");
    println!("{} free-running requests in rounds {start}..{end} equal to the model; {blocked} waits at a closed port", qs.len());
    // Idle again: stepped rounds run.
    assert!(c.round(&vec![None; 10]).is_ok());
}
