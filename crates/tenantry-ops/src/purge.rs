//! A tenant's rows in one database, found from the catalog: every table
//! with the tenant column (the shared pool's, and shared tables that refer
//! to a tenant), never a hand-kept list, outside tenantry's own schemas and
//! the schemas that tenants own. Deleted children before parents, in
//! bounded batches of their own transaction each, so no lock is held long;
//! counted to prove none is left.

use std::collections::{BTreeMap, BTreeSet};

use tenantry_query::{Identifier, TenantId};
use tokio_postgres::Client;

use tenantry_postgres::contract::{CONTROL_SCHEMA, TENANT_COLUMN, TENANTRY_SCHEMA};

use crate::Error;

/// The rows deleted by one statement at most, by default.
pub(crate) const BATCH_ROWS: i64 = 10_000;

/// A table with the tenant column.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct ScopedTable {
    pub(crate) schema: Identifier,
    pub(crate) table: Identifier,
}

impl ScopedTable {
    /// `schema.table`, quoted for SQL.
    fn quoted(&self) -> String {
        format!("{}.{}", self.schema.quoted(), self.table.quoted())
    }

    /// `schema.table`, as the erasure record names it.
    pub(crate) fn name(&self) -> String {
        format!("{}.{}", self.schema, self.table)
    }
}

/// Every table of the connected database with the tenant column, outside
/// system schemas, tenantry's own and tenant-owned schemas (as the
/// database's residents record them), children before parents: a table
/// whose foreign key refers to another comes first (a cycle keeps name
/// order).
pub(crate) async fn scoped_tables(client: &Client) -> Result<Vec<ScopedTable>, Error> {
    let rows = client
        .query(
            "SELECT c.oid, n.nspname::text, c.relname::text
             FROM pg_class c
             JOIN pg_namespace n ON n.oid = c.relnamespace
             JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = $1 AND NOT a.attisdropped
             WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
               AND n.nspname NOT IN ('pg_catalog', 'information_schema', $2, $3)
               AND n.nspname NOT LIKE 'pg\\_%'
               AND NOT EXISTS (SELECT FROM tenantry.residents o
                               WHERE o.owns_schema AND o.schema_name = n.nspname
                                 AND o.schema_name <> 'public')
             ORDER BY 2, 3",
            &[&TENANT_COLUMN, &TENANTRY_SCHEMA, &CONTROL_SCHEMA],
        )
        .await?;
    let mut tables = BTreeMap::new();
    for row in &rows {
        let oid: u32 = row.get(0);
        let table = ScopedTable {
            schema: Identifier::new(row.get(1))?,
            table: Identifier::new(row.get(2))?,
        };
        tables.insert(oid, table);
    }
    let oids: Vec<u32> = tables.keys().copied().collect();
    let references = client
        .query(
            "SELECT conrelid, confrelid FROM pg_constraint
             WHERE contype = 'f' AND conrelid = ANY($1) AND confrelid = ANY($1)
               AND conrelid <> confrelid",
            &[&oids],
        )
        .await?;
    let mut parents: BTreeMap<u32, BTreeSet<u32>> = BTreeMap::new();
    for reference in &references {
        parents
            .entry(reference.get(1))
            .or_default()
            .insert(reference.get(0));
    }
    Ok(children_first(tables, &parents))
}

/// `tables` ordered so that every table comes after the tables referring
/// to it (`children` of each parent); a cycle keeps name order.
fn children_first(
    mut tables: BTreeMap<u32, ScopedTable>,
    children: &BTreeMap<u32, BTreeSet<u32>>,
) -> Vec<ScopedTable> {
    let mut ordered = Vec::with_capacity(tables.len());
    while !tables.is_empty() {
        let ready: Vec<u32> = tables
            .keys()
            .copied()
            .filter(|oid| {
                children
                    .get(oid)
                    .is_none_or(|kids| kids.iter().all(|kid| !tables.contains_key(kid)))
            })
            .collect();
        let mut next: Vec<ScopedTable> = if ready.is_empty() {
            std::mem::take(&mut tables).into_values().collect()
        } else {
            ready.iter().filter_map(|oid| tables.remove(oid)).collect()
        };
        next.sort();
        ordered.extend(next);
    }
    ordered
}

/// Deletes `tenant`'s rows from each of `tables`, in order, each in
/// batches of `batch` rows that commit on their own; calls `deleted` with
/// each batch's count. Row-level security is off on the connection: a role
/// that may not bypass it gets an error, never a delete that misses rows.
pub(crate) async fn delete_rows(
    client: &Client,
    tables: &[ScopedTable],
    tenant: TenantId,
    batch: i64,
    deleted: &(dyn Fn(u64) + Sync),
) -> Result<u64, Error> {
    client.batch_execute("SET row_security = off").await?;
    let mut total = 0;
    for table in tables {
        let sql = format!(
            "DELETE FROM {table} WHERE ctid = ANY (ARRAY(
                 SELECT ctid FROM {table} WHERE {TENANT_COLUMN} = $1 LIMIT $2))",
            table = table.quoted()
        );
        let statement = client.prepare(&sql).await?;
        loop {
            let rows = client
                .execute(&statement, &[&tenant.as_uuid(), &batch])
                .await?;
            total += rows;
            deleted(rows);
            if rows == 0 {
                break;
            }
        }
    }
    Ok(total)
}

/// How many rows of `tenant` each of `tables` holds.
pub(crate) async fn count_rows(
    client: &Client,
    tables: &[ScopedTable],
    tenant: TenantId,
) -> Result<Vec<i64>, Error> {
    client.batch_execute("SET row_security = off").await?;
    let mut counts = Vec::with_capacity(tables.len());
    for table in tables {
        let sql = format!(
            "SELECT count(*) FROM {} WHERE {TENANT_COLUMN} = $1",
            table.quoted()
        );
        counts.push(client.query_one(&sql, &[&tenant.as_uuid()]).await?.get(0));
    }
    Ok(counts)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(name: &str) -> ScopedTable {
        ScopedTable {
            schema: Identifier::new("public").unwrap(),
            table: Identifier::new(name).unwrap(),
        }
    }

    #[test]
    fn children_come_before_their_parents_and_a_cycle_keeps_name_order() {
        // 1 customers <- 2 invoices <- 3 lines; 4 and 5 refer to each other.
        let tables: BTreeMap<u32, ScopedTable> = [
            (1, table("customers")),
            (2, table("invoices")),
            (3, table("lines")),
            (4, table("a_loop")),
            (5, table("b_loop")),
            (6, table("alone")),
        ]
        .into();
        let children: BTreeMap<u32, BTreeSet<u32>> = [
            (1, [2].into()),
            (2, [3].into()),
            (4, [5].into()),
            (5, [4].into()),
        ]
        .into();
        let names: Vec<String> = children_first(tables, &children)
            .iter()
            .map(|table| table.table.to_string())
            .collect();
        assert_eq!(
            names,
            [
                "alone",
                "lines",
                "invoices",
                "customers",
                "a_loop",
                "b_loop"
            ]
        );
    }
}
