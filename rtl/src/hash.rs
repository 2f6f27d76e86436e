//! An H3 hash (defs::hash): each output bit is the parity of the key ANDed
//! with one column-derived mask, an XOR tree with no carry chain.

use rust_hdl::prelude::*;

/// Computes the chosen bits of an H3 hash of `key`: output bit `j` is hash
/// bit `bits[j]`.
#[derive(LogicBlock)]
pub struct H3Hash<const K: usize, const O: usize> {
    pub key: Signal<In, Bits<K>>,
    pub hash: Signal<Out, Bits<O>>,
    masks: Vec<Constant<Bits<K>>>,
}

impl<const K: usize, const O: usize> H3Hash<K, O> {
    /// `columns` from `tidekv_defs::hash::columns`; `bits` names the hash
    /// bits to produce, `O` of them (64 or more: a constant zero bit).
    pub fn new(columns: &[u64; 64], bits: &[usize]) -> Self {
        assert_eq!(bits.len(), O, "one hash bit per output bit");
        let masks = bits
            .iter()
            .map(|&j| {
                let m = (0..K)
                    .filter(|&i| j < 64 && columns[i] >> j & 1 == 1)
                    .fold(0u64, |m, i| m | 1 << i);
                Constant::new(Bits::<K>::from(m))
            })
            .collect();
        H3Hash {
            key: Default::default(),
            hash: Default::default(),
            masks,
        }
    }
}

impl<const K: usize, const O: usize> Logic for H3Hash<K, O> {
    #[hdl_gen]
    fn update(&mut self) {
        self.hash.next = 0.into();
        for j in 0..O {
            self.hash.next = self
                .hash
                .val()
                .replace_bit(j, (self.key.val() & self.masks[j].val()).xor());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{settle, yosys_check};
    use tidekv_defs::hash::{columns, h3_reference, TABLE_HASH_SEED};

    type Uut = H3Hash<20, 12>;

    fn uut() -> Uut {
        let bits: Vec<usize> = (16..28).collect();
        Uut::new(&columns(TABLE_HASH_SEED), &bits)
    }

    #[test]
    fn h3_generates_and_synthesizes() {
        let mut u = uut();
        u.connect_all();
        yosys_check("h3", &generate_verilog(&u));
    }

    #[test]
    fn h3_matches_the_reference() {
        let mut u = uut();
        u.connect_all();
        for key in [0u64, 1, 0x80000, 0xabcde, 0x12345, 0xfffff] {
            u.key.next = key.into();
            settle(&mut u);
            let want = (h3_reference(TABLE_HASH_SEED, key) >> 16) & 0xfff;
            assert_eq!(u.hash.val(), Bits::<12>::from(want), "key {key:#x}");
        }
    }
}
