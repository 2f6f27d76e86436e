//! `tidekv fail|recover`: crash-stop a replica node, or bring it back.

use super::{print, Global};

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
    let v = d.set_failed_json(a.shard, a.replica, failed)?;
    print(
        g,
        || {
            format!(
                "node {}/{} {} before round {}",
                a.shard,
                a.replica,
                v["state"].as_str().unwrap_or_default(),
                v["round"]
            )
        },
        || v.clone(),
    );
    Ok(())
}
