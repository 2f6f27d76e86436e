//! The core's input registers. Every input of the core is registered here
//! before any logic of the core sees it, so the core's logic hangs on
//! registers only: it times from a clock edge on an FPGA, and Verilator
//! evaluates it once a clock instead of again whenever an input changes.
//!
//! - `run`, `reset` and the command port are registered as they come (the
//!   core acts on them a clock later).
//! - The clients' requests are taken at their issue strobe into `i_*`
//!   (the request stage of docs/DESIGN.md, "RTL timing"): the client's own,
//!   or the load generator's during a generator run.

use crate::params::*;
use rust_hdl::prelude::*;

#[derive(LogicBlock, Default)]
pub struct CorePort {
    pub clock: Signal<In, Clock>,
    // ---- the core's inputs
    pub run: Signal<In, bool>,
    pub reset: Signal<In, bool>,
    pub cmd_valid: Signal<In, bool>,
    pub cmd_code: Signal<In, CmdCode>,
    pub cmd_addr: Signal<In, CmdAddr>,
    pub cmd_data: Signal<In, Bits<64>>,
    pub issue_valid: Signal<In, bool>,
    pub issue_op: Signal<In, OpCode>,
    pub issue_key: Signal<In, Key>,
    pub issue_value: Signal<In, Value>,
    // ---- from the body (all from its registers)
    /// The command port is idle: a command presented now is taken.
    pub idle: Signal<In, bool>,
    /// The core advances this clock, and this clock is a client's issue slot.
    pub go: Signal<In, bool>,
    pub slot_now: Signal<In, bool>,
    pub client: Signal<In, Client>,
    /// The schedule copy a request issued now is routed with.
    pub sel: Signal<In, Copy>,
    pub do_reset: Signal<In, bool>,
    /// A generator run feeds the ports instead of the clients.
    pub gen: Signal<In, bool>,
    pub gen_valid: Signal<In, bool>,
    pub gen_op: Signal<In, OpCode>,
    pub gen_key: Signal<In, Key>,
    pub gen_value: Signal<In, Value>,
    // ---- registered (`r_*`)
    pub in_run: Signal<Out, bool>,
    pub in_reset: Signal<Out, bool>,
    pub in_cmd_valid: Signal<Out, bool>,
    pub in_cmd_code: Signal<Out, CmdCode>,
    pub in_cmd_addr: Signal<Out, CmdAddr>,
    pub in_cmd_data: Signal<Out, Bits<64>>,
    /// The request of the last issue slot: a client asked (`requested`),
    /// and it is one (`valid`); `new`: it was taken in the last clock.
    pub i_valid: Signal<Out, bool>,
    pub i_requested: Signal<Out, bool>,
    pub i_new: Signal<Out, bool>,
    pub i_client: Signal<Out, Client>,
    pub i_sel: Signal<Out, Copy>,
    pub i_op: Signal<Out, OpCode>,
    pub i_key: Signal<Out, Key>,
    pub i_value: Signal<Out, Value>,
    // (a child's child's ports cannot be read: the registers are private)
    r_in_run: DFF<bool>,
    r_in_reset: DFF<bool>,
    r_in_cmd_valid: DFF<bool>,
    r_in_cmd_code: DFF<CmdCode>,
    r_in_cmd_addr: DFF<CmdAddr>,
    r_in_cmd_data: DFF<Bits<64>>,
    r_i_valid: DFF<bool>,
    r_i_requested: DFF<bool>,
    r_i_new: DFF<bool>,
    r_i_client: DFF<Client>,
    r_i_sel: DFF<Copy>,
    r_i_op: DFF<OpCode>,
    r_i_key: DFF<Key>,
    r_i_value: DFF<Value>,
    // ---- the request slot's source
    x_valid: Signal<Local, bool>,
    x_op: Signal<Local, OpCode>,
    x_key: Signal<Local, Key>,
    x_value: Signal<Local, Value>,
}

impl Logic for CorePort {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self,
            clock,
            r_in_run,
            r_in_reset,
            r_in_cmd_valid,
            r_in_cmd_code,
            r_in_cmd_addr,
            r_in_cmd_data,
            r_i_valid,
            r_i_requested,
            r_i_new,
            r_i_client,
            r_i_sel,
            r_i_op,
            r_i_key,
            r_i_value
        );
        self.in_run.next = self.r_in_run.q.val();
        self.in_reset.next = self.r_in_reset.q.val();
        self.in_cmd_valid.next = self.r_in_cmd_valid.q.val();
        self.in_cmd_code.next = self.r_in_cmd_code.q.val();
        self.in_cmd_addr.next = self.r_in_cmd_addr.q.val();
        self.in_cmd_data.next = self.r_in_cmd_data.q.val();
        self.i_valid.next = self.r_i_valid.q.val();
        self.i_requested.next = self.r_i_requested.q.val();
        self.i_new.next = self.r_i_new.q.val();
        self.i_client.next = self.r_i_client.q.val();
        self.i_sel.next = self.r_i_sel.q.val();
        self.i_op.next = self.r_i_op.q.val();
        self.i_key.next = self.r_i_key.q.val();
        self.i_value.next = self.r_i_value.q.val();
        self.r_in_run.d.next = self.run.val();
        self.r_in_reset.d.next = self.reset.val();
        self.r_in_cmd_valid.d.next = self.cmd_valid.val() & self.idle.val();
        self.r_in_cmd_code.d.next = self.cmd_code.val();
        self.r_in_cmd_addr.d.next = self.cmd_addr.val();
        self.r_in_cmd_data.d.next = self.cmd_data.val();

        self.x_valid.next = self.issue_valid.val();
        self.x_op.next = self.issue_op.val();
        self.x_key.next = self.issue_key.val();
        self.x_value.next = self.issue_value.val();
        if self.gen.val() {
            self.x_valid.next = self.gen_valid.val();
            self.x_op.next = self.gen_op.val();
            self.x_key.next = self.gen_key.val();
            self.x_value.next = self.gen_value.val();
        }
        if self.go.val() {
            self.r_i_requested.d.next = self.slot_now.val() & self.x_valid.val();
            self.r_i_valid.d.next = self.slot_now.val() & self.x_valid.val();
            self.r_i_client.d.next = self.client.val();
            self.r_i_sel.d.next = self.sel.val();
            self.r_i_op.d.next = self.x_op.val();
            self.r_i_key.d.next = self.x_key.val();
            self.r_i_value.d.next = self.x_value.val();
        }
        self.r_i_new.d.next =
            self.go.val() & self.slot_now.val() & self.x_valid.val() & !self.do_reset.val();
        if self.do_reset.val() {
            self.r_i_valid.d.next = false;
            self.r_i_requested.d.next = false;
        }
    }
}
