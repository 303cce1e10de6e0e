//! The isolation model asked for a tenant: what provisioning makes and a
//! relocation moves to.

/// The isolation model asked for a new tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlacementKind {
    /// The shared tables.
    Pool,
    /// A schema of its own, `tenant_<slug>`.
    Schema,
    /// A database of its own, `tenant_<slug>`.
    Database,
}
