//! The ConvNetQuake network (Perol et al. 2018) run through ONNX Runtime.
//!
//! Input: batches of 10 s windows of three-component ground motion at
//! 100 Hz, `[batch, 1000, 3]` f32 with components in the order `[E, N, Z]`
//! (channels last, as EQTransformer), each window normalised as the
//! original (see [`normalize_window`]). Output: `[batch, K + 1]` f32 softmax
//! probabilities; class 0 is noise and class `k + 1` is catalog cluster `k`
//! (cluster ids `0..K` as in `catalog_with_cluster_ids.csv`).
//!
//! The network (8 convolutions of 32 channels, kernel 3, stride 2, 'same'
//! output lengths 1000 -> 500 -> ... -> 4, ReLU, then one fully connected
//! layer from 4 x 32 features to K + 1 classes, softmax) is defined and
//! trained in `models/scripts/convnetquake/train.py`, which exports this
//! signature.

use std::path::{Path, PathBuf};

#[cfg(feature = "onnx")]
use ort::session::Session;
#[cfg(feature = "onnx")]
use ort::value::{TensorElementType, TensorRef, ValueType};

use super::error::CnqError;
#[cfg(feature = "onnx")]
use crate::runtime::{self, describe_value_type, is_f32_tensor};

/// Samples in one ConvNetQuake window (10 s at 100 Hz).
pub const WINDOW_SAMPLES: usize = 1000;
/// The sampling rate ConvNetQuake works at, Hz.
pub const SAMPLING_RATE_HZ: f64 = 100.0;
/// Name of the model's input (`[batch, 1000, 3]`, f32).
pub const INPUT_NAME: &str = "input";
/// Name of the model's output (`[batch, K + 1]`, f32 softmax).
pub const OUTPUT_NAME: &str = "probabilities";
/// Class index of noise windows. Cluster `k` is class `k + 1`.
pub const NOISE_CLASS: usize = 0;

/// Demeans each component and divides all three by the largest absolute
/// sample of the window (the original's per-window normalisation; one
/// common scale keeps the amplitude ratios between components, which carry
/// the polarisation). An all-zero window stays zero.
pub fn normalize_window(window: &mut [[f32; 3]]) {
    if window.is_empty() {
        return;
    }
    let n = window.len() as f64;
    for c in 0..3 {
        let mean = window.iter().map(|s| s[c] as f64).sum::<f64>() / n;
        for s in window.iter_mut() {
            s[c] = (s[c] as f64 - mean) as f32;
        }
    }
    let max = window.iter().flat_map(|s| s.iter()).fold(0.0f32, |m, v| m.max(v.abs()));
    if max > 0.0 {
        for s in window.iter_mut() {
            for v in s.iter_mut() {
                *v /= max;
            }
        }
    }
}

#[cfg(feature = "onnx")]
/// A loaded ConvNetQuake model: one ONNX Runtime session, run in batches.
pub struct ConvNetQuake {
    session: Session,
    path: PathBuf,
    n_classes: usize,
    batch_size: usize,
}

#[cfg(feature = "onnx")]
impl std::fmt::Debug for ConvNetQuake {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConvNetQuake")
            .field("path", &self.path)
            .field("n_classes", &self.n_classes)
            .field("batch_size", &self.batch_size)
            .finish_non_exhaustive()
    }
}

#[cfg(feature = "onnx")]
impl ConvNetQuake {
    /// The model trained on the sample region (the five clusters of
    /// `examples/data/catalog/ridgecrest_synthetic.csv` as `eqnemix run`
    /// clusters them, K = 5) and shipped with the crate
    /// (`models/assets/convnetquake.onnx`; see the model card
    /// `models/assets/convnetquake.md`).
    pub fn bundled_model_path() -> PathBuf {
        crate::bundle::network_path("models/assets/convnetquake.onnx")
    }

    /// Loads a ConvNetQuake ONNX model (one thread per core inside each
    /// operator) and checks its signature: one f32 input `[batch, 1000, 3]`
    /// and one f32 output `[batch, C]` with `C >= 2` classes.
    pub fn load(path: impl AsRef<Path>) -> Result<Self, CnqError> {
        Self::load_with_threads(path, 0)
    }

    /// As [`ConvNetQuake::load`], and also requires `n_clusters + 1` output
    /// classes (noise plus the catalog's clusters).
    pub fn load_for_clusters(path: impl AsRef<Path>, n_clusters: usize) -> Result<Self, CnqError> {
        let model = Self::load(path)?;
        if model.n_classes != n_clusters + 1 {
            return Err(CnqError::ModelSignature {
                path: model.path.clone(),
                what: "output width".to_string(),
                expected: format!("{} classes (noise + {n_clusters} clusters)", n_clusters + 1),
                found: format!("{} classes", model.n_classes),
            });
        }
        Ok(model)
    }

    /// As [`ConvNetQuake::load`] with `intra_threads` threads per operator
    /// (`0`: one per core).
    pub fn load_with_threads(path: impl AsRef<Path>, intra_threads: usize) -> Result<Self, CnqError> {
        let path = path.as_ref().to_path_buf();
        let session = runtime::session_from_file(&path, intra_threads)?;
        let n_classes = check_signature(&session, &path)?;
        Ok(Self { session, path, n_classes, batch_size: 64 })
    }

    /// Sets how many windows go through the network at once (default 64, at least 1).
    pub fn with_batch_size(mut self, batch_size: usize) -> Self {
        self.batch_size = batch_size.max(1);
        self
    }

    /// The model file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Number of output classes, `K + 1`.
    pub fn n_classes(&self) -> usize {
        self.n_classes
    }

    /// Number of clusters `K` (classes minus noise).
    pub fn n_clusters(&self) -> usize {
        self.n_classes - 1
    }

    /// Class probabilities `[p_noise, p_cluster0, ..., p_clusterK-1]` of each
    /// window of `[E, N, Z]` samples at 100 Hz, each exactly
    /// [`WINDOW_SAMPLES`] long and un-normalised ([`normalize_window`] is
    /// applied to a copy).
    ///
    /// Errors: a window of the wrong length, a non-finite sample, an ONNX
    /// Runtime failure, or an output that is not a probability (NaN,
    /// infinite, outside [0, 1]).
    pub fn predict(&mut self, windows: &[&[[f32; 3]]]) -> Result<Vec<Vec<f32>>, CnqError> {
        for (index, w) in windows.iter().enumerate() {
            if w.len() != WINDOW_SAMPLES {
                return Err(CnqError::WindowLength { index, len: w.len(), expected: WINDOW_SAMPLES });
            }
            for (sample, s) in w.iter().enumerate() {
                if let Some(c) = s.iter().position(|v| !v.is_finite()) {
                    return Err(CnqError::NonFiniteInput { window: index, sample, component: ['E', 'N', 'Z'][c], value: s[c] });
                }
            }
        }
        let mut out = Vec::with_capacity(windows.len());
        let mut buffer: Vec<f32> = Vec::with_capacity(self.batch_size.min(windows.len()) * WINDOW_SAMPLES * 3);
        for (chunk_no, chunk) in windows.chunks(self.batch_size).enumerate() {
            buffer.clear();
            for w in chunk {
                let mut copy = w.to_vec();
                normalize_window(&mut copy);
                buffer.extend(copy.iter().flat_map(|s| s.iter().copied()));
            }
            self.run_batch(&buffer, chunk.len(), chunk_no * self.batch_size, &mut out)?;
        }
        Ok(out)
    }

    /// Runs one batch, already normalised (`[n][1000][3]` flattened).
    fn run_batch(&mut self, data: &[f32], n: usize, first: usize, out: &mut Vec<Vec<f32>>) -> Result<(), CnqError> {
        let path = self.path.clone();
        let inference_err = |message: String| CnqError::Inference { path: path.clone(), batch: n, message };
        let input = TensorRef::from_array_view(([n, WINDOW_SAMPLES, 3], data)).map_err(|e| inference_err(e.to_string()))?;
        let outputs = self.session.run(ort::inputs![INPUT_NAME => input]).map_err(|e| inference_err(e.to_string()))?;
        let value = outputs.get(OUTPUT_NAME).ok_or_else(|| inference_err(format!("no output named {OUTPUT_NAME}")))?;
        let (shape, values) = value.try_extract_tensor::<f32>().map_err(|e| inference_err(e.to_string()))?;
        let c = self.n_classes;
        if shape.iter().copied().collect::<Vec<i64>>() != [n as i64, c as i64] || values.len() != n * c {
            return Err(inference_err(format!("output shape {:?}, expected [{n}, {c}]", shape.iter().collect::<Vec<_>>())));
        }
        if let Some(i) = values.iter().position(|v| !(0.0..=1.0).contains(v)) {
            return Err(CnqError::InvalidOutput { path: self.path.clone(), window: first + i / c, class: i % c, value: values[i] });
        }
        out.extend(values.chunks(c).map(|p| p.to_vec()));
        Ok(())
    }
}

#[cfg(feature = "onnx")]
/// Checks one input `[batch, 1000, 3]` and one output `[batch, C]` (f32);
/// returns `C`.
fn check_signature(session: &Session, path: &Path) -> Result<usize, CnqError> {
    let err = |what: &str, expected: String, found: String| CnqError::ModelSignature {
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
    if !is_f32_tensor(inputs[0].dtype(), &[None, Some(WINDOW_SAMPLES as i64), Some(3)]) {
        return Err(err("input shape", "Float32 tensor [batch, 1000, 3]".to_string(), describe_value_type(inputs[0].dtype())));
    }
    let outputs = session.outputs();
    let names: Vec<&str> = outputs.iter().map(|o| o.name()).collect();
    if names != [OUTPUT_NAME] {
        return Err(err("outputs", format!("[{OUTPUT_NAME:?}]"), format!("{names:?}")));
    }
    let classes = match outputs[0].dtype() {
        ValueType::Tensor { ty, shape, .. } if *ty == TensorElementType::Float32 && shape.len() == 2 && shape[1] >= 2 => shape[1] as usize,
        _ => 0,
    };
    if classes < 2 {
        return Err(err(
            "output shape",
            "Float32 tensor [batch, K + 1] with K >= 1 (noise + K clusters)".to_string(),
            describe_value_type(outputs[0].dtype()),
        ));
    }
    Ok(classes)
}
