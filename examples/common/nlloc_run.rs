//! NonLinLoc's NLLoc run side by side with eqnemix (`examples/edt_network.rs`):
//! the P and S TIME grids of every station written by eqnemix's NonLinLoc
//! grid writer (the code behind `eqnemix traveltime`), one NLLOC_OBS file per
//! event, one control file (`LOCMETH EDT_OT_WT`, oct-tree search over the
//! same box as eqnemix's uniform prior), one `NLLoc` run over all events, and
//! the `.hyp` files read back.
//!
//! Event `e` is dated 2020-01-01 00:00 plus `e` hours, so its `.hyp` is
//! matched to it by the origin's date and hour. Coordinates are NonLinLoc's
//! rectangular kilometres (`TRANS NONE`), the same frame as eqnemix's.
//!
//! [`run_grid2time`] does the same for Grid2Time's travel-time grids
//! (`examples/eikonal_benchmark.rs`).
//!
//! The NonLinLoc programs come from `--nlloc DIR`: a directory holding an
//! `NLLoc` executable, or a checkout of NonLinLoc's public source (GPL-3.0,
//! <https://github.com/alomax/NonLinLoc>), which is built into a temporary
//! directory by `scripts/reference/build_nonlinloc.sh`. Nothing of
//! NonLinLoc enters this repository.
#![allow(dead_code)]

use eqnemix::picks::Picks;
use eqnemix::prior::RegionBox;
use eqnemix::traveltime::nll::{read_nll_grid, write_nll_grid, NllGrid, NllGridType};
use eqnemix::traveltime::{Grid3, GridGeometry, Phase, Station, TravelTimeModel};
use std::path::{Path, PathBuf};
use std::process::Command;

/// One NLLoc location read back from its `.hyp`.
#[derive(Debug, Clone, Copy)]
pub struct NllLocation {
    /// `STATISTICS` ExpectX/Y/Z (km): the posterior mean.
    pub expectation_km: [f64; 3],
    /// `STATISTICS` CovXX..ZZ (km²).
    pub covariance_km2: [[f64; 3]; 3],
    /// `HYPOCENTER` x y z (km): the maximum-likelihood point.
    pub max_likelihood_km: [f64; 3],
}

/// What a NonLinLoc run gave: one entry per event (None where NLLoc wrote
/// no located `.hyp`), and CPU seconds of writing the grids (this process)
/// and of NLLoc (the child process, all events).
pub struct NllRun {
    pub locations: Vec<Option<NllLocation>>,
    pub grid_cpu_s: f64,
    pub nlloc_cpu_s: f64,
}

/// The `NLLoc` executable under `dir`, building it first when `dir` is a
/// NonLinLoc source checkout. Err says why NLLoc cannot be had.
pub fn nlloc_program(dir: &Path, scratch: &Path) -> Result<PathBuf, String> {
    nonlinloc_program(dir, scratch, "NLLoc")
}

/// The NonLinLoc program `name` (`NLLoc`, `Grid2Time`, `Vel2Grid`) under
/// `dir`, building the three first when `dir` is a NonLinLoc source
/// checkout (into `scratch`). Err says why the program cannot be had.
pub fn nonlinloc_program(dir: &Path, scratch: &Path, name: &str) -> Result<PathBuf, String> {
    let direct = dir.join(name);
    if direct.is_file() {
        return Ok(direct);
    }
    if !dir.join("src/CMakeLists.txt").is_file() {
        return Err(format!(
            "{} holds neither a {name} program nor NonLinLoc's source (src/CMakeLists.txt)",
            dir.display()
        ));
    }
    let bin = scratch.join("nll-bin");
    if bin.join(name).is_file() {
        return Ok(bin.join(name));
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/reference/build_nonlinloc.sh");
    eprintln!("building NonLinLoc from {} (a minute or two)", dir.display());
    let out = Command::new("bash")
        .arg(&script)
        .arg(dir)
        .arg(&bin)
        .output()
        .map_err(|e| format!("cannot run {}: {e}", script.display()))?;
    if !out.status.success() {
        return Err(format!(
            "building NonLinLoc failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(bin.join(name))
}

/// Travel times from `source_km` computed by NonLinLoc's Grid2Time
/// (Podvin-Lecomte finite differences, `GT_PLFD`) on the nodes of
/// `geometry` (cubic cells, `TRANS NONE`), in the medium `velocity_km_s`
/// (km/s as a function of position, km).
///
/// Grid2Time's model grid holds one slowness per cell (Podvin-Lecomte's
/// convention, as Vel2Grid writes it): node `(ix, iy, iz)` of the `SLOW_LEN`
/// grid carries the medium at the centre of the cell spanning nodes
/// `ix..ix+1`, `iy..iy+1`, `iz..iz+1`. Returns the times (s, one per node in
/// [`GridGeometry::index`] order) and the CPU seconds of the Grid2Time
/// process (reading the model, solving, writing the TIME grid).
pub fn run_grid2time(
    grid2time: &Path,
    work: &Path,
    geometry: GridGeometry,
    velocity_km_s: &dyn Fn([f64; 3]) -> f64,
    source_km: [f64; 3],
) -> anyhow::Result<(Vec<f64>, f64)> {
    std::fs::create_dir_all(work)?;
    let h = geometry.spacing_km[0];
    anyhow::ensure!(geometry.spacing_km.iter().all(|&d| d == h), "Grid2Time's Podvin-Lecomte solver needs cubic cells");
    let mut data = Vec::with_capacity(geometry.len());
    for ix in 0..geometry.n[0] {
        for iy in 0..geometry.n[1] {
            for iz in 0..geometry.n[2] {
                let p = geometry.node_position(ix, iy, iz);
                data.push(velocity_km_s([p[0] + h / 2.0, p[1] + h / 2.0, p[2] + h / 2.0]));
            }
        }
    }
    let cpu_s = run_grid2time_on(grid2time, work, Grid3 { geometry, data }, "GRID3D", source_km)?;
    let times = read_nll_grid(work.join("time.P.SRC.time.hdr"))?;
    anyhow::ensure!(times.header.geometry.n == geometry.n, "Grid2Time wrote a grid of another shape");
    Ok((times.data, cpu_s))
}

/// Write `cells` (km/s, one value per cell) as Grid2Time's `SLOW_LEN`
/// model in `work`, run Grid2Time there in `mode` (`GRID3D` or `GRID2D`)
/// from a source at `source_km` and return the CPU seconds of its process
/// (reading the model, solving, writing the TIME grid).
fn run_grid2time_on(grid2time: &Path, work: &Path, cells: Grid3<f64>, mode: &str, source_km: [f64; 3]) -> anyhow::Result<f64> {
    let mut model = NllGrid::velocity_as(&cells, NllGridType::SlowLen)?;
    model.header.transform = Some("NONE".to_string());
    write_nll_grid(work.join("model.P.mod"), &model)?;
    let [x, y, z] = source_km;
    let control = format!(
        "CONTROL 0 54321\n\
         TRANS NONE\n\
         GTFILES ./model ./time P\n\
         GTMODE {mode} ANGLES_NO\n\
         GTSRCE SRC XYZ {x} {y} {z} 0.0\n\
         GT_PLFD 1.0e-3 0\n"
    );
    std::fs::write(work.join("g2t.in"), control)?;
    rerun_grid2time(grid2time, work)
}

/// Run Grid2Time again on the control file `g2t.in` that a run left in
/// `work` (the same model and source): its CPU seconds (user + system).
pub fn rerun_grid2time(grid2time: &Path, work: &Path) -> anyhow::Result<f64> {
    let c0 = children_cpu_s();
    let out = Command::new(grid2time).arg("g2t.in").current_dir(work).output()?;
    let cpu_s = children_cpu_s() - c0;
    std::fs::write(work.join("grid2time.log"), &out.stdout)?;
    anyhow::ensure!(
        out.status.success(),
        "Grid2Time failed ({}); see {}",
        out.status,
        work.join("grid2time.log").display()
    );
    Ok(cpu_s)
}

/// Grid2Time in its 2D mode (`GTMODE GRID2D`, NonLinLoc's grids for a
/// medium that varies with depth only): a model grid 2 nodes wide along x,
/// horizontal distance from the source along y (from 0 to
/// `(n_distance - 1)·h` km) and depth along z (`n_depth` nodes from
/// `z0_km`), cubic cells of `h` km; the source at distance 0 and depth
/// `source_depth_km`. Returns the times (s) at the `(distance, depth)`
/// nodes (depth fastest) and the CPU seconds of the Grid2Time process.
pub fn run_grid2time_2d(
    grid2time: &Path,
    work: &Path,
    h: f64,
    n_distance: usize,
    n_depth: usize,
    z0_km: f64,
    velocity_km_s: &dyn Fn(f64) -> f64,
    source_depth_km: f64,
) -> anyhow::Result<(Vec<f64>, f64)> {
    std::fs::create_dir_all(work)?;
    let geometry = GridGeometry { n: [2, n_distance, n_depth], origin_km: [0.0, 0.0, z0_km], spacing_km: [h; 3] };
    // One slowness per cell (as `run_grid2time`): the medium at the cell centre.
    let column: Vec<f64> = (0..n_depth).map(|iz| velocity_km_s(z0_km + (iz as f64 + 0.5) * h)).collect();
    let data: Vec<f64> = (0..2 * n_distance).flat_map(|_| column.iter().copied()).collect();
    let cpu_s = run_grid2time_on(grid2time, work, Grid3 { geometry, data }, "GRID2D", [0.0, 0.0, source_depth_km])?;
    // eqnemix's reader does not take TIME2D grids: the buffer is 2 x n_distance
    // x n_depth float32 values (x slowest, depth fastest), native order.
    let bytes = std::fs::read(work.join("time.P.SRC.time.buf"))?;
    anyhow::ensure!(bytes.len() == 8 * n_distance * n_depth, "Grid2Time wrote a 2D grid of another shape");
    let plane = 4 * n_distance * n_depth;
    let times = bytes[..plane].chunks_exact(4).map(|b| f32::from_ne_bytes([b[0], b[1], b[2], b[3]]) as f64).collect();
    Ok((times, cpu_s))
}

/// CPU seconds used so far by this process's finished children.
pub fn children_cpu_s() -> f64 {
    // SAFETY: getrusage writes into the rusage we own.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    if unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut ru) } != 0 {
        return f64::NAN;
    }
    let t = |tv: libc::timeval| tv.tv_sec as f64 + 1e-6 * tv.tv_usec as f64;
    t(ru.ru_utime) + t(ru.ru_stime)
}

/// CPU seconds used so far by this process.
fn own_cpu_s() -> f64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: clock_gettime writes into the timespec we own.
    unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut ts) };
    ts.tv_sec as f64 + 1e-9 * ts.tv_nsec as f64
}

/// Locate `events` (picks relative to `reference time + origin offset` as
/// in the example: `time_s` seconds after the event's own hour) with NLLoc's
/// EDT over `region`, on TIME grids of `model` with `spacing_km` nodes.
pub fn run_nlloc(
    nlloc: &Path,
    work: &Path,
    stations: &[Station],
    model: &dyn TravelTimeModel,
    region: RegionBox,
    spacing_km: f64,
    events: &[&Picks],
) -> anyhow::Result<NllRun> {
    for d in ["time", "obs", "loc"] {
        std::fs::create_dir_all(work.join(d))?;
    }
    // TIME grids one node beyond the search box on every side but the top
    // (stations sit at the surface, z = 0).
    let (lo, hi) = (region.min_km, region.max_km);
    let origin = [lo[0] - spacing_km, lo[1] - spacing_km, lo[2].max(0.0)];
    let n = [0, 1, 2].map(|k| ((hi[k] + spacing_km - origin[k]) / spacing_km).ceil() as usize + 1);
    let geometry = GridGeometry { n, origin_km: origin, spacing_km: [spacing_km; 3] };
    let c0 = own_cpu_s();
    for station in stations {
        for (phase, name) in [(Phase::P, "P"), (Phase::S, "S")] {
            let field = model.field(station, phase)?;
            let mut data = Vec::with_capacity(geometry.len());
            for ix in 0..n[0] {
                for iy in 0..n[1] {
                    for iz in 0..n[2] {
                        data.push(field.time(geometry.node_position(ix, iy, iz))?);
                    }
                }
            }
            let grid = NllGrid::time_s(&Grid3 { geometry, data }, &station.code, station.position_km);
            write_nll_grid(work.join(format!("time/net.{name}.{}.time", station.code)), &grid)?;
        }
    }
    let grid_cpu_s = own_cpu_s() - c0;
    for (e, picks) in events.iter().enumerate() {
        let (day, hour) = (1 + e / 24, e % 24);
        let mut obs = String::new();
        for sp in &picks.stations {
            for (phase, pick) in [("P", &sp.p), ("S", &sp.s)] {
                if let Some(p) = pick {
                    anyhow::ensure!(p.time_s >= 0.0 && p.time_s < 3600.0, "pick outside its hour");
                    let (minute, sec) = ((p.time_s / 60.0).floor(), p.time_s % 60.0);
                    obs.push_str(&format!(
                        "{:<6} ?    ?    ? {phase}      ? 202001{day:02} {hour:02}{minute:02.0} {sec:9.4} GAU {:9.2e} -1.00e+00 -1.00e+00 -1.00e+00 1.0\n",
                        sp.station.code, p.sigma_s
                    ));
                }
            }
        }
        std::fs::write(work.join(format!("obs/ev{e:04}.obs")), obs)?;
    }
    let [nx, ny, nz] = [0, 1, 2].map(|k| ((hi[k] - lo[k]) / spacing_km).round() as usize + 1);
    let control = format!(
        "CONTROL 0 54321\n\
         TRANS NONE\n\
         LOCSIG eqnemix edt_network\n\
         LOCCOM EDT side by side with eqnemix\n\
         LOCFILES ./obs/ev*.obs NLLOC_OBS ./time/net ./loc/net\n\
         LOCHYPOUT SAVE_NLLOC_ALL\n\
         LOCSEARCH OCT 20 20 8 0.01 20000 5000 0 1\n\
         LOCGRID {nx} {ny} {nz} {} {} {} {s} {s} {s} PROB_DENSITY SAVE\n\
         LOCMETH EDT_OT_WT 9999.0 4 -1 -1 -1 {} -1.0 1\n\
         LOCGAU 0.001 0.0\n\
         LOCPHASEID P P p\n\
         LOCPHASEID S S s\n\
         LOCQUAL2ERR 0.1 0.5 1.0 2.0 99999.9\n\
         LOCANGLES ANGLES_NO 5\n",
        lo[0],
        lo[1],
        lo[2],
        2 * stations.len(),
        s = spacing_km,
    );
    std::fs::write(work.join("edt.in"), control)?;
    let c0 = children_cpu_s();
    let out = Command::new(nlloc).arg("edt.in").current_dir(work).output()?;
    let nlloc_cpu_s = children_cpu_s() - c0;
    std::fs::write(work.join("nlloc.log"), &out.stdout)?;
    anyhow::ensure!(out.status.success(), "NLLoc failed ({}); see {}", out.status, work.join("nlloc.log").display());
    let mut locations = vec![None; events.len()];
    for entry in std::fs::read_dir(work.join("loc"))? {
        let path = entry?.path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        if !name.ends_with(".grid0.loc.hyp") || name.contains(".sum.") {
            continue;
        }
        if let Some((e, loc)) = parse_hyp(&std::fs::read_to_string(&path)?) {
            if e < locations.len() {
                locations[e] = Some(loc);
            }
        }
    }
    Ok(NllRun { locations, grid_cpu_s, nlloc_cpu_s })
}

/// The event index (from the origin's day and hour) and the location of a
/// located `.hyp`; None for an event NLLoc rejected.
fn parse_hyp(text: &str) -> Option<(usize, NllLocation)> {
    let mut located = false;
    let (mut day_hour, mut ml, mut ex, mut cov) = (None, None, None, None);
    for line in text.lines() {
        let t: Vec<&str> = line.split_whitespace().collect();
        let num = |key: &str| -> Option<f64> {
            let i = t.iter().position(|w| *w == key)?;
            t.get(i + 1)?.parse().ok()
        };
        match t.first().copied() {
            Some("NLLOC") => located = line.contains("\"LOCATED\""),
            Some("GEOGRAPHIC") => {
                let day: usize = t.get(4)?.parse().ok()?;
                let hour: usize = t.get(5)?.parse().ok()?;
                day_hour = Some((day - 1) * 24 + hour);
            }
            Some("HYPOCENTER") => ml = Some([num("x")?, num("y")?, num("z")?]),
            Some("STATISTICS") => {
                ex = Some([num("ExpectX")?, num("Y")?, num("Z")?]);
                let (xx, xy, xz, yy, yz, zz) =
                    (num("CovXX")?, num("XY")?, num("XZ")?, num("YY")?, num("YZ")?, num("ZZ")?);
                cov = Some([[xx, xy, xz], [xy, yy, yz], [xz, yz, zz]]);
            }
            _ => {}
        }
    }
    if !located {
        return None;
    }
    Some((
        day_hour?,
        NllLocation { expectation_km: ex?, covariance_km2: cov?, max_likelihood_km: ml? },
    ))
}

/// Whether `truth` lies inside the `chi2_quantile` ellipsoid of `loc`'s
/// covariance around its expectation (NLLoc's confidence ellipsoid; for
/// 90% in 3D, chi²₃(0.9) = 6.2514).
pub fn in_ellipsoid(loc: &NllLocation, truth: [f64; 3], chi2_quantile: f64) -> bool {
    let d = [0, 1, 2].map(|k| truth[k] - loc.expectation_km[k]);
    let c = nalgebra::Matrix3::from_fn(|i, j| loc.covariance_km2[i][j]);
    match c.try_inverse() {
        Some(inv) => {
            let v = nalgebra::Vector3::from(d);
            (v.transpose() * inv * v)[0] <= chi2_quantile
        }
        None => false,
    }
}
