//! The PCIe mailbox's register map (issue 23): what BAR 0 of the MMIO
//! device top holds, written once here for the gateware, the host's
//! transport and the virtual device. 32-bit registers at byte offsets; no
//! register has a side effect on read, so polling is safe.
//!
//! Two byte rings carry the link's frames (the same SLIP frames as the
//! UART): host to device (`H2D`) and device to host (`D2H`). Each has a
//! free-running 32-bit byte index per side: the producer's `TAIL` (bytes
//! written so far) and the consumer's `HEAD` (bytes taken so far); the
//! bytes between are in the ring at `index mod size`, four to a register,
//! little-endian. The device stops taking bytes when `H2D` is empty and
//! stops sending when `D2H` is full: back-pressure, no byte is ever lost.

/// `MAGIC`'s value: "tdkv" little-endian.
pub const MAGIC_VALUE: u32 = u32::from_le_bytes(*b"tdkv");
/// This register map's version (`VERSION` bits 0..16; the link protocol's
/// `PROTOCOL_VERSION` is bits 16..32).
pub const MAILBOX_VERSION: u32 = 1;

/// Read-only: `MAGIC_VALUE`.
pub const MAGIC: u64 = 0x00;
/// Read-only: `PROTOCOL_VERSION << 16 | MAILBOX_VERSION`.
pub const VERSION: u64 = 0x04;
/// Read-only: log2 of the H2D ring's bytes (bits 0..8), of the D2H ring's
/// (8..16); bit 16: an interrupt output is wired.
pub const CAPS: u64 = 0x08;
/// Read-only: the build's `DeviceInfo` words (`INFO_WORDS` of them).
pub const INFO: u64 = 0x40;
/// Words of `INFO`.
pub const INFO_WORDS: usize = 24;
/// Read-write: bit 0 enable (the device takes and sends bytes), bit 1
/// interrupt enable; bit 2 reset (writing 1 resets the device and both
/// rings' indices; it reads back 0).
pub const CONTROL: u64 = 0x10;
pub const CONTROL_ENABLE: u32 = 1;
pub const CONTROL_IRQ: u32 = 2;
pub const CONTROL_RESET: u32 = 4;
/// Host-written: H2D bytes written so far.
pub const H2D_TAIL: u64 = 0x20;
/// Device-written: H2D bytes taken so far.
pub const H2D_HEAD: u64 = 0x24;
/// Device-written: D2H bytes written so far.
pub const D2H_TAIL: u64 = 0x28;
/// Host-written: D2H bytes taken so far.
pub const D2H_HEAD: u64 = 0x2c;
/// Host-written: any write asks the device to look at `H2D_TAIL` (a
/// device may also poll it).
pub const DOORBELL: u64 = 0x30;
/// Read: bit 0 the interrupt is pending (D2H went from empty to not
/// empty since the last write of 1 here, which clears it).
pub const IRQ_STATUS: u64 = 0x34;
/// The H2D ring's first register.
pub const H2D_RING: u64 = 0x1000;
/// The D2H ring's first register.
pub const D2H_RING: u64 = 0x2000;
/// The smallest BAR that holds the map with rings of `h2d` and `d2h` bytes.
pub fn bar_bytes(h2d: u32, d2h: u32) -> u64 {
    (D2H_RING + u64::from(d2h)).max(H2D_RING + u64::from(h2d))
}

/// `CAPS` of rings of `1 << h2d_log2` and `1 << d2h_log2` bytes.
pub fn caps(h2d_log2: u32, d2h_log2: u32, irq: bool) -> u32 {
    h2d_log2 | d2h_log2 << 8 | u32::from(irq) << 16
}

/// Ring bytes (H2D, D2H) and the interrupt bit from `CAPS`.
pub fn decode_caps(w: u32) -> (u32, u32, bool) {
    (1 << (w & 0xff), 1 << (w >> 8 & 0xff), w >> 16 & 1 == 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_map_does_not_overlap() {
        let regs = [
            MAGIC, VERSION, CAPS, CONTROL, H2D_TAIL, H2D_HEAD, D2H_TAIL, D2H_HEAD, DOORBELL,
            IRQ_STATUS,
        ];
        for (i, a) in regs.iter().enumerate() {
            assert_eq!(a % 4, 0);
            assert!(*a < INFO, "{a:#x}");
            assert!(!regs[..i].contains(a), "{a:#x} twice");
        }
        assert!(INFO + 4 * INFO_WORDS as u64 <= H2D_RING);
        assert_eq!(decode_caps(caps(9, 10, true)), (512, 1024, true));
        assert_eq!(bar_bytes(4096, 4096), 0x3000);
        assert_eq!(MAGIC_VALUE.to_le_bytes(), *b"tdkv");
        assert!(crate::link::INFO_FIELDS.len() <= INFO_WORDS);
    }
}
