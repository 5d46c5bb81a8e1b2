//! Samplers by name, with their settings, on the posterior or on a Python
//! callable: draws `(chain, draw, dim)` and per-draw statistics.

use crate::arrays::{points, vec3};
use crate::density::PyDensity;
use crate::locate::{value_error, Posterior};
use eqnemix::samplers::any::SamplerConfig;
use eqnemix::samplers::{run_chains_observed, Draws, GradLogDensity, LogDensity};
use numpy::ndarray::Array2;
use numpy::{AllowTypeChange, IntoPyArray, PyArrayLikeDyn};
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use rand::SeedableRng;
use std::sync::Mutex;

/// The sampler named `kind` with `settings` (a JSON object of its keys),
/// read as the `[sampler]` table of a configuration file and checked the
/// same way (unknown keys and invalid values are errors naming the key).
fn sampler_config(kind: &str, settings: Option<&str>) -> PyResult<SamplerConfig> {
    let mut table = match settings {
        Some(s) => {
            let json: serde_json::Value = serde_json::from_str(s).map_err(|e| value_error(format!("settings: {e}")))?;
            match toml::Value::try_from(&json) {
                Ok(toml::Value::Table(t)) => t,
                Ok(_) => return Err(PyValueError::new_err("settings must be a mapping")),
                Err(e) => return Err(value_error(format!("settings: {e} (None is not a setting)"))),
            }
        }
        None => toml::Table::new(),
    };
    if table.contains_key("kind") {
        return Err(PyValueError::new_err("give the sampler's kind as `sampler`, not as a setting"));
    }
    table.insert("kind".into(), toml::Value::String(kind.to_string()));
    let mut doc = toml::Table::new();
    doc.insert("sampler".into(), toml::Value::Table(table));
    let text = toml::to_string(&doc).map_err(value_error)?;
    let cfg = eqnemix::config::LocateConfig::from_toml_str(&text, format!("sampler {kind:?} settings")).map_err(value_error)?;
    Ok(cfg.sampler)
}

/// The sampler kinds (`kind` values) and one line on each.
#[pyfunction]
pub fn sampler_kinds() -> Vec<(String, String)> {
    eqnemix::config::samplers::sampler_kinds().into_iter().map(|k| (k.config.kind().to_string(), k.about.to_string())).collect()
}

/// Initial points: `(n_chains, dim)` or `(dim,)` (every chain).
fn inits(array: Option<PyArrayLikeDyn<'_, f64, AllowTypeChange>>, n_chains: usize, dim: usize) -> PyResult<Option<Vec<Vec<f64>>>> {
    let Some(a) = array else { return Ok(None) };
    let p = points(&a, dim, "inits")?;
    let rows: Vec<Vec<f64>> = p.values.chunks_exact(dim).map(|r| r.to_vec()).collect();
    if p.single {
        return Ok(Some(vec![rows[0].clone(); n_chains]));
    }
    if rows.len() != n_chains {
        return Err(PyValueError::new_err(format!("inits has {} rows for n_chains = {n_chains}", rows.len())));
    }
    Ok(Some(rows))
}

/// Run the chains, each watching `cancel` (set on Ctrl-C, see
/// [`crate::interrupt`]).
fn run(sampler: &SamplerConfig, density: &dyn GradLogDensity, inits: &[Vec<f64>], seed: u64, cancel: &eqnemix::cancel::Cancellation) -> Result<Vec<Draws>, String> {
    for x in inits {
        eqnemix::samplers::check_init(density, x).map_err(|e| e.to_string())?;
    }
    let s = sampler.build();
    // A population sampler runs once (from the first point).
    let inits = if sampler.is_population() { &inits[..1] } else { inits };
    run_chains_observed(s.as_ref(), density, inits, seed, |_| cancel.clone()).map_err(|e| e.to_string())
}

/// The result dictionary: draws `(chain, draw, dim)` (chains of unequal
/// length padded with NaN), stats `(chain, draw)`, weights, log evidence,
/// Pareto k.
fn result<'py>(py: Python<'py>, kind: &str, chains: &[Draws], dim: usize) -> PyResult<Bound<'py, PyDict>> {
    let c = chains.len();
    let n = chains.iter().map(|d| d.n_draws()).max().unwrap_or(0);
    let mut values = vec![f64::NAN; c * n * dim];
    for (i, d) in chains.iter().enumerate() {
        values[i * n * dim..i * n * dim + d.values.len()].copy_from_slice(&d.values);
    }
    let out = PyDict::new(py);
    out.set_item("sampler", kind)?;
    out.set_item("draws", vec3(py, values, (c, n, dim)))?;
    let stat = |f: &dyn Fn(&eqnemix::samplers::DrawStats) -> f64| {
        let mut a = Array2::from_elem((c, n), f64::NAN);
        for (i, d) in chains.iter().enumerate() {
            for (j, s) in d.stats.iter().enumerate() {
                a[[i, j]] = f(s);
            }
        }
        a.into_pyarray(py)
    };
    let stats = PyDict::new(py);
    stats.set_item("log_density", stat(&|s| s.log_density))?;
    stats.set_item("accept_prob", stat(&|s| s.accept_prob.unwrap_or(f64::NAN)))?;
    stats.set_item("step_size", stat(&|s| s.step_size.unwrap_or(f64::NAN)))?;
    stats.set_item("tree_depth", stat(&|s| s.tree_depth.map_or(f64::NAN, f64::from)))?;
    stats.set_item("n_grad_evals", stat(&|s| s.n_grad_evals.map_or(f64::NAN, f64::from)))?;
    stats.set_item("energy", stat(&|s| s.energy.unwrap_or(f64::NAN)))?;
    let mut div = Array2::from_elem((c, n), false);
    for (i, d) in chains.iter().enumerate() {
        for (j, s) in d.stats.iter().enumerate() {
            div[[i, j]] = s.divergent;
        }
    }
    stats.set_item("divergent", div.into_pyarray(py))?;
    out.set_item("stats", stats)?;
    if chains.iter().any(|d| d.weights.is_some()) {
        let mut w = Array2::from_elem((c, n), f64::NAN);
        for (i, d) in chains.iter().enumerate() {
            let k = d.n_draws();
            let wi = d.weights.clone().unwrap_or_else(|| vec![1.0 / k as f64; k]);
            for (j, v) in wi.into_iter().enumerate() {
                w[[i, j]] = v;
            }
        }
        out.set_item("weights", w.into_pyarray(py))?;
    } else {
        out.set_item("weights", py.None())?;
    }
    out.set_item("log_evidence", chains.iter().map(|d| d.log_evidence).collect::<Vec<_>>())?;
    out.set_item("pareto_k", chains.iter().map(|d| d.pareto_k).collect::<Vec<_>>())?;
    Ok(out)
}

/// Sample the posterior with the sampler `kind` and its `settings`; the
/// chains start at `inits` or at points drawn as `eqnemix locate` draws them
/// ([`eqnemix::posterior::LocationPosterior::initial_points`], seeded).
#[pyfunction]
#[pyo3(signature = (posterior, kind, settings_json=None, n_chains=4, seed=0, inits=None))]
pub fn sample_posterior<'py>(
    py: Python<'py>,
    posterior: PyRef<'py, Posterior>,
    kind: &str,
    settings_json: Option<&str>,
    n_chains: usize,
    seed: u64,
    inits: Option<PyArrayLikeDyn<'py, f64, AllowTypeChange>>,
) -> PyResult<Bound<'py, PyDict>> {
    if n_chains == 0 {
        return Err(PyValueError::new_err("n_chains must be > 0"));
    }
    let mut sampler = sampler_config(kind, settings_json)?;
    let post = &posterior.posterior;
    let dim = post.dim();
    // The oct-tree partitions a box: the posterior's, unless given (as
    // `eqnemix locate` does).
    if let SamplerConfig::Octree(c) = &mut sampler {
        if c.lower.is_empty() && c.upper.is_empty() {
            let (lo, hi) = post.bounds();
            c.lower = lo;
            c.upper = hi;
        }
    }
    let inits = match self::inits(inits, n_chains, dim)? {
        Some(i) => i,
        None => {
            let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(eqnemix::samplers::chain_seed(seed, usize::MAX));
            post.initial_points(n_chains, &mut rng)
        }
    };
    let chains = crate::interrupt::run(py, |c| run(&sampler, post, &inits, seed, c))?.map_err(PyRuntimeError::new_err)?;
    result(py, sampler.kind(), &chains, dim)
}

/// Sample a Python log density `f` of dimension `dim` (see [`PyDensity`]).
#[pyfunction]
#[pyo3(signature = (f, dim, kind, inits, settings_json=None, seed=0, gradient=true))]
pub fn sample_callable<'py>(
    py: Python<'py>,
    f: Py<PyAny>,
    dim: usize,
    kind: &str,
    inits: PyArrayLikeDyn<'py, f64, AllowTypeChange>,
    settings_json: Option<&str>,
    seed: u64,
    gradient: bool,
) -> PyResult<Bound<'py, PyDict>> {
    if dim == 0 {
        return Err(PyValueError::new_err("dim must be > 0"));
    }
    if !f.bind(py).is_callable() {
        return Err(PyValueError::new_err("the log density must be callable"));
    }
    let sampler = sampler_config(kind, settings_json)?;
    if !gradient && matches!(sampler, SamplerConfig::Nuts(_) | SamplerConfig::Hmc(_) | SamplerConfig::Advi(_)) {
        return Err(PyValueError::new_err(format!(
            "sampler {kind:?} needs the gradient: pass a callable returning (logp, grad) with gradient=True"
        )));
    }
    let p = points(&inits, dim, "inits")?;
    let inits: Vec<Vec<f64>> = p.values.chunks_exact(dim).map(|r| r.to_vec()).collect();
    if inits.is_empty() {
        return Err(PyValueError::new_err("inits: at least one initial point is needed"));
    }
    let density = PyDensity { f, dim, gradient, error: Mutex::new(None) };
    let out = crate::interrupt::run(py, |c| run(&sampler, &density, &inits, seed, c))?;
    if let Some(e) = density.take_error() {
        return Err(e);
    }
    let chains = out.map_err(PyRuntimeError::new_err)?;
    result(py, sampler.kind(), &chains, dim)
}

/// Convergence numbers of draws `(chain, draw, dim)`, per coordinate:
/// rank-normalised split R-hat and bulk / tail ESS (Vehtari et al. 2021),
/// the functions `eqnemix locate` reports in its diagnostics. Each
/// coordinate's chains are gathered once from the array (they are strided
/// in a `(chain, draw, dim)` array), then the GIL is released.
#[pyfunction]
pub fn convergence<'py>(py: Python<'py>, draws: numpy::PyReadonlyArray3<'py, f64>) -> PyResult<Bound<'py, PyDict>> {
    use eqnemix::samplers::diagnostics::{ess_bulk, ess_tail, rhat};
    let a = draws.as_array();
    let (c, n, dim) = a.dim();
    if c == 0 || n == 0 || dim == 0 {
        return Err(PyValueError::new_err(format!("draws must have shape (chain, draw, dim) with none empty; got ({c}, {n}, {dim})")));
    }
    // Each coordinate's chains gathered (strided in the array), then the
    // numbers computed without the GIL.
    let per_dim: Vec<Vec<Vec<f64>>> =
        (0..dim).map(|k| (0..c).map(|i| a.slice(numpy::ndarray::s![i, .., k]).to_vec()).collect()).collect();
    let (r, bulk, tail) = py.detach(|| {
        let (mut r, mut bulk, mut tail) = (Vec::with_capacity(dim), Vec::with_capacity(dim), Vec::with_capacity(dim));
        for chains in &per_dim {
            let s: Vec<&[f64]> = chains.iter().map(|v| v.as_slice()).collect();
            r.push(rhat(&s));
            bulk.push(ess_bulk(&s));
            tail.push(ess_tail(&s));
        }
        (r, bulk, tail)
    });
    let out = PyDict::new(py);
    out.set_item("rhat", crate::arrays::vec1(py, r))?;
    out.set_item("ess_bulk", crate::arrays::vec1(py, bulk))?;
    out.set_item("ess_tail", crate::arrays::vec1(py, tail))?;
    Ok(out)
}
