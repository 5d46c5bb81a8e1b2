//! Completion records: how a rerun with `--resume` knows which events an
//! earlier (interrupted) run finished.
//!
//! After an event's result files are written (each atomically), one more
//! file is written last, also atomically: `<id>.done`, a JSON
//! [`DoneRecord`] naming every file of the event with its size, the
//! event's catalog row, its summary and flags, and a fingerprint of what
//! the result depends on. Before an event is (re)located its old record is
//! removed, so a record never describes files that are being replaced. An
//! event counts as finished ([`read_done`]) only if its record parses, was
//! written by this version of eqnemix, has the fingerprint the current run
//! computes for the event, and every file it names exists with the size it
//! names. Anything else (no record, a different configuration, picks or
//! prior weights, a missing or truncated file) locates the event again, so
//! `--resume` can only skip work, never keep a stale answer.
//!
//! The fingerprint covers the eqnemix version, the locate configuration
//! (but not the output folder), the clusters, the event's picks and its
//! prior weights (the classifier window's times and probabilities), and
//! whether maps are drawn. It does not read files the configuration names
//! (travel-time grids): replacing a grid under the same name is not
//! noticed.
//!
//! Each event's seed depends on the run seed and the event id only
//! ([`crate::locate::batch`]), so a resumed run writes the same catalog
//! rows as an uninterrupted one; the catalog is rebuilt from the records'
//! rows and the newly located events, in input order.
//!
//! The record's name `<stem>.done` cannot be the name of another event's
//! result file (those all end in `.csv`, `.json`, `.hyp`, `.xml` or
//! `.png`).

use crate::locate::batch::{file_stem, Batch};
use crate::locate::LocationFlags;
use crate::picks::Picks;
use crate::summary::LocationSummary;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// Version of the record's layout.
pub const DONE_FORMAT: u32 = 1;

/// One file of a finished event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DoneFile {
    /// File name, in the event's folder.
    pub name: String,
    /// Size in bytes.
    pub bytes: u64,
}

/// The completion record of one event (module doc).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DoneRecord {
    /// [`DONE_FORMAT`].
    pub format: u32,
    /// Version of eqnemix that wrote it.
    pub eqnemix_version: String,
    /// [`fingerprint`] of the event in the run that wrote it.
    pub fingerprint: String,
    /// Event id.
    pub event_id: String,
    /// Every result file of the event.
    pub files: Vec<DoneFile>,
    /// The event's row of `catalog.csv`
    /// ([`crate::locate::batch::catalog_row`]).
    pub catalog_row: Vec<String>,
    /// The summary (for `catalog.xml`).
    pub summary: LocationSummary,
    /// The flags (for the command's report).
    pub flags: LocationFlags,
}

/// Path of the completion record of `event_id` in `dir`.
pub fn done_path(dir: &Path, event_id: &str) -> PathBuf {
    dir.join(format!("{}.done", file_stem(event_id)))
}

/// 64-bit FNV-1a of `bytes`.
fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// Fingerprint of what the result of event `picks` depends on (module
/// doc); `extra` adds run settings that change the event's files (e.g.
/// whether maps are drawn). `None` when the event has no prior weights
/// (it cannot be located, so nothing is kept for it).
pub fn fingerprint(batch: &Batch<'_>, picks: &Picks, extra: &str) -> Option<String> {
    let c = batch.config;
    let w = batch
        .probabilities
        .for_event(picks, batch.clusters.len(), c.prior.normalise, c.prior.sum_tolerance)
        .ok()?;
    let mut cfg = c.clone();
    cfg.output.dir = PathBuf::new();
    cfg.output.maps = None;
    // Debug text is exact for floats and covers every field.
    let text = format!(
        "{}\n{cfg:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{extra}",
        env!("CARGO_PKG_VERSION"),
        batch.clusters,
        batch.region,
        picks,
        (w.start, w.end),
        w.probabilities,
    );
    // Two differently seeded passes: 128 bits.
    let a = fnv1a(text.as_bytes());
    let b = fnv1a(format!("eqnemix-done\n{text}").as_bytes());
    Some(format!("{a:016x}{b:016x}"))
}

/// Describe the files `paths` (name and size) for a record.
pub fn describe_files(paths: &[PathBuf]) -> std::io::Result<Vec<DoneFile>> {
    paths
        .iter()
        .map(|p| {
            let bytes = std::fs::metadata(p)?.len();
            let name = p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            Ok(DoneFile { name, bytes })
        })
        .collect()
}

/// Write `record` as the completion record of its event in `dir`
/// (atomically).
pub fn write_done(dir: &Path, record: &DoneRecord) -> Result<(), String> {
    let text = serde_json::to_string_pretty(record).map_err(|e| e.to_string())?;
    let path = done_path(dir, &record.event_id);
    crate::locate::batch::write_bytes(&path, text.as_bytes()).map_err(|e| e.to_string())
}

/// Remove the completion record of `event_id` in `dir`, if any.
pub fn remove_done(dir: &Path, event_id: &str) -> std::io::Result<()> {
    match std::fs::remove_file(done_path(dir, event_id)) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

/// The record of `event_id` in `dir` if the event is finished for a run
/// whose fingerprint of the event is `fingerprint` (module doc), else
/// `None`.
pub fn read_done(dir: &Path, event_id: &str, fingerprint: &str) -> Option<DoneRecord> {
    let text = std::fs::read_to_string(done_path(dir, event_id)).ok()?;
    let r: DoneRecord = serde_json::from_str(&text).ok()?;
    let complete = r.format == DONE_FORMAT
        && r.eqnemix_version == env!("CARGO_PKG_VERSION")
        && r.fingerprint == fingerprint
        && r.event_id == event_id
        && r.files.iter().all(|f| {
            !f.name.is_empty()
                && Path::new(&f.name).file_name() == Some(std::ffi::OsStr::new(&f.name))
                && std::fs::metadata(dir.join(&f.name)).is_ok_and(|m| m.is_file() && m.len() == f.bytes)
        });
    complete.then_some(r)
}
