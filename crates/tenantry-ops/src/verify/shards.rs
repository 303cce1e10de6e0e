//! On a Citus coordinator, the shards of each distributed tenant-scoped
//! table, read where they are: a statement routed to a shard runs under the
//! shard's own row-level security, not under the coordinator's table's.

use std::collections::HashSet;

use tokio_postgres::Client;
use tokio_postgres::types::Oid;

use crate::Error;

/// One shard of a distributed scoped table.
pub(super) struct Shard {
    /// The coordinator's table.
    pub(super) table: Oid,
    /// The shard's id.
    pub(super) id: i64,
    /// Row-level security enabled and forced on it, with a policy.
    pub(super) isolated: bool,
}

/// Whether Citus is installed in the connected database.
const HAS_CITUS: &str = "SELECT to_regclass('pg_catalog.pg_dist_partition') IS NOT NULL";

/// Each shard of the distributed tables among `$1`, with its state as the
/// worker holding it reports it.
const SHARDS: &str = "SELECT p.logicalrelid::oid, s.shardid, s.success AND s.result = 't'
     FROM pg_catalog.pg_dist_partition p
     CROSS JOIN LATERAL run_command_on_shards(p.logicalrelid::regclass,
         $command$SELECT c.relrowsecurity AND c.relforcerowsecurity
                      AND EXISTS (SELECT FROM pg_catalog.pg_policy p WHERE p.polrelid = c.oid)
                  FROM pg_catalog.pg_class c WHERE c.oid = '%s'::regclass$command$) s
     WHERE p.logicalrelid::oid = ANY($1::oid[])";

/// The shards of the distributed tables among `tables`; none without Citus.
pub(super) async fn read(client: &Client, tables: &[Oid]) -> Result<Vec<Shard>, Error> {
    let citus: bool = client.query_one(HAS_CITUS, &[]).await?.get(0);
    if !citus || tables.is_empty() {
        return Ok(Vec::new());
    }
    let rows = client.query(SHARDS, &[&tables]).await?;
    Ok(rows
        .iter()
        .map(|row| Shard {
            table: row.get(0),
            id: row.get(1),
            isolated: row.get::<_, Option<bool>>(2).unwrap_or(false),
        })
        .collect())
}

/// The distributed tables among `shards`.
pub(super) fn distributed(shards: &[Shard]) -> HashSet<Oid> {
    shards.iter().map(|shard| shard.table).collect()
}
