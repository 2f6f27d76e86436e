//! The link's blocks beside the device top (`crate::device`), each its own
//! rust-hdl block meeting the device on registered signals.

pub mod queues;
