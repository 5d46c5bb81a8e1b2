//! `locate_event` on a synthetic single-station event: truth inside the 95%
//! credible region, agreement with the dense-grid reference, determinism,
//! the prior-dominated flag and the outside-domain error.

use eqnemix::config::RegionConfig;
use eqnemix::grid_posterior::GridPosterior;
use eqnemix::likelihood::LikelihoodOptions;
use eqnemix::locate::{locate_event, EventLocation, LocateError, LocateOptions};
use eqnemix::picks::{BackAzimuthObs, PhasePick, Picks, StationPicks};
use eqnemix::posterior::LocationPosterior;
use eqnemix::prior::{ClusterPrior, PriorOptions, RegionBox};
use eqnemix::samplers::any::SamplerConfig;
use eqnemix::samplers::LogDensity;
use eqnemix::traveltime::{
    Homogeneous, OutsideDomain, Phase, Station, TravelTimeError, TravelTimeField, TravelTimeModel,
};
use eqnemix::ClusterGaussian;
use rand::SeedableRng;
use rand_distr::{Distribution, Normal};
use std::sync::Arc;

const VP: f64 = 6.0;
const VS: f64 = 3.5;

fn clusters() -> Vec<ClusterGaussian> {
    let c = |id, m: [f64; 3], s: [f64; 3]| ClusterGaussian {
        id,
        n_events: 50,
        mean_km: m,
        cov_km2: [[s[0] * s[0], 0.0, 0.0], [0.0, s[1] * s[1], 0.0], [0.0, 0.0, s[2] * s[2]]],
    };
    vec![
        c(0, [20.0, 10.0, 8.0], [3.0, 3.0, 2.0]),
        c(1, [-15.0, 25.0, 6.0], [4.0, 3.0, 2.0]),
        c(2, [-25.0, -20.0, 10.0], [3.0, 4.0, 2.5]),
        c(3, [10.0, -30.0, 12.0], [3.0, 3.0, 2.0]),
    ]
}

fn station() -> Station {
    Station {
        code: "STA".into(),
        position_km: [0.0, 0.0, 0.0],
    }
}

/// A source drawn from cluster 0, its S-P time and back-azimuth with noise.
fn synthetic_event(seed: u64, baz_sigma_deg: f64, sp_sigma_s: f64) -> (Picks, [f64; 3]) {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let c = &clusters()[0];
    let n01 = Normal::new(0.0, 1.0).unwrap();
    let truth: [f64; 3] = [0, 1, 2].map(|a| c.mean_km[a] + c.cov_km2[a][a].sqrt() * n01.sample(&mut rng));
    let r = (truth[0].powi(2) + truth[1].powi(2) + truth[2].powi(2)).sqrt();
    let pick_sigma = sp_sigma_s / 2f64.sqrt();
    let tp = r / VP + pick_sigma * n01.sample(&mut rng);
    let ts = r / VS + pick_sigma * n01.sample(&mut rng);
    let baz = truth[0].atan2(truth[1]).to_degrees() + baz_sigma_deg * n01.sample(&mut rng);
    let mut sp = StationPicks::new(station());
    sp.p = Some(PhasePick { time_s: tp, sigma_s: pick_sigma });
    sp.s = Some(PhasePick { time_s: ts, sigma_s: pick_sigma });
    sp.back_azimuth = Some(BackAzimuthObs::from_sigma_deg(baz, baz_sigma_deg));
    let picks = Picks {
        event_id: format!("synthetic-{seed}"),
        reference_time: chrono::DateTime::parse_from_rfc3339("2020-01-01T00:00:00Z").unwrap().into(),
        stations: vec![sp],
    };
    (picks, truth)
}

fn region() -> RegionBox {
    RegionConfig::default().region_box(&clusters()).unwrap()
}

fn posterior(picks: &Picks, region: RegionBox) -> LocationPosterior {
    let prior = ClusterPrior::new(&clusters(), &[0.55, 0.2, 0.15, 0.1], &PriorOptions::default()).unwrap();
    let model = Homogeneous::new(VP, VS).unwrap();
    let opts = LikelihoodOptions { model_error_s: 0.0, ..Default::default() };
    LocationPosterior::from_picks(prior, picks, &model, &opts, region).unwrap()
}

fn options(seed: u64) -> LocateOptions {
    LocateOptions { seed, ..Default::default() }
}

fn nuts() -> SamplerConfig {
    eqnemix::config::nuts_sampler()
}

#[test]
fn synthetic_event_recovers_truth_and_matches_the_grid() {
    let (picks, truth) = synthetic_event(7, 10.0, 0.1);
    let post = posterior(&picks, region());
    let loc: EventLocation = locate_event(&post, &nuts(), &options(11)).unwrap();
    let d = &loc.diagnostics;
    assert_eq!(d.chains.len(), 4);
    assert!(d.max_rhat < 1.01, "R-hat {}", d.max_rhat);
    assert!(d.min_ess_bulk > 400.0 && d.min_ess_tail > 400.0, "{d:?}");
    assert!(!loc.flags.untrustworthy && !loc.flags.prior_dominated, "{:?}", loc.flags);
    assert!(d.information_gain_nats > 1.0, "{}", d.information_gain_nats);

    // Truth inside the 95% highest-posterior-density region: its density is
    // above the 5% quantile of the density at the draws.
    let mut lds: Vec<f64> = loc.chains.iter().flat_map(|c| c.iter().map(|x| post.log_density(x))).collect();
    lds.sort_by(|a, b| a.total_cmp(b));
    let q05 = lds[lds.len() / 20];
    let lt = post.log_density(&truth);
    assert!(lt >= q05, "truth log density {lt} below the 95% HPD threshold {q05}");

    // The dense grid over a box of ±6 sd about the draws agrees with the
    // sampler: means within 2 MCSE + 0.5 km, cluster probabilities within 0.05.
    let s = &loc.summary;
    let r = region();
    let sub = RegionBox::new(
        [0, 1, 2].map(|a| (s.mean_km[a] - 6.0 * s.std_km[a]).max(r.min_km[a])),
        [0, 1, 2].map(|a| (s.mean_km[a] + 6.0 * s.std_km[a]).min(r.max_km[a])),
    );
    let grid = GridPosterior::evaluate(&posterior(&picks, sub), [60, 60, 60]).unwrap();
    let table = d.table.as_ref().unwrap();
    for a in 0..3 {
        let tol = 2.0 * table.rows[a].mcse_mean + 0.5;
        assert!(
            (grid.mean_km[a] - s.mean_km[a]).abs() < tol,
            "axis {a}: grid {} vs sampler {} (tol {tol})",
            grid.mean_km[a],
            s.mean_km[a]
        );
    }
    for (k, (g, m)) in grid.cluster_probabilities.iter().zip(&s.cluster_probabilities).enumerate() {
        assert!((g - m).abs() < 0.05, "cluster {k}: grid {g} vs sampler {m}");
    }
    assert!(s.cluster_probabilities[0] > 0.5, "{:?}", s.cluster_probabilities);
}

#[test]
fn same_seed_same_result_other_seed_other_draws() {
    let (picks, _) = synthetic_event(3, 10.0, 0.1);
    let post = posterior(&picks, region());
    let a = locate_event(&post, &nuts(), &options(5)).unwrap();
    let b = locate_event(&post, &nuts(), &options(5)).unwrap();
    let c = locate_event(&post, &nuts(), &options(6)).unwrap();
    assert_eq!(a.chains, b.chains);
    assert_eq!(a.summary, b.summary);
    assert_ne!(a.chains[0].values, c.chains[0].values);
}

#[test]
fn prior_dominated_when_the_data_say_little() {
    let r = region();
    // No data at all: the gain is exactly 0.
    let prior = ClusterPrior::new(&clusters(), &[0.55, 0.2, 0.15, 0.1], &PriorOptions::default()).unwrap();
    let post = LocationPosterior::prior_only(prior, r).unwrap();
    let loc = locate_event(&post, &nuts(), &options(1)).unwrap();
    assert!(loc.flags.prior_dominated);
    assert_eq!(loc.diagnostics.information_gain_nats, 0.0);
    // Nearly uninformative picks (S-P sigma 30 s, back-azimuth sigma 150 deg):
    // the estimated gain is small and the event is flagged.
    let (picks, _) = synthetic_event(9, 150.0, 30.0);
    let loc = locate_event(&posterior(&picks, r), &nuts(), &options(1)).unwrap();
    assert!(loc.diagnostics.information_gain_nats < 0.3, "{}", loc.diagnostics.information_gain_nats);
    assert!(loc.flags.prior_dominated, "{:?}", loc.flags);
    // Informative picks: not flagged.
    let (picks, _) = synthetic_event(9, 5.0, 0.05);
    let loc = locate_event(&posterior(&picks, r), &nuts(), &options(1)).unwrap();
    assert!(!loc.flags.prior_dominated, "{:?}", loc.flags);
}

#[test]
fn other_samplers_run_through_the_same_function() {
    let (picks, truth) = synthetic_event(7, 10.0, 0.1);
    let post = posterior(&picks, region());
    for text in [
        "kind = \"metropolis\"\nn_warmup = 1000\nn_draws = 1000\n",
        "kind = \"smc\"\nn_particles = 1000\n",
    ] {
        let s: SamplerConfig = toml::from_str(text).unwrap();
        let loc = locate_event(&post, &s, &options(2)).unwrap();
        let m = loc.summary.mean_km;
        let e = loc.summary.ellipsoid(0.95).unwrap();
        let major = e.axes.iter().map(|a| a.length_km).fold(0.0, f64::max);
        let dist = ((m[0] - truth[0]).powi(2) + (m[1] - truth[1]).powi(2) + (m[2] - truth[2]).powi(2)).sqrt();
        assert!(dist < major, "{}: mean {m:?} is {dist} km from truth {truth:?}", s.kind());
    }
}

/// A field whose domain lies east of x = 500 km: nothing in the region.
struct FarAway;
impl TravelTimeField for FarAway {
    fn time(&self, x: [f64; 3]) -> Result<f64, OutsideDomain> {
        if x[0] > 500.0 { Ok(1.0) } else { Err(OutsideDomain::at(x)) }
    }
    fn time_and_gradient(&self, x: [f64; 3]) -> Result<(f64, [f64; 3]), OutsideDomain> {
        self.time(x).map(|t| (t, [0.0; 3]))
    }
    fn bounds(&self) -> Option<([f64; 3], [f64; 3])> {
        Some(([500.0, -10.0, 0.0], [600.0, 10.0, 10.0]))
    }
}
struct FarModel;
impl TravelTimeModel for FarModel {
    fn field(&self, _: &Station, _: Phase) -> Result<Arc<dyn TravelTimeField>, TravelTimeError> {
        Ok(Arc::new(FarAway))
    }
}

#[test]
fn picks_outside_every_travel_time_domain_are_a_clear_error() {
    let (picks, _) = synthetic_event(1, 10.0, 0.1);
    let prior = ClusterPrior::new(&clusters(), &[0.55, 0.2, 0.15, 0.1], &PriorOptions::default()).unwrap();
    let post = LocationPosterior::from_picks(prior, &picks, &FarModel, &LikelihoodOptions::default(), region()).unwrap();
    let e = locate_event(&post, &nuts(), &options(1)).unwrap_err();
    assert!(matches!(e, LocateError::NoSupport { .. }));
    let m = e.to_string();
    assert!(m.contains("synthetic-1") && m.contains("travel-time domain"), "{m}");
}

/// Five stations with P and S picks (absolute times) of a source in
/// cluster 0: exact picks fit (no misfit flag); one S pick 2 s late (20
/// sigma) makes the picks' chi-square at the headline location exceed its
/// 0.999 quantile, and the location is flagged as a misfit with the reason.
#[test]
fn an_outlier_pick_in_a_network_is_flagged_as_misfit() {
    let truth = [19.0, 11.0, 7.0];
    let stations: [[f64; 3]; 5] = [[0.0, 0.0, 0.0], [30.0, 5.0, 0.0], [10.0, 30.0, 0.0], [35.0, 25.0, 0.0], [15.0, -5.0, 0.0]];
    let picks = |late_s: f64| Picks {
        event_id: "net".into(),
        reference_time: chrono::DateTime::parse_from_rfc3339("2020-01-01T00:00:00Z").unwrap().into(),
        stations: stations
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let r = (0..3).map(|a| (truth[a] - p[a]).powi(2)).sum::<f64>().sqrt();
                let mut sp = StationPicks::new(Station { code: format!("S{i}"), position_km: *p });
                sp.p = Some(PhasePick { time_s: 10.0 + r / VP, sigma_s: 0.1 });
                sp.s = Some(PhasePick { time_s: 10.0 + r / VS + if i == 2 { late_s } else { 0.0 }, sigma_s: 0.1 });
                sp
            })
            .collect(),
    };
    let opts = LikelihoodOptions { s_minus_p: false, absolute_times: true, back_azimuth: false, model_error_s: 0.0, ..Default::default() };
    let prior = ClusterPrior::new(&clusters(), &[0.55, 0.2, 0.15, 0.1], &PriorOptions::default()).unwrap();
    let model = Homogeneous::new(VP, VS).unwrap();
    let locate = |p: &Picks| {
        let post = LocationPosterior::from_picks(prior.clone(), p, &model, &opts, region()).unwrap();
        locate_event(&post, &eqnemix::config::default_sampler(), &options(5)).unwrap()
    };
    let clean = locate(&picks(0.0));
    assert!(!clean.flags.misfit, "{:?}", clean.flags);
    let bad = locate(&picks(2.0));
    assert!(bad.flags.misfit, "{:?}", bad.flags);
    assert!(bad.flags.reasons.iter().any(|r| r.contains("misfit: pick chi-square") && r.contains("(10 picks)")), "{:?}", bad.flags.reasons);
}

/// Cancellation reaches every sampler run: with its flag set, every
/// sampler kind stops with `LocateError::Cancelled` (naming the event)
/// instead of returning a location; with a flag that is never set the
/// location is the one without a flag, draw for draw.
#[test]
fn a_set_cancel_flag_stops_every_sampler_and_a_clear_one_changes_nothing() {
    let (picks, _) = synthetic_event(7, 10.0, 0.1);
    let post = posterior(&picks, region());
    let flag = eqnemix::cancel::Cancellation::new();
    flag.cancel();
    for s in eqnemix::locate::every_sampler() {
        let opts = LocateOptions { cancel: Some(flag.clone()), ..options(2) };
        match locate_event(&post, &s, &opts) {
            Err(e @ LocateError::Cancelled { .. }) => assert!(e.to_string().contains(&picks.event_id), "{e}"),
            other => panic!("{}: {:?}", s.kind(), other.map(|l| l.summary.mean_km)),
        }
    }
    let clear = LocateOptions { cancel: Some(eqnemix::cancel::Cancellation::new()), ..options(2) };
    let a = locate_event(&post, &nuts(), &clear).unwrap();
    let b = locate_event(&post, &nuts(), &options(2)).unwrap();
    assert_eq!(a.chains, b.chains);
}

/// Prior-dominated judged per coordinate (`eqnemix::locate::contraction`):
/// with no data the posterior is the prior, so each coordinate's
/// within-mode contraction is 0 up to Monte Carlo error (the variances'
/// relative sd is about sqrt(2/n): 0.02 for the 4000 prior draws, less
/// than 0.03 for the importance sampler's Kish ESS of 10 000 spread over
/// four clusters; 0.1 is more than 3 sd of the two together) and all three
/// are listed; with informative picks (S-P sd 0.05 s, back-azimuth 5°) the
/// epicentre contracts by more than half and the event is not flagged,
/// whatever the depth does.
#[test]
fn prior_dominated_coordinates_are_judged_one_by_one() {
    let r = region();
    let sampler = eqnemix::config::default_sampler();
    let prior = ClusterPrior::new(&clusters(), &[0.55, 0.2, 0.15, 0.1], &PriorOptions::default()).unwrap();
    let post = LocationPosterior::prior_only(prior, r).unwrap();
    let loc = locate_event(&post, &sampler, &options(1)).unwrap();
    let c = &loc.diagnostics.contraction;
    assert_eq!(c.len(), 3);
    assert!(c.iter().all(|v| v.abs() < 0.1), "contraction {c:?}");
    assert_eq!(loc.flags.prior_dominated_coordinates, ["east_km", "north_km", "depth_km"]);
    assert!(loc.flags.prior_dominated);
    assert!(loc.flags.reasons.iter().any(|r| r.contains("contraction east")), "{:?}", loc.flags.reasons);
    for seed in [9, 10, 11] {
        let (picks, _) = synthetic_event(seed, 5.0, 0.05);
        let loc = locate_event(&posterior(&picks, r), &sampler, &options(1)).unwrap();
        let c = &loc.diagnostics.contraction;
        assert!(c[0] > 0.5 && c[1] > 0.5, "seed {seed}: contraction {c:?}");
        assert!(!loc.flags.prior_dominated_coordinates.iter().any(|n| n != "depth_km"), "{:?}", loc.flags);
        assert!(!loc.flags.prior_dominated, "{:?}", loc.flags);
    }
}
