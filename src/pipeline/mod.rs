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
//! | inputs | `[pipeline] picks`, the ConvNetQuake model and the miniSEED | nothing: every input is read and checked first |
//! | pick | miniSEED (EQTransformer) or `[pipeline] picks` | `X_prediction_results.csv` or `picks.csv` |
//! | classify | the miniSEED window holding each P pick, `[run] convnetquake_model` | `probabilities.csv` (ConvNetQuake's `start_time,end_time,clusters_prob,noise_prob`) |
//! | locate | all of the above, `[travel_time]`, `[sampler]`, ... | `events/<id>.{csv,json,hyp,xml}`, `events/<id>_draws.csv`, `events/<id>.done` ([`resume`]) |
//! | maps | the located events | `events/<id>_map.png`, `events/<id>_sections.png` |
//! | catalog | the located events | `catalog.csv`, `catalog.xml`, `overview_map.png` |
//! | report | everything (and, for synthetic data, the true catalog) | `run_report.md`, `run_report.json` |
//!
//! Events whose S-P no source in the region can produce are not located
//! ([`sp_check`]). With a true catalog the report compares every
//! detection's picks with the true arrivals ([`pick_accuracy`]) and counts
//! the true epicentres inside their 95% highest-density regions ([`hpd`],
//! the outlines of the overview map).
//!
//! Nothing is written into the output folder before the configuration,
//! the picks file, the records and the ConvNetQuake model (its K + 1
//! classes) are checked, and every file is written to a temporary name and
//! renamed. Events are located and drawn in parallel (rayon, through
//! [`crate::locate::Batch`] and [`event_maps`]). Without a ConvNetQuake
//! model the prior's weights are the clusters' catalog proportions, and
//! the report says so.

pub mod classify;
pub mod config;
pub mod event_maps;
pub mod hpd;
pub mod locate_events;
pub mod overview_map;
pub mod pick_accuracy;
pub mod report;
pub mod resume;
pub mod sample;
pub mod sp_check;
pub mod stages;
pub mod truth;

pub use config::{PipelineSection, RunPipelineConfig, Start};
pub use report::RunReport;

use crate::locate::batch::Batch;
use crate::locate::EventLocation;
use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use report::{Coverage, EventReport, StageTiming, TruthComparison};
use std::path::Path;
use std::time::Instant;

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

/// Run `f` as stage `name` behind a spinner; record its wall time and the
/// note it returns.
fn timed<T>(stages: &mut Vec<StageTiming>, name: &str, quiet: bool, f: impl FnOnce() -> Result<(T, String)>) -> Result<T> {
    let t = Instant::now();
    let sp = spinner(quiet, name);
    let r = f();
    sp.finish_and_clear();
    let (value, note) = r?;
    stages.push(StageTiming { stage: name.into(), seconds: t.elapsed().as_secs_f64(), note });
    Ok(value)
}

/// Run the whole pipeline with `cfg` into `out`; returns the report (also
/// written as `run_report.{md,json}` into `out`).
pub fn run_pipeline(cfg: &RunPipelineConfig, out: &Path, quiet: bool) -> Result<RunReport> {
    let cancel = crate::cancel::Cancellation::new();
    run_pipeline_with(cfg, out, &RunOptions { quiet, cancel: &cancel, resume: false, on_event: None })
}

/// How [`run_pipeline_with`] runs.
pub struct RunOptions<'a> {
    /// No progress output.
    pub quiet: bool,
    /// Stops the run: between stages before locating (nothing is
    /// located), and while locating (no event starts, the events in
    /// progress stop inside their sampler and write nothing; the finished events' catalog is written
    /// as `catalog_partial.csv`, an earlier `catalog.csv` in the output
    /// folder removed, and no maps, overview or report are made; also when
    /// every event was already started). Either way the run returns
    /// [`crate::cancel::Interrupted`].
    pub cancel: &'a crate::cancel::Cancellation,
    /// Keep the events an earlier run into the same folder finished with
    /// the same configuration and inputs ([`resume`]); needs `[output]
    /// draws` (the report and maps are made from each event's draws, read
    /// back from `events/<id>_draws.csv`).
    pub resume: bool,
    /// Called once per event ([`locate_events::WriteOptions::on_event`]).
    pub on_event: Option<&'a (dyn Fn(&locate_events::EventOutcome) + Sync)>,
}

/// The [`crate::cancel::Interrupted`] of a pipeline cancelled with
/// `written` of `total` events written.
fn interrupted(written: usize, total: usize, catalog: Option<&Path>) -> anyhow::Error {
    let hint = match catalog {
        Some(p) => format!("rerun with --resume to continue (catalog of the finished events: {})", p.display()),
        None => "rerun with --resume to continue".to_string(),
    };
    crate::cancel::Interrupted { written, total, hint }.into()
}

/// [`run_pipeline`] with cancellation and resumption ([`RunOptions`]).
pub fn run_pipeline_with(cfg: &RunPipelineConfig, out: &Path, opts: &RunOptions<'_>) -> Result<RunReport> {
    let (quiet, cancel) = (opts.quiet, opts.cancel);
    let t_all = Instant::now();
    let started = chrono::Utc::now();
    let mut st = Vec::new();
    let mut notes = Vec::new();
    let lc = &cfg.locate;
    let pc = cfg.pipeline();
    if opts.resume && !lc.output.draws {
        anyhow::bail!("--resume needs `[output] draws = true`: the report and maps of a kept event are made from its draws file");
    }

    let data = timed(&mut st, "data", quiet, || {
        let d = stages::stage_data(cfg, out)?;
        let note = match &d.generated_into {
            Some(g) => format!("generated {}", g.display()),
            None => format!("{} miniSEED files, stations {}", d.mseed.len(), d.stations.display()),
        };
        Ok((d, note))
    })?;
    if let Some(d) = &data.generated_into {
        notes.push(format!(
            "the configured input data were missing: synthetic data (seed {}, {} events, {} h) were written into {} and used",
            pc.synthetic.seed,
            pc.synthetic.n_events,
            pc.synthetic.duration_hours,
            d.display()
        ));
    }
    let cl = timed(&mut st, "clusters", quiet, || {
        let c = stages::stage_clusters(cfg, &data, out)?;
        let note = format!("{} clusters (K-means), {}", c.clusters.len(), c.file.display());
        Ok((c, note))
    })?;

    // Read and check every input before writing anything.
    let (stations, picks_input, records, plan) = timed(&mut st, "inputs", quiet, || {
        let stations = crate::locate::inputs::read_stations(&data.stations, &cl.projection)
            .with_context(|| format!("station table {}", data.stations.display()))?;
        let picks_input = match pc.start {
            Start::Picks => Some(stages::read_picks_input(cfg, &data, &stations, &cl.projection)?),
            Start::Waveforms => None,
        };
        // The records are read once, here (so a missing component is an
        // error before anything is written), for EQTransformer and ConvNetQuake.
        let records = match pc.start {
            Start::Waveforms => Some(stages::read_records(cfg, &data)?),
            Start::Picks => None,
        };
        let plan = stages::plan_weights(cfg, &data, records.as_ref(), cl.clusters.len())?;
        let note = match &plan {
            stages::WeightsPlan::Model(m, rec) => format!("ConvNetQuake {} ({} classes), {} s of records", m.path().display(), m.n_classes(), rec.data.len() / 100),
            stages::WeightsPlan::CatalogProportions(why) => format!("no classifier: {why}"),
        };
        Ok(((stations, picks_input, records, plan), note))
    })?;

    // The region and travel times, checked before anything is written; the
    // picks are checked against the S-P times they allow.
    let region = lc.region.region_box(&cl.clusters).context("configuration")?;
    let model = lc.travel_time.build(&cfg.base_dir).context("configuration: travel_time")?;
    crate::locate::domain_check::check_travel_time_domains(model.as_ref(), &stations, &region)
        .context("configuration: travel_time and region")?;
    let mut sp_ranges = sp_check::SpRanges::new(model.as_ref(), &region);
    // The span of the records (UTC): true events outside it cannot be detected.
    let span = records.as_ref().map(|r| (r.start, crate::picks::utc_after(r.start, r.len() as f64 / r.sampling_rate)));
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    for d in [out.to_path_buf(), out.join("events")] {
        crate::io::remove_stale_temp_files(&d).with_context(|| format!("removing stale temporary files in {}", d.display()))?;
    }
    if cancel.is_cancelled() {
        return Err(interrupted(0, 0, None));
    }
    cl.write()?;
    let picks = timed(&mut st, "pick", quiet, || {
        let p = stages::stage_pick(cfg, &data, picks_input, records, &stations, &cl.projection, &mut sp_ranges, out)?;
        let note = format!("{} events with P and S, {}", p.events.len(), p.file.display());
        Ok((p, note))
    })?;
    if cancel.is_cancelled() {
        return Err(interrupted(0, picks.events.len(), None));
    }
    let probs = timed(&mut st, "classify", quiet, || {
        let p = stages::stage_probabilities(cfg, plan, &cl.clusters, &picks.events, out)?;
        Ok((p, format!("{}", out.join("probabilities.csv").display())))
    })?;
    if !picks.joined.is_empty() {
        let pairs: Vec<String> = picks.joined.iter().map(|(a, b)| format!("{a} + {b}")).collect();
        notes.push(format!("split detections joined (P-only then S-only, S-P within the region's range): {}", pairs.join(", ")));
    }
    if probs.fallback {
        notes.push(format!("prior weights: {}", probs.source));
    }
    if !probs.outside.is_empty() {
        notes.push(format!("the ConvNetQuake window of {} is not inside the records: {}", probs.outside.len(), probs.outside.join(", ")));
    }

    if cancel.is_cancelled() {
        return Err(interrupted(0, picks.events.len(), None));
    }
    // locate
    let t = Instant::now();
    let events_dir = out.join("events");
    std::fs::create_dir_all(&events_dir).with_context(|| format!("creating {}", events_dir.display()))?;
    let (to_locate, impossible) = sp_check::split_by_s_minus_p(&picks.events, &mut sp_ranges);
    crate::locate::batch::check_file_stems(to_locate.iter().map(|e| e.event_id.as_str())).map_err(|e| anyhow::anyhow!("picks: {e}"))?;
    let batch = Batch {
        config: lc,
        clusters: &cl.clusters,
        probabilities: &probs.probabilities,
        model: model.as_ref(),
        region,
        projection: Some(cl.projection),
    };
    let write_opts = locate_events::WriteOptions {
        quiet,
        cancel,
        resume: opts.resume,
        extra_files: None,
        fingerprint_extra: String::new(),
        on_event: opts.on_event,
    };
    let mut done = locate_events::locate_and_write_with(&batch, &to_locate, &events_dir, &write_opts);
    // Kept events come back with their draws; one whose draws file cannot
    // be read is located again.
    let mut kept = Vec::new();
    let mut again = Vec::new();
    for r in std::mem::take(&mut done.resumed) {
        match resume::location_from_record(&events_dir, &r) {
            Some(loc) => kept.push(loc),
            None => again.push(to_locate.iter().find(|p| p.event_id == r.event_id).expect("records come from the picks").clone()),
        }
    }
    let n_kept = kept.len();
    if !again.is_empty() {
        done.catalog.retain(|e| !again.iter().any(|p| e.row.first() == Some(&p.event_id)));
        let more = locate_events::locate_and_write_with(&batch, &again, &events_dir, &locate_events::WriteOptions { resume: false, ..write_opts });
        done.located.extend(more.located);
        done.catalog.extend(more.catalog);
        done.failures.extend(more.failures);
        done.not_started += more.not_started;
    }
    let position = |id: &str| to_locate.iter().position(|p| p.event_id == id);
    done.catalog.sort_by_key(|e| e.row.first().and_then(|id| position(id)));
    done.failures.sort_by_key(|(id, _)| position(id));
    // Cancelled after the last event started: the maps and report are not
    // made either (a rerun with --resume keeps every event and makes them).
    if done.interrupted() || cancel.is_cancelled() {
        let written = locate_events::write_catalog_named(out, "catalog_partial", &done.catalog, &lc.output.formats)?;
        locate_events::remove_catalog_named(out, "catalog")?;
        for (id, why) in &done.failures {
            eprintln!("  failed {id}: {why}");
        }
        return Err(interrupted(done.catalog.len(), to_locate.len(), Some(&written[0])));
    }
    locate_events::remove_catalog_named(out, "catalog_partial")?;
    let locate_events::Located { mut located, failures, .. } = done;
    located.extend(kept);
    located.sort_by_key(|l| position(&l.event_id));
    if n_kept > 0 {
        notes.push(format!("{n_kept} events kept from an earlier run (--resume), {} located by this one", located.len() - n_kept));
    }
    st.push(StageTiming {
        stage: "locate".into(),
        seconds: t.elapsed().as_secs_f64(),
        note: format!(
            "{} located{}, {} failed, {} not located (S-P no source in the region gives), {}",
            located.len(),
            if n_kept > 0 { format!(" ({n_kept} kept from an earlier run)") } else { String::new() },
            failures.len(),
            impossible.len(),
            events_dir.display()
        ),
    });

    // Truth, per located event.
    let truth = match &data.truth {
        Some(p) => {
            let mut t = truth::read_truth(p, &cl.projection)?;
            if let Some((t0, t1)) = span {
                t.retain(|e| t0 <= e.p_time && e.p_time < t1);
            }
            Some(t)
        }
        None => None,
    };
    let pick_acc = truth.as_ref().map(|t| pick_accuracy::compare(&picks.detections, t));
    let event_of = |loc: &EventLocation| picks.events.iter().position(|e| e.event_id == loc.event_id).expect("located events come from the picks");
    // One epicentral density per event: the overview map draws its 95%
    // region and the coverage asks whether the truth is inside it.
    let densities: Vec<Option<hpd::EpicentralDensity>> = located.iter().map(|loc| hpd::EpicentralDensity::from_draws(&loc.chains)).collect();
    let comparisons: Vec<Option<TruthComparison>> = located
        .iter()
        .zip(&densities)
        .map(|(loc, density)| {
            let tr = truth.as_ref()?;
            // The true event of the same id (true picks), else the one the detection belongs to.
            let te = tr.iter().find(|t| t.id == loc.event_id).or_else(|| {
                let row = pick_acc.as_ref()?.events.iter().position(|e| e.detections.contains(&loc.event_id))?;
                tr.get(row)
            })?;
            let m = loc.summary.location_km;
            let err = ((m[0] - te.km[0]).powi(2) + (m[1] - te.km[1]).powi(2) + (m[2] - te.km[2]).powi(2)).sqrt();
            let density = density.as_ref()?;
            let en = [te.km[0], te.km[1]];
            Some(TruthComparison {
                true_event_id: te.id.clone(),
                true_km: te.km,
                error_km: err,
                credible_level_of_truth: density.level_of(en),
                inside_95: density.contains(en, 0.95),
            })
        })
        .collect();

    if lc.output.maps.unwrap_or(true) {
        timed(&mut st, "maps", quiet, || {
            let items: Vec<_> = located
                .iter()
                .zip(&comparisons)
                .map(|(loc, tc)| event_maps::MapInput { location: loc, picks: &picks.events[event_of(loc)], truth_km: tc.as_ref().map(|t| t.true_km) })
                .collect();
            let (n, failed) = event_maps::draw_event_maps(&events_dir, &items, &batch, quiet);
            for (id, e) in failed {
                notes.push(format!("maps of {id}: {e}"));
            }
            Ok(((), format!("{n} events drawn (<id>_map.png, <id>_sections.png) in {}", events_dir.display())))
        })?;
    }

    let stations_km: Vec<(String, [f64; 3])> = stations.iter().map(|s| (s.code.clone(), s.position_km)).collect();
    let mut event_reports = Vec::new();
    let mut overview = Vec::new();
    for ((loc, tc), density) in located.iter().zip(comparisons).zip(&densities) {
        let i = event_of(loc);
        let s = &loc.summary;
        let d = &loc.diagnostics;
        overview.push(overview_map::OverviewEvent {
            location_en_km: [s.location_km[0], s.location_km[1]],
            hpd95_segments: density.as_ref().map_or_else(Vec::new, |d| d.outline(0.95)),
            truth_en_km: tc.as_ref().map(|t| [t.true_km[0], t.true_km[1]]),
            untrustworthy: loc.flags.untrustworthy,
            prior_dominated: loc.flags.prior_dominated,
        });
        let weights = probs
            .probabilities
            .for_event(&picks.events[i], cl.clusters.len(), true, 1.0)
            .map(|w| w.probabilities.clone())
            .unwrap_or_default();
        event_reports.push(EventReport {
            event_id: loc.event_id.clone(),
            location_km: s.location_km,
            mean_km: s.mean_km,
            std_km: s.std_km,
            lon_lat_deg: s.geographic.as_ref().map(|g| [g.location_lon_deg, g.location_lat_deg]),
            max_rhat: d.max_rhat,
            min_ess_bulk: d.min_ess_bulk,
            min_ess_tail: d.min_ess_tail,
            n_divergent: d.n_divergent,
            information_gain_nats: d.information_gain_nats,
            elapsed_s: d.elapsed_s,
            untrustworthy: loc.flags.untrustworthy,
            prior_dominated: loc.flags.prior_dominated,
            noise_prob: probs.noise_prob[i],
            prior_weights: weights,
            reasons: loc.flags.reasons.clone(),
            truth: tc,
        });
    }

    timed(&mut st, "catalog", quiet, || {
        locate_events::write_catalog(out, &located, &lc.output.formats)?;
        let ov = out.join("overview_map.png");
        let title = format!("eqnemix: {} located events", located.len());
        if let Err(e) = overview_map::draw_overview_map(&ov, &title, overview_map::OVERVIEW_CAPTION, &overview, &cl.clusters, &stations_km) {
            notes.push(format!("overview map: {e:#}"));
        }
        Ok(((), format!("catalog.csv, catalog.xml, {}", ov.display())))
    })?;

    let with_truth: Vec<_> = event_reports.iter().filter_map(|e| e.truth.as_ref()).collect();
    let coverage = (!with_truth.is_empty()).then(|| Coverage::new(with_truth.iter().filter(|t| t.inside_95).count(), with_truth.len()));
    let n_flagged = located.iter().filter(|l| l.flags.untrustworthy || l.flags.prior_dominated).count();
    let report = RunReport {
        version: env!("CARGO_PKG_VERSION").to_string(),
        config: cfg.source.clone(),
        output_dir: out.display().to_string(),
        started_utc: started.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        total_seconds: t_all.elapsed().as_secs_f64(),
        stages: st,
        picks_source: picks.source.clone(),
        weights_source: probs.source.clone(),
        weights_fallback: probs.fallback,
        sampler: format!("{} (seed {})", crate::locate::event::run_label(&lc.sampler, lc.n_chains), lc.seed),
        n_detections: picks.events.len(),
        n_located: located.len(),
        n_untrustworthy: located.iter().filter(|l| l.flags.untrustworthy).count(),
        n_prior_dominated: located.iter().filter(|l| l.flags.prior_dominated).count(),
        n_flagged,
        failures,
        rejected: impossible,
        events: event_reports,
        coverage,
        n_true_events: truth.as_ref().map(|t| t.len()),
        picks_vs_truth: pick_acc,
        notes,
    };
    write_bytes(&out.join("run_report.json"), serde_json::to_string_pretty(&report)?.as_bytes())?;
    write_bytes(&out.join("run_report.md"), report.to_markdown().as_bytes())?;
    Ok(report)
}
