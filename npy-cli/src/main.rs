//! `npy`: look into, compare and convert NumPy `.npy` / `.npz` files from the shell.
//!
//! Commands: `ls`, `show`, `stats`, `diff`, `convert`, `verify`, `hist`; each takes `--json`
//! for scripts (the schema is in each command's `--help`). Errors are one line on stderr
//! naming the file and member, with exit status 2; `diff` exits 1 when the inputs differ.

mod cmd;
mod error;
mod input;
mod numeric;
mod print;
mod table;

use std::io::Write;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::error::Result;

/// Look into, compare and convert NumPy .npy / .npz files.
#[derive(Parser)]
#[command(
    name = "npy",
    version,
    after_help = "Examples:\n  npy ls checkpoint.npz\n  npy show weights.npy --rows 0:5\n  \
                  npy stats epoch3.npz\n  npy diff epoch3.npz epoch4.npz --rtol 1e-5\n\n\
                  Exit status: 0 success, 1 differences found (diff), 2 error."
)]
struct Cli {
    /// Print JSON for scripts instead of text (schema in each command's --help).
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    Ls(cmd::ls::Args),
    Show(cmd::show::Args),
    Stats(cmd::stats::Args),
    Diff(cmd::diff::Args),
    Convert(cmd::convert::Args),
    Verify(cmd::verify::Args),
    Hist(cmd::hist::Args),
}

/// What a command prints and its exit status.
pub struct Outcome {
    pub text: String,
    pub status: u8,
}

impl Outcome {
    pub fn ok(text: String) -> Outcome {
        Outcome { text, status: 0 }
    }
}

fn run(cli: Cli) -> Result<Outcome> {
    let json = cli.json;
    match cli.command {
        Command::Ls(args) => cmd::ls::run(args, json),
        Command::Show(args) => cmd::show::run(args, json),
        Command::Stats(args) => cmd::stats::run(args, json),
        Command::Diff(args) => cmd::diff::run(args, json),
        Command::Convert(args) => cmd::convert::run(args, json),
        Command::Verify(args) => cmd::verify::run(args, json),
        Command::Hist(args) => cmd::hist::run(args, json),
    }
}

fn main() -> ExitCode {
    // A bug must still end as one line and status 2, never a backtrace in a pipeline.
    std::panic::set_hook(Box::new(|info| {
        let message = info.to_string().replace('\n', " ");
        eprintln!("npy: internal error (please report): {message}");
    }));
    let cli = Cli::parse();
    let result = std::panic::catch_unwind(|| run(cli));
    match result {
        Ok(Ok(outcome)) => {
            let mut stdout = std::io::stdout().lock();
            let mut text = outcome.text;
            if !text.is_empty() && !text.ends_with('\n') {
                text.push('\n');
            }
            // A closed pipe (`npy show big.npy | head`) is not an error.
            match stdout
                .write_all(text.as_bytes())
                .and_then(|()| stdout.flush())
            {
                Ok(()) => ExitCode::from(outcome.status),
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
                    ExitCode::from(outcome.status)
                }
                Err(e) => {
                    eprintln!("npy: error: writing the output: {e}");
                    ExitCode::from(2)
                }
            }
        }
        Ok(Err(error)) => {
            eprintln!("npy: error: {}", error.one_line());
            ExitCode::from(2)
        }
        Err(_) => ExitCode::from(2),
    }
}
