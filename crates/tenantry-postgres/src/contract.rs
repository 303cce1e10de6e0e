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

/// The procedure that records one audited access to a tenant's data (see
/// `Tenantry::support_access`): the only way the application writes the
/// audit log, which it may not read.
pub const SUPPORT_ACCESS_RECORD: &str = "record_support_access";

/// The audit log of support access, in the control schema.
pub const SUPPORT_ACCESS_TABLE: &str = "support_access";

/// The SQL state of an audited access past its expiry; the error's detail
/// is the tenant id.
pub const ACCESS_EXPIRED_STATE: &str = "TN003";

/// The function that returns the connection string (without credentials)
/// of a server added at run time, by name: how the application learns
/// servers that its configuration does not name.
pub const SERVER_LOOKUP: &str = "server_by_name";

/// The channel registry changes are announced on (payload: the tenant id,
/// or [`SERVER_CHANGE_PREFIX`] and a server's name).
pub const CHANGES_CHANNEL: &str = "tenantry_registry";

/// What a notification of a change to a server added at run time starts
/// with, before the server's name.
pub const SERVER_CHANGE_PREFIX: &str = "server:";

/// The schema tenantry keeps its own objects in, in every migrated database.
pub const TENANTRY_SCHEMA: &str = "tenantry";

/// The SQL state of a write by a tenant that is not active in the placement
/// it writes to; the error's detail is the tenant id, its hint the status.
pub const NOT_ACTIVE_STATE: &str = "TN001";

/// The status a tenant's residency keeps in the place it was relocated
/// from: the fence refuses its writes there for good, and the runtime
/// reports them as `TenantMoved`.
pub const MOVED_RESIDENCY: &str = "moved";

/// How long a write refused because its tenant is being relocated should
/// wait before it is tried again (`TenantMoving`'s `retry_after`): the
/// fenced part of a relocation is its last copy and a flip.
pub const MOVING_RETRY_AFTER: std::time::Duration = std::time::Duration::from_millis(200);

/// The SQL state of a write outside the tenant's own placement; the error's
/// detail is the tenant id.
pub const OUTSIDE_PLACEMENT_STATE: &str = "TN002";

/// The columns of a registry row, as the runtime reads them.
pub const TENANT_COLUMNS: &str = "id, slug, placement, server, schema_name, database_name, plan, limits, status, created_at, updated_at";
