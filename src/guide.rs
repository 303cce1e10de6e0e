//! The guide: from the first entity to a deployment on several servers.
//!
//! These modules hold documentation only. Read them in order; every example
//! compiles against this crate, and those that need no database run as
//! tests and check the SQL they show.
//!
//! 1. [`entities`]: `#[derive(Entity)]`, tenant-scoped and global entities,
//!    the `New*` insert rows, and what does not compile.
//! 2. [`queries`]: SELECT with conditions, joins and subqueries, INSERT,
//!    upserts, UPDATE and DELETE, and the SQL they build.
//! 3. [`connecting`]: a `Config`, `Tenantry::connect`, the ordinary role
//!    to connect as, poolers, and TLS (not yet).
//! 4. [`handles`]: running statements for a tenant and on global data,
//!    transactions, and the errors.
//! 5. [`hand_written_sql`]: `raw_query` and `raw_execute`, what still
//!    holds for them and what does not.
//! 6. [`placements`]: pool, schema and database tenants on several
//!    servers, the registry that routes to them, suspension and the write
//!    fence.
#![cfg_attr(
    feature = "ops",
    doc = "7. [`operator`] (feature `ops`): migrations and the build script they need, provisioning, suspending, verifying."
)]
#![cfg_attr(
    not(feature = "ops"),
    doc = "7. `operator` (with the `ops` feature, which these docs were built without): migrations and the build script they need, provisioning, suspending, verifying."
)]
//! 8. [`cli`]: `tenantry migrate`, `tenantry tenants list`, `tenantry
//!    verify`, and their exit codes.
//! 9. [`neighbours`]: limits per tier and per tenant (statement timeout,
//!    rate, concurrency, connection share), changed at run time.
//! 10. [`limits`]: what tenantry guarantees and what it does not.
//! 11. [`telemetry`]: the spans, metrics and usage of every tenant.
#![cfg_attr(
    feature = "axum",
    doc = "12. [`web`] (feature `axum`): the tenant of each axum request, proved by a token or an API key, cross-checked against the host, a header and the path, and the problems a request is refused with."
)]
#![cfg_attr(
    not(feature = "axum"),
    doc = "12. `web` (with the `axum` feature, which these docs were built without): the tenant of each axum request, proved by a token or an API key, cross-checked against the host, a header and the path, and the problems a request is refused with."
)]
//!
//! The runnable programs `examples/quickstart.rs` (two tenants in one
//! database) and `examples/hybrid.rs` (one tenant in each placement on two
//! servers, the operator included) follow the same path.

pub mod cli;
pub mod connecting;
pub mod entities;
pub mod hand_written_sql;
pub mod handles;
pub mod limits;
pub mod neighbours;
#[cfg(feature = "ops")]
// Its build script example needs the `fn main` of a build script.
#[allow(clippy::needless_doctest_main)]
pub mod operator;
pub mod placements;
pub mod queries;
pub mod telemetry;
#[cfg(feature = "axum")]
pub mod web;
