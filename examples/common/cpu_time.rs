//! CPU time for the examples' benchmark tables (shared by
//! `locate_benchmark`, `sampler_agreement` and `edt_network`, included with
//! `#[path]`). The machines these run on are shared, so CPU time is the
//! fair measure; the tables report wall time too.
#![allow(dead_code)] // each example uses one of the two clocks

/// Seconds of `clock` (`libc::CLOCK_*`), NaN if the clock is unavailable.
fn clock_s(clock: libc::clockid_t) -> f64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: clock_gettime writes into the timespec we own.
    let rc = unsafe { libc::clock_gettime(clock, &mut ts) };
    if rc == 0 {
        ts.tv_sec as f64 + 1e-9 * ts.tv_nsec as f64
    } else {
        f64::NAN
    }
}

/// CPU time (s) consumed so far by the calling thread.
pub fn thread_cpu_s() -> f64 {
    clock_s(libc::CLOCK_THREAD_CPUTIME_ID)
}

/// CPU time (s) consumed so far by the whole process, every thread.
pub fn process_cpu_s() -> f64 {
    clock_s(libc::CLOCK_PROCESS_CPUTIME_ID)
}
