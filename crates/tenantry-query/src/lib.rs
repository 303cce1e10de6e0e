//! The pure core of tenantry: entity traits, typed columns and conditions, and
//! the [`TenantScoped`] handle, the only way to build a statement on
//! tenant-scoped data. It builds SQL and bind values with sea-query and never
//! touches a connection; the PostgreSQL layer executes what it builds.
//!
//! Every statement a [`TenantScoped`] handle builds constrains every
//! tenant-scoped table it reads or writes (the root, each join, each subquery)
//! to `tenant_id = $n`, and qualifies those tables with the tenant's schema
//! when it has one. Values are always bind parameters.

#![warn(missing_debug_implementations)]

mod aggregate;
mod bind;
mod column;
mod delete;
mod entity;
mod error;
mod executor;
mod expression;
mod filter;
mod identifier;
mod insert;
mod keyset;
mod optional_types;
mod returning;
mod scope;
mod select;
mod selection;
mod source;
mod statement;
mod tenant_id;
mod update;
mod value;

pub use aggregate::{Aggregate, Averageable, Plain, Summable};
pub use bind::{Bind, OpenValue};
pub use column::Column;
pub use delete::Delete;
pub use entity::{
    Entity, EntityKind, GlobalEntity, Insertable, RowReader, TenantEntity, read_column,
};
pub use error::Error;
pub use executor::{Decoded, Executor};
pub use expression::ValueExpr;
pub use filter::{Filter, Ordering};
pub use identifier::Identifier;
pub use insert::{ColumnNames, Insert, PrimaryKey};
pub use keyset::{Cursor, KeyList, Keyset};
pub use postgres_types::{FromSql, Json, ToSql};
pub use scope::{
    Context, GLOBAL_SCHEMA, GlobalScope, JoinableIn, POOL_SCHEMA, Scope, TenantScoped,
};
pub use select::Select;
pub use selection::{
    ColumnList, ColumnsIn, GroupList, Joined, LeftJoined, MappedInto, Nullable, Picked, Rows,
    Selection,
};
pub use source::{Contains, CorrelatedIn, Here, Outer, OuterHere, There};
pub use statement::{Operation, Statement};
pub use tenant_id::TenantId;
pub use update::Update;
pub use value::{Array, ArrayElement, SqlValue, Text};

/// Re-exports for the code `#[derive(Entity)]` generates; not a public API.
#[doc(hidden)]
pub mod __derive {
    pub use crate::{
        ArrayElement, Bind, Column, Entity, EntityKind, Error, GlobalEntity, GlobalScope,
        Insertable, RowReader, SqlValue, TenantEntity, TenantId, TenantScoped, read_column,
    };
    pub use postgres_types::{FromSql, IsNull, ToSql, Type, private::BytesMut, to_sql_checked};
    pub use sea_query::Value;
}
