//! Draws one generated event (Z, N, E, 60 s) into
//! `$CARGO_TARGET_TMPDIR/synth_event.png` so a person can look at it, and
//! checks the picture was written. Traces are band-passed 1-45 Hz (as a
//! picker sees them). Vertical red lines: true P and S.

use eqnemix::models::waveform::bandpass_zero_phase;
use eqnemix::models::waveform::stream::seconds_between;
use eqnemix::synth::{synthesize, SynthConfig};
use plotters::prelude::*;

#[test]
fn plot_a_generated_event() {
    let cfg = SynthConfig {
        duration_hours: 0.25,
        n_events: 3,
        ..SynthConfig::default()
    };
    let data = synthesize(&cfg).unwrap();
    let three = data.stream.select_station_3c("XX", "SYN1", None).unwrap();
    let ev = &data.events[0];
    let fs = three.sampling_rate;
    let t_p = seconds_between(three.start, ev.arrivals[0].p_time);
    let t_s = seconds_between(three.start, ev.arrivals[0].s_time);
    let (a, b) = (((t_p - 10.0) * fs) as usize, ((t_p + 50.0) * fs) as usize);
    let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("synth_event.png");
    {
        let root = BitMapBackend::new(&path, (1200, 700)).into_drawing_area();
        root.fill(&WHITE).unwrap();
        let rows = root.split_evenly((3, 1));
        for (area, x) in rows.iter().zip([&three.z, &three.n, &three.e]) {
            let seg = &bandpass_zero_phase(&x[a..b], fs, 1.0, 45.0, 2).unwrap();
            let mean = seg.iter().sum::<f64>() / seg.len() as f64;
            let amp = seg.iter().fold(1.0f64, |m, v| m.max((v - mean).abs()));
            let mut chart = ChartBuilder::on(area)
                .margin(8)
                .build_cartesian_2d(t_p - 10.0..t_p + 50.0, -amp..amp)
                .unwrap();
            chart
                .draw_series(LineSeries::new(
                    seg.iter()
                        .enumerate()
                        .map(|(i, v)| ((a + i) as f64 / fs, v - mean)),
                    &BLACK,
                ))
                .unwrap();
            for t in [t_p, t_s] {
                chart
                    .draw_series(LineSeries::new(vec![(t, -amp), (t, amp)], &RED))
                    .unwrap();
            }
        }
        root.present().unwrap();
    }
    assert!(std::fs::metadata(&path).unwrap().len() > 10_000);
    eprintln!(
        "event {} M{:.1} at {:.0} km: {}",
        ev.id,
        ev.magnitude,
        ev.arrivals[0].epicentral_km,
        path.display()
    );
}
