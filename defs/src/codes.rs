//! Operation and status codes: the one place their names, numbers and widths
//! are written. The RTL, the model, the testbench and the host all use these.

use std::fmt;
use std::str::FromStr;

/// Width in bits of an op code in a request slot.
pub const OP_BITS: u32 = 3;
/// Width in bits of a status code in a response slot.
pub const STATUS_BITS: u32 = 3;

/// The five operations of SPEC section 2.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum Op {
    Get = 0,
    Insert = 1,
    Modify = 2,
    Put = 3,
    Delete = 4,
}

impl Op {
    pub const ALL: [Op; 5] = [Op::Get, Op::Insert, Op::Modify, Op::Put, Op::Delete];

    pub fn code(self) -> u8 {
        self as u8
    }
    pub fn from_code(code: u8) -> Option<Op> {
        Op::ALL.get(code as usize).copied()
    }
    pub fn name(self) -> &'static str {
        match self {
            Op::Get => "get",
            Op::Insert => "insert",
            Op::Modify => "modify",
            Op::Put => "put",
            Op::Delete => "delete",
        }
    }
    /// Whether the request carries a value (insert, modify, put).
    pub fn takes_value(self) -> bool {
        matches!(self, Op::Insert | Op::Modify | Op::Put)
    }
    /// Whether the op may change the table.
    pub fn is_write(self) -> bool {
        self != Op::Get
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Op {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Op::ALL
            .iter()
            .copied()
            .find(|op| op.name() == s)
            .ok_or_else(|| {
                format!("unknown op {s:?} (expected one of get, insert, modify, put, delete)")
            })
    }
}

/// Response status codes of SPEC section 2.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum Status {
    Ok = 0,
    NotFound = 1,
    Exists = 2,
    Full = 3,
    Unavailable = 4,
}

impl Status {
    pub const ALL: [Status; 5] = [
        Status::Ok,
        Status::NotFound,
        Status::Exists,
        Status::Full,
        Status::Unavailable,
    ];
    pub fn code(self) -> u8 {
        self as u8
    }
    pub fn from_code(code: u8) -> Option<Status> {
        Status::ALL.get(code as usize).copied()
    }
    pub fn name(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::NotFound => "not_found",
            Status::Exists => "exists",
            Status::Full => "full",
            Status::Unavailable => "unavailable",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Status {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Status::ALL
            .iter()
            .copied()
            .find(|st| st.name() == s)
            .ok_or_else(|| format!("unknown status {s:?}"))
    }
}

/// A request as a client issues it. `value` is meaningful only for ops that
/// take one ([`Op::takes_value`]); it is 0 otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Request {
    pub op: Op,
    pub key: u64,
    pub value: u64,
}

impl Request {
    pub fn new(op: Op, key: u64, value: Option<u64>) -> Request {
        Request {
            op,
            key,
            value: value.unwrap_or(0),
        }
    }
    pub fn value_opt(&self) -> Option<u64> {
        self.op.takes_value().then_some(self.value)
    }
}

/// A response as a client receives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Response {
    pub status: Status,
    pub value: Option<u64>,
}

impl Response {
    pub fn ok(value: Option<u64>) -> Response {
        Response {
            status: Status::Ok,
            value,
        }
    }
    pub fn status(status: Status) -> Response {
        Response {
            status,
            value: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_fit_their_widths_and_round_trip() {
        for op in Op::ALL {
            assert!(u32::from(op.code()) < (1 << OP_BITS));
            assert_eq!(Op::from_code(op.code()), Some(op));
            assert_eq!(op.name().parse::<Op>().unwrap(), op);
        }
        for st in Status::ALL {
            assert!(u32::from(st.code()) < (1 << STATUS_BITS));
            assert_eq!(Status::from_code(st.code()), Some(st));
            assert_eq!(st.name().parse::<Status>().unwrap(), st);
        }
        assert!(Op::from_code(5).is_none());
        assert!("fetch".parse::<Op>().is_err());
    }
}
