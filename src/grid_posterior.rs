//! Dense-grid evaluation of the location posterior: the reference that the
//! samplers are compared against.
//!
//! The region box is cut into `n_e × n_n × n_z` equal cells and the density
//! is evaluated at each cell centre (in parallel with rayon). Cell masses
//! `P_i = π(x_i) / Σ_j π(x_j)` (midpoint rule; log-sum-exp normalisation)
//! give the mean, covariance, per-axis marginal densities and cluster
//! probabilities `Σ_i P_i r_k(x_i)`. For a smooth density the midpoint rule
//! errs by `O(h²)` on moments (exponentially small for a Gaussian well inside
//! the box), so a grid fine compared with the posterior width is exact to
//! plotting and testing precision.
//!
//! Only 3D posteriors (origin time marginalised) can be gridded.
#![allow(clippy::needless_range_loop)] // loops over the 3 coordinates read best indexed

use crate::posterior::LocationPosterior;
use eqnemix_samplers::LogDensity;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// Why a grid could not be evaluated.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GridPosteriorError {
    /// A dimension has no nodes.
    #[error("grid needs at least one node per axis, got {0:?}")]
    EmptyGrid([usize; 3]),
    /// The posterior samples the origin time (4D).
    #[error("only 3D posteriors (origin time marginalised) can be gridded")]
    NotThreeDimensional,
    /// The density vanishes at every node.
    #[error("the posterior is zero (or NaN) at every grid node")]
    ZeroEverywhere,
}

/// The posterior evaluated on a regular grid of cell centres over the
/// region box.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GridPosterior {
    /// Nodes per axis `[east, north, depth]`.
    pub n: [usize; 3],
    /// Centre of the first cell (km).
    pub origin_km: [f64; 3],
    /// Cell size per axis (km).
    pub spacing_km: [f64; 3],
    /// Log posterior (unnormalised) at each node, index `(i*n_n + j)*n_z + k`.
    pub log_density: Vec<f64>,
    /// Normalised cell masses (sum 1), same indexing.
    pub mass: Vec<f64>,
    /// `ln ∫ π(x) dx` (midpoint rule), the log evidence of the posterior's
    /// unnormalised density (1/km³ units folded in).
    pub log_evidence: f64,
    /// Posterior mean (km).
    pub mean_km: [f64; 3],
    /// Posterior covariance (km²).
    pub cov_km2: [[f64; 3]; 3],
    /// Node of highest density (km).
    pub map_km: [f64; 3],
    /// Marginal density (1/km) along each axis at the cell centres.
    pub marginals: [Vec<f64>; 3],
    /// Posterior probability of each cluster.
    pub cluster_probabilities: Vec<f64>,
    /// Posterior probability of the background component.
    pub background_probability: f64,
}

impl GridPosterior {
    /// Evaluate `posterior` on `n = [n_e, n_n, n_z]` cells over its region.
    pub fn evaluate(
        posterior: &LocationPosterior,
        n: [usize; 3],
    ) -> Result<Self, GridPosteriorError> {
        if n.contains(&0) {
            return Err(GridPosteriorError::EmptyGrid(n));
        }
        if posterior.dim() != 3 {
            return Err(GridPosteriorError::NotThreeDimensional);
        }
        let r = posterior.region();
        let spacing_km = [0, 1, 2].map(|a| (r.max_km[a] - r.min_km[a]) / n[a] as f64);
        let origin_km = [0, 1, 2].map(|a| r.min_km[a] + 0.5 * spacing_km[a]);
        let grid = GridPosterior {
            n,
            origin_km,
            spacing_km,
            log_density: Vec::new(),
            mass: Vec::new(),
            log_evidence: f64::NEG_INFINITY,
            mean_km: [0.0; 3],
            cov_km2: [[0.0; 3]; 3],
            map_km: [0.0; 3],
            marginals: [vec![0.0; n[0]], vec![0.0; n[1]], vec![0.0; n[2]]],
            cluster_probabilities: Vec::new(),
            background_probability: 0.0,
        };
        let total = n[0] * n[1] * n[2];
        let log_density: Vec<f64> = (0..total)
            .into_par_iter()
            .map(|idx| {
                let v = posterior.log_density(&grid.node(idx));
                if v.is_nan() {
                    f64::NEG_INFINITY
                } else {
                    v
                }
            })
            .collect();
        let (imax, &lmax) = log_density
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.total_cmp(b.1))
            .expect("non-empty grid");
        if lmax == f64::NEG_INFINITY {
            return Err(GridPosteriorError::ZeroEverywhere);
        }
        let unnorm: Vec<f64> = log_density.iter().map(|l| (l - lmax).exp()).collect();
        let s: f64 = unnorm.iter().sum();
        let mass: Vec<f64> = unnorm.iter().map(|u| u / s).collect();
        let cell = spacing_km.iter().product::<f64>();
        let log_evidence = lmax + s.ln() + cell.ln();

        let mut g = grid;
        g.map_km = g.node(imax);
        // Moments about the box centre, then shifted: keeps sums well scaled.
        let mut mean = [0.0; 3];
        for (idx, &m) in mass.iter().enumerate() {
            if m == 0.0 {
                continue;
            }
            let x = g.node(idx);
            let ijk = g.ijk(idx);
            for a in 0..3 {
                mean[a] += m * x[a];
                g.marginals[a][ijk[a]] += m / spacing_km[a];
            }
        }
        let mut cov = [[0.0; 3]; 3];
        for (idx, &m) in mass.iter().enumerate() {
            if m == 0.0 {
                continue;
            }
            let x = g.node(idx);
            for a in 0..3 {
                for b in 0..3 {
                    cov[a][b] += m * (x[a] - mean[a]) * (x[b] - mean[b]);
                }
            }
        }
        // Cluster probabilities: Σ P_i r_k(x_i), in parallel with one
        // responsibility buffer per rayon job.
        let prior = posterior.prior();
        let k = prior.n_clusters();
        let (cp, bp) = (0..total)
            .into_par_iter()
            .filter(|&i| mass[i] > 0.0)
            .fold(
                || (vec![0.0; k], 0.0, vec![0.0; k]),
                |(mut acc, mut bg, mut buf), i| {
                    let b = prior.responsibilities(g.node(i), &mut buf);
                    for (a, r) in acc.iter_mut().zip(&buf) {
                        *a += mass[i] * r;
                    }
                    bg += mass[i] * b;
                    (acc, bg, buf)
                },
            )
            .map(|(a, b, _)| (a, b))
            .reduce(
                || (vec![0.0; k], 0.0),
                |(mut a, b), (c, d)| {
                    a.iter_mut().zip(&c).for_each(|(x, y)| *x += y);
                    (a, b + d)
                },
            );
        g.mean_km = mean;
        g.cov_km2 = cov;
        g.cluster_probabilities = cp;
        g.background_probability = bp;
        g.log_density = log_density;
        g.mass = mass;
        g.log_evidence = log_evidence;
        Ok(g)
    }

    /// Number of nodes.
    pub fn len(&self) -> usize {
        self.n[0] * self.n[1] * self.n[2]
    }

    /// Whether the grid has no node (never, once evaluated).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// `[i, j, k]` of flat index `idx` (depth fastest).
    pub fn ijk(&self, idx: usize) -> [usize; 3] {
        let k = idx % self.n[2];
        let j = (idx / self.n[2]) % self.n[1];
        let i = idx / (self.n[2] * self.n[1]);
        [i, j, k]
    }

    /// Cell-centre position (km) of flat index `idx`.
    pub fn node(&self, idx: usize) -> [f64; 3] {
        let ijk = self.ijk(idx);
        [0, 1, 2].map(|a| self.origin_km[a] + ijk[a] as f64 * self.spacing_km[a])
    }

    /// Cell-centre coordinates (km) along axis `a` (0 east, 1 north, 2 depth).
    pub fn axis_km(&self, a: usize) -> Vec<f64> {
        (0..self.n[a])
            .map(|i| self.origin_km[a] + i as f64 * self.spacing_km[a])
            .collect()
    }

    /// Marginal density (1/km²) over the plane of axes `a < b` (0 east,
    /// 1 north, 2 depth) at the cell centres, row-major with `b` fastest
    /// (`n[a] × n[b]` values): for posterior maps and sections.
    pub fn marginal_2d(&self, a: usize, b: usize) -> Vec<f64> {
        assert!(a < b && b < 3, "axes must satisfy a < b < 3");
        let mut m = vec![0.0; self.n[a] * self.n[b]];
        let area = self.spacing_km[a] * self.spacing_km[b];
        for (idx, &p) in self.mass.iter().enumerate() {
            if p > 0.0 {
                let ijk = self.ijk(idx);
                m[ijk[a] * self.n[b] + ijk[b]] += p / area;
            }
        }
        m
    }

    /// The nodes as weighted draws (`values`, `weights` = cell masses), for
    /// the draw-based summaries; nodes of zero mass are left out.
    pub fn as_weighted_draws(&self) -> eqnemix_samplers::Draws {
        let mut d = eqnemix_samplers::Draws::new(3);
        let mut w = Vec::new();
        for (idx, &m) in self.mass.iter().enumerate() {
            if m > 0.0 {
                d.push(
                    &self.node(idx),
                    eqnemix_samplers::DrawStats {
                        log_density: self.log_density[idx],
                        ..Default::default()
                    },
                );
                w.push(m);
            }
        }
        d.weights = Some(w);
        d
    }
}
