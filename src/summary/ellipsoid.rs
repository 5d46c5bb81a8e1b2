//! Credible ellipsoids (3D) and epicentral ellipses (2D) from a covariance.
//!
//! For a Gaussian posterior with covariance `C`, the region
//! `(x − m)ᵀ C⁻¹ (x − m) ≤ χ²_d(p)` holds probability `p`; its semi-axes are
//! `√(λ_i χ²_d(p))` along the eigenvectors of `C`. We use `d = 3` for the
//! hypocentral ellipsoid and `d = 2` for the epicentral ellipse (the 2D
//! marginal of east/north), so a 68% ellipse is the 68% region of the
//! epicentre itself. For a non-Gaussian (e.g. multimodal) posterior these are
//! moment-matched summaries, not exact credible regions; the HDIs and the
//! draws themselves carry the shape.
//!
//! Directions: `azimuth` in degrees clockwise from north, `plunge` in degrees
//! below the horizontal (depth positive down).
#![allow(clippy::needless_range_loop)] // loops over the 3 coordinates read best indexed

use nalgebra::{Matrix2, Matrix3, SymmetricEigen};
use serde::{Deserialize, Serialize};
use statrs::distribution::{ChiSquared, ContinuousCDF};

/// `χ²_d` quantile of probability `p` (e.g. `d = 3, p = 0.68` → 3.50).
pub fn chi_square_quantile(dof: f64, p: f64) -> f64 {
    ChiSquared::new(dof).expect("positive dof").inverse_cdf(p)
}

/// One axis of an ellipsoid.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EllipsoidAxis {
    /// Semi-axis length (km).
    pub length_km: f64,
    /// Azimuth of the axis (deg clockwise from north, `[0, 360)`; `[0, 180)`
    /// for a horizontal axis, whose sense is arbitrary).
    pub azimuth_deg: f64,
    /// Plunge below the horizontal (deg, `[0, 90]`).
    pub plunge_deg: f64,
    /// Unit vector `[east, north, depth]`, pointing down (or, if horizontal,
    /// with azimuth in `[0, 180)`).
    pub direction: [f64; 3],
}

/// A credible ellipsoid of the hypocentre.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ellipsoid {
    /// Probability content assumed Gaussian (e.g. 0.68).
    pub confidence: f64,
    /// Major, intermediate, minor axes (decreasing length).
    pub axes: [EllipsoidAxis; 3],
    /// QuakeML `majorAxisRotation` (deg, `[0, 180)`): rotation about the
    /// major axis taking the horizontal perpendicular `h = (up-free unit
    /// vector ⟂ major)` to the intermediate axis, measured towards
    /// `major × h` (see [`Ellipsoid::from_angles`] for the inverse).
    pub major_rotation_deg: f64,
}

fn axis_from(v: [f64; 3], length_km: f64) -> EllipsoidAxis {
    let mut d = v;
    let n = (d[0] * d[0] + d[1] * d[1] + d[2] * d[2]).sqrt();
    d.iter_mut().for_each(|c| *c /= n);
    let horizontal = d[2].abs() < 1e-12;
    if d[2] < 0.0
        || (horizontal && d[0].atan2(d[1]) < 0.0)
        || (horizontal && d[0] == 0.0 && d[1] < 0.0)
    {
        d.iter_mut().for_each(|c| *c = -*c);
    }
    let mut az = d[0].atan2(d[1]).to_degrees();
    if az < 0.0 {
        az += 360.0;
    }
    if horizontal && az >= 180.0 {
        az -= 180.0;
    }
    EllipsoidAxis {
        length_km,
        azimuth_deg: az,
        plunge_deg: d[2].clamp(-1.0, 1.0).asin().to_degrees(),
        direction: d,
    }
}

fn cross(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}

fn dot(a: [f64; 3], b: [f64; 3]) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

/// The horizontal unit vector perpendicular to a major axis of azimuth `az`
/// (rad): `(cos az, −sin az, 0)` in `[east, north, depth]`, i.e. 90° clockwise.
fn horizontal_perp(az_rad: f64) -> [f64; 3] {
    [az_rad.cos(), -az_rad.sin(), 0.0]
}

impl Ellipsoid {
    /// The `confidence` ellipsoid (χ² with 3 dof) of covariance `cov` (km²).
    /// `None` if `cov` has a non-finite entry or a negative eigenvalue.
    pub fn from_covariance(cov: &[[f64; 3]; 3], confidence: f64) -> Option<Self> {
        let m = Matrix3::from_fn(|i, j| 0.5 * (cov[i][j] + cov[j][i]));
        if m.iter().any(|v| !v.is_finite()) {
            return None;
        }
        let eig = SymmetricEigen::new(m);
        let mut order = [0usize, 1, 2];
        order.sort_by(|&a, &b| eig.eigenvalues[b].total_cmp(&eig.eigenvalues[a]));
        let q = chi_square_quantile(3.0, confidence);
        let scale = eig.eigenvalues.max().max(0.0);
        let mut axes = [axis_from([1.0, 0.0, 0.0], 0.0); 3];
        for (slot, &i) in order.iter().enumerate() {
            let lam = eig.eigenvalues[i];
            if lam < -1e-9 * scale {
                return None;
            }
            let v = eig.eigenvectors.column(i);
            axes[slot] = axis_from([v[0], v[1], v[2]], (lam.max(0.0) * q).sqrt());
        }
        let major = axes[0].direction;
        let h = horizontal_perp(axes[0].azimuth_deg.to_radians());
        let v = cross(major, h);
        let inter = axes[1].direction;
        let mut rot = dot(inter, v).atan2(dot(inter, h)).to_degrees();
        rot = rot.rem_euclid(180.0);
        Some(Ellipsoid {
            confidence,
            axes,
            major_rotation_deg: rot,
        })
    }

    /// Rebuild the major and intermediate axis directions from QuakeML's
    /// (azimuth, plunge, rotation) of the major axis (all deg); the inverse
    /// of [`Ellipsoid::from_covariance`]'s convention.
    pub fn from_angles(
        major_azimuth_deg: f64,
        major_plunge_deg: f64,
        major_rotation_deg: f64,
    ) -> ([f64; 3], [f64; 3]) {
        let (az, pl, ro) = (
            major_azimuth_deg.to_radians(),
            major_plunge_deg.to_radians(),
            major_rotation_deg.to_radians(),
        );
        let major = [pl.cos() * az.sin(), pl.cos() * az.cos(), pl.sin()];
        let h = horizontal_perp(az);
        let v = cross(major, h);
        let inter = [0, 1, 2].map(|i| ro.cos() * h[i] + ro.sin() * v[i]);
        (major, inter)
    }

    /// The covariance (km²) this ellipsoid describes: `Σ (L_i²/χ²₃) a_i a_iᵀ`.
    pub fn covariance(&self) -> [[f64; 3]; 3] {
        let q = chi_square_quantile(3.0, self.confidence);
        let mut c = [[0.0; 3]; 3];
        for a in &self.axes {
            let l2 = a.length_km * a.length_km / q;
            for i in 0..3 {
                for j in 0..3 {
                    c[i][j] += l2 * a.direction[i] * a.direction[j];
                }
            }
        }
        c
    }
}

/// A credible ellipse of the epicentre (east/north marginal).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Ellipse2D {
    /// Probability content assumed Gaussian.
    pub confidence: f64,
    /// Semi-major axis (km).
    pub semi_major_km: f64,
    /// Semi-minor axis (km).
    pub semi_minor_km: f64,
    /// Azimuth of the major axis (deg clockwise from north, `[0, 180)`).
    pub azimuth_deg: f64,
}

impl Ellipse2D {
    /// The `confidence` ellipse (χ² with 2 dof: `−2 ln(1 − p)`) of the
    /// east/north block of `cov` (km²).
    pub fn from_covariance(cov: &[[f64; 3]; 3], confidence: f64) -> Option<Self> {
        let m = Matrix2::new(
            cov[0][0],
            0.5 * (cov[0][1] + cov[1][0]),
            0.5 * (cov[0][1] + cov[1][0]),
            cov[1][1],
        );
        if m.iter().any(|v| !v.is_finite()) {
            return None;
        }
        let eig = SymmetricEigen::new(m);
        let (imax, imin) = if eig.eigenvalues[0] >= eig.eigenvalues[1] {
            (0, 1)
        } else {
            (1, 0)
        };
        if eig.eigenvalues[imin] < -1e-9 * eig.eigenvalues[imax].abs() {
            return None;
        }
        let q = chi_square_quantile(2.0, confidence);
        let v = eig.eigenvectors.column(imax);
        let az = v[0].atan2(v[1]).to_degrees().rem_euclid(180.0);
        Some(Ellipse2D {
            confidence,
            semi_major_km: (eig.eigenvalues[imax].max(0.0) * q).sqrt(),
            semi_minor_km: (eig.eigenvalues[imin].max(0.0) * q).sqrt(),
            azimuth_deg: az,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles() {
        assert!((chi_square_quantile(3.0, 0.95) - 7.814_727_903).abs() < 1e-6);
        assert!((chi_square_quantile(2.0, 0.68) + 2.0 * (0.32f64).ln()).abs() < 1e-9);
    }

    #[test]
    fn axis_aligned_ellipsoid() {
        let cov = [[9.0, 0.0, 0.0], [0.0, 4.0, 0.0], [0.0, 0.0, 1.0]];
        let e = Ellipsoid::from_covariance(&cov, 0.68).unwrap();
        let q = chi_square_quantile(3.0, 0.68).sqrt();
        assert!((e.axes[0].length_km - 3.0 * q).abs() < 1e-12);
        assert!((e.axes[0].azimuth_deg - 90.0).abs() < 1e-9 && e.axes[0].plunge_deg.abs() < 1e-9);
        assert!(e.axes[1].azimuth_deg.abs() < 1e-9);
        assert!((e.axes[2].plunge_deg - 90.0).abs() < 1e-9);
        let el = Ellipse2D::from_covariance(&cov, 0.68).unwrap();
        assert!((el.azimuth_deg - 90.0).abs() < 1e-9);
        assert!((el.semi_minor_km - 2.0 * chi_square_quantile(2.0, 0.68).sqrt()).abs() < 1e-12);
    }

    #[test]
    fn angles_round_trip_to_the_covariance() {
        // A rotated, plunging covariance.
        let cov = [[5.0, 1.5, 1.2], [1.5, 3.0, -0.7], [1.2, -0.7, 2.0]];
        let e = Ellipsoid::from_covariance(&cov, 0.9).unwrap();
        let back = e.covariance();
        for i in 0..3 {
            for j in 0..3 {
                assert!((back[i][j] - cov[i][j]).abs() < 1e-9, "{i}{j}");
            }
        }
        let (major, inter) = Ellipsoid::from_angles(
            e.axes[0].azimuth_deg,
            e.axes[0].plunge_deg,
            e.major_rotation_deg,
        );
        for i in 0..3 {
            assert!((major[i] - e.axes[0].direction[i]).abs() < 1e-9);
        }
        // The intermediate axis is defined up to sign.
        let d = dot(inter, e.axes[1].direction);
        assert!((d.abs() - 1.0).abs() < 1e-9, "{d}");
    }
}
