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
//!
//! A tenant's own schema goes whole ([`drop_own_schema`]), but not before
//! the rows of other schemas whose foreign keys refer to its tables: the
//! drop would remove the keys and leave those rows behind, no longer
//! found by any reference.

use std::collections::{BTreeMap, BTreeSet};

use tenantry_query::{Identifier, TenantId};
use tokio_postgres::Client;
use tokio_postgres::types::Type;

use tenantry_postgres::contract::{CONTROL_SCHEMA, TENANT_COLUMN, TENANTRY_SCHEMA};

use crate::Error;
use crate::transaction::in_transaction;

/// The rows deleted by one statement at most, by default.
pub(crate) const BATCH_ROWS: i64 = 10_000;

/// A table that holds rows of a tenant, and how to find them.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct TenantTable {
    pub(crate) schema: Identifier,
    pub(crate) table: Identifier,
    /// The condition on the table, aliased `t0`, that its rows of the
    /// tenant (`$1`, whose type is given: the condition of a table that
    /// refers to the tenant's own schema does not name it) meet.
    rows: String,
    /// Whether the table has the tenant column (else its rows are the
    /// tenant's through their references).
    by_column: bool,
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

/// What a table of the catalog holds of a tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Holds {
    /// Rows of any tenant, the tenant's with its id in the tenant column.
    ByColumn,
    /// Only the tenant's rows: a table of its own schema.
    Only,
    /// Rows of the tenant only through their references, if any.
    ByReference,
}

/// A foreign key between two tables of the catalog.
struct Reference {
    child: u32,
    parent: u32,
    /// Whether the child's rows go with, or keep, their parent's.
    follows: bool,
    columns: Vec<Identifier>,
    parent_columns: Vec<Identifier>,
    /// For a reference that lets its row outlive its target (`SET NULL`,
    /// `SET DEFAULT`): what it sets (`NULL`, `DEFAULT`), and which columns.
    clears: Option<(&'static str, Vec<Identifier>)>,
}

/// Which tables a catalog reads.
#[derive(Debug, Clone, Copy)]
enum Among<'a> {
    /// Every table outside system schemas, tenantry's own and tenant-owned
    /// schemas (as the database's residents record them), except the
    /// tenant's own schema, if given: its tables are wholly the tenant's.
    Shared {
        /// The schema of the tenant whose rows are sought, if it has one.
        own: Option<&'a Identifier>,
    },
    /// Every table of one schema (a placement's), whatever the residents say.
    Schema(&'a Identifier),
}

/// The tables of the catalog that may hold a tenant's rows, and the
/// foreign keys between them.
struct Catalog {
    /// Each table, and what it holds of a tenant.
    tables: BTreeMap<u32, (Identifier, Identifier, Holds)>,
    references: Vec<Reference>,
}

impl Catalog {
    /// The tables of the connected database `among` says, and the foreign
    /// keys between two of them.
    async fn read(client: &Client, among: Among<'_>) -> Result<Self, Error> {
        let (own, only) = match among {
            Among::Shared { own } => (own, None),
            Among::Schema(schema) => (None, Some(schema.as_str())),
        };
        let own_name = own.map_or("", Identifier::as_str);
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
                   AND CASE WHEN $5::text IS NULL
                       THEN NOT EXISTS (SELECT FROM tenantry.residents o
                                        WHERE o.owns_schema AND o.schema_name = n.nspname
                                          AND o.schema_name NOT IN ('public', $4))
                       ELSE n.nspname = $5 END",
                &[
                    &TENANT_COLUMN,
                    &TENANTRY_SCHEMA,
                    &CONTROL_SCHEMA,
                    &own_name,
                    &only,
                ],
            )
            .await?;
        let mut tables = BTreeMap::new();
        for row in &rows {
            let schema = Identifier::new(row.get(1))?;
            let table = Identifier::new(row.get(2))?;
            let holds = match (Some(&schema) == own, row.get(3)) {
                (true, _) => Holds::Only,
                (false, true) => Holds::ByColumn,
                (false, false) => Holds::ByReference,
            };
            tables.insert(row.get(0), (schema, table, holds));
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
                              ORDER BY k.position),
                        confdeltype::text,
                        ARRAY(SELECT a.attname::text
                              FROM unnest(COALESCE(NULLIF(confdelsetcols, '{}'), conkey))
                                   WITH ORDINALITY k (number, position)
                              JOIN pg_attribute a ON a.attrelid = conrelid AND a.attnum = k.number
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
                clears: match row.get::<_, &str>(5) {
                    "n" => Some(("NULL", identifiers(row.get(6))?)),
                    "d" => Some(("DEFAULT", identifiers(row.get(6))?)),
                    _ => None,
                },
            });
        }
        Ok(Self { tables, references })
    }

    /// The tables with the tenant column or of the tenant's own schema, and
    /// those whose references follow, directly or not, to one of them.
    fn holding_tenant_rows(&self) -> BTreeSet<u32> {
        let mut holding: BTreeSet<u32> = self
            .tables
            .iter()
            .filter(|(_, (_, _, holds))| *holds != Holds::ByReference)
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
        match self.tables[&oid].2 {
            Holds::ByColumn => return format!("{alias}.{TENANT_COLUMN} = $1"),
            Holds::Only => return "true".to_owned(),
            Holds::ByReference => {}
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
    let catalog = Catalog::read(client, Among::Shared { own: None }).await?;
    Ok(catalog.tenant_tables())
}

/// The tables of `schema` in the connected database that hold rows of a
/// tenant, children before parents, as [`tenant_tables`] finds them: the
/// tables of one placement (the shared pool's, a tenant schema's, a tenant
/// database's), whatever its residents say.
pub(crate) async fn tenant_tables_in(
    client: &Client,
    schema: &Identifier,
) -> Result<Vec<TenantTable>, Error> {
    Ok(Catalog::read(client, Among::Schema(schema))
        .await?
        .tenant_tables())
}

/// Drops `schema`, a tenant's own, with the rows of `tenant` elsewhere in
/// the connected database: first the rows of other schemas that refer to
/// its tables (and those that refer to them) and its rows in tables with
/// the tenant column, in batches of `batch` (each count passed to
/// `deleted`); then, in one transaction, with the referred tables locked
/// against new references, whatever was added meanwhile, and the schema.
pub(crate) async fn drop_own_schema(
    client: &Client,
    schema: &Identifier,
    tenant: TenantId,
    batch: i64,
    deleted: &(dyn Fn(u64) + Sync),
) -> Result<(), Error> {
    let catalog = Catalog::read(client, Among::Shared { own: Some(schema) }).await?;
    // Rows with the tenant column are found after the drop as well; those
    // that only refer to the schema's would not be.
    let tables: Vec<TenantTable> = catalog
        .tenant_tables()
        .into_iter()
        .filter(|table| !table.by_column)
        .collect();
    delete_rows(client, &tables, tenant, batch, deleted).await?;
    let into_own: Vec<&Reference> = catalog
        .references
        .iter()
        .filter(|reference| {
            catalog.tables[&reference.parent].2 == Holds::Only
                && catalog.tables[&reference.child].2 != Holds::Only
        })
        .collect();
    let referred: BTreeSet<String> = into_own
        .iter()
        .map(|reference| catalog.quoted(reference.parent))
        .collect();
    in_transaction(client, async || {
        if !referred.is_empty() {
            // A reference checks its row under a lock that this one refuses.
            let tables: Vec<String> = referred.into_iter().collect();
            client
                .batch_execute(&format!(
                    "LOCK TABLE {} IN EXCLUSIVE MODE",
                    tables.join(", ")
                ))
                .await?;
        }
        for table in &tables {
            let sql = format!("DELETE FROM {} t0 WHERE {}", table.quoted(), table.rows);
            let statement = client.prepare_typed(&sql, &[Type::UUID]).await?;
            let rows = client.execute(&statement, &[&tenant.as_uuid()]).await?;
            deleted(rows);
        }
        // The drop removes keys without acting on them: a row that outlives
        // its target gets what a delete of the target would have set.
        for reference in &into_own {
            if let Some(clear) = catalog.clearing(reference) {
                client.batch_execute(&clear).await?;
            }
        }
        client
            .batch_execute(&format!(
                "DROP SCHEMA IF EXISTS {} CASCADE",
                schema.quoted()
            ))
            .await?;
        Ok(())
    })
    .await
}

impl Catalog {
    /// Table `oid`, quoted for SQL.
    fn quoted(&self, oid: u32) -> String {
        let (schema, table, _) = &self.tables[&oid];
        format!("{}.{}", schema.quoted(), table.quoted())
    }

    /// The statement that sets, in the rows of `reference`'s table that
    /// refer to any row of its target, what a delete of the target sets
    /// (none for a reference that keeps or follows its target).
    fn clearing(&self, reference: &Reference) -> Option<String> {
        let (value, columns) = reference.clears.as_ref()?;
        let sets: Vec<String> = columns
            .iter()
            .map(|column| format!("{} = {value}", column.quoted()))
            .collect();
        let keys: Vec<String> = reference
            .columns
            .iter()
            .zip(&reference.parent_columns)
            .map(|(column, key)| format!("t1.{} = t0.{}", key.quoted(), column.quoted()))
            .collect();
        Some(format!(
            "UPDATE {} t0 SET {} WHERE EXISTS (SELECT FROM {} t1 WHERE {})",
            self.quoted(reference.child),
            sets.join(", "),
            self.quoted(reference.parent),
            keys.join(" AND ")
        ))
    }

    /// The tables that hold rows of a tenant outside its own schema,
    /// children before parents.
    fn tenant_tables(&self) -> Vec<TenantTable> {
        let holding = self.holding_tenant_rows();
        let mut tables = BTreeMap::new();
        for &oid in &holding {
            let (schema, table, holds) = &self.tables[&oid];
            if *holds == Holds::Only {
                continue;
            }
            tables.insert(
                oid,
                TenantTable {
                    schema: schema.clone(),
                    table: table.clone(),
                    rows: self.rows_of(oid, 0, &holding, &mut Vec::new()),
                    by_column: *holds == Holds::ByColumn,
                },
            );
        }
        let mut children: BTreeMap<u32, BTreeSet<u32>> = BTreeMap::new();
        for reference in &self.references {
            if tables.contains_key(&reference.child) && tables.contains_key(&reference.parent) {
                children
                    .entry(reference.parent)
                    .or_default()
                    .insert(reference.child);
            }
        }
        children_first(tables, &children)
    }
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
        let statement = client
            .prepare_typed(&sql, &[Type::UUID, Type::INT8])
            .await?;
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
        let statement = client.prepare_typed(&sql, &[Type::UUID]).await?;
        counts.push(
            client
                .query_one(&statement, &[&tenant.as_uuid()])
                .await?
                .get(0),
        );
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
            by_column: true,
        }
    }

    fn reference(child: u32, parent: u32, follows: bool, column: &str) -> Reference {
        Reference {
            child,
            parent,
            follows,
            columns: vec![Identifier::new(column).unwrap()],
            parent_columns: vec![Identifier::new("id").unwrap()],
            clears: None,
        }
    }

    #[test]
    fn rows_that_refer_to_a_tenants_are_found_through_following_keys_only() {
        let public = Identifier::new("public").unwrap();
        let named = |name: &str, scoped| {
            let holds = if scoped {
                Holds::ByColumn
            } else {
                Holds::ByReference
            };
            (public.clone(), Identifier::new(name).unwrap(), holds)
        };
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
    fn a_reference_that_outlives_its_target_is_cleared_as_a_delete_would() {
        let table = |schema: &str, name: &str, holds| {
            (
                Identifier::new(schema).unwrap(),
                Identifier::new(name).unwrap(),
                holds,
            )
        };
        let mut exports = reference(2, 1, false, "last_invoice");
        exports.clears = Some(("NULL", vec![Identifier::new("last_invoice").unwrap()]));
        let catalog = Catalog {
            tables: [
                (1, table("tenant_acme", "invoices", Holds::Only)),
                (2, table("shared", "exports", Holds::ByReference)),
            ]
            .into(),
            references: vec![exports, reference(2, 1, true, "invoice_id")],
        };
        assert_eq!(
            catalog.clearing(&catalog.references[0]).as_deref(),
            Some(
                "UPDATE \"shared\".\"exports\" t0 SET \"last_invoice\" = NULL \
                 WHERE EXISTS (SELECT FROM \"tenant_acme\".\"invoices\" t1 \
                 WHERE t1.\"id\" = t0.\"last_invoice\")"
            )
        );
        assert_eq!(catalog.clearing(&catalog.references[1]), None);
        // Rows of the tenant's own schema are all its own; they go with the
        // schema, and only what refers to them is deleted by statement.
        let holding = catalog.holding_tenant_rows();
        assert_eq!(holding, [1, 2].into());
        assert_eq!(catalog.rows_of(1, 0, &holding, &mut Vec::new()), "true");
        let deleted: Vec<String> = catalog
            .tenant_tables()
            .iter()
            .map(TenantTable::name)
            .collect();
        assert_eq!(deleted, ["shared.exports"]);
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
