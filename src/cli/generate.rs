//! `eqnemix generate`: write a synthetic data set (continuous 3C miniSEED
//! with local earthquakes, the true catalog and picks).
//!
//! ```text
//! eqnemix generate --config FILE|defaults --out DIR [--seed N] [--duration-hours H] [--n-events N]
//! ```
//!
//! The flags override the configuration's fields; the configuration actually
//! used is written to `DIR/generate.toml`. See [`crate::synth`].

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;

use crate::memory_budget::{records_bytes, SYNTHETIC_BYTES_PER_SAMPLE};
use crate::synth::{synthesize, write_outputs, SynthConfig};

/// Arguments of `eqnemix generate`.
#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// Configuration TOML (fields of the synthetic region, all optional), or `defaults`.
    #[arg(long, value_name = "FILE|defaults", default_value = "defaults")]
    pub config: String,
    /// Output folder (created if needed).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Random seed (same seed and configuration, identical files).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Length of the continuous records (hours).
    #[arg(long)]
    pub duration_hours: Option<f64>,
    /// Number of events.
    #[arg(long)]
    pub n_events: Option<usize>,
}

impl GenerateArgs {
    /// Generate and write the data set.
    pub fn run(self) -> anyhow::Result<()> {
        let mut cfg = if self.config == "defaults" {
            SynthConfig::default()
        } else {
            let text = std::fs::read_to_string(&self.config)
                .with_context(|| format!("reading {}", self.config))?;
            toml::from_str::<SynthConfig>(&text)
                .with_context(|| format!("{}: invalid synthetic configuration", self.config))?
        };
        if let Some(s) = self.seed {
            cfg.seed = s;
        }
        if let Some(h) = self.duration_hours {
            cfg.duration_hours = h;
        }
        if let Some(n) = self.n_events {
            cfg.n_events = n;
        }
        cfg.validate().map_err(|e| anyhow::anyhow!(e)).context("invalid synthetic configuration")?;
        // The records are built in memory: refuse a length that cannot fit
        // before allocating them.
        let budget = super::memory_budget(None)?;
        let flag = if self.duration_hours.is_some() { "--duration-hours" } else { "duration_hours" };
        budget.check(
            format!(
                "{flag} {}: synthetic records of {} h at {} Hz × 3 channels × {} station(s)",
                cfg.duration_hours,
                cfg.duration_hours,
                cfg.sampling_rate_hz,
                cfg.stations.len()
            ),
            records_bytes(cfg.duration_hours * 3600.0, cfg.sampling_rate_hz, 3 * cfg.stations.len(), SYNTHETIC_BYTES_PER_SAMPLE),
        )?;
        let data = synthesize(&cfg).context("generating the synthetic data")?;
        let files = write_outputs(&data, &self.out)
            .with_context(|| format!("writing into {}", self.out.display()))?;
        let bytes: u64 = files
            .iter()
            .filter_map(|f| std::fs::metadata(f).ok())
            .map(|m| m.len())
            .sum();
        outln!(
            "{} events, {} station(s), {:.2} h at {} Hz: {} files ({:.1} MB) in {}",
            data.events.len(),
            cfg.stations.len(),
            cfg.duration_hours,
            cfg.sampling_rate_hz,
            files.len(),
            bytes as f64 / 1e6,
            self.out.display()
        );
        Ok(())
    }
}
