//! Copying a tenant's rows between two places with binary `COPY` streams:
//! each table of the source's schema that holds rows of the tenant (found
//! from the catalog, see [`crate::purge`]) into the table of the same name
//! at the destination, parents before children, with the destination's
//! columns named on both sides (a column order that differs does not
//! matter; a type that differs fails the copy).

use std::collections::BTreeSet;

use futures_util::SinkExt;
use tokio_postgres::Client;

use tenantry_query::{Identifier, TenantId};

use super::deferred::{Deferred, broken_reference};
use super::plan::Place;
use crate::Error;
use crate::purge::{self, TenantTable};
use crate::transaction::in_transaction;

/// One table of the tenant's, on both sides of a copy.
#[derive(Debug)]
pub(crate) struct CopiedTable {
    /// The table and the tenant's rows at the source.
    pub(crate) source: TenantTable,
    /// The table and the tenant's rows at the destination.
    pub(crate) target: TenantTable,
    /// The destination's columns that take values (not generated).
    pub(crate) columns: Vec<Column>,
    /// Whether the destination is a place of the tenant's own (its schema
    /// or database), where every row is the tenant's.
    pub(crate) own: bool,
}

/// A column copied, and how the digest hashes it.
#[derive(Debug)]
pub(crate) struct Column {
    pub(crate) name: Identifier,
    /// Whether its type has a 64-bit hash of its own (else the digest
    /// hashes its text).
    pub(crate) hashable: bool,
}

impl CopiedTable {
    /// The columns, each of alias `t0`, for a select list.
    pub(crate) fn select_list(&self) -> String {
        self.columns
            .iter()
            .map(|column| format!("t0.{}", column.name.quoted()))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The columns, each of alias `t0`, as a digest hashes them: by their
    /// type's own hash, or as text where the type has none.
    pub(crate) fn digest_list(&self) -> String {
        self.columns
            .iter()
            .map(Column::hashed)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl Column {
    /// The column, of alias `t0`, as a digest hashes it: by its type's own
    /// hash, or as text where the type has none.
    pub(crate) fn hashed(&self) -> String {
        let cast = if self.hashable { "" } else { "::text" };
        format!("t0.{}{cast}", self.name.quoted())
    }
}

/// The tenant's tables at `from` (on `source`) and at `to` (on `target`),
/// parents before children. A table the destination lacks is
/// [`Error::MissingTable`]: the two places' schemas differ.
pub(crate) async fn tables(
    source: &Client,
    from: &Place,
    target: &Client,
    to: &Place,
) -> Result<Vec<CopiedTable>, Error> {
    let sources = purge::tenant_tables_in(source, &from.schema()?).await?;
    let mut targets = purge::tenant_tables_in(target, &to.schema()?).await?;
    let mut tables = Vec::with_capacity(sources.len());
    // Children come first in the catalog's order: parents first to copy.
    for source in sources.into_iter().rev() {
        let found = targets
            .iter()
            .position(|target| target.table == source.table)
            .ok_or_else(|| Error::MissingTable {
                table: source.table.to_string(),
                place: to.to_string(),
            })?;
        let destination = targets.swap_remove(found);
        let columns = columns(target, &destination).await?;
        tables.push(CopiedTable {
            source,
            target: destination,
            columns,
            own: to.is_own(),
        });
    }
    Ok(tables)
}

/// The columns of `table` that take values, in their order. A column's
/// type is hashable when it (or a domain's base type) is a base type, not
/// an array, whose own default hash operator class has a 64-bit hash.
async fn columns(client: &Client, table: &TenantTable) -> Result<Vec<Column>, Error> {
    let rows = client
        .query(
            "SELECT a.attname::text,
                    b.typtype = 'b' AND b.typcategory <> 'A'
                    AND EXISTS (SELECT FROM pg_opclass o
                                JOIN pg_am m ON m.oid = o.opcmethod AND m.amname = 'hash'
                                JOIN pg_amproc p ON p.amprocfamily = o.opcfamily
                                 AND p.amproclefttype = b.oid AND p.amprocnum = 2
                                WHERE o.opcdefault AND o.opcintype = b.oid)
             FROM pg_attribute a
             JOIN pg_type t ON t.oid = a.atttypid
             JOIN pg_type b ON b.oid = CASE t.typtype WHEN 'd' THEN t.typbasetype ELSE t.oid END
             WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped
               AND a.attgenerated = ''
             ORDER BY a.attnum",
            &[&table.quoted()],
        )
        .await?;
    rows.iter()
        .map(|row| {
            Ok(Column {
                name: Identifier::new(row.get(0))?,
                hashable: row.get(1),
            })
        })
        .collect()
}

/// Copies `tenant`'s rows of `table` from `source` to `target` with one
/// binary `COPY` stream; how many rows the destination took.
async fn copy_rows(
    source: &Client,
    target: &Client,
    table: &CopiedTable,
    tenant: TenantId,
) -> Result<u64, tokio_postgres::Error> {
    let rows = format!(
        "SELECT {} FROM {} t0 WHERE {}",
        table.select_list(),
        table.source.quoted(),
        table.source.rows_of(tenant),
    );
    pipe((source, &rows), (target, &table.target.quoted()), table).await
}

/// Streams the rows of query `rows` (of `table`'s columns, in order) from
/// `source` into relation `into` at `target` with one binary `COPY`; how
/// many rows the destination took.
pub(crate) async fn pipe(
    (source, rows): (&Client, &str),
    (target, into): (&Client, &str),
    table: &CopiedTable,
) -> Result<u64, tokio_postgres::Error> {
    let names: Vec<String> = table.columns.iter().map(|c| c.name.quoted()).collect();
    let out = source
        .copy_out(&format!("COPY ({rows}) TO STDOUT (FORMAT binary)"))
        .await?;
    let sink = target
        .copy_in(&format!(
            "COPY {into} ({}) FROM STDIN (FORMAT binary)",
            names.join(", ")
        ))
        .await?;
    futures_util::pin_mut!(out, sink);
    // The rows go on as they come, gathered by the sink into larger
    // messages, flushed only when the source has none ready: a flush per
    // row (`send`) costs a round trip through the connection each.
    sink.send_all(&mut out).await?;
    sink.as_mut().finish().await
}

/// Copies `tenant`'s rows of every one of `tables`, parents first, after
/// deleting whatever rows of the tenant the destination has (children
/// first), in one transaction at the destination: killed or failed, it
/// leaves the destination as it was. Calls `copied` with each table's
/// count. At a destination of the tenant's `own` (its schema or database)
/// the tables' indexes and foreign keys are made after the rows go in
/// (see [`super::deferred`]); a row referring to none is
/// [`Error::BrokenReference`] either way. Both sessions are prepared by
/// `verify::session`.
pub(crate) async fn copy_all(
    (source, target): (&Client, &Client),
    tables: &[&CopiedTable],
    tenant: TenantId,
    batch: i64,
    own: bool,
    copied: &(dyn Fn(&CopiedTable, u64) + Sync),
) -> Result<u64, Error> {
    in_transaction(target, async || {
        clear(target, tables, tenant, batch).await?;
        let deferred = if own {
            Some(Deferred::drop(target, tables).await?)
        } else {
            None
        };
        let mut total = 0;
        for table in tables {
            let rows = copy_rows(source, target, table, tenant)
                .await
                .map_err(|error| broken_reference(tenant, &table.target.name(), "", error))?;
            copied(table, rows);
            total += rows;
        }
        if let Some(deferred) = deferred {
            deferred.make_again(target, tenant).await?;
        }
        Ok(total)
    })
    .await
}

/// Deletes `tenant`'s rows from the destination's side of `tables`,
/// children first.
async fn clear(
    target: &Client,
    tables: &[&CopiedTable],
    tenant: TenantId,
    batch: i64,
) -> Result<(), Error> {
    let children_first: Vec<TenantTable> = tables
        .iter()
        .rev()
        .map(|table| table.target.clone())
        .collect();
    purge::delete_rows(target, &children_first, tenant, batch, &|_| {}).await?;
    Ok(())
}

/// The positions in `tables` of those in `changed` and of every table
/// whose foreign key refers, directly or not, to one of them (at the
/// destination, on `target`): the tables to copy again when those in
/// `changed` did, since deleting a parent's rows deletes (or clears, or is
/// refused for) its children's.
pub(crate) async fn with_referring(
    target: &Client,
    tables: &[CopiedTable],
    mut changed: BTreeSet<usize>,
) -> Result<BTreeSet<usize>, Error> {
    let names: Vec<String> = tables.iter().map(|table| table.target.quoted()).collect();
    let references = target
        .query(
            "WITH t AS (SELECT n::int - 1 AS i, to_regclass(name)::oid AS oid
                        FROM unnest($1::text[]) WITH ORDINALITY u (name, n))
             SELECT c.i, p.i FROM pg_constraint k
             JOIN t c ON c.oid = k.conrelid
             JOIN t p ON p.oid = k.confrelid
             WHERE k.contype = 'f' AND c.i <> p.i",
            &[&names],
        )
        .await?;
    let references: Vec<(usize, usize)> = references
        .iter()
        .map(|row| {
            let index = |column| usize::try_from(row.get::<_, i32>(column)).unwrap_or(usize::MAX);
            (index(0), index(1))
        })
        .collect();
    loop {
        let referring: Vec<usize> = references
            .iter()
            .filter(|(child, parent)| changed.contains(parent) && !changed.contains(child))
            .map(|(child, _)| *child)
            .collect();
        if referring.is_empty() {
            return Ok(changed);
        }
        changed.extend(referring);
    }
}
