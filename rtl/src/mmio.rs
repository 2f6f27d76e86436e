//! The PCIe mailbox device top (issue 23; docs/DESIGN.md, "PCIe: a
//! memory-mapped mailbox"): the device behind BAR 0's register map of
//! `tidekv_defs::mailbox` instead of the UART.
//!
//! `Mailbox` has a plain register port: `strobe` for one clock with a
//! word address (the byte offset / 4) (and `we`, `wdata`, `wstrb` for a write);
//! `ack` two clocks later, with `rdata` for a read. Two byte rings in block
//! RAM carry the link's SLIP frames, one memory per byte lane so the host
//! writes words (its byte enables honoured) and the device takes or puts a
//! byte a clock: the host-to-device ring feeds the device's byte input only
//! while its receive FIFO has room (`Device::rx_ok`), and the device's
//! answers wait while the device-to-host ring is full. Back-pressure both
//! ways: no byte is ever lost. No register has a side effect on read.
//! `WishboneMailbox` puts a Wishbone-classic slave port in front (the bus
//! LitePCIe and LiteX put behind BAR 0): the `tidekv_mmio` top.

use crate::device::Device;
use crate::params::*;
use crate::util::{k, vec_of};
use rust_hdl::prelude::*;
use tidekv_defs::mailbox as mb;

/// log2 of each ring's bytes: 4096, the most the map holds.
pub const RING_BITS: usize = 12;
/// A ring lane's address bits (one byte of each 32-bit word).
pub const LANE_BITS: usize = RING_BITS - 2;
/// The register port's byte address bits (the map spans 0x3000).
pub const ADDR_BITS: usize = 14;
/// Wishbone's word address bits.
pub const WB_ADDR_BITS: usize = ADDR_BITS - 2;
/// The ROM of the build's `Info` words (`mb::INFO_WORDS` of them).
const INFO_ROM_BITS: usize = 5;

type W32 = Bits<32>;

#[derive(LogicBlock)]
pub struct Mailbox {
    pub clock: Signal<In, Clock>,
    pub reset: Signal<In, bool>,
    // ---- the register port
    pub strobe: Signal<In, bool>,
    pub we: Signal<In, bool>,
    /// The word's address: its byte offset in the map / 4.
    pub addr: Signal<In, Bits<WB_ADDR_BITS>>,
    pub wdata: Signal<In, W32>,
    pub wstrb: Signal<In, Bits<4>>,
    pub rdata: Signal<Out, W32>,
    pub ack: Signal<Out, bool>,
    /// The interrupt request: the D2H ring went from empty to not empty
    /// (`IRQ_STATUS` bit 0) and `CONTROL`'s interrupt bit is set.
    pub irq: Signal<Out, bool>,
    pub round: Signal<Out, Round>,
    dev: Device,
    // ---- the rings, a memory per byte lane, and the Info words
    h2d: Vec<RAM<Bits<8>, LANE_BITS>>,
    d2h: Vec<RAM<Bits<8>, LANE_BITS>>,
    info: ROM<W32, INFO_ROM_BITS>,
    // ---- registers of the map
    control: DFF<Bits<2>>,
    h_tail: DFF<W32>,
    h_head: DFF<W32>,
    d_tail: DFF<W32>,
    d_head: DFF<W32>,
    pending: DFF<bool>,
    /// `CONTROL`'s reset bit was written: the device and the indices reset.
    soft_reset: DFF<bool>,
    irq_r: DFF<bool>,
    // ---- an access in its second clock: the ack, where the data comes from
    a_ack: DFF<bool>,
    /// 0 a register (`a_reg`), 1 the H2D ring, 2 the D2H ring.
    a_src: DFF<Bits<2>>,
    a_reg: DFF<W32>,
    /// The H2D read port served the host last clock: its data is not the
    /// byte at `h_head`.
    host_read: DFF<bool>,
    // ---- locals
    word: Signal<Local, Bits<WB_ADDR_BITS>>,
    region: Signal<Local, Bits<2>>,
    rno: Signal<Local, Bits<10>>,
    lane: Signal<Local, Bits<LANE_BITS>>,
    on: Signal<Local, bool>,
    take: Signal<Local, bool>,
    next_head: Signal<Local, W32>,
    fb: Signal<Local, Bits<8>>,
    d_used: Signal<Local, W32>,
    room: Signal<Local, bool>,
    put: Signal<Local, bool>,
    val: Signal<Local, W32>,
    // ---- constants
    c_magic: Constant<W32>,
    c_version: Constant<W32>,
    c_caps: Constant<W32>,
    /// Register numbers (byte offset / 4) of the map.
    c_r: Vec<Constant<Bits<10>>>,
    c_info_first: Constant<Bits<10>>,
    c_info_end: Constant<Bits<10>>,
    c_lane: Vec<Constant<Bits<2>>>,
}

/// The map's registers in `c_r`'s order.
/// (`DOORBELL` is not among them: writes to it do nothing, the device
/// sees `H2D_TAIL` itself, and it reads 0.)
const REGS: [u64; 9] = [
    mb::MAGIC,
    mb::VERSION,
    mb::CAPS,
    mb::CONTROL,
    mb::H2D_TAIL,
    mb::H2D_HEAD,
    mb::D2H_TAIL,
    mb::D2H_HEAD,
    mb::IRQ_STATUS,
];

impl Default for Mailbox {
    fn default() -> Self {
        Mailbox::new()
    }
}

impl Mailbox {
    pub fn new() -> Mailbox {
        assert_eq!(mb::H2D_RING >> 12, 1);
        assert_eq!(mb::D2H_RING >> 12, 2);
        assert!(mb::bar_bytes(1 << RING_BITS, 1 << RING_BITS) <= 1 << ADDR_BITS);
        // (The part-selects below write these as numbers.)
        assert_eq!((RING_BITS, LANE_BITS), (12, 10));
        assert!(INFO_WORDS.len() <= 1 << INFO_ROM_BITS && INFO_WORDS.len() <= mb::INFO_WORDS);
        Mailbox {
            clock: Default::default(),
            reset: Default::default(),
            strobe: Default::default(),
            we: Default::default(),
            addr: Default::default(),
            wdata: Default::default(),
            wstrb: Default::default(),
            rdata: Default::default(),
            ack: Default::default(),
            irq: Default::default(),
            round: Default::default(),
            dev: Device::new(),
            h2d: vec_of(4),
            d2h: vec_of(4),
            info: INFO_WORDS.iter().map(|&w| W32::from(u64::from(w))).into(),
            control: Default::default(),
            h_tail: Default::default(),
            h_head: Default::default(),
            d_tail: Default::default(),
            d_head: Default::default(),
            pending: Default::default(),
            soft_reset: Default::default(),
            irq_r: Default::default(),
            a_ack: Default::default(),
            a_src: Default::default(),
            a_reg: Default::default(),
            host_read: Default::default(),
            word: Default::default(),
            region: Default::default(),
            rno: Default::default(),
            lane: Default::default(),
            on: Default::default(),
            take: Default::default(),
            next_head: Default::default(),
            fb: Default::default(),
            d_used: Default::default(),
            room: Default::default(),
            put: Default::default(),
            val: Default::default(),
            c_magic: k(u64::from(mb::MAGIC_VALUE)),
            c_version: k(u64::from(
                tidekv_defs::link::PROTOCOL_VERSION << 16 | mb::MAILBOX_VERSION,
            )),
            c_caps: k(u64::from(mb::caps(
                RING_BITS as u32,
                RING_BITS as u32,
                true,
            ))),
            c_r: REGS.iter().map(|&r| k(r / 4)).collect(),
            c_info_first: k(mb::INFO / 4),
            c_info_end: k(mb::INFO / 4 + INFO_WORDS.len() as u64),
            c_lane: (0..4).map(k).collect(),
        }
    }
}

impl Logic for Mailbox {
    #[hdl_gen]
    fn update(&mut self) {
        clock!(self, clock, dev);
        dff_setup!(
            self, clock, control, h_tail, h_head, d_tail, d_head, pending, soft_reset, irq_r,
            a_ack, a_src, a_reg, host_read
        );
        self.dev.reset.next = self.reset.val() | self.soft_reset.q.val();
        self.round.next = self.dev.round.val();
        self.on.next = self.control.q.val().get_bit(0) & !self.soft_reset.q.val();
        self.soft_reset.d.next = false;

        // The access: its register or ring place.
        self.word.next = self.addr.val();
        self.region.next = self.word.val().get_bits::<2>(10);
        self.rno.next = self.word.val().get_bits::<10>(0);
        self.lane.next = self.word.val().get_bits::<LANE_BITS>(0);
        self.info.address.next = self.rno.val().get_bits::<INFO_ROM_BITS>(0)
            - self.c_info_first.val().get_bits::<INFO_ROM_BITS>(0);
        self.a_ack.d.next = self.strobe.val();
        self.a_src.d.next = 0.into();
        self.host_read.d.next = false;
        for i in 0..4 {
            self.h2d[i].write_clock.next = self.clock.val();
            self.h2d[i].read_clock.next = self.clock.val();
            self.d2h[i].write_clock.next = self.clock.val();
            self.d2h[i].read_clock.next = self.clock.val();
            self.h2d[i].write_address.next = self.lane.val();
            self.h2d[i].write_data.next = self.wdata.val().get_bits::<8>(8 * i);
            self.h2d[i].write_enable.next = false;
            self.d2h[i].read_address.next = self.lane.val();
        }
        // A read's value, registered (a ring's comes from its memories).
        self.val.next = 0.into();
        if self.rno.val() == self.c_r[0].val() {
            self.val.next = self.c_magic.val();
        }
        if self.rno.val() == self.c_r[1].val() {
            self.val.next = self.c_version.val();
        }
        if self.rno.val() == self.c_r[2].val() {
            self.val.next = self.c_caps.val();
        }
        if self.rno.val() == self.c_r[3].val() {
            self.val.next = bit_cast::<32, 2>(self.control.q.val());
        }
        if self.rno.val() == self.c_r[4].val() {
            self.val.next = self.h_tail.q.val();
        }
        if self.rno.val() == self.c_r[5].val() {
            self.val.next = self.h_head.q.val();
        }
        if self.rno.val() == self.c_r[6].val() {
            self.val.next = self.d_tail.q.val();
        }
        if self.rno.val() == self.c_r[7].val() {
            self.val.next = self.d_head.q.val();
        }
        if (self.rno.val() == self.c_r[8].val()) & self.pending.q.val() {
            self.val.next = 1.into();
        }
        if (self.rno.val() >= self.c_info_first.val()) & (self.rno.val() < self.c_info_end.val()) {
            self.val.next = self.info.data.val();
        }
        if self.region.val() != 0 {
            self.val.next = 0.into();
        }
        self.a_reg.d.next = self.val.val();
        if self.strobe.val() & !self.we.val() {
            self.a_src.d.next = self.region.val();
            if self.region.val() == 1 {
                self.host_read.d.next = true;
            }
        }
        if self.strobe.val() & self.we.val() {
            if self.region.val() == 0 {
                if self.rno.val() == self.c_r[3].val() {
                    self.control.d.next = self.wdata.val().get_bits::<2>(0);
                    self.soft_reset.d.next = self.wdata.val().get_bit(2);
                }
                if self.rno.val() == self.c_r[4].val() {
                    self.h_tail.d.next = self.wdata.val();
                }
                if self.rno.val() == self.c_r[7].val() {
                    self.d_head.d.next = self.wdata.val();
                }
                if (self.rno.val() == self.c_r[8].val()) & self.wdata.val().get_bit(0) {
                    self.pending.d.next = false;
                }
            }
            if self.region.val() == 1 {
                for i in 0..4 {
                    self.h2d[i].write_enable.next = self.wstrb.val().get_bit(i);
                }
            }
        }
        self.ack.next = self.a_ack.q.val();
        self.rdata.next = self.a_reg.q.val();
        if self.a_src.q.val() == 1 {
            self.rdata.next = bit_cast::<32, 8>(self.h2d[0].read_data.val())
                | (bit_cast::<32, 8>(self.h2d[1].read_data.val()) << 8)
                | (bit_cast::<32, 8>(self.h2d[2].read_data.val()) << 16)
                | (bit_cast::<32, 8>(self.h2d[3].read_data.val()) << 24);
        }
        if self.a_src.q.val() == 2 {
            self.rdata.next = bit_cast::<32, 8>(self.d2h[0].read_data.val())
                | (bit_cast::<32, 8>(self.d2h[1].read_data.val()) << 8)
                | (bit_cast::<32, 8>(self.d2h[2].read_data.val()) << 16)
                | (bit_cast::<32, 8>(self.d2h[3].read_data.val()) << 24);
        }

        // Host to device: the byte at `h_head`, read a clock ahead, goes in
        // while the device's FIFO has room (the host's reads of this ring
        // take the read port for a clock).
        self.fb.next = self.h2d[0].read_data.val();
        for i in 0..4 {
            if self.h_head.q.val().get_bits::<2>(0) == self.c_lane[i].val() {
                self.fb.next = self.h2d[i].read_data.val();
            }
        }
        self.take.next = self.on.val()
            & (self.h_head.q.val() != self.h_tail.q.val())
            & self.dev.rx_ok.val()
            & !self.host_read.q.val();
        self.dev.rx_valid.next = self.take.val();
        self.dev.rx_data.next = self.fb.val();
        self.next_head.next = self.h_head.q.val();
        if self.take.val() {
            self.next_head.next = self.h_head.q.val() + 1;
        }
        self.h_head.d.next = self.next_head.val();
        for i in 0..4 {
            self.h2d[i].read_address.next = self.next_head.val().get_bits::<LANE_BITS>(2);
            if self.strobe.val() & !self.we.val() & (self.region.val() == 1) {
                self.h2d[i].read_address.next = self.lane.val();
            }
        }

        // Device to host: a byte a clock while the ring has room; the
        // interrupt is pending once it goes from empty to not empty.
        self.d_used.next = self.d_tail.q.val() - self.d_head.q.val();
        self.room.next = self.d_used.val().get_bits::<20>(12) == 0;
        self.dev.tx_ready.next = self.on.val() & self.room.val();
        self.put.next = self.on.val() & self.room.val() & self.dev.tx_valid.val();
        for i in 0..4 {
            self.d2h[i].write_address.next = self.d_tail.q.val().get_bits::<LANE_BITS>(2);
            self.d2h[i].write_data.next = self.dev.tx_data.val();
            self.d2h[i].write_enable.next =
                self.put.val() & (self.d_tail.q.val().get_bits::<2>(0) == self.c_lane[i].val());
        }
        if self.put.val() {
            self.d_tail.d.next = self.d_tail.q.val() + 1;
            if !self.d_used.val().any() {
                self.pending.d.next = true;
            }
        }
        self.irq_r.d.next = self.pending.q.val() & self.control.q.val().get_bit(1);
        self.irq.next = self.irq_r.q.val();

        if self.reset.val() | self.soft_reset.q.val() {
            self.h_tail.d.next = 0.into();
            self.h_head.d.next = 0.into();
            self.d_tail.d.next = 0.into();
            self.d_head.d.next = 0.into();
            self.pending.d.next = false;
        }
        if self.reset.val() {
            self.control.d.next = 0.into();
        }
    }
}

/// `Mailbox` behind a Wishbone-classic slave port (32-bit data, word
/// addresses, byte selects): the `tidekv_mmio` top. Every input passes a
/// register; an access is acked three clocks after its strobe is seen, and
/// the next is taken two clocks after the ack (the registered strobe still
/// shows the finished access for a clock).
#[derive(LogicBlock)]
pub struct WishboneMailbox {
    pub clock: Signal<In, Clock>,
    pub reset: Signal<In, bool>,
    pub wb_cyc: Signal<In, bool>,
    pub wb_stb: Signal<In, bool>,
    pub wb_we: Signal<In, bool>,
    pub wb_adr: Signal<In, Bits<WB_ADDR_BITS>>,
    pub wb_dat_w: Signal<In, W32>,
    pub wb_sel: Signal<In, Bits<4>>,
    pub wb_dat_r: Signal<Out, W32>,
    pub wb_ack: Signal<Out, bool>,
    pub irq: Signal<Out, bool>,
    pub round: Signal<Out, Round>,
    mb: Mailbox,
    i_reset: DFF<bool>,
    i_go: DFF<bool>,
    i_we: DFF<bool>,
    i_adr: DFF<Bits<WB_ADDR_BITS>>,
    i_dat: DFF<W32>,
    i_sel: DFF<Bits<4>>,
    /// An access is under way (from its strobe to a clock after its ack).
    busy: DFF<bool>,
    acked: DFF<bool>,
    go: Signal<Local, bool>,
}

impl Default for WishboneMailbox {
    fn default() -> Self {
        WishboneMailbox::new()
    }
}

impl WishboneMailbox {
    pub fn new() -> WishboneMailbox {
        WishboneMailbox {
            clock: Default::default(),
            reset: Default::default(),
            wb_cyc: Default::default(),
            wb_stb: Default::default(),
            wb_we: Default::default(),
            wb_adr: Default::default(),
            wb_dat_w: Default::default(),
            wb_sel: Default::default(),
            wb_dat_r: Default::default(),
            wb_ack: Default::default(),
            irq: Default::default(),
            round: Default::default(),
            mb: Mailbox::new(),
            i_reset: Default::default(),
            i_go: Default::default(),
            i_we: Default::default(),
            i_adr: Default::default(),
            i_dat: Default::default(),
            i_sel: Default::default(),
            busy: Default::default(),
            acked: Default::default(),
            go: Default::default(),
        }
    }
}

impl Logic for WishboneMailbox {
    #[hdl_gen]
    fn update(&mut self) {
        clock!(self, clock, mb);
        dff_setup!(self, clock, i_reset, i_go, i_we, i_adr, i_dat, i_sel, busy, acked);
        self.i_reset.d.next = self.reset.val();
        self.i_go.d.next = self.wb_cyc.val() & self.wb_stb.val();
        self.i_we.d.next = self.wb_we.val();
        self.i_adr.d.next = self.wb_adr.val();
        self.i_dat.d.next = self.wb_dat_w.val();
        self.i_sel.d.next = self.wb_sel.val();
        self.go.next = self.i_go.q.val() & !self.busy.q.val();
        self.mb.reset.next = self.i_reset.q.val();
        self.mb.strobe.next = self.go.val();
        self.mb.we.next = self.i_we.q.val();
        self.mb.addr.next = self.i_adr.q.val();
        self.mb.wdata.next = self.i_dat.q.val();
        self.mb.wstrb.next = self.i_sel.q.val();
        self.acked.d.next = self.mb.ack.val();
        if self.go.val() {
            self.busy.d.next = true;
        }
        if self.acked.q.val() | self.i_reset.q.val() {
            self.busy.d.next = false;
        }
        self.wb_ack.next = self.mb.ack.val();
        self.wb_dat_r.next = self.mb.rdata.val();
        self.irq.next = self.mb.irq.val();
        self.round.next = self.mb.round.val();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::yosys_check;

    #[test]
    fn mailbox_generates_and_synthesizes() {
        let mut d = WishboneMailbox::new();
        d.connect_all();
        yosys_check("wishbone_mailbox", &generate_verilog(&d));
    }
}
