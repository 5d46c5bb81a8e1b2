//! `eqnemix create-dataset-events` and `eqnemix create-dataset-noise`:
//! labelled 10 s windows cut from continuous miniSEED.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use crate::memory_budget::{format_count, mul};
use chrono::{DateTime, Utc};
use clap::Args;

use eqnemix_models::convnetquake::{write_dataset, Dataset, WindowLabel, SAMPLING_RATE_HZ, WINDOW_SAMPLES};

use super::{load_continuous, mseed_files_in, plot_window, save_window_mseed, Continuous};
use crate::catalog::Catalog;
use crate::clustering::catalog_clusters::CLUSTER_ID_COLUMN;
use crate::geo::geodesic_distance_km;

/// Arguments of `eqnemix create-dataset-events`.
///
/// Each catalog event gives one window that starts at origin time + P
/// travel time − `--margin`, the travel time being the hypocentral
/// distance divided by the mean P velocity `--vp` (km/s). Events whose
/// window is not inside the data are skipped (and counted).
#[derive(Debug, Args)]
pub struct CreateDatasetEventsArgs {
    /// Directory of continuous miniSEED files (*.mseed, *.miniseed, *.ms).
    #[arg(long = "stream-dir", alias = "stream_dir")]
    pub stream_dir: PathBuf,
    /// Clustered catalog (`catalog_with_cluster_ids.csv` of `eqnemix cluster`).
    #[arg(long)]
    pub catalog: PathBuf,
    /// Output dataset directory (windows.f32 + index.csv).
    #[arg(long = "output-dir", alias = "output_dir")]
    pub output_dir: PathBuf,
    /// Station latitude (degrees north).
    #[arg(long = "station-lat", alias = "station_lat", allow_hyphen_values = true)]
    pub station_lat: f64,
    /// Station longitude (degrees east).
    #[arg(long = "station-lon", alias = "station_lon", allow_hyphen_values = true)]
    pub station_lon: f64,
    /// Station as NET.STA[.LOC] (optional when the files hold one station).
    #[arg(long)]
    pub station: Option<String>,
    /// Mean P velocity between the events and the station (km/s).
    #[arg(long, default_value_t = 6.0)]
    pub vp: f64,
    /// Seconds of data kept before the predicted P arrival.
    #[arg(long, default_value_t = 1.0)]
    pub margin: f64,
    /// Also save every window as miniSEED under OUTPUT_DIR/mseed/.
    #[arg(long = "save-mseed", alias = "save_mseed")]
    pub save_mseed: bool,
    /// Also draw every window as PNG under OUTPUT_DIR/png/.
    #[arg(long)]
    pub plot: bool,
}

/// Arguments of `eqnemix create-dataset-noise`.
///
/// Consecutive 10 s windows (every `--step` s) that do not overlap any
/// catalog event's interval [origin − `--before`, origin + `--after`].
#[derive(Debug, Args)]
pub struct CreateDatasetNoiseArgs {
    /// Continuous miniSEED file(s).
    #[arg(long = "stream-path", alias = "stream_path", required = true, num_args = 1..)]
    pub stream_path: Vec<PathBuf>,
    /// Catalog of the events to avoid (any catalog CSV `eqnemix cluster` reads).
    #[arg(long)]
    pub catalog: PathBuf,
    /// Output dataset directory (windows.f32 + index.csv).
    #[arg(long = "output-dir", alias = "output_dir")]
    pub output_dir: PathBuf,
    /// Station as NET.STA[.LOC] (optional when the files hold one station).
    #[arg(long)]
    pub station: Option<String>,
    /// Largest number of windows written.
    #[arg(long = "max-windows", alias = "max_windows", default_value_t = 1000)]
    pub max_windows: usize,
    /// Seconds between window starts.
    #[arg(long, default_value_t = 10.0)]
    pub step: f64,
    /// Seconds before an origin time that count as the event.
    #[arg(long, default_value_t = 10.0)]
    pub before: f64,
    /// Seconds after an origin time that count as the event (travel times and coda).
    #[arg(long, default_value_t = 120.0)]
    pub after: f64,
    /// Also save every window as miniSEED under OUTPUT_DIR/mseed/.
    #[arg(long = "save-mseed", alias = "save_mseed")]
    pub save_mseed: bool,
    /// Also draw every window as PNG under OUTPUT_DIR/png/.
    #[arg(long)]
    pub plot: bool,
}

/// Writes the optional per-window miniSEED and PNG files.
fn extras(out: &Path, save_mseed: bool, plot: bool, c: &Continuous, i: usize, label: &WindowLabel, w: &[[f32; 3]]) -> anyhow::Result<()> {
    let stem = format!("{i:06}_{}", label.start_time.format("%Y%m%dT%H%M%S%.3f"));
    if save_mseed {
        std::fs::create_dir_all(out.join("mseed"))?;
        save_window_mseed(&out.join("mseed").join(format!("{stem}.mseed")), c, label.start_time, w)?;
    }
    if plot {
        std::fs::create_dir_all(out.join("png"))?;
        let title = if label.label == 0 { format!("noise {}", label.start_time) } else { format!("cluster {} {}", label.cluster_id, label.start_time) };
        plot_window(&out.join("png").join(format!("{stem}.png")), &title, w)?;
    }
    Ok(())
}

/// Bytes of a window's label (times and station strings) in a dataset.
const LABEL_BYTES: u128 = 160;

impl CreateDatasetEventsArgs {
    /// Cut, label, write.
    pub fn run(self) -> anyhow::Result<()> {
        if !(self.vp.is_finite() && self.vp > 0.0) {
            bail!("--vp {}: the mean P velocity must be positive (km/s)", self.vp);
        }
        let catalog = Catalog::from_path(&self.catalog).with_context(|| format!("reading {}", self.catalog.display()))?;
        let col = catalog
            .headers
            .iter()
            .position(|h| h.trim().eq_ignore_ascii_case(CLUSTER_ID_COLUMN))
            .with_context(|| format!("{}: no {CLUSTER_ID_COLUMN} column (run `eqnemix cluster` first)", self.catalog.display()))?;
        let files = mseed_files_in(&self.stream_dir)?;
        let c = load_continuous(&files, self.station.as_deref())?;
        // Where each event's window starts (None: outside the data), then
        // the windows' memory before they are cut.
        let mut starts: Vec<(usize, Option<usize>)> = Vec::with_capacity(catalog.events.len());
        for ev in &catalog.events {
            let cell = ev.record.get(col).unwrap_or("").trim();
            let cluster: usize = cell
                .parse()
                .with_context(|| format!("{} line {}: {CLUSTER_ID_COLUMN} {cell:?} is not a cluster id (0, 1, ...)", self.catalog.display(), ev.line))?;
            let epi = geodesic_distance_km(self.station_lon, self.station_lat, ev.lon_deg, ev.lat_deg);
            let travel = (epi * epi + ev.depth_km * ev.depth_km).sqrt() / self.vp;
            let start: DateTime<Utc> = ev.origin_time + chrono::Duration::microseconds(((travel - self.margin) * 1e6).round() as i64);
            let i0 = c.index_of(start);
            let inside = i0 >= 0 && i0 as usize + WINDOW_SAMPLES <= c.data.len();
            starts.push((cluster, inside.then_some(i0 as usize)));
        }
        let n_windows = starts.iter().filter(|(_, i)| i.is_some()).count() as u128;
        crate::cli::memory_budget(None)?.check(
            format!("{}: {} event windows of {} samples × 3 components", self.catalog.display(), format_count(n_windows), WINDOW_SAMPLES),
            mul(n_windows, (WINDOW_SAMPLES * 3 * 4) as u128 + LABEL_BYTES),
        )?;
        let mut data = Dataset::default();
        let mut skipped = 0usize;
        for (ev, &(cluster, i0)) in catalog.events.iter().zip(&starts) {
            let Some(i0) = i0 else {
                skipped += 1;
                continue;
            };
            let w = &c.data[i0..i0 + WINDOW_SAMPLES];
            let label = WindowLabel::event(cluster, c.time_of(i0), &c.station, &ev.origin_time.to_rfc3339());
            extras(&self.output_dir, self.save_mseed, self.plot, &c, data.len(), &label, w)?;
            data.push(label, w)?;
        }
        write_dataset(&self.output_dir, &data).with_context(|| format!("writing {}", self.output_dir.display()))?;
        outln!("{}: {} event windows ({} catalog events outside the data)", self.output_dir.display(), data.len(), skipped);
        Ok(())
    }
}

impl CreateDatasetNoiseArgs {
    /// Cut windows away from catalog events, write.
    pub fn run(self) -> anyhow::Result<()> {
        if !(self.step.is_finite() && self.step > 0.0) {
            bail!("--step {}: must be positive (s)", self.step);
        }
        let catalog = Catalog::from_path(&self.catalog).with_context(|| format!("reading {}", self.catalog.display()))?;
        let c = load_continuous(&self.stream_path, self.station.as_deref())?;
        // Busy sample range of each event, widened outward to whole samples
        // (floor of its start, ceil of its end) so no window touches it.
        let secs = |e: &crate::catalog::CatalogEvent| (e.origin_time - c.start).num_microseconds().unwrap_or(i64::MAX / 2) as f64 * 1e-6;
        let mut busy: Vec<(i64, i64)> = catalog
            .events
            .iter()
            .map(|e| (((secs(e) - self.before) * SAMPLING_RATE_HZ).floor() as i64, ((secs(e) + self.after) * SAMPLING_RATE_HZ).ceil() as i64))
            .collect();
        busy.sort();
        let step = ((self.step * SAMPLING_RATE_HZ).round() as usize).max(1);
        // The windows kept in memory until the dataset is written.
        let fitting = c.data.len().saturating_sub(WINDOW_SAMPLES) / step + 1;
        let n_windows = fitting.min(self.max_windows) as u128;
        crate::cli::memory_budget(None)?.check(
            format!(
                "--max-windows {} with --step {}: {} noise windows of {} samples × 3 components",
                self.max_windows,
                self.step,
                format_count(n_windows),
                WINDOW_SAMPLES
            ),
            mul(n_windows, (WINDOW_SAMPLES * 3 * 4) as u128 + LABEL_BYTES),
        )?;
        let mut data = Dataset::default();
        let mut i = 0usize;
        while i + WINDOW_SAMPLES <= c.data.len() && data.len() < self.max_windows {
            let (a, b) = (i as i64, (i + WINDOW_SAMPLES) as i64);
            let overlaps = busy.iter().any(|&(s, e)| s < b && a < e);
            if !overlaps {
                let w = &c.data[i..i + WINDOW_SAMPLES];
                let label = WindowLabel::noise(c.time_of(i), &c.station);
                extras(&self.output_dir, self.save_mseed, self.plot, &c, data.len(), &label, w)?;
                data.push(label, w)?;
            }
            i += step;
        }
        write_dataset(&self.output_dir, &data).with_context(|| format!("writing {}", self.output_dir.display()))?;
        outln!("{}: {} noise windows", self.output_dir.display(), data.len());
        Ok(())
    }
}
