//! `eqnemix train`: runs `models/scripts/convnetquake/train.py` (PyTorch on
//! the CPU; the script is shipped inside the binary, [`TRAINING_SCRIPTS`]) with a Python that has torch, numpy and matplotlib
//! (`models/scripts/convnetquake/requirements.txt`).

use std::path::PathBuf;
use std::process::Command;

use anyhow::{bail, Context};
use clap::Args;

use eqnemix_models::bundle::{Bundle, BundledFile};
use eqnemix_models::convnetquake::{INDEX_FILE, WINDOWS_FILE, WINDOW_SAMPLES};

/// Arguments of `eqnemix train`.
#[derive(Debug, Args)]
pub struct TrainArgs {
    /// Dataset directories (event, augmented and noise windows).
    #[arg(long, required = true, num_args = 1..)]
    pub dataset: Vec<PathBuf>,
    /// Directory of the checkpoints (model-<step>.pt), history.csv,
    /// training_curve.png and convnetquake.onnx.
    #[arg(long = "checkpoint-dir", alias = "checkpoint_dir")]
    pub checkpoint_dir: PathBuf,
    /// Number of clusters K (the network has K + 1 classes).
    #[arg(long = "n-clusters", alias = "n_clusters")]
    pub n_clusters: usize,
    /// Python interpreter with torch (default: $EQNEMIX_PYTHON, else python3).
    #[arg(long)]
    pub python: Option<PathBuf>,
    /// Passes over the training windows.
    #[arg(long, default_value_t = 12)]
    pub epochs: usize,
    /// Windows per gradient step.
    #[arg(long = "batch-size", alias = "batch_size", default_value_t = 64)]
    pub batch_size: usize,
    /// Adam learning rate.
    #[arg(long, default_value_t = 1e-3)]
    pub lr: f64,
    /// Seed of the weight initialisation and shuffling.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Dataset whose first 4 windows get PyTorch reference probabilities
    /// (to check ONNX Runtime against PyTorch).
    #[arg(long, requires = "reference_out")]
    pub reference: Option<PathBuf>,
    /// CSV of the reference probabilities (rows: window, then K + 1 values).
    #[arg(long = "reference-out", alias = "reference_out", requires = "reference")]
    pub reference_out: Option<PathBuf>,
}

/// The training script and the module it imports, shipped inside the
/// binary (found like the sample: [`eqnemix_models::bundle`]).
pub static TRAINING_SCRIPTS: Bundle = Bundle {
    name: "convnetquake-training",
    files: &[
        BundledFile { path: "models/scripts/convnetquake/train.py", bytes: include_bytes!("../../../models/scripts/convnetquake/train.py") },
        BundledFile {
            path: "models/scripts/convnetquake/cnq_dataset.py",
            bytes: include_bytes!("../../../models/scripts/convnetquake/cnq_dataset.py"),
        },
    ],
};

/// The training script, with `cnq_dataset.py` beside it.
pub fn train_script() -> anyhow::Result<PathBuf> {
    let root = TRAINING_SCRIPTS.root().context("placing the ConvNetQuake training scripts (set EQNEMIX_CACHE_DIR to a writable folder)")?;
    Ok(root.path().join("models/scripts/convnetquake/train.py"))
}

/// Checks the datasets before Python starts: each directory has
/// `windows.f32` and `index.csv`, the index's labels are classes
/// `0..=n_clusters`, and the samples file has the size the index needs.
/// Returns the number of windows.
pub fn check_datasets(dirs: &[PathBuf], n_clusters: usize) -> anyhow::Result<usize> {
    let mut total = 0usize;
    for dir in dirs {
        let index = dir.join(INDEX_FILE);
        let mut reader = csv::Reader::from_path(&index).with_context(|| format!("{}: not a dataset (no readable {INDEX_FILE})", index.display()))?;
        let col = reader
            .headers()
            .with_context(|| format!("reading {}", index.display()))?
            .iter()
            .position(|h| h == "label")
            .with_context(|| format!("{}: no label column", index.display()))?;
        let mut n = 0usize;
        for (i, rec) in reader.records().enumerate() {
            let rec = rec.with_context(|| format!("{} line {}", index.display(), i + 2))?;
            let cell = rec.get(col).unwrap_or("");
            match cell.trim().parse::<usize>() {
                Ok(l) if l <= n_clusters => n += 1,
                _ => bail!("{} line {}: label {cell:?} is not a class 0..={n_clusters} (noise + {n_clusters} clusters)", index.display(), i + 2),
            }
        }
        let samples = dir.join(WINDOWS_FILE);
        let bytes = std::fs::metadata(&samples).with_context(|| format!("{}: missing", samples.display()))?.len();
        let want = (n * WINDOW_SAMPLES * 3 * 4) as u64;
        if bytes != want {
            bail!("{}: {bytes} bytes, but the {n} rows of {} need {want}", samples.display(), index.display());
        }
        total += n;
    }
    Ok(total)
}

impl TrainArgs {
    /// Validates the arguments and datasets, runs the script and checks that
    /// it produced the ONNX model.
    pub fn run(self) -> anyhow::Result<()> {
        if self.n_clusters == 0 {
            bail!("--n-clusters must be at least 1");
        }
        if self.epochs == 0 || self.batch_size == 0 {
            bail!("--epochs and --batch-size must be at least 1");
        }
        if !(self.lr.is_finite() && self.lr > 0.0) {
            bail!("--lr {}: must be positive", self.lr);
        }
        let n = check_datasets(&self.dataset, self.n_clusters)?;
        if n == 0 {
            bail!("the datasets hold no windows");
        }
        let python = self
            .python
            .clone()
            .or_else(|| std::env::var_os("EQNEMIX_PYTHON").filter(|v| !v.is_empty()).map(PathBuf::from))
            .unwrap_or_else(|| PathBuf::from("python3"));
        let script = train_script()?;
        if !script.is_file() {
            bail!("the training script {} is missing", script.display());
        }
        let onnx = self.checkpoint_dir.join("convnetquake.onnx");
        let mut cmd = Command::new(&python);
        cmd.arg(&script).arg("--dataset").args(&self.dataset);
        cmd.args(["--n_clusters", &self.n_clusters.to_string(), "--epochs", &self.epochs.to_string()]);
        cmd.args(["--batch_size", &self.batch_size.to_string(), "--lr", &self.lr.to_string(), "--seed", &self.seed.to_string()]);
        cmd.arg("--checkpoint_dir").arg(&self.checkpoint_dir).arg("--onnx").arg(&onnx);
        if let (Some(r), Some(o)) = (&self.reference, &self.reference_out) {
            cmd.arg("--reference").arg(r).arg("--reference_out").arg(o);
        }
        let status = cmd.status().with_context(|| {
            format!("starting {} (give a Python with torch, numpy, matplotlib by --python or EQNEMIX_PYTHON)", python.display())
        })?;
        if !status.success() {
            bail!("{} {} failed ({status})", python.display(), script.display());
        }
        eqnemix_models::convnetquake::ConvNetQuake::load_for_clusters(&onnx, self.n_clusters)
            .with_context(|| format!("checking the exported model {}", onnx.display()))?;
        outln!("trained model: {} (curve: {})", onnx.display(), self.checkpoint_dir.join("training_curve.png").display());
        Ok(())
    }
}
