//! Locate many events and write their files, shared by `eqnemix run` and
//! `eqnemix locate`: events in parallel (rayon) behind a progress bar; each
//! located event's `[output]` formats and draws (and, when asked, more
//! files such as maps) are written as soon as it is located, then its
//! completion record ([`super::resume`]); at the end `catalog.csv` (and
//! `catalog.xml` with QuakeML on).
//!
//! A [`Cancellation`] stops the batch: no new event starts, the events in
//! progress stop inside their sampler ([`crate::locate::LocateOptions::cancel`])
//! and write nothing (they count as not started), and [`Located`] says
//! the run was interrupted; the caller writes the catalog of the finished
//! events as `catalog_partial.csv` ([`write_catalog_named`]). With
//! `resume`, events an earlier run finished are not located again: their
//! catalog rows come from their records.

use super::resume::{self, DoneRecord};
use crate::cancel::Cancellation;
use crate::config::OutputFormat;
use crate::locate::batch::{catalog_csv_from_rows, catalog_row, hyp_context, write_event_files, Batch};
use crate::locate::EventLocation;
use crate::picks::Picks;
use crate::summary::LocationSummary;
use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;
use std::path::{Path, PathBuf};

/// One finished event's share of the catalog.
#[derive(Debug, Clone, PartialEq)]
pub struct CatalogEntry {
    /// Its `catalog.csv` row ([`catalog_row`]).
    pub row: Vec<String>,
    /// Its summary (for `catalog.xml`).
    pub summary: LocationSummary,
}

/// Located events, and the failed ones with their reason.
pub struct Located {
    /// Events located and written by this run, in the order of the input.
    pub located: Vec<EventLocation>,
    /// Events kept from an earlier run (`resume`), in the order of the input.
    pub resumed: Vec<DoneRecord>,
    /// The catalog of every finished event (located or kept), in the order
    /// of the input.
    pub catalog: Vec<CatalogEntry>,
    /// `(event id, reason)` of the events that failed (locating or writing).
    pub failures: Vec<(String, String)>,
    /// `(event id, reason)` of the extra files that could not be made (maps):
    /// the event is located and written all the same.
    pub extra_failures: Vec<(String, String)>,
    /// Events not started because the run was cancelled.
    pub not_started: usize,
}

impl Located {
    /// Whether the run was cancelled before every event was started.
    pub fn interrupted(&self) -> bool {
        self.not_started > 0
    }
}

/// What happened to one event.
#[derive(Debug)]
pub enum EventOutcome {
    /// Located by this run; its files and record are written.
    Located(Box<EventLocation>),
    /// Finished by an earlier run (`resume`).
    Resumed(Box<DoneRecord>),
    /// Could not be located, or its files not written: `(event id, reason)`.
    Failed(String, String),
    /// Not started: the run was cancelled.
    NotStarted,
}

/// Extra files of a located event, made after its result files and before
/// its record: the files written and, if some could not be made, why.
pub type ExtraFiles<'a> = dyn Fn(&EventLocation, &Picks) -> (Vec<PathBuf>, Option<String>) + Sync + 'a;

/// How [`locate_and_write_with`] runs.
pub struct WriteOptions<'a> {
    /// No progress bar.
    pub quiet: bool,
    /// Stops the batch: no event starts, those in progress stop in their sampler.
    pub cancel: &'a Cancellation,
    /// Keep the events an earlier run finished ([`resume::read_done`]).
    pub resume: bool,
    /// Extra files per event (e.g. maps).
    pub extra_files: Option<&'a ExtraFiles<'a>>,
    /// Run settings that change an event's files, for its fingerprint
    /// ([`resume::fingerprint`]).
    pub fingerprint_extra: String,
    /// Called once per event with its outcome, from the worker that
    /// finished it (e.g. a test cancelling after the k-th event).
    pub on_event: Option<&'a (dyn Fn(&EventOutcome) + Sync)>,
}

/// An [`WriteOptions::on_event`] that cancels `cancel` once `n` events
/// have been located (or have failed) by this run, as Ctrl-C would (the
/// hidden `--cancel-after-events` of `eqnemix locate` and `eqnemix run`,
/// for tests).
pub fn cancel_after(n: usize, cancel: &Cancellation) -> impl Fn(&EventOutcome) + Sync + '_ {
    let finished = std::sync::atomic::AtomicUsize::new(0);
    move |o: &EventOutcome| {
        if matches!(o, EventOutcome::Located(_) | EventOutcome::Failed(..))
            && finished.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1 >= n
        {
            cancel.cancel();
        }
    }
}

/// Locate `events` in parallel and write each one's files into `dir`
/// (no cancellation, no resume).
pub fn locate_and_write(batch: &Batch<'_>, events: &[Picks], dir: &Path, quiet: bool) -> Located {
    let cancel = Cancellation::new();
    let opts = WriteOptions { quiet, cancel: &cancel, resume: false, extra_files: None, fingerprint_extra: String::new(), on_event: None };
    locate_and_write_with(batch, events, dir, &opts)
}

/// Locate `events` in parallel and write each one's files into `dir` as
/// soon as it is located (module doc).
pub fn locate_and_write_with(batch: &Batch<'_>, events: &[Picks], dir: &Path, opts: &WriteOptions<'_>) -> Located {
    let bar = if opts.quiet { ProgressBar::hidden() } else { ProgressBar::new(events.len() as u64) };
    bar.set_style(
        ProgressStyle::with_template("{spinner} locate [{bar:30}] {pos}/{len} events {elapsed} (eta {eta})")
            .expect("static template")
            .progress_chars("=> "),
    );
    let extra_failures = std::sync::Mutex::new(Vec::new());
    let outcomes: Vec<EventOutcome> = events
        .par_iter()
        .map(|picks| {
            let outcome = one_event(batch, picks, dir, opts, &extra_failures);
            if let EventOutcome::Failed(id, why) = &outcome {
                bar.println(format!("event {id} failed: {why}"));
            }
            if !matches!(outcome, EventOutcome::NotStarted) {
                bar.inc(1);
            }
            if let Some(f) = opts.on_event {
                f(&outcome);
            }
            outcome
        })
        .collect();
    bar.finish_and_clear();
    let mut extra_failures = extra_failures.into_inner().unwrap_or_else(|e| e.into_inner());
    // In input order, whichever worker finished first.
    extra_failures.sort_by_key(|(id, _): &(String, String)| events.iter().position(|e| &e.event_id == id));
    let mut out = Located {
        located: Vec::new(),
        resumed: Vec::new(),
        catalog: Vec::new(),
        failures: Vec::new(),
        extra_failures,
        not_started: 0,
    };
    for o in outcomes {
        match o {
            EventOutcome::Located(loc) => {
                out.catalog.push(CatalogEntry { row: catalog_row(&loc), summary: loc.summary.clone() });
                out.located.push(*loc);
            }
            EventOutcome::Resumed(r) => {
                out.catalog.push(CatalogEntry { row: r.catalog_row.clone(), summary: r.summary.clone() });
                out.resumed.push(*r);
            }
            EventOutcome::Failed(id, why) => out.failures.push((id, why)),
            EventOutcome::NotStarted => out.not_started += 1,
        }
    }
    out
}

fn one_event(
    batch: &Batch<'_>,
    picks: &Picks,
    dir: &Path,
    opts: &WriteOptions<'_>,
    extra_failures: &std::sync::Mutex<Vec<(String, String)>>,
) -> EventOutcome {
    let id = &picks.event_id;
    let fingerprint = resume::fingerprint(batch, picks, &opts.fingerprint_extra);
    if opts.resume {
        if let Some(r) = fingerprint.as_deref().and_then(|f| resume::read_done(dir, id, f)) {
            return EventOutcome::Resumed(Box::new(r));
        }
    }
    if opts.cancel.is_cancelled() {
        return EventOutcome::NotStarted;
    }
    let failed = |why: String| EventOutcome::Failed(id.clone(), why);
    // The files about to be replaced must not keep a record.
    if let Err(e) = resume::remove_done(dir, id) {
        return failed(format!("removing {}: {e}", resume::done_path(dir, id).display()));
    }
    // Ctrl-C stops the sampler too (not only between events): a location
    // cut short leaves no files and counts as not started.
    let loc = match batch.locate_with(picks, Some(opts.cancel)) {
        Ok(loc) => loc,
        Err(f) if f.cancelled => return EventOutcome::NotStarted,
        Err(f) => return failed(f.reason),
    };
    let c = batch.config;
    let mut files = match write_event_files(dir, &loc, &hyp_context(picks, batch.projection.as_ref()), &c.output.formats, c.output.draws) {
        Ok(f) => f,
        Err(e) => return failed(format!("writing results: {e}")),
    };
    if let Some(extra) = opts.extra_files {
        let (more, problem) = extra(&loc, picks);
        files.extend(more);
        if let Some(why) = problem {
            extra_failures.lock().unwrap_or_else(|e| e.into_inner()).push((id.clone(), why));
        }
    }
    if let Some(fingerprint) = fingerprint {
        let record = resume::describe_files(&files).map(|files| DoneRecord {
            format: resume::DONE_FORMAT,
            eqnemix_version: env!("CARGO_PKG_VERSION").to_string(),
            fingerprint,
            event_id: id.clone(),
            files,
            catalog_row: catalog_row(&loc),
            summary: loc.summary.clone(),
            flags: loc.flags.clone(),
            elapsed_s: loc.diagnostics.elapsed_s,
        });
        let written = record.map_err(|e| e.to_string()).and_then(|r| resume::write_done(dir, &r));
        if let Err(e) = written {
            return failed(format!("writing its completion record {}: {e}", resume::done_path(dir, id).display()));
        }
    }
    EventOutcome::Located(Box::new(loc))
}

/// Write `catalog.csv` (and `catalog.xml` when `formats` has QuakeML) of
/// the located events into `dir`.
pub fn write_catalog(dir: &Path, located: &[EventLocation], formats: &[OutputFormat]) -> Result<()> {
    let entries: Vec<CatalogEntry> =
        located.iter().map(|l| CatalogEntry { row: catalog_row(l), summary: l.summary.clone() }).collect();
    write_catalog_named(dir, "catalog", &entries, formats).map(|_| ())
}

/// Write `<name>.csv` (and `<name>.xml` when `formats` has QuakeML) of the
/// finished events `entries` into `dir`; returns the paths written.
pub fn write_catalog_named(dir: &Path, name: &str, entries: &[CatalogEntry], formats: &[OutputFormat]) -> Result<Vec<PathBuf>> {
    let rows: Vec<Vec<String>> = entries.iter().map(|e| e.row.clone()).collect();
    let text = catalog_csv_from_rows(&rows).context("catalog table")?;
    let csv = dir.join(format!("{name}.csv"));
    super::write_bytes(&csv, text.as_bytes())?;
    let mut written = vec![csv];
    if formats.contains(&OutputFormat::Quakeml) {
        let summaries: Vec<_> = entries.iter().map(|e| e.summary.clone()).collect();
        let p = dir.join(format!("{name}.xml"));
        crate::output::quakeml::write_quakeml(&p, &summaries, &crate::output::quakeml::QuakeMlOptions::default())
            .with_context(|| format!("writing {}", p.display()))?;
        written.push(p);
    }
    Ok(written)
}

/// Remove `<name>.csv` and `<name>.xml` from `dir` if present (the catalog
/// of an earlier run that no longer matches the per-event files: the full
/// catalog after an interruption, the partial one after a finished run).
pub fn remove_catalog_named(dir: &Path, name: &str) -> Result<()> {
    for ext in ["csv", "xml"] {
        let p = dir.join(format!("{name}.{ext}"));
        match std::fs::remove_file(&p) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(anyhow::Error::new(e).context(format!("removing {}", p.display())))
            }
            _ => {}
        }
    }
    Ok(())
}
