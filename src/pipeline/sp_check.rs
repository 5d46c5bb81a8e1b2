//! A check of each detection's S-P times against the region: an S-P time
//! that no source in the region's box can produce (by more than three
//! sigmas of the picks) means a wrong pick, e.g. the next event's P taken
//! for this one's S. Such an event is not located (its posterior would
//! pile up on the box's edge and look like a location); the run report
//! lists it with the reason.

use crate::picks::Picks;
use crate::prior::RegionBox;
use eqnemix_traveltime::{Phase, Station, TravelTimeModel};

/// Sigmas of the S-P pick error beyond the region's range before an S-P
/// time is called impossible.
pub const N_SIGMA: f64 = 3.0;

/// Grid points per axis (east, north, depth) over the box.
const GRID: [usize; 3] = [9, 9, 5];

/// The smallest and largest S-P time (s) at `station` over a grid of
/// sources in `region` (points outside the model's domain skipped); `None`
/// when the model has no field for the station or no point is inside it.
pub fn s_minus_p_range_s(model: &dyn TravelTimeModel, station: &Station, region: &RegionBox) -> Option<[f64; 2]> {
    let p = model.field(station, Phase::P).ok()?;
    let s = model.field(station, Phase::S).ok()?;
    let mut range = [f64::INFINITY, f64::NEG_INFINITY];
    let at = |a: usize, i: usize| region.min_km[a] + (region.max_km[a] - region.min_km[a]) * i as f64 / (GRID[a] - 1) as f64;
    for i in 0..GRID[0] {
        for j in 0..GRID[1] {
            for k in 0..GRID[2] {
                let x = [at(0, i), at(1, j), at(2, k)];
                if let (Ok(tp), Ok(ts)) = (p.time(x), s.time(x)) {
                    range = [range[0].min(ts - tp), range[1].max(ts - tp)];
                }
            }
        }
    }
    range[0].is_finite().then_some(range)
}

/// Split `events` into those whose every S-P time lies within the region's
/// range at its station (widened by [`N_SIGMA`] of the pair's sigma) and
/// the others, with the reason. Stations without a range are not checked.
pub fn split_by_s_minus_p(events: &[Picks], model: &dyn TravelTimeModel, region: &RegionBox) -> (Vec<Picks>, Vec<(String, String)>) {
    let mut ranges: Vec<(String, Option<[f64; 2]>)> = Vec::new();
    let (mut keep, mut rejected) = (Vec::new(), Vec::new());
    for e in events {
        let mut why = None;
        for sp in &e.stations {
            let (Some(p), Some(s)) = (sp.p, sp.s) else { continue };
            let range = match ranges.iter().find(|(c, _)| *c == sp.station.code) {
                Some((_, r)) => *r,
                None => {
                    let r = s_minus_p_range_s(model, &sp.station, region);
                    ranges.push((sp.station.code.clone(), r));
                    r
                }
            };
            let Some([lo, hi]) = range else { continue };
            let (obs, sigma) = (s.time_s - p.time_s, p.sigma_s.hypot(s.sigma_s));
            if obs < lo - N_SIGMA * sigma || obs > hi + N_SIGMA * sigma {
                why = Some(format!(
                    "S-P {obs:.2} s at {} is outside the {lo:.2}-{hi:.2} s that sources in the region give (by more than {N_SIGMA} x {sigma:.2} s): a wrong P or S pick",
                    sp.station.code
                ));
                break;
            }
        }
        match why {
            Some(w) => rejected.push((e.event_id.clone(), w)),
            None => keep.push(e.clone()),
        }
    }
    (keep, rejected)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::picks::{PhasePick, StationPicks};
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
        let (keep, rejected) = split_by_s_minus_p(&evs, &model, &region);
        assert_eq!(keep.iter().map(|e| e.event_id.as_str()).collect::<Vec<_>>(), ["in", "edge"]);
        assert_eq!(rejected.iter().map(|r| r.0.as_str()).collect::<Vec<_>>(), ["far", "early"]);
        assert!(rejected[0].1.contains("S-P") && rejected[0].1.contains("at S"), "{}", rejected[0].1);
    }
}
