//! Runs tenantry's scoped statements on PostgreSQL.
//!
//! [`Tenantry::connect`] opens a pool; [`Tenantry::tenant`] gives a tenant's
//! handle, which builds statements (it dereferences to
//! [`TenantScoped`](tenantry_query::TenantScoped)) and runs each one in its own
//! transaction with the tenant context set by `SET LOCAL`, sent in the same
//! round trip as the statement. Row-level security policies made with
//! [`rls::isolate_table`] read that context, so even hand-written SQL that
//! forgets the tenant filter sees only the tenant's rows.

mod client;
mod config;
mod error;
mod global;
mod lease;
mod param;
mod pipeline;
mod role;
mod row;
mod shared;
mod tenant;
mod tenant_context;
mod transaction;

pub mod rls;

pub use client::{PoolStatus, Tenantry};
pub use config::Config;
pub use error::{ConstraintKind, Error};
pub use global::{Global, GlobalExecutor};
pub use row::PgRow;
pub use tenant::{Tenant, TenantExecutor};
pub use tenant_context::{TENANT_SETTING, current_tenant_expression};
pub use transaction::{TenantTransaction, TransactionExecutor};
