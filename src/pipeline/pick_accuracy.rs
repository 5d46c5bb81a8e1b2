//! The picks of a run against the synthetic truth: for every true event,
//! the detections that belong to it and their P, S and S-P errors; the
//! events no detection found; the detections no true event explains.
//!
//! A detection belongs to the true event whose arrivals bracket its first
//! pick: `t_P - tol <= t <= t_S + tol` (`tol` = [`MATCH_TOLERANCE_S`]),
//! and among several such events the one whose P (or, for an S-only
//! detection, S) is nearest. Single station: the truth is the catalog's
//! arrivals at its station, compared with each detection's first station.
//! Errors are pick minus truth (s); the S-P error is that of the detection
//! the pipeline locates (the first of the event's detections with both picks).

use super::truth::TrueEvent;
use crate::picks::{duration_s, Picks};
use serde::Serialize;
use std::fmt::Write as _;

/// How far (s) a first pick may lie outside an event's `[t_P, t_S]` and
/// still belong to it: well above EQTransformer's pick errors (at most
/// 0.7 s on the sample, about 1 s on the records of the generator before
/// 2026-12-06), smaller than the 120 s between the generator's events.
pub const MATCH_TOLERANCE_S: f64 = 2.0;

/// Half-width of the central 90% interval of a normal, in sigmas.
pub const Z_90: f64 = 1.6448536269514722;

/// Summary of a set of pick errors (s).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ErrorStats {
    /// Number of errors.
    pub n: usize,
    /// Median (s).
    pub median_s: f64,
    /// Root mean square (s).
    pub rms_s: f64,
    /// Largest absolute error (s).
    pub max_abs_s: f64,
    /// How many are within 0.5 s.
    pub within_half_s: usize,
    /// How many lie inside the pick's own central 90% interval
    /// (`|error| <= 1.645 sigma`, sigma the pick sigma the locator is
    /// given, before the travel-time model error; S-P: both sigmas in
    /// quadrature): about 0.9 of `n` when the sigmas are calibrated.
    pub inside_90: usize,
}

impl ErrorStats {
    /// Statistics of `errors` with the sigmas (s) of their picks (NaN when
    /// empty).
    pub fn of_with_sigma(errors: &[(f64, f64)]) -> Self {
        let e: Vec<f64> = errors.iter().map(|(e, _)| *e).collect();
        ErrorStats { inside_90: errors.iter().filter(|(e, sd)| e.abs() <= Z_90 * sd).count(), ..Self::of(&e) }
    }

    /// Statistics of `errors` (NaN when empty; `inside_90` 0: no sigmas).
    pub fn of(errors: &[f64]) -> Self {
        let n = errors.len();
        let median_s = crate::synthetic_region::median(errors);
        let rms_s = if n == 0 { f64::NAN } else { (errors.iter().map(|e| e * e).sum::<f64>() / n as f64).sqrt() };
        let max_abs_s = errors.iter().map(|e| e.abs()).fold(if n == 0 { f64::NAN } else { 0.0 }, f64::max);
        ErrorStats { n, median_s, rms_s, max_abs_s, within_half_s: errors.iter().filter(|e| e.abs() <= 0.5).count(), inside_90: 0 }
    }
}

/// One true event and its picks.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrueEventPicks {
    /// True event id.
    pub true_event_id: String,
    /// Generator cluster name, if known.
    pub cluster: Option<String>,
    /// True S-P time (s).
    pub true_s_minus_p_s: Option<f64>,
    /// Ids of the detections that belong to it, in time order.
    pub detections: Vec<String>,
    /// P error (s) of the detection used (see the module doc).
    pub p_error_s: Option<f64>,
    /// S error (s) of the detection used.
    pub s_error_s: Option<f64>,
    /// S-P error (s) of the detection used (both picks in one detection).
    pub s_minus_p_error_s: Option<f64>,
}

/// Picks against the truth (see the module doc).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PickAccuracy {
    /// Detections (rows of the picks file, any picks).
    pub n_detections: usize,
    /// True events.
    pub n_true: usize,
    /// True events with at least one detection.
    pub n_detected: usize,
    /// True events with a detection holding both a P and an S pick.
    pub n_with_p_and_s: usize,
    /// True events no detection belongs to.
    pub missed: Vec<String>,
    /// Detections that belong to no true event.
    pub false_detections: Vec<String>,
    /// P errors of the events' detections.
    pub p_error: ErrorStats,
    /// S errors.
    pub s_error: ErrorStats,
    /// S-P errors (events with both picks in one detection).
    pub s_minus_p_error: ErrorStats,
    /// Per true event, in the catalog's order.
    pub events: Vec<TrueEventPicks>,
}

/// First station's P and S pick times (UTC) of a detection.
fn pick_times(d: &Picks) -> (Option<chrono::DateTime<chrono::Utc>>, Option<chrono::DateTime<chrono::Utc>>) {
    d.stations.first().map_or((None, None), |s| (s.p.map(|p| d.utc_at(p.time_s)), s.s.map(|p| d.utc_at(p.time_s))))
}

/// First station's P and S pick sigmas (s) of a detection.
fn pick_sigmas(d: &Picks) -> (Option<f64>, Option<f64>) {
    d.stations.first().map_or((None, None), |s| (s.p.map(|p| p.sigma_s), s.s.map(|p| p.sigma_s)))
}

/// Compare `detections` (every detection of the run, any picks) with `truth`.
pub fn compare(detections: &[Picks], truth: &[TrueEvent]) -> PickAccuracy {
    let mut owner: Vec<Option<usize>> = Vec::with_capacity(detections.len());
    for d in detections {
        let (p, s) = pick_times(d);
        let Some(first) = p.or(s) else {
            owner.push(None);
            continue;
        };
        let best = truth
            .iter()
            .enumerate()
            .filter(|(_, e)| {
                let after = duration_s(first - e.p_time) >= -MATCH_TOLERANCE_S;
                let before = duration_s(e.s_time.unwrap_or(e.p_time) - first) >= -MATCH_TOLERANCE_S;
                after && before
            })
            .map(|(i, e)| {
                let dt = match (p, s, e.s_time) {
                    (Some(p), _, _) => duration_s(p - e.p_time),
                    (None, Some(s), Some(ts)) => duration_s(s - ts),
                    _ => duration_s(first - e.p_time),
                };
                (i, dt.abs())
            })
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(i, _)| i);
        owner.push(best);
    }
    let mut events = Vec::with_capacity(truth.len());
    let (mut pe, mut se, mut spe) = (Vec::new(), Vec::new(), Vec::new());
    for (i, e) in truth.iter().enumerate() {
        let mine: Vec<&Picks> = detections.iter().zip(&owner).filter(|(_, o)| **o == Some(i)).map(|(d, _)| d).collect();
        let used = mine.iter().find(|d| matches!(pick_times(d), (Some(_), Some(_)))).or(mine.first());
        let (p, s) = used.map_or((None, None), |d| pick_times(d));
        let (sp, ss) = used.map_or((None, None), |d| pick_sigmas(d));
        let p_error_s = p.map(|p| duration_s(p - e.p_time));
        let s_error_s = s.zip(e.s_time).map(|(s, ts)| duration_s(s - ts));
        let s_minus_p_error_s = p.zip(s).zip(e.s_minus_p_s()).map(|((p, s), t)| duration_s(s - p) - t);
        pe.extend(p_error_s.zip(sp));
        se.extend(s_error_s.zip(ss));
        spe.extend(s_minus_p_error_s.zip(sp.zip(ss).map(|(a, b)| a.hypot(b))));
        events.push(TrueEventPicks {
            true_event_id: e.id.clone(),
            cluster: e.cluster.clone(),
            true_s_minus_p_s: e.s_minus_p_s(),
            detections: mine.iter().map(|d| d.event_id.clone()).collect(),
            p_error_s,
            s_error_s,
            s_minus_p_error_s,
        });
    }
    PickAccuracy {
        n_detections: detections.len(),
        n_true: truth.len(),
        n_detected: events.iter().filter(|e| !e.detections.is_empty()).count(),
        n_with_p_and_s: spe.len(),
        missed: events.iter().filter(|e| e.detections.is_empty()).map(|e| e.true_event_id.clone()).collect(),
        false_detections: detections.iter().zip(&owner).filter(|(_, o)| o.is_none()).map(|(d, _)| d.event_id.clone()).collect(),
        p_error: ErrorStats::of_with_sigma(&pe),
        s_error: ErrorStats::of_with_sigma(&se),
        s_minus_p_error: ErrorStats::of_with_sigma(&spe),
        events,
    }
}

impl PickAccuracy {
    /// The report section (Markdown).
    pub fn write_markdown(&self, s: &mut String) {
        let _ = writeln!(
            s,
            "\n## Picks against the truth\n\n{} detections; {} of {} true events detected, {} with both P and S in one detection; {} missed; {} detections belong to no true event (a detection belongs to the event whose [P - {tol} s, S + {tol} s] holds its first pick).\n",
            self.n_detections,
            self.n_detected,
            self.n_true,
            self.n_with_p_and_s,
            self.missed.len(),
            self.false_detections.len(),
            tol = MATCH_TOLERANCE_S
        );
        let _ = writeln!(
            s,
            "| pick | n | median error (s) | RMS (s) | max abs (s) | within 0.5 s | inside the pick's 90% interval |\n|---|---:|---:|---:|---:|---:|---:|"
        );
        for (name, e) in [("P", &self.p_error), ("S", &self.s_error), ("S-P", &self.s_minus_p_error)] {
            let _ = writeln!(
                s,
                "| {name} | {} | {:+.2} | {:.2} | {:.2} | {} | {} ({:.2}) |",
                e.n,
                e.median_s,
                e.rms_s,
                e.max_abs_s,
                e.within_half_s,
                e.inside_90,
                e.inside_90 as f64 / e.n.max(1) as f64
            );
        }
        let _ = writeln!(s, "\n(The 90% interval is ±{Z_90:.3} times the pick's sigma, as the locator gets it before the travel-time model error; S-P: both sigmas in quadrature. Calibrated sigmas put about 0.9 of the picks inside.)");
        let f = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:+.2}"));
        let _ = writeln!(s, "\n| true event | cluster | true S-P (s) | detections | P error (s) | S error (s) | S-P error (s) |\n|---|---|---:|---|---:|---:|---:|");
        for e in &self.events {
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {} | {} | {} |",
                e.true_event_id,
                e.cluster.as_deref().unwrap_or("-"),
                e.true_s_minus_p_s.map_or("-".to_string(), |v| format!("{v:.2}")),
                if e.detections.is_empty() { "missed".to_string() } else { e.detections.join(", ") },
                f(e.p_error_s),
                f(e.s_error_s),
                f(e.s_minus_p_error_s)
            );
        }
        if !self.false_detections.is_empty() {
            let _ = writeln!(s, "\nDetections of no true event: {}", self.false_detections.join(", "));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::picks::{PhasePick, StationPicks};
    use chrono::{TimeDelta, TimeZone, Utc};
    use eqnemix_traveltime::Station;

    fn at(s: f64) -> chrono::DateTime<Utc> {
        Utc.with_ymd_and_hms(2019, 7, 6, 0, 0, 0).unwrap() + TimeDelta::milliseconds((s * 1000.0).round() as i64)
    }

    fn truth(id: &str, p: f64, s: f64) -> TrueEvent {
        TrueEvent { id: id.into(), cluster: Some("A".into()), km: [0.0; 3], p_time: at(p), s_time: Some(at(s)) }
    }

    fn det(id: &str, p: Option<f64>, s: Option<f64>) -> Picks {
        let r = p.or(s).unwrap();
        let mut sp = StationPicks::new(Station { code: "S".into(), position_km: [0.0; 3] });
        sp.p = p.map(|t| PhasePick { time_s: t - r, sigma_s: 0.1 });
        sp.s = s.map(|t| PhasePick { time_s: t - r, sigma_s: 0.1 });
        Picks { event_id: id.into(), reference_time: at(r), stations: vec![sp] }
    }

    #[test]
    fn detections_join_their_events_and_errors_are_pick_minus_truth() {
        let t = vec![truth("e0", 100.0, 105.0), truth("e1", 300.0, 302.0), truth("e2", 500.0, 509.0)];
        let d = vec![
            det("d0", Some(101.0), Some(104.5)), // e0: P +1, S -0.5, S-P -1.5
            det("d1", Some(299.5), None),       // e1, P only
            det("d2", None, Some(302.25)),      // e1, S only (split detection)
            det("d3", Some(700.0), Some(705.0)), // nobody's
        ];
        let a = compare(&d, &t);
        assert_eq!((a.n_detections, a.n_true, a.n_detected, a.n_with_p_and_s), (4, 3, 2, 1));
        assert_eq!(a.missed, ["e2"]);
        assert_eq!(a.false_detections, ["d3"]);
        let e0 = &a.events[0];
        assert_eq!(e0.detections, ["d0"]);
        assert!((e0.p_error_s.unwrap() - 1.0).abs() < 1e-9 && (e0.s_error_s.unwrap() + 0.5).abs() < 1e-9);
        assert!((e0.s_minus_p_error_s.unwrap() + 1.5).abs() < 1e-9);
        // e1: two detections, neither with both picks: the first one is used.
        let e1 = &a.events[1];
        assert_eq!(e1.detections, ["d1", "d2"]);
        assert!((e1.p_error_s.unwrap() + 0.5).abs() < 1e-9 && e1.s_error_s.is_none() && e1.s_minus_p_error_s.is_none());
        assert_eq!(a.p_error.n, 2);
        assert!((a.p_error.rms_s - (1.25f64 / 2.0).sqrt()).abs() < 1e-9);
        assert_eq!(a.p_error.within_half_s, 1);
        // Sigmas 0.1 s: errors of 1 and 0.5 s lie outside the 90% intervals.
        assert_eq!((a.p_error.inside_90, a.s_error.inside_90), (0, 0));
        let mut md = String::new();
        a.write_markdown(&mut md);
        assert!(md.contains("| e2 | A | 9.00 | missed |"), "{md}");
    }

    #[test]
    fn error_stats_of_known_sets() {
        // 1.645 sigma = 0.1645 s: 0.1 and -0.16 inside, 0.2 and 0.17 not;
        // S-P-like sigma 0.5: 0.8 inside (0.82).
        let c = ErrorStats::of_with_sigma(&[(0.1, 0.1), (0.2, 0.1), (-0.16, 0.1), (0.17, 0.1), (0.8, 0.5)]);
        assert_eq!((c.n, c.inside_90, c.within_half_s), (5, 3, 4));
        let s = ErrorStats::of(&[-1.0, 0.2, 3.0, 0.4]);
        assert_eq!((s.n, s.within_half_s), (4, 2));
        assert!((s.median_s - 0.3).abs() < 1e-12 && (s.max_abs_s - 3.0).abs() < 1e-12);
        assert!((s.rms_s - ((1.0 + 0.04 + 9.0 + 0.16) / 4.0f64).sqrt()).abs() < 1e-12);
        assert!(ErrorStats::of(&[]).median_s.is_nan());
    }
}
