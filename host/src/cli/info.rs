//! `tidekv info`: what the device is.

use super::{print, Global};

pub fn run(g: &Global) -> tidekv_host::Result<()> {
    let mut d = g.open()?;
    let v = d.info_json()?;
    let i = &d.info;
    print(
        g,
        || {
            format!(
                "device {}\nprotocol {}, build {:08x}, config hash {:08x}\n{}\nT = {} clocks per round, answers at +{} rounds; clock {} Hz, {} baud; in round {}",
                d.core.link.describe(),
                i.protocol,
                i.link.build_id,
                i.config_hash,
                i.build.summary(),
                i.clocks_per_round,
                i.latency,
                i.link.clock_hz,
                i.link.baud,
                v["round"]
            )
        },
        || v.clone(),
    );
    Ok(())
}
