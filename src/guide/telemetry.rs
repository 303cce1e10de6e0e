//! # Telemetry: every statement visible per tenant
//!
//! Each statement, transaction, registry lookup and pool wait of a tenant
//! is a `tracing` span at DEBUG, named `tenantry.statement`,
//! `tenantry.transaction`, `tenantry.registry_lookup` and
//! `tenantry.pool_wait`; the operator's migration targets and provisioning
//! and erasure steps are spans at INFO (`tenantry.migration_target`,
//! `tenantry.step`). Every one names its tenant (`tenant.id`) and carries
//! OpenTelemetry's database attributes; a statement on global entities has
//! the same `tenantry.statement` span without a tenant (placement
//! `global`). A row stream's span, like its duration and rows in the
//! metrics and the usage, lasts until its last row, its first error or its
//! drop.
//!
//! | field | what it holds |
//! |---|---|
//! | `db.system.name` | `postgresql` |
//! | `db.namespace` | `{database}` or `{database}\|{schema}` of the tenant's real placement |
//! | `db.operation.name`, `db.collection.name`, `db.query.summary` | `SELECT`, `invoices`, `SELECT invoices` (built statements) |
//! | `db.query.text` | the SQL with `$n` placeholders, only with [`TelemetryConfig::query_text`] |
//! | `server.address`, `server.port` | the server the tenant lives on |
//! | `error.type`, `db.response.status_code` | on failure: its kind and the SQLSTATE |
//! | `tenant.tier`, `tenantry.placement` | the registry's plan; `pool`, `schema` or `database` |
//!
//! Parameter values are never recorded, nor the server's error messages,
//! whose `DETAIL` may quote a row.
//!
//! Metrics go through the `metrics` facade (the names are in
//! [`metric`]); the tenant label names the busiest tenants and calls every
//! other one `other`, so it stays bounded. [`Tenantry::usage`] is each
//! tenant's work over a sliding window, the busiest first.
//!
//! ```no_run
//! use std::time::Duration;
//! use tenantry::telemetry::TelemetryConfig;
//! use tenantry::{Config, Tenantry};
//!
//! # async fn demo() -> Result<(), tenantry::Error> {
//! let telemetry = TelemetryConfig::default()
//!     .named_tenants(50)
//!     .usage_window(Duration::from_secs(300));
//! let db = Tenantry::connect(Config::from_env()?.telemetry(telemetry)).await?;
//! for tenant in db.usage().iter().take(5) {
//!     println!(
//!         "{} ({}): {} statements, {} errors, {:?}",
//!         tenant.name, tenant.tier, tenant.statements, tenant.errors, tenant.time
//!     );
//! }
//! # Ok(()) }
//! ```
//!
//! `examples/telemetry.rs` prints the spans with `tracing-subscriber`.
//!
//! [`TelemetryConfig::query_text`]: crate::telemetry::TelemetryConfig::query_text
//! [`metric`]: crate::telemetry::metric
//! [`Tenantry::usage`]: crate::Tenantry::usage
