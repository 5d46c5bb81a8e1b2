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
//! Long records are processed in bounded memory ([`eqnemix_models::waveform::archive`]):
//! the files are indexed record by record, a gap in a channel longer than
//! `--max-gap-s` (default 60 s) splits the station's records into segments
//! that are picked separately (shorter gaps are filled by linear
//! interpolation, as before), and with the per-window rule each segment is
//! read, pre-processed and run `--chunk-s` (default 3600 s) of windows at a
//! time, with a 30 s margin of real data either side of each chunk for the
//! band-pass; the picks equal those of pre-processing and running the whole
//! segment at once up to floating-point rounding of the filter (identical on
//! the 4 h sample). `--merge mean|max` still pre-processes and predicts each
//! segment whole (memory grows with the segment). A record dated before
//! 1900 or after 2199, or more than `--max-isolation-days` (default 7) from
//! every other record of its channel, is an error naming its file, index
//! and byte offset.
//!
//! With `--back-azimuth` each detection with a P pick also gets the P-wave
//! back-azimuth from the three-component polarisation of the raw records
//! ([`crate::polarisation`], default window: 0.5 s from 0.05 s before the P
//! pick, ended before the S pick; calibrated on real records) in three extra columns
//! `back_azimuth_deg,sigma_back_azimuth_deg,p_flip_back_azimuth` (degrees
//! clockwise from north, station to event; the sigma of the main lobe; the
//! probability that the back-azimuth is 180° off, which the likelihood
//! carries as a second lobe), which `eqnemix locate` reads
//! ([`crate::locate::inputs::read_eqtransformer_picks`]); empty (and a
//! warning) when the window does not fit the record or a quality gate fails.
//!
//! With `--mc-dropout N` the Monte-Carlo-dropout model runs N passes per
//! window (the original's `estimate_uncertainty`): picks come from the mean
//! traces (per window with `--merge per-window`) and the `*_uncertainty`
//! columns hold the standard deviations of the probabilities (of the window
//! the detection was kept from). The time-uncertainty columns
//! (`p_time_uncertainty_s`, `s_time_uncertainty_s`, the pick sigmas
//! `eqnemix locate` reads) then hold the standard deviation of the pick time
//! over the passes, each pass picked on its own
//! ([`eqnemix_models::eqtransformer::pick_time_spread`]), instead of the
//! width of the mean probability peak: N more network passes per detection.
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
use crate::memory_budget::{
    ceil_count, format_count, mul, MemoryBudget, PICK_BYTES_PER_BATCH_WINDOW, PICK_BYTES_PER_SECOND, PICK_BYTES_PER_WINDOW,
    PICK_MC_BYTES_PER_WINDOW,
};
use eqnemix_models::eqtransformer::{CONTEXT_SAMPLES, WINDOW_SAMPLES};
use eqnemix_models::waveform::{Archive, PreprocessOptions, ReadLimits, Segment, ThreeComponent, WaveformError, DEFAULT_MAX_GAP_S, DEFAULT_MAX_ISOLATION_S};

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
    /// (columns back_azimuth_deg, sigma_back_azimuth_deg, p_flip_back_azimuth).
    #[arg(long)]
    pub back_azimuth: bool,
    /// Longest gap (s) inside a channel that is filled by linear
    /// interpolation; a longer gap splits the records into segments that are
    /// picked separately.
    #[arg(long, default_value_t = DEFAULT_MAX_GAP_S)]
    pub max_gap_s: f64,
    /// A record more than this many days from every other record of its
    /// channel is refused as mis-dated (error naming file, record and byte
    /// offset).
    #[arg(long, default_value_t = DEFAULT_MAX_ISOLATION_S / 86_400.0)]
    pub max_isolation_days: f64,
    /// Seconds of windows read, pre-processed and run at a time (per-window
    /// rule; memory does not grow with the record). Picks do not depend on
    /// it beyond floating-point rounding.
    #[arg(long, default_value_t = DEFAULT_CHUNK_S)]
    pub chunk_s: f64,
}

/// Default of `--chunk-s`: an hour of windows.
pub const DEFAULT_CHUNK_S: f64 = 3600.0;

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
/// gaps of at most 60 s and overlaps), as read, before any pre-processing.
/// `station` is `NET.STA[.LOC]`, optional when the files hold one station.
/// The ConvNetQuake commands and `eqnemix run` read records through it;
/// records split by a longer gap are an error ([`WaveformError::Segmented`]):
/// `eqnemix pick` picks such segments separately. Mis-dated records are
/// refused as in `eqnemix pick` (default [`ReadLimits`]).
///
/// The records are read whole (and then pre-processed and picked or
/// classified whole): their memory, from the index, is checked against the
/// limit of [`super::memory_budget`] first ([`read_station_3c_within`] with
/// a given limit).
pub fn read_station_3c(files: &[PathBuf], station: Option<&str>) -> anyhow::Result<ThreeComponent> {
    read_station_3c_within(files, station, &super::memory_budget(None)?)
}

/// Memory of a record of `duration_s` seconds at `rate_hz` read whole,
/// pre-processed and picked whole by EQTransformer at the default overlap
/// (what `eqnemix run` does; ConvNetQuake's pre-processing needs less).
pub fn whole_record_bytes(duration_s: f64, rate_hz: f64) -> u128 {
    let rate_factor = (rate_hz / 100.0).max(1.0);
    let step_s = ContinuousConfig::default().step_samples() as f64 / 100.0;
    let windows = ceil_count(duration_s / step_s) + 1;
    mul(ceil_count(duration_s * rate_factor), PICK_BYTES_PER_SECOND).saturating_add(mul(windows, PICK_BYTES_PER_WINDOW))
}

/// [`read_station_3c`] with the memory limit `budget`, checked before the
/// records are read.
pub fn read_station_3c_within(files: &[PathBuf], station: Option<&str>, budget: &MemoryBudget) -> anyhow::Result<ThreeComponent> {
    let limits = ReadLimits::default();
    let (archive, segments) = station_segments(files, station, &limits)?;
    match segments.as_slice() {
        [one] => {
            budget.check(
                format!(
                    "the records of {} read whole ({:.1} h at {} Hz from {}, gaps of at most {} s filled)",
                    one.station,
                    one.duration_s() / 3600.0,
                    one.sampling_rate,
                    one.start.format("%Y-%m-%dT%H:%M:%SZ"),
                    limits.max_gap_s
                ),
                whole_record_bytes(one.duration_s(), one.sampling_rate),
            )?;
            Ok(archive.read(one, 0..one.len)?)
        }
        [] => bail!("the three components of the station never overlap in time"),
        many => {
            let gaps: Vec<String> = many
                .windows(2)
                .map(|w| format!("{} to {}", w[0].time_of(w[0].len - 1).format("%Y-%m-%dT%H:%M:%S%.3fZ"), w[1].start.format("%Y-%m-%dT%H:%M:%S%.3fZ")))
                .collect();
            Err(WaveformError::Segmented {
                station: many[0].station.clone(),
                count: many.len(),
                max_gap_s: limits.max_gap_s,
                gaps: gaps.join(", "),
            }
            .into())
        }
    }
}

/// Indexes `files` and cuts the station's records into continuous segments
/// (gaps over `limits.max_gap_s` split them). `station` as in
/// [`read_station_3c`].
pub fn station_segments(files: &[PathBuf], station: Option<&str>, limits: &ReadLimits) -> anyhow::Result<(Archive, Vec<Segment>)> {
    if files.is_empty() {
        bail!("no miniSEED input");
    }
    let archive = Archive::open(files, limits)?;
    let (net, sta, loc) = match station {
        Some(s) => parse_station(s)?,
        None => {
            let mut ids: Vec<(String, String)> = archive.ids().iter().map(|t| (t.network.clone(), t.station.clone())).collect();
            ids.sort();
            ids.dedup();
            match ids.as_slice() {
                [(n, s)] => (n.clone(), s.clone(), None),
                _ => bail!("the input holds {} stations ({ids:?}): choose one with --station NET.STA", ids.len()),
            }
        }
    };
    let segments = archive
        .station_segments(&net, &sta, loc.as_deref(), limits)
        .with_context(|| format!("selecting the three components of {net}.{sta}"))?;
    Ok((archive, segments))
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
            max_gap_s: DEFAULT_MAX_GAP_S,
            max_isolation_days: DEFAULT_MAX_ISOLATION_S / 86_400.0,
            chunk_s: DEFAULT_CHUNK_S,
        }
    }

    /// Read, pre-process, predict, pick, write (Monte-Carlo dropout off).
    pub fn run(self) -> anyhow::Result<()> {
        self.run_with(&McDropoutArgs::default())
    }

    /// [`PickArgs::run`] with Monte-Carlo-dropout options: the records are
    /// indexed, split into segments at long gaps, and each segment is
    /// picked in chunks (per-window rule) or whole (`--merge mean|max`).
    pub fn run_with(self, mc_args: &McDropoutArgs) -> anyhow::Result<()> {
        // Fail before reading the records and running the network.
        crate::io::check_writable_parent(&self.output).with_context(|| format!("--output {}", self.output.display()))?;
        let config = self.config()?;
        if !(self.chunk_s.is_finite() && self.chunk_s > 0.0) {
            bail!("--chunk-s {}: must be a positive number of seconds", self.chunk_s);
        }
        if !(self.max_isolation_days.is_finite() && self.max_isolation_days >= 0.0) {
            bail!("--max-isolation-days {}: must be a number of days >= 0", self.max_isolation_days);
        }
        let limits = ReadLimits {
            max_gap_s: self.max_gap_s,
            max_isolation_s: self.max_isolation_days * 86_400.0,
        };
        let (archive, segments) = station_segments(&self.mseed, self.station.as_deref(), &limits)?;
        if segments.is_empty() {
            bail!("the three components of the station never overlap in time");
        }
        let windows_per_chunk = ((self.chunk_s * 100.0 / config.step_samples() as f64).round() as usize).max(1);
        // From the index alone, before any record is decoded or the model loaded.
        let budget = super::memory_budget(None)?;
        for segment in &segments {
            self.check_segment_memory(&budget, segment, &config, windows_per_chunk, mc_args.mc_dropout)?;
        }
        let mut model = self.load_model(mc_args)?;
        let mc = (mc_args.mc_dropout > 0).then_some((mc_args.mc_dropout, mc_args.seed));
        let mut rows: Vec<PredictionRow> = Vec::new();
        let mut back_azimuths: Vec<Option<Polarisation>> = Vec::new();
        let (mut n_samples, mut n_windows) = (0usize, 0usize);
        for segment in &segments {
            let station = self.station_info(&segment.station, &segment.channels[0]);
            let options = PreprocessOptions::eqtransformer(segment.duration_s());
            if config.merge != Merge::PerWindow {
                let three = archive.read(segment, 0..segment.len)?;
                let (r, b, n, w) = self.pick_whole(&mut model, &three, &config, mc_args, &station)?;
                rows.extend(r);
                back_azimuths.extend(b);
                n_samples += n;
                n_windows += w;
                continue;
            }
            let mut found: Vec<(usize, PredictionRow, Option<Polarisation>)> = Vec::new();
            let run = model
                .pick_segment(&archive, segment, &options, &config, windows_per_chunk, mc, |chunk, detections| {
                    for (d, u) in detections {
                        let row = PredictionRow::from_detection_in(&station, chunk.start, chunk.data, chunk.data_start, chunk.n_samples, &d);
                        let row = match u {
                            Some(u) => row.with_mc_uncertainty(&u),
                            None => row,
                        };
                        let azimuth = if self.back_azimuth { back_azimuth(chunk.raw, &row) } else { None };
                        found.push((d.start, row, azimuth));
                    }
                })
                .with_context(|| format!("picking {} from {}", segment.station, segment.start))?;
            // The whole-record order: by detection start, ties in report order.
            found.sort_by_key(|(start, _, _)| *start);
            for (_, row, azimuth) in found {
                rows.push(row);
                back_azimuths.push(azimuth);
            }
            n_samples += run.n_samples;
            n_windows += run.n_windows;
        }
        self.write(&rows, &back_azimuths)?;
        outln!(
            "{}: {:.1} h of data in {} segment{}, {} windows, {} detections -> {}",
            segments[0].station,
            n_samples as f64 / 360_000.0,
            segments.len(),
            if segments.len() == 1 { "" } else { "s" },
            n_windows,
            rows.len(),
            self.output.display()
        );
        Ok(())
    }

    /// Refuse a segment whose picking (a chunk at a time with the
    /// per-window rule, whole with `--merge mean|max`) needs more memory
    /// than `budget`: the records read and pre-processed, the windows and
    /// the network's output traces, a network batch's activations and the
    /// Monte-Carlo sums. The error names the flags behind the estimate.
    fn check_segment_memory(
        &self,
        budget: &MemoryBudget,
        segment: &Segment,
        config: &ContinuousConfig,
        windows_per_chunk: usize,
        mc_dropout: usize,
    ) -> anyhow::Result<()> {
        let step_s = config.step_samples() as f64 / 100.0;
        let window_s = WINDOW_SAMPLES as f64 / 100.0;
        let duration_s = segment.duration_s();
        let segment_windows = ceil_count((duration_s - window_s).max(0.0) / step_s) + 1;
        let (span_s, windows, how) = if config.merge == Merge::PerWindow {
            let chunk_s = windows_per_chunk as f64 * step_s + window_s + 2.0 * CONTEXT_SAMPLES as f64 / 100.0;
            let windows = segment_windows.min(windows_per_chunk as u128);
            (duration_s.min(chunk_s), windows, format!("--chunk-s {}", self.chunk_s))
        } else {
            (duration_s, segment_windows, format!("--merge {} (the segment whole)", self.merge))
        };
        let batch = windows.min(self.batch_size.max(1) as u128);
        let rate_factor = (segment.sampling_rate / 100.0).max(1.0);
        let per_window = PICK_BYTES_PER_WINDOW + if mc_dropout > 0 { PICK_MC_BYTES_PER_WINDOW } else { 0 };
        let bytes = mul(ceil_count(span_s * rate_factor), PICK_BYTES_PER_SECOND)
            .saturating_add(mul(windows, per_window))
            .saturating_add(mul(batch, PICK_BYTES_PER_BATCH_WINDOW));
        let what = format!(
            "{how}, --overlap {}, --batch-size {}: picking {} ({:.1} h from {}) {:.0} s of record, {} windows and a network batch of {} at a time",
            self.overlap,
            self.batch_size,
            segment.station,
            duration_s / 3600.0,
            segment.start.format("%Y-%m-%dT%H:%M:%SZ"),
            span_s,
            format_count(windows),
            format_count(batch),
        );
        budget.check(what, bytes)?;
        Ok(())
    }

    /// Continuous-prediction settings from the flags.
    fn config(&self) -> anyhow::Result<ContinuousConfig> {
        let config = ContinuousConfig {
            overlap: self.overlap,
            merge: self.merge.parse::<Merge>().map_err(anyhow::Error::msg)?,
            picker: PickerConfig {
                detection_threshold: self.detection_threshold,
                p_threshold: self.p_threshold,
                s_threshold: self.s_threshold,
            },
        };
        config.validate()?;
        Ok(config)
    }

    /// The model of `--model` (default: the bundled one, or the bundled
    /// Monte-Carlo-dropout one with `--mc-dropout`).
    fn load_model(&self, mc_args: &McDropoutArgs) -> anyhow::Result<EqTransformer> {
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
        Ok(model.with_context(|| format!("loading {}", model_path.display()))?.with_batch_size(self.batch_size))
    }

    /// The station columns of the rows.
    fn station_info(&self, station: &str, channel: &str) -> StationInfo {
        station_info(self.mseed.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(";"), station, channel)
    }

    /// Writes the rows (with back-azimuth columns when asked), atomically.
    fn write(&self, rows: &[PredictionRow], back_azimuths: &[Option<Polarisation>]) -> anyhow::Result<()> {
        if self.back_azimuth {
            write_predictions_with_back_azimuth(&self.output, rows, back_azimuths)
        } else {
            eqnemix_models::eqtransformer::write_predictions_file(&self.output, rows).map_err(anyhow::Error::from)
        }
        .with_context(|| format!("writing {}", self.output.display()))
    }

    /// [`PickArgs::run_with`] on records already read with
    /// [`read_station_3c`] (`mseed` then only names them in the output),
    /// pre-processed and predicted whole (memory grows with the record).
    pub fn run_on(self, three: ThreeComponent, mc_args: &McDropoutArgs) -> anyhow::Result<()> {
        crate::io::check_writable_parent(&self.output).with_context(|| format!("--output {}", self.output.display()))?;
        let config = self.config()?;
        let mut model = self.load_model(mc_args)?;
        let station = self.station_info(&three.station, &three.channels[0]);
        let (rows, back_azimuths, n_samples, n_windows) = self.pick_whole(&mut model, &three, &config, mc_args, &station)?;
        self.write(&rows, &back_azimuths)?;
        outln!(
            "{}.{}: {:.1} h of data, {} windows, {} detections -> {}",
            station.network,
            station.station,
            n_samples as f64 / 360_000.0,
            n_windows,
            rows.len(),
            self.output.display()
        );
        Ok(())
    }

    /// The whole-record path on `three`: pre-process, predict, pick. Returns
    /// the rows, their back-azimuths (when asked), samples and windows.
    #[allow(clippy::type_complexity)]
    fn pick_whole(
        &self,
        model: &mut EqTransformer,
        three: &ThreeComponent,
        config: &ContinuousConfig,
        mc_args: &McDropoutArgs,
        station: &StationInfo,
    ) -> anyhow::Result<(Vec<PredictionRow>, Vec<Option<Polarisation>>, usize, usize)> {
        // The original predictor's chain in its order: demean, band-pass,
        // then the cosine taper of 0.1 % of the record at each end but at
        // most 2 s, then 100 Hz. The network is sensitive to the edge
        // transient: a 0.5 % taper moved the P pick of a real record by 0.28 s.
        let duration_s = three.len() as f64 / three.sampling_rate;
        let options = PreprocessOptions::eqtransformer(duration_s);
        let ready = three.preprocess(&options).context("pre-processing the waveforms")?;
        let data: Vec<[f32; 3]> = ready.to_enz_f32();
        let (detections, n_windows): (Vec<(Detection, Option<McUncertainty>)>, usize) = if mc_args.mc_dropout > 0 {
            let prediction = model
                .predict_continuous_mc(&data, config, mc_args.mc_dropout, mc_args.seed)
                .context("running EQTransformer with Monte-Carlo dropout")?;
            let d = model
                .mc_detections(&prediction, &data, &config.picker, mc_args.seed)
                .context("Monte-Carlo-dropout pick-time spreads")?
                .into_iter()
                .map(|(d, u)| (d, Some(u)))
                .collect();
            (d, prediction.mean.window_starts.len())
        } else {
            let prediction = model.predict_continuous(&data, config).context("running EQTransformer")?;
            let d = prediction.detections(&config.picker).into_iter().map(|d| (d, None)).collect();
            (d, prediction.window_starts.len())
        };
        let rows: Vec<PredictionRow> = detections
            .iter()
            .map(|(d, u)| {
                let row = PredictionRow::from_detection(station, ready.start, &data, d);
                match u {
                    Some(u) => row.with_mc_uncertainty(u),
                    None => row,
                }
            })
            .collect();
        let back_azimuths = rows.iter().map(|r| if self.back_azimuth { back_azimuth(three, r) } else { None }).collect();
        Ok((rows, back_azimuths, data.len(), n_windows))
    }
}

/// The station columns of the output rows for records of `station`
/// (`NET.STA[.LOC]`) on `channel` (its first two letters are the
/// instrument type), read from `file_name`.
pub fn station_info(file_name: String, station: &str, channel: &str) -> StationInfo {
    let mut id = station.split('.');
    StationInfo {
        file_name,
        network: id.next().unwrap_or("").to_string(),
        station: id.next().unwrap_or("").to_string(),
        instrument_type: channel.chars().take(2).collect(),
        ..Default::default()
    }
}

/// The P back-azimuth of a row from the raw records `three` (a warning and
/// `None` when it cannot be measured).
fn back_azimuth(three: &ThreeComponent, row: &PredictionRow) -> Option<Polarisation> {
    let p = row.p_arrival_time?;
    match p_wave_polarisation_3c(three, p, row.s_arrival_time, &PolarisationWindow::default()) {
        Ok(m) => Some(m),
        Err(e) => {
            eprintln!("warning: no back-azimuth for the P pick at {p}: {e}");
            None
        }
    }
}

/// Write `rows` as `X_prediction_results.csv` ([`PREDICTION_COLUMNS`]) plus
/// the columns `back_azimuth_deg,sigma_back_azimuth_deg,p_flip_back_azimuth` (degrees, probability; empty
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
        header.extend(["back_azimuth_deg", "sigma_back_azimuth_deg", "p_flip_back_azimuth"]);
        w.write_record(&header)?;
        for (row, baz) in rows.iter().zip(back_azimuths) {
            let mut rec = row.to_record();
            match baz {
                Some(b) => rec.extend([
                    format!("{:.2}", b.back_azimuth_deg),
                    format!("{:.2}", b.sigma_back_azimuth_deg),
                    format!("{:.4}", b.p_flip),
                ]),
                None => rec.extend([String::new(), String::new(), String::new()]),
            }
            w.write_record(&rec)?;
        }
        w.flush()
    })?;
    Ok(())
}
