//! Likelihood terms of the picks given a hypocentre `x = [east, north,
//! depth]` (km): S-P times, absolute P/S times (origin time marginalised or
//! sampled), equal differential times ([`edt`], origin-time free and robust
//! to outlier picks) and back-azimuths, for one station or a network. Each term is
//! switchable ([`LikelihoodOptions`]); the log likelihood is their sum.
//!
//! Every term returns `-inf` where a travel-time field cannot answer
//! (outside its domain). Gradients are exact given the fields' gradients.

pub mod absolute;
pub mod back_azimuth;
pub mod edt;
pub mod s_minus_p;

pub use absolute::AbsoluteTimesTerm;
pub use back_azimuth::BackAzimuthTerm;
pub use edt::{EdtPower, EdtTerm};
pub use s_minus_p::SMinusPTerm;

use crate::picks::{Picks, PicksError};
use eqnemix_traveltime::{Phase, TravelTimeError, TravelTimeModel};
use serde::{Deserialize, Serialize};

/// The distribution of a time residual `r = observed − predicted` (s).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ResidualModel {
    /// `N(0, σ²)`.
    Gaussian,
    /// Student-t with `nu` degrees of freedom and scale σ (variance
    /// `σ² ν/(ν−2)` for ν > 2): heavy tails that down-weight outlier picks.
    StudentT {
        /// Degrees of freedom, `> 0`.
        nu: f64,
    },
}

/// A residual density with its constants precomputed: evaluates
/// `ln p(r)` and `d ln p / dr` for a residual `r` (s).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ResidualKernel {
    inv_var: f64,
    log_norm: f64,
    nu: f64, // 0 for Gaussian
}

impl ResidualKernel {
    /// Kernel of `model` with scale `sigma_s` (s, `> 0`).
    pub fn new(model: ResidualModel, sigma_s: f64) -> Self {
        let inv_var = 1.0 / (sigma_s * sigma_s);
        match model {
            ResidualModel::Gaussian => ResidualKernel {
                inv_var,
                log_norm: -0.5 * (2.0 * std::f64::consts::PI).ln() - sigma_s.ln(),
                nu: 0.0,
            },
            ResidualModel::StudentT { nu } => {
                use statrs::function::gamma::ln_gamma;
                ResidualKernel {
                    inv_var,
                    log_norm: ln_gamma(0.5 * (nu + 1.0))
                        - ln_gamma(0.5 * nu)
                        - 0.5 * (nu * std::f64::consts::PI).ln()
                        - sigma_s.ln(),
                    nu,
                }
            }
        }
    }

    /// `(ln p(r), d ln p/dr)`:
    /// Gaussian `ln p = c − r²/(2σ²)`, `d/dr = −r/σ²`;
    /// Student-t `ln p = c − (ν+1)/2 ln(1 + r²/(νσ²))`, `d/dr = −(ν+1) r / (νσ² + r²)`.
    #[inline]
    pub fn eval(&self, r: f64) -> (f64, f64) {
        if self.nu == 0.0 {
            (
                self.log_norm - 0.5 * r * r * self.inv_var,
                -r * self.inv_var,
            )
        } else {
            let nu = self.nu;
            let z = r * r * self.inv_var / nu;
            (
                self.log_norm - 0.5 * (nu + 1.0) * z.ln_1p(),
                -(nu + 1.0) * r * self.inv_var / (nu * (1.0 + z)),
            )
        }
    }
}

/// What happens to the origin time in the absolute-times term.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum OriginTime {
    /// Integrated out analytically under a flat prior (Gaussian residuals
    /// only); the parameter stays `x` (3D).
    Marginalised,
    /// Sampled as a 4th parameter with a uniform prior on
    /// `[min_s, max_s]` (s after the picks' reference time).
    Sampled {
        /// Earliest origin time (s after the reference time).
        min_s: f64,
        /// Latest origin time (s after the reference time).
        max_s: f64,
    },
}

/// Which likelihood terms to use and how.
///
/// S-P times and absolute times use the same picks: enabling both would
/// count the data twice, so [`Likelihood::build`] refuses it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LikelihoodOptions {
    /// One S-P term per station with both picks (the single-station case).
    pub s_minus_p: bool,
    /// One absolute-times term over every P and S pick of the network.
    pub absolute_times: bool,
    /// Origin-time treatment of the absolute-times term.
    pub origin_time: OriginTime,
    /// One von Mises term per observed back-azimuth.
    pub back_azimuth: bool,
    /// Residual distribution of the time terms.
    pub residual: ResidualModel,
    /// Travel-time model error (s), added in quadrature to pick errors.
    pub model_error_s: f64,
    /// Equal differential times instead of `residual`: with `s_minus_p`
    /// one [`EdtTerm`] per station with both picks (exactly the Gaussian S-P
    /// term for [`EdtPower::NMinusOne`]); with `absolute_times` one
    /// [`EdtTerm`] over every pick of the network (origin-time free, so
    /// `origin_time` must stay `Marginalised`). `None`: use `residual`.
    pub edt: Option<EdtPower>,
}

impl Default for LikelihoodOptions {
    fn default() -> Self {
        LikelihoodOptions {
            s_minus_p: true,
            absolute_times: false,
            origin_time: OriginTime::Marginalised,
            back_azimuth: true,
            residual: ResidualModel::Gaussian,
            model_error_s: 0.0,
            edt: None,
        }
    }
}

/// Why a likelihood could not be built.
#[derive(Debug, thiserror::Error)]
pub enum LikelihoodError {
    /// The picks are invalid.
    #[error(transparent)]
    Picks(#[from] PicksError),
    /// A travel-time field could not be built.
    #[error("travel-time field of station {station}, phase {phase}: {source}")]
    TravelTime {
        /// Station code.
        station: String,
        /// Phase.
        phase: Phase,
        /// Cause.
        #[source]
        source: TravelTimeError,
    },
    /// S-P and absolute times both enabled.
    #[error("s_minus_p and absolute_times both use the same picks; enable only one")]
    DoubleCounting,
    /// EDT with a sampled origin time (EDT has no origin time).
    #[error(
        "the equal-differential-time likelihood has no origin time; use origin_time = marginalised"
    )]
    EdtSampledOrigin,
    /// Marginalised origin time with non-Gaussian residuals.
    #[error("origin_time = marginalised needs residual = gaussian (no closed form for Student-t); sample the origin time instead")]
    MarginalNeedsGaussian,
    /// An option is out of range.
    #[error("likelihood option `{field}` = {value} is invalid: {why}")]
    InvalidOption {
        /// Option name.
        field: &'static str,
        /// Value.
        value: f64,
        /// Allowed range.
        why: &'static str,
    },
}

/// The sum of the enabled likelihood terms for one event.
#[derive(Clone)]
pub struct Likelihood {
    /// S-P terms, one per station with both picks.
    pub s_minus_p: Vec<SMinusPTerm>,
    /// The absolute-times term, if enabled and there are picks.
    pub absolute: Option<AbsoluteTimesTerm>,
    /// Equal-differential-time terms: one per station (S-P) or one for the
    /// network, when [`LikelihoodOptions::edt`] is set.
    pub edt: Vec<EdtTerm>,
    /// Back-azimuth terms.
    pub back_azimuth: Vec<BackAzimuthTerm>,
    /// Origin-time treatment (decides the posterior's dimension).
    pub origin_time: OriginTime,
    /// All picks as an absolute-times term (Gaussian), used to estimate the
    /// origin time at a hypocentre even when the term is not in the
    /// likelihood: the weighted mean of `t_i − T_i(x)`, or under EDT the
    /// weighted median ([`AbsoluteTimesTerm::with_median_origin`]).
    pub origin_estimator: Option<AbsoluteTimesTerm>,
}

impl std::fmt::Debug for Likelihood {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Likelihood")
            .field("s_minus_p", &self.s_minus_p)
            .field("absolute", &self.absolute)
            .field("edt", &self.edt)
            .field("back_azimuth", &self.back_azimuth)
            .field("origin_time", &self.origin_time)
            .finish()
    }
}

/// Whether an event whose S-P times are impossible at some station (S
/// before P, or longer than the region allows) must be refused rather than
/// located under `opts`: yes, except under the EDT network likelihood with
/// at least three picks, where the bad pick spoils only its own pairs and
/// the others locate the event (a lone station's P and S are one pair, the
/// S-P term itself, and are still refused).
pub fn refuses_impossible_s_minus_p(opts: &LikelihoodOptions, picks: &Picks) -> bool {
    let n_picks: usize = picks
        .stations
        .iter()
        .map(|s| usize::from(s.p.is_some()) + usize::from(s.s.is_some()))
        .sum();
    !(opts.edt.is_some() && opts.absolute_times && n_picks >= 3)
}

impl Likelihood {
    /// Build the terms of `picks` with fields from `model`.
    pub fn build(
        picks: &Picks,
        model: &dyn TravelTimeModel,
        opts: &LikelihoodOptions,
    ) -> Result<Self, LikelihoodError> {
        picks.validate()?;
        if opts.s_minus_p && opts.absolute_times {
            return Err(LikelihoodError::DoubleCounting);
        }
        if !(opts.model_error_s.is_finite() && opts.model_error_s >= 0.0) {
            return Err(LikelihoodError::InvalidOption {
                field: "model_error_s",
                value: opts.model_error_s,
                why: "must be finite and >= 0",
            });
        }
        if let ResidualModel::StudentT { nu } = opts.residual {
            if !(nu.is_finite() && nu > 0.0) {
                return Err(LikelihoodError::InvalidOption {
                    field: "residual.nu",
                    value: nu,
                    why: "must be finite and > 0",
                });
            }
        }
        if opts.edt.is_some() && matches!(opts.origin_time, OriginTime::Sampled { .. }) {
            return Err(LikelihoodError::EdtSampledOrigin);
        }
        if let OriginTime::Sampled { min_s, max_s } = opts.origin_time {
            if !(min_s.is_finite() && max_s.is_finite() && min_s < max_s) {
                return Err(LikelihoodError::InvalidOption {
                    field: "origin_time.min_s/max_s",
                    value: max_s - min_s,
                    why: "need finite min_s < max_s",
                });
            }
        } else if opts.absolute_times
            && opts.edt.is_none()
            && opts.residual != ResidualModel::Gaussian
        {
            return Err(LikelihoodError::MarginalNeedsGaussian);
        }
        let field = |sp: &crate::picks::StationPicks, phase: Phase| {
            model
                .field(&sp.station, phase)
                .map_err(|source| LikelihoodError::TravelTime {
                    station: sp.station.code.clone(),
                    phase,
                    source,
                })
        };
        let me2 = opts.model_error_s * opts.model_error_s;
        let mut s_minus_p = Vec::new();
        let mut edt = Vec::new();
        let mut back_azimuth = Vec::new();
        let mut arrivals = Vec::new();
        for sp in &picks.stations {
            let fp = if sp.p.is_some() {
                Some(field(sp, Phase::P)?)
            } else {
                None
            };
            let fs = if sp.s.is_some() {
                Some(field(sp, Phase::S)?)
            } else {
                None
            };
            if let (Some(p), Some(s), Some(fp), Some(fs)) = (sp.p, sp.s, &fp, &fs) {
                if let (true, Some(power)) = (opts.s_minus_p, opts.edt) {
                    let arrival = |pk: crate::picks::PhasePick, f: &std::sync::Arc<_>, phase| {
                        let sigma = (pk.sigma_s * pk.sigma_s + me2).sqrt();
                        absolute::Arrival::new(
                            sp.station.code.clone(),
                            phase,
                            std::sync::Arc::clone(f),
                            pk.time_s,
                            sigma,
                        )
                    };
                    edt.push(EdtTerm::new(
                        vec![arrival(p, fp, Phase::P), arrival(s, fs, Phase::S)],
                        power,
                    ));
                } else if opts.s_minus_p {
                    let sigma = (p.sigma_s * p.sigma_s + s.sigma_s * s.sigma_s + me2).sqrt();
                    s_minus_p.push(SMinusPTerm::new(
                        sp.station.code.clone(),
                        fp.clone(),
                        fs.clone(),
                        s.time_s - p.time_s,
                        sigma,
                        opts.residual,
                    ));
                }
            }
            for (pick, f, phase) in [(sp.p, &fp, Phase::P), (sp.s, &fs, Phase::S)] {
                if let (Some(pk), Some(f)) = (pick, f) {
                    let sigma = (pk.sigma_s * pk.sigma_s + me2).sqrt();
                    arrivals.push(
                        absolute::Arrival::new(sp.station.code.clone(), phase, f.clone(), pk.time_s, sigma)
                            .with_pick_sigma(pk.sigma_s),
                    );
                }
            }
            if let (true, Some(b)) = (opts.back_azimuth, sp.back_azimuth) {
                back_azimuth.push(BackAzimuthTerm::new(
                    sp.station.code.clone(),
                    sp.station.position_km,
                    b,
                ));
            }
        }
        let origin_estimator = if arrivals.is_empty() {
            None
        } else {
            // Under EDT the reported origin time and residuals must not
            // be dragged by the outlier picks the likelihood forgives.
            Some(
                AbsoluteTimesTerm::new(arrivals.clone(), ResidualModel::Gaussian)
                    .with_median_origin(opts.edt.is_some()),
            )
        };
        let absolute = match (opts.absolute_times && !arrivals.is_empty(), opts.edt) {
            (true, Some(power)) => {
                edt.push(EdtTerm::new(arrivals, power));
                None
            }
            (true, None) => Some(AbsoluteTimesTerm::new(arrivals, opts.residual)),
            (false, _) => None,
        };
        Ok(Likelihood {
            s_minus_p,
            absolute,
            edt,
            back_azimuth,
            origin_time: opts.origin_time,
            origin_estimator,
        })
    }

    /// Whether the origin time is a sampled parameter (4D posterior).
    pub fn samples_origin_time(&self) -> bool {
        matches!(self.origin_time, OriginTime::Sampled { .. }) && self.absolute.is_some()
    }

    /// Number of terms in the sum.
    pub fn n_terms(&self) -> usize {
        self.s_minus_p.len()
            + self.edt.len()
            + self.back_azimuth.len()
            + usize::from(self.absolute.is_some())
    }

    /// Log likelihood at `x` (and origin time `t0_s` when sampled), with
    /// the gradient *added* to `grad` (1/km) and `dt0` (1/s).
    /// `-inf` where a field cannot answer. No allocation.
    pub fn log_likelihood_and_gradient(
        &self,
        x: [f64; 3],
        t0_s: Option<f64>,
        grad: &mut [f64; 3],
        dt0: &mut f64,
    ) -> f64 {
        let mut lp = 0.0;
        for t in &self.s_minus_p {
            lp += t.log_likelihood_and_gradient(x, grad);
            if lp == f64::NEG_INFINITY {
                return lp;
            }
        }
        for t in &self.edt {
            lp += t.log_likelihood_and_gradient(x, grad);
            if lp == f64::NEG_INFINITY {
                return lp;
            }
        }
        for t in &self.back_azimuth {
            lp += t.log_likelihood_and_gradient(x, grad);
        }
        if let Some(a) = &self.absolute {
            lp += match t0_s {
                Some(t0) => a.log_likelihood_with_origin_and_gradient(x, t0, grad, dt0),
                None => a.log_marginal_and_gradient(x, grad),
            };
        }
        lp
    }

    /// Log likelihood only (no gradient work beyond what fields do).
    pub fn log_likelihood(&self, x: [f64; 3], t0_s: Option<f64>) -> f64 {
        let mut lp = 0.0;
        for t in &self.s_minus_p {
            lp += t.log_likelihood(x);
            if lp == f64::NEG_INFINITY {
                return lp;
            }
        }
        for t in &self.edt {
            lp += t.log_likelihood(x);
            if lp == f64::NEG_INFINITY {
                return lp;
            }
        }
        for t in &self.back_azimuth {
            lp += t.log_likelihood(x);
        }
        if let Some(a) = &self.absolute {
            lp += match t0_s {
                Some(t0) => a.log_likelihood_with_origin(x, t0),
                None => a.log_marginal(x),
            };
        }
        lp
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kernels_match_statrs_densities() {
        use statrs::distribution::{Continuous, Normal, StudentsT};
        let g = ResidualKernel::new(ResidualModel::Gaussian, 0.3);
        let t = ResidualKernel::new(ResidualModel::StudentT { nu: 4.0 }, 0.3);
        let n = Normal::new(0.0, 0.3).unwrap();
        let st = StudentsT::new(0.0, 0.3, 4.0).unwrap();
        for r in [-1.0, -0.1, 0.0, 0.25, 2.0] {
            assert!((g.eval(r).0 - n.ln_pdf(r)).abs() < 1e-12);
            assert!((t.eval(r).0 - st.ln_pdf(r)).abs() < 1e-12);
            let h = 1e-6;
            for k in [g, t] {
                let fd = (k.eval(r + h).0 - k.eval(r - h).0) / (2.0 * h);
                assert!((fd - k.eval(r).1).abs() < 1e-6, "{r}");
            }
        }
    }
}
