//! `tidekv table`: a replica's table as the device holds it (read slot by
//! slot with `ReadSlot`, the device between rounds), or with `--all` every
//! replica's entry count and digest and whether each shard's live replicas
//! agree: convergence checked on the hardware.

use super::{print, Global};
use tidekv_host::client::table_digest;
use tidekv_host::Error;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The shard.
    #[arg(long, default_value_t = 0)]
    pub shard: u32,
    /// The replica within the shard.
    #[arg(long, default_value_t = 0)]
    pub replica: u32,
    /// Every replica of every shard: entries and digest per node; fails
    /// (exit 8) if two replicas of a shard that are both up differ.
    #[arg(long)]
    pub all: bool,
}

pub fn run(a: Args, g: &Global) -> tidekv_host::Result<()> {
    let mut d = g.open()?;
    if !a.all {
        let t = d.table(a.shard, a.replica)?;
        let digest = table_digest(&t);
        print(
            g,
            || {
                let mut s: String = t
                    .iter()
                    .map(|(k, v, slot)| format!("key {k} value {v} slot {slot}\n"))
                    .collect();
                s += &format!(
                    "node {}/{}: {} entries, digest {digest:#018x}",
                    a.shard,
                    a.replica,
                    t.len()
                );
                s
            },
            || {
                serde_json::json!({
                    "shard": a.shard, "replica": a.replica, "entries": t.len(),
                    "digest": format!("{digest:#018x}"),
                    "table": t.iter().map(|(k, v, s)| serde_json::json!({"key": k, "value": v, "slot": s})).collect::<Vec<_>>(),
                })
            },
        );
        return Ok(());
    }
    let b = d.build().clone();
    let mut nodes = vec![];
    let mut split = vec![];
    for shard in 0..b.shards {
        let mut seen: Vec<(u32, u64)> = vec![];
        for replica in 0..b.replicas {
            let t = d.table(shard, replica)?;
            let up = d.is_up(shard, replica)?;
            let digest = table_digest(&t);
            if up {
                if let Some(&(r0, d0)) = seen.first() {
                    if d0 != digest {
                        split.push(format!(
                            "shard {shard}: replicas {r0} and {replica} are up and differ"
                        ));
                    }
                }
                seen.push((replica, digest));
            }
            nodes.push(serde_json::json!({
                "shard": shard, "replica": replica, "up": up, "entries": t.len(),
                "digest": format!("{digest:#018x}"),
            }));
        }
    }
    print(
        g,
        || {
            let mut s: String = nodes
                .iter()
                .map(|n| {
                    format!(
                        "node {}/{} ({}): {} entries, digest {}\n",
                        n["shard"],
                        n["replica"],
                        if n["up"].as_bool() == Some(true) {
                            "up"
                        } else {
                            "down"
                        },
                        n["entries"],
                        n["digest"].as_str().unwrap_or_default()
                    )
                })
                .collect();
            s += if split.is_empty() {
                "the live replicas of every shard hold identical tables"
            } else {
                "live replicas differ"
            };
            s
        },
        || serde_json::json!({ "nodes": nodes, "converged": split.is_empty(), "differ": split }),
    );
    if split.is_empty() {
        Ok(())
    } else {
        Err(Error::Device(split.join("; ")))
    }
}
