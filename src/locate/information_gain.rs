//! The information gain `KL(posterior ‖ prior)` of a location: how much the
//! picks taught beyond the prior (the prior-dominated flag, [`super::flags`]).

use crate::posterior::LocationPosterior;
use eqnemix_samplers::importance::log_sum_exp;
use eqnemix_samplers::{chain_seed, Draws};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// `KL(posterior ‖ prior) = E_post[ln L] − ln E_prior[L]` (nats), the prior
/// restricted to the region box (see the module doc). 0 without likelihood
/// terms; NaN if no prior draw falls in the box.
pub fn information_gain(
    posterior: &LocationPosterior,
    chains: &[Draws],
    n_prior_draws: usize,
    seed: u64,
) -> f64 {
    if posterior.likelihood().n_terms() == 0 {
        return 0.0;
    }
    let split = |x: &[f64]| ([x[0], x[1], x[2]], x.get(3).copied());
    // E_post[ln L]: equally weighted chains, or importance weights.
    let max_draws = 4000usize;
    let (mut s, mut sw) = (0.0, 0.0);
    let n_all: usize = chains.iter().map(|c| c.n_draws()).sum();
    let stride = n_all.div_ceil(max_draws).max(1);
    for c in chains {
        let tot: f64 = c.weights.as_ref().map_or(c.n_draws() as f64, |w| w.iter().sum());
        for (i, x) in c.iter().enumerate().step_by(stride) {
            let w = c.weights.as_ref().map_or(1.0, |w| w[i]) / tot;
            let (p, t0) = split(x);
            let ll = posterior.log_likelihood(p, t0);
            if ll.is_finite() && w > 0.0 {
                s += w * ll;
                sw += w;
            }
        }
    }
    if sw <= 0.0 {
        return f64::NAN;
    }
    let post_ll = s / sw;
    // ln E_prior[L] by log-mean-exp over prior draws inside the box.
    let mut rng = ChaCha8Rng::seed_from_u64(chain_seed(seed, usize::MAX - 1));
    let (lo, hi) = posterior.bounds();
    let mut lls = Vec::with_capacity(n_prior_draws);
    let mut tries = 0;
    while lls.len() < n_prior_draws && tries < 20 * n_prior_draws {
        tries += 1;
        let p = posterior.prior().sample(&mut rng);
        if !posterior.region().contains(p) {
            continue;
        }
        let t0 = (lo.len() > 3).then(|| rng.gen_range(lo[3]..hi[3]));
        lls.push(posterior.log_likelihood(p, t0));
    }
    if lls.is_empty() {
        return f64::NAN;
    }
    let ln_sum = log_sum_exp(lls.iter().copied());
    if ln_sum == f64::NEG_INFINITY {
        return f64::INFINITY;
    }
    let ln_z = ln_sum - (lls.len() as f64).ln();
    post_ll - ln_z
}
