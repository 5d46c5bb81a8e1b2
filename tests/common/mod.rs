//! Fixtures shared by the integration tests (`mod common;`): a straight-ray
//! travel-time model with closed-form times and gradients.
#![allow(dead_code)] // each test binary uses a subset

use eqnemix::traveltime::{
    OutsideDomain, Phase, Station, TravelTimeError, TravelTimeField, TravelTimeModel,
};
use std::sync::Arc;

/// P velocity of [`TestModel`] (km/s).
pub const VP: f64 = 6.0;
/// S velocity of [`TestModel`] (km/s).
pub const VS: f64 = 3.5;

/// Test-only straight-ray field: `T = |x − s| / v` (s), with `x`, `s` in
/// km and `v` in km/s; defined wherever the distance is finite.
pub struct StraightRay {
    /// Station position (km).
    pub station: [f64; 3],
    /// Velocity (km/s).
    pub v: f64,
}

impl TravelTimeField for StraightRay {
    fn time(&self, x: [f64; 3]) -> Result<f64, OutsideDomain> {
        Ok(self.time_and_gradient(x)?.0)
    }
    fn time_and_gradient(&self, x: [f64; 3]) -> Result<(f64, [f64; 3]), OutsideDomain> {
        let d = [
            x[0] - self.station[0],
            x[1] - self.station[1],
            x[2] - self.station[2],
        ];
        let r = (d[0] * d[0] + d[1] * d[1] + d[2] * d[2]).sqrt();
        if !r.is_finite() {
            return Err(OutsideDomain::at(x));
        }
        let g = if r > 0.0 {
            d.map(|c| c / (r * self.v))
        } else {
            [0.0; 3]
        };
        Ok((r / self.v, g))
    }
}

/// Straight rays with [`VP`] and [`VS`] for every station.
pub struct TestModel;

impl TravelTimeModel for TestModel {
    fn field(
        &self,
        st: &Station,
        phase: Phase,
    ) -> Result<Arc<dyn TravelTimeField>, TravelTimeError> {
        Ok(Arc::new(StraightRay {
            station: st.position_km,
            v: if phase == Phase::P { VP } else { VS },
        }))
    }
}

/// Three cluster Gaussians around a station at lon -117.6°, lat 35.7°
/// (means in km east, north, depth; sd 3 km horizontally, 2 km in depth),
/// written as `clusters_gaussian.json` in `dir`: the clusters of the
/// `eqnemix locate` command-line tests.
pub fn write_three_clusters(dir: &std::path::Path) -> std::path::PathBuf {
    use eqnemix::clustering::{io::write_json, ClustersGaussianFile};
    let c = |id, m: [f64; 3]| eqnemix::ClusterGaussian {
        id,
        n_events: 30,
        mean_km: m,
        cov_km2: [[9.0, 0.0, 0.0], [0.0, 9.0, 0.0], [0.0, 0.0, 4.0]],
    };
    let f = ClustersGaussianFile::new(
        eqnemix::geo::ProjectionOrigin { lon_deg: -117.6, lat_deg: 35.7 },
        &[c(0, [20.0, 10.0, 8.0]), c(1, [-15.0, 25.0, 6.0]), c(2, [-25.0, -20.0, 10.0])],
    );
    let p = dir.join("clusters_gaussian.json");
    write_json(&p, &f).unwrap();
    p
}

/// Sources near the means of [`write_three_clusters`] (km east, north, depth).
pub const THREE_SOURCES: [[f64; 3]; 3] = [[19.0, 11.0, 7.0], [-14.0, 24.0, 6.5], [-26.0, -19.0, 9.0]];

/// Picks CSV rows (P, S and back-azimuth, sigma 0.05 s and 10°) of event
/// `id` at station `STA` at the origin for a source at `x` (km) with origin
/// time `t0`, times formatted by `utc` (seconds after an epoch -> UTC text).
pub fn exact_pick_rows(id: &str, x: [f64; 3], t0: f64, utc: impl Fn(f64) -> String) -> String {
    let r = (x[0] * x[0] + x[1] * x[1] + x[2] * x[2]).sqrt();
    format!(
        "{id},STA,P,{},0.05,,\n{id},STA,S,{},0.05,,\n{id},STA,BAZ,,,{},10\n",
        utc(t0 + r / VP),
        utc(t0 + r / VS),
        x[0].atan2(x[1]).to_degrees()
    )
}
