//! The classification stage of `eqnemix run`: for each detection, the
//! cluster probabilities of the 10 s window holding its P pick, written as
//! ConvNetQuake's output (`probabilities.csv`, the file `eqnemix locate
//! --probabilities` reads) and joined back to the event by the P pick.
//!
//! # Windows
//!
//! Each detection's window starts `[pipeline] window_before_p_s` seconds
//! (default 1 s) before its earliest P pick, at a sample of the records
//! (floored), and lasts 1000 samples at 100 Hz, as `eqnemix
//! create-dataset-events --margin` cuts the training windows (so the
//! network sees what it was trained on). The original classifies
//! back-to-back windows and joins a detection to the window holding its P
//! pick; [`crate::locate::inputs::ClusterProbabilities::for_event`] does
//! that join (first row, in file order, with `start_time <= t_P <
//! end_time`). When two detections' windows overlap, the earlier row's
//! `end_time` is cut to the later row's `start_time` (but never before its
//! own P pick + 1 ms), so each P pick joins its own window; `end_time` is
//! therefore "end of the window or start of the next one".
//!
//! # Without a model
//!
//! When no ConvNetQuake model is configured or its file is missing (or
//! `force_catalog_weights`), every window gets the clusters' catalog
//! proportions `n_k / N` and the file has no `noise_prob` column.

use crate::cli::cnq::Continuous;
use crate::picks::Picks;
use anyhow::{bail, Context, Result};
use chrono::{DateTime, SecondsFormat, TimeDelta, Utc};
use eqnemix_models::convnetquake::{write_classified, ClassifiedWindow, ConvNetQuake, WINDOW_SAMPLES, SAMPLING_RATE_HZ};
use std::path::Path;

/// One detection's window: the event (index into the events), the P pick,
/// and the window's start and (join) end.
#[derive(Debug, Clone, PartialEq)]
pub struct DetectionWindow {
    /// Index of the event in the slice given to [`detection_windows`].
    pub event: usize,
    /// Earliest P pick (UTC).
    pub p_time: DateTime<Utc>,
    /// First sample of the window (UTC).
    pub start: DateTime<Utc>,
    /// End of the window, or the next window's start (see the module doc).
    pub end: DateTime<Utc>,
}

fn micros(s: f64) -> TimeDelta {
    TimeDelta::microseconds((s * 1e6).round() as i64)
}

/// The windows of `events` in time order, `before_p_s` seconds of record
/// before each P pick; `align` maps a wanted start to the start actually
/// used (a sample time of the records, at or before it). Windows starting
/// at the same instant are kept once (their events join the same row).
pub fn detection_windows(events: &[Picks], before_p_s: f64, align: &dyn Fn(DateTime<Utc>) -> DateTime<Utc>) -> Vec<DetectionWindow> {
    let length = micros(WINDOW_SAMPLES as f64 / SAMPLING_RATE_HZ);
    let mut w: Vec<DetectionWindow> = events
        .iter()
        .enumerate()
        .map(|(event, e)| {
            let p_time = e.first_p_utc();
            let start = align(p_time - micros(before_p_s));
            DetectionWindow { event, p_time, start, end: start + length }
        })
        .collect();
    w.sort_by_key(|d| (d.start, d.event));
    w.dedup_by_key(|d| d.start);
    for i in 1..w.len() {
        let next = w[i].start;
        let prev = &mut w[i - 1];
        if next < prev.end {
            prev.end = next.max(prev.p_time + TimeDelta::milliseconds(1));
        }
    }
    w
}

/// The sample of `rec` at or before `t` (may be out of range).
fn floor_index(rec: &Continuous, t: DateTime<Utc>) -> i64 {
    let mut i = rec.index_of(t);
    if i >= 0 && rec.time_of(i as usize) > t {
        i -= 1;
    }
    i
}

/// Load the ConvNetQuake model at `path` and check it has `n_clusters + 1`
/// output classes (noise + the run's clusters).
pub fn load_model(path: &Path, n_clusters: usize) -> Result<ConvNetQuake> {
    let model = ConvNetQuake::load(path).with_context(|| format!("loading the ConvNetQuake model {}", path.display()))?;
    if model.n_classes() != n_clusters + 1 {
        bail!(
            "ConvNetQuake model {} has {} output classes (noise + {} clusters), but the run has K = {n_clusters} clusters and needs K + 1 = {} classes: set run.n_clusters = {} or use a model trained on these {n_clusters} clusters",
            path.display(),
            model.n_classes(),
            model.n_clusters(),
            n_clusters + 1,
            model.n_clusters()
        );
    }
    Ok(model)
}

/// Classified windows of the detections and the events whose window is not
/// inside the records.
pub struct Classified {
    /// One row per window, in time order.
    pub rows: Vec<ClassifiedWindow>,
    /// Noise probability per event (index as in the events), where classified.
    pub noise_prob: Vec<Option<f64>>,
    /// Ids of the events whose window is not inside the records.
    pub outside: Vec<String>,
}

/// Run `model` on the window of each event cut from `rec`.
pub fn classify_detections(model: &mut ConvNetQuake, rec: &Continuous, events: &[Picks], before_p_s: f64) -> Result<Classified> {
    let align = |t: DateTime<Utc>| {
        let i = floor_index(rec, t);
        if i >= 0 {
            rec.time_of(i as usize)
        } else {
            t
        }
    };
    let windows = detection_windows(events, before_p_s, &align);
    let mut inside = Vec::new();
    let mut slices = Vec::new();
    let mut outside = Vec::new();
    for w in &windows {
        let i0 = floor_index(rec, w.start);
        if i0 < 0 || i0 as usize + WINDOW_SAMPLES > rec.data.len() {
            outside.push(events[w.event].event_id.clone());
            continue;
        }
        let i0 = i0 as usize;
        slices.push(&rec.data[i0..i0 + WINDOW_SAMPLES]);
        inside.push(w);
    }
    let probs = model.predict(&slices).with_context(|| format!("ConvNetQuake {}", model.path().display()))?;
    let rows: Vec<ClassifiedWindow> = inside.iter().zip(&probs).map(|(w, p)| ClassifiedWindow::from_probabilities(w.start, w.end, p)).collect();
    // Every event whose P pick lies in a classified window gets its noise probability.
    let noise_prob = events
        .iter()
        .map(|e| {
            let t = e.first_p_utc();
            rows.iter().find(|r| r.start_time <= t && t < r.end_time).map(|r| r.noise_prob)
        })
        .collect();
    Ok(Classified { rows, noise_prob, outside })
}

/// Write ConvNetQuake rows (`start_time,end_time,clusters_prob,noise_prob`).
pub fn write_rows(path: &Path, rows: &[ClassifiedWindow]) -> Result<()> {
    write_classified(path, rows).with_context(|| format!("writing {}", path.display()))
}

/// The catalog-proportion rows: every window gets `weights`
/// (`start_time,end_time,clusters_prob`).
pub fn proportion_rows(windows: &[DetectionWindow], weights: &[f64]) -> String {
    let cell = format!("[{}]", weights.iter().map(|p| format!("{p:.6}")).collect::<Vec<_>>().join(" "));
    let mut text = String::from("start_time,end_time,clusters_prob\n");
    for w in windows {
        text.push_str(&format!(
            "{},{},{}\n",
            w.start.to_rfc3339_opts(SecondsFormat::Millis, true),
            w.end.to_rfc3339_opts(SecondsFormat::Millis, true),
            cell
        ));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::picks::{PhasePick, StationPicks};
    use chrono::TimeZone;
    use eqnemix_traveltime::Station;

    fn event(id: &str, p: DateTime<Utc>) -> Picks {
        let mut sp = StationPicks::new(Station { code: "S".into(), position_km: [0.0; 3] });
        sp.p = Some(PhasePick { time_s: 0.0, sigma_s: 0.1 });
        sp.s = Some(PhasePick { time_s: 2.0, sigma_s: 0.1 });
        Picks { event_id: id.into(), reference_time: p, stations: vec![sp] }
    }

    #[test]
    fn each_p_pick_joins_its_own_window_even_when_windows_overlap() {
        let t0 = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap();
        // b's window starts 4 s after a's, c's 0.5 s after b's P; d is alone.
        let evs = vec![
            event("b", t0 + TimeDelta::seconds(5)),
            event("a", t0 + TimeDelta::seconds(1)),
            event("c", t0 + TimeDelta::milliseconds(5500)),
            event("d", t0 + TimeDelta::seconds(100)),
        ];
        let w = detection_windows(&evs, 1.0, &|t| t);
        assert_eq!(w.iter().map(|d| evs[d.event].event_id.as_str()).collect::<Vec<_>>(), ["a", "b", "c", "d"]);
        assert_eq!(w[0].start, t0);
        assert_eq!(w[0].end, t0 + TimeDelta::seconds(4)); // cut at b's start
        assert_eq!(w[3].end - w[3].start, TimeDelta::seconds(10));
        // The first-holding-window rule of the locate inputs picks each event's own row.
        let text = proportion_rows(&w, &[0.5, 0.5]);
        let probs = crate::locate::inputs::cluster_probabilities_from_str(&text, Path::new("p.csv")).unwrap();
        for d in &w {
            let row = probs.window_at(evs[d.event].first_p_utc()).unwrap();
            assert_eq!(row.start, d.start, "event {}", evs[d.event].event_id);
        }
    }
}
