//! `#[derive(Entity)]`, `#[derive(DbEnum)]`, `#[derive(FromColumns)]` and
//! `embed_migrations!` for tenantry.
//!
//! Thin over three steps, each in its own module: `attributes` parses the
//! `#[entity(...)]` attributes, `model` validates them into an entity model
//! (every error points at the user's span), and `expand` generates the code.

use proc_macro::TokenStream;
use syn::{DeriveInput, parse_macro_input};

mod attributes;
mod db_enum;
mod expand;
mod from_columns;
mod migrations;
mod model;

/// Marks a struct as a tenant-scoped or global entity.
///
/// ```ignore
/// #[derive(Entity)]
/// #[entity(table = "invoices", tenant_scoped)]
/// pub struct Invoice {
///     #[entity(primary_key)]
///     pub id: Uuid,
///     pub tenant_id: TenantId,
///     #[entity(column = "amount")]
///     pub amount_cents: i64,
///     pub note: Option<String>,
/// }
/// ```
///
/// Struct attributes: `table = "..."` (required); exactly one of
/// `tenant_scoped` or `global`; `schema = "..."` (global entities only);
/// `crate = "..."` (the path of the tenantry crate, default `::tenantry`).
/// Field attributes: `primary_key`, `column = "..."` (the SQL name).
///
/// Generates: `impl Entity` (table, columns, key, row mapping), a typed
/// column constant per field (`Invoice::AMOUNT_CENTS`), and for a
/// tenant-scoped entity `impl TenantEntity` plus `NewInvoice`, the insert row
/// without `tenant_id`; a global entity is its own insert row.
#[proc_macro_derive(Entity, attributes(entity))]
pub fn derive_entity(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    model::EntityModel::from_input(&input)
        .map(|model| expand::expand(&model))
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// Makes a fieldless enum a column value, stored as a PostgreSQL enum or as
/// text: one label per variant, the variant's name in snake case unless
/// renamed.
///
/// ```ignore
/// #[derive(DbEnum, Debug, Clone, Copy, PartialEq)]
/// #[db_enum(type = "task_status")] // CREATE TYPE task_status AS ENUM ('todo', 'in_progress', 'done')
/// pub enum TaskStatus {
///     Todo,
///     InProgress,
///     #[db_enum(rename = "done")]
///     Finished,
/// }
/// ```
///
/// Without `type`, the enum is stored in a `text` (or `varchar`) column.
/// Generates `ToSql` and `FromSql` (a label the enum does not know is a
/// decoding error, never a default), `SqlValue` and `ArrayElement` (so
/// `Vec<TaskStatus>` is a `task_status[]` column). `crate = "..."` names the
/// tenantry crate, as for `#[derive(Entity)]`.
#[proc_macro_derive(DbEnum, attributes(db_enum))]
pub fn derive_db_enum(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    db_enum::DbEnumModel::from_input(&input)
        .map(|model| model.expand())
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// Fills a struct from a selected column list, field by field in order:
/// `select.columns((A, B, C)).map_into::<Report>()` reads each row into a
/// `Report` whose fields have the columns' types (a mismatch does not
/// compile).
///
/// ```ignore
/// #[derive(FromColumns)]
/// pub struct Workload {
///     pub owner: Option<String>,
///     pub tasks: i64,
///     pub hours: Option<i64>,
/// }
/// ```
///
/// Generates `From<(Option<String>, i64, Option<i64>)>` (`From<T>` for a
/// single field). Tuple structs work alike.
#[proc_macro_derive(FromColumns)]
pub fn derive_from_columns(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    from_columns::expand(&input)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// Embeds a directory of migrations (`<version>_<name>.sql` files, relative
/// to the crate's manifest directory) as a `MigrationSet`, at compile time.
///
/// ```ignore
/// static TENANT: MigrationSet = tenantry::embed_migrations!("migrations/tenant");
/// ```
///
/// The directory is read under the rules `MigrationSet::load` applies at
/// run time for the `tenantry` command (one implementation of both): files
/// ordered by version, other files than `*.sql` skipped, a first line
/// `-- tenantry: no-transaction` running that migration outside a
/// transaction; a bad name, a version used twice, an unreadable file, one
/// not in UTF-8 or a misspelt marker is a compile error naming the file.
///
/// # Rebuilding when the directory changes
///
/// Each file is embedded with `include_str!` by its absolute path, so
/// `cargo build` rebuilds the set when a file is changed or removed. A *new*
/// file is not seen: a procedural macro cannot ask Cargo to watch a
/// directory on stable Rust (`proc_macro::tracked::path` is unstable,
/// rust-lang/rust#99515). Add a build script to the crate that embeds the
/// migrations, as sqlx recommends for `sqlx::migrate!`, naming the
/// directory, which Cargo then scans for any change:
///
/// ```ignore
/// // build.rs
/// fn main() {
///     println!("cargo:rerun-if-changed=migrations");
/// }
/// ```
///
/// A build script that prints any `rerun-if-changed` line replaces Cargo's
/// default of rerunning it when any file of the package changes, so keep
/// such lines for whatever else it reads.
///
/// # Another path to the operator
///
/// The expansion names `::tenantry::ops::migrate`. A crate that depends on
/// the operator under another name says where it is, as
/// `#[entity(crate = ...)]` does for the derive:
/// `embed_migrations!("migrations/tenant", crate = tenantry_ops)`.
#[proc_macro]
pub fn embed_migrations(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as migrations::Input);
    migrations::expand(&input)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}
