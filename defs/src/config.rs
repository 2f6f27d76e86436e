//! Build configurations and schedules (SPEC sections 1, 3, 4, 6), read from
//! TOML. Validation names the file, the field and what is wrong.

use serde::Deserialize;
use std::fmt;
use std::path::Path;

/// Limits of the build parameters. Wider builds would need wider fields in
/// the slot layouts or the schedule memories.
pub const MAX_CLIENTS: u32 = 64;
pub const MAX_FE_LEVELS: u32 = 8;
pub const MAX_SHARDS: u32 = 256;
pub const MAX_REPLICAS: u32 = 8;
pub const MAX_BUCKETS: u32 = 1 << 16;
pub const MAX_TABLE_BANKS: u32 = 4;
pub const MAX_TABLE_WAYS: u32 = 16;
pub const MAX_TABLE_STASH: u32 = 64;
pub const MAX_SETS_PER_BANK: u32 = 1 << crate::hash::TABLE_BANK_STRIDE;
/// Clocks from a table operation entering the RTL's table engine to its
/// registered response: the engine's six stages (hash, read the block
/// RAMs, register what they answer, compare, choose, decide and write;
/// docs/DESIGN.md, "Table engine").
pub const TABLE_LATENCY_CLOCKS: u32 = 6;
/// Empty clocks a replicated shard's table engine leaves between its apply
/// pass and its serve pass, and after the serve pass: the engine folds the
/// two operations before one in by their effect, which an apply's write
/// (to any slot) does not fit.
pub const SERVE_GAP_CLOCKS: u32 = 2;
pub const MAX_CALENDAR_PERIOD: usize = 4096;

/// A configuration error: where (file and field) and what.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{source_name}: {field}: {message}")]
pub struct ConfigError {
    /// The file (or preset, or trace line) the configuration came from.
    pub source_name: String,
    /// The offending field, as it is spelled in the file.
    pub field: String,
    pub message: String,
}

impl ConfigError {
    pub fn new(source_name: &str, field: &str, message: impl Into<String>) -> ConfigError {
        ConfigError {
            source_name: source_name.to_string(),
            field: field.to_string(),
            message: message.into(),
        }
    }
}

/// What is fixed at build time (SPEC section 1 and 2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildConfig {
    /// C: client ports.
    pub clients: u32,
    /// H: front-end levels; 0 wires the clients straight to one server.
    pub fe_levels: u32,
    /// S: shards.
    pub shards: u32,
    /// R: replicas per shard.
    pub replicas: u32,
    pub key_bits: u32,
    pub value_bits: u32,
    /// Keys per shard replica in the main table: banks x ways x sets.
    pub capacity: u32,
    /// B: FE hash buckets (a power of two).
    pub buckets: u32,
    /// Table organisation (docs/DESIGN.md, "KV table").
    pub table_banks: u32,
    pub table_ways: u32,
    pub table_stash: u32,
    /// Longest client-calendar period a schedule may have (a power of two):
    /// the depth of the RTL's calendar memory.
    pub calendar_max: u32,
    /// The device's options (docs/DESIGN.md, "Device options"): what a
    /// small FPGA may leave out or narrow. The model and the host follow
    /// them; `Info` reports them.
    pub device: DeviceOptions,
}

/// What a device build may leave out or narrow to fit a small part.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeviceOptions {
    /// The load generator (`gen_*` commands); without it they answer
    /// `unsupported`.
    pub generator: bool,
    /// Replica tables readable by the command port (`ReadSlot`); without
    /// it the command answers `unsupported`.
    pub table_read: bool,
    /// Requests each client's free-running queue holds (a power of two, or
    /// 0: no free-running batches, `Submit` and `Collect` are unknown types).
    pub batch_queue: u32,
    /// Results the device holds for `Collect` (a power of two; with
    /// `batch_queue` 0 it must be 0 too).
    pub batch_results: u32,
    /// Width of the core's counters: they wrap at 2^counter_bits. The
    /// link counters are this wide too when it is under their 32 bits.
    pub counter_bits: u32,
    /// A full-duplex link: the deframer takes the next frame while the
    /// framer sends an answer (a CRC register of the framer's own) and
    /// while a `Step` runs (from a copy of its slots). Without it one
    /// frame is handled at a time; answers are the same.
    pub duplex: bool,
}

impl Default for DeviceOptions {
    fn default() -> Self {
        DeviceOptions {
            generator: true,
            table_read: true,
            batch_queue: 256,
            batch_results: 512,
            counter_bits: 48,
            duplex: true,
        }
    }
}

impl DeviceOptions {
    /// Packed into one `Info` word: generator (bit 0), table_read (bit 1),
    /// duplex (bit 2), counter_bits (8..16), log2 batch_queue + 1 (16..24,
    /// 0: none), log2 batch_results + 1 (24..32).
    pub fn word(&self) -> u32 {
        let lg = |d: u32| if d == 0 { 0 } else { d.trailing_zeros() + 1 };
        u32::from(self.generator)
            | u32::from(self.table_read) << 1
            | u32::from(self.duplex) << 2
            | self.counter_bits << 8
            | lg(self.batch_queue) << 16
            | lg(self.batch_results) << 24
    }
    pub fn from_word(w: u32) -> DeviceOptions {
        let depth = |v: u32| {
            if v == 0 {
                0
            } else {
                1u32.checked_shl(v - 1).unwrap_or(0)
            }
        };
        DeviceOptions {
            generator: w & 1 == 1,
            table_read: w >> 1 & 1 == 1,
            duplex: w >> 2 & 1 == 1,
            counter_bits: w >> 8 & 0xff,
            batch_queue: depth(w >> 16 & 0xff),
            batch_results: depth(w >> 24),
        }
    }
    /// Free-running batches (`Submit`, `Collect`) are built.
    pub fn batches(&self) -> bool {
        self.batch_queue > 0
    }
}

/// Limits of the device options.
pub const MIN_COUNTER_BITS: u32 = 16;
pub const MAX_COUNTER_BITS: u32 = 48;
pub const MAX_BATCH_DEPTH: u32 = 1 << 12;

impl BuildConfig {
    /// Response latency in rounds: 2(H+1).
    pub fn latency(&self) -> u64 {
        2 * (u64::from(self.fe_levels) + 1)
    }
    pub fn sets_per_bank(&self) -> u32 {
        self.capacity / (self.table_banks * self.table_ways)
    }
    pub fn set_bits(&self) -> u32 {
        self.sets_per_bank().trailing_zeros()
    }
    /// Every key slot of one replica's table: main table plus stash.
    pub fn total_slots(&self) -> u32 {
        self.capacity + self.table_stash
    }
    pub fn key_mask(&self) -> u64 {
        mask(self.key_bits)
    }
    pub fn value_mask(&self) -> u64 {
        mask(self.value_bits)
    }
    /// T: clocks per round of the RTL, fixed at build time (docs/DESIGN.md,
    /// "RTL timing"). Every node handles one client slot per clock; a
    /// replica also applies one update per clock before it serves, so a
    /// replicated round takes two passes over the clients, each followed by
    /// `SERVE_GAP_CLOCKS`. A round is at least the table engine's latency
    /// (past the serve pass's start), so a response is out within the round.
    pub fn clocks_per_round(&self) -> u32 {
        self.clocks_per_round_serving(self.clients)
    }
    /// T of a round in which a node handles `slots` slots instead of C: the
    /// hardware T of a shard with a service rate of `slots` requests a round
    /// (docs/SERVICE.md); `clocks_per_round()` is this with `slots = C`.
    pub fn clocks_per_round_serving(&self, slots: u32) -> u32 {
        if self.replicas > 1 {
            (2 * (slots + SERVE_GAP_CLOCKS)).max(slots + SERVE_GAP_CLOCKS + TABLE_LATENCY_CLOCKS)
        } else {
            slots.max(TABLE_LATENCY_CLOCKS)
        }
    }
    /// Fewest rounds between two schedule swaps: the swapped-out copy serves
    /// the requests the FE tree still carries for `H` rounds (docs/DESIGN.md,
    /// "Schedules in the RTL").
    pub fn schedule_gap(&self) -> u64 {
        if self.fe_levels == 0 {
            1
        } else {
            u64::from(self.fe_levels) + 1
        }
    }
    /// One line for people: "10 clients, 1 FE level(s), 4 shard(s) x 1 replica(s), ...".
    pub fn summary(&self) -> String {
        format!(
            "{} clients, {} FE level(s), {} shard(s) x {} replica(s), {}-bit keys, {}-bit values, {} keys per replica, {} bucket(s)",
            self.clients, self.fe_levels, self.shards, self.replicas, self.key_bits, self.value_bits, self.capacity, self.buckets
        )
    }

    pub fn topology(&self) -> &'static str {
        match (self.fe_levels, self.replicas) {
            (0, _) => "single",
            (1, 1) => "sharded",
            (1, _) => "replicated",
            _ => "hierarchical",
        }
    }

    fn validate(&self, src: &str) -> Result<(), ConfigError> {
        let err = |field: &str, msg: String| Err(ConfigError::new(src, field, msg));
        let range = |field: &str, v: u32, lo: u32, hi: u32| {
            if v < lo || v > hi {
                Err(ConfigError::new(
                    src,
                    field,
                    format!("{v} is out of range {lo}..={hi}"),
                ))
            } else {
                Ok(())
            }
        };
        range("build.clients", self.clients, 1, MAX_CLIENTS)?;
        range("build.fe_levels", self.fe_levels, 0, MAX_FE_LEVELS)?;
        range("build.shards", self.shards, 1, MAX_SHARDS)?;
        range("build.replicas", self.replicas, 1, MAX_REPLICAS)?;
        range("build.key_bits", self.key_bits, 1, 64)?;
        range("build.value_bits", self.value_bits, 1, 64)?;
        range("build.buckets", self.buckets, 1, MAX_BUCKETS)?;
        range("build.table_banks", self.table_banks, 1, MAX_TABLE_BANKS)?;
        range("build.table_ways", self.table_ways, 1, MAX_TABLE_WAYS)?;
        range("build.table_stash", self.table_stash, 0, MAX_TABLE_STASH)?;
        range(
            "build.calendar_max",
            self.calendar_max,
            1,
            MAX_CALENDAR_PERIOD as u32,
        )?;
        let d = &self.device;
        range(
            "build.counter_bits",
            d.counter_bits,
            MIN_COUNTER_BITS,
            MAX_COUNTER_BITS,
        )?;
        for (field, v) in [
            ("build.batch_queue", d.batch_queue),
            ("build.batch_results", d.batch_results),
        ] {
            if v > MAX_BATCH_DEPTH || (v != 0 && (v < 2 || !v.is_power_of_two())) {
                return err(
                    field,
                    format!("{v} is not 0 or a power of two in 2..={MAX_BATCH_DEPTH}"),
                );
            }
        }
        if (d.batch_queue == 0) != (d.batch_results == 0) {
            return err(
                "build.batch_results",
                format!("{} with batch_queue = {}: give both 0 (no free-running batches) or both a depth", d.batch_results, d.batch_queue),
            );
        }
        if !self.calendar_max.is_power_of_two() {
            return err(
                "build.calendar_max",
                format!("{} is not a power of two", self.calendar_max),
            );
        }
        if self.fe_levels == 0 && (self.shards != 1 || self.replicas != 1) {
            return err(
                "build.fe_levels",
                format!(
                    "0 (single server) needs shards = 1 and replicas = 1, not {} and {}; use fe_levels >= 1 to shard or replicate",
                    self.shards, self.replicas
                ),
            );
        }
        if !self.buckets.is_power_of_two() {
            return err(
                "build.buckets",
                format!("{} is not a power of two", self.buckets),
            );
        }
        if self.buckets < self.shards {
            return err(
                "build.buckets",
                format!(
                    "{} buckets cannot cover {} shards; use at least as many buckets as shards",
                    self.buckets, self.shards
                ),
            );
        }
        let row = self.table_banks * self.table_ways;
        if self.capacity == 0
            || !self.capacity.is_multiple_of(row)
            || !(self.capacity / row).is_power_of_two()
        {
            return err(
                "build.capacity",
                format!(
                    "{} is not table_banks ({}) x table_ways ({}) x a power of two",
                    self.capacity, self.table_banks, self.table_ways
                ),
            );
        }
        if self.capacity / row > MAX_SETS_PER_BANK {
            return err(
                "build.capacity",
                format!(
                    "{} needs {} sets per bank; at most {MAX_SETS_PER_BANK}",
                    self.capacity,
                    self.capacity / row
                ),
            );
        }
        Ok(())
    }
}

/// Largest value of a field `bits` wide.
pub fn mask(bits: u32) -> u64 {
    if bits >= 64 {
        u64::MAX
    } else {
        (1u64 << bits) - 1
    }
}

/// How the FE picks one replica of a shard (SPEC section 4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReplicaPolicy {
    Random,
    RoundRobin,
    KeyAffine,
}

impl ReplicaPolicy {
    pub const ALL: [ReplicaPolicy; 3] = [
        ReplicaPolicy::Random,
        ReplicaPolicy::RoundRobin,
        ReplicaPolicy::KeyAffine,
    ];
    pub fn name(self) -> &'static str {
        match self {
            ReplicaPolicy::Random => "random",
            ReplicaPolicy::RoundRobin => "round_robin",
            ReplicaPolicy::KeyAffine => "key_affine",
        }
    }
    pub fn code(self) -> u8 {
        self as u8
    }
}

impl fmt::Display for ReplicaPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for ReplicaPolicy {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        ReplicaPolicy::ALL
            .iter()
            .copied()
            .find(|p| p.name() == s)
            .ok_or_else(|| {
                format!("unknown replica policy {s:?} (expected random, round_robin or key_affine)")
            })
    }
}

/// A complete, validated schedule (SPEC section 6).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    /// bucket -> shard, `buckets` entries.
    pub shard_map: Vec<u16>,
    pub replica_policy: ReplicaPolicy,
    /// Seed of the replica LFSR; 1..=2^32-1.
    pub seed: u32,
    /// One bit mask of the clients that may issue per round of the period.
    pub calendar: Vec<u64>,
    /// Per shard, a bit mask of the replicas treated as failed.
    pub failed: Vec<u8>,
}

impl Schedule {
    /// The default: bucket b -> shard b mod S, round-robin replicas, seed 1,
    /// every client every round, nothing failed.
    pub fn default_for(build: &BuildConfig) -> Schedule {
        Schedule {
            shard_map: (0..build.buckets)
                .map(|b| (b % build.shards) as u16)
                .collect(),
            replica_policy: ReplicaPolicy::RoundRobin,
            seed: 1,
            calendar: vec![mask(build.clients)],
            failed: vec![0; build.shards as usize],
        }
    }
    pub fn period(&self) -> usize {
        self.calendar.len()
    }
    /// The shard of a key whose FE hash is `fe_hash`: bucket `fe_hash & (B-1)`
    /// through the shard map (`B` = the map's length, a power of two).
    #[inline]
    pub fn shard_for_hash(&self, fe_hash: u64) -> usize {
        usize::from(self.shard_map[(fe_hash & (self.shard_map.len() as u64 - 1)) as usize])
    }

    /// The clients that may issue in `round`, one bit each.
    pub fn open_ports(&self, round: u64) -> u64 {
        self.calendar[(round % self.calendar.len() as u64) as usize]
    }
    /// May `client` issue in `round`?
    pub fn may_issue(&self, round: u64, client: u32) -> bool {
        self.open_ports(round) >> client & 1 == 1
    }
    pub fn is_failed(&self, shard: u32, replica: u32) -> bool {
        self.failed[shard as usize] >> replica & 1 == 1
    }
}

/// A schedule as written in a file or a trace event: every field optional,
/// missing ones are taken from a base schedule.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduleSpec {
    pub shard_map: Option<Vec<u64>>,
    pub replica_policy: Option<String>,
    pub seed: Option<u64>,
    /// One string of `0`/`1` per round of the period, character `c` for client `c`.
    pub calendar: Option<Vec<String>>,
    /// `[shard, replica]` pairs treated as failed.
    pub failed: Option<Vec<[u64; 2]>>,
}

impl ScheduleSpec {
    /// Fill the missing fields from `base` and validate against `build`.
    /// `src` and `prefix` name the place for error messages.
    pub fn resolve(
        &self,
        build: &BuildConfig,
        base: &Schedule,
        src: &str,
        prefix: &str,
    ) -> Result<Schedule, ConfigError> {
        let field = |f: &str| format!("{prefix}{f}");
        let mut s = base.clone();
        if let Some(map) = &self.shard_map {
            if map.len() != build.buckets as usize {
                return Err(ConfigError::new(
                    src,
                    &field("shard_map"),
                    format!(
                        "has {} entries; the build has {} buckets",
                        map.len(),
                        build.buckets
                    ),
                ));
            }
            s.shard_map = Vec::with_capacity(map.len());
            for (i, &sh) in map.iter().enumerate() {
                if sh >= u64::from(build.shards) {
                    return Err(ConfigError::new(
                        src,
                        &field(&format!("shard_map[{i}]")),
                        format!(
                            "shard {sh} does not exist (the build has {} shards)",
                            build.shards
                        ),
                    ));
                }
                s.shard_map.push(sh as u16);
            }
        }
        if let Some(p) = &self.replica_policy {
            s.replica_policy = p
                .parse()
                .map_err(|e| ConfigError::new(src, &field("replica_policy"), e))?;
        }
        if let Some(seed) = self.seed {
            s.seed = check_seed(seed).map_err(|e| ConfigError::new(src, &field("seed"), e))?;
        }
        if let Some(cal) = &self.calendar {
            if cal.is_empty() || cal.len() > build.calendar_max as usize {
                return Err(ConfigError::new(
                    src,
                    &field("calendar"),
                    format!(
                        "has {} rounds; the period must be 1..={} (build.calendar_max)",
                        cal.len(),
                        build.calendar_max
                    ),
                ));
            }
            s.calendar = Vec::with_capacity(cal.len());
            for (i, row) in cal.iter().enumerate() {
                let f = field(&format!("calendar[{i}]"));
                if row.chars().count() != build.clients as usize {
                    return Err(ConfigError::new(
                        src,
                        &f,
                        format!(
                            "{row:?} has {} characters; it needs one 0 or 1 per client ({})",
                            row.chars().count(),
                            build.clients
                        ),
                    ));
                }
                let mut bits = 0u64;
                for (c, ch) in row.chars().enumerate() {
                    match ch {
                        '1' => bits |= 1 << c,
                        '0' => {}
                        _ => {
                            return Err(ConfigError::new(
                                src,
                                &f,
                                format!("character {c} is {ch:?}; only 0 and 1 are allowed"),
                            ))
                        }
                    }
                }
                s.calendar.push(bits);
            }
        }
        if let Some(failed) = &self.failed {
            s.failed = vec![0; build.shards as usize];
            for (i, &[sh, r]) in failed.iter().enumerate() {
                let f = field(&format!("failed[{i}]"));
                if sh >= u64::from(build.shards) || r >= u64::from(build.replicas) {
                    return Err(ConfigError::new(
                        src,
                        &f,
                        format!(
                            "[{sh}, {r}] names no node (the build has {} shards of {} replicas)",
                            build.shards, build.replicas
                        ),
                    ));
                }
                s.failed[sh as usize] |= 1 << r;
            }
        }
        if build.fe_levels == 0 && s.failed[0] != 0 {
            return Err(ConfigError::new(
                src,
                &field("failed"),
                "the single server cannot be marked failed (it has no FE to route around it)",
            ));
        }
        Ok(s)
    }
}

/// Check a replica-LFSR seed: it must fit 32 bits and not be 0.
pub fn check_seed(seed: u64) -> Result<u32, String> {
    if seed == 0 || seed > u64::from(u32::MAX) {
        Err(format!("{seed} is not a valid LFSR seed; use 1..=4294967295 (an LFSR state of 0 never changes)"))
    } else {
        Ok(seed as u32)
    }
}

/// A build plus its default schedule: what a config file or preset holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub name: String,
    pub build: BuildConfig,
    pub schedule: Schedule,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    name: Option<String>,
    description: Option<String>,
    build: BuildFile,
    #[serde(default)]
    schedule: ScheduleSpec,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BuildFile {
    clients: u32,
    fe_levels: u32,
    #[serde(default = "one")]
    shards: u32,
    #[serde(default = "one")]
    replicas: u32,
    #[serde(default = "thirty_two")]
    key_bits: u32,
    #[serde(default = "thirty_two")]
    value_bits: u32,
    capacity: u32,
    #[serde(default = "one")]
    buckets: u32,
    #[serde(default = "default_banks")]
    table_banks: u32,
    #[serde(default = "default_ways")]
    table_ways: u32,
    #[serde(default = "default_stash")]
    table_stash: u32,
    #[serde(default = "default_calendar_max")]
    calendar_max: u32,
    // (Absent: `DeviceOptions::default()`'s.)
    generator: Option<bool>,
    table_read: Option<bool>,
    batch_queue: Option<u32>,
    batch_results: Option<u32>,
    counter_bits: Option<u32>,
    duplex: Option<bool>,
}

fn one() -> u32 {
    1
}
fn thirty_two() -> u32 {
    32
}
fn default_banks() -> u32 {
    4
}
fn default_ways() -> u32 {
    4
}
fn default_stash() -> u32 {
    8
}
fn default_calendar_max() -> u32 {
    16
}

impl Config {
    /// Parse and validate TOML text; `src` names it in errors.
    pub fn parse(text: &str, src: &str) -> Result<Config, ConfigError> {
        let file: ConfigFile = toml::from_str(text).map_err(|e| toml_error(src, &e))?;
        let _ = file.description;
        let b = file.build;
        let build = BuildConfig {
            clients: b.clients,
            fe_levels: b.fe_levels,
            shards: b.shards,
            replicas: b.replicas,
            key_bits: b.key_bits,
            value_bits: b.value_bits,
            capacity: b.capacity,
            buckets: b.buckets,
            table_banks: b.table_banks,
            table_ways: b.table_ways,
            table_stash: b.table_stash,
            calendar_max: b.calendar_max,
            device: {
                let d = DeviceOptions::default();
                DeviceOptions {
                    generator: b.generator.unwrap_or(d.generator),
                    table_read: b.table_read.unwrap_or(d.table_read),
                    batch_queue: b.batch_queue.unwrap_or(d.batch_queue),
                    batch_results: b.batch_results.unwrap_or(d.batch_results),
                    counter_bits: b.counter_bits.unwrap_or(d.counter_bits),
                    duplex: b.duplex.unwrap_or(d.duplex),
                }
            },
        };
        build.validate(src)?;
        let schedule =
            file.schedule
                .resolve(&build, &Schedule::default_for(&build), src, "schedule.")?;
        let name = file.name.unwrap_or_else(|| src.to_string());
        Ok(Config {
            name,
            build,
            schedule,
        })
    }

    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let src = path.display().to_string();
        let text = std::fs::read_to_string(path)
            .map_err(|e| ConfigError::new(&src, "(file)", format!("cannot read: {e}")))?;
        Config::parse(&text, &src)
    }

    /// A shipped configuration: a target of `targets.toml`.
    pub fn preset(name: &str) -> Result<Config, ConfigError> {
        Config::parse(preset_text(name)?, &format!("targets.toml: {name}"))
    }

    /// A configuration named as the RTL tools name one: a `.toml` file or a preset.
    pub fn from_spec(spec: &str) -> Result<Config, ConfigError> {
        Config::parse(&spec_text(spec)?, spec)
    }
}

/// The presets: every target of `targets.toml`, (name, configuration text).
pub fn presets() -> &'static [(&'static str, &'static str)] {
    crate::targets::presets()
}

/// A preset's TOML text.
pub fn preset_text(name: &str) -> Result<&'static str, ConfigError> {
    presets()
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, t)| *t)
        .ok_or_else(|| {
            let names: Vec<&str> = presets().iter().map(|(n, _)| *n).collect();
            ConfigError::new(
                &format!("preset {name}"),
                "(name)",
                format!("no such preset; the presets are {}", names.join(", ")),
            )
        })
}

/// The TOML text of `spec`: a file if it ends in `.toml`, else a preset name.
pub fn spec_text(spec: &str) -> Result<String, ConfigError> {
    if spec.ends_with(".toml") {
        std::fs::read_to_string(spec)
            .map_err(|e| ConfigError::new(spec, "(file)", format!("cannot read: {e}")))
    } else {
        preset_text(spec).map(str::to_string)
    }
}

/// Turn a toml error into a ConfigError naming the line and the field.
/// A schedule file (`tidekv load-schedule`): a `[schedule]` table, alone
/// (fields missing from it are the build's defaults) or in a whole
/// configuration file, whose `[build]` must then be the device's.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ScheduleFile {
    name: Option<String>,
    description: Option<String>,
    schedule: ScheduleSpec,
}

/// Parse and validate a schedule file against the build it is for; `src`
/// names it in errors.
pub fn parse_schedule(text: &str, src: &str, build: &BuildConfig) -> Result<Schedule, ConfigError> {
    let table: toml::Table = toml::from_str(text).map_err(|e| toml_error(src, &e))?;
    if table.contains_key("build") {
        let c = Config::parse(text, src)?;
        if c.build != *build {
            return Err(ConfigError::new(
                src,
                "build",
                format!("is {}, the device is built for {}; drop the [build] table or use the device's configuration", c.build.summary(), build.summary()),
            ));
        }
        return Ok(c.schedule);
    }
    if !table.contains_key("schedule") {
        return Err(ConfigError::new(
            src,
            "schedule",
            "missing: a schedule file holds a [schedule] table (SPEC section 6)",
        ));
    }
    let f: ScheduleFile = toml::from_str(text).map_err(|e| toml_error(src, &e))?;
    let _ = (f.name, f.description);
    f.schedule
        .resolve(build, &Schedule::default_for(build), src, "schedule.")
}

fn toml_error(src: &str, e: &toml::de::Error) -> ConfigError {
    let msg = e.message().trim().to_string();
    let field = match e.span() {
        Some(_) => String::from("(syntax)"),
        None => String::from("(file)"),
    };
    // toml's Display carries "TOML parse error at line L, column C" and the source line.
    let located = e.to_string();
    let first = located
        .lines()
        .next()
        .unwrap_or("")
        .trim_end_matches([',', ' ']);
    ConfigError::new(
        src,
        &field,
        if first.is_empty() {
            msg
        } else {
            format!("{first}: {msg}")
        },
    )
}

#[cfg(test)]
mod tests {

    #[test]
    fn schedule_files_are_checked_against_the_device_build() {
        let b = Config::preset("sharded-c10-s4").unwrap().build;
        let s = parse_schedule(
            "[schedule]\nreplica_policy = \"key_affine\"\n",
            "s.toml",
            &b,
        )
        .unwrap();
        assert_eq!(
            (s.replica_policy, s.shard_map.len()),
            (ReplicaPolicy::KeyAffine, b.buckets as usize)
        );
        let whole = parse_schedule(preset_text("sharded-c10-s4").unwrap(), "p.toml", &b).unwrap();
        assert_eq!(whole, Config::preset("sharded-c10-s4").unwrap().schedule);
        let e = parse_schedule(preset_text("single-c10").unwrap(), "other.toml", &b).unwrap_err();
        assert!(e.field == "build" && e.message.contains("built for"), "{e}");
        let e = parse_schedule("[schedule]\nshard_map = [0]\n", "short.toml", &b).unwrap_err();
        assert_eq!(e.field, "schedule.shard_map");
        let e = parse_schedule("name = \"x\"\n", "empty.toml", &b).unwrap_err();
        assert!(e.message.contains("[schedule]"), "{e}");
        let e = parse_schedule("[schedule]\nwhat = 1\n", "typo.toml", &b).unwrap_err();
        assert!(e.to_string().contains("what"), "{e}");
    }
    use super::*;

    #[test]
    fn presets_parse_with_the_asked_shapes() {
        let want = [
            ("single-c10", 10, 0, 1, 1),
            ("sharded-c10-s4", 10, 1, 4, 1),
            ("replicated-c10-s2-r3", 10, 1, 2, 3),
            ("hier-c10-h2-s4", 10, 2, 4, 1),
        ];
        for (name, c, h, s, r) in want {
            let cfg = Config::preset(name).unwrap();
            let b = &cfg.build;
            assert_eq!(
                (b.clients, b.fe_levels, b.shards, b.replicas),
                (c, h, s, r),
                "{name}"
            );
            assert_eq!((b.key_bits, b.value_bits), (32, 32), "{name}");
            assert!(b.capacity >= 1024, "{name}");
            assert_eq!(cfg.name, name);
        }
        let rep = Config::preset("replicated-c10-s2-r3").unwrap();
        assert_eq!(rep.schedule.replica_policy, ReplicaPolicy::Random);
    }

    fn base() -> String {
        "[build]\nclients = 4\nfe_levels = 1\nshards = 2\nreplicas = 2\ncapacity = 64\nbuckets = 8\n".to_string()
    }

    #[test]
    fn device_options_default_parse_check_and_pack() {
        assert_eq!(
            Config::parse(&base(), "x.toml").unwrap().build.device,
            DeviceOptions::default()
        );
        let lean = Config::parse(
            &(base()
                + "generator = false\nbatch_queue = 0\nbatch_results = 0\ncounter_bits = 16\nduplex = false\n"),
            "x.toml",
        )
        .unwrap();
        let d = lean.build.device;
        assert_eq!(
            (d.generator, d.batches(), d.counter_bits, d.duplex),
            (false, false, 16, false)
        );
        let submit = crate::link::Frame::new(crate::link::FrameType::Submit, 1, vec![0; 8]);
        assert_eq!(
            crate::link::check_request(&lean.build, &submit),
            Err(crate::link::Drop::Type),
            "no batches: an unknown type"
        );
        for o in [
            d,
            DeviceOptions::default(),
            DeviceOptions {
                batch_queue: 2,
                batch_results: 4096,
                table_read: !d.table_read,
                duplex: !d.duplex,
                ..d
            },
        ] {
            assert_eq!(DeviceOptions::from_word(o.word()), o);
        }
        for (extra, field, says) in [
            ("batch_queue = 100\n", "build.batch_queue", "power of two"),
            ("batch_results = 0\n", "build.batch_results", "both 0"),
            ("counter_bits = 8\n", "build.counter_bits", "out of range"),
            ("generator = 1\n", "", "expected a boolean"),
        ] {
            let e = Config::parse(&(base() + extra), "x.toml").unwrap_err();
            assert!(
                e.field.starts_with(field) && e.to_string().contains(says),
                "{extra}: {e}"
            );
        }
    }

    #[test]
    fn errors_name_file_field_and_reason() {
        let e = Config::parse(&base().replace("buckets = 8", "buckets = 6"), "x.toml").unwrap_err();
        assert_eq!(e.source_name, "x.toml");
        assert_eq!(e.field, "build.buckets");
        assert!(e.message.contains("power of two"), "{e}");

        let e = Config::parse(&base().replace("capacity = 64", "capacity = 100"), "x.toml")
            .unwrap_err();
        assert_eq!(e.field, "build.capacity");

        let e = Config::parse(
            &(base() + "[schedule]\nshard_map = [0,1,2,0,1,0,1,0]\n"),
            "x.toml",
        )
        .unwrap_err();
        assert_eq!(e.field, "schedule.shard_map[2]");

        let e = Config::parse(
            &(base() + "[schedule]\ncalendar = [\"1101\", \"11\"]\n"),
            "x.toml",
        )
        .unwrap_err();
        assert_eq!(e.field, "schedule.calendar[1]");

        let e = Config::parse(
            &(base() + "[schedule]\nreplica_policy = \"fastest\"\n"),
            "x.toml",
        )
        .unwrap_err();
        assert_eq!(e.field, "schedule.replica_policy");

        let e = Config::parse(&(base() + "[schedule]\nseed = 0\n"), "x.toml").unwrap_err();
        assert_eq!(e.field, "schedule.seed");

        let e = Config::parse(&(base() + "[schedule]\nfailed = [[2, 0]]\n"), "x.toml").unwrap_err();
        assert_eq!(e.field, "schedule.failed[0]");

        let e = Config::parse(
            &base().replace("clients = 4", "clients = 4\nclient = 3"),
            "x.toml",
        )
        .unwrap_err();
        assert!(e.to_string().contains("line"), "{e}");

        let e = Config::parse(
            "[build]\nclients = 4\nfe_levels = 0\nshards = 2\ncapacity = 64\n",
            "y.toml",
        )
        .unwrap_err();
        assert_eq!(e.field, "build.fe_levels");
    }

    #[test]
    fn schedule_defaults_and_calendar() {
        let cfg = Config::parse(
            &(base() + "[schedule]\ncalendar = [\"1010\", \"0101\"]\n"),
            "x.toml",
        )
        .unwrap();
        assert_eq!(cfg.schedule.shard_map, vec![0, 1, 0, 1, 0, 1, 0, 1]);
        assert!(cfg.schedule.may_issue(0, 0));
        assert!(!cfg.schedule.may_issue(0, 1));
        assert!(cfg.schedule.may_issue(3, 3));
        assert!(!cfg.schedule.may_issue(4, 3));
    }
}
