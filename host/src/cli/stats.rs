//! `tidekv stats`: the core's counters and the link's.

use super::{print, Global};
use serde_json::json;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Clear the link counters after reading them.
    #[arg(long)]
    pub clear: bool,
}

pub fn run(a: Args, g: &Global) -> tidekv_host::Result<()> {
    let mut d = g.open()?;
    let core = d.counters()?;
    let link = d.link_counters(a.clear)?;
    print(
        g,
        || {
            let c: Vec<String> = core.iter().map(|(n, v)| format!("{n} {v}")).collect();
            let l: Vec<String> = link.iter().map(|(n, v)| format!("{n} {v}")).collect();
            format!("core: {}\nlink: {}", c.join(", "), l.join(", "))
        },
        || {
            let c: serde_json::Map<_, _> = core.iter().map(|(n, v)| ((*n).to_string(), json!(v))).collect();
            let l: serde_json::Map<_, _> = link.iter().map(|(n, v)| ((*n).to_string(), json!(v))).collect();
            json!({"core": c, "link": l})
        },
    );
    Ok(())
}
