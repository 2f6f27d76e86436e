//! The core's command port (docs/DESIGN.md, "Command port"): command codes,
//! command status codes, counter numbers and the packing of command
//! arguments. The RTL decodes these, the device top carries them in frames
//! and the host encodes them; each is written here once.
//!
//! A command is `(code, addr: 16 bits, data: 64 bits)`; its answer is
//! `(status, rdata: 64 bits)`. Commands that change state run only while the
//! core is paused at a round boundary (`run` low, phase 0); the read-only
//! ones (`ReadCounter`, `ReadSwap`, `Info`) run any time the port is idle.

use crate::config::{BuildConfig, Schedule};
use crate::gen::{GenConfig, DIGEST_CRC};

/// Width of a command code.
pub const CMD_BITS: u32 = 5;
/// Width of a command's address argument.
pub const CMD_ADDR_BITS: u32 = 16;
/// Width of a counter in the widest build (`DeviceOptions::counter_bits`
/// narrows it).
pub const COUNTER_BITS: u32 = crate::config::MAX_COUNTER_BITS;
/// Width of the round field in `Info` and `ReadSwap` rdata (bits 0..48).
pub const ROUND_FIELD_BITS: u32 = 48;

/// `ReadSlot`'s words: whether the slot is used, its key, its value;
/// whether the node is down.
pub const SLOT_USED: u64 = 0;
pub const SLOT_KEY: u64 = 1;
pub const SLOT_VALUE: u64 = 2;
pub const NODE_DOWN: u64 = 3;

/// `ReadSlot`'s `data`: slot `slot` of set `set`, word `word` (`SLOT_*`).
pub fn read_slot_data(set: u32, slot: u32, word: u64) -> u64 {
    u64::from(set) | u64::from(slot) << 16 | word << 32
}

/// The round in an `Info` or `ReadSwap` rdata word.
pub fn round_field(rdata: u64) -> u64 {
    rdata & ((1 << ROUND_FIELD_BITS) - 1)
}

/// `ReadSwap`'s rdata, decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SwapState {
    /// The last armed swap's round has come.
    pub done: bool,
    /// It took effect (the device's check passed).
    pub took_effect: bool,
    /// A swap is armed and its round has not come.
    pub armed: bool,
    pub round: u64,
}

impl SwapState {
    pub fn decode(w: u64) -> SwapState {
        SwapState {
            done: w >> 63 & 1 == 1,
            took_effect: w >> 62 & 1 == 1,
            armed: w >> 61 & 1 == 1,
            round: round_field(w),
        }
    }
}

code_enum! {
    /// Command codes.
    Cmd {
        /// rdata: the round in progress (bits 0..48) and phase (48..63).
        Info = 0, "info";
        /// Shadow shard map: bucket `addr` -> shard `data`.
        StageMap = 1, "stage_map";
        /// Shadow replica policy and LFSR seed: `data` = policy code | seed << 32.
        StagePolicy = 2, "stage_policy";
        /// Shadow failure mask of shard `addr`: `data` = replica bit mask.
        StageFailed = 3, "stage_failed";
        /// Shadow calendar row `addr`: `data` = client bit mask.
        StageCalendar = 4, "stage_calendar";
        /// Shadow calendar period: `data` = P, 1..=calendar_max.
        StagePeriod = 5, "stage_period";
        /// Check the shadow schedule (legal shards); rdata = its CRC
        /// (`schedule_crc`). Required before `Swap`; any stage write undoes it.
        Verify = 6, "verify";
        /// Arm the swap for round `data` (>= the round in progress). It takes
        /// effect at that round's start if no bucket then maps to a shard
        /// whose replicas are all failed; `ReadSwap` tells.
        Swap = 7, "swap";
        /// Read the shard map: bucket `addr`, `data` = 1 for the active copy, 0 the shadow.
        ReadMap = 8, "read_map";
        /// rdata: the last swap: bit 63 done, bit 62 took effect, bit 61
        /// armed, bits 0..48 the round (while a swap is armed, its round;
        /// bits 63 and 62 then still tell of the swap before it).
        ReadSwap = 9, "read_swap";
        /// Crash-stop replica node `addr` (= shard * R + replica).
        Fail = 10, "fail";
        /// Bring node `addr` back: its table is copied from the first live
        /// replica of its shard (emptied if none) and the FE forgets its detection.
        Recover = 11, "recover";
        /// rdata: counter `addr` (`Counter`).
        ReadCounter = 12, "read_counter";
        ClearCounters = 13, "clear_counters";
        /// Generator seed (non-zero).
        GenSeed = 14, "gen_seed";
        /// Generator op thresholds: `gen_mix_word`.
        GenMix = 15, "gen_mix";
        /// Generator key mask: 2^n - 1, n = 1..=min(key_bits, 56).
        GenKeys = 16, "gen_keys";
        /// Run the generator for `data` rounds and drain; answers when done
        /// with rdata = the digest.
        GenRun = 17, "gen_run";
        /// Empty every table and link and return to round 0 with the build's schedule.
        Reset = 18, "reset";
        /// Read one slot of replica node `addr`'s table (= shard * R +
        /// replica): `data` = set | slot << 16 | word << 32 (`read_slot_data`);
        /// rdata: word 0 whether the slot is used (bit 0), 1 its key, 2 its
        /// value, 3 whether the node is down (crash-stopped, not yet back;
        /// bit 0). Slots are numbered as the model's (`bank * ways + way`,
        /// then the stash, which every set shows alike).
        ReadSlot = 19, "read_slot";
    }
}

code_enum! {
    /// What a command answers.
    CmdStatus {
        Ok = 0, "ok";
        /// An argument is out of range (bucket, shard, node, row, period, round, seed, mask).
        BadArgument = 1, "bad_argument";
        /// The core is running (or a generator run is): pause it at a round boundary first.
        Running = 2, "running";
        /// `Swap` before a successful `Verify` of the current shadow.
        Unverified = 3, "unverified";
        /// The shadow copy still serves requests of the previous swap (or a
        /// swap is armed): wait `latency / 2` rounds after a swap.
        ShadowInUse = 4, "shadow_in_use";
        /// Unknown command code.
        Unknown = 5, "unknown";
        /// `Recover` in the same round as the node's `Fail`.
        NodeState = 6, "node_state";
        /// The build leaves this command out (`gen_*` without the generator).
        Unsupported = 7, "unsupported";
    }
}

code_enum! {
    /// The counters `ReadCounter` reads.
    Counter {
        /// Requests that entered (passed the calendar).
        Issued = 0, "issued";
        /// Requests the calendar kept out (answered `unavailable`).
        CalendarBlocked = 1, "calendar_blocked";
        /// Responses delivered, per status code (2 + code).
        StatusOk = 2, "ok";
        StatusNotFound = 3, "not_found";
        StatusExists = 4, "exists";
        StatusFull = 5, "full";
        StatusUnavailable = 6, "unavailable";
        /// Replicas the FE found failed by a missing response.
        Detections = 7, "detections";
        /// Requests presented at the client ports, per op code (8 + code).
        OpGet = 8, "get";
        OpInsert = 9, "insert";
        OpModify = 10, "modify";
        OpPut = 11, "put";
        OpDelete = 12, "delete";
        /// Rounds executed since reset.
        Rounds = 13, "rounds";
        /// The last generator run's digest and request count.
        GenDigest = 14, "gen_digest";
        GenRequests = 15, "gen_requests";
    }
}

/// Number of counters.
pub const COUNTERS: usize = 16;

impl Cmd {
    /// Whether running the command twice leaves the device as running it
    /// once and answers the same: a host may resend it when its answer was
    /// lost. (A frame the device refused with a `Nack` never ran, so any
    /// frame may be resent after one.)
    pub fn idempotent(self) -> bool {
        use Cmd::*;
        match self {
            Info | StageMap | StagePolicy | StageFailed | StageCalendar | StagePeriod | Verify
            | ReadMap | ReadSwap | ReadCounter | GenSeed | GenMix | GenKeys | ReadSlot => true,
            // Swap and GenRun act at a round; Fail and Recover answer
            // `node_state` the second time; the others clear or reset.
            Swap | Fail | Recover | ClearCounters | GenRun | Reset => false,
        }
    }
}

impl CmdStatus {
    /// What to do about this answer, for error messages.
    pub fn advice(self) -> &'static str {
        use CmdStatus::*;
        match self {
            Ok => "",
            BadArgument => "an argument is out of range for this build (see `tidekv info`)",
            Running => "the device is running (a generator batch): wait for it to finish",
            Unverified => "verify the staged schedule before swapping",
            ShadowInUse => "the shadow schedule still serves the previous swap's requests, or a swap is armed: run latency/2 rounds past the last swap, then try again",
            Unknown => "the device does not know this command: host and device are of different protocol versions",
            NodeState => "the node failed in this same round: it can recover from the next round on",
            Unsupported => "this device was built without it (a device option: `generator = false` or `table_read = false`, see `tidekv info`'s device_options): for the generator use the host's (`tidekv bench`), or a build with the option",
        }
    }
}

impl Counter {
    pub fn status(code: u8) -> Counter {
        Counter::from_code(2 + code).expect("status code")
    }
    pub fn op(code: u8) -> Counter {
        Counter::from_code(8 + code).expect("op code")
    }
}

/// `StagePolicy`'s data word.
pub fn policy_word(s: &Schedule) -> u64 {
    u64::from(s.replica_policy.code()) | u64::from(s.seed) << 32
}

/// `GenKeys`'s argument: the key mask 2^key_range_bits - 1.
pub fn gen_keys_mask(g: &GenConfig) -> u64 {
    crate::config::mask(g.key_range_bits)
}

/// `GenMix`'s data word: thresholds 0..4 of `OpMix::thresholds`, 9 bits each
/// (the fifth is always 256).
pub fn gen_mix_word(g: &GenConfig) -> u64 {
    g.mix.thresholds()[..4]
        .iter()
        .enumerate()
        .fold(0, |w, (i, &t)| w | u64::from(t) << (9 * i))
}

/// Bytes per shard-map entry and calendar row in `schedule_crc`.
pub fn schedule_item_bytes(b: &BuildConfig) -> usize {
    (b.clients as usize).div_ceil(8).max(1)
}

/// What `Verify` answers for a schedule: CRC-32/ISO-HDLC over every
/// shard-map entry, then every calendar row of the period, each as
/// `schedule_item_bytes` bytes, least significant first.
pub fn schedule_crc(b: &BuildConfig, s: &Schedule) -> u32 {
    let n = schedule_item_bytes(b);
    let mut d = DIGEST_CRC.digest();
    for &sh in &s.shard_map {
        d.update(&u64::from(sh).to_le_bytes()[..n]);
    }
    for &row in &s.calendar {
        d.update(&row.to_le_bytes()[..n]);
    }
    d.finalize()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::gen::OpMix;

    #[test]
    fn codes_are_unique_and_fit() {
        let mut seen = std::collections::HashSet::new();
        for c in Cmd::ALL {
            assert!(u32::from(c.code()) < 1 << CMD_BITS);
            assert!(seen.insert(c.code()));
            assert_eq!(Cmd::from_code(c.code()), Some(*c));
        }
        assert_eq!(Counter::ALL.len(), COUNTERS);
        assert_eq!(Counter::status(4), Counter::StatusUnavailable);
        assert_eq!(Counter::op(3), Counter::OpPut);
    }

    #[test]
    fn mix_word_packs_thresholds() {
        let g = GenConfig {
            seed: 1,
            rounds: 1,
            key_range_bits: 4,
            mix: OpMix::default(),
        };
        let w = gen_mix_word(&g);
        assert_eq!(w & 0x1ff, 128);
        assert_eq!(w >> 27 & 0x1ff, 230);
    }

    #[test]
    fn schedule_crc_changes_with_the_map() {
        let cfg = Config::preset("sharded-c10-s4").unwrap();
        let a = schedule_crc(&cfg.build, &cfg.schedule);
        let mut s = cfg.schedule.clone();
        s.shard_map[3] = 0;
        assert_ne!(a, schedule_crc(&cfg.build, &s));
        assert_eq!(schedule_item_bytes(&cfg.build), 2);
    }
}
