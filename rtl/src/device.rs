//! The device top (docs/DESIGN.md, "Device link"): the core behind the
//! framed link of `tidekv_defs::link`, on a byte-stream interface, and
//! `UartDevice`, the same behind the UART PHY.
//!
//! Bytes in (`rx_valid`, `rx_data`; never stalled) go through a receive
//! FIFO to the deframer: SLIP decoding, the CRC-32 register, the header
//! fields, and the payload shifted into a register (`rx`). At the closing
//! `END` the frame is checked in `Drop`'s order; a good frame runs (an
//! `Info`, a command on the core's command port, one round, or the link
//! counters) and its answer is framed and sent on `tx_*`; a bad one is
//! answered with a `Nack`. A frame that stops arriving for
//! `WATCHDOG_CLOCKS` is dropped as a timeout. One frame is checked and run
//! at a time; with the `duplex` option the deframer takes the next frame
//! while a `Step` runs (from its page of the slot RAM) and while the
//! framer sends an answer (with a CRC register of its own), without it the
//! FIFO holds what arrives meanwhile.

use crate::block_rom::BlockRom;
use crate::core::{
    links::{OUTSTANDING, OUTSTANDING_A},
    Core,
};
use crate::delay::Delay;
use crate::link::queues::BatchQueues;
use crate::params::*;
use crate::ring_ram::RingRam;
use crate::uart::{UartRx, UartTx};
use crate::util::{k, vec_of};
use rust_hdl::prelude::*;
use tidekv_defs::layout::request_layout;
use tidekv_defs::link::{
    self, Drop, FrameType, CRC_BYTES, CRC_RESIDUE, HEADER_BYTES, LINK_COUNTERS, SLIP_END, SLIP_ESC,
    SLIP_ESC_END, SLIP_ESC_ESC,
};

type B16 = Bits<16>;

/// `state`, named in the logic as `c_state[i]`: 0 receive, 1 check the
/// frame, 2 issue a command, 3 wait for its answer, 4 wait for the core to
/// be idle, 5 run a round, 6 send the answer (with `duplex`: hand it to
/// the framer, one clock), 7 collect a round's answer,
/// 8 queue a `Submit`'s requests, 9 gather a `Collect`'s results.
const STATES: u64 = 10;

#[derive(LogicBlock)]
pub struct Device {
    pub clock: Signal<In, Clock>,
    /// Synchronous reset of the link and the core (hold it one clock after power-up).
    pub reset: Signal<In, bool>,
    /// Received bytes, one per clock with `rx_valid`.
    pub rx_valid: Signal<In, bool>,
    pub rx_data: Signal<In, Bits<8>>,
    /// Bytes to send: taken in a clock with `tx_valid` and `tx_ready`.
    pub tx_valid: Signal<Out, bool>,
    pub tx_data: Signal<Out, Bits<8>>,
    pub tx_ready: Signal<In, bool>,
    /// The core's round, for a board's LEDs.
    pub round: Signal<Out, Round>,
    /// The receive FIFO has room for the bytes of the next two clocks
    /// (registered): a source that can wait (the PCIe mailbox's ring)
    /// offers a byte only then, and none is lost. The UART ignores it.
    pub rx_ok: Signal<Out, bool>,
    core: Core,
    /// (Its `almost_full` is 4 places from full: `rx_ok`'s margin for the
    /// fill level it reads, which lags the writes by a clock.)
    fifo: SynchronousFIFO<Bits<9>, RX_FIFO_BITS, { RX_FIFO_BITS + 1 }, 4>,
    /// The byte the deframer takes next (`rb_ok`), a register between the
    /// FIFO's block RAM and the deframer's logic.
    rb: DFF<Bits<9>>,
    rb_ok: DFF<bool>,
    rx_ok_r: DFF<bool>,
    /// Bytes were lost since the last byte the FIFO took: the next one carries the mark.
    lost: DFF<bool>,
    state: DFF<Bits<4>>,
    // Deframer.
    hunting: DFF<bool>,
    esc: DFF<bool>,
    bad_esc: DFF<bool>,
    overrun: DFF<bool>,
    n: DFF<B16>,
    crc: DFF<Bits<32>>,
    ty: DFF<Bits<8>>,
    seq: DFF<Bits<8>>,
    len: DFF<B16>,
    rx: DFF<Bits<RX_BITS>>,
    wd: DFF<Bits<WD_BITS>>,
    /// The CRC register and step of the deframer and (without `duplex`),
    /// while it sends, the framer.
    /// The CRC step's input byte and result (computed in this block: a child
    /// Crc32 read back in the same block is a loop to Verilator, which then
    /// re-evaluates the whole block until it settles).
    crc_in: Signal<Local, Bits<8>>,
    crc_acc: Signal<Local, Bits<32>>,
    c_poly: Constant<Bits<32>>,
    /// Full duplex (`DUPLEX`): the framer sends on its own (`t_busy`, set
    /// the clock after state 6, which then hands over and returns to 0)
    /// with its own CRC register and step (`t_crc_r`, `t_acc`); a frame's
    /// check waits until the framer is done, as its answer's sources
    /// (`ans`, `a_*`, `resp`) are those the framer reads. Without it
    /// `sending` is state 6 and the framer uses the deframer's CRC.
    c_duplex: Constant<bool>,
    t_busy: DFF<bool>,
    t_crc_r: DFF<Bits<32>>,
    /// With `duplex` the deframer takes the next frame while a `Step`
    /// runs (in states 4, 5 and 7), and a frame that ends then waits
    /// (`d_held`) for state 0 to be checked. `d_on`: the deframer takes
    /// bytes.
    d_held: DFF<bool>,
    d_on: Signal<Local, bool>,
    // The slot RAM: a `Step`'s request slots, written as they arrive (one
    // assembled in `wacc`, byte `wb` of slot `widx`, while `sleft` payload
    // bytes are left; `s_bad`: one has an unknown op) to page `fill_pg`;
    // its rounds read slot `rs` of page `run_pg`, a clock ahead.
    sram: RingRam<Bits<SR_BITS>, SR_ADDR_BITS>,
    wacc: DFF<Bits<SR_BITS>>,
    /// The entry's last byte: a slot's, or a `Submit` request's.
    w_last: DFF<Bits<8>>,
    wb: DFF<Bits<8>>,
    widx: DFF<Bits<SR_IDX_BITS>>,
    sleft: DFF<B16>,
    s_bad: DFF<bool>,
    fill_pg: DFF<bool>,
    run_pg: DFF<bool>,
    rs: DFF<Bits<SR_IDX_BITS>>,
    wword: Signal<Local, Bits<SR_BITS>>,
    /// `wword`'s slot: where a `Step`'s slot sits in it.
    wslot: Signal<Local, Bits<SR_BITS>>,
    w_op: Signal<Local, OpCode>,
    w_sop: Signal<Local, OpCode>,
    rs_n: Signal<Local, Bits<SR_IDX_BITS>>,
    c_sb_last: Constant<Bits<8>>,
    c_slot_top: Constant<B16>,
    c_slot_sh: Constant<B16>,
    c_se_last: Constant<Bits<8>>,
    c_page: Constant<Bits<SR_ADDR_BITS>>,
    t_acc: Signal<Local, Bits<32>>,
    sending: Signal<Local, bool>,
    /// The framer's CRC register's value and its step, and what the
    /// framer writes to it (`fcrc_w`: it writes `fcrc_n`), in `t_crc_r`
    /// or, without `duplex`, `crc`.
    fcrc: Signal<Local, Bits<32>>,
    facc: Signal<Local, Bits<32>>,
    fcrc_n: Signal<Local, Bits<32>>,
    fcrc_w: Signal<Local, bool>,
    // Execution.
    /// The clock of the round being run.
    cnt: DFF<Phase>,
    resp: DFF<Bits<RESP_BUF_BITS>>,
    step_round: DFF<Round>,
    /// The rounds of the `Step` being run, and those still to run.
    step_n: DFF<Bits<8>>,
    step_left: DFF<Bits<8>>,
    counters: Vec<DFF<Bits<LINK_CTR_BITS>>>,
    // Framer.
    ans: DFF<Bits<ANS_BITS>>,
    a_ty: DFF<Bits<8>>,
    /// Where the answer payload's bytes come from (`c_src_*`): `ans` (0),
    /// `info_rom`, the counters (a `LinkStats` frame is counted, or the
    /// counters cleared with `a_clear`, once its answer is out), the core's
    /// `cmd_status` and `cmd_rdata` (they hold until the next command), or
    /// `step_round` and `resp` (they hold until the next `Step`).
    a_src: DFF<Bits<3>>,
    info_rom: BlockRom<8, INFO_ADDR_BITS>,
    a_clear: DFF<bool>,
    a_seq: DFF<Bits<8>>,
    a_len: DFF<B16>,
    /// The framer is sending a frame (its opening END is out).
    t_on: DFF<bool>,
    /// The body place of the next byte to fetch into `nb` (a clock ahead
    /// of its sending: the byte muxes end at `nb`, the escape compare and
    /// the CRC step start from it).
    t_ix: DFF<Bits<PLACE_BITS>>,
    /// The answer payload's byte to prefetch next (no subtraction on the
    /// path to the byte muxes).
    a_idx: DFF<Bits<8>>,
    /// One-hot: the next fetch is header byte k (bit k); none, a payload
    /// or CRC byte (no compare of `t_ix` on the path to the byte muxes).
    t_hdr: DFF<Bits<4>>,
    /// The fetched byte, waiting to be sent (`nb_ok`): a CRC byte
    /// (`nb_crc`, not stepped into the CRC), the body's last (`nb_last`).
    /// Every body byte is fetched (`t_fetched` once all are).
    nb: DFF<Bits<8>>,
    /// The payload byte at `a_idx - 1`, prefetched (`pay_v`): the byte
    /// muxes (`pb`) start at registers and end here, and the fetcher takes
    /// it as it takes a header byte. `a_idx`, `ans` and the `Collect`
    /// bytes' place advance as the prefetcher takes a byte, one ahead of
    /// the fetcher.
    pay_r: DFF<Bits<8>>,
    pay_v: DFF<bool>,
    nb_ok: DFF<bool>,
    nb_crc: DFF<bool>,
    nb_last: DFF<bool>,
    t_fetched: DFF<bool>,
    t_esc: DFF<bool>,
    t_esc_byte: DFF<Bits<8>>,
    t_valid: DFF<bool>,
    t_data: DFF<Bits<8>>,
    // Free-running batches (docs/DESIGN.md, "Free-running batches").
    queues: BatchQueues,
    results: SynchronousFIFO<Bits<RES_BITS>, RESULTS_BITS, { RESULTS_BITS + 1 }, 1>,
    /// A `Collect`'s results, popped before it is answered; the framer
    /// reads them a byte a fetch: entry `k_ent`, byte `k_byte`.
    coll: RingRam<Bits<RES_BITS>, COLL_ADDR_BITS>,
    k_ent: DFF<Bits<COLL_ADDR_BITS>>,
    k_byte: DFF<Bits<8>>,
    /// Each attempt to issue a queued request, beside the core's own
    /// `outstanding` line: taken (the calendar let it in) and its tag.
    flight: Delay<Bits<FLIGHT_BITS>, OUTSTANDING_A>,
    /// The attempt of the last run clock's issue strobe, as the core's `i_*`.
    w_present: DFF<bool>,
    w_tag: DFF<B16>,
    w_client: DFF<Client>,
    /// The clock after an attempt: the core's `issue_open` decides its pop.
    dec: DFF<bool>,
    /// Attempts in flight, and results waiting.
    infl_n: DFF<B16>,
    res_n: DFF<B16>,
    /// The last run clock was a free-running one.
    b_cnt: DFF<Bits<8>>,
    b_acc: DFF<Bits<8>>,
    b_stop: DFF<bool>,
    /// A `Submit`'s window as the slot RAM gave it, registered (`sw_go`:
    /// it is one of the frame's): the clock after, it is pushed or
    /// refused. The RAM's output no longer runs through the client decode,
    /// the queue's `full` and the push into the queues' counters.
    sw_go: DFF<bool>,
    sw: DFF<Bits<SR_BITS>>,
    b_fin: DFF<bool>,
    // What the header's type and length and the payload in `rx` imply,
    // registered: they are stable from the header (resp. the last byte) to
    // the check, which is at least a clock after the closing END.
    r_want_len: DFF<B16>,
    r_len_rounds: DFF<Bits<8>>,
    r_sub_n: DFF<Bits<8>>,
    r_bad_payload: DFF<bool>,
    /// The frame checks on the counts, the CRC and the type, each
    /// registered (from registers that hold from the frame's last byte
    /// on, and the check is at least a clock after its END): the check
    /// is a priority choice among flags, no compare on its path.
    k_n_bad: DFF<bool>,
    k_crc_bad: DFF<bool>,
    k_len_bad: DFF<bool>,
    k_type_bad: DFF<bool>,
    k_want_bad: DFF<bool>,
    /// The counter a frame counts, registered (one-hot).
    cnt_hot: DFF<Bits<LINK_COUNTERS>>,
    /// The answer's body places of its payload's last byte and of its CRC's
    /// last byte, from `a_len` (set at least a clock before the framer
    /// reads them).
    a_pay_end: DFF<Bits<PLACE_BITS>>,
    a_end: DFF<Bits<PLACE_BITS>>,
    /// Where the framer is, as flags set the clock it steps past those
    /// places (an equality: the places count up by one), so no 16-bit
    /// compare is on the path to the byte muxes: `t_crc` the CRC bytes are
    /// being sent, `t_last` the closing END is next.
    t_crc: DFF<bool>,
    t_last: DFF<bool>,
    // Locals.
    pop: Signal<Local, bool>,
    rb_fill: Signal<Local, bool>,
    rbyte: Signal<Local, Bits<8>>,
    in_frame: Signal<Local, bool>,
    store: Signal<Local, bool>,
    sbyte: Signal<Local, Bits<8>>,
    reason: Signal<Local, Bits<8>>,
    want_len: Signal<Local, B16>,
    /// The rounds a `Step` of this length carries (0: not a valid length).
    len_rounds: Signal<Local, Bits<8>>,
    /// The response slots of the `Step` that ran, at the bottom.
    resp_out: Signal<Local, Bits<RESP_BUF_BITS>>,
    chk: Signal<Local, Bits<8>>,
    bad_payload: Signal<Local, bool>,
    count_en: Signal<Local, bool>,
    hot: Signal<Local, Bits<LINK_COUNTERS>>,
    clear: Signal<Local, bool>,
    stats: Signal<Local, Bits<STATS_BITS>>,
    cword: Signal<Local, Bits<LINK_CTR_BITS>>,
    /// `stats` shifted to the byte being sent.
    stats_at: Signal<Local, Bits<8>>,
    /// The bit of the answer payload being sent, and the `Cmd` and `Step`
    /// answers shifted to it.
    a_sh: Signal<Local, Bits<11>>,
    cmd_at: Signal<Local, Bits<8>>,
    step_at: Signal<Local, Bits<8>>,
    /// A `LinkStats` frame is served now (it is counted later), and the
    /// last byte of its answer went out.
    stats_go: Signal<Local, bool>,
    stats_done: Signal<Local, bool>,
    nack: Signal<Local, bool>,
    out_free: Signal<Local, bool>,
    /// The sender sends `nb` this clock; the fetcher fills it.
    emit: Signal<Local, bool>,
    fetch: Signal<Local, bool>,
    /// `a_idx`'s next value: the `Info` ROM reads it a clock ahead.
    a_idx_n: Signal<Local, Bits<8>>,
    info_i: Signal<Local, Bits<INFO_ADDR_BITS>>,
    tb: Signal<Local, Bits<8>>,
    /// The payload byte at `a_idx`; the fetcher takes the prefetched one
    /// (`take`), and the prefetcher loads the next (`pf`).
    pb: Signal<Local, Bits<8>>,
    take: Signal<Local, bool>,
    pf: Signal<Local, bool>,
    sub_n: Signal<Local, Bits<8>>,
    queued_any: Signal<Local, bool>,
    pending: Signal<Local, bool>,
    frun: Signal<Local, bool>,
    checking: Signal<Local, bool>,
    head: Signal<Local, Bits<QE_BITS>>,
    head_valid: Signal<Local, bool>,
    present: Signal<Local, bool>,
    infl_done: Signal<Local, bool>,
    res_push: Signal<Local, bool>,
    res_pop: Signal<Local, bool>,
    qclient: Signal<Local, Bits<8>>,
    qfull: Signal<Local, bool>,
    k_ent_n: Signal<Local, Bits<COLL_ADDR_BITS>>,
    coll_at: Signal<Local, Bits<8>>,
    b_next: Signal<Local, Bits<8>>,
    // Constants.
    c_info_bytes: Constant<B16>,
    c_cmd_bytes: Constant<B16>,
    c_cmd_answer_bytes: Constant<B16>,
    /// Per rounds n = i + 1 of a `Step`: its payload and answer lengths,
    /// and the shift that brings its
    /// response slots to the bottom of `resp`.
    c_step_bytes: Vec<Constant<B16>>,
    c_step_answer_bytes: Vec<Constant<B16>>,
    c_resp_shift: Vec<Constant<B16>>,
    c_step_n: Vec<Constant<Bits<8>>>,
    c_stats_bytes: Constant<B16>,
    c_stats_answer_bytes: Constant<B16>,
    c_nack_bytes: Constant<B16>,
    c_nack: Constant<Bits<8>>,
    c_max_body: Constant<B16>,
    c_overhead: Constant<B16>,
    c_header: Constant<B16>,
    c_residue: Constant<Bits<32>>,
    c_watchdog: Constant<Bits<WD_BITS>>,
    c_rx_top: Constant<B16>,
    c_cmd_off: Constant<B16>,
    c_stats_off: Constant<B16>,
    c_req_op: Constant<B16>,
    c_req_key: Constant<B16>,
    c_req_value: Constant<B16>,
    c_last_op: Constant<OpCode>,
    c_last_cmd: Constant<Bits<8>>,
    c_resp_pad: Constant<B16>,
    c_resp_top: Constant<B16>,
    c_round_bits: Constant<B16>,
    c_stats_top: Constant<B16>,
    c_t_last: Constant<Phase>,
    c_end: Constant<Bits<8>>,
    c_esc: Constant<Bits<8>>,
    c_esc_end: Constant<Bits<8>>,
    c_esc_esc: Constant<Bits<8>>,
    c_state: Vec<Constant<Bits<4>>>,
    c_d_overrun: Constant<Bits<8>>,
    c_d_escape: Constant<Bits<8>>,
    c_d_length: Constant<Bits<8>>,
    c_d_crc: Constant<Bits<8>>,
    c_d_type: Constant<Bits<8>>,
    /// The build has free-running batches (`BATCHES`): without them
    /// `Submit` and `Collect` are unknown types and this constant gates the
    /// queues, results and rounds off (yosys removes them).
    c_batches: Constant<bool>,
    c_src_info: Constant<Bits<3>>,
    c_src_stats: Constant<Bits<3>>,
    c_src_coll: Constant<Bits<3>>,
    c_src_cmd: Constant<Bits<3>>,
    c_src_step: Constant<Bits<3>>,
    c_d_payload: Constant<Bits<8>>,
    c_d_timeout: Constant<Bits<8>>,
    c_t_info: Constant<Bits<8>>,
    c_t_cmd: Constant<Bits<8>>,
    c_t_step: Constant<Bits<8>>,
    c_t_stats: Constant<Bits<8>>,
    c_t_submit: Constant<Bits<8>>,
    c_t_collect: Constant<Bits<8>>,
    c_d_busy: Constant<Bits<8>>,
    c_cmd_gen_run: Constant<Bits<8>>,
    c_cmd_reset: Constant<Bits<8>>,
    /// Per n = i + 1 requests of a `Submit`: its payload length.
    c_sub_bytes: Vec<Constant<B16>>,
    c_sub_n: Vec<Constant<Bits<8>>>,
    c_sub_max: Constant<Bits<8>>,
    c_sub_slot_op: Constant<B16>,
    c_clients8: Constant<Bits<8>>,
    c_q_op: Constant<B16>,
    c_q_key: Constant<B16>,
    c_q_value: Constant<B16>,
    c_coll_max: Constant<Bits<8>>,
    c_coll_bytes: Constant<B16>,
    c_coll_last: Constant<Bits<8>>,
    c_results_depth: Constant<B16>,
    c_submit_answer_bytes: Constant<B16>,
}

impl Default for Device {
    fn default() -> Self {
        Device::new()
    }
}

impl Device {
    // The asserts check the build's generated constants (params.rs).
    #[allow(clippy::assertions_on_constants)]
    pub fn new() -> Device {
        let b = config().build;
        let rq = request_layout(&b);
        let b16 = |v: usize| k::<B16>(v as u64);
        let d = |x: Drop| k::<Bits<8>>(u64::from(x.code()));
        let t = |x: FrameType| k::<Bits<8>>(u64::from(x.code()));
        let bytes = |t: FrameType| b16(link::request_bytes(&b, t).expect("a host frame type"));
        let answer = |t: FrameType| b16(link::answer_bytes(&b, t));
        // A payload of `len` bytes sits at the top of `rx` below the CRC bytes.
        let off = |t: FrameType| b16(8 * (RX_PAYLOAD - link::request_bytes(&b, t).unwrap()));
        assert_eq!(ROUND_BITS, 8 * link::ROUND_BYTES);
        assert_eq!(INFO.len(), link::answer_bytes(&b, FrameType::Info));
        assert!(
            INFO.len() <= 1 << INFO_ADDR_BITS
                && INFO_ADDR_BITS <= 8
                && STATS_BITS < 8 * 256
                && STEP_ANS_BITS < 8 * 256,
            "answers the framer reads by byte index are shorter than 256 bytes"
        );
        assert_eq!(
            (CMD_ANS_BITS, STEP_ANS_BITS),
            (
                8 * link::answer_bytes(&b, FrameType::Cmd),
                8 * link::step_answer_bytes(&b, STEP_ROUNDS)
            )
        );
        assert_eq!(link::max_payload(&b), MAX_PAYLOAD);
        let step_n =
            |f: &dyn Fn(usize) -> usize| (1..=STEP_ROUNDS).map(|n| b16(f(n))).collect::<Vec<_>>();
        assert!(MAX_PAYLOAD + HEADER_BYTES + CRC_BYTES < 1 << 15 && T < 1 << 15);
        assert!(
            SUBMIT_MAX < 256
                && COLLECT_MAX < 256
                && C <= 256
                && (1 << RESULTS_BITS) + C * LAT < 1 << 15
        );
        assert!(
            (BATCHES == 0 || ANS_BITS >= 8 * link::SUBMIT_ANSWER_BYTES)
                && COLLECT_MAX <= 1 << COLL_ADDR_BITS
                && COLLECT_ENTRY_BYTES < 256
                && RES_BITS >= 120 + RESP_PAD_BITS
        );
        Device {
            clock: Default::default(),
            reset: Default::default(),
            rx_valid: Default::default(),
            rx_data: Default::default(),
            tx_valid: Default::default(),
            tx_data: Default::default(),
            tx_ready: Default::default(),
            round: Default::default(),
            rx_ok: Default::default(),
            core: Core::in_device(),
            fifo: Default::default(),
            rb: Default::default(),
            rb_ok: Default::default(),
            rx_ok_r: Default::default(),
            lost: Default::default(),
            state: Default::default(),
            hunting: Default::default(),
            esc: Default::default(),
            bad_esc: Default::default(),
            overrun: Default::default(),
            n: Default::default(),
            crc: Default::default(),
            ty: Default::default(),
            seq: Default::default(),
            len: Default::default(),
            rx: Default::default(),
            wd: Default::default(),
            crc_in: Default::default(),
            crc_acc: Default::default(),
            c_poly: Constant::new(crate::crc::CRC32_REFLECTED.into()),
            c_duplex: Constant::new(DUPLEX != 0),
            t_busy: Default::default(),
            t_crc_r: Default::default(),
            sram: Default::default(),
            wacc: Default::default(),
            w_last: Default::default(),
            wb: Default::default(),
            widx: Default::default(),
            sleft: Default::default(),
            s_bad: Default::default(),
            fill_pg: Default::default(),
            run_pg: Default::default(),
            rs: Default::default(),
            wword: Default::default(),
            wslot: Default::default(),
            w_op: Default::default(),
            w_sop: Default::default(),
            rs_n: Default::default(),
            c_sb_last: k(REQ_SLOT_BYTES as u64 - 1),
            c_slot_top: b16(SR_BITS - 8),
            c_slot_sh: b16(SR_BITS - REQ_SLOT_BITS),
            c_se_last: k(SUBMIT_ENTRY_BYTES as u64 - 1),
            c_page: Constant::new((1u64 << SR_IDX_BITS).to_bits()),
            d_held: Default::default(),
            d_on: Default::default(),
            t_acc: Default::default(),
            sending: Default::default(),
            fcrc: Default::default(),
            facc: Default::default(),
            fcrc_n: Default::default(),
            fcrc_w: Default::default(),
            cnt: Default::default(),
            resp: Default::default(),
            step_round: Default::default(),
            step_n: Default::default(),
            step_left: Default::default(),
            counters: vec_of(link::LINK_COUNTERS),
            ans: Default::default(),
            a_ty: Default::default(),
            a_src: Default::default(),
            a_clear: Default::default(),
            info_rom: BlockRom::new(
                INFO.iter()
                    .map(|&x| Bits::<8>::from(u64::from(x)))
                    .collect(),
            ),
            a_seq: Default::default(),
            a_len: Default::default(),
            t_on: Default::default(),
            t_ix: Default::default(),
            a_idx: Default::default(),
            t_hdr: Default::default(),
            nb: Default::default(),
            pay_r: Default::default(),
            pay_v: Default::default(),
            nb_ok: Default::default(),
            nb_crc: Default::default(),
            nb_last: Default::default(),
            t_fetched: Default::default(),
            t_esc: Default::default(),
            t_esc_byte: Default::default(),
            t_valid: Default::default(),
            t_data: Default::default(),
            queues: Default::default(),
            results: Default::default(),
            coll: Default::default(),
            k_ent: Default::default(),
            k_byte: Default::default(),
            flight: Delay::new(OUTSTANDING),
            w_present: Default::default(),
            w_tag: Default::default(),
            w_client: Default::default(),
            dec: Default::default(),
            infl_n: Default::default(),
            res_n: Default::default(),
            b_cnt: Default::default(),
            b_acc: Default::default(),
            b_stop: Default::default(),
            sw_go: Default::default(),
            sw: Default::default(),
            b_fin: Default::default(),
            sub_n: Default::default(),
            queued_any: Default::default(),
            pending: Default::default(),
            frun: Default::default(),
            checking: Default::default(),
            head: Default::default(),
            head_valid: Default::default(),
            present: Default::default(),
            infl_done: Default::default(),
            res_push: Default::default(),
            res_pop: Default::default(),
            qclient: Default::default(),
            qfull: Default::default(),
            k_ent_n: Default::default(),
            coll_at: Default::default(),
            b_next: Default::default(),
            pop: Default::default(),
            rb_fill: Default::default(),
            rbyte: Default::default(),
            in_frame: Default::default(),
            store: Default::default(),
            sbyte: Default::default(),
            reason: Default::default(),
            want_len: Default::default(),
            r_want_len: Default::default(),
            r_len_rounds: Default::default(),
            r_sub_n: Default::default(),
            r_bad_payload: Default::default(),
            k_n_bad: Default::default(),
            k_crc_bad: Default::default(),
            k_len_bad: Default::default(),
            k_type_bad: Default::default(),
            k_want_bad: Default::default(),
            cnt_hot: Default::default(),
            a_pay_end: Default::default(),
            a_end: Default::default(),
            t_crc: Default::default(),
            t_last: Default::default(),
            len_rounds: Default::default(),
            resp_out: Default::default(),
            chk: Default::default(),
            bad_payload: Default::default(),
            count_en: Default::default(),
            hot: Default::default(),
            clear: Default::default(),
            stats: Default::default(),
            cword: Default::default(),
            stats_at: Default::default(),
            a_sh: Default::default(),
            cmd_at: Default::default(),
            step_at: Default::default(),
            stats_go: Default::default(),
            stats_done: Default::default(),
            nack: Default::default(),
            out_free: Default::default(),
            emit: Default::default(),
            fetch: Default::default(),
            a_idx_n: Default::default(),
            info_i: Default::default(),
            tb: Default::default(),
            pb: Default::default(),
            take: Default::default(),
            pf: Default::default(),
            c_info_bytes: answer(FrameType::Info),
            c_cmd_bytes: bytes(FrameType::Cmd),
            c_cmd_answer_bytes: answer(FrameType::Cmd),
            c_step_bytes: step_n(&|n| n * link::step_bytes(&b)),
            c_step_answer_bytes: step_n(&|n| link::step_answer_bytes(&b, n)),
            c_resp_shift: step_n(&|n| (STEP_ROUNDS - n) * C * RESP_PAD_BITS),
            c_step_n: (1..=STEP_ROUNDS as u64).map(k).collect(),
            c_stats_bytes: bytes(FrameType::LinkStats),
            c_stats_answer_bytes: answer(FrameType::LinkStats),
            c_nack_bytes: answer(FrameType::Nack),
            c_nack: k(u64::from(FrameType::Nack.code())),
            c_max_body: b16(HEADER_BYTES + MAX_PAYLOAD + CRC_BYTES),
            c_overhead: b16(HEADER_BYTES + CRC_BYTES),
            c_header: b16(HEADER_BYTES),
            c_residue: k(u64::from(CRC_RESIDUE)),
            c_watchdog: k(WATCHDOG_CLOCKS as u64),
            c_rx_top: b16(RX_BITS - 8),
            c_cmd_off: off(FrameType::Cmd),
            c_stats_off: off(FrameType::LinkStats),
            c_req_op: b16(rq.field("op").offset as usize),
            c_req_key: b16(rq.field("key").offset as usize),
            c_req_value: b16(rq.field("value").offset as usize),
            c_last_op: k(u64::from(tidekv_defs::Op::Delete.code())),
            c_last_cmd: k((1 << CMD_BITS) - 1),
            c_resp_pad: b16(RESP_PAD_BITS),
            c_resp_top: b16(RESP_BUF_BITS - RESP_PAD_BITS),
            c_round_bits: b16(ROUND_BITS),
            c_stats_top: b16(STATS_BITS - 32),
            c_t_last: k(T as u64 - 1),
            c_end: k(u64::from(SLIP_END)),
            c_esc: k(u64::from(SLIP_ESC)),
            c_esc_end: k(u64::from(SLIP_ESC_END)),
            c_esc_esc: k(u64::from(SLIP_ESC_ESC)),
            c_state: (0..STATES).map(k).collect(),
            c_d_overrun: d(Drop::Overrun),
            c_d_escape: d(Drop::Escape),
            c_d_length: d(Drop::Length),
            c_d_crc: d(Drop::Crc),
            c_d_type: d(Drop::Type),
            c_batches: Constant::new(BATCHES != 0),
            c_src_info: k(1),
            c_src_stats: k(2),
            c_src_coll: k(5),
            c_src_cmd: k(3),
            c_src_step: k(4),
            c_d_payload: d(Drop::Payload),
            c_d_timeout: d(Drop::Timeout),
            c_t_info: t(FrameType::Info),
            c_t_cmd: t(FrameType::Cmd),
            c_t_step: t(FrameType::Step),
            c_t_stats: t(FrameType::LinkStats),
            c_t_submit: t(FrameType::Submit),
            c_t_collect: t(FrameType::Collect),
            c_d_busy: d(Drop::Busy),
            c_cmd_gen_run: k(u64::from(tidekv_defs::regs::Cmd::GenRun.code())),
            c_cmd_reset: k(u64::from(tidekv_defs::regs::Cmd::Reset.code())),
            c_sub_bytes: (1..=SUBMIT_MAX)
                .map(|n| b16(n * SUBMIT_ENTRY_BYTES))
                .collect(),
            c_sub_n: (1..=SUBMIT_MAX as u64).map(k).collect(),
            c_sub_max: k(SUBMIT_MAX as u64),
            c_sub_slot_op: b16(24 + rq.field("op").offset as usize),
            c_clients8: k(C as u64),
            c_q_op: b16(16 + rq.field("op").offset as usize),
            c_q_key: b16(16 + rq.field("key").offset as usize),
            c_q_value: b16(16 + rq.field("value").offset as usize),
            c_coll_max: k(COLLECT_MAX as u64),
            c_coll_bytes: b16(COLLECT_ENTRY_BYTES),
            c_coll_last: k(COLLECT_ENTRY_BYTES as u64 - 1),
            c_results_depth: b16(1 << RESULTS_BITS),
            c_submit_answer_bytes: b16(link::SUBMIT_ANSWER_BYTES),
        }
    }
}

impl Logic for Device {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self,
            clock,
            lost,
            rx_ok_r,
            state,
            hunting,
            esc,
            bad_esc,
            overrun,
            n,
            crc,
            ty,
            seq,
            len,
            rx,
            wd,
            cnt,
            resp,
            step_round,
            step_n,
            step_left,
            ans,
            a_ty,
            a_src,
            a_clear,
            a_seq,
            a_len,
            t_on,
            t_ix,
            a_idx,
            t_hdr,
            nb,
            pay_r,
            pay_v,
            nb_ok,
            nb_crc,
            nb_last,
            t_fetched,
            t_esc,
            t_esc_byte,
            t_valid,
            t_data,
            w_present,
            w_tag,
            w_client,
            dec,
            infl_n,
            res_n,
            r_want_len,
            r_len_rounds,
            r_sub_n,
            r_bad_payload,
            k_n_bad,
            k_crc_bad,
            k_len_bad,
            k_type_bad,
            k_want_bad,
            cnt_hot,
            a_pay_end,
            a_end,
            t_crc,
            t_last,
            t_busy,
            t_crc_r,
            wacc,
            w_last,
            wb,
            widx,
            sleft,
            s_bad,
            fill_pg,
            run_pg,
            rs,
            d_held,
            b_cnt,
            b_acc,
            b_stop,
            sw_go,
            sw,
            b_fin,
            k_ent,
            k_byte,
            rb,
            rb_ok
        );
        clock!(self, clock, core, fifo, results, flight);
        self.a_idx_n.next = self.a_idx.q.val();
        self.k_ent_n.next = self.k_ent.q.val();
        self.coll.write_clock.next = self.clock.val();
        self.coll.read_clock.next = self.clock.val();
        self.coll.write_enable.next = false;
        self.coll.write_address.next = bit_cast::<COLL_ADDR_BITS, 8>(self.b_acc.q.val());
        self.coll.write_data.next = self.results.data_out.val();
        self.rs_n.next = self.rs.q.val();
        self.sram.write_clock.next = self.clock.val();
        self.sram.read_clock.next = self.clock.val();
        self.sram.write_enable.next = false;
        self.sram.write_address.next = bit_cast::<SR_ADDR_BITS, SR_IDX_BITS>(self.widx.q.val());
        if self.fill_pg.q.val() {
            self.sram.write_address.next =
                bit_cast::<SR_ADDR_BITS, SR_IDX_BITS>(self.widx.q.val()) | self.c_page.val();
        }
        // (A `Submit`'s request, client byte first, is the slot RAM's.)
        self.queues.clock.next = self.clock.val();
        self.queues.clear.next = self.reset.val();
        self.queues.push.next = false;
        self.queues.push_data.next = bit_cast::<QE_BITS, SR_BITS>(self.sw.q.val() >> 8);
        self.queues.pop.next = false;
        self.queues.pop_client.next = self.w_client.q.val();
        self.queues.next_client.next = self.core.issue_next.val();
        self.results.write.next = false;
        self.results.read.next = false;

        // Free-running batches: rounds run back to back while a request is
        // queued or in flight (`pending`), and a round once started ends.
        self.queued_any.next = self.queues.any.val();
        self.pending.next =
            self.c_batches.val() & (self.queued_any.val() | self.infl_n.q.val().any());
        // (`run` starts a round at the next boundary and the core runs it to
        // its end. While a frame waits to be checked or a command runs, no
        // round starts: the core stops at the boundary.)
        // (With `duplex` a frame waits in state 1 while the framer sends:
        // rounds go on until it is done. In states 0 and 1 `sending` is
        // the framer's `t_busy`, never true without `duplex`.)
        self.sending.next = self.state.q.val() == self.c_state[6].val();
        if self.c_duplex.val() {
            self.sending.next = self.t_busy.q.val();
        }
        self.frun.next = self.pending.val()
            & ((self.state.q.val() != self.c_state[1].val()) | self.sending.val())
            & (self.state.q.val() != self.c_state[2].val())
            & (self.state.q.val() != self.c_state[3].val());
        // A frame is checked once the core is paused at a boundary (a `Cmd`
        // or `Step` then never meets a free-running round half done).
        self.checking.next = (self.state.q.val() == self.c_state[1].val())
            & self.core.is_paused.val()
            & !self.sending.val();
        for i in 0..LINK_COUNTERS {
            self.counters[i].clock.next = self.clock.val();
            self.counters[i].d.next = self.counters[i].q.val();
        }
        self.core.reset.next = self.reset.val();
        self.round.next = self.core.round.val();
        // Receive FIFO: a byte that finds it full is lost, and the next byte
        // it takes carries the mark (bit 8).
        self.fifo.write.next = self.rx_valid.val() & !self.fifo.full.val();
        self.fifo.data_in.next = bit_cast::<9, 8>(self.rx_data.val());
        if self.lost.q.val() {
            self.fifo.data_in.next = bit_cast::<9, 8>(self.rx_data.val()) | 0x100_u64;
        }
        if self.rx_valid.val() {
            self.lost.d.next = self.fifo.full.val();
        }
        self.rx_ok_r.d.next = !self.fifo.almost_full.val() & !self.fifo.full.val();
        self.rx_ok.next = self.rx_ok_r.q.val();

        // Deframer.
        self.d_on.next = !self.d_held.q.val()
            & ((self.state.q.val() == self.c_state[0].val())
                | (self.c_duplex.val()
                    & ((self.state.q.val() == self.c_state[4].val())
                        | (self.state.q.val() == self.c_state[5].val())
                        | (self.state.q.val() == self.c_state[7].val()))));
        // (The deframer takes `rb`; the FIFO refills it when it is empty or
        // taken, so no logic follows the block RAM's output in its clock.)
        self.pop.next = self.d_on.val() & self.rb_ok.q.val();
        self.rb_fill.next = !self.fifo.empty.val() & (!self.rb_ok.q.val() | self.pop.val());
        self.fifo.read.next = self.rb_fill.val();
        if self.rb_fill.val() {
            self.rb.d.next = self.fifo.data_out.val();
            self.rb_ok.d.next = true;
        } else if self.pop.val() {
            self.rb_ok.d.next = false;
        }
        self.rbyte.next = self.rb.q.val().get_bits::<8>(0);
        self.in_frame.next =
            self.n.q.val().any() | self.esc.q.val() | self.bad_esc.q.val() | self.overrun.q.val();
        self.store.next = false;
        self.sbyte.next = self.rbyte.val();
        self.nack.next = false;
        self.reason.next = 0.into();
        self.clear.next = false;
        self.stats_go.next = false;
        self.stats_done.next = false;
        if self.pop.val() {
            self.wd.d.next = 0.into();
            // Bytes lost while skipping to an `END` after a timeout were
            // part of what is skipped: their mark marks nothing (else a
            // resynchronising `END` would open a phantom frame that times
            // out and swallows the next frame).
            if self.rb.q.val().get_bit(8) & !self.hunting.q.val() {
                self.overrun.d.next = true;
                self.in_frame.next = true;
            }
            if self.hunting.q.val() {
                if self.rbyte.val() == self.c_end.val() {
                    self.hunting.d.next = false;
                }
            } else if self.rbyte.val() == self.c_end.val() {
                if self.in_frame.val() {
                    // (While a `Step` runs the frame waits for state 0.)
                    if self.state.q.val() == self.c_state[0].val() {
                        self.state.d.next = self.c_state[1].val();
                    } else if self.c_duplex.val() {
                        self.d_held.d.next = true;
                    }
                }
            } else if self.esc.q.val() {
                self.esc.d.next = false;
                self.store.next = true;
                if self.rbyte.val() == self.c_esc_end.val() {
                    self.sbyte.next = self.c_end.val();
                } else if self.rbyte.val() == self.c_esc_esc.val() {
                    self.sbyte.next = self.c_esc.val();
                } else {
                    self.bad_esc.d.next = true;
                }
            } else if self.rbyte.val() == self.c_esc.val() {
                self.esc.d.next = true;
            } else {
                self.store.next = true;
            }
        } else if (self.state.q.val() == self.c_state[0].val()) & self.d_held.q.val() {
            self.state.d.next = self.c_state[1].val();
            self.d_held.d.next = false;
        } else if (self.state.q.val() == self.c_state[0].val())
            & self.in_frame.val()
            & !self.sending.val()
        {
            // Watchdog: a half frame that stops arriving is dropped (with
            // `duplex` it waits while the framer sends: its `Nack` would
            // need the framer).
            self.wd.d.next = self.wd.q.val() + 1;
            if self.wd.q.val() == self.c_watchdog.val() {
                self.wd.d.next = 0.into();
                self.reason.next = self.c_d_timeout.val();
                self.nack.next = true;
                self.hunting.d.next = true;
            }
        }
        // Without `duplex` one CRC step and register serve both ways: the
        // deframer's in state 0, the framer's in state 6 (it starts and
        // leaves it all ones), where the step takes the byte being sent
        // (`nb`). With it the framer has its own (`t_crc_r`, `t_acc`).
        self.crc_in.next = self.sbyte.val();
        if !self.c_duplex.val() & (self.state.q.val() == self.c_state[6].val()) {
            self.crc_in.next = self.nb.q.val();
        }
        self.crc_acc.next = self.crc.q.val();
        for i in 0..8 {
            if self.crc_acc.val().get_bit(0) ^ self.crc_in.val().get_bit(i) {
                self.crc_acc.next = (self.crc_acc.val() >> 1) ^ self.c_poly.val();
            } else {
                self.crc_acc.next = self.crc_acc.val() >> 1;
            }
        }
        self.t_acc.next = self.t_crc_r.q.val();
        for i in 0..8 {
            if self.t_acc.val().get_bit(0) ^ self.nb.q.val().get_bit(i) {
                self.t_acc.next = (self.t_acc.val() >> 1) ^ self.c_poly.val();
            } else {
                self.t_acc.next = self.t_acc.val() >> 1;
            }
        }
        self.fcrc.next = self.crc.q.val();
        self.facc.next = self.crc_acc.val();
        if self.c_duplex.val() {
            self.fcrc.next = self.t_crc_r.q.val();
            self.facc.next = self.t_acc.val();
        }

        // The payload byte the prefetcher loads next (`pb`, at `a_idx`),
        // read from where the answer was made (`a_src`); the fetcher takes
        // it, a header byte or a CRC byte (`t_hdr`, `t_crc`: its place in
        // the body) into `tb`. The link counters, packed counter 0 lowest:
        self.stats.next = 0.into();
        for i in 0..LINK_COUNTERS {
            // (bit_cast's argument is evaluated in Rust too: no loop index in it)
            self.cword.next = self.counters[i].q.val();
            self.stats.next = (self.stats.val() >> 32)
                | (bit_cast::<STATS_BITS, LINK_CTR_BITS>(self.cword.val())
                    << self.c_stats_top.val());
        }
        self.out_free.next = !self.t_valid.q.val() | self.tx_ready.val();
        self.pb.next = self.ans.q.val().get_bits::<8>(0);
        if self.a_src.q.val() == self.c_src_info.val() {
            self.pb.next = self.info_rom.data.val();
        }
        // (A narrow shift: the answers are shorter than 256 bytes.)
        self.a_sh.next = bit_cast::<11, 8>(self.a_idx.q.val()) << 3;
        self.stats_at.next = bit_cast::<8, STATS_BITS>(self.stats.val() >> self.a_sh.val());
        if self.a_src.q.val() == self.c_src_stats.val() {
            self.pb.next = self.stats_at.val();
        }
        // (A `Collect`'s payload byte 0 is its count, in `ans`.)
        self.coll_at.next = bit_cast::<8, RES_BITS>(
            self.coll.read_data.val() >> (bit_cast::<16, 8>(self.k_byte.q.val()) << 3),
        );
        if (self.a_src.q.val() == self.c_src_coll.val()) & self.a_idx.q.val().any() {
            self.pb.next = self.coll_at.val();
        }
        self.cmd_at.next = bit_cast::<8, CMD_ANS_BITS>(
            (bit_cast::<CMD_ANS_BITS, 3>(self.core.cmd_status.val())
                | (bit_cast::<CMD_ANS_BITS, 64>(self.core.cmd_rdata.val()) << 8))
                >> self.a_sh.val(),
        );
        if self.a_src.q.val() == self.c_src_cmd.val() {
            self.pb.next = self.cmd_at.val();
        }
        self.step_at.next = bit_cast::<8, STEP_ANS_BITS>(
            (bit_cast::<STEP_ANS_BITS, ROUND_BITS>(self.step_round.q.val())
                | (bit_cast::<STEP_ANS_BITS, RESP_BUF_BITS>(self.resp.q.val())
                    << self.c_round_bits.val()))
                >> self.a_sh.val(),
        );
        if self.a_src.q.val() == self.c_src_step.val() {
            self.pb.next = self.step_at.val();
        }
        self.tb.next = self.pay_r.q.val();
        if self.t_hdr.q.val().get_bit(0) {
            self.tb.next = self.a_ty.q.val();
        }
        if self.t_hdr.q.val().get_bit(1) {
            self.tb.next = self.a_seq.q.val();
        }
        if self.t_hdr.q.val().get_bit(2) {
            self.tb.next = self.a_len.q.val().get_bits::<8>(0);
        }
        if self.t_hdr.q.val().get_bit(3) {
            self.tb.next = self.a_len.q.val().get_bits::<8>(8);
        }
        if self.t_crc.q.val() {
            self.tb.next = !self.fcrc.val().get_bits::<8>(0);
        }

        // (A slot with this byte as its last, for the slot RAM.)
        self.wword.next = (self.wacc.q.val() >> 8)
            | (bit_cast::<SR_BITS, 8>(self.sbyte.val()) << self.c_slot_top.val());
        self.wslot.next = self.wword.val() >> self.c_slot_sh.val();
        self.w_op.next = bit_cast::<OP_BITS, SR_BITS>(self.wslot.val() >> self.c_req_op.val());
        self.w_sop.next =
            bit_cast::<OP_BITS, SR_BITS>(self.wword.val() >> self.c_sub_slot_op.val());
        self.sram.write_data.next = self.wword.val();
        if self.ty.q.val() == self.c_t_step.val() {
            self.sram.write_data.next = self.wslot.val();
        }
        if self.store.val() & (self.n.q.val() <= self.c_max_body.val()) {
            self.n.d.next = self.n.q.val() + 1;
            self.crc.d.next = self.crc_acc.val();
            if self.n.q.val() == 0 {
                self.ty.d.next = self.sbyte.val();
            }
            if self.n.q.val() == 1 {
                self.seq.d.next = self.sbyte.val();
            }
            if self.n.q.val() == 2 {
                self.len.d.next = bit_cast::<16, 8>(self.sbyte.val());
            }
            if self.n.q.val() == 3 {
                self.len.d.next = self.len.q.val() | (bit_cast::<16, 8>(self.sbyte.val()) << 8);
            }
            if self.n.q.val() >= self.c_header.val() {
                self.rx.d.next = (self.rx.q.val() >> 8)
                    | (bit_cast::<RX_BITS, 8>(self.sbyte.val()) << self.c_rx_top.val());
            }
            // A `Step`'s slots: each checked and written to the slot RAM
            // as its last byte arrives.
            if self.n.q.val() == 0 {
                self.widx.d.next = 0.into();
                self.wb.d.next = 0.into();
                self.s_bad.d.next = false;
                self.sleft.d.next = 0.into();
            }
            if (self.n.q.val() == 3)
                & ((self.ty.q.val() == self.c_t_step.val())
                    | (self.c_batches.val() & (self.ty.q.val() == self.c_t_submit.val())))
            {
                self.sleft.d.next = self.len.q.val() | (bit_cast::<16, 8>(self.sbyte.val()) << 8);
                self.w_last.d.next = self.c_se_last.val();
                if self.ty.q.val() == self.c_t_step.val() {
                    self.w_last.d.next = self.c_sb_last.val();
                }
            }
            // (`sleft` may be left over from a frame cut short: only a
            // payload byte counts.)
            if self.sleft.q.val().any() & (self.n.q.val() >= self.c_header.val()) {
                self.sleft.d.next = self.sleft.q.val() - 1;
                self.wacc.d.next = self.wword.val();
                self.wb.d.next = self.wb.q.val() + 1;
                if self.wb.q.val() == self.w_last.q.val() {
                    self.wb.d.next = 0.into();
                    self.widx.d.next = self.widx.q.val() + 1;
                    self.sram.write_enable.next = true;
                    // A slot: valid with an unknown op. A request: a
                    // client of the build, valid, a known op.
                    if self.ty.q.val() == self.c_t_step.val() {
                        if self.wslot.val().get_bit(0) & (self.w_op.val() > self.c_last_op.val()) {
                            self.s_bad.d.next = true;
                        }
                    } else if (self.wword.val().get_bits::<8>(0) >= self.c_clients8.val())
                        | !self.wword.val().get_bit(24)
                        | (self.w_sop.val() > self.c_last_op.val())
                    {
                        self.s_bad.d.next = true;
                    }
                }
            }
        }

        // The checks of a whole frame, in `Drop`'s order.
        self.want_len.next = 0.into();
        if self.ty.q.val() == self.c_t_cmd.val() {
            self.want_len.next = self.c_cmd_bytes.val();
        }
        self.len_rounds.next = 0.into();
        for i in 0..STEP_ROUNDS {
            if self.len.q.val() == self.c_step_bytes[i].val() {
                self.len_rounds.next = self.c_step_n[i].val();
            }
        }
        // A `Step` or `Submit` may be any whole number of rounds or
        // requests: its length is right if it matched one (else it is
        // compared with one round's or request's, which it is not).
        if self.ty.q.val() == self.c_t_step.val() {
            self.want_len.next = self.c_step_bytes[0].val();
            if self.len_rounds.val().any() {
                self.want_len.next = self.len.q.val();
            }
        }
        if self.ty.q.val() == self.c_t_stats.val() {
            self.want_len.next = self.c_stats_bytes.val();
        }
        self.sub_n.next = 0.into();
        for i in 0..SUBMIT_MAX {
            if self.len.q.val() == self.c_sub_bytes[i].val() {
                self.sub_n.next = self.c_sub_n[i].val();
            }
        }
        if self.ty.q.val() == self.c_t_submit.val() {
            self.want_len.next = self.c_sub_bytes[0].val();
            if self.sub_n.val().any() {
                self.want_len.next = self.len.q.val();
            }
        }
        self.bad_payload.next = false;
        if (self.ty.q.val() == self.c_t_step.val())
            | (self.c_batches.val() & (self.ty.q.val() == self.c_t_submit.val()))
        {
            // (Each slot or request was checked as it arrived.)
            self.chk.next = 0.into();
            self.bad_payload.next = self.s_bad.q.val();
        } else if self.ty.q.val() == self.c_t_cmd.val() {
            self.chk.next = bit_cast::<8, RX_BITS>(self.rx.q.val() >> self.c_cmd_off.val());
            if self.chk.val().get_bits::<8>(0) > self.c_last_cmd.val() {
                self.bad_payload.next = true;
            }
        } else {
            self.chk.next = bit_cast::<8, RX_BITS>(self.rx.q.val() >> self.c_stats_off.val());
            if (self.ty.q.val() == self.c_t_stats.val()) & self.chk.val().get_bits::<7>(1).any() {
                self.bad_payload.next = true;
            }
        }
        self.a_pay_end.d.next =
            bit_cast::<PLACE_BITS, 16>(self.a_len.q.val() + self.c_header.val() - 1);
        self.a_end.d.next =
            bit_cast::<PLACE_BITS, 16>(self.a_len.q.val() + self.c_overhead.val() - 1);
        self.r_want_len.d.next = self.want_len.val();
        self.r_len_rounds.d.next = self.len_rounds.val();
        self.r_sub_n.d.next = self.sub_n.val();
        self.r_bad_payload.d.next = self.bad_payload.val();
        self.k_n_bad.d.next =
            (self.n.q.val() < self.c_overhead.val()) | (self.n.q.val() > self.c_max_body.val());
        self.k_crc_bad.d.next = self.crc.q.val() != self.c_residue.val();
        self.k_len_bad.d.next = self.len.q.val() + self.c_overhead.val() != self.n.q.val();
        self.k_type_bad.d.next = (self.ty.q.val() != self.c_t_info.val())
            & (self.ty.q.val() != self.c_t_cmd.val())
            & (self.ty.q.val() != self.c_t_step.val())
            & (self.ty.q.val() != self.c_t_stats.val())
            & (!self.c_batches.val()
                | ((self.ty.q.val() != self.c_t_submit.val())
                    & (self.ty.q.val() != self.c_t_collect.val())));
        self.k_want_bad.d.next = self.len.q.val() != self.r_want_len.q.val();
        if self.checking.val() {
            // (A `Collect`'s answer reads `coll` from entry 0. Set at every
            // check, whatever its outcome: nothing reads `coll` while a
            // frame is checked, and so the collector's read address does not
            // wait for the drop reason.)
            self.k_ent_n.next = 0.into();
            // (A `Step`'s or `Submit`'s rounds run from the page it filled,
            // from slot 0; the next frame fills the other. Likewise set at
            // every check: nothing runs from the slot RAM while a frame is
            // checked, so its read address does not wait for the outcome.)
            self.run_pg.d.next = self.fill_pg.q.val();
            self.rs_n.next = 0.into();
            if self.overrun.q.val() {
                self.reason.next = self.c_d_overrun.val();
            } else if self.esc.q.val() | self.bad_esc.q.val() {
                self.reason.next = self.c_d_escape.val();
            } else if self.k_n_bad.q.val() {
                self.reason.next = self.c_d_length.val();
            } else if self.k_crc_bad.q.val() {
                self.reason.next = self.c_d_crc.val();
            } else if self.k_len_bad.q.val() {
                self.reason.next = self.c_d_length.val();
            } else if self.k_type_bad.q.val() {
                self.reason.next = self.c_d_type.val();
            } else if self.k_want_bad.q.val() {
                self.reason.next = self.c_d_length.val();
            } else if self.r_bad_payload.q.val() {
                self.reason.next = self.c_d_payload.val();
            } else if self.pending.val()
                & ((self.ty.q.val() == self.c_t_step.val())
                    | ((self.ty.q.val() == self.c_t_cmd.val())
                        & ((self.chk.val().get_bits::<8>(0) == self.c_cmd_gen_run.val())
                            | (self.chk.val().get_bits::<8>(0) == self.c_cmd_reset.val()))))
            {
                self.reason.next = self.c_d_busy.val();
            }
            self.a_ty.d.next = self.ty.q.val();
            self.a_src.d.next = 0.into();
            self.a_seq.d.next = self.seq.q.val();
            if self.reason.val().any() {
                self.nack.next = true;
            } else if self.ty.q.val() == self.c_t_info.val() {
                self.a_src.d.next = self.c_src_info.val();
                self.a_len.d.next = self.c_info_bytes.val();
                self.state.d.next = self.c_state[6].val();
            } else if self.ty.q.val() == self.c_t_cmd.val() {
                self.state.d.next = self.c_state[2].val();
            } else if self.ty.q.val() == self.c_t_step.val() {
                // (Its rounds run from `run_pg`, set above.)
                self.fill_pg.d.next = !self.fill_pg.q.val();
                self.step_n.d.next = self.r_len_rounds.q.val();
                self.step_left.d.next = self.r_len_rounds.q.val();
                self.state.d.next = self.c_state[4].val();
            } else if self.c_batches.val() & (self.ty.q.val() == self.c_t_submit.val()) {
                // Windows before the first request are skipped. The
                // requests run from the page they filled, as a `Step`'s.
                self.fill_pg.d.next = !self.fill_pg.q.val();
                self.step_left.d.next = self.c_sub_max.val() - self.r_sub_n.q.val();
                self.b_cnt.d.next = 0.into();
                self.b_acc.d.next = 0.into();
                self.b_stop.d.next = false;
                self.state.d.next = self.c_state[8].val();
            } else if self.c_batches.val() & (self.ty.q.val() == self.c_t_collect.val()) {
                self.ans.d.next = 0.into();
                self.k_byte.d.next = 0.into();
                self.a_len.d.next = 1.into();
                self.b_cnt.d.next = 0.into();
                self.b_acc.d.next = 0.into();
                self.state.d.next = self.c_state[9].val();
            } else {
                self.a_src.d.next = self.c_src_stats.val();
                self.stats_go.next = true;
                self.a_clear.d.next = self.chk.val().get_bit(0);
                self.a_len.d.next = self.c_stats_answer_bytes.val();
                self.state.d.next = self.c_state[6].val();
            }
        }
        if self.nack.val() {
            // (A timeout's frame is dropped where it stands.)
            self.a_ty.d.next = self.c_nack.val();
            self.a_src.d.next = 0.into();
            self.a_seq.d.next = self.seq.q.val();
            self.ans.d.next = bit_cast::<ANS_BITS, 8>(self.reason.val())
                | (bit_cast::<ANS_BITS, 8>(self.ty.q.val()) << 8);
            self.a_len.d.next = self.c_nack_bytes.val();
            self.state.d.next = self.c_state[6].val();
        }

        // A command on the core's command port.
        self.core.cmd_valid.next = self.state.q.val() == self.c_state[2].val();
        self.core.cmd_code.next =
            bit_cast::<CMD_BITS, RX_BITS>(self.rx.q.val() >> self.c_cmd_off.val());
        self.core.cmd_addr.next =
            bit_cast::<CMD_ADDR_BITS, RX_BITS>(self.rx.q.val() >> (self.c_cmd_off.val() + 8));
        self.core.cmd_data.next =
            bit_cast::<64, RX_BITS>(self.rx.q.val() >> (self.c_cmd_off.val() + 24));
        if (self.state.q.val() == self.c_state[2].val()) & !self.core.busy.val() {
            self.state.d.next = self.c_state[3].val();
        }
        if (self.state.q.val() == self.c_state[3].val()) & self.core.cmd_done.val() {
            self.a_src.d.next = self.c_src_cmd.val();
            self.a_len.d.next = self.c_cmd_answer_bytes.val();
            self.state.d.next = self.c_state[6].val();
        }

        // One round: client k's slot is the slot RAM's at phase k.
        self.core.run.next = self.frun.val();
        self.core.issue_valid.next = self.sram.read_data.val().get_bit(0);
        self.core.issue_op.next =
            bit_cast::<OP_BITS, SR_BITS>(self.sram.read_data.val() >> self.c_req_op.val());
        self.core.issue_key.next =
            bit_cast::<KEY_BITS, SR_BITS>(self.sram.read_data.val() >> self.c_req_key.val());
        self.core.issue_value.next =
            bit_cast::<VALUE_BITS, SR_BITS>(self.sram.read_data.val() >> self.c_req_value.val());
        if (self.state.q.val() == self.c_state[4].val()) & !self.core.busy.val() {
            // A round starts next clock; state 5 is its T clocks.
            self.core.run.next = true;
            if self.step_left.q.val() == self.step_n.q.val() {
                // The answer names the first round.
                self.step_round.d.next = self.core.round.val();
            }
            self.cnt.d.next = 0.into();
            self.state.d.next = self.c_state[5].val();
        }
        if self.state.q.val() == self.c_state[5].val() {
            self.cnt.d.next = self.cnt.q.val() + 1;
            if self.core.issue_strobe.val() {
                self.rs_n.next = self.rs.q.val() + 1;
            }
            if self.core.resp_strobe.val() {
                self.resp.d.next = (self.resp.q.val() >> self.c_resp_pad.val())
                    | (bit_cast::<RESP_BUF_BITS, RESP_PAD_BITS>(self.core.resp_slot.val())
                        << self.c_resp_top.val());
            }
            if self.cnt.q.val() == self.c_t_last.val() {
                self.state.d.next = self.c_state[7].val();
            }
        }

        // Free-running rounds: client k's queue head at phase k, if a
        // result place is free for it; the clock after, the core's
        // `issue_open` says whether it entered (popped) or waits a round.
        // (The queues read it a clock ahead, from the core's `issue_next`.)
        self.head.next = self.queues.head.val();
        self.head_valid.next = self.queues.head_valid.val();
        self.present.next = self.c_batches.val()
            & self.core.issue_strobe.val()
            & self.head_valid.val()
            & ((self.res_n.q.val() + self.infl_n.q.val()) < self.c_results_depth.val())
            & !(self.dec.q.val() & (self.w_client.q.val() == self.core.issue_client.val()));
        if self.state.q.val() != self.c_state[5].val() {
            // (Not a `Step`'s round: a free-running one, if any.)
            self.core.issue_valid.next = self.present.val();
            self.core.issue_op.next =
                bit_cast::<OP_BITS, QE_BITS>(self.head.val() >> self.c_q_op.val());
            self.core.issue_key.next =
                bit_cast::<KEY_BITS, QE_BITS>(self.head.val() >> self.c_q_key.val());
            self.core.issue_value.next =
                bit_cast::<VALUE_BITS, QE_BITS>(self.head.val() >> self.c_q_value.val());
        }
        if self.core.going.val() {
            self.w_present.d.next = self.present.val();
            self.w_tag.d.next = self.head.val().get_bits::<16>(0);
            self.w_client.d.next = self.core.issue_client.val();
        }
        self.dec.d.next = self.present.val();
        if self.dec.q.val() & self.core.issue_open.val() {
            self.queues.pop.next = true;
        }
        // (The attempts' line advances with the core's links, every round.)
        self.flight.run.next = self.core.going.val();
        self.flight.clear.next = self.reset.val();
        self.flight.d.next = 0.into();
        if self.w_present.q.val() {
            self.flight.d.next = bit_cast::<FLIGHT_BITS, 16>(self.w_tag.q.val()) | 0x2_0000_u64;
            if self.core.issue_open.val() {
                self.flight.d.next = bit_cast::<FLIGHT_BITS, 16>(self.w_tag.q.val()) | 0x3_0000_u64;
            }
        }
        // An attempt's answer comes back `latency` rounds on: a taken one's
        // is a result (client, tag, issue and done rounds, response slot).
        self.infl_done.next =
            self.c_batches.val() & self.core.resp_strobe.val() & self.flight.q.val().get_bit(17);
        self.res_push.next = self.infl_done.val() & self.flight.q.val().get_bit(16);
        self.results.write.next = self.c_batches.val() & self.res_push.val();
        self.results.data_in.next = bit_cast::<RES_BITS, CLIENT_BITS>(self.core.resp_client.val())
            | (bit_cast::<RES_BITS, 16>(self.flight.q.val().get_bits::<16>(0)) << 8)
            | (bit_cast::<RES_BITS, ROUND_BITS>(self.core.resp_round.val()) << 24)
            | (bit_cast::<RES_BITS, ROUND_BITS>(self.core.round.val()) << 72)
            | (bit_cast::<RES_BITS, RESP_PAD_BITS>(self.core.resp_slot.val()) << 120);
        self.res_pop.next = false;

        // `Submit`: one window a clock, taken or refused the clock after it
        // is read; a request that finds its queue full is refused with
        // every one after it.
        self.sw.d.next = self.sram.read_data.val();
        self.sw_go.d.next = false;
        self.qclient.next = self.sw.q.val().get_bits::<8>(0);
        self.queues.push_client.next = bit_cast::<CLIENT_BITS, 8>(self.qclient.val());
        self.qfull.next = false;
        for c in 0..C {
            if self.qclient.val().index() == c {
                self.qfull.next = self.queues.full.val().get_bit(c);
            }
        }
        self.b_next.next = self.b_acc.q.val();
        if self.c_batches.val() & (self.state.q.val() == self.c_state[8].val()) {
            self.b_cnt.d.next = self.b_cnt.q.val() + 1;
            if (self.b_cnt.q.val() >= self.step_left.q.val())
                & (self.b_cnt.q.val() != self.c_sub_max.val())
            {
                self.rs_n.next = self.rs.q.val() + 1;
                self.sw_go.d.next = true;
            }
            if self.sw_go.q.val() & !self.b_stop.q.val() {
                if self.qfull.val() {
                    self.b_stop.d.next = true;
                } else {
                    self.b_next.next = self.b_acc.q.val() + 1;
                    self.queues.push.next =
                        self.c_batches.val() & (self.qclient.val() < self.c_clients8.val());
                }
            }
            self.b_acc.d.next = self.b_next.val();
            // The answer: the count of results waiting now, and a clock
            // later (`b_fin`, the framer's first clock, long before it
            // fetches the payload) the count accepted, from `b_acc`: the
            // queues' `full` does not reach `ans` in one clock. (The last
            // window is read at `c_sub_max - 1`, taken or refused at
            // `c_sub_max`.)
            if self.b_cnt.q.val() == self.c_sub_max.val() {
                self.state.d.next = self.c_state[6].val();
                self.a_len.d.next = self.c_submit_answer_bytes.val();
                self.ans.d.next = bit_cast::<ANS_BITS, 16>(self.res_n.q.val()) << 8;
                self.b_fin.d.next = true;
            }
        }
        if self.b_fin.q.val() {
            self.ans.d.next = self.ans.q.val() | bit_cast::<ANS_BITS, 8>(self.b_acc.q.val());
            self.b_fin.d.next = false;
        }
        // `Collect`: up to COLLECT_MAX results go into `coll`, one a clock,
        // the first at 0; the answer is their count (`ans`), then their
        // bytes, which the framer reads from `coll`.
        if self.c_batches.val() & (self.state.q.val() == self.c_state[9].val()) {
            self.b_cnt.d.next = self.b_cnt.q.val() + 1;
            if self.b_cnt.q.val() == self.c_coll_max.val() {
                self.ans.d.next = bit_cast::<ANS_BITS, 8>(self.b_acc.q.val());
                self.a_src.d.next = self.c_src_coll.val();
                self.state.d.next = self.c_state[6].val();
            } else if !self.results.empty.val() {
                self.res_pop.next = self.c_batches.val();
                self.coll.write_enable.next = self.c_batches.val();
                self.b_acc.d.next = self.b_acc.q.val() + 1;
                self.a_len.d.next = self.a_len.q.val() + self.c_coll_bytes.val();
            }
        }
        self.results.read.next = self.res_pop.val();
        if self.present.val() & !self.infl_done.val() {
            self.infl_n.d.next = self.infl_n.q.val() + 1;
        }
        if !self.present.val() & self.infl_done.val() {
            self.infl_n.d.next = self.infl_n.q.val() - 1;
        }
        if self.res_push.val() & !self.res_pop.val() {
            self.res_n.d.next = self.res_n.q.val() + 1;
        }
        if !self.res_push.val() & self.res_pop.val() {
            self.res_n.d.next = self.res_n.q.val() - 1;
        }

        self.resp_out.next = self.resp.q.val();
        if self.state.q.val() == self.c_state[7].val() {
            // A round's last slot is in: the next round (its slots are the
            // slot RAM's next), or the answer: the first round that
            // ran, then the slots, round by round.
            self.step_left.d.next = self.step_left.q.val() - 1;
            if self.step_left.q.val() != 1 {
                self.state.d.next = self.c_state[4].val();
            } else {
                for i in 0..STEP_ROUNDS {
                    if self.step_n.q.val() == self.c_step_n[i].val() {
                        self.resp_out.next = self.resp.q.val() >> self.c_resp_shift[i].val();
                        self.a_len.d.next = self.c_step_answer_bytes[i].val();
                    }
                }
                self.resp.d.next = self.resp_out.val();
                self.a_src.d.next = self.c_src_step.val();
                self.state.d.next = self.c_state[6].val();
            }
        }
        // With `duplex`, state 6 hands the answer to the framer (idle: a
        // frame is checked only then) and the deframer goes on.
        if self.c_duplex.val() & (self.state.q.val() == self.c_state[6].val()) {
            self.t_busy.d.next = true;
            self.state.d.next = self.c_state[0].val();
        }
        // Framer: END, the escaped body (header, `ans` from its low byte,
        // the CRC), END: a fetcher and a sender.
        if self.tx_ready.val() {
            self.t_valid.d.next = false;
        }
        // The sender: END, the body's bytes from `nb` as they are fetched
        // (escaped; a byte not of the CRC stepped into the CRC as it goes),
        // END. The fetcher fills `nb` with the next body byte whenever it is
        // empty or being sent; the first CRC byte waits (one clock) until
        // the last payload byte is stepped in.
        self.emit.next = false;
        self.fcrc_w.next = false;
        self.fcrc_n.next = 0xFFFF_FFFF_u64.into();
        if self.sending.val() & self.out_free.val() {
            if self.t_esc.q.val() {
                self.t_valid.d.next = true;
                self.t_data.d.next = self.t_esc_byte.q.val();
                self.t_esc.d.next = false;
            } else if !self.t_on.q.val() {
                self.t_valid.d.next = true;
                self.t_data.d.next = self.c_end.val();
                self.t_on.d.next = true;
                self.t_ix.d.next = 0.into();
                self.t_hdr.d.next = 1.into();
                self.t_crc.d.next = false;
                self.t_last.d.next = false;
                self.t_fetched.d.next = false;
                self.nb_ok.d.next = false;
                self.pay_v.d.next = false;
                self.a_idx_n.next = 0.into();
                self.fcrc_w.next = true;
            } else if self.t_last.q.val() {
                self.t_valid.d.next = true;
                self.t_data.d.next = self.c_end.val();
                self.t_on.d.next = false;
                self.t_ix.d.next = 0.into();
                self.t_crc.d.next = false;
                self.t_last.d.next = false;
                self.t_fetched.d.next = false;
                self.a_idx_n.next = 0.into();
                self.fcrc_w.next = true;
                if self.c_duplex.val() {
                    self.t_busy.d.next = false;
                } else {
                    self.state.d.next = self.c_state[0].val();
                }
                if self.a_src.q.val() == self.c_src_stats.val() {
                    self.stats_done.next = true;
                    self.clear.next = self.a_clear.q.val();
                }
            } else if self.nb_ok.q.val() {
                self.emit.next = true;
                self.t_valid.d.next = true;
                self.t_last.d.next = self.nb_last.q.val();
                self.t_data.d.next = self.nb.q.val();
                if self.nb.q.val() == self.c_end.val() {
                    self.t_data.d.next = self.c_esc.val();
                    self.t_esc.d.next = true;
                    self.t_esc_byte.d.next = self.c_esc_end.val();
                }
                if self.nb.q.val() == self.c_esc.val() {
                    self.t_data.d.next = self.c_esc.val();
                    self.t_esc.d.next = true;
                    self.t_esc_byte.d.next = self.c_esc_esc.val();
                }
                if !self.nb_crc.q.val() {
                    self.fcrc_w.next = true;
                    self.fcrc_n.next = self.facc.val();
                }
            }
        }
        if self.emit.val() {
            self.nb_ok.d.next = false;
        }
        self.take.next = false;
        self.fetch.next = self.sending.val()
            & self.t_on.q.val()
            & !self.t_fetched.q.val()
            & (!self.nb_ok.q.val() | self.emit.val())
            & (!self.t_crc.q.val() | !self.nb_ok.q.val() | self.nb_crc.q.val());
        if self.fetch.val() {
            self.nb.d.next = self.tb.val();
            self.nb_ok.d.next = true;
            self.nb_crc.d.next = self.t_crc.q.val();
            self.nb_last.d.next = self.t_ix.q.val() == self.a_end.q.val();
            self.t_ix.d.next = self.t_ix.q.val() + 1;
            self.t_hdr.d.next = self.t_hdr.q.val() << 1;
            // (Places count up by one from 0: an equality finds each.)
            if self.t_ix.q.val() == self.a_pay_end.q.val() {
                self.t_crc.d.next = true;
            }
            if self.t_ix.q.val() == self.a_end.q.val() {
                self.t_fetched.d.next = true;
            }
            if !self.t_crc.q.val() {
                if !self.t_hdr.q.val().any() {
                    self.take.next = true;
                }
            } else {
                self.fcrc_w.next = true;
                self.fcrc_n.next = self.fcrc.val() >> 8;
            }
        }
        // The prefetcher: the payload byte at `a_idx` into `pay_r` when it
        // is empty (from the frame's second clock) or taken. (It runs past
        // the payload's end harmlessly: nothing takes those bytes.)
        self.pf.next = self.t_on.q.val() & (!self.pay_v.q.val() | self.take.val());
        if self.pf.val() {
            self.pay_r.d.next = self.pb.val();
            self.pay_v.d.next = true;
            self.ans.d.next = self.ans.q.val() >> 8;
            self.a_idx_n.next = self.a_idx.q.val() + 1;
            if (self.a_src.q.val() == self.c_src_coll.val()) & self.a_idx.q.val().any() {
                if self.k_byte.q.val() == self.c_coll_last.val() {
                    self.k_byte.d.next = 0.into();
                    self.k_ent_n.next = self.k_ent.q.val() + 1;
                } else {
                    self.k_byte.d.next = self.k_byte.q.val() + 1;
                }
            }
        }
        if self.fcrc_w.val() {
            if self.c_duplex.val() {
                self.t_crc_r.d.next = self.fcrc_n.val();
            } else {
                self.crc.d.next = self.fcrc_n.val();
            }
        }
        self.tx_valid.next = self.t_valid.q.val();
        // One count per frame: served (counter 0: `reason` is 0) or
        // dropped; a served `LinkStats` once its answer is out. The count
        // is registered (`cnt_hot`, one-hot) and lands a clock later, so
        // the check's outcome is not on the path to every counter's
        // enable; a clear or reset then drops it, as it would have
        // cleared it.
        self.count_en.next =
            (self.checking.val() & !self.stats_go.val()) | self.nack.val() | self.stats_done.val();
        self.hot.next = 0.into();
        for i in 0..LINK_COUNTERS {
            if self.count_en.val()
                & (self.reason.val().index() == i)
                & !self.clear.val()
                & !self.reset.val()
            {
                self.hot.next = self.hot.val().replace_bit(i, true);
            }
            if self.cnt_hot.q.val().get_bit(i) {
                self.counters[i].d.next = self.counters[i].q.val() + 1;
            }
            if self.clear.val() {
                self.counters[i].d.next = 0.into();
            }
        }
        self.cnt_hot.d.next = self.hot.val();
        self.tx_data.next = self.t_data.q.val();

        if self.reset.val() {
            self.state.d.next = self.c_state[0].val();
            self.hunting.d.next = false;
            self.wd.d.next = 0.into();
            self.t_on.d.next = false;
            self.t_busy.d.next = false;
            self.d_held.d.next = false;
            self.t_ix.d.next = 0.into();
            self.t_crc.d.next = false;
            self.t_last.d.next = false;
            self.t_fetched.d.next = false;
            self.nb_ok.d.next = false;
            self.pay_v.d.next = false;
            self.a_idx_n.next = 0.into();
            self.t_esc.d.next = false;
            self.t_valid.d.next = false;
            self.lost.d.next = false;
            self.b_fin.d.next = false;
            for i in 0..LINK_COUNTERS {
                self.counters[i].d.next = 0.into();
            }
            // (The queues empty at once, `queues.clear`.)
            self.results.read.next = !self.results.empty.val();
            self.results.write.next = false;
            self.infl_n.d.next = 0.into();
            self.res_n.d.next = 0.into();
            self.w_present.d.next = false;
            self.dec.d.next = false;
            self.sw_go.d.next = false;
        }
        // A frame checked or dropped, or a reset: the deframer starts afresh
        // (the FIFO holds the next frame meanwhile).
        if self.checking.val() | self.nack.val() | self.reset.val() {
            self.n.d.next = 0.into();
            self.esc.d.next = false;
            self.bad_esc.d.next = false;
            self.overrun.d.next = false;
            self.crc.d.next = 0xFFFF_FFFF_u64.into();
            self.ty.d.next = 0.into();
            self.seq.d.next = 0.into();
            self.len.d.next = 0.into();
        }
        // The `Info` ROM (a block RAM) reads the byte at `a_idx`'s next
        // value, so its registered output is the byte at `a_idx`.
        self.a_idx.d.next = self.a_idx_n.val();
        // `coll` likewise reads the entry at `k_ent`'s next value.
        self.k_ent.d.next = self.k_ent_n.val();
        // The slot RAM reads the slot at `rs`'s next value.
        self.rs.d.next = self.rs_n.val();
        self.sram.read_address.next = bit_cast::<SR_ADDR_BITS, SR_IDX_BITS>(self.rs_n.val());
        // (The page's next value too: a `Submit` may take its first
        // request the clock after its check.)
        if self.run_pg.d.val() {
            self.sram.read_address.next =
                bit_cast::<SR_ADDR_BITS, SR_IDX_BITS>(self.rs_n.val()) | self.c_page.val();
        }
        self.coll.read_address.next = self.k_ent_n.val();
        self.info_i.next = bit_cast::<INFO_ADDR_BITS, 8>(self.a_idx_n.val());
        self.info_rom.clock.next = self.clock.val();
        self.info_rom.address.next = self.info_i.val();
    }
}

/// The device behind the UART PHY: what a board's top instantiates
/// (`constraints/` holds the pins). With `bypass` high the UART is out of
/// the path and the byte stream is on the `byte_*` ports: the virtual
/// device's fast mode. A board ties `bypass` low.
#[derive(LogicBlock)]
pub struct UartDevice {
    pub clock: Signal<In, Clock>,
    pub reset: Signal<In, bool>,
    pub uart_rx: Signal<In, bool>,
    pub uart_tx: Signal<Out, bool>,
    pub bypass: Signal<In, bool>,
    pub byte_rx_valid: Signal<In, bool>,
    pub byte_rx_data: Signal<In, Bits<8>>,
    pub byte_tx_valid: Signal<Out, bool>,
    pub byte_tx_data: Signal<Out, Bits<8>>,
    pub byte_tx_ready: Signal<In, bool>,
    pub round: Signal<Out, Round>,
    dev: Device,
    urx: UartRx,
    utx: UartTx,
    // ---- every input but the clock, registered: the device's logic then
    // reads registers only (a synchronizer for the UART pin; and Verilator
    // evaluates that logic once a clock, after the edge, instead of again
    // whenever an input is set)
    i_reset: DFF<bool>,
    /// The UART pin inverted (a register starts at zero: the idle line).
    i_uart_rx_n: DFF<bool>,
    i_bypass: DFF<bool>,
    i_rx_valid: DFF<bool>,
    i_rx_data: DFF<Bits<8>>,
    i_tx_ready: DFF<bool>,
}

impl Default for UartDevice {
    fn default() -> Self {
        UartDevice::new()
    }
}

impl UartDevice {
    pub fn new() -> UartDevice {
        UartDevice {
            clock: Default::default(),
            reset: Default::default(),
            uart_rx: Default::default(),
            uart_tx: Default::default(),
            bypass: Default::default(),
            byte_rx_valid: Default::default(),
            byte_rx_data: Default::default(),
            byte_tx_valid: Default::default(),
            byte_tx_data: Default::default(),
            byte_tx_ready: Default::default(),
            round: Default::default(),
            dev: Device::new(),
            urx: UartRx::new(CLOCKS_PER_BIT as u32),
            utx: UartTx::new(CLOCKS_PER_BIT as u32),
            i_reset: Default::default(),
            i_uart_rx_n: Default::default(),
            i_bypass: Default::default(),
            i_rx_valid: Default::default(),
            i_rx_data: Default::default(),
            i_tx_ready: Default::default(),
        }
    }
}

impl Logic for UartDevice {
    #[hdl_gen]
    fn update(&mut self) {
        clock!(self, clock, dev, urx, utx);
        dff_setup!(
            self,
            clock,
            i_reset,
            i_uart_rx_n,
            i_bypass,
            i_rx_valid,
            i_rx_data,
            i_tx_ready
        );
        self.i_reset.d.next = self.reset.val();
        self.i_uart_rx_n.d.next = !self.uart_rx.val();
        self.i_bypass.d.next = self.bypass.val();
        self.i_rx_valid.d.next = self.byte_rx_valid.val();
        self.i_rx_data.d.next = self.byte_rx_data.val();
        self.i_tx_ready.d.next = self.byte_tx_ready.val();
        self.dev.reset.next = self.i_reset.q.val();
        self.round.next = self.dev.round.val();
        self.urx.rx.next = !self.i_uart_rx_n.q.val();
        self.uart_tx.next = self.utx.tx.val();
        self.utx.data.next = self.dev.tx_data.val();
        self.byte_tx_data.next = self.dev.tx_data.val();
        if self.i_bypass.q.val() {
            self.dev.rx_valid.next = self.i_rx_valid.q.val();
            self.dev.rx_data.next = self.i_rx_data.q.val();
            self.dev.tx_ready.next = self.i_tx_ready.q.val();
            self.byte_tx_valid.next = self.dev.tx_valid.val();
            self.utx.valid.next = false;
        } else {
            self.dev.rx_valid.next = self.urx.valid.val();
            self.dev.rx_data.next = self.urx.data.val();
            self.dev.tx_ready.next = self.utx.ready.val();
            self.byte_tx_valid.next = false;
            self.utx.valid.next = self.dev.tx_valid.val();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{clocks, settle, yosys_check};
    use tidekv_defs::link::{cmd_payload, Deframer, DeviceInfo, Dropped, Frame};
    use tidekv_defs::regs::{Cmd, CmdStatus};

    #[test]
    fn device_generates_and_synthesizes() {
        let mut d = UartDevice::new();
        d.connect_all();
        yosys_check("uart_device", &generate_verilog(&d));
    }

    /// The byte-stream side in rust-hdl's simulator: frames in, answers out.
    struct Bench {
        d: Box<Device>,
        out: Deframer,
    }

    impl Bench {
        fn new() -> Bench {
            let mut d = Box::new(Device::new());
            d.connect_all();
            d.tx_ready.next = true;
            d.reset.next = true;
            clocks(&mut *d, 2, |d| &mut d.clock);
            d.reset.next = false;
            Bench {
                d,
                out: Deframer::new(link::max_answer(&config().build)),
            }
        }
        /// Send bytes (one per clock), then clock until an answer comes out.
        fn exchange(&mut self, bytes: &[u8], limit: usize) -> Result<Frame, Dropped> {
            self.exchange_n(bytes, 1, limit).pop().unwrap()
        }
        /// Send bytes (one per clock), then clock until `n` answers came out.
        fn exchange_n(
            &mut self,
            bytes: &[u8],
            n: usize,
            limit: usize,
        ) -> Vec<Result<Frame, Dropped>> {
            let mut got = vec![];
            let mut i = 0;
            for _ in 0..limit {
                self.d.rx_valid.next = i < bytes.len();
                self.d.rx_data.next = u64::from(*bytes.get(i).unwrap_or(&0)).into();
                i += 1;
                settle(&mut *self.d);
                if self.d.tx_valid.val() {
                    if let Some(r) = self.out.push(self.d.tx_data.val().to_u8()) {
                        got.push(r);
                    }
                }
                clocks(&mut *self.d, 1, |d| &mut d.clock);
                if got.len() == n && i >= bytes.len() {
                    return got;
                }
            }
            panic!("{} answers of {n} within {limit} clocks", got.len());
        }
    }

    #[test]
    fn device_answers_info_commands_and_nacks() {
        let b = config().build;
        let mut t = Bench::new();
        let a = t
            .exchange(&Frame::new(FrameType::Info, 5, vec![]).encode(), 3000)
            .unwrap();
        assert_eq!((a.ty, a.seq), (FrameType::Info.code(), 5));
        let info = DeviceInfo::decode(&a.payload).unwrap();
        assert_eq!(info.build, b);
        assert_eq!(info.link, link_params());
        // A command: the round in progress (0) and phase.
        let a = t
            .exchange(
                &Frame::new(FrameType::Cmd, 6, cmd_payload(Cmd::Info.code(), 0, 0)).encode(),
                3000,
            )
            .unwrap();
        assert_eq!((a.ty, a.seq), (FrameType::Cmd.code(), 6));
        assert_eq!(
            link::decode_cmd_answer(&a.payload).unwrap(),
            (CmdStatus::Ok.code(), 0)
        );
        // A corrupted CRC is answered with a NACK naming it; so is an unknown type.
        let mut w = Frame::new(FrameType::Cmd, 7, cmd_payload(Cmd::Info.code(), 0, 0)).encode();
        w[5] ^= 0x01;
        let a = t.exchange(&w, 3000).unwrap();
        assert_eq!(
            (a.ty, a.seq, a.payload.clone()),
            (
                FrameType::Nack.code(),
                7,
                vec![Drop::Crc.code(), FrameType::Cmd.code()]
            )
        );
        let a = t
            .exchange(
                &Frame {
                    ty: 9,
                    seq: 8,
                    payload: vec![],
                }
                .encode(),
                3000,
            )
            .unwrap();
        assert_eq!(a.payload, vec![Drop::Type.code(), 9]);
        // The counters: 2 good frames, one CRC and one type drop.
        let a = t
            .exchange(
                &Frame::new(FrameType::LinkStats, 9, vec![link::STATS_CLEAR]).encode(),
                3000,
            )
            .unwrap();
        let c: Vec<u32> = a
            .payload
            .chunks(4)
            .map(|x| u32::from_le_bytes(x.try_into().unwrap()))
            .collect();
        assert_eq!(c, vec![2, 0, 0, 0, 1, 1, 0, 0, 0]);
        let a = t
            .exchange(
                &Frame::new(FrameType::LinkStats, 10, vec![0]).encode(),
                3000,
            )
            .unwrap();
        assert_eq!(a.payload[..4], [0, 0, 0, 0], "cleared");
    }

    /// A `Step`'s slots are checked as they arrive: a valid slot with an
    /// unknown op anywhere in the payload drops the frame (`Payload`), an
    /// empty slot with any bits does not.
    #[test]
    fn device_checks_every_step_slot() {
        let b = config().build;
        let sb = tidekv_defs::layout::request_layout(&b).bytes();
        let len = link::step_bytes(&b);
        let mut t = Bench::new();
        for (i, slot) in [0, C / 2, C - 1].into_iter().enumerate() {
            // (First a `Step` cut short after its header: the next frame's
            // slots are its own.)
            let cut = [
                0xc0,
                FrameType::Step.code(),
                7,
                len as u8,
                (len >> 8) as u8,
                0xc0,
            ];
            let a = t.exchange(&cut, 20_000).unwrap();
            assert_eq!(a.payload, vec![Drop::Length.code(), FrameType::Step.code()]);
            let mut p = vec![0u8; len];
            p[slot * sb] = 0xff;
            let a = t
                .exchange(&Frame::new(FrameType::Step, i as u8, p).encode(), 20_000)
                .unwrap();
            assert_eq!(
                (a.ty, a.payload.clone()),
                (
                    FrameType::Nack.code(),
                    vec![Drop::Payload.code(), FrameType::Step.code()]
                ),
                "slot {slot}"
            );
            let mut p = vec![0u8; len];
            p[slot * sb] = 0xfe;
            let a = t
                .exchange(&Frame::new(FrameType::Step, 9, p).encode(), 20_000)
                .unwrap();
            assert_eq!(a.ty, FrameType::Step.code(), "slot {slot}, not valid");
        }
        if BATCHES == 0 {
            return;
        }
        // A `Submit`'s requests likewise (slot RAM): a client past the
        // build's, an empty slot or an unknown op in any of them drops it;
        // the same requests unbroken are queued.
        use tidekv_defs::batch::{submit_payload, Queued};
        use tidekv_defs::{Op, Request};
        let n = SUBMIT_MAX.min(4);
        let qs: Vec<Queued> = (0..n)
            .map(|i| Queued {
                client: (i % C) as u32,
                tag: i as u16,
                req: Request::new(Op::Get, 1, None),
            })
            .collect();
        let se = link::submit_entry_bytes(&b);
        for (i, (at, x)) in [(0, 0xffu8), (3, 0x00), (3, 0xff)].into_iter().enumerate() {
            let mut p = submit_payload(&b, &qs);
            p[(n - 1) * se + at] = x;
            let a = t
                .exchange(
                    &Frame::new(FrameType::Submit, 20 + i as u8, p).encode(),
                    20_000,
                )
                .unwrap();
            assert_eq!(
                a.payload,
                vec![Drop::Payload.code(), FrameType::Submit.code()],
                "byte {at} of the last request = {x:#x}"
            );
        }
        let a = t
            .exchange(
                &Frame::new(FrameType::Submit, 30, submit_payload(&b, &qs)).encode(),
                20_000,
            )
            .unwrap();
        assert_eq!((a.ty, a.payload[0] as usize), (FrameType::Submit.code(), n));
    }

    /// What a build leaves out (`DeviceOptions`) is refused with the
    /// answer the protocol names, and what it keeps is served; run on a
    /// lean build too (`scripts/cargo-test.sh`, the iCEBreaker's).
    #[test]
    fn device_answers_what_its_build_leaves_out() {
        use tidekv_defs::batch::{submit_payload, Queued};
        use tidekv_defs::{Op, Request};
        let b = config().build;
        let mut t = Bench::new();
        let a = t
            .exchange(&Frame::new(FrameType::Info, 1, vec![]).encode(), 3000)
            .unwrap();
        assert_eq!(
            DeviceInfo::decode(&a.payload).unwrap().build.device,
            b.device,
            "Info reports the options"
        );
        let one = [Queued {
            client: 0,
            tag: 7,
            req: Request::new(Op::Get, 1, None),
        }];
        let a = t
            .exchange(
                &Frame::new(FrameType::Submit, 2, submit_payload(&b, &one)).encode(),
                3000,
            )
            .unwrap();
        if b.device.batches() {
            assert_eq!(
                a.ty,
                FrameType::Submit.code(),
                "a build with batches queues a Submit"
            );
        } else {
            assert_eq!(
                (a.ty, a.payload),
                (
                    FrameType::Nack.code(),
                    vec![Drop::Type.code(), FrameType::Submit.code()]
                )
            );
            let a = t
                .exchange(&Frame::new(FrameType::Collect, 3, vec![]).encode(), 3000)
                .unwrap();
            assert_eq!(
                (a.ty, a.payload),
                (
                    FrameType::Nack.code(),
                    vec![Drop::Type.code(), FrameType::Collect.code()]
                )
            );
        }
        // A zero seed is a bad argument to a generator, and no generator's business without one.
        for (seq, cmd) in [(4, Cmd::GenSeed), (5, Cmd::GenRun)] {
            let a = t
                .exchange(
                    &Frame::new(FrameType::Cmd, seq, cmd_payload(cmd.code(), 0, 0)).encode(),
                    3000,
                )
                .unwrap();
            let want = if b.device.generator {
                CmdStatus::BadArgument
            } else {
                CmdStatus::Unsupported
            };
            assert_eq!(
                link::decode_cmd_answer(&a.payload).unwrap().0,
                want.code(),
                "{cmd:?}"
            );
        }
        // A table read of node 0's first slot: its state (up) or unsupported.
        let data = tidekv_defs::regs::read_slot_data(0, 0, tidekv_defs::regs::NODE_DOWN);
        let a = t
            .exchange(
                &Frame::new(
                    FrameType::Cmd,
                    6,
                    cmd_payload(Cmd::ReadSlot.code(), 0, data),
                )
                .encode(),
                3000,
            )
            .unwrap();
        let want = if b.device.table_read {
            (CmdStatus::Ok.code(), 0)
        } else {
            (CmdStatus::Unsupported.code(), 0)
        };
        assert_eq!(
            link::decode_cmd_answer(&a.payload).unwrap(),
            want,
            "read_slot"
        );
    }

    #[test]
    fn device_queues_batches_and_answers_them_with_rounds() {
        use tidekv_defs::batch::{decode_collect, decode_submit_answer, submit_payload, Queued};
        use tidekv_defs::{Op, Request, Status};
        let b = config().build;
        if !b.device.batches() {
            eprintln!("{}: no free-running batches in this build (device_answers_what_its_build_leaves_out covers it)", config().name);
            return;
        }
        let lat = b.latency();
        let mut t = Bench::new();
        let q = |client, tag, op, key| Queued {
            client,
            tag,
            req: Request::new(op, key, Some(40 + key)),
        };
        let batch = [
            q(0, 100, Op::Insert, 5),
            q(1, 101, Op::Insert, 6),
            q(0, 102, Op::Get, 6),
            q(2, 103, Op::Get, 5),
        ];
        // Four gets for client 0 (four rounds), and right behind them in the
        // receive FIFO a `Step`: refused while requests are queued or in
        // flight, changing nothing.
        let step = Frame::new(FrameType::Step, 2, vec![0; link::step_bytes(&b)]).encode();
        let gets: Vec<Queued> = (0..4).map(|i| q(0, 300 + i, Op::Get, 99)).collect();
        let mut bytes = Frame::new(FrameType::Submit, 1, submit_payload(&b, &gets)).encode();
        bytes.extend(&step);
        let a = t.exchange_n(&bytes, 2, 3000);
        let (a, busy) = (a[0].clone().unwrap(), a[1].clone().unwrap());
        assert_eq!(decode_submit_answer(&a.payload).unwrap().0, 4);
        assert_eq!(
            busy.payload,
            vec![Drop::Busy.code(), FrameType::Step.code()]
        );
        let a = t
            .exchange(
                &Frame::new(FrameType::Submit, 1, submit_payload(&b, &batch)).encode(),
                3000,
            )
            .unwrap();
        assert_eq!(a.ty, FrameType::Submit.code());
        assert_eq!(
            decode_submit_answer(&a.payload).unwrap().0,
            4,
            "all four queued"
        );
        // 16 more gets for client 0: they take 16 more rounds.
        for i in 0..4 {
            let more: Vec<Queued> = (0..4).map(|j| q(0, 200 + 4 * i + j, Op::Get, 5)).collect();
            let a = t
                .exchange(
                    &Frame::new(FrameType::Submit, 1, submit_payload(&b, &more)).encode(),
                    3000,
                )
                .unwrap();
            assert_eq!(decode_submit_answer(&a.payload).unwrap().0, 4);
        }
        let mut got = vec![];
        for seq in 3..40 {
            let a = t
                .exchange(&Frame::new(FrameType::Collect, seq, vec![]).encode(), 3000)
                .unwrap();
            assert_eq!(a.ty, FrameType::Collect.code());
            got.extend(decode_collect(&b, &a.payload).unwrap());
            if got.len() == 24 {
                break;
            }
        }
        assert_eq!(got.len(), 24, "{got:?}");
        got.sort_by_key(|r| r.tag);
        for r in got.drain(20..) {
            assert_eq!(
                (r.client, r.resp.status, r.done - r.issued),
                (0, Status::NotFound, lat),
                "{r:?}"
            );
        }
        for (i, r) in got[4..].iter().enumerate() {
            assert_eq!(
                (r.client, r.tag, r.resp.value),
                (0, 200 + i as u16, Some(45))
            );
            // Client 0's queue: one a round, in order (a frame's four back to back).
            let prev = if i == 0 { &got[2] } else { &got[3 + i] };
            assert!(r.issued > prev.issued, "{r:?} after {prev:?}");
            if i % 4 != 0 {
                assert_eq!(r.issued, prev.issued + 1, "{r:?} after {prev:?}");
            }
        }
        got.truncate(4);
        for r in &got {
            assert_eq!(r.done - r.issued, lat, "{r:?}");
        }
        // Client 0's second request waits a round behind its first; the
        // get of key 6 runs after its insert (one round earlier, client 1).
        assert_eq!(got[2].issued, got[0].issued + 1);
        assert_eq!(got[1].issued, got[0].issued);
        assert_eq!(
            got.iter()
                .map(|r| (r.client, r.tag, r.resp.status))
                .collect::<Vec<_>>(),
            vec![
                (0, 100, Status::Ok),
                (1, 101, Status::Ok),
                (0, 102, Status::Ok),
                (2, 103, Status::Ok)
            ]
        );
        assert_eq!(got[2].resp.value, Some(46));
        assert_eq!(got[3].resp.value, Some(45));
        // Idle again: a `Step` runs.
        let a = t.exchange(&step, 3000).unwrap();
        assert_eq!(a.ty, FrameType::Step.code());
    }
}
