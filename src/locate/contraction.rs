//! Which coordinates the picks taught something about: the posterior
//! contraction of each coordinate within its mode (the per-coordinate
//! judgement behind the prior-dominated flag, [`super::flags`]).
//!
//! The contraction of coordinate `a` (Betancourt 2018, "Calibrating model
//! based inferences and decisions"; Schad, Betancourt & Vasishth 2021) is
//!
//! ```text
//! c_a = 1 − E_post[Var(x_a | region)] / E_prior[Var(x_a | region)]
//! ```
//!
//! with the variances taken *within mode regions* (the prior cluster a
//! point belongs to, or the background: [`region_label`]), averaged over
//! the regions by their posterior masses (the summary's modes) and prior
//! masses (prior draws inside the region box). Which cluster the event
//! belongs to is what the cluster probabilities and the information gain
//! say; the contraction says whether, inside its cluster, the data narrowed
//! the coordinate beyond the cluster's own spread. (The total variance
//! would mix the two: a posterior split between two clusters 40 km apart
//! is wider than the prior in east and north while the data told a lot.)
//! With a uniform prior (one region) it is the plain variance ratio.
//!
//! `c_a` near 0: the posterior is as wide as the prior along `a`; near 1:
//! the data fixed it. A coordinate is prior-dominated when `c_a <`
//! [`MIN_CONTRACTION`]: its sd shrank by less than a factor `√2 ≈ 1.4`,
//! the per-axis shrinkage of the 1-nat rule of the information gain
//! (`3 · ln 1.4 ≈ 1` nat). One station's S-P time fixes the distance from
//! the station, not the depth inside a cluster: depth is usually
//! prior-dominated while the epicentre is not.

use crate::posterior::LocationPosterior;
use crate::summary::modes::region_label;
use crate::summary::LocationSummary;
use eqnemix_samplers::chain_seed;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// A coordinate whose contraction is below this is prior-dominated
/// (module doc).
pub const MIN_CONTRACTION: f64 = 0.5;

/// Contraction of east, north and depth (module doc) of the posterior
/// summarised by `summary`, the prior's within-region variances from up to
/// `n_prior_draws` prior draws inside the box (seeded by `seed`). `None`
/// when no prior draw falls in the box or no region holds two of them.
pub fn contraction(
    posterior: &LocationPosterior,
    summary: &LocationSummary,
    n_prior_draws: usize,
    seed: u64,
) -> Option<[f64; 3]> {
    let prior = posterior.prior();
    let k = prior.n_clusters();
    // Per region: count, sum and sum of squares of each coordinate.
    let mut n = vec![0.0f64; k + 1];
    let mut s = vec![[0.0f64; 3]; k + 1];
    let mut s2 = vec![[0.0f64; 3]; k + 1];
    let mut rng = ChaCha8Rng::seed_from_u64(chain_seed(seed, usize::MAX - 8));
    let mut drawn = 0;
    for _ in 0..20 * n_prior_draws {
        if drawn == n_prior_draws {
            break;
        }
        let p = prior.sample(&mut rng);
        if !posterior.region().contains(p) {
            continue;
        }
        drawn += 1;
        let l = region_label(prior, &p);
        n[l] += 1.0;
        for a in 0..3 {
            s[l][a] += p[a];
            s2[l][a] += p[a] * p[a];
        }
    }
    let counted: f64 = (0..=k).filter(|&l| n[l] >= 2.0).map(|l| n[l]).sum();
    if counted <= 0.0 {
        return None;
    }
    let mut prior_var = [0.0; 3];
    for l in (0..=k).filter(|&l| n[l] >= 2.0) {
        for a in 0..3 {
            let m = s[l][a] / n[l];
            let v = (s2[l][a] / n[l] - m * m).max(0.0) * n[l] / (n[l] - 1.0);
            prior_var[a] += n[l] / counted * v;
        }
    }
    let mass: f64 = summary.modes.iter().map(|m| m.mass).sum();
    if !(mass > 0.0) {
        return None;
    }
    let mut out = [0.0; 3];
    for a in 0..3 {
        let post_var: f64 = summary.modes.iter().map(|m| m.mass / mass * m.cov_km2[a][a]).sum();
        out[a] = if prior_var[a] > 0.0 { 1.0 - post_var / prior_var[a] } else { f64::NAN };
    }
    Some(out)
}
