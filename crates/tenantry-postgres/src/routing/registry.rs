//! Reading the tenant registry: which tenants exist, where each one lives,
//! and in what state. Its tables, in the control schema of the main server,
//! belong to the operator; the application only executes the lookup
//! function, which returns one tenant's row.

use tenantry_query::Identifier;
use tokio_postgres::Row;

use crate::Error;
use crate::contract::{
    CONTROL_SCHEMA, SERVER_LOOKUP, SUPPORT_ACCESS_RECORD, TENANT_COLUMNS, TENANT_LOOKUP,
    TENANTS_RECORDED,
};
use crate::placement::{Placement, TenantRecord};

/// Reads a registry row of [`TENANT_COLUMNS`] (the operator's reads add
/// migration state to it). A row that breaks the registry's rules is
/// [`Error::Config`].
pub fn record(row: &Row) -> Result<TenantRecord, Error> {
    let corrupt = |what: String| Error::Config(format!("registry row is inconsistent: {what}"));
    let placement: &str = row.get("placement");
    let name = |column: &str| -> Result<Identifier, Error> {
        let value: Option<String> = row.get(column);
        let value = value.ok_or_else(|| corrupt(format!("{column} missing")))?;
        Ok(Identifier::new(&value)?)
    };
    let placement = match placement {
        "pool" => Placement::Pool,
        "schema" => Placement::Schema(name("schema_name")?),
        "database" => Placement::Database(name("database_name")?),
        other => return Err(corrupt(format!("placement {other:?}"))),
    };
    let status: &str = row.get("status");
    let limits: serde_json::Value = row.get("limits");
    let limits =
        serde_json::from_value(limits).map_err(|error| corrupt(format!("limits: {error}")))?;
    Ok(TenantRecord {
        id: row.get("id"),
        slug: row.get("slug"),
        placement,
        server: row.get("server"),
        plan: row.get("plan"),
        limits,
        status: status.parse().map_err(corrupt)?,
        created_at: row.get("created_at"),
        updated_at: row.get("updated_at"),
        schema_version: None,
        migration_failure: None,
        last_change: None,
    })
}

/// The query of the registry row of tenant `$1`, through the lookup function
/// (which the application roles may execute; they may not read the table).
pub(crate) fn find_sql() -> String {
    format!("SELECT {TENANT_COLUMNS} FROM {CONTROL_SCHEMA}.{TENANT_LOOKUP}($1)")
}

/// The lookup function's signature, as `to_regprocedure` takes it.
pub fn lookup_signature() -> String {
    format!("{CONTROL_SCHEMA}.{TENANT_LOOKUP}(uuid)")
}

/// The signature of the function that says whether the registry records
/// any tenant, as `to_regprocedure` takes it.
pub fn tenants_recorded_signature() -> String {
    format!("{CONTROL_SCHEMA}.{TENANTS_RECORDED}()")
}

/// The query of the connection string of the server added at run time
/// named `$1` (no row: no such server).
pub(crate) fn find_server_sql() -> String {
    format!("SELECT url FROM {CONTROL_SCHEMA}.{SERVER_LOOKUP}($1) AS url WHERE url IS NOT NULL")
}

/// The signature of the function that returns a server's connection
/// string, as `to_regprocedure` takes it.
pub fn server_lookup_signature() -> String {
    format!("{CONTROL_SCHEMA}.{SERVER_LOOKUP}(text)")
}

/// The signature of the procedure that records an audited access, as
/// `to_regprocedure` takes it.
pub fn support_access_signature() -> String {
    format!("{CONTROL_SCHEMA}.{SUPPORT_ACCESS_RECORD}(uuid, text, text, text, timestamptz)")
}

/// The registry's routines the application roles may execute (and only
/// those, of the control schema): its lookups of a tenant and of a server,
/// whether it records any tenant, and the audit of support access.
pub fn application_functions() -> [String; 4] {
    [
        lookup_signature(),
        tenants_recorded_signature(),
        server_lookup_signature(),
        support_access_signature(),
    ]
}
