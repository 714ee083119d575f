//! The `#[npy(...)]` attributes, read with `parse_nested_meta`. Unknown and repeated keys
//! are errors spanning the key; every error is recorded in the [`Ctxt`] and parsing goes on.

use proc_macro2::Span;
use syn::meta::ParseNestedMeta;
use syn::spanned::Spanned;
use syn::{Attribute, LitStr};

use crate::ctxt::Ctxt;

/// How the record's fields are laid out in the written dtype.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Layout {
    /// One after the other, no padding (NumPy's default).
    Packed,
    /// NumPy's `align=True`: as a C compiler lays out a struct of these fields.
    Aligned,
    /// The struct's own memory: real field offsets and `size_of::<Self>()` (`#[repr(C)]`).
    Memory,
}

/// One attribute value with the span of the key that set it.
struct Setting<T> {
    name: &'static str,
    value: Option<(T, Span)>,
}

impl<T> Setting<T> {
    fn new(name: &'static str) -> Self {
        Setting { name, value: None }
    }

    fn set(&mut self, cx: &Ctxt, meta: &ParseNestedMeta<'_>, value: T) {
        if self.value.is_some() {
            cx.error_spanned_by(
                &meta.path,
                format!("duplicate npy attribute `{}`", self.name),
            );
        } else {
            self.value = Some((value, meta.path.span()));
        }
    }

    fn get(self) -> Option<(T, Span)> {
        self.value
    }
}

/// Attributes of the struct.
pub struct Container {
    /// The path of the npy-serde crate (`::npy_serde` unless `#[npy(crate = "...")]`).
    pub krate: syn::Path,
    pub layout: Layout,
    /// `#[npy(pod)]` (its span): reads and writes records whose bytes are the struct's
    /// memory in bulk.
    pub pod: Option<Span>,
}

const CONTAINER_KEYS: &str = "`align`, `packed`, `pod`, `crate`";
const FIELD_KEYS: &str = "`rename`";

/// Skips the value of an attribute key that is being rejected, so parsing can go on.
fn skip_value(meta: &ParseNestedMeta<'_>) -> syn::Result<()> {
    if meta.input.peek(syn::Token![=]) {
        meta.value()?.parse::<syn::Expr>()?;
    } else if meta.input.peek(syn::token::Paren) {
        meta.parse_nested_meta(|inner| skip_value(&inner))?;
    }
    Ok(())
}

fn path_text(path: &syn::Path) -> String {
    quote::ToTokens::to_token_stream(path)
        .to_string()
        .replace(' ', "")
}

fn npy_attrs(attrs: &[Attribute]) -> impl Iterator<Item = &Attribute> {
    attrs.iter().filter(|attr| attr.path().is_ident("npy"))
}

/// The first `#[repr(...)]` key among `keys` in `attrs`.
fn find_repr(attrs: &[Attribute], keys: &[&str]) -> Option<syn::Path> {
    attrs
        .iter()
        .filter(|attr| attr.path().is_ident("repr"))
        .find_map(|attr| {
            let mut found = None;
            let _ = attr.parse_nested_meta(|meta| {
                if found.is_none() && keys.iter().any(|key| meta.path.is_ident(key)) {
                    found = Some(meta.path.clone());
                }
                skip_value(&meta)
            });
            found
        })
}

/// The struct's `#[repr(C)]` or `#[repr(transparent)]`, if it has one.
fn repr_c(attrs: &[Attribute]) -> Option<syn::Path> {
    find_repr(attrs, &["C", "transparent"])
}

impl Container {
    pub fn from_ast(cx: &Ctxt, input: &syn::DeriveInput) -> Container {
        let mut krate = Setting::new("crate");
        let mut align = Setting::new("align");
        let mut packed = Setting::new("packed");
        let mut pod = Setting::new("pod");
        for attr in npy_attrs(&input.attrs) {
            let parsed = attr.parse_nested_meta(|meta| {
                if meta.path.is_ident("crate") {
                    let text: LitStr = meta.value()?.parse()?;
                    let path: syn::Path = text.parse()?;
                    krate.set(cx, &meta, path);
                } else if meta.path.is_ident("align") {
                    align.set(cx, &meta, ());
                } else if meta.path.is_ident("packed") {
                    packed.set(cx, &meta, ());
                } else if meta.path.is_ident("pod") {
                    pod.set(cx, &meta, ());
                } else {
                    let key = path_text(&meta.path);
                    let hint = if key == "rename" {
                        " (`rename` goes on a field)"
                    } else {
                        ""
                    };
                    cx.error_spanned_by(
                        &meta.path,
                        format!(
                            "unknown npy attribute `{key}` on a struct{hint}; expected one of {CONTAINER_KEYS}"
                        ),
                    );
                    skip_value(&meta)?;
                }
                Ok(())
            });
            if let Err(error) = parsed {
                cx.syn_error(error);
            }
        }

        let repr = repr_c(&input.attrs);
        if let Some(path) = find_repr(&input.attrs, &["packed"]) {
            cx.error_spanned_by(
                &path,
                "#[repr(packed)] structs are not supported: their fields cannot be borrowed \
                 (they may be unaligned). For a packed dtype use #[npy(packed)], which is the \
                 default without #[repr(C)]",
            );
        }
        let align = align.get();
        let packed = packed.get();
        let pod = pod.get();
        if let (Some((_, span)), Some(_)) = (&align, &packed) {
            cx.syn_error(syn::Error::new(
                *span,
                "`align` and `packed` choose opposite layouts; keep one",
            ));
        }
        if let Some((_, span)) = &pod {
            if repr.is_none() {
                cx.syn_error(syn::Error::new(
                    *span,
                    "`pod` reads records as the struct's memory, which needs #[repr(C)] (or #[repr(transparent)])",
                ));
            }
            if let Some((_, layout_span)) = align.as_ref().or(packed.as_ref()) {
                cx.syn_error(syn::Error::new(
                    *layout_span,
                    "a `pod` struct is written in its own memory layout; remove `align`/`packed`",
                ));
            }
        }
        let layout = match (align, packed, repr) {
            (Some(_), _, _) => Layout::Aligned,
            (None, Some(_), _) => Layout::Packed,
            (None, None, Some(_)) => Layout::Memory,
            (None, None, None) => Layout::Packed,
        };
        Container {
            krate: krate
                .get()
                .map_or_else(|| syn::parse_quote!(::npy_serde), |(path, _)| path),
            layout,
            pod: pod.map(|(_, span)| span),
        }
    }
}

/// Attributes of a field.
pub struct FieldAttrs {
    /// The NumPy field name: `rename`, else the Rust name.
    pub name: String,
    /// The span of `rename`'s value, when given, for errors about the name.
    pub name_span: Option<Span>,
}

impl FieldAttrs {
    pub fn from_ast(cx: &Ctxt, field: &syn::Field, rust_name: String) -> FieldAttrs {
        let mut rename = Setting::new("rename");
        for attr in npy_attrs(&field.attrs) {
            let parsed = attr.parse_nested_meta(|meta| {
                if meta.path.is_ident("rename") {
                    let text: LitStr = meta.value()?.parse()?;
                    rename.set(cx, &meta, text);
                } else {
                    let key = path_text(&meta.path);
                    let hint = if matches!(key.as_str(), "align" | "packed" | "pod" | "crate") {
                        " (it goes on the struct)"
                    } else {
                        ""
                    };
                    cx.error_spanned_by(
                        &meta.path,
                        format!(
                            "unknown npy attribute `{key}` on a field{hint}; expected {FIELD_KEYS}"
                        ),
                    );
                    skip_value(&meta)?;
                }
                Ok(())
            });
            if let Err(error) = parsed {
                cx.syn_error(error);
            }
        }
        match rename.get() {
            Some((text, _)) => {
                let name = text.value();
                if name.is_empty() {
                    cx.error_spanned_by(
                        &text,
                        "a NumPy field name cannot be empty: '' entries are padding",
                    );
                }
                FieldAttrs {
                    name,
                    name_span: Some(text.span()),
                }
            }
            None => FieldAttrs {
                name: rust_name,
                name_span: None,
            },
        }
    }
}
