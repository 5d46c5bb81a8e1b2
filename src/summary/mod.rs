//! Summaries of a location posterior from draws: its modes and headline
//! location, point estimates (mean, MAP), covariance, credible ellipsoids and epicentral ellipses, HDIs,
//! cluster probabilities, origin time and the epicentre in lon/lat.

pub mod ellipsoid;
pub mod hdi;
pub mod location;
pub mod modes;

pub use ellipsoid::{chi_square_quantile, Ellipse2D, Ellipsoid, EllipsoidAxis};
pub use hdi::{hdi, hdi_levels};
pub use modes::{maximise_density, maximise_density_in_region, region_label, PosteriorMode};
pub use location::{
    CoordinateHdi, Geographic, LocationSummary, OriginTimeEstimate, PhaseResidual, SummaryError,
    SummaryOptions,
};
