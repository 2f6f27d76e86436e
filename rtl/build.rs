//! The RTL is specialised for one build configuration at compile time:
//! rust-hdl's widths are const generics. This reads the configuration named
//! by `TIDEKV_RTL_CONFIG` (a TOML file or a preset name; default
//! `test.toml` here) and writes its numbers as constants; `src/params.rs`
//! derives the rest. Every number comes from `tidekv-defs`.

use std::fmt::Write;
use std::path::PathBuf;
use tidekv_defs::hash::{columns, FE_HASH_SEED, TABLE_HASH_SEED};
use tidekv_defs::layout::{clog2, request_layout};
use tidekv_defs::link::{self, DeviceInfo, FrameType, LinkParams};
use tidekv_defs::Config;

fn main() {
    println!("cargo:rerun-if-env-changed=TIDEKV_RTL_CONFIG");
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    let spec = std::env::var("TIDEKV_RTL_CONFIG")
        .unwrap_or_else(|_| manifest.join("test.toml").display().to_string());
    if spec.ends_with(".toml") {
        println!("cargo:rerun-if-changed={spec}");
    }
    let text = tidekv_defs::config::spec_text(&spec)
        .unwrap_or_else(|e| panic!("TIDEKV_RTL_CONFIG={spec}: {e}"));
    let cfg =
        Config::parse(&text, &spec).unwrap_or_else(|e| panic!("TIDEKV_RTL_CONFIG={spec}: {e}"));
    let b = &cfg.build;
    // The device top's link parameters (docs/DESIGN.md, "Device link").
    let env_u32 = |name: &str, default: u32| -> u32 {
        println!("cargo:rerun-if-env-changed={name}");
        match std::env::var(name) {
            Ok(v) => {
                let v = v.trim();
                let parsed = match v.strip_prefix("0x") {
                    Some(h) => u32::from_str_radix(h, 16),
                    None => v.parse(),
                };
                parsed.unwrap_or_else(|e| panic!("{name}={v}: not a 32-bit number: {e}"))
            }
            Err(_) => default,
        }
    };
    let dl = LinkParams::default();
    let link = LinkParams::new(
        env_u32("TIDEKV_CLOCK_HZ", dl.clock_hz),
        env_u32("TIDEKV_BAUD", dl.baud),
        env_u32("TIDEKV_BUILD_ID", 0),
    );
    assert!(
        link.clocks_per_bit() >= 4,
        "TIDEKV_CLOCK_HZ / TIDEKV_BAUD must be at least 4 clocks per bit"
    );
    assert!(
        link.baud_error().abs() <= tidekv_defs::link::MAX_BAUD_ERROR,
        "a {} Hz clock makes {} baud only {:+.2} % off (at {} clocks per bit); pick a clock closer to a multiple of the baud rate",
        link.clock_hz,
        link.baud,
        100.0 * link.baud_error(),
        link.clocks_per_bit()
    );
    // The FPGA family the Verilog is for (`TIDEKV_FAMILY`, set by
    // scripts/board.sh; default none): an iCE40 build keeps its links'
    // delay lines in block RAM (`src/delay.rs`). Only the structure
    // changes, never the behaviour.
    println!("cargo:rerun-if-env-changed=TIDEKV_FAMILY");
    let family = std::env::var("TIDEKV_FAMILY").unwrap_or_default();
    assert!(
        matches!(family.as_str(), "" | "ice40" | "ecp5"),
        "TIDEKV_FAMILY={family}: not a family (ice40 or ecp5, or unset)"
    );
    let info = DeviceInfo::new(b, link);
    let mut o = String::new();
    let name = &cfg.name;
    writeln!(o, "pub const CONFIG_NAME: &str = {name:?};").unwrap();
    writeln!(o, "pub const CONFIG_SOURCE: &str = {spec:?};").unwrap();
    writeln!(o, "pub const CONFIG_TEXT: &str = {text:?};").unwrap();
    writeln!(o, "pub const LINES_IN_BRAM: bool = {};", family == "ice40").unwrap();
    for (n, v) in [
        ("C", b.clients),
        ("H", b.fe_levels),
        ("S", b.shards),
        ("R", b.replicas),
        ("KEY_BITS", b.key_bits),
        ("VALUE_BITS", b.value_bits),
        ("BANKS", b.table_banks),
        ("WAYS", b.table_ways),
        ("STASH_N", b.table_stash),
        ("SET_BITS", b.set_bits()),
        ("BUCKET_BITS", b.buckets.trailing_zeros()),
        ("CLIENT_BITS", clog2(b.clients)),
        (
            "SLOT_BITS",
            clog2(b.table_banks * b.table_ways + b.table_stash),
        ),
        ("SHARD_BITS", clog2(b.shards)),
        ("REPLICA_BITS", clog2(b.replicas)),
        ("NODE_BITS", clog2(b.shards * b.replicas)),
        ("CAL_MAX", b.calendar_max),
        (
            "RESP_BYTES",
            tidekv_defs::layout::response_layout(b).bytes() as u32,
        ),
        (
            "ITEM_BYTES",
            tidekv_defs::regs::schedule_item_bytes(b) as u32,
        ),
        ("T", b.clocks_per_round()),
        ("LAT", b.latency() as u32),
        ("REQ_SLOT_BYTES", request_layout(b).bytes() as u32),
        ("STEP_BYTES", link::step_bytes(b) as u32),
        ("STEP_ROUNDS", link::MAX_STEP_ROUNDS as u32),
        ("MAX_PAYLOAD", link::max_payload(b) as u32),
        // The receive register holds the longest payload but a `Step`'s
        // and a `Submit`'s (whose slots and requests go to the slot RAM as
        // they arrive).
        (
            "RX_PAYLOAD",
            FrameType::ALL
                .iter()
                .filter(|&&t| t != FrameType::Step && t != FrameType::Submit)
                .filter_map(|&t| link::request_bytes(b, t))
                .max()
                .unwrap() as u32,
        ),
        ("MAX_ANSWER", link::max_answer(b) as u32),
        // The answer register holds the answers the framer does not read
        // from where they are made (`Info` from a ROM, `LinkStats` from the
        // counters, `Cmd` from the core, `Step` from the slots it gathered,
        // a `Collect`'s results from their RAM): `Nack`, and `Submit` and
        // `Collect`'s count byte if the build takes them.
        (
            "ANS_BYTES",
            FrameType::ALL
                .iter()
                .filter(|&&t| {
                    matches!(t, FrameType::Nack | FrameType::Submit | FrameType::Collect)
                        && (t == FrameType::Nack || link::takes(b, t))
                })
                .map(|&t| {
                    if t == FrameType::Collect {
                        1
                    } else {
                        link::answer_bytes(b, t)
                    }
                })
                .max()
                .unwrap() as u32,
        ),
        (
            "INFO_ADDR_BITS",
            (link::answer_bytes(b, FrameType::Info) as u32)
                .next_power_of_two()
                .trailing_zeros(),
        ),
        // (Without batches one window and one result: the logic is gated off.)
        (
            "SUBMIT_MAX",
            if b.device.batches() {
                link::submit_max(b) as u32
            } else {
                1
            },
        ),
        ("SUBMIT_ENTRY_BYTES", link::submit_entry_bytes(b) as u32),
        (
            "COLLECT_MAX",
            if b.device.batches() {
                link::collect_max(b) as u32
            } else {
                1
            },
        ),
        ("COLLECT_ENTRY_BYTES", link::collect_entry_bytes(b) as u32),
        // A `Collect`'s results wait in a RAM the framer reads (`coll`).
        (
            "COLL_ADDR_BITS",
            if b.device.batches() {
                clog2(link::collect_max(b) as u32).max(1)
            } else {
                1
            },
        ),
        // Without batches the queues and results are gated off (and 2 deep).
        ("BATCHES", u32::from(b.device.batches())),
        ("DUPLEX", u32::from(b.device.duplex)),
        ("QUEUE_BITS", b.device.batch_queue.max(2).trailing_zeros()),
        (
            "RESULTS_BITS",
            b.device.batch_results.max(2).trailing_zeros(),
        ),
        ("GENERATOR", u32::from(b.device.generator)),
        ("TABLE_READ", u32::from(b.device.table_read)),
        ("COUNTER_BITS", b.device.counter_bits),
        ("CLOCK_HZ", link.clock_hz),
        ("BAUD", link.baud),
        ("CLOCKS_PER_BIT", link.clocks_per_bit()),
        ("WATCHDOG_CLOCKS", link.watchdog_clocks),
        ("BUILD_ID", link.build_id),
    ] {
        writeln!(o, "pub const {n}: usize = {v};").unwrap();
    }
    writeln!(
        o,
        "pub const FE_COLUMNS: [u64; 64] = {:?};",
        columns(FE_HASH_SEED)
    )
    .unwrap();
    writeln!(
        o,
        "pub const TABLE_COLUMNS: [u64; 64] = {:?};",
        columns(TABLE_HASH_SEED)
    )
    .unwrap();
    writeln!(
        o,
        "pub const INFO: [u8; {}] = {:?};",
        info.encode().len(),
        info.encode()
    )
    .unwrap();
    writeln!(
        o,
        "pub const INFO_WORDS: [u32; {}] = {:?};",
        info.words().len(),
        info.words()
    )
    .unwrap();
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap()).join("config.rs");
    std::fs::write(out, o).unwrap();
}
