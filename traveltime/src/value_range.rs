//! The range of a grid's values, checked finite, in one vectorised pass.
//!
//! Hand-written because grids of up to 10^8 values (velocities on every
//! load, travel times on every write) are checked where the obvious code
//! is several times slower: a fold of `f64::min` stays scalar (its NaN rule
//! fixes the order of evaluation) and a per-value `is_finite()` test
//! compiles to scalar bit tests.

use std::ops::{Add, Mul};

/// `f32` or `f64`, the value types of grids.
pub trait GridFloat: Copy + PartialOrd + Add<Output = Self> + Mul<Output = Self> {
    /// Positive infinity.
    const INFINITY: Self;
    /// Negative infinity.
    const NEG_INFINITY: Self;
    /// Zero.
    const ZERO: Self;
    /// Neither NaN nor infinite.
    fn finite(self) -> bool;
}

macro_rules! grid_float {
    ($t:ty) => {
        impl GridFloat for $t {
            const INFINITY: Self = <$t>::INFINITY;
            const NEG_INFINITY: Self = <$t>::NEG_INFINITY;
            const ZERO: Self = 0.0;
            fn finite(self) -> bool {
                self.is_finite()
            }
        }
    };
}
grid_float!(f32);
grid_float!(f64);

/// The smallest and largest of `data` when every value is finite, else the
/// index of the first value that is NaN or infinite. An empty `data` gives
/// `(inf, -inf)`.
///
/// ```
/// use eqnemix_traveltime::value_range::finite_range;
/// assert_eq!(finite_range(&[2.0, -1.0, 3.5f32]), Ok((-1.0, 3.5)));
/// assert_eq!(finite_range(&[2.0, f64::NAN, f64::INFINITY]), Err(1));
/// ```
pub fn finite_range<T: GridFloat>(data: &[T]) -> Result<(T, T), usize> {
    // Eight lanes of compare-and-select (vector min and max), and of
    // `v * 0`, which is 0 for a finite `v` and NaN for NaN and infinities.
    // NaN never wins a comparison, so it shows only in `zero`.
    const LANES: usize = 8;
    let (mut lo, mut hi, mut zero) = ([T::INFINITY; LANES], [T::NEG_INFINITY; LANES], [T::ZERO; LANES]);
    let mut blocks = data.chunks_exact(LANES);
    for block in &mut blocks {
        for k in 0..LANES {
            let v = block[k];
            lo[k] = if v < lo[k] { v } else { lo[k] };
            hi[k] = if v > hi[k] { v } else { hi[k] };
            zero[k] = zero[k] + v * T::ZERO;
        }
    }
    if !zero.iter().all(|&z| z == T::ZERO) || !blocks.remainder().iter().all(|v| v.finite()) {
        return Err(data.iter().position(|v| !v.finite()).expect("a value that is not finite"));
    }
    let (mut min, mut max) = (T::INFINITY, T::NEG_INFINITY);
    for &v in lo.iter().chain(blocks.remainder()) {
        min = if v < min { v } else { min };
    }
    for &v in hi.iter().chain(blocks.remainder()) {
        max = if v > max { v } else { max };
    }
    Ok((min, max))
}

/// [`finite_range`] of values that must also satisfy `lower` (a bound:
/// `|v| v > 0.0` for velocities, `|t| t >= 0.0` for times, true of every
/// value above one it holds for): the range, or the index of the first value
/// that is not finite or fails `lower`.
///
/// ```
/// use eqnemix_traveltime::value_range::checked_range;
/// let times = [0.0f32, 1.5, -0.1, f32::NAN];
/// assert_eq!(checked_range(&times[..2], |t| t >= 0.0), Ok((0.0, 1.5)));
/// assert_eq!(checked_range(&times, |t| t >= 0.0), Err(2));
/// ```
pub fn checked_range<T: GridFloat>(data: &[T], lower: impl Fn(T) -> bool) -> Result<(T, T), usize> {
    match finite_range(data) {
        Ok((lo, hi)) if data.is_empty() || lower(lo) => Ok((lo, hi)),
        _ => Err(data.iter().position(|&v| !(v.finite() && lower(v))).expect("a failing value")),
    }
}

#[cfg(test)]
mod tests {
    use super::{checked_range, finite_range};

    #[test]
    fn the_first_velocity_not_finite_and_positive_is_found_past_any_lane_or_block() {
        let first_not_positive = |data: &[f64]| checked_range(data, |v| v > 0.0).err();
        let mut data = vec![5.0; 5000];
        assert_eq!(first_not_positive(&data), None);
        for (at, bad) in [(0, 0.0), (1023, -1.0), (1024, f64::NAN), (3001, f64::INFINITY), (4999, f64::NEG_INFINITY)] {
            data[at] = bad;
            data[at + usize::from(at < 4999)] = bad; // a second bad value after it
            assert_eq!(first_not_positive(&data), Some(at), "{bad} at {at}");
            data.iter_mut().for_each(|v| *v = 5.0);
        }
        assert_eq!(first_not_positive(&[f64::MIN_POSITIVE, f64::MAX]), None);
    }

    #[test]
    fn checked_range_reports_the_first_failure_of_either_kind() {
        let v = [5.0, 6.0, 0.0, 7.0, f64::NAN, -1.0, 8.0, 9.0, 10.0];
        assert_eq!(checked_range(&v, |v| v > 0.0), Err(2));
        assert_eq!(checked_range(&v, |v| v >= 0.0), Err(4));
        assert_eq!(checked_range(&v[..4], |v| v >= 0.0), Ok((0.0, 7.0)));
        assert_eq!(checked_range(&[] as &[f64], |v| v > 0.0), Ok((f64::INFINITY, f64::NEG_INFINITY)));
    }

    #[test]
    fn range_and_first_bad_value_in_lanes_and_in_the_tail() {
        // 8 lanes: positions in the lanes (0..16) and in the tail (16..19).
        for len in [0usize, 1, 7, 8, 9, 16, 19] {
            let data: Vec<f64> = (0..len).map(|i| 3.0 + ((i * 5) % 7) as f64).collect();
            let want = data.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| (a.min(v), b.max(v)));
            assert_eq!(finite_range(&data), Ok(want), "len {len}");
            for at in 0..len {
                let mut d = data.clone();
                d[at] = -1e300; // extremes win wherever they are
                assert_eq!(finite_range(&d).unwrap().0, -1e300, "min at {at} of {len}");
                d[at] = 1e300;
                assert_eq!(finite_range(&d).unwrap().1, 1e300, "max at {at} of {len}");
                for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
                    d[at] = bad;
                    if at + 1 < len {
                        d[at + 1] = f64::NAN; // a second bad value after it
                    }
                    assert_eq!(finite_range(&d), Err(at), "{bad} at {at} of {len}");
                    d[at + usize::from(at + 1 < len)] = 4.0;
                }
            }
        }
        let times = [0.0f32, 1.5, 0.25, 9.0, 2.0, 2.0, 2.0, 2.0, 0.5];
        assert_eq!(finite_range(&times), Ok((0.0, 9.0)));
        assert_eq!(finite_range(&[f32::MAX, f32::MIN]), Ok((f32::MIN, f32::MAX)));
    }
}
