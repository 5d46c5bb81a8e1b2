//! Standard test densities with analytic gradients and exactly known
//! moments (and, for the mixture, an exactly known normalising constant).
//!
//! They exist so every sampler in this crate can be tested against truth:
//!
//! * [`CorrelatedGaussian`]: any dimension, given mean and covariance; the
//!   10-D [`CorrelatedGaussian::ar1_10d`] has AR(1) correlations and scales
//!   spread over an order of magnitude (a mass-matrix test).
//! * [`Banana`]: the twisted Gaussian of Haario, Saksman & Tamminen (1999),
//!   a Rosenbrock-like curved density whose mean and covariance are exact.
//! * [`Funnel`]: Neal's funnel (Neal 2003, *Slice sampling*, Ann. Stat.),
//!   whose neck makes Hamiltonian samplers diverge.
//! * [`GaussianMixture`]: weighted Gaussian components, multiplied by a known
//!   constant `exp(log_scale)` so that the log evidence `log Z` is non-trivial
//!   and exactly known ([`GaussianMixture::log_z`]).
//!
//! All densities here are dimensionless (no physical units). None allocates
//! when evaluated.
// Index loops mirror the formulas; negated comparisons deliberately reject NaN.
#![allow(clippy::needless_range_loop, clippy::neg_cmp_op_on_partial_ord)]

use crate::{GradLogDensity, LogDensity};
use nalgebra::{DMatrix, DVector};
use std::f64::consts::PI;

/// Why a target could not be built.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum TargetError {
    /// Shapes of the inputs disagree; the string names the field.
    #[error("dimension mismatch in {field}: expected {expected}, got {got}")]
    Dimension {
        /// The offending field.
        field: &'static str,
        /// Expected length.
        expected: usize,
        /// Actual length.
        got: usize,
    },
    /// A covariance matrix is not symmetric positive definite.
    #[error("covariance {0} is not symmetric positive definite")]
    NotPositiveDefinite(String),
    /// A parameter is out of its domain; the string names it.
    #[error("invalid target parameter: {0}")]
    Invalid(String),
}

const LN_2PI: f64 = 1.837_877_066_409_345_5;

/// A multivariate normal `N(mean, cov)`, normalised (its log density
/// integrates to 0 on the log scale).
#[derive(Debug, Clone)]
pub struct CorrelatedGaussian {
    mean: Vec<f64>,
    cov: DMatrix<f64>,
    /// Row-major precision matrix `cov^{-1}`.
    precision: Vec<f64>,
    /// `-0.5 (d ln 2π + ln det cov)`.
    log_norm: f64,
}

impl CorrelatedGaussian {
    /// Build from a mean and a symmetric positive-definite covariance.
    pub fn new(mean: Vec<f64>, cov: DMatrix<f64>) -> Result<Self, TargetError> {
        let d = mean.len();
        if cov.nrows() != d || cov.ncols() != d {
            return Err(TargetError::Dimension {
                field: "cov",
                expected: d,
                got: cov.nrows().max(cov.ncols()),
            });
        }
        if d == 0 {
            return Err(TargetError::Invalid(
                "mean must have at least one coordinate".into(),
            ));
        }
        let asym = (&cov - cov.transpose()).abs().max();
        if !(asym <= 1e-10 * cov.abs().max().max(1.0)) {
            return Err(TargetError::NotPositiveDefinite(format!(
                "(asymmetric by {asym:e})"
            )));
        }
        let chol = cov
            .clone()
            .cholesky()
            .ok_or_else(|| TargetError::NotPositiveDefinite(format!("({d}x{d})")))?;
        let log_det = 2.0 * chol.l().diagonal().iter().map(|v| v.ln()).sum::<f64>();
        let prec = chol.inverse();
        let mut precision = vec![0.0; d * d];
        for i in 0..d {
            for j in 0..d {
                precision[i * d + j] = 0.5 * (prec[(i, j)] + prec[(j, i)]);
            }
        }
        Ok(CorrelatedGaussian {
            mean,
            cov,
            precision,
            log_norm: -0.5 * (d as f64 * LN_2PI + log_det),
        })
    }

    /// Independent normal with the given means and standard deviations.
    pub fn diagonal(mean: Vec<f64>, sd: &[f64]) -> Result<Self, TargetError> {
        if sd.len() != mean.len() {
            return Err(TargetError::Dimension {
                field: "sd",
                expected: mean.len(),
                got: sd.len(),
            });
        }
        let cov =
            DMatrix::from_diagonal(&DVector::from_iterator(sd.len(), sd.iter().map(|s| s * s)));
        Self::new(mean, cov)
    }

    /// AR(1)-correlated normal: `cov[i][j] = s_i s_j rho^|i-j|`.
    pub fn ar1(mean: Vec<f64>, scales: &[f64], rho: f64) -> Result<Self, TargetError> {
        if !(rho.abs() < 1.0) {
            return Err(TargetError::Invalid(format!(
                "rho = {rho} must be in (-1, 1)"
            )));
        }
        let d = scales.len();
        let cov = DMatrix::from_fn(d, d, |i, j| {
            scales[i] * scales[j] * rho.powi((i as i32 - j as i32).abs())
        });
        Self::new(mean, cov)
    }

    /// The standard 10-D test target: AR(1) correlation `rho = 0.8`, scales
    /// log-spaced from 0.3 to 3 (a factor of 10), means `i - 4.5` (i = 0..9).
    pub fn ar1_10d() -> Self {
        let scales: Vec<f64> = (0..10).map(|i| 0.3 * 10f64.powf(i as f64 / 9.0)).collect();
        let mean: Vec<f64> = (0..10).map(|i| i as f64 - 4.5).collect();
        Self::ar1(mean, &scales, 0.8).expect("AR(1) covariance with |rho|<1 is positive definite")
    }

    /// Exact mean.
    pub fn mean(&self) -> &[f64] {
        &self.mean
    }

    /// Exact covariance.
    pub fn covariance(&self) -> &DMatrix<f64> {
        &self.cov
    }

    /// Quadratic form `(x-mu)' P (x-mu)`.
    fn quad(&self, x: &[f64]) -> f64 {
        let d = self.mean.len();
        let mut q = 0.0;
        for i in 0..d {
            let row = &self.precision[i * d..(i + 1) * d];
            let mut pd = 0.0;
            for j in 0..d {
                pd += row[j] * (x[j] - self.mean[j]);
            }
            q += (x[i] - self.mean[i]) * pd;
        }
        q
    }

    /// Adds `weight * (-P (x-mu))` to `grad`.
    fn add_grad(&self, x: &[f64], weight: f64, grad: &mut [f64]) {
        let d = self.mean.len();
        for i in 0..d {
            let row = &self.precision[i * d..(i + 1) * d];
            let mut pd = 0.0;
            for j in 0..d {
                pd += row[j] * (x[j] - self.mean[j]);
            }
            grad[i] -= weight * pd;
        }
    }
}

impl LogDensity for CorrelatedGaussian {
    fn dim(&self) -> usize {
        self.mean.len()
    }
    fn log_density(&self, x: &[f64]) -> f64 {
        self.log_norm - 0.5 * self.quad(x)
    }
}

impl GradLogDensity for CorrelatedGaussian {
    fn log_density_and_gradient(&self, x: &[f64], grad: &mut [f64]) -> f64 {
        let d = self.mean.len();
        let mut q = 0.0;
        for i in 0..d {
            let row = &self.precision[i * d..(i + 1) * d];
            let mut pd = 0.0;
            for j in 0..d {
                pd += row[j] * (x[j] - self.mean[j]);
            }
            grad[i] = -pd;
            q += (x[i] - self.mean[i]) * pd;
        }
        self.log_norm - 0.5 * q
    }
}

/// The 2-D "banana" (twisted Gaussian, Haario et al. 1999):
/// `x0 ~ N(0, s0²)`, `x1 | x0 ~ N(b (x0² - s0²), s1²)`.
///
/// Exact moments: `E[x] = (0, 0)`, `Var x0 = s0²`,
/// `Var x1 = s1² + 2 b² s0⁴`, `Cov(x0, x1) = 0` (the dependence is purely
/// non-linear, which is what makes it hard for samplers). Normalised.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Banana {
    /// Standard deviation of `x0`.
    pub s0: f64,
    /// Conditional standard deviation of `x1` given `x0`.
    pub s1: f64,
    /// Curvature `b`.
    pub b: f64,
}

impl Banana {
    /// A banana with the given scales and curvature.
    pub fn new(s0: f64, s1: f64, b: f64) -> Result<Self, TargetError> {
        if !(s0 > 0.0 && s1 > 0.0 && b.is_finite()) {
            return Err(TargetError::Invalid(format!(
                "banana needs s0 > 0, s1 > 0, finite b (got {s0}, {s1}, {b})"
            )));
        }
        Ok(Banana { s0, s1, b })
    }

    /// The standard test banana: `s0 = 1`, `s1 = 1`, `b = 1`
    /// (`Var x1 = 3`). The ridge narrows to width ~ `s1 / (2 b |x0|)` in
    /// the tails, so Hamiltonian samplers need a target acceptance of ~0.9
    /// to visit them without divergences.
    pub fn standard() -> Self {
        Banana {
            s0: 1.0,
            s1: 1.0,
            b: 1.0,
        }
    }

    /// Exact mean `(0, 0)`.
    pub fn mean(&self) -> [f64; 2] {
        [0.0, 0.0]
    }

    /// Exact covariance (diagonal).
    pub fn covariance(&self) -> [[f64; 2]; 2] {
        let s02 = self.s0 * self.s0;
        [
            [s02, 0.0],
            [0.0, self.s1 * self.s1 + 2.0 * self.b * self.b * s02 * s02],
        ]
    }

    /// `Var(x0²) = 2 s0⁴`, for the Monte Carlo error of variance estimates.
    pub fn var_of_x0_squared(&self) -> f64 {
        2.0 * self.s0.powi(4)
    }

    /// Draw exactly (for reference samples).
    pub fn sample_exact<R: rand::Rng + ?Sized>(&self, rng: &mut R) -> [f64; 2] {
        use rand_distr::{Distribution, StandardNormal};
        let z0: f64 = StandardNormal.sample(rng);
        let z1: f64 = StandardNormal.sample(rng);
        let x0 = self.s0 * z0;
        [x0, self.b * (x0 * x0 - self.s0 * self.s0) + self.s1 * z1]
    }
}

impl LogDensity for Banana {
    fn dim(&self) -> usize {
        2
    }
    fn log_density(&self, x: &[f64]) -> f64 {
        let r = x[1] - self.b * (x[0] * x[0] - self.s0 * self.s0);
        -0.5 * (x[0] * x[0]) / (self.s0 * self.s0)
            - 0.5 * r * r / (self.s1 * self.s1)
            - (2.0 * PI * self.s0 * self.s1).ln()
    }
}

impl GradLogDensity for Banana {
    fn log_density_and_gradient(&self, x: &[f64], grad: &mut [f64]) -> f64 {
        let r = x[1] - self.b * (x[0] * x[0] - self.s0 * self.s0);
        let rs = r / (self.s1 * self.s1);
        grad[0] = -x[0] / (self.s0 * self.s0) + rs * 2.0 * self.b * x[0];
        grad[1] = -rs;
        self.log_density(x)
    }
}

/// Neal's funnel in `d >= 2` dimensions: `v = x[0] ~ N(0, scale²)`,
/// `x[i] | v ~ N(0, exp(v))` for `i = 1..d`. Normalised.
///
/// The scale of the `x[i]` changes by orders of magnitude along `v`, so no
/// single step size fits: Hamiltonian samplers report divergences in the
/// neck (negative `v`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Funnel {
    /// Dimension (≥ 2).
    pub dim: usize,
    /// Standard deviation of `v` (Neal uses 3).
    pub scale: f64,
}

impl Funnel {
    /// Neal's funnel with `v ~ N(0, 3²)` in `dim` dimensions.
    pub fn new(dim: usize) -> Result<Self, TargetError> {
        if dim < 2 {
            return Err(TargetError::Invalid(format!(
                "funnel dimension {dim} must be >= 2"
            )));
        }
        Ok(Funnel { dim, scale: 3.0 })
    }
}

impl LogDensity for Funnel {
    fn dim(&self) -> usize {
        self.dim
    }
    fn log_density(&self, x: &[f64]) -> f64 {
        let v = x[0];
        let k = (self.dim - 1) as f64;
        let ss: f64 = x[1..].iter().map(|t| t * t).sum();
        -0.5 * v * v / (self.scale * self.scale)
            - 0.5 * (LN_2PI + 2.0 * self.scale.ln())
            - 0.5 * ss * (-v).exp()
            - 0.5 * k * (v + LN_2PI)
    }
}

impl GradLogDensity for Funnel {
    fn log_density_and_gradient(&self, x: &[f64], grad: &mut [f64]) -> f64 {
        let v = x[0];
        let k = (self.dim - 1) as f64;
        let e = (-v).exp();
        let mut ss = 0.0;
        for i in 1..self.dim {
            ss += x[i] * x[i];
            grad[i] = -x[i] * e;
        }
        grad[0] = -v / (self.scale * self.scale) + 0.5 * ss * e - 0.5 * k;
        -0.5 * v * v / (self.scale * self.scale)
            - 0.5 * (LN_2PI + 2.0 * self.scale.ln())
            - 0.5 * ss * e
            - 0.5 * k * (v + LN_2PI)
    }
}

/// An *unnormalised* Gaussian mixture
/// `p(x) = exp(log_scale) * sum_k w_k N(x; mu_k, Sigma_k)` with weights
/// summing to one, so its normalising constant is exactly
/// `Z = exp(log_scale)` ([`GaussianMixture::log_z`]).
///
/// Evaluated with a streaming log-sum-exp (no allocation, stable for
/// far-apart modes).
#[derive(Debug, Clone)]
pub struct GaussianMixture {
    weights: Vec<f64>,
    log_weights: Vec<f64>,
    components: Vec<CorrelatedGaussian>,
    log_scale: f64,
}

/// Default log scale of the mixtures built by the convenience constructors:
/// `log Z = 3.7`, a value no normalised density would give by accident.
pub const MIXTURE_LOG_SCALE: f64 = 3.7;

impl GaussianMixture {
    /// Mixture of `components` with positive `weights` (normalised here) and
    /// `log Z = log_scale`.
    pub fn new(
        weights: &[f64],
        components: Vec<CorrelatedGaussian>,
        log_scale: f64,
    ) -> Result<Self, TargetError> {
        if weights.len() != components.len() {
            return Err(TargetError::Dimension {
                field: "weights",
                expected: components.len(),
                got: weights.len(),
            });
        }
        if components.is_empty() {
            return Err(TargetError::Invalid(
                "a mixture needs at least one component".into(),
            ));
        }
        let d = components[0].dim();
        for c in &components {
            if c.dim() != d {
                return Err(TargetError::Dimension {
                    field: "component mean",
                    expected: d,
                    got: c.dim(),
                });
            }
        }
        if weights.iter().any(|w| !(*w > 0.0 && w.is_finite())) {
            return Err(TargetError::Invalid(format!(
                "mixture weights must be positive and finite: {weights:?}"
            )));
        }
        if !log_scale.is_finite() {
            return Err(TargetError::Invalid(format!("log_scale = {log_scale}")));
        }
        let s: f64 = weights.iter().sum();
        let weights: Vec<f64> = weights.iter().map(|w| w / s).collect();
        let log_weights = weights.iter().map(|w| w.ln()).collect();
        Ok(GaussianMixture {
            weights,
            log_weights,
            components,
            log_scale,
        })
    }

    /// Two unit-variance modes on the line at `-separation/2` and
    /// `+separation/2`, weights `(w0, w1)`, `log Z =` [`MIXTURE_LOG_SCALE`].
    pub fn two_mode_1d(w0: f64, w1: f64, separation: f64) -> Result<Self, TargetError> {
        let c0 = CorrelatedGaussian::diagonal(vec![-0.5 * separation], &[1.0])?;
        let c1 = CorrelatedGaussian::diagonal(vec![0.5 * separation], &[1.0])?;
        Self::new(&[w0, w1], vec![c0, c1], MIXTURE_LOG_SCALE)
    }

    /// Two modes in 3-D at `∓separation/2` along the first axis (like two
    /// earthquake clusters): the first has sds (1, 0.7, 0.5), the second a
    /// correlated covariance with sds (0.8, 1.2, 0.6) and correlation 0.5
    /// between the first two axes; weights `(w0, w1)`, `log Z =`
    /// [`MIXTURE_LOG_SCALE`].
    pub fn two_mode_3d(w0: f64, w1: f64, separation: f64) -> Result<Self, TargetError> {
        let c0 = CorrelatedGaussian::diagonal(vec![-0.5 * separation, 0.0, 0.0], &[1.0, 0.7, 0.5])?;
        let s = [0.8, 1.2, 0.6];
        let cov = DMatrix::from_fn(3, 3, |i, j| {
            let r = if i == j {
                1.0
            } else if (i, j) == (0, 1) || (i, j) == (1, 0) {
                0.5
            } else {
                0.0
            };
            r * s[i] * s[j]
        });
        let c1 = CorrelatedGaussian::new(vec![0.5 * separation, 0.0, 0.0], cov)?;
        Self::new(&[w0, w1], vec![c0, c1], MIXTURE_LOG_SCALE)
    }

    /// Same mixture with a different `log Z`.
    pub fn with_log_scale(mut self, log_scale: f64) -> Self {
        self.log_scale = log_scale;
        self
    }

    /// Exact log normalising constant of the unnormalised density.
    pub fn log_z(&self) -> f64 {
        self.log_scale
    }

    /// Normalised weights.
    pub fn weights(&self) -> &[f64] {
        &self.weights
    }

    /// The components.
    pub fn components(&self) -> &[CorrelatedGaussian] {
        &self.components
    }

    /// Exact mean `sum_k w_k mu_k`.
    pub fn mean(&self) -> Vec<f64> {
        let d = self.dim();
        let mut m = vec![0.0; d];
        for (w, c) in self.weights.iter().zip(&self.components) {
            for i in 0..d {
                m[i] += w * c.mean()[i];
            }
        }
        m
    }

    /// Exact covariance `sum_k w_k (Sigma_k + mu_k mu_k') - mu mu'`.
    pub fn covariance(&self) -> DMatrix<f64> {
        let d = self.dim();
        let m = DVector::from_vec(self.mean());
        let mut c = -&m * m.transpose();
        for (w, comp) in self.weights.iter().zip(&self.components) {
            let mu = DVector::from_column_slice(comp.mean());
            c += (comp.covariance() + &mu * mu.transpose()) * *w;
        }
        debug_assert_eq!(c.nrows(), d);
        c
    }

    /// Exact probability mass of component `k` (its weight).
    pub fn component_mass(&self, k: usize) -> f64 {
        self.weights[k]
    }

    /// Draw exactly from the normalised mixture.
    pub fn sample_exact<R: rand::Rng + ?Sized>(&self, rng: &mut R) -> Vec<f64> {
        use rand_distr::{Distribution, StandardNormal};
        let u: f64 = rng.gen();
        let mut acc = 0.0;
        let mut k = self.weights.len() - 1;
        for (i, w) in self.weights.iter().enumerate() {
            acc += w;
            if u < acc {
                k = i;
                break;
            }
        }
        let c = &self.components[k];
        let l = c
            .covariance()
            .clone()
            .cholesky()
            .expect("checked at construction")
            .l();
        let z = DVector::from_iterator(c.dim(), (0..c.dim()).map(|_| StandardNormal.sample(rng)));
        let x = l * z;
        x.iter().zip(c.mean()).map(|(a, b)| a + b).collect()
    }
}

impl LogDensity for GaussianMixture {
    fn dim(&self) -> usize {
        self.components[0].dim()
    }
    fn log_density(&self, x: &[f64]) -> f64 {
        let mut m = f64::NEG_INFINITY;
        let mut s = 0.0;
        for (lw, c) in self.log_weights.iter().zip(&self.components) {
            let l = lw + c.log_density(x);
            if l > m {
                s = s * (m - l).exp() + 1.0;
                m = l;
            } else {
                s += (l - m).exp();
            }
        }
        self.log_scale + m + s.ln()
    }
}

impl GradLogDensity for GaussianMixture {
    fn log_density_and_gradient(&self, x: &[f64], grad: &mut [f64]) -> f64 {
        // Streaming log-sum-exp: keep the running max m, s = sum exp(l_k - m)
        // and grad = sum exp(l_k - m) grad_k, rescaling when m grows.
        grad.iter_mut().for_each(|g| *g = 0.0);
        let mut m = f64::NEG_INFINITY;
        let mut s = 0.0;
        for (lw, c) in self.log_weights.iter().zip(&self.components) {
            let l = lw + c.log_density(x);
            let w = if l > m {
                let r = (m - l).exp();
                s *= r;
                grad.iter_mut().for_each(|g| *g *= r);
                m = l;
                1.0
            } else {
                (l - m).exp()
            };
            s += w;
            c.add_grad(x, w, grad);
        }
        grad.iter_mut().for_each(|g| *g /= s);
        self.log_scale + m + s.ln()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Central finite-difference check of a gradient.
    fn check_grad(t: &dyn GradLogDensity, x: &[f64]) {
        let d = t.dim();
        let mut g = vec![0.0; d];
        let lp = t.log_density_and_gradient(x, &mut g);
        assert!((lp - t.log_density(x)).abs() < 1e-12 * lp.abs().max(1.0));
        let h = 1e-5;
        for i in 0..d {
            let mut xp = x.to_vec();
            let mut xm = x.to_vec();
            xp[i] += h;
            xm[i] -= h;
            let fd = (t.log_density(&xp) - t.log_density(&xm)) / (2.0 * h);
            assert!(
                (fd - g[i]).abs() < 1e-6 * (1.0 + fd.abs()),
                "coord {i}: fd {fd} vs analytic {}",
                g[i]
            );
        }
    }

    #[test]
    fn gradients_match_finite_differences() {
        let x10: Vec<f64> = (0..10).map(|i| 0.3 * i as f64 - 1.0).collect();
        check_grad(&CorrelatedGaussian::ar1_10d(), &x10);
        check_grad(&Banana::standard(), &[0.7, -0.4]);
        check_grad(&Funnel::new(5).unwrap(), &[-1.2, 0.1, -0.2, 0.3, 0.05]);
        check_grad(
            &GaussianMixture::two_mode_3d(0.3, 0.7, 4.0).unwrap(),
            &[0.4, -0.3, 0.2],
        );
        check_grad(
            &GaussianMixture::two_mode_1d(0.3, 0.7, 6.0).unwrap(),
            &[-2.5],
        );
    }

    #[test]
    fn gaussian_normalisation_matches_closed_form() {
        // 1-D N(2, 3^2) at x = 5: -0.5 ln(2 pi 9) - 0.5.
        let g = CorrelatedGaussian::diagonal(vec![2.0], &[3.0]).unwrap();
        let want = -0.5 * (2.0 * PI * 9.0).ln() - 0.5;
        assert!((g.log_density(&[5.0]) - want).abs() < 1e-13);
    }

    /// Integrate each 1-D/2-D density on a fine grid: Z must come out exactly.
    #[test]
    fn normalising_constants_by_quadrature() {
        let mix = GaussianMixture::two_mode_1d(0.3, 0.7, 6.0).unwrap();
        let h = 1e-3;
        let z: f64 = (0..30_000)
            .map(|i| (mix.log_density(&[-15.0 + i as f64 * h])).exp() * h)
            .sum();
        assert!(
            (z.ln() - mix.log_z()).abs() < 1e-8,
            "{} vs {}",
            z.ln(),
            mix.log_z()
        );

        let b = Banana::standard();
        let (h0, h1) = (0.01, 0.01);
        let mut z = 0.0;
        let mut m2 = 0.0;
        for i in 0..1400 {
            let x0 = -7.0 + i as f64 * h0;
            for j in 0..5000 {
                let x1 = -8.0 + j as f64 * h1;
                let p = b.log_density(&[x0, x1]).exp() * h0 * h1;
                z += p;
                m2 += p * x1 * x1;
            }
        }
        assert!((z - 1.0).abs() < 1e-6, "banana Z = {z}");
        assert!(
            (m2 - b.covariance()[1][1]).abs() < 1e-4,
            "banana E[x1^2] = {m2}"
        );

        let f = Funnel::new(2).unwrap();
        let mut z = 0.0;
        for i in 0..1200 {
            let v = -18.0 + i as f64 * 0.03;
            let sd = (0.5 * v).exp();
            // integrate x analytically-scaled: substitute x = sd * u
            for j in 0..400 {
                let u = -10.0 + j as f64 * 0.05;
                z += f.log_density(&[v, sd * u]).exp() * sd * 0.03 * 0.05;
            }
        }
        assert!((z - 1.0).abs() < 1e-6, "funnel Z = {z}");
    }

    #[test]
    fn mixture_moments_and_far_modes_are_stable() {
        let mix = GaussianMixture::two_mode_1d(0.3, 0.7, 4.0).unwrap();
        // mean = 0.3*(-2) + 0.7*2 = 0.8; var = 1 + 4 - 0.64
        assert!((mix.mean()[0] - 0.8).abs() < 1e-14);
        assert!((mix.covariance()[(0, 0)] - 4.36).abs() < 1e-12);
        // 1000 sds away from one mode: still finite, gradient points home.
        let far = GaussianMixture::two_mode_1d(0.5, 0.5, 2000.0).unwrap();
        let mut g = [0.0];
        let lp = far.log_density_and_gradient(&[1000.5], &mut g);
        assert!(lp.is_finite());
        assert!((g[0] + 0.5).abs() < 1e-12);
    }

    #[test]
    fn constructors_reject_bad_input() {
        assert!(CorrelatedGaussian::new(
            vec![0.0, 0.0],
            DMatrix::from_row_slice(2, 2, &[1.0, 2.0, 2.0, 1.0])
        )
        .is_err());
        assert!(CorrelatedGaussian::new(vec![0.0], DMatrix::identity(2, 2)).is_err());
        assert!(Banana::new(0.0, 1.0, 1.0).is_err());
        assert!(Funnel::new(1).is_err());
        assert!(GaussianMixture::two_mode_1d(-0.3, 0.7, 1.0).is_err());
    }
}
