//! A tabulated layered-model field: the exact direct wave on a (distance,
//! depth) grid, interpolated with a C¹ bicubic Hermite scheme, and the head
//! waves evaluated exactly at run time (they are linear in distance and
//! depth); the first arrival is the smallest of them.
//!
//! Keeping the branches apart matters: where a head wave overtakes the
//! direct wave the first arrival has a kink, and across depth the kink is
//! strong (dT/dz changes sign: a deeper source is nearer the refractor). A
//! table of the first arrival would smear it over a cell (errors of ~10 ms at
//! 0.25 km spacing); the minimum of two smooth pieces keeps it exact.
//!
//! What is tabulated for the direct wave is not the time `T` but the mean
//! slowness along the straight station–source line, `S = T / r` with
//! `r = sqrt(Δ² + (z − z_station)²)`. `S` is constant inside the station's
//! layer, so the cone singularity of `T` at the station disappears and the
//! interpolation is exact there. Node derivatives of `S` follow from the
//! exact ray parameter `p = dT/dΔ`, the vertical slowness `dT/dz` and
//! `dp/dz` of the ray tracer, so the Hermite scheme is fourth-order
//! accurate wherever the first arrival is smooth.
//!
//! The depth axis is split at every interface inside the table, each piece
//! with its own regular spacing, so interfaces are node rows and the kinks of
//! `T` across them never fall inside a cell (interface rows hold the
//! one-sided limits of each side; from below a faster layer that limit is the
//! grazing ray, which joins the direct wave with a continuous slope). Just
//! below the top of a faster layer the direct wave bends into that grazing
//! ray within a few hundred metres, so graded extra rows (h/8, h/2 below the
//! interface) resolve it. The distance axis is finer near the station.
//!
//! The interpolant is C¹ (value and gradient continuous); its gradient is
//! the exact derivative of the interpolated time, so samplers see a
//! consistent smooth field. Across a direct/head crossover the first
//! arrival itself has a kink, which is kept (it is the physics).

use super::rays::{HeadWaves, LayerStack};
use crate::{OutsideDomain, TravelTimeError, TravelTimeField};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// Extent and resolution of the per-station travel-time table.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TableSpec {
    /// Largest epicentral distance (km) the field answers.
    pub max_distance_km: f64,
    /// Node spacing along epicentral distance (km) beyond `near_distance_km`.
    pub distance_step_km: f64,
    /// Epicentral distance (km) within which the finer `near_distance_step_km`
    /// is used (the direct wave bends most sharply near the station).
    pub near_distance_km: f64,
    /// Node spacing along distance (km) up to `near_distance_km`.
    pub near_distance_step_km: f64,
    /// Shallowest source depth (km, positive down); `None` means
    /// `min(0, station depth)`.
    pub depth_min_km: Option<f64>,
    /// Deepest source depth (km).
    pub depth_max_km: f64,
    /// Largest node spacing along depth (km); each depth interval between
    /// interfaces gets the smallest whole number of cells not coarser than it.
    pub depth_step_km: f64,
}

impl Default for TableSpec {
    /// 0–300 km every 1 km (every 0.25 km within 20 km), depth 0 (or the
    /// station) to 60 km every 0.5 km: about 1.6 MB per station and phase,
    /// interpolation errors below 0.1 ms in crustal models (see
    /// `tests/layered_table.rs`).
    fn default() -> Self {
        TableSpec {
            max_distance_km: 300.0,
            distance_step_km: 1.0,
            near_distance_km: 20.0,
            near_distance_step_km: 0.25,
            depth_min_km: None,
            depth_max_km: 60.0,
            depth_step_km: 0.5,
        }
    }
}

/// Refuse tables larger than this many nodes (a typo guard: 4·8 bytes each).
const MAX_NODES: usize = 50_000_000;

impl TableSpec {
    /// Check the numbers; errors name the field.
    pub fn validate(&self) -> Result<(), TravelTimeError> {
        let bad = |f: &str, v: f64, why: &str| Err(TravelTimeError::InvalidModel(format!("table: {f} = {v} {why}")));
        for (f, v) in [
            ("max_distance_km", self.max_distance_km),
            ("distance_step_km", self.distance_step_km),
            ("near_distance_step_km", self.near_distance_step_km),
            ("depth_step_km", self.depth_step_km),
        ] {
            if !(v.is_finite() && v > 0.0) {
                return bad(f, v, "must be positive and finite");
            }
        }
        if !(self.near_distance_km.is_finite() && self.near_distance_km >= 0.0) {
            return bad("near_distance_km", self.near_distance_km, "must be finite and not negative");
        }
        if !self.depth_max_km.is_finite() {
            return bad("depth_max_km", self.depth_max_km, "must be finite");
        }
        if let Some(z0) = self.depth_min_km {
            if !(z0.is_finite() && z0 < self.depth_max_km) {
                return bad("depth_min_km", z0, "must be finite and below depth_max_km");
            }
        }
        let nd = (self.max_distance_km / self.distance_step_km).ceil() + 1.0;
        if nd > MAX_NODES as f64 {
            return bad("distance_step_km", self.distance_step_km, "gives too many nodes");
        }
        let nn = (self.near_distance_km.min(self.max_distance_km) / self.near_distance_step_km).ceil();
        if nn > MAX_NODES as f64 {
            return bad("near_distance_step_km", self.near_distance_step_km, "gives too many nodes");
        }
        Ok(())
    }
}

/// One depth interval of the table, inside a single layer.
#[derive(Debug, Clone, Copy)]
struct DepthPiece {
    z0: f64,
    z1: f64,
    inv_step: f64,
    cells: usize,
    /// The layer holding the piece.
    layer: usize,
    /// Index of the piece's first node in `nodes`.
    offset: usize,
}

/// The tabulated first-arrival field of one station depth and one phase,
/// as a function of epicentral distance Δ (km) and source depth z (km).
#[derive(Debug)]
pub struct TravelTimeTable {
    station_depth_km: f64,
    max_distance_km: f64,
    /// Distance axis: `near_cells` cells of `1/inv_near` km up to `near_km`,
    /// then `far_cells` cells of `1/inv_far` km.
    near_km: f64,
    inv_near: f64,
    near_cells: usize,
    inv_far: f64,
    far_cells: usize,
    pieces: Vec<DepthPiece>,
    /// Depth lookup: `piece_lut[i]` is the first piece reaching depth
    /// `z0 + i / inv_lut_step` (the quantum is below the thinnest piece, so a
    /// lookup needs at most one more step).
    piece_lut: Vec<u32>,
    inv_lut_step: f64,
    heads: HeadWaves,
    /// Per node: S (s/km), ∂S/∂Δ, ∂S/∂z (s/km²), ∂²S/∂Δ∂z (s/km³).
    nodes: Vec<[f64; 4]>,
}

impl TravelTimeTable {
    /// Tabulate exact first arrivals for layer `tops` (km) and velocities
    /// `v` (km/s, validated) and a station at depth `station_depth_km`.
    pub fn build(tops: &[f64], v: &[f64], station_depth_km: f64, spec: &TableSpec) -> Result<Self, TravelTimeError> {
        spec.validate()?;
        if !station_depth_km.is_finite() {
            return Err(TravelTimeError::InvalidModel(format!("station depth {station_depth_km} km is not finite")));
        }
        let zmin = spec.depth_min_km.unwrap_or(station_depth_km.min(0.0));
        let zmax = spec.depth_max_km;
        if zmin >= zmax {
            return Err(TravelTimeError::InvalidModel(format!(
                "table: depth range {zmin}..{zmax} km is empty (station depth {station_depth_km} km)"
            )));
        }
        // distance axis: a fine part near the station, then the regular step
        let near_km = spec.near_distance_km.min(spec.max_distance_km);
        let near_cells = (near_km / spec.near_distance_step_km).ceil() as usize;
        let far_km = spec.max_distance_km - near_km;
        let far_cells = if far_km > 0.0 { ((far_km / spec.distance_step_km).ceil() as usize).max(1) } else { 0 };
        let (near_cells, near_km) = if near_cells + far_cells == 0 { (1, spec.max_distance_km) } else { (near_cells, near_km) };
        let h_near = if near_cells > 0 { near_km / near_cells as f64 } else { 1.0 };
        let h_far = if far_cells > 0 { far_km / far_cells as f64 } else { 1.0 };
        let dist_cells = near_cells + far_cells;
        let row = dist_cells + 1;
        let node_dist = |id: usize| {
            if id == dist_cells {
                spec.max_distance_km
            } else if id <= near_cells {
                id as f64 * h_near
            } else {
                near_km + (id - near_cells) as f64 * h_far
            }
        };

        // depth pieces split at the interfaces strictly inside (zmin, zmax)
        // Next to an interface, on the side of the faster layer, the direct
        // wave turns into the grazing ray within a few hundred metres (T(z)
        // has a curvature ~ 1/(v (Δ − Δ_crit)) there), so those depths get
        // graded rows at h/8 and h/2 from the interface.
        let mut breaks = vec![zmin];
        for (k, &t) in tops.iter().enumerate().skip(1) {
            let (prev, next) = (tops[k - 1], tops.get(k + 1).cloned().unwrap_or(f64::INFINITY));
            let mut add = Vec::with_capacity(5);
            if v[k - 1] > v[k] {
                add.extend([t - spec.depth_step_km / 2.0, t - spec.depth_step_km / 8.0].into_iter().filter(|&z| z > prev || k == 1));
            }
            add.push(t);
            if v[k] > v[k - 1] {
                add.extend([t + spec.depth_step_km / 8.0, t + spec.depth_step_km / 2.0].into_iter().filter(|&z| z < next));
            }
            breaks.extend(add.into_iter().filter(|&z| z > zmin && z < zmax));
        }
        breaks.push(zmax);
        // grading rows of neighbouring interfaces may interleave: keep order
        breaks.sort_by(f64::total_cmp);
        breaks.dedup_by(|a, b| (*a - *b).abs() < 1e-9);
        let layer_of = |z: f64| tops.iter().skip(1).take_while(|&&t| z >= t).count();
        let mut pieces = Vec::with_capacity(breaks.len() - 1);
        let mut offset = 0;
        for w in breaks.windows(2) {
            let cells = (((w[1] - w[0]) / spec.depth_step_km - 1e-9).ceil() as usize).max(1);
            let layer = layer_of(0.5 * (w[0] + w[1]));
            pieces.push(DepthPiece { z0: w[0], z1: w[1], inv_step: cells as f64 / (w[1] - w[0]), cells, layer, offset });
            offset += (cells + 1) * row;
        }
        if offset > MAX_NODES {
            return Err(TravelTimeError::InvalidModel(format!(
                "table: {offset} nodes is too many; increase distance_step_km or depth_step_km"
            )));
        }

        let stack = LayerStack::new(tops, v);
        let jr = layer_of(station_depth_km);
        let zr = station_depth_km;
        // rows to compute: (piece's layer, depth)
        let mut rows = Vec::new();
        for p in &pieces {
            let js = p.layer;
            for iz in 0..=p.cells {
                let z = if iz == p.cells { p.z1 } else { p.z0 + iz as f64 * (p.z1 - p.z0) / p.cells as f64 };
                rows.push((js, z));
            }
        }
        let nodes: Vec<[f64; 4]> = rows
            .par_iter()
            .flat_map_iter(|&(js, z)| {
                let stack = &stack;
                (0..row).map(move |id| {
                    let d = node_dist(id);
                    let a = stack.direct_arrival(d, z, js, zr, jr);
                    let dz = z - zr;
                    let r = d.hypot(dz);
                    if r == 0.0 {
                        // the station itself: S is the local slowness, flat
                        return [1.0 / v[js], 0.0, 0.0, 0.0];
                    }
                    let s = a.time_s / r;
                    let (r_d, r_z, r_dz) = (d / r, dz / r, -d * dz / (r * r * r));
                    let s_d = (a.dt_ddist - s * r_d) / r;
                    let s_z = (a.dt_dz - s * r_z) / r;
                    let s_dz = (a.d2t_ddist_dz - s_d * r_z - s_z * r_d - s * r_dz) / r;
                    [s, s_d, s_z, s_dz]
                })
            })
            .collect();
        debug_assert_eq!(nodes.len(), offset);
        let heads = HeadWaves::new(&stack, zr, jr);
        let thinnest = pieces.iter().map(|p| p.z1 - p.z0).fold(f64::INFINITY, f64::min);
        let lut_len = (((zmax - zmin) / (0.5 * thinnest)).ceil() as usize).clamp(1, 1 << 20) + 1;
        let inv_lut_step = (lut_len - 1) as f64 / (zmax - zmin);
        let piece_lut = (0..lut_len)
            .map(|i| {
                let z = zmin + i as f64 / inv_lut_step;
                pieces.iter().position(|p| z <= p.z1).unwrap_or(pieces.len() - 1) as u32
            })
            .collect();
        Ok(TravelTimeTable {
            piece_lut,
            inv_lut_step,
            heads,
            station_depth_km,
            max_distance_km: spec.max_distance_km,
            near_km,
            inv_near: 1.0 / h_near,
            near_cells,
            inv_far: 1.0 / h_far,
            far_cells,
            pieces,
            nodes,
        })
    }

    /// Station depth (km).
    pub fn station_depth_km(&self) -> f64 {
        self.station_depth_km
    }

    /// Largest epicentral distance (km).
    pub fn max_distance_km(&self) -> f64 {
        self.max_distance_km
    }

    /// Source depth range `(min, max)` (km).
    pub fn depth_range_km(&self) -> (f64, f64) {
        (self.pieces[0].z0, self.pieces[self.pieces.len() - 1].z1)
    }

    /// Memory held by the nodes (bytes).
    pub fn size_bytes(&self) -> usize {
        self.nodes.len() * std::mem::size_of::<[f64; 4]>()
    }

    /// Interpolated time (s) and `[dT/dΔ, dT/dz]` (s/km) at epicentral
    /// distance `dist` and depth `z` (km); `None` outside the table
    /// (including NaN).
    #[inline]
    pub fn eval(&self, dist: f64, z: f64) -> Option<(f64, f64, f64)> {
        if !(dist >= 0.0 && dist <= self.max_distance_km) {
            return None;
        }
        let z0 = self.pieces[0].z0;
        if !(z >= z0 && z <= self.pieces[self.pieces.len() - 1].z1) {
            return None;
        }
        let slot = (((z - z0) * self.inv_lut_step) as usize).min(self.piece_lut.len() - 1);
        let mut k = self.piece_lut[slot] as usize;
        while z > self.pieces[k].z1 && k + 1 < self.pieces.len() {
            k += 1;
        }
        let piece = &self.pieces[k];
        let (iu, tu, inv_hd) = if dist < self.near_km || self.far_cells == 0 {
            let u = dist * self.inv_near;
            let iu = (u as usize).min(self.near_cells - 1);
            (iu, u - iu as f64, self.inv_near)
        } else {
            let u = (dist - self.near_km) * self.inv_far;
            let iu = (u as usize).min(self.far_cells - 1);
            (self.near_cells + iu, u - iu as f64, self.inv_far)
        };
        let w = (z - piece.z0) * piece.inv_step;
        let iw = (w as usize).min(piece.cells - 1);
        let tw = w - iw as f64;
        let row = self.near_cells + self.far_cells + 1;
        let base = piece.offset + iw * row + iu;
        let (c00, c10, c01, c11) = (self.nodes[base], self.nodes[base + 1], self.nodes[base + row], self.nodes[base + row + 1]);

        // slope weights carry the cell sizes (node derivatives are per km)
        let (hd, hz) = (1.0 / inv_hd, 1.0 / piece.inv_step);
        let (au, bu, dau, dbu) = hermite(tu, hd);
        let (av, bv, dav, dbv) = hermite(tw, hz);
        let mut s = 0.0;
        let mut s_u = 0.0;
        let mut s_v = 0.0;
        for (c, i, j) in [(c00, 0, 0), (c10, 1, 0), (c01, 0, 1), (c11, 1, 1)] {
            let g = c[0] * av[j] + c[2] * bv[j];
            let g2 = c[1] * av[j] + c[3] * bv[j];
            let h = c[0] * dav[j] + c[2] * dbv[j];
            let h2 = c[1] * dav[j] + c[3] * dbv[j];
            s += au[i] * g + bu[i] * g2;
            s_u += dau[i] * g + dbu[i] * g2;
            s_v += au[i] * h + bu[i] * h2;
        }
        let s_d = s_u * inv_hd;
        let s_z = s_v * piece.inv_step;
        let dz = z - self.station_depth_km;
        let r = (dist * dist + dz * dz).sqrt();
        let mut best = if r == 0.0 { (0.0, 0.0, 0.0) } else { (s * r, s_d * r + s * dist / r, s_z * r + s * dz / r) };
        for h in self.heads.for_layer(piece.layer) {
            if let Some(t) = h.time(dist, z) {
                if t < best.0 {
                    best = (t, h.slowness, h.dt_dz);
                }
            }
        }
        Some(best)
    }
}

/// Cubic Hermite basis on a cell of width `h` at fraction `t`: weights of
/// the end values `[at 0, at 1]`, of the end slopes (per unit length, so
/// scaled by `h`), and their derivatives with respect to `t`.
#[inline(always)]
fn hermite(t: f64, h: f64) -> ([f64; 2], [f64; 2], [f64; 2], [f64; 2]) {
    let t2 = t * t;
    let t3 = t2 * t;
    let a0 = 2.0 * t3 - 3.0 * t2 + 1.0;
    let a1 = 3.0 * t2 - 2.0 * t3;
    let b0 = t3 - 2.0 * t2 + t;
    let b1 = t3 - t2;
    let da0 = 6.0 * (t2 - t);
    let db0 = 3.0 * t2 - 4.0 * t + 1.0;
    let db1 = 3.0 * t2 - 2.0 * t;
    ([a0, a1], [b0 * h, b1 * h], [da0, -da0], [db0 * h, db1 * h])
}

/// The field of one station and phase in a [`Layered1D`](super::Layered1D)
/// model: a shared [`TravelTimeTable`] placed at the station's epicentre.
///
/// Domain: epicentral distance `<= max_distance_km` and depth inside the
/// table's depth range; elsewhere [`OutsideDomain`]. Evaluation does not
/// allocate.
#[derive(Debug, Clone)]
pub struct LayeredField {
    station_xy_km: [f64; 2],
    table: Arc<TravelTimeTable>,
}

impl LayeredField {
    /// The field of a station at `station_xy_km = [east, north]` (km) using
    /// `table` (built for the station's depth).
    pub fn new(station_xy_km: [f64; 2], table: Arc<TravelTimeTable>) -> Self {
        LayeredField { station_xy_km, table }
    }

    /// The table behind the field.
    pub fn table(&self) -> &Arc<TravelTimeTable> {
        &self.table
    }
}

impl TravelTimeField for LayeredField {
    #[inline]
    fn time(&self, x: [f64; 3]) -> Result<f64, OutsideDomain> {
        self.time_and_gradient(x).map(|(t, _)| t)
    }

    #[inline]
    fn time_and_gradient(&self, x: [f64; 3]) -> Result<(f64, [f64; 3]), OutsideDomain> {
        let dx = x[0] - self.station_xy_km[0];
        let dy = x[1] - self.station_xy_km[1];
        let dist = (dx * dx + dy * dy).sqrt();
        let (t, t_d, t_z) = self.table.eval(dist, x[2]).ok_or_else(|| OutsideDomain::at(x))?;
        // dT/dx = dT/dΔ · dx/Δ; at Δ = 0 the gradient is vertical by symmetry.
        let (gx, gy) = if dist > 0.0 { (t_d * dx / dist, t_d * dy / dist) } else { (0.0, 0.0) };
        Ok((t, [gx, gy, t_z]))
    }

    fn bounds(&self) -> Option<([f64; 3], [f64; 3])> {
        let d = self.table.max_distance_km;
        let (z0, z1) = self.table.depth_range_km();
        let [x, y] = self.station_xy_km;
        Some(([x - d, y - d, z0], [x + d, y + d, z1]))
    }
}
