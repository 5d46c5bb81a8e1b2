//! A map per located event, drawn in parallel (rayon) with a progress bar:
//! `<id>_map.png` (map view: posterior density from the draws, 68/90/95 %
//! highest-density contours, draws, cluster ellipses, the S-P shell of the
//! first station with both picks, the truth when known) and
//! `<id>_sections.png` (east–depth and north–depth sections), through
//! [`crate::plot::posterior_map`] and [`crate::plot::sections`]. Used by
//! `eqnemix run` and `eqnemix locate` (`[output] maps`, `--maps`).

use crate::locate::batch::{file_stem, Batch};
use crate::locate::EventLocation;
use crate::picks::Picks;
use crate::plot::posterior_map::{draw_posterior_map, PosteriorFigure, SpShell};
use crate::plot::sections::draw_sections;
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;
use std::path::{Path, PathBuf};

/// One event to draw.
pub struct MapInput<'a> {
    /// The located event.
    pub location: &'a EventLocation,
    /// Its picks (for the S-P shell).
    pub picks: &'a Picks,
    /// True hypocentre `[east, north, depth]` (km), synthetic data only.
    pub truth_km: Option<[f64; 3]>,
}

/// Files of the maps of event `id` in `dir`.
pub fn map_files(dir: &Path, id: &str) -> [PathBuf; 2] {
    let s = file_stem(id);
    [dir.join(format!("{s}_map.png")), dir.join(format!("{s}_sections.png"))]
}

/// Draw both figures of every event into `dir`, in parallel; returns the
/// number of events drawn and, per failed event, its id and the error.
/// `batch` rebuilds each event's posterior for its S-P shell.
pub fn draw_event_maps(dir: &Path, items: &[MapInput<'_>], batch: &Batch<'_>, quiet: bool) -> (usize, Vec<(String, String)>) {
    let bar = if quiet { ProgressBar::hidden() } else { ProgressBar::new(items.len() as u64) };
    bar.set_style(
        ProgressStyle::with_template("{spinner} maps [{bar:30}] {pos}/{len} events {elapsed} (eta {eta})")
            .expect("static template")
            .progress_chars("=> "),
    );
    let results: Vec<Result<(), (String, String)>> = items
        .par_iter()
        .map(|it| {
            let r = draw_one(dir, it, batch).map_err(|e| (it.location.event_id.clone(), e));
            bar.inc(1);
            r
        })
        .collect();
    bar.finish_and_clear();
    let n = results.iter().filter(|r| r.is_ok()).count();
    (n, results.into_iter().filter_map(Result::err).collect())
}

/// Draw both figures of one event into `dir` ([`map_files`] names them).
pub fn draw_one(dir: &Path, it: &MapInput<'_>, batch: &Batch<'_>) -> Result<(), String> {
    let loc = it.location;
    let posterior = batch.posterior(it.picks).ok();
    let sp = posterior.as_ref().and_then(|p| p.likelihood().s_minus_p.first());
    let predicted = |x: [f64; 3]| sp.and_then(|s| s.predicted(x));
    let mut stations: Vec<(String, [f64; 3])> = Vec::new();
    for s in &it.picks.stations {
        if !stations.iter().any(|(c, _)| *c == s.station.code) {
            stations.push((s.station.code.clone(), s.station.position_km));
        }
    }
    let c = batch.config;
    let fig = PosteriorFigure {
        event_id: loc.event_id.clone(),
        stations,
        clusters: batch.clusters,
        summary: &loc.summary,
        chains: &loc.chains,
        grid: None,
        sp_shell: sp.map(|s| SpShell { observed_s: s.observed_s, sigma_s: s.sigma_s, predicted: &predicted }),
        truth_km: it.truth_km,
        subtitle: format!("{}; shading: histogram of the draws", crate::locate::event::run_label(&c.sampler, c.n_chains)),
    };
    let [map, sections] = map_files(dir, &loc.event_id);
    draw_posterior_map(&map, &fig).map_err(|e| format!("{}: {e}", map.display()))?;
    draw_sections(&sections, &fig).map_err(|e| format!("{}: {e}", sections.display()))?;
    Ok(())
}
