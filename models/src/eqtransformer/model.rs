//! The EQTransformer network (Mousavi et al. 2020) run through ONNX Runtime.
//!
//! Input: batches of 60 s windows of three-component ground motion sampled at
//! 100 Hz, `[6000][E, N, Z]`, normalised per window (see [`Normalization`]).
//! Output per window: three probability traces of 6000 samples each, the
//! probability that an earthquake signal is present (`detector`) and that a
//! P or S wave arrives at that sample (`picker_P`, `picker_S`).

use std::path::{Path, PathBuf};

#[cfg(feature = "onnx")]
use ort::session::{Session, SessionInputValue};
#[cfg(feature = "onnx")]
use ort::value::{TensorElementType, TensorRef, ValueType};

use super::error::EqtError;
use super::normalize::{normalize_window, Normalization};
#[cfg(feature = "onnx")]
use crate::runtime::{self, describe_value_type, is_f32_tensor};

/// Samples in one EQTransformer window (60 s at 100 Hz).
pub const WINDOW_SAMPLES: usize = 6000;
/// The sampling rate EQTransformer was trained on, Hz.
pub const SAMPLING_RATE_HZ: f64 = 100.0;
/// Name of the model's input (`[batch, 6000, 3]`, f32).
pub const INPUT_NAME: &str = "input";
/// Names of the model's outputs (`[batch, 6000, 1]`, f32 each): detection, P, S.
pub const OUTPUT_NAMES: [&str; 3] = ["detector", "picker_P", "picker_S"];
/// Name prefix of the Monte-Carlo-dropout model's mask inputs
/// (`dropout_mask_0`, `dropout_mask_1`, ...).
pub const DROPOUT_MASK_PREFIX: &str = "dropout_mask_";
/// Metadata key prefix of their dropout rates (`dropout_rate_0`, ...).
pub const DROPOUT_RATE_PREFIX: &str = "dropout_rate_";

/// One SpatialDropout1D layer of the Monte-Carlo-dropout model, fed as an
/// input: a mask of `channels` values per window, each 0 (channel dropped,
/// probability `rate`) or `1 / (1 - rate)` (kept), the same for every time
/// step of the layer (spatial dropout, as Keras' SpatialDropout1D).
#[derive(Debug, Clone, PartialEq)]
pub struct DropoutMask {
    /// The model input's name.
    pub name: String,
    /// The input's shape after the batch dimension (`[1, C]` or `[C, 1]`).
    pub dims: [usize; 2],
    /// Probability of dropping a channel.
    pub rate: f32,
}

impl DropoutMask {
    /// Channels of the layer (values per window).
    pub fn channels(&self) -> usize {
        self.dims[0] * self.dims[1]
    }
}

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

#[cfg(feature = "onnx")]
/// A loaded EQTransformer model: one ONNX Runtime session, run in batches.
pub struct EqTransformer {
    session: Session,
    path: PathBuf,
    normalization: Normalization,
    batch_size: usize,
    /// Dropout-mask inputs (empty for the deterministic model).
    pub(super) masks: Vec<DropoutMask>,
}

#[cfg(feature = "onnx")]
impl std::fmt::Debug for EqTransformer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EqTransformer")
            .field("path", &self.path)
            .field("normalization", &self.normalization)
            .field("batch_size", &self.batch_size)
            .finish_non_exhaustive()
    }
}

#[cfg(feature = "onnx")]
impl EqTransformer {
    /// The deterministic EQTransformer shipped with the crate
    /// (`models/assets/eqtransformer.onnx`, converted from the original
    /// Keras weights; MIT, Mousavi et al. 2020).
    pub fn bundled_model_path() -> PathBuf {
        crate::bundle::network_path("models/assets/eqtransformer.onnx")
    }

    /// The same network with its 14 SpatialDropout1D layers as mask inputs
    /// (`models/assets/eqtransformer_mc.onnx`), for
    /// [`EqTransformer::load_mc_dropout`].
    pub fn bundled_mc_model_path() -> PathBuf {
        crate::bundle::network_path("models/assets/eqtransformer_mc.onnx")
    }

    /// Loads an EQTransformer ONNX model, using all cores inside each operator.
    /// Checks the model's input and output names, element types and shapes.
    pub fn load(path: impl AsRef<Path>) -> Result<Self, EqtError> {
        Self::load_with_threads(path, 0)
    }

    /// As [`EqTransformer::load`], with `intra_threads` threads per operator
    /// (`0`: one per core).
    pub fn load_with_threads(path: impl AsRef<Path>, intra_threads: usize) -> Result<Self, EqtError> {
        Self::open(path.as_ref(), intra_threads, false)
    }

    /// Loads the Monte-Carlo-dropout model: EQTransformer's input and
    /// outputs plus the inputs `dropout_mask_<k>` (f32 `[batch, 1, C]` or
    /// `[batch, C, 1]`) with their rates in the model metadata
    /// (`dropout_rate_<k>`), as `convert_eqtransformer.py` writes them. Use
    /// it with [`EqTransformer::predict_mc`]; [`EqTransformer::predict`]
    /// feeds masks of ones (dropout off, the deterministic network).
    pub fn load_mc_dropout(path: impl AsRef<Path>) -> Result<Self, EqtError> {
        Self::load_mc_dropout_with_threads(path, 0)
    }

    /// As [`EqTransformer::load_mc_dropout`], with `intra_threads` threads
    /// per operator (`0`: one per core).
    pub fn load_mc_dropout_with_threads(path: impl AsRef<Path>, intra_threads: usize) -> Result<Self, EqtError> {
        Self::open(path.as_ref(), intra_threads, true)
    }

    fn open(path: &Path, intra_threads: usize, monte_carlo: bool) -> Result<Self, EqtError> {
        let path = path.to_path_buf();
        let session = runtime::session_from_file(&path, intra_threads)?;
        let masks = check_signature(&session, &path, monte_carlo)?;
        Ok(Self {
            session,
            path,
            normalization: Normalization::Std,
            batch_size: 32,
            masks,
        })
    }

    /// The dropout-mask inputs (empty for the deterministic model).
    pub fn dropout_masks(&self) -> &[DropoutMask] {
        &self.masks
    }

    /// The configured batch size (windows per network call).
    pub fn batch_size(&self) -> usize {
        self.batch_size
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
        self.predict_with_masks(windows, |_, mask, _| vec![1.0; mask.channels()])
    }

    /// [`EqTransformer::predict`] with the dropout masks of each window
    /// given by `mask_values(window index, mask, mask index)` (`channels()`
    /// values; not called for the deterministic model).
    pub(super) fn predict_with_masks(
        &mut self,
        windows: &[&[[f32; 3]]],
        mut mask_values: impl FnMut(usize, &DropoutMask, usize) -> Vec<f32>,
    ) -> Result<Vec<WindowPrediction>, EqtError> {
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
        let mut buffer: Vec<f32> = Vec::with_capacity(self.batch_size.min(windows.len()) * WINDOW_SAMPLES * 3);
        for (chunk_no, chunk) in windows.chunks(self.batch_size).enumerate() {
            buffer.clear();
            for w in chunk {
                let mut copy = w.to_vec();
                normalize_window(&mut copy, self.normalization);
                buffer.extend(copy.iter().flat_map(|s| s.iter().copied()));
            }
            let first = chunk_no * self.batch_size;
            let masks: Vec<Vec<f32>> = (0..self.masks.len())
                .map(|m| (first..first + chunk.len()).flat_map(|w| mask_values(w, &self.masks[m], m)).collect())
                .collect();
            self.run_batch(&buffer, &masks, chunk.len(), first, &mut out)?;
        }
        Ok(out)
    }

    /// Runs one batch (already normalised, `[n][6000][3]` flattened; one
    /// flattened `[n][C]` array per dropout mask).
    fn run_batch(&mut self, data: &[f32], masks: &[Vec<f32>], n: usize, first_index: usize, out: &mut Vec<WindowPrediction>) -> Result<(), EqtError> {
        let inference_err = |message: String| EqtError::Inference {
            path: self.path.clone(),
            batch: n,
            message,
        };
        let input = TensorRef::from_array_view(([n, WINDOW_SAMPLES, 3], data)).map_err(|e| inference_err(e.to_string()))?;
        let mut inputs: Vec<(String, SessionInputValue<'_>)> = vec![(INPUT_NAME.to_string(), input.into())];
        for (mask, values) in self.masks.iter().zip(masks) {
            let [a, b] = mask.dims;
            let tensor = TensorRef::from_array_view(([n, a, b], values.as_slice())).map_err(|e| inference_err(e.to_string()))?;
            inputs.push((mask.name.clone(), tensor.into()));
        }
        let outputs = self.session.run(inputs).map_err(|e| inference_err(e.to_string()))?;
        let mut traces: [Vec<f32>; 3] = Default::default();
        for (k, name) in OUTPUT_NAMES.iter().enumerate() {
            let value = outputs.get(name).ok_or_else(|| inference_err(format!("no output named {name}")))?;
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

#[cfg(feature = "onnx")]
/// Checks the session's inputs and outputs against EQTransformer's; with
/// `monte_carlo`, also the dropout-mask inputs, returned in order.
fn check_signature(session: &Session, path: &Path, monte_carlo: bool) -> Result<Vec<DropoutMask>, EqtError> {
    let err = |what: &str, expected: String, found: String| EqtError::ModelSignature {
        path: path.to_path_buf(),
        what: what.to_string(),
        expected,
        found,
    };
    let all_inputs = session.inputs();
    let (inputs, mask_inputs): (Vec<_>, Vec<_>) = all_inputs.iter().partition(|i| !(monte_carlo && i.name().starts_with(DROPOUT_MASK_PREFIX)));
    let names: Vec<&str> = inputs.iter().map(|o| o.name()).collect();
    if names != [INPUT_NAME] {
        let expected = if monte_carlo {
            format!("[{INPUT_NAME:?}, {DROPOUT_MASK_PREFIX}0, ...]")
        } else {
            format!("[{INPUT_NAME:?}]")
        };
        let all: Vec<&str> = all_inputs.iter().map(|o| o.name()).collect();
        return Err(err("inputs", expected, format!("{all:?}")));
    }
    let want_in = [None, Some(WINDOW_SAMPLES as i64), Some(3)];
    if !is_f32_tensor(inputs[0].dtype(), &want_in) {
        return Err(err(
            "input shape",
            "Float32 tensor [batch, 6000, 3]".to_string(),
            describe_value_type(inputs[0].dtype()),
        ));
    }
    let outputs = session.outputs();
    for name in OUTPUT_NAMES {
        let Some(o) = outputs.iter().find(|o| o.name() == name) else {
            let found: Vec<&str> = outputs.iter().map(|o| o.name()).collect();
            return Err(err("outputs", format!("{OUTPUT_NAMES:?}"), format!("{found:?}")));
        };
        let want_out = [None, Some(WINDOW_SAMPLES as i64), Some(1)];
        if !is_f32_tensor(o.dtype(), &want_out) {
            return Err(err(
                &format!("output {name} shape"),
                "Float32 tensor [batch, 6000, 1]".to_string(),
                describe_value_type(o.dtype()),
            ));
        }
    }
    if !monte_carlo {
        return Ok(Vec::new());
    }
    if mask_inputs.is_empty() {
        return Err(err("inputs", format!("{DROPOUT_MASK_PREFIX}<k> mask inputs"), "none".to_string()));
    }
    let metadata = session.metadata().map_err(|e| err("metadata", "readable".to_string(), e.to_string()))?;
    let mut masks = Vec::with_capacity(mask_inputs.len());
    for k in 0..mask_inputs.len() {
        let name = format!("{DROPOUT_MASK_PREFIX}{k}");
        let Some(input) = mask_inputs.iter().find(|i| i.name() == name) else {
            let found: Vec<&str> = mask_inputs.iter().map(|i| i.name()).collect();
            return Err(err(
                "mask inputs",
                format!("{DROPOUT_MASK_PREFIX}0..{}", mask_inputs.len() - 1),
                format!("{found:?}"),
            ));
        };
        let dims = match input.dtype() {
            ValueType::Tensor {
                ty: TensorElementType::Float32,
                shape,
                ..
            } if shape.len() == 3 && shape[1] > 0 && shape[2] > 0 && (shape[1] == 1 || shape[2] == 1) => [shape[1] as usize, shape[2] as usize],
            other => {
                return Err(err(
                    &format!("input {name} shape"),
                    "Float32 tensor [batch, 1, C] or [batch, C, 1]".to_string(),
                    describe_value_type(other),
                ))
            }
        };
        let key = format!("{DROPOUT_RATE_PREFIX}{k}");
        let rate = metadata
            .custom(&key)
            .and_then(|v| v.trim().parse::<f32>().ok())
            .filter(|r| (0.0..1.0).contains(r))
            .ok_or_else(|| {
                err(
                    &format!("metadata {key}"),
                    "a dropout rate in [0, 1)".to_string(),
                    "missing or invalid".to_string(),
                )
            })?;
        masks.push(DropoutMask { name, dims, rate });
    }
    Ok(masks)
}
