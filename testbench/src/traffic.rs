//! Traffic for the differential suite: random and hostile traces for any
//! configuration, written as trace lines (SPEC section 8) and parsed with
//! the one trace parser, so every trace is a valid input of `tidekv replay`
//! too (`Traffic::text`).

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, Zipf};
use tidekv_defs::config::mask;
use tidekv_defs::trace::{self, format_node_event, format_request, Node, Trace};
use tidekv_defs::{Config, Op, Request};
use tidekv_sim::Model;

/// A trace being written.
pub struct Traffic {
    cfg: Config,
    pub rng: StdRng,
    lines: Vec<String>,
    requests: usize,
    /// The shard of a key under the build's schedule.
    router: Model,
}

impl Traffic {
    pub fn new(cfg: &Config, seed: u64) -> Traffic {
        Traffic {
            cfg: cfg.clone(),
            rng: StdRng::seed_from_u64(seed),
            lines: Vec::new(),
            requests: 0,
            router: Model::new(cfg),
        }
    }
    pub fn clients(&self) -> u32 {
        self.cfg.build.clients
    }
    pub fn requests(&self) -> usize {
        self.requests
    }
    /// A random value of the configuration's width.
    pub fn value(&mut self) -> u64 {
        self.rng.gen::<u64>() & mask(self.cfg.build.value_bits)
    }
    /// A random key of `bits` bits (at most the configuration's).
    pub fn key(&mut self, bits: u32) -> u64 {
        self.rng.gen::<u64>() & mask(bits.min(self.cfg.build.key_bits))
    }
    /// An op: gets `w[0]`, inserts `w[1]`, modifies `w[2]`, puts `w[3]`, deletes `w[4]` (weights).
    pub fn op(&mut self, w: [u32; 5]) -> Op {
        let mut x = self.rng.gen_range(0..w.iter().sum::<u32>());
        for (op, wi) in Op::ALL.into_iter().zip(w) {
            if x < wi {
                return op;
            }
            x -= wi;
        }
        unreachable!()
    }
    pub fn shard_of(&self, key: u64) -> u32 {
        self.router.shard_of(key)
    }
    pub fn req(&mut self, round: u64, client: u32, op: Op, key: u64) {
        let value = op.takes_value().then(|| self.value());
        self.lines
            .push(format_request(round, client, &Request::new(op, key, value)));
        self.requests += 1;
    }
    pub fn fail(&mut self, round: u64, shard: u32, replica: u32) {
        self.lines.push(format_node_event(
            Some(round),
            true,
            Node { shard, replica },
        ));
    }
    pub fn recover(&mut self, round: u64, shard: u32, replica: u32) {
        self.lines.push(format_node_event(
            Some(round),
            false,
            Node { shard, replica },
        ));
    }
    /// A schedule line; `fields` is the JSON object's inside.
    pub fn schedule(&mut self, round: u64, fields: &str) {
        self.lines.push(format!(
            "{{\"round\": {round}, \"schedule\": {{{fields}}}}}"
        ));
    }
    /// The trace as JSON Lines.
    pub fn text(&self) -> String {
        self.lines.join("\n") + "\n"
    }
    pub fn trace(&self) -> Trace {
        trace::parse(&self.text(), &self.cfg.build, &self.cfg.schedule)
            .unwrap_or_else(|e| panic!("a generated trace is invalid: {e}"))
    }
}

/// The default op mix of the suite (gets 40, inserts 15, modifies 15, puts 15, deletes 15).
pub const MIX: [u32; 5] = [40, 15, 15, 15, 15];

/// Uniform keys of `key_bits` bits; each client issues with probability `p`.
pub fn mixed(t: &mut Traffic, start: u64, rounds: u64, p: f64, key_bits: u32) {
    for u in start..start + rounds {
        for c in 0..t.clients() {
            if t.rng.gen_bool(p) {
                let (op, key) = (t.op(MIX), t.key(key_bits));
                t.req(u, c, op, key);
            }
        }
    }
}

/// Zipf-skewed keys (exponent `s`) over `n` keys, every client every round.
pub fn zipf(t: &mut Traffic, start: u64, rounds: u64, n: u64, s: f64) {
    let z = Zipf::new(n, s).expect("a Zipf distribution");
    // Rank r is key r scrambled, so hot keys land on every shard.
    let scramble = |r: u64| r.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 40;
    for u in start..start + rounds {
        for c in 0..t.clients() {
            let rank = z.sample(&mut t.rng) as u64;
            let op = t.op(MIX);
            let key = scramble(rank) & mask(t.cfg.build.key_bits);
            t.req(u, c, op, key);
        }
    }
}

/// 90% of requests on `hot` keys, the rest uniform.
pub fn hot_keys(t: &mut Traffic, start: u64, rounds: u64, hot: usize) {
    let keys: Vec<u64> = (0..hot).map(|_| t.key(64)).collect();
    for u in start..start + rounds {
        for c in 0..t.clients() {
            let key = if t.rng.gen_bool(0.9) {
                keys[t.rng.gen_range(0..hot)]
            } else {
                t.key(16)
            };
            let op = t.op(MIX);
            t.req(u, c, op, key);
        }
    }
}

/// Every client, every round, onto keys of one shard (shard 0).
pub fn burst_one_shard(t: &mut Traffic, start: u64, rounds: u64) {
    let mut keys = Vec::new();
    while keys.len() < 512 {
        let k = t.key(20);
        if t.shard_of(k) == 0 {
            keys.push(k);
        }
    }
    for u in start..start + rounds {
        for c in 0..t.clients() {
            let key = keys[t.rng.gen_range(0..keys.len())];
            let op = t.op(MIX);
            t.req(u, c, op, key);
        }
    }
}

/// Each round every client on one key, with conflicting ops.
pub fn one_key_rounds(t: &mut Traffic, start: u64, rounds: u64) {
    for u in start..start + rounds {
        let key = t.key(6);
        for c in 0..t.clients() {
            let op = t.op([20, 20, 20, 20, 20]);
            t.req(u, c, op, key);
        }
    }
}

/// Insert distinct keys until every table is well past full, then read and
/// delete some of them. Returns the round after the last request.
pub fn fill(t: &mut Traffic, start: u64) -> u64 {
    let b = &t.cfg.build;
    let slots = u64::from(b.capacity + b.table_stash) * u64::from(b.shards);
    let n = slots * 3 / 2;
    let mut keys = Vec::with_capacity(n as usize);
    let mut u = start;
    while (keys.len() as u64) < n {
        for c in 0..t.clients() {
            let k = t.key(64);
            keys.push(k);
            t.req(u, c, Op::Insert, k);
        }
        u += 1;
    }
    for _ in 0..(slots / u64::from(t.clients()) / 4).max(20) {
        for c in 0..t.clients() {
            let k = keys[t.rng.gen_range(0..keys.len())];
            let op = if t.rng.gen_bool(0.5) {
                Op::Get
            } else {
                Op::Delete
            };
            t.req(u, c, op, k);
        }
        u += 1;
    }
    u
}

/// Delete / re-insert churn over a few keys.
pub fn churn(t: &mut Traffic, start: u64, rounds: u64) {
    for u in start..start + rounds {
        for c in 0..t.clients() {
            let key = t.key(4);
            let op = t.op([10, 35, 10, 10, 35]);
            t.req(u, c, op, key);
        }
    }
}

/// Mixed traffic with replicas failing and recovering (whole shards too)
/// every few dozen rounds.
pub fn failures(t: &mut Traffic, start: u64, rounds: u64) {
    let (s, r) = (t.cfg.build.shards, t.cfg.build.replicas);
    let mut failed_at = vec![None::<u64>; (s * r) as usize];
    mixed(t, start, rounds, 0.8, 12);
    let mut u = start + 5;
    while u < start + rounds {
        let n = t.rng.gen_range(0..s * r);
        match failed_at[n as usize] {
            Some(at) if at < u => {
                t.recover(u, n / r, n % r);
                failed_at[n as usize] = None;
            }
            Some(_) => {}
            None => {
                t.fail(u, n / r, n % r);
                failed_at[n as usize] = Some(u);
            }
        }
        u += t.rng.gen_range(1..40);
    }
}

/// Mixed traffic with a new schedule every `every` rounds: shard map,
/// policy, seed, calendar and failure masks drawn at random (some refused by
/// the device's check: a bucket on a shard with every replica failed).
pub fn swaps(t: &mut Traffic, start: u64, rounds: u64, every: u64) {
    let b = t.cfg.build.clone();
    // The calendar in force (as the trace parser sees it: the last staged
    // schedule's, refused or not); requests only where it opens the port.
    let mut calendar: Vec<u64> = t.cfg.schedule.calendar.clone();
    for u in start..start + rounds {
        if u > start && (u - start).is_multiple_of(every) {
            let mut f = Vec::new();
            if b.shards > 1 {
                let map: Vec<String> = (0..b.buckets)
                    .map(|_| t.rng.gen_range(0..b.shards).to_string())
                    .collect();
                f.push(format!("\"shard_map\": [{}]", map.join(", ")));
            }
            let policy = ["random", "round_robin", "key_affine"][t.rng.gen_range(0..3)];
            f.push(format!(
                "\"replica_policy\": \"{policy}\", \"seed\": {}",
                t.rng.gen_range(1..=u32::MAX)
            ));
            let period = t.rng.gen_range(1..=b.calendar_max);
            calendar = (0..period)
                .map(|_| {
                    (0..b.clients)
                        .filter(|_| t.rng.gen_bool(0.8))
                        .fold(0, |m, c| m | 1 << c)
                })
                .collect();
            let rows: Vec<String> = calendar
                .iter()
                .map(|m| {
                    format!(
                        "\"{}\"",
                        (0..b.clients)
                            .map(|c| if m >> c & 1 == 1 { '1' } else { '0' })
                            .collect::<String>()
                    )
                })
                .collect();
            f.push(format!("\"calendar\": [{}]", rows.join(", ")));
            if b.fe_levels > 0 && t.rng.gen_bool(0.5) {
                let mut pairs = Vec::new();
                for s in 0..b.shards {
                    for r in 0..b.replicas {
                        if t.rng.gen_bool(0.3) {
                            pairs.push(format!("[{s}, {r}]"));
                        }
                    }
                }
                f.push(format!("\"failed\": [{}]", pairs.join(", ")));
            }
            t.schedule(u, &f.join(", "));
        }
        let open = calendar[(u % calendar.len() as u64) as usize];
        for c in 0..t.clients() {
            if open >> c & 1 == 1 && t.rng.gen_bool(0.8) {
                let (op, key) = (t.op(MIX), t.key(12));
                t.req(u, c, op, key);
            }
        }
    }
}
