//! tidekv's shared definitions: every constant, code, width and layout that
//! more than one part of tidekv (model, RTL, testbench, host) needs is
//! written here once.

pub mod codes;
pub mod config;
pub mod gen;
pub mod hash;
pub mod layout;
pub mod prng;
pub mod regs;
pub mod trace;

pub use codes::{Op, Request, Response, Status};
pub use config::{BuildConfig, Config, ConfigError, ReplicaPolicy, Schedule, ScheduleSpec};
