//! Code generation from a validated entity model.

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;

use crate::model::{EntityModel, FieldModel, Scoping};

pub fn expand(model: &EntityModel) -> TokenStream {
    let columns = column_constants(model);
    let entity = entity_impl(model);
    let scoping = match &model.scoping {
        Scoping::TenantScoped => tenant_scoped_items(model),
        Scoping::Global { .. } => global_items(model),
    };
    quote! {
        #columns
        #entity
        #scoping
    }
}

/// `pub const AMOUNT_CENTS: Column<Invoice, i64> = Column::new("amount_cents");`
fn column_constants(model: &EntityModel) -> TokenStream {
    let krate = &model.crate_path;
    let ident = &model.ident;
    let constants = model.fields.iter().map(|field| {
        let name = format_ident!(
            "{}",
            field
                .ident
                .to_string()
                .trim_start_matches("r#")
                .to_uppercase()
        );
        let ty = &field.ty;
        let column = &field.column;
        let doc = format!("The `{column}` column.");
        quote! {
            #[doc = #doc]
            pub const #name: #krate::__derive::Column<#ident, #ty> = #krate::__derive::Column::new(#column);
        }
    });
    quote! {
        #[automatically_derived]
        impl #ident {
            #(#constants)*
        }
    }
}

fn entity_impl(model: &EntityModel) -> TokenStream {
    let krate = &model.crate_path;
    let ident = &model.ident;
    let table = &model.table;
    let kind = match &model.scoping {
        Scoping::TenantScoped => {
            let column = &model
                .tenant_field()
                .expect("validated: a tenant-scoped entity has a tenant field")
                .column;
            quote!(#krate::__derive::EntityKind::TenantScoped { tenant_column: #column })
        }
        Scoping::Global {
            schema: Some(schema),
        } => {
            quote!(#krate::__derive::EntityKind::Global { schema: ::core::option::Option::Some(#schema) })
        }
        Scoping::Global { schema: None } => {
            quote!(#krate::__derive::EntityKind::Global { schema: ::core::option::Option::None })
        }
    };
    let columns = model.fields.iter().map(|field| &field.column);
    let select_list = select_list(
        table,
        model.fields.iter().map(|field| field.column.as_str()),
    );
    let primary_key = model
        .fields
        .iter()
        .filter(|field| field.primary_key)
        .map(|field| &field.column);
    let reads = model.fields.iter().enumerate().map(|(index, field)| {
        let name = &field.ident;
        quote!(#name: #krate::__derive::read_column(row, #table, offset + #index)?)
    });
    quote! {
        #[automatically_derived]
        impl #krate::__derive::Entity for #ident {
            const TABLE: &'static str = #table;
            const KIND: #krate::__derive::EntityKind = #kind;
            const COLUMNS: &'static [&'static str] = &[#(#columns),*];
            const SELECT_LIST: ::core::option::Option<&'static str> =
                ::core::option::Option::Some(#select_list);
            const PRIMARY_KEY: &'static [&'static str] = &[#(#primary_key),*];

            fn from_row<R: #krate::__derive::RowReader>(
                row: &R,
                offset: usize,
            ) -> ::core::result::Result<Self, #krate::__derive::Error> {
                ::core::result::Result::Ok(Self { #(#reads),* })
            }
        }
    }
}

fn tenant_scoped_items(model: &EntityModel) -> TokenStream {
    let krate = &model.crate_path;
    let ident = &model.ident;
    let vis = &model.vis;
    let tenant = model
        .tenant_field()
        .expect("validated: a tenant-scoped entity has a tenant field");
    let tenant_column = &tenant.column;
    let tenant_ty = &tenant.ty;
    let tenant_type_check = quote_spanned! {tenant_ty.span()=>
        const _: fn(#tenant_ty) -> #krate::__derive::TenantId = |tenant_id| tenant_id;
    };
    let new_ident = format_ident!("New{}", ident);
    let new_doc = format!(
        "A new [`{ident}`] row to insert. It has no `tenant_id`: the `TenantScoped` handle supplies it."
    );
    let row_fields: Vec<&FieldModel> = model
        .fields
        .iter()
        .filter(|field| !field.is_tenant())
        .collect();
    let definitions = row_fields.iter().map(|field| {
        let FieldModel {
            ident,
            ty,
            vis,
            docs,
            ..
        } = field;
        quote!(#(#docs)* #vis #ident: #ty)
    });
    let insertable = insertable_impl(model, &new_ident, &row_fields);
    quote! {
        #tenant_type_check

        #[automatically_derived]
        impl #krate::__derive::TenantEntity for #ident {
            const TENANT_COLUMN: &'static str = #tenant_column;
        }

        #[doc = #new_doc]
        #[derive(Debug, Clone)]
        #vis struct #new_ident {
            #(#definitions),*
        }

        #insertable
    }
}

fn global_items(model: &EntityModel) -> TokenStream {
    let krate = &model.crate_path;
    let ident = &model.ident;
    let fields: Vec<&FieldModel> = model.fields.iter().collect();
    let insertable = insertable_impl(model, ident, &fields);
    quote! {
        #[automatically_derived]
        impl #krate::__derive::GlobalEntity for #ident {}

        #insertable
    }
}

/// `impl Insertable for #row` setting `fields`, for entity `model`.
/// The entity's columns as PostgreSQL reads them in a select list,
/// qualified by the table and quoted (`"tasks"."id", "tasks"."title"`),
/// written once here rather than at every statement.
fn select_list<'a>(table: &str, columns: impl Iterator<Item = &'a str>) -> String {
    let quote = |name: &str| format!("\"{}\"", name.replace('"', "\"\""));
    let table = quote(table);
    columns
        .map(|column| format!("{table}.{}", quote(column)))
        .collect::<Vec<_>>()
        .join(", ")
}

fn insertable_impl(model: &EntityModel, row: &syn::Ident, fields: &[&FieldModel]) -> TokenStream {
    let krate = &model.crate_path;
    let ident = &model.ident;
    let columns = fields.iter().map(|field| &field.column);
    let values = fields.iter().map(|field| {
        let name = &field.ident;
        quote_spanned!(field.ty.span()=> #krate::__derive::SqlValue::into_bind(self.#name))
    });
    quote! {
        #[automatically_derived]
        impl #krate::__derive::Insertable for #row {
            type Entity = #ident;
            const COLUMNS: &'static [&'static str] = &[#(#columns),*];

            fn into_values(self) -> impl ::core::iter::Iterator<Item = #krate::__derive::Bind> {
                [#(#values),*].into_iter()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::select_list;

    #[test]
    fn the_select_list_qualifies_and_quotes_each_column() {
        assert_eq!(
            select_list("tasks", ["id", "title"].into_iter()),
            r#""tasks"."id", "tasks"."title""#
        );
    }

    #[test]
    fn a_quote_in_a_name_is_doubled_as_postgresql_reads_it() {
        assert_eq!(
            select_list(r#"odd"table"#, [r#"say "hi""#].into_iter()),
            r#""odd""table"."say ""hi""""#
        );
    }
}
