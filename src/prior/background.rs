//! The region box and the broad background component of the prior.

use serde::{Deserialize, Serialize};

/// An axis-aligned box in local km: `min_km[i] <= x[i] <= max_km[i]` for
/// `x = [east, north, depth]` (depth positive down).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RegionBox {
    /// Lower corner `[east, north, depth]` (km).
    pub min_km: [f64; 3],
    /// Upper corner `[east, north, depth]` (km).
    pub max_km: [f64; 3],
}

impl RegionBox {
    /// A box from its corners (not validated; see [`RegionBox::validate`]).
    pub fn new(min_km: [f64; 3], max_km: [f64; 3]) -> Self {
        RegionBox { min_km, max_km }
    }

    /// `Err(axis name)` unless every bound is finite and `min < max`.
    pub fn validate(&self) -> Result<(), &'static str> {
        for (i, name) in ["east", "north", "depth"].into_iter().enumerate() {
            let (a, b) = (self.min_km[i], self.max_km[i]);
            if !(a.is_finite() && b.is_finite() && a < b) {
                return Err(name);
            }
        }
        Ok(())
    }

    /// Whether `x` lies in the closed box.
    #[inline]
    pub fn contains(&self, x: [f64; 3]) -> bool {
        (0..3).all(|i| x[i] >= self.min_km[i] && x[i] <= self.max_km[i])
    }

    /// Volume (km³).
    pub fn volume_km3(&self) -> f64 {
        (0..3).map(|i| self.max_km[i] - self.min_km[i]).product()
    }

    /// Centre (km).
    pub fn centre_km(&self) -> [f64; 3] {
        [0, 1, 2].map(|i| 0.5 * (self.min_km[i] + self.max_km[i]))
    }

    /// Side lengths (km).
    pub fn sides_km(&self) -> [f64; 3] {
        [0, 1, 2].map(|i| self.max_km[i] - self.min_km[i])
    }
}

/// A broad component of the prior, uniform over a region box, that keeps
/// some prior mass everywhere in the region (an event outside every
/// cluster). Its density is `weight / volume` inside the box and 0 outside;
/// its gradient is zero inside.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Background {
    /// Mixture weight of the background, in `[0, 1)`; the cluster weights
    /// are scaled by `1 - weight`.
    pub weight: f64,
    /// The box the background is uniform over.
    pub region: RegionBox,
}

impl Background {
    /// Log density (1/km³) of the weighted component at `x`: `ln(weight/V)`
    /// inside the box, `-inf` outside.
    #[inline]
    pub fn log_weighted_density(&self, x: [f64; 3]) -> f64 {
        if self.weight > 0.0 && self.region.contains(x) {
            self.weight.ln() - self.region.volume_km3().ln()
        } else {
            f64::NEG_INFINITY
        }
    }

    /// Mean (km) of the uniform box distribution.
    pub fn mean_km(&self) -> [f64; 3] {
        self.region.centre_km()
    }

    /// Covariance (km²) of the uniform box distribution: `diag(side²/12)`.
    pub fn cov_km2(&self) -> [[f64; 3]; 3] {
        let s = self.region.sides_km();
        let mut c = [[0.0; 3]; 3];
        for i in 0..3 {
            c[i][i] = s[i] * s[i] / 12.0;
        }
        c
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn box_geometry_and_density() {
        let r = RegionBox::new([-1.0, 0.0, 0.0], [1.0, 4.0, 10.0]);
        assert!(r.validate().is_ok());
        assert_eq!(r.volume_km3(), 80.0);
        assert!(r.contains([0.0, 4.0, 0.0]) && !r.contains([0.0, 4.1, 0.0]));
        let b = Background {
            weight: 0.2,
            region: r,
        };
        assert!((b.log_weighted_density([0.0, 1.0, 1.0]) - (0.2f64 / 80.0).ln()).abs() < 1e-15);
        assert_eq!(b.log_weighted_density([5.0, 1.0, 1.0]), f64::NEG_INFINITY);
        assert_eq!(b.cov_km2()[2][2], 100.0 / 12.0);
        assert_eq!(
            RegionBox::new([0.0; 3], [1.0, 1.0, 0.0]).validate(),
            Err("depth")
        );
    }
}
