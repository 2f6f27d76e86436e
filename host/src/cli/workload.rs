//! `tidekv workload`: write a synthetic workload as `stream` input (JSON
//! lines without rounds), optionally with a replica failure and recovery
//! after given numbers of requests.

use std::io::Write;
use std::path::PathBuf;
use tidekv_defs::trace::{format_node_event, format_stream_request, Node};
use tidekv_host::workload::{KeyDist, Mix, Workload};
use tidekv_host::{load_config, ConfigSource, Error};

#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("cfg").required(true).args(["preset", "config"])))]
pub struct Args {
    /// The build the workload is for (clients, key and value widths).
    #[arg(long, value_name = "NAME")]
    pub preset: Option<String>,
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = Mix::A)]
    pub workload: Mix,
    /// Key popularity: uniform, zipf (0.99) or zipf:THETA.
    #[arg(long, default_value = "zipf")]
    pub keys: KeyDist,
    /// Distinct keys drawn from.
    #[arg(long, default_value_t = 1000)]
    pub records: u64,
    /// Requests written (clients take turns).
    #[arg(long, default_value_t = 10_000)]
    pub requests: u64,
    /// Start by writing every record once (inserted before the mix).
    #[arg(long)]
    pub load: bool,
    /// Fail replica R of shard S after N requests: S/R@N.
    #[arg(long, value_name = "S/R@N")]
    pub fail: Option<String>,
    /// Recover it after N requests: S/R@N.
    #[arg(long, value_name = "S/R@N")]
    pub recover: Option<String>,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

fn node_at(s: &str, what: &str) -> tidekv_host::Result<(Node, u64)> {
    let bad = || {
        Error::Usage(format!(
            "--{what} {s:?}: give SHARD/REPLICA@REQUESTS, e.g. 1/0@5000"
        ))
    };
    let (node, at) = s.split_once('@').ok_or_else(bad)?;
    let (sh, r) = node.split_once('/').ok_or_else(bad)?;
    Ok((
        Node {
            shard: sh.parse().map_err(|_| bad())?,
            replica: r.parse().map_err(|_| bad())?,
        },
        at.parse().map_err(|_| bad())?,
    ))
}

pub fn run(a: Args) -> tidekv_host::Result<()> {
    let src = match (&a.preset, &a.config) {
        (Some(p), _) => ConfigSource::Preset(p.clone()),
        (None, Some(f)) => ConfigSource::File(f.clone()),
        (None, None) => unreachable!("clap requires one"),
    };
    let cfg = load_config(&src, None, None)?;
    let b = &cfg.build;
    let mut w = Workload::new(b, a.workload, a.keys, a.records, a.seed)
        .map_err(|e| Error::Usage(format!("--records: {e}")))?;
    let mut events = Vec::new();
    for (flag, v) in [("fail", &a.fail), ("recover", &a.recover)] {
        if let Some(s) = v {
            let (n, at) = node_at(s, flag)?;
            if n.shard >= b.shards || n.replica >= b.replicas {
                return Err(Error::Usage(format!(
                    "--{flag} {s}: the build has shards 0..{} with replicas 0..{}",
                    b.shards, b.replicas
                )));
            }
            events.push((at, format_node_event(None, flag == "fail", n)));
        }
    }
    events.sort_by_key(|e| e.0);
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let c = u64::from(b.clients);
    let request = |n: u64, r: tidekv_defs::Request| format_stream_request((n % c) as u32, &r);
    let mut lines = Vec::new();
    let mut n = 0u64;
    if a.load {
        for i in 0..a.records {
            lines.push(request(n, w.load(i)));
            n += 1;
        }
    }
    let mut ev = events.into_iter().peekable();
    for i in 0..a.requests {
        while let Some((_, e)) = ev.next_if(|(at, _)| *at <= i) {
            lines.push(e);
        }
        lines.push(request(n, w.next_request()));
        n += 1;
    }
    lines.extend(ev.map(|(_, e)| e));
    for l in lines {
        writeln!(out, "{l}").map_err(Error::Output)?;
    }
    out.flush().map_err(Error::Output)
}
