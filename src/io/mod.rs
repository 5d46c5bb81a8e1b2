//! File-writing helpers shared by every output of eqnemix.

pub mod atomic;

pub use atomic::{check_writable_dir, remove_stale_temp_files, check_writable_parent, write_atomic, write_atomic_path, AtomicWriteError};
