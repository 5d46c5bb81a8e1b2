//! Dual-averaging step-size adaptation (Nesterov 2009, as adapted to MCMC by
//! Hoffman & Gelman 2014, *The No-U-Turn Sampler*, JMLR 15, Algorithm 5),
//! with Stan's defaults.

use serde::{Deserialize, Serialize};

/// Dual-averaging settings (Hoffman & Gelman 2014, section 3.2).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DualAveragingConfig {
    /// Target mean acceptance statistic `delta` (0.8 for NUTS/HMC, 0.234
    /// for random-walk Metropolis).
    pub target_accept: f64,
    /// Shrinkage strength `gamma` (0.05).
    pub gamma: f64,
    /// Iteration offset `t0` damping early iterations (10).
    pub t0: f64,
    /// Decay exponent `kappa` of the averaging weights (0.75).
    pub kappa: f64,
    /// `mu = ln(mu_factor * eps0)`: the point the log step size is shrunk
    /// towards (10 for HMC: favour larger steps).
    pub mu_factor: f64,
}

impl Default for DualAveragingConfig {
    fn default() -> Self {
        DualAveragingConfig {
            target_accept: 0.8,
            gamma: 0.05,
            t0: 10.0,
            kappa: 0.75,
            mu_factor: 10.0,
        }
    }
}

/// The dual-averaging state for one chain.
#[derive(Debug, Clone)]
pub struct DualAveraging {
    cfg: DualAveragingConfig,
    mu: f64,
    counter: f64,
    s_bar: f64,
    x_bar: f64,
    x: f64,
}

impl DualAveraging {
    /// Start from step size `eps0`.
    pub fn new(cfg: DualAveragingConfig, eps0: f64) -> Self {
        let mut d = DualAveraging {
            cfg,
            mu: 0.0,
            counter: 0.0,
            s_bar: 0.0,
            x_bar: 0.0,
            x: 0.0,
        };
        d.restart(eps0);
        d
    }

    /// Forget the history and restart around `eps0`.
    pub fn restart(&mut self, eps0: f64) {
        self.mu = (self.cfg.mu_factor * eps0).ln();
        self.counter = 0.0;
        self.s_bar = 0.0;
        self.x_bar = 0.0;
        self.x = eps0.ln();
    }

    /// Feed one acceptance statistic; returns the step size for the next
    /// iteration.
    pub fn update(&mut self, accept_stat: f64) -> f64 {
        let a = if accept_stat.is_finite() {
            accept_stat.clamp(0.0, 1.0)
        } else {
            0.0
        };
        self.counter += 1.0;
        let eta = 1.0 / (self.counter + self.cfg.t0);
        self.s_bar = (1.0 - eta) * self.s_bar + eta * (self.cfg.target_accept - a);
        self.x = self.mu - self.s_bar * self.counter.sqrt() / self.cfg.gamma;
        let w = self.counter.powf(-self.cfg.kappa);
        self.x_bar = (1.0 - w) * self.x_bar + w * self.x;
        self.x.exp()
    }

    /// The averaged step size `exp(x_bar)`, used after warm-up.
    pub fn final_step_size(&self) -> f64 {
        if self.counter == 0.0 {
            self.x.exp()
        } else {
            self.x_bar.exp()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A toy "sampler" whose acceptance is exp(-eps): dual averaging must
    /// find eps = -ln(delta).
    #[test]
    fn converges_to_target_on_a_known_curve() {
        let cfg = DualAveragingConfig::default();
        let mut da = DualAveraging::new(cfg, 1.0);
        let mut eps: f64 = 1.0;
        for _ in 0..5000 {
            eps = da.update((-eps).exp());
        }
        let want = -(0.8f64).ln();
        assert!(
            (da.final_step_size() - want).abs() < 0.01 * want,
            "{} vs {want}",
            da.final_step_size()
        );
        assert!((eps - want).abs() < 0.05 * want);
    }
}
