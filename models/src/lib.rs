//! # eqnemix-models
//!
//! The seismic neural networks of eqnemix run through ONNX Runtime:
//! the EQTransformer detector/picker and the ConvNetQuake cluster classifier,
//! with their pre- and post-processing. Knows nothing about locations.

// Without the networks (`--no-default-features`) the helpers that only the
// ONNX code paths use are unused: not worth a cfg on each.
#![cfg_attr(not(feature = "onnx"), allow(unused_imports, dead_code))]

pub mod bundle;
#[cfg(feature = "onnx")]
pub mod runtime;
mod runtime_error;

pub use runtime_error::RuntimeError;
pub mod convnetquake;
pub mod eqtransformer;
pub mod waveform;
