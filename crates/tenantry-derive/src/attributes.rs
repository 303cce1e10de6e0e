//! Parsing of `#[entity(...)]` attributes, before any validation.

use proc_macro2::Span;
use syn::{Attribute, LitStr, Path};

/// The struct-level `#[entity(...)]` settings, as written.
#[derive(Default)]
pub struct StructAttributes {
    pub table: Option<LitStr>,
    pub tenant_scoped: Option<Span>,
    pub global: Option<Span>,
    pub schema: Option<LitStr>,
    pub crate_path: Option<Path>,
}

/// The field-level `#[entity(...)]` settings, as written.
#[derive(Default)]
pub struct FieldAttributes {
    pub primary_key: bool,
    pub column: Option<LitStr>,
}

fn entity_attributes(attrs: &[Attribute]) -> impl Iterator<Item = &Attribute> {
    attrs.iter().filter(|attr| attr.path().is_ident("entity"))
}

impl StructAttributes {
    pub fn parse(attrs: &[Attribute]) -> syn::Result<Self> {
        let mut parsed = Self::default();
        for attr in entity_attributes(attrs) {
            attr.parse_nested_meta(|meta| {
                if meta.path.is_ident("table") {
                    parsed.table = Some(meta.value()?.parse()?);
                } else if meta.path.is_ident("tenant_scoped") {
                    parsed.tenant_scoped = Some(meta.path.require_ident()?.span());
                } else if meta.path.is_ident("global") {
                    parsed.global = Some(meta.path.require_ident()?.span());
                } else if meta.path.is_ident("schema") {
                    parsed.schema = Some(meta.value()?.parse()?);
                } else if meta.path.is_ident("crate") {
                    let path: LitStr = meta.value()?.parse()?;
                    parsed.crate_path = Some(path.parse()?);
                } else {
                    return Err(meta.error(
                        "unknown entity attribute; expected `table`, `tenant_scoped`, `global`, `schema` or `crate`",
                    ));
                }
                Ok(())
            })?;
        }
        Ok(parsed)
    }
}

impl FieldAttributes {
    pub fn parse(attrs: &[Attribute]) -> syn::Result<Self> {
        let mut parsed = Self::default();
        for attr in entity_attributes(attrs) {
            attr.parse_nested_meta(|meta| {
                if meta.path.is_ident("primary_key") {
                    parsed.primary_key = true;
                } else if meta.path.is_ident("column") {
                    parsed.column = Some(meta.value()?.parse()?);
                } else {
                    return Err(meta.error(
                        "unknown entity field attribute; expected `primary_key` or `column = \"...\"`",
                    ));
                }
                Ok(())
            })?;
        }
        Ok(parsed)
    }
}
