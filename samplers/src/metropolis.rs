//! Random-walk Metropolis with an adaptive Gaussian proposal (Haario,
//! Saksman & Tamminen 2001, *An adaptive Metropolis algorithm*, Bernoulli 7).
//!
//! The proposal is `x' = x + lambda L z`, `z ~ N(0, I)`, where `L L' = C` is
//! the proposal covariance. During warm-up only, `C` is re-estimated every
//! `base_window` iterations of the slow phase from all slow-phase
//! draws after the first window (Haario's growing history; the first window
//! is dropped as transient), regularised; `lambda` is reset to the
//! optimal-scaling value `2.38 / sqrt(d)` (Roberts, Gelman & Gilks 1997)
//! after each update and tuned between updates by dual averaging towards
//! an acceptance rate of 0.234. After warm-up the proposal is frozen, so the
//! draws come from a valid (non-adaptive) Markov chain. `lambda` is
//! reported as `step_size` in every draw's statistics.
//!
//! Only the log density is evaluated (no gradient).
// Index loops mirror the formulas; negated comparisons deliberately reject NaN.
#![allow(clippy::needless_range_loop, clippy::neg_cmp_op_on_partial_ord)]

use crate::adapt::{
    AdaptAction, Adaptation, DualAveragingConfig, MetricKind, WarmupAdapter, WindowConfig,
    WindowSchedule,
};
use crate::observer::{report, Observer};
use crate::{check_init, DrawStats, Draws, GradLogDensity, GradientFreeSampler, LogDensity, Sampler, SamplerError};
use nalgebra::DMatrix;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;
use serde::{Deserialize, Serialize};

/// Random-walk Metropolis settings (serde; every field has a default).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct MetropolisConfig {
    /// Warm-up (adaptation) iterations, discarded (5000). A random walk
    /// learns a covariance slowly: in 10-D with scales spanning a factor 10,
    /// a few thousand iterations are needed for a reliable proposal.
    pub n_warmup: usize,
    /// Draws kept after warm-up, after thinning (5000).
    pub n_draws: usize,
    /// Keep every `thin`-th iteration (1).
    pub thin: usize,
    /// Target acceptance rate of the scale adaptation (0.234).
    pub target_accept: f64,
    /// Shape of the adapted proposal covariance: `diag` or `dense` (`dense`).
    pub metric: MetricKind,
    /// Adapt the proposal covariance during warm-up (true).
    pub adapt_covariance: bool,
    /// Initial proposal standard deviation per coordinate (1.0); the
    /// initial covariance is `init_scale² I`.
    pub init_scale: f64,
    /// Warm-up windows for the covariance: initial buffer (100), update
    /// interval (100), terminal buffer where only the scale adapts (300).
    pub windows: WindowConfig,
}

impl Default for MetropolisConfig {
    fn default() -> Self {
        MetropolisConfig {
            n_warmup: 5000,
            n_draws: 5000,
            thin: 1,
            target_accept: 0.234,
            metric: MetricKind::Dense,
            adapt_covariance: true,
            init_scale: 1.0,
            windows: WindowConfig {
                init_buffer: 100,
                base_window: 100,
                term_buffer: 300,
            },
        }
    }
}

/// The random-walk Metropolis kernel with a fixed proposal.
pub struct MetropolisKernel<'a, D: LogDensity + ?Sized> {
    /// The target (only `log_density` is called).
    pub density: &'a D,
    /// Row-major lower Cholesky factor of the proposal covariance `C`.
    pub chol: Vec<f64>,
    /// Scale `lambda` multiplying `L z`.
    pub scale: f64,
}

/// State of one Metropolis chain.
#[derive(Debug, Clone)]
pub struct MetropolisState {
    /// Current position.
    pub x: Vec<f64>,
    /// Log density at `x`.
    pub logp: f64,
    proposal: Vec<f64>,
    z: Vec<f64>,
}

impl<'a, D: LogDensity + ?Sized> MetropolisKernel<'a, D> {
    /// Kernel with proposal covariance `sd² I` and scale `scale`.
    pub fn isotropic(density: &'a D, sd: f64, scale: f64) -> Self {
        let d = density.dim();
        let chol = (0..d * d)
            .map(|k| if k / d == k % d { sd } else { 0.0 })
            .collect();
        MetropolisKernel {
            density,
            chol,
            scale,
        }
    }

    /// Replace the proposal covariance: `d` variances (diag) or a row-major
    /// `d*d` covariance (dense).
    pub fn set_covariance(&mut self, kind: MetricKind, cov: &[f64]) -> Result<(), SamplerError> {
        let d = self.density.dim();
        self.chol.iter_mut().for_each(|v| *v = 0.0);
        match kind {
            MetricKind::Diag => {
                for i in 0..d {
                    if !(cov[i] > 0.0 && cov[i].is_finite()) {
                        return Err(SamplerError::Numerical(format!(
                            "proposal variance {} is not positive",
                            cov[i]
                        )));
                    }
                    self.chol[i * d + i] = cov[i].sqrt();
                }
            }
            MetricKind::Dense => {
                let c = DMatrix::from_row_slice(d, d, cov);
                let c = (&c + c.transpose()) * 0.5;
                let l = c
                    .cholesky()
                    .ok_or_else(|| {
                        SamplerError::Numerical(
                            "proposal covariance is not positive definite".into(),
                        )
                    })?
                    .l();
                for i in 0..d {
                    for j in 0..=i {
                        self.chol[i * d + j] = l[(i, j)];
                    }
                }
            }
        }
        Ok(())
    }

    /// Initial state at `x0`.
    pub fn init(&self, x0: &[f64]) -> MetropolisState {
        let d = x0.len();
        MetropolisState {
            x: x0.to_vec(),
            logp: self.density.log_density(x0),
            proposal: vec![0.0; d],
            z: vec![0.0; d],
        }
    }

    /// One Metropolis transition (no allocation).
    pub fn step<R: Rng + ?Sized>(&self, s: &mut MetropolisState, rng: &mut R) -> DrawStats {
        let d = s.x.len();
        for v in s.z.iter_mut() {
            *v = rng.sample(StandardNormal);
        }
        for i in 0..d {
            let row = &self.chol[i * d..i * d + i + 1];
            let lz: f64 = row.iter().zip(&s.z[..=i]).map(|(a, b)| a * b).sum();
            s.proposal[i] = s.x[i] + self.scale * lz;
        }
        let lp = self.density.log_density(&s.proposal);
        let accept_prob = if lp.is_nan() {
            0.0
        } else {
            (lp - s.logp).exp().min(1.0)
        };
        if rng.gen::<f64>() < accept_prob {
            std::mem::swap(&mut s.x, &mut s.proposal);
            s.logp = lp;
        }
        DrawStats {
            log_density: s.logp,
            accept_prob: Some(accept_prob),
            step_size: Some(self.scale),
            ..Default::default()
        }
    }
}

impl Sampler for MetropolisConfig {
    fn name(&self) -> &'static str {
        "metropolis"
    }

    fn sample(
        &self,
        density: &dyn GradLogDensity,
        init: &[f64],
        seed: u64,
    ) -> Result<Draws, SamplerError> {
        self.sample_log_density(density, init, seed)
    }

    fn sample_observed(
        &self,
        density: &dyn GradLogDensity,
        init: &[f64],
        seed: u64,
        observer: &mut dyn Observer,
    ) -> Result<Draws, SamplerError> {
        self.sample_adapted_observed(density, init, seed, observer).map(|(d, _)| d)
    }
}

impl GradientFreeSampler for MetropolisConfig {
    fn sample_log_density(&self, density: &dyn LogDensity, init: &[f64], seed: u64) -> Result<Draws, SamplerError> {
        self.sample_adapted(density, init, seed).map(|(d, _)| d)
    }
}

impl MetropolisConfig {
    /// Like [`Sampler::sample`], also returning the adapted scale `lambda`
    /// and proposal covariance `C`.
    pub fn sample_adapted(
        &self,
        density: &dyn LogDensity,
        init: &[f64],
        seed: u64,
    ) -> Result<(Draws, Adaptation), SamplerError> {
        self.sample_adapted_observed(density, init, seed, &mut ())
    }

    /// [`Self::sample_adapted`] with every iteration handed to `observer`.
    pub fn sample_adapted_observed(
        &self,
        density: &dyn LogDensity,
        init: &[f64],
        seed: u64,
        observer: &mut dyn Observer,
    ) -> Result<(Draws, Adaptation), SamplerError> {
        check_init(density, init)?;
        if self.thin == 0 {
            return Err(SamplerError::InvalidConfig("thin must be >= 1".into()));
        }
        if !(self.target_accept > 0.0 && self.target_accept < 1.0) {
            return Err(SamplerError::InvalidConfig(format!(
                "target_accept = {} must be in (0, 1)",
                self.target_accept
            )));
        }
        if !(self.init_scale > 0.0 && self.init_scale.is_finite()) {
            return Err(SamplerError::InvalidConfig(format!(
                "init_scale = {} must be > 0",
                self.init_scale
            )));
        }
        let d = init.len();
        let optimal = 2.38 / (d as f64).sqrt();
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut kernel = MetropolisKernel::isotropic(density, self.init_scale, optimal);
        let mut state = kernel.init(init);
        // mu_factor = 1: shrink the log scale towards the optimal-scaling value.
        let dual = DualAveragingConfig {
            target_accept: self.target_accept,
            mu_factor: 1.0,
            ..Default::default()
        };
        let mut adapter = WarmupAdapter::new(
            d,
            self.n_warmup,
            self.metric,
            self.adapt_covariance,
            &self.windows,
            dual,
            optimal,
        );
        adapter.cumulative = true;
        adapter.schedule = WindowSchedule::equal(self.n_warmup, &self.windows);
        let mut covariance: Vec<f64> = match self.metric {
            MetricKind::Diag => vec![self.init_scale.powi(2); d],
            MetricKind::Dense => (0..d * d)
                .map(|k| {
                    if k / d == k % d {
                        self.init_scale.powi(2)
                    } else {
                        0.0
                    }
                })
                .collect(),
        };
        let mut n_metric_updates = 0;
        let total = self.n_warmup + self.n_draws;
        for it in 0..self.n_warmup {
            let st = kernel.step(&mut state, &mut rng);
            report(observer, it + 1, total, true, &st)?;
            match adapter.update(it, st.accept_prob.unwrap_or(0.0), &state.x) {
                AdaptAction::StepSize(l) => kernel.scale = l,
                AdaptAction::Metric(cov) => {
                    kernel.set_covariance(self.metric, &cov)?;
                    covariance = cov;
                    n_metric_updates += 1;
                    kernel.scale = optimal;
                    adapter.restart_step_size(optimal);
                }
            }
        }
        let mut draws = Draws::new(d);
        draws.values.reserve(self.n_draws * d);
        for i in 0..self.n_draws {
            let mut st = kernel.step(&mut state, &mut rng);
            for _ in 1..self.thin {
                let s2 = kernel.step(&mut state, &mut rng);
                // Report the mean acceptance over the thinned block.
                st.accept_prob =
                    Some(st.accept_prob.unwrap_or(0.0) + s2.accept_prob.unwrap_or(0.0));
            }
            st.accept_prob = st.accept_prob.map(|a| a / self.thin as f64);
            st.log_density = state.logp;
            report(observer, self.n_warmup + i + 1, total, false, &st)?;
            draws.push(&state.x, st);
        }
        let adaptation = Adaptation {
            step_size: kernel.scale,
            metric_kind: self.metric,
            metric: covariance,
            n_metric_updates,
        };
        Ok((draws, adaptation))
    }
}
