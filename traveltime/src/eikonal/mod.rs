//! 3D eikonal travel times on a regular grid: a factored fast-marching solver
//! ([`solve_eikonal`]) and the grid travel-time model ([`EikonalModel`]).
//!
//! ## Method
//!
//! The eikonal equation `|∇T(x)| = s(x)` (slowness `s = 1/v`, s/km) is solved
//! for the first-arrival time `T` (s) from a point source `x_s`, with the
//! multiplicative factorisation `T = T0 · tau`, `T0 = s(x_s) · |x - x_s|`
//! (the homogeneous-medium time). `T0` holds the point-source singularity
//! analytically, so the unknown `tau` is smooth near the source and the
//! upwind finite differences applied to it keep their formal order
//! (Fomel, Luo & Zhao 2009; Luo & Qian 2012; Treister & Haber 2016).
//! Without the factorisation a point source makes any scheme first order
//! with a `h·log(1/h)`-type error. One-sided differences of `tau` are second
//! order (`(3 tau_i - 4 tau_{i-1} + tau_{i-2}) / 2h`) wherever the two upwind
//! nodes are accepted and monotone, first order elsewhere, and first order
//! too where `tau` jumps by more than 50 % between them (a velocity
//! contrast the grid does not resolve) or where the second-order solution
//! is not an upwind time (non-positive, or earlier than every neighbour it
//! was computed from).
//!
//! **Fast marching rather than fast sweeping.** Fast marching accepts each
//! node once in increasing time order (a bucketed priority queue, each
//! bucket sorted when reached), so the cost is about `O(N log B)` (`B`
//! entries per bucket) and there is *no iteration count to tune*: the
//! number of fast-sweeping iterations grows with the number of times rays
//! turn, which a strong gradient or a low-velocity zone makes unpredictable,
//! and second-order sweeping needs extra iterations to converge. Marching is
//! sequential, so parallelism comes from solving independent fields (P and
//! S, several stations) at the same time with rayon
//! ([`EikonalModel::fields`], [`EikonalModel::precompute`]).
//!
//! **Sweeping near the source only.** Time-ordered acceptance has one defect
//! with a factored scheme: where the wavefront is strongly curved (near the
//! source) the nodes beside a ray are accepted after it, so their axis is
//! left out of the update even when the true derivative along it is not
//! zero; in a velocity gradient the march then propagates straight rays
//! within `R* ≈ sqrt(v·h/|∇v|)` of the source and the error converges like
//! `h^1.5` (measured: order 1.6 in the max norm). So the solver first
//! marches a box of half-width about `2·R*` around the source, converges it
//! with factored Godunov Gauss-Seidel sweeps in the 8 axis orders (the
//! upwind side chosen from the factored one-sided derivatives, Fomel, Luo &
//! Zhao 2009; 3 to 5 rounds), then marches the rest of the grid from it.
//! The box is small (at most `(2·24+1)³` nodes by default), and the max-norm
//! error then converges at order 2 (`tests/eikonal_convergence.rs`).
//!
//! Nodes within [`EikonalOptions::source_radius_nodes`] spacings of the
//! source are initialised with the straight-ray time using the mean of the
//! slownesses at the source and at the node (error `O(r³)`, below the
//! scheme's `O(h²)`), which also handles a source anywhere inside a cell.
//!
//! **A medium that varies with depth only** (every node of a depth level
//! the same velocity: a layered or gradient model on a grid) is solved
//! exactly as a 2D problem in the vertical plane through the source, on a
//! grid [`EikonalOptions::axisymmetric_refinement`] times finer, and
//! kept as a function of horizontal distance and depth (the first-arrival
//! ray lies in that plane; NonLinLoc's 2D grids make the same reduction). It
//! is more accurate than the 3D march (the medium is resolved more finely),
//! costs a few per cent of it and holds a plane instead of a volume;
//! `axisymmetric = false` forces the march.
//!
//! **Arrivals from outside the source box** (a head wave along a fast
//! layer just below it) reach the box's nodes: after the sweeps the box is
//! marched again with the grid, each node changed only from a neighbour
//! outside the box or one so changed.
//!
//! The result is a [`TimeGrid`] that stores `tau` and recombines it with the
//! analytic `T0` when interpolating. In a uniform medium (every node the
//! same velocity) `T0` is the answer and `tau = 1` is returned without a
//! march.

mod axisymmetric;
mod model;
mod queue;
mod solver;

pub use model::EikonalModel;

use crate::time_grid::{check_geometry, contains, trilinear_with_gradient};
use crate::{Grid3, GridGeometry, OutsideDomain, TimeGrid, TravelTimeError};
use serde::{Deserialize, Serialize};

/// Options of the eikonal solver.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EikonalOptions {
    /// Second-order upwind differences where the field allows them
    /// (default `true`); `false` gives the first-order factored scheme.
    pub second_order: bool,
    /// Radius, in node spacings (of the largest spacing), of the ball around
    /// the source initialised with straight-ray times (default 2; at least 1.5).
    pub source_radius_nodes: f64,
    /// Largest half-width (nodes) of the box around the source that is
    /// converged by factored Godunov sweeps before the global march
    /// (default 24; the box is `2·sqrt(v·h/|∇v|)` wide when that is smaller).
    pub source_box_nodes: usize,
    /// Most rounds of 8 sweeps over the source box (default 20; the sweeps
    /// stop earlier once `tau` changes by less than 1e-8, below the `f32`
    /// rounding of the stored `tau`).
    pub max_sweep_iterations: usize,
    /// Where the velocity varies with depth only (every node of a depth
    /// level the same value), solve the exact 2D problem in the vertical
    /// plane through the source and map it onto the grid by horizontal
    /// distance (default `true`; `false` always marches the 3D grid).
    pub axisymmetric: bool,
    /// How many times finer than the 3D grid the 2D grid of
    /// [`EikonalOptions::axisymmetric`] is, in distance and depth
    /// (default 2; 1 to 16).
    pub axisymmetric_refinement: usize,
}

impl Default for EikonalOptions {
    fn default() -> Self {
        EikonalOptions {
            second_order: true,
            source_radius_nodes: 2.0,
            source_box_nodes: 24,
            max_sweep_iterations: 20,
            axisymmetric: true,
            axisymmetric_refinement: 2,
        }
    }
}

impl EikonalOptions {
    fn validate(&self) -> Result<(), TravelTimeError> {
        if !(self.source_radius_nodes.is_finite() && self.source_radius_nodes >= 1.5) {
            return Err(TravelTimeError::InvalidModel(format!(
                "eikonal options: source_radius_nodes must be >= 1.5 (is {})",
                self.source_radius_nodes
            )));
        }
        if !(1..=16).contains(&self.axisymmetric_refinement) {
            return Err(TravelTimeError::InvalidModel(format!(
                "eikonal options: axisymmetric_refinement must be 1 to 16 (is {})",
                self.axisymmetric_refinement
            )));
        }
        Ok(())
    }
}

/// Valid options and a source (`label`) inside the grid box, boundary
/// included.
fn check_source(geometry: &GridGeometry, source_km: [f64; 3], opts: &EikonalOptions, label: &str) -> Result<(), TravelTimeError> {
    opts.validate()?;
    if !contains(geometry, source_km) {
        return Err(TravelTimeError::StationOutside { station: label.to_string(), source: OutsideDomain::at(source_km) });
    }
    Ok(())
}

/// The exact field of a uniform medium of `velocity` km/s on `geometry`
/// (`T0` itself; no grid of velocities needed), with [`solve_checked`]'s
/// errors for bad options and a source outside the grid.
pub(crate) fn solve_uniform(
    geometry: GridGeometry,
    velocity: f64,
    source_km: [f64; 3],
    opts: &EikonalOptions,
    progress: Option<&(dyn Fn(usize, usize) + Sync)>,
    label: &str,
) -> Result<TimeGrid, TravelTimeError> {
    check_source(&geometry, source_km, opts, label)?;
    if let Some(p) = progress {
        p(geometry.len(), geometry.len());
    }
    Ok(TimeGrid::uniform(geometry, source_km, 1.0 / velocity))
}

/// Check a velocity grid (km/s): usable geometry and every value finite and
/// positive. The error names the grid (`what`) and the first bad node.
pub(crate) fn check_velocity(velocity: &Grid3<f64>, what: &str) -> Result<(), TravelTimeError> {
    check_geometry(&velocity.geometry, velocity.data.len(), what)?;
    crate::velocity::check_velocity_grid(velocity, what).map(|_| ())
}

/// Solve the eikonal equation for the first-arrival travel time (s) from a
/// point source at `source_km` (`[east, north, depth]`, anywhere inside the
/// grid box, boundary included) through `velocity` (km/s at the nodes; the
/// spacing may differ between axes).
///
/// `progress`, when given, is called now and then with the number of nodes
/// accepted so far and the total, and once at the end with `(total, total)`.
///
/// Errors: [`TravelTimeError::InvalidModel`] for a bad geometry, a
/// non-positive or non-finite velocity (naming the node) or bad options;
/// [`TravelTimeError::StationOutside`] (station `"source"`) for a source
/// outside the grid.
///
/// ```
/// use eqnemix_traveltime::{solve_eikonal, EikonalOptions, Grid3, GridGeometry, TravelTimeField};
///
/// // 21 x 21 x 11 nodes, 1 km apart, 5 km/s everywhere; source at 2 km depth.
/// let geometry = GridGeometry { n: [21, 21, 11], origin_km: [0.0; 3], spacing_km: [1.0; 3] };
/// let velocity = Grid3 { geometry, data: vec![5.0; geometry.len()] };
/// let field = solve_eikonal(&velocity, [10.0, 10.0, 2.0], &EikonalOptions::default(), None)?;
///
/// let (t, grad) = field.time_and_gradient([13.0, 14.0, 2.0])?; // 5 km away
/// assert!((t - 1.0).abs() < 1e-6);
/// assert!((grad[0] - 0.6 / 5.0).abs() < 1e-6); // slowness along the ray (s/km)
/// assert!(field.time([30.0, 0.0, 0.0]).is_err()); // outside the grid
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn solve_eikonal(
    velocity: &Grid3<f64>,
    source_km: [f64; 3],
    opts: &EikonalOptions,
    progress: Option<&(dyn Fn(usize, usize) + Sync)>,
) -> Result<TimeGrid, TravelTimeError> {
    check_velocity(velocity, "velocity grid")?;
    solve_checked(velocity, source_km, opts, progress, "source")
}

/// [`solve_eikonal`] on a velocity grid already checked; `label` names the
/// source in a [`TravelTimeError::StationOutside`] error.
pub(crate) fn solve_checked(
    velocity: &Grid3<f64>,
    source_km: [f64; 3],
    opts: &EikonalOptions,
    progress: Option<&(dyn Fn(usize, usize) + Sync)>,
    label: &str,
) -> Result<TimeGrid, TravelTimeError> {
    let geometry = velocity.geometry;
    check_source(&geometry, source_km, opts, label)?;
    let outside = || TravelTimeError::StationOutside { station: label.to_string(), source: OutsideDomain::at(source_km) };
    // A uniform medium: `T0` is the exact time, so `tau = 1` at every node
    // (what the march computes too, to rounding, at a hundred times the cost).
    let first = velocity.data[0];
    if velocity.data.iter().fold(true, |same, &v| same & (v == first)) {
        return solve_uniform(geometry, first, source_km, opts, progress, label);
    }
    let inv_spacing = geometry.spacing_km.map(|h| 1.0 / h);
    let (v_src, _) = trilinear_with_gradient(&geometry, &inv_spacing, &velocity.data, source_km).ok_or_else(outside)?;
    let source_slowness = 1.0 / v_src;
    if opts.axisymmetric && axisymmetric::depth_only(velocity) {
        let plane = axisymmetric::solve_depth_only(velocity, source_km, source_slowness, opts, opts.axisymmetric_refinement);
        if let Some(p) = progress {
            p(geometry.len(), geometry.len());
        }
        return Ok(TimeGrid::from_plane(geometry, plane, source_km, source_slowness));
    }
    // The march indexes its padded grid (two ghost layers a side) with u32.
    let padded = solver::padded_len(geometry.n);
    if padded >= u32::MAX as usize {
        return Err(TravelTimeError::InvalidModel(format!(
            "velocity grid: {} nodes with the solver's ghost layers, more than its limit of {}",
            padded,
            u32::MAX - 1
        )));
    }
    let tau = solver::fast_march(velocity, source_km, source_slowness, opts, progress);
    Ok(TimeGrid::from_tau(geometry, tau, source_km, source_slowness))
}
