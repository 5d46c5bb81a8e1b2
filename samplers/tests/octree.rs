//! Oct-tree importance sampling on a 3-D correlated Gaussian: weighted mean,
//! covariance and log Z. Tested in 3-D only: the oct-tree is a grid method
//! whose cell count grows exponentially with the dimension (2^d children per
//! split), so a 10-D target is out of its reach by design; a hypocentre is 3-D.

// Indexed loops mirror the formulas; `!(x > 0.0)` deliberately rejects NaN.
#![allow(clippy::needless_range_loop, clippy::neg_cmp_op_on_partial_ord)]

use eqnemix_samplers::octree::OctreeConfig;
use eqnemix_samplers::targets::CorrelatedGaussian;
use eqnemix_samplers::{LogDensity, Sampler};
use nalgebra::DMatrix;

fn target() -> CorrelatedGaussian {
    let sd = [1.0, 0.5, 2.0];
    let r = [[1.0, 0.6, -0.3], [0.6, 1.0, 0.2], [-0.3, 0.2, 1.0]];
    let cov = DMatrix::from_fn(3, 3, |i, j| r[i][j] * sd[i] * sd[j]);
    CorrelatedGaussian::new(vec![1.0, -2.0, 5.0], cov).unwrap()
}

fn config() -> OctreeConfig {
    OctreeConfig {
        // The box holds the target to > 6 sd on every axis (so log Z = 0).
        lower: vec![-8.0, -6.0, -10.0],
        upper: vec![9.0, 2.0, 18.0],
        max_cells: 20_000,
        n_draws: 4000,
        ..Default::default()
    }
}

#[test]
fn recovers_mean_covariance_and_log_z_of_3d_gaussian() {
    let t = target();
    let run = config().run(&t, 17).unwrap();
    let draws = &run.draws;
    let w = draws.weights.as_ref().expect("oct-tree draws are weighted");
    assert_eq!(w.len(), 4000);
    assert!(
        (w.iter().sum::<f64>() - 1.0).abs() < 1e-12,
        "weights are normalised"
    );
    assert!(w.iter().all(|v| *v >= 0.0));
    assert_eq!(run.ess, draws.importance_ess());
    // Cells are split by mass, so large tail cells stay coarse and their
    // midpoint value misjudges the density inside them: about half the draws'
    // worth is lost to weight variation (a broken weighting would not lose
    // less, a broken tree would lose far more).
    assert!(run.ess > 0.3 * 4000.0, "ESS {}", run.ess);
    let n_eff = run.ess;
    let m = draws.importance_mean();
    let c = draws.importance_covariance();
    let cov = t.covariance();
    for i in 0..3 {
        let mcse = (cov[(i, i)] / n_eff).sqrt();
        assert!(
            (m[i] - t.mean()[i]).abs() < 4.0 * mcse,
            "mean[{i}] {} vs {}",
            m[i],
            t.mean()[i]
        );
        for j in 0..3 {
            let mcse_c = ((cov[(i, i)] * cov[(j, j)] + cov[(i, j)].powi(2)) / n_eff).sqrt();
            assert!(
                (c[(i, j)] - cov[(i, j)]).abs() < 4.0 * mcse_c,
                "cov[{i},{j}] {} vs {}",
                c[(i, j)],
                cov[(i, j)]
            );
        }
    }
    // log Z: the relative MCSE of the IS mean is ~ sqrt(n/ESS - 1)/sqrt(n) < 0.01.
    assert!(run.log_evidence.abs() < 0.03, "log Z {}", run.log_evidence);
    // The midpoint quadrature over the leaves is close too.
    assert!(
        run.log_evidence_quadrature.abs() < 0.05,
        "quadrature log Z {}",
        run.log_evidence_quadrature
    );
    for (x, s) in draws.iter().zip(&draws.stats) {
        assert_eq!(s.log_density, t.log_density(x));
        assert!(x.iter().zip(&config().lower).all(|(v, l)| v >= l));
    }
    // Refinement concentrated where the mass is: cells near the mode are far
    // smaller than the initial grid's (17/8 wide on axis 0).
    assert!(run.min_cell_width[0] < 17.0 / 8.0 / 8.0);
}

#[test]
fn coarse_tree_still_gives_consistent_weights() {
    // With few cells the piecewise approximation is poor, but the importance
    // weights correct it: the estimates stay right, only the ESS drops.
    let t = target();
    let cfg = OctreeConfig {
        max_cells: 600,
        initial_divisions: vec![4],
        n_draws: 20_000,
        ..config()
    };
    let run = cfg.run(&t, 3).unwrap();
    assert!(
        run.ess < 0.9 * 20_000.0,
        "a coarse tree should lose ESS ({})",
        run.ess
    );
    let m = run.draws.importance_mean();
    for i in 0..3 {
        let mcse = (t.covariance()[(i, i)] / run.ess).sqrt();
        assert!(
            (m[i] - t.mean()[i]).abs() < 4.0 * mcse,
            "mean[{i}] {}",
            m[i]
        );
    }
    let rel_mcse = (20_000.0 / run.ess - 1.0).sqrt() / (20_000f64).sqrt();
    assert!(
        run.log_evidence.abs() < 4.0 * rel_mcse + 0.005,
        "log Z {}",
        run.log_evidence
    );
}

#[test]
fn reproducible_and_checks_its_box() {
    let t = target();
    let a = config().sample(&t, &[0.0; 3], 8).unwrap();
    let b = config().sample(&t, &[0.0; 3], 8).unwrap();
    assert_eq!(a, b);
    let no_box = OctreeConfig::default();
    let err = no_box.sample(&t, &[0.0; 3], 1).unwrap_err().to_string();
    assert!(err.contains("lower/upper"), "{err}");
    let err = config().sample(&t, &[0.0; 2], 1).unwrap_err().to_string();
    assert!(err.contains('3'), "{err}");
}

#[test]
fn weighted_draws_resample_to_equal_weights() {
    use rand::SeedableRng;
    let t = target();
    let run = config().run(&t, 4).unwrap();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
    let eq = run.draws.resampled(4000, &mut rng);
    assert!(eq.weights.is_none());
    assert_eq!(eq.n_draws(), 4000);
    assert_eq!(eq.importance_ess(), 4000.0);
    assert_eq!(eq.log_evidence, run.draws.log_evidence);
    // Resampling keeps the weighted mean up to its own (systematic) noise.
    let (a, b) = (run.draws.importance_mean(), eq.importance_mean());
    for i in 0..3 {
        let mcse = (t.covariance()[(i, i)] / run.ess).sqrt();
        assert!(
            (a[i] - b[i]).abs() < 2.0 * mcse,
            "coord {i}: {} vs {}",
            a[i],
            b[i]
        );
    }
    // Every resampled draw is one of the weighted draws with positive weight.
    let w = run.draws.weights.as_ref().unwrap();
    for x in eq.iter().take(50) {
        let i = (0..run.draws.n_draws())
            .find(|&i| run.draws.draw(i) == x)
            .expect("a resampled draw is an original draw");
        assert!(w[i] > 0.0);
    }
}
