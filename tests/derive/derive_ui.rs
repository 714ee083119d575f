//! Compile-fail tests of `#[derive(NpyElement)]`: each file under `tests/ui/derive/` must fail
//! to compile with exactly the errors (messages and spans) in its `.stderr` file.
//! Regenerate the expected output after a deliberate change with `TRYBUILD=overwrite`.

#[test]
fn derive_errors() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/derive/*.rs");
}
