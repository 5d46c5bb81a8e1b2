//! Monte-Carlo dropout: the original predictor's `estimate_uncertainty`.
//!
//! The original EQTransformer keeps its 14 SpatialDropout1D layers (rate
//! 0.1) active at inference; with `estimate_uncertainty` it runs the network
//! N times on each window and reports the mean of the N probability traces
//! (from which detections and picks are taken) and their standard deviation
//! (`detection_uncertainty`: the mean standard deviation over the detection;
//! `p_uncertainty`, `s_uncertainty`: the standard deviation at the pick).
//!
//! Here the dropout masks are inputs of the ONNX model
//! ([`EqTransformer::load_mc_dropout`]) drawn in Rust, so a run is
//! reproducible from its seed, and independent of batch size and thread
//! count: the mask of window `w`, pass `p`, layer `m` comes from ChaCha8
//! seeded with `seed`, stream `w`, at a word position fixed by `(p, m)`.
//! (ONNX random ops would reseed per session and depend on execution order.)
//!
//! Over continuous data ([`EqTransformer::predict_continuous_mc`]) each
//! window gets its mean and standard-deviation traces over the passes, and
//! detections follow [`ContinuousConfig::merge`] as without dropout: with
//! [`Merge::PerWindow`] (the default, the original's rule; the original's
//! `predictor` also picks each window's mean traces) the rules run on each
//! window's mean traces, a detection's uncertainties are read from the
//! standard deviations of the window it was kept from, and repeats within
//! 2 s are dropped; with [`Merge::Mean`] or [`Merge::Max`] (departures from
//! the original) the means and standard deviations are merged per sample
//! first and everything is read from the merged traces.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::error::EqtError;
#[cfg(feature = "onnx")]
use super::model::EqTransformer;
use super::model::{DropoutMask, WindowPrediction, WINDOW_SAMPLES};
use super::picker::{round3, Detection, PickerConfig};
use super::sliding::{merge_traces, per_window_detections, run_windows, ContinuousConfig, ContinuousPrediction, Merge};
#[cfg(feature = "onnx")]
use super::pick_spread::{central_window, pick_time_spread};
#[cfg(feature = "onnx")]
use super::sliding::padded_to_window;

/// Mean and standard deviation over the Monte-Carlo passes of one window.
#[derive(Debug, Clone, PartialEq)]
pub struct McWindowPrediction {
    /// Mean probability traces.
    pub mean: WindowPrediction,
    /// Standard deviations (population, as numpy's `std`) of the traces.
    pub std: WindowPrediction,
}

/// The dropout mask of one window, pass and layer: per channel, 0 with
/// probability `rate`, else `1 / (1 - rate)` (inverted dropout, as Keras).
pub fn dropout_mask_values(seed: u64, window: u64, pass: usize, layer: usize, mask: &DropoutMask) -> Vec<f32> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(window);
    // 2^24 words per (pass, layer) slot; a mask uses one word per channel.
    rng.set_word_pos(((pass as u128) << 40) | ((layer as u128) << 24));
    let keep = 1.0 / (1.0 - mask.rate);
    (0..mask.channels()).map(|_| if rng.gen::<f32>() < mask.rate { 0.0 } else { keep }).collect()
}

fn check_passes(passes: usize) -> Result<(), EqtError> {
    if passes < 2 {
        return Err(EqtError::Config {
            field: "mc_dropout passes",
            value: passes.to_string(),
            reason: "Monte-Carlo dropout needs at least 2 passes for a standard deviation",
        });
    }
    Ok(())
}

#[cfg(feature = "onnx")]
impl EqTransformer {
    /// Runs the Monte-Carlo-dropout model `passes` times (at least 2) on each
    /// window with random SpatialDropout1D masks drawn from `seed`; returns
    /// the mean and standard deviation of the traces per window. Windows as
    /// in [`EqTransformer::predict`]. Fails with [`EqtError::NotMonteCarlo`]
    /// on a model loaded without mask inputs.
    pub fn predict_mc(&mut self, windows: &[&[[f32; 3]]], passes: usize, seed: u64) -> Result<Vec<McWindowPrediction>, EqtError> {
        self.predict_mc_from(windows, passes, seed, 0)
    }

    /// [`EqTransformer::predict_mc`] for windows numbered from `first_window`
    /// (their mask streams).
    pub(super) fn predict_mc_from(&mut self, windows: &[&[[f32; 3]]], passes: usize, seed: u64, first_window: usize) -> Result<Vec<McWindowPrediction>, EqtError> {
        check_passes(passes)?;
        if self.masks.is_empty() {
            return Err(EqtError::NotMonteCarlo {
                path: self.path().to_path_buf(),
            });
        }
        // Per window and trace: sum and sum of squares (f64) over passes.
        let mut sum = vec![[[0.0_f64; WINDOW_SAMPLES]; 3]; 0];
        sum.resize(windows.len(), [[0.0; WINDOW_SAMPLES]; 3]);
        let mut sum2 = sum.clone();
        for pass in 0..passes {
            let out = self.predict_with_masks(windows, |w, mask, m| dropout_mask_values(seed, (first_window + w) as u64, pass, m, mask))?;
            for (w, pred) in out.iter().enumerate() {
                for (k, trace) in [&pred.detection, &pred.p, &pred.s].into_iter().enumerate() {
                    for (i, &v) in trace.iter().enumerate() {
                        let v = v as f64;
                        sum[w][k][i] += v;
                        sum2[w][k][i] += v * v;
                    }
                }
            }
        }
        let n = passes as f64;
        Ok(sum
            .iter()
            .zip(&sum2)
            .map(|(s, s2)| {
                let mean = |k: usize| s[k].iter().map(|&v| (v / n) as f32).collect::<Vec<f32>>();
                let std = |k: usize| {
                    s[k].iter()
                        .zip(&s2[k])
                        .map(|(&a, &b)| ((b / n - (a / n) * (a / n)).max(0.0)).sqrt() as f32)
                        .collect::<Vec<f32>>()
                };
                McWindowPrediction {
                    mean: WindowPrediction {
                        detection: mean(0),
                        p: mean(1),
                        s: mean(2),
                    },
                    std: WindowPrediction {
                        detection: std(0),
                        p: std(1),
                        s: std(2),
                    },
                }
            })
            .collect())
    }

    /// [`EqTransformer::predict_continuous`] with Monte-Carlo dropout: each
    /// window's mean and standard-deviation traces over `passes` passes
    /// (masks from `seed`); detections as `config.merge` (module docs).
    pub fn predict_continuous_mc(
        &mut self,
        data: &[[f32; 3]],
        config: &ContinuousConfig,
        passes: usize,
        seed: u64,
    ) -> Result<ContinuousMcPrediction, EqtError> {
        check_passes(passes)?;
        let (per_window, window_starts) = run_windows(data, config, |windows, first| {
            Ok(self
                .predict_mc_from(windows, passes, seed, first)?
                .into_iter()
                .map(|w| [w.mean.detection, w.mean.p, w.mean.s, w.std.detection, w.std.p, w.std.s])
                .collect())
        })?;
        let [detection, p, s, detection_std, p_std, s_std] = merge_traces(&per_window, &window_starts, data.len(), config.merge);
        let (windows, window_std) = per_window
            .into_iter()
            .map(|[d, p, s, d_std, p_std, s_std]| {
                (
                    WindowPrediction { detection: d, p, s },
                    WindowPrediction {
                        detection: d_std,
                        p: p_std,
                        s: s_std,
                    },
                )
            })
            .unzip();
        Ok(ContinuousMcPrediction {
            mean: ContinuousPrediction {
                detection,
                p,
                s,
                window_starts,
                windows,
                merge: config.merge,
            },
            detection_std,
            p_std,
            s_std,
            window_std,
            passes,
        })
    }
}

/// Monte-Carlo-dropout traces over continuous data.
#[derive(Debug, Clone, PartialEq)]
pub struct ContinuousMcPrediction {
    /// Mean traces (detections and picks are taken from these), per window
    /// and per sample.
    pub mean: ContinuousPrediction,
    /// Standard deviation of the detection probability per sample (merged
    /// over the windows as the per-sample means are).
    pub detection_std: Vec<f32>,
    /// Standard deviation of the P probability per sample.
    pub p_std: Vec<f32>,
    /// Standard deviation of the S probability per sample.
    pub s_std: Vec<f32>,
    /// Each window's standard-deviation traces, in the order of
    /// `mean.windows`.
    pub window_std: Vec<WindowPrediction>,
    /// Passes per window.
    pub passes: usize,
}

/// The original's uncertainty columns for one detection (probabilities,
/// rounded to 3 decimals as the original).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct McUncertainty {
    /// Mean standard deviation of the detection probability over the detection.
    pub detection: f32,
    /// Standard deviation of the P probability at the P pick.
    pub p: Option<f32>,
    /// Standard deviation of the S probability at the S pick.
    pub s: Option<f32>,
    /// Standard deviation (s) of the P pick time over the passes
    /// ([`super::pick_spread`]); `None` without a P pick or until
    /// [`EqTransformer::mc_detections`] / the chunked picker measured it.
    pub p_time_s: Option<f32>,
    /// Standard deviation (s) of the S pick time over the passes.
    pub s_time_s: Option<f32>,
}

impl ContinuousMcPrediction {
    /// Detections and picks from the mean traces (as
    /// [`ContinuousPrediction::detections`]), each with its uncertainties
    /// from the standard deviations of the window it was taken from
    /// ([`Merge::PerWindow`]) or from the merged ones.
    pub fn detections(&self, config: &PickerConfig) -> Vec<(Detection, McUncertainty)> {
        match self.mean.merge {
            Merge::PerWindow => {
                per_window_detections(&self.mean.windows, &self.mean.window_starts, self.mean.detection.len(), config)
                    .into_iter()
                    .map(|(k, d)| {
                        let std = &self.window_std[k];
                        let offset = self.mean.window_starts[k];
                        let u = uncertainty(&std.detection, &std.p, &std.s, offset, &d);
                        (d, u)
                    })
                    .collect()
            }
            Merge::Mean | Merge::Max => self
                .mean
                .detections(config)
                .into_iter()
                .map(|d| {
                    let u = self.uncertainty(&d);
                    (d, u)
                })
                .collect(),
        }
    }

    /// The uncertainties of a detection read from the per-sample (merged)
    /// standard deviations.
    pub fn uncertainty(&self, d: &Detection) -> McUncertainty {
        uncertainty(&self.detection_std, &self.p_std, &self.s_std, 0, d)
    }
}

/// The uncertainties of detection `d` (absolute samples) from standard
/// deviation traces that start at sample `offset`.
pub(super) fn uncertainty(detection_std: &[f32], p_std: &[f32], s_std: &[f32], offset: usize, d: &Detection) -> McUncertainty {
    let (start, end) = (d.start - offset, d.end - offset);
    let span = &detection_std[start..end.max(start + 1).min(detection_std.len())];
    let mean = span.iter().map(|&v| v as f64).sum::<f64>() / span.len().max(1) as f64;
    McUncertainty {
        detection: round3(mean as f32),
        p: d.p.map(|p| round3(p_std[p.sample - offset])),
        s: d.s.map(|s| round3(s_std[s.sample - offset])),
        p_time_s: None,
        s_time_s: None,
    }
}

#[cfg(feature = "onnx")]
impl EqTransformer {
    /// The detections of `prediction` (made by
    /// [`EqTransformer::predict_continuous_mc`] on `data` with `seed`) as
    /// [`ContinuousMcPrediction::detections`], each with its pick-time
    /// spreads measured ([`super::pick_spread`]): in the window it was taken
    /// from ([`Merge::PerWindow`]), or each pick in the window where it lies
    /// nearest the centre (merged traces).
    pub fn mc_detections(
        &mut self,
        prediction: &ContinuousMcPrediction,
        data: &[[f32; 3]],
        config: &PickerConfig,
        seed: u64,
    ) -> Result<Vec<(Detection, McUncertainty)>, EqtError> {
        let mean = &prediction.mean;
        let starts = &mean.window_starts;
        let full = padded_to_window(data);
        // The passes of window `k` (module docs of `pick_spread`).
        let mut passes_of = |k: usize| self.mc_passes(&full[starts[k]..starts[k] + WINDOW_SAMPLES], k, prediction.passes, seed);
        match mean.merge {
            Merge::PerWindow => per_window_detections(&mean.windows, starts, mean.detection.len(), config)
                .into_iter()
                .map(|(k, d)| {
                    let std = &prediction.window_std[k];
                    let mut u = uncertainty(&std.detection, &std.p, &std.s, starts[k], &d);
                    let at = |p: Option<super::picker::Pick>| p.map(|p| p.sample - starts[k]);
                    let spread = pick_time_spread(&passes_of(k)?, at(d.p), at(d.s));
                    (u.p_time_s, u.s_time_s) = (spread.p_s, spread.s_s);
                    Ok((d, u))
                })
                .collect(),
            Merge::Mean | Merge::Max => mean
                .detections(config)
                .into_iter()
                .map(|d| {
                    let mut u = prediction.uncertainty(&d);
                    // Each pick alone, in the window where it is most central.
                    let mut spread_in_central_window = |pick: Option<super::picker::Pick>, is_p: bool| -> Result<Option<f32>, EqtError> {
                        let Some((p, k)) = pick.and_then(|p| central_window(starts, p.sample).map(|k| (p, k))) else { return Ok(None) };
                        let at = Some(p.sample - starts[k]);
                        let passes = passes_of(k)?;
                        Ok(if is_p { pick_time_spread(&passes, at, None).p_s } else { pick_time_spread(&passes, None, at).s_s })
                    };
                    u.p_time_s = spread_in_central_window(d.p, true)?;
                    u.s_time_s = spread_in_central_window(d.s, false)?;
                    Ok((d, u))
                })
                .collect(),
        }
    }
}
