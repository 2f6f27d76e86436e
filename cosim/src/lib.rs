//! tidekv's Verilator co-simulation (docs/DESIGN.md, "Verilator
//! co-simulation"): `verilator::build` generates a configuration's Verilog,
//! verilates it with the shims in `cosim/verilator/` and caches the shared
//! library; `VCore` drives the core as a `tidekv_driver::drive::Core`,
//! `VDevice` the device top as a `tidekv_driver::link::Transport`, and
//! `mmio::VMmio` the PCIe mailbox top as a `tidekv_driver::mmio::Mmio`.

pub mod mmio;
pub mod verilator;
