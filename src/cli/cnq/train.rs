//! `eqnemix train`: runs `models/scripts/convnetquake/train.py` (PyTorch on
//! the CPU) with a Python that has torch, numpy and matplotlib
//! (`models/scripts/convnetquake/requirements.txt`).

use std::path::PathBuf;
use std::process::Command;

use anyhow::{bail, Context};
use clap::Args;

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
}

/// The training script, from the source tree this binary was built from.
pub fn train_script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("models/scripts/convnetquake/train.py")
}

impl TrainArgs {
    /// Runs the script and checks that it produced the ONNX model.
    pub fn run(self) -> anyhow::Result<()> {
        let python = self
            .python
            .clone()
            .or_else(|| std::env::var_os("EQNEMIX_PYTHON").filter(|v| !v.is_empty()).map(PathBuf::from))
            .unwrap_or_else(|| PathBuf::from("python3"));
        let script = train_script();
        if !script.is_file() {
            bail!("the training script {} is missing", script.display());
        }
        let onnx = self.checkpoint_dir.join("convnetquake.onnx");
        let mut cmd = Command::new(&python);
        cmd.arg(&script).arg("--dataset").args(&self.dataset);
        cmd.args(["--n_clusters", &self.n_clusters.to_string(), "--epochs", &self.epochs.to_string()]);
        cmd.args(["--batch_size", &self.batch_size.to_string(), "--lr", &self.lr.to_string(), "--seed", &self.seed.to_string()]);
        cmd.arg("--checkpoint_dir").arg(&self.checkpoint_dir).arg("--onnx").arg(&onnx);
        let status = cmd.status().with_context(|| {
            format!("starting {} (give a Python with torch, numpy, matplotlib by --python or EQNEMIX_PYTHON)", python.display())
        })?;
        if !status.success() {
            bail!("{} {} failed ({status})", python.display(), script.display());
        }
        eqnemix_models::convnetquake::ConvNetQuake::load_for_clusters(&onnx, self.n_clusters)
            .with_context(|| format!("checking the exported model {}", onnx.display()))?;
        println!("trained model: {} (curve: {})", onnx.display(), self.checkpoint_dir.join("training_curve.png").display());
        Ok(())
    }
}
