//! Errors of the EQTransformer picker.

use std::path::PathBuf;

use crate::RuntimeError;

/// What can go wrong loading or running EQTransformer. Never a panic on user
/// data: every variant names the file, window, sample or field at fault.
#[derive(Debug, thiserror::Error)]
pub enum EqtError {
    /// ONNX Runtime could not be set up or could not open the model.
    #[error(transparent)]
    Runtime(#[from] RuntimeError),
    /// The ONNX file is not an EQTransformer: its inputs or outputs differ.
    #[error("{path}: not an EQTransformer model: {what}: expected {expected}, found {found}")]
    ModelSignature {
        /// The model file.
        path: PathBuf,
        /// Which part of the signature differs.
        what: String,
        /// What EQTransformer has.
        expected: String,
        /// What the file has.
        found: String,
    },
    /// A window does not have 6000 samples (60 s at 100 Hz).
    #[error("window {index}: {len} samples; EQTransformer needs exactly {expected} (60 s at 100 Hz)")]
    WindowLength {
        /// Index of the window in the batch.
        index: usize,
        /// Its length in samples.
        len: usize,
        /// The required length.
        expected: usize,
    },
    /// The waveform contains NaN or infinity.
    #[error("{context}: sample {sample}, component {component}: value {value} is not finite")]
    NonFiniteInput {
        /// Which window or trace.
        context: String,
        /// Sample index.
        sample: usize,
        /// Component (E, N or Z).
        component: char,
        /// The offending value.
        value: f32,
    },
    /// ONNX Runtime failed while running the model.
    #[error("{path}: inference on a batch of {batch} windows failed: {message}")]
    Inference {
        /// The model file.
        path: PathBuf,
        /// Batch size.
        batch: usize,
        /// ONNX Runtime's message.
        message: String,
    },
    /// The model returned an output of unexpected shape.
    #[error("{path}: output {output} has shape {found:?}, expected {expected:?}")]
    OutputShape {
        /// The model file.
        path: PathBuf,
        /// Output name.
        output: String,
        /// Shape returned.
        found: Vec<i64>,
        /// Shape expected.
        expected: Vec<i64>,
    },
    /// The model returned NaN, infinity, or a value outside [0, 1].
    #[error("{path}: output {output} of window {window} is {value} at sample {sample}, not a probability")]
    InvalidOutput {
        /// The model file.
        path: PathBuf,
        /// Output name.
        output: String,
        /// Window index in the batch.
        window: usize,
        /// Sample index.
        sample: usize,
        /// The value.
        value: f32,
    },
    /// Monte-Carlo dropout was asked of a model without dropout-mask inputs.
    #[error("{path}: no dropout-mask inputs; Monte-Carlo dropout needs the model loaded with EqTransformer::load_mc_dropout (e.g. the bundled eqtransformer_mc.onnx)")]
    NotMonteCarlo {
        /// The model file.
        path: PathBuf,
    },
    /// A configuration value is out of range.
    /// Data handed to [`crate::eqtransformer::ChunkedPicker::run_chunk`]
    /// that does not cover the chunk's windows.
    #[error("chunk data covers samples {given_start}..{given_end}, the chunk's windows need {needed_start}..{needed_end}")]
    ChunkData {
        given_start: usize,
        given_end: usize,
        needed_start: usize,
        needed_end: usize,
    },
    /// Reading or preprocessing the records failed.
    #[error(transparent)]
    Waveform(#[from] crate::waveform::WaveformError),
    #[error("invalid picker setting {field} = {value}: {reason}")]
    Config {
        /// The setting.
        field: &'static str,
        /// Its value.
        value: String,
        /// Why it is rejected.
        reason: &'static str,
    },
    /// Writing results failed.
    #[error("cannot write {path}: {message}")]
    Write {
        /// The output file.
        path: PathBuf,
        /// The error.
        message: String,
    },
}
