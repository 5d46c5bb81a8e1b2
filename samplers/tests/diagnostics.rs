//! Diagnostics against known answers: ArviZ on a fixed data set (values
//! produced by `scripts/reference/arviz_diagnostics.py`), and statistical
//! truths (iid draws, AR(1) chains with known ESS, disagreeing chains).
// Index loops mirror the formulas; negated comparisons deliberately reject NaN.
#![allow(clippy::needless_range_loop, clippy::neg_cmp_op_on_partial_ord)]

use eqnemix_samplers::diagnostics::{
    ess_bulk, ess_mean, ess_tail, hdi, mcse_mean, mcse_quantile, mcse_sd, rhat, Summary,
};
use eqnemix_samplers::{DrawStats, Draws};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

// arviz 0.23.4, numpy 2.4.6, scipy 1.17.1
// [ess_bulk, ess_tail, ess_mean, r_hat, mcse_mean, mcse_sd, mcse_median, hdi94_lo, hdi94_hi]
const REF_A: [f64; 9] = [
    9.435312593870197,
    39.76400298397292,
    9.324756678550882,
    1.4123645873561688,
    0.13926451853575464,
    0.026615112517948836,
    0.14012476406278276,
    -0.40047430001693135,
    1.1512667605273914,
];
const REF_B: [f64; 9] = [
    430.9683838307097,
    347.9590480934084,
    437.45356122661553,
    0.998692894485627,
    0.03183221666095695,
    0.02252731465264625,
    0.04999999999999999,
    0.0,
    2.0,
];
const REF_C: [f64; 9] = [
    5.689315682313007,
    37.68671007276903,
    5.355809821818172,
    2.09589178603135,
    0.26982199631912496,
    0.09214703907179544,
    0.34059708192944527,
    0.3115626205690205,
    2.474084387999028,
];

/// The reference data set, rebuilt exactly as the Python script does.
fn reference_data() -> [Vec<Vec<f64>>; 3] {
    let m = 4_294_967_296u64;
    let mut state = 12345u64;
    let mut out = [
        vec![vec![0.0; 101]; 4],
        vec![vec![0.0; 101]; 4],
        vec![vec![0.0; 101]; 4],
    ];
    for c in 0..4 {
        let mut y = 0.0;
        for t in 0..101 {
            state = (1_664_525 * state + 1_013_904_223) % m;
            let u = state as f64 / m as f64;
            y = 0.6 * y + (u - 0.5) + 0.1 * c as f64;
            out[0][c][t] = y;
            // Python's round() is round-half-even.
            out[1][c][t] = (10.0 * (3.0 * (u - 0.5)).powi(2)).round_ties_even() / 10.0;
            out[2][c][t] = u + 0.5 * c as f64;
        }
    }
    out
}

fn slices(v: &[Vec<f64>]) -> Vec<&[f64]> {
    v.iter().map(|c| c.as_slice()).collect()
}

#[test]
fn matches_arviz_on_reference_data() {
    let data = reference_data();
    for (k, reference) in [REF_A, REF_B, REF_C].iter().enumerate() {
        let ch = slices(&data[k]);
        let pooled: Vec<f64> = data[k].iter().flatten().copied().collect();
        let (lo, hi) = hdi(&pooled, 0.94);
        let ours = [
            ess_bulk(&ch),
            ess_tail(&ch),
            ess_mean(&ch),
            rhat(&ch),
            mcse_mean(&ch),
            mcse_sd(&ch),
            mcse_quantile(&ch, 0.5),
            lo,
            hi,
        ];
        let names = [
            "ess_bulk",
            "ess_tail",
            "ess_mean",
            "r_hat",
            "mcse_mean",
            "mcse_sd",
            "mcse_median",
            "hdi_lo",
            "hdi_hi",
        ];
        for i in 0..9 {
            let tol = 1e-8 * reference[i].abs().max(1.0);
            assert!(
                (ours[i] - reference[i]).abs() < tol,
                "quantity {} of {}: ours {} vs ArviZ {}",
                names[i],
                ["a", "b", "c"][k],
                ours[i],
                reference[i]
            );
        }
    }
}

fn normal_chains(n_chains: usize, n: usize, seed: u64) -> Vec<Vec<f64>> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..n_chains)
        .map(|_| (0..n).map(|_| StandardNormal.sample(&mut rng)).collect())
        .collect()
}

/// Stationary AR(1) chains `x_t = rho x_{t-1} + sqrt(1-rho^2) e_t`.
fn ar1_chains(rho: f64, n_chains: usize, n: usize, seed: u64) -> Vec<Vec<f64>> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let s = (1.0 - rho * rho).sqrt();
    (0..n_chains)
        .map(|_| {
            let mut x: f64 = StandardNormal.sample(&mut rng);
            (0..n)
                .map(|_| {
                    let e: f64 = StandardNormal.sample(&mut rng);
                    x = rho * x + s * e;
                    x
                })
                .collect()
        })
        .collect()
}

#[test]
fn iid_draws_have_rhat_one_and_ess_n() {
    let c = normal_chains(4, 2000, 1);
    let ch = slices(&c);
    let n = 8000.0;
    assert!((rhat(&ch) - 1.0).abs() < 0.01, "rhat {}", rhat(&ch));
    // The ESS estimate of iid draws scatters by a few percent (its
    // truncation sums a few noisy autocorrelations of sd 1/sqrt(n)).
    for (name, e) in [
        ("bulk", ess_bulk(&ch)),
        ("mean", ess_mean(&ch)),
        ("tail", ess_tail(&ch)),
    ] {
        assert!(
            (e / n - 1.0).abs() < 0.15,
            "ess_{name} = {e} for {n} iid draws"
        );
    }
    // MCSE of the mean of iid N(0,1): 1/sqrt(n).
    assert!((mcse_mean(&ch) * n.sqrt() - 1.0).abs() < 0.1);
    // MCSE of the sd of iid N(0,1): sqrt(Var(x^2)/(4 n)) = sqrt(2/(4n)).
    assert!(
        (mcse_sd(&ch) / (0.5f64 / n).sqrt() - 1.0).abs() < 0.15,
        "mcse_sd {}",
        mcse_sd(&ch)
    );
}

#[test]
fn ar1_ess_matches_theory() {
    // ESS = N (1 - rho) / (1 + rho) for the mean of a stationary AR(1).
    for (rho, tol) in [(0.5, 0.1), (0.9, 0.15), (-0.5, 0.15)] {
        let c = ar1_chains(rho, 4, 10_000, 7);
        let ch = slices(&c);
        let want = 40_000.0 * (1.0 - rho) / (1.0 + rho);
        for (name, e) in [("mean", ess_mean(&ch)), ("bulk", ess_bulk(&ch))] {
            assert!(
                (e / want - 1.0).abs() < tol,
                "rho {rho}: ess_{name} = {e}, theory {want}"
            );
        }
        // MCSE of the mean: sd / sqrt(ESS) with sd = 1.
        assert!((mcse_mean(&ch) / (1.0 / want.sqrt()) - 1.0).abs() < tol);
        assert!((rhat(&ch) - 1.0).abs() < 0.01);
    }
}

#[test]
fn disagreeing_chains_are_flagged() {
    // Two chains in one mode, two in another.
    let mut c = normal_chains(4, 500, 3);
    for v in c[2..].iter_mut().flatten() {
        *v += 3.0;
    }
    assert!(
        rhat(&slices(&c)) > 1.1,
        "stuck modes: rhat {}",
        rhat(&slices(&c))
    );
    // Same location, different scales: only the folded (tail) R-hat sees it.
    let mut c = normal_chains(4, 500, 4);
    for v in c[..2].iter_mut().flatten() {
        *v *= 4.0;
    }
    assert!(
        rhat(&slices(&c)) > 1.1,
        "scale mismatch: rhat {}",
        rhat(&slices(&c))
    );
    // A trend within each chain: splitting catches it.
    let c: Vec<Vec<f64>> = normal_chains(2, 1000, 5)
        .into_iter()
        .map(|c| {
            c.iter()
                .enumerate()
                .map(|(i, v)| v + 4.0 * i as f64 / 1000.0)
                .collect()
        })
        .collect();
    assert!(rhat(&slices(&c)) > 1.1, "trend: rhat {}", rhat(&slices(&c)));
}

#[test]
fn hdi_of_normal_is_symmetric_and_right() {
    let c = normal_chains(1, 200_000, 9);
    let (lo, hi) = hdi(&c[0], 0.94);
    // N(0,1): 94% HDI = +-1.8808; order-statistic noise ~ 0.01.
    assert!(
        (lo + 1.8808).abs() < 0.03 && (hi - 1.8808).abs() < 0.03,
        "({lo}, {hi})"
    );
}

#[test]
fn summary_table_is_consistent_serialisable_and_aligned() {
    let c = normal_chains(3, 400, 11);
    let chains: Vec<Draws> = c
        .iter()
        .map(|col| {
            let mut d = Draws::new(2);
            for (i, v) in col.iter().enumerate() {
                let stats = DrawStats {
                    divergent: i == 17,
                    ..Default::default()
                };
                d.push(&[*v, 2.0 * v + 1.0], stats);
            }
            d
        })
        .collect();
    let s = Summary::from_chains(&chains, &["alpha", "a_longer_name"]).unwrap();
    assert_eq!((s.n_chains, s.n_draws, s.n_divergent), (3, 400, 3));
    let (a, b) = (&s.rows[0], &s.rows[1]);
    // Linear map y = 2x + 1: means, sds, HDIs and MCSE transform exactly;
    // rank-based quantities (ESS bulk/tail, R-hat) are invariant.
    assert!((b.mean - (2.0 * a.mean + 1.0)).abs() < 1e-12);
    assert!((b.sd - 2.0 * a.sd).abs() < 1e-12);
    assert!(
        (b.hdi_3 - (2.0 * a.hdi_3 + 1.0)).abs() < 1e-12
            && (b.hdi_97 - (2.0 * a.hdi_97 + 1.0)).abs() < 1e-12
    );
    assert!((b.mcse_mean - 2.0 * a.mcse_mean).abs() < 1e-12);
    assert!((b.ess_bulk - a.ess_bulk).abs() < 1e-9 && (b.r_hat - a.r_hat).abs() < 1e-12);
    let pooled: Vec<f64> = c.iter().flatten().copied().collect();
    let mean = pooled.iter().sum::<f64>() / pooled.len() as f64;
    assert!((a.mean - mean).abs() < 1e-12);

    let json = serde_json::to_string(&s).unwrap();
    let back: Summary = serde_json::from_str(&json).unwrap();
    // serde_json parses floats to within an ulp.
    assert_eq!(
        (
            back.n_chains,
            back.n_draws,
            back.n_divergent,
            back.rows.len()
        ),
        (3, 400, 3, 2)
    );
    for (r, q) in back.rows.iter().zip(&s.rows) {
        assert_eq!(r.name, q.name);
        for (x, y) in [
            (r.mean, q.mean),
            (r.sd, q.sd),
            (r.ess_bulk, q.ess_bulk),
            (r.r_hat, q.r_hat),
            (r.mcse_sd, q.mcse_sd),
        ] {
            assert!((x - y).abs() <= 1e-14 * y.abs());
        }
    }

    let text = s.to_string();
    println!("{text}");
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines[0].contains("ess_bulk") && lines[0].contains("r_hat") && lines[0].contains("hdi_97%")
    );
    assert!(lines[1].starts_with("alpha") && lines[2].starts_with("a_longer_name"));
    assert_eq!(lines[0].len(), lines[1].len());
    assert_eq!(lines[1].len(), lines[2].len());
    assert!(lines[3].contains("3 divergent"));

    // Mismatched chains are an error, not a panic.
    let mut short = chains.clone();
    short[1].values.truncate(10);
    short[1].stats.truncate(5);
    assert!(Summary::from_chains(&short, &[]).is_err());
    assert!(Summary::from_chains(&[], &[]).is_err());
}

/// Real samplers stuck in separate modes: NUTS chains started in the two
/// modes of a well-separated mixture never cross (the barrier is ~50 nats),
/// and R-hat must say so; chains started in one mode agree.
#[test]
fn rhat_flags_nuts_chains_in_different_modes() {
    use eqnemix_samplers::nuts::NutsConfig;
    use eqnemix_samplers::run_chains;
    use eqnemix_samplers::targets::GaussianMixture;
    let mix = GaussianMixture::two_mode_3d(0.5, 0.5, 20.0).unwrap();
    let cfg = NutsConfig {
        n_warmup: 300,
        n_draws: 300,
        ..Default::default()
    };
    let split = vec![
        vec![-10.0, 0.0, 0.0],
        vec![10.0, 0.0, 0.0],
        vec![-10.0, 0.1, 0.0],
        vec![10.0, 0.1, 0.0],
    ];
    let s = Summary::from_chains(
        &run_chains(&cfg, &mix, &split, 5).unwrap(),
        &["x", "y", "z"],
    )
    .unwrap();
    assert!(s.rows[0].r_hat > 1.1, "modes not flagged:\n{s}");
    let same = vec![
        vec![10.0, 0.0, 0.0],
        vec![10.5, 0.0, 0.0],
        vec![9.5, 0.1, 0.0],
        vec![10.0, -0.1, 0.0],
    ];
    let s =
        Summary::from_chains(&run_chains(&cfg, &mix, &same, 5).unwrap(), &["x", "y", "z"]).unwrap();
    assert!(s.max_rhat() < 1.05, "one mode should agree:\n{s}");
}

/// Rank-based diagnostics are invariant under monotone transforms (the
/// point of rank normalisation): exp() of the draws leaves bulk/tail ESS and
/// R-hat unchanged.
#[test]
fn rank_diagnostics_are_invariant_under_monotone_maps() {
    let c = ar1_chains(0.7, 4, 1000, 21);
    let e: Vec<Vec<f64>> = c
        .iter()
        .map(|ch| ch.iter().map(|v| (2.0 * v).exp()).collect())
        .collect();
    let (a, b) = (slices(&c), slices(&e));
    assert!((ess_bulk(&a) - ess_bulk(&b)).abs() < 1e-9 * ess_bulk(&a));
    assert!((ess_tail(&a) - ess_tail(&b)).abs() < 1e-9 * ess_tail(&a));
    assert!((rhat(&a) - rhat(&b)).abs() < 1e-12);
    // ... while the mean-based ESS does depend on the scale.
    assert!((ess_mean(&a) - ess_mean(&b)).abs() > 1.0);
}
