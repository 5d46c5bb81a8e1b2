//! A travel-time field stored on a regular grid, interpolated with gradients.
//!
//! The grid stores the smooth factor `tau = T / T0` of the multiplicative
//! factorisation `T(x) = T0(x) · tau(x)`, where `T0(x) = |x - x_s| / v(x_s)`
//! is the exact travel time of a homogeneous medium with the velocity at the
//! source `x_s`. `T0` carries the cone-shaped singularity at the source and is
//! evaluated analytically; `tau` is smooth (it is exactly 1 in a homogeneous
//! medium) and is interpolated trilinearly. Compared with interpolating `T`
//! directly this removes the large interpolation error near the source, where
//! `T` has a kink, and keeps the gradient direction exact there.
//!
//! Trilinear interpolation of `tau` is continuous everywhere; its gradient is
//! the exact gradient of the interpolant (discontinuous only across cell
//! faces, as for any trilinear scheme). One evaluation reads 8 values and
//! allocates nothing.
//!
//! Where the medium varies with depth only, `tau` is a function of the
//! horizontal distance from the source and the depth, and the eikonal
//! solver stores it on that plane only (finer than the grid, bilinear: 4
//! values per evaluation, a small array); in a uniform medium `tau = 1` and
//! nothing is stored. The grid box stays the field's domain either way.

use crate::plane_factor::PlaneFactor;
use crate::{Grid3, GridGeometry, OutsideDomain, TravelTimeError, TravelTimeField};
use std::borrow::Cow;
use std::sync::Arc;

/// Tolerance (in cell units) for points on the faces of the grid box, so a
/// point exactly on the boundary is inside despite rounding.
const EDGE_TOLERANCE_CELLS: f64 = 1e-9;

/// A travel-time field (s) on a regular grid, with its source position.
///
/// `time(x)` is the travel time between the source (for a station field:
/// the station, by reciprocity) and `x = [east, north, depth]` km. Points
/// outside the grid box answer [`OutsideDomain`].
#[derive(Debug, Clone)]
pub struct TimeGrid {
    geometry: GridGeometry,
    /// `tau = T / T0`.
    factor: Factor,
    /// Source position (km).
    source_km: [f64; 3],
    /// Slowness at the source (s/km), the factor of `T0`.
    source_slowness: f64,
    /// `1 / spacing` (1/km).
    inv_spacing: [f64; 3],
}

/// How `tau` is stored (shared: a field scaled from another, e.g. S from P
/// where Vp/Vs is one number, holds the same values).
#[derive(Debug, Clone)]
enum Factor {
    /// At every node, NonLinLoc order (z fastest); trilinear between them.
    Nodes(Arc<[f32]>),
    /// On the vertical plane through the source, a function of horizontal
    /// distance and depth (a medium that varies with depth only); bilinear.
    Plane(Arc<PlaneFactor>),
    /// 1 everywhere (a uniform medium: `T0` is the time).
    One,
}

/// Check that `geometry` describes a usable grid holding `len` values:
/// at least 2 nodes on each axis, finite origin, finite positive spacing.
/// `what` names the grid in the error ("velocity grid", "time grid", ...).
pub(crate) fn check_geometry(geometry: &GridGeometry, len: usize, what: &str) -> Result<(), TravelTimeError> {
    let axes = ["x", "y", "z"];
    for k in 0..3 {
        if geometry.n[k] < 2 {
            return Err(TravelTimeError::InvalidModel(format!(
                "{what}: needs at least 2 nodes along {} (has {})",
                axes[k], geometry.n[k]
            )));
        }
        let h = geometry.spacing_km[k];
        if !(h.is_finite() && h > 0.0) {
            return Err(TravelTimeError::InvalidModel(format!(
                "{what}: spacing along {} must be finite and positive (is {h} km)",
                axes[k]
            )));
        }
        if !geometry.origin_km[k].is_finite() {
            return Err(TravelTimeError::InvalidModel(format!(
                "{what}: origin along {} is not finite ({})",
                axes[k], geometry.origin_km[k]
            )));
        }
    }
    let expected = geometry.n.iter().try_fold(1usize, |acc, &n| acc.checked_mul(n));
    if expected != Some(len) {
        return Err(TravelTimeError::InvalidModel(format!(
            "{what}: {len} values for a {}x{}x{} grid",
            geometry.n[0], geometry.n[1], geometry.n[2]
        )));
    }
    Ok(())
}

/// True when `p` (km) lies in the grid box (boundary included).
pub(crate) fn contains(geometry: &GridGeometry, p: [f64; 3]) -> bool {
    (0..3).all(|k| {
        let u = (p[k] - geometry.origin_km[k]) / geometry.spacing_km[k];
        u >= -EDGE_TOLERANCE_CELLS && u <= (geometry.n[k] - 1) as f64 + EDGE_TOLERANCE_CELLS
    })
}

/// Cell `[i, j, k]` (lower corner) and fractional offsets in `[0, 1]` of `p`.
/// `None` outside the box or for a non-finite point.
#[inline]
fn locate(geometry: &GridGeometry, inv_spacing: &[f64; 3], p: [f64; 3]) -> Option<([usize; 3], [f64; 3])> {
    let mut cell = [0usize; 3];
    let mut frac = [0f64; 3];
    for k in 0..3 {
        let u = (p[k] - geometry.origin_km[k]) * inv_spacing[k];
        let last = (geometry.n[k] - 1) as f64;
        // Written so that NaN fails the test.
        if !(u >= -EDGE_TOLERANCE_CELLS && u <= last + EDGE_TOLERANCE_CELLS) {
            return None;
        }
        let i = (u.floor().max(0.0) as usize).min(geometry.n[k] - 2);
        cell[k] = i;
        frac[k] = u - i as f64;
    }
    Some((cell, frac))
}

/// Trilinear interpolation of `values` at `p` with the gradient (per km).
/// Callers have validated the geometry (>= 2 nodes per axis).
#[inline]
pub(crate) fn trilinear_with_gradient<T: Copy + Into<f64>>(
    geometry: &GridGeometry,
    inv_spacing: &[f64; 3],
    values: &[T],
    p: [f64; 3],
) -> Option<(f64, [f64; 3])> {
    let ([i, j, k], [fx, fy, fz]) = locate(geometry, inv_spacing, p)?;
    let sz = 1;
    let sy = geometry.n[2];
    let sx = geometry.n[1] * geometry.n[2];
    let b = geometry.index(i, j, k);
    let v = |o: usize| -> f64 { values[b + o].into() };
    let (c000, c001, c010, c011) = (v(0), v(sz), v(sy), v(sy + sz));
    let (c100, c101, c110, c111) = (v(sx), v(sx + sz), v(sx + sy), v(sx + sy + sz));
    // Interpolate along z, then y, then x.
    let c00 = c000 + (c001 - c000) * fz;
    let c01 = c010 + (c011 - c010) * fz;
    let c10 = c100 + (c101 - c100) * fz;
    let c11 = c110 + (c111 - c110) * fz;
    let c0 = c00 + (c01 - c00) * fy;
    let c1 = c10 + (c11 - c10) * fy;
    let value = c0 + (c1 - c0) * fx;
    let d_dx = c1 - c0;
    let d_dy = (c01 - c00) + ((c11 - c10) - (c01 - c00)) * fx;
    // d/dfz of the trilinear form, bilinear in (fx, fy).
    let e00 = c001 - c000;
    let e01 = c011 - c010;
    let e10 = c101 - c100;
    let e11 = c111 - c110;
    let e0 = e00 + (e01 - e00) * fy;
    let e1 = e10 + (e11 - e10) * fy;
    let d_dz = e0 + (e1 - e0) * fx;
    Some((value, [d_dx * inv_spacing[0], d_dy * inv_spacing[1], d_dz * inv_spacing[2]]))
}

impl TimeGrid {
    /// Build from the factor `tau = T / T0` at every node (used by the solver).
    pub(crate) fn from_tau(geometry: GridGeometry, tau: Vec<f32>, source_km: [f64; 3], source_slowness: f64) -> Self {
        Self::with_factor(geometry, Factor::Nodes(tau.into()), source_km, source_slowness)
    }

    /// Build from `tau` on the vertical plane through the source (a medium
    /// that varies with depth only; used by the solver).
    pub(crate) fn from_plane(geometry: GridGeometry, plane: PlaneFactor, source_km: [f64; 3], source_slowness: f64) -> Self {
        Self::with_factor(geometry, Factor::Plane(Arc::new(plane)), source_km, source_slowness)
    }

    /// The field of a uniform medium of slowness `source_slowness` (s/km)
    /// over `geometry`'s box: `T0` exactly.
    pub(crate) fn uniform(geometry: GridGeometry, source_km: [f64; 3], source_slowness: f64) -> Self {
        Self::with_factor(geometry, Factor::One, source_km, source_slowness)
    }

    fn with_factor(geometry: GridGeometry, factor: Factor, source_km: [f64; 3], source_slowness: f64) -> Self {
        let inv_spacing = geometry.spacing_km.map(|h| 1.0 / h);
        TimeGrid { geometry, factor, source_km, source_slowness, inv_spacing }
    }

    /// Build from travel times (s) at the nodes, e.g. read back from a
    /// NonLinLoc `.buf` file, with the source position (km) and the velocity
    /// at the source (km/s; the `T0` factor). The stored field reproduces
    /// the given node times exactly (up to `f32` rounding) and interpolates
    /// between them through the smooth factor `T / T0`.
    ///
    /// Errors ([`TravelTimeError::InvalidModel`]): invalid geometry, a
    /// negative or non-finite time (naming the node), a non-finite source or
    /// a non-positive velocity at the source.
    pub fn from_times<T: Copy + Into<f64>>(
        times: &Grid3<T>,
        source_km: [f64; 3],
        velocity_at_source_km_s: f64,
    ) -> Result<Self, TravelTimeError> {
        check_geometry(&times.geometry, times.data.len(), "time grid")?;
        if !source_km.iter().all(|c| c.is_finite()) {
            return Err(TravelTimeError::InvalidModel(format!("time grid: source position {source_km:?} km is not finite")));
        }
        if !(velocity_at_source_km_s.is_finite() && velocity_at_source_km_s > 0.0) {
            return Err(TravelTimeError::InvalidModel(format!(
                "time grid: velocity at the source must be finite and positive (is {velocity_at_source_km_s} km/s)"
            )));
        }
        let geometry = times.geometry;
        let slowness = 1.0 / velocity_at_source_km_s;
        let mut tau = Vec::with_capacity(times.data.len());
        for (i, &t) in times.data.iter().enumerate() {
            let t: f64 = t.into();
            if !(t.is_finite() && t >= 0.0) {
                let (ix, iy, iz) = geometry.node_of_index(i);
                return Err(TravelTimeError::InvalidModel(format!(
                    "time grid: time at node ({ix}, {iy}, {iz}) is {t} s (must be finite and >= 0)"
                )));
            }
            let (ix, iy, iz) = geometry.node_of_index(i);
            let t0 = slowness * distance(geometry.node_position(ix, iy, iz), source_km);
            // At the source node T0 = 0 and tau -> 1 (its limit for a smooth medium).
            tau.push(if t0 > 1e-12 { (t / t0) as f32 } else { 1.0 });
        }
        Ok(Self::from_tau(geometry, tau, source_km, slowness))
    }

    /// The field of the medium whose slowness is `factor` times this one's at
    /// every point (e.g. the S field from the P field where Vp/Vs = `factor`
    /// everywhere): the eikonal equation is homogeneous in the slowness, so
    /// the factor `tau` is unchanged and only `T0` scales. Exact, no solve.
    pub fn scaled_slowness(&self, factor: f64) -> TimeGrid {
        TimeGrid { source_slowness: self.source_slowness * factor, ..self.clone() }
    }

    /// Grid geometry (km).
    pub fn geometry(&self) -> &GridGeometry {
        &self.geometry
    }

    /// Source position (km).
    pub fn source_km(&self) -> [f64; 3] {
        self.source_km
    }

    /// Velocity at the source (km/s) used by the factor `T0`.
    pub fn velocity_at_source_km_s(&self) -> f64 {
        1.0 / self.source_slowness
    }

    /// The smooth factor `tau = T / T0` at every node (NonLinLoc order):
    /// borrowed where it is stored so, computed where the field is stored
    /// on the plane through the source or is uniform.
    pub fn tau_at_nodes(&self) -> Cow<'_, [f32]> {
        match &self.factor {
            Factor::Nodes(tau) => Cow::Borrowed(tau),
            _ => {
                let g = &self.geometry;
                let mut tau = Vec::with_capacity(g.len());
                for ix in 0..g.n[0] {
                    for iy in 0..g.n[1] {
                        tau.extend((0..g.n[2]).map(|iz| self.tau_at_node(ix, iy, iz)));
                    }
                }
                Cow::Owned(tau)
            }
        }
    }

    /// True when `tau` is stored at every node (a medium that varies
    /// laterally, or a grid read from times); false for the plane through
    /// the source of a depth-only medium and for a uniform medium.
    pub fn stores_every_node(&self) -> bool {
        matches!(self.factor, Factor::Nodes(_))
    }

    /// `tau` at node `(ix, iy, iz)`.
    #[inline]
    fn tau_at_node(&self, ix: usize, iy: usize, iz: usize) -> f32 {
        match &self.factor {
            Factor::Nodes(tau) => tau[self.geometry.index(ix, iy, iz)],
            Factor::Plane(plane) => {
                let p = self.geometry.node_position(ix, iy, iz);
                plane.at_depth_node((p[0] - self.source_km[0]).hypot(p[1] - self.source_km[1]), iz)
            }
            Factor::One => 1.0,
        }
    }

    /// Travel time (s) at node `(ix, iy, iz)`.
    pub fn time_at_node(&self, ix: usize, iy: usize, iz: usize) -> f64 {
        let t0 = self.source_slowness * distance(self.geometry.node_position(ix, iy, iz), self.source_km);
        t0 * self.tau_at_node(ix, iy, iz) as f64
    }

    /// Travel times (s) at the nodes as `f32`, e.g. for a NonLinLoc `.buf`:
    /// [`TimeGrid::time_at_node`] at every node (see
    /// [`slab_times_f32`](Self::slab_times_f32)).
    pub fn times_f32(&self) -> Grid3<f32> {
        let g = &self.geometry;
        let slab = g.n[1] * g.n[2];
        let mut data = vec![0.0; g.len()];
        for (ix, out) in data.chunks_exact_mut(slab).enumerate() {
            self.slab_times_f32(ix, out);
        }
        Grid3 { geometry: *g, data }
    }

    /// Travel times (s) as `f32` at the `ny · nz` nodes of the x slab `ix`,
    /// in [`GridGeometry::index`] order, into `out`: a grid of 10^8 nodes
    /// can be written slab by slab without being held whole. Column by
    /// column, the horizontal offset and the plane's distance cell computed
    /// once per column.
    ///
    /// # Panics
    /// When `ix >= nx` or `out.len() != ny · nz`.
    pub fn slab_times_f32(&self, ix: usize, out: &mut [f32]) {
        self.slab_times_scaled_f32(ix, [1.0], [out]);
    }

    /// [`slab_times_f32`](Self::slab_times_f32) of the fields
    /// [`scaled_slowness`](Self::scaled_slowness)`(factors[k])` into
    /// `out[k]`, in one pass (the distances computed once): e.g. the P and
    /// S times of a medium with one Vp/Vs, `factors = [1.0, vp_vs]`. Equal,
    /// bit for bit, to each scaled field's own slab.
    ///
    /// # Panics
    /// When `ix >= nx` or an `out[k].len() != ny · nz`.
    pub fn slab_times_scaled_f32<const N: usize>(&self, ix: usize, factors: [f64; N], mut out: [&mut [f32]; N]) {
        let g = &self.geometry;
        let len = g.n[1] * g.n[2];
        assert!(ix < g.n[0] && out.iter().all(|o| o.len() == len), "slab {ix} of a grid of {:?} nodes", g.n);
        // As `scaled_slowness` computes them, so the times are the same.
        let slowness = factors.map(|f| self.source_slowness * f);
        let dz2 = |iz: usize| {
            let dz = g.origin_km[2] + iz as f64 * g.spacing_km[2] - self.source_km[2];
            dz * dz
        };
        let dx = g.origin_km[0] + ix as f64 * g.spacing_km[0] - self.source_km[0];
        let nz = g.n[2];
        for iy in 0..g.n[1] {
            let dy = g.origin_km[1] + iy as f64 * g.spacing_km[1] - self.source_km[1];
            let h2 = dx * dx + dy * dy;
            let columns = &mut out.each_mut().map(|o| &mut o[iy * nz..(iy + 1) * nz]);
            // T0 / slowness, then each field's time: (s * r) * tau.
            let mut put = |iz: usize, tau: f64| {
                let r = (h2 + dz2(iz)).sqrt();
                for (column, s) in columns.iter_mut().zip(&slowness) {
                    column[iz] = (s * r * tau) as f32;
                }
            };
            match &self.factor {
                Factor::Nodes(tau) => {
                    let taus = &tau[g.index(ix, iy, 0)..][..nz];
                    for (iz, &tau) in taus.iter().enumerate() {
                        put(iz, tau as f64);
                    }
                }
                Factor::Plane(plane) => {
                    let at = plane.column_at(dx.hypot(dy));
                    for iz in 0..nz {
                        put(iz, at.tau(iz) as f64);
                    }
                }
                Factor::One => {
                    for iz in 0..nz {
                        put(iz, 1.0);
                    }
                }
            }
        }
    }

    /// `T0` and its gradient at `p`.
    #[inline]
    fn reference(&self, p: [f64; 3]) -> (f64, [f64; 3]) {
        let d = [p[0] - self.source_km[0], p[1] - self.source_km[1], p[2] - self.source_km[2]];
        let r = (d[0] * d[0] + d[1] * d[1] + d[2] * d[2]).sqrt();
        if r > 0.0 {
            let f = self.source_slowness / r;
            (self.source_slowness * r, [d[0] * f, d[1] * f, d[2] * f])
        } else {
            // At the source the gradient of the cone is undefined; 0 is its mean.
            (0.0, [0.0; 3])
        }
    }
}

#[inline]
fn distance(a: [f64; 3], b: [f64; 3]) -> f64 {
    ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2) + (a[2] - b[2]).powi(2)).sqrt()
}

impl TravelTimeField for TimeGrid {
    fn time(&self, x: [f64; 3]) -> Result<f64, OutsideDomain> {
        self.time_and_gradient(x).map(|(t, _)| t)
    }

    fn time_and_gradient(&self, x: [f64; 3]) -> Result<(f64, [f64; 3]), OutsideDomain> {
        let (tau, dtau) = match &self.factor {
            Factor::Nodes(tau) => {
                trilinear_with_gradient(&self.geometry, &self.inv_spacing, &tau[..], x).ok_or_else(|| OutsideDomain::at(x))?
            }
            Factor::Plane(plane) if contains(&self.geometry, x) => {
                plane.value_and_gradient(x[0] - self.source_km[0], x[1] - self.source_km[1], x[2])
            }
            Factor::One if contains(&self.geometry, x) => (1.0, [0.0; 3]),
            _ => return Err(OutsideDomain::at(x)),
        };
        let (t0, dt0) = self.reference(x);
        let grad = [
            dt0[0] * tau + t0 * dtau[0],
            dt0[1] * tau + t0 * dtau[1],
            dt0[2] * tau + t0 * dtau[2],
        ];
        Ok((t0 * tau, grad))
    }

    fn bounds(&self) -> Option<([f64; 3], [f64; 3])> {
        Some((self.geometry.origin_km, self.geometry.max_km()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn geometry() -> GridGeometry {
        GridGeometry { n: [4, 5, 3], origin_km: [-1.0, 2.0, 0.0], spacing_km: [0.5, 0.5, 0.25] }
    }

    #[test]
    fn trilinear_reproduces_linear_functions_and_their_gradient() {
        let g = geometry();
        let f = |p: [f64; 3]| 1.0 + 2.0 * p[0] - 3.0 * p[1] + 0.5 * p[2];
        let mut data = vec![0.0; g.len()];
        for ix in 0..4 {
            for iy in 0..5 {
                for iz in 0..3 {
                    data[g.index(ix, iy, iz)] = f(g.node_position(ix, iy, iz));
                }
            }
        }
        let inv = g.spacing_km.map(|h| 1.0 / h);
        for p in [[-0.8, 2.1, 0.3], [0.5, 4.0, 0.5], [-1.0, 2.0, 0.0], [0.13, 3.3, 0.41]] {
            let (v, grad) = trilinear_with_gradient(&g, &inv, &data, p).unwrap();
            assert!((v - f(p)).abs() < 1e-12, "{v} vs {}", f(p));
            for (a, b) in grad.iter().zip([2.0, -3.0, 0.5]) {
                assert!((a - b).abs() < 1e-12, "{grad:?}");
            }
        }
        assert!(trilinear_with_gradient(&g, &inv, &data, [0.6, 3.0, 0.2]).is_none());
        assert!(trilinear_with_gradient(&g, &inv, &data, [f64::NAN, 3.0, 0.2]).is_none());
    }

    #[test]
    fn from_times_round_trips_node_times() {
        let g = geometry();
        let src = [-0.3, 3.1, 0.2];
        let mut data = vec![0f32; g.len()];
        for ix in 0..4 {
            for iy in 0..5 {
                for iz in 0..3 {
                    // A non-homogeneous "field": 0.3 s/km slowness plus a bump.
                    let p = g.node_position(ix, iy, iz);
                    data[g.index(ix, iy, iz)] = (0.3 * distance(p, src) * (1.0 + 0.01 * p[2])) as f32;
                }
            }
        }
        let times = Grid3 { geometry: g, data };
        let tg = TimeGrid::from_times(&times, src, 1.0 / 0.3).unwrap();
        let back = tg.times_f32();
        for (a, b) in back.data.iter().zip(&times.data) {
            assert!((a - b).abs() <= 1e-6 * b.abs().max(1.0), "{a} vs {b}");
        }
        assert_eq!(tg.bounds(), Some((g.origin_km, g.max_km())));
    }

    #[test]
    fn from_times_rejects_bad_times_naming_the_node() {
        let g = geometry();
        let mut data = vec![1.0f64; g.len()];
        data[g.index(2, 1, 2)] = f64::NAN;
        let err = TimeGrid::from_times(&Grid3 { geometry: g, data }, [0.0, 3.0, 0.0], 5.0).unwrap_err();
        assert!(err.to_string().contains("(2, 1, 2)"), "{err}");
        let err = TimeGrid::from_times(&Grid3 { geometry: g, data: vec![1.0f64; 3] }, [0.0, 3.0, 0.0], 5.0).unwrap_err();
        assert!(err.to_string().contains("3 values"), "{err}");
        let err = TimeGrid::from_times(&Grid3 { geometry: g, data: vec![1.0f64; g.len()] }, [0.0, 3.0, 0.0], 0.0).unwrap_err();
        assert!(err.to_string().contains("velocity at the source"), "{err}");
    }
}
