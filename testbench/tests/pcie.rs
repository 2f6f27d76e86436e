//! The host's PCIe path (`tidekv_driver::mailbox`) end to end against the
//! device's real logic: `LinkCore` over the `Mailbox` transport, through a
//! software mailbox's rings (`MailboxDevice`), into the Verilated device
//! top. A replay equals the model request by request, as over the UART.

use tidekv_cosim::verilator::{Top, VDevice};
use tidekv_driver::link::LinkCore;
use tidekv_driver::mailbox::{Mailbox, MailboxDevice};
use tidekv_testbench::traffic::{self, Traffic};
use tidekv_testbench::{build_top, compare_on};

#[test]
fn replay_over_the_mailbox_equals_the_model() {
    let (so, cfg) = build_top("single-c10", Top::Device);
    let dev = VDevice::open(&so, None, false).unwrap();
    let info = tidekv_defs::link::DeviceInfo::new(&cfg.build, Default::default());
    // Rings of 256 bytes each way: smaller than the device's FIFO and than
    // two Step frames, so they wrap and fill.
    let mb = Mailbox::open(MailboxDevice::new(dev, 8, 8, &info.words())).unwrap();
    let mut c = LinkCore::new(mb, cfg.build.clone());
    c.fifo_bytes = 256;
    let mut t = Traffic::new(&cfg, 23);
    traffic::mixed(&mut t, 0, 120, 0.9, 8);
    let n = compare_on("pcie mailbox", &mut c, &cfg, &t.trace());
    assert!(n > 1000, "{n} requests");
    println!(
        "over the mailbox: {n} requests equal to the model, {} bytes out, {} in",
        c.bytes_out, c.bytes_in
    );
}

/// The gateware: the Verilated `tidekv_mmio` top (`rtl/src/mmio.rs`) as
/// BAR 0, the host's `Mailbox` transport on its Wishbone port.
mod gateware {
    use tidekv_cosim::mmio::VMmio;
    use tidekv_cosim::verilator::Top;
    use tidekv_defs::link::{self, Deframer, DeviceInfo, Drop, Frame, FrameType, PROTOCOL_VERSION};
    use tidekv_defs::mailbox::*;
    use tidekv_driver::link::{LinkCore, Transport};
    use tidekv_driver::mailbox::Mailbox;
    use tidekv_driver::mmio::Mmio;
    use tidekv_testbench::traffic::{self, Traffic};
    use tidekv_testbench::{build_top, compare_on};

    fn open(spec: &str) -> (VMmio, tidekv_defs::Config) {
        let (so, cfg) = build_top(spec, Top::Mmio);
        (VMmio::open(&so, None).unwrap(), cfg)
    }

    #[test]
    fn replay_through_the_gateware_mailbox_equals_the_model() {
        let (m, cfg) = open("single-c10");
        let mb = Mailbox::open(m).unwrap();
        let mut c = LinkCore::new(mb, cfg.build.clone());
        let mut t = Traffic::new(&cfg, 29);
        traffic::mixed(&mut t, 0, 120, 0.9, 8);
        let n = compare_on("gateware mailbox", &mut c, &cfg, &t.trace());
        assert!(n > 1000, "{n} requests");
        let stats = c.link_stats(false).unwrap();
        assert_eq!(
            stats[1..].iter().sum::<u32>(),
            0,
            "no frame dropped: {stats:?}"
        );
    }

    #[test]
    fn the_registers_read_as_the_map_says() {
        let (mut m, cfg) = open("single-c10");
        assert_eq!(m.read32(MAGIC).unwrap(), MAGIC_VALUE);
        assert_eq!(
            m.read32(VERSION).unwrap(),
            PROTOCOL_VERSION << 16 | MAILBOX_VERSION
        );
        assert_eq!(decode_caps(m.read32(CAPS).unwrap()), (4096, 4096, true));
        assert_eq!(m.size(), bar_bytes(4096, 4096));
        // The Info words are the build's, as its `Info` frame gives them.
        let mut words = vec![0u32; INFO_WORDS];
        m.read_block(INFO, &mut words).unwrap();
        let mb = Mailbox::open(m).unwrap();
        let (mut c, info) = LinkCore::connect(mb, std::time::Duration::from_secs(5)).unwrap();
        let want = info.words();
        assert_eq!(&words[..want.len()], &want[..]);
        assert!(words[want.len()..].iter().all(|&w| w == 0));
        assert_eq!(info.build, cfg.build);
        let _ = DeviceInfo::decode(&info.encode()).unwrap();
        let m = &mut c.link.m;
        // Read-only registers ignore writes; reads change nothing.
        for r in [MAGIC, VERSION, CAPS, H2D_HEAD, D2H_TAIL, INFO, INFO + 4] {
            let before = m.read32(r).unwrap();
            m.write32(r, !before).unwrap();
            assert_eq!(m.read32(r).unwrap(), before, "{r:#x}");
            assert_eq!(m.read32(r).unwrap(), before, "{r:#x} read twice");
        }
        assert_eq!(m.read32(CONTROL).unwrap(), CONTROL_ENABLE);
        assert_eq!(m.read32(DOORBELL).unwrap(), 0);
        // Byte selects on the H2D ring: only the selected bytes change.
        let at = H2D_RING + 4 * 700;
        m.write32(at, 0x1122_3344).unwrap();
        m.write_sel(at, 0xaabb_ccdd, 0b0101).unwrap();
        assert_eq!(m.read32(at).unwrap(), 0x11bb_33dd);
        // Reset: indices to 0, the control bits as written (reset reads 0).
        let tail = m.read32(H2D_TAIL).unwrap();
        assert!(tail > 0, "the connection sent bytes");
        m.write32(CONTROL, CONTROL_ENABLE | CONTROL_RESET).unwrap();
        m.run(4);
        for r in [H2D_TAIL, H2D_HEAD, D2H_TAIL, D2H_HEAD, IRQ_STATUS] {
            assert_eq!(m.read32(r).unwrap(), 0, "{r:#x} after reset");
        }
        assert_eq!(m.read32(CONTROL).unwrap(), CONTROL_ENABLE);
        // Out of the map: a clear error, no access.
        assert!(m.read32(bar_bytes(4096, 4096)).is_err());
        assert!(m.read32(2).is_err());
    }

    /// 300 `Info` frames at once with nobody reading the answers: the D2H
    /// ring fills, the device stops, its FIFO fills, the H2D ring stops
    /// draining. Then every answer comes out, in order, with nothing
    /// dropped (UART-style, a FIFO that overflows loses bytes).
    #[test]
    fn back_pressure_loses_no_byte() {
        let (m, cfg) = open("single-c10");
        let mut mb = Mailbox::open(m).unwrap();
        let mut bytes = vec![];
        let n = 300;
        for i in 0..n {
            Frame::new(FrameType::Info, i as u8, vec![]).encode_into(&mut bytes);
        }
        assert!(bytes.len() < 4096 && bytes.len() > link::RX_FIFO_BYTES as usize);
        mb.send(&bytes).unwrap();
        mb.m.run(400_000);
        let (th, dt, dh) = (
            mb.m.read32(H2D_HEAD).unwrap(),
            mb.m.read32(D2H_TAIL).unwrap(),
            mb.m.read32(D2H_HEAD).unwrap(),
        );
        assert_eq!(dt.wrapping_sub(dh), 4096, "the D2H ring is full, no more");
        assert!(
            (th as usize) < bytes.len(),
            "the device stopped taking bytes: {th}"
        );
        let mut d = Deframer::new(link::max_answer(&cfg.build));
        let mut got = vec![];
        let start = std::time::Instant::now();
        while got.len() < n && start.elapsed() < std::time::Duration::from_secs(60) {
            let out = mb.recv(std::time::Duration::from_millis(200)).unwrap();
            d.push_all(&out, |r| got.push(r));
        }
        assert_eq!(got.len(), n, "every frame answered");
        for (i, r) in got.iter().enumerate() {
            let f = r.as_ref().unwrap_or_else(|e| panic!("answer {i}: {e:?}"));
            assert_eq!(
                (f.frame_type(), f.seq),
                (Some(FrameType::Info), i as u8),
                "answer {i}"
            );
        }
        let mut c = LinkCore::new(mb, cfg.build.clone());
        let stats = c.link_stats(false).unwrap();
        assert_eq!(stats[0], n as u32, "served: {stats:?}");
        assert_eq!(stats[Drop::Overrun as usize], 0);
        assert_eq!(stats[1..].iter().sum::<u32>(), 0, "no drops: {stats:?}");
    }

    /// The interrupt: pending when the D2H ring goes from empty to not
    /// empty, on the output only while enabled, cleared by writing 1.
    #[test]
    fn the_interrupt_follows_the_d2h_ring() {
        let (m, _cfg) = open("single-c10");
        let mut mb = Mailbox::open(m).unwrap();
        let info = Frame::new(FrameType::Info, 7, vec![]).encode();
        let wait_pending = |mb: &mut Mailbox<VMmio>| {
            for _ in 0..2000 {
                if mb.m.read32(IRQ_STATUS).unwrap() & 1 == 1 {
                    return true;
                }
            }
            false
        };
        // Interrupts disabled: pending, but the output stays low.
        mb.send(&info).unwrap();
        assert!(wait_pending(&mut mb));
        assert!(!mb.m.irq());
        mb.m.write32(IRQ_STATUS, 1).unwrap();
        assert_eq!(mb.m.read32(IRQ_STATUS).unwrap(), 0);
        // (The answer is still unread: more bytes into a ring that is not
        // empty raise nothing.)
        let out = mb.recv(std::time::Duration::from_millis(100)).unwrap();
        assert!(!out.is_empty());
        mb.m.write32(CONTROL, CONTROL_ENABLE | CONTROL_IRQ).unwrap();
        assert!(!mb.m.irq());
        mb.send(&info).unwrap();
        assert!(wait_pending(&mut mb));
        mb.m.run(2);
        assert!(mb.m.irq(), "the request output is up");
        mb.m.write32(IRQ_STATUS, 1).unwrap();
        mb.m.run(2);
        assert!(!mb.m.irq(), "cleared");
    }
}
