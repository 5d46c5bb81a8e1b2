//! Cancelling a long run cleanly (Ctrl-C).
//!
//! A [`Cancellation`] is a shared flag: whoever wants a run to stop calls
//! [`Cancellation::cancel`], and the long loops that were handed a clone
//! check [`Cancellation::is_cancelled`] between units of work (the batch
//! of events checks it before starting each event) or watch it as a
//! sampler's [`eqnemix_samplers::Observer`] (an event in progress stops
//! inside its sampler and writes nothing, so no temporary file is left
//! behind).
//! The library installs no signal handler and has no global state: the
//! `eqnemix` program installs a Ctrl-C handler that cancels the token it
//! hands to `eqnemix locate` and `eqnemix run`
//! ([`crate::cli::Command::run`]), and a test can cancel a token from a
//! callback after a chosen number of events.
//!
//! A run that stopped early returns [`Interrupted`]; the program reports it
//! and exits with status 130 (128 + SIGINT, as a shell reports a command
//! killed by Ctrl-C).
//!
//! ```
//! let c = eqnemix::cancel::Cancellation::new();
//! let seen_by_worker = c.clone();
//! assert!(!seen_by_worker.is_cancelled());
//! c.cancel();
//! assert!(seen_by_worker.is_cancelled());
//! ```

/// The shared flag: the samplers' [`eqnemix_samplers::CancelFlag`], so the
/// token that stops a batch between events is also an
/// [`eqnemix_samplers::Observer`] that stops a sampler between iterations.
pub use eqnemix_samplers::CancelFlag as Cancellation;

/// The status a program exits with when a run was interrupted: 128 + SIGINT.
pub const EXIT_INTERRUPTED: u8 = 130;

/// A run that stopped early because it was cancelled: what it left behind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("interrupted: {written} of {total} events written; {hint}")]
pub struct Interrupted {
    /// Events whose result files are complete (including those kept from an
    /// earlier run with `--resume`).
    pub written: usize,
    /// Events in the run.
    pub total: usize,
    /// What to do next (e.g. "rerun with --resume to continue").
    pub hint: String,
}
