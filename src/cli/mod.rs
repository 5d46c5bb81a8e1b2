//! Command-line interface: one file per subcommand, dispatched here.
//!
//! To add a subcommand: write `src/cli/NAME.rs` with a clap `Args` struct that
//! has `fn run(self) -> anyhow::Result<()>`, declare the module below and add
//! one variant to [`Command`] and one arm to [`Command::run`].

use crate::memory_budget::MemoryBudget;
use clap::{Parser, Subcommand};

/// Standard output was closed by its reader (e.g. `eqnemix locate … | head`).
/// `main` exits quietly on it, with status 141 (128 + SIGPIPE) as a Unix
/// tool killed by the broken pipe would.
#[derive(Debug, thiserror::Error)]
#[error("standard output was closed")]
pub struct StdoutClosed;

/// Write `args` to standard output and flush. A broken pipe becomes
/// [`StdoutClosed`]; any other failure an error saying so.
pub fn write_stdout(args: std::fmt::Arguments) -> anyhow::Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out.write_fmt(args).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Err(StdoutClosed.into()),
        Err(e) => Err(anyhow::Error::new(e).context("writing to standard output")),
    }
}

/// `print!` for the subcommands' `run`: returns (with `?`) instead of
/// panicking when standard output is closed. See [`write_stdout`].
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::cli::write_stdout(format_args!($($arg)*))?
    };
}

/// `println!` for the subcommands' `run`; see [`out!`].
macro_rules! outln {
    ($($arg:tt)*) => {
        $crate::cli::write_stdout(format_args!("{}\n", format_args!($($arg)*)))?
    };
}

pub mod cluster;
pub mod cnq;
pub mod config;
pub mod error_text;
pub mod generate;
pub mod info;
pub mod locate;
pub mod pick;
pub mod run;
pub mod traveltime;

/// eqnemix: probabilistic earthquake location from a single seismic station.
#[derive(Debug, Parser)]
#[command(name = "eqnemix", version, about, long_about = None)]
pub struct Cli {
    /// Memory limit (GB, 10⁹ bytes) that every size a user controls (grid
    /// nodes, draws, chains, particles, cells, record lengths) is checked
    /// against before anything is allocated [default:
    /// EQNEMIX_MEMORY_LIMIT_GB, else the configuration's [limits]
    /// memory_gb, else 3/4 of the machine's memory].
    #[arg(long, global = true, value_name = "GB", allow_hyphen_values = true)]
    pub memory_limit: Option<f64>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// `--memory-limit` of this process's command line, set once by
/// [`Cli::run`] (library code takes a [`MemoryBudget`] argument instead).
static MEMORY_LIMIT_FLAG: std::sync::OnceLock<Option<f64>> = std::sync::OnceLock::new();

/// The memory limit of a subcommand: `--memory-limit`, else
/// `EQNEMIX_MEMORY_LIMIT_GB`, else `config_gb` (a configuration's
/// `[limits] memory_gb`), else 3/4 of the machine's memory (see
/// [`crate::memory_budget`]).
pub fn memory_budget(config_gb: Option<f64>) -> anyhow::Result<MemoryBudget> {
    let flag = MEMORY_LIMIT_FLAG.get().copied().flatten();
    MemoryBudget::resolve(flag, config_gb).map_err(|e| anyhow::anyhow!(e))
}

impl Cli {
    /// Run the chosen subcommand with the global options.
    pub fn run(self, cancel: &crate::cancel::Cancellation) -> anyhow::Result<()> {
        let _ = MEMORY_LIMIT_FLAG.set(self.memory_limit);
        // A bad limit is an error even for commands that allocate little.
        memory_budget(None)?;
        self.command.run(cancel)
    }
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// The whole pipeline: miniSEED -> picks -> cluster probabilities -> located catalog, maps and a run report.
    Run(run::RunArgs),
    /// Print the components (travel-time models, samplers, networks) this build offers.
    Info(info::InfoArgs),
    /// Detect events and pick P and S arrivals in miniSEED with EQTransformer (CSV out).
    ///
    /// Records of any length are read a chunk at a time (--chunk-s), in
    /// memory that does not grow with the record (about 130 MB for a
    /// station-day); gaps longer than --max-gap-s split them into segments
    /// picked separately; mis-dated records are refused by file and record.
    Pick(pick::PickCommand),
    /// Partition a catalog into K clusters (K-means on local km) and fit each cluster's Gaussian.
    Cluster(cluster::ClusterArgs),
    /// Compute the P and S travel-time grids of one station and write them as NonLinLoc TIME grids.
    Traveltime(traveltime::TraveltimeArgs),
    /// Locate every event of a picks file (posterior sampling, summaries, result files).
    Locate(locate::LocateArgs),
    /// Print a documented example configuration, or check one.
    Config(config::ConfigArgs),
    /// ConvNetQuake: labelled 10 s event windows from continuous miniSEED and a clustered catalog.
    #[command(alias = "create_dataset_events")]
    CreateDatasetEvents(cnq::CreateDatasetEventsArgs),
    /// ConvNetQuake: 10 s noise windows where the catalog has no event.
    #[command(alias = "create_dataset_noise")]
    CreateDatasetNoise(cnq::CreateDatasetNoiseArgs),
    /// ConvNetQuake: augment a window dataset (Gaussian noise, stretch, compress, shift).
    #[command(alias = "data_augmentation")]
    DataAugmentation(cnq::DataAugmentationArgs),
    /// ConvNetQuake: train with PyTorch (CPU), export ONNX, keep checkpoints, draw the training curve.
    Train(cnq::TrainArgs),
    /// ConvNetQuake: accuracy on event and noise windows and the confusion matrix.
    Evaluate(cnq::EvaluateArgs),
    /// ConvNetQuake: per-window noise and cluster probabilities over continuous miniSEED (CSV).
    Classify(cnq::ClassifyArgs),
    /// Write a synthetic data set: continuous 3C miniSEED with local earthquakes, true catalog and picks.
    Generate(generate::GenerateArgs),
}

impl Command {
    /// Whether the subcommand stops cleanly when its [`Cancellation`] is
    /// cancelled (`run`, `locate`: inside the sampler of each event in progress). `main` installs its
    /// Ctrl-C handler for these only; the others keep the default (the
    /// process ends at once).
    ///
    /// [`Cancellation`]: crate::cancel::Cancellation
    pub fn honours_cancellation(&self) -> bool {
        matches!(self, Command::Run(_) | Command::Locate(_))
    }

    /// Run the chosen subcommand. `cancel` stops `run` and `locate` between
    /// events (they then return [`crate::cancel::Interrupted`]).
    pub fn run(self, cancel: &crate::cancel::Cancellation) -> anyhow::Result<()> {
        match self {
            Command::Run(a) => a.run(cancel),
            Command::Info(a) => a.run(),
            Command::Pick(a) => a.run(),
            Command::Cluster(a) => a.run(),
            Command::Traveltime(a) => a.run(),
            Command::Locate(a) => a.run(cancel),
            Command::Config(a) => a.run(),
            Command::CreateDatasetEvents(a) => a.run(),
            Command::CreateDatasetNoise(a) => a.run(),
            Command::DataAugmentation(a) => a.run(),
            Command::Train(a) => a.run(),
            Command::Evaluate(a) => a.run(),
            Command::Classify(a) => a.run(),
            Command::Generate(a) => a.run(),
        }
    }
}
