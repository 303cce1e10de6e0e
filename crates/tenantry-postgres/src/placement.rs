//! Where a tenant's rows live, and what the registry knows about a tenant.

use std::fmt;
use std::str::FromStr;

use tenantry_query::{Identifier, TenantId};
use time::OffsetDateTime;

use crate::limits::overrides::LimitOverrides;

/// The isolation model of one tenant.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Placement {
    /// Shared tables with a `tenant_id` column, under row-level security.
    Pool,
    /// The tenant's own schema on a shared server.
    Schema(Identifier),
    /// The tenant's own database on a server.
    Database(Identifier),
}

impl Placement {
    /// `"pool"`, `"schema"` or `"database"`: the registry's `placement` column.
    pub fn kind(&self) -> &'static str {
        match self {
            Placement::Pool => "pool",
            Placement::Schema(_) => "schema",
            Placement::Database(_) => "database",
        }
    }

    /// The tenant's own database, for a database placement.
    pub fn database(&self) -> Option<&Identifier> {
        match self {
            Placement::Database(database) => Some(database),
            Placement::Pool | Placement::Schema(_) => None,
        }
    }

    /// The tenant's own schema, for a schema placement.
    pub fn schema(&self) -> Option<&Identifier> {
        match self {
            Placement::Schema(schema) => Some(schema),
            Placement::Pool | Placement::Database(_) => None,
        }
    }
}

impl fmt::Display for Placement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Placement::Pool => f.write_str("pool"),
            Placement::Schema(schema) => write!(f, "schema {schema}"),
            Placement::Database(database) => write!(f, "database {database}"),
        }
    }
}

/// Where a tenant is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TenantStatus {
    /// Being created; never served.
    Provisioning,
    /// Served.
    Active,
    /// Kept but not served.
    Suspended,
    /// Being relocated between placements.
    Moving,
    /// Its data has been erased.
    Erased,
}

impl TenantStatus {
    /// The registry's `status` column.
    pub fn as_str(self) -> &'static str {
        match self {
            TenantStatus::Provisioning => "provisioning",
            TenantStatus::Active => "active",
            TenantStatus::Suspended => "suspended",
            TenantStatus::Moving => "moving",
            TenantStatus::Erased => "erased",
        }
    }
}

impl fmt::Display for TenantStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for TenantStatus {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "provisioning" => TenantStatus::Provisioning,
            "active" => TenantStatus::Active,
            "suspended" => TenantStatus::Suspended,
            "moving" => TenantStatus::Moving,
            "erased" => TenantStatus::Erased,
            other => return Err(format!("unknown tenant status {other:?}")),
        })
    }
}

/// One tenant as the registry records it.
#[derive(Debug, Clone, PartialEq)]
pub struct TenantRecord {
    /// The tenant id.
    pub id: TenantId,
    /// A unique, human-readable name (`acme`), also used to name schemas and databases.
    pub slug: String,
    /// Where its rows live.
    pub placement: Placement,
    /// The server (by configured name) it lives on.
    pub server: String,
    /// The plan or tier.
    pub plan: String,
    /// The limits of its own, above its tier's.
    pub limits: LimitOverrides,
    /// Where it is in its life.
    pub status: TenantStatus,
    /// When the registry row was created.
    pub created_at: OffsetDateTime,
    /// When the registry row last changed.
    pub updated_at: OffsetDateTime,
    /// The highest tenant migration its tables have applied, as the last
    /// migration run or provisioning recorded it (`None`: none recorded). A
    /// pool tenant's tables are its server's pool tables. Read by the
    /// operator (`Operator::tenants`,
    /// provisioning), not by the application's tenant lookups.
    pub schema_version: Option<i64>,
    /// Why the last migration run failed on its tables; cleared when a run
    /// succeeds there. Read like `schema_version`.
    pub migration_failure: Option<MigrationFailure>,
    /// The last suspension, resumption or erasure of the tenant: who, when
    /// and why. Read like `schema_version`.
    pub last_change: Option<StatusChange>,
}

/// A change of a tenant's status by an operator, as the registry records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusChange {
    /// The status it moved the tenant to.
    pub status: TenantStatus,
    /// Who made it.
    pub actor: String,
    /// Why.
    pub reason: String,
    /// A reference elsewhere (a ticket, a request), if any.
    pub reference: Option<String>,
    /// When.
    pub at: OffsetDateTime,
}

/// A migration run that failed on a tenant's tables, as the registry records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationFailure {
    /// The migration that failed (or the applied one that was changed).
    pub version: i64,
    /// Why.
    pub error: String,
    /// When.
    pub at: OffsetDateTime,
}
