//! `tidekv stream`: requests in as JSON lines, answers out as JSON lines,
//! free-running: each client's requests are queued in input order and the
//! head of every client's queue is issued each round, as soon as its port
//! is free, with no rounds named in the input. (The host runs the queues
//! as pipelined `Step` rounds, which gives the same issue order as the
//! device's own free-running batches, `LinkCore::run_batch`, when every
//! port is open; `stream` does not use those yet.)
//!
//! Input lines are trace lines (SPEC section 8) whose `round` is optional
//! and ignored: `{"client": 3, "op": "put", "key": 42, "value": 7}`, and the
//! events `{"fail": {...}}`, `{"recover": {...}}` and `{"schedule": {...}}`,
//! which wait until every request before them has been answered (a
//! schedule's missing fields are the build's defaults). Output lines are
//! SPEC section 8's, with the device's rounds.
//!
//! With `check`, the stream remembers the last acknowledged write of every
//! key and reads every such key back at the end: a key whose value differs
//! is a lost write. A key whose last write was answered `unavailable` (it
//! may or may not have run) is not checked until a later write is
//! acknowledged.

use crate::client::{Device, RunStats, Timed};
use crate::{Error, Result};
use std::collections::{HashMap, HashSet, VecDeque};
use std::io::{BufRead, Write};
use tidekv_defs::trace::{format_output, parse_line, LineItem};
use tidekv_defs::{Op, Request, Schedule, Status};

/// Requests gathered before they are run (unless an event comes first).
pub const BATCH: usize = 1 << 16;

/// What a stream did.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct StreamSummary {
    pub requests: u64,
    pub events: u64,
    /// Link-clock seconds spent running rounds.
    pub seconds: f64,
    pub ops_per_s: f64,
    pub p50_us: f64,
    pub p99_us: f64,
    pub statuses: std::collections::BTreeMap<String, u64>,
    pub check: Option<Checked>,
}

/// The read-back of `check`.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Checked {
    /// Keys read back.
    pub keys: u64,
    /// Keys not checked: their last write was answered `unavailable`.
    pub uncertain: u64,
    /// Keys whose value is not the last acknowledged write: (key, expected, found).
    pub lost: Vec<(u64, Option<u64>, Option<u64>)>,
}

/// The last acknowledged write of every key.
#[derive(Default)]
struct Ledger {
    value: HashMap<u64, Option<u64>>,
    uncertain: HashSet<u64>,
}

impl Ledger {
    fn note(&mut self, r: &Request, st: Status) {
        match (r.op, st) {
            (Op::Get, _) => {}
            (Op::Delete, Status::Ok) => {
                self.value.insert(r.key, None);
                self.uncertain.remove(&r.key);
            }
            (_, Status::Ok) => {
                self.value.insert(r.key, Some(r.value));
                self.uncertain.remove(&r.key);
            }
            (_, Status::Unavailable) => {
                self.uncertain.insert(r.key);
            }
            _ => {}
        }
    }
}

/// One parsed input line: its number, the input bytes consumed up to its
/// end, and what it says.
#[derive(Debug, Clone)]
pub struct Item {
    pub line: usize,
    pub consumed: u64,
    pub item: LineItem,
}

/// Parse every line of `text` (named `name` in errors) without running
/// anything: the items to `stream_items`, or the first bad line's error.
pub fn parse_all(text: &str, d: &Device, name: &str) -> Result<Vec<Item>> {
    read_items(&mut text.as_bytes(), d, name).collect()
}

/// The items of `input` (named `name` in errors), parsed line by line as
/// they are read; a bad line is an error item, after the ones before it.
pub fn read_items<'a>(
    input: &'a mut dyn BufRead,
    d: &Device,
    name: &'a str,
) -> impl Iterator<Item = Result<Item>> + 'a {
    let build = d.info.build.clone();
    let mut consumed = 0u64;
    let mut line_no = 0usize;
    let mut done = false;
    std::iter::from_fn(move || {
        let mut raw = String::new();
        while !done {
            raw.clear();
            let n = match input.read_line(&mut raw) {
                Ok(n) => n,
                Err(source) => {
                    done = true;
                    return Some(Err(Error::Read {
                        path: name.into(),
                        source,
                    }));
                }
            };
            if n == 0 {
                done = true;
                break;
            }
            consumed += n as u64;
            line_no += 1;
            match parse_line(&raw, line_no, &build, false) {
                Ok(None) => continue,
                Ok(Some((_, item))) => {
                    return Some(Ok(Item {
                        line: line_no,
                        consumed,
                        item,
                    }))
                }
                Err(source) => {
                    done = true;
                    return Some(Err(Error::Trace {
                        path: name.into(),
                        source,
                    }));
                }
            }
        }
        None
    })
}

/// Stream `input` (named `name` in errors) through the device, writing
/// answers to `out`, parsing lines as they are read; `progress` gets
/// (input bytes consumed, requests answered). A bad line stops the stream
/// before its batch runs.
pub fn stream(
    d: &mut Device,
    input: &mut dyn BufRead,
    name: &str,
    out: &mut dyn Write,
    window: usize,
    check: bool,
    progress: impl FnMut(u64, u64),
) -> Result<StreamSummary> {
    let mut items = read_items(input, d, name);
    stream_items(d, name, &mut items, out, window, check, progress)
}

/// `stream` over items already parsed (`parse_all`) or read by
/// `read_items`; `name` names the input in errors.
pub fn stream_items(
    d: &mut Device,
    name: &str,
    items: &mut dyn Iterator<Item = Result<Item>>,
    out: &mut dyn Write,
    window: usize,
    check: bool,
    mut progress: impl FnMut(u64, u64),
) -> Result<StreamSummary> {
    let c = d.clients() as usize;
    let mut sum = StreamSummary::default();
    let mut ledger = Ledger::default();
    let mut st = RunStats::default();
    let mut queues: Vec<VecDeque<Request>> = vec![VecDeque::new(); c];
    let mut queued = 0usize;
    let mut consumed = 0u64;
    let mut line = 0usize;
    loop {
        let item = match items.next() {
            None => None,
            Some(Err(e)) => return Err(e),
            Some(Ok(it)) => {
                (consumed, line) = (it.consumed, it.line);
                Some(it.item)
            }
        };
        if let Some(LineItem::Request { client, request }) = &item {
            queues[*client as usize].push_back(*request);
            queued += 1;
            if queued < BATCH {
                continue;
            }
        }
        // Run what is queued: at a batch's end, before an event, at the end.
        if queued > 0 {
            run_queues(
                d,
                &mut queues,
                window,
                &mut st,
                &mut ledger,
                out,
                |answered| progress(consumed, answered),
            )?;
            queued = 0;
        }
        match item {
            None => break,
            Some(LineItem::Request { .. }) => {}
            Some(LineItem::Fail(n)) => {
                d.set_failed(n.shard, n.replica, true)?;
                sum.events += 1;
            }
            Some(LineItem::Recover(n)) => {
                d.set_failed(n.shard, n.replica, false)?;
                sum.events += 1;
            }
            Some(LineItem::Schedule(spec)) => {
                let b = d.info.build.clone();
                let s = spec
                    .resolve(
                        &b,
                        &Schedule::default_for(&b),
                        &format!("{name} line {line}"),
                        "schedule.",
                    )
                    .map_err(Error::Config)?;
                crate::schedule::load(d, &s, None, true)?;
                sum.events += 1;
            }
        }
    }
    progress(consumed, st.ops);
    sum.requests = st.ops;
    sum.seconds = st.seconds();
    sum.ops_per_s = st.per_s(st.ops as f64);
    sum.p50_us = st.us(0.5);
    sum.p99_us = st.us(0.99);
    // (the statuses that came)
    sum.statuses = st.statuses.into_iter().filter(|&(_, n)| n > 0).collect();
    if check {
        sum.check = Some(read_back(d, &ledger, window)?);
    }
    Ok(sum)
}

fn run_queues(
    d: &mut Device,
    queues: &mut [VecDeque<Request>],
    window: usize,
    st: &mut RunStats,
    ledger: &mut Ledger,
    out: &mut dyn Write,
    mut progress: impl FnMut(u64),
) -> Result<()> {
    let depth = queues.iter().map(VecDeque::len).max().unwrap_or(0);
    let rounds: Vec<Vec<Option<Request>>> = (0..depth)
        .map(|_| queues.iter_mut().map(VecDeque::pop_front).collect())
        .collect();
    d.run_rounds(rounds, window, |t: &Timed| {
        let a = &t.answered;
        writeln!(
            out,
            "{}",
            format_output(a.round, a.client, &a.request, &a.response, t.done_round)
        )
        .map_err(Error::Output)?;
        st.note(t)?;
        ledger.note(&a.request, a.response.status);
        if st.ops.is_multiple_of(256) {
            progress(st.ops);
        }
        Ok(())
    })?;
    // Events between batches are not part of the time.
    st.close_span();
    out.flush().map_err(Error::Output)
}

/// Read back every key with a known last write; `unavailable` reads are
/// retried (a failed replica the front-end has not yet detected).
fn read_back(d: &mut Device, ledger: &Ledger, window: usize) -> Result<Checked> {
    let c = d.clients() as usize;
    let mut todo: Vec<u64> = ledger
        .value
        .keys()
        .filter(|k| !ledger.uncertain.contains(k))
        .copied()
        .collect();
    todo.sort_unstable();
    let mut checked = Checked {
        keys: todo.len() as u64,
        uncertain: ledger.uncertain.len() as u64,
        lost: vec![],
    };
    for _attempt in 0..4 {
        if todo.is_empty() {
            break;
        }
        let rounds: Vec<Vec<Option<Request>>> = todo
            .chunks(c)
            .map(|ks| {
                (0..c)
                    .map(|i| {
                        ks.get(i).map(|&key| Request {
                            op: Op::Get,
                            key,
                            value: 0,
                        })
                    })
                    .collect()
            })
            .collect();
        let mut again = Vec::new();
        d.run_rounds(rounds, window, |t| {
            let key = t.answered.request.key;
            let want = ledger.value[&key];
            let got = match t.answered.response.status {
                Status::Ok => t.answered.response.value,
                Status::NotFound => None,
                Status::Unavailable => {
                    again.push(key);
                    return Ok(());
                }
                st => {
                    return Err(Error::Device(format!(
                        "reading back key {key} answered {st}"
                    )))
                }
            };
            if got != want {
                checked.lost.push((key, want, got));
            }
            Ok(())
        })?;
        todo = again;
    }
    if !todo.is_empty() {
        return Err(Error::Device(format!(
            "{} key(s) still answered unavailable after 4 read-backs (first: key {})",
            todo.len(),
            todo[0]
        )));
    }
    Ok(checked)
}
