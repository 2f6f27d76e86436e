//! Verilator co-simulation of the generated core (docs/DESIGN.md,
//! "Verilator co-simulation"). Any configuration works: `build` generates
//! its Verilog (`scripts/rtl.sh verilog`), verilates it with the C ABI shim
//! `cosim/verilator/shim.cpp` into a shared library, and caches that under
//! `build/verilator/<name>-<key>/`, keyed by the Verilog, the shim and the
//! Verilator version; `VCore::open` loads it.

use std::ffi::{c_char, c_void, CString};
use std::path::{Path, PathBuf};
use std::process::Command;
use tidekv_defs::gen::DIGEST_CRC;
use tidekv_defs::regs::{Cmd, CmdStatus};
use tidekv_defs::{Config, Request, Response, Status};

#[derive(Debug, thiserror::Error)]
pub enum VerilatorError {
    #[error("{step} failed: {detail}")]
    Tool { step: String, detail: String },
    #[error("cannot load {path}: {detail}")]
    Load { path: String, detail: String },
    #[error("the core did not answer command {cmd} within {limit} clocks")]
    Timeout { cmd: String, limit: u64 },
    #[error("the core was not at a round boundary")]
    NotAtBoundary,
    #[error("the core did not come out of reset")]
    Reset,
    #[error("command {cmd} answered an unknown status code {code}")]
    BadStatus { cmd: String, code: i32 },
    #[error(transparent)]
    Refusal(#[from] tidekv_driver::drive::Refusal),
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .to_path_buf()
}

fn run(step: &str, cmd: &mut Command) -> Result<String, VerilatorError> {
    let out = cmd.output().map_err(|e| VerilatorError::Tool {
        step: step.into(),
        detail: format!("cannot start: {e}"),
    })?;
    if !out.status.success() {
        let mut detail = String::from_utf8_lossy(&out.stderr).into_owned();
        detail.push_str(&String::from_utf8_lossy(&out.stdout));
        let tail: Vec<&str> = detail.lines().rev().take(30).collect();
        return Err(VerilatorError::Tool {
            step: step.into(),
            detail: tail.into_iter().rev().collect::<Vec<_>>().join("\n"),
        });
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The shared library of the core for `spec` (a preset name or a .toml
/// file), built if it is not cached. Returns its path and the configuration.
/// `traced` builds it with waveform support (`VCore::open` with a VCD
/// path); that doubles the C++ compile, so the testbench builds without.
pub fn build(spec: &str, traced: bool) -> Result<(PathBuf, Config), VerilatorError> {
    build_top(spec, Top::Core, traced)
}

/// Which generated top a library wraps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Top {
    /// `tidekv_core` with `cosim/verilator/shim.cpp` (`VCore`).
    Core,
    /// `tidekv_device` (the core behind the framed UART link) with
    /// `verilator/device_shim.cpp` (`VDevice`).
    Device,
    /// `tidekv_mmio` (the device behind the PCIe mailbox's Wishbone port)
    /// with `verilator/mmio_shim.cpp` (`crate::mmio::VMmio`).
    Mmio,
}

impl Top {
    fn module(self) -> &'static str {
        match self {
            Top::Core => "tidekv_core",
            Top::Device => "tidekv_device",
            Top::Mmio => "tidekv_mmio",
        }
    }
    fn shim(self) -> &'static str {
        match self {
            Top::Core => "cosim/verilator/shim.cpp",
            Top::Device => "cosim/verilator/device_shim.cpp",
            Top::Mmio => "cosim/verilator/mmio_shim.cpp",
        }
    }
}

/// The Verilator that builds the models (`VERILATOR`, else `verilator` on
/// the path): its `--version` line.
pub fn version() -> Result<String, VerilatorError> {
    let verilator = std::env::var("VERILATOR").unwrap_or_else(|_| "verilator".into());
    Ok(run(
        "verilator --version",
        Command::new(verilator).arg("--version"),
    )?
    .trim()
    .to_string())
}

/// `build` for either top.
pub fn build_top(spec: &str, top: Top, traced: bool) -> Result<(PathBuf, Config), VerilatorError> {
    let module = top.module();
    let cfg = Config::from_spec(spec).map_err(|e| VerilatorError::Tool {
        step: "configuration".into(),
        detail: e.to_string(),
    })?;
    let root = root();
    let verilator = std::env::var("VERILATOR").unwrap_or_else(|_| "verilator".into());
    // Several processes may build the same model at once (tests that start
    // `tidekv sim` servers beside in-process devices): each generates,
    // verilates and links in places of its own, named by its process id,
    // and installs the library with an atomic rename; the last one wins and
    // every one of them loads a whole library.
    let pid = std::process::id();
    let gen_dir = root
        .join("build/verilator/src")
        .join(format!("{}.{pid}", cfg.name));
    let _gen_dir_goes = RemoveOnDrop(gen_dir.clone());
    run(
        "scripts/rtl.sh verilog",
        Command::new(root.join("scripts/rtl.sh"))
            .arg("verilog")
            .arg(spec)
            .arg(&gen_dir)
            .current_dir(&root),
    )?;
    let verilog =
        std::fs::read(gen_dir.join(format!("{module}.v"))).map_err(|e| VerilatorError::Tool {
            step: "read Verilog".into(),
            detail: e.to_string(),
        })?;
    let shim = root.join(top.shim());
    let read_shim = |p: &Path| {
        std::fs::read(p).map_err(|e| VerilatorError::Tool {
            step: "read shim".into(),
            detail: format!("{}: {e}", p.display()),
        })
    };
    let shim_text = read_shim(&shim)?;
    // The shims' shared part, included from beside them.
    let common_text = read_shim(&root.join(SHIM_COMMON))?;
    // (The Verilator configuration file is on the command line: its
    // directives change the model.)
    let vlt_text = read_shim(&root.join("rtl/lint.vlt"))?;
    let version = run(
        "verilator --version",
        Command::new(&verilator).arg("--version"),
    )?;
    let mut d = DIGEST_CRC.digest();
    d.update(&verilog);
    d.update(&shim_text);
    d.update(&common_text);
    d.update(&vlt_text);
    d.update(version.as_bytes());
    d.update(CFLAGS.as_bytes());
    let flavour = format!(
        "{}{}",
        match top {
            Top::Core => "",
            Top::Device => "-dev",
            Top::Mmio => "-mmio",
        },
        if traced { "-vcd" } else { "" }
    );
    let dir =
        root.join("build/verilator")
            .join(format!("{}{flavour}-{:08x}", cfg.name, d.finalize()));
    let so = dir.join(format!("lib{module}.so"));
    if so.exists() {
        return Ok((so, cfg));
    }
    let obj = dir.join(format!("obj.{pid}"));
    let _obj_goes = RemoveOnDrop(obj.clone());
    std::fs::create_dir_all(&obj).map_err(|e| VerilatorError::Tool {
        step: "mkdir".into(),
        detail: e.to_string(),
    })?;
    let b = &cfg.build;
    let cpb = read_build_json(&gen_dir, "clocks_per_bit")?;
    let hz = read_build_json(&gen_dir, "clock_hz")?;
    let defs = format!(
        "-DTK_C={} -DTK_T={} -DTK_LAT={} -DTK_CPB={cpb} -DTK_CLOCK_HZ={hz}",
        b.clients,
        b.clocks_per_round(),
        b.latency()
    );
    let mut v = Command::new(&verilator);
    // Split the big evaluation functions: one C++ function per combinational
    // block compiles for minutes (5 min for replicated-c10-s2-r3), split it
    // takes 30 s.
    v.args([
        "--cc",
        "-O3",
        "--top-module",
        module,
        "--build",
        "-j",
        "2",
        "-Wno-fatal",
        "--output-split",
        "20000",
        "--output-split-cfuncs",
        "500",
        "--Mdir",
    ])
    .arg(&obj)
    .args(["-CFLAGS", CFLAGS]);
    // (The PyPI wheel's verilated.mk leaves the precompiled-header include
    // flag empty, which makes `--build` fail; older Verilators ignore it.)
    v.args(["-MAKEFLAGS", "CFG_CXXFLAGS_PCH_I=-include"]);
    if traced {
        v.arg("--trace");
    }
    run(
        "verilator",
        v.arg(root.join("rtl/lint.vlt"))
            .arg(gen_dir.join(format!("{module}.v"))),
    )?;
    let vroot = run(
        "verilator --getenv VERILATOR_ROOT",
        Command::new(&verilator).args(["--getenv", "VERILATOR_ROOT"]),
    )?;
    let inc = PathBuf::from(vroot.trim()).join("include");
    let tmp = dir.join(format!("lib{module}.so.tmp.{pid}"));
    // Verilator's runtime (verilated.cpp, its threads and, traced, its VCD
    // writer): `--build` has compiled it into the model's directory with
    // the model's flags (-fPIC -O2), as `libverilated.a` (5.048). Linking
    // that saves compiling it again, 7 s a model here, nine models in
    // `make test`; a Verilator that leaves no archive (5.006) gets its
    // sources compiled with the shim, as before.
    let runtime = obj.join("libverilated.a");
    let runtime: Vec<std::ffi::OsString> = if runtime.exists() {
        vec![
            "-Wl,--whole-archive".into(),
            runtime.into(),
            "-Wl,--no-whole-archive".into(),
        ]
    } else {
        [
            Some("verilated.cpp"),
            traced.then_some("verilated_vcd_c.cpp"),
            Some("verilated_threads.cpp"),
        ]
        .into_iter()
        .flatten()
        .map(|f| inc.join(f).into())
        .collect()
    };
    run(
        "c++ shim",
        Command::new(std::env::var("CXX").unwrap_or_else(|_| "c++".into()))
            .args([
                "-shared",
                "-fPIC",
                "-O2",
                "-std=c++17",
                if traced {
                    "-DVM_TRACE=1"
                } else {
                    "-DVM_TRACE=0"
                },
            ])
            .args(defs.split(' '))
            .arg("-I")
            .arg(&obj)
            .arg("-I")
            .arg(&inc)
            .arg("-I")
            .arg(inc.join("vltstd"))
            .arg(&shim)
            .arg(obj.join(format!("V{module}__ALL.a")))
            .args(&runtime)
            .args(["-pthread", "-o"])
            .arg(&tmp),
    )?;
    std::fs::rename(&tmp, &so).map_err(|e| VerilatorError::Tool {
        step: "install".into(),
        detail: e.to_string(),
    })?;
    // The generated C++ stays beside the library for profiling (`obj`), if
    // no other process left its own there.
    let _ = std::fs::rename(&obj, dir.join("obj"));
    // Older builds of this configuration and flavour are stale now.
    let stem = format!("{}{flavour}-", cfg.name);
    if let Ok(entries) = std::fs::read_dir(root.join("build/verilator")) {
        for e in entries.flatten() {
            let n = e.file_name().to_string_lossy().into_owned();
            if n.starts_with(&stem) && n.len() == stem.len() + 8 && e.path() != dir {
                let _ = std::fs::remove_dir_all(e.path());
            }
        }
    }
    Ok((so, cfg))
}

/// A scratch directory, removed when the build is done or fails.
struct RemoveOnDrop(PathBuf);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A number from the generator's `build.json`.
fn read_build_json(gen_dir: &Path, key: &str) -> Result<u64, VerilatorError> {
    let bad = |detail: String| VerilatorError::Tool {
        step: "read build.json".into(),
        detail,
    };
    let text =
        std::fs::read_to_string(gen_dir.join("build.json")).map_err(|e| bad(e.to_string()))?;
    let v: serde_json::Value = serde_json::from_str(&text).map_err(|e| bad(e.to_string()))?;
    v[key]
        .as_u64()
        .ok_or_else(|| bad(format!("no number {key}")))
}

/// The header both shims include.
const SHIM_COMMON: &str = "cosim/verilator/sim_common.h";

/// The C++ flags of the Verilated model. `-O2`: with Verilator 5.048
/// it ran replicated-c10-s2-r3 at 0.31 / 0.30 M clocks/s idle / under
/// the generator against 0.28 / 0.26 at `-O1` (with 5.006 the level made
/// no difference); a model compiles in about half a minute either way.
/// `-fvisibility=hidden`: the model's functions (about 400 for
/// replicated-c10-s2-r3, `--output-split-cfuncs`) are called once or more
/// a clock, and in a shared library a default-visibility function is
/// called through the PLT; hidden, the calls are direct (the shims' C
/// entry points are compiled without it and stay exported). Measured
/// alternately on one build (session 38): 0.245 -> 0.264 M clocks/s
/// idle; `-O3`, `-march=native`, `-flto` and `-fno-stack-protector`
/// gained nothing more.
const CFLAGS: &str = "-fPIC -O2 -fvisibility=hidden";

#[repr(C)]
#[derive(Clone, Copy, Default)]
struct TkReq {
    valid: u8,
    op: u8,
    key: u64,
    value: u64,
}

#[repr(C)]
#[derive(Clone, Copy, Default)]
struct TkResp {
    issued: u8,
    status: u8,
    has_value: u8,
    value: u64,
    round: u64,
}

type FnNew = unsafe extern "C" fn(*const c_char) -> *mut c_void;
pub(crate) type FnFree = unsafe extern "C" fn(*mut c_void);
pub(crate) type FnU32 = unsafe extern "C" fn() -> u32;
pub(crate) type FnClocks = unsafe extern "C" fn(*mut c_void) -> u64;
type FnCmd = unsafe extern "C" fn(*mut c_void, u32, u32, u64, *mut u64, u64) -> i32;
type FnRound = unsafe extern "C" fn(*mut c_void, *const TkReq, *mut TkResp) -> i64;
pub(crate) type FnIdle = unsafe extern "C" fn(*mut c_void, u64);

pub(crate) fn load_error(so: &Path) -> impl Fn(libloading::Error) -> VerilatorError + Copy + '_ {
    move |e| VerilatorError::Load {
        path: so.display().to_string(),
        detail: e.to_string(),
    }
}

/// Load a shim library; refuse a waveform from a library built without
/// (`traced` names its `uint32_t f()` that tells). Returns the library and
/// the VCD path as the shim's `new` takes it.
pub(crate) fn load_library(
    so: &Path,
    vcd: Option<&Path>,
    traced: &[u8],
) -> Result<(libloading::Library, Option<CString>), VerilatorError> {
    let load = load_error(so);
    // SAFETY: a library `build_top` compiled; `traced` is a `uint32_t f()` in it.
    unsafe {
        let lib = libloading::Library::new(so).map_err(&load)?;
        let traced: FnU32 = *lib.get::<FnU32>(traced).map_err(&load)?;
        if vcd.is_some() && traced() == 0 {
            return Err(VerilatorError::Load {
                path: so.display().to_string(),
                detail: "built without waveform support: build it with `traced`".into(),
            });
        }
        Ok((
            lib,
            vcd.map(|v| CString::new(v.display().to_string()).expect("no NUL in a path")),
        ))
    }
}

/// A Verilated core, loaded from a library `build` made.
pub struct VCore {
    _lib: libloading::Library,
    p: *mut c_void,
    free: FnFree,
    clocks: FnClocks,
    cmd: FnCmd,
    round: FnRound,
    idle: FnIdle,
    pub clients: usize,
    pub clocks_per_round: u32,
    pub latency: u64,
    reqs: Vec<TkReq>,
    resps: Vec<TkResp>,
}

/// Clocks a command may take before the core counts as hung.
pub const CMD_LIMIT: u64 = 1 << 28;

impl VCore {
    /// Load the library and make a core (after its reset); `vcd` writes a waveform.
    pub fn open(so: &Path, vcd: Option<&Path>) -> Result<VCore, VerilatorError> {
        let (lib, path) = load_library(so, vcd, b"tk_traced\0")?;
        let load = load_error(so);
        // SAFETY: the library is the shim `build` compiled; the symbols have the types above.
        unsafe {
            let new: FnNew = *lib.get::<FnNew>(b"tk_new\0").map_err(load)?;
            let free: FnFree = *lib.get::<FnFree>(b"tk_free\0").map_err(load)?;
            let clients: FnU32 = *lib.get::<FnU32>(b"tk_clients\0").map_err(load)?;
            let t: FnU32 = *lib.get::<FnU32>(b"tk_clocks_per_round\0").map_err(load)?;
            let lat: FnU32 = *lib.get::<FnU32>(b"tk_latency\0").map_err(load)?;
            let clocks: FnClocks = *lib.get::<FnClocks>(b"tk_clocks\0").map_err(load)?;
            let cmd: FnCmd = *lib.get::<FnCmd>(b"tk_cmd\0").map_err(load)?;
            let round: FnRound = *lib.get::<FnRound>(b"tk_round\0").map_err(load)?;
            let idle: FnIdle = *lib.get::<FnIdle>(b"tk_idle\0").map_err(load)?;
            let p = new(path.as_ref().map_or(std::ptr::null(), |c| c.as_ptr()));
            if p.is_null() {
                return Err(VerilatorError::Reset);
            }
            let c = clients() as usize;
            Ok(VCore {
                _lib: lib,
                p,
                free,
                clocks,
                cmd,
                round,
                idle,
                clients: c,
                clocks_per_round: t(),
                latency: u64::from(lat()),
                reqs: vec![TkReq::default(); c],
                resps: vec![TkResp::default(); c],
            })
        }
    }

    /// Clocks simulated so far.
    pub fn clocks(&self) -> u64 {
        // SAFETY: `p` is a live core of this library.
        unsafe { (self.clocks)(self.p) }
    }

    /// One command: its status and rdata.
    pub fn cmd(
        &mut self,
        cmd: Cmd,
        addr: u32,
        data: u64,
    ) -> Result<(CmdStatus, u64), VerilatorError> {
        let mut rdata = 0;
        // SAFETY: as above; `rdata` outlives the call.
        let st = unsafe {
            (self.cmd)(
                self.p,
                u32::from(cmd.code()),
                addr,
                data,
                &mut rdata,
                CMD_LIMIT,
            )
        };
        if st < 0 {
            return Err(VerilatorError::Timeout {
                cmd: cmd.to_string(),
                limit: CMD_LIMIT,
            });
        }
        let status = CmdStatus::from_code(st as u8).ok_or_else(|| VerilatorError::BadStatus {
            cmd: cmd.to_string(),
            code: st,
        })?;
        Ok((status, rdata))
    }

    /// Run one round: client `k` issues `reqs[k]`. Returns, per client, the
    /// round of the request answered now and its response.
    pub fn round(
        &mut self,
        reqs: &[Option<Request>],
    ) -> Result<Vec<Option<(u64, Response)>>, VerilatorError> {
        for (slot, r) in self.reqs.iter_mut().zip(reqs) {
            *slot = match r {
                Some(r) => TkReq {
                    valid: 1,
                    op: r.op.code(),
                    key: r.key,
                    value: r.value,
                },
                None => TkReq::default(),
            };
        }
        // SAFETY: both buffers hold `clients` entries, as the shim reads and writes.
        let u = unsafe { (self.round)(self.p, self.reqs.as_ptr(), self.resps.as_mut_ptr()) };
        if u < 0 {
            return Err(VerilatorError::NotAtBoundary);
        }
        Ok(self
            .resps
            .iter()
            .map(|r| {
                (r.issued == 1).then(|| {
                    let status = Status::from_code(r.status).unwrap_or(Status::Unavailable);
                    (
                        r.round,
                        Response {
                            status,
                            value: (r.has_value == 1).then_some(r.value),
                        },
                    )
                })
            })
            .collect())
    }

    /// Run `rounds` rounds with no requests, as fast as Verilator goes.
    pub fn idle(&mut self, rounds: u64) {
        // SAFETY: as above.
        unsafe { (self.idle)(self.p, rounds) }
    }
}

impl tidekv_driver::drive::Core for VCore {
    type Error = VerilatorError;
    fn clients(&self) -> usize {
        self.clients
    }
    fn latency(&self) -> u64 {
        self.latency
    }
    fn cmd(&mut self, cmd: Cmd, addr: u32, data: u64) -> Result<(CmdStatus, u64), VerilatorError> {
        VCore::cmd(self, cmd, addr, data)
    }
    fn round(
        &mut self,
        reqs: &[Option<Request>],
    ) -> Result<Vec<Option<(u64, Response)>>, VerilatorError> {
        VCore::round(self, reqs)
    }
}

impl Drop for VCore {
    fn drop(&mut self) {
        // SAFETY: `p` came from this library's tk_new and is freed once.
        unsafe { (self.free)(self.p) }
    }
}

type FnDevNew = unsafe extern "C" fn(*const c_char, u32) -> *mut c_void;
type FnExchange =
    unsafe extern "C" fn(*mut c_void, *const u8, u64, *mut u8, u64, u64, u64, *mut u64, u32) -> u64;

/// A Verilated device top (`Top::Device`): bytes in, bytes out, either at
/// the byte-stream ports (fast) or through its UART pins. As a `Transport`
/// its time is simulated: a timeout is so many clocks at its clock rate.
pub struct VDevice {
    _lib: libloading::Library,
    p: *mut c_void,
    free: FnFree,
    clocks: FnClocks,
    exchange: FnExchange,
    /// Clocks per UART bit of this build.
    pub clocks_per_bit: u32,
    /// The clock rate the build is made for.
    pub clock_hz: u32,
    pub uart: bool,
    out: Vec<u8>,
    /// Bytes sent (`Transport::send`) that the device has not taken yet.
    pending: Vec<u8>,
}

// SAFETY: the Verilated model is plain memory owned by this value alone; it
// may move between threads (it is never shared).
unsafe impl Send for VDevice {}

impl VDevice {
    /// Load the library and make a device after its reset. `uart`: bytes
    /// travel as UART bits on its pins, else on the byte-stream bypass.
    pub fn open(so: &Path, vcd: Option<&Path>, uart: bool) -> Result<VDevice, VerilatorError> {
        let (lib, path) = load_library(so, vcd, b"tkd_traced\0")?;
        let load = load_error(so);
        // SAFETY: the library is the device shim `build_top` compiled; the symbols have the types above.
        unsafe {
            let new: FnDevNew = *lib.get::<FnDevNew>(b"tkd_new\0").map_err(load)?;
            let free: FnFree = *lib.get::<FnFree>(b"tkd_free\0").map_err(load)?;
            let clocks: FnClocks = *lib.get::<FnClocks>(b"tkd_clocks\0").map_err(load)?;
            let exchange: FnExchange = *lib.get::<FnExchange>(b"tkd_exchange\0").map_err(load)?;
            let cpb: FnU32 = *lib.get::<FnU32>(b"tkd_clocks_per_bit\0").map_err(load)?;
            let hz: FnU32 = *lib.get::<FnU32>(b"tkd_clock_hz\0").map_err(load)?;
            let p = new(
                path.as_ref().map_or(std::ptr::null(), |c| c.as_ptr()),
                u32::from(uart),
            );
            if p.is_null() {
                return Err(VerilatorError::Reset);
            }
            Ok(VDevice {
                _lib: lib,
                p,
                free,
                clocks,
                exchange,
                clocks_per_bit: cpb(),
                clock_hz: hz(),
                uart,
                out: vec![0; 1 << 16],
                pending: Vec::new(),
            })
        }
    }

    /// Clocks simulated so far.
    pub fn clocks(&self) -> u64 {
        // SAFETY: `p` is a live device of this library.
        unsafe { (self.clocks)(self.p) }
    }

    /// Clock with `bytes` offered until `ends` END bytes have come out
    /// (and, unless `early`, every byte is taken) or `limit` clocks pass.
    /// The bytes that came out, and how many of `bytes` the device took.
    fn run(&mut self, bytes: &[u8], ends: u64, limit: u64, early: bool) -> (Vec<u8>, usize) {
        let mut taken = 0u64;
        // SAFETY: `p` is live; `bytes`, `out` and `taken` are valid for the lengths given.
        let n = unsafe {
            (self.exchange)(
                self.p,
                bytes.as_ptr(),
                bytes.len() as u64,
                self.out.as_mut_ptr(),
                self.out.len() as u64,
                ends,
                limit,
                &mut taken,
                u32::from(early),
            )
        };
        (
            self.out[..(n as usize).min(self.out.len())].to_vec(),
            taken as usize,
        )
    }

    /// Send `bytes`, then clock until `ends` END bytes have come out (0:
    /// run all of `limit`) or `limit` clocks have passed; the bytes that
    /// came out.
    pub fn run_bytes(&mut self, bytes: &[u8], ends: u64, limit: u64) -> Vec<u8> {
        self.run(bytes, ends, limit, false).0
    }

    /// `Transport::recv` until `ends` END bytes have come out (or `clocks`
    /// clocks past the bytes sent and pending: the wait starts once they
    /// are on the wire), taking those bytes meanwhile: the bytes that came
    /// out. The virtual device asks for two, a whole answer's.
    pub fn recv_ends(&mut self, ends: u64, clocks: u64) -> Vec<u8> {
        let limit = clocks + self.clocks_per_byte() * self.pending.len() as u64;
        let pending = std::mem::take(&mut self.pending);
        let (out, taken) = self.run(&pending, ends, limit, true);
        self.pending = pending[taken..].to_vec();
        out
    }

    /// Clocks a byte takes on the wire (1 on the bypass).
    pub fn clocks_per_byte(&self) -> u64 {
        if self.uart {
            10 * u64::from(self.clocks_per_bit)
        } else {
            1
        }
    }
}

impl Drop for VDevice {
    fn drop(&mut self) {
        // SAFETY: `p` came from this library's tkd_new and is freed once.
        unsafe { (self.free)(self.p) }
    }
}

impl tidekv_driver::link::Transport for VDevice {
    fn send(&mut self, bytes: &[u8]) -> Result<(), tidekv_driver::link::TransportError> {
        self.pending.extend_from_slice(bytes);
        Ok(())
    }

    fn recv(
        &mut self,
        timeout: std::time::Duration,
    ) -> Result<Vec<u8>, tidekv_driver::link::TransportError> {
        let clocks = (timeout.as_secs_f64() * f64::from(self.clock_hz)) as u64;
        Ok(self.recv_ends(1, clocks))
    }

    fn describe(&self) -> String {
        format!(
            "the Verilated device ({})",
            if self.uart {
                "UART pins"
            } else {
                "byte-stream bypass"
            }
        )
    }

    fn wire_rate(&self) -> Option<f64> {
        self.uart
            .then(|| f64::from(self.clock_hz) / self.clocks_per_byte() as f64)
    }

    fn elapsed(&self) -> Option<f64> {
        Some(self.clocks() as f64 / f64::from(self.clock_hz))
    }
}

/// The Verilated device top as the byte-stream device behind a software
/// mailbox (`tidekv_driver::mailbox::MailboxDevice`): the virtual PCIe
/// device's core. Each exchange takes every byte offered (the mailbox's ring
/// is smaller than the device's receive FIFO) and runs the device until an
/// answer's `END` comes out or 10 us of its time pass (a host polling an
/// idle device runs it 10 us a poll).
impl tidekv_driver::mailbox::ByteDevice for VDevice {
    fn exchange(&mut self, bytes: &[u8]) -> (usize, Vec<u8>) {
        use tidekv_driver::link::Transport;
        let _ = self.send(bytes);
        let out = self
            .recv(std::time::Duration::from_micros(10))
            .unwrap_or_default();
        (bytes.len(), out)
    }

    fn elapsed(&self) -> Option<f64> {
        tidekv_driver::link::Transport::elapsed(self)
    }
}
