//! UART PHY: 8N1 receive and transmit at `clocks_per_bit` clocks per bit
//! (a build parameter, `tidekv_defs::link::LinkParams`). The receiver
//! samples the middle of each bit after a two-register synchroniser; a byte
//! whose stop bit is low is discarded (the frame it belonged to then fails
//! its CRC). The byte-stream side is what `device::Device` takes, so that
//! another transport can replace this PHY.

use rust_hdl::prelude::*;

/// Width of the bit-period counter.
pub const DIV_BITS: usize = 16;

#[derive(LogicBlock)]
pub struct UartRx {
    pub clock: Signal<In, Clock>,
    pub rx: Signal<In, bool>,
    /// One clock per received byte.
    pub valid: Signal<Out, bool>,
    pub data: Signal<Out, Bits<8>>,
    sync1: DFF<bool>,
    sync2: DFF<bool>,
    /// 0 idle, 1 start bit, 2 data bits, 3 stop bit.
    state: DFF<Bits<2>>,
    cnt: DFF<Bits<DIV_BITS>>,
    bit_no: DFF<Bits<3>>,
    shift: DFF<Bits<8>>,
    out_valid: DFF<bool>,
    c_last: Constant<Bits<DIV_BITS>>,
    c_half: Constant<Bits<DIV_BITS>>,
}

impl UartRx {
    pub fn new(clocks_per_bit: u32) -> UartRx {
        assert!(
            (4..1 << DIV_BITS).contains(&clocks_per_bit),
            "clocks per bit {clocks_per_bit} out of range"
        );
        UartRx {
            clock: Default::default(),
            rx: Default::default(),
            valid: Default::default(),
            data: Default::default(),
            sync1: Default::default(),
            sync2: Default::default(),
            state: Default::default(),
            cnt: Default::default(),
            bit_no: Default::default(),
            shift: Default::default(),
            out_valid: Default::default(),
            c_last: Constant::new(u64::from(clocks_per_bit - 1).into()),
            c_half: Constant::new(u64::from(clocks_per_bit / 2 - 1).into()),
        }
    }
}

impl Logic for UartRx {
    // The nested ifs are the state machine's states and, inside each, its
    // events, as rust-hdl's hdl_gen writes them into Verilog.
    #[allow(clippy::collapsible_if)]
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, sync1, sync2, state, cnt, bit_no, shift, out_valid);
        self.sync1.d.next = self.rx.val();
        self.sync2.d.next = self.sync1.q.val();
        self.out_valid.d.next = false;
        self.cnt.d.next = self.cnt.q.val() + 1;
        if self.state.q.val() == 0 {
            self.cnt.d.next = 0.into();
            if !self.sync2.q.val() {
                self.state.d.next = 1.into();
            }
        }
        if self.state.q.val() == 1 {
            if self.cnt.q.val() == self.c_half.val() {
                self.cnt.d.next = 0.into();
                self.bit_no.d.next = 0.into();
                if self.sync2.q.val() {
                    self.state.d.next = 0.into();
                } else {
                    self.state.d.next = 2.into();
                }
            }
        }
        if self.state.q.val() == 2 {
            if self.cnt.q.val() == self.c_last.val() {
                self.cnt.d.next = 0.into();
                self.shift.d.next = self.shift.q.val() >> 1;
                if self.sync2.q.val() {
                    self.shift.d.next = (self.shift.q.val() >> 1) | 0x80_u64;
                }
                self.bit_no.d.next = self.bit_no.q.val() + 1;
                if self.bit_no.q.val() == 7 {
                    self.state.d.next = 3.into();
                }
            }
        }
        if self.state.q.val() == 3 {
            if self.cnt.q.val() == self.c_last.val() {
                self.cnt.d.next = 0.into();
                self.state.d.next = 0.into();
                self.out_valid.d.next = self.sync2.q.val();
            }
        }
        self.valid.next = self.out_valid.q.val();
        self.data.next = self.shift.q.val();
    }
}

#[derive(LogicBlock)]
pub struct UartTx {
    pub clock: Signal<In, Clock>,
    /// A byte is taken in a clock with `valid` and `ready`.
    pub valid: Signal<In, bool>,
    pub data: Signal<In, Bits<8>>,
    pub ready: Signal<Out, bool>,
    pub tx: Signal<Out, bool>,
    /// Start, eight data bits and stop, sent from bit 0: idle is all ones.
    shift: DFF<Bits<10>>,
    /// Bits left to send.
    left: DFF<Bits<4>>,
    cnt: DFF<Bits<DIV_BITS>>,
    /// The line is driven from `!line_n` so that it idles high after reset.
    line_n: DFF<bool>,
    c_last: Constant<Bits<DIV_BITS>>,
}

impl UartTx {
    pub fn new(clocks_per_bit: u32) -> UartTx {
        assert!(
            (4..1 << DIV_BITS).contains(&clocks_per_bit),
            "clocks per bit {clocks_per_bit} out of range"
        );
        UartTx {
            clock: Default::default(),
            valid: Default::default(),
            data: Default::default(),
            ready: Default::default(),
            tx: Default::default(),
            shift: Default::default(),
            left: Default::default(),
            cnt: Default::default(),
            line_n: Default::default(),
            c_last: Constant::new(u64::from(clocks_per_bit - 1).into()),
        }
    }
}

impl Logic for UartTx {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, shift, left, cnt, line_n);
        self.ready.next = !self.left.q.val().any();
        self.tx.next = !self.line_n.q.val();
        if self.left.q.val().any() {
            self.cnt.d.next = self.cnt.q.val() + 1;
            if self.cnt.q.val() == self.c_last.val() {
                self.cnt.d.next = 0.into();
                self.left.d.next = self.left.q.val() - 1;
                self.shift.d.next = self.shift.q.val() >> 1;
                // The next bit (stop, then idle) once this one is done.
                self.line_n.d.next = !self.shift.q.val().get_bit(1);
                if self.left.q.val() == 1 {
                    self.line_n.d.next = false;
                }
            }
        } else if self.valid.val() {
            // Stop bit (1), the data, start bit (0).
            self.shift.d.next = (bit_cast::<10, 8>(self.data.val()) << 1) | 0x200_u64;
            self.left.d.next = 10.into();
            self.cnt.d.next = 0.into();
            self.line_n.d.next = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{clocks, settle, yosys_check};

    #[test]
    fn uart_generates_and_synthesizes() {
        let mut rx = UartRx::new(16);
        rx.connect_all();
        yosys_check("uart_rx", &generate_verilog(&rx));
        let mut tx = UartTx::new(16);
        tx.connect_all();
        yosys_check("uart_tx", &generate_verilog(&tx));
    }

    /// Bytes sent by the transmitter come out of the receiver, at an odd
    /// divisor, back to back.
    #[derive(LogicBlock)]
    struct Loop {
        clock: Signal<In, Clock>,
        valid: Signal<In, bool>,
        data: Signal<In, Bits<8>>,
        tx: UartTx,
        rx: UartRx,
    }

    impl Logic for Loop {
        #[hdl_gen]
        fn update(&mut self) {
            clock!(self, clock, tx, rx);
            self.tx.valid.next = self.valid.val();
            self.tx.data.next = self.data.val();
            self.rx.rx.next = self.tx.tx.val();
        }
    }

    #[test]
    fn uart_loops_back() {
        let div = 7;
        let mut l = Loop {
            clock: Default::default(),
            valid: Default::default(),
            data: Default::default(),
            tx: UartTx::new(div),
            rx: UartRx::new(div),
        };
        l.connect_all();
        clocks(&mut l, 30, |l| &mut l.clock);
        let send = [0x55u8, 0x00, 0xff, 0xc0, 0x3a];
        let mut got = Vec::new();
        let mut next = 0;
        let mut lines = Vec::new();
        for _ in 0..(send.len() as u32 + 2) * 10 * div {
            l.valid.next = next < send.len();
            l.data.next = u64::from(*send.get(next).unwrap_or(&0)).into();
            settle(&mut l);
            lines.push(l.tx.tx.val());
            if l.tx.ready.val() && next < send.len() {
                next += 1;
            }
            if l.rx.valid.val() {
                got.push(l.rx.data.val().to_u8());
            }
            clocks(&mut l, 1, |l| &mut l.clock);
        }
        assert_eq!(got, send);
        // 8N1: a byte is ten bit periods on the line, back to back.
        let lows = lines.windows(2).filter(|w| w[0] && !w[1]).count();
        assert!(lows >= send.len(), "start bits seen: {lows}");
    }
}
