//! Indexes and foreign keys made after a copy rather than kept up row by
//! row during it, at a destination of the tenant's own (its schema or
//! database: nothing is served from it before the flip, so its tables may
//! be locked for the copy's length).
//!
//! Inserting a million rows into a table keeps each of its B-trees up to
//! date one key at a time (random keys touch pages all over the index),
//! and each row that refers to another table is checked by a trigger of
//! its own. Building the same index from the rows, sorted once, and
//! checking a foreign key with one anti-join when it is added (as
//! `ALTER TABLE … ADD FOREIGN KEY` does) is faster: 1,000,000 rows in 3
//! tables went into a new database in 9.6 s this way, 21.6 s row by row
//! (see the README's benchmarks). So, inside the copy's transaction at the
//! destination, the copied tables' indexes and the foreign keys between
//! them are dropped before the rows go in, and made again, with their
//! names and definitions as the catalog gives them, after: killed or
//! failed at any point, the transaction rolls back and the destination is
//! as it was. A reference that is broken is [`Error::BrokenReference`].
//!
//! Kept in place (maintained as the rows go in, as before) are the indexes
//! this could not make again exactly: one another object depends on (a
//! foreign key from a table not copied, a view grouping by a key the
//! index backs), one that clusters its table or is its replica identity,
//! one with a comment or a tablespace of its own, one not valid; and every
//! index and key of a table the operator does not own, of a partitioned
//! table or of a partition.

use tokio_postgres::Client;
use tokio_postgres::error::SqlState;

use tenantry_query::TenantId;

use super::copy::CopiedTable;
use crate::Error;

/// The catalog's indexes and foreign keys of the copied tables (their
/// names, `$1`) that can be dropped and made again: a kind (0 a foreign
/// key, 1 an index of a constraint, 2 an index alone), the table, the
/// constraint's name, and the statements that drop it and make it again.
const DEFERRABLE: &str = "
    WITH t AS (
        SELECT c.oid FROM unnest($1::text[]) u (name)
        JOIN pg_class c ON c.oid = to_regclass(u.name)
        WHERE c.relkind = 'r' AND NOT c.relispartition AND pg_has_role(c.relowner, 'USAGE')
    ),
    keys AS (
        SELECT k.oid, k.conrelid, k.conname FROM pg_constraint k
        WHERE k.contype = 'f' AND k.conrelid IN (SELECT oid FROM t)
          AND k.confrelid IN (SELECT oid FROM t)
    ),
    indexes AS (
        SELECT i.indexrelid, i.indrelid, x.relnamespace, x.relname, k.oid AS constraint_oid,
               k.conname
        FROM pg_index i
        JOIN pg_class x ON x.oid = i.indexrelid
        LEFT JOIN pg_constraint k ON k.conindid = i.indexrelid AND k.conrelid = i.indrelid
                                 AND k.contype IN ('p', 'u', 'x')
        WHERE i.indrelid IN (SELECT oid FROM t) AND x.relkind = 'i' AND x.reltablespace = 0
          AND i.indisvalid AND i.indisready AND i.indislive
          AND NOT i.indisclustered AND NOT i.indisreplident
          AND NOT EXISTS (SELECT FROM pg_description d
                          WHERE d.objoid IN (i.indexrelid, k.oid))
          AND NOT EXISTS (SELECT FROM pg_depend d
                          WHERE d.refclassid = 'pg_class'::regclass
                            AND d.refobjid = i.indexrelid
                            AND NOT (d.classid = 'pg_constraint'::regclass
                                     AND d.objid IN (SELECT oid FROM keys)))
          AND NOT EXISTS (SELECT FROM pg_depend d
                          WHERE d.refclassid = 'pg_constraint'::regclass
                            AND d.refobjid = k.oid
                            AND NOT (d.classid = 'pg_class'::regclass
                                     AND d.objid = i.indexrelid)
                            AND NOT (d.classid = 'pg_constraint'::regclass
                                     AND d.objid IN (SELECT oid FROM keys)))
    )
    SELECT 0, format('%s.%s', rn.nspname, r.relname), k.conname::text,
           format('ALTER TABLE %s DROP CONSTRAINT %I', k.conrelid::regclass, k.conname),
           format('ALTER TABLE %s ADD CONSTRAINT %I %s', k.conrelid::regclass, k.conname,
                  pg_get_constraintdef(k.oid))
    FROM keys k
    JOIN pg_class r ON r.oid = k.conrelid JOIN pg_namespace rn ON rn.oid = r.relnamespace
    UNION ALL
    SELECT CASE WHEN i.constraint_oid IS NULL THEN 2 ELSE 1 END,
           format('%s.%s', rn.nspname, r.relname), coalesce(i.conname::text, ''),
           CASE WHEN i.constraint_oid IS NULL
                THEN format('DROP INDEX %I.%I', n.nspname, i.relname)
                ELSE format('ALTER TABLE %s DROP CONSTRAINT %I', i.indrelid::regclass, i.conname)
           END,
           CASE WHEN i.constraint_oid IS NULL
                THEN pg_get_indexdef(i.indexrelid)
                ELSE format('ALTER TABLE %s ADD CONSTRAINT %I %s', i.indrelid::regclass,
                            i.conname, pg_get_constraintdef(i.constraint_oid))
           END
    FROM indexes i JOIN pg_namespace n ON n.oid = i.relnamespace
    JOIN pg_class r ON r.oid = i.indrelid JOIN pg_namespace rn ON rn.oid = r.relnamespace
    ORDER BY 1, 2, 3";

/// An index or foreign key dropped for a copy, to be made again after it.
#[derive(Debug)]
struct Dropped {
    /// The table, `schema.table`.
    table: String,
    /// The constraint's name (empty for an index alone).
    constraint: String,
    /// The statement that makes it again.
    make: String,
}

/// The indexes and foreign keys dropped for a copy, foreign keys first.
#[derive(Debug)]
pub(crate) struct Deferred {
    dropped: Vec<Dropped>,
}

impl Deferred {
    /// Drops the indexes and foreign keys of `tables` (at the destination,
    /// on `target`, in a transaction the caller commits once they are made
    /// again) that can be made again exactly.
    pub(crate) async fn drop(target: &Client, tables: &[&CopiedTable]) -> Result<Self, Error> {
        let names: Vec<String> = tables.iter().map(|table| table.target.quoted()).collect();
        let rows = target.query(DEFERRABLE, &[&names]).await?;
        let mut dropped = Vec::with_capacity(rows.len());
        for row in &rows {
            target.batch_execute(row.get(3)).await?;
            dropped.push(Dropped {
                table: row.get(1),
                constraint: row.get(2),
                make: row.get(4),
            });
        }
        Ok(Self { dropped })
    }

    /// Makes the dropped indexes again, then the foreign keys, each
    /// checked over the whole table: a row of `tenant` that refers to none
    /// is [`Error::BrokenReference`].
    pub(crate) async fn make_again(self, target: &Client, tenant: TenantId) -> Result<(), Error> {
        for dropped in self.dropped.iter().rev() {
            target.batch_execute(&dropped.make).await.map_err(|error| {
                broken_reference(tenant, &dropped.table, &dropped.constraint, error)
            })?;
        }
        Ok(())
    }
}

/// `error`, as [`Error::BrokenReference`] when it is a foreign key's
/// violation: a row of `tenant` in `table` (`schema.table`) refers to none
/// (through `constraint`, unless the error names it).
pub(crate) fn broken_reference(
    tenant: TenantId,
    table: &str,
    constraint: &str,
    error: tokio_postgres::Error,
) -> Error {
    match error.as_db_error() {
        Some(db) if db.code() == &SqlState::FOREIGN_KEY_VIOLATION => Error::BrokenReference {
            id: tenant,
            table: table.to_owned(),
            constraint: db.constraint().unwrap_or(constraint).to_owned(),
        },
        _ => error.into(),
    }
}
