//! The density seam: what a sampler needs to know about a target.
//!
//! Densities are unnormalised log densities on R^d. A point outside the
//! support returns `f64::NEG_INFINITY` (never NaN); samplers treat that as a
//! rejection (or a divergence for Hamiltonian samplers).

/// An unnormalised log density on R^`dim()`.
///
/// Implementations must be cheap to call and must not allocate: samplers call
/// them in their innermost loop. `Sync` so chains can share one target.
pub trait LogDensity: Sync {
    /// Number of dimensions of the parameter vector.
    fn dim(&self) -> usize;

    /// Log density (up to an additive constant) at `x` (`x.len() == dim()`).
    /// Returns `f64::NEG_INFINITY` outside the support.
    fn log_density(&self, x: &[f64]) -> f64;
}

/// A log density whose gradient is available.
pub trait GradLogDensity: LogDensity {
    /// Log density at `x`, with its gradient written into the caller's buffer
    /// `grad` (`grad.len() == dim()`). Outside the support return
    /// `f64::NEG_INFINITY`; `grad` is then unspecified.
    fn log_density_and_gradient(&self, x: &[f64], grad: &mut [f64]) -> f64;
}

impl<T: LogDensity + ?Sized> LogDensity for &T {
    fn dim(&self) -> usize {
        (**self).dim()
    }
    fn log_density(&self, x: &[f64]) -> f64 {
        (**self).log_density(x)
    }
}

impl<T: GradLogDensity + ?Sized> GradLogDensity for &T {
    fn log_density_and_gradient(&self, x: &[f64], grad: &mut [f64]) -> f64 {
        (**self).log_density_and_gradient(x, grad)
    }
}
