//! tidekv's hardware, described in rust-hdl and specialised at compile time
//! for one build configuration (`build.rs`, `params`). Each block sits
//! beside the model function it must equal (`tidekv-sim`) and ends with its
//! tests: Verilog generation checked by yosys, and a short simulation.

pub mod block_rom;
pub mod core;
pub mod crc;
pub mod delay;
pub mod device;
pub mod gen;
pub mod hash;
pub mod link;
pub mod mmio;
pub mod params;
pub mod replica;
pub mod ring_ram;
pub mod table;
pub mod uart;
pub mod util;

pub mod testutil;
