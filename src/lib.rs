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
pub use tenantry_query::*;

/// What can go wrong running statements; building them has [`QueryError`],
/// which converts into it.
pub use tenantry_postgres::Error;
/// What can go wrong building a statement or reading its rows.
pub use tenantry_query::Error as QueryError;

/// The names most code needs: `use tenantry::prelude::*;`.
pub mod prelude {
    pub use crate::{Config, Entity, GlobalScope, TenantId, TenantScoped, Tenantry, Uuid};
    pub use time::OffsetDateTime;
}

pub use uuid::Uuid;
