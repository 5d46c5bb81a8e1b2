//! The location posterior `p(x | picks) ∝ p(picks | x) p(x)` over
//! `x = [east, north, depth]` (km), plus the origin time (s after the picks'
//! reference time) as a 4th coordinate when it is sampled rather than
//! marginalised. Implements the samplers' density seam.
//!
//! ```text
//! ln π(x) = ln p(x) + Σ_terms ln L_term(x)          inside the region box
//!         = −inf                                    outside it
//! ```
//!
//! The region box must have depth `>= 0` (no events above the datum). When
//! the origin time is sampled its prior is uniform on its window, which also
//! bounds the 4th coordinate. Samplers that need an unconstrained space wrap
//! this density in a box transform using [`LocationPosterior::bounds`].

use crate::likelihood::{Likelihood, LikelihoodError, LikelihoodOptions, OriginTime};
use crate::picks::Picks;
use crate::prior::{ClusterPrior, RegionBox};
use chrono::{DateTime, Utc};
use eqnemix_samplers::{GradLogDensity, LogDensity};
use eqnemix_traveltime::TravelTimeModel;

/// Why a posterior could not be built.
#[derive(Debug, thiserror::Error)]
pub enum PosteriorError {
    /// The region box is invalid; names the axis.
    #[error("region box: {axis} bounds must be finite with min < max (and depth min >= 0)")]
    InvalidRegion {
        /// `east`, `north` or `depth`.
        axis: &'static str,
    },
    /// The likelihood could not be built.
    #[error(transparent)]
    Likelihood(#[from] LikelihoodError),
}

/// The posterior density of one event's hypocentre.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use eqnemix::likelihood::LikelihoodOptions;
/// use eqnemix::picks::{PhasePick, Picks, StationPicks};
/// use eqnemix::posterior::LocationPosterior;
/// use eqnemix::prior::{ClusterPrior, PriorOptions, RegionBox};
/// use eqnemix::samplers::{GradLogDensity, LogDensity};
/// use eqnemix::traveltime::{Homogeneous, Station};
/// use eqnemix::ClusterGaussian;
///
/// let cluster = ClusterGaussian { id: 0, n_events: 25, mean_km: [8.0, 6.0, 7.0],
///     cov_km2: [[4.0, 0.0, 0.0], [0.0, 4.0, 0.0], [0.0, 0.0, 2.0]] };
/// let prior = ClusterPrior::new(&[cluster], &[1.0], &PriorOptions::default())?;
/// // One station at the origin; S 1.5 s after P (an event ~12.6 km away).
/// let picks = Picks {
///     event_id: "ev1".into(),
///     reference_time: Utc.with_ymd_and_hms(2019, 7, 6, 3, 19, 53).unwrap(),
///     stations: vec![StationPicks {
///         station: Station { code: "CI.CCC".into(), position_km: [0.0, 0.0, 0.0] },
///         p: Some(PhasePick { time_s: 0.0, sigma_s: 0.05 }),
///         s: Some(PhasePick { time_s: 1.5, sigma_s: 0.05 }),
///         back_azimuth: None,
///     }],
/// };
/// let region = RegionBox::new([-20.0, -20.0, 0.0], [30.0, 30.0, 25.0]);
/// let post = LocationPosterior::from_picks(prior, &picks, &Homogeneous::new(6.0, 3.5)?,
///                                          &LikelihoodOptions::default(), region)?;
/// let mut grad = [0.0; 3];
/// let on_shell = post.log_density_and_gradient(&[8.0, 6.0, 7.0], &mut grad);
/// assert!(on_shell > post.log_density(&[2.0, 2.0, 2.0]));
/// assert_eq!(post.log_density(&[0.0, 0.0, -1.0]), f64::NEG_INFINITY); // above the datum
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct LocationPosterior {
    prior: ClusterPrior,
    likelihood: Likelihood,
    region: RegionBox,
    /// `Some((min, max, -ln(max-min)))` when the origin time is sampled.
    origin_window: Option<(f64, f64, f64)>,
    event_id: String,
    reference_time: DateTime<Utc>,
}

impl std::fmt::Debug for LocationPosterior {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocationPosterior")
            .field("event_id", &self.event_id)
            .field("region", &self.region)
            .field("prior", &self.prior)
            .field("likelihood", &self.likelihood)
            .finish()
    }
}

impl LocationPosterior {
    /// The posterior of the event `picks` under `prior`, with travel times
    /// from `model`, restricted to `region`.
    pub fn from_picks(
        prior: ClusterPrior,
        picks: &Picks,
        model: &dyn TravelTimeModel,
        options: &LikelihoodOptions,
        region: RegionBox,
    ) -> Result<Self, PosteriorError> {
        let likelihood = Likelihood::build(picks, model, options)?;
        Self::new(
            prior,
            likelihood,
            region,
            picks.event_id.clone(),
            picks.reference_time,
        )
    }

    /// From an already built likelihood (or [`Likelihood`] with no terms for
    /// the prior alone).
    pub fn new(
        prior: ClusterPrior,
        likelihood: Likelihood,
        region: RegionBox,
        event_id: String,
        reference_time: DateTime<Utc>,
    ) -> Result<Self, PosteriorError> {
        region
            .validate()
            .map_err(|axis| PosteriorError::InvalidRegion { axis })?;
        if region.min_km[2] < 0.0 {
            return Err(PosteriorError::InvalidRegion { axis: "depth" });
        }
        let origin_window = match (likelihood.samples_origin_time(), likelihood.origin_time) {
            (true, OriginTime::Sampled { min_s, max_s }) => {
                Some((min_s, max_s, -(max_s - min_s).ln()))
            }
            _ => None,
        };
        Ok(LocationPosterior {
            prior,
            likelihood,
            region,
            origin_window,
            event_id,
            reference_time,
        })
    }

    /// A posterior equal to the prior restricted to `region` (no data).
    pub fn prior_only(prior: ClusterPrior, region: RegionBox) -> Result<Self, PosteriorError> {
        let lik = Likelihood {
            s_minus_p: vec![],
            absolute: None,
            edt: vec![],
            back_azimuth: vec![],
            origin_time: OriginTime::Marginalised,
            origin_estimator: None,
        };
        Self::new(
            prior,
            lik,
            region,
            String::new(),
            DateTime::<Utc>::UNIX_EPOCH,
        )
    }

    /// The prior.
    pub fn prior(&self) -> &ClusterPrior {
        &self.prior
    }

    /// The likelihood terms.
    pub fn likelihood(&self) -> &Likelihood {
        &self.likelihood
    }

    /// The region box (km).
    pub fn region(&self) -> &RegionBox {
        &self.region
    }

    /// Event id of the picks.
    pub fn event_id(&self) -> &str {
        &self.event_id
    }

    /// The instant times are counted from.
    pub fn reference_time(&self) -> DateTime<Utc> {
        self.reference_time
    }

    /// Whether the 4th coordinate (origin time) is sampled.
    pub fn samples_origin_time(&self) -> bool {
        self.origin_window.is_some()
    }

    /// Lower and upper bounds of every coordinate: the region box (km) and,
    /// when sampled, the origin-time window (s). The density is `-inf`
    /// outside; box transforms map these to an unconstrained space.
    pub fn bounds(&self) -> (Vec<f64>, Vec<f64>) {
        let mut lo = self.region.min_km.to_vec();
        let mut hi = self.region.max_km.to_vec();
        if let Some((a, b, _)) = self.origin_window {
            lo.push(a);
            hi.push(b);
        }
        (lo, hi)
    }

    /// Log prior density (1/km³) at the hypocentre `x`, restricted to the box.
    pub fn log_prior(&self, x: [f64; 3]) -> f64 {
        if self.region.contains(x) {
            self.prior.log_density(x)
        } else {
            f64::NEG_INFINITY
        }
    }

    /// Log likelihood at `x` (with origin time `t0_s` when it is sampled).
    pub fn log_likelihood(&self, x: [f64; 3], t0_s: Option<f64>) -> f64 {
        self.likelihood.log_likelihood(x, t0_s)
    }

    /// Maximum-likelihood origin time at the hypocentre `x` (s after the
    /// reference time) and its standard deviation, from every P and S pick
    /// (see [`crate::likelihood::AbsoluteTimesTerm::optimal_origin_time`]).
    pub fn origin_time_at(&self, x: [f64; 3]) -> Option<(f64, f64)> {
        self.likelihood
            .origin_estimator
            .as_ref()?
            .optimal_origin_time(x)
    }

    /// RMS of the time residuals (s) at `x` with the optimal origin time.
    pub fn rms_residual_at(&self, x: [f64; 3]) -> Option<f64> {
        self.likelihood.origin_estimator.as_ref()?.rms_residual(x)
    }

    /// Each P and S pick's observed time, scale, predicted travel time and
    /// residual at the hypocentre `x` with the maximum-likelihood origin
    /// time there (residual = observed - origin time - travel time, s), in
    /// the picks' order; `None` without picks or outside a travel-time
    /// domain. These are the rows of a `.hyp` PHASE block and of QuakeML's
    /// arrivals.
    pub fn phase_residuals_at(&self, x: [f64; 3]) -> Option<Vec<crate::summary::PhaseResidual>> {
        let e = self.likelihood.origin_estimator.as_ref()?;
        let (t0, _) = e.optimal_origin_time(x)?;
        let arrivals = e.arrivals();
        let inv_var: Vec<f64> = arrivals
            .iter()
            .map(|a| 1.0 / (a.sigma_s * a.sigma_s))
            .collect();
        let mean_inv_var = inv_var.iter().sum::<f64>() / arrivals.len().max(1) as f64;
        arrivals
            .iter()
            .zip(&inv_var)
            .map(|(a, w)| {
                let tt = a.field.time(x).ok()?;
                Some(crate::summary::PhaseResidual {
                    station: a.station.clone(),
                    phase: a.phase.to_string(),
                    time_s: a.time_s,
                    sigma_s: a.sigma_s,
                    pick_sigma_s: Some(a.pick_sigma_s),
                    travel_time_s: tt,
                    residual_s: a.time_s - t0 - tt,
                    weight: w / mean_inv_var,
                })
            })
            .collect()
    }

    /// The picks' chi-square at the hypocentre `x` (residuals over their
    /// sigmas, squared and summed, at the optimal origin time) and the
    /// number of picks; `None` without picks or outside a travel-time
    /// domain.
    pub fn residual_chi_square_at(&self, x: [f64; 3]) -> Option<(f64, usize)> {
        let e = self.likelihood.origin_estimator.as_ref()?;
        Some((e.chi_square(x)?, e.arrivals().len()))
    }

    /// Number of P and S picks.
    pub fn n_arrivals(&self) -> usize {
        self.likelihood
            .origin_estimator
            .as_ref()
            .map_or(0, |a| a.arrivals().len())
    }

    /// `n` starting points for samplers: draws from the prior with finite
    /// posterior density (the origin time, when sampled, set to its optimum
    /// at the drawn hypocentre, clamped to its window). After `100 n`
    /// rejected draws the remaining points are the region's centre nudged
    /// towards the prior mean, which may still have zero density: samplers
    /// check their initial point ([`eqnemix_samplers::check_init`]).
    pub fn initial_points<R: rand::Rng + ?Sized>(&self, n: usize, rng: &mut R) -> Vec<Vec<f64>> {
        let mut out = Vec::with_capacity(n);
        let mut tries = 0;
        let finish = |p: [f64; 3]| -> Vec<f64> {
            let mut v = p.to_vec();
            if let Some((a, b, _)) = self.origin_window {
                let t = self.origin_time_at(p).map_or(0.5 * (a + b), |t| t.0);
                v.push(t.clamp(a, b));
            }
            v
        };
        while out.len() < n && tries < 100 * n.max(1) {
            tries += 1;
            let p = self.prior.sample(rng);
            let v = finish(p);
            if self.log_density(&v).is_finite() {
                out.push(v);
            }
        }
        let c = self.region.centre_km();
        let m = self.prior.mean_km();
        let fallback = [0, 1, 2]
            .map(|i| (0.5 * (c[i] + m[i])).clamp(self.region.min_km[i], self.region.max_km[i]));
        while out.len() < n {
            out.push(finish(fallback));
        }
        out
    }

    #[inline]
    fn split(&self, x: &[f64]) -> Option<([f64; 3], Option<f64>)> {
        if x.len() != self.dim() || x.iter().any(|v| !v.is_finite()) {
            return None;
        }
        let p = [x[0], x[1], x[2]];
        if !self.region.contains(p) {
            return None;
        }
        match self.origin_window {
            Some((a, b, _)) if x[3] < a || x[3] > b => None,
            Some(_) => Some((p, Some(x[3]))),
            None => Some((p, None)),
        }
    }
}

impl LogDensity for LocationPosterior {
    fn dim(&self) -> usize {
        if self.origin_window.is_some() {
            4
        } else {
            3
        }
    }

    fn log_density(&self, x: &[f64]) -> f64 {
        let Some((p, t0)) = self.split(x) else {
            return f64::NEG_INFINITY;
        };
        let lp = self.prior.log_density(p);
        if lp == f64::NEG_INFINITY {
            return lp;
        }
        let ll = self.likelihood.log_likelihood(p, t0);
        let out = lp + ll + self.origin_window.map_or(0.0, |w| w.2);
        if out.is_nan() {
            f64::NEG_INFINITY
        } else {
            out
        }
    }
}

impl GradLogDensity for LocationPosterior {
    fn log_density_and_gradient(&self, x: &[f64], grad: &mut [f64]) -> f64 {
        let Some((p, t0)) = self.split(x) else {
            return f64::NEG_INFINITY;
        };
        let mut g = [0.0; 3];
        let lp = self.prior.log_density_and_gradient(p, &mut g);
        if lp == f64::NEG_INFINITY {
            return lp;
        }
        let mut dt0 = 0.0;
        let ll = self
            .likelihood
            .log_likelihood_and_gradient(p, t0, &mut g, &mut dt0);
        grad[..3].copy_from_slice(&g);
        if grad.len() > 3 {
            grad[3] = dt0;
        }
        let out = lp + ll + self.origin_window.map_or(0.0, |w| w.2);
        if out.is_nan() {
            f64::NEG_INFINITY
        } else {
            out
        }
    }
}
