//! Files shipped inside the binary, found at run time without the build tree.
//!
//! An installed or copied `eqnemix` must not read its networks, sample
//! configuration or scripts from the folder it was compiled in (that folder
//! may be gone, or on another machine). Each such set of files is a
//! [`Bundle`]: its files are compiled into the binary (`include_bytes!`) under
//! their path relative to the repository root, and [`Bundle::root`] returns a
//! folder holding them with that layout, so relative paths between them (the
//! sample configuration's `../sample`) keep working. The folder is, in order:
//!
//! 1. `$EQNEMIX_DATA_DIR`, if set and it holds every file of the bundle (a
//!    data folder the user names, e.g. with edited copies);
//! 2. `<folder of the executable>/eqnemix-data/`, if it holds every file
//!    (an installation that ships the data next to the binary);
//! 3. otherwise the embedded copy, written once into the cache folder
//!    `$EQNEMIX_CACHE_DIR`, else `$XDG_CACHE_HOME/eqnemix`, else
//!    `$HOME/.cache/eqnemix`, else the system temporary folder, under
//!    `<bundle name>-<content hash>/`.
//!
//! The embedded copy is written into a temporary sibling folder and renamed
//! into place, so two processes extracting at once never see a half-written
//! bundle, and the content hash in the name means two builds with different
//! files never share a folder. Hand-written rather than taken from a crate
//! because it is a few lines of std (hashing: FNV-1a, which needs no
//! cryptographic strength here: it only tells contents apart).

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// One embedded file: its path relative to the repository root (forward
/// slashes) and its bytes.
#[derive(Debug, Clone, Copy)]
pub struct BundledFile {
    /// Path relative to the bundle root, e.g. `models/assets/eqtransformer.onnx`.
    pub path: &'static str,
    /// The file's contents.
    pub bytes: &'static [u8],
}

/// A named set of embedded files that belong together.
#[derive(Debug, Clone, Copy)]
pub struct Bundle {
    /// Short name, used in the cache folder's name and in messages.
    pub name: &'static str,
    /// The files.
    pub files: &'static [BundledFile],
}

/// Where [`Bundle::root`] found (or put) a bundle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BundleSource {
    /// `$EQNEMIX_DATA_DIR`.
    DataDir(PathBuf),
    /// `eqnemix-data/` next to the executable.
    NextToExecutable(PathBuf),
    /// The embedded copy, extracted into the cache folder.
    Extracted(PathBuf),
}

impl BundleSource {
    /// The folder.
    pub fn path(&self) -> &Path {
        match self {
            BundleSource::DataDir(p) | BundleSource::NextToExecutable(p) | BundleSource::Extracted(p) => p,
        }
    }
}

impl std::fmt::Display for BundleSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BundleSource::DataDir(p) => write!(f, "{} (EQNEMIX_DATA_DIR)", p.display()),
            BundleSource::NextToExecutable(p) => write!(f, "{} (next to the executable)", p.display()),
            BundleSource::Extracted(p) => write!(f, "{} (embedded copy)", p.display()),
        }
    }
}

/// The folder of user data files, `$EQNEMIX_DATA_DIR`, if set and not empty.
pub fn data_dir() -> Option<PathBuf> {
    std::env::var_os("EQNEMIX_DATA_DIR").filter(|s| !s.is_empty()).map(PathBuf::from)
}

/// `eqnemix-data/` in the folder of the running executable.
pub fn next_to_executable() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    Some(exe.parent()?.join("eqnemix-data"))
}

/// The cache folder for extracted bundles (see the module documentation).
pub fn cache_dir() -> PathBuf {
    let var = |k: &str| std::env::var_os(k).filter(|s| !s.is_empty()).map(PathBuf::from);
    if let Some(p) = var("EQNEMIX_CACHE_DIR") {
        return p;
    }
    if let Some(p) = var("XDG_CACHE_HOME") {
        return p.join("eqnemix");
    }
    if let Some(p) = var("HOME") {
        return p.join(".cache").join("eqnemix");
    }
    std::env::temp_dir().join("eqnemix-cache")
}

impl Bundle {
    /// True if `dir` holds every file of the bundle.
    fn complete_in(&self, dir: &Path) -> bool {
        self.files.iter().all(|f| dir.join(f.path).is_file())
    }

    /// FNV-1a 64 over every path and content, as 16 hex digits.
    pub fn content_hash(&self) -> String {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        let mut eat = |bytes: &[u8]| {
            for &b in bytes {
                h ^= u64::from(b);
                h = h.wrapping_mul(0x0100_0000_01b3);
            }
        };
        for f in self.files {
            eat(f.path.as_bytes());
            eat(&[0]);
            eat(&(f.bytes.len() as u64).to_le_bytes());
            eat(f.bytes);
        }
        format!("{h:016x}")
    }

    /// The folder holding the bundle (see the module documentation),
    /// extracting the embedded copy if no other is found.
    pub fn root(&self) -> io::Result<BundleSource> {
        if let Some(d) = data_dir() {
            if self.complete_in(&d) {
                return Ok(BundleSource::DataDir(d));
            }
        }
        if let Some(d) = next_to_executable() {
            if self.complete_in(&d) {
                return Ok(BundleSource::NextToExecutable(d));
            }
        }
        self.extract_into(&cache_dir()).map(BundleSource::Extracted)
    }

    /// The path of `file` (a path of the bundle) under [`Bundle::root`].
    pub fn file(&self, file: &str) -> io::Result<PathBuf> {
        debug_assert!(self.files.iter().any(|f| f.path == file), "{file} is not in bundle {}", self.name);
        Ok(self.root()?.path().join(file))
    }

    /// Writes the embedded files into `<cache>/<name>-<hash>/` unless that
    /// folder already exists; returns it.
    pub fn extract_into(&self, cache: &Path) -> io::Result<PathBuf> {
        let target = cache.join(format!("{}-{}", self.name, self.content_hash()));
        if self.complete_in(&target) {
            return Ok(target);
        }
        fs::create_dir_all(cache).map_err(|e| annotate(e, cache))?;
        let tmp = tempfile_dir(cache, self.name)?;
        for f in self.files {
            let p = tmp.join(f.path);
            if let Some(parent) = p.parent() {
                fs::create_dir_all(parent).map_err(|e| annotate(e, parent))?;
            }
            fs::write(&p, f.bytes).map_err(|e| annotate(e, &p))?;
        }
        match fs::rename(&tmp, &target) {
            Ok(()) => Ok(target),
            // Another process finished first (or a stale partial folder is
            // in the way): use a complete one, else replace the stale one.
            Err(_) if self.complete_in(&target) => {
                let _ = fs::remove_dir_all(&tmp);
                Ok(target)
            }
            Err(_) => {
                let _ = fs::remove_dir_all(&target);
                fs::rename(&tmp, &target).map_err(|e| annotate(e, &target))?;
                Ok(target)
            }
        }
    }
}

/// A fresh, uniquely named folder in `parent`.
fn tempfile_dir(parent: &Path, name: &str) -> io::Result<PathBuf> {
    let pid = std::process::id();
    for attempt in 0u32..1000 {
        let p = parent.join(format!(".{name}-tmp-{pid}-{attempt}"));
        match fs::create_dir(&p) {
            Ok(()) => return Ok(p),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(annotate(e, &p)),
        }
    }
    Err(io::Error::other(format!("cannot create a temporary folder in {}", parent.display())))
}

fn annotate(e: io::Error, path: &Path) -> io::Error {
    io::Error::new(e.kind(), format!("{}: {e}", path.display()))
}

#[cfg(feature = "onnx")]
/// The networks shipped with the crate (`models/assets/*.onnx`).
pub static NETWORKS: Bundle = Bundle {
    name: "networks",
    files: &[
        BundledFile { path: "models/assets/eqtransformer.onnx", bytes: include_bytes!("../assets/eqtransformer.onnx") },
        BundledFile { path: "models/assets/eqtransformer_mc.onnx", bytes: include_bytes!("../assets/eqtransformer_mc.onnx") },
        BundledFile { path: "models/assets/convnetquake.onnx", bytes: include_bytes!("../assets/convnetquake.onnx") },
    ],
};

#[cfg(feature = "onnx")]
/// The path of a shipped network file (`file` relative to the repository
/// root, as in [`NETWORKS`]). When the bundle cannot be placed anywhere (no
/// writable cache), the path it would have had is returned and loading it
/// fails with an error naming it.
pub fn network_path(file: &str) -> PathBuf {
    NETWORKS.file(file).unwrap_or_else(|_| cache_dir().join(file))
}

#[cfg(test)]
mod tests {
    use super::*;

    static SMALL: Bundle = Bundle {
        name: "test",
        files: &[
            BundledFile { path: "a/x.txt", bytes: b"hello" },
            BundledFile { path: "b/y.bin", bytes: &[0, 1, 2, 255] },
        ],
    };

    #[test]
    fn extraction_writes_every_file_with_its_layout_and_is_reused() {
        let cache = tempfile::tempdir().unwrap();
        let root = SMALL.extract_into(cache.path()).unwrap();
        assert_eq!(fs::read(root.join("a/x.txt")).unwrap(), b"hello");
        assert_eq!(fs::read(root.join("b/y.bin")).unwrap(), vec![0, 1, 2, 255]);
        assert!(root.file_name().unwrap().to_str().unwrap().starts_with("test-"));
        // A second extraction reuses the folder, and leaves no temporary one.
        let again = SMALL.extract_into(cache.path()).unwrap();
        assert_eq!(root, again);
        let entries: Vec<_> = fs::read_dir(cache.path()).unwrap().collect();
        assert_eq!(entries.len(), 1);
    }

    #[test]
    fn an_incomplete_folder_is_replaced() {
        let cache = tempfile::tempdir().unwrap();
        let root = cache.path().join(format!("test-{}", SMALL.content_hash()));
        fs::create_dir_all(root.join("a")).unwrap();
        fs::write(root.join("a/x.txt"), b"hello").unwrap();
        let got = SMALL.extract_into(cache.path()).unwrap();
        assert_eq!(got, root);
        assert_eq!(fs::read(root.join("b/y.bin")).unwrap(), vec![0, 1, 2, 255]);
    }

    #[test]
    fn content_hash_tells_contents_apart() {
        static OTHER: Bundle = Bundle { name: "test", files: &[BundledFile { path: "a/x.txt", bytes: b"hellO" }] };
        static SAME_BYTES_OTHER_PATH: Bundle = Bundle { name: "test", files: &[BundledFile { path: "a/z.txt", bytes: b"hello" }] };
        assert_ne!(SMALL.content_hash(), OTHER.content_hash());
        assert_ne!(OTHER.content_hash(), SAME_BYTES_OTHER_PATH.content_hash());
    }

    #[test]
    fn the_networks_bundle_holds_the_shipped_files() {
        for f in NETWORKS.files {
            let on_disk = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(f.path);
            assert_eq!(fs::read(&on_disk).unwrap(), f.bytes, "{}", f.path);
        }
    }
}
