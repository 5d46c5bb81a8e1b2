//! `eqnemix run`: the whole pipeline, continuous miniSEED in, located
//! catalog, maps and a run report out.
//!
//! Stages (each a function in [`stages`], each leaving its files in the
//! output folder so it can be inspected and rerun by hand):
//!
//! | stage | reads | writes |
//! |---|---|---|
//! | data | `[run] mseed_dir`, `[run] stations` (or synthetic data) | `sample/` when generated |
//! | clusters | `[run] catalog`, `[run] n_clusters` (or `[pipeline] clusters`) | `clusters_gaussian.json` |
//! | pick | miniSEED (EQTransformer) or `[pipeline] picks` | `X_prediction_results.csv` or `picks.csv` |
//! | classify | the picks, the clusters | `probabilities.csv` |
//! | locate | all of the above, `[travel_time]`, `[sampler]`, ... | `events/<id>.{csv,json,hyp,xml}`, `events/<id>_draws.csv`, `events/<id>_map.png` |
//! | catalog | the located events | `catalog.csv`, `catalog.xml`, `overview_map.png` |
//! | report | everything | `run_report.md`, `run_report.json` |
//!
//! Events are located in parallel (rayon, through [`crate::locate::Batch`]).
//! Without a ConvNetQuake model the prior's weights are the clusters'
//! catalog proportions, and the report says so.

pub mod config;
pub mod overview_map;
pub mod report;
pub mod stages;

pub use config::{PipelineSection, RunPipelineConfig, Start};
pub use report::RunReport;

use crate::config::OutputFormat;
use crate::geo::LocalProjection;
use crate::locate::batch::{catalog_csv, file_stem, write_event_files, Batch};
use crate::locate::EventLocation;
use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use report::{Coverage, EventReport, StageTiming, TruthComparison};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// The example configuration run by `eqnemix run` without arguments.
pub const SAMPLE_CONFIG: &str = include_str!("../../examples/data/config/run_sample.toml");

/// Folder of the sample configuration in the source tree (its relative
/// paths resolve against it).
pub fn sample_config_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/data/config")
}

/// Write `bytes` to `path` atomically.
pub(crate) fn write_bytes(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write as _;
    crate::io::write_atomic(path, |w| w.write_all(bytes)).with_context(|| format!("writing {}", path.display()))
}

fn spinner(quiet: bool, msg: &str) -> ProgressBar {
    let b = if quiet { ProgressBar::hidden() } else { ProgressBar::new_spinner() };
    b.set_style(ProgressStyle::with_template("{spinner} {msg} {elapsed}").expect("static template"));
    b.set_message(msg.to_string());
    b.enable_steady_tick(std::time::Duration::from_millis(200));
    b
}

/// A true event of a synthetic catalog.
struct TrueEvent {
    id: String,
    km: [f64; 3],
    p_time: chrono::DateTime<chrono::Utc>,
}

fn read_truth(path: &Path, projection: &LocalProjection) -> Result<Vec<TrueEvent>> {
    let mut r = csv::ReaderBuilder::new().comment(Some(b'#')).from_path(path).with_context(|| format!("reading {}", path.display()))?;
    let h = r.headers()?.clone();
    let col = |n: &str| h.iter().position(|c| c == n).with_context(|| format!("{}: no column `{n}`", path.display()));
    let (ii, ilat, ilon, idep, ip) = (col("event_id")?, col("latitude")?, col("longitude")?, col("depth")?, col("p_time")?);
    let mut out = Vec::new();
    for (i, rec) in r.records().enumerate() {
        let rec = rec.with_context(|| format!("{}: row {}", path.display(), i + 1))?;
        let num = |c: usize, n: &str| -> Result<f64> {
            rec.get(c).unwrap_or("").trim().parse::<f64>().with_context(|| format!("{}: row {}: field `{n}`", path.display(), i + 1))
        };
        let p = rec.get(ip).unwrap_or("");
        let p_time = crate::catalog::parse_utc_time(p).with_context(|| format!("{}: row {}: field `p_time`", path.display(), i + 1))?;
        out.push(TrueEvent {
            id: rec.get(ii).unwrap_or("").to_string(),
            km: projection.to_local_xyz_km(num(ilon, "longitude")?, num(ilat, "latitude")?, num(idep, "depth")?),
            p_time,
        });
    }
    Ok(out)
}

/// Posterior mass of the Mahalanobis-ordered region whose boundary passes
/// through `x`: the (weighted) fraction of draws closer to the posterior
/// mean than `x` in the metric of the posterior covariance. Regions of this
/// family are nested and do not depend on the truth, so a calibrated
/// posterior puts the truth inside the level-`q` region with probability `q`.
pub fn credible_level_of(loc: &EventLocation, x: [f64; 3]) -> Option<f64> {
    let m = loc.summary.mean_km;
    let inv = invert3(&loc.summary.cov_km2)?;
    let d2 = |p: &[f64]| {
        let d = [p[0] - m[0], p[1] - m[1], p[2] - m[2]];
        (0..3).map(|i| (0..3).map(|j| d[i] * inv[i][j] * d[j]).sum::<f64>()).sum::<f64>()
    };
    let t = d2(&x);
    let (mut below, mut total) = (0.0, 0.0);
    for c in &loc.chains {
        for i in 0..c.n_draws() {
            let w = c.weights.as_ref().map_or(1.0, |w| w[i]);
            total += w;
            if d2(c.draw(i)) < t {
                below += w;
            }
        }
    }
    (total > 0.0).then(|| below / total)
}

fn invert3(a: &[[f64; 3]; 3]) -> Option<[[f64; 3]; 3]> {
    let det = a[0][0] * (a[1][1] * a[2][2] - a[1][2] * a[2][1]) - a[0][1] * (a[1][0] * a[2][2] - a[1][2] * a[2][0])
        + a[0][2] * (a[1][0] * a[2][1] - a[1][1] * a[2][0]);
    if !(det.is_finite() && det.abs() > 1e-300) {
        return None;
    }
    let mut inv = [[0.0; 3]; 3];
    for i in 0..3 {
        for j in 0..3 {
            let (i1, i2) = ((j + 1) % 3, (j + 2) % 3);
            let (j1, j2) = ((i + 1) % 3, (i + 2) % 3);
            inv[i][j] = (a[i1][j1] * a[i2][j2] - a[i1][j2] * a[i2][j1]) / det;
        }
    }
    Some(inv)
}

/// Run the whole pipeline with `cfg` into `out`; returns the report (also
/// written as `run_report.{md,json}` into `out`).
pub fn run_pipeline(cfg: &RunPipelineConfig, out: &Path, quiet: bool) -> Result<RunReport> {
    let t_all = Instant::now();
    let started = chrono::Utc::now();
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let mut stages_t = Vec::new();
    let mut notes = Vec::new();
    let lc = &cfg.locate;

    // data
    let t = Instant::now();
    let sp = spinner(quiet, "data: finding the input data");
    let data = stages::stage_data(cfg, out)?;
    sp.finish_and_clear();
    if let Some(d) = &data.generated_into {
        notes.push(format!(
            "the configured input data were missing: synthetic data (seed {}, {} events, {} h) were written into {} and used",
            cfg.pipeline.synthetic.seed,
            cfg.pipeline.synthetic.n_events,
            cfg.pipeline.synthetic.duration_hours,
            d.display()
        ));
    }
    stages_t.push(StageTiming {
        stage: "data".into(),
        seconds: t.elapsed().as_secs_f64(),
        note: match &data.generated_into {
            Some(d) => format!("generated {}", d.display()),
            None => format!("{} miniSEED files, stations {}", data.mseed.len(), data.stations.display()),
        },
    });

    // clusters
    let t = Instant::now();
    let sp = spinner(quiet, "clusters: K-means on the catalog");
    let cl = stages::stage_clusters(cfg, &data, out)?;
    sp.finish_and_clear();
    stages_t.push(StageTiming { stage: "clusters".into(), seconds: t.elapsed().as_secs_f64(), note: format!("{} clusters, {}", cl.clusters.len(), cl.file.display()) });

    // pick
    let t = Instant::now();
    let sp = spinner(quiet, "pick: detections and P/S picks");
    let picks = stages::stage_pick(cfg, &data, &cl.projection, out)?;
    sp.finish_and_clear();
    stages_t.push(StageTiming { stage: "pick".into(), seconds: t.elapsed().as_secs_f64(), note: format!("{} events with P and S, {}", picks.events.len(), picks.file.display()) });

    // classify
    let t = Instant::now();
    let probs = stages::stage_probabilities(cfg, &cl.clusters, &picks.events, out)?;
    if probs.fallback {
        notes.push(format!("prior weights: {}", probs.source));
    }
    stages_t.push(StageTiming { stage: "classify".into(), seconds: t.elapsed().as_secs_f64(), note: format!("{}", out.join("probabilities.csv").display()) });

    // locate
    let t = Instant::now();
    let region = lc.region.region_box(&cl.clusters).context("configuration")?;
    let model = lc.travel_time.build(&cfg.base_dir).context("configuration: travel_time")?;
    let events_dir = out.join("events");
    std::fs::create_dir_all(&events_dir).with_context(|| format!("creating {}", events_dir.display()))?;
    let batch = Batch {
        config: lc,
        clusters: &cl.clusters,
        probabilities: &probs.probabilities,
        model: model.as_ref(),
        region,
        projection: Some(cl.projection),
    };
    let bar = if quiet { ProgressBar::hidden() } else { ProgressBar::new(picks.events.len() as u64) };
    bar.set_style(
        ProgressStyle::with_template("{spinner} locate [{bar:30}] {pos}/{len} events {elapsed} (eta {eta})")
            .expect("static template")
            .progress_chars("=> "),
    );
    let results = batch.locate_all(&picks.events, &|r| {
        if let Err(f) = r {
            bar.println(format!("event {} failed: {}", f.event_id, f.reason));
        }
        bar.inc(1);
    });
    bar.finish_and_clear();
    let mut located = Vec::new();
    let mut failures = Vec::new();
    for r in results {
        match r {
            Ok(loc) => match write_event_files(&events_dir, &loc, &lc.output.formats, lc.output.draws) {
                Ok(_) => located.push(loc),
                Err(e) => failures.push((loc.event_id.clone(), format!("writing results: {e}"))),
            },
            Err(f) => failures.push((f.event_id, f.reason)),
        }
    }
    stages_t.push(StageTiming {
        stage: "locate".into(),
        seconds: t.elapsed().as_secs_f64(),
        note: format!("{} located, {} failed, {}", located.len(), failures.len(), events_dir.display()),
    });

    // truth
    let truth = match &data.truth {
        Some(p) => Some(read_truth(p, &cl.projection)?),
        None => None,
    };
    let match_truth = |loc: &EventLocation, ev: &crate::picks::Picks| -> Option<TruthComparison> {
        let tr = truth.as_ref()?;
        let p = stages::first_p_utc(ev);
        let te = tr.iter().find(|t| t.id == loc.event_id).or_else(|| {
            tr.iter()
                .filter(|t| (t.p_time - p).num_milliseconds().abs() <= 1500)
                .min_by_key(|t| (t.p_time - p).num_milliseconds().abs())
        })?;
        let m = loc.summary.mean_km;
        let err = ((m[0] - te.km[0]).powi(2) + (m[1] - te.km[1]).powi(2) + (m[2] - te.km[2]).powi(2)).sqrt();
        let level = credible_level_of(loc, te.km)?;
        Some(TruthComparison { true_event_id: te.id.clone(), true_km: te.km, error_km: err, credible_level_of_truth: level, inside_95: level <= 0.95 })
    };

    // maps
    let t = Instant::now();
    let stations: Vec<(String, [f64; 3])> = picks.stations.iter().map(|s| (s.code.clone(), s.position_km)).collect();
    let mut event_reports = Vec::new();
    let mut overview = Vec::new();
    let mut n_maps = 0;
    let maps_bar = if quiet || !lc.output.maps { ProgressBar::hidden() } else { ProgressBar::new(located.len() as u64) };
    maps_bar.set_style(ProgressStyle::with_template("{spinner} maps [{bar:30}] {pos}/{len} {elapsed}").expect("static template").progress_chars("=> "));
    for loc in &located {
        let ev = picks.events.iter().find(|e| e.event_id == loc.event_id).expect("located events come from the picks");
        let tc = match_truth(loc, ev);
        if lc.output.maps {
            let fig = crate::plot::posterior_map::PosteriorFigure {
                event_id: loc.event_id.clone(),
                stations: stations.clone(),
                clusters: &cl.clusters,
                summary: &loc.summary,
                chains: &loc.chains,
                grid: None,
                sp_shell: None,
                truth_km: tc.as_ref().map(|t| t.true_km),
                subtitle: format!("{} x {} chains", lc.sampler.kind(), lc.n_chains),
            };
            let p = events_dir.join(format!("{}_map.png", file_stem(&loc.event_id)));
            match crate::plot::posterior_map::draw_posterior_map(&p, &fig) {
                Ok(()) => n_maps += 1,
                Err(e) => notes.push(format!("map of {}: {e}", loc.event_id)),
            }
            maps_bar.inc(1);
        }
        let s = &loc.summary;
        let d = &loc.diagnostics;
        overview.push(overview_map::OverviewEvent {
            mean_en_km: [s.mean_km[0], s.mean_km[1]],
            cov_en_km2: [[s.cov_km2[0][0], s.cov_km2[0][1]], [s.cov_km2[1][0], s.cov_km2[1][1]]],
            truth_en_km: tc.as_ref().map(|t| [t.true_km[0], t.true_km[1]]),
            flagged: loc.flags.untrustworthy || loc.flags.prior_dominated,
        });
        event_reports.push(EventReport {
            event_id: loc.event_id.clone(),
            mean_km: s.mean_km,
            std_km: s.std_km,
            lon_lat_deg: s.geographic.as_ref().map(|g| [g.mean_lon_deg, g.mean_lat_deg]),
            max_rhat: d.max_rhat,
            min_ess_bulk: d.min_ess_bulk,
            min_ess_tail: d.min_ess_tail,
            n_divergent: d.n_divergent,
            information_gain_nats: d.information_gain_nats,
            elapsed_s: d.elapsed_s,
            untrustworthy: loc.flags.untrustworthy,
            prior_dominated: loc.flags.prior_dominated,
            reasons: loc.flags.reasons.clone(),
            truth: tc,
        });
    }
    maps_bar.finish_and_clear();
    stages_t.push(StageTiming { stage: "maps".into(), seconds: t.elapsed().as_secs_f64(), note: format!("{n_maps} event maps in {}", events_dir.display()) });

    // catalog
    let t = Instant::now();
    let refs: Vec<_> = located.iter().collect();
    let text = catalog_csv(&refs).context("catalog table")?;
    write_bytes(&out.join("catalog.csv"), text.as_bytes())?;
    if lc.output.formats.contains(&OutputFormat::Quakeml) {
        let summaries: Vec<_> = located.iter().map(|l| l.summary.clone()).collect();
        crate::output::quakeml::write_quakeml(&out.join("catalog.xml"), &summaries, &crate::output::quakeml::QuakeMlOptions::default())?;
    }
    let ov = out.join("overview_map.png");
    if let Err(e) = overview_map::draw_overview_map(&ov, &format!("eqnemix: {} located events", located.len()), &overview, &cl.clusters, &stations) {
        notes.push(format!("overview map: {e:#}"));
    }
    stages_t.push(StageTiming { stage: "catalog".into(), seconds: t.elapsed().as_secs_f64(), note: format!("catalog.csv, catalog.xml, {}", ov.display()) });

    let with_truth: Vec<_> = event_reports.iter().filter_map(|e| e.truth.as_ref()).collect();
    let coverage = (!with_truth.is_empty()).then(|| {
        let n = with_truth.len();
        let inside = with_truth.iter().filter(|t| t.inside_95).count();
        Coverage { n, inside, rate: inside as f64 / n as f64, p_value_low: report::binomial_cdf(inside, n, 0.95) }
    });
    let report = RunReport {
        version: env!("CARGO_PKG_VERSION").to_string(),
        config: cfg.source.clone(),
        output_dir: out.display().to_string(),
        started_utc: started.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        total_seconds: t_all.elapsed().as_secs_f64(),
        stages: stages_t,
        picks_source: picks.source.clone(),
        weights_source: probs.source.clone(),
        weights_fallback: probs.fallback,
        sampler: format!("{} x {} chains (seed {})", lc.sampler.kind(), lc.n_chains, lc.seed),
        n_detections: picks.events.len(),
        n_located: located.len(),
        n_untrustworthy: located.iter().filter(|l| l.flags.untrustworthy).count(),
        n_prior_dominated: located.iter().filter(|l| l.flags.prior_dominated).count(),
        failures,
        events: event_reports,
        coverage,
        n_true_events: truth.as_ref().map(|t| t.len()),
        notes,
    };
    write_bytes(&out.join("run_report.json"), serde_json::to_string_pretty(&report)?.as_bytes())?;
    write_bytes(&out.join("run_report.md"), report.to_markdown().as_bytes())?;
    Ok(report)
}
