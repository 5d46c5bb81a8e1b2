//! `eqnemix traveltime`: P and S travel-time grids of one station, written as
//! NonLinLoc TIME grids.
//!
//! ```text
//! eqnemix traveltime --velocity-toml crust.toml --grid 61,61,31 --grid-origin -30,-30,-1 \
//!     --spacing 1 --station CI.CCC --station-km 0,0,-0.7 --out grids
//! # -> grids/model.P.CI.CCC.time.{hdr,buf} and grids/model.S.CI.CCC.time.{hdr,buf}
//! ```

use crate::memory_budget::{
    format_dims, mul, product, MemoryBudget, EIKONAL_SOLVE_BYTES_PER_NODE, TIME_GRID_BYTES_PER_NODE,
    VELOCITY_BYTES_PER_NODE,
};
use anyhow::{bail, ensure, Context, Result};
use clap::{ArgGroup, Args, ValueEnum};
use eqnemix_traveltime::nll::{nll_file_paths, nll_time_grid_base, read_nll_header, NllGridWriter, NllHeader};
use eqnemix_traveltime::value_range::checked_range;
use eqnemix_traveltime::velocity::{ScatteredOptions, VelocityModel3D};
use eqnemix_traveltime::{EikonalOptions, Grid3, GridGeometry, Layered1D, Phase, TimeGrid};
use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use rayon::prelude::*;
use std::borrow::Cow;
use std::path::PathBuf;

/// How travel times are computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Method {
    /// Exact first arrivals of the layered model (direct and head waves) at
    /// every node; only with --velocity-toml.
    Layered,
    /// Factored fast-marching eikonal solver on the velocity grid (any input;
    /// a layered model is first sampled at the nodes).
    Eikonal,
}

/// Arguments of `eqnemix traveltime`.
///
/// Units: km for positions and spacings (x east, y north, z depth positive
/// down, so a station 700 m above sea level has z = -0.7), km/s for
/// velocities, s for the written times.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("velocity").required(true).args(["velocity_toml", "vp_grid", "velocity_csv"])))]
#[command(
    after_help = "Outputs <OUT>/<LABEL>.P.<STATION>.time.{hdr,buf} and the .S. pair (NonLinLoc Grid2Time naming, \
TIME grids in seconds, FLOAT little-endian). Nothing is left behind if any step fails."
)]
pub struct TraveltimeArgs {
    /// Layered 1D velocity model, TOML ([[layer]] tables with top_km or thickness_km, vp and vs or vp_vs; km, km/s).
    /// Needs --grid, --grid-origin and --spacing.
    #[arg(long, value_name = "FILE")]
    pub velocity_toml: Option<PathBuf>,

    /// NonLinLoc P velocity grid (base path, or the .hdr/.buf; any velocity grid type: VELOCITY, SLOW_LEN, ...).
    /// The travel-time grids take its geometry. Needs --vs-grid or --vp-vs.
    #[arg(long, value_name = "BASE")]
    pub vp_grid: Option<PathBuf>,

    /// NonLinLoc S velocity grid (same geometry as --vp-grid).
    #[arg(
        long,
        value_name = "BASE",
        requires = "vp_grid",
        conflicts_with = "vp_vs"
    )]
    pub vs_grid: Option<PathBuf>,

    /// Vp/Vs ratio (dimensionless): Vs = Vp / RATIO on the --vp-grid.
    #[arg(long, value_name = "RATIO", requires = "vp_grid")]
    pub vp_vs: Option<f64>,

    /// 3D model as scattered points, CSV with columns longitude (deg), latitude (deg), depth (km), vp, vs (km/s)
    /// (names case-insensitive: lon/longitude, lat/latitude, depth/depth_km, vp, vs); each depth level is a layer,
    /// interpolated horizontally, then linearly in depth. Needs --origin-lon, --origin-lat and the grid flags.
    #[arg(long, value_name = "FILE", requires_all = ["origin_lon", "origin_lat"])]
    pub velocity_csv: Option<PathBuf>,

    /// Longitude (degrees east) of the local frame's origin (x = y = 0) for --velocity-csv.
    #[arg(long, value_name = "DEG", allow_hyphen_values = true)]
    pub origin_lon: Option<f64>,

    /// Latitude (degrees north) of the local frame's origin for --velocity-csv.
    #[arg(long, value_name = "DEG", allow_hyphen_values = true)]
    pub origin_lat: Option<f64>,

    /// Horizontal search radius (km) when interpolating --velocity-csv points (default: twice the typical
    /// point spacing of each depth level). Grid columns with no point in reach take the level's mean.
    #[arg(long, value_name = "KM")]
    pub csv_radius_km: Option<f64>,

    /// Number of grid nodes along x (east), y (north) and z (depth).
    #[arg(long, value_name = "NX,NY,NZ", value_parser = parse_counts)]
    pub grid: Option<[usize; 3]>,

    /// Position (km) of the first node (x east, y north, z depth positive down).
    #[arg(long, value_name = "X,Y,Z", value_parser = parse_xyz, allow_hyphen_values = true)]
    pub grid_origin: Option<[f64; 3]>,

    /// Node spacing (km): one value for all axes, or DX,DY,DZ.
    #[arg(long, value_name = "KM", value_parser = parse_spacing, allow_hyphen_values = true)]
    pub spacing: Option<[f64; 3]>,

    /// Station code, used in the file names (no spaces or slashes), e.g. CI.CCC.
    #[arg(long, value_name = "CODE")]
    pub station: String,

    /// Station position (km): x east, y north, z depth (negative above sea level).
    #[arg(long, value_name = "X,Y,Z", value_parser = parse_xyz, allow_hyphen_values = true)]
    pub station_km: [f64; 3],

    /// How to compute times [default: layered with --velocity-toml, eikonal otherwise].
    #[arg(long, value_enum)]
    pub method: Option<Method>,

    /// First-order eikonal differences instead of second order (for comparison).
    #[arg(long)]
    pub first_order: bool,

    /// March the 3D grid even where the velocity varies with depth only
    /// (by default such a medium is solved as the exact 2D problem in the
    /// vertical plane through the station and mapped by distance).
    #[arg(long)]
    pub march_3d: bool,

    /// Output directory (created if missing).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,

    /// Root of the output file names (NonLinLoc's GTFILES output root).
    #[arg(long, value_name = "NAME", default_value = "model")]
    pub label: String,

    /// Also write the velocity grids used (km/s) as <LABEL>.P.mod and <LABEL>.S.mod.
    #[arg(long)]
    pub write_velocity: bool,
}

/// A grid written: its base path and, for travel times, their range (s).
type WrittenGrid = (PathBuf, Option<(f32, f32)>);

/// Where velocities come from.
enum Velocity {
    Layered(Layered1D),
    Grid(VelocityModel3D),
}

impl TraveltimeArgs {
    /// Build the velocity model, compute the P and S times and write them.
    pub fn run(self) -> Result<()> {
        for (flag, name) in [("--station", &self.station), ("--label", &self.label)] {
            ensure!(
                !name.is_empty() && !name.contains(|c: char| c.is_whitespace() || c == '/' || c == '\\'),
                "{flag} `{name}` must be non-empty without spaces or slashes (it names the output files)"
            );
        }
        ensure!(
            self.station_km.iter().all(|v| v.is_finite()),
            "--station-km must be finite"
        );
        // The grid's memory, before any grid is allocated (the flags'
        // geometry here, a --vp-grid's once its header is read below).
        let budget = super::memory_budget(None)?;
        let planned = match (self.method, self.velocity_toml.is_some()) {
            (Some(m), _) => m,
            (None, true) => Method::Layered,
            (None, false) => Method::Eikonal,
        };
        if let Some(n) = self.grid {
            self.check_memory(&budget, "--grid", n, planned)?;
        }
        if let Some(vp) = &self.vp_grid {
            // The header only: the grids themselves are read below.
            if let Ok(header) = read_nll_header(vp) {
                self.check_memory(&budget, "--vp-grid", header.geometry.n, planned)?;
            }
        }
        let (velocity, geometry, transform) = self.velocity()?;
        if self.vp_grid.is_some() {
            self.check_memory(&budget, "--vp-grid", geometry.n, planned)?;
        }
        let method = match (self.method, &velocity) {
            (Some(Method::Layered), Velocity::Grid(_)) => {
                bail!("--method layered needs a layered model (--velocity-toml); use --method eikonal")
            }
            (Some(m), _) => m,
            (None, Velocity::Layered(_)) => Method::Layered,
            (None, Velocity::Grid(_)) => Method::Eikonal,
        };

        // The velocity grid is needed by the eikonal method and --write-velocity.
        let grid_model: Option<Cow<VelocityModel3D>> = match &velocity {
            Velocity::Grid(m) => Some(Cow::Borrowed(m)),
            Velocity::Layered(l) if method == Method::Eikonal || self.write_velocity => Some(Cow::Owned(
                sample_layered(l, geometry).context("sampling the layered model on the grid")?,
            )),
            Velocity::Layered(_) => None,
        };

        let bars = MultiProgress::new();
        // Times are computed (the eikonal fields, or the layered model's
        // exact grids), then written phase by phase into temporary files in
        // the output directory, and only moved into place once every grid
        // is complete: nothing is left behind if any step fails.
        let created_out = !self.out.exists();
        std::fs::create_dir_all(&self.out)
            .with_context(|| format!("creating the output directory {}", self.out.display()))?;
        let result = self.compute_and_write(method, &velocity, grid_model.as_deref(), geometry, transform, &bars);
        if result.is_err() && created_out {
            let _ = std::fs::remove_dir(&self.out); // only when still empty
        }
        let written = result?;

        outln!(
            "method: {method:?}; grid {:?} nodes from {:?} km, spacing {:?} km",
            geometry.n, geometry.origin_km, geometry.spacing_km
        );
        for (base, range) in written {
            match range {
                Some((lo, hi)) => outln!("wrote {}.{{hdr,buf}}: times {lo:.3} to {hi:.3} s", base.display()),
                None => outln!("wrote {}.{{hdr,buf}}: velocities (km/s)", base.display()),
            }
        }
        Ok(())
    }

    /// The P and S times by `method` written to their files (and the
    /// velocity grids with --write-velocity): each grid's base and, for
    /// times, their range (s).
    fn compute_and_write(
        &self,
        method: Method,
        velocity: &Velocity,
        grid_model: Option<&VelocityModel3D>,
        geometry: GridGeometry,
        transform: Option<String>,
        bars: &MultiProgress,
    ) -> Result<Vec<WrittenGrid>> {
        let header = NllHeader { transform: transform.clone(), ..NllHeader::time_s(geometry, &self.station, self.station_km) };
        let base = |phase| nll_time_grid_base(&self.out, &self.label, phase, &self.station);
        let written = || -> Result<[PendingTimes; 2]> {
            match method {
                Method::Layered => {
                    let Velocity::Layered(l) = velocity else {
                        unreachable!("checked above")
                    };
                    let write = |phase| {
                        let times = tabulate_layered(l, geometry, self.station_km, phase, bars)?;
                        PendingTimes::from_grid(base(phase), &header, &times)
                    };
                    let (p, s) = rayon::join(|| write(Phase::P), || write(Phase::S));
                    Ok([p?, s?])
                }
                Method::Eikonal => {
                    let m = grid_model.expect("built for the eikonal method");
                    let opts = EikonalOptions {
                        second_order: !self.first_order,
                        axisymmetric: !self.march_3d,
                        ..EikonalOptions::default()
                    };
                    let solve = |phase| solve_field(m, phase, self.station_km, &opts, bars);
                    match m.uniform_vp_vs() {
                        // One Vp/Vs everywhere: the S field is the P field
                        // scaled (exact for the eikonal equation), so solve P
                        // alone and write both from one pass.
                        Some(r) => PendingTimes::stream(&solve(Phase::P)?, [(Phase::P, 1.0), (Phase::S, r)], &base, &header, bars),
                        None => {
                            let write = |phase| -> Result<PendingTimes> {
                                let [t] = PendingTimes::stream(&solve(phase)?, [(phase, 1.0)], &base, &header, bars)?;
                                Ok(t)
                            };
                            let (p, s) = rayon::join(|| write(Phase::P), || write(Phase::S));
                            Ok([p?, s?])
                        }
                    }
                }
            }
        };
        let [p, s] = written().with_context(|| self.station_context())?;
        let mut grids = vec![(p.base, p.writer, Some(p.range)), (s.base, s.writer, Some(s.range))];
        if self.write_velocity {
            let m = grid_model.expect("built for --write-velocity");
            for phase in [Phase::P, Phase::S] {
                // NonLinLoc's layout: values at cell centres.
                let cells = eqnemix_traveltime::nll::nodes_to_cell_centres(m.velocity(phase));
                let header = NllHeader { transform: transform.clone(), ..NllHeader::velocity_km_s(cells.geometry) };
                let base = self.out.join(format!("{}.{phase}.mod", self.label));
                let mut writer = NllGridWriter::create(&base, &header)?;
                writer.write_f64(&cells.data).with_context(|| format!("writing {}.buf", base.display()))?;
                grids.push((base, writer, None));
            }
        }
        finish_all(grids)
    }

    /// Refuse a grid of `n` nodes whose computation with `method` (and
    /// --write-velocity) needs more memory than `budget`; `flag` names
    /// where the size came from.
    fn check_memory(&self, budget: &MemoryBudget, flag: &str, n: [usize; 3], method: Method) -> Result<()> {
        let nodes = product(n.iter().map(|&v| v as u128));
        // Per node and phase (both phases may run at once): the solver's
        // buffers, or the layered table's slabs and their concatenation.
        // The eikonal times are written slab by slab, never held whole.
        let per_phase = match method {
            Method::Eikonal => EIKONAL_SOLVE_BYTES_PER_NODE,
            Method::Layered => 2 * TIME_GRID_BYTES_PER_NODE,
        };
        let velocity = match (method == Method::Eikonal, self.write_velocity) {
            // The P and S grids, and a cell-centre copy (f64) while one is written.
            (_, true) => VELOCITY_BYTES_PER_NODE + VELOCITY_BYTES_PER_NODE / 2,
            (true, false) => VELOCITY_BYTES_PER_NODE,
            (false, false) => 0,
        };
        let what = format!(
            "{flag} {}: {} grid of {} nodes × 2 phases",
            n.map(|v| v.to_string()).join(","),
            match method {
                Method::Eikonal => "eikonal",
                Method::Layered => "layered",
            },
            format_dims(&n)
        );
        budget.check(what, mul(nodes, 2 * per_phase + velocity))?;
        Ok(())
    }

    fn station_context(&self) -> String {
        format!(
            "computing travel times of station {} at {:?} km",
            self.station, self.station_km
        )
    }

    /// The grid geometry from --grid, --grid-origin and --spacing.
    fn geometry_from_flags(&self, input: &str) -> Result<GridGeometry> {
        match (self.grid, self.grid_origin, self.spacing) {
            (Some(n), Some(origin_km), Some(spacing_km)) => Ok(GridGeometry {
                n,
                origin_km,
                spacing_km,
            }),
            _ => bail!(
                "{input} needs the grid: --grid NX,NY,NZ --grid-origin X,Y,Z (km) --spacing KM"
            ),
        }
    }

    /// The velocity model, the grid of the output and the NonLinLoc TRANSFORM line.
    fn velocity(&self) -> Result<(Velocity, GridGeometry, Option<String>)> {
        if let Some(path) = &self.velocity_toml {
            let geometry = self.geometry_from_flags("--velocity-toml")?;
            let model = Layered1D::from_toml_file(path).with_context(|| {
                format!(
                    "reading the layered model --velocity-toml {}",
                    path.display()
                )
            })?;
            return Ok((Velocity::Layered(model), geometry, None));
        }
        if let Some(vp) = &self.vp_grid {
            ensure!(
                self.grid.is_none() && self.grid_origin.is_none() && self.spacing.is_none(),
                "--grid, --grid-origin and --spacing cannot be used with --vp-grid: the grid is that of the NonLinLoc files"
            );
            let model = match (&self.vs_grid, self.vp_vs) {
                (Some(vs), None) => VelocityModel3D::from_nll_grids(vp, vs).with_context(|| {
                    format!(
                        "reading the NonLinLoc grids --vp-grid {} --vs-grid {}",
                        vp.display(),
                        vs.display()
                    )
                })?,
                (None, Some(r)) => {
                    VelocityModel3D::from_nll_vp_and_ratio(vp, r).with_context(|| {
                        format!(
                            "reading the NonLinLoc grid --vp-grid {} (--vp-vs {r})",
                            vp.display()
                        )
                    })?
                }
                _ => bail!("--vp-grid needs either --vs-grid BASE or --vp-vs RATIO"),
            };
            let geometry = model.geometry();
            // The input's frame, carried into the grids written.
            let transform = read_nll_header(vp).ok().and_then(|h| h.transform);
            return Ok((Velocity::Grid(model), geometry, transform));
        }
        if let Some(path) = &self.velocity_csv {
            let geometry = self.geometry_from_flags("--velocity-csv")?;
            let (lon0, lat0) = (
                self.origin_lon.expect("required by clap"),
                self.origin_lat.expect("required by clap"),
            );
            let projection = crate::geo::LocalProjection::new(lon0, lat0)
                .with_context(|| "--origin-lon/--origin-lat".to_string())?;
            let project = |lon: f64, lat: f64| projection.to_local_km(lon, lat);
            let opts = ScatteredOptions {
                radius_km: self.csv_radius_km,
                ..ScatteredOptions::default()
            };
            let (model, report) = VelocityModel3D::from_velocity_csv(
                path, geometry, &project, &opts,
            )
            .with_context(|| {
                format!(
                    "reading the scattered velocity model --velocity-csv {}",
                    path.display()
                )
            })?;
            for layer in &report.layers {
                if layer.hole_columns > 0 {
                    eprintln!(
                        "note: depth {} km: {} of {} grid columns have no point within {:.3} km; filled with the level mean Vp {:.3}, Vs {:.3} km/s",
                        layer.depth_km,
                        layer.hole_columns,
                        geometry.n[0] * geometry.n[1],
                        layer.radius_km,
                        layer.mean_km_s.0,
                        layer.mean_km_s.1
                    );
                }
            }
            let transform = projection.nll_transform();
            return Ok((Velocity::Grid(model), geometry, Some(transform)));
        }
        bail!("give a velocity model: --velocity-toml, --vp-grid or --velocity-csv")
    }
}

/// The layered model's velocities on the grid, each node holding the mean
/// slowness over its cell (interfaces stay at their depth on average).
fn sample_layered(model: &Layered1D, geometry: GridGeometry) -> Result<VelocityModel3D> {
    let layers = model.layers();
    Ok(VelocityModel3D::from_depth_profile_cell_average(
        geometry,
        |z| {
            let l = &layers[model.layer_index(z)];
            (l.vp_km_s, l.vs_km_s)
        },
    )?)
}

fn progress_bar(bars: &MultiProgress, len: u64, prefix: String) -> ProgressBar {
    let bar = bars.add(ProgressBar::new(len));
    bar.set_style(
        ProgressStyle::with_template("{prefix:>10} [{bar:40}] {percent:>3}% ({eta} left)")
            .expect("valid template")
            .progress_chars("=> "),
    );
    bar.set_prefix(prefix);
    bar
}

/// Eikonal times (s) of `phase`.
fn solve_field(
    model: &VelocityModel3D,
    phase: Phase,
    station_km: [f64; 3],
    opts: &EikonalOptions,
    bars: &MultiProgress,
) -> Result<TimeGrid> {
    let bar = progress_bar(
        bars,
        model.geometry().len() as u64,
        format!("{phase} eikonal"),
    );
    let report = |done: usize, total: usize| {
        bar.set_length(total as u64);
        bar.set_position(done as u64);
    };
    let field = model.eikonal_field(phase, station_km, opts, Some(&report))
        .with_context(|| format!("solving the {phase} eikonal equation"))?;
    bar.finish();
    Ok(field)
}

/// Exact layered-model times (s) of `phase` at every node.
fn tabulate_layered(
    model: &Layered1D,
    geometry: GridGeometry,
    station_km: [f64; 3],
    phase: Phase,
    bars: &MultiProgress,
) -> Result<Grid3<f32>> {
    let [nx, ny, nz] = geometry.n;
    let bar = progress_bar(bars, nx as u64, format!("{phase} layered"));
    let slices: Vec<Vec<f32>> = (0..nx)
        .into_par_iter()
        .map(|ix| {
            let mut out = Vec::with_capacity(ny * nz);
            for iy in 0..ny {
                for iz in 0..nz {
                    let [x, y, z] = geometry.node_position(ix, iy, iz);
                    let distance = (x - station_km[0]).hypot(y - station_km[1]);
                    let (t, _) = model
                        .exact_time(phase, station_km[2], distance, z)
                        .map_err(|e| {
                            anyhow::anyhow!(
                                "{phase} time at node ({ix}, {iy}, {iz}) = {:?} km: {e}",
                                [x, y, z]
                            )
                        })?;
                    out.push(t as f32);
                }
            }
            bar.inc(1);
            Ok(out)
        })
        .collect::<Result<_>>()?;
    bar.finish();
    Ok(Grid3 {
        geometry,
        data: slices.concat(),
    })
}

/// One phase's times written in full to a temporary file beside their grid
/// (see [`NllGridWriter`]), not yet in place.
struct PendingTimes {
    base: PathBuf,
    writer: NllGridWriter,
    /// The smallest and largest time (s).
    range: (f32, f32),
}

impl PendingTimes {
    /// Write the node times of the fields `field.scaled_slowness(factor)`
    /// of `phases` (e.g. P and S with one Vp/Vs: `[(P, 1), (S, vp_vs)]`)
    /// slab by slab, from one pass over the distances and with no grid of
    /// times held whole, each to the grid `base(phase)`. A negative or
    /// non-finite time (a solver fault) is refused with the node it is at.
    fn stream<const N: usize>(
        field: &TimeGrid,
        phases: [(Phase, f64); N],
        base: &dyn Fn(Phase) -> PathBuf,
        header: &NllHeader,
        bars: &MultiProgress,
    ) -> Result<[Self; N]> {
        let g = *field.geometry();
        let names = phases.map(|(phase, _)| phase.to_string()).join("+");
        let bar = progress_bar(bars, g.n[0] as u64, format!("{names} write"));
        let mut slabs = phases.map(|_| vec![0f32; g.n[1] * g.n[2]]);
        let mut ranges = phases.map(|_| (f32::INFINITY, f32::NEG_INFINITY));
        let mut writers = Vec::with_capacity(N);
        for (phase, _) in phases {
            writers.push(NllGridWriter::create(base(phase), header)?);
        }
        for ix in 0..g.n[0] {
            field.slab_times_scaled_f32(ix, phases.map(|(_, f)| f), slabs.each_mut().map(|s| &mut s[..]));
            for (k, (phase, _)) in phases.iter().enumerate() {
                let slab = &slabs[k];
                match time_range(slab) {
                    Ok((lo, hi)) => ranges[k] = (ranges[k].0.min(lo), ranges[k].1.max(hi)),
                    Err(i) => {
                        let (ix, iy, iz) = g.node_of_index(ix * slab.len() + i);
                        bail!(
                            "the eikonal solver returned an invalid {phase} time {} s at node ({ix}, {iy}, {iz}); nothing written",
                            slab[i]
                        );
                    }
                }
                writers[k].write_f32(slab).with_context(|| format!("writing {}.buf", base(*phase).display()))?;
            }
            bar.inc(1);
        }
        bar.finish();
        let mut writers = writers.into_iter();
        Ok(std::array::from_fn(|k| PendingTimes {
            base: base(phases[k].0),
            writer: writers.next().expect("one writer per phase"),
            range: ranges[k],
        }))
    }

    /// Write the times of a grid computed whole.
    fn from_grid(base: PathBuf, header: &NllHeader, times: &Grid3<f32>) -> Result<Self> {
        let mut writer = NllGridWriter::create(&base, header)?;
        writer.write_f32(&times.data).with_context(|| format!("writing {}.buf", base.display()))?;
        let range = time_range(&times.data).map_err(|i| {
            let (ix, iy, iz) = times.geometry.node_of_index(i);
            anyhow::anyhow!("invalid time {} s at node ({ix}, {iy}, {iz}); nothing written", times.data[i])
        })?;
        Ok(PendingTimes { base, writer, range })
    }
}

/// The smallest and largest of `times` (s), or the index of the first that
/// is negative or not finite (a solver fault).
fn time_range(times: &[f32]) -> Result<(f32, f32), usize> {
    checked_range(times, |t| t >= 0.0)
}

/// Move every written grid into place, or none: on a failure the grids
/// already in place are removed (and the others' temporary files with their
/// writers). Returns each grid's base and its tag.
fn finish_all<T>(grids: Vec<(PathBuf, NllGridWriter, T)>) -> Result<Vec<(PathBuf, T)>> {
    let mut done: Vec<(PathBuf, T)> = Vec::new();
    for (base, writer, tag) in grids {
        if let Err(e) = writer.finish() {
            for (b, _) in &done {
                let (hdr, buf) = nll_file_paths(b);
                let _ = std::fs::remove_file(hdr);
                let _ = std::fs::remove_file(buf);
            }
            return Err(e).with_context(|| format!("writing {}.hdr/.buf", base.display()));
        }
        done.push((base, tag));
    }
    Ok(done)
}

fn parse_list<T: std::str::FromStr>(s: &str, what: &str) -> Result<Vec<T>, String> {
    s.split(',')
        .map(|w| {
            w.trim()
                .parse::<T>()
                .map_err(|_| format!("`{w}` is not {what}"))
        })
        .collect()
}

fn parse_counts(s: &str) -> Result<[usize; 3], String> {
    let v: Vec<usize> = parse_list(s, "a node count")?;
    match v[..] {
        [a, b, c] if a >= 2 && b >= 2 && c >= 2 => Ok([a, b, c]),
        [_, _, _] => Err("every node count must be at least 2".into()),
        _ => Err(format!(
            "expected NX,NY,NZ (3 counts), got {} values",
            v.len()
        )),
    }
}

fn parse_xyz(s: &str) -> Result<[f64; 3], String> {
    let v: Vec<f64> = parse_list(s, "a number (km)")?;
    match v[..] {
        [a, b, c] if v.iter().all(|x| x.is_finite()) => Ok([a, b, c]),
        [_, _, _] => Err("values must be finite".into()),
        _ => Err(format!(
            "expected X,Y,Z (3 values in km), got {} values",
            v.len()
        )),
    }
}

fn parse_spacing(s: &str) -> Result<[f64; 3], String> {
    let v: Vec<f64> = parse_list(s, "a spacing (km)")?;
    let arr = match v[..] {
        [h] => [h, h, h],
        [a, b, c] => [a, b, c],
        _ => {
            return Err(format!(
                "expected one spacing or DX,DY,DZ (km), got {} values",
                v.len()
            ))
        }
    };
    if arr.iter().all(|h| h.is_finite() && *h > 0.0) {
        Ok(arr)
    } else {
        Err("spacings must be positive (km)".into())
    }
}
