//! The flags of a location: whether its draws may not represent the
//! posterior, whether the picks fit, whether the data taught anything.
//!
//! * **untrustworthy**: the draws may not represent the posterior. For
//!   Markov chains: the largest rank-normalised split R-hat over the
//!   coordinates exceeds [`DiagnosticsConfig::max_rhat`] (1.01, Vehtari et
//!   al. 2021), or the smallest bulk or tail ESS is below
//!   [`DiagnosticsConfig::min_ess`] (400, i.e. 100 per chain for 4 chains),
//!   or more than [`DiagnosticsConfig::max_divergent_fraction`] of the
//!   transitions diverged. For weighted populations (SMC, oct-tree), the
//!   Kish ESS of the weights is below `min_ess`.
//! * **misfit**: with more than 4 picks, their chi-square (residuals over
//!   their sigmas at the headline location and its best origin time)
//!   exceeds the [`DiagnosticsConfig::misfit_quantile`] (0.999) quantile of
//!   chi-square with `n − 4` degrees of freedom: an outlier pick or a wrong
//!   velocity model. Independent of how well the sampler did.
//! * **untrustworthy (importance weights)**: the Pareto k̂ of the weights
//!   exceeds [`DiagnosticsConfig::max_pareto_k`] (0.7).
//! * **prior-dominated coordinates**: those whose posterior contraction
//!   within their mode is below [`DiagnosticsConfig::min_contraction`]
//!   (0.5; [`mod@super::contraction`]), listed whether or not the event is
//!   flagged: one station usually leaves the depth inside a cluster to the
//!   prior while fixing the epicentre.
//! * **prior-dominated**: the picks taught little beyond the prior: the
//!   information gain is below its threshold (below) *and* both east and
//!   north are prior-dominated coordinates, so an event whose depth alone
//!   is prior-dominated is not flagged. The
//!   information-gain part is `KL(posterior ‖ prior)` (nats), the
//!   expected log ratio of posterior to prior density, estimated as
//!
//!   ```text
//!   KL = E_post[ln L(x)] − ln Z,     Z = E_prior[L(x)]
//!   ```
//!
//!   (both with the prior restricted to the region box; `L` the
//!   likelihood): the first term averages the log likelihood over the
//!   posterior draws, the second over [`DiagnosticsConfig::n_prior_draws`]
//!   draws from the prior (log-mean-exp). The prior-draw estimate of `Z` is
//!   accurate exactly when the posterior is close to the prior, which is
//!   the case this flag is for. The event is prior-dominated when
//!   `KL < min_information_gain_nats` (1 nat: the posterior occupies more
//!   than about 1/e of the prior's volume, as for a Gaussian whose every
//!   axis shrank by less than a factor 1.4). A location with no likelihood
//!   term has `KL = 0` exactly.
//!

use super::event::Sampled;
use super::pilot::{Pilot, PILOT_IS_MIN_ESS};
use crate::config::DiagnosticsConfig;
use crate::posterior::LocationPosterior;
use crate::summary::modes::region_label;
use crate::summary::LocationSummary;
use eqnemix_samplers::any::SamplerConfig;
use eqnemix_samplers::smc::kish_ess;
use serde::{Deserialize, Serialize};

/// The flags of a location (rules in the module doc).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LocationFlags {
    /// The draws may not represent the posterior.
    pub untrustworthy: bool,
    /// The posterior is explained by the prior alone.
    pub prior_dominated: bool,
    /// The picks do not fit the headline location within their sigmas (a
    /// wrong pick, or a wrong velocity model): the posterior may be sampled
    /// faithfully and still be wrong.
    #[serde(default)]
    pub misfit: bool,
    /// Why, in words.
    pub reasons: Vec<String>,
    /// Coordinates (`east_km`, `north_km`, `depth_km`) the picks did not
    /// narrow within their mode (module doc), flagged event or not.
    #[serde(default)]
    pub prior_dominated_coordinates: Vec<String>,
}

/// What the flags are judged from, besides the summary.
pub(super) struct FlagInputs<'a> {
    pub posterior: &'a LocationPosterior,
    pub sampler: &'a SamplerConfig,
    pub run: &'a Sampled,
    pub summary: &'a LocationSummary,
    pub min_bulk: f64,
    pub min_tail: f64,
    pub n_divergent: usize,
    pub n_total: usize,
    pub gain: f64,
    /// Contraction of east, north, depth ([`super::contraction()`]).
    pub contraction: Option<[f64; 3]>,
    pub seed: u64,
}

/// The flags of one location by `rules` (module doc).
pub(super) fn flag_location(inputs: &FlagInputs, rules: &DiagnosticsConfig) -> LocationFlags {
    let FlagInputs { posterior, sampler, run, summary, min_bulk, min_tail, n_divergent, n_total, gain, contraction, seed } = *inputs;
    let mut flags = LocationFlags::default();
    if run.rhat_applies && !(run.max_rhat <= rules.max_rhat) {
        flags.untrustworthy = true;
        flags.reasons.push(format!("R-hat {:.3} > {}", run.max_rhat, rules.max_rhat));
    }
    if !(min_bulk.min(min_tail) >= rules.min_ess) {
        flags.untrustworthy = true;
        flags.reasons.push(format!(
            "ESS bulk {min_bulk:.0} / tail {min_tail:.0} < {}",
            rules.min_ess
        ));
    }
    if n_total > 0 && n_divergent as f64 > rules.max_divergent_fraction * n_total as f64 {
        flags.untrustworthy = true;
        flags.reasons.push(format!("{n_divergent} of {n_total} transitions diverged"));
    }
    // Draws from an approximation (importance weights, ADVI's fit): the
    // Pareto k̂ of target / approximation.
    if let Some(k) = run.raw_chains.iter().filter_map(|c| c.pareto_k).reduce(f64::max) {
        if !(k <= rules.max_pareto_k) {
            flags.untrustworthy = true;
            let what = if run.importance.is_some() { "importance weights" } else { "target over the approximation" };
            flags.reasons.push(format!("Pareto k̂ {k:.2} > {} ({what})", rules.max_pareto_k));
        }
    }
    if !matches!(sampler, SamplerConfig::Importance(_)) && run.modes.is_empty() {
        // Population samplers (SMC, oct-tree): their mode masses
        // against an independent importance estimate from the prior.
        if let Some(why) = mode_mass_disagreement(posterior, summary, seed) {
            flags.untrustworthy = true;
            flags.reasons.push(why);
        }
    }
    if let Some(lost) = &run.lost_modes {
        flags.untrustworthy = true;
        flags.reasons.push(lost.clone());
    }
    if let Some((chi2, n)) = posterior.residual_chi_square_at(summary.location_km) {
        if n > 4 {
            let dof = (n - 4) as f64;
            let limit = statrs::distribution::ChiSquared::new(dof)
                .map(|d| statrs::distribution::ContinuousCDF::inverse_cdf(&d, rules.misfit_quantile))
                .unwrap_or(f64::INFINITY);
            if chi2 > limit {
                flags.misfit = true;
                flags.reasons.push(format!(
                    "misfit: pick chi-square {chi2:.1} at the headline location exceeds the {} quantile {limit:.1} of chi-square({dof}) ({n} picks)",
                    rules.misfit_quantile
                ));
            }
        }
    }
    const NAMES: [&str; 3] = ["east_km", "north_km", "depth_km"];
    let weak = |a: usize| contraction.is_none_or(|c| !(c[a] >= rules.min_contraction));
    flags.prior_dominated_coordinates = (0..3).filter(|&a| weak(a)).map(|a| NAMES[a].to_string()).collect();
    if !(gain >= rules.min_information_gain_nats) && weak(0) && weak(1) {
        flags.prior_dominated = true;
        let how = match contraction {
            Some(c) => format!(
                "contraction east {:.2}, north {:.2}, depth {:.2} (prior-dominated below {})",
                c[0], c[1], c[2], rules.min_contraction
            ),
            None => "contraction not computable".to_string(),
        };
        flags.reasons.push(format!(
            "prior-dominated: information gain {gain:.2} nats < {} and the epicentre not narrowed within its mode: {how}; prior-dominated coordinates: {}",
            rules.min_information_gain_nats,
            flags.prior_dominated_coordinates.join(", ")
        ));
    }
    flags
}

/// Why the mode masses of `summary` disagree with an independent estimate,
/// if they do: prior draws weighted by the likelihood (the first stage of
/// the pilot, [`Pilot::prior_importance`]), used only when their Kish ESS
/// reaches [`PILOT_IS_MIN_ESS`]. A mode region's mass differs when the gap
/// exceeds 4 standard errors of the two estimates together
/// (`sqrt(M(1 − M)/ESS)` each, the summary's ESS its Kish ESS) plus 0.02.
/// This catches a population sampler that collapsed onto one mode (SMC
/// whose particles all went one way) or an approximation that covers one
/// mode only, which no weight diagnostic can see from the draws.
fn mode_mass_disagreement(posterior: &LocationPosterior, summary: &LocationSummary, seed: u64) -> Option<String> {
    let (particles, weights) = Pilot::prior_importance(posterior, seed)?;
    let n_ref = kish_ess(&weights);
    if n_ref < PILOT_IS_MIN_ESS {
        return None;
    }
    let k = posterior.prior().n_clusters();
    let mut reference = vec![0.0; k + 1];
    for (x, w) in particles.iter().zip(&weights) {
        reference[region_label(posterior.prior(), x)] += w;
    }
    let mut drawn = vec![0.0; k + 1];
    for m in &summary.modes {
        drawn[m.cluster.unwrap_or(k)] += m.mass;
    }
    let n_draws = summary.weights_ess.max(1.0);
    (0..=k).find_map(|l| {
        let (a, b) = (drawn[l], reference[l]);
        let se = (b * (1.0 - b) / n_ref + a * (1.0 - a) / n_draws).sqrt();
        ((a - b).abs() > 4.0 * se + 0.02).then(|| {
            let name = if l < k { format!("cluster {l}") } else { "the background".to_string() };
            format!(
                "mode masses: {name} holds {a:.3} of the draws but {b:.3} of an independent importance estimate (ESS {n_ref:.0}): the sampler missed or over-weighted a mode"
            )
        })
    })
}

