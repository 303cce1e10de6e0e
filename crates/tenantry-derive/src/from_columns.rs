//! `#[derive(FromColumns)]`: a struct filled from a selected column list,
//! field by field in order.

use proc_macro2::TokenStream;
use quote::quote;
use syn::{Data, DeriveInput, Fields};

/// `impl From<(T1, T2, ...)> for S` (`From<T1>` for one field), moving each
/// tuple element into the field at its position.
pub fn expand(input: &DeriveInput) -> syn::Result<TokenStream> {
    let fields = match &input.data {
        Data::Struct(data) => &data.fields,
        _ => {
            return Err(syn::Error::new_spanned(
                &input.ident,
                "#[derive(FromColumns)] needs a struct",
            ));
        }
    };
    if fields.is_empty() {
        return Err(syn::Error::new_spanned(
            &input.ident,
            "#[derive(FromColumns)] needs at least one field, one per selected column",
        ));
    }
    let ident = &input.ident;
    let (impl_generics, type_generics, where_clause) = input.generics.split_for_impl();
    let types: Vec<_> = fields.iter().map(|field| &field.ty).collect();
    let bindings: Vec<_> = (0..fields.len())
        .map(|index| quote::format_ident!("column_{}", index))
        .collect();
    let build = match fields {
        Fields::Named(named) => {
            let names = named.named.iter().map(|field| &field.ident);
            quote!(Self { #(#names: #bindings),* })
        }
        _ => quote!(Self(#(#bindings),*)),
    };
    let (source, pattern) = match (types.as_slice(), bindings.as_slice()) {
        ([one], [binding]) => (quote!(#one), quote!(#binding)),
        _ => (quote!((#(#types,)*)), quote!((#(#bindings,)*))),
    };
    Ok(quote! {
        impl #impl_generics ::core::convert::From<#source> for #ident #type_generics #where_clause {
            fn from(#pattern: #source) -> Self {
                #build
            }
        }
    })
}
