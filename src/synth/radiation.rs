//! Far-field radiation of a double-couple source (Aki & Richards 2002,
//! eq. 4.89): the P, SV and SH coefficients for a fault of strike, dip and
//! rake and a ray leaving the source at a take-off angle and azimuth.
//!
//! Conventions: angles in radians; strike and ray azimuth clockwise from
//! north; dip in [0, pi/2]; take-off angle from the downward vertical.
//! Positive P is compression (motion along the ray, away from the source);
//! SV and SH follow Aki & Richards' unit vectors.
//!
//! Assumption: at the frequencies of local records (a few Hz and above)
//! scattering in the crust smears the pattern (e.g. Takemura et al. 2009),
//! so [`DoubleCouple::smoothed`] mixes the point-source coefficient with
//! the focal-sphere average in energy: no arrival is exactly nodal.

use rand::Rng;
use std::f64::consts::{PI, TAU};

/// A double-couple mechanism (radians).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DoubleCouple {
    pub strike: f64,
    pub dip: f64,
    pub rake: f64,
}

/// Share of the focal-sphere average energy in [`DoubleCouple::smoothed`].
pub const SCATTERED_SHARE: f64 = 0.3;

impl DoubleCouple {
    /// A random mechanism: strike and rake uniform, fault normal uniform
    /// on the sphere (cos dip uniform in [0, 1]).
    pub fn random<R: Rng>(rng: &mut R) -> Self {
        DoubleCouple {
            strike: rng.gen_range(0.0..TAU),
            dip: rng.gen_range(0.0f64..1.0).acos(),
            rake: rng.gen_range(-PI..PI),
        }
    }

    /// Point-source `(F_P, F_SV, F_SH)` for take-off angle `takeoff` and ray
    /// azimuth `azimuth` (Aki & Richards eq. 4.89).
    pub fn pattern(&self, takeoff: f64, azimuth: f64) -> (f64, f64, f64) {
        let (sl, cl) = self.rake.sin_cos();
        let (sd, cd) = self.dip.sin_cos();
        let (s2d, c2d) = (2.0 * self.dip).sin_cos();
        let (si, ci) = takeoff.sin_cos();
        let (s2i, c2i) = (2.0 * takeoff).sin_cos();
        let phi = azimuth - self.strike;
        let (sp, cp) = phi.sin_cos();
        let (s2p, c2p) = (2.0 * phi).sin_cos();
        let fp = cl * sd * si * si * s2p - cl * cd * s2i * cp + sl * s2d * (ci * ci - si * si * sp * sp) + sl * c2d * s2i * sp;
        let fsv = sl * c2d * c2i * sp - cl * cd * c2i * cp + 0.5 * cl * sd * s2i * s2p - 0.5 * sl * s2d * s2i * (1.0 + sp * sp);
        let fsh = cl * cd * ci * sp + cl * sd * si * c2p + sl * c2d * ci * cp - 0.5 * sl * s2d * si * s2p;
        (fp, fsv, fsh)
    }

    /// [`Self::pattern`] with each coefficient's square mixed with the
    /// average (`RADIATION_P`, `RADIATION_S`/√2 per S component) squared:
    /// `sign(F) sqrt((1 - w) F² + w F_avg²)`, `w` = [`SCATTERED_SHARE`].
    pub fn smoothed(&self, takeoff: f64, azimuth: f64) -> (f64, f64, f64) {
        let (fp, fsv, fsh) = self.pattern(takeoff, azimuth);
        let mix = |f: f64, avg: f64| f.signum() * ((1.0 - SCATTERED_SHARE) * f * f + SCATTERED_SHARE * avg * avg).sqrt();
        let s_avg = super::source::RADIATION_S / 2f64.sqrt();
        (mix(fp, super::source::RADIATION_P), mix(fsv, s_avg), mix(fsh, s_avg))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn focal_sphere_averages_match_boore_boatwright() {
        // RMS over the sphere: P sqrt(4/15) = 0.516, S sqrt(2/5) = 0.632
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        let (mut p2, mut s2, n) = (0.0, 0.0, 200_000);
        for _ in 0..n {
            let dc = DoubleCouple::random(&mut rng);
            let takeoff = rng.gen_range(-1.0f64..1.0).acos();
            let az = rng.gen_range(0.0..TAU);
            let (fp, fsv, fsh) = dc.pattern(takeoff, az);
            p2 += fp * fp;
            s2 += fsv * fsv + fsh * fsh;
        }
        let (p, s) = ((p2 / n as f64).sqrt(), (s2 / n as f64).sqrt());
        assert!((p - (4.0f64 / 15.0).sqrt()).abs() < 0.01, "P {p}");
        assert!((s - 0.4f64.sqrt()).abs() < 0.01, "S {s}");
    }

    #[test]
    fn vertical_strike_slip_is_nodal_along_strike_and_maximal_at_45_degrees() {
        let dc = DoubleCouple { strike: 0.0, dip: PI / 2.0, rake: 0.0 };
        let h = PI / 2.0; // horizontal ray
        assert!(dc.pattern(h, 0.0).0.abs() < 1e-12);
        assert!((dc.pattern(h, PI / 4.0).0 - 1.0).abs() < 1e-12);
        assert!((dc.pattern(h, 0.0).2.abs() - 1.0).abs() < 1e-12);
    }
}
