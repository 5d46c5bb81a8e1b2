//! The prior over the hypocentre: the cluster Gaussian mixture
//! ([`ClusterPrior`]) and its optional uniform background over a region box.

pub mod background;
pub mod gmm;

pub use background::{Background, RegionBox};
pub use gmm::{ClusterPrior, ClusterProbabilities, PriorError, PriorOptions};
