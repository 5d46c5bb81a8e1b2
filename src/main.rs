//! The `eqnemix` command-line program. Each subcommand lives in its own file
//! under `src/cli/`.

use clap::Parser;
use eqnemix::cancel::{Cancellation, Interrupted, EXIT_INTERRUPTED};

/// Ctrl-C (SIGINT) cancels `cancel`: the command finishes the events in
/// progress, writes what is finished and exits with 130. A second Ctrl-C
/// exits at once (temporary files left then are removed by the next run
/// into the same folder).
fn install_ctrl_c(cancel: &Cancellation) {
    let c = cancel.clone();
    let r = ctrlc::set_handler(move || {
        if c.is_cancelled() {
            eprintln!("\ninterrupted again: stopping now");
            std::process::exit(i32::from(EXIT_INTERRUPTED));
        }
        c.cancel();
        eprintln!("\ninterrupt: finishing the events in progress and writing what is done (Ctrl-C again stops at once)");
    });
    if let Err(e) = r {
        eprintln!("warning: Ctrl-C handler not installed ({e}): Ctrl-C will stop at once");
    }
}

fn main() -> std::process::ExitCode {
    let cli = eqnemix::cli::Cli::parse();
    let cancel = Cancellation::new();
    if cli.command.honours_cancellation() {
        install_ctrl_c(&cancel);
    }
    match cli.run(&cancel) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        // Closed stdout (`| head`): stop quietly, as Unix tools do.
        Err(e) if e.downcast_ref::<eqnemix::cli::StdoutClosed>().is_some() => std::process::ExitCode::from(141),
        Err(e) if e.downcast_ref::<Interrupted>().is_some() => {
            eprintln!("{e}");
            std::process::ExitCode::from(EXIT_INTERRUPTED)
        }
        Err(e) => {
            // The whole context chain: "reading picks.csv: line 4: field `p_arrival_time`: ..."
            eprintln!("error: {}", eqnemix::cli::error_text::error_text(&e));
            std::process::ExitCode::FAILURE
        }
    }
}
