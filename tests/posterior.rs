//! The location posterior: analytic gradients against finite differences,
//! the origin-time marginalisation against numerical integration, and the
//! grid reference against analytic moments and an independent Monte Carlo.
#![allow(clippy::needless_range_loop)] // loops over the 3 coordinates read best indexed

use chrono::{TimeZone, Utc};
use eqnemix::grid_posterior::GridPosterior;
use eqnemix::likelihood::{
    Likelihood, LikelihoodError, LikelihoodOptions, OriginTime, ResidualModel,
};
use eqnemix::picks::{BackAzimuthObs, PhasePick, Picks, StationPicks};
use eqnemix::posterior::{LocationPosterior, PosteriorError};
use eqnemix::prior::{Background, ClusterPrior, PriorOptions, RegionBox};
use eqnemix::samplers::{GradLogDensity, LogDensity};
use eqnemix::traveltime::Station;
use eqnemix::ClusterGaussian;
use nalgebra::{Matrix3, Vector3};
use proptest::prelude::*;
use rand::{Rng, SeedableRng};
use rand_distr::StandardNormal;

mod common;
use common::{TestModel, VP, VS};

fn dist(a: [f64; 3], b: [f64; 3]) -> f64 {
    ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2) + (a[2] - b[2]).powi(2)).sqrt()
}

fn station(code: &str, pos: [f64; 3]) -> Station {
    Station {
        code: code.into(),
        position_km: pos,
    }
}

/// Noise-free picks of an event at `x` with origin time `t0` (s after the
/// reference time) at `stations`, plus back-azimuths.
fn synthetic_picks(x: [f64; 3], t0: f64, stations: &[Station], sigma: f64) -> Picks {
    Picks {
        event_id: "ev1".into(),
        reference_time: Utc.with_ymd_and_hms(2021, 3, 4, 5, 6, 7).unwrap(),
        stations: stations
            .iter()
            .map(|s| {
                let d = dist(x, s.position_km);
                let azimuth = (x[0] - s.position_km[0])
                    .atan2(x[1] - s.position_km[1])
                    .to_degrees();
                StationPicks {
                    station: s.clone(),
                    p: Some(PhasePick {
                        time_s: t0 + d / VP,
                        sigma_s: sigma,
                    }),
                    s: Some(PhasePick {
                        time_s: t0 + d / VS,
                        sigma_s: 1.5 * sigma,
                    }),
                    back_azimuth: Some(BackAzimuthObs::from_sigma_deg(azimuth + 7.0, 15.0)),
                }
            })
            .collect(),
    }
}

fn clusters() -> Vec<ClusterGaussian> {
    vec![
        ClusterGaussian {
            id: 0,
            n_events: 30,
            mean_km: [10.0, 5.0, 8.0],
            cov_km2: [[4.0, 1.0, 0.3], [1.0, 3.0, -0.2], [0.3, -0.2, 2.0]],
        },
        ClusterGaussian {
            id: 1,
            n_events: 20,
            mean_km: [-6.0, 12.0, 12.0],
            cov_km2: [[2.0, 0.0, 0.0], [0.0, 5.0, 1.0], [0.0, 1.0, 3.0]],
        },
    ]
}

fn region() -> RegionBox {
    RegionBox::new([-30.0, -30.0, 0.0], [30.0, 30.0, 40.0])
}

fn network() -> Vec<Station> {
    vec![
        station("AA", [0.0, 0.0, -0.3]),
        station("BB", [15.0, -5.0, 0.0]),
        station("CC", [-8.0, 20.0, -1.0]),
    ]
}

fn posterior_with(opts: &LikelihoodOptions, stations: &[Station]) -> LocationPosterior {
    let prior_opts = PriorOptions {
        background: Some(Background {
            weight: 0.05,
            region: region(),
        }),
        ..Default::default()
    };
    let prior = ClusterPrior::new(&clusters(), &[0.6, 0.4], &prior_opts).unwrap();
    let picks = synthetic_picks([9.0, 6.0, 7.0], 3.0, stations, 0.05);
    LocationPosterior::from_picks(prior, &picks, &TestModel, opts, region())
        .unwrap()
}

fn fd_check(post: &LocationPosterior, x: &[f64]) -> Result<(), TestCaseError> {
    let d = post.dim();
    let mut g = vec![0.0; d];
    let lp = post.log_density_and_gradient(x, &mut g);
    prop_assert!(
        (lp - post.log_density(x)).abs() < 1e-9 * (1.0 + lp.abs()),
        "value mismatch"
    );
    prop_assume!(lp.is_finite());
    for i in 0..d {
        let h = 1e-5;
        let (mut a, mut b) = (x.to_vec(), x.to_vec());
        a[i] += h;
        b[i] -= h;
        let (fa, fb) = (post.log_density(&a), post.log_density(&b));
        prop_assume!(fa.is_finite() && fb.is_finite());
        let fd = (fa - fb) / (2.0 * h);
        prop_assert!(
            (fd - g[i]).abs() < 1e-4 * (1.0 + fd.abs()),
            "coordinate {i} at {x:?}: finite difference {fd}, analytic {}",
            g[i]
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn gradient_matches_finite_differences_s_minus_p(e in -28.0..28.0f64, n in -28.0..28.0f64, z in 0.5..39.0f64) {
        let post = posterior_with(&LikelihoodOptions::default(), &network());
        fd_check(&post, &[e, n, z])?;
    }

    #[test]
    fn gradient_matches_finite_differences_absolute_marginal(e in -28.0..28.0f64, n in -28.0..28.0f64, z in 0.5..39.0f64) {
        let o = LikelihoodOptions { s_minus_p: false, absolute_times: true, model_error_s: 0.05, ..Default::default() };
        let post = posterior_with(&o, &network());
        fd_check(&post, &[e, n, z])?;
    }

    #[test]
    fn gradient_matches_finite_differences_sampled_origin_student_t(
        e in -28.0..28.0f64, n in -28.0..28.0f64, z in 0.5..39.0f64, t0 in -5.0..10.0f64
    ) {
        let o = LikelihoodOptions {
            s_minus_p: false,
            absolute_times: true,
            origin_time: OriginTime::Sampled { min_s: -20.0, max_s: 20.0 },
            residual: ResidualModel::StudentT { nu: 4.0 },
            ..Default::default()
        };
        let post = posterior_with(&o, &network());
        prop_assert_eq!(post.dim(), 4);
        fd_check(&post, &[e, n, z, t0])?;
    }
}

#[test]
fn marginal_origin_time_equals_numerical_integral() {
    let stations = network();
    let marg = LikelihoodOptions {
        s_minus_p: false,
        absolute_times: true,
        back_azimuth: false,
        ..Default::default()
    };
    let samp = LikelihoodOptions {
        origin_time: OriginTime::Sampled {
            min_s: -100.0,
            max_s: 100.0,
        },
        ..marg.clone()
    };
    let picks = synthetic_picks([9.0, 6.0, 7.0], 3.0, &stations, 0.05);
    let model = TestModel;
    let lm = Likelihood::build(&picks, &model, &marg).unwrap();
    let ls = Likelihood::build(&picks, &model, &samp).unwrap();
    for x in [[9.0, 6.0, 7.0], [9.3, 5.7, 7.5], [10.0, 7.0, 5.0]] {
        let (t_hat, sd) = lm
            .absolute
            .as_ref()
            .unwrap()
            .optimal_origin_time(x)
            .unwrap();
        // Trapezoid over ±12 sd of the origin time's conditional Gaussian.
        let m = 4001;
        let (a, b) = (t_hat - 12.0 * sd, t_hat + 12.0 * sd);
        let h = (b - a) / (m - 1) as f64;
        let vals: Vec<f64> = (0..m)
            .map(|i| ls.log_likelihood(x, Some(a + i as f64 * h)))
            .collect();
        let mx = vals.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        let s: f64 = vals
            .iter()
            .enumerate()
            .map(|(i, v)| (v - mx).exp() * if i == 0 || i == m - 1 { 0.5 } else { 1.0 })
            .sum();
        let numeric = mx + (s * h).ln();
        let analytic = lm.log_likelihood(x, None);
        assert!(
            (numeric - analytic).abs() < 1e-8,
            "at {x:?}: numeric {numeric}, analytic {analytic}"
        );
        // The integrand peaks at the optimal origin time.
        let imax = vals
            .iter()
            .enumerate()
            .max_by(|p, q| p.1.total_cmp(q.1))
            .unwrap()
            .0;
        assert!((a + imax as f64 * h - t_hat).abs() <= h);
    }
}

#[test]
fn noise_free_picks_give_true_origin_time_and_zero_rms() {
    let stations = network();
    let truth = [9.0, 6.0, 7.0];
    let post = posterior_with(
        &LikelihoodOptions {
            back_azimuth: false,
            ..Default::default()
        },
        &stations,
    );
    let (t0, sd) = post.origin_time_at(truth).unwrap();
    assert!((t0 - 3.0).abs() < 1e-9, "{t0}");
    // 3 P (σ 0.05) and 3 S (σ 0.075): 1/sqrt(Σ 1/σ²).
    let expect = 1.0 / (3.0 / 0.05f64.powi(2) + 3.0 / 0.075f64.powi(2)).sqrt();
    assert!((sd - expect).abs() < 1e-12);
    assert!(post.rms_residual_at(truth).unwrap() < 1e-9);
    assert!(post.rms_residual_at([0.0, 0.0, 5.0]).unwrap() > 0.1);
    assert_eq!(post.n_arrivals(), 6);
    // S-P likelihood at the truth is its maximum: every residual is zero.
    let ll_true = post.log_likelihood(truth, None);
    for dx in [[0.5, 0.0, 0.0], [0.0, -0.5, 0.0], [0.0, 0.0, 0.5]] {
        let x = [truth[0] + dx[0], truth[1] + dx[1], truth[2] + dx[2]];
        assert!(post.log_likelihood(x, None) < ll_true);
    }
}

#[test]
fn support_and_configuration_errors() {
    let post = posterior_with(&LikelihoodOptions::default(), &network());
    assert_eq!(post.log_density(&[0.0, 0.0, -0.1]), f64::NEG_INFINITY);
    assert_eq!(post.log_density(&[31.0, 0.0, 5.0]), f64::NEG_INFINITY);
    assert_eq!(post.log_density(&[f64::NAN, 0.0, 5.0]), f64::NEG_INFINITY);
    assert_eq!(post.log_density(&[0.0, 0.0]), f64::NEG_INFINITY);
    assert!(post.log_density(&[0.0, 0.0, 5.0]).is_finite());
    assert_eq!(
        post.bounds(),
        (vec![-30.0, -30.0, 0.0], vec![30.0, 30.0, 40.0])
    );

    let prior = ClusterPrior::new(&clusters(), &[0.6, 0.4], &PriorOptions::default()).unwrap();
    let bad = RegionBox::new([-30.0, -30.0, -2.0], [30.0, 30.0, 40.0]);
    assert!(matches!(
        LocationPosterior::prior_only(prior.clone(), bad),
        Err(PosteriorError::InvalidRegion { axis: "depth" })
    ));
    let picks = synthetic_picks([9.0, 6.0, 7.0], 3.0, &network(), 0.05);
    let model = TestModel;
    let both = LikelihoodOptions {
        absolute_times: true,
        ..Default::default()
    };
    assert!(matches!(
        Likelihood::build(&picks, &model, &both),
        Err(LikelihoodError::DoubleCounting)
    ));
    let t_marg = LikelihoodOptions {
        s_minus_p: false,
        absolute_times: true,
        residual: ResidualModel::StudentT { nu: 3.0 },
        ..Default::default()
    };
    assert!(matches!(
        Likelihood::build(&picks, &model, &t_marg),
        Err(LikelihoodError::MarginalNeedsGaussian)
    ));
    let mut bad_picks = picks.clone();
    bad_picks.stations[1].s = Some(PhasePick {
        time_s: 1.0,
        sigma_s: -1.0,
    });
    let e = Likelihood::build(&bad_picks, &model, &LikelihoodOptions::default())
        .unwrap_err()
        .to_string();
    assert!(e.contains("BB") && e.contains("S.sigma_s"), "{e}");
}

#[test]
fn grid_of_gaussian_prior_matches_analytic_moments() {
    // One cluster well inside the box: the posterior is that Gaussian.
    let c = vec![ClusterGaussian {
        id: 0,
        n_events: 10,
        mean_km: [2.0, -1.0, 15.0],
        cov_km2: [[4.0, 1.2, 0.5], [1.2, 3.0, -0.4], [0.5, -0.4, 2.5]],
    }];
    let prior = ClusterPrior::new(&c, &[1.0], &PriorOptions::default()).unwrap();
    let post = LocationPosterior::prior_only(
        prior,
        RegionBox::new([-14.0, -16.0, 1.0], [18.0, 14.0, 29.0]),
    )
    .unwrap();
    let g = GridPosterior::evaluate(&post, [48, 45, 42]).unwrap();
    for a in 0..3 {
        assert!(
            (g.mean_km[a] - c[0].mean_km[a]).abs() < 1e-6,
            "mean {a}: {}",
            g.mean_km[a]
        );
        for b in 0..3 {
            assert!(
                (g.cov_km2[a][b] - c[0].cov_km2[a][b]).abs() < 1e-5,
                "cov {a}{b}: {}",
                g.cov_km2[a][b]
            );
        }
        // Marginal densities integrate to one.
        let s: f64 = g.marginals[a].iter().sum::<f64>() * g.spacing_km[a];
        assert!((s - 1.0).abs() < 1e-12);
    }
    // The density is normalised: evidence of a normalised prior is 1.
    assert!(g.log_evidence.abs() < 1e-6, "{}", g.log_evidence);
    assert!((g.mass.iter().sum::<f64>() - 1.0).abs() < 1e-12);
}

#[test]
fn grid_of_mixture_prior_gives_weights_as_cluster_probabilities() {
    let prior = ClusterPrior::new(&clusters(), &[0.7, 0.3], &PriorOptions::default()).unwrap();
    let (m, c) = (prior.mean_km(), prior.cov_km2());
    let post = LocationPosterior::prior_only(
        prior,
        RegionBox::new([-25.0, -20.0, 0.5], [30.0, 35.0, 25.0]),
    )
    .unwrap();
    let g = GridPosterior::evaluate(&post, [50, 50, 40]).unwrap();
    assert!(
        (g.cluster_probabilities[0] - 0.7).abs() < 1e-6,
        "{:?}",
        g.cluster_probabilities
    );
    assert!((g.cluster_probabilities[1] - 0.3).abs() < 1e-6);
    for a in 0..3 {
        assert!((g.mean_km[a] - m[a]).abs() < 1e-4, "{a}");
        assert!((g.cov_km2[a][a] - c[a][a]).abs() < 1e-3, "{a}");
    }
}

/// Importance sampling from the prior, written independently of the crate:
/// draw the cluster index k with probability w_k and x ~ N(μ_k, Σ_k) by a
/// Cholesky factor computed here; weight by the S-P likelihood computed
/// here from straight-ray distances. Returns the weighted mean, its
/// standard error, the weighted covariance and P(k = 0 | data) with its
/// standard error.
#[allow(clippy::type_complexity, clippy::too_many_arguments)]
fn importance_sampling(
    cs: &[ClusterGaussian],
    w: &[f64],
    sta: [f64; 3],
    sp_obs: f64,
    sigma: f64,
    region: &RegionBox,
    n: usize,
    seed: u64,
) -> ([f64; 3], [f64; 3], [[f64; 3]; 3], (f64, f64)) {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let chols: Vec<Matrix3<f64>> = cs
        .iter()
        .map(|c| {
            Matrix3::from_fn(|i, j| c.cov_km2[i][j])
                .cholesky()
                .unwrap()
                .l()
        })
        .collect();
    let mut xs = Vec::with_capacity(n);
    let mut ks = Vec::with_capacity(n);
    let mut lw = Vec::with_capacity(n);
    for _ in 0..n {
        let u: f64 = rng.gen();
        let k = if u < w[0] { 0 } else { 1 };
        let z = Vector3::from_fn(|_, _| rng.sample::<f64, _>(StandardNormal));
        let x = Vector3::from(cs[k].mean_km) + chols[k] * z;
        let x = [x[0], x[1], x[2]];
        let r = dist(x, sta);
        let resid = sp_obs - r * (1.0 / VS - 1.0 / VP);
        let l = if region.contains(x) {
            -0.5 * resid * resid / (sigma * sigma)
        } else {
            f64::NEG_INFINITY
        };
        xs.push(x);
        ks.push(k);
        lw.push(l);
    }
    let mx = lw.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    let wt: Vec<f64> = lw.iter().map(|l| (l - mx).exp()).collect();
    let s: f64 = wt.iter().sum();
    let mut mean = [0.0; 3];
    for (x, v) in xs.iter().zip(&wt) {
        for a in 0..3 {
            mean[a] += v * x[a] / s;
        }
    }
    let mut cov = [[0.0; 3]; 3];
    let mut se = [0.0; 3];
    for (x, v) in xs.iter().zip(&wt) {
        for a in 0..3 {
            se[a] += (v / s).powi(2) * (x[a] - mean[a]).powi(2);
            for b in 0..3 {
                cov[a][b] += v / s * (x[a] - mean[a]) * (x[b] - mean[b]);
            }
        }
    }
    let p0: f64 = ks
        .iter()
        .zip(&wt)
        .filter(|(k, _)| **k == 0)
        .map(|(_, v)| v / s)
        .sum();
    let p0_se: f64 = ks
        .iter()
        .zip(&wt)
        .map(|(k, v)| (v / s).powi(2) * ((*k == 0) as u8 as f64 - p0).powi(2))
        .sum::<f64>()
        .sqrt();
    (mean, se.map(f64::sqrt), cov, (p0, p0_se))
}

#[test]
fn grid_matches_independent_importance_sampling() {
    // Single station at the origin, S-P from an event in cluster 0; the
    // S-P shell (radius ≈ 15.6 km) cuts cluster 0 and misses most of cluster 1.
    let cs = vec![
        ClusterGaussian {
            id: 0,
            n_events: 30,
            mean_km: [10.0, 5.0, 8.0],
            cov_km2: [[6.0, 1.0, 0.3], [1.0, 4.0, -0.2], [0.3, -0.2, 3.0]],
        },
        ClusterGaussian {
            id: 1,
            n_events: 20,
            mean_km: [-4.0, 8.0, 5.0],
            cov_km2: [[3.0, 0.0, 0.0], [0.0, 5.0, 1.0], [0.0, 1.0, 3.0]],
        },
    ];
    let w = [0.4, 0.6];
    let sta = [0.0, 0.0, 0.0];
    let truth = [11.0, 4.0, 10.0];
    let sp_obs = dist(truth, sta) * (1.0 / VS - 1.0 / VP);
    let sigma = 0.1;
    let region = RegionBox::new([-14.0, -8.0, 0.0], [20.0, 20.0, 20.0]);

    let prior = ClusterPrior::new(&cs, &w, &PriorOptions::default()).unwrap();
    let picks = Picks {
        event_id: "mc".into(),
        reference_time: Utc.with_ymd_and_hms(2021, 1, 1, 0, 0, 0).unwrap(),
        stations: vec![StationPicks {
            station: station("AA", sta),
            p: Some(PhasePick {
                time_s: 0.0,
                sigma_s: sigma / 2f64.sqrt(),
            }),
            s: Some(PhasePick {
                time_s: sp_obs,
                sigma_s: sigma / 2f64.sqrt(),
            }),
            back_azimuth: None,
        }],
    };
    let post = LocationPosterior::from_picks(
        prior,
        &picks,
        &TestModel,
        &LikelihoodOptions::default(),
        region,
    )
    .unwrap();
    // 0.2 km cells: the shell's width is ~0.84 km (σ / (1/vs − 1/vp)).
    let g = GridPosterior::evaluate(&post, [170, 140, 100]).unwrap();
    let (m, se, cov, (p0, p0_se)) =
        importance_sampling(&cs, &w, sta, sp_obs, sigma, &region, 400_000, 11);
    for a in 0..3 {
        let tol = 4.0 * se[a] + 0.01;
        assert!(
            (g.mean_km[a] - m[a]).abs() < tol,
            "mean {a}: grid {} vs MC {} ± {}",
            g.mean_km[a],
            m[a],
            se[a]
        );
        let sd = cov[a][a].sqrt();
        assert!(
            (g.cov_km2[a][a].sqrt() - sd).abs() < 0.05 * sd,
            "sd {a}: grid {} vs MC {sd}",
            g.cov_km2[a][a].sqrt()
        );
    }
    assert!(
        (g.cluster_probabilities[0] - p0).abs() < 4.0 * p0_se + 1e-3,
        "P(k=0): grid {} vs MC {p0} ± {p0_se}",
        g.cluster_probabilities[0]
    );
    // The data moved the cluster probabilities away from the prior weights.
    assert!(
        (g.cluster_probabilities[0] - 0.4).abs() > 0.05,
        "{:?}",
        g.cluster_probabilities
    );
}

#[test]
fn marginal_2d_sums_to_the_1d_marginals() {
    let post = posterior_with(&LikelihoodOptions::default(), &network());
    let g = GridPosterior::evaluate(&post, [24, 20, 16]).unwrap();
    let en = g.marginal_2d(0, 1);
    assert_eq!(en.len(), 24 * 20);
    let total: f64 = en.iter().sum::<f64>() * g.spacing_km[0] * g.spacing_km[1];
    assert!((total - 1.0).abs() < 1e-12);
    for i in 0..24 {
        let row: f64 = en[i * 20..(i + 1) * 20].iter().sum::<f64>() * g.spacing_km[1];
        assert!((row - g.marginals[0][i]).abs() < 1e-12 * (1.0 + row));
    }
    let ez = g.marginal_2d(0, 2);
    for k in 0..16 {
        let col: f64 = (0..24).map(|i| ez[i * 16 + k]).sum::<f64>() * g.spacing_km[0];
        assert!((col - g.marginals[2][k]).abs() < 1e-12 * (1.0 + col));
    }
}

#[test]
fn initial_points_are_in_the_support_and_reproducible() {
    let o = LikelihoodOptions {
        s_minus_p: false,
        absolute_times: true,
        origin_time: OriginTime::Sampled {
            min_s: -20.0,
            max_s: 20.0,
        },
        ..Default::default()
    };
    let post = posterior_with(&o, &network());
    let mut r1 = rand_chacha::ChaCha8Rng::seed_from_u64(9);
    let mut r2 = rand_chacha::ChaCha8Rng::seed_from_u64(9);
    let a = post.initial_points(6, &mut r1);
    assert_eq!(a, post.initial_points(6, &mut r2));
    assert_eq!(a.len(), 6);
    for x in &a {
        assert_eq!(x.len(), 4);
        assert!(post.log_density(x).is_finite(), "{x:?}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    /// The posterior over the traveltime crate's tabulated layered model:
    /// its analytic gradient (from the interpolated tables) agrees with
    /// finite differences away from the direct/head-wave crossover kink.
    #[test]
    fn gradient_matches_finite_differences_layered_1d(e in -25.0..25.0f64, n in -25.0..25.0f64, z in 0.5..35.0f64) {
        // Tables are built once (per station and phase) and shared by all cases.
        static POST: std::sync::OnceLock<LocationPosterior> = std::sync::OnceLock::new();
        let post = POST.get_or_init(|| {
            let model = eqnemix::traveltime::Layered1D::from_thicknesses(
                &[(4.0, 5.5, 3.2), (12.0, 6.3, 3.6)],
                (6.8, 3.9),
            ).unwrap();
            let prior_opts = PriorOptions { background: Some(Background { weight: 0.05, region: region() }), ..Default::default() };
            let prior = ClusterPrior::new(&clusters(), &[0.6, 0.4], &prior_opts).unwrap();
            let picks = synthetic_picks([9.0, 6.0, 7.0], 3.0, &network(), 0.05);
            let o = LikelihoodOptions { s_minus_p: false, absolute_times: true, ..Default::default() };
            LocationPosterior::from_picks(prior, &picks, &model, &o, region()).unwrap()
        });
        let x = [e, n, z];
        let mut g = [0.0; 3];
        let lp = post.log_density_and_gradient(&x, &mut g);
        prop_assume!(lp.is_finite());
        for i in 0..3 {
            let h = 1e-5;
            let (mut a, mut b) = (x, x);
            a[i] += h;
            b[i] -= h;
            let fd = (post.log_density(&a) - post.log_density(&b)) / (2.0 * h);
            // One-sided differences agree with each other unless a kink lies within h.
            let fwd = (post.log_density(&a) - lp) / h;
            let bwd = (lp - post.log_density(&b)) / h;
            prop_assume!((fwd - bwd).abs() < 1e-3 * (1.0 + fd.abs()));
            prop_assert!((fd - g[i]).abs() < 1e-4 * (1.0 + fd.abs()), "coordinate {i} at {x:?}: fd {fd}, analytic {}", g[i]);
        }
    }
}
