//! End to end on the density seam: NUTS (samplers crate) on the location
//! posterior through the box transform, against the dense-grid reference.
//! Tolerances come from the sampler's own Monte Carlo standard errors.

use chrono::{TimeZone, Utc};
use eqnemix::grid_posterior::GridPosterior;
use eqnemix::likelihood::LikelihoodOptions;
use eqnemix::picks::{PhasePick, Picks, StationPicks};
use eqnemix::posterior::LocationPosterior;
use eqnemix::prior::{ClusterPrior, PriorOptions, RegionBox};
use eqnemix::samplers::diagnostics::Summary;
use eqnemix::samplers::nuts::NutsConfig;
use eqnemix::samplers::run_chains;
use eqnemix::samplers::transform::{Bounds, BoxTransform};
use eqnemix::summary::{LocationSummary, SummaryOptions};
use eqnemix::traveltime::{Homogeneous, Station};
use eqnemix::ClusterGaussian;

#[test]
fn nuts_on_the_posterior_matches_the_grid() {
    // One station, S-P of an event at 12 km; one cluster cut by the S-P shell.
    let truth: [f64; 3] = [8.0, 6.0, 7.0];
    let r = truth.iter().map(|v| v * v).sum::<f64>().sqrt();
    let (vp, vs) = (6.0, 3.5);
    let cs = [ClusterGaussian {
        id: 0,
        n_events: 40,
        mean_km: [7.0, 5.0, 8.0],
        cov_km2: [[3.0, 0.5, 0.2], [0.5, 2.5, -0.3], [0.2, -0.3, 2.0]],
    }];
    let prior = ClusterPrior::new(&cs, &[1.0], &PriorOptions::default()).unwrap();
    let picks = Picks {
        event_id: "e2e".into(),
        reference_time: Utc.with_ymd_and_hms(2020, 5, 6, 7, 8, 9).unwrap(),
        stations: vec![StationPicks {
            station: Station {
                code: "ST".into(),
                position_km: [0.0, 0.0, 0.0],
            },
            p: Some(PhasePick {
                time_s: 0.0,
                sigma_s: 0.07,
            }),
            s: Some(PhasePick {
                time_s: r / vs - r / vp,
                sigma_s: 0.07,
            }),
            back_azimuth: None,
        }],
    };
    let region = RegionBox::new([-4.0, -6.0, 0.0], [18.0, 16.0, 16.0]);
    let model = Homogeneous::new(vp, vs).unwrap();
    let post =
        LocationPosterior::from_picks(prior, &picks, &model, &LikelihoodOptions::default(), region)
            .unwrap();
    let grid = GridPosterior::evaluate(&post, [110, 110, 80]).unwrap();

    let (lo, hi) = post.bounds();
    let bounds = lo
        .iter()
        .zip(&hi)
        .map(|(a, b)| Bounds::interval(*a, *b))
        .collect();
    let target = BoxTransform::new(&post, bounds).unwrap();
    let inits: Vec<Vec<f64>> = [
        [7.0, 5.0, 8.0],
        [9.0, 7.0, 6.0],
        [6.0, 6.0, 9.0],
        [8.0, 4.0, 7.0],
    ]
    .iter()
    .map(|x| target.to_unconstrained(x).unwrap())
    .collect();
    let nuts = NutsConfig {
        n_warmup: 500,
        n_draws: 1000,
        ..Default::default()
    };
    let chains: Vec<_> = run_chains(&nuts, &target, &inits, 2024)
        .unwrap()
        .iter()
        .map(|d| target.constrain_draws(d))
        .collect();
    let diag = Summary::from_chains(&chains, &["east", "north", "depth"]).unwrap();
    assert_eq!(diag.n_divergent, 0, "{diag}");
    let s = LocationSummary::from_draws(&post, &chains, &SummaryOptions::default(), None).unwrap();
    for a in 0..3 {
        let row = &diag.rows[a];
        assert!(row.r_hat < 1.02, "{diag}");
        let tol = 4.0 * row.mcse_mean;
        assert!(
            (s.mean_km[a] - grid.mean_km[a]).abs() < tol,
            "axis {a}: NUTS {} vs grid {} (4 MCSE = {tol})",
            s.mean_km[a],
            grid.mean_km[a]
        );
        let sd_grid = grid.cov_km2[a][a].sqrt();
        assert!(
            (row.sd - sd_grid).abs() < 4.0 * row.mcse_sd,
            "sd {a}: NUTS {} vs grid {sd_grid}",
            row.sd
        );
    }
}
