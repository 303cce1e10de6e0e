//! A tenant's rows in one database, found from the catalog: every table
//! with the tenant column (the shared pool's, and shared tables that refer
//! to a tenant), never a hand-kept list, outside tenantry's own schemas and
//! the schemas that tenants own; and every table without the column whose
//! foreign key refers to those rows (directly, or through another such
//! table) and would keep them or go with them (`NO ACTION`, `RESTRICT`,
//! `CASCADE`): its rows that refer to the tenant's are the tenant's too. A
//! reference that lets the row outlive its target (`SET NULL`, `SET
//! DEFAULT`) is left to the database. Deleted children before parents, in
//! bounded batches of their own transaction each, so no lock is held long;
//! counted to prove none is left.

use std::collections::{BTreeMap, BTreeSet};

use tenantry_query::{Identifier, TenantId};
use tokio_postgres::Client;

use tenantry_postgres::contract::{CONTROL_SCHEMA, TENANT_COLUMN, TENANTRY_SCHEMA};

use crate::Error;

/// The rows deleted by one statement at most, by default.
pub(crate) const BATCH_ROWS: i64 = 10_000;

/// A table that holds rows of a tenant, and how to find them.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct TenantTable {
    pub(crate) schema: Identifier,
    pub(crate) table: Identifier,
    /// The condition on the table, aliased `t0`, that its rows of the
    /// tenant (`$1`) meet.
    rows: String,
}

impl TenantTable {
    /// `schema.table`, quoted for SQL.
    pub(crate) fn quoted(&self) -> String {
        format!("{}.{}", self.schema.quoted(), self.table.quoted())
    }

    /// The condition on the table, aliased `t0`, that `tenant`'s rows
    /// meet, with the tenant written in: for a statement that takes no
    /// parameters (`COPY`).
    pub(crate) fn rows_of(&self, tenant: TenantId) -> String {
        self.rows.replace("$1", &format!("'{tenant}'::uuid"))
    }

    /// The condition on the table, aliased `t0`, that the tenant's rows
    /// meet, the tenant being parameter `$1`.
    pub(crate) fn rows(&self) -> &str {
        &self.rows
    }

    /// `schema.table`, as the erasure record names it.
    pub(crate) fn name(&self) -> String {
        format!("{}.{}", self.schema, self.table)
    }
}

/// A foreign key between two tables of the catalog.
struct Reference {
    child: u32,
    parent: u32,
    /// Whether the child's rows go with, or keep, their parent's.
    follows: bool,
    columns: Vec<Identifier>,
    parent_columns: Vec<Identifier>,
}

/// The tables of the catalog that may hold a tenant's rows, and the
/// foreign keys between them.
struct Catalog {
    /// Each table, and whether it has the tenant column.
    tables: BTreeMap<u32, (Identifier, Identifier, bool)>,
    references: Vec<Reference>,
}

impl Catalog {
    /// Every table of the connected database outside system schemas,
    /// tenantry's own and tenant-owned schemas (as the database's residents
    /// record them), or every table of schema `only`, and the foreign keys
    /// between two of them.
    async fn read(client: &Client, only: Option<&Identifier>) -> Result<Self, Error> {
        let rows = client
            .query(
                "SELECT c.oid, n.nspname::text, c.relname::text,
                        EXISTS (SELECT FROM pg_attribute a
                                WHERE a.attrelid = c.oid AND a.attname = $1
                                  AND NOT a.attisdropped)
                 FROM pg_class c
                 JOIN pg_namespace n ON n.oid = c.relnamespace
                 WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
                   AND n.nspname NOT IN ('pg_catalog', 'information_schema', $2, $3)
                   AND n.nspname NOT LIKE 'pg\\_%'
                   AND CASE WHEN $4::text IS NULL
                       THEN NOT EXISTS (SELECT FROM tenantry.residents o
                                        WHERE o.owns_schema AND o.schema_name = n.nspname
                                          AND o.schema_name <> 'public')
                       ELSE n.nspname = $4 END",
                &[
                    &TENANT_COLUMN,
                    &TENANTRY_SCHEMA,
                    &CONTROL_SCHEMA,
                    &only.map(Identifier::as_str),
                ],
            )
            .await?;
        let mut tables = BTreeMap::new();
        for row in &rows {
            let schema = Identifier::new(row.get(1))?;
            let table = Identifier::new(row.get(2))?;
            tables.insert(row.get(0), (schema, table, row.get(3)));
        }
        let oids: Vec<u32> = tables.keys().copied().collect();
        let rows = client
            .query(
                "SELECT conrelid, confrelid, confdeltype IN ('a', 'r', 'c'),
                        ARRAY(SELECT a.attname::text
                              FROM unnest(conkey) WITH ORDINALITY k (number, position)
                              JOIN pg_attribute a ON a.attrelid = conrelid AND a.attnum = k.number
                              ORDER BY k.position),
                        ARRAY(SELECT a.attname::text
                              FROM unnest(confkey) WITH ORDINALITY k (number, position)
                              JOIN pg_attribute a ON a.attrelid = confrelid AND a.attnum = k.number
                              ORDER BY k.position)
                 FROM pg_constraint
                 WHERE contype = 'f' AND conrelid = ANY($1) AND confrelid = ANY($1)
                   AND conrelid <> confrelid",
                &[&oids],
            )
            .await?;
        let identifiers = |names: Vec<String>| -> Result<Vec<Identifier>, Error> {
            Ok(names
                .iter()
                .map(|name| Identifier::new(name))
                .collect::<Result<_, _>>()?)
        };
        let mut references = Vec::with_capacity(rows.len());
        for row in &rows {
            references.push(Reference {
                child: row.get(0),
                parent: row.get(1),
                follows: row.get(2),
                columns: identifiers(row.get(3))?,
                parent_columns: identifiers(row.get(4))?,
            });
        }
        Ok(Self { tables, references })
    }

    /// The tables with the tenant column, and those whose references
    /// follow, directly or not, to one of them.
    fn holding_tenant_rows(&self) -> BTreeSet<u32> {
        let mut holding: BTreeSet<u32> = self
            .tables
            .iter()
            .filter(|(_, (_, _, scoped))| *scoped)
            .map(|(oid, _)| *oid)
            .collect();
        loop {
            let referring: Vec<u32> = self
                .references
                .iter()
                .filter(|reference| {
                    reference.follows
                        && holding.contains(&reference.parent)
                        && !holding.contains(&reference.child)
                })
                .map(|reference| reference.child)
                .collect();
            if referring.is_empty() {
                return holding;
            }
            holding.extend(referring);
        }
    }

    /// The condition on `oid`, aliased `t{depth}`, that its rows of the
    /// tenant (`$1`) meet: the tenant column, or a reference to such a row
    /// of a table in `holding` not on `path` (the tables it was reached
    /// through).
    fn rows_of(
        &self,
        oid: u32,
        depth: usize,
        holding: &BTreeSet<u32>,
        path: &mut Vec<u32>,
    ) -> String {
        let alias = format!("t{depth}");
        if self.tables[&oid].2 {
            return format!("{alias}.{TENANT_COLUMN} = $1");
        }
        path.push(oid);
        let mut through = Vec::new();
        for reference in &self.references {
            if reference.child != oid
                || !reference.follows
                || !holding.contains(&reference.parent)
                || path.contains(&reference.parent)
            {
                continue;
            }
            let (schema, table, _) = &self.tables[&reference.parent];
            let parent = format!("t{}", depth + 1);
            let keys: Vec<String> = reference
                .columns
                .iter()
                .zip(&reference.parent_columns)
                .map(|(column, key)| {
                    format!("{parent}.{} = {alias}.{}", key.quoted(), column.quoted())
                })
                .collect();
            through.push(format!(
                "EXISTS (SELECT FROM {}.{} {parent} WHERE {} AND ({}))",
                schema.quoted(),
                table.quoted(),
                keys.join(" AND "),
                self.rows_of(reference.parent, depth + 1, holding, path)
            ));
        }
        path.pop();
        if through.is_empty() {
            "false".to_owned()
        } else {
            through.join(" OR ")
        }
    }
}

/// Every table of the connected database that holds rows of a tenant (see
/// the module), children before parents: a table whose foreign key refers
/// to another comes first (a cycle keeps name order).
pub(crate) async fn tenant_tables(client: &Client) -> Result<Vec<TenantTable>, Error> {
    tables_holding(client, None).await
}

/// The tables of `schema` in the connected database that hold rows of a
/// tenant, children before parents, as [`tenant_tables`] finds them: the
/// tables of one placement (the shared pool's, a tenant schema's, a tenant
/// database's), whatever its residents say.
pub(crate) async fn tenant_tables_in(
    client: &Client,
    schema: &Identifier,
) -> Result<Vec<TenantTable>, Error> {
    tables_holding(client, Some(schema)).await
}

/// [`tenant_tables`], in schema `only` if given.
async fn tables_holding(
    client: &Client,
    only: Option<&Identifier>,
) -> Result<Vec<TenantTable>, Error> {
    let catalog = Catalog::read(client, only).await?;
    let holding = catalog.holding_tenant_rows();
    let mut tables = BTreeMap::new();
    for &oid in &holding {
        let (schema, table, _) = &catalog.tables[&oid];
        tables.insert(
            oid,
            TenantTable {
                schema: schema.clone(),
                table: table.clone(),
                rows: catalog.rows_of(oid, 0, &holding, &mut Vec::new()),
            },
        );
    }
    let mut children: BTreeMap<u32, BTreeSet<u32>> = BTreeMap::new();
    for reference in &catalog.references {
        if holding.contains(&reference.child) && holding.contains(&reference.parent) {
            children
                .entry(reference.parent)
                .or_default()
                .insert(reference.child);
        }
    }
    Ok(children_first(tables, &children))
}

/// `tables` ordered so that every table comes after the tables referring
/// to it (`children` of each parent); a cycle keeps name order.
fn children_first(
    mut tables: BTreeMap<u32, TenantTable>,
    children: &BTreeMap<u32, BTreeSet<u32>>,
) -> Vec<TenantTable> {
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
        let mut next: Vec<TenantTable> = if ready.is_empty() {
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
    tables: &[TenantTable],
    tenant: TenantId,
    batch: i64,
    deleted: &(dyn Fn(u64) + Sync),
) -> Result<u64, Error> {
    client.batch_execute("SET row_security = off").await?;
    let mut total = 0;
    for table in tables {
        let sql = format!(
            "DELETE FROM {table} WHERE ctid = ANY (ARRAY(
                 SELECT t0.ctid FROM {table} t0 WHERE {rows} LIMIT $2))",
            table = table.quoted(),
            rows = table.rows
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
    tables: &[TenantTable],
    tenant: TenantId,
) -> Result<Vec<i64>, Error> {
    client.batch_execute("SET row_security = off").await?;
    let mut counts = Vec::with_capacity(tables.len());
    for table in tables {
        let sql = format!(
            "SELECT count(*) FROM {} t0 WHERE {}",
            table.quoted(),
            table.rows
        );
        counts.push(client.query_one(&sql, &[&tenant.as_uuid()]).await?.get(0));
    }
    Ok(counts)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(name: &str) -> TenantTable {
        TenantTable {
            schema: Identifier::new("public").unwrap(),
            table: Identifier::new(name).unwrap(),
            rows: String::new(),
        }
    }

    fn reference(child: u32, parent: u32, follows: bool, column: &str) -> Reference {
        Reference {
            child,
            parent,
            follows,
            columns: vec![Identifier::new(column).unwrap()],
            parent_columns: vec![Identifier::new("id").unwrap()],
        }
    }

    #[test]
    fn rows_that_refer_to_a_tenants_are_found_through_following_keys_only() {
        let public = Identifier::new("public").unwrap();
        let named = |name: &str, scoped| (public.clone(), Identifier::new(name).unwrap(), scoped);
        // invoices (scoped) <- payments <- receipts; exports only set null;
        // notes and remarks refer to each other and to invoices.
        let catalog = Catalog {
            tables: [
                (1, named("invoices", true)),
                (2, named("payments", false)),
                (3, named("receipts", false)),
                (4, named("exports", false)),
                (5, named("notes", false)),
                (6, named("remarks", false)),
            ]
            .into(),
            references: vec![
                reference(2, 1, true, "invoice_id"),
                reference(3, 2, true, "payment_id"),
                reference(4, 1, false, "invoice_id"),
                reference(5, 6, true, "remark_id"),
                reference(6, 5, true, "note_id"),
                reference(6, 1, true, "invoice_id"),
            ],
        };
        let holding = catalog.holding_tenant_rows();
        assert_eq!(holding, [1, 2, 3, 5, 6].into());
        let rows = |oid| catalog.rows_of(oid, 0, &holding, &mut Vec::new());
        assert_eq!(rows(1), "t0.tenant_id = $1");
        assert_eq!(
            rows(3),
            "EXISTS (SELECT FROM \"public\".\"payments\" t1 WHERE t1.\"id\" = t0.\"payment_id\" \
             AND (EXISTS (SELECT FROM \"public\".\"invoices\" t2 WHERE t2.\"id\" = t1.\"invoice_id\" \
             AND (t2.tenant_id = $1))))"
        );
        // The cycle is followed once: a note refers to a remark that refers
        // to an invoice of the tenant.
        assert_eq!(
            rows(5),
            "EXISTS (SELECT FROM \"public\".\"remarks\" t1 WHERE t1.\"id\" = t0.\"remark_id\" \
             AND (EXISTS (SELECT FROM \"public\".\"invoices\" t2 WHERE t2.\"id\" = t1.\"invoice_id\" \
             AND (t2.tenant_id = $1))))"
        );
    }

    #[test]
    fn children_come_before_their_parents_and_a_cycle_keeps_name_order() {
        // 1 customers <- 2 invoices <- 3 lines; 4 and 5 refer to each other.
        let tables: BTreeMap<u32, TenantTable> = [
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
