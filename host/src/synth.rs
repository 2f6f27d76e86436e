//! `tidekv explore --synth`: area and Fmax of a point's build from the real
//! board flow (`scripts/board.sh bitstream BOARD CONFIG`: the RTL generated
//! for the build, yosys, nextpnr at the board's clock, the manifest of
//! `scripts/manifest.py`), cached by configuration.
//!
//! Only the `[build]` table decides the RTL (schedules, workloads and
//! service rates do not: the RTL has SPEC's FE), so each distinct build is
//! built once per board. The cache key is a CRC-64 of the build's text, the
//! board, and every source the flow reads (the generator, `defs`, presets,
//! the scripts, the board's files, Cargo.lock): a rerun with the same
//! sources costs nothing, any change to them rebuilds. A build that fails
//! (it does not fit, or misses a tool) is cached with its reason too; one
//! that times out is not.

use crate::{Error, Result};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// What the board flow gave for one build on one board.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Synth {
    pub board: String,
    /// The cache key (CRC-64, hex).
    pub key: String,
    pub lut: Option<u64>,
    pub ff: Option<u64>,
    pub bram: Option<u64>,
    pub fmax_mhz: Option<f64>,
    pub target_mhz: Option<f64>,
    pub timing_met: bool,
    /// clients x Fmax / T: the hardware's requests per second at Fmax.
    pub requests_per_s: Option<f64>,
    /// Why there are no figures (did not fit, a tool failed), if so.
    pub error: Option<String>,
}

/// Runs and caches board builds.
#[derive(Debug, Clone)]
pub struct Synthesizer {
    root: PathBuf,
    cache: PathBuf,
    script: PathBuf,
    timeout: Duration,
    /// Per board, the CRC of every source the flow reads.
    stamps: Vec<(String, u64)>,
}

const CRC: crc::Crc<u64> = crc::Crc::<u64>::new(&crc::CRC_64_ECMA_182);

/// Files under `dir` (recursively), sorted.
fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            files(&p, out);
        } else {
            out.push(p);
        }
    }
}

impl Synthesizer {
    /// For `boards` (names of `constraints/*.board`) in the repository at
    /// `root`, caching under `cache`; `script` runs a build (default
    /// `scripts/board.sh`; the tests give a stand-in); `timeout` bounds each.
    pub fn new(
        root: &Path,
        boards: &[String],
        cache: &Path,
        script: Option<&Path>,
        timeout: Duration,
    ) -> Result<Self> {
        let mut stamps = vec![];
        for b in boards {
            let f = root.join("constraints").join(format!("{b}.board"));
            if !f.is_file() {
                return Err(Error::Usage(format!(
                    "--synth-board {b}: no {} (boards: the constraints/*.board files)",
                    f.display()
                )));
            }
            let mut paths = vec![];
            for d in ["rtl/src", "defs/src", "presets"] {
                files(&root.join(d), &mut paths);
            }
            for f in [
                "rtl/Cargo.toml",
                "rtl/lint.vlt",
                "defs/Cargo.toml",
                "Cargo.lock",
                "scripts/board.sh",
                "scripts/rtl.sh",
                "scripts/manifest.py",
            ] {
                paths.push(root.join(f));
            }
            files(&root.join("constraints"), &mut paths);
            paths.retain(|p| {
                !p.starts_with(root.join("constraints"))
                    || p.file_stem().is_some_and(|s| s.to_string_lossy() == *b)
            });
            paths.sort();
            let mut d = CRC.digest();
            for p in &paths {
                d.update(
                    p.strip_prefix(root)
                        .unwrap_or(p)
                        .to_string_lossy()
                        .as_bytes(),
                );
                d.update(&std::fs::read(p).unwrap_or_default());
            }
            stamps.push((b.clone(), d.finalize()));
        }
        let script = script.map_or_else(|| root.join("scripts/board.sh"), Path::to_path_buf);
        if !script.is_file() {
            return Err(Error::Usage(format!(
                "--synth: no flow script {} (run tidekv from the repository's root)",
                script.display()
            )));
        }
        std::fs::create_dir_all(cache).map_err(|e| {
            Error::Output(std::io::Error::new(
                e.kind(),
                format!("{}: {e}", cache.display()),
            ))
        })?;
        Ok(Synthesizer {
            root: root.to_path_buf(),
            cache: cache.to_path_buf(),
            script,
            timeout,
            stamps,
        })
    }

    pub fn boards(&self) -> impl Iterator<Item = &str> {
        self.stamps.iter().map(|(b, _)| b.as_str())
    }

    /// The cache key of `build` (a configuration's `[build]` table as text)
    /// on `board`.
    pub fn key(&self, build: &str, board: &str) -> String {
        let stamp = self
            .stamps
            .iter()
            .find(|(b, _)| b == board)
            .map_or(0, |s| s.1);
        let mut d = CRC.digest();
        d.update(&stamp.to_le_bytes());
        d.update(board.as_bytes());
        d.update(build.as_bytes());
        format!("{:016x}", d.finalize())
    }

    fn cached_path(&self, board: &str, key: &str) -> PathBuf {
        self.cache.join(format!("{board}-{key}.json"))
    }

    /// The cached figures, if this build was made with these sources.
    pub fn cached(&self, build: &str, board: &str) -> Option<Synth> {
        let key = self.key(build, board);
        let text = std::fs::read_to_string(self.cached_path(board, &key)).ok()?;
        serde_json::from_str(&text).ok()
    }

    /// The figures of `build` on `board`: from the cache, or by running the
    /// flow (minutes to an hour) and caching them.
    pub fn run(&self, build: &str, board: &str) -> Result<Synth> {
        if let Some(s) = self.cached(build, board) {
            return Ok(s);
        }
        let key = self.key(build, board);
        let name = format!("x{key}");
        let cfg = self.cache.join(format!("{name}.toml"));
        let io = |p: &Path, e: std::io::Error| {
            Error::Output(std::io::Error::new(
                e.kind(),
                format!("{}: {e}", p.display()),
            ))
        };
        std::fs::write(&cfg, format!("name = {name:?}\n{build}")).map_err(|e| io(&cfg, e))?;
        let log = self.cache.join(format!("{board}-{key}.log"));
        let logf = std::fs::File::create(&log).map_err(|e| io(&log, e))?;
        let status = Command::new("timeout")
            .arg(self.timeout.as_secs().to_string())
            .arg(&self.script)
            .args(["bitstream", board])
            .arg(&cfg)
            .current_dir(&self.root)
            .env(
                "TIDEKV_BUILD_ID",
                (u64::from_str_radix(&key[8..], 16).unwrap_or(0)).to_string(),
            )
            .stdout(logf.try_clone().map_err(|e| io(&log, e))?)
            .stderr(logf)
            .status()
            .map_err(|e| io(&self.script, e))?;
        if status.code() == Some(124) {
            return Err(Error::Usage(format!(
                "--synth: {board} build of {name} took over {} s; killed, not cached (log {})",
                self.timeout.as_secs(),
                log.display()
            )));
        }
        let mut s = Synth {
            board: board.to_string(),
            key: key.clone(),
            lut: None,
            ff: None,
            bram: None,
            fmax_mhz: None,
            target_mhz: None,
            timing_met: false,
            requests_per_s: None,
            error: None,
        };
        let manifest = self
            .root
            .join("bitstreams")
            .join(format!("{board}-{name}.json"));
        if status.success() {
            let m: serde_json::Value = std::fs::read_to_string(&manifest)
                .ok()
                .and_then(|t| serde_json::from_str(&t).ok())
                .ok_or_else(|| {
                    Error::Usage(format!(
                        "--synth: {} has no manifest {} (log {})",
                        board,
                        manifest.display(),
                        log.display()
                    ))
                })?;
            s.lut = m["lut"].as_u64();
            s.ff = m["ff"].as_u64();
            s.bram = m["bram"].as_u64();
            s.fmax_mhz = m["fmax_mhz"].as_f64();
            s.target_mhz = m["target_mhz"].as_f64();
            s.timing_met = m["timing_met"].as_bool().unwrap_or(false);
            s.requests_per_s = m["requests_per_s"].as_f64();
        } else {
            let text = std::fs::read_to_string(&log).unwrap_or_default();
            let last: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
            s.error = Some(format!(
                "the flow failed ({}): {}",
                status,
                last[last.len().saturating_sub(3)..].join(" / ")
            ));
        }
        let out = self.cached_path(board, &key);
        std::fs::write(&out, serde_json::to_string_pretty(&s).expect("serializes"))
            .map_err(|e| io(&out, e))?;
        Ok(s)
    }
}
