//! Hand-written SQL: `raw_query` and `raw_execute`, in the tenant's context.
//!
//! For what the builders cannot say (a window function, a recursive CTE, an
//! aggregate over a join), a tenant's handle and a tenant's transaction run
//! hand-written SQL: [`Tenant::raw_query`] returns its rows as [`PgRow`]s,
//! the same row type built statements read, and [`Tenant::raw_execute`]
//! the number of rows it affected
//! ([`TenantTransaction::raw_query`] and
//! [`TenantTransaction::raw_execute`] run inside a transaction). Values are
//! bind parameters, `$1`, `$2`, ...; never format them into the SQL.
//!
//! ```no_run
//! use tenantry::prelude::*;
//!
//! /// Each customer's total since `since`, largest first.
//! async fn totals(acme: &Tenant, since: OffsetDateTime) -> Result<Vec<(Uuid, i64)>, Error> {
//!     let rows = acme
//!         .raw_query(
//!             "SELECT customer_id, sum(amount_cents)::bigint AS total
//!              FROM invoices
//!              WHERE created_at > $1
//!              GROUP BY customer_id
//!              ORDER BY total DESC",
//!             &[&since],
//!         )
//!         .await?;
//!     rows.iter()
//!         .map(|row| Ok((row.try_get("customer_id")?, row.try_get("total")?)))
//!         .collect()
//! }
//!
//! async fn archive(acme: &Tenant, customer_id: Uuid) -> Result<u64, Error> {
//!     acme.raw_execute(
//!         "UPDATE invoices SET archived = true WHERE customer_id = $1",
//!         &[&customer_id],
//!     )
//!     .await
//! }
//! ```
//!
//! [`PgRow::get`] reads a column by position or name and panics on a
//! missing column or a wrong type; [`PgRow::try_get`] returns the error
//! instead. Column values are the driver's types (`i64` for `bigint`, `Uuid`
//! for `uuid`, `OffsetDateTime` for `timestamptz`, `Option<T>` for a
//! nullable column, ...).
//!
//! # What still holds, and what does not
//!
//! The SQL runs in the tenant's transaction-local context, so row-level
//! security still applies: a forgotten `WHERE tenant_id = ...` sees only the
//! tenant's rows, and a row written for another tenant is refused. The
//! context also pins `search_path` to the tenant's schema (or `public`),
//! then `pg_temp`, so unqualified names reach the tenant's own tables and a
//! temporary table never shadows one. A connection that ran hand-written
//! SQL has its session reset (settings, role, temporary tables, advisory
//! locks, listeners) before its next borrower.
//!
//! But nothing adds the tenant filter, and the calls are not a sandbox:
//! SQL that sets `tenantry.tenant_id` itself acts as that tenant, to
//! row-level security and to the write fence alike. Keep hand-written SQL
//! to what a review can vouch for, never build it from a tenant's input;
//! the method names make every use easy to find. Row-level security filters
//! rows, not everything around them (see [`limits`](super::limits)).
//!
//! Behind a transaction-mode pooler, server connections change hands
//! without that reset: there, hand-written SQL must not change session
//! state. Pooled connections do not support `COPY FROM STDIN`.
//!
//! [`Tenant::raw_query`]: crate::Tenant::raw_query
//! [`Tenant::raw_execute`]: crate::Tenant::raw_execute
//! [`TenantTransaction::raw_query`]: crate::TenantTransaction::raw_query
//! [`TenantTransaction::raw_execute`]: crate::TenantTransaction::raw_execute
//! [`PgRow`]: crate::PgRow
//! [`PgRow::get`]: crate::PgRow::get
//! [`PgRow::try_get`]: crate::PgRow::try_get
