//! The No-U-Turn Sampler with multinomial sampling of the trajectory, the
//! generalised (momentum-sum) no-U-turn criterion with the extra checks
//! across sub-trees, and Stan-style warm-up (dual-averaged step size,
//! diagonal or dense metric on 75/25/50 windows).
//!
//! References: Hoffman & Gelman (2014), *The No-U-Turn Sampler*, JMLR 15;
//! Betancourt (2017), *A conceptual introduction to Hamiltonian Monte
//! Carlo*, arXiv:1701.02434 (multinomial sampling, appendix A); the Stan
//! Reference Manual (tree building, divergence threshold 1000).
//!
//! # Running NUTS on your own density
//!
//! ```
//! use eqnemix_samplers::{GradLogDensity, LogDensity, Sampler, run_chains};
//! use eqnemix_samplers::nuts::NutsConfig;
//! use eqnemix_samplers::diagnostics::Summary;
//!
//! /// y ~ N(mu, 1) observed at y = 1.3 with a N(0, 2^2) prior on mu.
//! struct Model;
//! impl LogDensity for Model {
//!     fn dim(&self) -> usize { 1 }
//!     fn log_density(&self, x: &[f64]) -> f64 {
//!         -0.5 * (1.3 - x[0]).powi(2) - 0.5 * (x[0] / 2.0).powi(2)
//!     }
//! }
//! impl GradLogDensity for Model {
//!     fn log_density_and_gradient(&self, x: &[f64], g: &mut [f64]) -> f64 {
//!         g[0] = (1.3 - x[0]) - x[0] / 4.0;
//!         self.log_density(x)
//!     }
//! }
//!
//! let nuts = NutsConfig { n_warmup: 300, n_draws: 500, ..Default::default() };
//! let chains = run_chains(&nuts, &Model, &[vec![0.0], vec![1.0]], 42).unwrap();
//! let summary = Summary::from_chains(&chains, &["mu"]).unwrap();
//! println!("{summary}");
//! // Posterior mean 1.3 * 4/5 = 1.04, sd sqrt(4/5) = 0.894.
//! assert!((summary.rows[0].mean - 1.04).abs() < 0.2);
//! assert!(summary.rows[0].r_hat < 1.05);
//! assert_eq!(summary.n_divergent, 0);
//! ```
// Index loops mirror the formulas; negated comparisons deliberately reject NaN.
#![allow(clippy::needless_range_loop, clippy::neg_cmp_op_on_partial_ord)]

use crate::adapt::{Adaptation, MetricKind, WindowConfig};
use crate::hmc::{
    run_hamiltonian, Hamiltonian, HamiltonianKernel, Metric, PhasePoint,
};
use crate::{DrawStats, Draws, GradLogDensity, SamplerError};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

/// NUTS settings (serde; every field has a default).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct NutsConfig {
    /// Warm-up (adaptation) iterations, discarded (1000).
    pub n_warmup: usize,
    /// Draws kept after warm-up (1000).
    pub n_draws: usize,
    /// Target mean acceptance statistic for dual averaging (0.8).
    pub target_accept: f64,
    /// Maximum tree depth: at most `2^max_tree_depth - 1` leapfrog steps per
    /// draw (10).
    pub max_tree_depth: u32,
    /// Metric shape: `diag` or `dense` (`diag`).
    pub metric: MetricKind,
    /// Adapt the metric during warm-up (true); if false, the unit metric.
    pub adapt_metric: bool,
    /// Starting point of the step-size heuristic (1.0).
    pub init_step_size: f64,
    /// Energy error above which a transition is divergent (1000, as Stan).
    pub max_energy_error: f64,
    /// Warm-up windows (Stan's 75/25/50).
    pub windows: WindowConfig,
}

impl Default for NutsConfig {
    fn default() -> Self {
        NutsConfig {
            n_warmup: 1000,
            n_draws: 1000,
            target_accept: 0.8,
            max_tree_depth: 10,
            metric: MetricKind::Diag,
            adapt_metric: true,
            init_step_size: 1.0,
            max_energy_error: 1000.0,
            windows: WindowConfig::default(),
        }
    }
}

/// The NUTS transition kernel.
pub struct NutsKernel<'a> {
    /// Density and metric.
    pub ham: Hamiltonian<'a>,
    /// Leapfrog step size.
    pub step_size: f64,
    /// Maximum number of trajectory doublings.
    pub max_tree_depth: u32,
    /// Divergence threshold on the energy error.
    pub max_energy_error: f64,
}

/// Scratch of one tree level (reused, never reallocated).
#[derive(Debug, Clone)]
struct Level {
    propose_final: PhasePoint,
    rho_init: Vec<f64>,
    rho_final: Vec<f64>,
    p_init_end: Vec<f64>,
    v_init_end: Vec<f64>,
    p_final_beg: Vec<f64>,
    v_final_beg: Vec<f64>,
    tmp: Vec<f64>,
}

impl Level {
    fn new(d: usize) -> Self {
        Level {
            propose_final: PhasePoint::new(d),
            rho_init: vec![0.0; d],
            rho_final: vec![0.0; d],
            p_init_end: vec![0.0; d],
            v_init_end: vec![0.0; d],
            p_final_beg: vec![0.0; d],
            v_final_beg: vec![0.0; d],
            tmp: vec![0.0; d],
        }
    }
}

/// State of one NUTS chain: the current point and all tree buffers.
#[derive(Debug, Clone)]
pub struct NutsState {
    /// Current point (the last draw).
    pub current: PhasePoint,
    left: PhasePoint,
    right: PhasePoint,
    sample: PhasePoint,
    propose: PhasePoint,
    rho: Vec<f64>,
    rho_new: Vec<f64>,
    p_new_beg: Vec<f64>,
    v_new_beg: Vec<f64>,
    p_new_end: Vec<f64>,
    v_new_end: Vec<f64>,
    p_old_near: Vec<f64>,
    v_old_near: Vec<f64>,
    tmp: Vec<f64>,
    levels: Vec<Level>,
}

/// Where a sub-tree writes its results (Stan's out-parameters).
struct Out<'b> {
    propose: &'b mut PhasePoint,
    v_beg: &'b mut [f64],
    v_end: &'b mut [f64],
    rho: &'b mut [f64],
    p_beg: &'b mut [f64],
    p_end: &'b mut [f64],
    log_sum_weight: &'b mut f64,
}

/// Running totals of one transition.
struct Ctx {
    h0: f64,
    n_leapfrog: u32,
    sum_metro_prob: f64,
    divergent: bool,
}

#[inline]
fn log_add_exp(a: f64, b: f64) -> f64 {
    if a == f64::NEG_INFINITY {
        return b;
    }
    if b == f64::NEG_INFINITY {
        return a;
    }
    let m = a.max(b);
    m + ((a - m).exp() + (b - m).exp()).ln()
}

/// Generalised no-U-turn criterion: the momentum sum `rho` still points
/// forward from both ends (`v_minus . rho > 0` and `v_plus . rho > 0`).
#[inline]
fn no_u_turn(v_minus: &[f64], v_plus: &[f64], rho: &[f64]) -> bool {
    let a: f64 = v_plus.iter().zip(rho).map(|(x, y)| x * y).sum();
    let b: f64 = v_minus.iter().zip(rho).map(|(x, y)| x * y).sum();
    a > 0.0 && b > 0.0
}

#[inline]
fn add_into(out: &mut [f64], a: &[f64], b: &[f64]) {
    for i in 0..out.len() {
        out[i] = a[i] + b[i];
    }
}

impl<'a> NutsKernel<'a> {
    /// Build a sub-tree of `2^depth` leapfrog steps from the edge `z`
    /// (updated in place) with signed step `eps`. Returns `false` if the
    /// sub-tree diverged or made a U-turn (then it must be discarded).
    #[allow(clippy::too_many_arguments)]
    fn build_tree(
        &self,
        depth: usize,
        z: &mut PhasePoint,
        eps: f64,
        levels: &mut [Level],
        out: Out<'_>,
        ctx: &mut Ctx,
        rng: &mut ChaCha8Rng,
    ) -> bool {
        if depth == 0 {
            self.ham.leapfrog(z, eps);
            ctx.n_leapfrog += 1;
            let h = self.ham.energy(z);
            if h - ctx.h0 > self.max_energy_error {
                ctx.divergent = true;
            }
            let dh = ctx.h0 - h;
            *out.log_sum_weight = log_add_exp(*out.log_sum_weight, dh);
            ctx.sum_metro_prob += if dh > 0.0 { 1.0 } else { dh.exp() };
            out.propose.copy_from(z);
            out.v_beg.copy_from_slice(&z.v);
            out.v_end.copy_from_slice(&z.v);
            out.p_beg.copy_from_slice(&z.p);
            out.p_end.copy_from_slice(&z.p);
            for (r, p) in out.rho.iter_mut().zip(&z.p) {
                *r += p;
            }
            return !ctx.divergent;
        }
        let (lower, rest) = levels.split_at_mut(depth);
        let lv = &mut rest[0];
        // First half.
        lv.rho_init.iter_mut().for_each(|v| *v = 0.0);
        let mut lsw_init = f64::NEG_INFINITY;
        let ok = self.build_tree(
            depth - 1,
            z,
            eps,
            lower,
            Out {
                propose: &mut *out.propose,
                v_beg: &mut *out.v_beg,
                v_end: &mut lv.v_init_end,
                rho: &mut lv.rho_init,
                p_beg: &mut *out.p_beg,
                p_end: &mut lv.p_init_end,
                log_sum_weight: &mut lsw_init,
            },
            ctx,
            rng,
        );
        if !ok {
            return false;
        }
        // Second half.
        lv.rho_final.iter_mut().for_each(|v| *v = 0.0);
        let mut lsw_final = f64::NEG_INFINITY;
        let ok = self.build_tree(
            depth - 1,
            z,
            eps,
            lower,
            Out {
                propose: &mut lv.propose_final,
                v_beg: &mut lv.v_final_beg,
                v_end: &mut *out.v_end,
                rho: &mut lv.rho_final,
                p_beg: &mut lv.p_final_beg,
                p_end: &mut *out.p_end,
                log_sum_weight: &mut lsw_final,
            },
            ctx,
            rng,
        );
        if !ok {
            return false;
        }
        // Multinomial choice between the halves (uniform progressive sampling).
        let lsw_sub = log_add_exp(lsw_init, lsw_final);
        *out.log_sum_weight = log_add_exp(*out.log_sum_weight, lsw_sub);
        if rng.gen::<f64>() < (lsw_final - lsw_sub).exp() {
            out.propose.copy_from(&lv.propose_final);
        }
        // U-turn checks: the whole sub-tree, and each half extended by the
        // neighbouring point of the other half.
        add_into(&mut lv.tmp, &lv.rho_init, &lv.rho_final);
        for (r, t) in out.rho.iter_mut().zip(&lv.tmp) {
            *r += t;
        }
        let mut persist = no_u_turn(out.v_beg, out.v_end, &lv.tmp);
        add_into(&mut lv.tmp, &lv.rho_init, &lv.p_final_beg);
        persist &= no_u_turn(out.v_beg, &lv.v_final_beg, &lv.tmp);
        add_into(&mut lv.tmp, &lv.rho_final, &lv.p_init_end);
        persist &= no_u_turn(&lv.v_init_end, out.v_end, &lv.tmp);
        persist
    }
}

impl<'a> HamiltonianKernel<'a> for NutsKernel<'a> {
    type State = NutsState;
    fn hamiltonian(&self) -> &Hamiltonian<'a> {
        &self.ham
    }
    fn set_metric(&mut self, metric: Metric) {
        self.ham.metric = metric;
    }
    fn set_step_size(&mut self, eps: f64) {
        self.step_size = eps;
    }
    fn current<'s>(&self, state: &'s NutsState) -> &'s PhasePoint {
        &state.current
    }
    fn init(&self, x0: &[f64]) -> NutsState {
        let d = x0.len();
        let current = self.ham.point_at(x0);
        NutsState {
            left: current.clone(),
            right: current.clone(),
            sample: current.clone(),
            propose: current.clone(),
            current,
            rho: vec![0.0; d],
            rho_new: vec![0.0; d],
            p_new_beg: vec![0.0; d],
            v_new_beg: vec![0.0; d],
            p_new_end: vec![0.0; d],
            v_new_end: vec![0.0; d],
            p_old_near: vec![0.0; d],
            v_old_near: vec![0.0; d],
            tmp: vec![0.0; d],
            levels: (0..self.max_tree_depth.max(1) as usize)
                .map(|_| Level::new(d))
                .collect(),
        }
    }

    fn step(&self, s: &mut NutsState, rng: &mut ChaCha8Rng) -> DrawStats {
        self.ham.refresh_momentum(&mut s.current, rng);
        let h0 = self.ham.energy(&s.current);
        s.left.copy_from(&s.current);
        s.right.copy_from(&s.current);
        s.sample.copy_from(&s.current);
        s.rho.copy_from_slice(&s.current.p);
        let mut ctx = Ctx {
            h0,
            n_leapfrog: 0,
            sum_metro_prob: 0.0,
            divergent: false,
        };
        // The initial point has weight exp(H0 - H0) = 1.
        let mut log_sum_weight = 0.0;
        let mut depth = 0u32;
        while depth < self.max_tree_depth {
            let forward = rng.gen::<bool>();
            let (edge, far) = if forward {
                (&mut s.right, &s.left)
            } else {
                (&mut s.left, &s.right)
            };
            s.p_old_near.copy_from_slice(&edge.p);
            s.v_old_near.copy_from_slice(&edge.v);
            s.rho_new.iter_mut().for_each(|v| *v = 0.0);
            let mut lsw_sub = f64::NEG_INFINITY;
            let eps = if forward {
                self.step_size
            } else {
                -self.step_size
            };
            let valid = self.build_tree(
                depth as usize,
                edge,
                eps,
                &mut s.levels,
                Out {
                    propose: &mut s.propose,
                    v_beg: &mut s.v_new_beg,
                    v_end: &mut s.v_new_end,
                    rho: &mut s.rho_new,
                    p_beg: &mut s.p_new_beg,
                    p_end: &mut s.p_new_end,
                    log_sum_weight: &mut lsw_sub,
                },
                &mut ctx,
                rng,
            );
            if !valid {
                break;
            }
            depth += 1;
            // Biased progressive sampling: favour the new sub-tree.
            if lsw_sub > log_sum_weight || rng.gen::<f64>() < (lsw_sub - log_sum_weight).exp() {
                s.sample.copy_from(&s.propose);
            }
            log_sum_weight = log_add_exp(log_sum_weight, lsw_sub);
            // Checks across the whole trajectory and across the join.
            add_into(&mut s.tmp, &s.rho, &s.rho_new);
            let mut persist = no_u_turn(&far.v, &s.v_new_end, &s.tmp);
            add_into(&mut s.tmp, &s.rho, &s.p_new_beg);
            persist &= no_u_turn(&far.v, &s.v_new_beg, &s.tmp);
            add_into(&mut s.tmp, &s.rho_new, &s.p_old_near);
            persist &= no_u_turn(&s.v_old_near, &s.v_new_end, &s.tmp);
            for (r, n) in s.rho.iter_mut().zip(&s.rho_new) {
                *r += n;
            }
            if !persist {
                break;
            }
        }
        s.current.copy_from(&s.sample);
        let accept = if ctx.n_leapfrog > 0 {
            ctx.sum_metro_prob / ctx.n_leapfrog as f64
        } else {
            0.0
        };
        DrawStats {
            log_density: s.current.logp,
            accept_prob: Some(accept),
            step_size: Some(self.step_size),
            tree_depth: Some(depth),
            n_grad_evals: Some(ctx.n_leapfrog),
            divergent: ctx.divergent,
            energy: Some(self.ham.energy(&s.current)),
            warmup: false,
        }
    }
}

crate::hmc::hamiltonian_sampler!(NutsConfig, "nuts");

impl NutsConfig {
    /// [`Sampler::sample`](crate::Sampler::sample) with every iteration
    /// handed to `observer`, also returning the adapted step size and
    /// metric (inverse mass matrix).
    pub fn sample_adapted_observed(
        &self,
        density: &dyn GradLogDensity,
        init: &[f64],
        seed: u64,
        observer: &mut dyn crate::Observer,
    ) -> Result<(Draws, Adaptation), SamplerError> {
        if self.max_tree_depth == 0 || self.max_tree_depth > 30 {
            return Err(SamplerError::InvalidConfig(format!(
                "max_tree_depth = {} must be in 1..=30",
                self.max_tree_depth
            )));
        }
        let kernel = NutsKernel {
            ham: Hamiltonian::new(density, self.metric),
            step_size: self.init_step_size,
            max_tree_depth: self.max_tree_depth,
            max_energy_error: self.max_energy_error,
        };
        run_hamiltonian(kernel, &self.run_settings(), init, seed, observer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_reads_partial_json_with_defaults() {
        let c: NutsConfig =
            serde_json::from_str(r#"{"n_draws": 50, "metric": "dense", "max_tree_depth": 6}"#)
                .unwrap();
        assert_eq!(
            (c.n_draws, c.metric, c.max_tree_depth),
            (50, MetricKind::Dense, 6)
        );
        assert_eq!(c.n_warmup, NutsConfig::default().n_warmup);
        assert_eq!(c.windows, WindowConfig::default());
        assert!(serde_json::from_str::<NutsConfig>(r#"{"metric": "full"}"#).is_err());
        let h: crate::hmc::HmcConfig =
            serde_json::from_str(r#"{"trajectory": {"steps": 12}}"#).unwrap();
        assert_eq!(h.trajectory, crate::hmc::Trajectory::Steps(12));
    }

    #[test]
    fn criterion_and_log_add_exp() {
        // Momentum sum pointing along both end velocities: keep going.
        assert!(no_u_turn(&[1.0, 0.0], &[1.0, 0.1], &[2.0, 0.0]));
        // One end turned back.
        assert!(!no_u_turn(&[1.0, 0.0], &[-1.0, 0.1], &[2.0, 0.0]));
        assert!((log_add_exp(0.0, 0.0) - 2f64.ln()).abs() < 1e-15);
        assert_eq!(log_add_exp(f64::NEG_INFINITY, -3.0), -3.0);
        assert!((log_add_exp(-1000.0, 0.0)).abs() < 1e-15);
    }
}
