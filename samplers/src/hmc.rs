//! Hamiltonian Monte Carlo: the shared machinery (metric, phase points,
//! leapfrog, step-size initialisation, the warm-up driver) and the static
//! HMC kernel with a fixed number of leapfrog steps or a fixed trajectory
//! length.
//!
//! References: Neal (2011), *MCMC using Hamiltonian dynamics*, Handbook of
//! MCMC ch. 5; Betancourt (2017), *A conceptual introduction to Hamiltonian
//! Monte Carlo*, arXiv:1701.02434; Hoffman & Gelman (2014), JMLR 15 (dual
//! averaging, step-size heuristic).
//!
//! The kinetic energy is Gaussian, `K(p) = p' M^{-1} p / 2`; the adapted
//! "metric" is the inverse mass matrix `M^{-1}`, an estimate of the posterior
//! covariance.
// Index loops mirror the formulas; negated comparisons deliberately reject NaN.
#![allow(clippy::needless_range_loop, clippy::neg_cmp_op_on_partial_ord)]

use crate::adapt::{
    AdaptAction, Adaptation, DualAveragingConfig, MetricKind, WarmupAdapter, WindowConfig,
};
use crate::observer::{report, Observer};
use crate::{check_init, DrawStats, Draws, GradLogDensity, SamplerError};
use nalgebra::DMatrix;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;
use serde::{Deserialize, Serialize};

/// The inverse mass matrix `M^{-1}` and what is needed to draw momenta
/// `p ~ N(0, M)`.
#[derive(Debug, Clone, PartialEq)]
pub enum Metric {
    /// Diagonal `M^{-1} = diag(inv_mass)`.
    Diag {
        /// Diagonal of `M^{-1}` (posterior variances).
        inv_mass: Vec<f64>,
    },
    /// Dense `M^{-1}`.
    Dense {
        /// Row-major `M^{-1}` (posterior covariance).
        inv_mass: Vec<f64>,
        /// Row-major lower Cholesky factor `L` of `M = (M^{-1})^{-1}`.
        chol_mass: Vec<f64>,
    },
}

impl Metric {
    /// The identity metric in `dim` dimensions.
    pub fn unit(dim: usize, kind: MetricKind) -> Metric {
        match kind {
            MetricKind::Diag => Metric::Diag {
                inv_mass: vec![1.0; dim],
            },
            MetricKind::Dense => {
                let id: Vec<f64> = (0..dim * dim)
                    .map(|k| if k / dim == k % dim { 1.0 } else { 0.0 })
                    .collect();
                Metric::Dense {
                    inv_mass: id.clone(),
                    chol_mass: id,
                }
            }
        }
    }

    /// Build from an estimate: `dim` variances (diag) or a row-major `dim*dim`
    /// covariance (dense).
    pub fn from_estimate(
        dim: usize,
        kind: MetricKind,
        est: Vec<f64>,
    ) -> Result<Metric, SamplerError> {
        match kind {
            MetricKind::Diag => {
                if est.len() != dim || est.iter().any(|v| !(*v > 0.0 && v.is_finite())) {
                    return Err(SamplerError::Numerical(format!(
                        "diagonal metric estimate is not positive: {est:?}"
                    )));
                }
                Ok(Metric::Diag { inv_mass: est })
            }
            MetricKind::Dense => {
                if est.len() != dim * dim || est.iter().any(|v| !v.is_finite()) {
                    return Err(SamplerError::Numerical(
                        "dense metric estimate is not finite".into(),
                    ));
                }
                let cov = DMatrix::from_row_slice(dim, dim, &est);
                let cov = (&cov + cov.transpose()) * 0.5;
                let inv = cov
                    .clone()
                    .cholesky()
                    .ok_or_else(|| {
                        SamplerError::Numerical(
                            "dense metric estimate is not positive definite".into(),
                        )
                    })?
                    .inverse();
                let inv = (&inv + inv.transpose()) * 0.5;
                let l = inv
                    .cholesky()
                    .ok_or_else(|| {
                        SamplerError::Numerical("mass matrix is not positive definite".into())
                    })?
                    .l();
                let mut chol = vec![0.0; dim * dim];
                for i in 0..dim {
                    for j in 0..=i {
                        chol[i * dim + j] = l[(i, j)];
                    }
                }
                let inv_mass = (0..dim * dim).map(|k| cov[(k / dim, k % dim)]).collect();
                Ok(Metric::Dense {
                    inv_mass,
                    chol_mass: chol,
                })
            }
        }
    }

    /// The inverse mass matrix: `d` variances (diag) or row-major `d*d`.
    pub fn inverse_mass(&self) -> &[f64] {
        match self {
            Metric::Diag { inv_mass } | Metric::Dense { inv_mass, .. } => inv_mass,
        }
    }

    /// `out = M^{-1} p`.
    #[inline]
    pub fn velocity(&self, p: &[f64], out: &mut [f64]) {
        match self {
            Metric::Diag { inv_mass } => {
                for i in 0..p.len() {
                    out[i] = inv_mass[i] * p[i];
                }
            }
            Metric::Dense { inv_mass, .. } => {
                let d = p.len();
                for i in 0..d {
                    let row = &inv_mass[i * d..(i + 1) * d];
                    out[i] = row.iter().zip(p).map(|(a, b)| a * b).sum();
                }
            }
        }
    }

    /// Draw `p ~ N(0, M)` into `p` (in place, no allocation).
    pub fn sample_momentum<R: Rng + ?Sized>(&self, rng: &mut R, p: &mut [f64]) {
        for v in p.iter_mut() {
            *v = rng.sample(StandardNormal);
        }
        match self {
            Metric::Diag { inv_mass } => {
                for i in 0..p.len() {
                    p[i] /= inv_mass[i].sqrt();
                }
            }
            Metric::Dense { chol_mass, .. } => {
                // p = L z, from the last row up so z[0..=i] is still intact.
                let d = p.len();
                for i in (0..d).rev() {
                    let row = &chol_mass[i * d..i * d + i + 1];
                    p[i] = row.iter().zip(&p[..=i]).map(|(a, b)| a * b).sum();
                }
            }
        }
    }
}

/// A point in phase space with everything the integrator reuses.
#[derive(Debug, Clone, PartialEq)]
pub struct PhasePoint {
    /// Position.
    pub q: Vec<f64>,
    /// Momentum.
    pub p: Vec<f64>,
    /// Velocity `M^{-1} p` (the "sharp" momentum of Betancourt 2017).
    pub v: Vec<f64>,
    /// Gradient of the log density at `q`.
    pub grad: Vec<f64>,
    /// Log density at `q`.
    pub logp: f64,
}

impl PhasePoint {
    /// Zeroed point of dimension `dim`.
    pub fn new(dim: usize) -> Self {
        PhasePoint {
            q: vec![0.0; dim],
            p: vec![0.0; dim],
            v: vec![0.0; dim],
            grad: vec![0.0; dim],
            logp: 0.0,
        }
    }

    /// Copy `other` into `self` without allocating.
    #[inline]
    pub fn copy_from(&mut self, other: &PhasePoint) {
        self.q.copy_from_slice(&other.q);
        self.p.copy_from_slice(&other.p);
        self.v.copy_from_slice(&other.v);
        self.grad.copy_from_slice(&other.grad);
        self.logp = other.logp;
    }
}

/// A density with a kinetic energy: the Hamiltonian system.
pub struct Hamiltonian<'a> {
    /// The target.
    pub density: &'a dyn GradLogDensity,
    /// The metric.
    pub metric: Metric,
}

impl<'a> Hamiltonian<'a> {
    /// A Hamiltonian with the unit metric.
    pub fn new(density: &'a dyn GradLogDensity, kind: MetricKind) -> Self {
        Hamiltonian {
            metric: Metric::unit(density.dim(), kind),
            density,
        }
    }

    /// Point at `q` with log density and gradient evaluated, zero momentum.
    pub fn point_at(&self, q: &[f64]) -> PhasePoint {
        let mut z = PhasePoint::new(q.len());
        z.q.copy_from_slice(q);
        z.logp = self.density.log_density_and_gradient(&z.q, &mut z.grad);
        z
    }

    /// Draw a fresh momentum (and its velocity) at `z`.
    pub fn refresh_momentum<R: Rng + ?Sized>(&self, z: &mut PhasePoint, rng: &mut R) {
        self.metric.sample_momentum(rng, &mut z.p);
        self.metric.velocity(&z.p, &mut z.v);
    }

    /// Total energy `H = -log p(q) + p' M^{-1} p / 2` (needs `z.v` current);
    /// `+inf` when not finite.
    #[inline]
    pub fn energy(&self, z: &PhasePoint) -> f64 {
        let k: f64 = 0.5 * z.p.iter().zip(&z.v).map(|(a, b)| a * b).sum::<f64>();
        let h = -z.logp + k;
        if h.is_nan() {
            f64::INFINITY
        } else {
            h
        }
    }

    /// One leapfrog step of size `eps` (negative integrates backwards).
    /// Returns `false` if the log density at the new position is not finite.
    #[inline]
    pub fn leapfrog(&self, z: &mut PhasePoint, eps: f64) -> bool {
        let half = 0.5 * eps;
        for i in 0..z.p.len() {
            z.p[i] += half * z.grad[i];
        }
        self.metric.velocity(&z.p, &mut z.v);
        for i in 0..z.q.len() {
            z.q[i] += eps * z.v[i];
        }
        z.logp = self.density.log_density_and_gradient(&z.q, &mut z.grad);
        if !z.logp.is_finite() || z.grad.iter().any(|g| !g.is_finite()) {
            z.logp = f64::NEG_INFINITY;
            return false;
        }
        for i in 0..z.p.len() {
            z.p[i] += half * z.grad[i];
        }
        self.metric.velocity(&z.p, &mut z.v);
        true
    }

    /// Stan's step-size heuristic (Hoffman & Gelman 2014, Algorithm 4):
    /// double or halve `eps` from `eps0` until the one-step acceptance
    /// crosses 0.8. `z` (position, gradient) is not changed.
    pub fn initial_step_size<R: Rng + ?Sized>(
        &self,
        z: &PhasePoint,
        eps0: f64,
        rng: &mut R,
    ) -> f64 {
        let mut eps = eps0;
        let mut w = z.clone();
        let mut direction = 0i32;
        for _ in 0..100 {
            w.copy_from(z);
            self.refresh_momentum(&mut w, rng);
            let h0 = self.energy(&w);
            self.leapfrog(&mut w, eps);
            let h = self.energy(&w);
            let ok = h0 - h > 0.8f64.ln();
            if direction == 0 {
                direction = if ok { 1 } else { -1 };
            }
            if (direction == 1 && !ok) || (direction == -1 && ok) {
                break;
            }
            eps = if direction == 1 { eps * 2.0 } else { eps * 0.5 };
            if !(1e-10..=1e7).contains(&eps) {
                eps = eps.clamp(1e-10, 1e7);
                break;
            }
        }
        eps
    }
}

/// A Hamiltonian transition kernel whose step size and metric the warm-up
/// driver can change.
pub trait HamiltonianKernel<'a> {
    /// Per-chain state (current point plus reusable buffers).
    type State;
    /// The Hamiltonian (density and metric).
    fn hamiltonian(&self) -> &Hamiltonian<'a>;
    /// Replace the metric.
    fn set_metric(&mut self, metric: Metric);
    /// Set the leapfrog step size.
    fn set_step_size(&mut self, eps: f64);
    /// Initial state at `x0` (log density and gradient evaluated).
    fn init(&self, x0: &[f64]) -> Self::State;
    /// One transition; the new draw is `current(state).q`.
    fn step(&self, state: &mut Self::State, rng: &mut ChaCha8Rng) -> DrawStats;
    /// The chain's current point.
    fn current<'s>(&self, state: &'s Self::State) -> &'s PhasePoint;
}

/// Warm-up and run settings of [`run_hamiltonian`] (HMC's and NUTS's
/// configurations give theirs; a user's own kernel brings its own).
#[derive(Debug, Clone, PartialEq)]
pub struct HamiltonianRun {
    /// Warm-up iterations (adaptation; discarded).
    pub n_warmup: usize,
    /// Draws kept after warm-up.
    pub n_draws: usize,
    /// Target acceptance statistic of the step-size adaptation, in (0, 1).
    pub target_accept: f64,
    /// Shape of the metric.
    pub metric: MetricKind,
    /// Whether warm-up adapts the metric (else it stays the identity).
    pub adapt_metric: bool,
    /// First guess of the step size, refined by a doubling search.
    pub init_step_size: f64,
    /// Stan's warm-up windows.
    pub windows: WindowConfig,
}

/// The warm-up and sampling loop of HMC and NUTS, for any
/// [`HamiltonianKernel`] (a user's own kernel included: the adaptation
/// wraps the kernel, the kernel never adapts itself): step size by dual
/// averaging over all warm-up, metric on Stan's windows, step size
/// re-initialised after each metric update and frozen at the dual-averaging
/// average for the draws. Every iteration is handed to `observer`, which
/// may stop the run ([`SamplerError::Cancelled`]).
///
/// ```
/// use eqnemix_samplers::hmc::{run_hamiltonian, HamiltonianKernel, HamiltonianRun, Hamiltonian, Metric, PhasePoint};
/// use eqnemix_samplers::adapt::{MetricKind, WindowConfig};
/// use eqnemix_samplers::{DrawStats, GradLogDensity, LogDensity};
/// use rand_chacha::ChaCha8Rng;
///
/// /// A user's kernel: one leapfrog step and a Metropolis correction
/// /// (Langevin-like HMC), adapted by the shared warm-up.
/// struct OneStep<'a> { ham: Hamiltonian<'a>, eps: f64 }
/// impl<'a> HamiltonianKernel<'a> for OneStep<'a> {
///     type State = (PhasePoint, PhasePoint);
///     fn hamiltonian(&self) -> &Hamiltonian<'a> { &self.ham }
///     fn set_metric(&mut self, m: Metric) { self.ham.metric = m; }
///     fn set_step_size(&mut self, eps: f64) { self.eps = eps; }
///     fn init(&self, x0: &[f64]) -> Self::State { let z = self.ham.point_at(x0); (z.clone(), z) }
///     fn current<'s>(&self, s: &'s Self::State) -> &'s PhasePoint { &s.0 }
///     fn step(&self, s: &mut Self::State, rng: &mut ChaCha8Rng) -> DrawStats {
///         use rand::Rng;
///         self.ham.refresh_momentum(&mut s.0, rng);
///         s.1.copy_from(&s.0);
///         let h0 = self.ham.energy(&s.0);
///         let ok = self.ham.leapfrog(&mut s.1, self.eps);
///         let a = if ok { (h0 - self.ham.energy(&s.1)).exp().min(1.0) } else { 0.0 };
///         if rng.gen::<f64>() < a { s.0.copy_from(&s.1); }
///         DrawStats { accept_prob: Some(a), log_density: s.0.logp, ..Default::default() }
///     }
/// }
///
/// struct Normal2;
/// impl LogDensity for Normal2 {
///     fn dim(&self) -> usize { 2 }
///     fn log_density(&self, x: &[f64]) -> f64 { -0.5 * (x[0] * x[0] + 4.0 * x[1] * x[1]) }
/// }
/// impl GradLogDensity for Normal2 {
///     fn log_density_and_gradient(&self, x: &[f64], g: &mut [f64]) -> f64 {
///         g[0] = -x[0];
///         g[1] = -4.0 * x[1];
///         self.log_density(x)
///     }
/// }
///
/// let kernel = OneStep { ham: Hamiltonian::new(&Normal2, MetricKind::Diag), eps: 0.1 };
/// let run = HamiltonianRun {
///     n_warmup: 500, n_draws: 2000, target_accept: 0.8, metric: MetricKind::Diag,
///     adapt_metric: true, init_step_size: 0.1, windows: WindowConfig::default(),
/// };
/// let (draws, adaptation) = run_hamiltonian(kernel, &run, &[1.0, 1.0], 3, &mut ()).unwrap();
/// // The adapted inverse mass matrix approaches the variances 1 and 1/4.
/// assert!(adaptation.metric[0] > 2.0 * adaptation.metric[1], "{:?}", adaptation.metric);
/// assert_eq!(draws.n_draws(), 2000);
/// ```
pub fn run_hamiltonian<'a, K: HamiltonianKernel<'a>>(
    mut kernel: K,
    run: &HamiltonianRun,
    init: &[f64],
    seed: u64,
    observer: &mut dyn Observer,
) -> Result<(Draws, Adaptation), SamplerError> {
    check_init(kernel.hamiltonian().density, init)?;
    if !(run.target_accept > 0.0 && run.target_accept < 1.0) {
        return Err(SamplerError::InvalidConfig(format!(
            "target_accept = {} must be in (0, 1)",
            run.target_accept
        )));
    }
    if !(run.init_step_size > 0.0 && run.init_step_size.is_finite()) {
        return Err(SamplerError::InvalidConfig(format!(
            "init_step_size = {} must be > 0",
            run.init_step_size
        )));
    }
    let dim = init.len();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut state = kernel.init(init);
    let start = kernel.current(&state).clone();
    let g_ok = start.grad.iter().all(|g| g.is_finite());
    if !g_ok {
        return Err(SamplerError::Numerical(
            "gradient at the initial point is not finite".into(),
        ));
    }
    let mut eps = if run.n_warmup > 0 {
        kernel
            .hamiltonian()
            .initial_step_size(&start, run.init_step_size, &mut rng)
    } else {
        run.init_step_size
    };
    kernel.set_step_size(eps);
    let dual = DualAveragingConfig {
        target_accept: run.target_accept,
        ..Default::default()
    };
    let mut adapter = WarmupAdapter::new(
        dim,
        run.n_warmup,
        run.metric,
        run.adapt_metric,
        &run.windows,
        dual,
        eps,
    );
    let mut n_metric_updates = 0;
    let total = run.n_warmup + run.n_draws;
    for it in 0..run.n_warmup {
        let st = kernel.step(&mut state, &mut rng);
        report(observer, it + 1, total, true, &st)?;
        let q = &kernel.current(&state).q;
        match adapter.update(it, st.accept_prob.unwrap_or(0.0), q) {
            AdaptAction::StepSize(e) => eps = e,
            AdaptAction::Metric(m) => {
                n_metric_updates += 1;
                kernel.set_metric(Metric::from_estimate(dim, run.metric, m)?);
                let here = kernel.current(&state).clone();
                eps = kernel.hamiltonian().initial_step_size(&here, eps, &mut rng);
                adapter.restart_step_size(eps);
            }
        }
        kernel.set_step_size(eps);
    }
    let mut draws = Draws::new(dim);
    draws.values.reserve(run.n_draws * dim);
    draws.stats.reserve(run.n_draws);
    for i in 0..run.n_draws {
        let st = kernel.step(&mut state, &mut rng);
        report(observer, run.n_warmup + i + 1, total, false, &st)?;
        draws.push(&kernel.current(&state).q, st);
    }
    let adaptation = Adaptation {
        step_size: eps,
        metric_kind: run.metric,
        metric: kernel.hamiltonian().metric.inverse_mass().to_vec(),
        n_metric_updates,
    };
    Ok((draws, adaptation))
}

/// How long each static HMC trajectory is.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Trajectory {
    /// A fixed number of leapfrog steps.
    Steps(u32),
    /// A fixed integration time `L`: `ceil(L / step_size)` steps.
    Length(f64),
}

/// Static HMC settings (serde; every field has a default).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct HmcConfig {
    /// Warm-up (adaptation) iterations, discarded (1000).
    pub n_warmup: usize,
    /// Draws kept after warm-up (1000).
    pub n_draws: usize,
    /// Target mean acceptance probability for dual averaging (0.8).
    pub target_accept: f64,
    /// Trajectory: fixed steps or fixed length (`Length(1.5)`, in units of
    /// the posterior scale once the metric is adapted).
    pub trajectory: Trajectory,
    /// Metric shape: `diag` or `dense` (`diag`).
    pub metric: MetricKind,
    /// Adapt the metric during warm-up (true); if false, the unit metric.
    pub adapt_metric: bool,
    /// Starting point of the step-size heuristic (1.0).
    pub init_step_size: f64,
    /// Energy error above which a transition is flagged divergent (1000).
    pub max_energy_error: f64,
    /// Warm-up windows (Stan's 75/25/50).
    pub windows: WindowConfig,
}

impl Default for HmcConfig {
    fn default() -> Self {
        HmcConfig {
            n_warmup: 1000,
            n_draws: 1000,
            target_accept: 0.8,
            trajectory: Trajectory::Length(1.5),
            metric: MetricKind::Diag,
            adapt_metric: true,
            init_step_size: 1.0,
            max_energy_error: 1000.0,
            windows: WindowConfig::default(),
        }
    }
}

/// The static HMC kernel: draw a momentum, take `n` leapfrog steps,
/// accept the end point with probability `min(1, exp(H0 - H1))`.
pub struct HmcKernel<'a> {
    /// Density and metric.
    pub ham: Hamiltonian<'a>,
    /// Leapfrog step size.
    pub step_size: f64,
    /// Trajectory rule.
    pub trajectory: Trajectory,
    /// Divergence threshold on the energy error.
    pub max_energy_error: f64,
}

/// State of one HMC chain.
#[derive(Debug, Clone)]
pub struct HmcState {
    /// Current point.
    pub current: PhasePoint,
    proposal: PhasePoint,
}

impl<'a> HmcKernel<'a> {
    /// Number of leapfrog steps at the current step size.
    pub fn n_steps(&self) -> u32 {
        match self.trajectory {
            Trajectory::Steps(n) => n.max(1),
            Trajectory::Length(l) => ((l / self.step_size).ceil() as u32).clamp(1, 1 << 16),
        }
    }
}

impl<'a> HamiltonianKernel<'a> for HmcKernel<'a> {
    type State = HmcState;
    fn hamiltonian(&self) -> &Hamiltonian<'a> {
        &self.ham
    }
    fn set_metric(&mut self, metric: Metric) {
        self.ham.metric = metric;
    }
    fn set_step_size(&mut self, eps: f64) {
        self.step_size = eps;
    }
    fn init(&self, x0: &[f64]) -> HmcState {
        let current = self.ham.point_at(x0);
        HmcState {
            proposal: current.clone(),
            current,
        }
    }
    fn current<'s>(&self, state: &'s HmcState) -> &'s PhasePoint {
        &state.current
    }
    fn step(&self, s: &mut HmcState, rng: &mut ChaCha8Rng) -> DrawStats {
        self.ham.refresh_momentum(&mut s.current, rng);
        let h0 = self.ham.energy(&s.current);
        s.proposal.copy_from(&s.current);
        let n = self.n_steps();
        let mut evals = 0;
        let mut ok = true;
        for _ in 0..n {
            evals += 1;
            if !self.ham.leapfrog(&mut s.proposal, self.step_size) {
                ok = false;
                break;
            }
        }
        let h1 = if ok {
            self.ham.energy(&s.proposal)
        } else {
            f64::INFINITY
        };
        let divergent = h1 - h0 > self.max_energy_error;
        let accept_prob = if h1.is_finite() {
            (h0 - h1).exp().min(1.0)
        } else {
            0.0
        };
        let accepted = rng.gen::<f64>() < accept_prob;
        if accepted {
            std::mem::swap(&mut s.current, &mut s.proposal);
        }
        DrawStats {
            log_density: s.current.logp,
            accept_prob: Some(accept_prob),
            step_size: Some(self.step_size),
            tree_depth: None,
            n_grad_evals: Some(evals),
            divergent,
            energy: Some(if accepted { h1 } else { h0 }),
            warmup: false,
        }
    }
}

/// The glue HMC and NUTS configurations share: [`Sampler`] and
/// `sample_adapted` through their `sample_adapted_observed`, and the [`HamiltonianRun`] of their common warm-up
/// fields (`n_warmup`, `n_draws`, `target_accept`, `metric`,
/// `adapt_metric`, `init_step_size`, `windows`).
macro_rules! hamiltonian_sampler {
    ($config:ty, $name:literal) => {
        impl $crate::Sampler for $config {
            fn name(&self) -> &'static str {
                $name
            }
            fn sample(
                &self,
                density: &dyn $crate::GradLogDensity,
                init: &[f64],
                seed: u64,
            ) -> Result<$crate::Draws, $crate::SamplerError> {
                self.sample_adapted(density, init, seed).map(|(d, _)| d)
            }
            fn sample_observed(
                &self,
                density: &dyn $crate::GradLogDensity,
                init: &[f64],
                seed: u64,
                observer: &mut dyn $crate::Observer,
            ) -> Result<$crate::Draws, $crate::SamplerError> {
                self.sample_adapted_observed(density, init, seed, observer).map(|(d, _)| d)
            }
        }

        impl $config {
            /// Like [`Sampler::sample`](crate::Sampler::sample), also
            /// returning the adapted step size and metric (inverse mass
            /// matrix).
            pub fn sample_adapted(
                &self,
                density: &dyn $crate::GradLogDensity,
                init: &[f64],
                seed: u64,
            ) -> Result<($crate::Draws, $crate::adapt::Adaptation), $crate::SamplerError> {
                self.sample_adapted_observed(density, init, seed, &mut ())
            }

            fn run_settings(&self) -> $crate::hmc::HamiltonianRun {
                $crate::hmc::HamiltonianRun {
                    n_warmup: self.n_warmup,
                    n_draws: self.n_draws,
                    target_accept: self.target_accept,
                    metric: self.metric,
                    adapt_metric: self.adapt_metric,
                    init_step_size: self.init_step_size,
                    windows: self.windows,
                }
            }
        }
    };
}
pub(crate) use hamiltonian_sampler;

hamiltonian_sampler!(HmcConfig, "hmc");

impl HmcConfig {
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
        if let Trajectory::Length(l) = self.trajectory {
            if !(l > 0.0 && l.is_finite()) {
                return Err(SamplerError::InvalidConfig(format!(
                    "trajectory length = {l} must be > 0"
                )));
            }
        }
        let kernel = HmcKernel {
            ham: Hamiltonian::new(density, self.metric),
            step_size: self.init_step_size,
            trajectory: self.trajectory,
            max_energy_error: self.max_energy_error,
        };
        run_hamiltonian(kernel, &self.run_settings(), init, seed, observer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::targets::CorrelatedGaussian;

    /// Leapfrog is time-reversible and nearly conserves energy.
    #[test]
    fn leapfrog_reversible_and_symplectic() {
        let t = CorrelatedGaussian::ar1_10d();
        for kind in [MetricKind::Diag, MetricKind::Dense] {
            let est: Vec<f64> = match kind {
                MetricKind::Diag => (0..10).map(|i| t.covariance()[(i, i)]).collect(),
                MetricKind::Dense => t.covariance().transpose().iter().cloned().collect(),
            };
            let ham = Hamiltonian {
                density: &t,
                metric: Metric::from_estimate(10, kind, est).unwrap(),
            };
            let mut rng = ChaCha8Rng::seed_from_u64(1);
            let mut z = ham.point_at(&[0.3; 10]);
            ham.refresh_momentum(&mut z, &mut rng);
            let z0 = z.clone();
            let h0 = ham.energy(&z);
            // Max energy error over a fixed integration time 1.0: a
            // second-order integrator's error shrinks 4x when eps halves.
            let max_err = |eps: f64| {
                let mut w = z0.clone();
                let mut m: f64 = 0.0;
                for _ in 0..(1.0 / eps).round() as usize {
                    ham.leapfrog(&mut w, eps);
                    m = m.max((ham.energy(&w) - h0).abs());
                }
                m
            };
            let ratio = max_err(0.02) / max_err(0.01);
            assert!((3.5..4.5).contains(&ratio), "error ratio {ratio}");
            for _ in 0..20 {
                ham.leapfrog(&mut z, 0.05);
            }
            for _ in 0..20 {
                ham.leapfrog(&mut z, -0.05);
            }
            for i in 0..10 {
                assert!((z.q[i] - z0.q[i]).abs() < 1e-10 && (z.p[i] - z0.p[i]).abs() < 1e-10);
            }
        }
    }

    /// Momenta drawn from the dense metric have covariance M.
    #[test]
    fn dense_momentum_has_covariance_m() {
        let cov = [2.0, 0.6, 0.6, 0.5];
        let m = Metric::from_estimate(2, MetricKind::Dense, cov.to_vec()).unwrap();
        let mass = DMatrix::from_row_slice(2, 2, &cov).try_inverse().unwrap();
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let n = 200_000;
        let mut s = [0.0; 3];
        let mut p = [0.0; 2];
        for _ in 0..n {
            m.sample_momentum(&mut rng, &mut p);
            s[0] += p[0] * p[0];
            s[1] += p[0] * p[1];
            s[2] += p[1] * p[1];
        }
        let est = [s[0] / n as f64, s[1] / n as f64, s[2] / n as f64];
        let want = [mass[(0, 0)], mass[(0, 1)], mass[(1, 1)]];
        for k in 0..3 {
            // sd of a sample second moment ~ sqrt(2/n) * scale: 5 sd tolerance.
            assert!(
                (est[k] - want[k]).abs() < 5.0 * (2.0f64 / n as f64).sqrt() * want[0].max(want[2]),
                "{est:?} vs {want:?}"
            );
        }
    }
}
