//! `eqnemix pick`: EQTransformer detections and P/S picks from miniSEED.
//!
//! Reads one or more miniSEED files, takes the three components of one
//! station, pre-processes them as the original EQTransformer predictor
//! (linear detrend, taper, 1-45 Hz zero-phase band-pass, 100 Hz), runs the
//! network over overlapping 60 s windows, and writes the picks as
//! EQTransformer's `X_prediction_results.csv` (plus the pick timing
//! uncertainties in seconds).
//!
//! ```text
//! eqnemix pick day.mseed --station XX.SYN -o picks.csv
//! ```

use std::path::PathBuf;

use anyhow::{bail, Context};
use clap::Args;

use eqnemix_models::eqtransformer::{ContinuousConfig, EqTransformer, Merge, PickerConfig, PredictionRow, StationInfo};
use eqnemix_models::waveform::{read_mseed, PreprocessOptions, Stream};

/// Arguments of `eqnemix pick`.
#[derive(Debug, Args)]
pub struct PickArgs {
    /// miniSEED files with the station's three components (any number of
    /// records, gaps and overlaps).
    #[arg(required = true)]
    pub mseed: Vec<PathBuf>,
    /// Station as NET.STA or NET.STA.LOC; optional when the files hold one station.
    #[arg(long)]
    pub station: Option<String>,
    /// Output CSV (X_prediction_results.csv columns).
    #[arg(short, long, default_value = "X_prediction_results.csv")]
    pub output: PathBuf,
    /// EQTransformer ONNX model (default: the bundled one).
    #[arg(long)]
    pub model: Option<PathBuf>,
    /// Detection threshold (probability).
    #[arg(long, default_value_t = 0.3)]
    pub detection_threshold: f32,
    /// P pick threshold (probability).
    #[arg(long = "P-threshold", alias = "p-threshold", default_value_t = 0.1)]
    pub p_threshold: f32,
    /// S pick threshold (probability).
    #[arg(long = "S-threshold", alias = "s-threshold", default_value_t = 0.1)]
    pub s_threshold: f32,
    /// Fraction of overlap between consecutive 60 s windows.
    #[arg(long, default_value_t = 0.3)]
    pub overlap: f64,
    /// How overlapping window predictions are merged: mean or max.
    #[arg(long, default_value = "mean", value_parser = ["mean", "max"])]
    pub merge: String,
    /// Windows per network batch.
    #[arg(long, default_value_t = 32)]
    pub batch_size: usize,
}

/// Splits `NET.STA[.LOC]`.
fn parse_station(s: &str) -> anyhow::Result<(String, String, Option<String>)> {
    let parts: Vec<&str> = s.split('.').collect();
    match parts.as_slice() {
        [n, st] => Ok((n.to_string(), st.to_string(), None)),
        [n, st, loc] => Ok((n.to_string(), st.to_string(), Some(loc.to_string()))),
        _ => bail!("--station {s:?}: expected NET.STA or NET.STA.LOC"),
    }
}

impl PickArgs {
    /// Read, pre-process, predict, pick, write.
    pub fn run(self) -> anyhow::Result<()> {
        let mut stream: Option<Stream> = None;
        for path in &self.mseed {
            let s = read_mseed(path).with_context(|| format!("reading {}", path.display()))?;
            match stream.as_mut() {
                None => stream = Some(s),
                Some(all) => all.traces.extend(s.traces),
            }
        }
        let stream = stream.context("no miniSEED input")?;
        let (net, sta, loc) = match &self.station {
            Some(s) => parse_station(s)?,
            None => {
                let mut ids: Vec<(String, String)> = stream.traces.iter().map(|t| (t.id.network.clone(), t.id.station.clone())).collect();
                ids.sort();
                ids.dedup();
                match ids.as_slice() {
                    [(n, s)] => (n.clone(), s.clone(), None),
                    _ => bail!("the input holds {} stations ({ids:?}): choose one with --station NET.STA", ids.len()),
                }
            }
        };
        let three = stream
            .select_station_3c(&net, &sta, loc.as_deref())
            .with_context(|| format!("selecting the three components of {net}.{sta}"))?;
        let ready = three.preprocess(&PreprocessOptions::default()).context("pre-processing the waveforms")?;
        let data: Vec<[f32; 3]> = (0..ready.len()).map(|i| [ready.e[i] as f32, ready.n[i] as f32, ready.z[i] as f32]).collect();

        let model_path = self.model.clone().unwrap_or_else(EqTransformer::bundled_model_path);
        let mut model = EqTransformer::load(&model_path)
            .with_context(|| format!("loading {}", model_path.display()))?
            .with_batch_size(self.batch_size);
        let config = ContinuousConfig {
            overlap: self.overlap,
            merge: if self.merge == "max" { Merge::Max } else { Merge::Mean },
            picker: PickerConfig {
                detection_threshold: self.detection_threshold,
                p_threshold: self.p_threshold,
                s_threshold: self.s_threshold,
            },
        };
        let prediction = model.predict_continuous(&data, &config).context("running EQTransformer")?;
        let detections = prediction.detections(&config.picker);

        let station = StationInfo {
            file_name: self.mseed.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(";"),
            network: net.clone(),
            station: sta.clone(),
            instrument_type: ready.channels[0].chars().take(2).collect(),
            ..Default::default()
        };
        let rows: Vec<PredictionRow> = detections
            .iter()
            .map(|d| PredictionRow::from_detection(&station, ready.start, &data, d))
            .collect();
        eqnemix_models::eqtransformer::write_predictions_file(&self.output, &rows)
            .with_context(|| format!("writing {}", self.output.display()))?;
        println!(
            "{}.{}: {:.1} h of data, {} windows, {} detections -> {}",
            net,
            sta,
            data.len() as f64 / 360_000.0,
            prediction.window_starts.len(),
            rows.len(),
            self.output.display()
        );
        Ok(())
    }
}
