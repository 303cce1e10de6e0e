//! Verifying a copy, per table, before anything flips: the row count and a
//! content digest of the tenant's rows, computed by each server on its
//! side (at a destination of the tenant's own, of every row there). The digest is the sum of a 64-bit hash of each row (the
//! destination's columns, in its order, by `hash_record_extended`, several
//! times faster than hashing the row's text): independent of row order, so
//! neither side sorts, and one pass over the rows. A column whose type has
//! no 64-bit hash (`json`, arrays, row types) is hashed as text; both
//! sessions render values alike (time zone, date and interval styles,
//! float digits, bytea output), so equal values have equal text on two
//! servers.

use tokio_postgres::Client;

use tenantry_query::TenantId;

use super::copy::CopiedTable;
use crate::Error;
use crate::purge::TenantTable;

/// The settings under which both sides render rows to text alike, with
/// row-level security off (a role that may not bypass it gets an error,
/// never a digest of fewer rows).
const SETTINGS: &str = "SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD';
     SET IntervalStyle = 'postgres'; SET extra_float_digits = 3; SET bytea_output = 'hex';
     SET row_security = off";

/// Prepares `client`'s session for copying and digests.
pub(crate) async fn session(client: &Client) -> Result<(), Error> {
    client.batch_execute(SETTINGS).await?;
    Ok(())
}

/// A table's tenant rows, summed up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Digest {
    /// How many rows.
    pub(crate) rows: i64,
    /// The sum of the rows' hashes, in decimal.
    pub(crate) sum: String,
}

/// Which side of a copy a digest is taken on.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Side {
    Source,
    Target,
}

/// `table` on `side`, and the condition (on alias `t0`, the tenant's id
/// as `$1`) of the rows a digest counts there: the tenant's, or at a
/// destination of the tenant's own every row, so that one of another
/// tenant there is a difference, never left out.
pub(crate) fn counted(table: &CopiedTable, side: Side) -> (&TenantTable, &str) {
    match side {
        Side::Source => (&table.source, table.source.rows()),
        Side::Target if table.own => (&table.target, "$1::uuid IS NOT NULL"),
        Side::Target => (&table.target, table.target.rows()),
    }
}

/// The digest of `tenant`'s rows of each of `tables`, on `side` (whose
/// connection is `client`, prepared by [`session`]).
pub(crate) async fn digests(
    client: &Client,
    tables: &[&CopiedTable],
    tenant: TenantId,
    side: Side,
) -> Result<Vec<Digest>, Error> {
    let mut digests = Vec::with_capacity(tables.len());
    for table in tables {
        let (on, rows) = counted(table, side);
        let sql = format!(
            "SELECT count(*), coalesce(sum(hash_record_extended(ROW({}), 0)), 0)::text
             FROM {} t0 WHERE {rows}",
            table.digest_list(),
            on.quoted(),
        );
        let row = client.query_one(&sql, &[&tenant.as_uuid()]).await?;
        digests.push(Digest {
            rows: row.get(0),
            sum: row.get(1),
        });
    }
    Ok(digests)
}

/// Checks that each table's digests agree: the first that does not is
/// [`Error::VerificationFailed`].
pub(crate) fn compare(
    tenant: TenantId,
    tables: &[&CopiedTable],
    source: &[Digest],
    target: &[Digest],
) -> Result<(), Error> {
    for ((table, source), target) in tables.iter().zip(source).zip(target) {
        if source != target {
            return Err(Error::VerificationFailed {
                id: tenant,
                table: table.target.name(),
                source_rows: source.rows,
                target_rows: target.rows,
            });
        }
    }
    Ok(())
}
