//! Result files of located events: CSV rows, JSON, NonLinLoc-style `.hyp`
//! and QuakeML 1.2. Every writer goes through [`crate::io::write_atomic`]
//! (temp file + rename).

pub mod csv;
pub mod hyp;
pub mod json;
pub mod quakeml;

use crate::io::{write_atomic, AtomicWriteError};
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
