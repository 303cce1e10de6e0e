//! The source's side of an online copy: a publication of the tenant's
//! tables and a logical replication slot (`pgoutput`) that keeps their
//! changes, both named for the relocation and its tenant (slot names are
//! the server's, and several registries may move tenants from one server),
//! so a resumed move or a rollback finds them. A table of the shared pool is published with a row filter
//! on the tenant only where its replica identity holds the tenant column:
//! a filter on another column makes every update and delete of that table
//! fail, for every tenant. Elsewhere it is published whole and its changes
//! are filtered as they are applied. A table without a replica identity is
//! not published (its updates and deletes would fail), nor is a pool table
//! without the tenant column (its rows are the tenant's through their
//! references): the fenced step's digests find what changed in those. A
//! partitioned table's changes are published as its own (its row filter
//! applies, and its partitions are not tables the move copies).

use std::time::Duration;

use tokio_postgres::Client;
use tokio_postgres::error::SqlState;

use tenantry_postgres::Placement;
use tenantry_postgres::contract::TENANT_COLUMN;
use tenantry_query::TenantId;

use super::super::copy::CopiedTable;
use super::super::plan::Leg;
use crate::Error;

/// The name of relocation `relocation`'s (of `tenant`) publication and
/// slot.
pub(crate) fn name(relocation: i64, tenant: TenantId) -> String {
    format!(
        "tenantry_relocation_{relocation}_{}",
        tenant.as_uuid().simple()
    )
}

/// Whether the connected source can stream its changes: its `wal_level`
/// is `logical` and the operator's role may create replication slots.
pub(crate) async fn can_stream(source: &Client) -> Result<bool, Error> {
    let row = source
        .query_one(
            "SELECT current_setting('wal_level') = 'logical'
                    AND (SELECT rolsuper OR rolreplication FROM pg_roles
                         WHERE rolname = current_user)",
            &[],
        )
        .await?;
    Ok(row.get::<_, Option<bool>>(0).unwrap_or(false))
}

/// How one of the tenant's tables is published.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Publishing {
    /// Not at all: the fenced step's digests find its changes.
    No,
    /// Every row: the table is the tenant's alone.
    Whole,
    /// With a row filter on the tenant.
    Filtered,
    /// Every row of every tenant: the changes are filtered as applied.
    Unfiltered,
}

/// How each of `tables` (at the source of `leg`, on `source`) is
/// published, in their order.
pub(crate) async fn publishing(
    source: &Client,
    leg: &Leg,
    tables: &[CopiedTable],
) -> Result<Vec<Publishing>, Error> {
    let pool = leg.from.placement == Placement::Pool;
    let mut kinds = Vec::with_capacity(tables.len());
    for table in tables {
        let row = source
            .query_one(
                "SELECT c.relreplident = 'f'
                        OR EXISTS (SELECT FROM pg_index i WHERE i.indrelid = c.oid
                                   AND CASE c.relreplident WHEN 'd' THEN i.indisprimary
                                                           WHEN 'i' THEN i.indisreplident
                                                           ELSE false END),
                        EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = c.oid
                                AND a.attname = $2 AND NOT a.attisdropped),
                        c.relreplident = 'f'
                        OR EXISTS (SELECT FROM pg_index i
                                   JOIN pg_attribute a ON a.attrelid = c.oid
                                    AND a.attnum = ANY (i.indkey) AND a.attname = $2
                                   WHERE i.indrelid = c.oid
                                   AND CASE c.relreplident WHEN 'd' THEN i.indisprimary
                                                           WHEN 'i' THEN i.indisreplident
                                                           ELSE false END)
                 FROM pg_class c WHERE c.oid = to_regclass($1)",
                &[&table.source.quoted(), &TENANT_COLUMN],
            )
            .await?;
        let (identity, column, covers): (bool, bool, bool) = (row.get(0), row.get(1), row.get(2));
        kinds.push(match (identity, pool, column, covers) {
            (false, _, _, _) | (true, true, false, _) => Publishing::No,
            (true, false, _, _) => Publishing::Whole,
            (true, true, true, true) => Publishing::Filtered,
            (true, true, true, false) => Publishing::Unfiltered,
        });
    }
    Ok(kinds)
}

/// Creates relocation `relocation`'s publication of `tables` (as `kinds`
/// say) and its slot on `source`, after removing any a killed run left;
/// `false` (and nothing made) when the role may not, or the server has no
/// slot free.
pub(crate) async fn create(
    source: &Client,
    relocation: i64,
    tenant: TenantId,
    tables: &[CopiedTable],
    kinds: &[Publishing],
) -> Result<bool, Error> {
    remove(source, relocation, tenant).await?;
    let listed: Vec<String> = tables
        .iter()
        .zip(kinds)
        .filter_map(|(table, kind)| match kind {
            Publishing::No => None,
            Publishing::Whole | Publishing::Unfiltered => Some(table.source.quoted()),
            Publishing::Filtered => Some(format!(
                "{} WHERE ({TENANT_COLUMN} = '{tenant}'::uuid)",
                table.source.quoted()
            )),
        })
        .collect();
    if listed.is_empty() {
        return Ok(false);
    }
    let name = name(relocation, tenant);
    let made = async {
        source
            .batch_execute(&format!(
                "CREATE PUBLICATION {name} FOR TABLE {}
                 WITH (publish_via_partition_root = true)",
                listed.join(", ")
            ))
            .await?;
        source
            .execute(
                "SELECT pg_create_logical_replication_slot($1, 'pgoutput')",
                &[&name],
            )
            .await
    }
    .await;
    match made {
        Ok(_) => Ok(true),
        Err(error)
            if [
                SqlState::INSUFFICIENT_PRIVILEGE,
                SqlState::CONFIGURATION_LIMIT_EXCEEDED,
                SqlState::OBJECT_NOT_IN_PREREQUISITE_STATE,
            ]
            .iter()
            .any(|code| error.code() == Some(code)) =>
        {
            remove(source, relocation, tenant).await?;
            Ok(false)
        }
        Err(error) => Err(error.into()),
    }
}

/// Drops relocation `relocation`'s (of `tenant`) slot and publication on
/// `source`, if they exist (a forgotten slot keeps the source's WAL
/// forever); a session still reading the slot (a killed run's) is ended
/// first.
pub(crate) async fn remove(
    source: &Client,
    relocation: i64,
    tenant: TenantId,
) -> Result<(), Error> {
    let name = name(relocation, tenant);
    for attempt in 1..=50 {
        source
            .execute(
                "SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots
                 WHERE slot_name = $1 AND active_pid IS NOT NULL
                   AND active_pid <> pg_backend_pid()",
                &[&name],
            )
            .await?;
        let dropped = source
            .execute(
                "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots
                 WHERE slot_name = $1",
                &[&name],
            )
            .await;
        match dropped {
            Ok(_) => break,
            Err(error) if error.code() == Some(&SqlState::OBJECT_IN_USE) && attempt < 50 => {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(error) => return Err(error.into()),
        }
    }
    source
        .batch_execute(&format!("DROP PUBLICATION IF EXISTS {name}"))
        .await?;
    Ok(())
}
