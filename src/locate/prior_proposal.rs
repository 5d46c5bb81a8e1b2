//! The prior as an importance proposal for a location posterior: the base
//! stage of the `importance` sampler
//! ([`eqnemix_samplers::importance`]).
//!
//! A single-station S-P time cuts a shell through a good share of a
//! cluster's prior mass, so prior draws weighted by the likelihood are an
//! efficient, exact way to the masses of the posterior's modes (no chain
//! has to cross between them). The proposal is the prior restricted to the
//! region box; its normalised density needs the prior's mass inside the
//! box, estimated once by [`BOX_MASS_DRAWS`] prior draws (the box is the
//! clusters' ±4 sd envelope by default, so that mass is close to 1 and its
//! estimate's relative error below 0.1%).
//!
//! With a sampled origin time (4 coordinates) the time is drawn given the
//! hypocentre from a Gaussian about the best origin time there
//! ([`LocationPosterior::origin_time_at`]) with twice its sd: the
//! likelihood's own shape in `t0`, widened so the weights stay bounded.

use crate::posterior::LocationPosterior;
use eqnemix_samplers::importance::Proposal;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// Prior draws that estimate the prior's mass inside the region box.
pub const BOX_MASS_DRAWS: usize = 20_000;

/// Rejection tries per draw before a draw is given up (returned outside the
/// box, where its weight is zero).
const MAX_TRIES: usize = 10_000;

/// Factor on the conditional sd of the origin time in the proposal.
const ORIGIN_TIME_SD_FACTOR: f64 = 2.0;

/// The prior restricted to the region box (module doc).
pub struct PriorProposal<'a> {
    posterior: &'a LocationPosterior,
    /// `ln` of the prior's mass inside the box.
    ln_box_mass: f64,
}

impl<'a> PriorProposal<'a> {
    /// The proposal of `posterior`, the box mass estimated from `seed`;
    /// `None` when no prior draw falls in the box.
    pub fn new(posterior: &'a LocationPosterior, seed: u64) -> Option<Self> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let inside = (0..BOX_MASS_DRAWS)
            .filter(|_| posterior.region().contains(posterior.prior().sample(&mut rng)))
            .count();
        (inside > 0).then(|| PriorProposal { posterior, ln_box_mass: (inside as f64 / BOX_MASS_DRAWS as f64).ln() })
    }
}

impl Proposal for PriorProposal<'_> {
    fn draw(&self, rng: &mut ChaCha8Rng, x: &mut [f64]) {
        let region = self.posterior.region();
        let mut p = self.posterior.prior().sample(rng);
        for _ in 0..MAX_TRIES {
            if region.contains(p) {
                break;
            }
            p = self.posterior.prior().sample(rng);
        }
        x[..3].copy_from_slice(&p);
        if x.len() > 3 {
            x[3] = match self.posterior.origin_time_at(p) {
                Some((t, sd)) => t + ORIGIN_TIME_SD_FACTOR * sd * rand_distr::Distribution::<f64>::sample(&rand_distr::StandardNormal, rng),
                None => f64::NAN,
            };
        }
    }

    fn log_density(&self, x: &[f64]) -> f64 {
        let p = [x[0], x[1], x[2]];
        if !self.posterior.region().contains(p) {
            return f64::NEG_INFINITY;
        }
        let mut l = self.posterior.prior().log_density(p) - self.ln_box_mass;
        if x.len() > 3 {
            l += match self.posterior.origin_time_at(p) {
                Some((t, sd)) if sd > 0.0 && x[3].is_finite() => {
                    let s = ORIGIN_TIME_SD_FACTOR * sd;
                    -0.5 * ((x[3] - t) / s).powi(2) - s.ln() - 0.5 * (2.0 * std::f64::consts::PI).ln()
                }
                _ => f64::NEG_INFINITY,
            };
        }
        l
    }
}
