//! Warm-up adaptation, wrapped around the kernels: step size by dual
//! averaging ([`DualAveraging`]), metric (inverse mass matrix or proposal
//! covariance) by windowed variance estimation ([`CovarianceEstimator`]), on
//! Stan's warm-up schedule ([`WindowSchedule`]).
//!
//! Kernels never adapt themselves; the sampler's warm-up loop feeds each
//! draw to a [`WarmupAdapter`] and applies what it returns. Everything
//! adapted is reported in the draw statistics (`step_size`).

pub mod dual_averaging;
pub mod mass_matrix;
pub mod windows;

pub use dual_averaging::{DualAveraging, DualAveragingConfig};
pub use mass_matrix::{CovarianceEstimator, MetricKind};
pub use windows::{WindowConfig, WindowSchedule};

use serde::{Deserialize, Serialize};

/// What warm-up settled on, returned by the samplers' `sample_adapted`
/// methods so adaptation is never silent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Adaptation {
    /// Final leapfrog step size (HMC/NUTS) or proposal scale `lambda`
    /// (Metropolis).
    pub step_size: f64,
    /// Shape of `metric`.
    pub metric_kind: MetricKind,
    /// The adapted metric: `d` variances (diag) or a row-major `d*d`
    /// covariance (dense). For HMC/NUTS the inverse mass matrix, for
    /// Metropolis the proposal covariance `C` (proposal `lambda² C`).
    pub metric: Vec<f64>,
    /// Number of metric updates made during warm-up.
    pub n_metric_updates: usize,
}

/// What the warm-up loop must do after an adaptation update.
#[derive(Debug, Clone, PartialEq)]
pub enum AdaptAction {
    /// Use this step size for the next iteration.
    StepSize(f64),
    /// A slow window closed: install this metric (row-major `d*d` when dense,
    /// `d` variances when diagonal), then re-initialise the step size and call
    /// [`WarmupAdapter::restart_step_size`].
    Metric(Vec<f64>),
}

/// Step-size and metric adaptation for one chain's warm-up.
#[derive(Debug, Clone)]
pub struct WarmupAdapter {
    /// Step-size adaptation.
    pub dual: DualAveraging,
    /// Metric estimator (restarted at each slow window).
    pub estimator: CovarianceEstimator,
    /// The schedule.
    pub schedule: WindowSchedule,
    /// Keep accumulating the metric estimate across slow windows after the
    /// first one (Haario et al. 2001 style, for random-walk samplers whose
    /// windows hold few effective draws). Stan-style (false) restarts the
    /// estimate at every window.
    pub cumulative: bool,
    adapt_metric: bool,
    windows_closed: usize,
}

impl WarmupAdapter {
    /// An adapter for `n_warmup` iterations in `dim` dimensions. With
    /// `adapt_metric = false` only the step size adapts (all warm-up).
    pub fn new(
        dim: usize,
        n_warmup: usize,
        kind: MetricKind,
        adapt_metric: bool,
        windows: &WindowConfig,
        dual: DualAveragingConfig,
        initial_step: f64,
    ) -> Self {
        WarmupAdapter {
            dual: DualAveraging::new(dual, initial_step),
            estimator: CovarianceEstimator::new(dim, kind),
            schedule: WindowSchedule::new(n_warmup, windows),
            cumulative: false,
            adapt_metric,
            windows_closed: 0,
        }
    }

    /// Feed warm-up iteration `iter` (0-based) with its acceptance statistic
    /// and the resulting position.
    pub fn update(&mut self, iter: usize, accept_stat: f64, q: &[f64]) -> AdaptAction {
        let eps = self.dual.update(accept_stat);
        if self.adapt_metric && self.schedule.in_slow_window(iter) {
            self.estimator.add(q);
            if self.schedule.is_window_end(iter) {
                let m = self.estimator.regularised();
                // The first window still holds the transient: always drop it.
                if !self.cumulative || self.windows_closed == 0 {
                    self.estimator.reset();
                }
                self.windows_closed += 1;
                return AdaptAction::Metric(m);
            }
        }
        if iter + 1 == self.schedule.n_warmup {
            return AdaptAction::StepSize(self.dual.final_step_size());
        }
        AdaptAction::StepSize(eps)
    }

    /// Restart dual averaging around a new initial step size (after a metric
    /// change).
    pub fn restart_step_size(&mut self, eps0: f64) {
        self.dual.restart(eps0);
    }
}
