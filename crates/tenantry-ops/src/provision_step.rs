//! The steps of a provisioning, reported as each ends, for a progress bar.

use crate::placement_kind::PlacementKind;

/// A step of [`Operator::provision_with_progress`](crate::Operator::provision_with_progress)
/// that has ended, in the order they run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProvisionStep {
    /// The registry row is written in status `provisioning`, or found from
    /// a provisioning of the same slug that died.
    Registered,
    /// The tenant's database is copied from the server's template, brought
    /// up to date first (a database placement only).
    DatabaseCreated,
    /// The tenant migrations are applied to its schema or database (the
    /// shared pool's tables are migrated with the pool).
    Migrated,
    /// Its placement admits its writes.
    Fenced,
    /// Its seed has run, once.
    Seeded,
    /// The registry serves it.
    Active,
}

impl ProvisionStep {
    /// How many steps a provisioning in `placement` reports.
    pub fn count(placement: PlacementKind) -> u64 {
        match placement {
            PlacementKind::Database => 6,
            PlacementKind::Pool | PlacementKind::Schema => 5,
        }
    }

    /// What the step did, in a few words.
    pub fn describe(self) -> &'static str {
        match self {
            Self::Registered => "registered",
            Self::DatabaseCreated => "database created",
            Self::Migrated => "migrated",
            Self::Fenced => "writes admitted",
            Self::Seeded => "seeded",
            Self::Active => "active",
        }
    }
}
