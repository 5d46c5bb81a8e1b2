//! The EQTransformer network (Mousavi et al. 2020) run through ONNX Runtime.
//!
//! Input: batches of 60 s windows of three-component ground motion sampled at
//! 100 Hz, `[6000][E, N, Z]`, normalised per window (see [`Normalization`]).
//! Output per window: three probability traces of 6000 samples each, the
//! probability that an earthquake signal is present (`detector`) and that a
//! P or S wave arrives at that sample (`picker_P`, `picker_S`).

use std::path::{Path, PathBuf};

use ort::session::Session;
use ort::value::{TensorElementType, TensorRef, ValueType};

use super::error::EqtError;
use super::normalize::{normalize_window, Normalization};
use crate::runtime;

/// Samples in one EQTransformer window (60 s at 100 Hz).
pub const WINDOW_SAMPLES: usize = 6000;
/// The sampling rate EQTransformer was trained on, Hz.
pub const SAMPLING_RATE_HZ: f64 = 100.0;
/// Name of the model's input (`[batch, 6000, 3]`, f32).
pub const INPUT_NAME: &str = "input";
/// Names of the model's outputs (`[batch, 6000, 1]`, f32 each): detection, P, S.
pub const OUTPUT_NAMES: [&str; 3] = ["detector", "picker_P", "picker_S"];

/// Probability traces for one 60 s window, one value per sample (0.01 s).
#[derive(Debug, Clone, PartialEq)]
pub struct WindowPrediction {
    /// Probability that an earthquake signal is present.
    pub detection: Vec<f32>,
    /// Probability of a P arrival at the sample.
    pub p: Vec<f32>,
    /// Probability of an S arrival at the sample.
    pub s: Vec<f32>,
}

/// A loaded EQTransformer model: one ONNX Runtime session, run in batches.
pub struct EqTransformer {
    session: Session,
    path: PathBuf,
    normalization: Normalization,
    batch_size: usize,
}

impl std::fmt::Debug for EqTransformer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EqTransformer")
            .field("path", &self.path)
            .field("normalization", &self.normalization)
            .field("batch_size", &self.batch_size)
            .finish_non_exhaustive()
    }
}

impl EqTransformer {
    /// The deterministic EQTransformer shipped with the crate
    /// (`models/assets/eqtransformer.onnx`, converted from the original
    /// Keras weights; MIT, Mousavi et al. 2020).
    pub fn bundled_model_path() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("assets").join("eqtransformer.onnx")
    }

    /// Loads an EQTransformer ONNX model, using all cores inside each operator.
    /// Checks the model's input and output names, element types and shapes.
    pub fn load(path: impl AsRef<Path>) -> Result<Self, EqtError> {
        Self::load_with_threads(path, 0)
    }

    /// As [`EqTransformer::load`], with `intra_threads` threads per operator
    /// (`0`: one per core).
    pub fn load_with_threads(path: impl AsRef<Path>, intra_threads: usize) -> Result<Self, EqtError> {
        let path = path.as_ref().to_path_buf();
        let session = runtime::session_from_file(&path, intra_threads)?;
        check_signature(&session, &path)?;
        Ok(Self {
            session,
            path,
            normalization: Normalization::Std,
            batch_size: 32,
        })
    }

    /// Sets the per-window normalisation (default [`Normalization::Std`]).
    pub fn with_normalization(mut self, normalization: Normalization) -> Self {
        self.normalization = normalization;
        self
    }

    /// Sets how many windows go through the network at once (default 32,
    /// at least 1).
    pub fn with_batch_size(mut self, batch_size: usize) -> Self {
        self.batch_size = batch_size.max(1);
        self
    }

    /// The model file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The normalisation applied by [`EqTransformer::predict`].
    pub fn normalization(&self) -> Normalization {
        self.normalization
    }

    /// Runs the network on windows of `[E, N, Z]` samples at 100 Hz, each
    /// exactly [`WINDOW_SAMPLES`] long, un-normalised (the model's
    /// [`Normalization`] is applied to a copy). Returns one
    /// [`WindowPrediction`] per window, in order.
    ///
    /// Errors: a window of the wrong length, a non-finite sample, an ONNX
    /// Runtime failure, or an output that is not a probability (NaN,
    /// infinite, or outside [0, 1]).
    pub fn predict(&mut self, windows: &[&[[f32; 3]]]) -> Result<Vec<WindowPrediction>, EqtError> {
        for (index, w) in windows.iter().enumerate() {
            if w.len() != WINDOW_SAMPLES {
                return Err(EqtError::WindowLength {
                    index,
                    len: w.len(),
                    expected: WINDOW_SAMPLES,
                });
            }
            check_finite(w, || format!("window {index}"))?;
        }
        let mut out = Vec::with_capacity(windows.len());
        let mut buffer: Vec<f32> = Vec::with_capacity(self.batch_size * WINDOW_SAMPLES * 3);
        for (chunk_no, chunk) in windows.chunks(self.batch_size).enumerate() {
            buffer.clear();
            for w in chunk {
                let mut copy = w.to_vec();
                normalize_window(&mut copy, self.normalization);
                buffer.extend(copy.iter().flat_map(|s| s.iter().copied()));
            }
            let first = chunk_no * self.batch_size;
            self.run_batch(&buffer, chunk.len(), first, &mut out)?;
        }
        Ok(out)
    }

    /// Runs one batch (already normalised, `[n][6000][3]` flattened).
    fn run_batch(&mut self, data: &[f32], n: usize, first_index: usize, out: &mut Vec<WindowPrediction>) -> Result<(), EqtError> {
        let inference_err = |message: String| EqtError::Inference {
            path: self.path.clone(),
            batch: n,
            message,
        };
        let input = TensorRef::from_array_view(([n, WINDOW_SAMPLES, 3], data)).map_err(|e| inference_err(e.to_string()))?;
        let outputs = self
            .session
            .run(ort::inputs![INPUT_NAME => input])
            .map_err(|e| inference_err(e.to_string()))?;
        let mut traces: [Vec<f32>; 3] = Default::default();
        for (k, name) in OUTPUT_NAMES.iter().enumerate() {
            let value = outputs
                .get(name)
                .ok_or_else(|| inference_err(format!("no output named {name}")))?;
            let (shape, values) = value.try_extract_tensor::<f32>().map_err(|e| inference_err(e.to_string()))?;
            let expected = vec![n as i64, WINDOW_SAMPLES as i64, 1];
            if shape.iter().copied().collect::<Vec<i64>>() != expected || values.len() != n * WINDOW_SAMPLES {
                return Err(EqtError::OutputShape {
                    path: self.path.clone(),
                    output: name.to_string(),
                    found: shape.iter().copied().collect(),
                    expected,
                });
            }
            if let Some(i) = values.iter().position(|v| !(0.0..=1.0).contains(v)) {
                return Err(EqtError::InvalidOutput {
                    path: self.path.clone(),
                    output: name.to_string(),
                    window: first_index + i / WINDOW_SAMPLES,
                    sample: i % WINDOW_SAMPLES,
                    value: values[i],
                });
            }
            traces[k] = values.to_vec();
        }
        let [d, p, s] = traces;
        for w in 0..n {
            let r = w * WINDOW_SAMPLES..(w + 1) * WINDOW_SAMPLES;
            out.push(WindowPrediction {
                detection: d[r.clone()].to_vec(),
                p: p[r.clone()].to_vec(),
                s: s[r].to_vec(),
            });
        }
        Ok(())
    }
}

/// Fails on the first NaN or infinite sample.
pub(crate) fn check_finite(data: &[[f32; 3]], context: impl Fn() -> String) -> Result<(), EqtError> {
    for (sample, s) in data.iter().enumerate() {
        for (c, v) in s.iter().enumerate() {
            if !v.is_finite() {
                return Err(EqtError::NonFiniteInput {
                    context: context(),
                    sample,
                    component: ['E', 'N', 'Z'][c],
                    value: *v,
                });
            }
        }
    }
    Ok(())
}

/// Describes an ONNX value type for error messages.
fn describe(t: &ValueType) -> String {
    match t {
        ValueType::Tensor { ty, shape, .. } => format!("{ty:?} tensor {:?}", shape.iter().collect::<Vec<_>>()),
        other => format!("{other:?}"),
    }
}

/// True when `t` is an f32 tensor whose dimensions match `dims` (`None`:
/// any size, e.g. the batch).
fn matches(t: &ValueType, dims: &[Option<i64>]) -> bool {
    match t {
        ValueType::Tensor { ty, shape, .. } => {
            *ty == TensorElementType::Float32
                && shape.len() == dims.len()
                && shape.iter().zip(dims).all(|(have, want)| want.is_none_or(|w| *have == w || *have < 0))
        }
        _ => false,
    }
}

/// Checks the session's inputs and outputs against EQTransformer's.
fn check_signature(session: &Session, path: &Path) -> Result<(), EqtError> {
    let err = |what: &str, expected: String, found: String| EqtError::ModelSignature {
        path: path.to_path_buf(),
        what: what.to_string(),
        expected,
        found,
    };
    let inputs = session.inputs();
    let names: Vec<&str> = inputs.iter().map(|o| o.name()).collect();
    if names != [INPUT_NAME] {
        return Err(err("inputs", format!("[{INPUT_NAME:?}]"), format!("{names:?}")));
    }
    let want_in = [None, Some(WINDOW_SAMPLES as i64), Some(3)];
    if !matches(inputs[0].dtype(), &want_in) {
        return Err(err(
            "input shape",
            "Float32 tensor [batch, 6000, 3]".to_string(),
            describe(inputs[0].dtype()),
        ));
    }
    let outputs = session.outputs();
    for name in OUTPUT_NAMES {
        let Some(o) = outputs.iter().find(|o| o.name() == name) else {
            let found: Vec<&str> = outputs.iter().map(|o| o.name()).collect();
            return Err(err("outputs", format!("{OUTPUT_NAMES:?}"), format!("{found:?}")));
        };
        let want_out = [None, Some(WINDOW_SAMPLES as i64), Some(1)];
        if !matches(o.dtype(), &want_out) {
            return Err(err(
                &format!("output {name} shape"),
                "Float32 tensor [batch, 6000, 1]".to_string(),
                describe(o.dtype()),
            ));
        }
    }
    Ok(())
}
