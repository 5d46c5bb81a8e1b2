//! Free-surface transfer of plane P, SV and SH waves arriving at a station
//! on a half-space (Aki & Richards 2002, §5.2; the "free-surface
//! coefficients" of receiver-function work): the surface motion per unit
//! incident amplitude, for ray parameter `p` (s/km) and the P and S
//! velocities `alpha`, `beta` (km/s) just below the station.
//!
//! With `eta_a = sqrt(1/alpha² - p²)`, `eta_b = sqrt(1/beta² - p²)` and
//! `R = (1/beta² - 2p²)² + 4 p² eta_a eta_b`:
//!
//! - incident P: vertical `2 alpha eta_a (1/beta² - 2p²) / (beta² R)`,
//!   radial `4 alpha p eta_a eta_b / (beta² R)` (both 2 and 0 at vertical
//!   incidence), up and away from the source for a compression;
//! - incident SV: radial `2 eta_b (1/beta² - 2p²) / (beta R)`, vertical
//!   `4 p eta_a eta_b / (beta R)`;
//! - incident SH: 2.
//!
//! Beyond the SV critical angle (`p > 1/alpha`, an S incidence above
//! ~35° for a Poisson solid) `eta_a` is imaginary and the coefficients are
//! complex: the surface motion is given as their modulus (with the sign of
//! the real part); the phase shift of the post-critical S is not modelled.

/// P and S velocities (km/s) of the rock just below a station: a
/// weathered-rock site (Vs ~1 km/s, NEHRP class B/C), slower than any
/// layer of a crustal model. The ray parameter is conserved, so the rays
/// reach the surface steeply (S at under ~20° for local events, as on real
/// rock sites), and the coefficients are evaluated with these velocities.
/// The impedance amplification of the slow layer (about sqrt(v_model /
/// v_site), similar for P and S) is not modelled.
pub const SITE_VP_KM_S: f64 = 2.0;
pub const SITE_VS_KM_S: f64 = 1.0;

/// Surface motion per unit incident amplitude: `(vertical, radial)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SurfaceMotion {
    pub vertical: f64,
    pub radial: f64,
}

/// Complex number `(re, im)` helpers (only what the coefficients need).
type C = (f64, f64);
fn mul(a: C, b: C) -> C {
    (a.0 * b.0 - a.1 * b.1, a.0 * b.1 + a.1 * b.0)
}
fn div(a: C, b: C) -> C {
    let d = b.0 * b.0 + b.1 * b.1;
    ((a.0 * b.0 + a.1 * b.1) / d, (a.1 * b.0 - a.0 * b.1) / d)
}
fn signed_modulus(a: C) -> f64 {
    let m = (a.0 * a.0 + a.1 * a.1).sqrt();
    if a.0 < 0.0 {
        -m
    } else {
        m
    }
}

/// `(eta_a, eta_b, 1/beta² - 2p², R)`, `eta_a` imaginary past critical.
fn terms(p: f64, alpha: f64, beta: f64) -> (C, f64, f64, C) {
    let d = 1.0 / (alpha * alpha) - p * p;
    let ea = if d >= 0.0 { (d.sqrt(), 0.0) } else { (0.0, (-d).sqrt()) };
    let eb = (1.0 / (beta * beta) - p * p).max(0.0).sqrt();
    let q = 1.0 / (beta * beta) - 2.0 * p * p;
    let r = (q * q + 4.0 * p * p * eb * ea.0, 4.0 * p * p * eb * ea.1);
    (ea, eb, q, r)
}

/// Incident P of ray parameter `p` (s/km).
pub fn p_incident(p: f64, alpha: f64, beta: f64) -> SurfaceMotion {
    let (ea, eb, q, r) = terms(p, alpha, beta);
    let b2 = beta * beta;
    SurfaceMotion {
        vertical: signed_modulus(div(mul((2.0 * alpha * q / b2, 0.0), ea), r)),
        radial: signed_modulus(div(mul((4.0 * alpha * p * eb / b2, 0.0), ea), r)),
    }
}

/// Incident SV of ray parameter `p` (s/km).
pub fn sv_incident(p: f64, alpha: f64, beta: f64) -> SurfaceMotion {
    let (ea, eb, q, r) = terms(p, alpha, beta);
    SurfaceMotion {
        vertical: signed_modulus(div(mul((4.0 * p * eb / beta, 0.0), ea), r)),
        radial: signed_modulus(div((2.0 * eb * q / beta, 0.0), r)),
    }
}

/// Incident SH: the transverse motion doubles.
pub const SH_FACTOR: f64 = 2.0;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vertical_incidence_doubles_and_converts_nothing() {
        let (a, b) = (6.0, 3.5);
        let p = p_incident(0.0, a, b);
        assert!((p.vertical - 2.0).abs() < 1e-12 && p.radial.abs() < 1e-12);
        let s = sv_incident(0.0, a, b);
        assert!((s.radial - 2.0).abs() < 1e-12 && s.vertical.abs() < 1e-12);
    }

    #[test]
    fn oblique_p_moves_the_surface_up_and_away_with_an_apparent_angle_steeper_than_twice_the_true() {
        // incidence 30 degrees: the particle-motion angle atan(radial/vertical)
        // is 2 * asin(beta/alpha sin i) for a Poisson solid
        let (a, b) = (6.0, 6.0 / 3f64.sqrt());
        let i = 30f64.to_radians();
        let m = p_incident(i.sin() / a, a, b);
        assert!(m.vertical > 0.0 && m.radial > 0.0);
        let apparent = (m.radial / m.vertical).atan();
        let expected = 2.0 * (b / a * i.sin()).asin();
        assert!((apparent - expected).abs() < 1e-9, "{} vs {}", apparent.to_degrees(), expected.to_degrees());
    }

    #[test]
    fn post_critical_sv_stays_bounded() {
        // the real-valued formula's denominator vanishes at 45 degrees; the
        // complex one peaks near the critical angle (radial 2 cos j / cos 2j,
        // about 4.9 at 35.7 degrees) and stays finite
        let (a, b) = (6.0, 3.5);
        for deg in [36.0, 40.0, 45.0, 50.0, 60.0, 80.0f64] {
            let m = sv_incident(deg.to_radians().sin() / b, a, b);
            assert!(m.vertical.is_finite() && m.radial.is_finite(), "{deg}: {m:?}");
            assert!(m.vertical.abs() < 5.0 && m.radial.abs() < 5.0, "{deg}: {m:?}");
        }
    }
}
