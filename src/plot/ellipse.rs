//! Confidence ellipses of 2D Gaussians (for maps of clusters and posteriors).
//!
//! For a 2D Gaussian `N(μ, Σ)` the set `{x : (x-μ)ᵀ Σ⁻¹ (x-μ) = k²}` is the
//! "k-sigma" ellipse. Its semi-axes are `k √λ₁`, `k √λ₂` (eigenvalues of Σ)
//! along the eigenvectors, and it encloses probability `1 - exp(-k²/2)`:
//! 39.3 % for k = 1, **86.5 % for k = 2**, 98.9 % for k = 3 (not the 1D
//! 68/95/99.7 %). Use [`n_sigma_for_probability_2d`] to draw, e.g., a 95 %
//! ellipse (k = 2.448).
//!
//! Units follow the input (eqnemix: km for means, km² for covariances).
//!
//! ```
//! use eqnemix::plot::ellipse::{confidence_ellipse, ellipse_axes};
//! let cov = [[4.0, 0.0], [0.0, 1.0]];
//! let axes = ellipse_axes(cov, 2.0).unwrap();
//! assert!((axes.semi_major - 4.0).abs() < 1e-12 && (axes.semi_minor - 2.0).abs() < 1e-12);
//! let ring = confidence_ellipse([10.0, 5.0], cov, 2.0, 64).unwrap();
//! assert_eq!(ring.len(), 65); // closed: last point repeats the first
//! ```

use nalgebra::{Matrix2, SymmetricEigen};

/// Why an ellipse cannot be drawn.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EllipseError {
    /// The covariance is not finite, not symmetric or not positive definite.
    #[error("covariance {cov:?} is not a finite symmetric positive-definite 2x2 matrix")]
    NotPositiveDefinite {
        /// The covariance given.
        cov: [[f64; 2]; 2],
    },
    /// `n_sigma` is not a positive finite number.
    #[error("n_sigma must be positive and finite (got {0})")]
    BadScale(f64),
}

/// Semi-axes and orientation of a k-sigma ellipse.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EllipseAxes {
    /// Semi-major axis (input units, e.g. km).
    pub semi_major: f64,
    /// Semi-minor axis.
    pub semi_minor: f64,
    /// Azimuth of the major axis, degrees clockwise from north (+y), in
    /// `[0, 180)` (an axis has no sense): the seismologist's strike of the ellipse.
    pub major_azimuth_deg: f64,
}

fn eigen(cov: [[f64; 2]; 2]) -> Result<SymmetricEigen<f64, nalgebra::U2>, EllipseError> {
    let m = Matrix2::new(cov[0][0], cov[0][1], cov[1][0], cov[1][1]);
    let scale = cov[0][0].abs().max(cov[1][1].abs());
    let ok = m.iter().all(|x| x.is_finite())
        && (cov[0][1] - cov[1][0]).abs() <= 1e-12 * scale.max(f64::MIN_POSITIVE)
        && cov[0][0] > 0.0
        && cov[0][0] * cov[1][1] - cov[0][1] * cov[1][0] > 0.0;
    if !ok {
        return Err(EllipseError::NotPositiveDefinite { cov });
    }
    Ok(SymmetricEigen::new(m))
}

/// Semi-axes and major-axis azimuth of the `n_sigma` ellipse of `cov`
/// (`[[σ_ee, σ_en], [σ_ne, σ_nn]]`, x east, y north).
pub fn ellipse_axes(cov: [[f64; 2]; 2], n_sigma: f64) -> Result<EllipseAxes, EllipseError> {
    if !(n_sigma.is_finite() && n_sigma > 0.0) {
        return Err(EllipseError::BadScale(n_sigma));
    }
    let e = eigen(cov)?;
    let (imax, imin) = if e.eigenvalues[0] >= e.eigenvalues[1] {
        (0, 1)
    } else {
        (1, 0)
    };
    let v = e.eigenvectors.column(imax);
    // Azimuth clockwise from north of the vector (east = v[0], north = v[1]).
    let mut az = v[0].atan2(v[1]).to_degrees().rem_euclid(180.0);
    if az >= 180.0 {
        az = 0.0;
    }
    Ok(EllipseAxes {
        semi_major: n_sigma * e.eigenvalues[imax].sqrt(),
        semi_minor: n_sigma * e.eigenvalues[imin].sqrt(),
        major_azimuth_deg: az,
    })
}

/// Closed polyline (`n_points + 1` points, the last equal to the first) of the
/// `n_sigma` ellipse of `N(mean, cov)`: `mean + n_sigma · V √Λ (cos t, sin t)`.
pub fn confidence_ellipse(
    mean: [f64; 2],
    cov: [[f64; 2]; 2],
    n_sigma: f64,
    n_points: usize,
) -> Result<Vec<(f64, f64)>, EllipseError> {
    if !(n_sigma.is_finite() && n_sigma > 0.0) {
        return Err(EllipseError::BadScale(n_sigma));
    }
    let e = eigen(cov)?;
    let n = n_points.max(8);
    let a = n_sigma * e.eigenvalues[0].sqrt();
    let b = n_sigma * e.eigenvalues[1].sqrt();
    let (v0, v1) = (e.eigenvectors.column(0), e.eigenvectors.column(1));
    Ok((0..=n)
        .map(|i| {
            let t = std::f64::consts::TAU * (i % n) as f64 / n as f64;
            let (s, c) = t.sin_cos();
            (
                mean[0] + a * c * v0[0] + b * s * v1[0],
                mean[1] + a * c * v0[1] + b * s * v1[1],
            )
        })
        .collect())
}

/// Probability mass of a 2D Gaussian inside its `n_sigma` ellipse: `1 - exp(-k²/2)`.
pub fn probability_within_n_sigma_2d(n_sigma: f64) -> f64 {
    -(-0.5 * n_sigma * n_sigma).exp_m1()
}

/// The `k` whose 2D ellipse encloses probability `p` in (0, 1): `√(-2 ln(1-p))`.
pub fn n_sigma_for_probability_2d(p: f64) -> f64 {
    (-2.0 * (-p).ln_1p()).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;
    use rand_distr::{Distribution, StandardNormal};

    const COV: [[f64; 2]; 2] = [[9.0, 4.0], [4.0, 4.0]];

    fn mahalanobis2(p: (f64, f64), mean: [f64; 2], cov: [[f64; 2]; 2]) -> f64 {
        let det = cov[0][0] * cov[1][1] - cov[0][1] * cov[1][0];
        let (dx, dy) = (p.0 - mean[0], p.1 - mean[1]);
        (cov[1][1] * dx * dx - 2.0 * cov[0][1] * dx * dy + cov[0][0] * dy * dy) / det
    }

    #[test]
    fn every_point_is_at_mahalanobis_k() {
        let mean = [3.0, -7.0];
        let ring = confidence_ellipse(mean, COV, 2.0, 100).unwrap();
        assert_eq!(ring.first(), ring.last());
        for p in &ring {
            assert!((mahalanobis2(*p, mean, COV) - 4.0).abs() < 1e-10);
        }
        // Polygon area (shoelace) = π k² √det Σ, to polygon-discretisation accuracy.
        let area: f64 = ring
            .windows(2)
            .map(|w| w[0].0 * w[1].1 - w[1].0 * w[0].1)
            .sum::<f64>()
            .abs()
            / 2.0;
        let exact = std::f64::consts::PI * 4.0 * (9.0f64 * 4.0 - 16.0).sqrt();
        assert!((area / exact - 1.0).abs() < 3e-3, "{area} vs {exact}");
    }

    #[test]
    fn axes_and_azimuth() {
        let a = ellipse_axes([[1.0, 0.0], [0.0, 4.0]], 1.0).unwrap();
        assert!((a.semi_major - 2.0).abs() < 1e-12 && (a.semi_minor - 1.0).abs() < 1e-12);
        assert!(a.major_azimuth_deg.abs() < 1e-9 || (a.major_azimuth_deg - 180.0).abs() < 1e-9);
        let a = ellipse_axes([[4.0, 0.0], [0.0, 1.0]], 1.0).unwrap();
        assert!((a.major_azimuth_deg - 90.0).abs() < 1e-9);
        // Elongated along NE (azimuth 45°): Σ = R diag(9, 1) Rᵀ.
        let a = ellipse_axes([[5.0, 4.0], [4.0, 5.0]], 1.0).unwrap();
        assert!((a.major_azimuth_deg - 45.0).abs() < 1e-9, "{a:?}");
        assert!((a.semi_major - 3.0).abs() < 1e-12 && (a.semi_minor - 1.0).abs() < 1e-12);
        // Along NW (azimuth 135°).
        let a = ellipse_axes([[5.0, -4.0], [-4.0, 5.0]], 1.0).unwrap();
        assert!((a.major_azimuth_deg - 135.0).abs() < 1e-9, "{a:?}");
    }

    #[test]
    fn two_sigma_ellipse_holds_86_percent() {
        let l = nalgebra::Matrix2::new(COV[0][0], COV[0][1], COV[1][0], COV[1][1])
            .cholesky()
            .unwrap()
            .l();
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let n = 20_000;
        let inside = (0..n)
            .filter(|_| {
                let z = nalgebra::Vector2::new(
                    StandardNormal.sample(&mut rng),
                    StandardNormal.sample(&mut rng),
                );
                let x = l * z;
                mahalanobis2((x[0], x[1]), [0.0, 0.0], COV) <= 4.0
            })
            .count() as f64
            / n as f64;
        let p = probability_within_n_sigma_2d(2.0);
        assert!((p - 0.864_664_716_763_387).abs() < 1e-12);
        let se = (p * (1.0 - p) / n as f64).sqrt();
        assert!((inside - p).abs() < 4.0 * se, "{inside} vs {p}");
        assert!((n_sigma_for_probability_2d(p) - 2.0).abs() < 1e-12);
    }

    #[test]
    fn rejects_bad_input() {
        assert!(confidence_ellipse([0.0; 2], [[1.0, 2.0], [2.0, 1.0]], 2.0, 10).is_err());
        assert!(confidence_ellipse([0.0; 2], [[1.0, 0.0], [0.0, f64::NAN]], 2.0, 10).is_err());
        assert!(confidence_ellipse([0.0; 2], [[1.0, 0.0], [0.5, 1.0]], 2.0, 10).is_err());
        assert!(ellipse_axes([[1.0, 0.0], [0.0, 1.0]], 0.0).is_err());
    }
}
