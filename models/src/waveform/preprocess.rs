//! Preprocessing of evenly sampled traces: demean and linear detrend, a
//! cosine (Tukey) taper, a zero-phase Butterworth band-pass, and
//! windowed-sinc resampling or linear interpolation to a target rate (100 Hz
//! for the networks). [`PreprocessOptions::eqtransformer`] is the original
//! EQTransformer predictor's chain, in its order (demean, band-pass, taper,
//! linear interpolation).
//!
//! The filter and resampler are hand-written because they are small and
//! their exact responses are what the tests check: the Butterworth
//! sections come from the bilinear transform with pre-warped corners (so
//! the digital magnitude is `1/sqrt(1+(tan(pi f/fs)/tan(pi fc/fs))^(2n))`
//! exactly), and the resampler works on a whole array at arbitrary
//! (including irrational) rate ratios with no delay, which the streaming
//! audio resamplers (e.g. `rubato`) do not offer without chunking and delay
//! bookkeeping.

use super::WaveformError;

/// How the trend is removed before filtering.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Detrend {
    None,
    /// Subtract the mean.
    Demean,
    /// Subtract the least-squares straight line.
    #[default]
    Linear,
}

/// A zero-phase Butterworth band-pass: a high-pass at `low_hz` and a
/// low-pass at `high_hz`, each of order `order`, run forward and backward
/// (so the magnitude response is squared and the phase is zero).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Bandpass {
    pub low_hz: f64,
    pub high_hz: f64,
    pub order: usize,
}

/// How a trace is brought to [`PreprocessOptions::target_rate`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Resampling {
    /// Kaiser-windowed sinc interpolation ([`resample`]).
    #[default]
    Sinc,
    /// Linear interpolation between neighbouring samples
    /// ([`interpolate_linear`]; ObsPy's `interpolate(method="linear")`, what
    /// the original EQTransformer predictor does after its band-pass).
    Linear,
}

/// What [`crate::waveform::ThreeComponent::preprocess`] does, in order:
/// detrend, taper, band-pass, resample; with `taper_after_bandpass`:
/// detrend, band-pass, taper, resample.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PreprocessOptions {
    pub detrend: Detrend,
    /// Fraction of the trace tapered at EACH end (0 = none, at most 0.5).
    pub taper_fraction: f64,
    /// Band-pass; a high corner at or above 0.95 x Nyquist is dropped (high-pass only).
    pub bandpass: Option<Bandpass>,
    /// Output sampling rate (Hz); `None` keeps the input rate.
    pub target_rate: Option<f64>,
    /// Taper after the band-pass instead of before it (the original
    /// EQTransformer predictor's order).
    #[serde(default)]
    pub taper_after_bandpass: bool,
    /// How the trace is brought to `target_rate`.
    #[serde(default)]
    pub resampling: Resampling,
}

impl Default for PreprocessOptions {
    /// Linear detrend, 0.5 % taper, 1-45 Hz order-2 band-pass (EQTransformer's
    /// band), sinc-resampled to 100 Hz.
    fn default() -> Self {
        PreprocessOptions {
            detrend: Detrend::Linear,
            taper_fraction: 0.005,
            bandpass: Some(Bandpass {
                low_hz: 1.0,
                high_hz: 45.0,
                order: 2,
            }),
            target_rate: Some(100.0),
            taper_after_bandpass: false,
            resampling: Resampling::Sinc,
        }
    }
}

impl PreprocessOptions {
    /// The original EQTransformer predictor's chain (`mseed_predictor`'s
    /// `_mseed2nparry`) for a record of `duration_s` seconds, in its order:
    /// demean; 1-45 Hz order-2 zero-phase band-pass; cosine taper of 0.1 %
    /// of the record at each end but at most 2 s (ObsPy
    /// `taper(max_percentage=0.001, max_length=2)`); linear interpolation
    /// to 100 Hz (a no-op on 100 Hz data).
    ///
    /// Still different from ObsPy: the band-pass is a high-pass times a
    /// low-pass (ObsPy designs one band-pass; the two agree away from the
    /// corners) and runs on an odd reflection of the ends (ObsPy filters the
    /// bare record, whose edge transient its taper then damps); the
    /// original demeans each input file before joining them, here the
    /// joined record is demeaned.
    pub fn eqtransformer(duration_s: f64) -> Self {
        PreprocessOptions {
            detrend: Detrend::Demean,
            taper_fraction: if duration_s > 0.0 { 0.001_f64.min(2.0 / duration_s) } else { 0.001 },
            bandpass: Some(Bandpass {
                low_hz: 1.0,
                high_hz: 45.0,
                order: 2,
            }),
            target_rate: Some(100.0),
            taper_after_bandpass: true,
            resampling: Resampling::Linear,
        }
    }
}

pub(crate) fn check_rate(what: &str, rate: f64) -> Result<(), WaveformError> {
    if rate.is_finite() && rate > 0.0 {
        Ok(())
    } else {
        Err(WaveformError::InvalidRate {
            what: what.to_string(),
            rate,
            reason: "must be positive and finite".into(),
        })
    }
}

/// Run the options on one trace sampled at `fs` Hz; `what` names it in errors.
pub fn process_trace(
    x: &[f64],
    fs: f64,
    opts: &PreprocessOptions,
    what: &str,
) -> Result<Vec<f64>, WaveformError> {
    check_rate(what, fs)?;
    if let Some(t) = opts.target_rate {
        check_rate(&format!("{what} (target)"), t)?;
        check_ratio(what, fs, t)?;
    }
    let mut y = x.to_vec();
    match opts.detrend {
        Detrend::None => {}
        Detrend::Demean => demean(&mut y),
        Detrend::Linear => detrend_linear(&mut y),
    }
    let taper = |y: &mut Vec<f64>| {
        if opts.taper_fraction > 0.0 {
            cosine_taper(y, opts.taper_fraction.min(0.5));
        }
    };
    if !opts.taper_after_bandpass {
        taper(&mut y);
    }
    if let Some(bp) = opts.bandpass {
        y = bandpass_zero_phase(&y, fs, bp.low_hz, bp.high_hz, bp.order)?;
    }
    if opts.taper_after_bandpass {
        taper(&mut y);
    }
    if let Some(t) = opts.target_rate {
        y = match opts.resampling {
            Resampling::Sinc => resample(&y, fs, t)?,
            Resampling::Linear => interpolate_linear(&y, fs, t)?,
        };
    }
    Ok(y)
}

/// Linear interpolation of `x` from `from` Hz to `to` Hz: output sample `j`
/// at the time of input sample `j from / to`, from its two neighbours, as
/// many samples as fit up to the last input sample (ObsPy
/// `Trace.interpolate(to, method="linear")`). No anti-alias filter: band-pass
/// first when going down in rate.
///
/// ```
/// use eqnemix_models::waveform::interpolate_linear;
/// assert_eq!(interpolate_linear(&[0.0, 1.0, 2.0], 1.0, 2.0).unwrap(), vec![0.0, 0.5, 1.0, 1.5, 2.0]);
/// assert_eq!(interpolate_linear(&[0.0, 4.0, 8.0, 12.0], 2.0, 1.0).unwrap(), vec![0.0, 8.0]);
/// ```
pub fn interpolate_linear(x: &[f64], from: f64, to: f64) -> Result<Vec<f64>, WaveformError> {
    check_rate("interpolate (input)", from)?;
    check_rate("interpolate (output)", to)?;
    check_ratio("interpolate", from, to)?;
    if (from - to).abs() <= 1e-12 * from || x.len() < 2 {
        return Ok(x.to_vec());
    }
    let step = from / to;
    let m = ((x.len() - 1) as f64 / step + 1e-9).floor() as usize + 1;
    Ok((0..m)
        .map(|j| {
            let t = j as f64 * step;
            let i = (t.floor() as usize).min(x.len() - 2);
            let f = t - i as f64;
            x[i] + f * (x[i + 1] - x[i])
        })
        .collect())
}

/// Subtract the mean.
pub fn demean(x: &mut [f64]) {
    if x.is_empty() {
        return;
    }
    let m = x.iter().sum::<f64>() / x.len() as f64;
    x.iter_mut().for_each(|v| *v -= m);
}

/// Subtract the least-squares line through (i, x_i).
pub fn detrend_linear(x: &mut [f64]) {
    let n = x.len();
    if n < 2 {
        demean(x);
        return;
    }
    let nf = n as f64;
    let tm = (nf - 1.0) / 2.0;
    let xm = x.iter().sum::<f64>() / nf;
    let (mut sxy, mut sxx) = (0.0, 0.0);
    for (i, v) in x.iter().enumerate() {
        let dt = i as f64 - tm;
        sxy += dt * (v - xm);
        sxx += dt * dt;
    }
    let slope = sxy / sxx;
    for (i, v) in x.iter_mut().enumerate() {
        *v -= xm + slope * (i as f64 - tm);
    }
}

/// Multiply the first and last `fraction` of the samples by a half cosine
/// (Hann) ramp from 0 to 1; the middle is untouched.
pub fn cosine_taper(x: &mut [f64], fraction: f64) {
    let n = x.len();
    let m = ((n as f64) * fraction.clamp(0.0, 0.5)).floor() as usize;
    if m == 0 {
        return;
    }
    for i in 0..m {
        let w = 0.5 * (1.0 - (std::f64::consts::PI * i as f64 / m as f64).cos());
        x[i] *= w;
        x[n - 1 - i] *= w;
    }
}

/// One second-order (or first-order when `b2 = a2 = 0`) section,
/// `y = (b0 + b1 z^-1 + b2 z^-2) / (1 + a1 z^-1 + a2 z^-2) x`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Biquad {
    pub b: [f64; 3],
    pub a: [f64; 2],
}

impl Biquad {
    /// Filter `x` in place (causal, zero initial state).
    pub fn run(&self, x: &mut [f64]) {
        // transposed direct form II
        let (mut s1, mut s2) = (0.0, 0.0);
        for v in x.iter_mut() {
            let xi = *v;
            let y = self.b[0] * xi + s1;
            s1 = self.b[1] * xi - self.a[0] * y + s2;
            s2 = self.b[2] * xi - self.a[1] * y;
            *v = y;
        }
    }
}

/// Sections of a digital Butterworth low-pass (`highpass = false`) or
/// high-pass of order `order` with corner `fc` Hz at sampling rate `fs` Hz.
pub fn butterworth_sections(order: usize, fc: f64, fs: f64, highpass: bool) -> Vec<Biquad> {
    let k = (std::f64::consts::PI * fc / fs).tan();
    let mut out = Vec::new();
    for i in 0..order / 2 {
        let theta = std::f64::consts::PI * (2 * i + 1) as f64 / (2 * order) as f64;
        let q = 1.0 / (2.0 * theta.sin());
        let norm = 1.0 / (1.0 + k / q + k * k);
        let a = [2.0 * (k * k - 1.0) * norm, (1.0 - k / q + k * k) * norm];
        let b = if highpass {
            [norm, -2.0 * norm, norm]
        } else {
            [k * k * norm, 2.0 * k * k * norm, k * k * norm]
        };
        out.push(Biquad { b, a });
    }
    if order % 2 == 1 {
        let a1 = (k - 1.0) / (k + 1.0);
        let b = if highpass {
            [1.0 / (k + 1.0), -1.0 / (k + 1.0), 0.0]
        } else {
            [k / (k + 1.0), k / (k + 1.0), 0.0]
        };
        out.push(Biquad { b, a: [a1, 0.0] });
    }
    out
}

/// Magnitude of the zero-phase band-pass at `f` Hz (forward-backward, so
/// squared): the closed form the design satisfies exactly.
pub fn bandpass_zero_phase_gain(f: f64, fs: f64, low: f64, high: f64, order: usize) -> f64 {
    let w = (std::f64::consts::PI * f / fs).tan();
    let kl = (std::f64::consts::PI * low / fs).tan();
    let n2 = 2 * order as i32;
    let hp = 1.0 / (1.0 + (kl / w).powi(n2));
    let lp = if high < 0.95 * fs / 2.0 {
        let kh = (std::f64::consts::PI * high / fs).tan();
        1.0 / (1.0 + (w / kh).powi(n2))
    } else {
        1.0
    };
    hp * lp
}

/// Zero-phase Butterworth band-pass (see [`Bandpass`]). The signal is
/// extended at both ends by odd reflection (about 3 periods of the low
/// corner) to keep the edge transients out of the data.
pub fn bandpass_zero_phase(
    x: &[f64],
    fs: f64,
    low: f64,
    high: f64,
    order: usize,
) -> Result<Vec<f64>, WaveformError> {
    let bad = |reason: &str| WaveformError::InvalidFilter {
        low,
        high,
        rate: fs,
        reason: reason.to_string(),
    };
    check_rate("band-pass", fs)?;
    if !(low.is_finite() && high.is_finite()) || low <= 0.0 || high <= low {
        return Err(bad("corners must satisfy 0 < low < high"));
    }
    if low >= 0.5 * fs {
        return Err(bad("the low corner is at or above the Nyquist frequency"));
    }
    if order == 0 || order > 16 {
        return Err(bad("order must be 1..=16"));
    }
    let mut sections = butterworth_sections(order, low, fs, true);
    if high < 0.95 * fs / 2.0 {
        sections.extend(butterworth_sections(order, high, fs, false));
    }
    let n = x.len();
    if n < 2 {
        return Ok(x.to_vec());
    }
    let pad = ((3.0 * fs / low).ceil() as usize).min(n - 1);
    let mut y = Vec::with_capacity(n + 2 * pad);
    for i in (1..=pad).rev() {
        y.push(2.0 * x[0] - x[i]);
    }
    y.extend_from_slice(x);
    for i in 1..=pad {
        y.push(2.0 * x[n - 1] - x[n - 1 - i]);
    }
    for s in &sections {
        s.run(&mut y);
    }
    y.reverse();
    for s in &sections {
        s.run(&mut y);
    }
    y.reverse();
    Ok(y[pad..pad + n].to_vec())
}

pub(crate) fn check_ratio(what: &str, from: f64, to: f64) -> Result<(), WaveformError> {
    let r = to / from;
    if !(1e-3..=1e3).contains(&r) {
        return Err(WaveformError::InvalidRate {
            what: what.to_string(),
            rate: from,
            reason: format!(
                "resampling to {to} Hz is a ratio of {r:.3e}, outside the supported 1e-3..1e3"
            ),
        });
    }
    Ok(())
}

fn bessel_i0(x: f64) -> f64 {
    let (mut sum, mut term, mut k) = (1.0, 1.0, 1.0);
    let q = x * x / 4.0;
    while term > 1e-16 * sum {
        term *= q / (k * k);
        sum += term;
        k += 1.0;
    }
    sum
}

/// Resample `x` from `from` Hz to `to` Hz by Kaiser-windowed sinc
/// interpolation (16 zero crossings each side at the filter cutoff,
/// beta 8; cutoff 0.9 x the lower Nyquist frequency, so content below
/// 0.85 x the output Nyquist is kept to better than 1e-3 and content above
/// the output Nyquist is rejected). The first output sample is at the time
/// of the first input sample; samples outside the input count as zero.
pub fn resample(x: &[f64], from: f64, to: f64) -> Result<Vec<f64>, WaveformError> {
    check_rate("resample (input)", from)?;
    check_rate("resample (output)", to)?;
    check_ratio("resample", from, to)?;
    if (from - to).abs() <= 1e-12 * from || x.is_empty() {
        return Ok(x.to_vec());
    }
    let step = from / to; // input samples per output sample
    let m = ((x.len() - 1) as f64 / step + 1e-9).floor() as usize + 1;
    let cut = 0.9 * (to / from).min(1.0); // cutoff in cycles per 2 input samples (1 = input Nyquist)
    let zero_crossings = 16.0;
    let half = zero_crossings / cut; // half width in input samples
    let beta = 8.0;
    let i0b = bessel_i0(beta);
    // Kernel tabulated every 1/1024 input sample, linearly interpolated
    // (interpolation error ~1e-7 of full scale).
    const PER: f64 = 1024.0;
    let nt = (half * PER).ceil() as usize + 2;
    let table: Vec<f64> = (0..nt)
        .map(|i| {
            let u = i as f64 / PER;
            let arg = std::f64::consts::PI * cut * u;
            let sinc = if arg.abs() < 1e-12 {
                1.0
            } else {
                arg.sin() / arg
            };
            let r = u / half;
            cut * sinc * bessel_i0(beta * (1.0 - r * r).max(0.0).sqrt()) / i0b
        })
        .collect();
    let n = x.len() as isize;
    let mut out = Vec::with_capacity(m);
    for j in 0..m {
        let t = j as f64 * step;
        let lo = ((t - half).ceil() as isize).max(0);
        let hi = ((t + half).floor() as isize).min(n - 1);
        let mut acc = 0.0;
        for k in lo..=hi {
            let p = (k as f64 - t).abs() * PER;
            let i = p as usize;
            if i + 1 >= nt {
                continue;
            }
            let f = p - i as f64;
            acc += x[k as usize] * (table[i] + f * (table[i + 1] - table[i]));
        }
        out.push(acc);
    }
    Ok(out)
}
