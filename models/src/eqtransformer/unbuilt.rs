//! [`EqTransformer`] in a build without ONNX Runtime (no `onnx` feature).
//!
//! The type keeps its name and the methods the rest of eqnemix calls, so
//! callers compile unchanged, but it cannot be made: every `load*` returns
//! [`RuntimeError::not_built`], and the methods that need a model are
//! unreachable (the type holds an [`Infallible`]).

use std::convert::Infallible;
use std::path::{Path, PathBuf};

use super::error::EqtError;
use super::mc_dropout::{ContinuousMcPrediction, McUncertainty};
use super::model::WindowPrediction;
use super::picker::Detection;
use super::segment::{SegmentChunk, SegmentRun};
use super::sliding::{ContinuousConfig, ContinuousPrediction};
use crate::waveform::{Archive, PreprocessOptions, Segment};
use crate::RuntimeError;

/// EQTransformer, left out of this build (see the module documentation).
#[derive(Debug)]
pub struct EqTransformer {
    never: Infallible,
}

impl EqTransformer {
    fn not_built() -> EqtError {
        EqtError::Runtime(RuntimeError::not_built("EQTransformer"))
    }

    /// Where the shipped model would be.
    pub fn bundled_model_path() -> PathBuf {
        PathBuf::from("models/assets/eqtransformer.onnx")
    }

    /// Where the shipped Monte-Carlo-dropout model would be.
    pub fn bundled_mc_model_path() -> PathBuf {
        PathBuf::from("models/assets/eqtransformer_mc.onnx")
    }

    /// Always fails: the networks are not in this build.
    pub fn load(_path: impl AsRef<Path>) -> Result<Self, EqtError> {
        Err(Self::not_built())
    }

    /// Always fails: the networks are not in this build.
    pub fn load_with_threads(
        _path: impl AsRef<Path>,
        _intra_threads: usize,
    ) -> Result<Self, EqtError> {
        Err(Self::not_built())
    }

    /// Always fails: the networks are not in this build.
    pub fn load_mc_dropout(_path: impl AsRef<Path>) -> Result<Self, EqtError> {
        Err(Self::not_built())
    }

    /// Unreachable (no model can exist).
    pub fn with_batch_size(self, _batch_size: usize) -> Self {
        match self.never {}
    }

    /// Unreachable (no model can exist).
    pub fn path(&self) -> &Path {
        match self.never {}
    }

    /// Unreachable (no model can exist).
    pub fn mc_detections(
        &mut self,
        _prediction: &ContinuousMcPrediction,
        _data: &[[f32; 3]],
        _config: &super::picker::PickerConfig,
        _seed: u64,
    ) -> Result<Vec<(Detection, McUncertainty)>, EqtError> {
        match self.never {}
    }

    /// Unreachable (no model can exist).
    pub fn mc_passes(&mut self, _window: &[[f32; 3]], _window_index: usize, _passes: usize, _seed: u64) -> Result<Vec<WindowPrediction>, EqtError> {
        match self.never {}
    }

    /// Unreachable (no model can exist).
    pub fn predict(&mut self, _windows: &[&[[f32; 3]]]) -> Result<Vec<WindowPrediction>, EqtError> {
        match self.never {}
    }

    /// Unreachable (no model can exist).
    pub fn predict_continuous(
        &mut self,
        _data: &[[f32; 3]],
        _config: &ContinuousConfig,
    ) -> Result<ContinuousPrediction, EqtError> {
        match self.never {}
    }

    /// Unreachable (no model can exist).
    pub fn predict_continuous_mc(
        &mut self,
        _data: &[[f32; 3]],
        _config: &ContinuousConfig,
        _passes: usize,
        _seed: u64,
    ) -> Result<ContinuousMcPrediction, EqtError> {
        match self.never {}
    }

    /// Unreachable (no model can exist).
    #[allow(clippy::too_many_arguments)]
    pub fn pick_segment(
        &mut self,
        _archive: &Archive,
        _segment: &Segment,
        _opts: &PreprocessOptions,
        _config: &ContinuousConfig,
        _windows_per_chunk: usize,
        _mc: Option<(usize, u64)>,
        _each: impl FnMut(&SegmentChunk, Vec<(Detection, Option<McUncertainty>)>),
    ) -> Result<SegmentRun, EqtError> {
        match self.never {}
    }
}
