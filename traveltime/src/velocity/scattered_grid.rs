//! Interpolating scattered velocity points onto a regular grid, layer by
//! layer.
//!
//! Published 3D models (e.g. the Ridgecrest model of White et al., 2021)
//! come as points on a few depth levels, on a lon/lat mesh that is no longer
//! regular once projected to local km. The points of each depth level form a
//! layer. Within a layer, each grid column `(x, y)` gets a moving
//! least-squares value: a plane `a + b·(x'-x) + c·(y'-y)` fitted to the
//! layer's points within `radius_km`, weighted by `(1 - (d/R)²)²`, evaluated
//! at `(x, y)` and clamped to the range of the points used. The fit
//! reproduces any linear field exactly wherever the column lies inside the
//! points' hull, and the clamp keeps it from overshooting at edges. Where
//! fewer than three non-collinear points are in reach, the weighted mean is
//! used; where no point is in reach (a hole), the layer's mean. Between
//! layers values are linear in depth; above the shallowest and below the
//! deepest layer they are constant.
//!
//! The search is hand-written (a bucket grid with cells of the radius): the
//! query is a fixed-radius neighbourhood in 2D over points that are close to
//! uniformly spread, for which buckets are simpler and faster than a k-d tree
//! crate.

use super::model3d::VelocityModel3D;
use super::scattered_csv::read_velocity_csv;
use crate::{Grid3, GridGeometry, TravelTimeError};
use rayon::prelude::*;
use std::path::Path;

/// A velocity point in local coordinates.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LocalVelocityPoint {
    /// East (km).
    pub east_km: f64,
    /// North (km).
    pub north_km: f64,
    /// Depth (km, positive down).
    pub depth_km: f64,
    /// P velocity (km/s).
    pub vp_km_s: f64,
    /// S velocity (km/s).
    pub vs_km_s: f64,
}

/// How scattered points are interpolated.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct ScatteredOptions {
    /// Horizontal search radius (km). `None`: twice each layer's typical
    /// point spacing, `sqrt(bounding-box area / points)`, which reaches the
    /// four surrounding points of a regular mesh.
    pub radius_km: Option<f64>,
    /// Points whose depths differ by at most this much (km) belong to one
    /// layer. `None`: 1e-3 km.
    pub layer_tolerance_km: Option<f64>,
}

/// What happened in one layer.
#[derive(Debug, Clone, PartialEq)]
pub struct LayerReport {
    /// Depth of the layer (km; mean of its points' depths).
    pub depth_km: f64,
    /// Number of points in the layer.
    pub points: usize,
    /// Search radius used (km).
    pub radius_km: f64,
    /// Mean Vp and Vs of the layer (km/s), used for holes.
    pub mean_km_s: (f64, f64),
    /// Grid columns `(ix, iy)` with no point in reach, filled with the mean.
    pub hole_columns: usize,
}

/// Per-layer account of an interpolation.
#[derive(Debug, Clone, PartialEq)]
pub struct ScatteredReport {
    /// One entry per layer, shallowest first.
    pub layers: Vec<LayerReport>,
}

impl VelocityModel3D {
    /// Read a scattered-point CSV (see [`read_velocity_csv`] for the columns),
    /// project every point with `project(lon_deg, lat_deg) -> (east_km,
    /// north_km)` and interpolate onto `geometry` (see the module docs).
    pub fn from_velocity_csv(
        path: impl AsRef<Path>,
        geometry: GridGeometry,
        project: &dyn Fn(f64, f64) -> (f64, f64),
        options: &ScatteredOptions,
    ) -> Result<(Self, ScatteredReport), TravelTimeError> {
        let path = path.as_ref();
        let raw = read_velocity_csv(path)?;
        let mut local = Vec::with_capacity(raw.len());
        for p in &raw {
            let (e, n) = project(p.lon_deg, p.lat_deg);
            if !(e.is_finite() && n.is_finite()) {
                return Err(TravelTimeError::Format {
                    path: path.to_path_buf(),
                    what: format!(
                        "line {}: ({}, {}) does not project to finite km",
                        p.line, p.lon_deg, p.lat_deg
                    ),
                });
            }
            local.push(LocalVelocityPoint {
                east_km: e,
                north_km: n,
                depth_km: p.depth_km,
                vp_km_s: p.vp_km_s,
                vs_km_s: p.vs_km_s,
            });
        }
        VelocityModel3D::from_scattered_points(&local, geometry, options).map_err(|e| {
            TravelTimeError::Format {
                path: path.to_path_buf(),
                what: e.to_string(),
            }
        })
    }

    /// Interpolate scattered points (local km) onto `geometry`, layer by
    /// layer (see the module docs).
    pub fn from_scattered_points(
        points: &[LocalVelocityPoint],
        geometry: GridGeometry,
        options: &ScatteredOptions,
    ) -> Result<(Self, ScatteredReport), TravelTimeError> {
        let invalid = |w: String| TravelTimeError::InvalidModel(w);
        if points.is_empty() {
            return Err(invalid("no velocity points".into()));
        }
        if geometry.is_empty() {
            return Err(invalid(format!("grid {:?} has no node", geometry.n)));
        }
        if let Some(r) = options.radius_km {
            if !(r.is_finite() && r > 0.0) {
                return Err(invalid(format!(
                    "search radius {r} km must be positive and finite"
                )));
            }
        }
        for (i, p) in points.iter().enumerate() {
            let ok = [p.east_km, p.north_km, p.depth_km]
                .iter()
                .all(|v| v.is_finite())
                && [p.vp_km_s, p.vs_km_s]
                    .iter()
                    .all(|v| v.is_finite() && *v > 0.0);
            if !ok {
                return Err(invalid(format!(
                    "point {i} {p:?} has a non-finite coordinate or a non-positive velocity"
                )));
            }
        }
        let tol = options.layer_tolerance_km.unwrap_or(1e-3);

        // Layers: points sorted by depth, split where depth jumps by > tol.
        let mut sorted: Vec<LocalVelocityPoint> = points.to_vec();
        sorted.sort_by(|a, b| a.depth_km.total_cmp(&b.depth_km));
        let mut layers: Vec<Vec<LocalVelocityPoint>> = Vec::new();
        for p in sorted {
            match layers.last_mut() {
                Some(l) if p.depth_km - l[0].depth_km <= tol => l.push(p),
                _ => layers.push(vec![p]),
            }
        }

        let [nx, ny, nz] = geometry.n;
        let columns: Vec<(f64, f64)> = (0..nx * ny)
            .map(|c| {
                let (ix, iy) = (c / ny, c % ny);
                (
                    geometry.origin_km[0] + ix as f64 * geometry.spacing_km[0],
                    geometry.origin_km[1] + iy as f64 * geometry.spacing_km[1],
                )
            })
            .collect();

        // Horizontal interpolation of every layer at every column.
        let mut reports = Vec::with_capacity(layers.len());
        let mut layer_values: Vec<Vec<(f64, f64)>> = Vec::with_capacity(layers.len());
        for layer in &layers {
            let radius = options.radius_km.unwrap_or_else(|| default_radius(layer));
            let index = BucketIndex::new(layer, radius);
            let n = layer.len() as f64;
            let mean = (
                layer.iter().map(|p| p.vp_km_s).sum::<f64>() / n,
                layer.iter().map(|p| p.vs_km_s).sum::<f64>() / n,
            );
            let values: Vec<Option<(f64, f64)>> = columns
                .par_iter()
                .map(|&(x, y)| moving_least_squares(layer, &index, x, y, radius))
                .collect();
            let holes = values.iter().filter(|v| v.is_none()).count();
            layer_values.push(values.into_iter().map(|v| v.unwrap_or(mean)).collect());
            reports.push(LayerReport {
                depth_km: layer.iter().map(|p| p.depth_km).sum::<f64>() / n,
                points: layer.len(),
                radius_km: radius,
                mean_km_s: mean,
                hole_columns: holes,
            });
        }

        // Linear in depth between layers, constant beyond them.
        let depths: Vec<f64> = reports.iter().map(|r| r.depth_km).collect();
        let mut vp = vec![0.0; geometry.len()];
        let mut vs = vec![0.0; geometry.len()];
        for iz in 0..nz {
            let z = geometry.origin_km[2] + iz as f64 * geometry.spacing_km[2];
            let (l0, l1, w1) = bracket(&depths, z);
            for (c, (&a, &b)) in layer_values[l0].iter().zip(&layer_values[l1]).enumerate() {
                let i = c * nz + iz; // == geometry.index(c / ny, c % ny, iz)
                vp[i] = a.0 + w1 * (b.0 - a.0);
                vs[i] = a.1 + w1 * (b.1 - a.1);
            }
        }
        let model =
            VelocityModel3D::new(Grid3 { geometry, data: vp }, Grid3 { geometry, data: vs })?;
        Ok((model, ScatteredReport { layers: reports }))
    }
}

/// Layers `(l0, l1)` around depth `z` and the weight of `l1`.
fn bracket(depths: &[f64], z: f64) -> (usize, usize, f64) {
    let last = depths.len() - 1;
    if z <= depths[0] {
        return (0, 0, 0.0);
    }
    if z >= depths[last] {
        return (last, last, 0.0);
    }
    let l1 = depths.partition_point(|&d| d < z);
    let l0 = l1 - 1;
    (l0, l1, (z - depths[l0]) / (depths[l1] - depths[l0]))
}

/// Twice the typical spacing `sqrt(area / n)` of a layer's points (for
/// collinear points, twice `extent / (n - 1)`; for one point, infinite).
fn default_radius(layer: &[LocalVelocityPoint]) -> f64 {
    let (mut x0, mut x1, mut y0, mut y1) = (
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
    );
    for p in layer {
        x0 = x0.min(p.east_km);
        x1 = x1.max(p.east_km);
        y0 = y0.min(p.north_km);
        y1 = y1.max(p.north_km);
    }
    let n = layer.len() as f64;
    let area = (x1 - x0) * (y1 - y0);
    let extent = (x1 - x0).max(y1 - y0);
    if area > 0.0 {
        2.0 * (area / n).sqrt()
    } else if extent > 0.0 {
        2.0 * extent / (n - 1.0)
    } else {
        f64::INFINITY
    }
}

/// Points bucketed on a square grid of cells at least `radius` wide, so a
/// query needs only its cell and the eight around it.
struct BucketIndex {
    x0: f64,
    y0: f64,
    cell: f64,
    ncx: usize,
    ncy: usize,
    /// `start[c]..start[c + 1]` indexes `order` for cell `c = cx * ncy + cy`.
    start: Vec<usize>,
    order: Vec<usize>,
}

impl BucketIndex {
    fn new(points: &[LocalVelocityPoint], radius: f64) -> Self {
        let (mut x0, mut x1, mut y0, mut y1) = (
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::INFINITY,
            f64::NEG_INFINITY,
        );
        for p in points {
            x0 = x0.min(p.east_km);
            x1 = x1.max(p.east_km);
            y0 = y0.min(p.north_km);
            y1 = y1.max(p.north_km);
        }
        // At most 1024 cells per axis keeps memory bounded for tiny radii.
        let cell = radius.max((x1 - x0) / 1024.0).max((y1 - y0) / 1024.0);
        let (ncx, ncy) = if cell.is_finite() && cell > 0.0 {
            (
                ((x1 - x0) / cell) as usize + 1,
                ((y1 - y0) / cell) as usize + 1,
            )
        } else {
            (1, 1)
        };
        let cell_of = |p: &LocalVelocityPoint| {
            if ncx == 1 && ncy == 1 {
                return 0;
            }
            let cx = (((p.east_km - x0) / cell) as usize).min(ncx - 1);
            let cy = (((p.north_km - y0) / cell) as usize).min(ncy - 1);
            cx * ncy + cy
        };
        let mut count = vec![0usize; ncx * ncy + 1];
        for p in points {
            count[cell_of(p) + 1] += 1;
        }
        for c in 1..count.len() {
            count[c] += count[c - 1];
        }
        let start = count.clone();
        let mut fill = count;
        let mut order = vec![0; points.len()];
        for (i, p) in points.iter().enumerate() {
            let c = cell_of(p);
            order[fill[c]] = i;
            fill[c] += 1;
        }
        BucketIndex {
            x0,
            y0,
            cell,
            ncx,
            ncy,
            start,
            order,
        }
    }

    /// Calls `f(i)` for every point in the cells around `(x, y)` (a superset
    /// of the points within one cell width).
    fn for_near(&self, x: f64, y: f64, mut f: impl FnMut(usize)) {
        if self.ncx == 1 && self.ncy == 1 {
            self.order.iter().for_each(|&i| f(i));
            return;
        }
        let fx = ((x - self.x0) / self.cell).floor();
        let fy = ((y - self.y0) / self.cell).floor();
        if fx < -1.0 || fy < -1.0 || fx > self.ncx as f64 || fy > self.ncy as f64 {
            return;
        }
        let (cx, cy) = (fx as i64, fy as i64);
        for ix in (cx - 1).max(0)..=(cx + 1).min(self.ncx as i64 - 1) {
            for iy in (cy - 1).max(0)..=(cy + 1).min(self.ncy as i64 - 1) {
                let c = ix as usize * self.ncy + iy as usize;
                self.order[self.start[c]..self.start[c + 1]]
                    .iter()
                    .for_each(|&i| f(i));
            }
        }
    }
}

/// Moving least-squares plane fit of `(vp, vs)` at `(x, y)`; `None` when no
/// point lies within `radius`.
fn moving_least_squares(
    points: &[LocalVelocityPoint],
    index: &BucketIndex,
    x: f64,
    y: f64,
    radius: f64,
) -> Option<(f64, f64)> {
    // Normal equations in coordinates scaled by the radius (dimensionless).
    let scale = if radius.is_finite() { radius } else { 1.0 };
    let mut m = [[0.0f64; 3]; 3];
    let mut rp = [0.0f64; 3];
    let mut rs = [0.0f64; 3];
    let (mut wsum, mut wp, mut ws) = (0.0, 0.0, 0.0);
    let (mut lo_p, mut hi_p, mut lo_s, mut hi_s) = (
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
    );
    index.for_near(x, y, |i| {
        let p = &points[i];
        let (u, v) = ((p.east_km - x) / scale, (p.north_km - y) / scale);
        let d2 = if radius.is_finite() {
            u * u + v * v
        } else {
            0.0
        };
        if d2 >= 1.0 {
            return;
        }
        let w = (1.0 - d2) * (1.0 - d2);
        let basis = [1.0, u, v];
        for r in 0..3 {
            for c in 0..3 {
                m[r][c] += w * basis[r] * basis[c];
            }
            rp[r] += w * basis[r] * p.vp_km_s;
            rs[r] += w * basis[r] * p.vs_km_s;
        }
        wsum += w;
        wp += w * p.vp_km_s;
        ws += w * p.vs_km_s;
        lo_p = lo_p.min(p.vp_km_s);
        hi_p = hi_p.max(p.vp_km_s);
        lo_s = lo_s.min(p.vs_km_s);
        hi_s = hi_s.max(p.vs_km_s);
    });
    if wsum <= 0.0 {
        return None;
    }
    let det = det3(&m);
    // Well-posed plane fit only with a 2D spread of points (det relative to
    // wsum³ is the product of the weighted variances along the two axes).
    let value = if det > 1e-9 * wsum * wsum * wsum {
        (solve_first(&m, &rp, det), solve_first(&m, &rs, det))
    } else {
        (wp / wsum, ws / wsum)
    };
    Some((value.0.clamp(lo_p, hi_p), value.1.clamp(lo_s, hi_s)))
}

fn det3(m: &[[f64; 3]; 3]) -> f64 {
    m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1])
        - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0])
        + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0])
}

/// First unknown of `m · a = r` by Cramer's rule (the plane's value at the
/// query point, since coordinates are centred on it).
fn solve_first(m: &[[f64; 3]; 3], r: &[f64; 3], det: f64) -> f64 {
    let mut a = *m;
    for row in 0..3 {
        a[row][0] = r[row];
    }
    det3(&a) / det
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bracket_interpolates_and_clamps() {
        let d = [0.0, 2.0, 5.0];
        assert_eq!(bracket(&d, -1.0), (0, 0, 0.0));
        assert_eq!(bracket(&d, 0.0), (0, 0, 0.0));
        assert_eq!(bracket(&d, 1.0), (0, 1, 0.5));
        assert_eq!(bracket(&d, 2.0), (0, 1, 1.0));
        assert_eq!(bracket(&d, 3.5), (1, 2, 0.5));
        assert_eq!(bracket(&d, 9.0), (2, 2, 0.0));
        assert_eq!(bracket(&[4.0], 1.0), (0, 0, 0.0));
    }

    #[test]
    fn bucket_search_finds_every_point_within_the_radius() {
        // Brute force against the buckets on a pseudo-random cloud.
        let mut s = 12345u64;
        let mut rnd = || {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (s >> 11) as f64 / (1u64 << 53) as f64
        };
        let pts: Vec<LocalVelocityPoint> = (0..500)
            .map(|_| LocalVelocityPoint {
                east_km: 40.0 * rnd() - 20.0,
                north_km: 10.0 * rnd(),
                depth_km: 0.0,
                vp_km_s: 5.0,
                vs_km_s: 3.0,
            })
            .collect();
        let r = 1.7;
        let idx = BucketIndex::new(&pts, r);
        for _ in 0..200 {
            let (x, y) = (50.0 * rnd() - 25.0, 14.0 * rnd() - 2.0);
            let mut found = Vec::new();
            idx.for_near(x, y, |i| found.push(i));
            for (i, p) in pts.iter().enumerate() {
                if (p.east_km - x).hypot(p.north_km - y) < r {
                    assert!(found.contains(&i), "missed point {i} near ({x}, {y})");
                }
            }
        }
    }
}
