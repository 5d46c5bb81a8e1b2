//! Simulation-based calibration (Talts, Betancourt, Simpson, Vehtari &
//! Gelman 2018, arXiv:1804.06788) on a conjugate model.
//!
//! Model: `mu ~ N(0, diag(1, 2^2))` in 2-D, `y_k ~ N(mu, I)` for k = 1..3.
//! For each of S = 1000 replicates: draw `mu*` from the prior, data from the model,
//! run the sampler on the posterior, thin to L = 99 near-independent draws,
//! and record the rank of `mu*_j` among them (0..=99). If the sampler draws
//! from the posterior, ranks are uniform; 10 bins of 10 ranks each are
//! tested with Pearson's chi-square (9 d.o.f.) at the 1% level, per
//! coordinate. A negative control (an "exact" sampler whose spread is 30%
//! too wide) must fail the same test, showing it has power.

use eqnemix_samplers::metropolis::MetropolisConfig;
use eqnemix_samplers::nuts::NutsConfig;
use eqnemix_samplers::{GradLogDensity, LogDensity, Sampler};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
use statrs::distribution::{ChiSquared, ContinuousCDF};

const PRIOR_SD: [f64; 2] = [1.0, 2.0];
const N_OBS: usize = 3;
const L: usize = 99;
const BINS: usize = 10;

/// The posterior of the conjugate model given the data sum.
struct Posterior {
    y_sum: [f64; 2],
}

impl LogDensity for Posterior {
    fn dim(&self) -> usize {
        2
    }
    fn log_density(&self, mu: &[f64]) -> f64 {
        // sum_k |y_k - mu|^2 = const - 2 mu.y_sum + n |mu|^2
        (0..2)
            .map(|j| {
                -0.5 * (mu[j] / PRIOR_SD[j]).powi(2) + mu[j] * self.y_sum[j]
                    - 0.5 * N_OBS as f64 * mu[j] * mu[j]
            })
            .sum()
    }
}

impl GradLogDensity for Posterior {
    fn log_density_and_gradient(&self, mu: &[f64], g: &mut [f64]) -> f64 {
        for j in 0..2 {
            g[j] = -mu[j] / PRIOR_SD[j].powi(2) + self.y_sum[j] - N_OBS as f64 * mu[j];
        }
        self.log_density(mu)
    }
}

/// Draw `L` thinned posterior draws for one replicate.
type Run<'a> = &'a dyn Fn(&Posterior, u64) -> Vec<[f64; 2]>;

/// Rank histograms (one per coordinate) over `s` replicates.
fn sbc(s: usize, run: Run<'_>) -> [[usize; BINS]; 2] {
    let mut hist = [[0usize; BINS]; 2];
    for r in 0..s {
        let mut rng = ChaCha8Rng::seed_from_u64(10_000 + r as u64);
        let mu: [f64; 2] = [0, 1].map(|j| {
            let z: f64 = StandardNormal.sample(&mut rng);
            PRIOR_SD[j] * z
        });
        let mut y_sum = [0.0; 2];
        for _ in 0..N_OBS {
            for j in 0..2 {
                let e: f64 = StandardNormal.sample(&mut rng);
                y_sum[j] += mu[j] + e;
            }
        }
        let draws = run(&Posterior { y_sum }, r as u64);
        assert_eq!(draws.len(), L);
        for j in 0..2 {
            let rank = draws.iter().filter(|d| d[j] < mu[j]).count();
            hist[j][rank * BINS / (L + 1)] += 1;
        }
    }
    hist
}

/// Pearson's chi-square statistic of a histogram against uniform.
fn chi_square(h: &[usize; BINS]) -> f64 {
    let n: usize = h.iter().sum();
    let e = n as f64 / BINS as f64;
    h.iter().map(|&o| (o as f64 - e).powi(2) / e).sum()
}

fn critical_1pct() -> f64 {
    ChiSquared::new((BINS - 1) as f64)
        .unwrap()
        .inverse_cdf(0.99)
}

fn assert_uniform(label: &str, hist: [[usize; BINS]; 2]) {
    let crit = critical_1pct();
    for (j, h) in hist.iter().enumerate() {
        let x2 = chi_square(h);
        eprintln!("{label} mu[{j}]: ranks {h:?}, chi2 = {x2:.2} (1% critical {crit:.2})");
        assert!(
            x2 < crit,
            "{label} mu[{j}]: rank histogram {h:?} not uniform (chi2 {x2:.2} >= {crit:.2})"
        );
    }
}

fn thinned(sampler: &dyn Sampler, post: &Posterior, seed: u64, thin: usize) -> Vec<[f64; 2]> {
    let d = sampler.sample(post, &[0.0, 0.0], seed).unwrap();
    (0..L)
        .map(|i| {
            let x = d.draw((i + 1) * thin - 1);
            [x[0], x[1]]
        })
        .collect()
}

#[test]
fn nuts_is_calibrated() {
    // NUTS on a 2-D Gaussian is close to independent draw to draw; thin 3.
    let cfg = NutsConfig {
        n_warmup: 200,
        n_draws: 3 * L,
        ..Default::default()
    };
    let run = |p: &Posterior, seed: u64| thinned(&cfg, p, seed, 3);
    assert_uniform("nuts", sbc(1000, &run));
}

#[test]
fn metropolis_is_calibrated() {
    // Metropolis in 2-D: ESS per iteration ~0.3, integrated autocorrelation
    // time ~3-4; thinning by 10 gives near-independent draws.
    let cfg = MetropolisConfig {
        n_warmup: 600,
        n_draws: L,
        thin: 10,
        ..Default::default()
    };
    let run = |p: &Posterior, seed: u64| thinned(&cfg, p, seed, 1);
    assert_uniform("metropolis", sbc(1000, &run));
}

#[test]
fn sbc_detects_a_miscalibrated_sampler() {
    // Exact posterior draws with the sd inflated by 30%: ranks pile up in
    // the middle, and the test must say so.
    let run = |p: &Posterior, seed: u64| -> Vec<[f64; 2]> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        (0..L)
            .map(|_| {
                [0, 1].map(|j| {
                    let prec = 1.0 / PRIOR_SD[j].powi(2) + N_OBS as f64;
                    let z: f64 = StandardNormal.sample(&mut rng);
                    p.y_sum[j] / prec + 1.3 * z / prec.sqrt()
                })
            })
            .collect()
    };
    let hist = sbc(400, &run);
    for h in &hist {
        assert!(
            chi_square(h) > critical_1pct(),
            "miscalibration not detected: {h:?}"
        );
    }
    // ... while the exact sampler passes.
    let exact = |p: &Posterior, seed: u64| -> Vec<[f64; 2]> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        (0..L)
            .map(|_| {
                [0, 1].map(|j| {
                    let prec = 1.0 / PRIOR_SD[j].powi(2) + N_OBS as f64;
                    let z: f64 = StandardNormal.sample(&mut rng);
                    p.y_sum[j] / prec + z / prec.sqrt()
                })
            })
            .collect()
    };
    assert_uniform("exact", sbc(400, &exact));
}
