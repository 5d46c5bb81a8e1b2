//! # eqnemix
//!
//! Probabilistic earthquake location from a single three-component seismic
//! station (and networks). EQTransformer picks P and S arrivals; ConvNetQuake
//! gives the probability that an event belongs to each of K catalog clusters;
//! the cluster Gaussians weighted by those probabilities form the prior, a
//! travel-time model turns picks into a likelihood, and interchangeable
//! samplers draw from the posterior over the hypocentre
//! `x = (east, north, depth)` in km.
//!
//! The member crates are re-exported: [`samplers`] (no seismology),
//! [`traveltime`] (no samplers) and [`models`] (the neural networks).

pub use eqnemix_models as models;
pub use eqnemix_samplers as samplers;
pub use eqnemix_traveltime as traveltime;

pub mod cancel;
pub mod cli;
pub mod config;
pub mod cluster_gaussian;
pub mod catalog;
pub mod clustering;
pub mod io;
pub mod plot;
pub mod grid_posterior;
pub mod likelihood;
pub mod locate;
pub mod memory_budget;
pub mod output;
pub mod picks;
pub mod station_id;
pub mod stationxml;
pub mod polarisation;
pub mod polarisation_real;
pub mod pipeline;
pub mod posterior;
pub mod prior;
pub mod sampler_agreement;
pub mod summary;
pub mod synth;
pub mod synthetic_region;
pub mod geo;

pub use cluster_gaussian::ClusterGaussian;
