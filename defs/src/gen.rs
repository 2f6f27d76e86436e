//! Generator mode (SPEC section 7): the on-chip load generator's request
//! stream and the response digest, defined once for the model and the RTL
//! (docs/DESIGN.md, "Generator mode").
//!
//! Every round, for client 0, 1, ..., C-1 in turn, the generator takes two
//! xorshift64 outputs `w1`, `w2`:
//! - `sel = w1 >> 56` picks the op: the first op `i` with `sel < threshold[i]`;
//! - `key = w1 & (2^key_range_bits - 1)`;
//! - `value = w2 & value_mask` (ignored by get and delete).
//!
//! The digest is CRC-32/ISO-HDLC (the `crc` crate's `CRC_32_ISO_HDLC`) over
//! the packed response slot of every generated request, `ceil(width/8)`
//! bytes each, in order of (issue round, client).

use crate::codes::{Op, Request, Response, Status};
use crate::config::BuildConfig;
use crate::layout::pack_response;
use crate::prng::Xorshift64;

pub const DIGEST_CRC: crc::Crc<u32> = crc::Crc::<u32>::new(&crc::CRC_32_ISO_HDLC);

/// Relative weights of get, insert, modify, put, delete.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpMix(pub [u32; 5]);

impl Default for OpMix {
    fn default() -> OpMix {
        OpMix([50, 15, 10, 15, 10])
    }
}

impl OpMix {
    /// Cumulative thresholds out of 256: `t[i] = floor(256 * (w0+..+wi) / total)`,
    /// and `t[4] = 256`.
    pub fn thresholds(&self) -> [u16; 5] {
        let total: u64 = self.0.iter().map(|&w| u64::from(w)).sum();
        let mut t = [0u16; 5];
        let mut cum = 0u64;
        for (i, (t, &w)) in t.iter_mut().zip(&self.0).enumerate() {
            cum += u64::from(w);
            *t = if i == 4 {
                256
            } else {
                (256 * cum / total) as u16
            };
        }
        t
    }

    /// Parse `get=50,insert=15,...`; ops left out weigh 0.
    pub fn parse(s: &str) -> Result<OpMix, String> {
        let mut w = [0u32; 5];
        for part in s.split(',').filter(|p| !p.trim().is_empty()) {
            let (name, val) = part
                .split_once('=')
                .ok_or_else(|| format!("mix entry {part:?} is not op=weight"))?;
            let op: Op = name.trim().parse()?;
            w[op.code() as usize] = val
                .trim()
                .parse()
                .map_err(|_| format!("mix weight {val:?} is not a whole number"))?;
        }
        if w.iter().all(|&x| x == 0) {
            return Err("mix has no op with a non-zero weight".into());
        }
        Ok(OpMix(w))
    }
}

/// A generator run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GenConfig {
    /// xorshift64 seed, non-zero.
    pub seed: u64,
    pub rounds: u64,
    /// Keys are drawn from `0 .. 2^key_range_bits`; at most min(key_bits, 56).
    pub key_range_bits: u32,
    pub mix: OpMix,
}

impl GenConfig {
    pub fn validate(&self, b: &BuildConfig) -> Result<(), String> {
        if self.seed == 0 {
            return Err("generator seed must be non-zero".into());
        }
        let max = b.key_bits.min(56);
        if self.key_range_bits == 0 || self.key_range_bits > max {
            return Err(format!(
                "key range of 2^{} keys; use 1..={max} bits",
                self.key_range_bits
            ));
        }
        Ok(())
    }
}

/// The generator's request stream.
#[derive(Debug, Clone)]
pub struct Generator {
    rng: Xorshift64,
    thresholds: [u16; 5],
    key_mask: u64,
    value_mask: u64,
}

impl Generator {
    pub fn new(g: &GenConfig, b: &BuildConfig) -> Generator {
        Generator {
            rng: Xorshift64::new(g.seed),
            thresholds: g.mix.thresholds(),
            key_mask: crate::config::mask(g.key_range_bits),
            value_mask: b.value_mask(),
        }
    }
    /// The next request (the next client's, in client order).
    #[inline]
    pub fn next_request(&mut self) -> Request {
        let w1 = self.rng.next();
        let w2 = self.rng.next();
        let sel = (w1 >> 56) as u16;
        let i = self.thresholds.iter().position(|&t| sel < t).unwrap_or(4);
        let op = Op::ALL[i];
        Request::new(
            op,
            w1 & self.key_mask,
            op.takes_value().then_some(w2 & self.value_mask),
        )
    }
}

/// What a generator run reports: the digest and the counters.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GenReport {
    pub requests: u64,
    pub digest: u32,
    /// Responses per status, indexed by status code.
    pub status_counts: [u64; 5],
    /// Requests per op, indexed by op code.
    pub op_counts: [u64; 5],
}

/// Accumulates the digest and counters, response by response, in order.
pub struct DigestBuilder<'a> {
    build: &'a BuildConfig,
    digest: crc::Digest<'static, u32>,
    report: GenReport,
}

impl<'a> DigestBuilder<'a> {
    pub fn new(build: &'a BuildConfig) -> DigestBuilder<'a> {
        DigestBuilder {
            build,
            digest: DIGEST_CRC.digest(),
            report: GenReport::default(),
        }
    }
    pub fn add(&mut self, req: &Request, resp: &Response) {
        self.digest
            .update(pack_response(self.build, Some(resp)).as_raw_slice());
        self.report.requests += 1;
        self.report.op_counts[req.op.code() as usize] += 1;
        self.report.status_counts[resp.status.code() as usize] += 1;
    }
    pub fn finish(self) -> GenReport {
        GenReport {
            digest: self.digest.finalize(),
            ..self.report
        }
    }
}

impl GenReport {
    pub fn count(&self, s: Status) -> u64 {
        self.status_counts[s.code() as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    #[test]
    fn thresholds_partition_the_byte() {
        assert_eq!(OpMix::default().thresholds(), [128, 166, 192, 230, 256]);
        assert_eq!(
            OpMix([1, 0, 0, 0, 0]).thresholds(),
            [256, 256, 256, 256, 256]
        );
        assert_eq!(
            OpMix::parse("get=1,delete=1").unwrap().thresholds(),
            [128, 128, 128, 128, 256]
        );
        assert!(OpMix::parse("get=x").is_err());
        assert!(OpMix::parse("fetch=1").is_err());
        assert!(OpMix::parse("get=0").is_err());
    }

    #[test]
    fn generator_follows_the_mix_and_range() {
        let b = Config::preset("single-c10").unwrap().build;
        let g = GenConfig {
            seed: 7,
            rounds: 0,
            key_range_bits: 6,
            mix: OpMix([1, 0, 0, 1, 0]),
        };
        g.validate(&b).unwrap();
        let mut gen = Generator::new(&g, &b);
        let mut ops = [0; 5];
        for _ in 0..10_000 {
            let r = gen.next_request();
            assert!(r.key < 64);
            ops[r.op.code() as usize] += 1;
        }
        assert_eq!(ops[1] + ops[2] + ops[4], 0);
        assert!(ops[0] > 4500 && ops[3] > 4500, "{ops:?}");
    }

    #[test]
    fn digest_is_crc32_of_packed_slots() {
        let b = Config::preset("single-c10").unwrap().build;
        let mut d = DigestBuilder::new(&b);
        let req = Request::new(Op::Get, 1, None);
        let resp = Response::ok(Some(5));
        d.add(&req, &resp);
        let bytes = pack_response(&b, Some(&resp));
        assert_eq!(
            d.finish().digest,
            crc::Crc::<u32>::new(&crc::CRC_32_ISO_HDLC).checksum(bytes.as_raw_slice())
        );
    }
}
