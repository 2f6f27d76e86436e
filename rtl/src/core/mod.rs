//! The core: clients' ports, the FE tree, every shard replica and the round
//! sequencer, for the configuration this crate was built for (`params`).
//! The model it equals is `tidekv_sim::model::Model`.
//!
//! Timing (docs/DESIGN.md, "RTL timing"): a round is `T` clocks; every node
//! handles client slot `k` at a fixed clock of its round (`k`, or `C + k`
//! for a replica's serve pass), and every link is a delay line from one
//! node's output register to the next node's input (`links`).
//!
//! Ports, per round, one client slot per clock at phase `k < C`:
//! - `run`: registered; high in a clock, it starts a round at the next
//!   boundary, and a round once begun runs to its end (held high, rounds
//!   follow back to back). `is_paused`: at a boundary, starting nothing.
//! - `issue_*`: the core shows `issue_client = k` with `issue_strobe`; the
//!   wrapper answers in the same clock with that client's request (it goes
//!   straight into a register, `CorePort`).
//! - `resp_*`: at phase `k < C`, client `k`'s answer to what it issued in
//!   round `resp_round` (`resp_issued` says whether it issued one).
//! - `cmd_*`: the command port of `tidekv_defs::regs` (schedules, failures,
//!   counters, generator mode, reset), registered; docs/DESIGN.md,
//!   "Command port".
//!
//! The core is `CorePort` (the input registers) and `CoreBody` (the rest);
//! this block only wires them, so that no logic of the body hangs on an
//! input.

pub mod body;
pub mod links;
pub mod port;

use crate::params::*;
pub use body::{CoreBody, PolicyCode, FE_HASH_OUT};
use port::CorePort;
use rust_hdl::prelude::*;

#[derive(LogicBlock)]
pub struct Core {
    /// The one clock.
    pub clock: Signal<In, Clock>,
    /// Synchronous reset, as the `Reset` command: empty every table and
    /// link, round 0, the build's schedule. Registered: hold it two clocks
    /// after power-up; the core is `busy` while it wipes the tables.
    pub reset: Signal<In, bool>,
    /// Registered: high in a clock, a round starts at the next boundary
    /// (the core runs a round it began to its end).
    pub run: Signal<In, bool>,
    /// The round in progress.
    pub round: Signal<Out, Round>,
    /// The clock within the round, 0..T.
    pub phase: Signal<Out, Phase>,
    pub issue_strobe: Signal<Out, bool>,
    pub issue_client: Signal<Out, Client>,
    /// `issue_client` of the next clock.
    pub issue_next: Signal<Out, Client>,
    pub issue_valid: Signal<In, bool>,
    pub issue_op: Signal<In, OpCode>,
    pub issue_key: Signal<In, Key>,
    pub issue_value: Signal<In, Value>,
    pub resp_strobe: Signal<Out, bool>,
    pub resp_client: Signal<Out, Client>,
    pub resp_round: Signal<Out, Round>,
    pub resp_issued: Signal<Out, bool>,
    pub resp_status: Signal<Out, StatusCode>,
    pub resp_has_value: Signal<Out, bool>,
    pub resp_value: Signal<Out, Value>,
    /// The same answer packed as a response slot (`tidekv_defs::layout`),
    /// all zeros when the client issued nothing.
    pub resp_slot: Signal<Out, Bits<RESP_PAD_BITS>>,
    /// Command port (`tidekv_defs::regs`): a command is taken in a clock
    /// with `cmd_valid` while `busy` is low; `cmd_done` pulses with its answer.
    pub cmd_valid: Signal<In, bool>,
    pub cmd_code: Signal<In, CmdCode>,
    pub cmd_addr: Signal<In, CmdAddr>,
    pub cmd_data: Signal<In, Bits<64>>,
    pub cmd_done: Signal<Out, bool>,
    pub cmd_status: Signal<Out, Bits<3>>,
    pub cmd_rdata: Signal<Out, Bits<64>>,
    /// A command is executing (a sweep or a generator run).
    pub busy: Signal<Out, bool>,
    /// The calendar lets the request issued at the last issue strobe in
    /// (shown from the clock after that strobe until the next run clock:
    /// the core's own decision, `issue_*` of a closed port is answered
    /// `unavailable`).
    pub issue_open: Signal<Out, bool>,
    /// At a round boundary, idle, and not about to start a round: commands
    /// that act on the round structure run now.
    pub is_paused: Signal<Out, bool>,
    /// The core advances this clock (its links and every node).
    pub going: Signal<Out, bool>,
    port: CorePort,
    body: CoreBody,
    /// The body's `go`, `idle & (in_run | phase != 0)` or a generator run
    /// short of its stop, as a register: computed from the next values of
    /// the body's state, `in_run` (this clock's `run`), phase and `at_stop`,
    /// so it equals the combinational term every clock. `go` enables nearly every
    /// register of the core; from a register it is no longer the head of
    /// their enables' paths. (Here, not in the body, so that the body reads
    /// no top-level input: Verilator evaluates a block that does, and
    /// everything it drives, on every `eval()`.)
    go_r: DFF<bool>,
    /// The command's fields reach the body unregistered (only `cmd_valid`
    /// is): for a wrapper that holds them from a register until the answer,
    /// as the device top does (`Core::in_device`); saves their registers.
    c_raw_cmd: Constant<bool>,
}

impl Default for Core {
    fn default() -> Self {
        Core::new()
    }
}

impl Core {
    pub fn new() -> Core {
        Core::build(false)
    }

    /// The core in the device top, which holds a command's fields in its
    /// receive register until the answer is out.
    pub fn in_device() -> Core {
        Core::build(true)
    }

    fn build(raw_cmd: bool) -> Core {
        Core {
            clock: Default::default(),
            reset: Default::default(),
            run: Default::default(),
            round: Default::default(),
            phase: Default::default(),
            issue_strobe: Default::default(),
            issue_client: Default::default(),
            issue_next: Default::default(),
            issue_valid: Default::default(),
            issue_op: Default::default(),
            issue_key: Default::default(),
            issue_value: Default::default(),
            resp_strobe: Default::default(),
            resp_client: Default::default(),
            resp_round: Default::default(),
            resp_issued: Default::default(),
            resp_status: Default::default(),
            resp_has_value: Default::default(),
            resp_value: Default::default(),
            resp_slot: Default::default(),
            cmd_valid: Default::default(),
            cmd_code: Default::default(),
            cmd_addr: Default::default(),
            cmd_data: Default::default(),
            cmd_done: Default::default(),
            cmd_status: Default::default(),
            cmd_rdata: Default::default(),
            busy: Default::default(),
            issue_open: Default::default(),
            is_paused: Default::default(),
            going: Default::default(),
            port: Default::default(),
            body: Default::default(),
            go_r: Default::default(),
            c_raw_cmd: Constant::new(raw_cmd),
        }
    }
}

impl Logic for Core {
    #[hdl_gen]
    fn update(&mut self) {
        self.port.clock.next = self.clock.val();
        self.body.clock.next = self.clock.val();
        self.port.run.next = self.run.val();
        self.port.reset.next = self.reset.val();
        self.port.cmd_valid.next = self.cmd_valid.val();
        self.port.cmd_code.next = self.cmd_code.val();
        self.port.cmd_addr.next = self.cmd_addr.val();
        self.port.cmd_data.next = self.cmd_data.val();
        self.port.issue_valid.next = self.issue_valid.val();
        self.port.issue_op.next = self.issue_op.val();
        self.port.issue_key.next = self.issue_key.val();
        self.port.issue_value.next = self.issue_value.val();
        self.port.idle.next = self.body.p_idle.val();
        self.port.go.next = self.body.p_go.val();
        self.port.slot_now.next = self.body.p_slot_now.val();
        self.port.client.next = self.body.issue_client.val();
        self.port.sel.next = self.body.p_sel.val();
        self.port.do_reset.next = self.body.p_do_reset.val();
        self.port.gen.next = self.body.p_gen.val();
        self.port.gen_valid.next = self.body.p_gen_valid.val();
        self.port.gen_op.next = self.body.p_gen_op.val();
        self.port.gen_key.next = self.body.p_gen_key.val();
        self.port.gen_value.next = self.body.p_gen_value.val();
        self.body.in_run.next = self.port.in_run.val();
        self.go_r.clock.next = self.clock.val();
        self.go_r.d.next = (self.body.go_idle_next.val()
            & (self.run.val() | self.body.go_phase_next.val()))
            | self.body.go_gen_next.val();
        self.body.go_r.next = self.go_r.q.val();
        self.body.in_reset.next = self.port.in_reset.val();
        self.body.in_cmd_valid.next = self.port.in_cmd_valid.val();
        self.body.in_cmd_code.next = self.port.in_cmd_code.val();
        self.body.in_cmd_addr.next = self.port.in_cmd_addr.val();
        self.body.in_cmd_data.next = self.port.in_cmd_data.val();
        if self.c_raw_cmd.val() {
            self.body.in_cmd_code.next = self.cmd_code.val();
            self.body.in_cmd_addr.next = self.cmd_addr.val();
            self.body.in_cmd_data.next = self.cmd_data.val();
        }
        self.body.i_valid.next = self.port.i_valid.val();
        self.body.i_requested.next = self.port.i_requested.val();
        self.body.i_new.next = self.port.i_new.val();
        self.body.i_client.next = self.port.i_client.val();
        self.body.i_sel.next = self.port.i_sel.val();
        self.body.i_op.next = self.port.i_op.val();
        self.body.i_key.next = self.port.i_key.val();
        self.body.i_value.next = self.port.i_value.val();
        self.round.next = self.body.round.val();
        self.phase.next = self.body.phase.val();
        self.issue_strobe.next = self.body.issue_strobe.val();
        self.issue_client.next = self.body.issue_client.val();
        self.issue_next.next = self.body.issue_next.val();
        self.resp_strobe.next = self.body.resp_strobe.val();
        self.resp_client.next = self.body.resp_client.val();
        self.resp_round.next = self.body.resp_round.val();
        self.resp_issued.next = self.body.resp_issued.val();
        self.resp_status.next = self.body.resp_status.val();
        self.resp_has_value.next = self.body.resp_has_value.val();
        self.resp_value.next = self.body.resp_value.val();
        self.resp_slot.next = self.body.resp_slot.val();
        self.cmd_done.next = self.body.cmd_done.val();
        self.cmd_status.next = self.body.cmd_status.val();
        self.cmd_rdata.next = self.body.cmd_rdata.val();
        self.busy.next = self.body.busy.val();
        self.issue_open.next = self.body.issue_open.val();
        self.is_paused.next = self.body.is_paused.val();
        self.going.next = self.body.going.val();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{clocks, response_of, settle, yosys_check};
    use tidekv_defs::config::mask;
    use tidekv_defs::gen::{GenConfig, OpMix};
    use tidekv_defs::hash::splitmix64;
    use tidekv_defs::regs::{gen_keys_mask, gen_mix_word};
    use tidekv_defs::regs::{Cmd, CmdStatus, Counter};
    use tidekv_defs::ReplicaPolicy;
    use tidekv_defs::{Op, Request, Response, Schedule};
    use tidekv_driver::drive;
    use tidekv_sim::model::Model;

    #[test]
    fn core_generates_and_synthesizes() {
        let mut c = Core::new();
        c.connect_all();
        yosys_check("core", &generate_verilog(&c));
    }

    /// The core under rust-hdl's simulator, driven a round or a command at a time.
    pub(crate) struct Driver {
        pub c: Box<Core>,
    }

    impl Driver {
        pub fn new() -> Driver {
            let mut c = Box::new(Core::new());
            c.connect_all();
            let mut d = Driver { c };
            // (The reset input is registered: two clocks, then the wipe.)
            d.c.reset.next = true;
            d.clock();
            d.clock();
            d.c.reset.next = false;
            d.wait_idle();
            d
        }
        fn clock(&mut self) {
            clocks(&mut *self.c, 1, |c| &mut c.clock);
        }
        fn wait_idle(&mut self) {
            for _ in 0..100_000 {
                settle(&mut *self.c);
                if !self.c.busy.val() {
                    return;
                }
                self.clock();
            }
            panic!("the core stayed busy");
        }
        /// One command; its status and rdata.
        pub fn cmd(&mut self, code: Cmd, addr: u64, data: u64) -> (CmdStatus, u64) {
            self.cmd_raw(u64::from(code.code()), addr, data)
        }
        pub fn cmd_raw(&mut self, code: u64, addr: u64, data: u64) -> (CmdStatus, u64) {
            self.wait_idle();
            self.c.cmd_valid.next = true;
            self.c.cmd_code.next = code.into();
            self.c.cmd_addr.next = addr.into();
            self.c.cmd_data.next = data.into();
            self.clock();
            self.c.cmd_valid.next = false;
            for _ in 0..1_000_000 {
                settle(&mut *self.c);
                if self.c.cmd_done.val() {
                    let st = CmdStatus::from_code(self.c.cmd_status.val().to_u64() as u8)
                        .expect("a status code");
                    let rdata = self.c.cmd_rdata.val().to_u64();
                    self.clock();
                    return (st, rdata);
                }
                self.clock();
            }
            panic!("command {code} never answered");
        }
        pub fn ok(&mut self, code: Cmd, addr: u64, data: u64) -> u64 {
            let (st, rdata) = self.cmd(code, addr, data);
            assert_eq!(st, CmdStatus::Ok, "{code} {addr} {data}");
            rdata
        }
        pub fn counter(&mut self, c: Counter) -> u64 {
            self.ok(Cmd::ReadCounter, u64::from(c.code()), 0)
        }
        /// Stage, verify (checking the CRC) and arm a schedule for `round`.
        pub fn load_schedule(&mut self, s: &Schedule, round: u64) {
            drive::load_schedule(self, &config().build, s, round).unwrap_or_else(|e| panic!("{e}"));
        }
        /// Run one round with these requests; what the clients receive.
        pub fn round(&mut self, reqs: &[Option<Request>]) -> Vec<Option<Response>> {
            self.round_full(reqs)
                .into_iter()
                .map(|g| g.map(|(_, r)| r))
                .collect()
        }
        /// Run one round; per client, the issue round answered and the response.
        pub fn round_full(&mut self, reqs: &[Option<Request>]) -> Vec<Option<(u64, Response)>> {
            let u = self.c.round.val().to_u64();
            let mut got = vec![None; C];
            // `run` (registered) starts a round at the next boundary; the
            // core runs it to its end.
            self.c.run.next = true;
            self.clock();
            self.c.run.next = false;
            for ph in 0..T {
                if ph < C {
                    let r = reqs[ph];
                    self.c.issue_valid.next = r.is_some();
                    let r = r.unwrap_or(Request {
                        op: Op::Get,
                        key: 0,
                        value: 0,
                    });
                    self.c.issue_op.next = u64::from(r.op.code()).into();
                    self.c.issue_key.next = r.key.into();
                    self.c.issue_value.next = r.value.into();
                }
                settle(&mut *self.c);
                assert_eq!(self.c.phase.val().to_u64(), ph as u64);
                if ph < C {
                    assert!(self.c.issue_strobe.val() && self.c.resp_strobe.val());
                    assert_eq!(self.c.resp_client.val().to_u64(), ph as u64);
                    if self.c.resp_issued.val() {
                        assert_eq!(self.c.resp_round.val().to_u64(), u - LAT as u64);
                        got[ph] = Some((
                            u - LAT as u64,
                            response_of(
                                self.c.resp_status.val(),
                                self.c.resp_has_value.val(),
                                self.c.resp_value.val(),
                            ),
                        ));
                    }
                }
                self.clock();
            }
            settle(&mut *self.c);
            assert_eq!(self.c.round.val().to_u64(), u + 1);
            assert!(
                self.c.is_paused.val(),
                "the round ran to its end and stopped"
            );
            got
        }
    }

    impl drive::Core for Driver {
        type Error = drive::Refusal;
        fn clients(&self) -> usize {
            C
        }
        fn latency(&self) -> u64 {
            LAT as u64
        }
        fn cmd(
            &mut self,
            cmd: Cmd,
            addr: u32,
            data: u64,
        ) -> Result<(CmdStatus, u64), drive::Refusal> {
            Ok(Driver::cmd(self, cmd, u64::from(addr), data))
        }
        fn round(
            &mut self,
            reqs: &[Option<Request>],
        ) -> Result<Vec<Option<(u64, Response)>>, drive::Refusal> {
            Ok(self.round_full(reqs))
        }
    }

    /// Random mixed traffic on few keys.
    fn traffic(seed: u64, quiet_from: u64) -> impl FnMut(u64, usize) -> Option<Request> {
        let mut rng = seed;
        move |u, _| {
            let r = splitmix64(&mut rng);
            if u >= quiet_from || r.is_multiple_of(5) {
                return None;
            }
            let op = [
                Op::Get,
                Op::Insert,
                Op::Modify,
                Op::Put,
                Op::Delete,
                Op::Put,
                Op::Get,
            ][(r % 7) as usize];
            Some(Request {
                op,
                key: r >> 8 & 15,
                value: r >> 32 & 0xff,
            })
        }
    }

    /// Drive the core and the model round by round, with `before` run on
    /// both ahead of each round; compare what every client receives.
    fn against_model(
        rounds: u64,
        mut issue: impl FnMut(u64, usize) -> Option<Request>,
        mut before: impl FnMut(u64, &mut Driver, &mut Model),
    ) -> (Driver, Model, u64) {
        let mut m = Model::new(&config());
        let mut d = Driver::new();
        let mut answered = 0;
        for u in 0..rounds {
            before(u, &mut d, &mut m);
            let reqs: Vec<Option<Request>> = (0..C)
                .map(|ci| {
                    issue(u, ci).filter(|_| m.schedule().may_issue(u, ci as u32) || u % 2 == 0)
                })
                .collect();
            let want: Vec<Option<Response>> = match m.step(&reqs) {
                Some(done) => done.slots.iter().map(|s| s.map(|(_, r)| r)).collect(),
                None => vec![None; C],
            };
            let got = d.round(&reqs);
            assert_eq!(got, want, "round {u}: what the clients receive");
            answered += want.iter().flatten().count() as u64;
        }
        (d, m, answered)
    }

    #[test]
    fn core_answers_like_the_model() {
        let (mut d, m, n) = against_model(36, traffic(11, 30), |_, _, _| {});
        // (More than 40: 48 with the iCEBreaker's two clients, on which
        // scripts/cargo-test.sh runs this test too.)
        assert!(n > 40, "{n} answers compared");
        let c = m.counters();
        assert_eq!(d.counter(Counter::Issued), c.issued);
        assert_eq!(d.counter(Counter::StatusOk), c.status[0]);
        assert_eq!(d.counter(Counter::StatusNotFound), c.status[1]);
        assert_eq!(d.counter(Counter::Rounds), 36);
    }

    /// A schedule swapped in mid-traffic: another map, policy and seed, a
    /// calendar that closes ports, a replica marked failed.
    #[test]
    fn core_swaps_schedules_like_the_model() {
        let b = config().build;
        let mut s2 = Schedule::default_for(&b);
        s2.shard_map = (0..b.buckets as u16)
            .map(|i| (i + 1) % b.shards as u16)
            .collect();
        s2.replica_policy = ReplicaPolicy::KeyAffine;
        s2.seed = 77;
        s2.calendar = vec![mask(C as u32), 0b101];
        s2.failed[1] = 0b10;
        let mut s3 = s2.clone();
        s3.replica_policy = ReplicaPolicy::Random;
        s3.seed = 12345;
        s3.failed[1] = 0;
        let (mut d, _, n) = against_model(34, traffic(5, 30), |u, d, m| {
            if u == 6 {
                d.load_schedule(&s2, 9);
                m.stage_schedule(9, s2.clone());
            }
            if u == 14 {
                let (st, _) = d.cmd(Cmd::StageMap, 0, 0);
                assert_eq!(st, CmdStatus::Ok, "the shadow is free again by now");
                d.load_schedule(&s3, 17);
                m.stage_schedule(17, s3.clone());
            }
            if u == 17 {
                let (st, _) = d.cmd(Cmd::StageMap, 0, 0);
                assert_eq!(
                    st,
                    CmdStatus::ShadowInUse,
                    "the swapped-out copy still serves"
                );
            }
        });
        assert!(n > 40, "{n} answers compared");
        let swap = d.ok(Cmd::ReadSwap, 0, 0);
        assert_eq!(
            (swap >> 63, swap >> 62 & 1, swap & mask(48)),
            (1, 1, 17),
            "the last swap took effect in round 17"
        );
        assert!(
            d.counter(Counter::CalendarBlocked) > 0,
            "the calendar closed ports"
        );

        // A swap into a round that has passed, or past the round's 48 bits,
        // is refused and arms nothing (the passed round is found the
        // division's second clock, `swap_late`).
        let b = config().build;
        let now = d.c.round.val().to_u64();
        drive::stage_schedule(&mut d, &s3).unwrap();
        drive::verify_schedule(&mut d, &b, &s3).unwrap();
        for at in [0, 16, now - 1, 1 << 48] {
            assert_eq!(
                d.cmd(Cmd::Swap, 0, at).0,
                CmdStatus::BadArgument,
                "swap at {at}, now {now}"
            );
        }
        assert_eq!(
            d.ok(Cmd::ReadSwap, 0, 0) >> 61 & 1,
            0,
            "a refused swap arms nothing"
        );
        assert_eq!(
            d.cmd(Cmd::Swap, 0, now).0,
            CmdStatus::Ok,
            "swap at now, {now}"
        );
        assert_eq!(d.ok(Cmd::ReadSwap, 0, 0) >> 61 & 1, 1, "armed at {now}");
        for _ in 0..2 {
            d.round(&[None; C]);
        }
        assert_eq!(
            d.ok(Cmd::ReadSwap, 0, 0) & mask(48),
            now,
            "the swap armed at {now} took effect"
        );
    }

    /// A replica fails mid-traffic (the FE detects it), recovers by copying
    /// its live peer, and serves again.
    #[test]
    fn core_fails_and_recovers_like_the_model() {
        let (mut d, m, n) = against_model(40, traffic(23, 36), |u, d, m| {
            if u == 8 {
                d.ok(Cmd::Fail, 1, 0); // shard 0, replica 1
                m.fail(0, 1);
                let (st, _) = d.cmd(Cmd::Recover, 1, 0);
                assert_eq!(
                    st,
                    CmdStatus::NodeState,
                    "no recovery in the round of the failure"
                );
            }
            if u == 20 {
                d.ok(Cmd::Recover, 1, 0);
                m.recover(0, 1);
            }
        });
        assert!(n > 50, "{n} answers compared");
        assert_eq!(d.counter(Counter::Detections), m.counters().detections);
        assert!(m.counters().detections > 0, "the failure was detected");
    }

    #[test]
    fn core_generator_digest_equals_the_model() {
        let b = config().build;
        let g = GenConfig {
            seed: 99,
            rounds: 12,
            key_range_bits: 4,
            mix: OpMix::default(),
        };
        let mut m = Model::new(&config());
        let want = m.run_generator(&g);
        let mut d = Driver::new();
        d.ok(Cmd::GenSeed, 0, g.seed);
        d.ok(Cmd::GenMix, 0, gen_mix_word(&g));
        d.ok(Cmd::GenKeys, 0, gen_keys_mask(&g));
        let digest = d.ok(Cmd::GenRun, 0, g.rounds);
        assert_eq!(digest, u64::from(want.digest), "digest");
        assert_eq!(d.counter(Counter::GenRequests), want.requests);
        assert_eq!(d.counter(Counter::GenDigest), u64::from(want.digest));
        for op in Op::ALL {
            assert_eq!(
                d.counter(Counter::op(op.code())),
                want.op_counts[op.code() as usize],
                "{op} requests"
            );
        }
        assert_eq!(want.requests, g.rounds * u64::from(b.clients));
        // Reset empties the tables: the same run again gives the same digest.
        d.ok(Cmd::Reset, 0, 0);
        assert_eq!(
            d.ok(Cmd::GenRun, 0, g.rounds),
            u64::from(want.digest),
            "digest after reset"
        );
    }

    #[test]
    fn core_refuses_bad_commands() {
        let b = config().build;
        let mut d = Driver::new();
        let bad = [
            (Cmd::StageMap, b.buckets as u64, 0),
            (Cmd::StageMap, 0, S as u64),
            (Cmd::StagePolicy, 0, 7 | 1 << 32),
            (Cmd::StagePolicy, 0, 0),
            (Cmd::StageFailed, S as u64, 0),
            (Cmd::StageFailed, 0, 1 << R),
            (Cmd::StageCalendar, CAL_MAX as u64, 0),
            (Cmd::StageCalendar, 0, 1 << C),
            (Cmd::StagePeriod, 0, 0),
            (Cmd::StagePeriod, 0, CAL_MAX as u64 + 1),
            (Cmd::Fail, NODES as u64, 0),
            (Cmd::ReadCounter, tidekv_defs::regs::COUNTERS as u64, 0),
            (Cmd::GenSeed, 0, 0),
            (Cmd::GenKeys, 0, 0b101),
            (Cmd::GenRun, 0, 0),
        ];
        for (code, addr, data) in bad {
            assert_eq!(
                d.cmd(code, addr, data).0,
                CmdStatus::BadArgument,
                "{code} {addr} {data}"
            );
        }
        assert_eq!(d.cmd(Cmd::Swap, 0, 5).0, CmdStatus::Unverified);
        d.ok(Cmd::Verify, 0, 0);
        d.round(&[None; C]);
        assert_eq!(
            d.cmd(Cmd::Swap, 0, 0).0,
            CmdStatus::BadArgument,
            "round 0 has passed"
        );
        // Mid-round, the round structure is off limits; a round once begun
        // runs to its end by itself.
        d.c.run.next = true;
        clocks(&mut *d.c, 1, |c| &mut c.clock);
        d.c.run.next = false;
        assert_eq!(d.cmd(Cmd::Fail, 0, 0).0, CmdStatus::Running);
        clocks(&mut *d.c, T, |c| &mut c.clock);
        assert_eq!(
            d.cmd(Cmd::Info, 0, 0),
            (CmdStatus::Ok, 2),
            "round 2, phase 0"
        );
        let unknown = (0..1u64 << CMD_BITS)
            .find(|&c| Cmd::from_code(c as u8).is_none())
            .expect("a free code");
        assert_eq!(d.cmd_raw(unknown, 0, 0).0, CmdStatus::Unknown);
    }
}
