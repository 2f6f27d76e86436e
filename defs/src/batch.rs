//! Free-running batches on the link (`FrameType::Submit`, `Collect`): the
//! payloads and answers, encoded and decoded the one way the RTL, the
//! testbench and the host use (docs/DESIGN.md, "Free-running batches").

use crate::codes::{Request, Response};
use crate::config::BuildConfig;
use crate::layout::{pack_request, pack_response, unpack_response};
use crate::link::{
    collect_entry_bytes, collect_max, decode_round, encode_round, submit_entry_bytes, submit_max,
    LinkError, ROUND_BYTES, SUBMIT_ANSWER_BYTES,
};

/// A request for a client's queue on the device, with the host's tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Queued {
    pub client: u32,
    pub tag: u16,
    pub req: Request,
}

/// A result the device collected: the request's tag, the round it entered
/// and the round its answer reached the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Collected {
    pub client: u32,
    pub tag: u16,
    pub issued: u64,
    pub done: u64,
    pub resp: Response,
}

/// A `Submit` payload (at most `submit_max` requests).
pub fn submit_payload(b: &BuildConfig, qs: &[Queued]) -> Vec<u8> {
    assert!(
        !qs.is_empty() && qs.len() <= submit_max(b),
        "a Submit frame carries 1 to {} requests",
        submit_max(b)
    );
    let mut out = Vec::with_capacity(qs.len() * submit_entry_bytes(b));
    for q in qs {
        out.push(q.client as u8);
        out.extend_from_slice(&q.tag.to_le_bytes());
        out.extend_from_slice(pack_request(b, Some(&q.req)).as_raw_slice());
    }
    out
}

/// A `Submit` answer: (requests accepted, results waiting to be collected).
pub fn decode_submit_answer(p: &[u8]) -> Result<(usize, usize), LinkError> {
    if p.len() != SUBMIT_ANSWER_BYTES {
        return Err(LinkError::PayloadSize {
            what: "submit answer",
            got: p.len(),
            want: SUBMIT_ANSWER_BYTES,
        });
    }
    Ok((p[0] as usize, u16::from_le_bytes([p[1], p[2]]) as usize))
}

/// A `Collect` answer (the device's side: tests and the in-process device).
pub fn encode_collect(b: &BuildConfig, rs: &[Collected]) -> Vec<u8> {
    assert!(rs.len() <= collect_max(b));
    let mut out = vec![rs.len() as u8];
    for r in rs {
        out.push(r.client as u8);
        out.extend_from_slice(&r.tag.to_le_bytes());
        out.extend_from_slice(&encode_round(r.issued));
        out.extend_from_slice(&encode_round(r.done));
        out.extend_from_slice(pack_response(b, Some(&r.resp)).as_raw_slice());
    }
    out
}

/// Decode a `Collect` answer; every result must name a client of the build,
/// be done after it was issued and carry a response.
pub fn decode_collect(b: &BuildConfig, p: &[u8]) -> Result<Vec<Collected>, LinkError> {
    let e = collect_entry_bytes(b);
    let n = *p.first().ok_or(LinkError::PayloadSize {
        what: "collect answer",
        got: 0,
        want: 1,
    })? as usize;
    if n > collect_max(b) || p.len() != 1 + n * e {
        return Err(LinkError::PayloadSize {
            what: "collect answer",
            got: p.len(),
            want: 1 + n.min(collect_max(b)) * e,
        });
    }
    let bad = |detail: String| LinkError::BadField {
        what: "collect answer",
        detail,
    };
    p[1..]
        .chunks_exact(e)
        .enumerate()
        .map(|(i, c)| {
            let client = u32::from(c[0]);
            let issued = decode_round(&c[3..]);
            let done = decode_round(&c[3 + ROUND_BYTES..]);
            let slot = &c[3 + 2 * ROUND_BYTES..];
            let bits = crate::layout::Bits::from_slice(slot);
            let resp =
                unpack_response(b, &bits[..crate::layout::response_layout(b).width as usize])
                    .map_err(|x| bad(format!("result {i}: {x}")))?
                    .ok_or_else(|| bad(format!("result {i}: an empty response slot")))?;
            if client >= b.clients || done < issued {
                return Err(bad(format!(
                    "result {i}: client {client}, issued in round {issued}, done in round {done}"
                )));
            }
            Ok(Collected {
                client,
                tag: u16::from_le_bytes([c[1], c[2]]),
                issued,
                done,
                resp,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codes::{Op, Status};
    use crate::link::{check_request, Drop, Frame, FrameType};
    use crate::Config;

    fn build() -> BuildConfig {
        Config::preset("single-c10").unwrap().build
    }

    #[test]
    fn collect_answers_round_trip_and_bad_ones_are_refused() {
        let b = build();
        let rs: Vec<Collected> = (0..collect_max(&b) as u16)
            .map(|i| Collected {
                client: u32::from(i) % b.clients,
                tag: 1000 + i,
                issued: 77 + u64::from(i),
                done: 79 + u64::from(i),
                resp: Response {
                    status: Status::Ok,
                    value: Some(u64::from(i)),
                },
            })
            .collect();
        let p = encode_collect(&b, &rs);
        assert_eq!(decode_collect(&b, &p).unwrap(), rs);
        assert_eq!(decode_collect(&b, &[0]).unwrap(), vec![]);
        assert!(
            decode_collect(&b, &p[..p.len() - 1]).is_err(),
            "a short answer"
        );
        let mut q = p.clone();
        q[1] = b.clients as u8;
        assert!(
            decode_collect(&b, &q)
                .unwrap_err()
                .to_string()
                .contains("client"),
            "a client out of range"
        );
    }

    #[test]
    fn submit_frames_are_checked_entry_by_entry() {
        let b = build();
        let q = |client, op| Queued {
            client,
            tag: 7,
            req: Request::new(op, 5, Some(9)),
        };
        let ok = Frame::new(
            FrameType::Submit,
            1,
            submit_payload(&b, &[q(0, Op::Put), q(9, Op::Get)]),
        );
        assert_eq!(check_request(&b, &ok), Ok(FrameType::Submit));
        let far = Frame::new(
            FrameType::Submit,
            1,
            submit_payload(&b, &[q(0, Op::Put), q(10, Op::Get)]),
        );
        assert_eq!(
            check_request(&b, &far),
            Err(Drop::Payload),
            "client 10 of 10"
        );
        let mut empty = submit_payload(&b, &[q(1, Op::Put)]);
        empty[3..].iter_mut().for_each(|x| *x = 0);
        assert_eq!(
            check_request(&b, &Frame::new(FrameType::Submit, 1, empty)),
            Err(Drop::Payload),
            "an empty slot"
        );
        let mut cut = submit_payload(&b, &[q(1, Op::Put)]);
        cut.pop();
        assert_eq!(
            check_request(&b, &Frame::new(FrameType::Submit, 1, cut)),
            Err(Drop::Length)
        );
        let many: Vec<Queued> = (0..submit_max(&b) as u32)
            .map(|i| q(i % 10, Op::Get))
            .collect();
        let mut p = submit_payload(&b, &many);
        p.extend(submit_payload(&b, &many[..1]));
        assert_eq!(
            check_request(&b, &Frame::new(FrameType::Submit, 1, p)),
            Err(Drop::Length),
            "one request too many"
        );
        assert_eq!(
            check_request(&b, &Frame::new(FrameType::Collect, 1, vec![])),
            Ok(FrameType::Collect)
        );
        assert_eq!(
            check_request(&b, &Frame::new(FrameType::Collect, 1, vec![0])),
            Err(Drop::Length)
        );
    }
}
