//! Command-line interface: one file per subcommand, dispatched here.
//!
//! To add a subcommand: write `src/cli/NAME.rs` with a clap `Args` struct that
//! has `fn run(self) -> anyhow::Result<()>`, declare the module below and add
//! one variant to [`Command`] and one arm to [`Command::run`].

use clap::{Parser, Subcommand};

pub mod cluster;
pub mod config;
pub mod generate;
pub mod info;
pub mod locate;
pub mod pick;
pub mod traveltime;

/// eqnemix: probabilistic earthquake location from a single seismic station.
#[derive(Debug, Parser)]
#[command(name = "eqnemix", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print the components (travel-time models, samplers, networks) this build offers.
    Info(info::InfoArgs),
    /// Detect events and pick P and S arrivals in miniSEED with EQTransformer (CSV out).
    Pick(pick::PickArgs),
    /// Partition a catalog into K clusters (K-means on local km) and fit each cluster's Gaussian.
    Cluster(cluster::ClusterArgs),
    /// Compute the P and S travel-time grids of one station and write them as NonLinLoc TIME grids.
    Traveltime(traveltime::TraveltimeArgs),
    /// Locate every event of a picks file (posterior sampling, summaries, result files).
    Locate(locate::LocateArgs),
    /// Print a documented example configuration, or check one.
    Config(config::ConfigArgs),
    /// Write a synthetic data set: continuous 3C miniSEED with local earthquakes, true catalog and picks.
    Generate(generate::GenerateArgs),
}

impl Command {
    /// Run the chosen subcommand.
    pub fn run(self) -> anyhow::Result<()> {
        match self {
            Command::Info(a) => a.run(),
            Command::Pick(a) => a.run(),
            Command::Cluster(a) => a.run(),
            Command::Traveltime(a) => a.run(),
            Command::Locate(a) => a.run(),
            Command::Config(a) => a.run(),
            Command::Generate(a) => a.run(),
        }
    }
}
