//! NUTS flags divergences where a single step size cannot work (the neck of
//! Neal's funnel) and none on a Gaussian; per-draw statistics obey the tree
//! limits.

use eqnemix_samplers::nuts::NutsConfig;
use eqnemix_samplers::targets::{CorrelatedGaussian, Funnel};
use eqnemix_samplers::{run_chains, Draws, Sampler};

#[test]
fn nuts_reports_divergences_on_the_funnel() {
    let f = Funnel::new(10).unwrap();
    let inits = vec![vec![0.5; 10], vec![-0.5; 10]];
    let cfg = NutsConfig {
        n_warmup: 500,
        n_draws: 500,
        ..Default::default()
    };
    let chains = run_chains(&cfg, &f, &inits, 31).unwrap();
    let n_div: usize = chains.iter().map(|c| c.n_divergent()).sum();
    eprintln!("funnel: {n_div} divergent of 1000");
    assert!(n_div > 0, "the funnel's neck must produce divergences");
    // Divergent transitions are flagged with their (finite) energy.
    for c in &chains {
        for s in c.stats.iter().filter(|s| s.divergent) {
            assert!(s.energy.unwrap().is_finite());
        }
    }
}

#[test]
fn nuts_respects_max_tree_depth_and_reports_stats() {
    let t = CorrelatedGaussian::ar1_10d();
    // Unit metric, tiny depth: every trajectory is cut at depth 3 (<= 7 steps).
    let cfg = NutsConfig {
        n_warmup: 200,
        n_draws: 300,
        max_tree_depth: 3,
        adapt_metric: false,
        ..Default::default()
    };
    let d = cfg.sample(&t, t.mean(), 5).unwrap();
    assert_eq!(d.n_draws(), 300);
    let mut saw_max = false;
    for s in &d.stats {
        let depth = s.tree_depth.unwrap();
        let n = s.n_grad_evals.unwrap();
        // `depth` completed doublings cost 2^depth - 1 steps; a rejected
        // last sub-tree adds at most 2^depth more.
        assert!(
            depth <= 3 && (1..=7).contains(&n),
            "depth {depth}, {n} steps"
        );
        assert!(
            n + 1 >= 1 << depth && n < 1 << (depth + 1),
            "depth {depth}, {n} steps"
        );
        saw_max |= depth == 3;
        let a = s.accept_prob.unwrap();
        assert!((0.0..=1.0).contains(&a));
        assert!(s.step_size.unwrap() > 0.0 && !s.divergent);
    }
    assert!(
        saw_max,
        "an unadapted metric on scales 0.3..3 must hit the depth limit"
    );
    // Post-warm-up step size is frozen.
    assert!(d.stats.windows(2).all(|w| w[0].step_size == w[1].step_size));
}

#[test]
fn bad_settings_and_inits_are_errors() {
    let t = CorrelatedGaussian::ar1_10d();
    assert!(NutsConfig {
        max_tree_depth: 0,
        ..Default::default()
    }
    .sample(&t, &[0.0; 10], 1)
    .is_err());
    assert!(NutsConfig {
        target_accept: 1.5,
        ..Default::default()
    }
    .sample(&t, &[0.0; 10], 1)
    .is_err());
    assert!(NutsConfig::default().sample(&t, &[0.0; 3], 1).is_err());
    let f = Funnel::new(2).unwrap();
    assert!(NutsConfig::default()
        .sample(&f, &[f64::NAN, 0.0], 1)
        .is_err());
}

/// E-BFMI: NUTS energies on a Gaussian give E-BFMI near 1; on the funnel,
/// where the energy varies over a far wider range than one momentum
/// resample can cover, it falls below the 0.3 warning level.
#[test]
fn ebfmi_separates_gaussian_from_funnel() {
    use eqnemix_samplers::diagnostics::ebfmi;
    let t = CorrelatedGaussian::ar1_10d();
    let cfg = NutsConfig {
        n_warmup: 500,
        n_draws: 1000,
        ..Default::default()
    };
    let g = ebfmi(&cfg.sample(&t, t.mean(), 8).unwrap()).unwrap();
    let f = Funnel::new(10).unwrap();
    let fu = ebfmi(&cfg.sample(&f, &[0.5; 10], 8).unwrap()).unwrap();
    eprintln!("E-BFMI gaussian {g:.2}, funnel {fu:.2}");
    assert!(g > 0.7, "Gaussian E-BFMI {g}");
    assert!(fu < 0.3 && fu < g, "funnel E-BFMI {fu} vs Gaussian {g}");
    let mut no_energy = Draws::new(1);
    no_energy.push(&[0.0], Default::default());
    assert!(ebfmi(&no_energy).is_none());
}
