//! The `rollsim` command: a thin shell over the library that maps errors to exit codes.
#![forbid(unsafe_code)]

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Deterministic discrete-event simulator of Kubernetes Deployment rolling updates.
#[derive(Parser)]
#[command(name = "rollsim", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Play the built-in lesson (nginx 1.21 → 1.22 with minReadySeconds 15, 4 replicas) and
    /// print the Deployment controller's steps on the virtual clock.
    Run {
        /// A scenario file (not yet supported: only the built-in lesson runs today).
        scenario: Option<std::path::PathBuf>,
        /// Seed of every random stream.
        #[arg(long, default_value_t = 42)]
        seed: u64,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Run {
            scenario: Some(path),
            ..
        } => {
            eprintln!(
                "error: {}: scenario files are not supported yet; run `rollsim run` for the built-in lesson",
                path.display()
            );
            ExitCode::from(2)
        }
        Command::Run {
            scenario: None,
            seed,
        } => match rollsim::lesson::play(seed) {
            Ok((cluster, log)) => {
                for line in log {
                    println!("[{}] {}", line.time, line.text);
                }
                println!(
                    "events processed: {}  virtual time: {}  trace digest: {}  seed: {seed}",
                    cluster.events_processed(),
                    cluster.now(),
                    cluster.trace_digest()
                );
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::from(1)
            }
        },
    }
}
