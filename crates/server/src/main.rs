//! `godkend-server`: parses the command line and reports errors as one clear line.

use clap::Parser as _;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = godkend_server::cli::Cli::parse();
    match godkend_server::cli::run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            // The chain's messages, outermost first, on one line; never a backtrace.
            let message = e
                .chain()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(": ");
            eprintln!("error: {message}");
            std::process::ExitCode::FAILURE
        }
    }
}
