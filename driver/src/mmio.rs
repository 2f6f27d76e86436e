//! Memory-mapped register access (issue 23, the PCIe mailbox's host side):
//! the `Mmio` trait (32-bit reads and writes, block copies) and `BarMap`, a
//! PCI BAR mapped with `memmap2` from its sysfs `resource0` file (or any
//! file, for tests), accessed with volatile 32-bit loads and stores only.
//! Every access is checked: aligned to 4 bytes, inside the region.

use std::path::{Path, PathBuf};

/// Why a register access or a mapping failed.
#[derive(Debug, thiserror::Error)]
pub enum MmioError {
    #[error(
        "{path}: no such device or BAR (is the card present? `lspci -D` lists domain:bus:dev.fn)"
    )]
    NoDevice { path: PathBuf },
    #[error("{path}: permission denied (map BARs as root, or give the user the resource file)")]
    Permission { path: PathBuf },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "register offset {offset:#x} is not 4-byte aligned: the mailbox takes 32-bit accesses only"
    )]
    Unaligned { offset: u64 },
    #[error("register offset {offset:#x} + {len} bytes is outside the {size}-byte region")]
    OutOfBounds { offset: u64, len: u64, size: u64 },
    #[error("{what}: the region has {size} bytes, the device needs {need}")]
    TooSmall { what: String, size: u64, need: u64 },
}

/// A 32-bit register space: a BAR, or a virtual device's.
pub trait Mmio: Send {
    /// Bytes in the region.
    fn size(&self) -> u64;
    /// The 32-bit register at byte `offset`.
    fn read32(&mut self, offset: u64) -> Result<u32, MmioError>;
    fn write32(&mut self, offset: u64, value: u32) -> Result<(), MmioError>;
    /// `out.len()` consecutive registers from `offset`.
    fn read_block(&mut self, offset: u64, out: &mut [u32]) -> Result<(), MmioError> {
        check(offset, 4 * out.len() as u64, self.size())?;
        for (i, w) in out.iter_mut().enumerate() {
            *w = self.read32(offset + 4 * i as u64)?;
        }
        Ok(())
    }
    /// `data` into consecutive registers from `offset`.
    fn write_block(&mut self, offset: u64, data: &[u32]) -> Result<(), MmioError> {
        check(offset, 4 * data.len() as u64, self.size())?;
        for (i, &w) in data.iter().enumerate() {
            self.write32(offset + 4 * i as u64, w)?;
        }
        Ok(())
    }
    /// Where it is, for messages.
    fn describe(&self) -> String;
    /// Seconds the device behind it has run, if it keeps its own time (a
    /// simulated device: simulated seconds).
    fn elapsed(&self) -> Option<f64> {
        None
    }
    /// The level of the device's interrupt request line, if it has one
    /// that this side can see (a virtual device's; a real card's reaches
    /// the host as an MSI or INTx instead).
    fn irq(&mut self) -> bool {
        false
    }
}

/// An access of `len` bytes at `offset` in a region of `size`: aligned and inside.
pub fn check(offset: u64, len: u64, size: u64) -> Result<(), MmioError> {
    if !offset.is_multiple_of(4) {
        return Err(MmioError::Unaligned { offset });
    }
    if offset.checked_add(len).is_none_or(|end| end > size) {
        return Err(MmioError::OutOfBounds { offset, len, size });
    }
    Ok(())
}

/// A BAR (or any file) mapped read-write, shared with the device.
pub struct BarMap {
    map: memmap2::MmapRaw,
    path: PathBuf,
}

impl BarMap {
    /// Map the file at `path` (a sysfs `resource0`, or a plain file).
    pub fn open(path: &Path) -> Result<BarMap, MmioError> {
        let f = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(path)
            .map_err(|e| match e.kind() {
                std::io::ErrorKind::NotFound => MmioError::NoDevice {
                    path: path.to_path_buf(),
                },
                std::io::ErrorKind::PermissionDenied => MmioError::Permission {
                    path: path.to_path_buf(),
                },
                _ => MmioError::Io {
                    path: path.to_path_buf(),
                    source: e,
                },
            })?;
        let map = memmap2::MmapRaw::map_raw(&f).map_err(|e| MmioError::Io {
            path: path.to_path_buf(),
            source: e,
        })?;
        Ok(BarMap {
            map,
            path: path.to_path_buf(),
        })
    }

    /// BAR 0 of PCI function `DOMAIN:BUS:DEV.FN` (`0000:01:00.0`), by sysfs.
    pub fn pci(address: &str) -> Result<BarMap, MmioError> {
        BarMap::open(&pci_resource(address))
    }
}

/// The sysfs file of BAR 0 of `address` (`DOMAIN:BUS:DEV.FN`).
pub fn pci_resource(address: &str) -> PathBuf {
    Path::new("/sys/bus/pci/devices")
        .join(address)
        .join("resource0")
}

impl Mmio for BarMap {
    fn size(&self) -> u64 {
        self.map.len() as u64
    }

    fn read32(&mut self, offset: u64) -> Result<u32, MmioError> {
        check(offset, 4, self.size())?;
        // SAFETY: `offset` is 4-aligned and `offset + 4 <= len` (checked),
        // the mapping is page-aligned and lives as long as `self`; a device
        // register is read with one volatile 32-bit load.
        let v = unsafe {
            std::ptr::read_volatile(self.map.as_ptr().add(offset as usize) as *const u32)
        };
        Ok(u32::from_le(v))
    }

    fn write32(&mut self, offset: u64, value: u32) -> Result<(), MmioError> {
        check(offset, 4, self.size())?;
        // SAFETY: as in `read32`; one volatile 32-bit store.
        unsafe {
            std::ptr::write_volatile(
                self.map.as_mut_ptr().add(offset as usize) as *mut u32,
                value.to_le(),
            )
        };
        Ok(())
    }

    fn describe(&self) -> String {
        format!("the BAR mapped from {}", self.path.display())
    }
}

/// The part of a region from `base` on: a mailbox at an offset in a BAR
/// that holds other registers too (a LiteX SoC's CSRs beside it: `pcie:
/// 0000:01:00.0+0x8000`). Offsets are the window's; the window ends where
/// the region does.
pub struct Window<M: Mmio> {
    pub inner: M,
    base: u64,
}

impl<M: Mmio> Window<M> {
    /// `base` must be 4-aligned and inside the region.
    pub fn new(inner: M, base: u64) -> Result<Window<M>, MmioError> {
        if !base.is_multiple_of(4) {
            return Err(MmioError::Unaligned { offset: base });
        }
        if base >= inner.size() {
            return Err(MmioError::OutOfBounds {
                offset: base,
                len: 0,
                size: inner.size(),
            });
        }
        Ok(Window { inner, base })
    }
}

impl<M: Mmio> Mmio for Window<M> {
    fn size(&self) -> u64 {
        self.inner.size() - self.base
    }
    fn read32(&mut self, offset: u64) -> Result<u32, MmioError> {
        check(offset, 4, self.size())?;
        self.inner.read32(self.base + offset)
    }
    fn write32(&mut self, offset: u64, value: u32) -> Result<(), MmioError> {
        check(offset, 4, self.size())?;
        self.inner.write32(self.base + offset, value)
    }
    fn describe(&self) -> String {
        format!("{} at offset {:#x}", self.inner.describe(), self.base)
    }
    fn elapsed(&self) -> Option<f64> {
        self.inner.elapsed()
    }
    fn irq(&mut self) -> bool {
        self.inner.irq()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn region(bytes: usize) -> (PathBuf, BarMap) {
        let p = std::env::temp_dir().join(format!(
            "tidekv-mmio-{}-{bytes}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        std::fs::write(&p, vec![0u8; bytes]).unwrap();
        let m = BarMap::open(&p).unwrap();
        (p, m)
    }

    /// 32-bit accesses land little-endian at their offset, blocks are
    /// consecutive registers, and what the mapping holds is the file's.
    #[test]
    fn accesses_are_32_bit_little_endian_at_their_offset() {
        let (p, mut m) = region(4096);
        assert_eq!(m.size(), 4096);
        m.write32(8, 0x1122_3344).unwrap();
        m.write_block(0x100, &[1, 2, 0xdead_beef]).unwrap();
        m.write32(4092, 7).unwrap();
        assert_eq!(m.read32(8).unwrap(), 0x1122_3344);
        let mut b = [0u32; 3];
        m.read_block(0x100, &mut b).unwrap();
        assert_eq!(b, [1, 2, 0xdead_beef]);
        drop(m);
        let f = std::fs::read(&p).unwrap();
        assert_eq!(&f[8..12], &[0x44, 0x33, 0x22, 0x11]);
        assert_eq!(&f[0x108..0x10c], &0xdead_beefu32.to_le_bytes());
        assert_eq!(&f[4092..4096], &[7, 0, 0, 0]);
        assert!(
            f[12..0x100].iter().all(|&x| x == 0),
            "no access wider than asked"
        );
        std::fs::remove_file(&p).unwrap();
    }

    /// Unaligned, out-of-region and overflowing accesses are refused and
    /// change nothing.
    #[test]
    fn bad_accesses_are_refused() {
        let (p, mut m) = region(64);
        for off in [1, 2, 3, 62] {
            assert!(
                matches!(m.read32(off), Err(MmioError::Unaligned { .. })),
                "{off}"
            );
            assert!(matches!(
                m.write32(off, 1),
                Err(MmioError::Unaligned { .. })
            ));
        }
        for off in [64, 68, u64::MAX - 3] {
            assert!(
                matches!(m.read32(off), Err(MmioError::OutOfBounds { .. })),
                "{off}"
            );
        }
        let e = m.write_block(56, &[1, 2, 3]).unwrap_err();
        assert!(matches!(
            e,
            MmioError::OutOfBounds {
                offset: 56,
                len: 12,
                size: 64
            }
        ));
        assert_eq!(m.read32(56).unwrap(), 0, "a refused block writes nothing");
        let mut out = [0u32; 17];
        assert!(m.read_block(0, &mut out).is_err());
        drop(m);
        std::fs::remove_file(&p).unwrap();
    }

    /// A window from an offset: its accesses land `base` further on, its
    /// size is what is left, and a base that is unaligned or outside is
    /// refused.
    #[test]
    fn a_window_is_the_region_from_its_base() {
        let (p, m) = region(0x4000);
        let mut w = Window::new(m, 0x3000).unwrap();
        assert_eq!(w.size(), 0x1000);
        w.write32(4, 0xabcd).unwrap();
        assert_eq!(w.inner.read32(0x3004).unwrap(), 0xabcd);
        assert!(matches!(
            w.read32(0x1000),
            Err(MmioError::OutOfBounds { .. })
        ));
        assert!(w.describe().contains("at offset 0x3000"));
        let m = w.inner;
        assert!(matches!(
            Window::new(m, 2).err(),
            Some(MmioError::Unaligned { offset: 2 })
        ));
        let m = BarMap::open(&p).unwrap();
        assert!(Window::new(m, 0x4000).is_err());
        std::fs::remove_file(&p).unwrap();
    }

    #[test]
    fn missing_devices_are_named() {
        let e = BarMap::pci("ffff:ff:1f.7").err().expect("no such function");
        assert!(matches!(e, MmioError::NoDevice { .. }), "{e}");
        assert!(e
            .to_string()
            .contains("/sys/bus/pci/devices/ffff:ff:1f.7/resource0"));
    }
}
