//! NumPy arrays in and out: shapes checked, errors as `ValueError`.

use numpy::ndarray::{Array1, Array2, Array3};
use numpy::{AllowTypeChange, IntoPyArray, PyArrayLikeDyn, PyUntypedArrayMethods};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use std::borrow::Cow;

/// Points given as `(dim,)` (one point) or `(N, dim)`.
pub struct Points<'a> {
    /// Row-major values, `n * dim`: the NumPy array's own memory when it
    /// is a C-contiguous float64 array (no copy), else a converted copy.
    pub values: Cow<'a, [f64]>,
    /// Number of points.
    pub n: usize,
    /// The input was one point of shape `(dim,)`.
    pub single: bool,
}

/// Read `array` as points of dimension `dim`; `what` names it in errors.
/// A C-contiguous float64 array is read in place; anything else (another
/// dtype, a list, a strided or Fortran-ordered view) was converted by
/// `PyArrayLike` or is gathered here into one row-major copy.
pub fn points<'a>(array: &'a PyArrayLikeDyn<'_, f64, AllowTypeChange>, dim: usize, what: &str) -> PyResult<Points<'a>> {
    let shape = array.shape().to_vec();
    let (n, single) = match shape.as_slice() {
        [d] if *d == dim => (1, true),
        [n, d] if *d == dim => (*n, false),
        _ => {
            return Err(PyValueError::new_err(format!(
                "{what} must have shape ({dim},) or (N, {dim}); got shape {}",
                shape_text(&shape)
            )))
        }
    };
    let view = array.as_array();
    let values = match view.to_slice() {
        Some(s) => Cow::Borrowed(s),
        None => Cow::Owned(view.iter().copied().collect()),
    };
    Ok(Points { values, n, single })
}

fn shape_text(shape: &[usize]) -> String {
    match shape {
        [d] => format!("({d},)"),
        _ => format!("({})", shape.iter().map(|d| d.to_string()).collect::<Vec<_>>().join(", ")),
    }
}

/// A 1-D array.
pub fn vec1(py: Python<'_>, v: Vec<f64>) -> Py<PyAny> {
    Array1::from_vec(v).into_pyarray(py).into_any().unbind()
}

/// A 2-D array `(rows, cols)` from row-major `v` (`rows * cols` values).
pub fn vec2(py: Python<'_>, v: Vec<f64>, rows: usize, cols: usize) -> Py<PyAny> {
    Array2::from_shape_vec((rows, cols), v).expect("row-major length").into_pyarray(py).into_any().unbind()
}

/// A 3-D array `(a, b, c)` from row-major `v`.
pub fn vec3(py: Python<'_>, v: Vec<f64>, shape: (usize, usize, usize)) -> Py<PyAny> {
    Array3::from_shape_vec(shape, v).expect("row-major length").into_pyarray(py).into_any().unbind()
}
