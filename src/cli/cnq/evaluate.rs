//! `eqnemix evaluate` (accuracy on labelled windows) and `eqnemix classify`
//! (per-window probabilities over continuous data), with the ONNX model in
//! ONNX Runtime.

use std::path::PathBuf;

use anyhow::{bail, Context};
use clap::Args;

use eqnemix_models::convnetquake::{read_dataset, write_classified, window_starts, ClassifiedWindow, CnqError, ConvNetQuake, Dataset, Evaluation, WINDOW_SAMPLES};

use super::{load_continuous, Continuous};
use crate::memory_budget::{format_count, mul};

/// Arguments of `eqnemix evaluate`.
#[derive(Debug, Args)]
pub struct EvaluateArgs {
    /// ConvNetQuake ONNX model (default: the bundled synthetic-region model).
    #[arg(long)]
    pub model: Option<PathBuf>,
    /// Dataset directories of labelled windows.
    #[arg(long, required = true, num_args = 1..)]
    pub dataset: Vec<PathBuf>,
    /// Number of clusters K the model must have (checked when given).
    #[arg(long = "n-clusters", alias = "n_clusters")]
    pub n_clusters: Option<usize>,
    /// Evaluate only the event windows.
    #[arg(long, conflicts_with = "noise")]
    pub events: bool,
    /// Evaluate only the noise windows.
    #[arg(long)]
    pub noise: bool,
}

/// Arguments of `eqnemix classify`.
#[derive(Debug, Args)]
pub struct ClassifyArgs {
    /// Continuous miniSEED file(s).
    #[arg(long = "stream-path", alias = "stream_path", required = true, num_args = 1..)]
    pub stream_path: Vec<PathBuf>,
    /// Station as NET.STA[.LOC] (optional when the files hold one station).
    #[arg(long)]
    pub station: Option<String>,
    /// ConvNetQuake ONNX model (default: the bundled synthetic-region model).
    #[arg(long)]
    pub model: Option<PathBuf>,
    /// Number of clusters K the model must have (checked when given).
    #[arg(long = "n-clusters", alias = "n_clusters")]
    pub n_clusters: Option<usize>,
    /// Output CSV: start_time, end_time, clusters_prob ("[p_0 ... p_K-1]",
    /// renormalised without noise), noise_prob.
    #[arg(short, long, default_value = "cnq_probabilities.csv")]
    pub output: PathBuf,
    /// Seconds between window starts (10: back to back).
    #[arg(long = "window-step", alias = "window_step", default_value_t = 10.0)]
    pub window_step: f64,
    /// Keep only windows whose noise probability is below this (1: all).
    #[arg(long = "max-noise-prob", alias = "max_noise_prob", default_value_t = 1.0)]
    pub max_noise_prob: f64,
}

fn load_model(path: Option<&PathBuf>, k: Option<usize>) -> anyhow::Result<ConvNetQuake> {
    let p = path.cloned().unwrap_or_else(ConvNetQuake::bundled_model_path);
    let m = match k {
        Some(k) => ConvNetQuake::load_for_clusters(&p, k),
        None => ConvNetQuake::load(&p),
    };
    m.with_context(|| format!("loading {}", p.display()))
}

impl EvaluateArgs {
    /// Predict every window, print the accuracies and the confusion matrix.
    pub fn run(self) -> anyhow::Result<()> {
        let mut model = load_model(self.model.as_ref(), self.n_clusters)?;
        let mut data = Dataset::default();
        for d in &self.dataset {
            data.extend(read_dataset(d).with_context(|| format!("reading {}", d.display()))?);
        }
        let keep: Vec<usize> = (0..data.len())
            .filter(|&i| {
                let is_noise = data.labels[i].label == 0;
                !(self.events && is_noise || self.noise && !is_noise)
            })
            .collect();
        if keep.is_empty() {
            bail!("no windows to evaluate");
        }
        let windows: Vec<&[[f32; 3]]> = keep.iter().map(|&i| data.window(i)).collect();
        let labels: Vec<i64> = keep.iter().map(|&i| data.labels[i].label).collect();
        let probs = model.predict(&windows)?;
        let e = Evaluation::from_predictions(&labels, &probs, model.n_classes())?;
        let k = model.n_clusters();
        outln!("model {} (K = {k} clusters + noise)", model.path().display());
        if let Some(a) = e.cluster_accuracy() {
            outln!("event windows: {}  cluster accuracy {:.4} (chance {:.4})  detection accuracy {:.4}", e.n_events(), a, 1.0 / k as f64, e.event_detection_accuracy().unwrap_or(f64::NAN));
        }
        if let Some(a) = e.noise_accuracy() {
            outln!("noise windows: {}  noise accuracy {:.4}", e.n_noise(), a);
        }
        out!("confusion matrix (rows: true class, columns: predicted)\n{}", e.confusion_table());
        Ok(())
    }
}

impl ClassifyArgs {
    /// Windows over the data, class probabilities, CSV.
    pub fn run(self) -> anyhow::Result<()> {
        if !(self.window_step.is_finite() && self.window_step > 0.0) {
            bail!("--window-step {}: must be positive (s)", self.window_step);
        }
        let mut model = load_model(self.model.as_ref(), self.n_clusters)?;
        let c = load_continuous(&self.stream_path, self.station.as_deref())?;
        let step = ((self.window_step * 100.0).round() as usize).max(1);
        // Per window: its start and slice, the network's probabilities and
        // the row written.
        let n_windows = c.data.len().saturating_sub(WINDOW_SAMPLES) / step + 2;
        let k = model.n_clusters();
        let per_window = 8 + 16 + 24 + 4 * (k as u128 + 1) + std::mem::size_of::<ClassifiedWindow>() as u128 + 8 * k as u128;
        crate::cli::memory_budget(None)?.check(
            format!(
                "--window-step {}: {} windows of {} ({:.1} h) × {} classes",
                self.window_step,
                format_count(n_windows as u128),
                c.station,
                c.data.len() as f64 / 360_000.0,
                k + 1
            ),
            mul(n_windows as u128, per_window),
        )?;
        let (n_classified, rows) = classify_continuous(&mut model, &c, step, self.max_noise_prob)?;
        write_classified(&self.output, &rows)?;
        outln!("{}: {} windows classified, {} written -> {}", c.station, n_classified, rows.len(), self.output.display());
        Ok(())
    }
}

/// ConvNetQuake over `c` in 10 s windows starting every `step` samples
/// (the last one flush with the end): the number of windows classified and
/// the rows whose noise probability is at most `max_noise_prob`. What
/// `eqnemix classify` writes, and the Python package's `classify`.
pub fn classify_continuous(model: &mut ConvNetQuake, c: &Continuous, step: usize, max_noise_prob: f64) -> Result<(usize, Vec<ClassifiedWindow>), CnqError> {
    let starts = window_starts(c.data.len(), step);
    let windows: Vec<&[[f32; 3]]> = starts.iter().map(|&i| &c.data[i..i + WINDOW_SAMPLES]).collect();
    let probs = model.predict(&windows)?;
    let rows = starts
        .iter()
        .zip(&probs)
        .map(|(&i, p)| ClassifiedWindow::from_probabilities(c.time_of(i), c.time_of(i + WINDOW_SAMPLES), p))
        .filter(|r| r.noise_prob <= max_noise_prob)
        .collect();
    Ok((starts.len(), rows))
}
