//! The ONNX Runtime shared library and the process-wide ort environment.
//!
//! ort is built with `load-dynamic`: the library is opened at run time with
//! [`ort::init_from`], which returns an error (rather than panicking, as
//! `ort::init().build()` does) when the file is missing or of the wrong
//! version. Where the library is looked for, in order:
//!
//! 1. the environment variable `ORT_DYLIB_PATH`, if set and not empty;
//! 2. next to the executable, in `eqnemix-data/lib/` beside it, or in
//!    `$EQNEMIX_DATA_DIR/lib/` ([`library_candidates`]);
//! 3. the path baked in by the build script (`EQNEMIX_ORT_DYLIB`), i.e. the
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

pub use crate::runtime_error::RuntimeError;

/// Where the ONNX Runtime shared library is looked for, in order:
/// `ORT_DYLIB_PATH` if set; the library's file name (as the build script
/// found it, or `libonnxruntime.so`) in the executable's folder, in
/// `eqnemix-data/lib/` next to it and in `$EQNEMIX_DATA_DIR/lib/` (so a
/// copied or installed binary can carry its runtime with it); last, the path
/// the build script provisioned.
pub fn library_candidates() -> Vec<PathBuf> {
    if let Some(p) = std::env::var_os("ORT_DYLIB_PATH").filter(|p| !p.is_empty()) {
        return vec![PathBuf::from(p)];
    }
    let baked = PathBuf::from(env!("EQNEMIX_ORT_DYLIB"));
    let mut names: Vec<std::ffi::OsString> = baked.file_name().map(|n| vec![n.to_os_string()]).unwrap_or_default();
    for generic in ["libonnxruntime.so", "libonnxruntime.dylib", "onnxruntime.dll"] {
        if !names.iter().any(|n| n == generic) {
            names.push(generic.into());
        }
    }
    let mut dirs = Vec::new();
    if let Some(exe_dir) = std::env::current_exe().ok().and_then(|e| e.parent().map(Path::to_path_buf)) {
        dirs.push(exe_dir.clone());
        dirs.push(exe_dir.join("eqnemix-data").join("lib"));
    }
    if let Some(d) = crate::bundle::data_dir() {
        dirs.push(d.join("lib"));
    }
    let mut out: Vec<PathBuf> = dirs.iter().flat_map(|d| names.iter().map(move |n| d.join(n))).collect();
    out.push(baked);
    out
}

/// The first of [`library_candidates`] that exists, else the last (the
/// build script's path, named in the error).
pub fn library_path() -> PathBuf {
    let mut candidates = library_candidates();
    match candidates.iter().position(|p| p.is_file()) {
        Some(i) => candidates.swap_remove(i),
        None => candidates.pop().expect("at least the baked path"),
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
                let tried: Vec<String> = library_candidates().iter().map(|p| p.display().to_string()).collect();
                return Err(RuntimeError::Library {
                    message: format!("no such file (looked for: {})", tried.join(", ")),
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
