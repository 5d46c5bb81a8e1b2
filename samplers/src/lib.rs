//! # eqnemix-samplers
//!
//! Interchangeable samplers for smooth, low-dimensional, possibly multimodal
//! densities, and the diagnostics that say when a run cannot be trusted.
//! This crate knows nothing about seismology: it sees a density through the
//! [`LogDensity`] and [`GradLogDensity`] traits and nothing else.
//!
//! ```
//! use eqnemix_samplers::{LogDensity, GradLogDensity};
//!
//! /// A standard normal in `n` dimensions.
//! struct StdNormal(usize);
//! impl LogDensity for StdNormal {
//!     fn dim(&self) -> usize { self.0 }
//!     fn log_density(&self, x: &[f64]) -> f64 { -0.5 * x.iter().map(|v| v * v).sum::<f64>() }
//! }
//! impl GradLogDensity for StdNormal {
//!     fn log_density_and_gradient(&self, x: &[f64], grad: &mut [f64]) -> f64 {
//!         for (g, v) in grad.iter_mut().zip(x) { *g = -v; }
//!         self.log_density(x)
//!     }
//! }
//! let mut g = [0.0; 2];
//! assert_eq!(StdNormal(2).log_density_and_gradient(&[1.0, 0.0], &mut g), -0.5);
//! assert_eq!(g, [-1.0, 0.0]);
//! ```

pub mod advi;
pub mod any;
pub mod adapt;
pub mod density;
pub mod diagnostics;
pub mod draws;
pub mod observer;
pub mod octree;
pub mod hmc;
pub mod importance;
pub mod metropolis;
pub mod nuts;
pub mod sampler;
pub mod smc;
pub mod targets;
pub mod tempering;
pub mod transform;

pub use density::{GradLogDensity, LogDensity};
pub use draws::{DrawStats, Draws};
pub use observer::{CancelFlag, Iteration, Observer};
pub use sampler::{chain_seed, check_init, run_chains, run_chains_gradient_free, run_chains_observed, run_chains_with, run_chains_with_observed, GradientFreeSampler, Sampler, SamplerError};
