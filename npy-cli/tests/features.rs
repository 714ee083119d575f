//! The `npy` features of the second round, each against NumPy where NumPy has an answer:
//! object arrays (`--allow-pickle`), text export (`.csv` / `.tsv`), the PNG histogram as a
//! picture, shell completions and the manual page, progress bars, URLs (moto's S3 server).

mod common;

#[path = "features/objects.rs"]
mod objects;
#[path = "features/png.rs"]
mod png;
#[path = "features/remote.rs"]
mod remote;
#[path = "features/shell.rs"]
mod shell;
#[path = "features/text.rs"]
mod text;
