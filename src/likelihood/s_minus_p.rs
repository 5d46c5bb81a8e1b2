//! The S-P time term of one station.
//!
//! ```text
//! r(x)   = (t_S − t_P)_obs − (T_S(x) − T_P(x))              (s)
//! ln L   = ln p(r),     σ² = σ_P² + σ_S² + σ_model²
//! ∇ ln L = (d ln p/dr) · (−(∇T_S(x) − ∇T_P(x)))              (1/km)
//! ```
//!
//! The S-P time needs no origin time: this is the single-station datum of
//! EQNeMix (which used a fixed σ = 0.1 s and a nearest-node lookup).

use super::{ResidualKernel, ResidualModel};
use eqnemix_traveltime::TravelTimeField;
use std::sync::Arc;

/// S-P term of one station.
#[derive(Clone)]
pub struct SMinusPTerm {
    /// Station code.
    pub station: String,
    p: Arc<dyn TravelTimeField>,
    s: Arc<dyn TravelTimeField>,
    /// Observed S-P time (s).
    pub observed_s: f64,
    /// Residual scale σ (s).
    pub sigma_s: f64,
    kernel: ResidualKernel,
}

impl std::fmt::Debug for SMinusPTerm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SMinusPTerm")
            .field("station", &self.station)
            .field("observed_s", &self.observed_s)
            .field("sigma_s", &self.sigma_s)
            .finish()
    }
}

impl SMinusPTerm {
    /// Term for an observed S-P time `observed_s` with scale `sigma_s` (s).
    pub fn new(
        station: String,
        p: Arc<dyn TravelTimeField>,
        s: Arc<dyn TravelTimeField>,
        observed_s: f64,
        sigma_s: f64,
        model: ResidualModel,
    ) -> Self {
        SMinusPTerm {
            station,
            p,
            s,
            observed_s,
            sigma_s,
            kernel: ResidualKernel::new(model, sigma_s),
        }
    }

    /// Predicted S-P time (s) at `x`, `None` outside a field's domain.
    pub fn predicted(&self, x: [f64; 3]) -> Option<f64> {
        Some(self.s.time(x).ok()? - self.p.time(x).ok()?)
    }

    /// Log likelihood at `x`; `-inf` outside a field's domain.
    pub fn log_likelihood(&self, x: [f64; 3]) -> f64 {
        match self.predicted(x) {
            Some(sp) => self.kernel.eval(self.observed_s - sp).0,
            None => f64::NEG_INFINITY,
        }
    }

    /// Log likelihood at `x`, its gradient (1/km) *added* to `grad`.
    #[inline]
    pub fn log_likelihood_and_gradient(&self, x: [f64; 3], grad: &mut [f64; 3]) -> f64 {
        let (Ok((tp, gp)), Ok((ts, gs))) =
            (self.p.time_and_gradient(x), self.s.time_and_gradient(x))
        else {
            return f64::NEG_INFINITY;
        };
        let (lp, dr) = self.kernel.eval(self.observed_s - (ts - tp));
        for i in 0..3 {
            grad[i] -= dr * (gs[i] - gp[i]);
        }
        lp
    }
}
