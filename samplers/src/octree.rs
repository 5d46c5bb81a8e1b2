//! Adaptive oct-tree importance sampling for bounded, low-dimensional
//! densities (after the oct-tree search of NonLinLoc, Lomax et al. 2000).
//!
//! 1. Cover the box `[lower, upper]` with a regular grid of cells and evaluate
//!    the density at each cell centre.
//! 2. Repeatedly split the cell of largest probability mass
//!    `m = p(centre) * volume` into its `2^d` children (8 in 3-D, hence
//!    "oct-tree"), until `max_cells` leaf cells exist.
//! 3. The leaves define a piecewise-constant approximation
//!    `q_tree(x) = p(centre of the leaf holding x) / sum_j m_j`. Draws come
//!    from the defensive mixture `q = (1 - defensive) q_tree + defensive U(box)`
//!    (pick a leaf with probability `m_j / sum m`, then a uniform point in it;
//!    or a uniform point in the box), and each draw gets the importance weight
//!    `p(x) / q(x)`, which corrects for the piecewise approximation. The
//!    defensive part keeps `q > 0` wherever `p > 0` in the box, so the weighted
//!    estimates (and `log Z`) are consistent even where a cell centre missed
//!    the mass.
//!
//! `log Z` is estimated as `log mean(p(x)/q(x))` (unbiased for `Z` in the
//! box); the quadrature `log sum_j m_j` is reported too.
//!
//! The cost grows like `2^d` per split and the cells needed for a given
//! resolution grow exponentially with `d`: use it for `d <= 4` (a hypocentre
//! is 3-D). Mass outside the box is ignored by construction.
//!
//! ```
//! use eqnemix_samplers::octree::OctreeConfig;
//! use eqnemix_samplers::targets::GaussianMixture;
//! let target = GaussianMixture::two_mode_1d(0.3, 0.7, 6.0).unwrap();
//! let cfg = OctreeConfig { lower: vec![-12.0], upper: vec![12.0], max_cells: 500, ..Default::default() };
//! let run = cfg.run(&target, 3).unwrap();
//! assert!((run.log_evidence - target.log_z()).abs() < 0.05);
//! assert!(run.draws.importance_ess() > 0.8 * run.draws.n_draws() as f64);
//! ```

// Indexed loops mirror the formulas; `!(x > 0.0)` deliberately rejects NaN.
#![allow(clippy::needless_range_loop, clippy::neg_cmp_op_on_partial_ord)]

use crate::smc::weights::{kish_ess, normalise_log_weights};
use crate::{DrawStats, Draws, GradLogDensity, GradientFreeSampler, LogDensity, Sampler, SamplerError};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;
use std::collections::BinaryHeap;

/// Largest dimension accepted (a split makes `2^d` children).
pub const MAX_DIM: usize = 6;

/// Oct-tree settings. `lower` and `upper` are required (same units as the
/// parameters, e.g. km for a hypocentre).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OctreeConfig {
    /// Lower corner of the box searched.
    pub lower: Vec<f64>,
    /// Upper corner of the box searched.
    pub upper: Vec<f64>,
    /// Cells of the initial grid along each axis: one entry for all axes, or
    /// one per axis. Default `[8]`.
    pub initial_divisions: Vec<usize>,
    /// Number of leaf cells at which refinement stops. Default 20 000.
    pub max_cells: usize,
    /// Importance draws returned. Default 5000.
    pub n_draws: usize,
    /// Fraction of draws taken uniformly over the box (defensive importance
    /// sampling). Default 0.05.
    pub defensive: f64,
}

impl Default for OctreeConfig {
    fn default() -> Self {
        OctreeConfig {
            lower: Vec::new(),
            upper: Vec::new(),
            initial_divisions: vec![8],
            max_cells: 20_000,
            n_draws: 5000,
            defensive: 0.05,
        }
    }
}

/// The record of one oct-tree run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OctreeRun {
    /// Weighted draws (`weights` normalised, `log_evidence` set).
    pub draws: Draws,
    /// Importance-sampling estimate of `log ∫_box p`.
    pub log_evidence: f64,
    /// Quadrature estimate `log sum_j p(centre_j) vol_j` over the leaves.
    pub log_evidence_quadrature: f64,
    /// Number of leaf cells.
    pub n_leaves: usize,
    /// Density evaluations spent on the tree (cell centres).
    pub n_tree_evals: usize,
    /// Kish effective sample size of the draws.
    pub ess: f64,
    /// Smallest leaf width along each axis.
    pub min_cell_width: Vec<f64>,
}

/// Max-heap entry keyed by log mass.
struct Entry(f64, usize);
impl PartialEq for Entry {
    fn eq(&self, o: &Self) -> bool {
        self.cmp(o) == Ordering::Equal
    }
}
impl Eq for Entry {}
impl PartialOrd for Entry {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Entry {
    fn cmp(&self, o: &Self) -> Ordering {
        // Ties broken by index so the order is deterministic.
        self.0.total_cmp(&o.0).then(o.1.cmp(&self.1))
    }
}

/// The tree: node `k` covers `[lo_k, lo_k + width_k]`; its children (if any)
/// are `2^d` consecutive nodes from `first_child[k]`, child `c` taking the
/// upper half of axis `a` when bit `a` of `c` is set.
struct Tree {
    d: usize,
    lo: Vec<f64>,
    width: Vec<f64>,
    log_p: Vec<f64>,
    first_child: Vec<usize>, // 0 = leaf (node 0 is a root, never a child)
    divisions: Vec<usize>,
    box_lo: Vec<f64>,
    box_width: Vec<f64>,
}

impl Tree {
    fn log_vol(&self, k: usize) -> f64 {
        self.width[k * self.d..(k + 1) * self.d]
            .iter()
            .map(|w| w.ln())
            .sum()
    }

    fn push(
        &mut self,
        lo: &[f64],
        width: &[f64],
        density: &dyn LogDensity,
        centre: &mut [f64],
    ) -> usize {
        for a in 0..self.d {
            centre[a] = lo[a] + 0.5 * width[a];
        }
        let lp = density.log_density(centre);
        self.lo.extend_from_slice(lo);
        self.width.extend_from_slice(width);
        self.log_p
            .push(if lp.is_nan() { f64::NEG_INFINITY } else { lp });
        self.first_child.push(0);
        self.log_p.len() - 1
    }

    /// The leaf holding `x` (which must lie in the box).
    fn locate(&self, x: &[f64]) -> usize {
        let d = self.d;
        let mut k = 0;
        let mut stride = 1;
        for a in 0..d {
            let f =
                ((x[a] - self.box_lo[a]) / self.box_width[a] * self.divisions[a] as f64).floor();
            let i = (f.max(0.0) as usize).min(self.divisions[a] - 1);
            k += i * stride;
            stride *= self.divisions[a];
        }
        while self.first_child[k] != 0 {
            let mut c = 0;
            for a in 0..d {
                if x[a] >= self.lo[k * d + a] + 0.5 * self.width[k * d + a] {
                    c |= 1 << a;
                }
            }
            k = self.first_child[k] + c;
        }
        k
    }
}

impl OctreeConfig {
    fn validate(&self, d: usize) -> Result<Vec<usize>, SamplerError> {
        let bad = |m: String| Err(SamplerError::InvalidConfig(format!("octree.{m}")));
        if d == 0 || d > MAX_DIM {
            return bad(format!(
                "the density has {d} dimensions; the oct-tree handles 1..={MAX_DIM}"
            ));
        }
        if self.lower.len() != d || self.upper.len() != d {
            return bad(format!(
                "lower/upper: need {d} entries each (got {} and {}); the oct-tree needs a bounding box",
                self.lower.len(),
                self.upper.len()
            ));
        }
        for a in 0..d {
            if !(self.lower[a] < self.upper[a]
                && self.lower[a].is_finite()
                && self.upper[a].is_finite())
            {
                return bad(format!("lower/upper: axis {a} needs finite lower < upper"));
            }
        }
        let div = match self.initial_divisions.len() {
            1 => vec![self.initial_divisions[0]; d],
            n if n == d => self.initial_divisions.clone(),
            n => return bad(format!("initial_divisions: {n} entries; give 1 or {d}")),
        };
        if div.contains(&0) {
            return bad("initial_divisions: every entry must be at least 1".into());
        }
        let n0: usize = div.iter().product();
        if n0 > self.max_cells {
            return bad(format!(
                "max_cells = {} is below the {n0} cells of the initial grid",
                self.max_cells
            ));
        }
        if self.n_draws == 0 {
            return bad("n_draws: must be at least 1".into());
        }
        if !(0.0..1.0).contains(&self.defensive) {
            return bad("defensive: must lie in [0, 1)".into());
        }
        Ok(div)
    }

    fn build_tree(&self, density: &dyn LogDensity, div: Vec<usize>) -> Tree {
        let d = density.dim();
        let box_width: Vec<f64> = (0..d).map(|a| self.upper[a] - self.lower[a]).collect();
        let n0: usize = div.iter().product();
        let cap = self.max_cells + self.max_cells / ((1 << d) - 1).max(1) + 1;
        let mut t = Tree {
            d,
            lo: Vec::with_capacity(cap * d),
            width: Vec::with_capacity(cap * d),
            log_p: Vec::with_capacity(cap),
            first_child: Vec::with_capacity(cap),
            divisions: div.clone(),
            box_lo: self.lower.clone(),
            box_width: box_width.clone(),
        };
        let mut centre = vec![0.0; d];
        let mut lo = vec![0.0; d];
        let w0: Vec<f64> = (0..d).map(|a| box_width[a] / div[a] as f64).collect();
        let mut heap = BinaryHeap::with_capacity(cap);
        for k in 0..n0 {
            // Root k: axis 0 varies fastest (matches `locate`).
            let mut r = k;
            for a in 0..d {
                let i = r % div[a];
                r /= div[a];
                lo[a] = self.lower[a] + i as f64 * w0[a];
            }
            let id = t.push(&lo, &w0, density, &mut centre);
            heap.push(Entry(t.log_p[id] + t.log_vol(id), id));
        }
        let mut n_leaves = n0;
        let n_children = 1usize << d;
        let mut half = vec![0.0; d];
        while n_leaves + n_children - 1 <= self.max_cells {
            let Some(Entry(lm, k)) = heap.pop() else {
                break;
            };
            if lm == f64::NEG_INFINITY {
                // Every remaining cell has zero density at its centre.
                heap.push(Entry(lm, k));
                break;
            }
            for a in 0..d {
                half[a] = 0.5 * t.width[k * d + a];
            }
            let first = t.log_p.len();
            t.first_child[k] = first;
            for c in 0..n_children {
                for a in 0..d {
                    lo[a] = t.lo[k * d + a] + if c >> a & 1 == 1 { half[a] } else { 0.0 };
                }
                let id = t.push(&lo, &half, density, &mut centre);
                heap.push(Entry(t.log_p[id] + t.log_vol(id), id));
            }
            n_leaves += n_children - 1;
        }
        t
    }

    /// Build the tree and draw weighted samples. `seed` fixes the draws.
    pub fn run(&self, density: &dyn LogDensity, seed: u64) -> Result<OctreeRun, SamplerError> {
        let d = density.dim();
        let div = self.validate(d)?;
        let tree = self.build_tree(density, div);
        let n_tree_evals = tree.log_p.len();
        let leaves: Vec<usize> = (0..n_tree_evals)
            .filter(|&k| tree.first_child[k] == 0)
            .collect();
        let leaf_lm: Vec<f64> = leaves
            .iter()
            .map(|&k| tree.log_p[k] + tree.log_vol(k))
            .collect();
        let mut prob = vec![0.0; leaves.len()];
        let log_sum_m = normalise_log_weights(&leaf_lm, &mut prob);
        if log_sum_m == f64::NEG_INFINITY {
            return Err(SamplerError::Numerical(format!(
                "octree: the density is zero at all {} cell centres in the box; check lower/upper",
                leaves.len()
            )));
        }
        let mut cum = Vec::with_capacity(prob.len());
        let mut acc = 0.0;
        for p in &prob {
            acc += p;
            cum.push(acc);
        }
        let log_box_vol: f64 = tree.box_width.iter().map(|w| w.ln()).sum();

        // Positions drawn sequentially from one RNG (reproducible), densities in parallel.
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let n = self.n_draws;
        let mut x = vec![0.0; n * d];
        for xi in x.chunks_exact_mut(d) {
            let (lo, w): (&[f64], &[f64]) = if rng.gen::<f64>() < self.defensive {
                (tree.box_lo.as_slice(), tree.box_width.as_slice())
            } else {
                let u: f64 = rng.gen::<f64>() * acc;
                let j = cum.partition_point(|&c| c <= u).min(leaves.len() - 1);
                let k = leaves[j];
                (
                    &tree.lo[k * d..(k + 1) * d],
                    &tree.width[k * d..(k + 1) * d],
                )
            };
            for a in 0..d {
                xi[a] = lo[a] + w[a] * rng.gen::<f64>();
            }
        }
        let alpha = self.defensive;
        let pairs: Vec<(f64, f64)> = x
            .par_chunks_exact(d)
            .map(|xi| {
                let lp = density.log_density(xi);
                let lp = if lp.is_nan() { f64::NEG_INFINITY } else { lp };
                let k = tree.locate(xi);
                // log q = log((1-a) p_k / sum m + a / V_box)
                let lt = (1.0 - alpha).ln() + tree.log_p[k] - log_sum_m;
                let lu = if alpha > 0.0 {
                    alpha.ln() - log_box_vol
                } else {
                    f64::NEG_INFINITY
                };
                let m = lt.max(lu);
                let lq = m + ((lt - m).exp() + (lu - m).exp()).ln();
                (lp, lp - lq)
            })
            .collect();
        let logw: Vec<f64> = pairs.iter().map(|p| p.1).collect();
        let mut w = vec![0.0; n];
        let lse = normalise_log_weights(&logw, &mut w);
        if lse == f64::NEG_INFINITY {
            return Err(SamplerError::Numerical(
                "octree: every importance draw has zero density".into(),
            ));
        }
        let log_evidence = lse - (n as f64).ln();
        let ess = kish_ess(&w);
        let mut draws = Draws::new(d);
        draws.values = x;
        draws.stats = pairs
            .iter()
            .map(|p| DrawStats {
                log_density: p.0,
                ..Default::default()
            })
            .collect();
        draws.weights = Some(w);
        draws.log_evidence = Some(log_evidence);
        let mut min_cell_width = vec![f64::INFINITY; d];
        for &k in &leaves {
            for a in 0..d {
                min_cell_width[a] = min_cell_width[a].min(tree.width[k * d + a]);
            }
        }
        Ok(OctreeRun {
            draws,
            log_evidence,
            log_evidence_quadrature: log_sum_m,
            n_leaves: leaves.len(),
            n_tree_evals,
            ess,
            min_cell_width,
        })
    }
}

impl Sampler for OctreeConfig {
    fn name(&self) -> &'static str {
        "octree"
    }

    /// Weighted draws over the configured box; `init` is used only to check
    /// the dimension.
    fn sample(
        &self,
        density: &dyn GradLogDensity,
        init: &[f64],
        seed: u64,
    ) -> Result<Draws, SamplerError> {
        self.sample_log_density(density, init, seed)
    }
}

impl GradientFreeSampler for OctreeConfig {
    fn sample_log_density(&self, density: &dyn LogDensity, init: &[f64], seed: u64) -> Result<Draws, SamplerError> {
        if init.len() != density.dim() {
            return Err(SamplerError::DimensionMismatch {
                expected: density.dim(),
                got: init.len(),
            });
        }
        Ok(self.run(density, seed)?.draws)
    }
}
