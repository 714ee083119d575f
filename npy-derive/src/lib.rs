//! `#[derive(NpyElement)]`: makes a Rust struct the element type of a NumPy record
//! (structured) array. Use it through `npy-serde` with the `derive` feature
//! (`use npy_serde::NpyElement;`); its rules are documented in npy-serde's crate docs
//! ("Record dtypes") and the generated code calls `npy_serde::__private`.
//!
//! Structure (as serde_derive): this file only parses the input and hands it to
//! `expand::expand`; `attr` reads the `#[npy(...)]` attributes, `ctxt` collects every
//! error with its span so that all of them are reported at once, `bound` adds the where
//! clauses generic structs need.

mod attr;
mod bound;
mod ctxt;
mod expand;

use proc_macro::TokenStream;
use syn::{parse_macro_input, DeriveInput};

/// Derives `npy_serde::NpyElement` and `npy_serde::element::FixedElement` for a struct with named
/// fields, making it the element type of a NumPy record (structured) array.
///
/// Field types must be fixed-width elements: numbers, `bool`, `f16`, complex numbers,
/// arrays `[T; N]` and `[[T; N]; M]` (NumPy subarrays), other structs deriving
/// `NpyElement` (nested records), `FixedUnicode<N>`, `FixedBytes<N>`, `DateTime64<U>` and
/// `TimeDelta64<U>`. Generic structs get a `FixedElement` bound on each field type that
/// uses a type parameter.
///
/// Attributes:
/// - `#[npy(rename = "name")]` on a field: its NumPy name.
/// - `#[npy(align)]`: NumPy's `align=True` layout (padding written as `('', '|Vn')`).
/// - `#[npy(packed)]`: the packed layout even for a `#[repr(C)]` struct.
/// - Neither: packed (NumPy's default), except for `#[repr(C)]`/`#[repr(transparent)]`
///   structs, whose dtype is their own memory (real offsets, `size_of::<Self>()`).
/// - `#[npy(pod)]`: reads and writes in bulk when the file's dtype is the struct's memory;
///   needs `#[repr(C)]` (or `transparent`) and `bytemuck::Pod`.
/// - `#[npy(crate = "path")]`: where npy-serde is, when it is re-exported.
///
/// Reading matches fields by name (other order, extra fields, padding, either byte order,
/// lossless widening); see npy-serde's crate docs ("Record dtypes") for the rules.
///
/// ```
/// use npy_serde::element::FixedElement;
/// use npy_serde::{npy, NpyElement};
///
/// #[derive(NpyElement, Debug, Clone, PartialEq)]
/// struct Point {
///     x: f64,
///     y: i32,
///     pos: [f32; 3],
/// }
///
/// assert_eq!(
///     Point::dtype().to_string(),
///     "[('x', '<f8'), ('y', '<i4'), ('pos', '<f4', (3,))]"
/// );
/// let points = vec![Point { x: 1.0, y: 2, pos: [3.0, 4.0, 5.0] }];
/// let back: Vec<Point> = npy::from_slice(&npy::to_vec(&points)?)?;
/// assert_eq!(back, points);
/// # Ok::<(), npy_serde::Error>(())
/// ```
#[proc_macro_derive(NpyElement, attributes(npy))]
pub fn derive_npy_element(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    expand::expand(&input)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}
