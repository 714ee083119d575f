//! The CLI's one error type: a message that already names the file and member, printed as
//! one line on stderr with exit status 2.

use std::fmt;
use std::path::Path;

/// A failure to report: one line, naming the file (and member) concerned.
#[derive(Debug)]
pub struct CliError {
    message: String,
}

pub type Result<T, E = CliError> = std::result::Result<T, E>;

impl CliError {
    pub fn new(message: impl Into<String>) -> CliError {
        CliError {
            message: message.into(),
        }
    }

    pub fn io(path: &Path, error: std::io::Error) -> CliError {
        CliError::new(format!("{}: {error}", path.display()))
    }

    /// The message on one line (embedded newlines would break `2>` log parsing).
    pub fn one_line(&self) -> String {
        self.message.replace('\n', " ")
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}
