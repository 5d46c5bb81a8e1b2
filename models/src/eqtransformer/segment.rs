//! EQTransformer over a long [`Segment`] of an [`Archive`], a chunk at a
//! time, in memory that does not grow with the segment's length.
//!
//! [`EqTransformer::pick_segment`] computes the segment's means (one pass
//! over its records), then for each chunk of windows of a
//! [`ChunkedPicker`] reads the raw samples the chunk needs plus a margin
//! ([`SegmentPreprocessor::raw_range`]), preprocesses them, runs the
//! windows and hands the chunk and its new detections to a callback. What
//! is held at once is one chunk of raw and preprocessed samples (about
//! `windows_per_chunk` x 42 s plus 2 x 31 s), its windows' traces and the
//! archive's record index. Detections are those of the whole-segment path
//! ([`EqTransformer::predict_continuous`] on the whole segment
//! preprocessed with [`crate::waveform::ThreeComponent::preprocess`]) up to
//! the rounding differences of the band-pass described in
//! [`crate::waveform::archive`].

use chrono::{DateTime, Utc};

use super::error::EqtError;
use super::mc_dropout::McUncertainty;
#[cfg(feature = "onnx")]
use super::model::EqTransformer;
use super::picker::Detection;
use super::sliding::{ChunkedPicker, ContinuousConfig};
use crate::waveform::{Archive, PreprocessOptions, Segment, SegmentPreprocessor, ThreeComponent};

/// Samples of preprocessed data kept either side of a chunk's windows (the
/// SNR of a pick looks 100 samples each way).
pub const CONTEXT_SAMPLES: usize = 100;

/// Raw samples read at a time when computing a segment's means.
const MEAN_CHUNK: usize = 360_000;

/// One chunk of a segment, as [`EqTransformer::pick_segment`] hands it over.
#[derive(Debug)]
pub struct SegmentChunk<'a> {
    /// Raw samples `raw_start..raw_start + raw.len()` of the segment
    /// (`raw.start` is the time of the first).
    pub raw: &'a ThreeComponent,
    /// Index of `raw`'s first sample in the segment.
    pub raw_start: usize,
    /// Preprocessed samples `[E, N, Z]` at 100 Hz, samples
    /// `data_start..data_start + data.len()` of the preprocessed segment.
    pub data: &'a [[f32; 3]],
    /// Index of `data`'s first sample in the preprocessed segment.
    pub data_start: usize,
    /// Samples of the whole preprocessed segment.
    pub n_samples: usize,
    /// Time of the preprocessed segment's first sample.
    pub start: DateTime<Utc>,
}

/// What [`EqTransformer::pick_segment`] ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SegmentRun {
    /// Preprocessed samples (100 Hz).
    pub n_samples: usize,
    /// Windows run.
    pub n_windows: usize,
    /// Chunks.
    pub n_chunks: usize,
}

#[cfg(feature = "onnx")]
impl EqTransformer {
    /// The per-window rule over `segment` of `archive`, preprocessed with
    /// `opts` (demean, band-pass, taper, linear interpolation: the
    /// EQTransformer chain), `windows_per_chunk` windows at a time;
    /// `each(chunk, detections)` receives every chunk with the detections
    /// its windows reported that are not repeats (absolute samples of the
    /// preprocessed segment, in report order) and their Monte-Carlo
    /// uncertainties when `mc` is `Some((passes, seed))`.
    #[allow(clippy::too_many_arguments)]
    pub fn pick_segment(
        &mut self,
        archive: &Archive,
        segment: &Segment,
        opts: &PreprocessOptions,
        config: &ContinuousConfig,
        windows_per_chunk: usize,
        mc: Option<(usize, u64)>,
        mut each: impl FnMut(&SegmentChunk, Vec<(Detection, Option<McUncertainty>)>),
    ) -> Result<SegmentRun, EqtError> {
        let means = archive.segment_means(segment, MEAN_CHUNK)?;
        let pre = SegmentPreprocessor::new(segment, opts, means)?;
        let n = pre.output_len();
        let mut picker = ChunkedPicker::new(n, config, windows_per_chunk, mc)?;
        let mut n_chunks = 0;
        while let Some(r) = picker.next_range() {
            let ext = r.start.saturating_sub(CONTEXT_SAMPLES)..(r.end + CONTEXT_SAMPLES).min(n);
            let raw_range = pre.raw_range(ext.clone());
            let raw = archive.read(segment, raw_range.clone())?;
            let ready = pre.process(&raw, raw_range.start, ext.clone())?;
            let data: Vec<[f32; 3]> = ready.to_enz_f32();
            drop(ready);
            let found = picker.run_chunk(self, &data, ext.start)?;
            n_chunks += 1;
            each(
                &SegmentChunk {
                    raw: &raw,
                    raw_start: raw_range.start,
                    data: &data,
                    data_start: ext.start,
                    n_samples: n,
                    start: segment.start,
                },
                found,
            );
        }
        Ok(SegmentRun {
            n_samples: n,
            n_windows: picker.n_windows(),
            n_chunks,
        })
    }
}
