//! The physical quantity a NonLinLoc grid stores (`gridType` in the header)
//! and its conversion to and from velocity in km/s.

use std::fmt;

/// The `gridType` field of a NonLinLoc header: what each node's value means.
///
/// The quantities are those of NonLinLoc's `VGGRID` statement (Vel2Grid):
///
/// | type | value at a node | unit |
/// |---|---|---|
/// | `VELOCITY` | velocity | km/s |
/// | `VELOCITY_METERS` | velocity | m/s |
/// | `SLOWNESS` | slowness | s/km |
/// | `SLOW_LEN` | slowness × node spacing `dx` (Vel2Grid's usual output) | s |
/// | `VEL2` | velocity² | (km/s)² |
/// | `SLOW2` | slowness² | (s/km)² |
/// | `SLOW2_METERS` | slowness² (also spelled `SLOW_2_METERS`) | (s/m)² |
/// | `TIME` | travel time from the source in the header's second line | s |
///
/// `TIME2D` (NonLinLoc's 2D time grids of 1D models, indexed by epicentral
/// distance and depth) is recognised but not supported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NllGridType {
    /// Velocity (km/s).
    Velocity,
    /// Velocity (m/s).
    VelocityMeters,
    /// Slowness (s/km).
    Slowness,
    /// Slowness times the x node spacing `dx` (s).
    SlowLen,
    /// Squared velocity ((km/s)²).
    Vel2,
    /// Squared slowness ((s/km)²).
    Slow2,
    /// Squared slowness ((s/m)²).
    Slow2Meters,
    /// Travel time (s).
    Time,
}

/// Why a `gridType` word cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GridTypeProblem {
    /// A NonLinLoc grid type this crate does not read (e.g. `TIME2D`).
    Unsupported(String),
    /// Not a NonLinLoc grid type at all.
    Unknown(String),
}

impl fmt::Display for GridTypeProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GridTypeProblem::Unsupported(w) => write!(
                f,
                "grid type `{w}` is not supported (supported: {})",
                NllGridType::SUPPORTED_NAMES.join(", ")
            ),
            GridTypeProblem::Unknown(w) => write!(
                f,
                "unknown grid type `{w}` (supported: {})",
                NllGridType::SUPPORTED_NAMES.join(", ")
            ),
        }
    }
}

impl NllGridType {
    /// The header words this crate reads.
    pub const SUPPORTED_NAMES: [&'static str; 8] = [
        "VELOCITY",
        "VELOCITY_METERS",
        "SLOWNESS",
        "SLOW_LEN",
        "VEL2",
        "SLOW2",
        "SLOW2_METERS",
        "TIME",
    ];

    /// Parse the header word (exact, upper case as NonLinLoc writes it).
    pub fn parse(word: &str) -> Result<Self, GridTypeProblem> {
        Ok(match word {
            "VELOCITY" => NllGridType::Velocity,
            "VELOCITY_METERS" => NllGridType::VelocityMeters,
            "SLOWNESS" => NllGridType::Slowness,
            "SLOW_LEN" => NllGridType::SlowLen,
            "VEL2" => NllGridType::Vel2,
            "SLOW2" => NllGridType::Slow2,
            "SLOW2_METERS" | "SLOW_2_METERS" => NllGridType::Slow2Meters,
            "TIME" => NllGridType::Time,
            "TIME2D" | "ANGLE" | "ANGLE2D" | "PROB_DENSITY" | "MISFIT" | "LIKELIHOOD" | "STACK"
            | "LENGTH" | "DEPTH" | "INCLINATION" | "AZIMUTH" => {
                return Err(GridTypeProblem::Unsupported(word.to_string()))
            }
            _ => return Err(GridTypeProblem::Unknown(word.to_string())),
        })
    }

    /// The header word NonLinLoc writes for this type.
    pub fn name(self) -> &'static str {
        match self {
            NllGridType::Velocity => "VELOCITY",
            NllGridType::VelocityMeters => "VELOCITY_METERS",
            NllGridType::Slowness => "SLOWNESS",
            NllGridType::SlowLen => "SLOW_LEN",
            NllGridType::Vel2 => "VEL2",
            NllGridType::Slow2 => "SLOW2",
            NllGridType::Slow2Meters => "SLOW2_METERS",
            NllGridType::Time => "TIME",
        }
    }

    /// True for the types that describe a velocity model (all but `TIME`).
    pub fn is_velocity_like(self) -> bool {
        self != NllGridType::Time
    }

    /// Velocity (km/s) from one stored value; `dx_km` is the header's x
    /// spacing (km), used by `SLOW_LEN`. Returns `None` for `TIME`.
    ///
    /// No validity check: a non-positive stored value gives a non-positive,
    /// infinite or NaN velocity, which callers reject.
    pub fn to_velocity_km_s(self, value: f64, dx_km: f64) -> Option<f64> {
        Some(match self {
            NllGridType::Velocity => value,
            NllGridType::VelocityMeters => value / 1000.0,
            NllGridType::Slowness => 1.0 / value,
            NllGridType::SlowLen => dx_km / value,
            NllGridType::Vel2 => value.sqrt(),
            NllGridType::Slow2 => 1.0 / value.sqrt(),
            // (s/m)² -> s/m -> s/km (×1000) -> km/s.
            NllGridType::Slow2Meters => 1.0 / (1000.0 * value.sqrt()),
            NllGridType::Time => return None,
        })
    }

    /// The stored value for velocity `v_km_s` (km/s); the inverse of
    /// [`to_velocity_km_s`](Self::to_velocity_km_s). Returns `None` for `TIME`.
    pub fn from_velocity_km_s(self, v_km_s: f64, dx_km: f64) -> Option<f64> {
        Some(match self {
            NllGridType::Velocity => v_km_s,
            NllGridType::VelocityMeters => v_km_s * 1000.0,
            NllGridType::Slowness => 1.0 / v_km_s,
            NllGridType::SlowLen => dx_km / v_km_s,
            NllGridType::Vel2 => v_km_s * v_km_s,
            NllGridType::Slow2 => 1.0 / (v_km_s * v_km_s),
            NllGridType::Slow2Meters => {
                let s_per_m = 1.0 / (1000.0 * v_km_s);
                s_per_m * s_per_m
            }
            NllGridType::Time => return None,
        })
    }
}

impl fmt::Display for NllGridType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The binary type of the `.buf` values (optional last header field).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum NllFloatType {
    /// 4-byte IEEE float (`FLOAT`, NonLinLoc's default).
    #[default]
    Float,
    /// 8-byte IEEE float (`DOUBLE`).
    Double,
}

impl NllFloatType {
    /// Bytes per stored value.
    pub fn bytes(self) -> usize {
        match self {
            NllFloatType::Float => 4,
            NllFloatType::Double => 8,
        }
    }

    /// The header word.
    pub fn name(self) -> &'static str {
        match self {
            NllFloatType::Float => "FLOAT",
            NllFloatType::Double => "DOUBLE",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_velocity_type_round_trips() {
        for name in NllGridType::SUPPORTED_NAMES {
            let t = NllGridType::parse(name).unwrap();
            assert_eq!(t.name(), name);
            if !t.is_velocity_like() {
                assert_eq!(t.to_velocity_km_s(1.0, 1.0), None);
                continue;
            }
            for v in [0.3, 3.5, 6.25] {
                let stored = t.from_velocity_km_s(v, 0.5).unwrap();
                let back = t.to_velocity_km_s(stored, 0.5).unwrap();
                assert!(
                    (back - v).abs() < 1e-12 * v,
                    "{name}: {v} -> {stored} -> {back}"
                );
            }
        }
    }

    #[test]
    fn conversions_match_the_documented_units() {
        // 5 km/s = 5000 m/s = 0.2 s/km; over dx = 0.5 km that is 0.1 s.
        assert_eq!(
            NllGridType::VelocityMeters.from_velocity_km_s(5.0, 0.5),
            Some(5000.0)
        );
        assert_eq!(
            NllGridType::Slowness.from_velocity_km_s(5.0, 0.5),
            Some(0.2)
        );
        assert!((NllGridType::SlowLen.from_velocity_km_s(5.0, 0.5).unwrap() - 0.1).abs() < 1e-15);
        assert_eq!(NllGridType::Vel2.from_velocity_km_s(5.0, 0.5), Some(25.0));
        assert!((NllGridType::Slow2.from_velocity_km_s(5.0, 0.5).unwrap() - 0.04).abs() < 1e-15);
        // 0.2 s/km = 2e-4 s/m, squared 4e-8 (s/m)^2.
        assert!(
            (NllGridType::Slow2Meters
                .from_velocity_km_s(5.0, 0.5)
                .unwrap()
                - 4e-8)
                .abs()
                < 1e-20
        );
        assert_eq!(
            NllGridType::parse("SLOW_2_METERS"),
            Ok(NllGridType::Slow2Meters)
        );
    }

    #[test]
    fn unsupported_and_unknown_types_are_told_apart() {
        assert!(matches!(
            NllGridType::parse("TIME2D"),
            Err(GridTypeProblem::Unsupported(_))
        ));
        assert!(matches!(
            NllGridType::parse("velocity"),
            Err(GridTypeProblem::Unknown(_))
        ));
        let msg = NllGridType::parse("TIME2D").unwrap_err().to_string();
        assert!(
            msg.contains("TIME2D") && msg.contains("not supported"),
            "{msg}"
        );
    }
}
