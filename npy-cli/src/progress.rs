//! Progress bars on stderr for long runs (`stats`, `verify`, `convert`): drawn only when
//! stderr is a terminal and the input is large, so pipes, logs and redirected output never
//! receive escape codes.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressStyle};

/// Inputs smaller than this finish too soon for a bar to help.
pub const PROGRESS_BYTES: u64 = 256 << 20;

/// A byte-counting bar for `total` bytes, or `None` when stderr is not a terminal or the
/// input is small. `NPY_PROGRESS=always` draws it for any size on a terminal (for trying
/// it out); stderr must still be a terminal.
pub fn bar(total: u64, what: &str) -> Option<ProgressBar> {
    let always = std::env::var_os("NPY_PROGRESS").is_some_and(|v| v == "always");
    if !(always || total >= PROGRESS_BYTES) || !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = ProgressBar::new(total);
    bar.set_style(
        ProgressStyle::with_template(&format!(
            "{what} {{bar:40}} {{bytes}}/{{total_bytes}} {{bytes_per_sec}} eta {{eta}}"
        ))
        .expect("a valid template"),
    );
    Some(bar)
}
