//! # tenantry
//!
//! Typed, tenant-scoped queries for PostgreSQL, for multi-tenant SaaS
//! backends. A query for tenant data cannot be built without a tenant: the
//! only way to build a statement on a tenant-scoped entity is a
//! [`TenantScoped`] handle, which adds `tenant_id = $n` to every tenant-scoped
//! table of the statement. And it cannot reach another tenant's rows: each
//! statement runs with a transaction-local tenant context that PostgreSQL
//! row-level security enforces as well.
//!
//! ```
//! use tenantry::prelude::*;
//!
//! #[derive(Entity, Debug)]
//! #[entity(table = "invoices", tenant_scoped)]
//! pub struct Invoice {
//!     #[entity(primary_key)]
//!     pub id: Uuid,
//!     pub tenant_id: TenantId,
//!     pub amount_cents: i64,
//! }
//!
//! let acme = TenantScoped::shared(TenantId::random());
//! let statement = acme
//!     .select::<Invoice>()
//!     .filter(Invoice::AMOUNT_CENTS.gt(10_000))
//!     .order_by(Invoice::AMOUNT_CENTS.desc())
//!     .limit(50)
//!     .build()
//!     .unwrap();
//! assert_eq!(
//!     statement.sql(),
//!     r#"SELECT "invoices"."id", "invoices"."tenant_id", "invoices"."amount_cents" FROM "public"."invoices" WHERE "invoices"."tenant_id" = $1 AND "invoices"."amount_cents" > $2 ORDER BY "invoices"."amount_cents" DESC LIMIT $3"#
//! );
//! ```
//!
//! With a database, [`Tenantry::connect`] gives handles that also run the
//! statements: `db.tenant(id).await?.select::<Invoice>().all().await?`.
//!
//! ## The operator (feature `ops`)
//!
//! What runs as a privileged role (migrating every tenant target,
//! provisioning, suspending, auditing the catalog) is `tenantry::ops`, behind the
//! `ops` feature, so that an application that only queries does not link
//! it. `embed_migrations!` embeds a directory of `<version>_<name>.sql`
//! files at compile time, and an `ops::Operator` applies them to every
//! target (see `ops::migrate`). The macro embeds each file with `include_str!`, so a
//! changed or removed file rebuilds the set; for a *new* file to be seen by
//! `cargo build`, give the crate a build script naming the directory (a
//! procedural macro cannot watch a directory on stable Rust; sqlx asks the
//! same for `sqlx::migrate!`):
//!
//! ```ignore
//! // build.rs
//! fn main() {
//!     println!("cargo:rerun-if-changed=migrations");
//! }
//! ```

pub use tenantry_derive::Entity;
#[cfg(feature = "ops")]
pub use tenantry_derive::embed_migrations;
/// The privileged side: migrations, provisioning, suspension, the catalog
/// audit (feature `ops`).
#[cfg(feature = "ops")]
pub use tenantry_ops as ops;
pub use tenantry_postgres::{
    Config, ConstraintKind, Global, GlobalExecutor, MAIN_SERVER, MigrationFailure, PgRow,
    Placement, Tenant, TenantExecutor, TenantRecord, TenantStatus, TenantTransaction, Tenantry,
    TransactionExecutor, contract, registry,
};
pub use tenantry_query::{
    Column, Delete, Entity, EntityKind, Executor, Filter, GlobalEntity, GlobalScope, Identifier,
    Insert, Insertable, Operation, Ordering, Scope, Select, SqlValue, Statement, TenantEntity,
    TenantId, TenantScoped, Text, Update,
};

/// The whole query layer, plumbing included: the traits and markers that
/// prove at compile time which entities a statement reads (`Contains`,
/// `Here`, `There`, `Picked`, ...), which application code rarely names.
pub mod query {
    pub use tenantry_query::*;
}

#[doc(hidden)]
pub use tenantry_query::__derive;

/// What can go wrong running statements; building them has [`QueryError`],
/// which converts into it.
pub use tenantry_postgres::Error;
/// What can go wrong building a statement or reading its rows.
pub use tenantry_query::Error as QueryError;

/// A tenant's SELECT of `E`, as `tenant.select::<E>()` starts it: the type a
/// function returns to hand a query on to its caller.
///
/// ```
/// use tenantry::prelude::*;
///
/// #[derive(Entity, Debug)]
/// #[entity(table = "invoices", tenant_scoped)]
/// pub struct Invoice {
///     #[entity(primary_key)]
///     pub id: Uuid,
///     pub tenant_id: TenantId,
///     pub amount_cents: i64,
/// }
///
/// /// The tenant's large invoices, biggest first, for the caller to page.
/// fn large_invoices(tenant: &Tenant) -> TenantSelect<'_, Invoice> {
///     tenant
///         .select::<Invoice>()
///         .filter(Invoice::AMOUNT_CENTS.gt(10_000))
///         .order_by(Invoice::AMOUNT_CENTS.desc())
/// }
/// # let _ = large_invoices;
/// ```
pub type TenantSelect<'a, E> = Select<'a, TenantScoped<TenantExecutor>, E>;
/// A tenant's INSERT of `E` rows.
pub type TenantInsert<'a, E> = Insert<'a, TenantScoped<TenantExecutor>, E>;
/// A tenant's UPDATE of `E`.
pub type TenantUpdate<'a, E> = Update<'a, TenantScoped<TenantExecutor>, E>;
/// A tenant's DELETE of `E`.
pub type TenantDelete<'a, E> = Delete<'a, TenantScoped<TenantExecutor>, E>;
/// A SELECT of global entity `E`, as `db.global().select::<E>()` starts it.
pub type GlobalSelect<'a, E> = Select<'a, GlobalScope<GlobalExecutor>, E>;

/// The names most code needs: `use tenantry::prelude::*;`.
pub mod prelude {
    pub use crate::{
        Config, Entity, Error, Global, GlobalScope, Tenant, TenantId, TenantScoped, TenantSelect,
        TenantTransaction, Tenantry, Uuid,
    };
    pub use time::OffsetDateTime;
}

pub use uuid::Uuid;
