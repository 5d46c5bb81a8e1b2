//! Summaries from draws: moments, MAP, ellipsoid/ellipse/HDI coverage,
//! cluster probabilities and origin time, against independent draws from
//! known distributions.
#![allow(clippy::needless_range_loop)] // loops over the 3 coordinates read best indexed

use chrono::{TimeZone, Utc};
use eqnemix::grid_posterior::GridPosterior;
use eqnemix::likelihood::{LikelihoodOptions, OriginTime};
use eqnemix::picks::{PhasePick, Picks, StationPicks};
use eqnemix::posterior::LocationPosterior;
use eqnemix::prior::{ClusterPrior, PriorOptions, RegionBox};
use eqnemix::samplers::{DrawStats, Draws};
use eqnemix::summary::{LocationSummary, SummaryError, SummaryOptions};
use eqnemix::ClusterGaussian;
use nalgebra::{Matrix3, Vector3};
use rand::{Rng, SeedableRng};
use rand_distr::StandardNormal;
use eqnemix::traveltime::Station;
use statrs::distribution::{ChiSquared, ContinuousCDF};

mod common;
use common::{TestModel, VP, VS};

const MEAN: [f64; 3] = [3.0, -2.0, 12.0];
const COV: [[f64; 3]; 3] = [[4.0, 1.5, 0.8], [1.5, 2.5, -0.6], [0.8, -0.6, 3.0]];

fn gaussian_posterior() -> LocationPosterior {
    let c = [ClusterGaussian {
        id: 0,
        n_events: 9,
        mean_km: MEAN,
        cov_km2: COV,
    }];
    let prior = ClusterPrior::new(&c, &[1.0], &PriorOptions::default()).unwrap();
    LocationPosterior::prior_only(
        prior,
        RegionBox::new([-20.0, -20.0, 0.0], [20.0, 20.0, 30.0]),
    )
    .unwrap()
}

/// Independent Gaussian draws (own Cholesky), split into `chains` chains.
fn gaussian_draws(n: usize, chains: usize, seed: u64) -> Vec<Draws> {
    let l = Matrix3::from_fn(|i, j| COV[i][j]).cholesky().unwrap().l();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    (0..chains)
        .map(|_| {
            let mut d = Draws::new(3);
            for _ in 0..n / chains {
                let z = Vector3::from_fn(|_, _| rng.sample::<f64, _>(StandardNormal));
                let x = Vector3::from(MEAN) + l * z;
                d.push(&[x[0], x[1], x[2]], DrawStats::default());
            }
            d
        })
        .collect()
}

fn binomial_tol(p: f64, n: usize) -> f64 {
    4.0 * (p * (1.0 - p) / n as f64).sqrt()
}

#[test]
fn gaussian_draws_give_moments_map_and_calibrated_regions() {
    let post = gaussian_posterior();
    let chains = gaussian_draws(20_000, 2, 5);
    let s = LocationSummary::from_draws(&post, &chains, &SummaryOptions::default(), None).unwrap();
    let n = s.n_draws;
    assert_eq!(n, 20_000);
    assert!((s.weights_ess - n as f64).abs() < 1e-6);
    for a in 0..3 {
        let se = (COV[a][a] / n as f64).sqrt();
        assert!((s.mean_km[a] - MEAN[a]).abs() < 4.0 * se, "mean {a}");
        for b in 0..3 {
            let tol = 5.0 * ((COV[a][a] * COV[b][b] + COV[a][b].powi(2)) / n as f64).sqrt();
            assert!(
                (s.cov_km2[a][b] - COV[a][b]).abs() < tol,
                "cov {a}{b}: {}",
                s.cov_km2[a][b]
            );
        }
        // The MAP of a Gaussian is its mean (exactly, not the sample mean).
        assert!(
            (s.map_km[a] - MEAN[a]).abs() < 1e-3,
            "map {a}: {}",
            s.map_km[a]
        );
    }
    // Coverage of the ellipsoids, epicentral ellipses and HDIs.
    let pts: Vec<&[f64]> = chains.iter().flat_map(|c| c.iter()).collect();
    for (i, &level) in [0.68, 0.90, 0.95].iter().enumerate() {
        let e = &s.ellipsoids[i];
        assert_eq!(e.confidence, level);
        let inside = pts
            .iter()
            .filter(|x| {
                let d = [
                    x[0] - s.mean_km[0],
                    x[1] - s.mean_km[1],
                    x[2] - s.mean_km[2],
                ];
                e.axes
                    .iter()
                    .map(|ax| {
                        let p: f64 = (0..3).map(|k| d[k] * ax.direction[k]).sum();
                        (p / ax.length_km).powi(2)
                    })
                    .sum::<f64>()
                    <= 1.0
            })
            .count() as f64
            / n as f64;
        assert!(
            (inside - level).abs() < binomial_tol(level, n),
            "ellipsoid {level}: {inside}"
        );

        let el = &s.epicentral_ellipses[i];
        let az = el.azimuth_deg.to_radians();
        let (u, v) = ([az.sin(), az.cos()], [az.cos(), -az.sin()]);
        let inside = pts
            .iter()
            .filter(|x| {
                let d = [x[0] - s.mean_km[0], x[1] - s.mean_km[1]];
                let a = d[0] * u[0] + d[1] * u[1];
                let b = d[0] * v[0] + d[1] * v[1];
                (a / el.semi_major_km).powi(2) + (b / el.semi_minor_km).powi(2) <= 1.0
            })
            .count() as f64
            / n as f64;
        assert!(
            (inside - level).abs() < binomial_tol(level, n),
            "ellipse {level}: {inside}"
        );

        let h = &s.hdi[i];
        for a in 0..3 {
            let inside = pts
                .iter()
                .filter(|x| x[a] >= h.lower_km[a] && x[a] <= h.upper_km[a])
                .count() as f64
                / n as f64;
            assert!(
                inside >= level - 1e-9 && inside < level + 2.0 / n as f64,
                "hdi {level} axis {a}: {inside}"
            );
            // Symmetric distribution: the HDI is mean ± z σ. The shortest
            // interval of a sample converges slowly (n^(-1/3)), hence 0.15 σ.
            let sd = COV[a][a].sqrt();
            let z = ChiSquared::new(1.0).unwrap().inverse_cdf(level).sqrt();
            let mid = 0.5 * (h.lower_km[a] + h.upper_km[a]);
            assert!((mid - MEAN[a]).abs() < 0.15 * sd, "hdi centre {a}: {mid}");
            let half = 0.5 * (h.upper_km[a] - h.lower_km[a]);
            assert!(
                (half - z * sd).abs() < 0.05 * z * sd,
                "hdi half-width {a}: {half} vs {}",
                z * sd
            );
        }
    }
    assert_eq!(s.cluster_probabilities, vec![1.0]);
    assert!(s.origin_time.is_none() && s.geographic.is_none());
}

#[test]
fn weighted_grid_draws_reproduce_the_grid_moments() {
    let post = gaussian_posterior();
    let g = GridPosterior::evaluate(&post, [30, 30, 24]).unwrap();
    let s = LocationSummary::from_grid(&post, &g, &SummaryOptions::default(), None).unwrap();
    for a in 0..3 {
        assert!((s.mean_km[a] - g.mean_km[a]).abs() < 1e-9);
        for b in 0..3 {
            assert!((s.cov_km2[a][b] - g.cov_km2[a][b]).abs() < 1e-9);
        }
        assert!((s.mean_km[a] - MEAN[a]).abs() < 1e-3);
    }
    assert!(s.weights_ess < s.n_draws as f64);
}

#[test]
fn cluster_probabilities_match_mixture_indicators() {
    // Two overlapping clusters; draws from the mixture with their labels.
    let cs = [
        ClusterGaussian {
            id: 0,
            n_events: 5,
            mean_km: [0.0, 0.0, 10.0],
            cov_km2: [[4.0, 0.0, 0.0], [0.0, 4.0, 0.0], [0.0, 0.0, 4.0]],
        },
        ClusterGaussian {
            id: 1,
            n_events: 5,
            mean_km: [3.0, 0.0, 10.0],
            cov_km2: [[4.0, 0.0, 0.0], [0.0, 4.0, 0.0], [0.0, 0.0, 4.0]],
        },
    ];
    let w = [0.3, 0.7];
    let prior = ClusterPrior::new(&cs, &w, &PriorOptions::default()).unwrap();
    let post = LocationPosterior::prior_only(
        prior,
        RegionBox::new([-30.0, -30.0, 0.0], [30.0, 30.0, 30.0]),
    )
    .unwrap();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
    let mut d = Draws::new(3);
    let n = 20_000;
    let mut n0 = 0;
    for _ in 0..n {
        let k = if rng.gen::<f64>() < w[0] { 0 } else { 1 };
        n0 += (k == 0) as usize;
        let x = [0, 1, 2].map(|i| cs[k].mean_km[i] + 2.0 * rng.sample::<f64, _>(StandardNormal));
        d.push(&x, DrawStats::default());
    }
    let s = LocationSummary::from_draws(&post, &[d], &SummaryOptions::default(), None).unwrap();
    // Mean responsibility and indicator frequency both estimate w_0 = 0.3;
    // the responsibility average has the smaller variance.
    assert!(
        (s.cluster_probabilities[0] - 0.3).abs() < binomial_tol(0.3, n),
        "{:?}",
        s.cluster_probabilities
    );
    assert!((n0 as f64 / n as f64 - s.cluster_probabilities[0]).abs() < binomial_tol(0.3, n));
    assert!((s.cluster_probabilities.iter().sum::<f64>() - 1.0).abs() < 1e-12);
}

fn picks_at(x: [f64; 3], t0: f64) -> Picks {
    let st = Station {
        code: "AA".into(),
        position_km: [0.0, 0.0, 0.0],
    };
    let r = (x[0] * x[0] + x[1] * x[1] + x[2] * x[2]).sqrt();
    Picks {
        event_id: "ev-ot".into(),
        reference_time: Utc.with_ymd_and_hms(2022, 7, 8, 9, 10, 11).unwrap(),
        stations: vec![StationPicks {
            station: st,
            p: Some(PhasePick {
                time_s: t0 + r / VP,
                sigma_s: 0.05,
            }),
            s: Some(PhasePick {
                time_s: t0 + r / VS,
                sigma_s: 0.05,
            }),
            back_azimuth: None,
        }],
    }
}

#[test]
fn origin_time_from_picks_at_the_draws() {
    let truth = [4.0, 3.0, 12.0];
    let c = [ClusterGaussian {
        id: 0,
        n_events: 9,
        mean_km: truth,
        cov_km2: COV,
    }];
    let prior = ClusterPrior::new(&c, &[1.0], &PriorOptions::default()).unwrap();
    let region = RegionBox::new([-20.0, -20.0, 0.0], [20.0, 20.0, 30.0]);
    let post = LocationPosterior::from_picks(
        prior.clone(),
        &picks_at(truth, 2.5),
        &TestModel,
        &LikelihoodOptions::default(),
        region,
    )
    .unwrap();
    // Every draw at the truth: the origin time is exact, its sd is 1/sqrt(W).
    let mut d = Draws::new(3);
    for _ in 0..10 {
        d.push(&truth, DrawStats::default());
    }
    let s = LocationSummary::from_draws(
        &post,
        &[d],
        &SummaryOptions {
            map_refine_steps: 0,
            ..Default::default()
        },
        None,
    )
    .unwrap();
    let ot = s.origin_time.unwrap();
    assert!((ot.offset_s - 2.5).abs() < 1e-9);
    assert!((ot.sigma_s - 0.05 / 2f64.sqrt()).abs() < 1e-12);
    assert_eq!(ot.utc.to_rfc3339(), "2022-07-08T09:10:13.500+00:00");
    assert!(s.rms_residual_s.unwrap() < 1e-9);
    assert_eq!(s.n_arrivals, 2);
    assert_eq!(s.event_id, "ev-ot");

    // Sampled origin time: taken from the 4th coordinate.
    let o = LikelihoodOptions {
        s_minus_p: false,
        absolute_times: true,
        origin_time: OriginTime::Sampled {
            min_s: -10.0,
            max_s: 10.0,
        },
        ..Default::default()
    };
    let post4 = LocationPosterior::from_picks(prior, &picks_at(truth, 2.5), &TestModel, &o, region)
        .unwrap();
    let mut d = Draws::new(4);
    for t in [2.0, 3.0] {
        d.push(&[truth[0], truth[1], truth[2], t], DrawStats::default());
    }
    let s = LocationSummary::from_draws(&post4, &[d], &SummaryOptions::default(), None).unwrap();
    let ot = s.origin_time.unwrap();
    assert!((ot.offset_s - 2.5).abs() < 1e-12 && (ot.sigma_s - 0.5).abs() < 1e-12);
}

#[test]
fn bad_inputs_are_typed_errors() {
    let post = gaussian_posterior();
    let o = SummaryOptions::default();
    assert_eq!(
        LocationSummary::from_draws(&post, &[Draws::new(3)], &o, None).unwrap_err(),
        SummaryError::NoDraws
    );
    let mut d4 = Draws::new(4);
    d4.push(&[0.0, 0.0, 1.0, 0.0], DrawStats::default());
    assert!(matches!(
        LocationSummary::from_draws(&post, &[d4], &o, None),
        Err(SummaryError::DimensionMismatch {
            expected: 3,
            got: 4
        })
    ));
    let mut d = gaussian_draws(10, 1, 1).remove(0);
    let bad = SummaryOptions {
        levels: vec![1.5],
        ..Default::default()
    };
    assert_eq!(
        LocationSummary::from_draws(&post, &[d.clone()], &bad, None).unwrap_err(),
        SummaryError::BadLevel(1.5)
    );
    d.weights = Some(vec![1.0; 3]);
    assert!(matches!(
        LocationSummary::from_draws(&post, &[d.clone()], &o, None),
        Err(SummaryError::BadWeights { chain: 0, .. })
    ));
    d.weights = Some(vec![-1.0; 10]);
    assert!(matches!(
        LocationSummary::from_draws(&post, &[d], &o, None),
        Err(SummaryError::BadWeights { chain: 0, .. })
    ));
}

/// A posterior of two well separated Gaussian clusters (prior only, weights
/// 0.7/0.3, so the modes' masses, means and peaks are known exactly): the
/// summary lists both modes, heaviest first, with their masses, means and
/// covariances within Monte Carlo error, puts the headline location at the
/// heavier cluster's peak (refined to its mean, where a Gaussian peaks),
/// never at the overall mean between the clusters, and the MAP at the
/// higher of the two peaks.
#[test]
fn two_modes_are_reported_and_the_headline_is_the_heavier_peak() {
    let a = ClusterGaussian { id: 0, n_events: 7, mean_km: [-10.0, 0.0, 8.0], cov_km2: [[4.0, 1.0, 0.0], [1.0, 3.0, 0.0], [0.0, 0.0, 2.0]] };
    // The lighter cluster is sharper: its peak density is higher.
    let b = ClusterGaussian { id: 1, n_events: 3, mean_km: [12.0, 4.0, 10.0], cov_km2: [[0.5, 0.0, 0.0], [0.0, 0.5, 0.0], [0.0, 0.0, 0.5]] };
    let w = [0.7, 0.3];
    let prior = ClusterPrior::new(&[a.clone(), b.clone()], &w, &PriorOptions::default()).unwrap();
    let post = LocationPosterior::prior_only(prior.clone(), RegionBox::new([-40.0, -40.0, 0.0], [40.0, 40.0, 40.0])).unwrap();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
    let mut d = Draws::new(3);
    let n = 40_000;
    for _ in 0..n {
        let x = prior.sample(&mut rng);
        d.push(&x, DrawStats::default());
    }
    let s = LocationSummary::from_draws(&post, &[d], &SummaryOptions::default(), None).unwrap();
    assert_eq!(s.modes.len(), 2, "{:?}", s.modes);
    for (m, (c, wk)) in s.modes.iter().zip([(&a, w[0]), (&b, w[1])]) {
        assert_eq!(m.cluster, Some(c.id));
        assert!((m.mass - wk).abs() < binomial_tol(wk, n), "mass {} vs {wk}", m.mass);
        for i in 0..3 {
            let se = (c.cov_km2[i][i] / (wk * n as f64)).sqrt();
            assert!((m.mean_km[i] - c.mean_km[i]).abs() < 5.0 * se, "mode {:?} mean {i}", m.cluster);
            assert!((m.cov_km2[i][i] / c.cov_km2[i][i] - 1.0).abs() < 0.1, "mode {:?} var {i}", m.cluster);
            // The refined peak of a Gaussian is its mean (to the optimiser's precision).
            assert!((m.highest_density_km[i] - c.mean_km[i]).abs() < 1e-3, "mode {:?} peak {i}: {:?}", m.cluster, m.highest_density_km);
        }
    }
    // Headline: the heavier mode's peak, far from the overall mean.
    assert_eq!(s.location_km, s.modes[0].highest_density_km);
    let gap = |p: [f64; 3], q: [f64; 3]| (0..3).map(|i| (p[i] - q[i]).powi(2)).sum::<f64>().sqrt();
    assert!(gap(s.location_km, a.mean_km) < 1e-3);
    assert!(gap(s.mean_km, a.mean_km) > 5.0 && gap(s.mean_km, b.mean_km) > 5.0, "the mean lies between the modes");
    // MAP: the sharper, lighter cluster has the higher peak.
    assert!(gap(s.map_km, b.mean_km) < 1e-3, "map {:?}", s.map_km);
    // Cluster probabilities (responsibilities) agree with the mode masses here.
    assert!((s.cluster_probabilities[0] - s.modes[0].mass).abs() < 0.01);
}

/// Issue 13 (found by ObsPy reading the QuakeML: two origins at one point):
/// a mode region without a peak of its own had its "highest-density point"
/// at the neighbouring region's peak, because the refinement climbed out of
/// the region. A broad cluster centred on a sharp one dominates only in a
/// shell around it; that mode's highest point is on the shell's inner
/// border (radius r where the two weighted densities are equal), inside its
/// own region, not at the sharp cluster's peak.
#[test]
fn a_mode_without_a_peak_of_its_own_has_its_highest_point_in_its_region() {
    let sharp = ClusterGaussian { id: 0, n_events: 7, mean_km: [0.0, 0.0, 25.0], cov_km2: [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]] };
    let broad = ClusterGaussian { id: 1, n_events: 3, mean_km: [0.0, 0.0, 25.0], cov_km2: [[25.0, 0.0, 0.0], [0.0, 25.0, 0.0], [0.0, 0.0, 25.0]] };
    let w = [0.7, 0.3];
    let prior = ClusterPrior::new(&[sharp.clone(), broad], &w, &PriorOptions::default()).unwrap();
    let post = LocationPosterior::prior_only(prior.clone(), RegionBox::new([-40.0, -40.0, 0.0], [40.0, 40.0, 60.0])).unwrap();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
    let mut d = Draws::new(3);
    for _ in 0..20_000 {
        d.push(&prior.sample(&mut rng), DrawStats::default());
    }
    let s = LocationSummary::from_draws(&post, &[d], &SummaryOptions::default(), None).unwrap();
    assert_eq!(s.modes.iter().map(|m| m.cluster).collect::<Vec<_>>(), [Some(0), Some(1)], "{:?}", s.modes);
    // Equal weighted densities: 0.7 e^{-r²/2} = 0.3/125 e^{-r²/50}.
    let r_border = ((0.7_f64 * 125.0 / 0.3).ln() / 0.48).sqrt();
    let radius = |p: [f64; 3]| (p[0].powi(2) + p[1].powi(2) + (p[2] - 25.0).powi(2)).sqrt();
    assert!(radius(s.modes[0].highest_density_km) < 1e-3, "{:?}", s.modes[0].highest_density_km);
    let p1 = s.modes[1].highest_density_km;
    assert_eq!(prior.dominant_cluster(p1), Some(1), "mode 1's point {p1:?} lies outside its region");
    assert!((radius(p1) - r_border).abs() < 0.05, "radius {} vs border {r_border}", radius(p1));
    assert!(s.modes[1].log_density < s.modes[0].log_density);
    for m in &s.modes {
        assert_eq!(eqnemix::summary::modes::region_label(&prior, &m.highest_density_point), m.cluster.unwrap());
    }
}
