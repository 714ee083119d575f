//! Where clauses: every field type must be a `FixedElement` (`T: FixedElement` for a field
//! `x: T`, `[T; 3]: FixedElement` for `pos: [T; 3]`, `DateTime64<U>: FixedElement` for a
//! unit parameter). Bounding field types rather than parameters keeps parameters that are
//! not element types themselves (datetime units, const widths) usable. Fields without type
//! parameters are bounded too, at the field type's span: a type that is not an element is
//! then reported once, on the field, instead of at every use in the generated code.

use proc_macro2::{TokenStream, TokenTree};
use quote::ToTokens;
use syn::spanned::Spanned;
use syn::{Generics, WherePredicate};

/// True when `tokens` mention any of the type parameters `params`.
fn mentions(tokens: TokenStream, params: &[&syn::Ident]) -> bool {
    tokens.into_iter().any(|token| match token {
        TokenTree::Ident(ident) => params.contains(&&ident),
        TokenTree::Group(group) => mentions(group.stream(), params),
        _ => false,
    })
}

/// `tokens` with every span set to `span`, so that a predicate made of user tokens and
/// ours is reported on the user's.
fn respan(tokens: TokenStream, span: proc_macro2::Span) -> TokenStream {
    tokens
        .into_iter()
        .map(|mut token| {
            if let TokenTree::Group(group) = &token {
                let mut inner =
                    proc_macro2::Group::new(group.delimiter(), respan(group.stream(), span));
                inner.set_span(span);
                token = TokenTree::Group(inner);
            }
            token.set_span(span);
            token
        })
        .collect()
}

/// `generics` with `Field: bound` added for each distinct field type.
pub fn with_field_bounds<'a>(
    generics: &Generics,
    field_types: impl IntoIterator<Item = &'a syn::Type>,
    bound: &syn::Path,
) -> Generics {
    let params: Vec<&syn::Ident> = generics.type_params().map(|param| &param.ident).collect();
    let mut generics = generics.clone();
    let mut seen: Vec<String> = Vec::new();
    let predicates: Vec<WherePredicate> = field_types
        .into_iter()
        .filter(|ty| {
            let text = ty.to_token_stream().to_string();
            let new = !seen.contains(&text);
            seen.push(text);
            new
        })
        .map(|ty| {
            // Types without parameters are checked at the field's span; the others are
            // requirements of the impl.
            let span = if mentions(ty.to_token_stream(), &params) {
                proc_macro2::Span::call_site()
            } else {
                ty.span()
            };
            let bound = respan(bound.to_token_stream(), span);
            syn::parse_quote_spanned!(span=> #ty: #bound)
        })
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
            syn::parse_quote!([T; N]),
            syn::parse_quote!(DateTime64<U>),
            syn::parse_quote!([T; N]),
        ];
        let bound: syn::Path = syn::parse_quote!(::npy_serde::__private::FixedElement);
        let generics = with_field_bounds(&generics, &types, &bound);
        let where_clause = generics.where_clause.unwrap();
        assert_eq!(
            where_clause.to_token_stream().to_string(),
            quote!(where [T; N]: ::npy_serde::__private::FixedElement, DateTime64<U>: ::npy_serde::__private::FixedElement)
                .to_string()
        );
    }
}
