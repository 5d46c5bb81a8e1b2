//! Back-azimuth of a P wave from its three-component polarisation.
//!
//! A P wave moves the ground along its ray: up and away from the source for
//! a compressional first motion, down and towards it for a dilatational one.
//! In a short window after the P pick the particle motion is therefore
//! (nearly) rectilinear, and the principal eigenvector `v₁` of its 3×3
//! covariance is the ray direction up to sign.
//!
//! # Conventions
//!
//! Components are `(Z, N, E)`: vertical positive **up**, north, east, in the
//! same units on all three (counts or m/s). The back-azimuth is the azimuth
//! **from the station towards the epicentre**, degrees clockwise from north
//! in `[0, 360)`, as [`crate::likelihood::back_azimuth`] and
//! [`crate::synth::polarisation_vectors`] define it: a compressional P
//! arriving from back-azimuth `b` at incidence `i` moves the ground along
//! `(cos i, −sin i cos b, −sin i sin b)`.
//!
//! # The 180° ambiguity
//!
//! `v₁` is defined only up to sign. For either polarity the vertical and the
//! radial (source-to-station) motion have the **same** sign: up with away,
//! down with towards. So after turning `v₁` to point up (`v₁_Z ≥ 0`) its
//! horizontal part points away from the source and
//! `b = atan2(−v₁_E, −v₁_N)`. The rule needs `v₁_Z ≠ 0`; a free-surface
//! S-to-P conversion or a near-horizontal ray weakens it (not modelled here).
//!
//! # Processing
//!
//! 1. A segment from `warm_up_s + noise_s + lead_s` before the pick to the
//!    end of the signal window is cut, each component demeaned
//!    ([`eqnemix_models::waveform::preprocess::demean`]).
//! 2. A **causal** Butterworth band-pass (`low_hz`–`high_hz`, order 2 each,
//!    [`eqnemix_models::waveform::preprocess::butterworth_sections`]) removes
//!    the microseism and high-frequency noise. The same linear filter on all
//!    three components keeps a rectilinear motion rectilinear along the same
//!    direction; being causal, it moves no P energy into the noise window
//!    before the pick (a zero-phase filter would).
//! 3. Signal window: from `lead_s` before the P pick, `length_s` long, ended
//!    `s_guard_s` before the S pick when one is given. Noise window: the
//!    `noise_s` before the signal window.
//! 4. `C = (1/N) Σ u uᵀ` over the signal window, eigen-decomposed with
//!    nalgebra's `SymmetricEigen`: `λ₁ ≥ λ₂ ≥ λ₃`.
//!
//! # Uncertainty
//!
//! A small rotation `δ` of `v₁` about the vertical changes the back-azimuth
//! by `δ / |v₁ₕ|` (`|v₁ₕ|` the horizontal length of `v₁`, `sin` of the
//! incidence). To first order in the noise (the standard eigenvector
//! perturbation, as in Anderson 1963 for sample covariances), the rotation
//! of `v₁` towards a unit direction `d ⟂ v₁` is
//!
//! ```text
//! δ_d = dᵀ Ĉ v₁ / (λ₁ − λ_d) = (1/N) Σ_k (d·n_k) (a_k + v₁·n_k) / (λ₁ − λ_d)
//! ```
//!
//! with `a_k` the signal along `v₁` and `n_k` the noise. The noise is
//! **coloured** (band-passed site noise, microseism leakage), so instead of
//! a time-bandwidth guess its autocovariances `R_d(m)`, `R_v₁(m)` along `d`
//! and `v₁` are estimated from the noise window, and
//!
//! ```text
//! var δ_d = Σ_m w_m [ R_d(m) Σ_k a_k a_{k+m} + R_d(m) R_v₁(m) (N − m) ] / (N (λ₁ − λ_d))²
//! λ_d     = max(dᵀ C d, dᵀ C_noise d)       (w₀ = 1, w_m = 2)
//! ```
//!
//! With `d = t` the horizontal transverse direction,
//! `σ_b = atan(sd(δ_t) / |v₁ₕ|)` (the `atan` caps it at 90° when the motion
//! has no preferred direction). With `d` in the vertical plane of `v₁`, the
//! probability that noise tipped `v₁` below the horizontal — and so flipped
//! the sign rule by 180° — is `p = Φ(−asin(v₁_Z) / sd(δ_d))`, and the
//! reported sigma is the circular standard deviation of the mixture
//! `(1−p)` at `b`, `p` at `b + 180°`, plus a floor:
//!
//! ```text
//! σ = sqrt( σ_b² − 2 ln(1 − 2p) + σ_floor² )      (capped at 180°)
//! ```
//!
//! Conservative choices: the power across `v₁` is at least the noise
//! window's (a quiet draw in the signal window does not shrink σ), the
//! signal `a_k` includes its noise, and the floor (default 2°: sensor
//! misorientation, 3-D ray bending and P coda, which the noise window
//! cannot see) is added in quadrature. `tests/polarisation.rs` measures it
//! on the synthetic generator's events: rms(error/σ) 0.19 at the default
//! noise (floor-dominated, errors < 1°), 1.16 at 10× the noise without the
//! floor; `claimed_sigma_matches_the_scatter_on_noisy_records` 1.08 on
//! white-noise records.

use eqnemix_models::waveform::preprocess::{butterworth_sections, demean};
use eqnemix_models::waveform::ThreeComponent;
use nalgebra::{Matrix3, SymmetricEigen, Vector3};

/// Why a polarisation could not be measured.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PolarisationError {
    /// A setting or argument is invalid (names it).
    #[error("polarisation: `{field}` = {value}: {what}")]
    Invalid {
        /// The setting or argument.
        field: &'static str,
        /// Its value.
        value: f64,
        /// What is wrong.
        what: &'static str,
    },
    /// The three components differ in length.
    #[error("polarisation: components have different lengths (Z {z}, N {n}, E {e} samples)")]
    Lengths {
        /// Z samples.
        z: usize,
        /// N samples.
        n: usize,
        /// E samples.
        e: usize,
    },
    /// The noise or signal window is not inside the record.
    #[error(
        "polarisation: the window {start_s:.3}..{end_s:.3} s (noise window start to signal window end, \
         after the record's first sample) is outside the record of {record_s:.3} s"
    )]
    WindowOutsideRecord {
        /// Window start, s after the first sample.
        start_s: f64,
        /// Window end, s after the first sample.
        end_s: f64,
        /// Record length, s.
        record_s: f64,
    },
    /// The S pick leaves too short a P window.
    #[error("polarisation: only {length_s:.3} s between the P window start and the S pick guard (need {min_s:.3} s)")]
    WindowTooShort {
        /// Usable length, s.
        length_s: f64,
        /// Minimum, s.
        min_s: f64,
    },
    /// A sample is NaN or infinite.
    #[error("polarisation: component {component} sample {index} is not finite")]
    NotFinite {
        /// `Z`, `N` or `E`.
        component: char,
        /// Sample index in the record.
        index: usize,
    },
    /// No motion in the signal window after filtering.
    #[error("polarisation: the signal window has no motion after filtering (flat data)")]
    FlatData,
}

/// Window and filter of a polarisation measurement. Times in s, corners in Hz.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PolarisationWindow {
    /// The signal window starts this long before the P pick (s), so a late
    /// pick does not cut the first motion.
    pub lead_s: f64,
    /// Signal window length (s).
    pub length_s: f64,
    /// Noise window length before the signal window (s).
    pub noise_s: f64,
    /// Filter warm-up before the noise window (s); shortened to the data
    /// available.
    pub warm_up_s: f64,
    /// Band-pass corners (Hz).
    pub low_hz: f64,
    /// Upper corner (Hz); dropped when at or above 0.45 × the sampling rate.
    pub high_hz: f64,
    /// The signal window ends at least this long before the S pick (s).
    pub s_guard_s: f64,
    /// Shortest signal window accepted after the S guard (s).
    pub min_length_s: f64,
    /// Uncertainty floor added in quadrature (degrees).
    pub sigma_floor_deg: f64,
}

impl Default for PolarisationWindow {
    /// 0.05 s lead (about one EQTransformer pick sigma), 1 s signal window,
    /// 3 s noise window, 5 s warm-up, 1–10 Hz band (above the microseism,
    /// around the P corner frequencies of M 1–4 local events), S guard 0.1 s,
    /// minimum window 0.25 s, floor 2°.
    fn default() -> Self {
        PolarisationWindow {
            lead_s: 0.05,
            length_s: 1.0,
            noise_s: 3.0,
            warm_up_s: 5.0,
            low_hz: 1.0,
            high_hz: 10.0,
            s_guard_s: 0.1,
            min_length_s: 0.25,
            sigma_floor_deg: 2.0,
        }
    }
}

/// A P-wave polarisation measurement.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Polarisation {
    /// Back-azimuth, station towards epicentre, degrees clockwise from north, `[0, 360)`.
    pub back_azimuth_deg: f64,
    /// One-sigma uncertainty of the back-azimuth (degrees), module doc.
    pub sigma_back_azimuth_deg: f64,
    /// Apparent incidence of `v₁` from the vertical (degrees; no free-surface correction).
    pub incidence_deg: f64,
    /// Rectilinearity `1 − (λ₂ + λ₃) / (2 λ₁)` (1: purely linear, 0: isotropic).
    pub rectilinearity: f64,
    /// Eigenvalues `λ₁ ≥ λ₂ ≥ λ₃` of the signal window covariance (units²).
    pub eigenvalues: [f64; 3],
    /// Principal eigenvector `(Z, N, E)`, turned to point up.
    pub direction_zne: [f64; 3],
    /// Signal-to-noise power ratio: `λ₁` over the noise window's mean power per component.
    pub snr: f64,
    /// Samples in the signal window.
    pub n_samples: usize,
    /// Probability (Gaussian, first order) that noise flipped the sign rule: the
    /// back-azimuth is then 180° off. Included in the sigma.
    pub p_flip: f64,
}

/// Variance of `Σ_k a_k n_k + Σ_k m_k n'_k` for a fixed signal `a` (length
/// N) and stationary noises `n` (along `d`) and `m` (along v₁) whose
/// autocovariances are estimated from the noise-window samples `noise_d`,
/// `noise_v1` (biased estimator, lags below N and below the noise length).
fn cross_variance(a: &[f64], noise_d: &[f64], noise_v1: &[f64]) -> f64 {
    let n = a.len();
    let m = noise_d.len();
    let autocov = |x: &[f64], y: &[f64], lag: usize| -> f64 {
        (0..m - lag).map(|k| x[k] * y[k + lag]).sum::<f64>() / m as f64
    };
    let mut var = 0.0;
    for lag in 0..n.min(m) {
        let r_d = autocov(noise_d, noise_d, lag);
        let r_v = autocov(noise_v1, noise_v1, lag);
        let a_lag: f64 = (0..n - lag).map(|k| a[k] * a[k + lag]).sum();
        let weight = if lag == 0 { 1.0 } else { 2.0 };
        // signal x noise, and noise x noise (Isserlis, the d-v₁ cross-covariance neglected)
        var += weight * (r_d * a_lag + r_d * r_v * (n - lag) as f64);
    }
    var.max(0.0)
}

/// Measure the P polarisation in `z`, `n`, `e` (same length, `sampling_rate`
/// Hz, up/north/east) with the P pick at `p_pick_s` seconds after the first
/// sample and optionally the S pick at `s_pick_s`.
///
/// ```
/// use eqnemix::polarisation::{p_wave_polarisation, PolarisationWindow};
/// // a 3 Hz P pulse from back-azimuth 60° at 30° incidence, at t = 10 s
/// let fs = 100.0;
/// let (b, i) = (60f64.to_radians(), 30f64.to_radians());
/// let dir = [i.cos(), -i.sin() * b.cos(), -i.sin() * b.sin()];
/// let mut zne = [vec![0.0; 2000], vec![0.0; 2000], vec![0.0; 2000]];
/// for k in 1000..1100 {
///     let a = (2.0 * std::f64::consts::PI * 3.0 * (k - 1000) as f64 / fs).sin();
///     for c in 0..3 { zne[c][k] = a * dir[c] + 1e-3 * ((k * (c + 3)) as f64).sin(); }
/// }
/// let p = p_wave_polarisation(&zne[0], &zne[1], &zne[2], fs, 10.0, None, &PolarisationWindow::default()).unwrap();
/// assert!((p.back_azimuth_deg - 60.0).abs() < 1.0);
/// ```
pub fn p_wave_polarisation(
    z: &[f64],
    n: &[f64],
    e: &[f64],
    sampling_rate: f64,
    p_pick_s: f64,
    s_pick_s: Option<f64>,
    w: &PolarisationWindow,
) -> Result<Polarisation, PolarisationError> {
    let inv = |field, value: f64, what| Err(PolarisationError::Invalid { field, value, what });
    if !(sampling_rate.is_finite() && sampling_rate > 0.0) {
        return inv("sampling_rate", sampling_rate, "must be finite and > 0");
    }
    if !p_pick_s.is_finite() {
        return inv("p_pick_s", p_pick_s, "must be finite");
    }
    if let Some(s) = s_pick_s {
        if !s.is_finite() || s <= p_pick_s {
            return inv("s_pick_s", s, "must be finite and after the P pick");
        }
    }
    for (field, v) in [
        ("lead_s", w.lead_s),
        ("noise_s", w.noise_s),
        ("warm_up_s", w.warm_up_s),
        ("s_guard_s", w.s_guard_s),
        ("sigma_floor_deg", w.sigma_floor_deg),
    ] {
        if !(v.is_finite() && v >= 0.0) {
            return inv(field, v, "must be finite and >= 0");
        }
    }
    if !(w.length_s.is_finite() && w.length_s > 0.0) {
        return inv("length_s", w.length_s, "must be finite and > 0");
    }
    if !(w.min_length_s.is_finite() && w.min_length_s > 0.0) {
        return inv("min_length_s", w.min_length_s, "must be finite and > 0");
    }
    if !(w.low_hz.is_finite() && w.low_hz > 0.0 && w.low_hz < 0.45 * sampling_rate) {
        return inv("low_hz", w.low_hz, "must be > 0 and below 0.45 x the sampling rate");
    }
    if !(w.high_hz.is_finite() && w.high_hz > w.low_hz) {
        return inv("high_hz", w.high_hz, "must be above low_hz");
    }
    if z.len() != n.len() || z.len() != e.len() {
        return Err(PolarisationError::Lengths { z: z.len(), n: n.len(), e: e.len() });
    }

    // signal window [t0, t1), noise window [t0 - noise_s, t0)
    let t0 = p_pick_s - w.lead_s;
    let mut t1 = t0 + w.length_s;
    if let Some(s) = s_pick_s {
        t1 = t1.min(s - w.s_guard_s);
        if t1 - t0 < w.min_length_s {
            return Err(PolarisationError::WindowTooShort { length_s: t1 - t0, min_s: w.min_length_s });
        }
    }
    let record_s = z.len() as f64 / sampling_rate;
    let noise_start = t0 - w.noise_s;
    let outside = || PolarisationError::WindowOutsideRecord { start_s: noise_start, end_s: t1, record_s };
    if noise_start < 0.0 || t1 > record_s {
        return Err(outside());
    }
    let idx = |t: f64| (t * sampling_rate).round() as usize;
    let (i_noise, i0, i1) = (idx(noise_start), idx(t0), idx(t1).min(z.len()));
    if i1 <= i0 + 2 {
        return Err(outside());
    }
    let i_start = idx((noise_start - w.warm_up_s).max(0.0)).min(i_noise);

    // cut, check, demean, causal band-pass
    let mut sections = butterworth_sections(2, w.low_hz, sampling_rate, true);
    if w.high_hz < 0.45 * sampling_rate {
        sections.extend(butterworth_sections(2, w.high_hz, sampling_rate, false));
    }
    let mut comps: [Vec<f64>; 3] = [Vec::new(), Vec::new(), Vec::new()];
    for (c, (x, name)) in [(z, 'Z'), (n, 'N'), (e, 'E')].into_iter().enumerate() {
        let seg = &x[i_start..i1];
        if let Some(k) = seg.iter().position(|v| !v.is_finite()) {
            return Err(PolarisationError::NotFinite { component: name, index: i_start + k });
        }
        let mut y = seg.to_vec();
        demean(&mut y);
        for s in &sections {
            s.run(&mut y);
        }
        comps[c] = y;
    }
    let cov = |a: usize, b: usize| -> Matrix3<f64> {
        let mut m = Matrix3::zeros();
        for k in (a - i_start)..(b - i_start) {
            let u = Vector3::new(comps[0][k], comps[1][k], comps[2][k]);
            m += u * u.transpose();
        }
        m / (b - a).max(1) as f64
    };
    let c_sig = cov(i0, i1);
    let c_noise = cov(i_noise, i0);
    if !(c_sig.trace() > 0.0) || !c_sig.iter().all(|v| v.is_finite()) {
        return Err(PolarisationError::FlatData);
    }

    let eig = SymmetricEigen::new(c_sig);
    let mut order = [0usize, 1, 2];
    order.sort_by(|&a, &b| eig.eigenvalues[b].total_cmp(&eig.eigenvalues[a]));
    let lam = order.map(|k| eig.eigenvalues[k].max(0.0));
    if !(lam[0] > 0.0) {
        return Err(PolarisationError::FlatData);
    }
    let mut v1: Vector3<f64> = eig.eigenvectors.column(order[0]).into_owned();
    if v1[0] < 0.0 {
        v1 = -v1;
    }
    let back_azimuth_deg = (-v1[2]).atan2(-v1[1]).to_degrees().rem_euclid(360.0);
    let horizontal = (v1[1] * v1[1] + v1[2] * v1[2]).sqrt();
    let incidence_deg = horizontal.atan2(v1[0]).to_degrees();

    // uncertainty (module doc)
    let n_samples = i1 - i0;
    let sig_range = (i0 - i_start)..(i1 - i_start);
    let noise_range = (i_noise - i_start)..(i0 - i_start);
    let project = |d: &Vector3<f64>, r: std::ops::Range<usize>| -> Vec<f64> {
        r.map(|k| d[0] * comps[0][k] + d[1] * comps[1][k] + d[2] * comps[2][k]).collect()
    };
    let along_v1 = project(&v1, sig_range.clone());
    let noise_v1 = project(&v1, noise_range.clone());
    // sd of the eigenvector's rotation towards the unit direction `d` ⟂ v₁ (rad)
    let rotation_sd = |d: &Vector3<f64>| -> f64 {
        let lam_d = (d.transpose() * c_sig * d)[0].max((d.transpose() * c_noise * d)[0]).max(0.0);
        let gap = lam[0] - lam_d;
        if gap <= 0.0 {
            return f64::INFINITY;
        }
        let noise_d = project(d, noise_range.clone());
        let var = cross_variance(&along_v1, &noise_d, &noise_v1) / (n_samples as f64 * gap).powi(2);
        var.sqrt()
    };
    let horizontal = horizontal.max(1e-12);
    let transverse = Vector3::new(0.0, -v1[2], v1[1]) / horizontal;
    let sd_t = rotation_sd(&transverse);
    let sigma_b = (sd_t / horizontal).atan();
    // rotation in the vertical plane of v₁; the sign rule fails when it tips v₁ below horizontal
    let vertical_dir = Vector3::new(horizontal, -v1[0] * v1[1] / horizontal, -v1[0] * v1[2] / horizontal);
    let sd_r = rotation_sd(&vertical_dir);
    let margin = v1[0].clamp(0.0, 1.0).asin();
    let p_flip = if sd_r.is_finite() && sd_r > 0.0 {
        0.5 * statrs::function::erf::erfc(margin / (sd_r * std::f64::consts::SQRT_2))
    } else {
        0.5
    };
    // circular sd of the mixture (1-p) at b and p at b+180°: sqrt(σ² − 2 ln(1 − 2p))
    let var_total = sigma_b * sigma_b - 2.0 * (1.0 - 2.0 * p_flip).max(1e-300).ln()
        + w.sigma_floor_deg.to_radians().powi(2);
    let sigma_back_azimuth_deg = if var_total.is_finite() { var_total.sqrt().to_degrees().min(180.0) } else { 180.0 };
    let noise_power = c_noise.trace() / 3.0;
    Ok(Polarisation {
        back_azimuth_deg,
        sigma_back_azimuth_deg,
        incidence_deg,
        rectilinearity: 1.0 - (lam[1] + lam[2]) / (2.0 * lam[0]),
        eigenvalues: lam,
        direction_zne: [v1[0], v1[1], v1[2]],
        p_flip,
        snr: if noise_power > 0.0 { lam[0] / noise_power } else { f64::INFINITY },
        n_samples,
    })
}

/// [`p_wave_polarisation`] on a station's records with picks in UTC.
pub fn p_wave_polarisation_3c(
    three: &ThreeComponent,
    p_pick: chrono::DateTime<chrono::Utc>,
    s_pick: Option<chrono::DateTime<chrono::Utc>>,
    w: &PolarisationWindow,
) -> Result<Polarisation, PolarisationError> {
    let after = |t: chrono::DateTime<chrono::Utc>| crate::picks::duration_s(t - three.start);
    p_wave_polarisation(&three.z, &three.n, &three.e, three.sampling_rate, after(p_pick), s_pick.map(after), w)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;
    use rand_distr::{Distribution, StandardNormal};

    const FS: f64 = 100.0;

    /// A rectilinear P pulse (3 Hz, two cycles, amplitude `amp`, polarity
    /// `pol`) from back-azimuth `baz_deg` at incidence `inc_deg`, starting at
    /// 10 s in a 20 s record, plus white noise of unit standard deviation.
    fn record(baz_deg: f64, inc_deg: f64, pol: f64, amp: f64, seed: u64) -> [Vec<f64>; 3] {
        let (dir, _, _) = crate::synth::polarisation_vectors(baz_deg.to_radians(), inc_deg.to_radians());
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut out = [vec![0.0; 2000], vec![0.0; 2000], vec![0.0; 2000]];
        for k in 0..2000 {
            let tau = (k as f64 - 1000.0) / FS;
            let a = if (0.0..0.667).contains(&tau) { pol * amp * (2.0 * std::f64::consts::PI * 3.0 * tau).sin() } else { 0.0 };
            for c in 0..3 {
                let g: f64 = StandardNormal.sample(&mut rng);
                out[c][k] = a * dir[c] + g;
            }
        }
        out
    }

    fn angle_diff(a: f64, b: f64) -> f64 {
        (a - b + 540.0).rem_euclid(360.0) - 180.0
    }

    #[test]
    fn recovers_back_azimuth_all_around_the_circle_for_both_polarities() {
        let w = PolarisationWindow::default();
        let mut worst: f64 = 0.0;
        for (j, baz) in (0..24).map(|k| 7.5 + 15.0 * k as f64).enumerate() {
            for pol in [1.0, -1.0] {
                let r = record(baz, 35.0, pol, 100.0, j as u64);
                let p = p_wave_polarisation(&r[0], &r[1], &r[2], FS, 10.0, None, &w).unwrap();
                let d = angle_diff(p.back_azimuth_deg, baz).abs();
                worst = worst.max(d);
                assert!(d < 3.0, "baz {baz} polarity {pol}: got {:.2}", p.back_azimuth_deg);
                assert!((p.incidence_deg - 35.0).abs() < 3.0, "incidence {:.2}", p.incidence_deg);
                assert!(p.rectilinearity > 0.9, "rectilinearity {:.3}", p.rectilinearity);
                assert!(d < 3.0 * p.sigma_back_azimuth_deg, "error {d:.2} vs sigma {:.2}", p.sigma_back_azimuth_deg);
            }
        }
        assert!(worst > 0.0, "noise must move the estimate a little");
    }

    #[test]
    fn claimed_sigma_matches_the_scatter_on_noisy_records() {
        // amplitude 8 against unit noise: several degrees of scatter
        let w = PolarisationWindow { sigma_floor_deg: 0.0, ..PolarisationWindow::default() };
        let (mut z2, mut sig2) = (0.0, 0.0);
        let m = 200;
        for seed in 0..m {
            let baz = 37.0 * seed as f64 % 360.0;
            let r = record(baz, 40.0, if seed % 2 == 0 { 1.0 } else { -1.0 }, 8.0, 1000 + seed);
            let p = p_wave_polarisation(&r[0], &r[1], &r[2], FS, 10.0, None, &w).unwrap();
            let d = angle_diff(p.back_azimuth_deg, baz);
            z2 += (d / p.sigma_back_azimuth_deg).powi(2);
            sig2 += p.sigma_back_azimuth_deg.powi(2);
        }
        let sd_z = (z2 / m as f64).sqrt();
        let rms_sigma = (sig2 / m as f64).sqrt();
        eprintln!("normalised error sd {sd_z:.2}, rms sigma {rms_sigma:.2} deg");
        assert!(rms_sigma > 1.0, "the case must be noisy: rms sigma {rms_sigma:.2}");
        // conservative but informative: sd of error/sigma in [0.4, 1.3]
        assert!((0.4..1.3).contains(&sd_z), "normalised error sd {sd_z:.2}");
    }

    #[test]
    fn bad_input_is_a_typed_error() {
        let w = PolarisationWindow::default();
        let r = record(100.0, 30.0, 1.0, 10.0, 1);
        let p = |z: &[f64], n: &[f64], e: &[f64], t: f64, s: Option<f64>, w: &PolarisationWindow| {
            p_wave_polarisation(z, n, e, FS, t, s, w)
        };
        assert!(matches!(p(&r[0], &r[1], &r[2], 1.0, None, &w), Err(PolarisationError::WindowOutsideRecord { .. })));
        assert!(matches!(p(&r[0], &r[1], &r[2], 19.5, None, &w), Err(PolarisationError::WindowOutsideRecord { .. })));
        assert!(matches!(p(&r[0], &r[1], &r[2], 10.0, Some(10.1), &w), Err(PolarisationError::WindowTooShort { .. })));
        assert!(matches!(p(&r[0], &r[1], &r[2], 10.0, Some(9.0), &w), Err(PolarisationError::Invalid { field: "s_pick_s", .. })));
        assert!(matches!(p(&r[0], &r[1][..10], &r[2], 10.0, None, &w), Err(PolarisationError::Lengths { .. })));
        let flat = vec![5.0; 2000];
        assert_eq!(p(&flat, &flat, &flat, 10.0, None, &w), Err(PolarisationError::FlatData));
        let mut nan = r[1].clone();
        nan[1000] = f64::NAN;
        let err = p(&r[0], &nan, &r[2], 10.0, None, &w).unwrap_err();
        assert_eq!(err, PolarisationError::NotFinite { component: 'N', index: 1000 });
        assert!(err.to_string().contains("component N sample 1000"));
        assert!(matches!(p(&r[0], &r[1], &r[2], f64::NAN, None, &w), Err(PolarisationError::Invalid { field: "p_pick_s", .. })));
        let bad = PolarisationWindow { high_hz: 0.5, ..w };
        assert!(matches!(p(&r[0], &r[1], &r[2], 10.0, None, &bad), Err(PolarisationError::Invalid { field: "high_hz", .. })));
        assert!(matches!(
            p_wave_polarisation(&r[0], &r[1], &r[2], 0.0, 10.0, None, &w),
            Err(PolarisationError::Invalid { field: "sampling_rate", .. })
        ));
    }
}
