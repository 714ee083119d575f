//! How checkpoints are named: the file or object name of a step, and the step a name
//! holds. Shared by the directory and the object-store locations.

/// The file or object name of step `step`: `{name}_{step:010}.npz`.
pub(crate) fn file_name(name: &str, step: u64) -> String {
    format!("{name}_{step:010}.npz")
}

/// The step a file or object named `file` holds, when it is a checkpoint of `name`:
/// `{name}_` then digits then `.npz`. Temporary files (`.{file}.XXXXXX.tmp`) never match.
pub(crate) fn step_of(name: &str, file: &str) -> Option<u64> {
    let digits = file
        .strip_prefix(name)?
        .strip_prefix('_')?
        .strip_suffix(".npz")?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}
