//! The full [`LocationSummary`] of one event as pretty JSON (serde): every
//! field with its unit in its name or doc (km, km², s, deg).

use super::{write_text, OutputError};
use crate::summary::LocationSummary;
use std::path::Path;

/// The JSON text of one event.
pub fn to_json_string(s: &LocationSummary) -> Result<String, OutputError> {
    serde_json::to_string_pretty(s).map_err(|e| OutputError::Serialise {
        event: s.event_id.clone(),
        what: e.to_string(),
    })
}

/// Write one event as JSON to `path` (atomically).
pub fn write_json(path: &Path, s: &LocationSummary) -> Result<(), OutputError> {
    write_text(path, &to_json_string(s)?)
}

/// Read back a JSON summary written by [`write_json`].
pub fn from_json_str(text: &str) -> Result<LocationSummary, serde_json::Error> {
    serde_json::from_str(text)
}
