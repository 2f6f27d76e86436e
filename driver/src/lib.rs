//! tidekv's driver, what every backend is driven through: the `Core` trait
//! (`drive`: step rounds, read counters, load schedules, replay a trace) and
//! the link to a device (`link`: `LinkCore` speaking the host protocol over
//! any `Transport`). It needs only the shared definitions; the model
//! (`tidekv-sim`) and the Verilator co-simulation (`tidekv-cosim`) are
//! backends beside it.

pub mod drive;
pub mod link;
pub mod mailbox;
pub mod mmio;
pub mod vfio;
