//! `#[derive(NpyElement)]`: records without NumPy, hygiene (`derive_hygiene` compiles
//! without the prelude), interop with real NumPy, the compile-fail UI tests and the record
//! plan's property test. One test binary; each module is one former test file.

mod derive;
mod derive_hygiene;
mod derive_interop;
mod derive_ui;
mod record_plan;
