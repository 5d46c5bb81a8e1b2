//! A homogeneous (constant-velocity) medium: straight rays, analytic times.

use crate::{OutsideDomain, Phase, Station, TravelTimeError, TravelTimeField, TravelTimeModel};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// A homogeneous whole space with P velocity `vp_km_s` and S velocity
/// `vs_km_s` (km/s).
///
/// The travel time between a source at `x` and a station at `s` is
/// `|x - s| / v` (s); its gradient is `(x - s) / (|x - s| v)` (s/km), taken as
/// zero at the station itself. The domain is all of space (any finite point);
/// a non-finite point answers [`OutsideDomain`].
///
/// ```
/// use eqnemix_traveltime::{Homogeneous, Phase, Station, TravelTimeModel};
/// let model = Homogeneous::new(6.0, 3.5)?;
/// let station = Station { code: "XX.STA".into(), position_km: [0.0, 0.0, 0.0] };
/// let p = model.field(&station, Phase::P)?;
/// let (t, g) = p.time_and_gradient([30.0, 40.0, 0.0])?;
/// assert!((t - 50.0 / 6.0).abs() < 1e-12);
/// assert!((g[0] - 0.6 / 6.0).abs() < 1e-12);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Homogeneous {
    /// P-wave velocity (km/s).
    pub vp_km_s: f64,
    /// S-wave velocity (km/s).
    pub vs_km_s: f64,
}

impl Homogeneous {
    /// A validated homogeneous model; the velocities must pass
    /// [`crate::velocity::check_vp_vs`] (finite, in range, Vp > Vs), else [`TravelTimeError::InvalidModel`] naming the field.
    pub fn new(vp_km_s: f64, vs_km_s: f64) -> Result<Self, TravelTimeError> {
        let m = Homogeneous { vp_km_s, vs_km_s };
        m.validate()?;
        Ok(m)
    }

    /// Check the velocities (useful after deserialising the struct directly).
    pub fn validate(&self) -> Result<(), TravelTimeError> {
        crate::velocity::check_vp_vs(self.vp_km_s, self.vs_km_s, ["vp_km_s", "vs_km_s"])
            .map_err(|what| TravelTimeError::InvalidModel(format!("homogeneous model: {what}")))
    }

    /// The velocity (km/s) of `phase`.
    pub fn velocity(&self, phase: Phase) -> f64 {
        match phase {
            Phase::P => self.vp_km_s,
            Phase::S => self.vs_km_s,
        }
    }
}

impl TravelTimeModel for Homogeneous {
    fn field(&self, station: &Station, phase: Phase) -> Result<Arc<dyn TravelTimeField>, TravelTimeError> {
        self.validate()?;
        let s = station.position_km;
        if !s.iter().all(|c| c.is_finite()) {
            return Err(TravelTimeError::StationOutside { station: station.code.clone(), source: OutsideDomain::at(s) });
        }
        Ok(Arc::new(HomogeneousField { station_km: s, slowness_s_km: 1.0 / self.velocity(phase) }))
    }
}

/// The field of one station and phase in a [`Homogeneous`] medium.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HomogeneousField {
    /// Station position `[east, north, depth]` (km).
    pub station_km: [f64; 3],
    /// Slowness `1 / v` (s/km).
    pub slowness_s_km: f64,
}

impl HomogeneousField {
    #[inline]
    fn offset(&self, x: [f64; 3]) -> Result<[f64; 3], OutsideDomain> {
        if !(x[0].is_finite() && x[1].is_finite() && x[2].is_finite()) {
            return Err(OutsideDomain::at(x));
        }
        Ok([x[0] - self.station_km[0], x[1] - self.station_km[1], x[2] - self.station_km[2]])
    }
}

impl TravelTimeField for HomogeneousField {
    #[inline]
    fn time(&self, x: [f64; 3]) -> Result<f64, OutsideDomain> {
        let d = self.offset(x)?;
        Ok((d[0] * d[0] + d[1] * d[1] + d[2] * d[2]).sqrt() * self.slowness_s_km)
    }

    #[inline]
    fn time_and_gradient(&self, x: [f64; 3]) -> Result<(f64, [f64; 3]), OutsideDomain> {
        let d = self.offset(x)?;
        let r = (d[0] * d[0] + d[1] * d[1] + d[2] * d[2]).sqrt();
        if r == 0.0 {
            // The cone tip has no gradient; zero is the symmetric choice.
            return Ok((0.0, [0.0; 3]));
        }
        let k = self.slowness_s_km / r;
        Ok((r * self.slowness_s_km, [d[0] * k, d[1] * k, d[2] * k]))
    }
}
