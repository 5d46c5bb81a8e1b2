//! `[travel_time]`: which travel-time model turns a hypocentre into P and S
//! times, and how it is built.
//!
//! | `kind`        | needs                                   | model                                   |
//! |---------------|-----------------------------------------|-----------------------------------------|
//! | `homogeneous` | `vp_km_s`, `vs_km_s`                    | straight rays, constant velocities      |
//! | `layered`     | `model` (layered TOML or text file)     | exact 1D first arrivals, tabulated      |
//! | `eikonal`     | `model` or `vp_grid` (+`vs_grid`/`vp_vs`), `[travel_time.grid]` for `model` | 3D eikonal grids solved per station |
//! | `nll_grids`   | `nll_dir`, `nll_root`                   | precomputed NonLinLoc TIME grids        |
//!
//! Relative paths are relative to the configuration file's folder. Units:
//! km, km/s, s.

use super::ConfigError;
use eqnemix_traveltime::nll::{nll_time_grid_base, read_nll_grid};
use eqnemix_traveltime::velocity::VelocityModel3D;
use eqnemix_traveltime::{
    EikonalModel, EikonalOptions, GridGeometry, Homogeneous, Layered1D, Phase, Station, TableSpec,
    TimeGrid, TravelTimeError, TravelTimeField, TravelTimeModel,
};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// The travel-time model kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TravelTimeKind {
    /// Constant `vp_km_s` and `vs_km_s`.
    #[default]
    Homogeneous,
    /// A layered 1D model file (`model`).
    Layered,
    /// 3D eikonal solution on a velocity grid.
    Eikonal,
    /// Precomputed NonLinLoc TIME grids `<nll_dir>/<nll_root>.<PHASE>.<STATION>.time.{hdr,buf}`.
    NllGrids,
}

/// Grid of the eikonal solver when the velocities come from a layered
/// `model` (node counts, first node km, spacing km).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GridConfig {
    /// Nodes along east, north, depth.
    pub n: [usize; 3],
    /// Position of node (0, 0, 0): `[east, north, depth]` km.
    pub origin_km: [f64; 3],
    /// Node spacing (km).
    pub spacing_km: [f64; 3],
}

impl Default for GridConfig {
    fn default() -> Self {
        GridConfig {
            n: [81, 81, 41],
            origin_km: [-40.0, -40.0, -2.0],
            spacing_km: [1.0, 1.0, 1.0],
        }
    }
}

/// `[travel_time]` (see the module doc).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TravelTimeConfig {
    /// `homogeneous`, `layered`, `eikonal` or `nll_grids`.
    pub kind: TravelTimeKind,
    /// P velocity (km/s) of `homogeneous`.
    pub vp_km_s: f64,
    /// S velocity (km/s) of `homogeneous`.
    pub vs_km_s: f64,
    /// Layered model file (TOML `[[layer]]` tables, or text `top_km vp vs`) for
    /// `layered`, and for `eikonal` when no `vp_grid` is given.
    pub model: Option<PathBuf>,
    /// Tabulation of the layered model (extent and steps, km).
    pub table: TableSpec,
    /// NonLinLoc P velocity grid (base path) for `eikonal`.
    pub vp_grid: Option<PathBuf>,
    /// NonLinLoc S velocity grid (base path) for `eikonal`; or give `vp_vs`.
    pub vs_grid: Option<PathBuf>,
    /// Constant Vp/Vs ratio with `vp_grid`.
    pub vp_vs: Option<f64>,
    /// Solver grid for `eikonal` with a layered `model`.
    pub grid: GridConfig,
    /// Eikonal solver options.
    pub eikonal: EikonalOptions,
    /// Folder of the NonLinLoc TIME grids (`nll_grids`).
    pub nll_dir: Option<PathBuf>,
    /// Root name of the TIME grids (`nll_grids`): `<root>.P.<STA>.time`.
    pub nll_root: String,
}

impl Default for TravelTimeConfig {
    fn default() -> Self {
        TravelTimeConfig {
            kind: TravelTimeKind::Homogeneous,
            vp_km_s: 6.0,
            vs_km_s: 3.5,
            model: None,
            table: TableSpec::default(),
            vp_grid: None,
            vs_grid: None,
            vp_vs: None,
            grid: GridConfig::default(),
            eikonal: EikonalOptions::default(),
            nll_dir: None,
            nll_root: "model".into(),
        }
    }
}

fn invalid(key: &str, why: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        key: format!("travel_time.{key}"),
        why: why.into(),
    }
}

impl TravelTimeConfig {
    /// Check the keys the chosen `kind` needs; errors name the key.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let positive = |key: &str, v: f64| {
            if v.is_finite() && v > 0.0 {
                Ok(())
            } else {
                Err(invalid(key, format!("must be finite and > 0 (is {v})")))
            }
        };
        match self.kind {
            TravelTimeKind::Homogeneous => {
                positive("vp_km_s", self.vp_km_s)?;
                positive("vs_km_s", self.vs_km_s)?;
                if self.vs_km_s >= self.vp_km_s {
                    return Err(invalid("vs_km_s", "must be smaller than vp_km_s"));
                }
            }
            TravelTimeKind::Layered => {
                if self.model.is_none() {
                    return Err(invalid("model", "required when kind = \"layered\""));
                }
                self.table
                    .validate()
                    .map_err(|e| invalid("table", e.to_string()))?;
            }
            TravelTimeKind::Eikonal => {
                match (&self.model, &self.vp_grid) {
                    (None, None) => {
                        return Err(invalid(
                            "model",
                            "kind = \"eikonal\" needs `model` (layered file) or `vp_grid`",
                        ))
                    }
                    (Some(_), Some(_)) => {
                        return Err(invalid("vp_grid", "give either `model` or `vp_grid`, not both"))
                    }
                    (None, Some(_)) => match (&self.vs_grid, self.vp_vs) {
                        (None, None) => return Err(invalid("vs_grid", "`vp_grid` needs `vs_grid` or `vp_vs`")),
                        (Some(_), Some(_)) => return Err(invalid("vp_vs", "give `vs_grid` or `vp_vs`, not both")),
                        (None, Some(r)) => positive("vp_vs", r)?,
                        _ => {}
                    },
                    (Some(_), None) => {
                        for a in 0..3 {
                            if self.grid.n[a] < 2 {
                                return Err(invalid("grid.n", "needs at least 2 nodes per axis"));
                            }
                            positive("grid.spacing_km", self.grid.spacing_km[a])?;
                            if !self.grid.origin_km[a].is_finite() {
                                return Err(invalid("grid.origin_km", "must be finite"));
                            }
                        }
                    }
                }
            }
            TravelTimeKind::NllGrids => {
                if self.nll_dir.is_none() {
                    return Err(invalid("nll_dir", "required when kind = \"nll_grids\""));
                }
                if self.nll_root.is_empty() {
                    return Err(invalid("nll_root", "must not be empty"));
                }
            }
        }
        Ok(())
    }

    /// Build the model; relative paths are resolved against `base_dir`.
    pub fn build(&self, base_dir: &Path) -> Result<Arc<dyn TravelTimeModel>, ConfigError> {
        self.validate()?;
        let resolve = |p: &Path| {
            if p.is_absolute() {
                p.to_path_buf()
            } else {
                base_dir.join(p)
            }
        };
        let tt = |key: &str, e: TravelTimeError| invalid(key, e.to_string());
        Ok(match self.kind {
            TravelTimeKind::Homogeneous => {
                Arc::new(Homogeneous::new(self.vp_km_s, self.vs_km_s).map_err(|e| tt("vp_km_s", e))?)
            }
            TravelTimeKind::Layered => {
                let path = resolve(self.model.as_deref().expect("validated"));
                let m = Layered1D::from_file(&path)
                    .and_then(|m| m.with_table(self.table))
                    .map_err(|e| tt("model", e))?;
                Arc::new(m)
            }
            TravelTimeKind::Eikonal => {
                let v = if let Some(m) = &self.model {
                    let layered = Layered1D::from_file(resolve(m)).map_err(|e| tt("model", e))?;
                    let geometry = GridGeometry {
                        n: self.grid.n,
                        origin_km: self.grid.origin_km,
                        spacing_km: self.grid.spacing_km,
                    };
                    let profile = |z: f64| {
                        let l = &layered.layers()[layered.layer_index(z)];
                        (l.velocity(Phase::P), l.velocity(Phase::S))
                    };
                    VelocityModel3D::from_depth_profile_cell_average(geometry, profile)
                        .map_err(|e| tt("grid", e))?
                } else {
                    let vp = resolve(self.vp_grid.as_deref().expect("validated"));
                    match (&self.vs_grid, self.vp_vs) {
                        (Some(vs), _) => VelocityModel3D::from_nll_grids(&vp, resolve(vs)),
                        (None, Some(r)) => VelocityModel3D::from_nll_vp_and_ratio(&vp, r),
                        _ => unreachable!("validated"),
                    }
                    .map_err(|e| tt("vp_grid", e))?
                };
                let (vp, vs) = v.into_parts();
                let m = EikonalModel::new(vp, vs)
                    .map_err(|e| tt("vp_grid", e))?
                    .with_options(self.eikonal.clone());
                Arc::new(m)
            }
            TravelTimeKind::NllGrids => Arc::new(NllTimeGrids {
                dir: resolve(self.nll_dir.as_deref().expect("validated")),
                root: self.nll_root.clone(),
                cache: Mutex::new(HashMap::new()),
            }),
        })
    }
}

/// Precomputed NonLinLoc TIME grids as a travel-time model: the field of
/// station `STA` and phase `P` is read from `<dir>/<root>.P.STA.time.{hdr,buf}`
/// once and shared. The grid's source position must match the station's
/// (within half a grid spacing): a grid of another station is an error.
///
/// [`TimeGrid::from_times`] needs the velocity at the source (the `T0`
/// factor of the interpolation); NonLinLoc headers do not store it, so it is
/// estimated as the median of `distance / time` over the nodes within two
/// spacings of the source (exact in a medium homogeneous near the station;
/// it only affects interpolation between nodes, never the node times).
pub struct NllTimeGrids {
    dir: PathBuf,
    root: String,
    cache: Mutex<HashMap<(String, Phase), Arc<TimeGrid>>>,
}

impl NllTimeGrids {
    /// Grids `<dir>/<root>.<PHASE>.<STATION>.time`.
    pub fn new(dir: impl Into<PathBuf>, root: impl Into<String>) -> Self {
        NllTimeGrids {
            dir: dir.into(),
            root: root.into(),
            cache: Mutex::new(HashMap::new()),
        }
    }

    fn load(&self, station: &Station, phase: Phase) -> Result<TimeGrid, TravelTimeError> {
        let base = nll_time_grid_base(&self.dir, &self.root, phase, &station.code);
        let grid = read_nll_grid(&base)?;
        let fmt = |what: String| TravelTimeError::Format {
            path: base.clone(),
            what,
        };
        let src = grid
            .header
            .source
            .as_ref()
            .ok_or_else(|| fmt("TIME grid header has no source line".into()))?
            .position_km;
        let g = grid.geometry();
        let tol = 0.5 * g.spacing_km.iter().cloned().fold(0.0, f64::max);
        let d = (0..3)
            .map(|a| (src[a] - station.position_km[a]).powi(2))
            .sum::<f64>()
            .sqrt();
        if d > tol {
            return Err(fmt(format!(
                "grid source {src:?} km is {d:.3} km from station {} at {:?} km",
                station.code, station.position_km
            )));
        }
        let values = grid.values();
        let reach = 2.0 * tol * 2.0;
        let mut ratios = Vec::new();
        for (i, &t) in values.data.iter().enumerate() {
            let iz = i % g.n[2];
            let iy = (i / g.n[2]) % g.n[1];
            let ix = i / (g.n[2] * g.n[1]);
            let p = g.node_position(ix, iy, iz);
            let r = (0..3).map(|a| (p[a] - src[a]).powi(2)).sum::<f64>().sqrt();
            if r > 1e-9 && r <= reach && t > 0.0 {
                ratios.push(r / t);
            }
        }
        ratios.sort_by(|a, b| a.total_cmp(b));
        let v = ratios
            .get(ratios.len() / 2)
            .copied()
            .ok_or_else(|| fmt("no node near the source to estimate its velocity".into()))?;
        TimeGrid::from_times(&values, src, v).map_err(|e| fmt(e.to_string()))
    }
}

impl TravelTimeModel for NllTimeGrids {
    fn field(
        &self,
        station: &Station,
        phase: Phase,
    ) -> Result<Arc<dyn TravelTimeField>, TravelTimeError> {
        let key = (station.code.clone(), phase);
        if let Some(g) = self.cache.lock().ok().and_then(|c| c.get(&key).cloned()) {
            return Ok(g);
        }
        let g = Arc::new(self.load(station, phase)?);
        if let Ok(mut c) = self.cache.lock() {
            c.entry(key).or_insert_with(|| g.clone());
        }
        Ok(g)
    }
}
