//! Where each tenant's rows may be written, recorded in every database that
//! holds tenant tables, and the fence that keeps writes there.
//!
//! Each migrated database has `tenantry.residents`: for each tenant whose
//! rows live in it, the schema they live in (`public` for the shared pool and
//! for a tenant database), whether that schema is the tenant's alone (a
//! schema or database placement), and the tenant's status there. Every table
//! that `tenantry.isolate_table` isolates also gets a statement trigger,
//! `tenantry_fence`, that runs before each write in a tenant context:
//!
//! - it locks the tenant's residency row in share mode (`FOR SHARE`), held
//!   to the end of the transaction, so a status change (an update of that
//!   row) waits for every transaction that has written, and no write starts
//!   while it waits; a write that waited reads the new status (read
//!   committed), or fails to serialize (repeatable read, serializable), so a
//!   transaction that took its snapshot before the change never writes after
//!   it. The application role has no right on the table: no tenant can take
//!   another tenant's lock;
//! - it refuses the write unless the tenant is active here, in this schema
//!   (`TenantNotActive`, `TenantMoving` while it is relocated, `TenantMoved`
//!   where it was relocated from, `OutsidePlacement`): a transaction begun before its
//!   tenant was suspended or moved cannot write, let alone commit, after the
//!   change, whatever the caches of any process say, and a tenant's own rows
//!   never land in another tenant's schema or database, or in the shared
//!   pool when they belong elsewhere;
//! - a tenant this database does not record may write only where the
//!   database records no tenant at all: the shared pool of a deployment
//!   without a registry (or not migrated since residency was recorded).
//!   Once it records any, a tenant of another server, one still being
//!   provisioned or one never provisioned is refused.
//!
//! Reads are not fenced (they keep working until the registry flips, and the
//! router refuses them after), so the fence costs nothing per read and one
//! trigger call per write statement.

use std::time::Duration;
use tenantry_query::{Identifier, TenantId};

use tokio_postgres::Client;
use tokio_postgres::error::SqlState;

use tenantry_postgres::contract::{
    MOVED_RESIDENCY, NOT_ACTIVE_STATE, OUTSIDE_PLACEMENT_STATE, POOL_SCHEMA,
};
use tenantry_postgres::{Placement, TenantRecord, TenantStatus};

use crate::Error;
use crate::transaction::in_transaction;

/// The residents table and the fence's functions, for bootstrap. The check
/// is a function of its own, compiled once per session: PL/pgSQL compiles a
/// trigger function once per table it fires on, so the trigger's own body is
/// kept to the call (each schema tenant's tables would otherwise cost a
/// session about twice the memory).
pub(crate) fn bootstrap_sql() -> String {
    format!(
        "CREATE TABLE IF NOT EXISTS tenantry.residents (
             tenant_id uuid PRIMARY KEY,
             schema_name name NOT NULL,
             owns_schema boolean NOT NULL,
             status text NOT NULL,
             updated_at timestamptz NOT NULL DEFAULT now()
         );
         CREATE UNIQUE INDEX IF NOT EXISTS residents_one_owner
             ON tenantry.residents (schema_name) WHERE owns_schema;
         CREATE OR REPLACE FUNCTION tenantry.fence_check(tenant uuid, target_schema name, target_table name)
         RETURNS void
         LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fence$
         DECLARE
             resident record;
         BEGIN
             SELECT schema_name, status INTO resident FROM tenantry.residents
             WHERE tenant_id = tenant FOR SHARE;
             IF NOT FOUND THEN
                 IF EXISTS (SELECT FROM tenantry.residents) THEN
                     RAISE EXCEPTION 'tenant % may not write to %.%: this database does not serve it',
                         tenant, target_schema, target_table
                         USING ERRCODE = '{OUTSIDE_PLACEMENT_STATE}', DETAIL = tenant::text;
                 END IF;
             ELSIF resident.schema_name <> target_schema THEN
                 RAISE EXCEPTION 'tenant % may not write to %.%: its rows live in %',
                     tenant, target_schema, target_table, resident.schema_name
                     USING ERRCODE = '{OUTSIDE_PLACEMENT_STATE}', DETAIL = tenant::text;
             ELSIF resident.status <> 'active' THEN
                 RAISE EXCEPTION 'tenant % is %, not active, here', tenant, resident.status
                     USING ERRCODE = '{NOT_ACTIVE_STATE}', DETAIL = tenant::text,
                           HINT = resident.status;
             END IF;
         END
         $fence$;
         REVOKE ALL ON FUNCTION tenantry.fence_check(uuid, name, name) FROM PUBLIC;
         CREATE OR REPLACE FUNCTION tenantry.fence() RETURNS trigger
         LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fence$
         DECLARE
             tenant uuid := NULLIF(current_setting('tenantry.tenant_id', true), '')::uuid;
         BEGIN
             IF tenant IS NOT NULL THEN
                 PERFORM tenantry.fence_check(tenant, TG_TABLE_SCHEMA, TG_TABLE_NAME);
             END IF;
             RETURN NULL;
         END
         $fence$;
         REVOKE ALL ON FUNCTION tenantry.fence() FROM PUBLIC;"
    )
}

/// The statements that fence writes to `target` (a `regclass` in the
/// `tenantry.isolate_table` function's body).
pub(crate) const FENCE_TRIGGER: &str =
    "EXECUTE format('DROP TRIGGER IF EXISTS tenantry_fence ON %s', target);
             EXECUTE format('CREATE TRIGGER tenantry_fence BEFORE INSERT OR UPDATE OR DELETE ON %s \
                 FOR EACH STATEMENT EXECUTE FUNCTION tenantry.fence()', target);";

/// Records, in the database of `client`, each of `tenants` that it does not
/// record yet, with its registry status; a recorded residency is never
/// overwritten (a status change may be under way).
pub(crate) async fn adopt(client: &Client, tenants: &[&TenantRecord]) -> Result<(), Error> {
    let mut ids = Vec::with_capacity(tenants.len());
    let mut schemas = Vec::with_capacity(tenants.len());
    let mut owned = Vec::with_capacity(tenants.len());
    let mut statuses = Vec::with_capacity(tenants.len());
    for tenant in tenants {
        let (schema, owns) = home(&tenant.placement);
        ids.push(tenant.id.as_uuid());
        schemas.push(schema);
        owned.push(owns);
        statuses.push(tenant.status.as_str());
    }
    client
        .execute(
            "INSERT INTO tenantry.residents (tenant_id, schema_name, owns_schema, status)
             SELECT * FROM unnest($1::uuid[], $2::text[]::name[], $3::bool[], $4::text[])
             ON CONFLICT (tenant_id) DO NOTHING",
            &[&ids, &schemas, &owned, &statuses],
        )
        .await?;
    Ok(())
}

/// Where `placement`'s rows live in the database that holds them: the
/// schema, and whether it is the tenant's alone.
pub(crate) fn home(placement: &Placement) -> (&str, bool) {
    match placement {
        Placement::Pool => (POOL_SCHEMA, false),
        Placement::Schema(schema) => (schema.as_str(), true),
        Placement::Database(_) => (POOL_SCHEMA, true),
    }
}

/// Records `tenant` as living in `placement` with `status`, in the database
/// of `client` (the one that holds the placement). Updating the tenant's
/// row waits for every transaction of the tenant that has written (each
/// holds the row in share mode), and writes that start meanwhile wait for
/// it, then see the new status. Past `wait` it gives up with
/// [`Error::FenceTimeout`], and nothing changes.
pub(crate) async fn record(
    client: &Client,
    tenant: TenantId,
    placement: &Placement,
    status: TenantStatus,
    wait: Duration,
) -> Result<(), Error> {
    write(client, tenant, placement, status.as_str(), wait).await
}

/// Records `tenant` as relocated away from `placement`, in the database of
/// `client`, as [`record`] does a status: the fence refuses its writes
/// there for good, which the runtime reports as `TenantMoved`.
pub(crate) async fn record_moved(
    client: &Client,
    tenant: TenantId,
    placement: &Placement,
    wait: Duration,
) -> Result<(), Error> {
    write(client, tenant, placement, MOVED_RESIDENCY, wait).await
}

/// Records `tenant` in `placement` with `status` (see [`record`]).
async fn write(
    client: &Client,
    tenant: TenantId,
    placement: &Placement,
    status: &str,
    wait: Duration,
) -> Result<(), Error> {
    let (schema, owns) = home(placement);
    let schema = Identifier::new(schema)?;
    in_transaction(client, async || {
        client
            .batch_execute(&format!(
                "SET LOCAL lock_timeout = {}",
                wait.as_millis().max(1)
            ))
            .await?;
        client
            .execute(
                "INSERT INTO tenantry.residents (tenant_id, schema_name, owns_schema, status)
                 VALUES ($1, $2, $3, $4)
                 ON CONFLICT (tenant_id) DO UPDATE SET schema_name = EXCLUDED.schema_name,
                     owns_schema = EXCLUDED.owns_schema, status = EXCLUDED.status,
                     updated_at = now()",
                &[&tenant.as_uuid(), &schema.as_str(), &owns, &status],
            )
            .await
            .map_err(|error| match error.code() {
                Some(&SqlState::LOCK_NOT_AVAILABLE) => Error::FenceTimeout {
                    id: tenant,
                    waited: wait,
                },
                _ => Error::from(error),
            })?;
        Ok(())
    })
    .await
}
