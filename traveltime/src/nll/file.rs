//! Reading and writing NonLinLoc grid file pairs (`.hdr` + `.buf`).

use super::grid_type::{NllFloatType, NllGridType};
use super::header::NllHeader;
use crate::{Grid3, GridGeometry, Phase, TravelTimeError};
use super::writer::NllGridWriter;
use std::io::Read;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

/// A NonLinLoc grid in memory: its header and one value per node in
/// [`GridGeometry::index`] order (x slowest, z fastest, as in the `.buf`).
///
/// Values are held as `f64` whatever the file's float type; `FLOAT` files
/// read and write losslessly through `f32`.
#[derive(Debug, Clone, PartialEq)]
pub struct NllGrid {
    /// The header.
    pub header: NllHeader,
    /// The values, in the unit of `header.grid_type`.
    pub data: Vec<f64>,
}

impl NllGrid {
    /// A `VELOCITY` grid (km/s) holding `velocity`.
    pub fn velocity_km_s(velocity: &Grid3<f64>) -> Self {
        NllGrid { header: NllHeader::velocity_km_s(velocity.geometry), data: velocity.data.clone() }
    }

    /// A velocity grid stored as `grid_type` (any type but `TIME`), converting
    /// from km/s. `SLOW_LEN` uses the x spacing.
    pub fn velocity_as(
        velocity: &Grid3<f64>,
        grid_type: NllGridType,
    ) -> Result<Self, TravelTimeError> {
        let dx = velocity.geometry.spacing_km[0];
        let data = velocity
            .data
            .iter()
            .map(|&v| grid_type.from_velocity_km_s(v, dx))
            .collect::<Option<Vec<f64>>>()
            .ok_or_else(|| {
                TravelTimeError::InvalidModel(format!("{grid_type} is not a velocity grid type"))
            })?;
        let mut g = NllGrid::velocity_km_s(velocity);
        g.header.grid_type = grid_type;
        g.data = data;
        Ok(g)
    }

    /// A `TIME` grid (s) of the source (station) `label` at `position_km`.
    pub fn time_s<T: Copy + Into<f64>>(
        times: &Grid3<T>,
        label: &str,
        position_km: [f64; 3],
    ) -> Self {
        NllGrid {
            header: NllHeader::time_s(times.geometry, label, position_km),
            data: times.data.iter().map(|&t| t.into()).collect(),
        }
    }

    /// The grid geometry.
    pub fn geometry(&self) -> GridGeometry {
        self.header.geometry
    }

    /// The raw values as a [`Grid3`] (in the unit of the grid type).
    pub fn values(&self) -> Grid3<f64> {
        Grid3 {
            geometry: self.header.geometry,
            data: self.data.clone(),
        }
    }

    /// Velocities (km/s) of a velocity-like grid. Every velocity must be
    /// finite and positive; the error names the first bad node `(ix, iy, iz)`.
    pub fn to_velocity_km_s(&self) -> Result<Grid3<f64>, TravelTimeError> {
        let t = self.header.grid_type;
        velocity_like(t)?;
        let g = self.header.geometry;
        let mut data = self.data.clone();
        convert_to_velocity(t, &g, &mut data, 0)?;
        Ok(Grid3 { geometry: g, data })
    }
}

/// Refuse a grid type that does not hold velocities.
fn velocity_like(t: NllGridType) -> Result<(), TravelTimeError> {
    if t.is_velocity_like() {
        return Ok(());
    }
    Err(TravelTimeError::InvalidModel(format!(
        "a {t} grid does not hold velocities (expected one of VELOCITY, VELOCITY_METERS, SLOWNESS, SLOW_LEN, VEL2, SLOW2, SLOW2_METERS)"
    )))
}

/// Convert the stored `t` values `values` (nodes `first..` of a grid of
/// geometry `g`) to velocities (km/s) in place: their smallest and largest,
/// or an error naming the first node whose velocity is not finite and
/// positive, with its stored value.
fn convert_to_velocity(
    t: NllGridType,
    g: &GridGeometry,
    values: &mut [f64],
    first: usize,
) -> Result<(f64, f64), TravelTimeError> {
    // Block by block: converted into a small buffer and checked there (one
    // vectorised pass), so a bad value is reported as stored.
    const BLOCK: usize = 1024;
    let dx = g.spacing_km[0];
    let mut velocity = [0.0; BLOCK];
    let mut range = (f64::INFINITY, f64::NEG_INFINITY);
    for (b, block) in values.chunks_mut(BLOCK).enumerate() {
        let velocity = &mut velocity[..block.len()];
        for (v, &raw) in velocity.iter_mut().zip(block.iter()) {
            *v = t.to_velocity_km_s(raw, dx).unwrap_or(f64::NAN);
        }
        match crate::value_range::checked_range(velocity, |v| v > 0.0) {
            Ok((lo, hi)) => range = (range.0.min(lo), range.1.max(hi)),
            Err(i) => {
                let (ix, iy, iz) = g.node_of_index(first + b * BLOCK + i);
                return Err(TravelTimeError::InvalidModel(format!(
                    "node ({ix}, {iy}, {iz}): stored {t} value {} gives velocity {} km/s (must be positive and finite)",
                    block[i], velocity[i]
                )));
            }
        }
        block.copy_from_slice(velocity);
    }
    Ok(range)
}

/// The base path of a grid: `foo.hdr` and `foo.buf` become `foo`; any other
/// path (e.g. `model.P.mod`) is already a base.
pub fn nll_base_path(path: impl AsRef<Path>) -> PathBuf {
    let p = path.as_ref();
    match p.extension().and_then(|e| e.to_str()) {
        Some("hdr") | Some("buf") => p.with_extension(""),
        _ => p.to_path_buf(),
    }
}

/// `base` + `.hdr` and `base` + `.buf` (appending, so dots in `base` stay).
pub fn nll_file_paths(base: impl AsRef<Path>) -> (PathBuf, PathBuf) {
    let base = base.as_ref().as_os_str();
    let mut hdr = base.to_os_string();
    hdr.push(".hdr");
    let mut buf = base.to_os_string();
    buf.push(".buf");
    (PathBuf::from(hdr), PathBuf::from(buf))
}

/// NonLinLoc's base name of a travel-time grid, `<dir>/<root>.<PHASE>.<STATION>.time`
/// (Grid2Time's naming convention).
pub fn nll_time_grid_base(
    dir: impl AsRef<Path>,
    root: &str,
    phase: Phase,
    station: &str,
) -> PathBuf {
    dir.as_ref().join(format!("{root}.{phase}.{station}.time"))
}

/// Read the header of the grid at `path` (`foo`, `foo.hdr` or `foo.buf`).
pub fn read_nll_header(path: impl AsRef<Path>) -> Result<NllHeader, TravelTimeError> {
    let (hdr_path, _) = nll_file_paths(nll_base_path(path));
    let text = std::fs::read_to_string(&hdr_path).map_err(|source| TravelTimeError::Io {
        path: hdr_path.clone(),
        source,
    })?;
    NllHeader::parse(&text).map_err(|what| TravelTimeError::Format {
        path: hdr_path,
        what,
    })
}

/// Read the grid at `path` (`foo`, `foo.hdr` or `foo.buf`): the header, then
/// the little-endian `.buf`, whose size must be exactly
/// `xNum·yNum·zNum·(4 or 8)` bytes.
///
/// ```
/// use eqnemix_traveltime::nll::{read_nll_grid, write_nll_grid, NllGrid};
/// use eqnemix_traveltime::{Grid3, GridGeometry};
/// let geometry = GridGeometry { n: [2, 3, 4], origin_km: [-1.0, -1.0, 0.0], spacing_km: [0.5; 3] };
/// let vp = Grid3 { geometry, data: (0..24).map(|i| 5.0 + 0.125 * i as f64).collect() };
/// let dir = tempfile::tempdir()?;
/// let base = dir.path().join("model.P.mod");
/// write_nll_grid(&base, &NllGrid::velocity_km_s(&vp))?;   // model.P.mod.hdr + .buf
/// let back = read_nll_grid(dir.path().join("model.P.mod.hdr"))?;
/// assert_eq!(back.to_velocity_km_s()?, vp);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn read_nll_grid(path: impl AsRef<Path>) -> Result<NllGrid, TravelTimeError> {
    let base = nll_base_path(path);
    let header = read_nll_header(&base)?;
    let data = read_values(&base, &header, |_, _| Ok(()))?;
    Ok(NllGrid { header, data })
}

/// The values of the `.buf` of `base` that `header` describes; `each_chunk`
/// sees every chunk of [`for_each_chunk`] first.
fn read_values(
    base: &Path,
    header: &NllHeader,
    mut each_chunk: impl FnMut(&mut [f64], usize) -> Result<(), TravelTimeError>,
) -> Result<Vec<f64>, TravelTimeError> {
    let mut data = Vec::with_capacity(header.geometry.len());
    for_each_chunk(base, header, |values, first| {
        each_chunk(values, first)?;
        data.extend_from_slice(values);
        Ok(ControlFlow::Continue(()))
    })?;
    Ok(data)
}

/// Decode the `.buf` of `base` that `header` describes a chunk at a time
/// (the file is never held whole: a grid may hold 10^8 nodes) and hand each
/// chunk, with the index of its first node, to `each_chunk` while it is in
/// the cache, until it breaks. The size of the file is checked first.
fn for_each_chunk(
    base: &Path,
    header: &NllHeader,
    mut each_chunk: impl FnMut(&mut [f64], usize) -> Result<ControlFlow<()>, TravelTimeError>,
) -> Result<(), TravelTimeError> {
    const CHUNK_VALUES: usize = 32 * 1024;
    let (_, buf_path) = nll_file_paths(base);
    let io = |source| TravelTimeError::Io {
        path: buf_path.clone(),
        source,
    };
    let mut file = std::fs::File::open(&buf_path).map_err(io)?;
    let found = file.metadata().map_err(io)?.len();
    let expected = expected_buffer_bytes(header, found, &buf_path)?;
    let width = header.float_type.bytes();
    let mut bytes = vec![0u8; width * CHUNK_VALUES];
    let mut values = Vec::with_capacity(CHUNK_VALUES);
    let (mut first, mut left) = (0, expected);
    while left > 0 {
        let bytes = &mut bytes[..left.min(width * CHUNK_VALUES)];
        file.read_exact(bytes).map_err(io)?;
        values.clear();
        decode_into(header.float_type, bytes, &mut values);
        if each_chunk(&mut values, first)?.is_break() {
            break;
        }
        first += values.len();
        left -= bytes.len();
    }
    Ok(())
}

/// As [`read_nll_grid`] from a header's text and a buffer's bytes already in
/// memory; `hdr_path` and `buf_path` name them in errors.
pub fn nll_grid_from_bytes(
    hdr_text: &str,
    hdr_path: &Path,
    bytes: &[u8],
    buf_path: &Path,
) -> Result<NllGrid, TravelTimeError> {
    let header = NllHeader::parse(hdr_text).map_err(|what| TravelTimeError::Format {
        path: hdr_path.to_path_buf(),
        what,
    })?;
    grid_from_buffer(header, bytes, buf_path.to_path_buf())
}

/// The grid of `header` with the values in `bytes` (the `.buf` at `buf_path`).
fn grid_from_buffer(header: NllHeader, bytes: &[u8], buf_path: PathBuf) -> Result<NllGrid, TravelTimeError> {
    let expected = expected_buffer_bytes(&header, bytes.len() as u64, &buf_path)?;
    let mut data = Vec::with_capacity(expected / header.float_type.bytes());
    decode_into(header.float_type, bytes, &mut data);
    Ok(NllGrid { header, data })
}

/// The `.buf` size `header` needs, checked against the `found` bytes of the
/// file at `buf_path`: the error says whether it is truncated or too long.
fn expected_buffer_bytes(header: &NllHeader, found: u64, buf_path: &Path) -> Result<usize, TravelTimeError> {
    let g = header.geometry;
    let width = header.float_type.bytes();
    let expected = g.n[0]
        .checked_mul(g.n[1])
        .and_then(|k| k.checked_mul(g.n[2]))
        .and_then(|k| k.checked_mul(width));
    let Some(expected) = expected else {
        return Err(TravelTimeError::Format {
            path: buf_path.to_path_buf(),
            what: format!("grid of {:?} nodes is too large", g.n),
        });
    };
    if found != expected as u64 {
        let how = if found < expected as u64 {
            "truncated"
        } else {
            "longer than the header says"
        };
        return Err(TravelTimeError::Format {
            path: buf_path.to_path_buf(),
            what: format!(
                "{how}: expected {expected} bytes ({} x {} x {} nodes x {width} bytes, {}), found {found} bytes",
                g.n[0],
                g.n[1],
                g.n[2],
                header.float_type.name(),
            ),
        });
    }
    Ok(expected)
}

/// Append the little-endian values of `bytes` (whole values of `float_type`).
fn decode_into(float_type: NllFloatType, bytes: &[u8], data: &mut Vec<f64>) {
    match float_type {
        NllFloatType::Float => data.extend(
            bytes
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]) as f64),
        ),
        NllFloatType::Double => data.extend(
            bytes
                .chunks_exact(8)
                .map(|c| f64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]])),
        ),
    }
}

/// Read a velocity-like grid at `path` and convert it to km/s; errors name
/// the file and the first bad node. Each chunk is converted and checked as
/// it is decoded.
pub fn read_nll_velocity(path: impl AsRef<Path>) -> Result<Grid3<f64>, TravelTimeError> {
    let (base, header, in_buf) = velocity_header(path)?;
    let g = header.geometry;
    let data = read_values(&base, &header, |values, first| {
        convert_to_velocity(header.grid_type, &g, values, first).map(|_| ()).map_err(&in_buf)
    })?;
    Ok(Grid3 { geometry: g, data })
}

/// The geometry and the velocity (km/s) of a velocity-like grid at `path`
/// whose every value gives the same velocity, or `None` as soon as two
/// differ; the grid is not stored. Errors as [`read_nll_velocity`]'s for
/// the values read.
pub(crate) fn read_uniform_velocity(path: impl AsRef<Path>) -> Result<Option<(GridGeometry, f64)>, TravelTimeError> {
    let (base, header, in_buf) = velocity_header(path)?;
    let g = header.geometry;
    let mut velocity = None;
    for_each_chunk(&base, &header, |values, first| {
        let (lo, hi) = convert_to_velocity(header.grid_type, &g, values, first).map_err(&in_buf)?;
        let v = *velocity.get_or_insert(lo);
        if lo == v && hi == v {
            return Ok(ControlFlow::Continue(()));
        }
        velocity = None;
        Ok(ControlFlow::Break(()))
    })?;
    Ok(velocity.map(|v| (g, v)))
}

/// The base and header of a velocity-like grid at `path`, and how to name
/// its `.buf` in an error about a value (a bad grid type names the `.hdr`).
fn velocity_header(
    path: impl AsRef<Path>,
) -> Result<(PathBuf, NllHeader, impl Fn(TravelTimeError) -> TravelTimeError), TravelTimeError> {
    let base = nll_base_path(path);
    let header = read_nll_header(&base)?;
    let (hdr, buf) = nll_file_paths(&base);
    let in_file = |path: PathBuf| {
        move |e: TravelTimeError| match e {
            TravelTimeError::InvalidModel(what) => TravelTimeError::Format { path: path.clone(), what },
            other => other,
        }
    };
    velocity_like(header.grid_type).map_err(in_file(hdr))?;
    Ok((base, header, in_file(buf)))
}

/// Write `grid` as `base.hdr` + `base.buf` (little-endian). Each file is
/// written to a temporary file in the same directory and renamed into place,
/// so an interrupted write never leaves a half-written file; the `.buf` is
/// renamed first, and removed again if the `.hdr` rename fails.
///
/// Returns the `.hdr` and `.buf` paths. See [`read_nll_grid`] for an example.
pub fn write_nll_grid(
    base: impl AsRef<Path>,
    grid: &NllGrid,
) -> Result<(PathBuf, PathBuf), TravelTimeError> {
    let mut out = NllGridWriter::create(base, &grid.header)?;
    out.write_f64(&grid.data)?;
    out.finish()
}
