//! Atomic file writes: write to a temporary file in the destination's folder,
//! flush and sync it, then rename it over the destination. A crash or an error
//! part-way leaves either the old file or no file, never a half-written one.
//! Temporary files are named `.eqnemix-tmp-*`; one is left behind only when
//! the process is killed (SIGKILL, power loss) between creating and renaming
//! it, and [`remove_stale_temp_files`] removes those when a later run writes
//! into the same folder.
//!
//! ```
//! use std::io::Write;
//! let dir = tempfile::tempdir().unwrap();
//! let path = dir.path().join("out.txt");
//! eqnemix::io::write_atomic(&path, |w| writeln!(w, "hello")).unwrap();
//! assert_eq!(std::fs::read_to_string(&path).unwrap(), "hello\n");
//! ```

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// Why an atomic write failed; always names the destination.
#[derive(Debug, thiserror::Error)]
pub enum AtomicWriteError {
    /// Creating the temporary file, writing, syncing or renaming failed.
    #[error("writing {path}: {source}")]
    Io {
        /// Destination path.
        path: PathBuf,
        /// Underlying error.
        #[source]
        source: std::io::Error,
    },
    /// Files cannot be created in the output folder (missing, not a
    /// folder, read-only); see [`check_writable_dir`].
    #[error("cannot create files in folder {dir}: {source}")]
    NotWritable {
        /// The folder.
        dir: PathBuf,
        /// Underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The caller's writer closure (for [`write_atomic_path`]) failed.
    #[error("writing {path}: {message}")]
    Producer {
        /// Destination path.
        path: PathBuf,
        /// What the producer reported.
        message: String,
    },
}

/// Prefix of the temporary files of [`write_atomic`] and [`write_atomic_path`].
pub const TEMP_PREFIX: &str = ".eqnemix-tmp-";

/// Remove the temporary files eqnemix leaves in `dir` when it is killed
/// part-way (names starting with [`TEMP_PREFIX`], or `.eqnemix-write-check`
/// of [`check_writable_dir`]); other files are not touched. Returns how
/// many were removed; a missing folder removes nothing.
///
/// A command calls it on its output folders before writing: a second
/// eqnemix writing into the same folder at the same time would lose its
/// temporary files (and fail that write, naming the file), so two runs
/// must not share an output folder (they would replace each other's
/// results anyway).
pub fn remove_stale_temp_files(dir: &Path) -> std::io::Result<usize> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(e),
    };
    let mut n = 0;
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if !(name.starts_with(TEMP_PREFIX) || name.starts_with(".eqnemix-write-check")) {
            continue;
        }
        if !entry.file_type()?.is_file() {
            continue;
        }
        match std::fs::remove_file(entry.path()) {
            Ok(()) => n += 1,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// Give the temporary file the destination's permissions if it exists, else
/// 0644 (tempfile creates 0600, which would surprise users of output files).
fn set_permissions(tmp: &Path, dest: &Path) -> std::io::Result<()> {
    let perms = match std::fs::metadata(dest) {
        Ok(m) => m.permissions(),
        Err(_) => {
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                std::fs::Permissions::from_mode(0o644)
            }
            #[cfg(not(unix))]
            {
                return Ok(());
            }
        }
    };
    std::fs::set_permissions(tmp, perms)
}

fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// Check, before a long computation, that files can be created in `dir`
/// (it exists, is a folder, and is writable; permission bits alone do not
/// tell, e.g. for root or on a read-only mount): a temporary file is created
/// there and removed at once. The error names the folder.
pub fn check_writable_dir(dir: &Path) -> Result<(), AtomicWriteError> {
    tempfile::Builder::new()
        .prefix(".eqnemix-write-check")
        .tempfile_in(dir)
        .map(drop)
        .map_err(|source| AtomicWriteError::NotWritable { dir: dir.to_path_buf(), source })
}

/// [`check_writable_dir`] on the folder that will hold the file `path`.
pub fn check_writable_parent(path: &Path) -> Result<(), AtomicWriteError> {
    check_writable_dir(parent_dir(path))
}

/// Write `path` atomically through a buffered writer handed to `write`.
///
/// The temporary file lives in the same folder as `path` (so the final rename
/// stays on one file system) and is removed if `write` or the sync fails.
pub fn write_atomic<F>(path: &Path, write: F) -> Result<(), AtomicWriteError>
where
    F: FnOnce(&mut BufWriter<&File>) -> std::io::Result<()>,
{
    let io_err = |source| AtomicWriteError::Io {
        path: path.to_path_buf(),
        source,
    };
    let tmp = tempfile::Builder::new()
        .prefix(TEMP_PREFIX)
        .tempfile_in(parent_dir(path))
        .map_err(io_err)?;
    {
        let mut w = BufWriter::new(tmp.as_file());
        write(&mut w).map_err(io_err)?;
        w.flush().map_err(io_err)?;
    }
    tmp.as_file().sync_all().map_err(io_err)?;
    set_permissions(tmp.path(), path).map_err(io_err)?;
    tmp.persist(path).map_err(|e| io_err(e.error))?;
    Ok(())
}

/// Atomic write for producers that insist on writing to a path themselves
/// (e.g. plotters' bitmap backend): `write` receives a temporary path in the
/// destination folder **with the same extension** as `path`, and the file it
/// leaves there is renamed to `path` if it returns `Ok`. On error the
/// temporary file is removed.
pub fn write_atomic_path<F, E>(path: &Path, write: F) -> Result<(), AtomicWriteError>
where
    F: FnOnce(&Path) -> Result<(), E>,
    E: std::fmt::Display,
{
    let io_err = |source| AtomicWriteError::Io {
        path: path.to_path_buf(),
        source,
    };
    let suffix = path
        .extension()
        .map(|e| format!(".{}", e.to_string_lossy()))
        .unwrap_or_default();
    // The temp file is created (so the name is ours), then handed over as a path.
    let tmp = tempfile::Builder::new()
        .prefix(TEMP_PREFIX)
        .suffix(&suffix)
        .tempfile_in(parent_dir(path))
        .map_err(io_err)?;
    let tmp_path = tmp.into_temp_path();
    if let Err(e) = write(&tmp_path) {
        return Err(AtomicWriteError::Producer {
            path: path.to_path_buf(),
            message: e.to_string(),
        });
    }
    if let Ok(f) = File::open(&tmp_path) {
        f.sync_all().map_err(io_err)?;
    }
    set_permissions(&tmp_path, path).map_err(io_err)?;
    tmp_path.persist(path).map_err(|e| io_err(e.error))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn failed_write_leaves_old_file_and_no_temp() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.json");
        write_atomic(&path, |w| w.write_all(b"old")).unwrap();
        let r = write_atomic(&path, |w| {
            w.write_all(b"half")?;
            Err(std::io::Error::other("boom"))
        });
        let msg = r.unwrap_err().to_string();
        assert!(msg.contains("a.json") && msg.contains("boom"), "{msg}");
        assert_eq!(std::fs::read(&path).unwrap(), b"old");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn stale_temp_files_are_removed_and_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        // What a run killed between creating and renaming leaves behind.
        std::fs::write(dir.path().join(".eqnemix-tmp-AbC123"), b"half").unwrap();
        std::fs::write(dir.path().join(".eqnemix-tmp-x.png"), b"half").unwrap();
        std::fs::write(dir.path().join("ev1.json"), b"{}").unwrap();
        std::fs::write(dir.path().join(".hidden"), b"keep").unwrap();
        std::fs::create_dir(dir.path().join(".eqnemix-tmp-dir")).unwrap();
        assert_eq!(remove_stale_temp_files(dir.path()).unwrap(), 2);
        let mut left: Vec<String> =
            std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        left.sort();
        assert_eq!(left, [".eqnemix-tmp-dir", ".hidden", "ev1.json"]);
        assert_eq!(remove_stale_temp_files(&dir.path().join("missing")).unwrap(), 0);
    }

    #[test]
    fn path_variant_keeps_extension_and_renames() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("map.png");
        write_atomic_path(&path, |tmp| {
            assert_eq!(tmp.extension().unwrap(), "png");
            std::fs::write(tmp, b"png bytes")
        })
        .unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"png bytes");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
                0o644
            );
        }
        let r = write_atomic_path(&dir.path().join("b.png"), |_tmp| Err("no plot"));
        assert!(r.unwrap_err().to_string().contains("b.png"));
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
