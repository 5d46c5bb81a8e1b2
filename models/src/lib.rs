//! # eqnemix-models
//!
//! The seismic neural networks of eqnemix run through ONNX Runtime:
//! the EQTransformer detector/picker and the ConvNetQuake cluster classifier,
//! with their pre- and post-processing. Knows nothing about locations.

pub mod bundle;
pub mod runtime;

pub use runtime::RuntimeError;
pub mod convnetquake;
pub mod eqtransformer;
pub mod waveform;
