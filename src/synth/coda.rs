//! Scattered coda after a direct arrival: Gaussian white noise convolved
//! with the arrival's own pulse (so the coda has the spectrum of the direct
//! wave: source corner and t* attenuation), normalised to unit RMS, under
//! the envelope of [`CodaEnvelope`]: it starts at the onset, reaches its
//! level within [`CODA_RISE_S`] (the scattered energy arriving just behind
//! the direct wave) and then decays with *lapse time* (time since the
//! origin) as single scattering predicts, `t^-1 exp(-pi f t / Qc)` (Aki &
//! Chouet 1975). The decay does not depend on magnitude; larger events
//! have longer codas only because they start higher above the noise.
//!
//! Units: the output is in the units of the caller's `level` (counts of
//! ground velocity in the generator), one value per sample from the onset.
//! Assumptions: one frequency band (one coda Q, [`CODA_DECAY_S`]),
//! isotropic on the three components (scaled by the caller), independent
//! noise per component.

use super::source::Pulse;
use rand::Rng;

/// Time (s) over which the coda envelope rises to its level after the onset.
pub const CODA_RISE_S: f64 = 0.5;

/// Time constant (s) of the coda's anelastic decay, `Qc / (pi f)`: a
/// crustal coda Q of about 350 at 6 Hz, the band where EQTransformer's
/// input (1-45 Hz band-pass) carries most local-event energy.
pub const CODA_DECAY_S: f64 = 18.0;

/// The RMS envelope of a coda (relative to its level) as a function of the
/// time after its onset.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CodaEnvelope {
    /// Lapse time (s since the origin) of the onset: the direct wave's
    /// travel time.
    pub onset_lapse_s: f64,
    /// Anelastic decay time constant (s), [`CODA_DECAY_S`] by default.
    pub decay_s: f64,
}

impl CodaEnvelope {
    /// The envelope of a coda whose direct wave took `travel_time_s`.
    pub fn after(travel_time_s: f64) -> Self {
        CodaEnvelope { onset_lapse_s: travel_time_s.max(0.1), decay_s: CODA_DECAY_S }
    }

    /// Relative RMS `t` s after the onset: rise, geometric `t0 / (t0 + t)`
    /// single-scattering decay, anelastic `exp(-t / decay_s)`.
    pub fn at(&self, t: f64) -> f64 {
        if t < 0.0 {
            return 0.0;
        }
        let rise = (t / CODA_RISE_S).min(1.0);
        rise * self.onset_lapse_s / (self.onset_lapse_s + t) * (-t / self.decay_s).exp()
    }

    /// Time (s after the onset) at which `level * at(t)` has fallen to
    /// `floor` (0 when it never exceeds it), at most `cap_s`.
    pub fn duration_s(&self, level: f64, floor: f64, cap_s: f64) -> f64 {
        if level <= floor {
            return 0.0;
        }
        let mut t = CODA_RISE_S;
        while t < cap_s && level * self.at(t) > floor {
            t += 0.25;
        }
        t.min(cap_s)
    }
}

/// `n` samples of coda at `fs` Hz: RMS envelope `level * envelope.at(t)`,
/// spectrum shaped by the direct wave's `pulse`.
pub fn scattered<R: Rng>(rng: &mut R, pulse: &Pulse, n: usize, fs: f64, level: f64, envelope: &CodaEnvelope) -> Vec<f64> {
    let m = pulse.samples.len();
    let norm = pulse.norm().max(1e-300);
    let white = super::gaussian_noise(rng, n + m);
    (0..n)
        .map(|j| {
            // causal convolution: sample j sees white[j .. j + m] (white is offset by m)
            let mut acc = 0.0;
            for (i, p) in pulse.samples.iter().enumerate() {
                acc += p * white[j + m - i];
            }
            level * envelope.at(j as f64 / fs) * acc / norm
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
        let samples: Vec<f64> = (0..40).map(|i| ((i as f64) * 0.3).sin() * (-(i as f64) / 10.0).exp()).collect();
        let pulse = Pulse { samples, corner_hz: 5.0, t_star_s: 0.0 };
        let flat = CodaEnvelope { onset_lapse_s: 1e12, decay_s: 1e12 };
        let c = scattered(&mut rng, &pulse, 20_000, 100.0, 3.0, &flat);
        let rms = (c[1000..].iter().map(|v| v * v).sum::<f64>() / (c.len() - 1000) as f64).sqrt();
        assert!((rms - 3.0).abs() < 0.1, "RMS {rms}");
        assert_eq!(c[0], 0.0);
    }

    #[test]
    fn envelope_decays_with_lapse_time_and_ends_at_the_floor() {
        let e = CodaEnvelope { onset_lapse_s: 4.0, decay_s: 18.0 };
        // after the rise: 4 / (4 + t) exp(-t / 18)
        let want = 4.0 / 8.0 * (-4.0f64 / 18.0).exp();
        assert!((e.at(4.0) - want).abs() < 1e-12);
        // a later onset (a farther source) decays more slowly in its first seconds
        let far = CodaEnvelope { onset_lapse_s: 20.0, decay_s: 18.0 };
        assert!(far.at(4.0) > e.at(4.0));
        // the duration grows with the level over the floor (coda magnitude)
        let d1 = e.duration_s(1e3, 1.0, 600.0);
        let d2 = e.duration_s(1e5, 1.0, 600.0);
        assert!(d2 > d1 + 20.0, "{d1} {d2}");
        assert!(1e3 * e.at(d1) <= 1.0 && 1e3 * e.at(d1 - 0.25) > 1.0);
        assert_eq!(e.duration_s(0.5, 1.0, 600.0), 0.0);
    }
}
