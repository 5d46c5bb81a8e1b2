//! `eqnemix locate`: locate every event of a picks file.
//!
//! ```text
//! eqnemix locate --config locate.toml --picks picks.csv --probabilities probs.csv \
//!     --clusters clusters_gaussian.json [--stations stations.csv] [--out DIR] [--maps]
//! eqnemix locate --config network.toml --picks picks.csv --stations stations.csv
//! eqnemix locate ... --weights 0.5,0.3,0.2     # the same cluster weights for every event
//! eqnemix locate ... --uniform-weights         # equal cluster weights
//! ```
//!
//! With `[prior] kind = "uniform"` (a network without a cluster catalog) the
//! prior is uniform over the `[region]` box and `--clusters` and
//! `--probabilities` are not needed: the box's bounds and the frame's
//! origin (`region.origin_lon_deg`, `origin_lat_deg`) then come from the
//! configuration (or the frame and default box from `--clusters` if given).
//!
//! The prior's cluster weights come from exactly one of `--probabilities`
//! (ConvNetQuake's per-window output), `--weights` (one non-negative number
//! per cluster, normalised to sum 1) or `--uniform-weights` (none with the
//! uniform prior).
//!
//! Picks are either the picks CSV of [`crate::picks`] (needs `--stations`)
//! or EQTransformer's `X_prediction_results.csv` (recognised by its
//! `p_arrival_time` column); probabilities are ConvNetQuake's windows (see
//! [`crate::locate::inputs`]). Every input is read and checked before
//! anything is written. Events are located in parallel; per event the
//! formats of `[output]` are written (`<id>.csv`, `<id>.json` with the
//! diagnostics and flags, `<id>.hyp`, `<id>.xml`) and the draws
//! (`<id>_draws.csv`), then `catalog.csv` (and `catalog.xml`) for all
//! located events. A failing event is reported with its id and reason and
//! does not stop the others; the exit status is non-zero if any failed.
//!
//! With `--maps` (or `[output] maps = true`) a map per event is drawn as
//! soon as it is located (see [`crate::pipeline::event_maps`]):
//! `<id>_map.png` (map view) and `<id>_sections.png` (depth sections).
//!
//! Each event's files are written as soon as it is located, and last its
//! completion record `<id>.done` ([`crate::pipeline::resume`]). Ctrl-C
//! (SIGINT) stops the run, inside a long sampler run too: the events in
//! progress stop and write nothing (their earlier files stay without a
//! completion record, so `--resume` locates them again), the catalog of the finished events is written as
//! `catalog_partial.csv` (`catalog.csv` of an earlier run in the folder is
//! removed), and the command exits with status 130 saying how many events
//! were written. `--resume` then skips the events whose record shows them
//! finished with the same configuration and inputs and writes the full
//! `catalog.csv`, the same as an uninterrupted run's. Temporary files a
//! killed run left in the output folder (`.eqnemix-tmp-*`) are removed
//! when the command starts.

use crate::clustering::read_clusters_gaussian;
use crate::config::{LocateConfig, PriorKind};
use crate::geo::LocalProjection;
use crate::locate::batch::Batch;
use crate::locate::inputs::{
    is_eqtransformer_csv, read_cluster_probabilities, read_eqtransformer_picks, read_stations,
    ClusterProbabilities,
};
use anyhow::{bail, Context, Result};
use clap::Args;
use std::path::PathBuf;

/// Arguments of `eqnemix locate`.
#[derive(Debug, Args)]
#[command(group(
    clap::ArgGroup::new("prior_weights")
        .required(false)
        .args(["probabilities", "weights", "uniform_weights"])
))]
pub struct LocateArgs {
    /// TOML configuration (`eqnemix config --example` prints a documented one);
    /// without it every setting takes its default.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Picks: eqnemix picks CSV (event_id,station,phase,time_utc,sigma_s) or EQTransformer's X_prediction_results.csv.
    #[arg(long, value_name = "CSV")]
    pub picks: PathBuf,
    /// ConvNetQuake cluster probabilities (start_time,end_time,clusters_prob);
    /// or give --weights or --uniform-weights instead (none with `[prior] kind = "uniform"`).
    #[arg(long, value_name = "CSV")]
    pub probabilities: Option<PathBuf>,
    /// Prior weight of each cluster (in id order) for every event, instead of
    /// --probabilities: one non-negative number per cluster, normalised to sum 1.
    #[arg(long, value_name = "W1,W2,...")]
    pub weights: Option<String>,
    /// Equal prior weight for every cluster and event, instead of --probabilities.
    #[arg(long)]
    pub uniform_weights: bool,
    /// clusters_gaussian.json written by `eqnemix cluster`; not needed with
    /// `[prior] kind = "uniform"`.
    #[arg(long, value_name = "JSON")]
    pub clusters: Option<PathBuf>,
    /// Station table (station, latitude, longitude, elevation_m; or east_km, north_km, depth_km).
    #[arg(long, value_name = "CSV")]
    pub stations: Option<PathBuf>,
    /// Output folder (default: [output] dir of the config).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Draw a map per event (`<id>_map.png`, `<id>_sections.png`); also
    /// on with `[output] maps = true`.
    #[arg(long)]
    pub maps: bool,
    /// No progress bar.
    #[arg(long)]
    pub quiet: bool,
    /// Keep the events an earlier (interrupted) run into the same output
    /// folder finished with the same configuration and inputs (their
    /// `<id>.done` records); locate the rest and write the whole catalog.
    #[arg(long)]
    pub resume: bool,
    /// For tests: cancel the run, as Ctrl-C does, once this many events
    /// have been located (or have failed) by this run.
    #[arg(long, hide = true, value_name = "N")]
    pub cancel_after_events: Option<usize>,
}

impl LocateArgs {
    /// Run the command; `cancel` stops it (inside the events in progress)
    /// ([`crate::cancel::Interrupted`]).
    pub fn run(self, cancel: &crate::cancel::Cancellation) -> Result<()> {
        let (cfg, base_dir) = match &self.config {
            Some(p) => (
                LocateConfig::from_file(p).with_context(|| format!("configuration {}", p.display()))?,
                p.parent().map(PathBuf::from).unwrap_or_default(),
            ),
            None => (LocateConfig::default(), PathBuf::from(".")),
        };
        let budget = super::memory_budget(cfg.limits.memory_gb)?;
        // Before reading the inputs: the sizes of the configuration alone.
        cfg.check_memory(&budget, 1).context("configuration")?;
        let uniform = cfg.prior.kind == PriorKind::Uniform;
        let weighted = self.probabilities.is_some() || self.weights.is_some() || self.uniform_weights;
        if !uniform && (self.clusters.is_none() || !weighted) {
            bail!(
                "--clusters and one of --probabilities, --weights or --uniform-weights are needed with [prior] kind = \"clusters\" (the default); \
                 to locate without a cluster catalog set [prior] kind = \"uniform\" in the configuration"
            );
        }
        let (clusters, projection) = clusters_and_projection(&cfg, self.clusters.as_deref())?;
        let stations = match &self.stations {
            Some(p) => read_stations(p, &projection)?,
            None => Vec::new(),
        };
        let events = if is_eqtransformer_csv(&self.picks)? {
            read_eqtransformer_picks(&self.picks, &projection, &stations, cfg.likelihood.default_pick_sigma_s)?
        } else {
            if self.stations.is_none() {
                bail!("{}: the eqnemix picks format needs --stations (station positions)", self.picks.display());
            }
            crate::picks::read_picks_csv(&self.picks, &stations)?
        };
        let mut seen = std::collections::HashSet::new();
        for e in &events {
            if !seen.insert(e.event_id.as_str()) {
                bail!("{}: event id `{}` appears twice", self.picks.display(), e.event_id);
            }
        }
        crate::locate::batch::check_file_stems(events.iter().map(|e| e.event_id.as_str()))
            .map_err(|e| anyhow::anyhow!("{}: {e}", self.picks.display()))?;
        let codes: Vec<&str> = {
            let mut codes: Vec<&str> = events.iter().flat_map(|e| e.stations.iter().map(|s| s.station.code.as_str())).collect();
            codes.sort_unstable();
            codes.dedup();
            codes
        };
        let n_stations = codes.len();
        // The travel-time grids are per station; the events are located in
        // parallel, each with its own draws.
        let at_once = events.len().min(rayon::current_num_threads());
        cfg.check_memory_at_once(&budget, n_stations, at_once).context("configuration")?;
        cfg.check_file_memory(&base_dir, &budget, &codes).context("configuration")?;
        let probabilities = if uniform {
            // The uniform prior reads no probabilities.
            ClusterProbabilities { path: PathBuf::new(), windows: Vec::new() }
        } else {
            let clusters_path = self.clusters.as_deref().unwrap_or(std::path::Path::new(""));
            match (&self.probabilities, &self.weights) {
                (Some(p), _) => read_cluster_probabilities(p)?,
                (None, Some(w)) => ClusterProbabilities::constant(parse_weights(w, clusters.len(), clusters_path)?, "--weights"),
                (None, None) => {
                    let k = clusters.len();
                    if k == 0 {
                        bail!("--uniform-weights: {} has no clusters", clusters_path.display());
                    }
                    ClusterProbabilities::constant(vec![1.0 / k as f64; k], "--uniform-weights")
                }
            }
        };
        let region = cfg.region.region_box(&clusters).context("configuration")?;
        let model = cfg.travel_time.build(&base_dir).context("configuration")?;
        crate::locate::domain_check::check_travel_time_domains(
            model.as_ref(),
            events.iter().flat_map(|e| e.stations.iter().map(|s| &s.station)),
            &region,
        )
        .context("configuration: travel_time and region")?;
        let out = self.out.clone().unwrap_or_else(|| cfg.output.dir.clone());
        std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
        // Fail now, not after locating every event.
        crate::io::check_writable_dir(&out)?;

        let batch = Batch {
            config: &cfg,
            clusters: &clusters,
            probabilities: &probabilities,
            model: model.as_ref(),
            region,
            projection: Some(projection),
        };
        crate::io::remove_stale_temp_files(&out).with_context(|| format!("removing stale temporary files in {}", out.display()))?;
        let maps = self.maps || cfg.output.maps == Some(true);
        let draw_maps = |loc: &crate::locate::EventLocation, picks: &crate::picks::Picks| {
            let item = crate::pipeline::event_maps::MapInput { location: loc, picks, truth_km: None };
            match crate::pipeline::event_maps::draw_one(&out, &item, &batch) {
                Ok(()) => (crate::pipeline::event_maps::map_files(&out, &loc.event_id).to_vec(), None),
                Err(e) => (Vec::new(), Some(e)),
            }
        };
        let cancel_after = self.cancel_after_events.map(|n| crate::pipeline::locate_events::cancel_after(n, cancel));
        let opts = crate::pipeline::locate_events::WriteOptions {
            quiet: self.quiet,
            cancel,
            resume: self.resume,
            extra_files: if maps { Some(&draw_maps) } else { None },
            fingerprint_extra: format!("maps={maps}"),
            on_event: cancel_after.as_ref().map(|f| f as &(dyn Fn(&crate::pipeline::locate_events::EventOutcome) + Sync)),
        };
        let done = crate::pipeline::locate_events::locate_and_write_with(&batch, &events, &out, &opts);
        let (catalog_name, stale_name) = if done.interrupted() { ("catalog_partial", "catalog") } else { ("catalog", "catalog_partial") };
        crate::pipeline::locate_events::write_catalog_named(&out, catalog_name, &done.catalog, &cfg.output.formats)?;
        crate::pipeline::locate_events::remove_catalog_named(&out, stale_name)?;
        let crate::pipeline::locate_events::Located { located, resumed, failures, extra_failures: map_failures, .. } = &done;
        let flags: Vec<(&str, &crate::locate::LocationFlags)> = located
            .iter()
            .map(|l| (l.event_id.as_str(), &l.flags))
            .chain(resumed.iter().map(|r| (r.event_id.as_str(), &r.flags)))
            .collect();
        let untrusted = flags.iter().filter(|(_, f)| f.untrustworthy).count();
        let prior_dom = flags.iter().filter(|(_, f)| f.prior_dominated).count();
        let kept = if resumed.is_empty() { String::new() } else { format!(" ({} kept from the earlier run)", resumed.len()) };
        outln!(
            "located {} of {} events{kept} with {} ({untrusted} untrustworthy, {prior_dom} prior-dominated); results in {}",
            done.catalog.len(),
            events.len(),
            crate::locate::event::run_label(&cfg.sampler, cfg.n_chains),
            out.display()
        );
        // In input order.
        for e in &events {
            if let Some((id, f)) = flags.iter().find(|(id, _)| *id == e.event_id) {
                if !f.reasons.is_empty() {
                    outln!("  flagged {id}: {}", f.reasons.join("; "));
                }
            }
        }
        for (id, why) in map_failures {
            eprintln!("  map of {id} not drawn: {why}");
        }
        for (id, why) in failures {
            eprintln!("  failed {id}: {why}");
        }
        if done.interrupted() {
            return Err(crate::cancel::Interrupted {
                written: done.catalog.len(),
                total: events.len(),
                hint: format!(
                    "rerun with --resume to continue (catalog of the finished events: {})",
                    out.join("catalog_partial.csv").display()
                ),
            }
            .into());
        }
        if !failures.is_empty() {
            bail!("{} of {} events failed", failures.len(), events.len());
        }
        Ok(())
    }
}

/// The cluster Gaussians of `clusters` (`clusters_gaussian.json`, in its
/// file's frame) and the local frame: the file's origin, which must agree
/// with `region.origin_lon_deg/origin_lat_deg` when the configuration sets
/// them; without a clusters file (the uniform prior) no clusters and the
/// configuration's origin. Shared by `eqnemix locate` and the Python
/// package.
pub fn clusters_and_projection(cfg: &LocateConfig, clusters: Option<&std::path::Path>) -> Result<(Vec<crate::ClusterGaussian>, LocalProjection)> {
    Ok(match clusters {
        Some(path) => {
            let clusters_file = read_clusters_gaussian(path)?;
            let origin = clusters_file.origin;
            if let (Some(lon), Some(lat)) = (cfg.region.origin_lon_deg, cfg.region.origin_lat_deg) {
                if (lon - origin.lon_deg).abs() > 1e-9 || (lat - origin.lat_deg).abs() > 1e-9 {
                    bail!(
                        "region.origin_lon_deg/origin_lat_deg ({lon}, {lat}) differ from the origin ({}, {}) of {}: the clusters are in that frame",
                        origin.lon_deg,
                        origin.lat_deg,
                        path.display()
                    );
                }
            }
            let projection = LocalProjection::new(origin.lon_deg, origin.lat_deg)
                .with_context(|| format!("projection origin of {}", path.display()))?;
            (clusters_file.gaussians(), projection)
        }
        None => {
            let (Some(lon), Some(lat)) = (cfg.region.origin_lon_deg, cfg.region.origin_lat_deg) else {
                bail!(
                    "configuration: [prior] kind = \"uniform\" without --clusters needs region.origin_lon_deg and region.origin_lat_deg (the local frame's origin)"
                );
            };
            let projection = LocalProjection::new(lon, lat).context("configuration: region.origin_lon_deg/origin_lat_deg")?;
            (Vec::new(), projection)
        }
    })
}

/// `--weights w1,w2,...`: one finite non-negative number per cluster of
/// `clusters_file`, not all zero; returned normalised to sum 1.
pub fn parse_weights(text: &str, n_clusters: usize, clusters_file: &std::path::Path) -> Result<Vec<f64>> {
    let mut w = Vec::new();
    for (i, item) in text.split(',').enumerate() {
        let item = item.trim();
        let v: f64 = item
            .parse()
            .map_err(|_| anyhow::anyhow!("--weights: item {} `{item}` is not a number", i + 1))?;
        if !(v.is_finite() && v >= 0.0) {
            bail!("--weights: item {} is {v}; weights must be finite and >= 0", i + 1);
        }
        w.push(v);
    }
    if w.len() != n_clusters {
        bail!(
            "--weights: {} weights given for the {n_clusters} clusters of {}",
            w.len(),
            clusters_file.display()
        );
    }
    let sum: f64 = w.iter().sum();
    if sum <= 0.0 {
        bail!("--weights: the weights sum to 0; at least one must be > 0");
    }
    Ok(w.into_iter().map(|v| v / sum).collect())
}
