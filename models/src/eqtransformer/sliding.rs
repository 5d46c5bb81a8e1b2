//! EQTransformer over continuous data: overlapping 60 s windows, merged
//! probability traces, detections and picks.
//!
//! The original predictor cuts continuous 100 Hz data into 60 s windows that
//! start every `60 (1 - overlap)` s (overlap 0.3 by default), predicts each
//! window separately and drops the tail that does not fill a window. Here the
//! tail is covered by one more window aligned to the end of the data (data
//! shorter than 60 s is zero-padded), and the per-window probabilities are
//! merged into one trace per output: each sample gets the mean (or maximum)
//! of the windows that contain it. Detections and picks are then extracted
//! once from the merged traces with the original's rules
//! ([`extract_detections`]), so an event that straddles two windows is
//! reported once.

use serde::{Deserialize, Serialize};

use super::error::EqtError;
use super::model::{check_finite, EqTransformer, WINDOW_SAMPLES};
use super::picker::{extract_detections, Detection, PickerConfig};

/// How overlapping window predictions are combined.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Merge {
    /// Mean over the windows covering the sample.
    #[default]
    Mean,
    /// Maximum over the windows covering the sample.
    Max,
}

/// Settings of continuous prediction.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ContinuousConfig {
    /// Fraction of a window shared with the next one, in [0, 0.95]
    /// (default 0.3, the original's).
    pub overlap: f64,
    /// How overlapping predictions are merged.
    pub merge: Merge,
    /// Detection and pick thresholds.
    pub picker: PickerConfig,
}

impl Default for ContinuousConfig {
    fn default() -> Self {
        Self {
            overlap: 0.3,
            merge: Merge::Mean,
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

/// Merged probability traces over continuous data, one value per input sample.
#[derive(Debug, Clone, PartialEq)]
pub struct ContinuousPrediction {
    /// Earthquake-signal probability.
    pub detection: Vec<f32>,
    /// P-arrival probability.
    pub p: Vec<f32>,
    /// S-arrival probability.
    pub s: Vec<f32>,
    /// Start samples of the windows that were run.
    pub window_starts: Vec<usize>,
}

impl ContinuousPrediction {
    /// Detections and picks from the merged traces.
    pub fn detections(&self, config: &PickerConfig) -> Vec<Detection> {
        extract_detections(&self.detection, &self.p, &self.s, config)
    }
}

impl EqTransformer {
    /// Predicts over continuous three-component data `[E, N, Z]` sampled at
    /// 100 Hz (already band-passed as the user wishes; each window is
    /// normalised by the model). Windows run in batches.
    pub fn predict_continuous(&mut self, data: &[[f32; 3]], config: &ContinuousConfig) -> Result<ContinuousPrediction, EqtError> {
        let (traces, window_starts) = merge_windows(data, config, |windows, _| {
            Ok(self.predict(windows)?.into_iter().map(|w| [w.detection, w.p, w.s]).collect())
        })?;
        let [detection, p, s] = traces;
        Ok(ContinuousPrediction {
            detection,
            p,
            s,
            window_starts,
        })
    }
}

/// Cuts `data` into the windows of `config`, runs them through `run` (given
/// a group of windows and the index of its first window, returns `K` traces
/// of [`WINDOW_SAMPLES`] per window) and merges each trace over the windows
/// covering a sample (`config.merge`). Returns the merged traces and the
/// window starts.
pub(super) fn merge_windows<const K: usize>(
    data: &[[f32; 3]],
    config: &ContinuousConfig,
    mut run: impl FnMut(&[&[[f32; 3]]], usize) -> Result<Vec<[Vec<f32>; K]>, EqtError>,
) -> Result<([Vec<f32>; K], Vec<usize>), EqtError> {
    config.validate()?;
    check_finite(data, || "continuous data".to_string())?;
    let n = data.len();
    if n == 0 {
        return Ok((std::array::from_fn(|_| Vec::new()), Vec::new()));
    }
    let starts = window_starts(n, config.step_samples());
    let mut sum: [Vec<f32>; K] = std::array::from_fn(|_| vec![0.0_f32; n]);
    let mut count = vec![0_u32; n];
    // Data shorter than one window: zero-pad the end.
    let padded: Vec<[f32; 3]>;
    let full: &[[f32; 3]] = if n < WINDOW_SAMPLES {
        padded = data.iter().copied().chain(std::iter::repeat([0.0; 3])).take(WINDOW_SAMPLES).collect();
        &padded
    } else {
        data
    };
    // Run in groups so memory stays bounded on long records.
    let group = 256;
    for (g, group_starts) in starts.chunks(group).enumerate() {
        let windows: Vec<&[[f32; 3]]> = group_starts.iter().map(|&s| &full[s..s + WINDOW_SAMPLES]).collect();
        let predictions = run(&windows, g * group)?;
        for (&start, traces) in group_starts.iter().zip(&predictions) {
            let len = WINDOW_SAMPLES.min(n - start);
            for (acc_trace, trace) in sum.iter_mut().zip(traces) {
                for (acc, &v) in acc_trace[start..start + len].iter_mut().zip(&trace[..len]) {
                    match config.merge {
                        Merge::Mean => *acc += v,
                        Merge::Max => *acc = acc.max(v),
                    }
                }
            }
            for c in &mut count[start..start + len] {
                *c += 1;
            }
        }
    }
    if config.merge == Merge::Mean {
        for trace in &mut sum {
            for (v, &c) in trace.iter_mut().zip(&count) {
                *v /= c as f32;
            }
        }
    }
    Ok((sum, starts))
}
