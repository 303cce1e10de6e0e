//! `#[derive(DbEnum)]`: a fieldless enum as a column value, stored as a
//! PostgreSQL enum or as text, one label per variant.

use proc_macro2::TokenStream;
use quote::quote;
use syn::{Data, DeriveInput, Fields, Ident, LitStr, Path};

/// A validated enum: its variants, their labels, and where it is stored.
pub struct DbEnumModel {
    ident: Ident,
    /// The PostgreSQL enum type; `None` when stored as text.
    pg_type: Option<LitStr>,
    crate_path: Path,
    variants: Vec<(Ident, String)>,
}

impl DbEnumModel {
    pub fn from_input(input: &DeriveInput) -> syn::Result<Self> {
        let Data::Enum(data) = &input.data else {
            return Err(syn::Error::new_spanned(
                &input.ident,
                "#[derive(DbEnum)] needs an enum whose variants have no fields",
            ));
        };
        if !input.generics.params.is_empty() {
            return Err(syn::Error::new_spanned(
                &input.generics,
                "a DbEnum cannot be generic",
            ));
        }
        let mut pg_type = None;
        let mut crate_path: Path = syn::parse_quote!(::tenantry);
        for attr in input.attrs.iter().filter(|a| a.path().is_ident("db_enum")) {
            attr.parse_nested_meta(|meta| {
                if meta.path.is_ident("type") {
                    pg_type = Some(meta.value()?.parse()?);
                } else if meta.path.is_ident("crate") {
                    let path: LitStr = meta.value()?.parse()?;
                    crate_path = path.parse()?;
                } else {
                    return Err(meta.error("unknown db_enum attribute; expected `type` or `crate`"));
                }
                Ok(())
            })?;
        }
        let mut variants = Vec::new();
        for variant in &data.variants {
            if !matches!(variant.fields, Fields::Unit) {
                return Err(syn::Error::new_spanned(
                    variant,
                    "a DbEnum variant cannot have fields",
                ));
            }
            let mut label = snake_case(&variant.ident.to_string());
            for attr in variant
                .attrs
                .iter()
                .filter(|a| a.path().is_ident("db_enum"))
            {
                attr.parse_nested_meta(|meta| {
                    if meta.path.is_ident("rename") {
                        label = meta.value()?.parse::<LitStr>()?.value();
                        Ok(())
                    } else {
                        Err(meta.error(
                            "unknown db_enum variant attribute; expected `rename = \"...\"`",
                        ))
                    }
                })?;
            }
            if let Some((other, _)) = variants.iter().find(|(_, l)| *l == label) {
                return Err(syn::Error::new_spanned(
                    variant,
                    format!("the label `{label}` is already the label of `{other}`"),
                ));
            }
            variants.push((variant.ident.clone(), label));
        }
        Ok(Self {
            ident: input.ident.clone(),
            pg_type,
            crate_path,
            variants,
        })
    }

    pub fn expand(&self) -> TokenStream {
        let Self {
            ident,
            pg_type,
            crate_path: krate,
            variants,
        } = self;
        let d = quote!(#krate::__derive);
        let accepts = match pg_type {
            Some(name) => quote!(ty.name() == #name),
            None => quote!(matches!(*ty, #d::Type::TEXT | #d::Type::VARCHAR)),
        };
        let names = variants.iter().map(|(name, _)| name);
        let labels = variants.iter().map(|(_, label)| label);
        let writes = quote!(#(Self::#names => #labels),*);
        let names = variants.iter().map(|(name, _)| name);
        let reads = variants.iter().map(|(_, label)| LitByteStr(label));
        quote! {
            #[automatically_derived]
            impl #d::ToSql for #ident {
                fn to_sql(
                    &self,
                    _: &#d::Type,
                    out: &mut #d::BytesMut,
                ) -> ::core::result::Result<#d::IsNull, ::std::boxed::Box<dyn ::std::error::Error + Sync + Send>> {
                    let label: &str = match self { #writes };
                    out.extend_from_slice(label.as_bytes());
                    ::core::result::Result::Ok(#d::IsNull::No)
                }

                fn accepts(ty: &#d::Type) -> bool {
                    #accepts
                }

                #d::to_sql_checked!();
            }

            #[automatically_derived]
            impl<'a> #d::FromSql<'a> for #ident {
                fn from_sql(
                    _: &#d::Type,
                    raw: &'a [u8],
                ) -> ::core::result::Result<Self, ::std::boxed::Box<dyn ::std::error::Error + Sync + Send>> {
                    match raw {
                        #(#reads => ::core::result::Result::Ok(Self::#names),)*
                        other => ::core::result::Result::Err(::std::format!(
                            "`{}` is not a label of {}",
                            ::std::string::String::from_utf8_lossy(other),
                            ::core::stringify!(#ident),
                        ).into()),
                    }
                }

                fn accepts(ty: &#d::Type) -> bool {
                    #accepts
                }
            }

            #[automatically_derived]
            impl #d::SqlValue for #ident {}

            #[automatically_derived]
            impl #d::ArrayElement for #ident {}
        }
    }
}

/// A label as a byte-string pattern.
struct LitByteStr<'a>(&'a str);

impl quote::ToTokens for LitByteStr<'_> {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        syn::LitByteStr::new(self.0.as_bytes(), proc_macro2::Span::call_site()).to_tokens(tokens);
    }
}

/// `InProgress` → `in_progress`.
fn snake_case(name: &str) -> String {
    let mut out = String::new();
    for (index, ch) in name.chars().enumerate() {
        if ch.is_uppercase() {
            if index > 0 {
                out.push('_');
            }
            out.extend(ch.to_lowercase());
        } else {
            out.push(ch);
        }
    }
    out
}
