//! ConvNetQuake (Perol et al. 2018, *Science Advances* 4, e1700578): a
//! convolutional network that classifies 10 s three-component windows as
//! noise or as an event of one of K catalog clusters, run through ONNX
//! Runtime, with the original workflow's dataset, augmentation and
//! evaluation steps.
//!
//! Class convention: class 0 is noise, class `k + 1` is cluster `k`
//! (`k = 0..K`, the ids of `catalog_with_cluster_ids.csv`).
//!
//! - [`ConvNetQuake`]: loads the ONNX model (checking its signature) and
//!   returns class probabilities for batches of windows;
//! - [`Dataset`], [`read_dataset`], [`write_dataset`]: the window dataset
//!   directory (`windows.f32` + `index.csv`) shared with `train.py`;
//! - [`augment_dataset`]: Gaussian noise, stretch, compression, shift;
//! - [`Evaluation`]: event and noise accuracy and the confusion matrix;
//! - [`ClassifiedWindow`]: rows of the `classify` CSV.
//!
//! ```no_run
//! use eqnemix_models::convnetquake::{ConvNetQuake, WINDOW_SAMPLES};
//! let mut model = ConvNetQuake::load(ConvNetQuake::bundled_model_path())?;
//! let window = vec![[0.0f32; 3]; WINDOW_SAMPLES]; // 10 s of [E, N, Z] at 100 Hz
//! let p = model.predict(&[&window])?;
//! println!("P(noise) = {}, P(cluster 0) = {}", p[0][0], p[0][1]);
//! # Ok::<(), eqnemix_models::convnetquake::CnqError>(())
//! ```

mod augment;
mod classify;
mod error;
mod evaluate;
mod model;
mod windows;

pub use augment::{add_gaussian_noise, augment_dataset, shift, stretch, AugmentOptions};
pub use classify::{write_classified, ClassifiedWindow, CLASSIFY_COLUMNS};
pub use error::CnqError;
pub use evaluate::Evaluation;
#[cfg(feature = "onnx")]
pub use model::ConvNetQuake;
#[cfg(not(feature = "onnx"))]
mod unbuilt;
#[cfg(not(feature = "onnx"))]
pub use unbuilt::ConvNetQuake;
pub use model::{normalize_window, INPUT_NAME, NOISE_CLASS, OUTPUT_NAME, SAMPLING_RATE_HZ, WINDOW_SAMPLES};
pub use windows::{read_dataset, window_starts, write_atomically, write_dataset, Dataset, WindowLabel, INDEX_FILE, WINDOWS_FILE};
