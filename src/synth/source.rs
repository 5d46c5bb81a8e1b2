//! Source and path of one body-wave arrival: the Brune (1970) omega-square
//! spectrum with a corner frequency from moment and stress drop, geometric
//! spreading 1/R, and anelastic attenuation as a causal t* filter
//! (Futterman/Kolsky: amplitude `exp(-pi f t*)` with the matching
//! dispersion), synthesised in the frequency domain into a ground-velocity
//! pulse (m/s per unit radiation coefficient) sampled at the record's rate.
//!
//! Approximations (stated, deliberate): a point source with a one-sided
//! omega-square spectrum (no directivity), straight-line distance for the
//! spreading, one t* per phase (travel time / Q, Q frequency independent),
//! no site amplification beyond the free surface
//! ([`super::free_surface`]), and a recorder anti-alias taper above 0.4 fs.

use std::f64::consts::PI;

/// Crustal density used for amplitudes (kg/m³).
pub const DENSITY_KG_M3: f64 = 2700.0;
/// Average radiation pattern coefficients over the focal sphere (Boore &
/// Boatwright 1984): the level [`super::radiation`] smooths towards.
pub const RADIATION_P: f64 = 0.52;
pub const RADIATION_S: f64 = 0.63;

/// Seismic moment (N m) of moment magnitude `mw` (Hanks & Kanamori).
pub fn seismic_moment_nm(mw: f64) -> f64 {
    10f64.powf(1.5 * mw + 9.1)
}

/// Brune S-wave corner frequency (Hz) for moment `m0` (N m), stress drop
/// (MPa) and source shear velocity `beta_km_s`; P corners are 1.5x higher.
pub fn brune_corner_hz(m0: f64, stress_drop_mpa: f64, beta_km_s: f64) -> f64 {
    0.4906 * beta_km_s * 1000.0 * (stress_drop_mpa * 1e6 / m0).cbrt()
}

/// Long-period displacement level (m s) of the far-field spectrum at
/// hypocentral distance `r_km` for moment `m0` (N m), radiation coefficient
/// `rad` and phase velocity at the source `v_src_km_s`
/// (`Omega0 = M0 rad / (4 pi rho v^3 R)`).
pub fn omega0_m_s(m0: f64, rad: f64, v_src_km_s: f64, r_km: f64) -> f64 {
    let v = v_src_km_s * 1000.0;
    let r = r_km.max(0.1) * 1000.0;
    m0 * rad / (4.0 * PI * DENSITY_KG_M3 * v.powi(3) * r)
}

/// Number of samples of the synthesis window (a power of two; 20.48 s at
/// 100 Hz, long enough for the lowest corner of the sample, ~2 Hz).
const N_WINDOW: usize = 2048;
/// A sampled far-field ground-velocity pulse (m/s) whose first sample is
/// the causal onset: the arrival time of the phase (the travel time of the
/// model, whose velocities are taken as those at the highest frequency).
#[derive(Debug, Clone, PartialEq)]
pub struct Pulse {
    /// Velocity samples (m/s) from the onset, at `fs` Hz.
    pub samples: Vec<f64>,
    /// Source corner frequency (Hz).
    pub corner_hz: f64,
    /// Attenuation t* (s).
    pub t_star_s: f64,
}

impl Pulse {
    /// Synthesise the velocity pulse of displacement spectrum
    /// `omega0 / (1 + i f/fc)^2` (causal Brune), attenuated by
    /// `exp(-pi f t*) exp(-i 2 pi f (t*/pi) ln(f_r/f))` (Futterman, reference
    /// frequency `f_r` = Nyquist so that the delays are causal), tapered
    /// (cosine) from 0.35 fs to 0.5 fs (recorder anti-alias filter), at `fs` Hz.
    pub fn synthesise(omega0_m_s: f64, corner_hz: f64, t_star_s: f64, fs: f64) -> Self {
        let n = N_WINDOW;
        let df = fs / n as f64;
        let f_nyq = 0.5 * fs;
        // one-sided spectrum of velocity, then a real inverse DFT
        let mut re = vec![0.0; n / 2 + 1];
        let mut im = vec![0.0; n / 2 + 1];
        // a 1 s delay keeps the (small) acausal part of the taper inside the window
        let delay_s = 1.0;
        for k in 1..=n / 2 {
            let f = k as f64 * df;
            let w = 2.0 * PI * f;
            // U = omega0 / (1 + i f/fc)^2 ; V = i w U
            let (a, b) = (1.0, f / corner_hz);
            let (d_re, d_im) = (a * a - b * b, 2.0 * a * b); // (1 + i b)^2
            let den = d_re * d_re + d_im * d_im;
            let (u_re, u_im) = (omega0_m_s * d_re / den, -omega0_m_s * d_im / den);
            let (v_re, v_im) = (-w * u_im, w * u_re);
            let amp = (-PI * f * t_star_s).exp();
            let taper = if f <= 0.35 * fs {
                1.0
            } else {
                0.5 * (1.0 + (PI * (f - 0.35 * fs) / (0.15 * fs)).cos())
            };
            let tau = t_star_s / PI * (f_nyq / f).ln() + delay_s;
            let (c, s) = ((w * tau).cos(), -(w * tau).sin());
            re[k] = amp * taper * (v_re * c - v_im * s);
            im[k] = amp * taper * (v_re * s + v_im * c);
        }
        // x[j] = (1/T) sum_k X_k e^{i w_k t_j}, X_k scaled to the continuous FT
        let mut x = vec![0.0; n];
        for (j, xj) in x.iter_mut().enumerate() {
            let t = j as f64 / fs;
            let (c1, s1) = ((2.0 * PI * df * t).cos(), (2.0 * PI * df * t).sin());
            let (mut c, mut s) = (c1, s1);
            let mut acc = 0.0;
            for k in 1..=n / 2 {
                let wgt = if k == n / 2 { 1.0 } else { 2.0 };
                acc += wgt * (re[k] * c - im[k] * s);
                let nc = c * c1 - s * s1;
                s = s * c1 + c * s1;
                c = nc;
            }
            *xj = acc * df;
        }
        let peak = x.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        // the causal front: the Futterman delays are >= 0, so nothing of the
        // (causal) source and attenuation arrives before `delay_s`; what the
        // taper smears ahead of it is cut
        let onset = (delay_s * fs).round() as usize;
        // keep until the pulse has decayed (last sample above 1e-4 of the peak)
        let end = x.iter().rposition(|v| v.abs() >= 1e-4 * peak).map_or(n, |e| e + 1).max(onset + 1);
        Pulse { samples: x[onset..end].to_vec(), corner_hz, t_star_s }
    }

    /// Largest |velocity| (m/s).
    pub fn peak_m_s(&self) -> f64 {
        self.samples.iter().fold(0.0, |m, v| m.max(v.abs()))
    }

    /// Root of the summed squared samples (m/s · √samples): the RMS scale of
    /// white noise convolved with the pulse.
    pub fn norm(&self) -> f64 {
        self.samples.iter().map(|v| v * v).sum::<f64>().sqrt()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pulse_is_causal_and_its_displacement_level_is_omega0() {
        let fs = 100.0;
        let p = Pulse::synthesise(1e-6, 5.0, 0.01, fs);
        // displacement = running sum of velocity / fs; its integral over
        // time is the spectrum at f = 0: omega0 (Brune, attenuation 1 there)
        let mut u = 0.0;
        let mut area = 0.0;
        for v in &p.samples {
            u += v / fs;
            area += u / fs;
        }
        assert!((area / 1e-6 - 1.0).abs() < 0.05, "displacement area {area:e}");
        // the onset is the first sample; the peak comes within ~1/fc
        let k = p.samples.iter().position(|v| v.abs() == p.peak_m_s()).unwrap();
        assert!((k as f64) / fs < 0.3, "peak {k} samples after the onset");
    }

    #[test]
    fn attenuation_lowers_the_peak_and_widens_the_pulse() {
        let a = Pulse::synthesise(1e-6, 10.0, 0.0, 100.0);
        let b = Pulse::synthesise(1e-6, 10.0, 0.05, 100.0);
        assert!(b.peak_m_s() < 0.6 * a.peak_m_s());
    }
}
