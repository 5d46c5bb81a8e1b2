//! Errors of the ConvNetQuake classifier and its window datasets.

use std::path::PathBuf;

use crate::RuntimeError;

/// What can go wrong loading or running ConvNetQuake or reading and writing
/// its datasets. Never a panic on user data: every variant names the file,
/// window, line or field at fault.
#[derive(Debug, thiserror::Error)]
pub enum CnqError {
    /// ONNX Runtime could not be set up or could not open the model.
    #[error(transparent)]
    Runtime(#[from] RuntimeError),
    /// The ONNX file is not a ConvNetQuake classifier: its inputs or outputs differ.
    #[error("{path}: not a ConvNetQuake model: {what}: expected {expected}, found {found}")]
    ModelSignature {
        /// The model file.
        path: PathBuf,
        /// Which part of the signature differs.
        what: String,
        /// What ConvNetQuake has.
        expected: String,
        /// What the file has.
        found: String,
    },
    /// A window does not have 1000 samples (10 s at 100 Hz).
    #[error("window {index}: {len} samples; ConvNetQuake needs exactly {expected} (10 s at 100 Hz)")]
    WindowLength {
        /// Index of the window.
        index: usize,
        /// Its length in samples.
        len: usize,
        /// The required length.
        expected: usize,
    },
    /// The waveform contains NaN or infinity.
    #[error("window {window}: sample {sample}, component {component}: value {value} is not finite")]
    NonFiniteInput {
        /// Window index.
        window: usize,
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
    /// The model returned NaN, infinity, or a value outside [0, 1].
    #[error("{path}: window {window}, class {class}: output {value} is not a probability")]
    InvalidOutput {
        /// The model file.
        path: PathBuf,
        /// Window index.
        window: usize,
        /// Class index (0 = noise).
        class: usize,
        /// The value.
        value: f32,
    },
    /// A dataset file is missing, unreadable or inconsistent.
    #[error("{path}: {message}")]
    Dataset {
        /// The file at fault.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// A label outside the classes of the model.
    #[error("window {window}: label {label} outside 0..={max} (0 = noise, k+1 = cluster k)")]
    Label {
        /// Window index.
        window: usize,
        /// The label.
        label: i64,
        /// Largest valid label.
        max: usize,
    },
    /// A setting is out of range.
    #[error("invalid setting {field} = {value}: {reason}")]
    Config {
        /// The setting.
        field: &'static str,
        /// Its value.
        value: String,
        /// Why it is rejected.
        reason: &'static str,
    },
    /// Writing an output failed.
    #[error("cannot write {path}: {message}")]
    Write {
        /// The output file.
        path: PathBuf,
        /// The error.
        message: String,
    },
}
