//! Splitting chains, rank normalisation and sample quantiles.

use statrs::distribution::{ContinuousCDF, Normal};

/// Split each chain into its first and second halves (a middle draw of an
/// odd-length chain is dropped), doubling the number of chains so that
/// within-chain trends show up as between-chain differences.
pub fn split_chains(chains: &[&[f64]]) -> Vec<Vec<f64>> {
    let mut out = Vec::with_capacity(2 * chains.len());
    for c in chains {
        let h = c.len() / 2;
        out.push(c[..h].to_vec());
        out.push(c[c.len() - h..].to_vec());
    }
    out
}

/// Rank-normalise pooled draws: replace each value by
/// `Phi^{-1}((r - 3/8) / (S + 1/4))` where `r` is its rank among all `S`
/// draws of all chains (ties get their average rank; Blom's offset).
pub fn rank_normalise(chains: &[&[f64]]) -> Vec<Vec<f64>> {
    let s: usize = chains.iter().map(|c| c.len()).sum();
    let mut idx: Vec<(f64, usize, usize)> = Vec::with_capacity(s);
    for (ci, c) in chains.iter().enumerate() {
        for (i, v) in c.iter().enumerate() {
            idx.push((*v, ci, i));
        }
    }
    idx.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut out: Vec<Vec<f64>> = chains.iter().map(|c| vec![0.0; c.len()]).collect();
    let normal = Normal::new(0.0, 1.0).expect("standard normal");
    let mut k = 0;
    while k < s {
        let mut e = k;
        while e + 1 < s && idx[e + 1].0 == idx[k].0 {
            e += 1;
        }
        // 1-based average rank of the tie group k..=e.
        let r = (k + e) as f64 / 2.0 + 1.0;
        let z = normal.inverse_cdf((r - 0.375) / (s as f64 + 0.25));
        for t in &idx[k..=e] {
            out[t.1][t.2] = z;
        }
        k = e + 1;
    }
    out
}

/// Sample quantile with linear interpolation between order statistics
/// (Hyndman & Fan type 7, numpy's default). `sorted` must be ascending.
pub fn quantile(sorted: &[f64], prob: f64) -> f64 {
    let n = sorted.len();
    if n == 0 {
        return f64::NAN;
    }
    let h = (n - 1) as f64 * prob.clamp(0.0, 1.0);
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(n - 1);
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ties_share_ranks_and_quantiles_interpolate() {
        let a = [1.0, 2.0, 2.0];
        let b = [0.0, 5.0, 3.0];
        let z = rank_normalise(&[&a, &b]);
        assert_eq!(z[0][1], z[0][2]);
        assert!(z[1][0] < z[0][0] && z[1][1] > z[1][2]);
        // symmetric ranks give symmetric z
        assert!((z[1][0] + z[1][1]).abs() < 1e-12);
        assert_eq!(quantile(&[0.0, 1.0, 2.0, 3.0], 0.5), 1.5);
        let s = split_chains(&[&[1.0, 2.0, 3.0, 4.0, 5.0]]);
        assert_eq!(s, vec![vec![1.0, 2.0], vec![4.0, 5.0]]);
    }
}
