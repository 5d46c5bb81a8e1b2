//! The factor `tau = T / T0` of a medium that varies with depth only,
//! stored on the vertical plane through the source: a function of the
//! horizontal distance `r` from the source and the depth `z` (see
//! `eikonal::axisymmetric` for why the 3D field is such a function).
//!
//! One evaluation reads 4 values of a small array (a few hundred kB for a
//! 401×401×81 grid, against 52 MB for `tau` at every 3D node) by bilinear
//! interpolation in `(r, z)`; the gradient in `x, y` is `∂tau/∂r` along the
//! horizontal direction away from the source.

/// `tau` on a regular `(r, z)` grid: `n[0]` distances from `origin_km[0]`
/// (negative: a few nodes behind the axis `r = 0`), `n[1]` depths from
/// `origin_km[1]`, depth fastest.
#[derive(Debug, Clone)]
pub(crate) struct PlaneFactor {
    /// `tau` at the plane's nodes, `index = ir · n[1] + iz`.
    tau: Vec<f32>,
    /// Node counts (distance, depth).
    n: [usize; 2],
    /// Position (km) of node (0, 0): distance, depth.
    origin_km: [f64; 2],
    /// `1 / spacing` (1/km): distance, depth.
    inv_spacing: [f64; 2],
    /// Plane depth nodes per 3D depth node: 3D depth node `iz` is plane
    /// depth node `iz · depth_step` (the grids share their top depth).
    depth_step: usize,
}

impl PlaneFactor {
    /// `tau` (`n[0] · n[1]` values, depth fastest) on the plane with the
    /// given node counts, origin (km) and spacing (km); `depth_step` plane
    /// depth nodes per 3D depth node.
    pub(crate) fn new(tau: Vec<f32>, n: [usize; 2], origin_km: [f64; 2], spacing_km: [f64; 2], depth_step: usize) -> Self {
        debug_assert_eq!(tau.len(), n[0] * n[1]);
        debug_assert!(n[0] >= 2 && n[1] >= 2 && origin_km[0] <= 0.0);
        PlaneFactor { tau, n, origin_km, inv_spacing: spacing_km.map(|h| 1.0 / h), depth_step }
    }

    /// `tau` at horizontal distance `r` (km, `>= 0`) on the plane's depth
    /// node of the 3D depth node `iz`: linear in distance.
    #[inline]
    pub(crate) fn at_depth_node(&self, r: f64, iz: usize) -> f32 {
        self.column_at(r).tau(iz)
    }

    /// The 3D column at horizontal distance `r` (km, `>= 0`): its `tau` at
    /// each 3D depth node by [`PlaneColumn::tau`].
    #[inline]
    pub(crate) fn column_at(&self, r: f64) -> PlaneColumn<'_> {
        let (i, w) = self.distance_cell(r);
        let near = &self.tau[i * self.n[1]..(i + 1) * self.n[1]];
        let far = &self.tau[(i + 1) * self.n[1]..(i + 2) * self.n[1]];
        PlaneColumn { near, far, w: w as f32, depth_step: self.depth_step }
    }

    /// Cell (lower node) and fraction along the distance axis of `r`.
    #[inline]
    fn distance_cell(&self, r: f64) -> (usize, f64) {
        let u = (r - self.origin_km[0]) * self.inv_spacing[0];
        let i = (u.floor().max(0.0) as usize).min(self.n[0] - 2);
        (i, u - i as f64)
    }

    /// `tau` and its gradient (1/km) at the point `dx` km east and `dy` km
    /// north of the source, at depth `z` km. The caller has checked that
    /// the point lies in the 3D grid box, which the plane covers.
    #[inline]
    pub(crate) fn value_and_gradient(&self, dx: f64, dy: f64, z: f64) -> (f64, [f64; 3]) {
        let r = dx.hypot(dy);
        let (i, fr) = self.distance_cell(r);
        let v = (z - self.origin_km[1]) * self.inv_spacing[1];
        let k = (v.floor().max(0.0) as usize).min(self.n[1] - 2);
        let fz = v - k as f64;
        let at = |ir: usize, iz: usize| self.tau[ir * self.n[1] + iz] as f64;
        let (c00, c01, c10, c11) = (at(i, k), at(i, k + 1), at(i + 1, k), at(i + 1, k + 1));
        let near = c00 + (c01 - c00) * fz;
        let far = c10 + (c11 - c10) * fz;
        let value = near + (far - near) * fr;
        let d_dr = (far - near) * self.inv_spacing[0];
        let d_dz = ((c01 - c00) + ((c11 - c10) - (c01 - c00)) * fr) * self.inv_spacing[1];
        // On the axis the direction is undefined; the field is symmetric
        // about it, so its horizontal derivative there is 0.
        let (ux, uy) = if r > 0.0 { (dx / r, dy / r) } else { (0.0, 0.0) };
        (value, [d_dr * ux, d_dr * uy, d_dz])
    }
}

/// The two plane columns around a 3D column and its place between them.
pub(crate) struct PlaneColumn<'a> {
    near: &'a [f32],
    far: &'a [f32],
    w: f32,
    depth_step: usize,
}

impl PlaneColumn<'_> {
    /// `tau` at the 3D depth node `iz`.
    #[inline]
    pub(crate) fn tau(&self, iz: usize) -> f32 {
        let k = iz * self.depth_step;
        let (a, b) = (self.near[k], self.far[k]);
        a + self.w * (b - a)
    }
}
