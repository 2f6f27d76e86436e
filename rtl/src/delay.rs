//! A link of the round structure: every node handles client slot `k` at a
//! fixed clock of its round, so a link from one node to the next is a delay
//! line of fixed length (docs/DESIGN.md, "RTL timing"). It advances only
//! while the core runs.

use rust_hdl::prelude::*;

#[derive(LogicBlock)]
pub struct Delay<T: Synth> {
    pub clock: Signal<In, Clock>,
    pub run: Signal<In, bool>,
    /// Empty the line (reset).
    pub clear: Signal<In, bool>,
    pub d: Signal<In, T>,
    pub q: Signal<Out, T>,
    line: Vec<DFF<T>>,
    bypass: Constant<bool>,
    zero: Constant<T>,
}

impl<T: Synth> Delay<T> {
    /// A delay of `clocks` run clocks (0: a wire).
    pub fn new(clocks: usize) -> Self {
        Delay {
            clock: Default::default(),
            run: Default::default(),
            clear: Default::default(),
            d: Default::default(),
            q: Default::default(),
            line: (0..clocks.max(1)).map(|_| DFF::default()).collect(),
            bypass: Constant::new(clocks == 0),
            zero: Constant::new(T::default()),
        }
    }
}

impl<T: Synth> Logic for Delay<T> {
    #[hdl_gen]
    fn update(&mut self) {
        self.q.next = self.d.val();
        for i in 0..self.line.len() {
            self.line[i].clock.next = self.clock.val();
            self.line[i].d.next = self.line[i].q.val();
        }
        if self.run.val() {
            self.line[0].d.next = self.d.val();
            for i in 1..self.line.len() {
                self.line[i].d.next = self.line[i - 1].q.val();
            }
        }
        if self.clear.val() {
            for i in 0..self.line.len() {
                self.line[i].d.next = self.zero.val();
            }
        }
        if !self.bypass.val() {
            for i in 0..self.line.len() {
                self.q.next = self.line[i].q.val();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{clocks, settle, yosys_check};

    #[test]
    fn delay_generates_and_synthesizes() {
        let mut d = Delay::<Bits<4>>::new(3);
        d.connect_all();
        yosys_check("delay", &generate_verilog(&d));
    }

    #[test]
    fn delay_holds_while_stopped() {
        let mut d = Delay::<Bits<4>>::new(2);
        d.connect_all();
        d.run.next = true;
        let mut seen = vec![];
        for i in 1..=6u64 {
            d.d.next = i.into();
            d.run.next = i != 3; // one stalled clock
            clocks(&mut d, 1, |d| &mut d.clock);
            seen.push(d.q.val().to_u64());
        }
        assert_eq!(seen, vec![0, 1, 1, 2, 4, 5]);
        d.clear.next = true;
        clocks(&mut d, 1, |d| &mut d.clock);
        d.clear.next = false;
        settle(&mut d);
        assert_eq!(d.q.val().to_u64(), 0, "cleared");
    }
}
