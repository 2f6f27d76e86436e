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
//!   served per round and per clock, latency percentiles, the FE queues
//!   (with a service rate below C, docs/SERVICE.md), the load of the shards
//!   per round, the replication anomalies, and the occupancy of the table
//!   at its first `full`;
//! - with `--synth` ([`synthesize`], `crate::synth`): LUT4, FF, BRAM and
//!   Fmax of each distinct build from the board flow, cached.
//!
//! `[[sweep]]` tables add sweeps to the file's own; the space is their
//! union. `crate::plot` draws the rows.
//!
//! A point the configuration rules refuse for its topology (say `H = 0` with
//! two shards) is skipped and named in the report; any other refusal, and
//! any error in the space file itself, stops the sweep before it runs.

use crate::synth::{Synth, Synthesizer};
use crate::workload::{KeyDist, Mix, Workload};
use crate::{Error, Result};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use tidekv_defs::layout::{clog2, request_layout, response_layout, update_layout};
use tidekv_defs::{BuildConfig, Config, Request, Status};
use tidekv_sim::model::{Model, Service, MAX_QUEUE};

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

/// A service rate on the space's axis: a number of requests a round, or
/// `"C"` (every client's, SPEC's FE).
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
enum Rate {
    N(u64),
    Name(String),
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
    service: ServiceAxes,
    #[serde(default)]
    run: RunSpec,
}

/// The service rate and FE queue axes (docs/SERVICE.md).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ServiceAxes {
    rate: Option<Axis<Rate>>,
    queue: Option<Axis<u64>>,
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
    /// The offered load: the chance that a client issues in a round.
    load: Option<Axis<f64>>,
}

/// How long each point runs on the model.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RunSpec {
    /// Records loaded (one `put` each) before the measured rounds.
    #[serde(default = "default_records")]
    pub records: u64,
    /// Measured rounds, each client issuing with the point's load.
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
    /// Requests a shard serves per round (k; C is SPEC's FE).
    pub service_rate: u64,
    /// FE queue depth per shard (only used when k < C).
    pub queue: u64,
    /// The chance that a client issues in a round.
    pub load: f64,
}

impl Point {
    /// A short name: `c10-h1-s2-r3 k32 v32 cap1024 random ycsb-a zipf:0.99`,
    /// then ` rate3 q16` if the service rate is below C and ` load0.5` if
    /// the load is below 1.
    pub fn label(&self) -> String {
        let b = |k: &str| self.build[k];
        let mut t = format!(
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
        );
        if self.service_rate != b("clients") {
            t += &format!(" rate{} q{}", self.service_rate, self.queue);
        }
        if self.load < 1.0 {
            t += &format!(" load{}", self.load);
        }
        t
    }

    /// The point's service (docs/SERVICE.md).
    pub fn service(&self) -> Service {
        Service {
            rate: self.service_rate as u32,
            queue: self.queue as u32,
        }
    }

    /// The point's `[build]` table as configuration text: all that decides
    /// its RTL.
    pub fn build_text(&self) -> String {
        let mut t = "[build]\n".to_string();
        for (k, v) in &self.build {
            t += &format!("{k} = {v}\n");
        }
        t
    }

    /// The configuration file text of this point.
    fn config_text(&self) -> String {
        let mut t = format!("name = {:?}\n{}", self.label(), self.build_text());
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
    ///
    /// The file's tables give one sweep; each `[[sweep]]` table gives
    /// another, its sections replacing the fields of the file's that they
    /// name. The space is the union of the sweeps, in order, each point once.
    pub fn parse(text: &str, path: &str) -> Result<Space> {
        let bad = |why: String| Error::Usage(format!("{path}: {why}; nothing was run"));
        let mut base: toml::Table =
            toml::from_str(text).map_err(|e| bad(e.to_string().trim_end().to_string()))?;
        let sweeps = match base.remove("sweep") {
            None => vec![],
            Some(toml::Value::Array(a)) => a,
            Some(_) => return Err(bad("sweep: give each sweep as a [[sweep]] table".into())),
        };
        let mut parts = vec![(String::new(), base.clone())];
        for (i, sweep) in sweeps.into_iter().enumerate() {
            let at = format!("sweep {}: ", i + 1);
            let toml::Value::Table(sweep) = sweep else {
                return Err(bad(format!("{at}not a table")));
            };
            let mut part = base.clone();
            for (section, v) in sweep {
                if section == "run" || section == "name" {
                    return Err(bad(format!(
                        "{at}{section}: a sweep may not set it (the space's own applies to all sweeps)"
                    )));
                }
                match (part.get_mut(&section), v) {
                    (Some(toml::Value::Table(have)), toml::Value::Table(fields)) => {
                        have.extend(fields);
                    }
                    (_, v) => {
                        part.insert(section, v);
                    }
                }
            }
            parts.push((at, part));
        }
        let mut space: Option<Space> = None;
        let mut seen = std::collections::HashSet::new();
        for (at, part) in parts {
            let f: SpaceFile = part
                .try_into()
                .map_err(|e: toml::de::Error| bad(format!("{at}{}", e.to_string().trim_end())))?;
            let space = space.get_or_insert_with(|| Space {
                name: f.name.clone().unwrap_or_else(|| path.to_string()),
                run: f.run.clone(),
                points: vec![],
                skipped: vec![],
            });
            expand(&f, path, &at, space, &mut seen)?;
        }
        let space = space.expect("the file's own sweep");
        if space.points.is_empty() {
            return Err(bad(format!(
                "no point of the space is a valid configuration (first refusal: {})",
                space
                    .skipped
                    .first()
                    .map_or("none".into(), |(p, why)| format!("{}: {why}", p.label()))
            )));
        }
        Ok(space)
    }
}

/// Add the points of one sweep (`at` names it in errors) to `space`,
/// skipping those already `seen`.
fn expand(
    f: &SpaceFile,
    path: &str,
    at: &str,
    space: &mut Space,
    seen: &mut std::collections::HashSet<String>,
) -> Result<()> {
    let bad = |why: String| Error::Usage(format!("{path}: {at}{why}; nothing was run"));
    let field = |name: &str| format!("{at}{name}");
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
            Some(a) => values(path, &field(&format!("build.{name}")), a, |x| x)?,
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
    let strings = |name: &str, axis: &Option<Axis<String>>, default: &str| match axis {
        Some(a) => values(path, &field(name), a, |x| x.to_string()),
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
        p.parse::<tidekv_defs::ReplicaPolicy>()
            .map_err(|e| bad(format!("schedule.replica_policy: {e}")))?;
    }
    for m in &mixes {
        parse_mix(m).map_err(|e| bad(format!("workload.mix: {e}")))?;
    }
    for k in &keys {
        k.parse::<KeyDist>()
            .map_err(|e| bad(format!("workload.keys: {e}")))?;
    }
    let loads = match &f.workload.load {
        Some(a) => values(path, &field("workload.load"), a, |x| x as f64)?,
        None => vec![1.0],
    };
    if let Some(l) = loads.iter().find(|l| !(**l > 0.0 && **l <= 1.0)) {
        return Err(bad(format!(
            "workload.load: {l}: give the chance a client issues in a round, above 0 and at most 1"
        )));
    }
    // Rates: 0 stands for "C" until the point's C is known.
    let rates: Vec<u64> = match &f.service.rate {
        None => vec![0],
        Some(a) => values(path, &field("service.rate"), a, Rate::N)?
            .into_iter()
            .map(|r| match r {
                Rate::N(0) => Err(bad("service.rate: 0: give 1 or more, or \"C\"".into())),
                Rate::N(n) => Ok(n),
                Rate::Name(n) if n.eq_ignore_ascii_case("c") => Ok(0),
                Rate::Name(n) => Err(bad(format!(
                    "service.rate: {n:?}: give a number of requests a round, or \"C\""
                ))),
            })
            .collect::<Result<_>>()?,
    };
    let queues = match &f.service.queue {
        Some(a) => values(path, &field("service.queue"), a, |x| x)?,
        None => vec![16],
    };
    if let Some(q) = queues.iter().find(|&&q| q > u64::from(MAX_QUEUE)) {
        return Err(bad(format!(
            "service.queue: {q}: at most {MAX_QUEUE} per shard"
        )));
    }
    if f.run.rounds == 0 || f.run.rounds > 1_000_000 || f.run.records == 0 {
        return Err(bad(
            "run: rounds must be 1 to 10^6 and records at least 1".into()
        ));
    }
    let n = axes.iter().map(|(_, v)| v.len()).product::<usize>()
        * policies.len()
        * mixes.len()
        * keys.len()
        * loads.len()
        * rates.len()
        * queues.len();
    if n + space.points.len() > MAX_POINTS {
        return Err(bad(format!(
            "{} points; at most {MAX_POINTS}",
            n + space.points.len()
        )));
    }
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
        let c = build["clients"];
        let rate = rates[pick(rates.len())];
        let mut point = Point {
            build,
            replica_policy: policies[pick(policies.len())].clone(),
            mix: mixes[pick(mixes.len())].clone(),
            keys: keys[pick(keys.len())].clone(),
            load: loads[pick(loads.len())],
            service_rate: if rate == 0 { c } else { rate },
            queue: queues[pick(queues.len())],
        };
        if point.service_rate >= c {
            // SPEC's FE: no queue.
            point.queue = 0;
        }
        if !seen.insert(point.label()) {
            continue;
        }
        if point.build["replicas"] == 1 && point.replica_policy != policies[0] {
            let why = format!(
                "one replica: the replica policy does not apply ({} stands for all)",
                policies[0]
            );
            space.skipped.push((point, why));
            continue;
        }
        match Config::parse(&point.config_text(), &point.label()) {
            Ok(cfg) => match point.service().check(&cfg.build) {
                Ok(()) => space.points.push((point, cfg)),
                Err(why) => space.skipped.push((point, why)),
            },
            Err(e) if TOPOLOGY_FIELDS.contains(&e.field.trim_start_matches("build.")) => space
                .skipped
                .push((point, format!("{}: {}", e.field, e.message))),
            Err(e) => {
                return Err(bad(format!(
                    "build.{}: {} (at the point {})",
                    e.field.trim_start_matches("build."),
                    e.message,
                    point.label()
                )))
            }
        }
    }
    Ok(())
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

/// The figures that follow from `b` and the service rate `k` alone. With
/// `k < C` (docs/SERVICE.md) the links between the leaf FE and the shards
/// carry k slots a round, each with the client's index (clog2 C bits), as
/// the replica updates already do; the clients' side is counted as SPEC's.
pub fn derived(b: &BuildConfig, k: u32) -> Derived {
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
    let (slots, tag) = if k < b.clients {
        (u64::from(k), u64::from(clog2(b.clients)))
    } else {
        (c, 0)
    };
    let mut l = LinkBits {
        client_fe: c * (rq + rs),
        ..LinkBits::default()
    };
    if h > 0 {
        l.fe_fe = (h - 1) * c * (rq + rs);
        l.fe_shard = s * r * slots * (rq + tag);
        l.shard_fe = s * r * slots * (rs + tag);
    }
    l.replica_replica = s * slots * up * (r - 1);
    l.total = l.client_fe + l.fe_fe + l.fe_shard + l.shard_fe + l.replica_replica;
    let state = u64::from(b.total_slots()) * (1 + u64::from(b.key_bits) + u64::from(b.value_bits));
    Derived {
        topology: b.topology().to_string(),
        latency_rounds: b.latency(),
        clocks_per_round: b.clocks_per_round_serving(k),
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
    /// Requests the clients issued in the measured rounds.
    pub requests: u64,
    /// Requests served (answered with a status other than `unavailable`)
    /// per round, over the rounds in which the measured rounds' answers
    /// are due (`latency` rounds later): the steady state, queues included.
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
    /// Rounds from issue to answer of the served requests: `2(H+1)` for
    /// every request without queues.
    pub latency_p50: u64,
    pub latency_p99: u64,
    pub latency_max: u64,
    /// FE queues (docs/SERVICE.md): requests that waited, requests refused
    /// by a full queue, the mean requests waiting in all queues at the end
    /// of a round, and the most one queue held.
    pub queued: u64,
    pub refused: u64,
    pub queue_depth_mean: f64,
    pub queue_depth_max: u64,
    /// Keys stored when an insert of new keys first answered `full`, over
    /// all the slots of one replica of every shard (main table and stash).
    pub occupancy_at_first_full: Option<f64>,
}

/// Run the point on the model: load (at most k requests a round, so no
/// queue refuses a record), then `run.rounds` rounds of the mix with each
/// client issuing with the point's load, then drain; then, on a fresh
/// model, new keys until the first `full`.
pub fn measure(point: &Point, cfg: &Config, run: &RunSpec) -> Result<Measured> {
    let b = &cfg.build;
    let c = b.clients as usize;
    let mix = parse_mix(&point.mix).map_err(Error::Usage)?;
    let keys: KeyDist = point.keys.parse().map_err(Error::Usage)?;
    let records = run.records.min(b.key_mask().saturating_add(1));
    let mut w = Workload::new(b, mix, keys, records, run.seed).map_err(Error::Usage)?;
    let mut m = Model::with_service(cfg, point.service()).map_err(Error::Usage)?;
    // Load.
    let per_round = (point.service_rate as usize).min(c);
    let mut i = 0;
    let mut reqs: Vec<Option<Request>> = vec![None; c];
    while i < records {
        for (ci, slot) in reqs.iter_mut().enumerate() {
            *slot = (ci < per_round && i < records).then(|| {
                i += 1;
                w.load(i - 1)
            });
        }
        m.step_answers(&reqs);
    }
    m.drain(|_| {});
    let before = m.counters().clone();
    let queues_before = m.queue_counters();
    let s = b.shards as usize;
    let mut per_shard = vec![0u64; s];
    let mut out = Measured {
        rounds: run.rounds,
        ..Measured::default()
    };
    let first = m.round();
    let lat = m.latency();
    let window = first + lat..first + lat + run.rounds;
    let mut latencies: Vec<u64> = Vec::with_capacity((run.rounds as usize) * c);
    let mut served_in_window = 0u64;
    let mut tally = |a: &tidekv_sim::Answer, out: &mut Measured| {
        if a.round < first {
            return;
        }
        *out.statuses
            .entry(a.response.status.name().into())
            .or_default() += 1;
        if a.response.status != Status::Unavailable {
            latencies.push(a.done_round - a.round);
            served_in_window += u64::from(window.contains(&a.done_round));
        }
    };
    // The offered load: a client issues in a round with chance `load`.
    let mut coin = run.seed ^ 0x10AD;
    let threshold = (point.load * (1u64 << 32) as f64) as u64;
    let mut load_sum = 0u64;
    for _ in 0..run.rounds {
        for slot in reqs.iter_mut() {
            let issue = tidekv_defs::hash::splitmix64(&mut coin) >> 32 < threshold;
            *slot = issue.then(|| w.next_request());
        }
        let mut round = vec![0u64; s];
        for r in reqs.iter().flatten() {
            round[m.shard_of(r.key) as usize] += 1;
            out.requests += 1;
        }
        for (k, n) in round.iter().enumerate() {
            per_shard[k] += n;
            load_sum += n;
            out.shard_load_max = out.shard_load_max.max(*n);
        }
        for a in m.step_answers(&reqs) {
            tally(a, &mut out);
        }
    }
    // The queues' depth over the measured rounds (not the drain's).
    let depth_sum = m.queue_counters().depth_sum - queues_before.depth_sum;
    m.drain(|a| tally(a, &mut out));
    let after = m.counters();
    out.stale_reads = after.stale_reads - before.stale_reads;
    out.conditional_conflicts = after.conditional_conflicts - before.conditional_conflicts;
    let q = m.queue_counters();
    out.queued = q.queued - queues_before.queued;
    out.refused = q.refused - queues_before.refused;
    out.queue_depth_max = q.depth_max;
    out.queue_depth_mean = depth_sum as f64 / run.rounds as f64;
    out.served_per_round = served_in_window as f64 / run.rounds as f64;
    out.shard_load_mean = load_sum as f64 / (run.rounds * s as u64) as f64;
    out.hottest_shard_share = *per_shard.iter().max().unwrap_or(&0) as f64 / load_sum.max(1) as f64;
    latencies.sort_unstable();
    let pct = |p: f64| {
        latencies
            .get(((latencies.len() as f64 * p).ceil() as usize).saturating_sub(1))
            .copied()
            .unwrap_or(0)
    };
    (out.latency_p50, out.latency_p99) = (pct(0.5), pct(0.99));
    out.latency_max = latencies.last().copied().unwrap_or(0);
    out.occupancy_at_first_full = first_full(cfg, &w);
    Ok(out)
}

/// Insert new keys (the workload's keys from rank 0 on), C a round, until one answers `full`: the keys stored then over the slots of
/// one replica of every shard. `None` if the keys run out first (at most
/// twice the slots are tried).
fn first_full(cfg: &Config, w: &Workload) -> Option<f64> {
    let b = &cfg.build;
    let slots = u64::from(b.total_slots()) * u64::from(b.shards);
    let limit = (2 * slots).min(b.key_mask());
    let mut m = Model::new(cfg);
    let mut next = 0u64;
    let mut stored = 0u64;
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
                    key: w.key(next),
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
    /// With `--synth`: the build's figures per board (the RTL has SPEC's
    /// FE, so a point with k < C shows its k = C build's).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub synth: Vec<Synth>,
}

/// Build every distinct build of `rows` on every board of `s` (or take it
/// from the cache) and attach the figures; `progress(done, total, what)`
/// before each build.
pub fn synthesize(
    rows: &mut [Row],
    s: &Synthesizer,
    mut progress: impl FnMut(usize, usize, &str),
) -> Result<()> {
    // Each row's build, once; the distinct builds in the order the space
    // lists them, each with its first row (named in the progress).
    let texts: Vec<String> = rows.iter().map(|r| r.point.build_text()).collect();
    let mut builds: Vec<(&str, usize)> = vec![];
    for (i, b) in texts.iter().enumerate() {
        if !builds.iter().any(|(t, _)| *t == b.as_str()) {
            builds.push((b, i));
        }
    }
    let boards: Vec<String> = s.boards().map(str::to_string).collect();
    let total = builds.len() * boards.len();
    let mut done = 0;
    for &(b, first) in &builds {
        for board in &boards {
            progress(done, total, &format!("{board}: {}", rows[first].label));
            let fig = s.run(b, board)?;
            for (r, _) in rows.iter_mut().zip(&texts).filter(|(_, t)| t.as_str() == b) {
                r.synth.push(fig.clone());
            }
            done += 1;
        }
    }
    progress(done, total, "");
    Ok(())
}

/// Evaluate every point of `space` in order; `progress` gets each row as it
/// is done.
pub fn explore(space: &Space, mut progress: impl FnMut(&Row)) -> Result<Vec<Row>> {
    let mut rows = Vec::with_capacity(space.points.len());
    for (point, cfg) in &space.points {
        let (derived, measured) = (
            derived(&cfg.build, point.service_rate as u32),
            measure(point, cfg, &space.run)?,
        );
        let row = Row {
            label: point.label(),
            requests_per_clock: measured.served_per_round / f64::from(derived.clocks_per_round),
            derived,
            measured,
            point: point.clone(),
            synth: vec![],
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
    t += "`k` is the service rate (requests a shard serves a round; C is SPEC's FE, docs/SERVICE.md), \
          `load` the chance a client issues in a round; latency is in rounds from issue to answer \
          (p50 / p99 / max of the served requests); `queue` the mean total and the largest single \
          FE queue, `refused` the requests a full queue answered `unavailable`.\n\n";
    t += "| point | topology | k | load | lat | T | client-FE | FE-FE | FE-shard | shard-FE | replica | total | bits/req | state bits/replica | served/round | req/clock | latency p50 / p99 / max | queue mean / max | refused | shard load mean / max | hottest share | stale | conflicts | full at |\n";
    t += "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n";
    for r in rows {
        let (d, m, l) = (&r.derived, &r.measured, &r.derived.link_bits);
        t += &format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {:.1} | {} | {:.2} | {:.3} | {} / {} / {} | {:.1} / {} | {} | {:.2} / {} | {:.2} | {} | {} | {} |\n",
            r.label,
            d.topology,
            r.point.service_rate,
            r.point.load,
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
            m.latency_p50,
            m.latency_p99,
            m.latency_max,
            m.queue_depth_mean,
            m.queue_depth_max,
            m.refused,
            m.shard_load_mean,
            m.shard_load_max,
            m.hottest_shard_share,
            m.stale_reads,
            m.conditional_conflicts,
            m.occupancy_at_first_full
                .map_or("-".into(), |o| format!("{:.0} %", 100.0 * o)),
        );
    }
    if rows.iter().any(|r| !r.synth.is_empty()) {
        t += "\n## Synthesis (`--synth`)\n\nOne row per distinct build and board, from the board flow \
              (scripts/board.sh: yosys, nextpnr at the board's clock); requests/s is C x Fmax / T. \
              The RTL has SPEC's FE: a point with a service rate shows its k = C build.\n\n";
        t += "| build | board | LUT4 | FF | BRAM | Fmax MHz | target MHz | timing met | requests/s | note |\n";
        t += "|---|---|---|---|---|---|---|---|---|---|\n";
        let mut seen = std::collections::BTreeSet::new();
        for r in rows {
            for f in &r.synth {
                if !seen.insert((f.board.clone(), f.key.clone())) {
                    continue;
                }
                let b = &r.point.build;
                let opt = |v: Option<u64>| v.map_or("-".into(), |v| v.to_string());
                t += &format!(
                    "| c{}-h{}-s{}-r{} k{} v{} cap{} | {} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
                    b["clients"],
                    b["fe_levels"],
                    b["shards"],
                    b["replicas"],
                    b["key_bits"],
                    b["value_bits"],
                    b["capacity"],
                    f.board,
                    opt(f.lut),
                    opt(f.ff),
                    opt(f.bram),
                    f.fmax_mhz.map_or("-".into(), |v| format!("{v:.2}")),
                    f.target_mhz.map_or("-".into(), |v| format!("{v:.2}")),
                    if f.error.is_some() { "-" } else if f.timing_met { "yes" } else { "no" },
                    f.requests_per_s.map_or("-".into(), |v| format!("{:.1} M", v / 1e6)),
                    f.error.as_deref().unwrap_or(""),
                );
            }
        }
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
        let d = derived(&preset("single-c10"), 10);
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
        let d = derived(&preset("replicated-c10-s2-r3"), 10);
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
        let d = derived(&preset("hier-c10-h2-s4"), 10);
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
        // Requests per clock, by hand: a 4-client server takes T = 6 (the
        // table's latency), a 4-client replicated shard 2 (4 + 2) = 12.
        let per_clock = |label: &str| {
            rows.iter()
                .find(|r| r.label.starts_with(label))
                .expect(label)
                .requests_per_clock
        };
        assert!((per_clock("c4-h0-s1-r1 ") - 4.0 / 6.0).abs() < 1e-12);
        assert!((per_clock("c4-h1-s2-r2 ") - 4.0 / 12.0).abs() < 1e-12);
        assert!(md.contains("| c8-h1-s2-r2 k32 v32 cap256 key_affine ycsb-a"));
        assert!(md.contains("Skipped"));
    }

    /// `text` is refused, the error naming the file and `want`, nothing run.
    fn assert_refused(text: &str, want: &str) {
        let e = Space::parse(text, "space.toml")
            .expect_err(want)
            .to_string();
        assert!(
            e.contains("space.toml") && e.contains(want) && e.contains("nothing was run"),
            "{want}: {e}"
        );
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
            assert_refused(&text, want);
        }
    }

    /// With k < C the FE-shard links carry k slots with a 4-bit client tag
    /// (C = 10), and T is the formula at k slots.
    #[test]
    fn a_service_rate_narrows_the_shard_links_by_hand() {
        let d = derived(&preset("sharded-c10-s4"), 3);
        assert_eq!(d.clocks_per_round, 6, "max(3, the table's 6)");
        assert_eq!(d.link_bits.fe_shard, 4 * 3 * (68 + 4));
        assert_eq!(d.link_bits.shard_fe, 4 * 3 * (37 + 4));
        assert_eq!(d.link_bits.client_fe, 1050, "the clients' side as SPEC's");
        let d = derived(&preset("replicated-c10-s2-r3"), 3);
        assert_eq!(d.clocks_per_round, 11, "max(2 (3 + 2), 3 + 2 + 6)");
        assert_eq!(d.link_bits.replica_replica, 2 * 3 * 75 * 2);
        assert_eq!(
            derived(&preset("sharded-c10-s4"), 10),
            derived(&preset("sharded-c10-s4"), 10)
        );
        assert_eq!(derived(&preset("sharded-c10-s4"), 10).clocks_per_round, 10);
    }

    const QUEUED: &str = r#"
name = "queued"
[build]
clients = 4
fe_levels = [0, 1]
shards = 1
replicas = 1
capacity = 256
buckets = 16
[workload]
keys = "uniform"
[service]
rate = ["C", 1, 5]
queue = 4
[run]
records = 100
rounds = 200
[[sweep]]
build = { shards = 2, fe_levels = 1 }
workload = { load = [0.5, 1] }
"#;

    /// One shard of four clients at k = 1 with a queue of 4, every client
    /// issuing every round: one served a round, the queue full from the
    /// second round, each served request waiting 4 rounds (latency 4 + 4),
    /// three refused a round.
    #[test]
    fn a_saturated_shard_serves_k_a_round_and_waits_its_queue() {
        let s = Space::parse(QUEUED, "queued.toml").expect("a good space");
        let skipped: Vec<String> = s
            .skipped
            .iter()
            .map(|(p, why)| format!("{}: {why}", p.label()))
            .collect();
        assert!(
            skipped
                .iter()
                .any(|w| w.contains("c4-h0") && w.contains("no FE to queue in")),
            "{skipped:?}"
        );
        assert!(
            skipped
                .iter()
                .any(|w| w.contains("rate5") && w.contains("give 1 to C = 4")),
            "{skipped:?}"
        );
        // The file's own sweep: H = 0 at C, H = 1 at C and 1; the [[sweep]]
        // adds two shards at two loads, at C and 1 each.
        let labels: Vec<String> = s.points.iter().map(|(p, _)| p.label()).collect();
        assert_eq!(labels.len(), 3 + 2 * 2, "{labels:?}");
        assert!(labels
            .iter()
            .any(|l| l.starts_with("c4-h1-s2-r1") && l.ends_with("rate1 q4 load0.5")));
        let rows = explore(&s, |_| {}).expect("runs");
        let row = |l: &str| {
            rows.iter()
                .find(|r| r.label == l)
                .unwrap_or_else(|| panic!("{l}"))
        };
        let q = row("c4-h1-s1-r1 k32 v32 cap256 random ycsb-a uniform rate1 q4");
        let m = &q.measured;
        assert_eq!(m.served_per_round, 1.0);
        assert!((q.requests_per_clock - 1.0 / 6.0).abs() < 1e-12);
        assert_eq!((m.latency_p50, m.latency_max), (8, 8));
        assert_eq!(m.queue_depth_max, 4);
        assert!(
            m.refused >= 3 * 200 - 6 && m.refused <= 3 * 200,
            "{}",
            m.refused
        );
        assert_eq!(m.statuses.values().sum::<u64>(), m.requests);
        let full = row("c4-h1-s1-r1 k32 v32 cap256 random ycsb-a uniform");
        assert_eq!(full.measured.served_per_round, 4.0);
        assert_eq!(
            (full.measured.latency_p50, full.measured.latency_max),
            (4, 4)
        );
        assert_eq!((full.measured.queued, full.measured.refused), (0, 0));
        // Half the load on two shards: about one request a shard a round.
        let half = row("c4-h1-s2-r1 k32 v32 cap256 random ycsb-a uniform load0.5");
        assert!(half.measured.requests > 300 && half.measured.requests < 500);
        let md = markdown(&s, &rows);
        assert!(md.contains("| 8 / 8 / 8 |") || md.contains("/ 8 |"), "{md}");
    }

    #[test]
    fn bad_service_axes_and_sweeps_say_where() {
        let cases = [
            (
                QUEUED.replace("rate = [\"C\", 1, 5]", "rate = [\"D\"]"),
                "service.rate: \"D\"",
            ),
            (
                QUEUED.replace("rate = [\"C\", 1, 5]", "rate = 0"),
                "service.rate: 0",
            ),
            (
                QUEUED.replace("queue = 4", "queue = 100000"),
                "service.queue: 100000",
            ),
            (
                QUEUED.replace("load = [0.5, 1]", "load = [0, 1]"),
                "sweep 1: workload.load: 0",
            ),
            (
                QUEUED.replace(
                    "workload = { load",
                    "run = { rounds = 3 }\nworkload = { load",
                ),
                "sweep 1: run",
            ),
            (
                QUEUED.replace("build = { shards = 2", "build = { shard = 2"),
                "sweep 1: unknown field `shard`",
            ),
        ];
        for (text, want) in cases {
            assert_refused(&text, want);
        }
    }
}
