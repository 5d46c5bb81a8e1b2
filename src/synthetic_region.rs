//! A synthetic test region for studies of the location method: one station,
//! K = 5 catalog clusters at different azimuths and distances, a layered
//! crust, events drawn from the clusters and P, S and back-azimuth picks
//! simulated with noise (no waveforms).
//!
//! The generative model is the inference model, so posteriors are
//! calibrated by construction and coverage is a test of the machinery:
//!
//! 1. the classifier's probability vector `p` of an event is drawn from a
//!    Dirichlet distribution concentrated on one cluster chosen uniformly;
//! 2. the event's cluster `k ~ Categorical(p)` and its hypocentre
//!    `x ~ N(μ_k, Σ_k)` restricted to the region box (rejection);
//! 3. P and S arrival times are `t0 + T(x) + N(0, σ²)` with the layered
//!    model's travel times `T` (s); the back-azimuth is the true direction
//!    from the station to `x` plus von Mises noise of concentration κ.
//!
//! The prior of an event is then the mixture of the cluster Gaussians with
//! weights `p` restricted to the box, and the likelihood the S-P (and
//! back-azimuth) terms built from the picks, exactly the density sampled.
//! Coordinates: km, `x` east, `y` north, `z` depth positive down; times s.

use crate::likelihood::{BackAzimuthTerm, LikelihoodOptions};
use crate::picks::{BackAzimuthObs, PhasePick, Picks, StationPicks};
use crate::posterior::{LocationPosterior, PosteriorError};
use crate::prior::{ClusterPrior, PriorError, PriorOptions, RegionBox};
use crate::locate::{locate_event, EventLocation, LocateError, LocateOptions};
use crate::summary::{LocationSummary, SummaryOptions};
use crate::ClusterGaussian;
use chrono::{TimeZone, Utc};
use eqnemix_samplers::any::SamplerConfig;
use eqnemix_samplers::smc::Reference;
use eqnemix_samplers::{Draws, LogDensity};
use eqnemix_traveltime::layered::{Layer, Layered1D};
use eqnemix_traveltime::{Phase, Station, TravelTimeError, TravelTimeModel};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Gamma, StandardNormal};
use std::f64::consts::PI;
use std::sync::Arc;

/// Why a synthetic event could not be made or located.
#[derive(Debug, thiserror::Error)]
pub enum SyntheticError {
    /// Travel-time model or field.
    #[error(transparent)]
    TravelTime(#[from] TravelTimeError),
    /// Prior.
    #[error(transparent)]
    Prior(#[from] PriorError),
    /// Posterior.
    #[error(transparent)]
    Posterior(#[from] PosteriorError),
    /// Locating the event (sampler, summary).
    #[error(transparent)]
    Locate(#[from] LocateError),
    /// The true hypocentre is outside a travel-time domain.
    #[error("event {0}: true hypocentre outside the travel-time domain")]
    OutsideDomain(String),
}

/// The region: station, clusters, crust, box and noise levels.
#[derive(Clone)]
pub struct SyntheticRegion {
    /// The one station, at the origin on the datum.
    pub station: Station,
    /// Cluster Gaussians (km, km²).
    pub clusters: Vec<ClusterGaussian>,
    /// Layered P/S model used both to simulate and to locate.
    pub model: Arc<Layered1D>,
    /// Region box (km): the prior's support.
    pub region: RegionBox,
    /// Standard deviation of P and S pick errors (s).
    pub pick_sigma_s: f64,
    /// Back-azimuth one-sigma error (degrees), `κ = 1/σ²` (σ in rad).
    pub baz_sigma_deg: f64,
    /// Dirichlet concentration of the classifier's probabilities: the chosen
    /// cluster gets `alpha_main`, the others `alpha_other`.
    pub alpha_main: f64,
    /// See `alpha_main`.
    pub alpha_other: f64,
}

impl std::fmt::Debug for SyntheticRegion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SyntheticRegion")
            .field("station", &self.station)
            .field("clusters", &self.clusters)
            .field("region", &self.region)
            .field("pick_sigma_s", &self.pick_sigma_s)
            .field("baz_sigma_deg", &self.baz_sigma_deg)
            .finish()
    }
}

/// A 3D covariance (km²) of a cluster elongated along the horizontal
/// direction `strike_deg` (clockwise from north): standard deviations
/// `along`, `across` (horizontal) and `vertical` (km).
pub fn strike_covariance(strike_deg: f64, along: f64, across: f64, vertical: f64) -> [[f64; 3]; 3] {
    let a = strike_deg.to_radians();
    let (u, v) = ([a.sin(), a.cos()], [a.cos(), -a.sin()]);
    let mut c = [[0.0; 3]; 3];
    for i in 0..2 {
        for j in 0..2 {
            c[i][j] = along * along * u[i] * u[j] + across * across * v[i] * v[j];
        }
    }
    c[2][2] = vertical * vertical;
    c
}

impl SyntheticRegion {
    /// The standard region: station `SYN` at the origin; five clusters, two
    /// pairs of which lie at about the same distance (so S-P alone cannot
    /// tell them apart) at different azimuths; a four-layer crust
    /// (Vp 4.8/5.6/6.3/6.8 km/s with tops 0/2/6/18 km, Vp/Vs 1.75); box
    /// 120 × 120 × 30 km; σ = 0.05 s per pick; back-azimuth σ = 8°.
    pub fn standard() -> Result<Self, SyntheticError> {
        let layers = [(0.0, 4.8), (2.0, 5.6), (6.0, 6.3), (18.0, 6.8)]
            .iter()
            .map(|&(top, vp)| Layer::new(top, vp, vp / 1.75))
            .collect();
        let model = Layered1D::new(layers)?;
        // (azimuth deg, distance km, depth km, strike deg, along, across, vertical)
        let spec = [
            (40.0, 22.0, 8.0, 130.0, 5.0, 1.5, 2.0),
            (200.0, 24.0, 10.0, 110.0, 4.0, 2.0, 2.5),
            (300.0, 38.0, 6.0, 30.0, 6.0, 2.0, 1.5),
            (120.0, 40.0, 12.0, 20.0, 5.0, 2.5, 2.0),
            (250.0, 12.0, 5.0, 160.0, 3.0, 1.5, 1.5),
        ];
        let clusters = spec
            .iter()
            .enumerate()
            .map(|(id, &(az, d, z, strike, al, ac, v))| {
                let a: f64 = f64::to_radians(az);
                ClusterGaussian {
                    id,
                    n_events: 100,
                    mean_km: [d * a.sin(), d * a.cos(), z],
                    cov_km2: strike_covariance(strike, al, ac, v),
                }
            })
            .collect();
        Ok(SyntheticRegion {
            station: Station {
                code: "SYN".into(),
                position_km: [0.0, 0.0, 0.0],
            },
            clusters,
            model: Arc::new(model),
            region: RegionBox::new([-60.0, -60.0, 0.0], [60.0, 60.0, 30.0]),
            pick_sigma_s: 0.05,
            baz_sigma_deg: 8.0,
            alpha_main: 3.0,
            alpha_other: 0.5,
        })
    }

    /// Number of clusters.
    pub fn n_clusters(&self) -> usize {
        self.clusters.len()
    }

    /// Travel time (s) of `phase` from `x` (km) to the station.
    pub fn travel_time(&self, x: [f64; 3], phase: Phase) -> Result<f64, TravelTimeError> {
        let f = self.model.field(&self.station, phase)?;
        f.time(x).map_err(|e| TravelTimeError::InvalidModel(e.to_string()))
    }

    /// Draw `n` events with seed `seed` (event `i` uses its own stream, so
    /// event `i` is the same whatever `n`).
    pub fn draw_events(&self, n: usize, seed: u64) -> Result<Vec<SyntheticEvent>, SyntheticError> {
        (0..n).map(|i| self.draw_event(i, seed)).collect()
    }

    /// Draw event number `index` of the stream `seed`.
    pub fn draw_event(&self, index: usize, seed: u64) -> Result<SyntheticEvent, SyntheticError> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        rng.set_stream(index as u64 + 1);
        let k = self.clusters.len();
        let main = rng.gen_range(0..k);
        let mut p: Vec<f64> = (0..k)
            .map(|j| {
                let a = if j == main { self.alpha_main } else { self.alpha_other };
                Gamma::new(a, 1.0).expect("positive shape").sample(&mut rng)
            })
            .collect();
        let s: f64 = p.iter().sum();
        p.iter_mut().for_each(|v| *v /= s);
        // Cluster index from the probabilities, hypocentre from its Gaussian
        // restricted to the box.
        let u: f64 = rng.gen();
        let mut acc = 0.0;
        let mut cluster = k - 1;
        for (j, pj) in p.iter().enumerate() {
            acc += pj;
            if u < acc {
                cluster = j;
                break;
            }
        }
        let c = &self.clusters[cluster];
        let l = cholesky3(&c.cov_km2);
        let true_km = loop {
            let z: [f64; 3] = std::array::from_fn(|_| rng.sample(StandardNormal));
            let x: [f64; 3] = std::array::from_fn(|i| {
                c.mean_km[i] + (0..=i).map(|j| l[i][j] * z[j]).sum::<f64>()
            });
            if self.region.contains(x) {
                break x;
            }
        };
        let id = format!("syn{index:04}");
        let tp = self.travel_time(true_km, Phase::P).map_err(|_| SyntheticError::OutsideDomain(id.clone()))?;
        let ts = self.travel_time(true_km, Phase::S).map_err(|_| SyntheticError::OutsideDomain(id.clone()))?;
        let t0 = 1.0;
        let sig = self.pick_sigma_s;
        let np: f64 = rng.sample(StandardNormal);
        let ns: f64 = rng.sample(StandardNormal);
        let baz_true = BackAzimuthTerm::new(
            self.station.code.clone(),
            self.station.position_km,
            BackAzimuthObs { azimuth_deg: 0.0, kappa: 1.0, p_flip: 0.0 },
        )
        .predicted_rad(true_km);
        let kappa = 1.0 / self.baz_sigma_deg.to_radians().powi(2);
        let baz = baz_true + von_mises(kappa, &mut rng);
        let picks = Picks {
            event_id: id.clone(),
            reference_time: Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap(),
            stations: vec![StationPicks {
                station: self.station.clone(),
                p: Some(PhasePick { time_s: t0 + tp + sig * np, sigma_s: sig }),
                s: Some(PhasePick { time_s: t0 + ts + sig * ns, sigma_s: sig }),
                back_azimuth: Some(BackAzimuthObs {
                    azimuth_deg: baz.to_degrees().rem_euclid(360.0),
                    kappa,
                    p_flip: 0.0,
                }),
            }],
        };
        Ok(SyntheticEvent { id, true_km, cluster, probabilities: p, picks })
    }

    /// The posterior of `event` under another travel-time `model` (e.g. a
    /// homogeneous approximation or the eikonal grid of this crust).
    pub fn posterior_with(
        &self,
        event: &SyntheticEvent,
        model: &dyn TravelTimeModel,
        options: &LikelihoodOptions,
        prior_options: &PriorOptions,
    ) -> Result<LocationPosterior, SyntheticError> {
        let prior = ClusterPrior::new(&self.clusters, &event.probabilities, prior_options)?;
        Ok(LocationPosterior::from_picks(prior, &event.picks, model, options, self.region)?)
    }

    /// Vp(z), Vs(z) of the layered crust (km/s) at depth `z` (km).
    pub fn profile(&self, z: f64) -> (f64, f64) {
        let l = &self.model.layers()[self.model.layer_index(z)];
        (l.vp_km_s, l.vs_km_s)
    }

    /// The same crust on a 3D grid of `spacing_km` covering the region box
    /// (plus one cell), for the eikonal solver (cell-averaged slowness).
    pub fn eikonal_model(&self, spacing_km: f64) -> Result<eqnemix_traveltime::EikonalModel, SyntheticError> {
        let lo = [0, 1, 2].map(|i| self.region.min_km[i] - if i == 2 { 0.0 } else { spacing_km });
        let hi = [0, 1, 2].map(|i| self.region.max_km[i] + spacing_km);
        let n = [0, 1, 2].map(|i| ((hi[i] - lo[i]) / spacing_km).ceil() as usize + 1);
        let geometry = eqnemix_traveltime::GridGeometry { n, origin_km: lo, spacing_km: [spacing_km; 3] };
        let v = eqnemix_traveltime::velocity::VelocityModel3D::from_depth_profile_cell_average(geometry, |z| {
            self.profile(z.max(0.0))
        })?;
        let (vp, vs) = v.into_parts();
        Ok(eqnemix_traveltime::EikonalModel::new(vp, vs)?)
    }

    /// The posterior of `event` with the likelihood `options` and prior
    /// `prior_options` (weights are the event's classifier probabilities).
    pub fn posterior(
        &self,
        event: &SyntheticEvent,
        options: &LikelihoodOptions,
        prior_options: &PriorOptions,
    ) -> Result<LocationPosterior, SyntheticError> {
        let prior = ClusterPrior::new(&self.clusters, &event.probabilities, prior_options)?;
        Ok(LocationPosterior::from_picks(prior, &event.picks, self.model.as_ref(), options, self.region)?)
    }
}

/// One synthetic event: truth, classifier output and picks.
#[derive(Debug, Clone)]
pub struct SyntheticEvent {
    /// Event id, `synNNNN`.
    pub id: String,
    /// True hypocentre (km).
    pub true_km: [f64; 3],
    /// Cluster the event was drawn from.
    pub cluster: usize,
    /// Classifier probabilities (sum 1), the prior weights.
    pub probabilities: Vec<f64>,
    /// Simulated picks (P, S, back-azimuth).
    pub picks: Picks,
}

/// Lower Cholesky factor of a 3×3 SPD matrix.
fn cholesky3(a: &[[f64; 3]; 3]) -> [[f64; 3]; 3] {
    let mut l = [[0.0; 3]; 3];
    for i in 0..3 {
        for j in 0..=i {
            let s: f64 = (0..j).map(|k| l[i][k] * l[j][k]).sum();
            if i == j {
                l[i][i] = (a[i][i] - s).max(0.0).sqrt();
            } else {
                l[i][j] = (a[i][j] - s) / l[j][j];
            }
        }
    }
    l
}

/// One draw (rad, in `(-π, π]`) from a von Mises distribution of mean 0 and
/// concentration `kappa` by the Best & Fisher (1979) rejection algorithm
/// (hand-written: rand_distr has no von Mises).
pub fn von_mises<R: Rng + ?Sized>(kappa: f64, rng: &mut R) -> f64 {
    if kappa < 1e-8 {
        return PI * (2.0 * rng.gen::<f64>() - 1.0);
    }
    let tau = 1.0 + (1.0 + 4.0 * kappa * kappa).sqrt();
    let rho = (tau - (2.0 * tau).sqrt()) / (2.0 * kappa);
    let r = (1.0 + rho * rho) / (2.0 * rho);
    loop {
        let u1: f64 = rng.gen();
        let u2: f64 = rng.gen::<f64>().max(f64::MIN_POSITIVE);
        let u3: f64 = rng.gen();
        let z = (PI * u1).cos();
        let f = (1.0 + r * z) / (r + z);
        let c = kappa * (r - f);
        if c * (2.0 - c) - u2 > 0.0 || (c / u2).ln() + 1.0 - c >= 0.0 {
            let th = f.clamp(-1.0, 1.0).acos();
            return if u3 > 0.5 { th } else { -th };
        }
    }
}

/// Locate one event of a study with `sampler` exactly as `eqnemix locate`
/// does, through [`locate_event`]: Markov samplers start their `n_chains`
/// chains per mode region from the multimodal pilot and are
/// post-stratified by the pilot's mode masses (chains started from prior
/// draws report the masses of where they started, not of the posterior);
/// SMC with a uniform reference and the oct-tree run once on the region
/// box; ADVI from a pilot particle. The summary skips the MAP refinement
/// and averages over at most 2000 draws (the studies score the mean, the
/// ellipses and the draws). The result holds the constrained draws
/// (weighted when several modes were merged), their summary, the run's
/// diagnostics and flags.
pub fn locate_with(
    posterior: &LocationPosterior,
    sampler: &SamplerConfig,
    n_chains: usize,
    seed: u64,
) -> Result<EventLocation, SyntheticError> {
    let options = LocateOptions {
        n_chains,
        seed,
        summary: SummaryOptions { map_refine_steps: 0, max_draws_for_averages: 2000, ..Default::default() },
        ..Default::default()
    };
    Ok(locate_event(posterior, sampler, &options)?)
}

/// Whether `truth` lies in the highest-posterior-density region of mass
/// `level`, estimated from the draws: the region is `{x : π(x) ≥ c}` with
/// `c` the `(1 − level)` (weighted) quantile of the density at the draws.
/// Unlike an ellipsoid this is exact for any shape of posterior, so under a
/// correctly specified model its coverage is `level`.
pub fn in_hpd_region(posterior: &LocationPosterior, chains: &[Draws], truth: [f64; 3], level: f64) -> bool {
    let mut lp: Vec<(f64, f64)> = Vec::new();
    for c in chains {
        let n = c.n_draws();
        for i in 0..n {
            let w = c.weights.as_ref().map_or(1.0 / n as f64, |w| w[i]) / chains.len() as f64;
            lp.push((posterior.log_density(c.draw(i)), w));
        }
    }
    lp.sort_by(|a, b| a.0.total_cmp(&b.0));
    let total: f64 = lp.iter().map(|v| v.1).sum();
    let mut acc = 0.0;
    let mut threshold = f64::NEG_INFINITY;
    for (l, w) in &lp {
        acc += w;
        if acc >= (1.0 - level) * total {
            threshold = *l;
            break;
        }
    }
    let mut x = truth.to_vec();
    if posterior.dim() == 4 {
        x.push(posterior.origin_time_at(truth).map_or(0.0, |t| t.0));
    }
    posterior.log_density(&x) >= threshold
}

/// What one located synthetic event shows.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EventOutcome {
    /// Epicentral distance (km) of the posterior mean from the truth.
    pub epicentral_error_km: f64,
    /// Hypocentral distance (km) of the posterior mean from the truth.
    pub hypocentral_error_km: f64,
    /// The truth lies in the 90 % highest-posterior-density region.
    pub in_hpd90: bool,
    /// The truth lies in the 90 % Gaussian ellipsoid of the summary.
    pub in_ellipsoid90: bool,
    /// Posterior probability of the event's true cluster.
    pub p_true_cluster: f64,
}

/// Locate `event` with `sampler` under the likelihood `options` (prior
/// weights = its classifier probabilities) and score it against its truth.
pub fn score_event(
    region: &SyntheticRegion,
    event: &SyntheticEvent,
    options: &LikelihoodOptions,
    sampler: &SamplerConfig,
    n_chains: usize,
    seed: u64,
) -> Result<EventOutcome, SyntheticError> {
    let post = region.posterior(event, options, &PriorOptions::default())?;
    let loc = locate_with(&post, sampler, n_chains, seed)?;
    let m = loc.summary.mean_km;
    let t = event.true_km;
    let chi2_90_3dof = crate::summary::ellipsoid::chi_square_quantile(3.0, 0.9);
    Ok(EventOutcome {
        epicentral_error_km: epicentral_distance(m, t),
        hypocentral_error_km: ((m[0] - t[0]).powi(2) + (m[1] - t[1]).powi(2) + (m[2] - t[2]).powi(2)).sqrt(),
        in_hpd90: in_hpd_region(&post, &loc.chains, t, 0.9),
        in_ellipsoid90: mahalanobis2(&loc.summary, t) <= chi2_90_3dof,
        p_true_cluster: loc.summary.cluster_probabilities.get(event.cluster).copied().unwrap_or(f64::NAN),
    })
}

/// Median of a slice (NaN if empty).
pub fn median(v: &[f64]) -> f64 {
    let mut s: Vec<f64> = v.iter().copied().filter(|x| !x.is_nan()).collect();
    if s.is_empty() {
        return f64::NAN;
    }
    s.sort_by(f64::total_cmp);
    let n = s.len();
    if n % 2 == 1 {
        s[n / 2]
    } else {
        0.5 * (s[n / 2 - 1] + s[n / 2])
    }
}

/// Squared Mahalanobis distance of `x` from the summary's mean under its
/// covariance (3D); compare with the χ²₃ quantile for ellipsoid coverage.
pub fn mahalanobis2(summary: &LocationSummary, x: [f64; 3]) -> f64 {
    let c = nalgebra::Matrix3::from_fn(|i, j| summary.cov_km2[i][j]);
    let d = nalgebra::Vector3::from_fn(|i, _| x[i] - summary.mean_km[i]);
    c.try_inverse().map_or(f64::INFINITY, |ci| (d.transpose() * ci * d)[(0, 0)])
}

/// Horizontal distance (km) between two hypocentres.
pub fn epicentral_distance(a: [f64; 3], b: [f64; 3]) -> f64 {
    (a[0] - b[0]).hypot(a[1] - b[1])
}


/// Sampler presets of the synthetic-region studies (`coverage_study`,
/// `sensitivity_study` examples): `"smc"` (2000 particles from the uniform
/// box), `"octree"` (20 000 cells, 5000 draws), `"nuts"`
/// ([`crate::config::nuts_sampler`]: dense-metric NUTS, 400 warm-up + 500
/// draws per chain and mode region) or `"importance"` (the default location
/// sampler, [`crate::config::default_sampler`]).
/// `None` for any other name.
pub fn study_sampler(name: &str) -> Option<SamplerConfig> {
    use eqnemix_samplers::{octree::OctreeConfig, smc::SmcConfig};
    Some(match name {
        "smc" => SamplerConfig::Smc(SmcConfig {
            n_particles: 2000,
            reference: Reference::Uniform { lower: vec![], upper: vec![] },
            ..Default::default()
        }),
        "octree" => SamplerConfig::Octree(OctreeConfig { max_cells: 20_000, n_draws: 5000, ..Default::default() }),
        "nuts" => crate::config::nuts_sampler(),
        "importance" => crate::config::default_sampler(),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn von_mises_moments() {
        // E[cos θ] = I1(κ)/I0(κ); for κ = 20: 0.974_679 (series), E[sin θ] = 0.
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let n = 200_000;
        let (mut c, mut s) = (0.0, 0.0);
        for _ in 0..n {
            let t = von_mises(20.0, &mut rng);
            c += t.cos();
            s += t.sin();
        }
        let i0: f64 = (0..60).map(|k| (10f64).powi(2 * k) / (1..=k).map(|j| (j * j) as f64).product::<f64>()).sum();
        let i1: f64 = (0..60)
            .map(|k| (10f64).powi(2 * k + 1) / ((1..=k).map(|j| j as f64).product::<f64>() * (1..=k + 1).map(|j| j as f64).product::<f64>()))
            .sum();
        let m = i1 / i0;
        // sd of cos θ ≈ sqrt(1 - ...) < 0.1 → MC error < 3e-4.
        assert!((c / n as f64 - m).abs() < 1e-3, "{} vs {m}", c / n as f64);
        assert!((s / n as f64).abs() < 2e-3);
    }

    #[test]
    fn events_come_from_their_cluster_and_picks_match_travel_times() {
        let r = SyntheticRegion::standard().unwrap();
        let ev = r.draw_events(50, 7).unwrap();
        for e in &ev {
            assert!(r.region.contains(e.true_km));
            assert!((e.probabilities.iter().sum::<f64>() - 1.0).abs() < 1e-12);
            let st = &e.picks.stations[0];
            let sp_obs = st.s.unwrap().time_s - st.p.unwrap().time_s;
            let sp = r.travel_time(e.true_km, Phase::S).unwrap() - r.travel_time(e.true_km, Phase::P).unwrap();
            // |noise| < 6σ·√2
            assert!((sp_obs - sp).abs() < 6.0 * r.pick_sigma_s * 2f64.sqrt());
        }
        assert_eq!(r.draw_event(3, 7).unwrap().true_km, ev[3].true_km);
    }
}
