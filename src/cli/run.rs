//! `eqnemix run`: the whole pipeline (see [`crate::pipeline`]).
//!
//! ```text
//! eqnemix run [CONFIG.toml] [--out DIR] [--quiet] [--resume] [--set KEY=VALUE ...]
//! ```
//!
//! Without a configuration it runs the sample configuration
//! (`examples/data/config/run_sample.toml`) on the sample data shipped inside
//! the binary ([`crate::pipeline::sample`]: found in `$EQNEMIX_DATA_DIR`,
//! next to the executable or extracted into the cache folder, never read
//! from the build tree) and writes into `./eqnemix-output/`.
//!
//! Ctrl-C stops it, inside a long sampler run too (see
//! [`crate::pipeline::RunOptions`]): the events located so far keep their files, their catalog is written as
//! `catalog_partial.csv`, and the command exits with status 130. A rerun
//! with `--resume` repeats the stages before locating, keeps the events
//! whose completion records
//! (`events/<id>.done`) show them finished with the same configuration and
//! inputs (picks and prior weights included: an event whose picks or
//! weights came out differently is located again), locates the rest and
//! writes the whole catalog, maps and report.

use crate::pipeline::{run_pipeline_with, RunOptions, RunPipelineConfig};
use anyhow::{Context, Result};
use clap::Args;
use std::path::{Path, PathBuf};

/// Arguments of `eqnemix run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// TOML configuration (`eqnemix locate` keys plus `[run]` and `[pipeline]`);
    /// default: the sample configuration on the shipped sample data.
    #[arg(value_name = "CONFIG.toml")]
    pub config: Option<PathBuf>,
    /// Output folder (default: `[output] dir` of the configuration).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// No progress bars.
    #[arg(long)]
    pub quiet: bool,
    /// Keep the events an earlier (interrupted) run into the same output
    /// folder finished with the same configuration and inputs; locate the
    /// rest and write the whole catalog and report.
    #[arg(long)]
    pub resume: bool,
    /// Override a configuration key: `--set KEY=VALUE`, KEY dotted as in the
    /// file (e.g. `--set pipeline.picker.mc_dropout_passes=20`, `--set
    /// sampler.kind=nuts`), VALUE a TOML value or a string; repeatable.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub overrides: Vec<crate::config::overrides::Override>,
    /// For tests: cancel the run, as Ctrl-C does, once this many events
    /// have been located (or have failed) by this run.
    #[arg(long, hide = true, value_name = "N")]
    pub cancel_after_events: Option<usize>,
}

impl RunArgs {
    /// Run the pipeline; `cancel` stops it (inside the events in progress)
    /// ([`crate::cancel::Interrupted`]).
    pub fn run(self, cancel: &crate::cancel::Cancellation) -> Result<()> {
        let cfg = match &self.config {
            Some(p) => RunPipelineConfig::from_file_with(p, &self.overrides).with_context(|| format!("configuration {}", p.display()))?,
            None => {
                let path = crate::pipeline::sample::sample_config()?;
                RunPipelineConfig::from_file_with(&path, &self.overrides)
                    .with_context(|| format!("the built-in sample configuration {}", path.display()))?
            }
        };
        let budget = super::memory_budget(cfg.locate.limits.memory_gb)?;
        cfg.locate.check_memory(&budget, 1).context("configuration")?;
        cfg.locate.check_file_memory(&cfg.base_dir, &budget, &[]).context("configuration")?;
        let out = self.out.clone().unwrap_or_else(|| cfg.locate.output.dir.clone());
        let cancel_after = self.cancel_after_events.map(|n| crate::pipeline::locate_events::cancel_after(n, cancel));
        let opts = RunOptions {
            quiet: self.quiet,
            cancel,
            resume: self.resume,
            on_event: cancel_after.as_ref().map(|f| f as &(dyn Fn(&crate::pipeline::locate_events::EventOutcome) + Sync)),
        };
        let report = run_pipeline_with(&cfg, &out, &opts)?;
        outln!(
            "{} detections with P and S picks, {} located, {} failed, {} not located (impossible S-P), {} flagged ({} untrustworthy, {} prior-dominated) in {:.1} s",
            report.n_detections,
            report.n_located,
            report.failures.len(),
            report.rejected.len(),
            report.n_flagged,
            report.n_untrustworthy,
            report.n_prior_dominated,
            report.total_seconds
        );
        outln!("prior weights: {}", report.weights_source);
        if let Some(c) = &report.coverage {
            outln!(
                "true hypocentres inside their 95% credible regions: {} of {} (95% binomial interval {:.2}-{:.2})",
                c.inside, c.n, c.interval_95[0], c.interval_95[1]
            );
        }
        for n in &report.notes {
            outln!("note: {n}");
        }
        let show = |p: &str| out.join(p).display().to_string();
        outln!("results in {}:", Path::new(&out).display());
        outln!("  catalog      {}", show("catalog.csv"));
        outln!("  per event    {} (.hyp, QuakeML, JSON, draws, maps)", show("events/"));
        outln!("  overview map {}", show("overview_map.png"));
        outln!("  report       {}", show("run_report.md"));
        if !report.failures.is_empty() {
            anyhow::bail!("{} of {} events failed (see {})", report.failures.len(), report.n_detections, show("run_report.md"));
        }
        Ok(())
    }
}
