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
//! `eqnemix run --resume` also needs a kept event's draws (its report,
//! maps and coverage are made from them): [`location_from_record`] reads
//! them back from `<id>_draws.csv` (exact: the file holds every coordinate
//! in shortest round-trip form), and an event whose draws cannot be read is
//! located again.
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
use crate::locate::{EventLocation, LocationFlags, RunDiagnostics};
use eqnemix_samplers::{DrawStats, Draws};
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
    /// Wall time of sampling and summarising (s), for `eqnemix run`'s
    /// report.
    #[serde(default)]
    pub elapsed_s: f64,
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
    let w = if c.prior.kind == crate::config::PriorKind::Uniform {
        None
    } else {
        Some(
            batch
                .probabilities
                .for_event(picks, batch.clusters.len(), c.prior.normalise, c.prior.sum_tolerance)
                .ok()?,
        )
    };
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
        w.map(|w| (w.start, w.end)),
        w.map(|w| &w.probabilities),
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

/// The draws of `<id>_draws.csv` ([`crate::locate::batch::draws_csv`]):
/// per chain the coordinates, the log density and the weights (a chain
/// whose weights are all `1/n` is read as equally weighted). The other
/// per-draw statistics are not in the file and are left unset.
pub fn read_draws_csv(path: &Path) -> Result<Vec<Draws>, String> {
    let mut r = csv::Reader::from_path(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let header = r.headers().map_err(|e| format!("{}: {e}", path.display()))?.clone();
    let n = header.len();
    let dim = match header.iter().collect::<Vec<_>>()[..] {
        ["chain", "draw", "east_km", "north_km", "depth_km", "log_density", "weight"] => 3,
        ["chain", "draw", "east_km", "north_km", "depth_km", "origin_time_s", "log_density", "weight"] => 4,
        _ => return Err(format!("{}: unexpected header {header:?}", path.display())),
    };
    let mut chains: Vec<(Draws, Vec<f64>)> = Vec::new();
    for (line, row) in r.records().enumerate() {
        let row = row.map_err(|e| format!("{}: {e}", path.display()))?;
        let bad = || format!("{}: row {}", path.display(), line + 2);
        let num = |i: usize| row.get(i).and_then(|v| v.parse::<f64>().ok()).ok_or_else(bad);
        let chain: usize = row.get(0).and_then(|v| v.parse().ok()).ok_or_else(bad)?;
        if chain == chains.len() {
            chains.push((Draws::new(dim), Vec::new()));
        } else if chain + 1 != chains.len() {
            return Err(bad());
        }
        let x: Vec<f64> = (2..2 + dim).map(num).collect::<Result<_, _>>()?;
        let (d, w) = chains.last_mut().expect("pushed above");
        d.push(&x, DrawStats { log_density: num(n - 2)?, ..DrawStats::default() });
        w.push(num(n - 1)?);
    }
    Ok(chains
        .into_iter()
        .map(|(mut d, w)| {
            let m = d.n_draws();
            if !w.iter().all(|&v| v == 1.0 / m as f64) {
                d.weights = Some(w);
            }
            d
        })
        .collect())
}

/// An event of `record` (read by [`read_done`] from `dir`) as `eqnemix
/// run` uses it after locating: summary and flags from the record, the
/// diagnostics of the catalog row (sampler, R-hat, ESS, divergences,
/// information gain; the per-chain tables are not kept) and the draws
/// from its `<id>_draws.csv`. `None` when the record names no draws file
/// or it cannot be read.
pub fn location_from_record(dir: &Path, record: &DoneRecord) -> Option<EventLocation> {
    let draws_name = format!("{}_draws.csv", file_stem(&record.event_id));
    if !record.files.iter().any(|f| f.name == draws_name) {
        return None;
    }
    let chains = read_draws_csv(&dir.join(&draws_name)).ok()?;
    let extra = &record.catalog_row.get(crate::output::csv::HEADER.len()..)?;
    let num = |i: usize| extra.get(i).and_then(|v| v.parse::<f64>().ok());
    let diagnostics = RunDiagnostics {
        sampler: extra.first()?.clone(),
        chains: Vec::new(),
        table: None,
        max_rhat: num(1)?,
        min_ess_bulk: num(2)?,
        min_ess_tail: num(3)?,
        n_divergent: extra.get(4)?.parse().ok()?,
        contraction: Vec::new(),
        information_gain_nats: num(5)?,
        elapsed_s: record.elapsed_s,
        mcse_mean: Vec::new(),
        modes: Vec::new(),
        dropped_mass: 0.0,
        pilot: None,
        importance: None,
    };
    Some(EventLocation {
        event_id: record.event_id.clone(),
        summary: record.summary.clone(),
        diagnostics,
        flags: record.flags.clone(),
        chains,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_read_back_exactly() {
        let dir = tempfile::tempdir().unwrap();
        let mut a = Draws::new(4);
        a.push(&[1.5, -2.25, 7.0 / 3.0, 0.1], DrawStats { log_density: -3.75, ..DrawStats::default() });
        a.push(&[1e-7, 2.0, 3.0, -4.5], DrawStats { log_density: f64::NEG_INFINITY, ..DrawStats::default() });
        a.push(&[0.3, 0.2, 0.1, 0.0], DrawStats { log_density: 1.0 / 3.0, ..DrawStats::default() });
        let mut b = a.clone();
        b.weights = Some(vec![0.2, 0.7, 0.1]);
        let p = dir.path().join("e_draws.csv");
        std::fs::write(&p, crate::locate::batch::chains_csv(&[a.clone(), b.clone()])).unwrap();
        let back = read_draws_csv(&p).unwrap();
        assert_eq!(back.len(), 2);
        for (got, want) in back.iter().zip([&a, &b]) {
            assert_eq!(got.dim, 4);
            assert_eq!(got.values, want.values);
            assert_eq!(got.weights, want.weights);
            let ld = |d: &Draws| d.stats.iter().map(|s| s.log_density).collect::<Vec<_>>();
            assert_eq!(ld(got), ld(want));
        }
    }
}
