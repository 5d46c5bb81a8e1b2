//! Markov chains per mode region and their post-stratification by the
//! pilot's masses (steps 2 and 3 of a Markov location run; step 1, the
//! pilot, is [`super::pilot`]). ADVI takes the same path, one fit per
//! "chain" (draws i.i.d. from each fitted Gaussian), without step 2b, its
//! merged draws then corrected by importance sampling
//! ([`super::population_correction`]); so does SMC from a local reference,
//! with `n_chains` independent runs per region sharing its particles,
//! each run's particles shuffled (their stored order, resampled copies
//! side by side, means nothing) so that R-hat and ESS measure how much the
//! runs disagree.
//!
//! 2. **Chains.** Every region with `M_l >=` [`MIN_MODE_MASS`] gets
//!    `n_chains` chains started from its own pilot particles (heaviest
//!    region first; lighter regions' mass is dropped and reported). The
//!    heaviest region's chains keep the configured draws per chain `n`; a
//!    lighter region's chains get `n · M_l / M_max` (at least
//!    [`MIN_MODE_DRAWS`]), each with the full warm-up. Draws in proportion
//!    to mass minimise the combined error `Σ_l M_l² / ESS_l` for a given
//!    total (with `ESS_l ∝ N_l`), and the combined ESS is then at least
//!    what `n` draws per chain give in a single mode, so a light second
//!    mode costs its warm-up and a few draws instead of a second full run.
//!    2b. **Run length driven by convergence.** A region whose chains end
//!    with R-hat above [`crate::config::DiagnosticsConfig::max_rhat`] is run
//!    again from the same starts with twice its draws per chain (fresh
//!    seeds, full warm-up), at most [`MAX_DOUBLINGS`] times, before its
//!    R-hat is allowed to flag the location. Rank-normalised split R-hat of
//!    `m` well-mixed chains is about `1 + 1/ESS` per chain, so a light
//!    region's few hundred draws cross 1.01 by chance as often as not:
//!    measured on the first 100 events of the sampler agreement (dense
//!    NUTS, 4 chains), 60 of 100 right answers were flagged with the
//!    mass-proportional draws alone and 21 of 100 when every region got
//!    the full draws. Doubling where R-hat asks keeps the cheap
//!    allocation for regions that converge, and a flag that survives it
//!    means the chains still disagree after four times the effort.
//!    Not for parallel tempering: its chains leave their region by design
//!    (hot replicas hand states between modes), so a region's R-hat
//!    measures how long each chain spent in which mode rather than run
//!    length, and doubling does not cure it (40 agreement events: 85%
//!    still flagged at 4.3 times the cost). Its regions' R-hat and ESS are
//!    therefore computed from every chain's draws inside the region
//!    (`region_tables`), the within-mode question post-stratification
//!    leaves.
//! 3. **Post-stratification.** With one region the chains are returned
//!    unchanged (equally weighted, the usual R-hat/ESS). With several, the
//!    draws are merged into one weighted set: a draw in region `l` weighs
//!    `M_l / N_l` (`N_l` = kept draws, from any chain, lying in `l`), so
//!    each region keeps its pilot mass and the shape inside it comes from
//!    the chains. This is exact when the chains sample the posterior
//!    restricted to the regions they visit (they need not stay in their own
//!    region). R-hat and ESS are computed per region
//!    ([`super::RunDiagnostics::modes`]); the reported ESS combines them as
//!    `1 / Σ_l M_l² / ESS_l`. The MCSE of the mean is
//!    `sqrt(Σ_l M_l² MCSE_l² + Σ_l M_l (μ_l − μ)² / n_eff)`, the second
//!    term being the pilot's error in the masses moving the mean between
//!    modes, with `n_eff` the Kish ESS of the importance pilot, or
//!    [`super::PILOT_ESS_FRACTION`] `×` [`super::PILOT_PARTICLES`] for SMC (its particles
//!    share ancestors, so their effective number for a mass is a fraction
//!    of their count, measured as the constant's doc says). A region that
//!    got chains but
//!    whose chains all left it makes the location untrustworthy.


use super::event::Sampled;
use super::pilot::Pilot;
use crate::posterior::LocationPosterior;
use crate::summary::modes::region_label;
use eqnemix_samplers::any::SamplerConfig;
use eqnemix_samplers::diagnostics::{nan_aware_max, Summary};
use eqnemix_samplers::Draws;
use serde::{Deserialize, Serialize};

/// Fewest draws per chain in a lighter mode region: enough for its R-hat
/// and ESS (with 100, the 400 draws of [`crate::config::DiagnosticsConfig::min_ess`] for 4
/// chains, a 0.12 mode of the benchmark event had R-hat 1.03 > 1.01).
pub const MIN_MODE_DRAWS: usize = 200;

/// Draws per chain for a mode region of pilot mass `mass` when the heaviest
/// region has `heaviest` and gets `n` (module doc, step 2).
fn mode_draws(n: usize, mass: f64, heaviest: f64) -> usize {
    let share = if heaviest > 0.0 { (mass / heaviest).min(1.0) } else { 1.0 };
    ((n as f64 * share).ceil() as usize).clamp(MIN_MODE_DRAWS.min(n), n)
}

/// A mode region whose pilot mass is below this gets no chains; its mass is
/// dropped and reported ([`super::RunDiagnostics::dropped_mass`]).
pub const MIN_MODE_MASS: f64 = 0.01;

/// One mode region of a Markov run (see the module doc).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModeRun {
    /// Cluster id of the region (the prior component with the largest
    /// responsibility there); `None` for the uniform background.
    pub cluster: Option<usize>,
    /// Posterior mass of the region from the pilot SMC run, renormalised
    /// over the regions that got chains: the weight of its draws.
    pub mass: f64,
    /// Chains started in the region.
    pub n_chains: usize,
    /// Share of all kept Markov draws that lie in the region.
    pub draw_share: f64,
    /// Largest R-hat over coordinates of the region's chains.
    pub max_rhat: f64,
    /// Smallest bulk ESS over coordinates of the region's chains.
    pub min_ess_bulk: f64,
    /// Smallest tail ESS over coordinates of the region's chains.
    pub min_ess_tail: f64,
    /// Mean of the region's chains per coordinate (km; s).
    pub mean: Vec<f64>,
}

/// Times a mode region's chains are re-run with twice their draws when
/// their R-hat exceeds the rule (module doc, step 2b).
pub const MAX_DOUBLINGS: usize = 2;

impl Pilot {
    /// Positions in `self.modes` of the regions whose chains (`nc` per
    /// region, in the order of `self.modes`) have R-hat above `max_rhat`
    /// (module doc, step 2b). None with a single chain per region, where
    /// R-hat does not apply.
    pub(super) fn unconverged(&self, chains: &[Draws], nc: usize, names: &[&str], max_rhat: f64) -> Vec<usize> {
        if nc < 2 {
            return Vec::new();
        }
        chains
            .chunks(nc)
            .enumerate()
            .filter(|(_, g)| Summary::from_chains(g, names).map_or(false, |t| !(t.max_rhat() <= max_rhat)))
            .map(|(m, _)| m)
            .collect()
    }

    /// The sampler of each mode region, in the order of `self.modes`: the
    /// heaviest region keeps the configured draws per chain `n`; a lighter
    /// region `l` gets `n · M_l / M_max`, at least [`MIN_MODE_DRAWS`]
    /// (module doc).
    pub(super) fn mode_samplers(&self, sampler: &SamplerConfig) -> Vec<SamplerConfig> {
        let Some(n) = sampler.n_draws() else {
            return vec![sampler.clone(); self.modes.len()];
        };
        let heaviest = self.mass[self.modes[0]];
        self.modes
            .iter()
            .map(|&l| sampler.with_n_draws(mode_draws(n, self.mass[l], heaviest)))
            .collect()
    }

    /// Diagnose and combine `chains` (`nc` per mode, in the order of
    /// `self.modes`): one mode gives the chains unchanged; several give one
    /// merged draw set post-stratified by region (module doc). With
    /// `hopping` (parallel tempering, whose chains move between modes by
    /// design), a region's R-hat and ESS come from every chain's draws
    /// inside it ([`region_tables`]) rather than from the chains started
    /// there.
    pub(super) fn combine(&self, posterior: &LocationPosterior, chains: Vec<Draws>, nc: usize, names: &[&str], hopping: bool) -> Sampled {
        let kept: f64 = self.modes.iter().map(|&l| self.mass[l]).sum();
        let dropped = (1.0 - kept).max(0.0);
        let k = posterior.prior().n_clusters();
        let labels: Vec<Vec<usize>> =
            chains.iter().map(|c| c.iter().map(|x| region_label(posterior.prior(), x)).collect()).collect();
        let n_all: usize = labels.iter().map(|l| l.len()).sum();
        let mut count = vec![0usize; k + 1];
        labels.iter().flatten().for_each(|&l| count[l] += 1);
        let groups: Vec<Option<Summary>> = if hopping && self.modes.len() > 1 {
            region_tables(&chains, &labels, &self.modes, names)
        } else {
            chains.chunks(nc).map(|g| Summary::from_chains(g, names).ok()).collect()
        };
        let modes: Vec<ModeRun> = self
            .modes
            .iter()
            .zip(&groups)
            .map(|(&l, t)| ModeRun {
                cluster: (l < k).then_some(l),
                mass: self.mass[l] / kept,
                n_chains: nc,
                draw_share: count[l] as f64 / n_all.max(1) as f64,
                max_rhat: t.as_ref().map_or(f64::NAN, |t| t.max_rhat()),
                min_ess_bulk: t.as_ref().map_or(f64::NAN, Summary::min_ess_bulk),
                min_ess_tail: t.as_ref().map_or(f64::NAN, Summary::min_ess_tail),
                // Without a table (too few draws for one), the plain mean of
                // the draws in the region (NaN where there are none).
                mean: t.as_ref().map_or_else(
                    || {
                        let xs: Vec<&[f64]> = chains.iter().zip(&labels).flat_map(|(c, ls)| c.iter().zip(ls).filter(|(_, &m)| m == l).map(|(x, _)| x)).collect();
                        (0..chains[0].dim).map(|a| xs.iter().map(|x| x[a]).sum::<f64>() / xs.len() as f64).collect()
                    },
                    |t| t.rows.iter().map(|r| r.mean).collect(),
                ),
            })
            .collect();
        if self.modes.len() == 1 {
            let table = groups.into_iter().next().flatten();
            let mut s = Sampled::from_table(chains.clone(), chains, table, nc > 1, false);
            s.modes = modes;
            s.dropped_mass = dropped;
            s.pilot = Some(self.masses());
            return s;
        }
        // Post-stratification: a draw in region l weighs mass_l / (draws in l).
        let mut lost = Vec::new();
        let mut weight_of = vec![0.0; k + 1];
        for &l in &self.modes {
            if count[l] > 0 {
                weight_of[l] = self.mass[l] / kept / count[l] as f64;
            } else {
                lost.push(if l < k { format!("cluster {l}") } else { "background".to_string() });
            }
        }
        let dim = chains[0].dim;
        let mut merged = Draws::new(dim);
        let mut w = Vec::with_capacity(n_all);
        for (c, ls) in chains.iter().zip(&labels) {
            for (i, x) in c.iter().enumerate() {
                merged.push(x, c.stats[i].clone());
                w.push(weight_of[ls[i]]);
            }
        }
        let sw: f64 = w.iter().sum();
        w.iter_mut().for_each(|v| *v /= sw);
        merged.weights = Some(w);
        // Combined errors (module doc): within-mode MCSEs weighted by mass,
        // plus the pilot's error in the masses moving the mean between modes.
        let m: Vec<f64> = modes.iter().map(|r| r.mass).collect();
        let mean: Vec<f64> = (0..dim).map(|a| modes.iter().zip(&m).map(|(r, w)| w * r.mean.get(a).copied().unwrap_or(f64::NAN)).sum()).collect();
        let n_eff = self.n_eff;
        let mcse: Vec<f64> = (0..dim)
            .map(|a| {
                let within: f64 = groups
                    .iter()
                    .zip(&m)
                    .map(|(t, w)| t.as_ref().map_or(f64::NAN, |t| (w * t.rows[a].mcse_mean).powi(2)))
                    .sum();
                let between: f64 = modes.iter().zip(&m).map(|(r, w)| w * (r.mean[a] - mean[a]).powi(2)).sum::<f64>() / n_eff;
                (within + between).sqrt()
            })
            .collect();
        let combined = |f: &dyn Fn(&ModeRun) -> f64| 1.0 / modes.iter().zip(&m).map(|(r, w)| w * w / f(r)).sum::<f64>();
        Sampled {
            chains: vec![merged],
            // The merged population is the chains one after the other.
            chain_lengths: vec![chains.iter().map(Draws::n_draws).collect()],
            raw_chains: chains,
            table: None,
            max_rhat: nan_aware_max(modes.iter().map(|r| r.max_rhat)),
            min_ess_bulk: combined(&|r| r.min_ess_bulk),
            min_ess_tail: combined(&|r| r.min_ess_tail),
            mcse_mean: mcse,
            rhat_applies: nc > 1,
            weighted_population: false,
            modes,
            dropped_mass: dropped,
            pilot: Some(self.masses()),
            importance: None,
            lost_modes: (!lost.is_empty()).then(|| format!("no chain stayed in the mode region of {} (its pilot mass is dropped)", lost.join(", "))),
        }
    }
}

/// Fewest draws a chain must have inside a mode region to count in that
/// region's R-hat and ESS when chains hop between regions ([`region_tables`]).
pub const MIN_REGION_SUBCHAIN: usize = 100;

/// Per mode region (in the order of `regions`), the R-hat/ESS table of the
/// chains' draws inside it: each chain's draws labelled with the region
/// (`labels`, per chain and draw), in their order, as a sub-chain; the
/// sub-chains with at least [`MIN_REGION_SUBCHAIN`] draws, cut to the
/// shortest of them (R-hat compares equal-length chains), need to be at
/// least two for a table (`None` otherwise).
///
/// Why (parallel tempering): its chains leave the region they started in
/// whenever a hot replica hands down a state from another mode, so the
/// chains started in a region are a mix of modes, and their R-hat measures
/// how long each chain spent in which mode, not whether the draws inside a
/// mode agree; with the masses taken from the pilot (post-stratification),
/// only the within-mode question matters. A sub-chain is the chain's
/// visits to the region joined end to end: its draws still follow the
/// posterior restricted to the region, and split R-hat compares its halves
/// and the other chains' as usual.
fn region_tables(chains: &[Draws], labels: &[Vec<usize>], regions: &[usize], names: &[&str]) -> Vec<Option<Summary>> {
    regions
        .iter()
        .map(|&l| {
            let subs: Vec<Draws> = chains
                .iter()
                .zip(labels)
                .map(|(c, ls)| {
                    let mut d = Draws::new(c.dim);
                    for (i, x) in c.iter().enumerate().filter(|(i, _)| ls[*i] == l) {
                        d.push(x, c.stats[i].clone());
                    }
                    d
                })
                .filter(|d| d.n_draws() >= MIN_REGION_SUBCHAIN)
                .collect();
            if subs.len() < 2 {
                return None;
            }
            let n = subs.iter().map(Draws::n_draws).min().unwrap_or(0);
            let cut: Vec<Draws> = subs
                .iter()
                .map(|d| {
                    let mut c = Draws::new(d.dim);
                    for (i, x) in d.iter().take(n).enumerate() {
                        c.push(x, d.stats[i].clone());
                    }
                    c
                })
                .collect();
            Summary::from_chains(&cut, names).ok()
        })
        .collect()
}
