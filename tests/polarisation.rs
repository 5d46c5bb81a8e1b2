//! P-wave back-azimuths measured by `eqnemix::polarisation` on the
//! synthetic generator's records (Brune P pulses along the ray, P and S
//! codas, coloured noise and microseism) against the generator's true
//! back-azimuths: every event within 3.5 sigma, and the claimed sigma
//! neither absurdly small (sd of error/sigma <= 2) nor uselessly large.
//!
//! The picks are the true P and S times shifted by a pseudo-random
//! -0.05..+0.05 s, about EQTransformer's pick error.

use eqnemix::models::waveform::stream::seconds_between;
use eqnemix::polarisation::{p_wave_polarisation, PolarisationWindow};
use eqnemix::synth::{synthesize, SynthConfig};

fn angle_diff(a: f64, b: f64) -> f64 {
    (a - b + 540.0).rem_euclid(360.0) - 180.0
}

/// Measures every event of a 1 h, 24-event synthetic record with `noise_gain`
/// times the default noise; returns error/sigma and the sigmas (degrees).
fn measure(seed: u64, noise_gain: f64, w: &PolarisationWindow) -> (Vec<f64>, Vec<f64>) {
    let base = SynthConfig::default();
    let cfg = SynthConfig {
        seed,
        duration_hours: 1.0,
        n_events: 24,
        min_separation_s: 120.0,
        noise_rms_counts: noise_gain * base.noise_rms_counts,
        microseism_rms_counts: noise_gain * base.microseism_rms_counts,
        ..base
    };
    let data = synthesize(&cfg).unwrap();
    let three = data.stream.select_station_3c("XX", "SYN1", None).unwrap();
    let mut z = Vec::new();
    let mut sigmas = Vec::new();
    eprintln!("event   true_baz  measured  error  sigma  snr      inc  rect");
    for (k, ev) in data.events.iter().enumerate() {
        let a = &ev.arrivals[0];
        let jitter = 0.05 * (((k * 7919) % 21) as f64 / 10.0 - 1.0);
        let tp = seconds_between(three.start, a.p_time) + jitter;
        let ts = seconds_between(three.start, a.s_time) - jitter;
        let p = match p_wave_polarisation(&three.z, &three.n, &three.e, three.sampling_rate, tp, Some(ts), w) {
            Ok(p) => p,
            Err(e) => {
                eprintln!("{}: {e}", ev.id);
                continue;
            }
        };
        let d = angle_diff(p.back_azimuth_deg, a.back_azimuth_deg);
        eprintln!(
            "{}  {:8.1}  {:8.1}  {:5.1}  {:5.1}  {:7.1e}  {:4.1}  {:.2}",
            ev.id, a.back_azimuth_deg, p.back_azimuth_deg, d, p.sigma_back_azimuth_deg, p.snr, p.incidence_deg, p.rectilinearity
        );
        z.push(d / p.sigma_back_azimuth_deg);
        sigmas.push(p.sigma_back_azimuth_deg);
    }
    (z, sigmas)
}

/// rms of error/sigma, worst |error|/sigma, median sigma.
fn summary(z: &[f64], sigmas: &mut [f64], label: &str) -> (f64, f64, f64) {
    assert!(z.len() >= 20, "only {} events measured", z.len());
    let sd = (z.iter().map(|v| v * v).sum::<f64>() / z.len() as f64).sqrt();
    let worst = z.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    sigmas.sort_by(f64::total_cmp);
    let median_sigma = sigmas[sigmas.len() / 2];
    eprintln!("{label}: {} events: rms(error/sigma) {sd:.2}, worst |error|/sigma {worst:.2}, median sigma {median_sigma:.1} deg", z.len());
    (sd, worst, median_sigma)
}

#[test]
#[ignore = "issue 12: the generator now adds scattered P coda on the horizontals and free-surface P motion; the noise-only sigma no longer describes its scatter (errors up to ~40 deg, as on real records). With the real-record calibrated window rms(error/sigma) is 0.41 and worst 1.09 but the median sigma is 28 deg; rework this test with the regenerated sample"]
fn synthetic_events_back_azimuths_within_their_claimed_sigma() {
    let (z, mut sigmas) = measure(21, 1.0, &PolarisationWindow::noise_only());
    let (sd, worst, median_sigma) = summary(&z, &mut sigmas, "default noise");
    assert!(worst < 3.5, "an event is {worst:.2} sigma off");
    assert!(sd <= 2.0, "claimed sigmas too small: rms(error/sigma) = {sd:.2}");
    assert!(sd >= 0.1, "claimed sigmas uselessly large: rms(error/sigma) = {sd:.2}");
    assert!(median_sigma < 10.0, "median sigma {median_sigma:.1} deg: the measurement would carry no information");
}

/// 10x the default noise and no sigma floor: the eigenvector-perturbation
/// sigma alone must describe the scatter (not 10x too small or too large).
#[test]
#[ignore = "issue 12: the generator now adds scattered P coda on the horizontals and free-surface P motion; the noise-only sigma no longer describes its scatter (errors up to ~40 deg, as on real records). With the real-record calibrated window rms(error/sigma) is 0.41 and worst 1.09 but the median sigma is 28 deg; rework this test with the regenerated sample"]
fn noisy_synthetic_events_errors_match_the_perturbation_sigma() {
    let w = PolarisationWindow::noise_only();
    let (mut z, mut sigmas) = measure(22, 10.0, &w);
    let (z2, s2) = measure(23, 10.0, &w);
    z.extend(z2);
    sigmas.extend(s2);
    let (sd, worst, median_sigma) = summary(&z, &mut sigmas, "10x noise, no floor");
    assert!(z.len() >= 40, "only {} events measured", z.len());
    assert!(median_sigma > 1.0, "the case must be noisy: median sigma {median_sigma:.2} deg");
    assert!(worst < 4.0, "an event is {worst:.2} sigma off");
    assert!((0.3..=2.0).contains(&sd), "rms(error/sigma) = {sd:.2}");
}
