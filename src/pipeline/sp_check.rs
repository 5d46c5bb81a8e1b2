//! A check of each detection's S-P times against the region: an S-P time
//! that no source in the region's box can produce (by more than three
//! sigmas of the picks) means a wrong pick, e.g. the next event's P taken
//! for this one's S. Such an event is not located (its posterior would
//! pile up on the box's edge and look like a location); the run report
//! lists it with the reason.

use crate::picks::{PhasePick, Picks};
use crate::prior::RegionBox;
use eqnemix_traveltime::{Phase, Station, TravelTimeModel};

/// Sigmas of the S-P pick error beyond the region's range before an S-P
/// time is called impossible.
pub const N_SIGMA: f64 = 3.0;

/// Grid points per axis (east, north, depth) over the box.
const GRID: [usize; 3] = [9, 9, 5];

/// The smallest and largest S-P time (s) at `station` over a grid of
/// sources in `region` plus the box's point nearest the station (points
/// outside the model's domain skipped); `None` when the model has no field
/// for the station or no point is inside it. S-P grows with distance from
/// the station, so its extremes lie at the nearest point and at a corner
/// (the grid holds the corners); without the nearest point a coarse grid
/// put the smallest S-P of a station inside the box at 1 s and refused
/// real events 2 km away (Ridgecrest CI.CLC, S-P 0.2-0.45 s).
pub fn s_minus_p_range_s(model: &dyn TravelTimeModel, station: &Station, region: &RegionBox) -> Option<[f64; 2]> {
    let p = model.field(station, Phase::P).ok()?;
    let s = model.field(station, Phase::S).ok()?;
    let mut range = [f64::INFINITY, f64::NEG_INFINITY];
    let at = |a: usize, i: usize| region.min_km[a] + (region.max_km[a] - region.min_km[a]) * i as f64 / (GRID[a] - 1) as f64;
    let nearest = [0, 1, 2].map(|a| station.position_km[a].clamp(region.min_km[a], region.max_km[a]));
    let grid = (0..GRID[0]).flat_map(|i| (0..GRID[1]).flat_map(move |j| (0..GRID[2]).map(move |k| (i, j, k))));
    for x in grid.map(|(i, j, k)| [at(0, i), at(1, j), at(2, k)]).chain(std::iter::once(nearest)) {
        if let (Ok(tp), Ok(ts)) = (p.time(x), s.time(x)) {
            range = [range[0].min(ts - tp), range[1].max(ts - tp)];
        }
    }
    range[0].is_finite().then_some(range)
}

/// The S-P range of each station over a region, computed once per station.
pub struct SpRanges<'a> {
    model: &'a dyn TravelTimeModel,
    region: &'a RegionBox,
    cache: Vec<(String, Option<[f64; 2]>)>,
}

impl<'a> SpRanges<'a> {
    /// Ranges of `model`'s S-P times over `region`.
    pub fn new(model: &'a dyn TravelTimeModel, region: &'a RegionBox) -> Self {
        SpRanges { model, region, cache: Vec::new() }
    }

    /// [`s_minus_p_range_s`] of `station`.
    pub fn of(&mut self, station: &Station) -> Option<[f64; 2]> {
        if let Some((_, r)) = self.cache.iter().find(|(c, _)| *c == station.code) {
            return *r;
        }
        let r = s_minus_p_range_s(self.model, station, self.region);
        self.cache.push((station.code.clone(), r));
        r
    }

    /// Whether an observed S-P time `obs_s` with sigma `sigma_s` fits
    /// `station`'s range within [`N_SIGMA`] sigmas (`None`: no range known).
    pub fn fits(&mut self, station: &Station, obs_s: f64, sigma_s: f64) -> Option<bool> {
        let [lo, hi] = self.of(station)?;
        Some(obs_s >= lo - N_SIGMA * sigma_s && obs_s <= hi + N_SIGMA * sigma_s)
    }
}

/// Join split detections: a picker may report one event's P and S as two
/// detections (EQTransformer's detection probability can dip between the
/// phases). A detection whose only station has a P and no S, followed
/// (next in time) by one whose only station, the same, has an S and no P,
/// becomes one event when that S-P time fits the region's range
/// ([`SpRanges::fits`]): the S joins the first detection, the second is
/// dropped. `events` must be in time order; returns the joined pairs of ids.
pub fn join_split_detections(events: &mut Vec<Picks>, ranges: &mut SpRanges<'_>) -> Vec<(String, String)> {
    let mut joined = Vec::new();
    let mut i = 0;
    while i + 1 < events.len() {
        let (a, b) = (&events[i], &events[i + 1]);
        let pair = match (a.stations.as_slice(), b.stations.as_slice()) {
            ([sa], [sb]) if sa.station.code == sb.station.code => match (sa.p, sa.s, sb.p, sb.s) {
                (Some(p), None, None, Some(s)) => {
                    let s_in_a = s.time_s + crate::picks::duration_s(b.reference_time - a.reference_time);
                    let ok = ranges.fits(&sa.station, s_in_a - p.time_s, p.sigma_s.hypot(s.sigma_s)).unwrap_or(false);
                    ok.then_some(PhasePick { time_s: s_in_a, sigma_s: s.sigma_s })
                }
                _ => None,
            },
            _ => None,
        };
        match pair {
            Some(s) => {
                let b = events.remove(i + 1);
                events[i].stations[0].s = Some(s);
                joined.push((events[i].event_id.clone(), b.event_id));
                i += 1;
            }
            None => i += 1,
        }
    }
    joined
}

/// Why the S-P times of `e` are impossible, if they are: at some station
/// the S pick is not after the P pick (always checked), or S-P lies outside
/// the station's range over the region (`range_of`, widened by [`N_SIGMA`]
/// of the pair's sigma; stations without a range are not checked). The
/// reason names the station and both pick times (UTC).
pub fn s_minus_p_problem(
    e: &Picks,
    mut range_of: impl FnMut(&Station) -> Option<[f64; 2]>,
) -> Option<String> {
    let utc = |t: f64| e.utc_at(t).to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    for sp in &e.stations {
        let (Some(p), Some(s)) = (sp.p, sp.s) else { continue };
        let (obs, sigma) = (s.time_s - p.time_s, p.sigma_s.hypot(s.sigma_s));
        let picks = format!("P {}, S {}", utc(p.time_s), utc(s.time_s));
        if !(obs > 0.0) {
            return Some(format!(
                "S-P {obs:.2} s at {} ({picks}): the S pick must come after the P pick; a wrong P or S pick",
                sp.station.code
            ));
        }
        let Some([lo, hi]) = range_of(&sp.station) else { continue };
        if obs < lo - N_SIGMA * sigma || obs > hi + N_SIGMA * sigma {
            return Some(format!(
                "S-P {obs:.2} s at {} ({picks}) is outside the {lo:.2}-{hi:.2} s that sources in the region give (by more than {N_SIGMA} x {sigma:.2} s): a wrong P or S pick",
                sp.station.code
            ));
        }
    }
    None
}

/// Split `events` into those whose every S-P time is possible
/// ([`s_minus_p_problem`]) and the others, with the reason.
pub fn split_by_s_minus_p(events: &[Picks], ranges: &mut SpRanges<'_>) -> (Vec<Picks>, Vec<(String, String)>) {
    let (mut keep, mut rejected) = (Vec::new(), Vec::new());
    for e in events {
        match s_minus_p_problem(e, |st| ranges.of(st)) {
            Some(w) => rejected.push((e.event_id.clone(), w)),
            None => keep.push(e.clone()),
        }
    }
    (keep, rejected)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::picks::StationPicks;
    use chrono::{TimeZone, Utc};
    use eqnemix_traveltime::Homogeneous;

    fn event(id: &str, sp_s: f64) -> Picks {
        let mut st = StationPicks::new(Station { code: "S".into(), position_km: [0.0; 3] });
        st.p = Some(PhasePick { time_s: 0.0, sigma_s: 0.1 });
        st.s = Some(PhasePick { time_s: sp_s, sigma_s: 0.1 });
        Picks { event_id: id.into(), reference_time: Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap(), stations: vec![st] }
    }

    #[test]
    fn s_minus_p_beyond_the_region_is_rejected() {
        // Vp 6, Vs 3.5 km/s: S-P = d (1/3.5 - 1/6) = 0.119 s per km. Box
        // 10-40 km east, |north| <= 5, depth 0-10: distances 10 to ~41.5 km.
        let model = Homogeneous::new(6.0, 3.5).unwrap();
        let region = RegionBox::new([10.0, -5.0, 0.0], [40.0, 5.0, 10.0]);
        let k = 1.0 / 3.5 - 1.0 / 6.0;
        let [lo, hi] = s_minus_p_range_s(&model, &Station { code: "S".into(), position_km: [0.0; 3] }, &region).unwrap();
        assert!((lo - 10.0 * k).abs() < 1e-9, "{lo}");
        assert!((hi - (40.0f64.powi(2) + 25.0 + 100.0).sqrt() * k).abs() < 1e-9, "{hi}");
        // sigma of the pair: 0.1 sqrt(2) = 0.141 s; 3 sigma = 0.42 s.
        let evs = [event("in", 3.0), event("edge", hi + 0.4), event("far", hi + 0.5), event("early", lo - 0.5)];
        let (keep, rejected) = split_by_s_minus_p(&evs, &mut SpRanges::new(&model, &region));
        assert_eq!(keep.iter().map(|e| e.event_id.as_str()).collect::<Vec<_>>(), ["in", "edge"]);
        assert_eq!(rejected.iter().map(|r| r.0.as_str()).collect::<Vec<_>>(), ["far", "early"]);
        assert!(rejected[0].1.contains("S-P") && rejected[0].1.contains("at S"), "{}", rejected[0].1);
    }

    fn one_phase(id: &str, t_s: f64, phase: char) -> Picks {
        let mut st = StationPicks::new(Station { code: "S".into(), position_km: [0.0; 3] });
        let pick = Some(PhasePick { time_s: 0.0, sigma_s: 0.1 });
        if phase == 'P' {
            st.p = pick;
        } else {
            st.s = pick;
        }
        let t0 = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap();
        Picks { event_id: id.into(), reference_time: t0 + chrono::TimeDelta::milliseconds((t_s * 1000.0) as i64), stations: vec![st] }
    }

    #[test]
    fn a_p_only_detection_and_the_next_s_only_one_are_joined_when_the_s_minus_p_fits() {
        // Same region as above: S-P between 1.19 and 4.94 s (3 sigma 0.42 s).
        let model = Homogeneous::new(6.0, 3.5).unwrap();
        let region = RegionBox::new([10.0, -5.0, 0.0], [40.0, 5.0, 10.0]);
        let mut evs = vec![
            one_phase("a", 100.0, 'P'),
            one_phase("b", 103.0, 'S'), // joins a: S-P 3 s
            one_phase("c", 200.0, 'P'),
            one_phase("d", 210.0, 'S'), // S-P 10 s: too long, stays alone
            one_phase("e", 300.0, 'S'), // S before P: never joined
            one_phase("f", 301.0, 'P'),
        ];
        let joined = split_ok(&mut evs, &model, &region);
        assert_eq!(joined, [("a".to_string(), "b".to_string())]);
        assert_eq!(evs.iter().map(|e| e.event_id.as_str()).collect::<Vec<_>>(), ["a", "c", "d", "e", "f"]);
        let s = evs[0].stations[0].s.unwrap();
        assert!((s.time_s - 3.0).abs() < 1e-9 && s.sigma_s == 0.1);
    }

    fn split_ok(evs: &mut Vec<Picks>, model: &Homogeneous, region: &RegionBox) -> Vec<(String, String)> {
        join_split_detections(evs, &mut SpRanges::new(model, region))
    }

    /// A station inside the box off the grid's nodes: the smallest S-P is
    /// that of a source at the station (0 s), not of the nearest node.
    #[test]
    fn range_reaches_the_station_inside_the_box() {
        let m = Homogeneous::new(6.0, 3.5).unwrap();
        let st = Station { code: "S".into(), position_km: [3.3, 1.7, 0.0] };
        let region = RegionBox::new([-50.0, -50.0, 0.0], [50.0, 50.0, 30.0]);
        let [lo, hi] = s_minus_p_range_s(&m, &st, &region).unwrap();
        assert!(lo.abs() < 1e-9, "{lo}");
        let far = ((53.3f64).powi(2) + 51.7f64.powi(2) + 30.0f64.powi(2)).sqrt();
        assert!((hi - far * (1.0 / 3.5 - 1.0 / 6.0)).abs() < 1e-9, "{hi}");
    }
}
