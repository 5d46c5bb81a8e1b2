//! File-writing helpers shared by every output of eqnemix.

pub mod atomic;

pub use atomic::{write_atomic, write_atomic_path, AtomicWriteError};
