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
//! network sees what it was trained on). With several leads, the detection
//! gets one window per lead and the average of the network's outputs over
//! them: a P pick a second off then still yields windows with the P where
//! the training windows had it, and the probabilities say how much the
//! network's answer depends on the alignment. The row written for the
//! detection spans its windows (earliest start to latest end).
//!
//! The original classifies back-to-back windows and joins a detection to
//! the window holding its P pick;
//! [`crate::locate::inputs::ClusterProbabilities::for_event`] does that
//! join (first row, in file order, with `start_time <= t_P < end_time`).
//! When two detections' rows overlap, the earlier row's `end_time` is cut
//! to the later row's `start_time` (but never before its own P pick + 1
//! ms), so each P pick joins its own row; `end_time` is therefore "end of
//! the last window or start of the next row".
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

/// One detection's windows: the event (index into the events), the P
/// pick, the start of each lead's window, and the row's start and (join) end.
#[derive(Debug, Clone, PartialEq)]
pub struct DetectionWindow {
    /// Index of the event in the slice given to [`detection_windows`].
    pub event: usize,
    /// Earliest P pick (UTC).
    pub p_time: DateTime<Utc>,
    /// First sample of the window of each lead (UTC), in the leads' order.
    pub starts: Vec<DateTime<Utc>>,
    /// Start of the row: the earliest window start.
    pub start: DateTime<Utc>,
    /// End of the latest window, or the next row's start (see the module doc).
    pub end: DateTime<Utc>,
}

fn micros(s: f64) -> TimeDelta {
    TimeDelta::microseconds((s * 1e6).round() as i64)
}

/// The windows of `events` in time order, `leads_s` seconds of record
/// before each P pick (one window per lead, at least one lead); `align`
/// maps a wanted start to the start actually used (a sample time of the
/// records, at or before it). Detections whose rows start at the same
/// instant are kept once (their events join the same row).
pub fn detection_windows(events: &[Picks], leads_s: &[f64], align: &dyn Fn(DateTime<Utc>) -> DateTime<Utc>) -> Vec<DetectionWindow> {
    let length = micros(WINDOW_SAMPLES as f64 / SAMPLING_RATE_HZ);
    let mut w: Vec<DetectionWindow> = events
        .iter()
        .enumerate()
        .map(|(event, e)| {
            let p_time = e.first_p_utc();
            let starts: Vec<DateTime<Utc>> = leads_s.iter().map(|&l| align(p_time - micros(l))).collect();
            let start = starts.iter().copied().min().unwrap_or(p_time);
            let end = starts.iter().copied().max().unwrap_or(p_time) + length;
            DetectionWindow { event, p_time, starts, start, end }
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
    /// One row per detection (its windows averaged), in time order.
    pub rows: Vec<ClassifiedWindow>,
    /// Ids of the events whose window is not inside the records.
    pub outside: Vec<String>,
}

/// Run `model` on the windows of each event cut from `rec` (`leads_s`
/// seconds before its P pick, see the module doc) and average the outputs
/// of each event's windows. A window outside the records is left out; an
/// event with none inside is reported in [`Classified::outside`].
pub fn classify_detections(model: &mut ConvNetQuake, rec: &Continuous, events: &[Picks], leads_s: &[f64]) -> Result<Classified> {
    let align = |t: DateTime<Utc>| {
        let i = floor_index(rec, t);
        if i >= 0 {
            rec.time_of(i as usize)
        } else {
            t
        }
    };
    let windows = detection_windows(events, leads_s, &align);
    let mut slices = Vec::new();
    // Per row: its detection window and the range of its slices.
    let mut inside = Vec::new();
    let mut outside = Vec::new();
    for w in &windows {
        let first = slices.len();
        for &t in &w.starts {
            let i0 = floor_index(rec, t);
            if i0 >= 0 && i0 as usize + WINDOW_SAMPLES <= rec.data.len() {
                slices.push(&rec.data[i0 as usize..i0 as usize + WINDOW_SAMPLES]);
            }
        }
        if slices.len() == first {
            outside.push(events[w.event].event_id.clone());
        } else {
            inside.push((w, first..slices.len()));
        }
    }
    let probs = if slices.is_empty() { Vec::new() } else { model.predict(&slices).with_context(|| format!("ConvNetQuake {}", model.path().display()))? };
    let rows: Vec<ClassifiedWindow> = inside
        .iter()
        .map(|(w, range)| {
            let n = range.len() as f32;
            let mean: Vec<f32> = (0..probs[range.start].len()).map(|c| probs[range.clone()].iter().map(|p| p[c]).sum::<f32>() / n).collect();
            ClassifiedWindow::from_probabilities(w.start, w.end, &mean)
        })
        .collect();
    Ok(Classified { rows, outside })
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
        let w = detection_windows(&evs, &[1.0], &|t| t);
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

    #[test]
    fn several_leads_give_one_row_spanning_their_windows() {
        let t0 = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap();
        let ms = TimeDelta::milliseconds;
        let evs = vec![event("a", t0 + ms(10_000)), event("b", t0 + ms(30_000))];
        let w = detection_windows(&evs, &[0.5, 2.0, 3.5], &|t| t);
        assert_eq!(w[0].starts, [t0 + ms(9_500), t0 + ms(8_000), t0 + ms(6_500)]);
        assert_eq!((w[0].start, w[0].end), (t0 + ms(6_500), t0 + ms(19_500)));
        // b's row starts at 26.5 s, after a's end: nothing is cut.
        assert_eq!((w[1].start, w[1].end), (t0 + ms(26_500), t0 + ms(39_500)));
        // c, 2 s after a: a's row ends at c's row start, but not before a's P + 1 ms.
        let evs = vec![event("a", t0 + ms(10_000)), event("c", t0 + ms(12_000))];
        let w = detection_windows(&evs, &[0.5, 2.0, 3.5], &|t| t);
        assert_eq!(w[0].end, t0 + ms(10_001));
        let text = proportion_rows(&w, &[0.5, 0.5]);
        let probs = crate::locate::inputs::cluster_probabilities_from_str(&text, Path::new("p.csv")).unwrap();
        for d in &w {
            assert_eq!(probs.window_at(evs[d.event].first_p_utc()).unwrap().start, d.start, "event {}", evs[d.event].event_id);
        }
    }

    #[test]
    fn several_leads_average_the_network_outputs_of_their_windows() {
        let path = ConvNetQuake::bundled_model_path();
        if !path.is_file() {
            eprintln!("skipped: {} is missing", path.display());
            return;
        }
        let mut model = ConvNetQuake::load(&path).unwrap();
        // 60 s of pseudo-random records (any input: the identity below holds for any output).
        let t0 = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap();
        let mut x = 1u32;
        let mut next = || {
            x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (x >> 8) as f32 / (1u32 << 24) as f32 - 0.5
        };
        let data: Vec<[f32; 3]> = (0..6000).map(|i| [next(), next(), next() * (1.0 + (i % 700) as f32 / 100.0)]).collect();
        let rec = Continuous { station: "XX.S.00".into(), channels: ["HHZ".into(), "HHN".into(), "HHE".into()], start: t0, data };
        let evs = vec![event("a", t0 + TimeDelta::milliseconds(12_340)), event("b", t0 + TimeDelta::seconds(40))];
        let one = |l: f64, m: &mut ConvNetQuake| classify_detections(m, &rec, &evs, &[l]).unwrap().rows;
        let (r1, r2) = (one(1.0, &mut model), one(2.5, &mut model));
        let both = classify_detections(&mut model, &rec, &evs, &[1.0, 2.5]).unwrap();
        assert_eq!(both.rows.len(), 2);
        for k in 0..2 {
            // The network's raw output is clusters_prob * (1 - noise) and noise.
            let raw = |r: &ClassifiedWindow| -> Vec<f64> {
                std::iter::once(r.noise_prob).chain(r.clusters_prob.iter().map(|p| p * (1.0 - r.noise_prob))).collect()
            };
            let (a, b, m) = (raw(&r1[k]), raw(&r2[k]), raw(&both.rows[k]));
            for c in 0..a.len() {
                assert!((m[c] - 0.5 * (a[c] + b[c])).abs() < 1e-5, "row {k} class {c}: {} vs mean of {} and {}", m[c], a[c], b[c]);
            }
        }
        // Row span: 2.5 s before a's P to 1 s before it + 10 s (floored to samples).
        assert_eq!(both.rows[0].start_time, t0 + TimeDelta::milliseconds(9_840));
        assert_eq!(both.rows[0].end_time, t0 + TimeDelta::milliseconds(21_340));
        // A lead reaching before the records leaves only the windows inside.
        let early = vec![event("e", t0 + TimeDelta::milliseconds(1_500))];
        let c = classify_detections(&mut model, &rec, &early, &[1.0, 2.5]).unwrap();
        assert!(c.outside.is_empty() && c.rows.len() == 1);
        let c = classify_detections(&mut model, &rec, &early, &[2.5]).unwrap();
        assert_eq!(c.outside, ["e"]);
    }
}
