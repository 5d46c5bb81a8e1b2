//! Adaptive importance sampling: weighted draws whose weights, not a
//! chain's moves, carry the masses of separated modes.
//!
//! For a low-dimensional target with a good starting proposal `q0` (for a
//! Bayesian location, the prior), importance sampling answers the questions
//! Markov chains find hardest: how much mass each of several separated
//! modes holds, including light ones. Its failure is visible in the weights
//! (Kish ESS, Pareto k̂), not hidden in a chain that never left its mode.
//!
//! # The algorithm
//!
//! 1. **Base stage.** Draws from `q0` in batches of [`ImportanceConfig::batch`],
//!    weighted by `p(x) / q0(x)` (`p` the unnormalised target), until the
//!    Kish ESS of the self-normalised weights reaches
//!    [`ImportanceConfig::target_ess`] or [`ImportanceConfig::max_draws`]
//!    are drawn.
//! 2. **Adaptation** (population Monte Carlo, Cappé et al. 2004), at most
//!    [`ImportanceConfig::adapt_rounds`] times while the ESS is short: the
//!    weighted draws are split by a caller's labelling (for a location, the
//!    prior cluster a draw belongs to; one group otherwise), a Gaussian is
//!    fitted to each group with enough effective draws, and the next stage
//!    draws from the defensive mixture (Hesterberg 1995)
//!
//!    ```text
//!    q = α q0 + (1 − α) Σ_l M_l N(μ_l, s² Σ_l)
//!    ```
//!
//!    (`M_l` the group's weight share, `s` = [`ImportanceConfig::scale`],
//!    `α` = [`ImportanceConfig::defensive`]), weighted by `p / q`, in batches
//!    until the target ESS or the draw limit. The `q0` share bounds the
//!    weights by `1/α` times the base stage's and keeps covering what the
//!    Gaussians miss. Each stage starts afresh (its weights are exact for
//!    its own proposal); the stage with the largest ESS is returned.
//!
//! Draws whose normalised weight is below [`PRUNE_WEIGHT`] are left out of
//! the result (they cannot move any estimate). The weights' Pareto k̂
//! ([`pareto_k_hat`], computed before pruning) is reported with the draws:
//! above 0.7 the importance estimate is unreliable however large the ESS
//! looks (Vehtari et al. 2024, "Pareto smoothed importance sampling").

use crate::draws::{DrawStats, Draws};
use crate::smc::{kish_ess, normalise_log_weights, Reference};
use crate::{LogDensity, SamplerError};
use nalgebra::{DMatrix, DVector};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
use serde::{Deserialize, Serialize};

/// A distribution importance sampling draws from: it can sample and
/// evaluate its own normalised log density.
pub trait Proposal: Sync {
    /// Draw one point into `x`.
    fn draw(&self, rng: &mut ChaCha8Rng, x: &mut [f64]);
    /// Normalised log density at `x` (`-inf` outside its support).
    fn log_density(&self, x: &[f64]) -> f64;
}

/// Settings of adaptive importance sampling. Every field has a default.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ImportanceConfig {
    /// Kish ESS at which a stage stops drawing. Default 4000: the mass of
    /// a 0.5 mode then has a Monte Carlo sd of 0.008.
    pub target_ess: f64,
    /// Draws per batch (the ESS is checked after each). Default 4000.
    pub batch: usize,
    /// Most draws of one stage. Default 64 000.
    pub max_draws: usize,
    /// Most adaptation stages after the base one. Default 3.
    pub adapt_rounds: usize,
    /// Share `α` of the base proposal in each adapted mixture. Default 0.2.
    pub defensive: f64,
    /// Factor `s` on the fitted Gaussians' standard deviations. Default 1.5.
    pub scale: f64,
    /// Base proposal when the sampler runs through [`crate::Sampler`]
    /// (a location run uses its prior instead). Default: standard normals
    /// about the initial point.
    pub reference: Reference,
}

impl Default for ImportanceConfig {
    fn default() -> Self {
        ImportanceConfig {
            target_ess: 10_000.0,
            batch: 4000,
            max_draws: 64_000,
            adapt_rounds: 3,
            defensive: 0.2,
            scale: 1.5,
            reference: Reference::default(),
        }
    }
}

/// What an importance run returns besides its draws.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImportanceReport {
    /// Stage of the returned draws: 0 for the base proposal, `r` for the
    /// `r`-th adaptation.
    pub stage: usize,
    /// Kish ESS of the returned weights.
    pub ess: f64,
    /// Pareto k̂ of the returned weights ([`pareto_k_hat`]).
    pub pareto_k: f64,
    /// Draws made over all stages (each costs one target evaluation).
    pub n_evaluations: usize,
    /// Whether the returned stage reached [`ImportanceConfig::target_ess`].
    pub reached_target: bool,
}

impl ImportanceConfig {
    fn check(&self) -> Result<(), SamplerError> {
        let bad = |m: &str| Err(SamplerError::InvalidConfig(format!("importance.{m}")));
        if !(self.target_ess > 0.0 && self.target_ess.is_finite()) {
            return bad("target_ess must be positive and finite");
        }
        if self.batch == 0 || self.max_draws < self.batch {
            return bad("batch must be > 0 and max_draws >= batch");
        }
        if !(self.defensive > 0.0 && self.defensive <= 1.0) {
            return bad("defensive must be in (0, 1]");
        }
        if !(self.scale > 0.0 && self.scale.is_finite()) {
            return bad("scale must be positive and finite");
        }
        Ok(())
    }

    /// Run adaptive importance sampling on `target` from the base proposal
    /// `base` (module doc). `label` splits draws into groups `0..n_labels`
    /// for the adapted Gaussians (return 0 for one group). Same seed, same
    /// result.
    pub fn run(
        &self,
        target: &dyn LogDensity,
        base: &dyn Proposal,
        label: &(dyn Fn(&[f64]) -> usize + Sync),
        n_labels: usize,
        seed: u64,
    ) -> Result<(Draws, ImportanceReport), SamplerError> {
        self.run_with(Target::Full(target), base, label, n_labels, seed, None)
    }

    /// As [`ImportanceConfig::run`] for a target that is the base proposal
    /// times a likelihood, `p(x) ∝ q0(x) L(x)` (a posterior whose prior is
    /// the base): the base stage's log weights are then `ln L(x)` alone and
    /// the adapted stages evaluate `q0` once per draw for both the target
    /// and the mixture, which halves the cost per draw when the prior is as
    /// dear as the likelihood.
    pub fn run_factored(
        &self,
        log_likelihood: &dyn LogDensity,
        base: &dyn Proposal,
        label: &(dyn Fn(&[f64]) -> usize + Sync),
        n_labels: usize,
        seed: u64,
    ) -> Result<(Draws, ImportanceReport), SamplerError> {
        self.run_with(Target::BaseTimes(log_likelihood), base, label, n_labels, seed, None)
    }

    /// Adaptive importance sampling started from a population `start` that
    /// has already found the target's modes (the particles of an SMC run,
    /// an oct-tree's weighted draws) instead of a base stage: the first
    /// stage draws from the defensive mixture of Gaussians fitted to
    /// `start`'s label groups (by its weights, equal when it has none) and
    /// `base` (module doc, step 2), at most
    /// [`ImportanceConfig::adapt_rounds`] stages in all, each adapted to
    /// the one before. The population only shapes the proposal; the
    /// weights are exact for the proposal drawn from, so the result does
    /// not inherit the population's errors in the modes' masses (an SMC
    /// population's share of a mode moves with every resampling; an
    /// oct-tree's with the cells' resolution), only its coverage: a mode
    /// `start` has no draws in is left to `base`. Report stage `r` is the
    /// `r`-th mixture stage. `start` is never returned itself (its draws
    /// need not be independent). For a 3-D location `target` is
    /// `log_likelihood` with `factored` (as [`ImportanceConfig::run_factored`]).
    #[allow(clippy::too_many_arguments)]
    pub fn run_from_population(
        &self,
        target: &dyn LogDensity,
        factored: bool,
        base: &dyn Proposal,
        start: &Draws,
        label: &(dyn Fn(&[f64]) -> usize + Sync),
        n_labels: usize,
        seed: u64,
    ) -> Result<(Draws, ImportanceReport), SamplerError> {
        let t = if factored { Target::BaseTimes(target) } else { Target::Full(target) };
        if start.dim != t.dim() {
            return Err(SamplerError::DimensionMismatch { expected: t.dim(), got: start.dim });
        }
        let n = start.n_draws();
        let weights = start.weights.clone().unwrap_or_else(|| vec![1.0 / n.max(1) as f64; n]);
        let ess = kish_ess(&weights);
        self.run_with(t, base, label, n_labels, seed, Some(Stage { draws: start.clone(), weights, ess }))
    }

    fn run_with(
        &self,
        target: Target,
        base: &dyn Proposal,
        label: &(dyn Fn(&[f64]) -> usize + Sync),
        n_labels: usize,
        seed: u64,
        start: Option<Stage>,
    ) -> Result<(Draws, ImportanceReport), SamplerError> {
        self.check()?;
        let dim = target.dim();
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut evaluations = 0;
        // The best stage so far (a starting population is not a candidate).
        let (mut best, mut last) = match start {
            Some(s) => (None, s),
            None => {
                let s = self.stage(&target, &StageProposal::Base(base), &mut rng, &mut evaluations);
                (Some((s.clone(), 0)), s)
            }
        };
        for round in 1..=self.adapt_rounds {
            if best.as_ref().is_some_and(|(b, _)| b.ess >= self.target_ess) {
                break;
            }
            let Some(mix) = GaussianMixtureProposal::fit(&last, label, n_labels.max(1), self, base, dim) else {
                break;
            };
            last = self.stage(&target, &StageProposal::Mixture(&mix), &mut rng, &mut evaluations);
            if best.as_ref().map_or(true, |(b, _)| last.ess > b.ess) {
                best = Some((last.clone(), round));
            }
        }
        let Some((Stage { draws, weights, ess }, best_stage)) = best else {
            return Err(SamplerError::Numerical(
                "importance sampling from a population: no label group of the population holds 10 effective draws to fit a Gaussian to".into(),
            ));
        };
        if !(ess > 0.0) {
            return Err(SamplerError::Numerical(format!(
                "importance sampling: every one of {evaluations} weights is zero (the proposal misses the target)"
            )));
        }
        let pareto_k = pareto_k_hat(&weights);
        let mut d = prune(&draws, &weights);
        d.pareto_k = Some(pareto_k);
        Ok((
            d,
            ImportanceReport {
                stage: best_stage,
                ess,
                pareto_k,
                n_evaluations: evaluations,
                reached_target: ess >= self.target_ess,
            },
        ))
    }

    /// One stage: batches from `q` until the target ESS or the draw limit.
    fn stage(&self, target: &Target, q: &StageProposal, rng: &mut ChaCha8Rng, evaluations: &mut usize) -> Stage {
        let dim = target.dim();
        let mut draws = Draws::new(dim);
        let mut logw = Vec::with_capacity(self.batch);
        let mut w = Vec::new();
        let mut x = vec![0.0; dim];
        let mut ess = 0.0;
        while draws.n_draws() < self.max_draws {
            for _ in 0..self.batch {
                q.draw(rng, &mut x);
                *evaluations += 1;
                let (lp, lw) = q.log_weight(target, &x);
                draws.push(&x, DrawStats { log_density: lp, ..DrawStats::default() });
                logw.push(lw);
            }
            w.resize(logw.len(), 0.0);
            ess = if normalise_log_weights(&logw, &mut w).is_finite() { kish_ess(&w) } else { 0.0 };
            if ess >= self.target_ess {
                break;
            }
        }
        Stage { draws, weights: w, ess }
    }
}

/// The density importance sampling aims at.
enum Target<'a> {
    /// The unnormalised target itself.
    Full(&'a dyn LogDensity),
    /// The base proposal times this log likelihood.
    BaseTimes(&'a dyn LogDensity),
}

impl Target<'_> {
    fn dim(&self) -> usize {
        match self {
            Target::Full(t) | Target::BaseTimes(t) => t.dim(),
        }
    }
}

/// The proposal of one stage.
enum StageProposal<'a, 'b> {
    Base(&'a dyn Proposal),
    Mixture(&'a GaussianMixtureProposal<'b>),
}

impl StageProposal<'_, '_> {
    fn draw(&self, rng: &mut ChaCha8Rng, x: &mut [f64]) {
        match self {
            StageProposal::Base(q) => q.draw(rng, x),
            StageProposal::Mixture(q) => q.draw(rng, x),
        }
    }

    /// `(ln p(x), ln p(x) − ln q(x))` up to constants; `-inf` weight where
    /// either vanishes. For a factored target the base's normalising
    /// constant is common to `p` and `q` and cancels.
    fn log_weight(&self, target: &Target, x: &[f64]) -> (f64, f64) {
        let finite = |lp: f64, lq: f64| if lp.is_finite() && lq.is_finite() { lp - lq } else { f64::NEG_INFINITY };
        match (self, target) {
            (StageProposal::Base(q), Target::Full(t)) => {
                let lq = q.log_density(x);
                let lp = if lq > f64::NEG_INFINITY { t.log_density(x) } else { f64::NEG_INFINITY };
                (lp, finite(lp, lq))
            }
            (StageProposal::Base(_), Target::BaseTimes(l)) => {
                // p = q0 L: the weight is L; ln p is only needed for the
                // draws' statistics, so q0 is not evaluated here.
                let ll = l.log_density(x);
                let lw = if ll.is_finite() { ll } else { f64::NEG_INFINITY };
                (f64::NAN, lw)
            }
            (StageProposal::Mixture(m), Target::Full(t)) => {
                let lq0 = m.base.log_density(x);
                let lq = m.log_density_given_base(x, lq0);
                let lp = t.log_density(x);
                (lp, finite(lp, lq))
            }
            (StageProposal::Mixture(m), Target::BaseTimes(l)) => {
                let lq0 = m.base.log_density(x);
                let lp = if lq0 > f64::NEG_INFINITY { lq0 + l.log_density(x) } else { f64::NEG_INFINITY };
                let lq = m.log_density_given_base(x, lq0);
                (lp, finite(lp, lq))
            }
        }
    }
}

/// Normalised weights below this are dropped from the returned draws (they
/// hold at most `n · PRUNE_WEIGHT` of the mass together: 6e-5 for 64 000
/// draws), so summaries do not spend time on draws that do not count.
pub const PRUNE_WEIGHT: f64 = 1e-9;

/// The draws of `d` with weight at least [`PRUNE_WEIGHT`], weights
/// renormalised.
fn prune(d: &Draws, w: &[f64]) -> Draws {
    let mut out = Draws::new(d.dim);
    let mut kept = Vec::new();
    for (i, x) in d.iter().enumerate() {
        if w[i] >= PRUNE_WEIGHT {
            out.push(x, d.stats[i].clone());
            kept.push(w[i]);
        }
    }
    let total: f64 = kept.iter().sum();
    kept.iter_mut().for_each(|v| *v /= total);
    out.weights = Some(kept);
    out
}

#[derive(Clone)]
struct Stage {
    draws: Draws,
    weights: Vec<f64>,
    ess: f64,
}

/// The defensive mixture of an adaptation stage (module doc).
struct GaussianMixtureProposal<'a> {
    base: &'a dyn Proposal,
    alpha: f64,
    /// (share, mean, lower Cholesky factor, log normaliser) per component.
    parts: Vec<(f64, DVector<f64>, DMatrix<f64>, f64)>,
}

impl<'a> GaussianMixtureProposal<'a> {
    /// Fit one Gaussian per label group holding at least 10 effective
    /// draws; `None` when no group does.
    fn fit(
        stage: &Stage,
        label: &(dyn Fn(&[f64]) -> usize + Sync),
        n_labels: usize,
        cfg: &ImportanceConfig,
        base: &'a dyn Proposal,
        dim: usize,
    ) -> Option<Self> {
        let labels: Vec<usize> = stage.draws.iter().map(|x| label(x).min(n_labels - 1)).collect();
        let mut parts = Vec::new();
        for l in 0..n_labels {
            let idx: Vec<usize> = (0..labels.len()).filter(|&i| labels[i] == l && stage.weights[i] > 0.0).collect();
            let ws: f64 = idx.iter().map(|&i| stage.weights[i]).sum();
            let w2: f64 = idx.iter().map(|&i| stage.weights[i].powi(2)).sum();
            if !(ws > 0.0) || ws * ws / w2 < 10.0 {
                continue;
            }
            let mut mean = DVector::zeros(dim);
            for &i in &idx {
                mean += DVector::from_column_slice(stage.draws.draw(i)) * (stage.weights[i] / ws);
            }
            let mut cov = DMatrix::zeros(dim, dim);
            for &i in &idx {
                let d = DVector::from_column_slice(stage.draws.draw(i)) - &mean;
                cov += &d * d.transpose() * (stage.weights[i] / ws);
            }
            // Inflate, and keep it positive definite: a floor of 1e-3 of
            // the largest variance on the diagonal (a group whose draws lie
            // on a plane still gets a full-rank Gaussian).
            let floor = 1e-3 * (0..dim).map(|a| cov[(a, a)]).fold(0.0, f64::max).max(1e-12);
            let cov = cov * cfg.scale.powi(2) + DMatrix::identity(dim, dim) * floor;
            let chol = cov.cholesky()?;
            let l_mat = chol.l();
            let log_det = 2.0 * (0..dim).map(|a| l_mat[(a, a)].ln()).sum::<f64>();
            let log_norm = -0.5 * dim as f64 * (2.0 * std::f64::consts::PI).ln() - 0.5 * log_det;
            parts.push((ws, mean, l_mat, log_norm));
        }
        if parts.is_empty() {
            return None;
        }
        let total: f64 = parts.iter().map(|p| p.0).sum();
        parts.iter_mut().for_each(|p| p.0 /= total);
        Some(GaussianMixtureProposal { base, alpha: cfg.defensive, parts })
    }
}

impl Proposal for GaussianMixtureProposal<'_> {
    fn draw(&self, rng: &mut ChaCha8Rng, x: &mut [f64]) {
        if rng.gen::<f64>() < self.alpha {
            self.base.draw(rng, x);
            return;
        }
        let u = rng.gen::<f64>();
        let mut acc = 0.0;
        let part = self.parts.iter().find(|p| {
            acc += p.0;
            u < acc
        });
        let (_, mean, l_mat, _) = part.unwrap_or(&self.parts[self.parts.len() - 1]);
        let z = DVector::from_fn(x.len(), |_, _| StandardNormal.sample(rng));
        let v = mean + l_mat * z;
        x.copy_from_slice(v.as_slice());
    }

    fn log_density(&self, x: &[f64]) -> f64 {
        self.log_density_given_base(x, self.base.log_density(x))
    }
}

impl GaussianMixtureProposal<'_> {
    /// The mixture's log density at `x` given the base's, `lq0`.
    fn log_density_given_base(&self, x: &[f64], lq0: f64) -> f64 {
        let xv = DVector::from_column_slice(x);
        let terms = self.parts.iter().map(|(share, mean, l_mat, log_norm)| {
            let z = l_mat.solve_lower_triangular(&(&xv - mean));
            match z {
                Some(z) => share.ln() + log_norm - 0.5 * z.norm_squared(),
                None => f64::NEG_INFINITY,
            }
        });
        let lg = log_sum_exp(terms);
        log_sum_exp([self.alpha.ln() + lq0, (1.0 - self.alpha).ln() + lg])
    }
}

/// `ln Σ exp(v)`, stable; `-inf` for no terms or all `-inf`. Two passes
/// over the (cloned) iterator, no allocation: it runs once per draw.
pub fn log_sum_exp(v: impl IntoIterator<Item = f64> + Clone) -> f64 {
    let m = v.clone().into_iter().fold(f64::NEG_INFINITY, f64::max);
    if m == f64::NEG_INFINITY {
        return m;
    }
    m + v.into_iter().map(|x| (x - m).exp()).sum::<f64>().ln()
}

/// Pareto k̂ of importance weights (Vehtari, Simpson, Gelman, Yao & Gabry
/// 2024): the shape of a generalised Pareto distribution fitted, by Zhang
/// & Stephens' (2009) empirical-Bayes estimate with its weakly informative
/// prior, to the `M = min(n/5, 3√n)` largest weights above the next one.
/// Below 0.5 the importance estimate converges fast; 0.5-0.7 slower; above
/// 0.7 it is unreliable whatever the ESS says. NaN for fewer than 25
/// positive weights (or all equal).
///
/// Hand-written: a few lines of a published estimator for which no
/// maintained Rust crate exists.
pub fn pareto_k_hat(weights: &[f64]) -> f64 {
    let mut w: Vec<f64> = weights.iter().copied().filter(|v| *v > 0.0 && v.is_finite()).collect();
    let n = w.len();
    if n < 25 {
        return f64::NAN;
    }
    w.sort_by(f64::total_cmp);
    let m = ((n as f64 / 5.0).min(3.0 * (n as f64).sqrt())).ceil() as usize;
    let m = m.clamp(5, n - 1);
    let cut = w[n - m - 1];
    let x: Vec<f64> = w[n - m..].iter().map(|v| v - cut).collect();
    if x.iter().all(|v| *v <= 0.0) {
        return f64::NAN;
    }
    gpd_fit_k(&x)
}

/// Zhang & Stephens (2009) estimate of the generalised Pareto shape `k` of
/// the sorted, non-negative exceedances `x`, with the weakly informative
/// prior of Vehtari et al. (shrink towards 0.5 by 10 pseudo-draws).
fn gpd_fit_k(x: &[f64]) -> f64 {
    let n = x.len() as f64;
    let prior_bs = 3.0;
    let m_est = 30 + (n.sqrt() as usize);
    let xstar = x[((n / 4.0 + 0.5).floor() as usize).saturating_sub(1).min(x.len() - 1)];
    let xmax = x[x.len() - 1];
    if !(xstar > 0.0 && xmax > 0.0) {
        return f64::NAN;
    }
    let b: Vec<f64> = (1..=m_est)
        .map(|j| 1.0 / xmax + (1.0 - (m_est as f64 / (j as f64 - 0.5)).sqrt()) / (prior_bs * xstar))
        .collect();
    let k_of = |bj: f64| -> f64 { x.iter().map(|xi| (-bj * xi).ln_1p()).sum::<f64>() / n };
    let len: Vec<f64> = b.iter().map(|&bj| n * ((-bj / k_of(bj)).ln() - k_of(bj) - 1.0)).collect();
    let lmax = len.iter().copied().filter(|v| v.is_finite()).fold(f64::NEG_INFINITY, f64::max);
    if !lmax.is_finite() {
        return f64::NAN;
    }
    let wts: Vec<f64> = len.iter().map(|l| if l.is_finite() { (l - lmax).exp() } else { 0.0 }).collect();
    let sw: f64 = wts.iter().sum();
    let b_post: f64 = b.iter().zip(&wts).map(|(bj, w)| bj * w).sum::<f64>() / sw;
    // The estimate of k at the posterior-mean b (k > 0: a heavy tail).
    let k = k_of(b_post);
    // Weakly informative prior: shrink towards 0.5 as if 10 draws said so.
    (n * k + 10.0 * 0.5) / (n + 10.0)
}

impl crate::Sampler for ImportanceConfig {
    fn name(&self) -> &'static str {
        "importance"
    }

    /// Adaptive importance sampling from [`ImportanceConfig::reference`]
    /// (about `init` when its mean is unset), one group.
    fn sample(&self, density: &dyn crate::GradLogDensity, init: &[f64], seed: u64) -> Result<Draws, SamplerError> {
        let base = crate::smc::resolve_reference(&self.reference, init)?;
        Ok(self.run(density, &base, &|_| 0, 1, seed)?.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Exact GPD draws of known shape give k̂ near it.
    #[test]
    fn pareto_k_of_known_tails() {
        let mut rng = ChaCha8Rng::seed_from_u64(4);
        for k in [0.2, 0.5, 0.9] {
            let w: Vec<f64> = (0..20_000)
                .map(|_| {
                    let u: f64 = rng.gen();
                    ((1.0 - u).powf(-k) - 1.0) / k
                })
                .collect();
            let est = pareto_k_hat(&w);
            assert!((est - k).abs() < 0.1, "k {k}: estimated {est}");
        }
        // Bounded weights: k̂ well below 0.5.
        let w: Vec<f64> = (0..20_000).map(|_| rng.gen::<f64>()).collect();
        assert!(pareto_k_hat(&w) < 0.0, "uniform weights: {}", pareto_k_hat(&w));
    }
}
