//! The travel-time seam: models, fields, stations and phases.

use crate::{OutsideDomain, TravelTimeError};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// A seismic phase.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Phase {
    /// Compressional wave.
    P,
    /// Shear wave.
    S,
}

impl std::fmt::Display for Phase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Phase::P => "P",
            Phase::S => "S",
        })
    }
}

/// A station in local coordinates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Station {
    /// Station code, e.g. `"CI.CCC"`.
    pub code: String,
    /// Position `[east, north, depth]` in km; depth is negative above the datum.
    pub position_km: [f64; 3],
}

/// The travel-time field of one station and one phase.
///
/// By reciprocity the station is the source of the field: `time(x)` is the
/// travel time (s) between a source at `x` and the station.
pub trait TravelTimeField: Send + Sync {
    /// Travel time (s) from `x = [east, north, depth]` (km) to the station.
    fn time(&self, x: [f64; 3]) -> Result<f64, OutsideDomain>;

    /// Travel time (s) and its gradient with respect to `x` (s/km).
    fn time_and_gradient(&self, x: [f64; 3]) -> Result<(f64, [f64; 3]), OutsideDomain>;

    /// The box `[min, max]` (km) outside which the field answers
    /// [`OutsideDomain`]; `None` for an unbounded domain.
    fn bounds(&self) -> Option<([f64; 3], [f64; 3])> {
        None
    }
}

/// A velocity model that can produce travel-time fields.
pub trait TravelTimeModel: Send + Sync {
    /// Build (or load) the field of `station` for `phase`. Grid-based models
    /// compute it once; callers share the returned field across events.
    fn field(&self, station: &Station, phase: Phase) -> Result<Arc<dyn TravelTimeField>, TravelTimeError>;
}
