//! `[limits]` and the memory a configuration implies
//! ([`LocateConfig::check_memory`]): every size the configuration controls
//! (eikonal grid nodes, layered table, draws × chains, prior draws,
//! particles, oct-tree cells, synthetic record length) is estimated and
//! checked against a [`MemoryBudget`] before anything is built, so that
//! `eqnemix config --check` refuses what `eqnemix locate` could not
//! allocate. The error names the key, the estimate and the limit.

use super::{invalid, ConfigError, LocateConfig, OriginTimeMode, TravelTimeKind};
use crate::locate::post_stratify::MAX_DOUBLINGS;
use crate::memory_budget::{
    OverBudget, ceil_count, draw_bytes, format_count, format_dims, mul, product, records_bytes, MemoryBudget,
    EIKONAL_SOLVE_BYTES_PER_NODE, LAYERED_TABLE_BYTES_PER_NODE, SYNTHETIC_BYTES_PER_SAMPLE,
    TIME_GRID_BYTES_PER_NODE, VELOCITY_BYTES_PER_NODE,
};
use eqnemix_samplers::any::SamplerConfig;
use eqnemix_traveltime::nll::{nll_time_grid_base, read_nll_header};
use eqnemix_traveltime::Phase;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// `[limits]`: resource limits.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LimitsConfig {
    /// Memory limit (GB, 10⁹ bytes) that every size of the configuration
    /// is checked against before anything is allocated. Unset: the
    /// `--memory-limit` flag, else `EQNEMIX_MEMORY_LIMIT_GB`, else 3/4 of
    /// the machine's memory (see [`crate::memory_budget`]); the flag and
    /// the variable override this key.
    pub memory_gb: Option<f64>,
}

/// Most chains per event (and mode region): more is surely a typo.
pub const MAX_CHAINS: usize = 10_000;
/// Most tempering temperatures: more is surely a typo.
pub const MAX_TEMPS: usize = 1_000;

/// Copies of a Markov sampler's draws held at the peak, per configured
/// draw and chain: with [`MAX_DOUBLINGS`] doublings of the run length the
/// last run (4×) and the one it replaces (2×), and the merged draw set (1×).
fn markov_copies(doublings: usize) -> u128 {
    if doublings == 0 {
        2
    } else {
        (1u128 << doublings) + (1u128 << (doublings - 1)) + 1
    }
}

/// The eikonal grid of `n` nodes for `n_stations` stations: the velocity
/// grids, both phases solved at once, and the P and S time grids of every
/// station kept.
fn check_eikonal_grid(budget: &MemoryBudget, n: [usize; 3], n_stations: usize) -> Result<(), OverBudget> {
    let stations = n_stations.max(1) as u128;
    let per = if n_stations <= 1 { "1 station".to_string() } else { format!("{n_stations} stations") };
    let nodes = product(n.iter().map(|&v| v as u128));
    let per_node = VELOCITY_BYTES_PER_NODE + 2 * EIKONAL_SOLVE_BYTES_PER_NODE + 2 * stations * TIME_GRID_BYTES_PER_NODE;
    budget.check(format!("eikonal grid of {} nodes × 2 phases, {per}", format_dims(&n)), mul(nodes, per_node))
}

/// Bytes per configured draw of an importance stage: the stage, the best
/// stage kept and the pruned copy, each draw with its log weight and weight.
const IMPORTANCE_COPIES: u128 = 3;

impl LocateConfig {
    /// Coordinates sampled per event: east, north, depth, and the origin
    /// time when `[likelihood] origin_time = "sample"`.
    pub fn dim(&self) -> usize {
        if self.likelihood.origin_time == OriginTimeMode::Sample {
            4
        } else {
            3
        }
    }

    /// Sanity bounds that are not about memory (surely a typo beyond them).
    pub(super) fn validate_bounds(&self) -> Result<(), ConfigError> {
        if self.n_chains > MAX_CHAINS {
            return Err(invalid("n_chains", format!("{} chains per event is surely a typo (at most {MAX_CHAINS})", format_count(self.n_chains as u128))));
        }
        if let SamplerConfig::Tempering(c) = &self.sampler {
            if c.n_temps > MAX_TEMPS {
                return Err(invalid("sampler.n_temps", format!("{} temperatures is surely a typo (at most {MAX_TEMPS})", format_count(c.n_temps as u128))));
            }
        }
        if let Some(gb) = self.limits.memory_gb {
            if !(gb.is_finite() && gb > 0.0) {
                return Err(invalid("limits.memory_gb", format!("must be a finite number of GB > 0 (is {gb})")));
            }
        }
        Ok(())
    }

    /// The memory limit for this configuration: `flag_gb` (the
    /// `--memory-limit` flag), else `EQNEMIX_MEMORY_LIMIT_GB`, else
    /// `[limits] memory_gb`, else a share of the machine's memory.
    pub fn memory_budget(&self, flag_gb: Option<f64>) -> Result<MemoryBudget, ConfigError> {
        MemoryBudget::resolve(flag_gb, self.limits.memory_gb).map_err(|why| invalid("limits.memory_gb", why))
    }

    /// Check the memory of the grid files the configuration names, from
    /// their headers alone (before the grids are read), for the stations
    /// `stations` (codes; empty when not known yet, then one station and no
    /// TIME grid is checked): the eikonal `vp_grid`'s geometry, and the
    /// `nll_grids` TIME grids of every station and phase (kept once read).
    /// Relative paths are resolved against `base_dir`. A header that cannot
    /// be read is left to [`super::TravelTimeConfig::build`] or the
    /// location to report.
    pub fn check_file_memory(&self, base_dir: &Path, budget: &MemoryBudget, stations: &[&str]) -> Result<(), ConfigError> {
        let tt = &self.travel_time;
        let resolve = |p: &Path| if p.is_absolute() { p.to_path_buf() } else { base_dir.join(p) };
        match (tt.kind, &tt.model, &tt.vp_grid, &tt.nll_dir) {
            (TravelTimeKind::Eikonal, None, Some(vp), _) => {
                let path = resolve(vp);
                if let Ok(header) = read_nll_header(&path) {
                    check_eikonal_grid(budget, header.geometry.n, stations.len())
                        .map_err(|e| invalid("travel_time.vp_grid", format!("{} (header of {})", e, path.display())))?;
                }
            }
            (TravelTimeKind::NllGrids, _, _, Some(dir)) => {
                let dir = resolve(dir);
                // Kept: tau (f32) per node, station and phase; while one is
                // read: its file, the times (f64) and their copy.
                let mut kept: u128 = 0;
                let mut largest: u128 = 0;
                for code in stations {
                    for phase in [Phase::P, Phase::S] {
                        let base = nll_time_grid_base(&dir, &tt.nll_root, phase, code);
                        if let Ok(header) = read_nll_header(&base) {
                            let nodes = product(header.geometry.n.iter().map(|&v| v as u128));
                            kept = kept.saturating_add(mul(nodes, 4));
                            largest = largest.max(mul(nodes, 4 + 8 + 8));
                        }
                    }
                }
                budget
                    .check(
                        format!("NonLinLoc TIME grids of {} station(s) × 2 phases in {} (from their headers)", stations.len(), dir.display()),
                        kept.saturating_add(largest),
                    )
                    .map_err(|e| invalid("travel_time.nll_dir", e.to_string()))?;
            }
            _ => {}
        }
        Ok(())
    }

    /// Check the memory every size of the configuration implies against
    /// `budget`, before anything is built, for `n_stations` stations (the
    /// travel-time grids are per station; `config --check` assumes one).
    /// The error names the key, the estimate and the limit. Estimates are
    /// per event (events located in parallel each need theirs) and per
    /// mode region for Markov samplers (a lighter region gets fewer draws).
    pub fn check_memory(&self, budget: &MemoryBudget, n_stations: usize) -> Result<(), ConfigError> {
        self.check_memory_at_once(budget, n_stations, 1)
    }

    /// [`LocateConfig::check_memory`] with `events_at_once` events located
    /// in parallel (`locate` once the events are read: the smaller of the
    /// events and the worker threads): the per-event estimates (sampler
    /// draws, particles, cells, prior draws) count that many copies, said
    /// in the error; the travel-time grids are shared.
    pub fn check_memory_at_once(&self, budget: &MemoryBudget, n_stations: usize, events_at_once: usize) -> Result<(), ConfigError> {
        let at_once = events_at_once.max(1) as u128;
        let note = if at_once > 1 { format!(", × {at_once} events located at once") } else { String::new() };
        let per_event = |what: String, bytes: u128| budget.check(format!("{what}{note}"), mul(bytes, at_once));
        let over = |key: &str, e: crate::memory_budget::OverBudget| invalid(key, e.to_string());
        let stations = n_stations.max(1) as u128;
        let per = if n_stations <= 1 { "1 station".to_string() } else { format!("{n_stations} stations") };
        let tt = &self.travel_time;
        match tt.kind {
            TravelTimeKind::Eikonal if tt.model.is_some() => {
                check_eikonal_grid(budget, tt.grid.n, n_stations).map_err(|e| over("travel_time.grid.n", e))?;
            }
            TravelTimeKind::Layered => {
                let t = &tt.table;
                let n_dist = ceil_count(t.max_distance_km / t.distance_step_km) + 1 + ceil_count(t.near_distance_km.min(t.max_distance_km) / t.near_distance_step_km);
                let top = t.depth_min_km.unwrap_or(0.0).min(0.0);
                let n_depth = ceil_count((t.depth_max_km - top) / t.depth_step_km) + 1;
                budget
                    .check(
                        format!("layered travel-time table of {} distances × {} depths × 2 phases, {per}", format_count(n_dist), format_count(n_depth)),
                        product([n_dist, n_depth, 2, stations, LAYERED_TABLE_BYTES_PER_NODE]),
                    )
                    .map_err(|e| over("travel_time.table", e))?;
            }
            _ => {}
        }

        let dim = self.dim();
        let draw = draw_bytes(dim);
        let chains = self.n_chains as u128;
        let markov = |n_draws: usize, doublings: usize| -> Result<(), ConfigError> {
            let copies = markov_copies(doublings);
            let growth = if doublings > 0 { format!(", up to {}× when R-hat doubles the run", 1u128 << doublings) } else { String::new() };
            per_event(
                format!("{} chains × {} draws × {dim} coordinates per mode region{growth}", format_count(chains), format_count(n_draws as u128)),
                product([chains, n_draws as u128, draw, copies]),
            )
            .map_err(|e| over("sampler.n_draws (with n_chains)", e))
        };
        match &self.sampler {
            SamplerConfig::Nuts(c) => markov(c.n_draws, MAX_DOUBLINGS)?,
            SamplerConfig::Hmc(c) => markov(c.n_draws, MAX_DOUBLINGS)?,
            SamplerConfig::Metropolis(c) => markov(c.n_draws, MAX_DOUBLINGS)?,
            SamplerConfig::Tempering(c) => markov(c.n_draws, 0)?,
            SamplerConfig::Advi(c) => {
                per_event(format!("{} ADVI draws × {dim} coordinates", format_count(c.n_draws as u128)), mul(c.n_draws as u128, draw))
                    .map_err(|e| over("sampler.n_draws", e))?;
                // The ELBO of every iteration is kept (the fit's trace).
                per_event(format!("ELBO trace of up to {} ADVI iterations", format_count(c.max_iters as u128)), mul(c.max_iters as u128, 8))
                    .map_err(|e| over("sampler.max_iters", e))?;
            }
            SamplerConfig::Smc(c) => {
                // Positions and their resampled copy, log densities and
                // weights, and the returned draws.
                let per = (dim as u128) * 8 * 2 + 7 * 8 + draw;
                per_event(format!("{} SMC particles × {dim} coordinates", format_count(c.n_particles as u128)), mul(c.n_particles as u128, per))
                    .map_err(|e| over("sampler.n_particles", e))?;
            }
            SamplerConfig::Octree(c) => {
                // Per cell: corner and width per axis, log density, first
                // child, and its heap entry.
                let per_cell = (dim as u128) * 16 + 16 + 16;
                per_event(format!("oct-tree of {} cells in {dim} dimensions", format_count(c.max_cells as u128)), mul(c.max_cells as u128, per_cell))
                    .map_err(|e| over("sampler.max_cells", e))?;
                per_event(format!("{} oct-tree draws × {dim} coordinates", format_count(c.n_draws as u128)), mul(c.n_draws as u128, draw))
                    .map_err(|e| over("sampler.n_draws", e))?;
            }
            SamplerConfig::Importance(c) => per_event(
                format!("{} importance draws per stage × {dim} coordinates (a stage, the best one kept, its pruned copy)", format_count(c.max_draws as u128)),
                product([c.max_draws as u128, draw + 16, IMPORTANCE_COPIES]),
            )
            .map_err(|e| over("sampler.max_draws", e))?,
        }

        let n = self.diagnostics.n_prior_draws as u128;
        per_event(format!("{} prior draws' log-likelihoods", format_count(n)), mul(n, 8))
            .map_err(|e| over("diagnostics.n_prior_draws", e))?;

        let s = &self.pipeline.synthetic;
        let synth = crate::synth::SynthConfig::default();
        budget
            .check(
                format!(
                    "synthetic records of {} h at {} Hz × 3 channels × {} station(s)",
                    s.duration_hours,
                    synth.sampling_rate_hz,
                    synth.stations.len()
                ),
                records_bytes(s.duration_hours * 3600.0, synth.sampling_rate_hz, 3 * synth.stations.len(), SYNTHETIC_BYTES_PER_SAMPLE),
            )
            .map_err(|e| over("pipeline.synthetic.duration_hours", e))?;
        Ok(())
    }
}
