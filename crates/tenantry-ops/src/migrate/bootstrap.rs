//! What every migrated database holds for tenantry itself: the version table
//! and the row-level security helper that tenant migrations call.

use tokio_postgres::Client;

use tenantry_postgres::contract::current_tenant_expression;

use crate::Error;
use crate::citus::{DISTRIBUTED, HELPERS as CITUS_HELPERS};
use crate::residency::{FENCE_TRIGGER, bootstrap_sql as residency_sql};

/// Serialises bootstrapping among concurrent runners.
const BOOTSTRAP_LOCK: i64 = 0x7465_6e61_6e74_7279; // "tenantry"

/// Creates the `tenantry` schema, the version table and the helpers tenant
/// migrations call, which make the safe forms the easy ones:
/// `tenantry.isolate_table('t')` (row-level security, enabled and forced,
/// `USING` and `WITH CHECK`, and the write fence of [`crate::residency`]), `tenantry.tenant_key('t', 'id')` (a primary key
/// led by `tenant_id`) and `tenantry.tenant_reference('t', '{customer_id}',
/// 'customers', '{id}')` (a foreign key that includes `tenant_id` on both
/// sides, so a row can never point at another tenant's, plus its index);
/// and on a Citus cluster `tenantry.distribute_table('t')` and
/// `tenantry.reference_table('t')` (see [`crate::citus`]).
///
/// It also stops `PUBLIC` from executing the functions the operator creates
/// in this database from now on (in any schema: a per-schema default cannot
/// take back what PostgreSQL grants `PUBLIC` by default), so a `SECURITY
/// DEFINER` function a migration adds is not callable by every role;
/// [`grant`](super::grant) gives the application roles the others.
pub(crate) async fn bootstrap(client: &Client) -> Result<(), Error> {
    let current = current_tenant_expression().replace('\'', "''");
    let residency = residency_sql();
    let sql = format!(
        "SELECT pg_advisory_xact_lock({BOOTSTRAP_LOCK});
         ALTER DEFAULT PRIVILEGES REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;
         CREATE SCHEMA IF NOT EXISTS tenantry;
         CREATE TABLE IF NOT EXISTS tenantry.migrations (
             target text NOT NULL,
             set_name text NOT NULL,
             version bigint NOT NULL,
             name text NOT NULL,
             checksum text NOT NULL,
             applied_at timestamptz NOT NULL DEFAULT now(),
             PRIMARY KEY (set_name, target, version)
         );
         CREATE TABLE IF NOT EXISTS tenantry.seeded (
             tenant text PRIMARY KEY,
             seeded_at timestamptz NOT NULL DEFAULT now()
         );
         {DISTRIBUTED}
         CREATE OR REPLACE FUNCTION tenantry.isolate_table(target regclass, tenant_column name DEFAULT 'tenant_id')
         RETURNS void LANGUAGE plpgsql AS $body$
         BEGIN
             EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', target);
             EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', target);
             EXECUTE format('DROP POLICY IF EXISTS tenantry_tenant_isolation ON %s', target);
             EXECUTE format(
                 'CREATE POLICY tenantry_tenant_isolation ON %s USING (%I = {current}) WITH CHECK (%I = {current})',
                 target, tenant_column, tenant_column);
             IF NOT tenantry.distributed(target) THEN
                 {FENCE_TRIGGER}
             END IF;
         END
         $body$;
         {CITUS_HELPERS}
         {residency}
         CREATE OR REPLACE FUNCTION tenantry.column_list(columns name[]) RETURNS text
         LANGUAGE sql IMMUTABLE AS $body$
             SELECT string_agg(quote_ident(name), ', ' ORDER BY position)
             FROM unnest(columns) WITH ORDINALITY AS listed(name, position)
         $body$;
         CREATE OR REPLACE FUNCTION tenantry.tenant_key(target regclass, VARIADIC key_columns name[])
         RETURNS void LANGUAGE plpgsql AS $body$
         BEGIN
             EXECUTE format('ALTER TABLE %s ADD PRIMARY KEY (tenant_id, %s)',
                 target, tenantry.column_list(key_columns));
         END
         $body$;
         CREATE OR REPLACE FUNCTION tenantry.tenant_reference(
             target regclass, columns name[], referenced regclass, referenced_columns name[])
         RETURNS void LANGUAGE plpgsql AS $body$
         BEGIN
             EXECUTE format('ALTER TABLE %s ADD FOREIGN KEY (tenant_id, %s) REFERENCES %s (tenant_id, %s)',
                 target, tenantry.column_list(columns), referenced, tenantry.column_list(referenced_columns));
             EXECUTE format('CREATE INDEX ON %s (tenant_id, %s)', target, tenantry.column_list(columns));
         END
         $body$;
         REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA tenantry FROM PUBLIC;"
    );
    // One simple query of several statements: its own implicit transaction,
    // all or nothing, or part of the caller's transaction if one is open
    // (which an explicit `BEGIN`/`COMMIT` here would end early).
    Ok(client.batch_execute(&sql).await?)
}
