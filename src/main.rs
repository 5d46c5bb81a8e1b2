//! The `eqnemix` command-line program. Each subcommand lives in its own file
//! under `src/cli/`.

use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = eqnemix::cli::Cli::parse();
    match cli.run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        // Closed stdout (`| head`): stop quietly, as Unix tools do.
        Err(e) if e.downcast_ref::<eqnemix::cli::StdoutClosed>().is_some() => std::process::ExitCode::from(141),
        Err(e) => {
            // `{:#}` prints the whole context chain: "reading picks.csv: line 4: field `p_arrival_time`: ..."
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
