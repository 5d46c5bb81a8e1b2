//! Travel-time models and fields: `time(points)` and
//! `time_and_gradient(points)` on `(N, 3)` arrays of km.

use crate::arrays::{vec1, vec2};
use eqnemix::traveltime::{self as tt, Layer, Phase, Station};
use numpy::{AllowTypeChange, PyArrayLikeDyn};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use std::sync::Arc;

/// `"P"` or `"S"` (case-insensitive).
pub fn phase(text: &str) -> PyResult<Phase> {
    match text.to_ascii_uppercase().as_str() {
        "P" => Ok(Phase::P),
        "S" => Ok(Phase::S),
        _ => Err(PyValueError::new_err(format!("phase must be \"P\" or \"S\"; got {text:?}"))),
    }
}

fn station(position_km: [f64; 3]) -> PyResult<Station> {
    if !position_km.iter().all(|c| c.is_finite()) {
        return Err(PyValueError::new_err(format!("station_km must be finite; got {position_km:?}")));
    }
    Ok(Station { code: "STA".into(), position_km })
}

fn value_error(e: impl std::fmt::Display) -> PyErr {
    PyValueError::new_err(e.to_string())
}

/// A travel-time model (homogeneous or layered 1D). Build it with
/// `TravelTimeModel.homogeneous(vp_km_s, vs_km_s)` or
/// `TravelTimeModel.layered(layers)`.
#[pyclass(module = "eqnemix", frozen)]
pub struct TravelTimeModel {
    pub model: Arc<dyn tt::TravelTimeModel>,
    description: String,
}

#[pymethods]
impl TravelTimeModel {
    /// Homogeneous whole space: P velocity `vp_km_s`, S velocity `vs_km_s` (km/s).
    #[staticmethod]
    fn homogeneous(vp_km_s: f64, vs_km_s: f64) -> PyResult<Self> {
        let m = tt::Homogeneous::new(vp_km_s, vs_km_s).map_err(value_error)?;
        Ok(TravelTimeModel { model: Arc::new(m), description: format!("homogeneous(vp_km_s={vp_km_s}, vs_km_s={vs_km_s})") })
    }

    /// Layered 1D model from `(top_km, vp_km_s, vs_km_s)` rows, tops increasing.
    #[staticmethod]
    fn layered(layers: Vec<(f64, f64, f64)>) -> PyResult<Self> {
        let n = layers.len();
        let m = tt::Layered1D::new(layers.into_iter().map(|(top, vp, vs)| Layer::new(top, vp, vs)).collect()).map_err(value_error)?;
        Ok(TravelTimeModel { model: Arc::new(m), description: format!("layered({n} layers)") })
    }

    /// Eikonal model on a regular grid: `vp_km_s` a 3-D array `(nx, ny, nz)`
    /// of P velocities (km/s) along east, north, depth, node `(i, j, k)` at
    /// `origin_km + (i, j, k) * spacing_km`; S velocities from `vs_km_s`
    /// (same shape) or the constant ratio `vp_vs`. Fields are solved per
    /// station and phase when first asked for, then kept.
    #[staticmethod]
    #[pyo3(signature = (vp_km_s, origin_km, spacing_km, vs_km_s=None, vp_vs=None))]
    fn eikonal(
        vp_km_s: PyArrayLikeDyn<'_, f64, AllowTypeChange>,
        origin_km: [f64; 3],
        spacing_km: [f64; 3],
        vs_km_s: Option<PyArrayLikeDyn<'_, f64, AllowTypeChange>>,
        vp_vs: Option<f64>,
    ) -> PyResult<Self> {
        let grid = |a: &PyArrayLikeDyn<'_, f64, AllowTypeChange>, what: &str| -> PyResult<tt::Grid3<f64>> {
            use numpy::PyUntypedArrayMethods;
            let shape = a.shape().to_vec();
            let [nx, ny, nz] = shape[..] else {
                return Err(PyValueError::new_err(format!("{what} must be a 3-D array (nx, ny, nz); got shape {shape:?}")));
            };
            if nx < 2 || ny < 2 || nz < 2 {
                return Err(PyValueError::new_err(format!("{what} needs at least 2 nodes along each axis; got shape {shape:?}")));
            }
            if !(origin_km.iter().all(|v| v.is_finite()) && spacing_km.iter().all(|v| v.is_finite() && *v > 0.0)) {
                return Err(PyValueError::new_err(format!(
                    "origin_km must be finite and spacing_km finite and > 0; got {origin_km:?} and {spacing_km:?}"
                )));
            }
            // C order of (nx, ny, nz): z fastest, then y, then x, the
            // grids' (NonLinLoc's) order.
            Ok(tt::Grid3 {
                geometry: tt::GridGeometry { n: [nx, ny, nz], origin_km, spacing_km },
                data: a.as_array().iter().copied().collect(),
            })
        };
        let vp = grid(&vp_km_s, "vp_km_s")?;
        let m = match (vs_km_s, vp_vs) {
            (Some(vs), None) => tt::EikonalModel::new(vp, grid(&vs, "vs_km_s")?),
            (None, Some(r)) => tt::EikonalModel::from_vp_and_ratio(vp, r),
            _ => return Err(PyValueError::new_err("give exactly one of vs_km_s (a grid) and vp_vs (a ratio)")),
        }
        .map_err(value_error)?;
        let n = m.velocity(Phase::P).geometry.n;
        Ok(TravelTimeModel { model: Arc::new(m), description: format!("eikonal(grid {}x{}x{})", n[0], n[1], n[2]) })
    }

    /// The `[travel_time]` model of a configuration (a file, its text, or
    /// the defaults, with `settings_json` overriding keys): any kind the
    /// command line takes (homogeneous, layered, eikonal, nll_grids);
    /// relative paths count from the file's folder.
    #[staticmethod]
    #[pyo3(signature = (config=None, config_text=None, settings_json=None))]
    fn from_config(py: Python<'_>, config: Option<std::path::PathBuf>, config_text: Option<String>, settings_json: Option<&str>) -> PyResult<Self> {
        let (cfg, base) = crate::locate::config(config, config_text, settings_json)?;
        let model = py.detach(|| cfg.travel_time.build(&base)).map_err(|e| value_error(format!("configuration: {e}")))?;
        Ok(TravelTimeModel { model, description: format!("from_config(kind={:?})", cfg.travel_time.kind) })
    }

    /// The field of one station (position km) and phase (grid models solve
    /// or read it here, once per station and phase).
    #[pyo3(signature = (station_km, phase = "P"))]
    fn field(&self, py: Python<'_>, station_km: [f64; 3], phase: &str) -> PyResult<TravelTimeField> {
        let ph = self::phase(phase)?;
        let st = station(station_km)?;
        let model = &self.model;
        let f = py.detach(|| model.field(&st, ph)).map_err(value_error)?;
        Ok(TravelTimeField { field: f, station_km, phase: ph })
    }

    /// Travel times (s) from each point to the station.
    #[pyo3(signature = (points, station_km = [0.0, 0.0, 0.0], phase = "P"))]
    fn time(&self, py: Python<'_>, points: PyArrayLikeDyn<'_, f64, AllowTypeChange>, station_km: [f64; 3], phase: &str) -> PyResult<Py<PyAny>> {
        self.field(py, station_km, phase)?.time(py, points)
    }

    /// Travel times (s) and gradients (s/km) from each point to the station.
    #[pyo3(signature = (points, station_km = [0.0, 0.0, 0.0], phase = "P"))]
    fn time_and_gradient(
        &self,
        py: Python<'_>,
        points: PyArrayLikeDyn<'_, f64, AllowTypeChange>,
        station_km: [f64; 3],
        phase: &str,
    ) -> PyResult<(Py<PyAny>, Py<PyAny>)> {
        self.field(py, station_km, phase)?.time_and_gradient(py, points)
    }

    fn __repr__(&self) -> String {
        format!("TravelTimeModel.{}", self.description)
    }
}

/// The travel-time field of one station and phase.
#[pyclass(module = "eqnemix", frozen)]
pub struct TravelTimeField {
    field: Arc<dyn tt::TravelTimeField>,
    station_km: [f64; 3],
    phase: Phase,
}

fn outside(i: usize, e: tt::OutsideDomain) -> PyErr {
    PyValueError::new_err(format!("point {i}: {e}"))
}

#[pymethods]
impl TravelTimeField {
    /// Travel times (s) at `points` (shape `(N, 3)` or `(3,)`, km).
    fn time(&self, py: Python<'_>, points: PyArrayLikeDyn<'_, f64, AllowTypeChange>) -> PyResult<Py<PyAny>> {
        let p = crate::arrays::points(&points, 3, "points")?;
        let field = &self.field;
        let out: Result<Vec<f64>, PyErr> = py.detach(|| {
            p.values
                .chunks_exact(3)
                .enumerate()
                .map(|(i, x)| field.time([x[0], x[1], x[2]]).map_err(|e| (i, e)))
                .collect::<Result<Vec<f64>, _>>()
                .map_err(|(i, e)| outside(i, e))
        });
        let out = out?;
        if p.single {
            return Ok(out[0].into_pyobject(py)?.into_any().unbind());
        }
        Ok(vec1(py, out))
    }

    /// Travel times (s) and their gradients (s/km) at `points`.
    fn time_and_gradient(&self, py: Python<'_>, points: PyArrayLikeDyn<'_, f64, AllowTypeChange>) -> PyResult<(Py<PyAny>, Py<PyAny>)> {
        let p = crate::arrays::points(&points, 3, "points")?;
        let field = &self.field;
        let (t, g) = py.detach(|| {
            let mut t = Vec::with_capacity(p.n);
            let mut g = Vec::with_capacity(3 * p.n);
            for (i, x) in p.values.chunks_exact(3).enumerate() {
                let (ti, gi) = field.time_and_gradient([x[0], x[1], x[2]]).map_err(|e| outside(i, e))?;
                t.push(ti);
                g.extend_from_slice(&gi);
            }
            Ok::<_, PyErr>((t, g))
        })?;
        if p.single {
            return Ok((t[0].into_pyobject(py)?.into_any().unbind(), vec1(py, g)));
        }
        Ok((vec1(py, t), vec2(py, g, p.n, 3)))
    }

    /// The box `(min_km, max_km)` outside which the field cannot answer; `None` if unbounded.
    fn bounds(&self) -> Option<([f64; 3], [f64; 3])> {
        self.field.bounds()
    }

    fn __repr__(&self) -> String {
        format!("TravelTimeField(station_km={:?}, phase=\"{}\")", self.station_km, self.phase)
    }
}
