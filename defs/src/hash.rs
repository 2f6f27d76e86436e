//! The hashes of tidekv, cheap in hardware and documented bit by bit
//! (docs/DESIGN.md, "Hashes").
//!
//! Both are H3 hashes (Carter and Wegman's class of XOR-matrix hashes): a key
//! `k` of `key_bits` bits hashes to the XOR of column `Q[i]` for every bit `i`
//! set in `k`. Each output bit is therefore the parity of `k AND mask`, an XOR
//! tree of LUTs with no carry chain and no multiplier. The 64-bit columns are
//! the first 64 outputs of splitmix64 seeded with a fixed constant, one
//! constant per hash:
//!
//! - the **FE hash** ([`FE_HASH_SEED`]): bucket = `h & (B - 1)`; the key-affine
//!   replica choice uses bits 16..24.
//! - the **table hash** ([`TABLE_HASH_SEED`]): the set index in table bank `b`
//!   is bits `16*b .. 16*b + log2(sets)`.
//!
//! The two matrices are independent, so the keys one shard receives are
//! spread evenly over its table.

/// splitmix64 seed of the FE hash columns ("tidekvFE").
pub const FE_HASH_SEED: u64 = 0x7469_6465_6b76_4645;
/// splitmix64 seed of the table hash columns ("tidekvTB").
pub const TABLE_HASH_SEED: u64 = 0x7469_6465_6b76_5442;
/// Bit offset of the key-affine replica byte in the FE hash.
pub const AFFINE_SHIFT: u32 = 16;
/// Bits of the table hash given to each bank's set index.
pub const TABLE_BANK_STRIDE: u32 = 16;

/// The slot-ownership rotation of round `round` for `replicas` replicas
/// (docs/DESIGN.md, "Placement converges too"): the top byte of the FE hash
/// of the round number, scaled to `0..replicas`. A hash, not `round mod R`,
/// so that no replica policy's pattern can stay in step with it.
pub fn owner_rotation(fe: &H3, round: u64, replicas: u32) -> u32 {
    crate::prng::scale_byte((fe.hash(round) >> 56) as u8, replicas)
}

/// splitmix64 (Vigna): `state += 0x9e3779b97f4a7c15`, then the mix.
pub fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The 64 columns of an H3 matrix: `columns(seed)[i]` is XORed in when key
/// bit `i` is set. The RTL generator reads these to build its XOR trees.
pub fn columns(seed: u64) -> [u64; 64] {
    let mut state = seed;
    let mut q = [0u64; 64];
    for col in q.iter_mut() {
        *col = splitmix64(&mut state);
    }
    q
}

/// The plain definition: XOR of the columns of the set key bits. Slow; the
/// reference for [`H3`] and what the RTL builds.
pub fn h3_reference(seed: u64, key: u64) -> u64 {
    let q = columns(seed);
    (0..64)
        .filter(|i| key >> i & 1 == 1)
        .fold(0, |h, i| h ^ q[i])
}

/// A fast evaluator of one H3 hash: eight byte-indexed tables.
#[derive(Clone)]
pub struct H3 {
    tables: Box<[[u64; 256]; 8]>,
}

impl H3 {
    pub fn new(seed: u64) -> H3 {
        let q = columns(seed);
        let mut tables = Box::new([[0u64; 256]; 8]);
        for (byte, table) in tables.iter_mut().enumerate() {
            for (v, entry) in table.iter_mut().enumerate() {
                *entry = (0..8)
                    .filter(|b| v >> b & 1 == 1)
                    .fold(0, |h, b| h ^ q[byte * 8 + b]);
            }
        }
        H3 { tables }
    }
    pub fn fe() -> H3 {
        H3::new(FE_HASH_SEED)
    }
    pub fn table() -> H3 {
        H3::new(TABLE_HASH_SEED)
    }
    #[inline]
    pub fn hash(&self, key: u64) -> u64 {
        let b = key.to_le_bytes();
        let t = &self.tables;
        t[0][b[0] as usize]
            ^ t[1][b[1] as usize]
            ^ t[2][b[2] as usize]
            ^ t[3][b[3] as usize]
            ^ t[4][b[4] as usize]
            ^ t[5][b[5] as usize]
            ^ t[6][b[6] as usize]
            ^ t[7][b[7] as usize]
    }
}

impl std::fmt::Debug for H3 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("H3")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitmix_matches_published_vector() {
        // splitmix64 with seed 1234567: first outputs from Vigna's reference C code.
        let mut s = 1234567u64;
        assert_eq!(splitmix64(&mut s), 6457827717110365317);
        assert_eq!(splitmix64(&mut s), 3203168211198807973);
    }

    #[test]
    fn fast_h3_equals_definition() {
        let fe = H3::fe();
        let mut s = 99u64;
        for _ in 0..2000 {
            let k = splitmix64(&mut s);
            assert_eq!(fe.hash(k), h3_reference(FE_HASH_SEED, k));
            let k32 = k & 0xffff_ffff;
            assert_eq!(fe.hash(k32), h3_reference(FE_HASH_SEED, k32));
        }
        assert_eq!(fe.hash(0), 0, "H3 is linear: key 0 hashes to 0");
    }

    #[test]
    fn hashes_spread_sequential_keys() {
        let fe = H3::fe();
        let mut counts = [0u32; 64];
        for k in 0..64 * 256u64 {
            counts[(fe.hash(k) & 63) as usize] += 1;
        }
        assert!(counts.iter().all(|&c| c == 256), "{counts:?}");
    }
}
