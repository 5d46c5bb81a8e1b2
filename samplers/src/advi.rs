//! Automatic differentiation variational inference (ADVI).
//!
//! Fits a Gaussian `q(x) = N(mu, L L^T)` to the target `p(x)` by maximising the
//! evidence lower bound `ELBO = E_q[log p(x) - log q(x)]` with stochastic
//! reparameterisation gradients (`x = mu + L eps`, `eps ~ N(0, I)`) and the Adam
//! optimiser (Kucukelbir et al. 2017). Two families:
//!
//! - [`AdviFamily::MeanField`]: `L = diag(exp(omega))`, `2 d` parameters. On a
//!   Gaussian target it recovers the mean exactly and the variances
//!   `1 / P_ii` (the inverse of the *precision* diagonal), i.e. it
//!   under-estimates marginal variances of correlated targets.
//! - [`AdviFamily::FullRank`]: `L` lower-triangular with positive diagonal
//!   (stored as `log L_ii`), `d + d(d+1)/2` parameters; exact on a Gaussian
//!   target.
//!
//! The gradient estimator is by default the "sticking the landing" path
//! derivative (Roeder, Wu & Duvenaud 2017): the score term of `log q`, whose
//! expectation is zero, is dropped, so the gradient noise vanishes when `q`
//! equals the target. The classic estimator (analytic entropy gradient) is
//! available with [`AdviGradient::Entropy`].
//!
//! Convergence (as in Stan/PyMC): every `eval_every` iterations the mean of the
//! per-iteration ELBO estimates over that window is compared with the previous
//! window's; the relative change `|m_k - m_{k-1}| / max(|m_k|, 1)` below
//! `tol_rel_obj` in `patience` consecutive windows (or a change smaller than
//! twice the Monte Carlo standard error of the difference of the two window
//! means, i.e. indistinguishable from noise) stops the fit. The floor of 1 in
//! the denominator keeps the rule meaningful when the ELBO is near zero (a
//! normalised target fitted well). Before stopping, the step size is cut
//! `lr_reductions` times by `lr_reduction_factor`, each time waiting for the
//! rule to fire again. The returned parameters are the average of
//! the iterates over the last window (Polyak-Ruppert averaging), which removes
//! most of Adam's constant-step jitter.
//!
//! Known limitation: mean-field ADVI on a strongly correlated target
//! converges slowly along the poorly conditioned directions and its gradient
//! noise does not vanish at the optimum; the ELBO is flat there, so the rule
//! can stop while the mean is still ~0.1-0.5 mean-field sd off (10-D AR(1),
//! rho = 0.8). For precise fits use several `grad_samples`, a smaller
//! `learning_rate` and `noise_tolerance_se = 0` (as the tests do), or the
//! full-rank family, whose sticking-the-landing gradient converges exactly.
//!
//! The hot loop (one iteration) allocates nothing: every buffer lives in the
//! [`AdviState`].
//!
//! ```
//! use eqnemix_samplers::{advi::{AdviConfig, AdviFamily}, GradLogDensity, LogDensity, Sampler};
//! struct Normal2;
//! impl LogDensity for Normal2 {
//!     fn dim(&self) -> usize { 2 }
//!     fn log_density(&self, x: &[f64]) -> f64 { -0.5 * ((x[0] - 1.0).powi(2) + (x[1] / 2.0).powi(2)) }
//! }
//! impl GradLogDensity for Normal2 {
//!     fn log_density_and_gradient(&self, x: &[f64], g: &mut [f64]) -> f64 {
//!         g[0] = -(x[0] - 1.0); g[1] = -x[1] / 4.0;
//!         self.log_density(x)
//!     }
//! }
//! let advi = AdviConfig { family: AdviFamily::MeanField, ..Default::default() };
//! let fit = advi.fit(&Normal2, &[0.0, 0.0], 7).unwrap();
//! assert!((fit.mean[0] - 1.0).abs() < 0.05);
//! assert!((fit.covariance()[(1, 1)] - 4.0).abs() < 0.2);
//! ```

// Indexed loops mirror the formulas; `!(x > 0.0)` deliberately rejects NaN.
#![allow(clippy::needless_range_loop, clippy::neg_cmp_op_on_partial_ord)]

use crate::{check_init, DrawStats, Draws, GradLogDensity, Sampler, SamplerError};
use nalgebra::DMatrix;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
use serde::{Deserialize, Serialize};

/// The variational family.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AdviFamily {
    /// Independent Gaussians (diagonal covariance).
    #[default]
    MeanField,
    /// Gaussian with a dense covariance (Cholesky factor).
    FullRank,
}

/// The stochastic gradient estimator.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AdviGradient {
    /// Path derivative without the score term ("sticking the landing"): zero
    /// variance at the optimum when the family contains the target.
    #[default]
    StickingTheLanding,
    /// Reparameterisation gradient of `log p` plus the analytic entropy gradient.
    Entropy,
}

/// ADVI settings. Every field has a default (`#[serde(default)]`), so a TOML
/// table `kind = "advi"` alone is a valid configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AdviConfig {
    /// Variational family. Default: mean-field.
    pub family: AdviFamily,
    /// Gradient estimator. Default: sticking the landing.
    pub gradient: AdviGradient,
    /// Maximum number of optimiser iterations. Default 20 000.
    pub max_iters: usize,
    /// Monte Carlo draws per gradient estimate. Default 1.
    pub grad_samples: usize,
    /// Adam step size (in the units of the parameters). Default 0.02.
    pub learning_rate: f64,
    /// Adam first-moment decay. Default 0.9.
    pub beta1: f64,
    /// Adam second-moment decay. Default 0.999.
    pub beta2: f64,
    /// Iterations per convergence check (window of the running mean). Default 200.
    pub eval_every: usize,
    /// Relative ELBO change below which a window counts as converged. Default 0.001.
    pub tol_rel_obj: f64,
    /// A window also counts as settled when its change is below this many
    /// Monte Carlo standard errors of the difference of the window means
    /// (0 disables). Caution: the ELBO is flat along poorly conditioned
    /// directions, so a noise-level change does not prove the parameters have
    /// stopped moving; lower it (or `tol_rel_obj`) for precise fits. Default 2.
    pub noise_tolerance_se: f64,
    /// Consecutive converged windows needed to stop (or to reduce the step). Default 3.
    pub patience: usize,
    /// Times the step size is cut by `lr_reduction_factor` when the ELBO has
    /// settled, before the fit stops ("reduce on plateau"): Adam jitters around
    /// the optimum with an amplitude proportional to the step, so the last,
    /// small-step phase pins the optimum down. Default 2.
    pub lr_reductions: usize,
    /// Factor applied to the step size at each reduction. Default 0.1.
    pub lr_reduction_factor: f64,
    /// Initial standard deviation of every coordinate of `q`. Default 1.
    pub init_scale: f64,
    /// Draws returned by [`Sampler::sample`] (i.i.d. from the fitted `q`). Default 1000.
    pub n_draws: usize,
}

impl Default for AdviConfig {
    fn default() -> Self {
        AdviConfig {
            family: AdviFamily::MeanField,
            gradient: AdviGradient::StickingTheLanding,
            max_iters: 20_000,
            grad_samples: 1,
            learning_rate: 0.02,
            beta1: 0.9,
            beta2: 0.999,
            eval_every: 200,
            tol_rel_obj: 0.001,
            noise_tolerance_se: 2.0,
            patience: 3,
            lr_reductions: 2,
            lr_reduction_factor: 0.1,
            init_scale: 1.0,
            n_draws: 1000,
        }
    }
}

/// The result of [`AdviConfig::fit`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AdviFit {
    /// Family fitted.
    pub family: AdviFamily,
    /// Mean of `q`.
    pub mean: Vec<f64>,
    /// Lower Cholesky factor of the covariance of `q`, row-major `d x d`
    /// (diagonal for mean-field).
    pub scale_tril: Vec<f64>,
    /// Per-iteration ELBO estimates (nats; up to the target's unknown constant).
    pub elbo_trace: Vec<f64>,
    /// Number of iterations run.
    pub n_iters: usize,
    /// The convergence rule fired before `max_iters`.
    pub converged: bool,
    /// Final ELBO estimate (mean over the last window).
    pub elbo: f64,
    /// Iterations skipped because a draw fell where the target is zero (or NaN).
    pub n_rejected: usize,
}

impl AdviFit {
    /// Dimension.
    pub fn dim(&self) -> usize {
        self.mean.len()
    }

    /// Covariance `L L^T` of the fitted Gaussian.
    pub fn covariance(&self) -> DMatrix<f64> {
        let d = self.dim();
        let l = DMatrix::from_row_slice(d, d, &self.scale_tril);
        &l * l.transpose()
    }

    /// Log density of `q` at `x` (normalised).
    pub fn log_q(&self, x: &[f64], scratch: &mut [f64]) -> f64 {
        let d = self.dim();
        // Solve L y = x - mu (forward substitution); log q = -|y|^2/2 - sum log L_ii - d/2 log 2 pi.
        let mut logdet = 0.0;
        for i in 0..d {
            let mut s = x[i] - self.mean[i];
            for j in 0..i {
                s -= self.scale_tril[i * d + j] * scratch[j];
            }
            let lii = self.scale_tril[i * d + i];
            scratch[i] = s / lii;
            logdet += lii.ln();
        }
        let q: f64 = scratch[..d].iter().map(|v| v * v).sum();
        -0.5 * q - logdet - 0.5 * d as f64 * (2.0 * std::f64::consts::PI).ln()
    }

    /// Draw `x = mu + L eps` into `x`, using `eps` as scratch.
    pub fn draw_into(&self, rng: &mut ChaCha8Rng, eps: &mut [f64], x: &mut [f64]) {
        let d = self.dim();
        for e in eps.iter_mut() {
            *e = StandardNormal.sample(rng);
        }
        for i in 0..d {
            let mut s = self.mean[i];
            for j in 0..=i {
                s += self.scale_tril[i * d + j] * eps[j];
            }
            x[i] = s;
        }
    }
}

/// The optimiser state of one ADVI run (BlackJAX style: explicit, owned by the caller).
#[derive(Debug, Clone)]
pub struct AdviState {
    dim: usize,
    family: AdviFamily,
    /// Parameters: `mu` (d) then `omega` (d, mean-field) or packed lower
    /// triangle of `L` row by row with `log L_ii` on the diagonal (full-rank).
    pub params: Vec<f64>,
    grad: Vec<f64>,
    adam_m: Vec<f64>,
    adam_v: Vec<f64>,
    /// Adam step counter.
    pub t: u64,
    eps: Vec<f64>,
    x: Vec<f64>,
    gx: Vec<f64>,
    /// Dense `L` rebuilt from the parameters each iteration (row-major).
    l: Vec<f64>,
    /// `L^{-T} eps` for the sticking-the-landing gradient.
    w: Vec<f64>,
}

impl AdviState {
    fn n_params(family: AdviFamily, d: usize) -> usize {
        match family {
            AdviFamily::MeanField => 2 * d,
            AdviFamily::FullRank => d + d * (d + 1) / 2,
        }
    }

    /// Rebuild the dense Cholesky factor from the parameters.
    fn unpack_l(&mut self) {
        let d = self.dim;
        let (_, rest) = self.params.split_at(d);
        self.l.iter_mut().for_each(|v| *v = 0.0);
        match self.family {
            AdviFamily::MeanField => {
                for i in 0..d {
                    self.l[i * d + i] = rest[i].exp();
                }
            }
            AdviFamily::FullRank => {
                let mut k = 0;
                for i in 0..d {
                    for j in 0..=i {
                        self.l[i * d + j] = if i == j { rest[k].exp() } else { rest[k] };
                        k += 1;
                    }
                }
            }
        }
    }

    /// Current mean of `q`.
    pub fn mean(&self) -> &[f64] {
        &self.params[..self.dim]
    }
}

impl AdviConfig {
    fn validate(&self) -> Result<(), SamplerError> {
        let bad = |f: &str, why: &str| Err(SamplerError::InvalidConfig(format!("advi.{f}: {why}")));
        if self.max_iters == 0 {
            return bad("max_iters", "must be at least 1");
        }
        if self.grad_samples == 0 {
            return bad("grad_samples", "must be at least 1");
        }
        if !(self.learning_rate > 0.0 && self.learning_rate.is_finite()) {
            return bad("learning_rate", "must be positive and finite");
        }
        if !(0.0..1.0).contains(&self.beta1) || !(0.0..1.0).contains(&self.beta2) {
            return bad("beta1/beta2", "must lie in [0, 1)");
        }
        if self.eval_every == 0 {
            return bad("eval_every", "must be at least 1");
        }
        if !(self.tol_rel_obj >= 0.0) {
            return bad("tol_rel_obj", "must be non-negative");
        }
        if !(self.lr_reduction_factor > 0.0 && self.lr_reduction_factor <= 1.0) {
            return bad("lr_reduction_factor", "must lie in (0, 1]");
        }
        if !(self.init_scale > 0.0 && self.init_scale.is_finite()) {
            return bad("init_scale", "must be positive and finite");
        }
        Ok(())
    }

    /// A fresh optimiser state: `q = N(init, init_scale^2 I)`.
    pub fn init(&self, dim: usize, init: &[f64]) -> AdviState {
        let np = AdviState::n_params(self.family, dim);
        let mut params = vec![0.0; np];
        params[..dim].copy_from_slice(init);
        let log_s = self.init_scale.ln();
        match self.family {
            AdviFamily::MeanField => params[dim..].iter_mut().for_each(|v| *v = log_s),
            AdviFamily::FullRank => {
                let mut k = dim;
                for i in 0..dim {
                    k += i; // off-diagonal entries of row i stay 0
                    params[k] = log_s;
                    k += 1;
                }
            }
        }
        let mut st = AdviState {
            dim,
            family: self.family,
            params,
            grad: vec![0.0; np],
            adam_m: vec![0.0; np],
            adam_v: vec![0.0; np],
            t: 0,
            eps: vec![0.0; dim],
            x: vec![0.0; dim],
            gx: vec![0.0; dim],
            l: vec![0.0; dim * dim],
            w: vec![0.0; dim],
        };
        st.unpack_l();
        st
    }

    /// One optimiser iteration: estimate the ELBO gradient from `grad_samples`
    /// draws and take an Adam ascent step. Returns the ELBO estimate
    /// (mean of `log p(x) - log q(x)` over the draws), or `None` when a draw
    /// fell outside the support (the step is then skipped).
    pub fn step(
        &self,
        density: &dyn GradLogDensity,
        st: &mut AdviState,
        rng: &mut ChaCha8Rng,
    ) -> Option<f64> {
        self.step_with_rate(density, st, rng, self.learning_rate)
    }

    /// [`AdviConfig::step`] with an explicit Adam step size.
    pub fn step_with_rate(
        &self,
        density: &dyn GradLogDensity,
        st: &mut AdviState,
        rng: &mut ChaCha8Rng,
        learning_rate: f64,
    ) -> Option<f64> {
        let d = st.dim;
        st.grad.iter_mut().for_each(|v| *v = 0.0);
        let mut elbo = 0.0;
        let inv_s = 1.0 / self.grad_samples as f64;
        let half_log_2pi = 0.5 * (2.0 * std::f64::consts::PI).ln();
        let log_det: f64 = (0..d).map(|i| st.l[i * d + i].ln()).sum();
        for _ in 0..self.grad_samples {
            for e in st.eps.iter_mut() {
                *e = StandardNormal.sample(rng);
            }
            for i in 0..d {
                let mut s = st.params[i];
                for j in 0..=i {
                    s += st.l[i * d + j] * st.eps[j];
                }
                st.x[i] = s;
            }
            let lp = density.log_density_and_gradient(&st.x, &mut st.gx);
            if !lp.is_finite() || st.gx.iter().any(|g| !g.is_finite()) {
                return None;
            }
            let e2: f64 = st.eps.iter().map(|e| e * e).sum();
            let log_q = -0.5 * e2 - log_det - d as f64 * half_log_2pi;
            elbo += (lp - log_q) * inv_s;
            // Path gradient h = d/dx [log p - log q] (STL) or d/dx log p (entropy form).
            let stl = self.gradient == AdviGradient::StickingTheLanding;
            if stl {
                // grad_x log q(x) = -L^{-T} eps: back substitution L^T w = eps.
                for i in (0..d).rev() {
                    let mut s = st.eps[i];
                    for k in i + 1..d {
                        s -= st.l[k * d + i] * st.w[k];
                    }
                    st.w[i] = s / st.l[i * d + i];
                }
                for i in 0..d {
                    st.gx[i] += st.w[i];
                }
            }
            let (gmu, grest) = st.grad.split_at_mut(d);
            for i in 0..d {
                gmu[i] += st.gx[i] * inv_s;
            }
            match st.family {
                AdviFamily::MeanField => {
                    for i in 0..d {
                        let sigma = st.l[i * d + i];
                        let ent = if stl { 0.0 } else { 1.0 };
                        grest[i] += (st.gx[i] * st.eps[i] * sigma + ent) * inv_s;
                    }
                }
                AdviFamily::FullRank => {
                    let mut k = 0;
                    for i in 0..d {
                        for j in 0..=i {
                            let g = st.gx[i] * st.eps[j];
                            grest[k] += if i == j {
                                (g * st.l[i * d + i] + if stl { 0.0 } else { 1.0 }) * inv_s
                            } else {
                                g * inv_s
                            };
                            k += 1;
                        }
                    }
                }
            }
        }
        // Adam ascent step.
        st.t += 1;
        let t = st.t as i32;
        let bc1 = 1.0 - self.beta1.powi(t);
        let bc2 = 1.0 - self.beta2.powi(t);
        for p in 0..st.params.len() {
            let g = st.grad[p];
            st.adam_m[p] = self.beta1 * st.adam_m[p] + (1.0 - self.beta1) * g;
            st.adam_v[p] = self.beta2 * st.adam_v[p] + (1.0 - self.beta2) * g * g;
            let mhat = st.adam_m[p] / bc1;
            let vhat = st.adam_v[p] / bc2;
            st.params[p] += learning_rate * mhat / (vhat.sqrt() + 1e-8);
        }
        st.unpack_l();
        Some(elbo)
    }

    /// Fit `q` to `density` starting at `q = N(init, init_scale^2 I)`.
    pub fn fit(
        &self,
        density: &dyn GradLogDensity,
        init: &[f64],
        seed: u64,
    ) -> Result<AdviFit, SamplerError> {
        self.validate()?;
        check_init(density, init)?;
        let d = density.dim();
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut st = self.init(d, init);
        let np = st.params.len();
        let mut avg = vec![0.0; np];
        let mut elbo_trace = Vec::with_capacity(self.max_iters.min(1 << 20));
        let mut n_rejected = 0usize;
        let mut consecutive_rejected = 0usize;
        let mut window_sum = 0.0;
        let mut window_sq = 0.0;
        let mut prev_se2 = f64::INFINITY;
        let mut lr = self.learning_rate;
        let mut reductions = 0usize;
        let mut window_n = 0usize;
        let mut window_iters = 0usize;
        let mut prev_mean: Option<f64> = None;
        let mut last_mean = f64::NAN;
        let mut calm = 0usize;
        let mut converged = false;
        let mut n_iters = 0usize;
        let mut avg_n = 0usize;
        for it in 0..self.max_iters {
            n_iters = it + 1;
            match self.step_with_rate(density, &mut st, &mut rng, lr) {
                Some(e) => {
                    consecutive_rejected = 0;
                    elbo_trace.push(e);
                    window_sum += e;
                    window_sq += e * e;
                    window_n += 1;
                }
                None => {
                    n_rejected += 1;
                    consecutive_rejected += 1;
                    elbo_trace.push(f64::NAN);
                    if consecutive_rejected >= 100 {
                        return Err(SamplerError::Numerical(format!(
                            "advi: 100 consecutive draws of q fell outside the support (iteration {it}); \
                             transform the parameters to an unbounded space or lower init_scale"
                        )));
                    }
                }
            }
            for (a, p) in avg.iter_mut().zip(&st.params) {
                *a += p;
            }
            avg_n += 1;
            window_iters += 1;
            if window_iters == self.eval_every {
                let n = window_n as f64;
                let m = if window_n > 0 {
                    window_sum / n
                } else {
                    f64::NAN
                };
                // Squared standard error of the window mean (draws are nearly
                // independent between iterations).
                let se2 = if window_n > 1 {
                    (window_sq / n - m * m).max(0.0) / (n - 1.0)
                } else {
                    f64::INFINITY
                };
                last_mean = m;
                if let Some(pm) = prev_mean {
                    let delta = (m - pm).abs();
                    let rel = delta / m.abs().max(1.0);
                    // Settled: relative change below tolerance, or a change
                    // that the Monte Carlo noise of the two means explains.
                    if rel < self.tol_rel_obj
                        || delta < self.noise_tolerance_se * (se2 + prev_se2).sqrt()
                    {
                        calm += 1;
                    } else {
                        calm = 0;
                    }
                }
                prev_mean = Some(m);
                prev_se2 = se2;
                if calm >= self.patience.max(1) {
                    if reductions < self.lr_reductions {
                        reductions += 1;
                        lr *= self.lr_reduction_factor;
                        calm = 0;
                        // Restart the smaller-step phase from the window's
                        // average iterate rather than from a jittered one.
                        for (p, a) in st.params.iter_mut().zip(&avg) {
                            *p = a / avg_n as f64;
                        }
                        st.unpack_l();
                    } else {
                        converged = true;
                        break;
                    }
                }
                window_sum = 0.0;
                window_sq = 0.0;
                window_n = 0;
                window_iters = 0;
                avg.iter_mut().for_each(|a| *a = 0.0);
                avg_n = 0;
            }
        }
        if avg_n > 0 {
            for (p, a) in st.params.iter_mut().zip(&avg) {
                *p = a / avg_n as f64;
            }
            st.unpack_l();
        }
        if last_mean.is_nan() && window_n > 0 {
            last_mean = window_sum / window_n as f64;
        }
        if st.params.iter().any(|p| !p.is_finite()) {
            return Err(SamplerError::Numerical(
                "advi: parameters became non-finite; lower learning_rate".into(),
            ));
        }
        Ok(AdviFit {
            family: self.family,
            mean: st.params[..d].to_vec(),
            scale_tril: st.l.clone(),
            elbo_trace,
            n_iters,
            converged,
            elbo: last_mean,
            n_rejected,
        })
    }

    /// Equally weighted i.i.d. draws from a fitted approximation, with the
    /// Pareto k̂ of the ratios target / fit at the draws ([`Draws::pareto_k`]:
    /// the PSIS diagnostic of Yao et al. 2018 for variational inference; a
    /// single Gaussian fitted to a multimodal target gives k̂ well above 0.7).
    pub fn draws_from_fit(&self, fit: &AdviFit, density: &dyn GradLogDensity, seed: u64) -> Draws {
        let d = fit.dim();
        // A stream of its own so the draws never reuse the optimiser's randomness.
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        rng.set_stream(1);
        let mut draws = Draws::new(d);
        draws.values.reserve(self.n_draws * d);
        let mut eps = vec![0.0; d];
        let mut x = vec![0.0; d];
        let mut scratch = vec![0.0; d];
        let mut log_ratio = Vec::with_capacity(self.n_draws);
        for _ in 0..self.n_draws {
            fit.draw_into(&mut rng, &mut eps, &mut x);
            let lp = density.log_density(&x);
            log_ratio.push(if lp.is_finite() { lp - fit.log_q(&x, &mut scratch) } else { f64::NEG_INFINITY });
            draws.push(
                &x,
                DrawStats {
                    log_density: lp,
                    ..Default::default()
                },
            );
        }
        let mut w = vec![0.0; log_ratio.len()];
        if crate::smc::normalise_log_weights(&log_ratio, &mut w).is_finite() {
            draws.pareto_k = Some(crate::importance::pareto_k_hat(&w));
        }
        draws
    }
}

impl Sampler for AdviConfig {
    fn name(&self) -> &'static str {
        "advi"
    }

    /// Fit `q` from `init` and return `n_draws` i.i.d. draws from it. The draws
    /// are from the approximation, not the target: use them where the
    /// approximation is known to be adequate.
    fn sample(
        &self,
        density: &dyn GradLogDensity,
        init: &[f64],
        seed: u64,
    ) -> Result<Draws, SamplerError> {
        let fit = self.fit(density, init, seed)?;
        Ok(self.draws_from_fit(&fit, density, seed))
    }
}
