//! `embed_migrations!`: a directory of `<version>_<name>.sql` files, read
//! under the rules of `tenantry-migration-files` (the ones the `tenantry`
//! command reads a directory with at run time), embedded as a
//! `MigrationSet`.
//!
//! Each file is embedded with `include_str!` of its absolute path (not read
//! into a literal), which is what makes Cargo rebuild the set when a file
//! changes or disappears; a new file needs the build script the macro's
//! documentation gives.

use std::path::PathBuf;

use proc_macro2::TokenStream;
use quote::quote;
use syn::parse::{Parse, ParseStream};
use syn::{LitStr, Path, Token};

/// The macro's input: the directory, and where the operator is
/// (`crate = path`, by default `::tenantry::ops`).
pub struct Input {
    directory: LitStr,
    operator: Path,
}

impl Parse for Input {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let directory = input.parse()?;
        let operator = if input.is_empty() {
            syn::parse_quote!(::tenantry::ops)
        } else {
            input.parse::<Token![,]>()?;
            input.parse::<Token![crate]>()?;
            input.parse::<Token![=]>()?;
            input.parse()?
        };
        if !input.is_empty() {
            return Err(
                input.error("expected `\"<directory>\"` or `\"<directory>\", crate = <path>`")
            );
        }
        Ok(Self {
            directory,
            operator,
        })
    }
}

pub fn expand(input: &Input) -> syn::Result<TokenStream> {
    let (directory, operator) = (&input.directory, &input.operator);
    let root = std::env::var("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .map_err(|_| syn::Error::new_spanned(directory, "CARGO_MANIFEST_DIR is not set"))?;
    let files = tenantry_migration_files::read_directory(&root.join(directory.value()))
        .map_err(|error| syn::Error::new_spanned(directory, error))?;
    let count = files.len();
    let migrations = files.iter().map(|file| {
        let version = file.version;
        let name = &file.name;
        let path = file.path.to_string_lossy().into_owned();
        quote!(#operator::migrate::Migration::new(#version, #name, ::core::include_str!(#path)))
    });
    // A static of their own: the set borrows them for ever, and a temporary
    // array of values that own text (as a migration read at run time does)
    // cannot be borrowed so.
    Ok(quote! {{
        static MIGRATIONS: [#operator::migrate::Migration; #count] = [#(#migrations),*];
        #operator::migrate::MigrationSet::new(&MIGRATIONS)
    }})
}
