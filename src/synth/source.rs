//! Source and path physics of the synthetic events: Brune (1970) omega-square
//! pulses with corner frequencies from moment and stress drop, far-field
//! amplitudes with 1/R spreading and average radiation, attenuation as a
//! lowered effective corner, and coda duration from magnitude.
//!
//! Approximations (stated, deliberate): no focal mechanism beyond a random
//! polarity, no free-surface amplification or mode conversion, attenuation
//! folded into the pulse width, and straight-line distance for spreading.

use std::f64::consts::PI;

/// Crustal density used for amplitudes (kg/m³).
pub const DENSITY_KG_M3: f64 = 2700.0;
/// Average radiation pattern coefficients (Boore & Boatwright 1984).
pub const RADIATION_P: f64 = 0.52;
pub const RADIATION_S: f64 = 0.63;

/// Seismic moment (N m) of moment magnitude `mw` (Hanks & Kanamori).
pub fn seismic_moment_nm(mw: f64) -> f64 {
    10f64.powf(1.5 * mw + 9.1)
}

/// Brune S-wave corner frequency (Hz) for moment `m0` (N m), stress drop
/// (MPa) and source shear velocity `beta_km_s`; P corners are 1.5x higher.
pub fn brune_corner_hz(m0: f64, stress_drop_mpa: f64, beta_km_s: f64) -> f64 {
    0.4906 * beta_km_s * 1000.0 * (stress_drop_mpa * 1e6 / m0).cbrt()
}

/// A one-sided velocity pulse: the time derivative of Brune's displacement
/// pulse `Omega0 w^2 t exp(-w t)`, with a short rise so that it is
/// band-limited at 100 Hz sampling. Units: m/s (ground velocity).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BrunePulse {
    /// Long-period spectral level of displacement (m s).
    pub omega0_m_s: f64,
    /// Effective corner (Hz): source corner lowered by attenuation.
    pub corner_hz: f64,
    /// Rise time constant of the onset (s).
    pub rise_s: f64,
}

impl BrunePulse {
    /// Far-field pulse at hypocentral distance `r_km` for a phase of velocity
    /// `v_src_km_s` at the source, radiation coefficient `rad`, source corner
    /// `fc_hz` and attenuation `t_star_s` (= travel time / Q).
    pub fn far_field(
        m0: f64,
        rad: f64,
        v_src_km_s: f64,
        r_km: f64,
        fc_hz: f64,
        t_star_s: f64,
    ) -> Self {
        let v = v_src_km_s * 1000.0;
        let r = r_km.max(0.1) * 1000.0;
        let omega0 = m0 * rad / (4.0 * PI * DENSITY_KG_M3 * v.powi(3) * r);
        let corner = 1.0 / (fc_hz.powi(-2) + (PI * t_star_s).powi(2)).sqrt();
        BrunePulse {
            omega0_m_s: omega0,
            corner_hz: corner,
            rise_s: (0.08 / corner).min(0.01),
        }
    }
    /// Ground velocity (m/s) at `tau` seconds after the onset (0 before it).
    pub fn velocity(&self, tau: f64) -> f64 {
        if tau <= 0.0 {
            return 0.0;
        }
        let w = 2.0 * PI * self.corner_hz;
        self.omega0_m_s
            * w
            * w
            * (1.0 - w * tau)
            * (-w * tau).exp()
            * (1.0 - (-tau / self.rise_s).exp())
    }
    /// Time after the onset beyond which the pulse is negligible (s).
    pub fn duration_s(&self) -> f64 {
        14.0 / (2.0 * PI * self.corner_hz)
    }
    /// Largest |velocity| (m/s) of the pulse (found on a fine grid; below
    /// `Omega0 w^2` because of the finite rise).
    pub fn peak_m_s(&self) -> f64 {
        let d = self.duration_s();
        (1..=4000)
            .map(|i| self.velocity(d * i as f64 / 4000.0).abs())
            .fold(0.0, f64::max)
    }
}

/// Coda duration (s) from magnitude (duration-magnitude relation
/// `M = 2 log10(D) - 0.87`, as used for southern California duration magnitudes).
pub fn coda_duration_s(mw: f64) -> f64 {
    10f64.powf((mw + 0.87) / 2.0)
}
