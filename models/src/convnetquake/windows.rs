//! Labelled 10 s windows and the dataset directory format shared with
//! `models/scripts/convnetquake/train.py`.
//!
//! A dataset is a directory holding two files:
//!
//! - `windows.f32`: raw little-endian f32, shape `[n, 1000, 3]` (window,
//!   sample at 100 Hz, component `[E, N, Z]`), un-normalised (the network
//!   normalises each window itself, see [`super::normalize_window`]);
//! - `index.csv`: one row per window in the same order, columns
//!   `label,cluster_id,start_time,station,origin`: `label` is the class
//!   (0 = noise, `k + 1` = cluster `k`), `cluster_id` the catalog cluster id
//!   (`-1` for noise), `start_time` the UTC time of the first sample
//!   (RFC 3339), `station` `NET.STA.LOC`, `origin` free text (the catalog
//!   origin time, `augmented:...`, or empty).
//!
//! NumPy reads it as
//! `np.fromfile(dir/"windows.f32", "<f4").reshape(-1, 1000, 3)`.
//! Both files are written to temporary names and renamed.

use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use super::error::CnqError;
use super::model::WINDOW_SAMPLES;

/// File of the samples in a dataset directory.
pub const WINDOWS_FILE: &str = "windows.f32";
/// File of the labels in a dataset directory.
pub const INDEX_FILE: &str = "index.csv";

/// Label and provenance of one window.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct WindowLabel {
    /// Class: 0 = noise, `k + 1` = cluster `k`.
    pub label: i64,
    /// Catalog cluster id, `-1` for noise.
    pub cluster_id: i64,
    /// UTC time of the first sample.
    pub start_time: DateTime<Utc>,
    /// `NET.STA.LOC` of the station.
    pub station: String,
    /// Where the window came from (catalog origin time, augmentation, ...).
    pub origin: String,
}

impl WindowLabel {
    /// A noise window.
    pub fn noise(start_time: DateTime<Utc>, station: &str) -> Self {
        Self { label: 0, cluster_id: -1, start_time, station: station.to_string(), origin: String::new() }
    }
    /// A window of an event of cluster `cluster_id` (0-based).
    pub fn event(cluster_id: usize, start_time: DateTime<Utc>, station: &str, origin: &str) -> Self {
        Self { label: cluster_id as i64 + 1, cluster_id: cluster_id as i64, start_time, station: station.to_string(), origin: origin.to_string() }
    }
}

/// Windows and their labels, in memory.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Dataset {
    /// One label per window.
    pub labels: Vec<WindowLabel>,
    /// `labels.len() * 1000` samples `[E, N, Z]`.
    pub samples: Vec<[f32; 3]>,
}

impl Dataset {
    /// Number of windows.
    pub fn len(&self) -> usize {
        self.labels.len()
    }
    /// True when there is no window.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }
    /// Window `i` (1000 samples).
    pub fn window(&self, i: usize) -> &[[f32; 3]] {
        &self.samples[i * WINDOW_SAMPLES..(i + 1) * WINDOW_SAMPLES]
    }
    /// All windows as slices.
    pub fn windows(&self) -> Vec<&[[f32; 3]]> {
        self.samples.chunks(WINDOW_SAMPLES).collect()
    }
    /// Appends a window; fails unless it has exactly 1000 samples.
    pub fn push(&mut self, label: WindowLabel, window: &[[f32; 3]]) -> Result<(), CnqError> {
        if window.len() != WINDOW_SAMPLES {
            return Err(CnqError::WindowLength { index: self.len(), len: window.len(), expected: WINDOW_SAMPLES });
        }
        self.labels.push(label);
        self.samples.extend_from_slice(window);
        Ok(())
    }
    /// Appends all windows of `other`.
    pub fn extend(&mut self, other: Dataset) {
        self.labels.extend(other.labels);
        self.samples.extend(other.samples);
    }
}

fn io_err(path: &Path, e: impl std::fmt::Display) -> CnqError {
    CnqError::Dataset { path: path.to_path_buf(), message: e.to_string() }
}

/// Reads a dataset directory (see the module docs).
pub fn read_dataset(dir: impl AsRef<Path>) -> Result<Dataset, CnqError> {
    let dir = dir.as_ref();
    let index_path = dir.join(INDEX_FILE);
    let mut reader = csv::Reader::from_path(&index_path).map_err(|e| io_err(&index_path, e))?;
    let mut labels = Vec::new();
    for (i, row) in reader.deserialize::<WindowLabel>().enumerate() {
        let label = row.map_err(|e| io_err(&index_path, format!("line {}: {e}", i + 2)))?;
        if label.label < 0 {
            return Err(io_err(&index_path, format!("line {}: negative label {}", i + 2, label.label)));
        }
        labels.push(label);
    }
    let windows_path = dir.join(WINDOWS_FILE);
    let bytes = std::fs::read(&windows_path).map_err(|e| io_err(&windows_path, e))?;
    let expected = labels.len() * WINDOW_SAMPLES * 3 * 4;
    if bytes.len() != expected {
        return Err(io_err(
            &windows_path,
            format!("{} bytes, but {} rows of {} need {expected} (n x 1000 x 3 little-endian f32)", bytes.len(), labels.len(), index_path.display()),
        ));
    }
    let samples = bytes
        .chunks_exact(12)
        .map(|b| {
            let f = |k: usize| f32::from_le_bytes([b[4 * k], b[4 * k + 1], b[4 * k + 2], b[4 * k + 3]]);
            [f(0), f(1), f(2)]
        })
        .collect();
    Ok(Dataset { labels, samples })
}

/// Writes `data` into the directory `dir` (created if needed), replacing a
/// dataset there. Each file is written under a temporary name and renamed.
pub fn write_dataset(dir: impl AsRef<Path>, data: &Dataset) -> Result<(), CnqError> {
    let dir = dir.as_ref();
    let write_err = |path: &Path, e: &dyn std::fmt::Display| CnqError::Write { path: path.to_path_buf(), message: e.to_string() };
    std::fs::create_dir_all(dir).map_err(|e| write_err(dir, &e))?;
    if data.samples.len() != data.labels.len() * WINDOW_SAMPLES {
        return Err(write_err(dir, &"samples and labels disagree in length"));
    }
    let windows_path = dir.join(WINDOWS_FILE);
    let mut bytes = Vec::with_capacity(data.samples.len() * 12);
    for s in &data.samples {
        for v in s {
            bytes.extend_from_slice(&v.to_le_bytes());
        }
    }
    write_atomically(&windows_path, &bytes).map_err(|e| write_err(&windows_path, &e))?;
    let index_path = dir.join(INDEX_FILE);
    let mut w = csv::Writer::from_writer(Vec::new());
    for l in &data.labels {
        w.serialize(l).map_err(|e| write_err(&index_path, &e))?;
    }
    if data.labels.is_empty() {
        w.write_record(["label", "cluster_id", "start_time", "station", "origin"]).map_err(|e| write_err(&index_path, &e))?;
    }
    let text = w.into_inner().map_err(|e| write_err(&index_path, &e))?;
    write_atomically(&index_path, &text).map_err(|e| write_err(&index_path, &e))
}

/// Writes `bytes` to `path` through a temporary sibling and a rename.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let tmp: PathBuf = path.with_extension(format!("{}.tmp", path.extension().and_then(|e| e.to_str()).unwrap_or("")));
    {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, path)
}

/// Starts (sample indices) of 1000-sample windows that fit in `len`
/// samples, every `step` samples from 0 (`step >= 1`).
pub fn window_starts(len: usize, step: usize) -> Vec<usize> {
    if len < WINDOW_SAMPLES {
        return Vec::new();
    }
    (0..=len - WINDOW_SAMPLES).step_by(step.max(1)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn write_then_read_is_identity() {
        let dir = tempfile::tempdir().unwrap();
        let t0 = Utc.with_ymd_and_hms(2024, 3, 1, 12, 0, 0).unwrap();
        let mut d = Dataset::default();
        let w1: Vec<[f32; 3]> = (0..WINDOW_SAMPLES).map(|i| [i as f32, -(i as f32) * 0.5, 1e-7 * i as f32]).collect();
        let w2: Vec<[f32; 3]> = (0..WINDOW_SAMPLES).map(|i| [(i as f32).sin(), 2.0, f32::MIN_POSITIVE]).collect();
        d.push(WindowLabel::event(2, t0, "XX.SYN.", "2024-03-01T11:59:58Z"), &w1).unwrap();
        d.push(WindowLabel::noise(t0 + chrono::Duration::seconds(30), "XX.SYN."), &w2).unwrap();
        write_dataset(dir.path(), &d).unwrap();
        let back = read_dataset(dir.path()).unwrap();
        assert_eq!(back, d);
        assert_eq!(back.labels[0].label, 3);
        assert_eq!(back.labels[1].cluster_id, -1);
    }

    #[test]
    fn truncated_samples_file_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let t0 = Utc.with_ymd_and_hms(2024, 3, 1, 12, 0, 0).unwrap();
        let mut d = Dataset::default();
        d.push(WindowLabel::noise(t0, "XX.SYN."), &vec![[0.0; 3]; WINDOW_SAMPLES]).unwrap();
        write_dataset(dir.path(), &d).unwrap();
        let p = dir.path().join(WINDOWS_FILE);
        let bytes = std::fs::read(&p).unwrap();
        std::fs::write(&p, &bytes[..bytes.len() - 4]).unwrap();
        let err = read_dataset(dir.path()).unwrap_err().to_string();
        assert!(err.contains("windows.f32") && err.contains("11996 bytes"), "{err}");
    }

    #[test]
    fn wrong_window_length_is_refused() {
        let mut d = Dataset::default();
        let err = d.push(WindowLabel::noise(DateTime::<Utc>::UNIX_EPOCH, "X"), &[[0.0; 3]; 999]).unwrap_err();
        assert!(matches!(err, CnqError::WindowLength { len: 999, .. }));
    }

    #[test]
    fn window_starts_fit() {
        assert_eq!(window_starts(999, 100), Vec::<usize>::new());
        assert_eq!(window_starts(1000, 100), vec![0]);
        assert_eq!(window_starts(2500, 500), vec![0, 500, 1000, 1500]);
    }
}
