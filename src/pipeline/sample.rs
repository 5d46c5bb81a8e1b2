//! The sample that `eqnemix run` runs without arguments, shipped inside the
//! binary.
//!
//! The sample configuration (`examples/data/config/run_sample.toml`), the
//! four hours of synthetic miniSEED with their catalog, picks and stations
//! (`examples/data/sample/`), the region's catalog and velocity model and
//! the ConvNetQuake network the configuration names are compiled in as one
//! [`Bundle`] with the repository's layout. At run time they are found in
//! `$EQNEMIX_DATA_DIR`, in `eqnemix-data/` next to the executable, or
//! extracted into the cache folder (see [`eqnemix_models::bundle`]), never
//! in the build tree: a copied or `cargo install`ed binary runs the sample.

use eqnemix_models::bundle::{Bundle, BundleSource, BundledFile};
use std::path::PathBuf;

macro_rules! shipped {
    ($($path:literal),* $(,)?) => {
        &[$(BundledFile { path: $path, bytes: include_bytes!(concat!("../../", $path)) }),*]
    };
}

/// The files of the built-in sample run.
pub static SAMPLE: Bundle = Bundle {
    name: "sample",
    files: shipped![
        "examples/data/config/run_sample.toml",
        "examples/data/sample/README.md",
        "examples/data/sample/XX.SYN1.00.HHE.mseed",
        "examples/data/sample/XX.SYN1.00.HHN.mseed",
        "examples/data/sample/XX.SYN1.00.HHZ.mseed",
        "examples/data/sample/catalog.csv",
        "examples/data/sample/generate.toml",
        "examples/data/sample/picks.csv",
        "examples/data/sample/stations.csv",
        "examples/data/catalog/ridgecrest_synthetic.csv",
        "examples/data/velocity/ridgecrest_1d.toml",
        "models/assets/convnetquake.onnx",
    ],
};

/// Path of the sample configuration inside the bundle.
pub const SAMPLE_CONFIG_PATH: &str = "examples/data/config/run_sample.toml";

/// The folder holding the sample (see the module documentation).
pub fn sample_root() -> std::io::Result<BundleSource> {
    SAMPLE.root()
}

/// The sample configuration file, with the rest of the sample beside it.
pub fn sample_config() -> anyhow::Result<PathBuf> {
    use anyhow::Context as _;
    let root = sample_root().context("placing the built-in sample (set EQNEMIX_CACHE_DIR to a writable folder)")?;
    Ok(root.path().join(SAMPLE_CONFIG_PATH))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    /// Every file of the shipped sample folder is in the bundle, so a
    /// regenerated sample with another file cannot be left out silently.
    #[test]
    fn the_bundle_holds_the_whole_sample_folder() {
        let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut on_disk: Vec<String> = std::fs::read_dir(repo.join("examples/data/sample"))
            .unwrap()
            .map(|e| format!("examples/data/sample/{}", e.unwrap().file_name().to_string_lossy()))
            .collect();
        on_disk.sort();
        let mut bundled: Vec<String> =
            SAMPLE.files.iter().filter(|f| f.path.starts_with("examples/data/sample/")).map(|f| f.path.to_string()).collect();
        bundled.sort();
        assert_eq!(on_disk, bundled);
    }

    /// The configuration's relative paths resolve inside the extracted
    /// bundle.
    #[test]
    fn the_extracted_sample_configuration_finds_its_files() {
        let cache = tempfile::tempdir().unwrap();
        let root = SAMPLE.extract_into(cache.path()).unwrap();
        let cfg = crate::pipeline::RunPipelineConfig::from_file(&root.join(SAMPLE_CONFIG_PATH)).unwrap();
        assert!(cfg.base_dir.starts_with(&root));
        let text = std::fs::read_to_string(root.join(SAMPLE_CONFIG_PATH)).unwrap();
        for line in text.lines().filter(|l| !l.trim_start().starts_with('#')) {
            if let Some((_, v)) = line.split_once('=') {
                let v = v.trim().trim_matches('"');
                if v.starts_with("../") {
                    assert!(cfg.base_dir.join(v).exists(), "{v} from {}", line.trim());
                }
            }
        }
    }
}
