//! Coverage of the 90 % credible region and the gain from back-azimuth on
//! the synthetic region (events and picks drawn from the model inverted),
//! a smaller version of `examples/coverage_study.rs`.
//!
//! Tolerance: the number of the `N` events whose truth falls in its 90 %
//! highest-posterior-density region is Binomial(N, 0.9) when the posterior
//! is right, so the observed coverage has standard deviation
//! `sqrt(0.9 · 0.1 / N)` (0.047 for N = 40); we accept within 3 sd
//! (two-sided false-alarm rate 0.3 % per configuration; the seed is fixed, so
//! the test is deterministic). Sampler error in the HPD threshold adds a
//! little spread, which 3 sd absorbs. A wrong likelihood (e.g. σ off by a
//! factor 2) moves coverage to about 0.5 or 0.99 and fails.

use eqnemix::grid_posterior::GridPosterior;
use eqnemix::likelihood::LikelihoodOptions;
use eqnemix::prior::PriorOptions;
use eqnemix::samplers::any::SamplerConfig;
use eqnemix::samplers::smc::{Reference, SmcConfig};
use eqnemix::synthetic_region::{locate_with, median, score_event, study_sampler, SyntheticRegion};
use rayon::prelude::*;

#[test]
fn ninety_percent_regions_cover_ninety_percent_and_back_azimuth_sharpens() {
    let n = 40;
    let region = SyntheticRegion::standard().unwrap();
    let events = region.draw_events(n, 11).unwrap();
    let smc = SamplerConfig::Smc(SmcConfig {
        n_particles: 1000,
        reference: Reference::Uniform { lower: vec![], upper: vec![] },
        ..Default::default()
    });
    let sd = (0.9f64 * 0.1 / n as f64).sqrt();
    let mut medians = Vec::new();
    for baz in [false, true] {
        let opts = LikelihoodOptions { back_azimuth: baz, ..Default::default() };
        let res: Vec<_> = events
            .par_iter()
            .enumerate()
            .map(|(i, e)| score_event(&region, e, &opts, &smc, 1, 100 + i as u64).unwrap())
            .collect();
        let cov = res.iter().filter(|r| r.in_hpd90).count() as f64 / n as f64;
        assert!(
            (cov - 0.9).abs() <= 3.0 * sd,
            "back_azimuth={baz}: coverage {cov} outside 0.9 ± {:.3}",
            3.0 * sd
        );
        medians.push(median(&res.iter().map(|r| r.epicentral_error_km).collect::<Vec<_>>()));
    }
    // The example shows the full halving over 200 events; on 40 events the
    // median's own sampling spread is ~20 %, so require a ratio above 1.5.
    assert!(medians[0] / medians[1] > 1.5, "median errors {medians:?}");
}

/// The studies' driver ([`locate_with`]) runs NUTS as `eqnemix locate` does:
/// from the pilot, chains per mode region, weighted by the pilot's masses.
/// On the bimodal event of `tests/samplers_agree.rs` (S-P shell cutting
/// clusters 0 and 1, grid masses about 0.53 and 0.47, modes 45 km apart)
/// chains started from prior draws report how many chains fell in each
/// mode; here both modes get chains and the cluster probabilities match a
/// 1 km grid within 0.05 (the pilot's mass error is 0.009-0.024, see that
/// test's doc; 1 km cells are converged to 0.005 there).
#[test]
fn study_nuts_starts_from_the_pilot_and_weighs_both_modes() {
    let region = SyntheticRegion::standard().unwrap();
    let ev = region.draw_event(10, 11).unwrap();
    let sp_only = LikelihoodOptions { back_azimuth: false, ..Default::default() };
    let post = region.posterior(&ev, &sp_only, &PriorOptions::default()).unwrap();
    let grid = GridPosterior::evaluate(&post, [120, 120, 30]).unwrap();
    let g = &grid.cluster_probabilities;
    assert!(g[0] > 0.3 && g[1] > 0.3, "not bimodal: {g:?}");
    let loc = locate_with(&post, &study_sampler("nuts").unwrap(), 4, 3).unwrap();
    let d = &loc.diagnostics;
    assert!(d.pilot.is_some(), "no pilot");
    assert_eq!(d.modes.len(), 2, "{:?}", d.modes);
    for (k, (p, g)) in loc.summary.cluster_probabilities.iter().zip(g).enumerate() {
        assert!((p - g).abs() < 0.05, "cluster {k}: {p:.3} vs grid {g:.3}; modes {:?}", d.modes);
    }
}
