//! A Python callable as a log density for the samplers.

use eqnemix::samplers::{GradLogDensity, LogDensity};
use numpy::{PyArray1, PyUntypedArrayMethods};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use std::sync::Mutex;

/// `f(x) -> logp` or, with `gradient`, `f(x) -> (logp, grad)`, `x` a
/// float64 array of shape `(dim,)`. The first exception the callable
/// raises (or a wrong return value) is kept and raised when the sampler
/// returns; from then on every call answers -inf, so the run ends soon.
/// NaN answers -inf (outside the support), as the density seam requires.
pub struct PyDensity {
    pub f: Py<PyAny>,
    pub dim: usize,
    pub gradient: bool,
    pub error: Mutex<Option<PyErr>>,
}

impl PyDensity {
    fn failed(&self) -> bool {
        self.error.lock().map(|e| e.is_some()).unwrap_or(true)
    }

    fn fail(&self, e: PyErr) -> f64 {
        if let Ok(mut slot) = self.error.lock() {
            if slot.is_none() {
                *slot = Some(e);
            }
        }
        f64::NEG_INFINITY
    }

    fn call(&self, x: &[f64], grad: Option<&mut [f64]>) -> f64 {
        if self.failed() {
            return f64::NEG_INFINITY;
        }
        Python::attach(|py| {
            let arr = PyArray1::from_slice(py, x);
            let r = match self.f.call1(py, (arr,)) {
                Ok(r) => r,
                Err(e) => return self.fail(e),
            };
            let r = r.bind(py);
            let lp = if self.gradient {
                let (lp, g): (f64, Bound<'_, PyAny>) = match r.extract() {
                    Ok(v) => v,
                    Err(_) => {
                        return self.fail(PyValueError::new_err(
                            "the log-density callable (gradient=True) must return (logp: float, grad: array of shape (dim,))",
                        ))
                    }
                };
                if let Some(grad) = grad {
                    // A float64 array without copying; anything else (a list,
                    // an int array) through the sequence protocol.
                    let ok = if let Ok(a) = g.extract::<numpy::PyReadonlyArray1<'_, f64>>() {
                        if a.len() == self.dim {
                            for (o, v) in grad.iter_mut().zip(a.as_array().iter()) {
                                *o = *v;
                            }
                        }
                        a.len()
                    } else {
                        match g.extract::<Vec<f64>>() {
                            Ok(v) => {
                                if v.len() == self.dim {
                                    grad.copy_from_slice(&v);
                                }
                                v.len()
                            }
                            Err(_) => return self.fail(PyValueError::new_err("the gradient must be a 1-D array of floats")),
                        }
                    };
                    if ok != self.dim {
                        return self.fail(PyValueError::new_err(format!(
                            "the gradient has {ok} entries; the density has dim = {}",
                            self.dim
                        )));
                    }
                }
                lp
            } else {
                if grad.is_some() {
                    return self.fail(PyValueError::new_err(
                        "this sampler needs the gradient: pass a callable returning (logp, grad) with gradient=True",
                    ));
                }
                match r.extract::<f64>() {
                    Ok(v) => v,
                    Err(_) => return self.fail(PyValueError::new_err("the log-density callable must return a float")),
                }
            };
            if lp.is_nan() {
                f64::NEG_INFINITY
            } else {
                lp
            }
        })
    }

    /// The kept exception, if any.
    pub fn take_error(&self) -> Option<PyErr> {
        self.error.lock().ok().and_then(|mut e| e.take())
    }
}

impl LogDensity for PyDensity {
    fn dim(&self) -> usize {
        self.dim
    }
    fn log_density(&self, x: &[f64]) -> f64 {
        self.call(x, None)
    }
}

impl GradLogDensity for PyDensity {
    fn log_density_and_gradient(&self, x: &[f64], grad: &mut [f64]) -> f64 {
        self.call(x, Some(grad))
    }
}
