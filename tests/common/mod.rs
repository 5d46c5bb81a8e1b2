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
