//! `tidekv explore --synth`: area and Fmax of a point's build from the real
//! board flow (`scripts/board.sh bitstream BOARD CONFIG`: the RTL generated
//! for the build, yosys, nextpnr at the board's clock, the manifest of
//! `scripts/manifest.py`), cached by what it builds.
//!
//! Only the `[build]` table decides the RTL (schedules, workloads and
//! service rates do not: the RTL has SPEC's FE), so each distinct build is
//! built once per board, in `build/boards/BOARD-xNAME` with NAME a CRC-32 of
//! the build's text (also its build id). Its Verilog is generated first
//! (`board.sh verilog`: seconds when `scripts/rtl.sh`'s own cache has it);
//! the cache key is a CRC-64 of that Verilog (device top, PLL, board top,
//! clock) and of the rest of the flow (the board's constraint files,
//! `board.sh`, `manifest.py`). So a rerun costs nothing, a change anywhere
//! that leaves the Verilog as it was costs only the generation, and a change
//! to what is built rebuilds. A build that fails (it does not fit, a tool
//! is missing) is cached with its reason too, and with yosys' cell counts
//! and the resources nextpnr ran out of when the logs show them
//! (`scripts/manifest.py --failed-row`); one that times out is not.

use crate::{Error, Result};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus};
use std::time::Duration;

/// What the board flow gave for one build on one board.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Synth {
    pub board: String,
    /// The cache key (CRC-64 of the Verilog and the flow, hex).
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
    boards: Vec<String>,
}

const CRC: crc::Crc<u64> = crc::Crc::<u64>::new(&crc::CRC_64_ECMA_182);
const CRC32: crc::Crc<u32> = crc::Crc::<u32>::new(&crc::CRC_32_ISO_HDLC);

fn io(p: &Path, e: std::io::Error) -> Error {
    Error::Output(std::io::Error::new(
        e.kind(),
        format!("{}: {e}", p.display()),
    ))
}

impl Synthesizer {
    /// For `boards` (names of `constraints/*.toml`, checked) in the repository at
    /// `root`, caching under `cache`; `script` runs a build stage (default
    /// `scripts/board.sh`; the tests give a stand-in); `timeout` bounds each.
    pub fn new(
        root: &Path,
        boards: &[String],
        cache: &Path,
        script: Option<&Path>,
        timeout: Duration,
    ) -> Result<Self> {
        for b in boards {
            tidekv_defs::board::Board::load(root, b)
                .map_err(|e| Error::Usage(format!("--synth-board {b}: {e}")))?;
        }
        let script = script.map_or_else(|| root.join("scripts/board.sh"), Path::to_path_buf);
        if !script.is_file() {
            return Err(Error::Usage(format!(
                "--synth: no flow script {} (run tidekv from the repository's root)",
                script.display()
            )));
        }
        std::fs::create_dir_all(cache).map_err(|e| io(cache, e))?;
        Ok(Synthesizer {
            root: root.to_path_buf(),
            cache: cache.to_path_buf(),
            script,
            timeout,
            boards: boards.to_vec(),
        })
    }

    pub fn boards(&self) -> impl Iterator<Item = &str> {
        self.boards.iter().map(String::as_str)
    }

    /// The build's name: `x` and a CRC-32 of its text.
    pub fn name(build: &str) -> String {
        format!("x{:08x}", CRC32.checksum(build.as_bytes()))
    }

    /// The cache key of a generated build tree: its Verilog and the rest of
    /// the flow's inputs.
    fn key(&self, board: &str, tree: &Path) -> String {
        let mut inputs: Vec<PathBuf> = ["tidekv_device.v", "pll.v", "board_top.v", "clock_hz"]
            .iter()
            .map(|f| tree.join(f))
            .collect();
        inputs.extend(["scripts/board.sh", "scripts/manifest.py"].map(|f| self.root.join(f)));
        if let Ok(rd) = std::fs::read_dir(self.root.join("constraints")) {
            let mut own: Vec<PathBuf> = rd
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.file_stem().is_some_and(|s| s.to_string_lossy() == board))
                .collect();
            own.sort();
            inputs.extend(own);
        }
        let mut d = CRC.digest();
        for p in &inputs {
            d.update(p.file_name().map_or(&[][..], |n| n.as_encoded_bytes()));
            d.update(&std::fs::read(p).unwrap_or_default());
        }
        format!("{:016x}", d.finalize())
    }

    fn cached_path(&self, board: &str, key: &str) -> PathBuf {
        self.cache.join(format!("{board}-{key}.json"))
    }

    /// Run one stage of the flow for the build `name` (its configuration
    /// `cfg`) on `board`, appending to `log`.
    fn stage(
        &self,
        stage: &str,
        board: &str,
        name: &str,
        cfg: &Path,
        log: &Path,
    ) -> Result<ExitStatus> {
        let logf = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .map_err(|e| io(log, e))?;
        Command::new("timeout")
            .arg(self.timeout.as_secs().to_string())
            .arg(&self.script)
            .args([stage, board])
            .arg(cfg)
            .current_dir(&self.root)
            .env(
                "TIDEKV_BUILD_ID",
                u32::from_str_radix(&name[1..], 16).unwrap_or(0).to_string(),
            )
            .stdout(logf.try_clone().map_err(|e| io(log, e))?)
            .stderr(logf)
            .status()
            .map_err(|e| io(&self.script, e))
    }

    /// A failed build's row from `scripts/manifest.py --failed-row`: the
    /// synthesis cell counts if yosys finished, and nextpnr's reason. None
    /// when there is no such row (no Python, no logs).
    fn failed_row(&self, board: &str, name: &str) -> Option<serde_json::Value> {
        let o = Command::new("python3")
            .arg(self.root.join("scripts/manifest.py"))
            .arg("--failed-row")
            .arg(format!("{board}-{name}"))
            .current_dir(&self.root)
            .output()
            .ok()?;
        o.status
            .success()
            .then(|| serde_json::from_slice(&o.stdout).ok())
            .flatten()
    }

    /// The figures of `build` (a configuration's `[build]` table as text)
    /// on `board`: its Verilog generated, then from the cache, or by running
    /// the flow (minutes to an hour) and caching them.
    pub fn run(&self, build: &str, board: &str) -> Result<Synth> {
        let name = Synthesizer::name(build);
        let cfg = self.cache.join(format!("{name}.toml"));
        std::fs::write(&cfg, format!("name = {name:?}\n{build}")).map_err(|e| io(&cfg, e))?;
        let log = self.cache.join(format!("{board}-{name}.log"));
        let _ = std::fs::remove_file(&log);
        let status = self.stage("verilog", board, &name, &cfg, &log)?;
        if !status.success() {
            return Err(Error::Usage(format!(
                "--synth: generating {board}'s Verilog of {name} failed ({status}; log {})",
                log.display()
            )));
        }
        let tree = self
            .root
            .join("build/boards")
            .join(format!("{board}-{name}"));
        let key = self.key(board, &tree);
        if let Some(s) = std::fs::read_to_string(self.cached_path(board, &key))
            .ok()
            .and_then(|t| serde_json::from_str::<Synth>(&t).ok())
        {
            return Ok(s);
        }
        let status = self.stage("bitstream", board, &name, &cfg, &log)?;
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
            // What the build's logs still show: yosys' cell counts, and
            // which of the device's resources nextpnr found too few of.
            if let Some(row) = self.failed_row(board, &name) {
                s.lut = row["lut"].as_u64();
                s.ff = row["ff"].as_u64();
                s.bram = row["bram"].as_u64();
                if let Some(over) = row["over"].as_array() {
                    let over: Vec<&str> = over.iter().filter_map(|o| o.as_str()).collect();
                    s.error = s
                        .error
                        .map(|e| format!("{e}; over the device: {}", over.join(", ")));
                }
            }
        }
        let out = self.cached_path(board, &key);
        std::fs::write(&out, serde_json::to_string_pretty(&s).expect("serializes"))
            .map_err(|e| io(&out, e))?;
        Ok(s)
    }
}
