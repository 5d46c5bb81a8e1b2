//! Pick-time uncertainty from Monte-Carlo dropout: where each dropout
//! network would put the pick.
//!
//! The original's `p_uncertainty` / `s_uncertainty` are standard deviations
//! of the *probability* at the pick: they say how sure the network is that
//! there is a phase, not when it arrives, and a locator needs a time. Here
//! each of the N passes of a detection's window is picked on its own: the
//! pass's pick is the sample of its largest P (or S) probability within
//! [`SEARCH_HALF_WIDTH_S`] of the mean-trace pick (and, when the detection
//! has both phases, on the pick's own side of the midpoint between them).
//! The time sigma is the standard deviation (population, as numpy's `std`)
//! of those N pick times, at least [`MIN_SPREAD_S`] (one sample).
//!
//! The window is the one the detection was taken from (the per-window rule)
//! or, for picks of merged traces, the window in which the pick lies
//! nearest the centre ([`central_window`]). Its N passes use the same
//! dropout masks as the mean traces (window index and pass), so the spread
//! belongs to the passes the mean was made of and a run is reproducible
//! from its seed. The cost is N network evaluations per detection, against
//! N per window for the mean traces.

use super::model::{WindowPrediction, SAMPLING_RATE_HZ, WINDOW_SAMPLES};

/// Half-width (s) of the span around the mean-trace pick in which each
/// pass's pick is sought: wider than EQTransformer's timing errors on real
/// records (RMS ~0.1-0.2 s), narrower than most S-P times.
pub const SEARCH_HALF_WIDTH_S: f64 = 1.0;

/// Smallest pick-time sigma reported (s): one sample at 100 Hz, the
/// resolution of a pick.
pub const MIN_SPREAD_S: f64 = 1.0 / SAMPLING_RATE_HZ;

/// Pick-time standard deviations (s) over the Monte-Carlo passes.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct PickTimeSpread {
    /// Of the P pick (None without a P pick).
    pub p_s: Option<f32>,
    /// Of the S pick (None without an S pick).
    pub s_s: Option<f32>,
}

/// The search span (samples of the window, half-open) for a pick at `pick`
/// when the other phase is picked at `other` (same window frame).
fn search_span(pick: usize, other: Option<usize>) -> (usize, usize) {
    let half = (SEARCH_HALF_WIDTH_S * SAMPLING_RATE_HZ).round() as usize;
    let (mut lo, mut hi) = (pick.saturating_sub(half), (pick + half + 1).min(WINDOW_SAMPLES));
    if let Some(o) = other {
        let mid = (pick + o) / 2;
        if o > pick {
            hi = hi.min(mid.max(pick + 1));
        } else if o < pick {
            lo = lo.max((mid + 1).min(pick));
        }
    }
    (lo, hi)
}

/// Standard deviation (s) of the per-trace picks: each trace's largest
/// value in `span` (first of equal maxima), floored at [`MIN_SPREAD_S`].
/// `traces` are probability traces of one window, one per pass.
pub fn spread_of_picks<'a>(traces: impl IntoIterator<Item = &'a [f32]>, span: (usize, usize)) -> f32 {
    let (lo, hi) = span;
    let picks: Vec<f64> = traces
        .into_iter()
        .map(|t| {
            let seg = &t[lo..hi.min(t.len())];
            let (i, _) = seg.iter().enumerate().fold((0, f32::NEG_INFINITY), |best, (i, &v)| if v > best.1 { (i, v) } else { best });
            (lo + i) as f64 / SAMPLING_RATE_HZ
        })
        .collect();
    let n = picks.len().max(1) as f64;
    let mean = picks.iter().sum::<f64>() / n;
    let var = picks.iter().map(|t| (t - mean) * (t - mean)).sum::<f64>() / n;
    var.sqrt().max(MIN_SPREAD_S) as f32
}

/// The spreads of a detection's P and S picks at samples `p` and `s` of
/// its window's frame (`None`: no such pick) from the passes' predictions
/// of that window.
pub fn pick_time_spread(passes: &[WindowPrediction], p: Option<usize>, s: Option<usize>) -> PickTimeSpread {
    PickTimeSpread {
        p_s: p.map(|p| spread_of_picks(passes.iter().map(|w| w.p.as_slice()), search_span(p, s))),
        s_s: s.map(|s| spread_of_picks(passes.iter().map(|w| w.s.as_slice()), search_span(s, p))),
    }
}

/// Index of the window (of those starting at `starts`, each
/// [`WINDOW_SAMPLES`] long) holding `sample` nearest its centre; `None`
/// when no window holds it.
pub fn central_window(starts: &[usize], sample: usize) -> Option<usize> {
    let centre = WINDOW_SAMPLES / 2;
    starts
        .iter()
        .enumerate()
        .filter(|(_, &s)| sample >= s && sample < s + WINDOW_SAMPLES)
        .min_by_key(|(_, &s)| (sample - s).abs_diff(centre))
        .map(|(k, _)| k)
}

#[cfg(feature = "onnx")]
impl super::model::EqTransformer {
    /// The predictions of `passes` passes of the Monte-Carlo-dropout model
    /// on `window` ([`WINDOW_SAMPLES`] samples), pass `i` with the masks of
    /// pass `i` of window number `window_index` under `seed` (those the
    /// window's mean traces were made with; module docs): the input of
    /// [`pick_time_spread`].
    pub fn mc_passes(&mut self, window: &[[f32; 3]], window_index: usize, passes: usize, seed: u64) -> Result<Vec<WindowPrediction>, super::EqtError> {
        if self.masks.is_empty() {
            return Err(super::EqtError::NotMonteCarlo { path: self.path().to_path_buf() });
        }
        let copies: Vec<&[[f32; 3]]> = vec![window; passes];
        self.predict_with_masks(&copies, |pass, mask, m| super::mc_dropout::dropout_mask_values(seed, window_index as u64, pass, m, mask))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trace_with_peak(at: usize) -> Vec<f32> {
        (0..WINDOW_SAMPLES).map(|i| (-((i as f64 - at as f64) / 10.0).powi(2)).exp() as f32).collect()
    }

    #[test]
    fn spread_is_the_std_of_the_pass_peaks() {
        // Peaks at 1000, 1010, 1020, 1030 samples: std of 0, 0.1, 0.2, 0.3 s.
        let traces: Vec<Vec<f32>> = [1000, 1010, 1020, 1030].iter().map(|&a| trace_with_peak(a)).collect();
        let got = spread_of_picks(traces.iter().map(|t| t.as_slice()), search_span(1015, None));
        let want = 0.0125f64.sqrt(); // population variance of {0, .1, .2, .3} s
        assert!((got as f64 - want).abs() < 1e-6, "{got} vs {want}");
    }

    #[test]
    fn identical_passes_give_the_floor_and_far_peaks_are_ignored() {
        let same: Vec<Vec<f32>> = (0..5).map(|_| trace_with_peak(2000)).collect();
        assert_eq!(spread_of_picks(same.iter().map(|t| t.as_slice()), search_span(2000, None)), MIN_SPREAD_S as f32);
        // A larger peak 3 s away (outside the span) does not move a pass's pick.
        let mut t = trace_with_peak(2000);
        for (i, v) in trace_with_peak(2300).iter().enumerate() {
            t[i] = t[i].max(2.0 * v);
        }
        let traces = [t, trace_with_peak(2000)];
        assert_eq!(spread_of_picks(traces.iter().map(|t| t.as_slice()), search_span(2000, None)), MIN_SPREAD_S as f32);
    }

    #[test]
    fn span_stops_at_the_midpoint_to_the_other_phase() {
        assert_eq!(search_span(1000, None), (900, 1101));
        assert_eq!(search_span(1000, Some(1060)), (900, 1030));
        assert_eq!(search_span(1060, Some(1000)), (1031, 1161));
        assert_eq!(search_span(50, None), (0, 151));
        assert_eq!(search_span(5990, None), (5890, WINDOW_SAMPLES));
    }

    #[test]
    fn detection_spreads_follow_its_phases() {
        let passes: Vec<WindowPrediction> = [(1000, 1500), (1020, 1500), (1000, 1540)]
            .iter()
            .map(|&(p, s)| WindowPrediction { detection: vec![0.0; WINDOW_SAMPLES], p: trace_with_peak(p), s: trace_with_peak(s) })
            .collect();
        let got = pick_time_spread(&passes, Some(1005), Some(1510));
        let std3 = |a: f64, b: f64, c: f64| {
            let m = (a + b + c) / 3.0;
            (((a - m).powi(2) + (b - m).powi(2) + (c - m).powi(2)) / 3.0).sqrt()
        };
        assert!((got.p_s.unwrap() as f64 - std3(10.0, 10.2, 10.0)).abs() < 1e-5);
        assert!((got.s_s.unwrap() as f64 - std3(15.0, 15.0, 15.4)).abs() < 1e-5);
        assert!(pick_time_spread(&passes, Some(1005), None).s_s.is_none());
    }

    #[test]
    fn central_window_prefers_the_pick_nearest_the_centre() {
        let starts = [0, 4200, 8400];
        assert_eq!(central_window(&starts, 100), Some(0));
        assert_eq!(central_window(&starts, 5000), Some(0)); // 2000 from window 0's centre, 2200 from window 1's
        assert_eq!(central_window(&starts, 7000), Some(1));
        assert_eq!(central_window(&starts, 20_000), None);
    }
}
