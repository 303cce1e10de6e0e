//! Sequences at the destination: every sequence owned by a column of a
//! copied table (`serial`, `identity`) is advanced past the column's
//! largest value, so the tenant's next insert there does not collide with
//! a copied row. A sequence never moves backwards: a shared pool's
//! sequences, used by other tenants, keep any higher value they have.

use tokio_postgres::Client;

use super::copy::CopiedTable;
use crate::Error;

/// Advances each ascending sequence owned by a column of `tables` at the
/// destination (on `target`) to at least the column's largest value.
pub(crate) async fn advance(target: &Client, tables: &[&CopiedTable]) -> Result<(), Error> {
    for table in tables {
        let owned = target
            .query(
                "SELECT format('%I.%I', n.nspname, s.relname), quote_ident(a.attname)
                 FROM pg_depend d
                 JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S'
                 JOIN pg_namespace n ON n.oid = s.relnamespace
                 JOIN pg_sequence q ON q.seqrelid = s.oid AND q.seqincrement > 0
                 JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
                 WHERE d.classid = 'pg_class'::regclass
                   AND d.refclassid = 'pg_class'::regclass
                   AND d.refobjid = to_regclass($1) AND d.deptype IN ('a', 'i')",
                &[&table.target.quoted()],
            )
            .await?;
        for sequence in &owned {
            let (name, column): (String, String) = (sequence.get(0), sequence.get(1));
            // `nextval` hands out a value above every one handed out
            // before: set only past it, the sequence never goes backwards.
            let sql = format!(
                "SELECT setval($1::text::regclass, top, true)
                 FROM (SELECT max({column})::bigint AS top FROM {table}) m
                 WHERE top >= nextval($1::text::regclass)",
                table = table.target.quoted(),
            );
            target.execute(&sql, &[&name]).await?;
        }
    }
    Ok(())
}
