//! The synthetic generator: arrivals at the travel-time crate's times, P
//! polarisation giving the true back-azimuth, S stronger than P, the files
//! (miniSEED + catalog) readable and identical for the same seed.

use eqnemix::catalog::Catalog;
use eqnemix::models::waveform::preprocess::butterworth_sections;
use eqnemix::models::waveform::read_mseed;
use eqnemix::models::waveform::stream::seconds_between;
use eqnemix::synth::{
    synthesize, velocity_model, write_outputs, SynthConfig, SynthData, SynthEvent,
};
use eqnemix::traveltime::{Phase, Station, TravelTimeModel};

fn small_config(seed: u64) -> SynthConfig {
    SynthConfig {
        seed,
        duration_hours: 0.5,
        n_events: 10,
        min_separation_s: 120.0,
        ..SynthConfig::default()
    }
}

/// Causal 1 Hz high-pass (order 2): removes the microseism without moving energy before the onset.
fn highpass(x: &[f64], fs: f64) -> Vec<f64> {
    let mut y = x.to_vec();
    for s in butterworth_sections(2, 1.0, fs, true) {
        s.run(&mut y);
    }
    y
}

struct Station3 {
    z: Vec<f64>,
    n: Vec<f64>,
    e: Vec<f64>,
    fs: f64,
}

fn station(data: &SynthData) -> Station3 {
    let three = data.stream.select_station_3c("XX", "SYN1", None).unwrap();
    Station3 {
        z: highpass(&three.z, three.sampling_rate),
        n: highpass(&three.n, three.sampling_rate),
        e: highpass(&three.e, three.sampling_rate),
        fs: three.sampling_rate,
    }
}

fn rms(x: &[f64]) -> f64 {
    (x.iter().map(|v| v * v).sum::<f64>() / x.len() as f64).sqrt()
}

fn p_index(data: &SynthData, ev: &SynthEvent) -> f64 {
    seconds_between(data.config.start_time, ev.arrivals[0].p_time) * data.config.sampling_rate_hz
}

#[test]
fn p_onsets_are_at_the_travel_times_of_the_velocity_model() {
    let cfg = small_config(11);
    let data = synthesize(&cfg).unwrap();
    assert_eq!(data.events.len(), 10);
    // the true picks are the travel-time crate's times
    let model = velocity_model(&cfg).unwrap();
    let st = Station {
        code: "SYN1".into(),
        position_km: [0.0, 0.0, 0.0],
    };
    let (fp, fsf) = (
        model.field(&st, Phase::P).unwrap(),
        model.field(&st, Phase::S).unwrap(),
    );
    for ev in &data.events {
        let tp = seconds_between(ev.origin_time, ev.arrivals[0].p_time);
        let ts = seconds_between(ev.origin_time, ev.arrivals[0].s_time);
        assert!((tp - fp.time(ev.position_km).unwrap()).abs() < 1e-5);
        assert!((ts - fsf.time(ev.position_km).unwrap()).abs() < 1e-5);
    }
    // the P onset in the record: first sample above 8 noise RMS after high-pass
    let s = station(&data);
    let mut checked = 0;
    for ev in &data.events {
        let k = p_index(&data, ev);
        let k0 = k as usize;
        let noise = rms(&s.z[k0 - 1000..k0 - 200]);
        let snr = ev.arrivals[0].p_peak_counts / noise;
        if snr < 50.0 {
            continue;
        }
        let from = k0 - 300;
        let onset = (from..k0 + 100)
            .find(|&i| s.z[i].abs() > 8.0 * noise)
            .expect("P onset found") as f64;
        let err = (onset - k) / s.fs;
        assert!(
            (-0.02..=0.1).contains(&err),
            "{}: onset {err:+.3} s from the predicted P (SNR {snr:.0})",
            ev.id
        );
        checked += 1;
    }
    assert!(checked >= 6, "only {checked} high-SNR events checked");
}

/// The direct P wave moves along the ray's azimuth: over its first 0.1 s,
/// before the scattered P coda has risen (it rises over 0.5 s to 12 % of
/// the direct peak, `coda::CODA_RISE_S`, `P_CODA_LEVEL`), the horizontal
/// motion of strong events points to the source within 5 degrees. (Later in
/// the P window the coda spoils it, as on real records:
/// tests/polarisation.rs.)
#[test]
fn p_polarisation_gives_the_true_back_azimuth() {
    let data = synthesize(&small_config(12)).unwrap();
    let s = station(&data);
    let mut checked = 0;
    let mut worst: f64 = 0.0;
    for ev in &data.events {
        let k0 = p_index(&data, ev).ceil() as usize;
        let noise = rms(&s.z[k0 - 1000..k0 - 200]);
        if ev.arrivals[0].p_peak_counts / noise < 50.0 {
            continue;
        }
        let w = k0..k0 + 10; // 0.1 s after P
        let (mut cnn, mut cee, mut cne, mut czn, mut cze) = (0.0, 0.0, 0.0, 0.0, 0.0);
        for i in w {
            cnn += s.n[i] * s.n[i];
            cee += s.e[i] * s.e[i];
            cne += s.n[i] * s.e[i];
            czn += s.z[i] * s.n[i];
            cze += s.z[i] * s.e[i];
        }
        // principal eigenvector of the N-E covariance
        let theta = 0.5 * (2.0 * cne).atan2(cnn - cee); // angle from N towards E
        let (mut vn, mut ve) = (theta.cos(), theta.sin());
        // P moves up and away from the source: horizontal motion anti-correlated with Z points to the source
        if vn * czn + ve * cze > 0.0 {
            vn = -vn;
            ve = -ve;
        }
        let baz = ve.atan2(vn).to_degrees().rem_euclid(360.0);
        let truth = ev.arrivals[0].back_azimuth_deg;
        let diff = ((baz - truth + 540.0) % 360.0 - 180.0).abs();
        eprintln!("{}: back-azimuth {baz:.1} vs true {truth:.1}", ev.id);
        worst = worst.max(diff);
        checked += 1;
    }
    assert!(checked >= 6, "only {checked} high-SNR events checked");
    assert!(
        worst < 5.0,
        "P polarisation back-azimuth off by up to {worst:.1} degrees"
    );
}

#[test]
fn s_is_stronger_than_p_on_the_horizontals_and_events_stand_out() {
    let data = synthesize(&small_config(13)).unwrap();
    let s = station(&data);
    let mut stronger = 0;
    for ev in &data.events {
        let kp = p_index(&data, ev) as usize;
        let ks = (seconds_between(data.config.start_time, ev.arrivals[0].s_time) * s.fs) as usize;
        let peak =
            |x: &[f64], a: usize, b: usize| x[a..b].iter().fold(0.0f64, |m, v| m.max(v.abs()));
        let p_h = peak(&s.n, kp, ks).max(peak(&s.e, kp, ks));
        let s_h = peak(&s.n, ks, ks + 300).max(peak(&s.e, ks, ks + 300));
        if s_h > 1.5 * p_h {
            stronger += 1;
        }
    }
    assert!(
        stronger >= 8,
        "S stronger than P on the horizontals in only {stronger}/10 events"
    );
}

#[test]
fn files_are_readable_and_identical_for_the_same_seed() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b, c) = (
        dir.path().join("a"),
        dir.path().join("b"),
        dir.path().join("c"),
    );
    let cfg = SynthConfig {
        duration_hours: 0.25,
        n_events: 4,
        ..small_config(5)
    };
    let data = synthesize(&cfg).unwrap();
    let files = write_outputs(&data, &a).unwrap();
    write_outputs(&synthesize(&cfg).unwrap(), &b).unwrap();
    write_outputs(
        &synthesize(&SynthConfig {
            seed: 6,
            ..cfg.clone()
        })
        .unwrap(),
        &c,
    )
    .unwrap();
    let mut differ = 0;
    for f in &files {
        let name = f.file_name().unwrap();
        assert_eq!(
            std::fs::read(f).unwrap(),
            std::fs::read(b.join(name)).unwrap(),
            "{name:?} differs for the same seed"
        );
        if std::fs::read(f).unwrap() != std::fs::read(c.join(name)).unwrap() {
            differ += 1;
        }
    }
    assert!(
        differ >= 5,
        "another seed must change the records and the catalog"
    );
    // miniSEED holds exactly the generated samples
    let st = read_mseed(a.join("XX.SYN1.00.HHZ.mseed")).unwrap();
    assert_eq!(st.traces.len(), 1);
    assert_eq!(st.traces[0].data, data.stream.traces[0].data);
    assert_eq!(st.traces[0].start, cfg.start_time);
    // the catalog reads with the project's catalog reader
    let cat = Catalog::from_path(a.join("catalog.csv")).unwrap();
    assert_eq!(cat.events.len(), 4);
    for (row, ev) in cat.events.iter().zip(&data.events) {
        assert!(seconds_between(row.origin_time, ev.origin_time).abs() < 1e-5);
        assert!((row.depth_km - ev.position_km[2]).abs() < 1e-3);
        assert!((row.magnitude.unwrap() - ev.magnitude).abs() < 0.006);
    }
    // the configuration written beside the data regenerates it
    let text = std::fs::read_to_string(a.join("generate.toml")).unwrap();
    let back: SynthConfig = toml::from_str(&text).unwrap();
    assert_eq!(back, cfg);
}

#[test]
fn bad_configurations_are_errors() {
    let too_many = SynthConfig {
        duration_hours: 0.1,
        n_events: 100,
        ..SynthConfig::default()
    };
    assert!(synthesize(&too_many)
        .unwrap_err()
        .to_string()
        .contains("n_events"));
    let bad_rate = SynthConfig {
        sampling_rate_hz: 0.0,
        ..SynthConfig::default()
    };
    assert!(synthesize(&bad_rate)
        .unwrap_err()
        .to_string()
        .contains("sampling_rate_hz"));
    let unknown = toml::from_str::<SynthConfig>("n_events = 3\nnot_a_field = 1\n");
    assert!(unknown.unwrap_err().to_string().contains("not_a_field"));
}

/// The shipped sample data set is exactly what its README's command produces.
#[test]
fn shipped_sample_matches_its_regenerating_command() {
    let sample = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/data/sample");
    let cfg = SynthConfig {
        seed: 1,
        duration_hours: 4.0,
        n_events: 48,
        ..SynthConfig::default()
    };
    let dir = tempfile::tempdir().unwrap();
    let files = write_outputs(&synthesize(&cfg).unwrap(), dir.path()).unwrap();
    for f in files {
        let name = f.file_name().unwrap();
        let shipped = std::fs::read(sample.join(name)).unwrap_or_else(|e| panic!("{name:?}: {e}"));
        assert!(shipped == std::fs::read(&f).unwrap(), "examples/data/sample/{name:?} differs from a fresh `eqnemix generate` (regenerate it with the command in its README)");
    }
}
