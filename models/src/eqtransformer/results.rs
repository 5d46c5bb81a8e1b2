//! Picks as rows of EQTransformer's `X_prediction_results.csv`.
//!
//! The first 19 columns are the original predictor's, in its order and with
//! its rounding (probabilities to 2 decimals, SNR to 0.1 dB, times as
//! `YYYY-MM-DD HH:MM:SS.ffffff` UTC). The original fills the `*_uncertainty`
//! columns only with Monte-Carlo dropout (standard deviation of the
//! probability); they stay empty here unless a caller sets them. Two columns
//! are appended: `p_time_uncertainty_s` and `s_time_uncertainty_s`, the timing
//! uncertainty in seconds from the width of the probability peak
//! ([`peak_sigma_samples`](super::peak_sigma_samples)), or, with
//! Monte-Carlo dropout, the spread of the pick times over the passes
//! ([`pick_time_spread`](super::pick_time_spread)).

use std::io::Write;
use std::path::Path;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::error::EqtError;
use super::mc_dropout::McUncertainty;
use super::model::SAMPLING_RATE_HZ;
use super::picker::{snr_db_in, Detection};

/// The column names, in order.
pub const PREDICTION_COLUMNS: [&str; 21] = [
    "file_name",
    "network",
    "station",
    "instrument_type",
    "station_lat",
    "station_lon",
    "station_elv",
    "event_start_time",
    "event_end_time",
    "detection_probability",
    "detection_uncertainty",
    "p_arrival_time",
    "p_probability",
    "p_uncertainty",
    "p_snr",
    "s_arrival_time",
    "s_probability",
    "s_uncertainty",
    "s_snr",
    "p_time_uncertainty_s",
    "s_time_uncertainty_s",
];

/// What the rows say about the record and station.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StationInfo {
    /// Name of the input (file or stream id).
    pub file_name: String,
    /// Network code.
    pub network: String,
    /// Station code.
    pub station: String,
    /// Channel prefix, e.g. `HH`.
    pub instrument_type: String,
    /// Latitude, degrees north.
    pub latitude: Option<f64>,
    /// Longitude, degrees east.
    pub longitude: Option<f64>,
    /// Elevation, m.
    pub elevation_m: Option<f64>,
}

/// One row of `X_prediction_results.csv`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PredictionRow {
    /// Station and record.
    pub station: StationInfo,
    /// First sample of the detection, UTC.
    pub event_start_time: DateTime<Utc>,
    /// Last sample of the detection, UTC.
    pub event_end_time: DateTime<Utc>,
    /// Mean detection probability.
    pub detection_probability: f32,
    /// Standard deviation of the detection probability (MC dropout only).
    pub detection_uncertainty: Option<f32>,
    /// P arrival, UTC.
    pub p_arrival_time: Option<DateTime<Utc>>,
    /// P probability at the pick.
    pub p_probability: Option<f32>,
    /// Standard deviation of the P probability (MC dropout only).
    pub p_uncertainty: Option<f32>,
    /// P signal-to-noise ratio, dB.
    pub p_snr: Option<f64>,
    /// S arrival, UTC.
    pub s_arrival_time: Option<DateTime<Utc>>,
    /// S probability at the pick.
    pub s_probability: Option<f32>,
    /// Standard deviation of the S probability (MC dropout only).
    pub s_uncertainty: Option<f32>,
    /// S signal-to-noise ratio, dB.
    pub s_snr: Option<f64>,
    /// P timing uncertainty, s.
    pub p_time_uncertainty_s: Option<f64>,
    /// S timing uncertainty, s.
    pub s_time_uncertainty_s: Option<f64>,
}

/// UTC time of sample `i` of data that starts at `start` (100 Hz).
pub fn sample_time(start: DateTime<Utc>, i: usize) -> DateTime<Utc> {
    start + Duration::microseconds((i as f64 * 1e6 / SAMPLING_RATE_HZ).round() as i64)
}

impl PredictionRow {
    /// The row of a detection in data `[E, N, Z]` that starts at `start`.
    /// The SNR is computed on `data` around each pick (100 samples each
    /// side, as the original).
    pub fn from_detection(station: &StationInfo, start: DateTime<Utc>, data: &[[f32; 3]], d: &Detection) -> Self {
        Self::from_detection_in(station, start, data, 0, data.len(), d)
    }

    /// [`PredictionRow::from_detection`] for data of `n_samples` starting at
    /// `start` of which `data` holds samples `offset..offset + data.len()`
    /// (it must hold 100 samples either side of each pick for the SNR).
    pub fn from_detection_in(station: &StationInfo, start: DateTime<Utc>, data: &[[f32; 3]], offset: usize, n_samples: usize, d: &Detection) -> Self {
        let secs = |samples: f64| samples / SAMPLING_RATE_HZ;
        Self {
            station: station.clone(),
            event_start_time: sample_time(start, d.start),
            event_end_time: sample_time(start, d.end),
            detection_probability: d.probability,
            detection_uncertainty: None,
            p_arrival_time: d.p.map(|p| sample_time(start, p.sample)),
            p_probability: d.p.map(|p| p.probability),
            p_uncertainty: None,
            p_snr: d.p.and_then(|p| snr_db_in(data, offset, n_samples, p.sample, 100)),
            s_arrival_time: d.s.map(|s| sample_time(start, s.sample)),
            s_probability: d.s.map(|s| s.probability),
            s_uncertainty: None,
            s_snr: d.s.and_then(|s| snr_db_in(data, offset, n_samples, s.sample, 100)),
            p_time_uncertainty_s: d.p.map(|p| secs(p.sigma_samples)),
            s_time_uncertainty_s: d.s.map(|s| secs(s.sigma_samples)),
        }
    }

    /// Fills the original's uncertainty columns (Monte-Carlo dropout) and,
    /// where measured, the time-uncertainty columns with the pick-time
    /// spreads.
    pub fn with_mc_uncertainty(mut self, u: &McUncertainty) -> Self {
        self.detection_uncertainty = Some(u.detection);
        self.p_uncertainty = u.p;
        self.s_uncertainty = u.s;
        // The pick-time sigmas from where the passes put the picks replace
        // the peak widths when they were measured.
        if let Some(t) = u.p_time_s {
            self.p_time_uncertainty_s = Some(t as f64);
        }
        if let Some(t) = u.s_time_s {
            self.s_time_uncertainty_s = Some(t as f64);
        }
        self
    }

    /// The row's fields as CSV text, in [`PREDICTION_COLUMNS`] order.
    pub fn to_record(&self) -> Vec<String> {
        let time = |t: &DateTime<Utc>| t.format("%Y-%m-%d %H:%M:%S%.6f").to_string();
        let opt_time = |t: &Option<DateTime<Utc>>| t.as_ref().map(time).unwrap_or_default();
        let p2 = |x: f32| format!("{:.2}", x);
        let opt = |x: Option<f32>, f: &dyn Fn(f32) -> String| x.map(f).unwrap_or_default();
        let num = |x: Option<f64>| x.map(|v| v.to_string()).unwrap_or_default();
        let st = &self.station;
        vec![
            st.file_name.clone(),
            st.network.clone(),
            st.station.clone(),
            st.instrument_type.clone(),
            num(st.latitude),
            num(st.longitude),
            num(st.elevation_m),
            time(&self.event_start_time),
            time(&self.event_end_time),
            p2(self.detection_probability),
            opt(self.detection_uncertainty, &p2),
            opt_time(&self.p_arrival_time),
            opt(self.p_probability, &p2),
            opt(self.p_uncertainty, &p2),
            self.p_snr.map(|v| format!("{v:.1}")).unwrap_or_default(),
            opt_time(&self.s_arrival_time),
            opt(self.s_probability, &p2),
            opt(self.s_uncertainty, &p2),
            self.s_snr.map(|v| format!("{v:.1}")).unwrap_or_default(),
            self.p_time_uncertainty_s.map(|v| format!("{v:.3}")).unwrap_or_default(),
            self.s_time_uncertainty_s.map(|v| format!("{v:.3}")).unwrap_or_default(),
        ]
    }
}

/// Writes rows as CSV with a header to any writer.
pub fn write_predictions<W: Write>(out: W, rows: &[PredictionRow]) -> Result<(), csv::Error> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(PREDICTION_COLUMNS)?;
    for r in rows {
        w.write_record(r.to_record())?;
    }
    w.flush()?;
    Ok(())
}

/// Writes rows to `path` through a temporary file in the same folder, renamed
/// into place when complete.
pub fn write_predictions_file(path: &Path, rows: &[PredictionRow]) -> Result<(), EqtError> {
    let err = |message: String| EqtError::Write {
        path: path.to_path_buf(),
        message,
    };
    let file_name = path.file_name().ok_or_else(|| err("not a file path".to_string()))?;
    let tmp = path.with_file_name(format!(".{}.tmp-{}", file_name.to_string_lossy(), std::process::id()));
    let result = (|| {
        let file = std::fs::File::create(&tmp).map_err(|e| err(e.to_string()))?;
        let mut buf = std::io::BufWriter::new(file);
        write_predictions(&mut buf, rows).map_err(|e| err(e.to_string()))?;
        buf.flush().map_err(|e| err(e.to_string()))?;
        buf.get_ref().sync_all().map_err(|e| err(e.to_string()))?;
        std::fs::rename(&tmp, path).map_err(|e| err(e.to_string()))
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eqtransformer::picker::Pick;

    #[test]
    fn row_has_the_original_columns_and_rounding() {
        let start: DateTime<Utc> = "2005-07-23T14:52:04Z".parse().unwrap();
        let data: Vec<[f32; 3]> = (0..1000).map(|i| if i < 500 { [1.0; 3] } else { [10.0; 3] }).collect();
        let det = Detection {
            start: 450,
            end: 800,
            probability: 0.876,
            p: Some(Pick {
                sample: 500,
                probability: 0.914,
                sigma_samples: 4.0,
            }),
            s: None,
        };
        let station = StationInfo {
            file_name: "x.mseed".into(),
            network: "XX".into(),
            station: "CER".into(),
            instrument_type: "BH".into(),
            ..Default::default()
        };
        let row = PredictionRow::from_detection(&station, start, &data, &det);
        let mut buf = Vec::new();
        write_predictions(&mut buf, &[row]).unwrap();
        let text = String::from_utf8(buf).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], PREDICTION_COLUMNS.join(","));
        assert_eq!(
            lines[1],
            "x.mseed,XX,CER,BH,,,,2005-07-23 14:52:08.500000,2005-07-23 14:52:12.000000,0.88,,\
             2005-07-23 14:52:09.000000,0.91,,20.0,,,,,0.040,"
        );
    }

    #[test]
    fn file_is_written_whole_or_not_at_all() {
        let dir = std::env::temp_dir().join(format!("eqnemix-eqt-csv-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("X_prediction_results.csv");
        write_predictions_file(&path, &[]).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap().trim(), PREDICTION_COLUMNS.join(","));
        let err = write_predictions_file(&dir.join("missing-dir").join("x.csv"), &[]).unwrap_err();
        assert!(err.to_string().contains("missing-dir"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
