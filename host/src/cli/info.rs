//! `tidekv info`: what the device is.

use super::{print, Global};
use serde_json::json;
use tidekv_defs::link::INFO_FIELDS;

pub fn run(g: &Global) -> tidekv_host::Result<()> {
    let mut d = g.open()?;
    let round = d.round()?;
    let i = &d.info;
    let words = i.words();
    print(
        g,
        || {
            format!(
                "device {}\nprotocol {}, build {:08x}, config hash {:08x}\n{}\nT = {} clocks per round, answers at +{} rounds; clock {} Hz, {} baud; in round {round}",
                d.core.link.describe(),
                i.protocol,
                i.link.build_id,
                i.config_hash,
                i.build.summary(),
                i.clocks_per_round,
                i.latency,
                i.link.clock_hz,
                i.link.baud
            )
        },
        || {
            let mut o = serde_json::Map::new();
            o.insert("device".into(), json!(d.core.link.describe()));
            for (name, w) in INFO_FIELDS.iter().zip(&words) {
                o.insert((*name).into(), json!(w));
            }
            o.insert("round".into(), json!(round));
            serde_json::Value::Object(o)
        },
    );
    Ok(())
}
