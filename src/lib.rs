//! tenantry: typed, tenant-scoped queries for PostgreSQL.
pub use tenantry_derive::Entity;
pub use tenantry_query::*;
