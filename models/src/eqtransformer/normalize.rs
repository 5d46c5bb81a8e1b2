//! Per-window amplitude normalisation of the original EQTransformer predictor.
//!
//! The original (`mseed_predictor`, `norm_mode`) removes each component's mean
//! over the 60 s window, then divides by its standard deviation (`std`, the
//! predictor's default) or by its maximum (`max`; note: the signed maximum of
//! the demeaned trace, not the maximum absolute value, exactly as the
//! original). A component whose divisor is 0 (a dead channel) is only
//! demeaned. Arithmetic is in f64, as numpy does it, and rounded to f32 once.

use serde::{Deserialize, Serialize};

/// How a window is scaled before it enters the network.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Normalization {
    /// Demean, divide by the standard deviation (population, ddof = 0). The
    /// original predictor's default.
    #[default]
    Std,
    /// Demean, divide by the (signed) maximum, as the original `max` mode.
    Max,
    /// Leave the data as given (already normalised by the caller).
    None,
}

/// Normalises one window of `[E, N, Z]` samples in place.
///
/// ```
/// use eqnemix_models::eqtransformer::{normalize_window, Normalization};
/// let mut w = vec![[1.0_f32, 0.0, 5.0], [3.0, 0.0, 5.0]];
/// normalize_window(&mut w, Normalization::Std);
/// // E: mean 2, std 1 -> [-1, 1]; N and Z are constant -> only demeaned.
/// assert_eq!(w, vec![[-1.0, 0.0, 0.0], [1.0, 0.0, 0.0]]);
/// ```
pub fn normalize_window(window: &mut [[f32; 3]], mode: Normalization) {
    if mode == Normalization::None || window.is_empty() {
        return;
    }
    let n = window.len() as f64;
    for c in 0..3 {
        let mean = window.iter().map(|s| s[c] as f64).sum::<f64>() / n;
        let divisor = match mode {
            Normalization::Std => {
                let var = window.iter().map(|s| (s[c] as f64 - mean).powi(2)).sum::<f64>() / n;
                var.sqrt()
            }
            Normalization::Max => window.iter().map(|s| s[c] as f64 - mean).fold(f64::NEG_INFINITY, f64::max),
            Normalization::None => 1.0,
        };
        let divisor = if divisor == 0.0 { 1.0 } else { divisor };
        for s in window.iter_mut() {
            s[c] = ((s[c] as f64 - mean) / divisor) as f32;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn std_mode_gives_zero_mean_unit_variance() {
        let mut w: Vec<[f32; 3]> = (0..6000)
            .map(|i| {
                let t = i as f32 * 0.01;
                [3.0 + (7.0 * t).sin() * 100.0, -2.0 + t, (i % 7) as f32]
            })
            .collect();
        normalize_window(&mut w, Normalization::Std);
        for c in 0..3 {
            let n = w.len() as f64;
            let mean = w.iter().map(|s| s[c] as f64).sum::<f64>() / n;
            let var = w.iter().map(|s| (s[c] as f64 - mean).powi(2)).sum::<f64>() / n;
            assert!(mean.abs() < 1e-6, "component {c}: mean {mean}");
            assert!((var - 1.0).abs() < 1e-5, "component {c}: variance {var}");
        }
    }

    #[test]
    fn max_mode_uses_the_signed_maximum_like_the_original() {
        // Demeaned E is [-3, 1, 2]: the original divides by 2 (max), not 3 (max |x|).
        let mut w = vec![[-2.0_f32, 1.0, 1.0], [2.0, 1.0, 1.0], [3.0, 1.0, 1.0]];
        normalize_window(&mut w, Normalization::Max);
        assert_eq!(w.iter().map(|s| s[0]).collect::<Vec<_>>(), vec![-1.5, 0.5, 1.0]);
        assert_eq!(w.iter().map(|s| s[1]).collect::<Vec<_>>(), vec![0.0, 0.0, 0.0]);
    }
}
