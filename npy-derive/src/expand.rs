//! Code generation: checks the input, then writes the `FixedElement` and `NpyElement` impls.
//!
//! The generated code only calls `npy_serde::__private` (the derive runtime, where the rules live) and the field
//! types' own `NpyElement` impls, through fully qualified paths, inside `const _: () = {…};`
//! so that it neither needs nor adds names in the user's scope and works under
//! `#![no_implicit_prelude]`.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote_spanned};
use syn::ext::IdentExt;
use syn::spanned::Spanned;
use syn::{Data, DeriveInput, Fields, Type};

use crate::attr::{Container, FieldAttrs, Layout};
use crate::bound;
use crate::ctxt::Ctxt;

/// One field of the struct, checked.
struct RecordField<'a> {
    ident: &'a syn::Ident,
    ty: &'a Type,
    /// The NumPy field name.
    name: String,
}

/// Generates the impls for `input`, or every error found in it.
pub fn expand(input: &DeriveInput) -> syn::Result<TokenStream> {
    let cx = Ctxt::new();
    let container = Container::from_ast(&cx, input);
    let fields = record_fields(&cx, input);
    cx.check()?;
    Ok(generate(input, &container, &fields))
}

fn record_fields<'a>(cx: &Ctxt, input: &'a DeriveInput) -> Vec<RecordField<'a>> {
    let named = match &input.data {
        Data::Struct(data) => match &data.fields {
            Fields::Named(named) if !named.named.is_empty() => named,
            Fields::Named(named) => {
                cx.error_spanned_by(
                    named,
                    "NpyElement needs at least one field: a record without fields holds nothing",
                );
                return Vec::new();
            }
            Fields::Unnamed(unnamed) => {
                cx.error_spanned_by(
                    unnamed,
                    "NpyElement cannot be derived for a tuple struct: NumPy record fields have \
                     names; use a struct with named fields",
                );
                return Vec::new();
            }
            Fields::Unit => {
                cx.error_spanned_by(
                    &input.ident,
                    "NpyElement cannot be derived for a unit struct: a record needs named fields",
                );
                return Vec::new();
            }
        },
        Data::Enum(data) => {
            cx.error_spanned_by(
                data.enum_token,
                "NpyElement cannot be derived for an enum: NumPy records are structs with named \
                 fields",
            );
            return Vec::new();
        }
        Data::Union(data) => {
            cx.error_spanned_by(
                data.union_token,
                "NpyElement cannot be derived for a union: NumPy records are structs with named \
                 fields",
            );
            return Vec::new();
        }
    };
    let mut fields: Vec<RecordField<'a>> = Vec::new();
    for field in &named.named {
        let ident = field.ident.as_ref().expect("named field");
        let attrs = FieldAttrs::from_ast(cx, field, ident.unraw().to_string());
        check_field_type(cx, &field.ty);
        if fields.iter().any(|other| other.name == attrs.name) {
            let message = format!(
                "two fields are named {:?} in the record; rename one with #[npy(rename = \"...\")]",
                attrs.name
            );
            match attrs.name_span {
                Some(span) => cx.syn_error(syn::Error::new(span, message)),
                None => cx.error_spanned_by(ident, message),
            }
        }
        fields.push(RecordField {
            ident,
            ty: &field.ty,
            name: attrs.name,
        });
    }
    fields
}

/// Rejects, with a hint, types that can never be a fixed-width record field. Other types
/// are checked by the compiler through the `FixedElement` bound, at the field's span.
fn check_field_type(cx: &Ctxt, ty: &Type) {
    let why = match ty {
        Type::Array(array) => return check_field_type(cx, &array.elem),
        Type::Paren(inner) => return check_field_type(cx, &inner.elem),
        Type::Group(inner) => return check_field_type(cx, &inner.elem),
        Type::Reference(_) | Type::Ptr(_) => {
            "a record field holds its value inline; references and pointers have no NumPy dtype"
                .to_string()
        }
        Type::Slice(_) => {
            "a slice has no fixed length; use an array [T; N] (a NumPy subarray)".to_string()
        }
        Type::Tuple(_) => {
            "tuples have no NumPy dtype; use a struct deriving NpyElement (a nested record)"
                .to_string()
        }
        Type::Path(path) if path.qself.is_none() => {
            let Some(last) = path.path.segments.last() else {
                return;
            };
            match last.ident.to_string().as_str() {
                "String" | "str" => {
                    "`String` has no fixed width; use npy_serde::element::FixedUnicode<N> \
                                     (NumPy '<UN')"
                        .to_string()
                }
                "Vec" => "`Vec` has no fixed length; use an array [T; N] (a NumPy subarray), or \
                          npy_serde::element::FixedBytes<N> for bytes"
                    .to_string(),
                "Option" | "Box" | "Rc" | "Arc" => {
                    format!(
                        "`{}` has no NumPy dtype; record fields are fixed-width values",
                        last.ident
                    )
                }
                _ => return,
            }
        }
        Type::Path(_) | Type::Macro(_) | Type::Verbatim(_) | Type::Infer(_) => return,
        _ => "this type has no NumPy dtype; record fields are fixed-width values".to_string(),
    };
    cx.error_spanned_by(ty, format!("unsupported record field type: {why}"));
}

/// True for the field types read in place by the one-pass gather: the primitive numbers
/// and arrays of them (by name: `field_at` checks that they are `Pod`).
fn is_plain(ty: &Type) -> bool {
    match ty {
        Type::Array(array) => is_plain(&array.elem),
        Type::Group(group) => is_plain(&group.elem),
        Type::Paren(paren) => is_plain(&paren.elem),
        Type::Path(path) if path.qself.is_none() => {
            path.path.segments.len() == 1
                && path.path.segments[0].arguments.is_empty()
                && matches!(
                    path.path.segments[0].ident.to_string().as_str(),
                    "f32" | "f64" | "i8" | "i16" | "i32" | "i64" | "u8" | "u16" | "u32" | "u64"
                )
        }
        _ => false,
    }
}

fn generate(input: &DeriveInput, container: &Container, fields: &[RecordField<'_>]) -> TokenStream {
    // Locals of the generated code resolve at the macro (mixed-site hygiene): a user's
    // constant named like one of them cannot capture it.
    let span = Span::mixed_site();
    let krate = &container.krate;
    let ident = &input.ident;
    let fixed: syn::Path = syn::parse_quote!(#krate::__private::FixedElement);
    let generics = bound::with_field_bounds(&input.generics, fields.iter().map(|f| f.ty), &fixed);
    let (impl_generics, ty_generics, where_clause) = generics.split_for_impl();

    let idents: Vec<&syn::Ident> = fields.iter().map(|f| f.ident).collect();
    let tys: Vec<&Type> = fields.iter().map(|f| f.ty).collect();
    let names: Vec<&str> = fields.iter().map(|f| f.name.as_str()).collect();
    let indices: Vec<usize> = (0..fields.len()).collect();
    let columns: Vec<syn::Ident> = fields
        .iter()
        .map(|f| format_ident!("__npy_{}", f.ident, span = Span::mixed_site()))
        .collect();
    // `<T as FixedElement>::dtype()` at the field type's span: an unsupported type is
    // reported on the field.
    let field_dtypes: Vec<TokenStream> = fields
        .iter()
        .map(|f| {
            let ty = f.ty;
            quote_spanned!(ty.span()=> <#ty as #fixed>::dtype())
        })
        .collect();

    let dtype_body = match container.layout {
        Layout::Packed => quote_spanned! {span=>
            #krate::__private::packed_dtype(::std::vec![#((#names, #field_dtypes)),*])
        },
        Layout::Aligned => quote_spanned! {span=>
            #krate::__private::aligned_dtype(::std::vec![#((#names, #field_dtypes)),*])
        },
        Layout::Memory => quote_spanned! {span=>
            #krate::__private::dtype_at_offsets(
                ::std::vec![#((#names, #field_dtypes, ::core::mem::offset_of!(Self, #idents))),*],
                ::core::mem::size_of::<Self>(),
            )
        },
    };

    let mut element_generics = generics.clone();
    // A generic pod struct is Pod only for some parameters: the impl says which. A plain one
    // is checked where the bulk functions are called, with the error on `pod`.
    let has_generics = !input.generics.params.is_empty();
    if container.pod.is_some() && has_generics {
        element_generics
            .make_where_clause()
            .predicates
            .push(syn::parse_quote!(Self: #krate::__private::Pod));
    }
    let (_, _, element_where) = element_generics.split_for_impl();

    // zip(zip(a, b), c) and its pattern ((a, b), c): the columns walked together.
    let mut zipped = quote_spanned!(span=> ::core::iter::IntoIterator::into_iter(#(#columns)*));
    let mut pattern = quote_spanned!(span=> #(#columns)*);
    if columns.len() > 1 {
        let first = &columns[0];
        zipped = quote_spanned!(span=> ::core::iter::IntoIterator::into_iter(#first));
        pattern = quote_spanned!(span=> #first);
        for column in &columns[1..] {
            zipped = quote_spanned!(span=> ::core::iter::Iterator::zip(#zipped, #column));
            pattern = quote_spanned!(span=> (#pattern, #column));
        }
    }

    let plan = quote_spanned! {span=>
        #krate::__private::RecordPlan::new(__npy_dtype, &[#(#names),*], <Self as #fixed>::dtype)?
    };
    // Fields that are all plain numbers (or arrays of them), in a struct without generic
    // parameters: when the file holds each of them in its own native dtype (whatever the
    // order, whatever other fields), records are built in one pass reading each field in
    // place (`record::gather`) rather than column by column. The types are recognised by
    // name; `field_at` requires them to be `Pod`, so a shadowed name cannot make this
    // unsound, only fail to compile.
    let plain = !has_generics
        && container.pod.is_none()
        && !tys.is_empty()
        && tys.iter().all(|ty| is_plain(ty));
    let native_dtypes = quote_spanned! {span=>
        &[#(<#tys as #krate::__private::NpyElement>::write_dtype(&[])),*]
    };
    // The offsets are copied into a fixed-size array first: constant indices into it need
    // no bounds checks in the per-record closure.
    let field_count = fields.len();
    let make_record = quote_spanned! {span=>
        {
            let __npy_at: [usize; #field_count] = [#(__npy_offsets[#indices]),*];
            move |__npy_record: &[u8]| Self {
                #(#idents: #krate::__private::field_at::<#tys>(__npy_record, __npy_at[#indices])),*
            }
        }
    };
    let gather_decode = if plain {
        quote_spanned! {span=>
            if let ::core::option::Option::Some(__npy_offsets) = __npy_plan.native_offsets(#native_dtypes) {
                return #krate::__private::gather(
                    __npy_bytes, __npy_stride, __npy_dtype.itemsize(), __npy_count, #make_record,
                );
            }
        }
    } else {
        TokenStream::new()
    };
    let (read_values, write_values) = if let Some(pod_span) = container.pod {
        let read_pod =
            quote_spanned!(pod_span=> #krate::__private::read_pod_records::<Self, __NpyRead>);
        let write_pod =
            quote_spanned!(pod_span=> #krate::__private::write_pod_records::<Self, __NpyWrite>);
        let memory = quote_spanned! {span=>
            #krate::__private::matches_memory::<Self>(
                __npy_dtype,
                &[#((::core::mem::offset_of!(Self, #idents), ::core::mem::size_of::<#tys>())),*],
            )
        };
        (
            quote_spanned! {span=>
                if #memory {
                    return #read_pod(__npy_count, __npy_data);
                }
                #krate::__private::read_records::<Self, __NpyRead>(__npy_dtype, __npy_count, __npy_data)
            },
            quote_spanned! {span=>
                if #memory {
                    return #write_pod(__npy_values, __npy_writer);
                }
                #krate::__private::write_records::<Self, __NpyWrite>(__npy_values, __npy_dtype, __npy_writer)
            },
        )
    } else if plain {
        (
            quote_spanned! {span=>
                if let ::core::result::Result::Ok(__npy_plan) = #krate::__private::RecordPlan::new(
                    __npy_dtype, &[#(#names),*], <Self as #fixed>::dtype,
                ) {
                    if let ::core::option::Option::Some(__npy_offsets) = __npy_plan.native_offsets(#native_dtypes) {
                        return #krate::__private::read_gathered(__npy_dtype, __npy_count, __npy_data, #make_record);
                    }
                }
                #krate::__private::read_records::<Self, __NpyRead>(__npy_dtype, __npy_count, __npy_data)
            },
            quote_spanned!(span=> #krate::__private::write_records::<Self, __NpyWrite>(__npy_values, __npy_dtype, __npy_writer)),
        )
    } else {
        (
            quote_spanned!(span=> #krate::__private::read_records::<Self, __NpyRead>(__npy_dtype, __npy_count, __npy_data)),
            quote_spanned!(span=> #krate::__private::write_records::<Self, __NpyWrite>(__npy_values, __npy_dtype, __npy_writer)),
        )
    };

    quote_spanned! {span=>
        #[doc(hidden)]
        #[allow(non_upper_case_globals, unused_qualifications, clippy::all)]
        const _: () = {
            #[automatically_derived]
            impl #impl_generics #fixed for #ident #ty_generics #where_clause {
                fn dtype() -> #krate::__private::DType {
                    #dtype_body
                }
            }

            #[automatically_derived]
            impl #impl_generics #krate::__private::NpyElement for #ident #ty_generics #element_where {
                fn write_dtype(_: &[Self]) -> #krate::__private::DType {
                    <Self as #fixed>::dtype()
                }

                fn check_readable(__npy_dtype: &#krate::__private::DType) -> #krate::__private::Result<()> {
                    let __npy_plan = #plan;
                    #(__npy_plan.check::<#tys>(#indices)?;)*
                    ::core::result::Result::Ok(())
                }

                fn decode(
                    __npy_dtype: &#krate::__private::DType,
                    __npy_bytes: &[u8],
                    __npy_stride: usize,
                    __npy_count: usize,
                ) -> #krate::__private::Result<::std::vec::Vec<Self>> {
                    let __npy_plan = #plan;
                    #gather_decode
                    #(
                        let #columns = __npy_plan.decode::<#tys>(
                            #indices, __npy_bytes, __npy_stride, __npy_count,
                        )?;
                    )*
                    // Every column holds exactly `count` values (the plan checks it): zipping
                    // them builds the records in one pass with no per-record checks.
                    let __npy_records: ::std::vec::Vec<Self> = ::core::iter::Iterator::collect(
                        ::core::iter::Iterator::map(#zipped, |#pattern| Self { #(#idents: #columns),* }),
                    );
                    ::core::result::Result::Ok(__npy_records)
                }

                fn encode<'__npy, __NpyIter>(
                    __npy_values: __NpyIter,
                    __npy_dtype: &#krate::__private::DType,
                    __npy_out: &mut [u8],
                    __npy_stride: usize,
                ) -> #krate::__private::Result<()>
                where
                    __NpyIter: ::core::iter::ExactSizeIterator<Item = &'__npy Self>,
                    Self: '__npy,
                {
                    let __npy_plan = #plan;
                    let __npy_values: ::std::vec::Vec<&'__npy Self> =
                        ::core::iter::Iterator::collect(__npy_values);
                    #(
                        __npy_plan.encode::<#tys, _>(
                            #indices,
                            ::core::iter::Iterator::map(__npy_values.iter(), |__npy_record| &__npy_record.#idents),
                            __npy_out,
                            __npy_stride,
                        )?;
                    )*
                    ::core::result::Result::Ok(())
                }

                fn read_values<__NpyRead: ::std::io::Read>(
                    __npy_dtype: &#krate::__private::DType,
                    __npy_count: usize,
                    __npy_data: &mut #krate::__private::DataReader<'_, __NpyRead>,
                ) -> #krate::__private::Result<::std::vec::Vec<Self>> {
                    #read_values
                }

                fn write_values<__NpyWrite: ::std::io::Write>(
                    __npy_values: &[Self],
                    __npy_dtype: &#krate::__private::DType,
                    __npy_writer: &mut __NpyWrite,
                ) -> #krate::__private::Result<()> {
                    #write_values
                }
            }
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors(input: DeriveInput) -> Vec<String> {
        match expand(&input) {
            Ok(_) => Vec::new(),
            Err(error) => error.into_iter().map(|e| e.to_string()).collect(),
        }
    }

    #[test]
    fn generated_code_is_wrapped_and_fully_qualified() {
        let input: DeriveInput = syn::parse_quote! {
            struct Point { x: f64, #[npy(rename = "why")] y: i32 }
        };
        let code = expand(&input).unwrap().to_string();
        assert!(code.starts_with("# [doc (hidden)]"), "{code}");
        assert!(code.contains("const _ : () ="), "{code}");
        assert!(
            code.contains(":: npy_serde :: __private :: packed_dtype"),
            "{code}"
        );
        assert!(code.contains("\"why\""), "{code}");
        assert!(!code.contains("read_pod_records"), "{code}");
        // Plain number fields: the one-pass gather, besides the column plan.
        assert!(
            code.contains("read_gathered") && code.contains("field_at"),
            "{code}"
        );
        let aliased = expand(&syn::parse_quote! {
            struct Aliased { x: Float }
        })
        .unwrap()
        .to_string();
        assert!(!aliased.contains("read_gathered"), "{aliased}");
    }

    #[test]
    fn layouts_follow_the_attributes_and_repr() {
        let layout = |input: DeriveInput| expand(&input).unwrap().to_string();
        let aligned = layout(syn::parse_quote!(
            #[npy(align)]
            struct A {
                x: u8,
            }
        ));
        assert!(aligned.contains("aligned_dtype"), "{aligned}");
        let memory = layout(syn::parse_quote!(
            #[repr(C)]
            struct A {
                x: u8,
            }
        ));
        assert!(memory.contains("dtype_at_offsets") && memory.contains("offset_of"));
        let packed = layout(syn::parse_quote!(
            #[repr(C)]
            #[npy(packed)]
            struct A {
                x: u8,
            }
        ));
        assert!(packed.contains("packed_dtype"), "{packed}");
        let pod = layout(syn::parse_quote!(
            #[repr(C)]
            #[npy(pod)]
            struct A {
                x: u8,
            }
        ));
        assert!(pod.contains("read_pod_records") && pod.contains("matches_memory"));
        let krate = layout(syn::parse_quote!(
            #[npy(crate = "my::npy")]
            struct A {
                x: u8,
            }
        ));
        assert!(krate.contains("my :: npy :: __private"), "{krate}");
    }

    #[test]
    fn every_error_is_reported_at_once() {
        let found = errors(syn::parse_quote! {
            #[npy(align, packed, bogus)]
            struct A {
                #[npy(rename = "b", rename = "c")]
                a: String,
                b: u8,
                #[npy(wat)]
                c: &'static u8,
            }
        });
        assert_eq!(found.len(), 7, "{found:#?}");
        for needle in [
            "bogus",
            "opposite layouts",
            "duplicate npy attribute `rename`",
            "String",
        ] {
            assert!(
                found.iter().any(|e| e.contains(needle)),
                "{needle}: {found:#?}"
            );
        }
        assert_eq!(
            errors(syn::parse_quote!(
                enum E {
                    A,
                }
            ))
            .len(),
            1
        );
        assert_eq!(
            errors(syn::parse_quote!(
                struct T(u8);
            ))
            .len(),
            1
        );
    }
}
