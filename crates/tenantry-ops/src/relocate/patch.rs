//! Bringing the destination level with the source by patching only what
//! differs. Each table's tenant rows are split into buckets by a hash of
//! their primary key (the destination's key columns, hashed on both sides
//! by the same expression, in sessions prepared by `verify::session`), and
//! each bucket summed as the table's digest is (row count, sum of the
//! rows' hashes): a table's digest is the sum of its buckets'. Both
//! servers compute their buckets (`GROUP BY`), they are compared here, and
//! only the buckets that differ are patched, in one destination
//! transaction per round: the source's rows of those buckets are copied
//! (binary `COPY`) into a temporary table, upserted on the key parents
//! first, and the destination's rows of those buckets that the source no
//! longer has are deleted children first. A table without a primary key
//! is one bucket, never patched. A round that cannot patch (no key, a
//! unique value swapped between two rows, ...) is rolled back, and the
//! tables that differ are copied again whole (with the tables referring
//! to them), so being level never depends on the patch.

use std::collections::{BTreeMap, BTreeSet};

use tokio_postgres::Client;

use tenantry_query::TenantId;

use super::copy::{self, CopiedTable};
use super::cutover::Sides;
use super::sequences;
use super::verify::{self, Digest, Side};
use crate::Error;
use crate::transaction::in_transaction;

/// How many buckets a table with a primary key is split into (a power of
/// two: the bucket is the key's hash masked).
const BUCKETS: i64 = 65_536;

/// A table's tenant rows, summed per bucket.
pub(crate) type Buckets = BTreeMap<i64, Digest>;

/// The positions, in each table's copied columns, of its primary key's
/// columns at the destination; `None` for a table without one (or whose
/// key has a column not copied).
pub(crate) type Keys = Vec<Option<Vec<usize>>>;

/// The primary key of each of `tables` at the destination (on `target`).
pub(crate) async fn keys(target: &Client, tables: &[CopiedTable]) -> Result<Keys, Error> {
    let mut keys = Vec::with_capacity(tables.len());
    for table in tables {
        let rows = target
            .query(
                "SELECT a.attname::text FROM pg_index i
                 JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
                 WHERE i.indrelid = to_regclass($1) AND i.indisprimary
                 ORDER BY array_position(i.indkey::int2[], a.attnum)",
                &[&table.target.quoted()],
            )
            .await?;
        let key: Option<Vec<usize>> = rows
            .iter()
            .map(|row| {
                let name: &str = row.get(0);
                table
                    .columns
                    .iter()
                    .position(|column| column.name.as_str() == name)
            })
            .collect();
        keys.push(key.filter(|key| !key.is_empty()));
    }
    Ok(keys)
}

/// The bucket of a row of `table` (aliased `t0`) split by `key`.
fn bucket(table: &CopiedTable, key: Option<&Vec<usize>>) -> String {
    match key {
        None => "0".to_owned(),
        Some(key) => {
            let columns: Vec<String> = key
                .iter()
                .map(|&index| table.columns[index].hashed())
                .collect();
            format!(
                "(hash_record_extended(ROW({}), 0) & {})",
                columns.join(", "),
                BUCKETS - 1
            )
        }
    }
}

/// `buckets` as an SQL array literal.
fn array(buckets: &[i64]) -> String {
    let items: Vec<String> = buckets.iter().map(i64::to_string).collect();
    format!("'{{{}}}'::bigint[]", items.join(","))
}

/// The bucket digests of `tenant`'s rows of `table` on `side` (whose
/// connection is `client`), of the buckets in `only` if given.
async fn table_buckets(
    client: &Client,
    table: &CopiedTable,
    key: Option<&Vec<usize>>,
    (tenant, side): (TenantId, Side),
    only: Option<&[i64]>,
) -> Result<Buckets, Error> {
    let (on, rows) = verify::counted(table, side);
    let bucket = bucket(table, key);
    let only = only.map_or(String::new(), |only| {
        format!(" AND {bucket} = ANY ({})", array(only))
    });
    let sql = format!(
        "SELECT {bucket}::bigint, count(*), sum(hash_record_extended(ROW({}), 0))::text
         FROM {} t0 WHERE {rows}{only} GROUP BY 1",
        table.digest_list(),
        on.quoted(),
    );
    let rows = client.query(&sql, &[&tenant.as_uuid()]).await?;
    Ok(rows
        .iter()
        .map(|row| {
            let digest = Digest {
                rows: row.get(1),
                sum: row.get(2),
            };
            (row.get(0), digest)
        })
        .collect())
}

/// The bucket digests of `tenant`'s rows of each of `tables`, on `side`;
/// of those at positions in `of` only, if given (the others' are left
/// empty).
pub(crate) async fn buckets(
    client: &Client,
    (tables, keys): (&[CopiedTable], &Keys),
    (tenant, side): (TenantId, Side),
    of: Option<&BTreeSet<usize>>,
) -> Result<Vec<Buckets>, Error> {
    let mut all = Vec::with_capacity(tables.len());
    for (index, (table, key)) in tables.iter().zip(keys).enumerate() {
        all.push(match of {
            Some(of) if !of.contains(&index) => Buckets::new(),
            _ => table_buckets(client, table, key.as_ref(), (tenant, side), None).await?,
        });
    }
    Ok(all)
}

/// The buckets whose digests differ between `source` and `target`.
fn differing(source: &Buckets, target: &Buckets) -> Vec<i64> {
    let all: BTreeSet<i64> = source.keys().chain(target.keys()).copied().collect();
    all.into_iter()
        .filter(|bucket| source.get(bucket) != target.get(bucket))
        .collect()
}

/// What a round did.
#[derive(Debug, Default)]
pub(crate) struct Round {
    /// The rows copied.
    pub(crate) rows: u64,
    /// How many buckets differed.
    pub(crate) differed: usize,
    /// The tables patched or copied again (whose buckets at the
    /// destination were computed again).
    pub(crate) levelled: BTreeSet<usize>,
}

/// One round bringing the destination level with the source's bucket
/// digests `now` (the destination's being `there`, updated here to what
/// it has after the round): the differing buckets patched, or the
/// differing tables copied again whole if the patch cannot be applied.
/// The source's rows are read on `sides.source` as it stands (in the
/// snapshot `now` was taken in, if any).
pub(crate) async fn round(
    sides: &Sides,
    (tables, keys): (&[CopiedTable], &Keys),
    (now, there): (&[Buckets], &mut [Buckets]),
    (tenant, own, batch): (TenantId, bool, i64),
    copied: &(dyn Fn(&CopiedTable, u64) + Sync),
) -> Result<Round, Error> {
    let changed: Vec<(usize, Vec<i64>)> = now
        .iter()
        .zip(there.iter())
        .map(|(now, there)| differing(now, there))
        .enumerate()
        .filter(|(_, buckets)| !buckets.is_empty())
        .collect();
    let differed = changed.iter().map(|(_, buckets)| buckets.len()).sum();
    let patchable = changed.iter().all(|(index, _)| keys[*index].is_some());
    if changed.is_empty() {
        return Ok(Round::default());
    } else if patchable
        && let Ok(rows) = patch(sides, (tables, keys), &changed, tenant, copied).await
    {
        let patched: Vec<&CopiedTable> = changed.iter().map(|(index, _)| &tables[*index]).collect();
        sequences::advance(&sides.target, &patched).await?;
        for (index, buckets) in &changed {
            let key = keys[*index].as_ref();
            let side = (tenant, Side::Target);
            let fresh = table_buckets(&sides.target, &tables[*index], key, side, Some(buckets));
            let fresh = fresh.await?;
            for bucket in buckets {
                there[*index].remove(bucket);
            }
            there[*index].extend(fresh);
        }
        let levelled = changed.into_iter().map(|(index, _)| index).collect();
        return Ok(Round {
            rows,
            differed,
            levelled,
        });
    }
    let changed: BTreeSet<usize> = changed.into_iter().map(|(index, _)| index).collect();
    let again = copy::with_referring(&sides.target, tables, changed).await?;
    let recopied: Vec<&CopiedTable> = again.iter().map(|&index| &tables[index]).collect();
    let ends = (&sides.source, &sides.target);
    let rows = copy::copy_all(ends, &recopied, tenant, batch, own, copied).await?;
    sequences::advance(&sides.target, &recopied).await?;
    for &index in &again {
        let key = keys[index].as_ref();
        let side = (tenant, Side::Target);
        there[index] = table_buckets(&sides.target, &tables[index], key, side, None).await?;
    }
    Ok(Round {
        rows,
        differed,
        levelled: again,
    })
}

/// Patches the `changed` buckets of each table (by position, parents
/// first) at the destination, in one transaction there: the source's rows
/// of those buckets upserted on the key, parents first, then the
/// destination's rows of those buckets the source lacks deleted, children
/// first. The rows copied.
async fn patch(
    sides: &Sides,
    (tables, keys): (&[CopiedTable], &Keys),
    changed: &[(usize, Vec<i64>)],
    tenant: TenantId,
    copied: &(dyn Fn(&CopiedTable, u64) + Sync),
) -> Result<u64, Error> {
    let Sides { source, target } = sides;
    in_transaction(target, async || {
        let mut total = 0;
        for (index, buckets) in changed {
            let (table, key) = (&tables[*index], keys[*index].as_ref());
            let temporary = format!("pg_temp.tenantry_patch_{index}");
            target
                .batch_execute(&format!(
                    "CREATE TEMP TABLE tenantry_patch_{index} ON COMMIT DROP AS
                     SELECT {} FROM {} t0 WITH NO DATA",
                    table.select_list(),
                    table.target.quoted()
                ))
                .await?;
            let rows = format!(
                "SELECT {} FROM {} t0 WHERE {} AND {} = ANY ({})",
                table.select_list(),
                table.source.quoted(),
                table.source.rows_of(tenant),
                bucket(table, key),
                array(buckets)
            );
            let rows = copy::pipe((source, &rows), (target, &temporary), table).await?;
            target
                .batch_execute(&upsert(table, key, &temporary, tenant))
                .await?;
            copied(table, rows);
            total += rows;
        }
        for (index, buckets) in changed.iter().rev() {
            let (table, key) = (&tables[*index], keys[*index].as_ref());
            let matches: Vec<String> = key
                .into_iter()
                .flatten()
                .map(|&column| {
                    let name = table.columns[column].name.quoted();
                    format!("p.{name} = t0.{name}")
                })
                .collect();
            target
                .batch_execute(&format!(
                    "DELETE FROM {} t0 WHERE {} AND {} = ANY ({})
                     AND NOT EXISTS (SELECT FROM pg_temp.tenantry_patch_{index} p WHERE {})",
                    table.target.quoted(),
                    table.target.rows_of(tenant),
                    bucket(table, key),
                    array(buckets),
                    matches.join(" AND ")
                ))
                .await?;
        }
        Ok(total)
    })
    .await
}

/// The statement that upserts the rows of `temporary` into `table` on its
/// `key`, updating only the tenant's rows.
fn upsert(
    table: &CopiedTable,
    key: Option<&Vec<usize>>,
    temporary: &str,
    tenant: TenantId,
) -> String {
    let key = key.map_or(&[][..], Vec::as_slice);
    let names: Vec<String> = table.columns.iter().map(|c| c.name.quoted()).collect();
    let conflict: Vec<&str> = key.iter().map(|&index| names[index].as_str()).collect();
    let set: Vec<String> = names
        .iter()
        .enumerate()
        .filter(|(index, _)| !key.contains(index))
        .map(|(_, name)| format!("{name} = EXCLUDED.{name}"))
        .collect();
    let action = if set.is_empty() {
        "NOTHING".to_owned()
    } else {
        format!(
            "UPDATE SET {} WHERE {}",
            set.join(", "),
            table.target.rows_of(tenant)
        )
    };
    format!(
        "INSERT INTO {} AS t0 ({}) SELECT {} FROM {temporary}
         ON CONFLICT ({}) DO {action}",
        table.target.quoted(),
        names.join(", "),
        names.join(", "),
        conflict.join(", ")
    )
}

/// A table's digest: the sum of its buckets'. A sum out of range (never
/// for a real table) is left empty, so that it matches none.
pub(crate) fn total(buckets: &Buckets) -> Digest {
    let sum = buckets.values().try_fold(0_i128, |sum, digest| {
        sum.checked_add(digest.sum.parse::<i128>().ok()?)
    });
    Digest {
        rows: buckets.values().map(|digest| digest.rows).sum(),
        sum: sum.map_or(String::new(), |sum| sum.to_string()),
    }
}

/// Checks the tables `levelled` by a round: each one's buckets at the
/// destination (`there`) agree with the source's (`now`) where those were
/// computed, and its digest (their sum) with the source's `whole`. The
/// first table that does not is [`Error::VerificationFailed`].
pub(crate) fn check(
    tenant: TenantId,
    tables: &[CopiedTable],
    (whole, now): (&[Digest], &[Buckets]),
    there: &[Buckets],
    levelled: &BTreeSet<usize>,
) -> Result<(), Error> {
    for &index in levelled {
        let here = total(&there[index]);
        let computed = now[index].is_empty() || now[index] == there[index];
        if here != whole[index] || !computed {
            return Err(Error::VerificationFailed {
                id: tenant,
                table: tables[index].target.name(),
                source_rows: whole[index].rows,
                target_rows: here.rows,
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn digest(rows: i64, sum: &str) -> Digest {
        Digest {
            rows,
            sum: sum.to_owned(),
        }
    }

    #[test]
    fn the_buckets_that_differ_are_those_changed_added_or_gone() {
        let source = Buckets::from([
            (1, digest(2, "5")),
            (2, digest(1, "7")),
            (4, digest(1, "1")),
        ]);
        let target = Buckets::from([
            (1, digest(2, "5")),
            (2, digest(1, "8")),
            (3, digest(1, "1")),
        ]);
        assert_eq!(differing(&source, &target), vec![2, 3, 4]);
        assert!(differing(&source, &source).is_empty());
    }

    #[test]
    fn a_tables_digest_is_the_sum_of_its_buckets() {
        let buckets = Buckets::from([
            (1, digest(2, "9223372036854775807")),
            (2, digest(1, "9223372036854775807")),
            (3, digest(1, "-5")),
        ]);
        assert_eq!(total(&buckets), digest(4, "18446744073709551609"));
        assert_eq!(total(&Buckets::new()), digest(0, "0"));
        let broken = Buckets::from([(1, digest(1, "x"))]);
        assert_eq!(total(&broken).sum, "");
    }

    #[test]
    fn buckets_are_written_as_a_bigint_array() {
        assert_eq!(array(&[3, 65_535]), "'{3,65535}'::bigint[]");
        assert_eq!(array(&[]), "'{}'::bigint[]");
    }
}
