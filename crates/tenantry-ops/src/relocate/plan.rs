//! Where a relocation goes: the tenant's place now, the place asked for,
//! and what each side of a copy is.

use std::fmt;

use tenantry_postgres::{Placement, TenantRecord};
use tenantry_query::{Identifier, TenantId};

use crate::Error;
use crate::migrate::{SetKind, Target};
use crate::provision::{NewTenant, PlacementKind};
use crate::residency;

/// Where a tenant's rows live: a placement on a server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    /// The isolation model, with the tenant's own schema or database.
    pub placement: Placement,
    /// The server, by configured name.
    pub server: String,
}

impl Place {
    /// Where the registry says `record` lives.
    pub(crate) fn of(record: &TenantRecord) -> Self {
        Self {
            placement: record.placement.clone(),
            server: record.server.clone(),
        }
    }

    /// The tenant's own database, if it has one.
    pub(crate) fn database(&self) -> Option<&Identifier> {
        self.placement.database()
    }

    /// The schema that holds the tables, in the place's database.
    pub(crate) fn schema(&self) -> Result<Identifier, Error> {
        Ok(Identifier::new(residency::home(&self.placement).0)?)
    }

    /// Whether the place is the tenant's alone (a schema or database of its
    /// own): nothing else is served from its tables.
    pub(crate) fn is_own(&self) -> bool {
        residency::home(&self.placement).1
    }

    /// Whether both places' tables are in one database (the pool and a
    /// schema of one server): there the tenant has one residency row.
    pub(crate) fn shares_database(&self, other: &Place) -> bool {
        self.server == other.server && self.database() == other.database()
    }

    /// The tenant set's migration target of the place, `tenant`'s own in a
    /// schema or database.
    pub(crate) fn target(&self, tenant: TenantId) -> Result<Target, Error> {
        Ok(Target {
            set: SetKind::Tenant,
            server: self.server.clone(),
            database: self.database().cloned(),
            schema: self.schema()?,
            tenant: (self.placement != Placement::Pool).then_some(tenant),
        })
    }

    /// `record` as if it lived here (for what is keyed by a registry row).
    pub(crate) fn as_record(&self, record: &TenantRecord) -> TenantRecord {
        TenantRecord {
            placement: self.placement.clone(),
            server: self.server.clone(),
            ..record.clone()
        }
    }
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} on {}", self.placement, self.server)
    }
}

/// Where to relocate a tenant: an isolation model on a server, and whether
/// to drop the source copy once the tenant is served from there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Destination {
    /// The isolation model; a schema or database of its own is named for
    /// the tenant's slug (`tenant_<slug>`), as provisioning names it.
    pub placement: PlacementKind,
    /// The server, by name (default `main`).
    pub server: String,
    /// Whether the source copy is dropped at the end (default: kept until
    /// [`Operator::finish_relocation`](crate::Operator::finish_relocation),
    /// so the move can be rolled back).
    pub drop_source: bool,
}

impl Destination {
    /// `placement` on the main server, keeping the source.
    pub fn new(placement: PlacementKind) -> Self {
        Self {
            placement,
            server: tenantry_postgres::MAIN_SERVER.to_owned(),
            drop_source: false,
        }
    }

    /// On `server`.
    pub fn on_server(mut self, server: &str) -> Self {
        self.server = server.to_owned();
        self
    }

    /// Drops the source copy once the tenant is served from the destination.
    pub fn dropping_source(mut self) -> Self {
        self.drop_source = true;
        self
    }

    /// The place this is for `record`.
    pub(crate) fn place(&self, record: &TenantRecord) -> Result<Place, Error> {
        let placement = NewTenant::new(&record.slug, self.placement).placement()?;
        Ok(Place {
            placement,
            server: self.server.clone(),
        })
    }
}

/// One relocation's two sides, in the direction of its copy.
#[derive(Debug, Clone)]
pub(crate) struct Leg {
    pub(crate) tenant: TenantId,
    pub(crate) from: Place,
    pub(crate) to: Place,
}

impl Leg {
    /// The same two places, the other way round (a rollback's copy back).
    pub(crate) fn reversed(&self) -> Self {
        Self {
            tenant: self.tenant,
            from: self.to.clone(),
            to: self.from.clone(),
        }
    }
}
