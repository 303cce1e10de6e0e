//! The transaction-local tenant context that row-level security policies read.
//!
//! The context is set with `SET LOCAL` inside the statement's own transaction,
//! so it ends with that transaction: nothing survives into the next borrower
//! of the connection, and it works behind a transaction-mode pooler. On Citus
//! `SET LOCAL` is propagated to the workers (`set_config(.., true)` is not).
//! `SET LOCAL` takes no bind parameter, so the literal is rendered from the
//! typed tenant id only (a UUID: hex digits and hyphens), and it is sent as a
//! simple query, never prepared, so per-tenant text never enters the
//! statement cache.
//!
//! The context also pins `search_path` for the transaction: the tenant's
//! schema, or `public` (where the pool's tables and a tenant database's
//! tables live), with `pg_temp` searched last, so a temporary table can never
//! shadow a tenant table that a statement names without a schema, even on a
//! server connection that a transaction-mode pooler shares. Built statements
//! of a schema placement name their schema and get `public, pg_temp` (for
//! global tables): a path that differed from the one they were prepared
//! under would make PostgreSQL plan them again.

use std::fmt::Write;

use tenantry_query::{Identifier, TenantId};

/// The setting that holds the current tenant id inside a transaction.
pub const TENANT_SETTING: &str = "tenantry.tenant_id";

/// The `BEGIN`s of one tenant's transactions.
pub(crate) struct Begin {
    /// For a built statement: `BEGIN` and the tenant context.
    pub(crate) statement: String,
    /// For hand-written SQL and transactions: also the pinned `search_path`.
    pub(crate) hand_written: String,
}

impl Begin {
    /// The `BEGIN`s of `tenant`, whose tables are in `schema` (or `public`).
    pub(crate) fn new(tenant: TenantId, citus: bool, schema: Option<&Identifier>) -> Self {
        let hand_written = format!("BEGIN; {}", context_settings(tenant, citus, schema));
        // Built statements of a schema placement name their schema, so they
        // get the path of a clean session: a path that differed from the one
        // they were prepared under would make PostgreSQL plan them again.
        let statement = format!("BEGIN; {}", context_settings(tenant, citus, None));
        Self {
            statement,
            hand_written,
        }
    }
}

/// The `SET LOCAL`s of the tenant context.
fn tenant_settings(tenant: TenantId, citus: bool) -> String {
    let mut sql = String::with_capacity(96);
    if citus {
        sql.push_str("SET LOCAL citus.propagate_set_commands = 'local'; ");
    }
    write!(sql, "SET LOCAL {TENANT_SETTING} = '{tenant}'").expect("writing to a String");
    sql
}

/// The `SET LOCAL`s for hand-written SQL in an open transaction: the tenant
/// context, and `search_path` set to `schema` (or `public`), then `pg_temp`.
pub(crate) fn context_settings(
    tenant: TenantId,
    citus: bool,
    schema: Option<&Identifier>,
) -> String {
    let schema = schema.map_or_else(|| SHARED_TABLES_SCHEMA.to_owned(), Identifier::quoted);
    format!(
        "{}; SET LOCAL search_path = {schema}, pg_temp",
        tenant_settings(tenant, citus)
    )
}

/// Where the pool's tables, and those of a tenant database, live.
const SHARED_TABLES_SCHEMA: &str = "public";

/// The `BEGIN` of a statement outside any tenant context (global entities):
/// the tenant setting is cleared for the transaction, so that not even a
/// session-level setting left by hand-written SQL can lend it a tenant, and
/// the path is pinned as for a tenant.
pub(crate) const BEGIN_WITHOUT_TENANT: &str =
    "BEGIN; SET LOCAL tenantry.tenant_id = ''; SET LOCAL search_path = public, pg_temp";

/// The SQL expression policies compare `tenant_id` with: the current tenant,
/// or NULL (matching no row) when no context is set.
pub fn current_tenant_expression() -> String {
    format!("NULLIF(current_setting('{TENANT_SETTING}', true), '')::uuid")
}

#[cfg(test)]
mod tests {
    use super::*;

    const TENANT: &str = "00000000-0000-0000-0000-00000000002a";

    #[test]
    fn renders_only_the_uuid() {
        let tenant: TenantId = TENANT.parse().unwrap();
        let begin = Begin::new(tenant, false, None);
        assert_eq!(begin.statement, begin.hand_written);
        assert_eq!(
            begin.hand_written,
            format!(
                "BEGIN; SET LOCAL tenantry.tenant_id = '{TENANT}'; SET LOCAL search_path = public, pg_temp"
            )
        );
        assert_eq!(
            Begin::new(tenant, true, None).statement,
            format!(
                "BEGIN; SET LOCAL citus.propagate_set_commands = 'local'; SET LOCAL tenantry.tenant_id = '{TENANT}'; SET LOCAL search_path = public, pg_temp"
            )
        );
        let schema = Identifier::new("tenant_acme").unwrap();
        let begin = Begin::new(tenant, false, Some(&schema));
        assert_eq!(
            begin.hand_written,
            format!(
                "BEGIN; SET LOCAL tenantry.tenant_id = '{TENANT}'; SET LOCAL search_path = \"tenant_acme\", pg_temp"
            )
        );
        assert_eq!(begin.statement, Begin::new(tenant, false, None).statement);
    }

    #[test]
    fn the_global_begin_clears_the_setting() {
        assert!(BEGIN_WITHOUT_TENANT.contains(&format!("SET LOCAL {TENANT_SETTING} = ''")));
    }
}
