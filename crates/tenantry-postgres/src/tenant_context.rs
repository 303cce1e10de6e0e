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
//! schema, or `public` (where the pool's tables and a tenant database's tables
//! live), with `pg_temp` searched last, so a temporary table can never shadow a
//! tenant table that a statement names without a schema.

use std::fmt::Write;

use tenantry_query::{Identifier, TenantId};

/// The setting that holds the current tenant id inside a transaction.
pub const TENANT_SETTING: &str = "tenantry.tenant_id";

/// `BEGIN` followed by [`context_settings`].
pub(crate) fn begin_in_context(
    tenant: TenantId,
    citus: bool,
    schema: Option<&Identifier>,
) -> String {
    format!("BEGIN; {}", context_settings(tenant, citus, schema))
}

/// The `SET LOCAL`s of the tenant context and of its `search_path` (for
/// hand-written SQL and the pool's unqualified tables; built statements
/// qualify every table of a schema placement).
pub(crate) fn context_settings(
    tenant: TenantId,
    citus: bool,
    schema: Option<&Identifier>,
) -> String {
    let mut sql = String::with_capacity(96);
    if citus {
        sql.push_str("SET LOCAL citus.propagate_set_commands = 'local'; ");
    }
    let schema = schema.map_or_else(|| SHARED_TABLES_SCHEMA.to_owned(), Identifier::quoted);
    write!(
        sql,
        "SET LOCAL {TENANT_SETTING} = '{tenant}'; SET LOCAL search_path = {schema}, pg_temp"
    )
    .expect("writing to a String");
    sql
}

/// Where the pool's tables, and those of a tenant database, live.
const SHARED_TABLES_SCHEMA: &str = "public";

/// The `BEGIN` of a statement outside any tenant context (global entities):
/// the tenant setting is cleared for the transaction, so that not even a
/// session-level setting left by hand-written SQL can lend it a tenant.
pub(crate) const BEGIN_WITHOUT_TENANT: &str = "BEGIN; SET LOCAL tenantry.tenant_id = ''";

/// The SQL expression policies compare `tenant_id` with: the current tenant,
/// or NULL (matching no row) when no context is set.
pub fn current_tenant_expression() -> String {
    format!("NULLIF(current_setting('{TENANT_SETTING}', true), '')::uuid")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_only_the_uuid() {
        let tenant: TenantId = "00000000-0000-0000-0000-00000000002a".parse().unwrap();
        assert_eq!(
            begin_in_context(tenant, false, None),
            "BEGIN; SET LOCAL tenantry.tenant_id = '00000000-0000-0000-0000-00000000002a'; SET LOCAL search_path = public, pg_temp"
        );
        assert_eq!(
            begin_in_context(tenant, true, None),
            "BEGIN; SET LOCAL citus.propagate_set_commands = 'local'; SET LOCAL tenantry.tenant_id = '00000000-0000-0000-0000-00000000002a'; SET LOCAL search_path = public, pg_temp"
        );
        let schema = Identifier::new("tenant_acme").unwrap();
        assert_eq!(
            begin_in_context(tenant, false, Some(&schema)),
            "BEGIN; SET LOCAL tenantry.tenant_id = '00000000-0000-0000-0000-00000000002a'; SET LOCAL search_path = \"tenant_acme\", pg_temp"
        );
    }

    #[test]
    fn the_global_begin_clears_the_setting() {
        assert!(BEGIN_WITHOUT_TENANT.ends_with(&format!("SET LOCAL {TENANT_SETTING} = ''")));
    }
}
