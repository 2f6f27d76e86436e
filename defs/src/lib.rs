//! tidekv's shared definitions: every constant, code, width and layout that
//! more than one part of tidekv (model, RTL, testbench, host) needs is
//! written here once.

/// A `u8`-coded enum with `ALL`, `code`, `from_code`, `name` and `Display`.
macro_rules! code_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $v:ident = $n:expr, $s:expr;)* }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[repr(u8)]
        pub enum $name { $($(#[$vm])* $v = $n,)* }
        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$v,)*];
            pub fn code(self) -> u8 { self as u8 }
            pub fn from_code(c: u8) -> Option<$name> { $name::ALL.iter().copied().find(|x| x.code() == c) }
            pub fn name(self) -> &'static str { match self { $($name::$v => $s,)* } }
        }
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { f.write_str(self.name()) }
        }
    };
}

pub mod batch;
pub mod board;
pub mod codec;
pub mod codes;
pub mod config;
pub mod gen;
pub mod hash;
pub mod layout;
pub mod link;
pub mod mailbox;
pub mod prng;
pub mod record;
pub mod regs;
pub mod targets;
pub mod trace;

pub use codes::{Op, Request, Response, Status};
pub use config::{BuildConfig, Config, ConfigError, ReplicaPolicy, Schedule, ScheduleSpec};
