//! `SamplerConfig`: one TOML key picks the sampler; every kind parses with
//! its defaults, builds, and samples the same target to the same answer.

// Indexed loops mirror the formulas; `!(x > 0.0)` deliberately rejects NaN.
#![allow(clippy::needless_range_loop, clippy::neg_cmp_op_on_partial_ord)]

use eqnemix_samplers::any::SamplerConfig;
use eqnemix_samplers::targets::CorrelatedGaussian;
use nalgebra::DMatrix;

fn target() -> CorrelatedGaussian {
    let cov = DMatrix::from_row_slice(3, 3, &[1.0, 0.3, 0.0, 0.3, 0.5, 0.1, 0.0, 0.1, 2.0]);
    CorrelatedGaussian::new(vec![2.0, -1.0, 0.5], cov).unwrap()
}

#[test]
fn every_kind_parses_builds_and_finds_the_mean() {
    let tomls = [
        ("metropolis", "kind = \"metropolis\"\nn_warmup = 1000\nn_draws = 4000"),
        ("hmc", "kind = \"hmc\"\nn_warmup = 300\nn_draws = 1000"),
        ("nuts", "kind = \"nuts\"\nn_warmup = 300\nn_draws = 1000"),
        ("advi", "kind = \"advi\"\nfamily = \"full_rank\"\nn_draws = 2000"),
        ("smc", "kind = \"smc\"\nn_particles = 1000\nreference = { kind = \"gaussian\", sd = [4.0] }"),
        ("tempering", "kind = \"tempering\"\nn_warmup = 1000\nn_draws = 4000\nn_temps = 4"),
        ("octree", "kind = \"octree\"\nlower = [-6.0, -6.0, -8.0]\nupper = [10.0, 4.0, 9.0]\nmax_cells = 5000\nn_draws = 2000"),
    ];
    let t = target();
    for (kind, text) in tomls {
        let cfg: SamplerConfig = toml::from_str(text).unwrap_or_else(|e| panic!("{kind}: {e}"));
        assert_eq!(cfg.kind(), kind);
        let sampler = cfg.build();
        assert_eq!(sampler.name(), kind);
        let draws = sampler.sample(&t, &[0.0, 0.0, 0.0], 42).unwrap();
        let m = draws.importance_mean();
        let ess = draws.importance_ess();
        for i in 0..3 {
            // Loose (chains are autocorrelated; ESS here is the draw count or
            // Kish ESS): 0.15 is > 4 MCSE for n_eff >= 400 and the largest sd 1.41.
            assert!(
                (m[i] - t.mean()[i]).abs() < 0.15,
                "{kind}: mean[{i}] = {} (ess {ess})",
                m[i]
            );
        }
        // Round trip: what serialises is what parses.
        let back: SamplerConfig = toml::from_str(&toml::to_string(&cfg).unwrap()).unwrap();
        assert_eq!(back, cfg);
    }
}

#[test]
fn errors_name_the_problem() {
    let err = toml::from_str::<SamplerConfig>("kind = \"gibbs\"")
        .unwrap_err()
        .to_string();
    assert!(err.contains("gibbs"), "{err}");
    let err = toml::from_str::<SamplerConfig>("kind = \"smc\"\nn_partcles = 10")
        .unwrap_err()
        .to_string();
    assert!(err.contains("n_partcles"), "{err}");
    let err = toml::from_str::<SamplerConfig>("kind = \"octree\"\nmax_cels = 10")
        .unwrap_err()
        .to_string();
    assert!(err.contains("max_cels"), "{err}");
    // The octree needs its box: a clear sampler error, not a panic.
    let cfg: SamplerConfig = toml::from_str("kind = \"octree\"").unwrap();
    let err = cfg
        .build()
        .sample(&target(), &[0.0; 3], 1)
        .unwrap_err()
        .to_string();
    assert!(err.contains("lower/upper"), "{err}");
}

#[test]
fn default_is_nuts() {
    assert_eq!(SamplerConfig::default().kind(), "nuts");
    assert!(SamplerConfig::default().build().name() == "nuts");
}
