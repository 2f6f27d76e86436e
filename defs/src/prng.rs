//! The two pseudo-random sequences the hardware must reproduce exactly
//! (docs/DESIGN.md, "Random replica choice" and "Generator mode").

/// Toggle mask of the replica-choice LFSR: a 32-bit Galois LFSR, shifting
/// right, polynomial x^32 + x^22 + x^2 + x + 1 (maximal length).
pub const REPLICA_LFSR_TAPS: u32 = 0x8020_0003;

/// The replica-choice LFSR of the `random` policy.
///
/// One step: `out = s & 1; s >>= 1; if out { s ^= REPLICA_LFSR_TAPS }`.
/// The leaf FE loads the schedule's seed when a schedule takes effect and
/// draws one byte per client slot (client 0 first) in every round, whether
/// the slot holds a request or not: [`ReplicaLfsr::next_byte`], the 8 bits
/// shifted out by 8 steps, the first one as bit 0. Client `c`'s request in
/// the `n`-th round since the schedule took effect gets byte number
/// `n*C + c` (from 0); byte `x` picks the `k`-th live replica,
/// `k = (x * live) >> 8`. (The state's own low byte would be a poor choice:
/// from a small seed it stays small for some 24 steps.)
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReplicaLfsr {
    pub state: u32,
}

impl ReplicaLfsr {
    /// `seed` must be non-zero (a zero LFSR never changes); configs enforce it.
    pub fn new(seed: u32) -> ReplicaLfsr {
        assert!(seed != 0, "LFSR seed must be non-zero");
        ReplicaLfsr { state: seed }
    }
    /// Eight steps; the bits shifted out, first one as bit 0.
    #[inline]
    pub fn next_byte(&mut self) -> u8 {
        let mut byte = 0u8;
        for i in 0..8 {
            byte |= ((self.state & 1) as u8) << i;
            self.step();
        }
        byte
    }

    /// Table of [`ReplicaLfsr::next_byte`]: within eight steps the taps
    /// reach bit 0 only from bits 0 and 1, so the byte shifted out and what
    /// is XORed into the state depend on the low byte alone:
    /// `state' = (state >> 8) ^ mask[low]`, `byte = out[low]`.
    pub fn byte_table() -> ByteTable {
        let mut t = ByteTable {
            mask: [0; 256],
            out: [0; 256],
        };
        for low in 0..256u32 {
            let mut l = ReplicaLfsr { state: low };
            t.out[low as usize] = l.next_byte();
            t.mask[low as usize] = l.state; // (low >> 8) == 0
        }
        t
    }

    /// [`ReplicaLfsr::next_byte`] through a [`ByteTable`].
    #[inline]
    pub fn next_byte_fast(&mut self, t: &ByteTable) -> u8 {
        let low = (self.state & 0xff) as usize;
        self.state = (self.state >> 8) ^ t.mask[low];
        t.out[low]
    }

    #[inline]
    pub fn step(&mut self) -> u32 {
        let out = self.state & 1;
        self.state >>= 1;
        if out != 0 {
            self.state ^= REPLICA_LFSR_TAPS;
        }
        self.state
    }
}

/// See [`ReplicaLfsr::byte_table`].
#[derive(Debug, Clone)]
pub struct ByteTable {
    mask: [u32; 256],
    out: [u8; 256],
}

/// Pick the `k`-th of `live` candidates from a byte: `k = (byte * live) >> 8`.
#[inline]
pub fn scale_byte(byte: u8, live: u32) -> u32 {
    (u32::from(byte) * live) >> 8
}

/// xorshift64 (Marsaglia, shifts 13, 7, 17): the generator-mode sequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Xorshift64 {
    pub state: u64,
}

impl Xorshift64 {
    pub fn new(seed: u64) -> Xorshift64 {
        assert!(seed != 0, "xorshift64 seed must be non-zero");
        Xorshift64 { state: seed }
    }
    #[inline]
    #[allow(clippy::should_implement_trait)] // an infinite generator, never an iterator
    pub fn next(&mut self) -> u64 {
        let mut x = self.state;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.state = x;
        x
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lfsr_steps_as_documented() {
        let mut l = ReplicaLfsr::new(1);
        // 1 -> shift out a 1 -> 0 ^ taps
        assert_eq!(l.step(), REPLICA_LFSR_TAPS);
        // taps = ...0011: low bit 1 -> (taps >> 1) ^ taps
        assert_eq!(l.step(), (REPLICA_LFSR_TAPS >> 1) ^ REPLICA_LFSR_TAPS);
        let mut l = ReplicaLfsr::new(2);
        assert_eq!(l.step(), 1);
    }

    #[test]
    fn next_byte_is_the_bits_shifted_out() {
        let mut a = ReplicaLfsr::new(0x1234_5679);
        let mut b = a;
        let byte = a.next_byte();
        let mut want = 0u8;
        for i in 0..8 {
            want |= ((b.state & 1) as u8) << i;
            b.step();
        }
        assert_eq!((byte, a), (want, b));
        // From seed 1 the first bytes already spread over three replicas.
        let mut l = ReplicaLfsr::new(1);
        let picks: Vec<u32> = (0..10).map(|_| scale_byte(l.next_byte(), 3)).collect();
        assert!((0..3).all(|k| picks.contains(&k)), "{picks:?}");
    }

    #[test]
    fn byte_table_equals_eight_steps() {
        let t = ReplicaLfsr::byte_table();
        let mut a = ReplicaLfsr::new(0xdead_beef);
        let mut b = a;
        for _ in 0..10_000 {
            assert_eq!(a.next_byte(), b.next_byte_fast(&t));
            assert_eq!(a, b);
        }
    }

    #[test]
    fn lfsr_does_not_cycle_early() {
        let mut l = ReplicaLfsr::new(0xACE1);
        let start = l.state;
        for i in 0..1_000_000 {
            assert_ne!(l.step(), start, "cycled after {i} steps");
        }
    }

    #[test]
    fn scale_byte_covers_every_replica() {
        for live in 1..=8u32 {
            let mut seen = vec![0u32; live as usize];
            for b in 0..=255u8 {
                let k = scale_byte(b, live);
                assert!(k < live);
                seen[k as usize] += 1;
            }
            assert!(seen.iter().all(|&n| n >= 256 / live - 1), "{seen:?}");
        }
    }

    #[test]
    fn xorshift_known_values() {
        let mut x = Xorshift64::new(1);
        assert_eq!(x.next(), 1082269761);
        assert_eq!(x.next(), 1152992998833853505);
    }
}
