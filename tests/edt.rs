//! The equal-differential-time likelihood against the Gaussian one (origin
//! time marginalised) on a small synthetic network with one +2 s outlier
//! pick: posterior means by quadrature on a grid (flat prior), so the
//! comparison has no sampler noise; the pick noise has a fixed seed.

use chrono::{TimeZone, Utc};
use eqnemix::likelihood::{EdtPower, Likelihood, LikelihoodOptions};
use eqnemix::picks::{PhasePick, Picks, StationPicks};
use eqnemix::traveltime::{Homogeneous, Phase, Station, TravelTimeModel};
use rand::SeedableRng;
use rand_distr::{Distribution, Normal};

const TRUTH: [f64; 3] = [2.0, 3.0, 8.0];
const STATIONS: [[f64; 3]; 6] = [
    [0.0, 0.0, 0.0],
    [20.0, 3.0, 0.0],
    [-15.0, 12.0, 0.0],
    [5.0, -18.0, 0.0],
    [14.0, 16.0, 0.0],
    [-10.0, -9.0, 0.0],
];

/// Picks of a source at `TRUTH` (origin time 5 s), P σ 0.1 s and S σ 0.2 s
/// with Gaussian noise of those sigmas (seed 11), `outlier_s` added to the P
/// pick of station S1.
fn picks(model: &Homogeneous, outlier_s: f64) -> Picks {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
    let stations = STATIONS
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let station = Station { code: format!("S{i}"), position_km: *p };
            let mut pick = |phase, sigma: f64, extra: f64| {
                let t = model.field(&station, phase).unwrap().time(TRUTH).unwrap();
                let noise = Normal::new(0.0, sigma).unwrap().sample(&mut rng);
                Some(PhasePick { time_s: 5.0 + t + noise + extra, sigma_s: sigma })
            };
            let p = pick(Phase::P, 0.1, if i == 1 { outlier_s } else { 0.0 });
            let s = pick(Phase::S, 0.2, 0.0);
            StationPicks { station, p, s, back_azimuth: None }
        })
        .collect();
    Picks { event_id: "e".into(), reference_time: Utc.with_ymd_and_hms(2021, 1, 1, 0, 0, 0).unwrap(), stations }
}

/// Posterior mean (km) under a flat prior on a grid of step 0.1 km over
/// `TRUTH ± 4 km`.
fn grid_mean(lik: &Likelihood) -> [f64; 3] {
    let n = 81;
    let at = |k: usize, a: usize| TRUTH[a] - 4.0 + 0.1 * k as f64;
    let mut pts = Vec::with_capacity(n * n * n);
    for i in 0..n {
        for j in 0..n {
            for k in 0..n {
                let x = [at(i, 0), at(j, 1), at(k, 2)];
                pts.push((x, lik.log_likelihood(x, None)));
            }
        }
    }
    let m = pts.iter().map(|p| p.1).fold(f64::NEG_INFINITY, f64::max);
    let (mut w, mut mean) = (0.0, [0.0; 3]);
    for (x, l) in pts {
        let e = (l - m).exp();
        w += e;
        (0..3).for_each(|a| mean[a] += e * x[a]);
    }
    mean.map(|v| v / w)
}

fn error_km(m: [f64; 3]) -> f64 {
    (0..3).map(|a| (m[a] - TRUTH[a]).powi(2)).sum::<f64>().sqrt()
}

#[test]
fn edt_posterior_mean_stays_near_the_truth_with_an_outlier_pick() {
    let model = Homogeneous::new(6.0, 3.5).unwrap();
    let gauss = LikelihoodOptions { s_minus_p: false, absolute_times: true, back_azimuth: false, ..Default::default() };
    let edt = LikelihoodOptions { edt: Some(EdtPower::NMinusOne), ..gauss.clone() };
    let mean = |o: &LikelihoodOptions, out: f64| grid_mean(&Likelihood::build(&picks(&model, out), &model, o).unwrap());
    let (g0, e0) = (mean(&gauss, 0.0), mean(&edt, 0.0));
    let (g2, e2) = (mean(&gauss, 2.0), mean(&edt, 2.0));
    eprintln!("clean: gaussian {g0:?} ({:.3} km), edt {e0:?} ({:.3} km)", error_km(g0), error_km(e0));
    eprintln!("+2 s:  gaussian {g2:?} ({:.3} km), edt {e2:?} ({:.3} km)", error_km(g2), error_km(e2));
    // Clean picks: both means agree (q = n − 1 gives the EDT the Gaussian's
    // curvature), within 0.15 km per axis; the pick noise (P 0.1 s ≈ 0.6 km
    // of P path at 6 km/s) puts both ~1 km from the truth, mostly in depth,
    // the poorly resolved axis of a surface network.
    assert!(error_km(g0) < 1.5 && error_km(e0) < 1.5, "{g0:?} {e0:?}");
    assert!((0..3).all(|a| (g0[a] - e0[a]).abs() < 0.15), "{g0:?} vs {e0:?}");
    // The +2 s pick (20 σ) drags the Gaussian mean by km: its squared
    // residual outweighs the other 11 picks unless the hypocentre moves so
    // that the S1 P path absorbs a good part of 2 s (≈ 12 km of path at
    // 6 km/s, shared with the origin time and the other picks). Its 11 EDT
    // pairs carry weight exp(−2²/(2·0.05)) ≈ e⁻⁴⁰ against the clean pairs,
    // so the EDT mean is that of the 11 remaining picks: it moves by a
    // fraction of the posterior sd (a few hundred m), not by km.
    let shift = |a: [f64; 3], b: [f64; 3]| (0..3).map(|k| (a[k] - b[k]).powi(2)).sum::<f64>().sqrt();
    let (moved_g, moved_e) = (shift(g2, g0), shift(e2, e0));
    eprintln!("moved by the outlier: gaussian {moved_g:.3} km, edt {moved_e:.3} km");
    assert!(moved_g > 2.0 && moved_e < 0.3, "gaussian moved {moved_g}, edt {moved_e}");
    assert!(error_km(e2) < 1.5 && error_km(g2) > 2.5, "{e2:?} {g2:?}");
}

/// Noise-free picks of `TRUTH` (origin 5 s) with `outlier_s` on S1's P.
fn exact_picks(model: &Homogeneous, outlier_s: f64) -> Picks {
    let mut p = picks(model, 0.0);
    for (i, st) in p.stations.iter_mut().enumerate() {
        for (pick, phase) in [(&mut st.p, Phase::P), (&mut st.s, Phase::S)] {
            let t = model.field(&st.station, phase).unwrap().time(TRUTH).unwrap();
            let extra = if i == 1 && phase == Phase::P { outlier_s } else { 0.0 };
            pick.as_mut().unwrap().time_s = 5.0 + t + extra;
        }
    }
    p
}

/// Issue 17: under EDT the reported origin time and residuals come from the
/// weighted median of `t_i − T_i(x)`, so one +2 s pick leaves them alone;
/// the Gaussian estimator (weighted mean) moves by 2 s × 100/750 (the P
/// pick's weight 1/0.1² over W = 6/0.1² + 6/0.2²).
#[test]
fn edt_reports_a_median_origin_time_that_an_outlier_does_not_drag() {
    let model = Homogeneous::new(6.0, 3.5).unwrap();
    let gauss = LikelihoodOptions { s_minus_p: false, absolute_times: true, back_azimuth: false, ..Default::default() };
    let edt = LikelihoodOptions { edt: Some(EdtPower::Calibrated), ..gauss.clone() };
    let p = exact_picks(&model, 2.0);
    let est = |o: &LikelihoodOptions| Likelihood::build(&p, &model, o).unwrap().origin_estimator.unwrap();
    let (g, e) = (est(&gauss), est(&edt));
    let (tg, sg) = g.optimal_origin_time(TRUTH).unwrap();
    let (te, se) = e.optimal_origin_time(TRUTH).unwrap();
    assert!((tg - 5.0 - 2.0 * 100.0 / 750.0).abs() < 1e-9, "gaussian origin {tg}");
    assert!((te - 5.0).abs() < 1e-9, "edt origin {te}");
    assert!((se / sg - (std::f64::consts::PI / 2.0).sqrt()).abs() < 1e-12);
    // Residuals at the median origin: the 11 clean picks are 0, the bad
    // one 2 s, so the chi-square is (2/0.1)² and the RMS 2/√12.
    assert!((e.chi_square(TRUTH).unwrap() - 400.0).abs() < 1e-6);
    assert!((e.rms_residual(TRUTH).unwrap() - 2.0 / 12f64.sqrt()).abs() < 1e-9);
    // The Gaussian spreads the 2 s over every pick: a smaller chi-square.
    assert!(g.chi_square(TRUTH).unwrap() < 400.0 * 0.9);
}

/// Issue 17: an S pick before its P (here S1's P and S swapped) refuses the
/// event under the Gaussian likelihood, but not under the EDT network
/// likelihood, which locates it from the other pairs (grid posterior mean
/// within 1.5 km of the truth, as with clean picks); one station's P and S
/// alone are still refused under EDT (one pair, nothing to outweigh it).
#[test]
fn edt_locates_through_an_s_before_p_pick_instead_of_refusing_the_event() {
    use eqnemix::likelihood::refuses_impossible_s_minus_p;
    let model = Homogeneous::new(6.0, 3.5).unwrap();
    let gauss = LikelihoodOptions { s_minus_p: false, absolute_times: true, back_azimuth: false, ..Default::default() };
    let edt = LikelihoodOptions { edt: Some(EdtPower::Calibrated), ..gauss.clone() };
    let mut p = picks(&model, 0.0);
    let st = &mut p.stations[1];
    std::mem::swap(&mut st.p, &mut st.s);
    assert!(st.s.unwrap().time_s < st.p.unwrap().time_s);
    assert!(refuses_impossible_s_minus_p(&gauss, &p));
    assert!(!refuses_impossible_s_minus_p(&edt, &p));
    let mean = grid_mean(&Likelihood::build(&p, &model, &edt).unwrap());
    assert!(error_km(mean) < 1.5, "EDT mean {mean:?} with S before P at S1");
    let mut lone = p.clone();
    lone.stations.truncate(2);
    lone.stations.remove(0);
    assert!(refuses_impossible_s_minus_p(&edt, &lone));
    let sp_edt = LikelihoodOptions { s_minus_p: true, absolute_times: false, ..edt.clone() };
    assert!(refuses_impossible_s_minus_p(&sp_edt, &p));
}
