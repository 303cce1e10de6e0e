//! The privileged side of tenantry: what runs as a role that owns the
//! schemas and may create databases (a superuser, or one with `BYPASSRLS`),
//! never as the application's role.
//!
//! The [`Operator`] migrates every target ([`migrate`]: the registry, the
//! global tables, the pool's tables, each tenant schema and database, each
//! server's template), provisions tenants ([`provision`]), suspends and
//! resumes them behind the write fence, relocates them between placements
//! and servers ([`relocate`]), and audits the catalog of every
//! database ([`verify`]). It depends on the runtime, `tenantry-postgres`,
//! for the configuration, the registry's row format and the [`contract`]
//! both sides agree on; the runtime never depends on it.
//!
//! [`contract`]: tenantry_postgres::contract

#![warn(missing_debug_implementations)]

mod abandon;
mod citus;
mod error;
mod lifecycle;
mod operator;
mod placement_kind;
mod provision_step;
mod purge;
mod reason;
mod residency;
mod servers;
mod set_kind;
mod telemetry;
mod template;
mod tier;
mod transaction;

pub mod audit;
pub mod erasure;
pub mod migrate;
pub mod provision;
pub mod registry;
pub mod relocate;
pub mod rls;
pub mod verify;

pub use erasure::{ErasureCheck, ErasureRecord};
pub use error::Error;
pub use migrate::Migrations;
pub use operator::{Operator, TEMPLATE_DATABASE};
pub use provision::{NewTenant, NoSeed, PlacementKind, Seed};
pub use provision_step::ProvisionStep;
pub use reason::Reason;
pub use registry::TenantRef;
pub use relocate::{
    CopyMethod, Destination, Place, RelocationProgress, RelocationRecord, RelocationReport,
    RelocationStep,
};
pub use servers::RegisteredServer;
