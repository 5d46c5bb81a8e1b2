//! EQTransformer over continuous data: overlapping 60 s windows, their
//! detections and picks, and per-sample probability traces.
//!
//! The original predictor (`mseed_predictor`) cuts continuous 100 Hz data
//! into 60 s windows that start every `60 (1 - overlap)` s (overlap 0.3 by
//! default) and predicts each window separately. Here the tail that does
//! not fill a window is covered by one more window aligned to the end of
//! the data (the original drops it; data shorter than 60 s is zero-padded).
//!
//! How detections come out of the windows is [`Merge`]:
//!
//! - [`Merge::PerWindow`] (the default) is the original's rule: the
//!   detection and pick rules ([`extract_detections`]) run on *each window's
//!   own* traces, each window's detections are moved to absolute samples,
//!   and, going through the windows in order and each window's detections
//!   by start, a detection is dropped when its start lies less than 2 s
//!   ([`DUPLICATE_SAMPLES`]) from the start of one already reported
//!   ([`first_reported`]; the original's `detection_memory` in
//!   `_output_writter_prediction`). The row kept is the whole detection of
//!   the first window that reported it: its end, probability, and the P
//!   and S picks that window matched to it (an S outside that window is not
//!   taken from the next one). Kept detections are returned sorted by start
//!   (the original writes them in window order).
//! - [`Merge::Mean`] and [`Merge::Max`] are departures from the original:
//!   the windows' traces are first merged into one trace per output (each
//!   sample gets the mean or the maximum over the windows containing it) and
//!   the rules run once on the merged traces. The mean dilutes an event
//!   that one overlapping window sees and the other does not (an event
//!   near a window edge): on a real station-day it found 557 of 888
//!   inserted events where the per-window rule finds 609, and on the CER
//!   record of `models/tests/data` it brings the detection probability from
//!   0.98 down to about 0.5.
//!
//! [`ContinuousPrediction`] keeps every window's traces (so the detections
//! can be taken again with other thresholds) and per-sample traces: the
//! mean over the windows with [`Merge::Mean`], else the maximum (with
//! [`Merge::PerWindow`] only for display: detections do not come from them).

use std::collections::BTreeSet;
use std::ops::Range;

use serde::{Deserialize, Serialize};

use super::error::EqtError;
use super::mc_dropout::{uncertainty, McUncertainty};
#[cfg(feature = "onnx")]
use super::pick_spread::pick_time_spread;
#[cfg(feature = "onnx")]
use super::model::EqTransformer;
use super::model::{check_finite, WindowPrediction, WINDOW_SAMPLES};
use super::picker::{extract_detections, Detection, PickerConfig};

/// How detections are taken from overlapping windows (module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Merge {
    /// The original predictor's rule: detections and picks per window,
    /// repeats within 2 s of an already reported start dropped.
    #[default]
    PerWindow,
    /// Not the original's rule: detections from the mean over the windows
    /// covering each sample (dilutes events seen by one window only).
    Mean,
    /// Not the original's rule: detections from the maximum over the
    /// windows covering each sample.
    Max,
}

impl Merge {
    /// Every mode, the default first.
    pub const ALL: [Merge; 3] = [Merge::PerWindow, Merge::Mean, Merge::Max];

    /// The name on the command line and in configuration files.
    pub const fn name(self) -> &'static str {
        match self {
            Merge::PerWindow => "per-window",
            Merge::Mean => "mean",
            Merge::Max => "max",
        }
    }
}

impl std::str::FromStr for Merge {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Merge::ALL
            .into_iter()
            .find(|m| m.name() == s)
            .ok_or_else(|| format!("unknown merge {s:?}: expected per-window, mean or max"))
    }
}

/// Two detections whose starts are less than this many samples (2 s at
/// 100 Hz) apart are one event: the original predictor reports the first.
pub const DUPLICATE_SAMPLES: usize = 200;

/// Which of the detection `starts` (absolute samples, in the order they are
/// reported) the original predictor keeps: a start less than
/// [`DUPLICATE_SAMPLES`] from one already kept is dropped. Returns the
/// indices kept, in order.
///
/// ```
/// use eqnemix_models::eqtransformer::first_reported;
/// // 1150 repeats 1000 (1.5 s); 1200 is exactly 2 s away and stays.
/// assert_eq!(first_reported([1000, 1150, 1200, 990]), vec![0, 2]);
/// ```
pub fn first_reported(starts: impl IntoIterator<Item = usize>) -> Vec<usize> {
    let mut reported = FirstReported::default();
    starts.into_iter().enumerate().filter(|&(_, s)| reported.keep(s)).map(|(i, _)| i).collect()
}

/// [`first_reported`] one start at a time (the starts reported so far).
#[derive(Debug, Clone, Default)]
pub struct FirstReported {
    kept: BTreeSet<usize>,
}

impl FirstReported {
    /// Whether the detection starting at `s` is reported: not when it
    /// starts less than [`DUPLICATE_SAMPLES`] from one already reported.
    pub fn keep(&mut self, s: usize) -> bool {
        let lo = s.saturating_sub(DUPLICATE_SAMPLES - 1);
        if self.kept.range(lo..s + DUPLICATE_SAMPLES).next().is_none() {
            self.kept.insert(s);
            true
        } else {
            false
        }
    }
}

/// A detection found in a window that starts at sample `offset` of data of
/// `n_samples`, moved to absolute samples. Parts past the end of the data
/// (a zero-padded window) are cut: `None` when nothing with a pick is left.
fn shift_detection(d: Detection, offset: usize, n_samples: usize) -> Option<Detection> {
    let start = d.start + offset;
    if start >= n_samples {
        return None;
    }
    let inside = |pick: Option<super::picker::Pick>| {
        pick.map(|p| super::picker::Pick { sample: p.sample + offset, ..p }).filter(|p| p.sample < n_samples)
    };
    let (p, s) = (inside(d.p), inside(d.s));
    if p.is_none() && s.is_none() {
        return None;
    }
    Some(Detection {
        start,
        end: (d.end + offset).min(n_samples - 1),
        probability: d.probability,
        p,
        s,
    })
}

/// The original predictor's per-window rule ([`Merge::PerWindow`]):
/// [`extract_detections`] on each window (`windows[k]` starts at sample
/// `starts[k]` of data of `n_samples`), in absolute samples, repeats
/// dropped by [`first_reported`]. Returns the kept detections sorted by
/// start, each with the index of the window it comes from.
pub fn per_window_detections(windows: &[WindowPrediction], starts: &[usize], n_samples: usize, config: &PickerConfig) -> Vec<(usize, Detection)> {
    let found: Vec<(usize, Detection)> = windows
        .iter()
        .zip(starts)
        .enumerate()
        .flat_map(|(k, (w, &offset))| {
            extract_detections(&w.detection, &w.p, &w.s, config)
                .into_iter()
                .filter_map(move |d| shift_detection(d, offset, n_samples).map(|d| (k, d)))
        })
        .collect();
    let mut kept: Vec<(usize, Detection)> = first_reported(found.iter().map(|(_, d)| d.start)).into_iter().map(|i| found[i].clone()).collect();
    kept.sort_by_key(|(_, d)| d.start);
    kept
}

/// Settings of continuous prediction.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ContinuousConfig {
    /// Fraction of a window shared with the next one, in [0, 0.95]
    /// (default 0.3, the original's).
    pub overlap: f64,
    /// How detections are taken from overlapping windows (default
    /// [`Merge::PerWindow`], the original's).
    pub merge: Merge,
    /// Detection and pick thresholds.
    pub picker: PickerConfig,
}

impl Default for ContinuousConfig {
    fn default() -> Self {
        Self {
            overlap: 0.3,
            merge: Merge::PerWindow,
            picker: PickerConfig::default(),
        }
    }
}

impl ContinuousConfig {
    /// Rejects an overlap outside [0, 0.95] and invalid thresholds.
    pub fn validate(&self) -> Result<(), EqtError> {
        if !(0.0..=0.95).contains(&self.overlap) {
            return Err(EqtError::Config {
                field: "overlap",
                value: self.overlap.to_string(),
                reason: "the window overlap must be a fraction in [0, 0.95]",
            });
        }
        self.picker.validate()
    }

    /// Samples between the starts of consecutive windows.
    pub fn step_samples(&self) -> usize {
        (((1.0 - self.overlap) * WINDOW_SAMPLES as f64).round() as usize).max(1)
    }
}

/// Start samples of the windows covering `n_samples` of data: every `step`
/// samples while a window fits, plus one aligned to the end when the last one
/// leaves a tail. Data shorter than a window gets one window at 0.
///
/// ```
/// use eqnemix_models::eqtransformer::window_starts;
/// assert_eq!(window_starts(6000, 4200), vec![0]);
/// assert_eq!(window_starts(10200, 4200), vec![0, 4200]);
/// assert_eq!(window_starts(11000, 4200), vec![0, 4200, 5000]);
/// assert_eq!(window_starts(100, 4200), vec![0]);
/// ```
pub fn window_starts(n_samples: usize, step: usize) -> Vec<usize> {
    if n_samples <= WINDOW_SAMPLES {
        return vec![0];
    }
    let mut starts: Vec<usize> = (0..).map(|k| k * step).take_while(|s| s + WINDOW_SAMPLES <= n_samples).collect();
    let last = *starts.last().expect("n_samples > WINDOW_SAMPLES gives a window at 0");
    if last + WINDOW_SAMPLES < n_samples {
        starts.push(n_samples - WINDOW_SAMPLES);
    }
    starts
}

/// EQTransformer's output over continuous data.
#[derive(Debug, Clone, PartialEq)]
pub struct ContinuousPrediction {
    /// Per-sample earthquake-signal probability, one value per input sample:
    /// the mean over the windows containing the sample with [`Merge::Mean`],
    /// else the maximum.
    pub detection: Vec<f32>,
    /// Per-sample P-arrival probability (as `detection`).
    pub p: Vec<f32>,
    /// Per-sample S-arrival probability (as `detection`).
    pub s: Vec<f32>,
    /// Start samples of the windows that were run.
    pub window_starts: Vec<usize>,
    /// Each window's own traces ([`WINDOW_SAMPLES`] each; past the end of
    /// data shorter than a window they are the prediction on zeros).
    pub windows: Vec<WindowPrediction>,
    /// How [`ContinuousPrediction::detections`] takes the detections.
    pub merge: Merge,
}

impl ContinuousPrediction {
    /// Detections and picks, in absolute samples, by [`Self::merge`]: per
    /// window as the original ([`per_window_detections`]) or from the
    /// merged per-sample traces.
    pub fn detections(&self, config: &PickerConfig) -> Vec<Detection> {
        match self.merge {
            Merge::PerWindow => per_window_detections(&self.windows, &self.window_starts, self.detection.len(), config)
                .into_iter()
                .map(|(_, d)| d)
                .collect(),
            Merge::Mean | Merge::Max => extract_detections(&self.detection, &self.p, &self.s, config),
        }
    }
}

#[cfg(feature = "onnx")]
impl EqTransformer {
    /// Predicts over continuous three-component data `[E, N, Z]` sampled at
    /// 100 Hz (already band-passed as the user wishes; each window is
    /// normalised by the model). Windows run in batches.
    pub fn predict_continuous(&mut self, data: &[[f32; 3]], config: &ContinuousConfig) -> Result<ContinuousPrediction, EqtError> {
        let (per_window, window_starts) = run_windows(data, config, |windows, _| {
            Ok(self.predict(windows)?.into_iter().map(|w| [w.detection, w.p, w.s]).collect())
        })?;
        let [detection, p, s] = merge_traces(&per_window, &window_starts, data.len(), config.merge);
        let windows = per_window
            .into_iter()
            .map(|[detection, p, s]| WindowPrediction { detection, p, s })
            .collect();
        Ok(ContinuousPrediction {
            detection,
            p,
            s,
            window_starts,
            windows,
            merge: config.merge,
        })
    }
}

/// The per-window rule ([`Merge::PerWindow`]) over long data, a chunk of
/// windows at a time, so that memory does not grow with the record: the
/// windows are those of [`window_starts`] over the whole data (`n_samples`),
/// taken `windows_per_chunk` at a time in order, and repeats are dropped
/// across chunks as within one ([`FirstReported`]), so the detections are
/// those of [`EqTransformer::predict_continuous`] +
/// [`ContinuousPrediction::detections`] on the whole data, in the order the
/// windows report them (sort them by start for the whole-data order). With
/// Monte-Carlo dropout each window's masks come from its index in the whole
/// data, as [`EqTransformer::predict_continuous_mc`].
///
/// ```no_run
/// # use eqnemix_models::eqtransformer::*;
/// # let mut model = EqTransformer::load(EqTransformer::bundled_model_path())?;
/// # let data: Vec<[f32; 3]> = vec![[0.0; 3]; 1_000_000];
/// let mut picker = ChunkedPicker::new(data.len(), &ContinuousConfig::default(), 86, None)?;
/// let mut found = Vec::new();
/// while let Some(range) = picker.next_range() {
///     // Hand over (at least) the data of `range`, here sliced from memory.
///     found.extend(picker.run_chunk(&mut model, &data[range.clone()], range.start)?);
/// }
/// # Ok::<(), EqtError>(())
/// ```
#[derive(Debug, Clone)]
pub struct ChunkedPicker {
    starts: Vec<usize>,
    n_samples: usize,
    picker: PickerConfig,
    windows_per_chunk: usize,
    next: usize,
    reported: FirstReported,
    mc: Option<(usize, u64)>,
}

#[cfg(feature = "onnx")]
impl ChunkedPicker {
    /// Picking over `n_samples` of data (100 Hz) with `config` (whose merge
    /// must be [`Merge::PerWindow`]), `windows_per_chunk` windows per chunk
    /// (at least 1), with Monte-Carlo dropout when `mc` is `Some((passes,
    /// seed))`.
    pub fn new(n_samples: usize, config: &ContinuousConfig, windows_per_chunk: usize, mc: Option<(usize, u64)>) -> Result<Self, EqtError> {
        config.validate()?;
        if config.merge != Merge::PerWindow {
            return Err(EqtError::Config {
                field: "merge",
                value: config.merge.name().into(),
                reason: "chunked picking follows the per-window rule only (mean and max merge the whole record's traces)",
            });
        }
        if windows_per_chunk == 0 {
            return Err(EqtError::Config {
                field: "windows_per_chunk",
                value: "0".into(),
                reason: "a chunk needs at least one window",
            });
        }
        if let Some((passes, _)) = mc {
            if passes < 2 {
                return Err(EqtError::Config {
                    field: "mc_dropout passes",
                    value: passes.to_string(),
                    reason: "Monte-Carlo dropout needs at least 2 passes for a standard deviation",
                });
            }
        }
        let starts = if n_samples == 0 { Vec::new() } else { window_starts(n_samples, config.step_samples()) };
        Ok(ChunkedPicker {
            starts,
            n_samples,
            picker: config.picker,
            windows_per_chunk,
            next: 0,
            reported: FirstReported::default(),
            mc,
        })
    }

    /// Windows over the whole data.
    pub fn n_windows(&self) -> usize {
        self.starts.len()
    }

    /// The samples the next chunk's windows cover (within the data), or
    /// `None` when every window has run.
    pub fn next_range(&self) -> Option<Range<usize>> {
        let k1 = (self.next + self.windows_per_chunk).min(self.starts.len());
        if self.next >= k1 {
            return None;
        }
        Some(self.starts[self.next]..(self.starts[k1 - 1] + WINDOW_SAMPLES).min(self.n_samples))
    }

    /// Runs the next chunk's windows on `data`, samples `offset..offset +
    /// data.len()` of the whole data (covering [`ChunkedPicker::next_range`]),
    /// and returns the detections they report that are not repeats, in
    /// absolute samples, each with its Monte-Carlo uncertainties (from its
    /// window's standard deviations) when dropout is on.
    pub fn run_chunk(&mut self, model: &mut EqTransformer, data: &[[f32; 3]], offset: usize) -> Result<Vec<(Detection, Option<McUncertainty>)>, EqtError> {
        let Some(range) = self.next_range() else {
            return Ok(Vec::new());
        };
        if offset > range.start || offset + data.len() < range.end {
            return Err(EqtError::ChunkData {
                given_start: offset,
                given_end: offset + data.len(),
                needed_start: range.start,
                needed_end: range.end,
            });
        }
        let local = &data[range.start - offset..range.end - offset];
        check_finite(local, || format!("continuous data from sample {}", range.start))?;
        // Data shorter than one window: zero-pad the end (as predict_continuous).
        let full = padded_to_window(local);
        let k0 = self.next;
        let k1 = (k0 + self.windows_per_chunk).min(self.starts.len());
        let mut out = Vec::new();
        let group = 256;
        for g0 in (k0..k1).step_by(group) {
            let g1 = (g0 + group).min(k1);
            let windows: Vec<&[[f32; 3]]> = self.starts[g0..g1]
                .iter()
                .map(|&s| &full[s - range.start..s - range.start + WINDOW_SAMPLES])
                .collect();
            let predictions: Vec<(WindowPrediction, Option<WindowPrediction>)> = match self.mc {
                None => model.predict(&windows)?.into_iter().map(|w| (w, None)).collect(),
                Some((passes, seed)) => model.predict_mc_from(&windows, passes, seed, g0)?.into_iter().map(|w| (w.mean, Some(w.std))).collect(),
            };
            for (k, (w, std)) in (g0..g1).zip(predictions) {
                let start = self.starts[k];
                for in_window in extract_detections(&w.detection, &w.p, &w.s, &self.picker) {
                    // The window's own picks (some may lie in the zero padding).
                    let (local_p, local_s) = (in_window.p.map(|p| p.sample), in_window.s.map(|s| s.sample));
                    let Some(d) = shift_detection(in_window, start, self.n_samples) else { continue };
                    if self.reported.keep(d.start) {
                        let mut u = std.as_ref().map(|s| uncertainty(&s.detection, &s.p, &s.s, start, &d));
                        if let (Some(u), Some((passes, seed))) = (u.as_mut(), self.mc) {
                            let spread = pick_time_spread(&model.mc_passes(windows[k - g0], k, passes, seed)?, local_p, local_s);
                            // (a pick in the zero padding past the data was dropped)
                            (u.p_time_s, u.s_time_s) = (spread.p_s.filter(|_| d.p.is_some()), spread.s_s.filter(|_| d.s.is_some()));
                        }
                        out.push((d, u));
                    }
                }
            }
        }
        self.next = k1;
        Ok(out)
    }
}

/// `data`, zero-padded at the end to one window when it is shorter (the
/// windows of continuous data shorter than 60 s).
pub(super) fn padded_to_window(data: &[[f32; 3]]) -> std::borrow::Cow<'_, [[f32; 3]]> {
    if data.len() >= WINDOW_SAMPLES {
        std::borrow::Cow::Borrowed(data)
    } else {
        let mut padded = data.to_vec();
        padded.resize(WINDOW_SAMPLES, [0.0; 3]);
        std::borrow::Cow::Owned(padded)
    }
}

/// Cuts `data` into the windows of `config` and runs them through `run`
/// (given a group of windows and the index of its first window, returns `K`
/// traces of [`WINDOW_SAMPLES`] per window). Returns every window's traces
/// and the window starts.
#[allow(clippy::type_complexity)]
pub(super) fn run_windows<const K: usize>(
    data: &[[f32; 3]],
    config: &ContinuousConfig,
    mut run: impl FnMut(&[&[[f32; 3]]], usize) -> Result<Vec<[Vec<f32>; K]>, EqtError>,
) -> Result<(Vec<[Vec<f32>; K]>, Vec<usize>), EqtError> {
    config.validate()?;
    check_finite(data, || "continuous data".to_string())?;
    let n = data.len();
    if n == 0 {
        return Ok((Vec::new(), Vec::new()));
    }
    let starts = window_starts(n, config.step_samples());
    // Data shorter than one window: zero-pad the end.
    let full = padded_to_window(data);
    let mut out = Vec::with_capacity(starts.len());
    // Run in groups so the network's batches stay bounded on long records.
    let group = 256;
    for (g, group_starts) in starts.chunks(group).enumerate() {
        let windows: Vec<&[[f32; 3]]> = group_starts.iter().map(|&s| &full[s..s + WINDOW_SAMPLES]).collect();
        let predictions = run(&windows, g * group)?;
        debug_assert_eq!(predictions.len(), windows.len());
        out.extend(predictions);
    }
    Ok((out, starts))
}

/// Per-sample traces over `n_samples` from window traces (`per_window[k]`
/// starts at `starts[k]`): the mean over the windows containing a sample
/// with [`Merge::Mean`], else the maximum.
pub(super) fn merge_traces<const K: usize>(per_window: &[[Vec<f32>; K]], starts: &[usize], n_samples: usize, merge: Merge) -> [Vec<f32>; K] {
    let mean = merge == Merge::Mean;
    let mut acc: [Vec<f32>; K] = std::array::from_fn(|_| vec![if mean { 0.0 } else { f32::NEG_INFINITY }; n_samples]);
    let mut count = vec![0_u32; if mean { n_samples } else { 0 }];
    for (traces, &start) in per_window.iter().zip(starts) {
        let len = WINDOW_SAMPLES.min(n_samples - start);
        for (acc_trace, trace) in acc.iter_mut().zip(traces) {
            for (a, &v) in acc_trace[start..start + len].iter_mut().zip(&trace[..len]) {
                if mean {
                    *a += v;
                } else {
                    *a = a.max(v);
                }
            }
        }
        if mean {
            for c in &mut count[start..start + len] {
                *c += 1;
            }
        }
    }
    if mean {
        for trace in &mut acc {
            for (v, &c) in trace.iter_mut().zip(&count) {
                *v /= c.max(1) as f32;
            }
        }
    }
    acc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_start_less_than_2_s_from_a_reported_one_is_a_repeat() {
        // Strictly less than 200 samples: 199 apart is a repeat, 200 is not.
        assert_eq!(first_reported([5000, 5199]), vec![0]);
        assert_eq!(first_reported([5000, 5200]), vec![0, 1]);
        assert_eq!(first_reported([5000, 4801]), vec![0]);
        assert_eq!(first_reported([5000, 4800]), vec![0, 1]);
        // Compared with every start already reported, not only the last one.
        assert_eq!(first_reported([1000, 3000, 1100, 3150, 6000]), vec![0, 1, 4]);
        // A dropped repeat does not itself block later starts: 1150 repeats
        // 1000 and is dropped, 1300 is 1.5 s from 1150 but 3 s from 1000.
        assert_eq!(first_reported([1000, 1150, 1300]), vec![0, 2]);
        // The first reported wins, whatever its time: with 1150 first, 1000
        // and 1300 both repeat it.
        assert_eq!(first_reported([1150, 1000, 1300]), vec![0]);
        // Near sample 0 (no underflow).
        assert_eq!(first_reported([0, 150, 199, 200]), vec![0, 3]);
        assert!(first_reported(std::iter::empty()).is_empty());
    }

    /// A window's traces: detection `level` on `[on, off)`, a P peak of
    /// `p_height` at `on + 10` and an S peak of `s_height` at `s_at` (window
    /// samples; `None`: no S in the window).
    fn window(events: &[(usize, usize, f32, f32, Option<usize>)]) -> WindowPrediction {
        let mut w = WindowPrediction {
            detection: vec![0.0; WINDOW_SAMPLES],
            p: vec![0.0; WINDOW_SAMPLES],
            s: vec![0.0; WINDOW_SAMPLES],
        };
        let bump = |trace: &mut Vec<f32>, at: usize, height: f32| {
            for (i, v) in trace.iter_mut().enumerate() {
                *v += height * (-0.5 * ((i as f32 - at as f32) / 8.0).powi(2)).exp();
            }
        };
        for &(on, off, level, p_height, s_at) in events {
            for v in &mut w.detection[on..off] {
                *v = level;
            }
            bump(&mut w.p, on + 10, p_height);
            if let Some(s) = s_at {
                bump(&mut w.s, s, 0.6);
            }
        }
        w
    }

    fn prediction(windows: Vec<WindowPrediction>, starts: Vec<usize>, n: usize, merge: Merge) -> ContinuousPrediction {
        let traces: Vec<[Vec<f32>; 3]> = windows.iter().map(|w| [w.detection.clone(), w.p.clone(), w.s.clone()]).collect();
        let [detection, p, s] = merge_traces(&traces, &starts, n, merge);
        ContinuousPrediction {
            detection,
            p,
            s,
            window_starts: starts,
            windows,
            merge,
        }
    }

    /// Three windows (starts 0, 4200, 8400; 14 400 samples) and five known
    /// events. Events 1 and 3 sit in window overlaps and only one of the two
    /// windows sees them (as the network does with an event cut by a window
    /// edge); event 2 is seen by both windows of its overlap.
    #[test]
    fn per_window_finds_events_in_overlaps_that_the_mean_dilutes() {
        let n = 14_400;
        let starts = vec![0, 4200, 8400];
        // Absolute starts of the known events.
        let known = [1000, 4500, 5500, 9000, 12_000];
        let w0 = window(&[(1000, 1600, 0.9, 0.8, Some(1400)), (4500, 4900, 0.5, 0.5, Some(4800)), (5500, 5900, 0.9, 0.7, None)]);
        // Window 1 sees event 2 (start 5500 = 1300 in it), with its S, and
        // event 3 (9000 = 4800 in it); not event 1 (4500 = 300 in it).
        let w1 = window(&[(1300, 1700, 0.95, 0.9, Some(1650)), (4800, 5300, 0.55, 0.6, Some(5200))]);
        // Window 2 misses event 3 (9000 = 600 in it) and sees event 4.
        let w2 = window(&[(3600, 4200, 0.8, 0.7, Some(4000))]);
        let config = PickerConfig::default();

        let per_window = prediction(vec![w0.clone(), w1.clone(), w2.clone()], starts.clone(), n, Merge::PerWindow).detections(&config);
        let found: Vec<usize> = per_window.iter().map(|d| d.start).collect();
        assert_eq!(found, known, "per window: every known event once");
        // Event 2 is reported by window 0 (the first to see it): its P, and
        // no S (the S that window 1 saw is not borrowed), its probability.
        let e2 = &per_window[2];
        assert_eq!((e2.end, e2.probability), (5899, 0.9));
        assert_eq!(e2.p.map(|p| p.sample), Some(5510));
        assert!(e2.s.is_none());
        // Event 3 comes from window 1 in absolute samples.
        assert_eq!(per_window[3].p.map(|p| p.sample), Some(9010));
        assert_eq!(per_window[3].s.map(|s| s.sample), Some(9400));

        // The mean over the two windows of an overlap halves events 1 and 3
        // (0.5 and 0.55 against 0) below the 0.3 threshold: both are lost.
        let mean = prediction(vec![w0, w1, w2], starts, n, Merge::Mean).detections(&config);
        let mean_found: Vec<usize> = mean.iter().map(|d| d.start).collect();
        assert_eq!(mean_found, vec![1000, 5500, 12_000], "mean merging");
    }

    #[test]
    fn detections_past_the_end_of_short_data_are_cut() {
        // 3000 samples of data in one zero-padded window: an event at
        // 2500-3500 keeps its P (2510) and loses its S (3300); one that
        // starts past the data is dropped.
        let w = window(&[(2500, 3500, 0.9, 0.8, Some(3300)), (4000, 4500, 0.9, 0.8, Some(4400))]);
        let d = prediction(vec![w], vec![0], 3000, Merge::PerWindow).detections(&PickerConfig::default());
        assert_eq!(d.len(), 1, "{d:?}");
        assert_eq!((d[0].start, d[0].end), (2500, 2999));
        assert_eq!(d[0].p.map(|p| p.sample), Some(2510));
        assert!(d[0].s.is_none());
    }

    #[test]
    fn the_default_is_the_original_per_window_rule() {
        assert_eq!(ContinuousConfig::default().merge, Merge::PerWindow);
        assert_eq!(Merge::default(), Merge::PerWindow);
        for m in Merge::ALL {
            assert_eq!(m.name().parse::<Merge>(), Ok(m));
            assert_eq!(serde_json::to_string(&m).unwrap(), format!("\"{}\"", m.name()));
        }
        assert!("average".parse::<Merge>().is_err());
    }
}
