//! `npy`: look into, compare and convert NumPy `.npy` / `.npz` files from the shell.
//!
//! Commands: `ls`, `show`, `stats`, `diff`, `convert`, `verify`, `hist`; each takes `--json`
//! for scripts (the schema is in each command's `--help`) and `--allow-pickle` (object
//! arrays through the library's safe pickle reader). `completions SHELL` and `man` print a
//! shell completion script and the manual page. Errors are one line on stderr
//! naming the file and member, with exit status 2; `diff` exits 1 when the inputs differ.

mod cmd;
mod error;
mod input;
mod numeric;
mod print;
mod printf;
mod progress;
mod reading;
mod remote;
mod table;

use std::io::Write;
use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};

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
    /// Read object arrays (dtype=object) with the safe pickle reader: plain Python values
    /// only (str, int, float, list, dict, ...), no code is run. Without it they are refused.
    #[arg(long, global = true)]
    allow_pickle: bool,
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
    Completions(Completions),
    Man(Man),
}

/// Print a shell completion script (bash, zsh, fish, elvish, powershell).
#[derive(clap::Args)]
#[command(after_help = "Examples:
  npy completions bash > ~/.local/share/bash-completion/completions/npy
  npy completions zsh > ~/.zfunc/_npy       (with fpath+=~/.zfunc before compinit)
  npy completions fish > ~/.config/fish/completions/npy.fish")]
struct Completions {
    /// The shell.
    shell: clap_complete::Shell,
}

/// Print the manual page (roff): `npy man > ~/.local/share/man/man1/npy.1`.
#[derive(clap::Args)]
struct Man {}

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
    input::set_allow_pickle(cli.allow_pickle);
    match cli.command {
        Command::Ls(args) => cmd::ls::run(args, json),
        Command::Show(args) => cmd::show::run(args, json),
        Command::Stats(args) => cmd::stats::run(args, json),
        Command::Diff(args) => cmd::diff::run(args, json),
        Command::Convert(args) => cmd::convert::run(args, json),
        Command::Verify(args) => cmd::verify::run(args, json),
        Command::Hist(args) => cmd::hist::run(args, json),
        Command::Completions(args) => {
            let mut script = Vec::new();
            clap_complete::generate(args.shell, &mut Cli::command(), "npy", &mut script);
            Ok(Outcome::ok(String::from_utf8_lossy(&script).into_owned()))
        }
        Command::Man(_) => {
            let mut page = Vec::new();
            clap_mangen::Man::new(Cli::command())
                .render(&mut page)
                .map_err(|e| error::CliError::new(format!("writing the manual page: {e}")))?;
            Ok(Outcome::ok(String::from_utf8_lossy(&page).into_owned()))
        }
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
