//! `eqnemix config`: print or check configurations.
//!
//! ```text
//! eqnemix config --example            # a documented config with every default (every sampler's too)
//! eqnemix config --check FILE         # parse and validate FILE, print it in full
//! ```

use crate::config::{example_config, LocateConfig};
use anyhow::{bail, Result};
use clap::Args;
use std::path::PathBuf;

/// Arguments of `eqnemix config`.
#[derive(Debug, Args)]
pub struct ConfigArgs {
    /// Print a complete, commented example configuration (every default).
    #[arg(long, conflicts_with = "check")]
    pub example: bool,
    /// Validate a configuration file and print it with every default filled in.
    #[arg(long, value_name = "FILE")]
    pub check: Option<PathBuf>,
}

impl ConfigArgs {
    /// Run the command.
    pub fn run(self) -> Result<()> {
        if self.example {
            out!("{}", example_config());
            return Ok(());
        }
        if let Some(p) = self.check {
            let cfg = LocateConfig::from_file(&p)?;
            // What `locate` could not allocate is refused here too.
            let budget = super::memory_budget(cfg.limits.memory_gb)?;
            cfg.check_memory(&budget, 1).map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))?;
            let base_dir = p.parent().map(PathBuf::from).unwrap_or_default();
            cfg.check_file_memory(&base_dir, &budget, &[]).map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))?;
            out!("{}", cfg.to_toml_string()?);
            return Ok(());
        }
        bail!("give --example or --check FILE")
    }
}
