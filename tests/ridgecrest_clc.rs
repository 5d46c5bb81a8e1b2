//! The real Ridgecrest CI.CLC detections (issue 11, items 3 and 4 on real
//! data) through the default sampler and SMC, as
//! `examples/ridgecrest_clc.rs` locates them: the same shipped inputs and
//! configuration (`examples/data/config/locate_ridgecrest_clc.toml`), a
//! fixed subset of 15 detections (every 75th of 1125).
//!
//! Asserted, each a property the README's Ridgecrest table rests on:
//! - **Flags**: the default flags at most 1 of the 15 (the item's 5%, on 15
//!   events; measured over all 1125 the rate is 0.3%, so 2 or more flagged
//!   of 15 has probability below 0.001 unless the flag breaks).
//! - **Samplers agree**: the default and SMC (a different algorithm, started
//!   from each mode region) give every cluster probability within 0.05
//!   (both have Monte Carlo sd below 0.01 at their default sizes, so 0.05 is
//!   beyond 3.5 combined sd).
//! - **Mode-aware headline**: the headline location's posterior density is
//!   at least the mean's (the mean falls between the modes on these
//!   multimodal posteriors; a headline between modes would fail), and it
//!   lies on the S-P shell: its predicted S-P within 3 sigma of the
//!   observed, while the mean is off the shell on 5 of them (so the
//!   check can fail).

use eqnemix::clustering::read_clusters_gaussian;
use eqnemix::config::LocateConfig;
use eqnemix::geo::LocalProjection;
use eqnemix::locate::batch::Batch;
use eqnemix::locate::inputs::{read_cluster_probabilities, read_eqtransformer_picks};
use eqnemix::locate::{every_sampler, sampler_label};
use eqnemix::samplers::LogDensity;
use eqnemix::traveltime::Phase;
use std::path::Path;

#[test]
fn default_and_smc_agree_flags_are_rare_and_the_headline_is_on_a_mode() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let data = root.join("examples/data/ridgecrest_clc");
    let config_path = root.join("examples/data/config/locate_ridgecrest_clc.toml");
    let cfg = LocateConfig::from_file(&config_path).unwrap();
    assert_eq!(sampler_label(&cfg.sampler), "importance", "the configuration uses the default sampler");
    let clusters_file = read_clusters_gaussian(&data.join("clusters_gaussian.json")).unwrap();
    let clusters = clusters_file.gaussians();
    let projection = LocalProjection::new(clusters_file.origin.lon_deg, clusters_file.origin.lat_deg).unwrap();
    let all = read_eqtransformer_picks(&data.join("picks.csv"), &projection, &[], cfg.likelihood.default_pick_sigma_s).unwrap();
    assert_eq!(all.len(), 1125);
    let events: Vec<_> = all.into_iter().step_by(75).collect();
    assert_eq!(events.len(), 15);
    let probabilities = read_cluster_probabilities(&data.join("probabilities.csv")).unwrap();
    let region = cfg.region.region_box(&clusters).unwrap();
    let model = cfg.travel_time.build(config_path.parent().unwrap()).unwrap();
    let mut smc_cfg = cfg.clone();
    smc_cfg.sampler = every_sampler().into_iter().find(|s| sampler_label(s) == "smc").unwrap();
    let batch = |c| Batch {
        config: c,
        clusters: &clusters,
        probabilities: &probabilities,
        model: model.as_ref(),
        region,
        projection: Some(projection),
    };
    let (default_batch, smc_batch) = (batch(&cfg), batch(&smc_cfg));
    let mut flagged = Vec::new();
    let mut mean_off_shell = 0;
    for picks in &events {
        let d = default_batch.locate(picks).unwrap_or_else(|f| panic!("{}: {}", f.event_id, f.reason));
        let s = smc_batch.locate(picks).unwrap_or_else(|f| panic!("{}: {}", f.event_id, f.reason));
        if d.flags.untrustworthy {
            flagged.push(picks.event_id.clone());
        }
        let (pd, ps) = (&d.summary.cluster_probabilities, &s.summary.cluster_probabilities);
        assert_eq!(pd.len(), ps.len());
        for (k, (a, b)) in pd.iter().zip(ps).enumerate() {
            assert!((a - b).abs() <= 0.05, "{}: cluster {k}: default {a:.3}, SMC {b:.3} ({pd:?} vs {ps:?})", picks.event_id);
        }
        let post = default_batch.posterior(picks).unwrap();
        let at = |x: [f64; 3]| post.log_density(&x);
        let (headline, mean) = (d.summary.location_km, d.summary.mean_km);
        assert!(
            at(headline) >= at(mean),
            "{}: headline {headline:?} (log density {}) below the mean {mean:?} ({})",
            picks.event_id,
            at(headline),
            at(mean)
        );
        let st = &picks.stations[0];
        let (p, s_pick) = (st.p.as_ref().unwrap(), st.s.as_ref().unwrap());
        let observed = s_pick.time_s - p.time_s;
        let s_minus_p = |x: [f64; 3]| {
            model.field(&st.station, Phase::S).unwrap().time(x).unwrap() - model.field(&st.station, Phase::P).unwrap().time(x).unwrap()
        };
        let predicted = s_minus_p(headline);
        let sigma = (p.sigma_s.powi(2) + s_pick.sigma_s.powi(2) + 2.0 * cfg.likelihood.model_error_s.powi(2)).sqrt();
        assert!(
            (predicted - observed).abs() <= 3.0 * sigma,
            "{}: S-P {observed:.2} s observed, {predicted:.2} s at the headline (sigma {sigma:.2} s)",
            picks.event_id
        );
        mean_off_shell += usize::from((s_minus_p(mean) - observed).abs() > 3.0 * sigma);
    }
    // The check above has teeth: on these posteriors the mean is off the
    // shell (between the modes) on 5 of these 15 events.
    assert!(mean_off_shell >= 3, "the mean is off the S-P shell on only {mean_off_shell} of 15 events");
    assert!(flagged.len() <= 1, "the default flags {} of 15: {flagged:?}", flagged.len());
}
