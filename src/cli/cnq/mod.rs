//! The ConvNetQuake workflow (Perol et al. 2018) as subcommands with the
//! original's names and flags (both `--stream-dir` and `--stream_dir`
//! spellings are accepted):
//!
//! ```text
//! eqnemix create-dataset-events --stream_dir streams/ --catalog clusters/catalog_with_cluster_ids.csv \
//!     --station-lat 36.5 --station-lon -97.5 --output_dir data/events [--save_mseed] [--plot]
//! eqnemix create-dataset-noise --stream_path streams/day.mseed --catalog catalog.csv \
//!     --output_dir data/noise --max_windows 1000
//! eqnemix data-augmentation --tfrecords data/events --output data/augmented --std_factor 1.2
//! eqnemix train --dataset data/events data/augmented data/noise --n_clusters 5 \
//!     --checkpoint_dir out/cnq --python /path/to/venv/bin/python
//! eqnemix evaluate --model out/cnq/convnetquake.onnx --dataset data/test_events --events
//! eqnemix classify --stream_path streams/day.mseed --output cnq_probabilities.csv
//! ```
//!
//! Datasets are directories in the format of
//! [`eqnemix_models::convnetquake::write_dataset`] (not TFRecords). Class 0
//! is noise, class `k + 1` cluster `k`.

pub mod augment;
pub mod dataset;
pub mod evaluate;
pub mod train;

pub use augment::DataAugmentationArgs;
pub use dataset::{CreateDatasetEventsArgs, CreateDatasetNoiseArgs};
pub use evaluate::{classify_continuous, ClassifyArgs, EvaluateArgs};
pub use train::TrainArgs;

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use chrono::{DateTime, Utc};
use eqnemix_models::convnetquake::SAMPLING_RATE_HZ;
use eqnemix_models::waveform::{write_mseed, PreprocessOptions, ThreeComponent};

/// Continuous three-component data at 100 Hz, ready to cut windows from.
pub struct Continuous {
    /// `NET.STA.LOC`.
    pub station: String,
    /// Channel codes of Z, N, E.
    pub channels: [String; 3],
    /// Time of sample 0.
    pub start: DateTime<Utc>,
    /// Samples `[E, N, Z]` at 100 Hz.
    pub data: Vec<[f32; 3]>,
}

impl Continuous {
    /// Index of the sample at or after `t` (may be out of range).
    pub fn index_of(&self, t: DateTime<Utc>) -> i64 {
        let dt = (t - self.start).num_microseconds().unwrap_or(i64::MAX / 2) as f64 * 1e-6;
        (dt * SAMPLING_RATE_HZ).round() as i64
    }
    /// Time of sample `i`.
    pub fn time_of(&self, i: usize) -> DateTime<Utc> {
        self.start + chrono::Duration::microseconds((i as f64 / SAMPLING_RATE_HZ * 1e6).round() as i64)
    }
}

/// miniSEED files of a directory (`*.mseed`, `*.miniseed`, `*.ms`), sorted.
pub fn mseed_files_in(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("reading the directory {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| matches!(p.extension().and_then(|e| e.to_str()), Some("mseed" | "miniseed" | "ms")))
        .collect();
    files.sort();
    if files.is_empty() {
        bail!("{}: no miniSEED files (*.mseed, *.miniseed, *.ms)", dir.display());
    }
    Ok(files)
}

/// Reads the files, selects the station's three components (`station` as
/// NET.STA[.LOC], optional when the files hold one station, see
/// [`crate::cli::pick::read_station_3c`]), and pre-processes them
/// ([`continuous_from`]).
pub fn load_continuous(files: &[PathBuf], station: Option<&str>) -> anyhow::Result<Continuous> {
    continuous_from(&crate::cli::pick::read_station_3c(files, station)?)
}

/// ConvNetQuake's input from records as read: linear detrend, taper,
/// 1-45 Hz band-pass, 100 Hz.
pub fn continuous_from(three: &ThreeComponent) -> anyhow::Result<Continuous> {
    let ready = three.preprocess(&PreprocessOptions::default()).context("pre-processing the waveforms")?;
    let data = ready.to_enz_f32();
    Ok(Continuous { station: ready.station.clone(), channels: ready.channels.clone(), start: ready.start, data })
}

/// Writes one window as miniSEED (Z, N, E channels of the source).
pub fn save_window_mseed(path: &Path, c: &Continuous, start: DateTime<Utc>, window: &[[f32; 3]]) -> anyhow::Result<()> {
    let three = ThreeComponent {
        station: c.station.clone(),
        channels: c.channels.clone(),
        start,
        sampling_rate: SAMPLING_RATE_HZ,
        z: window.iter().map(|s| s[2] as f64).collect(),
        n: window.iter().map(|s| s[1] as f64).collect(),
        e: window.iter().map(|s| s[0] as f64).collect(),
    };
    write_mseed(path, &three.to_stream()).with_context(|| format!("writing {}", path.display()))
}

/// Draws the three components of a window (E, N, Z from top) to a PNG.
pub fn plot_window(path: &Path, title: &str, window: &[[f32; 3]]) -> anyhow::Result<()> {
    use plotters::prelude::*;
    crate::plot::font::ensure_fonts();
    let tmp = path.with_extension("tmp.png");
    {
        let root = BitMapBackend::new(&tmp, (900, 600)).into_drawing_area();
        root.fill(&WHITE)?;
        let root = root.titled(title, ("sans-serif", 18))?;
        let panels = root.split_evenly((3, 1));
        for (c, (panel, name)) in panels.iter().zip(["E", "N", "Z"]).enumerate() {
            let max = window.iter().map(|s| s[c].abs()).fold(1e-12f32, f32::max) as f64;
            let mut chart = ChartBuilder::on(panel)
                .margin(5)
                .x_label_area_size(25)
                .y_label_area_size(50)
                .caption(name, ("sans-serif", 14))
                .build_cartesian_2d(0.0..(window.len() as f64 / SAMPLING_RATE_HZ), -max..max)?;
            chart.configure_mesh().x_desc("time (s)").draw()?;
            chart.draw_series(LineSeries::new(
                window.iter().enumerate().map(|(i, s)| (i as f64 / SAMPLING_RATE_HZ, s[c] as f64)),
                &BLUE,
            ))?;
        }
        root.present()?;
    }
    std::fs::rename(&tmp, path).with_context(|| format!("writing {}", path.display()))
}
