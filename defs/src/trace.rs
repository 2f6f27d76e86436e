//! Trace files, the replay contract (SPEC section 8).
//!
//! Input lines, one JSON object each, in any order of rounds:
//!
//! ```text
//! {"round": 0, "client": 3, "op": "put", "key": 42, "value": 7}
//! {"round": 5, "fail": {"shard": 1, "replica": 0}}
//! {"round": 9, "recover": {"shard": 1, "replica": 0}}
//! {"round": 12, "schedule": {"shard_map": [...], "replica_policy": "key_affine"}}
//! ```
//!
//! A `schedule` line (a tidekv extension) stages a schedule that takes effect
//! for requests issued in that round and later; its fields are those of a
//! config file's `[schedule]` table, missing ones kept. Blank lines and lines
//! starting with `#` are skipped. Everything is checked before anything runs;
//! the first problem is reported with its line number.

use crate::codes::{Op, Request, Response};
use crate::config::{BuildConfig, Schedule, ScheduleSpec};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

/// A trace problem, with the 1-based line it is on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct TraceError {
    pub line: usize,
    pub message: String,
}

fn terr<T>(line: usize, message: impl Into<String>) -> Result<T, TraceError> {
    Err(TraceError {
        line,
        message: message.into(),
    })
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceRequest {
    pub line: usize,
    pub round: u64,
    pub client: u32,
    pub request: Request,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Node {
    pub shard: u32,
    pub replica: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventKind {
    Fail(Node),
    Recover(Node),
    Schedule(Schedule),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceEvent {
    pub line: usize,
    pub round: u64,
    pub kind: EventKind,
}

/// A parsed, validated trace: requests sorted by (round, client), events by
/// round (file order within a round).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Trace {
    pub requests: Vec<TraceRequest>,
    pub events: Vec<TraceEvent>,
}

impl Trace {
    /// The last round in which anything happens, if anything does.
    pub fn last_round(&self) -> Option<u64> {
        let r = self.requests.last().map(|r| r.round);
        let e = self.events.iter().map(|e| e.round).max();
        r.max(e)
    }

    /// Walk the rounds a replay runs, 0 through the last round plus `tail`:
    /// per round, its events (to apply first) and each of `clients` ports'
    /// request. Stops at the first error `f` returns.
    pub fn for_each_round<E>(
        &self,
        clients: usize,
        tail: u64,
        mut f: impl FnMut(u64, &[TraceEvent], &[Option<Request>]) -> Result<(), E>,
    ) -> Result<(), E> {
        let Some(last) = self.last_round() else {
            return Ok(());
        };
        let mut slots = vec![None; clients];
        let (mut ri, mut ei) = (0, 0);
        for u in 0..=last + tail {
            let e0 = ei;
            while ei < self.events.len() && self.events[ei].round == u {
                ei += 1;
            }
            slots.fill(None);
            while ri < self.requests.len() && self.requests[ri].round == u {
                let r = &self.requests[ri];
                slots[r.client as usize] = Some(r.request);
                ri += 1;
            }
            f(u, &self.events[e0..ei], &slots)?;
        }
        Ok(())
    }
}

fn get_u64(obj: &Map<String, Value>, key: &str, line: usize) -> Result<u64, TraceError> {
    match obj.get(key) {
        None => terr(line, format!("missing field \"{key}\"")),
        Some(v) => v.as_u64().map_or_else(
            || {
                terr(
                    line,
                    format!("\"{key}\" must be a non-negative integer, not {v}"),
                )
            },
            Ok,
        ),
    }
}

fn only_fields(
    obj: &Map<String, Value>,
    allowed: &[&str],
    line: usize,
    what: &str,
) -> Result<(), TraceError> {
    for k in obj.keys() {
        if !allowed.contains(&k.as_str()) {
            return terr(
                line,
                format!(
                    "unknown field \"{k}\" in a {what} (allowed: {})",
                    allowed.join(", ")
                ),
            );
        }
    }
    Ok(())
}

fn parse_node(v: &Value, line: usize, what: &str, b: &BuildConfig) -> Result<Node, TraceError> {
    let Some(obj) = v.as_object() else {
        return terr(
            line,
            format!("\"{what}\" must be an object like {{\"shard\": 1, \"replica\": 0}}"),
        );
    };
    only_fields(obj, &["shard", "replica"], line, what)?;
    let shard = get_u64(obj, "shard", line)?;
    let replica = get_u64(obj, "replica", line)?;
    if shard >= u64::from(b.shards) || replica >= u64::from(b.replicas) {
        return terr(
            line,
            format!("{what}: shard {shard} replica {replica} does not exist (the build has {} shards of {} replicas)", b.shards, b.replicas),
        );
    }
    Ok(Node {
        shard: shard as u32,
        replica: replica as u32,
    })
}

/// Parse and validate trace text against a build and its initial schedule.
/// One input line, parsed and checked against the build (not against other
/// lines).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineItem {
    Request { client: u32, request: Request },
    Fail(Node),
    Recover(Node),
    Schedule(ScheduleSpec),
}

/// Parse line number `line` (1-based): `None` for a blank or `#` line, else
/// its round (required if `round_required`, else optional) and what it holds.
pub fn parse_line(
    raw: &str,
    line: usize,
    b: &BuildConfig,
    round_required: bool,
) -> Result<Option<(Option<u64>, LineItem)>, TraceError> {
    let s = raw.trim();
    if s.is_empty() || s.starts_with('#') {
        return Ok(None);
    }
    let v: Value = match serde_json::from_str(s) {
        Ok(v) => v,
        Err(e) => return terr(line, format!("not valid JSON: {e}")),
    };
    let Some(obj) = v.as_object() else {
        return terr(line, "each line must be a JSON object");
    };
    let round = if round_required || obj.contains_key("round") {
        Some(get_u64(obj, "round", line)?)
    } else {
        None
    };
    let item = if obj.contains_key("op") {
        only_fields(
            obj,
            &["round", "client", "op", "key", "value"],
            line,
            "request",
        )?;
        let client = get_u64(obj, "client", line)?;
        if client >= u64::from(b.clients) {
            return terr(
                line,
                format!(
                    "client {client} is out of range (the build has {} clients, 0..={})",
                    b.clients,
                    b.clients - 1
                ),
            );
        }
        let client = client as u32;
        let op: Op = match obj.get("op").and_then(Value::as_str) {
            Some(name) => name
                .parse()
                .map_err(|e: String| TraceError { line, message: e })?,
            None => return terr(line, "\"op\" must be a string"),
        };
        let key = get_u64(obj, "key", line)?;
        if key > b.key_mask() {
            return terr(
                line,
                format!(
                    "key {key} is wider than the build's {} key bits",
                    b.key_bits
                ),
            );
        }
        let value = match (op.takes_value(), obj.get("value")) {
            (true, None) => return terr(line, format!("{op} needs a \"value\"")),
            (false, Some(_)) => return terr(line, format!("{op} takes no \"value\"")),
            (false, None) => None,
            (true, Some(_)) => {
                let v = get_u64(obj, "value", line)?;
                if v > b.value_mask() {
                    return terr(
                        line,
                        format!(
                            "value {v} is wider than the build's {} value bits",
                            b.value_bits
                        ),
                    );
                }
                Some(v)
            }
        };
        LineItem::Request {
            client,
            request: Request::new(op, key, value),
        }
    } else if let Some(node) = obj.get("fail") {
        only_fields(obj, &["round", "fail"], line, "fail event")?;
        LineItem::Fail(parse_node(node, line, "fail", b)?)
    } else if let Some(node) = obj.get("recover") {
        only_fields(obj, &["round", "recover"], line, "recover event")?;
        LineItem::Recover(parse_node(node, line, "recover", b)?)
    } else if let Some(spec) = obj.get("schedule") {
        only_fields(obj, &["round", "schedule"], line, "schedule event")?;
        LineItem::Schedule(
            serde_json::from_value(spec.clone()).map_err(|e| TraceError {
                line,
                message: format!("schedule: {e}"),
            })?,
        )
    } else {
        return terr(
            line,
            "a line needs \"op\" (a request), \"fail\", \"recover\" or \"schedule\"",
        );
    };
    Ok(Some((round, item)))
}

pub fn parse(text: &str, b: &BuildConfig, initial: &Schedule) -> Result<Trace, TraceError> {
    let mut requests = Vec::new();
    let mut raw_schedules: Vec<(usize, u64, ScheduleSpec)> = Vec::new();
    let mut node_events: Vec<(usize, u64, bool, Node)> = Vec::new();
    let mut seen: HashMap<(u64, u32), usize> = HashMap::new();
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        let Some((round, item)) = parse_line(raw, line, b, true)? else {
            continue;
        };
        let round = round.expect("a round is required");
        match item {
            LineItem::Request { client, request } => {
                if let Some(first) = seen.insert((round, client), line) {
                    return terr(line, format!("client {client} already has a request in round {round} (line {first}); one per client per round"));
                }
                requests.push(TraceRequest {
                    line,
                    round,
                    client,
                    request,
                });
            }
            LineItem::Fail(n) => node_events.push((line, round, true, n)),
            LineItem::Recover(n) => node_events.push((line, round, false, n)),
            LineItem::Schedule(spec) => raw_schedules.push((line, round, spec)),
        }
    }

    // Node events must alternate fail / recover per node, in round order.
    node_events.sort_by_key(|&(line, round, ..)| (round, line));
    let mut down: BTreeMap<(u32, u32), (u64, usize)> = BTreeMap::new();
    let mut events = Vec::new();
    for &(line, round, fail, node) in &node_events {
        let k = (node.shard, node.replica);
        match (fail, down.get(&k).copied()) {
            (true, Some((_, l))) => return terr(line, format!("shard {} replica {} is already failed (line {l})", k.0, k.1)),
            (false, None) => return terr(line, format!("shard {} replica {} is not failed, so it cannot recover", k.0, k.1)),
            (false, Some((r, l))) if r == round => {
                return terr(line, format!("shard {} replica {} fails in this same round (line {l}); recover in a later round", k.0, k.1))
            }
            (true, None) => {
                down.insert(k, (round, line));
            }
            (false, Some(_)) => {
                down.remove(&k);
            }
        }
        events.push(TraceEvent {
            line,
            round,
            kind: if fail {
                EventKind::Fail(node)
            } else {
                EventKind::Recover(node)
            },
        });
    }

    // Schedules resolve in round order, each on top of the one before.
    raw_schedules.sort_by_key(|&(line, round, _)| (round, line));
    let mut timeline: Vec<(u64, Schedule)> = vec![(0, initial.clone())];
    for (line, round, spec) in &raw_schedules {
        let prev = &timeline.last().expect("initial").1;
        if let (true, Some(&(last, _))) = (timeline.len() > 1, timeline.last()) {
            if *round < last + b.schedule_gap() {
                return terr(
                    *line,
                    format!(
                        "a schedule already takes effect in round {last}; the next may take effect from round {} on (the device keeps two schedule copies)",
                        last + b.schedule_gap()
                    ),
                );
            }
        }
        let s = spec
            .resolve(b, prev, &format!("line {line}"), "schedule.")
            .map_err(|e| TraceError {
                line: *line,
                message: format!("{}: {}", e.field, e.message),
            })?;
        events.push(TraceEvent {
            line: *line,
            round: *round,
            kind: EventKind::Schedule(s.clone()),
        });
        timeline.push((*round, s));
    }
    events.sort_by_key(|e| (e.round, e.line));

    // Every request must be allowed by the calendar in force in its round.
    for r in &requests {
        let sched = &timeline
            .iter()
            .rev()
            .find(|(from, _)| *from <= r.round)
            .expect("initial at 0")
            .1;
        if !sched.may_issue(r.round, r.client) {
            let slot = r.round % sched.period() as u64;
            return terr(
                r.line,
                format!("client {} may not issue in round {}: the calendar (period {}) closes its port in slot {slot}", r.client, r.round, sched.period()),
            );
        }
    }
    requests.sort_by_key(|r| (r.round, r.client));
    Ok(Trace { requests, events })
}

/// One output line of SPEC section 8, byte for byte, without the newline.
pub fn format_output(
    round: u64,
    client: u32,
    req: &Request,
    resp: &Response,
    done_round: u64,
) -> String {
    let mut s = String::with_capacity(112);
    let _ = write!(s, "{{\"round\": {round}, \"client\": {client}, \"op\": \"{}\", \"key\": {}, \"status\": \"{}\", \"value\": ", req.op, req.key, resp.status);
    match resp.value {
        Some(v) => {
            let _ = write!(s, "{v}");
        }
        None => s.push_str("null"),
    }
    let _ = write!(s, ", \"done_round\": {done_round}}}");
    s
}

/// One input line for a request, as `parse` reads it (used by generators of traces).
pub fn format_request(round: u64, client: u32, req: &Request) -> String {
    request_line(Some(round), client, req)
}

/// One `tidekv stream` input line for a request: no round.
pub fn format_stream_request(client: u32, req: &Request) -> String {
    request_line(None, client, req)
}

/// A `fail` (or, `fail` false, `recover`) event line; `None`: no round (stream input).
pub fn format_node_event(round: Option<u64>, fail: bool, n: Node) -> String {
    let kind = if fail { "fail" } else { "recover" };
    format!(
        "{{{}\"{kind}\": {{\"shard\": {}, \"replica\": {}}}}}",
        round_field(round),
        n.shard,
        n.replica
    )
}

fn round_field(round: Option<u64>) -> String {
    round.map_or(String::new(), |r| format!("\"round\": {r}, "))
}

fn request_line(round: Option<u64>, client: u32, req: &Request) -> String {
    let value = req
        .value_opt()
        .map_or(String::new(), |v| format!(", \"value\": {v}"));
    format!(
        "{{{}\"client\": {client}, \"op\": \"{}\", \"key\": {}{value}}}",
        round_field(round),
        req.op,
        req.key
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codes::Status;
    use crate::config::Config;

    fn cfg() -> Config {
        Config::preset("replicated-c10-s2-r3").unwrap()
    }
    fn p(text: &str) -> Result<Trace, TraceError> {
        let c = cfg();
        parse(text, &c.build, &c.schedule)
    }

    #[test]
    fn parses_the_spec_example() {
        let t = p(
            r#"{"round": 0, "client": 3, "op": "put", "key": 42, "value": 7}
{"round": 0, "client": 4, "op": "get", "key": 42}
{"round": 5, "fail": {"shard": 1, "replica": 0}}
{"round": 9, "recover": {"shard": 1, "replica": 0}}"#,
        )
        .unwrap();
        assert_eq!(t.requests.len(), 2);
        assert_eq!(t.events.len(), 2);
        assert_eq!(t.last_round(), Some(9));
    }

    #[test]
    fn output_line_is_exact() {
        let line = format_output(
            0,
            3,
            &Request::new(Op::Put, 42, Some(7)),
            &Response::ok(None),
            4,
        );
        assert_eq!(
            line,
            r#"{"round": 0, "client": 3, "op": "put", "key": 42, "status": "ok", "value": null, "done_round": 4}"#
        );
        let line = format_output(
            1,
            0,
            &Request::new(Op::Get, 5, None),
            &Response {
                status: Status::Ok,
                value: Some(9),
            },
            5,
        );
        assert!(line.contains(r#""value": 9, "#));
    }

    #[test]
    fn rejections_carry_line_numbers() {
        let cases = [
            ("{\"round\": 0, \"client\": 1, \"op\": \"get\", \"key\": 1}\n{\"round\": 0, \"client\": 1, \"op\": \"get\", \"key\": 2}", 2, "already has a request"),
            ("\n{\"round\": 0, \"client\": 10, \"op\": \"get\", \"key\": 1}", 2, "out of range"),
            ("{\"round\": 0, \"client\": 0, \"op\": \"get\", \"key\": 4294967296}", 1, "wider"),
            ("{\"round\": 0, \"client\": 0, \"op\": \"put\", \"key\": 1, \"value\": 4294967296}", 1, "wider"),
            ("{\"round\": 0, \"client\": 0, \"op\": \"fetch\", \"key\": 1}", 1, "unknown op"),
            ("{\"round\": 0, \"client\": 0, \"op\": \"put\", \"key\": 1}", 1, "needs a \"value\""),
            ("{\"round\": -1, \"client\": 0, \"op\": \"get\", \"key\": 1}", 1, "non-negative"),
            ("{\"round\": 0, \"client\": 0, \"op\": \"get\", \"key\": 1", 1, "not valid JSON"),
            ("{\"round\": 0, \"client\": 0, \"op\": \"get\", \"key\": 1, \"colour\": 1}", 1, "unknown field"),
            ("{\"round\": 2, \"recover\": {\"shard\": 0, \"replica\": 0}}", 1, "not failed"),
            ("{\"round\": 2, \"fail\": {\"shard\": 2, \"replica\": 0}}", 1, "does not exist"),
            ("{\"round\": 2, \"schedule\": {\"shard_map\": [5]}}", 1, "shard_map"),
            ("[1, 2]", 1, "JSON object"),
        ];
        for (text, line, needle) in cases {
            let e = p(text).unwrap_err();
            assert_eq!(e.line, line, "{text}: {e}");
            assert!(e.message.contains(needle), "{text}: {e}");
        }
    }

    #[test]
    fn calendar_is_enforced_with_swaps() {
        let sched = r#"{"round": 4, "schedule": {"calendar": ["1000000000", "0100000000"]}}"#;
        assert!(p(&format!(
            "{sched}\n{{\"round\": 3, \"client\": 5, \"op\": \"get\", \"key\": 1}}"
        ))
        .is_ok());
        let e = p(&format!(
            "{sched}\n{{\"round\": 4, \"client\": 5, \"op\": \"get\", \"key\": 1}}"
        ))
        .unwrap_err();
        assert_eq!(e.line, 2);
        assert!(e.message.contains("calendar"));
        assert!(p(&format!(
            "{sched}\n{{\"round\": 5, \"client\": 1, \"op\": \"get\", \"key\": 1}}"
        ))
        .is_ok());
    }
}
