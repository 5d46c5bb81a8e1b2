//! Preprocessing: detrend, band-pass response against the closed-form
//! Butterworth magnitude, resampling accuracy, refused rates.

use chrono::{TimeZone, Utc};
use eqnemix_models::waveform::preprocess::{bandpass_zero_phase_gain, Bandpass, Detrend};
use eqnemix_models::waveform::{
    bandpass_zero_phase, detrend_linear, resample, PreprocessOptions, Stream, Trace, TraceId,
    WaveformError,
};
use std::f64::consts::PI;

fn sine(n: usize, fs: f64, f: f64, amp: f64) -> Vec<f64> {
    (0..n)
        .map(|i| amp * (2.0 * PI * f * i as f64 / fs).sin())
        .collect()
}

/// RMS amplitude of the middle half, times sqrt(2) (the sine amplitude).
fn mid_amplitude(x: &[f64]) -> f64 {
    let n = x.len();
    let m = &x[n / 4..3 * n / 4];
    (m.iter().map(|v| v * v).sum::<f64>() / m.len() as f64).sqrt() * 2f64.sqrt()
}

#[test]
fn linear_detrend_removes_a_line_exactly() {
    let mut x: Vec<f64> = (0..1001).map(|i| 3.0 + 0.25 * i as f64).collect();
    detrend_linear(&mut x);
    assert!(x.iter().all(|v| v.abs() < 1e-9));
}

#[test]
fn bandpass_keeps_passband_and_attenuates_stopband_as_designed() {
    let fs = 100.0;
    let n = 20_000;
    for &(f, order) in &[
        (5.0, 2usize),
        (7.0, 4),
        (10.0, 4),
        (0.3, 2),
        (0.5, 4),
        (30.0, 2),
        (40.0, 4),
    ] {
        let y = bandpass_zero_phase(&sine(n, fs, f, 1000.0), fs, 2.0, 20.0, order).unwrap();
        let got_db = 20.0 * (mid_amplitude(&y) / 1000.0).log10();
        let want = bandpass_zero_phase_gain(f, fs, 2.0, 20.0, order);
        let want_db = 20.0 * want.log10();
        assert!(
            (got_db - want_db).abs() < 0.2,
            "f={f} order={order}: got {got_db:.2} dB, expected {want_db:.2} dB"
        );
        if (5.0..=10.0).contains(&f) {
            assert!(
                want_db > -0.25 && got_db.abs() < 0.3,
                "pass band must keep the amplitude: {got_db} dB"
            );
        } else {
            assert!(
                want_db < -15.0,
                "test frequencies outside the band are well attenuated: {want_db}"
            );
        }
    }
    let y = bandpass_zero_phase(&sine(n, fs, 7.0, 1000.0), fs, 2.0, 20.0, 4).unwrap();
    assert!(
        (mid_amplitude(&y) / 1000.0 - 1.0).abs() < 0.005,
        "7 Hz, mid band, order 4: amplitude kept to 0.5 %"
    );
    // the closed form itself: -6.02 dB (half amplitude, squared -3 dB) at each corner
    assert!((20.0 * bandpass_zero_phase_gain(2.0, fs, 2.0, 20.0, 2).log10() + 6.02).abs() < 0.1);
}

#[test]
fn resampling_a_band_limited_signal_is_accurate() {
    let signal = |t: f64| {
        (2.0 * PI * 3.0 * t).sin()
            + 0.5 * (2.0 * PI * 17.3 * t + 0.4).cos()
            + 0.25 * (2.0 * PI * 38.0 * t).sin()
    };
    for &(from, to) in &[
        (250.0, 100.0),
        (200.0, 100.0),
        (100.0, 100.0),
        (120.0, 100.0),
        (99.7, 100.0),
    ] {
        let n = (30.0 * from) as usize;
        let x: Vec<f64> = (0..n).map(|i| signal(i as f64 / from)).collect();
        let y = resample(&x, from, to).unwrap();
        let want_len = ((n - 1) as f64 * to / from).floor() as usize + 1;
        assert_eq!(y.len(), want_len);
        let mut max_err: f64 = 0.0;
        for (j, v) in y.iter().enumerate() {
            let t = j as f64 / to;
            if t > 1.0 && t < 29.0 {
                max_err = max_err.max((v - signal(t)).abs());
            }
        }
        assert!(max_err < 2e-3, "{from} -> {to} Hz: max error {max_err}");
    }
    // content above the new Nyquist is removed, not aliased
    let x = sine(20_000, 200.0, 70.0, 1.0);
    let y = resample(&x, 200.0, 100.0).unwrap();
    assert!(
        mid_amplitude(&y) < 1e-3,
        "70 Hz must not alias into 100 Hz data: {}",
        mid_amplitude(&y)
    );
    // upsampling 40 -> 100 Hz
    let x: Vec<f64> = (0..1200)
        .map(|i| (2.0 * PI * 5.0 * i as f64 / 40.0).sin())
        .collect();
    let y = resample(&x, 40.0, 100.0).unwrap();
    for (j, v) in y.iter().enumerate().skip(100).take(2500) {
        assert!((v - (2.0 * PI * 5.0 * j as f64 / 100.0).sin()).abs() < 2e-3);
    }
}

#[test]
fn unusable_rates_are_refused() {
    let x = vec![0.0; 100];
    for bad in [0.0, -10.0, f64::NAN, f64::INFINITY] {
        assert!(
            matches!(
                resample(&x, bad, 100.0),
                Err(WaveformError::InvalidRate { .. })
            ),
            "{bad}"
        );
    }
    assert!(
        matches!(
            resample(&x, 1e6, 100.0),
            Err(WaveformError::InvalidRate { .. })
        ),
        "ratio 1e-4"
    );
    assert!(matches!(
        bandpass_zero_phase(&x, 100.0, 60.0, 70.0, 2),
        Err(WaveformError::InvalidFilter { .. })
    ));
    assert!(matches!(
        bandpass_zero_phase(&x, 100.0, 5.0, 2.0, 2),
        Err(WaveformError::InvalidFilter { .. })
    ));
    let t0 = Utc.with_ymd_and_hms(2020, 1, 1, 0, 0, 0).unwrap();
    let mk = |c: &str, fs: f64| Trace::new(TraceId::new("XX", "S", "", c), t0, fs, vec![1.0; 10]);
    let st = Stream::new(vec![mk("HHZ", 0.0), mk("HHN", 0.0), mk("HHE", 0.0)]);
    assert!(st.select_station_3c("XX", "S", None).is_err());
}

#[test]
fn three_component_preprocess_gives_100_hz_filtered_data() {
    let t0 = Utc.with_ymd_and_hms(2020, 1, 1, 0, 0, 0).unwrap();
    let fs = 200.0;
    let n = 12_000;
    let mk = |c: &str, f: f64| {
        let mut d = sine(n, fs, f, 500.0);
        d.iter_mut()
            .enumerate()
            .for_each(|(i, v)| *v += 1000.0 + 0.1 * i as f64); // offset and trend
        Trace::new(TraceId::new("XX", "S", "", c), t0, fs, d)
    };
    let st = Stream::new(vec![mk("HHZ", 5.0), mk("HHN", 0.1), mk("HHE", 80.0)]);
    let three = st.select_station_3c("XX", "S", None).unwrap();
    let opts = PreprocessOptions {
        detrend: Detrend::Linear,
        taper_fraction: 0.05,
        bandpass: Some(Bandpass {
            low_hz: 1.0,
            high_hz: 45.0,
            order: 4,
        }),
        target_rate: Some(100.0),
        ..PreprocessOptions::default()
    };
    let p = three.preprocess(&opts).unwrap();
    assert_eq!(p.sampling_rate, 100.0);
    assert_eq!(p.len(), 6000);
    assert!(
        (mid_amplitude(&p.z) / 500.0 - 1.0).abs() < 0.01,
        "5 Hz kept"
    );
    assert!(mid_amplitude(&p.n) / 500.0 < 1e-3, "0.1 Hz removed");
    assert!(mid_amplitude(&p.e) / 500.0 < 1e-3, "80 Hz removed");
}

/// The original EQTransformer chain tapers after the band-pass: the ends of
/// the output are the taper's zeros; tapering first (the default chain)
/// leaves the filter's response at the ends. Its resampling is linear
/// interpolation, so samples on the 100 Hz grid of a 200 Hz record are the
/// band-passed samples themselves.
#[test]
fn eqtransformer_chain_tapers_after_the_band_pass_and_interpolates_linearly() {
    let fs = 200.0;
    let n = 24_000; // 120 s: the taper is 0.1 % (0.12 s) at each end
    let x: Vec<f64> = sine(n, fs, 5.0, 500.0).iter().enumerate().map(|(i, v)| v + 80.0 + 0.01 * i as f64).collect();
    let what = "XX.S.HHZ";
    let orig = PreprocessOptions::eqtransformer(n as f64 / fs);
    assert!(orig.taper_after_bandpass);
    assert!((orig.taper_fraction - 0.001).abs() < 1e-12);
    let y = eqnemix_models::waveform::preprocess::process_trace(&x, fs, &orig, what).unwrap();
    assert_eq!(y.len(), 12_000);
    assert_eq!(y[0], 0.0, "the taper comes last, at the first sample");
    // Same chain without resampling: every other sample of it.
    let native = PreprocessOptions { target_rate: None, ..orig };
    let z = eqnemix_models::waveform::preprocess::process_trace(&x, fs, &native, what).unwrap();
    for k in [1, 777, 6000, 11_999] {
        assert!((y[k] - z[2 * k]).abs() < 1e-9, "sample {k}: {} vs {}", y[k], z[2 * k]);
    }
    // Taper first, then filter: the first sample is no longer zero.
    let first = PreprocessOptions { taper_after_bandpass: false, ..orig };
    let w = eqnemix_models::waveform::preprocess::process_trace(&x, fs, &first, what).unwrap();
    assert!(w[0].abs() > 1e-6, "{}", w[0]);
    // Long records: at most 2 s of taper.
    assert!((PreprocessOptions::eqtransformer(14_400.0).taper_fraction - 2.0 / 14_400.0).abs() < 1e-15);
}
