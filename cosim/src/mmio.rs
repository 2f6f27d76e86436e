//! The Verilated PCIe mailbox top (`tidekv_mmio`, `rtl/src/mmio.rs`) as BAR
//! 0 of a virtual card: a `tidekv_driver::mmio::Mmio` whose accesses are
//! Wishbone-classic cycles on the gateware's port (`cosim/verilator/
//! mmio_shim.cpp`). Time is simulated: the device runs only while an access
//! is under way, and a read costs at least `read_clocks` of its clocks (a
//! PCIe read's round trip, 1 us by default) while a write costs only its
//! bus cycle (PCIe writes are posted).

use crate::verilator::{
    build_top, load_error, load_library, FnClocks, FnFree, FnU32, Top, VerilatorError,
};
use std::ffi::c_void;
use std::path::Path;
use tidekv_defs::mailbox::{bar_bytes, decode_caps, CAPS};
use tidekv_driver::mmio::{check, Mmio, MmioError};

type FnNew = unsafe extern "C" fn(*const std::ffi::c_char) -> *mut c_void;
type FnAccess = unsafe extern "C" fn(*mut c_void, u32, u32, u32, *mut u32) -> u32;
type FnIdle = unsafe extern "C" fn(*mut c_void, u64);
type FnIrq = unsafe extern "C" fn(*mut c_void) -> u32;

/// A Verilated mailbox top, loaded from a library `build_top(.., Top::Mmio,
/// ..)` made.
pub struct VMmio {
    _lib: libloading::Library,
    p: *mut c_void,
    free: FnFree,
    clocks: FnClocks,
    access: FnAccess,
    idle: FnIdle,
    irq: FnIrq,
    /// The clock rate the build is made for.
    pub clock_hz: u32,
    /// The fewest clocks a read takes (its bus cycle included).
    pub read_clocks: u64,
    size: u64,
}

// SAFETY: the Verilated model is plain memory owned by this value alone; it
// may move between threads (it is never shared).
unsafe impl Send for VMmio {}

impl VMmio {
    /// Build (or take from the cache) and open the mailbox top of `spec` (a
    /// preset or a .toml file).
    pub fn build_open(spec: &str) -> Result<VMmio, VerilatorError> {
        let (so, _cfg) = build_top(spec, Top::Mmio, false)?;
        VMmio::open(&so, None)
    }

    /// Load the library and make a mailbox after its reset.
    pub fn open(so: &Path, vcd: Option<&Path>) -> Result<VMmio, VerilatorError> {
        let (lib, path) = load_library(so, vcd, b"tkm_traced\0")?;
        let load = load_error(so);
        // SAFETY: the library is the mailbox shim `build_top` compiled; the symbols have the types above.
        let mut m = unsafe {
            let new: FnNew = *lib.get::<FnNew>(b"tkm_new\0").map_err(load)?;
            let free: FnFree = *lib.get::<FnFree>(b"tkm_free\0").map_err(load)?;
            let clocks: FnClocks = *lib.get::<FnClocks>(b"tkm_clocks\0").map_err(load)?;
            let access: FnAccess = *lib.get::<FnAccess>(b"tkm_access\0").map_err(load)?;
            let idle: FnIdle = *lib.get::<FnIdle>(b"tkm_idle\0").map_err(load)?;
            let irq: FnIrq = *lib.get::<FnIrq>(b"tkm_irq\0").map_err(load)?;
            let hz: FnU32 = *lib.get::<FnU32>(b"tkm_clock_hz\0").map_err(load)?;
            let p = new(path.as_ref().map_or(std::ptr::null(), |c| c.as_ptr()));
            if p.is_null() {
                return Err(VerilatorError::Reset);
            }
            let clock_hz = hz();
            VMmio {
                _lib: lib,
                p,
                free,
                clocks,
                access,
                idle,
                irq,
                clock_hz,
                read_clocks: u64::from(clock_hz).div_ceil(1_000_000),
                size: CAPS + 4,
            }
        };
        let caps = m.read32(CAPS).map_err(|e| VerilatorError::Tool {
            step: "read the mailbox's CAPS".into(),
            detail: e.to_string(),
        })?;
        let (h2d, d2h, _) = decode_caps(caps);
        m.size = bar_bytes(h2d, d2h);
        Ok(m)
    }

    /// Clocks simulated so far.
    pub fn clocks(&self) -> u64 {
        // SAFETY: `p` is a live mailbox of this library.
        unsafe { (self.clocks)(self.p) }
    }

    /// Run `n` clocks with the bus idle.
    pub fn run(&mut self, n: u64) {
        // SAFETY: as above.
        unsafe { (self.idle)(self.p, n) }
    }

    /// One bus cycle; the clocks it took.
    fn cycle(&mut self, offset: u64, write: bool, sel: u32, v: &mut u32) -> Result<u64, MmioError> {
        check(offset, 4, self.size)?;
        // SAFETY: `p` is live; `v` is a valid u32 for the shim to read or write.
        let n = unsafe { (self.access)(self.p, offset as u32, u32::from(write), sel, v) };
        if n == 0 {
            return Err(MmioError::Io {
                path: "the Verilated mailbox".into(),
                source: std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    format!("no Wishbone ack for the access at {offset:#x}"),
                ),
            });
        }
        Ok(u64::from(n))
    }

    /// A write with byte selects (`sel` bit i: byte i of `value`).
    pub fn write_sel(&mut self, offset: u64, value: u32, sel: u32) -> Result<(), MmioError> {
        let mut v = value;
        self.cycle(offset, true, sel, &mut v).map(|_| ())
    }
}

impl Mmio for VMmio {
    fn size(&self) -> u64 {
        self.size
    }

    fn read32(&mut self, offset: u64) -> Result<u32, MmioError> {
        let mut v = 0;
        let n = self.cycle(offset, false, 0xf, &mut v)?;
        if n < self.read_clocks {
            self.run(self.read_clocks - n);
        }
        Ok(v)
    }

    fn write32(&mut self, offset: u64, value: u32) -> Result<(), MmioError> {
        self.write_sel(offset, value, 0xf)
    }

    fn describe(&self) -> String {
        "the Verilated PCIe mailbox".into()
    }

    fn irq(&mut self) -> bool {
        // SAFETY: `p` is a live mailbox of this library.
        unsafe { (self.irq)(self.p) != 0 }
    }

    fn elapsed(&self) -> Option<f64> {
        Some(self.clocks() as f64 / f64::from(self.clock_hz))
    }
}

impl Drop for VMmio {
    fn drop(&mut self) {
        // SAFETY: `p` came from this library's tkm_new and is freed once.
        unsafe { (self.free)(self.p) }
    }
}
