//! `#[derive(NpyElement)]`: makes a Rust struct the element type of a NumPy record
//! (structured) array. Use it through `npy-serde` with the `derive` feature
//! (`use npy_serde::NpyElement;`); the generated code and its rules are documented in
//! `npy_serde::record`.
//!
//! Structure (as serde_derive): this file only parses the input and hands it to
//! [`expand::expand`]; `attr` reads the `#[npy(...)]` attributes, `ctxt` collects every
//! error with its span so that all of them are reported at once, `bound` adds the where
//! clauses generic structs need.

mod attr;
mod bound;
mod ctxt;
mod expand;

use proc_macro::TokenStream;
use syn::{parse_macro_input, DeriveInput};

/// Derives `npy_serde::NpyElement` and `npy_serde::FixedElement` for a struct with named
/// fields, each of a fixed-width element type.
///
/// Attributes: `#[npy(rename = "name")]` on fields; on the struct `#[npy(align)]` (NumPy's
/// `align=True` layout), `#[npy(packed)]`, `#[npy(pod)]` (zero-copy reads and writes; needs
/// `#[repr(C)]` and `bytemuck::Pod`) and `#[npy(crate = "path")]` (where npy-serde is).
#[proc_macro_derive(NpyElement, attributes(npy))]
pub fn derive_npy_element(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    expand::expand(&input)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}
