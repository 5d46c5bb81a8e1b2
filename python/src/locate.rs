//! One event's location problem, built the way `eqnemix locate` builds it
//! (configuration, clusters and frame, cluster weights, region, travel-time
//! model, domain check, picks), then its posterior ([`Batch::posterior`])
//! or its location ([`Batch::locate`]).

use crate::arrays::{points, vec1, vec2};
use crate::traveltime::TravelTimeModel;
use eqnemix::config::{LocateConfig, PriorKind};
use eqnemix::geo::LocalProjection;
use eqnemix::locate::{Batch, ClusterProbabilities};
use eqnemix::picks::Picks;
use eqnemix::posterior::LocationPosterior;
use eqnemix::prior::RegionBox;
use eqnemix::samplers::{GradLogDensity, LogDensity};
use eqnemix::traveltime::{self as tt, Station};
use eqnemix::ClusterGaussian;
use numpy::{AllowTypeChange, PyArrayLikeDyn};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub fn value_error(e: impl std::fmt::Display) -> PyErr {
    PyValueError::new_err(e.to_string())
}

/// `anyhow` errors with their whole chain of context.
fn anyhow_error(e: anyhow::Error) -> PyErr {
    PyValueError::new_err(format!("{e:#}"))
}

/// The configuration: a file, a TOML text or the defaults, with
/// `overrides` (a JSON object of TOML tables and keys) merged in; every
/// value checked by [`LocateConfig::from_toml_str`], as for a file.
/// Returns it and the folder relative paths count from.
pub fn config(path: Option<PathBuf>, text: Option<String>, overrides: Option<&str>) -> PyResult<(LocateConfig, PathBuf)> {
    let (text, name, base) = match (path, text) {
        (Some(_), Some(_)) => return Err(PyValueError::new_err("give config (a file) or config_text, not both")),
        (Some(p), None) => {
            let text = std::fs::read_to_string(&p).map_err(|e| PyValueError::new_err(format!("configuration {}: {e}", p.display())))?;
            let base = p.parent().map(PathBuf::from).unwrap_or_default();
            (text, p.display().to_string(), base)
        }
        (None, Some(t)) => (t, "<config_text>".to_string(), PathBuf::from(".")),
        (None, None) => (String::new(), "<default configuration>".to_string(), PathBuf::from(".")),
    };
    // The configuration as given must be valid on its own.
    let cfg = LocateConfig::from_toml_str(&text, &name).map_err(value_error)?;
    let Some(overrides) = overrides else {
        return Ok((cfg, base));
    };
    let json: serde_json::Value = serde_json::from_str(overrides).map_err(|e| value_error(format!("settings: {e}")))?;
    let over = match toml::Value::try_from(&json) {
        Ok(toml::Value::Table(t)) => t,
        Ok(_) => return Err(PyValueError::new_err("settings must be a mapping of configuration keys")),
        Err(e) => return Err(value_error(format!("settings: {e} (None is not a TOML value)"))),
    };
    let mut table: toml::Table = toml::from_str(&text).map_err(value_error)?;
    merge(&mut table, over);
    let merged = toml::to_string(&table).map_err(value_error)?;
    let cfg = LocateConfig::from_toml_str(&merged, format!("{name} with the settings given in Python")).map_err(value_error)?;
    Ok((cfg, base))
}

/// Merge `over` into `base`, table by table; `sampler` is replaced whole
/// (its keys depend on its `kind`).
fn merge(base: &mut toml::Table, over: toml::Table) {
    for (k, v) in over {
        match (base.get_mut(&k), v) {
            (Some(toml::Value::Table(b)), toml::Value::Table(o)) if k != "sampler" => merge(b, o),
            (_, v) => {
                base.insert(k, v);
            }
        }
    }
}

/// A cluster Gaussian given in Python (`mean_km`, `cov_km2`).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ClusterIn {
    mean_km: [f64; 3],
    cov_km2: [[f64; 3]; 3],
    #[serde(default)]
    n_events: usize,
}

/// One pick given in Python: a row of the picks CSV of `eqnemix locate`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PickIn {
    station: String,
    phase: String,
    #[serde(default)]
    time: Option<TimeIn>,
    #[serde(default)]
    sigma_s: Option<f64>,
    #[serde(default)]
    back_azimuth_deg: Option<f64>,
    #[serde(default)]
    sigma_back_azimuth_deg: Option<f64>,
    #[serde(default)]
    p_flip_back_azimuth: Option<f64>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum TimeIn {
    Seconds(f64),
    Utc(String),
}

/// The event given in Python.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EventIn {
    event_id: String,
    #[serde(default)]
    reference_time: Option<String>,
    picks: Vec<PickIn>,
    stations: BTreeMap<String, [f64; 3]>,
}

/// The picks of the event: written as the rows of a picks CSV and read by
/// [`eqnemix::picks::read_picks_from`], the reader of `eqnemix locate`, so
/// that every check, message and the reference time (the earliest arrival)
/// are the command's. Times are RFC 3339 strings, or seconds after
/// `reference_time` (default 1970-01-01T00:00:00Z). A missing `sigma_s`
/// is the configuration's `likelihood.default_pick_sigma_s`. Errors name
/// the pick by its index.
fn picks(event: &str, default_sigma_s: f64) -> PyResult<(Picks, Vec<Station>)> {
    let e: EventIn = serde_json::from_str(event).map_err(|e| value_error(format!("picks: {e}")))?;
    let stations: Vec<Station> = e
        .stations
        .iter()
        .map(|(code, p)| Station { code: code.clone(), position_km: *p })
        .collect();
    for s in &stations {
        if !s.position_km.iter().all(|c| c.is_finite()) {
            return Err(PyValueError::new_err(format!("stations: {} position {:?} km is not finite", s.code, s.position_km)));
        }
    }
    let reference = match &e.reference_time {
        Some(t) => chrono::DateTime::parse_from_rfc3339(t)
            .map_err(|err| value_error(format!("reference_time `{t}`: {err}")))?
            .with_timezone(&chrono::Utc),
        None => chrono::DateTime::<chrono::Utc>::UNIX_EPOCH,
    };
    let mut w = csv::Writer::from_writer(Vec::new());
    let header = [
        "event_id",
        "station",
        "phase",
        "time_utc",
        "sigma_s",
        "back_azimuth_deg",
        "sigma_back_azimuth_deg",
        "p_flip_back_azimuth",
    ];
    w.write_record(header).map_err(value_error)?;
    let num = |v: Option<f64>| v.map(|v| format!("{v}")).unwrap_or_default();
    for (i, p) in e.picks.iter().enumerate() {
        let time = match &p.time {
            None => String::new(),
            Some(TimeIn::Utc(s)) => s.clone(),
            Some(TimeIn::Seconds(s)) => {
                let t = eqnemix::picks::checked_utc_after(reference, *s)
                    .ok_or_else(|| PyValueError::new_err(format!("pick {i}: time {s} s is not a finite time after reference_time")))?;
                t.to_rfc3339_opts(chrono::SecondsFormat::Nanos, true)
            }
        };
        let is_time = matches!(p.phase.to_ascii_uppercase().as_str(), "P" | "S");
        let sigma = if is_time { p.sigma_s.or(Some(default_sigma_s)) } else { p.sigma_s };
        w.write_record([
            e.event_id.clone(),
            p.station.clone(),
            p.phase.clone(),
            time,
            num(sigma),
            num(p.back_azimuth_deg),
            num(p.sigma_back_azimuth_deg),
            num(p.p_flip_back_azimuth),
        ])
        .map_err(value_error)?;
    }
    let bytes = w.into_inner().map_err(|e| value_error(e.to_string()))?;
    // Line n of the table is pick n - 2 (line 1 is the header).
    let mut events = eqnemix::picks::read_picks_from(bytes.as_slice(), Path::new("picks (line = pick index + 2)"), &stations)
        .map_err(value_error)?;
    match events.len() {
        0 => Err(PyValueError::new_err(format!("event {}: no picks", e.event_id))),
        _ => {
            let p = events.swap_remove(0);
            // Each pick is checked once more (finite, sigmas > 0).
            p.validate().map_err(value_error)?;
            Ok((p, stations))
        }
    }
}

/// Everything `eqnemix locate` builds before locating one event.
pub struct Setup {
    cfg: LocateConfig,
    clusters: Vec<ClusterGaussian>,
    probabilities: ClusterProbabilities,
    model: Arc<dyn tt::TravelTimeModel>,
    region: RegionBox,
    projection: Option<LocalProjection>,
    picks: Picks,
}

impl Setup {
    fn batch(&self) -> Batch<'_> {
        Batch {
            config: &self.cfg,
            clusters: &self.clusters,
            probabilities: &self.probabilities,
            model: self.model.as_ref(),
            region: self.region,
            projection: self.projection,
        }
    }
}

/// The arguments shared by `posterior` and `locate` (see the Python
/// package for their documentation).
#[allow(clippy::too_many_arguments)]
fn setup(
    event: &str,
    config_path: Option<PathBuf>,
    config_text: Option<String>,
    settings: Option<&str>,
    clusters_path: Option<PathBuf>,
    clusters: Option<&str>,
    weights: Option<Vec<f64>>,
    origin_lon_lat: Option<(f64, f64)>,
    model: Option<Arc<dyn tt::TravelTimeModel>>,
) -> PyResult<Setup> {
    let (cfg, base_dir) = config(config_path, config_text, settings)?;
    let uniform = cfg.prior.kind == PriorKind::Uniform;
    let (clusters, projection) = match (&clusters_path, clusters) {
        (Some(_), Some(_)) => return Err(PyValueError::new_err("give clusters as a file or as a list, not both")),
        (Some(p), None) => {
            if origin_lon_lat.is_some() {
                return Err(PyValueError::new_err(format!("origin_lon_lat: the frame of {} is its own origin", p.display())));
            }
            let (c, proj) = eqnemix::cli::locate::clusters_and_projection(&cfg, Some(p)).map_err(anyhow_error)?;
            (c, Some(proj))
        }
        (None, list) => {
            let c = match list {
                Some(text) => {
                    let given: Vec<ClusterIn> = serde_json::from_str(text).map_err(|e| value_error(format!("clusters: {e}")))?;
                    given
                        .into_iter()
                        .enumerate()
                        .map(|(id, c)| ClusterGaussian { id, n_events: c.n_events, mean_km: c.mean_km, cov_km2: c.cov_km2 })
                        .collect()
                }
                None => Vec::new(),
            };
            let origin = origin_lon_lat.or(match (cfg.region.origin_lon_deg, cfg.region.origin_lat_deg) {
                (Some(lon), Some(lat)) => Some((lon, lat)),
                _ => None,
            });
            let proj = match origin {
                Some((lon, lat)) => Some(LocalProjection::new(lon, lat).map_err(|e| value_error(format!("origin_lon_lat: {e}")))?),
                None => None,
            };
            (c, proj)
        }
    };
    if !uniform && clusters.is_empty() {
        return Err(PyValueError::new_err(
            "clusters are needed with [prior] kind = \"clusters\" (the default); to locate without a cluster catalog set prior.kind = \"uniform\"",
        ));
    }
    let probabilities = if uniform {
        if weights.is_some() {
            return Err(PyValueError::new_err("weights: the uniform prior ([prior] kind = \"uniform\") has no cluster weights"));
        }
        ClusterProbabilities { path: PathBuf::new(), windows: Vec::new() }
    } else {
        let label = clusters_path.as_deref().unwrap_or(Path::new("clusters"));
        match weights {
            Some(w) => {
                let text = w.iter().map(|v| format!("{v}")).collect::<Vec<_>>().join(",");
                let w = eqnemix::cli::locate::parse_weights(&text, clusters.len(), label).map_err(anyhow_error)?;
                ClusterProbabilities::constant(w, "weights")
            }
            None => ClusterProbabilities::constant(vec![1.0 / clusters.len() as f64; clusters.len()], "equal weights"),
        }
    };
    let region = cfg.region.region_box(&clusters).map_err(|e| value_error(format!("configuration: {e}")))?;
    let model = match model {
        Some(m) => m,
        None => cfg.travel_time.build(&base_dir).map_err(|e| value_error(format!("configuration: {e}")))?,
    };
    let (picks, _) = picks(event, cfg.likelihood.default_pick_sigma_s)?;
    eqnemix::locate::domain_check::check_travel_time_domains(model.as_ref(), picks.stations.iter().map(|s| &s.station), &region)
        .map_err(|e| value_error(format!("configuration: travel_time and region: {e}")))?;
    Ok(Setup { cfg, clusters, probabilities, model, region, projection, picks })
}

/// The posterior of one event over `(east_km, north_km, depth_km)` (and
/// the origin time, s after the event's reference time, where the
/// configuration samples it): log density and gradient, bounds, and
/// `sample`.
#[pyclass(module = "eqnemix", frozen)]
pub struct Posterior {
    pub posterior: LocationPosterior,
}

#[pymethods]
impl Posterior {
    #[new]
    #[pyo3(signature = (event_json, config=None, config_text=None, settings_json=None, clusters_path=None, clusters_json=None, weights=None, origin_lon_lat=None, model=None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        event_json: &str,
        config: Option<PathBuf>,
        config_text: Option<String>,
        settings_json: Option<&str>,
        clusters_path: Option<PathBuf>,
        clusters_json: Option<&str>,
        weights: Option<Vec<f64>>,
        origin_lon_lat: Option<(f64, f64)>,
        model: Option<PyRef<'_, TravelTimeModel>>,
    ) -> PyResult<Self> {
        let model = model.map(|m| m.model.clone());
        let s = setup(event_json, config, config_text, settings_json, clusters_path, clusters_json, weights, origin_lon_lat, model)?;
        let posterior = py.detach(|| s.batch().posterior(&s.picks)).map_err(PyValueError::new_err)?;
        Ok(Posterior { posterior })
    }

    /// Number of coordinates: 3 (east, north, depth km), or 4 with the origin time (s).
    #[getter]
    fn dim(&self) -> usize {
        self.posterior.dim()
    }

    /// The event id.
    #[getter]
    fn event_id(&self) -> String {
        self.posterior.event_id().to_string()
    }

    /// The reference time (UTC, RFC 3339) pick times and the origin time count from.
    #[getter]
    fn reference_time(&self) -> String {
        self.posterior.reference_time().to_rfc3339_opts(chrono::SecondsFormat::Nanos, true)
    }

    /// `(lower, upper)`: the box of the support (km; s).
    fn bounds(&self) -> (Vec<f64>, Vec<f64>) {
        self.posterior.bounds()
    }

    /// Log density (unnormalised) at `x` (shape `(dim,)` -> float, `(N, dim)` -> `(N,)`); -inf outside the support.
    fn log_density(&self, py: Python<'_>, x: PyArrayLikeDyn<'_, f64, AllowTypeChange>) -> PyResult<Py<PyAny>> {
        let d = self.posterior.dim();
        let p = points(&x, d, "x")?;
        let post = &self.posterior;
        let out: Vec<f64> = py.detach(|| p.values.chunks_exact(d).map(|x| post.log_density(x)).collect());
        if p.single {
            return Ok(out[0].into_pyobject(py)?.into_any().unbind());
        }
        Ok(vec1(py, out))
    }

    /// `(log density, gradient)` at `x` (shape `(dim,)` or `(N, dim)`); the gradient has the shape of `x`.
    fn log_density_and_gradient(&self, py: Python<'_>, x: PyArrayLikeDyn<'_, f64, AllowTypeChange>) -> PyResult<(Py<PyAny>, Py<PyAny>)> {
        let d = self.posterior.dim();
        let p = points(&x, d, "x")?;
        let post = &self.posterior;
        let (lp, g) = py.detach(|| {
            let mut lp = Vec::with_capacity(p.n);
            let mut g = vec![0.0; p.values.len()];
            for (x, gi) in p.values.chunks_exact(d).zip(g.chunks_exact_mut(d)) {
                let v = post.log_density_and_gradient(x, gi);
                if !v.is_finite() {
                    gi.fill(f64::NAN);
                }
                lp.push(v);
            }
            (lp, g)
        });
        if p.single {
            return Ok((lp[0].into_pyobject(py)?.into_any().unbind(), vec1(py, g)));
        }
        Ok((vec1(py, lp), vec2(py, g, p.n, d)))
    }

    fn __repr__(&self) -> String {
        format!("Posterior(event_id={:?}, dim={})", self.posterior.event_id(), self.posterior.dim())
    }
}

/// Locate one event as `eqnemix locate` does; returns the JSON of its
/// `<id>.json` and its draws: per chain `(values (n, dim), weights (n,))`.
#[pyfunction]
#[pyo3(signature = (event_json, config=None, config_text=None, settings_json=None, clusters_path=None, clusters_json=None, weights=None, origin_lon_lat=None, model=None))]
#[allow(clippy::too_many_arguments)]
pub fn locate_json(
    py: Python<'_>,
    event_json: &str,
    config: Option<PathBuf>,
    config_text: Option<String>,
    settings_json: Option<&str>,
    clusters_path: Option<PathBuf>,
    clusters_json: Option<&str>,
    weights: Option<Vec<f64>>,
    origin_lon_lat: Option<(f64, f64)>,
    model: Option<PyRef<'_, TravelTimeModel>>,
) -> PyResult<(String, Vec<(Py<PyAny>, Py<PyAny>)>)> {
    let model = model.map(|m| m.model.clone());
    let s = setup(event_json, config, config_text, settings_json, clusters_path, clusters_json, weights, origin_lon_lat, model)?;
    let loc = crate::interrupt::run(py, |c| s.batch().locate_with(&s.picks, Some(c)))?
        .map_err(|f| crate::LocateError::new_err(format!("event {}: {}", f.event_id, f.reason)))?;
    let json = serde_json::to_string(&loc).map_err(value_error)?;
    // The draws move into the NumPy arrays (no copy).
    let chains = loc
        .chains
        .into_iter()
        .map(|c| {
            let n = c.n_draws();
            let w = c.weights.unwrap_or_else(|| vec![1.0 / n as f64; n]);
            (vec2(py, c.values, n, c.dim), vec1(py, w))
        })
        .collect();
    Ok((json, chains))
}
