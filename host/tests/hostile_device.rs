//! The host against a device that lies: answers garbage, late, never, with
//! another frame's sequence number, type or length, a flipped bit, a cut
//! frame, a `Nack`, or a stale answer again. Whatever it does, the host
//! never reports a request, command or round as answered when it was not:
//! every answer the host hands on is the one the device gave to that very
//! request (each carries a fingerprint of its request), and a call either
//! returns such answers or an error, in bounded (simulated) time. The same
//! device telling the truth serves every call, so the check is not
//! vacuous.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::VecDeque;
use std::time::Duration;
use tidekv_defs::codec::StepCodec;
use tidekv_defs::link::{self, Deframer, DeviceInfo, Drop, Frame, FrameType, LinkParams, SLIP_END};
use tidekv_defs::regs::{Cmd, Counter};
use tidekv_defs::{BuildConfig, Config, Op, Request, Response, Status};
use tidekv_driver::link::{Transport, TransportError};
use tidekv_host::client::Device;

/// What the device does with one frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lie {
    Truth,
    Silent,
    Late,
    Garbage,
    WrongSeq,
    WrongType,
    WrongLen,
    Flip,
    Truncated,
    Nack,
    Stale,
}

const LIES: [Lie; 10] = [
    Lie::Silent,
    Lie::Late,
    Lie::Garbage,
    Lie::WrongSeq,
    Lie::WrongType,
    Lie::WrongLen,
    Lie::Flip,
    Lie::Truncated,
    Lie::Nack,
    Lie::Stale,
];

/// A request's fingerprint: the value its response carries.
fn print_request(b: &BuildConfig, client: usize, r: &Request) -> u64 {
    let x = (r.key ^ r.value.rotate_left(17) ^ (u64::from(r.op.code()) << 40) ^ client as u64)
        .wrapping_mul(0x9E37_79B9_7F4A_7C15);
    (x ^ x >> 29) & b.value_mask()
}

/// A command's fingerprint: its rdata.
fn print_cmd(payload: &[u8]) -> u64 {
    let x = link::FRAME_CRC.checksum(payload) as u64;
    x.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 8
}

/// A device whose every answer is right or one of `LIES` (with chance
/// `p_lie` a frame), on simulated time.
struct Liar {
    b: BuildConfig,
    codec: StepCodec,
    deframer: Deframer,
    rng: StdRng,
    p_lie: f64,
    /// Frames the device ran (all but those it answered with a `Nack`).
    round: u64,
    pipeline: VecDeque<Vec<Option<Request>>>,
    out: Vec<u8>,
    late: Vec<u8>,
    last_answer: Vec<u8>,
    seconds: f64,
    /// Lies told, and frames answered truthfully.
    lies: u64,
    truths: u64,
}

impl Liar {
    fn new(b: &BuildConfig, p_lie: f64, seed: u64) -> Liar {
        let lat = b.latency() as usize;
        Liar {
            b: b.clone(),
            codec: StepCodec::new(b),
            deframer: Deframer::new(link::max_payload(b)),
            rng: StdRng::seed_from_u64(seed),
            p_lie,
            round: 0,
            pipeline: (0..lat).map(|_| vec![None; b.clients as usize]).collect(),
            out: vec![],
            late: vec![],
            last_answer: vec![],
            seconds: 0.0,
            lies: 0,
            truths: 0,
        }
    }

    /// Run a frame: its true answer's payload.
    fn run(&mut self, f: &Frame) -> Vec<u8> {
        match f.frame_type() {
            Some(FrameType::Info) => DeviceInfo::new(&self.b, LinkParams::default()).encode(),
            Some(FrameType::Cmd) => {
                let mut p = vec![0u8];
                p.extend_from_slice(&print_cmd(&f.payload).to_le_bytes());
                p
            }
            Some(FrameType::LinkStats) => vec![0; link::LINK_COUNTERS * 4],
            Some(FrameType::Step) => {
                let c = self.b.clients as usize;
                let l = tidekv_defs::layout::request_layout(&self.b).bytes();
                let reqs: Vec<Option<Request>> = f
                    .payload
                    .chunks(l)
                    .map(|s| {
                        tidekv_defs::layout::unpack_request(
                            &self.b,
                            tidekv_defs::layout::Bits::from_slice(s).as_bitslice(),
                        )
                        .expect("the host's slots are well formed")
                    })
                    .collect();
                assert_eq!(reqs.len(), c, "one round a frame");
                let old = self.pipeline.pop_front().expect("latency >= 1");
                self.pipeline.push_back(reqs);
                let resps: Vec<Option<Response>> = old
                    .iter()
                    .enumerate()
                    .map(|(k, r)| r.map(|r| Response::ok(Some(print_request(&self.b, k, &r)))))
                    .collect();
                let mut p = vec![];
                self.codec.encode_answer(self.round, &resps, &mut p);
                self.round += 1;
                p
            }
            _ => unreachable!("the host sends only what it may: {f:?}"),
        }
    }

    fn answer(&mut self, f: Frame) {
        let lie = if self.rng.gen_bool(self.p_lie) {
            LIES[self.rng.gen_range(0..LIES.len())]
        } else {
            Lie::Truth
        };
        if lie == Lie::Nack {
            let n = Frame::new(FrameType::Nack, f.seq, vec![Drop::Crc.code(), f.ty]);
            n.encode_into(&mut self.out);
            self.lies += 1;
            return;
        }
        let payload = self.run(&f);
        let truth = Frame::new(f.frame_type().unwrap(), f.seq, payload);
        let mut w = truth.encode();
        match lie {
            Lie::Truth => {
                self.out.extend_from_slice(&w);
                self.truths += 1;
                self.last_answer = w;
                return;
            }
            Lie::Silent | Lie::Nack => {}
            Lie::Late => self.late.extend_from_slice(&w),
            Lie::Garbage => {
                let n = self.rng.gen_range(1..80);
                self.out.extend((0..n).map(|_| self.rng.gen::<u8>()));
                self.out.push(SLIP_END);
            }
            Lie::WrongSeq => {
                let seq = f.seq.wrapping_add(self.rng.gen_range(1..=255));
                let ty = truth.frame_type().unwrap();
                Frame::new(ty, seq, truth.payload).encode_into(&mut self.out)
            }
            Lie::WrongType => {
                let ty = [
                    FrameType::Info,
                    FrameType::Cmd,
                    FrameType::Step,
                    FrameType::LinkStats,
                ]
                .into_iter()
                .filter(|&t| t.code() != f.ty)
                .nth(self.rng.gen_range(0..3))
                .unwrap();
                Frame::new(ty, f.seq, truth.payload).encode_into(&mut self.out)
            }
            Lie::WrongLen => {
                let ty = truth.frame_type().unwrap();
                let mut p = truth.payload;
                if p.is_empty() || self.rng.gen_bool(0.5) {
                    p.push(self.rng.gen());
                } else {
                    p.pop();
                }
                Frame::new(ty, f.seq, p).encode_into(&mut self.out)
            }
            Lie::Flip => {
                let i = self.rng.gen_range(1..w.len() - 1);
                w[i] ^= 1 << self.rng.gen_range(0..8);
                self.out.extend_from_slice(&w);
            }
            Lie::Truncated => {
                w.truncate(self.rng.gen_range(1..w.len() - 1));
                self.out.extend_from_slice(&w);
                self.out.push(SLIP_END);
            }
            Lie::Stale => {
                // An old answer again (stale sequence), then nothing.
                let old = self.last_answer.clone();
                self.out.extend_from_slice(&old);
            }
        }
        self.lies += 1;
    }
}

impl Transport for Liar {
    fn send(&mut self, bytes: &[u8]) -> Result<(), TransportError> {
        let mut frames = vec![];
        self.deframer.push_all(bytes, |r| {
            frames.push(r.expect("the host's frames are well formed"))
        });
        for f in frames {
            self.answer(f);
        }
        self.seconds += bytes.len() as f64 * 1e-7;
        Ok(())
    }
    fn recv(&mut self, timeout: Duration) -> Result<Vec<u8>, TransportError> {
        if self.out.is_empty() {
            // Nothing now: the wait runs out; late answers come after it.
            self.seconds += timeout.as_secs_f64();
            self.out = std::mem::take(&mut self.late);
            return Ok(vec![]);
        }
        self.seconds += self.out.len() as f64 * 1e-7;
        Ok(std::mem::take(&mut self.out))
    }
    fn describe(&self) -> String {
        "a lying device".into()
    }
    fn elapsed(&self) -> Option<f64> {
        Some(self.seconds)
    }
}

/// Calls of every kind on a device behind `liar`: every answer handed on
/// is checked against its request's fingerprint. (Calls that succeeded,
/// calls that failed.)
fn drive(liar: Liar, calls: usize, seed: u64) -> (usize, usize) {
    let b = liar.b.clone();
    let mut d =
        Device::on(Box::new(liar), Duration::from_millis(20)).expect("Info, told the truth");
    let mut rng = StdRng::seed_from_u64(seed);
    let (mut ok, mut failed) = (0, 0);
    let c = b.clients as usize;
    let random_request = |rng: &mut StdRng| {
        let op = Op::ALL[rng.gen_range(0..5)];
        let value = rng.gen::<u64>() & b.value_mask();
        Request::new(
            op,
            rng.gen::<u64>() & b.key_mask(),
            op.takes_value().then_some(value),
        )
    };
    for i in 0..calls {
        let r = match i % 4 {
            // One request, through the whole pipeline.
            0 => {
                let client = rng.gen_range(0..c);
                let q = random_request(&mut rng);
                d.request(client as u32, q).map(|a| {
                    assert_eq!(
                        (a.client as usize, a.request, a.response),
                        (client, q, Response::ok(Some(print_request(&b, client, &q)))),
                        "call {i}: the answer handed on is not the device's answer to it"
                    );
                })
            }
            // Rounds pipelined in a window.
            1 => {
                let rounds: Vec<Vec<Option<Request>>> = (0..rng.gen_range(1..12))
                    .map(|_| {
                        (0..c)
                            .map(|_| rng.gen_bool(0.7).then(|| random_request(&mut rng)))
                            .collect()
                    })
                    .collect();
                let want: usize = rounds.iter().flatten().flatten().count();
                let mut got = 0;
                let window = d.window_bytes(None);
                d.run_rounds(rounds, window, |t| {
                    let a = &t.answered;
                    assert_eq!(
                        a.response,
                        Response::ok(Some(print_request(&b, a.client as usize, &a.request))),
                        "call {i}: an answer handed on that the device gave another request"
                    );
                    assert_eq!(a.response.status, Status::Ok);
                    got += 1;
                    Ok(())
                })
                .map(|()| assert_eq!(got, want, "call {i}: every request answered once"))
            }
            // Commands: every counter's rdata is its command's fingerprint.
            2 => d.counters().map(|cs| {
                for (name, v) in cs {
                    let k = Counter::ALL.iter().find(|k| k.name() == name).unwrap();
                    let p = link::cmd_payload(Cmd::ReadCounter.code(), k.code().into(), 0);
                    assert_eq!(v, print_cmd(&p), "call {i}: counter {name}");
                }
            }),
            _ => d.link_counters(false).map(|cs| {
                assert!(cs.iter().all(|&(_, v)| v == 0), "call {i}: {cs:?}");
            }),
        };
        match r {
            Ok(()) => ok += 1,
            Err(_) => failed += 1,
        }
    }
    (ok, failed)
}

fn build() -> BuildConfig {
    Config::preset("sharded-c10-s4").unwrap().build
}

#[test]
fn a_truthful_device_serves_every_call() {
    let (ok, failed) = drive(Liar::new(&build(), 0.0, 1), 200, 2);
    assert_eq!((ok, failed), (200, 0));
}

#[test]
fn a_lying_device_never_gets_an_answer_taken_for_another() {
    let mut total = (0, 0);
    for seed in 0..6 {
        let (ok, failed) = drive(Liar::new(&build(), 0.08, 100 + seed), 300, seed);
        total.0 += ok;
        total.1 += failed;
    }
    println!("lying device: {} calls served, {} failed", total.0, total.1);
    // Lies made calls fail (and the checks above held on every answer that
    // got through); most calls still got through.
    assert!(
        total.1 > 50 && total.0 > total.1,
        "{total:?} calls ok, failed"
    );
}

#[test]
fn a_device_that_only_lies_gets_nothing_through() {
    let liar = Liar::new(&build(), 1.0, 7);
    let mut d = Device::on(
        Box::new(TruthFirst {
            inner: liar,
            told: false,
        }),
        Duration::from_millis(20),
    )
    .unwrap();
    for i in 0..100 {
        let r = match i % 3 {
            0 => d.request(0, Request::new(Op::Get, 1, None)).map(|_| ()),
            1 => d.counters().map(|_| ()),
            _ => d.link_counters(false).map(|_| ()),
        };
        // A lie can still be a true answer by accident only if a stale
        // answer of the same kind repeats: `Stale` repeats the last true
        // answer, which here is `Info`'s, never one of these.
        assert!(r.is_err(), "call {i} got through a device that only lies");
    }
}

/// The first frame answered truthfully (the `Info` of connecting), then the inner device.
struct TruthFirst {
    inner: Liar,
    told: bool,
}

impl Transport for TruthFirst {
    fn send(&mut self, bytes: &[u8]) -> Result<(), TransportError> {
        if !self.told {
            self.told = true;
            let p = self.inner.p_lie;
            self.inner.p_lie = 0.0;
            let r = self.inner.send(bytes);
            self.inner.p_lie = p;
            return r;
        }
        self.inner.send(bytes)
    }
    fn recv(&mut self, timeout: Duration) -> Result<Vec<u8>, TransportError> {
        self.inner.recv(timeout)
    }
    fn describe(&self) -> String {
        self.inner.describe()
    }
    fn elapsed(&self) -> Option<f64> {
        self.inner.elapsed()
    }
}
