//! Every sampler, run as `eqnemix locate` runs it ([`locate_event`]),
//! agrees with a dense-grid evaluation of the same posterior, and the
//! default location configuration gets the masses of separated modes right.
//!
//! **The event.** Event 10 of stream 11 of [`SyntheticRegion::standard`]
//! (one station, K = 5 cluster Gaussians, a four-layer crust), located from
//! its S-P time alone (no back-azimuth). Its S-P shell cuts cluster 0
//! (north-east of the station) and cluster 1 (south-west): the grid gives
//! them probabilities of about 0.53 and 0.47, with the two modes some 45 km
//! apart and no density between them. The test asserts this (both clusters
//! above 0.3) and that a NUTS chain started in one mode never visits the
//! other, so chains started from prior or likelihood-resampled draws report
//! how many chains fell in each mode, not the mode's mass: a sampler that
//! does not weigh the modes fails the 0.05 tolerance on cluster
//! probabilities.
//!
//! **The reference.** [`GridPosterior`] over the whole region box
//! (120 × 120 × 30 km) with 0.6 km cells (200 × 200 × 50, midpoint rule).
//! The S-P shell is about 0.7 km thick (1 sd), and the midpoint rule on a
//! smooth density whose width is comparable to the cell converges
//! spectrally; `grid_is_converged` checks that 1 km cells give the same
//! cluster probabilities within 0.005 and means within 0.05 km.
//!
//! **Tolerances** (issue 4): per coordinate `|mean − grid mean| < 2 MCSE +
//! 0.5 km`, with the MCSE that `locate_event` reports
//! ([`eqnemix::locate::RunDiagnostics::mcse_mean`]: from the chains' ESS,
//! combined over mode regions with the pilot's mass error for Markov
//! samplers; from the Kish ESS of the oct-tree's weights; from the
//! particles' ESS for SMC); every cluster probability within 0.05 of the
//! grid's. The 0.5 km absorbs the grid's discretisation and the bias of
//! finite chains. For Markov samplers the mode masses come from the pilot
//! of `locate_event`: on this event importance sampling from the prior,
//! whose masses have a standard error of 0.009 (`pilot_mass_spread`,
//! ignored by default: 30 pilot runs); the SMC fallback's is 0.024, so
//! 0.05 is 2 to 5 standard errors. A sampler that ignores the masses
//! misses by about 0.5.
//!
//! **ADVI** fits one Gaussian (full rank, in the box transform's
//! unconstrained space) per mode region, started from the pilot's
//! particles there, and takes the masses from the pilot as the Markov
//! samplers do: it is held to the same tolerances on the bimodal event,
//! and also on a unimodal one (event 3 with its back-azimuth, whose grid
//! puts more than 0.99 on one cluster). Its MCSE is that of i.i.d. draws
//! from the fits, so the 0.5 km also covers the approximation's bias.
//!
//! Seeds are fixed, so the test is deterministic; CPU time is a few seconds
//! in the dev profile (opt-level 2).

use eqnemix::grid_posterior::GridPosterior;
use eqnemix::likelihood::LikelihoodOptions;
use eqnemix::locate::{every_sampler, locate_event, sampler_label, EventLocation, LocateOptions};
use eqnemix::posterior::LocationPosterior;
use eqnemix::prior::PriorOptions;
use eqnemix::samplers::any::SamplerConfig;
use eqnemix::samplers::nuts::NutsConfig;
use eqnemix::samplers::transform::{Bounds, BoxTransform};
use eqnemix::samplers::Sampler;
use eqnemix::synthetic_region::SyntheticRegion;

const STREAM: u64 = 11;
const BIMODAL_EVENT: usize = 10;
const GRID: [usize; 3] = [200, 200, 50];

fn posterior(region: &SyntheticRegion, event: usize, back_azimuth: bool) -> LocationPosterior {
    let ev = region.draw_event(event, STREAM).unwrap();
    let opts = LikelihoodOptions { back_azimuth, ..Default::default() };
    region.posterior(&ev, &opts, &PriorOptions::default()).unwrap()
}

/// Assert the tolerances of the module doc; `what` names the run.
fn assert_agrees(what: &str, loc: &EventLocation, grid: &GridPosterior) {
    let s = &loc.summary;
    let d = &loc.diagnostics;
    for a in 0..3 {
        let mcse = d.mcse_mean[a];
        assert!(mcse.is_finite() && mcse > 0.0, "{what}: MCSE {mcse}");
        let tol = 2.0 * mcse + 0.5;
        assert!(
            (s.mean_km[a] - grid.mean_km[a]).abs() < tol,
            "{what}: axis {a}: mean {:.3} vs grid {:.3} (tol {tol:.3}); p {:?} vs grid {:?}; ESS {:.0}; modes {:?}",
            s.mean_km[a],
            grid.mean_km[a],
            s.cluster_probabilities,
            grid.cluster_probabilities,
            d.min_ess_bulk,
            d.modes
        );
    }
    for (k, (p, g)) in s.cluster_probabilities.iter().zip(&grid.cluster_probabilities).enumerate() {
        assert!((p - g).abs() < 0.05, "{what}: cluster {k}: {p:.3} vs grid {g:.3}; modes {:?}", d.modes);
    }
}

#[test]
fn every_sampler_agrees_with_the_grid_on_a_bimodal_event() {
    let region = SyntheticRegion::standard().unwrap();
    let post = posterior(&region, BIMODAL_EVENT, false);
    let grid = GridPosterior::evaluate(&post, GRID).unwrap();
    let p = &grid.cluster_probabilities;
    assert!(p[0] > 0.3 && p[1] > 0.3, "not bimodal: {p:?}");

    // A NUTS chain started in one mode stays there: the modes are separated.
    let (lo, hi) = post.bounds();
    let target = BoxTransform::new(&post, lo.iter().zip(&hi).map(|(a, b)| Bounds::interval(*a, *b)).collect()).unwrap();
    let ev = region.draw_event(BIMODAL_EVENT, STREAM).unwrap();
    let start = target.to_unconstrained(&ev.true_km).unwrap();
    let nuts = NutsConfig { n_warmup: 300, n_draws: 300, ..Default::default() };
    let chain = target.constrain_draws(&nuts.sample(&target, &start, 5).unwrap());
    let mut r = vec![0.0; region.n_clusters()];
    let other = 1 - ev.cluster;
    let visits = chain
        .iter()
        .filter(|x| {
            post.prior().responsibilities([x[0], x[1], x[2]], &mut r);
            r[other] > 0.5
        })
        .count();
    assert_eq!(visits, 0, "a chain from cluster {} visited cluster {other}", ev.cluster);

    for cfg in every_sampler() {
        let loc = locate_event(&post, &cfg, &LocateOptions { seed: 3, ..Default::default() }).unwrap();
        if !cfg.is_population() || matches!(sampler_label(&cfg), "advi" | "smc") {
            assert_eq!(loc.diagnostics.modes.len(), 2, "{}: {:?}", cfg.kind(), loc.diagnostics.modes);
        }
        assert_agrees(sampler_label(&cfg), &loc, &grid);
    }
}

#[test]
fn advi_agrees_with_the_grid_on_a_unimodal_event() {
    let region = SyntheticRegion::standard().unwrap();
    let post = posterior(&region, 3, true);
    let grid = GridPosterior::evaluate(&post, GRID).unwrap();
    assert!(grid.cluster_probabilities.iter().any(|p| *p > 0.99), "{:?}", grid.cluster_probabilities);
    let advi = every_sampler().into_iter().find(|c| c.kind() == "advi").unwrap();
    let loc = locate_event(&post, &advi, &LocateOptions { seed: 3, ..Default::default() }).unwrap();
    assert_agrees("advi", &loc, &grid);
}

/// NUTS as the studies run it (`eqnemix::config::nuts_sampler`, 4 chains)
/// on further multimodal events of the stream, whose grids split 0.19-0.81
/// to 0.53-0.47 between two clusters; event 22's prior draws are too
/// inefficient for the importance pilot on its own, so it exercises the
/// adapted importance stage (prior draws, then a defensive mixture fitted
/// to them).
#[test]
fn the_default_configuration_weighs_the_modes_of_multimodal_events() {
    let region = SyntheticRegion::standard().unwrap();
    let cfg = eqnemix::config::LocateConfig { sampler: eqnemix::config::nuts_sampler(), ..Default::default() };
    assert!(matches!(cfg.sampler, SamplerConfig::Nuts(_)));
    let mut methods = Vec::new();
    for event in [12, 22, 34] {
        let post = posterior(&region, event, false);
        let grid = GridPosterior::evaluate(&post, [120, 120, 30]).unwrap();
        let mut p = grid.cluster_probabilities.clone();
        p.sort_by(|a, b| b.total_cmp(a));
        assert!(p[1] > 0.15, "event {event} is not multimodal: {p:?}");
        let options = LocateOptions { n_chains: cfg.n_chains, seed: cfg.seed + event as u64, ..Default::default() };
        let loc = locate_event(&post, &cfg.sampler, &options).unwrap();
        assert_eq!(loc.diagnostics.modes.len(), 2, "event {event}: {:?}", loc.diagnostics.modes);
        methods.push(loc.diagnostics.pilot.clone().unwrap().method);
        assert_agrees(&format!("default on event {event}"), &loc, &grid);
    }
    // The 3D pilot is the importance sampler (prior draws, then fitted
    // mixtures where the prior draws alone fall short, as on event 22).
    assert_eq!(methods, ["importance", "importance", "importance"]);
}

/// The SMC pilot, the fallback when importance sampling from the prior is
/// too inefficient: event 50 of the stream (the one of events 0-59 whose
/// prior draws carry the least weight) from its absolute P and S times
/// with the origin time sampled on a 40 s window (4 coordinates, where the
/// pilot's importance stage integrates the origin time out and has no
/// adapted stage), located with NUTS, agrees with the grid of the same
/// likelihood with the origin time marginalised analytically.
#[test]
fn the_smc_pilot_serves_when_importance_sampling_fails() {
    use eqnemix::likelihood::OriginTime;
    let region = SyntheticRegion::standard().unwrap();
    let ev = region.draw_event(50, STREAM).unwrap();
    let with = |origin_time| {
        let opts = LikelihoodOptions { s_minus_p: false, absolute_times: true, origin_time, back_azimuth: false, ..Default::default() };
        region.posterior(&ev, &opts, &PriorOptions::default()).unwrap()
    };
    let grid = GridPosterior::evaluate(&with(OriginTime::Marginalised), [120, 120, 30]).unwrap();
    let post = with(OriginTime::Sampled { min_s: -20.0, max_s: 20.0 });
    let cfg = eqnemix::config::LocateConfig { sampler: eqnemix::config::nuts_sampler(), ..Default::default() };
    let loc = locate_event(&post, &cfg.sampler, &LocateOptions { n_chains: cfg.n_chains, seed: 1, ..Default::default() }).unwrap();
    assert_eq!(loc.diagnostics.pilot.as_ref().map(|p| p.method.as_str()), Some("smc"));
    assert_agrees("NUTS with the SMC pilot, event 50", &loc, &grid);
}

/// The SMC pilot (used when importance sampling from the prior is not
/// enough, here because the origin time is sampled as a 4th coordinate):
/// the bimodal event from its absolute P and S times with the origin time
/// uniform on a 40 s window, located with NUTS,
/// against the grid of the same likelihood with the origin time
/// marginalised analytically (the same hypocentre marginal, since the
/// window is some 400 origin-time sds wide).
#[test]
fn the_default_weighs_the_modes_with_a_sampled_origin_time() {
    use eqnemix::likelihood::OriginTime;
    let region = SyntheticRegion::standard().unwrap();
    let ev = region.draw_event(BIMODAL_EVENT, STREAM).unwrap();
    let with = |origin_time| {
        let opts = LikelihoodOptions { s_minus_p: false, absolute_times: true, origin_time, back_azimuth: false, ..Default::default() };
        region.posterior(&ev, &opts, &PriorOptions::default()).unwrap()
    };
    let grid = GridPosterior::evaluate(&with(OriginTime::Marginalised), [120, 120, 30]).unwrap();
    let p = &grid.cluster_probabilities;
    assert!(p[0] > 0.3 && p[1] > 0.3, "not bimodal: {p:?}");
    let post = with(OriginTime::Sampled { min_s: -20.0, max_s: 20.0 });
    let cfg = eqnemix::config::LocateConfig { sampler: eqnemix::config::nuts_sampler(), ..Default::default() };
    let loc = locate_event(&post, &cfg.sampler, &LocateOptions { n_chains: cfg.n_chains, seed: 7, ..Default::default() }).unwrap();
    assert_eq!(loc.diagnostics.pilot.as_ref().map(|p| p.method.as_str()), Some("prior-is"));
    assert_eq!(loc.diagnostics.modes.len(), 2, "{:?}", loc.diagnostics.modes);
    assert_agrees("default, sampled origin time", &loc, &grid);
}

#[test]
fn grid_is_converged() {
    let region = SyntheticRegion::standard().unwrap();
    let post = posterior(&region, BIMODAL_EVENT, false);
    let fine = GridPosterior::evaluate(&post, GRID).unwrap();
    let coarse = GridPosterior::evaluate(&post, [120, 120, 30]).unwrap();
    for a in 0..3 {
        assert!((fine.mean_km[a] - coarse.mean_km[a]).abs() < 0.05, "{:?} vs {:?}", fine.mean_km, coarse.mean_km);
    }
    for (f, c) in fine.cluster_probabilities.iter().zip(&coarse.cluster_probabilities) {
        assert!((f - c).abs() < 0.005, "{:?} vs {:?}", fine.cluster_probabilities, coarse.cluster_probabilities);
    }
}


/// The effective sample size of the pilot's mode masses: over 30 seeds on
/// the bimodal event, the spread of cluster 0's mass from
/// `eqnemix::locate::pilot_masses` (importance sampling from the prior),
/// against the n_eff it claims; and the same for the SMC pilot (the
/// constant `PILOT_ESS_FRACTION` of `src/locate/event.rs`), compared with
/// the binomial spread of independent draws.
/// `cargo test -p eqnemix --test samplers_agree -- --ignored --nocapture`
#[test]
#[ignore]
fn pilot_mass_spread() {
    use eqnemix::locate::{pilot_masses, PILOT_PARTICLES};
    use eqnemix::samplers::smc::{Reference, SmcConfig};
    let region = SyntheticRegion::standard().unwrap();
    let post = posterior(&region, BIMODAL_EVENT, false);
    let spread = |v: &[f64]| {
        let m = v.iter().sum::<f64>() / v.len() as f64;
        (m, (v.iter().map(|s| (s - m).powi(2)).sum::<f64>() / (v.len() - 1) as f64).sqrt())
    };
    let t0 = std::time::Instant::now();
    let runs: Vec<_> = (0..30).map(|seed| pilot_masses(&post, seed).unwrap()).collect();
    let (m, sd) = spread(&runs.iter().map(|r| r.mass[0]).collect::<Vec<_>>());
    let claimed = runs.iter().map(|r| r.n_eff).sum::<f64>() / 30.0;
    println!(
        "pilot {}: mass mean {m:.4} sd {sd:.4}; empirical n_eff {:.0}, claimed {claimed:.0}; {:.4} s per run",
        runs[0].method,
        m * (1.0 - m) / (sd * sd),
        t0.elapsed().as_secs_f64() / 30.0
    );

    let (lo, hi) = post.bounds();
    let smc = SmcConfig {
        n_particles: PILOT_PARTICLES,
        reference: Reference::Uniform { lower: lo, upper: hi },
        ..Default::default()
    };
    let ev = region.draw_event(BIMODAL_EVENT, STREAM).unwrap();
    let mut r = vec![0.0; region.n_clusters()];
    let t0 = std::time::Instant::now();
    let shares: Vec<f64> = (0..30)
        .map(|seed| {
            let d = smc.sample(&post, &ev.true_km, seed).unwrap();
            let n0 = d
                .iter()
                .filter(|x| {
                    post.prior().responsibilities([x[0], x[1], x[2]], &mut r);
                    r[0] > r[1]
                })
                .count();
            n0 as f64 / d.n_draws() as f64
        })
        .collect();
    let (m, sd) = spread(&shares);
    let n_eff = m * (1.0 - m) / (sd * sd);
    println!(
        "smc pilot, {} particles: share mean {m:.4} sd {sd:.4}; n_eff {n_eff:.0} = {:.2} of the particles; {:.3} s per run",
        smc.n_particles,
        n_eff / smc.n_particles as f64,
        t0.elapsed().as_secs_f64() / 30.0
    );
}

