//! `embed_migrations!`: a directory of `NNNN_name.sql` files, embedded at
//! compile time as a `MigrationSet`.
//!
//! Each file is embedded with `include_str!` of its absolute path (not read
//! into a literal), which is what makes Cargo rebuild the set when a file
//! changes or disappears; a new file needs the build script the macro's
//! documentation gives.

use std::path::{Path, PathBuf};

use proc_macro2::TokenStream;
use quote::quote;
use syn::LitStr;

/// One migration file.
struct File {
    version: i64,
    name: String,
    path: PathBuf,
}

pub fn expand(directory: &LitStr) -> syn::Result<TokenStream> {
    let root = std::env::var("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .map_err(|_| syn::Error::new_spanned(directory, "CARGO_MANIFEST_DIR is not set"))?;
    let path = root.join(directory.value());
    let files = read(&path).map_err(|message| syn::Error::new_spanned(directory, message))?;
    let migrations = files.iter().map(|file| {
        let version = file.version;
        let name = &file.name;
        let path = file.path.to_string_lossy().into_owned();
        quote!(::tenantry::ops::migrate::Migration::new(#version, #name, ::core::include_str!(#path)))
    });
    Ok(quote! {
        ::tenantry::ops::migrate::MigrationSet::new(&[#(#migrations),*])
    })
}

/// The directory's migration files, by version; duplicate versions and
/// malformed names are errors.
fn read(directory: &Path) -> Result<Vec<File>, String> {
    let entries = std::fs::read_dir(directory)
        .map_err(|error| format!("cannot read {}: {error}", directory.display()))?;
    let mut files = Vec::new();
    for entry in entries {
        let path = entry.map_err(|error| error.to_string())?.path();
        if path.extension().and_then(|e| e.to_str()) != Some("sql") {
            continue;
        }
        let stem = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default()
            .to_owned();
        let (version, name) = stem
            .split_once('_')
            .and_then(|(version, name)| Some((version.parse::<i64>().ok()?, name)))
            .filter(|(version, name)| *version > 0 && !name.is_empty())
            .ok_or_else(|| {
                format!("{stem}.sql: migration files are named <version>_<name>.sql, e.g. 0001_create_invoices.sql")
            })?;
        files.push(File {
            version,
            name: name.to_owned(),
            path,
        });
    }
    files.sort_by_key(|file| file.version);
    if let Some(pair) = files
        .windows(2)
        .find(|pair| pair[0].version == pair[1].version)
    {
        return Err(format!(
            "two migrations have version {}: {} and {}",
            pair[0].version,
            pair[0].path.display(),
            pair[1].path.display()
        ));
    }
    Ok(files)
}
