//! Rows of `eqnemix classify`: per-window class probabilities over
//! continuous data.
//!
//! CSV columns `start_time,end_time,clusters_prob,noise_prob`:
//! `start_time`/`end_time` are the UTC times (RFC 3339) of the first sample
//! and of the end of the 10 s window; `clusters_prob` is the list of the K
//! cluster probabilities renormalised to sum to 1 without the noise class,
//! written `"[p_0 p_1 ... p_K-1]"` (space separated, cluster ids 0..K as in
//! `catalog_with_cluster_ids.csv`); `noise_prob` is the network's noise
//! probability (class 0) before renormalisation.

use std::path::Path;

use chrono::{DateTime, SecondsFormat, Utc};

use super::error::CnqError;
use super::windows::write_atomically;

/// Column names of the classify CSV.
pub const CLASSIFY_COLUMNS: [&str; 4] = ["start_time", "end_time", "clusters_prob", "noise_prob"];

/// One classified window.
#[derive(Debug, Clone, PartialEq)]
pub struct ClassifiedWindow {
    /// Time of the first sample (UTC).
    pub start_time: DateTime<Utc>,
    /// End of the window (UTC).
    pub end_time: DateTime<Utc>,
    /// The K cluster probabilities renormalised without noise (sum 1).
    pub clusters_prob: Vec<f64>,
    /// The network's noise probability.
    pub noise_prob: f64,
}

impl ClassifiedWindow {
    /// From the network output `[p_noise, p_0, ..., p_K-1]`. When every
    /// cluster probability is zero the renormalised list is uniform.
    pub fn from_probabilities(start_time: DateTime<Utc>, end_time: DateTime<Utc>, p: &[f32]) -> Self {
        let clusters: Vec<f64> = p[1..].iter().map(|&v| v as f64).collect();
        let sum: f64 = clusters.iter().sum();
        let k = clusters.len() as f64;
        let clusters_prob = if sum > 0.0 { clusters.iter().map(|v| v / sum).collect() } else { vec![1.0 / k; clusters.len()] };
        Self { start_time, end_time, clusters_prob, noise_prob: p[0] as f64 }
    }

    /// The `clusters_prob` cell, `"[p_0 p_1 ...]"`.
    pub fn clusters_prob_cell(&self) -> String {
        let parts: Vec<String> = self.clusters_prob.iter().map(|v| format!("{v:.6}")).collect();
        format!("[{}]", parts.join(" "))
    }
}

/// Writes the rows as CSV (temporary file, then rename).
pub fn write_classified(path: impl AsRef<Path>, rows: &[ClassifiedWindow]) -> Result<(), CnqError> {
    let path = path.as_ref();
    let err = |e: &dyn std::fmt::Display| CnqError::Write { path: path.to_path_buf(), message: e.to_string() };
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(CLASSIFY_COLUMNS).map_err(|e| err(&e))?;
    for r in rows {
        w.write_record([
            r.start_time.to_rfc3339_opts(SecondsFormat::Millis, true),
            r.end_time.to_rfc3339_opts(SecondsFormat::Millis, true),
            r.clusters_prob_cell(),
            format!("{:.6}", r.noise_prob),
        ])
        .map_err(|e| err(&e))?;
    }
    let bytes = w.into_inner().map_err(|e| err(&e))?;
    write_atomically(path, &bytes).map_err(|e| err(&e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn renormalises_without_noise_and_writes_the_list() {
        let t0 = Utc.with_ymd_and_hms(2024, 1, 2, 3, 4, 5).unwrap();
        let r = ClassifiedWindow::from_probabilities(t0, t0 + chrono::Duration::seconds(10), &[0.5, 0.125, 0.375]);
        assert_eq!(r.clusters_prob, vec![0.25, 0.75]);
        assert_eq!(r.noise_prob, 0.5);
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("c.csv");
        write_classified(&p, &[r]).unwrap();
        let text = std::fs::read_to_string(&p).unwrap();
        assert_eq!(
            text,
            "start_time,end_time,clusters_prob,noise_prob\n2024-01-02T03:04:05.000Z,2024-01-02T03:04:15.000Z,[0.250000 0.750000],0.500000\n"
        );
        let u = ClassifiedWindow::from_probabilities(t0, t0, &[1.0, 0.0, 0.0, 0.0, 0.0]);
        assert_eq!(u.clusters_prob, vec![0.25; 4]);
    }
}
