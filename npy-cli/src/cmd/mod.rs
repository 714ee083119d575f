//! One module per command.

pub mod convert;
pub mod diff;
pub mod export;
pub mod hist;
pub mod ls;
pub mod show;
pub mod stats;
pub mod verify;
