//! Locating events: one event ([`locate_event`]: its [`pilot`], Markov
//! chains per mode region and their [`post_stratify`]-ication, its
//! [`flags`] and [`mod@information_gain`]), the input files of `eqnemix locate`
//! ([`inputs`]), the check that the search region lies inside the travel
//! times ([`domain_check`]) and many events in parallel ([`batch`]).

pub mod arviz_json;
pub mod batch;
pub mod contraction;
pub mod domain_check;
pub mod event;
pub mod flags;
pub mod information_gain;
pub mod inputs;
pub mod pilot;
pub mod population_correction;
pub mod post_stratify;
pub mod prior_proposal;

pub use batch::{Batch, EventFailure};
pub use event::{every_sampler, locate_event, sampler_label, ChainStats, EventLocation, LocateError, LocateOptions, RunDiagnostics, COORDINATE_NAMES};
pub use flags::LocationFlags;
pub use contraction::{contraction, MIN_CONTRACTION};
pub use information_gain::information_gain;
pub use inputs::{ClusterProbabilities, InputError, ProbabilityWindow};
pub use pilot::{pilot_masses, PilotMasses, PILOT_ESS_FRACTION, PILOT_IS_DRAWS, PILOT_IS_MIN_ESS, PILOT_PARTICLES, PILOT_TARGET_ESS};
pub use post_stratify::{ModeRun, MIN_MODE_MASS};
