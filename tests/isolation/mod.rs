//! The parts of `isolation.rs`: one file per concern, and what they share,
//! the fixture (tenants in every placement seeded with the same ids and
//! values, snapshots of everybody's rows) and the checks of what a tenant sees.

pub mod attacks;
pub mod batch;
pub mod builder;
pub mod checks;
pub mod fixture;
pub mod joins;
pub mod no_context;
pub mod raw_sql;
pub mod reuse;
pub mod session_leaks;
pub mod support_access;

pub use checks::*;
pub use fixture::*;
