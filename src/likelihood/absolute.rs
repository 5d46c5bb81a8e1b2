//! Absolute P and S arrival times of a network, with the origin time either
//! marginalised analytically or sampled.
//!
//! # Model
//!
//! Arrival `i` (station, phase) is observed at `t_i` (s after the reference
//! time) with standard deviation `σ_i`; it is predicted at `t₀ + T_i(x)`.
//! Write `d_i(x) = t_i − T_i(x)` (the origin time each arrival implies) and
//! `w_i = 1/σ_i²`.
//!
//! # Marginalising the origin time (Gaussian residuals)
//!
//! With a flat prior on `t₀` (1 per second):
//!
//! ```text
//! ∫ Π_i N(d_i − t₀; 0, σ_i²) dt₀
//!   = (2π)^{−(n−1)/2} (Π_i σ_i⁻¹) W^{−1/2} exp(−½ Q(x)),
//! W = Σ w_i,   d̄(x) = Σ w_i d_i / W,   Q(x) = Σ w_i (d_i − d̄)²
//! ```
//!
//! obtained by completing the square in `t₀`: `Σ w_i (d_i − t₀)² =
//! Q + W (t₀ − d̄)²`, and the Gaussian integral over `t₀` gives
//! `√(2π/W)`. So the maximum-likelihood origin time is the weighted mean
//! `d̄(x)` (variance `1/W`) and the marginal depends on `x` only through the
//! weighted scatter `Q` of the implied origin times (as in NonLinLoc). The
//! gradient simplifies because `Σ w_i (d_i − d̄) = 0` kills the `∇d̄` term:
//!
//! ```text
//! ∇ ln L = −½ ∇Q = −Σ w_i (d_i − d̄) ∇d_i = Σ w_i (d_i − d̄) ∇T_i(x)
//! ```
//!
//! One pass accumulates `W, Σ w d, Σ w d², Σ w ∇T, Σ w d ∇T` (no buffer):
//! `Q = Σ w d² − (Σ w d)²/W` and `∇ ln L = Σ w d ∇T − d̄ Σ w ∇T`. Observed
//! times are stored relative to their weighted mean so `d_i` are travel-time
//! sized and the cancellation in `Q` is harmless. With a single arrival `Q ≡ 0`:
//! one absolute time says nothing about `x`.
//!
//! # Sampling the origin time
//!
//! `ln L = Σ_i ln p(t_i − t₀ − T_i(x))` with any [`ResidualModel`];
//! `∂/∂x = Σ (d ln p/dr) (−∇T_i)`, `∂/∂t₀ = −Σ d ln p/dr`.
#![allow(clippy::needless_range_loop)] // loops over the 3 coordinates read best indexed

use super::{ResidualKernel, ResidualModel};
use eqnemix_traveltime::{Phase, TravelTimeField};
use std::sync::Arc;

/// One observed arrival.
#[derive(Clone)]
pub struct Arrival {
    /// Station code.
    pub station: String,
    /// Phase.
    pub phase: Phase,
    pub(crate) field: Arc<dyn TravelTimeField>,
    /// Observed time (s after the picks' reference time).
    pub time_s: f64,
    /// Residual scale (s), pick and model error combined.
    pub sigma_s: f64,
    /// The pick's own time error (s), without the model error (what a
    /// `.hyp` PHASE line and a QuakeML `pick` report); `sigma_s` unless
    /// set by [`Arrival::with_pick_sigma`].
    pub pick_sigma_s: f64,
}

impl Arrival {
    /// An arrival at `time_s` with scale `sigma_s`, predicted by `field`.
    pub fn new(
        station: String,
        phase: Phase,
        field: Arc<dyn TravelTimeField>,
        time_s: f64,
        sigma_s: f64,
    ) -> Self {
        Arrival {
            station,
            phase,
            field,
            time_s,
            sigma_s,
            pick_sigma_s: sigma_s,
        }
    }

    /// The same arrival with the pick's own time error `pick_sigma_s` (s).
    pub fn with_pick_sigma(mut self, pick_sigma_s: f64) -> Self {
        self.pick_sigma_s = pick_sigma_s;
        self
    }
}

/// Absolute-times term over all arrivals of an event.
#[derive(Clone)]
pub struct AbsoluteTimesTerm {
    arrivals: Vec<Arrival>,
    /// `t_i − shift` for each arrival.
    centred: Vec<f64>,
    weights: Vec<f64>,
    kernels: Vec<ResidualKernel>,
    shift_s: f64,
    sum_w: f64,
    /// `−(n−1)/2 ln 2π − Σ ln σ_i − ½ ln W`.
    log_norm_marginal: f64,
    /// Origin time by the weighted median instead of the weighted mean
    /// ([`Self::with_median_origin`]).
    median_origin: bool,
}

/// Sums of one pass over the arrivals (see the module doc).
struct Sums {
    w: f64,
    wd: f64,
    wdd: f64,
    wg: [f64; 3],
    wdg: [f64; 3],
}

impl std::fmt::Debug for AbsoluteTimesTerm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let a: Vec<_> = self
            .arrivals
            .iter()
            .map(|a| (&a.station, a.phase, a.time_s, a.sigma_s))
            .collect();
        f.debug_struct("AbsoluteTimesTerm")
            .field("arrivals", &a)
            .finish()
    }
}

impl AbsoluteTimesTerm {
    /// Term over `arrivals` (at least one); `model` is the residual
    /// distribution used when the origin time is sampled.
    pub fn new(arrivals: Vec<Arrival>, model: ResidualModel) -> Self {
        let weights: Vec<f64> = arrivals
            .iter()
            .map(|a| 1.0 / (a.sigma_s * a.sigma_s))
            .collect();
        let sum_w: f64 = weights.iter().sum();
        let shift_s = arrivals
            .iter()
            .zip(&weights)
            .map(|(a, w)| w * a.time_s)
            .sum::<f64>()
            / sum_w;
        let centred = arrivals.iter().map(|a| a.time_s - shift_s).collect();
        let kernels = arrivals
            .iter()
            .map(|a| ResidualKernel::new(model, a.sigma_s))
            .collect();
        let n = arrivals.len() as f64;
        let log_norm_marginal = -0.5 * (n - 1.0) * (2.0 * std::f64::consts::PI).ln()
            - arrivals.iter().map(|a| a.sigma_s.ln()).sum::<f64>()
            - 0.5 * sum_w.ln();
        AbsoluteTimesTerm {
            arrivals,
            centred,
            weights,
            kernels,
            shift_s,
            sum_w,
            log_norm_marginal,
            median_origin: false,
        }
    }

    /// With `on`, [`Self::optimal_origin_time`], [`Self::chi_square`] and
    /// [`Self::rms_residual`] use the origin time that is the weighted
    /// median (weights `1/σ_i²`) of `t_i − T_i(x)` instead of the weighted
    /// mean: one outlier pick moves it by at most one neighbouring residual,
    /// not by its own error over the number of picks (the estimator the
    /// robust EDT likelihood reports with). The likelihood itself is
    /// unchanged.
    pub fn with_median_origin(mut self, on: bool) -> Self {
        self.median_origin = on;
        self
    }

    /// `t_i − T_i(x) − shift` for every arrival, `None` outside a domain.
    fn residuals_at(&self, x: [f64; 3]) -> Option<Vec<f64>> {
        self.arrivals
            .iter()
            .zip(&self.centred)
            .map(|(a, &t)| a.field.time(x).ok().map(|tt| t - tt))
            .collect()
    }

    /// Weighted median (weights `1/σ_i²`) of the centred residuals at `x`:
    /// the smallest value whose cumulative weight reaches half the total,
    /// the midpoint when a value's cumulative weight is exactly half.
    fn median_residual(&self, x: [f64; 3]) -> Option<f64> {
        let d = self.residuals_at(x)?;
        let mut dw: Vec<(f64, f64)> = d.into_iter().zip(self.weights.iter().copied()).collect();
        dw.sort_by(|a, b| a.0.total_cmp(&b.0));
        let half = 0.5 * self.sum_w;
        let mut acc = 0.0;
        for (k, &(v, w)) in dw.iter().enumerate() {
            acc += w;
            if acc >= half {
                if (acc - half).abs() <= 1e-12 * self.sum_w && k + 1 < dw.len() {
                    return Some(0.5 * (v + dw[k + 1].0));
                }
                return Some(v);
            }
        }
        dw.last().map(|v| v.0)
    }

    /// The arrivals.
    pub fn arrivals(&self) -> &[Arrival] {
        &self.arrivals
    }

    fn sums(&self, x: [f64; 3], with_grad: bool) -> Option<Sums> {
        let mut s = Sums {
            w: 0.0,
            wd: 0.0,
            wdd: 0.0,
            wg: [0.0; 3],
            wdg: [0.0; 3],
        };
        for ((a, &t), &w) in self.arrivals.iter().zip(&self.centred).zip(&self.weights) {
            let (tt, g) = if with_grad {
                a.field.time_and_gradient(x).ok()?
            } else {
                (a.field.time(x).ok()?, [0.0; 3])
            };
            let d = t - tt;
            s.w += w;
            s.wd += w * d;
            s.wdd += w * d * d;
            for i in 0..3 {
                s.wg[i] += w * g[i];
                s.wdg[i] += w * d * g[i];
            }
        }
        Some(s)
    }

    /// Marginal log likelihood (origin time integrated out, Gaussian) at `x`.
    pub fn log_marginal(&self, x: [f64; 3]) -> f64 {
        match self.sums(x, false) {
            Some(s) => self.log_norm_marginal - 0.5 * (s.wdd - s.wd * s.wd / s.w).max(0.0),
            None => f64::NEG_INFINITY,
        }
    }

    /// Marginal log likelihood at `x`, its gradient (1/km) *added* to `grad`.
    pub fn log_marginal_and_gradient(&self, x: [f64; 3], grad: &mut [f64; 3]) -> f64 {
        let Some(s) = self.sums(x, true) else {
            return f64::NEG_INFINITY;
        };
        let dbar = s.wd / s.w;
        for i in 0..3 {
            grad[i] += s.wdg[i] - dbar * s.wg[i];
        }
        self.log_norm_marginal - 0.5 * (s.wdd - s.wd * s.wd / s.w).max(0.0)
    }

    /// Maximum-likelihood origin time at `x` (s after the reference time)
    /// and its standard deviation `1/√W` (s): the weighted mean of
    /// `t_i − T_i(x)`. `None` outside a field's domain.
    /// With [`Self::with_median_origin`], the weighted median instead, with
    /// standard deviation `√(π/2)/√W` (the median's, for Gaussian residuals).
    pub fn optimal_origin_time(&self, x: [f64; 3]) -> Option<(f64, f64)> {
        if self.median_origin {
            let m = self.median_residual(x)?;
            return Some((
                self.shift_s + m,
                (0.5 * std::f64::consts::PI / self.sum_w).sqrt(),
            ));
        }
        let s = self.sums(x, false)?;
        Some((self.shift_s + s.wd / s.w, 1.0 / self.sum_w.sqrt()))
    }

    /// The picks' chi-square at `x`: `Σ (r_i / σ_i)²` with the residuals
    /// `r_i` taken at the optimal origin time (which minimises it).
    /// With [`Self::with_median_origin`], at the median origin time.
    pub fn chi_square(&self, x: [f64; 3]) -> Option<f64> {
        if self.median_origin {
            let m = self.median_residual(x)?;
            let d = self.residuals_at(x)?;
            return Some(
                d.iter()
                    .zip(&self.weights)
                    .map(|(d, w)| w * (d - m) * (d - m))
                    .sum(),
            );
        }
        let s = self.sums(x, false)?;
        Some((s.wdd - s.wd * s.wd / s.w).max(0.0))
    }

    /// Root-mean-square residual (s) at `x` with the optimal origin time.
    pub fn rms_residual(&self, x: [f64; 3]) -> Option<f64> {
        let (t0, _) = self.optimal_origin_time(x)?;
        let mut ss = 0.0;
        for a in &self.arrivals {
            let r = a.time_s - t0 - a.field.time(x).ok()?;
            ss += r * r;
        }
        Some((ss / self.arrivals.len() as f64).sqrt())
    }

    /// Log likelihood at `x` for origin time `t0_s` (s after the reference).
    pub fn log_likelihood_with_origin(&self, x: [f64; 3], t0_s: f64) -> f64 {
        let t0c = t0_s - self.shift_s;
        let mut lp = 0.0;
        for ((a, &t), k) in self.arrivals.iter().zip(&self.centred).zip(&self.kernels) {
            match a.field.time(x) {
                Ok(tt) => lp += k.eval(t - t0c - tt).0,
                Err(_) => return f64::NEG_INFINITY,
            }
        }
        lp
    }

    /// As [`Self::log_likelihood_with_origin`], adding the gradient to
    /// `grad` (1/km) and `dt0` (1/s).
    pub fn log_likelihood_with_origin_and_gradient(
        &self,
        x: [f64; 3],
        t0_s: f64,
        grad: &mut [f64; 3],
        dt0: &mut f64,
    ) -> f64 {
        let t0c = t0_s - self.shift_s;
        let mut lp = 0.0;
        for ((a, &t), k) in self.arrivals.iter().zip(&self.centred).zip(&self.kernels) {
            let Ok((tt, g)) = a.field.time_and_gradient(x) else {
                return f64::NEG_INFINITY;
            };
            let (l, dr) = k.eval(t - t0c - tt);
            lp += l;
            *dt0 -= dr;
            for i in 0..3 {
                grad[i] -= dr * g[i];
            }
        }
        lp
    }
}
