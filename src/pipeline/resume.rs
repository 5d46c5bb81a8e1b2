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
/// the populations the summary used (a chain whose weights are all `1/n` is
/// read as equally weighted) with their draws' coordinates, log density and
/// sampler statistics.
pub fn read_draws_csv(path: &Path) -> Result<Vec<Draws>, String> {
    read_draws_file(path).map(|f| f.populations)
}

/// What `<id>_draws.csv` holds: the populations and, per population, the
/// lengths of the sampler's chains in it
/// ([`crate::locate::EventLocation::chain_lengths`]).
pub struct DrawsFile {
    pub populations: Vec<Draws>,
    pub chain_lengths: Vec<Vec<usize>>,
}

/// [`read_draws_csv`] with the chains. Files written before the
/// `population` column (each chain its own population) read too.
pub fn read_draws_file(path: &Path) -> Result<DrawsFile, String> {
    let mut r = csv::Reader::from_path(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let header = r.headers().map_err(|e| format!("{}: {e}", path.display()))?.clone();
    let names: Vec<&str> = header.iter().collect();
    let col = |name: &str| names.iter().position(|&h| h == name);
    let coords: &[&str] = if col("origin_time_s").is_some() {
        &["east_km", "north_km", "depth_km", "origin_time_s"]
    } else {
        &["east_km", "north_km", "depth_km"]
    };
    let required = ["chain", "draw", "log_density", "weight"];
    let cols: Vec<usize> = required
        .iter()
        .chain(coords)
        .map(|&n| col(n).ok_or_else(|| format!("{}: no column `{n}` in header {header:?}", path.display())))
        .collect::<Result<_, _>>()?;
    let (chain_col, ld_col, w_col, x_cols) = (cols[0], cols[2], cols[3], &cols[4..]);
    let dim = coords.len();
    let population_col = col("population");
    let (acc, step, depth, grads, div, energy) =
        (col("accept_prob"), col("step_size"), col("tree_depth"), col("n_grad_evals"), col("divergent"), col("energy"));
    let mut pops: Vec<(Draws, Vec<f64>, Vec<usize>)> = Vec::new();
    let mut last_chain = None;
    for (line, row) in r.records().enumerate() {
        let row = row.map_err(|e| format!("{}: {e}", path.display()))?;
        let bad = || format!("{}: row {}", path.display(), line + 2);
        let num = |i: usize| row.get(i).and_then(|v| v.parse::<f64>().ok()).ok_or_else(bad);
        let opt = |c: Option<usize>| c.and_then(|i| row.get(i)).filter(|v| !v.is_empty());
        let chain: usize = row.get(chain_col).and_then(|v| v.parse().ok()).ok_or_else(bad)?;
        let pop: usize = match population_col {
            Some(i) => row.get(i).and_then(|v| v.parse().ok()).ok_or_else(bad)?,
            None => chain,
        };
        if pop == pops.len() {
            pops.push((Draws::new(dim), Vec::new(), Vec::new()));
            last_chain = None;
        } else if pop + 1 != pops.len() {
            return Err(bad());
        }
        let (d, w, lengths) = pops.last_mut().expect("pushed above");
        if last_chain != Some(chain) {
            lengths.push(0);
            last_chain = Some(chain);
        }
        *lengths.last_mut().expect("pushed above") += 1;
        let x: Vec<f64> = x_cols.iter().map(|&i| num(i)).collect::<Result<_, _>>()?;
        let stats = DrawStats {
            log_density: num(ld_col)?,
            accept_prob: opt(acc).map(|v| v.parse()).transpose().map_err(|_| bad())?,
            step_size: opt(step).map(|v| v.parse()).transpose().map_err(|_| bad())?,
            tree_depth: opt(depth).map(|v| v.parse()).transpose().map_err(|_| bad())?,
            n_grad_evals: opt(grads).map(|v| v.parse()).transpose().map_err(|_| bad())?,
            divergent: opt(div).is_some_and(|v| v == "1"),
            energy: opt(energy).map(|v| v.parse()).transpose().map_err(|_| bad())?,
            ..DrawStats::default()
        };
        d.push(&x, stats);
        w.push(num(w_col)?);
    }
    let chain_lengths = pops.iter().map(|(_, _, l)| l.clone()).collect();
    let populations = pops
        .into_iter()
        .map(|(mut d, w, _)| {
            let m = d.n_draws();
            if !w.iter().all(|&v| v == 1.0 / m as f64) {
                d.weights = Some(w);
            }
            d
        })
        .collect();
    Ok(DrawsFile { populations, chain_lengths })
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
    let DrawsFile { populations: chains, chain_lengths } = read_draws_file(&dir.join(&draws_name)).ok()?;
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
        chain_lengths,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merged_chains_keep_their_ids_and_statistics() {
        let dir = tempfile::tempdir().unwrap();
        let mut merged = Draws::new(3);
        for i in 0..5 {
            let stats = DrawStats {
                log_density: -(i as f64) / 3.0,
                accept_prob: Some(0.25 * i as f64),
                step_size: Some(0.1),
                tree_depth: (i != 4).then_some(3),
                n_grad_evals: Some(7 + i),
                divergent: i == 2,
                energy: Some(1.5 + i as f64),
                ..DrawStats::default()
            };
            merged.push(&[i as f64, 0.5, 1.0 / 3.0], stats);
        }
        merged.weights = Some(vec![0.1, 0.1, 0.2, 0.3, 0.3]);
        let text = crate::locate::batch::chains_csv_with_lengths(&[merged.clone()], &[vec![2, 3]]);
        let ids: Vec<(String, String)> = text
            .lines()
            .skip(1)
            .map(|l| {
                let f: Vec<&str> = l.split(',').collect();
                (f[0].to_string(), f[1].to_string())
            })
            .collect();
        let want = [("0", "0"), ("0", "1"), ("1", "0"), ("1", "1"), ("1", "2")];
        assert_eq!(ids, want.map(|(a, b)| (a.to_string(), b.to_string())));
        let p = dir.path().join("e_draws.csv");
        std::fs::write(&p, text).unwrap();
        let back = read_draws_file(&p).unwrap();
        assert_eq!(back.chain_lengths, vec![vec![2, 3]]);
        assert_eq!(back.populations, vec![merged]);
    }

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
