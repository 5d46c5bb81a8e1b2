//! The station geometry of a location as NonLinLoc reports it on the
//! `QUALITY` line of a `.hyp` file: `Gap`, the largest azimuthal gap
//! (degrees) between the stations as seen from the epicentre, and `Dist`,
//! the epicentral distance (km) of the nearest station.
//!
//! Conventions (NonLinLoc's): azimuths are measured clockwise from north at
//! the epicentre in the local frame (`x` east, `y` north, km); the gap is
//! the largest difference between consecutive sorted azimuths, the
//! wrap-around pair included; with fewer than two stations the gap is 360°.
//! Distances are horizontal (depths and elevations are ignored). A station
//! exactly at the epicentre has azimuth 0°.
//!
//! ```
//! use eqnemix::output::station_geometry;
//! // Stations due north and due east of the epicentre: the gap is the
//! // 270° from east round through south and west back to north.
//! let g = station_geometry([0.0, 0.0], &[[0.0, 10.0, 0.0], [5.0, 0.0, 0.0]]).unwrap();
//! assert!((g.gap_deg - 270.0).abs() < 1e-9);
//! assert!((g.nearest_km - 5.0).abs() < 1e-12);
//! ```

/// `Gap` and `Dist` of one location.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StationGeometry {
    /// Largest azimuthal gap between stations seen from the epicentre (deg,
    /// 360 for a single station).
    pub gap_deg: f64,
    /// Epicentral distance of the nearest station (km).
    pub nearest_km: f64,
}

/// The geometry of the stations `stations_km` (`[east, north, depth]`, km)
/// seen from `epicentre_km` (`[east, north]`, km). `None` without stations
/// or if a coordinate is not finite.
pub fn station_geometry(
    epicentre_km: [f64; 2],
    stations_km: &[[f64; 3]],
) -> Option<StationGeometry> {
    if stations_km.is_empty()
        || !epicentre_km.iter().all(|v| v.is_finite())
        || !stations_km.iter().flatten().all(|v| v.is_finite())
    {
        return None;
    }
    let mut azimuths = Vec::with_capacity(stations_km.len());
    let mut nearest_km = f64::INFINITY;
    for s in stations_km {
        let (de, dn) = (s[0] - epicentre_km[0], s[1] - epicentre_km[1]);
        nearest_km = nearest_km.min(de.hypot(dn));
        // Clockwise from north: atan2(east, north), in [0, 360).
        azimuths.push(de.atan2(dn).to_degrees().rem_euclid(360.0));
    }
    let gap_deg = if azimuths.len() < 2 {
        360.0
    } else {
        azimuths.sort_by(f64::total_cmp);
        let wrap = azimuths[0] + 360.0 - azimuths[azimuths.len() - 1];
        azimuths
            .windows(2)
            .map(|w| w[1] - w[0])
            .fold(wrap, f64::max)
    };
    Some(StationGeometry {
        gap_deg,
        nearest_km,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_station_has_a_full_gap() {
        let g = station_geometry([3.0, 4.0], &[[0.0, 0.0, -1.2]]).unwrap();
        assert_eq!(g.gap_deg, 360.0);
        assert!((g.nearest_km - 5.0).abs() < 1e-12, "horizontal distance only");
    }

    #[test]
    fn regular_polygons_have_gap_360_over_n() {
        for n in 2..9 {
            let st: Vec<[f64; 3]> = (0..n)
                .map(|i| {
                    let a = (17.0 + 360.0 * i as f64 / n as f64).to_radians();
                    [10.0 + 7.0 * a.sin(), -3.0 + 7.0 * a.cos(), 0.0]
                })
                .collect();
            let g = station_geometry([10.0, -3.0], &st).unwrap();
            assert!((g.gap_deg - 360.0 / n as f64).abs() < 1e-9, "n {n}: {}", g.gap_deg);
            assert!((g.nearest_km - 7.0).abs() < 1e-12);
        }
    }

    #[test]
    fn gap_across_north_and_duplicates() {
        // Azimuths 350, 10 (twice) and 100 deg: gaps 20, 0, 90, 250.
        let at = |az: f64, d: f64| {
            let a = az.to_radians();
            [d * a.sin(), d * a.cos(), 0.0]
        };
        let st = [at(350.0, 4.0), at(10.0, 9.0), at(10.0, 2.5), at(100.0, 30.0)];
        let g = station_geometry([0.0, 0.0], &st).unwrap();
        assert!((g.gap_deg - 250.0).abs() < 1e-9, "{}", g.gap_deg);
        assert!((g.nearest_km - 2.5).abs() < 1e-12);
        assert!(station_geometry([0.0, 0.0], &[]).is_none());
        assert!(station_geometry([f64::NAN, 0.0], &st).is_none());
    }
}
