//! Parallel tempering (replica exchange) with random-walk Metropolis moves.
//!
//! `n_temps` replicas sample `p(x)^b_k` on a geometric ladder of inverse
//! temperatures `1 = b_0 > b_1 > ... > b_{K-1} = 1 / max_temp`. After every
//! Metropolis sweep, neighbouring replicas propose to swap states (even pairs
//! on even iterations, odd pairs on odd ones) with acceptance
//! `min(1, exp((b_k - b_{k+1}) (log p(x_{k+1}) - log p(x_k))))`. Hot replicas
//! roam between modes and pass their states down, so the cold chain (`b = 1`,
//! the only one returned) crosses modes a plain chain never leaves.
//!
//! Each replica's proposal is `N(0, s_k^2 diag(v_k))`: during warm-up `v_k`
//! is re-estimated from the replica's own draws at the end of each doubling
//! window and `s_k` is adapted (Robbins-Monro on `log s_k`) towards 23.4 %
//! acceptance; both are frozen after warm-up, so the kept draws come from a
//! fixed, valid kernel. `p(x)^b` must be normalisable for every `b` in the
//! ladder (true for densities with Gaussian or lighter tails, or bounded support).

// Indexed loops mirror the formulas; `!(x > 0.0)` deliberately rejects NaN.
#![allow(clippy::needless_range_loop, clippy::neg_cmp_op_on_partial_ord)]

use crate::{check_init, DrawStats, Draws, GradLogDensity, GradientFreeSampler, LogDensity, Sampler, SamplerError};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
use serde::{Deserialize, Serialize};

/// Parallel-tempering settings. Every field has a default.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TemperingConfig {
    /// Warm-up sweeps (adaptation), discarded. Default 2000.
    pub n_warmup: usize,
    /// Cold-chain draws kept. Default 5000.
    pub n_draws: usize,
    /// Number of replicas. Default 8.
    pub n_temps: usize,
    /// Temperature of the hottest replica (`1 / b_min`). Default 100.
    pub max_temp: f64,
    /// Initial proposal sd per coordinate of the cold replica (hotter
    /// replicas start wider by `sqrt(temperature)`). Default 1.
    pub init_scale: f64,
}

impl Default for TemperingConfig {
    fn default() -> Self {
        TemperingConfig {
            n_warmup: 2000,
            n_draws: 5000,
            n_temps: 8,
            max_temp: 100.0,
            init_scale: 1.0,
        }
    }
}

/// The record of one parallel-tempering run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TemperingRun {
    /// Cold-chain draws (post warm-up).
    pub draws: Draws,
    /// Inverse temperatures, cold first.
    pub betas: Vec<f64>,
    /// Swap acceptance rate between replica k and k+1 (post warm-up).
    pub swap_accept: Vec<f64>,
    /// Metropolis acceptance rate of each replica (post warm-up).
    pub move_accept: Vec<f64>,
}

impl TemperingConfig {
    fn validate(&self) -> Result<(), SamplerError> {
        let bad = |m: &str| Err(SamplerError::InvalidConfig(format!("tempering.{m}")));
        if self.n_temps < 2 {
            return bad("n_temps: need at least 2 replicas");
        }
        if !(self.max_temp > 1.0 && self.max_temp.is_finite()) {
            return bad("max_temp: must be finite and > 1");
        }
        if !(self.init_scale > 0.0 && self.init_scale.is_finite()) {
            return bad("init_scale: must be positive and finite");
        }
        if self.n_draws == 0 {
            return bad("n_draws: must be at least 1");
        }
        Ok(())
    }

    /// Run parallel tempering from `init` (every replica starts there).
    pub fn run(
        &self,
        density: &dyn LogDensity,
        init: &[f64],
        seed: u64,
    ) -> Result<TemperingRun, SamplerError> {
        self.validate()?;
        check_init(density, init)?;
        let d = init.len();
        let k_n = self.n_temps;
        let betas: Vec<f64> = (0..k_n)
            .map(|k| self.max_temp.powf(-(k as f64) / (k_n - 1) as f64))
            .collect();
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut x: Vec<f64> = init.repeat(k_n);
        let lp0 = density.log_density(init);
        let mut lp = vec![lp0; k_n];
        let mut log_s: Vec<f64> = betas
            .iter()
            .map(|b| (self.init_scale / b.sqrt()).ln())
            .collect();
        let mut var = vec![1.0f64; k_n * d];
        // Welford accumulators of each replica's warm-up draws in the current window.
        let mut w_n = vec![0usize; k_n];
        let mut w_mean = vec![0.0; k_n * d];
        let mut w_m2 = vec![0.0; k_n * d];
        // Covariance windows double from 100 sweeps and stop at 80 % of the
        // warm-up; the scale keeps adapting until the warm-up ends.
        let var_end = self.n_warmup * 4 / 5;
        let mut window_end = if var_end >= 100 { 100 } else { usize::MAX };
        let mut window_start = 0usize;
        let mut prop = vec![0.0; d];
        let mut moves = vec![0usize; k_n];
        let mut swaps = vec![0usize; k_n - 1];
        let mut swap_tries = vec![0usize; k_n - 1];
        let mut draws = Draws::new(d);
        draws.values.reserve(self.n_draws * d);
        let total = self.n_warmup + self.n_draws;
        for it in 0..total {
            let warm = it < self.n_warmup;
            let mut cold_acc = 0.0;
            for k in 0..k_n {
                let s = log_s[k].exp();
                let xk = &mut x[k * d..(k + 1) * d];
                for a in 0..d {
                    let z: f64 = StandardNormal.sample(&mut rng);
                    prop[a] = xk[a] + s * var[k * d + a].sqrt() * z;
                }
                let lpp = density.log_density(&prop);
                let log_alpha = if lpp.is_nan() {
                    f64::NEG_INFINITY
                } else {
                    betas[k] * (lpp - lp[k])
                };
                let accept = log_alpha >= 0.0 || rng.gen::<f64>().ln() < log_alpha;
                if accept {
                    xk.copy_from_slice(&prop);
                    lp[k] = lpp;
                    if !warm {
                        moves[k] += 1;
                    }
                }
                let alpha = log_alpha.min(0.0).exp();
                if k == 0 {
                    cold_acc = alpha;
                }
                if warm {
                    // Robbins-Monro on log s towards 23.4 % acceptance.
                    log_s[k] += (alpha - 0.234) / ((it - window_start + 1) as f64).powf(0.6);
                    w_n[k] += 1;
                    let n = w_n[k] as f64;
                    for a in 0..d {
                        let v = xk[a];
                        let delta = v - w_mean[k * d + a];
                        w_mean[k * d + a] += delta / n;
                        w_m2[k * d + a] += delta * (v - w_mean[k * d + a]);
                    }
                }
            }
            if warm && it + 1 == window_end {
                for k in 0..k_n {
                    if w_n[k] > 10 {
                        for a in 0..d {
                            let v = w_m2[k * d + a] / (w_n[k] - 1) as f64;
                            if v > 0.0 && v.is_finite() {
                                var[k * d + a] = v;
                            }
                        }
                        // Proposal sd now in units of the replica's own spread.
                        log_s[k] = (2.38 / (d as f64).sqrt()).ln();
                    }
                    w_n[k] = 0;
                }
                w_mean.iter_mut().for_each(|v| *v = 0.0);
                w_m2.iter_mut().for_each(|v| *v = 0.0);
                window_start = it + 1;
                window_end = if window_end >= var_end {
                    usize::MAX
                } else if 2 * window_end + 100 > var_end {
                    var_end
                } else {
                    2 * window_end
                };
            }
            // Replica exchange: even pairs on even sweeps, odd pairs on odd sweeps.
            let mut k = it % 2;
            while k + 1 < k_n {
                let log_alpha = (betas[k] - betas[k + 1]) * (lp[k + 1] - lp[k]);
                let ok = log_alpha >= 0.0 || rng.gen::<f64>().ln() < log_alpha;
                if !warm {
                    swap_tries[k] += 1;
                }
                if ok {
                    for a in 0..d {
                        x.swap(k * d + a, (k + 1) * d + a);
                    }
                    lp.swap(k, k + 1);
                    if !warm {
                        swaps[k] += 1;
                    }
                }
                k += 2;
            }
            if !warm {
                draws.push(
                    &x[..d],
                    DrawStats {
                        log_density: lp[0],
                        accept_prob: Some(cold_acc),
                        step_size: Some(log_s[0].exp()),
                        ..Default::default()
                    },
                );
            }
        }
        let nd = self.n_draws as f64;
        Ok(TemperingRun {
            draws,
            betas,
            swap_accept: swaps
                .iter()
                .zip(&swap_tries)
                .map(|(&s, &t)| s as f64 / t.max(1) as f64)
                .collect(),
            move_accept: moves.iter().map(|&m| m as f64 / nd).collect(),
        })
    }
}

impl Sampler for TemperingConfig {
    fn name(&self) -> &'static str {
        "tempering"
    }

    /// The cold chain's post-warm-up draws.
    fn sample(
        &self,
        density: &dyn GradLogDensity,
        init: &[f64],
        seed: u64,
    ) -> Result<Draws, SamplerError> {
        self.sample_log_density(density, init, seed)
    }
}

impl GradientFreeSampler for TemperingConfig {
    fn sample_log_density(&self, density: &dyn LogDensity, init: &[f64], seed: u64) -> Result<Draws, SamplerError> {
        Ok(self.run(density, init, seed)?.draws)
    }
}
