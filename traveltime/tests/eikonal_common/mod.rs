//! Shared helpers of the eikonal tests: analytic media and a seeded RNG.
#![allow(dead_code)]

use eqnemix_traveltime::{Grid3, GridGeometry};

/// Velocity grid (km/s) from a function of position (km).
pub fn velocity_grid(geometry: GridGeometry, v: impl Fn([f64; 3]) -> f64) -> Grid3<f64> {
    let mut data = vec![0.0; geometry.len()];
    for ix in 0..geometry.n[0] {
        for iy in 0..geometry.n[1] {
            for iz in 0..geometry.n[2] {
                data[geometry.index(ix, iy, iz)] = v(geometry.node_position(ix, iy, iz));
            }
        }
    }
    Grid3 { geometry, data }
}

pub fn distance(a: [f64; 3], b: [f64; 3]) -> f64 {
    ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2) + (a[2] - b[2]).powi(2)).sqrt()
}

/// Constant vertical gradient `v(z) = v0 + g z` (km/s, g in 1/s).
#[derive(Clone, Copy)]
pub struct Gradient {
    pub v0: f64,
    pub g: f64,
}

impl Gradient {
    pub fn velocity(&self, p: [f64; 3]) -> f64 {
        self.v0 + self.g * p[2]
    }

    /// Exact first-arrival time (s): `arccosh(1 + g² r² / (2 v(z_s) v(z))) / g`.
    pub fn time(&self, source: [f64; 3], p: [f64; 3]) -> f64 {
        let r = distance(source, p);
        let arg = 1.0 + self.g * self.g * r * r / (2.0 * self.velocity(source) * self.velocity(p));
        arg.acosh() / self.g
    }

    /// Deepest point (km) of the exact ray between `source` and `p`. Rays
    /// are circular arcs centred at the depth `-v0/g` where `v` vanishes.
    /// Where it lies below a grid's bottom the grid cannot hold the ray
    /// (the grid's first arrival is then slower) and the analytic time does
    /// not apply to the gridded problem.
    pub fn ray_bottom_depth(&self, source: [f64; 3], p: [f64; 3]) -> f64 {
        let a = self.v0 / self.g;
        let x = (p[0] - source[0]).hypot(p[1] - source[1]);
        let (zs, z) = (source[2] + a, p[2] + a);
        if x <= 0.0 {
            return source[2].max(p[2]);
        }
        // Horizontal position of the arc centre, measured from the source.
        let xc = (x * x + z * z - zs * zs) / (2.0 * x);
        if xc > 0.0 && xc < x {
            xc.hypot(zs) - a
        } else {
            source[2].max(p[2])
        }
    }
}

/// SplitMix64: a tiny seeded generator so the tests need no extra crate.
pub struct SplitMix(pub u64);

impl SplitMix {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `[lo, hi)`.
    pub fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * ((self.next_u64() >> 11) as f64 / (1u64 << 53) as f64)
    }
}

/// Solver options that march the 3D grid even where the medium varies with
/// depth only (the 2D reduction of `EikonalOptions::axisymmetric` off).
pub fn march_3d(opts: eqnemix_traveltime::EikonalOptions) -> eqnemix_traveltime::EikonalOptions {
    eqnemix_traveltime::EikonalOptions { axisymmetric: false, ..opts }
}

/// `opts` as given (depth-only media take the 2D reduction) and with the 3D
/// march forced, named, so a test on a depth-only medium covers both paths.
pub fn both_paths(opts: eqnemix_traveltime::EikonalOptions) -> [(&'static str, eqnemix_traveltime::EikonalOptions); 2] {
    [("2D reduction", opts.clone()), ("3D march", march_3d(opts))]
}
