//! `tidekv explore`: a sweep over a space of configurations that answers the
//! slides' question (what does static scheduling cost?) in numbers.
//!
//! A space file (TOML, `examples/explore.toml`) gives each build parameter,
//! the replica policy and the workload as a list or a range; every point of
//! their product that is a valid configuration is evaluated:
//!
//! - from the configuration alone ([`derived`]): the latency in rounds, T,
//!   the bits every link class carries per round, and the state bits of one
//!   replica;
//! - on the reference model under the workload ([`measure`]): requests
//!   served per round, the load of the shards per round, the replication
//!   anomalies, and the occupancy of the table at its first `full`.
//!
//! A point the configuration rules refuse for its topology (say `H = 0` with
//! two shards) is skipped and named in the report; any other refusal, and
//! any error in the space file itself, stops the sweep before it runs.

use crate::workload::{KeyDist, Mix, Workload};
use crate::{Error, Result};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use tidekv_defs::layout::{request_layout, response_layout, update_layout};
use tidekv_defs::{BuildConfig, Config, Request, Status};
use tidekv_sim::model::Model;

/// One axis of the space: a single value, a list, or a range.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
enum Axis<T> {
    One(T),
    List(Vec<T>),
    Range {
        from: u64,
        to: u64,
        step: Option<u64>,
    },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SpaceFile {
    name: Option<String>,
    build: BuildAxes,
    #[serde(default)]
    schedule: ScheduleAxes,
    #[serde(default)]
    workload: WorkloadAxes,
    #[serde(default)]
    run: RunSpec,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct BuildAxes {
    clients: Axis<u64>,
    fe_levels: Axis<u64>,
    shards: Axis<u64>,
    replicas: Axis<u64>,
    key_bits: Option<Axis<u64>>,
    value_bits: Option<Axis<u64>>,
    capacity: Option<Axis<u64>>,
    buckets: Option<Axis<u64>>,
    table_banks: Option<Axis<u64>>,
    table_ways: Option<Axis<u64>>,
    table_stash: Option<Axis<u64>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ScheduleAxes {
    replica_policy: Option<Axis<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct WorkloadAxes {
    mix: Option<Axis<String>>,
    keys: Option<Axis<String>>,
}

/// How long each point runs on the model.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RunSpec {
    /// Records loaded (one `put` each) before the measured rounds.
    #[serde(default = "default_records")]
    pub records: u64,
    /// Measured rounds, every client issuing every round.
    #[serde(default = "default_rounds")]
    pub rounds: u64,
    #[serde(default = "default_seed")]
    pub seed: u64,
}

fn default_records() -> u64 {
    1000
}
fn default_rounds() -> u64 {
    2000
}
fn default_seed() -> u64 {
    1
}

impl Default for RunSpec {
    fn default() -> Self {
        RunSpec {
            records: default_records(),
            rounds: default_rounds(),
            seed: default_seed(),
        }
    }
}

/// Build parameters the space may leave out, and their values.
const BUILD_DEFAULTS: [(&str, u64); 7] = [
    ("key_bits", 32),
    ("value_bits", 32),
    ("capacity", 1024),
    ("buckets", 256),
    ("table_banks", 4),
    ("table_ways", 4),
    ("table_stash", 8),
];

/// One point of the space.
#[derive(Debug, Clone, Serialize)]
pub struct Point {
    /// The build parameters, by their configuration names.
    pub build: BTreeMap<String, u64>,
    pub replica_policy: String,
    pub mix: String,
    pub keys: String,
}

impl Point {
    /// A short name: `c10-h1-s2-r3 k32 v32 cap1024 random ycsb-a zipf:0.99`.
    pub fn label(&self) -> String {
        let b = |k: &str| self.build[k];
        format!(
            "c{}-h{}-s{}-r{} k{} v{} cap{} {} {} {}",
            b("clients"),
            b("fe_levels"),
            b("shards"),
            b("replicas"),
            b("key_bits"),
            b("value_bits"),
            b("capacity"),
            self.replica_policy,
            parse_mix(&self.mix).map_or(self.mix.clone(), |m| m.name().to_string()),
            self.keys
        )
    }

    /// The configuration file text of this point.
    fn config_text(&self) -> String {
        let mut t = format!("name = {:?}\n[build]\n", self.label());
        for (k, v) in &self.build {
            t += &format!("{k} = {v}\n");
        }
        t += &format!(
            "[schedule]\nreplica_policy = {:?}\nseed = 1\n",
            self.replica_policy
        );
        t
    }
}

/// A parsed, checked space.
#[derive(Debug, Clone)]
pub struct Space {
    pub name: String,
    pub run: RunSpec,
    /// Every valid point with its configuration.
    pub points: Vec<(Point, Config)>,
    /// Points the configuration rules refuse for their topology, with why.
    pub skipped: Vec<(Point, String)>,
}

fn values<T: Clone>(
    path: &str,
    field: &str,
    axis: &Axis<T>,
    num: impl Fn(u64) -> T,
) -> Result<Vec<T>> {
    let bad = |why: String| Error::Usage(format!("{path}: {field}: {why}; nothing was run"));
    let v = match axis {
        Axis::One(x) => vec![x.clone()],
        Axis::List(v) => v.clone(),
        Axis::Range { from, to, step } => {
            let step = step.unwrap_or(1);
            if step == 0 || from > to {
                return Err(bad(format!(
                    "the range from {from} to {to} step {step} is empty"
                )));
            }
            (*from..=*to).step_by(step as usize).map(num).collect()
        }
    };
    if v.is_empty() {
        return Err(bad("the list is empty".into()));
    }
    if v.len() > 64 {
        return Err(bad(format!("{} values; at most 64", v.len())));
    }
    Ok(v)
}

/// Fields whose refusal means "this topology does not exist", not an error.
const TOPOLOGY_FIELDS: [&str; 3] = ["fe_levels", "shards", "replicas"];

/// Most points a space may have.
pub const MAX_POINTS: usize = 4096;

impl Space {
    /// Parse and check the space in `text` (named `path` in errors): every
    /// axis, every name, every point's configuration. Nothing runs.
    pub fn parse(text: &str, path: &str) -> Result<Space> {
        let f: SpaceFile = toml::from_str(text).map_err(|e| {
            Error::Usage(format!(
                "{path}: {}; nothing was run",
                e.to_string().trim_end()
            ))
        })?;
        let b = &f.build;
        let mut axes: Vec<(String, Vec<u64>)> = vec![];
        for (name, axis) in [
            ("clients", Some(&b.clients)),
            ("fe_levels", Some(&b.fe_levels)),
            ("shards", Some(&b.shards)),
            ("replicas", Some(&b.replicas)),
            ("key_bits", b.key_bits.as_ref()),
            ("value_bits", b.value_bits.as_ref()),
            ("capacity", b.capacity.as_ref()),
            ("buckets", b.buckets.as_ref()),
            ("table_banks", b.table_banks.as_ref()),
            ("table_ways", b.table_ways.as_ref()),
            ("table_stash", b.table_stash.as_ref()),
        ] {
            let v = match axis {
                Some(a) => values(path, &format!("build.{name}"), a, |x| x)?,
                None => vec![
                    BUILD_DEFAULTS
                        .iter()
                        .find(|(n, _)| *n == name)
                        .expect("a default")
                        .1,
                ],
            };
            axes.push((name.to_string(), v));
        }
        let strings = |field: &str, axis: &Option<Axis<String>>, default: &str| match axis {
            Some(a) => values(path, field, a, |x| x.to_string()),
            None => Ok(vec![default.to_string()]),
        };
        let policies = strings(
            "schedule.replica_policy",
            &f.schedule.replica_policy,
            "random",
        )?;
        let mixes = strings("workload.mix", &f.workload.mix, "a")?;
        let keys = strings("workload.keys", &f.workload.keys, "zipf:0.99")?;
        for p in &policies {
            p.parse::<tidekv_defs::ReplicaPolicy>().map_err(|e| {
                Error::Usage(format!(
                    "{path}: schedule.replica_policy: {e}; nothing was run"
                ))
            })?;
        }
        for m in &mixes {
            parse_mix(m)
                .map_err(|e| Error::Usage(format!("{path}: workload.mix: {e}; nothing was run")))?;
        }
        for k in &keys {
            k.parse::<KeyDist>().map_err(|e| {
                Error::Usage(format!("{path}: workload.keys: {e}; nothing was run"))
            })?;
        }
        if f.run.rounds == 0 || f.run.rounds > 1_000_000 || f.run.records == 0 {
            return Err(Error::Usage(format!(
                "{path}: run: rounds must be 1 to 10^6 and records at least 1; nothing was run"
            )));
        }
        let n = axes.iter().map(|(_, v)| v.len()).product::<usize>()
            * policies.len()
            * mixes.len()
            * keys.len();
        if n > MAX_POINTS {
            return Err(Error::Usage(format!(
                "{path}: {n} points; at most {MAX_POINTS}; nothing was run"
            )));
        }
        let mut space = Space {
            name: f.name.unwrap_or_else(|| path.to_string()),
            run: f.run,
            points: vec![],
            skipped: vec![],
        };
        for i in 0..n {
            let mut rest = i;
            let mut pick = |len: usize| {
                let k = rest % len;
                rest /= len;
                k
            };
            let mut build = BTreeMap::new();
            for (name, v) in &axes {
                build.insert(name.clone(), v[pick(v.len())]);
            }
            let point = Point {
                build,
                replica_policy: policies[pick(policies.len())].clone(),
                mix: mixes[pick(mixes.len())].clone(),
                keys: keys[pick(keys.len())].clone(),
            };
            if point.build["replicas"] == 1 && point.replica_policy != policies[0] {
                let why = format!(
                    "one replica: the replica policy does not apply ({} stands for all)",
                    policies[0]
                );
                space.skipped.push((point, why));
                continue;
            }
            match Config::parse(&point.config_text(), &point.label()) {
                Ok(cfg) => space.points.push((point, cfg)),
                Err(e) if TOPOLOGY_FIELDS.contains(&e.field.trim_start_matches("build.")) => space
                    .skipped
                    .push((point, format!("{}: {}", e.field, e.message))),
                Err(e) => {
                    return Err(Error::Usage(format!(
                        "{path}: build.{}: {} (at the point {}); nothing was run",
                        e.field.trim_start_matches("build."),
                        e.message,
                        point.label()
                    )))
                }
            }
        }
        if space.points.is_empty() {
            return Err(Error::Usage(format!(
                "{path}: no point of the space is a valid configuration (first refusal: {}); nothing was run",
                space.skipped.first().map_or("none".into(), |(p, why)| format!("{}: {why}", p.label()))
            )));
        }
        Ok(space)
    }
}

fn parse_mix(s: &str) -> std::result::Result<Mix, String> {
    <Mix as clap::ValueEnum>::from_str(s, true)
        .map_err(|_| format!("{s:?}: give a, b, c, f or etc (the YCSB mixes, and ETC)"))
}

/// Bits every link class carries per round (both directions where a class
/// has two), as the model and the hardware lay the links out: every link
/// carries one slot per client every round, used or not.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct LinkBits {
    /// The clients' links: C request slots to the first FE (or the server)
    /// and C response slots back.
    pub client_fe: u64,
    /// Between FE levels: C request and C response slots on each of the
    /// H - 1 hops.
    pub fe_fe: u64,
    /// Leaf FE to every replica of every shard: C request slots each.
    pub fe_shard: u64,
    /// Every replica back to the leaf FE: C response slots each.
    pub shard_fe: u64,
    /// Within each shard: C update slots a round, delivered to each of the
    /// R - 1 other replicas.
    pub replica_replica: u64,
    pub total: u64,
}

/// What a configuration alone says.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Derived {
    pub topology: String,
    pub latency_rounds: u64,
    pub clocks_per_round: u32,
    pub request_bits: u32,
    pub response_bits: u32,
    pub update_bits: u32,
    pub link_bits: LinkBits,
    /// Link bits per round per request the clients can issue (C a round).
    pub link_bits_per_request: f64,
    /// Table state of one replica: a used bit, a key and a value per slot
    /// of the main table and the stash.
    pub state_bits_per_replica: u64,
    /// All replicas of all shards.
    pub state_bits_total: u64,
}

/// The figures that follow from `b` alone.
pub fn derived(b: &BuildConfig) -> Derived {
    let (c, h, s, r) = (
        u64::from(b.clients),
        u64::from(b.fe_levels),
        u64::from(b.shards),
        u64::from(b.replicas),
    );
    let req = request_layout(b).width;
    let resp = response_layout(b).width;
    let upd = update_layout(b).width;
    let (rq, rs, up) = (u64::from(req), u64::from(resp), u64::from(upd));
    let mut l = LinkBits {
        client_fe: c * (rq + rs),
        ..LinkBits::default()
    };
    if h > 0 {
        l.fe_fe = (h - 1) * c * (rq + rs);
        l.fe_shard = s * r * c * rq;
        l.shard_fe = s * r * c * rs;
    }
    l.replica_replica = s * c * up * (r - 1);
    l.total = l.client_fe + l.fe_fe + l.fe_shard + l.shard_fe + l.replica_replica;
    let state = u64::from(b.total_slots()) * (1 + u64::from(b.key_bits) + u64::from(b.value_bits));
    Derived {
        topology: b.topology().to_string(),
        latency_rounds: b.latency(),
        clocks_per_round: b.clocks_per_round(),
        request_bits: req,
        response_bits: resp,
        update_bits: upd,
        link_bits_per_request: l.total as f64 / c as f64,
        link_bits: l,
        state_bits_per_replica: state,
        state_bits_total: state * s * r,
    }
}

/// What the model did under the point's workload.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Measured {
    pub rounds: u64,
    pub requests: u64,
    /// Answered with a status other than `unavailable`, per round.
    pub served_per_round: f64,
    /// Requests a shard received in a round: the mean over shards and
    /// rounds, and the largest.
    pub shard_load_mean: f64,
    pub shard_load_max: u64,
    /// The busiest shard's share of all requests.
    pub hottest_shard_share: f64,
    pub stale_reads: u64,
    pub conditional_conflicts: u64,
    pub statuses: BTreeMap<String, u64>,
    /// Keys stored when an insert of new keys first answered `full`, over
    /// all the slots of one replica of every shard (main table and stash).
    pub occupancy_at_first_full: Option<f64>,
}

/// Run the point on the model: load, then `run.rounds` rounds of the mix
/// with every client issuing every round; then, on a fresh model, new keys
/// until the first `full`.
pub fn measure(point: &Point, cfg: &Config, run: &RunSpec) -> Result<Measured> {
    let b = &cfg.build;
    let c = b.clients as usize;
    let mix = parse_mix(&point.mix).map_err(Error::Usage)?;
    let keys: KeyDist = point.keys.parse().map_err(Error::Usage)?;
    let records = run.records.min(b.key_mask().saturating_add(1));
    let mut w = Workload::new(b, mix, keys, records, run.seed).map_err(Error::Usage)?;
    let mut m = Model::new(cfg);
    // Load.
    let mut i = 0;
    while i < records {
        let reqs: Vec<Option<Request>> = (0..c)
            .map(|_| {
                let r = (i < records).then(|| w.load(i));
                i += 1;
                r
            })
            .collect();
        m.step(&reqs);
    }
    m.idle(m.latency(), |_| {});
    let before = m.counters().clone();
    let s = b.shards as usize;
    let mut per_shard = vec![0u64; s];
    let mut out = Measured {
        rounds: run.rounds,
        ..Measured::default()
    };
    let mut load_sum = 0u64;
    let tally = |done: &tidekv_sim::model::Completed<'_>, out: &mut Measured| {
        for (_, resp) in done.slots.iter().flatten() {
            *out.statuses.entry(resp.status.name().into()).or_default() += 1;
        }
    };
    for _ in 0..run.rounds {
        let reqs: Vec<Option<Request>> = (0..c).map(|_| Some(w.next_request())).collect();
        let mut round = vec![0u64; s];
        for r in reqs.iter().flatten() {
            round[m.shard_of(r.key) as usize] += 1;
        }
        for (k, n) in round.iter().enumerate() {
            per_shard[k] += n;
            load_sum += n;
            out.shard_load_max = out.shard_load_max.max(*n);
        }
        out.requests += c as u64;
        if let Some(done) = m.step(&reqs) {
            tally(&done, &mut out);
        }
    }
    m.idle(m.latency(), |done| tally(done, &mut out));
    let after = m.counters();
    out.stale_reads = after.stale_reads - before.stale_reads;
    out.conditional_conflicts = after.conditional_conflicts - before.conditional_conflicts;
    let unavailable = out
        .statuses
        .get(Status::Unavailable.name())
        .copied()
        .unwrap_or(0);
    let answered: u64 = out.statuses.values().sum();
    out.served_per_round = (answered - unavailable) as f64 / run.rounds as f64;
    out.shard_load_mean = load_sum as f64 / (run.rounds * s as u64) as f64;
    out.hottest_shard_share = *per_shard.iter().max().unwrap_or(&0) as f64 / load_sum.max(1) as f64;
    out.occupancy_at_first_full = first_full(cfg, run.seed);
    Ok(out)
}

/// Insert new keys, C a round, until one answers `full`: the keys stored
/// then over the slots of one replica of every shard. `None` if the keys
/// run out first (at most twice the slots are tried).
fn first_full(cfg: &Config, seed: u64) -> Option<f64> {
    let b = &cfg.build;
    let slots = u64::from(b.total_slots()) * u64::from(b.shards);
    let limit = (2 * slots).min(b.key_mask());
    let mut m = Model::new(cfg);
    let mut next = 0u64;
    let mut stored = 0u64;
    let mix = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let key = |i: u64| (i.wrapping_mul(mix) ^ (mix >> 7)) & b.key_mask();
    let mut full = false;
    let count = |done: &tidekv_sim::model::Completed<'_>, stored: &mut u64, full: &mut bool| {
        for (_, resp) in done.slots.iter().flatten() {
            match resp.status {
                Status::Ok => *stored += 1,
                Status::Full => *full = true,
                _ => {}
            }
        }
    };
    while !full && next < limit {
        let reqs: Vec<Option<Request>> = (0..b.clients)
            .map(|_| {
                let r = Request {
                    op: tidekv_defs::Op::Insert,
                    key: key(next),
                    value: next & b.value_mask(),
                };
                next += 1;
                Some(r)
            })
            .collect();
        if let Some(done) = m.step(&reqs) {
            count(&done, &mut stored, &mut full);
        }
    }
    m.idle(m.latency(), |done| count(done, &mut stored, &mut full));
    full.then(|| stored as f64 / slots as f64)
}

/// One line of the JSON Lines output.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub point: Point,
    pub label: String,
    pub derived: Derived,
    pub measured: Measured,
    /// Requests served per clock of the hardware: served per round over T.
    pub requests_per_clock: f64,
}

/// Evaluate every point of `space` in order; `progress` gets each row as it
/// is done.
pub fn explore(space: &Space, mut progress: impl FnMut(&Row)) -> Result<Vec<Row>> {
    let mut rows = Vec::with_capacity(space.points.len());
    for (point, cfg) in &space.points {
        let (derived, measured) = (derived(&cfg.build), measure(point, cfg, &space.run)?);
        let row = Row {
            label: point.label(),
            requests_per_clock: measured.served_per_round / f64::from(derived.clocks_per_round),
            derived,
            measured,
            point: point.clone(),
        };
        progress(&row);
        rows.push(row);
    }
    Ok(rows)
}

/// The Markdown report: one table row per point, then the skipped points.
pub fn markdown(space: &Space, rows: &[Row]) -> String {
    let mut t = format!(
        "# Exploration: {}\n\n{} points ({} skipped), {} records loaded, {} measured rounds each, seed {}.\n\n",
        space.name,
        rows.len(),
        space.skipped.len(),
        space.run.records,
        space.run.rounds,
        space.run.seed
    );
    t += "Link bits are per round: client<->FE, FE<->FE, FE->shard, shard->FE, replica->replica, total; \
          `bits/req` is the total over the C requests a round can carry.\n\n";
    t += "| point | topology | lat | T | client-FE | FE-FE | FE-shard | shard-FE | replica | total | bits/req | state bits/replica | served/round | req/clock | shard load mean / max | hottest share | stale | conflicts | full at |\n";
    t += "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n";
    for r in rows {
        let (d, m, l) = (&r.derived, &r.measured, &r.derived.link_bits);
        t += &format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {:.1} | {} | {:.2} | {:.3} | {:.2} / {} | {:.2} | {} | {} | {} |\n",
            r.label,
            d.topology,
            d.latency_rounds,
            d.clocks_per_round,
            l.client_fe,
            l.fe_fe,
            l.fe_shard,
            l.shard_fe,
            l.replica_replica,
            l.total,
            d.link_bits_per_request,
            d.state_bits_per_replica,
            m.served_per_round,
            r.requests_per_clock,
            m.shard_load_mean,
            m.shard_load_max,
            m.hottest_shard_share,
            m.stale_reads,
            m.conditional_conflicts,
            m.occupancy_at_first_full
                .map_or("-".into(), |o| format!("{:.0} %", 100.0 * o)),
        );
    }
    if !space.skipped.is_empty() {
        t += "\nSkipped:\n\n";
        for (p, why) in &space.skipped {
            t += &format!("- {}: {why}\n", p.label());
        }
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    fn preset(name: &str) -> BuildConfig {
        Config::preset(name).expect("a preset").build
    }

    /// Hand-computed from the slot layouts of docs/DESIGN.md: a request is
    /// 1 + 3 + 32 + 32 = 68 bits, a response 1 + 3 + 1 + 32 = 37.
    #[test]
    fn single_server_links_by_hand() {
        let d = derived(&preset("single-c10"));
        assert_eq!((d.request_bits, d.response_bits), (68, 37));
        assert_eq!(d.latency_rounds, 2);
        assert_eq!(
            d.link_bits,
            LinkBits {
                client_fe: 10 * 105,
                total: 1050,
                ..LinkBits::default()
            }
        );
        // 1024 + 8 slots of 1 + 32 + 32 bits.
        assert_eq!(d.state_bits_per_replica, 1032 * 65);
    }

    /// replicated-c10-s2-r3: an update is 1 + 1 + clog2(10) + clog2(4*4 + 8)
    /// + 32 + 32 = 1 + 1 + 4 + 5 + 64 = 75 bits.
    #[test]
    fn replicated_links_by_hand() {
        let d = derived(&preset("replicated-c10-s2-r3"));
        assert_eq!(d.update_bits, 75);
        assert_eq!(d.latency_rounds, 4);
        let l = &d.link_bits;
        assert_eq!(l.client_fe, 1050);
        assert_eq!(l.fe_fe, 0);
        assert_eq!(l.fe_shard, 2 * 3 * 10 * 68);
        assert_eq!(l.shard_fe, 2 * 3 * 10 * 37);
        assert_eq!(l.replica_replica, 2 * 10 * 75 * 2);
        assert_eq!(l.total, 1050 + 4080 + 2220 + 3000);
        assert_eq!(d.state_bits_total, 6 * 1032 * 65);
    }

    #[test]
    fn hierarchical_links_by_hand() {
        let d = derived(&preset("hier-c10-h2-s4"));
        assert_eq!(d.latency_rounds, 6);
        assert_eq!(d.link_bits.fe_fe, 1050);
        assert_eq!(d.link_bits.fe_shard, 4 * 10 * 68);
        assert_eq!(d.link_bits.replica_replica, 0);
    }

    const SMALL: &str = r#"
name = "small"
[build]
clients = [4, 8]
fe_levels = [0, 1]
shards = [1, 2]
replicas = { from = 1, to = 2 }
capacity = 256
buckets = 16
[schedule]
replica_policy = ["random", "key_affine"]
[workload]
mix = "a"
keys = ["uniform", "zipf:0.99"]
[run]
records = 100
rounds = 50
"#;

    #[test]
    fn a_small_space_runs_and_reports() {
        let s = Space::parse(SMALL, "small.toml").expect("a good space");
        // H = 0 admits only S = 1, R = 1: those points are skipped.
        assert!(!s.skipped.is_empty());
        assert!(s.points.iter().all(|(p, _)| p.build["fe_levels"] > 0
            || (p.build["shards"] == 1 && p.build["replicas"] == 1)));
        let rows = explore(&s, |_| {}).expect("runs");
        assert_eq!(rows.len(), s.points.len());
        for r in &rows {
            let m = &r.measured;
            assert_eq!(m.requests, 50 * r.point.build["clients"]);
            assert_eq!(m.statuses.values().sum::<u64>(), m.requests);
            assert!(m.served_per_round > 0.0);
            if r.point.build["replicas"] == 1 {
                assert_eq!(m.stale_reads + m.conditional_conflicts, 0);
            }
            // The table fills before twice its slots are offered.
            let o = m.occupancy_at_first_full.expect("a full");
            assert!(o > 0.3 && o <= 1.0, "{o}");
        }
        let md = markdown(&s, &rows);
        // Requests per clock, by hand: a 4-client server takes T = 5 (the
        // table's latency), a 4-client replicated shard 2 (4 + 2) = 12.
        let per_clock = |label: &str| {
            rows.iter()
                .find(|r| r.label.starts_with(label))
                .expect(label)
                .requests_per_clock
        };
        assert!((per_clock("c4-h0-s1-r1 ") - 4.0 / 5.0).abs() < 1e-12);
        assert!((per_clock("c4-h1-s2-r2 ") - 4.0 / 12.0).abs() < 1e-12);
        assert!(md.contains("| c8-h1-s2-r2 k32 v32 cap256 key_affine ycsb-a"));
        assert!(md.contains("Skipped"));
    }

    #[test]
    fn bad_spaces_say_where() {
        let cases = [
            (
                SMALL.replace("clients = [4, 8]", "clients = []"),
                "build.clients: the list is empty",
            ),
            (SMALL.replace("mix = \"a\"", "mix = \"z\""), "workload.mix"),
            (
                SMALL.replace("\"key_affine\"", "\"closest\""),
                "schedule.replica_policy",
            ),
            (
                SMALL.replace("capacity = 256", "capacity = 300"),
                "build.capacity",
            ),
            (SMALL.replace("rounds = 50", "rounds = 0"), "run: rounds"),
            (
                SMALL.replace("[run]", "[run]\nspeed = 3"),
                "unknown field `speed`",
            ),
            (
                SMALL.replace("{ from = 1, to = 2 }", "{ from = 3, to = 2 }"),
                "is empty",
            ),
        ];
        for (text, want) in cases {
            let e = Space::parse(&text, "space.toml")
                .expect_err(want)
                .to_string();
            assert!(e.contains("space.toml") && e.contains(want), "{want}: {e}");
        }
    }
}
