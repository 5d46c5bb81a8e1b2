//! A 3D P and S velocity model on one regular grid.

use crate::nll::{cell_centres_into_nodes, nll_base_path, read_nll_velocity, read_uniform_velocity};
use crate::{Grid3, GridGeometry, Phase, TravelTimeError};
use std::path::Path;
use super::node_velocity::NodeVelocity;

/// P and S velocities (km/s) on the same regular grid (x east, y north,
/// z depth positive down, km), every value finite and positive.
///
/// Build one from NonLinLoc grids ([`from_nll_grids`](Self::from_nll_grids),
/// [`from_nll_vp_and_ratio`](Self::from_nll_vp_and_ratio)), from a Vp grid
/// and a Vp/Vs ratio ([`from_vp_and_ratio`](Self::from_vp_and_ratio)), from
/// a depth profile such as a layered model
/// ([`from_depth_profile`](Self::from_depth_profile)) or from scattered
/// points of a published model ([`from_velocity_csv`](Self::from_velocity_csv)).
///
/// ```
/// use eqnemix_traveltime::velocity::{VelocityModel3D, VpVsRatio};
/// use eqnemix_traveltime::GridGeometry;
/// let geometry = GridGeometry { n: [3, 3, 5], origin_km: [0.0; 3], spacing_km: [1.0; 3] };
/// // 5 km/s at the surface, +0.1 km/s per km, Vp/Vs = 1.75.
/// let m = VelocityModel3D::from_depth_profile(geometry, |z| {
///     let vp = 5.0 + 0.1 * z;
///     (vp, vp / 1.75)
/// })?;
/// assert!((m.vp().data[geometry.index(1, 1, 4)] - 5.4).abs() < 1e-12);
/// let same = VelocityModel3D::from_vp_and_ratio(m.vp().clone(), VpVsRatio::Constant(1.75))?;
/// assert!((same.vs().data[7] - m.vs().data[7]).abs() < 1e-12);
/// # Ok::<(), eqnemix_traveltime::TravelTimeError>(())
/// ```
#[derive(Debug, Clone)]
pub struct VelocityModel3D {
    geometry: GridGeometry,
    vp: NodeVelocity,
    vs: NodeVelocity,
    /// Vp/Vs when it is one number at every node (found once, when built).
    vp_vs: Option<f64>,
}

/// Two models are equal when their velocities are, however they are held.
impl PartialEq for VelocityModel3D {
    fn eq(&self, other: &Self) -> bool {
        self.vp() == other.vp() && self.vs() == other.vs()
    }
}

/// The Vp/Vs ratio used to derive Vs from Vp.
#[derive(Debug, Clone, PartialEq)]
pub enum VpVsRatio {
    /// One ratio everywhere (dimensionless, > 0; typically 1.65–1.85).
    Constant(f64),
    /// One ratio per node, on the same geometry as Vp.
    Grid(Grid3<f64>),
}

impl VelocityModel3D {
    /// A model from P and S velocity grids (km/s). They must share one
    /// geometry and every velocity must be finite and positive; the error
    /// names the phase and the first bad node `(ix, iy, iz)`.
    pub fn new(vp: Grid3<f64>, vs: Grid3<f64>) -> Result<Self, TravelTimeError> {
        if vp.geometry != vs.geometry {
            return Err(TravelTimeError::InvalidModel(format!(
                "Vp and Vs grids differ in geometry: Vp {:?}, Vs {:?}",
                vp.geometry, vs.geometry
            )));
        }
        check_velocity_grid(&vp, "Vp")?;
        check_velocity_grid(&vs, "Vs")?;
        Ok(VelocityModel3D::from_checked(vp, vs))
    }

    /// The model of grids already checked (same geometry, every value finite
    /// and positive), with its uniform Vp/Vs found.
    fn from_checked(vp: Grid3<f64>, vs: Grid3<f64>) -> Self {
        let vp_vs = super::uniform_vp_vs(&vp, &vs);
        VelocityModel3D { geometry: vp.geometry, vp: NodeVelocity::Grid(vp), vs: NodeVelocity::Grid(vs), vp_vs }
    }

    /// Read a P and an S velocity grid from NonLinLoc files (base path,
    /// `.hdr` or `.buf`; any velocity grid type, converted to km/s). The
    /// files' values are at cell centres (Vel2Grid's convention) and are
    /// turned into node values by [`crate::nll::cell_centres_to_nodes`]. Errors name
    /// the file.
    pub fn from_nll_grids(
        p_path: impl AsRef<Path>,
        s_path: impl AsRef<Path>,
    ) -> Result<Self, TravelTimeError> {
        // Vel2Grid's values are at cell centres; the model's at nodes.
        let vp = cell_centres_into_nodes(read_nll_velocity(&p_path)?);
        let vs = cell_centres_into_nodes(read_nll_velocity(&s_path)?);
        if vp.geometry != vs.geometry {
            return Err(TravelTimeError::Format {
                path: nll_base_path(s_path.as_ref()),
                what: format!(
                    "S grid geometry {:?} differs from the P grid's ({}) {:?}",
                    vs.geometry,
                    p_path.as_ref().display(),
                    vp.geometry
                ),
            });
        }
        VelocityModel3D::new(vp, vs)
    }

    /// Vs = Vp / ratio, from a Vp grid (km/s) and a constant or gridded
    /// Vp/Vs ratio (finite, positive).
    pub fn from_vp_and_ratio(vp: Grid3<f64>, ratio: VpVsRatio) -> Result<Self, TravelTimeError> {
        match ratio {
            VpVsRatio::Constant(r) => {
                check_ratio(r)?;
                let range = check_velocity_grid(&vp, "Vp")?;
                VelocityModel3D::with_ratio(vp, range, r)
            }
            VpVsRatio::Grid(r) => {
                if r.geometry != vp.geometry {
                    return Err(TravelTimeError::InvalidModel(format!(
                        "Vp/Vs grid geometry {:?} differs from the Vp grid's {:?}",
                        r.geometry, vp.geometry
                    )));
                }
                check_velocity_grid(&r, "Vp/Vs ratio")?;
                let vs = Grid3 { geometry: vp.geometry, data: vp.data.iter().zip(&r.data).map(|(v, r)| v / r).collect() };
                VelocityModel3D::new(vp, vs)
            }
        }
    }

    /// Vp read from a NonLinLoc grid, Vs = Vp / `ratio`. A grid of one
    /// velocity is held as that number (see [`vp`](Self::vp)).
    pub fn from_nll_vp_and_ratio(
        p_path: impl AsRef<Path>,
        ratio: f64,
    ) -> Result<Self, TravelTimeError> {
        check_ratio(ratio)?;
        if let Some((geometry, vp)) = read_uniform_velocity(&p_path)? {
            // The node values, means of the cells around each node, are
            // that velocity too.
            let vs = vs_of_ratio(vp, ratio, || geometry.node_of_index(0))?;
            return Ok(VelocityModel3D {
                geometry,
                vp: NodeVelocity::uniform(geometry, vp),
                vs: NodeVelocity::uniform(geometry, vs),
                vp_vs: Some(vp / vs),
            });
        }
        let vp = cell_centres_into_nodes(read_nll_velocity(&p_path)?);
        VelocityModel3D::from_vp_and_ratio(vp, VpVsRatio::Constant(ratio))
    }

    /// Vs = Vp / `ratio` (checked positive and finite) from a checked Vp
    /// grid whose values lie in `range` (km/s).
    fn with_ratio(vp: Grid3<f64>, range: (f64, f64), ratio: f64) -> Result<Self, TravelTimeError> {
        // Division by r > 0 keeps the order, so every Vp / r is finite and
        // positive when the smallest and largest are.
        for v in [range.0, range.1] {
            vs_of_ratio(v, ratio, || {
                vp.geometry.node_of_index(vp.data.iter().position(|&p| p == v).expect("a value of the grid"))
            })?;
        }
        // The value `uniform_vp_vs` would find on the grid (its first node's
        // Vp / Vs), so both ways to build a model agree.
        let vp_vs = vp.data.first().map(|p| p / (p / ratio));
        Ok(VelocityModel3D { geometry: vp.geometry, vp: NodeVelocity::Grid(vp), vs: NodeVelocity::ratio(ratio), vp_vs })
    }

    /// Sample a depth profile `z (km) -> (Vp, Vs) (km/s)` — e.g. a layered
    /// model — at every node of `geometry`. Nodes are point samples: a node
    /// exactly on an interface takes whatever value the profile gives there.
    /// The error names the first depth with a bad velocity.
    pub fn from_depth_profile(
        geometry: GridGeometry,
        mut profile: impl FnMut(f64) -> (f64, f64),
    ) -> Result<Self, TravelTimeError> {
        let [nx, ny, nz] = geometry.n;
        let column: Vec<(f64, f64)> = (0..nz)
            .map(|iz| {
                let z = geometry.origin_km[2] + iz as f64 * geometry.spacing_km[2];
                let (vp, vs) = profile(z);
                for (name, v) in [("Vp", vp), ("Vs", vs)] {
                    if !(v.is_finite() && v > 0.0) {
                        return Err(TravelTimeError::InvalidModel(format!(
                            "depth profile at z = {z} km: {name} = {v} km/s must be positive and finite"
                        )));
                    }
                }
                Ok((vp, vs))
            })
            .collect::<Result<_, _>>()?;
        let mut vp = Vec::with_capacity(geometry.len());
        let mut vs = Vec::with_capacity(geometry.len());
        for _ in 0..nx * ny {
            for &(p, s) in &column {
                vp.push(p);
                vs.push(s);
            }
        }
        Ok(VelocityModel3D::from_checked(Grid3 { geometry, data: vp }, Grid3 { geometry, data: vs }))
    }

    /// Like [`from_depth_profile`](Self::from_depth_profile), but each node
    /// takes the mean *slowness* of the profile over its cell
    /// `[z - dz/2, z + dz/2]` (64 point samples), so an interface inside a
    /// cell gives the node the thickness-weighted slowness of both sides,
    /// which preserves vertical travel times through the cell. Prefer this
    /// for layered models solved on a grid: point sampling moves an interface
    /// to the next node below it (up to `dz` of error in its depth), while
    /// cell averaging keeps the transition centred on the true depth.
    pub fn from_depth_profile_cell_average(
        geometry: GridGeometry,
        profile: impl Fn(f64) -> (f64, f64),
    ) -> Result<Self, TravelTimeError> {
        const SAMPLES: usize = 64;
        let dz = geometry.spacing_km[2];
        let mut bad = None;
        let model = VelocityModel3D::from_depth_profile(geometry, |z| {
            let (mut sp, mut ss) = (0.0, 0.0);
            for k in 0..SAMPLES {
                let zk = z - 0.5 * dz + (k as f64 + 0.5) * dz / SAMPLES as f64;
                let (vp, vs) = profile(zk);
                if !(vp.is_finite() && vp > 0.0 && vs.is_finite() && vs > 0.0) && bad.is_none() {
                    bad = Some((zk, vp, vs));
                }
                sp += 1.0 / vp;
                ss += 1.0 / vs;
            }
            (SAMPLES as f64 / sp, SAMPLES as f64 / ss)
        });
        if let Some((z, vp, vs)) = bad {
            return Err(TravelTimeError::InvalidModel(format!(
                "depth profile at z = {z} km: Vp = {vp}, Vs = {vs} km/s must be positive and finite"
            )));
        }
        model
    }

    /// The grid geometry shared by Vp and Vs.
    pub fn geometry(&self) -> GridGeometry {
        self.geometry
    }

    /// P velocities (km/s). A model read as one velocity makes this grid on
    /// the first call (it is not needed to solve).
    pub fn vp(&self) -> &Grid3<f64> {
        self.vp.grid(|| unreachable!("Vp is never a ratio"))
    }

    /// S velocities (km/s). A model built with one Vp/Vs ratio, or read as
    /// one velocity, makes this grid on the first call (it is not needed to
    /// solve S, see [`uniform_vp_vs`](Self::uniform_vp_vs)).
    pub fn vs(&self) -> &Grid3<f64> {
        self.vs.grid(|| self.vp())
    }

    /// The velocity grid of `phase`.
    pub fn velocity(&self, phase: Phase) -> &Grid3<f64> {
        match phase {
            Phase::P => self.vp(),
            Phase::S => self.vs(),
        }
    }

    /// The eikonal travel-time field of `phase` from a source at
    /// `source_km` (a station, by reciprocity): [`crate::solve_eikonal`] on
    /// this model's grid without checking its velocities again (they were
    /// checked when the model was built). Errors as `solve_eikonal`'s.
    pub fn eikonal_field(
        &self,
        phase: Phase,
        source_km: [f64; 3],
        opts: &crate::EikonalOptions,
        progress: Option<&(dyn Fn(usize, usize) + Sync)>,
    ) -> Result<crate::TimeGrid, TravelTimeError> {
        let held = match phase {
            Phase::P => &self.vp,
            Phase::S => &self.vs,
        };
        crate::time_grid::check_geometry(&self.geometry, self.geometry.len(), "velocity grid")?;
        if let Some(v) = held.uniform_value() {
            return crate::eikonal::solve_uniform(self.geometry, v, source_km, opts, progress, "source");
        }
        crate::eikonal::solve_checked(self.velocity(phase), source_km, opts, progress, "source")
    }

    /// The Vp/Vs ratio when it is one number at every node (then the S
    /// travel times are the P ones times it; see [`super::uniform_vp_vs`]).
    pub fn uniform_vp_vs(&self) -> Option<f64> {
        self.vp_vs
    }

    /// `(vp, vs)`.
    pub fn into_parts(self) -> (Grid3<f64>, Grid3<f64>) {
        // Grids held as rules are made first (Vs = Vp / r needs Vp).
        self.vp();
        self.vs();
        (self.vp.into_grid(), self.vs.into_grid())
    }
}

/// Vs = `vp / ratio` (km/s), or the error naming the node (`at`) where it is
/// not finite and positive.
fn vs_of_ratio(vp: f64, ratio: f64, at: impl FnOnce() -> (usize, usize, usize)) -> Result<f64, TravelTimeError> {
    let vs = vp / ratio;
    if vs.is_finite() && vs > 0.0 {
        return Ok(vs);
    }
    let (ix, iy, iz) = at();
    Err(TravelTimeError::InvalidModel(format!(
        "Vs = Vp / {ratio} = {vp} / {ratio} = {vs} at node ({ix}, {iy}, {iz}) must be positive and finite"
    )))
}

/// A Vp/Vs ratio must be finite and positive.
fn check_ratio(r: f64) -> Result<(), TravelTimeError> {
    if r.is_finite() && r > 0.0 {
        return Ok(());
    }
    Err(TravelTimeError::InvalidModel(format!("Vp/Vs ratio {r} must be positive and finite")))
}

/// Every value finite and positive, and as many values as nodes: the
/// smallest and largest value (km/s).
pub(crate) fn check_velocity_grid(g: &Grid3<f64>, what: &str) -> Result<(f64, f64), TravelTimeError> {
    if g.data.len() != g.geometry.len() {
        return Err(TravelTimeError::InvalidModel(format!(
            "{what} grid has {} values for {} nodes",
            g.data.len(),
            g.geometry.len()
        )));
    }
    crate::value_range::checked_range(&g.data, |v| v > 0.0).map_err(|i| {
        let (ix, iy, iz) = g.geometry.node_of_index(i);
        TravelTimeError::InvalidModel(format!(
            "{what} = {} at node ({ix}, {iy}, {iz}) must be positive and finite",
            g.data[i]
        ))
    })
}
