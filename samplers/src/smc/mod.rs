//! Sequential Monte Carlo with adaptive tempering.
//!
//! A population of particles moves from a normalised reference distribution
//! `q0` (a broad Gaussian or a box) to the target `p` through the geometric
//! path `gamma_b(x) = q0(x)^(1-b) p(x)^b`, `b` from 0 to 1 (Del Moral, Doucet &
//! Jasra 2006; the adaptive schedule of Jasra et al. 2011, as in PyMC's SMC):
//!
//! 1. choose the next inverse temperature `b'` by bisection so that the Kish
//!    ESS of the incremental weights `w_i = exp((b' - b) (log p - log q0)(x_i))`
//!    is `target_ess * n_particles` (or `b' = 1` if that already meets it);
//! 2. add `log mean(w)` to the log-evidence estimate (`q0` is normalised, so
//!    the product of the mean incremental weights estimates `Z = ∫ p`);
//! 3. resample (systematic by default);
//! 4. move every particle with `n_steps` random-walk Metropolis steps that
//!    leave `gamma_b'` invariant, proposing from `N(0, s^2 C)` where `C` is
//!    the particles' covariance; `s` is adapted towards 23.4 % acceptance and
//!    `n_steps` so that a particle has moved with probability ~`1 - mcmc_stuck`.
//!
//! Modes are crossed because early, flat stages see the whole reference and
//! the weights, not the moves, carry the relative masses of separated modes.
//!
//! Particles move in parallel (rayon). Each particle's moves at stage `t` use
//! its own `ChaCha8Rng` (seed derived from `(seed, t)`, stream = particle
//! index), so results do not depend on the number of threads.
//!
//! ```
//! use eqnemix_samplers::smc::{Reference, SmcConfig};
//! use eqnemix_samplers::targets::GaussianMixture;
//! let target = GaussianMixture::two_mode_1d(0.3, 0.7, 8.0).unwrap();
//! let smc = SmcConfig {
//!     n_particles: 500,
//!     reference: Reference::Gaussian { mean: None, sd: vec![6.0] },
//!     ..Default::default()
//! };
//! let run = smc.run(&target, &[0.0], 1).unwrap();
//! assert!((run.log_evidence - target.log_z()).abs() < 0.3);
//! ```

// Indexed loops mirror the formulas; `!(x > 0.0)` deliberately rejects NaN.
#![allow(clippy::needless_range_loop, clippy::neg_cmp_op_on_partial_ord)]

pub mod weights;

pub use weights::{kish_ess, normalise_log_weights, resample, Resampling};

use crate::{DrawStats, Draws, GradLogDensity, GradientFreeSampler, LogDensity, Sampler, SamplerError};
use nalgebra::DMatrix;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

const LN_2PI: f64 = 1.837_877_066_409_345_5;

/// The normalised distribution the tempering path starts from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Reference {
    /// Independent normals. `mean` defaults to the initial point; `sd` has one
    /// entry (used for every coordinate) or one per coordinate.
    Gaussian {
        /// Centre (defaults to the initial point).
        #[serde(default)]
        mean: Option<Vec<f64>>,
        /// Standard deviations, in the units of the parameters.
        sd: Vec<f64>,
    },
    /// Uniform on the box `[lower, upper]`.
    Uniform {
        /// Lower corner.
        lower: Vec<f64>,
        /// Upper corner.
        upper: Vec<f64>,
    },
}

impl Default for Reference {
    fn default() -> Self {
        Reference::Gaussian {
            mean: None,
            sd: vec![1.0],
        }
    }
}

/// A reference resolved for one run (mean filled in, sd expanded).
#[derive(Debug, Clone)]
pub(crate) enum RefDist {
    Gaussian {
        mean: Vec<f64>,
        sd: Vec<f64>,
        log_norm: f64,
    },
    Uniform {
        lower: Vec<f64>,
        upper: Vec<f64>,
        log_vol: f64,
    },
}

impl RefDist {
    fn new(r: &Reference, init: &[f64]) -> Result<Self, SamplerError> {
        let d = init.len();
        let bad = |m: String| Err(SamplerError::InvalidConfig(m));
        match r {
            Reference::Gaussian { mean, sd } => {
                let mean = mean.clone().unwrap_or_else(|| init.to_vec());
                if mean.len() != d {
                    return bad(format!(
                        "smc.reference.mean has {} entries, the density has {d}",
                        mean.len()
                    ));
                }
                let sd = match sd.len() {
                    1 => vec![sd[0]; d],
                    n if n == d => sd.clone(),
                    n => return bad(format!("smc.reference.sd has {n} entries; give 1 or {d}")),
                };
                if sd.iter().any(|s| !(*s > 0.0 && s.is_finite())) {
                    return bad("smc.reference.sd: must be positive and finite".into());
                }
                let log_norm = -0.5 * d as f64 * LN_2PI - sd.iter().map(|s| s.ln()).sum::<f64>();
                Ok(RefDist::Gaussian { mean, sd, log_norm })
            }
            Reference::Uniform { lower, upper } => {
                if lower.len() != d || upper.len() != d {
                    return bad(format!("smc.reference.lower/upper must have {d} entries"));
                }
                if lower
                    .iter()
                    .zip(upper)
                    .any(|(l, u)| !(l < u && l.is_finite() && u.is_finite()))
                {
                    return bad(
                        "smc.reference: need finite lower < upper in every coordinate".into(),
                    );
                }
                let log_vol = lower.iter().zip(upper).map(|(l, u)| (u - l).ln()).sum();
                Ok(RefDist::Uniform {
                    lower: lower.clone(),
                    upper: upper.clone(),
                    log_vol,
                })
            }
        }
    }

    fn log_density(&self, x: &[f64]) -> f64 {
        match self {
            RefDist::Gaussian { mean, sd, log_norm } => {
                let q: f64 = x
                    .iter()
                    .zip(mean)
                    .zip(sd)
                    .map(|((x, m), s)| ((x - m) / s).powi(2))
                    .sum();
                log_norm - 0.5 * q
            }
            RefDist::Uniform {
                lower,
                upper,
                log_vol,
            } => {
                if x.iter()
                    .zip(lower)
                    .zip(upper)
                    .all(|((x, l), u)| *x >= *l && *x <= *u)
                {
                    -log_vol
                } else {
                    f64::NEG_INFINITY
                }
            }
        }
    }

    fn draw(&self, rng: &mut ChaCha8Rng, x: &mut [f64]) {
        match self {
            RefDist::Gaussian { mean, sd, .. } => {
                for i in 0..x.len() {
                    let z: f64 = StandardNormal.sample(rng);
                    x[i] = mean[i] + sd[i] * z;
                }
            }
            RefDist::Uniform { lower, upper, .. } => {
                for i in 0..x.len() {
                    x[i] = lower[i] + (upper[i] - lower[i]) * rng.gen::<f64>();
                }
            }
        }
    }
}

/// `reference` resolved about `init` (the importance sampler's base
/// proposal when it runs through [`crate::Sampler`]).
pub(crate) fn resolve_reference(reference: &Reference, init: &[f64]) -> Result<RefDist, SamplerError> {
    RefDist::new(reference, init)
}

impl crate::importance::Proposal for RefDist {
    fn draw(&self, rng: &mut ChaCha8Rng, x: &mut [f64]) {
        RefDist::draw(self, rng, x)
    }
    fn log_density(&self, x: &[f64]) -> f64 {
        RefDist::log_density(self, x)
    }
}

/// SMC settings. Every field has a default.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SmcConfig {
    /// Number of particles. Default 2000.
    pub n_particles: usize,
    /// Target ESS of each tempering increment, as a fraction of `n_particles`. Default 0.5.
    pub target_ess: f64,
    /// Resampling scheme. Default systematic.
    pub resampling: Resampling,
    /// Distribution the path starts from. Default `N(init, I)`: set it to
    /// cover every mode of the target (e.g. the prior's extent).
    pub reference: Reference,
    /// Fewest Metropolis steps per stage. Default 2.
    pub min_mcmc_steps: usize,
    /// Most Metropolis steps per stage. Default 50.
    pub max_mcmc_steps: usize,
    /// Steps per stage are chosen so that a particle stays put through all of
    /// them with probability about this (from the last acceptance rate). Default 0.01.
    pub mcmc_stuck: f64,
    /// Maximum number of tempering stages before giving up. Default 500.
    pub max_stages: usize,
}

impl Default for SmcConfig {
    fn default() -> Self {
        SmcConfig {
            n_particles: 2000,
            target_ess: 0.5,
            resampling: Resampling::Systematic,
            reference: Reference::default(),
            min_mcmc_steps: 2,
            max_mcmc_steps: 50,
            mcmc_stuck: 0.01,
            max_stages: 500,
        }
    }
}

/// The full record of one SMC run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SmcRun {
    /// Final particles at `b = 1` (equally weighted after the last move).
    pub draws: Draws,
    /// Estimated `log Z = log ∫ p(x) dx`.
    pub log_evidence: f64,
    /// Inverse temperatures, starting with 0 and ending with 1.
    pub betas: Vec<f64>,
    /// Kish ESS of the incremental weights at each stage (particles).
    pub ess: Vec<f64>,
    /// Mean Metropolis acceptance rate at each stage.
    pub acceptance: Vec<f64>,
    /// Metropolis steps per particle at each stage.
    pub mcmc_steps: Vec<usize>,
    /// Proposal scale factor `s` at each stage.
    pub proposal_scale: Vec<f64>,
}

/// Particle population state (BlackJAX style: explicit and owned by the caller).
#[derive(Debug, Clone)]
pub struct SmcState {
    /// Row-major particle positions.
    pub x: Vec<f64>,
    /// Target log density at each particle.
    pub log_p: Vec<f64>,
    /// Reference log density at each particle.
    pub log_q0: Vec<f64>,
    /// Current inverse temperature.
    pub beta: f64,
    /// Running log-evidence estimate (of the current tempered density).
    pub log_evidence: f64,
    /// Proposal scale factor.
    pub scale: f64,
    /// Metropolis steps for the next move.
    pub n_steps: usize,
    /// Stage counter.
    pub stage: usize,
}

/// Log density of the tempered path at inverse temperature `beta`.
#[inline]
fn tempered(log_p: f64, log_q0: f64, beta: f64) -> f64 {
    if log_p.is_nan() || log_p == f64::NEG_INFINITY {
        return f64::NEG_INFINITY;
    }
    if beta >= 1.0 {
        log_p
    } else if log_q0 == f64::NEG_INFINITY {
        f64::NEG_INFINITY
    } else {
        (1.0 - beta) * log_q0 + beta * log_p
    }
}

/// Incremental log weight `(b' - b) (log p - log q0)`, `-inf` where `p = 0`.
#[inline]
fn incr(log_p: f64, log_q0: f64, db: f64) -> f64 {
    if log_p.is_nan() || log_p == f64::NEG_INFINITY {
        f64::NEG_INFINITY
    } else if log_q0 == f64::NEG_INFINITY {
        // Outside the reference's support: only reachable at b = 1 moves; no
        // further reweighting is needed there since the path has ended.
        0.0
    } else {
        db * (log_p - log_q0)
    }
}

/// A well-mixed seed for stage `stage` of a run seeded with `seed`.
fn stage_seed(seed: u64, stage: usize) -> u64 {
    crate::chain_seed(seed ^ 0x5EC0_17C0_FFEE_u64, stage)
}

impl SmcConfig {
    fn validate(&self) -> Result<(), SamplerError> {
        let bad = |m: &str| Err(SamplerError::InvalidConfig(format!("smc.{m}")));
        if self.n_particles < 2 {
            return bad("n_particles: need at least 2");
        }
        if !(self.target_ess > 0.0 && self.target_ess < 1.0) {
            return bad("target_ess: must lie in (0, 1)");
        }
        if self.min_mcmc_steps == 0 || self.max_mcmc_steps < self.min_mcmc_steps {
            return bad("min_mcmc_steps/max_mcmc_steps: need 1 <= min <= max");
        }
        if !(self.mcmc_stuck > 0.0 && self.mcmc_stuck < 1.0) {
            return bad("mcmc_stuck: must lie in (0, 1)");
        }
        if self.max_stages == 0 {
            return bad("max_stages: must be at least 1");
        }
        Ok(())
    }

    /// Draw the initial population from the reference.
    fn init_state(
        &self,
        density: &dyn LogDensity,
        reference: &RefDist,
        seed: u64,
    ) -> Result<SmcState, SamplerError> {
        let d = density.dim();
        let n = self.n_particles;
        let mut x = vec![0.0; n * d];
        let mut rng = ChaCha8Rng::seed_from_u64(stage_seed(seed, usize::MAX));
        for p in x.chunks_exact_mut(d) {
            reference.draw(&mut rng, p);
        }
        let mut log_p = vec![0.0; n];
        let mut log_q0 = vec![0.0; n];
        x.par_chunks_exact(d)
            .zip(log_p.par_iter_mut().zip(log_q0.par_iter_mut()))
            .for_each(|(p, (lp, lq))| {
                *lp = density.log_density(p);
                *lq = reference.log_density(p);
            });
        if log_p.iter().all(|v| !(v.is_finite())) {
            return Err(SamplerError::Numerical(
                "smc: no particle drawn from the reference has a finite target density; widen or move smc.reference".into(),
            ));
        }
        Ok(SmcState {
            x,
            log_p,
            log_q0,
            beta: 0.0,
            log_evidence: 0.0,
            scale: 2.38 / (d as f64).sqrt(),
            n_steps: self.min_mcmc_steps.max(5).min(self.max_mcmc_steps),
            stage: 0,
        })
    }

    /// Next inverse temperature: bisection on `ESS(b')/n = target_ess`.
    fn next_beta(&self, st: &SmcState, logw: &mut [f64], w: &mut [f64]) -> f64 {
        let n = st.log_p.len() as f64;
        let mut ess_at = |b: f64| {
            let db = b - st.beta;
            for i in 0..logw.len() {
                logw[i] = incr(st.log_p[i], st.log_q0[i], db);
            }
            normalise_log_weights(logw, w);
            kish_ess(w) / n
        };
        if ess_at(1.0) >= self.target_ess {
            return 1.0;
        }
        let (mut lo, mut hi) = (st.beta, 1.0);
        for _ in 0..60 {
            let mid = 0.5 * (lo + hi);
            if ess_at(mid) >= self.target_ess {
                lo = mid;
            } else {
                hi = mid;
            }
            if hi - lo < 1e-12 {
                break;
            }
        }
        // Always make progress, even when one particle dominates at once.
        if lo > st.beta {
            lo
        } else {
            hi
        }
    }

    /// One SMC stage: reweight to the next temperature, resample, move.
    /// Returns (ESS of the increment, acceptance rate).
    pub fn step(
        &self,
        density: &dyn LogDensity,
        reference: &RefDistHandle,
        st: &mut SmcState,
        seed: u64,
    ) -> Result<(f64, f64), SamplerError> {
        let reference = &reference.0;
        let d = density.dim();
        let n = self.n_particles;
        let mut logw = vec![0.0; n];
        let mut w = vec![0.0; n];
        let beta_new = self.next_beta(st, &mut logw, &mut w);
        let db = beta_new - st.beta;
        for i in 0..n {
            logw[i] = incr(st.log_p[i], st.log_q0[i], db);
        }
        let lse = normalise_log_weights(&logw, &mut w);
        if lse == f64::NEG_INFINITY {
            return Err(SamplerError::Numerical(format!(
                "smc: every particle has zero weight at inverse temperature {beta_new}"
            )));
        }
        st.log_evidence += lse - (n as f64).ln();
        let ess = kish_ess(&w);

        // Resample.
        let mut rng = ChaCha8Rng::seed_from_u64(stage_seed(seed, st.stage));
        let mut idx = vec![0usize; n];
        resample(self.resampling, &w, &mut rng, &mut idx);
        let mut x_new = vec![0.0; n * d];
        let mut lp_new = vec![0.0; n];
        let mut lq_new = vec![0.0; n];
        for (k, &i) in idx.iter().enumerate() {
            x_new[k * d..(k + 1) * d].copy_from_slice(&st.x[i * d..(i + 1) * d]);
            lp_new[k] = st.log_p[i];
            lq_new[k] = st.log_q0[i];
        }
        st.x = x_new;
        st.log_p = lp_new;
        st.log_q0 = lq_new;
        st.beta = beta_new;

        // Proposal covariance from the (now equally weighted) particles.
        let chol = particle_cholesky(&st.x, d);
        let scale = st.scale;
        let n_steps = st.n_steps;
        let move_seed = stage_seed(seed ^ 0xA5A5_A5A5, st.stage);
        let accepted: usize =
            st.x.par_chunks_exact_mut(d)
                .zip(st.log_p.par_iter_mut().zip(st.log_q0.par_iter_mut()))
                .enumerate()
                .map_init(
                    || (vec![0.0; d], vec![0.0; d]),
                    |(prop, z), (i, (xi, (lp, lq)))| {
                        let mut prng = ChaCha8Rng::seed_from_u64(move_seed);
                        prng.set_stream(i as u64);
                        let mut cur = tempered(*lp, *lq, beta_new);
                        let mut acc = 0usize;
                        for _ in 0..n_steps {
                            for v in z.iter_mut() {
                                *v = StandardNormal.sample(&mut prng);
                            }
                            for a in 0..d {
                                let mut s = 0.0;
                                for b in 0..=a {
                                    s += chol[a * d + b] * z[b];
                                }
                                prop[a] = xi[a] + scale * s;
                            }
                            let plq = reference.log_density(prop);
                            // Outside the reference (box) the path density is 0 before b = 1.
                            let plp = if beta_new < 1.0 && plq == f64::NEG_INFINITY {
                                f64::NEG_INFINITY
                            } else {
                                density.log_density(prop)
                            };
                            let new = tempered(plp, plq, beta_new);
                            let u: f64 = prng.gen();
                            if new > f64::NEG_INFINITY && u.ln() < new - cur {
                                xi.copy_from_slice(prop);
                                *lp = plp;
                                *lq = plq;
                                cur = new;
                                acc += 1;
                            }
                        }
                        acc
                    },
                )
                .sum();
        let acc_rate = accepted as f64 / (n * n_steps) as f64;
        // Adapt for the next stage: scale towards 23.4 % acceptance, and enough
        // steps that P(never moved) = (1 - acc)^steps ~ mcmc_stuck.
        st.scale *= (2.0 * (acc_rate - 0.234)).exp();
        let a = acc_rate.clamp(1e-3, 0.999);
        let steps = (self.mcmc_stuck.ln() / (1.0 - a).ln()).ceil() as usize;
        st.n_steps = steps.clamp(self.min_mcmc_steps, self.max_mcmc_steps);
        st.stage += 1;
        Ok((ess, acc_rate))
    }

    /// Run SMC on `density`. `init` fixes the dimension and, by default, the
    /// centre of the Gaussian reference; it need not be a good point.
    pub fn run(
        &self,
        density: &dyn LogDensity,
        init: &[f64],
        seed: u64,
    ) -> Result<SmcRun, SamplerError> {
        self.validate()?;
        if init.len() != density.dim() {
            return Err(SamplerError::DimensionMismatch {
                expected: density.dim(),
                got: init.len(),
            });
        }
        let reference = RefDistHandle(RefDist::new(&self.reference, init)?);
        let mut st = self.init_state(density, &reference.0, seed)?;
        let mut betas = vec![0.0];
        let mut ess = Vec::new();
        let mut acceptance = Vec::new();
        let mut mcmc_steps = Vec::new();
        let mut proposal_scale = Vec::new();
        while st.beta < 1.0 {
            if st.stage >= self.max_stages {
                return Err(SamplerError::Numerical(format!(
                    "smc: inverse temperature only reached {} after max_stages = {} stages",
                    st.beta, self.max_stages
                )));
            }
            mcmc_steps.push(st.n_steps);
            proposal_scale.push(st.scale);
            let (e, a) = self.step(density, &reference, &mut st, seed)?;
            betas.push(st.beta);
            ess.push(e);
            acceptance.push(a);
        }
        let d = density.dim();
        let mut draws = Draws::new(d);
        draws.values = st.x;
        draws.stats = st
            .log_p
            .iter()
            .map(|&lp| DrawStats {
                log_density: lp,
                accept_prob: acceptance.last().copied(),
                ..Default::default()
            })
            .collect();
        draws.log_evidence = Some(st.log_evidence);
        Ok(SmcRun {
            draws,
            log_evidence: st.log_evidence,
            betas,
            ess,
            acceptance,
            mcmc_steps,
            proposal_scale,
        })
    }
}

/// The resolved reference distribution of a run (opaque; built by [`SmcConfig::run`]).
#[derive(Debug, Clone)]
pub struct RefDistHandle(RefDist);

/// Row-major lower Cholesky factor of the particles' covariance (with a
/// small ridge so a collapsed population still gives a valid proposal).
fn particle_cholesky(x: &[f64], d: usize) -> Vec<f64> {
    let n = x.len() / d;
    let mut m = vec![0.0; d];
    for p in x.chunks_exact(d) {
        for k in 0..d {
            m[k] += p[k];
        }
    }
    m.iter_mut().for_each(|v| *v /= n as f64);
    let mut c = DMatrix::<f64>::zeros(d, d);
    for p in x.chunks_exact(d) {
        for a in 0..d {
            for b in 0..=a {
                c[(a, b)] += (p[a] - m[a]) * (p[b] - m[b]);
            }
        }
    }
    let tr: f64 = (0..d).map(|a| c[(a, a)]).sum::<f64>() / (n as f64 * d as f64);
    let ridge = 1e-9 * tr.max(1e-300) + 1e-300;
    for a in 0..d {
        for b in 0..=a {
            c[(a, b)] /= n as f64;
            c[(b, a)] = c[(a, b)];
        }
        c[(a, a)] += ridge;
    }
    let l = match c.clone().cholesky() {
        Some(ch) => ch.l(),
        // Degenerate population: fall back to the diagonal.
        None => DMatrix::from_fn(d, d, |a, b| {
            if a == b {
                c[(a, a)].max(ridge).sqrt()
            } else {
                0.0
            }
        }),
    };
    let mut out = vec![0.0; d * d];
    for a in 0..d {
        for b in 0..=a {
            out[a * d + b] = l[(a, b)];
        }
    }
    out
}

impl Sampler for SmcConfig {
    fn name(&self) -> &'static str {
        "smc"
    }

    /// Run SMC; returns the final, equally weighted particles with
    /// `log_evidence` set.
    fn sample(
        &self,
        density: &dyn GradLogDensity,
        init: &[f64],
        seed: u64,
    ) -> Result<Draws, SamplerError> {
        self.sample_log_density(density, init, seed)
    }
}

impl GradientFreeSampler for SmcConfig {
    fn sample_log_density(&self, density: &dyn LogDensity, init: &[f64], seed: u64) -> Result<Draws, SamplerError> {
        Ok(self.run(density, init, seed)?.draws)
    }
}
