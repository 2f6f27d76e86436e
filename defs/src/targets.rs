//! The one list of targets (`targets.toml` at the repository's root): every
//! configuration tidekv ships, the checks each gets and the boards it is
//! built for. Compiled in, so every tool knows the presets by name; the
//! Makefile and the scripts read the same file (`scripts/targets.py`).

use crate::config::{Config, ConfigError};
use std::sync::OnceLock;

/// The file, as compiled in.
pub const TARGETS_TOML: &str = include_str!("../../targets.toml");

/// Where the list lives, for messages.
pub const TARGETS_PATH: &str = "targets.toml";

/// A check a target gets (the file's header says which make target runs it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Check {
    Model,
    Differential,
    RtlLint,
    DeviceLean,
    RtlCheck,
    Soak,
}

impl Check {
    pub const ALL: [Check; 6] = [
        Check::Model,
        Check::Differential,
        Check::RtlLint,
        Check::DeviceLean,
        Check::RtlCheck,
        Check::Soak,
    ];
    pub fn name(self) -> &'static str {
        match self {
            Check::Model => "model",
            Check::Differential => "differential",
            Check::RtlLint => "rtl-lint",
            Check::DeviceLean => "device-lean",
            Check::RtlCheck => "rtl-check",
            Check::Soak => "soak",
        }
    }
}

/// One configuration and how far it is taken.
#[derive(Debug, Clone)]
pub struct Target {
    pub name: String,
    pub checks: Vec<Check>,
    pub boards: Vec<String>,
    /// Its configuration as a configuration file's text.
    pub text: String,
}

impl Target {
    pub fn has(&self, c: Check) -> bool {
        self.checks.contains(&c)
    }
    pub fn config(&self) -> Result<Config, ConfigError> {
        Config::parse(&self.text, &format!("{TARGETS_PATH}: {}", self.name))
    }
}

/// Parse and check a list of targets: names unique, checks known, every
/// configuration valid. `src` names the text in errors.
pub fn parse(text: &str, src: &str) -> Result<Vec<Target>, ConfigError> {
    let bad = |field: &str, why: String| ConfigError::new(src, field, why);
    let mut doc: toml::Table =
        toml::from_str(text).map_err(|e| bad("(file)", e.to_string().trim_end().to_string()))?;
    let list = match doc.remove("target") {
        Some(toml::Value::Array(a)) => a,
        _ => {
            return Err(bad(
                "target",
                "give each target as a [[target]] table".into(),
            ))
        }
    };
    if let Some(k) = doc.keys().next() {
        return Err(bad(k, "unknown field (only [[target]] tables)".into()));
    }
    let mut out: Vec<Target> = vec![];
    for (i, t) in list.into_iter().enumerate() {
        let toml::Value::Table(mut t) = t else {
            return Err(bad(&format!("target {}", i + 1), "not a table".into()));
        };
        let Some(toml::Value::String(name)) = t.get("name").cloned() else {
            return Err(bad(&format!("target {}", i + 1), "needs a name".into()));
        };
        let at = |f: &str| format!("target {name}: {f}");
        let strings = |t: &mut toml::Table, f: &str| -> Result<Vec<String>, ConfigError> {
            match t.remove(f) {
                None => Ok(vec![]),
                Some(toml::Value::Array(a)) => a
                    .into_iter()
                    .map(|v| match v {
                        toml::Value::String(s) => Ok(s),
                        v => Err(bad(&at(f), format!("{v} is not a string"))),
                    })
                    .collect(),
                Some(v) => Err(bad(&at(f), format!("{v}: give a list of strings"))),
            }
        };
        let checks = strings(&mut t, "checks")?
            .into_iter()
            .map(|c| {
                Check::ALL
                    .into_iter()
                    .find(|k| k.name() == c)
                    .ok_or_else(|| {
                        let names: Vec<&str> = Check::ALL.iter().map(|k| k.name()).collect();
                        bad(
                            &at("checks"),
                            format!("{c:?}: the checks are {}", names.join(", ")),
                        )
                    })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let boards = strings(&mut t, "boards")?;
        if out.iter().any(|o| o.name == name) {
            return Err(bad(&at("name"), "named twice".into()));
        }
        let target = Target {
            name: name.clone(),
            checks,
            boards,
            text: toml::to_string(&t).expect("a table serializes"),
        };
        Config::parse(&target.text, &format!("{src}: target {name}"))?;
        out.push(target);
    }
    Ok(out)
}

/// The compiled-in targets.
///
/// # Panics
/// If `targets.toml` is invalid (a test checks it is not).
pub fn targets() -> &'static [Target] {
    static T: OnceLock<Vec<Target>> = OnceLock::new();
    T.get_or_init(|| parse(TARGETS_TOML, TARGETS_PATH).unwrap_or_else(|e| panic!("{e}")))
}

/// The targets that get check `c`, in the file's order.
pub fn with_check(c: Check) -> impl Iterator<Item = &'static Target> {
    targets().iter().filter(move |t| t.has(c))
}

/// Every target as a preset: (name, configuration text).
pub fn presets() -> &'static [(&'static str, &'static str)] {
    static P: OnceLock<Vec<(&'static str, &'static str)>> = OnceLock::new();
    P.get_or_init(|| {
        targets()
            .iter()
            .map(|t| (t.name.as_str(), t.text.as_str()))
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_list_parses_and_names_its_configurations() {
        let t = targets();
        assert!(t.len() >= 5);
        for t in t {
            let cfg = t.config().unwrap();
            assert_eq!(cfg.name, t.name, "the configuration's name is the target's");
            assert!(!t.checks.is_empty(), "{}: no checks", t.name);
        }
        let diff: Vec<&str> = with_check(Check::Differential)
            .map(|t| t.name.as_str())
            .collect();
        assert_eq!(
            diff,
            [
                "single-c10",
                "sharded-c10-s4",
                "replicated-c10-s2-r3",
                "hier-c10-h2-s4"
            ]
        );
        assert!(with_check(Check::DeviceLean).any(|t| t.name == "icebreaker-c4"));
    }

    #[test]
    fn bad_lists_say_where() {
        let one = "[[target]]\nname = \"a\"\nchecks = [\"model\"]\n[target.build]\nclients = 2\nfe_levels = 0\nshards = 1\nreplicas = 1\ncapacity = 64\nbuckets = 1\n";
        assert_eq!(parse(one, "t.toml").unwrap()[0].name, "a");
        for (text, want) in [
            (
                one.replace("\"model\"", "\"modle\""),
                "\"modle\": the checks are model",
            ),
            (format!("{one}{one}"), "named twice"),
            (
                one.replace("clients = 2", "clients = 0"),
                "target a: build.clients",
            ),
            (format!("x = 1\n{one}"), "x: unknown field"),
            (one.replace("name = \"a\"\n", ""), "needs a name"),
        ] {
            let e = parse(&text, "t.toml").expect_err(want).to_string();
            assert!(e.contains("t.toml") && e.contains(want), "{want}: {e}");
        }
    }
}
