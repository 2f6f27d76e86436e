//! vfio-user (the protocol QEMU speaks to a device emulated in another
//! process, over a UNIX socket; the `vfio_user` crate of rust-vmm): a
//! client whose BAR 0 is an `Mmio` (`VfioUserMmio`, the host's
//! `vfio-user:SOCKET` backend) and a server that serves any `Mmio` as BAR 0
//! of a PCI function with a small configuration space (`serve`: the
//! virtual PCIe device, the software or Verilated mailbox behind it).

use crate::mmio::{check, Mmio, MmioError};
use std::fs::File;
use std::path::Path;
use vfio_bindings::bindings::vfio::{
    vfio_region_info, VFIO_IRQ_INFO_EVENTFD, VFIO_IRQ_SET_ACTION_TRIGGER,
    VFIO_IRQ_SET_DATA_EVENTFD, VFIO_PCI_BAR0_REGION_INDEX, VFIO_PCI_CONFIG_REGION_INDEX,
    VFIO_PCI_INTX_IRQ_INDEX, VFIO_PCI_NUM_IRQS, VFIO_PCI_NUM_REGIONS, VFIO_REGION_INFO_FLAG_READ,
    VFIO_REGION_INFO_FLAG_WRITE,
};
use vfio_user::{Client, IrqInfo, Server, ServerBackend, ServerRegion};
use vmm_sys_util::eventfd::{EventFd, EFD_NONBLOCK};

/// The PCI IDs the virtual device shows: pid.codes' test vendor (0x1209)
/// and "tk" as the device.
pub const VENDOR_ID: u16 = 0x1209;
pub const DEVICE_ID: u16 = 0x746b;

fn io(e: impl std::fmt::Display) -> MmioError {
    MmioError::Io {
        path: "vfio-user".into(),
        source: std::io::Error::other(e.to_string()),
    }
}

/// BAR 0 of a vfio-user server.
pub struct VfioUserMmio {
    c: Client,
    size: u64,
    at: String,
    /// The INTx eventfd, once `enable_irq` set it up.
    irq: Option<EventFd>,
}

// SAFETY: the client owns its socket and is used from one thread at a time.
unsafe impl Send for VfioUserMmio {}

impl VfioUserMmio {
    pub fn connect(socket: &Path) -> Result<VfioUserMmio, MmioError> {
        if !socket.exists() {
            return Err(MmioError::NoDevice {
                path: socket.to_path_buf(),
            });
        }
        let c = Client::new(socket).map_err(io)?;
        let size = c
            .region(VFIO_PCI_BAR0_REGION_INDEX)
            .map(|r| r.size)
            .unwrap_or(0);
        Ok(VfioUserMmio {
            c,
            size,
            at: socket.display().to_string(),
            irq: None,
        })
    }

    /// Ask the server to signal the function's INTx on an eventfd of ours
    /// (vfio-user's SET_IRQS, as QEMU does for a guest).
    pub fn enable_irq(&mut self) -> Result<(), MmioError> {
        let fd = EventFd::new(EFD_NONBLOCK).map_err(io)?;
        self.c
            .set_irqs(
                VFIO_PCI_INTX_IRQ_INDEX,
                VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER,
                0,
                1,
                &[std::os::fd::AsRawFd::as_raw_fd(&fd)],
            )
            .map_err(io)?;
        self.irq = Some(fd);
        Ok(())
    }

    /// Interrupts signalled since the last call (0 if none, or if
    /// `enable_irq` was not called).
    pub fn take_irqs(&mut self) -> u64 {
        self.irq.as_ref().and_then(|fd| fd.read().ok()).unwrap_or(0)
    }
}

impl Mmio for VfioUserMmio {
    fn size(&self) -> u64 {
        self.size
    }
    fn read32(&mut self, offset: u64) -> Result<u32, MmioError> {
        check(offset, 4, self.size)?;
        let mut b = [0u8; 4];
        self.c
            .region_read(VFIO_PCI_BAR0_REGION_INDEX, offset, &mut b)
            .map_err(io)?;
        Ok(u32::from_le_bytes(b))
    }
    fn write32(&mut self, offset: u64, value: u32) -> Result<(), MmioError> {
        check(offset, 4, self.size)?;
        self.c
            .region_write(VFIO_PCI_BAR0_REGION_INDEX, offset, &value.to_le_bytes())
            .map_err(io)
    }
    fn describe(&self) -> String {
        format!("BAR 0 of the vfio-user device at {}", self.at)
    }
}

/// A PCI function whose BAR 0 is `bar`.
struct Backend<M: Mmio> {
    bar: M,
    config: [u8; 256],
    irq: Option<File>,
    /// The device's request line after the last access: a rising edge is
    /// signalled on `irq` (a virtual device's time runs with the accesses,
    /// so an edge shows at the end of one).
    level: bool,
}

impl<M: Mmio> Backend<M> {
    fn new(bar: M) -> Self {
        let mut config = [0u8; 256];
        config[0..2].copy_from_slice(&VENDOR_ID.to_le_bytes());
        config[2..4].copy_from_slice(&DEVICE_ID.to_le_bytes());
        config[0x0a] = 0x80; // class: other (0xff00 would be "unassigned")
        config[0x0b] = 0xff;
        config[0x3d] = 1; // INTA
        Backend {
            bar,
            config,
            irq: None,
            level: false,
        }
    }

    fn signal(&mut self) {
        let level = self.bar.irq();
        if level && !self.level {
            if let Some(f) = &mut self.irq {
                use std::io::Write;
                let _ = f.write_all(&1u64.to_ne_bytes());
            }
        }
        self.level = level;
    }
}

fn ioe(e: MmioError) -> std::io::Error {
    std::io::Error::other(e.to_string())
}

impl<M: Mmio> ServerBackend for Backend<M> {
    fn region_read(
        &mut self,
        region: u32,
        offset: u64,
        data: &mut [u8],
    ) -> Result<(), std::io::Error> {
        if region == VFIO_PCI_CONFIG_REGION_INDEX {
            let o = offset as usize;
            let end = o.checked_add(data.len()).filter(|&e| e <= 256);
            let end = end.ok_or_else(|| std::io::Error::other("config space: out of range"))?;
            data.copy_from_slice(&self.config[o..end]);
            return Ok(());
        }
        if region != VFIO_PCI_BAR0_REGION_INDEX || !data.len().is_multiple_of(4) {
            return Err(std::io::Error::other("BAR 0 takes 32-bit accesses only"));
        }
        for (i, c) in data.chunks_mut(4).enumerate() {
            c.copy_from_slice(
                &self
                    .bar
                    .read32(offset + 4 * i as u64)
                    .map_err(ioe)?
                    .to_le_bytes(),
            );
        }
        self.signal();
        Ok(())
    }
    fn region_write(
        &mut self,
        region: u32,
        offset: u64,
        data: &[u8],
    ) -> Result<(), std::io::Error> {
        if region == VFIO_PCI_CONFIG_REGION_INDEX {
            // Command and status only; the IDs and the class stay.
            return Ok(());
        }
        if region != VFIO_PCI_BAR0_REGION_INDEX || !data.len().is_multiple_of(4) {
            return Err(std::io::Error::other("BAR 0 takes 32-bit accesses only"));
        }
        for (i, c) in data.chunks(4).enumerate() {
            let w = u32::from_le_bytes(c.try_into().expect("chunks of 4"));
            self.bar.write32(offset + 4 * i as u64, w).map_err(ioe)?;
        }
        self.signal();
        Ok(())
    }
    fn dma_map(
        &mut self,
        _: vfio_user::DmaMapFlags,
        _: u64,
        _: u64,
        _: u64,
        _: Option<File>,
    ) -> Result<(), std::io::Error> {
        Ok(())
    }
    fn dma_unmap(
        &mut self,
        _: vfio_user::DmaUnmapFlags,
        _: u64,
        _: u64,
    ) -> Result<(), std::io::Error> {
        Ok(())
    }
    fn reset(&mut self) -> Result<(), std::io::Error> {
        self.bar
            .write32(
                tidekv_defs::mailbox::CONTROL,
                tidekv_defs::mailbox::CONTROL_RESET,
            )
            .map_err(ioe)
    }
    fn set_irqs(
        &mut self,
        _index: u32,
        _flags: u32,
        _start: u32,
        count: u32,
        fds: Vec<File>,
    ) -> Result<(), std::io::Error> {
        self.irq = if count == 1 {
            fds.into_iter().next()
        } else {
            None
        };
        Ok(())
    }
}

/// Serve `bar` as BAR 0 of a PCI function on the UNIX socket `socket`
/// until its one client hangs up.
pub fn serve<M: Mmio>(socket: &Path, bar: M) -> Result<(), std::io::Error> {
    serve_clients(socket, bar, Some(1))
}

/// `serve` for `clients` clients one after another (`None`: until the
/// process stops), the device keeping its state between them as a card
/// does between two programs that open it.
pub fn serve_clients<M: Mmio>(
    socket: &Path,
    bar: M,
    clients: Option<u64>,
) -> Result<(), std::io::Error> {
    serve_clients_ready(socket, bar, clients, || {})
}

/// `serve_clients`, calling `ready` once the socket is there to connect to
/// (a "ready" printed before it raced a client that connected at once).
pub fn serve_clients_ready<M: Mmio>(
    socket: &Path,
    bar: M,
    clients: Option<u64>,
    ready: impl FnOnce(),
) -> Result<(), std::io::Error> {
    let size = bar.size();
    let regions = (0..VFIO_PCI_NUM_REGIONS)
        .map(|index| {
            let mut r = vfio_region_info {
                argsz: std::mem::size_of::<vfio_region_info>() as u32,
                index,
                ..Default::default()
            };
            if index == VFIO_PCI_CONFIG_REGION_INDEX || index == VFIO_PCI_BAR0_REGION_INDEX {
                r.size = if index == VFIO_PCI_BAR0_REGION_INDEX {
                    size
                } else {
                    256
                };
                r.flags = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE;
            }
            ServerRegion {
                region_info: r,
                sparse_areas: vec![],
                mmap_fd: None,
            }
        })
        .collect();
    let irqs = (0..VFIO_PCI_NUM_IRQS)
        .map(|index| IrqInfo {
            index,
            count: u32::from(index == VFIO_PCI_INTX_IRQ_INDEX),
            flags: if index == VFIO_PCI_INTX_IRQ_INDEX {
                VFIO_IRQ_INFO_EVENTFD
            } else {
                0
            },
        })
        .collect();
    let s = Server::new(socket, true, irqs, regions).map_err(std::io::Error::other)?;
    ready();
    let mut backend = Backend::new(bar);
    let mut served = 0;
    while clients.is_none_or(|n| served < n) {
        s.run(&mut backend).map_err(std::io::Error::other)?;
        // (The next client sets up its own interrupt.)
        backend.irq = None;
        served += 1;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::link::LinkCore;
    use crate::mailbox::Mailbox;

    /// A software mailbox over an `Info`-answering device, served on a
    /// socket named `name` in a thread, once the socket is there.
    fn serve_info_device(
        name: &str,
    ) -> (
        std::path::PathBuf,
        std::thread::JoinHandle<std::io::Result<()>>,
    ) {
        let sock = std::env::temp_dir().join(format!("{name}-{}.sock", std::process::id()));
        let _ = std::fs::remove_file(&sock);
        let dev = crate::mailbox::tests_support::info_device(64);
        let s2 = sock.clone();
        let server = std::thread::spawn(move || serve(&s2, dev));
        let t0 = std::time::Instant::now();
        while !sock.exists() {
            assert!(t0.elapsed().as_secs() < 10, "the server made no socket");
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        (sock, server)
    }

    /// A client reaches a software mailbox served over vfio-user: `Info`
    /// frames through BAR 0, and the configuration space shows the IDs.
    #[test]
    fn link_core_over_vfio_user() {
        let (sock, server) = serve_info_device("tidekv-vfu");
        let bar = VfioUserMmio::connect(&sock).unwrap();
        assert!(bar.size() >= tidekv_defs::mailbox::bar_bytes(64, 128));
        let mb = Mailbox::open(bar).unwrap();
        let (mut c, info) = LinkCore::connect(mb, std::time::Duration::from_millis(500)).unwrap();
        assert_eq!(info.build.clients, 10);
        for _ in 0..10 {
            c.info().unwrap();
        }
        drop(c);
        server.join().unwrap().unwrap();
        let _ = std::fs::remove_file(&sock);
    }

    /// INTx through vfio-user: the client's eventfd is signalled once per
    /// rising edge of the device's request line, not while it stays up.
    #[test]
    fn the_interrupt_reaches_the_client_on_its_eventfd() {
        use crate::link::Transport;
        use tidekv_defs::link::{Frame, FrameType};
        use tidekv_defs::mailbox::*;
        let (sock, server) = serve_info_device("tidekv-vfu-irq");
        let mut bar = VfioUserMmio::connect(&sock).unwrap();
        bar.enable_irq().unwrap();
        let mut mb = Mailbox::open(bar).unwrap();
        let ask = |mb: &mut Mailbox<VfioUserMmio>, seq| {
            mb.send(&Frame::new(FrameType::Info, seq, vec![]).encode())
                .unwrap();
            let out = mb.recv(std::time::Duration::from_secs(2)).unwrap();
            assert!(!out.is_empty(), "an answer");
        };
        // Interrupts not enabled in CONTROL: nothing signalled.
        ask(&mut mb, 1);
        assert_eq!(mb.m.take_irqs(), 0);
        mb.m.write32(IRQ_STATUS, 1).unwrap();
        mb.m.write32(CONTROL, CONTROL_ENABLE | CONTROL_IRQ).unwrap();
        ask(&mut mb, 2);
        assert_eq!(mb.m.take_irqs(), 1, "one edge");
        // Still pending (not cleared): the next answer raises no new edge.
        ask(&mut mb, 3);
        assert_eq!(mb.m.take_irqs(), 0, "the line stayed up");
        mb.m.write32(IRQ_STATUS, 1).unwrap();
        ask(&mut mb, 4);
        assert_eq!(mb.m.take_irqs(), 1, "cleared, then a new edge");
        drop(mb);
        server.join().unwrap().unwrap();
        let _ = std::fs::remove_file(&sock);
    }
}
