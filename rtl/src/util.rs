//! Small constructors the blocks share.

use rust_hdl::prelude::*;

/// `n` default-constructed elements (signals, registers, memories).
pub fn vec_of<T: Default>(n: usize) -> Vec<T> {
    (0..n).map(|_| T::default()).collect()
}

/// A constant of any `Bits` width (or other type made from a `u64`).
pub fn k<T: Synth + From<u64>>(v: u64) -> Constant<T> {
    Constant::new(T::from(v))
}
