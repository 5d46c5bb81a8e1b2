//! Detection and phase-pick extraction from EQTransformer's probability traces,
//! following the original predictor (`mseed_predictor._picker`):
//!
//! 1. detections are the runs of consecutive samples whose detection
//!    probability is at or above `detection_threshold` (ObsPy's
//!    `trigger_onset` with equal on and off thresholds): `[start, end]`,
//!    both inclusive; runs shorter than 10 samples (0.1 s) are dropped;
//! 2. P and S candidates are the local maxima of the P and S traces at or
//!    above their thresholds (rising edge of a flat top, never the first or
//!    last sample);
//! 3. per detection, the S pick is the *earliest* S candidate strictly inside
//!    `(start, end)`; the P pick is the most probable P candidate (the
//!    earliest on ties, probabilities rounded to 3 decimals as the original)
//!    in `(start - 100, S - 10)` when there is an S pick, else in
//!    `(start - 100, end)`; a detection with neither pick is dropped;
//! 4. the detection probability is the mean detection probability over
//!    `start..end` (end excluded), rounded to 3 decimals.
//!
//! Added here (the original reports no uncertainty without Monte-Carlo
//! dropout): a timing uncertainty per pick from the width of its probability
//! peak, see [`peak_sigma_samples`].
//!
//! Sample indices are 0.01 s apart (100 Hz).

use serde::{Deserialize, Serialize};

use super::error::EqtError;

/// Thresholds of the pick extraction (probabilities in [0, 1]). The defaults
/// are the original predictor's.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PickerConfig {
    /// Detection trigger threshold (on and off), default 0.3.
    pub detection_threshold: f32,
    /// Minimum height of a P probability peak, default 0.1.
    pub p_threshold: f32,
    /// Minimum height of an S probability peak, default 0.1.
    pub s_threshold: f32,
}

impl Default for PickerConfig {
    fn default() -> Self {
        Self {
            detection_threshold: 0.3,
            p_threshold: 0.1,
            s_threshold: 0.1,
        }
    }
}

impl PickerConfig {
    /// Rejects thresholds outside (0, 1].
    pub fn validate(&self) -> Result<(), EqtError> {
        for (field, v) in [
            ("detection_threshold", self.detection_threshold),
            ("p_threshold", self.p_threshold),
            ("s_threshold", self.s_threshold),
        ] {
            if !(v > 0.0 && v <= 1.0) {
                return Err(EqtError::Config {
                    field,
                    value: v.to_string(),
                    reason: "a probability threshold must be in (0, 1]",
                });
            }
        }
        Ok(())
    }
}

/// One phase pick.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Pick {
    /// Sample index of the probability peak.
    pub sample: usize,
    /// Peak probability, rounded to 3 decimals as the original.
    pub probability: f32,
    /// Timing uncertainty in samples (0.01 s): the standard deviation of a
    /// Gaussian with the peak's full width at half maximum.
    pub sigma_samples: f64,
}

/// One detected event with its P and S picks (at least one of them).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Detection {
    /// First sample at or above the detection threshold.
    pub start: usize,
    /// Last sample at or above the detection threshold (inclusive).
    pub end: usize,
    /// Mean detection probability over `start..end`, rounded to 3 decimals.
    pub probability: f32,
    /// The P pick.
    pub p: Option<Pick>,
    /// The S pick.
    pub s: Option<Pick>,
}

/// numpy's `round(x, 3)` on an f32 (round half to even).
pub(super) fn round3(x: f32) -> f32 {
    (x * 1000.0).round_ties_even() / 1000.0
}

/// Runs of consecutive samples at or above `threshold`, as `(first, last)`
/// inclusive index pairs (ObsPy `trigger_onset(trace, t, t)`).
///
/// ```
/// use eqnemix_models::eqtransformer::trigger_runs;
/// assert_eq!(trigger_runs(&[0.0, 0.5, 0.6, 0.1, 0.3, 0.0], 0.3), vec![(1, 2), (4, 4)]);
/// ```
pub fn trigger_runs(trace: &[f32], threshold: f32) -> Vec<(usize, usize)> {
    let mut runs = Vec::new();
    let mut start = None;
    for (i, &v) in trace.iter().enumerate() {
        match (v >= threshold, start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                runs.push((s, i - 1));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        runs.push((s, trace.len() - 1));
    }
    runs
}

/// Indices of local maxima at or above `min_height`: `x[i-1] < x[i] >= x[i+1]`
/// (a flat top counts once, at its rising edge); the first and last samples
/// are never peaks. The original's `_detect_peaks(x, mph, mpd=1)`.
///
/// ```
/// use eqnemix_models::eqtransformer::detect_peaks;
/// assert_eq!(detect_peaks(&[0.0, 0.5, 0.5, 0.2, 0.9, 0.05, 0.3], 0.1), vec![1, 4]);
/// ```
pub fn detect_peaks(x: &[f32], min_height: f32) -> Vec<usize> {
    if x.len() < 3 {
        return Vec::new();
    }
    (1..x.len() - 1)
        .filter(|&i| x[i] > x[i - 1] && x[i + 1] <= x[i] && x[i] >= min_height)
        .collect()
}

/// Timing uncertainty of a probability peak at `peak`, in samples: the
/// full width at half maximum (crossings linearly interpolated; the trace
/// ends bound it), divided by 2 sqrt(2 ln 2), i.e. the standard deviation of
/// a Gaussian peak of the same width.
pub fn peak_sigma_samples(x: &[f32], peak: usize) -> f64 {
    let half = x[peak] as f64 / 2.0;
    let mut left = 0.0;
    let mut i = peak;
    while i > 0 {
        let (a, b) = (x[i - 1] as f64, x[i] as f64);
        if a < half {
            left = (i - 1) as f64 + (half - a) / (b - a);
            break;
        }
        i -= 1;
    }
    let mut right = (x.len() - 1) as f64;
    let mut j = peak;
    while j + 1 < x.len() {
        let (a, b) = (x[j] as f64, x[j + 1] as f64);
        if b < half {
            right = j as f64 + (a - half) / (a - b);
            break;
        }
        j += 1;
    }
    (right - left) / (2.0 * (2.0 * std::f64::consts::LN_2).sqrt())
}

/// The original predictor's detections and picks from one set of probability
/// traces (a 60 s window or merged continuous traces; all three the same
/// length). See the module documentation for the rules.
pub fn extract_detections(detection: &[f32], p: &[f32], s: &[f32], config: &PickerConfig) -> Vec<Detection> {
    let make_pick = |trace: &[f32], i: usize| Pick {
        sample: i,
        probability: round3(trace[i]),
        sigma_samples: peak_sigma_samples(trace, i),
    };
    let p_peaks = detect_peaks(p, config.p_threshold);
    let s_peaks = detect_peaks(s, config.s_threshold);
    let mut out = Vec::new();
    for (start, end) in trigger_runs(detection, config.detection_threshold) {
        if end - start < 10 {
            continue;
        }
        let s_pick = s_peaks.iter().copied().find(|&i| i > start && i < end);
        let (lo, hi) = match s_pick {
            Some(si) => (start as i64 - 100, si as i64 - 10),
            None => (start as i64 - 100, end as i64),
        };
        let mut p_pick: Option<usize> = None;
        let mut best = 0.0_f32;
        for &i in &p_peaks {
            let ii = i as i64;
            if ii > lo && ii < hi && round3(p[i]) > best {
                best = round3(p[i]);
                p_pick = Some(i);
            }
        }
        if p_pick.is_none() && s_pick.is_none() {
            continue;
        }
        let mean = detection[start..end].iter().map(|&v| v as f64).sum::<f64>() / (end - start) as f64;
        out.push(Detection {
            start,
            end,
            probability: round3(mean as f32),
            p: p_pick.map(|i| make_pick(p, i)),
            s: s_pick.map(|i| make_pick(s, i)),
        });
    }
    out
}

/// 95th percentile with linear interpolation (numpy's default).
fn percentile95(values: &mut [f64]) -> f64 {
    values.sort_by(|a, b| a.total_cmp(b));
    let pos = 0.95 * (values.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = pos.ceil() as usize;
    values[lo] + (values[hi] - values[lo]) * (pos - lo as f64)
}

/// Signal-to-noise ratio of a pick in dB, as the original `_get_snr`: the
/// 95th percentile of all three components over `window` samples after the
/// pick against the same before it (`10 log10((s95 / n95)^2)`, rounded to
/// 0.1 dB). Near the start of the data the noise window shrinks to the pick
/// index, near the end both windows shrink to the samples left. `None` where
/// the original gives none (pick at 0, pick + window equal to the length,
/// or a non-finite ratio).
pub fn snr_db(data: &[[f32; 3]], pick: usize, window: usize) -> Option<f64> {
    snr_db_in(data, 0, data.len(), pick, window)
}

/// [`snr_db`] for data of `n_samples` of which `data` holds samples
/// `offset..offset + data.len()` (`pick` and the result as on the whole
/// data). `None` also when the samples the ratio needs are not in `data`.
pub fn snr_db_in(data: &[[f32; 3]], offset: usize, n_samples: usize, pick: usize, window: usize) -> Option<f64> {
    let n = n_samples;
    if pick == 0 {
        return None;
    }
    let w = if pick >= window && pick + window < n {
        window
    } else if pick < window && pick + window < n {
        pick
    } else if pick + window > n {
        n - pick
    } else {
        return None;
    };
    if w == 0 || pick < w || pick - w < offset || pick + w > offset + data.len() {
        return None;
    }
    let collect = |r: std::ops::Range<usize>| data[r.start - offset..r.end - offset].iter().flat_map(|s| s.iter().map(|&v| v as f64)).collect::<Vec<f64>>();
    let nw = percentile95(&mut collect(pick - w..pick));
    let sw = percentile95(&mut collect(pick..pick + w));
    let snr = 10.0 * ((sw / nw).powi(2)).log10();
    snr.is_finite().then(|| (snr * 10.0).round() / 10.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trigger_runs_at_the_ends_and_single_samples() {
        assert_eq!(trigger_runs(&[0.5, 0.5, 0.0, 0.4], 0.3), vec![(0, 1), (3, 3)]);
        assert_eq!(trigger_runs(&[0.0; 5], 0.3), vec![]);
        assert_eq!(trigger_runs(&[0.3; 4], 0.3), vec![(0, 3)]);
    }

    #[test]
    fn peaks_need_a_rise_and_the_threshold() {
        // Rising edge of a flat top; plateau start at index 0 is not a peak.
        assert_eq!(detect_peaks(&[0.5, 0.5, 0.2, 0.3, 0.3, 0.3, 0.1], 0.1), vec![3]);
        assert_eq!(detect_peaks(&[0.0, 0.09, 0.0], 0.1), Vec::<usize>::new());
        assert_eq!(detect_peaks(&[0.0, 0.1, 0.0], 0.1), vec![1]);
    }

    #[test]
    fn peak_sigma_of_a_gaussian_is_its_sigma() {
        for sigma in [3.0_f64, 12.5, 40.0] {
            let x: Vec<f32> = (0..1000).map(|i| (0.9 * (-0.5 * ((i as f64 - 500.3) / sigma).powi(2)).exp()) as f32).collect();
            let est = peak_sigma_samples(&x, 500);
            assert!((est - sigma).abs() < 0.01 * sigma + 0.05, "sigma {sigma}: estimated {est}");
        }
    }

    fn bump(n: usize, centre: f64, width: f64, height: f32) -> Vec<f32> {
        (0..n).map(|i| height * (-0.5 * ((i as f64 - centre) / width).powi(2)).exp() as f32).collect()
    }

    #[test]
    fn picks_follow_the_original_rules() {
        let n = 6000;
        // Detection 0.9 on [1000, 2999], P peaks at 950 (0.4) and 1500 (0.8),
        // S peaks at 2000 (0.7) and 2500 (0.9): S is the earliest inside,
        // P the most probable before S - 10 and after start - 100.
        let d: Vec<f32> = (0..n).map(|i| if (1000..3000).contains(&i) { 0.9 } else { 0.0 }).collect();
        let p: Vec<f32> = bump(n, 950.0, 5.0, 0.4).iter().zip(bump(n, 1500.0, 5.0, 0.8)).map(|(a, b)| a + b).collect();
        let s: Vec<f32> = bump(n, 2000.0, 8.0, 0.7).iter().zip(bump(n, 2500.0, 8.0, 0.9)).map(|(a, b)| a + b).collect();
        let dets = extract_detections(&d, &p, &s, &PickerConfig::default());
        assert_eq!(dets.len(), 1);
        let e = &dets[0];
        assert_eq!((e.start, e.end), (1000, 2999));
        assert_eq!(e.probability, 0.9);
        assert_eq!(e.p.unwrap().sample, 1500);
        assert_eq!(e.p.unwrap().probability, 0.8);
        assert_eq!(e.s.unwrap().sample, 2000);
        assert!((e.s.unwrap().sigma_samples - 8.0).abs() < 0.2);
        // With the P peak at 1500 lowered below the 950 one, P moves to 950
        // (inside start - 100).
        let p2: Vec<f32> = bump(n, 950.0, 5.0, 0.4).iter().zip(bump(n, 1500.0, 5.0, 0.2)).map(|(a, b)| a + b).collect();
        assert_eq!(extract_detections(&d, &p2, &s, &PickerConfig::default())[0].p.unwrap().sample, 950);
        // A raised P threshold removes both P peaks; the event stays with S only.
        let cfg = PickerConfig { p_threshold: 0.95, ..PickerConfig::default() };
        let only_s = extract_detections(&d, &p, &s, &cfg);
        assert!(only_s[0].p.is_none() && only_s[0].s.is_some());
        // Short detections (< 10 samples) are dropped.
        let short: Vec<f32> = (0..n).map(|i| if (1000..1009).contains(&i) { 0.9 } else { 0.0 }).collect();
        assert!(extract_detections(&short, &p, &s, &PickerConfig::default()).is_empty());
    }

    #[test]
    fn snr_of_a_step_is_the_amplitude_ratio() {
        // Noise of amplitude 1, signal of amplitude 10 after sample 500: 20 dB.
        let data: Vec<[f32; 3]> = (0..1000).map(|i| if i < 500 { [1.0; 3] } else { [10.0; 3] }).collect();
        assert_eq!(snr_db(&data, 500, 100), Some(20.0));
        assert_eq!(snr_db(&data, 0, 100), None);
        // pick + window == len: the original gives no value.
        assert_eq!(snr_db(&data, 900, 100), None);
    }

    #[test]
    fn thresholds_are_validated() {
        assert!(PickerConfig::default().validate().is_ok());
        let bad = PickerConfig { s_threshold: 1.5, ..PickerConfig::default() };
        assert!(matches!(bad.validate(), Err(EqtError::Config { field: "s_threshold", .. })));
        let nan = PickerConfig { p_threshold: f32::NAN, ..PickerConfig::default() };
        assert!(nan.validate().is_err());
    }
}
