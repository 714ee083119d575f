//! Where clauses for generic structs: every field whose type mentions a type parameter
//! must itself be a `FixedElement` (`T: FixedElement` for a field `x: T`, `[T; 3]:
//! FixedElement` for `pos: [T; 3]`, `DateTime64<U>: FixedElement` for a unit parameter).
//! Bounding field types rather than parameters keeps parameters that are not element
//! types themselves (datetime units, const widths) usable.

use proc_macro2::{TokenStream, TokenTree};
use quote::ToTokens;
use syn::{Generics, WherePredicate};

/// True when `tokens` mention any of the type parameters `params`.
fn mentions(tokens: TokenStream, params: &[&syn::Ident]) -> bool {
    tokens.into_iter().any(|token| match token {
        TokenTree::Ident(ident) => params.contains(&&ident),
        TokenTree::Group(group) => mentions(group.stream(), params),
        _ => false,
    })
}

/// `generics` with `Field: bound` added for each field type that uses a type parameter.
pub fn with_field_bounds<'a>(
    generics: &Generics,
    field_types: impl IntoIterator<Item = &'a syn::Type>,
    bound: &syn::Path,
) -> Generics {
    let params: Vec<&syn::Ident> = generics.type_params().map(|param| &param.ident).collect();
    let mut generics = generics.clone();
    if params.is_empty() {
        return generics;
    }
    let mut seen: Vec<String> = Vec::new();
    let predicates: Vec<WherePredicate> = field_types
        .into_iter()
        .filter(|ty| mentions(ty.to_token_stream(), &params))
        .filter(|ty| {
            let text = ty.to_token_stream().to_string();
            let new = !seen.contains(&text);
            seen.push(text);
            new
        })
        .map(|ty| syn::parse_quote!(#ty: #bound))
        .collect();
    generics.make_where_clause().predicates.extend(predicates);
    generics
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    #[test]
    fn only_field_types_using_parameters_are_bounded() {
        let generics: Generics = syn::parse_quote!(<T, U: Copy, const N: usize>);
        let types: Vec<syn::Type> = vec![
            syn::parse_quote!(f64),
            syn::parse_quote!([T; N]),
            syn::parse_quote!(DateTime64<U>),
            syn::parse_quote!([T; N]),
        ];
        let bound: syn::Path = syn::parse_quote!(::npy_serde::FixedElement);
        let generics = with_field_bounds(&generics, &types, &bound);
        let where_clause = generics.where_clause.unwrap();
        assert_eq!(
            where_clause.to_token_stream().to_string(),
            quote!(where [T; N]: ::npy_serde::FixedElement, DateTime64<U>: ::npy_serde::FixedElement)
                .to_string()
        );
    }
}
