//! Metropolis, HMC and NUTS (diagonal and dense metric) recover the mean and
//! covariance of the 10-D AR(1)-correlated Gaussian
//! ([`CorrelatedGaussian::ar1_10d`], scales 0.3..3, rho = 0.8).
//!
//! Tolerances: each estimate of `E[f]` has a Monte Carlo error
//! `MCSE = sd(f)/sqrt(ESS(f))`, so `z = (estimate - truth)/MCSE` is roughly
//! N(0, 1). Means must be within 4 MCSE (10 checks per sampler: a false
//! alarm has probability ~6e-4). Second moments `E[(x_i-mu_i)(x_j-mu_j)]`
//! (55 per sampler) must be within 5 MCSE: products of Gaussians are skewed
//! and heavier-tailed, so the normal approximation of their mean and the ESS
//! estimate are rougher; 5 MCSE keeps the false-alarm rate below 1e-4 per
//! check while a sampler with a wrong stationary distribution (e.g. a
//! variance 10% off, which at ESS ~ 1000 is > 2 MCSE per check on 55 checks)
//! still fails. Every check also requires ESS > 300, so a stuck chain fails.

mod gaussian_common;

use eqnemix_samplers::adapt::MetricKind;
use eqnemix_samplers::hmc::{HmcConfig, Trajectory};
use eqnemix_samplers::metropolis::MetropolisConfig;
use eqnemix_samplers::nuts::NutsConfig;
use eqnemix_samplers::targets::CorrelatedGaussian;
use eqnemix_samplers::{run_chains, Sampler};
use gaussian_common::check_moments;

fn inits() -> Vec<Vec<f64>> {
    (0..4)
        .map(|c| (0..10).map(|i| (c as f64 - 1.5) + 0.1 * i as f64).collect())
        .collect()
}

fn check(label: &str, sampler: &dyn Sampler, seed: u64) {
    let t = CorrelatedGaussian::ar1_10d();
    let chains = run_chains(sampler, &t, &inits(), seed).unwrap();
    let cov = t.covariance().clone();
    check_moments(
        label,
        &chains,
        t.mean(),
        &|i, j| cov[(i, j)],
        4.0,
        5.0,
        300.0,
    );
    if label.starts_with("nuts") {
        let n_div: usize = chains.iter().map(|c| c.n_divergent()).sum();
        assert_eq!(n_div, 0, "{label}: NUTS must not diverge on a Gaussian");
    }
}

#[test]
fn nuts_diag_recovers_gaussian() {
    check(
        "nuts-diag",
        &NutsConfig {
            n_warmup: 1000,
            n_draws: 1000,
            ..Default::default()
        },
        11,
    );
}

#[test]
fn nuts_dense_recovers_gaussian() {
    let cfg = NutsConfig {
        n_warmup: 1000,
        n_draws: 1000,
        metric: MetricKind::Dense,
        ..Default::default()
    };
    check("nuts-dense", &cfg, 12);
}

#[test]
fn hmc_recovers_gaussian() {
    let cfg = HmcConfig {
        n_warmup: 1000,
        n_draws: 1500,
        metric: MetricKind::Dense,
        trajectory: Trajectory::Length(1.5),
        ..Default::default()
    };
    check("hmc-dense", &cfg, 13);
}

#[test]
fn hmc_fixed_steps_diag_recovers_gaussian() {
    let cfg = HmcConfig {
        n_warmup: 1000,
        n_draws: 2000,
        trajectory: Trajectory::Steps(10),
        ..Default::default()
    };
    check("hmc-diag-steps", &cfg, 14);
}

#[test]
fn metropolis_recovers_gaussian() {
    let cfg = MetropolisConfig {
        n_warmup: 8000,
        n_draws: 6000,
        thin: 5,
        ..Default::default()
    };
    check("metropolis", &cfg, 15);
}

/// Warm-up is reported: the dense metric NUTS adapts to is the target's
/// covariance, and the diagonal one its variances. The last slow window
/// (500 of 1000 warm-up iterations, ESS of several hundred) estimates each
/// variance to ~sqrt(2/300) = 8%; 30% tolerance on every entry relative to
/// the diagonal scale catches a broken estimator (e.g. the unit metric is
/// off by up to 11x).
#[test]
fn nuts_adapts_metric_to_the_covariance() {
    let t = CorrelatedGaussian::ar1_10d();
    let cov = t.covariance();
    for kind in [MetricKind::Dense, MetricKind::Diag] {
        let cfg = NutsConfig {
            n_warmup: 1000,
            n_draws: 10,
            metric: kind,
            ..Default::default()
        };
        let (_, a) = cfg.sample_adapted(&t, t.mean(), 3).unwrap();
        assert_eq!(
            a.n_metric_updates, 5,
            "Stan's schedule for 1000 warm-up has 5 windows"
        );
        assert!(
            a.step_size > 0.1 && a.step_size < 2.0,
            "step size {}",
            a.step_size
        );
        for i in 0..10 {
            match kind {
                MetricKind::Diag => {
                    let r = a.metric[i] / cov[(i, i)];
                    assert!((r - 1.0).abs() < 0.3, "diag {i}: ratio {r}");
                }
                MetricKind::Dense => {
                    for j in 0..10 {
                        let scale = (cov[(i, i)] * cov[(j, j)]).sqrt();
                        let e = (a.metric[i * 10 + j] - cov[(i, j)]) / scale;
                        assert!(e.abs() < 0.3, "dense ({i},{j}): relative error {e}");
                    }
                }
            }
        }
    }
}

#[test]
fn metropolis_reports_its_adapted_proposal() {
    let t = CorrelatedGaussian::ar1_10d();
    let cfg = MetropolisConfig {
        n_warmup: 8000,
        n_draws: 10,
        ..Default::default()
    };
    let (d, a) = cfg.sample_adapted(&t, t.mean(), 4).unwrap();
    // Reported in every draw and in the summary of the adaptation.
    assert!(d.stats.iter().all(|s| s.step_size == Some(a.step_size)));
    // Haario scaling 2.38/sqrt(10) = 0.75, tuned by dual averaging.
    assert!(
        a.step_size > 0.4 && a.step_size < 1.5,
        "scale {}",
        a.step_size
    );
    for i in 0..10 {
        let r = a.metric[i * 10 + i] / t.covariance()[(i, i)];
        assert!((r - 1.0).abs() < 0.4, "proposal variance {i}: ratio {r}");
    }
}

/// A non-Gaussian, bimodal-but-connected target with exact moments: the
/// 3-D two-component mixture with modes 3 units apart (weights 0.3/0.7).
/// Same tolerances as above.
#[test]
fn nuts_and_metropolis_recover_overlapping_mixture() {
    use eqnemix_samplers::targets::GaussianMixture;
    let mix = GaussianMixture::two_mode_3d(0.3, 0.7, 3.0).unwrap();
    let mean = mix.mean();
    let cov = mix.covariance();
    let inits: Vec<Vec<f64>> = (0..4).map(|c| vec![c as f64 - 1.5, 0.2, -0.1]).collect();
    let nuts = NutsConfig {
        n_warmup: 1000,
        n_draws: 2000,
        ..Default::default()
    };
    let chains = run_chains(&nuts, &mix, &inits, 16).unwrap();
    check_moments(
        "nuts-mixture",
        &chains,
        &mean,
        &|i, j| cov[(i, j)],
        4.0,
        5.0,
        300.0,
    );
    let mh = MetropolisConfig {
        n_warmup: 4000,
        n_draws: 4000,
        thin: 5,
        ..Default::default()
    };
    let chains = run_chains(&mh, &mix, &inits, 17).unwrap();
    check_moments(
        "metropolis-mixture",
        &chains,
        &mean,
        &|i, j| cov[(i, j)],
        4.0,
        5.0,
        300.0,
    );
}
