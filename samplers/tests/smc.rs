//! SMC with adaptive tempering on the 10-D correlated Gaussian: mean,
//! covariance and log Z (= 0, the target is normalised).

// Indexed loops mirror the formulas; `!(x > 0.0)` deliberately rejects NaN.
#![allow(clippy::needless_range_loop, clippy::neg_cmp_op_on_partial_ord)]

use eqnemix_samplers::smc::{Reference, Resampling, SmcConfig};
use eqnemix_samplers::targets::CorrelatedGaussian;
use eqnemix_samplers::{LogDensity, Sampler};

fn config() -> SmcConfig {
    SmcConfig {
        n_particles: 2000,
        // Broad enough to cover means -4.5..4.5 and sds up to 3.
        reference: Reference::Gaussian {
            mean: Some(vec![0.0; 10]),
            sd: vec![8.0],
        },
        ..Default::default()
    }
}

#[test]
fn recovers_mean_covariance_and_log_z_of_10d_gaussian() {
    let target = CorrelatedGaussian::ar1_10d();
    let d = target.dim();
    let run = config().run(&target, &vec![0.0; d], 21).unwrap();
    let draws = &run.draws;
    assert_eq!(draws.n_draws(), 2000);
    assert_eq!(*run.betas.last().unwrap(), 1.0);
    assert!(
        run.betas.windows(2).all(|b| b[1] > b[0]),
        "temperatures must increase"
    );
    // Every intermediate stage hit the ESS target (bisection), the last may exceed it.
    for e in &run.ess[..run.ess.len() - 1] {
        assert!((e / 2000.0 - 0.5).abs() < 0.01, "stage ESS {e}");
    }
    let m = draws.importance_mean();
    let c = draws.importance_covariance();
    let cov = target.covariance();
    // SMC particles are correlated (resampling copies, finite moves): take an
    // effective size of n/4 = 500 for the MCSE and allow 4 MCSE.
    let n_eff = 500.0;
    for i in 0..d {
        let sd = cov[(i, i)].sqrt();
        let mcse = sd / f64::sqrt(n_eff);
        assert!(
            (m[i] - target.mean()[i]).abs() < 4.0 * mcse,
            "mean[{i}] = {} vs {}",
            m[i],
            target.mean()[i]
        );
        for j in 0..d {
            // MCSE of a covariance estimate of jointly normal variables:
            // sqrt((S_ii S_jj + S_ij^2) / n).
            let mcse_c = ((cov[(i, i)] * cov[(j, j)] + cov[(i, j)].powi(2)) / n_eff).sqrt();
            assert!(
                (c[(i, j)] - cov[(i, j)]).abs() < 4.0 * mcse_c,
                "cov[{i},{j}] = {} vs {}",
                c[(i, j)],
                cov[(i, j)]
            );
        }
    }
    // log Z of a normalised target is 0. Over seeds the estimate scatters with
    // sd ~0.1 here (13 stages at ESS 1000 give a theoretical sd of ~0.08 even
    // with perfect moves); 0.3 is ~3 sd.
    assert!(run.log_evidence.abs() < 0.3, "log Z = {}", run.log_evidence);
    assert_eq!(draws.log_evidence, Some(run.log_evidence));
    for (x, s) in draws.iter().zip(&draws.stats) {
        assert_eq!(s.log_density, target.log_density(x));
    }
}

#[test]
fn same_seed_same_result_and_sampler_trait() {
    let target = CorrelatedGaussian::ar1_10d();
    let cfg = SmcConfig {
        n_particles: 300,
        resampling: Resampling::Residual,
        ..config()
    };
    let a = cfg.sample(&target, &[0.0; 10], 5).unwrap();
    // A different thread count must not change the result.
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    let b = pool.install(|| cfg.sample(&target, &[0.0; 10], 5).unwrap());
    assert_eq!(a, b);
    let c = cfg.sample(&target, &[0.0; 10], 6).unwrap();
    assert_ne!(a.values, c.values);
}

#[test]
fn bad_settings_are_named() {
    let target = CorrelatedGaussian::ar1_10d();
    let cfg = SmcConfig {
        target_ess: 1.5,
        ..config()
    };
    assert!(cfg
        .run(&target, &[0.0; 10], 1)
        .unwrap_err()
        .to_string()
        .contains("target_ess"));
    let cfg = SmcConfig {
        reference: Reference::Gaussian {
            mean: None,
            sd: vec![1.0, 2.0],
        },
        ..config()
    };
    assert!(cfg
        .run(&target, &[0.0; 10], 1)
        .unwrap_err()
        .to_string()
        .contains("sd"));
}
