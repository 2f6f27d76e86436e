//! Bit layouts of the slots that links carry (SPEC section 1): a request slot,
//! a response slot and a replica update slot. Fields are listed from bit 0
//! (LSB) up; a slot is stored in `ceil(width / 8)` bytes, LSB first
//! (`bitvec`'s `Lsb0` order on `u8`). An empty slot (`None`) is all zeros.
//! The model, the RTL and the testbench all pack and unpack through here.

use crate::codes::{Op, Request, Response, Status, OP_BITS, STATUS_BITS};
use crate::config::BuildConfig;
use bitvec::prelude::*;

pub type Bits = BitVec<u8, Lsb0>;

/// One field of a slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    pub name: &'static str,
    pub offset: u32,
    pub width: u32,
}

/// A slot layout: its fields in order from bit 0.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlotLayout {
    pub fields: Vec<Field>,
    pub width: u32,
}

/// Errors from unpacking a slot that no packer could have written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SlotError {
    #[error("slot is {got} bits, the layout needs {want}")]
    Width { got: usize, want: u32 },
    #[error("field {field} holds {value}, which is not a valid code")]
    BadCode { field: &'static str, value: u64 },
    #[error("empty slot has non-zero bits")]
    DirtyEmpty,
}

impl SlotLayout {
    fn new(fields: &[(&'static str, u32)]) -> SlotLayout {
        let mut offset = 0;
        let fields = fields
            .iter()
            .map(|&(name, width)| {
                let f = Field {
                    name,
                    offset,
                    width,
                };
                offset += width;
                f
            })
            .collect();
        SlotLayout {
            fields,
            width: offset,
        }
    }
    pub fn field(&self, name: &str) -> Field {
        *self
            .fields
            .iter()
            .find(|f| f.name == name)
            .unwrap_or_else(|| panic!("no field {name}"))
    }
    pub fn bytes(&self) -> usize {
        self.width.div_ceil(8) as usize
    }
    /// Pack field values, given in field order, into a zero-padded bit vector.
    pub fn pack(&self, values: &[u64]) -> Bits {
        assert_eq!(values.len(), self.fields.len());
        let mut bits: Bits = BitVec::repeat(false, self.bytes() * 8);
        for (f, &v) in self.fields.iter().zip(values) {
            debug_assert!(
                f.width == 64 || v >> f.width == 0,
                "{} = {v} overflows {} bits",
                f.name,
                f.width
            );
            bits[f.offset as usize..(f.offset + f.width) as usize].store_le(v);
        }
        bits
    }
    /// Unpack every field, in field order.
    pub fn unpack(&self, bits: &BitSlice<u8, Lsb0>) -> Result<Vec<u64>, SlotError> {
        if bits.len() < self.width as usize {
            return Err(SlotError::Width {
                got: bits.len(),
                want: self.width,
            });
        }
        Ok(self.fields.iter().map(|&f| read(bits, f)).collect())
    }
    /// One field's value (`bits` holds at least the whole slot).
    pub fn value(&self, bits: &BitSlice<u8, Lsb0>, name: &str) -> u64 {
        read(bits, self.field(name))
    }
}

fn read(bits: &BitSlice<u8, Lsb0>, f: Field) -> u64 {
    bits[f.offset as usize..(f.offset + f.width) as usize].load_le::<u64>()
}

/// The fields after `valid` of an unpacked slot, or `None` for an empty slot
/// (which must be all zeros).
fn occupied(v: &[u64]) -> Result<Option<&[u64]>, SlotError> {
    match v[0] {
        0 if v[1..].iter().all(|&x| x == 0) => Ok(None),
        0 => Err(SlotError::DirtyEmpty),
        _ => Ok(Some(&v[1..])),
    }
}

/// Bits needed to number `n` things (at least 1).
pub fn clog2(n: u32) -> u32 {
    (32 - n.saturating_sub(1).leading_zeros()).max(1)
}

/// Request slot: `valid | op | key | value`.
pub fn request_layout(b: &BuildConfig) -> SlotLayout {
    SlotLayout::new(&[
        ("valid", 1),
        ("op", OP_BITS),
        ("key", b.key_bits),
        ("value", b.value_bits),
    ])
}

/// Response slot: `valid | status | has_value | value`.
pub fn response_layout(b: &BuildConfig) -> SlotLayout {
    SlotLayout::new(&[
        ("valid", 1),
        ("status", STATUS_BITS),
        ("has_value", 1),
        ("value", b.value_bits),
    ])
}

/// Replica update slot: `valid | delete | client | slot | key | value`.
/// `slot` numbers the table slot the write used: `bank * ways + way` for the
/// main table (the set follows from the key), `banks * ways + i` for stash
/// entry `i`. A delete carries slot 0 and value 0.
pub fn update_layout(b: &BuildConfig) -> SlotLayout {
    SlotLayout::new(&[
        ("valid", 1),
        ("delete", 1),
        ("client", clog2(b.clients)),
        ("slot", clog2(b.table_banks * b.table_ways + b.table_stash)),
        ("key", b.key_bits),
        ("value", b.value_bits),
    ])
}

pub fn pack_request(b: &BuildConfig, r: Option<&Request>) -> Bits {
    let l = request_layout(b);
    match r {
        None => l.pack(&[0, 0, 0, 0]),
        Some(r) => l.pack(&[1, u64::from(r.op.code()), r.key, r.value_opt().unwrap_or(0)]),
    }
}

pub fn unpack_request(
    b: &BuildConfig,
    bits: &BitSlice<u8, Lsb0>,
) -> Result<Option<Request>, SlotError> {
    let v = request_layout(b).unpack(bits)?;
    let Some(&[op, key, value]) = occupied(&v)? else {
        return Ok(None);
    };
    let op = Op::from_code(op as u8).ok_or(SlotError::BadCode {
        field: "op",
        value: op,
    })?;
    Ok(Some(Request {
        op,
        key,
        value: if op.takes_value() { value } else { 0 },
    }))
}

pub fn pack_response(b: &BuildConfig, r: Option<&Response>) -> Bits {
    let l = response_layout(b);
    match r {
        None => l.pack(&[0, 0, 0, 0]),
        Some(r) => l.pack(&[
            1,
            u64::from(r.status.code()),
            u64::from(r.value.is_some()),
            r.value.unwrap_or(0),
        ]),
    }
}

pub fn unpack_response(
    b: &BuildConfig,
    bits: &BitSlice<u8, Lsb0>,
) -> Result<Option<Response>, SlotError> {
    let v = response_layout(b).unpack(bits)?;
    let Some(&[status, has_value, value]) = occupied(&v)? else {
        return Ok(None);
    };
    let status = Status::from_code(status as u8).ok_or(SlotError::BadCode {
        field: "status",
        value: status,
    })?;
    Ok(Some(Response {
        status,
        value: (has_value == 1).then_some(value),
    }))
}

/// A write one replica sends to the others of its shard (SPEC section 4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Update {
    /// The client whose request made the write: the tie-break of last-writer-wins.
    pub client: u32,
    pub key: u64,
    /// `Some((slot, value))` for a write that left the key at `slot`; `None` for a delete.
    pub set: Option<(u32, u64)>,
}

pub fn pack_update(b: &BuildConfig, u: Option<&Update>) -> Bits {
    let l = update_layout(b);
    match u {
        None => l.pack(&[0; 6]),
        Some(u) => {
            let (del, slot, value) = match u.set {
                Some((slot, value)) => (0, u64::from(slot), value),
                None => (1, 0, 0),
            };
            l.pack(&[1, del, u64::from(u.client), slot, u.key, value])
        }
    }
}

pub fn unpack_update(
    b: &BuildConfig,
    bits: &BitSlice<u8, Lsb0>,
) -> Result<Option<Update>, SlotError> {
    let v = update_layout(b).unpack(bits)?;
    let Some(&[delete, client, slot, key, value]) = occupied(&v)? else {
        return Ok(None);
    };
    Ok(Some(Update {
        client: client as u32,
        key,
        set: if delete == 1 {
            None
        } else {
            Some((slot as u32, value))
        },
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    #[test]
    fn request_layout_is_bit_exact() {
        let b = Config::preset("sharded-c10-s4").unwrap().build;
        let l = request_layout(&b);
        assert_eq!(l.width, 1 + 3 + 32 + 32);
        assert_eq!(l.bytes(), 9);
        let bits = pack_request(
            &b,
            Some(&Request::new(Op::Put, 0x1234_5678, Some(0xdead_beef))),
        );
        // bit 0 valid, bits 1..4 op=3 -> byte 0 = 0b0111 | key low nibble (8) << 4
        let bytes = bits.as_raw_slice();
        assert_eq!(bytes[0], 0x01 | (3 << 1) | (0x8 << 4));
        assert_eq!(bytes[1], 0x67);
        assert_eq!(
            unpack_request(&b, &bits).unwrap(),
            Some(Request::new(Op::Put, 0x1234_5678, Some(0xdead_beef)))
        );
        assert!(pack_request(&b, None).not_any());
        assert_eq!(unpack_request(&b, &pack_request(&b, None)).unwrap(), None);
    }

    #[test]
    fn bad_codes_and_dirty_empties_are_errors() {
        let b = Config::preset("single-c10").unwrap().build;
        let mut bits = pack_request(&b, Some(&Request::new(Op::Get, 1, None)));
        bits[1..4].store_le(7u8);
        assert_eq!(
            unpack_request(&b, &bits),
            Err(SlotError::BadCode {
                field: "op",
                value: 7
            })
        );
        let mut bits = pack_response(&b, None);
        bits.set(9, true);
        assert_eq!(unpack_response(&b, &bits), Err(SlotError::DirtyEmpty));
    }

    #[test]
    fn update_round_trips() {
        let b = Config::preset("replicated-c10-s2-r3").unwrap().build;
        assert_eq!(update_layout(&b).field("client").width, 4);
        assert_eq!(update_layout(&b).field("slot").width, 5);
        for u in [
            Update {
                client: 9,
                key: 77,
                set: Some((23, 5)),
            },
            Update {
                client: 0,
                key: u32::MAX as u64,
                set: None,
            },
        ] {
            assert_eq!(
                unpack_update(&b, &pack_update(&b, Some(&u))).unwrap(),
                Some(u)
            );
        }
    }

    #[test]
    fn clog2_values() {
        assert_eq!(
            [
                clog2(1),
                clog2(2),
                clog2(3),
                clog2(10),
                clog2(16),
                clog2(17)
            ],
            [1, 1, 2, 4, 4, 5]
        );
    }
}
