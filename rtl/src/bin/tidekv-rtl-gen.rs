//! Write the core's Verilog for the configuration this crate was built for
//! (`TIDEKV_RTL_CONFIG`, see build.rs) into a directory:
//! `tidekv_core.v` (the core), `tidekv_device.v` (the device top: the core
//! behind the framed UART link), `tidekv_mmio.v` (the device behind the
//! PCIe mailbox's Wishbone port) and `build.json` (the build numbers a
//! wrapper needs).

use rust_hdl::prelude::*;
use std::path::PathBuf;
use tidekv_rtl::core::Core;
use tidekv_rtl::device::UartDevice;
use tidekv_rtl::mmio::WishboneMailbox;
use tidekv_rtl::params::*;

fn main() {
    let out = std::env::args().nth(1).map(PathBuf::from).unwrap_or_else(|| {
        eprintln!("usage: tidekv-rtl-gen OUTDIR   (configuration from TIDEKV_RTL_CONFIG at build time)");
        std::process::exit(2)
    });
    std::fs::create_dir_all(&out).unwrap_or_else(|e| {
        eprintln!("cannot create {}: {e}", out.display());
        std::process::exit(5)
    });
    let write = |name: &str, verilog: String| {
        let path = out.join(format!("{name}.v"));
        std::fs::write(
            &path,
            verilog.replace("module top(", &format!("module {name}(")),
        )
        .unwrap_or_else(|e| {
            eprintln!("cannot write {}: {e}", path.display());
            std::process::exit(5)
        });
        path
    };
    let mut core = Core::new();
    core.connect_all();
    let path = write("tidekv_core", generate_verilog(&core));
    drop(core);
    let mut dev = UartDevice::new();
    dev.connect_all();
    write("tidekv_device", generate_verilog(&dev));
    drop(dev);
    let mut mmio = WishboneMailbox::new();
    mmio.connect_all();
    write("tidekv_mmio", generate_verilog(&mmio));
    let info = format!(
        "{{\"config\": {CONFIG_NAME:?}, \"source\": {CONFIG_SOURCE:?}, \"clients\": {C}, \"fe_levels\": {H}, \"shards\": {S}, \"replicas\": {R}, \"clocks_per_round\": {T}, \"latency_rounds\": {LAT}, \"key_bits\": {KEY_BITS}, \"value_bits\": {VALUE_BITS}, \"clock_hz\": {CLOCK_HZ}, \"baud\": {BAUD}, \"clocks_per_bit\": {CLOCKS_PER_BIT}, \"watchdog_clocks\": {WATCHDOG_CLOCKS}}}\n"
    );
    std::fs::write(out.join("build.json"), info).unwrap();
    println!(
        "{}: {} (T = {T} clocks per round)",
        CONFIG_NAME,
        path.display()
    );
}
