//! Observers of a running sampler: progress reporting and cancellation,
//! outside the algorithm (as argmin's executor hands each iteration to its
//! observers).
//!
//! A sampler that supports observation ([`crate::Sampler::sample_observed`]:
//! HMC, NUTS and Metropolis every iteration; the others once at the end of
//! their run) hands every iteration to an [`Observer`], which may stop the
//! run by returning [`ControlFlow::Break`]; the sampler then returns
//! [`crate::SamplerError::Cancelled`]. Algorithms never print, log or read
//! flags themselves.

use crate::DrawStats;
use std::ops::ControlFlow;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// One iteration of a chain, as an observer sees it.
#[derive(Debug, Clone, Copy)]
pub struct Iteration<'a> {
    /// Iterations done so far in this run (warm-up included), from 1.
    pub done: usize,
    /// Iterations this run will make (warm-up plus draws; thinned steps
    /// count once per kept draw).
    pub total: usize,
    /// Whether the iteration belongs to the warm-up.
    pub warmup: bool,
    /// The transition's statistics.
    pub stats: &'a DrawStats,
}

/// Sees every iteration of a run; returns [`ControlFlow::Break`] to stop it.
pub trait Observer {
    /// Called after each iteration.
    fn observe(&mut self, it: &Iteration) -> ControlFlow<()>;
}

/// The observer that watches nothing.
impl Observer for () {
    fn observe(&mut self, _: &Iteration) -> ControlFlow<()> {
        ControlFlow::Continue(())
    }
}

/// Any closure over an [`Iteration`] is an observer.
impl<F: FnMut(&Iteration) -> ControlFlow<()>> Observer for F {
    fn observe(&mut self, it: &Iteration) -> ControlFlow<()> {
        self(it)
    }
}

/// Stops a run once its flag is set (by a signal handler, a user
/// interface, a deadline elsewhere). Clones share the flag, so one flag
/// can stop every chain.
#[derive(Debug, Clone, Default)]
pub struct CancelFlag(pub Arc<AtomicBool>);

impl CancelFlag {
    /// A flag that is not set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Ask every run watching this flag to stop.
    pub fn cancel(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    /// Whether [`CancelFlag::cancel`] was called.
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

impl Observer for CancelFlag {
    fn observe(&mut self, _: &Iteration) -> ControlFlow<()> {
        if self.is_cancelled() {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    }
}

/// Hand iteration `done` of `total` to `observer`, turning a stop into
/// [`crate::SamplerError::Cancelled`].
pub(crate) fn report(
    observer: &mut dyn Observer,
    done: usize,
    total: usize,
    warmup: bool,
    stats: &DrawStats,
) -> Result<(), crate::SamplerError> {
    match observer.observe(&Iteration { done, total, warmup, stats }) {
        ControlFlow::Continue(()) => Ok(()),
        ControlFlow::Break(()) => Err(crate::SamplerError::Cancelled { iteration: done }),
    }
}
