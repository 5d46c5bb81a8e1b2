//! Errors of the travel-time crate.

use std::path::PathBuf;

/// A point at which a field cannot answer.
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
#[error("point ({x:.3}, {y:.3}, {z:.3}) km is outside the travel-time domain")]
pub struct OutsideDomain {
    /// East (km).
    pub x: f64,
    /// North (km).
    pub y: f64,
    /// Depth (km, positive down).
    pub z: f64,
}

impl OutsideDomain {
    /// The error for point `p = [x, y, z]`.
    pub fn at(p: [f64; 3]) -> Self {
        OutsideDomain { x: p[0], y: p[1], z: p[2] }
    }
}

/// Everything that can go wrong building or reading travel-time models.
#[derive(Debug, thiserror::Error)]
pub enum TravelTimeError {
    /// A velocity model or parameter is invalid (non-positive, NaN, ...).
    #[error("invalid velocity model: {0}")]
    InvalidModel(String),
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A file has invalid content; `what` names the line, field or problem.
    #[error("{path}: {what}")]
    Format {
        /// The file.
        path: PathBuf,
        /// What is wrong and where (line, field).
        what: String,
    },
    /// The station lies outside the model's domain.
    #[error("station {station} is outside the model domain: {source}")]
    StationOutside {
        /// Station code.
        station: String,
        /// Where.
        #[source]
        source: OutsideDomain,
    },
}
