//! The search region must lie inside every travel-time domain.
//!
//! Outside a travel-time field's domain (an eikonal grid's box, a layered
//! table's distance and depth range) the likelihood is zero, so a region
//! box that reaches past it silently cuts the posterior off at the domain's
//! edge: an event beyond it is placed on the edge with confident
//! probabilities and nothing looks wrong. eqnemix refuses such a set-up
//! before locating anything, naming the station, phase, corner and both
//! boxes.
//!
//! The check evaluates each field at the region box's eight corners. The
//! domains are convex (a box for grids, a cylinder about the station for
//! layered tables) and a box lies inside a convex set exactly when its
//! corners do, so eight evaluations per field decide it.

use crate::prior::RegionBox;
use eqnemix_traveltime::{Phase, Station, TravelTimeModel};

/// Why the region and the travel times do not fit together.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DomainError {
    /// A region corner lies outside a field's domain.
    #[error(
        "the search region (east {east:?}, north {north:?}, depth {depth:?} km) reaches outside the {phase} travel-time domain of station {station}{bounds} at the corner {corner:?} km: the posterior would be cut off at the domain's edge. Enlarge the travel-time grid ([travel_time.grid]) or table ([travel_time.table] max_distance_km, depth_max_km), or set [region] east_km / north_km / depth_km inside it"
    )]
    RegionOutside {
        /// Station code.
        station: String,
        /// Phase.
        phase: Phase,
        /// The corner outside (km).
        corner: [f64; 3],
        /// Region east range (km).
        east: [f64; 2],
        /// Region north range (km).
        north: [f64; 2],
        /// Region depth range (km).
        depth: [f64; 2],
        /// The field's bounding box, in words (may be empty).
        bounds: String,
    },
    /// The model has no field for a station.
    #[error("station {station}: no {phase} travel-time field: {why}")]
    NoField {
        /// Station code.
        station: String,
        /// Phase.
        phase: Phase,
        /// The model's reason.
        why: String,
    },
}

/// Check that `region` lies inside the P and S domains of every station in
/// `stations` (module doc).
pub fn check_travel_time_domains<'a>(
    model: &dyn TravelTimeModel,
    stations: impl IntoIterator<Item = &'a Station>,
    region: &RegionBox,
) -> Result<(), DomainError> {
    let mut seen: Vec<&str> = Vec::new();
    for st in stations {
        if seen.contains(&st.code.as_str()) {
            continue;
        }
        seen.push(st.code.as_str());
        for phase in [Phase::P, Phase::S] {
            let field = model
                .field(st, phase)
                .map_err(|e| DomainError::NoField { station: st.code.clone(), phase, why: e.to_string() })?;
            for i in 0..8 {
                let corner = [0, 1, 2].map(|a| if i >> a & 1 == 1 { region.max_km[a] } else { region.min_km[a] });
                if field.time(corner).is_err() {
                    let bounds = field.bounds().map_or(String::new(), |(lo, hi)| {
                        format!(" ([{:.1}, {:.1}] x [{:.1}, {:.1}] x [{:.1}, {:.1}] km)", lo[0], hi[0], lo[1], hi[1], lo[2], hi[2])
                    });
                    return Err(DomainError::RegionOutside {
                        station: st.code.clone(),
                        phase,
                        corner,
                        east: [region.min_km[0], region.max_km[0]],
                        north: [region.min_km[1], region.max_km[1]],
                        depth: [region.min_km[2], region.max_km[2]],
                        bounds,
                    });
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use eqnemix_traveltime::Homogeneous;

    /// A layered table reaching 50 km: a region whose corner lies 57 km
    /// away is refused, one inside is accepted.
    #[test]
    fn corners_outside_a_layered_table_are_refused() {
        use eqnemix_traveltime::layered::{Layer, Layered1D, TableSpec};
        let model = Layered1D::new(vec![Layer::new(0.0, 6.0, 3.5)])
            .unwrap()
            .with_table(TableSpec { max_distance_km: 50.0, depth_max_km: 30.0, ..Default::default() })
            .unwrap();
        let st = Station { code: "X.A".into(), position_km: [0.0, 0.0, 0.0] };
        let inside = RegionBox::new([-30.0, -30.0, 0.0], [30.0, 30.0, 20.0]);
        assert!(check_travel_time_domains(&model, [&st], &inside).is_ok());
        let outside = RegionBox::new([-40.0, -40.0, 0.0], [40.0, 40.0, 20.0]);
        let e = check_travel_time_domains(&model, [&st], &outside).unwrap_err().to_string();
        assert!(e.contains("X.A") && e.contains("outside the P travel-time domain") && e.contains("max_distance_km"), "{e}");
        // A homogeneous medium has no edge.
        let h = Homogeneous::new(6.0, 3.5).unwrap();
        assert!(check_travel_time_domains(&h, [&st], &outside).is_ok());
    }
}
