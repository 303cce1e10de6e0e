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
//! With a database, [`Tenantry::connect`] gives handles that also run them,
//! each statement in the tenant's own context:
//!
//! ```no_run
//! # use tenantry::prelude::*;
//! # #[derive(Entity, Debug)]
//! # #[entity(table = "invoices", tenant_scoped)]
//! # pub struct Invoice {
//! #     #[entity(primary_key)]
//! #     pub id: Uuid,
//! #     pub tenant_id: TenantId,
//! #     pub amount_cents: i64,
//! # }
//! # async fn run(tenant_id: TenantId) -> Result<(), Error> {
//! let db = Tenantry::connect(Config::from_env()?).await?; // DATABASE_URL, as an ordinary role
//! let acme = db.tenant(tenant_id).await?;
//! let big: Vec<Invoice> = acme
//!     .select::<Invoice>()
//!     .filter(Invoice::AMOUNT_CENTS.gt(10_000))
//!     .all()
//!     .await?;
//! acme.insert(NewInvoice { id: Uuid::new_v4(), amount_cents: 4_200 }).exec().await?;
//! # let _ = big;
//! # Ok(()) }
//! ```
//!
//! # Where to go from here
//!
//! The [`guide`] leads through the whole path, one page a step:
//! [entities](guide::entities), [queries](guide::queries),
//! [connecting](guide::connecting), [handles](guide::handles),
//! [hand-written SQL](guide::hand_written_sql), [the registry and
//! placements](guide::placements), the operator, [the `tenantry`
//! command](guide::cli) and [the known limits](guide::limits).
//!
//! # What is where
//!
//! - At the root: what an application names. [`Tenantry`] and its handles
//!   ([`Tenant`], [`Global`], [`TenantTransaction`]), [`Config`], [`Error`]
//!   and [`QueryError`], the builders ([`Select`], [`Insert`], [`Update`],
//!   [`Delete`]) and the aliases that name them ([`TenantSelect`], ...),
//!   [`Entity`] (trait and derive), [`TenantId`], [`PgRow`], and the
//!   registry's types ([`Placement`], [`TenantRecord`], [`TenantStatus`]).
//! - [`prelude`]: the names most code needs, for `use tenantry::prelude::*`.
//! - [`query`]: the whole query layer, with the traits and markers that prove
//!   at compile time which entities a statement reads; rarely named.
//! - [`contract`] and [`registry`]: the names and the registry row format that
//!   the runtime and the operator agree on; rarely needed by an application.
#![cfg_attr(
    feature = "ops",
    doc = "- [`ops`] (feature `ops`): the operator, which migrates, provisions, suspends, relocates and audits, as a privileged role; an application that only queries leaves the feature off and does not link it."
)]
#![cfg_attr(
    not(feature = "ops"),
    doc = "- `ops` (feature `ops`, off in this build): the operator, which migrates, provisions, suspends, relocates and audits, as a privileged role; an application that only queries leaves the feature off and does not link it."
)]
#![cfg_attr(
    feature = "axum",
    doc = "- [`axum`] (feature `axum`): the web layer, whose `Tenant` extractor resolves each request's tenant from a verified token or API key and cross-checks what its host, a header or its path names."
)]
#![cfg_attr(
    not(feature = "axum"),
    doc = "- `axum` (feature `axum`, off in this build): the web layer, whose `Tenant` extractor resolves each request's tenant from a verified token or API key and cross-checks what its host, a header or its path names."
)]

pub mod guide;

/// The web layer: the axum `Tenant` extractor, which resolves each
/// request's tenant from a verified token or API key and cross-checks what
/// the host, a header or the path names (feature `axum`).
#[cfg(feature = "axum")]
pub use tenantry_axum as axum;
#[cfg(feature = "ops")]
pub use tenantry_derive::embed_migrations;
pub use tenantry_derive::{DbEnum, Entity, FromColumns};
/// The privileged side: migrations, provisioning, suspension, the catalog
/// audit (feature `ops`).
#[cfg(feature = "ops")]
pub use tenantry_ops as ops;
pub use tenantry_postgres::{
    Access, AcrossTenants, Config, ConnectFailure, ConnectOptions, ConstraintKind, Credentials,
    EnvironmentCredentials, Global, GlobalExecutor, Isolation, LimitOverrides, Limits, MAIN_SERVER,
    MigrationFailure, PgRow, Placement, RootCerts, ServerCredentials, SslMode, StatusChange,
    SupportAccess, SupportExecutor, TargetSessionAttrs, Tenant, TenantExecutor, TenantRecord,
    TenantRef, TenantStatus, TenantTransaction, Tenantry, TransactionExecutor, TransactionOptions,
    contract, registry, telemetry,
};
pub use tenantry_query::{
    ArrayElement, Column, Cursor, Delete, Entity, EntityKind, Executor, Filter, FromSql,
    GlobalEntity, GlobalScope, Identifier, Insert, Insertable, Json, Keyset, Operation, Ordering,
    Scope, Select, SqlValue, Statement, TenantEntity, TenantId, TenantScoped, Text, ToSql, Update,
};

/// The whole query layer, plumbing included: the traits and markers that
/// prove at compile time which entities a statement reads (`Contains`,
/// `Here`, `There`, `Picked`, ...), which application code rarely names.
pub mod query {
    pub use tenantry_query::*;
}

#[doc(hidden)]
pub use tenantry_query::__derive;
use tenantry_query::Rows;

/// What can go wrong running statements; building them has [`QueryError`],
/// which converts into it.
pub use tenantry_postgres::Error;
/// What can go wrong building a statement or reading its rows.
pub use tenantry_query::Error as QueryError;

/// A tenant's SELECT of `E`, as `tenant.select::<E>()` starts it: the type a
/// function returns to hand a query on to its caller. After a join, or with
/// columns picked, the other parameters say so: the entities read (`Src`,
/// newest join first) and the result (`Sel`).
///
/// ```
/// use tenantry::prelude::*;
/// use tenantry::query::{Joined, Picked};
///
/// #[derive(Entity, Debug)]
/// #[entity(table = "invoices", tenant_scoped)]
/// pub struct Invoice {
///     #[entity(primary_key)]
///     pub id: Uuid,
///     pub tenant_id: TenantId,
///     pub customer_id: Uuid,
///     pub amount_cents: i64,
/// }
///
/// #[derive(Entity, Debug)]
/// #[entity(table = "customers", tenant_scoped)]
/// pub struct Customer {
///     #[entity(primary_key)]
///     pub id: Uuid,
///     pub tenant_id: TenantId,
///     pub name: String,
/// }
///
/// /// The tenant's invoices, optionally the large ones only, biggest first,
/// /// for the caller to page.
/// fn invoices(tenant: &Tenant, large_only: bool) -> TenantSelect<'_, Invoice> {
///     tenant
///         .select::<Invoice>()
///         .filter_if(large_only, || Invoice::AMOUNT_CENTS.gt(10_000))
///         .order_by(Invoice::AMOUNT_CENTS.desc())
/// }
///
/// /// Each invoice with its customer.
/// type WithCustomer<'a> =
///     TenantSelect<'a, Invoice, (Customer, (Invoice, ())), Joined<Invoice, Customer>>;
///
/// fn with_customers(tenant: &Tenant) -> WithCustomer<'_> {
///     tenant
///         .select::<Invoice>()
///         .inner_join_entity::<Customer>(Customer::ID.eq_column(Invoice::CUSTOMER_ID))
/// }
///
/// /// Only the amounts.
/// fn amounts(tenant: &Tenant) -> TenantSelect<'_, Invoice, (Invoice, ()), Picked<tenantry::Column<Invoice, i64>>> {
///     tenant.select::<Invoice>().columns(Invoice::AMOUNT_CENTS)
/// }
/// # let _ = (invoices, with_customers, amounts);
/// ```
pub type TenantSelect<'a, E, Src = (E, ()), Sel = Rows<E>> =
    Select<'a, TenantScoped<TenantExecutor>, E, Src, Sel>;
/// A tenant's INSERT of `E` rows.
pub type TenantInsert<'a, E> = Insert<'a, TenantScoped<TenantExecutor>, E>;
/// A tenant's UPDATE of `E`.
pub type TenantUpdate<'a, E> = Update<'a, TenantScoped<TenantExecutor>, E>;
/// A tenant's DELETE of `E`.
pub type TenantDelete<'a, E> = Delete<'a, TenantScoped<TenantExecutor>, E>;
/// A SELECT of global entity `E`, as `db.global().select::<E>()` starts it;
/// the other parameters as for [`TenantSelect`].
pub type GlobalSelect<'a, E, Src = (E, ()), Sel = Rows<E>> =
    Select<'a, GlobalScope<GlobalExecutor>, E, Src, Sel>;

/// The names most code needs: `use tenantry::prelude::*;`.
pub mod prelude {
    pub use crate::{
        ArrayElement, Config, DbEnum, Entity, Error, FromColumns, Global, GlobalScope, Json,
        SqlValue, Tenant, TenantId, TenantScoped, TenantSelect, TenantTransaction, Tenantry, Uuid,
    };
    pub use time::OffsetDateTime;
}

pub use uuid::Uuid;
