//! The host's side of the PCIe mailbox (`tidekv_defs::mailbox`): a
//! `Transport` over any `Mmio` region, so `LinkCore` and everything above it
//! run over a BAR exactly as over a serial line. `send` copies bytes into
//! the host-to-device ring as far as there is room (waiting, bounded, for
//! the device to take some) and publishes its tail; `recv` polls the
//! device-to-host tail up to its timeout and takes what came.
//!
//! `MailboxDevice` is the device side in software (registers and rings in
//! memory, a byte-stream device behind them): the tests' stand-in for the
//! gateware, and the core of a virtual PCIe device.

use crate::link::{Transport, TransportError};
use crate::mmio::{check, Mmio, MmioError};
use std::time::{Duration, Instant};
use tidekv_defs::link::PROTOCOL_VERSION;
use tidekv_defs::mailbox::*;

/// Why a mailbox cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum MailboxError {
    #[error(transparent)]
    Mmio(#[from] MmioError),
    #[error("{at}: magic {got:#010x}, not a tidekv mailbox ({MAGIC_VALUE:#010x}): wrong BAR or wrong card")]
    Magic { at: String, got: u32 },
    #[error("{at}: the device speaks link protocol {device} (mailbox {mailbox}), this host {PROTOCOL_VERSION} (mailbox {MAILBOX_VERSION}): use a matching host or rebuild the device")]
    Version {
        at: String,
        device: u32,
        mailbox: u32,
    },
}

/// `Mmio` errors as transport errors (a BAR access that fails mid-run).
fn io(e: MmioError) -> TransportError {
    TransportError::Io {
        what: "mailbox register access".into(),
        source: std::io::Error::other(e.to_string()),
    }
}

/// A `Transport` over a mailbox.
pub struct Mailbox<M: Mmio> {
    pub m: M,
    h2d: u32,
    d2h: u32,
    h2d_tail: u32,
    d2h_head: u32,
    /// How long `send` waits for room before it gives up.
    pub send_timeout: Duration,
}

impl<M: Mmio> Mailbox<M> {
    /// Check the map (magic, versions, a BAR as large as the rings need)
    /// and enable the device; the indices continue where they stand.
    pub fn open(mut m: M) -> Result<Mailbox<M>, MailboxError> {
        let at = m.describe();
        let head = INFO + 4 * INFO_WORDS as u64;
        if m.size() < head {
            return Err(MmioError::TooSmall {
                what: at,
                size: m.size(),
                need: head,
            }
            .into());
        }
        let magic = m.read32(MAGIC)?;
        if magic != MAGIC_VALUE {
            return Err(MailboxError::Magic { at, got: magic });
        }
        let v = m.read32(VERSION)?;
        if v >> 16 != PROTOCOL_VERSION || v & 0xffff != MAILBOX_VERSION {
            return Err(MailboxError::Version {
                at,
                device: v >> 16,
                mailbox: v & 0xffff,
            });
        }
        let (h2d, d2h, _) = decode_caps(m.read32(CAPS)?);
        let need = bar_bytes(h2d, d2h);
        if m.size() < need {
            return Err(MmioError::TooSmall {
                what: format!("{at} (rings of {h2d} and {d2h} bytes)"),
                size: m.size(),
                need,
            }
            .into());
        }
        m.write32(CONTROL, CONTROL_ENABLE)?;
        let h2d_tail = m.read32(H2D_TAIL)?;
        let d2h_head = m.read32(D2H_HEAD)?;
        Ok(Mailbox {
            m,
            h2d,
            d2h,
            h2d_tail,
            d2h_head,
            send_timeout: Duration::from_secs(1),
        })
    }
}

/// Copy `bytes` into a ring of `size` bytes at `base`, from byte index
/// `at`: whole registers where it can, read-modify-write at the edges.
fn ring_write(
    m: &mut dyn Mmio,
    base: u64,
    size: u32,
    at: u32,
    bytes: &[u8],
) -> Result<(), MmioError> {
    let mut i = 0;
    while i < bytes.len() {
        let pos = (at.wrapping_add(i as u32)) % size;
        let reg = base + u64::from(pos & !3);
        let off = (pos & 3) as usize;
        let n = (4 - off).min(bytes.len() - i);
        let mut w = if off == 0 && n == 4 {
            [0; 4]
        } else {
            m.read32(reg)?.to_le_bytes()
        };
        w[off..off + n].copy_from_slice(&bytes[i..i + n]);
        m.write32(reg, u32::from_le_bytes(w))?;
        i += n;
    }
    Ok(())
}

/// `n` bytes of a ring of `size` bytes at `base`, from byte index `at`.
fn ring_read(
    m: &mut dyn Mmio,
    base: u64,
    size: u32,
    at: u32,
    n: usize,
) -> Result<Vec<u8>, MmioError> {
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        let pos = (at.wrapping_add(out.len() as u32)) % size;
        let w = m.read32(base + u64::from(pos & !3))?.to_le_bytes();
        let off = (pos & 3) as usize;
        let k = (4 - off).min(n - out.len());
        out.extend_from_slice(&w[off..off + k]);
    }
    Ok(out)
}

impl<M: Mmio> Transport for Mailbox<M> {
    fn send(&mut self, mut bytes: &[u8]) -> Result<(), TransportError> {
        let start = Instant::now();
        while !bytes.is_empty() {
            let head = self.m.read32(H2D_HEAD).map_err(io)?;
            let free = self.h2d - self.h2d_tail.wrapping_sub(head);
            if free == 0 {
                if start.elapsed() > self.send_timeout {
                    return Err(TransportError::Io {
                        what: format!(
                            "{}: the device took no byte in {:?}",
                            self.m.describe(),
                            self.send_timeout
                        ),
                        source: std::io::ErrorKind::TimedOut.into(),
                    });
                }
                std::thread::yield_now();
                continue;
            }
            let n = (free as usize).min(bytes.len());
            ring_write(&mut self.m, H2D_RING, self.h2d, self.h2d_tail, &bytes[..n]).map_err(io)?;
            self.h2d_tail = self.h2d_tail.wrapping_add(n as u32);
            self.m.write32(H2D_TAIL, self.h2d_tail).map_err(io)?;
            self.m.write32(DOORBELL, 1).map_err(io)?;
            bytes = &bytes[n..];
        }
        Ok(())
    }

    fn recv(&mut self, timeout: Duration) -> Result<Vec<u8>, TransportError> {
        let start = Instant::now();
        loop {
            let tail = self.m.read32(D2H_TAIL).map_err(io)?;
            let n = tail.wrapping_sub(self.d2h_head);
            if n > self.d2h {
                return Err(TransportError::Io {
                    what: format!(
                        "{}: the device's ring index jumped ({n} bytes in a {}-byte ring)",
                        self.m.describe(),
                        self.d2h
                    ),
                    source: std::io::ErrorKind::InvalidData.into(),
                });
            }
            if n > 0 {
                let out = ring_read(&mut self.m, D2H_RING, self.d2h, self.d2h_head, n as usize)
                    .map_err(io)?;
                self.d2h_head = tail;
                self.m.write32(D2H_HEAD, tail).map_err(io)?;
                return Ok(out);
            }
            if start.elapsed() >= timeout {
                return Ok(vec![]);
            }
            std::thread::yield_now();
        }
    }

    fn describe(&self) -> String {
        format!("the mailbox in {}", self.m.describe())
    }

    fn elapsed(&self) -> Option<f64> {
        self.m.elapsed()
    }
}

/// A byte-stream device behind a software mailbox.
pub trait ByteDevice: Send {
    /// Take `bytes` (as many as it can: how many) and return what it sends.
    fn exchange(&mut self, bytes: &[u8]) -> (usize, Vec<u8>);
    /// Its own time in seconds, if it keeps one.
    fn elapsed(&self) -> Option<f64> {
        None
    }
}

/// The device side of a mailbox in software: registers and rings in
/// memory, `dev` behind them, run when the host rings the doorbell, moves
/// a ring index or polls `D2H_TAIL` (a device runs on its own; this one
/// runs when looked at; a test may also `step` it).
pub struct MailboxDevice<D: ByteDevice> {
    pub dev: D,
    mem: Vec<u32>,
    h2d: u32,
    d2h: u32,
    /// Bytes the device made that the D2H ring had no room for yet.
    out: std::collections::VecDeque<u8>,
}

impl<D: ByteDevice> MailboxDevice<D> {
    /// A mailbox with rings of `h2d` and `d2h` bytes (powers of two) and
    /// the given `INFO` words.
    pub fn new(dev: D, h2d_log2: u32, d2h_log2: u32, info: &[u32]) -> MailboxDevice<D> {
        let (h2d, d2h) = (1 << h2d_log2, 1 << d2h_log2);
        let mut mem = vec![0u32; (bar_bytes(h2d, d2h) / 4) as usize];
        mem[(MAGIC / 4) as usize] = MAGIC_VALUE;
        mem[(VERSION / 4) as usize] = PROTOCOL_VERSION << 16 | MAILBOX_VERSION;
        mem[(CAPS / 4) as usize] = caps(h2d_log2, d2h_log2, true);
        for (i, w) in info.iter().take(INFO_WORDS).enumerate() {
            mem[(INFO / 4) as usize + i] = *w;
        }
        MailboxDevice {
            dev,
            mem,
            h2d,
            d2h,
            out: Default::default(),
        }
    }

    fn reg(&self, a: u64) -> u32 {
        self.mem[(a / 4) as usize]
    }

    /// Take what the host queued, run the device, put out what fits.
    pub fn step(&mut self) {
        if self.reg(CONTROL) & CONTROL_ENABLE == 0 {
            return;
        }
        let (tail, head, h2d, d2h) = (self.reg(H2D_TAIL), self.reg(H2D_HEAD), self.h2d, self.d2h);
        let n = tail.wrapping_sub(head).min(h2d) as usize;
        // (The rings' registers do not step the device: no recursion.)
        let inp = ring_read(self, H2D_RING, h2d, head, n).expect("the ring is in the region");
        let (took, sent) = self.dev.exchange(&inp);
        self.mem[(H2D_HEAD / 4) as usize] = head.wrapping_add(took as u32);
        self.out.extend(sent);
        let (dt, dh) = (self.reg(D2H_TAIL), self.reg(D2H_HEAD));
        let room = d2h - dt.wrapping_sub(dh);
        let was_empty = dt == dh;
        let k = (room as usize).min(self.out.len());
        let put: Vec<u8> = self.out.drain(..k).collect();
        ring_write(self, D2H_RING, d2h, dt, &put).expect("the ring is in the region");
        self.mem[(D2H_TAIL / 4) as usize] = dt.wrapping_add(k as u32);
        if was_empty && k > 0 {
            self.mem[(IRQ_STATUS / 4) as usize] |= 1;
        }
    }
}

impl<D: ByteDevice> Mmio for MailboxDevice<D> {
    fn size(&self) -> u64 {
        4 * self.mem.len() as u64
    }

    fn read32(&mut self, offset: u64) -> Result<u32, MmioError> {
        check(offset, 4, self.size())?;
        if offset == D2H_TAIL || offset == H2D_HEAD {
            self.step();
        }
        Ok(self.reg(offset))
    }

    fn write32(&mut self, offset: u64, value: u32) -> Result<(), MmioError> {
        check(offset, 4, self.size())?;
        let i = (offset / 4) as usize;
        match offset {
            // Read-only registers and the device's own indices ignore writes.
            MAGIC | VERSION | CAPS | H2D_HEAD | D2H_TAIL => {}
            o if (INFO..INFO + 4 * INFO_WORDS as u64).contains(&o) => {}
            CONTROL if value & CONTROL_RESET != 0 => {
                for r in [H2D_TAIL, H2D_HEAD, D2H_TAIL, D2H_HEAD, IRQ_STATUS] {
                    self.mem[(r / 4) as usize] = 0;
                }
                self.out.clear();
                self.mem[i] = value & !CONTROL_RESET;
            }
            IRQ_STATUS => self.mem[i] &= !value,
            DOORBELL => {}
            _ => self.mem[i] = value,
        }
        if matches!(offset, DOORBELL | H2D_TAIL | D2H_HEAD | CONTROL) {
            self.step();
        }
        Ok(())
    }

    fn describe(&self) -> String {
        "a software mailbox".into()
    }

    fn irq(&mut self) -> bool {
        self.reg(IRQ_STATUS) & 1 == 1 && self.reg(CONTROL) & CONTROL_IRQ != 0
    }

    fn elapsed(&self) -> Option<f64> {
        self.dev.elapsed()
    }
}

#[cfg(test)]
pub(crate) mod tests_support {
    use super::*;
    use tidekv_defs::link::{Deframer, DeviceInfo, Frame, FrameType, LinkParams};
    use tidekv_defs::Config;

    /// Answers every `Info` frame; takes at most `per_step` bytes a step
    /// (a slow device: the ring fills and `send` waits).
    pub(crate) struct InfoDevice {
        deframer: Deframer,
        answer: Vec<u8>,
        per_step: usize,
        pub(crate) frames: usize,
    }

    impl ByteDevice for InfoDevice {
        fn exchange(&mut self, bytes: &[u8]) -> (usize, Vec<u8>) {
            let n = bytes.len().min(self.per_step);
            let mut out = vec![];
            let (answer, frames) = (&self.answer, &mut self.frames);
            self.deframer.push_all(&bytes[..n], |r| {
                let f = r.expect("the host's frames are well formed");
                *frames += 1;
                Frame::new(FrameType::Info, f.seq, answer.clone()).encode_into(&mut out);
            });
            (n, out)
        }
    }

    pub(crate) fn info_device(per_step: usize) -> MailboxDevice<InfoDevice> {
        let b = Config::preset("single-c10").unwrap().build;
        let info = DeviceInfo::new(&b, LinkParams::default());
        MailboxDevice::new(
            InfoDevice {
                deframer: Deframer::new(64),
                answer: info.encode(),
                per_step,
                frames: 0,
            },
            6,
            7,
            &info.words(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::tests_support::info_device as device;
    use super::*;
    use crate::link::LinkCore;

    /// `LinkCore` over the mailbox: Info frames through rings smaller
    /// than a frame's answer, wrapping many times, every byte delivered.
    #[test]
    fn link_core_runs_over_a_mailbox() {
        let mb = Mailbox::open(device(5)).unwrap();
        let (mut c, info) = LinkCore::connect(mb, Duration::from_millis(200)).unwrap();
        assert_eq!(info.build.clients, 10);
        for _ in 0..50 {
            c.info().unwrap();
        }
        assert_eq!(c.link.m.dev.frames, 51);
        assert!(c.bytes_in > 50 * 100, "{} bytes in", c.bytes_in);
    }

    #[test]
    fn a_wrong_magic_version_or_size_is_named() {
        let mut d = device(64);
        d.mem[0] = 0x1234;
        let e = Mailbox::open(d).err().unwrap();
        assert!(e.to_string().contains("not a tidekv mailbox"), "{e}");
        let mut d = device(64);
        d.mem[(VERSION / 4) as usize] = 3 << 16 | MAILBOX_VERSION;
        let e = Mailbox::open(d).err().unwrap();
        assert!(e.to_string().contains("protocol 3"), "{e}");
        let mut d = device(64);
        d.mem.truncate((D2H_RING / 4) as usize + 8);
        let e = Mailbox::open(d).err().unwrap();
        assert!(e.to_string().contains("the device needs"), "{e}");
    }

    /// A device that takes nothing: `send` gives up after its timeout
    /// with a message, and `recv` returns nothing after its own.
    #[test]
    fn a_stuck_device_is_an_error_not_a_hang() {
        let mut mb = Mailbox::open(device(0)).unwrap();
        mb.send_timeout = Duration::from_millis(50);
        let e = mb.send(&[0u8; 200]).unwrap_err();
        assert!(e.to_string().contains("took no byte"), "{e}");
        assert!(mb.recv(Duration::from_millis(10)).unwrap().is_empty());
    }
}
