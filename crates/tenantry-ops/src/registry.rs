//! The tenant registry: which tenants exist, where each one lives, and in
//! what state. Its tables are the built-in `control` migration set, in the
//! `tenantry_control` schema of the main server. Every change of a tenant
//! notifies the `tenantry_registry` channel, which each process's cache
//! listens to.
//!
//! Beside the tenants, `migration_state` records what the last migration
//! run (or provisioning) found on each target: its highest applied version
//! and its last failure, so that a tenant left behind by a failed run is
//! visible in the registry (`tenantry tenants list`) and not only in that
//! run's report. It is a table of its own, keyed by target, not columns of
//! `tenants`: recording a run neither notifies every process's cache nor
//! locks tenant rows that running transactions may hold, and the pool
//! tables, templates, registry and shared schema are recorded the same way
//! (a pool tenant reads its server's pool tables' state).

use tenantry_query::TenantId;
use tokio_postgres::{Client, GenericClient, Row};

use tenantry_postgres::contract::{CONTROL_SCHEMA, POOL_SCHEMA, TENANT_COLUMNS, TENANTS_TABLE};
use tenantry_postgres::{
    MigrationFailure, Placement, StatusChange, TenantRecord, TenantStatus, registry,
};

use crate::Error;
use crate::reason::Reason;
use crate::set_kind::SetKind;
use tenantry_postgres::Error as RuntimeError;

/// The operator's query of registry rows (`filter`: a `WHERE` or `ORDER BY`
/// on the tenants' columns), each with the migration state of the tenant's
/// tables: the tenant set's target in its own schema, or in the tables
/// schema of its database or of its server's pool. The application's
/// lookup ([`find_sql`]) reads no migration state: failures can quote
/// any tenant's rows.
fn with_migration_state(filter: &str) -> String {
    format!(
        "SELECT {TENANT_COLUMNS}, schema_version, failed_version, failure, failed_at,
             changed_to, actor, reason, reference, changed_at
         FROM {CONTROL_SCHEMA}.tenants AS t
         LEFT JOIN LATERAL (
             SELECT schema_version, failed_version, failure, failed_at
             FROM {CONTROL_SCHEMA}.migration_state AS m
             WHERE m.set_name = '{tenant}' AND m.server = t.server
               AND m.database_name = coalesce(t.database_name, '')
               AND m.schema_name = coalesce(t.schema_name, '{POOL_SCHEMA}')
         ) AS state ON true
         LEFT JOIN LATERAL (
             SELECT status AS changed_to, actor, reason, reference, changed_at
             FROM {CONTROL_SCHEMA}.status_changes AS c
             WHERE c.tenant_id = t.id ORDER BY c.id DESC LIMIT 1
         ) AS change ON true
         {filter}",
        tenant = SetKind::Tenant.as_str(),
    )
}

/// Reads a row of [`with_migration_state`].
fn record_with_migration_state(row: &Row) -> Result<TenantRecord, Error> {
    let failed_version: Option<i64> = row.get("failed_version");
    let changed_to: Option<&str> = row.get("changed_to");
    let last_change = changed_to
        .map(|status| -> Result<StatusChange, Error> {
            Ok(StatusChange {
                status: status.parse().map_err(|what| {
                    RuntimeError::Config(format!("status change is inconsistent: {what}"))
                })?,
                actor: row.get("actor"),
                reason: row.get("reason"),
                reference: row.get("reference"),
                at: row.get("changed_at"),
            })
        })
        .transpose()?;
    Ok(TenantRecord {
        last_change,
        schema_version: row.get("schema_version"),
        migration_failure: failed_version.map(|version| MigrationFailure {
            version,
            error: row.get("failure"),
            at: row.get("failed_at"),
        }),
        ..registry::record(row)?
    })
}

/// The registry row of `id`, if any, with its migration state.
pub(crate) async fn find(
    client: &impl GenericClient,
    id: TenantId,
) -> Result<Option<TenantRecord>, Error> {
    client
        .query_opt(&with_migration_state("WHERE id = $1"), &[&id.as_uuid()])
        .await?
        .as_ref()
        .map(record_with_migration_state)
        .transpose()
}

/// A tenant named by its id or by its slug.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TenantRef {
    /// By id.
    Id(TenantId),
    /// By slug.
    Slug(String),
}

impl From<TenantId> for TenantRef {
    fn from(id: TenantId) -> Self {
        TenantRef::Id(id)
    }
}

impl From<&str> for TenantRef {
    /// An id if `name` is one in its hyphenated form, a slug otherwise
    /// (see [`TenantId::in_name`]: a slug may spell another tenant's id
    /// without its hyphens).
    fn from(name: &str) -> Self {
        match TenantId::in_name(name) {
            Some(id) => TenantRef::Id(id),
            None => TenantRef::Slug(name.to_owned()),
        }
    }
}

impl std::fmt::Display for TenantRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TenantRef::Id(id) => write!(f, "{id}"),
            TenantRef::Slug(slug) => write!(f, "{slug:?}"),
        }
    }
}

/// The registry row of `tenant`, by id or slug, if any, with its migration
/// state.
pub(crate) async fn find_ref(
    client: &impl GenericClient,
    tenant: &TenantRef,
) -> Result<Option<TenantRecord>, Error> {
    match tenant {
        TenantRef::Id(id) => find(client, *id).await,
        TenantRef::Slug(slug) => client
            .query_opt(&with_migration_state("WHERE slug = $1"), &[slug])
            .await?
            .as_ref()
            .map(record_with_migration_state)
            .transpose(),
    }
}

/// The registry row of `tenant`, by id or slug:
/// `UnknownTenant` or [`Error::UnknownSlug`] if there is none.
pub(crate) async fn find_tenant(
    client: &impl GenericClient,
    tenant: &TenantRef,
) -> Result<TenantRecord, Error> {
    find_ref(client, tenant).await?.ok_or_else(|| match tenant {
        TenantRef::Id(id) => RuntimeError::UnknownTenant { id: *id }.into(),
        TenantRef::Slug(slug) => Error::UnknownSlug { slug: slug.clone() },
    })
}

/// Removes the registry row of `id` while it is still provisioning, and the
/// migration state of its own schema or database; whether it was there.
pub(crate) async fn forget_provisioning(
    client: &impl GenericClient,
    record: &TenantRecord,
) -> Result<bool, Error> {
    forget_own_target(client, record).await?;
    let removed = client
        .execute(
            &format!(
                "DELETE FROM {CONTROL_SCHEMA}.tenants WHERE id = $1 AND status = 'provisioning'"
            ),
            &[&record.id.as_uuid()],
        )
        .await?;
    Ok(removed == 1)
}

/// Removes the migration state of `record`'s own schema or database, once
/// it is gone (a pool tenant has none of its own).
pub(crate) async fn forget_own_target(
    client: &impl GenericClient,
    record: &TenantRecord,
) -> Result<(), Error> {
    let (database, schema) = match &record.placement {
        Placement::Pool => return Ok(()),
        Placement::Schema(schema) => ("", schema.as_str()),
        Placement::Database(database) => (database.as_str(), POOL_SCHEMA),
    };
    client
        .execute(
            &format!(
                "DELETE FROM {CONTROL_SCHEMA}.migration_state
                 WHERE set_name = $1 AND server = $2 AND database_name = $3 AND schema_name = $4"
            ),
            &[
                &SetKind::Tenant.as_str(),
                &record.server,
                &database,
                &schema,
            ],
        )
        .await?;
    Ok(())
}

/// Every registered tenant, by slug, with its migration state.
pub async fn list(client: &impl GenericClient) -> Result<Vec<TenantRecord>, Error> {
    client
        .query(&with_migration_state("ORDER BY slug"), &[])
        .await?
        .iter()
        .map(record_with_migration_state)
        .collect()
}

/// Inserts a tenant in status `provisioning`, or returns the existing row of
/// the same id (a provisioning call being resumed). A slug taken by another
/// tenant is [`Error::DuplicateSlug`]; an erased tenant's id is
/// `TenantErased`.
pub(crate) async fn register(
    client: &impl GenericClient,
    id: TenantId,
    slug: &str,
    placement: &Placement,
    server: &str,
    plan: &str,
) -> Result<TenantRecord, Error> {
    let (schema, database) = own_names(placement);
    let sql = format!(
        "INSERT INTO {CONTROL_SCHEMA}.tenants (id, slug, placement, server, schema_name, database_name, plan, status)
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'provisioning')
         ON CONFLICT (id) DO NOTHING"
    );
    let inserted = client
        .execute(
            &sql,
            &[
                &id.as_uuid(),
                &slug,
                &placement.kind(),
                &server,
                &schema,
                &database,
                &plan,
            ],
        )
        .await;
    match inserted {
        Err(error) if error.code() == Some(&tokio_postgres::error::SqlState::UNIQUE_VIOLATION) => {
            return Err(Error::DuplicateSlug {
                slug: slug.to_owned(),
            });
        }
        other => other?,
    };
    let existing = find(client, id)
        .await?
        .expect("the row was just inserted or already existed");
    if existing.status == TenantStatus::Erased {
        return Err(RuntimeError::TenantErased { id }.into());
    }
    if existing.slug != slug || existing.placement != *placement || existing.server != server {
        return Err(Error::TenantExists { id });
    }
    Ok(existing)
}

/// The registry's `schema_name` and `database_name` of `placement`.
pub(crate) fn own_names(placement: &Placement) -> (Option<&str>, Option<&str>) {
    match placement {
        Placement::Pool => (None, None),
        Placement::Schema(schema) => (Some(schema.as_str()), None),
        Placement::Database(database) => (None, Some(database.as_str())),
    }
}

/// Points the registry row of `id` at `placement` on `server`, active: the
/// flip of a relocation.
pub(crate) async fn relocate(
    client: &impl GenericClient,
    id: TenantId,
    placement: &Placement,
    server: &str,
) -> Result<(), Error> {
    let (schema, database) = own_names(placement);
    let sql = format!(
        "UPDATE {CONTROL_SCHEMA}.tenants
         SET placement = $2, server = $3, schema_name = $4, database_name = $5,
             status = 'active', updated_at = now()
         WHERE id = $1"
    );
    client
        .execute(
            &sql,
            &[
                &id.as_uuid(),
                &placement.kind(),
                &server,
                &schema,
                &database,
            ],
        )
        .await?;
    Ok(())
}

/// Sets a tenant's status, recording who changed it and why (in the same
/// transaction, when `client` is one).
pub(crate) async fn change_status(
    client: &impl GenericClient,
    id: TenantId,
    status: TenantStatus,
    reason: &Reason,
) -> Result<(), Error> {
    set_status(client, id, status).await?;
    let sql = format!(
        "INSERT INTO {CONTROL_SCHEMA}.status_changes (tenant_id, status, actor, reason, reference)
         VALUES ($1, $2, $3, $4, $5)"
    );
    client
        .execute(
            &sql,
            &[
                &id.as_uuid(),
                &status.as_str(),
                &reason.actor,
                &reason.reason,
                &reason.reference,
            ],
        )
        .await?;
    Ok(())
}

/// Sets a tenant's status.
pub(crate) async fn set_status(
    client: &impl GenericClient,
    id: TenantId,
    status: TenantStatus,
) -> Result<(), Error> {
    let sql = format!(
        "UPDATE {CONTROL_SCHEMA}.tenants SET status = $2, updated_at = now() WHERE id = $1"
    );
    client
        .execute(&sql, &[&id.as_uuid(), &status.as_str()])
        .await?;
    Ok(())
}

/// Whether the connected database has the registry's table yet.
pub(crate) async fn exists(client: &Client) -> Result<bool, Error> {
    let row = client
        .query_one(
            &format!("SELECT to_regclass('{CONTROL_SCHEMA}.{TENANTS_TABLE}') IS NOT NULL"),
            &[],
        )
        .await?;
    Ok(row.get(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_is_an_id_only_in_the_hyphenated_form() {
        let id = "deadbeef-0000-4000-8000-00000000002a";
        assert_eq!(TenantRef::from(id), TenantRef::Id(id.parse().unwrap()));
        // A slug the registry accepts, spelling that id without hyphens: it
        // names the tenant that chose it, never the one whose id it spells.
        let spelled = id.replace('-', "");
        assert_eq!(
            TenantRef::from(spelled.as_str()),
            TenantRef::Slug(spelled.clone())
        );
    }
}
