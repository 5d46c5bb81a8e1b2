//! Do the location samplers agree with an exact answer on multimodal
//! events, and do their flags say when they do not? The shared machinery of
//! `examples/sampler_agreement.rs` (the full study) and
//! `tests/sampler_agreement.rs` (its fixed-seed subset).
//!
//! **The events.** Events of the standard synthetic region
//! ([`SyntheticRegion::standard`]: one station, five strike-elongated
//! cluster Gaussians, a four-layer crust) located from their S-P time alone,
//! kept when the posterior is multimodal: at least two mode regions (prior
//! clusters or the background) hold at least [`MIN_SECOND_MODE`] of the
//! reference's mass each.
//!
//! **The reference.** A dense grid over the region box
//! ([`GridPosterior`], midpoint rule): for a smooth integrand whose width
//! (the S-P shell's thickness, 0.7 km and more here) is comparable to the
//! cell, the midpoint rule converges spectrally (its error on a Gaussian of
//! sd `σ` sampled every `h` is about `exp(−2π²σ²/h²)`, below 1e-6 for
//! `h ≤ 1.3 σ`), so with 0.6 km cells its cluster probabilities and
//! means are exact to far below any sampler's Monte Carlo error
//! (`tests/samplers_agree.rs` checks 0.6 against 1 km cells).
//!
//! **Right and wrong** (issue 11): a location is *wrong* when some cluster
//! probability is off by more than [`WRONG_PROBABILITY`] or some coordinate
//! of the mean by more than 2 MCSE + 0.5 km (the MCSE the sampler reports);
//! a good flag catches the wrong ones and spares the right ones.

use crate::grid_posterior::GridPosterior;
use crate::likelihood::LikelihoodOptions;
use crate::locate::EventLocation;
use crate::posterior::LocationPosterior;
use crate::prior::PriorOptions;
use crate::synthetic_region::{SyntheticError, SyntheticEvent, SyntheticRegion};

/// Second-heaviest mode region's reference mass for an event to count as
/// multimodal.
pub const MIN_SECOND_MODE: f64 = 0.01;

/// A cluster probability off by more than this makes a location wrong.
pub const WRONG_PROBABILITY: f64 = 0.05;

/// Reference grid cells `[east, north, depth]` over the standard region's
/// 120 × 120 × 30 km box: 0.6 km cells.
pub const REFERENCE_GRID: [usize; 3] = [200, 200, 50];

/// One multimodal event with its exact answer.
pub struct ReferenceEvent {
    /// The synthetic event.
    pub event: SyntheticEvent,
    /// Its S-P posterior.
    pub posterior: LocationPosterior,
    /// The dense-grid answer.
    pub grid: GridPosterior,
}

impl ReferenceEvent {
    /// Reference probability of every mode region: the clusters in id
    /// order, then the background.
    pub fn probabilities(&self) -> Vec<f64> {
        let mut p = self.grid.cluster_probabilities.clone();
        p.push(self.grid.background_probability);
        p
    }
}

/// The first `n` multimodal events (module doc) of `stream`, scanning at
/// most `max_scanned` events, each with its grid reference on `grid` cells.
/// Grids are evaluated in parallel inside [`GridPosterior::evaluate`].
pub fn multimodal_events(
    region: &SyntheticRegion,
    n: usize,
    stream: u64,
    grid: [usize; 3],
    max_scanned: usize,
) -> Result<Vec<ReferenceEvent>, SyntheticError> {
    let mut out = Vec::with_capacity(n);
    let opts = LikelihoodOptions { back_azimuth: false, ..Default::default() };
    for i in 0..max_scanned {
        if out.len() == n {
            break;
        }
        let event = region.draw_event(i, stream)?;
        let posterior = region.posterior(&event, &opts, &PriorOptions::default())?;
        // A coarse look first: most events are unimodal and need no fine grid.
        let Ok(coarse) = GridPosterior::evaluate(&posterior, [60, 60, 15]) else { continue };
        let mut p = coarse.cluster_probabilities.clone();
        p.push(coarse.background_probability);
        if p.iter().filter(|&&v| v >= 0.5 * MIN_SECOND_MODE).count() < 2 {
            continue;
        }
        let Ok(fine) = GridPosterior::evaluate(&posterior, grid) else { continue };
        let r = ReferenceEvent { event, posterior, grid: fine };
        let mut p = r.probabilities();
        p.sort_by(|a, b| b.total_cmp(a));
        if p.len() >= 2 && p[1] >= MIN_SECOND_MODE {
            out.push(r);
        }
    }
    Ok(out)
}

/// How one location compares with its reference.
#[derive(Debug, Clone, PartialEq)]
pub struct AgreementScore {
    /// Largest `|p − p_ref|` over the clusters and the background.
    pub max_probability_error: f64,
    /// Largest `|mean − mean_ref| / (2 MCSE + 0.5 km)` over the coordinates
    /// (above 1: the mean is off).
    pub mean_error_ratio: f64,
    /// Wrong by the module doc's rule.
    pub wrong: bool,
    /// Flagged untrustworthy.
    pub flagged: bool,
}

/// Score `loc` against `reference`.
pub fn score(loc: &EventLocation, reference: &ReferenceEvent) -> AgreementScore {
    let s = &loc.summary;
    let mut p = s.cluster_probabilities.clone();
    p.push(s.background_probability);
    let max_probability_error = p
        .iter()
        .zip(reference.probabilities())
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max);
    let mean_error_ratio = (0..3)
        .map(|a| {
            let mcse = loc.diagnostics.mcse_mean.get(a).copied().unwrap_or(f64::NAN);
            let tol = 2.0 * if mcse.is_finite() { mcse } else { 0.0 } + 0.5;
            (s.mean_km[a] - reference.grid.mean_km[a]).abs() / tol
        })
        .fold(0.0, f64::max);
    AgreementScore {
        max_probability_error,
        mean_error_ratio,
        wrong: !(max_probability_error <= WRONG_PROBABILITY && mean_error_ratio <= 1.0),
        flagged: loc.flags.untrustworthy,
    }
}
