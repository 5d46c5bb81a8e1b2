//! Locating events: one event ([`locate_event`]), the input files of
//! `eqnemix locate` ([`inputs`]) and many events in parallel ([`batch`]).
//!
//! Posterior maps per event belong to the plotting module; `eqnemix
//! locate` leaves them out until that module exists (see
//! [`crate::cli::locate`]).

pub mod batch;
pub mod domain_check;
pub mod event;
pub mod inputs;
pub mod prior_proposal;

pub use batch::{Batch, EventFailure};
pub use event::{
    every_sampler, information_gain, locate_event, ChainStats, EventLocation, LocateError, LocateOptions,
    LocationFlags, ModeRun, RunDiagnostics, COORDINATE_NAMES, MIN_MODE_MASS, PILOT_ESS_FRACTION,
    PILOT_IS_DRAWS, PILOT_IS_MIN_ESS, PILOT_PARTICLES, pilot_masses, PilotMasses,
};
pub use inputs::{ClusterProbabilities, InputError, ProbabilityWindow};
