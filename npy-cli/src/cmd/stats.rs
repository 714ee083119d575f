//! `npy stats` (stub).
use crate::error::{CliError, Result};
use crate::Outcome;

/// stats
#[derive(clap::Args)]
pub struct Args {}

pub fn run(_args: Args, _json: bool) -> Result<Outcome> {
    Err(CliError::new("not yet"))
}
