//! The `Step` codec on the host's hot path: a round's request slots packed
//! into a `Step` payload, and a `Step` answer's response slots unpacked,
//! bit-identical to `layout`'s `pack_request` / `unpack_response` (which go
//! through `bitvec` and allocate per slot; this writes fields with shifts
//! into one buffer). Field positions come from `request_layout` and
//! `response_layout`, so there is still one definition of each slot.

use crate::codes::{Request, Response, Status};
use crate::config::BuildConfig;
use crate::layout::{request_layout, response_layout, Field, SlotError};
use crate::link::{decode_round, encode_round, LinkError, ROUND_BYTES};

/// OR `v` (`width` bits) into `buf` at bit `off`, LSB first.
#[inline]
fn put(buf: &mut [u8], f: Field, v: u64) {
    let shift = f.offset % 8;
    let first = (f.offset / 8) as usize;
    let n = (shift + f.width).div_ceil(8) as usize;
    let w = (u128::from(v) & ((1u128 << f.width) - 1)) << shift;
    for (i, b) in buf[first..first + n].iter_mut().enumerate() {
        *b |= (w >> (8 * i)) as u8;
    }
}

/// The `width` bits of `buf` at bit `off`.
#[inline]
fn get(buf: &[u8], f: Field) -> u64 {
    let shift = f.offset % 8;
    let first = (f.offset / 8) as usize;
    let n = (shift + f.width).div_ceil(8) as usize;
    let mut w = 0u128;
    for (i, &b) in buf[first..first + n].iter().enumerate() {
        w |= u128::from(b) << (8 * i);
    }
    ((w >> shift) & ((1u128 << f.width) - 1)) as u64
}

/// Append a slot of `bytes` bytes: zeros for `None` (an empty slot), else
/// `values` in `fields`.
#[inline]
fn push_slot(out: &mut Vec<u8>, bytes: usize, fields: &[Field; 4], values: Option<[u64; 4]>) {
    let at = out.len();
    out.resize(at + bytes, 0);
    if let Some(values) = values {
        let slot = &mut out[at..];
        for i in 0..4 {
            put(slot, fields[i], values[i]);
        }
    }
}

/// Packs requests and unpacks responses for one build.
#[derive(Debug, Clone)]
pub struct StepCodec {
    clients: usize,
    latency: u64,
    req: [Field; 4],
    req_bytes: usize,
    resp: [Field; 4],
    resp_bytes: usize,
}

impl StepCodec {
    pub fn new(b: &BuildConfig) -> StepCodec {
        let rl = request_layout(b);
        let sl = response_layout(b);
        StepCodec {
            clients: b.clients as usize,
            latency: b.latency(),
            req: [
                rl.field("valid"),
                rl.field("op"),
                rl.field("key"),
                rl.field("value"),
            ],
            req_bytes: rl.bytes(),
            resp: [
                sl.field("valid"),
                sl.field("status"),
                sl.field("has_value"),
                sl.field("value"),
            ],
            resp_bytes: sl.bytes(),
        }
    }

    /// Append a `Step` payload: one request slot per client (`reqs` has C entries).
    pub fn encode_requests(&self, reqs: &[Option<Request>], out: &mut Vec<u8>) {
        debug_assert_eq!(reqs.len(), self.clients);
        for r in reqs {
            push_slot(
                out,
                self.req_bytes,
                &self.req,
                r.map(|r| [1, u64::from(r.op.code()), r.key, r.value_opt().unwrap_or(0)]),
            );
        }
    }

    /// Append a `Step` answer payload (the device's side; tests and benchmarks).
    pub fn encode_answer(&self, round: u64, resps: &[Option<Response>], out: &mut Vec<u8>) {
        out.extend_from_slice(&encode_round(round));
        for r in resps {
            push_slot(
                out,
                self.resp_bytes,
                &self.resp,
                r.map(|r| {
                    [
                        1,
                        u64::from(r.status.code()),
                        u64::from(r.value.is_some()),
                        r.value.unwrap_or(0),
                    ]
                }),
            );
        }
    }

    /// Decode a one-round `Step` answer: the round that ran and, per
    /// client, the issue round (`latency` earlier) and response of what it
    /// answered.
    pub fn decode_answer(
        &self,
        payload: &[u8],
        out: &mut Vec<Option<(u64, Response)>>,
    ) -> Result<u64, LinkError> {
        self.decode_rounds(payload, 1, out)
    }

    /// Decode the answer to a `Step` of `rounds` rounds: the first round
    /// that ran, and `rounds` × C entries, round by round.
    pub fn decode_rounds(
        &self,
        payload: &[u8],
        rounds: usize,
        out: &mut Vec<Option<(u64, Response)>>,
    ) -> Result<u64, LinkError> {
        let want = ROUND_BYTES + rounds * self.clients * self.resp_bytes;
        if payload.len() != want {
            return Err(LinkError::PayloadSize {
                what: "step answer",
                got: payload.len(),
                want,
            });
        }
        let first = decode_round(payload);
        let bad = |e: SlotError| LinkError::BadField {
            what: "response slot",
            detail: e.to_string(),
        };
        out.clear();
        for (i, slot) in payload[ROUND_BYTES..]
            .chunks_exact(self.resp_bytes)
            .enumerate()
        {
            if get(slot, self.resp[0]) == 0 {
                if slot.iter().any(|&b| b != 0) {
                    return Err(bad(SlotError::DirtyEmpty));
                }
                out.push(None);
                continue;
            }
            let code = get(slot, self.resp[1]);
            let status = Status::from_code(code as u8).ok_or(bad(SlotError::BadCode {
                field: "status",
                value: code,
            }))?;
            let value = (get(slot, self.resp[2]) == 1).then(|| get(slot, self.resp[3]));
            let round = first + (i / self.clients) as u64;
            let Some(issued) = round.checked_sub(self.latency) else {
                return Err(LinkError::BadField {
                    what: "step answer",
                    detail: format!(
                        "a response in round {round}, before any request could be answered"
                    ),
                });
            };
            out.push(Some((issued, Response { status, value })));
        }
        Ok(first)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codes::Op;
    use crate::config::Config;
    use crate::layout::{pack_request, pack_response, unpack_response};
    use proptest::prelude::*;

    fn builds() -> Vec<BuildConfig> {
        let mut v: Vec<BuildConfig> = crate::config::presets()
            .iter()
            .map(|(n, _)| Config::preset(n).unwrap().build)
            .collect();
        let mut odd = v[0].clone();
        (odd.key_bits, odd.value_bits, odd.clients) = (61, 7, 3);
        v.push(odd);
        let mut wide = v[0].clone();
        (wide.key_bits, wide.value_bits) = (64, 64);
        v.push(wide);
        v
    }

    fn request() -> impl Strategy<Value = Option<Request>> {
        proptest::option::of(
            (0u8..5, any::<u64>(), any::<u64>()).prop_map(|(op, key, value)| {
                let op = Op::from_code(op).unwrap();
                Request {
                    op,
                    key,
                    value: if op.takes_value() { value } else { 0 },
                }
            }),
        )
    }

    fn response() -> impl Strategy<Value = Option<Response>> {
        proptest::option::of((0u8..5, proptest::option::of(any::<u64>())).prop_map(
            |(st, value)| Response {
                status: Status::from_code(st).unwrap(),
                value,
            },
        ))
    }

    proptest! {
        #[test]
        fn requests_pack_as_the_layout_does(reqs in proptest::collection::vec(request(), 64)) {
            for b in builds() {
                let c = b.clients as usize;
                let reqs: Vec<Option<Request>> = reqs[..c].iter().map(|r| r.map(|r| Request { key: r.key & b.key_mask(), value: r.value & b.value_mask(), ..r })).collect();
                let mut fast = Vec::new();
                StepCodec::new(&b).encode_requests(&reqs, &mut fast);
                let slow: Vec<u8> = reqs.iter().flat_map(|r| pack_request(&b, r.as_ref()).into_vec()).collect();
                prop_assert_eq!(fast, slow);
            }
        }

        #[test]
        fn answers_unpack_as_the_layout_does(resps in proptest::collection::vec(response(), 64), round in 8u64..1 << 40) {
            for b in builds() {
                let c = b.clients as usize;
                let resps: Vec<Option<Response>> = resps[..c].iter().map(|r| r.map(|r| Response { value: r.value.map(|v| v & b.value_mask()), ..r })).collect();
                let codec = StepCodec::new(&b);
                let mut payload = Vec::new();
                codec.encode_answer(round, &resps, &mut payload);
                let slow: Vec<u8> = round.to_le_bytes()[..ROUND_BYTES].iter().copied().chain(resps.iter().flat_map(|r| pack_response(&b, r.as_ref()).into_vec())).collect();
                prop_assert_eq!(&payload, &slow, "encode");
                let mut got = Vec::new();
                prop_assert_eq!(codec.decode_answer(&payload, &mut got).unwrap(), round);
                let n = response_layout(&b).bytes();
                for (k, g) in got.iter().enumerate() {
                    let bits = crate::layout::Bits::from_slice(&payload[ROUND_BYTES + k * n..ROUND_BYTES + (k + 1) * n]);
                    let want = unpack_response(&b, &bits).unwrap().map(|r| (round - b.latency(), r));
                    prop_assert_eq!(*g, want);
                }
            }
        }

        #[test]
        fn multi_round_answers_number_their_rounds(resps in proptest::collection::vec(response(), 128), round in 8u64..1 << 40) {
            for b in builds() {
                let c = b.clients as usize;
                let resps: Vec<Option<Response>> = resps[..2 * c].iter().map(|r| r.map(|r| Response { value: r.value.map(|v| v & b.value_mask()), ..r })).collect();
                let codec = StepCodec::new(&b);
                let mut payload = Vec::new();
                codec.encode_answer(round, &resps, &mut payload);
                prop_assert_eq!(payload.len(), crate::link::step_answer_bytes(&b, 2));
                let mut got = Vec::new();
                prop_assert_eq!(codec.decode_rounds(&payload, 2, &mut got).unwrap(), round);
                let want: Vec<_> = resps.iter().enumerate().map(|(i, r)| r.map(|r| (round + (i / c) as u64 - b.latency(), r))).collect();
                prop_assert_eq!(got, want);
                prop_assert!(codec.decode_answer(&payload, &mut Vec::new()).is_err(), "a two-round answer is not a one-round one");
            }
        }
    }

    #[test]
    fn bad_answers_are_errors() {
        let b = Config::preset("single-c10").unwrap().build;
        let codec = StepCodec::new(&b);
        let mut out = Vec::new();
        assert!(matches!(
            codec.decode_answer(&[0; 3], &mut out),
            Err(LinkError::PayloadSize { .. })
        ));
        let mut p = vec![0u8; ROUND_BYTES + 10 * response_layout(&b).bytes()];
        p[0] = 9;
        p[ROUND_BYTES + 1] = 0x80; // a bit set in an empty slot
        assert!(codec
            .decode_answer(&p, &mut out)
            .unwrap_err()
            .to_string()
            .contains("non-zero"));
        p[ROUND_BYTES + 1] = 0;
        p[ROUND_BYTES] = 1 | 7 << 1; // valid, status 7
        assert!(codec
            .decode_answer(&p, &mut out)
            .unwrap_err()
            .to_string()
            .contains("not a valid code"));
        p[0] = 0;
        p[ROUND_BYTES] = 1;
        assert!(codec
            .decode_answer(&p, &mut out)
            .unwrap_err()
            .to_string()
            .contains("before any request"));
    }
}
