//! The config parser (`Config::parse`) and the trace parser
//! (`trace::parse`) on arbitrary and on mutated valid input: they never
//! panic, only return errors; trace errors name a line of the input; what
//! they accept satisfies the invariants the rest of tidekv relies on.

use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use std::collections::BTreeSet;
use tidekv_defs::targets::{with_check, Check};

/// The presets the model tests take (the 32-bit shapes of targets.toml).
fn presets() -> Vec<(&'static str, &'static str)> {
    with_check(Check::Model)
        .map(|t| (t.name.as_str(), t.text.as_str()))
        .collect()
}
use tidekv_defs::trace::{self, format_node_event, format_request, Node, TraceError};
use tidekv_defs::{Config, Op, Request};

/// `n` cases (PROPTEST_CASES overrides it), no regression files in the tree.
fn cases(n: u32) -> ProptestConfig {
    let n = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(n);
    ProptestConfig {
        cases: n,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

// ------------------------------------------------------------------ helpers

/// Replacement text for a mutation: TOML/JSON punctuation, numbers at and
/// past every limit, and arbitrary unicode.
fn fragment() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("-1".to_string()),
        Just("0".to_string()),
        Just("1.5".to_string()),
        Just("1e30".to_string()),
        Just("18446744073709551616".to_string()),
        Just("18446744073709551615".to_string()),
        Just("4294967295".to_string()),
        Just("4294967296".to_string()),
        Just("65536".to_string()),
        Just("256".to_string()),
        Just("\"".to_string()),
        Just("\"x\"".to_string()),
        Just("null".to_string()),
        Just("true".to_string()),
        Just("[]".to_string()),
        Just("[[".to_string()),
        Just("{}".to_string()),
        Just("{".to_string()),
        Just("}".to_string()),
        Just(",".to_string()),
        Just(":".to_string()),
        Just("=".to_string()),
        Just("\n".to_string()),
        Just("\r\n".to_string()),
        Just("#".to_string()),
        Just("[schedule]".to_string()),
        Just("[build]".to_string()),
        Just("\\u0000".to_string()),
        any::<u64>().prop_map(|n| n.to_string()),
        any::<i64>().prop_map(|n| n.to_string()),
        "[0-9]{1,30}",
        ".{0,12}",
    ]
}

#[derive(Debug, Clone)]
enum Mutation {
    /// Replace the characters `[at, at + len)` (positions scaled to the text) with a fragment.
    Splice {
        at: usize,
        len: usize,
        with: String,
    },
    /// Replace the `n`-th number in the text with a fragment.
    Number {
        n: usize,
        with: String,
    },
    /// Duplicate, delete or swap lines.
    DupLine(usize),
    DelLine(usize),
    SwapLines(usize, usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 0usize..8, fragment()).prop_map(|(at, len, with)| Mutation::Splice {
            at,
            len,
            with
        }),
        (any::<usize>(), fragment()).prop_map(|(n, with)| Mutation::Number { n, with }),
        any::<usize>().prop_map(Mutation::DupLine),
        any::<usize>().prop_map(Mutation::DelLine),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Mutation::SwapLines(a, b)),
    ]
}

fn apply(text: &str, m: &Mutation) -> String {
    let chars: Vec<char> = text.chars().collect();
    let lines: Vec<&str> = text.split('\n').collect();
    match m {
        Mutation::Splice { at, len, with } => {
            let at = if chars.is_empty() {
                0
            } else {
                at % (chars.len() + 1)
            };
            let end = (at + len).min(chars.len());
            let mut out: String = chars[..at].iter().collect();
            out.push_str(with);
            out.extend(&chars[end..]);
            out
        }
        Mutation::Number { n, with } => {
            // Spans of ASCII digits.
            let mut spans = Vec::new();
            let mut i = 0;
            while i < chars.len() {
                if chars[i].is_ascii_digit() {
                    let s = i;
                    while i < chars.len() && chars[i].is_ascii_digit() {
                        i += 1;
                    }
                    spans.push((s, i));
                } else {
                    i += 1;
                }
            }
            if spans.is_empty() {
                return text.to_string();
            }
            let (s, e) = spans[n % spans.len()];
            let mut out: String = chars[..s].iter().collect();
            out.push_str(with);
            out.extend(&chars[e..]);
            out
        }
        Mutation::DupLine(i) => {
            let i = i % lines.len();
            let mut l = lines.clone();
            l.insert(i, lines[i]);
            l.join("\n")
        }
        Mutation::DelLine(i) => {
            let mut l = lines.clone();
            l.remove(i % lines.len());
            l.join("\n")
        }
        Mutation::SwapLines(a, b) => {
            let mut l = lines.clone();
            let n = l.len();
            l.swap(a % n, b % n);
            l.join("\n")
        }
    }
}

fn mutate(text: &str, ms: &[Mutation]) -> String {
    ms.iter().fold(text.to_string(), |t, m| apply(&t, m))
}

// ------------------------------------------------------------------ configs

const CONFIG_FIELDS: &[&str] = &[
    "build.clients",
    "build.fe_levels",
    "build.shards",
    "build.replicas",
    "build.key_bits",
    "build.value_bits",
    "build.capacity",
    "build.buckets",
    "build.table_banks",
    "build.table_ways",
    "build.table_stash",
    "schedule.shard_map",
    "schedule.replica_policy",
    "schedule.seed",
    "schedule.calendar",
    "schedule.failed",
    "(syntax)",
    "(file)",
];

/// What every accepted config guarantees to the model, the RTL and the host.
fn config_invariants(c: &Config) -> Result<(), TestCaseError> {
    let b = &c.build;
    prop_assert!((1..=64).contains(&b.clients));
    prop_assert!(b.fe_levels <= 8);
    prop_assert!((1..=256).contains(&b.shards));
    prop_assert!((1..=8).contains(&b.replicas));
    prop_assert!((1..=64).contains(&b.key_bits) && (1..=64).contains(&b.value_bits));
    prop_assert!(b.buckets.is_power_of_two() && b.buckets >= b.shards);
    prop_assert!(b.fe_levels > 0 || (b.shards == 1 && b.replicas == 1));
    let row = b.table_banks * b.table_ways;
    prop_assert!(
        (1..=4).contains(&b.table_banks) && (1..=16).contains(&b.table_ways) && b.table_stash <= 64
    );
    prop_assert!(
        b.capacity > 0 && b.capacity.is_multiple_of(row) && (b.capacity / row).is_power_of_two()
    );
    prop_assert_eq!(b.capacity, row * b.sets_per_bank());
    let s = &c.schedule;
    prop_assert_eq!(s.shard_map.len(), b.buckets as usize);
    prop_assert!(s.shard_map.iter().all(|&x| u32::from(x) < b.shards));
    prop_assert!(s.seed != 0);
    prop_assert!(!s.calendar.is_empty() && s.calendar.len() <= b.calendar_max as usize);
    let clients_mask = if b.clients == 64 {
        u64::MAX
    } else {
        (1u64 << b.clients) - 1
    };
    prop_assert!(s.calendar.iter().all(|&row| row & !clients_mask == 0));
    prop_assert_eq!(s.failed.len(), b.shards as usize);
    let replicas_mask = ((1u32 << b.replicas) - 1) as u8;
    prop_assert!(s.failed.iter().all(|&f| f & !replicas_mask == 0));
    Ok(())
}

fn check_config(text: &str) -> Result<(), TestCaseError> {
    match Config::parse(text, "fuzz.toml") {
        Ok(c) => config_invariants(&c),
        Err(e) => {
            prop_assert_eq!(&e.source_name, "fuzz.toml");
            prop_assert!(!e.message.is_empty());
            let known = CONFIG_FIELDS
                .iter()
                .any(|f| e.field == *f || e.field.starts_with(&format!("{f}[")));
            prop_assert!(known, "unexpected field name {:?} in {}", e.field, e);
            if e.field == "(syntax)" {
                // toml's message names the line: "TOML parse error at line L, column C".
                if let Some(l) = e
                    .message
                    .split("at line ")
                    .nth(1)
                    .and_then(|r| r.split(',').next())
                    .and_then(|n| n.trim().parse::<usize>().ok())
                {
                    let lines = text.split('\n').count();
                    prop_assert!(l >= 1 && l <= lines, "line {} of {}: {}", l, lines, e);
                }
            }
            Ok(())
        }
    }
}

/// A coherent, valid config file (its fields drawn across their whole
/// legal ranges, optional ones sometimes left out) with, in about half the
/// cases, one field replaced by a value near or past a limit.
fn config_text() -> impl Strategy<Value = String> {
    let edge = prop::sample::select(vec![
        0u64,
        1,
        2,
        3,
        6,
        8,
        16,
        17,
        63,
        64,
        65,
        255,
        256,
        257,
        1024,
        4096,
        65536,
        131072,
        u64::from(u32::MAX),
        u64::from(u32::MAX) + 1,
    ]);
    (
        (1u64..=64, 0u64..=3, 0u32..3, 1u64..=4, 1u64..=64, 1u64..=64),
        (1u64..=4, 1u64..=16, 0u32..=6, 0u64..=64, 0u32..=4),
        prop::option::weighted(0.5, (0usize..11, edge)),
        prop::option::weighted(0.1, 0usize..11),
        (
            any::<u64>(),
            0usize..4,
            prop::option::of(any::<u32>()),
            prop::option::of(0usize..4),
            prop::option::of(prop::collection::vec(any::<u64>(), 0..3)),
        ),
    )
        .prop_map(
            |(
                (clients, fe, shard_bits, replicas, kb, vb),
                (banks, ways, set_bits, stash, extra_bucket_bits),
                edit,
                drop,
                (seed, policy, sched_seed, cal, failed),
            )| {
                let shards = if fe == 0 { 1 } else { 1u64 << shard_bits }
                    + u64::from(fe > 0 && shard_bits == 2);
                let replicas = if fe == 0 { 1 } else { replicas };
                let buckets = shards.next_power_of_two() << extra_bucket_bits;
                let capacity = (banks * ways) << set_bits;
                let mut v = [
                    clients, fe, shards, replicas, kb, vb, capacity, buckets, banks, ways, stash,
                ];
                if let Some((i, x)) = edit {
                    v[i] = x;
                }
                let names = [
                    "clients",
                    "fe_levels",
                    "shards",
                    "replicas",
                    "key_bits",
                    "value_bits",
                    "capacity",
                    "buckets",
                    "table_banks",
                    "table_ways",
                    "table_stash",
                ];
                let mut t = String::from("name = \"fuzz\"\n[build]\n");
                for (i, (n, x)) in names.iter().zip(v).enumerate() {
                    if drop != Some(i) {
                        t.push_str(&format!("{n} = {x}\n"));
                    }
                }
                // Schedule fields, drawn from the unedited build so they are
                // mostly legal (the edit may make them illegal).
                let mut s = seed;
                let mut next = || tidekv_defs::hash::splitmix64(&mut s);
                t.push_str("[schedule]\n");
                if next() % 2 == 0 {
                    let map: Vec<u64> = (0..buckets).map(|_| next() % shards).collect();
                    t.push_str(&format!("shard_map = {map:?}\n"));
                }
                if policy < 3 {
                    t.push_str(&format!(
                        "replica_policy = \"{}\"\n",
                        ["random", "round_robin", "key_affine"][policy]
                    ));
                }
                if let Some(sd) = sched_seed {
                    t.push_str(&format!("seed = {sd}\n"));
                }
                if let Some(p) = cal {
                    let rows: Vec<String> = (0..=p)
                        .map(|_| {
                            (0..clients)
                                .map(|_| if next() % 3 == 0 { '0' } else { '1' })
                                .collect()
                        })
                        .collect();
                    t.push_str(&format!("calendar = {rows:?}\n"));
                }
                if let Some(f) = failed {
                    if fe > 0 {
                        let pairs: Vec<[u64; 2]> = f
                            .into_iter()
                            .map(|x| [x % shards, (x >> 8) % replicas])
                            .collect();
                        t.push_str(&format!("failed = {pairs:?}\n"));
                    }
                }
                t
            },
        )
}

proptest! {
    #![proptest_config(cases(256))]

    #[test]
    fn config_parser_survives_arbitrary_text(text in any::<String>()) {
        check_config(&text)?;
    }

    #[test]
    fn config_parser_survives_tomlish_text(text in "([a-z_\\[\\]]{0,12} ?= ?[-0-9\"\\[\\],.a-z]{0,12}\n){0,8}") {
        check_config(&text)?;
    }

    #[test]
    fn config_parser_survives_mutated_presets(which in 0..presets().len(), ms in prop::collection::vec(mutation(), 1..5)) {
        check_config(&mutate(presets()[which].1, &ms))?;
    }

    #[test]
    fn config_parser_checks_every_field(text in config_text()) {
        check_config(&text)?;
    }

    #[test]
    fn config_parser_survives_mutated_generated_configs(text in config_text(), ms in prop::collection::vec(mutation(), 1..4)) {
        check_config(&mutate(&text, &ms))?;
    }
}

#[test]
fn presets_satisfy_the_invariants() {
    for (name, text) in presets() {
        let c = Config::parse(text, name).unwrap();
        config_invariants(&c).unwrap();
    }
}

// ------------------------------------------------------------------- traces

/// Check one parse: never a panic; an error names a line of the input; an
/// accepted trace is sorted, one request per client per round, in range.
fn check_trace(text: &str, cfg: &Config) -> Result<Option<TraceError>, TestCaseError> {
    let lines = text.lines().count();
    match trace::parse(text, &cfg.build, &cfg.schedule) {
        Err(e) => {
            prop_assert!(
                e.line >= 1 && e.line <= lines,
                "error on line {} of {}: {}",
                e.line,
                lines,
                e
            );
            prop_assert!(!e.message.is_empty());
            Ok(Some(e))
        }
        Ok(t) => {
            let b = &cfg.build;
            let mut seen = BTreeSet::new();
            for w in t.requests.windows(2) {
                prop_assert!(
                    (w[0].round, w[0].client) < (w[1].round, w[1].client),
                    "sorted, unique"
                );
            }
            for r in &t.requests {
                prop_assert!(seen.insert((r.round, r.client)));
                prop_assert!(r.client < b.clients);
                prop_assert!(r.request.key <= b.key_mask());
                prop_assert!(r.request.value <= b.value_mask());
                prop_assert!(r.request.op.takes_value() || r.request.value == 0);
                prop_assert!(r.line >= 1 && r.line <= lines);
            }
            for w in t.events.windows(2) {
                prop_assert!(w[0].round <= w[1].round);
            }
            for e in &t.events {
                prop_assert!(e.line >= 1 && e.line <= lines);
            }
            Ok(None)
        }
    }
}

/// A valid trace for `cfg`: requests (one per client per round), fail /
/// recover pairs in order, and schedule lines (at most one per round).
fn valid_trace(cfg: &Config) -> impl Strategy<Value = Vec<String>> {
    let b = cfg.build.clone();
    let (c, s, r, buckets) = (b.clients, b.shards, b.replicas, b.buckets as usize);
    let gap = b.schedule_gap();
    (
        prop::collection::vec(
            (0u64..30, 0..c, 0usize..5, any::<u32>(), any::<u32>()),
            0..40,
        ),
        prop::collection::vec((0..s, 0..r, 0u64..30, prop::option::of(1u64..10)), 0..3),
        prop::collection::vec(
            (
                0u64..30,
                prop::option::of(prop::collection::vec(0..s, buckets)),
                prop::option::of(prop::sample::select(vec![
                    "random",
                    "round_robin",
                    "key_affine",
                ])),
                prop::option::of(1u32..=u32::MAX),
                prop::option::of(1usize..4),
            ),
            0..3,
        ),
    )
        .prop_map(move |(reqs, nodes, scheds)| {
            let mut lines = Vec::new();
            let mut seen = BTreeSet::new();
            for (round, client, op, key, value) in reqs {
                if seen.insert((round, client)) {
                    let op = Op::ALL[op];
                    let rq = Request::new(
                        op,
                        u64::from(key),
                        op.takes_value().then_some(u64::from(value)),
                    );
                    lines.push(format_request(round, client, &rq));
                }
            }
            let mut used = BTreeSet::new();
            for (sh, rep, f, rec) in nodes {
                if used.insert((sh, rep)) {
                    let n = Node {
                        shard: sh,
                        replica: rep,
                    };
                    lines.push(format_node_event(Some(f), true, n));
                    if let Some(d) = rec {
                        lines.push(format_node_event(Some(f + d), false, n));
                    }
                }
            }
            // Swaps at least `schedule_gap` rounds apart (the device's two copies).
            let mut scheds = scheds;
            scheds.sort_by_key(|s| s.0);
            let mut last: Option<u64> = None;
            for (round, map, policy, seed, period) in scheds {
                if last.is_some_and(|l| round < l + gap) {
                    continue;
                }
                last = Some(round);
                let mut fields = Vec::new();
                if let Some(m) = map {
                    fields.push(format!("\"shard_map\": {m:?}"));
                }
                if let Some(p) = policy {
                    fields.push(format!("\"replica_policy\": \"{p}\""));
                }
                if let Some(sd) = seed {
                    fields.push(format!("\"seed\": {sd}"));
                }
                if let Some(p) = period {
                    let row = "1".repeat(c as usize);
                    let rows: Vec<String> = (0..p).map(|_| format!("\"{row}\"")).collect();
                    fields.push(format!("\"calendar\": [{}]", rows.join(", ")));
                }
                lines.push(format!(
                    "{{\"round\": {round}, \"schedule\": {{{}}}}}",
                    fields.join(", ")
                ));
            }
            if lines.len() > 2 {
                lines.insert(1, "# a comment".to_string());
                lines.insert(2, String::new());
            }
            lines
        })
}

fn preset_cfg(i: usize) -> Config {
    Config::preset(presets()[i].0).unwrap()
}

proptest! {
    #![proptest_config(cases(256))]

    #[test]
    fn trace_parser_survives_arbitrary_text(text in any::<String>(), which in 0..presets().len()) {
        check_trace(&text, &preset_cfg(which))?;
    }

    #[test]
    fn trace_parser_survives_jsonish_lines(
        text in "(\\{(\"(round|client|op|key|value|fail|recover|schedule|shard|replica)\": ?(-?[0-9]{1,21}|\"[a-z_]{0,8}\"|\\{|\\}|\\[|\\]|null|1\\.5)[, ]{0,2}){0,6}\\}?\n){0,6}",
        which in 0..presets().len(),
    ) {
        check_trace(&text, &preset_cfg(which))?;
    }

    /// The generated traces are valid; every mutation of one either still
    /// parses (satisfying the invariants) or is rejected with a line of the
    /// input.
    #[test]
    fn trace_parser_survives_mutated_valid_traces(
        which in 0..presets().len(),
        seed_lines in (0..presets().len()).prop_flat_map(|i| valid_trace(&preset_cfg(i)).prop_map(move |l| (i, l))),
        ms in prop::collection::vec(mutation(), 1..5),
    ) {
        let (gen_for, lines) = seed_lines;
        let cfg = preset_cfg(gen_for);
        let text = lines.join("\n");
        let ok = check_trace(&text, &cfg)?;
        prop_assert!(ok.is_none(), "a generated trace is valid: {:?}\n{}", ok, text);
        let mutated = mutate(&text, &ms);
        check_trace(&mutated, &cfg)?;
        // The same text against another build: also no panic.
        check_trace(&mutated, &preset_cfg(which))?;
    }

    /// Windows line endings and surrounding whitespace are accepted.
    #[test]
    fn crlf_and_whitespace_do_not_matter(
        seed_lines in (0..presets().len()).prop_flat_map(|i| valid_trace(&preset_cfg(i)).prop_map(move |l| (i, l))),
    ) {
        let (i, lines) = seed_lines;
        let cfg = preset_cfg(i);
        let plain = trace::parse(&lines.join("\n"), &cfg.build, &cfg.schedule);
        let crlf = trace::parse(&(lines.iter().map(|l| format!("  {l}\t")).collect::<Vec<_>>().join("\r\n") + "\r\n"), &cfg.build, &cfg.schedule);
        prop_assert!(plain.is_ok());
        prop_assert_eq!(plain, crlf);
    }
}
