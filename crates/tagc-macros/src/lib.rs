//! `#[derive(PrimaryLabel)]`: the primary label of a located diagnostic, declared on each
//! variant of its kind enum beside the message, code, severity and help that
//! `#[derive(thiserror::Error, miette::Diagnostic)]` read from the same variant.
//!
//! Input: an enum whose every variant carries `#[label("…")]` (a format string; fields are in
//! scope by name, tuple fields as `_0`, `_1`, …) and a `#[diagnostic(…)]` that declares a
//! `severity(…)`. Output: an implementation of `crate::diagnostics::Kind` whose `label()`
//! formats the variant's label. A variant without a label or without a declared severity is a
//! compile error, so no diagnostic falls through to a default.

use proc_macro::TokenStream;
use proc_macro2::{Span, TokenStream as TokenStream2, TokenTree};
use quote::{format_ident, quote};
use syn::{Data, DeriveInput, Fields, parse_macro_input};

/// Implements `crate::diagnostics::Kind` for a diagnostic kind enum: see the crate's doc.
#[proc_macro_derive(PrimaryLabel, attributes(label))]
pub fn derive_primary_label(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    expand(&input)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

fn expand(input: &DeriveInput) -> syn::Result<TokenStream2> {
    let Data::Enum(data) = &input.data else {
        return Err(syn::Error::new(
            Span::call_site(),
            "PrimaryLabel applies to the kind enum of a diagnostic",
        ));
    };
    let name = &input.ident;
    let mut arms = Vec::new();
    for variant in &data.variants {
        let ident = &variant.ident;
        let label = variant
            .attrs
            .iter()
            .find(|a| a.path().is_ident("label"))
            .ok_or_else(|| {
                syn::Error::new_spanned(
                    ident,
                    "every diagnostic variant declares its primary label: #[label(\"…\")]",
                )
            })?;
        let declares_severity = variant.attrs.iter().any(|a| {
            a.path().is_ident("diagnostic")
                && a.meta.require_list().is_ok_and(|list| {
                    list.tokens
                        .clone()
                        .into_iter()
                        .any(|t| matches!(&t, TokenTree::Ident(i) if i == "severity"))
                })
        });
        if !declares_severity {
            return Err(syn::Error::new_spanned(
                ident,
                "every diagnostic variant declares its severity: #[diagnostic(severity(Error), …)]",
            ));
        }
        let format = &label.meta.require_list()?.tokens;
        let pattern = match &variant.fields {
            Fields::Named(fields) => {
                let names = fields.named.iter().map(|f| &f.ident);
                quote! { { #(#names),* } }
            }
            Fields::Unnamed(fields) => {
                let names = (0..fields.unnamed.len()).map(|i| format_ident!("_{i}"));
                quote! { ( #(#names),* ) }
            }
            Fields::Unit => quote! {},
        };
        arms.push(quote! { Self::#ident #pattern => ::std::format!(#format), });
    }
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    Ok(quote! {
        impl #impl_generics crate::diagnostics::Kind for #name #ty_generics #where_clause {
            #[allow(unused_variables, reason = "a label names only the fields it shows")]
            fn label(&self) -> ::std::string::String {
                match self {
                    #(#arms)*
                }
            }
        }
    })
}
