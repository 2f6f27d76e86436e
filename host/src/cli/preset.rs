//! `tidekv preset [NAME]`: the shipped configurations (the targets of
//! targets.toml): without NAME, one line each; with it, its configuration
//! file's text, to start a configuration of one's own from.

use super::{print, Global};
use tidekv_defs::targets::targets;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// A preset's name: print its configuration as a file's text.
    pub name: Option<String>,
}

pub fn run(a: Args, g: &Global) -> tidekv_host::Result<()> {
    match a.name {
        None => print(
            g,
            || {
                targets()
                    .iter()
                    .map(|t| {
                        let b = t.config().map(|c| c.build.summary()).unwrap_or_default();
                        format!("{}: {b}", t.name)
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            },
            || {
                serde_json::json!(targets()
                    .iter()
                    .map(|t| serde_json::json!({
                        "name": t.name,
                        "checks": t.checks.iter().map(|c| c.name()).collect::<Vec<_>>(),
                        "boards": t.boards,
                    }))
                    .collect::<Vec<_>>())
            },
        ),
        Some(name) => {
            let text = tidekv_defs::config::preset_text(&name)?;
            print(
                g,
                || text.trim_end().to_string(),
                || serde_json::json!({ "name": name, "toml": text }),
            );
        }
    }
    Ok(())
}
