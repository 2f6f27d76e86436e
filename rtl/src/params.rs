//! The build configuration this crate was compiled for (see `build.rs`):
//! its numbers, and the widths and types derived from them.

use rust_hdl::prelude::*;
use tidekv_defs::codes::{OP_BITS as OP_BITS_U32, STATUS_BITS as STATUS_BITS_U32};

include!(concat!(env!("OUT_DIR"), "/config.rs"));

/// The configuration, parsed again from the same text `build.rs` read.
pub fn config() -> tidekv_defs::Config {
    tidekv_defs::Config::parse(CONFIG_TEXT, CONFIG_SOURCE).expect("build.rs parsed it already")
}

pub const OP_BITS: usize = OP_BITS_U32 as usize;
pub const STATUS_BITS: usize = STATUS_BITS_U32 as usize;
/// A table bank's stage C registers each way's key compare (`true`: one
/// flip-flop a way, the compare after the block RAM's clock-to-out, for an
/// iCE40, whose logic cells run out first) or the key the memory answered
/// (`false`: a key's flip-flops a way, the compare a clock later, for the
/// ECP5's speed).
pub const KEY_EQ_AT_C: bool = LINES_IN_BRAM;
/// Address bits of a table bank's way memories (at least one).
pub const SET_ADDR_BITS: usize = if SET_BITS == 0 { 1 } else { SET_BITS };
/// Address bits of the shard map (at least one).
pub const BUCKET_ADDR_BITS: usize = if BUCKET_BITS == 0 { 1 } else { BUCKET_BITS };
/// One table entry in a way memory: `used | key | value`.
pub const ENTRY_BITS: usize = 1 + KEY_BITS + VALUE_BITS;
/// Main-table ways of one replica.
pub const MAIN_WAYS: usize = BANKS * WAYS;
/// rust-hdl declares a one-bit `Bits<1>` as a scalar, which Verilator will
/// not bit-select: every mask the logic indexes is at least two bits wide.
const fn mask_bits(n: usize) -> usize {
    if n < 2 {
        2
    } else {
        n
    }
}
/// Stash entries in the widths: at least two (entries past `STASH_N` are
/// never used).
pub const STASH_W: usize = mask_bits(STASH_N);
/// Width of a mask of the ways of one set.
pub const WAY_MASK_BITS: usize = mask_bits(WAYS);
/// Width of a mask of a shard's replicas.
pub const REPLICA_MASK_BITS: usize = mask_bits(R);
/// Replica nodes `shard * R + replica`.
pub const NODES: usize = S * R;
/// Width of a round counter; 2^48 rounds is years at any clock.
pub const ROUND_BITS: usize = 48;
/// Clocks-in-round counter width: holds 0..=T (the core compares phases
/// with C, which equals T for single servers, so T itself must fit).
pub const PHASE_BITS: usize = {
    let mut b = 1;
    while (1usize << b) <= T {
        b += 1;
    }
    b
};

/// Schedule copies: 0 is the build's (never written), 1 and 2 take turns
/// as the shadow (docs/DESIGN.md, "Schedules in the RTL").
pub const COPY_BITS: usize = 2;
/// Shard-map memory address: `bucket << COPY_BITS | copy`.
pub const MAP_ADDR_BITS: usize = BUCKET_ADDR_BITS + COPY_BITS;
/// Calendar row number bits (at least one).
pub const CAL_BITS: usize = {
    let mut b = 1;
    while (1usize << b) < CAL_MAX {
        b += 1;
    }
    b
};
/// Calendar memory address: `row << COPY_BITS | copy`.
pub const CAL_ADDR_BITS: usize = CAL_BITS + COPY_BITS;
/// A calendar row: one bit per client.
pub const CLIENT_MASK_BITS: usize = mask_bits(C);
/// A mask of shards.
pub const SHARD_MASK_BITS: usize = mask_bits(S);
/// A response slot as the digest packs it (`tidekv_defs::layout`), in bits.
pub const RESP_PAD_BITS: usize = 8 * RESP_BYTES;
/// A shard-map entry or calendar row as the schedule CRC packs it, in bits.
pub const ITEM_BITS: usize = 8 * ITEM_BYTES;
pub const CMD_BITS: usize = tidekv_defs::regs::CMD_BITS as usize;
pub const CMD_ADDR_BITS: usize = tidekv_defs::regs::CMD_ADDR_BITS as usize;
/// Slots one table sweep visits per set: every main way and stash entry.
pub const SWEEP_SLOTS: usize = MAIN_WAYS + STASH_N;
/// Width of the maintenance counters and the calendar's positions: room for
/// the verify sweep (buckets and calendar rows), a table sweep's slots, the
/// swap's division steps (one a round bit) and twice a calendar period (the
/// division's remainder shifted), with a bit to spare.
pub const CNT_BITS: usize = {
    let mut n = (1usize << BUCKET_BITS) + CAL_MAX;
    if SWEEP_SLOTS + 1 > n {
        n = SWEEP_SLOTS + 1;
    }
    if ROUND_BITS + 1 > n {
        n = ROUND_BITS + 1;
    }
    if 2 * CAL_MAX > n {
        n = 2 * CAL_MAX;
    }
    let mut b = 1;
    while (1usize << b) <= n {
        b += 1;
    }
    b + 1
};

/// The tag a request carries on a link beside its slot: the schedule copy
/// (client to FE), or the shard and replica (FE to replicas).
pub const LINK_X_BITS: usize = if COPY_BITS > SHARD_BITS + REPLICA_BITS {
    COPY_BITS
} else {
    SHARD_BITS + REPLICA_BITS
};
/// The leaf FE's note of a routed slot, for its collect two rounds on:
/// forwarded, answered (no live replica), shard, replica.
pub const PEND_BITS: usize = 2 + SHARD_BITS + REPLICA_BITS;

pub type LinkX = Bits<LINK_X_BITS>;

/// A request on a link, packed: valid, op, key, value, tag.
#[derive(Clone, Copy, Debug, PartialEq, Default, LogicStruct)]
pub struct ReqWord {
    pub valid: bool,
    pub op: OpCode,
    pub key: Key,
    pub value: Value,
    pub x: LinkX,
}

/// An update on a shard's update link, packed.
#[derive(Clone, Copy, Debug, PartialEq, Default, LogicStruct)]
pub struct UpdWord {
    pub valid: bool,
    pub delete: bool,
    /// The replica that sends it (the others apply it).
    pub origin: Bits<REPLICA_BITS>,
    pub slot: SlotNo,
    pub key: Key,
    pub value: Value,
}

/// A response on a link, packed: valid, status, has_value, value.
#[derive(Clone, Copy, Debug, PartialEq, Default, LogicStruct)]
pub struct RespWord {
    pub valid: bool,
    pub status: StatusCode,
    pub has_value: bool,
    pub value: Value,
}
pub type Key = Bits<KEY_BITS>;
pub type Value = Bits<VALUE_BITS>;
pub type Entry = Bits<ENTRY_BITS>;
pub type SetAddr = Bits<SET_ADDR_BITS>;
pub type Client = Bits<CLIENT_BITS>;
pub type SlotNo = Bits<SLOT_BITS>;
pub type OpCode = Bits<OP_BITS>;
pub type StatusCode = Bits<STATUS_BITS>;
pub type WayMask = Bits<WAY_MASK_BITS>;
pub type ReplicaMask = Bits<REPLICA_MASK_BITS>;
pub type StashMask = Bits<STASH_W>;
pub type Node = Bits<NODE_BITS>;
pub type Shard = Bits<SHARD_BITS>;
pub type Round = Bits<ROUND_BITS>;
pub type Phase = Bits<PHASE_BITS>;
pub type Copy = Bits<COPY_BITS>;
pub type CalRow = Bits<CAL_BITS>;
pub type ClientMask = Bits<CLIENT_MASK_BITS>;
pub type ShardMask = Bits<SHARD_MASK_BITS>;
pub type Count = Bits<COUNTER_BITS>;
pub type CmdCode = Bits<CMD_BITS>;
pub type CmdAddr = Bits<CMD_ADDR_BITS>;
/// Clients that come before the last one.
pub const C_BEFORE_LAST: usize = C - 1;

// The device top (`device`): the link's numbers from `tidekv_defs::link`.
pub const REQ_SLOT_BITS: usize = 8 * REQ_SLOT_BYTES;
/// The receive register: the longest payload but a `Step`'s and a
/// `Submit`'s, and its CRC bytes.
pub const RX_BITS: usize = 8 * (RX_PAYLOAD + tidekv_defs::link::CRC_BYTES);
/// The answer register: the longest answer payload but `Info`'s (the
/// framer reads that from a ROM).
pub const ANS_BITS: usize = 8 * ANS_BYTES;
/// A `Cmd` answer: status byte, then the 64-bit read data.
pub const CMD_ANS_BITS: usize = 8 * tidekv_defs::link::CMD_ANSWER_BYTES;
/// A `Step` answer of the most rounds: the round, then the response slots.
pub const STEP_ANS_BITS: usize = ROUND_BITS + RESP_BUF_BITS;
/// A step's response slots, round by round, client 0 lowest (room for
/// `STEP_ROUNDS` rounds; a shorter step's sit at the top).
pub const RESP_BUF_BITS: usize = STEP_ROUNDS * C * RESP_PAD_BITS;
/// Request slots of the longest `Step` (a loop bound in the logic).
pub const STEP_SLOTS: usize = STEP_ROUNDS * C;
/// A `Step`'s slots in the slot RAM: two pages (`duplex`: the deframer
/// fills one while a `Step` runs from the other) of `2^SR_IDX_BITS`.
pub const SR_IDX_BITS: usize = clog2c(if SR_SUBMIT && SUBMIT_MAX > STEP_SLOTS {
    SUBMIT_MAX
} else {
    STEP_SLOTS
});
/// A `Submit`'s requests (client, tag, slot) go to the slot RAM too, if
/// the build takes them: its word is the wider of a slot and a request.
pub const SR_SUBMIT: bool = BATCHES != 0;
pub const SR_BITS: usize = if SR_SUBMIT && 8 * SUBMIT_ENTRY_BYTES > REQ_SLOT_BITS {
    8 * SUBMIT_ENTRY_BYTES
} else {
    REQ_SLOT_BITS
};
pub const SR_ADDR_BITS: usize = SR_IDX_BITS + 1;
/// Bits to number `n` things, at least 1.
const fn clog2c(n: usize) -> usize {
    let mut b = 1;
    while (1 << b) < n {
        b += 1;
    }
    b
}
/// The link counters, counter 0 lowest, as `LinkStats` carries them.
pub const STATS_BITS: usize =
    tidekv_defs::link::LINK_COUNTERS * tidekv_defs::link::LINK_COUNTER_BITS as usize;
/// A link counter's width in the logic: `counter_bits`, at most the
/// answer's 32 (`tidekv_defs::link::link_counter_bits`).
pub const LINK_CTR_BITS: usize = if COUNTER_BITS < 32 { COUNTER_BITS } else { 32 };
/// A request in a client's batch queue: tag (16 bits), then the request slot.
pub const QE_BITS: usize = 16 + REQ_SLOT_BITS;
/// A batch queue's read and write counters (`link::queues`).
pub const QPTR_BITS: usize = QUEUE_BITS + 1;
/// The batch queues' RAM: a region of `2^QUEUE_BITS` entries a client.
pub const QRAM_BITS: usize = QUEUE_BITS + CLIENT_BITS;
/// A result waiting to be collected, as the `Collect` answer carries it.
pub const RES_BITS: usize = 8 * COLLECT_ENTRY_BYTES;
/// An attempt to issue a queued request: attempt (bit 17), taken (bit 16)
/// and its tag.
pub const FLIGHT_BITS: usize = 18;
/// The watchdog counter: counts to `WATCHDOG_CLOCKS`.
/// Bits of an answer's body place as the framer counts it (0 to the
/// closing END's place: header, the longest answer, CRC).
pub const PLACE_BITS: usize = {
    let mut b = 1;
    // (+ 1: `t_ix` counts one past the last place.)
    while (1usize << b)
        <= MAX_ANSWER + tidekv_defs::link::HEADER_BYTES + tidekv_defs::link::CRC_BYTES + 1
    {
        b += 1;
    }
    b
};
pub const WD_BITS: usize = {
    let mut b = 1;
    while (1usize << b) <= WATCHDOG_CLOCKS {
        b += 1;
    }
    b
};
/// Address bits of the receive FIFO.
pub const RX_FIFO_BITS: usize = tidekv_defs::link::RX_FIFO_BYTES.trailing_zeros() as usize;

/// The link parameters this crate was built with.
pub fn link_params() -> tidekv_defs::link::LinkParams {
    tidekv_defs::link::LinkParams {
        clock_hz: CLOCK_HZ as u32,
        baud: BAUD as u32,
        watchdog_clocks: WATCHDOG_CLOCKS as u32,
        build_id: BUILD_ID as u32,
    }
}
