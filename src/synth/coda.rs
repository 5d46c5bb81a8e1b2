//! Scattered coda after a direct arrival: Gaussian white noise convolved
//! with the arrival's own pulse (so the coda has the spectrum of the direct
//! wave: source corner and t* attenuation), normalised to unit RMS, under
//! an envelope that starts at the onset, reaches its level within
//! [`CODA_RISE_S`] (the scattered energy arriving just behind the direct
//! wave) and then decays exponentially with time constant `tau_s`.
//!
//! Units: the output is in the units of the caller's `level` (counts of
//! ground velocity in the generator), one value per sample from the onset.
//! Assumptions: single-frequency-band exponential decay (no frequency-
//! dependent coda Q), isotropic on the three components (scaled by the
//! caller), independent noise per component.

use rand::Rng;
use rand_distr::{Distribution, StandardNormal};

/// Time (s) over which the coda envelope rises to its level after the onset.
pub const CODA_RISE_S: f64 = 0.5;

/// `n` samples of coda at `fs` Hz: RMS envelope `level * rise(t) * exp(-t/tau_s)`,
/// spectrum shaped by `pulse` (velocity samples from the onset).
pub fn scattered<R: Rng>(rng: &mut R, pulse: &[f64], n: usize, fs: f64, level: f64, tau_s: f64) -> Vec<f64> {
    let m = pulse.len();
    let norm = pulse.iter().map(|v| v * v).sum::<f64>().sqrt().max(1e-300);
    let white: Vec<f64> = (0..n + m).map(|_| StandardNormal.sample(rng)).collect();
    (0..n)
        .map(|j| {
            // causal convolution: sample j sees white[j .. j + m] (white is offset by m)
            let mut acc = 0.0;
            for (i, p) in pulse.iter().enumerate() {
                acc += p * white[j + m - i];
            }
            let t = j as f64 / fs;
            let rise = (t / CODA_RISE_S).min(1.0);
            level * rise * (-t / tau_s).exp() * acc / norm
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn coda_rms_follows_the_envelope() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
        let pulse: Vec<f64> = (0..40).map(|i| ((i as f64) * 0.3).sin() * (-(i as f64) / 10.0).exp()).collect();
        let c = scattered(&mut rng, &pulse, 20_000, 100.0, 3.0, 1e9);
        let rms = (c[1000..].iter().map(|v| v * v).sum::<f64>() / (c.len() - 1000) as f64).sqrt();
        assert!((rms - 3.0).abs() < 0.1, "RMS {rms}");
        assert_eq!(c[0], 0.0);
    }
}
