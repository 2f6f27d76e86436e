//! Synthetic workloads for `tidekv bench` and `make demo`: the YCSB core
//! mixes A, B, C and F and an ETC-like mix (Facebook's memcache pool,
//! GET:SET 30:1), over keys drawn uniformly or from a Zipf distribution.
//!
//! Mapping onto the store's operations: a YCSB read is `get`, an update is
//! `put`, and F's read-modify-write is one `modify` (it writes the new value
//! and answers the one it replaced, in the same round). Records are keys
//! 0..N scrambled by an odd multiplier modulo 2^key_bits (a bijection), so
//! hot ranks are spread over the table.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, Zipf};
use tidekv_defs::{BuildConfig, Op, Request};

/// An operation mix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Mix {
    /// YCSB A: 50 % read, 50 % update.
    A,
    /// YCSB B: 95 % read, 5 % update.
    B,
    /// YCSB C: 100 % read.
    C,
    /// YCSB F: 50 % read, 50 % read-modify-write (`modify`).
    F,
    /// ETC-like: GET:SET 30:1.
    Etc,
}

impl Mix {
    /// (reads, writes) weights; writes are `modify` for F, `put` otherwise.
    fn weights(self) -> (u32, u32) {
        match self {
            Mix::A => (1, 1),
            Mix::B => (19, 1),
            Mix::C => (1, 0),
            Mix::F => (1, 1),
            Mix::Etc => (30, 1),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Mix::A => "ycsb-a",
            Mix::B => "ycsb-b",
            Mix::C => "ycsb-c",
            Mix::F => "ycsb-f",
            Mix::Etc => "etc",
        }
    }
}

/// How keys are drawn.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum KeyDist {
    Uniform,
    /// Zipf with this exponent (YCSB's default 0.99).
    Zipf(f64),
}

impl std::str::FromStr for KeyDist {
    type Err = String;
    fn from_str(s: &str) -> Result<KeyDist, String> {
        if s == "uniform" {
            return Ok(KeyDist::Uniform);
        }
        let theta = s
            .strip_prefix("zipf")
            .ok_or_else(|| format!("{s:?}: give uniform, zipf (0.99) or zipf:THETA"))?;
        let theta = match theta.strip_prefix(':') {
            None if theta.is_empty() => 0.99,
            Some(t) => t
                .parse::<f64>()
                .ok()
                .filter(|t| *t > 0.0 && t.is_finite())
                .ok_or_else(|| format!("{s:?}: THETA must be a positive number"))?,
            None => return Err(format!("{s:?}: give uniform, zipf (0.99) or zipf:THETA")),
        };
        Ok(KeyDist::Zipf(theta))
    }
}

impl std::fmt::Display for KeyDist {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KeyDist::Uniform => write!(f, "uniform"),
            KeyDist::Zipf(t) => write!(f, "zipf:{t}"),
        }
    }
}

/// A request source: `records` keys, a mix and a key distribution.
pub struct Workload {
    pub mix: Mix,
    pub dist: KeyDist,
    pub records: u64,
    rng: StdRng,
    zipf: Option<Zipf<f64>>,
    key_mask: u64,
    value_mask: u64,
}

impl Workload {
    /// `records` must be at least 1 and fit the build's keys.
    pub fn new(
        b: &BuildConfig,
        mix: Mix,
        dist: KeyDist,
        records: u64,
        seed: u64,
    ) -> Result<Workload, String> {
        if records == 0 || records - 1 > b.key_mask() {
            return Err(format!(
                "{records} records: give 1 to 2^{} for {}-bit keys",
                b.key_bits, b.key_bits
            ));
        }
        let zipf = match dist {
            KeyDist::Uniform => None,
            KeyDist::Zipf(t) => Some(Zipf::new(records, t).map_err(|e| format!("zipf:{t}: {e}"))?),
        };
        Ok(Workload {
            mix,
            dist,
            records,
            rng: StdRng::seed_from_u64(seed),
            zipf,
            key_mask: b.key_mask(),
            value_mask: b.value_mask(),
        })
    }

    /// The key of record `i` (0-based rank: record 0 is the hottest under Zipf).
    pub fn key(&self, i: u64) -> u64 {
        i.wrapping_mul(0x9E37_79B9_7F4A_7C15) & self.key_mask
    }

    fn value(&mut self) -> u64 {
        self.rng.gen::<u64>() & self.value_mask
    }

    /// The request that loads record `i` (a `put` of a random value).
    pub fn load(&mut self, i: u64) -> Request {
        let value = self.value();
        Request {
            op: Op::Put,
            key: self.key(i),
            value,
        }
    }

    /// The next request of the mix.
    pub fn next_request(&mut self) -> Request {
        let rank = match &self.zipf {
            None => self.rng.gen_range(0..self.records),
            Some(z) => (z.sample(&mut self.rng) as u64).clamp(1, self.records) - 1,
        };
        let key = self.key(rank);
        let (r, w) = self.mix.weights();
        if self.rng.gen_range(0..r + w) < r {
            Request {
                op: Op::Get,
                key,
                value: 0,
            }
        } else {
            let value = self.value();
            Request {
                op: if self.mix == Mix::F {
                    Op::Modify
                } else {
                    Op::Put
                },
                key,
                value,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tidekv_defs::Config;

    fn build() -> BuildConfig {
        Config::preset("single-c10").unwrap().build
    }

    #[test]
    fn mixes_have_their_read_fraction() {
        for (mix, reads, write_op) in [
            (Mix::A, 0.5, Op::Put),
            (Mix::B, 0.95, Op::Put),
            (Mix::C, 1.0, Op::Put),
            (Mix::F, 0.5, Op::Modify),
            (Mix::Etc, 30.0 / 31.0, Op::Put),
        ] {
            let mut w = Workload::new(&build(), mix, KeyDist::Uniform, 100, 7).unwrap();
            let n = 20_000;
            let mut gets = 0;
            for _ in 0..n {
                let r = w.next_request();
                if r.op == Op::Get {
                    gets += 1;
                } else {
                    assert_eq!(r.op, write_op, "{mix:?}");
                }
            }
            let f = gets as f64 / n as f64;
            assert!(
                (f - reads).abs() < 0.015,
                "{mix:?}: {f} reads, expected {reads}"
            );
        }
    }

    #[test]
    fn zipf_is_skewed_and_uniform_is_not() {
        let count_top = |dist| {
            let mut w = Workload::new(&build(), Mix::C, dist, 1000, 3).unwrap();
            let hot = w.key(0);
            (0..20_000).filter(|_| w.next_request().key == hot).count()
        };
        // Zipf 0.99 over 1000 records: the top record takes about 13 %.
        let z = count_top(KeyDist::Zipf(0.99));
        let u = count_top(KeyDist::Uniform);
        assert!(z > 2000 && z < 3500, "zipf top-record count {z}");
        assert!(u < 60, "uniform top-record count {u}");
    }

    #[test]
    fn record_keys_are_distinct_and_fit() {
        let w = Workload::new(&build(), Mix::A, KeyDist::Uniform, 5000, 1).unwrap();
        let keys: std::collections::HashSet<u64> = (0..5000).map(|i| w.key(i)).collect();
        assert_eq!(keys.len(), 5000);
        assert!(keys.iter().all(|&k| k <= u64::from(u32::MAX)));
    }

    #[test]
    fn bad_distributions_and_record_counts_say_why() {
        assert_eq!("zipf".parse::<KeyDist>().unwrap(), KeyDist::Zipf(0.99));
        assert_eq!("zipf:1.2".parse::<KeyDist>().unwrap(), KeyDist::Zipf(1.2));
        assert!("zipf:-1"
            .parse::<KeyDist>()
            .unwrap_err()
            .contains("positive"));
        assert!("pareto".parse::<KeyDist>().unwrap_err().contains("uniform"));
        assert!(Workload::new(&build(), Mix::A, KeyDist::Uniform, 0, 1).is_err());
    }
}
