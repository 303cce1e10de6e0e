//! What `#[derive(Entity)]` implements: table metadata, row mapping, inserts.

use crate::{Bind, Error};
use postgres_types::FromSql;

/// Whether an entity's rows belong to one tenant or to everyone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntityKind {
    /// Rows belong to a tenant; every statement is constrained by `tenant_column`.
    TenantScoped {
        /// The column holding the tenant id (normally `tenant_id`).
        tenant_column: &'static str,
    },
    /// Shared reference data, optionally in a schema of its own.
    Global {
        /// The schema of the table, if it is not on the search path.
        schema: Option<&'static str>,
    },
}

/// A table mapped to a Rust struct. Implemented by `#[derive(Entity)]`.
pub trait Entity: Sized + Send + Sync + 'static {
    /// The table name, unqualified.
    const TABLE: &'static str;
    /// Tenant-scoped or global.
    const KIND: EntityKind;
    /// Every column, in field order; [`Entity::from_row`] reads them in this order.
    const COLUMNS: &'static [&'static str];
    /// [`Entity::COLUMNS`] as a select list, qualified and quoted as
    /// PostgreSQL's query builder writes them (`"tasks"."id", "tasks"."title"`):
    /// the derive writes it once, so a SELECT of whole rows does not build
    /// and quote every column again. `None` (the default, for a hand-written
    /// implementation) lists the columns one by one.
    const SELECT_LIST: Option<&'static str> = None;
    /// The primary-key columns.
    const PRIMARY_KEY: &'static [&'static str];

    /// Reads the entity from `row`, its columns starting at position `offset`.
    fn from_row<R: RowReader>(row: &R, offset: usize) -> Result<Self, Error>;
}

/// An entity whose rows belong to one tenant. Implemented by
/// `#[derive(Entity)]` with `#[entity(tenant_scoped)]`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a tenant-scoped entity",
    label = "a `TenantScoped` handle builds statements on tenant-scoped entities only",
    note = "global entities are queried through the global handle (`GlobalScope`)"
)]
pub trait TenantEntity: Entity {
    /// The column holding the tenant id.
    const TENANT_COLUMN: &'static str;
}

/// An entity shared by all tenants. Implemented by `#[derive(Entity)]` with
/// `#[entity(global)]`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is tenant-scoped, and the global handle takes global entities only",
    label = "not a global entity",
    note = "statements on `{Self}` are built through the tenant's `TenantScoped` handle (`db.tenant(id)`)"
)]
pub trait GlobalEntity: Entity {}

/// A row that can be inserted: for a tenant-scoped entity the generated
/// `New…` struct (which has no tenant id: the scope supplies it), for a
/// global entity the entity itself.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be inserted",
    label = "not an insertable row",
    note = "a tenant-scoped entity is inserted as its generated `New…` struct, which has no `tenant_id`: the `TenantScoped` handle supplies it"
)]
pub trait Insertable: Send + 'static {
    /// The entity the row is inserted into.
    type Entity: Entity;
    /// The columns the row sets, in the order of [`Insertable::into_values`].
    const COLUMNS: &'static [&'static str];

    /// The values of [`Insertable::COLUMNS`], in order.
    fn into_values(self) -> impl Iterator<Item = Bind>;
}

/// Read access to one result row, by position. The execution layer implements
/// it for its driver's row type.
pub trait RowReader {
    /// Reads the value at `index`.
    fn read<T>(&self, index: usize) -> Result<T, Box<dyn std::error::Error + Send + Sync>>
    where
        T: for<'a> FromSql<'a>;
}

/// Reads column `index` of `table` from `row`, naming both on failure.
/// Used by the code `#[derive(Entity)]` generates.
pub fn read_column<R: RowReader, T>(row: &R, table: &'static str, index: usize) -> Result<T, Error>
where
    T: for<'a> FromSql<'a>,
{
    row.read(index).map_err(|source| Error::Decode {
        table,
        column: index,
        source,
    })
}
