//! What the runtime and the operator must agree on: the names and SQL that
//! one side writes into the database and the other reads back. Both sides
//! read them from here, so they cannot drift apart.

/// The setting that holds the current tenant id inside a transaction.
pub const TENANT_SETTING: &str = "tenantry.tenant_id";

/// The column that holds the tenant id in every tenant-scoped table (and in
/// shared tables that refer to a tenant).
pub const TENANT_COLUMN: &str = "tenant_id";

/// The SQL expression policies compare `tenant_id` with: the current tenant,
/// or NULL (matching no row) when no context is set.
pub fn current_tenant_expression() -> String {
    format!("NULLIF(current_setting('{TENANT_SETTING}', true), '')::uuid")
}

/// The schema of the shared pool's tables, and of a tenant database's.
pub use tenantry_query::POOL_SCHEMA;

/// The schema of global tables whose entity names none: where the
/// operator applies the shared migration set unless told otherwise.
pub use tenantry_query::GLOBAL_SCHEMA;

/// The schema of the registry, on the main server.
pub const CONTROL_SCHEMA: &str = "tenantry_control";

/// The registry's table of tenants.
pub const TENANTS_TABLE: &str = "tenants";

/// The function that returns one tenant's registry row: how the application,
/// which may not read the registry's tables, resolves a tenant.
pub const TENANT_LOOKUP: &str = "tenant_by_id";

/// The function that says whether the registry records any tenant: how a
/// pool-only application, which may not read the registry's tables, makes
/// sure that no registered tenant would be routed to the shared tables.
pub const TENANTS_RECORDED: &str = "has_tenants";

/// The channel registry changes are announced on (payload: the tenant id).
pub const CHANGES_CHANNEL: &str = "tenantry_registry";

/// The schema tenantry keeps its own objects in, in every migrated database.
pub const TENANTRY_SCHEMA: &str = "tenantry";

/// The SQL state of a write by a tenant that is not active in the placement
/// it writes to; the error's detail is the tenant id, its hint the status.
pub const NOT_ACTIVE_STATE: &str = "TN001";

/// The SQL state of a write outside the tenant's own placement; the error's
/// detail is the tenant id.
pub const OUTSIDE_PLACEMENT_STATE: &str = "TN002";

/// The columns of a registry row, as the runtime reads them.
pub const TENANT_COLUMNS: &str = "id, slug, placement, server, schema_name, database_name, plan, limits, status, created_at, updated_at";
