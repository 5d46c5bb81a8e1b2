//! Highest-density intervals of one coordinate from (weighted) draws.

/// The shortest interval `[lo, hi]` holding at least `mass` of the
/// (weighted) draws `values`; `weights` need not be normalised (`None`:
/// equal weights). For a unimodal marginal this is the highest-density
/// interval; for a multimodal one it is the shortest single interval
/// (which may span a gap). `None` for no draws or `mass` outside `(0, 1]`.
pub fn hdi(values: &[f64], weights: Option<&[f64]>, mass: f64) -> Option<(f64, f64)> {
    hdi_levels(values, weights, &[mass]).pop().flatten()
}

/// [`hdi`] at each of several `masses`, sorting the draws once (the
/// location summary asks for three levels per coordinate).
pub fn hdi_levels(values: &[f64], weights: Option<&[f64]>, masses: &[f64]) -> Vec<Option<(f64, f64)>> {
    let mut pts: Vec<(f64, f64)> = match weights {
        Some(w) => values
            .iter()
            .copied()
            .zip(w.iter().copied())
            .filter(|(_, w)| *w > 0.0)
            .collect(),
        None => values.iter().map(|&v| (v, 1.0)).collect(),
    };
    pts.sort_by(|a, b| a.0.total_cmp(&b.0));
    masses.iter().map(|&m| shortest_window(&pts, m)).collect()
}

/// The shortest window of the sorted weighted points `pts` holding `mass`
/// of their weight.
fn shortest_window(pts: &[(f64, f64)], mass: f64) -> Option<(f64, f64)> {
    if pts.is_empty() || !(mass > 0.0 && mass <= 1.0) {
        return None;
    }
    let total: f64 = pts.iter().map(|p| p.1).sum();
    let target = mass * total * (1.0 - 1e-12);
    // Two pointers: for each left end i, the smallest right end j whose
    // window [i, j] holds the target mass.
    let mut best = (f64::INFINITY, pts[0].0, pts[pts.len() - 1].0);
    let mut j = 0usize;
    let mut window = 0.0; // mass of pts[i..j]
    for i in 0..pts.len() {
        while j < pts.len() && window < target {
            window += pts[j].1;
            j += 1;
        }
        if window < target {
            break;
        }
        let width = pts[j - 1].0 - pts[i].0;
        if width < best.0 {
            best = (width, pts[i].0, pts[j - 1].0);
        }
        window -= pts[i].1;
    }
    Some((best.1, best.2))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uniform_and_skewed() {
        let v: Vec<f64> = (0..100).map(|i| i as f64).collect();
        let (lo, hi) = hdi(&v, None, 0.5).unwrap();
        assert_eq!(hi - lo, 49.0);
        // Exponential-like weights: the HDI starts at the mode (0).
        let w: Vec<f64> = v.iter().map(|x| (-x / 10.0).exp()).collect();
        let (lo, hi) = hdi(&v, Some(&w), 0.9).unwrap();
        assert_eq!(lo, 0.0);
        // 90% of an exponential with scale 10 lies below ~23.
        assert!((hi - 22.0).abs() <= 1.5, "{hi}");
        assert!(hdi(&v, None, 0.0).is_none());
    }

    #[test]
    fn levels_match_brute_force() {
        // Independent reference: every (i, j) window of the sorted points,
        // the narrowest holding the mass.
        let v: Vec<f64> = (0..300).map(|i| ((i * 7919) % 300) as f64 * 0.1).collect();
        let w: Vec<f64> = v.iter().map(|x| (-(x - 12.0).powi(2) / 20.0).exp() + 0.01).collect();
        let mut pts: Vec<(f64, f64)> = v.iter().copied().zip(w.iter().copied()).collect();
        pts.sort_by(|a, b| a.0.total_cmp(&b.0));
        let total: f64 = w.iter().sum();
        let levels = [0.68, 0.9, 0.95];
        for (l, got) in levels.iter().zip(hdi_levels(&v, Some(&w), &levels)) {
            let mut best = (f64::INFINITY, 0.0, 0.0);
            for i in 0..pts.len() {
                let mut m = 0.0;
                for j in i..pts.len() {
                    m += pts[j].1;
                    if m >= l * total * (1.0 - 1e-12) {
                        if pts[j].0 - pts[i].0 < best.0 {
                            best = (pts[j].0 - pts[i].0, pts[i].0, pts[j].0);
                        }
                        break;
                    }
                }
            }
            assert_eq!(got, Some((best.1, best.2)), "level {l}");
        }
        assert_eq!(hdi_levels(&v, None, &[0.0, 1.5]), vec![None, None]);
    }

    #[test]
    fn gaussian_hdi_matches_quantiles() {
        // Deterministic Gaussian quantile grid: the 95% HDI is ±1.96.
        use statrs::distribution::{ContinuousCDF, Normal};
        let n = Normal::new(0.0, 1.0).unwrap();
        let m = 20_000;
        let v: Vec<f64> = (0..m)
            .map(|i| n.inverse_cdf((i as f64 + 0.5) / m as f64))
            .collect();
        let (lo, hi) = hdi(&v, None, 0.95).unwrap();
        assert!(
            (lo + 1.96).abs() < 0.01 && (hi - 1.96).abs() < 0.01,
            "{lo} {hi}"
        );
    }
}
