//! Where a set of migrations is applied: a schema in a database on a server.

use std::fmt;

use tenantry_postgres::{Placement, TenantRecord};
use tenantry_query::{Identifier, TenantId};

use super::SetKind;

/// One place a migration set is applied to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The set applied here.
    pub set: SetKind,
    /// The server, by configured name.
    pub server: String,
    /// The database, or `None` for the server's own database.
    pub database: Option<Identifier>,
    /// The schema the migrations run in (their `search_path`).
    pub schema: Identifier,
    /// The tenant whose tables these are (schema and database placements).
    pub tenant: Option<TenantId>,
}

impl Target {
    /// The tenant set's target for `tenant` in its own schema or database
    /// (whose tables are in `public`); `None` for a pool tenant.
    pub(crate) fn of_tenant(tenant: &TenantRecord, public: &Identifier) -> Option<Self> {
        let (database, schema) = match &tenant.placement {
            Placement::Pool => return None,
            Placement::Schema(schema) => (None, schema.clone()),
            Placement::Database(database) => (Some(database.clone()), public.clone()),
        };
        Some(Self {
            set: SetKind::Tenant,
            server: tenant.server.clone(),
            database,
            schema,
            tenant: Some(tenant.id),
        })
    }

    /// The version table's key: the database (if the tenant's own) and schema.
    pub(crate) fn key(&self) -> &str {
        self.schema.as_str()
    }

    /// The advisory lock that serialises runners on this target.
    pub(crate) fn lock_key(&self) -> String {
        format!("tenantry:{}:{}", self.set.as_str(), self.schema)
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} set in schema {}", self.set.as_str(), self.schema)?;
        if let Some(database) = &self.database {
            write!(f, " of database {database}")?;
        }
        write!(f, " on {}", self.server)
    }
}
