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

#![warn(missing_debug_implementations)]

mod access;
mod config;
mod context;
mod error;
mod handles;
mod limits;
mod options;
mod placement;
mod pool;
mod routing;
mod transport;

pub mod contract;
pub mod telemetry;

pub use access::terms::Access;
pub use config::{Config, MAIN_SERVER};
pub use error::{ConstraintKind, Error};
pub use handles::across::AcrossTenants;
pub use handles::client::Tenantry;
pub use handles::global::{Global, GlobalExecutor};
pub use handles::row::PgRow;
pub use handles::support::{SupportAccess, SupportExecutor};
pub use handles::tenant::{Tenant, TenantExecutor};
pub use handles::tenant_ref::TenantRef;
pub use handles::transaction::{TenantTransaction, TransactionExecutor};
pub use handles::transaction_closure::TransactionWork;
pub use handles::transaction_options::{Isolation, TransactionOptions};
pub use limits::overrides::LimitOverrides;
pub use limits::tier::Limits;
pub use options::{
    ConnectOptions, Credentials, EnvironmentCredentials, RootCerts, ServerCredentials, SslMode,
    TargetSessionAttrs,
};
pub use placement::{MigrationFailure, Placement, StatusChange, TenantRecord, TenantStatus};
pub use routing::registry;
pub use transport::ConnectFailure;
