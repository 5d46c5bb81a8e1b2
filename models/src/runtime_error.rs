//! The errors of the ONNX Runtime set-up and of loading a model file.
//!
//! Kept apart from [`crate::runtime`] so that the networks' error types
//! exist (and name the feature) when the crate is built without ONNX Runtime
//! (`--no-default-features`).

use std::path::PathBuf;

/// Errors of the ONNX Runtime set-up and of loading a model file.
#[derive(Debug, Clone, thiserror::Error)]
pub enum RuntimeError {
    /// The shared library could not be opened (missing, wrong version, ...).
    #[error(
        "cannot load the ONNX Runtime library {path}: {message}. \
         The build script installs onnxruntime==1.31.1 from PyPI into models/.onnxruntime/; \
         re-run the build with network access, or set ORT_DYLIB_PATH to a libonnxruntime (>= 1.17)"
    )]
    Library {
        /// Path that was tried.
        path: PathBuf,
        /// What the loader said.
        message: String,
    },
    /// The environment could not be created.
    #[error("cannot create the ONNX Runtime environment: {0}")]
    Environment(String),
    /// The model file does not exist or cannot be read.
    #[error("cannot read the ONNX model {path}: {message}")]
    ModelFile {
        /// The model file.
        path: PathBuf,
        /// The I/O error.
        message: String,
    },
    /// ONNX Runtime rejected the model.
    #[error("ONNX Runtime cannot load the model {path}: {message}")]
    Session {
        /// The model file.
        path: PathBuf,
        /// ONNX Runtime's message.
        message: String,
    },
}

impl RuntimeError {
    /// The error of a build without the `onnx` feature, for `what` (a
    /// command or a network).
    pub fn not_built(what: &str) -> Self {
        RuntimeError::Environment(format!(
            "{what} needs the neural networks, and this eqnemix was built without them (cargo feature `networks` of eqnemix, `onnx` of eqnemix-models); rebuild with the default features"
        ))
    }
}
