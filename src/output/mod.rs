//! Result files of located events: CSV rows, JSON, NonLinLoc-style `.hyp`
//! and QuakeML 1.2. Every writer goes through [`crate::io::write_atomic`]
//! (temp file + rename).

pub mod csv;
pub mod hyp;
pub mod json;
pub mod quakeml;
pub mod station_geometry;

pub use station_geometry::{station_geometry, StationGeometry};

use crate::io::{write_atomic, AtomicWriteError};
use crate::summary::{Ellipse2D, Ellipsoid, Geographic, LocationSummary, OriginTimeEstimate};
use std::io::Write as _;
use std::path::Path;

/// Why a result file could not be produced.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    /// Writing failed.
    #[error(transparent)]
    Write(#[from] AtomicWriteError),
    /// The summary lacks something this format requires.
    #[error("event {event}: the {format} format needs {what}")]
    Missing {
        /// Event id.
        event: String,
        /// Format name.
        format: &'static str,
        /// What is missing.
        what: &'static str,
    },
    /// Serialisation failed.
    #[error("event {event}: {what}")]
    Serialise {
        /// Event id.
        event: String,
        /// Cause.
        what: String,
    },
}

/// km per degree of latitude (mean Earth radius 6371.0 km), used only to
/// turn km uncertainties into degree uncertainties.
pub const KM_PER_DEG_LAT: f64 = 6371.0 * std::f64::consts::PI / 180.0;

/// Write `text` to `path` atomically.
pub fn write_text(path: &Path, text: &str) -> Result<(), OutputError> {
    Ok(write_atomic(path, |w| w.write_all(text.as_bytes()))?)
}

/// What the `.hyp` and QuakeML origins need beyond the summary's moments:
/// the origin time, the epicentres in lon/lat and the 68% confidence
/// ellipsoid (χ², 3 dof) and epicentral ellipse (χ², 2 dof), taken from the
/// summary's levels or, if 0.68 is not among them, computed from its
/// covariance (km²).
pub(crate) struct OriginParts<'a> {
    /// Origin time.
    pub ot: &'a OriginTimeEstimate,
    /// Epicentres (deg).
    pub geo: &'a Geographic,
    /// 68% ellipsoid (km, deg).
    pub ellipsoid: Ellipsoid,
    /// 68% epicentral ellipse (km, deg).
    pub ellipse: Ellipse2D,
}

/// The [`OriginParts`] of `s`, or [`OutputError::Missing`] naming the event,
/// the `format` and what is missing.
pub(crate) fn origin_parts<'a>(
    s: &'a LocationSummary,
    format: &'static str,
) -> Result<OriginParts<'a>, OutputError> {
    let missing = |what| OutputError::Missing {
        event: s.event_id.clone(),
        format,
        what,
    };
    let not_psd = "a positive semi-definite covariance";
    Ok(OriginParts {
        ot: s
            .origin_time
            .as_ref()
            .ok_or_else(|| missing("an origin time (picks)"))?,
        geo: s
            .geographic
            .as_ref()
            .ok_or_else(|| missing("lon/lat (a projection)"))?,
        ellipsoid: s
            .ellipsoid(0.68)
            .cloned()
            .or_else(|| Ellipsoid::from_covariance(&s.cov_km2, 0.68))
            .ok_or_else(|| missing(not_psd))?,
        ellipse: s
            .epicentral_ellipse(0.68)
            .copied()
            .or_else(|| Ellipse2D::from_covariance(&s.cov_km2, 0.68))
            .ok_or_else(|| missing(not_psd))?,
    })
}
