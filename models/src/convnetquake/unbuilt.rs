//! [`ConvNetQuake`] in a build without ONNX Runtime (no `onnx` feature).
//!
//! As `eqtransformer::unbuilt`: the type and the methods callers use
//! exist, every `load*` returns [`RuntimeError::not_built`], and the rest is
//! unreachable (the type holds an [`Infallible`]).

use std::convert::Infallible;
use std::path::{Path, PathBuf};

use super::error::CnqError;
use crate::RuntimeError;

/// ConvNetQuake, left out of this build (see the module documentation).
#[derive(Debug)]
pub struct ConvNetQuake {
    never: Infallible,
}

impl ConvNetQuake {
    fn not_built() -> CnqError {
        CnqError::Runtime(RuntimeError::not_built("ConvNetQuake"))
    }

    /// Where the shipped model would be.
    pub fn bundled_model_path() -> PathBuf {
        PathBuf::from("models/assets/convnetquake.onnx")
    }

    /// Always fails: the networks are not in this build.
    pub fn load(_path: impl AsRef<Path>) -> Result<Self, CnqError> {
        Err(Self::not_built())
    }

    /// Always fails: the networks are not in this build.
    pub fn load_for_clusters(
        _path: impl AsRef<Path>,
        _n_clusters: usize,
    ) -> Result<Self, CnqError> {
        Err(Self::not_built())
    }

    /// Unreachable (no model can exist).
    pub fn path(&self) -> &Path {
        match self.never {}
    }

    /// Unreachable (no model can exist).
    pub fn n_classes(&self) -> usize {
        match self.never {}
    }

    /// Unreachable (no model can exist).
    pub fn n_clusters(&self) -> usize {
        match self.never {}
    }

    /// Unreachable (no model can exist).
    pub fn predict(&mut self, _windows: &[&[[f32; 3]]]) -> Result<Vec<Vec<f32>>, CnqError> {
        match self.never {}
    }
}
