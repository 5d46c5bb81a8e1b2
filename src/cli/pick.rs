//! `eqnemix pick`: EQTransformer detections and P/S picks from miniSEED.
//!
//! Reads one or more miniSEED files, takes the three components of one
//! station, pre-processes them as the original EQTransformer predictor, in
//! its order ([`PreprocessOptions::eqtransformer`]: demean, 1-45 Hz
//! zero-phase band-pass, 0.1 % cosine taper of at most 2 s, linear
//! interpolation to 100 Hz), runs the network over overlapping 60 s windows,
//! and writes the picks as EQTransformer's `X_prediction_results.csv` (plus
//! the pick timing uncertainties in seconds).
//!
//! Detections follow the original's per-window rule by default (`--merge
//! per-window`, [`Merge::PerWindow`]): the detection and pick rules run on
//! each window on its own, and a detection that starts less than 2 s from
//! one already reported (the same event seen by the next, overlapping
//! window) is dropped. `--merge mean` and `--merge max` are departures from
//! the original: they merge the windows' probabilities per sample before
//! picking, and the mean dilutes an event that only one of two
//! overlapping windows sees.
//!
//! With `--back-azimuth` each detection with a P pick also gets the P-wave
//! back-azimuth from the three-component polarisation of the raw records
//! ([`crate::polarisation`], default window: 1 s from 0.05 s before the P
//! pick, ended before the S pick) in two extra columns
//! `back_azimuth_deg,sigma_back_azimuth_deg` (degrees clockwise from north,
//! station to event), which `eqnemix locate` reads
//! ([`crate::locate::inputs::read_eqtransformer_picks`]); empty when the
//! window does not fit the record.
//!
//! With `--mc-dropout N` the Monte-Carlo-dropout model runs N passes per
//! window (the original's `estimate_uncertainty`): picks come from the mean
//! traces (per window with `--merge per-window`) and the `*_uncertainty`
//! columns hold the standard deviations (of the window the detection was
//! kept from).
//!
//! ```text
//! eqnemix pick day.mseed --station XX.SYN -o picks.csv
//! eqnemix pick day.mseed --station XX.SYN --back-azimuth -o picks_baz.csv
//! eqnemix pick day.mseed --station XX.SYN --mc-dropout 20 --seed 7 -o picks_mc.csv
//! ```

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use clap::Args;

use eqnemix_models::eqtransformer::{
    ContinuousConfig, Detection, EqTransformer, McUncertainty, Merge, PickerConfig, PredictionRow, StationInfo,
    PREDICTION_COLUMNS,
};
use crate::polarisation::{p_wave_polarisation_3c, Polarisation, PolarisationWindow};
use eqnemix_models::waveform::{read_mseed, PreprocessOptions, Stream, ThreeComponent};

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
    /// EQTransformer ONNX model (default: the bundled one; with
    /// --mc-dropout, the bundled Monte-Carlo-dropout model).
    #[arg(long)]
    pub model: Option<PathBuf>,

    /// Detection threshold (probability).
    #[arg(long, default_value_t = PickerConfig::default().detection_threshold)]
    pub detection_threshold: f32,
    /// P pick threshold (probability).
    #[arg(long = "P-threshold", alias = "p-threshold", default_value_t = PickerConfig::default().p_threshold)]
    pub p_threshold: f32,
    /// S pick threshold (probability).
    #[arg(long = "S-threshold", alias = "s-threshold", default_value_t = PickerConfig::default().s_threshold)]
    pub s_threshold: f32,
    /// Fraction of overlap between consecutive 60 s windows.
    #[arg(long, default_value_t = ContinuousConfig::default().overlap)]
    pub overlap: f64,
    /// How detections are taken from overlapping windows. per-window (the
    /// original EQTransformer's rule): detections and picks from each window
    /// separately, a detection starting less than 2 s from one already
    /// reported dropped. mean, max: NOT the original's rule; the windows'
    /// probabilities are averaged (or maximised) per sample first, and the
    /// mean dilutes events that sit in a window overlap.
    #[arg(long, default_value = DEFAULT_MERGE, value_parser = ["per-window", "mean", "max"])]
    pub merge: String,
    /// Windows per network batch.
    #[arg(long, default_value_t = DEFAULT_BATCH_SIZE)]
    pub batch_size: usize,
    /// Also measure the P back-azimuth from the three-component polarisation
    /// (columns back_azimuth_deg, sigma_back_azimuth_deg).
    #[arg(long)]
    pub back_azimuth: bool,
}

/// Default of `--merge`: the original's per-window rule.
const DEFAULT_MERGE: &str = Merge::PerWindow.name();
/// Default of `--batch-size`.
const DEFAULT_BATCH_SIZE: usize = 32;

/// Monte-Carlo-dropout options of `eqnemix pick` (kept out of [`PickArgs`],
/// which `eqnemix run` builds with [`PickArgs::with_defaults`]).
#[derive(Debug, Clone, Default, Args)]
pub struct McDropoutArgs {
    /// Monte-Carlo dropout: passes per window (0: off, else at least 2).
    #[arg(long, default_value_t = 0)]
    pub mc_dropout: usize,
    /// Seed of the Monte-Carlo dropout masks (same seed, same output).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
}

/// `eqnemix pick` as parsed from the command line.
#[derive(Debug, Args)]
pub struct PickCommand {
    #[command(flatten)]
    pub pick: PickArgs,
    #[command(flatten)]
    pub mc: McDropoutArgs,
}

impl PickCommand {
    /// Runs `eqnemix pick`.
    pub fn run(self) -> anyhow::Result<()> {
        self.pick.run_with(&self.mc)
    }
}

/// The three components of one station in `files` (any number of records,
/// gaps and overlaps), as read, before any pre-processing. `station` is
/// `NET.STA[.LOC]`, optional when the files hold one station. `eqnemix
/// pick`, the ConvNetQuake commands and `eqnemix run` read records through it.
pub fn read_station_3c(files: &[PathBuf], station: Option<&str>) -> anyhow::Result<ThreeComponent> {
    let mut stream: Option<Stream> = None;
    for path in files {
        let s = read_mseed(path).with_context(|| format!("reading {}", path.display()))?;
        match stream.as_mut() {
            None => stream = Some(s),
            Some(all) => all.traces.extend(s.traces),
        }
    }
    let stream = stream.context("no miniSEED input")?;
    let (net, sta, loc) = match station {
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
    stream.select_station_3c(&net, &sta, loc.as_deref()).with_context(|| format!("selecting the three components of {net}.{sta}"))
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
    /// The arguments of `eqnemix pick MSEED… --output OUTPUT` with every
    /// other flag at its default (the original predictor's thresholds).
    pub fn with_defaults(mseed: Vec<PathBuf>, station: Option<String>, output: PathBuf, model: Option<PathBuf>) -> Self {
        let picker = PickerConfig::default();
        PickArgs {
            mseed,
            station,
            output,
            model,
            detection_threshold: picker.detection_threshold,
            p_threshold: picker.p_threshold,
            s_threshold: picker.s_threshold,
            overlap: ContinuousConfig::default().overlap,
            merge: DEFAULT_MERGE.into(),
            batch_size: DEFAULT_BATCH_SIZE,
            back_azimuth: false,
        }
    }

    /// Read, pre-process, predict, pick, write (Monte-Carlo dropout off).
    pub fn run(self) -> anyhow::Result<()> {
        self.run_with(&McDropoutArgs::default())
    }

    /// [`PickArgs::run`] with Monte-Carlo-dropout options.
    pub fn run_with(self, mc_args: &McDropoutArgs) -> anyhow::Result<()> {
        // Fail before reading the records and running the network.
        crate::io::check_writable_parent(&self.output).with_context(|| format!("--output {}", self.output.display()))?;
        let three = read_station_3c(&self.mseed, self.station.as_deref())?;
        self.run_on(three, mc_args)
    }

    /// [`PickArgs::run_with`] on records already read with
    /// [`read_station_3c`] (`mseed` then only names them in the output).
    pub fn run_on(self, three: ThreeComponent, mc_args: &McDropoutArgs) -> anyhow::Result<()> {
        crate::io::check_writable_parent(&self.output).with_context(|| format!("--output {}", self.output.display()))?;
        let mut id = three.station.split('.');
        let (net, sta) = (id.next().unwrap_or("").to_string(), id.next().unwrap_or("").to_string());
        // The original predictor's chain in its order: demean, band-pass,
        // then the cosine taper of 0.1 % of the record at each end but at
        // most 2 s, then 100 Hz. The network is sensitive to the edge
        // transient: a 0.5 % taper moved the P pick of a real record by 0.28 s.
        let duration_s = three.len() as f64 / three.sampling_rate;
        let options = PreprocessOptions::eqtransformer(duration_s);
        let ready = three.preprocess(&options).context("pre-processing the waveforms")?;
        let data: Vec<[f32; 3]> = (0..ready.len()).map(|i| [ready.e[i] as f32, ready.n[i] as f32, ready.z[i] as f32]).collect();

        let mc = mc_args.mc_dropout > 0;
        if mc_args.mc_dropout == 1 {
            bail!("--mc-dropout 1: Monte-Carlo dropout needs at least 2 passes (0 turns it off)");
        }
        let model_path = self.model.clone().unwrap_or_else(if mc {
            EqTransformer::bundled_mc_model_path
        } else {
            EqTransformer::bundled_model_path
        });
        let model = if mc {
            EqTransformer::load_mc_dropout(&model_path)
        } else {
            EqTransformer::load(&model_path)
        };
        let mut model = model.with_context(|| format!("loading {}", model_path.display()))?.with_batch_size(self.batch_size);
        let config = ContinuousConfig {
            overlap: self.overlap,
            merge: self.merge.parse::<Merge>().map_err(anyhow::Error::msg)?,
            picker: PickerConfig {
                detection_threshold: self.detection_threshold,
                p_threshold: self.p_threshold,
                s_threshold: self.s_threshold,
            },
        };
        let (detections, n_windows): (Vec<(Detection, Option<McUncertainty>)>, usize) = if mc {
            let prediction = model
                .predict_continuous_mc(&data, &config, mc_args.mc_dropout, mc_args.seed)
                .context("running EQTransformer with Monte-Carlo dropout")?;
            let d = prediction.detections(&config.picker).into_iter().map(|(d, u)| (d, Some(u))).collect();
            (d, prediction.mean.window_starts.len())
        } else {
            let prediction = model.predict_continuous(&data, &config).context("running EQTransformer")?;
            let d = prediction.detections(&config.picker).into_iter().map(|d| (d, None)).collect();
            (d, prediction.window_starts.len())
        };

        let station = StationInfo {
            file_name: self.mseed.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(";"),
            network: net.clone(),
            station: sta.clone(),
            instrument_type: ready.channels[0].chars().take(2).collect(),
            ..Default::default()
        };
        let rows: Vec<PredictionRow> = detections
            .iter()
            .map(|(d, u)| {
                let row = PredictionRow::from_detection(&station, ready.start, &data, d);
                match u {
                    Some(u) => row.with_mc_uncertainty(u),
                    None => row,
                }
            })
            .collect();
        if self.back_azimuth {
            let window = PolarisationWindow::default();
            let measured: Vec<Option<Polarisation>> = rows
                .iter()
                .map(|r| {
                    let p = r.p_arrival_time?;
                    match p_wave_polarisation_3c(&three, p, r.s_arrival_time, &window) {
                        Ok(m) => Some(m),
                        Err(e) => {
                            eprintln!("warning: no back-azimuth for the P pick at {p}: {e}");
                            None
                        }
                    }
                })
                .collect();
            write_predictions_with_back_azimuth(&self.output, &rows, &measured)
        } else {
            eqnemix_models::eqtransformer::write_predictions_file(&self.output, &rows).map_err(anyhow::Error::from)
        }
        .with_context(|| format!("writing {}", self.output.display()))?;
        outln!(
            "{}.{}: {:.1} h of data, {} windows, {} detections -> {}",
            net,
            sta,
            data.len() as f64 / 360_000.0,
            n_windows,
            rows.len(),
            self.output.display()
        );
        Ok(())
    }
}

/// Write `rows` as `X_prediction_results.csv` ([`PREDICTION_COLUMNS`]) plus
/// the columns `back_azimuth_deg,sigma_back_azimuth_deg` (degrees; empty
/// where `back_azimuths[i]` is `None`), atomically.
pub fn write_predictions_with_back_azimuth(
    path: &Path,
    rows: &[PredictionRow],
    back_azimuths: &[Option<Polarisation>],
) -> anyhow::Result<()> {
    if rows.len() != back_azimuths.len() {
        bail!("{} rows but {} back-azimuth entries", rows.len(), back_azimuths.len());
    }
    crate::io::atomic::write_atomic(path, |out| {
        let mut w = csv::Writer::from_writer(out);
        let mut header: Vec<&str> = PREDICTION_COLUMNS.to_vec();
        header.extend(["back_azimuth_deg", "sigma_back_azimuth_deg"]);
        w.write_record(&header)?;
        for (row, baz) in rows.iter().zip(back_azimuths) {
            let mut rec = row.to_record();
            match baz {
                Some(b) => rec.extend([format!("{:.2}", b.back_azimuth_deg), format!("{:.2}", b.sigma_back_azimuth_deg)]),
                None => rec.extend([String::new(), String::new()]),
            }
            w.write_record(&rec)?;
        }
        w.flush()
    })?;
    Ok(())
}
