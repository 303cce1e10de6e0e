//! The statements of a tenant context that are the same for every tenant:
//! each connection that caches statements prepares them once, by name, so a
//! context costs a Bind and an Execute of each (see the context module for
//! how they are put together).

/// Statements of a context that are the same for every tenant: each
/// connection that caches statements prepares them once, by name.
pub(crate) const SHARED_STATEMENTS: [&str; 5] = [
    "BEGIN",
    "COMMIT",
    PIN_SHARED_PATH,
    CITUS_PROPAGATION,
    CONTEXT_FOR_GROUP,
];

/// The path of statements on shared tables and of global statements.
pub(crate) const PIN_SHARED_PATH: &str = "SET LOCAL search_path = public, pg_temp";

/// Sets the tenant (the first bound text, empty for none), the path (the
/// second) and the statement timeout (the third, empty to keep the one in
/// force) until the end of the transaction: here, the implicit transaction
/// of one message group.
pub(crate) const CONTEXT_FOR_GROUP: &str = "SELECT set_config('tenantry.tenant_id', $1, true), \
     set_config('search_path', $2, true), \
     set_config('statement_timeout', \
     COALESCE(NULLIF($3, ''), current_setting('statement_timeout')), true)";

/// The path of shared tables, as [`PIN_SHARED_PATH`] sets it.
pub(crate) const SHARED_PATH: &str = "public, pg_temp";

/// No tenant: the setting is cleared for the transaction.
pub(crate) const CLEAR_TENANT: &str = "SET LOCAL tenantry.tenant_id = ''";

/// On Citus, `SET LOCAL` reaches the workers of the transaction.
pub(crate) const CITUS_PROPAGATION: &str = "SET LOCAL citus.propagate_set_commands = 'local'";
