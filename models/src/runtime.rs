//! The ONNX Runtime shared library and the process-wide ort environment.
//!
//! ort is built with `load-dynamic`: the library is opened at run time with
//! [`ort::init_from`], which returns an error (rather than panicking, as
//! `ort::init().build()` does) when the file is missing or of the wrong
//! version. Where the library is looked for, in order:
//!
//! 1. the environment variable `ORT_DYLIB_PATH`, if set and not empty;
//! 2. the path baked in by the build script (`EQNEMIX_ORT_DYLIB`), i.e. the
//!    `onnxruntime==1.31.1` wheel installed under `models/.onnxruntime/`.
//!
//! ONNX Runtime allows one environment per process, so it lives in a
//! [`OnceLock`] and every session of the crate is built from it by
//! [`session_from_file`].

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use ort::environment::Environment;
use ort::session::builder::GraphOptimizationLevel;
use ort::session::Session;
use ort::value::{TensorElementType, ValueType};

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

/// Where the ONNX Runtime shared library is looked for: `ORT_DYLIB_PATH` if
/// set, else the path the build script provisioned.
pub fn library_path() -> PathBuf {
    match std::env::var_os("ORT_DYLIB_PATH") {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => PathBuf::from(env!("EQNEMIX_ORT_DYLIB")),
    }
}

static ENVIRONMENT: OnceLock<Result<Environment, RuntimeError>> = OnceLock::new();

/// The process-wide ort environment, created on first use from
/// [`library_path`]. A failure is remembered: every later call returns the
/// same error.
pub fn environment() -> Result<&'static Environment, RuntimeError> {
    ENVIRONMENT
        .get_or_init(|| {
            let path = library_path();
            if !path.is_file() {
                return Err(RuntimeError::Library {
                    message: "no such file".to_string(),
                    path,
                });
            }
            let builder = ort::init_from(&path).map_err(|e| RuntimeError::Library {
                message: e.to_string(),
                path: path.clone(),
            })?;
            builder.with_name("eqnemix").build().map_err(|e| RuntimeError::Environment(e.to_string()))
        })
        .as_ref()
        .map_err(Clone::clone)
}

/// Opens an ONNX model for inference on the CPU.
///
/// `intra_threads`: threads ONNX Runtime uses inside one operator; `0` means
/// one per core.
pub fn session_from_file(path: &Path, intra_threads: usize) -> Result<Session, RuntimeError> {
    let env = environment()?;
    let bytes = std::fs::read(path).map_err(|e| RuntimeError::ModelFile {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    let session_err = |message: String| RuntimeError::Session {
        path: path.to_path_buf(),
        message,
    };
    // Builder errors carry the builder (not Send/Sync): keep only the text.
    Session::builder(env)
        .map_err(|e| session_err(e.to_string()))?
        .with_optimization_level(GraphOptimizationLevel::Level3)
        .map_err(|e| session_err(e.to_string()))?
        .with_intra_threads(intra_threads)
        .map_err(|e| session_err(e.to_string()))?
        .commit_from_memory(&bytes)
        .map_err(|e| session_err(e.to_string()))
}

/// Describes an ONNX value type for error messages (`Float32 tensor [-1, 6000, 3]`).
pub fn describe_value_type(t: &ValueType) -> String {
    match t {
        ValueType::Tensor { ty, shape, .. } => format!("{ty:?} tensor {:?}", shape.iter().collect::<Vec<_>>()),
        other => format!("{other:?}"),
    }
}

/// True when `t` is an f32 tensor of `dims.len()` dimensions whose sizes
/// match `dims`: `None` accepts any size (e.g. the batch), and a dynamic
/// size in the model (negative) matches anything.
pub fn is_f32_tensor(t: &ValueType, dims: &[Option<i64>]) -> bool {
    match t {
        ValueType::Tensor { ty, shape, .. } => {
            *ty == TensorElementType::Float32
                && shape.len() == dims.len()
                && shape.iter().zip(dims).all(|(have, want)| want.is_none_or(|w| *have == w || *have < 0))
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn environment_loads_the_provisioned_library() {
        let env = environment();
        assert!(env.is_ok(), "{}", env.unwrap_err());
        // Same environment on every call.
        let a = environment().unwrap() as *const Environment;
        let b = environment().unwrap() as *const Environment;
        assert_eq!(a, b);
    }

    #[test]
    fn missing_model_file_is_a_typed_error() {
        let err = session_from_file(Path::new("/nonexistent/model.onnx"), 1).unwrap_err();
        assert!(matches!(err, RuntimeError::ModelFile { .. }), "{err}");
        assert!(err.to_string().contains("/nonexistent/model.onnx"));
    }

    #[test]
    fn garbage_model_file_is_a_typed_error() {
        let dir = std::env::temp_dir().join(format!("eqnemix-models-rt-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("garbage.onnx");
        std::fs::write(&path, b"this is not an onnx protobuf").unwrap();
        let err = session_from_file(&path, 1).unwrap_err();
        let _ = std::fs::remove_dir_all(&dir);
        assert!(matches!(err, RuntimeError::Session { .. }), "{err}");
    }
}
