//! EQTransformer (Mousavi et al. 2020, *Nature Communications* 11, 3952): an
//! earthquake detector and P/S phase picker, run through ONNX Runtime.
//!
//! - [`EqTransformer`]: loads the ONNX model (checking its signature) and
//!   predicts detection, P and S probability traces for batches of 60 s,
//!   100 Hz, three-component windows, normalised per window as the original;
//! - [`EqTransformer::predict_continuous`]: overlapping 60 s windows over
//!   continuous data; by default ([`Merge::PerWindow`]) detections and picks
//!   come from each window separately, repeats within 2 s of a reported
//!   start dropped, as the original predictor ([`per_window_detections`]);
//!   [`Merge::Mean`] and [`Merge::Max`] (not the original's rule) pick
//!   merged per-sample traces instead;
//! - [`EqTransformer::pick_segment`], [`ChunkedPicker`]: the per-window rule
//!   over a long [`crate::waveform::Segment`] a chunk of windows at a time,
//!   in memory that does not grow with the record (what `eqnemix pick` runs);
//! - [`extract_detections`]: the original's detection and pick rules, plus a
//!   timing uncertainty from the width of each probability peak;
//! - [`PredictionRow`]: rows of the original's `X_prediction_results.csv`;
//! - [`EqTransformer::predict_mc`], [`EqTransformer::predict_continuous_mc`]:
//!   Monte-Carlo dropout (the original's `estimate_uncertainty`) with the
//!   model [`EqTransformer::bundled_mc_model_path`], dropout masks drawn
//!   from a seed; [`EqTransformer::mc_detections`] and the chunked picker
//!   also give each pick a time sigma from where the passes put it
//!   ([`pick_time_spread`]).
//!
//! The bundled model ([`EqTransformer::bundled_model_path`]) is the original
//! pretrained network with its Monte-Carlo dropout layers switched off
//! (deterministic); `models/scripts/convert_eqtransformer.py` produced it.
//!
//! ```no_run
//! use eqnemix_models::eqtransformer::{ContinuousConfig, EqTransformer};
//! let mut model = EqTransformer::load(EqTransformer::bundled_model_path())?;
//! let data: Vec<[f32; 3]> = vec![[0.0; 3]; 360_000]; // 1 h of [E, N, Z] at 100 Hz
//! let config = ContinuousConfig::default();
//! let prediction = model.predict_continuous(&data, &config)?;
//! for d in prediction.detections(&config.picker) {
//!     println!("event at sample {}: P {:?}, S {:?}", d.start, d.p, d.s);
//! }
//! # Ok::<(), eqnemix_models::eqtransformer::EqtError>(())
//! ```

mod error;
mod mc_dropout;
mod model;
mod normalize;
mod pick_spread;
mod picker;
mod results;
mod segment;
mod sliding;

pub use error::EqtError;
pub use mc_dropout::{dropout_mask_values, ContinuousMcPrediction, McUncertainty, McWindowPrediction};
pub use pick_spread::{central_window, pick_time_spread, spread_of_picks, PickTimeSpread, MIN_SPREAD_S, SEARCH_HALF_WIDTH_S};
#[cfg(feature = "onnx")]
pub use model::EqTransformer;
#[cfg(not(feature = "onnx"))]
mod unbuilt;
#[cfg(not(feature = "onnx"))]
pub use unbuilt::EqTransformer;
pub use model::{
    DropoutMask, WindowPrediction, DROPOUT_MASK_PREFIX, DROPOUT_RATE_PREFIX, INPUT_NAME, OUTPUT_NAMES, SAMPLING_RATE_HZ,
    WINDOW_SAMPLES,
};
pub use normalize::{normalize_window, Normalization};
pub use picker::{detect_peaks, extract_detections, peak_sigma_samples, snr_db, snr_db_in, trigger_runs, Detection, Pick, PickerConfig};
pub use results::{sample_time, write_predictions, write_predictions_file, PredictionRow, StationInfo, PREDICTION_COLUMNS};
pub use segment::{SegmentChunk, SegmentRun, CONTEXT_SAMPLES};
pub use sliding::{
    first_reported, per_window_detections, window_starts, ChunkedPicker, ContinuousConfig, ContinuousPrediction, FirstReported, Merge, DUPLICATE_SAMPLES,
};
