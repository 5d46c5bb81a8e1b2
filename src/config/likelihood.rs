//! `[likelihood]`: which data terms enter the likelihood and how.

use super::ConfigError;
use crate::likelihood::{EdtPower, LikelihoodOptions, OriginTime, ResidualModel};
use serde::{Deserialize, Serialize};

/// What to do with the origin time when absolute times are used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OriginTimeMode {
    /// Integrate it out analytically (flat prior; Gaussian residuals only).
    #[default]
    Marginalise,
    /// Sample it as a 4th coordinate, uniform on `origin_time_window_s`.
    Sample,
}

/// Distribution of the time residuals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResidualKind {
    /// Gaussian.
    #[default]
    Gaussian,
    /// Student-t with `student_t_nu` degrees of freedom (heavy tails).
    StudentT,
    /// Equal differential times (NonLinLoc's `EDT`): every pair of picks
    /// through the difference of their times, pair scale
    /// `√(σ_i² + σ_j²)`; origin-time free, robust to outlier picks. With
    /// `s_minus_p` it is exactly the Gaussian S-P term (`edt_power =
    /// "calibrated"` or `"n_minus_one"`). See [`crate::likelihood::edt`].
    Edt,
}

/// `[likelihood]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LikelihoodConfig {
    /// S-P time of every station with both picks (the single-station datum).
    pub s_minus_p: bool,
    /// Absolute P and S times (a network); excludes `s_minus_p`.
    pub absolute_times: bool,
    /// `marginalise` or `sample` (absolute times only).
    pub origin_time: OriginTimeMode,
    /// Window (s, relative to the event's earliest pick) of the sampled origin time.
    pub origin_time_window_s: [f64; 2],
    /// Back-azimuth (von Mises) where the picks carry one.
    pub back_azimuth: bool,
    /// `gaussian`, `student_t` or `edt` (equal differential times).
    pub residual: ResidualKind,
    /// Power of the EDT pair sum (`n` arrivals): `calibrated` (2(n−1)²/n, the
    /// Gaussian's width with picks at their noise level: calibrated 90 %
    /// regions), `n_minus_one` (the Gaussian's width for residuals much
    /// smaller than the sigmas; over-covers) or `n` (NonLinLoc's).
    pub edt_power: EdtPower,
    /// Degrees of freedom of the Student-t residuals (> 0).
    pub student_t_nu: f64,
    /// Travel-time model error (s), added in quadrature to each pick's sigma.
    pub model_error_s: f64,
    /// Pick sigma (s) used when the picks file gives none (EQTransformer rows
    /// without a time uncertainty).
    pub default_pick_sigma_s: f64,
}

impl Default for LikelihoodConfig {
    fn default() -> Self {
        LikelihoodConfig {
            s_minus_p: true,
            absolute_times: false,
            origin_time: OriginTimeMode::Marginalise,
            origin_time_window_s: [-120.0, 0.0],
            back_azimuth: true,
            residual: ResidualKind::Gaussian,
            student_t_nu: 4.0,
            edt_power: EdtPower::Calibrated,
            model_error_s: 0.05,
            default_pick_sigma_s: 0.1,
        }
    }
}

fn invalid(key: &str, why: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        key: format!("likelihood.{key}"),
        why: why.into(),
    }
}

impl LikelihoodConfig {
    /// Check the values; errors name the key.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.s_minus_p && self.absolute_times {
            return Err(invalid(
                "absolute_times",
                "s_minus_p and absolute_times use the same picks; enable only one",
            ));
        }
        if !(self.model_error_s.is_finite() && self.model_error_s >= 0.0) {
            return Err(invalid("model_error_s", format!("must be finite and >= 0 (is {})", self.model_error_s)));
        }
        if !(self.default_pick_sigma_s.is_finite() && self.default_pick_sigma_s > 0.0) {
            return Err(invalid(
                "default_pick_sigma_s",
                format!("must be finite and > 0 (is {})", self.default_pick_sigma_s),
            ));
        }
        if !(self.student_t_nu.is_finite() && self.student_t_nu > 0.0) {
            return Err(invalid("student_t_nu", format!("must be finite and > 0 (is {})", self.student_t_nu)));
        }
        let [a, b] = self.origin_time_window_s;
        if !(a.is_finite() && b.is_finite() && a < b) {
            return Err(invalid("origin_time_window_s", "needs finite [min, max] with min < max"));
        }
        if self.residual == ResidualKind::Edt && self.origin_time == OriginTimeMode::Sample {
            return Err(invalid(
                "origin_time",
                "residual = \"edt\" has no origin time; use origin_time = \"marginalise\"",
            ));
        }
        if self.absolute_times
            && self.origin_time == OriginTimeMode::Marginalise
            && self.residual == ResidualKind::StudentT
        {
            return Err(invalid(
                "origin_time",
                "\"marginalise\" needs residual = \"gaussian\"; use origin_time = \"sample\" with Student-t",
            ));
        }
        Ok(())
    }

    /// The likelihood options of the location model.
    pub fn options(&self) -> LikelihoodOptions {
        LikelihoodOptions {
            s_minus_p: self.s_minus_p,
            absolute_times: self.absolute_times,
            origin_time: match self.origin_time {
                OriginTimeMode::Marginalise => OriginTime::Marginalised,
                OriginTimeMode::Sample => OriginTime::Sampled {
                    min_s: self.origin_time_window_s[0],
                    max_s: self.origin_time_window_s[1],
                },
            },
            back_azimuth: self.back_azimuth,
            residual: match self.residual {
                ResidualKind::Gaussian | ResidualKind::Edt => ResidualModel::Gaussian,
                ResidualKind::StudentT => ResidualModel::StudentT { nu: self.student_t_nu },
            },
            model_error_s: self.model_error_s,
            edt: (self.residual == ResidualKind::Edt).then_some(self.edt_power),
        }
    }
}
