//! The host's `Step` codec (`cargo bench -p tidekv-host --bench codec`):
//! requests encoded into a framed `Step` (slots, header, CRC, SLIP) and a
//! `Step` answer deframed, checked and decoded, per request. Goal: 5 M
//! requests/s encoded and decoded on one core.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::hint::black_box;
use tidekv_defs::codec::StepCodec;
use tidekv_defs::link::{max_answer, Deframer, Frame, FrameType};
use tidekv_defs::{Config, Op, Request, Response, Status};

fn codec(c: &mut Criterion) {
    for preset in ["single-c10", "replicated-c10-s2-r3"] {
        let b = Config::preset(preset).unwrap().build;
        let n = b.clients as usize;
        let codec = StepCodec::new(&b);
        let reqs: Vec<Option<Request>> = (0..n as u64)
            .map(|k| {
                Some(Request {
                    op: Op::Put,
                    key: k * 7919 + 1,
                    value: k * 104_729,
                })
            })
            .collect();
        let resps: Vec<Option<Response>> = (0..n as u64)
            .map(|k| {
                Some(Response {
                    status: Status::Ok,
                    value: Some(k * 31 + 0xC0),
                })
            })
            .collect();
        let mut payload = Vec::new();
        codec.encode_answer(1000, &resps, &mut payload);
        let answer = Frame::new(FrameType::Step, 7, payload).encode();
        let mut g = c.benchmark_group(format!("codec/{preset}"));
        g.throughput(Throughput::Elements(n as u64));
        let mut frame = Vec::new();
        g.bench_function("encode requests into a Step frame", |bch| {
            bch.iter(|| {
                let mut p = Vec::with_capacity(128);
                codec.encode_requests(black_box(&reqs), &mut p);
                frame.clear();
                Frame::new(FrameType::Step, 3, p).encode_into(&mut frame);
                black_box(frame.len())
            })
        });
        let mut de = Deframer::new(max_answer(&b));
        let mut out = Vec::with_capacity(n);
        g.bench_function("deframe and decode a Step answer", |bch| {
            bch.iter(|| {
                let mut got = None;
                de.push_all(black_box(&answer), |f| got = Some(f.expect("a good frame")));
                let f = got.expect("one frame");
                black_box(codec.decode_answer(&f.payload, &mut out).unwrap())
            })
        });
        g.bench_function("both (a request's round trip through the codec)", |bch| {
            bch.iter(|| {
                let mut p = Vec::with_capacity(128);
                codec.encode_requests(black_box(&reqs), &mut p);
                frame.clear();
                Frame::new(FrameType::Step, 3, p).encode_into(&mut frame);
                let mut got = None;
                de.push_all(black_box(&answer), |f| got = Some(f.expect("a good frame")));
                black_box(
                    codec
                        .decode_answer(&got.expect("one frame").payload, &mut out)
                        .unwrap(),
                )
            })
        });
        g.finish();
    }
}

criterion_group!(benches, codec);
criterion_main!(benches);
