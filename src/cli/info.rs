//! `eqnemix info`: what this build offers.

use clap::Args;

/// Arguments of `eqnemix info` (none yet).
#[derive(Debug, Args)]
pub struct InfoArgs {}

impl InfoArgs {
    /// Print the crate versions of the workspace.
    pub fn run(self) -> anyhow::Result<()> {
        outln!("eqnemix {}", env!("CARGO_PKG_VERSION"));
        Ok(())
    }
}
