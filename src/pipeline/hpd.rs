//! The highest-density epicentral regions of a located event, from its
//! draws: one density estimate that both draws the outline on the overview
//! map and decides whether a true epicentre lies inside the 95% region
//! (the coverage of the run report), so the report counts exactly what the
//! map shows.
//!
//! The density is the epicentral (east, north) marginal: a weighted
//! histogram of the draws on a 100 × 100 grid over their range plus 10% on
//! each side, smoothed by a Gaussian of one cell (see
//! [`crate::plot::posterior_map::Field2::from_draws`]). The level-`q`
//! region is `{f >= t_q}`, the densest cells holding mass `q`; it may be
//! several islands (a posterior with two modes), unlike an ellipse of the
//! posterior covariance, which would cover both modes and the space between.
//! Depth is not part of it: a single station constrains depth weakly, and
//! the region is the one drawn on the map.

use crate::plot::posterior_map::Field2;
use eqnemix_samplers::Draws;

/// Cells per side of the density grid.
const GRID_CELLS: usize = 100;

/// The epicentral density of an event's draws (module doc).
#[derive(Debug, Clone)]
pub struct EpicentralDensity {
    field: Field2,
    /// Total mass of the grid (the sum of the cell values).
    total: f64,
}

impl EpicentralDensity {
    /// The density of `chains` (coordinates 0 = east, 1 = north, km;
    /// weights respected); `None` without a finite draw.
    pub fn from_draws(chains: &[Draws]) -> Option<Self> {
        let (mut lo, mut hi) = ([f64::INFINITY; 2], [f64::NEG_INFINITY; 2]);
        for d in chains.iter().flat_map(|c| c.iter()) {
            for a in 0..2 {
                if d[a].is_finite() {
                    lo[a] = lo[a].min(d[a]);
                    hi[a] = hi[a].max(d[a]);
                }
            }
        }
        if !(lo[0].is_finite() && lo[1].is_finite()) {
            return None;
        }
        for a in 0..2 {
            let pad = 0.1 * (hi[a] - lo[a]).max(1.0);
            lo[a] -= pad;
            hi[a] += pad;
        }
        let field = Field2::from_draws(chains, 0, 1, lo, hi, GRID_CELLS);
        let total = field.v.iter().sum();
        (total > 0.0).then_some(EpicentralDensity { field, total })
    }

    /// Density threshold `t_q` of the level-`q` region `{f >= t_q}`.
    pub fn threshold(&self, level: f64) -> f64 {
        self.field.hpd_thresholds(&[level])[0]
    }

    /// Outline of the level-`q` region as line segments (km), as drawn.
    pub fn outline(&self, level: f64) -> Vec<[(f64, f64); 2]> {
        self.field.contour(self.threshold(level))
    }

    /// The density at `en_km` = (east, north): bilinear between the cell
    /// centres (as the outline's marching squares interpolate), the edge
    /// value between the outer centres and the grid's border, 0 outside
    /// the grid.
    pub fn density_at(&self, en_km: [f64; 2]) -> f64 {
        let f = &self.field;
        let (fx, fy) = ((en_km[0] - f.x0) / f.dx, (en_km[1] - f.y0) / f.dy);
        let (nx, ny) = (f.nx as f64, f.ny as f64);
        if !(fx >= -0.5 && fx <= nx - 0.5 && fy >= -0.5 && fy <= ny - 0.5) {
            return 0.0;
        }
        let (fx, fy) = (fx.clamp(0.0, nx - 1.0), fy.clamp(0.0, ny - 1.0));
        let (i, j) = ((fx.floor() as usize).min(f.nx - 2), (fy.floor() as usize).min(f.ny - 2));
        let (tx, ty) = (fx - i as f64, fy - j as f64);
        let v = |a: usize, b: usize| f.v[a * f.ny + b];
        (1.0 - tx) * ((1.0 - ty) * v(i, j) + ty * v(i, j + 1)) + tx * ((1.0 - ty) * v(i + 1, j) + ty * v(i + 1, j + 1))
    }

    /// Whether `en_km` lies in the level-`q` region (`f >= t_q`, the inside
    /// of the drawn outline).
    pub fn contains(&self, en_km: [f64; 2], level: f64) -> bool {
        let d = self.density_at(en_km);
        d > 0.0 && d >= self.threshold(level)
    }

    /// The credible level of `en_km`: the mass of the cells denser than
    /// the density there (0 at the mode, 1 outside the draws). The smallest
    /// highest-density region holding the point has about this mass.
    pub fn level_of(&self, en_km: [f64; 2]) -> f64 {
        let d = self.density_at(en_km);
        self.field.v.iter().filter(|&&v| v > d).sum::<f64>() / self.total
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use eqnemix_samplers::DrawStats;
    use rand::SeedableRng;
    use rand_distr::{Distribution, StandardNormal};

    /// `n` draws, a mixture of unit-variance (scaled by `sd`) Gaussians at `centres`.
    fn draws(n: usize, centres: &[[f64; 2]], sd: [f64; 2], seed: u64) -> Draws {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let mut d = Draws::new(3);
        for i in 0..n {
            let c = centres[i % centres.len()];
            let (a, b): (f64, f64) = (StandardNormal.sample(&mut rng), StandardNormal.sample(&mut rng));
            d.push(&[c[0] + sd[0] * a, c[1] + sd[1] * b, 5.0], DrawStats::default());
        }
        d
    }

    #[test]
    fn levels_of_a_gaussian_follow_the_chi_square_law() {
        // For a 2D Gaussian the HPD region through a point at Mahalanobis
        // radius r has mass 1 - f(r) / f(0) = 1 - exp(-r^2 / 2). Tolerance
        // 0.03, more than three standard errors: at the mode the density is
        // a smoothed count of ~10 000 of the 400 000 draws (cells ~0.12 sd
        // wide, ~900 draws each; the one-cell Gaussian covers ~12.6 cells),
        // 1% noise, so the level is off by ~0.01 f(r)/f(0) <= 0.006 at
        // r >= 1; the smoothing widens the Gaussian by ~0.7% (a bias below
        // 0.004).
        let chains = [draws(200_000, &[[10.0, -3.0]], [2.0, 1.0], 1), draws(200_000, &[[10.0, -3.0]], [2.0, 1.0], 2)];
        let f = EpicentralDensity::from_draws(&chains).unwrap();
        for r in [1.0f64, 2.0, 2.4477, 3.0] {
            for dir in [[1.0, 0.0], [0.6, 0.8], [0.0, -1.0]] {
                let x = [10.0 + 2.0 * r * dir[0], -3.0 + r * dir[1]];
                let want = 1.0 - (-0.5 * r * r).exp();
                let got = f.level_of(x);
                assert!((got - want).abs() < 0.03, "r {r} dir {dir:?}: level {got}, expected {want}");
            }
        }
        // The 95% region holds r = 2.3 and not r = 2.6 (its edge is r = 2.4477).
        assert!(f.contains([10.0 + 2.0 * 2.3, -3.0], 0.95));
        assert!(!f.contains([10.0, -3.0 - 2.6], 0.95));
        assert!(!f.contains([100.0, 100.0], 0.95) && f.level_of([100.0, 100.0]) == 1.0);
    }

    #[test]
    fn the_gap_between_two_modes_is_outside_the_region() {
        // Two equal modes 10 sd apart: their mean is the posterior mean, the
        // centre of every covariance ellipse, but it holds almost no mass.
        let chains = [draws(20_000, &[[-5.0, 0.0], [5.0, 0.0]], [1.0, 1.0], 3)];
        let f = EpicentralDensity::from_draws(&chains).unwrap();
        assert!(!f.contains([0.0, 0.0], 0.95));
        assert!(f.level_of([0.0, 0.0]) > 0.99, "{}", f.level_of([0.0, 0.0]));
        for m in [[-5.0, 0.0], [5.0, 0.0]] {
            assert!(f.contains(m, 0.95) && f.level_of(m) < 0.1, "{m:?}: {}", f.level_of(m));
        }
        // Two islands: the outline's segments lie on both sides of x = 0.
        let seg = f.outline(0.95);
        assert!(seg.iter().any(|s| s[0].0 < -3.0) && seg.iter().any(|s| s[0].0 > 3.0) && seg.iter().all(|s| s[0].0.abs() > 1.0));
    }
}
