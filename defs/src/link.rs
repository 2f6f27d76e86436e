//! The device link (docs/DESIGN.md, "Device link"): how frames travel
//! between the host and the device top over a byte stream (a UART, or any
//! transport that carries bytes in order). The RTL's deframer and framer,
//! the device model and the host codec all take their numbers from here.
//!
//! A frame on the wire is SLIP (RFC 1055): `END body END`, where `END`
//! and `ESC` inside the body are escaped. The body is
//!
//! | bytes | field |
//! |---|---|
//! | 1 | type (`FrameType`) |
//! | 1 | sequence number (the device echoes it) |
//! | 2 | payload length, little-endian |
//! | len | payload |
//! | 4 | CRC-32/ISO-HDLC (the `crc` crate's) of everything before it, little-endian |
//!
//! The device answers every frame it receives: with the same type and
//! sequence number, or with a `Nack` that names the `Drop` reason and
//! carries the type and sequence bytes it received. An empty frame
//! (`END END`) is not a frame: the host may send `END`s between frames,
//! and may leave out a frame's opening `END` when it follows another
//! frame's closing one on a line in step (`Frame::encode_following`).

use crate::config::BuildConfig;
use crate::gen::DIGEST_CRC;
use crate::layout::{request_layout, response_layout};

/// Version of this protocol, the first field of `DeviceInfo`.
/// (2: a `Step` frame carries 1 to `MAX_STEP_ROUNDS` rounds; 3: `Submit`
/// and `Collect`; 4: `Info` reports the device options; 5: the
/// `read_slot` command and the `table_read` option bit.)
pub const PROTOCOL_VERSION: u32 = 5;

pub const SLIP_END: u8 = 0xC0;
pub const SLIP_ESC: u8 = 0xDB;
/// `ESC ESC_END` stands for an `END` byte in the body.
pub const SLIP_ESC_END: u8 = 0xDC;
/// `ESC ESC_ESC` stands for an `ESC` byte in the body.
pub const SLIP_ESC_ESC: u8 = 0xDD;

/// Type, sequence number and length.
pub const HEADER_BYTES: usize = 4;
pub const CRC_BYTES: usize = 4;
/// The frame check: CRC-32/ISO-HDLC, the same CRC as the digest's.
pub const FRAME_CRC: crc::Crc<u32> = DIGEST_CRC;
/// The CRC register (initial all ones, not inverted) after a body and its
/// CRC bytes: the device checks a frame by comparing with this.
pub const CRC_RESIDUE: u32 = 0xDEBB_20E3;
/// Bytes the device's receive FIFO holds: the most a host may have sent
/// and not yet seen answered.
pub const RX_FIFO_BYTES: u32 = 512;
/// Width of a link counter.
pub const LINK_COUNTER_BITS: u32 = 32;
/// Bytes of a round number in a `Step` answer.
pub const ROUND_BYTES: usize = 6;
/// A round number as answers carry it: `ROUND_BYTES`, little-endian.
pub fn encode_round(round: u64) -> [u8; ROUND_BYTES] {
    round.to_le_bytes()[..ROUND_BYTES].try_into().unwrap()
}

/// The round number at the start of `p` (`encode_round`'s bytes).
pub fn decode_round(p: &[u8]) -> u64 {
    let mut r = [0u8; 8];
    r[..ROUND_BYTES].copy_from_slice(&p[..ROUND_BYTES]);
    u64::from_le_bytes(r)
}

/// Rounds one `Step` frame may carry. At 2, two frames of two rounds each
/// fit the receive FIFO for 10 clients and a pipelined host pays one
/// header and CRC per two rounds (goodput 0.925 on the simulated link,
/// against 0.882 at 1); but the device's receive and answer registers
/// double, and the ECP5 flow (yowasp nextpnr) then fails (docs/DESIGN.md,
/// "Device link"). 1 until the link keeps its payload in block RAM.
pub const MAX_STEP_ROUNDS: usize = 1;
/// `Cmd` payload: code (1 byte), addr (2), data (8), little-endian.
pub const CMD_BYTES: usize = 11;
/// `Cmd` answer: status (1 byte), rdata (8).
pub const CMD_ANSWER_BYTES: usize = 9;
/// `LinkStats` payload: one flags byte; bit 0 clears the counters after reading.
pub const STATS_BYTES: usize = 1;
pub const STATS_CLEAR: u8 = 1;
/// `Nack` payload: the reason (`Drop` code), then the type byte received (0 if none).
pub const NACK_BYTES: usize = 2;
/// A `Submit` frame carries at least this many requests, a `Collect`
/// answer at least this many results, whatever the build (the payload and
/// answer registers grow to hold them).
pub const BATCH_MIN: usize = 4;
/// `Submit` answer: requests accepted (1 byte), results waiting (2, LE).
pub const SUBMIT_ANSWER_BYTES: usize = 3;

code_enum! {
    /// Frame types: a host frame's type, and its answer's.
    FrameType {
        /// Payload empty; answer: `DeviceInfo::encode`.
        Info = 0, "info";
        /// A command of the core's command port (`regs::Cmd`); answer: its status and rdata.
        Cmd = 1, "cmd";
        /// Run n consecutive rounds (1 <= n <= `MAX_STEP_ROUNDS`): n × C
        /// request slots in (`layout::request_layout` each, an empty slot
        /// all zeros; round by round, client by client); answer: the first
        /// round that ran (6 bytes) and n × C response slots, round by
        /// round, client k's answer to what it issued `latency` rounds
        /// before (an empty slot if none).
        Step = 2, "step";
        /// Read (and optionally clear) the link counters; answer: `LINK_COUNTERS` × 4 bytes.
        LinkStats = 3, "link_stats";
        /// Free-running batches: 1 to `submit_max` requests, each
        /// `submit_entry_bytes`: client (1 byte), tag (2, LE), a request
        /// slot (valid set). They join their clients' queues in order; the
        /// device runs rounds back to back while any request is queued or
        /// in flight, and each round every client's queue head enters if
        /// the calendar lets its port issue (else it waits for the next
        /// round). A request that finds its client's queue full is refused
        /// with every one after it. Answer: `SUBMIT_ANSWER_BYTES`.
        Submit = 4, "submit";
        /// Payload empty; answer: n (1 byte), then n <= `collect_max`
        /// results, oldest first, each `collect_entry_bytes`: client (1),
        /// tag (2), the round it was issued (6), the round it was done (6),
        /// its response slot.
        Collect = 5, "collect";
        /// The device's answer to a frame it dropped.
        Nack = 15, "nack";
    }
}

code_enum! {
    /// Why the device dropped a frame; the `Nack` reason and the link
    /// counter it increments. A frame is checked for overrun, escape, size
    /// (`Length`), CRC, its length field (`Length`), type, the type's
    /// length (`Length`) and payload, in that order.
    Drop {
        /// Bytes were lost in this frame: the receive FIFO was full.
        Overrun = 1, "overrun";
        /// `ESC` followed by something other than `ESC_END` or `ESC_ESC`.
        Escape = 2, "escape";
        /// The body is shorter than a header and CRC, longer than the
        /// largest frame, or its length field disagrees with its size or
        /// with what its type needs.
        Length = 3, "length";
        /// The CRC does not match.
        Crc = 4, "crc";
        /// No such frame type (or a `Nack`, which only the device sends).
        Type = 5, "type";
        /// A field of the payload is invalid (an op code, a command code
        /// wider than the command port's, a flags byte).
        Payload = 6, "payload";
        /// The frame stopped arriving for `watchdog` clocks: the half
        /// frame is discarded, and bytes up to the next `END` with it.
        Timeout = 7, "timeout";
        /// A `Step`, or a `Cmd` that runs rounds or resets (`gen_run`,
        /// `reset`), while free-running requests are queued or in flight:
        /// they own the rounds until they are done. (Other commands run
        /// between two free-running rounds.)
        Busy = 8, "busy";
    }
}

/// Link counters: 0 counts frames answered normally, `d` counts drops for `Drop` code `d`.
pub const LINK_COUNTERS: usize = 9;
/// Names of the link counters, by number.
pub fn link_counter_name(i: usize) -> &'static str {
    if i == 0 {
        "frames"
    } else {
        Drop::from_code(i as u8).map_or("?", Drop::name)
    }
}

/// Payload bytes of one round of a `Step` frame.
pub fn step_bytes(b: &BuildConfig) -> usize {
    b.clients as usize * request_layout(b).bytes()
}

/// Bytes of a `Step` frame of `rounds` rounds on the wire before escapes
/// (END, header, payload, CRC, END).
pub fn step_frame_bytes(b: &BuildConfig, rounds: usize) -> usize {
    2 + HEADER_BYTES + rounds * step_bytes(b) + CRC_BYTES
}

/// Payload bytes of the answer to a `Step` frame of `rounds` rounds.
pub fn step_answer_bytes(b: &BuildConfig, rounds: usize) -> usize {
    ROUND_BYTES + rounds * b.clients as usize * response_layout(b).bytes()
}

/// The rounds a `Step` payload of `len` bytes carries, if it is a valid length.
pub fn step_rounds(b: &BuildConfig, len: usize) -> Option<usize> {
    let one = step_bytes(b);
    (len.is_multiple_of(one) && (1..=MAX_STEP_ROUNDS).contains(&(len / one))).then_some(len / one)
}

/// Bytes of one request of a `Submit` frame: client, tag, request slot.
pub fn submit_entry_bytes(b: &BuildConfig) -> usize {
    3 + request_layout(b).bytes()
}

/// Requests one `Submit` frame may carry: as many as a `Step` frame's
/// payload holds, at least `BATCH_MIN`.
pub fn submit_max(b: &BuildConfig) -> usize {
    (MAX_STEP_ROUNDS * step_bytes(b) / submit_entry_bytes(b)).max(BATCH_MIN)
}

/// The requests a `Submit` payload of `len` bytes carries, if it is a valid length.
pub fn submit_entries(b: &BuildConfig, len: usize) -> Option<usize> {
    let one = submit_entry_bytes(b);
    (len.is_multiple_of(one) && (1..=submit_max(b)).contains(&(len / one))).then_some(len / one)
}

/// Bytes of one result of a `Collect` answer: client, tag, issue and done
/// rounds, response slot.
pub fn collect_entry_bytes(b: &BuildConfig) -> usize {
    3 + 2 * ROUND_BYTES + response_layout(b).bytes()
}

/// Results one `Collect` answer may carry: as many as a `Step` answer
/// holds, at least `BATCH_MIN`.
pub fn collect_max(b: &BuildConfig) -> usize {
    ((step_answer_bytes(b, MAX_STEP_ROUNDS) - 1) / collect_entry_bytes(b)).max(BATCH_MIN)
}

/// Whether a device of this build takes host frames of type `t` (`Nack`
/// is only an answer; `Submit` and `Collect` need free-running batches).
pub fn takes(b: &BuildConfig, t: FrameType) -> bool {
    match t {
        FrameType::Nack => false,
        FrameType::Submit | FrameType::Collect => b.device.batches(),
        _ => true,
    }
}

/// The longest payload a host frame of this type may have (every
/// length but a `Step`'s is exact: `payload_ok`).
pub fn request_bytes(b: &BuildConfig, t: FrameType) -> Option<usize> {
    match t {
        _ if !takes(b, t) => None,
        FrameType::Info => Some(0),
        FrameType::Cmd => Some(CMD_BYTES),
        FrameType::Step => Some(MAX_STEP_ROUNDS * step_bytes(b)),
        FrameType::LinkStats => Some(STATS_BYTES),
        FrameType::Submit => Some(submit_max(b) * submit_entry_bytes(b)),
        FrameType::Collect => Some(0),
        FrameType::Nack => None,
    }
}

/// Whether a host frame of type `t` may have a payload of `len` bytes.
pub fn payload_ok(b: &BuildConfig, t: FrameType, len: usize) -> bool {
    match t {
        FrameType::Step => step_rounds(b, len).is_some(),
        FrameType::Submit => submit_entries(b, len).is_some(),
        t => request_bytes(b, t) == Some(len),
    }
}

/// The payload length of the answer to a host frame of type `t` whose
/// payload is `request_len` bytes long (a `Collect` answer's longest).
pub fn answer_len(b: &BuildConfig, t: FrameType, request_len: usize) -> usize {
    match (t, step_rounds(b, request_len)) {
        (FrameType::Step, Some(n)) => step_answer_bytes(b, n),
        (t, _) => answer_bytes(b, t),
    }
}

/// The longest answer payload of this type (a `Step` of `MAX_STEP_ROUNDS`).
pub fn answer_bytes(b: &BuildConfig, t: FrameType) -> usize {
    match t {
        FrameType::Info => INFO_FIELDS.len() * 4,
        FrameType::Cmd => CMD_ANSWER_BYTES,
        FrameType::Step => step_answer_bytes(b, MAX_STEP_ROUNDS),
        FrameType::LinkStats => LINK_COUNTERS * 4,
        FrameType::Submit | FrameType::Collect if !takes(b, t) => 0,
        FrameType::Submit => SUBMIT_ANSWER_BYTES,
        FrameType::Collect => 1 + collect_max(b) * collect_entry_bytes(b),
        FrameType::Nack => NACK_BYTES,
    }
}

/// The longest payload of a host frame.
pub fn max_payload(b: &BuildConfig) -> usize {
    FrameType::ALL
        .iter()
        .filter_map(|&t| request_bytes(b, t))
        .max()
        .unwrap_or(0)
}

/// The longest answer payload.
pub fn max_answer(b: &BuildConfig) -> usize {
    FrameType::ALL
        .iter()
        .map(|&t| answer_bytes(b, t))
        .max()
        .unwrap_or(0)
}

/// The device build's link parameters (the rest of what `Info` reports
/// comes from the build configuration).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinkParams {
    /// The device clock.
    pub clock_hz: u32,
    /// UART bit rate.
    pub baud: u32,
    /// Clocks without a byte after which a half frame is dropped.
    pub watchdog_clocks: u32,
    /// An identifier of the build (the first 32 bits of its git commit, or 0).
    pub build_id: u32,
}

impl LinkParams {
    /// Defaults: 48 MHz, 3 Mbaud, a watchdog of 1 ms.
    pub fn new(clock_hz: u32, baud: u32, build_id: u32) -> LinkParams {
        LinkParams {
            clock_hz,
            baud,
            watchdog_clocks: clock_hz / 1000,
            build_id,
        }
    }
    /// Clocks per UART bit, rounded to nearest.
    pub fn clocks_per_bit(&self) -> u32 {
        (self.clock_hz + self.baud / 2) / self.baud
    }
    /// The UART bit rate the device really runs at, relative to `baud`:
    /// `clock_hz / clocks_per_bit / baud - 1` (8N1 links tolerate about 2 %
    /// between both ends).
    pub fn baud_error(&self) -> f64 {
        self.clock_hz as f64 / self.clocks_per_bit() as f64 / self.baud as f64 - 1.0
    }
}

/// The largest `LinkParams::baud_error` a build accepts.
pub const MAX_BAUD_ERROR: f64 = 0.015;

impl Default for LinkParams {
    fn default() -> Self {
        LinkParams::new(48_000_000, 3_000_000, 0)
    }
}

/// `Info`'s answer, one little-endian u32 per name, in this order.
pub const INFO_FIELDS: &[&str] = &[
    "protocol",
    "clients",
    "fe_levels",
    "shards",
    "replicas",
    "key_bits",
    "value_bits",
    "capacity",
    "buckets",
    "table_banks",
    "table_ways",
    "table_stash",
    "calendar_max",
    "device_options",
    "clocks_per_round",
    "latency",
    "clock_hz",
    "baud",
    "watchdog_clocks",
    "rx_fifo_bytes",
    "max_payload",
    "config_hash",
    "build_id",
];

/// What a device says about itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceInfo {
    pub protocol: u32,
    pub build: BuildConfig,
    pub clocks_per_round: u32,
    pub latency: u32,
    pub link: LinkParams,
    pub rx_fifo_bytes: u32,
    pub max_payload: u32,
    /// CRC-32 of the build fields (`protocol` to `latency`) as encoded here:
    /// equal hashes, equal builds.
    pub config_hash: u32,
}

/// Why a frame or payload from the other end cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    #[error("frame dropped: {0}")]
    Dropped(Drop),
    #[error("{what} payload is {got} bytes, expected {want}")]
    PayloadSize {
        what: &'static str,
        got: usize,
        want: usize,
    },
    #[error("{what}: {detail}")]
    BadField { what: &'static str, detail: String },
}

impl DeviceInfo {
    pub fn new(b: &BuildConfig, link: LinkParams) -> DeviceInfo {
        let mut i = DeviceInfo {
            protocol: PROTOCOL_VERSION,
            build: b.clone(),
            clocks_per_round: b.clocks_per_round(),
            latency: b.latency() as u32,
            link,
            rx_fifo_bytes: RX_FIFO_BYTES,
            max_payload: max_payload(b) as u32,
            config_hash: 0,
        };
        i.config_hash = i.build_hash();
        i
    }

    /// The answer's words, in `INFO_FIELDS` order.
    pub fn words(&self) -> Vec<u32> {
        let b = &self.build;
        vec![
            self.protocol,
            b.clients,
            b.fe_levels,
            b.shards,
            b.replicas,
            b.key_bits,
            b.value_bits,
            b.capacity,
            b.buckets,
            b.table_banks,
            b.table_ways,
            b.table_stash,
            b.calendar_max,
            b.device.word(),
            self.clocks_per_round,
            self.latency,
            self.link.clock_hz,
            self.link.baud,
            self.link.watchdog_clocks,
            self.rx_fifo_bytes,
            self.max_payload,
            self.config_hash,
            self.link.build_id,
        ]
    }

    /// The hash of the build fields, as `config_hash` should hold.
    pub fn build_hash(&self) -> u32 {
        let bytes: Vec<u8> = self.words()[..16]
            .iter()
            .flat_map(|w| w.to_le_bytes())
            .collect();
        FRAME_CRC.checksum(&bytes)
    }

    pub fn encode(&self) -> Vec<u8> {
        self.words().iter().flat_map(|w| w.to_le_bytes()).collect()
    }

    pub fn decode(p: &[u8]) -> Result<DeviceInfo, LinkError> {
        let want = INFO_FIELDS.len() * 4;
        if p.len() != want {
            return Err(LinkError::PayloadSize {
                what: "info",
                got: p.len(),
                want,
            });
        }
        let w: Vec<u32> = p
            .chunks(4)
            .map(|c| u32::from_le_bytes(c.try_into().unwrap()))
            .collect();
        let i = DeviceInfo {
            protocol: w[0],
            build: BuildConfig {
                clients: w[1],
                fe_levels: w[2],
                shards: w[3],
                replicas: w[4],
                key_bits: w[5],
                value_bits: w[6],
                capacity: w[7],
                buckets: w[8],
                table_banks: w[9],
                table_ways: w[10],
                table_stash: w[11],
                calendar_max: w[12],
                device: crate::config::DeviceOptions::from_word(w[13]),
            },
            clocks_per_round: w[14],
            latency: w[15],
            link: LinkParams {
                clock_hz: w[16],
                baud: w[17],
                watchdog_clocks: w[18],
                build_id: w[22],
            },
            rx_fifo_bytes: w[19],
            max_payload: w[20],
            config_hash: w[21],
        };
        if i.protocol != PROTOCOL_VERSION {
            return Err(LinkError::BadField {
                what: "info",
                detail: format!("the device speaks protocol {}, this host {PROTOCOL_VERSION}: use a matching host or rebuild the device", i.protocol),
            });
        }
        if i.config_hash != i.build_hash() {
            return Err(LinkError::BadField {
                what: "info",
                detail: format!(
                    "config_hash {:#010x} does not match its fields",
                    i.config_hash
                ),
            });
        }
        Ok(i)
    }
}

/// A frame's body without its CRC.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    pub ty: u8,
    pub seq: u8,
    pub payload: Vec<u8>,
}

impl Frame {
    pub fn new(ty: FrameType, seq: u8, payload: Vec<u8>) -> Frame {
        Frame {
            ty: ty.code(),
            seq,
            payload,
        }
    }
    pub fn frame_type(&self) -> Option<FrameType> {
        FrameType::from_code(self.ty)
    }
    /// The body: header, payload and CRC, unescaped.
    pub fn body(&self) -> Vec<u8> {
        let len = u16::try_from(self.payload.len()).expect("payload fits 16 bits");
        let mut b = Vec::with_capacity(HEADER_BYTES + self.payload.len() + CRC_BYTES);
        b.extend_from_slice(&[self.ty, self.seq]);
        b.extend_from_slice(&len.to_le_bytes());
        b.extend_from_slice(&self.payload);
        let crc = FRAME_CRC.checksum(&b);
        b.extend_from_slice(&crc.to_le_bytes());
        b
    }
    /// The frame on the wire: `END`, the escaped body, `END`.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.payload.len() + 16);
        self.encode_into(&mut out);
        out
    }
    pub fn encode_into(&self, out: &mut Vec<u8>) {
        out.push(SLIP_END);
        self.encode_following(out);
    }
    /// The frame as it follows another frame's closing `END` on a line
    /// that is known to be in step: the escaped body and `END`, without
    /// the opening `END` (which only ends line noise or a receiver's hunt
    /// for the next frame). One byte less per frame.
    pub fn encode_following(&self, out: &mut Vec<u8>) {
        slip_escape(&self.body(), out);
        out.push(SLIP_END);
    }
}

/// Append `body` SLIP-escaped.
pub fn slip_escape(body: &[u8], out: &mut Vec<u8>) {
    for &x in body {
        match x {
            SLIP_END => out.extend_from_slice(&[SLIP_ESC, SLIP_ESC_END]),
            SLIP_ESC => out.extend_from_slice(&[SLIP_ESC, SLIP_ESC_ESC]),
            _ => out.push(x),
        }
    }
}

/// A dropped frame: why, and the type and sequence bytes it had (0 where
/// the body was too short to hold them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dropped {
    pub reason: Drop,
    pub ty: u8,
    pub seq: u8,
}

/// Splits a byte stream into frames and checks their framing (escape,
/// size, CRC, length field), in `Drop`'s order. Type and payload checks
/// are the receiver's.
#[derive(Debug, Clone)]
pub struct Deframer {
    buf: Vec<u8>,
    max_body: usize,
    esc: bool,
    bad_escape: bool,
    overrun: bool,
    /// After a timeout: discard bytes up to the next `END`.
    hunting: bool,
}

impl Deframer {
    /// `max_payload`: the longest payload accepted; longer frames are `Length` drops.
    pub fn new(max_payload: usize) -> Deframer {
        Deframer {
            buf: Vec::new(),
            max_body: HEADER_BYTES + max_payload + CRC_BYTES,
            esc: false,
            bad_escape: false,
            overrun: false,
            hunting: false,
        }
    }

    /// Whether a frame is partly received.
    pub fn in_frame(&self) -> bool {
        !self.buf.is_empty() || self.esc || self.bad_escape || self.overrun
    }

    /// Mark the frame in progress as having lost bytes before the next one
    /// (nothing while skipping to an `END` after a timeout: the lost bytes
    /// were part of what is skipped).
    pub fn overrun(&mut self) {
        if !self.hunting {
            self.overrun = true;
        }
    }

    /// The watchdog fired: drop the half frame (if any) and skip to the next `END`.
    pub fn timeout(&mut self) -> Option<Dropped> {
        if !self.in_frame() {
            return None;
        }
        let d = self.dropped(Drop::Timeout);
        self.restart();
        self.hunting = true;
        Some(d)
    }

    fn dropped(&self, reason: Drop) -> Dropped {
        Dropped {
            reason,
            ty: self.buf.first().copied().unwrap_or(0),
            seq: self.buf.get(1).copied().unwrap_or(0),
        }
    }

    fn restart(&mut self) {
        self.buf.clear();
        self.esc = false;
        self.bad_escape = false;
        self.overrun = false;
    }

    /// Take one byte; a frame or a drop when it ends one.
    pub fn push(&mut self, x: u8) -> Option<Result<Frame, Dropped>> {
        if self.hunting {
            if x == SLIP_END {
                self.hunting = false;
            }
            return None;
        }
        if x == SLIP_END {
            if !self.in_frame() {
                return None;
            }
            let r = self.check();
            self.restart();
            return Some(r);
        }
        let byte = if self.esc {
            self.esc = false;
            match x {
                SLIP_ESC_END => SLIP_END,
                SLIP_ESC_ESC => SLIP_ESC,
                _ => {
                    self.bad_escape = true;
                    x
                }
            }
        } else if x == SLIP_ESC {
            self.esc = true;
            return None;
        } else {
            x
        };
        if self.buf.len() <= self.max_body {
            self.buf.push(byte);
        }
        None
    }

    /// Take many bytes, as `push` one by one would (runs of plain bytes are
    /// copied at once); `f` gets every frame or drop they end.
    pub fn push_all(&mut self, mut bytes: &[u8], mut f: impl FnMut(Result<Frame, Dropped>)) {
        while let Some(&x) = bytes.first() {
            if !self.hunting && !self.esc && x != SLIP_END && x != SLIP_ESC {
                let run = bytes
                    .iter()
                    .position(|&x| x == SLIP_END || x == SLIP_ESC)
                    .unwrap_or(bytes.len());
                let room = (self.max_body + 1).saturating_sub(self.buf.len());
                self.buf.extend_from_slice(&bytes[..run.min(room)]);
                bytes = &bytes[run..];
                continue;
            }
            if let Some(r) = self.push(x) {
                f(r);
            }
            bytes = &bytes[1..];
        }
    }

    fn check(&self) -> Result<Frame, Dropped> {
        let n = self.buf.len();
        if self.overrun {
            return Err(self.dropped(Drop::Overrun));
        }
        if self.bad_escape || self.esc {
            return Err(self.dropped(Drop::Escape));
        }
        if n < HEADER_BYTES + CRC_BYTES || n > self.max_body {
            return Err(self.dropped(Drop::Length));
        }
        if FRAME_CRC.checksum(&self.buf[..n - CRC_BYTES]).to_le_bytes() != self.buf[n - CRC_BYTES..]
        {
            return Err(self.dropped(Drop::Crc));
        }
        let len = usize::from(u16::from_le_bytes([self.buf[2], self.buf[3]]));
        if len != n - HEADER_BYTES - CRC_BYTES {
            return Err(self.dropped(Drop::Length));
        }
        Ok(Frame {
            ty: self.buf[0],
            seq: self.buf[1],
            payload: self.buf[HEADER_BYTES..n - CRC_BYTES].to_vec(),
        })
    }
}

/// The device's checks of a frame's type and payload after the framing
/// checks: the type it serves, or why it drops the frame.
pub fn check_request(b: &BuildConfig, f: &Frame) -> Result<FrameType, Drop> {
    let t = match f.frame_type() {
        Some(t) if takes(b, t) => t,
        _ => return Err(Drop::Type),
    };
    if !payload_ok(b, t, f.payload.len()) {
        return Err(Drop::Length);
    }
    match t {
        FrameType::Step => {
            // Op codes past the last op are invalid; an empty slot is not
            // checked (the device reads only `valid` and `op`).
            let l = request_layout(b);
            for slot in f.payload.chunks(l.bytes()) {
                let bits = crate::layout::Bits::from_slice(slot);
                if l.value(&bits, "valid") == 1
                    && crate::codes::Op::from_code(l.value(&bits, "op") as u8).is_none()
                {
                    return Err(Drop::Payload);
                }
            }
        }
        FrameType::Submit => {
            // Every request names a client of the build and is a valid
            // request (an empty slot is not a request).
            let l = request_layout(b);
            for e in f.payload.chunks(submit_entry_bytes(b)) {
                let bits = crate::layout::Bits::from_slice(&e[3..]);
                if u32::from(e[0]) >= b.clients
                    || l.value(&bits, "valid") != 1
                    || crate::codes::Op::from_code(l.value(&bits, "op") as u8).is_none()
                {
                    return Err(Drop::Payload);
                }
            }
        }
        FrameType::Cmd
            // The command port's codes are `CMD_BITS` wide; a wider code is
            // not truncated into another command.
            if u32::from(f.payload[0]) >> crate::regs::CMD_BITS != 0 => {
                return Err(Drop::Payload);
            }
        FrameType::LinkStats
            if f.payload[0] & !STATS_CLEAR != 0 => {
                return Err(Drop::Payload);
            }
        _ => {}
    }
    Ok(t)
}

/// What a device answers to a byte stream, frame by frame: the type of
/// each frame it serves, or the drop it answers with a `Nack` (the model of
/// the RTL deframer's outcomes, timeouts aside).
pub fn expected_answers(b: &BuildConfig, bytes: &[u8]) -> Vec<Result<Frame, Dropped>> {
    let mut d = Deframer::new(max_payload(b));
    bytes
        .iter()
        .filter_map(|&x| d.push(x))
        .map(|r| {
            let f = r?;
            check_request(b, &f)
                .map(|_| f.clone())
                .map_err(|reason| Dropped {
                    reason,
                    ty: f.ty,
                    seq: f.seq,
                })
        })
        .collect()
}

/// A `Nack`'s payload.
pub fn nack_payload(d: &Dropped) -> Vec<u8> {
    vec![d.reason.code(), d.ty]
}

/// A `Cmd` frame's payload.
pub fn cmd_payload(code: u8, addr: u16, data: u64) -> Vec<u8> {
    let mut p = vec![code];
    p.extend_from_slice(&addr.to_le_bytes());
    p.extend_from_slice(&data.to_le_bytes());
    p
}

/// A `Cmd` answer: (status code, rdata).
pub fn decode_cmd_answer(p: &[u8]) -> Result<(u8, u64), LinkError> {
    if p.len() != CMD_ANSWER_BYTES {
        return Err(LinkError::PayloadSize {
            what: "cmd answer",
            got: p.len(),
            want: CMD_ANSWER_BYTES,
        });
    }
    Ok((p[0], u64::from_le_bytes(p[1..9].try_into().unwrap())))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use proptest::prelude::*;

    fn build() -> BuildConfig {
        Config::preset("single-c10").unwrap().build
    }

    #[test]
    fn residue_is_the_crc_register_after_the_crc_bytes() {
        // The device's check: run the register over body and CRC, compare with the residue.
        let body = Frame::new(FrameType::Cmd, 7, cmd_payload(3, 1, 0xc0db)).body();
        let mut reg = 0xffff_ffffu32;
        for &x in &body {
            reg ^= u32::from(x);
            for _ in 0..8 {
                reg = if reg & 1 == 1 {
                    reg >> 1 ^ 0xEDB8_8320
                } else {
                    reg >> 1
                };
            }
        }
        assert_eq!(reg, CRC_RESIDUE);
    }

    #[test]
    fn codes_and_sizes() {
        let b = build();
        assert_eq!(step_bytes(&b), 90);
        assert_eq!(step_answer_bytes(&b, 1), 56);
        assert_eq!(step_answer_bytes(&b, 2), 106);
        assert_eq!(max_payload(&b), MAX_STEP_ROUNDS * 90);
        assert_eq!(step_frame_bytes(&b, 2), 190);
        for n in 0..=MAX_STEP_ROUNDS + 1 {
            assert_eq!(
                step_rounds(&b, 90 * n),
                (1..=MAX_STEP_ROUNDS).contains(&n).then_some(n),
                "{n} rounds"
            );
        }
        assert_eq!(step_rounds(&b, 91), None);
        assert_eq!(LINK_COUNTERS, Drop::ALL.len() + 1);
        assert_eq!(link_counter_name(4), "crc");
    }

    #[test]
    fn info_round_trips_and_checks_its_hash() {
        let i = DeviceInfo::new(&build(), LinkParams::default());
        let p = i.encode();
        assert_eq!(p.len(), answer_bytes(&build(), FrameType::Info));
        assert_eq!(DeviceInfo::decode(&p).unwrap(), i);
        let mut bad = p.clone();
        bad[4] ^= 1; // clients
        assert!(matches!(
            DeviceInfo::decode(&bad),
            Err(LinkError::BadField { .. })
        ));
        assert!(matches!(
            DeviceInfo::decode(&p[1..]),
            Err(LinkError::PayloadSize { .. })
        ));
    }

    fn deframe(bytes: &[u8]) -> Vec<Result<Frame, Dropped>> {
        let mut d = Deframer::new(90);
        bytes.iter().filter_map(|&x| d.push(x)).collect()
    }

    #[test]
    fn drops_name_their_reason() {
        let good = Frame::new(FrameType::Cmd, 9, cmd_payload(1, 2, 3));
        let body = good.body();
        let mut crc = body.clone();
        crc[5] ^= 0x10;
        let mut len = body[..body.len() - 4].to_vec();
        len[2] = 3;
        let c = FRAME_CRC.checksum(&len);
        len.extend_from_slice(&c.to_le_bytes());
        let wire = |b: &[u8]| {
            let mut w = vec![SLIP_END];
            slip_escape(b, &mut w);
            w.push(SLIP_END);
            w
        };
        let r = |b: &[u8]| deframe(&wire(b)).pop().unwrap().unwrap_err().reason;
        assert_eq!(r(&crc), Drop::Crc);
        assert_eq!(r(&len), Drop::Length);
        assert_eq!(r(&body[..5]), Drop::Length);
        assert_eq!(
            deframe(&[SLIP_END, 1, 2, SLIP_ESC, 7, 4, 5, 6, 7, 8, SLIP_END])
                .remove(0)
                .unwrap_err()
                .reason,
            Drop::Escape
        );
        assert_eq!(deframe(&good.encode()), vec![Ok(good.clone())]);
        // Empty frames are not frames.
        assert!(deframe(&[SLIP_END, SLIP_END, SLIP_END]).is_empty());
        let mut d = Deframer::new(90);
        let w = good.encode();
        for &x in &w[..6] {
            assert!(d.push(x).is_none());
        }
        assert_eq!(
            d.timeout().unwrap(),
            Dropped {
                reason: Drop::Timeout,
                ty: 1,
                seq: 9
            }
        );
        // The tail is skipped up to the END; the next frame is whole.
        let mut out: Vec<_> = w[6..].iter().filter_map(|&x| d.push(x)).collect();
        out.extend(w.iter().filter_map(|&x| d.push(x)));
        assert_eq!(out, vec![Ok(good)]);
    }

    #[test]
    fn request_checks() {
        let b = build();
        let mut p = vec![0u8; step_bytes(&b)];
        assert_eq!(
            check_request(&b, &Frame::new(FrameType::Step, 0, p.clone())),
            Ok(FrameType::Step)
        );
        p[9] = 1 | 5 << 1; // client 1: valid, op 5
        assert_eq!(
            check_request(&b, &Frame::new(FrameType::Step, 0, p.clone())),
            Err(Drop::Payload)
        );
        assert_eq!(
            check_request(&b, &Frame::new(FrameType::Step, 0, p[1..].to_vec())),
            Err(Drop::Length)
        );
        // The most rounds a frame carries; the last round's slots are checked too.
        let k = MAX_STEP_ROUNDS;
        let mut most = vec![0u8; k * step_bytes(&b)];
        assert_eq!(
            check_request(&b, &Frame::new(FrameType::Step, 0, most.clone())),
            Ok(FrameType::Step)
        );
        most[(k - 1) * 90 + 9] = 1 | 5 << 1;
        assert_eq!(
            check_request(&b, &Frame::new(FrameType::Step, 0, most.clone())),
            Err(Drop::Payload)
        );
        assert_eq!(
            check_request(
                &b,
                &Frame::new(FrameType::Step, 0, vec![0; (k + 1) * step_bytes(&b)])
            ),
            Err(Drop::Length)
        );
        assert_eq!(
            check_request(&b, &Frame::new(FrameType::Step, 0, vec![])),
            Err(Drop::Length)
        );
        assert_eq!(
            check_request(
                &b,
                &Frame {
                    ty: 9,
                    seq: 0,
                    payload: vec![]
                }
            ),
            Err(Drop::Type)
        );
        assert_eq!(
            check_request(&b, &Frame::new(FrameType::Nack, 0, vec![1, 2])),
            Err(Drop::Type)
        );
        assert_eq!(
            check_request(&b, &Frame::new(FrameType::LinkStats, 0, vec![2])),
            Err(Drop::Payload)
        );
        assert_eq!(
            check_request(&b, &Frame::new(FrameType::Cmd, 0, cmd_payload(31, 0, 0))),
            Ok(FrameType::Cmd)
        );
        assert_eq!(
            check_request(&b, &Frame::new(FrameType::Cmd, 0, cmd_payload(32, 0, 0))),
            Err(Drop::Payload)
        );
    }

    proptest! {
        #[test]
        fn any_frame_round_trips(ty in 0u8..4, seq: u8, payload in proptest::collection::vec(any::<u8>(), 0..90)) {
            let f = Frame { ty, seq, payload };
            prop_assert_eq!(deframe(&f.encode()), vec![Ok(f)]);
        }

        #[test]
        fn push_all_is_push_byte_by_byte(
            frames in proptest::collection::vec((0u8..4, any::<u8>(), proptest::collection::vec(any::<u8>(), 0..120)), 0..6),
            noise in proptest::collection::vec(prop_oneof![Just(SLIP_END), Just(SLIP_ESC), Just(SLIP_ESC_END), any::<u8>()], 0..200),
            cut in 0usize..400,
        ) {
            let mut bytes: Vec<u8> = frames.into_iter().flat_map(|(ty, seq, payload)| Frame { ty, seq, payload }.encode()).collect();
            let at = cut.min(bytes.len());
            bytes.splice(at..at, noise);
            let mut one = Deframer::new(64);
            let want: Vec<_> = bytes.iter().filter_map(|&x| one.push(x)).collect();
            let mut all = Deframer::new(64);
            let mut got = Vec::new();
            let (a, b) = bytes.split_at(bytes.len() / 2);
            all.push_all(a, |r| got.push(r));
            all.push_all(b, |r| got.push(r));
            prop_assert_eq!(got, want);
        }
    }
}
