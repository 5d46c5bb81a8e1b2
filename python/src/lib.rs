//! Python bindings of eqnemix (module `eqnemix._eqnemix`; the package
//! `eqnemix` in `python/eqnemix/` re-exports it with documentation and
//! type stubs).
//!
//! Everything here calls the library: travel-time models of
//! `eqnemix-traveltime`, the location posterior and `locate` built the way
//! `eqnemix locate` builds them ([`eqnemix::locate::Batch`]), and the
//! samplers of `eqnemix-samplers` configured through the same `[sampler]`
//! table as a configuration file. Inputs are validated before anything
//! runs; errors become Python exceptions carrying the library's messages
//! (`ValueError` for bad input, `eqnemix.LocateError` when an event cannot
//! be located, `RuntimeError` when a sampler fails).
//!
//! EQTransformer picking and ConvNetQuake classification on waveforms
//! ([`networks`]) need the cargo feature `networks` (default) and ONNX
//! Runtime at run time (the `onnxruntime` package from PyPI).
//!
//! Units: km (east, north, depth positive down), s, km/s.

use pyo3::prelude::*;

mod arrays;
mod density;
mod geo;
mod interrupt;
mod locate;
mod networks;
mod sample;
mod synthetic;
mod traveltime;

pyo3::create_exception!(
    _eqnemix,
    LocateError,
    pyo3::exceptions::PyRuntimeError,
    "An event could not be located (no support in the region, impossible S-P, sampler failure); the message says why."
);

#[pymodule]
fn _eqnemix(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<traveltime::TravelTimeModel>()?;
    m.add_class::<traveltime::TravelTimeField>()?;
    m.add_class::<locate::Posterior>()?;
    m.add_function(wrap_pyfunction!(locate::locate_json, m)?)?;
    m.add_function(wrap_pyfunction!(sample::sample_posterior, m)?)?;
    m.add_function(wrap_pyfunction!(sample::sample_callable, m)?)?;
    m.add_function(wrap_pyfunction!(sample::sampler_kinds, m)?)?;
    m.add_function(wrap_pyfunction!(sample::convergence, m)?)?;
    m.add_function(wrap_pyfunction!(geo::local_km, m)?)?;
    m.add_class::<synthetic::SyntheticRegion>()?;
    m.add_function(wrap_pyfunction!(synthetic::study_locate, m)?)?;
    m.add_class::<networks::Waveforms>()?;
    m.add_function(wrap_pyfunction!(networks::pick_waveforms, m)?)?;
    m.add_function(wrap_pyfunction!(networks::classify_waveforms, m)?)?;
    m.add_function(wrap_pyfunction!(networks::prediction_columns, m)?)?;
    m.add_function(wrap_pyfunction!(networks::networks_built, m)?)?;
    m.add("LocateError", m.py().get_type::<LocateError>())?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
