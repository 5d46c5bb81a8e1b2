//! Many events at once: build each event's prior and posterior, locate it,
//! in parallel across events (rayon; the chains of each event run in
//! parallel too), and write the result files.
//!
//! A failing event yields an [`EventFailure`] with its id and reason and
//! never stops the others.

use super::event::{locate_event, EventLocation, LocateOptions};
use super::inputs::ClusterProbabilities;
use crate::config::{LocateConfig, OutputFormat};
use crate::geo::LocalProjection;
use crate::output::{self, quakeml::QuakeMlOptions};
use crate::picks::Picks;
use crate::posterior::LocationPosterior;
use crate::prior::{ClusterPrior, RegionBox};
use crate::summary::SummaryOptions;
use crate::ClusterGaussian;
use eqnemix_samplers::LogDensity;
use eqnemix_traveltime::TravelTimeModel;
use rayon::prelude::*;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// An event that could not be located.
#[derive(Debug, Clone, PartialEq)]
pub struct EventFailure {
    /// Event id.
    pub event_id: String,
    /// Why, naming the file/row/field where it applies.
    pub reason: String,
    /// The location was cancelled before it ended ([`Batch::locate_with`]):
    /// not a failure of the event, which was simply not finished.
    pub cancelled: bool,
}

/// Everything shared by the events of one run.
pub struct Batch<'a> {
    /// The configuration.
    pub config: &'a LocateConfig,
    /// Cluster Gaussians (id order).
    pub clusters: &'a [ClusterGaussian],
    /// Classifier output.
    pub probabilities: &'a ClusterProbabilities,
    /// Travel-time model (fields are shared across events).
    pub model: &'a dyn TravelTimeModel,
    /// Region box (km).
    pub region: RegionBox,
    /// Local frame, for lon/lat.
    pub projection: Option<LocalProjection>,
}

/// FNV-1a hash of the event id: each event's seed depends on the run seed
/// and its id only, never on the order or number of events.
fn event_seed(seed: u64, id: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in id.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    eqnemix_samplers::chain_seed(seed ^ h, 0)
}

impl Batch<'_> {
    /// The posterior of one event.
    pub fn posterior(&self, picks: &Picks) -> Result<LocationPosterior, String> {
        let c = self.config;
        let prior = if c.prior.kind == crate::config::PriorKind::Uniform {
            ClusterPrior::uniform(self.region).map_err(|e| format!("prior: {e}"))?
        } else {
            let w = self.probabilities.for_event(
                picks,
                self.clusters.len(),
                c.prior.normalise,
                c.prior.sum_tolerance,
            )?;
            ClusterPrior::new(self.clusters, &w.probabilities, &c.prior.options(self.region))
                .map_err(|e| format!("{}:{}: prior: {e}", self.probabilities.path.display(), w.line))?
        };
        let mut opts = c.likelihood.options();
        if let crate::likelihood::OriginTime::Sampled { min_s, max_s } = &mut opts.origin_time {
            // The window is relative to the earliest pick; picks count from it.
            let first = picks
                .stations
                .iter()
                .flat_map(|s| [s.p, s.s])
                .flatten()
                .map(|p| p.time_s)
                .fold(f64::INFINITY, f64::min);
            if first.is_finite() {
                *min_s += first;
                *max_s += first;
            }
        }
        LocationPosterior::from_picks(prior, picks, self.model, &opts, self.region)
            .map_err(|e| e.to_string())
    }

    /// Locate one event.
    pub fn locate(&self, picks: &Picks) -> Result<EventLocation, EventFailure> {
        self.locate_with(picks, None)
    }

    /// Locate one event, stopping inside the sampler once `cancel` is set
    /// ([`LocateOptions::cancel`]; the failure then has `cancelled`).
    pub fn locate_with(&self, picks: &Picks, cancel: Option<&crate::cancel::Cancellation>) -> Result<EventLocation, EventFailure> {
        let fail = |reason: String| EventFailure {
            event_id: picks.event_id.clone(),
            reason,
            cancelled: false,
        };
        // An impossible S-P (S before P, or longer than any source in the
        // region gives) would still be "located", on the station or the
        // box's edge; it is a wrong pick instead. Under the EDT network
        // likelihood the pick's pairs are simply outweighed: not refused.
        let refuse = crate::likelihood::refuses_impossible_s_minus_p(&self.config.likelihood.options(), picks);
        if let Some(why) = refuse.then(|| crate::pipeline::sp_check::s_minus_p_problem(picks, |st| {
            crate::pipeline::sp_check::s_minus_p_range_s(self.model, st, &self.region)
        })).flatten() {
            return Err(fail(why));
        }
        let posterior = self.posterior(picks).map_err(fail)?;
        let c = self.config;
        let options = LocateOptions {
            n_chains: c.n_chains,
            seed: event_seed(c.seed, &picks.event_id),
            summary: SummaryOptions {
                levels: c.output.levels.clone(),
                ..SummaryOptions::default()
            },
            rules: c.diagnostics.clone(),
            projection: self.projection,
            cancel: cancel.cloned(),
        };
        locate_event(&posterior, &c.sampler, &options).map_err(|e| {
            if matches!(e, super::event::LocateError::Cancelled { .. }) {
                return EventFailure { cancelled: true, ..fail(e.to_string()) };
            }
            let mut reason = e.to_string();
            if matches!(e, super::event::LocateError::NoSupport { .. }) {
                reason.push_str(&domain_hint(&posterior, picks, self.model));
            }
            fail(reason)
        })
    }

    /// Locate every event in parallel; `done` is called after each one.
    pub fn locate_all(
        &self,
        events: &[Picks],
        done: &(dyn Fn(&Result<EventLocation, EventFailure>) + Sync),
    ) -> Vec<Result<EventLocation, EventFailure>> {
        events
            .par_iter()
            .map(|p| {
                let r = self.locate(p);
                done(&r);
                r
            })
            .collect()
    }
}

/// Say which station's field cannot answer at the prior's points.
fn domain_hint(post: &LocationPosterior, picks: &Picks, model: &dyn TravelTimeModel) -> String {
    let centre = post.region().centre_km();
    for sp in &picks.stations {
        for ph in [eqnemix_traveltime::Phase::P, eqnemix_traveltime::Phase::S] {
            if let Ok(f) = model.field(&sp.station, ph) {
                if let Some((lo, hi)) = f.bounds() {
                    return format!(
                        " (station {} {ph} field domain [{:.1}, {:.1}] x [{:.1}, {:.1}] x [{:.1}, {:.1}] km; region centre {:?} km)",
                        sp.station.code, lo[0], hi[0], lo[1], hi[1], lo[2], hi[2], centre
                    );
                }
            }
        }
    }
    let _ = post.log_density(&centre);
    String::new()
}

/// Write `bytes` to `path` atomically (temp file + rename).
pub fn write_bytes(path: &Path, bytes: &[u8]) -> Result<(), crate::io::AtomicWriteError> {
    crate::io::write_atomic(path, |w| std::io::Write::write_all(w, bytes))
}

/// A file-system-safe version of an event id.
pub fn file_stem(event_id: &str) -> String {
    event_id
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || "-_.".contains(c) { c } else { '_' })
        .collect()
}

/// Check that distinct event ids get distinct result files: [`file_stem`]
/// maps e.g. `a/b` and `a_b` to the same `a_b`, and a case-insensitive file
/// system (macOS, Windows) takes `A` and `a` for one name, so one event's
/// files would silently replace the other's. The error names both ids and
/// the shared name.
pub fn check_file_stems<'a>(ids: impl IntoIterator<Item = &'a str>) -> Result<(), String> {
    let mut seen: std::collections::HashMap<String, &str> = std::collections::HashMap::new();
    for id in ids {
        let stem = file_stem(id);
        if let Some(other) = seen.insert(stem.to_lowercase(), id) {
            return Err(format!(
                "event ids `{}` and `{}` give the same result file name `{stem}` (characters other than letters, digits, `-`, `_` and `.` become `_`; case is ignored); rename one",
                other.escape_debug(),
                id.escape_debug()
            ));
        }
    }
    Ok(())
}

/// The draws of one event as CSV, one row per draw:
/// `chain,draw,east_km,north_km,depth_km` (`,origin_time_s` when sampled)
/// `,log_density,weight,population,accept_prob,step_size,tree_depth,n_grad_evals,divergent,energy`.
///
/// `chain` is the sampler's chain (per mode region, `n_chains` chains each:
/// a multimodal run's chains are numbered region by region) and `draw` the
/// index within it, so R-hat and ESS can be recomputed from the file;
/// `population` is the weighted population the summary used (0 for a
/// multimodal run, whose chains are merged with mode weights; `weight` is
/// the draw's weight in it). Sampler statistics a sampler does not give are
/// empty.
pub fn draws_csv(loc: &EventLocation) -> String {
    chains_csv_with_lengths(&loc.chains, &loc.chain_lengths)
}

/// The table of [`draws_csv`] of the populations `chains`, each one chain.
pub fn chains_csv(chains: &[eqnemix_samplers::Draws]) -> String {
    chains_csv_with_lengths(chains, &[])
}

/// The table of [`draws_csv`]: population `p` of `chains` holds the
/// sampler's chains of lengths `lengths[p]` one after the other (missing:
/// one chain).
pub fn chains_csv_with_lengths(chains: &[eqnemix_samplers::Draws], lengths: &[Vec<usize>]) -> String {
    let dim = chains.first().map_or(3, |c| c.dim);
    let mut s = String::from("chain,draw,east_km,north_km,depth_km");
    if dim > 3 {
        s.push_str(",origin_time_s");
    }
    s.push_str(",log_density,weight,population,accept_prob,step_size,tree_depth,n_grad_evals,divergent,energy\n");
    let opt = |v: Option<String>| v.unwrap_or_default();
    for (chain, (pi, range)) in super::event::chain_ranges(chains, lengths).into_iter().enumerate() {
        let c = &chains[pi];
        let n = c.n_draws();
        for i in range.clone() {
            let _ = write!(s, "{chain},{}", i - range.start);
            for v in c.draw(i) {
                let _ = write!(s, ",{v}");
            }
            let w = c.weights.as_ref().map_or(1.0 / n as f64, |w| w[i]);
            let st = &c.stats[i];
            let _ = writeln!(
                s,
                ",{},{w},{pi},{},{},{},{},{},{}",
                st.log_density,
                opt(st.accept_prob.map(|v| v.to_string())),
                opt(st.step_size.map(|v| v.to_string())),
                opt(st.tree_depth.map(|v| v.to_string())),
                opt(st.n_grad_evals.map(|v| v.to_string())),
                u8::from(st.divergent),
                opt(st.energy.map(|v| v.to_string())),
            );
        }
    }
    s
}

/// Columns appended to [`output::csv::HEADER`] in the catalog table.
pub const CATALOG_EXTRA_COLUMNS: [&str; 8] = [
    "sampler",
    "max_rhat",
    "min_ess_bulk",
    "min_ess_tail",
    "n_divergent",
    "information_gain_nats",
    "untrustworthy",
    "prior_dominated",
];

/// The catalog row of one located event: the summary columns of
/// [`output::csv`] and the diagnostics ([`CATALOG_EXTRA_COLUMNS`]).
pub fn catalog_row(e: &EventLocation) -> Vec<String> {
    let d = &e.diagnostics;
    let mut r = output::csv::record(&e.summary);
    r.extend([
        d.sampler.clone(),
        format!("{}", d.max_rhat),
        format!("{}", d.min_ess_bulk),
        format!("{}", d.min_ess_tail),
        d.n_divergent.to_string(),
        format!("{}", d.information_gain_nats),
        e.flags.untrustworthy.to_string(),
        e.flags.prior_dominated.to_string(),
    ]);
    r
}

/// The catalog table (CSV) of located events: the summary columns of
/// [`output::csv`] and the diagnostics.
pub fn catalog_csv(events: &[&EventLocation]) -> Result<String, csv::Error> {
    let rows: Vec<Vec<String>> = events.iter().map(|e| catalog_row(e)).collect();
    catalog_csv_from_rows(&rows)
}

/// The catalog table (CSV) from rows made by [`catalog_row`] (e.g. kept
/// from an earlier, interrupted run: `eqnemix locate --resume`).
pub fn catalog_csv_from_rows(rows: &[Vec<String>]) -> Result<String, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let header: Vec<&str> = output::csv::HEADER.iter().chain(CATALOG_EXTRA_COLUMNS.iter()).copied().collect();
    w.write_record(&header)?;
    for r in rows {
        w.write_record(r)?;
    }
    let bytes = w.into_inner().map_err(|e| csv::Error::from(e.into_error()))?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// Positions (`[east, north, depth]`, km, local frame) of the stations of
/// `picks` that observed the event: a P or S pick or a back-azimuth. These
/// are the stations NonLinLoc counts in a `.hyp`'s `Gap` and `Dist`; a
/// station listed without any observation is left out.
pub fn observing_stations_km(picks: &Picks) -> Vec<[f64; 3]> {
    observing_stations(picks).into_iter().map(|s| s.position_km).collect()
}

/// The stations (codes and positions) of [`observing_stations_km`].
pub fn observing_stations(picks: &Picks) -> Vec<eqnemix_traveltime::Station> {
    picks
        .stations
        .iter()
        .filter(|s| s.p.is_some() || s.s.is_some() || s.back_azimuth.is_some())
        .map(|s| s.station.clone())
        .collect()
}

/// What the `.hyp` of the event `picks` needs beyond its summary: the
/// observing stations ([`observing_stations`]) and, with a local frame,
/// its NonLinLoc `TRANSFORM`.
pub fn hyp_context(picks: &Picks, projection: Option<&LocalProjection>) -> output::hyp::HypContext {
    output::hyp::HypContext {
        stations: observing_stations(picks),
        transform: projection.map(LocalProjection::nll_transform),
    }
}

/// Write the per-event files of `loc` into `dir` (each atomically): the
/// chosen formats and, if `draws`, the draws CSV. `hyp` holds the stations
/// that observed the event and the frame ([`hyp_context`]): the `.hyp`'s
/// `Gap`, `Dist`, PHASE positions and TRANSFORM come from it (NonLinLoc's
/// unset -1 without stations), and QuakeML's arrival distances and
/// azimuths. Returns the paths written.
pub fn write_event_files(
    dir: &Path,
    loc: &EventLocation,
    hyp: &output::hyp::HypContext,
    formats: &[OutputFormat],
    draws: bool,
) -> Result<Vec<PathBuf>, String> {
    let stem = file_stem(&loc.event_id);
    let mut written = Vec::new();
    let s = &loc.summary;
    for f in formats {
        let path = match f {
            OutputFormat::Csv => {
                let p = dir.join(format!("{stem}.csv"));
                output::csv::write_csv(&p, std::slice::from_ref(s)).map_err(|e| e.to_string())?;
                p
            }
            OutputFormat::Json => {
                let p = dir.join(format!("{stem}.json"));
                let text = serde_json::to_string_pretty(loc).map_err(|e| e.to_string())?;
                write_bytes(&p, text.as_bytes()).map_err(|e| e.to_string())?;
                p
            }
            OutputFormat::Hyp => {
                let p = dir.join(format!("{stem}.hyp"));
                output::hyp::write_hyp_with(&p, s, hyp).map_err(|e| e.to_string())?;
                p
            }
            OutputFormat::Quakeml => {
                let p = dir.join(format!("{stem}.xml"));
                output::quakeml::write_quakeml(
                    &p,
                    std::slice::from_ref(s),
                    &QuakeMlOptions { stations: hyp.stations.clone(), ..QuakeMlOptions::default() },
                )
                    .map_err(|e| e.to_string())?;
                p
            }
        };
        written.push(path);
    }
    if draws {
        let p = dir.join(format!("{stem}_draws.csv"));
        write_bytes(&p, draws_csv(loc).as_bytes()).map_err(|e| e.to_string())?;
        written.push(p);
        for (m, doc) in super::arviz_json::arviz_documents(loc) {
            let p = dir.join(format!("{stem}_mode{m}.arviz.json"));
            write_bytes(&p, doc.as_bytes()).map_err(|e| e.to_string())?;
            written.push(p);
        }
    }
    Ok(written)
}
