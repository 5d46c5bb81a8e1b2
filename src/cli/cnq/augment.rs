//! `eqnemix data-augmentation`: new labelled windows from a dataset by
//! Gaussian noise (`--std_factor`), and optionally stretching, compressing
//! or shifting in time.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use rand::SeedableRng;

use eqnemix_models::convnetquake::{augment_dataset, read_dataset, write_dataset, AugmentOptions};

use super::plot_window;

/// Arguments of `eqnemix data-augmentation`.
#[derive(Debug, Args)]
pub struct DataAugmentationArgs {
    /// Input dataset directory (the original's --tfrecords; --dataset also accepted).
    #[arg(long = "tfrecords", alias = "dataset")]
    pub tfrecords: PathBuf,
    /// Output dataset directory.
    #[arg(long)]
    pub output: PathBuf,
    /// Standard deviation of the added Gaussian noise, as a multiple of each
    /// component's standard deviation in the window (0: none).
    #[arg(long = "std-factor", alias = "std_factor", default_value_t = 1.2)]
    pub std_factor: f64,
    /// Stretch each window in time by a random factor in [1, 1.2].
    #[arg(long = "stretch-data", alias = "stretch_data")]
    pub stretch_data: bool,
    /// Compress each window in time by a random factor in [0.8, 1].
    #[arg(long = "compress-data", alias = "compress_data")]
    pub compress_data: bool,
    /// Shift each window by a random time in [-2, 2] s (zero filled).
    #[arg(long = "shift-data", alias = "shift_data")]
    pub shift_data: bool,
    /// Seed of the random numbers (same seed, same output).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Draw every generated window as PNG under OUTPUT/png/.
    #[arg(long)]
    pub plot: bool,
}

impl DataAugmentationArgs {
    /// Read, augment, write.
    pub fn run(self) -> anyhow::Result<()> {
        let input = read_dataset(&self.tfrecords).with_context(|| format!("reading {}", self.tfrecords.display()))?;
        let opts = AugmentOptions {
            std_factor: self.std_factor,
            stretch: self.stretch_data,
            compress: self.compress_data,
            shift: self.shift_data,
            ..AugmentOptions::default()
        };
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(self.seed);
        let out = augment_dataset(&input, &opts, &mut rng)?;
        write_dataset(&self.output, &out).with_context(|| format!("writing {}", self.output.display()))?;
        if self.plot {
            std::fs::create_dir_all(self.output.join("png"))?;
            for (i, l) in out.labels.iter().enumerate() {
                plot_window(&self.output.join("png").join(format!("{i:06}.png")), &format!("class {} {}", l.label, l.origin), out.window(i))?;
            }
        }
        outln!("{}: {} augmented windows from {}", self.output.display(), out.len(), self.tfrecords.display());
        Ok(())
    }
}
