//! The modes of a location posterior, and its headline location.
//!
//! A single-station posterior is usually multimodal: the S-P time puts the
//! event on a shell about the station, and the shell cuts the clusters of
//! the prior on several sides. Its mean can then lie between the modes, in
//! a place the posterior itself rules out. eqnemix therefore reports a
//! posterior as its modes and takes the headline location from the
//! heaviest one.
//!
//! # What a mode is
//!
//! A mode is a *mode region* of the prior: the set of points where one
//! cluster (or the uniform background) has the largest responsibility
//! ([`crate::prior::ClusterPrior::dominant_cluster`]). These are the
//! regions the location samplers already work with (each gets its own
//! chains, see [`crate::locate`]), and the masses of the regions are the
//! quantities a user compares with the classifier's cluster probabilities.
//! Every draw is labelled with its region; a region's **mass** is the
//! weight of its draws, its **mean** and **covariance** those of its draws,
//! and its **highest-density point** the best of its draws (by the
//! posterior density) refined by Nelder-Mead within the region
//! ([`maximise_density_in_region`]): a region without a peak of its own
//! (the background's, or a broad cluster's tail) has its highest point on
//! its border, not at the peak of the neighbouring region the unconstrained
//! climb would reach (two modes, and two QuakeML origins, at one point).
//! A shell that cuts one cluster on two sides gives one region in two
//! pieces: the region's mean can lie between them, while its
//! highest-density point lies in the piece that holds the best draw (one
//! more reason the headline is a highest-density point, never a mean).
//!
//! # The headline location
//!
//! The headline location ([`super::LocationSummary::location_km`]) is the
//! highest-density point of the heaviest mode: the most probable point of
//! the region that holds most of the posterior mass. It is what
//! `catalog.csv`, the `.hyp` hypocentre, the QuakeML preferred origin and
//! the maps report. The global MAP (highest density over all modes) can lie
//! in a lighter mode whose peak is sharper; it is reported beside it
//! (`map_km`), as are the mean and every mode.

use crate::posterior::LocationPosterior;
use crate::prior::ClusterPrior;
use argmin::core::{CostFunction, Executor, State};
use argmin::solver::neldermead::NelderMead;
use eqnemix_samplers::LogDensity;
use serde::{Deserialize, Serialize};

/// Modes lighter than this share of the posterior mass are not listed
/// (their draws still count in every other summary): a handful of draws
/// in a far region gives no mean or covariance worth reporting.
pub const MIN_REPORTED_MODE_MASS: f64 = 1e-3;

/// One mode of a location posterior (module doc).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PosteriorMode {
    /// Cluster id of the mode region; `None` for the uniform background.
    pub cluster: Option<usize>,
    /// Posterior mass of the region (share of the draws' weight).
    pub mass: f64,
    /// Draws in the region.
    pub n_draws: usize,
    /// Kish effective sample size of the region's draws (its weights'
    /// `(Σw)²/Σw²`; the number of draws when they are equally weighted).
    pub weights_ess: f64,
    /// Mean `[east, north, depth]` of the region's draws (km).
    pub mean_km: [f64; 3],
    /// Covariance of the region's draws (km²).
    pub cov_km2: [[f64; 3]; 3],
    /// Highest-density point of the region `[east, north, depth]` (km).
    pub highest_density_km: [f64; 3],
    /// Log posterior density (unnormalised) at the highest-density point.
    pub log_density: f64,
    /// The highest-density point in the posterior's coordinates (with the
    /// origin time, s, when it is sampled).
    pub highest_density_point: Vec<f64>,
    /// Longitude and latitude of the highest-density point (deg), when the
    /// summary was given a projection.
    #[serde(default)]
    pub lon_lat_deg: Option<[f64; 2]>,
    /// The maximum-likelihood origin time at the highest-density point
    /// (UTC), when there are picks: the time of this mode's QuakeML origin
    /// (the summary's `origin_time` is the posterior mean over every mode).
    #[serde(default)]
    pub origin_time_utc: Option<chrono::DateTime<chrono::Utc>>,
}

/// Weighted mean and covariance of `xs[i][..3]` over the indices `idx`
/// (weights `ws`, any positive total). `None` when the total is zero.
pub fn weighted_moments(xs: &[&[f64]], ws: &[f64], idx: impl Iterator<Item = usize> + Clone) -> Option<([f64; 3], [[f64; 3]; 3], f64)> {
    let total: f64 = idx.clone().map(|i| ws[i]).sum();
    if !(total > 0.0) {
        return None;
    }
    let mut mean = [0.0; 3];
    for i in idx.clone() {
        for (a, m) in mean.iter_mut().enumerate() {
            *m += ws[i] * xs[i][a] / total;
        }
    }
    let mut cov = [[0.0; 3]; 3];
    for i in idx {
        let w = ws[i] / total;
        for a in 0..3 {
            for b in 0..3 {
                cov[a][b] += w * (xs[i][a] - mean[a]) * (xs[i][b] - mean[b]);
            }
        }
    }
    Some((mean, cov, total))
}

/// Mode-region label of a point: its dominant cluster, or `K` (the number
/// of clusters) for the background.
pub fn region_label(prior: &ClusterPrior, x: &[f64]) -> usize {
    prior.dominant_cluster([x[0], x[1], x[2]]).unwrap_or(prior.n_clusters())
}

/// The modes of the draws `xs` (weights `ws` summing to 1; `lps` the log
/// posterior density of each draw), heaviest first, each with at least
/// [`MIN_REPORTED_MODE_MASS`] of the mass (the heaviest always). Each
/// highest-density point is refined by [`maximise_density`] with at most
/// `refine_iters` iterations.
pub fn find_modes(posterior: &LocationPosterior, xs: &[&[f64]], ws: &[f64], lps: &[f64], refine_iters: u64) -> Vec<PosteriorMode> {
    let prior = posterior.prior();
    let k = prior.n_clusters();
    let labels: Vec<usize> = xs.iter().map(|x| region_label(prior, x)).collect();
    let mut modes: Vec<PosteriorMode> = Vec::new();
    for l in 0..=k {
        let idx = (0..xs.len()).filter(|&i| labels[i] == l);
        let Some((mean_km, cov_km2, mass)) = weighted_moments(xs, ws, idx.clone()) else {
            continue;
        };
        let w2: f64 = idx.clone().map(|i| ws[i] * ws[i]).sum();
        let best = idx.clone().max_by(|&a, &b| lps[a].total_cmp(&lps[b])).expect("a region with mass has draws");
        let (point, log_density) = maximise_density_in_region(posterior, xs[best], lps[best], refine_iters, Some(l));
        modes.push(PosteriorMode {
            cluster: (l < k).then_some(l),
            // a share of weights normalised to 1: rounding in their sum
            // must not make it exceed 1 (1 + 4e-16 was seen)
            mass: mass.min(1.0),
            n_draws: idx.count(),
            weights_ess: mass * mass / w2,
            mean_km,
            cov_km2,
            highest_density_km: [point[0], point[1], point[2]],
            log_density,
            highest_density_point: point,
            lon_lat_deg: None,
            origin_time_utc: None,
        });
    }
    modes.sort_by(|a, b| b.mass.total_cmp(&a.mass).then(a.cluster.cmp(&b.cluster)));
    let mut kept: Vec<PosteriorMode> = Vec::with_capacity(modes.len());
    for (i, m) in modes.into_iter().enumerate() {
        if i == 0 || m.mass >= MIN_REPORTED_MODE_MASS {
            kept.push(m);
        }
    }
    kept
}

/// `-ln p(x | d)` for argmin (which minimises); `+inf` where the posterior
/// vanishes (outside the region box or every travel-time domain), which
/// Nelder-Mead treats as the worst vertex.
/// With a region label, `+inf` also outside that mode region.
struct NegativeLogPosterior<'a>(&'a LocationPosterior, Option<usize>);

impl NegativeLogPosterior<'_> {
    fn log_density(&self, x: &[f64]) -> f64 {
        match self.1 {
            Some(l) if region_label(self.0.prior(), x) != l => f64::NEG_INFINITY,
            _ => self.0.log_density(x),
        }
    }
}

impl CostFunction for NegativeLogPosterior<'_> {
    type Param = Vec<f64>;
    type Output = f64;

    fn cost(&self, x: &Vec<f64>) -> Result<f64, argmin::core::Error> {
        let lp = self.log_density(x);
        Ok(if lp.is_finite() { -lp } else { f64::INFINITY })
    }
}

/// Climb from `x0` (log density `lp0`) to the nearest maximum of the
/// posterior density with argmin's Nelder-Mead (at most `max_iters`
/// iterations; none when 0). Derivative-free on purpose: the density is
/// `-inf` outside the region box and the travel-time domains, where a
/// gradient line search would fail, while a simplex just rejects those
/// vertices. The initial simplex has edges of 0.25 km (0.05 s along a
/// sampled origin time), turned inwards where a vertex would leave the
/// support. Never returns a point worse than `x0`.
pub fn maximise_density(posterior: &LocationPosterior, x0: &[f64], lp0: f64, max_iters: u64) -> (Vec<f64>, f64) {
    maximise_density_in_region(posterior, x0, lp0, max_iters, None)
}

/// [`maximise_density`] kept inside the mode region `region` ([`region_label`]
/// of the points; no constraint with `None`): every point outside counts as
/// where the posterior vanishes, so the result is the highest point of the
/// region reachable from `x0` (on its border when the density rises across
/// it). `x0` should lie in the region.
pub fn maximise_density_in_region(posterior: &LocationPosterior, x0: &[f64], lp0: f64, max_iters: u64, region: Option<usize>) -> (Vec<f64>, f64) {
    if max_iters == 0 || !lp0.is_finite() {
        return (x0.to_vec(), lp0);
    }
    let cost = NegativeLogPosterior(posterior, region);
    let mut simplex = vec![x0.to_vec()];
    for a in 0..x0.len() {
        let h = if a < 3 { 0.25 } else { 0.05 };
        let mut v = x0.to_vec();
        v[a] += h;
        if !cost.log_density(&v).is_finite() {
            v[a] = x0[a] - h;
        }
        simplex.push(v);
    }
    let solver = match NelderMead::new(simplex).with_sd_tolerance(1e-10) {
        Ok(s) => s,
        Err(_) => return (x0.to_vec(), lp0),
    };
    let result = Executor::new(cost, solver)
        .configure(|state| state.max_iters(max_iters))
        .run();
    match result {
        Ok(r) => {
            let best_cost = r.state().get_best_cost();
            match r.state().get_best_param() {
                Some(p) if best_cost.is_finite() && -best_cost > lp0 => (p.clone(), -best_cost),
                _ => (x0.to_vec(), lp0),
            }
        }
        Err(_) => (x0.to_vec(), lp0),
    }
}
