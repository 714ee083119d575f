//! `#[derive(NpyElement)]`: makes a Rust struct the element type of a NumPy record
//! (structured) array. Use it through `npy-serde` with the `derive` feature.

use proc_macro::TokenStream;

/// Derives `npy_serde::NpyElement` for a struct with named fields.
#[proc_macro_derive(NpyElement, attributes(npy))]
pub fn derive_npy_element(_input: TokenStream) -> TokenStream {
    TokenStream::new()
}
