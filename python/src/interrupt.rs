//! Ctrl-C from Python: a long `sample()` or `locate()` returns with
//! `KeyboardInterrupt` when SIGINT arrives.
//!
//! Python runs signal handlers only on its main thread, and only when that
//! thread executes Python code or calls `PyErr_CheckSignals`. So the work
//! runs on a helper thread (with the GIL released; a Python callable
//! density takes the GIL from its own threads as before) while the calling
//! thread waits in slices of [`POLL`] and, between slices, calls
//! [`Python::check_signals`]. When a handler raises (SIGINT's default
//! handler raises `KeyboardInterrupt`), the shared cancel flag of eqnemix
//! (`eqnemix::cancel::Cancellation`, the samplers' `CancelFlag`) is set:
//! the samplers watch it as their observer and stop at the next iteration
//! (NUTS, HMC, Metropolis; population samplers at the end of their run),
//! the location between stages. When the work has stopped, the handler's
//! exception is raised, marked with `eqnemix_interrupted = True` and a note
//! saying that nothing was returned.

use eqnemix::cancel::Cancellation;
use pyo3::prelude::*;
use std::sync::{Condvar, Mutex};
use std::time::Duration;

/// How long the caller waits between two looks at Python's signals.
pub const POLL: Duration = Duration::from_millis(20);

struct Slot<T> {
    value: Mutex<Option<std::thread::Result<T>>>,
    ready: Condvar,
}

/// Run `work(cancel)` off the calling thread with the GIL released and
/// Python's signal handlers polled; see the module documentation.
pub fn run<T: Send>(py: Python<'_>, work: impl FnOnce(&Cancellation) -> T + Send) -> PyResult<T> {
    let cancel = Cancellation::new();
    let slot = Slot { value: Mutex::new(None), ready: Condvar::new() };
    let mut pending: Option<PyErr> = None;
    let out = std::thread::scope(|s| {
        let (slot, cancel) = (&slot, &cancel);
        s.spawn(move || {
            let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| work(cancel)));
            *slot.value.lock().unwrap_or_else(|e| e.into_inner()) = Some(r);
            slot.ready.notify_all();
        });
        loop {
            let got = py.detach(|| {
                let g = slot.value.lock().unwrap_or_else(|e| e.into_inner());
                let (mut g, _) = slot.ready.wait_timeout_while(g, POLL, |v| v.is_none()).unwrap_or_else(|e| e.into_inner());
                g.take()
            });
            match got {
                Some(r) => break r,
                None => {
                    if pending.is_none() {
                        if let Err(e) = py.check_signals() {
                            cancel.cancel();
                            pending = Some(e);
                        }
                    }
                }
            }
        }
    });
    let out = match out {
        Ok(v) => v,
        Err(panic) => std::panic::resume_unwind(panic),
    };
    match pending {
        None => Ok(out),
        Some(e) => {
            let v = e.value(py);
            let _ = v.setattr("eqnemix_interrupted", true);
            if v.hasattr("add_note").unwrap_or(false) {
                let _ = v.call_method1("add_note", ("eqnemix: the run was stopped by this signal; nothing was returned",));
            }
            Err(e)
        }
    }
}
