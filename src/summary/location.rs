//! The location summary of one event from posterior draws (weighted or
//! not): mean, MAP, covariance, ellipsoids, HDIs, cluster probabilities,
//! origin time and epicentre in lon/lat.
#![allow(clippy::needless_range_loop)] // loops over the 3 coordinates read best indexed

use super::ellipsoid::{Ellipse2D, Ellipsoid};
use super::hdi::hdi_levels;
use super::modes::{find_modes, weighted_moments, PosteriorMode};
use crate::posterior::LocationPosterior;
use chrono::{DateTime, Utc};
use eqnemix_samplers::{Draws, LogDensity};
use serde::{Deserialize, Serialize};

/// How to summarise.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SummaryOptions {
    /// Probability levels of the ellipsoids, ellipses and HDIs.
    pub levels: Vec<f64>,
    /// Maximum Nelder-Mead iterations refining each mode's highest-density
    /// point from its best draw (0: the best draw itself).
    pub map_refine_steps: usize,
    /// At most this many draws (evenly thinned) are used for the origin-time
    /// and cluster-probability averages, which evaluate the model per draw.
    pub max_draws_for_averages: usize,
}

impl Default for SummaryOptions {
    fn default() -> Self {
        SummaryOptions {
            levels: vec![0.68, 0.90, 0.95],
            map_refine_steps: 400,
            max_draws_for_averages: 20_000,
        }
    }
}

/// Why a summary could not be made.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SummaryError {
    /// No draws (or all weights zero).
    #[error("no draws to summarise")]
    NoDraws,
    /// Draw dimension differs from the posterior's.
    #[error("draws have dimension {got}, the posterior {expected}")]
    DimensionMismatch {
        /// Posterior dimension.
        expected: usize,
        /// Draw dimension.
        got: usize,
    },
    /// Weights are not finite and non-negative, or their number is wrong.
    #[error("chain {chain}: invalid weights ({why})")]
    BadWeights {
        /// Chain index.
        chain: usize,
        /// What is wrong.
        why: &'static str,
    },
    /// A level is outside (0, 1).
    #[error("summary level {0} must be in (0, 1)")]
    BadLevel(f64),
    /// The mean origin time is not a representable date (offset not finite
    /// or beyond chrono's ±262,000 years): the posterior is unphysical.
    #[error("origin time {offset_s} s after the reference time is not a representable date")]
    OriginTimeOutOfRange {
        /// Mean origin-time offset (s after the reference time).
        offset_s: f64,
    },
}

/// Highest-density intervals of each coordinate at one level.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CoordinateHdi {
    /// Probability mass.
    pub level: f64,
    /// Lower bounds `[east, north, depth]` (km).
    pub lower_km: [f64; 3],
    /// Upper bounds (km).
    pub upper_km: [f64; 3],
}

/// Origin time estimate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OriginTimeEstimate {
    /// Posterior mean origin time (UTC).
    pub utc: DateTime<Utc>,
    /// The same, in seconds after the picks' reference time.
    pub offset_s: f64,
    /// Posterior standard deviation (s).
    pub sigma_s: f64,
}

/// Geographic position of the headline, mean and MAP epicentres.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Geographic {
    /// Longitude of the headline location (deg).
    #[serde(default)]
    pub location_lon_deg: f64,
    /// Latitude of the headline location (deg).
    #[serde(default)]
    pub location_lat_deg: f64,
    /// Longitude of the mean (deg).
    pub mean_lon_deg: f64,
    /// Latitude of the mean (deg).
    pub mean_lat_deg: f64,
    /// Longitude of the MAP (deg).
    pub map_lon_deg: f64,
    /// Latitude of the MAP (deg).
    pub map_lat_deg: f64,
}

/// One P or S pick at the headline location: what a `.hyp` PHASE line and
/// a QuakeML `pick` + `arrival` report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PhaseResidual {
    /// Station code.
    pub station: String,
    /// Phase name (`P` or `S`).
    pub phase: String,
    /// Observed arrival (s after [`LocationSummary::reference_time`]).
    pub time_s: f64,
    /// Residual scale (s): pick and model error combined.
    pub sigma_s: f64,
    /// The pick's own time error (s), without the model error: the `.hyp`
    /// PHASE line's error and the QuakeML pick's time uncertainty, as
    /// NonLinLoc writes its observation errors (`sigma_s` when unknown).
    #[serde(default)]
    pub pick_sigma_s: Option<f64>,
    /// Predicted travel time from the headline location (s).
    pub travel_time_s: f64,
    /// Observed - origin time - travel time (s), with the maximum-likelihood
    /// origin time at the headline location.
    pub residual_s: f64,
    /// Relative weight `(1/σ²) / mean(1/σ²)` over the picks (mean 1, as
    /// NonLinLoc's PHASE weights).
    pub weight: f64,
}

/// Everything reported about one located event. Serialisable (serde).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LocationSummary {
    /// Event id.
    pub event_id: String,
    /// Instant the picks' times count from (UTC).
    pub reference_time: DateTime<Utc>,
    /// Number of draws used.
    pub n_draws: usize,
    /// Kish effective sample size `(Σw)²/Σw²` of the weights (the number of
    /// draws when unweighted; autocorrelation is not accounted for here).
    pub weights_ess: f64,
    /// Posterior mean `[east, north, depth]` (km).
    pub mean_km: [f64; 3],
    /// Posterior standard deviations (km).
    pub std_km: [f64; 3],
    /// Posterior covariance (km²).
    pub cov_km2: [[f64; 3]; 3],
    /// Headline location `[east, north, depth]` (km): the highest-density
    /// point of the heaviest mode ([`super::modes`]), never a point between
    /// modes. This is what catalogs, `.hyp` files, QuakeML's preferred
    /// origin and the maps report.
    #[serde(default)]
    pub location_km: [f64; 3],
    /// The posterior's modes (mode regions of the prior), heaviest first
    /// ([`super::modes`]).
    #[serde(default)]
    pub modes: Vec<PosteriorMode>,
    /// Maximum a posteriori hypocentre (km): the highest of the modes'
    /// highest-density points (it can lie in a lighter but sharper mode).
    pub map_km: [f64; 3],
    /// Log posterior density at the MAP (unnormalised).
    pub map_log_density: f64,
    /// Credible ellipsoids (χ², 3 dof), one per level.
    pub ellipsoids: Vec<Ellipsoid>,
    /// Epicentral ellipses (χ², 2 dof), one per level.
    pub epicentral_ellipses: Vec<Ellipse2D>,
    /// Per-coordinate HDIs, one per level.
    pub hdi: Vec<CoordinateHdi>,
    /// Posterior probability of each cluster: mean responsibility over draws.
    pub cluster_probabilities: Vec<f64>,
    /// Posterior probability of the background component.
    pub background_probability: f64,
    /// Origin time, when there are picks.
    pub origin_time: Option<OriginTimeEstimate>,
    /// RMS time residual at the headline location with its optimal origin
    /// time (s).
    pub rms_residual_s: Option<f64>,
    /// Number of P and S picks.
    pub n_arrivals: usize,
    /// Each pick at the headline location (residuals, weights); empty
    /// without picks.
    #[serde(default)]
    pub phases: Vec<PhaseResidual>,
    /// The maximum-likelihood origin time at the headline location (the
    /// origin time the [`Self::phases`] residuals use and the `.hyp` and
    /// QuakeML's preferred origin report; [`Self::origin_time`] is its
    /// posterior mean over the draws). `None` without picks.
    #[serde(default)]
    pub location_origin_time: Option<DateTime<Utc>>,
    /// Epicentres in lon/lat, when a projection was given.
    pub geographic: Option<Geographic>,
}

/// Draw indices, weights (normalised to sum 1) and dimension of several chains.
fn flatten(chains: &[Draws]) -> Result<(Vec<&[f64]>, Vec<f64>), SummaryError> {
    let n_chains = chains.iter().filter(|c| c.n_draws() > 0).count();
    if n_chains == 0 {
        return Err(SummaryError::NoDraws);
    }
    let all_unweighted = chains.iter().all(|c| c.weights.is_none());
    let total: usize = chains.iter().map(|c| c.n_draws()).sum();
    let mut xs = Vec::with_capacity(total);
    let mut ws = Vec::with_capacity(total);
    for (ci, c) in chains.iter().enumerate() {
        let n = c.n_draws();
        if n == 0 {
            continue;
        }
        match &c.weights {
            None => {
                let w = if all_unweighted {
                    1.0 / total as f64
                } else {
                    1.0 / (n as f64 * n_chains as f64)
                };
                for x in c.iter() {
                    xs.push(x);
                    ws.push(w);
                }
            }
            Some(w) => {
                if w.len() != n {
                    return Err(SummaryError::BadWeights {
                        chain: ci,
                        why: "one weight per draw needed",
                    });
                }
                if w.iter().any(|v| !(v.is_finite() && *v >= 0.0)) {
                    return Err(SummaryError::BadWeights {
                        chain: ci,
                        why: "negative or non-finite",
                    });
                }
                let s: f64 = w.iter().sum();
                if s <= 0.0 {
                    return Err(SummaryError::BadWeights {
                        chain: ci,
                        why: "all zero",
                    });
                }
                for (x, v) in c.iter().zip(w) {
                    xs.push(x);
                    ws.push(v / s / n_chains as f64);
                }
            }
        }
    }
    Ok((xs, ws))
}

impl LocationSummary {
    /// Summarise the draws of one or more chains of `posterior` (each
    /// chain's draws may carry importance weights; chains count equally
    /// then). `to_lonlat` maps local `(east, north)` km to `(lon, lat)` deg.
    pub fn from_draws(
        posterior: &LocationPosterior,
        chains: &[Draws],
        options: &SummaryOptions,
        to_lonlat: Option<&dyn Fn(f64, f64) -> (f64, f64)>,
    ) -> Result<Self, SummaryError> {
        for &l in &options.levels {
            if !(l > 0.0 && l < 1.0) {
                return Err(SummaryError::BadLevel(l));
            }
        }
        let dim = posterior.dim();
        if let Some(c) = chains.iter().find(|c| c.n_draws() > 0 && c.dim != dim) {
            return Err(SummaryError::DimensionMismatch {
                expected: dim,
                got: c.dim,
            });
        }
        let (xs, ws) = flatten(chains)?;
        let n = xs.len();
        let sw2: f64 = ws.iter().map(|w| w * w).sum();
        let weights_ess = 1.0 / sw2;

        // Mean and covariance (weights sum to 1).
        let (mean, cov, _) = weighted_moments(&xs, &ws, 0..n).ok_or(SummaryError::NoDraws)?;
        let std = [0, 1, 2].map(|a| cov[a][a].sqrt());

        // Modes, each with its highest-density point; the headline is the
        // heaviest mode's, the MAP the highest of them.
        let lps: Vec<f64> = xs.iter().map(|x| posterior.log_density(x)).collect();
        let mut modes = find_modes(posterior, &xs, &ws, &lps, options.map_refine_steps as u64);
        if let Some(f) = to_lonlat {
            for m in &mut modes {
                let (lon, lat) = f(m.highest_density_km[0], m.highest_density_km[1]);
                m.lon_lat_deg = Some([lon, lat]);
            }
        }
        for m in &mut modes {
            m.origin_time_utc = posterior
                .origin_time_at(m.highest_density_km)
                .and_then(|(t, _)| crate::picks::checked_utc_after(posterior.reference_time(), t));
        }
        let location_km = modes[0].highest_density_km;
        let top = modes.iter().max_by(|a, b| a.log_density.total_cmp(&b.log_density)).expect("at least one mode");
        let (map_km, map_lp) = (top.highest_density_km, top.log_density);

        let ellipsoids = options
            .levels
            .iter()
            .filter_map(|&l| Ellipsoid::from_covariance(&cov, l))
            .collect();
        let epicentral_ellipses = options
            .levels
            .iter()
            .filter_map(|&l| Ellipse2D::from_covariance(&cov, l))
            .collect();
        let coords: [Vec<f64>; 3] = [0, 1, 2].map(|a| xs.iter().map(|x| x[a]).collect());
        let per_coord: [Vec<Option<(f64, f64)>>; 3] = [0, 1, 2].map(|a| hdi_levels(&coords[a], Some(&ws), &options.levels));
        let hdis = options
            .levels
            .iter()
            .enumerate()
            .map(|(li, &l)| {
                let iv = [0, 1, 2].map(|a| per_coord[a][li].unwrap_or((f64::NAN, f64::NAN)));
                CoordinateHdi {
                    level: l,
                    lower_km: iv.map(|v| v.0),
                    upper_km: iv.map(|v| v.1),
                }
            })
            .collect();

        // Per-draw averages over an evenly thinned subset.
        let stride = n.div_ceil(options.max_draws_for_averages.max(1)).max(1);
        let prior = posterior.prior();
        let k = prior.n_clusters();
        let mut cp = vec![0.0; k];
        let mut bp = 0.0;
        let mut buf = vec![0.0; k];
        let (mut t_w, mut t_m, mut t_m2, mut t_var) = (0.0, 0.0, 0.0, 0.0);
        for i in (0..n).step_by(stride) {
            let x = xs[i];
            let w = ws[i];
            let p = [x[0], x[1], x[2]];
            let b = prior.responsibilities(p, &mut buf);
            for (c, r) in cp.iter_mut().zip(&buf) {
                *c += w * r;
            }
            bp += w * b;
            let t = if dim == 4 {
                Some((x[3], 0.0))
            } else {
                posterior.origin_time_at(p)
            };
            if let Some((t0, s0)) = t {
                t_w += w;
                t_m += w * t0;
                t_m2 += w * t0 * t0;
                t_var += w * s0 * s0;
            }
        }
        let tot: f64 = cp.iter().sum::<f64>() + bp;
        if tot > 0.0 {
            cp.iter_mut().for_each(|c| *c /= tot);
            bp /= tot;
        }
        let origin_time = if t_w > 0.0 {
            let m = t_m / t_w;
            // Law of total variance: spread of t0(x) over draws + mean conditional variance.
            let var = (t_m2 / t_w - m * m).max(0.0) + t_var / t_w;
            let utc = crate::picks::checked_utc_after(posterior.reference_time(), m)
                .ok_or(SummaryError::OriginTimeOutOfRange { offset_s: m })?;
            Some(OriginTimeEstimate {
                utc,
                offset_s: m,
                sigma_s: var.sqrt(),
            })
        } else {
            None
        };
        let geographic = to_lonlat.map(|f| {
            let (location_lon_deg, location_lat_deg) = f(location_km[0], location_km[1]);
            let (mean_lon_deg, mean_lat_deg) = f(mean[0], mean[1]);
            let (map_lon_deg, map_lat_deg) = f(map_km[0], map_km[1]);
            Geographic {
                location_lon_deg,
                location_lat_deg,
                mean_lon_deg,
                mean_lat_deg,
                map_lon_deg,
                map_lat_deg,
            }
        });
        Ok(LocationSummary {
            event_id: posterior.event_id().to_string(),
            reference_time: posterior.reference_time(),
            n_draws: n,
            weights_ess,
            mean_km: mean,
            std_km: std,
            cov_km2: cov,
            location_km,
            modes,
            map_km,
            map_log_density: map_lp,
            ellipsoids,
            epicentral_ellipses,
            hdi: hdis,
            cluster_probabilities: cp,
            background_probability: bp,
            origin_time,
            rms_residual_s: posterior.rms_residual_at(location_km),
            n_arrivals: posterior.n_arrivals(),
            phases: posterior
                .phase_residuals_at(location_km)
                .unwrap_or_default(),
            location_origin_time: posterior
                .origin_time_at(location_km)
                .and_then(|(t, _)| crate::picks::checked_utc_after(posterior.reference_time(), t)),
            geographic,
        })
    }

    /// Summarise a dense grid evaluation (its nodes as weighted draws).
    pub fn from_grid(
        posterior: &LocationPosterior,
        grid: &crate::grid_posterior::GridPosterior,
        options: &SummaryOptions,
        to_lonlat: Option<&dyn Fn(f64, f64) -> (f64, f64)>,
    ) -> Result<Self, SummaryError> {
        Self::from_draws(posterior, &[grid.as_weighted_draws()], options, to_lonlat)
    }

    /// The ellipsoid at `level`, if computed.
    pub fn ellipsoid(&self, level: f64) -> Option<&Ellipsoid> {
        self.ellipsoids
            .iter()
            .find(|e| (e.confidence - level).abs() < 1e-9)
    }

    /// The epicentral ellipse at `level`, if computed.
    pub fn epicentral_ellipse(&self, level: f64) -> Option<&Ellipse2D> {
        self.epicentral_ellipses
            .iter()
            .find(|e| (e.confidence - level).abs() < 1e-9)
    }
}
