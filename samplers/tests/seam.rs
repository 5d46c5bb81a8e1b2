//! The sampler seam (issue 11, item 6): gradient-free samplers run on a
//! density without a gradient; observers see every iteration, change
//! nothing and can stop a run; a user's kernel runs under the shared
//! warm-up (the `run_hamiltonian` doctest).
//!
//! Tolerances: draws of a standard normal in 2-D; a mean is within 5
//! Monte Carlo standard errors `5 sd / sqrt(ESS)` with the ESS a
//! conservative lower bound (a quarter of the draws for the Markov chains,
//! as their ESS per draw on this target is 0.3-1).

use eqnemix_samplers::any::SamplerConfig;
use eqnemix_samplers::metropolis::MetropolisConfig;
use eqnemix_samplers::nuts::NutsConfig;
use eqnemix_samplers::octree::OctreeConfig;
use eqnemix_samplers::smc::{Reference, SmcConfig};
use eqnemix_samplers::tempering::TemperingConfig;
use eqnemix_samplers::{
    Observer, run_chains, run_chains_gradient_free, run_chains_observed, run_chains_with, run_chains_with_observed, CancelFlag, Draws, GradientFreeSampler, Iteration,
    LogDensity, Sampler, SamplerError,
};
use std::ops::ControlFlow;

/// A standard normal in 2-D that has no gradient (only `LogDensity`).
struct NoGradient;
impl LogDensity for NoGradient {
    fn dim(&self) -> usize {
        2
    }
    fn log_density(&self, x: &[f64]) -> f64 {
        -0.5 * (x[0] * x[0] + x[1] * x[1])
    }
}

fn weighted_mean(d: &Draws, a: usize) -> f64 {
    let w = d.weights.clone().unwrap_or_else(|| vec![1.0; d.n_draws()]);
    let sw: f64 = w.iter().sum();
    d.iter().zip(&w).map(|(x, w)| w * x[a]).sum::<f64>() / sw
}

#[test]
fn gradient_free_samplers_run_on_a_density_without_gradient() {
    let samplers: Vec<(Box<dyn GradientFreeSampler>, f64)> = vec![
        (Box::new(MetropolisConfig { n_draws: 4000, ..Default::default() }), 4000.0 / 4.0),
        (Box::new(TemperingConfig::default()), TemperingConfig::default().n_draws as f64 / 4.0),
        (
            Box::new(SmcConfig {
                n_particles: 2000,
                reference: Reference::Uniform { lower: vec![-8.0; 2], upper: vec![8.0; 2] },
                ..Default::default()
            }),
            2000.0 / 4.0,
        ),
        (
            Box::new(OctreeConfig { lower: vec![-8.0; 2], upper: vec![8.0; 2], ..Default::default() }),
            1000.0,
        ),
    ];
    for (s, ess) in &samplers {
        let d = s.sample_log_density(&NoGradient, &[0.3, -0.2], 11).unwrap();
        for a in 0..2 {
            let m = weighted_mean(&d, a);
            assert!(m.abs() < 5.0 / ess.sqrt(), "{}: mean[{a}] = {m} (ESS >= {ess})", s.name());
        }
    }
    let chains = run_chains_gradient_free(&MetropolisConfig::default(), &NoGradient, &[vec![0.1, 0.1], vec![-0.1, 0.2]], 5).unwrap();
    assert_eq!(chains.len(), 2);
}

/// A density with a gradient, for the observed Hamiltonian samplers.
fn gaussian() -> eqnemix_samplers::targets::CorrelatedGaussian {
    eqnemix_samplers::targets::CorrelatedGaussian::new(vec![1.0, -1.0], nalgebra::DMatrix::from_row_slice(2, 2, &[1.0, 0.5, 0.5, 2.0]))
        .unwrap()
}

fn small_configs() -> Vec<SamplerConfig> {
    vec![
        SamplerConfig::Nuts(NutsConfig { n_warmup: 150, n_draws: 100, ..Default::default() }),
        SamplerConfig::Hmc(eqnemix_samplers::hmc::HmcConfig { n_warmup: 150, n_draws: 100, ..Default::default() }),
        SamplerConfig::Metropolis(MetropolisConfig { n_warmup: 150, n_draws: 100, ..Default::default() }),
        SamplerConfig::Smc(SmcConfig { n_particles: 200, ..Default::default() }),
    ]
}

#[test]
fn observing_changes_nothing_and_sees_every_iteration() {
    let target = gaussian();
    for cfg in small_configs() {
        let s = cfg.build();
        let plain = s.sample(&target, &[1.0, -1.0], 9).unwrap();
        let mut seen: Vec<(usize, usize, bool)> = Vec::new();
        let mut watch = |it: &Iteration| {
            seen.push((it.done, it.total, it.warmup));
            ControlFlow::Continue(())
        };
        let observed = s.sample_observed(&target, &[1.0, -1.0], 9, &mut watch).unwrap();
        assert_eq!(plain, observed, "{}: observing changed the draws", s.name());
        if let Some(n) = cfg.n_draws() {
            // Markov samplers: warm-up then draws, one call each, in order.
            assert_eq!(seen.len(), 150 + n, "{}", s.name());
            assert!(seen.iter().enumerate().all(|(i, &(done, total, warm))| done == i + 1 && total == 150 + n && warm == (i < 150)));
        } else {
            assert_eq!(seen, vec![(0, 1, false), (1, 1, false)], "{}", s.name());
        }
    }
}

#[test]
fn an_observer_stops_a_run() {
    let target = gaussian();
    for cfg in small_configs().into_iter().filter(|c| c.n_draws().is_some()) {
        let s = cfg.build();
        let mut count = 0;
        let mut stop_at_40 = |_: &Iteration| {
            count += 1;
            if count == 40 { ControlFlow::Break(()) } else { ControlFlow::Continue(()) }
        };
        match s.sample_observed(&target, &[1.0, -1.0], 9, &mut stop_at_40) {
            Err(SamplerError::Cancelled { iteration: 40 }) => {}
            other => panic!("{}: {other:?}", s.name()),
        }
    }
    // A set flag stops every chain before its first iteration's end; a
    // clear one stops none.
    let flag = CancelFlag::new();
    let nuts = NutsConfig { n_warmup: 100, n_draws: 50, ..Default::default() };
    let inits = vec![vec![1.0, -1.0], vec![0.0, 0.0]];
    let ok = run_chains_observed(&nuts, &target, &inits, 4, |_| flag.clone()).unwrap();
    assert_eq!(ok, run_chains(&nuts, &target, &inits, 4).unwrap());
    flag.cancel();
    let err = run_chains_observed(&nuts, &target, &inits, 4, |_| flag.clone()).unwrap_err();
    assert!(matches!(err, SamplerError::Cancelled { iteration: 1 }), "{err:?}");
    assert!(err.to_string().contains("cancelled"));
    // A population sampler is asked before it starts.
    let smc = SmcConfig { n_particles: 200, ..Default::default() };
    assert!(matches!(smc.sample_observed(&target, &[1.0, -1.0], 1, &mut flag.clone()), Err(SamplerError::Cancelled { iteration: 0 })));
}

/// A flag set in the middle of a chain (here by the chain's own observer
/// at iteration 30, standing for Ctrl-C) stops it at that iteration, through
/// the per-chain-sampler runner `locate_event` uses; a flag never set
/// changes no draw.
#[test]
fn a_flag_set_mid_run_stops_the_chain_there() {
    let target = gaussian();
    let nuts = NutsConfig { n_warmup: 100, n_draws: 50, ..Default::default() };
    let mh = MetropolisConfig { n_warmup: 100, n_draws: 50, ..Default::default() };
    let samplers: [&dyn Sampler; 2] = [&nuts, &mh];
    let inits = vec![vec![1.0, -1.0], vec![0.5, 0.5]];
    let clear = CancelFlag::new();
    let ok = run_chains_with_observed(|i| samplers[i], &target, &inits, 4, |_| clear.clone()).unwrap();
    assert_eq!(ok, run_chains_with(|i| samplers[i], &target, &inits, 4).unwrap());
    for s in samplers {
        let flag = CancelFlag::new();
        let observer = |it: &Iteration| {
            if it.done == 30 {
                flag.cancel();
            }
            flag.clone().observe(it)
        };
        let err = run_chains_with_observed(|_| s, &target, &inits[..1], 4, |_| observer).unwrap_err();
        assert!(matches!(err, SamplerError::Cancelled { iteration: 30 }), "{}: {err:?}", s.name());
    }
}
