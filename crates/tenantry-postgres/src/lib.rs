//! Runs tenantry's scoped statements on PostgreSQL.
//!
//! [`Tenantry::connect`] opens a pool; [`Tenantry::tenant`] gives a tenant's
//! handle, which builds statements (it dereferences to
//! [`TenantScoped`](tenantry_query::TenantScoped)) and runs each one in its own
//! transaction with the tenant context set by `SET LOCAL`, sent in the same
//! message group as the statement (one Sync, one round trip). Row-level
//! security policies read that context, so even hand-written SQL that
//! forgets the tenant filter sees only the tenant's rows.
//!
//! This is the runtime an application links: it only reads what the
//! operator (`tenantry-ops`) creates, and the [`contract`] holds the names
//! both sides agree on.

mod client;
mod config;
mod connect;
mod error;
mod global;
mod lease;
mod param;
mod pipeline;
mod placement;
mod role;
mod route;
mod router;
mod row;
mod server;
mod session_reset;
mod shared;
mod statement_cache;
mod tenant;
mod tenant_context;
mod transaction;
mod wire;

pub mod contract;
pub mod registry;

pub use client::Tenantry;
pub use config::{Config, MAIN_SERVER};
pub use error::{ConstraintKind, Error};
pub use global::{Global, GlobalExecutor};
pub use placement::{MigrationFailure, Placement, TenantRecord, TenantStatus};
pub use row::PgRow;
pub use tenant::{Tenant, TenantExecutor};
pub use transaction::{TenantTransaction, TransactionExecutor};
