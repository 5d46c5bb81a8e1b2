//! Bounded boxes: sample a density with box constraints (e.g. a hypocentre
//! with `lo <= x <= hi`, depth `z >= 0` km) in an unconstrained space.
//!
//! Each coordinate `x_i` is mapped from an unconstrained `y_i`:
//!
//! | bounds          | `x = g(y)`                     | `ln |dx/dy|`                      |
//! |-----------------|--------------------------------|-----------------------------------|
//! | `[a, b]`        | `a + (b - a) sigmoid(y)`       | `ln(b-a) + ln s + ln(1-s)`        |
//! | `[a, inf)`      | `a + exp(y)`                   | `y`                               |
//! | `(-inf, b]`     | `b - exp(y)`                   | `y`                               |
//! | free            | `y`                            | `0`                               |
//!
//! The transformed density is `p_Y(y) = p_X(g(y)) |det dg/dy|`, so draws of
//! `y` mapped through `g` are draws of `p_X` (Stan Reference Manual,
//! "Constraint transforms"). Units are those of the wrapped density.
// Index loops mirror the formulas; negated comparisons deliberately reject NaN.
#![allow(clippy::needless_range_loop, clippy::neg_cmp_op_on_partial_ord)]

use crate::{Draws, GradLogDensity, LogDensity};
use serde::{Deserialize, Serialize};

/// Why a box could not be built or a point mapped.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum TransformError {
    /// A bound is NaN, or lower >= upper.
    #[error("coordinate {coord}: invalid bounds [{lower:?}, {upper:?}]")]
    BadBounds {
        /// Coordinate index.
        coord: usize,
        /// Lower bound.
        lower: Option<f64>,
        /// Upper bound.
        upper: Option<f64>,
    },
    /// Wrong number of bounds or coordinates.
    #[error("expected {expected} coordinates, got {got}")]
    Dimension {
        /// Expected length.
        expected: usize,
        /// Actual length.
        got: usize,
    },
    /// A constrained point is not strictly inside the box.
    #[error("coordinate {coord} = {value} is not strictly inside its bounds")]
    Outside {
        /// Coordinate index.
        coord: usize,
        /// The value.
        value: f64,
    },
}

/// Bounds of one coordinate (`None`: unbounded on that side).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, Default)]
pub struct Bounds {
    /// Lower bound.
    pub lower: Option<f64>,
    /// Upper bound.
    pub upper: Option<f64>,
}

impl Bounds {
    /// `[lower, upper]`.
    pub fn interval(lower: f64, upper: f64) -> Self {
        Bounds {
            lower: Some(lower),
            upper: Some(upper),
        }
    }
    /// `[lower, inf)`, e.g. depth `>= 0` km.
    pub fn at_least(lower: f64) -> Self {
        Bounds {
            lower: Some(lower),
            upper: None,
        }
    }
    /// `(-inf, upper]`.
    pub fn at_most(upper: f64) -> Self {
        Bounds {
            lower: None,
            upper: Some(upper),
        }
    }
    /// Unbounded.
    pub fn free() -> Self {
        Bounds::default()
    }
}

#[inline]
fn softplus(t: f64) -> f64 {
    t.max(0.0) + (-t.abs()).exp().ln_1p()
}

#[inline]
fn sigmoid(y: f64) -> f64 {
    if y >= 0.0 {
        1.0 / (1.0 + (-y).exp())
    } else {
        let e = y.exp();
        e / (1.0 + e)
    }
}

/// A density on a box, seen in unconstrained coordinates `y`.
#[derive(Debug, Clone)]
pub struct BoxTransform<D> {
    inner: D,
    bounds: Vec<Bounds>,
}

/// Scratch size on the stack; larger dimensions allocate a buffer per call.
const STACK_DIM: usize = 32;

impl<D: LogDensity> BoxTransform<D> {
    /// Wrap `inner` (a density in constrained coordinates) with one
    /// [`Bounds`] per coordinate.
    pub fn new(inner: D, bounds: Vec<Bounds>) -> Result<Self, TransformError> {
        if bounds.len() != inner.dim() {
            return Err(TransformError::Dimension {
                expected: inner.dim(),
                got: bounds.len(),
            });
        }
        for (coord, b) in bounds.iter().enumerate() {
            let bad = b.lower.is_some_and(|v| !v.is_finite())
                || b.upper.is_some_and(|v| !v.is_finite())
                || matches!((b.lower, b.upper), (Some(a), Some(c)) if a >= c);
            if bad {
                return Err(TransformError::BadBounds {
                    coord,
                    lower: b.lower,
                    upper: b.upper,
                });
            }
        }
        Ok(BoxTransform { inner, bounds })
    }

    /// The wrapped density.
    pub fn inner(&self) -> &D {
        &self.inner
    }

    /// The bounds.
    pub fn bounds(&self) -> &[Bounds] {
        &self.bounds
    }

    /// `x = g(y)` for one coordinate, with `ln|dx/dy|` and its derivative
    /// `d ln|dx/dy| / dy` and `dx/dy`.
    #[inline]
    fn forward(b: &Bounds, y: f64) -> (f64, f64, f64, f64) {
        match (b.lower, b.upper) {
            (Some(a), Some(c)) => {
                let s = sigmoid(y);
                let x = (a + (c - a) * s).clamp(a, c);
                let lj = (c - a).ln() - softplus(-y) - softplus(y);
                (x, lj, 1.0 - 2.0 * s, (c - a) * s * (1.0 - s))
            }
            (Some(a), None) => {
                let e = y.exp();
                (a + e, y, 1.0, e)
            }
            (None, Some(c)) => {
                let e = y.exp();
                (c - e, y, 1.0, -e)
            }
            (None, None) => (y, 0.0, 0.0, 1.0),
        }
    }

    /// Map an unconstrained point to the box: `x = g(y)`.
    pub fn to_constrained(&self, y: &[f64], x: &mut [f64]) {
        for i in 0..self.bounds.len() {
            x[i] = Self::forward(&self.bounds[i], y[i]).0;
        }
    }

    /// Map a point strictly inside the box to unconstrained space (e.g. to
    /// start a chain).
    pub fn to_unconstrained(&self, x: &[f64]) -> Result<Vec<f64>, TransformError> {
        if x.len() != self.bounds.len() {
            return Err(TransformError::Dimension {
                expected: self.bounds.len(),
                got: x.len(),
            });
        }
        x.iter()
            .zip(&self.bounds)
            .enumerate()
            .map(|(coord, (&v, b))| {
                let out = TransformError::Outside { coord, value: v };
                match (b.lower, b.upper) {
                    (Some(a), Some(c)) => {
                        if !(v > a && v < c) {
                            return Err(out);
                        }
                        let u = (v - a) / (c - a);
                        Ok(u.ln() - (-u).ln_1p())
                    }
                    (Some(a), None) => {
                        if v > a {
                            Ok((v - a).ln())
                        } else {
                            Err(out)
                        }
                    }
                    (None, Some(c)) => {
                        if v < c {
                            Ok((c - v).ln())
                        } else {
                            Err(out)
                        }
                    }
                    (None, None) => {
                        if v.is_finite() {
                            Ok(v)
                        } else {
                            Err(out)
                        }
                    }
                }
            })
            .collect()
    }

    /// Log of the Jacobian determinant `ln |det dg/dy|` at `y`.
    pub fn log_jacobian(&self, y: &[f64]) -> f64 {
        y.iter()
            .zip(&self.bounds)
            .map(|(&v, b)| Self::forward(b, v).1)
            .sum()
    }

    /// Map every draw (and nothing else) of an unconstrained run back to the
    /// box; statistics, weights and evidence are kept.
    pub fn constrain_draws(&self, draws: &Draws) -> Draws {
        let mut out = draws.clone();
        for (src, dst) in draws
            .values
            .chunks_exact(draws.dim.max(1))
            .zip(out.values.chunks_exact_mut(draws.dim.max(1)))
        {
            self.to_constrained(src, dst);
        }
        out
    }

    fn with_x<R>(&self, y: &[f64], f: impl FnOnce(&[f64], f64) -> R) -> R {
        let d = self.bounds.len();
        let mut stack = [0.0; STACK_DIM];
        let mut heap;
        let x: &mut [f64] = if d <= STACK_DIM {
            &mut stack[..d]
        } else {
            heap = vec![0.0; d];
            &mut heap
        };
        let mut lj = 0.0;
        for i in 0..d {
            let (xi, l, _, _) = Self::forward(&self.bounds[i], y[i]);
            x[i] = xi;
            lj += l;
        }
        f(x, lj)
    }
}

impl<D: LogDensity> LogDensity for BoxTransform<D> {
    fn dim(&self) -> usize {
        self.bounds.len()
    }
    fn log_density(&self, y: &[f64]) -> f64 {
        self.with_x(y, |x, lj| {
            let lp = self.inner.log_density(x);
            if lp.is_finite() && lj.is_finite() {
                lp + lj
            } else {
                f64::NEG_INFINITY
            }
        })
    }
}

impl<D: GradLogDensity> GradLogDensity for BoxTransform<D> {
    fn log_density_and_gradient(&self, y: &[f64], grad: &mut [f64]) -> f64 {
        // The inner gradient (w.r.t. x) is written into the caller's buffer,
        // then turned into d/dy in place by the chain rule.
        let lp = self.with_x(y, |x, lj| {
            let lp = self.inner.log_density_and_gradient(x, grad);
            if lp.is_finite() && lj.is_finite() {
                lp + lj
            } else {
                f64::NEG_INFINITY
            }
        });
        for i in 0..self.bounds.len() {
            let (_, _, dlj, dxdy) = Self::forward(&self.bounds[i], y[i]);
            grad[i] = grad[i] * dxdy + dlj;
        }
        lp
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::targets::CorrelatedGaussian;

    #[test]
    fn round_trip_and_gradient() {
        let g =
            CorrelatedGaussian::ar1(vec![1.0, 2.0, 3.0, 0.0], &[1.0, 2.0, 0.5, 1.0], 0.5).unwrap();
        let t = BoxTransform::new(
            g,
            vec![
                Bounds::interval(-2.0, 4.0),
                Bounds::at_least(0.0),
                Bounds::at_most(5.0),
                Bounds::free(),
            ],
        )
        .unwrap();
        let x = [0.5, 1.7, 4.2, -0.3];
        let y = t.to_unconstrained(&x).unwrap();
        let mut back = [0.0; 4];
        t.to_constrained(&y, &mut back);
        for i in 0..4 {
            assert!((back[i] - x[i]).abs() < 1e-12);
        }
        let mut g = [0.0; 4];
        let lp = t.log_density_and_gradient(&y, &mut g);
        assert!((lp - t.log_density(&y)).abs() < 1e-12);
        for i in 0..4 {
            let h = 1e-6;
            let (mut yp, mut ym) = (y.clone(), y.clone());
            yp[i] += h;
            ym[i] -= h;
            let fd = (t.log_density(&yp) - t.log_density(&ym)) / (2.0 * h);
            assert!(
                (fd - g[i]).abs() < 1e-6 * (1.0 + fd.abs()),
                "coord {i}: {fd} vs {}",
                g[i]
            );
        }
        assert!(t.to_unconstrained(&[-2.0, 1.0, 1.0, 0.0]).is_err());
        assert!(BoxTransform::new(
            CorrelatedGaussian::diagonal(vec![0.0], &[1.0]).unwrap(),
            vec![Bounds::interval(1.0, 1.0)]
        )
        .is_err());
    }
}
