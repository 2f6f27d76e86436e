//! `tidekv fail|recover`: crash-stop a replica node, or bring it back.

use super::{print, Global};
use serde_json::json;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The shard.
    #[arg(long, default_value_t = 0)]
    pub shard: u32,
    /// The replica within the shard.
    #[arg(long)]
    pub replica: u32,
}

pub fn run(a: Args, failed: bool, g: &Global) -> tidekv_host::Result<()> {
    let mut d = g.open()?;
    d.set_failed(a.shard, a.replica, failed)?;
    let round = d.round()?;
    let what = if failed { "failed" } else { "recovered" };
    print(g, || format!("node {}/{} {what} before round {round}", a.shard, a.replica), || json!({"shard": a.shard, "replica": a.replica, "state": what, "round": round}));
    Ok(())
}
