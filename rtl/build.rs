//! The RTL is specialised for one build configuration at compile time:
//! rust-hdl's widths are const generics. This reads the configuration named
//! by `TIDEKV_RTL_CONFIG` (a TOML file or a preset name; default
//! `test.toml` here) and writes its numbers as constants; `src/params.rs`
//! derives the rest. Every number comes from `tidekv-defs`.

use std::fmt::Write;
use std::path::PathBuf;
use tidekv_defs::hash::{columns, FE_HASH_SEED, TABLE_HASH_SEED};
use tidekv_defs::layout::clog2;
use tidekv_defs::Config;

fn main() {
    println!("cargo:rerun-if-env-changed=TIDEKV_RTL_CONFIG");
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    let spec = std::env::var("TIDEKV_RTL_CONFIG").unwrap_or_else(|_| manifest.join("test.toml").display().to_string());
    if spec.ends_with(".toml") {
        println!("cargo:rerun-if-changed={spec}");
    }
    let text = tidekv_defs::config::spec_text(&spec).unwrap_or_else(|e| panic!("TIDEKV_RTL_CONFIG={spec}: {e}"));
    let cfg = Config::parse(&text, &spec).unwrap_or_else(|e| panic!("TIDEKV_RTL_CONFIG={spec}: {e}"));
    let b = &cfg.build;
    let mut o = String::new();
    let name = &cfg.name;
    writeln!(o, "pub const CONFIG_NAME: &str = {name:?};").unwrap();
    writeln!(o, "pub const CONFIG_SOURCE: &str = {spec:?};").unwrap();
    writeln!(o, "pub const CONFIG_TEXT: &str = {text:?};").unwrap();
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
        ("SLOT_BITS", clog2(b.table_banks * b.table_ways + b.table_stash)),
        ("SHARD_BITS", clog2(b.shards)),
        ("REPLICA_BITS", clog2(b.replicas)),
        ("NODE_BITS", clog2(b.shards * b.replicas)),
        ("CAL_MAX", b.calendar_max),
        ("RESP_BYTES", tidekv_defs::layout::response_layout(b).bytes() as u32),
        ("ITEM_BYTES", tidekv_defs::regs::schedule_item_bytes(b) as u32),
        ("T", b.clocks_per_round()),
        ("LAT", b.latency() as u32),
    ] {
        writeln!(o, "pub const {n}: usize = {v};").unwrap();
    }
    writeln!(o, "pub const FE_COLUMNS: [u64; 64] = {:?};", columns(FE_HASH_SEED)).unwrap();
    writeln!(o, "pub const TABLE_COLUMNS: [u64; 64] = {:?};", columns(TABLE_HASH_SEED)).unwrap();
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap()).join("config.rs");
    std::fs::write(out, o).unwrap();
}
