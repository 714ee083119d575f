//! `npy convert` (stub).
use crate::error::{CliError, Result};
use crate::Outcome;

/// convert
#[derive(clap::Args)]
pub struct Args {}

pub fn run(_args: Args, _json: bool) -> Result<Outcome> {
    Err(CliError::new("not yet"))
}
