//! The back-azimuth term of one station: a von Mises density on the angle
//! between the observed and the predicted back-azimuth, mixed with its
//! 180°-flipped copy by the observation's flip probability `p` (the
//! polarisation sign ambiguity, [`crate::polarisation`]).
//!
//! ```text
//! φ(x)   = atan2(e − e_s, n − n_s)          back-azimuth, rad clockwise from north,
//!                                           of the epicentre seen from the station
//! c      = κ cos(φ_obs − φ(x))
//! ln L   = ln((1 − p) e^c + p e^−c) − ln(2π I₀(κ))
//! ∇ ln L = κ w sin(φ_obs − φ(x)) ∇φ,   w = ((1 − p) e^c − p e^−c) / ((1 − p) e^c + p e^−c),
//!          ∇φ = (Δn, −Δe, 0) / (Δe² + Δn²)   (1/km)
//! ```
//!
//! With `p = 0` it is the plain von Mises (`w = 1`).
//!
//! The gradient is singular at the station's epicentre; within 1 m of it the
//! term returns its value there with a zero gradient.

use crate::picks::BackAzimuthObs;
use std::f64::consts::PI;

/// Back-azimuth term of one station.
#[derive(Debug, Clone, PartialEq)]
pub struct BackAzimuthTerm {
    /// Station code.
    pub station: String,
    station_en_km: [f64; 2],
    obs_rad: f64,
    /// von Mises concentration.
    pub kappa: f64,
    /// Probability of the lobe at `φ_obs + 180°`.
    pub p_flip: f64,
    log_norm: f64,
}

/// `ln((1 − p) e^c + p e^−c)` and `w = ((1 − p) e^c − p e^−c) / ((1 − p) e^c + p e^−c)`, stable.
#[inline]
fn flip_mixture(c: f64, p: f64) -> (f64, f64) {
    if p <= 0.0 {
        return (c, 1.0);
    }
    let a = c.abs();
    let (u, v) = ((1.0 - p) * (c - a).exp(), p * (-c - a).exp());
    (a + (u + v).ln(), (u - v) / (u + v))
}

/// `ln I₀(κ)` (modified Bessel function of the first kind, order 0), κ ≥ 0:
/// power series `Σ (κ²/4)^j / (j!)²` below 30, the asymptotic expansion
/// `κ − ½ ln(2πκ) + ln(1 + 1/(8κ) + 9/(128κ²) + 225/(3072κ³))` above
/// (relative error < 2e-7 there). Hand-written: one small special function.
pub fn ln_bessel_i0(kappa: f64) -> f64 {
    if kappa < 30.0 {
        let q = 0.25 * kappa * kappa;
        let (mut term, mut sum, mut j) = (1.0f64, 1.0f64, 0.0f64);
        while term > 1e-17 * sum {
            j += 1.0;
            term *= q / (j * j);
            sum += term;
        }
        sum.ln()
    } else {
        let k = kappa;
        k - 0.5 * (2.0 * PI * k).ln()
            + (1.0 + 1.0 / (8.0 * k) + 9.0 / (128.0 * k * k) + 225.0 / (3072.0 * k * k * k)).ln()
    }
}

impl BackAzimuthTerm {
    /// Term of a station at `station_km` observing `obs`.
    pub fn new(station: String, station_km: [f64; 3], obs: BackAzimuthObs) -> Self {
        BackAzimuthTerm {
            station,
            station_en_km: [station_km[0], station_km[1]],
            obs_rad: obs.azimuth_deg.to_radians(),
            kappa: obs.kappa,
            p_flip: obs.p_flip,
            log_norm: -(2.0 * PI).ln() - ln_bessel_i0(obs.kappa),
        }
    }

    /// Predicted back-azimuth (rad, clockwise from north) of `x`.
    pub fn predicted_rad(&self, x: [f64; 3]) -> f64 {
        (x[0] - self.station_en_km[0]).atan2(x[1] - self.station_en_km[1])
    }

    /// Log likelihood at `x`.
    pub fn log_likelihood(&self, x: [f64; 3]) -> f64 {
        flip_mixture(self.kappa * (self.obs_rad - self.predicted_rad(x)).cos(), self.p_flip).0 + self.log_norm
    }

    /// Log likelihood at `x`, its gradient (1/km) *added* to `grad`.
    #[inline]
    pub fn log_likelihood_and_gradient(&self, x: [f64; 3], grad: &mut [f64; 3]) -> f64 {
        let de = x[0] - self.station_en_km[0];
        let dn = x[1] - self.station_en_km[1];
        let rho2 = de * de + dn * dn;
        let phi = de.atan2(dn);
        let diff = self.obs_rad - phi;
        let (ln_mix, w) = flip_mixture(self.kappa * diff.cos(), self.p_flip);
        if rho2 > 1e-6 {
            let k = self.kappa * w * diff.sin() / rho2;
            grad[0] += k * dn;
            grad[1] -= k * de;
        }
        ln_mix + self.log_norm
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bessel_branches_agree_and_normalise() {
        // Series and asymptotic agree where they meet.
        let k = 30.0;
        let q = 0.25 * k * k;
        let (mut t, mut s) = (1.0f64, 1.0f64);
        for j in 1..200 {
            t *= q / ((j * j) as f64);
            s += t;
        }
        assert!((ln_bessel_i0(k) - s.ln()).abs() < 1e-6);
        assert!((ln_bessel_i0(1.0) - 1.266_065_877_752_008_4f64.ln()).abs() < 1e-14);
        // The von Mises density integrates to one over the circle.
        let obs = BackAzimuthObs {
            azimuth_deg: 30.0,
            kappa: 8.0,
            p_flip: 0.0,
        };
        let term = BackAzimuthTerm::new("S".into(), [0.0; 3], obs);
        let n = 20_000;
        let integral: f64 = (0..n)
            .map(|i| {
                let a = 2.0 * PI * (i as f64 + 0.5) / n as f64;
                term.log_likelihood([a.sin(), a.cos(), 0.0]).exp() * 2.0 * PI / n as f64
            })
            .sum();
        assert!((integral - 1.0).abs() < 1e-9, "{integral}");
    }

    #[test]
    fn peak_at_observed_direction_and_gradient_matches_fd() {
        let obs = BackAzimuthObs::from_sigma_deg(120.0, 10.0);
        let term = BackAzimuthTerm::new("S".into(), [1.0, 2.0, 0.0], obs);
        let a = 120f64.to_radians();
        let on = [1.0 + 10.0 * a.sin(), 2.0 + 10.0 * a.cos(), 5.0];
        let off = [
            1.0 + 10.0 * (a + 0.3).sin(),
            2.0 + 10.0 * (a + 0.3).cos(),
            5.0,
        ];
        assert!(term.log_likelihood(on) > term.log_likelihood(off));
        for x in [off, [-3.0, 7.0, 2.0], [9.0, -4.0, 1.0]] {
            let mut g = [0.0; 3];
            term.log_likelihood_and_gradient(x, &mut g);
            for i in 0..3 {
                let h = 1e-6;
                let (mut p, mut m) = (x, x);
                p[i] += h;
                m[i] -= h;
                let fd = (term.log_likelihood(p) - term.log_likelihood(m)) / (2.0 * h);
                assert!(
                    (fd - g[i]).abs() < 1e-5 * (1.0 + fd.abs()),
                    "{i}: {fd} vs {}",
                    g[i]
                );
            }
        }
    }

    #[test]
    fn flip_probability_puts_a_normalised_second_lobe_at_180_degrees() {
        let obs = BackAzimuthObs::from_sigma_deg(40.0, 15.0).with_p_flip(0.2);
        let term = BackAzimuthTerm::new("S".into(), [1.0, -2.0, 0.0], obs);
        let at = |deg: f64| {
            let a = deg.to_radians();
            [1.0 + 7.0 * a.sin(), -2.0 + 7.0 * a.cos(), 3.0]
        };
        let n = 20_000;
        let integral: f64 =
            (0..n).map(|i| term.log_likelihood(at(360.0 * (i as f64 + 0.5) / n as f64)).exp() * 2.0 * PI / n as f64).sum();
        assert!((integral - 1.0).abs() < 1e-9, "{integral}");
        // the lobes' peak ratio is p / (1 - p) (up to the tails' overlap, e^-2κ)
        let ratio = (term.log_likelihood(at(220.0)) - term.log_likelihood(at(40.0))).exp();
        assert!((ratio - 0.25).abs() < 1e-3, "{ratio}");
        for x in [at(100.0), at(200.0), at(250.0), [9.0, -4.0, 1.0]] {
            let mut g = [0.0; 3];
            term.log_likelihood_and_gradient(x, &mut g);
            for i in 0..2 {
                let h = 1e-6;
                let (mut p, mut m) = (x, x);
                p[i] += h;
                m[i] -= h;
                let fd = (term.log_likelihood(p) - term.log_likelihood(m)) / (2.0 * h);
                assert!((fd - g[i]).abs() < 1e-5 * (1.0 + fd.abs()), "{i}: {fd} vs {}", g[i]);
            }
        }
    }
}
