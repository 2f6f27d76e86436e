//! `tidekv stats`: the core's counters and the link's.

use super::{print, Global};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Clear the link counters after reading them.
    #[arg(long)]
    pub clear: bool,
}

pub fn run(a: Args, g: &Global) -> tidekv_host::Result<()> {
    let mut d = g.open()?;
    let v = d.stats_json(a.clear)?;
    print(
        g,
        || {
            let line = |part: &str| {
                v[part]
                    .as_object()
                    .map(|o| {
                        o.iter()
                            .map(|(n, x)| format!("{n} {x}"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    })
                    .unwrap_or_default()
            };
            format!("core: {}\nlink: {}", line("core"), line("link"))
        },
        || v.clone(),
    );
    Ok(())
}
