//! Calibration guard of the back-azimuth estimator on real records: the 216
//! labelled three-component records of `examples/data/polarisation_real/`
//! (IPOC CX.PB01 and Western Gulf of Corinth, see its README), measured at
//! the catalog P time with the default (calibrated) settings, as
//! `cargo run --release --example polarisation_real` prints them.
//!
//! The calibration constants of `src/polarisation.rs` were fitted on the
//! even rows; the held-out odd rows are checked on their own. The bounds
//! are the binomial 2-sigma range of a 90 % coverage at the gated count
//! (about 75 records per half: ±0.07; 150 in all: ±0.05), so a calibrated
//! estimator passes and one whose sigma is off by a factor 1.5 does not.

use eqnemix::polarisation::PolarisationWindow;
use eqnemix::polarisation_real::{load_records, measure, score, Outcome, Reported, Scores};
use std::path::Path;

fn scores() -> (Scores, Scores, Scores, Scores) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/data/polarisation_real");
    let records = load_records(&dir).unwrap();
    assert_eq!(records.len(), 216);
    let outcomes = measure(&records, &PolarisationWindow::default());
    let pick = |f: &dyn Fn(&Outcome) -> bool| -> Vec<&Outcome> { outcomes.iter().filter(|o| f(o)).collect() };
    let all = score(&pick(&|_| true), Reported::of);
    let even = score(&pick(&|o| o.row % 2 == 0), Reported::of);
    let odd = score(&pick(&|o| o.row % 2 == 1), Reported::of);
    let ipoc = score(&pick(&|o| o.source == "ipoc"), Reported::of);
    for (name, s) in [("all", &all), ("even (fit)", &even), ("odd (held out)", &odd), ("ipoc", &ipoc)] {
        eprintln!("{}", s.row(name));
    }
    (all, even, odd, ipoc)
}

/// 90 % coverage within the binomial 2-sigma range of 0.9 at `n`.
fn coverage_ok(s: &Scores, name: &str) {
    let tol = 2.0 * (0.9 * 0.1 / s.n_in as f64).sqrt();
    let c = s.coverage[1];
    assert!((0.9 - tol..=0.9 + tol).contains(&c), "{name}: 90% coverage {c:.3} outside 0.9 ± {tol:.3} (n {})", s.n_in);
    // 68 % and 95 % intervals not grossly off either
    assert!((0.55..=0.80).contains(&s.coverage[0]), "{name}: 68% coverage {:.3}", s.coverage[0]);
    assert!(s.coverage[2] >= 0.88, "{name}: 95% coverage {:.3}", s.coverage[2]);
    // error/sigma like a unit normal: median |z| 0.67
    assert!((0.45..=0.9).contains(&s.median_abs_z), "{name}: median |error|/sigma {:.2}", s.median_abs_z);
}

#[test]
fn real_records_back_azimuth_is_calibrated() {
    let (all, even, odd, ipoc) = scores();
    // the gates keep most records, and the flips they let through are carried
    assert!(all.n_in >= 140, "only {} of {} records past the gates", all.n_in, all.n);
    coverage_ok(&all, "all");
    coverage_ok(&even, "even rows (fit)");
    coverage_ok(&odd, "odd rows (held out)");
    assert!(all.flipped <= 0.05, "{:.3} flipped past the gates", all.flipped);
    assert!(all.mean_p_flip > 0.0 && all.mean_p_flip <= 0.05, "mean p_flip {:.3}", all.mean_p_flip);
    // accuracy reached (not the 15° target on all records: 15.4° at
    // SNR >= 20 dB, 13.2° on IPOC alone; the Corinth records carry station
    // polarity and orientation errors, see the README)
    assert!(all.median_abs_error_deg <= 16.0, "median |error| {:.1}", all.median_abs_error_deg);
    assert!(all.median_abs_error_snr20_deg <= 16.5, "median |error| at SNR >= 20 dB {:.1}", all.median_abs_error_snr20_deg);
    assert!(ipoc.median_abs_error_snr20_deg <= 15.0, "IPOC median |error| at SNR >= 20 dB {:.1}", ipoc.median_abs_error_snr20_deg);
}
