//! Locate many events and write their files, shared by `eqnemix run` and
//! `eqnemix locate`: events in parallel (through [`Batch::locate_all`])
//! behind a progress bar; per located event the `[output]` formats and
//! draws; then `catalog.csv` (and `catalog.xml` with QuakeML on).

use crate::config::OutputFormat;
use crate::locate::batch::{catalog_csv, observing_stations_km, write_event_files, Batch};
use crate::locate::EventLocation;
use crate::picks::Picks;
use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use std::path::Path;

/// Located events, and the failed ones with their reason.
pub struct Located {
    /// Events located and written, in the order of the input.
    pub located: Vec<EventLocation>,
    /// `(event id, reason)` of the events that failed (locating or writing).
    pub failures: Vec<(String, String)>,
}

/// Locate `events` in parallel and write each one's files into `dir`.
pub fn locate_and_write(batch: &Batch<'_>, events: &[Picks], dir: &Path, quiet: bool) -> Located {
    let c = batch.config;
    let bar = if quiet { ProgressBar::hidden() } else { ProgressBar::new(events.len() as u64) };
    bar.set_style(
        ProgressStyle::with_template("{spinner} locate [{bar:30}] {pos}/{len} events {elapsed} (eta {eta})")
            .expect("static template")
            .progress_chars("=> "),
    );
    let results = batch.locate_all(events, &|r| {
        if let Err(f) = r {
            bar.println(format!("event {} failed: {}", f.event_id, f.reason));
        }
        bar.inc(1);
    });
    bar.finish_and_clear();
    let mut out = Located { located: Vec::new(), failures: Vec::new() };
    for (r, picks) in results.into_iter().zip(events) {
        match r {
            Ok(loc) => match write_event_files(dir, &loc, &observing_stations_km(picks), &c.output.formats, c.output.draws) {
                Ok(_) => out.located.push(loc),
                Err(e) => out.failures.push((loc.event_id.clone(), format!("writing results: {e}"))),
            },
            Err(f) => out.failures.push((f.event_id, f.reason)),
        }
    }
    out
}

/// Write `catalog.csv` (and `catalog.xml` when `formats` has QuakeML) of
/// the located events into `dir`.
pub fn write_catalog(dir: &Path, located: &[EventLocation], formats: &[OutputFormat]) -> Result<()> {
    let refs: Vec<_> = located.iter().collect();
    let text = catalog_csv(&refs).context("catalog table")?;
    super::write_bytes(&dir.join("catalog.csv"), text.as_bytes())?;
    if formats.contains(&OutputFormat::Quakeml) {
        let summaries: Vec<_> = located.iter().map(|l| l.summary.clone()).collect();
        let p = dir.join("catalog.xml");
        crate::output::quakeml::write_quakeml(&p, &summaries, &crate::output::quakeml::QuakeMlOptions::default())
            .with_context(|| format!("writing {}", p.display()))?;
    }
    Ok(())
}
